//! VolumeBinding and VolumeZone (`pkg/scheduler/framework/plugins/volumebinding`,
//! `.../volumezone`, v1.34): a pod's PersistentVolumeClaims decide where it can run.
//!
//! VolumeBinding, PreFilter (`podHasPVCs`, `GetPodVolumeClaims`): a pod without claims is
//! skipped; a claim that does not exist or is being deleted, or a claim not bound whose class is
//! not WaitForFirstConsumer (Immediate binding: the PV controller binds it, the scheduler waits),
//! makes the pod UnschedulableAndUnresolvable. Filter (`FindPodVolumes`), per node: every bound
//! claim's volume must exist and its node affinity admit the node; every unbound
//! WaitForFirstConsumer claim needs a free volume the node reaches (claims smallest first, each
//! taking the smallest matching volume, fewest-access-modes grouping aside) or else a class with
//! a provisioner whose `allowedTopologies` admit the node. PreBind (`BindPodVolumes`, which the
//! scheduler runs on the chosen node with [`find_pod_volumes`]): the matched volumes are bound
//! to their claims, and the other claims get the `volume.kubernetes.io/selected-node`
//! annotation and a volume provisioned in the node's topology. Provisioning takes no virtual
//! time, so PreBind's wait for the claims to be bound is instantaneous. Score is off, as in
//! v1.34 by default (StorageCapacityScoring is alpha).
//!
//! VolumeZone: the zone and region labels of the bound volumes (the legacy way to pin a volume;
//! provisioned volumes use node affinity instead) must match the node's.
//!
//! Plugins see no store: [`PodVolumes::gather`] is what the scheduler's claim, volume and class
//! listers hold about the pod of a cycle, handed to PreFilter in the `CycleContext`.

use crate::api::meta::Labels;
use crate::api::pod::Pod;
use crate::api::storage::{PersistentVolume, PersistentVolumeClaim, StorageClass, find_matching_volume, node_topology};
use crate::scheduler::framework::{CycleContext, Filter, NodeInfo, Plugin, PreFilter, PreFilterResult, Status};
use crate::store::Store;

pub const NAME: &str = "VolumeBinding";
pub const ZONE_NAME: &str = "VolumeZone";

/// `ErrReasonNodeConflict`.
pub const ERR_NODE_CONFLICT: &str = "node(s) had volume node affinity conflict";
/// `ErrReasonBindConflict`.
pub const ERR_BIND_CONFLICT: &str = "node(s) didn't find available persistent volumes to bind";
/// `ErrReasonPVNotExist`.
pub const ERR_PV_NOT_EXIST: &str = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)";
/// PreFilter's reason for claims the PV controller has yet to bind.
pub const ERR_UNBOUND_IMMEDIATE: &str = "pod has unbound immediate PersistentVolumeClaims";
/// VolumeZone's `ErrReasonConflict`.
pub const ERR_ZONE_CONFLICT: &str = "node(s) had no available volume zone";

/// `volume.kubernetes.io/selected-node`: the node the scheduler chose for a delayed claim's
/// pod, which a provisioner reads to place the volume.
pub const SELECTED_NODE_ANNOTATION: &str = "volume.kubernetes.io/selected-node";

/// What the scheduler's listers hold about one `persistentVolumeClaim` volume of a pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimState {
    /// No claim of that name in the pod's namespace.
    Missing,
    /// The claim is being deleted.
    Deleting,
    /// Bound to the volume `volume_name`; `volume` is `None` when no such volume exists.
    Bound { volume_name: String, volume: Option<Box<PersistentVolume>> },
    /// Not bound, and not the scheduler's to bind: its class is Immediate, unset or missing, or
    /// it names a volume (`class` is its class name, `""` for none).
    UnboundImmediate { class: String },
    /// Not bound, of a WaitForFirstConsumer class: the scheduler binds it.
    Delayed { claim: Box<PersistentVolumeClaim>, class: Box<StorageClass> },
}

/// One claim volume of the pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodClaim {
    pub name: String,
    pub state: ClaimState,
}

