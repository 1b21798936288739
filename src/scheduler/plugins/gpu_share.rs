//! GPUShare: kubesim's device-level GPU check, a Filter in the default profile right after
//! NodeResourcesFit (`docs/scenario.md`, "GPUs"; `docs/scheduler.md`).
//!
//! NodeResourcesFit checks a node's GPU resources in aggregate: `nvidia.com/gpu` (whole
//! devices) and `kubesim.io/gpu-milli` (shares), each against its own allocatable. A share of
//! 600 milli fits 2 × 1000 milli in aggregate even when both devices have only 500 free, and
//! whole GPUs fit by count even when a share occupies one of them. This plugin checks the
//! devices themselves, from the node's per-device free milli ([`NodeInfo::gpu_free`]): a share
//! needs one device with that much free, `k` whole GPUs need `k` entirely free devices. It also
//! enforces the pod's allowed GPU models (`kubesim.io/gpu-spec`, openb's `gpu_spec`) against the
//! node's `nvidia.com/gpu.product` label.
//!
//! kube-scheduler has no such plugin: in a real cluster the check belongs to the GPU-sharing
//! scheduler extension that such clusters run (the FGD paper's artifact has one, as Alibaba's
//! production scheduler does). Pods that ask for no GPU skip it at PreFilter, so it changes
//! nothing for them.

use crate::api::pod::Pod;
use crate::api::resources::{GpuRequest, gpu};
use crate::scheduler::framework::{
    CycleContext, Filter, NodeInfo, Plugin, PreFilter, PreFilterResult, RowNeed, Status,
};

pub const NAME: &str = "GPUShare";

/// A share fits no single device of the node.
pub const INSUFFICIENT_SHARE: &str = "Insufficient GPU share on any single device";
/// Fewer entirely free devices than the whole GPUs asked for.
pub const INSUFFICIENT_WHOLE: &str = "Insufficient whole free GPUs";
/// The node's GPU model is not among those the pod allows.
pub const MODEL_MISMATCH: &str = "node(s) didn't have a GPU model the pod allows";

#[derive(Debug, Default)]
pub struct GpuShare {
    /// What PreFilter worked out for the pod of the cycle, so that Filter does not parse the
    /// pod's allowed models again on every node.
    cycle: Option<CycleState>,
}

/// The pod a PreFilter ran for (its uid and spec's address: Filter recomputes for any other
/// pod), its GPU request and the GPU models it allows.
#[derive(Debug)]
struct CycleState {
    uid: crate::api::meta::Uid,
    spec: usize,
    request: GpuRequest,
    models: Option<Vec<String>>,
}

impl GpuShare {
    /// This cycle's PreFilter state, when it ran for `pod`.
    fn cycle_of(&self, pod: &Pod) -> Option<&CycleState> {
        self.cycle.as_ref().filter(|c| c.uid == pod.meta.uid && c.spec == std::sync::Arc::as_ptr(&pod.spec) as usize)
    }
}

impl Plugin for GpuShare {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilter> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        Some(self)
    }
    fn node_local_for_some(&self) -> bool {
        true
    }
    /// The verdict reads the pod's allowed GPU models (an annotation); without them, only its
    /// requests (the spec) and the node's view.
    fn node_local_for(&self, pod: &Pod) -> bool {
        allowed_models(pod).is_none()
    }
}

impl PreFilter for GpuShare {
    /// Skip for pods without GPUs; an invalid GPU request is UnschedulableAndUnresolvable
    /// everywhere.
    fn pre_filter(&mut self, _cx: &CycleContext<'_>, pod: &Pod) -> (PreFilterResult, Status) {
        let request = GpuRequest::of(&pod.spec.requests);
        let status = match request {
            GpuRequest::None => Status::skip(),
            GpuRequest::Invalid(reason) => Status::unresolvable(reason),
            GpuRequest::Whole(_) | GpuRequest::Share(_) => Status::success(),
        };
        // The models matter only where Filter checks devices.
        self.cycle = status.is_success().then(|| CycleState {
            uid: pod.meta.uid,
            spec: std::sync::Arc::as_ptr(&pod.spec) as usize,
            request,
            models: allowed_models(pod).map(|m| m.into_iter().map(str::to_string).collect()),
        });
        (PreFilterResult::default(), status)
    }
}

