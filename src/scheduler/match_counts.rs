//! Per-node counts of the pods that match a (namespace, label selector), kept in step with the
//! scheduler cache: PodTopologySpread's `countPodsMatchSelector` without visiting every pod of
//! every node in every cycle.
//!
//! kube-scheduler counts by scanning each node's pods in PreScore; with the system default
//! spreading (every Deployment pod spreads over hostname and zone) that scan is
//! O(pods in the cluster) per decision. Here the first query for a (namespace, selector)
//! builds its per-node counts once; every later change to a node's pods in the cache adjusts
//! the counts of the remembered selectors that can match it; the least recently used of more
//! than [`CAPACITY`] selectors is forgotten. Debug builds compare every answer with the scan.
//!
//! Cost: a selector's counts are sparse (only the nodes holding matching pods), so memory
//! follows the pods, not selectors × nodes; selectors are found by hash; a pod change visits
//! only the selectors whose first equality requirement (`key=value`, `key in (...)`) its
//! labels satisfy, plus the few without one; the per-domain sums share one node → domain map
//! per topology key. A new selector with such a requirement is counted from the cache's
//! pods carrying that label (kept here by namespace, key and value), not from every pod of
//! every node: each rollout brings a new ReplicaSet and so a new default spreading selector.
//! Only the label keys some selector has anchored on are kept so (the first such selector
//! files the cache's pods under its key): a Job pod's four generated labels, each with a value
//! of its own, are never anchored on by a spreading selector and cost nothing here.

use crate::hash::{HashMap, HashSet};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::api::meta::KeyLengths;
use crate::api::selector::LabelSelector;
use crate::scheduler::framework::{NodeInfo, PodView};
use crate::store::{NodeId, PodId};

/// Selectors remembered at once (a Deployment's pods share one — with its Service, one per
/// ReplicaSet —; a cycle asks for one per constraint). Memory per selector is its matching
/// pods' nodes, so the bound is generous: thousands of Deployments stay remembered.
pub const CAPACITY: usize = 8192;

/// A selector's matching pods per node index: only nodes with at least one are present.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeCounts(HashMap<u32, i64>);

impl NodeCounts {
    /// The count of the node with this index (0 when it holds no matching pod).
    pub fn get(&self, node_index: usize) -> i64 {
        u32::try_from(node_index).ok().and_then(|i| self.0.get(&i)).copied().unwrap_or(0)
    }

    fn add(&mut self, node: u32, delta: i64) {
        let c = self.0.entry(node).or_insert(0);
        *c += delta;
        if *c == 0 {
            self.0.remove(&node);
        }
    }
}

#[derive(Debug)]
struct Entry {
    namespace: String,
    selector: LabelSelector,
    counts: NodeCounts,
    used: u64,
    /// Per topology key asked for (an index into [`MatchCounts::keys`]): the sums of `counts`
    /// per domain of that key, by domain index (domains past the end sum 0).
    domains: Vec<(usize, Vec<i64>)>,
}

/// Which domain of a node label (a topology key) each node is in; a node without the label is
/// in the domain `""`, as PodTopologySpread's scoring reads a missing label.
#[derive(Debug)]
struct DomainMap {
    key: String,
    /// Per node index, its domain's index in `values` (nodes past the end: not seen yet, so
    /// they hold no pods either).
    node_domain: Vec<u32>,
    values: Vec<String>,
    by_value: BTreeMap<String, u32>,
}

impl DomainMap {
    fn domain_of(&mut self, value: &str) -> u32 {
        if let Some(&d) = self.by_value.get(value) {
            return d;
        }
        let d = self.values.len() as u32;
        self.values.push(value.to_string());
        self.by_value.insert(value.to_string(), d);
        d
    }

    fn build(key: &str, nodes: &[NodeInfo]) -> DomainMap {
        let mut d = DomainMap {
            key: key.to_string(),
            node_domain: Vec::with_capacity(nodes.len()),
            values: Vec::new(),
            by_value: BTreeMap::new(),
        };
        for n in nodes {
            let domain = d.domain_of(n.labels.get(key).map_or("", String::as_str));
            d.node_domain.push(domain);
        }
        d
    }
}

