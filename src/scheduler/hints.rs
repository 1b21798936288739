//! Queueing hints (`QueueingHintFn`, on by default in v1.34): which cluster events may make an
//! unschedulable pod schedulable, asked of the plugins that rejected it.
//!
//! When a scheduling attempt fails, the queue remembers the plugins that rejected the pod
//! (`UnschedulablePlugins`). A cluster event then moves the pod out of the unschedulable pods
//! only if one of those plugins answers `Queue` for it; otherwise the pod waits for another
//! event or for the five-minute leftover flush. The answers follow each plugin's
//! `EventsToRegister` and hint functions in `pkg/scheduler/framework/plugins/*` (v1.34),
//! reduced to the events the simulator produces. Plugins the simulator does not know (custom or
//! external ones) answer `Queue` to every event, as a plugin without hints does.

use crate::api::pod::Pod;
use crate::api::resources::gpu;
use crate::api::taint::{TaintEffect, tolerated};
use crate::scheduler::framework::{NodeInfo, PodView};

/// A change the scheduler observes.
#[derive(Clone, Copy, Debug)]
pub enum ClusterEvent<'a> {
    NodeAdd(&'a NodeInfo),
    NodeUpdate {
        old: &'a NodeInfo,
        new: &'a NodeInfo,
    },
    /// A pod was bound to `node`.
    AssignedPodAdd {
        pod: &'a PodView,
        node: &'a NodeInfo,
    },
    /// An assigned pod changed (it started terminating).
    AssignedPodUpdate {
        pod: &'a PodView,
        node: &'a NodeInfo,
    },
    /// An assigned pod's object was removed.
    AssignedPodDelete {
        pod: &'a PodView,
        node: &'a NodeInfo,
    },
    /// A PersistentVolumeClaim was created or changed.
    ClaimChange {
        namespace: &'a str,
        name: &'a str,
    },
    /// A PersistentVolume was created or changed.
    VolumeChange,
    StorageClassAdd,
    /// A StorageClass changed; `topologies_changed`: its `allowedTopologies`.
    StorageClassUpdate {
        topologies_changed: bool,
    },
}

/// Whether `event` may make `pod`, rejected by the plugins `rejectors`, schedulable: `true`
/// (Queue) if any of them says so. A pod rejected by no plugin (no node at all) waits for a
/// node.
pub fn worth_retrying(rejectors: &[&str], pod: &Pod, event: &ClusterEvent<'_>) -> bool {
    if rejectors.is_empty() {
        return matches!(event, ClusterEvent::NodeAdd(_));
    }
    rejectors.iter().any(|plugin| queue(plugin, pod, event))
}

