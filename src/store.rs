//! The "API server and etcd": every object of the simulated cluster, addressed by dense ids,
//! plus the watch stream.
//!
//! Components read the store freely and change it only through its methods. Each method makes
//! one state change, writes one [`Record`] to the journal (which feeds the run digest) and
//! appends a [`Change`] to the watch stream, which the engine drains after every event to
//! wake the interested controllers. Objects live in `Vec` arenas indexed by dense ids; names
//! map to ids through hash maps that are only looked up, never iterated.
//!
//! Invariant: a live pod is bound to at most one node, and appears in that node's pod list
//! exactly once; a removed pod appears in no list.

use crate::hash::{HashMap, HashSet};
use smallvec::SmallVec;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::api::autoscaling::{HorizontalPodAutoscaler, HorizontalPodAutoscalerStatus};
use crate::api::batch::{CronJob, CronJobStatus, Job, JobStatus};
use crate::api::config::ConfigObject;
use crate::api::daemonset::{DaemonSet, DaemonSetStatus};
use crate::api::meta::{ConditionStatus, KeyLengths, Kind, ObjectMeta, OwnerReference, Uid};
use crate::api::networking::Ingress;
use crate::api::node::{Node, NodeCondition};
use crate::api::pod::{ConfigSource, ContainerState, Pod, PodPhase, PodSpec, PodTemplateSpec};
use crate::api::policy::{PdbStatus, PodDisruptionBudget};
use crate::api::quota::{LimitRange, ResourceQuota};
use crate::api::scheduling::PriorityClass;
use crate::api::selector::LabelSelector;
use crate::api::service::{EndpointCounts, Namespace, Service};
use crate::api::statefulset::{ControllerRevision, StatefulSet, StatefulSetStatus};
use crate::api::storage::{PersistentVolume, PersistentVolumeClaim, StorageClass};
use crate::api::taint::{Taint, add_default_tolerations};
use crate::api::workload::{Deployment, DeploymentCondition, ReplicaSet};
use crate::journal::{JobEvent, Journal, PodEvent, Record};
use crate::kernel::{SimDuration, SimTime};

mod archive;

pub use archive::PodRecord;
use archive::{JobArchive, PodArchive};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);
        impl $name {
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// A node's dense id: its position in `Store::nodes`.
    NodeId
);
id_type!(
    /// A pod's dense id: its creation order. Never reused.
    PodId
);
id_type!(
    /// A ReplicaSet's dense id. Never reused.
    RsId
);
id_type!(
    /// A Deployment's dense id. Never reused.
    DeploymentId
);
id_type!(
    /// A Service's dense id. Never reused.
    ServiceId
);
id_type!(
    /// A PodDisruptionBudget's dense id. Never reused.
    PdbId
);
id_type!(
    /// A Job's dense id. Never reused.
    JobId
);
id_type!(
    /// A CronJob's dense id. Never reused.
    CronJobId
);
id_type!(
    /// A StatefulSet's dense id. Never reused.
    StsId
);
id_type!(
    /// A DaemonSet's dense id. Never reused.
    DsId
);
id_type!(
    /// A PersistentVolumeClaim's dense id. Never reused.
    PvcId
);
id_type!(
    /// A PersistentVolume's dense id. Never reused.
    PvId
);
id_type!(
    /// An Ingress's dense id. Never reused.
    IngressId
);
id_type!(
    /// A HorizontalPodAutoscaler's dense id. Never reused.
    HpaId
);

/// The controller that owns a pod (its `ownerReferences` entry with `controller: true`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PodOwner {
    ReplicaSet(RsId),
    Job(JobId),
    StatefulSet(StsId),
    DaemonSet(DsId),
}

/// An object that can own others (the garbage collector's owner nodes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OwnerId {
    Deployment(DeploymentId),
    ReplicaSet(RsId),
    Job(JobId),
    CronJob(CronJobId),
    StatefulSet(StsId),
    DaemonSet(DsId),
}

/// The DaemonSet controller's failed-pod backoff (`failedPodsBackoff`, 1 s doubling to
/// 15 min, keyed by DaemonSet, observed generation and node), beside the DaemonSet's status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DaemonBackoff {
    /// The observed generation the entries belong to (a new generation starts afresh).
    pub generation: i64,
    /// Per node: the current backoff period and when it was last advanced.
    pub per_node: BTreeMap<NodeId, (SimDuration, SimTime)>,
}

/// The Job controller's own bookkeeping for one Job, beside the Job's status: which finished
/// pods it has counted (Kubernetes tracks this with the `batch.kubernetes.io/job-tracking`
/// finalizer) and the pod-failure backoff record (`backoff_utils.go`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobTracking {
    /// Finished (or removed) pods already counted in `succeeded` / `failed`, or ignored.
    pub counted: std::collections::BTreeSet<PodId>,
    /// Failures since the last success, and when the latest of them finished.
    pub failures_after_last_success: u32,
    pub last_failure: Option<SimTime>,
    /// Per index (`backoffLimitPerIndex`): failures counted against it, and the last one.
    pub index_failures: BTreeMap<i32, (u32, SimTime)>,
}

/// What a Job tracks before it counts a pod and after it finishes: most Jobs of a scale day
/// hold nothing, by reference to this.
static NOTHING_TRACKED: JobTracking = JobTracking {
    counted: std::collections::BTreeSet::new(),
    failures_after_last_success: 0,
    last_failure: None,
    index_failures: BTreeMap::new(),
};

/// One entry of the watch stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    NodeAdded(NodeId),
    /// Labels, taints, unschedulable, conditions or allocatable changed.
    NodeUpdated(NodeId),
    /// The Node object was deleted (`removeNode`); its id is never reused.
    NodeRemoved(NodeId),
    PodCreated(PodId),
    PodBound(PodId),
    /// Phase, readiness or container state changed.
    PodStatus(PodId),
    /// `deletionTimestamp` was set.
    PodDeleting(PodId),
    PodRemoved(PodId),
    ReplicaSet(RsId),
    ReplicaSetRemoved(RsId),
    Deployment(DeploymentId),
    DeploymentRemoved(DeploymentId),
    Service(ServiceId),
    ServiceRemoved(ServiceId),
    /// The endpoints controller wrote new ready / not-ready counts for the Service.
    Endpoints(ServiceId),
    /// A PodDisruptionBudget was created or its spec changed (not its status).
    Pdb(PdbId),
    PdbRemoved(PdbId),
    /// A Job was created, or its spec or status changed.
    Job(JobId),
    JobRemoved(JobId),
    /// A CronJob was created, or its status or its spec (other than the schedule) changed.
    CronJob(CronJobId),
    /// An `apply` changed a CronJob's schedule or time zone.
    CronJobRescheduled(CronJobId),
    CronJobRemoved(CronJobId),
    /// A StatefulSet was created, or its spec or status changed.
    StatefulSet(StsId),
    StatefulSetRemoved(StsId),
    /// A DaemonSet was created, or its spec or status changed.
    DaemonSet(DsId),
    DaemonSetRemoved(DsId),
    /// A PersistentVolumeClaim was created, bound, or started deleting.
    Pvc(PvcId),
    PvcRemoved(PvcId),
    /// A PersistentVolume was created, or its spec or phase changed.
    Pv(PvId),
    PvRemoved(PvId),
    StorageClassAdded {
        wait_for_first_consumer: bool,
    },
    /// An `apply` changed a StorageClass (`allowedTopologies`, labels or annotations).
    StorageClassUpdated {
        topologies_changed: bool,
    },
    /// An Ingress was created or its spec changed.
    Ingress(IngressId),
    IngressRemoved(IngressId),
    /// A HorizontalPodAutoscaler was created or its spec changed (not its status).
    Hpa(HpaId),
    HpaRemoved(HpaId),
}

/// Counters the summary reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    pub pods_created: u64,
    pub pods_scheduled: u64,
    pub pods_removed: u64,
    /// Successful preemptions (a pod nominated to a node whose victims were deleted).
    pub preemptions: u64,
    /// Pods deleted by preemption.
    pub pods_preempted: u64,
}

type NsName = (String, String);

/// Ids filed by namespace, label key and label value, emptied levels pruned: the store's
/// active pods under each of their labels, and selectors under their anchor label. Only
/// looked up, never iterated, so every level is hashed (a label like
/// `batch.kubernetes.io/job-name` has a value per Job, hundreds of thousands in a day of Jobs;
/// well-known keys share long prefixes, which made an ordered map's comparisons costly).
#[derive(Debug, PartialEq)]
struct LabelIndex<Id: Ord>(HashMap<String, HashMap<String, HashMap<String, BTreeSet<Id>>>>);

impl<Id: Ord> Default for LabelIndex<Id> {
    fn default() -> Self {
        LabelIndex(HashMap::default())
    }
}

impl<Id: Ord + Copy> LabelIndex<Id> {
    fn get(&self, namespace: &str, key: &str, value: &str) -> Option<&BTreeSet<Id>> {
        self.0.get(namespace)?.get(key)?.get(value)
    }

    fn insert(&mut self, namespace: &str, key: &str, value: &str, id: Id) {
        // Look up before inserting: the names are cloned only the first time they are seen.
        if !self.0.contains_key(namespace) {
            self.0.insert(namespace.to_string(), HashMap::default());
        }
        let by_key = self.0.get_mut(namespace).expect("just inserted");
        if !by_key.contains_key(key) {
            by_key.insert(key.to_string(), HashMap::default());
        }
        let by_value = by_key.get_mut(key).expect("just inserted");
        match by_value.get_mut(value) {
            Some(ids) => {
                ids.insert(id);
            }
            None => {
                by_value.insert(value.to_string(), BTreeSet::from([id]));
            }
        }
    }

    fn remove(&mut self, namespace: &str, key: &str, value: &str, id: Id) {
        let Some(by_key) = self.0.get_mut(namespace) else { return };
        let Some(by_value) = by_key.get_mut(key) else { return };
        let Some(ids) = by_value.get_mut(value) else { return };
        ids.remove(&id);
        if ids.is_empty() {
            by_value.remove(value);
            if by_value.is_empty() {
                by_key.remove(key);
                if by_key.is_empty() {
                    self.0.remove(namespace);
                }
            }
        }
    }
}

/// A pod's place in the store: the whole object, boxed, while anything may read it; its
/// [`PodRecord`] once it is archived.
#[derive(Debug)]
enum PodSlot {
    Full(Box<Pod>),
    /// Where its record starts in the [`PodArchive`].
    Archived(usize),
}

impl PodSlot {
    fn entry<'a>(&'a self, archive: &'a PodArchive) -> PodEntry<'a> {
        match self {
            PodSlot::Full(p) => PodEntry::Full(p),
            PodSlot::Archived(at) => PodEntry::Archived(archive.get(*at)),
        }
    }
}

/// A pod as the run's outputs read it, whether whole or archived.
#[derive(Clone, Copy, Debug)]
pub enum PodEntry<'a> {
    Full(&'a Pod),
    Archived(PodRecord<'a>),
}

impl<'a> PodEntry<'a> {
    /// The whole object, unless the pod was archived.
    pub fn full(self) -> Option<&'a Pod> {
        match self {
            PodEntry::Full(p) => Some(p),
            PodEntry::Archived(_) => None,
        }
    }
    pub fn namespace(self) -> &'a str {
        match self {
            PodEntry::Full(p) => &p.meta.namespace,
            PodEntry::Archived(r) => r.namespace,
        }
    }
    pub fn name(self) -> &'a str {
        match self {
            PodEntry::Full(p) => &p.meta.name,
            PodEntry::Archived(r) => r.name,
        }
    }
    /// `namespace/name`, as [`ObjectMeta::key`].
    pub fn key(self) -> String {
        match self {
            PodEntry::Full(p) => p.meta.key(),
            PodEntry::Archived(r) => crate::api::meta::key_of(r.namespace, r.name),
        }
    }
    /// The controller's kind and name.
    pub fn controller(self) -> Option<(Kind, &'a str)> {
        match self {
            PodEntry::Full(p) => p.meta.controller_ref().map(|o| (o.kind, o.name.as_str())),
            PodEntry::Archived(r) => r.controller,
        }
    }
    pub fn node(self) -> Option<NodeId> {
        match self {
            PodEntry::Full(p) => p.status.node,
            PodEntry::Archived(r) => r.node,
        }
    }
    pub fn created(self) -> SimTime {
        match self {
            PodEntry::Full(p) => p.meta.creation_timestamp,
            PodEntry::Archived(r) => r.created,
        }
    }
    pub fn scheduled_at(self) -> Option<SimTime> {
        match self {
            PodEntry::Full(p) => p.status.scheduled_at,
            PodEntry::Archived(r) => r.scheduled_at,
        }
    }
    pub fn first_ready_at(self) -> Option<SimTime> {
        match self {
            PodEntry::Full(p) => p.status.first_ready_at,
            PodEntry::Archived(r) => r.first_ready_at,
        }
    }
    pub fn finished_at(self) -> Option<SimTime> {
        match self {
            PodEntry::Full(p) => p.status.finished_at,
            PodEntry::Archived(r) => r.finished_at,
        }
    }
    pub fn phase(self) -> PodPhase {
        match self {
            PodEntry::Full(p) => p.status.phase,
            PodEntry::Archived(r) => r.phase,
        }
    }
    /// The phase as `pods.csv` and `explain` show it: `Terminating` while the deletion of a
    /// pod that has not finished is under way (as kubectl's STATUS column).
    pub fn shown_phase(self) -> &'static str {
        if self.terminating() && self.finished_at().is_none() { "Terminating" } else { self.phase().as_str() }
    }
    /// `deletionTimestamp` is set.
    pub fn terminating(self) -> bool {
        match self {
            PodEntry::Full(p) => p.meta.deletion_timestamp.is_some(),
            PodEntry::Archived(r) => r.terminating,
        }
    }
    pub fn restart_count(self) -> i32 {
        match self {
            PodEntry::Full(p) => p.status.restart_count,
            PodEntry::Archived(r) => r.restart_count,
        }
    }
    /// `status.reason`.
    pub fn reason(self) -> &'a str {
        match self {
            PodEntry::Full(p) => &p.status.reason,
            PodEntry::Archived(r) => r.reason,
        }
    }
    pub fn spec(self) -> &'a Arc<PodSpec> {
        match self {
            PodEntry::Full(p) => &p.spec,
            PodEntry::Archived(r) => r.spec,
        }
    }
}

/// A Job's pods in creation order: up to [`PodList::INLINE`] held in place (the Jobs of a scale
/// day have one pod each, and a `Vec` of one id is an allocation per Job, a million of them),
/// more behind one pointer: 16 bytes a Job.
#[derive(Clone, Debug)]
enum PodList {
    Inline {
        len: u8,
        ids: [PodId; PodList::INLINE],
    },
    // Boxed so that the list is two words, not a `Vec`'s three (a list per Job ever made).
    #[allow(clippy::box_collection)]
    Heap(Box<Vec<PodId>>),
}

impl Default for PodList {
    fn default() -> PodList {
        PodList::Inline { len: 0, ids: [PodId(0); PodList::INLINE] }
    }
}

impl PodList {
    const INLINE: usize = 3;

    fn push(&mut self, id: PodId) {
        match self {
            PodList::Inline { len, ids } if usize::from(*len) < PodList::INLINE => {
                ids[usize::from(*len)] = id;
                *len += 1;
            }
            PodList::Inline { ids, .. } => {
                let mut all = ids.to_vec();
                all.push(id);
                *self = PodList::Heap(Box::new(all));
            }
            PodList::Heap(all) => all.push(id),
        }
    }

    fn as_slice(&self) -> &[PodId] {
        match self {
            PodList::Inline { len, ids } => &ids[..usize::from(*len)],
            PodList::Heap(all) => all,
        }
    }
}

/// Ids by (namespace, name) that keep only the ids: each lookup reads the names back from the
/// objects through `key`, so the index costs a few bytes an object instead of a copy of its
/// names (the million Jobs of a scale day stay, finished, for the whole run). Only looked
/// up, never iterated. Every id in it must name a live object whose names do not change.
struct NameIndex<Id> {
    table: hashbrown::HashTable<Id>,
    state: foldhash::fast::RandomState,
}

impl<Id> Default for NameIndex<Id> {
    fn default() -> Self {
        NameIndex { table: hashbrown::HashTable::new(), state: foldhash::fast::RandomState::default() }
    }
}

impl<Id: Copy + Eq> NameIndex<Id> {
    fn hash(state: &foldhash::fast::RandomState, namespace: &str, name: &str) -> u64 {
        use std::hash::BuildHasher;
        state.hash_one((namespace, name))
    }

    fn get<'a>(&self, namespace: &str, name: &str, key: impl Fn(Id) -> (&'a str, &'a str)) -> Option<Id> {
        let hash = Self::hash(&self.state, namespace, name);
        self.table.find(hash, |&id| key(id) == (namespace, name)).copied()
    }

    /// Files `id` under its names (read through `key`), replacing an id filed under them.
    fn insert<'a>(&mut self, id: Id, key: impl Fn(Id) -> (&'a str, &'a str)) {
        let (namespace, name) = key(id);
        let hash = Self::hash(&self.state, namespace, name);
        let state = &self.state;
        match self.table.entry(
            hash,
            |&other| key(other) == (namespace, name),
            |&other| {
                let (ns, n) = key(other);
                Self::hash(state, ns, n)
            },
        ) {
            hashbrown::hash_table::Entry::Occupied(mut e) => *e.get_mut() = id,
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(id);
            }
        }
    }

    /// Removes `id` if it is the one filed under its names.
    fn remove<'a>(&mut self, id: Id, key: impl Fn(Id) -> (&'a str, &'a str)) {
        let (namespace, name) = key(id);
        let hash = Self::hash(&self.state, namespace, name);
        if let Ok(e) = self.table.find_entry(hash, |&other| other == id) {
            e.remove();
        }
    }
}

/// The whole pod `id`; it must not be archived (see [`Store::pod`]).
#[inline]
fn full(pods: &[PodSlot], id: PodId) -> &Pod {
    match &pods[id.index()] {
        PodSlot::Full(p) => p,
        PodSlot::Archived(_) => panic!("pod {id:?} is archived: read it through Store::pod_entry"),
    }
}

#[inline]
fn full_mut(pods: &mut [PodSlot], id: PodId) -> &mut Pod {
    match &mut pods[id.index()] {
        PodSlot::Full(p) => p,
        PodSlot::Archived(_) => panic!("pod {id:?} is archived and cannot change"),
    }
}

/// The (namespace, name) of a pod not removed (so not archived), for a [`NameIndex`].
fn pod_key<'a>(pods: &'a [PodSlot]) -> impl Fn(PodId) -> (&'a str, &'a str) {
    move |id| {
        let meta = &full(pods, id).meta;
        (meta.namespace.as_str(), meta.name.as_str())
    }
}

/// The (namespace, name) of a Job not removed, for a [`NameIndex`].
fn job_key<'a>(jobs: &'a [JobSlot], archive: &'a JobArchive) -> impl Fn(JobId) -> (&'a str, &'a str) {
    move |id| jobs[id.index()].names(archive).expect("a filed Job is not removed")
}

/// A Job in the store: whole while anything may read or change it, then (a workload's
/// arrivals only, see [`Store::release_removed`]) its record in the [`JobArchive`], or
/// nothing once removed.
#[derive(Clone, Debug)]
enum JobSlot {
    Live(Box<LiveJob>),
    /// Where its record starts in the [`JobArchive`].
    Archived(usize),
    Removed,
}

/// A Job neither archived nor removed, with what only its controller and admission keep of
/// it (so that an archived Job's slot holds none of it).
#[derive(Clone, Debug)]
struct LiveJob {
    job: Job,
    /// `None`: nothing tracked (every Job before its first finished pod, and once finished).
    tracking: Option<Box<JobTracking>>,
    /// (template spec, admitted spec), as `admitted` for ReplicaSets.
    admitted: Option<(Arc<PodSpec>, Arc<PodSpec>)>,
    /// Its pods not removed (orphans included: see `job_orphans`).
    live_pods: u32,
    /// It may be archived once finished: a workload's arrival, which nothing names (no
    /// manifest, event, CronJob or TTL reaches it).
    archivable: bool,
}

impl JobSlot {
    fn live(&self) -> Option<&Job> {
        match self {
            JobSlot::Live(live) => Some(&live.job),
            _ => None,
        }
    }

    fn live_mut(&mut self) -> Option<&mut Job> {
        match self {
            JobSlot::Live(live) => Some(&mut live.job),
            _ => None,
        }
    }

    /// (namespace, name), unless removed.
    fn names<'a>(&'a self, archive: &'a JobArchive) -> Option<(&'a str, &'a str)> {
        match self {
            JobSlot::Live(live) => Some((live.job.meta.namespace.as_str(), live.job.meta.name.as_str())),
            JobSlot::Archived(at) => Some(archive.names(*at)),
            JobSlot::Removed => None,
        }
    }
}

/// The active pods by namespace, label key and label value, under the label keys some
/// Service's selector requires (the endpoints controller's queries): a key is filed from the
/// active pods when a Service first asks for it, and kept. Other labels — a Job pod's four
/// generated ones, a value per Job — cost nothing here.
#[derive(Debug, Default, PartialEq)]
struct ActiveByLabel {
    keys: HashSet<String>,
    index: LabelIndex<PodId>,
}

impl ActiveByLabel {
    /// Adds (or removes) a pod under each of its labels whose key is filed.
    fn file(&mut self, meta: &crate::api::meta::ObjectMeta, id: PodId, add: bool) {
        for (k, v) in &meta.labels {
            if !self.keys.contains(k.as_str()) {
                continue;
            }
            if add {
                self.index.insert(&meta.namespace, k, v, id);
            } else {
                self.index.remove(&meta.namespace, k, v, id);
            }
        }
    }

    /// Whether pods are filed under `key` (only then can the index narrow by it).
    fn files(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    /// Starts filing under `key`, with the active `pods` (id, metadata) carrying it.
    fn file_key<'a>(&mut self, key: &str, pods: impl Iterator<Item = (PodId, &'a crate::api::meta::ObjectMeta)>) {
        if !self.keys.insert(key.to_string()) {
            return;
        }
        for (id, meta) in pods {
            if let Some(value) = meta.labels.get(key) {
                self.index.insert(&meta.namespace, key, value, id);
            }
        }
    }
}

/// A set of pod ids as one bit per id ever made: insert, remove and look-up without a search
/// (the store's active pods change on every pod's start and end: a `BTreeSet` of 100 k ids
/// cost cache misses at every level, 2.6 % of the 1M day's cycles), iterated in id order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodSet {
    words: Vec<u64>,
}

