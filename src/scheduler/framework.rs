//! The scheduling framework: extension-point traits, the closed status type, the per-node view
//! plugins see, and one scheduling cycle (`schedulePod` in `pkg/scheduler/schedule_one.go`).
//!
//! A plugin is a value implementing [`Plugin`], which hands out the extension-point traits it
//! implements ([`PreFilter`], [`Filter`], [`PreScore`], [`Score`]). Per-cycle state lives in
//! the plugin itself: `pre_filter` and `pre_score` take `&mut self` and run once per cycle,
//! before `filter` and `score` (which take `&self`) run per node.

use std::fmt;
use std::sync::Arc;

use crate::api::meta::Labels;
use crate::api::node::ContainerImage;
use crate::api::pod::{Pod, PodSpec};
use crate::api::resources::{GpuRequest, Resources, gpu};
use crate::api::taint::Taint;
use crate::kernel::rng::uniform_below;
use crate::kernel::{SimRng, SimTime};
use crate::store::{NodeId, PodId};

/// `MaxNodeScore`.
pub const MAX_NODE_SCORE: i64 = 100;
/// `MinNodeScore`.
pub const MIN_NODE_SCORE: i64 = 0;

/// Whether a weighted plugin's score is within `[MIN_NODE_SCORE, MAX_NODE_SCORE]`, as every
/// score must be after NormalizeScore.
#[inline]
pub fn in_score_range(score: i64) -> bool {
    (MIN_NODE_SCORE..=MAX_NODE_SCORE).contains(&score)
}

/// The outcome class of a plugin call (`fwk.Code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    Success,
    /// The node does not fit now; preemption may help.
    Unschedulable,
    /// The node cannot fit whatever is removed from it.
    UnschedulableAndUnresolvable,
    /// An internal error: the attempt fails.
    Error,
    /// The plugin has nothing to do for this pod.
    Skip,
}

/// A status's reasons: one is kept inline, so a rejection with a single static reason (most
/// of them) allocates nothing.
pub type Reasons = smallvec::SmallVec<[std::borrow::Cow<'static, str>; 1]>;

/// A plugin's verdict, with reasons (`fwk.Status`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub code: Code,
    /// Static where the reason is (no allocation per rejected node).
    pub reasons: Reasons,
    /// The plugin that produced it (set by the framework).
    pub plugin: &'static str,
}

impl Status {
    pub fn success() -> Status {
        Status { code: Code::Success, reasons: Reasons::new(), plugin: "" }
    }
    pub fn skip() -> Status {
        Status { code: Code::Skip, reasons: Reasons::new(), plugin: "" }
    }
    pub fn unschedulable(reason: impl Into<std::borrow::Cow<'static, str>>) -> Status {
        Status { code: Code::Unschedulable, reasons: smallvec::smallvec![reason.into()], plugin: "" }
    }
    pub fn unresolvable(reason: impl Into<std::borrow::Cow<'static, str>>) -> Status {
        Status { code: Code::UnschedulableAndUnresolvable, reasons: smallvec::smallvec![reason.into()], plugin: "" }
    }
    pub fn error(message: impl Into<String>) -> Status {
        Status { code: Code::Error, reasons: smallvec::smallvec![message.into().into()], plugin: "" }
    }
    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }
    pub fn is_skip(&self) -> bool {
        self.code == Code::Skip
    }
    pub fn is_rejection(&self) -> bool {
        matches!(self.code, Code::Unschedulable | Code::UnschedulableAndUnresolvable)
    }
    /// The reasons joined, as kube-scheduler prints them.
    pub fn message(&self) -> String {
        self.reasons.join(", ")
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message())
    }
}

/// What a plugin sees of a node: the scheduler cache's `NodeInfo`.
///
/// Laid out in declaration order (`repr(C)`), what every cycle's filters and scores read of
/// every examined node first: its pod count, unschedulable flag and taints, then allocatable
/// and requested resources, so that a node's first touch brings in what the next plugins read
/// (the cache holds thousands of views; most misses of a 10,000-node day are these).
#[derive(Clone, Debug, PartialEq)]
#[repr(C)]
pub struct NodeInfo {
    /// Number of pods on the node.
    pub pod_count: u32,
    pub unschedulable: bool,
    pub taints: Vec<Taint>,
    pub allocatable: Resources,
    /// Σ `PodRequests` of the pods on the node (assumed ones included).
    pub requested: Resources,
    /// The same with the 100m / 200Mi non-zero defaults.
    pub non_zero_requested: Resources,
    pub images: Vec<ContainerImage>,
    /// `allocatable`'s GPU devices, kept beside it: GPUShare and FGD ask on every node of
    /// every cycle, and reading it from the scalar list costs a cache miss per node.
    pub gpu_devices: usize,
    /// Milli held on each GPU device by `pods`: kept with `pods` by the methods that place and
    /// release pods, so that [`gpu_free`](Self::gpu_free) reads it instead of walking every
    /// pod's view.
    pub gpu_held: GpuHeld,
    pub id: NodeId,
    /// How many of `pods` have pod affinity or anti-affinity terms (what kube-scheduler's
    /// `PodsWithAffinity` / `PodsWithRequiredAntiAffinity` lists hold): InterPodAffinity skips
    /// a node without any when the incoming pod has no terms of its own.
    pub affinity_pods: u32,
    /// The lowest priority of `pods` (`i32::MAX` without pods): preemption skips a node with
    /// nothing below the preemptor without looking at its pods.
    pub lowest_priority: i32,
    /// `labels`' `topology.kubernetes.io/zone`, interned by the scheduler cache: PodTopologySpread
    /// finds every scored node's zone domain by number instead of by name.
    pub zone: Zone,
    /// Whether `labels` has `kubernetes.io/hostname`, as the scheduler cache saw it (`None`:
    /// a view built outside the cache: read the labels).
    pub hostname_labelled: Option<bool>,
    pub labels: Labels,
    pub name: String,
    /// The pods on the node (assumed ones included), in placement order (`NodeInfo.Pods`).
    pub pods: Vec<Arc<PodView>>,
    /// `pods`' ids and priorities, in the same order, kept with it by the methods that place
    /// and release pods: a pod is found on its node, and the lowest priority recomputed when
    /// a pod of it leaves, without reading every view behind its pointer (a cache miss each:
    /// ~5 % of a 10,000-node day, several lookups per pod event).
    pub pod_keys: Vec<(PodId, i32)>,
}

/// A node view's dense row: what the default filters ask of every examined node, kept by the
/// scheduler in a vector beside the views. One cache line has what every pod is checked against
/// (10,000 nodes: 640 KB of such lines, which stay in L2 where the views' megabytes do not, and
/// which a pass over consecutive nodes reads line after line); the GPU resources and devices,
/// read only for pods that ask for GPUs, are the node's [`GpuRow`], in a vector of their own.
/// The node loop checks a cycle's [`RowNeed`] against both and runs the filters themselves only
/// on a node it cannot pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(64))]
pub struct NodeRow {
    pub allocatable_cpu: i64,
    pub allocatable_memory: i64,
    pub allowed_pods: i64,
    pub requested_cpu: i64,
    pub requested_memory: i64,
    pub non_zero_cpu: i64,
    pub non_zero_memory: i64,
    pub pod_count: u32,
    /// [`NodeRow::UNSCHEDULABLE`], [`NodeRow::TAINTED`], [`NodeRow::PREFER_TAINTED`].
    pub flags: u8,
}

/// The GPU part of a node's dense row, beside its [`NodeRow`]: `nvidia.com/gpu` and
/// `kubesim.io/gpu-milli` allocatable and requested (NodeResourcesFit), and the devices' free
/// milli (GPUShare).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(64))]
pub struct GpuRow {
    pub allocatable_devices: i64,
    pub requested_devices: i64,
    pub allocatable_milli: i64,
    pub requested_milli: i64,
    /// The most milli free on one device (`i64::MIN` without devices), and how many devices
    /// are entirely free: what GPUShare's Filter counts ([`NodeInfo::devices_with_free`]).
    pub max_free: i64,
    pub whole_free: u64,
}

impl NodeRow {
    /// `spec.unschedulable`.
    pub const UNSCHEDULABLE: u8 = 1;
    /// Some taint with effect NoSchedule or NoExecute (what the Filter of TaintToleration reads).
    pub const TAINTED: u8 = 2;
    /// Some taint with effect PreferNoSchedule (what the Score of TaintToleration reads).
    pub const PREFER_TAINTED: u8 = 4;