/// One plugin's hint.
pub fn queue(plugin: &str, pod: &Pod, event: &ClusterEvent<'_>) -> bool {
    use ClusterEvent::*;
    match plugin {
        "NodeResourcesFit" => match event {
            // `isFit`: the pod fits the node as it would with no pod on it.
            NodeAdd(n) => fits_empty(pod, n),
            // `haveAnyRequestedResourcesIncreased`, and `isFit` as above: a full node whose
            // allocatable grew is worth a retry (the cycle finds out whether there is room).
            NodeUpdate { old, new } => requested_resource_increased(pod, old, new) && fits_empty(pod, new),
            AssignedPodDelete { .. } => true,
            AssignedPodAdd { .. } | AssignedPodUpdate { .. } => false,
            ClaimChange { .. } | VolumeChange | StorageClassAdd | StorageClassUpdate { .. } => false,
        },
        "TaintToleration" => match event {
            NodeAdd(n) => !untolerated(pod, n),
            NodeUpdate { old, new } => untolerated(pod, old) && !untolerated(pod, new),
            _ => false,
        },
        "NodeAffinity" => match event {
            NodeAdd(n) => matches_affinity(pod, n),
            NodeUpdate { old, new } => matches_affinity(pod, new) && !matches_affinity(pod, old),
            _ => false,
        },
        "NodeUnschedulable" => {
            let schedulable = |n: &NodeInfo| {
                !n.unschedulable
                    || tolerated(
                        &pod.spec.tolerations,
                        &crate::api::taint::Taint::new(crate::api::taint::keys::UNSCHEDULABLE, TaintEffect::NoSchedule),
                    )
            };
            match event {
                NodeAdd(n) => schedulable(n),
                NodeUpdate { old, new } => !schedulable(old) && schedulable(new),
                _ => false,
            }
        }
        "NodeName" => matches!(event, NodeAdd(n) if n.name == pod.spec.node_name),
        // kubesim's GPU device filter: a node with GPUs appears, a node gains GPUs or changes
        // model, or a pod holding GPU devices goes.
        "GPUShare" => match event {
            NodeAdd(n) => n.gpu_device_count() > 0,
            NodeUpdate { old, new } => {
                new.gpu_device_count() > old.gpu_device_count()
                    || old.labels.get(gpu::PRODUCT_LABEL) != new.labels.get(gpu::PRODUCT_LABEL)
            }
            AssignedPodDelete { pod: deleted, .. } => deleted.gpu_request().uses_devices(),
            AssignedPodAdd { .. } | AssignedPodUpdate { .. } => false,
            ClaimChange { .. } | VolumeChange | StorageClassAdd | StorageClassUpdate { .. } => false,
        },
        "NodePorts" => match event {
            NodeAdd(_) => true,
            // The deleted pod held a host port the pod wants.
            AssignedPodDelete { pod: deleted, .. } => ports_conflict(pod, deleted),
            _ => false,
        },
        "PodTopologySpread" => match event {
            AssignedPodAdd { pod: changed, .. }
            | AssignedPodUpdate { pod: changed, .. }
            | AssignedPodDelete { pod: changed, .. } => involved_in_spreading(pod, changed),
            NodeAdd(n) => has_all_topology_keys(pod, n),
            NodeUpdate { old, new } => {
                pod.spec
                    .topology_spread_constraints
                    .iter()
                    .any(|c| old.labels.get(&c.topology_key) != new.labels.get(&c.topology_key))
                    || old.taints != new.taints
            }
            ClaimChange { .. } | VolumeChange | StorageClassAdd | StorageClassUpdate { .. } => false,
        },
        "InterPodAffinity" => match event {
            // A new pod may satisfy a required affinity term.
            AssignedPodAdd { pod: changed, .. } | AssignedPodUpdate { pod: changed, .. } => {
                required_terms(pod, false).any(|t| term_selects(t, pod, changed))
            }
            // A deleted pod may have been the one an anti-affinity term (ours or its) objected to.
            AssignedPodDelete { pod: deleted, .. } => {
                required_terms(pod, true).any(|t| term_selects(t, pod, deleted))
                    || deleted
                        .spec
                        .affinity
                        .pod_anti_affinity
                        .as_ref()
                        .is_some_and(|a| a.required.iter().any(|t| selects_pod(t, deleted, pod)))
            }
            NodeAdd(_) => true,
            NodeUpdate { old, new } => old.labels != new.labels,
            ClaimChange { .. } | VolumeChange | StorageClassAdd | StorageClassUpdate { .. } => false,
        },
        // `isSchedulableAfterPersistentVolumeClaimChange` (a claim of the pod), PV changes, a
        // new class (VolumeBinding: a class whose allowedTopologies changed), nodes added or
        // relabelled. VolumeZone registers the same minus class updates.
        "VolumeBinding" | "VolumeZone" => match event {
            ClaimChange { namespace, name } => {
                *namespace == pod.meta.namespace && pod.spec.claims.iter().any(|c| c.claim_name == *name)
            }
            VolumeChange | StorageClassAdd | NodeAdd(_) => true,
            StorageClassUpdate { topologies_changed } => plugin == "VolumeBinding" && *topologies_changed,
            NodeUpdate { old, new } => old.labels != new.labels,
            AssignedPodAdd { .. } | AssignedPodUpdate { .. } | AssignedPodDelete { .. } => false,
        },
        // Filters without hints in this model (custom, external and future plugins): every
        // event may help.
        _ => true,
    }
}

