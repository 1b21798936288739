//! The small default plugins: NodeUnschedulable, NodeName, and the volume plugins, which are
//! no-ops because pod volumes are not modelled (the real plugins Skip pods without volumes).

use crate::api::pod::Pod;
use crate::api::taint::{Taint, TaintEffect, keys, tolerated};
use crate::scheduler::framework::{Filter, NodeInfo, Plugin, PreFilter, PreFilterResult, Status};

/// NodeUnschedulable (`nodeunschedulable/node_unschedulable.go`).
pub struct NodeUnschedulable {
    taint: Taint,
}

impl Default for NodeUnschedulable {
    fn default() -> Self {
        NodeUnschedulable { taint: Taint::new(keys::UNSCHEDULABLE, TaintEffect::NoSchedule) }
    }
}

impl Plugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        "NodeUnschedulable"
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        Some(self)
    }
}

impl Filter for NodeUnschedulable {
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        if node.unschedulable && !tolerated(&pod.spec.tolerations, &self.taint) {
            return Status::unresolvable("node(s) were unschedulable");
        }
        Status::success()
    }
}

/// NodeName (`nodename/node_name.go`).
pub struct NodeName;

impl Plugin for NodeName {
    fn name(&self) -> &'static str {
        "NodeName"
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        Some(self)
    }
}

impl Filter for NodeName {
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        if pod.spec.node_name.is_empty() || pod.spec.node_name == node.name {
            Status::success()
        } else {
            Status::unresolvable("node(s) didn't match the requested node name")
        }
    }
}

/// VolumeRestrictions, NodeVolumeLimits, VolumeBinding, VolumeZone: every pod is treated as
/// having no volumes, for which these plugins Skip.
pub struct VolumeNoOp(pub &'static str);

impl Plugin for VolumeNoOp {
    fn name(&self) -> &'static str {
        self.0
    }
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilter> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        Some(self)
    }
}

impl PreFilter for VolumeNoOp {
    fn pre_filter(&mut self, _pod: &Pod, _nodes: &[NodeInfo]) -> (PreFilterResult, Status) {
        (PreFilterResult::default(), Status::skip())
    }
}

impl Filter for VolumeNoOp {
    fn filter(&self, _pod: &Pod, _node: &NodeInfo) -> Status {
        Status::success()
    }
}
