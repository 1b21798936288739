//! kube-scheduler: the scheduling queue, the cache of node views, the profiles (one framework
//! instance per `schedulerName`) and the scheduling cycle.
//!
//! The engine feeds the scheduler every store change (its informers) and asks it to schedule
//! one pod per `ScheduleOne` event. A cycle is instantaneous in virtual time: the chosen node
//! is bound at once (no assume/bind latency is modelled). Which nodes are examined follows the
//! deterministic model of the reference (§4.1): sequential examination in node-tree order from
//! `nextStartNodeIndex`, stopping after `numFeasibleNodesToFind` feasible nodes; ties between
//! equal totals are broken uniformly, one draw per decision, on the seeded `scheduler.tiebreak` stream.
//!
//! Preemption: the scheduler keeps the nominator (pods nominated to each node). A pod tries
//! its nominated node first; nominated pods of equal or higher priority count as placed on
//! their node when filtering (`RunFilterPluginsWithNominatedPods`). When no node fits, the
//! profile's PostFilter plugins run (DefaultPreemption); the scheduler then deletes the
//! victims, clears the lower-priority nominations on the chosen node and nominates the pod.

pub mod config;
pub mod custom;
pub mod framework;
pub mod hints;
pub mod lane;
pub mod match_counts;
pub mod memo;
pub mod plugins;
pub mod queue;
pub mod registry;

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use crate::api::pod::Pod;
use crate::api::resources::Resources;
use crate::kernel::{SimDuration, SimRng, SimTime};
use crate::store::{Change, NodeId, PodId, Store};
use config::{ResolvedProfile, SchedulerConfig};
use custom::PluginRegistry;
use framework::{
    Code, CycleContext, Filter, FrameworkHandle, GpuRow, NodeInfo, NodeRow, NodeStatus, NodeToStatus, Plugin, PodView,
    PostFilterContext, PostFilterResult, RowNeed, Rows, Status, Zone, num_feasible_nodes_to_find, select_host,
};
use hints::ClusterEvent;
use plugins::volume_binding::{ClaimBinding, PodVolumes, find_pod_volumes};
use queue::SchedulingQueue;

/// One profile: a framework instance.
pub struct Profile {
    pub resolved: ResolvedProfile,
    plugins: Vec<Box<dyn Plugin>>,
    pre_filter: Vec<usize>,
    /// The Filter plugins (each with a Filter extension point), in order.
    filter: Vec<usize>,
    pre_score: Vec<usize>,
    score: Vec<(usize, i64)>,
    post_filter: Vec<usize>,
    gates_enabled: bool,
    /// VolumeBinding filters: its Reserve / PreBind bind the pod's delayed claims.
    binds_volumes: bool,
    /// By plugin index: [`Plugin::node_local`].
    local: Vec<bool>,
    /// The Filter plugins (indices under 64) that are node-local for some pods only
    /// ([`Plugin::node_local_for`]), asked per cycle.
    local_for_some: Vec<usize>,
    /// The node-local plugins' per-node results, shared by pods with equal specs.
    memo: memo::VerdictMemo,
    /// What a scheduling cycle fills and the next one reuses.
    buffers: CycleBuffers,
}

/// The per-node lists of a scheduling cycle, kept between cycles so that a decision allocates
/// none of them: each is several KB at thousands of nodes, and a run's many freed small
/// objects (archived pods) make every such `malloc` search the allocator's bins.
#[derive(Default)]
struct CycleBuffers {
    /// The feasible nodes, in the order found.
    feasible: Vec<NodeId>,
    /// Their views; empty between cycles (see [`emptied`]).
    infos: Vec<&'static NodeInfo>,
    /// Their weighted score sums.
    totals: Vec<i64>,
    /// The positions in `feasible` whose node-local scores the memo does not know, whether
    /// each is to be recorded, their node ids and views (empty between cycles), and one
    /// scorer's scores of them.
    unknown: Vec<usize>,
    fresh: Vec<bool>,
    unknown_ids: Vec<NodeId>,
    unknown_infos: Vec<&'static NodeInfo>,
    unknown_scores: Vec<i64>,
    /// The cycle's memo score columns: every entry a cycle reads it writes first, so the
    /// buffer is not cleared (zeroing 16 KB per cycle of 500 nodes was a tenth of the
    /// instructions of a memo-hit decision).
    score_columns: Vec<i64>,
    /// The cycle's raw scores of one scorer, likewise not cleared.
    score_raw: Vec<i64>,
    /// The rejected nodes' statuses ([`NodeToStatus::in_buffer`]): empty between cycles, and
    /// kept by the memo when the pass fails.
    statuses: framework::StatusBuffer,
    /// The cycles' lists of Filter plugins for the last few sets of plugins PreFilter skipped
    /// (a spec's cycles skip the same ones: a retry storm built these lists millions of times).
    filter_sets: Vec<FilterSets>,
    /// The entry of `filter_sets` a new set replaces once it is full.
    next_filter_set: usize,
}

/// The Filter plugins of a cycle whose PreFilter skipped `skipped`: the active ones
/// ([`active_filters`]), the node-local ones among them, and the others with their positions
/// ([`other_filters`]).
struct FilterSets {
    /// `skipped` as a bit set, when every index is under 64 (compared instead of the list).
    mask: Option<u64>,
    skipped: PluginIndices,
    /// The plugins node-local for this cycle's pod beyond those always so, as a bit set.
    local_now: u64,
    /// By plugin index: node-local in these cycles ([`Plugin::node_local`] or `local_now`).
    local_flags: Vec<bool>,
    filters: PluginIndices,
    local: PluginIndices,
    other: smallvec::SmallVec<[(usize, usize); 8]>,
}

/// Sets of skipped plugins a profile's buffers keep the Filter lists of.
const FILTER_SETS: usize = 8;

/// `v` emptied, with its allocation, as a vector of references of any lifetime: a cycle's
/// list of node views outlives the cycle's borrow of them only as capacity. (Collecting an
/// emptied `vec::IntoIter` through `map` reuses its allocation when the item layouts match,
/// as they do; `emptied_keeps_the_allocation` checks it.)
fn emptied<T: ?Sized + 'static>(mut v: Vec<&T>) -> Vec<&'static T> {
    v.clear();
    v.into_iter().map(|_| -> &'static T { unreachable!("the vector is empty") }).collect()
}

impl Profile {
    /// Builds the plugin instances of a resolved profile (built-in plugins only).
    pub fn new(resolved: ResolvedProfile) -> Profile {
        Profile::build(resolved, |name, r| Ok(plugins::instantiate(name, r))).0
    }

    /// Builds the plugin instances of a resolved profile, with the plugins registered in
    /// `registry` and ExternalPolicy. A registered constructor that fails leaves its plugin
    /// out; the first such failure, `(plugin, message)`, comes back beside the profile.
    pub fn with_registry(resolved: ResolvedProfile, registry: &PluginRegistry) -> (Profile, Option<(String, String)>) {
        Profile::build(resolved, |name, r| plugins::instantiate_with(name, r, registry))
    }

    fn build(
        resolved: ResolvedProfile,
        make: impl Fn(&str, &ResolvedProfile) -> Result<Option<Box<dyn Plugin>>, String>,
    ) -> (Profile, Option<(String, String)>) {
        let mut plugins: Vec<Box<dyn Plugin>> = Vec::new();
        let mut failure: Option<(String, String)> = None;
        let mut index_of = |name: &str, plugins: &mut Vec<Box<dyn Plugin>>| -> Option<usize> {
            if let Some(i) = plugins.iter().position(|p| p.name() == name) {
                return Some(i);
            }
            match make(name, &resolved) {
                Ok(p) => {
                    plugins.push(p?);
                    Some(plugins.len() - 1)
                }
                Err(e) => {
                    failure.get_or_insert_with(|| (name.to_string(), e));
                    None
                }
            }
        };
        let pre_filter = resolved.pre_filter.iter().filter_map(|n| index_of(n, &mut plugins)).collect();
        let filter: Vec<usize> = resolved.filter.iter().filter_map(|n| index_of(n, &mut plugins)).collect();
        let pre_score = resolved.pre_score.iter().filter_map(|n| index_of(n, &mut plugins)).collect();
        let score = resolved.score.iter().filter_map(|(n, w)| index_of(n, &mut plugins).map(|i| (i, *w))).collect();
        let post_filter = resolved.post_filter.iter().filter_map(|n| index_of(n, &mut plugins)).collect();
        let gates_enabled = resolved.pre_enqueue.iter().any(|n| n == "SchedulingGates");
        let binds_volumes = resolved.filter.iter().any(|n| n == plugins::volume_binding::NAME);
        // Only the plugins with a Filter extension point run there: sorted out once, not per cycle.
        let filter: Vec<usize> = filter.into_iter().filter(|&i| plugins[i].as_filter().is_some()).collect();
        let local: Vec<bool> = plugins.iter().map(|p| p.node_local()).collect();
        let local_for_some =
            filter.iter().copied().filter(|&i| i < 64 && !local[i] && plugins[i].node_local_for_some()).collect();
        let profile = Profile {
            resolved,
            plugins,
            pre_filter,
            filter,
            pre_score,
            score,
            post_filter,
            gates_enabled,
            binds_volumes,
            local,
            local_for_some,
            memo: memo::VerdictMemo::default(),
            buffers: CycleBuffers::default(),
        };
        (profile, failure)
    }

    pub fn name(&self) -> &str {
        &self.resolved.scheduler_name
    }
}

/// How one examined node fared in a cycle, for `decisions.jsonl`.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeVerdict {
    pub node: NodeId,
    pub status: Option<Status>,
    /// (plugin, normalized score) per score plugin that ran.
    pub scores: Vec<(&'static str, i64)>,
    pub total: Option<i64>,
}

/// The outcome of one scheduling attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Bound(NodeId),
    /// No feasible node; the FitError message (shared with the memo's failed pass, when read
    /// from there).
    Unschedulable(Arc<str>),
    /// A plugin returned an error.
    Error(String),
}

/// A plugin failure that stops the run (see [`Plugin::fatal_error`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginFailure {
    pub plugin: String,
    /// The pod being scheduled (`namespace/name`); `None` when building the plugin failed.
    pub pod: Option<String>,
    pub message: String,
}

/// The one pod whose scheduling attempts are recorded for `kubesim explain`.
struct PodWatch {
    namespace: String,
    name: String,
    /// Its attempts, as `decisions.jsonl` lines.
    decisions: Vec<serde_json::Value>,
}

/// Counters for the summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SchedulerStats {
    pub attempts: u64,
    pub bound: u64,
    pub unschedulable: u64,
    pub errors: u64,
}

pub struct Scheduler {
    profiles: Vec<Profile>,
    global_percentage: Option<i32>,
    pub queue: SchedulingQueue,
    /// Node views, indexed by NodeId.
    cache: Vec<NodeInfo>,
    /// Node ids in node-tree order (zones round-robin).
    order: Vec<NodeId>,
    /// Whether some node lists images: `None` after a node that listed some changed (then
    /// recomputed at the next cycle); a node listing images sets it at once, and one that lists
    /// none leaves it (so adding image-less nodes never rescans the views).
    any_node_images: Option<bool>,
    /// Zone names by [`Zone::Id`] (`zone_ids` finds a name's id), interned as node views are
    /// built; never shrinks.
    zones: Vec<String>,
    zone_ids: crate::hash::HashMap<String, u32>,
    /// Each node's node-tree zone key (its region and zone, [`Node::zone_key`]) by number, in
    /// the order the keys were first seen, and the numbers by key: the node tree is rebuilt
    /// without reading any node's labels (at 50,000 nodes that read was most of a rebuild).
    ///
    /// [`Node::zone_key`]: crate::api::node::Node::zone_key
    tree_keys: Vec<u32>,
    /// By region, then zone (looked up without allocating); `tree_key_count` numbers a new key.
    tree_key_ids: BTreeMap<String, BTreeMap<String, u32>>,
    tree_key_count: u32,
    /// Nodes were added since `order` was built.
    order_stale: bool,
    next_start_index: usize,
    tiebreak: SimRng,
    trace: Option<Vec<String>>,
    watch: Option<PodWatch>,
    failure: Option<PluginFailure>,
    /// The nominator (`PodNominator`): pods nominated to each node by preemption, in order.
    nominated: BTreeMap<NodeId, Vec<PodId>>,
    /// Namespace labels (for `namespaceSelector`), refreshed when the store's change.
    namespace_labels: Vec<(String, crate::api::meta::Labels)>,
    namespaces_version: Option<u64>,
    /// The run's seed, for plugins with random draws of their own.
    run_seed: u64,
    /// Σ requests of the pods in the queue (`CycleContext::pending`), and which pods, by
    /// `PodId` index, are counted in it.
    pending: Resources,
    pending_members: Vec<bool>,
    /// Per-node counts of pods matching the selectors PodTopologySpread asked for recently.
    match_counts: match_counts::MatchCounts,
    /// The nodes whose view holds a pod with pod (anti-)affinity terms, in id order.
    affinity_nodes: std::collections::BTreeSet<NodeId>,
    affinity_list: Vec<NodeId>,
    affinity_list_stale: bool,
    /// By node: the generation of its view, renewed from `generation_clock` whenever the view
    /// changes (what the profiles' memos are checked against).
    generations: Vec<u64>,
    generation_clock: u64,
    /// The node of each of the last [`TOUCHED`] generations, at `generation % TOUCHED`: the
    /// nodes whose views changed since a recent clock, without a pass over every node.
    touched: Vec<NodeId>,
    /// Counts the rebuilds of `order`: a failed pass read back over changed nodes needs the
    /// same nodes in the same order.
    order_version: u64,
    /// By node index: its position in `order` (`u32::MAX` outside it), for the memos' lanes.
    positions: Vec<u32>,
    /// By node: the dense row of its view ([`NodeRow`]), renewed before a cycle for the nodes
    /// in `stale_rows` (every node touched since the last cycle: a view may change after its
    /// touch), and its [`GpuRow`] in `gpu_rows`.
    rows: Vec<NodeRow>,
    gpu_rows: Vec<GpuRow>,
    stale_rows: Vec<NodeId>,
    /// Every memo read is compared with what the plugins answer (debug builds).
    check_memo: bool,
    /// The rejecting plugins of the cycle (kept between cycles: a retry storm fails millions).
    rejectors: Vec<&'static str>,
    pub stats: SchedulerStats,
}

impl Scheduler {
    pub fn new(config: &SchedulerConfig, tiebreak: SimRng, trace_decisions: bool) -> Scheduler {
        Scheduler::with_registry(config, &PluginRegistry::new(), tiebreak, trace_decisions)
    }

