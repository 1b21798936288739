//! The pod garbage collector's orphan sweep (`pkg/controller/podgc/gc_controller.go`,
//! `gcOrphaned`): pods bound to a node that no longer exists are force-deleted.
//!
//! The collector runs every 20 s (`gcCheckPeriod`, from the controller manager's start at
//! time zero). The first pass that lists a pod bound to a missing node puts the node in a
//! 40 s quarantine (`quarantineTime`, a delaying queue); the first pass after the quarantine
//! checks that the node is still gone and deletes its pods: each pod not yet terminal is
//! first marked `Failed` with the `DisruptionTarget` condition (reason `DeletionByPodGC`),
//! then deleted with grace period 0 — the object goes at once, whether or not a kubelet
//! confirms. A node deleted at `D` thus loses its pods at `ceil20(D) + 40 s`, 40–60 s later.

use crate::kernel::{SimDuration, SimTime};
use crate::store::NodeId;

/// `gcCheckPeriod`.
pub const CHECK_PERIOD: SimDuration = SimDuration::from_secs(20);
/// `quarantineTime`.
pub const QUARANTINE: SimDuration = SimDuration::from_secs(40);
/// The condition reason of a pod the collector deletes.
pub const REASON: &str = "DeletionByPodGC";

/// Deleted nodes waiting out their quarantine.
#[derive(Debug, Default)]
pub struct PodGc {
    quarantined: Vec<(NodeId, SimTime)>,
}

/// When the pods of a node deleted at `deleted_at` are force-deleted: the first pass at or
/// after the deletion quarantines the node, the pass 40 s later deletes its pods.
pub fn deletion_time(deleted_at: SimTime) -> SimTime {
    deleted_at.ceil_to_tick(CHECK_PERIOD, SimDuration::ZERO) + QUARANTINE
}

impl PodGc {
    /// The Node `node` was deleted now; returns the instant of the pass that deletes its pods.
    pub fn node_deleted(&mut self, node: NodeId, now: SimTime) -> SimTime {
        let at = deletion_time(now);
        self.quarantined.push((node, at));
        at
    }

    /// The nodes whose quarantine is over at `now`, in deletion order (forgotten here).
    pub fn due(&mut self, now: SimTime) -> Vec<NodeId> {
        let due = self.quarantined.iter().filter(|(_, at)| *at <= now).map(|(n, _)| *n).collect();
        self.quarantined.retain(|(_, at)| *at > now);
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_go_on_the_pass_after_the_quarantine() {
        let s = SimTime::from_secs;
        assert_eq!(deletion_time(s(600)), s(640), "a deletion on a pass is seen by it");
        assert_eq!(deletion_time(s(601)), s(660));
        assert_eq!(deletion_time(s(619)), s(660));
        let mut gc = PodGc::default();
        gc.node_deleted(NodeId(3), s(601));
        gc.node_deleted(NodeId(1), s(605));
        assert!(gc.due(s(659)).is_empty());
        assert_eq!(gc.due(s(660)), vec![NodeId(3), NodeId(1)]);
        assert!(gc.due(s(680)).is_empty());
    }
}
