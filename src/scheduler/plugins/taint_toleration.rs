//! TaintToleration (`tainttoleration/taint_toleration.go`): rejects nodes with an untolerated
//! NoSchedule/NoExecute taint; scores nodes by their untolerated PreferNoSchedule taints
//! (fewer is better, reversed normalization).

use crate::api::pod::Pod;
use crate::api::taint::{TaintEffect, Toleration, tolerated};
use crate::scheduler::framework::{
    CycleContext, Filter, MAX_NODE_SCORE, NodeInfo, NodeRow, Plugin, PreScore, RowNeed, Rows, Score, Status,
    default_normalize_score,
};

pub const NAME: &str = "TaintToleration";

#[derive(Default)]
pub struct TaintToleration {
    /// The pod's tolerations with effect PreferNoSchedule or empty (PreScore state).
    prefer_tolerations: Vec<Toleration>,
}

impl Plugin for TaintToleration {
    fn name(&self) -> &'static str {
        NAME
    }
    fn node_local(&self) -> bool {
        true
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

/// The node's first NoSchedule or NoExecute taint the pod does not tolerate.
fn first_untolerated<'n>(pod: &Pod, node: &'n NodeInfo) -> Option<&'n crate::api::taint::Taint> {
    node.taints.iter().find(|taint| {
        matches!(taint.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
            && !tolerated(&pod.spec.tolerations, taint)
    })
}

impl Filter for TaintToleration {
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        match first_untolerated(pod, node) {
            Some(taint) => {
                Status::unresolvable(format!("node(s) had untolerated taint {{{}: {}}}", taint.key, taint.value))
            }
            None => Status::success(),
        }
    }
    fn passes(&self, pod: &Pod, node: &NodeInfo) -> bool {
        first_untolerated(pod, node).is_none()
    }
    fn passes_cheaply(&self) -> bool {
        true
    }
    fn row_need(&self, _pod: &Pod) -> Option<RowNeed> {
        // A node without NoSchedule or NoExecute taints passes whatever the pod tolerates.
        Some(RowNeed { absent_flags: NodeRow::TAINTED, fit: None, devices: None })
    }
}

impl PreScore for TaintToleration {
    fn pre_score(&mut self, _cx: &CycleContext<'_>, pod: &Pod, _feasible: &[&NodeInfo]) -> Status {
        self.prefer_tolerations.clear();
        self.prefer_tolerations.extend(
            pod.spec
                .tolerations
                .iter()
                .filter(|t| t.effect.is_none() || t.effect == Some(TaintEffect::PreferNoSchedule))
                .cloned(),
        );
        Status::success()
    }

    fn reads_feasible(&self, _cx: &CycleContext<'_>, _pod: &Pod) -> bool {
        false
    }
}

impl TaintToleration {
    /// The node's PreferNoSchedule taints the pod does not tolerate (its raw score).
    fn intolerable(&self, node: &NodeInfo) -> i64 {
        let untolerated = |t: &&crate::api::taint::Taint| {
            t.effect == TaintEffect::PreferNoSchedule && !tolerated(&self.prefer_tolerations, t)
        };
        node.taints.iter().filter(untolerated).count() as i64
    }
}

impl Score for TaintToleration {
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        Ok(self.intolerable(node))
    }

    fn score_nodes(&self, _pod: &Pod, nodes: &[&NodeInfo], out: &mut [i64]) -> Result<(), Status> {
        for (node, out) in nodes.iter().zip(out.iter_mut()) {
            *out = self.intolerable(node);
        }
        Ok(())
    }

    fn score_rows(&self, _pod: &Pod, nodes: &[&NodeInfo], rows: Rows<'_>, out: &mut [i64]) -> Result<(), Status> {
        // A node without PreferNoSchedule taints scores 0 without a look at its view.
        for ((node, row), out) in nodes.iter().zip(rows.iter()).zip(out.iter_mut()) {
            *out = if row.flags & NodeRow::PREFER_TAINTED == 0 { 0 } else { self.intolerable(node) };
        }
        Ok(())
    }

    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) -> Option<Status> {
        default_normalize_score(MAX_NODE_SCORE, true, scores);
        Some(Status::success())
    }

    fn normalized_when_all_zero(&self) -> Option<i64> {
        Some(MAX_NODE_SCORE)
    }
}

#[cfg(test)]
mod tests {
    //! kube-scheduler's `taint_toleration_test.go` tables (TestTaintTolerationScore,
    //! TestTaintTolerationFilter; the alpha Gt/Lt operators of v1.35+ are out of scope), plus
    //! cases hand-derived from §9 of the reference; each case says which. The filter reason is the
    //! one the reference gives for v1.34, `node(s) had untolerated taint {key: value}`.

