//! PriorityClasses (`scheduling.k8s.io/v1`) and PodDisruptionBudgets (`policy/v1`), with the
//! API server's defaulting and validation.

use crate::api::meta::ObjectMeta;
use crate::api::policy::{PdbStatus, PodDisruptionBudget, UnhealthyPodEvictionPolicy};
use crate::api::scheduling::{PreemptionPolicy, PriorityClass};
use crate::api::workload::IntOrPercent;
use crate::decode::{Ctx, DResult, Fields};
use crate::yaml::{Node as YamlNode, Pos, Value};

/// A PriorityClass: its fields sit at the top level of the document, beside `metadata`.
pub(super) fn decode_priority_class(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    top: &mut Fields<'_>,
    at: Pos,
) -> DResult<PriorityClass> {
    let value_node = top.require(ctx, "value", at)?;
    let value = ctx.int32(value_node, "value")?;
    let global_default = match top.get("globalDefault") {
        Some(n) => ctx.bool(n, "globalDefault")?,
        None => false,
    };
    let preemption_policy = match top.get("preemptionPolicy") {
        Some(n) => {
            let text = ctx.string(n, "preemptionPolicy")?;
            PreemptionPolicy::parse(&text).map_err(|e| ctx.error(n.pos, "preemptionPolicy", e))?
        }
        None => PreemptionPolicy::PreemptLowerPriority,
    };
    let description = match top.get("description") {
        Some(n) => ctx.string(n, "description")?,
        None => String::new(),
    };
    let class = PriorityClass { meta, value, global_default, preemption_policy, description };
    class.validate().map_err(|e| {
        let pos = if class.meta.name.starts_with("system-") { at } else { value_node.pos };
        ctx.error_hint(
            pos,
            "value",
            e,
            "user classes take values up to 1000000000; names starting with system- are reserved",
        )
    })?;
    Ok(class)
}

/// A PodDisruptionBudget.
pub(super) fn decode_pdb(ctx: &mut Ctx<'_>, meta: ObjectMeta, spec: Option<&YamlNode>) -> DResult<PodDisruptionBudget> {
    let mut pdb = PodDisruptionBudget {
        meta,
        min_available: None,
        max_unavailable: None,
        selector: None,
        unhealthy_pod_eviction_policy: None,
        status: PdbStatus::default(),
    };
    // A PodDisruptionBudget without a spec is valid: it selects nothing.
    let Some(spec_node) = spec else { return Ok(pdb) };
    let mut f = ctx.fields(spec_node, "spec")?;
    let min = f.get("minAvailable");
    let max = f.get("maxUnavailable");
    if let Some(n) = min {
        pdb.min_available = Some(int_or_percent(ctx, n, "spec.minAvailable")?);
    }
    if let Some(n) = max {
        pdb.max_unavailable = Some(int_or_percent(ctx, n, "spec.maxUnavailable")?);
    }
    if let (Some(_), Some(n)) = (min, max) {
        return Err(ctx.error_hint(
            n.pos,
            "spec",
            "minAvailable and maxUnavailable cannot be both set",
            "keep one of them",
        ));
    }
    if let Some(n) = f.get("selector") {
        pdb.selector = Some(super::decode_label_selector(ctx, n, "spec.selector")?);
    }
    if let Some(n) = f.get("unhealthyPodEvictionPolicy") {
        let text = ctx.string(n, "spec.unhealthyPodEvictionPolicy")?;
        pdb.unhealthy_pod_eviction_policy = Some(match text.as_str() {
            "IfHealthyBudget" => UnhealthyPodEvictionPolicy::IfHealthyBudget,
            "AlwaysAllow" => UnhealthyPodEvictionPolicy::AlwaysAllow,
            _ => {
                return Err(ctx.error(
                    n.pos,
                    "spec.unhealthyPodEvictionPolicy",
                    format!(
                        "unsupported value {text:?}{}: supported values are IfHealthyBudget, AlwaysAllow",
                        crate::suggest::did_you_mean(&text, ["IfHealthyBudget", "AlwaysAllow"])
                    ),
                ));
            }
        });
    }
    f.finish(ctx, &[])?;
    Ok(pdb)
}

/// `intstr.IntOrString` as PodDisruptionBudgets validate it (`ValidatePositiveIntOrPercent`,
/// `IsNotMoreThan100Percent`): a non-negative integer, or a string `N%` with N in 0..=100. A
/// quoted number is a string, and not a valid percentage.
fn int_or_percent(ctx: &Ctx<'_>, node: &YamlNode, path: &str) -> DResult<IntOrPercent> {
    let (text, quoted) = match &node.value {
        Value::Scalar(s) => (s.text.clone(), s.quoted),
        _ => {
            return Err(ctx.error(
                node.pos,
                path,
                format!("expected an integer or a percentage, found {}", node.describe()),
            ));
        }
    };
    if !quoted && let Ok(v) = text.parse::<i64>() {
        if v < 0 {
            return Err(ctx.error(node.pos, path, format!("must be greater than or equal to 0, got {v}")));
        }
        let v = i32::try_from(v).map_err(|_| ctx.error(node.pos, path, format!("{v} is out of range")))?;
        return Ok(IntOrPercent::Int(v));
    }
    let digits = text.strip_suffix('%').filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    let Some(digits) = digits else {
        return Err(ctx.error_hint(
            node.pos,
            path,
            format!(
                "invalid value {text:?}: a valid percent string must be a numeric string followed by an ending '%'"
            ),
            "write an integer such as 2, or a percentage such as \"50%\"",
        ));
    };
    match digits.parse::<i32>() {
        Ok(p) if p <= 100 => Ok(IntOrPercent::Percent(p)),
        _ => Err(ctx.error(node.pos, path, format!("invalid value {text:?}: must not be greater than 100%"))),
    }
}

