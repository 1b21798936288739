//! HorizontalPodAutoscalers (`autoscaling/v2`): spec and status with Kubernetes' field names,
//! the API server's defaulting (`pkg/apis/autoscaling/v2/defaults.go`) and the condition
//! bookkeeping the controller does on the status (`setConditionInList`). The controller's
//! arithmetic lives in `controllers/hpa.rs`.
//!
//! Every metric source of v2 is represented (Resource, ContainerResource, Pods, Object,
//! External), as written in a manifest. `behavior.scaleUp/scaleDown.tolerance` is not: it is
//! behind the `HPAConfigurableTolerance` gate, alpha and off in v1.34 (beta from v1.35), and
//! with the gate off the API server drops the field on create (`dropDisabledFields`). The
//! alpha `HPAScaleToZero` gate is off too, so validation keeps `minReplicas >= 1`; the types
//! still accept 0 so that the controller's `minReplicas == 0` branch stays expressible.

use std::fmt;

use crate::api::meta::{ConditionStatus, ObjectMeta};
use crate::api::quantity::Quantity;
use crate::api::resources::ResourceName;
use crate::api::selector::LabelSelector;
use crate::kernel::SimTime;

/// `autoscaling.DefaultCPUUtilization`: the metric a spec without metrics gets.
pub const DEFAULT_CPU_UTILIZATION: i32 = 80;

/// `v2.CrossVersionObjectReference`: the scale target, or an Object metric's described object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CrossVersionObjectReference {
    pub kind: String,
    pub name: String,
    /// `apiVersion`, e.g. `apps/v1`.
    pub api_version: String,
}

impl CrossVersionObjectReference {
    /// A reference to an `apps/v1` Deployment, the common scale target.
    pub fn deployment(name: &str) -> CrossVersionObjectReference {
        CrossVersionObjectReference { kind: "Deployment".into(), name: name.into(), api_version: "apps/v1".into() }
    }
}

/// `v2.MetricSourceType`: the `type` of a metric spec or status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetricSourceType {
    Object,
    Pods,
    Resource,
    ContainerResource,
    External,
}

