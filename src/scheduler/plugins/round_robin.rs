//! RoundRobin: spreads pods by cycling through the nodes in node id order. The plugin keeps a
//! cursor; in each cycle the first feasible node at or after the cursor (wrapping around) scores
//! highest, and the cursor then moves just past that node. A baseline that spreads load without
//! looking at resources (the "round robin" placement of simple cluster simulators).
//!
//! The plugin sees which node it favoured, not which node was bound: with RoundRobin as the only
//! (or dominant) score plugin they are the same. Cycles with a single feasible node skip scoring
//! (kube-scheduler binds it directly), so they do not move the cursor.

use crate::api::pod::Pod;
use crate::scheduler::framework::{CycleContext, NodeInfo, Plugin, PreScore, Score, Status};
use crate::scheduler::plugins::packing::normalize_by_rank;

pub const NAME: &str = "RoundRobin";

#[derive(Debug, Default)]
pub struct RoundRobin {
    /// The node index the next cycle starts looking from.
    cursor: usize,
    /// This cycle's starting point and the number of nodes (set by PreScore).
    start: usize,
    nodes: usize,
}

impl Plugin for RoundRobin {
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

impl RoundRobin {
    /// How far `index` is after this cycle's start, going around the cluster.
    fn distance(&self, index: usize) -> usize {
        (index + self.nodes - self.start) % self.nodes
    }
}

impl PreScore for RoundRobin {
    fn pre_score(&mut self, cx: &CycleContext<'_>, _pod: &Pod, feasible: &[&NodeInfo]) -> Status {
        // Every feasible node is in the snapshot, so there is at least one node here.
        self.nodes = cx.nodes.len().max(feasible.iter().map(|n| n.id.index() + 1).max().unwrap_or(1));
        self.start = self.cursor % self.nodes;
        if let Some(favourite) = feasible.iter().map(|n| n.id.index()).min_by_key(|&i| self.distance(i)) {
            self.cursor = (favourite + 1) % self.nodes;
        }
        Status::success()
    }
}

impl Score for RoundRobin {
    /// The node's distance after the cursor, in node id order around the cluster (lower is
    /// better).
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        if self.nodes == 0 {
            return Err(Status::error("RoundRobin scored without PreScore"));
        }
        Ok(self.distance(node.id.index()) as i64)
    }

    /// `100 − min(rank, 100)` by distance: the next node in the cycle 100, the one after 99, …
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

    fn cycle(plugin: &mut RoundRobin, all: &[NodeInfo], feasible: &[usize]) -> Vec<i64> {
        let p = pod(&[("cpu", "1")]);
        let feasible: Vec<&NodeInfo> = feasible.iter().map(|&i| &all[i]).collect();
        assert!(plugin.pre_score(&CycleContext::with_nodes(all), &p, &feasible).is_success());
        let mut scores: Vec<i64> = feasible.iter().map(|n| plugin.score(&p, n).unwrap()).collect();
        plugin.normalize(&p, &mut scores);
        scores
    }

    #[test]
    fn cycles_through_the_nodes() {
        let all: Vec<NodeInfo> =
            (0..3).map(|i| NodeInfo { id: NodeId(i), ..node(&format!("n{i}"), &[("cpu", "4")]) }).collect();
        let mut plugin = RoundRobin::default();
        // Cursor 0: distances (0, 1, 2) -> 100, 99, 98; node 0 is favoured, the cursor moves to 1.
        assert_eq!(cycle(&mut plugin, &all, &[0, 1, 2]), [100, 99, 98]);
        // Cursor 1: distances (2, 0, 1) -> 98, 100, 99; cursor to 2.
        assert_eq!(cycle(&mut plugin, &all, &[0, 1, 2]), [98, 100, 99]);
        // Cursor 2, node 2 not feasible: distances (1, 2) -> 100, 99; node 0 wins, cursor to 1.
        assert_eq!(cycle(&mut plugin, &all, &[0, 1]), [100, 99]);
        // Cursor 1 again, feasible listed in rotated order (2, 0, 1): distances (1, 2, 0).
        assert_eq!(cycle(&mut plugin, &all, &[2, 0, 1]), [99, 98, 100]);
    }

    #[test]
    fn score_without_pre_score_is_an_error() {
        let n = node("n", &[("cpu", "4")]);
        assert!(RoundRobin::default().score(&pod(&[]), &n).is_err());
    }
}
