//! The HorizontalPodAutoscaler controller's arithmetic (`pkg/controller/podautoscaler`,
//! v1.34): the replica calculator (`replica_calculator.go`, `metrics/utilization.go`) and the
//! normalisation of a recommendation (`horizontal.go`: stabilization windows, scale rate
//! policies, min/max clamps and the status conditions they produce), as pure functions of
//! plain inputs. Integer and float arithmetic is Kubernetes' own: utilization is an `int32`
//! percentage from `int64` integer division, ratios and `Percent` policies are `float64`,
//! replica counts come from `math.Ceil` or a truncating conversion exactly where Go has them.
//!
//! # Contract with the controller
//!
//! Kubernetes keeps three histories per HPA in the controller's memory, not in the API
//! object: the unstabilized recommendations, and the scale-up and scale-down events. Here they
//! are an [`HpaHistory`], which the engine keeps beside each HPA: a fresh (empty) one when the
//! HPA is created or the controller manager restarts, dropped when the HPA is deleted. Every
//! sync period ([`SYNC_PERIOD`], 15 s per HPA) the engine:
//!
//! 1. reads the scale subresource of `spec.scaleTargetRef` into a [`ScaleView`]
//!    (`spec.replicas`, `status.replicas`), or an error message if the target is missing;
//! 2. builds one [`MetricObservation`] per `spec.metrics` entry, in order: for Resource,
//!    ContainerResource and Pods metrics one [`PodSample`] per pod matching the target's
//!    selector (phase, deletion, start time, Ready condition, request, and the newest metric
//!    sample with its timestamp and window, if the metrics pipeline has one); for Object the
//!    described object's value; for External the values of every series;
//! 3. calls [`sync`] with the HPA's spec as the API server stored it (defaulted, see
//!    `HorizontalPodAutoscalerSpec::set_defaults`), the count of Running and Ready pods, and
//!    the history, which `sync` updates;
//! 4. applies the [`SyncOutcome`]: writes `scale.spec.replicas` when `rescale` is `Some`,
//!    records `events`, and calls [`SyncOutcome::apply_to_status`] on the HPA's status.
//!
//! `sync` takes the scale write to succeed (it records the scale event, as Kubernetes does
//! after a successful update). A caller whose write can fail uses the pieces instead:
//! [`compute_metric`], [`combine_metric_proposals`], [`normalize_desired_replicas`] or
//! [`normalize_desired_replicas_with_behaviors`], and [`HpaHistory::store_scale_event`].
//!
//! Times are virtual instants. Pod start times, Ready transition times and metric timestamps
//! are API timestamps (`metav1.Time`, whole seconds when serialised): the caller decides
//! whether to truncate them. Recommendation and scale-event times are the controller's own
//! clock (`now`), at full resolution, as `time.Now()` is upstream.
//!
//! Not modelled: the selector checks of `validateAndParseSelector` (a missing, unparsable or
//! ambiguous selector shared by two HPAs), metrics that the metrics API returns for pods the
//! pod lister does not know (the samples here are per listed pod), pod-level requests
//! (`PodLevelResources`; the pod model has none), and the controller's Prometheus metrics.
//!
//! Version notes (v1.34): the tolerance is the `--horizontal-pod-autoscaler-tolerance` flag in
//! both directions (`behavior.*.tolerance` needs `HPAConfigurableTolerance`, alpha and off),
//! checked as `1 - tol <= ratio <= 1 + tol` (the `Tolerances.isWithin` form of v1.33+, inclusive
//! at both ends; the older `|1 - ratio| <= tol` put a ratio of exactly 1.1 outside). A pod
//! without metrics counts on a scale-down as `max(100, target)` % of its request (since
//! v1.26, kubernetes/kubernetes#112178), not 100 %.

use std::fmt;

use crate::api::autoscaling::{
    ContainerResourceMetricStatus, CrossVersionObjectReference, ExternalMetricStatus, HorizontalPodAutoscalerBehavior,
    HorizontalPodAutoscalerSpec, HorizontalPodAutoscalerStatus, HpaConditionType, HpaScalingPolicy,
    HpaScalingPolicyType, HpaScalingRules, MetricIdentifier, MetricSpec, MetricStatus, MetricTarget, MetricTargetType,
    MetricValueStatus, ObjectMetricStatus, PodsMetricStatus, ResourceMetricStatus, ScalingPolicySelect,
};
use crate::api::meta::ConditionStatus;
use crate::api::pod::{PodPhase, PodSpec};
use crate::api::quantity::{Format, Quantity};
use crate::api::resources::ResourceName;
use crate::api::selector::LabelSelector;
use crate::kernel::{SimDuration, SimTime};
use crate::store::{DeploymentId, HpaId, PodId, RsId, Store};

/// `--horizontal-pod-autoscaler-sync-period`.
pub const SYNC_PERIOD: SimDuration = SimDuration::from_secs(15);
/// `--horizontal-pod-autoscaler-tolerance`.
pub const DEFAULT_TOLERANCE: f64 = 0.1;
/// `--horizontal-pod-autoscaler-downscale-stabilization`.
pub const DOWNSCALE_STABILIZATION_WINDOW: SimDuration = SimDuration::from_mins(5);
/// `--horizontal-pod-autoscaler-cpu-initialization-period`.
pub const CPU_INITIALIZATION_PERIOD: SimDuration = SimDuration::from_mins(5);
/// `--horizontal-pod-autoscaler-initial-readiness-delay`.
pub const INITIAL_READINESS_DELAY: SimDuration = SimDuration::from_secs(30);

/// The controller's flags (`pkg/controller/podautoscaler/config/v1alpha1/defaults.go`).
#[derive(Clone, Debug, PartialEq)]
pub struct HpaControllerConfig {
    pub sync_period: SimDuration,
    pub tolerance: f64,
    /// The scale-down stabilization window of HPAs without `behavior`, and of those whose
    /// `behavior.scaleDown` leaves it unset.
    pub downscale_stabilization_window: SimDuration,
    /// While a pod is younger than this, a cpu sample counts only if the pod is Ready and
    /// the sample was taken a whole metric window after the pod's last readiness change.
    pub cpu_initialization_period: SimDuration,
    /// After the initialization period, a not-Ready pod whose readiness last changed within
    /// this delay of its start is taken to have never been ready.
    pub initial_readiness_delay: SimDuration,
}

impl Default for HpaControllerConfig {
    fn default() -> Self {
        HpaControllerConfig {
            sync_period: SYNC_PERIOD,
            tolerance: DEFAULT_TOLERANCE,
            downscale_stabilization_window: DOWNSCALE_STABILIZATION_WINDOW,
            cpu_initialization_period: CPU_INITIALIZATION_PERIOD,
            initial_readiness_delay: INITIAL_READINESS_DELAY,
        }
    }
}

/// `Tolerances`: the band of usage ratios around 1 within which the replica count stays.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerances {
    pub scale_down: f64,
    pub scale_up: f64,
}

impl Tolerances {
    pub fn symmetric(tolerance: f64) -> Tolerances {
        Tolerances { scale_down: tolerance, scale_up: tolerance }
    }

    /// `tolerancesForHpa` at v1.34: the controller's flag both ways, because per-HPA
    /// tolerances need the `HPAConfigurableTolerance` gate (alpha, off).
    pub fn for_hpa(config: &HpaControllerConfig) -> Tolerances {
        Tolerances::symmetric(config.tolerance)
    }

    /// `isWithin`: `1 - scaleDown <= ratio <= 1 + scaleUp`, in float64.
    pub fn is_within(self, usage_ratio: f64) -> bool {
        (1.0 - self.scale_down) <= usage_ratio && usage_ratio <= (1.0 + self.scale_up)
    }
}

// ---------------------------------------------------------------------------------------------
// Replica calculator inputs
// ---------------------------------------------------------------------------------------------

/// A pod's `Ready` condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadyCondition {
    pub status: ConditionStatus,
    pub last_transition_time: SimTime,
}

/// One metric sample of a pod (`metricsclient.PodMetric`): a value in milli-units (millicores
/// for cpu, milli-bytes for memory, milli-units for custom metrics), the end of the window it
/// was measured over, and the window's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsageSample {
    pub value_milli: i64,
    pub timestamp: SimTime,
    pub window: SimDuration,
}

/// What the replica calculator knows of one pod matching the target's selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodSample {
    pub phase: PodPhase,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    /// `status.startTime`.
    pub start_time: Option<SimTime>,
    /// The `Ready` condition, if the pod has one.
    pub ready: Option<ReadyCondition>,
    /// The request for the metric's resource in milli-units (Resource and ContainerResource
    /// metrics; see [`pod_request_milli`]); `None` if a counted container has no request,
    /// which fails a utilization metric. Unused by the other metric types.
    pub request_milli: Option<i64>,
    /// The newest sample, or `None` if the metrics API has none for the pod.
    pub usage: Option<UsageSample>,
}

/// `calculatePodRequestsFromContainers`: the request of `resource` summed over the pod's
/// containers and its sidecars (init containers with `restartPolicy: Always`), or over the
/// one named container. `None` when a counted container has no request for the resource or
/// the named container does not exist, which Kubernetes reports as an error.
pub fn pod_request_milli(spec: &PodSpec, resource: &ResourceName, container: Option<&str>) -> Option<i64> {
    let sidecars = spec.init_containers.iter().filter(|c| c.restart_policy_always);
    let mut request = 0i64;
    for c in spec.containers.iter().chain(sidecars) {
        if container.is_none_or(|name| name == c.name) {
            request = request.wrapping_add(c.requests.get(resource)?.milli_value());
        }
        if container == Some(c.name.as_str()) {
            return Some(request);
        }
    }
    if container.is_some() { None } else { Some(request) }
}

/// How `groupPods` files a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodGroup {
    /// Its sample counts.
    Ready,
    /// Pending, or (cpu only) not Ready or initialising: its sample is dropped, and on a
    /// scale-up it counts as 0 usage.
    Unready,
    /// No sample: on a scale-down it counts as its request (× max(100, target) %), on a
    /// scale-up as 0.
    Missing,
    /// Being deleted or Failed: left out entirely.
    Ignored,
}

/// `groupPods` for one pod. `cpu` selects the cpu readiness rules (the metric's resource is
/// cpu); memory and custom metrics count any Running pod with a sample.
pub fn group_pod(pod: &PodSample, cpu: bool, now: SimTime, config: &HpaControllerConfig) -> PodGroup {
    if pod.deleting || pod.phase == PodPhase::Failed {
        return PodGroup::Ignored;
    }
    if pod.phase == PodPhase::Pending {
        return PodGroup::Unready;
    }
    let Some(sample) = pod.usage else {
        return PodGroup::Missing;
    };
    if cpu {
        let unready = match (pod.ready, pod.start_time) {
            (Some(ready), Some(start)) => {
                if start.saturating_add(config.cpu_initialization_period) > now {
                    // Still initialising: the sample must come from a Ready pod and cover a
                    // whole window after the last readiness change.
                    ready.status == ConditionStatus::False
                        || sample.timestamp < ready.last_transition_time.saturating_add(sample.window)
                } else {
                    // Not Ready and its readiness last changed within the initial delay of its
                    // start: it has never been ready.
                    ready.status == ConditionStatus::False
                        && start.saturating_add(config.initial_readiness_delay) > ready.last_transition_time
                }
            }
            _ => true,
        };
        if unready {
            return PodGroup::Unready;
        }
    }
    PodGroup::Ready
}

/// Why the replica calculator could not propose a count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplicaCalcError {
    /// The metrics API returned no sample for any pod of the selector (or, for Object and
    /// External metrics, no value).
    NoMetrics,
    /// No pod matches the target's selector.
    NoPods,
    /// Every sample belonged to an unready or ignored pod.
    NoMetricsForReadyPods,
    /// The pod at this index of the samples has no request for the resource.
    MissingRequest { pod: usize },
    /// The counted requests sum to zero.
    NoRequests,
}

impl fmt::Display for ReplicaCalcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplicaCalcError::NoMetrics => f.write_str("no metrics returned from the metrics API"),
            ReplicaCalcError::NoPods => f.write_str("no pods returned by selector while calculating replica count"),
            ReplicaCalcError::NoMetricsForReadyPods => {
                f.write_str("did not receive metrics for targeted pods (pods might be unready)")
            }
            ReplicaCalcError::MissingRequest { pod } => write!(f, "missing request in pod #{pod}"),
            ReplicaCalcError::NoRequests => f.write_str("no metrics returned matched known pods"),
        }
    }
}

impl std::error::Error for ReplicaCalcError {}

/// `GetResourceUtilizationRatio`'s results.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Utilization {
    /// `utilization / target`, from the truncated integer utilization.
    pub ratio: f64,
    /// `int32(Σ usage × 100 / Σ request)`, integer division.
    pub utilization: i32,
    /// `Σ usage / n`, integer division: the status' `averageValue`.
    pub raw_average_milli: i64,
}

/// `GetResourceUtilizationRatio` over `(usage, request)` pairs in milli-units. Sums wrap like
/// Go's `int64`, and the percentage is converted to `int32` by truncation of the bits, as Go's
/// conversion does.
pub fn resource_utilization_ratio(
    samples: &[(i64, i64)],
    target_utilization: i32,
) -> Result<Utilization, ReplicaCalcError> {
    let (mut usage_total, mut request_total) = (0i64, 0i64);
    for &(usage, request) in samples {
        usage_total = usage_total.wrapping_add(usage);
        request_total = request_total.wrapping_add(request);
    }
    if request_total == 0 {
        return Err(ReplicaCalcError::NoRequests);
    }
    let utilization = usage_total.wrapping_mul(100).wrapping_div(request_total) as i32;
    Ok(Utilization {
        ratio: f64::from(utilization) / f64::from(target_utilization),
        utilization,
        raw_average_milli: usage_total.wrapping_div(samples.len() as i64),
    })
}

/// `GetMetricUsageRatio`: (`average / target`, `average`), the average an integer division.
pub fn metric_usage_ratio(values: &[i64], target_usage_milli: i64) -> (f64, i64) {
    let total = values.iter().fold(0i64, |acc, &v| acc.wrapping_add(v));
    let average = total.wrapping_div(values.len() as i64);
    (average as f64 / target_usage_milli as f64, average)
}

/// `int32(math.Ceil(x))`. Go leaves out-of-range conversions to the platform; Rust saturates.
fn ceil_i32(x: f64) -> i32 {
    x.ceil() as i32
}

/// The pods of one metric, grouped.
struct Grouped {
    ready_count: usize,
    /// (pod index, sample value) of the Ready pods.
    counted: Vec<(usize, i64)>,
    unready: Vec<usize>,
    missing: Vec<usize>,
}