/// The claims of the pod being scheduled, in the order its volumes are written, and the volumes
/// of its delayed claims' classes (`pvCache.ListPVs`), in name order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodVolumes {
    pub claims: Vec<PodClaim>,
    pub volumes: Vec<PersistentVolume>,
}

/// The empty view, for pods without claims and contexts built without a store.
pub static NO_VOLUMES: PodVolumes = PodVolumes { claims: Vec::new(), volumes: Vec::new() };

impl PodVolumes {
    /// Reads the pod's claims, their volumes and classes from the store.
    pub fn gather(store: &Store, pod: &Pod) -> PodVolumes {
        let mut out = PodVolumes::default();
        let namespace = &pod.meta.namespace;
        let mut classes: Vec<&str> = Vec::new();
        for c in &pod.spec.claims {
            let state = match store.pvc(namespace, &c.claim_name) {
                None => ClaimState::Missing,
                Some(claim) if claim.deleting => ClaimState::Deleting,
                Some(claim) if claim.is_bound() => ClaimState::Bound {
                    volume_name: claim.spec.volume_name.clone(),
                    volume: store.pv(&claim.spec.volume_name).map(|v| Box::new(v.clone())),
                },
                Some(claim) => {
                    let class = claim.class();
                    match store.storage_class(class) {
                        Some(sc)
                            if !class.is_empty()
                                && sc.wait_for_first_consumer()
                                && claim.spec.volume_name.is_empty() =>
                        {
                            if !classes.contains(&class) {
                                classes.push(class);
                            }
                            ClaimState::Delayed { claim: Box::new(claim.clone()), class: Box::new(sc.clone()) }
                        }
                        _ => ClaimState::UnboundImmediate { class: class.to_string() },
                    }
                }
            };
            out.claims.push(PodClaim { name: c.claim_name.clone(), state });
        }
        if !classes.is_empty() {
            out.volumes = store.pvs().filter(|v| classes.contains(&v.storage_class_name.as_str())).cloned().collect();
        }
        out
    }
}

/// What PreBind does for one delayed claim on the chosen node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimBinding {
    /// Bind the claim to this existing volume.
    Bind { claim: String, volume: String },
    /// Provision a volume reachable from the nodes with these labels (the chosen node's
    /// topology), and bind it.
    Provision { claim: String, topology: Vec<(String, String)> },
}

/// `FindPodVolumes` for one node: the reasons it cannot run the pod (empty: it can) and, if it
/// can, how each delayed claim gets its volume there.
pub fn find_pod_volumes(
    volumes: &PodVolumes,
    node_name: &str,
    labels: &Labels,
) -> (Vec<&'static str>, Vec<ClaimBinding>) {
    let (mut bound_satisfied, mut bound_found, mut unbound_satisfied) = (true, true, true);
    // checkBoundClaims stops at the first failing claim.
    for c in &volumes.claims {
        if let ClaimState::Bound { volume, .. } = &c.state {
            match volume {
                None => {
                    bound_found = false;
                    break;
                }
                Some(v) if !v.admits(labels) => {
                    bound_satisfied = false;
                    break;
                }
                Some(_) => {}
            }
        }
    }
    let mut bindings = Vec::new();
    let delayed: Vec<(&PersistentVolumeClaim, &StorageClass)> = volumes
        .claims
        .iter()
        .filter_map(|c| match &c.state {
            ClaimState::Delayed { claim, class } => Some((claim.as_ref(), class.as_ref())),
            _ => None,
        })
        .collect();
    let selected = |claim: &PersistentVolumeClaim| claim.meta.annotations.get(SELECTED_NODE_ANNOTATION).cloned();
    if delayed.iter().any(|(c, _)| selected(c).is_some_and(|n| n != node_name)) {
        // A provisioner is already at work for another node.
        unbound_satisfied = false;
    } else if !delayed.is_empty() {
        let (mut to_provision, mut to_match): (Vec<_>, Vec<_>) =
            delayed.into_iter().partition(|(c, _)| selected(c).is_some());
        // `byPVCSize`: the smallest request first, so that it takes the smallest volume.
        to_match.sort_by(|(a, _), (b, _)| a.spec.storage.cmp(&b.spec.storage));
        let mut chosen: Vec<&str> = Vec::new();
        for (claim, class) in to_match {
            let candidates: Vec<&PersistentVolume> =
                volumes.volumes.iter().filter(|v| v.storage_class_name == claim.class()).collect();
            match find_matching_volume(claim, &candidates, Some(labels), &chosen, true) {
                Some(i) => {
                    chosen.push(&candidates[i].meta.name);
                    bindings.push(ClaimBinding::Bind {
                        claim: claim.meta.name.clone(),
                        volume: candidates[i].meta.name.clone(),
                    });
                }
                None => to_provision.push((claim, class)),
            }
        }
        // checkVolumeProvisions stops at the first claim that cannot be provisioned here.
        for (claim, class) in to_provision {
            if !class.provisions() || !class.allows(labels) {
                unbound_satisfied = false;
                break;
            }
            bindings.push(ClaimBinding::Provision {
                claim: claim.meta.name.clone(),
                topology: node_topology(class, labels),
            });
        }
    }
    let mut reasons = Vec::new();
    if !bound_satisfied {
        reasons.push(ERR_NODE_CONFLICT);
    }
    if !unbound_satisfied {
        reasons.push(ERR_BIND_CONFLICT);
    }
    if !bound_found {
        reasons.push(ERR_PV_NOT_EXIST);
    }
    if !reasons.is_empty() {
        bindings.clear();
    }
    (reasons, bindings)
}