    pub fn of(node: &NodeInfo) -> NodeRow {
        use crate::api::taint::TaintEffect;
        let tainted = node.taints.iter().any(|t| matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute));
        let prefer = node.taints.iter().any(|t| t.effect == TaintEffect::PreferNoSchedule);
        NodeRow {
            allocatable_cpu: node.allocatable.milli_cpu,
            allocatable_memory: node.allocatable.memory,
            allowed_pods: node.allocatable.allowed_pod_number,
            requested_cpu: node.requested.milli_cpu,
            requested_memory: node.requested.memory,
            non_zero_cpu: node.non_zero_requested.milli_cpu,
            non_zero_memory: node.non_zero_requested.memory,
            pod_count: node.pod_count,
            flags: if node.unschedulable { Self::UNSCHEDULABLE } else { 0 }
                | if tainted { Self::TAINTED } else { 0 }
                | if prefer { Self::PREFER_TAINTED } else { 0 },
        }
    }
}

impl GpuRow {
    pub fn of(node: &NodeInfo) -> GpuRow {
        let devices = node.gpu_device_count();
        let max_free = (0..devices).map(|d| gpu::MILLI_PER_DEVICE - node.gpu_held.get(d)).max().unwrap_or(i64::MIN);
        GpuRow {
            allocatable_devices: node.allocatable.scalar(gpu::DEVICES),
            requested_devices: node.requested.scalar(gpu::DEVICES),
            allocatable_milli: node.allocatable.scalar(gpu::MILLI),
            requested_milli: node.requested.scalar(gpu::MILLI),
            max_free,
            whole_free: node.devices_with_free(devices, gpu::MILLI_PER_DEVICE) as u64,
        }
    }
}

/// The rows of the nodes a scorer scores ([`Score::score_rows`]), in the nodes' order, looked
/// up by id in the scheduler's vector (no per-cycle copy).
#[derive(Clone, Copy)]
pub struct Rows<'a> {
    all: &'a [NodeRow],
    ids: &'a [NodeId],
}

impl<'a> Rows<'a> {
    /// The rows of the nodes `ids`, from `all` (by node id).
    pub fn new(all: &'a [NodeRow], ids: &'a [NodeId]) -> Rows<'a> {
        Rows { all, ids }
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a NodeRow> + 'a {
        let all = self.all;
        self.ids.iter().map(move |id| &all[id.index()])
    }
}

/// What a Filter plugin needs of a [`NodeRow`] for a pod to pass it
/// ([`Filter::row_need`]); the needs of a cycle's filters combine with [`RowNeed::and`].
/// A node whose row meets the need passes the filters; one whose row does not may still pass
/// (a taint the pod tolerates), so its filters run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowNeed {
    /// Flags the row must not have.
    pub absent_flags: u8,
    /// NodeResourcesFit's check of a pod whose requests are all in the row (`fitsRequest`).
    pub fit: Option<Fit>,
    /// GPUShare's check of a pod asking for `count` devices with `milli` free each (whole
    /// devices: 1000).
    pub devices: Option<(u64, i64)>,
}

/// NodeResourcesFit's part of a [`RowNeed`]: room for one more pod, and each request checked
/// when positive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fit {
    pub cpu: i64,
    pub memory: i64,
    /// `nvidia.com/gpu` and `kubesim.io/gpu-milli`.
    pub gpu_devices: i64,
    pub gpu_milli: i64,
}

impl RowNeed {
    pub fn and(self, other: RowNeed) -> RowNeed {
        debug_assert!(self.fit.is_none() || other.fit.is_none() || self.fit == other.fit);
        debug_assert!(self.devices.is_none() || other.devices.is_none() || self.devices == other.devices);
        RowNeed {
            absent_flags: self.absent_flags | other.absent_flags,
            fit: self.fit.or(other.fit),
            devices: self.devices.or(other.devices),
        }
    }

    /// Whether the node of `row` and `gpu` passes every filter whose need this is (`gpu` is
    /// read only when the pod asks for GPUs).
    #[inline]
    pub fn met_by(&self, row: &NodeRow, gpu: &GpuRow) -> bool {
        // One branch on the whole answer: where fitting and full nodes alternate, a branch per
        // term mispredicts.
        let flags_ok = row.flags & self.absent_flags == 0;
        let fit_ok = self.fit.is_none_or(|fit| fit.met_by(row, gpu));
        if !(flags_ok & fit_ok) {
            return false;
        }
        match self.devices {
            None | Some((0, _)) => true,
            Some((count, gpu::MILLI_PER_DEVICE)) => gpu.whole_free >= count,
            Some((1, milli)) => gpu.max_free >= milli,
            Some(_) => false,
        }
    }

    /// Whether the node of `row` and `gpu` surely fails a filter whose need this is: it falls
    /// short of the [`Fit`], which NodeResourcesFit checks exactly so.
    #[inline]
    pub fn rejected_by(&self, row: &NodeRow, gpu: &GpuRow) -> bool {
        self.fit.is_some_and(|fit| !fit.met_by(row, gpu))
    }
}

impl Fit {
    /// `fitsRequest` on the node of `row` and `gpu` (`shortfalls`' arithmetic, term for term):
    /// room for one more pod, and every positive request within what is free.
    #[inline]
    fn met_by(&self, row: &NodeRow, gpu: &GpuRow) -> bool {
        // Every term evaluated, combined without branches (`&`, `|`); the differences wrap as
        // the release build's `-` does, so the answer is the short-circuit one's.
        let ok = (i64::from(row.pod_count) < row.allowed_pods)
            & ((self.cpu <= 0) | (self.cpu <= row.allocatable_cpu.wrapping_sub(row.requested_cpu)))
            & ((self.memory <= 0) | (self.memory <= row.allocatable_memory.wrapping_sub(row.requested_memory)));
        // The same for every node of a pass: the GPU row is read only for a GPU pod, and only
        // when the rest fits (the GPU pods of a trace meet mostly full nodes: no load then).
        if !(self.gpu_devices > 0 || self.gpu_milli > 0) || !ok {
            return ok;
        }
        ((self.gpu_devices <= 0) | (self.gpu_devices <= gpu.allocatable_devices.wrapping_sub(gpu.requested_devices)))
            & ((self.gpu_milli <= 0) | (self.gpu_milli <= gpu.allocatable_milli.wrapping_sub(gpu.requested_milli)))
    }
}

/// Milli held per GPU device, by device index: the first [`GpuHeld::INLINE`] devices in the
/// node view itself (a GPU filter on every node of every cycle reads them without a cache
/// miss for a separate allocation), the others, on nodes with more, beside it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GpuHeld {
    inline: [i64; GpuHeld::INLINE],
    /// Devices `INLINE..`, as far as the highest one any pod has held (never shrinks).
    rest: Vec<i64>,
}

impl GpuHeld {
    pub const INLINE: usize = 8;

    /// Milli held on device `d`.
    #[inline]
    pub fn get(&self, d: usize) -> i64 {
        match d.checked_sub(Self::INLINE) {
            None => self.inline[d],
            Some(r) => self.rest.get(r).copied().unwrap_or(0),
        }
    }

    /// Adds `milli` (negative: releases) on device `d`.
    pub fn add(&mut self, d: usize, milli: i64) {
        match d.checked_sub(Self::INLINE) {
            None => self.inline[d] += milli,
            Some(r) => {
                if r >= self.rest.len() {
                    self.rest.resize(r + 1, 0);
                }
                self.rest[r] += milli;
            }
        }
    }

    /// How many of the first `devices` devices hold at most `most` milli.
    #[inline]
    pub fn at_most(&self, devices: usize, most: i64) -> usize {
        let inline = self.inline[..devices.min(Self::INLINE)].iter().filter(|&&h| h <= most).count();
        if devices <= Self::INLINE {
            return inline;
        }
        let rest = &self.rest[..self.rest.len().min(devices - Self::INLINE)];
        // Devices past `rest` hold nothing.
        let untouched = if most >= 0 { devices - Self::INLINE - rest.len() } else { 0 };
        inline + rest.iter().filter(|&&h| h <= most).count() + untouched
    }
}

/// A node view's zone (`topology.kubernetes.io/zone`) as the scheduler cache interned it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Zone {
    /// Not interned (a view built outside the cache, as in tests): read the label.
    #[default]
    Unknown,
    /// The node has no zone label.
    Unlabelled,
    /// Index into [`CycleContext::zones`].
    Id(u32),
}

/// What plugins see of a pod placed on a node (`framework.PodInfo`): enough for topology
/// spreading, inter-pod affinity, host ports and preemption.
#[derive(Clone, Debug, PartialEq)]
pub struct PodView {
    pub id: PodId,
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub spec: Arc<PodSpec>,
    /// `deletionTimestamp` is set.
    pub terminating: bool,
    /// The `DisruptionTarget` condition says the scheduler preempted it
    /// (`PreemptionByScheduler`).
    pub preempted: bool,
    pub start_time: Option<SimTime>,
    /// The GPU devices the pod holds on its node, by index (empty for pods without GPUs, and
    /// for a view not placed yet): set by [`NodeInfo::add_pod`] / [`NodeInfo::add_view`] with
    /// the device assignment rule ([`assign_gpu_devices`]), so that removal frees the same
    /// devices.
    pub gpu_devices: Vec<u32>,
    /// What the pod takes on each of its devices (`GpuRequest::per_device`), read once from its
    /// requests: what the node view's [`GpuHeld`] adds and releases for it.
    pub gpu_milli: i64,
}

