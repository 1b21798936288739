//! The PV controller (`pkg/controller/volume/persistentvolume/pv_controller.go`, v1.34): binds
//! claims to volumes, provisions volumes for claims of a class with a provisioner, and reclaims
//! a volume whose claim is gone.
//!
//! `syncClaim` for an unbound claim: a claim without a class gets the default class once one
//! exists; a claim naming a volume (`volumeName`) binds to it if the volume is free (or
//! reserved for it) and satisfies it; any other claim binds to the best matching volume
//! ([`best_match_for_claim`]: fewest access modes, then the smallest). A claim of a
//! WaitForFirstConsumer class binds only to a volume reserved for it: the scheduler binds the
//! rest when it places the claim's first pod (VolumeBinding). Without a match, a claim of a
//! class with a provisioner (and no `selector`) is provisioned at once — zone: the first of
//! the class's `allowedTopologies`, else one drawn among the zones that have nodes, from the
//! seeded stream `volume.provisioning` keyed by the claim, so that it depends on nothing else.
//! A claim left unbound is looked at again at the controller's resync, every 15 s
//! (`pvClaimBinderSyncPeriod`, ticks at multiples of 15 s of virtual time).
//!
//! `syncVolume`: a volume whose claim is gone is Released, then deleted if its reclaim policy
//! is Delete (the provisioner's deleter, instantaneous here); a Retain volume stays Released,
//! reserved for the old claim. A volume pre-bound to a claim (`claimRef` without uid) makes
//! that claim sync.
//!
//! Provisioning and deletion take no virtual time (the external provisioner and the cloud API
//! are not modelled).

use crate::api::storage::{
    ClaimPhase, ReclaimPolicy, VolumePhase, best_match_for_claim, immediate_topology, volume_unsatisfying,
};
use crate::kernel::rng::{names, uniform_below};
use crate::kernel::{SimDuration, SimTime, Streams};
use crate::store::{PvId, PvcId, Store};

/// `--pvclaimbinder-sync-period`.
pub const RESYNC_PERIOD: SimDuration = SimDuration::from_secs(15);

/// A key of the controller's work queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VolumeKey {
    Claim(PvcId),
    Volume(PvId),
}

/// What a sync wants done, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PvAction {
    /// Give the claim the default class (RetroactiveDefaultStorageClass).
    AssignClass(PvcId, String),
    Bind(PvcId, PvId),
    /// Create a volume for the claim, reachable from the nodes with these labels, and bind it.
    Provision {
        claim: PvcId,
        topology: Vec<(String, String)>,
    },
    SetClaimPhase(PvcId, ClaimPhase),
    SetVolumePhase(PvId, VolumePhase),
    DeleteVolume(PvId),
    /// Sync this claim (a volume pre-bound to it changed).
    SyncClaim(PvcId),
    /// Sync the claim again at this time (the resync of a claim left unbound).
    RequeueClaimAt(PvcId, SimTime),
    /// An event on the claim (`Warning ProvisioningFailed`, `Normal WaitForFirstConsumer`, ...),
    /// for the narrative.
    ClaimEvent(PvcId, String),
}

/// The next resync tick strictly after `now`.
fn next_resync(now: SimTime) -> SimTime {
    now.next_tick_after(RESYNC_PERIOD, SimDuration::ZERO)
}

/// The sorted, distinct zones of the nodes.
fn node_zones(store: &Store) -> Vec<String> {
    let mut zones: Vec<String> = store.nodes().iter().map(|n| n.zone().to_string()).filter(|z| !z.is_empty()).collect();
    zones.sort_unstable();
    zones.dedup();
    zones
}

