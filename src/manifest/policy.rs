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
