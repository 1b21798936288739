//! FirstFit: the feasible node that comes first in a fixed, declared order — node id order,
//! i.e. the order in which nodes joined the cluster (scenario order, then nodes added later).
//! The classic first-fit rule of bin packing (Johnson, "Near-optimal bin packing algorithms",
//! MIT, 1973), and the "first feasible" choice of simple cluster simulators.
//!
//! kube-scheduler filters only until it has `numFeasibleNodesToFind` feasible nodes, starting
//! where the previous cycle stopped; with fewer than 100% of the nodes scored, the lowest-id node
//! among those found is not necessarily the lowest-id feasible node. Use FirstFit with
//! `percentageOfNodesToScore: 100` (exact below 100 nodes anyway).

use crate::api::pod::Pod;
use crate::scheduler::framework::{NodeInfo, Plugin, Score, Status};
use crate::scheduler::plugins::packing::normalize_by_rank;

pub const NAME: &str = "FirstFit";

#[derive(Default)]
pub struct FirstFit;

impl Plugin for FirstFit {
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

impl Score for FirstFit {
    /// The node's index in node id order (lower is better).
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        Ok(node.id.index() as i64)
    }

    /// `100 − min(rank, 100)` by index among the scored nodes: the first node 100, the next 99, …
    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) -> Option<Status> {
        normalize_by_rank(scores);
        Some(Status::success())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{node, pod};
    use crate::store::NodeId;

    #[test]
    fn lowest_id_wins_whatever_the_feasible_order() {
        let plugin = FirstFit;
        let p = pod(&[("cpu", "1")]);
        // Feasible nodes as the rotating filter may list them: ids 5, 2, 9.
        let nodes: Vec<NodeInfo> =
            [5, 2, 9].iter().map(|&i| NodeInfo { id: NodeId(i), ..node("n", &[("cpu", "4")]) }).collect();
        let mut scores: Vec<i64> = nodes.iter().map(|n| plugin.score(&p, n).unwrap()).collect();
        assert_eq!(scores, [5, 2, 9]);
        plugin.normalize(&p, &mut scores);
        // Ranks 1, 0, 2 -> 99, 100, 98.
        assert_eq!(scores, [99, 100, 98]);
    }
}