/// `syncClaim`.
pub fn sync_claim(store: &Store, now: SimTime, streams: &Streams, id: PvcId) -> Vec<PvAction> {
    let mut actions = Vec::new();
    let Some(claim) = store.pvc_by_id(id) else { return actions };
    if claim.deleting {
        return actions;
    }
    if claim.phase == ClaimPhase::Bound {
        // syncBoundClaim: a claim whose volume is gone is Lost.
        if store.pv(&claim.spec.volume_name).is_none() {
            actions.push(PvAction::SetClaimPhase(id, ClaimPhase::Lost));
            actions.push(PvAction::ClaimEvent(
                id,
                format!("ClaimLost: bound claim has lost its PersistentVolume {}", claim.spec.volume_name),
            ));
        }
        return actions;
    }
    let resync = PvAction::RequeueClaimAt(id, next_resync(now));
    if !claim.spec.volume_name.is_empty() {
        // The claim asks for a volume by name.
        let name = &claim.spec.volume_name;
        match store.pv_id(name).and_then(|v| store.pv_by_id(v).map(|pv| (v, pv))) {
            None => {
                actions.push(PvAction::ClaimEvent(id, format!("FailedBinding: volume {name:?} not found")));
                actions.push(resync);
            }
            Some((v, pv)) if pv.claim_ref.is_none() || pv.is_for(claim) => match volume_unsatisfying(pv, claim) {
                Some(why) => {
                    actions.push(PvAction::ClaimEvent(id, format!("VolumeMismatch: {why}")));
                    actions.push(resync);
                }
                None => actions.push(PvAction::Bind(id, v)),
            },
            Some(_) => {
                actions.push(PvAction::ClaimEvent(
                    id,
                    format!("FailedBinding: volume {name:?} already bound to a different claim"),
                ));
                actions.push(resync);
            }
        }
        return actions;
    }
    let mut class_name = claim.class().to_string();
    if claim.spec.storage_class_name.is_none()
        && let Some(default) = store.default_storage_class()
    {
        class_name = default.meta.name.clone();
        actions.push(PvAction::AssignClass(id, class_name.clone()));
    }
    let class = store.storage_class(&class_name);
    let delay_binding = !class_name.is_empty() && class.is_some_and(|c| c.wait_for_first_consumer());
    let ids: Vec<PvId> = store.pv_ids().collect();
    let volumes: Vec<&crate::api::storage::PersistentVolume> = ids.iter().filter_map(|&v| store.pv_by_id(v)).collect();
    let mut with_class = claim.clone();
    with_class.spec.storage_class_name = Some(class_name.clone());
    if let Some(i) = best_match_for_claim(&with_class, &volumes, delay_binding) {
        actions.push(PvAction::Bind(id, ids[i]));
        return actions;
    }
    if delay_binding {
        actions.push(PvAction::ClaimEvent(
            id,
            "WaitForFirstConsumer: waiting for first consumer to be created before binding".into(),
        ));
        return actions;
    }
    match class {
        _ if class_name.is_empty() => {
            actions.push(PvAction::ClaimEvent(
                id,
                "FailedBinding: no persistent volumes available for this claim and no storage class is set".into(),
            ));
        }
        None => {
            actions.push(PvAction::ClaimEvent(
                id,
                format!("ProvisioningFailed: storageclass.storage.k8s.io {class_name:?} not found"),
            ));
        }
        Some(c) if !c.provisions() => {}
        Some(_) if claim.spec.selector.is_some() => {
            actions.push(PvAction::ClaimEvent(
                id,
                "ProvisioningFailed: failed to provision volume: claim.Spec.Selector is not supported".into(),
            ));
        }
        Some(c) => {
            let zones = node_zones(store);
            let topology = immediate_topology(c, &zones, |n| {
                let mut rng = streams.keyed(names::VOLUME_PROVISIONING, &claim.key(), 0);
                uniform_below(&mut rng, n as u64) as usize
            });
            actions.push(PvAction::Provision { claim: id, topology });
            return actions;
        }
    }
    actions.push(resync);
    actions
}

/// `syncVolume`.
pub fn sync_volume(store: &Store, id: PvId) -> Vec<PvAction> {
    let mut actions = Vec::new();
    let Some(volume) = store.pv_by_id(id) else { return actions };
    let Some(claim_ref) = &volume.claim_ref else {
        if volume.deleting {
            actions.push(PvAction::DeleteVolume(id));
        } else if volume.phase != VolumePhase::Available {
            actions.push(PvAction::SetVolumePhase(id, VolumePhase::Available));
        }
        return actions;
    };
    let claim_id = store.pvc_id(&claim_ref.namespace, &claim_ref.name);
    let claim = claim_id.and_then(|c| store.pvc_by_id(c));
    match (claim_ref.uid, claim) {
        // Pre-bound by hand: reserved for the claim, which binds when it syncs.
        (None, Some(c)) if !c.is_bound() => {
            actions.push(PvAction::SyncClaim(claim_id.expect("found")));
        }
        (None, _) => {
            if volume.deleting {
                actions.push(PvAction::DeleteVolume(id));
            }
        }
        // Bound to this claim.
        (Some(uid), Some(c)) if c.meta.uid == uid => {
            if volume.phase != VolumePhase::Bound {
                actions.push(PvAction::SetVolumePhase(id, VolumePhase::Bound));
            }
        }
        // Its claim is gone (or was replaced by a new claim of the same name): reclaim.
        (Some(_), _) => {
            if volume.phase != VolumePhase::Released {
                actions.push(PvAction::SetVolumePhase(id, VolumePhase::Released));
            }
            if volume.reclaim_policy == ReclaimPolicy::Delete || volume.deleting {
                actions.push(PvAction::DeleteVolume(id));
            }
        }
    }
    actions
}

