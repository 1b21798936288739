//! Nodes (`v1.Node`): capacity, allocatable, labels, taints, conditions.

use crate::api::meta::{ConditionStatus, ObjectMeta};
use crate::api::resources::{ResourceList, Resources};
use crate::api::taint::Taint;
use crate::kernel::SimTime;

/// Well-known node labels.
pub mod labels {
    pub const HOSTNAME: &str = "kubernetes.io/hostname";
    pub const ZONE: &str = "topology.kubernetes.io/zone";
    pub const REGION: &str = "topology.kubernetes.io/region";
    pub const INSTANCE_TYPE: &str = "node.kubernetes.io/instance-type";
    /// Set on every node of a `nodePools` entry (simulator convention).
    pub const POOL: &str = "sim.kubesim.io/pool";
}

/// One node condition (`v1.NodeCondition`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeCondition {
    pub status: ConditionStatus,
    pub reason: &'static str,
    pub last_transition_time: SimTime,
}

impl NodeCondition {
    pub fn new(status: ConditionStatus, reason: &'static str, at: SimTime) -> NodeCondition {
        NodeCondition { status, reason, last_transition_time: at }
    }
}

/// The node conditions the control plane acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeConditions {
    pub ready: NodeCondition,
    pub memory_pressure: NodeCondition,
    pub disk_pressure: NodeCondition,
    pub pid_pressure: NodeCondition,
}

impl NodeConditions {
    /// A healthy node as the kubelet first reports it.
    pub fn healthy(at: SimTime) -> NodeConditions {
        NodeConditions {
            ready: NodeCondition::new(ConditionStatus::True, "KubeletReady", at),
            memory_pressure: NodeCondition::new(ConditionStatus::False, "KubeletHasSufficientMemory", at),
            disk_pressure: NodeCondition::new(ConditionStatus::False, "KubeletHasNoDiskPressure", at),
            pid_pressure: NodeCondition::new(ConditionStatus::False, "KubeletHasSufficientPID", at),
        }
    }
}

/// A container image present on a node (`status.images`), for ImageLocality.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerImage {
    pub names: Vec<String>,
    pub size_bytes: i64,
}

/// `v1.Node`.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub meta: ObjectMeta,
    pub unschedulable: bool,
    pub taints: Vec<Taint>,
    pub capacity: ResourceList,
    pub allocatable: ResourceList,
    pub conditions: NodeConditions,
    pub images: Vec<ContainerImage>,
    /// `allocatable` as the scheduler's integer vector.
    pub allocatable_resources: Resources,
}

impl Node {
    pub fn name(&self) -> &str {
        &self.meta.name
    }

    pub fn is_ready(&self) -> bool {
        self.conditions.ready.status == ConditionStatus::True
    }

    /// The zone label, or "" (the node tree's zone key also looks at the region).
    pub fn zone(&self) -> &str {
        self.meta.labels.get(labels::ZONE).map_or("", String::as_str)
    }

    /// kube-scheduler's node-tree zone key: region + ":\0:" + zone (`utilnode.GetZoneKey`),
    /// "" when neither label is present.
    pub fn zone_key(&self) -> String {
        let (region, zone) = self.region_and_zone();
        if region.is_empty() && zone.is_empty() { String::new() } else { format!("{region}:\x00:{zone}") }
    }

    /// What [`zone_key`](Self::zone_key) is made of: the region and zone labels, or "".
    pub fn region_and_zone(&self) -> (&str, &str) {
        (self.meta.labels.get(labels::REGION).map_or("", String::as_str), self.zone())
    }
}
