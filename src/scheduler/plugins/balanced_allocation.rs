//! NodeResourcesBalancedAllocation (`noderesources/balanced_allocation.go`, v1.34 semantics):
//! favours nodes whose resource fractions, with the pod added, are close to each other
//! (standard deviation score). Best-effort pods are skipped (v1.33+).

use crate::api::pod::Pod;
use crate::scheduler::config::BalancedAllocationArgs;
use crate::scheduler::framework::{MAX_NODE_SCORE, NodeInfo, Plugin, PreScore, Score, Status};
use crate::scheduler::plugins::node_resources_fit::allocatable_and_requested;

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
    fn as_pre_score(&mut self) -> Option<&mut dyn PreScore> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
}

impl PreScore for BalancedAllocation {
    fn pre_score(&mut self, pod: &Pod, _feasible: &[&NodeInfo]) -> Status {
        // Skip when every configured resource request of the pod is zero.
        let all_zero = self.args.resources.iter().all(|r| pod.spec.requests.get(&r.name) == 0);
        if all_zero { Status::skip() } else { Status::success() }
    }
}

/// `balancedResourceScore` on (allocatable, requested-with-pod) pairs: one minus the standard
/// deviation of the fractions (each capped at 1), times 100, truncated.
pub fn balanced_resource_score(pairs: &[(i64, i64)]) -> i64 {
    let fraction = |&(alloc, req): &(i64, i64)| (req as f64 / alloc as f64).min(1.0);
    let std = match pairs {
        [] | [_] => 0.0,
        [a, b] => (fraction(a) - fraction(b)).abs() / 2.0,
        _ => {
            let n = pairs.len() as f64;
            let mean = pairs.iter().map(fraction).sum::<f64>() / n;
            (pairs.iter().map(|p| (fraction(p) - mean).powi(2)).sum::<f64>() / n).sqrt()
        }
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

impl Score for BalancedAllocation {
    fn score(&self, pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        let mut pairs = Vec::with_capacity(self.args.resources.len());
        for r in &self.args.resources {
            if let Some(pair) = allocatable_and_requested(pod, node, &r.name, true) {
                pairs.push(pair);
            }
        }
        Ok(balanced_resource_score(&pairs))
    }
}