impl MetricSourceType {
    pub const ALL: [MetricSourceType; 5] = [
        MetricSourceType::Object,
        MetricSourceType::Pods,
        MetricSourceType::Resource,
        MetricSourceType::ContainerResource,
        MetricSourceType::External,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MetricSourceType::Object => "Object",
            MetricSourceType::Pods => "Pods",
            MetricSourceType::Resource => "Resource",
            MetricSourceType::ContainerResource => "ContainerResource",
            MetricSourceType::External => "External",
        }
    }

    /// The manifest spelling (case-sensitive, as the API server's enum validation is).
    pub fn parse(s: &str) -> Option<MetricSourceType> {
        MetricSourceType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for MetricSourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `v2.MetricTargetType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetricTargetType {
    Utilization,
    Value,
    AverageValue,
}

impl MetricTargetType {
    pub const ALL: [MetricTargetType; 3] =
        [MetricTargetType::Utilization, MetricTargetType::Value, MetricTargetType::AverageValue];

    pub fn as_str(self) -> &'static str {
        match self {
            MetricTargetType::Utilization => "Utilization",
            MetricTargetType::Value => "Value",
            MetricTargetType::AverageValue => "AverageValue",
        }
    }

    pub fn parse(s: &str) -> Option<MetricTargetType> {
        MetricTargetType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for MetricTargetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `v2.MetricTarget`. Kubernetes keeps all three values optional beside the type and the
/// controller reads them by presence, not by type (for a Resource metric an `averageValue`
/// wins over an `averageUtilization`), so this is the same shape rather than an enum.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MetricTarget {
    /// `type`.
    pub target_type: MetricTargetType,
    pub value: Option<Quantity>,
    pub average_value: Option<Quantity>,
    /// Percent of the pods' request; Resource and ContainerResource metrics only.
    pub average_utilization: Option<i32>,
}

impl MetricTarget {
    /// `type: Utilization, averageUtilization: percent`.
    pub fn utilization(percent: i32) -> MetricTarget {
        MetricTarget {
            target_type: MetricTargetType::Utilization,
            value: None,
            average_value: None,
            average_utilization: Some(percent),
        }
    }

    /// `type: AverageValue, averageValue: q`.
    pub fn average_value(q: Quantity) -> MetricTarget {
        MetricTarget {
            target_type: MetricTargetType::AverageValue,
            value: None,
            average_value: Some(q),
            average_utilization: None,
        }
    }

    /// `type: Value, value: q`.
    pub fn value(q: Quantity) -> MetricTarget {
        MetricTarget {
            target_type: MetricTargetType::Value,
            value: Some(q),
            average_value: None,
            average_utilization: None,
        }
    }
}

/// `v2.MetricIdentifier`: a custom or external metric's name and series selector.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MetricIdentifier {
    pub name: String,
    /// `selector`; `None` when absent (the metrics API then uses just the name).
    pub selector: Option<LabelSelector>,
}

/// `v2.ResourceMetricSource`: a resource of the pods (summed over their containers) as
/// reported by the resource metrics API (metrics-server).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceMetricSource {
    /// `cpu` or `memory` in practice.
    pub name: ResourceName,
    pub target: MetricTarget,
}

/// `v2.ContainerResourceMetricSource`: like Resource, for one named container of each pod.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContainerResourceMetricSource {
    pub name: ResourceName,
    pub container: String,
    pub target: MetricTarget,
}

/// `v2.PodsMetricSource`: a custom metric per pod, averaged (target `AverageValue` only).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PodsMetricSource {
    pub metric: MetricIdentifier,
    pub target: MetricTarget,
}

/// `v2.ObjectMetricSource`: a custom metric of one other object (`Value` or `AverageValue`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectMetricSource {
    pub described_object: CrossVersionObjectReference,
    pub metric: MetricIdentifier,
    pub target: MetricTarget,
}

/// `v2.ExternalMetricSource`: a metric from outside the cluster (`Value` or `AverageValue`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExternalMetricSource {
    pub metric: MetricIdentifier,
    pub target: MetricTarget,
}

/// `v2.MetricSpec`. Validation requires exactly the member named by `type`, so the type is
/// the variant.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MetricSpec {
    Object(ObjectMetricSource),
    Pods(PodsMetricSource),
    Resource(ResourceMetricSource),
    ContainerResource(ContainerResourceMetricSource),
    External(ExternalMetricSource),
}

impl MetricSpec {
    /// `type`.
    pub fn source_type(&self) -> MetricSourceType {
        match self {
            MetricSpec::Object(_) => MetricSourceType::Object,
            MetricSpec::Pods(_) => MetricSourceType::Pods,
            MetricSpec::Resource(_) => MetricSourceType::Resource,
            MetricSpec::ContainerResource(_) => MetricSourceType::ContainerResource,
            MetricSpec::External(_) => MetricSourceType::External,
        }
    }

    /// `type: Resource` on `resource` with `averageUtilization: percent`.
    pub fn resource_utilization(resource: ResourceName, percent: i32) -> MetricSpec {
        MetricSpec::Resource(ResourceMetricSource { name: resource, target: MetricTarget::utilization(percent) })
    }

    /// `type: Resource` on `resource` with `averageValue: q`.
    pub fn resource_average_value(resource: ResourceName, q: Quantity) -> MetricSpec {
        MetricSpec::Resource(ResourceMetricSource { name: resource, target: MetricTarget::average_value(q) })
    }

    /// The metric a spec without metrics is given: 80 % cpu utilization.
    pub fn default_cpu() -> MetricSpec {
        MetricSpec::resource_utilization(ResourceName::Cpu, DEFAULT_CPU_UTILIZATION)
    }

    /// The metric's target.
    pub fn target(&self) -> &MetricTarget {
        match self {
            MetricSpec::Object(s) => &s.target,
            MetricSpec::Pods(s) => &s.target,
            MetricSpec::Resource(s) => &s.target,
            MetricSpec::ContainerResource(s) => &s.target,
            MetricSpec::External(s) => &s.target,
        }
    }
}

/// `v2.HPAScalingPolicyType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HpaScalingPolicyType {
    /// An absolute number of pods per period.
    Pods,
    /// A percentage of the replicas at the start of the period.
    Percent,
}

impl HpaScalingPolicyType {
    pub fn as_str(self) -> &'static str {
        match self {
            HpaScalingPolicyType::Pods => "Pods",
            HpaScalingPolicyType::Percent => "Percent",
        }
    }

    pub fn parse(s: &str) -> Option<HpaScalingPolicyType> {
        [HpaScalingPolicyType::Pods, HpaScalingPolicyType::Percent].into_iter().find(|t| t.as_str() == s)
    }
}

