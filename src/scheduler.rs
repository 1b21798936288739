//! kube-scheduler: the scheduling queue, the cache of node views, the profiles (one framework
//! instance per `schedulerName`) and the scheduling cycle.
//!
//! The engine feeds the scheduler every store change (its informers) and asks it to schedule
//! one pod per `ScheduleOne` event. A cycle is instantaneous in virtual time: the chosen node
//! is bound at once (no assume/bind latency is modelled). Which nodes are examined follows the
//! deterministic model of the reference (§4.1): sequential examination in node-tree order from
//! `nextStartNodeIndex`, stopping after `numFeasibleNodesToFind` feasible nodes; ties between
//! equal totals are broken by reservoir sampling on the seeded `scheduler.tiebreak` stream.

pub mod config;
pub mod framework;
pub mod plugins;
pub mod queue;
pub mod registry;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::api::pod::Pod;
use crate::kernel::{SimDuration, SimRng, SimTime};
use crate::store::{Change, NodeId, PodId, Store};
use config::{ResolvedProfile, SchedulerConfig};
use framework::{Code, CycleContext, NodeInfo, Plugin, Status, num_feasible_nodes_to_find, select_host};
use queue::SchedulingQueue;

/// One profile: a framework instance.
pub struct Profile {
    pub resolved: ResolvedProfile,
    plugins: Vec<Box<dyn Plugin>>,
    pre_filter: Vec<usize>,
    filter: Vec<usize>,
    pre_score: Vec<usize>,
    score: Vec<(usize, i64)>,
    gates_enabled: bool,
}

impl Profile {
    /// Builds the plugin instances of a resolved profile.
    pub fn new(resolved: ResolvedProfile) -> Profile {
        let mut plugins: Vec<Box<dyn Plugin>> = Vec::new();
        let index_of = |name: &str, plugins: &mut Vec<Box<dyn Plugin>>| -> Option<usize> {
            if let Some(i) = plugins.iter().position(|p| p.name() == name) {
                return Some(i);
            }
            let p = plugins::instantiate(name, &resolved)?;
            plugins.push(p);
            Some(plugins.len() - 1)
        };
        let pre_filter = resolved.pre_filter.iter().filter_map(|n| index_of(n, &mut plugins)).collect();
        let filter = resolved.filter.iter().filter_map(|n| index_of(n, &mut plugins)).collect();
        let pre_score = resolved.pre_score.iter().filter_map(|n| index_of(n, &mut plugins)).collect();
        let score = resolved.score.iter().filter_map(|(n, w)| index_of(n, &mut plugins).map(|i| (i, *w))).collect();
        let gates_enabled = resolved.pre_enqueue.iter().any(|n| n == "SchedulingGates");
        Profile { resolved, plugins, pre_filter, filter, pre_score, score, gates_enabled }
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
    /// No feasible node; the FitError message.
    Unschedulable(String),
    /// A plugin returned an error.
    Error(String),
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
    /// Nodes were added since `order` was built.
    order_stale: bool,
    next_start_index: usize,
    tiebreak: SimRng,
    trace: Option<Vec<String>>,
    pub stats: SchedulerStats,
}

impl Scheduler {
    pub fn new(config: &SchedulerConfig, tiebreak: SimRng, trace_decisions: bool) -> Scheduler {
        let profiles = config
            .profiles
            .iter()
            .map(|p| Profile::new(p.resolve().expect("profiles are validated when the scenario is loaded")))
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
            order_stale: false,
            next_start_index: 0,
            tiebreak,
            trace: trace_decisions.then(Vec::new),
            stats: SchedulerStats::default(),
        }
    }

    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    fn profile_index(&self, scheduler_name: &str) -> Option<usize> {
        self.profiles.iter().position(|p| p.name() == scheduler_name)
    }

    /// The decision lines recorded with `--trace decisions`.
    pub fn take_decisions(&mut self) -> Vec<String> {
        self.trace.as_mut().map(std::mem::take).unwrap_or_default()
    }