impl PodView {
    pub fn of(id: PodId, pod: &Pod) -> PodView {
        PodView {
            id,
            namespace: pod.meta.namespace.clone(),
            name: pod.meta.name.clone(),
            labels: pod.meta.labels.clone(),
            spec: pod.spec.clone(),
            terminating: pod.meta.is_terminating(),
            preempted: pod.status.disruption_target() == Some(PREEMPTION_BY_SCHEDULER),
            start_time: pod.status.start_time,
            gpu_devices: Vec::new(),
            gpu_milli: GpuRequest::of(&pod.spec.requests).per_device().1,
        }
    }

    /// Adds (`sign` 1) to `held`, or releases (`sign` -1), the milli the pod holds on its
    /// devices.
    fn hold_on(&self, held: &mut GpuHeld, sign: i64) {
        for &d in &self.gpu_devices {
            held.add(d as usize, sign * self.gpu_milli);
        }
    }

    /// Makes the view [`PodView::of`] `pod` but for its GPU devices, reusing the strings that
    /// did not change.
    fn refresh(&mut self, pod: &Pod) {
        if self.namespace != pod.meta.namespace {
            self.namespace.clone_from(&pod.meta.namespace);
        }
        if self.name != pod.meta.name {
            self.name.clone_from(&pod.meta.name);
        }
        self.labels = pod.meta.labels.clone();
        self.spec = pod.spec.clone();
        self.terminating = pod.meta.is_terminating();
        self.preempted = pod.status.disruption_target() == Some(PREEMPTION_BY_SCHEDULER);
        self.start_time = pod.status.start_time;
        self.gpu_milli = GpuRequest::of(&pod.spec.requests).per_device().1;
    }

    /// The pod's GPU request.
    pub fn gpu_request(&self) -> GpuRequest {
        GpuRequest::of(&self.spec.requests)
    }
}

/// `v1.PodReasonPreemptionByScheduler`: the `DisruptionTarget` reason of preemption victims.
pub const PREEMPTION_BY_SCHEDULER: &str = "PreemptionByScheduler";

impl NodeInfo {
    /// Accounts a pod placed on the node; a pod with GPUs gets its devices by
    /// [`assign_gpu_devices`].
    pub fn add_pod(&mut self, id: PodId, pod: &Pod) {
        self.requested.add(&pod.spec.requests);
        self.non_zero_requested.add(&pod.spec.non_zero_requests);
        self.pod_count += 1;
        let mut view = PodView::of(id, pod);
        let request = view.gpu_request();
        if request.uses_devices() {
            view.gpu_devices = assign_gpu_devices(&self.gpu_free(), request);
        }
        self.affinity_pods += u32::from(pod.spec.affinity.has_pod_affinity());
        self.lowest_priority = self.lowest_priority.min(pod.spec.priority);
        view.hold_on(&mut self.gpu_held, 1);
        self.pods.push(Arc::new(view));
        self.pod_keys.push((id, pod.spec.priority));
    }

    /// Recomputes `lowest_priority` after `priority` left the node.
    fn priority_left(&mut self, priority: i32) {
        if priority <= self.lowest_priority {
            self.lowest_priority = self.pod_keys.iter().map(|&(_, p)| p).min().unwrap_or(i32::MAX);
        }
    }

    /// Releases a pod removed from the node.
    pub fn remove_pod(&mut self, id: PodId, pod: &Pod) {
        if let Some(i) = self.position(id) {
            self.pod_keys.remove(i);
            let view = self.pods.remove(i);
            view.hold_on(&mut self.gpu_held, -1);
            self.affinity_pods -= u32::from(view.spec.affinity.has_pod_affinity());
            self.priority_left(view.spec.priority);
            self.requested.sub(&pod.spec.requests);
            self.non_zero_requested.sub(&pod.spec.non_zero_requests);
            self.pod_count = self.pod_count.saturating_sub(1);
        }
    }

    /// Accounts a pod view placed on the node (a nominated pod, or a victim reprieved by
    /// preemption's dry run).
    /// A view that holds devices keeps them if they are free enough (a reprieved victim
    /// gets back the devices it had); otherwise it gets devices by [`assign_gpu_devices`].
    pub fn add_view(&mut self, view: Arc<PodView>) {
        self.requested.add(&view.spec.requests);
        self.non_zero_requested.add(&view.spec.non_zero_requests);
        self.pod_count += 1;
        let request = view.gpu_request();
        let view = if request.uses_devices() {
            let free = self.gpu_free();
            let (count, milli) = request.per_device();
            let keeps = view.gpu_devices.len() == count as usize
                && view.gpu_devices.iter().all(|&d| free.get(d as usize).is_some_and(|&f| f >= milli));
            if keeps {
                view
            } else {
                Arc::new(PodView { gpu_devices: assign_gpu_devices(&free, request), ..(*view).clone() })
            }
        } else {
            view
        };
        self.affinity_pods += u32::from(view.spec.affinity.has_pod_affinity());
        self.lowest_priority = self.lowest_priority.min(view.spec.priority);
        view.hold_on(&mut self.gpu_held, 1);
        self.pod_keys.push((view.id, view.spec.priority));
        self.pods.push(view);
    }

    /// Where the pod `id` is in `pods`.
    #[inline]
    pub fn position(&self, id: PodId) -> Option<usize> {
        debug_assert_eq!(self.pod_keys.len(), self.pods.len(), "{}: pod ids out of step", self.name);
        let i = self.pod_keys.iter().position(|&(p, _)| p == id)?;
        debug_assert_eq!(self.pods[i].id, id, "{}: pod ids out of step", self.name);
        Some(i)
    }

    /// The view of the pod `id` on the node.
    pub fn view_of(&self, id: PodId) -> Option<&Arc<PodView>> {
        self.position(id).map(|i| &self.pods[i])
    }

    /// Releases the pod `id` from the node's accounting; returns its view.
    pub fn remove_view(&mut self, id: PodId) -> Option<Arc<PodView>> {
        let i = self.position(id)?;
        self.pod_keys.remove(i);
        let view = self.pods.remove(i);
        view.hold_on(&mut self.gpu_held, -1);
        self.affinity_pods -= u32::from(view.spec.affinity.has_pod_affinity());
        self.priority_left(view.spec.priority);
        self.requested.sub(&view.spec.requests);
        self.non_zero_requested.sub(&view.spec.non_zero_requests);
        self.pod_count = self.pod_count.saturating_sub(1);
        Some(view)
    }

    /// Refreshes the view of a pod on the node (it started terminating, it started running).
    /// The pod keeps its GPU devices.
    pub fn update_pod(&mut self, id: PodId, pod: &Pod) {
        if let Some(i) = self.position(id) {
            let (was, is) = (self.pods[i].spec.affinity.has_pod_affinity(), pod.spec.affinity.has_pod_affinity());
            self.pods[i].hold_on(&mut self.gpu_held, -1);
            // In place (a copy only if the view is shared): the name strings stay.
            let view = Arc::make_mut(&mut self.pods[i]);
            view.refresh(pod);
            self.pod_keys[i].1 = view.spec.priority;
            debug_assert_eq!(*view, PodView { gpu_devices: view.gpu_devices.clone(), ..PodView::of(id, pod) });
            view.hold_on(&mut self.gpu_held, 1);
            self.affinity_pods = self.affinity_pods + u32::from(is) - u32::from(was);
        }
    }

    /// The node's GPU devices (`nvidia.com/gpu` allocatable, at most [`gpu::MAX_DEVICES`]).
    pub fn gpu_device_count(&self) -> usize {
        debug_assert_eq!(self.gpu_devices, self.allocatable.gpu_devices(), "{}: stale GPU device count", self.name);
        self.gpu_devices
    }

    /// Free milli per GPU device, by device index: 1000 minus what the node's pods (assumed
    /// ones included) hold on it. Empty for a node without GPUs. Negative only on a device
    /// over-committed by pods bound without the scheduler (`spec.nodeName`).
    ///
    /// Read from `gpu_held`, which the methods that place and release pods keep (debug builds
    /// check it against the pods' recorded devices on every call), so that every way a pod
    /// leaves the node frees exactly the devices it held.
    pub fn gpu_free(&self) -> Vec<i64> {
        let mut free = vec![0; self.gpu_device_count()];
        self.gpu_free_in(&mut free);
        free
    }

    /// How many of the node's first `devices` devices have at least `milli` free: what
    /// [`gpu_free`](Self::gpu_free) would say, read from `gpu_held` without building the
    /// vector (GPUShare asks on every node of every cycle).
    pub fn devices_with_free(&self, devices: usize, milli: i64) -> usize {
        let count = self.gpu_held.at_most(devices, gpu::MILLI_PER_DEVICE - milli);
        debug_assert_eq!(count, self.gpu_free().iter().take(devices).filter(|&&f| f >= milli).count());
        count
    }