/// `v2.HPAScalingPolicy`: at most `value` pods (or percent) of change per `periodSeconds`.
/// Validation: `value > 0`, `0 < periodSeconds <= 1800`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HpaScalingPolicy {
    /// `type`.
    pub policy_type: HpaScalingPolicyType,
    pub value: i32,
    pub period_seconds: i32,
}

impl HpaScalingPolicy {
    pub fn pods(value: i32, period_seconds: i32) -> HpaScalingPolicy {
        HpaScalingPolicy { policy_type: HpaScalingPolicyType::Pods, value, period_seconds }
    }

    pub fn percent(value: i32, period_seconds: i32) -> HpaScalingPolicy {
        HpaScalingPolicy { policy_type: HpaScalingPolicyType::Percent, value, period_seconds }
    }
}

/// `v2.ScalingPolicySelect`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScalingPolicySelect {
    /// The policy allowing the largest change (the default).
    #[default]
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

impl ScalingPolicySelect {
    pub fn as_str(self) -> &'static str {
        match self {
            ScalingPolicySelect::Max => "Max",
            ScalingPolicySelect::Min => "Min",
            ScalingPolicySelect::Disabled => "Disabled",
        }
    }

    pub fn parse(s: &str) -> Option<ScalingPolicySelect> {
        [ScalingPolicySelect::Max, ScalingPolicySelect::Min, ScalingPolicySelect::Disabled]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// The scale-up and scale-down policy period the API defaults use (`scaleUpPeriod`,
/// `scaleDownPeriod`).
pub const DEFAULT_POLICY_PERIOD_SECONDS: i32 = 15;

/// `v2.HPAScalingRules`, as written: every field optional. `SetDefaults` fills all of them
/// except the scale-down window, which the controller fills from its
/// `--horizontal-pod-autoscaler-downscale-stabilization` flag (300 s).
/// Validation: `0 <= stabilizationWindowSeconds <= 3600`, at least one policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct HpaScalingRules {
    pub stabilization_window_seconds: Option<i32>,
    pub select_policy: Option<ScalingPolicySelect>,
    pub policies: Option<Vec<HpaScalingPolicy>>,
}

impl HpaScalingRules {
    /// `defaultHPAScaleUpRules`: no stabilization, `Max` of 4 pods or 100 % per 15 s.
    pub fn default_scale_up() -> HpaScalingRules {
        HpaScalingRules {
            stabilization_window_seconds: Some(0),
            select_policy: Some(ScalingPolicySelect::Max),
            policies: Some(vec![
                HpaScalingPolicy::pods(4, DEFAULT_POLICY_PERIOD_SECONDS),
                HpaScalingPolicy::percent(100, DEFAULT_POLICY_PERIOD_SECONDS),
            ]),
        }
    }

    /// `defaultHPAScaleDownRules`: the window left unset (the controller's flag decides),
    /// `Max` of 100 % per 15 s.
    pub fn default_scale_down() -> HpaScalingRules {
        HpaScalingRules {
            stabilization_window_seconds: None,
            select_policy: Some(ScalingPolicySelect::Max),
            policies: Some(vec![HpaScalingPolicy::percent(100, DEFAULT_POLICY_PERIOD_SECONDS)]),
        }
    }

    /// `copyHPAScalingRules(from, defaults)`: the fields set in `self` over `defaults`. An
    /// explicitly empty policy list is kept (validation then rejects it).
    pub fn over(&self, defaults: HpaScalingRules) -> HpaScalingRules {
        HpaScalingRules {
            stabilization_window_seconds: self.stabilization_window_seconds.or(defaults.stabilization_window_seconds),
            select_policy: self.select_policy.or(defaults.select_policy),
            policies: self.policies.clone().or(defaults.policies),
        }
    }
}

/// `v2.HorizontalPodAutoscalerBehavior`. `spec.behavior` absent means the controller's
/// legacy normalisation (5-minute scale-down stabilization, scale-up limit
/// `max(2 × current, 4)`, no scale-down rate limit); present, even empty, means these rules,
/// defaulted per direction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct HorizontalPodAutoscalerBehavior {
    pub scale_up: Option<HpaScalingRules>,
    pub scale_down: Option<HpaScalingRules>,
}