fn group_pods(pods: &[PodSample], cpu: bool, now: SimTime, config: &HpaControllerConfig) -> Grouped {
    let mut g = Grouped { ready_count: 0, counted: Vec::new(), unready: Vec::new(), missing: Vec::new() };
    for (i, pod) in pods.iter().enumerate() {
        match group_pod(pod, cpu, now, config) {
            PodGroup::Ready => {
                g.ready_count += 1;
                // `Ready` implies a sample.
                g.counted.push((i, pod.usage.map_or(0, |u| u.value_milli)));
            }
            PodGroup::Unready => g.unready.push(i),
            PodGroup::Missing => g.missing.push(i),
            PodGroup::Ignored => {}
        }
    }
    g
}

/// The result of a Resource (or ContainerResource) utilization metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceReplicas {
    pub replicas: i32,
    /// The status' `averageUtilization`: from the counted (Ready) pods only.
    pub utilization: i32,
    /// The status' `averageValue` in milli-units.
    pub raw_average_milli: i64,
}

/// `GetResourceReplicas`: the replica count for a target utilization (percent of request)
/// over `pods`, the pods matching the selector.
///
/// The ratio of the Ready pods decides the direction. Without unready or missing pods the
/// answer is `ceil(ratio × ready pods)`, or the current count within the tolerance. Otherwise
/// the ratio is recomputed with the missing pods at `max(100, target)` % of their request on a
/// scale-down or 0 on a scale-up, and with the unready pods at 0 on a scale-up, and the
/// count stays unchanged if that lands within the tolerance or flips the direction.
pub fn resource_replicas(
    current_replicas: i32,
    target_utilization: i32,
    cpu: bool,
    pods: &[PodSample],
    now: SimTime,
    config: &HpaControllerConfig,
    tolerances: Tolerances,
) -> Result<ResourceReplicas, ReplicaCalcError> {
    if pods.iter().all(|p| p.usage.is_none()) {
        return Err(ReplicaCalcError::NoMetrics);
    }
    let mut g = group_pods(pods, cpu, now, config);
    if g.counted.is_empty() {
        return Err(ReplicaCalcError::NoMetricsForReadyPods);
    }
    // Requests of every listed pod, ignored ones included, as `calculateRequests` does.
    let requests = pods
        .iter()
        .enumerate()
        .map(|(i, p)| p.request_milli.ok_or(ReplicaCalcError::MissingRequest { pod: i }))
        .collect::<Result<Vec<i64>, _>>()?;
    let pairs = |counted: &[(usize, i64)]| counted.iter().map(|&(i, v)| (v, requests[i])).collect::<Vec<_>>();
    let first = resource_utilization_ratio(&pairs(&g.counted), target_utilization)?;
    let (ratio, utilization, raw_average_milli) = (first.ratio, first.utilization, first.raw_average_milli);
    let result = |replicas| Ok(ResourceReplicas { replicas, utilization, raw_average_milli });

    let scale_up_with_unready = !g.unready.is_empty() && ratio > 1.0;
    if !scale_up_with_unready && g.missing.is_empty() {
        if tolerances.is_within(ratio) {
            return result(current_replicas);
        }
        return result(ceil_i32(ratio * g.ready_count as f64));
    }
    if !g.missing.is_empty() {
        if ratio < 1.0 {
            // As using all of their request, or the target when it is above 100 %.
            let fallback = i64::from(target_utilization.max(100));
            for &i in &g.missing {
                g.counted.push((i, requests[i].wrapping_mul(fallback) / 100));
            }
        } else if ratio > 1.0 {
            for &i in &g.missing {
                g.counted.push((i, 0));
            }
        }
    }
    if scale_up_with_unready {
        for &i in &g.unready {
            g.counted.push((i, 0));
        }
    }
    let new_ratio = resource_utilization_ratio(&pairs(&g.counted), target_utilization)?.ratio;
    if tolerances.is_within(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0) {
        return result(current_replicas);
    }
    let new_replicas = ceil_i32(new_ratio * g.counted.len() as f64);
    if (new_ratio < 1.0 && new_replicas > current_replicas) || (new_ratio > 1.0 && new_replicas < current_replicas) {
        return result(current_replicas);
    }
    result(new_replicas)
}

/// `calcPlainMetricReplicas` (behind `GetRawResourceReplicas` and `GetMetricReplicas`): the
/// replica count for a target average value per pod (milli-units). `cpu` applies the cpu
/// readiness rules (a Resource metric on cpu with an `averageValue` target); a Pods metric
/// passes `false`. Returns the count and the current average.
pub fn plain_metric_replicas(
    current_replicas: i32,
    target_usage_milli: i64,
    cpu: bool,
    pods: &[PodSample],
    now: SimTime,
    config: &HpaControllerConfig,
    tolerances: Tolerances,
) -> Result<(i32, i64), ReplicaCalcError> {
    if pods.iter().all(|p| p.usage.is_none()) {
        return Err(ReplicaCalcError::NoMetrics);
    }
    let g = group_pods(pods, cpu, now, config);
    let mut values: Vec<i64> = g.counted.iter().map(|&(_, v)| v).collect();
    if values.is_empty() {
        return Err(ReplicaCalcError::NoMetricsForReadyPods);
    }
    let (ratio, usage) = metric_usage_ratio(&values, target_usage_milli);
    let scale_up_with_unready = !g.unready.is_empty() && ratio > 1.0;
    if !scale_up_with_unready && g.missing.is_empty() {
        if tolerances.is_within(ratio) {
            return Ok((current_replicas, usage));
        }
        return Ok((ceil_i32(ratio * g.ready_count as f64), usage));
    }
    if !g.missing.is_empty() {
        if ratio < 1.0 {
            // As using exactly the target.
            values.extend(g.missing.iter().map(|_| target_usage_milli));
        } else if ratio > 1.0 {
            values.extend(g.missing.iter().map(|_| 0));
        }
    }
    if scale_up_with_unready {
        values.extend(g.unready.iter().map(|_| 0));
    }
    let (new_ratio, _) = metric_usage_ratio(&values, target_usage_milli);
    if tolerances.is_within(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0) {
        return Ok((current_replicas, usage));
    }
    let new_replicas = ceil_i32(new_ratio * values.len() as f64);
    if (new_ratio < 1.0 && new_replicas > current_replicas) || (new_ratio > 1.0 && new_replicas < current_replicas) {
        return Ok((current_replicas, usage));
    }
    Ok((new_replicas, usage))
}

/// `getUsageRatioReplicaCount`: `ceil(ratio × Running-and-Ready pods)`, or the current count
/// within the tolerance; from zero replicas (scale-to-zero only) `ceil(ratio)`.
/// `ready_pods` is `None` when no pod matches the selector.
pub fn usage_ratio_replica_count(
    current_replicas: i32,
    usage_ratio: f64,
    ready_pods: Option<i64>,
    tolerances: Tolerances,
) -> Result<i32, ReplicaCalcError> {
    if current_replicas == 0 {
        return Ok(ceil_i32(usage_ratio));
    }
    if tolerances.is_within(usage_ratio) {
        return Ok(current_replicas);
    }
    let ready = ready_pods.ok_or(ReplicaCalcError::NoPods)?;
    let replicas = usage_ratio * ready as f64;
    Ok(if replicas > f64::from(i32::MAX) { i32::MAX } else { ceil_i32(replicas) })
}

/// `GetObjectMetricReplicas` (Object metric, `Value` target): the replica count.
pub fn object_value_replicas(
    current_replicas: i32,
    usage_milli: i64,
    target_milli: i64,
    ready_pods: Option<i64>,
    tolerances: Tolerances,
) -> Result<i32, ReplicaCalcError> {
    usage_ratio_replica_count(current_replicas, usage_milli as f64 / target_milli as f64, ready_pods, tolerances)
}

/// `GetObjectPerPodMetricReplicas` (Object metric, `AverageValue` target), against
/// `scale.status.replicas`: the count `ceil(usage / target)` outside the tolerance, and the
/// per-pod average `ceil(usage / status replicas)`.
pub fn object_average_value_replicas(
    status_replicas: i32,
    usage_milli: i64,
    target_milli: i64,
    tolerances: Tolerances,
) -> (i32, i64) {
    let ratio = usage_milli as f64 / (target_milli as f64 * f64::from(status_replicas));
    let replicas =
        if tolerances.is_within(ratio) { status_replicas } else { ceil_i32(usage_milli as f64 / target_milli as f64) };
    (replicas, (usage_milli as f64 / f64::from(status_replicas)).ceil() as i64)
}

/// `GetExternalMetricReplicas` (External metric, `Value` target): the series summed (capped at
/// `MaxInt64`), then as an Object value. Returns the count and the sum.
pub fn external_value_replicas(
    current_replicas: i32,
    values_milli: &[i64],
    target_milli: i64,
    ready_pods: Option<i64>,
    tolerances: Tolerances,
) -> Result<(i32, i64), ReplicaCalcError> {
    let usage = values_milli.iter().fold(0i64, |acc, &v| acc.saturating_add(v));
    let replicas =
        usage_ratio_replica_count(current_replicas, usage as f64 / target_milli as f64, ready_pods, tolerances)?;
    Ok((replicas, usage))
}

/// `GetExternalPerPodMetricReplicas` (External metric, `AverageValue` target), against
/// `scale.status.replicas`. Returns the count (capped at `MaxInt32`) and the per-pod average.
pub fn external_average_value_replicas(
    status_replicas: i32,
    values_milli: &[i64],
    target_milli: i64,
    tolerances: Tolerances,
) -> (i32, i64) {
    let usage = values_milli.iter().fold(0i64, |acc, &v| acc.saturating_add(v));
    let ratio = usage as f64 / (target_milli as f64 * f64::from(status_replicas));
    let replicas = if tolerances.is_within(ratio) {
        status_replicas
    } else {
        let r = (usage as f64 / target_milli as f64).ceil();
        if r > f64::from(i32::MAX) { i32::MAX } else { r as i32 }
    };
    let average = if usage as f64 >= i64::MAX as f64 {
        i64::MAX
    } else {
        (usage as f64 / f64::from(status_replicas)).ceil() as i64
    };
    (replicas, average)
}

// ---------------------------------------------------------------------------------------------
// One metric spec → one proposal
// ---------------------------------------------------------------------------------------------

/// What the metrics pipeline returned for one `spec.metrics` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetricObservation {
    /// Resource, ContainerResource and Pods metrics: one entry per pod matching the target's
    /// selector (for ContainerResource, request and sample of the named container).
    PerPod(Vec<PodSample>),
    /// Object metrics: the described object's value in milli-units; `None` if the custom
    /// metrics API had none.
    Object(Option<i64>),
    /// External metrics: the value of every matching series in milli-units; `None` if the
    /// external metrics API had none.
    External(Option<Vec<i64>>),
}

/// A replica count proposed by one metric, with the name `reconcileAutoscaler` puts in its
/// rescale reason and the metric's status entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricProposal {
    pub replicas: i32,
    pub name: String,
    pub status: MetricStatus,
}

/// A metric that could not be computed: the `ScalingActive=False` reason (and the warning
/// event's), the message of the event and condition, and the error the metric returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricFailure {
    pub reason: &'static str,
    pub message: String,
    pub error: String,
}

impl MetricFailure {
    /// The `ScalingActive=False` condition upstream builds in `getUnableComputeReplicaCountCondition`.
    pub fn condition(&self) -> ConditionUpdate {
        ConditionUpdate {
            condition_type: HpaConditionType::ScalingActive,
            status: ConditionStatus::False,
            reason: self.reason,
            message: format!("the HPA was unable to compute the replica count: {}", self.message),
        }
    }
}

fn milli(value: i64) -> Quantity {
    Quantity::new_milli(value, Format::DecimalSI)
}

/// How Go's `%+v` prints a metric selector in the External and Object average-value names:
/// `<nil>` when absent; a present selector is printed in its string form here (upstream
/// prints the struct).
fn selector_text(metric: &MetricIdentifier) -> String {
    metric.selector.as_ref().map_or_else(|| "<nil>".to_string(), |s| s.to_string())
}