    /// A scheduler whose profiles may use the plugins registered in `registry` (the one the
    /// configuration was decoded with). A registered constructor that fails is reported by
    /// [`take_failure`](Self::take_failure).
    pub fn with_registry(
        config: &SchedulerConfig,
        registry: &PluginRegistry,
        tiebreak: SimRng,
        trace_decisions: bool,
    ) -> Scheduler {
        let mut failure = None;
        let profiles = config
            .profiles
            .iter()
            .map(|p| {
                let resolved = p.resolve_with(registry).expect("profiles are validated when the scenario is loaded");
                let (profile, error) = Profile::with_registry(resolved, registry);
                if let Some((plugin, message)) = error {
                    failure.get_or_insert(PluginFailure { plugin, pod: None, message });
                }
                profile
            })
            .collect();
        Scheduler {
            profiles,
            global_percentage: config.percentage_of_nodes_to_score,
            queue: SchedulingQueue::new(
                SimDuration::from_secs(config.pod_initial_backoff_seconds as u64),
                SimDuration::from_secs(config.pod_max_backoff_seconds as u64),
            ),
            cache: Vec::new(),
            order: Vec::new(),
            // No node, no image.
            any_node_images: Some(false),
            zones: Vec::new(),
            zone_ids: Default::default(),
            tree_keys: Vec::new(),
            tree_key_ids: BTreeMap::new(),
            tree_key_count: 0,
            order_stale: false,
            next_start_index: 0,
            tiebreak,
            trace: trace_decisions.then(Vec::new),
            watch: None,
            failure,
            nominated: BTreeMap::new(),
            namespace_labels: Vec::new(),
            namespaces_version: None,
            run_seed: 0,
            pending: Resources::default(),
            pending_members: Vec::new(),
            match_counts: match_counts::MatchCounts::new(),
            affinity_nodes: std::collections::BTreeSet::new(),
            affinity_list: Vec::new(),
            affinity_list_stale: false,
            generations: Vec::new(),
            generation_clock: 0,
            touched: vec![NodeId(0); TOUCHED],
            order_version: 0,
            positions: Vec::new(),
            rows: Vec::new(),
            gpu_rows: Vec::new(),
            stale_rows: Vec::new(),
            check_memo: cfg!(debug_assertions),
            rejectors: Vec::new(),
            stats: SchedulerStats::default(),
        }
    }

    /// Records every scheduling attempt of the pod `namespace/name` from now on, with the
    /// structure of `decisions.jsonl` (see [`watched_decisions`](Self::watched_decisions)).
    pub fn watch_pod(&mut self, namespace: &str, name: &str) {
        self.watch = Some(PodWatch { namespace: namespace.to_string(), name: name.to_string(), decisions: Vec::new() });
    }

    /// The recorded attempts of the watched pod, oldest first.
    pub fn watched_decisions(&self) -> &[serde_json::Value] {
        self.watch.as_ref().map_or(&[], |w| &w.decisions)
    }

    /// A failure that must stop the run, once.
    pub fn take_failure(&mut self) -> Option<PluginFailure> {
        self.failure.take()
    }

    /// Sets the run's seed, which plugins with random draws of their own (Random) use unless
    /// their args name a seed.
    pub fn set_run_seed(&mut self, seed: u64) {
        self.run_seed = seed;
    }

    /// Whether every verdict and raw score read from the memo ([`memo`]) is compared with the
    /// plugins' own answer, failing loudly on a difference. On in debug builds; off to count
    /// what the plugins are asked.
    pub fn set_memo_check(&mut self, on: bool) {
        self.check_memo = on;
    }

    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    fn profile_index(&self, scheduler_name: &str) -> Option<usize> {
        self.profiles.iter().position(|p| p.name() == scheduler_name)
    }

    /// The decision lines recorded with `--trace decisions`.
    /// The scheduling attempts traced so far (without taking them).
    pub fn decisions(&self) -> &[String] {
        self.trace.as_deref().unwrap_or(&[])
    }

    /// Cycles that found no node by reading back the spec's last failed pass (no node view
    /// changed since), over all profiles.
    pub fn failed_passes_reused(&self) -> u64 {
        self.profiles.iter().map(|p| p.memo.failed_passes_reused).sum()
    }

    /// Cycles, over every profile, whose totals were summed from the memo's rows alone.
    pub fn totals_from_memo(&self) -> u64 {
        self.profiles.iter().map(|p| p.memo.totals_from_memo()).sum()
    }