fn add_at(sums: &mut Vec<i64>, domain: u32, delta: i64) {
    let i = domain as usize;
    if sums.len() <= i {
        sums.resize(i + 1, 0);
    }
    sums[i] += delta;
}

/// What `countPodsMatchSelector` counts: a pod not terminating, of the namespace, matching.
pub fn counts_toward(view: &PodView, namespace: &str, selector: &LabelSelector) -> bool {
    !view.terminating && view.namespace == namespace && selector.matches(&view.labels)
}

/// `countPodsMatchSelector` by scanning the node (an empty selector counts none, v1.34).
pub fn scan(node: &NodeInfo, selector: &LabelSelector, namespace: &str) -> i64 {
    if selector.is_empty() {
        return 0;
    }
    node.pods.iter().filter(|p| counts_toward(p, namespace, selector)).count() as i64
}

#[derive(Debug, Default)]
struct Inner {
    entries: Vec<Entry>,
    /// Entry slots by selector (the namespace is compared on the entries).
    by_selector: HashMap<LabelSelector, Vec<usize>>,
    /// Entry slots by their anchor's label key and value.
    anchored: HashMap<String, HashMap<String, Vec<usize>>>,
    /// Entry slots whose selector has no anchor (every pod change is tested against them).
    unanchored: Vec<usize>,
    keys: Vec<DomainMap>,
    /// The cache's pods by namespace, label key and label value, with their node: a new
    /// selector's counts are built from the pods carrying its anchor label, not by visiting
    /// every pod of every node.
    pods: HashMap<String, HashMap<String, HashMap<String, PodsWithLabel>>>,
    /// The label keys `pods` files the cache's pods under: those some selector anchored on.
    indexed: HashSet<String>,
    /// The lengths of every key in `anchored` and `indexed` (never forgotten): a pod change
    /// looks up only its labels whose key has such a length.
    key_lengths: KeyLengths,
}

/// The cache's pods carrying one label, by id: (node index, view).
type PodsWithLabel = BTreeMap<PodId, (u32, Arc<PodView>)>;

/// Files a view (on the node of index `node`) under its label `key` = `value`; names are
/// cloned only the first time they are seen.
fn file(
    pods: &mut HashMap<String, HashMap<String, HashMap<String, PodsWithLabel>>>,
    namespace: &str,
    key: &str,
    value: &str,
    (node, view): (u32, &Arc<PodView>),
) {
    if !pods.contains_key(namespace) {
        pods.insert(namespace.to_string(), HashMap::default());
    }
    let by_key = pods.get_mut(namespace).expect("just inserted");
    if !by_key.contains_key(key) {
        by_key.insert(key.to_string(), HashMap::default());
    }
    let by_value = by_key.get_mut(key).expect("just inserted");
    match by_value.get_mut(value) {
        Some(ids) => {
            ids.insert(view.id, (node, view.clone()));
        }
        None => {
            by_value.insert(value.to_string(), BTreeMap::from([(view.id, (node, view.clone()))]));
        }
    }
}

impl Inner {
    fn find(&self, namespace: &str, selector: &LabelSelector) -> Option<usize> {
        self.by_selector.get(selector)?.iter().copied().find(|&i| self.entries[i].namespace == namespace)
    }

    fn link(&mut self, slot: usize) {
        let e = &self.entries[slot];
        self.by_selector.entry(e.selector.clone()).or_default().push(slot);
        match e.selector.anchor() {
            Some((key, values)) => {
                self.key_lengths.add(key);
                let by_value = self.anchored.entry(key.to_string()).or_default();
                for v in values {
                    by_value.entry(v.clone()).or_default().push(slot);
                }
            }
            None => self.unanchored.push(slot),
        }
    }

    fn unlink(&mut self, slot: usize) {
        let e = &self.entries[slot];
        if let Some(slots) = self.by_selector.get_mut(&e.selector) {
            slots.retain(|&s| s != slot);
            if slots.is_empty() {
                self.by_selector.remove(&e.selector);
            }
        }
        match e.selector.anchor() {
            Some((key, values)) => {
                if let Some(by_value) = self.anchored.get_mut(key) {
                    for v in values {
                        if let Some(slots) = by_value.get_mut(v.as_str()) {
                            slots.retain(|&s| s != slot);
                            if slots.is_empty() {
                                by_value.remove(v.as_str());
                            }
                        }
                    }
                    if by_value.is_empty() {
                        self.anchored.remove(key);
                    }
                }
            }
            None => self.unanchored.retain(|&s| s != slot),
        }
    }