impl HorizontalPodAutoscalerBehavior {
    /// `SetDefaults_HorizontalPodAutoscalerBehavior`: both directions present and filled
    /// (`GenerateHPAScaleUpRules`, `GenerateHPAScaleDownRules`). Idempotent.
    pub fn set_defaults(&mut self) {
        let up = self
            .scale_up
            .as_ref()
            .map_or_else(HpaScalingRules::default_scale_up, |r| r.over(HpaScalingRules::default_scale_up()));
        let down = self
            .scale_down
            .as_ref()
            .map_or_else(HpaScalingRules::default_scale_down, |r| r.over(HpaScalingRules::default_scale_down()));
        self.scale_up = Some(up);
        self.scale_down = Some(down);
    }
}

/// `v2.HorizontalPodAutoscalerSpec`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HorizontalPodAutoscalerSpec {
    pub scale_target_ref: CrossVersionObjectReference,
    /// Defaulted to 1 by the API server (and read as 1 by the controller when absent).
    pub min_replicas: Option<i32>,
    /// Validation: `>= 1` and `>= minReplicas`.
    pub max_replicas: i32,
    /// Defaulted to `[cpu 80 %]` when empty.
    pub metrics: Vec<MetricSpec>,
    pub behavior: Option<HorizontalPodAutoscalerBehavior>,
}

impl HorizontalPodAutoscalerSpec {
    /// A spec on `target` between `min` and `max` replicas with the given metrics, as written
    /// (call [`HorizontalPodAutoscalerSpec::set_defaults`] for what the API server stores).
    pub fn new(
        target: CrossVersionObjectReference,
        min: Option<i32>,
        max: i32,
        metrics: Vec<MetricSpec>,
    ) -> HorizontalPodAutoscalerSpec {
        HorizontalPodAutoscalerSpec {
            scale_target_ref: target,
            min_replicas: min,
            max_replicas: max,
            metrics,
            behavior: None,
        }
    }

    /// `SetDefaults_HorizontalPodAutoscaler`: `minReplicas` 1, the 80 % cpu metric when there
    /// are none, and the behavior defaults when a behavior is present. Idempotent.
    pub fn set_defaults(&mut self) {
        if self.min_replicas.is_none() {
            self.min_replicas = Some(1);
        }
        if self.metrics.is_empty() {
            self.metrics = vec![MetricSpec::default_cpu()];
        }
        if let Some(b) = &mut self.behavior {
            b.set_defaults();
        }
    }

    /// `minReplicas`, or 1 when absent (as `reconcileAutoscaler` reads it).
    pub fn min_replicas_or_default(&self) -> i32 {
        self.min_replicas.unwrap_or(1)
    }
}

/// `v2.MetricValueStatus`: the current value of a metric, in the shape of its target.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MetricValueStatus {
    pub value: Option<Quantity>,
    pub average_value: Option<Quantity>,
    pub average_utilization: Option<i32>,
}

/// `v2.ResourceMetricStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceMetricStatus {
    pub name: ResourceName,
    pub current: MetricValueStatus,
}

/// `v2.ContainerResourceMetricStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContainerResourceMetricStatus {
    pub name: ResourceName,
    pub container: String,
    pub current: MetricValueStatus,
}

/// `v2.PodsMetricStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PodsMetricStatus {
    pub metric: MetricIdentifier,
    pub current: MetricValueStatus,
}

/// `v2.ObjectMetricStatus`. The controller leaves `describedObject` empty for an
/// `AverageValue` target, as upstream does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectMetricStatus {
    pub described_object: CrossVersionObjectReference,
    pub metric: MetricIdentifier,
    pub current: MetricValueStatus,
}

/// `v2.ExternalMetricStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExternalMetricStatus {
    pub metric: MetricIdentifier,
    pub current: MetricValueStatus,
}

/// `v2.MetricStatus`, one per spec metric the controller could compute.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MetricStatus {
    Object(ObjectMetricStatus),
    Pods(PodsMetricStatus),
    Resource(ResourceMetricStatus),
    ContainerResource(ContainerResourceMetricStatus),
    External(ExternalMetricStatus),
}