    pub fn take_decisions(&mut self) -> Vec<String> {
        self.trace.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// The view of `node` changed: a new generation, so no memo entry of the old one is read,
    /// and its rows renewed before the next cycle.
    fn touch(&mut self, node: NodeId) {
        self.generation_clock += 1;
        let i = node.index();
        if i >= self.generations.len() {
            self.generations.resize(i + 1, 0);
        }
        self.generations[i] = self.generation_clock;
        self.touched[(self.generation_clock % TOUCHED as u64) as usize] = node;
        self.stale_rows.push(node);
    }

    /// Renews the rows of the nodes touched since their rows were last renewed (before each
    /// cycle, and when a node view is rebuilt).
    fn refresh_rows(&mut self) {
        if self.rows.len() < self.cache.len() {
            self.rows.resize(self.cache.len(), NodeRow::default());
            self.gpu_rows.resize(self.cache.len(), GpuRow::default());
        }
        for id in self.stale_rows.drain(..) {
            if let Some(info) = self.cache.get(id.index()) {
                self.rows[id.index()] = NodeRow::of(info);
                self.gpu_rows[id.index()] = GpuRow::of(info);
            }
        }
    }

    /// The node set or a node's images changed: ImageLocality's spread of every image may
    /// differ, so the memos start over.
    fn clear_memos(&mut self) {
        for p in &mut self.profiles {
            p.memo.clear();
        }
    }

    /// Rebuilds the view of node `id` from the store, and its rows at once (as kube-scheduler's
    /// cache builds a `NodeInfo` in its node event handlers): adding 50,000 nodes leaves no row
    /// for the first cycle to build.
    fn refresh_node(&mut self, store: &Store, id: NodeId) {
        self.touch(id);
        let node = store.node(id);
        let had_images = self.cache.get(id.index()).is_some_and(|info| !info.images.is_empty());
        if !node.images.is_empty() {
            self.any_node_images = Some(true);
        } else if had_images {
            self.any_node_images = None;
        }
        let (region, zone) = node.region_and_zone();
        let key = match self.tree_key_ids.get(region).and_then(|zones| zones.get(zone)) {
            Some(&key) => key,
            None => {
                let key = self.tree_key_count;
                self.tree_key_count = key.checked_add(1).expect("fewer than 2^32 zones");
                self.tree_key_ids.entry(region.to_string()).or_default().insert(zone.to_string(), key);
                key
            }
        };
        if self.tree_keys.len() <= id.index() {
            self.tree_keys.resize(id.index() + 1, 0);
        }
        self.tree_keys[id.index()] = key;
        let info = NodeInfo {
            id,
            name: node.meta.name.clone(),
            // A copy, not a share of the Node's: the filters and PodTopologySpread read the
            // labels of thousands of views per cycle, and fresh copies sit together in memory
            // (sharing the Node object's made a 10k-node day 19 % slower).
            labels: node.meta.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            hostname_labelled: Some(node.meta.labels.contains_key(crate::api::node::labels::HOSTNAME)),
            zone: match node.meta.labels.get(crate::api::node::labels::ZONE) {
                None => Zone::Unlabelled,
                Some(zone) => Zone::Id(self.zone_id(zone)),
            },
            taints: node.taints.clone(),
            unschedulable: node.unschedulable,
            images: node.images.clone(),
            allocatable: node.allocatable_resources.clone(),
            gpu_devices: node.allocatable_resources.gpu_devices(),
            gpu_held: Default::default(),
            requested: Default::default(),
            non_zero_requested: Default::default(),
            pod_count: 0,
            pods: Vec::new(),
            pod_keys: Vec::new(),
            affinity_pods: 0,
            lowest_priority: i32::MAX,
        };
        if id.index() < self.cache.len() {
            let old = &mut self.cache[id.index()];
            let (requested, non_zero, count) = (old.requested.clone(), old.non_zero_requested.clone(), old.pod_count);
            let (pods, affinity_pods, lowest_priority) =
                (std::mem::take(&mut old.pods), old.affinity_pods, old.lowest_priority);
            let (gpu_held, pod_keys) = (std::mem::take(&mut old.gpu_held), std::mem::take(&mut old.pod_keys));
            *old = NodeInfo {
                requested,
                non_zero_requested: non_zero,
                pod_count: count,
                pods,
                pod_keys,
                gpu_held,
                affinity_pods,
                lowest_priority,
                ..info
            };
        } else {
            debug_assert_eq!(id.index(), self.cache.len());
            self.cache.push(info);
            // Rebuilt before the next cycle: adding n nodes one by one stays O(n).
            self.order_stale = true;
        }
        self.match_counts.node_labelled(id, &self.cache[id.index()].labels);
        self.refresh_rows();
    }

    /// The interned id of zone name `zone` ([`Zone::Id`]), new names numbered in the order
    /// node views first carry them.
    fn zone_id(&mut self, zone: &str) -> u32 {
        if let Some(&id) = self.zone_ids.get(zone) {
            return id;
        }
        let id = u32::try_from(self.zones.len()).expect("fewer than 2^32 zones");
        self.zones.push(zone.to_string());
        self.zone_ids.insert(zone.to_string(), id);
        id
    }

    /// `nodeTree.list()`: zones in first-seen order, round robin over zones.
    fn rebuild_order(&mut self, store: &Store) {
        self.order_stale = false;
        self.order_version += 1;
        // Zones in first-seen order (by their keys' numbers, `tree_keys`).
        let mut zones: Vec<Vec<NodeId>> = Vec::new();
        let mut slot: Vec<Option<usize>> = vec![None; self.tree_key_count as usize];
        // By index, not through the views: at 50,000 nodes a walk over the views read cold
        // memory for each.
        for id in (0..self.cache.len()).map(|i| NodeId(i as u32)).filter(|&id| !store.is_node_removed(id)) {
            let key = self.tree_keys[id.index()] as usize;
            let i = *slot[key].get_or_insert(zones.len());
            if i == zones.len() {
                zones.push(Vec::new());
            }
            zones[i].push(id);
        }
        self.order.clear();
        let longest = zones.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..longest {
            for ids in &zones {
                if let Some(&id) = ids.get(i) {
                    self.order.push(id);
                }
            }
        }
        self.positions.clear();
        self.positions.resize(self.cache.len(), u32::MAX);
        for (p, id) in self.order.iter().enumerate() {
            self.positions[id.index()] = p as u32;
        }
    }

    /// `AddNominatedPod`: `pod` is nominated to `node` (replacing an earlier nomination).
    fn nominate(&mut self, pod: PodId, node: NodeId) {
        self.forget_nomination(pod);
        self.nominated.entry(node).or_default().push(pod);
    }

    /// `DeleteNominatedPodIfExists`.
    fn forget_nomination(&mut self, pod: PodId) {
        let mut emptied = None;
        for (node, pods) in self.nominated.iter_mut() {
            if let Some(i) = pods.iter().position(|&p| p == pod) {
                pods.remove(i);
                if pods.is_empty() {
                    emptied = Some(*node);
                }
                break;
            }
        }
        if let Some(node) = emptied {
            self.nominated.remove(&node);
        }
    }

    /// Adds a pod to the queue and to the pending demand.
    fn enqueue(&mut self, id: PodId, pod: &Pod, now: SimTime) {
        self.queue.add(id, pod.spec.priority, now);
        let i = id.index();
        if self.pending_members.len() <= i {
            self.pending_members.resize(i + 1, false);
        }
        if !self.pending_members[i] {
            self.pending_members[i] = true;
            self.pending.add(&pod.spec.requests);
        }
    }

    /// Removes a pod from the queue and from the pending demand.
    fn dequeue(&mut self, id: PodId, pod: &Pod) {
        self.queue.forget(id);
        if let Some(member) = self.pending_members.get_mut(id.index())
            && *member
        {
            *member = false;
            self.pending.sub(&pod.spec.requests);
        }
    }

    /// Σ requests of the pods waiting in the queue (the pending demand).
    pub fn pending_demand(&self) -> &Resources {
        &self.pending
    }

    /// Pods nominated to `node`, in nomination order.
    pub fn nominated_pods(&self, node: NodeId) -> &[PodId] {
        self.nominated.get(&node).map_or(&[], Vec::as_slice)
    }

    /// The informer: reacts to one store change. Returns true when pods may have become
    /// schedulable (the engine then makes sure a cycle runs).
    pub fn on_change(&mut self, store: &Store, change: Change, now: SimTime) {
        match change {
            Change::NodeAdded(id) => {
                self.refresh_node(store, id);
                self.clear_memos();
                let node = &self.cache[id.index()];
                self.queue.move_unschedulable(now, |p, rejectors| {
                    hints::worth_retrying(rejectors, store.pod(p), &ClusterEvent::NodeAdd(node))
                });
            }
            Change::NodeRemoved(id) => {
                if !self.cache[id.index()].images.is_empty() {
                    self.any_node_images = None;
                }
                self.touch(id);
                self.clear_memos();
                // The node leaves the snapshot: its slot stays (ids are dense) as an empty view
                // without labels, capacity or pods, outside the node tree, so no plugin counts
                // it or what was bound to it. Nominations to it are dropped.
                let info = &mut self.cache[id.index()];
                *info = NodeInfo {
                    id,
                    name: std::mem::take(&mut info.name),
                    labels: Default::default(),
                    zone: Zone::Unlabelled,
                    hostname_labelled: Some(false),
                    taints: Vec::new(),
                    unschedulable: true,
                    images: Vec::new(),
                    allocatable: Default::default(),
                    gpu_devices: 0,
                    gpu_held: Default::default(),
                    requested: Default::default(),
                    non_zero_requested: Default::default(),
                    pod_count: 0,
                    pods: Vec::new(),
                    pod_keys: Vec::new(),
                    affinity_pods: 0,
                    lowest_priority: i32::MAX,
                };
                self.nominated.remove(&id);
                self.match_counts.node_cleared(id);
                self.match_counts.node_labelled(id, &Default::default());
                self.sync_affinity(id);
                self.order_stale = true;
            }
            Change::NodeUpdated(id) if store.is_node_removed(id) => {}
            Change::NodeUpdated(id) => {
                let old = self.cache[id.index()].clone();
                self.refresh_node(store, id);
                if old.images != self.cache[id.index()].images {
                    self.clear_memos();
                }
                let new = &self.cache[id.index()];
                self.queue.move_unschedulable(now, |p, rejectors| {
                    hints::worth_retrying(rejectors, store.pod(p), &ClusterEvent::NodeUpdate { old: &old, new })
                });
            }
            Change::PodCreated(id) => {
                let pod = store.pod(id);
                if pod.status.node.is_some() || pod.meta.deletion_timestamp.is_some() {
                    return;
                }
                let Some(profile) = self.profile_index(&pod.spec.scheduler_name) else { return };
                if self.profiles[profile].gates_enabled && !pod.spec.scheduling_gates.is_empty() {
                    return;
                }
                self.enqueue(id, pod, now);
            }
            Change::PodBound(id) => {
                let pod = store.pod(id);
                self.dequeue(id, pod);
                self.forget_nomination(id);
                if let Some(node) = pod.status.node {
                    self.cache[node.index()].add_pod(id, pod);
                    self.touch(node);
                    let info = &self.cache[node.index()];
                    if let Some(added) = info.pods.last() {
                        self.match_counts.pod_changed(node, added, 1);
                    }
                    self.sync_affinity(node);
                    // The queueing hints need the pod's view only if some pod waits as
                    // unschedulable.
                    if self.queue.unschedulable_count() > 0 {
                        let info = &self.cache[node.index()];
                        let view = PodView::of(id, pod);
                        self.queue.move_unschedulable(now, |p, rejectors| {
                            hints::worth_retrying(
                                rejectors,
                                store.pod(p),
                                &ClusterEvent::AssignedPodAdd { pod: &view, node: info },
                            )
                        });
                    }
                }
            }
            Change::PodRemoved(id) => {
                let pod = store.pod(id);
                self.dequeue(id, pod);
                self.forget_nomination(id);
                self.forget_assigned(store, id, now);
            }
            Change::PodDeleting(id) => match store.pod(id).status.node {
                None => {
                    self.dequeue(id, store.pod(id));
                    self.forget_nomination(id);
                }
                Some(node) => {
                    self.update_cached_pod(node, id, store.pod(id));
                    if self.queue.unschedulable_count() > 0 {
                        let info = &self.cache[node.index()];
                        let view = PodView::of(id, store.pod(id));
                        self.queue.move_unschedulable(now, |p, rejectors| {
                            hints::worth_retrying(
                                rejectors,
                                store.pod(p),
                                &ClusterEvent::AssignedPodUpdate { pod: &view, node: info },
                            )
                        });
                    }
                }
            },
            Change::PodStatus(id) if store.pod(id).status.phase.is_terminal() => {
                // kube-scheduler's pod informer lists non-terminal pods only
                // (`status.phase!=Succeeded,status.phase!=Failed`): a pod that reaches a
                // terminal phase is a deletion to the scheduler, and frees its resources.
                self.forget_assigned(store, id, now);
            }
            Change::PodStatus(id) => {
                // The start time matters to preemption; keep the node's view current.
                if let Some(node) = store.pod(id).status.node {
                    let info = &self.cache[node.index()];
                    if info.view_of(id).is_some_and(|p| p.start_time != store.pod(id).status.start_time) {
                        self.update_cached_pod(node, id, store.pod(id));
                    }
                }
            }
            Change::Pvc(id) => {
                let (namespace, name) = store.pvc_key(id);
                let event = ClusterEvent::ClaimChange { namespace, name };
                self.queue
                    .move_unschedulable(now, |p, rejectors| hints::worth_retrying(rejectors, store.pod(p), &event));
            }
            Change::Pv(_) => self.on_storage_event(store, now, ClusterEvent::VolumeChange),
            Change::StorageClassAdded { .. } => self.on_storage_event(store, now, ClusterEvent::StorageClassAdd),
            Change::StorageClassUpdated { topologies_changed } => {
                self.on_storage_event(store, now, ClusterEvent::StorageClassUpdate { topologies_changed });
            }
            _ => {}
        }
    }

    /// Keeps `affinity_nodes` in step with a node's view after it changed.
    fn sync_affinity(&mut self, node: NodeId) {
        let has = self.cache.get(node.index()).is_some_and(|n| n.affinity_pods > 0);
        let changed = if has { self.affinity_nodes.insert(node) } else { self.affinity_nodes.remove(&node) };
        self.affinity_list_stale |= changed;
    }

    /// Refreshes a pod's view on its node in the cache, and the match counts with it.
    fn update_cached_pod(&mut self, node: NodeId, id: PodId, pod: &crate::api::pod::Pod) {
        self.touch(node);
        let info = &mut self.cache[node.index()];
        if let Some(i) = info.position(id) {
            self.match_counts.pod_changed(node, &info.pods[i], -1);
            info.update_pod(id, pod);
            self.match_counts.pod_changed(node, &info.pods[i], 1);
        }
        self.sync_affinity(node);
    }

    /// Moves the unschedulable pods a claim, volume or class event may help.
    fn on_storage_event(&mut self, store: &Store, now: SimTime, event: ClusterEvent<'_>) {
        self.queue.move_unschedulable(now, |p, rejectors| hints::worth_retrying(rejectors, store.pod(p), &event));
    }

    /// An assigned pod left the scheduler's view (deleted, or terminal): release it from its
    /// node and retry the pods this may help. Nothing happens for a pod not in the cache.
    fn forget_assigned(&mut self, store: &Store, id: PodId, now: SimTime) {
        let pod = store.pod(id);
        let Some(node) = pod.status.node else { return };
        let Some(view) = self.cache[node.index()].view_of(id) else { return };
        self.match_counts.pod_changed(node, view, -1);
        self.cache[node.index()].remove_pod(id, pod);
        self.touch(node);
        self.sync_affinity(node);
        // The queueing hints need the pod's view only if some pod waits as unschedulable.
        if self.queue.unschedulable_count() == 0 {
            return;
        }
        let info = &self.cache[node.index()];
        let view = PodView::of(id, pod);
        self.queue.move_unschedulable(now, |p, rejectors| {
            hints::worth_retrying(rejectors, store.pod(p), &ClusterEvent::AssignedPodDelete { pod: &view, node: info })
        });
    }

    /// Whether a pod can be popped (from activeQ, or early from backoffQ).
    pub fn has_work(&self) -> bool {
        self.queue.has_poppable()
    }

    /// Pops one pod and runs one scheduling cycle for it. Returns the pod and outcome.
    pub fn schedule_one(&mut self, store: &mut Store, now: SimTime) -> Option<(PodId, Outcome)> {
        if self.order_stale {
            self.rebuild_order(store);
        }
        let pod_id = self.queue.pop()?;
        self.refresh_rows();
        let pod = store.pod(pod_id);
        if pod.meta.deletion_timestamp.is_some() || pod.status.node.is_some() || store.is_removed(pod_id) {
            self.dequeue(pod_id, pod);
            return None;
        }
        let profile_index = self.profile_index(&pod.spec.scheduler_name)?;
        self.stats.attempts += 1;
        let mut verdicts = Vec::new();
        let watched = self.watch.as_ref().is_some_and(|w| w.namespace == pod.meta.namespace && w.name == pod.meta.name);
        let tracing = self.trace.is_some() || watched;
        let mut post: Option<PostFilterOutcome> = None;
        let noms = self.nominations(store, pod_id, now);
        let mut rejectors = std::mem::take(&mut self.rejectors);
        rejectors.clear();
        let outcome = {
            let percentage = self.profiles[profile_index]
                .resolved
                .percentage_of_nodes_to_score
                .or(self.global_percentage)
                .unwrap_or(0);
            let owner_selectors = owner_selectors(store, pod_id);
            // The store keeps no Namespace labels: namespaces carry only their name label.
            if self.namespaces_version != Some(store.namespaces_version()) {
                self.namespace_labels = store.namespace_labels();
                self.namespaces_version = Some(store.namespaces_version());
            }
            let volumes =
                if pod.spec.claims.is_empty() { PodVolumes::default() } else { PodVolumes::gather(store, pod) };
            if self.affinity_list_stale {
                self.affinity_list = self.affinity_nodes.iter().copied().collect();
                self.affinity_list_stale = false;
            }
            debug_assert!(
                self.cache
                    .iter()
                    .enumerate()
                    .all(|(i, n)| (n.affinity_pods > 0) == self.affinity_nodes.contains(&NodeId(i as u32))),
                "the scheduler's list of nodes with affinity pods differs from its node views"
            );
            let any_node_images =
                *self.any_node_images.get_or_insert_with(|| self.cache.iter().any(|n| !n.images.is_empty()));
            debug_assert_eq!(
                any_node_images,
                self.cache.iter().any(|n| !n.images.is_empty()),
                "the scheduler's note of node images differs from its node views"
            );
            let cx = CycleContext {
                any_node_images,
                nodes: &self.cache,
                owner_selectors: &owner_selectors,
                namespace_labels: &self.namespace_labels,
                run_seed: self.run_seed,
                pending: &self.pending,
                volumes: &volumes,
                match_counts: Some(&self.match_counts),
                affinity_nodes: Some(&self.affinity_list),
                zones: &self.zones,
            };
            let profile = &mut self.profiles[profile_index];
            let mut buffers = std::mem::take(&mut profile.buffers);
            let outcome = schedule_pod(
                profile,
                &mut buffers,
                pod,
                &cx,
                &self.order,
                &mut self.next_start_index,
                percentage,
                &mut self.tiebreak,
                tracing.then_some(&mut verdicts),
                &noms,
                &mut post,
                &mut rejectors,
                MemoCx {
                    generations: &self.generations,
                    rows: &self.rows,
                    gpu_rows: &self.gpu_rows,
                    clock: self.generation_clock,
                    touched: &self.touched,
                    order_version: self.order_version,
                    positions: &self.positions,
                    check: self.check_memo,
                },
            );
            profile.buffers = buffers;
            outcome
        };
        drop(noms);
        if matches!(outcome, Outcome::Error(_))
            && let Some((plugin, message)) =
                self.profiles[profile_index].plugins.iter().find_map(|p| p.fatal_error().map(|m| (p.name(), m)))
        {
            let pod = Some(store.pod(pod_id).meta.key());
            self.failure.get_or_insert(PluginFailure { plugin: plugin.to_string(), pod, message });
        }
        match &outcome {
            Outcome::Bound(node) => {
                self.stats.bound += 1;
                if self.profiles[profile_index].binds_volumes && !store.pod(pod_id).spec.claims.is_empty() {
                    bind_pod_volumes(store, now, pod_id, *node);
                }
                store.bind_pod(now, pod_id, *node);
            }
            Outcome::Unschedulable(message) => {
                self.stats.unschedulable += 1;
                if let Some(result) = post.as_ref().and_then(|p| p.result.as_ref()) {
                    self.apply_post_filter(store, now, pod_id, result);
                }
                store.set_unschedulable_pod(now, pod_id, message);
                if let Some(result) = post.as_ref().and_then(|p| p.result.as_ref()) {
                    // `handleSchedulingFailure`: the nominator and `status.nominatedNodeName`.
                    store.set_nominated_node(now, pod_id, result.nominated_node);
                    match result.nominated_node {
                        Some(node) => self.nominate(pod_id, node),
                        None => self.forget_nomination(pod_id),
                    }
                }
                self.queue.requeue_rejected(pod_id, now, &rejectors);
            }
            Outcome::Error(message) => {
                self.stats.errors += 1;
                store.set_unschedulable_pod(now, pod_id, &format!("scheduling error: {message}").into());
                self.queue.requeue_after_error(pod_id, now);
            }
        }
        if tracing {
            let mut decision = decision_value(now, store, pod_id, &outcome, &verdicts);
            if let (Some(p), Some(map)) = (&post, decision.as_object_mut()) {
                map.insert("preemption".into(), preemption_value(store, p));
            }
            if let Some(trace) = self.trace.as_mut() {
                trace.push(decision.to_string());
            }
            if let Some(w) = self.watch.as_mut().filter(|_| watched) {
                w.decisions.push(decision);
            }
        }
        self.rejectors = rejectors;
        Some((pod_id, outcome))
    }

    /// The nominated pods this cycle must make room for, and what preemption reads.
    fn nominations<'s>(&self, store: &'s Store, pod_id: PodId, now: SimTime) -> Nominations<'s> {
        let pod = store.pod(pod_id);
        let mut ge: BTreeMap<NodeId, Vec<std::sync::Arc<PodView>>> = BTreeMap::new();
        for (&node, pods) in &self.nominated {
            for &p in pods {
                if p != pod_id && store.pod(p).spec.priority >= pod.spec.priority {
                    ge.entry(node).or_default().push(std::sync::Arc::new(PodView::of(p, store.pod(p))));
                }
            }
        }
        let pdbs = if self.profiles.iter().any(|p| !p.post_filter.is_empty()) {
            store.pdb_ids().filter_map(|id| store.pdb(id)).collect()
        } else {
            Vec::new()
        };
        let own = pod.status.nominated_node.filter(|&n| !store.is_node_removed(n));
        Nominations { ge, own, pod_id, pdbs, now }
    }

    /// `prepareCandidate`: the victims are deleted gracefully with the `DisruptionTarget`
    /// condition, and lower-priority pods nominated to the node lose their nomination.
    fn apply_post_filter(&mut self, store: &mut Store, now: SimTime, pod_id: PodId, result: &PostFilterResult) {
        let Some(node) = result.nominated_node else { return };
        let preemptor = store.pod(pod_id).meta.key();
        let node_name = store.node(node).meta.name.clone();
        let mut names = Vec::new();
        let mut deleted = 0;
        for &victim in &result.victims {
            names.push(store.pod(victim).meta.key());
            // A victim already being deleted needs no second call.
            if store.mark_pod_deleting(now, victim, framework::PREEMPTION_BY_SCHEDULER, true) {
                deleted += 1;
            }
        }
        store.count_preemption(deleted);
        let victims = names.join(", ");
        store.journal.narrate(now, || format!("pod {preemptor} preempts {victims} on node {node_name}"));
        let priority = store.pod(pod_id).spec.priority;
        let lower: Vec<PodId> =
            self.nominated_pods(node).iter().copied().filter(|&p| store.pod(p).spec.priority < priority).collect();
        for p in lower {
            store.set_nominated_node(now, p, None);
            self.forget_nomination(p);
        }
    }

    /// The node views (for tests and invariant checks).
    pub fn cache(&self) -> &[NodeInfo] {
        &self.cache
    }
}

/// VolumeBinding's Reserve and PreBind (`AssumePodVolumes`, `BindPodVolumes`) on the chosen
/// node: each delayed claim is bound to the volume the filter matched, or gets the
/// `volume.kubernetes.io/selected-node` annotation and a volume provisioned in the node's
/// topology (the provisioner is instantaneous, so the claims are bound before the pod).
fn bind_pod_volumes(store: &mut Store, now: SimTime, pod_id: PodId, node: NodeId) {
    let pod = store.pod(pod_id);
    let namespace = pod.meta.namespace.clone();
    let volumes = PodVolumes::gather(store, pod);
    let n = store.node(node);
    let node_name = n.meta.name.clone();
    let (reasons, bindings) = find_pod_volumes(&volumes, &node_name, &n.meta.labels);
    if !reasons.is_empty() {
        // Only when the profile runs VolumeBinding's Filter without its PreFilter: the node
        // was never checked, and no claim can be bound on it.
        return;
    }
    for binding in bindings {
        match binding {
            ClaimBinding::Bind { claim, volume } => {
                let (Some(c), Some(v)) = (store.pvc_id(&namespace, &claim), store.pv_id(&volume)) else { continue };
                store.bind_claim(now, c, v);
                store.narrate_claim_binding(now, c, false);
            }
            ClaimBinding::Provision { claim, topology } => {
                let Some(c) = store.pvc_id(&namespace, &claim) else { continue };
                store.set_pvc_selected_node(now, c, &node_name);
                if store.provision_volume(now, c, &topology).is_some() {
                    store.narrate_claim_binding(now, c, true);
                }
            }
        }
    }
}

/// The selectors of the Services, ReplicaSets and StatefulSets in the pod's namespace that
/// select it (`helper.DefaultSelector`'s inputs).
fn owner_selectors(store: &Store, pod_id: PodId) -> Vec<crate::api::selector::LabelSelector> {
    let pod = store.pod(pod_id);
    let (namespace, labels) = (&pod.meta.namespace, &pod.meta.labels);
    let mut out = Vec::new();
    for s in store.services_selecting(namespace, labels) {
        let service = store.service(s).expect("live id");
        if service.meta.namespace == pod.meta.namespace
            && service.selector_labels.is_some()
            && service.selector.matches(&pod.meta.labels)
        {
            out.push(service.selector.clone());
        }
    }
    for rs in store.replica_sets_selecting(namespace, labels) {
        let r = store.replica_set(rs).expect("live id");
        if r.meta.namespace == pod.meta.namespace && r.selector.matches(&pod.meta.labels) {
            out.push(r.selector.clone());
        }
    }
    for sts in store.statefulsets_selecting(namespace, labels) {
        let s = store.statefulset(sts).expect("live id");
        if s.meta.namespace == pod.meta.namespace && s.selector.matches(&pod.meta.labels) {
            out.push(s.selector.clone());
        }
    }
    out
}

