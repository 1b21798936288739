//! NodeAffinity (`nodeaffinity/node_affinity.go`): `nodeSelector` plus required node affinity
//! as a filter (with the `metadata.name` PreFilterResult), preferred node affinity as a score
//! normalized by the maximum.

use crate::api::node_selector::{CompiledPreferredTerms, RequiredNodeAffinity};
use crate::api::pod::Pod;
use crate::scheduler::framework::{
    CycleContext, Filter, MAX_NODE_SCORE, NodeInfo, Plugin, PreFilter, PreFilterResult, PreScore, Score, Status,
    default_normalize_score,
};

pub const NAME: &str = "NodeAffinity";

const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";

#[derive(Default)]
pub struct NodeAffinity {
    required: Option<RequiredNodeAffinity>,
    preferred: Option<CompiledPreferredTerms>,
}

impl Plugin for NodeAffinity {
    fn name(&self) -> &'static str {
        NAME
    }
    fn node_local(&self) -> bool {
        true
    }
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilter> {
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

impl PreFilter for NodeAffinity {
    fn pre_filter(&mut self, _cx: &CycleContext<'_>, pod: &Pod) -> (PreFilterResult, Status) {
        let required = pod.spec.affinity.node_affinity.as_ref().and_then(|a| a.required.as_ref());
        if required.is_none() && pod.spec.node_selector.is_empty() {
            self.required = None;
            return (PreFilterResult::default(), Status::skip());
        }
        self.required = Some(RequiredNodeAffinity::new(&pod.spec.node_selector, required));
        // Terms that all pin `metadata.name` restrict the candidate nodes.
        if let Some(sel) = required
            && let Some(names) = sel.pre_filter_node_names()
        {
            if names.is_empty() {
                return (PreFilterResult::default(), Status::unresolvable("pod affinity terms conflict"));
            }
            return (PreFilterResult { node_names: Some(names) }, Status::success());
        }
        (PreFilterResult::default(), Status::success())
    }
}

impl Filter for NodeAffinity {
    fn filter(&self, _pod: &Pod, node: &NodeInfo) -> Status {
        match &self.required {
            Some(r) if !r.matches(&node.name, &node.labels) => Status::unresolvable(ERR_REASON_POD),
            _ => Status::success(),
        }
    }
}

impl PreScore for NodeAffinity {
    fn pre_score(&mut self, _cx: &CycleContext<'_>, pod: &Pod, _feasible: &[&NodeInfo]) -> Status {
        let preferred = pod.spec.affinity.node_affinity.as_ref().map(|a| a.preferred.as_slice()).unwrap_or(&[]);
        if preferred.is_empty() {
            self.preferred = None;
            return Status::skip();
        }
        match CompiledPreferredTerms::new(preferred) {
            Ok(c) => {
                self.preferred = Some(c);
                Status::success()
            }
            Err(e) => Status::error(e.to_string()),
        }
    }

    fn reads_feasible(&self, _cx: &CycleContext<'_>, _pod: &Pod) -> bool {
        false
    }
}

impl Score for NodeAffinity {
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        Ok(self.preferred.as_ref().map_or(0, |p| p.score(&node.name, &node.labels)))
    }

    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) -> Option<Status> {
        default_normalize_score(MAX_NODE_SCORE, false, scores);
        Some(Status::success())
    }

    fn normalized_when_all_zero(&self) -> Option<i64> {
        Some(0)
    }
}

#[cfg(test)]
mod tests {
    //! kube-scheduler's `node_affinity_test.go` tables (TestNodeAffinity, TestNodeAffinityPriority)
    //! without the scheduler-enforced `addedAffinity` cases (NodeAffinityArgs are not modelled),
    //! plus cases hand-derived from §2.5 and §10 of the reference; each case says which.

    use std::collections::BTreeSet;

    use super::*;
    use crate::api::node_selector::{NodeSelectorOperator::*, NodeSelectorTerm, PreferredSchedulingTerm};
    use crate::api::pod::NodeAffinity as PodNodeAffinity;
    use crate::scheduler::framework::Code;
    use crate::scheduler::plugins::testutil::{
        NodeInfoExt, PodBuilder, no_container_pod, node, required_affinity, requirement, term,
    };

