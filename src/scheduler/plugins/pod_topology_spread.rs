//! PodTopologySpread (`podtopologyspread/{common.go,filtering.go,scoring.go,plugin.go}`,
//! v1.34): spreads matching pods evenly over topology domains.
//!
//! *Constraints.* A pod's own `topologySpreadConstraints`, or, when it has none, the plugin's
//! default constraints (`PodTopologySpreadArgs`): with `defaultingType: System` (the default)
//! `{kubernetes.io/hostname, maxSkew 3}` and `{topology.kubernetes.io/zone, maxSkew 5}`, both
//! ScheduleAnyway, so they only score. A default constraint's selector is `DefaultSelector`
//! (`helper/spread.go`): the AND of the selectors of the Services, ReplicaSets and StatefulSets
//! selecting the pod (`CycleContext::owner_selectors`); with no such owner there are no default
//! constraints.
//! A pod constraint's selector is its `labelSelector` (absent: matches nothing) ANDed with
//! `key=value` for each `matchLabelKeys` key the pod carries.
//!
//! *Counting.* On every node of the snapshot that carries all the constraints' topology keys
//! and that the constraint's node inclusion policies admit (`nodeAffinityPolicy` Honor: the
//! node matches the pod's nodeSelector and required node affinity; `nodeTaintsPolicy` Honor:
//! the pod tolerates its NoSchedule/NoExecute taints), the pods in the pod's namespace that
//! match the selector and are not terminating. An empty selector (`labelSelector: {}`) counts
//! nothing: v1.34's `countPodsMatchSelector` returns 0 for `Selector.Empty()` (kubernetes#116607;
//! changed after v1.34 by kubernetes#141340), while the incoming pod still matches it.
//!
//! *Filter* (DoNotSchedule): `count(node's domain) + self − min(counts) ≤ maxSkew`, where `min`
//! is 0 while there are fewer domains than `minDomains`. A node without a topology key is
//! UnschedulableAndUnresolvable.
//!
//! *Score* (ScheduleAnyway), the exact v1.34 arithmetic: each constraint weighs
//! `ln(#domains + 2)` (for hostname, the number of scored nodes), a node scores
//! `round(Σ count·weight + maxSkew − 1)` in float64 as Go, and NormalizeScore maps the raw
//! scores to `100·(max + min − s)/max` over the nodes not ignored (ignored nodes, which lack a
//! topology key when the constraints are not the system defaults, get 0).

use std::collections::{BTreeMap, BTreeSet};

use crate::api::meta::Labels;
use crate::api::node::labels::{HOSTNAME, ZONE};
use crate::api::node_selector::RequiredNodeAffinity;
use crate::api::pod::{NodeInclusionPolicy, Pod, TopologySpreadConstraint, UnsatisfiableConstraintAction};
use crate::api::selector::LabelSelector;
use crate::api::taint::{TaintEffect, tolerated};
use crate::scheduler::config::{PodTopologySpreadArgs, SpreadDefaultingType};
use crate::scheduler::framework::{
    CycleContext, Filter, MAX_NODE_SCORE, NodeInfo, Plugin, PodView, PreFilter, PreFilterExtensions, PreFilterResult,
    PreScore, Score, Status, Zone, round_to_i64,
};

pub const NAME: &str = "PodTopologySpread";

const ERR_REASON_CONSTRAINTS_NOT_MATCH: &str = "node(s) didn't match pod topology spread constraints";
const ERR_REASON_NODE_LABEL_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

/// `systemDefaultConstraints` (plugin.go).
pub fn system_default_constraints() -> Vec<TopologySpreadConstraint> {
    let soft = |key: &str, max_skew| TopologySpreadConstraint {
        max_skew,
        topology_key: key.to_string(),
        when_unsatisfiable: UnsatisfiableConstraintAction::ScheduleAnyway,
        ..TopologySpreadConstraint::default()
    };
    vec![soft(HOSTNAME, 3), soft(crate::api::node::labels::ZONE, 5)]
}

/// A constraint with its selector resolved for the incoming pod (`topologySpreadConstraint`).
#[derive(Clone, Debug, PartialEq)]
struct Constraint {
    max_skew: i32,
    topology_key: String,
    selector: LabelSelector,
    min_domains: i32,
    node_affinity_policy: NodeInclusionPolicy,
    node_taints_policy: NodeInclusionPolicy,
}

impl Constraint {
    /// `matchNodeInclusionPolicies`.
    fn includes(&self, pod: &Pod, required: &RequiredNodeAffinity, node: &NodeInfo) -> bool {
        if self.node_affinity_policy == NodeInclusionPolicy::Honor && !required.matches(&node.name, &node.labels) {
            return false;
        }
        if self.node_taints_policy == NodeInclusionPolicy::Honor
            && node.taints.iter().any(|t| {
                matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
                    && !tolerated(&pod.spec.tolerations, t)
            })
        {
            return false;
        }
        true
    }
}

/// PreFilter state: the DoNotSchedule constraints and, per constraint, the matching pods per
/// domain of the eligible nodes (`TpValueToMatchNum`).
#[derive(Default)]
struct FilterState {
    constraints: Vec<Constraint>,
    counts: Vec<BTreeMap<String, i64>>,
}

/// PreScore state (`preScoreState`).
#[derive(Default)]
struct ScoreState {
    constraints: Vec<Constraint>,
    /// Names of the scored nodes lacking a topology key (`IgnoredNodes`).
    ignored: BTreeSet<String>,
    /// Whether each scored node, in the order PreScore saw them, is ignored (NormalizeScore
    /// receives the scores in that order).
    ignored_at: Vec<bool>,
    /// Per constraint (not hostname): matching pods per domain of the scored nodes.
    counts: Vec<BTreeMap<String, i64>>,
    /// Per constraint: `ln(size + 2)`.
    weights: Vec<f64>,
    /// Per constraint on the zone key: `counts` by [`Zone::Id`] (0 for a zone no scored node
    /// is in), so that Score finds a node's count by number.
    zone_counts: Vec<Option<Vec<i64>>>,
    /// Per constraint, from the scheduler's match counts when it has them: matching pods per
    /// node index (`None`: count by scanning the node).
    per_node: Vec<Option<crate::scheduler::match_counts::NodeCounts>>,
}

pub struct PodTopologySpread {
    default_constraints: Vec<TopologySpreadConstraint>,
    /// `defaultingType: System`: nodes without a zone label still get hostname spreading.
    system_defaulted: bool,
    filter: FilterState,
    score: ScoreState,
}

impl Default for PodTopologySpread {
    fn default() -> Self {
        PodTopologySpread::new(PodTopologySpreadArgs::default())
    }
}

impl PodTopologySpread {
    pub fn new(args: PodTopologySpreadArgs) -> PodTopologySpread {
        let (default_constraints, system_defaulted) = match args.defaulting_type {
            SpreadDefaultingType::System => (system_default_constraints(), true),
            SpreadDefaultingType::List => (args.default_constraints, false),
        };
        PodTopologySpread {
            default_constraints,
            system_defaulted,
            filter: FilterState::default(),
            score: ScoreState::default(),
        }
    }

    /// The pod's constraints for `action` (`getConstraints` / `initPreScoreState`).
    fn constraints_for(
        &self,
        cx: &CycleContext<'_>,
        pod: &Pod,
        action: UnsatisfiableConstraintAction,
    ) -> Vec<Constraint> {
        if !pod.spec.topology_spread_constraints.is_empty() {
            return filter_constraints(&pod.spec.topology_spread_constraints, &pod.meta.labels, action);
        }
        // `buildDefaultConstraints`. Without an owner selector with requirements (a Job's pod:
        // no Service, ReplicaSet or StatefulSet selects it) the default selector is empty and
        // there are none: known before building them.
        if cx.owner_selectors.iter().all(|s| s.is_nothing() || s.requirements().is_empty()) {
            return Vec::new();
        }
        let mut constraints = filter_constraints(&self.default_constraints, &pod.meta.labels, action);
        if constraints.is_empty() {
            return constraints;
        }
        let selector = default_selector(cx.owner_selectors);
        if selector.is_empty() {
            return Vec::new();
        }
        for c in &mut constraints {
            c.selector = selector.clone();
        }
        constraints
    }
}