impl Filter for GpuShare {
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        let cycle = self.cycle_of(pod);
        let request = cycle.map_or_else(|| GpuRequest::of(&pod.spec.requests), |c| c.request);
        if let GpuRequest::Invalid(reason) = request {
            return Status::unresolvable(reason);
        }
        if !request.uses_devices() {
            return Status::success();
        }
        let allowed = match cycle {
            Some(c) => models_allow(c.models.as_deref(), node),
            None => models_allow(allowed_models(pod).as_deref(), node),
        };
        if !allowed {
            return Status::unresolvable(MODEL_MISMATCH);
        }
        let (count, milli) = request.per_device();
        let devices = node.gpu_device_count();
        let reason = if matches!(request, GpuRequest::Share(_)) { INSUFFICIENT_SHARE } else { INSUFFICIENT_WHOLE };
        // Not even the empty node could hold it: preemption cannot help.
        if (count as usize) > devices {
            return Status::unresolvable(reason);
        }
        let fitting = node.devices_with_free(devices, milli);
        if fitting >= count as usize { Status::success() } else { Status::unschedulable(reason) }
    }
    fn row_need(&self, pod: &Pod) -> Option<RowNeed> {
        // The row has the devices' free milli but not the node's model.
        let cycle = self.cycle_of(pod)?;
        if cycle.models.is_some() || !cycle.request.uses_devices() {
            return None;
        }
        let (count, milli) = cycle.request.per_device();
        Some(RowNeed { absent_flags: 0, fit: None, devices: Some((u64::from(count), milli)) })
    }
}

/// The GPU models a pod allows: the `|`-separated `kubesim.io/gpu-spec` annotation (empty
/// entries ignored); `None` when it allows any.
pub fn allowed_models(pod: &Pod) -> Option<Vec<&str>> {
    let spec = pod.meta.annotations.get(gpu::SPEC_ANNOTATION)?;
    let models: Vec<&str> = spec.split('|').map(str::trim).filter(|m| !m.is_empty()).collect();
    (!models.is_empty()).then_some(models)
}

/// Whether the node's `nvidia.com/gpu.product` is one the pod allows (any node when the pod
/// names no model; no node without the label when it does).
pub fn model_allowed(pod: &Pod, node: &NodeInfo) -> bool {
    models_allow(allowed_models(pod).as_deref(), node)
}