impl PodSet {
    /// Adds `id`; whether it was absent.
    pub fn insert(&mut self, id: PodId) -> bool {
        let (word, bit) = (id.index() / 64, 1u64 << (id.index() % 64));
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        let absent = self.words[word] & bit == 0;
        self.words[word] |= bit;
        absent
    }

    /// Removes `id`; whether it was present.
    pub fn remove(&mut self, id: PodId) -> bool {
        let (word, bit) = (id.index() / 64, 1u64 << (id.index() % 64));
        let present = self.words.get(word).is_some_and(|w| w & bit != 0);
        if present {
            self.words[word] &= !bit;
        }
        present
    }

    pub fn contains(&self, id: PodId) -> bool {
        self.words.get(id.index() / 64).is_some_and(|w| w & (1u64 << (id.index() % 64)) != 0)
    }

    /// The ids, ascending.
    pub fn iter(&self) -> impl Iterator<Item = PodId> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros();
                rest &= rest - 1;
                Some(PodId((i * 64) as u32 + bit))
            })
        })
    }
}

/// [`SelectorIndex::candidates`]: mostly none or one.
pub type Candidates<Id> = SmallVec<[Id; 4]>;

/// Objects with a label selector (Services, ReplicaSets, StatefulSets, budgets) by the label
/// a pod must carry to be selected ([`LabelSelector::anchor`]), so that finding the ones that
/// select a pod does not test every selector: the candidates, in id order, include every
/// object whose selector matches (callers test them). A Nothing selector is not filed (it
/// selects no pod); one without an anchor is a candidate for every pod of its namespace.
/// Selectors are assumed not to change while filed: an update removes and re-adds.
#[derive(Debug)]
struct SelectorIndex<Id: Ord> {
    anchored: LabelIndex<Id>,
    /// namespace → ids.
    unanchored: BTreeMap<String, BTreeSet<Id>>,
    /// The lengths of every anchor key ever filed: a pod's label of another length is not
    /// looked up (hashing a Job pod's long keys in every index was ~2 % of a scale day).
    key_lengths: KeyLengths,
}

impl<Id: Ord + Copy> Default for SelectorIndex<Id> {
    fn default() -> Self {
        SelectorIndex {
            anchored: LabelIndex::default(),
            unanchored: BTreeMap::new(),
            key_lengths: KeyLengths::default(),
        }
    }
}

impl<Id: Ord + Copy> SelectorIndex<Id> {
    fn add(&mut self, namespace: &str, selector: &LabelSelector, id: Id) {
        if selector.is_nothing() {
            return;
        }
        match selector.anchor() {
            Some((key, values)) => {
                self.key_lengths.add(key);
                values.iter().for_each(|v| self.anchored.insert(namespace, key, v, id));
            }
            None => {
                self.unanchored.entry(namespace.to_string()).or_default().insert(id);
            }
        }
    }

    /// Whether this index files what `rebuilt` (from the live objects) does, its key lengths
    /// included.
    fn agrees_with(&self, rebuilt: &SelectorIndex<Id>) -> bool {
        self.anchored == rebuilt.anchored
            && self.unanchored == rebuilt.unanchored
            && self.key_lengths.covers(rebuilt.key_lengths)
    }

    fn remove(&mut self, namespace: &str, selector: &LabelSelector, id: Id) {
        if selector.is_nothing() {
            return;
        }
        match selector.anchor() {
            Some((key, values)) => values.iter().for_each(|v| self.anchored.remove(namespace, key, v, id)),
            None => {
                if let Some(ids) = self.unanchored.get_mut(namespace) {
                    ids.remove(&id);
                    if ids.is_empty() {
                        self.unanchored.remove(namespace);
                    }
                }
            }
        }
    }

    /// The ids whose selector may select a pod of `namespace` with `labels`, in id order,
    /// each once.
    fn candidates(&self, namespace: &str, labels: &crate::api::meta::Labels) -> Candidates<Id> {
        let mut out = Candidates::new();
        let mut sources = 0;
        if let Some(ids) = self.unanchored.get(namespace) {
            out.extend(ids.iter().copied());
            sources += 1;
        }
        if let Some(by_key) = self.anchored.0.get(namespace) {
            // The namespace looked up once, then each label under it.
            for (key, value) in self.key_lengths.of(labels) {
                if let Some(ids) = by_key.get(key.as_str()).and_then(|by_value| by_value.get(value.as_str())) {
                    out.extend(ids.iter().copied());
                    sources += 1;
                }
            }
        }
        if sources > 1 {
            out.sort_unstable();
            out.dedup();
        }
        out
    }
}

/// A terminated pod's place in PodGC's deletion order (`byEvictionAndCreationTimestamp`):
/// evicted pods (Failed with reason `Evicted`) first, then by `creationTimestamp` — which the
/// API keeps to the second — then by name; the id only breaks the remaining ties.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct TerminatedKey {
    not_evicted: bool,
    created_s: u64,
    name: String,
    id: PodId,
}

impl TerminatedKey {
    fn of(id: PodId, pod: &Pod) -> TerminatedKey {
        TerminatedKey {
            not_evicted: !(pod.status.phase == PodPhase::Failed && pod.status.reason == "Evicted"),
            created_s: pod.meta.creation_timestamp.as_micros() / 1_000_000,
            name: pod.meta.name.clone(),
            id,
        }
    }
}

/// Entries of the store's shared admission cache (cleared when full).
const ADMITTED_SHARED: usize = 1024;

/// The cluster state.
pub struct Store {
    nodes: Vec<Node>,
    node_names: HashMap<String, NodeId>,
    /// Per node: its Node object was deleted. The slot stays (ids are dense and never reused).
    node_removed: Vec<bool>,
    /// When each removed node's object was deleted (for the placements of `packing.csv`).
    node_removed_at: Vec<Option<SimTime>>,
    /// Live (not removed) pods bound to each node, in binding order.
    pods_on_node: Vec<Vec<PodId>>,
    /// Every pod ever created, by id: whole, or archived once removed and unread.
    pods: Vec<PodSlot>,
    /// The controller of each pod, if any.
    pod_owner: Vec<Option<PodOwner>>,
    pod_removed: Vec<bool>,
    /// Removed pods whose labels are still held: see [`Store::release_removed`].
    unreleased: Vec<PodId>,
    /// A removed Job's pods not removed, while there are any (a live Job counts its own,
    /// `LiveJob::live_pods`; an archived one has none); and the Jobs to look at for
    /// archiving (finished or removed, or one of whose pods was removed, since the last
    /// [`Store::release_removed`]).
    removed_job_live_pods: BTreeMap<JobId, u32>,
    jobs_to_check: Vec<JobId>,
    /// Pods orphaned from a Job, which stay in its list of pods (`job_pods`).
    job_orphans: BTreeMap<PodId, JobId>,
    /// The records of the archived pods ([`Store::release_removed`]).
    pod_archive: PodArchive,
    /// The records of the archived Jobs ([`Store::release_removed`]).
    job_archive: JobArchive,
    /// Archived Jobs deleted in the foreground, until removed (a whole Job would carry a
    /// `deletionTimestamp`).
    deleting_archived_jobs: BTreeSet<JobId>,
    /// Live pods not in a terminal phase, by id: what the endpoints controller looks at (a day
    /// of Jobs leaves most live pods Succeeded).
    active_pods: PodSet,
    /// Live pods in a terminal phase, in the order the pod garbage collector deletes them.
    terminated: BTreeSet<TerminatedKey>,
    /// The active pods by namespace, label key and label value: the candidates of a
    /// selector's equality requirement (pod labels never change in the store).
    active_by_label: ActiveByLabel,
    pod_names: NameIndex<PodId>,
    replica_sets: Vec<Option<ReplicaSet>>,
    rs_names: HashMap<NsName, RsId>,
    /// ReplicaSets, Services, StatefulSets and budgets by the label their selector requires.
    rs_selectors: SelectorIndex<RsId>,
    service_selectors: SelectorIndex<ServiceId>,
    sts_selectors: SelectorIndex<StsId>,
    pdb_selectors: SelectorIndex<PdbId>,
    /// Live pods controlled by each ReplicaSet, in creation order.
    rs_pods: Vec<Vec<PodId>>,
    /// The Deployment controlling each ReplicaSet, if any.
    rs_owner: Vec<Option<DeploymentId>>,
    /// Per ReplicaSet: (template spec, admitted spec), so its pods share one admitted spec.
    admitted: Vec<Option<(Arc<PodSpec>, Arc<PodSpec>)>>,
    deployments: Vec<Option<Deployment>>,
    /// See [`Store::deployments_version`].
    deployments_version: u64,
    deployment_names: HashMap<NsName, DeploymentId>,
    /// ReplicaSets controlled by each Deployment, in creation order.
    deployment_rs: Vec<Vec<RsId>>,
    services: Vec<Option<Service>>,
    service_names: HashMap<NsName, ServiceId>,
    namespaces: BTreeMap<String, Namespace>,
    namespaces_version: u64,
    /// By name; the built-in classes exist from the start.
    priority_classes: BTreeMap<String, PriorityClass>,
    pdbs: Vec<Option<PodDisruptionBudget>>,
    pdb_names: HashMap<NsName, PdbId>,
    /// ConfigMaps and Secrets by (source, namespace, name).
    configs: BTreeMap<(ConfigSource, String, String), ConfigObject>,
    /// LimitRanges and ResourceQuotas by (namespace, name).
    limit_ranges: BTreeMap<NsName, LimitRange>,
    quotas: BTreeMap<NsName, ResourceQuota>,
    jobs: Vec<JobSlot>,
    job_names: NameIndex<JobId>,
    /// Every pod each Job created, in creation order, removed ones included (until counted,
    /// a removed pod still matters to the Job).
    job_pods: Vec<PodList>,
    /// Admitted specs by the address of their source spec (kept alive here, so the address
    /// cannot be reused meanwhile): arrivals of one shape share one source spec across Jobs
    /// and bare pods, and so share one admitted spec. At most [`ADMITTED_SHARED`] entries.
    admitted_shared: HashMap<usize, (Arc<PodSpec>, Arc<PodSpec>)>,
    /// The CronJob that created a Job, for the Jobs a CronJob made (a map: a scale day's
    /// million Jobs have none); kept after either is removed.
    job_cronjob: BTreeMap<JobId, CronJobId>,
    cronjobs: Vec<Option<CronJob>>,
    cronjob_names: HashMap<NsName, CronJobId>,
    /// Live Jobs each CronJob created, in creation order.
    cronjob_jobs: Vec<Vec<JobId>>,
    /// How many Jobs each CronJob created, removed ones included.
    cronjob_jobs_created: Vec<u32>,
    statefulsets: Vec<Option<StatefulSet>>,
    sts_names: HashMap<NsName, StsId>,
    /// Live pods controlled by each StatefulSet, in creation order.
    sts_pods: Vec<Vec<PodId>>,
    /// Each StatefulSet's ControllerRevisions, in creation order.
    sts_revisions: Vec<Vec<ControllerRevision>>,
    /// Per StatefulSet: (template spec, admitted spec), as `admitted` for ReplicaSets.
    sts_admitted: Vec<Option<(Arc<PodSpec>, Arc<PodSpec>)>>,
    /// PersistentVolumeClaims by dense id; they outlive their pods and sets.
    pvcs: Vec<Option<PersistentVolumeClaim>>,
    /// Each claim's (namespace, name), kept after its removal.
    pvc_keys: Vec<NsName>,
    /// Live claims by (namespace, name): lookups and name-ordered iteration.
    pvc_index: BTreeMap<NsName, PvcId>,
    /// PersistentVolumes by dense id, and the live ones by name.
    pvs: Vec<Option<PersistentVolume>>,
    pv_index: BTreeMap<String, PvId>,
    /// StorageClasses by name; kubesim's built-in default class exists from the start.
    storage_classes: BTreeMap<String, StorageClass>,
    daemonsets: Vec<Option<DaemonSet>>,
    ds_names: HashMap<NsName, DsId>,
    /// Live pods controlled by each DaemonSet, in creation order.
    ds_pods: Vec<Vec<PodId>>,
    ds_backoff: Vec<DaemonBackoff>,
    ingresses: Vec<Option<Ingress>>,
    ingress_names: HashMap<NsName, IngressId>,
    hpas: Vec<Option<HorizontalPodAutoscaler>>,
    hpa_names: HashMap<NsName, HpaId>,
    next_uid: u64,
    changes: Vec<Change>,
    pub journal: Journal,
    pub stats: StoreStats,
}

/// The keys of one namespace in a map keyed by (namespace, name), in name order.
fn ns_range(namespace: &str) -> std::ops::RangeInclusive<NsName> {
    (namespace.to_string(), String::new())..=(namespace.to_string(), "\u{10FFFF}".repeat(2))
}

fn key_of(meta: &ObjectMeta) -> NsName {
    (meta.namespace.clone(), meta.name.clone())
}

impl Store {
    pub fn new(journal: Journal) -> Store {
        Store {
            nodes: Vec::new(),
            node_names: HashMap::default(),
            node_removed: Vec::new(),
            node_removed_at: Vec::new(),
            pods_on_node: Vec::new(),
            pods: Vec::new(),
            pod_owner: Vec::new(),
            pod_removed: Vec::new(),
            unreleased: Vec::new(),
            removed_job_live_pods: BTreeMap::new(),
            jobs_to_check: Vec::new(),
            job_orphans: BTreeMap::new(),
            pod_archive: PodArchive::default(),
            job_archive: JobArchive::default(),
            deleting_archived_jobs: BTreeSet::new(),
            active_pods: PodSet::default(),
            terminated: BTreeSet::new(),
            active_by_label: ActiveByLabel::default(),
            pod_names: NameIndex::default(),
            replica_sets: Vec::new(),
            rs_names: HashMap::default(),
            rs_pods: Vec::new(),
            rs_owner: Vec::new(),
            admitted: Vec::new(),
            deployments: Vec::new(),
            deployments_version: 0,
            deployment_names: HashMap::default(),
            deployment_rs: Vec::new(),
            services: Vec::new(),
            service_names: HashMap::default(),
            namespaces: BTreeMap::new(),
            namespaces_version: 0,
            // The API server creates the built-in classes before anything else; they are not
            // journaled, as they are part of every cluster.
            priority_classes: PriorityClass::system_classes().into_iter().map(|c| (c.meta.name.clone(), c)).collect(),
            pdbs: Vec::new(),
            pdb_names: HashMap::default(),
            configs: BTreeMap::new(),
            limit_ranges: BTreeMap::new(),
            quotas: BTreeMap::new(),
            jobs: Vec::new(),
            job_names: NameIndex::default(),
            job_pods: Vec::new(),
            admitted_shared: HashMap::default(),
            job_cronjob: BTreeMap::new(),
            cronjobs: Vec::new(),
            cronjob_names: HashMap::default(),
            cronjob_jobs: Vec::new(),
            cronjob_jobs_created: Vec::new(),
            statefulsets: Vec::new(),
            sts_names: HashMap::default(),
            rs_selectors: SelectorIndex::default(),
            service_selectors: SelectorIndex::default(),
            sts_selectors: SelectorIndex::default(),
            pdb_selectors: SelectorIndex::default(),
            sts_pods: Vec::new(),
            sts_revisions: Vec::new(),
            sts_admitted: Vec::new(),
            pvcs: Vec::new(),
            pvc_keys: Vec::new(),
            pvc_index: BTreeMap::new(),
            pvs: Vec::new(),
            pv_index: BTreeMap::new(),
            // Like the built-in PriorityClasses, part of every cluster, so not journaled.
            storage_classes: BTreeMap::from([(
                crate::api::storage::BUILTIN_CLASS.to_string(),
                StorageClass::builtin(),
            )]),
            daemonsets: Vec::new(),
            ds_names: HashMap::default(),
            ds_pods: Vec::new(),
            ds_backoff: Vec::new(),
            ingresses: Vec::new(),
            ingress_names: HashMap::default(),
            hpas: Vec::new(),
            hpa_names: HashMap::default(),
            next_uid: 1,
            changes: Vec::new(),
            journal,
            stats: StoreStats::default(),
        }
    }

    fn uid(&mut self) -> Uid {
        let u = Uid(self.next_uid);
        self.next_uid += 1;
        u
    }

    /// Takes the changes made since the last call (the engine's watch dispatch).
    pub fn drain_changes(&mut self, into: &mut Vec<Change>) {
        into.append(&mut self.changes);
    }

    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    // ----- namespaces -----

    pub fn namespace_exists(&self, name: &str) -> bool {
        self.namespaces.contains_key(name)
    }

    pub fn create_namespace(&mut self, now: SimTime, name: &str) {
        self.apply_namespace(now, name, &crate::api::meta::Labels::new());
    }

    /// Creates a namespace, or replaces the labels of an existing one.
    pub fn apply_namespace(&mut self, now: SimTime, name: &str, labels: &crate::api::meta::Labels) {
        if let Some(ns) = self.namespaces.get_mut(name) {
            if ns.meta.labels != *labels {
                ns.meta.labels = labels.clone();
                self.namespaces_version += 1;
            }
            return;
        }
        let uid = self.uid();
        let meta = ObjectMeta {
            name: name.to_string(),
            uid,
            creation_timestamp: now,
            labels: labels.clone(),
            ..ObjectMeta::default()
        };
        self.namespaces.insert(name.to_string(), Namespace { meta });
        self.namespaces_version += 1;
        self.journal.record(now, Record::NamespaceCreated { namespace: name.to_string() });
    }

    /// Whether the namespace is being deleted (phase Terminating).
    pub fn namespace_terminating(&self, name: &str) -> bool {
        self.namespaces.get(name).is_some_and(|ns| ns.meta.deletion_timestamp.is_some())
    }

    /// Starts deleting a namespace: phase Terminating, no new content admitted.
    pub fn mark_namespace_terminating(&mut self, now: SimTime, name: &str) {
        let Some(ns) = self.namespaces.get_mut(name) else { return };
        if ns.meta.deletion_timestamp.is_some() {
            return;
        }
        ns.meta.deletion_timestamp = Some(now);
        self.journal.record(now, Record::NamespaceTerminating { namespace: name.to_string() });
    }

    /// Removes a namespace object (its content is gone).
    pub fn remove_namespace(&mut self, now: SimTime, name: &str) {
        if self.namespaces.remove(name).is_some() {
            self.namespaces_version += 1;
            self.journal.record(now, Record::NamespaceDeleted { namespace: name.to_string() });
        }
    }

    /// Every object in a namespace, as references a deletion can take: workload controllers
    /// first (so that none recreates what goes next), then the other kinds, then the pods left
    /// and the claims; each kind by name.
    pub fn namespaced_objects(&self, namespace: &str) -> Vec<crate::api::meta::ObjectRef> {
        use crate::api::meta::ObjectRef;
        let r = |kind: Kind, name: &str| ObjectRef { kind, namespace: namespace.to_string(), name: name.to_string() };
        let mut out = Vec::new();
        let mut push = |kind: Kind, mut names: Vec<String>| {
            names.sort_unstable();
            out.extend(names.iter().map(|n| r(kind, n)));
        };
        let in_ns = |m: &ObjectMeta| (m.namespace == namespace).then(|| m.name.clone());
        push(Kind::CronJob, self.cronjob_ids().filter_map(|id| in_ns(&self.cronjob(id)?.meta)).collect());
        push(Kind::Deployment, self.deployment_ids().filter_map(|id| in_ns(&self.deployment(id)?.meta)).collect());
        push(Kind::StatefulSet, self.statefulset_ids().filter_map(|id| in_ns(&self.statefulset(id)?.meta)).collect());
        push(Kind::DaemonSet, self.daemonset_ids().filter_map(|id| in_ns(&self.daemonset(id)?.meta)).collect());
        push(
            Kind::Job,
            self.job_ids()
                .filter_map(|id| {
                    self.job_names(id).filter(|&(ns, _)| ns == namespace).map(|(_, name)| name.to_string())
                })
                .collect(),
        );
        push(Kind::ReplicaSet, self.replica_set_ids().filter_map(|id| in_ns(&self.replica_set(id)?.meta)).collect());
        push(Kind::HorizontalPodAutoscaler, self.hpa_ids().filter_map(|id| in_ns(&self.hpa(id)?.meta)).collect());
        push(Kind::Service, self.service_ids().filter_map(|id| in_ns(&self.service(id)?.meta)).collect());
        push(Kind::Ingress, self.ingress_ids().filter_map(|id| in_ns(&self.ingress(id)?.meta)).collect());
        push(Kind::PodDisruptionBudget, self.pdb_ids().filter_map(|id| in_ns(&self.pdb(id)?.meta)).collect());
        push(Kind::Pod, self.live_pods().filter_map(|p| in_ns(&self.pod(p).meta)).collect());
        for (source, kind) in [(ConfigSource::ConfigMap, Kind::ConfigMap), (ConfigSource::Secret, Kind::Secret)] {
            push(
                kind,
                self.configs.keys().filter(|(s, ns, _)| *s == source && ns == namespace).map(|k| k.2.clone()).collect(),
            );
        }
        push(Kind::LimitRange, self.limit_ranges.range(ns_range(namespace)).map(|(k, _)| k.1.clone()).collect());
        push(Kind::ResourceQuota, self.quotas.range(ns_range(namespace)).map(|(k, _)| k.1.clone()).collect());
        push(Kind::PersistentVolumeClaim, self.pvcs().filter_map(|c| in_ns(&c.meta)).collect());
        out
    }

    /// Every namespace's labels, sorted by name.
    pub fn namespace_labels(&self) -> Vec<(String, crate::api::meta::Labels)> {
        self.namespaces.iter().map(|(n, ns)| (n.clone(), ns.meta.labels.clone())).collect()
    }

    /// Changes whenever a namespace is created or relabelled.
    pub fn namespaces_version(&self) -> u64 {
        self.namespaces_version
    }

