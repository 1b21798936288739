//! The plugin registry: builds plugin instances by name from a resolved profile.

pub mod balanced_allocation;
pub mod node_affinity;
pub mod node_resources_fit;
pub mod simple;
pub mod taint_toleration;
#[cfg(test)]
pub(crate) mod testutil;

use crate::scheduler::config::ResolvedProfile;
use crate::scheduler::framework::Plugin;

/// Instantiates the plugin `name` for `profile`. Names come from a resolved profile, so they
/// are known and simulated; `None` means a name the profile resolution let through but no
/// instance exists for (queue-sort, pre-enqueue and bind plugins are built into the
/// scheduler).
pub fn instantiate(name: &str, profile: &ResolvedProfile) -> Option<Box<dyn Plugin>> {
    Some(match name {
        "NodeResourcesFit" => Box::new(node_resources_fit::NodeResourcesFit::new(profile.fit_args.clone())),
        "NodeResourcesBalancedAllocation" => {
            Box::new(balanced_allocation::BalancedAllocation::new(profile.balanced_args.clone()))
        }
        "TaintToleration" => Box::<taint_toleration::TaintToleration>::default(),
        "NodeAffinity" => Box::<node_affinity::NodeAffinity>::default(),
        "NodeUnschedulable" => Box::<simple::NodeUnschedulable>::default(),
        "NodeName" => Box::new(simple::NodeName),
        "VolumeRestrictions" => Box::new(simple::VolumeNoOp("VolumeRestrictions")),
        "NodeVolumeLimits" => Box::new(simple::VolumeNoOp("NodeVolumeLimits")),
        "VolumeBinding" => Box::new(simple::VolumeNoOp("VolumeBinding")),
        "VolumeZone" => Box::new(simple::VolumeNoOp("VolumeZone")),
        _ => return None,
    })
}
