//! What the packing policies (Tetris, BestFit, FirstFit, Random, RoundRobin; see
//! `docs/policies.md`) share: the pod's demand and the node's free capacity as vectors over the
//! configured resources, and the two NormalizeScore rules that keep a policy's favourite node
//! the unique top scorer.
//!
//! Raw scores are fixed-point numbers (Tetris, BestFit: brought to 0..=100 by kube-scheduler's
//! `DefaultNormalizeScore`, which gives 100 only to the maximum) or positions in an order
//! (FirstFit, RoundRobin: [`normalize_by_rank`]), so that the node a policy ranks first is the
//! only one that scores 100, whatever the number of nodes.

use crate::api::pod::Pod;
use crate::api::resources::ResourceName;
use crate::scheduler::config::ResourceWeight;
use crate::scheduler::framework::{MAX_NODE_SCORE, NodeInfo};

/// Fixed-point scale of float raw scores in [0, 1]: two nodes tie only when their scores agree
/// to nine decimal places.
pub const RAW_SCALE: f64 = 1e9;

/// One resource dimension of a (pod, node) pair, in the resource's integer unit (cpu in
/// millicores, everything else in whole units).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dimension {
    /// The node's allocatable (always > 0: resources the node lacks are skipped).
    pub allocatable: i64,
    /// Allocatable minus the requests of the pods already on the node (assumed ones included);
    /// negative only on an over-committed node.
    pub free: i64,
    /// The pod's request (`PodRequests`, without the 100m / 200Mi scoring defaults: packing is
    /// about what the Filter checks).
    pub demand: i64,
    pub weight: i64,
}

/// The dimension of `resource` for `pod` on `node`, or `None` when the node has no allocatable
/// of it. `pods` is a dimension too: the pod takes one of the node's pod slots.
fn dimension(resource: &ResourceName, weight: i64, pod: &Pod, node: &NodeInfo) -> Option<Dimension> {
    let req = &pod.spec.requests;
    let (allocatable, used, demand) = match resource {
        ResourceName::Cpu => (node.allocatable.milli_cpu, node.requested.milli_cpu, req.milli_cpu),
        ResourceName::Memory => (node.allocatable.memory, node.requested.memory, req.memory),
        ResourceName::EphemeralStorage => {
            (node.allocatable.ephemeral_storage, node.requested.ephemeral_storage, req.ephemeral_storage)
        }
        ResourceName::Pods => (node.allocatable.allowed_pod_number, i64::from(node.pod_count), 1),
        ResourceName::Scalar(name) => return scalar_dimension(name, req.scalar(name), weight, node),
    };
    (allocatable > 0).then(|| Dimension { allocatable, free: allocatable.saturating_sub(used), demand, weight })
}

/// [`dimension`] of the scalar resource `name`, of which the pod asks `demand`.
fn scalar_dimension(name: &str, demand: i64, weight: i64, node: &NodeInfo) -> Option<Dimension> {
    let (allocatable, used) = (node.allocatable.scalar(name), node.requested.scalar(name));
    (allocatable > 0).then(|| Dimension { allocatable, free: allocatable.saturating_sub(used), demand, weight })
}

/// Calls `f` with each dimension of `pod` on `node`, in a fixed order. `resources: None` is the
/// default: cpu and memory with weight 1, then every extended resource the pod requests (a
/// request above zero), by name, with weight 1. A configured list is used as given: each listed
/// resource the node has is a dimension, even for a pod that requests none of it (its demand is
/// then 0, and its free capacity still counts for BestFit).
pub fn for_each_dimension(
    resources: Option<&[ResourceWeight]>,
    pod: &Pod,
    node: &NodeInfo,
    mut f: impl FnMut(Dimension),
) {
    match resources {
        Some(list) => {
            for r in list {
                if let Some(d) = dimension(&r.name, r.weight, pod, node) {
                    f(d);
                }
            }
        }
        None => {
            for name in [ResourceName::Cpu, ResourceName::Memory] {
                if let Some(d) = dimension(&name, 1, pod, node) {
                    f(d);
                }
            }
            for (name, demand) in &pod.spec.requests.scalar {
                if *demand > 0
                    && ResourceName::is_extended_name(name)
                    && let Some(d) = scalar_dimension(name, *demand, 1, node)
                {
                    f(d);
                }
            }
        }
    }
}