/// The VolumeBinding plugin; `state` is the cycle's view of the pod's claims, set at PreFilter.
#[derive(Default)]
pub struct VolumeBinding {
    state: Option<PodVolumes>,
}

impl Plugin for VolumeBinding {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilter> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        Some(self)
    }
}

impl PreFilter for VolumeBinding {
    fn pre_filter(&mut self, cx: &CycleContext<'_>, pod: &Pod) -> (PreFilterResult, Status) {
        self.state = None;
        if pod.spec.claims.is_empty() {
            return (PreFilterResult::default(), Status::skip());
        }
        let volumes = cx.volumes;
        for c in &volumes.claims {
            match c.state {
                ClaimState::Missing => {
                    let reason = format!("persistentvolumeclaim {:?} not found", c.name);
                    return (PreFilterResult::default(), Status::unresolvable(reason));
                }
                ClaimState::Deleting => {
                    let reason = format!("persistentvolumeclaim {:?} is being deleted", c.name);
                    return (PreFilterResult::default(), Status::unresolvable(reason));
                }
                _ => {}
            }
        }
        if volumes.claims.iter().any(|c| matches!(c.state, ClaimState::UnboundImmediate { .. })) {
            return (PreFilterResult::default(), Status::unresolvable(ERR_UNBOUND_IMMEDIATE));
        }
        self.state = Some(volumes.clone());
        (PreFilterResult::default(), Status::success())
    }
}

impl Filter for VolumeBinding {
    fn filter(&self, _pod: &Pod, node: &NodeInfo) -> Status {
        let Some(volumes) = &self.state else { return Status::success() };
        let (reasons, _) = find_pod_volumes(volumes, &node.name, &node.labels);
        if reasons.is_empty() {
            return Status::success();
        }
        let mut status = Status::unresolvable(reasons[0]);
        status.reasons = reasons.into_iter().map(std::borrow::Cow::Borrowed).collect();
        status
    }
}

/// The labels VolumeZone compares (`topologyLabels`): beta and GA zone and region.
const TOPOLOGY_LABELS: [&str; 4] = [
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
];

/// `translateToGALabel`.
fn ga_label(key: &str) -> &str {
    match key {
        "failure-domain.beta.kubernetes.io/zone" => "topology.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region" => "topology.kubernetes.io/region",
        other => other,
    }
}

/// The VolumeZone plugin; `topologies` are the bound volumes' zone and region labels (each
/// value a `__`-separated set), set at PreFilter.
#[derive(Default)]
pub struct VolumeZone {
    topologies: Vec<(String, Vec<String>)>,
}

impl Plugin for VolumeZone {
    fn name(&self) -> &'static str {
        ZONE_NAME
    }
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilter> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        Some(self)
    }
}

