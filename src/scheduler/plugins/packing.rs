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
use crate::scheduler::framework::{MAX_NODE_SCORE, NodeInfo, NodeRow, Rows, round_to_i64};

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

impl Dimension {
    /// The dimension of a resource the node has `allocatable` of and `used` of, or `None`
    /// when it has none of it.
    #[inline]
    fn of(allocatable: i64, used: i64, demand: i64, weight: i64) -> Option<Dimension> {
        (allocatable > 0).then(|| Dimension { allocatable, free: allocatable.saturating_sub(used), demand, weight })
    }
}

/// Which of a node's quantities a [`Dimension`] reads: a resource resolved once per pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Axis<'a> {
    Cpu,
    Memory,
    EphemeralStorage,
    Pods,
    Scalar(&'a str),
}

/// A pod's dimensions, resolved once: for each, the node's quantity to read, the pod's demand
/// and the weight. [`on`](Self::on) then costs a field load per dimension and node
/// (a scalar resource: a lookup by name), not a match on names and requests.
pub struct PodDimensions<'a> {
    axes: smallvec::SmallVec<[(Axis<'a>, i64, i64); 4]>,
}

impl<'a> PodDimensions<'a> {
    /// `pod`'s dimensions, in a fixed order. `resources: None` is the default: cpu and memory
    /// with weight 1, then every extended resource the pod requests (a request above zero), by
    /// name, with weight 1. A configured list is used as given: each listed resource the node
    /// has is a dimension, even for a pod that requests none of it (its demand is then 0, and
    /// its free capacity still counts for BestFit); `pods` demands one slot.
    pub fn of(resources: Option<&'a [ResourceWeight]>, pod: &'a Pod) -> PodDimensions<'a> {
        let req = &pod.spec.requests;
        let mut axes = smallvec::SmallVec::new();
        match resources {
            Some(list) => {
                for r in list {
                    axes.push(match &r.name {
                        ResourceName::Cpu => (Axis::Cpu, req.milli_cpu, r.weight),
                        ResourceName::Memory => (Axis::Memory, req.memory, r.weight),
                        ResourceName::EphemeralStorage => (Axis::EphemeralStorage, req.ephemeral_storage, r.weight),
                        ResourceName::Pods => (Axis::Pods, 1, r.weight),
                        ResourceName::Scalar(name) => (Axis::Scalar(name), req.scalar(name), r.weight),
                    });
                }
            }
            None => {
                axes.push((Axis::Cpu, req.milli_cpu, 1));
                axes.push((Axis::Memory, req.memory, 1));
                for (name, demand) in &req.scalar {
                    if *demand > 0 && ResourceName::is_extended_name(name) {
                        axes.push((Axis::Scalar(name), *demand, 1));
                    }
                }
            }
        }
        PodDimensions { axes }
    }

    /// The dimensions on `node` the node has (allocatable above zero), in order.
    #[inline]
    pub fn on<'n>(&'n self, node: &'n NodeInfo) -> impl Iterator<Item = Dimension> + 'n {
        self.axes.iter().filter_map(move |&(axis, demand, weight)| {
            let (allocatable, used) = match axis {
                Axis::Cpu => (node.allocatable.milli_cpu, node.requested.milli_cpu),
                Axis::Memory => (node.allocatable.memory, node.requested.memory),
                Axis::EphemeralStorage => (node.allocatable.ephemeral_storage, node.requested.ephemeral_storage),
                Axis::Pods => (node.allocatable.allowed_pod_number, i64::from(node.pod_count)),
                Axis::Scalar(name) => (node.allocatable.scalar(name), node.requested.scalar(name)),
            };
            Dimension::of(allocatable, used, demand, weight)
        })
    }

    /// Whether [`on_row`](Self::on_row) can answer: every dimension is cpu, memory or pods,
    /// which a [`NodeRow`] holds.
    pub fn in_row(&self) -> bool {
        self.axes.iter().all(|(axis, ..)| matches!(axis, Axis::Cpu | Axis::Memory | Axis::Pods))
    }

    /// [`on`](Self::on) from the node's row, for dimensions [`in_row`](Self::in_row).
    #[inline]
    pub fn on_row<'n>(&'n self, row: &'n NodeRow) -> impl Iterator<Item = Dimension> + 'n {
        self.axes.iter().filter_map(move |&(axis, demand, weight)| {
            let (allocatable, used) = match axis {
                Axis::Cpu => (row.allocatable_cpu, row.requested_cpu),
                Axis::Memory => (row.allocatable_memory, row.requested_memory),
                Axis::Pods => (row.allowed_pods, i64::from(row.pod_count)),
                Axis::EphemeralStorage | Axis::Scalar(_) => {
                    debug_assert!(false, "on_row of a dimension not in the row");
                    return None;
                }
            };
            Dimension::of(allocatable, used, demand, weight)
        })
    }

    /// `score` of each node's dimensions into `out` (`out[i]` is `nodes[i]`'s), read from the
    /// nodes' rows when they hold every dimension: Tetris's and BestFit's Score.
    pub fn score_each<S: DimensionScore>(&self, nodes: &[&NodeInfo], rows: Option<Rows<'_>>, out: &mut [i64]) {
        match rows.filter(|_| self.in_row()) {
            Some(rows) => {
                for (row, out) in rows.iter().zip(out.iter_mut()) {
                    *out = S::score(self.on_row(row));
                }
            }
            None => {
                for (node, out) in nodes.iter().zip(out.iter_mut()) {
                    *out = S::score(self.on(node));
                }
            }
        }
    }
}