/// NodeResourcesFit's `isFit`: whether the pod's requests fit in `node`'s allocatable with no
/// pod on the node (upstream checks a NodeInfo made of the Node object alone, so the pods
/// already there do not count), no extended resource ignored.
fn fits_empty(pod: &Pod, node: &NodeInfo) -> bool {
    let (r, a) = (&pod.spec.requests, &node.allocatable);
    a.allowed_pod_number >= 1
        && r.milli_cpu <= a.milli_cpu
        && r.memory <= a.memory
        && r.ephemeral_storage <= a.ephemeral_storage
        && r.scalar.iter().all(|(name, v)| *v <= a.scalar(name))
}

/// Some resource the pod requests (or the pod count) has more allocatable than before.
fn requested_resource_increased(pod: &Pod, old: &NodeInfo, new: &NodeInfo) -> bool {
    let (r, a, b) = (&pod.spec.requests, &old.allocatable, &new.allocatable);
    b.allowed_pod_number > a.allowed_pod_number
        || (r.milli_cpu > 0 && b.milli_cpu > a.milli_cpu)
        || (r.memory > 0 && b.memory > a.memory)
        || (r.ephemeral_storage > 0 && b.ephemeral_storage > a.ephemeral_storage)
        || r.scalar.iter().any(|(name, v)| *v > 0 && b.scalar(name) > a.scalar(name))
}

fn untolerated(pod: &Pod, node: &NodeInfo) -> bool {
    node.taints.iter().any(|t| {
        matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute) && !tolerated(&pod.spec.tolerations, t)
    })
}

fn matches_affinity(pod: &Pod, node: &NodeInfo) -> bool {
    let required = pod.spec.affinity.node_affinity.as_ref().and_then(|a| a.required.as_ref());
    crate::api::node_selector::RequiredNodeAffinity::new(&pod.spec.node_selector, required)
        .matches(&node.name, &node.labels)
}

fn ports_conflict(pod: &Pod, other: &PodView) -> bool {
    let wanted =
        pod.spec.containers.iter().chain(&pod.spec.init_containers).flat_map(|c| &c.ports).filter(|p| p.host_port > 0);
    let held: Vec<_> = other
        .spec
        .containers
        .iter()
        .chain(&other.spec.init_containers)
        .flat_map(|c| &c.ports)
        .filter(|p| p.host_port > 0)
        .collect();
    wanted.into_iter().any(|w| {
        held.iter().any(|h| {
            let any_ip = |ip: &str| ip.is_empty() || ip == "0.0.0.0";
            h.host_port == w.host_port
                && h.protocol == w.protocol
                && (any_ip(&h.host_ip) || any_ip(&w.host_ip) || h.host_ip == w.host_ip)
        })
    })
}

/// `involvedInTopologySpreading`-like: a pod of the same namespace that one of the pod's
/// constraints selects (ignoring `matchLabelKeys`, which only narrows: answering Queue more
/// often than Go costs an attempt, never a missed one).
fn involved_in_spreading(pod: &Pod, changed: &PodView) -> bool {
    changed.namespace == pod.meta.namespace
        && pod
            .spec
            .topology_spread_constraints
            .iter()
            .any(|c| c.label_selector.as_ref().is_some_and(|s| s.matches(&changed.labels)))
}

fn has_all_topology_keys(pod: &Pod, node: &NodeInfo) -> bool {
    pod.spec.topology_spread_constraints.iter().all(|c| node.labels.contains_key(&c.topology_key))
}

fn required_terms(pod: &Pod, anti: bool) -> impl Iterator<Item = &crate::api::pod::PodAffinityTerm> {
    let a = &pod.spec.affinity;
    let set = if anti { a.pod_anti_affinity.as_ref() } else { a.pod_affinity.as_ref() };
    set.into_iter().flat_map(|s| s.required.iter())
}

/// Whether a term of `owner` selects `other` (namespaces: listed, the owner's own, or any when a
/// namespace selector is present — namespace labels are not at hand here, so a selector counts
/// as matching, which errs on the side of retrying).
fn term_selects(term: &crate::api::pod::PodAffinityTerm, owner: &Pod, other: &PodView) -> bool {
    let namespace_ok = if term.namespace_selector.is_some() {
        true
    } else if term.namespaces.is_empty() {
        other.namespace == owner.meta.namespace
    } else {
        term.namespaces.contains(&other.namespace)
    };
    namespace_ok && term.selector_for(&owner.meta.labels).matches(&other.labels)
}