    /// Files the pods of `nodes` (the cache) under `key`, the first time a selector anchors on
    /// it; from then on every pod change keeps it.
    fn index_key(&mut self, key: &str, nodes: &[NodeInfo]) {
        if self.indexed.contains(key) {
            return;
        }
        self.indexed.insert(key.to_string());
        self.key_lengths.add(key);
        for (i, node) in nodes.iter().enumerate() {
            for view in &node.pods {
                if let Some(value) = view.labels.get(key) {
                    file(&mut self.pods, &view.namespace, key, value, (i as u32, view));
                }
            }
        }
    }

    fn key_index(&mut self, key: &str, nodes: &[NodeInfo]) -> usize {
        match self.keys.iter().position(|d| d.key == key) {
            Some(k) => k,
            None => {
                self.keys.push(DomainMap::build(key, nodes));
                self.keys.len() - 1
            }
        }
    }
}

#[derive(Debug, Default)]
pub struct MatchCounts {
    inner: RefCell<Inner>,
    clock: Cell<u64>,
}

impl MatchCounts {
    pub fn new() -> MatchCounts {
        MatchCounts::default()
    }

    /// The slot of (namespace, selector)'s entry, built on the first ask by scanning `nodes`.
    fn entry(&self, nodes: &[NodeInfo], namespace: &str, selector: &LabelSelector) -> usize {
        let tick = self.clock.get() + 1;
        self.clock.set(tick);
        let mut inner = self.inner.borrow_mut();
        let slot = match inner.find(namespace, selector) {
            Some(slot) => slot,
            None => {
                let mut counts = NodeCounts::default();
                match selector.anchor() {
                    Some((key, values)) => {
                        inner.index_key(key, nodes);
                        let by_value = inner.pods.get(namespace).and_then(|by_key| by_key.get(key));
                        for v in values {
                            let Some(pods) = by_value.and_then(|b| b.get(v.as_str())) else { continue };
                            for (node, view) in pods.values() {
                                if counts_toward(view, namespace, selector) {
                                    counts.add(*node, 1);
                                }
                            }
                        }
                    }
                    None => {
                        for (i, n) in nodes.iter().enumerate() {
                            let c = scan(n, selector, namespace);
                            if c != 0 {
                                counts.0.insert(i as u32, c);
                            }
                        }
                    }
                }
                let entry = Entry {
                    namespace: namespace.to_string(),
                    selector: selector.clone(),
                    counts,
                    used: 0,
                    domains: Vec::new(),
                };
                let slot = if inner.entries.len() < CAPACITY {
                    inner.entries.push(entry);
                    inner.entries.len() - 1
                } else {
                    let oldest = (0..inner.entries.len()).min_by_key(|&i| inner.entries[i].used).expect("full");
                    inner.unlink(oldest);
                    inner.entries[oldest] = entry;
                    oldest
                };
                inner.link(slot);
                slot
            }
        };
        inner.entries[slot].used = tick;
        slot
    }

    /// Per node index, the pods of `nodes` that count for (namespace, selector); built on the
    /// first ask. `nodes` must be the cache these counts follow.
    pub fn counts(&self, nodes: &[NodeInfo], namespace: &str, selector: &LabelSelector) -> NodeCounts {
        let slot = self.entry(nodes, namespace, selector);
        let counts = self.inner.borrow().entries[slot].counts.clone();
        debug_assert!(
            nodes.iter().enumerate().all(|(i, n)| counts.get(i) == scan(n, selector, namespace)),
            "match counts for {namespace}/{selector} differ from the scan"
        );
        counts
    }

