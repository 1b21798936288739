//! NodeResourcesBalancedAllocation (`noderesources/balanced_allocation.go`, v1.34 semantics):
//! favours nodes whose resource fractions, with the pod added, are close to each other
//! (standard deviation score). Best-effort pods are skipped (v1.33+).

use crate::api::pod::Pod;
use crate::scheduler::config::BalancedAllocationArgs;
use crate::scheduler::framework::{
    CycleContext, MAX_NODE_SCORE, NodeInfo, NodeRow, Plugin, PreScore, Rows, Score, Status,
};
use crate::scheduler::plugins::node_resources_fit::Column;

pub const NAME: &str = "NodeResourcesBalancedAllocation";

pub struct BalancedAllocation {
    args: BalancedAllocationArgs,
}

impl BalancedAllocation {
    pub fn new(args: BalancedAllocationArgs) -> BalancedAllocation {
        BalancedAllocation { args }
    }
}

impl Plugin for BalancedAllocation {
    fn name(&self) -> &'static str {
        NAME
    }
    fn node_local(&self) -> bool {
        true
    }
    fn as_pre_score(&mut self) -> Option<&mut dyn PreScore> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
}

impl PreScore for BalancedAllocation {
    fn pre_score(&mut self, _cx: &CycleContext<'_>, pod: &Pod, _feasible: &[&NodeInfo]) -> Status {
        // Skip when every configured resource request of the pod is zero.
        let all_zero = self.args.resources.iter().all(|r| pod.spec.requests.get(&r.name) == 0);
        if all_zero { Status::skip() } else { Status::success() }
    }

    fn reads_feasible(&self, _cx: &CycleContext<'_>, _pod: &Pod) -> bool {
        false
    }
}

/// A resource's requested fraction of its allocatable, capped at 1.
fn fraction(alloc: i64, req: i64) -> f64 {
    (req as f64 / alloc as f64).min(1.0)
}