/// Whether a term of the existing pod `owner` selects the pod being scheduled.
fn selects_pod(term: &crate::api::pod::PodAffinityTerm, owner: &PodView, pod: &Pod) -> bool {
    let namespace_ok = if term.namespace_selector.is_some() {
        true
    } else if term.namespaces.is_empty() {
        pod.meta.namespace == owner.namespace
    } else {
        term.namespaces.contains(&pod.meta.namespace)
    };
    namespace_ok && term.selector_for(&owner.labels).matches(&pod.meta.labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::taint::Taint;
    use crate::scheduler::plugins::testutil::{NodeInfoExt, node, pod};
    use crate::store::PodId;

    fn view(p: &Pod) -> PodView {
        PodView::of(PodId(9), p)
    }

    #[test]
    fn resources_fit_hints() {
        let p = pod(&[("cpu", "2")]);
        let small = node("a", &[("cpu", "1"), ("pods", "10")]);
        let big = node("b", &[("cpu", "4"), ("pods", "10")]);
        assert!(
            !queue("NodeResourcesFit", &p, &ClusterEvent::NodeAdd(&small)),
            "a node it cannot fit on does not help"
        );
        assert!(queue("NodeResourcesFit", &p, &ClusterEvent::NodeAdd(&big)));
        assert!(queue("NodeResourcesFit", &p, &ClusterEvent::NodeUpdate { old: &small, new: &big }));
        let relabelled = big.clone().with_labels(&[("x", "y")]);
        assert!(
            !queue("NodeResourcesFit", &p, &ClusterEvent::NodeUpdate { old: &big, new: &relabelled }),
            "no resource grew"
        );
        // `isFit` ignores the pods on the node: a full node whose cpu grew is worth a retry.
        let filler = pod(&[("cpu", "4")]);
        let (full, grown) = (
            node("c", &[("cpu", "4"), ("pods", "10")]).with_pods(std::slice::from_ref(&filler)),
            node("c", &[("cpu", "5"), ("pods", "10")]).with_pods(std::slice::from_ref(&filler)),
        );
        assert!(queue("NodeResourcesFit", &p, &ClusterEvent::NodeUpdate { old: &full, new: &grown }));
        assert!(queue("NodeResourcesFit", &p, &ClusterEvent::NodeAdd(&grown)));
        let no_pods = node("d", &[("cpu", "4"), ("pods", "0")]);
        assert!(!queue("NodeResourcesFit", &p, &ClusterEvent::NodeAdd(&no_pods)), "no pod allowed at all");
        let other = pod(&[("cpu", "1")]);
        assert!(queue("NodeResourcesFit", &p, &ClusterEvent::AssignedPodDelete { pod: &view(&other), node: &big }));
        assert!(!queue("NodeResourcesFit", &p, &ClusterEvent::AssignedPodAdd { pod: &view(&other), node: &big }));
    }

    #[test]
    fn taint_and_unschedulable_hints() {
        let p = pod(&[]);
        let tainted = node("a", &[("cpu", "1")]).with_taints(vec![Taint::new("k", TaintEffect::NoSchedule)]);
        let clean = node("a", &[("cpu", "1")]);
        assert!(queue("TaintToleration", &p, &ClusterEvent::NodeUpdate { old: &tainted, new: &clean }));
        assert!(!queue("TaintToleration", &p, &ClusterEvent::NodeUpdate { old: &clean, new: &tainted }));
        assert!(!queue("TaintToleration", &p, &ClusterEvent::NodeAdd(&tainted)));
        let cordoned = clean.clone().with_unschedulable(true);
        assert!(queue("NodeUnschedulable", &p, &ClusterEvent::NodeUpdate { old: &cordoned, new: &clean }));
        assert!(!queue("NodeUnschedulable", &p, &ClusterEvent::NodeUpdate { old: &clean, new: &cordoned }));
        // A pod rejected by several plugins moves if any of them says so; none: only new nodes.
        assert!(worth_retrying(
            &["TaintToleration", "NodeResourcesFit"],
            &p,
            &ClusterEvent::NodeUpdate { old: &tainted, new: &clean }
        ));
        assert!(!worth_retrying(&[], &p, &ClusterEvent::NodeUpdate { old: &tainted, new: &clean }));
        assert!(worth_retrying(&[], &p, &ClusterEvent::NodeAdd(&clean)));
        assert!(worth_retrying(&["SomeCustomFilter"], &p, &ClusterEvent::NodeUpdate { old: &clean, new: &clean }));
    }

    #[test]
    fn gpu_share_hints() {
        let share = pod(&[("kubesim.io/gpu-milli", "500")]);
        let cpu_only = node("a", &[("cpu", "8"), ("pods", "10")]);
        let gpus = node("b", &[("cpu", "8"), ("pods", "10"), ("nvidia.com/gpu", "2")]);
        let more = node("b", &[("cpu", "8"), ("pods", "10"), ("nvidia.com/gpu", "4")]);
        assert!(!queue("GPUShare", &share, &ClusterEvent::NodeAdd(&cpu_only)), "no devices");
        assert!(queue("GPUShare", &share, &ClusterEvent::NodeAdd(&gpus)));
        assert!(queue("GPUShare", &share, &ClusterEvent::NodeUpdate { old: &gpus, new: &more }));
        assert!(!queue("GPUShare", &share, &ClusterEvent::NodeUpdate { old: &more, new: &gpus }));
        let relabelled = gpus.clone().with_labels(&[("nvidia.com/gpu.product", "A100")]);
        assert!(queue("GPUShare", &share, &ClusterEvent::NodeUpdate { old: &gpus, new: &relabelled }));
        let holder = pod(&[("nvidia.com/gpu", "1")]);
        let other = pod(&[("cpu", "1")]);
        assert!(queue("GPUShare", &share, &ClusterEvent::AssignedPodDelete { pod: &view(&holder), node: &gpus }));
        assert!(
            !queue("GPUShare", &share, &ClusterEvent::AssignedPodDelete { pod: &view(&other), node: &gpus }),
            "the deleted pod held no device"
        );
        assert!(!queue("GPUShare", &share, &ClusterEvent::AssignedPodAdd { pod: &view(&holder), node: &gpus }));
    }

    #[test]
    fn volume_hints() {
        let mut p = pod(&[]);
        let mut spec = (*p.spec).clone();
        spec.claims =
            vec![crate::api::pod::ClaimVolume { volume: "data".into(), claim_name: "data-0".into(), read_only: false }];
        p.spec = std::sync::Arc::new(spec);
        p.meta.namespace = "db".into();
        let mine = ClusterEvent::ClaimChange { namespace: "db", name: "data-0" };
        assert!(queue("VolumeBinding", &p, &mine));
        assert!(!queue("VolumeBinding", &p, &ClusterEvent::ClaimChange { namespace: "db", name: "other" }));
        assert!(!queue("VolumeBinding", &p, &ClusterEvent::ClaimChange { namespace: "web", name: "data-0" }));
        assert!(queue("VolumeBinding", &p, &ClusterEvent::VolumeChange));
        assert!(queue("VolumeBinding", &p, &ClusterEvent::StorageClassAdd));
        assert!(queue("VolumeBinding", &p, &ClusterEvent::StorageClassUpdate { topologies_changed: true }));
        assert!(!queue("VolumeBinding", &p, &ClusterEvent::StorageClassUpdate { topologies_changed: false }));
        assert!(!queue("VolumeZone", &p, &ClusterEvent::StorageClassUpdate { topologies_changed: true }));
        let a = node("a", &[("cpu", "1")]);
        let relabelled = a.clone().with_labels(&[("topology.kubernetes.io/zone", "z")]);
        assert!(queue("VolumeBinding", &p, &ClusterEvent::NodeUpdate { old: &a, new: &relabelled }));
        assert!(!queue("VolumeBinding", &p, &ClusterEvent::NodeUpdate { old: &a, new: &a }));
        assert!(!queue("VolumeBinding", &p, &ClusterEvent::AssignedPodDelete { pod: &view(&p), node: &a }));
        // The other plugins ignore storage events.
        assert!(!queue("NodeResourcesFit", &p, &mine));
        assert!(!queue("TaintToleration", &p, &ClusterEvent::VolumeChange));
        assert!(!queue("InterPodAffinity", &p, &ClusterEvent::StorageClassAdd));
    }
}