/// `computeReplicasForMetric`: one metric's proposal. `spec_replicas` and `status_replicas`
/// are the scale's; `ready_pods` counts the Running and Ready pods of the selector (`None`
/// when none match), used by `Value` targets of Object and External metrics.
#[allow(clippy::too_many_arguments)]
pub fn compute_metric(
    spec: &MetricSpec,
    observation: Option<&MetricObservation>,
    spec_replicas: i32,
    status_replicas: i32,
    ready_pods: Option<i64>,
    now: SimTime,
    config: &HpaControllerConfig,
    tolerances: Tolerances,
) -> Result<MetricProposal, MetricFailure> {
    let per_pod = match observation {
        Some(MetricObservation::PerPod(pods)) => Some(pods.as_slice()),
        _ => None,
    };
    match spec {
        MetricSpec::Resource(src) => {
            let (reason, wrap) =
                ("FailedGetResourceMetric", format!("failed to get {} resource metric value", src.name.as_str()));
            let (replicas, name, current) =
                resource_metric(&src.name, None, &src.target, per_pod, spec_replicas, now, config, tolerances)
                    .map_err(|message| MetricFailure { reason, error: format!("{wrap}: {message}"), message })?;
            let status = MetricStatus::Resource(ResourceMetricStatus { name: src.name.clone(), current });
            Ok(MetricProposal { replicas, name, status })
        }
        MetricSpec::ContainerResource(src) => {
            let (reason, wrap) =
                ("FailedGetContainerResourceMetric", format!("failed to get {} container metric value", src.container));
            let (replicas, name, current) = resource_metric(
                &src.name,
                Some(&src.container),
                &src.target,
                per_pod,
                spec_replicas,
                now,
                config,
                tolerances,
            )
            .map_err(|message| MetricFailure { reason, error: format!("{wrap}: {message}"), message })?;
            let status = MetricStatus::ContainerResource(ContainerResourceMetricStatus {
                name: src.name.clone(),
                container: src.container.clone(),
                current,
            });
            Ok(MetricProposal { replicas, name, status })
        }
        MetricSpec::Pods(src) => {
            let fail = |message: String| MetricFailure {
                reason: "FailedGetPodsMetric",
                error: format!("failed to get pods metric value: {message}"),
                message,
            };
            let target =
                src.target.average_value.as_ref().ok_or_else(|| {
                    fail("invalid pods metric source: an average value target is required".to_string())
                })?;
            let pods = per_pod.unwrap_or(&[]);
            let (replicas, usage) =
                plain_metric_replicas(spec_replicas, target.milli_value(), false, pods, now, config, tolerances)
                    .map_err(|e| match e {
                        ReplicaCalcError::NoMetrics => fail(format!(
                            "unable to get metric {}: no metrics returned from custom metrics API",
                            src.metric.name
                        )),
                        e => fail(e.to_string()),
                    })?;
            Ok(MetricProposal {
                replicas,
                name: format!("pods metric {}", src.metric.name),
                status: MetricStatus::Pods(PodsMetricStatus {
                    metric: src.metric.clone(),
                    current: MetricValueStatus { average_value: Some(milli(usage)), ..Default::default() },
                }),
            })
        }
        MetricSpec::Object(src) => {
            let fail = |message: String| MetricFailure {
                reason: "FailedGetObjectMetric",
                error: format!("failed to get object metric value: {message}"),
                message,
            };
            let value = match observation {
                Some(MetricObservation::Object(Some(v))) => Some(*v),
                _ => None,
            };
            let unavailable = || {
                fail(format!(
                    "unable to get metric {}: no value returned on {} {}",
                    src.metric.name, src.described_object.kind, src.described_object.name
                ))
            };
            let target = &src.target;
            if let (MetricTargetType::Value, Some(t)) = (target.target_type, &target.value) {
                let usage = value.ok_or_else(unavailable)?;
                let replicas = object_value_replicas(spec_replicas, usage, t.milli_value(), ready_pods, tolerances)
                    .map_err(|e| fail(format!("unable to calculate ready pods: {e}")))?;
                return Ok(MetricProposal {
                    replicas,
                    name: format!("{} metric {}", src.described_object.kind, src.metric.name),
                    status: MetricStatus::Object(ObjectMetricStatus {
                        described_object: src.described_object.clone(),
                        metric: src.metric.clone(),
                        current: MetricValueStatus { value: Some(milli(usage)), ..Default::default() },
                    }),
                });
            }
            if let (MetricTargetType::AverageValue, Some(t)) = (target.target_type, &target.average_value) {
                let usage = value.ok_or_else(unavailable)?;
                let (replicas, average) =
                    object_average_value_replicas(status_replicas, usage, t.milli_value(), tolerances);
                return Ok(MetricProposal {
                    replicas,
                    // Sic: upstream names this one "external metric".
                    name: format!("external metric {}({})", src.metric.name, selector_text(&src.metric)),
                    status: MetricStatus::Object(ObjectMetricStatus {
                        described_object: CrossVersionObjectReference::default(),
                        metric: src.metric.clone(),
                        current: MetricValueStatus { average_value: Some(milli(average)), ..Default::default() },
                    }),
                });
            }
            Err(fail("invalid object metric source: neither a value target nor an average value target was set".into()))
        }
        MetricSpec::External(src) => {
            let name = format!("external metric {}({})", src.metric.name, selector_text(&src.metric));
            let fail = |message: String| MetricFailure {
                reason: "FailedGetExternalMetric",
                error: format!("failed to get {} external metric value: {message}", src.metric.name),
                message,
            };
            let values = match observation {
                Some(MetricObservation::External(Some(v))) => Some(v.as_slice()),
                _ => None,
            };
            let unavailable =
                || fail(format!("unable to get external metric {}: no metrics returned", src.metric.name));
            let status = |current| MetricStatus::External(ExternalMetricStatus { metric: src.metric.clone(), current });
            if let Some(t) = &src.target.average_value {
                let values = values.ok_or_else(unavailable)?;
                let (replicas, average) =
                    external_average_value_replicas(status_replicas, values, t.milli_value(), tolerances);
                let current = MetricValueStatus { average_value: Some(milli(average)), ..Default::default() };
                return Ok(MetricProposal { replicas, name, status: status(current) });
            }
            if let Some(t) = &src.target.value {
                let values = values.ok_or_else(unavailable)?;
                let (replicas, usage) =
                    external_value_replicas(spec_replicas, values, t.milli_value(), ready_pods, tolerances)
                        .map_err(|e| fail(format!("unable to calculate ready pods: {e}")))?;
                let current = MetricValueStatus { value: Some(milli(usage)), ..Default::default() };
                return Ok(MetricProposal { replicas, name, status: status(current) });
            }
            Err(fail(
                "invalid external metric source: neither a value target nor an average value target was set".into(),
            ))
        }
    }
}

/// `computeStatusForResourceMetricGeneric`: an `averageValue` target wins over an
/// `averageUtilization` one. Errors are the message of the failure.
#[allow(clippy::too_many_arguments)]
fn resource_metric(
    resource: &ResourceName,
    container: Option<&str>,
    target: &MetricTarget,
    pods: Option<&[PodSample]>,
    current_replicas: i32,
    now: SimTime,
    config: &HpaControllerConfig,
    tolerances: Tolerances,
) -> Result<(i32, String, MetricValueStatus), String> {
    let r = resource.as_str();
    let cpu = *resource == ResourceName::Cpu;
    let pods = pods.unwrap_or(&[]);
    let explain = |e: ReplicaCalcError| match e {
        ReplicaCalcError::NoMetrics => {
            format!("unable to get metrics for resource {r}: no metrics returned from resource metrics API")
        }
        e => e.to_string(),
    };
    if let Some(average_value) = &target.average_value {
        let (replicas, usage) =
            plain_metric_replicas(current_replicas, average_value.milli_value(), cpu, pods, now, config, tolerances)
                .map_err(|e| format!("failed to get {r} usage: {}", explain(e)))?;
        let status = MetricValueStatus { average_value: Some(milli(usage)), ..Default::default() };
        return Ok((replicas, format!("{r} resource"), status));
    }
    let Some(target_utilization) = target.average_utilization else {
        return Err(
            "invalid resource metric source: neither an average utilization target nor an average value (usage) target was set"
                .to_string(),
        );
    };
    let rr = resource_replicas(current_replicas, target_utilization, cpu, pods, now, config, tolerances)
        .map_err(|e| format!("failed to get {r} utilization: {}", explain(e)))?;
    let name = if container.is_some() {
        format!("{r} container resource utilization (percentage of request)")
    } else {
        format!("{r} resource utilization (percentage of request)")
    };
    let status = MetricValueStatus {
        average_utilization: Some(rr.utilization),
        average_value: Some(milli(rr.raw_average_milli)),
        value: None,
    };
    Ok((rr.replicas, name, status))
}

/// The metrics of one sync, combined (`computeReplicasForMetrics`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CombinedMetrics {
    /// The largest proposal (the first of equal ones, unless the first is 0).
    pub replicas: i32,
    /// The name of the metric that proposed it.
    pub metric: String,
    /// One entry per metric; `None` for those that failed.
    pub statuses: Vec<Option<MetricStatus>>,
    /// `invalid metrics (n invalid out of m), first error is: …` when some failed.
    pub error: Option<String>,
    /// The first failure, whose condition is set when the combination fails.
    pub first_failure: Option<MetricFailure>,
    /// False (the controller's `-1`) when every metric failed, or when some failed and the
    /// largest valid proposal is below the scale's `spec.replicas`: a failed metric must not
    /// cause a scale-down. The sync then keeps the scale.
    pub usable: bool,
}

/// `computeReplicasForMetrics`' combination: the largest valid proposal, and whether it may
/// be used (see [`CombinedMetrics::usable`]).
pub fn combine_metric_proposals(
    spec_replicas: i32,
    results: Vec<Result<MetricProposal, MetricFailure>>,
) -> CombinedMetrics {
    let total = results.len();
    let mut combined = CombinedMetrics {
        replicas: 0,
        metric: String::new(),
        statuses: Vec::new(),
        error: None,
        first_failure: None,
        usable: true,
    };
    let mut invalid = 0;
    for result in results {
        match result {
            Ok(p) => {
                if combined.replicas == 0 || p.replicas > combined.replicas {
                    combined.replicas = p.replicas;
                    combined.metric = p.name;
                }
                combined.statuses.push(Some(p.status));
            }
            Err(f) => {
                invalid += 1;
                if combined.first_failure.is_none() {
                    combined.first_failure = Some(f);
                }
                combined.statuses.push(None);
            }
        }
    }
    if let Some(f) = &combined.first_failure {
        combined.error =
            Some(format!("invalid metrics ({invalid} invalid out of {total}), first error is: {}", f.error));
    }
    combined.usable = !(invalid >= total || (invalid > 0 && combined.replicas < spec_replicas));
    combined
}

// ---------------------------------------------------------------------------------------------
// Histories and normalisation
// ---------------------------------------------------------------------------------------------

/// `timestampedRecommendation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimestampedRecommendation {
    pub recommendation: i32,
    pub timestamp: SimTime,
}

/// `timestampedScaleEvent`: the size of one rescale (non-negative; direction is the list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaleEvent {
    pub replica_change: i32,
    pub timestamp: SimTime,
    /// Older than the direction's longest policy period when last checked; its slot is
    /// reused by the next event.
    pub outdated: bool,
}

/// The controller's in-memory state for one HPA. Slots are reused rather than removed, so
/// the order of the vectors is part of the state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HpaHistory {
    pub recommendations: Vec<TimestampedRecommendation>,
    pub scale_up_events: Vec<ScaleEvent>,
    pub scale_down_events: Vec<ScaleEvent>,
}

/// `t.Before(now - window)`, exact.
fn before_cutoff(t: SimTime, now: SimTime, window: SimDuration) -> bool {
    i128::from(t.as_micros()) < i128::from(now.as_micros()) - i128::from(window.as_micros())
}

/// `t.After(now - window)`, exact.
fn after_cutoff(t: SimTime, now: SimTime, window: SimDuration) -> bool {
    i128::from(t.as_micros()) > i128::from(now.as_micros()) - i128::from(window.as_micros())
}

fn seconds(s: i32) -> SimDuration {
    SimDuration::from_secs(u64::try_from(s).unwrap_or(0))
}

impl HpaHistory {
    /// `recordInitialRecommendation`: the current count, the first time the HPA syncs with a
    /// readable scale. It takes part in the stabilization windows like any recommendation.
    pub fn record_initial_recommendation(&mut self, current_replicas: i32, now: SimTime) {
        if self.recommendations.is_empty() {
            self.recommendations.push(TimestampedRecommendation { recommendation: current_replicas, timestamp: now });
        }
    }

    /// `storeScaleEvent`, after a rescale from `prev` to `new`: nothing without `behavior`.
    /// Events older than the direction's longest policy period are marked outdated, and the
    /// new event takes the slot of the last outdated one, or is appended.
    pub fn store_scale_event(
        &mut self,
        behavior: Option<&Behavior>,
        prev_replicas: i32,
        new_replicas: i32,
        now: SimTime,
    ) {
        let Some(behavior) = behavior else {
            return;
        };
        let (rules, events, change) = if new_replicas > prev_replicas {
            (&behavior.scale_up, &mut self.scale_up_events, new_replicas.wrapping_sub(prev_replicas))
        } else {
            (&behavior.scale_down, &mut self.scale_down_events, prev_replicas.wrapping_sub(new_replicas))
        };
        let longest = seconds(rules.longest_policy_period());
        for e in events.iter_mut() {
            if before_cutoff(e.timestamp, now, longest) {
                e.outdated = true;
            }
        }
        let event = ScaleEvent { replica_change: change, timestamp: now, outdated: false };
        match events.iter().rposition(|e| e.outdated) {
            Some(i) => events[i] = event,
            None => events.push(event),
        }
    }
}

/// One direction's scaling rules with every default applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScalingRules {
    pub stabilization_window_seconds: i32,
    pub select_policy: ScalingPolicySelect,
    pub policies: Vec<HpaScalingPolicy>,
}

impl ScalingRules {
    fn resolve(rules: Option<&HpaScalingRules>, defaults: HpaScalingRules, window_if_unset: i32) -> ScalingRules {
        let r = match rules {
            Some(r) => r.over(defaults),
            None => defaults,
        };
        ScalingRules {
            stabilization_window_seconds: r.stabilization_window_seconds.unwrap_or(window_if_unset),
            select_policy: r.select_policy.unwrap_or_default(),
            policies: r.policies.unwrap_or_default(),
        }
    }

    /// `getLongestPolicyPeriod`.
    pub fn longest_policy_period(&self) -> i32 {
        self.policies.iter().map(|p| p.period_seconds).fold(0, i32::max)
    }
}

/// `spec.behavior` as the controller uses it: API defaults (in case the spec was not
/// defaulted) and `maybeInitScaleDownStabilizationWindow`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Behavior {
    pub scale_up: ScalingRules,
    pub scale_down: ScalingRules,
}

impl Behavior {
    /// Resolves a spec behavior; an unset scale-down window becomes the controller's
    /// downscale stabilization window in whole seconds.
    pub fn resolve(behavior: &HorizontalPodAutoscalerBehavior, downscale_window: SimDuration) -> Behavior {
        let down_seconds = i32::try_from(downscale_window.as_micros() / 1_000_000).unwrap_or(i32::MAX);
        Behavior {
            scale_up: ScalingRules::resolve(behavior.scale_up.as_ref(), HpaScalingRules::default_scale_up(), 0),
            scale_down: ScalingRules::resolve(
                behavior.scale_down.as_ref(),
                HpaScalingRules::default_scale_down(),
                down_seconds,
            ),
        }
    }
}

/// A condition the controller sets on the HPA's status (`setCondition`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionUpdate {
    pub condition_type: HpaConditionType,
    pub status: ConditionStatus,
    pub reason: &'static str,
    pub message: String,
}

impl ConditionUpdate {
    fn new(condition_type: HpaConditionType, status: ConditionStatus, reason: &'static str, message: &str) -> Self {
        ConditionUpdate { condition_type, status, reason, message: message.to_string() }
    }
}

/// A normalised recommendation and the `AbleToScale` and `ScalingLimited` conditions it sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Normalized {
    pub replicas: i32,
    pub conditions: Vec<ConditionUpdate>,
}

impl Normalized {
    /// The reason of the condition of the given type.
    pub fn reason(&self, condition_type: HpaConditionType) -> Option<&'static str> {
        self.conditions.iter().rev().find(|c| c.condition_type == condition_type).map(|c| c.reason)
    }
}

const MSG_SCALE_DOWN_STABILIZED: &str =
    "recent recommendations were higher than current one, applying the highest recent recommendation";
const MSG_SCALE_UP_STABILIZED: &str =
    "recent recommendations were lower than current one, applying the lowest recent recommendation";
const MSG_READY_FOR_NEW_SCALE: &str = "recommended size matches current size";
const MSG_SCALE_UP_LIMIT: &str = "the desired replica count is increasing faster than the maximum scale rate";
const MSG_SCALE_DOWN_LIMIT: &str = "the desired replica count is decreasing faster than the maximum scale rate";
const MSG_TOO_MANY: &str = "the desired replica count is more than the maximum replica count";
const MSG_TOO_FEW: &str = "the desired replica count is less than the minimum replica count";
const MSG_WITHIN_RANGE: &str = "the desired count is within the acceptable range";