    /// Adds to `domains` (values of the label `key`, each with 0 or a partial sum) the pods of
    /// every node in that domain that count for (namespace, selector) — PodTopologySpread's
    /// per-domain counts when every node is included — without visiting the nodes.
    pub fn add_domain_counts(
        &self,
        nodes: &[NodeInfo],
        namespace: &str,
        selector: &LabelSelector,
        key: &str,
        domains: &mut BTreeMap<String, i64>,
    ) {
        let slot = self.entry(nodes, namespace, selector);
        let mut inner = self.inner.borrow_mut();
        let k = inner.key_index(key, nodes);
        let Inner { entries, keys, .. } = &mut *inner;
        let map = &keys[k];
        let e = &mut entries[slot];
        let at = match e.domains.iter().position(|(dk, _)| *dk == k) {
            Some(i) => i,
            None => {
                let mut sums = Vec::new();
                for (&node, &c) in &e.counts.0 {
                    // Every node the cache holds has a domain (built over them, or given one when
                    // it was added).
                    if let Some(&domain) = map.node_domain.get(node as usize) {
                        add_at(&mut sums, domain, c);
                    }
                }
                e.domains.push((k, sums));
                e.domains.len() - 1
            }
        };
        let sums = &e.domains[at].1;
        for (value, count) in domains.iter_mut() {
            if let Some(&i) = map.by_value.get(value) {
                *count += sums.get(i as usize).copied().unwrap_or(0);
            }
        }
        debug_assert!(
            map.by_value.iter().all(|(value, &i)| {
                let scanned: i64 = nodes
                    .iter()
                    .filter(|n| n.labels.get(key).map_or("", String::as_str) == value)
                    .map(|n| scan(n, selector, namespace))
                    .sum();
                sums.get(i as usize).copied().unwrap_or(0) == scanned
            }),
            "domain sums for {namespace}/{selector} over {key} differ from the scan"
        );
    }

    /// A pod view joined (`sign` 1) or left (−1) `node` in the cache.
    pub fn pod_changed(&mut self, node: NodeId, view: &Arc<PodView>, sign: i64) {
        let Inner { entries, anchored, unanchored, keys, pods, indexed, key_lengths, .. } = self.inner.get_mut();
        // The pod's labels that may be filed or anchored on.
        let labels = || key_lengths.of(&view.labels);
        if sign > 0 {
            for (key, value) in labels() {
                if indexed.contains(key.as_str()) {
                    file(pods, &view.namespace, key, value, (node.0, view));
                }
            }
        } else if let Some(by_key) = pods.get_mut(view.namespace.as_str()) {
            for (key, value) in labels() {
                if let Some(by_value) = by_key.get_mut(key.as_str())
                    && let Some(ids) = by_value.get_mut(value.as_str())
                {
                    ids.remove(&view.id);
                    if ids.is_empty() {
                        by_value.remove(value.as_str());
                    }
                }
            }
        }
        let mut apply = |slot: usize| {
            let e = &mut entries[slot];
            if !e.selector.is_empty() && counts_toward(view, &e.namespace, &e.selector) {
                e.counts.add(node.0, sign);
                for (k, sums) in &mut e.domains {
                    if let Some(&domain) = keys[*k].node_domain.get(node.index()) {
                        add_at(sums, domain, sign);
                    }
                }
            }
        };
        for (key, value) in labels() {
            if let Some(slots) = anchored.get(key.as_str()).and_then(|by_value| by_value.get(value.as_str())) {
                slots.iter().for_each(|&s| apply(s));
            }
        }
        unanchored.iter().for_each(|&s| apply(s));
    }

    /// `node`'s labels are now `labels` (a refresh, or a new node): it moves between domains.
    pub fn node_labelled(&mut self, node: NodeId, labels: &crate::api::meta::Labels) {
        let Inner { entries, keys, .. } = self.inner.get_mut();
        for (k, map) in keys.iter_mut().enumerate() {
            let new = map.domain_of(labels.get(&map.key).map_or("", String::as_str));
            let old = if map.node_domain.len() <= node.index() {
                // Nodes between (never seen) hold nothing; they get their domain when their
                // turn comes, by this same call.
                let filler = map.domain_of("");
                map.node_domain.resize(node.index() + 1, filler);
                None
            } else {
                Some(map.node_domain[node.index()])
            };
            map.node_domain[node.index()] = new;
            if old == Some(new) {
                continue;
            }
            for e in entries.iter_mut() {
                let count = e.counts.get(node.index());
                if count == 0 {
                    continue;
                }
                for (_, sums) in e.domains.iter_mut().filter(|(dk, _)| *dk == k) {
                    if let Some(old) = old {
                        add_at(sums, old, -count);
                    }
                    add_at(sums, new, count);
                }
            }
        }
    }