/// What a cycle needs to read the profile's memo: the node views' generations, the clock
/// that hands them out (unchanged while no view changes), and whether to check every read
/// against the plugins.
#[derive(Clone, Copy)]
struct MemoCx<'a> {
    generations: &'a [u64],
    /// By node: its view's [`NodeRow`] and [`GpuRow`], current.
    rows: &'a [NodeRow],
    gpu_rows: &'a [GpuRow],
    clock: u64,
    /// [`Scheduler::touched`] and [`Scheduler::order_version`].
    touched: &'a [NodeId],
    order_version: u64,
    /// [`Scheduler::positions`].
    positions: &'a [u32],
    check: bool,
}

/// How many of the latest node view changes the scheduler remembers ([`Scheduler::touched`]).
const TOUCHED: usize = 1024;

/// A failed pass brought up to date keeps at most this many distinct statuses.
const MAX_TABLE: usize = 64;

/// Where a failed pass is kept in the profile's memo: the slot of the pod's spec for the
/// cycle's node-local filters, the cache's size and the generation clock of the pass.
struct KeptAt<'a> {
    filters: &'a [usize],
    nodes: usize,
    clock: u64,
}

/// The end of a cycle whose filter pass, walked or read back, found no node: the rejecting
/// plugins, then PostFilter's answer — read back with the pass when it is there, else asked
/// for and, when pure and the pass is kept in the memo (`kept`), kept with it. Returns the
/// outcome and whether the answer was pure.
#[allow(clippy::too_many_arguments)]
fn end_failed_pass(
    profile: &mut Profile,
    pod: &Pod,
    cx: &CycleContext<'_>,
    order: &[NodeId],
    noms: &Nominations<'_>,
    skipped: &[usize],
    rng: &mut SimRng,
    post: &mut Option<PostFilterOutcome>,
    rejectors: &mut Vec<&'static str>,
    pass: Rc<memo::FailedPass>,
    kept: Option<KeptAt<'_>>,
) -> (Outcome, bool) {
    add_rejectors(rejectors, &pass.rejectors);
    if let Some((answer, text)) = &pass.post {
        *post = answer.clone();
        return (Outcome::Unschedulable(text.clone()), true);
    }
    let mut pure = false;
    let fit_error = pass.fit_error.clone();
    let mut outcome =
        run_post_filter(profile, pod, cx, order, noms, &pass.diagnosis, skipped, rng, fit_error, post, &mut pure);
    // The memo's is then the only handle: the answer joins the pass without copying it.
    drop(pass);
    if pure
        && let Some(k) = kept
        && let Outcome::Unschedulable(text) = &mut outcome
    {
        *text = profile.memo.slot(&pod.spec, k.filters, k.nodes).keep_post_filter_answer(
            k.clock,
            post.clone(),
            text.clone(),
        );
    }
    (outcome, pure)
}

/// The spec's last failed pass brought up to the current node views, when only a few views
/// changed since (all of them among the last [`TOUCHED`]) and none of the changed nodes
/// passes the node-local filters now: what a walk over every node would find, without it. A
/// loaded cluster retries its waiting pods whenever resources are freed, and most retries
/// fail again over the same nodes. `None` when some changed node may fit (or errs): walk.
/// `num_all_nodes`: the nodes of the tree (the FitError's N). Once the pass is being brought up
/// to date, the slot no longer holds it: the caller records what this returns, and a pass given
/// up for its grown status table is simply gone (the walk records a fresh one if it fails).
#[allow(clippy::too_many_arguments)]
fn revalidated_pass(
    slot: &mut memo::SlotHandle<'_>,
    before: Rc<memo::FailedPass>,
    resolved: &ResolvedFilters<'_>,
    pod: &Pod,
    cache: &[NodeInfo],
    num_all_nodes: usize,
    allowed: &Option<std::collections::BTreeSet<String>>,
    memo_cx: MemoCx<'_>,
) -> Option<Rc<memo::FailedPass>> {
    // Every change since is still in the ring.
    let since = memo_cx.clock.checked_sub(before.clock).filter(|&k| k > 0 && k <= TOUCHED as u64)?;
    let mut changed: Vec<NodeId> =
        (before.clock + 1..=memo_cx.clock).map(|g| memo_cx.touched[(g % TOUCHED as u64) as usize]).collect();
    debug_assert_eq!(changed.len() as u64, since);
    changed.sort_unstable();
    changed.dedup();
    let mut now: Vec<(NodeId, Rc<Status>)> = Vec::with_capacity(changed.len());
    for id in changed {
        let info = cache.get(id.index())?;
        if allowed.as_ref().is_some_and(|a| !a.contains(&info.name)) {
            continue;
        }
        // A node the pass did not examine (not in the tree): walk.
        if !before.diagnosis.has_own(id) {
            return None;
        }
        let g = memo_cx.generations[id.index()];
        let status = match slot.verdict(id.index(), g) {
            memo::Known::Pass => return None,
            memo::Known::Fail(_, status) => status.clone(),
            memo::Known::Unknown => {
                let fail = resolved.run_local_filters(pod, info).map(|(i, s)| (i, slot.intern(s)));
                slot.record(id.index(), g, fail.clone());
                fail?.1
            }
        };
        if status.code == Code::Error {
            return None;
        }
        now.push((id, status));
    }
    let same = now.iter().all(|(id, status)| before.diagnosis.is_shared(*id, status));
    // The slot's handle goes, so that the pass is brought up to date in place (its statuses
    // are a few kilobytes at a thousand nodes; a loaded day does this millions of times).
    drop(slot.take_failed_pass());
    let mut before = before;
    let pass = Rc::make_mut(&mut before);
    if !same {
        for (id, status) in &now {
            pass.diagnosis.replace_shared(*id, status);
        }
        // Statuses no node names any more stay in the table: past a few, walk afresh.
        if pass.diagnosis.table_len() > MAX_TABLE {
            return None;
        }
        pass.fit_error = pass.diagnosis.fit_error(num_all_nodes);
        pass.rejectors = pass.diagnosis.plugins();
    }
    debug_assert!(pass.nodes == cache.len() && pass.order == memo_cx.order_version && pass.allowed == *allowed);
    pass.clock = memo_cx.clock;
    // PostFilter's answer followed from the views it saw: asked again.
    pass.post = None;
    Some(before)
}

/// Adds the plugins of `more` that `rejectors` lacks, in order.
fn add_rejectors(rejectors: &mut Vec<&'static str>, more: &[&'static str]) {
    for &r in more {
        if !rejectors.contains(&r) {
            rejectors.push(r);
        }
    }
}