impl PreFilter for VolumeZone {
    /// `getPVbyPod`: unbound WaitForFirstConsumer claims are skipped; other unbound claims and
    /// missing objects make the pod unresolvable.
    fn pre_filter(&mut self, cx: &CycleContext<'_>, pod: &Pod) -> (PreFilterResult, Status) {
        self.topologies.clear();
        if pod.spec.claims.is_empty() {
            return (PreFilterResult::default(), Status::skip());
        }
        for c in &cx.volumes.claims {
            let reject = |reason: String| (PreFilterResult::default(), Status::unresolvable(reason));
            match &c.state {
                ClaimState::Missing => return reject(format!("persistentvolumeclaim {:?} not found", c.name)),
                ClaimState::Bound { volume: None, volume_name } => {
                    return reject(format!("persistentvolume {volume_name:?} not found"));
                }
                ClaimState::Bound { volume: Some(v), .. } => {
                    for key in TOPOLOGY_LABELS {
                        if let Some(value) = v.meta.labels.get(key) {
                            let values = value.split("__").map(str::to_string).collect();
                            self.topologies.push((key.to_string(), values));
                        }
                    }
                }
                ClaimState::UnboundImmediate { class } if class.is_empty() => {
                    return reject("PersistentVolumeClaim had no pv name and storageClass name".into());
                }
                ClaimState::UnboundImmediate { .. } => return reject("PersistentVolume had no name".into()),
                ClaimState::Deleting | ClaimState::Delayed { .. } => {}
            }
        }
        if self.topologies.is_empty() {
            return (PreFilterResult::default(), Status::skip());
        }
        (PreFilterResult::default(), Status::success())
    }
}

