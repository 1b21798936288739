//! Storage: PersistentVolumeClaims and PersistentVolumes (`v1`) and StorageClasses
//! (`storage.k8s.io/v1`), with the rules the PV controller and the scheduler's VolumeBinding
//! plugin share (`component-helpers/storage/volume/pv_helpers.go`, `pkg/controller/volume/
//! persistentvolume/index.go`, v1.34): which volume a claim binds to, whether a volume's node
//! affinity admits a node, which nodes a class's `allowedTopologies` admit, which class is the
//! default.
//!
//! A claim asks for storage (a class, access modes, a size); a volume is storage (a class,
//! access modes, a capacity, and the nodes that can reach it, `nodeAffinity`). A zonal volume
//! — a cloud disk — can only be reached from its zone: a pod bound to it can only run there.

use std::fmt;

use crate::api::meta::{Labels, ObjectMeta, Uid};
use crate::api::node_selector::{NodeSelector, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm};
use crate::api::quantity::Quantity;
use crate::api::selector::LabelSelector;
use crate::kernel::SimTime;

/// `storageclass.kubernetes.io/is-default-class`: `"true"` makes a class the default.
pub const DEFAULT_CLASS_ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";
/// The beta spelling, still honoured (`IsDefaultAnnotation`).
pub const BETA_DEFAULT_CLASS_ANNOTATION: &str = "storageclass.beta.kubernetes.io/is-default-class";
/// `volume.NotSupportedProvisioner`: a class whose volumes are created by hand.
pub const NO_PROVISIONER: &str = "kubernetes.io/no-provisioner";
/// `pv.kubernetes.io/provisioned-by`: set on the volumes a provisioner created.
pub const PROVISIONED_BY_ANNOTATION: &str = "pv.kubernetes.io/provisioned-by";
/// The zone label, which provisioned volumes' node affinity names.
pub const ZONE_LABEL: &str = crate::api::node::labels::ZONE;
/// kubesim's built-in default StorageClass, as managed clusters and kind ship one.
pub const BUILTIN_CLASS: &str = "standard";
/// Its provisioner: zonal disks, created at once (see [`StorageClass::builtin`]).
pub const BUILTIN_PROVISIONER: &str = "kubesim.io/zonal-disk";

/// `PersistentVolumeAccessMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessMode {
    ReadWriteOnce,
    ReadOnlyMany,
    ReadWriteMany,
    ReadWriteOncePod,
}

impl AccessMode {
    pub const ALL: [AccessMode; 4] =
        [AccessMode::ReadWriteOnce, AccessMode::ReadOnlyMany, AccessMode::ReadWriteMany, AccessMode::ReadWriteOncePod];

    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::ReadWriteOnce => "ReadWriteOnce",
            AccessMode::ReadOnlyMany => "ReadOnlyMany",
            AccessMode::ReadWriteMany => "ReadWriteMany",
            AccessMode::ReadWriteOncePod => "ReadWriteOncePod",
        }
    }

    /// `kubectl get pv`'s abbreviation (`GetAccessModesAsString`).
    pub fn short(self) -> &'static str {
        match self {
            AccessMode::ReadWriteOnce => "RWO",
            AccessMode::ReadOnlyMany => "ROX",
            AccessMode::ReadWriteMany => "RWX",
            AccessMode::ReadWriteOncePod => "RWOP",
        }
    }

    pub fn parse(s: &str) -> Option<AccessMode> {
        AccessMode::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// `PersistentVolumeMode`; `Filesystem` is the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum VolumeMode {
    #[default]
    Filesystem,
    Block,
}

impl VolumeMode {
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeMode::Filesystem => "Filesystem",
            VolumeMode::Block => "Block",
        }
    }
}

/// `PersistentVolumeReclaimPolicy` (Recycle, deprecated, is not simulated).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReclaimPolicy {
    /// The volume outlives its claim (phase Released) until someone deletes it.
    Retain,
    /// The volume is deleted with its claim.
    Delete,
}

impl ReclaimPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            ReclaimPolicy::Retain => "Retain",
            ReclaimPolicy::Delete => "Delete",
        }
    }
}

/// `VolumeBindingMode`; `Immediate` is the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum VolumeBindingMode {
    /// Claims are bound (and volumes provisioned) as soon as they are created.
    #[default]
    Immediate,
    /// Binding waits for a pod using the claim to be scheduled, and follows its node.
    WaitForFirstConsumer,
}

