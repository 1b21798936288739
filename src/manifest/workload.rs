//! ReplicaSets and Deployments.

use crate::api::meta::ObjectMeta;
use crate::api::pod::{PodTemplateSpec, RestartPolicy};
use crate::api::selector::LabelSelector;
use crate::api::workload::{
    Deployment, DeploymentStatus, DeploymentStrategy, IntOrPercent, ReplicaSet, ReplicaSetStatus,
};
use crate::decode::{Ctx, DResult, Fields};
use crate::yaml::{Node as YamlNode, Pos};

/// Reads `selector` and `template` and checks what the API server checks: a selector is
/// required, must not be empty, and must match the template's labels; the template's restart
/// policy must be Always.
pub(super) fn selector_and_template(
    ctx: &mut Ctx<'_>,
    f: &mut Fields<'_>,
    at: Pos,
) -> DResult<(LabelSelector, PodTemplateSpec)> {
    let sel_node = f.require(ctx, "selector", at)?;
    let selector = super::decode_label_selector(ctx, sel_node, &f.child("selector"))?;
    if selector.is_empty() {
        return Err(ctx.error(sel_node.pos, &f.child("selector"), "empty selector is invalid for this workload"));
    }
    let template_node = f.require(ctx, "template", at)?;
    let template = super::decode_pod_template(ctx, template_node, &f.child("template"))?;
    // Point at the field at fault when it is written, else at the template.
    let written =
        |field: &str, key: &str| template_node.get(field).and_then(|m| m.get(key)).map_or(template_node.pos, |n| n.pos);
    if !selector.matches(&template.labels) {
        return Err(ctx.error_hint(
            written("metadata", "labels"),
            &f.child("template.metadata.labels"),
            format!("selector does not match template labels (selector: {selector})"),
            "every label in spec.selector must appear in spec.template.metadata.labels",
        ));
    }
    if template.spec.restart_policy != RestartPolicy::Always {
        return Err(ctx.error(
            written("spec", "restartPolicy"),
            &f.child("template.spec.restartPolicy"),
            format!(
                "unsupported value {:?}: only Always is allowed for this workload",
                template.spec.restart_policy.as_str()
            ),
        ));
    }
    if !template.spec.node_name.is_empty() {
        // Allowed by Kubernetes (pods then bypass the scheduler); kept as given.
    }
    Ok((selector, template))
}

pub(super) fn decode_replica_set(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    spec: Option<&YamlNode>,
    at: Pos,
) -> DResult<ReplicaSet> {
    let Some(spec_node) = spec else {
        return Err(ctx.error(at, "spec", "missing required field \"spec\""));
    };
    let mut f = ctx.fields(spec_node, "spec")?;
    let replicas = match f.get("replicas") {
        Some(n) => ctx.non_negative_int32(n, "spec.replicas")?,
        None => 1,
    };
    let min_ready_seconds = match f.get("minReadySeconds") {
        Some(n) => ctx.non_negative_int32(n, "spec.minReadySeconds")?,
        None => 0,
    };
    let (selector, template) = selector_and_template(ctx, &mut f, spec_node.pos)?;
    f.finish(ctx, &[])?;
    Ok(ReplicaSet { meta, replicas, min_ready_seconds, selector, template, status: ReplicaSetStatus::default() })
}