    // ----- nodes -----

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.node_names.get(name).copied()
    }

    /// The ids of the nodes that exist (removed nodes left out).
    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.nodes.len() as u32).map(NodeId).filter(|id| !self.node_removed[id.index()])
    }

    /// Every node slot ever allocated, removed nodes included (a removed node keeps the pods
    /// bound to it until the pod garbage collector deletes them).
    pub fn node_slots(&self) -> impl Iterator<Item = NodeId> + use<> {
        (0..self.nodes.len() as u32).map(NodeId)
    }

    /// The nodes that exist (removed nodes left out).
    pub fn live_nodes(&self) -> impl Iterator<Item = &Node> + '_ {
        self.nodes.iter().zip(&self.node_removed).filter(|(_, r)| !**r).map(|(n, _)| n)
    }

    /// How many nodes exist.
    pub fn node_count(&self) -> usize {
        self.node_removed.iter().filter(|r| !**r).count()
    }

    /// Whether the Node object of `id` was deleted.
    /// Whether the pod object was removed.
    pub fn is_pod_removed(&self, id: PodId) -> bool {
        self.pod_removed[id.index()]
    }

    pub fn is_node_removed(&self, id: NodeId) -> bool {
        self.node_removed[id.index()]
    }

    /// Deletes a Node object (`kubectl delete node`, or a cloud provider reclaiming the
    /// machine). The slot stays with its last state, its name is free in the index, and the
    /// pods bound to it stay bound until they are deleted.
    pub fn remove_node(&mut self, now: SimTime, id: NodeId) -> bool {
        if self.node_removed[id.index()] {
            return false;
        }
        self.node_removed[id.index()] = true;
        self.node_removed_at[id.index()] = Some(now);
        let name = self.nodes[id.index()].meta.name.clone();
        self.node_names.remove(&name);
        self.journal.record(now, Record::NodeRemoved { node: name });
        self.changes.push(Change::NodeRemoved(id));
        true
    }

    /// When the Node object of `id` was deleted, if it was.
    pub fn node_removed_at(&self, id: NodeId) -> Option<SimTime> {
        self.node_removed_at[id.index()]
    }

    /// Live pods bound to `node`.
    pub fn pods_on_node(&self, node: NodeId) -> &[PodId] {
        &self.pods_on_node[node.index()]
    }

    pub fn add_node(&mut self, now: SimTime, mut node: Node) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        node.meta.uid = self.uid();
        node.meta.creation_timestamp = now;
        self.node_names.insert(node.meta.name.clone(), id);
        self.journal.record(now, Record::NodeAdded { node: node.meta.name.clone() });
        self.nodes.push(node);
        self.node_removed.push(false);
        self.node_removed_at.push(None);
        self.pods_on_node.push(Vec::new());
        self.changes.push(Change::NodeAdded(id));
        id
    }

    /// Sets a node condition; returns whether it changed.
    pub fn set_node_condition(
        &mut self,
        now: SimTime,
        id: NodeId,
        which: NodeConditionType,
        status: ConditionStatus,
        reason: &'static str,
    ) -> bool {
        let node = &mut self.nodes[id.index()];
        let cond = match which {
            NodeConditionType::Ready => &mut node.conditions.ready,
            NodeConditionType::MemoryPressure => &mut node.conditions.memory_pressure,
            NodeConditionType::DiskPressure => &mut node.conditions.disk_pressure,
            NodeConditionType::PidPressure => &mut node.conditions.pid_pressure,
        };
        if cond.status == status && cond.reason == reason {
            return false;
        }
        let transition = cond.status != status;
        *cond = NodeCondition {
            status,
            reason,
            last_transition_time: if transition { now } else { cond.last_transition_time },
        };
        let name = node.meta.name.clone();
        self.journal.record(now, Record::NodeCondition { node: name, condition: which.as_str(), status, reason });
        self.changes.push(Change::NodeUpdated(id));
        true
    }

    /// Adds a taint unless one with the same key and effect is present.
    pub fn add_taint(&mut self, now: SimTime, id: NodeId, mut taint: Taint) -> bool {
        let node = &mut self.nodes[id.index()];
        if node.taints.iter().any(|t| t.matches(&taint)) {
            return false;
        }
        if taint.effect == crate::api::taint::TaintEffect::NoExecute {
            taint.time_added = Some(now);
        }
        let text = taint.to_string();
        node.taints.push(taint);
        let name = node.meta.name.clone();
        self.journal.record(now, Record::NodeTaint { node: name, taint: text, added: true });
        self.changes.push(Change::NodeUpdated(id));
        true
    }

    /// Removes the taint with this key and effect, if present.
    pub fn remove_taint(
        &mut self,
        now: SimTime,
        id: NodeId,
        key: &str,
        effect: crate::api::taint::TaintEffect,
    ) -> bool {
        let node = &mut self.nodes[id.index()];
        let Some(pos) = node.taints.iter().position(|t| t.key == key && t.effect == effect) else {
            return false;
        };
        let taint = node.taints.remove(pos);
        let name = node.meta.name.clone();
        self.journal.record(now, Record::NodeTaint { node: name, taint: taint.to_string(), added: false });
        self.changes.push(Change::NodeUpdated(id));
        true
    }

    pub fn set_unschedulable(&mut self, now: SimTime, id: NodeId, unschedulable: bool) -> bool {
        let node = &mut self.nodes[id.index()];
        if node.unschedulable == unschedulable {
            return false;
        }
        node.unschedulable = unschedulable;
        let name = node.meta.name.clone();
        self.journal.record(now, Record::NodeUnschedulable { node: name, unschedulable });
        self.changes.push(Change::NodeUpdated(id));
        true
    }

    /// Replaces labels, taints and resources of a node from an applied manifest.
    pub fn update_node_spec(&mut self, now: SimTime, id: NodeId, desired: &Node) {
        let node = &mut self.nodes[id.index()];
        node.meta.labels = desired.meta.labels.clone();
        node.capacity = desired.capacity.clone();
        node.allocatable = desired.allocatable.clone();
        node.allocatable_resources = desired.allocatable_resources.clone();
        node.images = desired.images.clone();
        // Controller-managed taints (node.kubernetes.io/*) are kept; user taints replaced.
        let managed: Vec<Taint> =
            node.taints.iter().filter(|t| t.key.starts_with("node.kubernetes.io/")).cloned().collect();
        node.taints = desired.taints.clone();
        for t in managed {
            if !node.taints.iter().any(|x| x.matches(&t)) {
                node.taints.push(t);
            }
        }
        let unschedulable = desired.unschedulable;
        self.changes.push(Change::NodeUpdated(id));
        self.set_unschedulable(now, id, unschedulable);
    }

    /// Journals a machine failure or recovery (the node object itself is unchanged: the
    /// control plane learns about it through missing heartbeats).
    pub fn journal_machine(&mut self, now: SimTime, id: NodeId, up: bool) {
        let node = self.nodes[id.index()].meta.name.clone();
        self.journal.record(now, if up { Record::NodeRecovered { node } } else { Record::NodeFailed { node } });
    }

    /// Journals a network partition between a node's kubelet and the API server, or its end
    /// (the node object itself is unchanged: the control plane notices through the missing
    /// heartbeats).
    pub fn journal_partition(&mut self, now: SimTime, id: NodeId, partitioned: bool) {
        let node = self.nodes[id.index()].meta.name.clone();
        self.journal
            .record(now, if partitioned { Record::NodePartitioned { node } } else { Record::NodeHealed { node } });
    }

    // ----- pods -----

    /// The whole pod. Every pod not removed is whole, and a removed one until it is archived
    /// ([`Store::release_removed`]): a removed pod's id may be read here only while its
    /// removal is being dispatched, or — a Job's pod — while its Job runs or one of the
    /// Job's pods is not removed. Panics on an archived pod; [`Store::pod_entry`] reads any.
    #[inline]
    pub fn pod(&self, id: PodId) -> &Pod {
        full(&self.pods, id)
    }

    /// What the run's outputs read of any pod ever created, whole or archived.
    pub fn pod_entry(&self, id: PodId) -> PodEntry<'_> {
        self.pods[id.index()].entry(&self.pod_archive)
    }

    /// Every pod ever created, in creation order, removed ones included (their
    /// `finished_at` is set).
    pub fn pod_entries(&self) -> impl DoubleEndedIterator<Item = PodEntry<'_>> + ExactSizeIterator + '_ {
        self.pods.iter().map(|slot| slot.entry(&self.pod_archive))
    }

    /// Whether the pod was removed and archived ([`Store::release_removed`]).
    pub fn is_archived(&self, id: PodId) -> bool {
        matches!(self.pods[id.index()], PodSlot::Archived(_))
    }

    pub fn pod_count(&self) -> usize {
        self.pods.len()
    }

    /// A pod to corrupt in tests of the invariant checker (never used by the simulation: every
    /// real change goes through a journaling method).
    #[cfg(test)]
    pub fn pod_mut_for_tests(&mut self, id: PodId) -> &mut Pod {
        full_mut(&mut self.pods, id)
    }

    pub fn is_removed(&self, id: PodId) -> bool {
        self.pod_removed[id.index()]
    }

    pub fn pod_id(&self, namespace: &str, name: &str) -> Option<PodId> {
        self.pod_names.get(namespace, name, pod_key(&self.pods))
    }

    /// Archives the removed pods nothing may read whole any more, once their removals have
    /// been dispatched to every watcher (the engine calls this when the watch stream is
    /// drained): each becomes its [`PodRecord`], what `pods.csv`, `packing.csv`, the metrics
    /// and `explain` read. A Job's removed pods wait until the Job is finished or removed
    /// and none of its pods is left (the Job controller reads an uncounted removed pod's
    /// exit code, conditions and index; the kubelet the indexes of a Job's earlier pods),
    /// and meanwhile drop their labels (a Job pod's are its own: the Job's uid and name
    /// under four keys), which nothing reads after the removal.
    pub fn release_removed(&mut self) {
        if self.unreleased.is_empty() && self.jobs_to_check.is_empty() {
            return;
        }
        // The lists are taken and put back, emptied, to keep their capacity.
        let mut removed = std::mem::take(&mut self.unreleased);
        for &id in &removed {
            match self.job_member(id) {
                Some(job) => {
                    full_mut(&mut self.pods, id).meta.labels = crate::api::meta::Labels::new();
                    self.jobs_to_check.push(job);
                }
                None => self.archive(id),
            }
        }
        removed.clear();
        self.unreleased = removed;
        let mut jobs = std::mem::take(&mut self.jobs_to_check);
        jobs.sort_unstable();
        jobs.dedup();
        for &job in &jobs {
            let done = self.jobs[job.index()].live().is_none_or(|j| j.status.is_finished());
            if done && self.job_live_pod_count(job) == 0 {
                for i in 0..self.job_pods[job.index()].as_slice().len() {
                    let pod = self.job_pods[job.index()].as_slice()[i];
                    self.archive(pod);
                    self.job_orphans.remove(&pod);
                }
                self.archive_job(job);
            }
        }
        jobs.clear();
        self.jobs_to_check = jobs;
    }

    /// The Job's pods not removed, whatever became of the Job.
    fn job_live_pod_count(&self, job: JobId) -> u32 {
        match &self.jobs[job.index()] {
            JobSlot::Live(live) => live.live_pods,
            JobSlot::Archived(_) => 0,
            JobSlot::Removed => self.removed_job_live_pods.get(&job).copied().unwrap_or(0),
        }
    }

    /// Counts a pod of the Job created (`true`) or removed.
    fn count_job_pod(&mut self, job: JobId, created: bool) {
        match &mut self.jobs[job.index()] {
            JobSlot::Live(live) if created => live.live_pods += 1,
            JobSlot::Live(live) => live.live_pods -= 1,
            JobSlot::Archived(_) => unreachable!("an archived Job has no pod left"),
            JobSlot::Removed => {
                let count = self.removed_job_live_pods.entry(job).or_insert(0);
                if created {
                    *count += 1;
                } else {
                    *count -= 1;
                    if *count == 0 {
                        self.removed_job_live_pods.remove(&job);
                    }
                }
            }
        }
    }

    /// The Job whose list of pods holds the pod: its controller, or the one it was orphaned
    /// from.
    fn job_member(&self, id: PodId) -> Option<JobId> {
        self.pod_job(id).or_else(|| self.job_orphans.get(&id).copied())
    }

    /// Replaces a removed pod by its record (nothing if it is archived already).
    fn archive(&mut self, id: PodId) {
        debug_assert!(self.pod_removed[id.index()], "only removed pods are archived");
        let slot = &mut self.pods[id.index()];
        if let PodSlot::Full(pod) = slot {
            *slot = PodSlot::Archived(self.pod_archive.push(pod));
        }
    }

    /// Replaces a finished Job by its record, if it is a workload's (nothing names it) and
    /// nothing is left to happen to it: no TTL to expire, no deletion under way, no owner.
    /// The caller has checked that none of its pods is left.
    fn archive_job(&mut self, id: JobId) {
        let Some(job) = self.jobs[id.index()].live() else { return };
        let quiet = job.status.is_finished()
            && job.spec.ttl_seconds_after_finished.is_none()
            && job.meta.deletion_timestamp.is_none()
            && job.meta.owner_references.is_empty()
            && !self.job_cronjob.contains_key(&id);
        if !(matches!(&self.jobs[id.index()], JobSlot::Live(live) if live.archivable) && quiet) {
            return;
        }
        self.jobs[id.index()] = JobSlot::Archived(self.job_archive.push(job));
    }

    pub fn pod_owner(&self, id: PodId) -> Option<PodOwner> {
        self.pod_owner[id.index()]
    }

    /// The ReplicaSet controlling the pod, if any.
    pub fn pod_rs(&self, id: PodId) -> Option<RsId> {
        match self.pod_owner[id.index()] {
            Some(PodOwner::ReplicaSet(rs)) => Some(rs),
            _ => None,
        }
    }

    /// The Job controlling the pod, if any.
    pub fn pod_job(&self, id: PodId) -> Option<JobId> {
        match self.pod_owner[id.index()] {
            Some(PodOwner::Job(job)) => Some(job),
            _ => None,
        }
    }

    /// Live pods, in creation order.
    pub fn live_pods(&self) -> impl Iterator<Item = PodId> + '_ {
        (0..self.pods.len() as u32).map(PodId).filter(|id| !self.pod_removed[id.index()])
    }

    /// Live pods whose phase is not terminal, in id order (a subsequence of `live_pods`).
    pub fn active_pods(&self) -> impl Iterator<Item = PodId> + '_ {
        self.active_pods.iter()
    }

    /// Active pods of `namespace` that may match `selector`, in id order: those carrying the
    /// value of one of its `=` / `in` requirements (the fewest such), else every active pod.
    /// Callers still check the namespace and the selector.
    pub fn active_pods_for<'a>(
        &'a self,
        namespace: &str,
        selector: &crate::api::selector::LabelSelector,
    ) -> Box<dyn Iterator<Item = PodId> + 'a> {
        use crate::api::selector::Operator;
        let mut best: Option<Vec<&'a BTreeSet<PodId>>> = None;
        for r in selector.requirements() {
            if !matches!(r.operator(), Operator::Equals | Operator::In) {
                continue;
            }
            // A key no Service asked for is not filed: this requirement cannot narrow.
            if !self.active_by_label.files(r.key()) {
                continue;
            }
            let sets: Vec<&BTreeSet<PodId>> =
                r.values().iter().filter_map(|v| self.active_by_label.index.get(namespace, r.key(), v)).collect();
            let size: usize = sets.iter().map(|s| s.len()).sum();
            if best.as_ref().is_none_or(|b| b.iter().map(|s| s.len()).sum::<usize>() > size) {
                best = Some(sets);
            }
        }
        match best {
            Some(sets) if !selector.is_nothing() => {
                let mut ids: Vec<PodId> = sets.into_iter().flatten().copied().collect();
                ids.sort_unstable();
                ids.dedup();
                Box::new(ids.into_iter())
            }
            _ => Box::new(self.active_pods()),
        }
    }

    /// Services whose selector may select a pod of `namespace` with `labels` (a superset of
    /// those that do; callers test each), in id order.
    pub fn services_selecting(&self, namespace: &str, labels: &crate::api::meta::Labels) -> Candidates<ServiceId> {
        self.service_selectors.candidates(namespace, labels)
    }

    /// ReplicaSets whose selector may select such a pod, in id order.
    pub fn replica_sets_selecting(&self, namespace: &str, labels: &crate::api::meta::Labels) -> Candidates<RsId> {
        self.rs_selectors.candidates(namespace, labels)
    }

    /// StatefulSets whose selector may select such a pod, in id order.
    pub fn statefulsets_selecting(&self, namespace: &str, labels: &crate::api::meta::Labels) -> Candidates<StsId> {
        self.sts_selectors.candidates(namespace, labels)
    }

    /// PodDisruptionBudgets whose selector may select such a pod, in id order.
    pub fn pdbs_selecting(&self, namespace: &str, labels: &crate::api::meta::Labels) -> Candidates<PdbId> {
        self.pdb_selectors.candidates(namespace, labels)
    }

    /// Whether the selector indexes hold exactly the live objects' selectors (for the
    /// invariant checker).
    pub fn selector_indexes_are_consistent(&self) -> bool {
        fn rebuilt<'a, Id: Ord + Copy>(
            objects: impl Iterator<Item = (Id, &'a ObjectMeta, Option<&'a LabelSelector>)>,
        ) -> SelectorIndex<Id> {
            let mut index = SelectorIndex::default();
            for (id, meta, selector) in objects {
                if let Some(selector) = selector {
                    index.add(&meta.namespace, selector, id);
                }
            }
            index
        }
        let rs = rebuilt(self.replica_set_ids().filter_map(|id| {
            let r = self.replica_set(id)?;
            Some((id, &r.meta, Some(&r.selector)))
        }));
        let services = rebuilt(self.service_ids().filter_map(|id| {
            let x = self.service(id)?;
            Some((id, &x.meta, Some(&x.selector)))
        }));
        let sts = rebuilt(self.statefulset_ids().filter_map(|id| {
            let x = self.statefulset(id)?;
            Some((id, &x.meta, Some(&x.selector)))
        }));
        let pdbs = rebuilt(self.pdb_ids().filter_map(|id| {
            let x = self.pdb(id)?;
            Some((id, &x.meta, x.selector.as_ref()))
        }));
        self.rs_selectors.agrees_with(&rs)
            && self.service_selectors.agrees_with(&services)
            && self.sts_selectors.agrees_with(&sts)
            && self.pdb_selectors.agrees_with(&pdbs)
    }

    /// How many live pods are in a terminal phase (Succeeded or Failed).
    pub fn terminated_count(&self) -> usize {
        self.terminated.len()
    }

    /// The `n` live terminated pods the pod garbage collector deletes first
    /// (`byEvictionAndCreationTimestamp`).
    pub fn oldest_terminated(&self, n: usize) -> Vec<PodId> {
        self.terminated.iter().take(n).map(|k| k.id).collect()
    }

    /// Whether the terminated-pod index holds exactly the live terminal pods, each under its
    /// current key (for the invariant checker).
    pub fn terminated_index_is_consistent(&self) -> bool {
        let expected: BTreeSet<TerminatedKey> = (0..self.pods.len())
            .filter(|&i| !self.pod_removed[i] && full(&self.pods, PodId(i as u32)).status.phase.is_terminal())
            .map(|i| TerminatedKey::of(PodId(i as u32), full(&self.pods, PodId(i as u32))))
            .collect();
        expected == self.terminated
    }

    /// PodGC's `gcTerminated` deletion of a terminated pod: grace period 0, no condition, its
    /// status left as it is; the object goes at once.
    pub fn delete_terminated_pod(&mut self, now: SimTime, id: PodId, reason: &'static str) {
        let pod = full_mut(&mut self.pods, id);
        debug_assert!(pod.status.phase.is_terminal(), "gcTerminated deletes only terminated pods");
        if pod.meta.deletion_timestamp.is_none() {
            pod.meta.deletion_timestamp = Some(now);
            pod.meta.deletion_grace_period_seconds = Some(0);
            self.journal.keyed(now, &pod.meta, PodEvent::Deleting { reason });
            self.changes.push(Change::PodDeleting(id));
        }
        self.remove_pod(now, id);
    }

    /// Files the active pods under the keys of `selector`'s `=` / `in` requirements, those
    /// not filed yet ([`active_pods_for`](Self::active_pods_for) narrows by them).
    fn file_active_pods_by(&mut self, selector: &crate::api::selector::LabelSelector) {
        use crate::api::selector::Operator;
        for r in selector.requirements() {
            if matches!(r.operator(), Operator::Equals | Operator::In) && !self.active_by_label.files(r.key()) {
                let pods = &self.pods;
                let active = self.active_pods.iter().map(|id| (id, &full(pods, id).meta));
                self.active_by_label.file_key(r.key(), active);
            }
        }
    }

    /// Whether the label index holds exactly the active pods' labels (for the invariant
    /// checker).
    pub fn active_label_index_is_consistent(&self) -> bool {
        let mut expected = ActiveByLabel { keys: self.active_by_label.keys.clone(), index: LabelIndex::default() };
        for id in self.active_pods.iter() {
            expected.file(&full(&self.pods, id).meta, id, true);
        }
        expected == self.active_by_label
    }

    /// Creates a pod: assigns uid and creation time, applies admission (priority from its
    /// PriorityClass, default NoExecute tolerations), names `generateName` pods. The caller has
    /// checked the name is free. Panics if admission refuses the pod: callers that may create
    /// such pods use [`try_create_pod`](Self::try_create_pod).
    pub fn create_pod(&mut self, now: SimTime, pod: Pod, owner: Option<PodOwner>) -> PodId {
        self.try_create_pod(now, pod, owner).unwrap_or_else(|e| panic!("pod refused by admission: {e}"))
    }

    /// [`create_pod`](Self::create_pod), or the reason the Priority admission plugin refuses
    /// the pod (nothing is created then).
    pub fn try_create_pod(&mut self, now: SimTime, mut pod: Pod, owner: Option<PodOwner>) -> Result<PodId, String> {
        // NamespaceLifecycle: nothing new in a namespace being deleted.
        if self.namespace_terminating(&pod.meta.namespace) {
            return Err(format!(
                "unable to create new content in namespace {} because it is being terminated",
                pod.meta.namespace
            ));
        }
        // Admission applies to pods, not templates. Pods of one ReplicaSet (or Job) share one
        // admitted spec, computed once per template (and again after PriorityClasses change).
        let slot = match owner {
            Some(PodOwner::ReplicaSet(rs)) => Some(&self.admitted[rs.index()]),
            Some(PodOwner::Job(job)) => Some(match &self.jobs[job.index()] {
                JobSlot::Live(live) => &live.admitted,
                _ => &None,
            }),
            Some(PodOwner::StatefulSet(sts)) => Some(&self.sts_admitted[sts.index()]),
            // Each daemon pod has a spec of its own (pinned to its node).
            Some(PodOwner::DaemonSet(_)) | None => None,
        };
        pod.spec = match slot {
            Some(Some((source, admitted))) if Arc::ptr_eq(source, &pod.spec) => admitted.clone(),
            Some(_) => {
                let admitted = self.admit_shared(&pod.spec)?;
                let entry = Some((pod.spec.clone(), admitted.clone()));
                match owner {
                    Some(PodOwner::ReplicaSet(rs)) => self.admitted[rs.index()] = entry,
                    Some(PodOwner::Job(job)) => {
                        if let JobSlot::Live(live) = &mut self.jobs[job.index()] {
                            live.admitted = entry;
                        }
                    }
                    Some(PodOwner::StatefulSet(sts)) => self.sts_admitted[sts.index()] = entry,
                    Some(PodOwner::DaemonSet(_)) | None => {}
                }
                admitted
            }
            None if matches!(owner, Some(PodOwner::DaemonSet(_))) => self.admit(&pod.spec)?,
            None => self.admit_shared(&pod.spec)?,
        };
        // LimitRanger, then the quota admission, per pod (usage changes from one to the next).
        pod.spec = self.admit_namespace(&pod.meta.namespace, pod.spec)?;
        let id = PodId(self.pods.len() as u32);
        pod.meta.uid = self.uid();
        pod.meta.creation_timestamp = now;
        let controller = pod.meta.controller_ref().map_or(("", None), |o| (o.kind.resource(), Some(o.name.as_str())));
        self.journal.keyed(now, &pod.meta, PodEvent::Created { owner: controller });
        if !pod.status.phase.is_terminal() {
            self.active_pods.insert(id);
            self.active_by_label.file(&pod.meta, id, true);
        }
        self.pods.push(PodSlot::Full(Box::new(pod)));
        self.pod_names.insert(id, pod_key(&self.pods));
        self.pod_owner.push(owner);
        self.pod_removed.push(false);
        match owner {
            Some(PodOwner::ReplicaSet(rs)) => self.rs_pods[rs.index()].push(id),
            Some(PodOwner::Job(job)) => {
                self.job_pods[job.index()].push(id);
                self.count_job_pod(job, true);
            }
            Some(PodOwner::StatefulSet(sts)) => self.sts_pods[sts.index()].push(id),
            Some(PodOwner::DaemonSet(ds)) => self.ds_pods[ds.index()].push(id),
            None => {}
        }
        self.stats.pods_created += 1;
        self.changes.push(Change::PodCreated(id));
        Ok(id)
    }

    /// [`admit`](Self::admit), computed once per source spec (while PriorityClasses do not
    /// change).
    fn admit_shared(&mut self, spec: &Arc<PodSpec>) -> Result<Arc<PodSpec>, String> {
        let key = Arc::as_ptr(spec) as usize;
        if let Some((source, admitted)) = self.admitted_shared.get(&key)
            && Arc::ptr_eq(source, spec)
        {
            return Ok(admitted.clone());
        }
        let admitted = self.admit(spec)?;
        if self.admitted_shared.len() >= ADMITTED_SHARED {
            self.admitted_shared.clear();
        }
        self.admitted_shared.insert(key, (spec.clone(), admitted.clone()));
        Ok(admitted)
    }

    /// Pod admission as the API server runs it on creation: the Priority plugin
    /// (`priorityClassName` → `priority`, `preemptionPolicy`), then DefaultTolerationSeconds.
    pub fn admit(&self, spec: &Arc<PodSpec>) -> Result<Arc<PodSpec>, String> {
        let a = crate::api::scheduling::admit_priority(
            &spec.priority_class_name,
            spec.written_priority,
            spec.preemption_policy,
            |name| self.priority_classes.get(name),
            self.default_priority_class(),
        )?;
        let mut tolerations = spec.tolerations.clone();
        add_default_tolerations(&mut tolerations);
        let policy = a.preemption_policy.or(spec.preemption_policy);
        if tolerations.len() == spec.tolerations.len()
            && a.priority == spec.priority
            && spec.written_priority == Some(a.priority)
            && a.class_name == spec.priority_class_name
            && policy == spec.preemption_policy
        {
            return Ok(spec.clone());
        }
        let mut admitted = PodSpec::clone(spec);
        admitted.tolerations = tolerations;
        admitted.priority = a.priority;
        admitted.written_priority = Some(a.priority);
        admitted.priority_class_name = a.class_name;
        admitted.preemption_policy = policy;
        Ok(Arc::new(admitted))
    }

    /// The namespace's admission plugins: LimitRanger (defaults, then min/max/ratio checks)
    /// and ResourceQuota (every quota of the namespace must have room for the pod).
    pub fn admit_namespace(&self, namespace: &str, spec: Arc<PodSpec>) -> Result<Arc<PodSpec>, String> {
        if self.limit_ranges.is_empty() && self.quotas.is_empty() {
            return Ok(spec);
        }
        let ranges: Vec<&LimitRange> = self.limit_ranges.range(ns_range(namespace)).map(|(_, r)| r).collect();
        let spec =
            if ranges.is_empty() { spec } else { Arc::new(crate::api::quota::apply_limit_ranges(&spec, &ranges)?) };
        for (_, quota) in self.quotas.range(ns_range(namespace)) {
            let used = self.quota_usage(quota);
            crate::api::quota::check_quota(quota, &used, &spec)?;
        }
        Ok(spec)
    }

    /// A quota's current usage: its names summed over the namespace's pods that are neither
    /// terminal nor removed.
    pub fn quota_usage(&self, quota: &ResourceQuota) -> BTreeMap<String, i64> {
        let mut used: BTreeMap<String, i64> = quota.hard.keys().map(|k| (k.clone(), 0)).collect();
        for p in self.live_pods() {
            let pod = self.pod(p);
            if pod.meta.namespace != quota.meta.namespace || pod.status.phase.is_terminal() {
                continue;
            }
            for (name, amount) in crate::api::quota::pod_usage(quota, &pod.spec) {
                *used.entry(name).or_insert(0) += amount;
            }
        }
        used
    }

    pub fn limit_range(&self, namespace: &str, name: &str) -> Option<&LimitRange> {
        self.limit_ranges.get(&(namespace.to_string(), name.to_string()))
    }

    pub fn resource_quota(&self, namespace: &str, name: &str) -> Option<&ResourceQuota> {
        self.quotas.get(&(namespace.to_string(), name.to_string()))
    }

    /// Creates or replaces a LimitRange (it applies to pods created from now on).
    pub fn put_limit_range(&mut self, now: SimTime, mut range: LimitRange) {
        let key = key_of(&range.meta);
        if self.limit_ranges.get(&key).is_some_and(|old| old.limits == range.limits) {
            return;
        }
        range.meta.uid = self.uid();
        range.meta.creation_timestamp = now;
        self.journal.record(
            now,
            Record::ConfigPut { kind: "LimitRange", name: range.meta.key(), keys: range.limits.len() as u32 },
        );
        self.limit_ranges.insert(key, range);
    }

    /// Creates or replaces a ResourceQuota.
    pub fn put_resource_quota(&mut self, now: SimTime, mut quota: ResourceQuota) {
        let key = key_of(&quota.meta);
        if self.quotas.get(&key).is_some_and(|old| old.hard == quota.hard) {
            return;
        }
        quota.meta.uid = self.uid();
        quota.meta.creation_timestamp = now;
        self.journal.record(
            now,
            Record::ConfigPut { kind: "ResourceQuota", name: quota.meta.key(), keys: quota.hard.len() as u32 },
        );
        self.quotas.insert(key, quota);
    }

    pub fn remove_limit_range(&mut self, now: SimTime, namespace: &str, name: &str) -> bool {
        let Some(r) = self.limit_ranges.remove(&(namespace.to_string(), name.to_string())) else { return false };
        self.journal.record(now, Record::ConfigDeleted { kind: "LimitRange", name: r.meta.key() });
        true
    }

    pub fn remove_resource_quota(&mut self, now: SimTime, namespace: &str, name: &str) -> bool {
        let Some(q) = self.quotas.remove(&(namespace.to_string(), name.to_string())) else { return false };
        self.journal.record(now, Record::ConfigDeleted { kind: "ResourceQuota", name: q.meta.key() });
        true
    }

    /// Sets or clears `status.nominatedNodeName` (preemption). Returns whether it changed.
    pub fn set_nominated_node(&mut self, now: SimTime, id: PodId, node: Option<NodeId>) -> bool {
        let pod = full_mut(&mut self.pods, id);
        if pod.status.nominated_node == node {
            return false;
        }
        pod.status.nominated_node = node;
        let key = pod.meta.key();
        let node = node.map(|n| self.nodes[n.index()].meta.name.clone()).unwrap_or_default();
        self.journal.record(now, Record::PodNominated { pod: key, node });
        true
    }

    /// Counts one successful preemption and the victims it deleted (deleted separately; those
    /// already being deleted are not counted again).
    pub fn count_preemption(&mut self, victims: usize) {
        self.stats.preemptions += 1;
        self.stats.pods_preempted += victims as u64;
    }

    /// Binds a pod to a node (`PodScheduled=True`, `spec.nodeName`).
    pub fn bind_pod(&mut self, now: SimTime, id: PodId, node: NodeId) {
        let pod = full_mut(&mut self.pods, id);
        debug_assert!(pod.status.node.is_none(), "pod bound twice");
        pod.status.node = Some(node);
        pod.status.scheduled_at = Some(now);
        pod.status.set_unschedulable_reason(None);
        self.pods_on_node[node.index()].push(id);
        self.stats.pods_scheduled += 1;
        let bound = PodEvent::Bound { node: &self.nodes[node.index()].meta.name };
        self.journal.keyed(now, &pod.meta, bound);
        self.changes.push(Change::PodBound(id));
    }

    /// Records a failed scheduling attempt (`PodScheduled=False`, reason Unschedulable).
    pub fn set_unschedulable_pod(&mut self, now: SimTime, id: PodId, message: &Arc<str>) {
        let pod = full_mut(&mut self.pods, id);
        // A pod retried while nothing changed gets the same message: no copy of it then (and,
        // read back from the scheduler's memo, the same allocation: no comparison either; an
        // equal message in another allocation takes the place of the pod's, for the next time).
        if let Some(m) = pod.status.unschedulable_reason_shared() {
            if Arc::ptr_eq(m, message) {
                return;
            }
            if m == message {
                pod.status.set_unschedulable_reason(Some(message.clone()));
                return;
            }
        }
        pod.status.set_unschedulable_reason(Some(message.clone()));
        let key = pod.meta.key();
        self.journal.record(now, Record::PodUnschedulable { pod: key, message: message.to_string() });
    }

    /// The container (re)starts: phase Running, container Running.
    pub fn start_pod(&mut self, now: SimTime, id: PodId, restart: bool) {
        let pod = full_mut(&mut self.pods, id);
        if restart {
            pod.status.restart_count += 1;
        }
        if pod.status.start_time.is_none() {
            pod.status.start_time = Some(now);
        }
        if pod.status.ready_transition.is_none() {
            // The kubelet's first status of the pod carries Ready=False from this instant.
            pod.status.ready_transition = Some(now);
        }
        pod.status.container = ContainerState::Running { started_at: now };
        pod.status.set_waiting("", String::new());
        let phase_changed = pod.status.phase != PodPhase::Running;
        pod.status.phase = PodPhase::Running;
        let restart_count = pod.status.restart_count;
        self.journal.keyed(now, &pod.meta, PodEvent::Started { restart_count });
        if phase_changed {
            let running = PodEvent::Phase { phase: PodPhase::Running.as_str() };
            self.journal.keyed(now, &pod.meta, running);
        }
        self.changes.push(Change::PodStatus(id));
    }

    /// The kubelet cannot start the container yet: records why (journaled when it changes).
    pub fn set_pod_waiting(&mut self, now: SimTime, id: PodId, reason: &'static str, message: String) {
        let pod = full_mut(&mut self.pods, id);
        if pod.status.waiting_reason() == reason && pod.status.waiting_message() == message {
            return;
        }
        pod.status.set_waiting(reason, message.clone());
        let key = pod.meta.key();
        self.journal.record(now, Record::PodWaiting { pod: key, reason, message });
        self.changes.push(Change::PodStatus(id));
    }

    /// Sets the pod's Ready condition; returns whether it changed.
    pub fn set_pod_ready(&mut self, now: SimTime, id: PodId, ready: bool, reason: &'static str) -> bool {
        let pod = full_mut(&mut self.pods, id);
        if pod.status.ready_since.is_some() == ready {
            return false;
        }
        pod.status.ready_since = ready.then_some(now);
        pod.status.ready_transition = Some(now);
        if ready && pod.status.first_ready_at.is_none() {
            pod.status.first_ready_at = Some(now);
        }
        self.journal.keyed(now, &pod.meta, PodEvent::Ready { ready, reason });
        self.changes.push(Change::PodStatus(id));
        true
    }

    /// The container exited with `exit_code`.
    pub fn container_exited(&mut self, now: SimTime, id: PodId, exit_code: i32) {
        let pod = full_mut(&mut self.pods, id);
        pod.status.container = ContainerState::Terminated { exit_code, finished_at: now };
        pod.status.last_termination_reason = if exit_code == 0 { "Completed" } else { "Error" };
        pod.status.last_exit_code = exit_code;
        self.journal.keyed(now, &pod.meta, PodEvent::Exited { exit_code });
        self.changes.push(Change::PodStatus(id));
    }

    /// The container was killed (`reason`: `OOMKilled` by the kernel, `LivenessProbeFailed` or
    /// `StartupProbeFailed` by the kubelet) and exited with `exit_code`.
    pub fn container_killed(&mut self, now: SimTime, id: PodId, exit_code: i32, reason: &'static str) {
        let pod = full_mut(&mut self.pods, id);
        pod.status.container = ContainerState::Terminated { exit_code, finished_at: now };
        pod.status.last_termination_reason = if reason == "OOMKilled" { reason } else { "Error" };
        pod.status.last_exit_code = exit_code;
        let key = pod.meta.key();
        self.journal.record(now, Record::PodKilled { pod: key, reason, exit_code });
        self.changes.push(Change::PodStatus(id));
    }

    /// The container state is lost (machine crash) without an exit being observed.
    pub fn container_lost(&mut self, id: PodId) {
        full_mut(&mut self.pods, id).status.container = ContainerState::Waiting;
    }

    /// Sets a terminal (or other) phase.
    pub fn set_pod_phase(&mut self, now: SimTime, id: PodId, phase: PodPhase) {
        let pod = full_mut(&mut self.pods, id);
        if pod.status.phase == phase {
            return;
        }
        pod.status.phase = phase;
        if phase.is_terminal() {
            if self.active_pods.remove(id) {
                self.active_by_label.file(&pod.meta, id, false);
            }
            if !self.pod_removed[id.index()] {
                self.terminated.insert(TerminatedKey::of(id, pod));
            }
            pod.status.finished_at = Some(now);
            if pod.status.ready_since.take().is_some() {
                pod.status.ready_transition = Some(now);
            }
        }
        self.journal.keyed(now, &pod.meta, PodEvent::Phase { phase: phase.as_str() });
        self.changes.push(Change::PodStatus(id));
    }

    /// The kubelet refused to run the pod (admission): phase Failed with `reason`.
    pub fn reject_pod(&mut self, now: SimTime, id: PodId, reason: &str) {
        full_mut(&mut self.pods, id).status.reason = Cow::Owned(reason.to_string());
        self.set_pod_phase(now, id, PodPhase::Failed);
    }

    /// Starts graceful deletion: sets `deletionTimestamp` (`now + grace`) and the reason.
    /// Returns false if the pod was already being deleted.
    pub fn mark_pod_deleting(&mut self, now: SimTime, id: PodId, reason: &'static str, disruption: bool) -> bool {
        let pod = full_mut(&mut self.pods, id);
        if pod.meta.deletion_timestamp.is_some() {
            return false;
        }
        let grace = pod.spec.termination_grace_period_seconds.max(0);
        pod.meta.deletion_timestamp = Some(now.saturating_add(crate::kernel::SimDuration::from_secs(grace as u64)));
        pod.meta.deletion_grace_period_seconds = Some(grace);
        if disruption {
            pod.status.set_disruption_target(Some(reason.to_string()));
        }
        if pod.status.reason.is_empty() {
            pod.status.reason = Cow::Borrowed(reason);
        }
        self.journal.keyed(now, &pod.meta, PodEvent::Deleting { reason });
        self.changes.push(Change::PodDeleting(id));
        true
    }

    /// Removes the pod object (the kubelet confirmed termination, or it never ran).
    pub fn remove_pod(&mut self, now: SimTime, id: PodId) {
        if self.pod_removed[id.index()] {
            return;
        }
        self.pod_removed[id.index()] = true;
        let pod = full_mut(&mut self.pods, id);
        if self.active_pods.remove(id) {
            self.active_by_label.file(&pod.meta, id, false);
        } else if pod.status.phase.is_terminal() {
            self.terminated.remove(&TerminatedKey::of(id, pod));
        }
        if pod.status.finished_at.is_none() {
            pod.status.finished_at = Some(now);
        }
        pod.status.ready_since = None;
        if let Some(node) = pod.status.node {
            let list = &mut self.pods_on_node[node.index()];
            if let Some(pos) = list.iter().position(|p| *p == id) {
                list.remove(pos);
            }
        }
        let owned = match self.pod_owner[id.index()] {
            Some(PodOwner::ReplicaSet(rs)) => Some(&mut self.rs_pods[rs.index()]),
            Some(PodOwner::StatefulSet(sts)) => Some(&mut self.sts_pods[sts.index()]),
            Some(PodOwner::DaemonSet(ds)) => Some(&mut self.ds_pods[ds.index()]),
            Some(PodOwner::Job(_)) | None => None,
        };
        if let Some(list) = owned
            && let Some(pos) = list.iter().position(|p| *p == id)
        {
            list.remove(pos);
        }
        if let Some(job) = self.job_member(id) {
            self.count_job_pod(job, false);
        }
        self.pod_names.remove(id, pod_key(&self.pods));
        self.stats.pods_removed += 1;
        self.unreleased.push(id);
        let pod = full(&self.pods, id);
        self.journal.keyed(now, &pod.meta, PodEvent::Removed);
        self.changes.push(Change::PodRemoved(id));
    }

    // ----- replica sets -----

    pub fn replica_set(&self, id: RsId) -> Option<&ReplicaSet> {
        self.replica_sets[id.index()].as_ref()
    }

    pub fn rs_id(&self, namespace: &str, name: &str) -> Option<RsId> {
        self.rs_names.get(&(namespace.to_string(), name.to_string())).copied()
    }

    pub fn rs_owner(&self, id: RsId) -> Option<DeploymentId> {
        self.rs_owner[id.index()]
    }

    /// Live pods controlled by the ReplicaSet.
    pub fn rs_pods(&self, id: RsId) -> &[PodId] {
        &self.rs_pods[id.index()]
    }

    pub fn replica_set_ids(&self) -> impl Iterator<Item = RsId> + '_ {
        (0..self.replica_sets.len() as u32).map(RsId).filter(|id| self.replica_sets[id.index()].is_some())
    }

    pub fn create_replica_set(&mut self, now: SimTime, mut rs: ReplicaSet, owner: Option<DeploymentId>) -> RsId {
        let id = RsId(self.replica_sets.len() as u32);
        rs.meta.uid = self.uid();
        rs.meta.creation_timestamp = now;
        rs.meta.generation = 1;
        self.rs_names.insert(key_of(&rs.meta), id);
        self.journal.record(now, Record::ReplicaSetCreated { rs: rs.meta.key(), replicas: rs.replicas });
        self.rs_selectors.add(&rs.meta.namespace, &rs.selector, id);
        self.replica_sets.push(Some(rs));
        self.rs_pods.push(Vec::new());
        self.rs_owner.push(owner);
        self.admitted.push(None);
        if let Some(d) = owner {
            self.deployment_rs[d.index()].push(id);
        }
        self.changes.push(Change::ReplicaSet(id));
        id
    }

    /// Sets `spec.replicas` and, optionally, annotations (the Deployment controller's scale).
    pub fn scale_replica_set(&mut self, now: SimTime, id: RsId, replicas: i32, annotations: &[(&str, String)]) -> bool {
        let Some(rs) = self.replica_sets[id.index()].as_mut() else { return false };
        let mut changed = false;
        for (k, v) in annotations {
            if rs.meta.annotations.get(k) != Some(v) {
                rs.meta.annotations.insert((*k).to_string(), v.clone());
                changed = true;
            }
        }
        let from = rs.replicas;
        if from != replicas {
            rs.replicas = replicas;
            rs.meta.generation += 1;
            self.journal.record(now, Record::ReplicaSetScaled { rs: rs.meta.key(), from, to: replicas });
            changed = true;
        }
        if changed {
            self.changes.push(Change::ReplicaSet(id));
        }
        changed
    }

    /// Updates the ReplicaSet's status (no journal record: status is derived).
    pub fn set_replica_set_status(&mut self, id: RsId, status: crate::api::workload::ReplicaSetStatus) -> bool {
        let Some(rs) = self.replica_sets[id.index()].as_mut() else { return false };
        if rs.status == status {
            return false;
        }
        rs.status = status;
        self.changes.push(Change::ReplicaSet(id));
        true
    }

    /// Replaces a ReplicaSet's spec from an applied manifest.
    pub fn update_replica_set_spec(&mut self, now: SimTime, id: RsId, desired: &ReplicaSet) {
        let Some(rs) = self.replica_sets[id.index()].as_mut() else { return };
        let template = desired.template.clone();
        let from = rs.replicas;
        rs.replicas = desired.replicas;
        rs.min_ready_seconds = desired.min_ready_seconds;
        rs.template = template;
        rs.meta.labels = desired.meta.labels.clone();
        rs.meta.generation += 1;
        if from != rs.replicas {
            self.journal.record(now, Record::ReplicaSetScaled { rs: rs.meta.key(), from, to: desired.replicas });
        }
        self.changes.push(Change::ReplicaSet(id));
    }

    pub fn remove_replica_set(&mut self, now: SimTime, id: RsId) {
        let Some(rs) = self.replica_sets[id.index()].take() else { return };
        self.rs_names.remove(&key_of(&rs.meta));
        self.rs_selectors.remove(&rs.meta.namespace, &rs.selector, id);
        if let Some(d) = self.rs_owner[id.index()] {
            self.deployment_rs[d.index()].retain(|r| *r != id);
        }
        // Pods keep their ids but lose the owner link: the garbage collector deletes them.
        self.journal.record(now, Record::ReplicaSetDeleted { rs: rs.meta.key() });
        self.changes.push(Change::ReplicaSetRemoved(id));
    }

    // ----- deployments -----

    pub fn deployment(&self, id: DeploymentId) -> Option<&Deployment> {
        self.deployments[id.index()].as_ref()
    }

    /// Moves whenever any Deployment is created, changed or removed: what has not moved since
    /// a look at the Deployments needs no second look.
    pub fn deployments_version(&self) -> u64 {
        self.deployments_version
    }

    fn deployment_changed(&mut self, id: DeploymentId) {
        self.deployments_version += 1;
        self.changes.push(Change::Deployment(id));
    }

    pub fn deployment_id(&self, namespace: &str, name: &str) -> Option<DeploymentId> {
        self.deployment_names.get(&(namespace.to_string(), name.to_string())).copied()
    }

    /// ReplicaSets controlled by the Deployment, in creation order.
    pub fn deployment_rs(&self, id: DeploymentId) -> &[RsId] {
        &self.deployment_rs[id.index()]
    }

    pub fn deployment_ids(&self) -> impl Iterator<Item = DeploymentId> + '_ {
        (0..self.deployments.len() as u32).map(DeploymentId).filter(|id| self.deployments[id.index()].is_some())
    }

    pub fn create_deployment(&mut self, now: SimTime, mut d: Deployment) -> DeploymentId {
        let id = DeploymentId(self.deployments.len() as u32);
        d.meta.uid = self.uid();
        d.meta.creation_timestamp = now;
        d.meta.generation = 1;
        self.deployment_names.insert(key_of(&d.meta), id);
        self.journal.record(now, Record::DeploymentCreated { deployment: d.meta.key() });
        self.deployments.push(Some(d));
        self.deployment_rs.push(Vec::new());
        self.deployment_changed(id);
        id
    }

    /// Applies a new spec; bumps the generation if anything changed.
    pub fn update_deployment_spec(&mut self, now: SimTime, id: DeploymentId, desired: &Deployment) {
        let Some(d) = self.deployments[id.index()].as_mut() else { return };
        let changed = d.replicas != desired.replicas
            || d.template != desired.template
            || d.strategy != desired.strategy
            || d.min_ready_seconds != desired.min_ready_seconds
            || d.paused != desired.paused
            || d.revision_history_limit != desired.revision_history_limit
            || d.progress_deadline_seconds != desired.progress_deadline_seconds;
        if !changed {
            return;
        }
        d.replicas = desired.replicas;
        d.template = desired.template.clone();
        d.strategy = desired.strategy;
        d.min_ready_seconds = desired.min_ready_seconds;
        d.paused = desired.paused;
        d.revision_history_limit = desired.revision_history_limit;
        d.progress_deadline_seconds = desired.progress_deadline_seconds;
        d.meta.labels = desired.meta.labels.clone();
        d.meta.generation += 1;
        self.journal.record(now, Record::DeploymentUpdated { deployment: d.meta.key(), generation: d.meta.generation });
        self.deployment_changed(id);
    }

    /// Replaces the Deployment's pod template (`kubectl rollout undo`); bumps the generation.
    pub fn set_deployment_template(&mut self, now: SimTime, id: DeploymentId, template: PodTemplateSpec) -> bool {
        let Some(d) = self.deployments[id.index()].as_mut() else { return false };
        if d.template == template {
            return false;
        }
        d.template = template;
        d.meta.generation += 1;
        self.journal.record(now, Record::DeploymentUpdated { deployment: d.meta.key(), generation: d.meta.generation });
        self.deployment_changed(id);
        true
    }

    /// `kubectl scale deployment`.
    pub fn scale_deployment(&mut self, now: SimTime, id: DeploymentId, replicas: i32) {
        let Some(d) = self.deployments[id.index()].as_mut() else { return };
        if d.replicas == replicas {
            return;
        }
        d.replicas = replicas;
        d.meta.generation += 1;
        self.journal.record(now, Record::DeploymentUpdated { deployment: d.meta.key(), generation: d.meta.generation });
        self.deployment_changed(id);
    }

    /// Sets the status; journals condition transitions.
    pub fn set_deployment_status(
        &mut self,
        now: SimTime,
        id: DeploymentId,
        status: crate::api::workload::DeploymentStatus,
    ) {
        let Some(d) = self.deployments[id.index()].as_mut() else { return };
        if d.status == status {
            return;
        }
        let key = d.meta.key();
        let cond_changed = |old: &Option<DeploymentCondition>, new: &Option<DeploymentCondition>| match (old, new) {
            (Some(a), Some(b)) => a.status != b.status || a.reason != b.reason,
            (None, Some(_)) => true,
            _ => false,
        };
        if cond_changed(&d.status.available, &status.available)
            && let Some(c) = &status.available
        {
            let (key, s, reason, avail, want) =
                (key.clone(), c.status, c.reason, status.available_replicas, d.replicas);
            self.journal
                .narrate(now, || format!("deployment {key} Available={s} ({reason}: {avail} of {want} available)"));
            self.journal.record(
                now,
                Record::DeploymentCondition {
                    deployment: key.clone(),
                    condition: "Available",
                    status: c.status,
                    reason: c.reason,
                },
            );
        }
        if cond_changed(&d.status.progressing, &status.progressing)
            && let Some(c) = &status.progressing
        {
            if c.status == ConditionStatus::False {
                let (k, reason) = (key.clone(), c.reason);
                self.journal.narrate(now, || format!("deployment {k} Progressing=False ({reason})"));
            }
            self.journal.record(
                now,
                Record::DeploymentCondition {
                    deployment: key,
                    condition: "Progressing",
                    status: c.status,
                    reason: c.reason,
                },
            );
        }
        d.status = status;
        self.deployment_changed(id);
    }

    pub fn remove_deployment(&mut self, now: SimTime, id: DeploymentId) {
        let Some(d) = self.deployments[id.index()].take() else { return };
        self.deployment_names.remove(&key_of(&d.meta));
        self.journal.record(now, Record::DeploymentDeleted { deployment: d.meta.key() });
        self.deployments_version += 1;
        self.changes.push(Change::DeploymentRemoved(id));
    }

    // ----- services -----

    pub fn service(&self, id: ServiceId) -> Option<&Service> {
        self.services[id.index()].as_ref()
    }

    pub fn service_id(&self, namespace: &str, name: &str) -> Option<ServiceId> {
        self.service_names.get(&(namespace.to_string(), name.to_string())).copied()
    }

    pub fn service_ids(&self) -> impl Iterator<Item = ServiceId> + '_ {
        (0..self.services.len() as u32).map(ServiceId).filter(|id| self.services[id.index()].is_some())
    }

    pub fn create_service(&mut self, now: SimTime, mut s: Service) -> ServiceId {
        let id = ServiceId(self.services.len() as u32);
        s.meta.uid = self.uid();
        s.meta.creation_timestamp = now;
        self.service_names.insert(key_of(&s.meta), id);
        self.journal.record(now, Record::ServiceCreated { service: s.meta.key() });
        self.service_selectors.add(&s.meta.namespace, &s.selector, id);
        self.file_active_pods_by(&s.selector);
        self.services.push(Some(s));
        self.changes.push(Change::Service(id));
        id
    }

    pub fn update_service_spec(&mut self, id: ServiceId, desired: &Service) {
        if self.services[id.index()].is_none() {
            return;
        }
        self.file_active_pods_by(&desired.selector);
        let Some(s) = self.services[id.index()].as_mut() else { return };
        self.service_selectors.remove(&s.meta.namespace, &s.selector, id);
        s.selector = desired.selector.clone();
        self.service_selectors.add(&s.meta.namespace, &s.selector, id);
        s.selector_labels = desired.selector_labels.clone();
        s.ports = desired.ports.clone();
        s.service_type = desired.service_type;
        s.publish_not_ready_addresses = desired.publish_not_ready_addresses;
        s.meta.labels = desired.meta.labels.clone();
        self.changes.push(Change::Service(id));
    }

    pub fn set_endpoints(&mut self, now: SimTime, id: ServiceId, counts: EndpointCounts) {
        let Some(s) = self.services[id.index()].as_mut() else { return };
        if s.endpoints == counts {
            return;
        }
        s.endpoints = counts;
        self.journal.record(
            now,
            Record::ServiceEndpoints { service: s.meta.key(), ready: counts.ready, not_ready: counts.not_ready },
        );
        self.changes.push(Change::Endpoints(id));
    }

    pub fn remove_service(&mut self, now: SimTime, id: ServiceId) {
        let Some(s) = self.services[id.index()].take() else { return };
        self.service_names.remove(&key_of(&s.meta));
        self.service_selectors.remove(&s.meta.namespace, &s.selector, id);
        self.journal.record(now, Record::ServiceDeleted { service: s.meta.key() });
        self.changes.push(Change::ServiceRemoved(id));
    }

    // ----- priority classes -----

    pub fn priority_class(&self, name: &str) -> Option<&PriorityClass> {
        self.priority_classes.get(name)
    }

    /// Every PriorityClass, by name.
    pub fn priority_classes(&self) -> impl Iterator<Item = &PriorityClass> {
        self.priority_classes.values()
    }

    /// The class pods without `priorityClassName` get: the lowest-valued `globalDefault` one
    /// (first by name among equal values).
    pub fn default_priority_class(&self) -> Option<&PriorityClass> {
        self.priority_classes.values().filter(|c| c.global_default).min_by_key(|c| c.value)
    }

    /// Creates or replaces a PriorityClass (validated by the caller). Pods created before keep
    /// their priority.
    pub fn put_priority_class(&mut self, now: SimTime, mut class: PriorityClass) {
        let name = class.meta.name.clone();
        match self.priority_classes.get(&name) {
            Some(old) => {
                class.meta.uid = old.meta.uid;
                class.meta.creation_timestamp = old.meta.creation_timestamp;
                class.meta.generation = old.meta.generation + 1;
                if *old == class {
                    return;
                }
                self.journal.record(now, Record::PriorityClassUpdated { name: name.clone() });
            }
            None => {
                class.meta.uid = self.uid();
                class.meta.creation_timestamp = now;
                class.meta.generation = 1;
                self.journal.record(now, Record::PriorityClassCreated { name: name.clone(), value: class.value });
            }
        }
        self.priority_classes.insert(name, class);
        self.forget_admitted();
    }

    /// Drops the cached admitted specs: PriorityClasses changed, and admission runs again for
    /// the next pod of every ReplicaSet, Job and StatefulSet.
    fn forget_admitted(&mut self) {
        self.admitted.iter_mut().for_each(|a| *a = None);
        for slot in &mut self.jobs {
            if let JobSlot::Live(live) = slot {
                live.admitted = None;
            }
        }
        self.admitted_shared.clear();
        self.sts_admitted.iter_mut().for_each(|a| *a = None);
    }

    pub fn remove_priority_class(&mut self, now: SimTime, name: &str) -> bool {
        if self.priority_classes.remove(name).is_none() {
            return false;
        }
        self.journal.record(now, Record::PriorityClassDeleted { name: name.to_string() });
        self.forget_admitted();
        true
    }

    // ----- pod disruption budgets -----

    pub fn pdb(&self, id: PdbId) -> Option<&PodDisruptionBudget> {
        self.pdbs[id.index()].as_ref()
    }

    pub fn pdb_id(&self, namespace: &str, name: &str) -> Option<PdbId> {
        self.pdb_names.get(&(namespace.to_string(), name.to_string())).copied()
    }

    pub fn pdb_ids(&self) -> impl Iterator<Item = PdbId> + '_ {
        (0..self.pdbs.len() as u32).map(PdbId).filter(|id| self.pdbs[id.index()].is_some())
    }

    pub fn create_pdb(&mut self, now: SimTime, mut pdb: PodDisruptionBudget) -> PdbId {
        let id = PdbId(self.pdbs.len() as u32);
        pdb.meta.uid = self.uid();
        pdb.meta.creation_timestamp = now;
        pdb.meta.generation = 1;
        pdb.status = PdbStatus::default();
        self.pdb_names.insert(key_of(&pdb.meta), id);
        self.journal.record(now, Record::PdbCreated { pdb: pdb.meta.key() });
        if let Some(selector) = &pdb.selector {
            self.pdb_selectors.add(&pdb.meta.namespace, selector, id);
        }
        self.pdbs.push(Some(pdb));
        self.changes.push(Change::Pdb(id));
        id
    }

    /// Replaces the spec and labels from an applied manifest; bumps the generation if the spec
    /// changed.
    pub fn update_pdb_spec(&mut self, now: SimTime, id: PdbId, desired: &PodDisruptionBudget) {
        let Some(pdb) = self.pdbs[id.index()].as_mut() else { return };
        pdb.meta.labels = desired.meta.labels.clone();
        if pdb.min_available == desired.min_available
            && pdb.max_unavailable == desired.max_unavailable
            && pdb.selector == desired.selector
            && pdb.unhealthy_pod_eviction_policy == desired.unhealthy_pod_eviction_policy
        {
            return;
        }
        pdb.min_available = desired.min_available;
        pdb.max_unavailable = desired.max_unavailable;
        if let Some(selector) = &pdb.selector {
            self.pdb_selectors.remove(&pdb.meta.namespace, selector, id);
        }
        pdb.selector = desired.selector.clone();
        if let Some(selector) = &pdb.selector {
            self.pdb_selectors.add(&pdb.meta.namespace, selector, id);
        }
        pdb.unhealthy_pod_eviction_policy = desired.unhealthy_pod_eviction_policy;
        pdb.meta.generation += 1;
        self.journal.record(now, Record::PdbUpdated { pdb: pdb.meta.key(), generation: pdb.meta.generation });
        self.changes.push(Change::Pdb(id));
    }

    /// The disruption controller's status update.
    pub fn set_pdb_status(&mut self, now: SimTime, id: PdbId, status: PdbStatus) {
        let Some(pdb) = self.pdbs[id.index()].as_mut() else { return };
        if pdb.status == status {
            return;
        }
        self.journal.record(
            now,
            Record::PdbStatus {
                pdb: pdb.meta.key(),
                current_healthy: status.current_healthy,
                desired_healthy: status.desired_healthy,
                expected_pods: status.expected_pods,
                disruptions_allowed: status.disruptions_allowed,
            },
        );
        pdb.status = status;
    }

    pub fn remove_pdb(&mut self, now: SimTime, id: PdbId) {
        let Some(pdb) = self.pdbs[id.index()].take() else { return };
        self.pdb_names.remove(&key_of(&pdb.meta));
        if let Some(selector) = &pdb.selector {
            self.pdb_selectors.remove(&pdb.meta.namespace, selector, id);
        }
        self.journal.record(now, Record::PdbDeleted { pdb: pdb.meta.key() });
        self.changes.push(Change::PdbRemoved(id));
    }

    // ----- configmaps and secrets -----

    pub fn config(&self, source: ConfigSource, namespace: &str, name: &str) -> Option<&ConfigObject> {
        self.configs.get(&(source, namespace.to_string(), name.to_string()))
    }

    /// Creates or replaces a ConfigMap or Secret.
    pub fn put_config(&mut self, now: SimTime, mut object: ConfigObject) {
        let key = (object.source, object.meta.namespace.clone(), object.meta.name.clone());
        if let Some(old) = self.configs.get(&key) {
            if old.keys == object.keys && old.immutable == object.immutable && old.secret_type == object.secret_type {
                return;
            }
            object.meta.uid = old.meta.uid;
            object.meta.creation_timestamp = old.meta.creation_timestamp;
        } else {
            object.meta.uid = self.uid();
            object.meta.creation_timestamp = now;
        }
        self.journal.record(
            now,
            Record::ConfigPut { kind: object.source.kind(), name: object.meta.key(), keys: object.keys.len() as u32 },
        );
        self.configs.insert(key, object);
    }

    pub fn remove_config(&mut self, now: SimTime, source: ConfigSource, namespace: &str, name: &str) -> bool {
        let Some(object) = self.configs.remove(&(source, namespace.to_string(), name.to_string())) else {
            return false;
        };
        self.journal.record(now, Record::ConfigDeleted { kind: source.kind(), name: object.meta.key() });
        true
    }

    // ----- owners and dependents (the garbage collector's graph) -----

    /// The metadata of an owner, if it still exists.
    pub fn owner_meta(&self, o: OwnerId) -> Option<&ObjectMeta> {
        match o {
            OwnerId::Deployment(id) => self.deployment(id).map(|x| &x.meta),
            OwnerId::ReplicaSet(id) => self.replica_set(id).map(|x| &x.meta),
            OwnerId::Job(id) => self.job(id).map(|x| &x.meta),
            OwnerId::CronJob(id) => self.cronjob(id).map(|x| &x.meta),
            OwnerId::StatefulSet(id) => self.statefulset(id).map(|x| &x.meta),
            OwnerId::DaemonSet(id) => self.daemonset(id).map(|x| &x.meta),
        }
    }

    /// Whether the owner exists (not removed): an archived Job does, without an
    /// [`owner_meta`](Self::owner_meta).
    pub fn owner_exists(&self, o: OwnerId) -> bool {
        self.owner_meta(o).is_some() || matches!(o, OwnerId::Job(id) if self.is_job_archived(id))
    }

    /// The live objects an owner controls: owners (a Deployment's ReplicaSets, a CronJob's
    /// Jobs) and pods.
    pub fn dependents(&self, o: OwnerId) -> (Vec<OwnerId>, Vec<PodId>) {
        let live = |pods: &[PodId]| pods.iter().copied().filter(|&p| !self.is_removed(p)).collect::<Vec<_>>();
        match o {
            OwnerId::Deployment(id) => {
                (self.deployment_rs(id).iter().map(|&r| OwnerId::ReplicaSet(r)).collect(), Vec::new())
            }
            OwnerId::CronJob(id) => (self.cronjob_jobs(id).iter().map(|&j| OwnerId::Job(j)).collect(), Vec::new()),
            OwnerId::ReplicaSet(id) => (Vec::new(), live(self.rs_pods(id))),
            OwnerId::Job(id) => (Vec::new(), live(self.job_pods(id))),
            OwnerId::StatefulSet(id) => (Vec::new(), live(self.sts_pods(id))),
            OwnerId::DaemonSet(id) => (Vec::new(), live(self.ds_pods(id))),
        }
    }

    /// The live pods an owner controls, directly or through its owners (a Deployment's
    /// ReplicaSets' pods), in [`dependents`](Self::dependents) order.
    pub fn owned_pods(&self, o: OwnerId) -> Vec<PodId> {
        let mut pods = Vec::new();
        self.visit_owned_pods(o, &mut |p| pods.push(p));
        pods
    }

    /// Calls `f` on each of [`owned_pods`](Self::owned_pods), in its order, without
    /// collecting them.
    pub fn visit_owned_pods(&self, o: OwnerId, f: &mut impl FnMut(PodId)) {
        let mut live = |pods: &[PodId]| pods.iter().copied().filter(|&p| !self.is_removed(p)).for_each(&mut *f);
        match o {
            OwnerId::Deployment(id) => {
                for &rs in self.deployment_rs(id) {
                    live(self.rs_pods(rs));
                }
            }
            OwnerId::CronJob(id) => {
                for &job in self.cronjob_jobs(id) {
                    live(self.job_pods(job));
                }
            }
            OwnerId::ReplicaSet(id) => live(self.rs_pods(id)),
            OwnerId::Job(id) => live(self.job_pods(id)),
            OwnerId::StatefulSet(id) => live(self.sts_pods(id)),
            OwnerId::DaemonSet(id) => live(self.ds_pods(id)),
        }
    }

    /// Foreground deletion: the owner gets its `deletionTimestamp` (and the
    /// `foregroundDeletion` finalizer) and stays until its dependents are gone; its controller
    /// stops acting on it.
    pub fn mark_owner_deleting(&mut self, now: SimTime, o: OwnerId) -> bool {
        // An archived Job has no `deletionTimestamp` to set (and no dependents left): it is
        // marked here, journaled as a whole one is, until `remove_job`.
        if let OwnerId::Job(id) = o
            && self.is_job_archived(id)
        {
            if !self.deleting_archived_jobs.insert(id) {
                return false;
            }
            let object = self.job_object_key(id).expect("archived Jobs are not removed");
            self.journal.record(now, Record::OwnerDeleting { object, policy: "Foreground" });
            self.changes.push(Change::Job(id));
            return true;
        }
        let meta = match o {
            OwnerId::Deployment(id) => self.deployments[id.index()].as_mut().map(|x| &mut x.meta),
            OwnerId::ReplicaSet(id) => self.replica_sets[id.index()].as_mut().map(|x| &mut x.meta),
            OwnerId::Job(id) => self.jobs[id.index()].live_mut().map(|x| &mut x.meta),
            OwnerId::CronJob(id) => self.cronjobs[id.index()].as_mut().map(|x| &mut x.meta),
            OwnerId::StatefulSet(id) => self.statefulsets[id.index()].as_mut().map(|x| &mut x.meta),
            OwnerId::DaemonSet(id) => self.daemonsets[id.index()].as_mut().map(|x| &mut x.meta),
        };
        let Some(meta) = meta else { return false };
        if meta.deletion_timestamp.is_some() {
            return false;
        }
        meta.deletion_timestamp = Some(now);
        let object = meta.key();
        self.journal.record(now, Record::OwnerDeleting { object, policy: "Foreground" });
        if let OwnerId::Deployment(_) = o {
            self.deployments_version += 1;
        }
        self.changes.push(match o {
            OwnerId::Deployment(id) => Change::Deployment(id),
            OwnerId::ReplicaSet(id) => Change::ReplicaSet(id),
            OwnerId::Job(id) => Change::Job(id),
            OwnerId::CronJob(id) => Change::CronJob(id),
            OwnerId::StatefulSet(id) => Change::StatefulSet(id),
            OwnerId::DaemonSet(id) => Change::DaemonSet(id),
        });
        true
    }

    /// Orphaning: the pod no longer names a controller (its owner reference is removed), so
    /// no controller counts it any more.
    pub fn orphan_pod(&mut self, now: SimTime, id: PodId) {
        let list = match self.pod_owner[id.index()] {
            Some(PodOwner::ReplicaSet(rs)) => Some(&mut self.rs_pods[rs.index()]),
            Some(PodOwner::StatefulSet(sts)) => Some(&mut self.sts_pods[sts.index()]),
            Some(PodOwner::DaemonSet(ds)) => Some(&mut self.ds_pods[ds.index()]),
            Some(PodOwner::Job(_)) | None => None,
        };
        if let Some(list) = list {
            list.retain(|&p| p != id);
        }
        if let Some(PodOwner::Job(job)) = self.pod_owner[id.index()] {
            self.job_orphans.insert(id, job);
        }
        self.pod_owner[id.index()] = None;
        let pod = full_mut(&mut self.pods, id);
        pod.meta.owner_references.clear();
        let object = format!("pod/{}", pod.meta.key());
        self.journal.record(now, Record::OwnerReferenceRemoved { object });
        self.changes.push(Change::PodStatus(id));
    }

    /// Orphaning a Deployment's ReplicaSet: it becomes a ReplicaSet of its own.
    pub fn orphan_replica_set(&mut self, now: SimTime, id: RsId) {
        if let Some(d) = self.rs_owner[id.index()].take() {
            self.deployment_rs[d.index()].retain(|&r| r != id);
        }
        if let Some(rs) = self.replica_sets[id.index()].as_mut() {
            rs.meta.owner_references.clear();
            let object = format!("replicaset/{}", rs.meta.key());
            self.journal.record(now, Record::OwnerReferenceRemoved { object });
            self.changes.push(Change::ReplicaSet(id));
        }
    }

    /// Orphaning a CronJob's Job.
    pub fn orphan_job(&mut self, now: SimTime, id: JobId) {
        if let Some(c) = self.job_cronjob.remove(&id) {
            self.cronjob_jobs[c.index()].retain(|&j| j != id);
        }
        if let Some(job) = self.jobs[id.index()].live_mut() {
            job.meta.owner_references.clear();
            let object = format!("job/{}", job.meta.key());
            self.journal.record(now, Record::OwnerReferenceRemoved { object });
            self.changes.push(Change::Job(id));
        }
    }

    // ----- jobs -----

    /// The whole Job; `None` once removed or archived (a finished workload Job: its
    /// [`job_status`](Self::job_status), [`job_names`](Self::job_names) and
    /// [`job_created`](Self::job_created) stay).
    pub fn job(&self, id: JobId) -> Option<&Job> {
        self.jobs[id.index()].live()
    }

    /// The Job's status, archived (decoded) or not; `None` once removed.
    pub fn job_status(&self, id: JobId) -> Option<Cow<'_, JobStatus>> {
        match &self.jobs[id.index()] {
            JobSlot::Live(live) => Some(Cow::Borrowed(&live.job.status)),
            JobSlot::Archived(at) => Some(Cow::Owned(self.job_archive.get(*at).status)),
            JobSlot::Removed => None,
        }
    }

    /// The Job's (namespace, name), archived or not; `None` once removed.
    pub fn job_names(&self, id: JobId) -> Option<(&str, &str)> {
        self.jobs[id.index()].names(&self.job_archive)
    }

    /// The Job's `namespace/name`, archived or not; `None` once removed.
    pub fn job_object_key(&self, id: JobId) -> Option<String> {
        self.job_names(id).map(|(namespace, name)| crate::api::meta::key_of(namespace, name))
    }

    /// The Job's creation time, archived or not; `None` once removed.
    pub fn job_created(&self, id: JobId) -> Option<SimTime> {
        match &self.jobs[id.index()] {
            JobSlot::Live(live) => Some(live.job.meta.creation_timestamp),
            JobSlot::Archived(at) => Some(self.job_archive.get(*at).created),
            JobSlot::Removed => None,
        }
    }

    /// Whether the Job was archived ([`Store::release_removed`]).
    pub fn is_job_archived(&self, id: JobId) -> bool {
        matches!(self.jobs[id.index()], JobSlot::Archived(_))
    }

    pub fn job_id(&self, namespace: &str, name: &str) -> Option<JobId> {
        self.job_names.get(namespace, name, job_key(&self.jobs, &self.job_archive))
    }

    /// The Jobs not removed (archived ones included), by id.
    pub fn job_ids(&self) -> impl Iterator<Item = JobId> + '_ {
        (0..self.jobs.len() as u32).map(JobId).filter(|id| !matches!(self.jobs[id.index()], JobSlot::Removed))
    }

    /// Every pod the Job created, removed ones included, in creation order.
    pub fn job_pods(&self, id: JobId) -> &[PodId] {
        self.job_pods[id.index()].as_slice()
    }

    pub fn job_tracking(&self, id: JobId) -> &JobTracking {
        match &self.jobs[id.index()] {
            JobSlot::Live(live) => live.tracking.as_deref().unwrap_or(&NOTHING_TRACKED),
            _ => &NOTHING_TRACKED,
        }
    }

    /// Creates a Job as the API server does: uid, creation time, generation. Unless
    /// `manualSelector`, the selector and the template labels the API server generates are
    /// derived from the uid and name when read ([`Job::selector`], [`Job::pod_labels`]).
    pub fn create_job(&mut self, now: SimTime, job: Job) -> JobId {
        self.journal.keyed(now, &job.meta, JobEvent::Created);
        self.insert_job(now, job, None)
    }

    /// Creates a workload's Job (an arrival), as [`create_job`](Self::create_job) does; once
    /// finished and without pods left, it is archived ([`Store::release_removed`]).
    pub fn create_workload_job(&mut self, now: SimTime, job: Job) -> JobId {
        let id = self.create_job(now, job);
        if let JobSlot::Live(live) = &mut self.jobs[id.index()] {
            live.archivable = true;
        }
        id
    }

    /// Creates a Job for CronJob `cronjob` (which the Job's owner reference names), as
    /// [`create_job`](Self::create_job) does, for the schedule time `scheduled` (RFC 3339).
    pub fn create_cronjob_job(&mut self, now: SimTime, cronjob: CronJobId, job: Job, scheduled: String) -> JobId {
        let owner = self.cronjobs[cronjob.index()].as_ref().map(|c| c.meta.key()).unwrap_or_default();
        let record = Record::JobCreatedByCronJob { cronjob: owner, job: job.meta.key(), scheduled };
        self.journal.record(now, record);
        let id = self.insert_job(now, job, Some(cronjob));
        self.cronjob_jobs[cronjob.index()].push(id);
        self.cronjob_jobs_created[cronjob.index()] += 1;
        id
    }

    /// Stores a new Job (its creation journaled by the caller).
    fn insert_job(&mut self, now: SimTime, mut job: Job, cronjob: Option<CronJobId>) -> JobId {
        let id = JobId(self.jobs.len() as u32);
        job.meta.uid = self.uid();
        job.meta.creation_timestamp = now;
        job.meta.generation = 1;
        self.jobs.push(JobSlot::Live(Box::new(LiveJob {
            job,
            tracking: None,
            admitted: None,
            live_pods: 0,
            archivable: false,
        })));
        self.job_names.insert(id, job_key(&self.jobs, &self.job_archive));
        self.job_pods.push(PodList::default());
        if let Some(cronjob) = cronjob {
            self.job_cronjob.insert(id, cronjob);
        }
        self.changes.push(Change::Job(id));
        id
    }

    /// Applies the mutable part of a Job's spec (`parallelism`, `suspend`,
    /// `activeDeadlineSeconds`, `ttlSecondsAfterFinished`, `backoffLimit`); the caller has
    /// checked that nothing immutable changed.
    pub fn update_job_spec(&mut self, id: JobId, desired: &Job) -> bool {
        let Some(job) = self.jobs[id.index()].live_mut() else { return false };
        let spec = &mut job.spec;
        let changed = spec.parallelism != desired.spec.parallelism
            || spec.suspend != desired.spec.suspend
            || spec.active_deadline_seconds != desired.spec.active_deadline_seconds
            || spec.ttl_seconds_after_finished != desired.spec.ttl_seconds_after_finished
            || spec.backoff_limit != desired.spec.backoff_limit;
        if !changed {
            return false;
        }
        spec.parallelism = desired.spec.parallelism;
        spec.suspend = desired.spec.suspend;
        spec.active_deadline_seconds = desired.spec.active_deadline_seconds;
        spec.ttl_seconds_after_finished = desired.spec.ttl_seconds_after_finished;
        spec.backoff_limit = desired.spec.backoff_limit;
        job.meta.generation += 1;
        self.changes.push(Change::Job(id));
        true
    }

    /// Sets the Job's status; journals each condition that became True.
    pub fn set_job_status(&mut self, now: SimTime, id: JobId, status: JobStatus) -> bool {
        let Some(job) = self.jobs[id.index()].live_mut() else { return false };
        if job.status == status {
            return false;
        }
        for c in &status.conditions {
            if c.status == ConditionStatus::True && job.status.condition(c.kind).is_none() {
                let condition = JobEvent::Condition { condition: c.kind.as_str(), reason: c.reason };
                self.journal.keyed(now, &job.meta, condition);
            }
        }
        if status.is_finished() {
            self.jobs_to_check.push(id);
        }
        job.status = status;
        self.changes.push(Change::Job(id));
        true
    }

    /// The Job controller's bookkeeping (no change event: only the controller reads it).
    pub fn set_job_tracking(&mut self, id: JobId, tracking: JobTracking) {
        if let JobSlot::Live(live) = &mut self.jobs[id.index()] {
            live.tracking = (tracking != NOTHING_TRACKED).then(|| Box::new(tracking));
        }
    }

    /// Removes the Job object; its pods keep their ids and lose the owner link to a live
    /// object (the engine's garbage collection deletes them).
    pub fn remove_job(&mut self, now: SimTime, id: JobId) {
        let Some(key) = self.job_object_key(id) else { return };
        self.job_names.remove(id, job_key(&self.jobs, &self.job_archive));
        self.deleting_archived_jobs.remove(&id);
        if let JobSlot::Live(live) = std::mem::replace(&mut self.jobs[id.index()], JobSlot::Removed)
            && live.live_pods > 0
        {
            self.removed_job_live_pods.insert(id, live.live_pods);
        }
        self.jobs_to_check.push(id);
        if let Some(&cronjob) = self.job_cronjob.get(&id) {
            self.cronjob_jobs[cronjob.index()].retain(|&j| j != id);
        }
        self.journal.record(now, Record::JobDeleted { job: key });
        self.changes.push(Change::JobRemoved(id));
    }

    // ----- statefulsets -----

    pub fn statefulset(&self, id: StsId) -> Option<&StatefulSet> {
        self.statefulsets[id.index()].as_ref()
    }

    pub fn sts_id(&self, namespace: &str, name: &str) -> Option<StsId> {
        self.sts_names.get(&(namespace.to_string(), name.to_string())).copied()
    }

    pub fn statefulset_ids(&self) -> impl Iterator<Item = StsId> + '_ {
        (0..self.statefulsets.len() as u32).map(StsId).filter(|id| self.statefulsets[id.index()].is_some())
    }

    /// Live pods controlled by the StatefulSet, in creation order.
    pub fn sts_pods(&self, id: StsId) -> &[PodId] {
        &self.sts_pods[id.index()]
    }

    /// The StatefulSet's ControllerRevisions, in creation order.
    pub fn sts_revisions(&self, id: StsId) -> &[ControllerRevision] {
        &self.sts_revisions[id.index()]
    }

    /// The StatefulSet controlling the pod, if any.
    pub fn pod_sts(&self, id: PodId) -> Option<StsId> {
        match self.pod_owner[id.index()] {
            Some(PodOwner::StatefulSet(sts)) => Some(sts),
            _ => None,
        }
    }

    pub fn create_statefulset(&mut self, now: SimTime, mut sts: StatefulSet) -> StsId {
        let id = StsId(self.statefulsets.len() as u32);
        sts.meta.uid = self.uid();
        sts.meta.creation_timestamp = now;
        sts.meta.generation = 1;
        sts.status = StatefulSetStatus::default();
        self.sts_names.insert(key_of(&sts.meta), id);
        self.journal.record(now, Record::StatefulSetCreated { sts: sts.meta.key(), replicas: sts.replicas });
        self.sts_selectors.add(&sts.meta.namespace, &sts.selector, id);
        self.statefulsets.push(Some(sts));
        self.sts_pods.push(Vec::new());
        self.sts_revisions.push(Vec::new());
        self.sts_admitted.push(None);
        self.changes.push(Change::StatefulSet(id));
        id
    }

    /// Applies the mutable part of a spec from an applied manifest (replicas, template,
    /// updateStrategy, minReadySeconds, ordinals, persistentVolumeClaimRetentionPolicy,
    /// revisionHistoryLimit) and the labels; the caller has checked that nothing else changed.
    /// Bumps the generation if the spec changed.
    pub fn update_statefulset_spec(&mut self, now: SimTime, id: StsId, desired: &StatefulSet) {
        let Some(s) = self.statefulsets[id.index()].as_mut() else { return };
        s.meta.labels = desired.meta.labels.clone();
        let changed = s.replicas != desired.replicas
            || s.template != desired.template
            || s.update_strategy != desired.update_strategy
            || s.min_ready_seconds != desired.min_ready_seconds
            || s.ordinals_start != desired.ordinals_start
            || s.pvc_retention != desired.pvc_retention
            || s.revision_history_limit != desired.revision_history_limit;
        if !changed {
            return;
        }
        s.replicas = desired.replicas;
        s.template = desired.template.clone();
        s.update_strategy = desired.update_strategy;
        s.min_ready_seconds = desired.min_ready_seconds;
        s.ordinals_start = desired.ordinals_start;
        s.pvc_retention = desired.pvc_retention;
        s.revision_history_limit = desired.revision_history_limit;
        s.meta.generation += 1;
        self.journal.record(now, Record::StatefulSetUpdated { sts: s.meta.key(), generation: s.meta.generation });
        self.changes.push(Change::StatefulSet(id));
    }

    /// `kubectl scale statefulset`.
    pub fn scale_statefulset(&mut self, now: SimTime, id: StsId, replicas: i32) {
        let Some(s) = self.statefulsets[id.index()].as_mut() else { return };
        if s.replicas == replicas {
            return;
        }
        s.replicas = replicas;
        s.meta.generation += 1;
        self.journal.record(now, Record::StatefulSetUpdated { sts: s.meta.key(), generation: s.meta.generation });
        self.changes.push(Change::StatefulSet(id));
    }

    /// The controller's status update (no journal record: status is derived).
    pub fn set_statefulset_status(&mut self, id: StsId, status: StatefulSetStatus) -> bool {
        let Some(s) = self.statefulsets[id.index()].as_mut() else { return false };
        if s.status == status {
            return false;
        }
        s.status = status;
        self.changes.push(Change::StatefulSet(id));
        true
    }

    /// Adds a ControllerRevision, or gives an existing one (same name) a new revision number
    /// (a rollback to an earlier template).
    pub fn put_sts_revision(&mut self, now: SimTime, id: StsId, revision: ControllerRevision) {
        let Some(s) = self.statefulsets[id.index()].as_ref() else { return };
        let key = s.meta.key();
        let list = &mut self.sts_revisions[id.index()];
        match list.iter_mut().find(|r| r.name == revision.name) {
            Some(existing) => existing.revision = revision.revision,
            None => list.push(revision.clone()),
        }
        self.journal
            .record(now, Record::StatefulSetRevision { sts: key, revision: revision.name, number: revision.revision });
    }

    /// Deletes ControllerRevisions by name (history truncation).
    pub fn delete_sts_revisions(&mut self, now: SimTime, id: StsId, names: &[String]) {
        let Some(s) = self.statefulsets[id.index()].as_ref() else { return };
        let key = s.meta.key();
        for name in names {
            let list = &mut self.sts_revisions[id.index()];
            if let Some(pos) = list.iter().position(|r| &r.name == name) {
                list.remove(pos);
                self.journal
                    .record(now, Record::StatefulSetRevisionDeleted { sts: key.clone(), revision: name.clone() });
            }
        }
    }

    /// Removes the StatefulSet object and its ControllerRevisions; its pods lose the owner
    /// link to a live object (the engine's garbage collection deletes them).
    pub fn remove_statefulset(&mut self, now: SimTime, id: StsId) {
        let Some(s) = self.statefulsets[id.index()].take() else { return };
        self.sts_names.remove(&key_of(&s.meta));
        self.sts_selectors.remove(&s.meta.namespace, &s.selector, id);
        self.sts_revisions[id.index()].clear();
        self.journal.record(now, Record::StatefulSetDeleted { sts: s.meta.key() });
        self.changes.push(Change::StatefulSetRemoved(id));
    }

    /// An owner reference to a StatefulSet, for the pods it creates.
    pub fn sts_owner_ref(&self, id: StsId) -> Option<OwnerReference> {
        let s = self.statefulset(id)?;
        Some(OwnerReference { kind: Kind::StatefulSet, name: s.meta.name.clone(), uid: s.meta.uid, controller: true })
    }

    // ----- storage: claims, volumes, classes -----

    pub fn pvc(&self, namespace: &str, name: &str) -> Option<&PersistentVolumeClaim> {
        self.pvc_id(namespace, name).and_then(|id| self.pvc_by_id(id))
    }

    pub fn pvc_id(&self, namespace: &str, name: &str) -> Option<PvcId> {
        self.pvc_index.get(&(namespace.to_string(), name.to_string())).copied()
    }

    pub fn pvc_by_id(&self, id: PvcId) -> Option<&PersistentVolumeClaim> {
        self.pvcs.get(id.index()).and_then(Option::as_ref)
    }

    /// The claim's `(namespace, name)`, also after it was removed.
    pub fn pvc_key(&self, id: PvcId) -> (&str, &str) {
        let (ns, name) = &self.pvc_keys[id.index()];
        (ns, name)
    }

    /// Every claim, by namespace and name.
    pub fn pvcs(&self) -> impl Iterator<Item = &PersistentVolumeClaim> {
        self.pvc_index.values().filter_map(|&id| self.pvc_by_id(id))
    }

    /// Every claim's id, by namespace and name.
    pub fn pvc_ids(&self) -> impl Iterator<Item = PvcId> + '_ {
        self.pvc_index.values().copied()
    }

    /// The claims of StatefulSet `set` (by name) in `namespace`, by name.
    pub fn pvcs_of<'a>(&'a self, namespace: &'a str, set: &'a str) -> impl Iterator<Item = &'a PersistentVolumeClaim> {
        self.pvc_index
            .range(ns_range(namespace))
            .filter_map(|(_, &id)| self.pvc_by_id(id))
            .filter(move |c| c.origin.as_ref().is_some_and(|o| o.set == set))
    }

    /// Creates a claim (the caller has checked the name is free), after the DefaultStorageClass
    /// admission plugin: a claim that names no class (`storageClassName` unset) gets the default
    /// class, if there is one.
    pub fn create_pvc(&mut self, now: SimTime, mut pvc: PersistentVolumeClaim) -> PvcId {
        let id = PvcId(self.pvcs.len() as u32);
        pvc.meta.uid = self.uid();
        pvc.meta.creation_timestamp = now;
        if pvc.spec.storage_class_name.is_none() {
            pvc.spec.storage_class_name = self.default_storage_class().map(|c| c.meta.name.clone());
        }
        let record = match pvc.pod_name() {
            Some(pod) => Record::PvcCreated { pvc: pvc.key(), pod: format!("{}/{pod}", pvc.meta.namespace) },
            None => Record::PvcApplied { pvc: pvc.key(), class: pvc.class().to_string() },
        };
        self.journal.record(now, record);
        let key = key_of(&pvc.meta);
        self.pvc_index.insert(key.clone(), id);
        self.pvc_keys.push(key);
        self.pvcs.push(Some(pvc));
        self.changes.push(Change::Pvc(id));
        id
    }

    /// `kubectl apply` of an existing claim whose spec is unchanged: its labels and annotations.
    pub fn update_pvc_meta(&mut self, id: PvcId, desired: &PersistentVolumeClaim) {
        let Some(c) = self.pvcs[id.index()].as_mut() else { return };
        c.meta.labels = desired.meta.labels.clone();
        c.meta.annotations = desired.meta.annotations.clone();
    }

    /// The PV controller gives an unbound claim without a class the default class, once one
    /// exists (RetroactiveDefaultStorageClass, GA in v1.28).
    pub fn set_pvc_class(&mut self, now: SimTime, id: PvcId, class: &str) {
        let Some(c) = self.pvcs[id.index()].as_mut() else { return };
        c.spec.storage_class_name = Some(class.to_string());
        self.journal.record(now, Record::PvcClassAssigned { pvc: c.key(), class: class.to_string() });
        self.changes.push(Change::Pvc(id));
    }

    /// Binds a claim and a volume to each other (the PV controller's `bind`: the volume's
    /// `claimRef` with the claim's uid and phase Bound; the claim's `volumeName`, capacity and
    /// phase Bound).
    pub fn bind_claim(&mut self, now: SimTime, claim: PvcId, volume: PvId) {
        let Some(c) = self.pvcs[claim.index()].as_mut() else { return };
        let Some(v) = self.pvs[volume.index()].as_mut() else { return };
        v.claim_ref = Some(crate::api::storage::ClaimRef {
            namespace: c.meta.namespace.clone(),
            name: c.meta.name.clone(),
            uid: Some(c.meta.uid),
        });
        v.phase = crate::api::storage::VolumePhase::Bound;
        c.spec.volume_name = v.meta.name.clone();
        c.capacity = Some(v.capacity.clone());
        c.phase = crate::api::storage::ClaimPhase::Bound;
        self.journal.record(now, Record::PvcBound { pvc: c.key(), pv: v.meta.name.clone() });
        self.changes.push(Change::Pvc(claim));
        self.changes.push(Change::Pv(volume));
    }

    /// The scheduler chose `node` for the first pod of a delayed (WaitForFirstConsumer) claim:
    /// the `volume.kubernetes.io/selected-node` annotation, which a provisioner reads.
    pub fn set_pvc_selected_node(&mut self, now: SimTime, id: PvcId, node: &str) {
        use crate::scheduler::plugins::volume_binding::SELECTED_NODE_ANNOTATION;
        let Some(c) = self.pvcs[id.index()].as_mut() else { return };
        if c.meta.annotations.get(SELECTED_NODE_ANNOTATION).is_some_and(|n| n == node) {
            return;
        }
        c.meta.annotations.insert(SELECTED_NODE_ANNOTATION.to_string(), node.to_string());
        self.journal.record(now, Record::PvcSelectedNode { pvc: c.key(), node: node.to_string() });
        self.changes.push(Change::Pvc(id));
    }

    /// A provisioner creates a volume for the claim, reachable from the nodes with the labels
    /// `topology`, with its class's reclaim policy, and the claim is bound to it (the
    /// provisioner and the PV controller take no virtual time). `None` when the claim or its
    /// class is gone, or a volume of that name exists already.
    pub fn provision_volume(&mut self, now: SimTime, claim: PvcId, topology: &[(String, String)]) -> Option<PvId> {
        let c = self.pvc_by_id(claim)?;
        let class = self.storage_class(c.class())?;
        let volume = crate::api::storage::provisioned_volume(c, class, topology, now);
        if self.pv(&volume.meta.name).is_some() {
            return None;
        }
        let v = self.create_pv(now, volume);
        self.bind_claim(now, claim, v);
        Some(v)
    }

    /// Narrates a claim's binding: its volume and the volume's zone.
    pub fn narrate_claim_binding(&mut self, now: SimTime, claim: PvcId, provisioned: bool) {
        let Some(c) = self.pvc_by_id(claim) else { return };
        let Some(v) = self.pv(&c.spec.volume_name) else { return };
        let (key, name, zone) = (c.key(), v.meta.name.clone(), v.zone());
        let how = if provisioned { "provisioned and bound to" } else { "bound to" };
        let zone = if zone.is_empty() { String::new() } else { format!(" in zone {zone}") };
        self.journal.narrate(now, || format!("persistentvolumeclaim {key} {how} {name}{zone}"));
    }

    pub fn set_pvc_phase(&mut self, now: SimTime, id: PvcId, phase: crate::api::storage::ClaimPhase) {
        let Some(c) = self.pvcs[id.index()].as_mut() else { return };
        if c.phase == phase {
            return;
        }
        c.phase = phase;
        self.journal.record(now, Record::PvcPhase { pvc: c.key(), phase: phase.as_str() });
        self.changes.push(Change::Pvc(id));
    }

    /// Sets or clears the claim's owner reference to its pod (`whenScaled: Delete`).
    pub fn set_pvc_owned_by_pod(&mut self, now: SimTime, namespace: &str, name: &str, owned: bool) {
        let Some(id) = self.pvc_id(namespace, name) else { return };
        let Some(c) = self.pvcs[id.index()].as_mut() else { return };
        if c.owned_by_pod == owned {
            return;
        }
        c.owned_by_pod = owned;
        let owner = match (owned, c.pod_name()) {
            (true, Some(pod)) => format!("pod/{pod}"),
            _ => String::new(),
        };
        self.journal.record(now, Record::PvcOwner { pvc: c.key(), owner });
    }

    /// Starts deleting a claim (`deletionTimestamp`); [`remove_pvc`](Self::remove_pvc) ends it.
    pub fn mark_pvc_deleting(&mut self, now: SimTime, namespace: &str, name: &str) -> bool {
        let Some(id) = self.pvc_id(namespace, name) else { return false };
        let Some(c) = self.pvcs[id.index()].as_mut() else { return false };
        if c.deleting {
            return false;
        }
        c.deleting = true;
        self.journal.record(now, Record::PvcDeleting { pvc: c.key() });
        self.changes.push(Change::Pvc(id));
        true
    }

    pub fn remove_pvc(&mut self, now: SimTime, namespace: &str, name: &str) {
        let Some(id) = self.pvc_index.remove(&(namespace.to_string(), name.to_string())) else { return };
        if let Some(c) = self.pvcs[id.index()].take() {
            self.journal.record(now, Record::PvcDeleted { pvc: c.key() });
            self.changes.push(Change::PvcRemoved(id));
        }
    }

    /// Whether a pod uses the claim, for the `kubernetes.io/pvc-protection` finalizer: a live
    /// pod of its namespace, scheduled to a node, with a volume of that claim.
    pub fn claim_in_use(&self, namespace: &str, name: &str) -> bool {
        self.live_pods().map(|p| self.pod(p)).any(|p| {
            p.status.node.is_some()
                && p.meta.namespace == namespace
                && p.spec.claims.iter().any(|c| c.claim_name == name)
        })
    }

    pub fn pv(&self, name: &str) -> Option<&PersistentVolume> {
        self.pv_id(name).and_then(|id| self.pv_by_id(id))
    }

    pub fn pv_id(&self, name: &str) -> Option<PvId> {
        self.pv_index.get(name).copied()
    }

    pub fn pv_by_id(&self, id: PvId) -> Option<&PersistentVolume> {
        self.pvs.get(id.index()).and_then(Option::as_ref)
    }

    /// Every volume, by name.
    pub fn pvs(&self) -> impl Iterator<Item = &PersistentVolume> {
        self.pv_index.values().filter_map(|&id| self.pv_by_id(id))
    }

    /// Every volume's id, by name.
    pub fn pv_ids(&self) -> impl Iterator<Item = PvId> + '_ {
        self.pv_index.values().copied()
    }

    /// Creates a volume (the caller has checked the name is free): from a manifest, or made by a
    /// provisioner (bound to its claim already).
    pub fn create_pv(&mut self, now: SimTime, mut pv: PersistentVolume) -> PvId {
        let id = PvId(self.pvs.len() as u32);
        pv.meta.uid = self.uid();
        pv.meta.creation_timestamp = now;
        self.journal.record(
            now,
            Record::PvCreated {
                pv: pv.meta.name.clone(),
                class: pv.storage_class_name.clone(),
                capacity: pv.capacity.to_string(),
                zone: pv.zone(),
                claim: pv.claim_ref.as_ref().map(|r| r.key()).unwrap_or_default(),
            },
        );
        self.pv_index.insert(pv.meta.name.clone(), id);
        self.pvs.push(Some(pv));
        self.changes.push(Change::Pv(id));
        id
    }

    /// `kubectl apply` of an existing volume: capacity, access modes, class, reclaim policy,
    /// labels and annotations (node affinity and volume mode are immutable, checked by the
    /// caller; the claim reference stays the controller's).
    pub fn update_pv_spec(&mut self, now: SimTime, id: PvId, desired: &PersistentVolume) {
        let Some(v) = self.pvs[id.index()].as_mut() else { return };
        let changed = v.capacity != desired.capacity
            || v.access_modes != desired.access_modes
            || v.storage_class_name != desired.storage_class_name
            || v.reclaim_policy != desired.reclaim_policy
            || v.meta.labels != desired.meta.labels;
        v.meta.annotations = desired.meta.annotations.clone();
        if !changed {
            return;
        }
        v.capacity = desired.capacity.clone();
        v.access_modes = desired.access_modes.clone();
        v.storage_class_name = desired.storage_class_name.clone();
        v.reclaim_policy = desired.reclaim_policy;
        v.meta.labels = desired.meta.labels.clone();
        self.journal.record(now, Record::PvUpdated { pv: v.meta.name.clone() });
        self.changes.push(Change::Pv(id));
    }

    pub fn set_pv_phase(&mut self, now: SimTime, id: PvId, phase: crate::api::storage::VolumePhase) {
        let Some(v) = self.pvs[id.index()].as_mut() else { return };
        if v.phase == phase {
            return;
        }
        v.phase = phase;
        self.journal.record(now, Record::PvPhase { pv: v.meta.name.clone(), phase: phase.as_str() });
        self.changes.push(Change::Pv(id));
    }

    /// Starts deleting a volume; the `kubernetes.io/pv-protection` finalizer keeps it while it
    /// is bound.
    pub fn mark_pv_deleting(&mut self, now: SimTime, id: PvId) -> bool {
        let Some(v) = self.pvs[id.index()].as_mut() else { return false };
        if v.deleting {
            return false;
        }
        v.deleting = true;
        self.journal.record(now, Record::PvDeleting { pv: v.meta.name.clone() });
        self.changes.push(Change::Pv(id));
        true
    }

    pub fn remove_pv(&mut self, now: SimTime, id: PvId) {
        let Some(v) = self.pvs[id.index()].take() else { return };
        self.pv_index.remove(&v.meta.name);
        self.journal.record(now, Record::PvDeleted { pv: v.meta.name });
        self.changes.push(Change::PvRemoved(id));
    }

    pub fn storage_class(&self, name: &str) -> Option<&StorageClass> {
        self.storage_classes.get(name)
    }

    /// Every StorageClass, by name.
    pub fn storage_classes(&self) -> impl Iterator<Item = &StorageClass> {
        self.storage_classes.values()
    }

    /// The class claims without one get (`GetDefaultClass`). kubesim's built-in class counts
    /// only while no class of the scenario is marked default.
    pub fn default_storage_class(&self) -> Option<&StorageClass> {
        crate::api::storage::default_class(self.storage_classes.values().filter(|c| !self.is_builtin_storage_class(c)))
            .or_else(|| crate::api::storage::default_class(self.storage_classes.values()))
    }

    /// Whether `class` is kubesim's built-in class, as the store started with it (a manifest
    /// of the same name replaces it).
    pub fn is_builtin_storage_class(&self, class: &StorageClass) -> bool {
        class.meta.uid == crate::api::meta::Uid(0) && class.meta.name == crate::api::storage::BUILTIN_CLASS
    }

    /// Creates a StorageClass, or applies an update the caller has checked is allowed
    /// (`allowedTopologies`, labels and annotations).
    pub fn put_storage_class(&mut self, now: SimTime, mut class: StorageClass) {
        let name = class.meta.name.clone();
        let builtin = self.storage_classes.get(&name).is_some_and(|c| self.is_builtin_storage_class(c));
        match self.storage_classes.get_mut(&name).filter(|_| !builtin) {
            Some(old) => {
                let topologies_changed = old.allowed_topologies != class.allowed_topologies;
                if !topologies_changed
                    && old.meta.labels == class.meta.labels
                    && old.meta.annotations == class.meta.annotations
                {
                    return;
                }
                old.allowed_topologies = class.allowed_topologies;
                old.meta.labels = class.meta.labels;
                old.meta.annotations = class.meta.annotations;
                self.journal.record(now, Record::StorageClassUpdated { name });
                self.changes.push(Change::StorageClassUpdated { topologies_changed });
            }
            None => {
                class.meta.uid = self.uid();
                class.meta.creation_timestamp = now;
                let wait_for_first_consumer = class.wait_for_first_consumer();
                self.journal.record(now, Record::StorageClassCreated { name: name.clone() });
                self.storage_classes.insert(name, class);
                self.changes.push(Change::StorageClassAdded { wait_for_first_consumer });
            }
        }
    }

    pub fn remove_storage_class(&mut self, now: SimTime, name: &str) -> bool {
        if self.storage_classes.remove(name).is_none() {
            return false;
        }
        self.journal.record(now, Record::StorageClassDeleted { name: name.to_string() });
        true
    }

    // ----- daemonsets -----

    pub fn daemonset(&self, id: DsId) -> Option<&DaemonSet> {
        self.daemonsets[id.index()].as_ref()
    }

    pub fn ds_id(&self, namespace: &str, name: &str) -> Option<DsId> {
        self.ds_names.get(&(namespace.to_string(), name.to_string())).copied()
    }

    pub fn daemonset_ids(&self) -> impl Iterator<Item = DsId> + '_ {
        (0..self.daemonsets.len() as u32).map(DsId).filter(|id| self.daemonsets[id.index()].is_some())
    }

    /// Live pods controlled by the DaemonSet, in creation order.
    pub fn ds_pods(&self, id: DsId) -> &[PodId] {
        &self.ds_pods[id.index()]
    }

    pub fn ds_backoff(&self, id: DsId) -> &DaemonBackoff {
        &self.ds_backoff[id.index()]
    }

    /// The DaemonSet controlling the pod, if any.
    pub fn pod_ds(&self, id: PodId) -> Option<DsId> {
        match self.pod_owner[id.index()] {
            Some(PodOwner::DaemonSet(ds)) => Some(ds),
            _ => None,
        }
    }

    /// Creates a DaemonSet; the API server sets the template generation to 1.
    pub fn create_daemonset(&mut self, now: SimTime, mut ds: DaemonSet) -> DsId {
        let id = DsId(self.daemonsets.len() as u32);
        ds.meta.uid = self.uid();
        ds.meta.creation_timestamp = now;
        ds.meta.generation = 1;
        ds.template_generation = 1;
        ds.status = DaemonSetStatus::default();
        self.ds_names.insert(key_of(&ds.meta), id);
        self.journal.record(now, Record::DaemonSetCreated { ds: ds.meta.key() });
        self.daemonsets.push(Some(ds));
        self.ds_pods.push(Vec::new());
        self.ds_backoff.push(DaemonBackoff::default());
        self.changes.push(Change::DaemonSet(id));
        id
    }

    /// Applies a new spec (template, updateStrategy, minReadySeconds, revisionHistoryLimit) and
    /// labels; the caller has checked that the selector did not change. Bumps the generation
    /// if the spec changed, and the template generation with it if the template did.
    pub fn update_daemonset_spec(&mut self, now: SimTime, id: DsId, desired: &DaemonSet) {
        let Some(ds) = self.daemonsets[id.index()].as_mut() else { return };
        ds.meta.labels = desired.meta.labels.clone();
        let template_changed = ds.template != desired.template;
        let changed = template_changed
            || ds.update_strategy != desired.update_strategy
            || ds.min_ready_seconds != desired.min_ready_seconds
            || ds.revision_history_limit != desired.revision_history_limit;
        if !changed {
            return;
        }
        ds.template = desired.template.clone();
        ds.update_strategy = desired.update_strategy;
        ds.min_ready_seconds = desired.min_ready_seconds;
        ds.revision_history_limit = desired.revision_history_limit;
        ds.meta.generation += 1;
        if template_changed {
            ds.template_generation = ds.meta.generation;
        }
        self.journal.record(now, Record::DaemonSetUpdated { ds: ds.meta.key(), generation: ds.meta.generation });
        self.changes.push(Change::DaemonSet(id));
    }

    /// The controller's status update (no journal record: status is derived).
    pub fn set_daemonset_status(&mut self, id: DsId, status: DaemonSetStatus) -> bool {
        let Some(ds) = self.daemonsets[id.index()].as_mut() else { return false };
        if ds.status == status {
            return false;
        }
        ds.status = status;
        self.changes.push(Change::DaemonSet(id));
        true
    }

    /// The controller's failed-pod backoff (no change event: only the controller reads it).
    pub fn set_ds_backoff(&mut self, id: DsId, backoff: DaemonBackoff) {
        self.ds_backoff[id.index()] = backoff;
    }

    /// Removes the DaemonSet object; its pods lose the owner link to a live object (the
    /// engine's garbage collection deletes them).
    pub fn remove_daemonset(&mut self, now: SimTime, id: DsId) {
        let Some(ds) = self.daemonsets[id.index()].take() else { return };
        self.ds_names.remove(&key_of(&ds.meta));
        self.journal.record(now, Record::DaemonSetDeleted { ds: ds.meta.key() });
        self.changes.push(Change::DaemonSetRemoved(id));
    }

    /// An owner reference to a DaemonSet, for the pods it creates.
    pub fn ds_owner_ref(&self, id: DsId) -> Option<OwnerReference> {
        let ds = self.daemonset(id)?;
        Some(OwnerReference { kind: Kind::DaemonSet, name: ds.meta.name.clone(), uid: ds.meta.uid, controller: true })
    }

    // ----- ingresses -----

    pub fn ingress(&self, id: IngressId) -> Option<&Ingress> {
        self.ingresses[id.index()].as_ref()
    }

    pub fn ingress_id(&self, namespace: &str, name: &str) -> Option<IngressId> {
        self.ingress_names.get(&(namespace.to_string(), name.to_string())).copied()
    }

    pub fn ingress_ids(&self) -> impl Iterator<Item = IngressId> + '_ {
        (0..self.ingresses.len() as u32).map(IngressId).filter(|id| self.ingresses[id.index()].is_some())
    }

    /// Whether some Ingress of `namespace` routes to its Service `service`.
    pub fn service_exposed(&self, namespace: &str, service: &str) -> bool {
        self.ingresses.iter().flatten().any(|i| i.meta.namespace == namespace && i.exposes(service))
    }

    pub fn create_ingress(&mut self, now: SimTime, mut ingress: Ingress) -> IngressId {
        let id = IngressId(self.ingresses.len() as u32);
        ingress.meta.uid = self.uid();
        ingress.meta.creation_timestamp = now;
        ingress.meta.generation = 1;
        self.ingress_names.insert(key_of(&ingress.meta), id);
        self.journal.record(now, Record::IngressCreated { ingress: ingress.meta.key() });
        self.ingresses.push(Some(ingress));
        self.changes.push(Change::Ingress(id));
        id
    }

    /// Replaces the spec and labels from an applied manifest; bumps the generation if the spec
    /// changed.
    pub fn update_ingress_spec(&mut self, now: SimTime, id: IngressId, desired: &Ingress) {
        let Some(ingress) = self.ingresses[id.index()].as_mut() else { return };
        ingress.meta.labels = desired.meta.labels.clone();
        if ingress.same_spec(desired) {
            return;
        }
        ingress.ingress_class_name = desired.ingress_class_name.clone();
        ingress.default_backend = desired.default_backend.clone();
        ingress.rules = desired.rules.clone();
        ingress.meta.generation += 1;
        let (key, generation) = (ingress.meta.key(), ingress.meta.generation);
        self.journal.record(now, Record::IngressUpdated { ingress: key, generation });
        self.changes.push(Change::Ingress(id));
    }

    pub fn remove_ingress(&mut self, now: SimTime, id: IngressId) {
        let Some(ingress) = self.ingresses[id.index()].take() else { return };
        self.ingress_names.remove(&key_of(&ingress.meta));
        self.journal.record(now, Record::IngressDeleted { ingress: ingress.meta.key() });
        self.changes.push(Change::IngressRemoved(id));
    }

    // ----- horizontal pod autoscalers -----

    pub fn hpa(&self, id: HpaId) -> Option<&HorizontalPodAutoscaler> {
        self.hpas[id.index()].as_ref()
    }

    pub fn hpa_id(&self, namespace: &str, name: &str) -> Option<HpaId> {
        self.hpa_names.get(&(namespace.to_string(), name.to_string())).copied()
    }

    pub fn hpa_ids(&self) -> impl Iterator<Item = HpaId> + '_ {
        (0..self.hpas.len() as u32).map(HpaId).filter(|id| self.hpas[id.index()].is_some())
    }

    pub fn create_hpa(&mut self, now: SimTime, mut hpa: HorizontalPodAutoscaler) -> HpaId {
        let id = HpaId(self.hpas.len() as u32);
        hpa.meta.uid = self.uid();
        hpa.meta.creation_timestamp = now;
        hpa.meta.generation = 1;
        hpa.status = HorizontalPodAutoscalerStatus::default();
        self.hpa_names.insert(key_of(&hpa.meta), id);
        self.journal.record(now, Record::HpaCreated { hpa: hpa.meta.key() });
        self.hpas.push(Some(hpa));
        self.changes.push(Change::Hpa(id));
        id
    }

    /// Replaces the spec and labels from an applied manifest; bumps the generation if the spec
    /// changed.
    pub fn update_hpa_spec(&mut self, now: SimTime, id: HpaId, desired: &HorizontalPodAutoscaler) {
        let Some(hpa) = self.hpas[id.index()].as_mut() else { return };
        hpa.meta.labels = desired.meta.labels.clone();
        if hpa.spec == desired.spec {
            return;
        }
        hpa.spec = desired.spec.clone();
        hpa.meta.generation += 1;
        let (key, generation) = (hpa.meta.key(), hpa.meta.generation);
        self.journal.record(now, Record::HpaUpdated { hpa: key, generation });
        self.changes.push(Change::Hpa(id));
    }

    /// The HPA controller's status update: journals new replica counts and every condition
    /// whose status or reason changed (not messages or metric values, which change at every
    /// sync under a varying load).
    pub fn set_hpa_status(&mut self, now: SimTime, id: HpaId, status: HorizontalPodAutoscalerStatus) {
        let Some(hpa) = self.hpas[id.index()].as_mut() else { return };
        let key = hpa.meta.key();
        if (hpa.status.current_replicas, hpa.status.desired_replicas)
            != (status.current_replicas, status.desired_replicas)
        {
            self.journal.record(
                now,
                Record::HpaStatus {
                    hpa: key.clone(),
                    current_replicas: status.current_replicas,
                    desired_replicas: status.desired_replicas,
                },
            );
        }
        for c in &status.conditions {
            let old = hpa.status.condition(c.condition_type);
            if old.is_none_or(|o| o.status != c.status || o.reason != c.reason) {
                self.journal.record(
                    now,
                    Record::HpaCondition {
                        hpa: key.clone(),
                        condition: c.condition_type.as_str(),
                        status: c.status,
                        reason: c.reason,
                    },
                );
            }
        }
        hpa.status = status;
    }

    /// An event the HPA controller records on the HPA.
    pub fn record_hpa_event(&mut self, now: SimTime, id: HpaId, reason: &'static str, message: String) {
        let Some(hpa) = self.hpas[id.index()].as_ref() else { return };
        self.journal.record(now, Record::HpaEvent { hpa: hpa.meta.key(), reason, message });
    }

    pub fn remove_hpa(&mut self, now: SimTime, id: HpaId) {
        let Some(hpa) = self.hpas[id.index()].take() else { return };
        self.hpa_names.remove(&key_of(&hpa.meta));
        self.journal.record(now, Record::HpaDeleted { hpa: hpa.meta.key() });
        self.changes.push(Change::HpaRemoved(id));
    }

    /// An owner reference to a Job, for the pods it creates.
    pub fn job_owner_ref(&self, id: JobId) -> Option<OwnerReference> {
        let job = self.job(id)?;
        Some(OwnerReference { kind: Kind::Job, name: job.meta.name.clone(), uid: job.meta.uid, controller: true })
    }

    /// The CronJob that created the Job, if any (also once either is removed).
    pub fn job_cronjob(&self, id: JobId) -> Option<CronJobId> {
        self.job_cronjob.get(&id).copied()
    }

    // ----- cron jobs -----

    pub fn cronjob(&self, id: CronJobId) -> Option<&CronJob> {
        self.cronjobs[id.index()].as_ref()
    }

    pub fn cronjob_id(&self, namespace: &str, name: &str) -> Option<CronJobId> {
        self.cronjob_names.get(&(namespace.to_string(), name.to_string())).copied()
    }

    pub fn cronjob_ids(&self) -> impl Iterator<Item = CronJobId> + '_ {
        (0..self.cronjobs.len() as u32).map(CronJobId).filter(|id| self.cronjobs[id.index()].is_some())
    }

    /// The live Jobs the CronJob created, in creation order.
    pub fn cronjob_jobs(&self, id: CronJobId) -> &[JobId] {
        &self.cronjob_jobs[id.index()]
    }

    /// How many Jobs the CronJob has created, removed ones included.
    pub fn cronjob_jobs_created(&self, id: CronJobId) -> u32 {
        self.cronjob_jobs_created[id.index()]
    }

    pub fn create_cronjob(&mut self, now: SimTime, mut cronjob: CronJob) -> CronJobId {
        let id = CronJobId(self.cronjobs.len() as u32);
        cronjob.meta.uid = self.uid();
        cronjob.meta.creation_timestamp = now;
        cronjob.meta.generation = 1;
        cronjob.status = CronJobStatus::default();
        self.cronjob_names.insert(key_of(&cronjob.meta), id);
        self.journal.record(now, Record::CronJobCreated { cronjob: cronjob.meta.key() });
        self.cronjobs.push(Some(cronjob));
        self.cronjob_jobs.push(Vec::new());
        self.cronjob_jobs_created.push(0);
        self.changes.push(Change::CronJob(id));
        id
    }

    /// Replaces the spec and labels from an applied manifest (every field of a CronJob's spec
    /// may change); bumps the generation if the spec changed. Returns whether it did.
    pub fn update_cronjob_spec(&mut self, now: SimTime, id: CronJobId, desired: &CronJob) -> bool {
        let Some(cronjob) = self.cronjobs[id.index()].as_mut() else { return false };
        cronjob.meta.labels = desired.meta.labels.clone();
        if cronjob.spec == desired.spec {
            return false;
        }
        let rescheduled = cronjob.spec.schedule != desired.spec.schedule;
        cronjob.spec = desired.spec.clone();
        cronjob.meta.generation += 1;
        self.journal
            .record(now, Record::CronJobUpdated { cronjob: cronjob.meta.key(), generation: cronjob.meta.generation });
        self.changes.push(if rescheduled { Change::CronJobRescheduled(id) } else { Change::CronJob(id) });
        true
    }

    /// The CronJob controller's status update (no journal record: it follows from the Jobs'
    /// records).
    pub fn set_cronjob_status(&mut self, id: CronJobId, status: CronJobStatus) -> bool {
        let Some(cronjob) = self.cronjobs[id.index()].as_mut() else { return false };
        if cronjob.status == status {
            return false;
        }
        cronjob.status = status;
        self.changes.push(Change::CronJob(id));
        true
    }

    /// Removes the CronJob object; its Jobs keep their ids (the engine's garbage collection
    /// deletes them).
    pub fn remove_cronjob(&mut self, now: SimTime, id: CronJobId) {
        let Some(cronjob) = self.cronjobs[id.index()].take() else { return };
        self.cronjob_names.remove(&key_of(&cronjob.meta));
        self.journal.record(now, Record::CronJobDeleted { cronjob: cronjob.meta.key() });
        self.changes.push(Change::CronJobRemoved(id));
    }

    /// An owner reference to a CronJob, for the Jobs it creates.
    pub fn cronjob_owner_ref(&self, id: CronJobId) -> Option<OwnerReference> {
        let cronjob = self.cronjob(id)?;
        Some(OwnerReference {
            kind: Kind::CronJob,
            name: cronjob.meta.name.clone(),
            uid: cronjob.meta.uid,
            controller: true,
        })
    }

    /// An owner reference to a ReplicaSet, for the pods it creates.
    pub fn rs_owner_ref(&self, id: RsId) -> Option<OwnerReference> {
        let rs = self.replica_set(id)?;
        Some(OwnerReference { kind: Kind::ReplicaSet, name: rs.meta.name.clone(), uid: rs.meta.uid, controller: true })
    }
}

