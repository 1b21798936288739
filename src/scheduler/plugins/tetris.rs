//! Tetris: the alignment score of Grandl et al., "Multi-Resource Packing for Cluster
//! Schedulers" (SIGCOMM 2014, §3): the dot product of the pod's demand vector and the node's
//! free-capacity vector, both divided per dimension by the node's allocatable. A pod is drawn to
//! the node whose free resources point the same way as its demand, and are large along it.

use crate::api::pod::Pod;
use crate::scheduler::config::PolicyArgs;
use crate::scheduler::framework::{MAX_NODE_SCORE, NodeInfo, Plugin, Score, Status, default_normalize_score};
use crate::scheduler::plugins::packing::{for_each_dimension, to_raw};

pub const NAME: &str = "Tetris";

pub struct Tetris {
    args: PolicyArgs,
}

impl Tetris {
    pub fn new(args: PolicyArgs) -> Tetris {
        Tetris { args }
    }
}

/// `Σ_r w_r · (demand_r / alloc_r) · (max(free_r, 0) / alloc_r) / Σ_r w_r`, in IEEE doubles, summed
/// in resource order; 0 when no resource applies. In [0, 1] for a pod that fits.
pub fn alignment(args: &PolicyArgs, pod: &Pod, node: &NodeInfo) -> f64 {
    let (mut dot, mut weights) = (0.0f64, 0i64);
    for_each_dimension(args.resources.as_deref(), pod, node, |d| {
        let alloc = d.allocatable as f64;
        dot += d.weight as f64 * (d.demand as f64 / alloc) * (d.free.max(0) as f64 / alloc);
        weights += d.weight;
    });
    if weights == 0 { 0.0 } else { dot / weights as f64 }
}

impl Plugin for Tetris {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
}

impl Score for Tetris {
    /// The alignment in fixed point (`round(alignment · 10⁹)`).
    fn score(&self, pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        Ok(to_raw(alignment(&self.args, pod, node)))
    }

    /// `DefaultNormalizeScore`: `⌊100·raw/max⌋`, so only the maximum scores 100.
    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) -> Option<Status> {
        default_normalize_score(MAX_NODE_SCORE, false, scores);
        Some(Status::success())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{NodeInfoExt, node, pod, weights};

    fn scores(plugin: &Tetris, p: &Pod, nodes: &[NodeInfo]) -> (Vec<i64>, Vec<i64>) {
        let raw: Vec<i64> = nodes.iter().map(|n| plugin.score(p, n).unwrap()).collect();
        let mut normalized = raw.clone();
        assert_eq!(plugin.normalize(p, &mut normalized), Some(Status::success()));
        (raw, normalized)
    }

    #[test]
    fn hand_computed_three_nodes() {
        // Pod: 1 cpu, 2000 bytes of memory.
        let p = pod(&[("cpu", "1"), ("memory", "2000")]);
        let nodes = [
            // A: 4 cpu / 8000 empty. demand/alloc = (.25, .25), free/alloc = (1, 1):
            // (.25 + .25) / 2 = .25.
            node("a", &[("cpu", "4"), ("memory", "8000")]),
            // B: same size, 2 cpu / 6000 used. free/alloc = (.5, .25):
            // (.25·.5 + .25·.25) / 2 = .1875 / 2 = .09375.
            node("b", &[("cpu", "4"), ("memory", "8000")]).with_pods(&[pod(&[("cpu", "2"), ("memory", "6000")])]),
            // C: 8 cpu / 8000 empty. demand/alloc = (.125, .25), free/alloc = (1, 1): .375 / 2.
            node("c", &[("cpu", "8"), ("memory", "8000")]),
        ];
        let (raw, normalized) = scores(&Tetris::new(PolicyArgs::default()), &p, &nodes);
        assert_eq!(raw, [250_000_000, 93_750_000, 187_500_000]);
        // A is the best (100); B: ⌊100·.09375/.25⌋ = 37; C: ⌊100·.1875/.25⌋ = 75.
        assert_eq!(normalized, [100, 37, 75]);
    }

    #[test]
    fn weights_and_extended_resources() {
        // Weighted cpu 3, memory 1 on node B above: (3·.25·.5 + 1·.25·.25) / 4 = .4375 / 4.
        let p = pod(&[("cpu", "1"), ("memory", "2000")]);
        let b = node("b", &[("cpu", "4"), ("memory", "8000")]).with_pods(&[pod(&[("cpu", "2"), ("memory", "6000")])]);
        let weighted = Tetris::new(PolicyArgs { resources: Some(weights(&[("cpu", 3), ("memory", 1)])), seed: None });
        assert_eq!(weighted.score(&p, &b).unwrap(), 109_375_000);
        // By default a requested extended resource is a third dimension: gpu 1 of 4, 2 free:
        // (.25·1 + .25·1 + .25·.5) / 3 = .625 / 3 = .208333333… -> 208333333.
        let g = pod(&[("cpu", "1"), ("memory", "2000"), ("example.com/gpu", "1")]);
        let n = node("n", &[("cpu", "4"), ("memory", "8000"), ("example.com/gpu", "4")]).with_pods(&[pod(&[
            ("cpu", "0"),
            ("memory", "0"),
            ("example.com/gpu", "2"),
        ])]);
        assert_eq!(Tetris::new(PolicyArgs::default()).score(&g, &n).unwrap(), 208_333_333);
    }

    #[test]
    fn a_pod_without_requests_ties_everywhere() {
        let p = pod(&[("cpu", "0"), ("memory", "0")]);
        let nodes = [node("a", &[("cpu", "4"), ("memory", "8000")]), node("b", &[("cpu", "1"), ("memory", "1")])];
        let (raw, normalized) = scores(&Tetris::new(PolicyArgs::default()), &p, &nodes);
        assert_eq!(raw, [0, 0]);
        assert_eq!(normalized, [0, 0], "a zero maximum leaves every score at 0: a tie");
    }
}