/// `balancedResourceScore` of the capped fractions: one minus their standard deviation, times
/// 100, truncated; computed in upstream's order of float operations so the result (and its
/// truncation) is bit-identical.
fn score_of_fractions(fractions: &[f64]) -> i64 {
    let std = match *fractions {
        [] | [_] => 0.0,
        [a, b] => (a - b).abs() / 2.0,
        _ => {
            let n = fractions.len() as f64;
            let mean = fractions.iter().sum::<f64>() / n;
            // Summed in order as (f - mean) * (f - mean), exactly as upstream.
            let sum = fractions.iter().fold(0.0, |acc, f| acc + (f - mean) * (f - mean));
            (sum / n).sqrt()
        }
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

impl BalancedAllocation {
    /// The configured resources resolved for `pod` (requests without non-zero defaults).
    fn columns<'a>(&'a self, pod: &Pod) -> smallvec::SmallVec<[Column<'a>; 4]> {
        self.args.resources.iter().map(|r| Column::of(pod, &r.name, true)).collect()
    }
}

/// The node's score over `columns`. The usual few fractions stay on the stack, written and
/// read as single doubles (a vector of (allocatable, requested) pairs read back 16 bytes at a
/// time cost a store-forwarding stall per resource per node, 13 % of a 10,000-node day).
#[inline]
fn score_on(columns: &[Column<'_>], node: &NodeInfo) -> i64 {
    score_by(columns, |column| column.read(node, true))
}

/// [`score_by`] of the columns `[Cpu(cpu), Memory(memory)]` on `row`, term for term.
#[inline]
fn cpu_memory_score(row: &NodeRow, cpu: i64, memory: i64) -> i64 {
    let (cpu_alloc, memory_alloc) = (row.allocatable_cpu, row.allocatable_memory);
    if cpu_alloc == 0 || memory_alloc == 0 {
        // One fraction or none: a standard deviation of zero.
        return score_of_fractions(&[]);
    }
    score_of_fractions(&[
        fraction(cpu_alloc, row.requested_cpu + cpu),
        fraction(memory_alloc, row.requested_memory + memory),
    ])
}

/// [`score_on`] with the node's (allocatable, requested) pairs from `read`.
#[inline]
fn score_by<'a>(columns: &[Column<'a>], read: impl Fn(Column<'a>) -> Option<(i64, i64)>) -> i64 {
    const INLINE: usize = 8;
    let pairs = columns.iter().filter_map(|&column| read(column));
    if columns.len() > INLINE {
        return score_of_fractions(&pairs.map(|(alloc, req)| fraction(alloc, req)).collect::<Vec<_>>());
    }
    let mut fractions = [0f64; INLINE];
    let mut n = 0;
    for (alloc, req) in pairs {
        fractions[n] = fraction(alloc, req);
        n += 1;
    }
    score_of_fractions(&fractions[..n])
}

impl BalancedAllocation {
    /// Every node's score, each resource resolved once for the pod; read from the nodes' rows
    /// when given and every resource is in them.
    fn score_all(&self, pod: &Pod, nodes: &[&NodeInfo], rows: Option<Rows<'_>>, out: &mut [i64]) {
        let columns = self.columns(pod);
        match rows.filter(|_| columns.iter().all(|c| c.in_row())) {
            Some(rows) => match columns[..] {
                // The default resources: a loop without a column to match per node.
                [Column::Cpu(cpu), Column::Memory(memory)] => {
                    for (row, out) in rows.iter().zip(out.iter_mut()) {
                        *out = cpu_memory_score(row, cpu, memory);
                    }
                }
                _ => {
                    for (row, out) in rows.iter().zip(out.iter_mut()) {
                        *out = score_by(&columns, |column| column.read_row(row, true));
                    }
                }
            },
            None => {
                for (node, out) in nodes.iter().zip(out.iter_mut()) {
                    *out = score_on(&columns, node);
                }
            }
        }
    }
}

impl Score for BalancedAllocation {
    /// No NormalizeScore.
    fn raw_is_final(&self) -> bool {
        true
    }

    fn score_nodes(&self, pod: &Pod, nodes: &[&NodeInfo], out: &mut [i64]) -> Result<(), Status> {
        self.score_all(pod, nodes, None, out);
        Ok(())
    }

    fn score_rows(&self, pod: &Pod, nodes: &[&NodeInfo], rows: Rows<'_>, out: &mut [i64]) -> Result<(), Status> {
        self.score_all(pod, nodes, Some(rows), out);
        Ok(())
    }

    fn score(&self, pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        Ok(score_on(&self.columns(pod), node))
    }
}

#[cfg(test)]
mod tests {
    //! The v1.34 table of kube-scheduler's `balanced_allocation_test.go`
    //! (TestNodeResourcesBalancedAllocation, standard-deviation formula, best-effort Skip), plus
    //! cases hand-derived from §8 of the reference; each case says which. Expected values of the
    //! hand-derived cases are the reference formula evaluated in IEEE doubles, as Go does.

    use super::*;
    use crate::scheduler::config::ResourceWeight;
    use crate::scheduler::framework::Code;
    use crate::scheduler::plugins::testutil::{
        NodeInfoExt, cpu_memory, cpu_memory_case, no_container_pod, node, pod, pod_with_containers, score_rows_of,
        weights,
    };

    /// Upstream `makeNode(name, milliCPU, memory, extended)`.
    fn make_node(name: &str, milli_cpu: &str, memory: &str, extended: &[(&str, &str)]) -> NodeInfo {
        let cpu = format!("{milli_cpu}m");
        let mut allocatable = vec![("cpu", cpu.as_str()), ("memory", memory)];
        allocatable.extend_from_slice(extended);
        node(name, &allocatable)
    }

    /// Upstream `cpuOnly`: 1000m + 2000m cpu, explicit zero memory.
    fn cpu_only() -> Pod {
        pod_with_containers(&[&[("cpu", "1000m"), ("memory", "0")], &[("cpu", "2000m"), ("memory", "0")]])
    }

    /// Upstream `cpuAndMemory`: 1000m/2000 + 2000m/3000.
    fn cpu_and_memory() -> Pod {
        pod_with_containers(&[&[("cpu", "1000m"), ("memory", "2000")], &[("cpu", "2000m"), ("memory", "3000")]])
    }

    /// Upstream `cpuAndMemoryAndGPU`: as `cpuAndMemory`, the second container also asks 3 gpus.
    fn cpu_memory_gpu() -> Pod {
        pod_with_containers(&[
            &[("cpu", "1000m"), ("memory", "2000")],
            &[("cpu", "2000m"), ("memory", "3000"), ("nvidia.com/gpu", "3")],
        ])
    }

    struct Case {
        name: &'static str,
        pod: Pod,
        nodes: Vec<NodeInfo>,
        resources: Vec<ResourceWeight>,
        /// `None`: PreScore must Skip.
        want: Option<Vec<i64>>,
    }

    fn check(cases: Vec<Case>) {
        for c in cases {
            let mut plugin = BalancedAllocation::new(BalancedAllocationArgs { resources: c.resources });
            let feasible: Vec<&NodeInfo> = c.nodes.iter().collect();
            let status = plugin.pre_score(&CycleContext::default(), &c.pod, &feasible);
            let Some(want) = c.want else {
                assert_eq!(status.code, Code::Skip, "{}: {status}", c.name);
                continue;
            };
            assert!(status.is_success(), "{}: PreScore {status}", c.name);
            assert!(plugin.normalize(&c.pod, &mut []).is_none(), "BalancedAllocation has no NormalizeScore");
            let got: Vec<i64> = c.nodes.iter().map(|n| plugin.score(&c.pod, n).unwrap()).collect();
            assert_eq!(got, want, "{}", c.name);
            crate::scheduler::plugins::testutil::check_score_nodes(&plugin, &c.pod, &feasible, &want, c.name);
        }
    }

    #[test]
    fn upstream_table() {
        let gpu8 = [("nvidia.com/gpu", "8")];
        let with_gpu = || weights(&[("cpu", 1), ("memory", 1), ("nvidia.com/gpu", 1)]);
        check(vec![
            Case {
                name: "nothing scheduled, nothing requested, skip in PreScore",
                pod: no_container_pod(),
                nodes: vec![make_node("node1", "4000", "10000", &[]), make_node("node2", "4000", "10000", &[])],
                resources: cpu_memory(),
                want: None,
            },
            Case {
                // node1: cpu 3000/4000 = .75, memory .5: std .125 -> 87; node2 .5, .5 -> 100.
                name: "nothing scheduled, resources requested, differently sized nodes",
                pod: cpu_and_memory(),
                nodes: vec![make_node("node1", "4000", "10000", &[]), make_node("node2", "6000", "10000", &[])],
                resources: cpu_memory(),
                want: Some(vec![87, 100]),
            },
            Case {
                // node1 .6, .25 -> std .175 -> 82; node2 .6, .5 -> .05 -> 95.
                name: "resources requested, pods scheduled with resources",
                pod: cpu_and_memory(),
                nodes: vec![
                    make_node("node1", "10000", "20000", &[]).with_pods(&[cpu_only()]),
                    make_node("node2", "10000", "20000", &[]).with_pods(&[cpu_and_memory()]),
                ],
                resources: cpu_memory(),
                want: Some(vec![82, 95]),
            },
            Case {
                // node2 .6, 10000/50000 = .2 -> std .2 -> 80.
                name: "resources requested, pods scheduled with resources, differently sized nodes",
                pod: cpu_and_memory(),
                nodes: vec![
                    make_node("node1", "10000", "20000", &[]).with_pods(&[cpu_only()]),
                    make_node("node2", "10000", "50000", &[]).with_pods(&[cpu_and_memory()]),
                ],
                resources: cpu_memory(),
                want: Some(vec![82, 80]),
            },
            Case {
                // node1 cpu 1, memory 0 -> std .5 -> 50; node2 1, .5 -> .25 -> 75.
                name: "requested resources at node capacity",
                pod: cpu_only(),
                nodes: vec![
                    make_node("node1", "6000", "10000", &[]).with_pods(&[cpu_only()]),
                    make_node("node2", "6000", "10000", &[]).with_pods(&[cpu_and_memory()]),
                ],
                resources: cpu_memory(),
                want: Some(vec![50, 75]),
            },
            Case {
                // node1: cpu 3000/3500, memory 5000/40000, gpu (3+1)/8 -> std .2989 -> 70;
                // node2: gpu 1/8 -> std .3451 -> 65.
                name: "include scalar resource on a node for balanced resource allocation",
                pod: pod(&[("memory", "0"), ("nvidia.com/gpu", "1")]),
                nodes: vec![
                    make_node("node1", "3500", "40000", &gpu8).with_pods(&[cpu_memory_gpu()]),
                    make_node("node2", "3500", "40000", &gpu8).with_pods(&[cpu_and_memory()]),
                ],
                resources: with_gpu(),
                want: Some(vec![70, 65]),
            },
            Case {
                // The unrequested gpu is bypassed on both: .8571, .125 -> std .366 -> 63.
                name: "node without the scalar resource should skip the scalar resource",
                pod: cpu_and_memory(),
                nodes: vec![make_node("node1", "3500", "40000", &gpu8), make_node("node2", "3500", "40000", &[])],
                resources: with_gpu(),
                want: Some(vec![63, 63]),
            },
        ]);
    }

    #[test]
    fn hand_derived() {
        check(vec![
            Case {
                // A container without requests is best effort: the 100m / 200Mi scoring
                // defaults do not apply to BalancedAllocation.
                name: "container without requests is skipped",
                pod: pod(&[]),
                nodes: vec![make_node("n", "4000", "10000", &[])],
                resources: cpu_memory(),
                want: None,
            },
            Case {
                name: "explicit zero requests are skipped",
                pod: pod(&[("cpu", "0"), ("memory", "0")]),
                nodes: vec![make_node("n", "4000", "10000", &[])],
                resources: cpu_memory(),
                want: None,
            },
            Case {
                // Only the configured resources decide: a gpu-only pod is best effort for
                // [cpu, memory].
                name: "request outside the configured resources is skipped",
                pod: pod(&[("nvidia.com/gpu", "1")]),
                nodes: vec![make_node("n", "4000", "10000", &[("nvidia.com/gpu", "4")])],
                resources: cpu_memory(),
                want: None,
            },
            Case {
                // With gpu configured the same pod is scored: cpu 0, memory 0, gpu .25; mean
                // 1/12, std sqrt((2/144 + 4/144)/3) = .1179 -> 88.
                name: "gpu-only pod with gpu configured",
                pod: pod(&[("nvidia.com/gpu", "1")]),
                nodes: vec![make_node("n", "4000", "10000", &[("nvidia.com/gpu", "4")])],
                resources: weights(&[("cpu", 1), ("memory", 1), ("nvidia.com/gpu", 1)]),
                want: Some(vec![88]),
            },
            Case {
                // .25, .5, .75: mean .5, std sqrt(.125/3) = .2041 -> 79.
                name: "three resources use the population standard deviation",
                pod: pod(&[("cpu", "1000m"), ("memory", "2000"), ("ephemeral-storage", "3000")]),
                nodes: vec![node("n", &[("cpu", "4"), ("memory", "4000"), ("ephemeral-storage", "4000")])],
                resources: weights(&[("cpu", 1), ("memory", 1), ("ephemeral-storage", 1)]),
                want: Some(vec![79]),
            },
            Case {
                // cpu 3000m of 1000m is capped at 1; memory .5 -> std .25 -> 75 (uncapped it
                // would be 1.25 and a negative score).
                name: "fractions are capped at 1",
                pod: pod(&[("cpu", "1000m"), ("memory", "500")]),
                nodes: vec![
                    make_node("n", "1000", "1000", &[]).with_pods(&[pod(&[("cpu", "2000m"), ("memory", "0")])]),
                ],
                resources: cpu_memory(),
                want: Some(vec![75]),
            },
            Case {
                // Memory allocatable 0 drops memory; one fraction left -> std 0 -> 100.
                name: "a resource with zero allocatable is left out",
                pod: pod(&[("cpu", "1000m"), ("memory", "1000")]),
                nodes: vec![node("n", &[("cpu", "4")])],
                resources: cpu_memory(),
                want: Some(vec![100]),
            },
            Case {
                // The existing pod has no requests: Requested stays 0 (NonZeroRequested would
                // add 100m / 200Mi and give 77), so .5, .5 -> 100.
                name: "uses Requested, not the non-zero requests",
                pod: pod(&[("cpu", "1000m"), ("memory", "1000")]),
                nodes: vec![make_node("n", "2000", "2000", &[]).with_pods(&[pod(&[])])],
                resources: cpu_memory(),
                want: Some(vec![100]),
            },
            Case {
                // Weights do not enter the formula: the upstream 87 / 100 case with memory
                // weighted 5.
                name: "weights are ignored",
                pod: cpu_and_memory(),
                nodes: vec![make_node("node1", "4000", "10000", &[]), make_node("node2", "6000", "10000", &[])],
                resources: weights(&[("cpu", 1), ("memory", 5)]),
                want: Some(vec![87, 100]),
            },
            Case {
                // .68 and 0: (1 - .34) * 100 is 65.99999999999999 in doubles and truncates to 65.
                name: "score truncates the float",
                pod: pod(&[("cpu", "68m"), ("memory", "0")]),
                nodes: vec![make_node("n", "100", "100", &[])],
                resources: cpu_memory(),
                want: Some(vec![65]),
            },
            Case {
                // hugepages as a configured scalar: cpu .5, hugepages 1Mi/4Mi = .25 -> 87.
                name: "hugepages as a configured resource",
                pod: pod(&[("cpu", "1000m"), ("hugepages-2Mi", "1Mi")]),
                nodes: vec![node("n", &[("cpu", "2"), ("hugepages-2Mi", "4Mi")])],
                resources: weights(&[("cpu", 1), ("hugepages-2Mi", 1)]),
                want: Some(vec![87]),
            },
        ]);
    }

    /// The score of (allocatable, requested-with-pod) pairs.
    fn balanced_resource_score(pairs: &[(i64, i64)]) -> i64 {
        score_of_fractions(&pairs.iter().map(|&(alloc, req)| fraction(alloc, req)).collect::<Vec<_>>())
    }

    #[test]
    fn balanced_resource_score_edge_cases() {
        // Hand-derived from §8: no fraction or one fraction is perfectly balanced.
        assert_eq!(balanced_resource_score(&[]), 100);
        assert_eq!(balanced_resource_score(&[(4, 3)]), 100);
        assert_eq!(balanced_resource_score(&[(4, 4), (4, 0)]), 50);
        assert_eq!(balanced_resource_score(&[(4, 4), (4, 0), (4, 4), (4, 0)]), 50);
    }

    proptest::proptest! {
        /// The loop over the default resources (cpu and memory from the nodes' rows) scores as
        /// the general one does, node by node: zero capacities, over-committed nodes.
        #[test]
        fn the_cpu_and_memory_rows_score_as_each_node(
            nodes in proptest::collection::vec((0i64..3, 0i64..40, 0i64..3, 0i64..40), 1..6),
            pod_cpu in 0i64..6,
            pod_memory in 0i64..6,
        ) {
            let plugin = BalancedAllocation::new(BalancedAllocationArgs { resources: cpu_memory() });
            let allocatable: Vec<(i64, i64)> = nodes.iter().map(|&(cpu, _, memory, _)| (cpu, memory)).collect();
            let (mut infos, p) = cpu_memory_case(&allocatable, pod_cpu, pod_memory);
            for (n, &(_, cpu_used, _, memory_used)) in infos.iter_mut().zip(&nodes) {
                n.requested.milli_cpu = cpu_used * 100;
                n.requested.memory = memory_used << 28;
            }
            let refs: Vec<&NodeInfo> = infos.iter().collect();
            let out = score_rows_of(&plugin, &p, &refs).unwrap();
            for (n, got) in infos.iter().zip(out) {
                proptest::prop_assert_eq!(got, plugin.score(&p, n).unwrap());
            }
        }
    }
}