    /// [`gpu_free`](Self::gpu_free) of the node's first `free.len()` devices, written into
    /// `free`: for callers that keep the vector on the stack.
    pub fn gpu_free_in(&self, free: &mut [i64]) {
        for (d, f) in free.iter_mut().enumerate() {
            *f = gpu::MILLI_PER_DEVICE - self.gpu_held.get(d);
        }
        #[cfg(debug_assertions)]
        {
            let mut derived = vec![gpu::MILLI_PER_DEVICE; free.len()];
            self.subtract_held(&mut derived);
            assert_eq!(free, &derived[..], "{}: GPU milli held out of step with the pods", self.name);
        }
    }

    /// Subtracts from `free` (by device index) what the node's pods hold on each device.
    #[cfg(debug_assertions)]
    fn subtract_held(&self, free: &mut [i64]) {
        for p in &self.pods {
            for &d in &p.gpu_devices {
                if let Some(f) = free.get_mut(d as usize) {
                    *f -= p.gpu_milli;
                }
            }
        }
    }
}

/// The device assignment rule: which GPU devices a pod with `request` takes on a node whose
/// devices have `free` milli each. Deterministic, from the free vector alone:
///
/// - a share of `m` goes to the device with the least free milli that still has `m` (best
///   fit), the lowest index among equals;
/// - `k` whole GPUs go to the `k` lowest-index devices that are entirely free.
///
/// When the pod does not fit (only a pod bound without the scheduler, or by a profile without
/// the GPUShare filter, gets here) the missing devices are the ones with the most free milli,
/// lowest index first, and the node's devices are over-committed, as its aggregate resources
/// would be. This is the rule of the FGD paper's artifact (`NodeResource.Sub`: devices sorted
/// by free milli, ascending and stable, the first that fit).
pub fn assign_gpu_devices(free: &[i64], request: GpuRequest) -> Vec<u32> {
    let (count, milli) = request.per_device();
    let count = (count as usize).min(free.len());
    let mut order: Vec<usize> = (0..free.len()).collect();
    // Ascending free milli, stable: the tightest fitting device first, lowest index on ties.
    order.sort_by_key(|&d| free[d]);
    let mut chosen: Vec<u32> = order.iter().filter(|&&d| free[d] >= milli).take(count).map(|&d| d as u32).collect();
    if chosen.len() < count {
        // Over-commit: the devices with the most free milli (lowest index on ties) that are not
        // taken yet.
        let mut rest: Vec<usize> = (0..free.len()).filter(|d| !chosen.contains(&(*d as u32))).collect();
        rest.sort_by_key(|&d| std::cmp::Reverse(free[d]));
        chosen.extend(rest.into_iter().take(count - chosen.len()).map(|d| d as u32));
    }
    chosen.sort_unstable();
    chosen
}

/// `free` after a pod with `request` takes `devices` (the result of [`assign_gpu_devices`]).
pub fn take_gpu_devices(free: &mut [i64], request: GpuRequest, devices: &[u32]) {
    let (_, milli) = request.per_device();
    for &d in devices {
        if let Some(f) = free.get_mut(d as usize) {
            *f -= milli;
        }
    }
}

/// `PreFilterResult`: an optional restriction of the candidate nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreFilterResult {
    /// `None` = all nodes.
    pub node_names: Option<std::collections::BTreeSet<String>>,
}

/// What a scheduling cycle knows beyond the pod and one node: the snapshot's nodes and the
/// selectors of the workloads and Services that select the pod (`helper.DefaultSelector`'s
/// inputs, for PodTopologySpread's system-default constraints).
#[derive(Clone, Copy, Debug)]
pub struct CycleContext<'a> {
    /// Every node of the snapshot, by `NodeId`.
    pub nodes: &'a [NodeInfo],
    /// Selectors of the Services, ReplicaSets and StatefulSets in the pod's namespace that
    /// select it.
    pub owner_selectors: &'a [crate::api::selector::LabelSelector],
    /// Labels of Namespace objects, sorted by name, for InterPodAffinity's `namespaceSelector`.
    /// Every namespace also carries `kubernetes.io/metadata.name` (added by the plugin); one
    /// missing here has no other label.
    pub namespace_labels: &'a [(String, Labels)],
    /// The run's seed, for plugins that draw random numbers of their own (Random).
    pub run_seed: u64,
    /// Σ requests of the pods waiting to be scheduled (the scheduling queue, the pod of this
    /// cycle included): the pending demand, for Tetris's `demandExponent`.
    pub pending: &'a Resources,
    /// The pod's PersistentVolumeClaims, their volumes and classes, for VolumeBinding and
    /// VolumeZone (empty for a pod without claims).
    pub volumes: &'a crate::scheduler::plugins::volume_binding::PodVolumes,
    /// Some node lists images (`status.images`): ImageLocality has something to count.
    pub any_node_images: bool,
    /// Per-node counts of pods matching a selector, following `nodes` (`None`: count by
    /// scanning, e.g. over a test's nodes).
    pub match_counts: Option<&'a crate::scheduler::match_counts::MatchCounts>,
    /// The nodes holding a pod with pod affinity or anti-affinity terms, in id order (`None`:
    /// look at every node's count).
    pub affinity_nodes: Option<&'a [NodeId]>,
    /// The zone names the cache interned, by [`Zone::Id`].
    pub zones: &'a [String],
}

static NO_RESOURCES: Resources =
    Resources { milli_cpu: 0, memory: 0, ephemeral_storage: 0, allowed_pod_number: 0, scalar: Vec::new() };

impl Default for CycleContext<'_> {
    fn default() -> Self {
        CycleContext {
            nodes: &[],
            owner_selectors: &[],
            namespace_labels: &[],
            run_seed: 0,
            pending: &NO_RESOURCES,
            volumes: &crate::scheduler::plugins::volume_binding::NO_VOLUMES,
            any_node_images: true,
            match_counts: None,
            affinity_nodes: None,
            zones: &[],
        }
    }
}

