//! The small default plugins: NodeUnschedulable, NodeName, and the volume plugins kubesim does
//! not model (VolumeRestrictions, NodeVolumeLimits), which are no-ops (the real plugins Skip
//! pods without volumes). VolumeBinding and VolumeZone are in `volume_binding.rs`.

use crate::api::pod::Pod;
use crate::api::taint::{Taint, TaintEffect, keys, tolerated};
use crate::scheduler::framework::{
    CycleContext, Filter, NodeInfo, NodeRow, Plugin, PreFilter, PreFilterResult, RowNeed, Status,
};

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
    fn node_local(&self) -> bool {
        true
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        Some(self)
    }
}

impl Filter for NodeUnschedulable {
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        if self.passes(pod, node) { Status::success() } else { Status::unresolvable("node(s) were unschedulable") }
    }
    fn passes(&self, pod: &Pod, node: &NodeInfo) -> bool {
        !node.unschedulable || tolerated(&pod.spec.tolerations, &self.taint)
    }
    fn passes_cheaply(&self) -> bool {
        true
    }
    fn row_need(&self, pod: &Pod) -> Option<RowNeed> {
        let tolerates = tolerated(&pod.spec.tolerations, &self.taint);
        Some(RowNeed { absent_flags: if tolerates { 0 } else { NodeRow::UNSCHEDULABLE }, fit: None, devices: None })
    }
}

/// NodeName (`nodename/node_name.go`).
pub struct NodeName;

impl Plugin for NodeName {
    fn name(&self) -> &'static str {
        "NodeName"
    }
    fn node_local(&self) -> bool {
        true
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        Some(self)
    }
}

impl Filter for NodeName {
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        if self.passes(pod, node) {
            Status::success()
        } else {
            Status::unresolvable("node(s) didn't match the requested node name")
        }
    }
    fn passes(&self, pod: &Pod, node: &NodeInfo) -> bool {
        pod.spec.node_name.is_empty() || pod.spec.node_name == node.name
    }
    fn passes_cheaply(&self) -> bool {
        true
    }
    fn row_need(&self, pod: &Pod) -> Option<RowNeed> {
        pod.spec.node_name.is_empty().then(RowNeed::default)
    }
}

/// VolumeRestrictions, NodeVolumeLimits: kubesim does not model disk conflicts, ReadWriteOncePod
/// exclusivity or attach limits, so these plugins Skip every pod.
pub struct VolumeNoOp(pub &'static str);

impl Plugin for VolumeNoOp {
    fn name(&self) -> &'static str {
        self.0
    }
    fn node_local(&self) -> bool {
        true
    }
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilter> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        Some(self)
    }
}

impl PreFilter for VolumeNoOp {
    fn pre_filter(&mut self, _cx: &CycleContext<'_>, _pod: &Pod) -> (PreFilterResult, Status) {
        (PreFilterResult::default(), Status::skip())
    }
}

impl Filter for VolumeNoOp {
    fn filter(&self, _pod: &Pod, _node: &NodeInfo) -> Status {
        Status::success()
    }
    fn row_need(&self, _pod: &Pod) -> Option<RowNeed> {
        Some(RowNeed::default())
    }
}

#[cfg(test)]
mod tests {
    //! kube-scheduler's `node_unschedulable_test.go` and `node_name_test.go` tables, plus cases
    //! hand-derived from §14 of the reference; each case says which.

    use super::*;
    use crate::api::taint::{TaintEffect::*, TolerationOperator::*};
    use crate::scheduler::framework::Code;
    use crate::scheduler::plugins::testutil::{NodeInfoExt, PodBuilder, no_container_pod, node, toleration};

    const UNSCHEDULABLE_REASON: &str = "node(s) were unschedulable";