/// `filterTopologySpreadConstraints`: the constraints with `action`, with their selectors.
fn filter_constraints(
    constraints: &[TopologySpreadConstraint],
    pod_labels: &Labels,
    action: UnsatisfiableConstraintAction,
) -> Vec<Constraint> {
    constraints
        .iter()
        .filter(|c| c.when_unsatisfiable == action)
        .map(|c| {
            let mut selector = c.label_selector.clone().unwrap_or_else(LabelSelector::nothing);
            let match_labels: Labels =
                c.match_label_keys.iter().filter_map(|k| pod_labels.get(k).map(|v| (k.clone(), v.clone()))).collect();
            // `mergeLabelSetWithSelector`: a Nothing selector stays Nothing.
            if !match_labels.is_empty() && !selector.is_nothing() {
                let mut merged = LabelSelector::from_set(&match_labels);
                for r in selector.requirements() {
                    merged = merged.with_requirement(r.clone());
                }
                selector = merged;
            }
            Constraint {
                max_skew: c.max_skew,
                topology_key: c.topology_key.clone(),
                selector,
                min_domains: c.min_domains.unwrap_or(1),
                node_affinity_policy: c.node_affinity_policy.unwrap_or(NodeInclusionPolicy::Honor),
                node_taints_policy: c.node_taints_policy.unwrap_or(NodeInclusionPolicy::Ignore),
            }
        })
        .collect()
}

/// `helper.DefaultSelector`: every requirement of every selecting Service, ReplicaSet and
/// StatefulSet, ANDed
/// (they all select the pod, so they cannot conflict). Nothing selectors add nothing.
pub fn default_selector(owner_selectors: &[LabelSelector]) -> LabelSelector {
    let mut selector = LabelSelector::everything();
    for owner in owner_selectors.iter().filter(|s| !s.is_nothing()) {
        for r in owner.requirements() {
            selector = selector.with_requirement(r.clone());
        }
    }
    selector
}

/// `countPodsMatchSelector`: non-terminating pods of `namespace` matching `selector`; an empty
/// selector counts none (v1.34).
fn count_matching(node: &NodeInfo, selector: &LabelSelector, namespace: &str) -> i64 {
    crate::scheduler::match_counts::scan(node, selector, namespace)
}

/// `nodeLabelsMatchSpreadConstraints`.
fn has_all_keys(node: &NodeInfo, constraints: &[Constraint]) -> bool {
    constraints.iter().all(|c| match c.topology_key.as_str() {
        HOSTNAME => hostname_labelled(node),
        // Any id is a zone label.
        ZONE => interned_zone_of(node, usize::MAX).map_or_else(|| node.labels.contains_key(ZONE), |z| z.is_some()),
        key => node.labels.contains_key(key),
    })
}

/// Whether the node has a hostname label (as the cache saw it, when it built the view).
fn hostname_labelled(node: &NodeInfo) -> bool {
    debug_assert!(node.hostname_labelled.is_none_or(|l| l == node.labels.contains_key(HOSTNAME)), "{}", node.name);
    node.hostname_labelled.unwrap_or_else(|| node.labels.contains_key(HOSTNAME))
}

/// The node's zone as an index into `zones` (`Some(None)`: no zone label), when the cache
/// interned it and this cycle knows the names; `None`: read the label.
fn interned_zone(node: &NodeInfo, zones: &[String]) -> Option<Option<usize>> {
    let zone = interned_zone_of(node, zones.len())?;
    debug_assert_eq!(zone.map(|z| &zones[z]), node.labels.get(ZONE), "{}: stale interned zone", node.name);
    Some(zone)
}

/// [`interned_zone`] where only the number of zone names is at hand (Score: PreScore checked
/// the names in debug builds).
fn interned_zone_of(node: &NodeInfo, zones: usize) -> Option<Option<usize>> {
    match node.zone {
        Zone::Unknown => None,
        Zone::Unlabelled => Some(None),
        Zone::Id(id) => ((id as usize) < zones).then_some(Some(id as usize)),
    }
}

fn required_node_affinity(pod: &Pod) -> RequiredNodeAffinity {
    let required = pod.spec.affinity.node_affinity.as_ref().and_then(|a| a.required.as_ref());
    RequiredNodeAffinity::new(&pod.spec.node_selector, required)
}

impl Plugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilter> {
        Some(self)
    }
    fn as_pre_filter_extensions(&mut self) -> Option<&mut dyn PreFilterExtensions> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        Some(self)
    }
    fn as_pre_score(&mut self) -> Option<&mut dyn PreScore> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
}

impl PreFilter for PodTopologySpread {
    fn pre_filter(&mut self, cx: &CycleContext<'_>, pod: &Pod) -> (PreFilterResult, Status) {
        let constraints = self.constraints_for(cx, pod, UnsatisfiableConstraintAction::DoNotSchedule);
        if constraints.is_empty() {
            self.filter = FilterState::default();
            return (PreFilterResult::default(), Status::skip());
        }
        let required = required_node_affinity(pod);
        let mut counts = vec![BTreeMap::new(); constraints.len()];
        for node in cx.nodes.iter().filter(|n| has_all_keys(n, &constraints)) {
            for (c, domains) in constraints.iter().zip(&mut counts) {
                if !c.includes(pod, &required, node) {
                    continue;
                }
                let value = node.labels[&c.topology_key].clone();
                *domains.entry(value).or_insert(0) += count_matching(node, &c.selector, &pod.meta.namespace);
            }
        }
        self.filter = FilterState { constraints, counts };
        (PreFilterResult::default(), Status::success())
    }
}

/// `AddPod` / `RemovePod` (`preFilterState.updateWithPod`): a pod added to or removed from a
/// node during the cycle (nominated pods, preemption's dry run) changes the domain counts when
/// it is in the incoming pod's namespace, on a node that has every topology key and that the
/// node inclusion policies count, and matches a constraint's selector (v1.34 matches the
/// selector directly here, so an empty selector counts, unlike at PreFilter).
impl PreFilterExtensions for PodTopologySpread {
    fn add_pod(&mut self, pod: &Pod, added: &PodView, node: &NodeInfo) -> Status {
        self.update_with_pod(pod, added, node, 1);
        Status::success()
    }

    fn remove_pod(&mut self, pod: &Pod, removed: &PodView, node: &NodeInfo) -> Status {
        self.update_with_pod(pod, removed, node, -1);
        Status::success()
    }
}

impl PodTopologySpread {
    fn update_with_pod(&mut self, pod: &Pod, changed: &PodView, node: &NodeInfo, delta: i64) {
        let state = &mut self.filter;
        if state.constraints.is_empty()
            || changed.namespace != pod.meta.namespace
            || !has_all_keys(node, &state.constraints)
        {
            return;
        }
        let required = required_node_affinity(pod);
        for (c, domains) in state.constraints.iter().zip(&mut state.counts) {
            if !c.includes(pod, &required, node) || !c.selector.matches(&changed.labels) {
                continue;
            }
            *domains.entry(node.labels[&c.topology_key].clone()).or_insert(0) += delta;
        }
    }
}

impl Filter for PodTopologySpread {
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        for (c, domains) in self.filter.constraints.iter().zip(&self.filter.counts) {
            let Some(value) = node.labels.get(&c.topology_key) else {
                return Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
            };
            // The global minimum, 0 while fewer domains than minDomains are eligible.
            let min =
                if domains.len() < c.min_domains as usize { 0 } else { domains.values().copied().min().unwrap_or(0) };
            let self_match = i64::from(c.selector.matches(&pod.meta.labels));
            let skew = domains.get(value).copied().unwrap_or(0) + self_match - min;
            if skew > i64::from(c.max_skew) {
                return Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
            }
        }
        Status::success()
    }
}

