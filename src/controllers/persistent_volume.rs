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