/// The node conditions the simulator manages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeConditionType {
    Ready,
    MemoryPressure,
    DiskPressure,
    PidPressure,
}

impl NodeConditionType {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeConditionType::Ready => "Ready",
            NodeConditionType::MemoryPressure => "MemoryPressure",
            NodeConditionType::DiskPressure => "DiskPressure",
            NodeConditionType::PidPressure => "PIDPressure",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::PodPhase;
    use crate::api::selector::LabelSelector;
    use crate::scheduler::plugins::testutil;

    proptest::proptest! {
        /// A `PodSet` answers as a `BTreeSet` of the same ids after any inserts and removals:
        /// membership, each operation's return, and the ascending iteration (hence the size).
        #[test]
        fn pod_sets_behave_as_ordered_sets(ops in proptest::collection::vec((proptest::prelude::any::<bool>(), 0u32..300), 0..200)) {
            let (mut set, mut model) = (PodSet::default(), BTreeSet::new());
            for (insert, id) in ops {
                let id = PodId(id);
                if insert {
                    proptest::prop_assert_eq!(set.insert(id), model.insert(id));
                } else {
                    proptest::prop_assert_eq!(set.remove(id), model.remove(&id));
                }
                proptest::prop_assert_eq!(set.contains(id), model.contains(&id));
                proptest::prop_assert_eq!(set.iter().count(), model.len());
            }
            proptest::prop_assert_eq!(set.iter().collect::<Vec<_>>(), model.into_iter().collect::<Vec<_>>());
        }
    }

