//! NodeResourcesFit (`pkg/scheduler/framework/plugins/noderesources/fit.go`,
//! `resource_allocation.go`, `least_allocated.go`, `most_allocated.go`,
//! `requested_to_capacity_ratio.go`): the resource filter with the pods limit, and the three
//! scoring strategies, in kube-scheduler's integer arithmetic.

use crate::api::pod::Pod;
use crate::api::resources::{ResourceName, Resources, gpu};
use crate::scheduler::config::{NodeResourcesFitArgs, ResourceWeight, ScoringStrategyType};
use crate::scheduler::framework::{
    CycleContext, Filter, Fit, MAX_NODE_SCORE, NodeInfo, NodeRow, Plugin, PreFilter, PreFilterResult, PreScore,
    Reasons, RowNeed, Rows, Score, Status,
};

pub const NAME: &str = "NodeResourcesFit";

/// `config.MaxCustomPriorityScore`: RequestedToCapacityRatio shape scores go up to 10.
const MAX_CUSTOM_PRIORITY_SCORE: i64 = 10;

pub struct NodeResourcesFit {
    args: NodeResourcesFitArgs,
    /// Shape points scaled to 0..=100 scores.
    shape: Vec<(i64, i64)>,
}

impl NodeResourcesFit {
    pub fn new(args: NodeResourcesFitArgs) -> NodeResourcesFit {
        let shape = args.shape.iter().map(|&(u, s)| (u, s * (MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE))).collect();
        NodeResourcesFit { args, shape }
    }

    fn ignored(&self, name: &str) -> bool {
        // Most profiles ignore nothing: then no name is searched for a group (a GPU pod's
        // check runs on every node that lacks room for it).
        if self.args.ignored_resources.is_empty() && self.args.ignored_resource_groups.is_empty() {
            return false;
        }
        if self.args.ignored_resources.iter().any(|r| r == name) {
            return true;
        }
        match name.split_once('/') {
            Some((group, _)) => self.args.ignored_resource_groups.iter().any(|g| g == group),
            None => false,
        }
    }
}

/// A resource a node lacks for a pod ([`shortfalls`]): `want` more than the node has free,
/// unresolvable when more than its `allocatable`.
enum Lacking<'a> {
    Pods,
    /// cpu, memory or ephemeral storage, with its reason.
    Native {
        reason: &'static str,
        want: i64,
        allocatable: i64,
    },
    Scalar {
        name: &'a str,
        want: i64,
        allocatable: i64,
    },
}

/// `fitsRequest`'s checks, in kube-scheduler's order: calls `lacking` for each resource the node
/// lacks for `req`, until it returns false.
#[inline]
fn shortfalls<'a>(
    req: &'a Resources,
    node: &NodeInfo,
    ignored: impl Fn(&str) -> bool,
    mut lacking: impl FnMut(Lacking<'a>) -> bool,
) {
    let alloc = &node.allocatable;
    if i64::from(node.pod_count) + 1 > alloc.allowed_pod_number && !lacking(Lacking::Pods) {
        return;
    }
    if req.milli_cpu == 0 && req.memory == 0 && req.ephemeral_storage == 0 && req.scalar.is_empty() {
        return;
    }
    let requested = &node.requested;
    for (reason, want, allocatable, used) in [
        ("Insufficient cpu", req.milli_cpu, alloc.milli_cpu, requested.milli_cpu),
        ("Insufficient memory", req.memory, alloc.memory, requested.memory),
        ("Insufficient ephemeral-storage", req.ephemeral_storage, alloc.ephemeral_storage, requested.ephemeral_storage),
    ] {
        if want > 0 && want > allocatable - used && !lacking(Lacking::Native { reason, want, allocatable }) {
            return;
        }
    }
    for (name, want) in &req.scalar {
        if *want == 0 {
            continue;
        }
        // Only extended resources can be ignored; hugepages and prefixed native ones cannot
        // (asked second: most profiles ignore nothing).
        if ignored(name) && ResourceName::is_extended_name(name) {
            continue;
        }
        let (allocatable, used) = (alloc.scalar(name), requested.scalar(name));
        if *want > allocatable - used && !lacking(Lacking::Scalar { name, want: *want, allocatable }) {
            return;
        }
    }
}

/// Whether `req` fits the node: [`insufficient_resources`] would find nothing.
pub fn fits(req: &Resources, node: &NodeInfo, ignored: impl Fn(&str) -> bool) -> bool {
    let mut fits = true;
    shortfalls(req, node, ignored, |_| {
        fits = false;
        false
    });
    fits
}

/// `Insufficient <name>` for an extended resource: static for the GPU resources (a GPU
/// cluster rejects thousands of nodes a cycle for them), built for the others.
fn insufficient(name: &str) -> std::borrow::Cow<'static, str> {
    match name {
        gpu::DEVICES => "Insufficient nvidia.com/gpu".into(),
        gpu::MILLI => "Insufficient kubesim.io/gpu-milli".into(),
        _ => format!("Insufficient {name}").into(),
    }
}

/// `fitsRequest`: the reasons a pod does not fit on a node, in kube-scheduler's order, and
/// whether some resource exceeds even an empty node's allocatable (v1.34: unresolvable).
pub fn insufficient_resources(req: &Resources, node: &NodeInfo, ignored: impl Fn(&str) -> bool) -> (Reasons, bool) {
    let mut reasons = Reasons::new();
    let mut unresolvable = false;
    shortfalls(req, node, ignored, |lacking| {
        match lacking {
            Lacking::Pods => reasons.push("Too many pods".into()),
            Lacking::Native { reason, want, allocatable } => {
                reasons.push(reason.into());
                unresolvable |= want > allocatable;
            }
            Lacking::Scalar { name, want, allocatable } => {
                reasons.push(insufficient(name));
                unresolvable |= want > allocatable;
            }
        }
        true
    });
    (reasons, unresolvable)
}

impl Plugin for NodeResourcesFit {
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

impl PreFilter for NodeResourcesFit {
    fn pre_filter(&mut self, _cx: &CycleContext<'_>, _pod: &Pod) -> (PreFilterResult, Status) {
        // The pod's requests are precomputed on its spec (`PodRequests`).
        (PreFilterResult::default(), Status::success())
    }
}

impl Filter for NodeResourcesFit {
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        // The usual answer without building the list of reasons.
        if fits(&pod.spec.requests, node, |n| self.ignored(n)) {
            return Status::success();
        }
        let (reasons, unresolvable) = insufficient_resources(&pod.spec.requests, node, |n| self.ignored(n));
        if reasons.is_empty() {
            return Status::success();
        }
        let mut status = if unresolvable { Status::unresolvable("") } else { Status::unschedulable("") };
        status.reasons = reasons;
        status
    }
    fn passes(&self, pod: &Pod, node: &NodeInfo) -> bool {
        fits(&pod.spec.requests, node, |n| self.ignored(n))
    }
    fn passes_cheaply(&self) -> bool {
        true
    }
    fn row_need(&self, pod: &Pod) -> Option<RowNeed> {
        // The row has cpu, memory, pods and the two GPU resources: a pod asking for nothing
        // else (and not for an ignored GPU resource, whose check would be skipped).
        let req = &pod.spec.requests;
        if req.ephemeral_storage > 0 {
            return None;
        }
        let mut fit = Fit { cpu: req.milli_cpu, memory: req.memory, gpu_devices: 0, gpu_milli: 0 };
        for (name, want) in &req.scalar {
            match &**name {
                _ if *want == 0 => {}
                gpu::DEVICES if !self.ignored(name) => fit.gpu_devices = *want,
                gpu::MILLI if !self.ignored(name) => fit.gpu_milli = *want,
                _ => return None,
            }
        }
        Some(RowNeed { absent_flags: 0, fit: Some(fit), devices: None })
    }
}

impl PreScore for NodeResourcesFit {
    fn pre_score(&mut self, _cx: &CycleContext<'_>, _pod: &Pod, _feasible: &[&NodeInfo]) -> Status {
        // The pod's scoring requests are precomputed on its spec (`non_zero_requests`). An empty
        // resource list is reported by Score, not here, as upstream does.
        Status::success()
    }

    fn reads_feasible(&self, _cx: &CycleContext<'_>, _pod: &Pod) -> bool {
        false
    }
}

/// The (allocatable, requested-with-pod) pair of one resource, or `None` when it is skipped
/// (`calculateResourceAllocatableRequest`). `use_requested` selects `Requested` and the pod's
/// request without non-zero defaults (BalancedAllocation); otherwise cpu and memory use the
/// non-zero variants (LeastAllocated, MostAllocated, RequestedToCapacityRatio).
#[inline]
pub fn allocatable_and_requested(
    pod: &Pod,
    node: &NodeInfo,
    resource: &ResourceName,
    use_requested: bool,
) -> Option<(i64, i64)> {
    Column::of(pod, resource, use_requested).read(node, use_requested)
}

/// One resource of a scoring plugin's list, resolved for one pod: what
/// [`allocatable_and_requested`] reads of every node for it, so that a scorer matching the
/// name and looking up the pod's request once per cycle reads each node directly.
#[derive(Clone, Copy)]
pub enum Column<'a> {
    /// Skipped on every node (`pods`, or a scalar resource the pod does not request).
    Never,
    Cpu(i64),
    Memory(i64),
    EphemeralStorage(i64),
    Scalar(&'a str, i64),
}