/// `stabilizeRecommendation` (no `behavior`): records `desired` (in the slot of the last
/// recommendation older than the window, else appended) and returns the largest of `desired`
/// and the recommendations not older than the window (one exactly `window` old counts).
pub fn stabilize_recommendation(history: &mut HpaHistory, desired: i32, now: SimTime, window: SimDuration) -> i32 {
    let mut max_recommendation = desired;
    let mut old_slot = None;
    for (i, rec) in history.recommendations.iter().enumerate() {
        if before_cutoff(rec.timestamp, now, window) {
            old_slot = Some(i);
        } else if rec.recommendation > max_recommendation {
            max_recommendation = rec.recommendation;
        }
    }
    let rec = TimestampedRecommendation { recommendation: desired, timestamp: now };
    match old_slot {
        Some(i) => history.recommendations[i] = rec,
        None => history.recommendations.push(rec),
    }
    max_recommendation
}

/// `calculateScaleUpLimit`: `max(2 × current, 4)` (float64, then truncated).
pub fn calculate_scale_up_limit(current_replicas: i32) -> i32 {
    (2.0 * f64::from(current_replicas)).max(4.0) as i32
}

/// `convertDesiredReplicasWithRules`: the clamp of the legacy path, with the `ScalingLimited`
/// reason and message.
pub fn convert_desired_replicas_with_rules(
    current_replicas: i32,
    desired_replicas: i32,
    min_replicas: i32,
    max_replicas: i32,
) -> (i32, &'static str, &'static str) {
    let scale_up_limit = calculate_scale_up_limit(current_replicas);
    let (maximum_allowed, reason, message) = if max_replicas > scale_up_limit {
        (scale_up_limit, "ScaleUpLimit", MSG_SCALE_UP_LIMIT)
    } else {
        (max_replicas, "TooManyReplicas", MSG_TOO_MANY)
    };
    if desired_replicas < min_replicas {
        return (min_replicas, "TooFewReplicas", MSG_TOO_FEW);
    }
    if desired_replicas > maximum_allowed {
        return (maximum_allowed, reason, message);
    }
    (desired_replicas, "DesiredWithinRange", MSG_WITHIN_RANGE)
}

fn limited(replicas: i32, stabilized: i32, reason: &'static str, message: &str) -> ConditionUpdate {
    let status = if replicas == stabilized { ConditionStatus::False } else { ConditionStatus::True };
    ConditionUpdate::new(HpaConditionType::ScalingLimited, status, reason, message)
}

/// `normalizeDesiredReplicas` (no `behavior`): scale-down stabilization over `window` (the
/// controller's 5 minutes), then the clamp to `[min, min(max, max(2 × current, 4))]`.
pub fn normalize_desired_replicas(
    history: &mut HpaHistory,
    current_replicas: i32,
    desired_replicas: i32,
    min_replicas: i32,
    max_replicas: i32,
    now: SimTime,
    window: SimDuration,
) -> Normalized {
    let stabilized = stabilize_recommendation(history, desired_replicas, now, window);
    let able = if stabilized != desired_replicas {
        ConditionUpdate::new(
            HpaConditionType::AbleToScale,
            ConditionStatus::True,
            "ScaleDownStabilized",
            MSG_SCALE_DOWN_STABILIZED,
        )
    } else {
        ConditionUpdate::new(
            HpaConditionType::AbleToScale,
            ConditionStatus::True,
            "ReadyForNewScale",
            MSG_READY_FOR_NEW_SCALE,
        )
    };
    let (replicas, reason, message) =
        convert_desired_replicas_with_rules(current_replicas, stabilized, min_replicas, max_replicas);
    Normalized { replicas, conditions: vec![able, limited(replicas, stabilized, reason, message)] }
}

/// `NormalizationArg`.
#[derive(Clone, Copy, Debug)]
pub struct NormalizationArgs<'a> {
    pub scale_up: &'a ScalingRules,
    pub scale_down: &'a ScalingRules,
    pub min_replicas: i32,
    pub max_replicas: i32,
    pub current_replicas: i32,
    pub desired_replicas: i32,
}

/// `stabilizeRecommendationWithBehaviors`: the lowest recommendation within the scale-up
/// window and the highest within the scale-down window (both strictly younger than the
/// window, `desired` included) bound the current count; records `desired` in the slot of the
/// last recommendation older than both windows, else appends it. Returns the stabilized
/// count with the `AbleToScale` reason and message used if it differs from `desired`.
pub fn stabilize_recommendation_with_behaviors(
    history: &mut HpaHistory,
    args: &NormalizationArgs<'_>,
    now: SimTime,
) -> (i32, &'static str, &'static str) {
    let up_window = seconds(args.scale_up.stabilization_window_seconds);
    let down_window = seconds(args.scale_down.stabilization_window_seconds);
    let (mut up, mut down) = (args.desired_replicas, args.desired_replicas);
    let mut old_slot = None;
    for (i, rec) in history.recommendations.iter().enumerate() {
        if after_cutoff(rec.timestamp, now, up_window) {
            up = up.min(rec.recommendation);
        }
        if after_cutoff(rec.timestamp, now, down_window) {
            down = down.max(rec.recommendation);
        }
        if before_cutoff(rec.timestamp, now, up_window) && before_cutoff(rec.timestamp, now, down_window) {
            old_slot = Some(i);
        }
    }
    let mut recommendation = args.current_replicas;
    if recommendation < up {
        recommendation = up;
    }
    if recommendation > down {
        recommendation = down;
    }
    let rec = TimestampedRecommendation { recommendation: args.desired_replicas, timestamp: now };
    match old_slot {
        Some(i) => history.recommendations[i] = rec,
        None => history.recommendations.push(rec),
    }
    if args.desired_replicas >= args.current_replicas {
        (recommendation, "ScaleUpStabilized", MSG_SCALE_UP_STABILIZED)
    } else {
        (recommendation, "ScaleDownStabilized", MSG_SCALE_DOWN_STABILIZED)
    }
}

/// `getReplicasChangePerPeriod`: the replicas changed by the events strictly younger than
/// `period_seconds` (int32, wrapping like Go).
pub fn replicas_change_per_period(period_seconds: i32, events: &[ScaleEvent], now: SimTime) -> i32 {
    let period = seconds(period_seconds);
    events
        .iter()
        .filter(|e| after_cutoff(e.timestamp, now, period))
        .fold(0i32, |acc, e| acc.wrapping_add(e.replica_change))
}

/// The replica count at the start of a policy's period: the current count minus the
/// replicas added and plus those removed within it.
fn period_start_replicas(current: i32, period_seconds: i32, history: &HpaHistory, now: SimTime) -> i32 {
    let added = replicas_change_per_period(period_seconds, &history.scale_up_events, now);
    let removed = replicas_change_per_period(period_seconds, &history.scale_down_events, now);
    current.wrapping_sub(added).wrapping_add(removed)
}

/// `calculateScaleUpLimitWithScalingRules`: the highest count the scale-up policies allow.
/// Pods: period start + value; Percent: `ceil(start × (1 + value / 100))` in float64. `Max`
/// takes the largest proposal, `Min` the smallest, `Disabled` the current count.
pub fn scale_up_limit_with_scaling_rules(
    current_replicas: i32,
    history: &HpaHistory,
    rules: &ScalingRules,
    now: SimTime,
) -> i32 {
    let (mut result, select): (i32, fn(i32, i32) -> i32) = match rules.select_policy {
        ScalingPolicySelect::Disabled => return current_replicas,
        ScalingPolicySelect::Min => (i32::MAX, i32::min),
        ScalingPolicySelect::Max => (i32::MIN, i32::max),
    };
    for policy in &rules.policies {
        let start = period_start_replicas(current_replicas, policy.period_seconds, history, now);
        let proposed = match policy.policy_type {
            HpaScalingPolicyType::Pods => start.wrapping_add(policy.value),
            HpaScalingPolicyType::Percent => (f64::from(start) * (1.0 + f64::from(policy.value) / 100.0)).ceil() as i32,
        };
        result = select(result, proposed);
    }
    result
}

/// `calculateScaleDownLimitWithBehaviors`: the lowest count the scale-down policies allow.
/// Pods: period start − value; Percent: `int32(start × (1 − value / 100))` in float64, which
/// truncates (so 10 × (1 − 0.8) = 1.9999999999999996 allows going down to 1). `Max` takes the
/// smallest proposal (the largest change), `Min` the largest, `Disabled` the current count.
pub fn scale_down_limit_with_scaling_rules(
    current_replicas: i32,
    history: &HpaHistory,
    rules: &ScalingRules,
    now: SimTime,
) -> i32 {
    let (mut result, select): (i32, fn(i32, i32) -> i32) = match rules.select_policy {
        ScalingPolicySelect::Disabled => return current_replicas,
        ScalingPolicySelect::Min => (i32::MIN, i32::max),
        ScalingPolicySelect::Max => (i32::MAX, i32::min),
    };
    for policy in &rules.policies {
        let start = period_start_replicas(current_replicas, policy.period_seconds, history, now);
        let proposed = match policy.policy_type {
            HpaScalingPolicyType::Pods => start.wrapping_sub(policy.value),
            HpaScalingPolicyType::Percent => (f64::from(start) * (1.0 - f64::from(policy.value) / 100.0)) as i32,
        };
        result = select(result, proposed);
    }
    result
}

/// `convertDesiredReplicasWithBehaviorRate`: the rate limits of the policies and the
/// min/max clamp, with the `ScalingLimited` reason and message.
pub fn convert_desired_replicas_with_behavior_rate(
    history: &HpaHistory,
    args: &NormalizationArgs<'_>,
    now: SimTime,
) -> (i32, &'static str, &'static str) {
    if args.desired_replicas > args.current_replicas {
        // No further scale-up until the events of the period age out.
        let limit = scale_up_limit_with_scaling_rules(args.current_replicas, history, args.scale_up, now)
            .max(args.current_replicas);
        let (maximum_allowed, reason, message) = if args.max_replicas > limit {
            (limit, "ScaleUpLimit", MSG_SCALE_UP_LIMIT)
        } else {
            (args.max_replicas, "TooManyReplicas", MSG_TOO_MANY)
        };
        if args.desired_replicas > maximum_allowed {
            return (maximum_allowed, reason, message);
        }
    } else if args.desired_replicas < args.current_replicas {
        let limit = scale_down_limit_with_scaling_rules(args.current_replicas, history, args.scale_down, now)
            .min(args.current_replicas);
        let (minimum_allowed, reason, message) = if args.min_replicas < limit {
            (limit, "ScaleDownLimit", MSG_SCALE_DOWN_LIMIT)
        } else {
            (args.min_replicas, "TooFewReplicas", MSG_TOO_FEW)
        };
        if args.desired_replicas < minimum_allowed {
            return (minimum_allowed, reason, message);
        }
    }
    (args.desired_replicas, "DesiredWithinRange", MSG_WITHIN_RANGE)
}

/// `normalizeDesiredReplicasWithBehaviors`: stabilization (both windows), then the policies'
/// rate limits and the min/max clamp.
pub fn normalize_desired_replicas_with_behaviors(
    history: &mut HpaHistory,
    args: &NormalizationArgs<'_>,
    now: SimTime,
) -> Normalized {
    let (stabilized, reason, message) = stabilize_recommendation_with_behaviors(history, args, now);
    let able = if stabilized != args.desired_replicas {
        ConditionUpdate::new(HpaConditionType::AbleToScale, ConditionStatus::True, reason, message)
    } else {
        ConditionUpdate::new(
            HpaConditionType::AbleToScale,
            ConditionStatus::True,
            "ReadyForNewScale",
            MSG_READY_FOR_NEW_SCALE,
        )
    };
    let stabilized_args = NormalizationArgs { desired_replicas: stabilized, ..*args };
    let (replicas, reason, message) = convert_desired_replicas_with_behavior_rate(history, &stabilized_args, now);
    Normalized { replicas, conditions: vec![able, limited(replicas, stabilized, reason, message)] }
}

// ---------------------------------------------------------------------------------------------
// One sync
// ---------------------------------------------------------------------------------------------

/// The scale subresource of the target (`autoscaling/v1.Scale`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaleView {
    /// `spec.replicas`: the controller's "current replicas".
    pub spec_replicas: i32,
    /// `status.replicas`: what average-value Object and External targets divide by.
    pub status_replicas: i32,
}

/// Everything one sync of one HPA reads.
#[derive(Clone, Copy, Debug)]
pub struct SyncInput<'a> {
    pub now: SimTime,
    pub config: &'a HpaControllerConfig,
    /// `metadata.namespace`, for messages.
    pub namespace: &'a str,
    /// The spec as stored: API-defaulted, so with at least one metric (with none, the sync
    /// reports an error and keeps the scale).
    pub spec: &'a HorizontalPodAutoscalerSpec,
    /// The target's scale, or the error reading it (e.g. `deployments.apps "web" not found`).
    pub scale: Result<ScaleView, &'a str>,
    /// Running and Ready pods among those matching the target's selector; `None` when no pod
    /// matches.
    pub ready_pods: Option<i64>,
    /// One per `spec.metrics` entry, in order.
    pub observations: &'a [MetricObservation],
}

/// `Normal` or `Warning`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

/// An event the controller records on the HPA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HpaEvent {
    pub event_type: EventType,
    pub reason: &'static str,
    pub message: String,
}

/// How the sync rewrites the status' replica counts and metrics (conditions aside).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusUpdate {
    /// Only conditions change (the scale could not be read).
    Conditions,
    /// `setCurrentReplicasAndMetricsInStatus`: current replicas and metrics; the desired
    /// count keeps its old value (metrics could not be computed).
    CurrentOnly { current_replicas: i32, current_metrics: Vec<Option<MetricStatus>> },
    /// `setStatus`: `lastScaleTime` becomes now when `rescaled`.
    Full { current_replicas: i32, desired_replicas: i32, current_metrics: Vec<Option<MetricStatus>>, rescaled: bool },
}

/// What one sync decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncOutcome {
    /// The new `scale.spec.replicas`, when the HPA rescales.
    pub rescale: Option<i32>,
    /// The rescale reason (in the `SuccessfulRescale` event), empty when none applies.
    pub reason: String,
    /// In the order the controller sets them.
    pub conditions: Vec<ConditionUpdate>,
    pub events: Vec<HpaEvent>,
    pub status: StatusUpdate,
    /// The error the sync returns (logged upstream), if any; the sync may still have scaled.
    pub error: Option<String>,
}