    /// A removed pod is archived once its removal is dispatched, a Job's only once the Job
    /// is finished (or removed) and none of its pods is left; the record reads as the pod
    /// did, for every field the outputs read.
    #[test]
    fn removed_pods_are_archived_once_nothing_reads_them_whole() {
        let mut store = Store::new(Journal::new(false));
        let now = SimTime::ZERO;
        let later = SimTime::from_secs(30);
        let mut bare = crate::scheduler::plugins::testutil::pod(&[("cpu", "1")]);
        bare.meta.name = "bare".into();
        let bare = store.create_pod(now, bare, None);
        store.set_pod_phase(now, bare, PodPhase::Running);
        let before = format!(
            "{:?}",
            (store.pod_entry(bare).key(), store.pod_entry(bare).phase(), store.pod_entry(bare).created())
        );
        store.remove_pod(later, bare);
        assert!(!store.is_archived(bare), "not before its removal is dispatched");
        let _ = store.pod(bare).meta.labels.len();
        store.release_removed();
        assert!(store.is_archived(bare));
        let row = store.pod_entry(bare);
        assert_eq!(format!("{:?}", (row.key(), row.phase(), row.created())), before);
        assert_eq!((row.finished_at(), row.node(), row.terminating()), (Some(later), None, false));
        assert!(row.full().is_none());

        let job = store.create_job(now, testutil::job("default", "train", "completions: 2"));
        let owner = store.job_owner_ref(job).unwrap();
        let job_labels = store.job(job).unwrap().pod_labels();
        assert_eq!(job_labels.len(), 4, "the generated labels");
        let mut pods = Vec::new();
        for name in ["train-a", "train-b"] {
            let mut p = crate::scheduler::plugins::testutil::pod(&[("cpu", "1")]);
            p.meta.name = name.into();
            p.meta.labels = job_labels.clone();
            p.meta.owner_references = vec![owner.clone()];
            pods.push(store.create_pod(now, p, Some(PodOwner::Job(job))));
        }
        store.remove_pod(later, pods[0]);
        store.release_removed();
        assert!(!store.is_archived(pods[0]), "the Job runs: its controller may read the pod");
        assert!(store.pod(pods[0]).meta.labels.is_empty(), "its labels are released");
        complete(&mut store, job, later, 0);
        store.release_removed();
        assert!(!store.is_archived(pods[0]), "a pod of the Job is left");
        store.remove_pod(later, pods[1]);
        store.release_removed();
        assert!(store.is_archived(pods[0]) && store.is_archived(pods[1]));
        assert_eq!(store.pod_entry(pods[1]).controller(), Some((Kind::Job, "train")));
        assert_eq!(store.pod_entries().map(|p| p.name()).collect::<Vec<_>>(), ["bare", "train-a", "train-b"]);
        assert!(!store.is_job_archived(job) && store.job(job).is_some(), "a manifest's Job is kept whole");
    }

