//! BestFit: the node left with the least free capacity once the pod is placed, measured as the
//! L2 norm of the per-dimension remainders divided by the node's allocatable (the "norm-based
//! greedy" rule of Panigrahy et al., "Heuristics for Vector Bin Packing", Microsoft Research,
//! 2011, with the L2 norm). The tightest fit scores highest.

use crate::api::pod::Pod;
use crate::scheduler::config::PolicyArgs;
use crate::scheduler::framework::{MAX_NODE_SCORE, NodeInfo, Plugin, Rows, Score, Status, default_normalize_score};
use crate::scheduler::plugins::packing::{Dimension, DimensionScore, PodDimensions, to_raw};

pub const NAME: &str = "BestFit";

pub struct BestFit {
    args: PolicyArgs,
}

impl BestFit {
    pub fn new(args: PolicyArgs) -> BestFit {
        BestFit { args }
    }
}

/// The weighted root mean square of `(free_r − demand_r) / alloc_r`, in IEEE doubles: 0 when
/// the pod fills the node exactly, 1 for an empty node and a pod that requests nothing. `None`
/// when the pod does not fit some dimension (the Filter rejects such nodes first).
pub fn remainder_norm(args: &PolicyArgs, pod: &Pod, node: &NodeInfo) -> Option<f64> {
    norm_of(PodDimensions::of(args.resources.as_deref(), pod).on(node))
}

/// [`remainder_norm`] of a (pod, node) pair's dimensions.
#[inline]
fn norm_of(dimensions: impl Iterator<Item = Dimension>) -> Option<f64> {
    let (mut sum, mut weights, mut fits) = (0.0f64, 0i64, true);
    for d in dimensions {
        let left = d.free.saturating_sub(d.demand);
        fits &= left >= 0;
        let r = left as f64 / d.allocatable as f64;
        sum += d.weight as f64 * r * r;
        weights += d.weight;
    }
    if !fits {
        return None;
    }
    Some(if weights == 0 { 0.0 } else { (sum / weights as f64).sqrt() })
}

/// The raw score: `round((1 − norm) · 10⁹)`, 0 for a node the pod does not fit.
struct Tightness;

impl DimensionScore for Tightness {
    #[inline]
    fn score(dimensions: impl Iterator<Item = Dimension>) -> i64 {
        norm_of(dimensions).map_or(0, |norm| to_raw(1.0 - norm))
    }
}

impl Plugin for BestFit {
    fn name(&self) -> &'static str {
        NAME
    }
    fn node_local(&self) -> bool {
        true
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
}

impl Score for BestFit {
    /// `round((1 − norm) · 10⁹)`; 0 for a node the pod does not fit.
    fn score(&self, pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        Ok(remainder_norm(&self.args, pod, node).map_or(0, |norm| to_raw(1.0 - norm)))
    }

    fn score_nodes(&self, pod: &Pod, nodes: &[&NodeInfo], out: &mut [i64]) -> Result<(), Status> {
        PodDimensions::of(self.args.resources.as_deref(), pod).score_each::<Tightness>(nodes, None, out);
        Ok(())
    }

    fn score_rows(&self, pod: &Pod, nodes: &[&NodeInfo], rows: Rows<'_>, out: &mut [i64]) -> Result<(), Status> {
        PodDimensions::of(self.args.resources.as_deref(), pod).score_each::<Tightness>(nodes, Some(rows), out);
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

    #[test]
    fn hand_computed_three_nodes() {
        let plugin = BestFit::new(PolicyArgs::default());
        // Pod: 1 cpu, 2000 bytes of memory.
        let p = pod(&[("cpu", "1"), ("memory", "2000")]);
        let nodes = [
            // A: 4 cpu / 8000 empty; left (3000/4000, 6000/8000) = (.75, .75): norm .75 -> .25.
            node("a", &[("cpu", "4"), ("memory", "8000")]),
            // B: 2 cpu / 6000 used; left (1000/4000, 0) = (.25, 0): norm √(.0625/2) = .1767767
            // -> 1 − .1767767 = .8232233047 -> 823223305.
            node("b", &[("cpu", "4"), ("memory", "8000")]).with_pods(&[pod(&[("cpu", "2"), ("memory", "6000")])]),
            // C: 8 cpu / 8000 empty; left (.875, .75): norm √(.6640625) = .8149003 -> .1850997.
            node("c", &[("cpu", "8"), ("memory", "8000")]),
        ];
        let raw: Vec<i64> = nodes.iter().map(|n| plugin.score(&p, n).unwrap()).collect();
        assert_eq!(raw, [250_000_000, 823_223_305, 185_099_699]);
        let mut normalized = raw.clone();
        plugin.normalize(&p, &mut normalized);
        // B is the tightest fit (100); A ⌊100·.25/.8232⌋ = 30; C ⌊100·.1851/.8232⌋ = 22.
        assert_eq!(normalized, [30, 100, 22]);
    }

    #[test]
    fn exact_fit_and_no_fit() {
        let plugin = BestFit::new(PolicyArgs::default());
        let p = pod(&[("cpu", "2"), ("memory", "2000")]);
        // The pod fills the node exactly: norm 0, raw 10⁹.
        let exact =
            node("e", &[("cpu", "4"), ("memory", "4000")]).with_pods(&[pod(&[("cpu", "2"), ("memory", "2000")])]);
        assert_eq!(plugin.score(&p, &exact).unwrap(), 1_000_000_000);
        // Memory does not fit: raw 0.
        let small = node("s", &[("cpu", "4"), ("memory", "1000")]);
        assert_eq!(plugin.score(&p, &small).unwrap(), 0);
    }

    #[test]
    fn configured_weights() {
        // Weights cpu 1, memory 3 on node B above: √((1·.0625 + 3·0) / 4) = .125 -> .875.
        let plugin = BestFit::new(PolicyArgs {
            resources: Some(weights(&[("cpu", 1), ("memory", 3)])),
            ..PolicyArgs::default()
        });
        let p = pod(&[("cpu", "1"), ("memory", "2000")]);
        let b = node("b", &[("cpu", "4"), ("memory", "8000")]).with_pods(&[pod(&[("cpu", "2"), ("memory", "6000")])]);
        assert_eq!(plugin.score(&p, &b).unwrap(), 875_000_000);
    }
}