impl<'a> CycleContext<'a> {
    /// A context over `nodes` with no selecting workloads.
    pub fn with_nodes(nodes: &'a [NodeInfo]) -> CycleContext<'a> {
        CycleContext { nodes, ..CycleContext::default() }
    }
}

pub trait PreFilter {
    /// Runs once per cycle before any filter. `Skip` means this plugin's `filter` is not run.
    fn pre_filter(&mut self, cx: &CycleContext<'_>, pod: &Pod) -> (PreFilterResult, Status);
}

pub trait Filter {
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status;
    /// Whether [`filter`](Self::filter) succeeds on `node`, for plugins that can tell
    /// without building a status ([`passes_cheaply`](Self::passes_cheaply)): the node loop
    /// asks this first and runs `filter` only on the nodes it rejects.
    fn passes(&self, pod: &Pod, node: &NodeInfo) -> bool {
        self.filter(pod, node).is_success()
    }
    /// Whether [`passes`](Self::passes) is this plugin's own cheap answer (asked once per
    /// cycle). Such a plugin's Filter never answers [`Code::Error`]: a node loop that only
    /// needs the verdict takes `passes`' `false` as a plain rejection.
    fn passes_cheaply(&self) -> bool {
        false
    }
    /// What a node's [`NodeRow`] must show for `pod` to pass this filter, if the row can tell
    /// (asked once per cycle; `None`, the default: the filter runs on every node). A node
    /// whose row meets the need must pass [`filter`](Self::filter); one whose row falls short
    /// of the need's [`Fit`] must not (it is NodeResourcesFit's own check); and a filter that
    /// states a need never answers [`Code::Error`].
    fn row_need(&self, _pod: &Pod) -> Option<RowNeed> {
        None
    }
}

pub trait PreScore {
    /// Runs once per cycle over the feasible nodes (`cx.nodes` is every node, for plugins
    /// that count across the cluster). `Skip` means `score` is not run.
    fn pre_score(&mut self, cx: &CycleContext<'_>, pod: &Pod, feasible: &[&NodeInfo]) -> Status;
    /// Whether [`pre_score`](Self::pre_score) reads `feasible` for `pod` (true, the default,
    /// when unsure). When no plugin of a cycle does, it may be handed an empty list: a cycle
    /// over thousands of known nodes then does not list their views.
    fn reads_feasible(&self, _cx: &CycleContext<'_>, _pod: &Pod) -> bool {
        true
    }
}

pub trait Score {
    /// The node's raw score. Must be in 0..=100 after normalization.
    fn score(&self, pod: &Pod, node: &NodeInfo) -> Result<i64, Status>;
    /// [`score`](Self::score) of every node of `nodes` into `out` (as long); the first error
    /// stops. One call per cycle instead of one per node, so plugins with per-pod work (which
    /// resources to read, the pod's requests) override it to do that work once.
    fn score_nodes(&self, pod: &Pod, nodes: &[&NodeInfo], out: &mut [i64]) -> Result<(), Status> {
        for (node, out) in nodes.iter().zip(out.iter_mut()) {
            *out = self.score(pod, node)?;
        }
        Ok(())
    }
    /// [`score_nodes`](Self::score_nodes) with each node's [`NodeRow`] beside it (`rows[i]` is
    /// `nodes[i]`'s), which the framework calls: plugins that can score from the dense rows
    /// override it and read a view only where the row cannot tell. Same answers.
    fn score_rows(&self, pod: &Pod, nodes: &[&NodeInfo], _rows: Rows<'_>, out: &mut [i64]) -> Result<(), Status> {
        self.score_nodes(pod, nodes, out)
    }
    /// `ScoreExtensions.NormalizeScore`, if the plugin has one.
    fn normalize(&self, _pod: &Pod, _scores: &mut [i64]) -> Option<Status> {
        None
    }
    /// Whether the raw scores are final: the plugin has no NormalizeScore ([`normalize`]
    /// returns `None` whatever it is given), so that a node's weighted score depends on that
    /// node alone. The scheduler then adds a node-local plugin's scores the memo kept straight
    /// into the nodes' totals. `false` (the safe answer) unless a plugin says so.
    ///
    /// [`normalize`]: Self::normalize
    fn raw_is_final(&self) -> bool {
        false
    }
    /// What [`normalize`](Self::normalize) makes of each score when every raw score of the
    /// cycle is 0, if that is one number whatever the number of nodes (DefaultNormalizeScore:
    /// 0, or the maximum when reversed): the scheduler then adds it to every total without a
    /// column of scores, when the memo knows every feasible node's raw score is 0. `None`
    /// (the safe answer) unless a plugin says so.
    fn normalized_when_all_zero(&self) -> Option<i64> {
        None
    }
}

/// `PreFilterExtensions`: keeps a plugin's PreFilter state true when the framework adds a pod
/// to, or removes one from, a copy of a node during the cycle (nominated pods, preemption's
/// dry run). `node` is the node after the change.
pub trait PreFilterExtensions {
    fn add_pod(&mut self, pod: &Pod, added: &PodView, node: &NodeInfo) -> Status;
    fn remove_pod(&mut self, pod: &Pod, removed: &PodView, node: &NodeInfo) -> Status;
}

/// A node's status in a [`NodeToStatus`]: the cycle's own, or one the scheduler's memo shares
/// between cycles, not copied (equal when their statuses are: where it came from is not part
/// of it).
#[derive(Clone, Debug)]
pub enum NodeStatus {
    Own(Status),
    Shared(std::rc::Rc<Status>),
}

impl PartialEq for NodeStatus {
    fn eq(&self, other: &NodeStatus) -> bool {
        self.get() == other.get()
    }
}

impl Eq for NodeStatus {}

impl NodeStatus {
    pub fn get(&self) -> &Status {
        match self {
            NodeStatus::Own(s) => s,
            NodeStatus::Shared(s) => s,
        }
    }
}

/// The filter statuses of a failed cycle (`NodeToStatus`): per examined node, and one status
/// for every node not listed (UnschedulableAndUnresolvable unless PreFilter rejected all).
///
/// Filled with [`insert`](Self::insert) in any node order, the last status of a node winning.
/// The statuses stay where they were pushed, indexed by node id as they come (ids are dense): a
/// failed cycle of a loaded cluster rejects every node on every attempt, and sorting or moving
/// ~1,000 statuses each time was most of its cost. A status the memo shares with many nodes is
/// kept once (`table`), each node naming it by index: a failed pass writes 8 bytes per node,
/// not a status, and its counts per reason are counts per index.
#[derive(Clone, Debug)]
pub struct NodeToStatus {
    /// In insertion order, each node with its status's index in `table` (a node inserted
    /// again: both, the later one counts).
    statuses: Vec<(NodeId, u32)>,
    /// The statuses inserted, a shared one once while it is among the last few kept.
    table: Vec<NodeStatus>,
    /// By entry of `table`: how many nodes name it, and the least node id that did.
    named: Vec<(u32, u32)>,
    /// Some node's status was replaced (inserted again): an entry's least node id may no
    /// longer name it.
    reinserted: bool,
    /// Per node id, where its entry is in `statuses` (`NONE` or past the end: absent).
    at: Vec<u32>,
    /// Nodes with a status of their own.
    count: usize,
    pub absent: Status,
}

/// The allocations of a [`NodeToStatus`], emptied, kept between scheduling cycles.
#[derive(Debug, Default)]
pub struct StatusBuffer {
    statuses: Vec<(NodeId, u32)>,
    table: Vec<NodeStatus>,
    named: Vec<(u32, u32)>,
    at: Vec<u32>,
}

/// No status of its own in [`NodeToStatus::at`].
const NONE: u32 = u32::MAX;

/// How many of the latest statuses of a [`NodeToStatus`]'s table a shared status is looked
/// for in (the memo shares a handful of distinct failures per spec at once).
const RECENT: usize = 4;

/// Equal when they give every node the same status.
impl PartialEq for NodeToStatus {
    fn eq(&self, other: &NodeToStatus) -> bool {
        self.absent == other.absent && self.count == other.count && self.iter().eq(other.iter())
    }
}

impl Eq for NodeToStatus {}

impl NodeToStatus {
    /// No node examined; absent nodes get `absent`.
    pub fn new(absent: Status) -> NodeToStatus {
        NodeToStatus {
            statuses: Vec::new(),
            table: Vec::new(),
            named: Vec::new(),
            reinserted: false,
            at: Vec::new(),
            count: 0,
            absent,
        }
    }

    /// [`new`](Self::new), filling `buffer` (emptied by [`into_buffer`](Self::into_buffer))
    /// instead of new vectors.
    pub fn in_buffer(buffer: StatusBuffer, absent: Status) -> NodeToStatus {
        debug_assert!(buffer.statuses.is_empty() && buffer.table.is_empty(), "a buffer to fill is empty");
        let StatusBuffer { statuses, table, named, at } = buffer;
        NodeToStatus { statuses, table, named, at, ..NodeToStatus::new(absent) }
    }

    /// The vectors the statuses and their node index were kept in, emptied, for the next
    /// cycle: a pass that rejects thousands of nodes before it finds enough feasible ones
    /// grows none of them again, and the index of a 10,000-node cluster (40 KB, a request
    /// large enough to make glibc consolidate its free lists) is not allocated per cycle. The
    /// index is reset where it was set: in time with the statuses, not the nodes.
    pub fn into_buffer(self) -> StatusBuffer {
        let NodeToStatus { mut statuses, mut table, mut named, mut at, .. } = self;
        for (node, _) in &statuses {
            at[node.index()] = NONE;
        }
        statuses.clear();
        table.clear();
        named.clear();
        StatusBuffer { statuses, table, named, at }
    }

    /// Records `node`'s status, replacing an earlier one of the node.
    pub fn insert(&mut self, node: NodeId, status: Status) {
        self.insert_status(node, NodeStatus::Own(status));
    }

    /// [`insert`](Self::insert) of an owned or a shared status.
    pub fn insert_status(&mut self, node: NodeId, status: NodeStatus) {
        match status {
            NodeStatus::Shared(shared) => self.insert_shared(node, &shared),
            own => {
                self.push(own);
                self.index(node, self.table.len() - 1);
            }
        }
    }

    /// [`insert_status`](Self::insert_status) of a status the memo shares, its reference
    /// counted again only when the table does not have it among its recent entries.
    #[inline]
    pub fn insert_shared(&mut self, node: NodeId, status: &std::rc::Rc<Status>) {
        let index = self.shared_index(status);
        self.index(node, index);
    }

    /// The entry of the table for the shared `status`: one of the recent entries if it is
    /// there, else a new one.
    #[inline]
    fn shared_index(&mut self, status: &std::rc::Rc<Status>) -> usize {
        let recent = self.table.len().saturating_sub(RECENT);
        let known = self.table[recent..]
            .iter()
            .rposition(|s| matches!(s, NodeStatus::Shared(s) if std::rc::Rc::ptr_eq(s, status)));
        match known {
            Some(k) => recent + k,
            None => {
                self.push(NodeStatus::Shared(status.clone()));
                self.table.len() - 1
            }
        }
    }

    /// Gives `node`, which has a status of its own, the shared `status` instead, in place (the
    /// node keeps its place among the insertions; nothing is appended but, when the table
    /// lacks it among its recent entries, the status).
    pub fn replace_shared(&mut self, node: NodeId, status: &std::rc::Rc<Status>) {
        let at = self.at[node.index()] as usize;
        debug_assert_ne!(at as u32, NONE, "the node has a status of its own");
        let index = self.shared_index(status);
        let old = std::mem::replace(&mut self.statuses[at].1, index as u32) as usize;
        self.rename(node, Some(old), index);
    }