impl VolumeBindingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeBindingMode::Immediate => "Immediate",
            VolumeBindingMode::WaitForFirstConsumer => "WaitForFirstConsumer",
        }
    }
}

/// One `matchLabelExpressions` entry of a `TopologySelectorTerm`: the label `key` must have one
/// of `values`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TopologyRequirement {
    pub key: String,
    pub values: Vec<String>,
}

/// `storage.k8s.io/v1.StorageClass`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageClass {
    pub meta: ObjectMeta,
    pub provisioner: String,
    /// Given to the volumes it provisions; default Delete.
    pub reclaim_policy: ReclaimPolicy,
    pub volume_binding_mode: VolumeBindingMode,
    /// `allowedTopologies`: terms ORed, each a list of requirements ANDed; empty: anywhere.
    pub allowed_topologies: Vec<Vec<TopologyRequirement>>,
}

impl StorageClass {
    /// kubesim's built-in default class `standard`: provisioner `kubesim.io/zonal-disk`,
    /// WaitForFirstConsumer, reclaim policy Delete — the shape of the default class of GKE
    /// (`standard-rwo`), EKS, AKS and kind, so that claims without a class (a StatefulSet's
    /// `volumeClaimTemplates` as usually written) get a disk in the zone of their pod's node.
    pub fn builtin() -> StorageClass {
        let mut meta = ObjectMeta { name: BUILTIN_CLASS.to_string(), ..ObjectMeta::default() };
        meta.annotations.insert(DEFAULT_CLASS_ANNOTATION.to_string(), "true".to_string());
        StorageClass {
            meta,
            provisioner: BUILTIN_PROVISIONER.to_string(),
            reclaim_policy: ReclaimPolicy::Delete,
            volume_binding_mode: VolumeBindingMode::WaitForFirstConsumer,
            allowed_topologies: Vec::new(),
        }
    }

    /// `IsDefaultAnnotation`: either annotation is exactly `"true"`.
    pub fn is_default(&self) -> bool {
        let a = &self.meta.annotations;
        a.get(DEFAULT_CLASS_ANNOTATION).is_some_and(|v| v == "true")
            || a.get(BETA_DEFAULT_CLASS_ANNOTATION).is_some_and(|v| v == "true")
    }

    /// Whether claims of this class can be provisioned (the provisioner is not
    /// `kubernetes.io/no-provisioner`).
    pub fn provisions(&self) -> bool {
        !self.provisioner.is_empty() && self.provisioner != NO_PROVISIONER
    }

    pub fn wait_for_first_consumer(&self) -> bool {
        self.volume_binding_mode == VolumeBindingMode::WaitForFirstConsumer
    }

    /// `MatchTopologySelectorTerms`: no terms admit every node; otherwise some non-empty term
    /// must have all its requirements met by the node's labels.
    pub fn allows(&self, node_labels: &Labels) -> bool {
        match_topology(&self.allowed_topologies, node_labels)
    }
}

/// `MatchTopologySelectorTerms` (`pkg/apis/core/v1/helper`).
pub fn match_topology(terms: &[Vec<TopologyRequirement>], labels: &Labels) -> bool {
    if terms.is_empty() {
        return true;
    }
    terms
        .iter()
        .filter(|t| !t.is_empty())
        .any(|term| term.iter().all(|r| labels.get(&r.key).is_some_and(|v| r.values.iter().any(|x| x == v))))
}

/// `GetDefaultClass`: among the classes marked default, the newest (creation time), then the
/// first by name; `None` when no class is marked.
pub fn default_class<'a>(classes: impl Iterator<Item = &'a StorageClass>) -> Option<&'a StorageClass> {
    classes.filter(|c| c.is_default()).fold(None, |best: Option<&StorageClass>, c| match best {
        Some(b)
            if b.meta.creation_timestamp > c.meta.creation_timestamp
                || (b.meta.creation_timestamp == c.meta.creation_timestamp && b.meta.name <= c.meta.name) =>
        {
            Some(b)
        }
        _ => Some(c),
    })
}

/// `PersistentVolumeClaimSpec`, reduced to what binding reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimSpec {
    pub access_modes: Vec<AccessMode>,
    /// `resources.requests.storage`.
    pub storage: Quantity,
    /// `storageClassName`: `None` (unset) gets the default class at creation; `Some("")` asks
    /// for a volume without a class (never provisioned).
    pub storage_class_name: Option<String>,
    /// `volumeName`: the claim asks for this volume (pre-binding); set when bound.
    pub volume_name: String,
    pub volume_mode: VolumeMode,
    /// `selector`: only volumes whose labels match (never provisioned).
    pub selector: Option<LabelSelector>,
}