impl PreScore for PodTopologySpread {
    fn pre_score(&mut self, cx: &CycleContext<'_>, pod: &Pod, feasible: &[&NodeInfo]) -> Status {
        self.score = ScoreState::default();
        if cx.nodes.is_empty() {
            return Status::skip();
        }
        // Only the system defaults let nodes without a zone label be scored (hostname only).
        let require_all = !pod.spec.topology_spread_constraints.is_empty() || !self.system_defaulted;
        let constraints = self.constraints_for(cx, pod, UnsatisfiableConstraintAction::ScheduleAnyway);
        if constraints.is_empty() {
            return Status::skip();
        }
        // `initPreScoreState`: domains of the scored nodes; hostname is counted per node later.
        let mut s = ScoreState { counts: vec![BTreeMap::new(); constraints.len()], ..ScoreState::default() };
        // Zones of the scored nodes, by interned id: registered in the zone constraints' domains
        // after the loop, by name once per zone instead of once per node.
        let mut zones_seen = vec![false; cx.zones.len()];
        for node in feasible {
            let ignored = require_all && !has_all_keys(node, &constraints);
            s.ignored_at.push(ignored);
            if ignored {
                s.ignored.insert(node.name.clone());
                continue;
            }
            let zone = interned_zone(node, cx.zones);
            for (c, domains) in constraints.iter().zip(&mut s.counts) {
                if c.topology_key != HOSTNAME {
                    if c.topology_key == ZONE
                        && let Some(Some(z)) = zone
                    {
                        zones_seen[z] = true;
                        continue;
                    }
                    let value = node.labels.get(&c.topology_key).map_or("", String::as_str);
                    // A few domains for hundreds of nodes: allocate the key only when new.
                    if !domains.contains_key(value) {
                        domains.insert(value.to_string(), 0);
                    }
                }
            }
        }
        for (c, domains) in constraints.iter().zip(&mut s.counts) {
            if c.topology_key == ZONE {
                for (z, _) in zones_seen.iter().enumerate().filter(|(_, seen)| **seen) {
                    domains.entry(cx.zones[z].clone()).or_insert(0);
                }
            }
        }
        let scored = feasible.len() - s.ignored.len();
        s.weights = constraints
            .iter()
            .zip(&s.counts)
            .map(|(c, domains)| {
                let size = if c.topology_key == HOSTNAME { scored } else { domains.len() };
                (size as f64 + 2.0).ln()
            })
            .collect();
        // Counts over every node of the snapshot, in the domains of the scored nodes.
        let required = required_node_affinity(pod);
        // Where every node counts (no key required, no node affinity to honour, taints
        // ignored), the scheduler's match counts have the per-domain sums already.
        let mut summed = vec![false; constraints.len()];
        if let Some(m) = cx.match_counts
            && !require_all
        {
            for ((c, domains), done) in constraints.iter().zip(&mut s.counts).zip(&mut summed) {
                let every_node = (c.node_affinity_policy == NodeInclusionPolicy::Ignore || required.is_everything())
                    && c.node_taints_policy == NodeInclusionPolicy::Ignore;
                if c.topology_key != HOSTNAME && every_node && !c.selector.is_empty() {
                    m.add_domain_counts(cx.nodes, &pod.meta.namespace, &c.selector, &c.topology_key, domains);
                    *done = true;
                }
            }
        }
        let all_summed = constraints.iter().zip(&summed).all(|(c, &d)| d || c.topology_key == HOSTNAME);
        // Per-node counts for the rest (hostname is scored node by node).
        s.per_node = constraints
            .iter()
            .zip(&summed)
            .map(|(c, &done)| match cx.match_counts {
                Some(m) if !done && !c.selector.is_empty() => {
                    Some(m.counts(cx.nodes, &pod.meta.namespace, &c.selector))
                }
                _ => None,
            })
            .collect();
        for node in cx.nodes.iter().take(if all_summed { 0 } else { usize::MAX }) {
            if require_all && !has_all_keys(node, &constraints) {
                continue;
            }
            for (((c, domains), per_node), &done) in constraints.iter().zip(&mut s.counts).zip(&s.per_node).zip(&summed)
            {
                if done || c.topology_key == HOSTNAME || !c.includes(pod, &required, node) {
                    continue;
                }
                let value = node.labels.get(&c.topology_key).map_or("", String::as_str);
                if let Some(count) = domains.get_mut(value) {
                    *count += match per_node {
                        Some(v) => v.get(node.id.index()),
                        None => count_matching(node, &c.selector, &pod.meta.namespace),
                    };
                }
            }
        }
        s.zone_counts = constraints
            .iter()
            .zip(&s.counts)
            .map(|(c, domains)| {
                (c.topology_key == ZONE && !cx.zones.is_empty())
                    .then(|| cx.zones.iter().map(|z| domains.get(z).copied().unwrap_or(0)).collect())
            })
            .collect();
        s.constraints = constraints;
        self.score = s;
        Status::success()
    }

    /// Only with constraints to score (those `constraints_for` builds: none without the pod's
    /// own or an owner's selector).
    fn reads_feasible(&self, cx: &CycleContext<'_>, pod: &Pod) -> bool {
        !pod.spec.topology_spread_constraints.is_empty()
            || !cx.owner_selectors.iter().all(|s| s.is_nothing() || s.requirements().is_empty())
    }
}

impl Score for PodTopologySpread {
    fn score(&self, pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        let s = &self.score;
        if s.ignored.contains(&node.name) {
            return Ok(0);
        }
        let mut score = 0.0f64;
        for ((((c, domains), weight), per_node), zone_counts) in
            s.constraints.iter().zip(&s.counts).zip(&s.weights).zip(&s.per_node).zip(&s.zone_counts)
        {
            let count =
                match zone_counts.as_ref().and_then(|counts| Some((counts, interned_zone_of(node, counts.len())?))) {
                    // The zone's count by number where PreScore tabulated it.
                    Some((counts, zone)) => {
                        let Some(z) = zone else { continue };
                        counts[z]
                    }
                    None if c.topology_key == HOSTNAME => {
                        if !hostname_labelled(node) {
                            continue;
                        }
                        match per_node {
                            Some(v) => v.get(node.id.index()),
                            None => count_matching(node, &c.selector, &pod.meta.namespace),
                        }
                    }
                    None => {
                        let Some(value) = node.labels.get(&c.topology_key) else { continue };
                        domains.get(value).copied().unwrap_or(0)
                    }
                };
            // `scoreForCount`: float64 as Go computes it (no fused multiply-add).
            score += count as f64 * weight + f64::from(c.max_skew - 1);
        }
        // Go's math.Round rounds half away from zero, as f64::round does.
        Ok(round_to_i64(score))
    }

    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) -> Option<Status> {
        let ignored = |k: usize| self.score.ignored_at.get(k).copied().unwrap_or(false);
        let mut min = i64::MAX;
        let mut max = 0i64;
        for (k, &s) in scores.iter().enumerate() {
            if !ignored(k) {
                min = min.min(s);
                max = max.max(s);
            }
        }
        for (k, s) in scores.iter_mut().enumerate() {
            *s = if ignored(k) {
                0
            } else if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE * (max + min - *s) / max
            };
        }
        Some(Status::success())
    }
}

#[cfg(test)]
mod tests {
    //! Tables from `filtering_test.go` (`TestSingleConstraint`, `TestMultipleConstraints`) and
    //! `scoring_test.go` (`TestPodTopologySpreadScore`, `TestPreScoreSkip`), reproduced with
    //! upstream's inputs and expected codes and scores (each case says "upstream"); cases
    //! marked "hand-derived" follow the reference (§11) by hand. Upstream's `fooSelector` is
    //! `foo Exists`, `barSelector` `bar Exists`; its `taints` is one
    //! `node.kubernetes.io/unschedulable:NoSchedule`.