impl SyncOutcome {
    /// Applies the conditions (in order, `setConditionInList`) and the status update.
    pub fn apply_to_status(&self, status: &mut HorizontalPodAutoscalerStatus, now: SimTime) {
        for c in &self.conditions {
            status.set_condition(c.condition_type, c.status, c.reason, c.message.clone(), now);
        }
        match &self.status {
            StatusUpdate::Conditions => {}
            StatusUpdate::CurrentOnly { current_replicas, current_metrics } => {
                status.observed_generation = None;
                status.current_replicas = *current_replicas;
                status.current_metrics = current_metrics.clone();
            }
            StatusUpdate::Full { current_replicas, desired_replicas, current_metrics, rescaled } => {
                status.observed_generation = None;
                status.current_replicas = *current_replicas;
                status.desired_replicas = *desired_replicas;
                status.current_metrics = current_metrics.clone();
                if *rescaled {
                    status.last_scale_time = Some(now);
                }
            }
        }
    }

    /// The condition of the given type as this sync leaves it, if it sets one.
    pub fn condition(&self, condition_type: HpaConditionType) -> Option<&ConditionUpdate> {
        self.conditions.iter().rev().find(|c| c.condition_type == condition_type)
    }
}

/// `reconcileAutoscaler` for one HPA at `input.now`: reads the scale, records the initial
/// recommendation, handles a zero scale (scaling disabled) and a scale outside
/// `[minReplicas, maxReplicas]` (straight to the bound), otherwise computes every metric,
/// takes the largest proposal and normalises it (legacy path without `behavior`, policies
/// with it), and on a rescale stores the scale event. See the module docs for the contract.
pub fn sync(input: &SyncInput<'_>, history: &mut HpaHistory) -> SyncOutcome {
    let spec = input.spec;
    let now = input.now;
    let target = &spec.scale_target_ref;
    let reference = format!("{}/{}/{}", target.kind, input.namespace, target.name);
    let mut out = SyncOutcome {
        rescale: None,
        reason: String::new(),
        conditions: Vec::new(),
        events: Vec::new(),
        status: StatusUpdate::Conditions,
        error: None,
    };

    let scale = match input.scale {
        Ok(scale) => scale,
        Err(message) => {
            out.events.push(HpaEvent {
                event_type: EventType::Warning,
                reason: "FailedGetScale",
                message: message.to_string(),
            });
            out.conditions.push(ConditionUpdate {
                condition_type: HpaConditionType::AbleToScale,
                status: ConditionStatus::False,
                reason: "FailedGetScale",
                message: format!("the HPA controller was unable to get the target's current scale: {message}"),
            });
            out.error = Some(format!("failed to query scale subresource for {reference}: {message}"));
            return out;
        }
    };
    out.conditions.push(ConditionUpdate::new(
        HpaConditionType::AbleToScale,
        ConditionStatus::True,
        "SucceededGetScale",
        "the HPA controller was able to get the target's current scale",
    ));
    let current = scale.spec_replicas;
    history.record_initial_recommendation(current, now);

    let min_replicas = spec.min_replicas_or_default();
    let behavior = spec.behavior.as_ref().map(|b| Behavior::resolve(b, input.config.downscale_stabilization_window));
    let mut metric_statuses = Vec::new();
    let desired;
    let mut rescale = true;
    if current == 0 && min_replicas != 0 {
        desired = 0;
        rescale = false;
        out.conditions.push(ConditionUpdate::new(
            HpaConditionType::ScalingActive,
            ConditionStatus::False,
            "ScalingDisabled",
            "scaling is disabled since the replica count of the target is zero",
        ));
    } else if current > spec.max_replicas {
        out.reason = "Current number of replicas above Spec.MaxReplicas".to_string();
        desired = spec.max_replicas;
    } else if current < min_replicas {
        out.reason = "Current number of replicas below Spec.MinReplicas".to_string();
        desired = min_replicas;
    } else {
        let tolerances = Tolerances::for_hpa(input.config);
        let results = spec
            .metrics
            .iter()
            .enumerate()
            .map(|(i, m)| {
                compute_metric(
                    m,
                    input.observations.get(i),
                    scale.spec_replicas,
                    scale.status_replicas,
                    input.ready_pods,
                    now,
                    input.config,
                    tolerances,
                )
            })
            .collect::<Vec<_>>();
        for f in results.iter().filter_map(|r| r.as_ref().err()) {
            out.events.push(HpaEvent { event_type: EventType::Warning, reason: f.reason, message: f.message.clone() });
        }
        let combined = combine_metric_proposals(scale.spec_replicas, results);
        if !combined.usable {
            if let Some(f) = &combined.first_failure {
                out.conditions.push(f.condition());
            }
            let error = combined.error.unwrap_or_else(|| "no metrics to compute".to_string());
            out.events.push(HpaEvent {
                event_type: EventType::Warning,
                reason: "FailedComputeMetricsReplicas",
                message: error.clone(),
            });
            out.error = Some(format!(
                "failed to compute desired number of replicas based on listed metrics for {reference}: {error}"
            ));
            out.status = StatusUpdate::CurrentOnly { current_replicas: current, current_metrics: combined.statuses };
            return out;
        }
        out.error = combined.error.clone();
        out.conditions.push(ConditionUpdate {
            condition_type: HpaConditionType::ScalingActive,
            status: ConditionStatus::True,
            reason: "ValidMetricFound",
            message: format!("the HPA was able to successfully calculate a replica count from {}", combined.metric),
        });
        let mut proposed = 0;
        let mut rescale_metric = "";
        if combined.replicas > proposed {
            proposed = combined.replicas;
            rescale_metric = &combined.metric;
        }
        if proposed > current {
            out.reason = format!("{rescale_metric} above target");
        }
        if proposed < current {
            out.reason = "All metrics below target".to_string();
        }
        let normalized = match &behavior {
            None => normalize_desired_replicas(
                history,
                current,
                proposed,
                min_replicas,
                spec.max_replicas,
                now,
                input.config.downscale_stabilization_window,
            ),
            Some(b) => normalize_desired_replicas_with_behaviors(
                history,
                &NormalizationArgs {
                    scale_up: &b.scale_up,
                    scale_down: &b.scale_down,
                    min_replicas,
                    max_replicas: spec.max_replicas,
                    current_replicas: current,
                    desired_replicas: proposed,
                },
                now,
            ),
        };
        out.conditions.extend(normalized.conditions);
        desired = normalized.replicas;
        rescale = desired != current;
        metric_statuses = combined.statuses;
    }

    let desired = if rescale {
        out.conditions.push(ConditionUpdate {
            condition_type: HpaConditionType::AbleToScale,
            status: ConditionStatus::True,
            reason: "SucceededRescale",
            message: format!("the HPA controller was able to update the target scale to {desired}"),
        });
        out.events.push(HpaEvent {
            event_type: EventType::Normal,
            reason: "SuccessfulRescale",
            message: format!("New size: {desired}; reason: {}", out.reason),
        });
        history.store_scale_event(behavior.as_ref(), current, desired, now);
        out.rescale = Some(desired);
        desired
    } else {
        current
    };
    out.status = StatusUpdate::Full {
        current_replicas: current,
        desired_replicas: desired,
        current_metrics: metric_statuses,
        rescaled: rescale,
    };
    out
}

// ---------------------------------------------------------------------------------------------
// The controller in the engine: reading the store, one sync, the actions
// ---------------------------------------------------------------------------------------------

/// metrics-server's default `--metric-resolution`: the window of every usage sample.
pub const METRIC_WINDOW: SimDuration = SimDuration::from_secs(15);

/// The resource metrics API as the controller reads it: a pod's current usage of a resource in
/// milli-units, or `None` when it has no metrics. The engine passes the load model.
pub trait ResourceMetrics {
    fn usage_milli(&self, store: &Store, pod: PodId, resource: &ResourceName) -> Option<i64>;
}

impl ResourceMetrics for crate::load::Traffic {
    fn usage_milli(&self, store: &Store, pod: PodId, resource: &ResourceName) -> Option<i64> {
        crate::load::Traffic::usage_milli(self, store, pod, resource)
    }
}

/// A workload whose scale subresource an HPA reads and writes (see
/// `manifest::SCALE_TARGET_KINDS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScaleTarget {
    Deployment(DeploymentId),
    ReplicaSet(RsId),
}

/// What one sync asks the engine to do, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum HpaAction {
    /// Write the target's `spec.replicas`, as `kubectl scale` does.
    Scale { target: ScaleTarget, replicas: i32 },
    /// Record an event on the HPA.
    Event(HpaEvent),
    /// Write the HPA's status.
    SetStatus(Box<HorizontalPodAutoscalerStatus>),
}

/// An API timestamp as clients read it: `metav1.Time` keeps whole seconds.
fn api_time(t: SimTime) -> SimTime {
    SimTime::from_secs(t.as_secs())
}

/// The scale subresource of the HPA's target and the selector of its pods, or the error the
/// API server answers (`deployments.apps "web" not found`).
fn read_scale<'a>(
    store: &'a Store,
    namespace: &str,
    target: &CrossVersionObjectReference,
) -> Result<(ScaleTarget, ScaleView, &'a LabelSelector), String> {
    match target.kind.as_str() {
        "Deployment" => {
            let id = store.deployment_id(namespace, &target.name);
            let d = id.and_then(|id| store.deployment(id).map(|d| (id, d)));
            let (id, d) = d.ok_or_else(|| format!("deployments.apps {:?} not found", target.name))?;
            let view = ScaleView { spec_replicas: d.replicas, status_replicas: d.status.replicas };
            Ok((ScaleTarget::Deployment(id), view, &d.selector))
        }
        "ReplicaSet" => {
            let id = store.rs_id(namespace, &target.name);
            let rs = id.and_then(|id| store.replica_set(id).map(|rs| (id, rs)));
            let (id, rs) = rs.ok_or_else(|| format!("replicasets.apps {:?} not found", target.name))?;
            let view = ScaleView { spec_replicas: rs.replicas, status_replicas: rs.status.replicas };
            Ok((ScaleTarget::ReplicaSet(id), view, &rs.selector))
        }
        other => Err(format!("no matches for kind {other:?} in group \"apps\"")),
    }
}