    /// Every pod of `node` left the cache at once (the node was deleted).
    pub fn node_cleared(&mut self, node: NodeId) {
        let Inner { entries, keys, pods, .. } = self.inner.get_mut();
        for by_key in pods.values_mut() {
            for by_value in by_key.values_mut() {
                for ids in by_value.values_mut() {
                    ids.retain(|_, (n, _)| *n != node.0);
                }
                by_value.retain(|_, ids| !ids.is_empty());
            }
        }
        for e in entries.iter_mut() {
            let Some(c) = e.counts.0.remove(&node.0) else { continue };
            for (k, sums) in &mut e.domains {
                if let Some(&domain) = keys[*k].node_domain.get(node.index()) {
                    add_at(sums, domain, -c);
                }
            }
        }
    }

    /// Selectors remembered now (for tests).
    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.inner.borrow().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::Pod;
    use crate::scheduler::plugins::testutil::{NodeInfoExt, node, pod};

    fn labelled(app: &str) -> Pod {
        let mut p = pod(&[("cpu", "1")]);
        p.meta.namespace = "default".into();
        p.meta.labels.insert("app".into(), app.into());
        p
    }

    fn dense(c: &NodeCounts) -> [i64; 2] {
        [c.get(0), c.get(1)]
    }

    fn nodes() -> Vec<NodeInfo> {
        let mut a = node("a", &[("cpu", "8")]).with_pods(&[labelled("web"), labelled("web"), labelled("db")]);
        let mut b = node("b", &[("cpu", "8")]).with_pods(&[labelled("db")]);
        a.id = NodeId(0);
        b.id = NodeId(1);
        vec![a, b]
    }

    /// Match counts that have been told of every pod of `nodes`, as the cache tells them.
    fn reported(nodes: &[NodeInfo]) -> MatchCounts {
        let mut m = MatchCounts::new();
        for (i, n) in nodes.iter().enumerate() {
            for p in &n.pods {
                m.pod_changed(NodeId(i as u32), p, 1);
            }
        }
        m
    }

    #[test]
    fn a_key_is_filed_from_the_cache_when_a_selector_first_anchors_on_it() {
        let mut nodes = nodes();
        let mut m = reported(&nodes);
        assert!(m.inner.borrow().pods.is_empty(), "no selector yet: no label filed");
        // The first selector on `app` files the pods already in the cache.
        let db = LabelSelector::parse("app=db").unwrap();
        assert_eq!(dense(&m.counts(&nodes, "default", &db)), [1, 1]);
        assert!(m.inner.borrow().indexed.contains("app"));
        // Later pods are filed as they come, under `app` only: a second selector on `app`
        // is counted from them, and a label no selector anchored on is not kept.
        let mut later = labelled("web");
        later.meta.labels.insert("job-name".into(), "j-1".into());
        nodes[1].add_pod(crate::store::PodId(9), &later);
        m.pod_changed(NodeId(1), nodes[1].pods.last().unwrap(), 1);
        let web = LabelSelector::parse("app=web").unwrap();
        assert_eq!(dense(&m.counts(&nodes, "default", &web)), [2, 1]);
        assert!(!m.inner.borrow().pods["default"].contains_key("job-name"));
        let job = LabelSelector::parse("job-name=j-1").unwrap();
        assert_eq!(dense(&m.counts(&nodes, "default", &job)), [0, 1], "filed on its first anchor");
        // Leaving the cache removes a pod from every key it is filed under.
        let gone = nodes[1].pods.pop().unwrap();
        nodes[1].pod_keys.pop();
        m.pod_changed(NodeId(1), &gone, -1);
        assert_eq!(dense(&m.counts(&nodes, "default", &job)), [0, 0]);
        assert_eq!(dense(&m.counts(&nodes, "default", &web)), [2, 0]);
    }