    use super::*;
    use crate::api::taint::{Taint, TaintEffect::*, TolerationOperator::*};
    use crate::scheduler::framework::Code;
    use crate::scheduler::plugins::testutil::{NodeInfoExt, PodBuilder, node, taint, toleration};

    /// (name, pod tolerations, node taints, the expected reason or `None` for a fit).
    type FilterRow = (&'static str, Vec<Toleration>, Vec<Taint>, Option<&'static str>);

    fn pod_tolerating(tolerations: Vec<Toleration>) -> Pod {
        PodBuilder::new().tolerations(tolerations).build()
    }

    fn tainted(name: &str, taints: Vec<Taint>) -> NodeInfo {
        node(name, &[]).with_taints(taints)
    }

    /// PreScore, Score on every node, NormalizeScore: the final scores.
    fn final_scores(plugin: &mut TaintToleration, pod: &Pod, nodes: &[NodeInfo]) -> Vec<i64> {
        let feasible: Vec<&NodeInfo> = nodes.iter().collect();
        let status = plugin.pre_score(&CycleContext::default(), pod, &feasible);
        assert!(status.is_success(), "PreScore: {status}");
        let mut scores: Vec<i64> = nodes.iter().map(|n| plugin.score(pod, n).unwrap()).collect();
        crate::scheduler::plugins::testutil::check_score_nodes(plugin, pod, &feasible, &scores, "");
        let status = plugin.normalize(pod, &mut scores).expect("TaintToleration normalizes");
        assert!(status.is_success());
        scores
    }

    #[test]
    fn score_upstream_table() {
        // TestTaintTolerationScore; expected scores as upstream.
        let cases: Vec<(&str, Pod, Vec<NodeInfo>, Vec<i64>)> = vec![
            (
                "node with taints tolerated by the pod, gets a higher score than those node with intolerable taints",
                pod_tolerating(vec![toleration("foo", Equal, "bar", Some(PreferNoSchedule))]),
                vec![
                    tainted("nodeA", vec![taint("foo", "bar", PreferNoSchedule)]),
                    tainted("nodeB", vec![taint("foo", "blah", PreferNoSchedule)]),
                ],
                vec![100, 0],
            ),
            (
                "the nodes that all of their taints are tolerated by the pod, get the same score, no matter how many tolerable taints a node has",
                pod_tolerating(vec![
                    toleration("cpu-type", Equal, "arm64", Some(PreferNoSchedule)),
                    toleration("disk-type", Equal, "ssd", Some(PreferNoSchedule)),
                ]),
                vec![
                    tainted("nodeA", vec![]),
                    tainted("nodeB", vec![taint("cpu-type", "arm64", PreferNoSchedule)]),
                    tainted(
                        "nodeC",
                        vec![taint("cpu-type", "arm64", PreferNoSchedule), taint("disk-type", "ssd", PreferNoSchedule)],
                    ),
                ],
                vec![100, 100, 100],
            ),
            (
                "the more intolerable taints a node has, the lower score it gets",
                pod_tolerating(vec![toleration("foo", Equal, "bar", Some(PreferNoSchedule))]),
                vec![
                    tainted("nodeA", vec![]),
                    tainted("nodeB", vec![taint("cpu-type", "arm64", PreferNoSchedule)]),
                    tainted(
                        "nodeC",
                        vec![taint("cpu-type", "arm64", PreferNoSchedule), taint("disk-type", "ssd", PreferNoSchedule)],
                    ),
                ],
                vec![100, 50, 0],
            ),
            (
                "only taints and tolerations that have effect PreferNoSchedule are checked by taints-tolerations priority function",
                pod_tolerating(vec![
                    toleration("cpu-type", Equal, "arm64", Some(NoSchedule)),
                    toleration("disk-type", Equal, "ssd", Some(NoSchedule)),
                ]),
                vec![
                    tainted("nodeA", vec![]),
                    tainted("nodeB", vec![taint("cpu-type", "arm64", NoSchedule)]),
                    tainted(
                        "nodeC",
                        vec![taint("cpu-type", "arm64", PreferNoSchedule), taint("disk-type", "ssd", PreferNoSchedule)],
                    ),
                ],
                vec![100, 100, 0],
            ),
            (
                "Default behaviour No taints and tolerations, lands on node with no taints",
                pod_tolerating(vec![]),
                vec![tainted("nodeA", vec![]), tainted("nodeB", vec![taint("cpu-type", "arm64", PreferNoSchedule)])],
                vec![100, 0],
            ),
        ];
        for (name, pod, nodes, want) in cases {
            assert_eq!(final_scores(&mut TaintToleration::default(), &pod, &nodes), want, "{name}");
        }
    }

