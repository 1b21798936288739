//! What the scheduler knows about plugins by name: which extension points each implements,
//! the default profile (`pkg/scheduler/apis/config/v1/default_plugins.go`, v1.34), and which
//! ones the simulator implements so far.

/// Extension points, as a bit set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Points(u16);

impl Points {
    pub const NONE: Points = Points(0);
    pub const PRE_ENQUEUE: Points = Points(1 << 0);
    pub const QUEUE_SORT: Points = Points(1 << 1);
    pub const PRE_FILTER: Points = Points(1 << 2);
    pub const FILTER: Points = Points(1 << 3);
    pub const POST_FILTER: Points = Points(1 << 4);
    pub const PRE_SCORE: Points = Points(1 << 5);
    pub const SCORE: Points = Points(1 << 6);
    pub const RESERVE: Points = Points(1 << 7);
    pub const PERMIT: Points = Points(1 << 8);
    pub const PRE_BIND: Points = Points(1 << 9);
    pub const BIND: Points = Points(1 << 10);
    pub const POST_BIND: Points = Points(1 << 11);

    pub const fn union(self, other: Points) -> Points {
        Points(self.0 | other.0)
    }
    pub const fn contains(self, other: Points) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }
}

/// The extension points in the order of the `plugins:` keys of a profile.
pub const POINT_KEYS: [(&str, Points); 12] = [
    ("preEnqueue", Points::PRE_ENQUEUE),
    ("queueSort", Points::QUEUE_SORT),
    ("preFilter", Points::PRE_FILTER),
    ("filter", Points::FILTER),
    ("postFilter", Points::POST_FILTER),
    ("preScore", Points::PRE_SCORE),
    ("score", Points::SCORE),
    ("reserve", Points::RESERVE),
    ("permit", Points::PERMIT),
    ("preBind", Points::PRE_BIND),
    ("bind", Points::BIND),
    ("postBind", Points::POST_BIND),
];

/// How far the simulator implements a plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Implemented with kube-scheduler's semantics.
    Implemented,
    /// A volume plugin kubesim does not model (VolumeRestrictions' disk and ReadWriteOncePod
    /// conflicts, NodeVolumeLimits' attach limits): a no-op that passes every pod.
    VolumeNoOp,
    /// Known to kube-scheduler, not simulated yet.
    NotYet,
    /// A kubesim scoring policy beyond kube-scheduler (`docs/policies.md`): not part of
    /// kube-scheduler's default profile (nor of `DEFAULT_MULTI_POINT`), enabled by name.
    Policy,
    /// A kubesim plugin whose answers come from outside the simulator (ExternalPolicy,
    /// `docs/plugins.md`): enabled by name, needs `pluginConfig` args, in no default profile.
    External,
    /// A kubesim filter in the default profile that stands for a cluster add-on kube-scheduler
    /// lacks (GPUShare: the device-level check of a GPU-sharing scheduler extension,
    /// `docs/scenario.md`). It skips every pod that does not use the add-on's resources.
    Extension,
}

pub struct PluginInfo {
    pub name: &'static str,
    pub points: Points,
    pub support: Support,
}

const fn p(name: &'static str, points: Points, support: Support) -> PluginInfo {
    PluginInfo { name, points, support }
}

use Support::*;

/// Every plugin name the scheduler accepts.
pub const PLUGINS: &[PluginInfo] = &[
    p("SchedulingGates", Points::PRE_ENQUEUE, Implemented),
    p("PrioritySort", Points::QUEUE_SORT, Implemented),
    p("NodeUnschedulable", Points::FILTER, Implemented),
    p("NodeName", Points::FILTER, Implemented),
    p("TaintToleration", Points::FILTER.union(Points::PRE_SCORE).union(Points::SCORE), Implemented),
    p(
        "NodeAffinity",
        Points::PRE_FILTER.union(Points::FILTER).union(Points::PRE_SCORE).union(Points::SCORE),
        Implemented,
    ),
    p("NodePorts", Points::PRE_FILTER.union(Points::FILTER), Implemented),
    p(
        "NodeResourcesFit",
        Points::PRE_FILTER.union(Points::FILTER).union(Points::PRE_SCORE).union(Points::SCORE),
        Implemented,
    ),
    p("VolumeRestrictions", Points::PRE_FILTER.union(Points::FILTER), VolumeNoOp),
    p("NodeVolumeLimits", Points::PRE_FILTER.union(Points::FILTER), VolumeNoOp),
    p(
        "VolumeBinding",
        Points::PRE_FILTER.union(Points::FILTER).union(Points::RESERVE).union(Points::PRE_BIND),
        Implemented,
    ),
    p("VolumeZone", Points::PRE_FILTER.union(Points::FILTER), Implemented),
    p(
        "PodTopologySpread",
        Points::PRE_FILTER.union(Points::FILTER).union(Points::PRE_SCORE).union(Points::SCORE),
        Implemented,
    ),
    p(
        "InterPodAffinity",
        Points::PRE_FILTER.union(Points::FILTER).union(Points::PRE_SCORE).union(Points::SCORE),
        Implemented,
    ),
    p("DefaultPreemption", Points::POST_FILTER, Implemented),
    p("NodeResourcesBalancedAllocation", Points::PRE_SCORE.union(Points::SCORE), Implemented),
    p("ImageLocality", Points::SCORE, Implemented),
    p("DefaultBinder", Points::BIND, Implemented),
    // kubesim's GPU device check (`plugins/gpu_share.rs`), in the default profile.
    p("GPUShare", Points::PRE_FILTER.union(Points::FILTER), Extension),
    p("DynamicResources", Points::PRE_FILTER.union(Points::FILTER), NotYet),
    // kubesim's own: scores from a process outside the simulator (`plugins/external.rs`).
    // Not in any default profile.
    p("ExternalPolicy", Points::PRE_SCORE.union(Points::SCORE), External),
    // kubesim's scoring policies (`docs/policies.md`).
    p("Tetris", Points::PRE_SCORE.union(Points::SCORE), Policy),
    p("BestFit", Points::SCORE, Policy),
    p("FirstFit", Points::SCORE, Policy),
    p("Random", Points::PRE_SCORE.union(Points::SCORE), Policy),
    p("RoundRobin", Points::PRE_SCORE.union(Points::SCORE), Policy),
    // The GPU-sharing policies (`docs/policies.md`): FGD counts the pods it sees at PreFilter.
    p("FGD", Points::PRE_FILTER.union(Points::PRE_SCORE).union(Points::SCORE), Policy),
    p("GPUPacking", Points::SCORE, Policy),
];

/// The default MultiPoint list with score weights, in order (`getDefaultPlugins`, v1.34), plus
/// kubesim's GPUShare device filter right after NodeResourcesFit (`Support::Extension`).
pub const DEFAULT_MULTI_POINT: &[(&str, i32)] = &[
    ("SchedulingGates", 0),
    ("PrioritySort", 0),
    ("NodeUnschedulable", 0),
    ("NodeName", 0),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodePorts", 0),
    ("NodeResourcesFit", 1),
    ("GPUShare", 0),
    ("VolumeRestrictions", 0),
    ("NodeVolumeLimits", 0),
    ("VolumeBinding", 0),
    ("VolumeZone", 0),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("DefaultPreemption", 0),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
    ("DefaultBinder", 0),
];

pub fn info(name: &str) -> Option<&'static PluginInfo> {
    PLUGINS.iter().find(|p| p.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    PLUGINS.iter().map(|p| p.name)
}
