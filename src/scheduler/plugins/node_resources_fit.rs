//! NodeResourcesFit (`pkg/scheduler/framework/plugins/noderesources/fit.go`,
//! `resource_allocation.go`, `least_allocated.go`, `most_allocated.go`,
//! `requested_to_capacity_ratio.go`): the resource filter with the pods limit, and the three
//! scoring strategies, in kube-scheduler's integer arithmetic.

use crate::api::pod::Pod;
use crate::api::resources::{ResourceName, Resources};
use crate::scheduler::config::{NodeResourcesFitArgs, ResourceWeight, ScoringStrategyType};
use crate::scheduler::framework::{
    Filter, MAX_NODE_SCORE, NodeInfo, Plugin, PreFilter, PreFilterResult, PreScore, Score, Status,
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
        if self.args.ignored_resources.iter().any(|r| r == name) {
            return true;
        }
        match name.split_once('/') {
            Some((group, _)) => self.args.ignored_resource_groups.iter().any(|g| g == group),
            None => false,
        }
    }
}

/// `fitsRequest`: the reasons a pod does not fit on a node, in kube-scheduler's order, and
/// whether some resource exceeds even an empty node's allocatable (v1.34: unresolvable).
pub fn insufficient_resources(req: &Resources, node: &NodeInfo, ignored: impl Fn(&str) -> bool) -> (Vec<String>, bool) {
    let mut reasons = Vec::new();
    let mut unresolvable = false;
    let alloc = &node.allocatable;
    if i64::from(node.pod_count) + 1 > alloc.allowed_pod_number {
        reasons.push("Too many pods".to_string());
    }
    if req.milli_cpu == 0 && req.memory == 0 && req.ephemeral_storage == 0 && req.scalar.is_empty() {
        return (reasons, unresolvable);
    }
    let mut check = |name: &str, want: i64, allocatable: i64, requested: i64| {
        if want > allocatable - requested {
            reasons.push(format!("Insufficient {name}"));
            if want > allocatable {
                unresolvable = true;
            }
        }
    };
    if req.milli_cpu > 0 {
        check("cpu", req.milli_cpu, alloc.milli_cpu, node.requested.milli_cpu);
    }
    if req.memory > 0 {
        check("memory", req.memory, alloc.memory, node.requested.memory);
    }
    if req.ephemeral_storage > 0 {
        check("ephemeral-storage", req.ephemeral_storage, alloc.ephemeral_storage, node.requested.ephemeral_storage);
    }
    for (name, want) in &req.scalar {
        if *want == 0 {
            continue;
        }
        // Only extended resources can be ignored; hugepages and prefixed native ones cannot.
        let extended = ResourceName::Scalar(name.clone()).is_extended();
        if extended && ignored(name) {
            continue;
        }
        check(name, *want, alloc.scalar(name), node.requested.scalar(name));
    }
    (reasons, unresolvable)
}

impl Plugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        NAME
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
    fn pre_filter(&mut self, _pod: &Pod, _nodes: &[NodeInfo]) -> (PreFilterResult, Status) {
        // The pod's requests are precomputed on its spec (`PodRequests`).
        (PreFilterResult::default(), Status::success())
    }
}

impl Filter for NodeResourcesFit {
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        let (reasons, unresolvable) = insufficient_resources(&pod.spec.requests, node, |n| self.ignored(n));
        if reasons.is_empty() {
            return Status::success();
        }
        let mut status = if unresolvable { Status::unresolvable("") } else { Status::unschedulable("") };
        status.reasons = reasons;
        status
    }
}

impl PreScore for NodeResourcesFit {
    fn pre_score(&mut self, _pod: &Pod, _feasible: &[&NodeInfo]) -> Status {
        if self.args.resources.is_empty() {
            return Status::error("resources not found");
        }
        Status::success()
    }
}

/// The (allocatable, requested-with-pod) pair of one resource, or `None` when it is skipped
/// (`calculateResourceAllocatableRequest`). `use_requested` selects `Requested` and the pod's
/// request without non-zero defaults (BalancedAllocation); otherwise cpu and memory use the
/// non-zero variants (LeastAllocated, MostAllocated, RequestedToCapacityRatio).
pub fn allocatable_and_requested(
    pod: &Pod,
    node: &NodeInfo,
    resource: &ResourceName,
    use_requested: bool,
) -> Option<(i64, i64)> {
    let pod_req = if use_requested { &pod.spec.requests } else { &pod.spec.non_zero_requests };
    let node_req = if use_requested { &node.requested } else { &node.non_zero_requested };
    let (alloc, req) = match resource {
        ResourceName::Cpu => (node.allocatable.milli_cpu, node_req.milli_cpu + pod_req.milli_cpu),
        ResourceName::Memory => (node.allocatable.memory, node_req.memory + pod_req.memory),
        ResourceName::EphemeralStorage => {
            (node.allocatable.ephemeral_storage, node.requested.ephemeral_storage + pod.spec.requests.ephemeral_storage)
        }
        ResourceName::Pods => (node.allocatable.allowed_pod_number, i64::from(node.pod_count) + 1),
        ResourceName::Scalar(name) => {
            let want = pod.spec.requests.scalar(name);
            // Scalar resources the pod does not request are bypassed.
            if want == 0 || !node.allocatable.has_scalar(name) {
                (0, 0)
            } else {
                (node.allocatable.scalar(name), node.requested.scalar(name) + want)
            }
        }
    };
    if alloc == 0 { None } else { Some((alloc, req)) }
}

/// `leastRequestedScore`.
pub fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

/// `mostRequestedScore`: requests above capacity are capped, not zeroed.
pub fn most_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    requested.min(capacity) * MAX_NODE_SCORE / capacity
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
    fn weighted(&self, pod: &Pod, node: &NodeInfo, per_resource: impl Fn(i64, i64) -> i64) -> i64 {
        let (mut sum, mut weights) = (0i64, 0i64);
        for ResourceWeight { name, weight } in &self.args.resources {
            if let Some((alloc, req)) = allocatable_and_requested(pod, node, name, false) {
                sum += per_resource(req, alloc) * weight;
                weights += weight;
            }
        }
        if weights == 0 { 0 } else { sum / weights }
    }
}

impl Score for NodeResourcesFit {
    fn score(&self, pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        Ok(match self.args.strategy {
            ScoringStrategyType::LeastAllocated => self.weighted(pod, node, least_requested_score),
            ScoringStrategyType::MostAllocated => self.weighted(pod, node, most_requested_score),
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