    #[test]
    fn score_hand_derived() {
        // Hand-derived from §9: raw score = number of untolerated PreferNoSchedule taints;
        // DefaultNormalizeScore(100, reverse): 100 - 100*s/max.
        let p = |key: &str| taint(key, "", PreferNoSchedule);
        let nodes =
            vec![tainted("n0", vec![]), tainted("n1", vec![p("a")]), tainted("n3", vec![p("a"), p("b"), p("c")])];
        let pod = pod_tolerating(vec![]);
        let mut plugin = TaintToleration::default();
        let feasible: Vec<&NodeInfo> = nodes.iter().collect();
        assert!(plugin.pre_score(&CycleContext::default(), &pod, &feasible).is_success());
        let raw: Vec<i64> = nodes.iter().map(|n| plugin.score(&pod, n).unwrap()).collect();
        assert_eq!(raw, [0, 1, 3], "raw scores count untolerated PreferNoSchedule taints");
        // 100 - 100*1/3 = 100 - 33 = 67.
        assert_eq!(final_scores(&mut plugin, &pod, &nodes), [100, 67, 0]);

        let cases: Vec<(&str, Pod, Vec<NodeInfo>, Vec<i64>)> = vec![
            (
                // An empty-effect toleration is kept by PreScore and tolerates PreferNoSchedule.
                "toleration with empty effect counts",
                pod_tolerating(vec![toleration("foo", Equal, "bar", None)]),
                vec![tainted("a", vec![taint("foo", "bar", PreferNoSchedule)]), tainted("b", vec![p("x")])],
                vec![100, 0],
            ),
            (
                // Tolerate-everything with effect NoSchedule is dropped by PreScore.
                "NoSchedule toleration of everything does not help scoring",
                pod_tolerating(vec![toleration("", Exists, "", Some(NoSchedule))]),
                vec![tainted("a", vec![]), tainted("b", vec![p("x")])],
                vec![100, 0],
            ),
            (
                "empty key with Exists and empty effect tolerates every taint",
                pod_tolerating(vec![toleration("", Exists, "", None)]),
                vec![tainted("a", vec![]), tainted("b", vec![p("x"), p("y")])],
                vec![100, 100],
            ),
            (
                // NoSchedule / NoExecute taints never count for the score.
                "only PreferNoSchedule taints are counted",
                pod_tolerating(vec![]),
                vec![
                    tainted("a", vec![taint("x", "", NoSchedule), taint("y", "", NoExecute)]),
                    tainted("b", vec![p("x"), p("y")]),
                    tainted("c", vec![p("z")]),
                ],
                vec![100, 0, 50],
            ),
            (
                // Every raw score 0: reversed normalization gives 100 everywhere.
                "no untolerated taint anywhere",
                pod_tolerating(vec![toleration("x", Exists, "", Some(PreferNoSchedule))]),
                vec![tainted("a", vec![]), tainted("b", vec![p("x")])],
                vec![100, 100],
            ),
        ];
        for (name, pod, nodes, want) in cases {
            assert_eq!(final_scores(&mut TaintToleration::default(), &pod, &nodes), want, "{name}");
        }

        // PreScore state belongs to one cycle: a second pod does not inherit the first one's
        // tolerations.
        let mut plugin = TaintToleration::default();
        let nodes = vec![tainted("a", vec![]), tainted("b", vec![p("x")])];
        let tolerant = pod_tolerating(vec![toleration("x", Exists, "", None)]);
        assert_eq!(final_scores(&mut plugin, &tolerant, &nodes), [100, 100]);
        assert_eq!(final_scores(&mut plugin, &pod_tolerating(vec![]), &nodes), [100, 0]);
    }