    use super::*;
    use crate::api::node_selector::NodeSelectorOperator;
    use crate::api::selector::{MatchExpression, MatchOperator};
    use crate::scheduler::framework::Code;
    use crate::scheduler::plugins::testutil::{
        NodeInfoExt, PodBuilder, node, required_affinity, requirement, taint, term,
    };

    fn exists(key: &str) -> Option<LabelSelector> {
        let e = MatchExpression { key: key.to_string(), operator: MatchOperator::Exists, values: vec![] };
        Some(LabelSelector::from_match(&Labels::new(), &[e]).unwrap())
    }

    fn match_labels(items: &[(&str, &str)]) -> Option<LabelSelector> {
        Some(LabelSelector::from_match(&labels(items), &[]).unwrap())
    }

    fn labels(items: &[(&str, &str)]) -> Labels {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// Upstream `SpreadConstraint(maxSkew, key, action, selector, minDomains, affinityPolicy,
    /// taintsPolicy, matchLabelKeys)`.
    fn constraint(
        max_skew: i32,
        key: &str,
        action: UnsatisfiableConstraintAction,
        selector: Option<LabelSelector>,
    ) -> TopologySpreadConstraint {
        TopologySpreadConstraint {
            max_skew,
            topology_key: key.to_string(),
            when_unsatisfiable: action,
            label_selector: selector,
            ..TopologySpreadConstraint::default()
        }
    }

    use UnsatisfiableConstraintAction::{DoNotSchedule as Hard, ScheduleAnyway as Soft};

    /// A pod in `default` with these labels and constraints.
    fn pod(items: &[(&str, &str)], constraints: Vec<TopologySpreadConstraint>) -> Pod {
        let mut p = PodBuilder::new().build();
        p.meta.labels = labels(items);
        std::sync::Arc::make_mut(&mut p.spec).topology_spread_constraints = constraints;
        p
    }

    /// An existing pod carrying `foo` (upstream's `st.MakePod().Label("foo", "")`).
    fn foo() -> Pod {
        pod(&[("foo", "")], vec![])
    }

    fn bar() -> Pod {
        pod(&[("bar", "")], vec![])
    }

    fn in_namespace(mut p: Pod, ns: &str) -> Pod {
        p.meta.namespace = ns.to_string();
        p
    }

    fn terminating(mut p: Pod) -> Pod {
        p.meta.deletion_timestamp = Some(crate::kernel::SimTime::ZERO);
        p
    }

    /// A node with these labels and pods.
    fn n(name: &str, items: &[(&str, &str)], pods: Vec<Pod>) -> NodeInfo {
        let mut info = node(name, &[("cpu", "100"), ("pods", "100")]).with_labels(items).with_pods(&pods);
        info.id = crate::store::NodeId(name.bytes().map(u32::from).sum());
        info
    }

    /// Upstream's four-node cluster, zone1 {node-a, node-b}, zone2 {node-x, node-y}, with a
    /// `node` label, and pods per node.
    fn zones_ab_xy(a: Vec<Pod>, b: Vec<Pod>, x: Vec<Pod>, y: Vec<Pod>) -> Vec<NodeInfo> {
        vec![
            n("node-a", &[("zone", "zone1"), ("node", "node-a")], a),
            n("node-b", &[("zone", "zone1"), ("node", "node-b")], b),
            n("node-x", &[("zone", "zone2"), ("node", "node-x")], x),
            n("node-y", &[("zone", "zone2"), ("node", "node-y")], y),
        ]
    }

    fn reps(p: fn() -> Pod, k: usize) -> Vec<Pod> {
        (0..k).map(|_| p()).collect()
    }

    /// PreFilter over all `nodes`, then Filter on each; the codes.
    fn filter_codes(plugin: &mut PodTopologySpread, pod: &Pod, nodes: &[NodeInfo]) -> Vec<Code> {
        let (_, status) = plugin.pre_filter(&CycleContext::with_nodes(nodes), pod);
        assert!(status.is_success(), "PreFilter: {status}");
        nodes.iter().map(|node| plugin.filter(pod, node).code).collect()
    }

    fn list() -> PodTopologySpread {
        PodTopologySpread::new(PodTopologySpreadArgs {
            defaulting_type: SpreadDefaultingType::List,
            ..PodTopologySpreadArgs::default()
        })
    }

    use Code::{Success as S, Unschedulable as U, UnschedulableAndUnresolvable as UU};

    /// `AddPod` / `RemovePod` keep the PreFilter counts true: with zone1 {node-a, node-b} at 1
    /// matching pod and zone2 empty, zone1 is at the skew limit; a pod added to node-x lifts
    /// zone2's count and frees zone1; removing it restores the limit. Hand-derived from §11.
    #[test]
    fn pre_filter_extensions_follow_added_and_removed_pods() {
        let mut plugin = list();
        let incoming = pod(&[("foo", "")], vec![constraint(1, "zone", Hard, exists("foo"))]);
        let nodes = zones_ab_xy(vec![foo()], vec![], vec![], vec![]);
        assert_eq!(filter_codes(&mut plugin, &incoming, &nodes), vec![U, U, S, S]);
        let added = crate::scheduler::framework::PodView::of(crate::store::PodId(99), &foo());
        let mut x = nodes[2].clone();
        x.add_view(std::sync::Arc::new(added.clone()));
        assert!(plugin.add_pod(&incoming, &added, &x).is_success());
        assert_eq!(nodes.iter().map(|n| plugin.filter(&incoming, n).code).collect::<Vec<_>>(), vec![S, S, S, S]);
        // A pod of another namespace, or one not matching the selector, changes nothing.
        let other = crate::scheduler::framework::PodView::of(crate::store::PodId(98), &in_namespace(foo(), "ns2"));
        assert!(plugin.add_pod(&incoming, &other, &x).is_success());
        let unrelated = crate::scheduler::framework::PodView::of(crate::store::PodId(97), &bar());
        assert!(plugin.add_pod(&incoming, &unrelated, &x).is_success());
        assert!(plugin.remove_pod(&incoming, &added, &nodes[2]).is_success());
        assert_eq!(nodes.iter().map(|n| plugin.filter(&incoming, n).code).collect::<Vec<_>>(), vec![U, U, S, S]);
    }

    #[test]
    fn upstream_single_constraint_table() {
        // TestSingleConstraint (filtering_test.go), upstream.
        let zone1 = |sel| vec![constraint(1, "zone", Hard, sel)];
        let node1 = |skew, sel| vec![constraint(skew, "node", Hard, sel)];
        let cases: Vec<(&str, Pod, Vec<NodeInfo>, Vec<Code>)> = vec![
            (
                "no existing pods",
                pod(&[("foo", "")], zone1(exists("foo"))),
                zones_ab_xy(vec![], vec![], vec![], vec![]),
                vec![S, S, S, S],
            ),
            (
                "no existing pods, incoming pod doesn't match itself",
                pod(&[("foo", "")], zone1(exists("bar"))),
                zones_ab_xy(vec![], vec![], vec![], vec![]),
                vec![S, S, S, S],
            ),
            (
                "existing pods in a different namespace do not count",
                pod(&[("foo", "")], zone1(exists("foo"))),
                zones_ab_xy(
                    vec![in_namespace(foo(), "ns1"), in_namespace(foo(), "ns2")],
                    vec![],
                    vec![foo()],
                    vec![foo()],
                ),
                vec![S, S, U, U],
            ),
            (
                "existing pods do not match null selector",
                pod(&[("foo", "")], zone1(None)),
                zones_ab_xy(vec![], vec![], vec![foo()], vec![foo()]),
                vec![S, S, S, S],
            ),
            (
                "pods spread across zones as 3/3, all nodes fit",
                pod(&[("foo", "")], zone1(exists("foo"))),
                zones_ab_xy(reps(foo, 2), reps(foo, 1), vec![], reps(foo, 3)),
                vec![S, S, S, S],
            ),
            (
                "pods spread across zones as 1/2 due to absence of label 'zone' on node-b",
                pod(&[("foo", "")], zone1(exists("foo"))),
                vec![
                    n("node-a", &[("zone", "zone1"), ("node", "node-a")], vec![foo()]),
                    n("node-b", &[("zon", "zone1"), ("node", "node-b")], vec![foo()]),
                    n("node-x", &[("zone", "zone2"), ("node", "node-x")], vec![foo()]),
                    n("node-y", &[("zone", "zone2"), ("node", "node-y")], vec![foo()]),
                ],
                vec![S, UU, U, U],
            ),
            (
                "pod cannot be scheduled as all nodes don't have label 'rack'",
                pod(&[("foo", "")], vec![constraint(1, "rack", Hard, exists("foo"))]),
                vec![
                    n("node-a", &[("zone", "zone1"), ("node", "node-a")], vec![]),
                    n("node-x", &[("zone", "zone2"), ("node", "node-x")], vec![]),
                ],
                vec![UU, UU],
            ),
            (
                "pods spread across nodes as 2/1/0/3, only node-x fits",
                pod(&[("foo", "")], node1(1, exists("foo"))),
                zones_ab_xy(reps(foo, 2), reps(foo, 1), vec![], reps(foo, 3)),
                vec![U, U, S, U],
            ),
            (
                // The skew exactly at the limit passes: node-b gives 1 + 1 − 0 = 2 = maxSkew.
                "pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit",
                pod(&[("foo", "")], node1(2, exists("foo"))),
                zones_ab_xy(reps(foo, 2), reps(foo, 1), vec![], reps(foo, 3)),
                vec![U, S, S, U],
            ),
            (
                "pods spread across nodes as 2/1/0/3, but pod doesn't match itself",
                pod(&[("bar", "")], node1(1, exists("foo"))),
                zones_ab_xy(reps(foo, 2), reps(foo, 1), vec![], reps(foo, 3)),
                vec![U, S, S, U],
            ),
            (
                "terminating Pods should be excluded",
                pod(&[("foo", "")], node1(1, exists("foo"))),
                vec![
                    n("node-a", &[("node", "node-a")], vec![terminating(foo())]),
                    n("node-b", &[("node", "node-b")], vec![foo()]),
                ],
                vec![S, U],
            ),
        ];
        for (name, pod, nodes, want) in cases {
            assert_eq!(filter_codes(&mut list(), &pod, &nodes), want, "{name}");
        }
    }

    #[test]
    fn upstream_node_affinity_in_counting() {
        // TestSingleConstraint "incoming pod has nodeAffinity ...", upstream: only the nodes the
        // pod's required affinity admits are counted (Filter itself does not reject the others).
        let mut p = pod(&[("foo", "")], vec![constraint(1, "node", Hard, exists("foo"))]);
        let spec = std::sync::Arc::make_mut(&mut p.spec);
        spec.affinity.node_affinity = Some(required_affinity(vec![term(
            vec![requirement("node", NodeSelectorOperator::In, &["node-a", "node-y"])],
            vec![],
        )]));
        let nodes = zones_ab_xy(reps(foo, 2), reps(foo, 1), vec![], reps(foo, 3));
        assert_eq!(filter_codes(&mut list(), &p, &nodes), [S, S, S, U], "2/~1~/~0~/3");

        let mut p = pod(&[("foo", "")], vec![constraint(1, "zone", Hard, exists("foo"))]);
        std::sync::Arc::make_mut(&mut p.spec).affinity.node_affinity = Some(required_affinity(vec![term(
            vec![requirement("node", NodeSelectorOperator::NotIn, &["node-b"])],
            vec![],
        )]));
        let nodes = zones_ab_xy(vec![], reps(foo, 2), vec![], reps(foo, 1));
        assert_eq!(filter_codes(&mut list(), &p, &nodes), [S, S, U, U], "0/~2~/0/1");
    }

    #[test]
    fn upstream_min_domains() {
        // TestSingleConstraint minDomains cases, upstream.
        let with_min = |key: &str, min: i32| {
            let mut c = constraint(2, key, Hard, exists("foo"));
            c.min_domains = Some(min);
            pod(&[("foo", "")], vec![c])
        };
        let abc = || {
            vec![
                n("node-a", &[("node", "node-a")], reps(foo, 2)),
                n("node-b", &[("node", "node-b")], reps(foo, 2)),
                n("node-c", &[("node", "node-c")], reps(foo, 1)),
            ]
        };
        // 3 domains < minDomains 4: the global minimum is 0, so 2 + 1 − 0 > 2 on a and b.
        assert_eq!(filter_codes(&mut list(), &with_min("node", 4), &abc()), [U, U, S]);
        // 3 domains ≥ 2: the minimum is 1, every node fits (a: 2 + 1 − 1 = 2, at the limit).
        assert_eq!(filter_codes(&mut list(), &with_min("node", 2), &abc()), [S, S, S]);
        let zones = || zones_ab_xy(vec![foo()], vec![foo()], vec![], vec![foo()]);
        assert_eq!(filter_codes(&mut list(), &with_min("zone", 3), &zones()), [U, U, S, S]);
        assert_eq!(filter_codes(&mut list(), &with_min("zone", 1), &zones()), [S, S, S, S]);
    }

    #[test]
    fn upstream_node_inclusion_policies_filter() {
        // TestSingleConstraint NodeAffinityPolicy / NodeTaintsPolicy cases, upstream.
        let nodes = |y_taints: bool| {
            let y = n("node-y", &[("node", "node-y")], vec![foo()]);
            let y = if y_taints {
                y.with_taints(vec![taint("node.kubernetes.io/unschedulable", "", TaintEffect::NoSchedule)])
            } else {
                y
            };
            vec![
                n("node-a", &[("node", "node-a"), ("foo", "")], vec![foo()]),
                n("node-b", &[("node", "node-b"), ("foo", "")], vec![foo()]),
                n("node-x", &[("node", "node-x"), ("foo", "")], vec![]),
                y,
            ]
        };
        let with = |affinity: Option<NodeInclusionPolicy>, taints: Option<NodeInclusionPolicy>, node_selector: bool| {
            let mut c = constraint(1, "node", Hard, exists("foo"));
            c.node_affinity_policy = affinity;
            c.node_taints_policy = taints;
            let mut p = pod(&[("foo", "")], vec![c]);
            if node_selector {
                std::sync::Arc::make_mut(&mut p.spec).node_selector = labels(&[("foo", "")]);
            }
            p
        };
        use NodeInclusionPolicy::{Honor, Ignore};
        // Honor (default): node-y does not match the nodeSelector, so its pod is not counted:
        // 1/1/0/~0~ and node-y itself passes this filter.
        assert_eq!(filter_codes(&mut list(), &with(None, None, true), &nodes(false)), [U, U, S, S]);
        assert_eq!(filter_codes(&mut list(), &with(Some(Ignore), None, true), &nodes(false)), [U, U, S, U]);
        // The same with a required node affinity `foo In ("")`.
        let mut by_affinity = with(None, None, false);
        std::sync::Arc::make_mut(&mut by_affinity.spec).affinity.node_affinity =
            Some(required_affinity(vec![term(vec![requirement("foo", NodeSelectorOperator::In, &[""])], vec![])]));
        assert_eq!(filter_codes(&mut list(), &by_affinity, &nodes(false)), [U, U, S, S]);
        // Taints: Honor excludes the tainted node-y, Ignore (default) counts it.
        assert_eq!(filter_codes(&mut list(), &with(None, Some(Honor), false), &nodes(true)), [U, U, S, S]);
        assert_eq!(filter_codes(&mut list(), &with(None, None, false), &nodes(true)), [U, U, S, U]);
    }

    #[test]
    fn upstream_multiple_constraints() {
        // TestMultipleConstraints, first two cases, upstream.
        let p = pod(
            &[("foo", "")],
            vec![constraint(1, "zone", Hard, exists("foo")), constraint(1, "node", Hard, exists("foo"))],
        );
        let nodes = zones_ab_xy(reps(foo, 2), reps(foo, 1), vec![], reps(foo, 3));
        assert_eq!(filter_codes(&mut list(), &p, &nodes), [U, U, S, U], "[3/3, 2/1/0/3]");
        let nodes = zones_ab_xy(reps(foo, 2), reps(foo, 1), vec![], reps(foo, 4));
        assert_eq!(filter_codes(&mut list(), &p, &nodes), [U, U, U, U], "[3/4, 2/1/0/4]");
    }

    #[test]
    fn filter_reasons() {
        // Hand-derived: kube-scheduler's reasons.
        let p = pod(&[("foo", "")], vec![constraint(1, "node", Hard, exists("foo"))]);
        let nodes = vec![n("a", &[("node", "a")], reps(foo, 2)), n("b", &[("node", "b")], vec![]), n("c", &[], vec![])];
        let mut plugin = list();
        plugin.pre_filter(&CycleContext::with_nodes(&nodes), &p);
        assert_eq!(plugin.filter(&p, &nodes[0]).message(), ERR_REASON_CONSTRAINTS_NOT_MATCH);
        assert_eq!(plugin.filter(&p, &nodes[2]).message(), ERR_REASON_NODE_LABEL_NOT_MATCH);
        // No hard constraint: Skip.
        let soft = pod(&[("foo", "")], vec![constraint(1, "node", Soft, exists("foo"))]);
        assert!(list().pre_filter(&CycleContext::with_nodes(&nodes), &soft).1.is_skip());
    }

    #[test]
    fn empty_selector_counts_nothing_in_v1_34() {
        // Hand-derived from the v1.34 source: `labelSelector: {}` counts no pod, but the incoming
        // pod matches it, so every node sees skew 0 + 1 − 0 and a maxSkew of 1 always holds.
        let p = pod(&[("foo", "")], vec![constraint(1, "node", Hard, match_labels(&[]))]);
        let nodes = vec![n("a", &[("node", "a")], reps(foo, 5)), n("b", &[("node", "b")], vec![])];
        assert_eq!(filter_codes(&mut list(), &p, &nodes), [S, S]);
    }

    #[test]
    fn match_label_keys_narrow_the_selector() {
        // Hand-derived: matchLabelKeys [pod-template-hash] only counts the pods of the same
        // revision: the old revision's 3 pods on node a do not count.
        let mut c = constraint(1, "node", Hard, exists("app"));
        c.match_label_keys = vec!["pod-template-hash".into()];
        let p = pod(&[("app", "web"), ("pod-template-hash", "new")], vec![c.clone()]);
        let old = || pod(&[("app", "web"), ("pod-template-hash", "old")], vec![]);
        let new = || pod(&[("app", "web"), ("pod-template-hash", "new")], vec![]);
        let nodes = vec![n("a", &[("node", "a")], reps(old, 3)), n("b", &[("node", "b")], vec![new()])];
        assert_eq!(filter_codes(&mut list(), &p, &nodes), [S, U]);
        // Without matchLabelKeys all four count: a has 3.
        c.match_label_keys.clear();
        let p = pod(&[("app", "web"), ("pod-template-hash", "new")], vec![c]);
        assert_eq!(filter_codes(&mut list(), &p, &nodes), [U, S]);
    }

    /// PreScore on `feasible` (all of `all` when None), Score each feasible node, NormalizeScore.
    fn run_scores(
        plugin: &mut PodTopologySpread,
        cx: &CycleContext<'_>,
        pod: &Pod,
        feasible: &[&NodeInfo],
    ) -> Vec<i64> {
        let status = plugin.pre_score(cx, pod, feasible);
        assert!(status.is_success(), "PreScore: {status}");
        let mut scores: Vec<i64> = feasible.iter().map(|n| plugin.score(pod, n).unwrap()).collect();
        plugin.normalize(pod, &mut scores);
        scores
    }

    /// Scores with the first `candidates` nodes of `nodes` feasible, the system-defaulted plugin
    /// (as upstream's score test builds it).
    fn scores_of(pod: &Pod, nodes: &[NodeInfo], candidates: usize) -> Vec<i64> {
        let feasible: Vec<&NodeInfo> = nodes[..candidates].iter().collect();
        run_scores(&mut PodTopologySpread::default(), &CycleContext::with_nodes(nodes), pod, &feasible)
    }

    fn hostnames(pods: Vec<Vec<Pod>>) -> Vec<NodeInfo> {
        pods.into_iter()
            .zip(["node-a", "node-b", "node-c", "node-d"])
            .map(|(pods, name)| n(name, &[(HOSTNAME, name)], pods))
            .collect()
    }

    #[test]
    fn interned_zones_and_hostnames_score_as_the_labels_do() {
        // node-c has no zone label, node-d no hostname label; the ids are not in name order.
        let spec = [
            ("node-a", Some("zone-1"), true, 3),
            ("node-b", Some("zone-2"), true, 1),
            ("node-c", None, true, 2),
            ("node-d", Some("zone-1"), false, 0),
            ("node-e", Some("zone-2"), true, 4),
        ];
        let zones = vec!["zone-2".to_string(), "zone-1".to_string()];
        let plain: Vec<NodeInfo> = spec
            .iter()
            .map(|&(name, zone, hostname, pods)| {
                let mut items: Vec<(&str, &str)> = zone.map(|z| (ZONE, z)).into_iter().collect();
                if hostname {
                    items.push((HOSTNAME, name));
                }
                n(name, &items, reps(foo, pods))
            })
            .collect();
        let interned: Vec<NodeInfo> = plain
            .iter()
            .zip(&spec)
            .map(|(info, &(_, zone, hostname, _))| {
                let mut info = info.clone();
                info.zone = match zone {
                    Some(z) => Zone::Id(zones.iter().position(|name| name == z).unwrap() as u32),
                    None => Zone::Unlabelled,
                };
                info.hostname_labelled = Some(hostname);
                info
            })
            .collect();
        let own = pod(
            &[("foo", "")],
            vec![constraint(1, ZONE, Soft, exists("foo")), constraint(2, HOSTNAME, Soft, exists("foo"))],
        );
        let owners = [exists("foo").unwrap()];
        for (what, p, owner_selectors) in [("own constraints", &own, &[][..]), ("system defaults", &foo(), &owners[..])]
        {
            let score = |nodes: &[NodeInfo], zones: &[String]| {
                let cx = CycleContext { zones, owner_selectors, ..CycleContext::with_nodes(nodes) };
                let feasible: Vec<&NodeInfo> = nodes.iter().collect();
                run_scores(&mut PodTopologySpread::default(), &cx, p, &feasible)
            };
            let by_label = score(&plain, &[]);
            assert!(by_label.iter().any(|&s| s != by_label[0]), "{what}: the nodes differ: {by_label:?}");
            assert_eq!(score(&interned, &zones), by_label, "{what}");
            // Interned views in a cycle that has no zone names read the labels; so do views
            // built outside the cache among interned ones.
            assert_eq!(score(&interned, &[]), by_label, "{what}, no zone names");
            let mixed: Vec<NodeInfo> = plain
                .iter()
                .zip(&interned)
                .enumerate()
                .map(|(i, (p, n))| if i % 2 == 0 { p } else { n }.clone())
                .collect();
            assert_eq!(score(&mixed, &zones), by_label, "{what}, mixed views");
        }
    }

    #[test]
    fn upstream_score_table() {
        // TestPodTopologySpreadScore (scoring_test.go), upstream.
        let host = |skew| pod(&[("foo", "")], vec![constraint(skew, HOSTNAME, Soft, exists("foo"))]);
        assert_eq!(scores_of(&host(1), &hostnames(vec![vec![], vec![]]), 2), [100, 100], "no existing pods");
        assert_eq!(scores_of(&host(1), &hostnames(vec![reps(foo, 2), reps(foo, 1)]), 1), [100], "only one candidate");
        assert_eq!(scores_of(&host(1), &hostnames(vec![reps(foo, 1), reps(foo, 1)]), 2), [100, 100], "same counts");
        let spread_2103 = || hostnames(vec![reps(foo, 2), reps(foo, 1), vec![], reps(foo, 3)]);
        assert_eq!(scores_of(&host(1), &spread_2103(), 4), [20, 60, 100, 0], "2/1/0/3");
        let null = pod(&[("foo", "")], vec![constraint(1, HOSTNAME, Soft, None)]);
        assert_eq!(scores_of(&null, &spread_2103(), 4), [100, 100, 100, 100], "null selector");
        assert_eq!(scores_of(&host(2), &spread_2103(), 4), [33, 66, 100, 16], "2/1/0/3, maxSkew=2");
        let spread_4321 = || hostnames(vec![reps(foo, 4), reps(foo, 3), reps(foo, 2), reps(foo, 1)]);
        assert_eq!(scores_of(&host(3), &spread_4321(), 4), [44, 66, 77, 100], "4/3/2/1, maxSkew=3");

        // 4/2/1/~3~: node-y is not a candidate.
        let axy = |b_label: (&str, &str)| {
            vec![
                n("node-a", &[(HOSTNAME, "node-a")], reps(foo, 4)),
                n("node-b", &[b_label], reps(foo, 2)),
                n("node-x", &[(HOSTNAME, "node-x")], reps(foo, 1)),
                n("node-y", &[(HOSTNAME, "node-y")], reps(foo, 3)),
            ]
        };
        assert_eq!(scores_of(&host(1), &axy((HOSTNAME, "node-b")), 3), [33, 83, 100], "3 of 4 candidates");
        // node-b lacks the key: ignored, scored 0.
        assert_eq!(scores_of(&host(1), &axy(("n", "node-b")), 3), [16, 0, 100], "node-b lacks hostname");

        let zone_nodes = |pods: [usize; 4], labels_b: bool| {
            let names = ["node-a", "node-b", "node-x", "node-y"];
            let zones = ["zone1", "zone1", "zone2", "zone2"];
            (0..4)
                .map(|i| {
                    let mut items = vec![(HOSTNAME, names[i])];
                    if labels_b || i != 1 {
                        items.push(("zone", zones[i]));
                    }
                    n(names[i], &items, reps(foo, pods[i]))
                })
                .collect::<Vec<_>>()
        };
        let zone = pod(&[("foo", "")], vec![constraint(1, "zone", Soft, exists("foo"))]);
        assert_eq!(scores_of(&zone, &zone_nodes([4, 2, 1, 3], true), 3), [75, 75, 100], "zone, 3 of 4");

        // 2/~1~/2/~4~ over zone and hostname, node-a and node-x candidates.
        let both = pod(
            &[("foo", "")],
            vec![constraint(1, "zone", Soft, exists("foo")), constraint(1, HOSTNAME, Soft, exists("foo"))],
        );
        let nodes = zone_nodes([2, 1, 2, 4], true);
        let feasible = vec![&nodes[0], &nodes[2]];
        let got = run_scores(&mut PodTopologySpread::default(), &CycleContext::with_nodes(&nodes), &both, &feasible);
        assert_eq!(got, [100, 63], "two constraints, 2 of 4 candidates");
    }

    #[test]
    fn upstream_score_two_selectors() {
        // "two Constraints on zone and node, with different labelSelectors", upstream.
        let p = pod(
            &[("foo", ""), ("bar", "")],
            vec![constraint(1, "zone", Soft, exists("foo")), constraint(1, HOSTNAME, Soft, exists("bar"))],
        );
        let foobar = || pod(&[("foo", ""), ("bar", "")], vec![]);
        let nodes = vec![
            n("node-a", &[("zone", "zone1"), (HOSTNAME, "node-a")], vec![foo()]),
            n("node-b", &[("zone", "zone1"), (HOSTNAME, "node-b")], vec![foobar()]),
            n("node-x", &[("zone", "zone2"), (HOSTNAME, "node-x")], vec![]),
            n("node-y", &[("zone", "zone2"), (HOSTNAME, "node-y")], vec![foo(), bar()]),
        ];
        assert_eq!(scores_of(&p, &nodes, 4), [60, 20, 100, 60]);
        assert_eq!(scores_of(&p, &nodes, 3), [50, 25, 100], "3 of 4 candidates");
        let nodes = vec![
            n("node-a", &[("zone", "zone1"), (HOSTNAME, "node-a")], vec![]),
            n("node-b", &[("zone", "zone1"), (HOSTNAME, "node-b")], vec![bar()]),
            n("node-x", &[("zone", "zone2"), (HOSTNAME, "node-x")], vec![foo()]),
            n("node-y", &[("zone", "zone2"), (HOSTNAME, "node-y")], vec![foobar()]),
        ];
        assert_eq!(scores_of(&p, &nodes, 4), [100, 60, 40, 0], "some nodes have 0 pods");
    }

    #[test]
    fn upstream_score_namespaces_terminating_min_domains() {
        let host = pod(&[("foo", "")], vec![constraint(1, HOSTNAME, Soft, exists("foo"))]);
        let nodes = hostnames(vec![vec![in_namespace(foo(), "ns1"), foo()], reps(foo, 2)]);
        assert_eq!(scores_of(&host, &nodes, 2), [100, 33], "other namespaces do not count");
        let nodes = hostnames(vec![vec![terminating(foo())], vec![foo()]]);
        assert_eq!(scores_of(&host, &nodes, 2), [100, 0], "terminating pods are excluded");
        // minDomains has no effect on scoring (upstream builds this constraint directly).
        let mut c = constraint(2, "node", Soft, exists("foo"));
        c.min_domains = Some(10);
        let p = pod(&[("foo", "")], vec![c]);
        let nodes = vec![
            n("node-a", &[("node", "node-a")], reps(foo, 2)),
            n("node-b", &[("node", "node-b")], reps(foo, 2)),
            n("node-c", &[("node", "node-c")], reps(foo, 1)),
        ];
        assert_eq!(scores_of(&p, &nodes, 3), [75, 75, 100], "minDomains ignored when ScheduleAnyway");
    }

    #[test]
    fn upstream_score_node_inclusion_policies() {
        // NodeAffinityPolicy / NodeTaintsPolicy score cases, upstream.
        use NodeInclusionPolicy::{Honor, Ignore};
        let nodes = |c_taint: bool| {
            let c = n("node-c", &[("node", "node-c")], vec![foo()]);
            let c = if c_taint {
                c.with_taints(vec![taint("node.kubernetes.io/unschedulable", "", TaintEffect::NoSchedule)])
            } else {
                c
            };
            vec![
                n("node-a", &[("node", "node-a"), ("foo", "")], reps(foo, 2)),
                n("node-b", &[("node", "node-b"), ("foo", "")], reps(foo, 1)),
                c,
            ]
        };
        let with = |affinity, taints, node_selector: bool| {
            let mut c = constraint(1, "node", Soft, exists("foo"));
            c.node_affinity_policy = affinity;
            c.node_taints_policy = taints;
            let mut p = pod(&[("foo", "")], vec![c]);
            if node_selector {
                std::sync::Arc::make_mut(&mut p.spec).node_selector = labels(&[("foo", "")]);
            }
            p
        };
        assert_eq!(scores_of(&with(None, None, true), &nodes(false), 3), [0, 33, 100], "affinity honored");
        assert_eq!(scores_of(&with(Some(Ignore), None, true), &nodes(false), 3), [66, 100, 100], "affinity ignored");
        assert_eq!(scores_of(&with(None, Some(Honor), false), &nodes(true), 3), [0, 33, 100], "taints honored");
        assert_eq!(scores_of(&with(None, None, false), &nodes(true), 3), [66, 100, 100], "taints ignored");
    }

    #[test]
    fn upstream_score_match_label_keys() {
        // "matchLabelKeys ANDed with LabelSelector ...", upstream.
        let nodes = |pods: Vec<Vec<Pod>>| {
            let zones = ["zone1", "zone1", "zone2", "zone2"];
            pods.into_iter()
                .zip(["node-a", "node-b", "node-c", "node-d"])
                .zip(zones)
                .map(|((pods, name), zone)| n(name, &[("zone", zone), (HOSTNAME, name)], pods))
                .collect::<Vec<_>>()
        };
        let foobar = || pod(&[("foo", ""), ("bar", "")], vec![]);
        let with_keys = |sel: Option<LabelSelector>, key: &str, keys: &[&str]| {
            let mut c = constraint(1, key, Soft, sel);
            c.match_label_keys = keys.iter().map(|k| k.to_string()).collect();
            c
        };
        // Empty selectors plus matchLabelKeys foo / bar act as foo / bar selectors.
        let p = pod(
            &[("foo", ""), ("bar", "")],
            vec![with_keys(match_labels(&[]), "zone", &["foo"]), with_keys(match_labels(&[]), HOSTNAME, &["bar"])],
        );
        let got = scores_of(&p, &nodes(vec![vec![foo()], vec![foobar()], vec![foo(), bar()], vec![]]), 4);
        assert_eq!(got, [60, 20, 60, 100], "empty selector");
        let p = pod(
            &[("foo", ""), ("bar", ""), ("baz", "")],
            vec![with_keys(exists("foo"), "zone", &[]), with_keys(exists("bar"), HOSTNAME, &["baz"])],
        );
        let foobarbaz = || pod(&[("foo", ""), ("bar", ""), ("baz", "")], vec![]);
        let barbaz = || pod(&[("bar", ""), ("baz", "")], vec![]);
        let got = scores_of(&p, &nodes(vec![vec![foo()], vec![foobarbaz()], vec![foo(), bar(), barbaz()], vec![]]), 4);
        assert_eq!(got, [60, 20, 60, 100], "non-empty selector");
    }

    fn service_selector(items: &[(&str, &str)]) -> LabelSelector {
        LabelSelector::from_set(&labels(items))
    }

    #[test]
    fn system_defaults_with_a_service_owner() {
        // "system defaulting, nodes don't have zone, pods match service", upstream: the same
        // scores as the single hostname constraint with maxSkew 3.
        let p = pod(&[("foo", "")], vec![]);
        let nodes = hostnames(vec![reps(foo, 4), reps(foo, 3), reps(foo, 2), reps(foo, 1)]);
        let owners = [service_selector(&[("foo", "")])];
        let cx =
            CycleContext { nodes: &nodes, owner_selectors: &owners, namespace_labels: &[], ..CycleContext::default() };
        let feasible: Vec<&NodeInfo> = nodes.iter().collect();
        assert_eq!(run_scores(&mut PodTopologySpread::default(), &cx, &p, &feasible), [44, 66, 77, 100]);
    }

    #[test]
    fn system_defaults_with_a_replica_set_owner_and_zones() {
        // Hand-derived from §11 with upstream's "system default constraints and a replicaset"
        // nodes: node-a, node-b in zone mars, node-c, node-d without a zone (their own "" zone,
        // not ignored). Weights: hostname ln(4 + 2), zone ln(2 + 2).
        let rs = || pod(&[("foo", "tar"), ("baz", "sup")], vec![]);
        let p = rs();
        let nodes = vec![
            n("node-a", &[(HOSTNAME, "node-a"), (crate::api::node::labels::ZONE, "mars")], vec![rs(), rs()]),
            n("node-b", &[(HOSTNAME, "node-b"), (crate::api::node::labels::ZONE, "mars")], vec![]),
            n("node-c", &[(HOSTNAME, "node-c")], vec![rs()]),
            n("node-d", &[(HOSTNAME, "node-d")], vec![]),
        ];
        // ReplicaSet selector foo Exists.
        let owners = [exists("foo").unwrap()];
        let cx =
            CycleContext { nodes: &nodes, owner_selectors: &owners, namespace_labels: &[], ..CycleContext::default() };
        let feasible: Vec<&NodeInfo> = nodes.iter().collect();
        // Raw: hostname count·ln6 + 2, plus zone (mars 2 pods) count·ln4 + 4 for a and b only:
        // a = 2·1.792 + 2 + 2·1.386 + 4 = 12.36 → 12; b = 2 + 2.773 + 4 = 8.77 → 9;
        // c = 1.792 + 2 = 3.79 → 4 (no zone label, so no zone term); d = 2.
        // Normalized with max 12, min 2: 100·(14 − s)/12 → 16, 41, 83, 100.
        assert_eq!(run_scores(&mut PodTopologySpread::default(), &cx, &p, &feasible), [16, 41, 83, 100]);
    }

    #[test]
    fn no_owner_means_no_default_constraints() {
        // TestPreScoreSkip and hand-derived: without a selecting Service or ReplicaSet (or with
        // one that does not select the pod — the scheduler never lists it), PreScore skips.
        let p = pod(&[("foo", "bar")], vec![]);
        let nodes = hostnames(vec![vec![], vec![]]);
        let feasible: Vec<&NodeInfo> = nodes.iter().collect();
        let mut plugin = PodTopologySpread::default();
        assert!(plugin.pre_score(&CycleContext::with_nodes(&nodes), &p, &feasible).is_skip());
        assert!(plugin.pre_filter(&CycleContext::with_nodes(&nodes), &p).1.is_skip());
        // List defaulting with no constraints: also skipped, even with an owner.
        let owners = [service_selector(&[("foo", "bar")])];
        let cx =
            CycleContext { nodes: &nodes, owner_selectors: &owners, namespace_labels: &[], ..CycleContext::default() };
        assert!(list().pre_score(&cx, &p, &feasible).is_skip());
        // An owner with an empty selector gives an empty DefaultSelector: skipped.
        let empty = [LabelSelector::everything()];
        let cx =
            CycleContext { nodes: &nodes, owner_selectors: &empty, namespace_labels: &[], ..CycleContext::default() };
        assert!(PodTopologySpread::default().pre_score(&cx, &p, &feasible).is_skip());
    }

    #[test]
    fn list_default_constraints_can_filter() {
        // Hand-derived: List defaulting with a DoNotSchedule default constraint filters pods
        // without constraints of their own (upstream "default constraints and a replicaset").
        let mut plugin = PodTopologySpread::new(PodTopologySpreadArgs {
            default_constraints: vec![constraint(1, "node", Hard, None)],
            defaulting_type: SpreadDefaultingType::List,
        });
        let p = pod(&[("app", "web")], vec![]);
        let web = || pod(&[("app", "web")], vec![]);
        let nodes = vec![n("a", &[("node", "a")], reps(web, 2)), n("b", &[("node", "b")], vec![])];
        let owners = [service_selector(&[("app", "web")])];
        let cx =
            CycleContext { nodes: &nodes, owner_selectors: &owners, namespace_labels: &[], ..CycleContext::default() };
        let (_, status) = plugin.pre_filter(&cx, &p);
        assert!(status.is_success());
        assert_eq!(plugin.filter(&p, &nodes[0]).code, U);
        assert_eq!(plugin.filter(&p, &nodes[1]).code, S);
    }

    #[test]
    fn default_selector_ands_owners() {
        let s = default_selector(&[service_selector(&[("app", "web")]), exists("pod-template-hash").unwrap()]);
        assert!(s.matches(&labels(&[("app", "web"), ("pod-template-hash", "1")])));
        assert!(!s.matches(&labels(&[("app", "web")])));
        assert!(default_selector(&[]).is_empty());
        assert!(default_selector(&[LabelSelector::nothing()]).is_empty());
    }
}