/// `status.phase` of a claim.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ClaimPhase {
    #[default]
    Pending,
    Bound,
    /// Bound to a volume that no longer exists.
    Lost,
}

impl ClaimPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimPhase::Pending => "Pending",
            ClaimPhase::Bound => "Bound",
            ClaimPhase::Lost => "Lost",
        }
    }
}

/// Where a StatefulSet's claim came from: its set, volume claim template and ordinal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimOrigin {
    pub set: String,
    pub template: String,
    pub ordinal: i32,
}

/// `v1.PersistentVolumeClaim`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersistentVolumeClaim {
    pub meta: ObjectMeta,
    pub spec: ClaimSpec,
    pub phase: ClaimPhase,
    /// `status.capacity.storage`: the bound volume's capacity.
    pub capacity: Option<Quantity>,
    /// Set for the claims a StatefulSet stamps from its volume claim templates.
    pub origin: Option<ClaimOrigin>,
    /// Owned by its pod (`whenScaled: Delete` on a scale-down): the garbage collector deletes
    /// the claim once that pod object is gone.
    pub owned_by_pod: bool,
    /// Being deleted; the `kubernetes.io/pvc-protection` finalizer keeps the object while a
    /// scheduled pod uses it.
    pub deleting: bool,
}

impl PersistentVolumeClaim {
    /// `namespace/name`.
    pub fn key(&self) -> String {
        self.meta.key()
    }

    /// `GetPersistentVolumeClaimClass`: the class name, `""` for none.
    pub fn class(&self) -> &str {
        self.spec.storage_class_name.as_deref().unwrap_or("")
    }

    /// The pod of a StatefulSet's claim (`<set>-<ordinal>`).
    pub fn pod_name(&self) -> Option<String> {
        self.origin.as_ref().map(|o| format!("{}-{}", o.set, o.ordinal))
    }

    /// Bound to a volume (`isPVCFullyBound`: `volumeName` set and the binding completed).
    pub fn is_bound(&self) -> bool {
        self.phase == ClaimPhase::Bound && !self.spec.volume_name.is_empty()
    }
}

/// `status.phase` of a volume.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum VolumePhase {
    #[default]
    Available,
    Bound,
    /// Its claim was deleted; a Retain volume stays so, reserved for the old claim.
    Released,
    Failed,
}

impl VolumePhase {
    pub fn as_str(self) -> &'static str {
        match self {
            VolumePhase::Available => "Available",
            VolumePhase::Bound => "Bound",
            VolumePhase::Released => "Released",
            VolumePhase::Failed => "Failed",
        }
    }
}

/// `spec.claimRef`: the claim a volume is (or is to be) bound to. A reference without a uid
/// is a pre-binding written by hand: the volume is reserved for whichever claim of that name
/// comes; with a uid it is that claim's and no later claim of the same name's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimRef {
    pub namespace: String,
    pub name: String,
    pub uid: Option<Uid>,
}

impl ClaimRef {
    /// `namespace/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// `v1.PersistentVolume`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersistentVolume {
    pub meta: ObjectMeta,
    /// `capacity.storage`.
    pub capacity: Quantity,
    pub access_modes: Vec<AccessMode>,
    /// `storageClassName`, `""` for none.
    pub storage_class_name: String,
    /// `nodeAffinity.required`: the nodes that can reach the volume; `None`: every node.
    pub node_affinity: Option<NodeSelector>,
    /// `persistentVolumeReclaimPolicy`; default Retain (provisioned volumes: their class's).
    pub reclaim_policy: ReclaimPolicy,
    pub volume_mode: VolumeMode,
    pub claim_ref: Option<ClaimRef>,
    pub phase: VolumePhase,
    /// Being deleted; the `kubernetes.io/pv-protection` finalizer keeps a bound volume.
    pub deleting: bool,
}

impl PersistentVolume {
    /// `CheckNodeAffinity`: no affinity admits every node; otherwise a term must match the
    /// node's labels (field requirements are not evaluated: the check sees labels only).
    pub fn admits(&self, node_labels: &Labels) -> bool {
        self.node_affinity.as_ref().is_none_or(|s| s.matches("", node_labels))
    }