    #[test]
    fn filter_upstream_table() {
        // TestTaintTolerationFilter (v1.34 reason text, see the module doc).
        let dedicated_user1 = || vec![taint("dedicated", "user1", NoSchedule)];
        let cases: Vec<FilterRow> = vec![
            (
                "A pod having no tolerations can't be scheduled onto a node with nonempty taints",
                vec![],
                dedicated_user1(),
                Some("node(s) had untolerated taint {dedicated: user1}"),
            ),
            (
                "A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule",
                vec![toleration("dedicated", Equal, "user1", Some(NoSchedule))],
                dedicated_user1(),
                None,
            ),
            (
                "A pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule",
                vec![toleration("dedicated", Equal, "user2", Some(NoSchedule))],
                dedicated_user1(),
                Some("node(s) had untolerated taint {dedicated: user1}"),
            ),
            (
                "A pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on the node",
                vec![toleration("foo", Exists, "", Some(NoSchedule))],
                vec![taint("foo", "bar", NoSchedule)],
                None,
            ),
            (
                "A pod has multiple tolerations, node has multiple taints, all the taints are tolerated, pod can be scheduled onto the node",
                vec![
                    toleration("dedicated", Equal, "user2", Some(NoSchedule)),
                    toleration("foo", Exists, "", Some(NoSchedule)),
                ],
                vec![taint("dedicated", "user2", NoSchedule), taint("foo", "bar", NoSchedule)],
                None,
            ),
            (
                "A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn't match, can't be scheduled onto the node",
                vec![toleration("foo", Equal, "bar", Some(PreferNoSchedule))],
                vec![taint("foo", "bar", NoSchedule)],
                Some("node(s) had untolerated taint {foo: bar}"),
            ),
            (
                "The pod has a toleration that keys and values match the taint on the node, the effect of toleration is empty, and the effect of taint is NoSchedule. Pod can be scheduled onto the node",
                vec![toleration("foo", Equal, "bar", None)],
                vec![taint("foo", "bar", NoSchedule)],
                None,
            ),
            (
                "The pod has a toleration that key and value don't match the taint on the node, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
                vec![toleration("dedicated", Equal, "user2", Some(NoSchedule))],
                vec![taint("dedicated", "user1", PreferNoSchedule)],
                None,
            ),
            (
                "The pod has no toleration, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
                vec![],
                vec![taint("dedicated", "user1", PreferNoSchedule)],
                None,
            ),
        ];
        check_filter(cases);
    }

    fn check_filter(cases: Vec<FilterRow>) {
        for (name, tolerations, taints, want) in cases {
            let (pod, node) = (pod_tolerating(tolerations), tainted("nodeA", taints));
            let got = TaintToleration::default().filter(&pod, &node);
            assert_eq!(TaintToleration::default().passes(&pod, &node), got.is_success(), "{name}: passes");
            let met =
                crate::scheduler::plugins::testutil::check_row_need(&TaintToleration::default(), &pod, &node, name);
            // An untainted node (for NoSchedule and NoExecute) passes by its row.
            let untainted = node.taints.iter().all(|t| t.effect == TaintEffect::PreferNoSchedule);
            assert_eq!(met, untainted, "{name}: row");
            match want {
                None => assert!(got.is_success(), "{name}: {got}"),
                Some(reason) => {
                    assert_eq!(got.code, Code::UnschedulableAndUnresolvable, "{name}");
                    assert_eq!(got.reasons[..], [reason], "{name}");
                }
            }
        }
    }

    #[test]
    fn filter_hand_derived() {
        // Hand-derived from §9: NoSchedule and NoExecute taints are checked, in node order; the
        // first untolerated one is named.
        check_filter(vec![
            (
                "untolerated NoExecute taint",
                vec![],
                vec![taint("k", "v", NoExecute)],
                Some("node(s) had untolerated taint {k: v}"),
            ),
            (
                "the first untolerated taint in node order is reported",
                vec![toleration("a", Exists, "", None)],
                vec![taint("a", "1", NoSchedule), taint("b", "2", NoExecute), taint("c", "3", NoSchedule)],
                Some("node(s) had untolerated taint {b: 2}"),
            ),
            (
                "PreferNoSchedule taints before it are skipped",
                vec![],
                vec![taint("p", "0", PreferNoSchedule), taint("c", "3", NoSchedule)],
                Some("node(s) had untolerated taint {c: 3}"),
            ),
            (
                "an empty taint value prints empty",
                vec![],
                vec![taint("node.kubernetes.io/not-ready", "", NoExecute)],
                Some("node(s) had untolerated taint {node.kubernetes.io/not-ready: }"),
            ),
            (
                "empty key with Exists tolerates every taint",
                vec![toleration("", Exists, "", None)],
                vec![taint("a", "1", NoSchedule), taint("b", "2", NoExecute)],
                None,
            ),
            (
                "a NoExecute toleration does not tolerate a NoSchedule taint",
                vec![toleration("a", Exists, "", Some(NoExecute))],
                vec![taint("a", "1", NoSchedule)],
                Some("node(s) had untolerated taint {a: 1}"),
            ),
            (
                "Equal with an empty value tolerates only an empty taint value",
                vec![toleration("a", Equal, "", None)],
                vec![taint("a", "", NoSchedule), taint("a", "x", NoSchedule)],
                Some("node(s) had untolerated taint {a: x}"),
            ),
        ]);
    }
}
