//! Tetris: the alignment score of Grandl et al., "Multi-Resource Packing for Cluster
//! Schedulers" (SIGCOMM 2014, §3): the dot product of the pod's demand vector and the node's
//! free-capacity vector, both divided per dimension by the node's allocatable. A pod is drawn to
//! the node whose free resources point the same way as its demand, and are large along it.
//!
//! With `demandExponent: p > 0` each resource's weight is scaled, once per cycle, by
//! `(share_r / max_r share_r)^p`, where `share_r` is the pending demand of resource r (the
//! requests of the pods waiting to be scheduled, `CycleContext::pending`) over the cluster's
//! allocatable of r: the alignment then counts mostly the resources the waiting work will run
//! short of (the "average size" weights of vector bin packing heuristics, sharpened by p).

use crate::api::pod::Pod;
use crate::api::resources::ResourceName;
use crate::scheduler::config::{PolicyArgs, ResourceWeight};
use crate::scheduler::framework::{
    CycleContext, MAX_NODE_SCORE, NodeInfo, Plugin, PreScore, Rows, Score, Status, default_normalize_score,
};
use crate::scheduler::plugins::packing::{Dimension, DimensionScore, PodDimensions, to_raw};

pub const NAME: &str = "Tetris";

pub struct Tetris {
    args: PolicyArgs,
    /// This cycle's args: `args` with the demand-scaled weights (set by PreScore when
    /// `demandExponent > 0`).
    cycle: Option<PolicyArgs>,
}

impl Tetris {
    pub fn new(args: PolicyArgs) -> Tetris {
        Tetris { args, cycle: None }
    }
}

/// Fixed-point scale of the demand factors: a factor below 10⁻⁶ of the largest weighs 0.
pub const DEMAND_FACTOR_SCALE: f64 = 1e6;

/// The weights of `pod`'s dimensions scaled by the pending demand: `weight_r ·
/// round(10⁶ · (share_r / max share)^p)`, with `share_r = pending_r / Σ nodes' allocatable_r`.
/// `None` when no listed resource has pending demand (the weights stay as configured).
pub fn demand_weights(args: &PolicyArgs, cx: &CycleContext<'_>, pod: &Pod) -> Option<Vec<ResourceWeight>> {
    let base: Vec<ResourceWeight> = match &args.resources {
        Some(list) => list.clone(),
        None => {
            let mut list = vec![
                ResourceWeight { name: ResourceName::Cpu, weight: 1 },
                ResourceWeight { name: ResourceName::Memory, weight: 1 },
            ];
            for (name, demand) in &pod.spec.requests.scalar {
                if *demand > 0 && ResourceName::is_extended_name(name) {
                    list.push(ResourceWeight { name: ResourceName::Scalar(name.clone()), weight: 1 });
                }
            }
            list
        }
    };
    let shares: Vec<f64> = base
        .iter()
        .map(|r| {
            let allocatable: i64 = cx.nodes.iter().map(|n| n.allocatable.get(&r.name)).fold(0, i64::saturating_add);
            if allocatable > 0 { cx.pending.get(&r.name).max(0) as f64 / allocatable as f64 } else { 0.0 }
        })
        .collect();
    let max = shares.iter().copied().fold(0.0f64, f64::max);
    if max <= 0.0 {
        return None;
    }
    let exponent = i32::try_from(args.demand_exponent).unwrap_or(i32::MAX);
    Some(
        base.into_iter()
            .zip(shares)
            .map(|(r, share)| {
                let factor = ((share / max).powi(exponent) * DEMAND_FACTOR_SCALE).round() as i64;
                ResourceWeight { weight: r.weight.saturating_mul(factor), name: r.name }
            })
            .collect(),
    )
}

/// `Σ_r w_r · (demand_r / alloc_r) · (max(free_r, 0) / alloc_r) / Σ_r w_r`, in IEEE doubles, summed
/// in resource order; 0 when no resource applies. In [0, 1] for a pod that fits.
pub fn alignment(args: &PolicyArgs, pod: &Pod, node: &NodeInfo) -> f64 {
    alignment_of(PodDimensions::of(args.resources.as_deref(), pod).on(node))
}

/// [`alignment`] of a (pod, node) pair's dimensions.
#[inline]
fn alignment_of(dimensions: impl Iterator<Item = Dimension>) -> f64 {
    let (mut dot, mut weights) = (0.0f64, 0i64);
    for d in dimensions {
        let alloc = d.allocatable as f64;
        dot += d.weight as f64 * (d.demand as f64 / alloc) * (d.free.max(0) as f64 / alloc);
        weights += d.weight;
    }
    if weights == 0 { 0.0 } else { dot / weights as f64 }
}

/// The raw score: the alignment in fixed point.
struct Aligned;

impl DimensionScore for Aligned {
    #[inline]
    fn score(dimensions: impl Iterator<Item = Dimension>) -> i64 {
        to_raw(alignment_of(dimensions))
    }
}