    fn refresh_node(&mut self, store: &Store, id: NodeId) {
        let node = store.node(id);
        let info = NodeInfo {
            id,
            name: node.meta.name.clone(),
            labels: node.meta.labels.clone(),
            taints: node.taints.clone(),
            unschedulable: node.unschedulable,
            images: node.images.clone(),
            allocatable: node.allocatable_resources.clone(),
            requested: Default::default(),
            non_zero_requested: Default::default(),
            pod_count: 0,
            pods: Vec::new(),
        };
        if id.index() < self.cache.len() {
            let old = &mut self.cache[id.index()];
            let (requested, non_zero, count) = (old.requested.clone(), old.non_zero_requested.clone(), old.pod_count);
            let pods = std::mem::take(&mut old.pods);
            *old = NodeInfo { requested, non_zero_requested: non_zero, pod_count: count, pods, ..info };
        } else {
            debug_assert_eq!(id.index(), self.cache.len());
            self.cache.push(info);
            // Rebuilt before the next cycle: adding n nodes one by one stays O(n).
            self.order_stale = true;
        }
    }

    /// `nodeTree.list()`: zones in first-seen order, round robin over zones.
    fn rebuild_order(&mut self, store: &Store) {
        self.order_stale = false;
        // Zones in first-seen order; the map only finds a zone's slot, it is not iterated.
        let mut zones: Vec<Vec<NodeId>> = Vec::new();
        let mut slot: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for info in &self.cache {
            let key = store.node(info.id).zone_key();
            let next = zones.len();
            let i = *slot.entry(key).or_insert(next);
            if i == next {
                zones.push(Vec::new());
            }
            zones[i].push(info.id);
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
    }

    /// The informer: reacts to one store change. Returns true when pods may have become
    /// schedulable (the engine then makes sure a cycle runs).
    pub fn on_change(&mut self, store: &Store, change: Change, now: SimTime) {
        match change {
            Change::NodeAdded(id) => {
                self.refresh_node(store, id);
                self.queue.move_all_unschedulable(now);
            }
            Change::NodeUpdated(id) => {
                self.refresh_node(store, id);
                self.queue.move_all_unschedulable(now);
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
                self.queue.add(id, pod.spec.priority, now);
            }
            Change::PodBound(id) => {
                let pod = store.pod(id);
                if let Some(node) = pod.status.node {
                    self.cache[node.index()].add_pod(id, pod);
                }
                self.queue.forget(id);
            }
            Change::PodRemoved(id) => {
                let pod = store.pod(id);
                self.queue.forget(id);
                if let Some(node) = pod.status.node {
                    self.cache[node.index()].remove_pod(id, pod);
                    // An assigned pod was deleted: resources were freed.
                    self.queue.move_all_unschedulable(now);
                }
            }
            Change::PodDeleting(id) => match store.pod(id).status.node {
                None => self.queue.forget(id),
                Some(node) => self.cache[node.index()].update_pod(id, store.pod(id)),
            },
            Change::PodStatus(id) => {
                // The start time matters to preemption; keep the node's view current.
                if let Some(node) = store.pod(id).status.node {
                    let info = &mut self.cache[node.index()];
                    if info.pods.iter().any(|p| p.id == id && p.start_time != store.pod(id).status.start_time) {
                        info.update_pod(id, store.pod(id));
                    }
                }
            }
            _ => {}
        }
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
        let pod = store.pod(pod_id);
        if pod.meta.deletion_timestamp.is_some() || pod.status.node.is_some() || store.is_removed(pod_id) {
            self.queue.forget(pod_id);
            return None;
        }
        let profile_index = self.profile_index(&pod.spec.scheduler_name)?;
        self.stats.attempts += 1;
        let mut verdicts = Vec::new();
        let tracing = self.trace.is_some();
        let outcome = {
            let percentage = self.profiles[profile_index]
                .resolved
                .percentage_of_nodes_to_score
                .or(self.global_percentage)
                .unwrap_or(0);
            let owner_selectors = owner_selectors(store, pod_id);
            let cx = CycleContext { nodes: &self.cache, owner_selectors: &owner_selectors };
            let profile = &mut self.profiles[profile_index];
            schedule_pod(
                profile,
                pod,
                &cx,
                &self.order,
                &mut self.next_start_index,
                percentage,
                &mut self.tiebreak,
                tracing.then_some(&mut verdicts),
            )
        };
        match &outcome {
            Outcome::Bound(node) => {
                self.stats.bound += 1;
                store.bind_pod(now, pod_id, *node);
            }
            Outcome::Unschedulable(message) => {
                self.stats.unschedulable += 1;
                store.set_unschedulable_pod(now, pod_id, message.clone());
                self.queue.requeue_unschedulable(pod_id, now);
            }
            Outcome::Error(message) => {
                self.stats.errors += 1;
                store.set_unschedulable_pod(now, pod_id, format!("scheduling error: {message}"));
                self.queue.requeue_unschedulable(pod_id, now);
            }
        }
        if let Some(trace) = self.trace.as_mut() {
            trace.push(decision_json(now, store, pod_id, &outcome, &verdicts));
        }
        Some((pod_id, outcome))
    }

    /// The node views (for tests and invariant checks).
    pub fn cache(&self) -> &[NodeInfo] {
        &self.cache
    }
}

/// The selectors of the Services and ReplicaSets in the pod's namespace that select it
/// (`helper.DefaultSelector`'s inputs).
fn owner_selectors(store: &Store, pod_id: PodId) -> Vec<crate::api::selector::LabelSelector> {
    let pod = store.pod(pod_id);
    let mut out = Vec::new();
    for s in store.service_ids() {
        let service = store.service(s).expect("live id");
        if service.meta.namespace == pod.meta.namespace
            && service.selector_labels.is_some()
            && service.selector.matches(&pod.meta.labels)
        {
            out.push(service.selector.clone());
        }
    }
    for rs in store.replica_set_ids() {
        let r = store.replica_set(rs).expect("live id");
        if r.meta.namespace == pod.meta.namespace && r.selector.matches(&pod.meta.labels) {
            out.push(r.selector.clone());
        }
    }
    out
}

/// One scheduling cycle for `pod` (`schedulePod`).
#[allow(clippy::too_many_arguments)]
fn schedule_pod(
    profile: &mut Profile,
    pod: &Pod,
    cx: &CycleContext<'_>,
    order: &[NodeId],
    next_start_index: &mut usize,
    percentage: i32,
    rng: &mut SimRng,
    mut trace: Option<&mut Vec<NodeVerdict>>,
) -> Outcome {
    let cache = cx.nodes;
    let n = order.len();
    if n == 0 {
        return Outcome::Unschedulable("0/0 nodes are available: no nodes available to schedule pods.".into());
    }
    // 1. PreFilter.
    let mut skipped_filters: Vec<usize> = Vec::new();
    let mut allowed: Option<std::collections::BTreeSet<String>> = None;
    for &i in &profile.pre_filter {
        let plugin = &mut profile.plugins[i];
        let name = plugin.name();
        let Some(pf) = plugin.as_pre_filter() else { continue };
        let (result, mut status) = pf.pre_filter(cx, pod);
        status.plugin = name;
        match status.code {
            Code::Success => {}
            Code::Skip => skipped_filters.push(i),
            Code::Error => return Outcome::Error(format!("{name}: {}", status.message())),
            _ => {
                let message = format!("0/{n} nodes are available: {}.", status.message());
                if let Some(t) = trace.as_mut() {
                    t.extend(order.iter().map(|&id| NodeVerdict {
                        node: id,
                        status: Some(status.clone()),
                        scores: vec![],
                        total: None,
                    }));
                }
                return Outcome::Unschedulable(message);
            }
        }
        if let Some(names) = result.node_names {
            allowed = Some(match allowed {
                None => names,
                Some(prev) => prev.intersection(&names).cloned().collect(),
            });
        }
    }
    let has_scoring = !profile.score.is_empty();
    let num_to_find = if has_scoring { num_feasible_nodes_to_find(percentage, n) } else { 1 };

    // 2. Filter, in rotation order from nextStartNodeIndex.
    let mut feasible: Vec<NodeId> = Vec::with_capacity(num_to_find.min(n));
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut examined = 0usize;
    let mut statuses_counted = 0usize;
    for k in 0..n {
        if feasible.len() >= num_to_find {
            break;
        }
        let id = order[(*next_start_index + k) % n];
        let info = &cache[id.index()];
        examined += 1;
        if let Some(allowed) = &allowed
            && !allowed.contains(&info.name)
        {
            // Nodes outside the PreFilterResult are not examined at all.
            examined -= 1;
            continue;
        }
        let mut rejection: Option<Status> = None;
        for &i in &profile.filter {
            if skipped_filters.contains(&i) {
                continue;
            }
            let plugin = &profile.plugins[i];
            let Some(f) = plugin.as_filter() else { continue };
            let mut status = f.filter(pod, info);
            if !status.is_success() {
                status.plugin = plugin.name();
                rejection = Some(status);
                break;
            }
        }
        match rejection {
            None => {
                feasible.push(id);
                if let Some(t) = trace.as_mut() {
                    t.push(NodeVerdict { node: id, status: None, scores: vec![], total: None });
                }
            }
            Some(status) => {
                if status.code == Code::Error {
                    return Outcome::Error(format!("{}: {}", status.plugin, status.message()));
                }
                statuses_counted += 1;
                for r in &status.reasons {
                    *reasons.entry(r.clone()).or_insert(0) += 1;
                }
                if let Some(t) = trace.as_mut() {
                    t.push(NodeVerdict { node: id, status: Some(status), scores: vec![], total: None });
                }
            }
        }
    }
    *next_start_index = (*next_start_index + feasible.len() + statuses_counted) % n;
    let _ = examined;

    if feasible.is_empty() {
        // FitError: "0/N nodes are available: <count> <reason>, ...", sorted as strings.
        let mut parts: Vec<String> = reasons.iter().map(|(r, c)| format!("{c} {r}")).collect();
        parts.sort();
        return Outcome::Unschedulable(format!("0/{n} nodes are available: {}.", parts.join(", ")));
    }
    if feasible.len() == 1 {
        return Outcome::Bound(feasible[0]);
    }

    // 3. PreScore, Score, NormalizeScore, weighted sum.
    let infos: Vec<&NodeInfo> = feasible.iter().map(|id| &cache[id.index()]).collect();
    let mut skipped_scores: Vec<usize> = Vec::new();
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
    let mut totals = vec![0i64; feasible.len()];
    let mut per_plugin: Vec<(&'static str, Vec<i64>)> = Vec::new();
    let mut raw = vec![0i64; feasible.len()];
    for &(i, weight) in &profile.score {
        if skipped_scores.contains(&i) {
            continue;
        }
        let plugin = &profile.plugins[i];
        let name = plugin.name();
        let Some(scorer) = plugin.as_score() else { continue };
        for (slot, info) in raw.iter_mut().zip(&infos) {
            match scorer.score(pod, info) {
                Ok(s) => *slot = s,
                Err(status) => return Outcome::Error(format!("{name}: {}", status.message())),
            }
        }
        if let Some(status) = scorer.normalize(pod, &mut raw)
            && !status.is_success()
        {
            return Outcome::Error(format!("{name}: {}", status.message()));
        }
        for (total, &s) in totals.iter_mut().zip(&raw) {
            if !(framework::MIN_NODE_SCORE..=framework::MAX_NODE_SCORE).contains(&s) {
                return Outcome::Error(format!(
                    "plugin {name:?} returns an invalid score {s}, it should in the range of [0, 100] after normalizing"
                ));
            }
            *total += s * weight;
        }
        if trace.is_some() {
            per_plugin.push((name, raw.clone()));
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
    match select_host(&totals, rng) {
        Some(k) => Outcome::Bound(feasible[k]),
        None => Outcome::Error("no node selected".into()),
    }
}

/// One line of `decisions.jsonl`.
fn decision_json(now: SimTime, store: &Store, pod: PodId, outcome: &Outcome, verdicts: &[NodeVerdict]) -> String {
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
        Outcome::Unschedulable(m) => ("unschedulable", None, Some(m.clone())),
        Outcome::Error(m) => ("error", None, Some(m.clone())),
    };
    let mut line = String::new();
    let value = json!({
        "t_s": now.as_secs_f64(),
        "pod": store.pod(pod).meta.key(),
        "result": result,
        "node": node,
        "message": message,
        "nodes": nodes,
    });
    let _ = write!(line, "{value}");
    line
}
