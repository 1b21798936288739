//! Per-node counts of the pods that match a (namespace, label selector), kept in step with the
//! scheduler cache: PodTopologySpread's `countPodsMatchSelector` without visiting every pod of
//! every node in every cycle.
//!
//! kube-scheduler counts by scanning each node's pods in PreScore; with the system default
//! spreading (every Deployment pod spreads over hostname and zone) that scan is
//! O(pods in the cluster) per decision. Here the first query for a (namespace, selector)
//! builds its per-node counts once; every later change to a node's pods in the cache adjusts
//! the counts of every remembered selector; the least recently used of more than
//! [`CAPACITY`] selectors is forgotten. Debug builds compare every answer with the scan.

use std::cell::{Cell, Ref, RefCell};

use crate::api::selector::LabelSelector;
use crate::scheduler::framework::{NodeInfo, PodView};
use crate::store::NodeId;

/// Selectors remembered at once (a Deployment's pods share one; a cycle asks for one per
/// constraint).
pub const CAPACITY: usize = 64;

#[derive(Debug)]
struct Entry {
    namespace: String,
    selector: LabelSelector,
    /// By node index; nodes past the end count 0.
    counts: Vec<i64>,
    used: u64,
    /// Sums of `counts` per value of a node label (a topology key), asked for by key.
    domains: Vec<DomainSums>,
}

/// `counts` summed per value of the label `key` (a node without it is in the domain `""`,
/// as PodTopologySpread's scoring reads a missing label).
#[derive(Debug)]
struct DomainSums {
    key: String,
    /// Per node index, its domain's index in `values` (nodes past the end: not seen yet, so
    /// they hold no pods either).
    node_domain: Vec<u32>,
    values: Vec<String>,
    by_value: std::collections::BTreeMap<String, u32>,
    sums: Vec<i64>,
}

impl DomainSums {
    fn domain_of(&mut self, value: &str) -> u32 {
        if let Some(&d) = self.by_value.get(value) {
            return d;
        }
        let d = self.values.len() as u32;
        self.values.push(value.to_string());
        self.by_value.insert(value.to_string(), d);
        self.sums.push(0);
        d
    }

    fn build(key: &str, nodes: &[NodeInfo], counts: &[i64]) -> DomainSums {
        let mut d = DomainSums {
            key: key.to_string(),
            node_domain: Vec::with_capacity(nodes.len()),
            values: Vec::new(),
            by_value: std::collections::BTreeMap::new(),
            sums: Vec::new(),
        };
        for (i, n) in nodes.iter().enumerate() {
            let domain = d.domain_of(n.labels.get(key).map_or("", String::as_str));
            d.node_domain.push(domain);
            d.sums[domain as usize] += counts.get(i).copied().unwrap_or(0);
        }
        d
    }
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
pub struct MatchCounts {
    entries: RefCell<Vec<Entry>>,
    clock: Cell<u64>,
}

impl MatchCounts {
    pub fn new() -> MatchCounts {
        MatchCounts::default()
    }

    /// Per node index, the pods of `nodes` that count for (namespace, selector); built on the
    /// first ask. `nodes` must be the cache these counts follow.
    pub fn counts(&self, nodes: &[NodeInfo], namespace: &str, selector: &LabelSelector) -> Ref<'_, [i64]> {
        let tick = self.clock.get() + 1;
        self.clock.set(tick);
        let found = self.entries.borrow().iter().position(|e| e.namespace == namespace && e.selector == *selector);
        let index = match found {
            Some(i) => i,
            None => {
                let counts: Vec<i64> = nodes.iter().map(|n| scan(n, selector, namespace)).collect();
                let entry = Entry {
                    namespace: namespace.to_string(),
                    selector: selector.clone(),
                    counts,
                    used: 0,
                    domains: Vec::new(),
                };
                let mut entries = self.entries.borrow_mut();
                if entries.len() < CAPACITY {
                    entries.push(entry);
                    entries.len() - 1
                } else {
                    let oldest = (0..entries.len()).min_by_key(|&i| entries[i].used).expect("full");
                    entries[oldest] = entry;
                    oldest
                }
            }
        };
        self.entries.borrow_mut()[index].used = tick;
        let counts = Ref::map(self.entries.borrow(), |e| e[index].counts.as_slice());
        debug_assert!(
            nodes.iter().enumerate().all(|(i, n)| counts.get(i).copied().unwrap_or(0) == scan(n, selector, namespace)),
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
        domains: &mut std::collections::BTreeMap<String, i64>,
    ) {
        drop(self.counts(nodes, namespace, selector));
        let mut entries = self.entries.borrow_mut();
        let e = entries
            .iter_mut()
            .find(|e| e.namespace == namespace && e.selector == *selector)
            .expect("counts() just remembered it");
        let at = match e.domains.iter().position(|d| d.key == key) {
            Some(i) => i,
            None => {
                e.domains.push(DomainSums::build(key, nodes, &e.counts));
                e.domains.len() - 1
            }
        };
        let d = &e.domains[at];
        for (value, count) in domains.iter_mut() {
            if let Some(&i) = d.by_value.get(value) {
                *count += d.sums[i as usize];
            }
        }
        debug_assert!(
            d.by_value.iter().all(|(value, &i)| {
                let scanned: i64 = nodes
                    .iter()
                    .filter(|n| n.labels.get(key).map_or("", String::as_str) == value)
                    .map(|n| scan(n, selector, namespace))
                    .sum();
                d.sums[i as usize] == scanned
            }),
            "domain sums for {namespace}/{selector} over {key} differ from the scan"
        );
    }