#[cfg(test)]
mod tests {
    //! The controller's decisions on a store built by hand (no nodes: Immediate provisioning
    //! then has no zone to draw).

    use super::*;
    use crate::api::meta::ObjectMeta;
    use crate::api::quantity::Quantity;
    use crate::api::storage::{
        AccessMode, ClaimRef, ClaimSpec, PersistentVolume, PersistentVolumeClaim, StorageClass, VolumeBindingMode,
        VolumeMode,
    };
    use crate::journal::Journal;

    fn store() -> Store {
        let mut s = Store::new(Journal::new(false));
        s.create_namespace(SimTime::ZERO, "default");
        s
    }

    fn claim(name: &str, class: Option<&str>, volume: &str) -> PersistentVolumeClaim {
        PersistentVolumeClaim {
            meta: ObjectMeta { name: name.into(), namespace: "default".into(), ..Default::default() },
            spec: ClaimSpec {
                access_modes: vec![AccessMode::ReadWriteOnce],
                storage: Quantity::parse("1Gi").unwrap(),
                storage_class_name: class.map(str::to_string),
                volume_name: volume.into(),
                volume_mode: VolumeMode::Filesystem,
                selector: None,
            },
            phase: ClaimPhase::Pending,
            capacity: None,
            origin: None,
            owned_by_pod: false,
            deleting: false,
        }
    }

    fn volume(name: &str, policy: ReclaimPolicy) -> PersistentVolume {
        PersistentVolume {
            meta: ObjectMeta { name: name.into(), ..Default::default() },
            capacity: Quantity::parse("5Gi").unwrap(),
            access_modes: vec![AccessMode::ReadWriteOnce],
            storage_class_name: String::new(),
            node_affinity: None,
            reclaim_policy: policy,
            volume_mode: VolumeMode::Filesystem,
            claim_ref: None,
            phase: VolumePhase::Available,
            deleting: false,
        }
    }

    fn class(name: &str, mode: VolumeBindingMode) -> StorageClass {
        let mut c = StorageClass::builtin();
        c.meta.name = name.into();
        c.meta.annotations.clear();
        c.volume_binding_mode = mode;
        c
    }

    #[test]
    fn unbound_claims_bind_provision_or_wait() {
        let streams = Streams::new(1);
        let now = SimTime::from_secs(20);
        let mut s = store();
        s.put_storage_class(SimTime::ZERO, class("now", VolumeBindingMode::Immediate));
        s.put_storage_class(SimTime::ZERO, class("later", VolumeBindingMode::WaitForFirstConsumer));
        let free = s.create_pv(SimTime::ZERO, volume("free", ReclaimPolicy::Retain));
        let plain = s.create_pvc(SimTime::ZERO, claim("plain", Some(""), ""));
        assert_eq!(
            sync_claim(&s, now, &streams, plain),
            [PvAction::Bind(plain, free)],
            "no class: a volume without one"
        );
        let now_claim = s.create_pvc(SimTime::ZERO, claim("now", Some("now"), ""));
        assert_eq!(
            sync_claim(&s, now, &streams, now_claim),
            [PvAction::Provision { claim: now_claim, topology: vec![] }],
            "no node has a zone: a volume every node reaches"
        );
        let later = s.create_pvc(SimTime::ZERO, claim("later", Some("later"), ""));
        let actions = sync_claim(&s, now, &streams, later);
        assert!(
            matches!(actions.as_slice(), [PvAction::ClaimEvent(_, m)] if m.starts_with("WaitForFirstConsumer")),
            "{actions:?}"
        );
        let missing = s.create_pvc(SimTime::ZERO, claim("missing", Some("gone"), ""));
        assert_eq!(
            sync_claim(&s, now, &streams, missing).last(),
            Some(&PvAction::RequeueClaimAt(missing, SimTime::from_secs(30))),
            "retried at the next 15 s tick"
        );
    }