    #[test]
    fn node_unschedulable() {
        let plugin = NodeUnschedulable::default();
        let tolerating = |t| PodBuilder::new().tolerations(vec![t]).build();
        // (name, pod, node.spec.unschedulable, fits); the first three rows are upstream's
        // TestNodeUnschedulable, the rest hand-derived from ToleratesTaint (§9).
        let cases = [
            (
                "Does not schedule pod to unschedulable node (node.Spec.Unschedulable==true)",
                no_container_pod(),
                true,
                false,
            ),
            ("Schedule pod to normal node", no_container_pod(), false, true),
            (
                "Schedule pod with toleration to unschedulable node (node.Spec.Unschedulable==true)",
                tolerating(toleration(keys::UNSCHEDULABLE, Equal, "", Some(NoSchedule))),
                true,
                true,
            ),
            ("tolerate-everything toleration", tolerating(toleration("", Exists, "", None)), true, true),
            (
                "Exists on the key with any effect",
                tolerating(toleration(keys::UNSCHEDULABLE, Exists, "", None)),
                true,
                true,
            ),
            (
                "NoExecute toleration does not cover the NoSchedule taint",
                tolerating(toleration(keys::UNSCHEDULABLE, Exists, "", Some(NoExecute))),
                true,
                false,
            ),
            (
                "Equal with a value does not match the empty taint value",
                tolerating(toleration(keys::UNSCHEDULABLE, Equal, "true", Some(NoSchedule))),
                true,
                false,
            ),
            ("another key does not help", tolerating(toleration("other", Exists, "", None)), true, false),
        ];
        for (name, pod, unschedulable, fits) in cases {
            let n = node("node", &[]).with_unschedulable(unschedulable);
            let got = plugin.filter(&pod, &n);
            assert_eq!(plugin.passes(&pod, &n), got.is_success(), "passes");
            // The row knows the flag, not the tolerations: the need says whether they cover it.
            let met = crate::scheduler::plugins::testutil::check_row_need(&plugin, &pod, &n, name);
            assert_eq!(met, got.is_success(), "{name}: row");
            if fits {
                assert!(got.is_success(), "{name}: {got}");
            } else {
                assert_eq!(got.code, Code::UnschedulableAndUnresolvable, "{name}");
                assert_eq!(got.reasons[..], [UNSCHEDULABLE_REASON], "{name}");
            }
        }
    }

    #[test]
    fn node_name() {
        // The first three rows are upstream's TestNodeName, the last hand-derived (exact,
        // case-sensitive comparison).
        let cases = [
            ("no host specified", "", "", true),
            ("host matches", "foo", "foo", true),
            ("host doesn't match", "bar", "foo", false),
            ("names compare exactly", "Foo", "foo", false),
        ];
        for (name, pod_node_name, node_name, fits) in cases {
            let (pod, n) = (PodBuilder::new().node_name(pod_node_name).build(), node(node_name, &[]));
            let got = NodeName.filter(&pod, &n);
            assert_eq!(NodeName.passes(&pod, &n), got.is_success(), "passes");
            if fits {
                assert!(got.is_success(), "{name}: {got}");
            } else {
                assert_eq!(got.code, Code::UnschedulableAndUnresolvable, "{name}");
                assert_eq!(got.reasons[..], ["node(s) didn't match the requested node name"], "{name}");
            }
        }
    }

    #[test]
    fn volume_plugins_skip_pods_without_volumes() {
        // Disk conflicts and attach limits are not modelled: the two plugins that check them
        // Skip at PreFilter (and Filter, if asked, passes).
        for name in ["VolumeRestrictions", "NodeVolumeLimits"] {
            let mut plugin = VolumeNoOp(name);
            assert_eq!(plugin.name(), name);
            let pod = no_container_pod();
            let n = node("node", &[]);
            let (result, status) = plugin.pre_filter(&CycleContext::with_nodes(std::slice::from_ref(&n)), &pod);
            assert_eq!(status.code, Code::Skip, "{name}");
            assert_eq!(result.node_names, None, "{name}");
            assert!(plugin.filter(&pod, &n).is_success(), "{name}");
        }
    }
}