impl Tetris {
    /// This cycle's resources and weights.
    fn args(&self) -> &PolicyArgs {
        self.cycle.as_ref().unwrap_or(&self.args)
    }
}

impl Plugin for Tetris {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
    fn as_pre_score(&mut self) -> Option<&mut dyn PreScore> {
        Some(self)
    }
}

impl PreScore for Tetris {
    /// With `demandExponent > 0`: this cycle's weights from the pending demand.
    fn pre_score(&mut self, cx: &CycleContext<'_>, pod: &Pod, _feasible: &[&NodeInfo]) -> Status {
        self.cycle = (self.args.demand_exponent > 0)
            .then(|| demand_weights(&self.args, cx, pod))
            .flatten()
            .map(|resources| PolicyArgs { resources: Some(resources), ..self.args.clone() });
        Status::success()
    }

    fn reads_feasible(&self, _cx: &CycleContext<'_>, _pod: &Pod) -> bool {
        false
    }
}

impl Score for Tetris {
    /// The alignment in fixed point (`round(alignment · 10⁹)`).
    fn score(&self, pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        Ok(to_raw(alignment(self.args(), pod, node)))
    }

    fn score_nodes(&self, pod: &Pod, nodes: &[&NodeInfo], out: &mut [i64]) -> Result<(), Status> {
        PodDimensions::of(self.args().resources.as_deref(), pod).score_each::<Aligned>(nodes, None, out);
        Ok(())
    }

    fn score_rows(&self, pod: &Pod, nodes: &[&NodeInfo], rows: Rows<'_>, out: &mut [i64]) -> Result<(), Status> {
        PodDimensions::of(self.args().resources.as_deref(), pod).score_each::<Aligned>(nodes, Some(rows), out);
        Ok(())
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
        let weighted =
            Tetris::new(PolicyArgs { resources: Some(weights(&[("cpu", 3), ("memory", 1)])), ..PolicyArgs::default() });
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

    #[test]
    fn demand_exponent_weights_by_the_pending_share() {
        use crate::api::resources::Resources;
        // Two empty nodes of 4 cpu / 8000 bytes: the cluster has 8000m cpu, 16000 memory.
        let nodes = [node("a", &[("cpu", "4"), ("memory", "8000")]), node("b", &[("cpu", "4"), ("memory", "8000")])];
        // Pending: 2 cpu (a share of .25) and 8000 memory (.5): memory is the scarce one.
        let pending = Resources::from_list(&crate::scheduler::plugins::testutil::resource_list(&[
            ("cpu", "2"),
            ("memory", "8000"),
        ]));
        let cx = CycleContext { nodes: &nodes, pending: &pending, ..CycleContext::default() };
        let p = pod(&[("cpu", "1"), ("memory", "2000")]);
        let args = |e: u32| PolicyArgs { demand_exponent: e, ..PolicyArgs::default() };
        // p = 1: factors (.25/.5)^1 = .5 and 1, in millionths.
        assert_eq!(demand_weights(&args(1), &cx, &p), Some(weights(&[("cpu", 500_000), ("memory", 1_000_000)])));
        // p = 3: .125 and 1; configured weights multiply.
        let configured = PolicyArgs { resources: Some(weights(&[("cpu", 2), ("memory", 1)])), ..args(3) };
        assert_eq!(demand_weights(&configured, &cx, &p), Some(weights(&[("cpu", 250_000), ("memory", 1_000_000)])));
        // No pending demand at all: the weights stay as configured.
        let idle = CycleContext { nodes: &nodes, ..CycleContext::default() };
        assert_eq!(demand_weights(&args(1), &idle, &p), None);

        // The score follows: on node B below (2 cpu of 4 free, 2000 of 8000 memory free), plain
        // Tetris is (.25·.5 + .25·.25) / 2 = .09375; with p = 1 it is
        // (.5·.25·.5 + 1·.25·.25) / 1.5 = .125 / 1.5 = .083333333.
        let b = node("b", &[("cpu", "4"), ("memory", "8000")]).with_pods(&[pod(&[("cpu", "2"), ("memory", "6000")])]);
        let mut plain = Tetris::new(PolicyArgs::default());
        assert!(plain.pre_score(&cx, &p, &[&b]).is_success());
        assert_eq!(plain.score(&p, &b).unwrap(), 93_750_000, "exponent 0 ignores the pending demand");
        let mut weighted = Tetris::new(args(1));
        assert!(weighted.pre_score(&cx, &p, &[&b]).is_success());
        assert_eq!(weighted.score(&p, &b).unwrap(), 83_333_333);
        // A large exponent leaves only the scarcest resource: memory, .25·.25 = .0625.
        let mut sharp = Tetris::new(args(64));
        assert!(sharp.pre_score(&cx, &p, &[&b]).is_success());
        assert_eq!(sharp.score(&p, &b).unwrap(), 62_500_000);
    }
}