    /// What PreFilter must return.
    #[derive(Debug)]
    enum Pre {
        Skip,
        /// Success with all nodes eligible.
        All,
        /// Success narrowed to these node names.
        Names(&'static [&'static str]),
        /// UnschedulableAndUnresolvable "pod affinity terms conflict".
        Conflict,
    }

    struct Case {
        name: &'static str,
        pod: Pod,
        node_name: &'static str,
        labels: &'static [(&'static str, &'static str)],
        pre: Pre,
        /// Whether Filter accepts the node.
        fits: bool,
    }

    fn with_required(terms: Vec<NodeSelectorTerm>) -> Pod {
        PodBuilder::new().node_affinity(required_affinity(terms)).build()
    }

    fn exprs(requirements: Vec<crate::api::node_selector::NodeSelectorRequirement>) -> NodeSelectorTerm {
        term(requirements, vec![])
    }

    fn name_in(names: &[&str]) -> crate::api::node_selector::NodeSelectorRequirement {
        requirement("metadata.name", In, names)
    }

    fn check(cases: Vec<Case>) {
        for c in cases {
            let mut plugin = NodeAffinity::default();
            let n = node(c.node_name, &[]).with_labels(c.labels);
            let (result, status) = plugin.pre_filter(&CycleContext::with_nodes(std::slice::from_ref(&n)), &c.pod);
            match c.pre {
                Pre::Skip => assert_eq!(status.code, Code::Skip, "{}: {status}", c.name),
                Pre::All => {
                    assert!(status.is_success(), "{}: {status}", c.name);
                    assert_eq!(result.node_names, None, "{}", c.name);
                }
                Pre::Names(names) => {
                    assert!(status.is_success(), "{}: {status}", c.name);
                    let want: BTreeSet<String> = names.iter().map(|s| s.to_string()).collect();
                    assert_eq!(result.node_names, Some(want), "{}", c.name);
                }
                Pre::Conflict => {
                    assert_eq!(status.code, Code::UnschedulableAndUnresolvable, "{}", c.name);
                    assert_eq!(status.reasons[..], ["pod affinity terms conflict"], "{}", c.name);
                }
            }
            let got = plugin.filter(&c.pod, &n);
            if c.fits {
                assert!(got.is_success(), "{}: {got}", c.name);
            } else {
                assert_eq!(got.code, Code::UnschedulableAndUnresolvable, "{}", c.name);
                assert_eq!(got.reasons[..], [ERR_REASON_POD], "{}", c.name);
            }
        }
    }

    #[test]
    fn filter_upstream_table() {
        let selector = |labels: &[(&str, &str)]| PodBuilder::new().node_selector(labels).build();
        check(vec![
            Case {
                name: "missing labels",
                pod: selector(&[("foo", "bar")]),
                node_name: "",
                labels: &[],
                pre: Pre::All,
                fits: false,
            },
            Case {
                name: "same labels",
                pod: selector(&[("foo", "bar")]),
                node_name: "",
                labels: &[("foo", "bar")],
                pre: Pre::All,
                fits: true,
            },
            Case {
                name: "node labels are superset",
                pod: selector(&[("foo", "bar")]),
                node_name: "",
                labels: &[("foo", "bar"), ("baz", "blah")],
                pre: Pre::All,
                fits: true,
            },
            Case {
                name: "node labels are subset",
                pod: selector(&[("foo", "bar"), ("baz", "blah")]),
                node_name: "",
                labels: &[("foo", "bar")],
                pre: Pre::All,
                fits: false,
            },
            Case {
                name: "Pod with matchExpressions using In operator that matches the existing node",
                pod: with_required(vec![exprs(vec![requirement("foo", In, &["bar", "value2"])])]),
                node_name: "",
                labels: &[("foo", "bar")],
                pre: Pre::All,
                fits: true,
            },
            Case {
                name: "Pod with matchExpressions using Gt operator that matches the existing node",
                pod: with_required(vec![exprs(vec![requirement("kernel-version", Gt, &["0204"])])]),
                node_name: "",
                labels: &[("kernel-version", "0206")],
                pre: Pre::All,
                fits: true,
            },
            Case {
                name: "Pod with matchExpressions using NotIn operator that matches the existing node",
                pod: with_required(vec![exprs(vec![requirement("mem-type", NotIn, &["DDR", "DDR2"])])]),
                node_name: "",
                labels: &[("mem-type", "DDR3")],
                pre: Pre::All,
                fits: true,
            },
            Case {
                name: "Pod with matchExpressions using Exists operator that matches the existing node",
                pod: with_required(vec![exprs(vec![requirement("GPU", Exists, &[])])]),
                node_name: "",
                labels: &[("GPU", "NVIDIA-GRID-K1")],
                pre: Pre::All,
                fits: true,
            },
            Case {
                name: "Pod with affinity that don't match node's labels won't schedule onto the node",
                pod: with_required(vec![exprs(vec![requirement("foo", In, &["value1", "value2"])])]),
                node_name: "",
                labels: &[("foo", "bar")],
                pre: Pre::All,
                fits: false,
            },
            Case {
                name: "Pod with empty MatchExpressions is not a valid value will match no objects and won't schedule onto the node",
                pod: with_required(vec![exprs(vec![])]),
                node_name: "",
                labels: &[("foo", "bar")],
                pre: Pre::All,
                fits: false,
            },
            Case {
                name: "Pod with no Affinity will schedule onto a node",
                pod: no_container_pod(),
                node_name: "",
                labels: &[("foo", "bar")],
                pre: Pre::Skip,
                fits: true,
            },
            Case {
                name: "Pod with Affinity but nil NodeSelector will schedule onto a node",
                pod: PodBuilder::new().node_affinity(PodNodeAffinity::default()).build(),
                node_name: "",
                labels: &[("foo", "bar")],
                pre: Pre::Skip,
                fits: true,
            },
            Case {
                name: "Pod with multiple matchExpressions ANDed that matches the existing node",
                pod: with_required(vec![exprs(vec![
                    requirement("GPU", Exists, &[]),
                    requirement("GPU", NotIn, &["AMD", "INTER"]),
                ])]),
                node_name: "",
                labels: &[("GPU", "NVIDIA-GRID-K1")],
                pre: Pre::All,
                fits: true,
            },
            Case {
                name: "Pod with multiple matchExpressions ANDed that doesn't match the existing node",
                pod: with_required(vec![exprs(vec![
                    requirement("GPU", Exists, &[]),
                    requirement("GPU", In, &["AMD", "INTER"]),
                ])]),
                node_name: "",
                labels: &[("GPU", "NVIDIA-GRID-K1")],
                pre: Pre::All,
                fits: false,
            },
            Case {
                name: "Pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels and will schedule onto the node",
                pod: with_required(vec![
                    exprs(vec![requirement("foo", In, &["bar", "value2"])]),
                    exprs(vec![requirement("diffkey", In, &["wrong", "value2"])]),
                ]),
                node_name: "",
                labels: &[("foo", "bar")],
                pre: Pre::All,
                fits: true,
            },
            Case {
                name: "Pod with an Affinity and a PodSpec.NodeSelector both are satisfied, will schedule onto the node",
                pod: PodBuilder::new()
                    .node_selector(&[("foo", "bar")])
                    .node_affinity(required_affinity(vec![exprs(vec![requirement("foo", Exists, &[])])]))
                    .build(),
                node_name: "",
                labels: &[("foo", "bar")],
                pre: Pre::All,
                fits: true,
            },
            Case {
                name: "Pod with an Affinity matches node's labels but the PodSpec.NodeSelector is not satisfied, won't schedule onto the node",
                pod: PodBuilder::new()
                    .node_selector(&[("foo", "bar")])
                    .node_affinity(required_affinity(vec![exprs(vec![requirement("foo", Exists, &[])])]))
                    .build(),
                node_name: "",
                labels: &[("foo", "barrrrrr")],
                pre: Pre::All,
                fits: false,
            },
            Case {
                name: "Pod with an invalid value in Affinity term won't be scheduled onto the node",
                pod: with_required(vec![exprs(vec![requirement("foo", NotIn, &["invalid value: ___@#$%^"])])]),
                node_name: "",
                labels: &[("foo", "bar")],
                pre: Pre::All,
                fits: false,
            },
            Case {
                name: "Pod with matchFields using In operator that matches the existing node",
                pod: with_required(vec![term(vec![], vec![name_in(&["node1"])])]),
                node_name: "node1",
                labels: &[],
                pre: Pre::Names(&["node1"]),
                fits: true,
            },
            Case {
                name: "Pod with matchFields using In operator that does not match the existing node",
                pod: with_required(vec![term(vec![], vec![name_in(&["node1"])])]),
                node_name: "node2",
                labels: &[],
                pre: Pre::Names(&["node1"]),
                fits: false,
            },
            Case {
                name: "Pod with two terms: matchFields does not match, but matchExpressions matches",
                pod: with_required(vec![
                    term(vec![], vec![name_in(&["node1"]), name_in(&["node2"])]),
                    exprs(vec![requirement("foo", In, &["bar"])]),
                ]),
                node_name: "node2",
                labels: &[("foo", "bar")],
                pre: Pre::All,
                fits: true,
            },
            Case {
                name: "Pod with one term: matchFields does not match, but matchExpressions matches",
                pod: with_required(vec![term(vec![requirement("foo", In, &["bar"])], vec![name_in(&["node1"])])]),
                node_name: "node2",
                labels: &[("foo", "bar")],
                pre: Pre::Names(&["node1"]),
                fits: false,
            },
            Case {
                name: "Pod with one term: both matchFields and matchExpressions match",
                pod: with_required(vec![term(vec![requirement("foo", In, &["bar"])], vec![name_in(&["node1"])])]),
                node_name: "node1",
                labels: &[("foo", "bar")],
                pre: Pre::Names(&["node1"]),
                fits: true,
            },
            Case {
                name: "Pod with two terms: both matchFields and matchExpressions do not match",
                pod: with_required(vec![
                    term(vec![], vec![name_in(&["node1"])]),
                    exprs(vec![requirement("foo", In, &["not-match-to-bar"])]),
                ]),
                node_name: "node2",
                labels: &[("foo", "bar")],
                pre: Pre::All,
                fits: false,
            },
            Case {
                name: "Pod with two terms of node.Name affinity",
                pod: with_required(vec![
                    term(vec![], vec![name_in(&["node1"])]),
                    term(vec![], vec![name_in(&["node2"])]),
                ]),
                node_name: "node2",
                labels: &[],
                pre: Pre::Names(&["node1", "node2"]),
                fits: true,
            },
            Case {
                name: "Pod with two conflicting mach field requirements",
                pod: with_required(vec![term(vec![], vec![name_in(&["node1"]), name_in(&["node2"])])]),
                node_name: "node2",
                labels: &[("foo", "bar")],
                pre: Pre::Conflict,
                fits: false,
            },
        ]);
    }

    #[test]
    fn filter_hand_derived() {
        // Hand-derived from §2.5 / §10.
        check(vec![
            Case {
                // `nodeSelectorTerms: []` matches nothing (not skipped: the affinity is set).
                name: "required affinity without terms matches nothing",
                pod: with_required(vec![]),
                node_name: "node1",
                labels: &[("foo", "bar")],
                pre: Pre::All,
                fits: false,
            },
            Case {
                // A term that does not parse is skipped; another term still matches (lazy errors).
                name: "an invalid term does not hide a matching one",
                pod: with_required(vec![
                    exprs(vec![requirement("foo", Gt, &["not-a-number"])]),
                    exprs(vec![requirement("foo", In, &["bar"])]),
                ]),
                node_name: "node1",
                labels: &[("foo", "bar")],
                pre: Pre::All,
                fits: true,
            },
            Case {
                name: "Lt compares integers",
                pod: with_required(vec![exprs(vec![requirement("cores", Lt, &["16"])])]),
                node_name: "node1",
                labels: &[("cores", "8")],
                pre: Pre::All,
                fits: true,
            },
            Case {
                name: "DoesNotExist rejects a node with the label",
                pod: with_required(vec![exprs(vec![requirement("spot", DoesNotExist, &[])])]),
                node_name: "node1",
                labels: &[("spot", "true")],
                pre: Pre::All,
                fits: false,
            },
            Case {
                // A NotIn field requirement does not narrow the candidate list.
                name: "metadata.name NotIn",
                pod: with_required(vec![term(vec![], vec![requirement("metadata.name", NotIn, &["node1"])])]),
                node_name: "node1",
                labels: &[],
                pre: Pre::All,
                fits: false,
            },
            Case {
                // Within a term name sets intersect; across terms they are unioned.
                name: "name sets intersect within a term and union across terms",
                pod: with_required(vec![
                    term(vec![], vec![name_in(&["node1"]), name_in(&["node1"])]),
                    term(vec![], vec![name_in(&["node3"])]),
                ]),
                node_name: "node3",
                labels: &[],
                pre: Pre::Names(&["node1", "node3"]),
                fits: true,
            },
        ]);
    }

    fn preferred(weight: i32, preference: NodeSelectorTerm) -> PreferredSchedulingTerm {
        PreferredSchedulingTerm { weight, preference }
    }

    fn preferring(terms: Vec<PreferredSchedulingTerm>) -> Pod {
        PodBuilder::new().node_affinity(PodNodeAffinity { required: None, preferred: terms }).build()
    }

    /// PreScore, Score and NormalizeScore over `nodes` (name, labels): raw and final scores.
    fn scores(pod: &Pod, nodes: &[(&str, &[(&str, &str)])]) -> (Vec<i64>, Vec<i64>) {
        let nodes: Vec<NodeInfo> = nodes.iter().map(|(name, labels)| node(name, &[]).with_labels(labels)).collect();
        let mut plugin = NodeAffinity::default();
        let feasible: Vec<&NodeInfo> = nodes.iter().collect();
        let status = plugin.pre_score(&CycleContext::default(), pod, &feasible);
        assert!(status.is_success(), "PreScore: {status}");
        let raw: Vec<i64> = nodes.iter().map(|n| plugin.score(pod, n).unwrap()).collect();
        let mut normalized = raw.clone();
        assert!(plugin.normalize(pod, &mut normalized).expect("NodeAffinity normalizes").is_success());
        (raw, normalized)
    }

    /// A node by name and labels.
    type NodeRow = (&'static str, &'static [(&'static str, &'static str)]);

    const LABEL1: &[(&str, &str)] = &[("foo", "bar")];
    const LABEL2: &[(&str, &str)] = &[("key", "value")];
    const LABEL3: &[(&str, &str)] = &[("az", "az1")];
    const LABEL4: &[(&str, &str)] = &[("abc", "az11"), ("def", "az22")];
    const LABEL5: &[(&str, &str)] = &[("foo", "bar"), ("key", "value"), ("az", "az1")];

    /// Upstream `affinity1`: foo In [bar], weight 2.
    fn affinity1() -> Pod {
        preferring(vec![preferred(2, exprs(vec![requirement("foo", In, &["bar"])]))])
    }

    /// Upstream `affinity2`: weight 2 foo=bar, weight 4 key=value, weight 5 all three labels.
    fn affinity2() -> Pod {
        preferring(vec![
            preferred(2, exprs(vec![requirement("foo", In, &["bar"])])),
            preferred(4, exprs(vec![requirement("key", In, &["value"])])),
            preferred(
                5,
                exprs(vec![
                    requirement("foo", In, &["bar"]),
                    requirement("key", In, &["value"]),
                    requirement("az", In, &["az1"]),
                ]),
            ),
        ])
    }

    #[test]
    fn score_upstream_table() {
        // TestNodeAffinityPriority. "all nodes are same priority as NodeAffinity is nil": v1.34's
        // PreScore skips such a pod, so the plugin contributes nothing (upstream's 0 scores).
        let mut plugin = NodeAffinity::default();
        let n = node("node1", &[]).with_labels(LABEL1);
        assert_eq!(plugin.pre_score(&CycleContext::default(), &no_container_pod(), &[&n]).code, Code::Skip);

        let cases: Vec<(&str, Pod, Vec<NodeRow>, Vec<i64>)> = vec![
            (
                "no node matches preferred scheduling requirements in NodeAffinity of pod so all nodes' priority is zero",
                affinity1(),
                vec![("node1", LABEL4), ("node2", LABEL2), ("node3", LABEL3)],
                vec![0, 0, 0],
            ),
            (
                "only node1 matches the preferred scheduling requirements of pod",
                affinity1(),
                vec![("node1", LABEL1), ("node2", LABEL2), ("node3", LABEL3)],
                vec![100, 0, 0],
            ),
            (
                // Raw 2, 11, 4 -> 100*2/11 = 18, 100, 100*4/11 = 36.
                "all nodes matches the preferred scheduling requirements of pod but with different priorities",
                affinity2(),
                vec![("node1", LABEL1), ("node5", LABEL5), ("node2", LABEL2)],
                vec![18, 100, 36],
            ),
        ];
        for (name, pod, nodes, want) in cases {
            assert_eq!(scores(&pod, &nodes).1, want, "{name}");
        }
        assert_eq!(
            scores(&affinity2(), &[("node1", LABEL1), ("node5", LABEL5), ("node2", LABEL2)]).0,
            [2, 11, 4],
            "raw scores are sums of matching weights"
        );
    }

    #[test]
    fn score_hand_derived() {
        // Hand-derived from §2.5 / §10 and DefaultNormalizeScore(100, false).
        // Weight-0 terms and empty preferences are dropped: raw [0, 3].
        let pod = preferring(vec![
            preferred(0, exprs(vec![requirement("foo", In, &["bar"])])),
            preferred(9, NodeSelectorTerm::default()),
            preferred(3, exprs(vec![requirement("key", In, &["value"])])),
        ]);
        assert_eq!(scores(&pod, &[("node1", LABEL1), ("node2", LABEL2)]), (vec![0, 3], vec![0, 100]));

        // A preference on metadata.name.
        let pod = preferring(vec![preferred(7, term(vec![], vec![name_in(&["node2"])]))]);
        assert_eq!(scores(&pod, &[("node1", &[]), ("node2", &[]), ("node3", &[])]).1, [0, 100, 0]);

        // Normalization truncates: raw 1, 3, 2 -> 33, 100, 66.
        let pod = preferring(vec![
            preferred(1, exprs(vec![requirement("a", Exists, &[])])),
            preferred(2, exprs(vec![requirement("b", Exists, &[])])),
        ]);
        assert_eq!(
            scores(&pod, &[("x", &[("a", "1")]), ("y", &[("a", "1"), ("b", "1")]), ("z", &[("b", "1")])]),
            (vec![1, 3, 2], vec![33, 100, 66])
        );

        // A preferred term that does not parse fails PreScore with an Error.
        let pod = preferring(vec![preferred(1, exprs(vec![requirement("a", Gt, &["x"])]))]);
        let mut plugin = NodeAffinity::default();
        assert_eq!(plugin.pre_score(&CycleContext::default(), &pod, &[]).code, Code::Error);

        // Only preferred terms of weight 0: not skipped, everything scores 0.
        let pod = preferring(vec![preferred(0, exprs(vec![requirement("foo", In, &["bar"])]))]);
        assert_eq!(scores(&pod, &[("node1", LABEL1), ("node2", LABEL2)]), (vec![0, 0], vec![0, 0]));

        // PreScore state belongs to one cycle: a pod without preferences after one with them
        // is skipped, and Score then gives 0.
        let mut plugin = NodeAffinity::default();
        let n = node("node1", &[]).with_labels(LABEL1);
        assert!(plugin.pre_score(&CycleContext::default(), &affinity1(), &[&n]).is_success());
        assert_eq!(plugin.score(&affinity1(), &n).unwrap(), 2);
        assert_eq!(plugin.pre_score(&CycleContext::default(), &no_container_pod(), &[&n]).code, Code::Skip);
        assert_eq!(plugin.score(&no_container_pod(), &n).unwrap(), 0);
    }
}