    #[test]
    fn a_claim_naming_a_volume_gets_it_only_if_free_and_fitting() {
        let streams = Streams::new(1);
        let mut s = store();
        let v = s.create_pv(SimTime::ZERO, volume("pv", ReclaimPolicy::Retain));
        let mut taken = volume("taken", ReclaimPolicy::Retain);
        taken.claim_ref = Some(ClaimRef { namespace: "default".into(), name: "other".into(), uid: None });
        s.create_pv(SimTime::ZERO, taken);
        let wants = s.create_pvc(SimTime::ZERO, claim("wants", Some(""), "pv"));
        assert_eq!(sync_claim(&s, SimTime::ZERO, &streams, wants), [PvAction::Bind(wants, v)]);
        let mut too_big = claim("big", Some(""), "pv");
        too_big.spec.storage = Quantity::parse("50Gi").unwrap();
        let big = s.create_pvc(SimTime::ZERO, too_big);
        let actions = sync_claim(&s, SimTime::ZERO, &streams, big);
        assert!(matches!(&actions[0], PvAction::ClaimEvent(_, m) if m.contains("too small")), "{actions:?}");
        let thief = s.create_pvc(SimTime::ZERO, claim("thief", Some(""), "taken"));
        let actions = sync_claim(&s, SimTime::ZERO, &streams, thief);
        assert!(matches!(&actions[0], PvAction::ClaimEvent(_, m) if m.contains("different claim")), "{actions:?}");
    }

    #[test]
    fn the_default_class_is_given_to_claims_without_one() {
        let streams = Streams::new(1);
        let mut s = store();
        let c = s.create_pvc(SimTime::ZERO, claim("c", None, ""));
        assert_eq!(s.pvc_by_id(c).unwrap().class(), "standard", "the built-in default, at admission");
        // A class of the same name without the annotation replaces it: no default any more.
        s.put_storage_class(SimTime::ZERO, class("standard", VolumeBindingMode::Immediate));
        let u = s.create_pvc(SimTime::ZERO, claim("u", None, ""));
        assert_eq!(s.pvc_by_id(u).unwrap().spec.storage_class_name, None);
        assert_eq!(
            sync_claim(&s, SimTime::ZERO, &streams, u).last(),
            Some(&PvAction::RequeueClaimAt(u, SimTime::from_secs(15)))
        );
        let mut fast = class("fast", VolumeBindingMode::Immediate);
        fast.meta.annotations.insert(crate::api::storage::DEFAULT_CLASS_ANNOTATION.into(), "true".into());
        s.put_storage_class(SimTime::ZERO, fast);
        assert_eq!(
            sync_claim(&s, SimTime::ZERO, &streams, u),
            [PvAction::AssignClass(u, "fast".into()), PvAction::Provision { claim: u, topology: vec![] }],
            "given retroactively, then provisioned"
        );
    }

    #[test]
    fn volumes_of_deleted_claims_are_released_and_deleted_by_policy() {
        let mut s = store();
        let keep = s.create_pv(SimTime::ZERO, volume("keep", ReclaimPolicy::Retain));
        let del = s.create_pv(SimTime::ZERO, volume("del", ReclaimPolicy::Delete));
        let a = s.create_pvc(SimTime::ZERO, claim("a", Some(""), ""));
        let b = s.create_pvc(SimTime::ZERO, claim("b", Some(""), ""));
        s.bind_claim(SimTime::ZERO, a, keep);
        s.bind_claim(SimTime::ZERO, b, del);
        assert!(sync_volume(&s, keep).is_empty(), "bound to a live claim: nothing to do");
        s.remove_pvc(SimTime::ZERO, "default", "a");
        s.remove_pvc(SimTime::ZERO, "default", "b");
        assert_eq!(sync_volume(&s, keep), [PvAction::SetVolumePhase(keep, VolumePhase::Released)]);
        assert_eq!(
            sync_volume(&s, del),
            [PvAction::SetVolumePhase(del, VolumePhase::Released), PvAction::DeleteVolume(del)]
        );
        // A new claim of the old name does not get the Retain volume back.
        let again = s.create_pvc(SimTime::ZERO, claim("a", Some(""), ""));
        let actions = sync_claim(&s, SimTime::ZERO, &Streams::new(1), again);
        assert!(!actions.iter().any(|a| matches!(a, PvAction::Bind(..))), "{actions:?}");
        // A volume pre-bound by hand makes its claim sync.
        let mut reserved = volume("reserved", ReclaimPolicy::Retain);
        reserved.claim_ref = Some(ClaimRef { namespace: "default".into(), name: "a".into(), uid: None });
        let r = s.create_pv(SimTime::ZERO, reserved);
        assert_eq!(sync_volume(&s, r), [PvAction::SyncClaim(again)]);
    }
}