    /// A one-pod Job of `namespace`/`name` made by `create` (a workload's or not), its pod
    /// removed at 30 s and the Job then Complete (with `ttl`, if any).
    fn finished_job(
        store: &mut Store,
        name: &str,
        ttl: Option<i32>,
        create: fn(&mut Store, SimTime, Job) -> JobId,
    ) -> (JobId, PodId) {
        let (now, later) = (SimTime::from_secs(1), SimTime::from_secs(30));
        let mut job = testutil::job("batch", name, "");
        job.spec.ttl_seconds_after_finished = ttl;
        let job = create(store, now, job);
        let mut p = crate::scheduler::plugins::testutil::pod(&[("cpu", "1")]);
        (p.meta.namespace, p.meta.name) = ("batch".into(), format!("{name}-x"));
        p.meta.owner_references = vec![store.job_owner_ref(job).unwrap()];
        let pod = store.create_pod(now, p, Some(PodOwner::Job(job)));
        store.remove_pod(later, pod);
        complete(store, job, later, 1);
        (job, pod)
    }

    /// Marks the Job Complete at `at` with `succeeded` pods (and that completion time, if any
    /// succeeded).
    fn complete(store: &mut Store, job: JobId, at: SimTime, succeeded: i32) {
        let mut status = store.job(job).unwrap().status.clone();
        status.succeeded = succeeded;
        status.completion_time = (succeeded > 0).then_some(at);
        status.conditions.push(crate::api::batch::JobCondition {
            kind: crate::api::batch::JobConditionType::Complete,
            status: ConditionStatus::True,
            reason: "CompletionsReached",
            message: Cow::Borrowed(""),
            last_transition_time: at,
        });
        store.set_job_status(at, job, status);
    }