pub(super) fn decode_deployment(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    spec: Option<&YamlNode>,
    at: Pos,
) -> DResult<Deployment> {
    let Some(spec_node) = spec else {
        return Err(ctx.error(at, "spec", "missing required field \"spec\""));
    };
    let mut f = ctx.fields(spec_node, "spec")?;
    let replicas = match f.get("replicas") {
        Some(n) => ctx.non_negative_int32(n, "spec.replicas")?,
        None => 1,
    };
    let min_ready_seconds = match f.get("minReadySeconds") {
        Some(n) => ctx.non_negative_int32(n, "spec.minReadySeconds")?,
        None => 0,
    };
    let revision_history_limit = match f.get("revisionHistoryLimit") {
        Some(n) => ctx.non_negative_int32(n, "spec.revisionHistoryLimit")?,
        None => 10,
    };
    let progress_deadline_seconds = match f.get("progressDeadlineSeconds") {
        Some(n) => {
            let v = ctx.non_negative_int32(n, "spec.progressDeadlineSeconds")?;
            if v <= min_ready_seconds {
                return Err(ctx.error(n.pos, "spec.progressDeadlineSeconds", "must be greater than minReadySeconds"));
            }
            Some(v)
        }
        None => Some(600),
    };
    let paused = match f.get("paused") {
        Some(n) => ctx.bool(n, "spec.paused")?,
        None => false,
    };
    let strategy = match f.get("strategy") {
        Some(n) => decode_strategy(ctx, n)?,
        None => DeploymentStrategy::default(),
    };
    let (selector, template) = selector_and_template(ctx, &mut f, spec_node.pos)?;
    f.finish(ctx, &[])?;
    Ok(Deployment {
        meta,
        replicas,
        selector,
        template,
        strategy,
        min_ready_seconds,
        revision_history_limit,
        progress_deadline_seconds,
        paused,
        status: DeploymentStatus::default(),
    })
}

fn decode_strategy(ctx: &mut Ctx<'_>, node: &YamlNode) -> DResult<DeploymentStrategy> {
    let mut f = ctx.fields(node, "spec.strategy")?;
    let type_text = match f.get("type") {
        Some(n) => ctx.string(n, "spec.strategy.type")?,
        None => "RollingUpdate".to_string(),
    };
    let rolling = f.get("rollingUpdate");
    let strategy = match type_text.as_str() {
        "Recreate" => {
            if let Some(r) = rolling {
                return Err(ctx.error(
                    r.pos,
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy type is 'Recreate'",
                ));
            }
            DeploymentStrategy::Recreate
        }
        "RollingUpdate" => {
            let mut max_surge = IntOrPercent::Percent(25);
            let mut max_unavailable = IntOrPercent::Percent(25);
            if let Some(r) = rolling {
                let mut rf = ctx.fields(r, "spec.strategy.rollingUpdate")?;
                if let Some(n) = rf.get("maxSurge") {
                    max_surge = int_or_percent(ctx, n, "spec.strategy.rollingUpdate.maxSurge")?;
                }
                if let Some(n) = rf.get("maxUnavailable") {
                    max_unavailable = int_or_percent(ctx, n, "spec.strategy.rollingUpdate.maxUnavailable")?;
                    if let IntOrPercent::Percent(p) = max_unavailable
                        && p > 100
                    {
                        return Err(ctx.error(
                            n.pos,
                            "spec.strategy.rollingUpdate.maxUnavailable",
                            "must not be greater than 100%",
                        ));
                    }
                }
                rf.finish(ctx, &[])?;
                let zero = |v: IntOrPercent| matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0));
                if zero(max_surge) && zero(max_unavailable) {
                    return Err(ctx.error(
                        r.pos,
                        "spec.strategy.rollingUpdate",
                        "maxUnavailable may not be 0 when maxSurge is 0",
                    ));
                }
            }
            DeploymentStrategy::RollingUpdate { max_surge, max_unavailable }
        }
        other => {
            return Err(ctx.error(
                node.pos,
                "spec.strategy.type",
                format!(
                    "unsupported value {other:?}{}: supported values are RollingUpdate, Recreate",
                    crate::suggest::did_you_mean(other, ["RollingUpdate", "Recreate"])
                ),
            ));
        }
    };
    f.finish(ctx, &[])?;
    Ok(strategy)
}

pub(super) fn int_or_percent(ctx: &Ctx<'_>, node: &YamlNode, path: &str) -> DResult<IntOrPercent> {
    let text = ctx.string(node, path)?;
    let v = IntOrPercent::parse(&text).map_err(|e| ctx.error(node.pos, path, e))?;
    let negative = match v {
        IntOrPercent::Int(i) | IntOrPercent::Percent(i) => i < 0,
    };
    if negative {
        return Err(ctx.error(node.pos, path, "must be greater than or equal to 0"));
    }
    Ok(v)
}