/// One scheduling cycle for `pod` (`schedulePod`).
#[allow(clippy::too_many_arguments)]
fn schedule_pod(
    profile: &mut Profile,
    buffers: &mut CycleBuffers,
    pod: &Pod,
    cx: &CycleContext<'_>,
    order: &[NodeId],
    next_start_index: &mut usize,
    percentage: i32,
    rng: &mut SimRng,
    mut trace: Option<&mut Vec<NodeVerdict>>,
    noms: &Nominations<'_>,
    post: &mut Option<PostFilterOutcome>,
    rejectors: &mut Vec<&'static str>,
    memo_cx: MemoCx<'_>,
) -> Outcome {
    let generations = memo_cx.generations;
    let cache = cx.nodes;
    let n = order.len();
    if n == 0 {
        return Outcome::Unschedulable("0/0 nodes are available: no nodes available to schedule pods.".into());
    }
    // 1. PreFilter.
    let mut skipped_filters: PluginIndices = PluginIndices::new();
    let mut allowed: Option<std::collections::BTreeSet<String>> = None;
    for &i in &profile.pre_filter {
        let plugin = &mut profile.plugins[i];
        let name = plugin.name();
        let Some(pf) = plugin.as_pre_filter() else { continue };
        // Read where the plugin wrote it: moving the pair out whole loads it back in pieces
        // of other sizes than its stores, which stalls (perf: 7 % of a retry storm's time).
        let answer = pf.pre_filter(cx, pod);
        match answer.1.code {
            Code::Success => {}
            Code::Skip => skipped_filters.push(i),
            Code::Error => return Outcome::Error(format!("{name}: {}", answer.1.message())),
            _ => {
                let mut status = answer.1;
                status.plugin = name;
                let message = format!("0/{n} nodes are available: {}.", status.message());
                if let Some(t) = trace.as_mut() {
                    t.extend(order.iter().map(|&id| NodeVerdict {
                        node: id,
                        status: Some(status.clone()),
                        scores: vec![],
                        total: None,
                    }));
                }
                rejectors.push(name);
                // Every node has the PreFilter status, for preemption.
                let diagnosis = NodeToStatus::new(status);
                return run_post_filter(
                    profile,
                    pod,
                    cx,
                    order,
                    noms,
                    &diagnosis,
                    &skipped_filters,
                    rng,
                    message,
                    post,
                    &mut false,
                );
            }
        }
        if let Some(names) = answer.0.node_names {
            allowed = Some(match allowed {
                None => names,
                Some(prev) => prev.intersection(&names).cloned().collect(),
            });
        }
    }
    let mask = skipped_filters.iter().try_fold(0u64, |m, &i| (i < 64).then(|| m | 1 << i));
    // (Not asked of a plugin PreFilter skipped: GPUShare for a pod without GPUs.)
    let local_now = profile
        .local_for_some
        .iter()
        .filter(|&&i| !skipped_filters.contains(&i) && profile.plugins[i].node_local_for(pod))
        .fold(0u64, |m, &i| m | 1 << i);
    let same =
        |f: &FilterSets| f.mask == mask && f.local_now == local_now && (mask.is_some() || f.skipped == skipped_filters);
    let at = match buffers.filter_sets.iter().position(same) {
        Some(at) => at,
        None => {
            let filters = active_filters(&profile.filter, &skipped_filters);
            let mut local_flags = profile.local.clone();
            for (i, flag) in local_flags.iter_mut().enumerate().take(64) {
                *flag |= local_now & 1 << i != 0;
            }
            let local: PluginIndices = filters.iter().copied().filter(|&i| local_flags[i]).collect();
            let other = other_filters(&filters, &local_flags);
            let sets = FilterSets { mask, skipped: skipped_filters, local_now, local_flags, filters, local, other };
            if buffers.filter_sets.len() < FILTER_SETS {
                buffers.filter_sets.push(sets);
                buffers.filter_sets.len() - 1
            } else {
                let at = buffers.next_filter_set;
                buffers.next_filter_set = (at + 1) % FILTER_SETS;
                buffers.filter_sets[at] = sets;
                at
            }
        }
    };
    let sets = &buffers.filter_sets[at];
    // Read per node below: as slices (a `SmallVec` tests inline-or-heap at every read).
    let (filters, local_filters, other_filters, skipped_filters) =
        (&sets.filters[..], &sets.local[..], &sets.other[..], &sets.skipped[..]);
    let local_flags = &sets.local_flags[..];
    let has_scoring = !profile.score.is_empty();
    let num_to_find = if has_scoring { num_feasible_nodes_to_find(percentage, n) } else { 1 };

    // 2. The nominated node (set by an earlier preemption) is tried alone first; if it passes,
    //    it is the only feasible node.
    let mut nominated_rejection: Option<(NodeId, Status)> = None;
    if let Some(nominated) = noms.own.filter(|n| n.index() < cache.len()) {
        let mut handle = CycleHandle {
            plugins: &mut profile.plugins,
            pre_filter: &profile.pre_filter,
            filter: filters,
            skipped: skipped_filters,
            nominated: &noms.ge,
        };
        let status = handle.run_filters_with_nominated_pods(pod, &cache[nominated.index()]);
        match status.code {
            Code::Success => {
                if let Some(t) = trace.as_mut() {
                    t.push(NodeVerdict { node: nominated, status: None, scores: vec![], total: None });
                }
                return Outcome::Bound(nominated);
            }
            // An error here is logged by kube-scheduler and the full pass goes on.
            Code::Error => {}
            // Kept in the statuses unless the pass below rejects the node again (its status
            // then replaces this one): inserted after the pass, so that the pass inserts each
            // node once and its statuses are counted without deduplicating them.
            _ => nominated_rejection = Some((nominated, status)),
        }
    }

    // 3. Filter, in rotation order from nextStartNodeIndex. The node-local filters' verdict
    //    comes from the memo when this spec met the node's current view before.
    debug_assert_eq!(generations.len(), cache.len(), "every node view has a generation");
    let mut slot = profile.memo.in_use().then(|| profile.memo.slot(&pod.spec, local_filters, cache.len()));
    // A failed pass of this spec is read back whole while no node view changed (or brought up
    // to date over the few that did), when nothing but the spec and the node views decides it
    // (see `memo::FailedPass`).
    let whole_pass = other_filters.is_empty() && noms.ge.is_empty() && noms.own.is_none() && trace.is_none();
    let mut failed_before = match slot.as_mut() {
        Some(slot) if whole_pass => {
            slot.last_failed_pass(cache.len(), &allowed, memo_cx.order_version).and_then(|before| {
                if before.clock == memo_cx.clock {
                    return Some(before);
                }
                let resolved = ResolvedFilters::new(&profile.plugins, filters, local_flags, other_filters, pod);
                let pass = revalidated_pass(slot, before, &resolved, pod, cache, n, &allowed, memo_cx)?;
                slot.record_failed_pass(pass.clone());
                Some(pass)
            })
        }
        _ => None,
    };
    // (Debug builds walk the nodes anyway and compare, below.)
    if !memo_cx.check
        && let Some(before) = failed_before.take()
    {
        let examined = before.diagnosis.len();
        *next_start_index = (*next_start_index + examined) % n;
        if let Some(slot) = slot.as_mut() {
            slot.note(examined as u64, examined as u64);
        }
        profile.memo.failed_passes_reused += 1;
        let kept = KeptAt { filters: local_filters, nodes: cache.len(), clock: memo_cx.clock };
        return end_failed_pass(
            profile,
            pod,
            cx,
            order,
            noms,
            skipped_filters,
            rng,
            post,
            rejectors,
            before,
            Some(kept),
        )
        .0;
    }
    let mut diagnosis = NodeToStatus::in_buffer(
        std::mem::take(&mut buffers.statuses),
        Status { code: Code::UnschedulableAndUnresolvable, reasons: framework::Reasons::new(), plugin: "" },
    );
    // Verdicts read from the memo, and known there, for its gate.
    let (mut reads, mut known_verdicts) = (0u64, 0u64);
    // Nodes rejected once the pass had a feasible node, not kept in `diagnosis`.
    let mut rejected_unkept = 0usize;
    let CycleBuffers {
        feasible,
        infos: infos_buffer,
        totals,
        unknown,
        fresh,
        unknown_ids,
        unknown_infos: unknown_infos_buffer,
        unknown_scores,
        score_columns,
        score_raw,
        ..
    } = buffers;
    feasible.clear();
    let pass_start = *next_start_index % n;
    // Whether `feasible` lists the pass's feasible nodes (a lane pass may count them only).
    let mut listed = true;
    // The pass read from the slot's lane when only the node-local filters run (see
    // `lane_pass`); debug builds walk the nodes anyway and compare.
    let lane_ok = slot.is_some()
        && has_scoring
        && other_filters.is_empty()
        && noms.ge.is_empty()
        && noms.own.is_none()
        && allowed.is_none()
        && trace.is_none();
    // The feasible nodes are listed only for PreScore plugins that read them (and for debug
    // builds' comparison); else the lane stands for them.
    if lane_ok && !memo_cx.check {
        listed = profile
            .pre_score
            .iter()
            .any(|&i| profile.plugins[i].as_pre_score().is_some_and(|ps| ps.reads_feasible(cx, pod)));
    }
    // The Filter plugins, resolved once for the cycle (the lane's pass and the walk). A node
    // with nominated pods needs the plugins mutably (their PreFilter state takes the pods in):
    // the walk puts `resolved` back after such a node.
    let mut resolved = ResolvedFilters::new(&profile.plugins, filters, local_flags, other_filters, pod);
    let lane_scan = match slot.as_mut() {
        Some(slot) if lane_ok => {
            let list = listed.then_some(&mut *feasible);
            let scan = lane_pass(slot, &resolved, pod, cache, order, pass_start, num_to_find, &memo_cx, list);
            if scan.is_none() {
                feasible.clear();
                listed = true;
            }
            scan
        }
        _ => None,
    };
    let lane_checked = match lane_scan {
        Some(scan) if memo_cx.check => Some((scan, std::mem::take(feasible))),
        _ => None,
    };
    if let Some(scan) = lane_scan.filter(|_| !memo_cx.check) {
        rejected_unkept = scan.examined - scan.found;
        (reads, known_verdicts) = (scan.examined as u64, scan.examined as u64 - scan.fresh);
    } else {
        let (rows, gpu_rows) = (memo_cx.rows, memo_cx.gpu_rows);
        // `order[(nextStartNodeIndex + k) % n]` for k = 0.., without a division per node.
        let mut at = *next_start_index % n;
        // Runs of nodes the memo knows pass are taken in a tight loop when nothing else is
        // asked of them.
        let runs = other_filters.is_empty() && !memo_cx.check && noms.ge.is_empty() && allowed.is_none();
        let mut examined = 0;
        while examined < n {
            if feasible.len() >= num_to_find {
                break;
            }
            if runs
                && trace.is_none()
                && let Some(slot) = slot.as_ref()
            {
                let (taken, next) = slot.take_passing(order, at, n - examined, num_to_find, generations, feasible);
                (examined, at) = (examined + taken, next);
                (reads, known_verdicts) = (reads + taken as u64, known_verdicts + taken as u64);
                if examined == n || feasible.len() >= num_to_find {
                    break;
                }
            }
            examined += 1;
            let id = order[at];
            at = if at + 1 == n { 0 } else { at + 1 };
            let info = &cache[id.index()];
            if let Some(allowed) = &allowed
                && !allowed.contains(&info.name)
            {
                // Nodes outside the PreFilterResult are not examined at all.
                continue;
            }
            let nominated_here = !noms.ge.is_empty() && noms.ge.contains_key(&id);
            // The common cases, without building a verdict: the memo knows the node-local
            // filters' verdict and there is no other filter to run.
            if other_filters.is_empty()
                && !memo_cx.check
                && let Some(slot) = slot.as_ref()
                && !nominated_here
            {
                match slot.verdict(id.index(), generations[id.index()]) {
                    memo::Known::Pass => {
                        (reads, known_verdicts) = (reads + 1, known_verdicts + 1);
                        accept(feasible, &mut trace, id);
                        continue;
                    }
                    // A rejection the memo shares, as the general path below records it (a
                    // loaded cluster's failed passes are made of these).
                    memo::Known::Fail(_, local) if local.code != Code::Error && trace.is_none() => {
                        (reads, known_verdicts) = (reads + 1, known_verdicts + 1);
                        if keeps_rejection(id, feasible, &mut nominated_rejection, &mut rejected_unkept) {
                            diagnosis.insert_shared(id, local);
                        }
                        continue;
                    }
                    _ => {}
                }
            }
            // Else from the node's dense row alone: every filter passes.
            if let Some(need) = resolved.need
                && !nominated_here
                && need.met_by(&rows[id.index()], &gpu_rows[id.index()])
            {
                if memo_cx.check {
                    // Debug builds: the row is the view's, and the filters agree; then the
                    // memo's path below runs too, to keep it checked.
                    assert_eq!(rows[id.index()], NodeRow::of(info), "the row of {} is stale", info.name);
                    assert_eq!(gpu_rows[id.index()], GpuRow::of(info), "the GPU row of {} is stale", info.name);
                    assert!(resolved.run_filters(pod, info).is_success(), "{} passes by its row only", info.name);
                } else {
                    if let Some(slot) = slot.as_mut() {
                        // The memo learns the verdict (its scores are kept with it).
                        let g = generations[id.index()];
                        reads += 1;
                        match slot.verdict(id.index(), g) {
                            memo::Known::Unknown => slot.record(id.index(), g, None),
                            _ => known_verdicts += 1,
                        }
                    }
                    accept(feasible, &mut trace, id);
                    continue;
                }
            }
            // Or surely rejected by its row, when the pass has a feasible node: the rejection is
            // counted, not read (a full node, without reading its view).
            if let Some(need) = resolved.need
                && !nominated_here
                && slot.is_none()
                && trace.is_none()
                && !feasible.is_empty()
                && need.rejected_by(&rows[id.index()], &gpu_rows[id.index()])
            {
                if memo_cx.check {
                    let status = resolved.run_filters(pod, info);
                    assert!(
                        !status.is_success() && status.code != Code::Error,
                        "{} rejected by its row: {status}",
                        info.name
                    );
                }
                let kept = keeps_rejection(id, feasible, &mut nominated_rejection, &mut rejected_unkept);
                debug_assert!(!kept, "a pass with a feasible node keeps no rejection");
                continue;
            }
            // `Err`: the node's status, shared with the memo when it comes from there.
            let verdict: Result<(), NodeStatus> = match slot.as_mut() {
                Some(slot) if !nominated_here => {
                    let g = generations[id.index()];
                    let known = slot.verdict(id.index(), g);
                    reads += 1;
                    known_verdicts += u64::from(!matches!(known, memo::Known::Unknown));
                    let verdict = match known {
                        memo::Known::Pass => {
                            resolved.run_other_filters(pod, info, None).map_or(Ok(()), |s| Err(NodeStatus::Own(s)))
                        }
                        memo::Known::Fail(i, local) => match resolved.run_other_filters(pod, info, Some(i)) {
                            Some(other) => Err(NodeStatus::Own(other)),
                            None => Err(NodeStatus::Shared(local.clone())),
                        },
                        memo::Known::Unknown => {
                            let fail = resolved.run_local_filters(pod, info).map(|(i, s)| (i, slot.intern(s)));
                            let verdict =
                                match (resolved.run_other_filters(pod, info, fail.as_ref().map(|f| f.0)), &fail) {
                                    (Some(other), _) => Err(NodeStatus::Own(other)),
                                    (None, Some((_, local))) => Err(NodeStatus::Shared(local.clone())),
                                    (None, None) => Ok(()),
                                };
                            slot.record(id.index(), g, fail);
                            verdict
                        }
                    };
                    if memo_cx.check {
                        let status = verdict.as_ref().map_or_else(|r| r.get().clone(), |()| Status::success());
                        assert_eq!(status, resolved.run_filters(pod, info), "memo verdict of {} differs", info.name);
                    }
                    verdict
                }
                // With a feasible node the pass cannot fail: a rejection is counted, not read,
                // and needs no status (a full node's would list its insufficient resources).
                _ if !nominated_here && !feasible.is_empty() && trace.is_none() => {
                    let passes = match resolved.passes_all(pod, info) {
                        Ok(passes) => passes,
                        Err(status) => return Outcome::Error(format!("{}: {}", status.plugin, status.message())),
                    };
                    if memo_cx.check {
                        let status = resolved.run_filters(pod, info);
                        assert_eq!(passes, status.is_success(), "passes_all on {}: {status}", info.name);
                    }
                    if passes {
                        accept(feasible, &mut trace, id);
                    } else {
                        let kept = keeps_rejection(id, feasible, &mut nominated_rejection, &mut rejected_unkept);
                        debug_assert!(!kept, "a pass with a feasible node keeps no rejection");
                    }
                    continue;
                }
                _ if !nominated_here => {
                    let status = resolved.run_filters(pod, info);
                    if status.is_success() { Ok(()) } else { Err(NodeStatus::Own(status)) }
                }
                _ => {
                    let mut handle = CycleHandle {
                        plugins: &mut profile.plugins,
                        pre_filter: &profile.pre_filter,
                        filter: filters,
                        skipped: skipped_filters,
                        nominated: &noms.ge,
                    };
                    let status = handle.run_filters_with_nominated_pods(pod, info);
                    resolved = ResolvedFilters::new(&profile.plugins, filters, local_flags, other_filters, pod);
                    if status.is_success() { Ok(()) } else { Err(NodeStatus::Own(status)) }
                }
            };
            let rejection = match verdict {
                Ok(()) => {
                    accept(feasible, &mut trace, id);
                    continue;
                }
                Err(rejection) => rejection,
            };
            let status = rejection.get();
            if status.code == Code::Error {
                return Outcome::Error(format!("{}: {}", status.plugin, status.message()));
            }
            if let Some(t) = trace.as_mut() {
                t.push(NodeVerdict { node: id, status: Some(status.clone()), scores: vec![], total: None });
            }
            if keeps_rejection(id, feasible, &mut nominated_rejection, &mut rejected_unkept) {
                diagnosis.insert_status(id, rejection);
            }
        }
    }
    if let Some((node, status)) = nominated_rejection {
        diagnosis.insert(node, status);
    }
    if let Some((scan, lane_feasible)) = lane_checked {
        // Debug builds: the lane's pass is the walk's, node for node.
        assert_eq!(lane_feasible, *feasible, "memo: the lane's feasible nodes differ for {}", pod.meta.key());
        assert_eq!(scan.examined, feasible.len() + diagnosis.inserted() + rejected_unkept, "memo: the lane examined");
        // And as listed afterwards from the lane alone (release builds, when PreScore does not
        // read the list and the general path needs it after all).
        if let Some(slot) = slot.as_ref() {
            let mut listed_again = Vec::new();
            lane_list(slot, order, scan, &mut listed_again);
            assert_eq!(listed_again, *feasible, "memo: the lane's list differs for {}", pod.meta.key());
        }
    }
    // Each node inserted (or counted) once: the count needs no deduplication.
    let found = if listed { feasible.len() } else { lane_scan.map_or(0, |scan| scan.found) };
    *next_start_index = (*next_start_index + found + diagnosis.inserted() + rejected_unkept) % n;
    if let Some(slot) = slot.as_mut() {
        slot.note(reads, known_verdicts);
    }

    if found == 0 {
        // FitError: "0/N nodes are available: <count> <reason>, ...", sorted as strings; then
        // PostFilter (preemption).
        let fit_error = diagnosis.fit_error(n);
        // `UnschedulablePlugins`: the plugins that rejected some node, for the queueing hints.
        let pass_rejectors = diagnosis.plugins();
        let pass = Rc::new(memo::FailedPass {
            clock: memo_cx.clock,
            nodes: cache.len(),
            order: memo_cx.order_version,
            allowed: allowed.clone(),
            diagnosis,
            fit_error,
            rejectors: pass_rejectors,
            post: None,
        });
        if let Some(before) = &failed_before {
            // Debug builds walked the nodes anyway: the pass read back must be this one.
            assert!(
                before.diagnosis == pass.diagnosis
                    && before.fit_error == pass.fit_error
                    && before.rejectors == pass.rejectors,
                "memo: the failed pass read back differs for {}",
                pod.meta.key()
            );
        }
        let mut replaced = None;
        let kept = slot.as_mut().filter(|_| whole_pass).map(|slot| {
            replaced = slot.record_failed_pass(pass.clone());
            KeptAt { filters: local_filters, nodes: cache.len(), clock: memo_cx.clock }
        });
        let (outcome, pure) =
            end_failed_pass(profile, pod, cx, order, noms, skipped_filters, rng, post, rejectors, pass, kept);
        // The pass this one replaced, when nothing else holds it, leaves its statuses' vectors
        // to the next cycle: a loaded cluster's attempts fail one after another, and each grew
        // three vectors from nothing.
        if let Some(old) = replaced.and_then(|old| Rc::try_unwrap(old).ok()) {
            buffers.statuses = old.diagnosis.into_buffer();
        }
        if let Some((kept, text)) = failed_before.as_ref().and_then(|before| before.post.as_ref()) {
            // Debug builds: the answer kept with the pass is PostFilter's own.
            assert!(
                pure && kept == post && matches!(&outcome, Outcome::Unschedulable(t) if t == text),
                "memo: the PostFilter answer kept for {} differs",
                pod.meta.key()
            );
        }
        return outcome;
    }
    // The pass succeeds: the statuses are not read.
    assert!(
        failed_before.is_none(),
        "memo: a failed pass was read back for {}, but the walk found a node",
        pod.meta.key()
    );
    buffers.statuses = diagnosis.into_buffer();
    if found == 1 {
        if !listed && let (Some(scan), Some(slot)) = (lane_scan, slot.as_ref()) {
            lane_list(slot, order, scan, feasible);
        }
        return Outcome::Bound(feasible[0]);
    }

    // 3. PreScore, Score, NormalizeScore, weighted sum.
    let mut infos: Vec<&NodeInfo> = std::mem::take(infos_buffer);
    infos.extend(feasible.iter().map(|id| &cache[id.index()]));
    let mut skipped_scores: PluginIndices = PluginIndices::new();
    for &i in &profile.pre_score {
        let plugin = &mut profile.plugins[i];
        let name = plugin.name();
        let Some(ps) = plugin.as_pre_score() else { continue };
        let status = ps.pre_score(cx, pod, &infos);
        match status.code {
            Code::Success => {}
            Code::Skip => skipped_scores.push(i),
            _ => return Outcome::Error(format!("{name}: {}", status.message())),
        }
    }
    let mut per_plugin: Vec<(&'static str, Vec<i64>)> = Vec::new();
    // The node-local scorers' raw scores come from the memo where this spec was scored on the
    // node's current view before (`known`), and are recorded where the verdict was (`fresh`).
    let local_scorers: PluginIndices = profile
        .score
        .iter()
        .map(|&(i, _)| i)
        .filter(|i| !skipped_scores.contains(i) && profile.local[*i] && profile.plugins[*i].as_score().is_some())
        .collect();
    let weight_of = |i: usize| profile.score.iter().find(|&&(j, _)| j == i).map_or(0, |&(_, w)| w);
    // Per local scorer, its weight when its raw scores are final: what the memo sums per node.
    let final_weights: smallvec::SmallVec<[Option<i64>; 8]> = local_scorers
        .iter()
        .map(|&i| profile.plugins[i].as_score().filter(|s| s.raw_is_final()).map(|_| weight_of(i)))
        .collect();
    // The memo's hits summed in one read each, when every active scorer is node-local and
    // those to normalize scored every feasible node 0 (the default profile's TaintToleration
    // on untainted nodes): see `MemoTotals`. Debug builds compare its totals with the general
    // path's, below.
    let constant = match slot.as_ref() {
        Some(_) if trace.is_none() && !local_scorers.is_empty() => {
            all_zero_constant(&profile.plugins, &profile.score, &skipped_scores, &local_scorers, &final_weights, pod)
        }
        _ => None,
    };
    // A lane pass ends on the lane when those totals apply (`lane_select`); debug builds
    // decide with a copy of the stream and compare with the general path's decision, below.
    let mut lane_checked_choice: Option<(NodeId, SimRng)> = None;
    if let (Some(scan), Some(slot), Some(_)) = (lane_scan, slot.as_mut(), constant) {
        slot.set_scorers(&local_scorers, &final_weights);
        let mut draws = if memo_cx.check { Some(rng.clone()) } else { None };
        let lane_buffers = (&mut *unknown, &mut *unknown_ids, &mut *score_columns, &mut *unknown_infos_buffer);
        let choice = lane_select(
            slot,
            scan,
            &profile.plugins,
            pod,
            cache,
            order,
            &memo_cx,
            &local_scorers,
            &final_weights,
            lane_buffers,
            draws.as_mut().unwrap_or(rng),
        );
        match (choice, draws) {
            (Some(node), None) => {
                slot.note_totals_from_memo();
                *infos_buffer = emptied(infos);
                return Outcome::Bound(node);
            }
            (Some(node), Some(draws)) => lane_checked_choice = Some((node, draws)),
            (None, _) => {}
        }
    }
    if !listed && let (Some(scan), Some(slot)) = (lane_scan, slot.as_ref()) {
        // The general path needs the list after all.
        lane_list(slot, order, scan, feasible);
        infos.extend(feasible.iter().map(|id| &cache[id.index()]));
    }
    totals.clear();
    totals.resize(feasible.len(), 0);
    // Each scorer's raw scores, every entry written by the scorer or the memo before it is
    // read (a buffer kept between cycles, as `score_columns`).
    let raw = reused(score_raw, feasible.len());
    let mut memo_totals_checked: Option<Vec<i64>> = None;
    if let (Some(slot), Some(constant)) = (slot.as_mut(), constant) {
        slot.set_scorers(&local_scorers, &final_weights);
        let memo_totals = MemoTotals {
            feasible,
            generations,
            cache,
            rows: memo_cx.rows,
            local_scorers: &local_scorers,
            final_weights: &final_weights,
            constant,
        };
        let buffers = (&mut *unknown, &mut *fresh, &mut *unknown_ids, &mut *score_columns, &mut *unknown_infos_buffer);
        if memo_totals.fill(&profile.plugins, pod, slot, totals, buffers) {
            slot.note_totals_from_memo();
            if !memo_cx.check {
                *infos_buffer = emptied(infos);
                return match select_host(totals, rng) {
                    Some(k) => Outcome::Bound(feasible[k]),
                    None => Outcome::Error("no node selected".into()),
                };
            }
            memo_totals_checked = Some(totals.to_vec());
        }
        // A raw score to normalize was not 0, or a scorer erred: the general path, afresh.
        totals.fill(0);
    }
    // `columns`: the node-local raw scores, one column of `feasible.len()` per scorer of
    // `local_scorers` (laid out by scorer: each scorer's pass copies its column whole).
    // `unknown`: the feasible nodes (positions) whose scores the memo does not know, which the
    // node-local scorers score (`unknown_infos`), and `fresh` those of them to record.
    let (width, len) = (local_scorers.len(), feasible.len());
    unknown.clear();
    fresh.clear();
    let columns: &mut [i64] = if slot.is_some() && width > 0 { reused(score_columns, len * width) } else { &mut [] };
    // `added[p]`: the weight of local scorer `p` when its raw scores are final (no
    // NormalizeScore): the memo's scores of such a scorer go straight into the totals, and
    // the scorer's pass adds those of the unknown nodes only. 0 for the others (and for all
    // while tracing, which shows every scorer's scores).
    let added: smallvec::SmallVec<[i64; 8]> = local_scorers
        .iter()
        .map(|&i| {
            let scorer = profile.plugins[i].as_score().expect("local scorers score");
            debug_assert!(!scorer.raw_is_final() || scorer.normalize(pod, &mut []).is_none(), "final raw scores");
            if trace.is_none() && !columns.is_empty() && scorer.raw_is_final() { weight_of(i) } else { 0 }
        })
        .collect();
    if let Some(slot) = slot.as_mut().filter(|_| width > 0) {
        slot.set_scorers(&local_scorers, &final_weights);
        for (k, id) in feasible.iter().enumerate() {
            let g = generations[id.index()];
            match slot.scores(id.index(), g) {
                Some(row) => {
                    let mut total = 0;
                    for (p, (&score, &weight)) in row.iter().zip(&added).enumerate() {
                        if weight == 0 || memo_cx.check {
                            columns[p * len + k] = score;
                        }
                        total += score * weight;
                    }
                    totals[k] = total;
                }
                None => {
                    unknown.push(k);
                    fresh.push(slot.is_current(id.index(), g));
                }
            }
        }
    }
    let mut unknown_infos: Vec<&NodeInfo> = std::mem::take(unknown_infos_buffer);
    unknown_infos.extend(unknown.iter().map(|&k| infos[k]));
    unknown_ids.clear();
    unknown_ids.extend(unknown.iter().map(|&k| feasible[k]));
    // Debug builds: what a scorer answers from the rows is what it answers from the views.
    let check_rows = |scorer: &dyn framework::Score, infos: &[&NodeInfo], out: &[i64]| {
        if memo_cx.check {
            let mut views = vec![0i64; infos.len()];
            let answer = scorer.score_nodes(pod, infos, &mut views).map(|()| views).map_err(|s| s.message());
            assert_eq!(answer, Ok(out.to_vec()), "scores from the rows differ");
        }
    };
    unknown_scores.clear();
    unknown_scores.resize(unknown.len(), 0);
    let in_range = |s: &i64| framework::in_score_range(*s);
    let out_of_range = |name: &str, s: i64| {
        format!("plugin {name:?} returns an invalid score {s}, it should in the range of [0, 100] after normalizing")
    };
    for &(i, weight) in &profile.score {
        if skipped_scores.contains(&i) {
            continue;
        }
        let plugin = &profile.plugins[i];
        let name = plugin.name();
        let Some(scorer) = plugin.as_score() else { continue };
        // This scorer's column, when the memo keeps its scores.
        match local_scorers.iter().position(|&l| l == i).filter(|_| !columns.is_empty()) {
            Some(p) => {
                let column = &mut columns[p * len..(p + 1) * len];
                if let Err(status) =
                    scorer.score_rows(pod, &unknown_infos, Rows::new(memo_cx.rows, unknown_ids), unknown_scores)
                {
                    return Outcome::Error(format!("{name}: {}", status.message()));
                }
                check_rows(scorer, &unknown_infos, unknown_scores);
                for (&k, &score) in unknown.iter().zip(unknown_scores.iter()) {
                    column[k] = score;
                }
                if memo_cx.check {
                    let mut known = vec![true; len];
                    for &k in unknown.iter() {
                        known[k] = false;
                    }
                    for (k, &score) in column.iter().enumerate().filter(|&(k, _)| known[k]) {
                        assert_eq!(
                            Ok(score),
                            scorer.score(pod, infos[k]).map_err(|s| s.message()),
                            "memo score of {name} on {} differs",
                            infos[k].name
                        );
                    }
                }
                if added[p] != 0 {
                    // Final raw scores: the known nodes' are in the totals already.
                    if let Some(s) = unknown_scores.iter().find(|s| !in_range(s)) {
                        return Outcome::Error(out_of_range(name, *s));
                    }
                    for (&k, &score) in unknown.iter().zip(unknown_scores.iter()) {
                        totals[k] += score * weight;
                    }
                    continue;
                }
                raw.copy_from_slice(column);
            }
            None => {
                if let Err(status) = scorer.score_rows(pod, &infos, Rows::new(memo_cx.rows, feasible), raw) {
                    return Outcome::Error(format!("{name}: {}", status.message()));
                }
                check_rows(scorer, &infos, raw);
            }
        }
        if let Some(status) = scorer.normalize(pod, raw)
            && !status.is_success()
        {
            return Outcome::Error(format!("{name}: {}", status.message()));
        }
        // The weighted sum and the range check in one pass without a branch per node (a bad
        // score is looked for only when there is one).
        let mut all_in_range = true;
        for (total, &s) in totals.iter_mut().zip(raw.iter()) {
            all_in_range &= in_range(&s);
            *total += s * weight;
        }
        if !all_in_range {
            let s = raw.iter().find(|s| !in_range(s)).expect("some score out of range");
            return Outcome::Error(out_of_range(name, *s));
        }
        if trace.is_some() {
            per_plugin.push((name, raw.to_vec()));
        }
    }
    if let Some(slot) = slot.as_mut().filter(|_| !columns.is_empty()) {
        for (&k, _) in unknown.iter().zip(fresh.iter()).filter(|&(_, &fresh)| fresh) {
            slot.record_scores(feasible[k].index(), (0..width).map(|p| columns[p * len + k]));
        }
    }
    if let Some(t) = trace.as_mut() {
        for (k, id) in feasible.iter().enumerate() {
            if let Some(v) = t.iter_mut().find(|v| v.node == *id) {
                v.scores = per_plugin.iter().map(|(name, s)| (*name, s[k])).collect();
                v.total = Some(totals[k]);
            }
        }
    }
    *infos_buffer = emptied(infos);
    *unknown_infos_buffer = emptied(unknown_infos);
    if let Some(from_memo) = memo_totals_checked {
        assert_eq!(from_memo, *totals, "memo: the totals summed from the memo differ for {}", pod.meta.key());
    }
    let choice = select_host(totals, rng).map(|k| feasible[k]);
    if let Some((node, draws)) = lane_checked_choice {
        assert_eq!(choice, Some(node), "memo: the lane's choice differs for {}", pod.meta.key());
        assert!(draws == *rng, "memo: the lane drew otherwise for {}", pod.meta.key());
    }
    match choice {
        Some(node) => Outcome::Bound(node),
        None => Outcome::Error("no node selected".into()),
    }
}

/// A node the pass rejects: its status replaces the nominated node's earlier one if it is that
/// node, and is kept (true) while no node is feasible. With a feasible node the pass cannot
/// fail: its statuses will not be read (a trace keeps its own), only counted.
#[inline]
fn keeps_rejection(
    id: NodeId,
    feasible: &[NodeId],
    nominated_rejection: &mut Option<(NodeId, Status)>,
    rejected_unkept: &mut usize,
) -> bool {
    if nominated_rejection.as_ref().is_some_and(|(node, _)| *node == id) {
        *nominated_rejection = None;
    }
    *rejected_unkept += usize::from(!feasible.is_empty());
    feasible.is_empty()
}

/// A node the filters pass: kept as feasible, and traced without a status.
fn accept(feasible: &mut Vec<NodeId>, trace: &mut Option<&mut Vec<NodeVerdict>>, id: NodeId) {
    feasible.push(id);
    if let Some(t) = trace.as_mut() {
        t.push(NodeVerdict { node: id, status: None, scores: vec![], total: None });
    }
}

/// The first `len` entries of a buffer kept between cycles, grown as needed and not cleared:
/// the caller writes every entry before it reads it.
fn reused(buffer: &mut Vec<i64>, len: usize) -> &mut [i64] {
    if buffer.len() < len {
        buffer.resize(len, 0);
    }
    &mut buffer[..len]
}

/// What the active scorers to normalize add to every node's total when each scored every
/// feasible node 0 (their [`normalized_when_all_zero`], weighted), if every active scorer is
/// node-local and each of those to normalize says what that is, within the score range.
///
/// [`normalized_when_all_zero`]: framework::Score::normalized_when_all_zero
fn all_zero_constant(
    plugins: &[Box<dyn Plugin>],
    score: &[(usize, i64)],
    skipped_scores: &[usize],
    local_scorers: &[usize],
    final_weights: &[Option<i64>],
    pod: &Pod,
) -> Option<i64> {
    let mut constant = 0;
    for &(i, weight) in score {
        if skipped_scores.contains(&i) {
            continue;
        }
        let Some(scorer) = plugins[i].as_score() else { continue };
        let p = local_scorers.iter().position(|&l| l == i)?;
        if final_weights[p].is_none() {
            let score = scorer.normalized_when_all_zero()?;
            // NormalizeScore asked of a few zeros, so that a plugin whose NormalizeScore errs
            // (the general path reports it) or answers otherwise takes the general path;
            // debug builds name a plugin that says one number and does another.
            let mut zeros = [0; 3];
            if !scorer.normalize(pod, &mut zeros).is_none_or(|s| s.is_success()) {
                return None;
            }
            debug_assert_eq!(
                zeros,
                [score; 3],
                "{}: normalized_when_all_zero differs from normalize",
                plugins[i].name()
            );
            if zeros != [score; 3] {
                return None;
            }
            if !framework::in_score_range(score) {
                return None;
            }
            constant += score * weight;
        }
    }
    Some(constant)
}

/// What [`lane_pass`] found: the nodes it examined, how many of them it asked the node-local
/// filters about (the memo did not know them) and how many pass.
#[derive(Clone, Copy)]
struct LaneScan {
    /// The pass's first position, and how many it examined.
    start: usize,
    examined: usize,
    fresh: u64,
    /// How many of them pass.
    found: usize,
}

/// A filter pass read from the lane of the spec's slot (`memo::Lane`): from position `start`
/// of the node tree, the nodes the memo knows pass go into `feasible` and those it knows fail
/// are counted, until `want` are feasible or every node was examined, in the order and with
/// the count of the walk in `schedule_pod`; a node the memo does not know is asked of the
/// node-local filters (its row first) and recorded. Only for a cycle whose filters are all
/// node-local, without nominated pods, PreFilter node names or a trace. `None` (with
/// `feasible` partly filled) where the walk must decide: no node passes (its statuses make the
/// message), a filter erred, or the memo holds what the lane does not handle.
#[allow(clippy::too_many_arguments)]
fn lane_pass(
    slot: &mut memo::SlotHandle<'_>,
    resolved: &ResolvedFilters<'_>,
    pod: &Pod,
    cache: &[NodeInfo],
    order: &[NodeId],
    start: usize,
    want: usize,
    memo_cx: &MemoCx<'_>,
    mut feasible: Option<&mut Vec<NodeId>>,
) -> Option<LaneScan> {
    let n = order.len();
    let sync = memo::LaneSync {
        order,
        positions: memo_cx.positions,
        generations: memo_cx.generations,
        clock: memo_cx.clock,
        touched: memo_cx.touched,
        order_version: memo_cx.order_version,
    };
    let (mut examined, mut p, mut fresh, mut found) = (0usize, start, 0u64, 0usize);
    let mut lane = slot.sync_lane(&sync, want.min(n))?;
    'pass: loop {
        // The run of known nodes, up to the node tree's end at most.
        let end = n.min(p + (n - examined));
        let (taken, passing) = lane.run(p, end, want - found);
        let whole_run = p + taken == end;
        if let Some(list) = feasible.as_mut() {
            let positions = (p..p + taken).zip(&lane.values[p..p + taken]);
            list.extend(positions.filter(|&(_, &v)| v >= memo::LANE_UNSCORED).map(|(q, _)| order[q]));
        }
        (examined, found) = (examined + taken, found + passing);
        p += taken;
        if p == n {
            p = 0;
        }
        if examined == n || found >= want {
            break;
        }
        if whole_run {
            // The end of the node tree: on from its start.
            continue;
        }
        if lane.values[p] != memo::LANE_UNKNOWN {
            return None;
        }
        // Not known: the node-local filters (or the row alone, when it shows they pass), node
        // after node while the lane knows none (a first pass over a spec's nodes).
        loop {
            let id = order[p];
            let (i, g) = (id.index(), memo_cx.generations[id.index()]);
            let fail = match resolved.need {
                Some(need) if need.met_by(&memo_cx.rows[i], &memo_cx.gpu_rows[i]) => None,
                _ => resolved.run_local_filters(pod, &cache[i]),
            };
            if fail.as_ref().is_some_and(|(_, status)| status.code == Code::Error) {
                return None;
            }
            let fail = fail.map(|(plugin, status)| (plugin, slot.intern(status)));
            let v = slot.record_in_lane(p, i, g, fail);
            if v == memo::LANE_UNKNOWN {
                // Not recordable (a plugin index beyond the memo's): the walk asks the plugins.
                return None;
            }
            (examined, fresh) = (examined + 1, fresh + 1);
            if v >= memo::LANE_UNSCORED {
                found += 1;
                if let Some(list) = feasible.as_mut() {
                    list.push(id);
                }
            }
            p = if p + 1 == n { 0 } else { p + 1 };
            if examined == n || found >= want {
                break 'pass;
            }
            if slot.lane_values().values[p] != memo::LANE_UNKNOWN {
                break;
            }
        }
        lane = slot.lane().expect("a lane just synced");
    }
    if found == 0 {
        return None;
    }
    Some(LaneScan { start, examined, fresh, found })
}

