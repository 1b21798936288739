//! InterPodAffinity (`interpodaffinity/{filtering.go,scoring.go,plugin.go}`, v1.34): pods that
//! must, or prefer to, run in (or away from) the topology domain of other pods.
//!
//! A term selects pods by `labelSelector` (absent: none) in `namespaces` ∪ the namespaces
//! whose labels match `namespaceSelector` (`{}`: all; absent: none); with neither, the pod's
//! own namespace (`AffinityTerm.Matches`). kube-apiserver ANDs `matchLabelKeys` (as
//! `key in (value)`) and `mismatchLabelKeys` (as `key notin (value)`) into the selector with the
//! owning pod's label values; we do it when the terms are read
//! ([`PodAffinityTerm::selector_for`]). A namespace's labels come from
//! `CycleContext::namespace_labels` plus `kubernetes.io/metadata.name`, which the API server
//! puts on every namespace. kube-scheduler unrolls the incoming pod's `namespaceSelector` into
//! namespace names at PreFilter; matching an existing pod's namespace labels against the
//! selector directly is the same test, since every pod's namespace exists.
//!
//! *Filter*, three checks in this order (`Filter`), each against counts built at PreFilter from
//! every pod of the snapshot (terminating pods included, as kube-scheduler's `NodeInfo.Pods`):
//! 1. required affinity: every term's topology key on the node, and in the node's domain a pod
//!    matching *all* the terms — unless no pod anywhere matches them all and the incoming pod
//!    matches its own terms (the first pod of a group) → UnschedulableAndUnresolvable;
//! 2. required anti-affinity: no pod matching a term in the node's domain → Unschedulable;
//! 3. symmetry: no existing pod whose required anti-affinity term matches the incoming pod in
//!    the node's domain of that term → Unschedulable.
//!
//! *Score*: per topology domain, + weight for each incoming preferred affinity term an existing
//! pod there matches, − weight for anti-affinity; + `hardPodAffinityWeight` for each required
//! affinity term of an existing pod the incoming pod matches, ± weight for its preferred terms.
//! A node sums its domains. NormalizeScore is min–max: `int64(100·(s − min)/(max − min))` in
//! float64, with min and max over the scored nodes starting from MaxInt64 / MinInt64 (since
//! kubernetes#98096, v1.21, and #111062, v1.25; earlier releases started both at 0, which
//! lifted all-positive minima to 0 and all-negative maxima to 0).

use std::collections::BTreeMap;

use crate::api::meta::Labels;
use crate::api::pod::{Pod, PodAffinityTerm};
use crate::api::selector::LabelSelector;
use crate::scheduler::config::InterPodAffinityArgs;
use crate::scheduler::framework::{
    CycleContext, Filter, MAX_NODE_SCORE, NodeInfo, Plugin, PodView, PreFilter, PreFilterExtensions, PreFilterResult,
    PreScore, Score, Status,
};

pub const NAME: &str = "InterPodAffinity";

const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
const ERR_REASON_AFFINITY_RULES_NOT_MATCH: &str = "node(s) didn't match pod affinity rules";
const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH: &str = "node(s) didn't match pod anti-affinity rules";

/// The label every namespace carries (`kubernetes.io/metadata.name`, set by kube-apiserver).
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A term read for its owning pod (`framework.AffinityTerm`).
#[derive(Clone, Debug)]
struct Term {
    namespaces: Vec<String>,
    namespace_selector: LabelSelector,
    selector: LabelSelector,
    topology_key: String,
}

impl Term {
    /// `newAffinityTerm` for a pod in `namespace` with `labels`.
    fn new(term: &PodAffinityTerm, namespace: &str, labels: &Labels) -> Term {
        let namespaces = if term.namespaces.is_empty() && term.namespace_selector.is_none() {
            vec![namespace.to_string()]
        } else {
            term.namespaces.clone()
        };
        Term {
            namespaces,
            namespace_selector: term.namespace_selector.clone().unwrap_or_else(LabelSelector::nothing),
            selector: term.selector_for(labels),
            topology_key: term.topology_key.clone(),
        }
    }

    /// `AffinityTerm.Matches`: the pod's namespace is listed or its labels match the namespace
    /// selector, and the pod's labels match the selector.
    fn matches(&self, namespace: &str, labels: &Labels, namespaces: &mut NamespaceLabels<'_>) -> bool {
        let in_namespace = self.namespaces.iter().any(|n| n == namespace)
            || (!self.namespace_selector.is_nothing() && self.namespace_selector.matches(namespaces.get(namespace)));
        in_namespace && self.selector.matches(labels)
    }
}

/// Namespace labels for the cycle, built once per namespace asked for.
struct NamespaceLabels<'a> {
    known: &'a [(String, Labels)],
    cache: BTreeMap<String, Labels>,
}

