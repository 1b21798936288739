//! HorizontalPodAutoscalers (`autoscaling/v2`, and `autoscaling/v1` converted to it), with the
//! API server's defaulting (`HorizontalPodAutoscalerSpec::set_defaults`) and validation
//! (`pkg/apis/autoscaling/validation`): `minReplicas >= 1` (the `HPAScaleToZero` gate is off),
//! `maxReplicas >= 1` and `>= minReplicas`, a `scaleTargetRef` with a kind and a name, one
//! populated source per metric with a valid target, behavior windows of 0..3600 s and at least
//! one policy per direction, each with a positive value and a period of 1..1800 s.
//!
//! Beyond the API server: the scale target must be a kind the simulator can scale
//! ([`SCALE_TARGET_KINDS`]), and metrics must be Resource metrics on cpu or memory, the usage
//! the load model feeds to the controller; Pods, Object, External and ContainerResource
//! metrics are refused as not simulated yet rather than silently never computed.

use crate::api::autoscaling::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerSpec,
    HorizontalPodAutoscalerStatus, HpaScalingPolicy, HpaScalingPolicyType, HpaScalingRules, MetricSourceType,
    MetricSpec, MetricTarget, MetricTargetType, ResourceMetricSource, ScalingPolicySelect,
};
use crate::api::meta::ObjectMeta;
use crate::api::resources::ResourceName;
use crate::decode::{Ctx, DResult};
use crate::yaml::{Node as YamlNode, Pos};

/// The kinds an HPA may scale here, with the `apiVersion` that serves them. A new scalable
/// kind (StatefulSet) is an entry here, a variant of `controllers::hpa::ScaleTarget` with its arm
/// in `controllers::hpa::read_scale` (the scale subresource and the selector), and its arm where
/// the engine writes the scale (`Simulation::hpa_sync`).
pub const SCALE_TARGET_KINDS: &[(&str, &str)] = &[("Deployment", "apps/v1"), ("ReplicaSet", "apps/v1")];

/// `MaxStabilizationWindowSeconds`.
const MAX_STABILIZATION_WINDOW_SECONDS: i64 = 3600;
/// `MaxPeriodSeconds`.
const MAX_PERIOD_SECONDS: i64 = 1800;