/// One sync of the HPA `id` at `now` (see the module docs): reads the target's scale and the
/// pods of its selector from the store, their usage from `metrics` (a sample taken now over
/// [`METRIC_WINDOW`]), runs [`sync`] with `history`, and returns what to write.
pub fn reconcile(
    store: &Store,
    metrics: &dyn ResourceMetrics,
    config: &HpaControllerConfig,
    now: SimTime,
    id: HpaId,
    history: &mut HpaHistory,
) -> Vec<HpaAction> {
    let Some(hpa) = store.hpa(id) else { return Vec::new() };
    let namespace = hpa.meta.namespace.as_str();
    let spec = &hpa.spec;
    let scale = read_scale(store, namespace, &spec.scale_target_ref);
    let mut observations = Vec::new();
    let mut ready_pods = None;
    if let Ok((_, _, selector)) = &scale {
        let pods: Vec<PodId> = store
            .live_pods()
            .filter(|&p| {
                let pod = store.pod(p);
                pod.meta.namespace == namespace && selector.matches(&pod.meta.labels)
            })
            .collect();
        if !pods.is_empty() {
            let running_ready =
                pods.iter().filter(|&&p| store.pod(p).status.phase == PodPhase::Running && store.pod(p).is_ready());
            ready_pods = Some(running_ready.count() as i64);
        }
        for metric in &spec.metrics {
            let resource = match metric {
                MetricSpec::Resource(src) => &src.name,
                // Refused when the manifest is decoded: the load model has no such metrics.
                _ => {
                    observations.push(MetricObservation::PerPod(Vec::new()));
                    continue;
                }
            };
            let samples = pods
                .iter()
                .map(|&p| {
                    let pod = store.pod(p);
                    PodSample {
                        phase: pod.status.phase,
                        deleting: pod.meta.deletion_timestamp.is_some(),
                        start_time: pod.status.start_time.map(api_time),
                        ready: pod.status.ready_transition.map(|t| ReadyCondition {
                            status: if pod.is_ready() { ConditionStatus::True } else { ConditionStatus::False },
                            last_transition_time: api_time(t),
                        }),
                        request_milli: pod_request_milli(&pod.spec, resource, None),
                        usage: metrics.usage_milli(store, p, resource).map(|value_milli| UsageSample {
                            value_milli,
                            timestamp: api_time(now),
                            window: METRIC_WINDOW,
                        }),
                    }
                })
                .collect();
            observations.push(MetricObservation::PerPod(samples));
        }
    }
    let input = SyncInput {
        now,
        config,
        namespace,
        spec,
        scale: scale.as_ref().map(|(_, view, _)| *view).map_err(String::as_str),
        ready_pods,
        observations: &observations,
    };
    let outcome = sync(&input, history);
    let mut actions = Vec::new();
    if let (Some(replicas), Ok((target, _, _))) = (outcome.rescale, &scale) {
        actions.push(HpaAction::Scale { target: *target, replicas });
    }
    actions.extend(outcome.events.iter().cloned().map(HpaAction::Event));
    let mut status = hpa.status.clone();
    outcome.apply_to_status(&mut status, now);
    actions.push(HpaAction::SetStatus(Box::new(status)));
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::autoscaling::{ExternalMetricSource, HpaCondition, ObjectMetricSource, PodsMetricSource};

    /// The instant of most single-sync tests: an hour in, so that the default pods (started
    /// at 0) are past the 5-minute cpu initialization period.
    const NOW: SimTime = SimTime::from_secs(3600);

    fn t(secs: u64) -> SimTime {
        SimTime::from_secs(secs)
    }

    fn cfg() -> HpaControllerConfig {
        HpaControllerConfig::default()
    }

    fn tol() -> Tolerances {
        Tolerances::for_hpa(&cfg())
    }

    /// A Running pod started at 0, Ready since 10 s, with a request and (maybe) a sample taken
    /// at `NOW` over a 30 s window.
    fn pod(request: i64, usage: Option<i64>) -> PodSample {
        PodSample {
            phase: PodPhase::Running,
            deleting: false,
            start_time: Some(t(0)),
            ready: Some(ReadyCondition { status: ConditionStatus::True, last_transition_time: t(10) }),
            request_milli: Some(request),
            usage: usage.map(|v| UsageSample { value_milli: v, timestamp: NOW, window: SimDuration::from_secs(30) }),
        }
    }

    fn pods(n: usize, request: i64, usage: i64) -> Vec<PodSample> {
        vec![pod(request, Some(usage)); n]
    }

    fn pending(request: i64) -> PodSample {
        PodSample { phase: PodPhase::Pending, start_time: None, ready: None, ..pod(request, None) }
    }

    fn cpu(current: i32, target: i32, pods: &[PodSample]) -> Result<ResourceReplicas, ReplicaCalcError> {
        resource_replicas(current, target, true, pods, NOW, &cfg(), tol())
    }

    fn replicas(current: i32, target: i32, pods: &[PodSample]) -> i32 {
        cpu(current, target, pods).unwrap().replicas
    }

    // --- Replica calculator ------------------------------------------------------------------

    /// Tolerance 0.1, checked as `0.9 <= ratio <= 1.1` in float64 (`Tolerances.isWithin`).
    #[test]
    fn tolerance_band_edges() {
        // 10 pods of 1000m at 1090m: utilization 10900·100/10000 = 109 %, ratio 1.09: stays.
        assert_eq!(replicas(10, 100, &pods(10, 1000, 1090)), 10);
        // At 1110m: 111 %, ratio 1.11, ceil(1.11 × 10) = ceil(11.100000000000001) = 12.
        assert_eq!(replicas(10, 100, &pods(10, 1000, 1110)), 12);
        // Exactly 110 %: 110/100 = 1.1 and 1.0 + 0.1 = 1.1 in float64, so the band includes it
        // and the count stays. (The pre-1.33 check |1 − 1.1| = 0.10000000000000009 <= 0.1 was
        // false, and scaled to 11.)
        assert_eq!(replicas(10, 100, &pods(10, 1000, 1100)), 10);
        // Below: 900m is 0.9, inside; 890m is 0.89, outside: ceil(0.89 × 10) = ceil(8.9) = 9.
        assert_eq!(replicas(10, 100, &pods(10, 1000, 900)), 10);
        assert_eq!(replicas(10, 100, &pods(10, 1000, 890)), 9);
    }

    /// The utilization is an int32 percentage of an integer division, and the ratio is
    /// computed from it: 3 pods of 1000m using 559m each are 167700/3000 = 55.9 %, truncated
    /// to 55; 55/50 = 1.1 is inside the band, although 55.9/50 = 1.118 would not be.
    #[test]
    fn utilization_is_truncated_before_the_ratio() {
        let r = cpu(3, 50, &pods(3, 1000, 559)).unwrap();
        assert_eq!(r, ResourceReplicas { replicas: 3, utilization: 55, raw_average_milli: 559 });
        let u = resource_utilization_ratio(&[(1677, 3000)], 50).unwrap();
        assert_eq!((u.utilization, u.ratio), (55, 1.1));
    }

    /// The reference's example: 10 pods at 100 % of their request, target 50 %: ratio 2.0,
    /// ceil(2.0 × 10) = 20.
    #[test]
    fn doubling_load_doubles_replicas() {
        assert_eq!(cpu(10, 50, &pods(10, 1000, 1000)).unwrap().replicas, 20);
    }

    /// Unready pods count as 0 usage on a scale-up. Two Ready pods of 500m use 750m each:
    /// 1500·100/1000 = 150 %, ratio 3.0. Two Pending pods of 1000m join at 0:
    /// 1500·100/3000 = 50 %, ratio 1.0, inside the band: the count stays at 4, where the Ready
    /// pods alone would give ceil(3.0 × 2) = 6.
    #[test]
    fn unready_pods_dampen_a_scale_up() {
        let mut ps = pods(2, 500, 750);
        assert_eq!(replicas(2, 50, &ps), 6);
        ps.extend([pending(1000), pending(1000)]);
        let r = cpu(4, 50, &ps).unwrap();
        assert_eq!((r.replicas, r.utilization), (4, 150), "status shows the Ready pods' utilization");
        // The same with pods that are Running but not Ready while initialising (cpu rules).
        let mut initializing = pod(1000, Some(900));
        initializing.start_time = Some(t(3540));
        initializing.ready = Some(ReadyCondition { status: ConditionStatus::False, last_transition_time: t(3550) });
        let mut ps = pods(2, 500, 750);
        ps.extend([initializing, initializing]);
        assert_eq!(replicas(4, 50, &ps), 4);
    }

    /// On a scale-down unready pods are left out, not filled in: two Ready pods at 100m of
    /// 1000m are 10 %, ratio 0.2, and ceil(0.2 × 2) = 1, whatever the two Pending pods.
    #[test]
    fn unready_pods_are_ignored_on_a_scale_down() {
        let mut ps = pods(2, 1000, 100);
        ps.extend([pending(1000), pending(1000)]);
        assert_eq!(replicas(4, 50, &ps), 1);
    }

    /// Missing samples count as the whole request on a scale-down. Four pods of 1000m, two
    /// with 400m and 95m: 495·100/2000 = 24 %, ratio 0.24. With the two missing at 1000m:
    /// 2495·100/4000 = 62 %, ratio 0.62, ceil(0.62 × 4) = ceil(2.48) = 3 (not the 1 that the
    /// two sampled pods alone would give). The status keeps 24 % and 495/2 = 247m.
    #[test]
    fn missing_metrics_on_a_scale_down_count_as_the_request() {
        let ps = [pod(1000, Some(400)), pod(1000, Some(95)), pod(1000, None), pod(1000, None)];
        assert_eq!(
            cpu(4, 100, &ps).unwrap(),
            ResourceReplicas { replicas: 3, utilization: 24, raw_average_milli: 247 }
        );
    }

    /// With a target above 100 % the fallback is the target: four pods of 1000m, two at 500m,
    /// target 200 %: 1000·100/2000 = 50 %, ratio 0.25; the missing pods at 2000m give
    /// 5000·100/4000 = 125 %, ratio 0.625, ceil(0.625 × 4) = ceil(2.5) = 3. (The pre-1.26
    /// fallback of 100 % gave 3000·100/4000 = 75 %, ratio 0.375, ceil(1.5) = 2.)
    #[test]
    fn missing_metrics_fallback_is_the_target_above_100_percent() {
        let ps = [pod(1000, Some(500)), pod(1000, Some(500)), pod(1000, None), pod(1000, None)];
        assert_eq!(replicas(4, 200, &ps), 3);
    }

    /// Missing samples count as 0 on a scale-up. Three pods of 1000m, one sampled at 1800m:
    /// 180 %, ratio 3.6; with two zeros 1800·100/3000 = 60 %, ratio 1.2,
    /// ceil(1.2 × 3) = ceil(3.5999999999999996) = 4. At 600m the ratio is 1.2 but the zeros
    /// bring it to 600·100/3000 = 20 %, ratio 0.4: the direction flips, the count stays 3.
    #[test]
    fn missing_metrics_on_a_scale_up_count_as_zero() {
        let ps = [pod(1000, Some(1800)), pod(1000, None), pod(1000, None)];
        assert_eq!(replicas(3, 50, &ps), 4);
        let ps = [pod(1000, Some(600)), pod(1000, None), pod(1000, None)];
        assert_eq!(replicas(3, 50, &ps), 3);
    }

    /// Deleting and Failed pods are left out entirely. Five Running pods of 1000m at 100, 300,
    /// 500, 250 and 250m: 1400·100/5000 = 28 %, ratio 0.56, ceil(0.56 × 5) =
    /// ceil(2.8000000000000003) = 3; two Failed pods and a deleting one at 900m change nothing.
    #[test]
    fn deleting_and_failed_pods_are_ignored() {
        let mut ps: Vec<_> = [100, 300, 500, 250, 250].into_iter().map(|u| pod(1000, Some(u))).collect();
        assert_eq!(replicas(5, 50, &ps), 3);
        let failed = PodSample { phase: PodPhase::Failed, ..pod(1000, None) };
        ps.extend([failed, failed, PodSample { deleting: true, ..pod(1000, Some(900)) }]);
        assert_eq!(replicas(5, 50, &ps), 3);
    }

    /// The cpu rules of `groupPods`, with the 5-minute initialization period and the 30 s
    /// initial readiness delay, at their boundaries.
    #[test]
    fn cpu_initialization_rules() {
        let c = cfg();
        let window = SimDuration::from_secs(30);
        let sample = |ts: u64| Some(UsageSample { value_milli: 100, timestamp: t(ts), window });
        let ready = |status, ltt: u64| Some(ReadyCondition { status, last_transition_time: t(ltt) });
        let base = PodSample {
            phase: PodPhase::Running,
            deleting: false,
            start_time: Some(t(3540)),
            ready: ready(ConditionStatus::True, 3560),
            request_milli: Some(1000),
            usage: sample(3590),
        };
        let group = |p: &PodSample| group_pod(p, true, NOW, &c);
        // Started 60 s ago (initialising), Ready at 3560: the sample counts once it ends a
        // whole window after the transition, 3560 + 30 = 3590; one ending at 3589 does not.
        assert_eq!(group(&base), PodGroup::Ready);
        assert_eq!(group(&PodSample { usage: sample(3589), ..base }), PodGroup::Unready);
        // Initialising and not Ready: unready whatever the sample; Unknown is not False.
        assert_eq!(group(&PodSample { ready: ready(ConditionStatus::False, 3560), ..base }), PodGroup::Unready);
        assert_eq!(group(&PodSample { ready: ready(ConditionStatus::Unknown, 3560), ..base }), PodGroup::Ready);
        // Started exactly 5 min ago: start + 300 s > now is false, so past the period. Not
        // Ready with the last transition 29 s after start (< 30 s): it never became ready.
        let old = PodSample { start_time: Some(t(3300)), ..base };
        assert_eq!(group(&PodSample { ready: ready(ConditionStatus::False, 3329), ..old }), PodGroup::Unready);
        // Transition 30 s after start: start + 30 > transition is false: it was ready once, and
        // its sample counts although it is not Ready now.
        assert_eq!(group(&PodSample { ready: ready(ConditionStatus::False, 3330), ..old }), PodGroup::Ready);
        // Past the period a Ready pod counts even with a sample from before its transition.
        assert_eq!(group(&PodSample { ready: ready(ConditionStatus::True, 3599), ..old }), PodGroup::Ready);
        // Without a Ready condition or a start time a cpu sample never counts.
        assert_eq!(group(&PodSample { ready: None, ..old }), PodGroup::Unready);
        assert_eq!(group(&PodSample { start_time: None, ..old }), PodGroup::Unready);
        // Memory and custom metrics skip these rules.
        assert_eq!(group_pod(&PodSample { ready: None, ..old }, false, NOW, &c), PodGroup::Ready);
        // Precedence: deleted or Failed first, then Pending, then a missing sample.
        assert_eq!(group(&PodSample { deleting: true, usage: None, ..base }), PodGroup::Ignored);
        assert_eq!(group(&PodSample { phase: PodPhase::Failed, ..base }), PodGroup::Ignored);
        assert_eq!(group_pod(&PodSample { phase: PodPhase::Pending, ..old }, false, NOW, &c), PodGroup::Unready);
        assert_eq!(group(&PodSample { usage: None, ready: None, ..base }), PodGroup::Missing);
        // A Succeeded pod with a sample is counted: groupPods only looks for Failed.
        assert_eq!(group(&PodSample { phase: PodPhase::Succeeded, ..old }), PodGroup::Ready);
    }

    #[test]
    fn calculator_errors() {
        assert_eq!(cpu(2, 50, &[pod(1000, None), pod(1000, None)]), Err(ReplicaCalcError::NoMetrics));
        assert_eq!(cpu(2, 50, &[]), Err(ReplicaCalcError::NoMetrics));
        // A sample of an ignored or unready pod is still a sample: the error is the next one.
        let failed = PodSample { phase: PodPhase::Failed, ..pod(1000, Some(5)) };
        assert_eq!(cpu(2, 50, &[pending(1000), failed]), Err(ReplicaCalcError::NoMetricsForReadyPods));
        let unready_only = PodSample { ready: None, ..pod(1000, Some(500)) };
        assert_eq!(cpu(1, 50, &[unready_only]), Err(ReplicaCalcError::NoMetricsForReadyPods));
        // Requests are read for every listed pod, even an ignored one.
        let no_request = PodSample { request_milli: None, deleting: true, ..pod(0, Some(1)) };
        assert_eq!(
            cpu(3, 50, &[pod(1000, Some(1)), pod(1000, Some(1)), no_request]),
            Err(ReplicaCalcError::MissingRequest { pod: 2 })
        );
        assert_eq!(cpu(1, 50, &[pod(0, Some(10))]), Err(ReplicaCalcError::NoRequests));
    }

    /// `calcPlainMetricReplicas` (Pods metrics): three pods at 20, 21 and 21 (milli 20000,
    /// 21000, 21000), target 20: average 62000/3 = 20666, ratio 1.0333, inside: 3. With a
    /// pod missing on a scale-up: two at 2500 against 1000 is ratio 2.5; the missing pod at
    /// 0 gives 5000/3 = 1666, ratio 1.666, ceil(1.666 × 3) = ceil(4.998) = 5.
    #[test]
    fn plain_metric_average() {
        let custom =
            |vs: &[Option<i64>]| vs.iter().map(|&v| PodSample { ready: None, ..pod(0, v) }).collect::<Vec<_>>();
        let (r, avg) = plain_metric_replicas(
            3,
            20000,
            false,
            &custom(&[Some(20000), Some(21000), Some(21000)]),
            NOW,
            &cfg(),
            tol(),
        )
        .unwrap();
        assert_eq!((r, avg), (3, 20666));
        let (r, avg) =
            plain_metric_replicas(3, 1000, false, &custom(&[Some(2500), Some(2500), None]), NOW, &cfg(), tol())
                .unwrap();
        assert_eq!((r, avg), (5, 2500));
        // On a scale-down the missing pod counts as the target: 200 and 200 against 1000 is
        // 0.2; with 1000 for the third, 1400/3 = 466, ratio 0.466, ceil(1.398) = 2.
        let (r, _) =
            plain_metric_replicas(3, 1000, false, &custom(&[Some(200), Some(200), None]), NOW, &cfg(), tol()).unwrap();
        assert_eq!(r, 2);
    }

    /// Object and External targets.
    #[test]
    fn object_and_external_metrics() {
        // Value 20666 against 20000 is 1.0333: stays at 3. 30000 against 10000 with 2 Ready
        // pods: ceil(3.0 × 2) = 6.
        assert_eq!(object_value_replicas(3, 20666, 20000, Some(3), tol()), Ok(3));
        assert_eq!(object_value_replicas(3, 30000, 10000, Some(2), tol()), Ok(6));
        assert_eq!(object_value_replicas(3, 30000, 10000, None, tol()), Err(ReplicaCalcError::NoPods));
        // Average value over 4 status replicas: 20166 / (5000 × 4) = 1.0083, inside: 4; the
        // per-pod value is ceil(20166 / 4) = ceil(5041.5) = 5042.
        assert_eq!(object_average_value_replicas(4, 20166, 5000, tol()), (4, 5042));
        // External, average value: 8600 / (2900 × 3) = 0.9885, inside: 3, ceil(2866.67) = 2867.
        assert_eq!(external_average_value_replicas(3, &[8600], 2900, tol()), (3, 2867));
        // Outside the band the count is ceil(total / target) = ceil(8.6) = 9, not scaled by pods.
        assert_eq!(external_average_value_replicas(3, &[5000, 3600], 1000, tol()), (9, 2867));
        // External value: the series are summed, 4000 + 5000 = 9000 against 3000 is 3.0, × 2
        // Ready pods = 6.
        assert_eq!(external_value_replicas(2, &[4000, 5000], 3000, Some(2), tol()), Ok((6, 9000)));
    }

    #[test]
    fn request_of_a_pod_spec() {
        use crate::api::pod::Container;
        let c = |name: &str, cpu: Option<&str>, sidecar: bool| {
            let mut c = Container { name: name.into(), restart_policy_always: sidecar, ..Default::default() };
            if let Some(q) = cpu {
                c.requests.insert(ResourceName::Cpu, Quantity::parse(q).unwrap());
            }
            c
        };
        let spec = PodSpec {
            containers: vec![c("app", Some("500m"), false), c("log", Some("100m"), false)],
            init_containers: vec![c("proxy", Some("50m"), true), c("setup", None, false)],
            ..Default::default()
        };
        // 500 + 100 + the sidecar's 50; the plain init container is not counted.
        assert_eq!(pod_request_milli(&spec, &ResourceName::Cpu, None), Some(650));
        assert_eq!(pod_request_milli(&spec, &ResourceName::Cpu, Some("log")), Some(100));
        assert_eq!(pod_request_milli(&spec, &ResourceName::Cpu, Some("nope")), None);
        assert_eq!(pod_request_milli(&spec, &ResourceName::Memory, None), None, "a container without the request");
    }

    // --- Normalisation -----------------------------------------------------------------------

    fn rec(recommendation: i32, secs: u64) -> TimestampedRecommendation {
        TimestampedRecommendation { recommendation, timestamp: t(secs) }
    }

    /// Without `behavior`: up to `max(2 × current, 4)`, then maxReplicas, at least minReplicas.
    #[test]
    fn legacy_clamps() {
        // From 10: limit max(20, 4) = 20 below max 100.
        assert_eq!(convert_desired_replicas_with_rules(10, 25, 1, 100), (20, "ScaleUpLimit", MSG_SCALE_UP_LIMIT));
        // From 1: limit max(2, 4) = 4.
        assert_eq!(convert_desired_replicas_with_rules(1, 10, 1, 100).0, 4);
        // max 15 below the limit 20.
        assert_eq!(convert_desired_replicas_with_rules(10, 25, 1, 15), (15, "TooManyReplicas", MSG_TOO_MANY));
        assert_eq!(convert_desired_replicas_with_rules(10, 0, 2, 100), (2, "TooFewReplicas", MSG_TOO_FEW));
        assert_eq!(convert_desired_replicas_with_rules(10, 12, 1, 100), (12, "DesiredWithinRange", MSG_WITHIN_RANGE));
    }

    /// Without `behavior` the scale-down is held at the highest recommendation of the last 5
    /// minutes, a recommendation exactly 300 s old included; then it drops at once.
    #[test]
    fn legacy_stabilization_keeps_the_highest_recent_recommendation() {
        let w = DOWNSCALE_STABILIZATION_WINDOW;
        let mut h = HpaHistory::default();
        h.record_initial_recommendation(10, t(0));
        let n = normalize_desired_replicas(&mut h, 10, 4, 1, 20, t(60), w);
        assert_eq!(n.replicas, 10);
        assert_eq!(n.reason(HpaConditionType::AbleToScale), Some("ScaleDownStabilized"));
        assert_eq!(n.conditions[1].status, ConditionStatus::False, "the stabilized value is not clamped");
        // At 300 s the initial 10 (cutoff 0, not before it) still counts.
        assert_eq!(stabilize_recommendation(&mut h, 4, t(300), w), 10);
        // At 301 s it is older than the window: its slot takes the new recommendation.
        let n = normalize_desired_replicas(&mut h, 10, 4, 1, 20, t(301), w);
        assert_eq!((n.replicas, n.reason(HpaConditionType::AbleToScale)), (4, Some("ReadyForNewScale")));
        assert_eq!(h.recommendations, [rec(4, 301), rec(4, 60), rec(4, 300)]);
    }

    fn default_behavior() -> Behavior {
        Behavior::resolve(&HorizontalPodAutoscalerBehavior::default(), DOWNSCALE_STABILIZATION_WINDOW)
    }

    fn args<'a>(b: &'a Behavior, min: i32, max: i32, current: i32, desired: i32) -> NormalizationArgs<'a> {
        NormalizationArgs {
            scale_up: &b.scale_up,
            scale_down: &b.scale_down,
            min_replicas: min,
            max_replicas: max,
            current_replicas: current,
            desired_replicas: desired,
        }
    }

    #[test]
    fn behavior_resolution_fills_the_controller_window() {
        let b = default_behavior();
        assert_eq!(b.scale_up.stabilization_window_seconds, 0);
        assert_eq!(b.scale_down.stabilization_window_seconds, 300);
        assert_eq!(b.scale_up.longest_policy_period(), 15);
        let written = HorizontalPodAutoscalerBehavior {
            scale_down: Some(HpaScalingRules { stabilization_window_seconds: Some(60), ..Default::default() }),
            ..Default::default()
        };
        assert_eq!(
            Behavior::resolve(&written, DOWNSCALE_STABILIZATION_WINDOW).scale_down.stabilization_window_seconds,
            60
        );
    }

    /// With the default behavior the scale-down keeps the highest recommendation strictly
    /// younger than 300 s. Recommendations: the initial 10 at 0, then 8 at 15 s and 6 every
    /// 15 s after; the current count stays 10 meanwhile.
    #[test]
    fn scale_down_stabilization_window_keeps_the_max() {
        let b = default_behavior();
        let mut h = HpaHistory::default();
        h.record_initial_recommendation(10, t(0));
        let n = normalize_desired_replicas_with_behaviors(&mut h, &args(&b, 1, 20, 10, 8), t(15));
        // max(8, 10) = 10 bounds the current 10 from above: no change.
        assert_eq!((n.replicas, n.reason(HpaConditionType::AbleToScale)), (10, Some("ScaleDownStabilized")));
        for s in (30..300).step_by(15) {
            assert_eq!(normalize_desired_replicas_with_behaviors(&mut h, &args(&b, 1, 20, 10, 6), t(s)).replicas, 10);
        }
        // At 300 s the initial 10 is exactly 300 s old: not After(cutoff), so it no longer
        // counts; the highest left is the 8 of 15 s. (The legacy path still counts it.)
        let n = normalize_desired_replicas_with_behaviors(&mut h, &args(&b, 1, 20, 10, 6), t(300));
        assert_eq!(n.replicas, 8);
        // From 10 to 8 is within Percent 100 / 15 s: int32(10 × 0) = 0, the minimum 1 binds
        // nothing.
        assert_eq!(n.reason(HpaConditionType::ScalingLimited), Some("DesiredWithinRange"));
        // The initial slot is older than both windows only after 300 s; it was kept.
        assert_eq!(h.recommendations[0], rec(10, 0));
        // At 315 s the 8 is 300 s old: the highest is 6.
        assert_eq!(normalize_desired_replicas_with_behaviors(&mut h, &args(&b, 1, 20, 8, 6), t(315)).replicas, 6);
        // The slot of the initial recommendation (older than both windows) was reused.
        assert_eq!(h.recommendations[0], rec(6, 315));
    }

    /// A scale-up window keeps the lowest recent recommendation.
    #[test]
    fn scale_up_stabilization_keeps_the_min() {
        let mut b = default_behavior();
        b.scale_up.stabilization_window_seconds = 60;
        let mut h = HpaHistory { recommendations: vec![rec(4, 0), rec(6, 15)], ..Default::default() };
        // At 30 s: min(12, 4, 6) = 4 bounds the current 4 from below; max(12, 4, 6) = 12 above.
        let n = normalize_desired_replicas_with_behaviors(&mut h, &args(&b, 1, 20, 4, 12), t(30));
        assert_eq!((n.replicas, n.reason(HpaConditionType::AbleToScale)), (4, Some("ScaleUpStabilized")));
        // At 75 s the 4 (75 − 60 = 15 > 0) is out of the window, the 6 (15 = cutoff) too:
        // min(12, 12) = 12, and the rate limit from 4 is max(4 + 4, 4 × 2) = 8.
        let n = normalize_desired_replicas_with_behaviors(&mut h, &args(&b, 1, 20, 4, 12), t(75));
        assert_eq!((n.replicas, n.reason(HpaConditionType::ScalingLimited)), (8, Some("ScaleUpLimit")));
    }

    /// The default scale-up policies allow max(+4 pods, +100 %) per 15 s, counted from the
    /// replicas at the start of the period.
    #[test]
    fn scale_up_limited_to_max_of_100_percent_and_4_pods() {
        let b = default_behavior();
        let h = HpaHistory::default();
        let limit = |current, h: &HpaHistory, now| {
            convert_desired_replicas_with_behavior_rate(h, &args(&b, 1, 100, current, 1000), now)
        };
        // From 1: Pods 1 + 4 = 5, Percent ceil(1 × 2) = 2: Max is 5.
        assert_eq!(limit(1, &h, t(0)), (5, "ScaleUpLimit", MSG_SCALE_UP_LIMIT));
        // From 10: Pods 14, Percent 20.
        assert_eq!(limit(10, &h, t(0)).0, 20);
        // After a scale from 5 to 10 at 0 s, at 10 s the period started at 5: Pods 9,
        // Percent 10: the limit is the current 10, no scale-up.
        let mut h = HpaHistory::default();
        h.store_scale_event(Some(&b), 5, 10, t(0));
        assert_eq!(limit(10, &h, t(10)), (10, "ScaleUpLimit", MSG_SCALE_UP_LIMIT));
        // At 15 s the event is exactly 15 s old, no longer in the period: 20 again.
        assert_eq!(limit(10, &h, t(15)).0, 20);
        // A scale-down inside the period raises the period's start: 10 now after 14 → 10 at
        // 20 s means 14 at the start; Percent gives 28.
        h.store_scale_event(Some(&b), 14, 10, t(20));
        assert_eq!(limit(10, &h, t(25)).0, 28);
    }

    fn rules(select: ScalingPolicySelect, policies: Vec<HpaScalingPolicy>, window: i32) -> ScalingRules {
        ScalingRules { stabilization_window_seconds: window, select_policy: select, policies }
    }

    #[test]
    fn select_policy_min_max_and_disabled() {
        let h = HpaHistory::default();
        let up = |select| rules(select, vec![HpaScalingPolicy::pods(4, 15), HpaScalingPolicy::percent(100, 15)], 0);
        // From 10: Pods 14, Percent 20. Min picks the smaller change.
        assert_eq!(scale_up_limit_with_scaling_rules(10, &h, &up(ScalingPolicySelect::Min), t(0)), 14);
        assert_eq!(scale_up_limit_with_scaling_rules(10, &h, &up(ScalingPolicySelect::Max), t(0)), 20);
        assert_eq!(scale_up_limit_with_scaling_rules(10, &h, &up(ScalingPolicySelect::Disabled), t(0)), 10);
        // Scale down from 10 with Percent 50 (int32(10 × 0.5) = 5) and Pods 2 (8): Max allows
        // the larger change (5), Min the smaller (8).
        let down = |select| rules(select, vec![HpaScalingPolicy::percent(50, 15), HpaScalingPolicy::pods(2, 15)], 0);
        assert_eq!(scale_down_limit_with_scaling_rules(10, &h, &down(ScalingPolicySelect::Max), t(0)), 5);
        assert_eq!(scale_down_limit_with_scaling_rules(10, &h, &down(ScalingPolicySelect::Min), t(0)), 8);
        // Through the normalisation, with no stabilization.
        let b = Behavior { scale_up: up(ScalingPolicySelect::Disabled), scale_down: down(ScalingPolicySelect::Min) };
        let mut h = HpaHistory::default();
        let n = normalize_desired_replicas_with_behaviors(&mut h, &args(&b, 1, 20, 5, 10), t(0));
        assert_eq!((n.replicas, n.reason(HpaConditionType::ScalingLimited)), (5, Some("ScaleUpLimit")));
        assert_eq!(n.conditions[1].status, ConditionStatus::True);
        let n = normalize_desired_replicas_with_behaviors(&mut h, &args(&b, 1, 20, 10, 1), t(15));
        assert_eq!((n.replicas, n.reason(HpaConditionType::ScalingLimited)), (8, Some("ScaleDownLimit")));
        let b = Behavior { scale_down: down(ScalingPolicySelect::Disabled), ..b };
        let n = normalize_desired_replicas_with_behaviors(&mut h, &args(&b, 1, 20, 10, 1), t(30));
        assert_eq!((n.replicas, n.reason(HpaConditionType::ScalingLimited)), (10, Some("ScaleDownLimit")));
    }

    #[test]
    fn min_and_max_clamps_with_behavior() {
        let b = Behavior {
            scale_down: rules(ScalingPolicySelect::Max, vec![HpaScalingPolicy::percent(100, 15)], 0),
            ..default_behavior()
        };
        let mut h = HpaHistory::default();
        // From 5 the policies allow max(9, 10) = 10, but maxReplicas is 8.
        let n = normalize_desired_replicas_with_behaviors(&mut h, &args(&b, 3, 8, 5, 50), t(0));
        assert_eq!((n.replicas, n.reason(HpaConditionType::ScalingLimited)), (8, Some("TooManyReplicas")));
        // Down to 1 is allowed by the policy (int32(5 × 0) = 0) but minReplicas is 3.
        let n = normalize_desired_replicas_with_behaviors(&mut h, &args(&b, 3, 8, 5, 1), t(15));
        assert_eq!((n.replicas, n.reason(HpaConditionType::ScalingLimited)), (3, Some("TooFewReplicas")));
        let n = normalize_desired_replicas_with_behaviors(&mut h, &args(&b, 3, 8, 5, 6), t(30));
        assert_eq!((n.replicas, n.reason(HpaConditionType::ScalingLimited)), (6, Some("DesiredWithinRange")));
        assert_eq!(n.conditions[1].status, ConditionStatus::False);
    }

    /// Percent policies are computed in float64 as Go does, rounding errors included.
    #[test]
    fn percent_policies_round_like_go() {
        let h = HpaHistory::default();
        // 100 × (1 + 10/100) = 110.00000000000001 in float64: ceil gives 111, not 110.
        let up = rules(ScalingPolicySelect::Max, vec![HpaScalingPolicy::percent(10, 60)], 0);
        assert_eq!(scale_up_limit_with_scaling_rules(100, &h, &up, t(0)), 111);
        // 3 × 1.5 = 4.5: ceil 5.
        let up = rules(ScalingPolicySelect::Max, vec![HpaScalingPolicy::percent(50, 60)], 0);
        assert_eq!(scale_up_limit_with_scaling_rules(3, &h, &up, t(0)), 5);
        // 10 × (1 − 80/100) = 1.9999999999999996: the int32 conversion truncates to 1, not 2.
        let down = rules(ScalingPolicySelect::Max, vec![HpaScalingPolicy::percent(80, 60)], 0);
        assert_eq!(scale_down_limit_with_scaling_rules(10, &h, &down, t(0)), 1);
        // 3 × (1 − 50/100) = 1.5: truncated to 1.
        let down = rules(ScalingPolicySelect::Max, vec![HpaScalingPolicy::percent(50, 60)], 0);
        assert_eq!(scale_down_limit_with_scaling_rules(3, &h, &down, t(0)), 1);
        // The legacy limit: max(2 × 3, 4) = 6.
        assert_eq!(calculate_scale_up_limit(3), 6);
    }

    #[test]
    fn scale_events_reuse_outdated_slots() {
        let b = default_behavior();
        let ev = |change, secs, outdated| ScaleEvent { replica_change: change, timestamp: t(secs), outdated };
        let mut h = HpaHistory::default();
        h.store_scale_event(None, 1, 5, t(0));
        assert_eq!(h, HpaHistory::default(), "no events without behavior");
        h.store_scale_event(Some(&b), 1, 5, t(0));
        h.store_scale_event(Some(&b), 5, 9, t(10));
        assert_eq!(h.scale_up_events, [ev(4, 0, false), ev(4, 10, false)]);
        // At 30 s both are older than 15 s: marked, and the last one's slot is reused.
        h.store_scale_event(Some(&b), 9, 13, t(30));
        assert_eq!(h.scale_up_events, [ev(4, 0, true), ev(4, 30, false)]);
        // At 31 s only the first is outdated.
        h.store_scale_event(Some(&b), 13, 17, t(31));
        assert_eq!(h.scale_up_events, [ev(4, 31, false), ev(4, 30, false)]);
        // A scale-down goes to its own list, as a positive change.
        h.store_scale_event(Some(&b), 17, 12, t(40));
        assert_eq!(h.scale_down_events, [ev(5, 40, false)]);
        assert_eq!(replicas_change_per_period(15, &h.scale_up_events, t(40)), 8);
        assert_eq!(replicas_change_per_period(15, &h.scale_up_events, t(45)), 4, "the event of 30 s is out at 45 s");
    }

    // --- One sync ----------------------------------------------------------------------------

    fn cpu_spec(min: i32, max: i32, target: i32) -> HorizontalPodAutoscalerSpec {
        let mut spec = HorizontalPodAutoscalerSpec::new(
            CrossVersionObjectReference::deployment("web"),
            Some(min),
            max,
            vec![MetricSpec::resource_utilization(ResourceName::Cpu, target)],
        );
        spec.set_defaults();
        spec
    }

    fn run(
        spec: &HorizontalPodAutoscalerSpec,
        current: i32,
        observations: &[MetricObservation],
        h: &mut HpaHistory,
        now: SimTime,
    ) -> SyncOutcome {
        let config = cfg();
        let input = SyncInput {
            now,
            config: &config,
            namespace: "default",
            spec,
            scale: Ok(ScaleView { spec_replicas: current, status_replicas: current }),
            ready_pods: Some(i64::from(current)),
            observations,
        };
        sync(&input, h)
    }

    fn reasons(out: &SyncOutcome) -> Vec<&'static str> {
        out.conditions.iter().map(|c| c.reason).collect()
    }

    /// The reference's example end to end: 10 pods at 100 %, target 50 %, no behavior.
    #[test]
    fn sync_scales_to_twenty_and_writes_the_status() {
        let spec = cpu_spec(1, 30, 50);
        let mut h = HpaHistory::default();
        let out = run(&spec, 10, &[MetricObservation::PerPod(pods(10, 1000, 1000))], &mut h, NOW);
        assert_eq!(out.rescale, Some(20));
        assert_eq!(out.reason, "cpu resource utilization (percentage of request) above target");
        assert_eq!(
            reasons(&out),
            ["SucceededGetScale", "ValidMetricFound", "ReadyForNewScale", "DesiredWithinRange", "SucceededRescale"]
        );
        assert_eq!(out.events.len(), 1);
        assert_eq!(
            out.events[0].message,
            "New size: 20; reason: cpu resource utilization (percentage of request) above target"
        );
        // Without behavior no scale event is kept; the recommendations are the initial 10 and 20.
        assert_eq!(
            h.recommendations,
            [
                TimestampedRecommendation { recommendation: 10, timestamp: NOW },
                TimestampedRecommendation { recommendation: 20, timestamp: NOW }
            ]
        );
        assert!(h.scale_up_events.is_empty());
        let mut status = HorizontalPodAutoscalerStatus::default();
        out.apply_to_status(&mut status, NOW);
        assert_eq!((status.current_replicas, status.desired_replicas, status.last_scale_time), (10, 20, Some(NOW)));
        let Some(Some(MetricStatus::Resource(r))) = status.current_metrics.first() else { panic!("no metric status") };
        assert_eq!(r.current.average_utilization, Some(100));
        assert_eq!(r.current.average_value, Some(Quantity::parse("1").unwrap()));
        let able = status.condition(HpaConditionType::AbleToScale).unwrap();
        assert_eq!((able.reason, able.status), ("SucceededRescale", ConditionStatus::True));
        // Next sync: the new pods have no samples yet (missing on a scale-up count as 0):
        // 10 at 100 % and 10 at 0 is 50 %, ratio 1.0: no change.
        let mut ps = pods(10, 1000, 1000);
        ps.extend(vec![pod(1000, None); 10]);
        let out = run(&spec, 20, &[MetricObservation::PerPod(ps)], &mut h, NOW + SYNC_PERIOD);
        assert_eq!(out.rescale, None);
        out.apply_to_status(&mut status, NOW + SYNC_PERIOD);
        assert_eq!((status.desired_replicas, status.last_scale_time), (20, Some(NOW)));
        let able: &HpaCondition = status.condition(HpaConditionType::AbleToScale).unwrap();
        assert_eq!((able.reason, able.last_transition_time), ("ReadyForNewScale", NOW));
    }

    #[test]
    fn sync_with_zero_replicas_is_disabled() {
        let spec = cpu_spec(1, 30, 50);
        let mut h = HpaHistory::default();
        let out = run(&spec, 0, &[MetricObservation::PerPod(vec![])], &mut h, NOW);
        assert_eq!(out.rescale, None);
        let active = out.condition(HpaConditionType::ScalingActive).unwrap();
        assert_eq!((active.status, active.reason), (ConditionStatus::False, "ScalingDisabled"));
        assert!(matches!(
            out.status,
            StatusUpdate::Full { current_replicas: 0, desired_replicas: 0, rescaled: false, .. }
        ));
        assert_eq!(h.recommendations.len(), 1, "the initial recommendation is still recorded");
    }

    #[test]
    fn sync_outside_min_max_goes_to_the_bound() {
        let spec = cpu_spec(2, 5, 50);
        let mut h = HpaHistory::default();
        // No metric is read: the observations may be anything.
        let out = run(&spec, 8, &[], &mut h, NOW);
        assert_eq!((out.rescale, out.reason.as_str()), (Some(5), "Current number of replicas above Spec.MaxReplicas"));
        let out = run(&spec, 1, &[], &mut h, NOW);
        assert_eq!((out.rescale, out.reason.as_str()), (Some(2), "Current number of replicas below Spec.MinReplicas"));
        assert_eq!(h.recommendations.len(), 1, "no normalisation, only the initial recommendation");
    }

    #[test]
    fn sync_without_metrics_keeps_the_scale() {
        let spec = cpu_spec(1, 30, 50);
        let mut h = HpaHistory::default();
        let out = run(&spec, 4, &[MetricObservation::PerPod(vec![pod(1000, None); 4])], &mut h, NOW);
        assert_eq!(out.rescale, None);
        let active = out.condition(HpaConditionType::ScalingActive).unwrap();
        assert_eq!((active.status, active.reason), (ConditionStatus::False, "FailedGetResourceMetric"));
        assert!(
            active
                .message
                .starts_with("the HPA was unable to compute the replica count: failed to get cpu utilization")
        );
        assert_eq!(
            out.events.iter().map(|e| e.reason).collect::<Vec<_>>(),
            ["FailedGetResourceMetric", "FailedComputeMetricsReplicas"]
        );
        assert!(
            matches!(&out.status, StatusUpdate::CurrentOnly { current_replicas: 4, current_metrics } if current_metrics == &[None])
        );
        assert_eq!(h.recommendations.len(), 1);
    }

    /// With one metric failing, the others may scale up but not down.
    #[test]
    fn sync_with_a_failed_metric_never_scales_down() {
        let mut spec = cpu_spec(1, 30, 50);
        spec.metrics.push(MetricSpec::Pods(PodsMetricSource {
            metric: MetricIdentifier { name: "qps".into(), selector: None },
            target: crate::api::autoscaling::MetricTarget::average_value(Quantity::parse("10").unwrap()),
        }));
        let mut h = HpaHistory::default();
        // cpu at 10 % proposes ceil(0.2 × 4) = 1 < 4, the qps metric has no samples: no scale.
        let low = MetricObservation::PerPod(pods(4, 1000, 100));
        let out = run(&spec, 4, &[low, MetricObservation::PerPod(vec![])], &mut h, NOW);
        assert_eq!(out.rescale, None);
        assert_eq!(out.condition(HpaConditionType::ScalingActive).unwrap().reason, "FailedGetPodsMetric");
        // cpu at 200 % proposes ceil(4 × 4) = 16 >= 4: it scales (to the legacy limit 8) and
        // reports the error.
        let high = MetricObservation::PerPod(pods(4, 1000, 2000));
        let out = run(&spec, 4, &[high, MetricObservation::PerPod(vec![])], &mut h, NOW);
        assert_eq!(out.rescale, Some(8));
        assert_eq!(out.condition(HpaConditionType::ScalingActive).unwrap().reason, "ValidMetricFound");
        assert_eq!(out.condition(HpaConditionType::ScalingLimited).unwrap().reason, "ScaleUpLimit");
        assert!(
            out.error
                .unwrap()
                .starts_with("invalid metrics (1 invalid out of 2), first error is: failed to get pods metric value")
        );
    }

    #[test]
    fn sync_without_a_target() {
        let spec = cpu_spec(1, 30, 50);
        let config = cfg();
        let mut h = HpaHistory::default();
        let input = SyncInput {
            now: NOW,
            config: &config,
            namespace: "default",
            spec: &spec,
            scale: Err("deployments.apps \"web\" not found"),
            ready_pods: None,
            observations: &[],
        };
        let out = sync(&input, &mut h);
        assert_eq!(reasons(&out), ["FailedGetScale"]);
        assert_eq!(out.status, StatusUpdate::Conditions);
        assert_eq!(h, HpaHistory::default());
    }

    /// With the default behavior a heavy load grows 2 → 6 → 12 → 24 → 30 (max), one step per
    /// 15 s sync: each step is max(+4, +100 %) of the count at the start of the period.
    #[test]
    fn sync_with_behavior_steps_up_each_period() {
        let mut spec = cpu_spec(1, 30, 50);
        spec.behavior = Some(HorizontalPodAutoscalerBehavior::default());
        spec.set_defaults();
        let mut h = HpaHistory::default();
        let mut current = 2;
        let mut seen = vec![current];
        for step in 0..5u64 {
            // Every pod at 500 % of its request: ratio 10.
            let obs = [MetricObservation::PerPod(pods(current as usize, 1000, 5000))];
            let out = run(&spec, current, &obs, &mut h, NOW + SYNC_PERIOD.saturating_mul(step));
            current = out.rescale.unwrap_or(current);
            seen.push(current);
        }
        // 2 → max(2 + 4, 2 × 2) = 6 → max(10, 12) = 12 → max(16, 24) = 24 → min(30, 48) = 30.
        assert_eq!(seen, [2, 6, 12, 24, 30, 30]);
        // An event exactly 15 s old is not yet outdated (`Before` is strict), so two slots
        // alternate: the event of 45 s took the slot of the one of 15 s.
        let at = |step: u64| NOW + SYNC_PERIOD.saturating_mul(step);
        let times: Vec<_> = h.scale_up_events.iter().map(|e| (e.replica_change, e.timestamp)).collect();
        assert_eq!(times, [(12, at(2)), (6, at(3))]);
    }

    #[test]
    fn sync_names_each_metric_kind() {
        let obj = MetricSpec::Object(ObjectMetricSource {
            described_object: CrossVersionObjectReference {
                kind: "Ingress".into(),
                name: "main".into(),
                api_version: "networking.k8s.io/v1".into(),
            },
            metric: MetricIdentifier { name: "rps".into(), selector: None },
            target: crate::api::autoscaling::MetricTarget::value(Quantity::parse("100").unwrap()),
        });
        let ext = MetricSpec::External(ExternalMetricSource {
            metric: MetricIdentifier { name: "queue".into(), selector: None },
            target: crate::api::autoscaling::MetricTarget::average_value(Quantity::parse("30").unwrap()),
        });
        let c = cfg();
        // 300 requests/s against 100 with 2 Ready pods: ceil(3 × 2) = 6.
        let p = compute_metric(&obj, Some(&MetricObservation::Object(Some(300_000))), 2, 2, Some(2), NOW, &c, tol())
            .unwrap();
        assert_eq!((p.replicas, p.name.as_str()), (6, "Ingress metric rps"));
        // 90 queued against 30 per pod: ceil(3) = 3, whatever the 2 replicas.
        let p =
            compute_metric(&ext, Some(&MetricObservation::External(Some(vec![90_000]))), 2, 2, Some(2), NOW, &c, tol())
                .unwrap();
        assert_eq!((p.replicas, p.name.as_str()), (3, "external metric queue(<nil>)"));
        let f =
            compute_metric(&ext, Some(&MetricObservation::External(None)), 2, 2, Some(2), NOW, &c, tol()).unwrap_err();
        assert_eq!(f.reason, "FailedGetExternalMetric");
        // A Resource metric with an averageValue target uses the plain average: 4 pods at
        // 300m against 200m is 1.5, ceil(1.5 × 4) = 6.
        let raw = MetricSpec::resource_average_value(ResourceName::Cpu, Quantity::parse("200m").unwrap());
        let p =
            compute_metric(&raw, Some(&MetricObservation::PerPod(pods(4, 1000, 300))), 4, 4, Some(4), NOW, &c, tol())
                .unwrap();
        assert_eq!((p.replicas, p.name.as_str()), (6, "cpu resource"));
    }
}