/// A float score in [0, 1] as a fixed-point raw score (rounded to nearest).
pub fn to_raw(value: f64) -> i64 {
    (value.clamp(0.0, 1.0) * RAW_SCALE).round() as i64
}

/// NormalizeScore for "lower raw is better" (a position in an order): `100 − min(rank, 100)`,
/// where a node's rank is the number of nodes with a strictly smaller raw score. The first node
/// gets 100, and scores strictly decrease along the order for the first 101 distinct positions
/// (0 after that).
pub fn normalize_by_rank(scores: &mut [i64]) {
    let mut order: Vec<(i64, usize)> = scores.iter().copied().zip(0..).collect();
    order.sort_unstable();
    let mut rank = 0usize;
    for (k, &(raw, i)) in order.iter().enumerate() {
        if k > 0 && raw != order[k - 1].0 {
            rank = k;
        }
        scores[i] = MAX_NODE_SCORE - (rank as i64).min(MAX_NODE_SCORE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{NodeInfoExt, node, pod, weights};

    #[test]
    fn rank_normalization() {
        // Ranks of [7, 3, 5, 3]: 3 and 3 are first (rank 0), 5 is third (rank 2), 7 fourth (3).
        let mut s = vec![7, 3, 5, 3];
        normalize_by_rank(&mut s);
        assert_eq!(s, [97, 100, 98, 100]);
        // Beyond 101 positions the score stays at 0.
        let mut s: Vec<i64> = (0..150).rev().collect();
        normalize_by_rank(&mut s);
        assert_eq!(s[149], 100);
        assert_eq!(s[49], 0, "raw 100 has rank 100");
        assert_eq!(s[0], 0);
    }

    #[test]
    fn default_dimensions_are_cpu_memory_and_requested_extended_resources() {
        let n = node("n", &[("cpu", "4"), ("memory", "8000"), ("example.com/gpu", "4"), ("example.com/fpga", "2")])
            .with_pods(&[pod(&[("cpu", "1"), ("memory", "1000"), ("example.com/gpu", "1")])]);
        let p = pod(&[("cpu", "500m"), ("memory", "0"), ("example.com/gpu", "2")]);
        let mut got = Vec::new();
        for_each_dimension(None, &p, &n, |d| got.push(d));
        // The fpga is not requested, so it is not a dimension; memory is (an explicit 0).
        assert_eq!(
            got,
            [
                Dimension { allocatable: 4000, free: 3000, demand: 500, weight: 1 },
                Dimension { allocatable: 8000, free: 7000, demand: 0, weight: 1 },
                Dimension { allocatable: 4, free: 3, demand: 2, weight: 1 },
            ]
        );
        // A configured list is used as given, the unrequested fpga included; a resource the
        // node lacks (ephemeral-storage, pods) is skipped.
        let mut got = Vec::new();
        let list = weights(&[
            ("memory", 3),
            ("example.com/gpu", 2),
            ("ephemeral-storage", 1),
            ("pods", 1),
            ("example.com/fpga", 1),
        ]);
        for_each_dimension(Some(&list), &p, &n, |d| got.push(d));
        assert_eq!(
            got,
            [
                Dimension { allocatable: 8000, free: 7000, demand: 0, weight: 3 },
                Dimension { allocatable: 4, free: 3, demand: 2, weight: 2 },
                Dimension { allocatable: 2, free: 2, demand: 0, weight: 1 },
            ]
        );
        // With a pods allocatable, the pod count is a dimension of demand 1.
        let mut with_slots = n.clone();
        with_slots.allocatable.allowed_pod_number = 10;
        let mut got = Vec::new();
        for_each_dimension(Some(&weights(&[("pods", 1)])), &p, &with_slots, |d| got.push(d));
        assert_eq!(got, [Dimension { allocatable: 10, free: 9, demand: 1, weight: 1 }]);
    }
}