    #[test]
    fn counts_follow_the_pods_and_forget_the_least_recently_used() {
        let mut nodes = nodes();
        // The cache reports every pod it holds.
        let mut m = reported(&nodes);
        let web = LabelSelector::parse("app=web").unwrap();
        assert_eq!(dense(&m.counts(&nodes, "default", &web)), [2, 0]);
        assert_eq!(dense(&m.counts(&nodes, "other", &web)), [0, 0], "another namespace counts nothing");
        // A web pod joins b, one on a starts terminating: the counts move without a rescan.
        let added = labelled("web");
        nodes[1].add_pod(crate::store::PodId(7), &added);
        m.pod_changed(NodeId(1), nodes[1].pods.last().unwrap(), 1);
        let old = nodes[0].pods[0].clone();
        let mut gone = (*old).clone();
        gone.terminating = true;
        let gone = Arc::new(gone);
        m.pod_changed(NodeId(0), &old, -1);
        m.pod_changed(NodeId(0), &gone, 1);
        nodes[0].pods[0] = gone;
        assert_eq!(dense(&m.counts(&nodes, "default", &web)), [1, 1]);
        m.node_cleared(NodeId(1));
        nodes[1].pods.clear();
        nodes[1].pod_keys.clear();
        assert_eq!(dense(&m.counts(&nodes, "default", &web)), [1, 0]);
        // More selectors than the capacity: the oldest is rebuilt when asked again.
        for k in 0..CAPACITY {
            let s = LabelSelector::parse(&format!("app=x{k}")).unwrap();
            assert_eq!(dense(&m.counts(&nodes, "default", &s)), [0, 0]);
        }
        assert_eq!(m.remembered(), CAPACITY);
        assert!(m.inner.borrow().find("default", &web).is_none(), "web was the least recently used");
        assert_eq!(dense(&m.counts(&nodes, "default", &web)), [1, 0], "rebuilt by a scan");
        // Per-domain sums: a in zone-1, b without a zone label (domain ""), then b moves to
        // zone-1 and gets a web pod.
        nodes[0].labels.insert("zone".into(), "zone-1".into());
        m.node_labelled(NodeId(0), &nodes[0].labels);
        let sums = |m: &MatchCounts, nodes: &[NodeInfo]| {
            let mut d: std::collections::BTreeMap<String, i64> =
                [("zone-1".to_string(), 0), (String::new(), 0), ("zone-9".to_string(), 0)].into_iter().collect();
            m.add_domain_counts(nodes, "default", &web, "zone", &mut d);
            d.into_iter().collect::<Vec<_>>()
        };
        assert_eq!(sums(&m, &nodes), [(String::new(), 0), ("zone-1".into(), 1), ("zone-9".into(), 0)]);
        nodes[1].labels.insert("zone".into(), "zone-1".into());
        m.node_labelled(NodeId(1), &nodes[1].labels);
        nodes[1].add_pod(crate::store::PodId(8), &labelled("web"));
        m.pod_changed(NodeId(1), nodes[1].pods.last().unwrap(), 1);
        assert_eq!(sums(&m, &nodes), [(String::new(), 0), ("zone-1".into(), 2), ("zone-9".into(), 0)]);
        m.node_cleared(NodeId(1));
        nodes[1].pods.clear();
        nodes[1].pod_keys.clear();
        assert_eq!(sums(&m, &nodes), [(String::new(), 0), ("zone-1".into(), 1), ("zone-9".into(), 0)]);
        // An empty selector counts none (v1.34).
        assert_eq!(dense(&m.counts(&nodes, "default", &LabelSelector::everything())), [0, 0]);
        // A selector without an equality requirement is tested against every pod change.
        let not_db = LabelSelector::parse("app,app notin (db)").unwrap();
        assert_eq!(dense(&m.counts(&nodes, "default", &not_db)), [1, 0]);
        nodes[1].add_pod(crate::store::PodId(9), &labelled("cache"));
        m.pod_changed(NodeId(1), nodes[1].pods.last().unwrap(), 1);
        nodes[1].add_pod(crate::store::PodId(10), &labelled("db"));
        m.pod_changed(NodeId(1), nodes[1].pods.last().unwrap(), 1);
        assert_eq!(dense(&m.counts(&nodes, "default", &not_db)), [1, 1]);
        assert_eq!(dense(&m.counts(&nodes, "default", &web)), [1, 0], "anchored on app=web: untouched");
    }
}