impl<'a> Column<'a> {
    /// `resource`'s column for `pod`, with the same `use_requested` as
    /// [`allocatable_and_requested`].
    pub fn of(pod: &Pod, resource: &'a ResourceName, use_requested: bool) -> Column<'a> {
        let pod_req = if use_requested { &pod.spec.requests } else { &pod.spec.non_zero_requests };
        match resource {
            ResourceName::Cpu => Column::Cpu(pod_req.milli_cpu),
            ResourceName::Memory => Column::Memory(pod_req.memory),
            ResourceName::EphemeralStorage => Column::EphemeralStorage(pod.spec.requests.ephemeral_storage),
            // `pods` is neither cpu, memory nor ephemeral storage, and not among the node's
            // scalar resources either, so upstream's lookup finds nothing and it is skipped.
            ResourceName::Pods => Column::Never,
            // Scalar resources the pod does not request are bypassed.
            ResourceName::Scalar(name) => match pod.spec.requests.scalar(name) {
                0 => Column::Never,
                want => Column::Scalar(name, want),
            },
        }
    }

    /// [`allocatable_and_requested`] on `node`; `use_requested` as given to [`Column::of`].
    #[inline]
    pub fn read(self, node: &NodeInfo, use_requested: bool) -> Option<(i64, i64)> {
        let node_req = if use_requested { &node.requested } else { &node.non_zero_requested };
        let (alloc, req) = match self {
            Column::Never => return None,
            Column::Cpu(want) => (node.allocatable.milli_cpu, node_req.milli_cpu + want),
            Column::Memory(want) => (node.allocatable.memory, node_req.memory + want),
            Column::EphemeralStorage(want) => {
                (node.allocatable.ephemeral_storage, node.requested.ephemeral_storage + want)
            }
            Column::Scalar(name, want) => {
                if !node.allocatable.has_scalar(name) {
                    return None;
                }
                (node.allocatable.scalar(name), node.requested.scalar(name) + want)
            }
        };
        if alloc == 0 { None } else { Some((alloc, req)) }
    }

    /// Whether [`read_row`](Self::read_row) answers for this column (cpu, memory, or never).
    pub fn in_row(self) -> bool {
        matches!(self, Column::Never | Column::Cpu(_) | Column::Memory(_))
    }

    /// [`read`](Self::read) from the node's [`NodeRow`], for a column [`in_row`](Self::in_row).
    #[inline]
    pub fn read_row(self, row: &NodeRow, use_requested: bool) -> Option<(i64, i64)> {
        let (alloc, req) = match self {
            Column::Cpu(want) => {
                (row.allocatable_cpu, if use_requested { row.requested_cpu } else { row.non_zero_cpu } + want)
            }
            Column::Memory(want) => {
                (row.allocatable_memory, if use_requested { row.requested_memory } else { row.non_zero_memory } + want)
            }
            _ => {
                debug_assert!(matches!(self, Column::Never), "read_row of a column not in the row");
                return None;
            }
        };
        if alloc == 0 { None } else { Some((alloc, req)) }
    }
}

/// `leastRequestedScore`.
#[inline]
pub fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    quotient((capacity - requested) * MAX_NODE_SCORE, capacity)
}

/// `mostRequestedScore`: requests above capacity are capped, not zeroed.
#[inline]
pub fn most_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    quotient(requested.min(capacity) * MAX_NODE_SCORE, capacity)
}

/// `n / d` (`d` ≠ 0), Go's and Rust's truncating division, through the floating-point divider
/// when both are in `0..2^53` (a 64-bit integer division costs ~60 % more, and these run twice
/// per scored node). Both are then exact doubles, and rounding cannot carry the quotient across
/// an integer: below `k + 1` it is at least `1 / d` short of it, more than half a unit in the
/// last place of a value under `2^53 / d`; so truncating the rounded quotient gives the floor.
#[inline]
fn quotient(n: i64, d: i64) -> i64 {
    const EXACT: std::ops::Range<i64> = 0..1 << 53;
    if EXACT.contains(&n) && EXACT.contains(&d) && d != 0 { (n as f64 / d as f64) as i64 } else { n / d }
}

/// `BuildBrokenLinearFunction` evaluated at `p`.
pub fn broken_linear(shape: &[(i64, i64)], p: i64) -> i64 {
    for (i, &(u, s)) in shape.iter().enumerate() {
        if p <= u {
            if i == 0 {
                return shape[0].1;
            }
            let (u0, s0) = shape[i - 1];
            return s0 + (s - s0) * (p - u0) / (u - u0);
        }
    }
    shape.last().map_or(0, |&(_, s)| s)
}