impl<'a> NamespaceLabels<'a> {
    fn new(cx: &CycleContext<'a>) -> NamespaceLabels<'a> {
        NamespaceLabels { known: cx.namespace_labels, cache: BTreeMap::new() }
    }

    fn get(&mut self, namespace: &str) -> &Labels {
        if !self.cache.contains_key(namespace) {
            let mut labels = match self.known.binary_search_by(|(n, _)| n.as_str().cmp(namespace)) {
                Ok(i) => self.known[i].1.clone(),
                Err(_) => Labels::new(),
            };
            labels.insert(NAMESPACE_NAME_LABEL.to_string(), namespace.to_string());
            self.cache.insert(namespace.to_string(), labels);
        }
        &self.cache[namespace]
    }
}

/// Counts per topology key, then value (`topologyToMatchedTermCount`); only positive counts
/// are ever stored.
type TopologyCounts = BTreeMap<String, BTreeMap<String, i64>>;

fn add(counts: &mut TopologyCounts, node: &NodeInfo, key: &str, value: i64) {
    if let Some(v) = node.labels.get(key) {
        *counts.entry(key.to_string()).or_default().entry(v.clone()).or_insert(0) += value;
    }
}

/// `topologyToMatchedTermCount.update`: like [`add`], but a pair whose count drops to zero is
/// deleted, so that the filter's "is any pod counted" questions stay true after `RemovePod`.
/// (The score map keeps zero entries: a cycle whose terms cancel out is still scored.)
fn update_count(counts: &mut TopologyCounts, node: &NodeInfo, key: &str, delta: i64) {
    add(counts, node, key, delta);
    if let Some(v) = node.labels.get(key)
        && let Some(values) = counts.get_mut(key)
    {
        if values.get(v) == Some(&0) {
            values.remove(v);
        }
        if values.is_empty() {
            counts.remove(key);
        }
    }
}

fn count(counts: &TopologyCounts, key: &str, value: &str) -> i64 {
    counts.get(key).and_then(|m| m.get(value)).copied().unwrap_or(0)
}

/// PreFilter state (`preFilterState`).
#[derive(Default)]
struct FilterState {
    required_affinity: Vec<Term>,
    required_anti_affinity: Vec<Term>,
    /// Domains holding pods that match all the required affinity terms.
    affinity_counts: TopologyCounts,
    /// Domains holding pods that match a required anti-affinity term.
    anti_affinity_counts: TopologyCounts,
    /// Domains of existing pods whose required anti-affinity matches the incoming pod.
    existing_anti_affinity_counts: TopologyCounts,
    /// The incoming pod matches all its own required affinity terms.
    matches_own_affinity: bool,
    /// The namespaces' labels of the cycle, for `AddPod` / `RemovePod`.
    namespace_labels: Vec<(String, Labels)>,
}

#[derive(Default)]
pub struct InterPodAffinity {
    args: InterPodAffinityArgs,
    filter: FilterState,
    /// The pods with pod (anti-)affinity (`PodsWithAffinity`), as (node index, pod index),
    /// found by this cycle's PreFilter for its PreScore, which spares a second pass over every
    /// pod when the incoming pod has no preferred terms. `None` when PreFilter did not run.
    with_affinity: Option<Vec<(usize, usize)>>,
    /// PreScore state: key → value → score (`topologyScore`).
    topology_score: TopologyCounts,
}

impl InterPodAffinity {
    pub fn new(args: InterPodAffinityArgs) -> InterPodAffinity {
        InterPodAffinity { args, ..InterPodAffinity::default() }
    }
}

fn terms(list: Option<&[PodAffinityTerm]>, namespace: &str, labels: &Labels) -> Vec<Term> {
    list.unwrap_or_default().iter().map(|t| Term::new(t, namespace, labels)).collect()
}

impl Plugin for InterPodAffinity {
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

impl PreFilter for InterPodAffinity {
    fn pre_filter(&mut self, cx: &CycleContext<'_>, pod: &Pod) -> (PreFilterResult, Status) {
        let (ns, labels) = (&pod.meta.namespace, &pod.meta.labels);
        let affinity = &pod.spec.affinity;
        let mut s = FilterState {
            required_affinity: terms(affinity.pod_affinity.as_ref().map(|a| &a.required[..]), ns, labels),
            required_anti_affinity: terms(affinity.pod_anti_affinity.as_ref().map(|a| &a.required[..]), ns, labels),
            ..FilterState::default()
        };
        let mut namespaces = NamespaceLabels::new(cx);
        let has_incoming = !s.required_affinity.is_empty() || !s.required_anti_affinity.is_empty();
        let mut with_affinity = Vec::new();
        // Without terms of its own, only existing pods with terms matter (upstream walks
        // `HavePodsWithAffinityList` / `HavePodsWithRequiredAntiAffinityList`): the scheduler's
        // list of the nodes that hold some, when it has one.
        let (mut listed, mut every);
        let visit: &mut dyn Iterator<Item = usize> = match cx.affinity_nodes {
            Some(list) if !has_incoming => {
                listed = list.iter().map(|n| n.index());
                &mut listed
            }
            _ => {
                every = 0..cx.nodes.len();
                &mut every
            }
        };
        for node_index in visit {
            let node = &cx.nodes[node_index];
            if !has_incoming && node.affinity_pods == 0 {
                continue;
            }
            for (pod_index, existing) in node.pods.iter().enumerate() {
                if existing.spec.affinity.has_pod_affinity() {
                    with_affinity.push((node_index, pod_index));
                }
                // `getExistingAntiAffinityCounts`: existing pods' required anti-affinity.
                if let Some(anti) = &existing.spec.affinity.pod_anti_affinity {
                    for t in &anti.required {
                        let term = Term::new(t, &existing.namespace, &existing.labels);
                        if term.matches(ns, labels, &mut namespaces) {
                            add(&mut s.existing_anti_affinity_counts, node, &term.topology_key, 1);
                        }
                    }
                }
                if !has_incoming {
                    continue;
                }
                // `getIncomingAffinityAntiAffinityCounts`.
                if !s.required_affinity.is_empty()
                    && s.required_affinity
                        .iter()
                        .all(|t| t.matches(&existing.namespace, &existing.labels, &mut namespaces))
                {
                    for t in &s.required_affinity {
                        add(&mut s.affinity_counts, node, &t.topology_key, 1);
                    }
                }
                for t in &s.required_anti_affinity {
                    if t.matches(&existing.namespace, &existing.labels, &mut namespaces) {
                        add(&mut s.anti_affinity_counts, node, &t.topology_key, 1);
                    }
                }
            }
        }
        s.matches_own_affinity = !s.required_affinity.is_empty()
            && s.required_affinity.iter().all(|t| t.matches(ns, labels, &mut namespaces));
        let skip = s.existing_anti_affinity_counts.is_empty() && !has_incoming;
        // Only AddPod / RemovePod read them, and they do not run for a skipped plugin.
        if !skip {
            s.namespace_labels = cx.namespace_labels.to_vec();
        }
        self.filter = s;
        self.with_affinity = Some(with_affinity);
        if skip {
            return (PreFilterResult::default(), Status::skip());
        }
        (PreFilterResult::default(), Status::success())
    }
}

/// `AddPod` / `RemovePod`: the counts follow a pod added to or removed from a node during the
/// cycle (nominated pods, preemption's dry run), as `preFilterState.updateWithPod` does.
impl PreFilterExtensions for InterPodAffinity {
    fn add_pod(&mut self, pod: &Pod, added: &PodView, node: &NodeInfo) -> Status {
        self.update_with_pod(pod, added, node, 1);
        Status::success()
    }

    fn remove_pod(&mut self, pod: &Pod, removed: &PodView, node: &NodeInfo) -> Status {
        self.update_with_pod(pod, removed, node, -1);
        Status::success()
    }
}

impl InterPodAffinity {
    fn update_with_pod(&mut self, pod: &Pod, changed: &PodView, node: &NodeInfo, delta: i64) {
        let known = std::mem::take(&mut self.filter.namespace_labels);
        let cx = CycleContext { namespace_labels: &known, ..CycleContext::default() };
        let mut namespaces = NamespaceLabels::new(&cx);
        let s = &mut self.filter;
        if let Some(anti) = &changed.spec.affinity.pod_anti_affinity {
            for t in &anti.required {
                let term = Term::new(t, &changed.namespace, &changed.labels);
                if term.matches(&pod.meta.namespace, &pod.meta.labels, &mut namespaces) {
                    update_count(&mut s.existing_anti_affinity_counts, node, &term.topology_key, delta);
                }
            }
        }
        if !s.required_affinity.is_empty()
            && s.required_affinity.iter().all(|t| t.matches(&changed.namespace, &changed.labels, &mut namespaces))
        {
            for t in &s.required_affinity {
                update_count(&mut s.affinity_counts, node, &t.topology_key, delta);
            }
        }
        for t in &s.required_anti_affinity {
            if t.matches(&changed.namespace, &changed.labels, &mut namespaces) {
                update_count(&mut s.anti_affinity_counts, node, &t.topology_key, delta);
            }
        }
        drop(namespaces);
        self.filter.namespace_labels = known;
    }

    /// `satisfyPodAffinity`.
    fn satisfies_affinity(&self, node: &NodeInfo) -> bool {
        let s = &self.filter;
        let mut pods_exist = true;
        for t in &s.required_affinity {
            let Some(value) = node.labels.get(&t.topology_key) else {
                // Every topology key must be on the node, even for the first pod of a group.
                return false;
            };
            if count(&s.affinity_counts, &t.topology_key, value) <= 0 {
                pods_exist = false;
            }
        }
        // The first pod of a group that has affinity to itself: no pod anywhere matches the
        // terms yet, and this one does.
        pods_exist || (s.affinity_counts.is_empty() && s.matches_own_affinity)
    }