    /// How many distinct statuses the table holds (some perhaps named by no node any more).
    pub fn table_len(&self) -> usize {
        self.table.len()
    }

    /// A new entry of the table, named by no node yet.
    fn push(&mut self, status: NodeStatus) {
        self.table.push(status);
        self.named.push((0, u32::MAX));
    }

    /// Gives `node` the status at `index` of the table.
    #[inline]
    fn index(&mut self, node: NodeId, index: usize) {
        if self.at.len() <= node.index() {
            self.at.resize(node.index() + 1, NONE);
        }
        let old = self.entry(node);
        self.count += usize::from(old.is_none());
        self.at[node.index()] = self.statuses.len() as u32;
        self.statuses.push((node, index as u32));
        self.rename(node, old, index);
    }

    /// `node` names table entry `new` now, and no longer `old` (its earlier status, whose least
    /// node id may then have been this one).
    #[inline]
    fn rename(&mut self, node: NodeId, old: Option<usize>, new: usize) {
        if let Some(old) = old {
            self.named[old].0 -= 1;
            self.reinserted = true;
        }
        let named = &mut self.named[new];
        *named = (named.0 + 1, named.1.min(node.0));
    }

    /// The table entry of `node`'s status, if it has one of its own.
    #[inline]
    fn entry(&self, node: NodeId) -> Option<usize> {
        match self.at.get(node.index()) {
            Some(&i) if i != NONE => Some(self.statuses[i as usize].1 as usize),
            _ => None,
        }
    }

    pub fn get(&self, node: NodeId) -> &Status {
        self.entry(node).map_or(&self.absent, |k| self.table[k].get())
    }

    /// Whether `node` has a status of its own.
    pub fn has_own(&self, node: NodeId) -> bool {
        self.entry(node).is_some()
    }

    /// Whether `node`'s status is `status` itself (the same shared allocation).
    pub fn is_shared(&self, node: NodeId, status: &std::rc::Rc<Status>) -> bool {
        self.entry(node)
            .is_some_and(|k| matches!(&self.table[k], NodeStatus::Shared(s) if std::rc::Rc::ptr_eq(s, status)))
    }

    /// The number of nodes with a status of their own.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.statuses.is_empty()
    }

    /// The number of insertions so far: the number of nodes with a status of their own when
    /// no node was inserted twice.
    pub fn inserted(&self) -> usize {
        self.statuses.len()
    }

    /// The nodes that have a status of their own, with the index of it in `table`, by node.
    fn indexed(&self) -> impl Iterator<Item = (NodeId, u32)> {
        self.at.iter().filter(|&&i| i != NONE).map(|&i| self.statuses[i as usize])
    }

    /// The nodes that have a status of their own, with it, by node.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, &Status)> {
        self.indexed().map(|(node, k)| (node, self.table[k as usize].get()))
    }

    /// The plugins of the statuses (the nodes' by node, then the absent nodes'), each once, in
    /// the order they first come (`UnschedulablePlugins`), without the empty name.
    pub fn plugins(&self) -> Vec<&'static str> {
        let mut plugins: Vec<&'static str> = Vec::new();
        let mut add = |plugin: &'static str| {
            if !plugin.is_empty() && !plugins.contains(&plugin) {
                plugins.push(plugin);
            }
        };
        // Each status of the table adds its plugin once, where a node first names it: in
        // the order of the least node ids naming them, unless a node was inserted again.
        if self.reinserted {
            let mut seen = vec![false; self.table.len()];
            for (_, k) in self.indexed() {
                if !std::mem::replace(&mut seen[k as usize], true) {
                    add(self.table[k as usize].get().plugin);
                }
            }
        } else {
            let mut named: Vec<usize> = (0..self.table.len()).filter(|&k| self.named[k].0 > 0).collect();
            named.sort_unstable_by_key(|&k| self.named[k].1);
            for k in named {
                add(self.table[k].get().plugin);
            }
        }
        add(self.absent.plugin);
        plugins
    }

    /// `FitError.Error()`: `0/N nodes are available: <count> <reason>, ....`, the reasons
    /// counted over every node (absent ones with the absent status) and sorted as strings.
    pub fn fit_error(&self, num_all_nodes: usize) -> String {
        fn add<'a>(counts: &mut std::collections::BTreeMap<&'a str, usize>, reasons: &'a Reasons, n: usize) {
            for r in reasons {
                *counts.entry(r.as_ref()).or_insert(0) += n;
            }
        }
        // Nodes per status of the table (counted as they were inserted), then per reason: a
        // status the memo shares is one entry however many nodes name it.
        let mut counts = std::collections::BTreeMap::new();
        // Statuses of their own of neighbouring nodes mostly have equal reasons: counted as
        // runs, each run looked up once.
        let mut run: Option<(&Reasons, usize)> = None;
        for (status, &(n, _)) in self.table.iter().zip(&self.named).filter(|&(_, &(n, _))| n > 0) {
            let (reasons, n) = (&status.get().reasons, n as usize);
            run = match run {
                Some((same, m)) if same == reasons => Some((same, m + n)),
                Some((other, m)) => {
                    add(&mut counts, other, m);
                    Some((reasons, n))
                }
                None => Some((reasons, n)),
            };
        }
        if let Some((reasons, n)) = run {
            add(&mut counts, reasons, n);
        }
        let absent = num_all_nodes.saturating_sub(self.len());
        if absent > 0 {
            add(&mut counts, &self.absent.reasons, absent);
        }
        fit_error_message(num_all_nodes, &counts)
    }
}

/// `FitError.Error()` from the number of nodes rejected for each reason.
pub fn fit_error_message(num_all_nodes: usize, counts: &std::collections::BTreeMap<&str, usize>) -> String {
    use std::fmt::Write;
    // The parts "<count> <reason>" written into one string and sorted as strings by their
    // spans (a failed cycle of a loaded cluster writes this message each time).
    let mut parts = String::new();
    let mut spans: Vec<std::ops::Range<usize>> = Vec::with_capacity(counts.len());
    for (reason, count) in counts {
        let start = parts.len();
        write!(parts, "{count} {reason}").expect("writing to a string");
        spans.push(start..parts.len());
    }
    spans.sort_unstable_by(|a, b| parts[a.clone()].cmp(&parts[b.clone()]));
    let mut message = format!("0/{num_all_nodes} nodes are available:");
    for (k, span) in spans.iter().enumerate() {
        message.push_str(if k == 0 { " " } else { ", " });
        message.push_str(&parts[span.clone()]);
    }
    if !spans.is_empty() {
        message.push('.');
    }
    message
}

/// What a PostFilter plugin sees besides the pod and the statuses.
#[derive(Clone, Copy)]
pub struct PostFilterContext<'a> {
    /// Every node of the snapshot, by `NodeId`.
    pub nodes: &'a [NodeInfo],
    /// The nodes in node-tree order.
    pub order: &'a [NodeId],
    /// The pod being scheduled and its `status.nominatedNodeName`.
    pub pod_id: PodId,
    pub nominated_node: Option<NodeId>,
    /// Every PodDisruptionBudget, with its current status.
    pub pdbs: &'a [&'a crate::api::policy::PodDisruptionBudget],
    pub now: SimTime,
}

/// `PostFilterResult`: `None` from a plugin leaves the pod's nomination as it is; a result
/// sets it (`ModeOverride`; `None` clears it) and names the pods to delete for it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostFilterResult {
    pub nominated_node: Option<NodeId>,
    pub victims: Vec<PodId>,
}

/// What the framework offers a PostFilter plugin (`fwk.Handle`, the parts preemption uses).
pub trait FrameworkHandle {
    /// `RunFilterPluginsWithNominatedPods` for the cycle's pod on `node`.
    fn run_filters_with_nominated_pods(&mut self, pod: &Pod, node: &NodeInfo) -> Status;
    /// `RunPreFilterExtensionAddPod`.
    fn pre_filter_add_pod(&mut self, pod: &Pod, added: &PodView, node: &NodeInfo) -> Status;
    /// `RunPreFilterExtensionRemovePod`.
    fn pre_filter_remove_pod(&mut self, pod: &Pod, removed: &PodView, node: &NodeInfo) -> Status;
}

pub trait PostFilter {
    /// Runs when no node passed the filters. The status message, if any, ends the FitError.
    fn post_filter(
        &mut self,
        cx: &PostFilterContext<'_>,
        pod: &Pod,
        statuses: &NodeToStatus,
        handle: &mut dyn FrameworkHandle,
        rng: &mut SimRng,
    ) -> (Option<PostFilterResult>, Status);

    /// Whether the last `post_filter` call's answer was a function of the pod's spec, the
    /// statuses and the node views alone: no random draw, no budget, no nominated node, no
    /// state of the plugin's own. The scheduler may then give that answer again, without
    /// asking, while none of them changes (a retry storm's failed cycles). `false` unless the
    /// plugin knows better.
    fn last_was_pure(&self) -> bool {
        false
    }
}