impl NodeResourcesFit {
    /// The configured resources resolved for `pod`, with their weights (non-zero requests).
    fn columns<'a>(&'a self, pod: &Pod) -> smallvec::SmallVec<[(Column<'a>, i64); 4]> {
        self.args.resources.iter().map(|r| (Column::of(pod, &r.name, false), r.weight)).collect()
    }

    /// The weighted mean of `per_resource(requested, allocatable)` over the resources the node
    /// has (`resourceAllocationScorer.score`).
    #[inline]
    fn weighted(columns: &[(Column<'_>, i64)], node: &NodeInfo, per_resource: impl Fn(i64, i64) -> i64) -> i64 {
        Self::weighted_by(columns, |column| column.read(node, false), per_resource)
    }

    /// [`weighted`](Self::weighted) with the node's (allocatable, requested) pairs from `read`.
    #[inline]
    fn weighted_by(
        columns: &[(Column<'_>, i64)],
        read: impl Fn(Column<'_>) -> Option<(i64, i64)>,
        per_resource: impl Fn(i64, i64) -> i64,
    ) -> i64 {
        let (mut sum, mut weights) = (0i64, 0i64);
        for &(column, weight) in columns {
            if let Some((alloc, req)) = read(column) {
                sum += per_resource(req, alloc) * weight;
                weights += weight;
            }
        }
        if weights == 0 { 0 } else { sum / weights }
    }

    /// [`weighted`](Self::weighted) on every node, the resources resolved once for the pod
    /// (generic in `per_resource`, so that it is inlined in the node loop); read from the
    /// nodes' rows when given and every resource is in them.
    fn weighted_nodes(
        &self,
        pod: &Pod,
        nodes: &[&NodeInfo],
        rows: Option<Rows<'_>>,
        out: &mut [i64],
        per_resource: impl Fn(i64, i64) -> i64 + Copy,
    ) -> Result<(), Status> {
        if self.args.resources.is_empty() && !nodes.is_empty() {
            return Err(Status::error("resources not found"));
        }
        let columns = self.columns(pod);
        match rows.filter(|_| columns.iter().all(|(c, _)| c.in_row())) {
            Some(rows) => match columns[..] {
                // The default resources: a loop without a column to match per node, and the
                // usual equal weights' sum divided by a constant.
                [(Column::Cpu(cpu), cpu_weight), (Column::Memory(memory), memory_weight)] => {
                    for (row, out) in rows.iter().zip(out.iter_mut()) {
                        let (cpu_alloc, memory_alloc) = (row.allocatable_cpu, row.allocatable_memory);
                        *out = if cpu_alloc != 0 && memory_alloc != 0 {
                            let sum = per_resource(row.non_zero_cpu + cpu, cpu_alloc) * cpu_weight
                                + per_resource(row.non_zero_memory + memory, memory_alloc) * memory_weight;
                            match cpu_weight + memory_weight {
                                0 => 0,
                                2 => sum / 2,
                                weights => sum / weights,
                            }
                        } else {
                            Self::weighted_by(&columns, |column| column.read_row(row, false), per_resource)
                        };
                    }
                }
                _ => {
                    for (row, out) in rows.iter().zip(out.iter_mut()) {
                        *out = Self::weighted_by(&columns, |column| column.read_row(row, false), per_resource);
                    }
                }
            },
            None => {
                for (node, out) in nodes.iter().zip(out.iter_mut()) {
                    *out = Self::weighted(&columns, node, per_resource);
                }
            }
        }
        Ok(())
    }
}

impl Score for NodeResourcesFit {
    /// No NormalizeScore.
    fn raw_is_final(&self) -> bool {
        true
    }

    fn score_nodes(&self, pod: &Pod, nodes: &[&NodeInfo], out: &mut [i64]) -> Result<(), Status> {
        match self.args.strategy {
            ScoringStrategyType::LeastAllocated => self.weighted_nodes(pod, nodes, None, out, least_requested_score),
            ScoringStrategyType::MostAllocated => self.weighted_nodes(pod, nodes, None, out, most_requested_score),
            ScoringStrategyType::RequestedToCapacityRatio => {
                for (node, out) in nodes.iter().zip(out.iter_mut()) {
                    *out = self.score(pod, node)?;
                }
                Ok(())
            }
        }
    }

    fn score_rows(&self, pod: &Pod, nodes: &[&NodeInfo], rows: Rows<'_>, out: &mut [i64]) -> Result<(), Status> {
        match self.args.strategy {
            ScoringStrategyType::LeastAllocated => {
                self.weighted_nodes(pod, nodes, Some(rows), out, least_requested_score)
            }
            ScoringStrategyType::MostAllocated => {
                self.weighted_nodes(pod, nodes, Some(rows), out, most_requested_score)
            }
            ScoringStrategyType::RequestedToCapacityRatio => self.score_nodes(pod, nodes, out),
        }
    }

    fn score(&self, pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        if self.args.resources.is_empty() {
            return Err(Status::error("resources not found"));
        }
        Ok(match self.args.strategy {
            ScoringStrategyType::LeastAllocated => Self::weighted(&self.columns(pod), node, least_requested_score),
            ScoringStrategyType::MostAllocated => Self::weighted(&self.columns(pod), node, most_requested_score),
            ScoringStrategyType::RequestedToCapacityRatio => {
                // Resources whose shape score is 0 count neither in the sum nor the weights;
                // the average rounds half away from zero (math.Round).
                let (mut sum, mut weights) = (0i64, 0i64);
                for ResourceWeight { name, weight } in &self.args.resources {
                    let Some((alloc, req)) = allocatable_and_requested(pod, node, name, false) else { continue };
                    let s = if req > alloc {
                        broken_linear(&self.shape, MAX_NODE_SCORE)
                    } else {
                        broken_linear(&self.shape, req * MAX_NODE_SCORE / alloc)
                    };
                    if s > 0 {
                        sum += s * weight;
                        weights += weight;
                    }
                }
                if weights == 0 { 0 } else { (sum as f64 / weights as f64).round() as i64 }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    //! Tables reproduced from kube-scheduler's `noderesources` tests (`least_allocated_test.go`,
    //! `most_allocated_test.go`, `requested_to_capacity_ratio_test.go`, `fit_test.go`), plus
    //! cases hand-derived from the reference formulas (§6, §7); each case says which. The
    //! upstream score tables give cpu in cores ("4000" = 4000 cores), which only scales both
    //! sides of every ratio.

    use super::*;
    use crate::scheduler::framework::Code;
    use crate::scheduler::plugins::testutil::{
        NodeInfoExt, PodBuilder, cpu_memory, cpu_memory_case, no_container_pod, node, pod, pod_with_containers,
        score_rows_of, weights,
    };

    /// Upstream `extendedResourceSet`: cpu, memory and `abc.com/xyz`, weight 1 each.
    fn with_xyz() -> Vec<ResourceWeight> {
        weights(&[("cpu", 1), ("memory", 1), ("abc.com/xyz", 1)])
    }

    fn fit(strategy: ScoringStrategyType, resources: Vec<ResourceWeight>, shape: &[(i64, i64)]) -> NodeResourcesFit {
        NodeResourcesFit::new(NodeResourcesFitArgs {
            strategy,
            resources,
            shape: shape.to_vec(),
            ..NodeResourcesFitArgs::default()
        })
    }

    /// PreScore then Score on every node, as the framework runs them (Fit has no NormalizeScore).
    fn run_scores(mut plugin: NodeResourcesFit, pod: &Pod, nodes: &[NodeInfo]) -> Vec<i64> {
        let feasible: Vec<&NodeInfo> = nodes.iter().collect();
        let status = plugin.pre_score(&CycleContext::default(), pod, &feasible);
        assert!(status.is_success(), "PreScore: {status}");
        assert!(plugin.normalize(pod, &mut []).is_none(), "NodeResourcesFit has no NormalizeScore");
        let scores: Vec<i64> =
            nodes.iter().map(|n| plugin.score(pod, n).unwrap_or_else(|s| panic!("Score on {}: {s}", n.name))).collect();
        crate::scheduler::plugins::testutil::check_score_nodes(&plugin, pod, &feasible, &scores, "");
        scores
    }

    struct ScoreCase {
        name: &'static str,
        pod: Pod,
        nodes: Vec<NodeInfo>,
        resources: Vec<ResourceWeight>,
        want: Vec<i64>,
    }

    fn check_scores(strategy: ScoringStrategyType, shape: &[(i64, i64)], cases: Vec<ScoreCase>) {
        for case in cases {
            let got = run_scores(fit(strategy, case.resources, shape), &case.pod, &case.nodes);
            assert_eq!(got, case.want, "{:?}: {}", strategy, case.name);
        }
    }

    /// The pod of many upstream tables: two containers, 1000+2000 cpu and 2000+3000 memory.
    fn two_container_pod() -> Pod {
        pod_with_containers(&[&[("cpu", "1000"), ("memory", "2000")], &[("cpu", "2000"), ("memory", "3000")]])
    }

    fn cores_node(name: &str, cpu: &str, memory: &str) -> NodeInfo {
        node(name, &[("cpu", cpu), ("memory", memory)])
    }

    #[test]
    fn the_gpu_reasons_are_static_and_read_as_built_ones() {
        for name in [gpu::DEVICES, gpu::MILLI] {
            let reason = insufficient(name);
            assert!(matches!(reason, std::borrow::Cow::Borrowed(_)), "{name}");
            assert_eq!(reason, format!("Insufficient {name}"));
        }
        assert_eq!(insufficient("example.com/foo"), "Insufficient example.com/foo");
    }

    #[test]
    fn least_allocated_upstream_table() {
        // TestLeastAllocatedScoringStrategy (least_allocated_test.go); expected scores as upstream.
        let cases = vec![
            ScoreCase {
                name: "nothing scheduled, nothing requested",
                pod: no_container_pod(),
                nodes: vec![cores_node("node1", "4000", "10000"), cores_node("node2", "4000", "10000")],
                resources: cpu_memory(),
                want: vec![100, 100],
            },
            ScoreCase {
                // cpu (4000-3000)*100/4000 = 25, memory 50 -> 37; node2 50, 50 -> 50.
                name: "nothing scheduled, resources requested, differently sized nodes",
                pod: two_container_pod(),
                nodes: vec![cores_node("node1", "4000", "10000"), cores_node("node2", "6000", "10000")],
                resources: cpu_memory(),
                want: vec![37, 50],
            },
            ScoreCase {
                name: "no resources requested, pods scheduled",
                pod: no_container_pod(),
                nodes: vec![
                    cores_node("node1", "4000", "10000").with_pods(&[no_container_pod(), no_container_pod()]),
                    cores_node("node2", "4000", "10000").with_pods(&[no_container_pod(), no_container_pod()]),
                ],
                resources: cpu_memory(),
                want: vec![100, 100],
            },
            ScoreCase {
                // node1 cpu 40, memory 100 -> 70; node2 cpu 40, memory 75 -> 57.
                name: "no resources requested, pods scheduled with resources",
                pod: no_container_pod(),
                nodes: vec![
                    cores_node("node1", "10000", "20000").with_pods(&[
                        pod(&[("cpu", "3000"), ("memory", "0")]),
                        pod(&[("cpu", "3000"), ("memory", "0")]),
                    ]),
                    cores_node("node2", "10000", "20000").with_pods(&[
                        pod(&[("cpu", "3000"), ("memory", "0")]),
                        pod(&[("cpu", "3000"), ("memory", "5000")]),
                    ]),
                ],
                resources: cpu_memory(),
                want: vec![70, 57],
            },
            ScoreCase {
                // node1 cpu 40, memory 75 -> 57; node2 cpu 40, memory 50 -> 45.
                name: "resources requested, pods scheduled with resources",
                pod: two_container_pod(),
                nodes: vec![
                    cores_node("node1", "10000", "20000").with_pods(&[pod(&[("cpu", "3000"), ("memory", "0")])]),
                    cores_node("node2", "10000", "20000").with_pods(&[pod(&[("cpu", "3000"), ("memory", "5000")])]),
                ],
                resources: cpu_memory(),
                want: vec![57, 45],
            },
            ScoreCase {
                // node2 memory (50000-10000)*100/50000 = 80 -> (40+80)/2 = 60.
                name: "resources requested, pods scheduled with resources, differently sized nodes",
                pod: two_container_pod(),
                nodes: vec![
                    cores_node("node1", "10000", "20000").with_pods(&[pod(&[("cpu", "3000"), ("memory", "0")])]),
                    cores_node("node2", "10000", "50000").with_pods(&[pod(&[("cpu", "3000"), ("memory", "5000")])]),
                ],
                resources: cpu_memory(),
                want: vec![57, 60],
            },
            ScoreCase {
                // cpu 6000 > 4000 scores 0: node1 (0+100)/2 = 50, node2 (0+50)/2 = 25.
                name: "requested resources exceed node capacity",
                pod: pod(&[("cpu", "3000"), ("memory", "0")]),
                nodes: vec![
                    cores_node("node1", "4000", "10000").with_pods(&[pod(&[("cpu", "3000"), ("memory", "0")])]),
                    cores_node("node2", "4000", "10000").with_pods(&[pod(&[("cpu", "3000"), ("memory", "5000")])]),
                ],
                resources: cpu_memory(),
                want: vec![50, 25],
            },
            ScoreCase {
                name: "zero node resources, pods scheduled with resources",
                pod: no_container_pod(),
                nodes: vec![
                    node("node1", &[]).with_pods(&[pod(&[("cpu", "3000"), ("memory", "0")])]),
                    node("node2", &[]).with_pods(&[pod(&[("cpu", "3000"), ("memory", "5000")])]),
                ],
                resources: cpu_memory(),
                want: vec![0, 0],
            },
            ScoreCase {
                // node1 (25*1 + 50*2)/3 = 41; node2 (50*1 + 50*2)/3 = 50.
                name: "nothing scheduled, resources requested with different weight on CPU and memory",
                pod: two_container_pod(),
                nodes: vec![cores_node("node1", "4000", "10000"), cores_node("node2", "6000", "10000")],
                resources: weights(&[("memory", 2), ("cpu", 1)]),
                want: vec![41, 50],
            },
            ScoreCase {
                name: "bypass extended resource if the pod does not request",
                pod: two_container_pod(),
                nodes: vec![
                    cores_node("node1", "6000", "10000"),
                    node("node2", &[("cpu", "6000"), ("memory", "10000"), ("abc.com/xyz", "4")]),
                ],
                resources: with_xyz(),
                want: vec![50, 50],
            },
            ScoreCase {
                // xyz: node1 (4-2)*100/4 = 50 -> 50; node2 (10-2)*100/10 = 80 -> (50+50+80)/3 = 60.
                name: "honor extended resource if the pod requests",
                pod: pod(&[("cpu", "3000"), ("memory", "5000"), ("abc.com/xyz", "2")]),
                nodes: vec![
                    node("node1", &[("cpu", "6000"), ("memory", "10000"), ("abc.com/xyz", "4")]),
                    node("node2", &[("cpu", "6000"), ("memory", "10000"), ("abc.com/xyz", "10")]),
                ],
                resources: with_xyz(),
                want: vec![50, 60],
            },
            ScoreCase {
                // (50 + 60)/2 = 55 on both: the unrequested xyz (weight 2) is bypassed.
                name: "if the node doesn't have a resource",
                pod: pod(&[("cpu", "3000"), ("memory", "4000")]),
                nodes: vec![
                    cores_node("node1", "6000", "10000"),
                    node("node2", &[("cpu", "6000"), ("memory", "10000"), ("abc.com/xyz", "4")]),
                ],
                resources: weights(&[("abc.com/xyz", 2), ("cpu", 1), ("memory", 1)]),
                want: vec![55, 55],
            },
            ScoreCase {
                // TestFitScore "test case for ScoringStrategy LeastAllocated" (fit_test.go).
                name: "fit score: LeastAllocated",
                pod: pod(&[("cpu", "1000"), ("memory", "2000")]),
                nodes: vec![
                    cores_node("node1", "4000", "10000").with_pods(&[pod(&[("cpu", "2000"), ("memory", "4000")])]),
                    cores_node("node2", "6000", "10000").with_pods(&[pod(&[("cpu", "1000"), ("memory", "2000")])]),
                ],
                resources: cpu_memory(),
                want: vec![32, 63],
            },
            ScoreCase {
                // TestFitScore "LeastAllocated with sidecar container": the sidecar adds to the
                // existing pod's requests (node1: cpu 3000/4000 -> 25, memory 6000 -> 40).
                name: "fit score: LeastAllocated with sidecar container",
                pod: pod(&[("cpu", "1000"), ("memory", "2000")]),
                nodes: vec![
                    cores_node("node1", "4000", "10000").with_pods(&[PodBuilder::new()
                        .container(&[("cpu", "1000"), ("memory", "2000")])
                        .sidecar(&[("cpu", "1000"), ("memory", "2000")])
                        .build()]),
                    cores_node("node2", "4000", "10000").with_pods(&[pod(&[("cpu", "1000"), ("memory", "2000")])]),
                ],
                resources: cpu_memory(),
                want: vec![32, 55],
            },
        ];
        check_scores(ScoringStrategyType::LeastAllocated, &[], cases);
    }

    #[test]
    fn least_allocated_hand_derived() {
        // Hand-derived from §5.1 and §7 (leastRequestedScore and the weighted average).
        let small = || node("n", &[("cpu", "1000m"), ("memory", "1000Mi")]);
        let cases = vec![
            ScoreCase {
                // A container without requests counts 100m / 200Mi: cpu 900*100/1000 = 90,
                // memory 800Mi/1000Mi = 80 -> 85. With one such pod already there: 80, 60 -> 70.
                name: "container without requests gets the non-zero defaults",
                pod: pod(&[]),
                nodes: vec![small(), small().with_pods(&[pod(&[])])],
                resources: cpu_memory(),
                want: vec![85, 70],
            },
            ScoreCase {
                // An explicit 0 cpu stays 0 (cpu 100); the missing memory is 200Mi (80) -> 90.
                name: "explicit zero request is not defaulted",
                pod: pod(&[("cpu", "0")]),
                nodes: vec![small()],
                resources: cpu_memory(),
                want: vec![90],
            },
            ScoreCase {
                // An existing pod with explicit zeros adds nothing to NonZeroRequested: 85 as on
                // an empty node; an existing pod without containers adds nothing either.
                name: "existing pods with explicit zeros or no containers add nothing",
                pod: pod(&[]),
                nodes: vec![
                    small().with_pods(&[pod(&[("cpu", "0"), ("memory", "0")])]),
                    small().with_pods(&[no_container_pod()]),
                ],
                resources: cpu_memory(),
                want: vec![85, 85],
            },
            ScoreCase {
                // Init container 500m (memory missing -> 200Mi) vs container 100m/200Mi: max is
                // 500m / 200Mi -> cpu 50, memory 80 -> 65.
                name: "init containers raise the request to their maximum, with defaults",
                pod: PodBuilder::new().container(&[]).init_container(&[("cpu", "500m")]).build(),
                nodes: vec![small()],
                resources: cpu_memory(),
                want: vec![65],
            },
            ScoreCase {
                // cpu 2 (1 + overhead 1) of 4 -> 50, memory 5000 (4000 + 1000) of 10000 -> 50.
                name: "pod overhead is part of the request",
                pod: PodBuilder::new()
                    .container(&[("cpu", "1"), ("memory", "4000")])
                    .overhead(&[("cpu", "1"), ("memory", "1000")])
                    .build(),
                nodes: vec![cores_node("n", "4", "10000")],
                resources: cpu_memory(),
                want: vec![50],
            },
            ScoreCase {
                // cpu 75*3 + memory 50*1 = 275, / 4 = 68 (truncated).
                name: "weighted average truncates",
                pod: pod(&[("cpu", "1"), ("memory", "5000")]),
                nodes: vec![cores_node("n", "4", "10000")],
                resources: weights(&[("cpu", 3), ("memory", 1)]),
                want: vec![68],
            },
            ScoreCase {
                // cpu 75, memory 50, ephemeral (1000-250)*100/1000 = 75 -> 200/3 = 66; a node
                // without ephemeral-storage allocatable skips it: (75+50)/2 = 62.
                name: "ephemeral-storage as a scored resource",
                pod: pod(&[("cpu", "1"), ("memory", "5000"), ("ephemeral-storage", "250")]),
                nodes: vec![
                    node("n1", &[("cpu", "4"), ("memory", "10000"), ("ephemeral-storage", "1000")]),
                    cores_node("n2", "4", "10000"),
                ],
                resources: weights(&[("cpu", 1), ("memory", 1), ("ephemeral-storage", 1)]),
                want: vec![66, 62],
            },
            ScoreCase {
                // `pods` is skipped (not a scalar resource of the node): (75+50)/2 = 62, not
                // (75+50+90)/3 = 71 as it would be if (10-1)/10 were scored.
                name: "pods in the resource list is skipped",
                pod: pod(&[("cpu", "1"), ("memory", "5000")]),
                nodes: vec![node("n", &[("cpu", "4"), ("memory", "10000"), ("pods", "10")])],
                resources: weights(&[("cpu", 1), ("memory", 1), ("pods", 1)]),
                want: vec![62],
            },
            ScoreCase {
                // A requested gpu the node does not have is skipped: (75+50)/2 = 62. When the
                // node has 2 and 2 are in use, 3 > 2 scores 0: (75+50+0)/3 = 41.
                name: "requested extended resource missing on the node or over capacity",
                pod: pod(&[("cpu", "1"), ("memory", "5000"), ("nvidia.com/gpu", "1")]),
                nodes: vec![
                    cores_node("n1", "4", "10000"),
                    node("n2", &[("cpu", "4"), ("memory", "10000"), ("nvidia.com/gpu", "2")]).with_pods(&[pod(&[
                        ("cpu", "0"),
                        ("memory", "0"),
                        ("nvidia.com/gpu", "2"),
                    ])]),
                ],
                resources: weights(&[("cpu", 1), ("memory", 1), ("nvidia.com/gpu", 1)]),
                want: vec![62, 41],
            },
            ScoreCase {
                // hugepages 2Mi of 8Mi -> 75: (75+50+75)/3 = 66.
                name: "hugepages as a scored resource",
                pod: pod(&[("cpu", "1"), ("memory", "5000"), ("hugepages-2Mi", "2Mi")]),
                nodes: vec![node("n", &[("cpu", "4"), ("memory", "10000"), ("hugepages-2Mi", "8Mi")])],
                resources: weights(&[("cpu", 1), ("memory", 1), ("hugepages-2Mi", 1)]),
                want: vec![66],
            },
            ScoreCase {
                // Millicore fixtures work the same: 250m of 1000m -> 75, 256Mi of 1Gi -> 75.
                name: "millicores and binary memory",
                pod: pod(&[("cpu", "250m"), ("memory", "256Mi")]),
                nodes: vec![node("n", &[("cpu", "1"), ("memory", "1Gi")])],
                resources: cpu_memory(),
                want: vec![75],
            },
        ];
        check_scores(ScoringStrategyType::LeastAllocated, &[], cases);
    }

    #[test]
    fn most_allocated_upstream_table() {
        // TestMostAllocatedScoringStrategy (most_allocated_test.go); expected scores as upstream.
        let cases = vec![
            ScoreCase {
                name: "nothing scheduled, nothing requested",
                pod: no_container_pod(),
                nodes: vec![cores_node("node1", "4000", "10000"), cores_node("node2", "4000", "10000")],
                resources: cpu_memory(),
                want: vec![0, 0],
            },
            ScoreCase {
                // node1 cpu 75, memory 50 -> 62; node2 50, 50 -> 50.
                name: "nothing scheduled, resources requested, differently sized nodes",
                pod: two_container_pod(),
                nodes: vec![cores_node("node1", "4000", "10000"), cores_node("node2", "6000", "10000")],
                resources: cpu_memory(),
                want: vec![62, 50],
            },
            ScoreCase {
                // node1 cpu 60, memory 0 -> 30; node2 60, 25 -> 42.
                name: "no resources requested, pods scheduled with resources",
                pod: no_container_pod(),
                nodes: vec![
                    cores_node("node1", "10000", "20000").with_pods(&[
                        pod(&[("cpu", "3000"), ("memory", "0")]),
                        pod(&[("cpu", "3000"), ("memory", "0")]),
                    ]),
                    cores_node("node2", "10000", "20000").with_pods(&[
                        pod(&[("cpu", "3000"), ("memory", "0")]),
                        pod(&[("cpu", "3000"), ("memory", "5000")]),
                    ]),
                ],
                resources: cpu_memory(),
                want: vec![30, 42],
            },
            ScoreCase {
                // node1 60, 25 -> 42; node2 60, 50 -> 55.
                name: "resources requested, pods scheduled with resources",
                pod: two_container_pod(),
                nodes: vec![
                    cores_node("node1", "10000", "20000").with_pods(&[pod(&[("cpu", "3000"), ("memory", "0")])]),
                    cores_node("node2", "10000", "20000").with_pods(&[pod(&[("cpu", "3000"), ("memory", "5000")])]),
                ],
                resources: cpu_memory(),
                want: vec![42, 55],
            },
            ScoreCase {
                // node1 cpu 5000/5000 -> 100, memory 90 -> 95; node2 50, 9000/9000 -> 100 -> 75.
                name: "resources requested equal node capacity",
                pod: pod_with_containers(&[
                    &[("cpu", "2000"), ("memory", "4000")],
                    &[("cpu", "3000"), ("memory", "5000")],
                ]),
                nodes: vec![cores_node("node1", "5000", "10000"), cores_node("node2", "10000", "9000")],
                resources: cpu_memory(),
                want: vec![95, 75],
            },
            ScoreCase {
                // node1 (75*1 + 50*2)/3 = 58; node2 (50 + 100)/3 = 50.
                name: "nothing scheduled, resources requested with different weight on CPU and memory",
                pod: two_container_pod(),
                nodes: vec![cores_node("node1", "4000", "10000"), cores_node("node2", "6000", "10000")],
                resources: weights(&[("memory", 2), ("cpu", 1)]),
                want: vec![58, 50],
            },
            ScoreCase {
                // Containers without requests count 100m / 200Mi. node1: cpu 300m of 250m is
                // capped at 100, memory 600Mi of 1000Mi = 60 -> 80; node2 40, 20 -> 30.
                name: "no resources requested, pods scheduled, nonzero request for resource",
                pod: pod(&[]),
                nodes: vec![
                    node("node1", &[("cpu", "250m"), ("memory", "1000Mi")]).with_pods(&[pod(&[]), pod(&[])]),
                    node("node2", &[("cpu", "250m"), ("memory", "1000Mi")]),
                ],
                resources: cpu_memory(),
                want: vec![80, 30],
            },
            ScoreCase {
                name: "bypass extended resource if the pod does not request",
                pod: two_container_pod(),
                nodes: vec![
                    cores_node("node1", "6000", "10000"),
                    node("node2", &[("cpu", "6000"), ("memory", "10000"), ("abc.com/xyz", "4")]),
                ],
                resources: with_xyz(),
                want: vec![50, 50],
            },
            ScoreCase {
                // xyz: 2/4 -> 50, 2/10 -> 20: (50+50+50)/3 = 50, (50+50+20)/3 = 40.
                name: "honor extended resource if the pod request",
                pod: pod(&[("cpu", "3000"), ("memory", "5000"), ("abc.com/xyz", "2")]),
                nodes: vec![
                    node("node1", &[("cpu", "6000"), ("memory", "10000"), ("abc.com/xyz", "4")]),
                    node("node2", &[("cpu", "6000"), ("memory", "10000"), ("abc.com/xyz", "10")]),
                ],
                resources: with_xyz(),
                want: vec![50, 40],
            },
            ScoreCase {
                name: "if the node doesn't have a resource",
                pod: pod(&[("cpu", "3000"), ("memory", "4000")]),
                nodes: vec![
                    cores_node("node1", "6000", "10000"),
                    node("node2", &[("cpu", "6000"), ("memory", "10000"), ("abc.com/xyz", "4")]),
                ],
                resources: weights(&[("abc.com/xyz", 2), ("cpu", 1), ("memory", 1)]),
                want: vec![45, 45],
            },
            ScoreCase {
                // TestFitScore "test case for ScoringStrategy MostAllocated" (fit_test.go).
                name: "fit score: MostAllocated",
                pod: pod(&[("cpu", "1000"), ("memory", "2000")]),
                nodes: vec![
                    cores_node("node1", "4000", "10000").with_pods(&[pod(&[("cpu", "2000"), ("memory", "4000")])]),
                    cores_node("node2", "6000", "10000").with_pods(&[pod(&[("cpu", "1000"), ("memory", "2000")])]),
                ],
                resources: cpu_memory(),
                want: vec![67, 36],
            },
            ScoreCase {
                // TestFitScore "MostAllocated with sidecar container".
                name: "fit score: MostAllocated with sidecar container",
                pod: pod(&[("cpu", "1000"), ("memory", "2000")]),
                nodes: vec![
                    cores_node("node1", "4000", "10000").with_pods(&[PodBuilder::new()
                        .container(&[("cpu", "1000"), ("memory", "2000")])
                        .sidecar(&[("cpu", "1000"), ("memory", "2000")])
                        .build()]),
                    cores_node("node2", "4000", "10000").with_pods(&[pod(&[("cpu", "1000"), ("memory", "2000")])]),
                ],
                resources: cpu_memory(),
                want: vec![67, 45],
            },
        ];
        check_scores(ScoringStrategyType::MostAllocated, &[], cases);
    }

    #[test]
    fn most_allocated_hand_derived() {
        // Hand-derived from §7 (mostRequestedScore caps at capacity, weighted average).
        let cases = vec![
            ScoreCase {
                // cpu 6 of 4 is capped to 100 (LeastAllocated would give 0), memory 50 -> 75.
                name: "request above capacity is capped, not zeroed",
                pod: pod(&[("cpu", "3"), ("memory", "5000")]),
                nodes: vec![cores_node("n", "4", "10000").with_pods(&[pod(&[("cpu", "3"), ("memory", "0")])])],
                resources: cpu_memory(),
                want: vec![75],
            },
            ScoreCase {
                // (75*3 + 50)/4 = 68.
                name: "weighted average truncates",
                pod: pod(&[("cpu", "3"), ("memory", "5000")]),
                nodes: vec![cores_node("n", "4", "10000")],
                resources: weights(&[("cpu", 3), ("memory", 1)]),
                want: vec![68],
            },
            ScoreCase {
                // `pods` skipped: (75+50)/2 = 62, not (75+50+10)/3 = 45.
                name: "pods in the resource list is skipped",
                pod: pod(&[("cpu", "3"), ("memory", "5000")]),
                nodes: vec![node("n", &[("cpu", "4"), ("memory", "10000"), ("pods", "10")])],
                resources: weights(&[("cpu", 1), ("memory", 1), ("pods", 1)]),
                want: vec![62],
            },
            ScoreCase {
                // ephemeral 250 of 1000 -> 25: (75+50+25)/3 = 50.
                name: "ephemeral-storage as a scored resource",
                pod: pod(&[("cpu", "3"), ("memory", "5000"), ("ephemeral-storage", "250")]),
                nodes: vec![node("n", &[("cpu", "4"), ("memory", "10000"), ("ephemeral-storage", "1000")])],
                resources: weights(&[("cpu", 1), ("memory", 1), ("ephemeral-storage", 1)]),
                want: vec![50],
            },
            ScoreCase {
                // 100m of 1000m -> 10, 200Mi of 1000Mi -> 20 -> 15; no containers -> 0.
                name: "non-zero defaults only for containers without requests",
                pod: pod(&[]),
                nodes: vec![node("n", &[("cpu", "1000m"), ("memory", "1000Mi")])],
                resources: cpu_memory(),
                want: vec![15],
            },
            ScoreCase {
                name: "pod without containers on an empty node",
                pod: no_container_pod(),
                nodes: vec![node("n", &[("cpu", "1000m"), ("memory", "1000Mi")])],
                resources: cpu_memory(),
                want: vec![0],
            },
            ScoreCase {
                // gpu 3 of 4 -> 75 with weight 2: (50 + 50 + 150)/4 = 62.
                name: "extended resource weight",
                pod: pod(&[("cpu", "1"), ("memory", "5000"), ("nvidia.com/gpu", "1")]),
                nodes: vec![
                    node("n", &[("cpu", "2"), ("memory", "10000"), ("nvidia.com/gpu", "4")]).with_pods(&[pod(&[
                        ("cpu", "0"),
                        ("memory", "0"),
                        ("nvidia.com/gpu", "2"),
                    ])]),
                ],
                resources: weights(&[("cpu", 1), ("memory", 1), ("nvidia.com/gpu", 2)]),
                want: vec![62],
            },
        ];
        check_scores(ScoringStrategyType::MostAllocated, &[], cases);
    }

    #[test]
    fn empty_resource_list_is_an_error_at_score() {
        // "Resources not set, pods scheduled with error" (least/most_allocated_test.go): PreScore
        // succeeds, Score returns Error.
        for strategy in [ScoringStrategyType::LeastAllocated, ScoringStrategyType::MostAllocated] {
            let mut plugin = fit(strategy, Vec::new(), &[]);
            let pod = two_container_pod();
            let nodes = [cores_node("node1", "4000", "10000"), cores_node("node2", "6000", "10000")];
            let feasible: Vec<&NodeInfo> = nodes.iter().collect();
            assert!(plugin.pre_score(&CycleContext::default(), &pod, &feasible).is_success());
            for n in &nodes {
                let err = plugin.score(&pod, n).unwrap_err();
                assert_eq!(err.code, Code::Error, "{strategy:?}");
                assert_eq!(err.message(), "resources not found");
            }
            let mut out = [0; 2];
            let err = plugin.score_nodes(&pod, &feasible, &mut out).unwrap_err();
            assert_eq!((err.code, err.message()), (Code::Error, "resources not found".to_string()), "{strategy:?}");
            // No node to score: no error.
            assert!(plugin.score_nodes(&pod, &[], &mut []).is_ok());
        }
    }

    /// Upstream `shape` of TestRequestedToCapacityRatioScoringStrategy: least requested first.
    const DESCENDING: [(i64, i64); 2] = [(0, 10), (100, 0)];
    /// Bin packing: most requested first.
    const ASCENDING: [(i64, i64); 2] = [(0, 0), (100, 10)];
    /// The shape of TestResourceBinPacking*Extended: utilization 100 scores 1 (= 10 after scaling).
    const BIN_PACKING_TO_ONE: [(i64, i64); 2] = [(0, 0), (100, 1)];

    #[test]
    fn requested_to_capacity_ratio_upstream_table() {
        // TestRequestedToCapacityRatioScoringStrategy (requested_to_capacity_ratio_test.go).
        let cases = vec![
            ScoreCase {
                name: "nothing scheduled, nothing requested (default - least requested nodes have priority)",
                pod: no_container_pod(),
                nodes: vec![
                    cores_node("node1", "4000", "10000").with_pods(&[no_container_pod(), no_container_pod()]),
                    cores_node("node2", "4000", "10000"),
                ],
                resources: cpu_memory(),
                want: vec![100, 100],
            },
            ScoreCase {
                // node1: cpu 75% -> 25, memory 50% -> 50: 37.5 rounds to 38; node2 50, 50.
                name: "nothing scheduled, resources requested, differently sized nodes",
                pod: two_container_pod(),
                nodes: vec![
                    cores_node("node1", "4000", "10000").with_pods(&[no_container_pod(), no_container_pod()]),
                    cores_node("node2", "6000", "10000"),
                ],
                resources: cpu_memory(),
                want: vec![38, 50],
            },
            ScoreCase {
                name: "no resources requested, pods scheduled with resources",
                pod: no_container_pod(),
                nodes: vec![
                    cores_node("node1", "4000", "10000").with_pods(&[pod(&[("cpu", "3000"), ("memory", "5000")])]),
                    cores_node("node2", "6000", "10000").with_pods(&[pod(&[("cpu", "3000"), ("memory", "5000")])]),
                ],
                resources: cpu_memory(),
                want: vec![38, 50],
            },
        ];
        check_scores(ScoringStrategyType::RequestedToCapacityRatio, &DESCENDING, cases);

        // TestFitScore RequestedToCapacityRatio case1 / case2 (fit_test.go). case1, node1: cpu
        // 5000 > 4000 -> f(100) = 0, which drops out of both sums; memory 90% -> 10. node2: cpu
        // 4000/6000 = 66% -> 34, memory 70% -> 30 -> 32.
        let fit_score_nodes = || {
            vec![
                cores_node("node1", "4000", "10000").with_pods(&[pod(&[("cpu", "2000"), ("memory", "4000")])]),
                cores_node("node2", "6000", "10000").with_pods(&[pod(&[("cpu", "1000"), ("memory", "2000")])]),
            ]
        };
        let fit_score_pod = || pod(&[("cpu", "3000"), ("memory", "5000")]);
        check_scores(
            ScoringStrategyType::RequestedToCapacityRatio,
            &DESCENDING,
            vec![ScoreCase {
                name: "fit score: RequestedToCapacityRatio case1",
                pod: fit_score_pod(),
                nodes: fit_score_nodes(),
                resources: cpu_memory(),
                want: vec![10, 32],
            }],
        );
        // case2, node1: (100 + 90)/2 = 95; node2 (66 + 70)/2 = 68.
        check_scores(
            ScoringStrategyType::RequestedToCapacityRatio,
            &ASCENDING,
            vec![ScoreCase {
                name: "fit score: RequestedToCapacityRatio case2",
                pod: fit_score_pod(),
                nodes: fit_score_nodes(),
                resources: cpu_memory(),
                want: vec![95, 68],
            }],
        );
    }

    /// The nodes of TestResourceBinPacking*Extended: `makeNode(name, 4000 (milli), 10000Mi, ...)`.
    fn bin_packing_node(name: &str, extended: &[(&str, &str)]) -> NodeInfo {
        let mut allocatable = vec![("cpu", "4000m"), ("memory", "10000Mi")];
        allocatable.extend_from_slice(extended);
        node(name, &allocatable)
    }

    #[test]
    fn requested_to_capacity_ratio_single_extended_upstream_table() {
        // TestResourceBinPackingSingleExtended: resources [intel.com/foo: 1], node1 foo 8, node2
        // foo 4, shape (0,0),(100,1) scaled to (0,0),(100,10).
        let nodes = || {
            vec![
                bin_packing_node("node1", &[("intel.com/foo", "8")]),
                bin_packing_node("node2", &[("intel.com/foo", "4")]),
            ]
        };
        let foo = || weights(&[("intel.com/foo", 1)]);
        let cases = vec![
            ScoreCase {
                name: "nothing scheduled, nothing requested",
                pod: no_container_pod(),
                nodes: nodes(),
                resources: foo(),
                want: vec![0, 0],
            },
            ScoreCase {
                // 2/8 = 25% -> 10*25/100 = 2; 2/4 = 50% -> 5.
                name: "resources requested, pods scheduled with less resources",
                pod: pod(&[("intel.com/foo", "2")]),
                nodes: nodes(),
                resources: foo(),
                want: vec![2, 5],
            },
            ScoreCase {
                // node2 (2+2)/4 = 100% -> 10.
                name: "resources requested, pods scheduled with resources, on node with existing pod running",
                pod: pod(&[("intel.com/foo", "2")]),
                nodes: {
                    let mut n = nodes();
                    n[1].add_pod(crate::store::PodId(0), &pod(&[("intel.com/foo", "2")]));
                    n
                },
                resources: foo(),
                want: vec![2, 10],
            },
            ScoreCase {
                name: "resources requested, pods scheduled with more resources",
                pod: pod(&[("intel.com/foo", "4")]),
                nodes: nodes(),
                resources: foo(),
                want: vec![5, 10],
            },
        ];
        check_scores(ScoringStrategyType::RequestedToCapacityRatio, &BIN_PACKING_TO_ONE, cases);
    }

    #[test]
    fn requested_to_capacity_ratio_multiple_extended_upstream_table() {
        // TestResourceBinPackingMultipleExtended: resources [intel.com/foo: 3, intel.com/bar: 5],
        // node1 foo 8 / bar 4, node2 foo 4 / bar 8.
        let nodes = || {
            vec![
                bin_packing_node("node1", &[("intel.com/foo", "8"), ("intel.com/bar", "4")]),
                bin_packing_node("node2", &[("intel.com/foo", "4"), ("intel.com/bar", "8")]),
            ]
        };
        let foo_bar = || weights(&[("intel.com/foo", 3), ("intel.com/bar", 5)]);
        let cases = vec![
            ScoreCase {
                name: "nothing scheduled, nothing requested",
                pod: no_container_pod(),
                nodes: nodes(),
                resources: foo_bar(),
                want: vec![0, 0],
            },
            ScoreCase {
                // node1 (2*3 + 5*5)/8 = 3.875 -> 4; node2 (5*3 + 2*5)/8 = 3.125 -> 3.
                name: "resources requested, pods scheduled with less resources",
                pod: pod(&[("intel.com/foo", "2"), ("intel.com/bar", "2")]),
                nodes: nodes(),
                resources: foo_bar(),
                want: vec![4, 3],
            },
            ScoreCase {
                // node2 already has foo 4 / bar 2: foo 6 > 4 -> f(100) = 10, bar 4/8 -> 5:
                // (30 + 25)/8 = 6.875 -> 7.
                name: "resources requested, pods scheduled with resources, on node with existing pod running",
                pod: pod(&[("intel.com/foo", "2"), ("intel.com/bar", "2")]),
                nodes: {
                    let mut n = nodes();
                    n[1].add_pod(crate::store::PodId(0), &pod(&[("intel.com/foo", "4"), ("intel.com/bar", "2")]));
                    n
                },
                resources: foo_bar(),
                want: vec![4, 7],
            },
            ScoreCase {
                // node1 (5*3 + 5*5)/8 = 5; node2 (10*3 + 2*5)/8 = 5.
                name: "resources requested, pods scheduled with more resources",
                pod: pod(&[("intel.com/foo", "4"), ("intel.com/bar", "2")]),
                nodes: nodes(),
                resources: foo_bar(),
                want: vec![5, 5],
            },
        ];
        check_scores(ScoringStrategyType::RequestedToCapacityRatio, &BIN_PACKING_TO_ONE, cases);
    }

    #[test]
    fn requested_to_capacity_ratio_hand_derived() {
        // Hand-derived from §7 (shape scaled by 10, broken linear function, utilization
        // truncated, zero resource scores dropped, math.Round of the weighted mean).
        let gpu_node = |name: &str| node(name, &[("cpu", "8"), ("memory", "16Gi"), ("nvidia.com/gpu", "4")]);
        check_scores(
            ScoringStrategyType::RequestedToCapacityRatio,
            &ASCENDING,
            vec![
                ScoreCase {
                    // node1: cpu 4/8 -> 50, memory 8Gi/16Gi -> 50, gpu 3/4 -> 75 (weight 2):
                    // (50+50+150)/4 = 62.5 -> 63 (half away from zero). node2: 25, 25, 25 -> 25.
                    name: "gpu bin packing, rounding half away from zero",
                    pod: pod(&[("cpu", "2"), ("memory", "4Gi"), ("nvidia.com/gpu", "1")]),
                    nodes: vec![
                        gpu_node("node1").with_pods(&[pod(&[
                            ("cpu", "2"),
                            ("memory", "4Gi"),
                            ("nvidia.com/gpu", "2"),
                        ])]),
                        gpu_node("node2"),
                    ],
                    resources: weights(&[("cpu", 1), ("memory", 1), ("nvidia.com/gpu", 2)]),
                    want: vec![63, 25],
                },
                ScoreCase {
                    // The pod asks for no gpu: it is bypassed, cpu 25, memory 50 -> 37.5 -> 38.
                    name: "unrequested gpu is bypassed",
                    pod: pod(&[("cpu", "1"), ("memory", "5000")]),
                    nodes: vec![node("n", &[("cpu", "4"), ("memory", "10000"), ("nvidia.com/gpu", "4")])],
                    resources: weights(&[("cpu", 1), ("memory", 1), ("nvidia.com/gpu", 1)]),
                    want: vec![38],
                },
                ScoreCase {
                    // Utilization truncates: cpu 1/3 -> 33, memory 2000/3000 -> 66; 99/2 = 49.5
                    // -> 50.
                    name: "utilization truncates before the shape, mean rounds",
                    pod: pod(&[("cpu", "1"), ("memory", "2000")]),
                    nodes: vec![cores_node("n", "3", "3000")],
                    resources: cpu_memory(),
                    want: vec![50],
                },
                ScoreCase {
                    name: "nothing requested: every resource scores 0 and the node scores 0",
                    pod: no_container_pod(),
                    nodes: vec![cores_node("n", "3", "3000")],
                    resources: cpu_memory(),
                    want: vec![0],
                },
            ],
        );
        // A peaked shape (0,0),(50,10),(100,0) on cpu only, node of 4 cores with 0..3 in use and
        // a 1-core pod: 25% -> 50, 50% -> 100, 75% -> 100 - 100*25/50 = 50, 100% -> 0 (dropped,
        // no weight left -> 0).
        let four = |used: &str| cores_node("n", "4", "10000").with_pods(&[pod(&[("cpu", used), ("memory", "0")])]);
        check_scores(
            ScoringStrategyType::RequestedToCapacityRatio,
            &[(0, 0), (50, 10), (100, 0)],
            vec![ScoreCase {
                name: "peaked shape",
                pod: pod(&[("cpu", "1"), ("memory", "0")]),
                nodes: vec![four("0"), four("1"), four("2"), four("3")],
                resources: weights(&[("cpu", 1)]),
                want: vec![50, 100, 50, 0],
            }],
        );
        // Interpolation truncates: shape (0,0),(30,10), 10% -> 100*10/30 = 33, 20% -> 66, 40%
        // (past the last point) -> 100.
        let ten = |used: &str| cores_node("n", "10", "10000").with_pods(&[pod(&[("cpu", used), ("memory", "0")])]);
        check_scores(
            ScoringStrategyType::RequestedToCapacityRatio,
            &[(0, 0), (30, 10)],
            vec![ScoreCase {
                name: "interpolation truncates",
                pod: pod(&[("cpu", "1"), ("memory", "0")]),
                nodes: vec![ten("0"), ten("1"), ten("3")],
                resources: weights(&[("cpu", 1)]),
                want: vec![33, 66, 100],
            }],
        );
    }

    /// Shape points or (p, expected) pairs.
    type Points = &'static [(i64, i64)];

    #[test]
    fn broken_linear_function_upstream_table() {
        // TestBrokenLinearFunction (requested_to_capacity_ratio_test.go): raw shape points, no
        // scaling; (p, expected) pairs as upstream.
        let tables: [(Points, Points); 3] = [
            (
                &[(10, 1), (90, 9)],
                &[
                    (-10, 1),
                    (0, 1),
                    (9, 1),
                    (10, 1),
                    (15, 1),
                    (19, 1),
                    (20, 2),
                    (89, 8),
                    (90, 9),
                    (99, 9),
                    (100, 9),
                    (110, 9),
                ],
            ),
            (
                &[(0, 2), (40, 10), (100, 0)],
                &[(-10, 2), (0, 2), (20, 6), (30, 8), (40, 10), (70, 5), (100, 0), (110, 0)],
            ),
            (&[(0, 2), (40, 2), (100, 2)], &[(-10, 2), (0, 2), (20, 2), (30, 2), (40, 2), (70, 2), (100, 2), (110, 2)]),
        ];
        for (shape, assertions) in tables {
            for &(p, want) in assertions {
                assert_eq!(broken_linear(shape, p), want, "shape {shape:?} at {p}");
            }
        }
    }

    #[test]
    fn score_helpers_match_reference() {
        // Hand-derived from §7: leastRequestedScore zeroes above capacity, mostRequestedScore caps.
        assert_eq!(least_requested_score(0, 0), 0);
        assert_eq!(least_requested_score(5, 4), 0);
        assert_eq!(least_requested_score(4, 4), 0);
        assert_eq!(least_requested_score(1, 3), 66);
        assert_eq!(most_requested_score(0, 0), 0);
        assert_eq!(most_requested_score(5, 4), 100);
        assert_eq!(most_requested_score(1, 3), 33);
    }

    // ----- Filter -----------------------------------------------------------------------------

    /// Upstream `makeAllocatableResources(10, 20, 32, 5, 20, 5)`: cpu 10m, memory 20, 32 pods,
    /// example.com/aaa 5, ephemeral-storage 20, hugepages-2Mi 5.
    const FIT_NODE: [(&str, &str); 6] = [
        ("cpu", "10m"),
        ("memory", "20"),
        ("pods", "32"),
        ("example.com/aaa", "5"),
        ("ephemeral-storage", "20"),
        ("hugepages-2Mi", "5"),
    ];

    struct FilterCase {
        name: &'static str,
        pod: Pod,
        /// The one pod already on the node (upstream `framework.NewNodeInfo(pod)`).
        existing: Pod,
        ignored_resources: &'static [&'static str],
        ignored_resource_groups: &'static [&'static str],
        /// `None` = fits.
        want: Option<(Code, &'static [&'static str])>,
    }

    fn case(name: &'static str, pod: Pod, existing: Pod, want: Option<(Code, &'static [&'static str])>) -> FilterCase {
        FilterCase { name, pod, existing, ignored_resources: &[], ignored_resource_groups: &[], want }
    }

    fn check_filter(allocatable: &[(&str, &str)], cases: Vec<FilterCase>) {
        for c in cases {
            let mut plugin = NodeResourcesFit::new(NodeResourcesFitArgs {
                ignored_resources: c.ignored_resources.iter().map(|s| s.to_string()).collect(),
                ignored_resource_groups: c.ignored_resource_groups.iter().map(|s| s.to_string()).collect(),
                ..NodeResourcesFitArgs::default()
            });
            let n = node("node", allocatable).with_pods(std::slice::from_ref(&c.existing));
            let (_, pre) = plugin.pre_filter(&CycleContext::with_nodes(std::slice::from_ref(&n)), &c.pod);
            assert!(pre.is_success(), "{}: PreFilter {pre}", c.name);
            let got = plugin.filter(&c.pod, &n);
            assert_eq!(plugin.passes(&c.pod, &n), got.is_success(), "passes");
            let met = crate::scheduler::plugins::testutil::check_row_need(&plugin, &c.pod, &n, c.name);
            // Without ephemeral storage or other extended resources the row decides alone.
            if plugin.row_need(&c.pod).is_some() {
                assert_eq!(met, got.is_success(), "{}: row", c.name);
            }
            // The quick answer and the list of reasons agree.
            let quick = fits(&c.pod.spec.requests, &n, |r| plugin.ignored(r));
            let (reasons, _) = insufficient_resources(&c.pod.spec.requests, &n, |r| plugin.ignored(r));
            assert_eq!((quick, reasons.is_empty()), (c.want.is_none(), c.want.is_none()), "{}: fits", c.name);
            match c.want {
                None => assert!(got.is_success(), "{}: want success, got {got}", c.name),
                Some((code, reasons)) => {
                    assert_eq!(got.code, code, "{}: {got}", c.name);
                    assert_eq!(got.reasons[..], *reasons, "{}", c.name);
                }
            }
        }
    }

    /// A container with the given cpu (milli) and memory, as upstream `newResourcePod` writes every
    /// container: cpu, memory, pods and ephemeral-storage always present, plus `extra`.
    fn res(
        cpu_milli: &'static str,
        memory: &'static str,
        extra: &[(&'static str, &'static str)],
    ) -> Vec<(&'static str, &'static str)> {
        let mut v = vec![("cpu", cpu_milli), ("memory", memory), ("pods", "0"), ("ephemeral-storage", "0")];
        v.extend_from_slice(extra);
        v
    }

    fn rp(cpu_milli: &'static str, memory: &'static str) -> Pod {
        pod(&res(cpu_milli, memory, &[]))
    }

    fn rp_x(cpu_milli: &'static str, memory: &'static str, extra: &[(&'static str, &'static str)]) -> Pod {
        pod(&res(cpu_milli, memory, extra))
    }

    /// A pod with one container `(cpu, memory)` and init containers.
    fn init_pod(container: Vec<(&'static str, &'static str)>, inits: &[Vec<(&'static str, &'static str)>]) -> Pod {
        inits.iter().fold(PodBuilder::new().container(&container), |b, i| b.init_container(i)).build()
    }

    const CPU: &[&str] = &["Insufficient cpu"];
    const MEMORY: &[&str] = &["Insufficient memory"];
    const AAA: &[&str] = &["Insufficient example.com/aaa"];
    const BBB: &[&str] = &["Insufficient example.com/bbb"];
    const HUGEPAGES: &[&str] = &["Insufficient hugepages-2Mi"];
    const UNSCHEDULABLE: Code = Code::Unschedulable;
    const UNRESOLVABLE: Code = Code::UnschedulableAndUnresolvable;

    #[test]
    fn filter_enough_requests_upstream_table() {
        // TestEnoughRequests (fit_test.go, v1.34 with UnschedulableAndUnresolvable when the
        // request exceeds allocatable). Pod-level resources and DRA cases are not modelled.
        let cases = vec![
            case("no resources requested always fits", no_container_pod(), rp("10m", "20"), None),
            case(
                "too many resources fails",
                rp("1m", "1"),
                rp("10m", "20"),
                Some((UNSCHEDULABLE, &["Insufficient cpu", "Insufficient memory"])),
            ),
            case(
                "too many resources fails due to init container cpu",
                init_pod(res("1m", "1", &[]), &[res("3m", "1", &[])]),
                rp("8m", "19"),
                Some((UNSCHEDULABLE, CPU)),
            ),
            case(
                "too many resources fails due to highest init container cpu",
                init_pod(res("1m", "1", &[]), &[res("3m", "1", &[]), res("2m", "1", &[])]),
                rp("8m", "19"),
                Some((UNSCHEDULABLE, CPU)),
            ),
            case(
                "too many resources fails due to init container memory",
                init_pod(res("1m", "1", &[]), &[res("1m", "3", &[])]),
                rp("9m", "19"),
                Some((UNSCHEDULABLE, MEMORY)),
            ),
            case(
                "too many resources fails due to highest init container memory",
                init_pod(res("1m", "1", &[]), &[res("1m", "3", &[]), res("1m", "2", &[])]),
                rp("9m", "19"),
                Some((UNSCHEDULABLE, MEMORY)),
            ),
            case(
                "init container fits because it's the max, not sum, of containers and init containers",
                init_pod(res("1m", "1", &[]), &[res("1m", "1", &[])]),
                rp("9m", "19"),
                None,
            ),
            case(
                "multiple init containers fit because it's the max, not sum, of containers and init containers",
                init_pod(res("1m", "1", &[]), &[res("1m", "1", &[]), res("1m", "1", &[])]),
                rp("9m", "19"),
                None,
            ),
            case("both resources fit", rp("1m", "1"), rp("5m", "5"), None),
            case("one resource memory fits", rp("2m", "1"), rp("9m", "5"), Some((UNSCHEDULABLE, CPU))),
            case("one resource cpu fits", rp("1m", "2"), rp("5m", "19"), Some((UNSCHEDULABLE, MEMORY))),
            case("equal edge case", rp("5m", "1"), rp("5m", "19"), None),
            case(
                "equal edge case for init container",
                init_pod(res("4m", "1", &[]), &[res("5m", "1", &[])]),
                rp("5m", "19"),
                None,
            ),
            case("extended resource fits", rp_x("0", "0", &[("example.com/aaa", "1")]), rp("0", "0"), None),
            case(
                "extended resource fits for init container",
                init_pod(res("0", "0", &[]), &[res("0", "0", &[("example.com/aaa", "1")])]),
                rp("0", "0"),
                None,
            ),
            case(
                "extended resource capacity enforced",
                rp_x("1m", "1", &[("example.com/aaa", "10")]),
                rp_x("0", "0", &[("example.com/aaa", "0")]),
                Some((UNRESOLVABLE, AAA)),
            ),
            case(
                "extended resource capacity enforced for init container",
                init_pod(res("0", "0", &[]), &[res("1m", "1", &[("example.com/aaa", "10")])]),
                rp_x("0", "0", &[("example.com/aaa", "0")]),
                Some((UNRESOLVABLE, AAA)),
            ),
            case(
                "extended resource allocatable enforced",
                rp_x("1m", "1", &[("example.com/aaa", "1")]),
                rp_x("0", "0", &[("example.com/aaa", "5")]),
                Some((UNSCHEDULABLE, AAA)),
            ),
            case(
                "extended resource allocatable enforced for init container",
                init_pod(res("0", "0", &[]), &[res("1m", "1", &[("example.com/aaa", "1")])]),
                rp_x("0", "0", &[("example.com/aaa", "5")]),
                Some((UNSCHEDULABLE, AAA)),
            ),
            case(
                "extended resource allocatable enforced for multiple containers",
                pod_with_containers(&[
                    &res("1m", "1", &[("example.com/aaa", "3")]),
                    &res("1m", "1", &[("example.com/aaa", "3")]),
                ]),
                rp_x("0", "0", &[("example.com/aaa", "2")]),
                Some((UNRESOLVABLE, AAA)),
            ),
            case(
                "extended resource allocatable admits multiple init containers",
                init_pod(
                    res("0", "0", &[]),
                    &[res("1m", "1", &[("example.com/aaa", "3")]), res("1m", "1", &[("example.com/aaa", "3")])],
                ),
                rp_x("0", "0", &[("example.com/aaa", "2")]),
                None,
            ),
            case(
                "extended resource allocatable enforced for multiple init containers",
                init_pod(
                    res("0", "0", &[]),
                    &[res("1m", "1", &[("example.com/aaa", "6")]), res("1m", "1", &[("example.com/aaa", "3")])],
                ),
                rp_x("0", "0", &[("example.com/aaa", "2")]),
                Some((UNRESOLVABLE, AAA)),
            ),
            case(
                "extended resource allocatable enforced for unknown resource",
                rp_x("1m", "1", &[("example.com/bbb", "1")]),
                rp("0", "0"),
                Some((UNRESOLVABLE, BBB)),
            ),
            case(
                "extended resource allocatable enforced for unknown resource for init container",
                init_pod(res("0", "0", &[]), &[res("1m", "1", &[("example.com/bbb", "1")])]),
                rp("0", "0"),
                Some((UNRESOLVABLE, BBB)),
            ),
            case(
                "kubernetes.io resource capacity enforced",
                rp_x("1m", "1", &[("kubernetes.io/something", "10")]),
                rp("0", "0"),
                Some((UNRESOLVABLE, &["Insufficient kubernetes.io/something"])),
            ),
            case(
                "kubernetes.io resource capacity enforced for init container",
                init_pod(res("0", "0", &[]), &[res("1m", "1", &[("subdomain.kubernetes.io/something", "10")])]),
                rp("0", "0"),
                Some((UNRESOLVABLE, &["Insufficient subdomain.kubernetes.io/something"])),
            ),
            case(
                "hugepages resource capacity enforced",
                rp_x("1m", "1", &[("hugepages-2Mi", "10")]),
                rp_x("0", "0", &[("hugepages-2Mi", "0")]),
                Some((UNRESOLVABLE, HUGEPAGES)),
            ),
            case(
                "hugepages resource capacity enforced for init container",
                init_pod(res("0", "0", &[]), &[res("1m", "1", &[("hugepages-2Mi", "10")])]),
                rp_x("0", "0", &[("hugepages-2Mi", "0")]),
                Some((UNRESOLVABLE, HUGEPAGES)),
            ),
            case(
                "hugepages resource allocatable enforced for multiple containers",
                pod_with_containers(&[
                    &res("1m", "1", &[("hugepages-2Mi", "3")]),
                    &res("1m", "1", &[("hugepages-2Mi", "3")]),
                ]),
                rp_x("0", "0", &[("hugepages-2Mi", "2")]),
                Some((UNRESOLVABLE, HUGEPAGES)),
            ),
            FilterCase {
                ignored_resources: &["example.com/bbb"],
                ..case(
                    "skip checking ignored extended resource",
                    rp_x("1m", "1", &[("example.com/bbb", "1")]),
                    rp("0", "0"),
                    None,
                )
            },
            case(
                "resources + pod overhead fits",
                PodBuilder::new().container(&res("1m", "1", &[])).overhead(&[("cpu", "3m"), ("memory", "13")]).build(),
                rp("5m", "5"),
                None,
            ),
            case(
                "requests + overhead does not fit for memory",
                PodBuilder::new().container(&res("1m", "1", &[])).overhead(&[("cpu", "1m"), ("memory", "15")]).build(),
                rp("5m", "5"),
                Some((UNSCHEDULABLE, MEMORY)),
            ),
            FilterCase {
                ignored_resource_groups: &["example.com"],
                ..case(
                    "skip checking ignored extended resource via resource groups",
                    rp_x("1m", "1", &[("example.com/bbb", "1"), ("kubernetes.io/something", "1")]),
                    rp("0", "0"),
                    Some((UNRESOLVABLE, &["Insufficient kubernetes.io/something"])),
                )
            },
            case(
                "skip checking extended resource request with quantity zero via resource groups",
                rp_x("1m", "1", &[("example.com/aaa", "0")]),
                rp_x("0", "0", &[("example.com/aaa", "6")]),
                None,
            ),
            case(
                "skip checking resource request with quantity zero",
                rp_x("0", "0", &[("example.com/aaa", "1")]),
                rp_x("20m", "30", &[("example.com/aaa", "1")]),
                None,
            ),
        ];
        check_filter(&FIT_NODE, cases);
    }

    #[test]
    fn filter_not_enough_pods_upstream_table() {
        // TestNotEnoughRequests: makeAllocatableResources(10, 20, 1, 0, 0, 0), one pod present.
        let one_pod_node = [
            ("cpu", "10m"),
            ("memory", "20"),
            ("pods", "1"),
            ("example.com/aaa", "0"),
            ("ephemeral-storage", "0"),
            ("hugepages-2Mi", "0"),
        ];
        const TOO_MANY: &[&str] = &["Too many pods"];
        let cases = vec![
            case(
                "even without specified resources, predicate fails when there's no space for additional pod",
                no_container_pod(),
                rp("10m", "20"),
                Some((UNSCHEDULABLE, TOO_MANY)),
            ),
            case(
                "even if both resources fit, predicate fails when there's no space for additional pod",
                rp("1m", "1"),
                rp("5m", "5"),
                Some((UNSCHEDULABLE, TOO_MANY)),
            ),
            case(
                "even for equal edge case, predicate fails when there's no space for additional pod",
                rp("5m", "1"),
                rp("5m", "19"),
                Some((UNSCHEDULABLE, TOO_MANY)),
            ),
            case(
                "even for equal edge case, predicate fails when there's no space for additional pod due to init container",
                init_pod(res("5m", "1", &[]), &[res("5m", "1", &[])]),
                rp("5m", "19"),
                Some((UNSCHEDULABLE, TOO_MANY)),
            ),
        ];
        check_filter(&one_pod_node, cases);
    }

    #[test]
    fn filter_storage_requests_upstream_table() {
        // TestStorageRequests (fit_test.go), node as in TestEnoughRequests.
        let eph = |v: &'static str| pod(&[("cpu", "0"), ("memory", "0"), ("ephemeral-storage", v)]);
        let cases = vec![
            case("empty storage requested, and pod fits", rp("1m", "1"), rp("2m", "10"), None),
            case(
                "storage ephemeral local storage request exceeds allocatable",
                eph("25"),
                rp("2m", "2"),
                Some((UNRESOLVABLE, &["Insufficient ephemeral-storage"])),
            ),
            case(
                "ephemeral local storage is sufficient",
                eph("5"),
                pod(&[("cpu", "2m"), ("memory", "2"), ("ephemeral-storage", "10")]),
                None,
            ),
            case("pod fits", eph("10"), rp("2m", "2"), None),
        ];
        check_filter(&FIT_NODE, cases);
    }

    #[test]
    fn filter_restartable_init_containers_upstream_table() {
        // TestRestartableInitContainers (sidecars enabled): node cpu 2m, memory 0, 1 pod, empty.
        let node_alloc = [("cpu", "2m"), ("memory", "0"), ("pods", "1")];
        let sidecar_pod = |regular: &[(&str, &str)], sidecar: &[(&str, &str)]| {
            PodBuilder::new().container(regular).sidecar(sidecar).build()
        };
        let cases = [
            ("allow pod with restartable init containers", sidecar_pod(&[], &[]), None),
            (
                "allow pod if the total requested resources do not exceed the node's allocatable resources",
                sidecar_pod(&[("cpu", "1m")], &[("cpu", "1m")]),
                None,
            ),
            (
                "not allow pod if the total requested resources do exceed the node's allocatable resources",
                sidecar_pod(&[("cpu", "1m")], &[("cpu", "2m")]),
                Some((UNRESOLVABLE, CPU)),
            ),
        ];
        for (name, p, want) in cases {
            let mut plugin = NodeResourcesFit::new(NodeResourcesFitArgs::default());
            let n = node("node", &node_alloc);
            let (_, pre) = plugin.pre_filter(&CycleContext::with_nodes(std::slice::from_ref(&n)), &p);
            assert!(pre.is_success(), "{name}");
            let got = plugin.filter(&p, &n);
            assert_eq!(plugin.passes(&p, &n), got.is_success(), "passes");
            let met = crate::scheduler::plugins::testutil::check_row_need(&plugin, &p, &n, name);
            if plugin.row_need(&p).is_some() {
                assert_eq!(met, got.is_success(), "{name}: row");
            }
            match want {
                None => assert!(got.is_success(), "{name}: {got}"),
                Some((code, reasons)) => {
                    assert_eq!(got.code, code, "{name}");
                    assert_eq!(got.reasons[..], *reasons, "{name}");
                }
            }
        }
    }

    #[test]
    fn filter_hand_derived() {
        // Hand-derived from §6: reasons in the order pods, cpu, memory, ephemeral-storage,
        // scalars; the status is Unschedulable unless some request exceeds allocatable.
        let small =
            [("cpu", "10m"), ("memory", "20"), ("pods", "1"), ("ephemeral-storage", "20"), ("example.com/aaa", "5")];
        let existing =
            || pod(&[("cpu", "5m"), ("memory", "10"), ("ephemeral-storage", "10"), ("example.com/aaa", "3")]);
        let all = &[
            "Too many pods",
            "Insufficient cpu",
            "Insufficient memory",
            "Insufficient ephemeral-storage",
            "Insufficient example.com/aaa",
        ];
        let cases = vec![
            case(
                "every resource short, none above allocatable: all reasons, in order, Unschedulable",
                pod(&[("cpu", "6m"), ("memory", "11"), ("ephemeral-storage", "11"), ("example.com/aaa", "3")]),
                existing(),
                Some((UNSCHEDULABLE, all)),
            ),
            case(
                "one request above allocatable makes it unresolvable, all reasons kept",
                pod(&[("cpu", "11m"), ("memory", "11"), ("ephemeral-storage", "11"), ("example.com/aaa", "3")]),
                existing(),
                Some((UNRESOLVABLE, all)),
            ),
            case(
                "a too-full pod count alone is never unresolvable",
                no_container_pod(),
                existing(),
                Some((UNSCHEDULABLE, &["Too many pods"])),
            ),
        ];
        check_filter(&small, cases);

        // A node without a `pods` entry allows no pod at all, still only Unschedulable.
        check_filter(
            &[("cpu", "10m"), ("memory", "20")],
            vec![case(
                "no pods allocatable",
                rp("1m", "1"),
                no_container_pod(),
                Some((UNSCHEDULABLE, &["Too many pods"])),
            )],
        );

        // Only extended resources can be ignored: hugepages and kubernetes.io-prefixed ones are
        // checked whatever the lists say; a group is the text before the first '/'.
        let cases = vec![
            FilterCase {
                ignored_resources: &["hugepages-2Mi"],
                ignored_resource_groups: &["kubernetes.io"],
                ..case(
                    "hugepages and kubernetes.io resources cannot be ignored",
                    rp_x("1m", "1", &[("hugepages-2Mi", "10"), ("kubernetes.io/something", "1")]),
                    rp("0", "0"),
                    Some((UNRESOLVABLE, &["Insufficient hugepages-2Mi", "Insufficient kubernetes.io/something"])),
                )
            },
            FilterCase {
                ignored_resource_groups: &["example"],
                ..case(
                    "a group must equal the whole domain",
                    rp_x("1m", "1", &[("example.com/bbb", "1")]),
                    rp("0", "0"),
                    Some((UNRESOLVABLE, BBB)),
                )
            },
            FilterCase {
                ignored_resources: &["example.com/aaa"],
                ..case(
                    "an ignored resource does not hide another one",
                    rp_x("1m", "1", &[("example.com/aaa", "9"), ("example.com/bbb", "1")]),
                    rp("0", "0"),
                    Some((UNRESOLVABLE, BBB)),
                )
            },
        ];
        check_filter(&FIT_NODE, cases);
    }

    proptest::proptest! {
        /// The loop over the default resources (cpu and memory from the nodes' rows) scores as
        /// the general one does, node by node: weights, zero capacities, over-committed nodes.
        #[test]
        fn the_cpu_and_memory_rows_score_as_each_node(
            nodes in proptest::collection::vec((0i64..3, 0i64..40, 0i64..3, 0i64..40), 1..6),
            cpu_weight in 1i64..4,
            memory_weight in 1i64..4,
            most in proptest::prelude::any::<bool>(),
            pod_cpu in 0i64..6,
            pod_memory in 0i64..6,
        ) {
            let strategy = if most { ScoringStrategyType::MostAllocated } else { ScoringStrategyType::LeastAllocated };
            let plugin = fit(strategy, weights(&[("cpu", cpu_weight), ("memory", memory_weight)]), &[]);
            let allocatable: Vec<(i64, i64)> = nodes.iter().map(|&(cpu, _, memory, _)| (cpu, memory)).collect();
            let (mut infos, p) = cpu_memory_case(&allocatable, pod_cpu, pod_memory);
            for (n, &(_, cpu_used, _, memory_used)) in infos.iter_mut().zip(&nodes) {
                n.non_zero_requested.milli_cpu = cpu_used * 100;
                n.non_zero_requested.memory = memory_used << 28;
            }
            let refs: Vec<&NodeInfo> = infos.iter().collect();
            let out = score_rows_of(&plugin, &p, &refs).unwrap();
            for (n, got) in infos.iter().zip(out) {
                proptest::prop_assert_eq!(got, plugin.score(&p, n).unwrap());
            }
        }
    }

    #[test]
    fn quotient_is_integer_division() {
        // Around multiples of the divisor, at the edge of exact doubles, and past it.
        let divisors = [1, 3, 7, 1000, 4_000, 34_359_738_368, 137_438_953_472, (1 << 53) - 1, 1 << 53, i64::MAX];
        for d in divisors {
            for k in [0i64, 1, 2, 99, 100, 12_345, 1 << 20, 1 << 40, (1 << 53) / d.max(1)] {
                for n in
                    [k.saturating_mul(d).saturating_sub(1), k.saturating_mul(d), k.saturating_mul(d).saturating_add(1)]
                {
                    for n in [n, n.saturating_mul(100)] {
                        assert_eq!(quotient(n, d), n / d, "{n} / {d}");
                    }
                }
            }
        }
        // Pseudo-random operands below 2^53 (a fixed LCG: the test is the same every run).
        let mut s: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..200_000 {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let d = ((s >> 11) % (1 << 40)) as i64 + 1;
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let n = (s >> 11) as i64;
            assert_eq!(quotient(n, d), n / d, "{n} / {d}");
            assert_eq!(quotient(n % d * 100, d), n % d * 100 / d, "{} / {d}", n % d * 100);
        }
        assert_eq!(quotient(-7, 2), -3, "negative: truncated like Go");
    }
}