    /// `satisfyPodAntiAffinity`.
    fn satisfies_anti_affinity(&self, node: &NodeInfo) -> bool {
        let s = &self.filter;
        s.anti_affinity_counts.is_empty()
            || s.required_anti_affinity.iter().all(|t| {
                node.labels.get(&t.topology_key).is_none_or(|v| count(&s.anti_affinity_counts, &t.topology_key, v) <= 0)
            })
    }

    /// `satisfyExistingPodsAntiAffinity`: any (key, value) label of the node.
    fn satisfies_existing_anti_affinity(&self, node: &NodeInfo) -> bool {
        let counts = &self.filter.existing_anti_affinity_counts;
        counts.is_empty() || node.labels.iter().all(|(k, v)| count(counts, k, v) <= 0)
    }
}

impl Filter for InterPodAffinity {
    fn filter(&self, _pod: &Pod, node: &NodeInfo) -> Status {
        if !self.satisfies_affinity(node) {
            return Status::unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
        }
        if !self.satisfies_anti_affinity(node) {
            return Status::unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
        }
        if !self.satisfies_existing_anti_affinity(node) {
            return Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
        }
        Status::success()
    }
}

impl PreScore for InterPodAffinity {
    fn pre_score(&mut self, cx: &CycleContext<'_>, pod: &Pod, _feasible: &[&NodeInfo]) -> Status {
        self.topology_score.clear();
        let (ns, labels) = (&pod.meta.namespace, &pod.meta.labels);
        let affinity = &pod.spec.affinity;
        let weighted = |a: Option<&crate::api::pod::PodAffinity>| -> Vec<(Term, i64)> {
            a.map(|a| &a.preferred[..])
                .unwrap_or_default()
                .iter()
                .map(|w| (Term::new(&w.term, ns, labels), i64::from(w.weight)))
                .collect()
        };
        let preferred_affinity = weighted(affinity.pod_affinity.as_ref());
        let preferred_anti_affinity = weighted(affinity.pod_anti_affinity.as_ref());
        let has_constraints = !preferred_affinity.is_empty() || !preferred_anti_affinity.is_empty();
        if self.args.ignore_preferred_terms_of_existing_pods && !has_constraints {
            return Status::skip();
        }
        let hard_weight = i64::from(self.args.hard_pod_affinity_weight);
        let mut namespaces = NamespaceLabels::new(cx);
        let mut scores = TopologyCounts::new();
        let mut process = |node: &NodeInfo, existing: &PodView| {
            if node.labels.is_empty() {
                return;
            }
            let (e_ns, e_labels) = (&existing.namespace, &existing.labels);
            for (t, w) in &preferred_affinity {
                if t.matches(e_ns, e_labels, &mut namespaces) {
                    add(&mut scores, node, &t.topology_key, *w);
                }
            }
            for (t, w) in &preferred_anti_affinity {
                if t.matches(e_ns, e_labels, &mut namespaces) {
                    add(&mut scores, node, &t.topology_key, -*w);
                }
            }
            // Symmetry: the existing pod's terms, matched against the incoming pod.
            if let Some(a) = &existing.spec.affinity.pod_affinity {
                if hard_weight > 0 {
                    for t in &a.required {
                        let term = Term::new(t, e_ns, e_labels);
                        if term.matches(ns, labels, &mut namespaces) {
                            add(&mut scores, node, &term.topology_key, hard_weight);
                        }
                    }
                }
                for w in &a.preferred {
                    let term = Term::new(&w.term, e_ns, e_labels);
                    if term.matches(ns, labels, &mut namespaces) {
                        add(&mut scores, node, &term.topology_key, i64::from(w.weight));
                    }
                }
            }
            if let Some(a) = &existing.spec.affinity.pod_anti_affinity {
                for w in &a.preferred {
                    let term = Term::new(&w.term, e_ns, e_labels);
                    if term.matches(ns, labels, &mut namespaces) {
                        add(&mut scores, node, &term.topology_key, -i64::from(w.weight));
                    }
                }
            }
        };
        let found_by_pre_filter = self.with_affinity.take();
        match found_by_pre_filter {
            // Without preferred terms of its own, only pods with (anti-)affinity matter.
            Some(list) if !has_constraints => {
                for (n, p) in list {
                    process(&cx.nodes[n], &cx.nodes[n].pods[p]);
                }
            }
            _ => {
                for node in cx.nodes {
                    for existing in &node.pods {
                        if has_constraints || existing.spec.affinity.has_pod_affinity() {
                            process(node, existing);
                        }
                    }
                }
            }
        }
        if scores.is_empty() {
            return Status::skip();
        }
        self.topology_score = scores;
        Status::success()
    }

    fn reads_feasible(&self, _cx: &CycleContext<'_>, _pod: &Pod) -> bool {
        false
    }
}

impl Score for InterPodAffinity {
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        Ok(self
            .topology_score
            .iter()
            .filter_map(|(key, values)| node.labels.get(key).map(|v| values.get(v).copied().unwrap_or(0)))
            .sum())
    }

    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) -> Option<Status> {
        if self.topology_score.is_empty() {
            return Some(Status::success());
        }
        let min = scores.iter().copied().fold(i64::MAX, i64::min);
        let max = scores.iter().copied().fold(i64::MIN, i64::max);
        let diff = max.wrapping_sub(min);
        for s in scores.iter_mut() {
            // float64 then truncation, as upstream.
            *s = if diff > 0 { (MAX_NODE_SCORE as f64 * ((*s - min) as f64 / diff as f64)) as i64 } else { 0 };
        }
        Some(Status::success())
    }
}

#[cfg(test)]
mod tests {
    //! Tables from `filtering_test.go` (`TestRequiredAffinitySingleNode`,
    //! `TestRequiredAffinityMultipleNodes`) and `scoring_test.go` (`TestPreferredAffinity`,
    //! `TestPreferredAffinityWithHardPodAffinitySymmetricWeight`), with upstream's inputs and
    //! expected statuses and scores ("upstream"); other cases are hand-derived from §12.
    //! Upstream's test pods live in the namespace ""; ours in "default", which changes nothing.

    use super::*;
    use crate::api::pod::{PodAffinity, WeightedPodAffinityTerm};
    use crate::api::selector::{MatchExpression, MatchOperator};
    use crate::scheduler::framework::Code;
    use crate::scheduler::plugins::testutil::{NodeInfoExt, PodBuilder, node};