    /// A workload's Job is archived once finished with no pod left: it stays findable by
    /// name, with its status, names and creation time, and can be removed; one with a TTL
    /// (which will delete it) is kept whole, as is one the scenario's manifests made.
    #[test]
    fn finished_workload_jobs_are_archived_with_their_status() {
        let mut store = Store::new(Journal::new(true));
        let (job, pod) = finished_job(&mut store, "arrival-1", None, Store::create_workload_job);
        let (ttl, _) = finished_job(&mut store, "arrival-2", Some(60), Store::create_workload_job);
        let (manifest, _) = finished_job(&mut store, "manual", None, Store::create_job);
        let live = store.job(job).unwrap().clone();
        store.release_removed();
        assert!(store.is_job_archived(job) && store.is_archived(pod));
        assert!(!store.is_job_archived(ttl) && store.job(ttl).is_some(), "its TTL will delete it");
        assert!(!store.is_job_archived(manifest) && store.job(manifest).is_some());
        assert!(store.job(job).is_none(), "not whole any more");
        assert_eq!(store.job_status(job).as_deref(), Some(&live.status));
        assert_eq!(store.job_names(job), Some(("batch", "arrival-1")));
        assert_eq!(store.job_object_key(job).as_deref(), Some("batch/arrival-1"));
        assert_eq!(store.job_created(job), Some(live.meta.creation_timestamp));
        assert_eq!(store.job_id("batch", "arrival-1"), Some(job));
        assert_eq!(store.job_ids().collect::<Vec<_>>(), [job, ttl, manifest]);
        assert_eq!(store.job_pods(job), [pod]);
        let names = store.namespaced_objects("batch");
        assert!(names.iter().any(|r| r.kind == Kind::Job && r.name == "arrival-1"), "{names:?}");

        store.remove_job(SimTime::from_secs(40), job);
        assert_eq!(store.job_id("batch", "arrival-1"), None);
        assert_eq!((store.job_status(job), store.job_names(job)), (None, None));
        assert_eq!(store.job_ids().collect::<Vec<_>>(), [ttl, manifest]);
        store.remove_job(SimTime::from_secs(41), job);
        let deleted: Vec<&str> = store
            .journal
            .records()
            .iter()
            .filter_map(|(_, r)| match r {
                Record::JobDeleted { job } => Some(job.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(deleted, ["batch/arrival-1"], "removed once");
    }

    /// A Job's pod list holds its first pods in place, then moves them to the heap, in order.
    #[test]
    fn pod_lists_keep_creation_order() {
        let mut list = PodList::default();
        assert!(list.as_slice().is_empty());
        for i in 0..10u32 {
            list.push(PodId(i * 3));
            let want: Vec<PodId> = (0..=i).map(|k| PodId(k * 3)).collect();
            assert_eq!(list.as_slice(), want.as_slice());
            assert_eq!(matches!(list, PodList::Inline { .. }), i < PodList::INLINE as u32, "after {} pods", i + 1);
        }
    }

    /// The name indexes keep ids only: lookups by (namespace, name) across namespaces,
    /// after removals, and with a name reused by a later object (pods and Jobs).
    #[test]
    fn name_indexes_find_the_live_object_of_each_name() {
        let mut store = Store::new(Journal::new(false));
        let now = SimTime::ZERO;
        store.create_namespace(now, "other");
        let pod = |ns: &str, name: &str| {
            let mut p = crate::scheduler::plugins::testutil::pod(&[("cpu", "1")]);
            (p.meta.namespace, p.meta.name) = (ns.to_string(), name.to_string());
            p
        };
        // Enough pods that the table grows (its rehash reads every filed name back).
        let ids: Vec<PodId> = (0..200).map(|i| store.create_pod(now, pod("default", &format!("p{i}")), None)).collect();
        let other = store.create_pod(now, pod("other", "p7"), None);
        assert_eq!(store.pod_id("default", "p7"), Some(ids[7]));
        assert_eq!(store.pod_id("other", "p7"), Some(other));
        assert_eq!(store.pod_id("default", "p200"), None);
        assert_eq!(store.pod_id("nowhere", "p7"), None);
        store.remove_pod(now, ids[7]);
        assert_eq!(store.pod_id("default", "p7"), None);
        assert_eq!(store.pod_id("other", "p7"), Some(other));
        let again = store.create_pod(now, pod("default", "p7"), None);
        assert_eq!(store.pod_id("default", "p7"), Some(again));
        assert!((0..200).filter(|&i| i != 7).all(|i| store.pod_id("default", &format!("p{i}")) == Some(ids[i])));

        let job = |ns: &str, name: &str| testutil::job(ns, name, "");
        let a = store.create_job(now, job("default", "train"));
        let b = store.create_job(now, job("other", "train"));
        assert_eq!((store.job_id("default", "train"), store.job_id("other", "train")), (Some(a), Some(b)));
        store.remove_job(now, a);
        assert_eq!((store.job_id("default", "train"), store.job_id("other", "train")), (None, Some(b)));
        let c = store.create_job(now, job("default", "train"));
        assert_eq!(store.job_id("default", "train"), Some(c));
    }

    /// The candidates of `active_pods_for` always contain every active pod the selector
    /// matches (it may return more: callers check), and skip terminal ones.
    #[test]
    fn label_candidates_cover_every_matching_active_pod() {
        let mut store = Store::new(Journal::new(false));
        let now = SimTime::ZERO;
        store.create_namespace(now, "other");
        let specs = [
            ("default", "web", "a"),
            ("default", "web", "b"),
            ("default", "db", "a"),
            ("other", "web", "a"),
            ("default", "web", "a"),
        ];
        let mut ids = Vec::new();
        for (i, (ns, app, tier)) in specs.iter().enumerate() {
            let mut p = crate::scheduler::plugins::testutil::pod(&[("cpu", "1")]);
            p.meta.name = format!("p{i}");
            p.meta.namespace = ns.to_string();
            p.meta.labels.insert("app".into(), app.to_string());
            p.meta.labels.insert("tier".into(), tier.to_string());
            ids.push(store.create_pod(now, p, None));
        }
        store.set_pod_phase(now, ids[4], PodPhase::Succeeded);
        // No Service asked for `app` yet: its requirement cannot narrow the candidates.
        let all: Vec<PodId> = store.active_pods_for("default", &LabelSelector::parse("app=db").unwrap()).collect();
        assert_eq!(all, store.active_pods().collect::<Vec<_>>());
        // A Service's selector files the active pods under its keys (later ones as they come).
        store.file_active_pods_by(&LabelSelector::parse("app=web,tier=a").unwrap());
        assert!(store.active_label_index_is_consistent());
        let mut late = crate::scheduler::plugins::testutil::pod(&[("cpu", "1")]);
        late.meta.name = "late".into();
        late.meta.labels.insert("app".into(), "web".into());
        late.meta.labels.insert("tier".into(), "b".into());
        let late = store.create_pod(now, late, None);
        assert!(store.active_label_index_is_consistent());
        let web_b: Vec<PodId> =
            store.active_pods_for("default", &LabelSelector::parse("app=web,tier=b").unwrap()).collect();
        assert!(web_b.contains(&late) && web_b.contains(&ids[1]), "{web_b:?}");
        for text in ["app=web", "app=web,tier=a", "app in (web,db),tier=b", "tier", "app!=db", "app=none", ""] {
            let selector = LabelSelector::parse(text).unwrap();
            let candidates: Vec<PodId> = store.active_pods_for("default", &selector).collect();
            let expected: Vec<PodId> = store
                .active_pods()
                .filter(|&p| store.pod(p).meta.namespace == "default" && selector.matches(&store.pod(p).meta.labels))
                .collect();
            for p in &expected {
                assert!(candidates.contains(p), "{text:?}: {p:?} missing from {candidates:?}");
            }
            assert!(!candidates.contains(&ids[4]), "{text:?}: a terminal pod is no candidate");
            assert!(candidates.windows(2).all(|w| w[0] < w[1]), "{text:?}: in id order, once each");
        }
        // An equality requirement narrows the candidates to the pods with that label value.
        let narrow: Vec<PodId> = store.active_pods_for("default", &LabelSelector::parse("app=db").unwrap()).collect();
        assert_eq!(narrow, [ids[2]]);
        store.remove_pod(now, ids[2]);
        assert!(store.active_label_index_is_consistent());
        assert!(store.active_pods_for("default", &LabelSelector::parse("app=db").unwrap()).next().is_none());
    }

    /// The selector index's candidates contain every object whose selector matches, in id
    /// order, and follow additions and removals.
    #[test]
    fn selector_index_candidates_cover_every_match() {
        // Anchor keys of several lengths, one longer than the 63 the length filter tells apart.
        let long = format!("example.com/{}=x", "k".repeat(60));
        let selectors =
            ["app=web", "app in (web,db)", "tier", "app!=db", "", "app=db,tier=a", "tier=a,app=web", long.as_str()];
        let parsed: Vec<LabelSelector> = selectors.iter().map(|t| LabelSelector::parse(t).unwrap()).collect();
        let mut index = SelectorIndex::default();
        for (i, sel) in parsed.iter().enumerate() {
            index.add("default", sel, i);
        }
        index.add("default", &LabelSelector::nothing(), 99);
        index.add("other", &parsed[0], 50);
        let (k70, k65) = (format!("example.com/{}", "k".repeat(60)), format!("example.com/{}", "k".repeat(53)));
        let label_sets: [&[(&str, &str)]; 8] = [
            &[("app", "web")],
            &[("app", "db"), ("tier", "a")],
            &[("tier", "b")],
            &[],
            &[("app", "api"), ("tier", "a")],
            &[("batch.kubernetes.io/job-name", "web"), ("ppp", "web"), ("app", "web")],
            &[(k70.as_str(), "x"), ("tier", "a")],
            &[(k65.as_str(), "x")],
        ];
        let check = |index: &SelectorIndex<usize>, live: &[usize]| {
            for pairs in label_sets {
                let labels: crate::api::meta::Labels =
                    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                let candidates = index.candidates("default", &labels);
                for &i in live {
                    if parsed[i].matches(&labels) {
                        assert!(candidates.contains(&i), "{:?} misses {:?}", labels, selectors[i]);
                    }
                }
                assert!(!candidates.contains(&99) && !candidates.contains(&50), "Nothing, other namespace");
                assert!(candidates.iter().all(|i| live.contains(i)), "{candidates:?} ⊆ {live:?}");
            }
        };
        check(&index, &[0, 1, 2, 3, 4, 5, 6, 7]);
        for i in [1, 3, 6] {
            index.remove("default", &parsed[i], i);
        }
        check(&index, &[0, 2, 4, 5, 7]);
        for i in [0, 2, 4, 5, 7] {
            index.remove("default", &parsed[i], i);
        }
        index.remove("other", &parsed[0], 50);
        assert!(index.agrees_with(&SelectorIndex::default()), "emptied maps are pruned");
        assert!(index.anchored.0.is_empty() && index.unanchored.is_empty());
    }

    /// Pods created from one source spec share one admitted spec (with the default
    /// tolerations added); a PriorityClass change makes admission run again.
    #[test]
    fn pods_of_one_source_spec_share_the_admitted_spec() {
        let mut store = Store::new(Journal::new(false));
        let now = SimTime::ZERO;
        let proto = crate::scheduler::plugins::testutil::pod(&[("cpu", "1")]);
        let create = |store: &mut Store, name: &str, spec: &Arc<PodSpec>| {
            let mut p = proto.clone();
            p.meta.name = name.into();
            p.spec = spec.clone();
            store.create_pod(now, p, None)
        };
        let source = proto.spec.clone();
        let (a, b) = (create(&mut store, "a", &source), create(&mut store, "b", &source));
        assert!(Arc::ptr_eq(&store.pod(a).spec, &store.pod(b).spec));
        assert_eq!(store.pod(a).spec.tolerations.len(), source.tolerations.len() + 2, "not-ready and unreachable");
        // Another source with the same content is admitted on its own.
        let other = Arc::new(PodSpec::clone(&source));
        let c = create(&mut store, "c", &other);
        assert!(!Arc::ptr_eq(&store.pod(a).spec, &store.pod(c).spec));
        assert_eq!(store.pod(a).spec, store.pod(c).spec);
        // A new default PriorityClass: the next pod of the same source is admitted again.
        let class = crate::api::scheduling::PriorityClass {
            meta: ObjectMeta { name: "high".into(), ..ObjectMeta::default() },
            value: 1000,
            global_default: true,
            preemption_policy: crate::api::scheduling::PreemptionPolicy::PreemptLowerPriority,
            description: String::new(),
        };
        store.put_priority_class(now, class);
        let d = create(&mut store, "d", &source);
        assert_eq!(store.pod(d).spec.priority, 1000);
        assert_eq!(store.pod(a).spec.priority, 0);
    }
}
#[cfg(test)]
mod slot_sizes {
    /// A scale day makes a million pods and Jobs and keeps a slot for each: the slot is a
    /// pointer or a place in the archive, never the object or its record.
    #[test]
    fn the_slot_of_every_pod_and_job_ever_made_is_two_words() {
        assert_eq!(std::mem::size_of::<super::PodSlot>(), 16);
        assert_eq!(std::mem::size_of::<super::JobSlot>(), 16);
        assert_eq!(std::mem::size_of::<super::PodList>(), 16);
    }
}