/// `v2.HorizontalPodAutoscalerConditionType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HpaConditionType {
    /// Whether metrics could be computed (`ValidMetricFound`, `ScalingDisabled`, `Failed…`).
    ScalingActive,
    /// Whether the target's scale can be read and written, and stabilization (`SucceededGetScale`,
    /// `SucceededRescale`, `ReadyForNewScale`, `ScaleDownStabilized`, `ScaleUpStabilized`,
    /// `FailedGetScale`).
    AbleToScale,
    /// Whether the desired count was clamped (`DesiredWithinRange`, `ScaleUpLimit`,
    /// `ScaleDownLimit`, `TooManyReplicas`, `TooFewReplicas`).
    ScalingLimited,
}

impl HpaConditionType {
    pub fn as_str(self) -> &'static str {
        match self {
            HpaConditionType::ScalingActive => "ScalingActive",
            HpaConditionType::AbleToScale => "AbleToScale",
            HpaConditionType::ScalingLimited => "ScalingLimited",
        }
    }
}

impl fmt::Display for HpaConditionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `v2.HorizontalPodAutoscalerCondition`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HpaCondition {
    pub condition_type: HpaConditionType,
    pub status: ConditionStatus,
    pub last_transition_time: SimTime,
    pub reason: &'static str,
    pub message: String,
}

/// `v2.HorizontalPodAutoscalerStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct HorizontalPodAutoscalerStatus {
    /// Never written by the controller (and dropped by its `setStatus`).
    pub observed_generation: Option<i64>,
    pub last_scale_time: Option<SimTime>,
    pub current_replicas: i32,
    pub desired_replicas: i32,
    /// One entry per spec metric once metrics were computed; `None` is the zero
    /// `MetricStatus` (`type: ""`) the controller leaves for a metric that failed.
    pub current_metrics: Vec<Option<MetricStatus>>,
    /// In the order the controller first set them.
    pub conditions: Vec<HpaCondition>,
}

impl HorizontalPodAutoscalerStatus {
    /// The condition of the given type, if set.
    pub fn condition(&self, condition_type: HpaConditionType) -> Option<&HpaCondition> {
        self.conditions.iter().find(|c| c.condition_type == condition_type)
    }

    /// `setConditionInList`: sets the condition's status, reason and message, appending it
    /// if absent; `lastTransitionTime` moves to `now` only when the status changes (a new
    /// condition starts from the empty status, so it always gets `now`).
    pub fn set_condition(
        &mut self,
        condition_type: HpaConditionType,
        status: ConditionStatus,
        reason: &'static str,
        message: String,
        now: SimTime,
    ) {
        match self.conditions.iter_mut().find(|c| c.condition_type == condition_type) {
            Some(c) => {
                if c.status != status {
                    c.last_transition_time = now;
                }
                c.status = status;
                c.reason = reason;
                c.message = message;
            }
            None => self.conditions.push(HpaCondition {
                condition_type,
                status,
                last_transition_time: now,
                reason,
                message,
            }),
        }
    }
}

/// `autoscaling/v2.HorizontalPodAutoscaler`.
#[derive(Clone, Debug, PartialEq)]
pub struct HorizontalPodAutoscaler {
    pub meta: ObjectMeta,
    pub spec: HorizontalPodAutoscalerSpec,
    pub status: HorizontalPodAutoscalerStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn spec_defaults_min_replicas_and_the_cpu_metric() {
        let mut spec =
            HorizontalPodAutoscalerSpec::new(CrossVersionObjectReference::deployment("web"), None, 10, vec![]);
        spec.set_defaults();
        assert_eq!(spec.min_replicas, Some(1));
        assert_eq!(spec.metrics, vec![MetricSpec::resource_utilization(ResourceName::Cpu, 80)]);
        // No behavior stays no behavior: the controller's legacy path.
        assert_eq!(spec.behavior, None);
        // Written values are kept.
        let mut spec = HorizontalPodAutoscalerSpec::new(
            CrossVersionObjectReference::deployment("web"),
            Some(3),
            10,
            vec![MetricSpec::resource_average_value(ResourceName::Memory, q("500Mi"))],
        );
        spec.set_defaults();
        assert_eq!(spec.min_replicas, Some(3));
        assert_eq!(spec.metrics.len(), 1);
        assert_eq!(spec.metrics[0].target().average_value, Some(q("500Mi")));
    }