/// A raw score computed from a (pod, node) pair's dimensions alone.
pub trait DimensionScore {
    fn score(dimensions: impl Iterator<Item = Dimension>) -> i64;
}

/// A float score in [0, 1] as a fixed-point raw score (rounded to nearest).
pub fn to_raw(value: f64) -> i64 {
    round_to_i64(value.clamp(0.0, 1.0) * RAW_SCALE)
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
        got.extend(PodDimensions::of(None, &p).on(&n));
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
        got.extend(PodDimensions::of(Some(&list), &p).on(&n));
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
        let pods = weights(&[("pods", 1)]);
        got.extend(PodDimensions::of(Some(&pods), &p).on(&with_slots));
        assert_eq!(got, [Dimension { allocatable: 10, free: 9, demand: 1, weight: 1 }]);
    }

    #[test]
    fn batch_scores_equal_the_per_node_scores() {
        use crate::scheduler::config::PolicyArgs;
        use crate::scheduler::framework::Score;
        use crate::scheduler::plugins::best_fit::BestFit;
        use crate::scheduler::plugins::testutil::check_score_nodes;
        use crate::scheduler::plugins::tetris::Tetris;
        let mut slots = node("slots", &[("cpu", "8"), ("memory", "16000")]).with_pods(&[pod(&[("cpu", "3")])]);
        slots.allocatable.allowed_pod_number = 4;
        let nodes = [
            node("a", &[("cpu", "4"), ("memory", "8000"), ("example.com/gpu", "4")]),
            node("b", &[("cpu", "4"), ("memory", "8000")]).with_pods(&[pod(&[("cpu", "2"), ("memory", "6000")])]),
            slots,
            // Over-committed cpu: a negative free capacity.
            node("over", &[("cpu", "1"), ("memory", "8000")]).with_pods(&[pod(&[("cpu", "2")])]),
            node("none", &[]),
        ];
        let nodes: Vec<&NodeInfo> = nodes.iter().collect();
        let pods = [pod(&[("cpu", "1"), ("memory", "2000")]), pod(&[("cpu", "500m"), ("example.com/gpu", "1")])];
        let lists = [
            None,
            Some(weights(&[("cpu", 2), ("memory", 1), ("pods", 3)])),
            Some(weights(&[("memory", 1), ("example.com/gpu", 2)])),
            Some(weights(&[("ephemeral-storage", 1), ("cpu", 1)])),
        ];
        for resources in lists {
            let args = PolicyArgs { resources, ..PolicyArgs::default() };
            let plugins: [Box<dyn Score>; 2] =
                [Box::new(Tetris::new(args.clone())), Box::new(BestFit::new(args.clone()))];
            for plugin in &plugins {
                for p in &pods {
                    let want: Vec<i64> = nodes.iter().map(|n| plugin.score(p, n).unwrap()).collect();
                    assert!(want.iter().any(|&s| s > 0), "{:?}: some node scores", args.resources);
                    check_score_nodes(plugin.as_ref(), p, &nodes, &want, &format!("{:?}", args.resources));
                }
            }
        }
    }
}