/// The positions of a lane pass (`scan`) in order: one or two ranges `[from, end)` of a lane
/// of `n` positions (the pass wraps around the node tree's end).
fn lane_ranges(n: usize, scan: LaneScan) -> [(usize, usize); 2] {
    let (start, end) = (scan.start, scan.start + scan.examined);
    if end <= n { [(start, end), (0, 0)] } else { [(start, n), (0, end - n)] }
}

/// Lists the feasible nodes of a lane pass (`scan`), in order, into `feasible`.
fn lane_list(slot: &memo::SlotHandle<'_>, order: &[NodeId], scan: LaneScan, feasible: &mut Vec<NodeId>) {
    let values = slot.lane_values().values;
    feasible.clear();
    for (from, end) in lane_ranges(values.len(), scan) {
        let positions = (from..end).zip(&values[from..end]);
        feasible.extend(positions.filter(|&(_, &v)| v >= memo::LANE_UNSCORED).map(|(p, _)| order[p]));
    }
    debug_assert_eq!(feasible.len(), scan.found, "the lane's feasible nodes");
}

/// The end of a lane cycle ([`lane_pass`]) whose totals the memo gives ([`MemoTotals`]'s
/// conditions, every active scorer node-local): the feasible nodes the memo has not scored are
/// scored and recorded, then `selectHost` reads the lane: the highest total and the tie-break
/// of [`select_host`] over the feasible positions in order, without listing the nodes or their
/// totals. `None` where the general path must decide: a score to normalize that is not 0, a
/// scorer's error or a score out of range (it reports them).
#[allow(clippy::too_many_arguments)]
fn lane_select(
    slot: &mut memo::SlotHandle<'_>,
    scan: LaneScan,
    plugins: &[Box<dyn Plugin>],
    pod: &Pod,
    cache: &[NodeInfo],
    order: &[NodeId],
    memo_cx: &MemoCx<'_>,
    local_scorers: &[usize],
    final_weights: &[Option<i64>],
    (unscored, ids, columns, infos_buffer): (
        &mut Vec<usize>,
        &mut Vec<NodeId>,
        &mut Vec<i64>,
        &mut Vec<&'static NodeInfo>,
    ),
    rng: &mut SimRng,
) -> Option<NodeId> {
    let ranges = lane_ranges(slot.lane_values().values.len(), scan);
    // Read four times below: the pass's stale summaries are worth remaking.
    slot.refresh_lane(&ranges);
    let lane = slot.lane()?;
    // The highest known total (less the constant), and whether some position is not scored
    // yet, or not usable.
    let (mut min, mut max) = (i32::MAX, memo::LANE_OTHER);
    for (from, end) in ranges {
        let (low, high) = lane.extremes(from, end);
        (min, max) = (min.min(low), max.max(high));
    }
    if min < memo::LANE_FAIL || min == memo::LANE_UNUSABLE {
        return None;
    }
    unscored.clear();
    if min < 0 && !ranges.iter().all(|&(from, end)| lane.codes(from, end, unscored)) {
        return None;
    }
    if !unscored.is_empty() {
        ids.clear();
        ids.extend(unscored.iter().map(|&p| order[p]));
        let mut infos: Vec<&NodeInfo> = std::mem::take(infos_buffer);
        infos.extend(ids.iter().map(|id| &cache[id.index()]));
        let u = unscored.len();
        let columns = reused(columns, u * local_scorers.len());
        let rows = Rows::new(memo_cx.rows, ids);
        let scored = memo_columns(plugins, pod, (local_scorers, final_weights), &infos, rows, columns);
        *infos_buffer = emptied(infos);
        if !scored {
            return None;
        }
        for (q, (&p, id)) in unscored.iter().zip(ids.iter()).enumerate() {
            let scores = (0..local_scorers.len()).map(|s| columns[s * u + q]);
            let v = slot.record_scores_in_lane(p, id.index(), memo_cx.generations[id.index()], scores);
            if v < 0 {
                return None;
            }
            max = max.max(v);
        }
    }
    let lane = slot.lane_values();
    let [(from, end), (wrapped_from, wrapped_end)] = ranges;
    let ties_first = lane.count_equal(from, end, max);
    let ties = ties_first + lane.count_equal(wrapped_from, wrapped_end, max);
    let r = framework::tie_index(ties, rng);
    let p = if r < ties_first {
        lane.nth_equal(from, end, max, r)?
    } else {
        lane.nth_equal(wrapped_from, wrapped_end, max, r - ties_first)?
    };
    Some(order[p])
}