/// [`model_allowed`] for the models already read from the pod.
fn models_allow<S: AsRef<str>>(models: Option<&[S]>, node: &NodeInfo) -> bool {
    match models {
        None => true,
        Some(models) => node.labels.get(gpu::PRODUCT_LABEL).is_some_and(|m| models.iter().any(|a| a.as_ref() == m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::resources::GpuRequest;
    use crate::scheduler::framework::{Code, assign_gpu_devices};
    use crate::scheduler::plugins::testutil::{NodeInfoExt, node, pod};
    use crate::store::PodId;

    fn gpu_node(devices: &str) -> NodeInfo {
        let mut n = node("g", &[("cpu", "32"), ("memory", "64Gi"), ("nvidia.com/gpu", devices)]);
        n.allocatable.derive_gpu_milli();
        n
    }

    fn share(milli: &str) -> Pod {
        pod(&[("cpu", "1"), ("kubesim.io/gpu-milli", milli)])
    }

    fn whole(k: &str) -> Pod {
        pod(&[("cpu", "1"), ("nvidia.com/gpu", k)])
    }

    /// Whether the node's row alone passes the pod, after PreFilter (the row path's question).
    fn row_passes(plugin: &mut GpuShare, pod: &Pod, node: &NodeInfo) -> Option<bool> {
        let (_, status) = plugin.pre_filter(&CycleContext::default(), pod);
        assert!(status.is_success(), "{status}");
        use crate::scheduler::framework::{GpuRow, NodeRow};
        plugin.row_need(pod).map(|need| need.met_by(&NodeRow::of(node), &GpuRow::of(node)))
    }

    #[test]
    fn a_row_passes_a_gpu_pod_only_where_the_filter_does() {
        // Devices free: [200, 600, 1000, 1000] after shares of 800 and 400 on a 4-device node.
        let n = gpu_node("4").with_pods(&[share("800"), share("400")]);
        assert_eq!(n.gpu_free(), [200, 600, 1000, 1000]);
        let full = gpu_node("2").with_pods(&[whole("2")]);
        let mut plugin = GpuShare::default();
        for (pod, node, expect) in [
            (share("600"), &n, true),
            (share("999"), &n, true),
            (whole("2"), &n, true),
            (whole("3"), &n, false),
            (share("100"), &full, false),
            (whole("1"), &full, false),
        ] {
            let row = row_passes(&mut plugin, &pod, node);
            assert_eq!(row, Some(expect), "{:?}", pod.spec.requests);
            assert_eq!(plugin.filter(&pod, node).is_success(), expect, "the filter agrees");
        }
        // A pod that names GPU models: the row has no model, so the filter decides.
        let mut named = share("100");
        named.meta.annotations.insert(gpu::SPEC_ANNOTATION.to_string(), "V100".to_string());
        assert_eq!(row_passes(&mut plugin, &named, &n), None);
    }

    #[test]
    fn device_assignment_rule() {
        // A share goes to the tightest device that fits, the lowest index among equals.
        assert_eq!(assign_gpu_devices(&[1000, 300, 600, 300], GpuRequest::Share(300)), [1]);
        assert_eq!(assign_gpu_devices(&[1000, 300, 600, 300], GpuRequest::Share(400)), [2]);
        assert_eq!(assign_gpu_devices(&[1000, 300, 600, 300], GpuRequest::Share(700)), [0]);
        // Whole GPUs go to the lowest-index entirely free devices.
        assert_eq!(assign_gpu_devices(&[900, 1000, 1000, 1000], GpuRequest::Whole(2)), [1, 2]);
        // Over-commit (only pods bound without the filter): the freest devices.
        assert_eq!(assign_gpu_devices(&[100, 400, 400], GpuRequest::Share(500)), [1]);
        assert_eq!(assign_gpu_devices(&[1000, 400, 500], GpuRequest::Whole(2)), [0, 2]);
    }

    #[test]
    fn devices_are_assigned_recorded_and_freed() {
        // Two devices: a 300 share on device 0 (both free: lowest index), then a 500 share on
        // device 0 too (700 free is tighter than 1000), then a 400 share on device 1 (device 0
        // has 200 left).
        let mut n = gpu_node("2").with_pods(&[share("300"), share("500"), share("400")]);
        assert_eq!(n.gpu_free(), [200, 600]);
        let devices: Vec<&[u32]> = n.pods.iter().map(|p| p.gpu_devices.as_slice()).collect();
        assert_eq!(devices, [&[0u32][..], &[0], &[1]]);
        // Removing the 500 share frees 500 on device 0, whatever the others hold.
        n.remove_pod(PodId(1), &share("500"));
        assert_eq!(n.gpu_free(), [700, 600]);
        // A whole GPU needs an entirely free device: none now; the view keeps device 1's share.
        let view = n.remove_view(PodId(2)).expect("on the node");
        assert_eq!(n.gpu_free(), [700, 1000]);
        n.add_pod(PodId(7), &whole("1"));
        assert_eq!(n.gpu_free(), [700, 0]);
        assert_eq!(n.pods.last().unwrap().gpu_devices, [1]);
        // The view cannot have device 1 back: it is reassigned to device 0 (best fit).
        n.add_view(view);
        assert_eq!(n.gpu_free(), [300, 0]);
        assert_eq!(n.pods.last().unwrap().gpu_devices, [0]);
        // A refreshed view keeps its devices.
        n.update_pod(PodId(7), &whole("1"));
        assert_eq!(n.gpu_free(), [300, 0]);
    }

    #[test]
    fn devices_past_the_inline_eight_are_held_and_freed() {
        // 12 devices: 10 whole GPUs take devices 0..9, a share of 600 then goes to device 10;
        // the view keeps devices 8.. beside its inline part.
        let mut n = gpu_node("12").with_pods(&[whole("10"), share("600")]);
        let mut free = vec![0; 10];
        free.extend([400, 1000]);
        assert_eq!(n.gpu_free(), free);
        assert_eq!(n.pods[1].gpu_devices, [10]);
        assert_eq!(n.devices_with_free(12, 1000), 1, "device 11 alone is entirely free");
        assert_eq!(n.devices_with_free(12, 400), 2);
        assert_eq!(n.devices_with_free(12, 0), 12, "every device has at least nothing free");
        assert_eq!(n.devices_with_free(9, 1), 0, "the first nine are taken");
        let plugin = GpuShare::default();
        assert!(plugin.filter(&share("400"), &n).is_success());
        assert_eq!(plugin.filter(&whole("2"), &n).code, Code::Unschedulable);
        // Releasing the ten frees devices 8 and 9 as well as the inline ones.
        n.remove_pod(PodId(0), &whole("10"));
        let mut free = vec![1000; 10];
        free.extend([400, 1000]);
        assert_eq!(n.gpu_free(), free);
        assert_eq!(n.devices_with_free(12, 1000), 11);
        assert!(plugin.filter(&whole("11"), &n).is_success());
    }

    #[test]
    fn a_reprieved_view_gets_its_devices_back() {
        // 600 on device 0; then 500 does not fit device 0's 400 and goes to device 1.
        let mut n = gpu_node("2").with_pods(&[share("600"), share("500")]);
        assert_eq!(n.gpu_free(), [400, 500]);
        let second = n.remove_view(PodId(1)).unwrap();
        let first = n.remove_view(PodId(0)).unwrap();
        assert_eq!(n.gpu_free(), [1000, 1000]);
        // On the empty node best fit would give the 500 device 0; the view keeps device 1.
        n.add_view(second);
        assert_eq!(n.gpu_free(), [1000, 500]);
        n.add_view(first);
        assert_eq!(n.gpu_free(), [400, 500]);
    }

    #[test]
    fn filter_checks_single_devices() {
        let plugin = GpuShare::default();
        // 2 devices with 500 free each: 1000 milli free in aggregate, no device with 600.
        let n = gpu_node("2").with_pods(&[share("500"), share("500")]);
        assert_eq!(n.gpu_free(), [0, 1000], "the second share is best-fit onto device 0");
        let n = gpu_node("2").with_pods(&[share("500"), whole("1")]);
        assert_eq!(n.gpu_free(), [500, 0]);
        let status = plugin.filter(&share("600"), &n);
        assert_eq!((status.code, status.message()), (Code::Unschedulable, INSUFFICIENT_SHARE.to_string()));
        assert!(plugin.filter(&share("500"), &n).is_success());
        let status = plugin.filter(&whole("1"), &n);
        assert_eq!((status.code, status.message()), (Code::Unschedulable, INSUFFICIENT_WHOLE.to_string()));
        // More whole GPUs than the node has: unresolvable.
        assert_eq!(plugin.filter(&whole("3"), &gpu_node("2")).code, Code::UnschedulableAndUnresolvable);
        // No GPU at all on the node.
        let cpu_only = node("c", &[("cpu", "8")]);
        assert_eq!(plugin.filter(&share("100"), &cpu_only).code, Code::UnschedulableAndUnresolvable);
        // Pods without GPUs pass (and skip the plugin at PreFilter).
        assert!(plugin.filter(&pod(&[("cpu", "1")]), &cpu_only).is_success());
    }

    #[test]
    fn pre_filter_skips_pods_without_gpus_and_rejects_bad_requests() {
        let mut plugin = GpuShare::default();
        let nodes = [gpu_node("1")];
        let cx = CycleContext::with_nodes(&nodes);
        assert!(plugin.pre_filter(&cx, &pod(&[("cpu", "1")])).1.is_skip());
        assert!(plugin.pre_filter(&cx, &share("250")).1.is_success());
        let (_, status) = plugin.pre_filter(&cx, &share("1000"));
        assert_eq!(status.code, Code::UnschedulableAndUnresolvable);
        assert!(status.message().contains("must be below 1000"), "{}", status.message());
        let both = pod(&[("kubesim.io/gpu-milli", "100"), ("nvidia.com/gpu", "1")]);
        assert_eq!(plugin.pre_filter(&cx, &both).1.code, Code::UnschedulableAndUnresolvable);
    }

    #[test]
    fn gpu_models() {
        let plugin = GpuShare::default();
        let mut p = share("100");
        p.meta.annotations.insert(gpu::SPEC_ANNOTATION.into(), "V100M16|V100M32".into());
        let v100 = gpu_node("1").with_labels(&[(gpu::PRODUCT_LABEL, "V100M32")]);
        let g3 = gpu_node("1").with_labels(&[(gpu::PRODUCT_LABEL, "G3")]);
        let unlabelled = gpu_node("1");
        assert!(plugin.filter(&p, &v100).is_success());
        let status = plugin.filter(&p, &g3);
        assert_eq!((status.code, status.message()), (Code::UnschedulableAndUnresolvable, MODEL_MISMATCH.to_string()));
        assert!(!plugin.filter(&p, &unlabelled).is_success());
        // Without the annotation (or with an empty one) any model will do.
        assert!(plugin.filter(&share("100"), &g3).is_success());
        p.meta.annotations.insert(gpu::SPEC_ANNOTATION.into(), "".into());
        assert!(plugin.filter(&p, &unlabelled).is_success());
        // The same answers from the models PreFilter read for the cycle's pod; another pod's
        // Filter call reads its own.
        let mut plugin = GpuShare::default();
        p.meta.annotations.insert(gpu::SPEC_ANNOTATION.into(), "V100M16|V100M32".into());
        let nodes = [v100.clone(), g3.clone()];
        assert!(plugin.pre_filter(&CycleContext::with_nodes(&nodes), &p).1.is_success());
        assert!(plugin.filter(&p, &v100).is_success());
        assert_eq!(plugin.filter(&p, &g3).code, Code::UnschedulableAndUnresolvable);
        assert!(plugin.filter(&share("100"), &g3).is_success());
    }
}