    /// The zone the volume is in, for checks and the narrative: the values its node affinity
    /// allows for `topology.kubernetes.io/zone` (`In`), joined by `,`; else its zone label;
    /// else `""`.
    pub fn zone(&self) -> String {
        let from_affinity: Vec<&str> = self
            .node_affinity
            .iter()
            .flat_map(|s| &s.terms)
            .flat_map(|t| &t.match_expressions)
            .filter(|r| r.key == ZONE_LABEL && r.operator == NodeSelectorOperator::In)
            .flat_map(|r| r.values.iter().map(String::as_str))
            .collect();
        if !from_affinity.is_empty() {
            let mut zones = from_affinity;
            zones.dedup();
            return zones.join(",");
        }
        self.meta.labels.get(ZONE_LABEL).cloned().unwrap_or_default()
    }

    /// `IsVolumeBoundToClaim`: the claim reference names the claim (and, if it has a uid,
    /// that claim's).
    pub fn is_for(&self, claim: &PersistentVolumeClaim) -> bool {
        self.claim_ref.as_ref().is_some_and(|r| {
            r.namespace == claim.meta.namespace
                && r.name == claim.meta.name
                && r.uid.is_none_or(|u| u == claim.meta.uid)
        })
    }

    /// `CheckAccessModes`: the volume offers every mode the claim asks for.
    pub fn offers(&self, modes: &[AccessMode]) -> bool {
        modes.iter().all(|m| self.access_modes.contains(m))
    }
}

/// A node selector with one term: each `(key, value)` pinned with `In`.
pub fn pin_to(topology: &[(String, String)]) -> Option<NodeSelector> {
    if topology.is_empty() {
        return None;
    }
    let match_expressions = topology
        .iter()
        .map(|(k, v)| NodeSelectorRequirement {
            key: k.clone(),
            operator: NodeSelectorOperator::In,
            values: vec![v.clone()],
        })
        .collect();
    Some(NodeSelector { terms: vec![NodeSelectorTerm { match_expressions, match_fields: Vec::new() }] })
}

/// `FindMatchingVolume`: the volume of `candidates` (by index) a claim binds to.
///
/// A volume pre-bound to the claim (its claim reference names it) wins at once if it is
/// large enough and, on the scheduler's path (`node` given), admits the node — if it does not,
/// nothing matches. Otherwise the smallest volume (the first among equals) that is not
/// excluded, not reserved for another claim, large enough, of the same volume mode, not being
/// deleted, Available, matched by the claim's selector, of the claim's class and — on the
/// scheduler's path — admitting the node and offering the claim's access modes. With
/// `delay_binding` and no node (the PV controller on a WaitForFirstConsumer claim) only a
/// pre-bound volume matches: the scheduler binds the rest.
pub fn find_matching_volume(
    claim: &PersistentVolumeClaim,
    candidates: &[&PersistentVolume],
    node: Option<&Labels>,
    excluded: &[&str],
    delay_binding: bool,
) -> Option<usize> {
    let requested = &claim.spec.storage;
    let class = claim.class();
    let mut smallest: Option<usize> = None;
    for (i, volume) in candidates.iter().enumerate() {
        if excluded.contains(&volume.meta.name.as_str()) {
            continue;
        }
        if volume.claim_ref.is_some() && !volume.is_for(claim) {
            continue;
        }
        if volume.capacity < *requested || volume.volume_mode != claim.spec.volume_mode || volume.deleting {
            continue;
        }
        let admits = node.is_none_or(|labels| volume.admits(labels));
        if volume.is_for(claim) {
            return admits.then_some(i);
        }
        if node.is_none() && delay_binding {
            continue;
        }
        if volume.phase != VolumePhase::Available
            || claim.spec.selector.as_ref().is_some_and(|s| !s.matches(&volume.meta.labels))
            || volume.storage_class_name != class
            || !admits
            || (node.is_some() && !volume.offers(&claim.spec.access_modes))
        {
            continue;
        }
        if smallest.is_none_or(|s| candidates[s].capacity > volume.capacity) {
            smallest = Some(i);
        }
    }
    smallest
}