    /// The defaults of `pkg/apis/autoscaling/v2/defaults.go`: scale up with no window, `Max`
    /// of Pods 4 / 15 s and Percent 100 / 15 s; scale down with the window left to the
    /// controller, `Max`, Percent 100 / 15 s.
    #[test]
    fn empty_behavior_gets_both_directions() {
        let mut b = HorizontalPodAutoscalerBehavior::default();
        b.set_defaults();
        let up = b.scale_up.as_ref().unwrap();
        assert_eq!(up.stabilization_window_seconds, Some(0));
        assert_eq!(up.select_policy, Some(ScalingPolicySelect::Max));
        assert_eq!(up.policies, Some(vec![HpaScalingPolicy::pods(4, 15), HpaScalingPolicy::percent(100, 15)]));
        let down = b.scale_down.as_ref().unwrap();
        assert_eq!(down.stabilization_window_seconds, None);
        assert_eq!(down.select_policy, Some(ScalingPolicySelect::Max));
        assert_eq!(down.policies, Some(vec![HpaScalingPolicy::percent(100, 15)]));
        let again = {
            let mut c = b.clone();
            c.set_defaults();
            c
        };
        assert_eq!(again, b, "defaulting is idempotent");
    }

    #[test]
    fn partial_rules_keep_what_was_written() {
        let mut b = HorizontalPodAutoscalerBehavior {
            scale_up: Some(HpaScalingRules {
                select_policy: Some(ScalingPolicySelect::Disabled),
                ..Default::default()
            }),
            scale_down: Some(HpaScalingRules {
                stabilization_window_seconds: Some(60),
                policies: Some(vec![HpaScalingPolicy::pods(1, 60)]),
                ..Default::default()
            }),
        };
        b.set_defaults();
        let up = b.scale_up.unwrap();
        assert_eq!(up.select_policy, Some(ScalingPolicySelect::Disabled));
        assert_eq!(up.stabilization_window_seconds, Some(0));
        assert_eq!(up.policies.unwrap().len(), 2, "policies come from the defaults");
        let down = b.scale_down.unwrap();
        assert_eq!(down.stabilization_window_seconds, Some(60));
        assert_eq!(down.select_policy, Some(ScalingPolicySelect::Max));
        assert_eq!(down.policies, Some(vec![HpaScalingPolicy::pods(1, 60)]));
    }

    #[test]
    fn set_condition_moves_the_transition_time_only_on_a_status_change() {
        let mut status = HorizontalPodAutoscalerStatus::default();
        let t = SimTime::from_secs;
        status.set_condition(
            HpaConditionType::AbleToScale,
            ConditionStatus::True,
            "SucceededGetScale",
            "a".into(),
            t(15),
        );
        status.set_condition(
            HpaConditionType::ScalingActive,
            ConditionStatus::True,
            "ValidMetricFound",
            "b".into(),
            t(15),
        );
        status.set_condition(
            HpaConditionType::AbleToScale,
            ConditionStatus::True,
            "ReadyForNewScale",
            "c".into(),
            t(30),
        );
        let able = status.condition(HpaConditionType::AbleToScale).unwrap();
        assert_eq!((able.reason, able.message.as_str(), able.last_transition_time), ("ReadyForNewScale", "c", t(15)));
        status.set_condition(
            HpaConditionType::AbleToScale,
            ConditionStatus::False,
            "FailedGetScale",
            "d".into(),
            t(45),
        );
        assert_eq!(status.condition(HpaConditionType::AbleToScale).unwrap().last_transition_time, t(45));
        let order: Vec<_> = status.conditions.iter().map(|c| c.condition_type).collect();
        assert_eq!(order, [HpaConditionType::AbleToScale, HpaConditionType::ScalingActive], "first-set order is kept");
    }

    #[test]
    fn enum_spellings_round_trip() {
        for t in MetricSourceType::ALL {
            assert_eq!(MetricSourceType::parse(t.as_str()), Some(t));
        }
        for t in MetricTargetType::ALL {
            assert_eq!(MetricTargetType::parse(t.as_str()), Some(t));
        }
        assert_eq!(ScalingPolicySelect::parse("Disabled"), Some(ScalingPolicySelect::Disabled));
        assert_eq!(HpaScalingPolicyType::parse("Percent"), Some(HpaScalingPolicyType::Percent));
        assert_eq!(MetricSourceType::parse("resource"), None, "enum values are case-sensitive");
    }
}