impl Filter for VolumeZone {
    fn filter(&self, _pod: &Pod, node: &NodeInfo) -> Status {
        if !TOPOLOGY_LABELS.iter().any(|k| node.labels.contains_key(k)) {
            // A node without zone or region labels is not constrained.
            return Status::success();
        }
        for (key, values) in &self.topologies {
            let value = node.labels.get(key).or_else(|| node.labels.get(ga_label(key)));
            if !value.is_some_and(|v| values.contains(v)) {
                return Status::unresolvable(ERR_ZONE_CONFLICT);
            }
        }
        Status::success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::ObjectMeta;
    use crate::api::pod::ClaimVolume;
    use crate::api::quantity::Quantity;
    use crate::api::storage::{
        AccessMode, ClaimPhase, ClaimSpec, ReclaimPolicy, TopologyRequirement, VolumeMode, VolumePhase, ZONE_LABEL,
        pin_to,
    };
    use crate::scheduler::framework::Code;
    use crate::scheduler::plugins::testutil::{NodeInfoExt, node, pod};

    fn claim(name: &str, size: &str) -> PersistentVolumeClaim {
        PersistentVolumeClaim {
            meta: ObjectMeta { name: name.into(), namespace: "default".into(), ..Default::default() },
            spec: ClaimSpec {
                access_modes: vec![AccessMode::ReadWriteOnce],
                storage: Quantity::parse(size).unwrap(),
                storage_class_name: Some("local".into()),
                volume_name: String::new(),
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

    fn volume(name: &str, size: &str, zone: &str) -> PersistentVolume {
        PersistentVolume {
            meta: ObjectMeta { name: name.into(), ..Default::default() },
            capacity: Quantity::parse(size).unwrap(),
            access_modes: vec![AccessMode::ReadWriteOnce],
            storage_class_name: "local".into(),
            node_affinity: pin_to(&[(ZONE_LABEL.to_string(), zone.to_string())]),
            reclaim_policy: ReclaimPolicy::Retain,
            volume_mode: VolumeMode::Filesystem,
            claim_ref: None,
            phase: VolumePhase::Available,
            deleting: false,
        }
    }

    fn class(provisioner: &str, zones: &[&str]) -> StorageClass {
        let mut c = StorageClass::builtin();
        c.meta.name = "local".into();
        c.provisioner = provisioner.into();
        if !zones.is_empty() {
            c.allowed_topologies = vec![vec![TopologyRequirement {
                key: ZONE_LABEL.into(),
                values: zones.iter().map(|z| z.to_string()).collect(),
            }]];
        }
        c
    }

    fn zone(z: &str) -> Labels {
        Labels::from([(ZONE_LABEL.to_string(), z.to_string())])
    }

    fn delayed(c: PersistentVolumeClaim, sc: &StorageClass) -> PodClaim {
        PodClaim {
            name: c.meta.name.clone(),
            state: ClaimState::Delayed { claim: Box::new(c), class: Box::new(sc.clone()) },
        }
    }

    fn pod_with_claims(names: &[&str]) -> Pod {
        let mut p = pod(&[]);
        let mut spec = (*p.spec).clone();
        spec.claims = names
            .iter()
            .map(|n| ClaimVolume { volume: n.to_string(), claim_name: n.to_string(), read_only: false })
            .collect();
        p.spec = std::sync::Arc::new(spec);
        p
    }

    #[test]
    fn bound_claims_pin_the_pod_to_their_volumes_nodes() {
        let v = volume("pv-a", "10Gi", "zone-a");
        let state = PodVolumes {
            claims: vec![PodClaim {
                name: "data".into(),
                state: ClaimState::Bound { volume_name: "pv-a".into(), volume: Some(Box::new(v)) },
            }],
            volumes: vec![],
        };
        assert_eq!(find_pod_volumes(&state, "n1", &zone("zone-a")), (vec![], vec![]));
        assert_eq!(find_pod_volumes(&state, "n2", &zone("zone-b")).0, [ERR_NODE_CONFLICT]);
        let gone = PodVolumes {
            claims: vec![PodClaim {
                name: "data".into(),
                state: ClaimState::Bound { volume_name: "x".into(), volume: None },
            }],
            volumes: vec![],
        };
        assert_eq!(find_pod_volumes(&gone, "n1", &zone("zone-a")).0, [ERR_PV_NOT_EXIST]);
    }

    #[test]
    fn delayed_claims_take_the_smallest_reachable_volume_or_are_provisioned() {
        let sc = class("kubernetes.io/no-provisioner", &[]);
        let state = PodVolumes {
            claims: vec![delayed(claim("big", "8Gi"), &sc), delayed(claim("small", "1Gi"), &sc)],
            volumes: vec![
                volume("a-10", "10Gi", "zone-a"),
                volume("a-2", "2Gi", "zone-a"),
                volume("b-9", "9Gi", "zone-b"),
            ],
        };
        let (reasons, bindings) = find_pod_volumes(&state, "n1", &zone("zone-a"));
        assert!(reasons.is_empty());
        assert_eq!(
            bindings,
            [
                ClaimBinding::Bind { claim: "small".into(), volume: "a-2".into() },
                ClaimBinding::Bind { claim: "big".into(), volume: "a-10".into() },
            ],
            "the smaller claim first, each the smallest volume that fits"
        );
        // In zone-b only one volume is reachable and the class cannot provision.
        assert_eq!(find_pod_volumes(&state, "n2", &zone("zone-b")), (vec![ERR_BIND_CONFLICT], vec![]));

        let provisioning = class("kubesim.io/zonal-disk", &["zone-b", "zone-c"]);
        let state = PodVolumes { claims: vec![delayed(claim("data", "1Gi"), &provisioning)], volumes: vec![] };
        assert_eq!(
            find_pod_volumes(&state, "n2", &zone("zone-b")).1,
            [ClaimBinding::Provision { claim: "data".into(), topology: vec![(ZONE_LABEL.into(), "zone-b".into())] }]
        );
        assert_eq!(find_pod_volumes(&state, "n1", &zone("zone-a")).0, [ERR_BIND_CONFLICT], "allowedTopologies");
        let mut chosen = claim("data", "1Gi");
        chosen.meta.annotations.insert(SELECTED_NODE_ANNOTATION.into(), "n3".into());
        let state = PodVolumes { claims: vec![delayed(chosen, &provisioning)], volumes: vec![] };
        assert_eq!(find_pod_volumes(&state, "n2", &zone("zone-b")).0, [ERR_BIND_CONFLICT], "another node was selected");
        assert!(find_pod_volumes(&state, "n3", &zone("zone-b")).0.is_empty());
    }

    #[test]
    fn pre_filter_rejects_missing_deleting_and_unbound_immediate_claims() {
        let mut plugin = VolumeBinding::default();
        let cases = [
            (ClaimState::Missing, "persistentvolumeclaim \"data\" not found"),
            (ClaimState::Deleting, "persistentvolumeclaim \"data\" is being deleted"),
            (ClaimState::UnboundImmediate { class: "fast".into() }, ERR_UNBOUND_IMMEDIATE),
        ];
        let p = pod_with_claims(&["data"]);
        for (state, reason) in cases {
            let volumes = PodVolumes { claims: vec![PodClaim { name: "data".into(), state }], volumes: vec![] };
            let cx = CycleContext { volumes: &volumes, ..CycleContext::default() };
            let (_, status) = plugin.pre_filter(&cx, &p);
            assert_eq!((status.code, status.message()), (Code::UnschedulableAndUnresolvable, reason.to_string()));
        }
        let (_, status) = plugin.pre_filter(&CycleContext::default(), &pod(&[]));
        assert_eq!(status.code, Code::Skip, "no claims");

        let v = volume("pv-a", "10Gi", "zone-a");
        let volumes = PodVolumes {
            claims: vec![PodClaim {
                name: "data".into(),
                state: ClaimState::Bound { volume_name: "pv-a".into(), volume: Some(Box::new(v)) },
            }],
            volumes: vec![],
        };
        let cx = CycleContext { volumes: &volumes, ..CycleContext::default() };
        assert!(plugin.pre_filter(&cx, &p).1.is_success());
        let a = node("a", &[]).with_labels(&[(ZONE_LABEL, "zone-a")]);
        let b = node("b", &[]).with_labels(&[(ZONE_LABEL, "zone-b")]);
        assert!(plugin.filter(&p, &a).is_success());
        let status = plugin.filter(&p, &b);
        assert_eq!(
            (status.code, status.message()),
            (Code::UnschedulableAndUnresolvable, ERR_NODE_CONFLICT.to_string())
        );
    }

    #[test]
    fn volume_zone_compares_zone_labels() {
        let mut v = volume("pv", "1Gi", "zone-a");
        v.node_affinity = None;
        v.meta.labels.insert(ZONE_LABEL.into(), "zone-a__zone-b".into());
        let volumes = PodVolumes {
            claims: vec![PodClaim {
                name: "data".into(),
                state: ClaimState::Bound { volume_name: "pv".into(), volume: Some(Box::new(v.clone())) },
            }],
            volumes: vec![],
        };
        let p = pod_with_claims(&["data"]);
        let mut plugin = VolumeZone::default();
        let cx = CycleContext { volumes: &volumes, ..CycleContext::default() };
        assert!(plugin.pre_filter(&cx, &p).1.is_success());
        assert!(plugin.filter(&p, &node("a", &[]).with_labels(&[(ZONE_LABEL, "zone-b")])).is_success());
        let c = plugin.filter(&p, &node("c", &[]).with_labels(&[(ZONE_LABEL, "zone-c")]));
        assert_eq!(c.message(), ERR_ZONE_CONFLICT);
        assert!(plugin.filter(&p, &node("bare", &[])).is_success(), "a node without zone labels");
        let beta = node("beta", &[]).with_labels(&[("failure-domain.beta.kubernetes.io/zone", "zone-c")]);
        assert!(!plugin.filter(&p, &beta).is_success(), "a beta label is read as the GA one");
        v.meta.labels.clear();
        let unlabelled = PodVolumes {
            claims: vec![PodClaim {
                name: "data".into(),
                state: ClaimState::Bound { volume_name: "pv".into(), volume: Some(Box::new(v)) },
            }],
            volumes: vec![],
        };
        let cx = CycleContext { volumes: &unlabelled, ..CycleContext::default() };
        assert_eq!(plugin.pre_filter(&cx, &p).1.code, Code::Skip, "no zone labels: nothing to check");
    }
}