/// The PV controller's `findBestMatchForClaim`: volumes are grouped by their set of access
/// modes; the groups that offer every mode the claim asks for are searched fewest modes first
/// (ties: in the order of the modes' names), each with [`find_matching_volume`]. `volumes`
/// must be in name order, which decides between equal sizes within a group (Go's informer
/// order is arbitrary there).
pub fn best_match_for_claim(
    claim: &PersistentVolumeClaim,
    volumes: &[&PersistentVolume],
    delay_binding: bool,
) -> Option<usize> {
    let key = |v: &PersistentVolume| {
        let mut modes: Vec<AccessMode> = v.access_modes.clone();
        modes.sort_unstable();
        modes.dedup();
        modes
    };
    let mut groups: Vec<Vec<AccessMode>> = volumes.iter().map(|v| key(v)).collect();
    groups.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    groups.dedup();
    for group in groups.iter().filter(|g| claim.spec.access_modes.iter().all(|m| g.contains(m))) {
        let members: Vec<usize> = (0..volumes.len()).filter(|&i| key(volumes[i]) == *group).collect();
        let subset: Vec<&PersistentVolume> = members.iter().map(|&i| volumes[i]).collect();
        if let Some(j) = find_matching_volume(claim, &subset, None, &[], delay_binding) {
            return Some(members[j]);
        }
    }
    None
}

/// `checkVolumeSatisfyClaim`: why a volume a claim names (`volumeName`) cannot be its, or
/// `None` when it can.
pub fn volume_unsatisfying(volume: &PersistentVolume, claim: &PersistentVolumeClaim) -> Option<String> {
    if volume.capacity < claim.spec.storage {
        return Some(format!(
            "requested PV is too small: requested {}, volume has {}",
            claim.spec.storage, volume.capacity
        ));
    }
    if volume.storage_class_name != claim.class() {
        return Some("storageClassName does not match".into());
    }
    if volume.volume_mode != claim.spec.volume_mode {
        return Some(format!(
            "incompatible volumeMode: requested {}, volume has {}",
            claim.spec.volume_mode.as_str(),
            volume.volume_mode.as_str()
        ));
    }
    if !volume.offers(&claim.spec.access_modes) {
        return Some("incompatible accessMode".into());
    }
    None
}

/// A volume a provisioner created for `claim` of `class`, named `pvc-<claim uid>`, reachable
/// from the nodes with the labels `topology` (empty: every node).
pub fn provisioned_volume(
    claim: &PersistentVolumeClaim,
    class: &StorageClass,
    topology: &[(String, String)],
    now: SimTime,
) -> PersistentVolume {
    let mut meta =
        ObjectMeta { name: format!("pvc-{}", claim.meta.uid), creation_timestamp: now, ..ObjectMeta::default() };
    meta.annotations.insert(PROVISIONED_BY_ANNOTATION.to_string(), class.provisioner.clone());
    PersistentVolume {
        meta,
        capacity: claim.spec.storage.clone(),
        access_modes: claim.spec.access_modes.clone(),
        storage_class_name: class.meta.name.clone(),
        node_affinity: pin_to(topology),
        reclaim_policy: class.reclaim_policy,
        volume_mode: claim.spec.volume_mode,
        claim_ref: Some(ClaimRef {
            namespace: claim.meta.namespace.clone(),
            name: claim.meta.name.clone(),
            uid: Some(claim.meta.uid),
        }),
        phase: VolumePhase::Bound,
        deleting: false,
    }
}

/// The topology a provisioner gives a volume provisioned for a pod placed on a node with
/// `node_labels` (WaitForFirstConsumer): the node's zone, and its values of the keys the
/// class's `allowedTopologies` name. A node without these labels gives a volume every node
/// can reach.
pub fn node_topology(class: &StorageClass, node_labels: &Labels) -> Vec<(String, String)> {
    let mut keys: Vec<&str> = vec![ZONE_LABEL];
    for r in class.allowed_topologies.iter().flatten() {
        if !keys.contains(&r.key.as_str()) {
            keys.push(&r.key);
        }
    }
    keys.iter().filter_map(|k| node_labels.get(k).map(|v| (k.to_string(), v.clone()))).collect()
}

/// The topology of a volume provisioned for an Immediate claim, before any pod: the first
/// term of the class's `allowedTopologies`, each key with its first value; otherwise the zone
/// `pick` chooses among `zones` (the zones that have nodes, sorted; none: every node).
pub fn immediate_topology(
    class: &StorageClass,
    zones: &[String],
    pick: impl FnOnce(usize) -> usize,
) -> Vec<(String, String)> {
    if let Some(term) = class.allowed_topologies.iter().find(|t| !t.is_empty()) {
        return term.iter().filter_map(|r| r.values.first().map(|v| (r.key.clone(), v.clone()))).collect();
    }
    if zones.is_empty() {
        return Vec::new();
    }
    vec![(ZONE_LABEL.to_string(), zones[pick(zones.len()).min(zones.len() - 1)].clone())]
}