/// A scheduling plugin, by name, exposing the extension points it implements.
pub trait Plugin {
    fn name(&self) -> &'static str;
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilter> {
        None
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        None
    }
    fn as_pre_score(&mut self) -> Option<&mut dyn PreScore> {
        None
    }
    fn as_score(&self) -> Option<&dyn Score> {
        None
    }
    fn as_pre_filter_extensions(&mut self) -> Option<&mut dyn PreFilterExtensions> {
        None
    }
    fn as_post_filter(&mut self) -> Option<&mut dyn PostFilter> {
        None
    }
    /// A failure that must stop the run, as opposed to a `Status::error`, which fails one
    /// attempt and requeues the pod: an external policy process died or broke its protocol.
    /// The scheduler asks after every cycle that ended in an error.
    fn fatal_error(&self) -> Option<String> {
        None
    }
    /// Whether the plugin's Filter verdict and raw Score for a node are functions of the pod's
    /// spec, the plugin's arguments, that node's [`NodeInfo`], and the images and number of
    /// all nodes in the cache, and nothing else (not the pod's metadata, other pods, the
    /// queue, volumes or random draws), with PreFilter and PreScore state derived from the
    /// same. The scheduler then shares the plugin's per-node results between cycles of pods
    /// with equal specs while the node's view does not change (`scheduler::memo`).
    fn node_local(&self) -> bool {
        false
    }

    /// Whether a plugin that is not [`node_local`](Self::node_local) in general may be for
    /// some pods ([`node_local_for`](Self::node_local_for) is then asked once per cycle).
    fn node_local_for_some(&self) -> bool {
        false
    }

    /// Whether the plugin is node-local for the cycles of `pod`: its Filter verdict for this
    /// pod reads nothing of the pod but its spec (GPUShare when the pod restricts no GPU
    /// models). The memo then keys the plugin's verdicts by the spec and the set of
    /// node-local plugins, so that a pod of the same spec for which it is not never reads them.
    fn node_local_for(&self, _pod: &Pod) -> bool {
        false
    }
}

/// `v.round() as i64` (half away from zero, as Go's `math.Round`; NaN is 0, out of range
/// saturates) without the libm call `f64::round` is on x86-64 without SSE4.1, which scorers pay
/// per node: the truncation's remainder `v − trunc(v)` is exact, so comparing it with ±½ rounds
/// exactly as `round` does.
#[inline]
pub fn round_to_i64(v: f64) -> i64 {
    let t = v as i64;
    let rest = v - t as f64;
    if rest >= 0.5 {
        t.saturating_add(1)
    } else if rest <= -0.5 {
        t.saturating_sub(1)
    } else {
        t
    }
}

/// `helper.DefaultNormalizeScore`: scale to 0..=max by the maximum (which starts at 0, so
/// all-negative scores count as a zero maximum), optionally reversed.
pub fn default_normalize_score(max_priority: i64, reverse: bool, scores: &mut [i64]) {
    // All zero, the common case (no node with a PreferNoSchedule taint, no preferred
    // affinity): found with a bitwise or, which vectorizes where the maximum of i64s does not.
    if scores.iter().fold(0, |any, &s| any | s) == 0 {
        if reverse {
            scores.fill(max_priority);
        }
        return;
    }
    let max = scores.iter().copied().fold(0, i64::max);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = max_priority);
        }
        return;
    }
    for s in scores.iter_mut() {
        *s = max_priority * *s / max;
        if reverse {
            *s = max_priority - *s;
        }
    }
}