/// `LimitRange` with `SetDefaults_LimitRangeItem`: for Container items, `default` takes `max`
/// where missing, `defaultRequest` takes `default`, then `min`, where missing.
pub(super) fn decode_limit_range(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    spec: Option<&YamlNode>,
    at: Pos,
) -> DResult<crate::api::quota::LimitRange> {
    use crate::api::quota::{LimitRange, LimitRangeItem, LimitType};
    let Some(spec_node) = spec else {
        return Err(ctx.error(at, "spec", "missing required field \"spec\""));
    };
    let mut f = ctx.fields(spec_node, "spec")?;
    let limits_node = f.require(ctx, "limits", spec_node.pos)?;
    let mut limits = Vec::new();
    for (i, item) in ctx.seq(limits_node, "spec.limits")?.iter().enumerate() {
        let path = format!("spec.limits[{i}]");
        let mut lf = ctx.fields(item, &path)?;
        let type_node = lf.require(ctx, "type", item.pos)?;
        let kind = match ctx.string(type_node, &format!("{path}.type"))?.as_str() {
            "Container" => LimitType::Container,
            "Pod" => LimitType::Pod,
            "PersistentVolumeClaim" => LimitType::PersistentVolumeClaim,
            other => {
                return Err(ctx.error(
                    type_node.pos,
                    &format!("{path}.type"),
                    format!("unsupported value {other:?}: supported values: \"Container\", \"Pod\", \"PersistentVolumeClaim\""),
                ));
            }
        };
        let mut list =
            |key: &'static str, lf: &mut crate::decode::Fields<'_>| -> DResult<crate::api::resources::ResourceList> {
                match lf.get(key) {
                    Some(n) => super::pod::decode_resource_list(ctx, n, &format!("{path}.{key}")),
                    None => Ok(Default::default()),
                }
            };
        let max = list("max", &mut lf)?;
        let min = list("min", &mut lf)?;
        let mut default = list("default", &mut lf)?;
        let mut default_request = list("defaultRequest", &mut lf)?;
        let max_limit_request_ratio = list("maxLimitRequestRatio", &mut lf)?;
        lf.finish(ctx, &[])?;
        if kind != LimitType::Container && (!default.is_empty() || !default_request.is_empty()) {
            return Err(ctx.error(
                item.pos,
                &path,
                format!("default and defaultRequest may not be specified when type is {}", kind.as_str()),
            ));
        }
        if kind == LimitType::Container {
            for (r, q) in &max {
                default.get_or_insert_with(r.clone(), || q.clone());
            }
            for (r, q) in default.iter().chain(&min) {
                default_request.get_or_insert_with(r.clone(), || q.clone());
            }
        }
        for (r, lo) in &min {
            if let Some(hi) = max.get(r)
                && lo > hi
            {
                return Err(ctx.error(
                    item.pos,
                    &format!("{path}.min[{r}]"),
                    format!("min value {lo} is greater than max value {hi}"),
                ));
            }
        }
        limits.push(LimitRangeItem { kind: Some(kind), max, min, default, default_request, max_limit_request_ratio });
    }
    f.finish(ctx, &[])?;
    Ok(LimitRange { meta, limits })
}

/// `ResourceQuota` (`spec.hard`); scopes are refused as not simulated. Names kubesim does not
/// count (object counts other than pods, storage) are accepted and listed as not simulated.
pub(super) fn decode_resource_quota(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    spec: Option<&YamlNode>,
    at: Pos,
) -> DResult<crate::api::quota::ResourceQuota> {
    let Some(spec_node) = spec else {
        return Err(ctx.error(at, "spec", "missing required field \"spec\""));
    };
    let mut f = ctx.fields(spec_node, "spec")?;
    let mut hard = std::collections::BTreeMap::new();
    if let Some(n) = f.get("hard") {
        let map = ctx.string_map(n, "spec.hard")?;
        for (name, text) in &map {
            let value_at = n.get(name).map_or(n.pos, |v| v.pos);
            let q = crate::api::quantity::Quantity::parse(text)
                .map_err(|e| ctx.error(value_at, &format!("spec.hard.{name}"), e.to_string()))?;
            if q < crate::api::quantity::Quantity::default() {
                return Err(ctx.error(value_at, &format!("spec.hard.{name}"), "must be greater than or equal to 0"));
            }
            if crate::api::quota::quota_resource(name).is_none() {
                ctx.note_unmodelled(&format!("spec.hard.{name} (not counted)"));
            }
            hard.insert(name.clone(), q);
        }
    }
    for key in ["scopes", "scopeSelector"] {
        if let Some(n) = f.get(key) {
            return Err(ctx.error_hint(
                n.pos,
                &format!("spec.{key}"),
                format!("spec.{key} is not simulated yet"),
                "remove it: the quota then counts every pod of its namespace",
            ));
        }
    }
    f.finish(ctx, &[])?;
    Ok(crate::api::quota::ResourceQuota { meta, hard })
}