/// The raw scores of the node-local `scorers` (with their final weights) on `infos`, one
/// column of `infos.len()` per scorer into `columns`: true when they give the memo's totals —
/// every scorer answered, each final score in range, each score to normalize 0.
fn memo_columns(
    plugins: &[Box<dyn Plugin>],
    pod: &Pod,
    (scorers, final_weights): (&[usize], &[Option<i64>]),
    infos: &[&NodeInfo],
    rows: Rows<'_>,
    columns: &mut [i64],
) -> bool {
    let u = infos.len();
    scorers.iter().zip(final_weights).zip(columns.chunks_mut(u.max(1))).all(|((&i, weight), column)| {
        plugins[i].as_score().is_some_and(|scorer| scorer.score_rows(pod, infos, rows, column).is_ok())
            && match weight {
                Some(_) => column.iter().all(|s| framework::in_score_range(*s)),
                None => column.iter().all(|&s| s == 0),
            }
    })
}

/// [`MemoTotals::fill`]'s buffers, kept between cycles: the unknown nodes' positions, whether
/// each may be recorded, their ids, their score columns, and a list for their views.
type FillBuffers<'b> =
    (&'b mut Vec<usize>, &'b mut Vec<bool>, &'b mut Vec<NodeId>, &'b mut Vec<i64>, &'b mut Vec<&'static NodeInfo>);

/// A cycle's totals from the memo alone where it can: every active scorer node-local, the
/// final ones' weighted sum read per node in one step, and the others (to normalize) known
/// to have scored every feasible node 0, so that they add one [`all_zero_constant`].
struct MemoTotals<'a> {
    feasible: &'a [NodeId],
    generations: &'a [u64],
    cache: &'a [NodeInfo],
    rows: &'a [NodeRow],
    local_scorers: &'a [usize],
    final_weights: &'a [Option<i64>],
    constant: i64,
}

impl MemoTotals<'_> {
    /// Fills `totals` (zeroed, as long as the feasible nodes) and records the scores of the
    /// nodes the memo did not know; false, leaving `totals` to be zeroed again, where the
    /// general path must decide instead: some node's score to normalize is not 0, or a
    /// scorer erred or scored out of range (the general path reports it). The buffers:
    /// `unknown`, `fresh`, `unknown_ids` and the score columns of [`CycleBuffers`].
    fn fill(
        &self,
        plugins: &[Box<dyn Plugin>],
        pod: &Pod,
        slot: &mut memo::SlotHandle<'_>,
        totals: &mut [i64],
        (unknown, fresh, unknown_ids, columns, infos_buffer): FillBuffers<'_>,
    ) -> bool {
        unknown.clear();
        fresh.clear();
        for ((k, id), total) in self.feasible.iter().enumerate().zip(totals.iter_mut()) {
            let g = self.generations[id.index()];
            match slot.final_sum(id.index(), g) {
                Some(sum) => *total = sum + self.constant,
                None if slot.scores(id.index(), g).is_some() => return false,
                None => {
                    unknown.push(k);
                    fresh.push(slot.is_current(id.index(), g));
                }
            }
        }
        if unknown.is_empty() {
            return true;
        }
        unknown_ids.clear();
        unknown_ids.extend(unknown.iter().map(|&k| self.feasible[k]));
        let mut infos: Vec<&NodeInfo> = std::mem::take(infos_buffer);
        infos.extend(unknown_ids.iter().map(|id| &self.cache[id.index()]));
        let answer = self.fill_unknown(plugins, pod, slot, totals, (unknown, fresh, unknown_ids, columns), &infos);
        *infos_buffer = emptied(infos);
        answer
    }

    /// [`fill`](Self::fill)'s scores of the nodes the memo did not know (`infos`).
    fn fill_unknown(
        &self,
        plugins: &[Box<dyn Plugin>],
        pod: &Pod,
        slot: &mut memo::SlotHandle<'_>,
        totals: &mut [i64],
        (unknown, fresh, unknown_ids, columns): (&[usize], &[bool], &[NodeId], &mut Vec<i64>),
        infos: &[&NodeInfo],
    ) -> bool {
        let u = unknown.len();
        let columns = reused(columns, u * self.local_scorers.len());
        let scorers = (self.local_scorers, self.final_weights);
        if !memo_columns(plugins, pod, scorers, infos, Rows::new(self.rows, unknown_ids), columns) {
            return false;
        }
        for (weight, column) in self.final_weights.iter().zip(columns.chunks(u)) {
            if let Some(w) = weight {
                for (&k, &score) in unknown.iter().zip(column.iter()) {
                    totals[k] += score * w;
                }
            }
        }
        for (q, (&k, &fresh)) in unknown.iter().zip(fresh.iter()).enumerate() {
            totals[k] += self.constant;
            if fresh {
                slot.record_scores(self.feasible[k].index(), columns.iter().skip(q).step_by(u).copied());
            }
        }
        true
    }
}

/// A Filter plugin of a cycle, resolved: its profile index, its Filter, its name, and whether
/// it answers [`Filter::passes`] cheaply.
#[derive(Clone, Copy)]
struct FilterRef<'a> {
    plugin: usize,
    filter: &'a dyn Filter,
    name: &'static str,
    cheap: bool,
}

impl<'a> FilterRef<'a> {
    /// Plugin `i` of `plugins`, if it has a Filter extension point.
    fn of(plugins: &'a [Box<dyn Plugin>], i: usize) -> Option<FilterRef<'a>> {
        let plugin = &plugins[i];
        let filter = plugin.as_filter()?;
        Some(FilterRef { plugin: i, filter, name: plugin.name(), cheap: filter.passes_cheaply() })
    }
}

/// The first of `filters` that does not succeed on `node`, with its plugin index and its status
/// naming the plugin (`RunFilterPlugins`).
#[inline]
fn first_failure<'f>(
    filters: impl Iterator<Item = FilterRef<'f>>,
    pod: &Pod,
    node: &NodeInfo,
) -> Option<(usize, Status)> {
    for FilterRef { plugin, filter, name, cheap } in filters {
        if cheap && filter.passes(pod, node) {
            debug_assert!(filter.filter(pod, node).is_success(), "{name}: passes, but its Filter fails");
            continue;
        }
        let mut status = filter.filter(pod, node);
        if !status.is_success() {
            status.plugin = name;
            return Some((plugin, status));
        }
        debug_assert!(!cheap, "{name}: does not pass, but its Filter succeeds");
    }
    None
}

/// Profile plugin indices of one cycle (a profile has a dozen or so plugins per extension
/// point): on the stack, not allocated per cycle.
type PluginIndices = smallvec::SmallVec<[usize; 16]>;

/// A cycle's Filter plugins ([`active_filters`]) resolved to their Filter extension points
/// once, for the node loop: one virtual call per plugin and node.
struct ResolvedFilters<'a> {
    /// In profile order, with whether each is node-local. (Vectors, not `SmallVec`s: the
    /// node loop reads them per node, and a `SmallVec`'s inline-or-heap test per read cost
    /// more than the allocation per cycle it saves.)
    all: Vec<(FilterRef<'a>, bool)>,
    /// The positions in `all` of the filters that are not node-local ([`other_filters`]).
    other: Vec<usize>,
    /// What a node's row must show to pass them all, when every one of them can tell.
    need: Option<RowNeed>,
}

impl<'a> ResolvedFilters<'a> {
    fn new(
        plugins: &'a [Box<dyn Plugin>],
        filter: &[usize],
        local: &[bool],
        other: &[(usize, usize)],
        pod: &Pod,
    ) -> ResolvedFilters<'a> {
        let all: Vec<_> = filter.iter().filter_map(|&i| Some((FilterRef::of(plugins, i)?, local[i]))).collect();
        debug_assert_eq!(all.len(), filter.len(), "active filters all have a Filter");
        let need = all.iter().try_fold(RowNeed::default(), |need, (f, _)| Some(need.and(f.filter.row_need(pod)?)));
        ResolvedFilters { all, other: other.iter().map(|&(position, _)| position).collect(), need }
    }

    /// `RunFilterPlugins`: the first plugin that does not succeed decides.
    fn run_filters(&self, pod: &Pod, node: &NodeInfo) -> Status {
        first_failure(self.all.iter().map(|&(f, _)| f), pod, node).map_or_else(Status::success, |(_, status)| status)
    }

    /// Whether every filter succeeds on `node` ([`run_filters`](Self::run_filters) succeeds),
    /// without building a rejection's status: the cheap filters answer [`Filter::passes`], and
    /// their rejections are never errors; another filter's error is returned (with its plugin).
    fn passes_all(&self, pod: &Pod, node: &NodeInfo) -> Result<bool, Status> {
        for &(FilterRef { filter, name, cheap, .. }, _) in &self.all {
            if cheap {
                if !filter.passes(pod, node) {
                    debug_assert!(filter.filter(pod, node).code != Code::Error, "{name}: a cheap rejection errs");
                    return Ok(false);
                }
                continue;
            }
            let mut status = filter.filter(pod, node);
            match status.code {
                Code::Success => {}
                Code::Error => {
                    status.plugin = name;
                    return Err(status);
                }
                _ => return Ok(false),
            }
        }
        Ok(true)
    }

    /// The node-local filters alone: the first that does not succeed, by plugin index, with
    /// its status (what the memo records).
    fn run_local_filters(&self, pod: &Pod, node: &NodeInfo) -> Option<(usize, Status)> {
        first_failure(self.all.iter().filter(|&&(_, local)| local).map(|&(f, _)| f), pod, node)
    }

    /// [`run_filters`](Self::run_filters) with the node-local filters' verdict known:
    /// `local_fail` is the first of them that does not succeed (its plugin index). The other
    /// filters run in order up to it; the first of them that does not succeed is returned,
    /// and `None` means the node-local verdict decides, so the first failure in profile order
    /// decides, as without the memo.
    #[inline]
    fn run_other_filters(&self, pod: &Pod, node: &NodeInfo, local_fail: Option<usize>) -> Option<Status> {
        if self.other.is_empty() {
            return None;
        }
        let stop = local_fail
            .map_or(usize::MAX, |failed| self.all.iter().position(|(f, _)| f.plugin == failed).unwrap_or(usize::MAX));
        let others = self.other.iter().take_while(|&&position| position <= stop).map(|&position| self.all[position].0);
        first_failure(others, pod, node).map(|(_, status)| status)
    }
}