fn not_supported<'a>(ctx: &Ctx<'_>, node: &YamlNode, path: &str, allowed: &[&'a str]) -> DResult<&'a str> {
    let text = ctx.string(node, path)?;
    allowed.iter().copied().find(|a| *a == text).ok_or_else(|| {
        ctx.error(
            node.pos,
            path,
            format!(
                "Unsupported value: {text:?}{}: supported values: {}",
                crate::suggest::did_you_mean(&text, allowed.iter().copied()),
                allowed.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ")
            ),
        )
    })
}

pub(super) fn decode_hpa(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    api_version: &str,
    spec: Option<&YamlNode>,
    at: Pos,
) -> DResult<HorizontalPodAutoscaler> {
    let Some(spec_node) = spec else {
        return Err(ctx.error(at, "spec", "missing required field \"spec\""));
    };
    let mut f = ctx.fields(spec_node, "spec")?;
    let target_node = f.require(ctx, "scaleTargetRef", spec_node.pos)?;
    let target = decode_target(ctx, target_node)?;
    let min_node = f.get("minReplicas");
    let min_replicas = min_node.map(|n| ctx.int32(n, "spec.minReplicas")).transpose()?;
    let max_node = f.require(ctx, "maxReplicas", spec_node.pos)?;
    let max_replicas = ctx.int32(max_node, "spec.maxReplicas")?;
    let mut metrics = Vec::new();
    let mut behavior = None;
    if api_version == "autoscaling/v1" {
        // `targetCPUUtilizationPercentage` is the v1 form of one cpu Utilization metric.
        if let Some(n) = f.get("targetCPUUtilizationPercentage") {
            let percent = ctx.int32(n, "spec.targetCPUUtilizationPercentage")?;
            if percent < 1 {
                return Err(ctx.error(
                    n.pos,
                    "spec.targetCPUUtilizationPercentage",
                    format!("Invalid value: {percent}: must be greater than 0"),
                ));
            }
            metrics.push(MetricSpec::resource_utilization(ResourceName::Cpu, percent));
        }
    } else {
        if let Some(list) = f.get("metrics") {
            for (i, item) in ctx.seq(list, "spec.metrics")?.iter().enumerate() {
                metrics.push(decode_metric(ctx, item, &format!("spec.metrics[{i}]"))?);
            }
        }
        if let Some(b) = f.get("behavior") {
            behavior = Some(decode_behavior(ctx, b)?);
        }
    }
    f.finish(ctx, &[])?;
    if let (Some(min), Some(n)) = (min_replicas, min_node)
        && min < 1
    {
        return Err(ctx.error_hint(
            n.pos,
            "spec.minReplicas",
            format!("Invalid value: {min}: must be greater than or equal to 1"),
            "scaling to zero needs the HPAScaleToZero feature gate (alpha, off) and Object or External metrics",
        ));
    }
    if max_replicas < 1 {
        return Err(ctx.error(
            max_node.pos,
            "spec.maxReplicas",
            format!("Invalid value: {max_replicas}: must be greater than 0"),
        ));
    }
    if let Some(min) = min_replicas
        && max_replicas < min
    {
        return Err(ctx.error(
            max_node.pos,
            "spec.maxReplicas",
            format!("Invalid value: {max_replicas}: must be greater than or equal to `minReplicas`"),
        ));
    }
    let mut spec = HorizontalPodAutoscalerSpec::new(target, min_replicas, max_replicas, metrics);
    spec.behavior = behavior;
    spec.set_defaults();
    Ok(HorizontalPodAutoscaler { meta, spec, status: HorizontalPodAutoscalerStatus::default() })
}

/// `scaleTargetRef`: `ValidateCrossVersionObjectReference`, then a kind kubesim can scale.
fn decode_target(ctx: &mut Ctx<'_>, node: &YamlNode) -> DResult<CrossVersionObjectReference> {
    let path = "spec.scaleTargetRef";
    let mut f = ctx.fields(node, path)?;
    let kind_node = f.require(ctx, "kind", node.pos)?;
    let name_node = f.require(ctx, "name", node.pos)?;
    let api_node = f.get("apiVersion");
    f.finish(ctx, &[])?;
    let segment = |n: &YamlNode, key: &str| -> DResult<String> {
        let kpath = format!("{path}.{key}");
        let v = ctx.string(n, &kpath)?;
        if v.is_empty() {
            return Err(ctx.error(n.pos, &kpath, "Required value"));
        }
        crate::api::validation::is_valid_path_segment_name(&v)
            .map_err(|e| ctx.error(n.pos, &kpath, format!("Invalid value: {v:?}: {e}")))?;
        Ok(v)
    };
    let kind = segment(kind_node, "kind")?;
    let name = segment(name_node, "name")?;
    let kinds: Vec<&str> = SCALE_TARGET_KINDS.iter().map(|(k, _)| *k).collect();
    let Some(&(_, group_version)) = SCALE_TARGET_KINDS.iter().find(|(k, _)| *k == kind) else {
        return Err(ctx.error_hint(
            kind_node.pos,
            &format!("{path}.kind"),
            format!(
                "scaling a {kind:?} is not simulated yet{}",
                crate::suggest::did_you_mean(&kind, kinds.iter().copied())
            ),
            format!("kinds kubesim can scale: {}", kinds.join(", ")),
        ));
    };
    let api_version = match api_node {
        Some(n) => ctx.string(n, &format!("{path}.apiVersion"))?,
        None => String::new(),
    };
    if api_version != group_version {
        return Err(ctx.error_hint(
            api_node.map_or(node.pos, |n| n.pos),
            &format!("{path}.apiVersion"),
            format!(
                "the HPA controller finds a {kind} through its apiVersion, and {} does not serve it",
                if api_version.is_empty() { "an empty one".to_string() } else { format!("{api_version:?}") }
            ),
            format!("write apiVersion: {group_version}"),
        ));
    }
    Ok(CrossVersionObjectReference { kind, name, api_version })
}

const METRIC_MEMBERS: [(MetricSourceType, &str); 5] = [
    (MetricSourceType::Object, "object"),
    (MetricSourceType::Pods, "pods"),
    (MetricSourceType::Resource, "resource"),
    (MetricSourceType::ContainerResource, "containerResource"),
    (MetricSourceType::External, "external"),
];

/// `validateMetricSpec` for one metric, then the simulator's restriction to Resource metrics.
fn decode_metric(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<MetricSpec> {
    let mut f = ctx.fields(node, path)?;
    let type_node = f.get("type");
    let members: Vec<(MetricSourceType, &str, &YamlNode)> = METRIC_MEMBERS
        .iter()
        .filter_map(|&(t, key)| {
            let key: &'static str = key;
            f.get(key).map(|n| (t, key, n))
        })
        .collect();
    f.finish(ctx, &[])?;
    let Some(type_node) = type_node else {
        return Err(ctx.error_hint(
            node.pos,
            &format!("{path}.type"),
            "Required value: must specify a metric source type",
            "e.g. type: Resource with resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}",
        ));
    };
    let names = MetricSourceType::ALL.map(MetricSourceType::as_str);
    let metric_type = MetricSourceType::parse(not_supported(ctx, type_node, &format!("{path}.type"), &names)?)
        .expect("one of the names");
    let expected = METRIC_MEMBERS.iter().find(|(t, _)| *t == metric_type).map(|(_, k)| *k).expect("every type");
    let Some(&(_, _, source)) = members.iter().find(|(t, _, _)| *t == metric_type) else {
        return Err(ctx.error_hint(
            node.pos,
            &format!("{path}.{expected}"),
            "Required value: must populate information for the given metric source",
            format!("type: {metric_type} goes with {expected}: {{...}}"),
        ));
    };
    if let Some((_, key, n)) = members.iter().find(|(t, _, _)| *t != metric_type) {
        return Err(ctx.error(
            n.pos,
            &format!("{path}.{key}"),
            "Forbidden: must populate the given metric source only",
        ));
    }
    if metric_type != MetricSourceType::Resource {
        return Err(ctx.error_hint(
            type_node.pos,
            &format!("{path}.type"),
            format!("{metric_type} metrics are not simulated yet: the load model feeds the HPA the cpu and memory usage of pods"),
            "use type: Resource with resource: {name: cpu (or memory), target: {type: Utilization, averageUtilization: 50}}",
        ));
    }
    let rpath = format!("{path}.resource");
    let mut rf = ctx.fields(source, &rpath)?;
    let name_node = rf.get("name");
    let target_node = rf.get("target");
    rf.finish(ctx, &[])?;
    let Some(name_node) = name_node else {
        return Err(ctx.error(source.pos, &format!("{rpath}.name"), "Required value: must specify a resource name"));
    };
    let name_text = ctx.string(name_node, &format!("{rpath}.name"))?;
    let name = ResourceName::parse(&name_text).map_err(|e| {
        ctx.error(name_node.pos, &format!("{rpath}.name"), format!("Invalid value: {name_text:?}: {e}"))
    })?;
    if !matches!(name, ResourceName::Cpu | ResourceName::Memory) {
        return Err(ctx.error_hint(
            name_node.pos,
            &format!("{rpath}.name"),
            format!("{name_text:?} metrics are not simulated: the resource metrics API (metrics-server) reports cpu and memory only"),
            "use name: cpu or name: memory",
        ));
    }
    let Some(target_node) = target_node else {
        return Err(ctx.error(
            source.pos,
            &format!("{rpath}.target.type"),
            "Required value: must specify a metric target type",
        ));
    };
    let target = decode_target_value(ctx, target_node, &format!("{rpath}.target"))?;
    if target.average_utilization.is_none() && target.average_value.is_none() {
        return Err(ctx.error_hint(
            target_node.pos,
            &format!("{rpath}.target.averageUtilization"),
            "Required value: must set either a target raw value or a target utilization",
            "e.g. target: {type: Utilization, averageUtilization: 50} or {type: AverageValue, averageValue: 500m}",
        ));
    }
    if target.average_utilization.is_some() && target.average_value.is_some() {
        return Err(ctx.error(
            target_node.get("averageValue").map_or(target_node.pos, |n| n.pos),
            &format!("{rpath}.target.averageValue"),
            "Forbidden: may not set both a target raw value and a target utilization",
        ));
    }
    Ok(MetricSpec::Resource(ResourceMetricSource { name, target }))
}

/// `validateMetricTarget`.
fn decode_target_value(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<MetricTarget> {
    let mut f = ctx.fields(node, path)?;
    let type_node = f.get("type");
    let value = f.get("value");
    let average_value = f.get("averageValue");
    let average_utilization = f.get("averageUtilization");
    f.finish(ctx, &[])?;
    let Some(type_node) = type_node else {
        return Err(ctx.error(node.pos, &format!("{path}.type"), "Required value: must specify a metric target type"));
    };
    let names = MetricTargetType::ALL.map(MetricTargetType::as_str);
    let target_type = MetricTargetType::parse(not_supported(ctx, type_node, &format!("{path}.type"), &names)?)
        .expect("one of the names");
    let positive = |n: Option<&YamlNode>, key: &str| -> DResult<Option<crate::api::quantity::Quantity>> {
        let Some(n) = n else { return Ok(None) };
        let kpath = format!("{path}.{key}");
        let q = ctx.quantity(n, &kpath)?;
        if q.sign() != 1 {
            return Err(ctx.error(n.pos, &kpath, format!("Invalid value: \"{q}\": must be positive")));
        }
        Ok(Some(q))
    };
    let value = positive(value, "value")?;
    let average_value = positive(average_value, "averageValue")?;
    let average_utilization = match average_utilization {
        Some(n) => {
            let v = ctx.int32(n, &format!("{path}.averageUtilization"))?;
            if v < 1 {
                return Err(ctx.error(
                    n.pos,
                    &format!("{path}.averageUtilization"),
                    format!("Invalid value: {v}: must be greater than 0"),
                ));
            }
            Some(v)
        }
        None => None,
    };
    Ok(MetricTarget { target_type, value, average_value, average_utilization })
}

/// `spec.behavior`: both directions, each validated by `validateScalingRules` after the API
/// server's defaulting fills what is absent.
fn decode_behavior(ctx: &mut Ctx<'_>, node: &YamlNode) -> DResult<HorizontalPodAutoscalerBehavior> {
    let mut f = ctx.fields(node, "spec.behavior")?;
    let up = f.get("scaleUp");
    let down = f.get("scaleDown");
    f.finish(ctx, &[])?;
    let mut behavior = HorizontalPodAutoscalerBehavior {
        scale_up: up.map(|n| decode_rules(ctx, n, "spec.behavior.scaleUp")).transpose()?,
        scale_down: down.map(|n| decode_rules(ctx, n, "spec.behavior.scaleDown")).transpose()?,
    };
    behavior.set_defaults();
    for (rules, n, path) in
        [(&behavior.scale_up, up, "spec.behavior.scaleUp"), (&behavior.scale_down, down, "spec.behavior.scaleDown")]
    {
        if rules.as_ref().and_then(|r| r.policies.as_ref()).is_some_and(Vec::is_empty) {
            return Err(ctx.error(
                n.and_then(|n| n.get("policies")).map_or(node.pos, |p| p.pos),
                &format!("{path}.policies"),
                "Required value: must specify at least one Policy",
            ));
        }
    }
    Ok(behavior)
}

fn decode_rules(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<HpaScalingRules> {
    let mut f = ctx.fields(node, path)?;
    let mut rules = HpaScalingRules::default();
    if let Some(n) = f.get("stabilizationWindowSeconds") {
        let kpath = format!("{path}.stabilizationWindowSeconds");
        let v = ctx.int32(n, &kpath)?;
        if v < 0 {
            return Err(ctx.error(n.pos, &kpath, format!("Invalid value: {v}: must be greater than or equal to zero")));
        }
        if i64::from(v) > MAX_STABILIZATION_WINDOW_SECONDS {
            return Err(ctx.error(
                n.pos,
                &kpath,
                format!("Invalid value: {v}: must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"),
            ));
        }
        rules.stabilization_window_seconds = Some(v);
    }
    if let Some(n) = f.get("selectPolicy") {
        let text = not_supported(ctx, n, &format!("{path}.selectPolicy"), &["Disabled", "Max", "Min"])?;
        rules.select_policy = ScalingPolicySelect::parse(text);
    }
    if let Some(list) = f.get("policies") {
        let mut policies = Vec::new();
        for (i, item) in ctx.seq(list, &format!("{path}.policies"))?.iter().enumerate() {
            let ppath = format!("{path}.policies[{i}]");
            let mut pf = ctx.fields(item, &ppath)?;
            let type_node = pf.require(ctx, "type", item.pos)?;
            let value_node = pf.require(ctx, "value", item.pos)?;
            let period_node = pf.require(ctx, "periodSeconds", item.pos)?;
            pf.finish(ctx, &[])?;
            let policy_type = HpaScalingPolicyType::parse(not_supported(
                ctx,
                type_node,
                &format!("{ppath}.type"),
                &["Percent", "Pods"],
            )?)
            .expect("one of the names");
            let value = ctx.int32(value_node, &format!("{ppath}.value"))?;
            if value <= 0 {
                return Err(ctx.error(
                    value_node.pos,
                    &format!("{ppath}.value"),
                    format!("Invalid value: {value}: must be greater than zero"),
                ));
            }
            let period = ctx.int32(period_node, &format!("{ppath}.periodSeconds"))?;
            if period <= 0 {
                return Err(ctx.error(
                    period_node.pos,
                    &format!("{ppath}.periodSeconds"),
                    format!("Invalid value: {period}: must be greater than zero"),
                ));
            }
            if i64::from(period) > MAX_PERIOD_SECONDS {
                return Err(ctx.error(
                    period_node.pos,
                    &format!("{ppath}.periodSeconds"),
                    format!("Invalid value: {period}: must be less than or equal to {MAX_PERIOD_SECONDS}"),
                ));
            }
            policies.push(HpaScalingPolicy { policy_type, value, period_seconds: period });
        }
        rules.policies = Some(policies);
    }
    // `tolerance` needs the HPAConfigurableTolerance gate (alpha, off): the API server drops it.
    f.finish(ctx, &["tolerance"])?;
    Ok(rules)
}