impl fmt::Display for AccessMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    //! Cases from upstream's `index_test.go` / `pv_helpers` semantics, rewritten as tables;
    //! each names what it checks.

    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    fn claim(name: &str, class: Option<&str>, size: &str, modes: &[AccessMode]) -> PersistentVolumeClaim {
        PersistentVolumeClaim {
            meta: ObjectMeta { name: name.into(), namespace: "default".into(), uid: Uid(7), ..Default::default() },
            spec: ClaimSpec {
                access_modes: modes.to_vec(),
                storage: q(size),
                storage_class_name: class.map(str::to_string),
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

    fn volume(name: &str, class: &str, size: &str, modes: &[AccessMode], zone: Option<&str>) -> PersistentVolume {
        PersistentVolume {
            meta: ObjectMeta { name: name.into(), ..Default::default() },
            capacity: q(size),
            access_modes: modes.to_vec(),
            storage_class_name: class.into(),
            node_affinity: zone.and_then(|z| pin_to(&[(ZONE_LABEL.to_string(), z.to_string())])),
            reclaim_policy: ReclaimPolicy::Retain,
            volume_mode: VolumeMode::Filesystem,
            claim_ref: None,
            phase: VolumePhase::Available,
            deleting: false,
        }
    }

    use AccessMode::*;

    #[test]
    fn the_smallest_volume_that_fits_wins() {
        let c = claim("c", Some("fast"), "8Gi", &[ReadWriteOnce]);
        let vols = [
            volume("a", "fast", "20Gi", &[ReadWriteOnce], None),
            volume("b", "fast", "10Gi", &[ReadWriteOnce], None),
            volume("c", "fast", "5Gi", &[ReadWriteOnce], None),
            volume("d", "slow", "9Gi", &[ReadWriteOnce], None),
            volume("e", "fast", "10Gi", &[ReadWriteOnce], None),
        ];
        let refs: Vec<&PersistentVolume> = vols.iter().collect();
        assert_eq!(best_match_for_claim(&c, &refs, false), Some(1), "10Gi, the first of two equals");
        let mut bound = vols.clone();
        bound[1].phase = VolumePhase::Bound;
        bound[1].claim_ref = Some(ClaimRef { namespace: "default".into(), name: "other".into(), uid: Some(Uid(1)) });
        let refs: Vec<&PersistentVolume> = bound.iter().collect();
        assert_eq!(best_match_for_claim(&c, &refs, false), Some(4), "a volume of another claim is skipped");
    }

    #[test]
    fn fewest_access_modes_first_then_size() {
        let c = claim("c", Some(""), "1Gi", &[ReadWriteOnce]);
        let vols = [
            volume("many", "", "1Gi", &[ReadWriteOnce, ReadOnlyMany, ReadWriteMany], None),
            volume("two", "", "100Gi", &[ReadWriteOnce, ReadOnlyMany], None),
            volume("rwx", "", "1Gi", &[ReadWriteMany], None),
        ];
        let refs: Vec<&PersistentVolume> = vols.iter().collect();
        assert_eq!(best_match_for_claim(&c, &refs, false), Some(1), "the RWO+ROX group is searched before RWO+ROX+RWX");
        let rwx = claim("x", Some(""), "1Gi", &[ReadWriteMany]);
        assert_eq!(best_match_for_claim(&rwx, &refs, false), Some(2));
    }

    #[test]
    fn pre_bound_volumes_and_delayed_binding() {
        let c = claim("c", Some("local"), "1Gi", &[ReadWriteOnce]);
        let mut reserved = volume("r", "local", "5Gi", &[ReadWriteOnce], None);
        reserved.claim_ref = Some(ClaimRef { namespace: "default".into(), name: "c".into(), uid: None });
        let free = volume("f", "local", "1Gi", &[ReadWriteOnce], None);
        let refs = [&free, &reserved];
        assert_eq!(best_match_for_claim(&c, &refs, false), Some(1), "the pre-bound volume wins over a smaller one");
        assert_eq!(best_match_for_claim(&c, &[&free], true), None, "the PV controller leaves delayed claims alone");
        let other = claim("d", Some("local"), "1Gi", &[ReadWriteOnce]);
        assert_eq!(best_match_for_claim(&other, &[&reserved], false), None, "reserved for claim c");
        let mut released = reserved.clone();
        released.claim_ref.as_mut().unwrap().uid = Some(Uid(99));
        assert_eq!(best_match_for_claim(&c, &[&released], false), None, "a Released volume keeps its old claim's uid");
    }

    #[test]
    fn scheduler_path_checks_node_affinity_and_modes() {
        let c = claim("c", Some("local"), "1Gi", &[ReadWriteOnce]);
        let a = volume("a", "local", "1Gi", &[ReadWriteOnce], Some("zone-a"));
        let b = volume("b", "local", "2Gi", &[ReadWriteOnce], Some("zone-b"));
        let labels = |z: &str| Labels::from([(ZONE_LABEL.to_string(), z.to_string())]);
        let refs = [&a, &b];
        assert_eq!(find_matching_volume(&c, &refs, Some(&labels("zone-b")), &[], true), Some(1));
        assert_eq!(find_matching_volume(&c, &refs, Some(&labels("zone-a")), &["a"], true), None, "excluded");
        assert_eq!(find_matching_volume(&c, &refs, Some(&labels("zone-c")), &[], true), None);
        let rwx = claim("x", Some("local"), "1Gi", &[ReadWriteMany]);
        assert_eq!(find_matching_volume(&rwx, &refs, Some(&labels("zone-a")), &[], true), None);
    }

    #[test]
    fn topology_terms_and_default_classes() {
        let mut class = StorageClass::builtin();
        assert!(class.is_default() && class.wait_for_first_consumer() && class.provisions());
        let zone = |z: &str| Labels::from([(ZONE_LABEL.to_string(), z.to_string())]);
        assert!(class.allows(&zone("anywhere")), "no terms: every node");
        class.allowed_topologies =
            vec![vec![TopologyRequirement { key: ZONE_LABEL.into(), values: vec!["b".into(), "c".into()] }]];
        assert!(class.allows(&zone("c")) && !class.allows(&zone("a")) && !class.allows(&Labels::new()));
        assert_eq!(node_topology(&class, &zone("c")), [(ZONE_LABEL.to_string(), "c".to_string())]);
        assert_eq!(immediate_topology(&class, &["a".into()], |_| 0), [(ZONE_LABEL.to_string(), "b".to_string())]);
        class.allowed_topologies.clear();
        assert_eq!(immediate_topology(&class, &["a".into(), "b".into()], |_| 1)[0].1, "b");
        assert!(immediate_topology(&class, &[], |_| 0).is_empty());

        let mut old = StorageClass::builtin();
        old.meta.name = "old".into();
        let mut new = StorageClass::builtin();
        new.meta.name = "new".into();
        new.meta.creation_timestamp = SimTime::from_secs(5);
        let mut plain = StorageClass::builtin();
        plain.meta.name = "plain".into();
        plain.meta.annotations.clear();
        plain.meta.creation_timestamp = SimTime::from_secs(9);
        assert_eq!(default_class([&old, &new, &plain].into_iter()).unwrap().meta.name, "new", "the newest default");
        let mut twin = old.clone();
        twin.meta.name = "a-old".into();
        assert_eq!(default_class([&old, &twin].into_iter()).unwrap().meta.name, "a-old", "then by name");
        assert!(default_class([&plain].into_iter()).is_none());
    }

    #[test]
    fn provisioned_volumes_follow_the_claim_and_class() {
        let mut c = claim("data-db-0", None, "10Gi", &[ReadWriteOnce]);
        c.meta.uid = Uid(42);
        let class = StorageClass::builtin();
        let v = provisioned_volume(&c, &class, &[(ZONE_LABEL.into(), "zone-b".into())], SimTime::ZERO);
        assert_eq!(v.meta.name, "pvc-00000000-0000-4000-8000-00000000002a");
        assert_eq!(
            (v.zone().as_str(), v.reclaim_policy, v.phase),
            ("zone-b", ReclaimPolicy::Delete, VolumePhase::Bound)
        );
        assert!(v.is_for(&c));
        assert!(v.admits(&Labels::from([(ZONE_LABEL.to_string(), "zone-b".to_string())])));
        assert!(!v.admits(&Labels::new()));
        assert_eq!(volume_unsatisfying(&v, &c), Some("storageClassName does not match".into()), "claim has no class");
    }
}
