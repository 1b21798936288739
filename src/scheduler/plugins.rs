//! The plugin registry: builds plugin instances by name from a resolved profile.

pub mod balanced_allocation;
pub mod best_fit;
pub mod default_preemption;
pub mod external;
pub mod fgd;
pub mod first_fit;
pub mod gpu_packing;
pub mod gpu_share;
pub mod image_locality;
pub mod inter_pod_affinity;
pub mod node_affinity;
pub mod node_ports;
pub mod node_resources_fit;
pub mod packing;
pub mod pod_topology_spread;
pub mod random;
pub mod round_robin;
pub mod simple;
pub mod taint_toleration;
#[cfg(test)]
pub(crate) mod testutil;
pub mod tetris;
pub mod volume_binding;

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
        "VolumeBinding" => Box::<volume_binding::VolumeBinding>::default(),
        "VolumeZone" => Box::<volume_binding::VolumeZone>::default(),
        "NodePorts" => Box::<node_ports::NodePorts>::default(),
        "PodTopologySpread" => Box::new(pod_topology_spread::PodTopologySpread::new(profile.spread_args.clone())),
        "InterPodAffinity" => {
            Box::new(inter_pod_affinity::InterPodAffinity::new(profile.inter_pod_affinity_args.clone()))
        }
        "ImageLocality" => Box::<image_locality::ImageLocality>::default(),
        "DefaultPreemption" => Box::new(default_preemption::DefaultPreemption::new(profile.preemption_args)),
        // The scoring policies of docs/policies.md.
        "Tetris" => Box::new(tetris::Tetris::new(profile.policy_args("Tetris"))),
        "BestFit" => Box::new(best_fit::BestFit::new(profile.policy_args("BestFit"))),
        "FirstFit" => Box::new(first_fit::FirstFit),
        "Random" => Box::new(random::RandomScore::new(profile.policy_args("Random").seed)),
        "RoundRobin" => Box::<round_robin::RoundRobin>::default(),
        // kubesim's GPU model (docs/scenario.md) and its policies.
        "GPUShare" => Box::<gpu_share::GpuShare>::default(),
        "FGD" => Box::new(fgd::Fgd::new(profile.fgd_args.clone())),
        "GPUPacking" => Box::<gpu_packing::GpuPacking>::default(),
        _ => return None,
    })
}

/// Instantiates the plugin `name` for `profile`, with the plugins registered in `registry`
/// and ExternalPolicy (with the registry's policy launcher) besides the built-in ones.
/// `Ok(None)` as for [`instantiate`]; `Err` when a registered constructor fails.
pub fn instantiate_with(
    name: &str,
    profile: &ResolvedProfile,
    registry: &crate::scheduler::custom::PluginRegistry,
) -> Result<Option<Box<dyn Plugin>>, String> {
    if name == external::NAME {
        let Some(args) = profile.external_args.clone() else {
            return Err(format!("plugin {name:?} has no pluginConfig args"));
        };
        return Ok(Some(Box::new(external::ExternalPolicy::new(args, registry.policy_launcher().cloned()))));
    }
    if registry.is_registered(name) {
        let args = profile.plugin_args.get(name).cloned().unwrap_or_default();
        return registry.build(name, &args).map(Some);
    }
    Ok(instantiate(name, profile))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scorer that says its raw scores are final has no NormalizeScore (the scheduler adds
    /// its memo's scores to the totals as they are), and the default profile's node-local
    /// scorers without one say so.
    #[test]
    fn final_raw_scores_are_never_normalized() {
        let profile = crate::scheduler::config::ProfileConfig::default_profile().resolve().expect("default profile");
        let pod = crate::scheduler::plugins::testutil::pod(&[("cpu", "1")]);
        let mut finals = Vec::new();
        for name in crate::scheduler::registry::names() {
            let Some(plugin) = instantiate(name, &profile) else { continue };
            let Some(scorer) = plugin.as_score() else { continue };
            if scorer.raw_is_final() {
                assert_eq!(scorer.normalize(&pod, &mut [7, 42, 0]), None, "{name}");
                finals.push(name);
            }
        }
        assert_eq!(finals, ["NodeResourcesFit", "NodeResourcesBalancedAllocation", "ImageLocality"]);
    }
}