    /// A pod view joined (`sign` 1) or left (−1) `node` in the cache.
    pub fn pod_changed(&mut self, node: NodeId, view: &PodView, sign: i64) {
        for e in self.entries.get_mut() {
            if !e.selector.is_empty() && counts_toward(view, &e.namespace, &e.selector) {
                if e.counts.len() <= node.index() {
                    e.counts.resize(node.index() + 1, 0);
                }
                e.counts[node.index()] += sign;
                for d in &mut e.domains {
                    if let Some(&domain) = d.node_domain.get(node.index()) {
                        d.sums[domain as usize] += sign;
                    }
                }
            }
        }
    }

    /// `node`'s labels are now `labels` (a refresh, or a new node): it moves between domains.
    pub fn node_labelled(&mut self, node: NodeId, labels: &crate::api::meta::Labels) {
        for e in self.entries.get_mut() {
            let count = e.counts.get(node.index()).copied().unwrap_or(0);
            for d in &mut e.domains {
                let new = d.domain_of(labels.get(&d.key).map_or("", String::as_str));
                if d.node_domain.len() <= node.index() {
                    // Nodes between (never seen) hold nothing; they get their domain when
                    // their turn comes, by this same call.
                    let filler = d.domain_of("");
                    d.node_domain.resize(node.index() + 1, filler);
                    d.node_domain[node.index()] = new;
                    d.sums[new as usize] += count;
                    continue;
                }
                let old = d.node_domain[node.index()];
                if old != new {
                    d.sums[old as usize] -= count;
                    d.sums[new as usize] += count;
                    d.node_domain[node.index()] = new;
                }
            }
        }
    }

    /// Every pod of `node` left the cache at once (the node was deleted).
    pub fn node_cleared(&mut self, node: NodeId) {
        for e in self.entries.get_mut() {
            if let Some(c) = e.counts.get_mut(node.index()) {
                for d in &mut e.domains {
                    if let Some(&domain) = d.node_domain.get(node.index()) {
                        d.sums[domain as usize] -= *c;
                    }
                }
                *c = 0;
            }
        }
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

    fn nodes() -> Vec<NodeInfo> {
        let mut a = node("a", &[("cpu", "8")]).with_pods(&[labelled("web"), labelled("web"), labelled("db")]);
        let mut b = node("b", &[("cpu", "8")]).with_pods(&[labelled("db")]);
        a.id = NodeId(0);
        b.id = NodeId(1);
        vec![a, b]
    }

    #[test]
    fn counts_follow_the_pods_and_forget_the_least_recently_used() {
        let mut nodes = nodes();
        let mut m = MatchCounts::new();
        let web = LabelSelector::parse("app=web").unwrap();
        assert_eq!(&*m.counts(&nodes, "default", &web), [2, 0]);
        assert_eq!(&*m.counts(&nodes, "other", &web), [0, 0], "another namespace counts nothing");
        // A web pod joins b, one on a starts terminating: the counts move without a rescan.
        let added = labelled("web");
        nodes[1].add_pod(crate::store::PodId(7), &added);
        m.pod_changed(NodeId(1), nodes[1].pods.last().unwrap(), 1);
        let old = nodes[0].pods[0].clone();
        let mut gone = (*old).clone();
        gone.terminating = true;
        m.pod_changed(NodeId(0), &old, -1);
        m.pod_changed(NodeId(0), &gone, 1);
        nodes[0].pods[0] = std::sync::Arc::new(gone);
        assert_eq!(&*m.counts(&nodes, "default", &web), [1, 1]);
        m.node_cleared(NodeId(1));
        nodes[1].pods.clear();
        assert_eq!(&*m.counts(&nodes, "default", &web), [1, 0]);
        // More selectors than the capacity: the oldest is rebuilt when asked again.
        for k in 0..CAPACITY {
            let s = LabelSelector::parse(&format!("app=x{k}")).unwrap();
            assert_eq!(&*m.counts(&nodes, "default", &s), [0, 0]);
        }
        assert_eq!(m.entries.borrow().len(), CAPACITY);
        assert!(!m.entries.borrow().iter().any(|e| e.selector == web), "web was the least recently used");
        assert_eq!(&*m.counts(&nodes, "default", &web), [1, 0], "rebuilt by a scan");
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
        assert_eq!(sums(&m, &nodes), [(String::new(), 0), ("zone-1".into(), 1), ("zone-9".into(), 0)]);
        // An empty selector counts none (v1.34).
        assert_eq!(&*m.counts(&nodes, "default", &LabelSelector::everything()), [0, 0]);
    }
}