/// What one cycle knows about nominated pods, for filtering (`RunFilterPluginsWithNominatedPods`)
/// and preemption.
pub struct Nominations<'a> {
    /// Pods nominated to each node whose priority is at least the pod's (the pod excluded).
    pub ge: BTreeMap<NodeId, Vec<std::sync::Arc<PodView>>>,
    /// The pod's own `nominatedNodeName`.
    pub own: Option<NodeId>,
    pub pod_id: PodId,
    pub pdbs: Vec<&'a crate::api::policy::PodDisruptionBudget>,
    pub now: SimTime,
}

/// What a PostFilter plugin decided in a cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostFilterOutcome {
    /// `None`: the nomination stays as it is.
    pub result: Option<PostFilterResult>,
    /// The PostFilter status message (empty on success; shared with the memo's failed pass).
    pub message: Arc<str>,
}

/// Stands in for a plugin taken out of the profile while it runs with the others borrowed.
struct Vacant;

impl Plugin for Vacant {
    fn name(&self) -> &'static str {
        ""
    }
}

/// The framework as a cycle runs it: the profile's filters and PreFilter extensions, with the
/// cycle's Skip set, and the nominated pods.
/// The Filter plugins of `filter` (the profile's, each with a Filter extension point) that run
/// in this cycle: not skipped by PreFilter. Computed once per cycle, not per node.
fn active_filters(filter: &[usize], skipped: &[usize]) -> PluginIndices {
    if skipped.is_empty() {
        return PluginIndices::from_slice(filter);
    }
    // The skipped plugins as a bit set (a profile has a few dozen plugins at most).
    let mask = skipped.iter().fold(0u64, |m, &i| if i < 64 { m | 1 << i } else { m });
    let is_skipped = |i: usize| if i < 64 { mask & 1 << i != 0 } else { skipped.contains(&i) };
    filter.iter().copied().filter(|&i| !is_skipped(i)).collect()
}

/// The filters of `filter` that are not node-local (`local`, by plugin index), with their
/// positions in `filter`.
fn other_filters(filter: &[usize], local: &[bool]) -> smallvec::SmallVec<[(usize, usize); 8]> {
    filter.iter().copied().enumerate().filter(|&(_, i)| !local[i]).collect()
}

struct CycleHandle<'a> {
    plugins: &'a mut [Box<dyn Plugin>],
    pre_filter: &'a [usize],
    /// The profile's Filter plugins that PreFilter did not skip ([`active_filters`]), in order.
    filter: &'a [usize],
    skipped: &'a [usize],
    nominated: &'a BTreeMap<NodeId, Vec<std::sync::Arc<PodView>>>,
}

impl CycleHandle<'_> {
    /// `RunFilterPlugins`: the first plugin that does not succeed decides.
    fn run_filters(&self, pod: &Pod, node: &NodeInfo) -> Status {
        let plugins = self.filter.iter().filter_map(|&i| FilterRef::of(self.plugins, i));
        first_failure(plugins, pod, node).map_or_else(Status::success, |(_, status)| status)
    }

    fn extensions(&mut self, pod: &Pod, view: &PodView, node: &NodeInfo, add: bool) -> Status {
        for &i in self.pre_filter {
            if self.skipped.contains(&i) {
                continue;
            }
            let plugin = &mut self.plugins[i];
            let name = plugin.name();
            let Some(ext) = plugin.as_pre_filter_extensions() else { continue };
            let status = if add { ext.add_pod(pod, view, node) } else { ext.remove_pod(pod, view, node) };
            if !status.is_success() {
                let what = if add { "AddPod" } else { "RemovePod" };
                return Status::error(format!("running {what} on PreFilter plugin {name:?}: {}", status.message()));
            }
        }
        Status::success()
    }
}

impl FrameworkHandle for CycleHandle<'_> {
    /// Filters run with the node's nominated pods of equal or higher priority added, and, if
    /// they pass, again without them: the pod must fit both ways.
    fn run_filters_with_nominated_pods(&mut self, pod: &Pod, node: &NodeInfo) -> Status {
        let nominated = match self.nominated.get(&node.id) {
            Some(list) if !list.is_empty() => list,
            _ => return self.run_filters(pod, node),
        };
        let mut with = node.clone();
        let mut added = 0;
        let mut status = Status::success();
        for p in nominated {
            with.add_view(p.clone());
            added += 1;
            status = self.extensions(pod, p, &with, true);
            if !status.is_success() {
                break;
            }
        }
        if status.is_success() {
            status = self.run_filters(pod, &with);
        }
        // Give the plugins' PreFilter state back (Go adds them to a copy of it).
        for p in nominated.iter().take(added).rev() {
            with.remove_view(p.id);
            let _ = self.extensions(pod, p, &with, false);
        }
        if !status.is_success() {
            return status;
        }
        self.run_filters(pod, node)
    }

    fn pre_filter_add_pod(&mut self, pod: &Pod, added: &PodView, node: &NodeInfo) -> Status {
        self.extensions(pod, added, node, true)
    }

    fn pre_filter_remove_pod(&mut self, pod: &Pod, removed: &PodView, node: &NodeInfo) -> Status {
        self.extensions(pod, removed, node, false)
    }
}

/// `RunPostFilterPlugins` after a FitError: the first plugin that succeeds or finds the pod
/// unresolvable decides; the messages of the others are joined. The outcome's message is the
/// FitError followed by the PostFilter message.
#[allow(clippy::too_many_arguments)]
fn run_post_filter(
    profile: &mut Profile,
    pod: &Pod,
    cx: &CycleContext<'_>,
    order: &[NodeId],
    noms: &Nominations<'_>,
    diagnosis: &NodeToStatus,
    skipped: &[usize],
    rng: &mut SimRng,
    fit_error: String,
    post: &mut Option<PostFilterOutcome>,
    pure: &mut bool,
) -> Outcome {
    // Every plugin that ran says its answer followed from the spec, statuses and views.
    *pure = true;
    if profile.post_filter.is_empty() {
        return Outcome::Unschedulable(fit_error.into());
    }
    let pcx = PostFilterContext {
        nodes: cx.nodes,
        order,
        pod_id: noms.pod_id,
        nominated_node: noms.own,
        pdbs: &noms.pdbs,
        now: noms.now,
    };
    let mut result: Option<PostFilterResult> = None;
    let mut reasons = framework::Reasons::new();
    let mut decided = false;
    for &i in &profile.post_filter.clone() {
        let mut plugin = std::mem::replace(&mut profile.plugins[i], Box::new(Vacant));
        let (r, status) = match plugin.as_post_filter() {
            Some(pf) => {
                let filters = active_filters(&profile.filter, skipped);
                let mut handle = CycleHandle {
                    plugins: &mut profile.plugins,
                    pre_filter: &profile.pre_filter,
                    filter: &filters,
                    skipped,
                    nominated: &noms.ge,
                };
                let answer = pf.post_filter(&pcx, pod, diagnosis, &mut handle, rng);
                *pure &= pf.last_was_pure();
                answer
            }
            None => (None, Status::unschedulable("")),
        };
        profile.plugins[i] = plugin;
        match status.code {
            Code::Success | Code::UnschedulableAndUnresolvable => {
                result = r;
                reasons = status.reasons;
                decided = true;
            }
            Code::Unschedulable => {
                if r.is_some() {
                    result = r;
                }
                reasons.extend(status.reasons.into_iter().filter(|m| !m.is_empty()));
            }
            _ => {
                result = None;
                reasons = status.reasons;
                decided = true;
            }
        }
        if decided {
            break;
        }
    }
    let message = reasons.join(", ");
    let text = if message.is_empty() { fit_error } else { format!("{fit_error} {message}.") };
    *post = Some(PostFilterOutcome { result, message: message.into() });
    Outcome::Unschedulable(text.into())
}

/// The `preemption` object of a `decisions.jsonl` line: the PostFilter result and message.
fn preemption_value(store: &Store, post: &PostFilterOutcome) -> serde_json::Value {
    use serde_json::json;
    let (nominated, victims): (Option<String>, Vec<String>) = match &post.result {
        Some(r) => (
            r.nominated_node.map(|n| store.node(n).meta.name.clone()),
            r.victims.iter().map(|&v| store.pod(v).meta.key()).collect(),
        ),
        None => (None, Vec::new()),
    };
    json!({
        "nominated_node": nominated,
        "victims": victims,
        "message": (!post.message.is_empty()).then(|| post.message.to_string()),
    })
}

/// One line of `decisions.jsonl`.
fn decision_value(
    now: SimTime,
    store: &Store,
    pod: PodId,
    outcome: &Outcome,
    verdicts: &[NodeVerdict],
) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    let nodes: Vec<Value> = verdicts
        .iter()
        .map(|v| {
            let mut scores = Map::new();
            for (name, s) in &v.scores {
                scores.insert((*name).to_string(), json!(s));
            }
            json!({
                "node": store.node(v.node).meta.name,
                "feasible": v.status.is_none(),
                "reason": v.status.as_ref().map(|s| s.message()),
                "scores": Value::Object(scores),
                "total": v.total,
            })
        })
        .collect();
    let (result, node, message) = match outcome {
        Outcome::Bound(n) => ("bound", Some(store.node(*n).meta.name.clone()), None),
        Outcome::Unschedulable(m) => ("unschedulable", None, Some(m.to_string())),
        Outcome::Error(m) => ("error", None, Some(m.clone())),
    };
    json!({
        "t_s": now.as_secs_f64(),
        "pod": store.pod(pod).meta.key(),
        "result": result,
        "node": node,
        "message": message,
        "nodes": nodes,
    })
}

#[cfg(test)]
mod tests {
    use super::emptied;

    /// `nodeTree.list()`: zones (region and zone together) in first-seen order, one node of
    /// each in turn; a zone name in another region is another zone; a node without either
    /// label is in the zone "".
    #[test]
    fn the_node_tree_takes_zones_in_turn() {
        use crate::api::meta::ObjectMeta;
        use crate::api::node::labels::{REGION, ZONE};
        use crate::journal::Journal;
        use crate::kernel::{SimTime, Streams};
        use crate::manifest::{NodeFields, build_node};
        use crate::store::{Change, Store};

        let mut store = Store::new(Journal::new(false));
        let config = super::SchedulerConfig::default();
        let mut scheduler = super::Scheduler::new(&config, Streams::new(1).stream("scheduler.tiebreak"), false);
        let nodes = [
            ("a", Some("r1"), Some("z1")),
            ("b", Some("r1"), Some("z2")),
            ("c", Some("r1"), Some("z1")),
            ("d", None, None),
            ("e", Some("r2"), Some("z1")),
            ("f", Some("r1"), Some("z2")),
            ("g", None, Some("z1")),
            ("h", None, None),
        ];
        for (name, region, zone) in nodes {
            let mut meta = ObjectMeta { name: name.into(), ..ObjectMeta::default() };
            for (key, value) in [(REGION, region), (ZONE, zone)] {
                if let Some(value) = value {
                    meta.labels.insert(key.into(), value.into());
                }
            }
            let id = store.add_node(SimTime::ZERO, build_node(meta, NodeFields::default()));
            scheduler.on_change(&store, Change::NodeAdded(id), SimTime::ZERO);
        }
        scheduler.rebuild_order(&store);
        let names: Vec<&str> = scheduler.order.iter().map(|&id| store.node(id).meta.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "d", "e", "g", "c", "f", "h"]);
    }

    /// A node's rows are built when its view is (no cycle needed), and the note of whether
    /// some node lists images follows adds, updates and removals without a rescan.
    #[test]
    fn a_node_view_comes_with_its_rows_and_its_images_noted() {
        use crate::api::meta::ObjectMeta;
        use crate::api::node::ContainerImage;
        use crate::api::quantity::Quantity;
        use crate::api::resources::ResourceName;
        use crate::journal::Journal;
        use crate::kernel::{SimTime, Streams};
        use crate::manifest::{NodeFields, build_node};
        use crate::scheduler::framework::{GpuRow, NodeRow};
        use crate::store::{Change, Store};

        let mut store = Store::new(Journal::new(false));
        let config = super::SchedulerConfig::default();
        let mut scheduler = super::Scheduler::new(&config, Streams::new(1).stream("scheduler.tiebreak"), false);
        let rows_current =
            |scheduler: &super::Scheduler| {
                scheduler.cache.iter().enumerate().all(|(i, info)| {
                    scheduler.rows[i] == NodeRow::of(info) && scheduler.gpu_rows[i] == GpuRow::of(info)
                })
            };
        let node = |name: &str, cpu: &str, image: Option<&str>| {
            let mut fields = NodeFields::default();
            fields.allocatable.insert(ResourceName::Cpu, cpu.parse::<Quantity>().unwrap());
            fields.capacity = fields.allocatable.clone();
            let mut node = build_node(ObjectMeta { name: name.into(), ..ObjectMeta::default() }, fields);
            node.images =
                image.map(|i| ContainerImage { names: vec![i.into()], size_bytes: 1 << 20 }).into_iter().collect();
            node
        };
        assert_eq!(scheduler.any_node_images, Some(false), "no node, no image");
        let mut ids = Vec::new();
        for (i, cpu) in ["4", "8", "16"].into_iter().enumerate() {
            let id = store.add_node(SimTime::ZERO, node(&format!("n{i}"), cpu, None));
            scheduler.on_change(&store, Change::NodeAdded(id), SimTime::ZERO);
            ids.push(id);
            assert!(scheduler.stale_rows.is_empty(), "nothing left for the next cycle");
            assert!(rows_current(&scheduler), "the rows of n{i} are built with its view");
            assert_eq!(scheduler.any_node_images, Some(false), "image-less nodes leave the note");
        }
        assert_eq!(scheduler.rows[ids[2].index()].allocatable_cpu, 16_000);
        store.update_node_spec(SimTime::ZERO, ids[1], &node("n1", "6", Some("pause")));
        scheduler.on_change(&store, Change::NodeUpdated(ids[1]), SimTime::ZERO);
        assert!(rows_current(&scheduler), "an update renews the rows");
        assert_eq!(scheduler.rows[ids[1].index()].allocatable_cpu, 6_000);
        assert_eq!(scheduler.any_node_images, Some(true), "a node lists an image");
        store.update_node_spec(SimTime::ZERO, ids[1], &node("n1", "6", None));
        scheduler.on_change(&store, Change::NodeUpdated(ids[1]), SimTime::ZERO);
        assert_eq!(scheduler.any_node_images, None, "the only node listing images may have dropped them");
        scheduler.any_node_images = Some(false);
        let id = store.add_node(SimTime::ZERO, node("n3", "4", Some("pause")));
        scheduler.on_change(&store, Change::NodeAdded(id), SimTime::ZERO);
        assert_eq!(scheduler.any_node_images, Some(true));
        assert!(store.remove_node(SimTime::ZERO, id));
        scheduler.on_change(&store, Change::NodeRemoved(id), SimTime::ZERO);
        assert_eq!(scheduler.any_node_images, None, "the node listing images left");
    }

    #[test]
    fn emptied_keeps_the_allocation() {
        let words = [String::from("a"), String::from("b")];
        let mut borrowed: Vec<&String> = Vec::with_capacity(600);
        borrowed.extend(&words);
        let at = borrowed.as_ptr() as usize;
        let kept: Vec<&'static String> = emptied(borrowed);
        assert!(kept.is_empty());
        assert_eq!(kept.capacity(), 600, "the capacity stays");
        assert_eq!(kept.as_ptr() as usize, at, "the same allocation");
    }
}