    fn labels(items: &[(&str, &str)]) -> Labels {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn expr(key: &str, op: MatchOperator, values: &[&str]) -> MatchExpression {
        MatchExpression { key: key.to_string(), operator: op, values: values.iter().map(|v| v.to_string()).collect() }
    }

    fn selector(exprs: Vec<MatchExpression>) -> Option<LabelSelector> {
        Some(LabelSelector::from_match(&Labels::new(), &exprs).unwrap())
    }

    use MatchOperator::{DoesNotExist, Exists, In, NotIn};

    /// A term on `key` with a selector.
    fn term(exprs: Vec<MatchExpression>, key: &str) -> PodAffinityTerm {
        PodAffinityTerm { label_selector: selector(exprs), topology_key: key.to_string(), ..PodAffinityTerm::default() }
    }

    fn weighted(weight: i32, t: PodAffinityTerm) -> WeightedPodAffinityTerm {
        WeightedPodAffinityTerm { weight, term: t }
    }

    /// A pod with labels and (anti-)affinity.
    fn pod(items: &[(&str, &str)], affinity: Option<PodAffinity>, anti: Option<PodAffinity>) -> Pod {
        let mut p = PodBuilder::new().build();
        p.meta.labels = labels(items);
        let spec = std::sync::Arc::make_mut(&mut p.spec);
        spec.affinity.pod_affinity = affinity;
        spec.affinity.pod_anti_affinity = anti;
        p
    }

    fn in_ns(mut p: Pod, ns: &str) -> Pod {
        p.meta.namespace = ns.to_string();
        p
    }

    fn required(terms: Vec<PodAffinityTerm>) -> Option<PodAffinity> {
        Some(PodAffinity { required: terms, preferred: vec![] })
    }

    fn preferred(terms: Vec<WeightedPodAffinityTerm>) -> Option<PodAffinity> {
        Some(PodAffinity { required: vec![], preferred: terms })
    }

    fn n(name: &str, items: &[(&str, &str)], pods: Vec<Pod>) -> NodeInfo {
        node(name, &[("cpu", "100"), ("pods", "100")]).with_labels(items).with_pods(&pods)
    }

    /// Upstream's namespaces (`scoring_test.go`): team labels.
    fn namespaces() -> Vec<(String, Labels)> {
        let mut v: Vec<(String, Labels)> = [
            ("subteam1.team1", "team1"),
            ("subteam2.team1", "team1"),
            ("subteam1.team2", "team2"),
            ("subteam2.team2", "team2"),
        ]
        .iter()
        .map(|(n, t)| (n.to_string(), labels(&[("team", t)])))
        .collect();
        v.sort();
        v
    }

    /// PreFilter, then Filter on every node; None for a skipped PreFilter.
    fn filter(pod: &Pod, nodes: &[NodeInfo]) -> Option<Vec<(Code, String)>> {
        let ns = namespaces();
        let cx = CycleContext { nodes, owner_selectors: &[], namespace_labels: &ns, ..CycleContext::default() };
        let mut plugin = InterPodAffinity::default();
        let (_, status) = plugin.pre_filter(&cx, pod);
        if status.is_skip() {
            return None;
        }
        assert!(status.is_success(), "{status}");
        Some(nodes.iter().map(|node| plugin.filter(pod, node)).map(|s| (s.code, s.message())).collect())
    }

    const OK: (Code, &str) = (Code::Success, "");
    const AFF: (Code, &str) = (Code::UnschedulableAndUnresolvable, ERR_REASON_AFFINITY_RULES_NOT_MATCH);
    const ANTI: (Code, &str) = (Code::Unschedulable, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
    const EXIST: (Code, &str) = (Code::Unschedulable, ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);

    fn check(name: &str, got: Option<Vec<(Code, String)>>, want: &[(Code, &str)]) {
        let got = got.unwrap_or_else(|| panic!("{name}: PreFilter skipped"));
        let got: Vec<(Code, &str)> = got.iter().map(|(c, m)| (*c, m.as_str())).collect();
        assert_eq!(got, want, "{name}");
    }

    /// `AddPod` / `RemovePod`: a guard pod whose required anti-affinity repels `app=web` in
    /// its zone rejects zone-a; removed (as preemption's dry run does), zone-a is open; an
    /// incoming pod with required affinity to `db` is unschedulable until a `db` pod is added
    /// to zone-b. Hand-derived from §12.
    #[test]
    fn pre_filter_extensions_follow_added_and_removed_pods() {
        let guard = pod(&[("role", "guard")], None, required(vec![term(vec![expr("app", In, &["web"])], "zone")]));
        let nodes = vec![n("a", &[("zone", "za")], vec![guard.clone()]), n("b", &[("zone", "zb")], vec![])];
        let web = pod(&[("app", "web")], None, None);
        let mut plugin = InterPodAffinity::default();
        let cx = CycleContext::with_nodes(&nodes);
        assert!(plugin.pre_filter(&cx, &web).1.is_success());
        assert_eq!(plugin.filter(&web, &nodes[0]).code, Code::Unschedulable);
        assert!(plugin.filter(&web, &nodes[1]).is_success());
        let guard_view = nodes[0].pods[0].clone();
        let mut a = nodes[0].clone();
        a.remove_pod(guard_view.id, &guard);
        assert!(plugin.remove_pod(&web, &guard_view, &a).is_success());
        assert!(plugin.filter(&web, &a).is_success(), "no guard left in zone-a");
        assert!(plugin.add_pod(&web, &guard_view, &nodes[0]).is_success());
        assert_eq!(plugin.filter(&web, &nodes[0]).code, Code::Unschedulable);

        let follower = pod(&[("app", "cache")], required(vec![term(vec![expr("app", In, &["db"])], "zone")]), None);
        assert!(plugin.pre_filter(&cx, &follower).1.is_success());
        assert!(nodes.iter().all(|n| !plugin.filter(&follower, n).is_success()), "no db pod anywhere");
        let db = crate::scheduler::framework::PodView::of(crate::store::PodId(50), &pod(&[("app", "db")], None, None));
        let mut b = nodes[1].clone();
        b.add_view(std::sync::Arc::new(db.clone()));
        assert!(plugin.add_pod(&follower, &db, &b).is_success());
        assert!(plugin.filter(&follower, &b).is_success());
        assert!(!plugin.filter(&follower, &nodes[0]).is_success(), "zone-a still has no db pod");
    }

    #[test]
    fn upstream_required_affinity_single_node() {
        // TestRequiredAffinitySingleNode, upstream. node1: region r1, zone z11.
        let scan = [("service", "securityscan")];
        let s1 = [("security", "S1")];
        let node1 = |pods: Vec<Pod>| vec![n("node1", &[("region", "r1"), ("zone", "z11")], pods)];
        let existing = || pod(&scan, None, None);
        let in_service = |vals: &[&str], key: &str| term(vec![expr("service", In, vals)], key);

        assert!(filter(&pod(&[], None, None), &node1(vec![])).is_none(), "no affinity: Skip");
        check(
            "affinity In matches the existing pod",
            filter(
                &pod(&s1, required(vec![in_service(&["securityscan", "value2"], "region")]), None),
                &node1(vec![existing()]),
            ),
            &[OK],
        );
        check(
            "affinity NotIn matches the existing pod",
            filter(
                &pod(
                    &s1,
                    required(vec![term(vec![expr("service", NotIn, &["securityscan3", "value3"])], "region")]),
                    None,
                ),
                &node1(vec![existing()]),
            ),
            &[OK],
        );
        let mut other_ns = in_service(&["securityscan", "value2"], "");
        other_ns.namespaces = vec!["diff-namespace".into()];
        check(
            "affinity in another namespace",
            filter(&pod(&s1, required(vec![other_ns]), None), &node1(vec![in_ns(existing(), "ns")])),
            &[AFF],
        );
        check(
            "unmatching labelSelector",
            filter(
                &pod(&scan, required(vec![in_service(&["antivirusscan", "value2"], "")]), None),
                &node1(vec![existing()]),
            ),
            &[AFF],
        );
        let multi = |second: &str| {
            required(vec![
                term(vec![expr("service", Exists, &[]), expr("wrongkey", DoesNotExist, &[])], "region"),
                term(vec![expr("service", In, &[second]), expr("service", NotIn, &["WrongValue"])], "region"),
            ])
        };
        check(
            "several terms, all match",
            filter(&pod(&s1, multi("securityscan"), None), &node1(vec![existing()])),
            &[OK],
        );
        check(
            "several terms, one fails",
            filter(&pod(&s1, multi("securityscan2"), None), &node1(vec![existing()])),
            &[AFF],
        );

        let affinity = || required(vec![in_service(&["securityscan", "value2"], "region")]);
        check(
            "affinity and anti-affinity satisfied",
            filter(
                &pod(&s1, affinity(), required(vec![in_service(&["antivirusscan", "value2"], "node")])),
                &node1(vec![existing()]),
            ),
            &[OK],
        );
        check(
            "anti-affinity on a key the node lacks is satisfied, symmetry too",
            filter(
                &pod(&s1, affinity(), required(vec![in_service(&["antivirusscan", "value2"], "node")])),
                &node1(vec![pod(&scan, None, required(vec![in_service(&["antivirusscan", "value2"], "node")]))]),
            ),
            &[OK],
        );
        check(
            "anti-affinity not satisfied",
            filter(
                &pod(&s1, affinity(), required(vec![in_service(&["securityscan", "value2"], "zone")])),
                &node1(vec![existing()]),
            ),
            &[ANTI],
        );
        check(
            "existing pod's anti-affinity rejects (symmetry)",
            filter(
                &pod(&scan, affinity(), required(vec![in_service(&["antivirusscan", "value2"], "node")])),
                &node1(vec![pod(&scan, None, required(vec![in_service(&["securityscan", "value2"], "zone")]))]),
            ),
            &[EXIST],
        );
        check(
            "pod matching its own NotIn affinity? no: no pod matches, and it does not match itself",
            filter(
                &pod(
                    &scan,
                    required(vec![term(vec![expr("service", NotIn, &["securityscan", "value2"])], "region")]),
                    None,
                ),
                &node1(vec![]),
            ),
            &[AFF],
        );
        check(
            "existing anti-affinity respected when the incoming pod has none",
            filter(
                &pod(&scan, None, None),
                &node1(vec![pod(&scan, None, required(vec![in_service(&["securityscan", "value2"], "zone")]))]),
            ),
            &[EXIST],
        );
        assert!(
            filter(
                &pod(&scan, None, None),
                &node1(vec![pod(
                    &scan,
                    None,
                    required(vec![term(vec![expr("service", NotIn, &["securityscan", "value2"])], "zone")])
                )])
            )
            .is_none(),
            "existing NotIn anti-affinity does not match: Skip"
        );
        let exists = |key: &str, tk: &str| term(vec![expr(key, Exists, &[])], tk);
        check(
            "incoming anti-affinity on region matches, existing on zone too",
            filter(
                &pod(&scan, None, required(vec![exists("service", "region"), exists("security", "region")])),
                &node1(vec![pod(&s1, None, required(vec![exists("security", "zone")]))]),
            ),
            &[ANTI],
        );
        check(
            "symmetry a2: only the existing pod's anti-affinity matches",
            filter(
                &pod(&s1, None, required(vec![exists("security", "zone")])),
                &node1(vec![pod(&scan, None, required(vec![exists("service", "zone"), exists("security", "zone")]))]),
            ),
            &[EXIST],
        );
        check(
            "symmetry b1",
            filter(
                &pod(&[("abc", ""), ("xyz", "")], None, required(vec![exists("abc", "zone"), exists("def", "zone")])),
                &node1(vec![pod(
                    &[("def", ""), ("xyz", "")],
                    None,
                    required(vec![exists("abc", "zone"), exists("def", "zone")]),
                )]),
            ),
            &[ANTI],
        );
    }

    #[test]
    fn upstream_namespace_selector_filter() {
        // TestRequiredAffinitySingleNode namespaceSelector cases, upstream.
        let scan = [("service", "securityscan")];
        let node1 =
            |ns: &str| vec![n("node1", &[("region", "r1"), ("zone", "z11")], vec![in_ns(pod(&scan, None, None), ns)])];
        let team1 = |key: &str| {
            let mut t = term(vec![expr("service", In, &["securityscan", "value2"])], key);
            t.namespace_selector = selector(vec![expr("team", In, &["team1"])]);
            t
        };
        let s1 = [("security", "S1")];
        check(
            "affinity, matching namespaceSelector",
            filter(&pod(&s1, required(vec![team1("region")]), None), &node1("subteam1.team1")),
            &[OK],
        );
        check(
            "affinity, other namespace",
            filter(&pod(&s1, required(vec![team1("region")]), None), &node1("subteam1.team2")),
            &[AFF],
        );
        let incoming = |t| in_ns(pod(&s1, None, required(vec![t])), "subteam1.team1");
        check(
            "anti-affinity, matching namespaceSelector",
            filter(&incoming(team1("zone")), &node1("subteam2.team1")),
            &[ANTI],
        );
        let mut all = team1("zone");
        all.namespace_selector = selector(vec![]);
        check(
            "anti-affinity, namespaceSelector {} matches all",
            filter(&incoming(all), &node1("subteam2.team1")),
            &[ANTI],
        );
        check(
            "anti-affinity, non-matching namespaceSelector",
            filter(&incoming(team1("zone")), &node1("subteam1.team2")),
            &[OK],
        );
        // Hand-derived: every namespace carries its name label.
        let mut by_name = team1("zone");
        by_name.namespace_selector = selector(vec![expr(NAMESPACE_NAME_LABEL, In, &["subteam1.team2"])]);
        check(
            "anti-affinity, namespace selected by its name label",
            filter(&incoming(by_name), &node1("subteam1.team2")),
            &[ANTI],
        );
    }

    #[test]
    fn upstream_required_affinity_multiple_nodes() {
        // TestRequiredAffinityMultipleNodes, upstream.
        let china = [("region", "China")];
        let china_az1 = [("region", "China"), ("az", "az1")];
        let india = [("region", "India")];
        let foo_bar = || pod(&[("foo", "bar")], None, None);
        let nodes =
            vec![n("node1", &china, vec![foo_bar()]), n("node2", &china_az1, vec![]), n("node3", &india, vec![])];
        check(
            "same region as a matching pod",
            filter(&pod(&[], required(vec![term(vec![expr("foo", In, &["bar"])], "region")]), None), &nodes),
            &[OK, OK, AFF],
        );

        // The first pod of a group that has affinity to itself may go anywhere...
        let group = pod(
            &[("foo", "bar"), ("service", "securityscan")],
            required(vec![
                term(vec![expr("foo", In, &["bar"])], "zone"),
                term(vec![expr("service", In, &["securityscan"])], "zone"),
            ]),
            None,
        );
        let two = |key: &str| {
            vec![
                n("nodeA", &[(key, "az1"), ("hostname", "h1")], vec![foo_bar()]),
                n("nodeB", &[(key, "az2"), ("hostname", "h2")], vec![]),
            ]
        };
        check("first pod of a group", filter(&group, &two("zone")), &[OK, OK]);
        // ...but only to nodes carrying the topology key.
        check("first pod of a group needs the topology key", filter(&group, &two("zoneLabel")), &[AFF, AFF]);

        let anti_region = || required(vec![term(vec![expr("foo", In, &["abc"])], "region")]);
        let nodes_r1 = vec![
            n("nodeA", &[("region", "r1"), ("hostname", "nodeA")], vec![pod(&[("foo", "abc")], None, None)]),
            n("nodeB", &[("region", "r1"), ("hostname", "nodeB")], vec![]),
        ];
        check(
            "anti-affinity covers the whole region",
            filter(&pod(&[], None, anti_region()), &nodes_r1),
            &[ANTI, ANTI],
        );
        let nodes = vec![
            n("nodeA", &china, vec![pod(&[("foo", "abc")], None, None)]),
            n("nodeB", &china_az1, vec![]),
            n("nodeC", &india, vec![]),
        ];
        check(
            "anti-affinity, nodeC in another region",
            filter(&pod(&[], None, anti_region()), &nodes),
            &[ANTI, ANTI, OK],
        );

        // Namespaces: the matching pod in NS1 blocks China; the existing anti-affinity in NS2
        // does not apply to a pod of NS1.
        let incoming =
            in_ns(pod(&[("foo", "123")], None, required(vec![term(vec![expr("foo", In, &["bar"])], "region")])), "ns1");
        let nodes = vec![
            n("nodeA", &china, vec![in_ns(pod(&[("foo", "bar")], None, None), "ns1")]),
            n("nodeB", &china_az1, vec![]),
            n(
                "nodeC",
                &india,
                vec![in_ns(pod(&[], None, required(vec![term(vec![expr("foo", In, &["123"])], "region")])), "ns2")],
            ),
        ];
        check("namespaces", filter(&incoming, &nodes), &[ANTI, ANTI, OK]);

        let zones = |a: Vec<Pod>, b: Vec<Pod>| {
            vec![
                n("nodeA", &[("region", "r1"), ("zone", "z1"), ("hostname", "nodeA")], a),
                n("nodeB", &[("region", "r1"), ("zone", "z2"), ("hostname", "nodeB")], b),
            ]
        };
        let exists = |key: &str, tk: &str| term(vec![expr(key, Exists, &[])], tk);
        check(
            "existing anti-affinity terms on zone and region",
            filter(
                &pod(&[("foo", ""), ("bar", "")], None, None),
                &zones(
                    vec![
                        pod(&[], None, required(vec![exists("foo", "zone")])),
                        pod(&[], None, required(vec![exists("bar", "region")])),
                    ],
                    vec![],
                ),
            ),
            &[EXIST, EXIST],
        );
        check(
            "incoming anti-affinity, one term per node",
            filter(
                &pod(&[], None, required(vec![exists("foo", "zone"), exists("bar", "region")])),
                &zones(vec![pod(&[("foo", "")], None, None)], vec![pod(&[("bar", "")], None, None)]),
            ),
            &[ANTI, ANTI],
        );
        check(
            "existing anti-affinity term with a key no node has",
            filter(
                &pod(&[("foo", ""), ("bar", "")], None, None),
                &zones(
                    vec![pod(&[], None, required(vec![exists("foo", "invalid-node-label"), exists("bar", "zone")]))],
                    vec![],
                ),
            ),
            &[EXIST, OK],
        );
        check(
            "incoming anti-affinity term with a key no node has",
            filter(
                &pod(&[], None, required(vec![exists("foo", "invalid-node-label"), exists("bar", "zone")])),
                &zones(vec![pod(&[("foo", ""), ("bar", "")], None, None)], vec![]),
            ),
            &[ANTI, OK],
        );
        check(
            "affinity terms must match the same pod",
            filter(
                &pod(&[], required(vec![exists("foo", "region"), exists("bar", "zone")]), None),
                &zones(vec![pod(&[("foo", "")], None, None)], vec![pod(&[("bar", "")], None, None)]),
            ),
            &[AFF, AFF],
        );
        let same_zone = vec![
            n(
                "nodeA",
                &[("region", "r1"), ("zone", "z1"), ("hostname", "nodeA")],
                vec![pod(&[("foo", ""), ("bar", "")], None, None)],
            ),
            n("nodeB", &[("region", "r1"), ("zone", "z1"), ("hostname", "nodeB")], vec![]),
        ];
        check(
            "affinity terms matched by one pod",
            filter(&pod(&[], required(vec![exists("foo", "region"), exists("bar", "zone")]), None), &same_zone),
            &[OK, OK],
        );
    }

    #[test]
    fn first_pod_of_a_group_only_while_no_pod_matches() {
        // Hand-derived: once one pod of the group exists, the exception ends, even for domains
        // without it; and a pod that does not match its own terms never gets it.
        let own = || required(vec![term(vec![expr("app", In, &["db"])], "zone")]);
        let db = || pod(&[("app", "db")], own(), None);
        let zones = |a: Vec<Pod>| vec![n("a", &[("zone", "z1")], a), n("b", &[("zone", "z2")], vec![])];
        check("first", filter(&db(), &zones(vec![])), &[OK, OK]);
        check("second follows the first", filter(&db(), &zones(vec![db()])), &[OK, AFF]);
        check(
            "not a member of its own group",
            filter(&pod(&[("app", "web")], own(), None), &zones(vec![])),
            &[AFF, AFF],
        );
    }

    #[test]
    fn match_label_keys_are_merged_per_pod() {
        // Hand-derived: anti-affinity on hostname with matchLabelKeys [pod-template-hash] only
        // repels pods of the same revision; mismatchLabelKeys [tenant] only other tenants.
        let mut t = term(vec![expr("app", In, &["web"])], "kubernetes.io/hostname");
        t.match_label_keys = vec!["pod-template-hash".into()];
        let incoming = pod(&[("app", "web"), ("pod-template-hash", "v2")], None, required(vec![t]));
        let web = |rev: &str| pod(&[("app", "web"), ("pod-template-hash", rev)], None, None);
        let nodes = vec![
            n("a", &[("kubernetes.io/hostname", "a")], vec![web("v1")]),
            n("b", &[("kubernetes.io/hostname", "b")], vec![web("v2")]),
        ];
        check("matchLabelKeys", filter(&incoming, &nodes), &[OK, ANTI]);

        let mut t = term(vec![expr("app", Exists, &[])], "zone");
        t.mismatch_label_keys = vec!["tenant".into()];
        let incoming = pod(&[("app", "x"), ("tenant", "red")], None, required(vec![t]));
        let tenant = |name: &str| pod(&[("app", "x"), ("tenant", name)], None, None);
        let nodes =
            vec![n("a", &[("zone", "z1")], vec![tenant("red")]), n("b", &[("zone", "z2")], vec![tenant("blue")])];
        check("mismatchLabelKeys", filter(&incoming, &nodes), &[OK, ANTI]);
    }

    /// PreScore (None if skipped), Score every node, NormalizeScore; the same with PreFilter
    /// run first, which hands PreScore the pods with affinity, must agree.
    fn scores_with(args: InterPodAffinityArgs, pod: &Pod, nodes: &[NodeInfo]) -> Option<Vec<i64>> {
        let ns = namespaces();
        let cx = CycleContext { nodes, owner_selectors: &[], namespace_labels: &ns, ..CycleContext::default() };
        let feasible: Vec<&NodeInfo> = nodes.iter().collect();
        let run = |with_pre_filter: bool| {
            let mut plugin = InterPodAffinity::new(args.clone());
            if with_pre_filter {
                plugin.pre_filter(&cx, pod);
            }
            let status = plugin.pre_score(&cx, pod, &feasible);
            if status.is_skip() {
                return None;
            }
            assert!(status.is_success(), "{status}");
            let mut scores: Vec<i64> = nodes.iter().map(|n| plugin.score(pod, n).unwrap()).collect();
            plugin.normalize(pod, &mut scores);
            Some(scores)
        };
        let alone = run(false);
        assert_eq!(run(true), alone, "PreScore after PreFilter");
        alone
    }

    fn scores(pod: &Pod, nodes: &[NodeInfo]) -> Option<Vec<i64>> {
        scores_with(InterPodAffinityArgs::default(), pod, nodes)
    }

    const CHINA: &[(&str, &str)] = &[("region", "China")];
    const INDIA: &[(&str, &str)] = &[("region", "India")];
    const AZ1: &[(&str, &str)] = &[("az", "az1")];
    const AZ2: &[(&str, &str)] = &[("az", "az2")];
    const CHINA_AZ1: &[(&str, &str)] = &[("region", "China"), ("az", "az1")];
    const S1: &[(&str, &str)] = &[("security", "S1")];
    const S2: &[(&str, &str)] = &[("security", "S2")];

    fn security(value: &str, key: &str) -> PodAffinityTerm {
        term(vec![expr("security", In, &[value])], key)
    }

    fn stay_with_s1_in_region() -> Option<PodAffinity> {
        preferred(vec![weighted(5, security("S1", "region"))])
    }
    fn stay_with_s2_in_region() -> Option<PodAffinity> {
        preferred(vec![weighted(6, security("S2", "region"))])
    }
    fn away_from_s1_in_az() -> Option<PodAffinity> {
        preferred(vec![weighted(5, security("S1", "az"))])
    }
    fn away_from_s2_in_az() -> Option<PodAffinity> {
        preferred(vec![weighted(5, security("S2", "az"))])
    }
    fn hard_affinity() -> Option<PodAffinity> {
        required(vec![
            term(vec![expr("security", In, &["S1", "value2"])], "region"),
            term(vec![expr("security", Exists, &[]), expr("wrongkey", DoesNotExist, &[])], "region"),
        ])
    }

    #[test]
    fn upstream_preferred_affinity() {
        // TestPreferredAffinity, upstream.
        let p = |labels: &[(&str, &str)], aff, anti| pod(labels, aff, anti);
        let on = |name: &str, node_labels: &[(&str, &str)], pods: Vec<Pod>| n(name, node_labels, pods);
        assert_eq!(
            scores(
                &p(S1, None, None),
                &[on("node1", CHINA, vec![]), on("node2", INDIA, vec![]), on("node3", AZ1, vec![])]
            ),
            None,
            "no affinity anywhere: Skip"
        );
        let nodes = vec![
            on("node1", CHINA, vec![p(S1, None, None)]),
            on("node2", INDIA, vec![p(S2, None, None)]),
            on("node3", AZ1, vec![p(S1, None, None)]),
        ];
        assert_eq!(scores(&p(S1, stay_with_s1_in_region(), None), &nodes), Some(vec![100, 0, 0]), "affinity");
        let nodes = vec![
            on("node1", CHINA, vec![p(S1, None, None)]),
            on("node2", CHINA_AZ1, vec![]),
            on("node3", INDIA, vec![]),
        ];
        assert_eq!(scores(&p(&[], stay_with_s1_in_region(), None), &nodes), Some(vec![100, 100, 0]), "same region");
        let s2 = || p(S2, None, None);
        let nodes = vec![
            on("node1", CHINA, vec![s2(), s2()]),
            on("node2", INDIA, vec![s2()]),
            on("node3", CHINA, vec![s2()]),
            on("node4", CHINA, vec![s2()]),
            on("node5", INDIA, vec![s2()]),
        ];
        assert_eq!(
            scores(&p(S1, stay_with_s2_in_region(), None), &nodes),
            Some(vec![100, 0, 100, 100, 0]),
            "more matches"
        );
        let affinity3 = preferred(vec![
            weighted(8, term(vec![expr("security", NotIn, &["S1"]), expr("security", In, &["S2"])], "region")),
            weighted(2, term(vec![expr("security", Exists, &[]), expr("wrongkey", DoesNotExist, &[])], "region")),
        ]);
        let nodes = vec![
            on("node1", CHINA, vec![p(S1, None, None)]),
            on("node2", INDIA, vec![p(S2, None, None)]),
            on("node3", AZ1, vec![p(S1, None, None)]),
        ];
        assert_eq!(scores(&p(S1, affinity3, None), &nodes), Some(vec![20, 100, 0]), "operators");
        let three =
            |a: Vec<Pod>, b: Vec<Pod>| vec![on("node1", CHINA, a), on("node2", INDIA, b), on("node3", AZ1, vec![])];
        assert_eq!(
            scores(
                &p(S2, None, None),
                &three(vec![p(S1, stay_with_s1_in_region(), None)], vec![p(S2, stay_with_s2_in_region(), None)])
            ),
            Some(vec![0, 100, 0]),
            "symmetry, preferred"
        );
        assert_eq!(
            scores(&p(S1, None, None), &three(vec![p(S1, hard_affinity(), None)], vec![p(S2, hard_affinity(), None)])),
            Some(vec![100, 100, 0]),
            "symmetry, required (hardPodAffinityWeight 1)"
        );
        let two = |l1: &'static [(&'static str, &'static str)],
                   a: Vec<Pod>,
                   l2: &'static [(&'static str, &'static str)],
                   b: Vec<Pod>| { vec![on("node1", l1, a), on("node2", l2, b)] };
        let anti_s1 = || p(S1, None, away_from_s1_in_az());
        assert_eq!(
            scores(&anti_s1(), &two(AZ1, vec![p(S1, None, None)], CHINA, vec![p(S2, None, None)])),
            Some(vec![0, 100])
        );
        assert_eq!(
            scores(&anti_s1(), &two(AZ1, vec![p(S1, None, None)], CHINA, vec![p(S1, None, None)])),
            Some(vec![0, 100])
        );
        assert_eq!(
            scores(&anti_s1(), &two(AZ1, vec![p(S1, None, None), p(S1, None, None)], INDIA, vec![p(S2, None, None)])),
            Some(vec![0, 100])
        );
        assert_eq!(
            scores(
                &p(S2, None, None),
                &two(AZ1, vec![p(S1, None, away_from_s2_in_az())], AZ2, vec![p(S2, None, away_from_s1_in_az())])
            ),
            Some(vec![0, 100]),
            "anti-affinity symmetry"
        );
        let both = || {
            p(
                S1,
                preferred(vec![weighted(8, security("S1", "region"))]),
                preferred(vec![weighted(5, security("S2", "az"))]),
            )
        };
        assert_eq!(
            scores(&both(), &two(CHINA, vec![p(S1, None, None)], AZ1, vec![p(S1, None, None)])),
            Some(vec![100, 0]),
            "affinity and anti-affinity"
        );
        let s1 = || p(S1, None, None);
        let nodes = vec![
            on("node1", CHINA_AZ1, vec![s1(), s1()]),
            on("node2", INDIA, vec![s1()]),
            on("node3", CHINA, vec![s1(), s1()]),
            on("node4", CHINA, vec![s1()]),
            on("node5", INDIA, vec![s1()]),
        ];
        assert_eq!(scores(&both(), &nodes), Some(vec![100, 0, 100, 100, 0]), "same labels as the incoming pod");
        // Weights 8, −5, 8 (symmetry), −5 (anti-affinity symmetry) on four nodes.
        let both_aff = || preferred(vec![weighted(8, security("S1", "region"))]);
        let both_anti = || preferred(vec![weighted(5, security("S2", "az"))]);
        let nodes = vec![
            on("node1", CHINA, vec![s1()]),
            on("node2", AZ1, vec![p(S2, None, None)]),
            on("node3", INDIA, vec![p(&[], both_aff(), both_anti())]),
            on("node4", AZ2, vec![p(&[], None, away_from_s1_in_az())]),
        ];
        assert_eq!(scores(&both(), &nodes), Some(vec![100, 0, 100, 0]), "affinity, anti-affinity and symmetry");
        let nodes = vec![on("node1", CHINA, vec![s1()]), on("node2", CHINA, vec![p(&[], both_aff(), both_anti())])];
        assert_eq!(scores(&p(S1, None, None), &nodes), Some(vec![0, 0]), "kubernetes#82796: no panic");
    }

    #[test]
    fn upstream_preferred_namespace_selector() {
        // "Affinity/AntiAffinity symmetry with namespace selector", upstream: the existing pods'
        // terms select namespace subteam2.team2 or the team1 namespaces; the incoming pod is in
        // subteam1.team1.
        let ns_term = || {
            let mut t = security("S1", "region");
            t.namespaces = vec!["subteam2.team2".into()];
            t.namespace_selector = selector(vec![expr("team", In, &["team1"])]);
            t
        };
        let incoming = in_ns(pod(S1, None, None), "subteam1.team1");
        let nodes = |aff: Option<PodAffinity>, anti: Option<PodAffinity>| {
            vec![
                n("node1", CHINA, vec![pod(S1, aff, anti)]),
                n("node2", INDIA, vec![pod(S2, stay_with_s2_in_region(), None)]),
                n("node3", AZ1, vec![]),
            ]
        };
        assert_eq!(scores(&incoming, &nodes(preferred(vec![weighted(5, ns_term())]), None)), Some(vec![100, 0, 0]));
        assert_eq!(scores(&incoming, &nodes(None, preferred(vec![weighted(5, ns_term())]))), Some(vec![0, 100, 100]));
    }

    #[test]
    fn hard_pod_affinity_weight() {
        // TestPreferredAffinityWithHardPodAffinitySymmetricWeight, upstream: weight 1 gives
        // node1 and node2 100, weight 0 turns the symmetry off (Skip).
        let nodes = || {
            vec![
                n(
                    "node1",
                    CHINA,
                    vec![pod(
                        &[("service", "S1")],
                        required(vec![term(vec![expr("service", In, &["S1"])], "region")]),
                        None,
                    )],
                ),
                n("node2", INDIA, vec![]),
                n("node3", AZ1, vec![]),
            ]
        };
        let incoming = pod(&[("service", "S1")], None, None);
        assert_eq!(scores(&incoming, &nodes()), Some(vec![100, 0, 0]));
        let zero = InterPodAffinityArgs { hard_pod_affinity_weight: 0, ..InterPodAffinityArgs::default() };
        assert_eq!(scores_with(zero, &incoming, &nodes()), None);
        // Hand-derived: a larger weight does not change a lone domain's normalized score, but
        // weighs against preferred anti-affinity: weight 10 − 5 > 0 keeps China ahead.
        let heavy = InterPodAffinityArgs { hard_pod_affinity_weight: 10, ..InterPodAffinityArgs::default() };
        let repelled = pod(
            &[("service", "S1")],
            None,
            preferred(vec![weighted(5, term(vec![expr("service", In, &["S1"])], "region"))]),
        );
        assert_eq!(scores_with(heavy, &repelled, &nodes()), Some(vec![100, 0, 0]));
        assert_eq!(scores(&repelled, &nodes()), Some(vec![0, 100, 100]), "weight 1: 1 − 5 < 0");
    }

    #[test]
    fn ignore_preferred_terms_of_existing_pods() {
        // Hand-derived (InterPodAffinityArgs.ignorePreferredTermsOfExistingPods): without
        // preferred terms of its own the pod is not scored.
        let args =
            InterPodAffinityArgs { ignore_preferred_terms_of_existing_pods: true, ..InterPodAffinityArgs::default() };
        let nodes = vec![n("node1", CHINA, vec![pod(S1, stay_with_s1_in_region(), None)]), n("node2", INDIA, vec![])];
        assert_eq!(scores_with(args.clone(), &pod(S1, None, None), &nodes), None);
        assert_eq!(scores_with(args, &pod(S1, stay_with_s1_in_region(), None), &nodes), Some(vec![100, 0]));
    }

    #[test]
    fn normalization_starts_from_the_extremes() {
        // Hand-derived, the v1.34 initialization (MaxInt64 / MinInt64): all-positive scores
        // 5 and 10 normalize to 0 and 100 (zero-initialized min gave 50 and 100); all-negative
        // −5 and −10 to 100 and 0 (zero-initialized max gave 50 and 0).
        let nodes = vec![
            n("node1", CHINA, vec![pod(S1, None, None)]),
            n("node2", INDIA, vec![pod(S1, None, None), pod(S1, None, None)]),
        ];
        let positive = pod(S1, preferred(vec![weighted(5, security("S1", "region"))]), None);
        assert_eq!(scores(&positive, &nodes), Some(vec![0, 100]));
        let negative = pod(S1, None, preferred(vec![weighted(5, security("S1", "region"))]));
        assert_eq!(scores(&negative, &nodes), Some(vec![100, 0]));
        // Zero and negative: −5 (China), 0 (a node with no region): 0 and 100.
        let nodes = vec![n("node1", CHINA, vec![pod(S1, None, None)]), n("node2", AZ1, vec![])];
        assert_eq!(scores(&negative, &nodes), Some(vec![0, 100]));
        // Entries that cancel to 0 everywhere: scored (not skipped), all 0.
        let cancel = pod(
            S1,
            preferred(vec![weighted(5, security("S1", "region"))]),
            preferred(vec![weighted(5, security("S1", "region"))]),
        );
        assert_eq!(scores(&cancel, &nodes), Some(vec![0, 0]));
        // Truncation: 1, 2, 4 → 0, 33, 100 (100·1/3 = 33.3).
        let nodes = vec![
            n("a", &[("r", "a")], vec![pod(S1, None, None)]),
            n("b", &[("r", "b")], vec![pod(S1, None, None), pod(S1, None, None)]),
            n("c", &[("r", "c")], (0..4).map(|_| pod(S1, None, None)).collect()),
        ];
        let one = pod(S1, preferred(vec![weighted(1, security("S1", "r"))]), None);
        assert_eq!(scores(&one, &nodes), Some(vec![0, 33, 100]));
    }

    #[test]
    fn terminating_pods_still_count() {
        // Hand-derived: NodeInfo.Pods keeps terminating pods, and InterPodAffinity does not skip
        // them (PodTopologySpread does).
        let mut gone = pod(&[("app", "db")], None, None);
        gone.meta.deletion_timestamp = Some(crate::kernel::SimTime::ZERO);
        let nodes = vec![n("a", &[("zone", "z1")], vec![gone]), n("b", &[("zone", "z2")], vec![])];
        let incoming = pod(&[], None, required(vec![term(vec![expr("app", In, &["db"])], "zone")]));
        check("terminating", filter(&incoming, &nodes), &[ANTI, OK]);
    }
}