/// `numFeasibleNodesToFind`: how many feasible nodes to look for before scoring.
pub fn num_feasible_nodes_to_find(percentage: i32, num_all_nodes: usize) -> usize {
    const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
    const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: i64 = 5;
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let mut p = i64::from(percentage);
    if p == 0 {
        p = 50 - (num_all_nodes as i64) / 125;
        if p < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND {
            p = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
        }
    }
    let k = (num_all_nodes as i64 * p / 100) as usize;
    k.max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// `selectHost`: the node with the highest total; ties broken uniformly at random.
///
/// kube-scheduler samples a reservoir over the tied nodes (one draw per tie); kubesim draws
/// once per decision, `r` uniform in `0..k` over the k tied nodes, and takes the `r`-th of them
/// in the feasible order: the same distribution (each tied node wins with probability 1/k), a
/// documented deterministic rule the reference allows, and one draw instead of up to
/// thousands. A unique maximum draws nothing.
pub fn select_host(totals: &[i64], rng: &mut SimRng) -> Option<usize> {
    let max = *totals.iter().max()?;
    let ties = totals.iter().filter(|&&t| t == max).count();
    totals.iter().enumerate().filter(|&(_, &t)| t == max).nth(tie_index(ties, rng)).map(|(i, _)| i)
}

/// Which of `ties` tied nodes [`select_host`] takes: one draw `r` in `0..ties`, none for one.
#[inline]
pub fn tie_index(ties: usize, rng: &mut SimRng) -> usize {
    if ties > 1 { uniform_below(rng, ties as u64) as usize } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn round_to_i64_rounds_as_f64_round(bits in proptest::prelude::any::<u64>(), small in -4.0e9f64..4.0e9) {
            for v in [f64::from_bits(bits), small, small.trunc() + 0.5, small.trunc() - 0.5] {
                proptest::prop_assert_eq!(round_to_i64(v), v.round() as i64, "{}", v);
            }
        }
    }

    #[test]
    fn round_to_i64_at_the_edges() {
        for v in [
            0.0,
            -0.0,
            0.5,
            -0.5,
            0.49999999999999994,
            -0.49999999999999994,
            2.5,
            -2.5,
            4503599627370495.5,
            9.3e18,
            -9.3e18,
            9.223372036854775e18,
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
            1e9 - 0.5,
            999_999_999.499_999_9,
        ] {
            assert_eq!(round_to_i64(v), v.round() as i64, "{v}");
        }
    }

    #[test]
    fn a_single_reason_is_kept_inline() {
        assert!(!Status::unschedulable("Insufficient cpu").reasons.spilled(), "no allocation");
        assert!(!Status::unresolvable(String::from("built")).reasons.spilled());
        let mut two = Status::unschedulable("Insufficient cpu");
        two.reasons.push("Insufficient memory".into());
        assert_eq!(two.message(), "Insufficient cpu, Insufficient memory");
    }

    #[test]
    fn feasible_nodes_to_find_matches_reference_examples() {
        assert_eq!(num_feasible_nodes_to_find(0, 50), 50);
        assert_eq!(num_feasible_nodes_to_find(0, 1000), 420);
        assert_eq!(num_feasible_nodes_to_find(0, 6000), 300);
        assert_eq!(num_feasible_nodes_to_find(0, 5000), 500);
        assert_eq!(num_feasible_nodes_to_find(40, 1000), 400);
        assert_eq!(num_feasible_nodes_to_find(1, 1000), 100, "never below 100");
        assert_eq!(num_feasible_nodes_to_find(100, 1000), 1000);
        assert_eq!(num_feasible_nodes_to_find(0, 50_000), 2500, "5% floor");
    }

    #[test]
    fn default_normalize() {
        let mut s = vec![0, 5, 10];
        default_normalize_score(100, false, &mut s);
        assert_eq!(s, [0, 50, 100]);
        let mut s = vec![0, 5, 10];
        default_normalize_score(100, true, &mut s);
        assert_eq!(s, [100, 50, 0]);
        let mut s = vec![0, 0];
        default_normalize_score(100, true, &mut s);
        assert_eq!(s, [100, 100]);
        let mut s = vec![0, 0];
        default_normalize_score(100, false, &mut s);
        assert_eq!(s, [0, 0]);
        let mut s = vec![1, 3];
        default_normalize_score(100, false, &mut s);
        assert_eq!(s, [33, 100], "integer division truncates");
        // Negative scores only: the maximum is still 0 (not all zero, but treated alike).
        let mut s = vec![-3, 0, -1];
        default_normalize_score(100, true, &mut s);
        assert_eq!(s, [100, 100, 100]);
        let mut s = vec![-3, -1];
        default_normalize_score(100, false, &mut s);
        assert_eq!(s, [-3, -1]);
        let mut s = vec![-4, 2];
        default_normalize_score(10, true, &mut s);
        assert_eq!(s, [30, 0], "10 - 10 * -4 / 2");
    }

    #[test]
    fn node_statuses_keep_the_last_status_of_each_node_in_any_insertion_order() {
        let mut d = NodeToStatus::new(Status::unresolvable("absent"));
        d.insert(NodeId(5), Status::unschedulable("a"));
        d.insert(NodeId(2), Status::unschedulable("b"));
        d.insert(NodeId(5), Status::unresolvable("c"));
        d.insert(NodeId(9), Status::unschedulable("a"));
        assert_eq!(d.len(), 3);
        assert_eq!(d.get(NodeId(5)).reasons[..], ["c"]);
        assert_eq!(d.get(NodeId(2)).reasons[..], ["b"]);
        assert_eq!(d.get(NodeId(7)).reasons[..], ["absent"]);
        let reasons: Vec<&str> = d.iter().map(|(_, s)| s.reasons[0].as_ref()).collect();
        assert_eq!(reasons, ["b", "c", "a"], "by node id");
        // 3 examined, 2 absent: counted per reason and sorted as strings.
        assert_eq!(d.fit_error(5), "0/5 nodes are available: 1 a, 1 b, 1 c, 2 absent.");
        // A status shared with the memo equals the same status owned.
        let mut e = NodeToStatus::new(Status::unresolvable("absent"));
        e.insert(NodeId(2), Status::unschedulable("b"));
        e.insert_status(NodeId(5), NodeStatus::Shared(std::rc::Rc::new(Status::unresolvable("c"))));
        e.insert(NodeId(9), Status::unschedulable("a"));
        assert_eq!(d, e);
        // Refilled from the buffer of a pass over more nodes: none of them still has a status.
        let mut f = NodeToStatus::in_buffer(d.into_buffer(), Status::unresolvable("absent"));
        assert!(f.is_empty() && f.iter().next().is_none());
        assert_eq!(f.len(), 0, "no node counted");
        assert_eq!(f.get(NodeId(5)).reasons[..], ["absent"]);
        f.insert(NodeId(9), Status::unschedulable("a"));
        assert_eq!(f.len(), 1);
        assert_eq!(f.fit_error(10), "0/10 nodes are available: 1 a, 9 absent.");
        let buffer = f.into_buffer();
        assert!(buffer.statuses.is_empty() && buffer.at.len() == 10, "kept, not shrunk");
        assert!(buffer.at.iter().all(|&i| i == NONE), "reset where it was set");
    }

    #[test]
    fn fit_error_counts_runs_of_equal_reasons_like_each_node_alone() {
        // Runs, interleavings and multi-reason statuses, inserted in a scrambled node order.
        let patterns: [&[&'static str]; 4] = [&["x"], &["x", "y"], &["y"], &["z", "x"]];
        let mut d = NodeToStatus::new(Status::unresolvable("absent"));
        let mut reference: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for k in 0..200u32 {
            let node = (k * 37) % 211;
            let reasons = patterns[((k / 7) % 4) as usize];
            let mut status = Status::unschedulable(reasons[0]);
            status.reasons.extend(reasons[1..].iter().map(|r| std::borrow::Cow::Borrowed(*r)));
            for r in reasons {
                *reference.entry(r).or_insert(0) += 1;
            }
            d.insert(NodeId(node), status);
        }
        *reference.entry("absent").or_insert(0) += 300 - 200;
        assert_eq!(d.fit_error(300), fit_error_message(300, &reference));
        let ids: Vec<u32> = d.iter().map(|(n, _)| n.0).collect();
        assert!(ids.is_sorted() && ids.len() == 200, "by node, once each");
    }

    #[test]
    fn shared_statuses_are_kept_once_and_counted_like_each_node_alone() {
        use std::collections::BTreeMap;
        use std::rc::Rc;
        // Six shared statuses (more than are looked for among the recent ones), a status of
        // its own now and then, and nodes inserted again: against a node-by-node reference.
        let shared: Vec<Rc<Status>> = (0..6)
            .map(|k| {
                let mut s = Status::unschedulable(["p", "q", "r"][k % 3]);
                s.plugin = ["A", "B", "C", "D", "E", "F"][k];
                Rc::new(s)
            })
            .collect();
        let mut d = NodeToStatus::new(Status::unresolvable("absent"));
        let mut reference: BTreeMap<u32, Status> = BTreeMap::new();
        for k in 0..400u32 {
            let node = (k * 53) % 307;
            let status = if k % 97 == 0 {
                NodeStatus::Own(Status::unschedulable("own"))
            } else {
                NodeStatus::Shared(shared[((k / 5) % 6) as usize].clone())
            };
            reference.insert(node, status.get().clone());
            d.insert_status(NodeId(node), status);
        }
        assert_eq!(d.len(), reference.len());
        assert!(d.iter().map(|(n, s)| (n.0, s)).eq(reference.iter().map(|(&n, s)| (n, s))), "by node, last wins");
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for s in reference.values() {
            *counts.entry(s.reasons[0].as_ref()).or_insert(0) += 1;
        }
        *counts.entry("absent").or_insert(0) += 320 - reference.len();
        assert_eq!(d.fit_error(320), fit_error_message(320, &counts));
        let mut plugins: Vec<&str> = Vec::new();
        for s in reference.values().chain([&d.absent]) {
            if !s.plugin.is_empty() && !plugins.contains(&s.plugin) {
                plugins.push(s.plugin);
            }
        }
        assert_eq!(d.plugins(), plugins);
        // A run of one shared status is one entry of the table.
        let mut e = NodeToStatus::new(Status::unresolvable("absent"));
        for node in 0..100 {
            e.insert_status(NodeId(node), NodeStatus::Shared(shared[node as usize % 2].clone()));
        }
        assert_eq!(e.table.len(), 2);
        assert_eq!(e.fit_error(100), "0/100 nodes are available: 50 p, 50 q.");
        // Each node once, in a scrambled order: the plugins come in node order all the same.
        let mut f = NodeToStatus::new(Status::unresolvable("absent"));
        let mut by_node: BTreeMap<u32, &Status> = BTreeMap::new();
        for k in 0..200u32 {
            let (node, status) = ((k * 37) % 211, &shared[((k / 3) % 6) as usize]);
            by_node.insert(node, status);
            f.insert_shared(NodeId(node), status);
        }
        assert!(!f.reinserted);
        let mut plugins: Vec<&str> = Vec::new();
        for s in by_node.values() {
            if !plugins.contains(&s.plugin) {
                plugins.push(s.plugin);
            }
        }
        assert_eq!(f.plugins(), plugins);
        assert_ne!(plugins, ["A", "B", "C", "D", "E", "F"], "not the order of insertion");
    }

    #[test]
    fn a_replaced_status_is_counted_in_place() {
        use std::rc::Rc;
        let (cpu, taint) = (Rc::new(Status::unschedulable("cpu")), Rc::new(Status::unschedulable("taint")));
        let mut d = NodeToStatus::new(Status::unresolvable("absent"));
        for node in [3, 1, 2] {
            d.insert_shared(NodeId(node), &cpu);
        }
        assert!(d.is_shared(NodeId(1), &cpu) && !d.is_shared(NodeId(1), &taint) && !d.is_shared(NodeId(0), &cpu));
        d.replace_shared(NodeId(1), &taint);
        assert_eq!((d.len(), d.inserted()), (3, 3), "in place: nothing appended");
        assert!(d.is_shared(NodeId(1), &taint) && d.has_own(NodeId(1)) && !d.has_own(NodeId(0)));
        assert_eq!(d.fit_error(4), "0/4 nodes are available: 1 absent, 1 taint, 2 cpu.");
        d.replace_shared(NodeId(1), &cpu);
        assert_eq!(d.fit_error(4), "0/4 nodes are available: 1 absent, 3 cpu.");
        assert_eq!(d.table_len(), 2, "a recent status is found again");
    }

    #[test]
    fn select_host_breaks_ties_uniformly() {
        let mut rng = crate::kernel::Streams::new(3).stream("t");
        assert_eq!(select_host(&[1, 5, 3], &mut rng), Some(1));
        assert_eq!(select_host(&[], &mut rng), None);
        let mut wins = [0u32; 3];
        for _ in 0..3000 {
            wins[select_host(&[7, 7, 2, 7], &mut rng).unwrap().min(2)] += 1;
        }
        // Indices 0, 1 and 3 (counted in slot 2) each win about a third of the time.
        for w in wins {
            assert!((850..1150).contains(&w), "{wins:?}");
        }
    }

    #[test]
    fn select_host_draws_once_per_decision_and_only_among_ties() {
        let streams = crate::kernel::Streams::new(11);
        // A unique maximum draws nothing, wherever lower totals tie.
        let mut rng = streams.stream("t");
        let untouched = rng.clone();
        assert_eq!(select_host(&[3, 3, 3, 9, 3, 3], &mut rng), Some(3));
        assert_eq!(rng, untouched);
        // k tied nodes: one draw r in 0..k, and the r-th tied node in order wins.
        let totals = [4, 8, 1, 8, 8, 0, 8];
        let tied = [1, 3, 4, 6];
        for _ in 0..200 {
            let mut expected = rng.clone();
            let r = uniform_below(&mut expected, tied.len() as u64) as usize;
            assert_eq!(select_host(&totals, &mut rng), Some(tied[r]));
            assert_eq!(rng, expected, "exactly one draw");
        }
    }
}
