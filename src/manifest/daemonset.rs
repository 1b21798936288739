//! DaemonSets (`apps/v1`), with the API server's defaulting (`SetDefaults_DaemonSet`) and
//! validation (`ValidateDaemonSetSpec`, `ValidateRollingUpdateDaemonSet`).

use crate::api::daemonset::{DaemonSet, DaemonSetStatus, DaemonSetUpdateStrategy};
use crate::api::meta::ObjectMeta;
use crate::api::workload::IntOrPercent;
use crate::decode::{Ctx, DResult};
use crate::yaml::{Node as YamlNode, Pos};

pub(super) fn decode_daemon_set(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    spec: Option<&YamlNode>,
    at: Pos,
) -> DResult<DaemonSet> {
    let Some(spec_node) = spec else {
        return Err(ctx.error(at, "spec", "missing required field \"spec\""));
    };
    let mut f = ctx.fields(spec_node, "spec")?;
    let update_strategy = match f.get("updateStrategy") {
        Some(n) => decode_update_strategy(ctx, n)?,
        None => DaemonSetUpdateStrategy::default(),
    };
    let min_ready_seconds = match f.get("minReadySeconds") {
        Some(n) => ctx.non_negative_int32(n, "spec.minReadySeconds")?,
        None => 0,
    };
    let revision_history_limit = match f.get("revisionHistoryLimit") {
        Some(n) => ctx.non_negative_int32(n, "spec.revisionHistoryLimit")?,
        None => 10,
    };
    let (selector, template) = super::workload::selector_and_template(ctx, &mut f, spec_node.pos)?;
    super::statefulset::refuse_active_deadline(ctx, spec_node, "DaemonSet")?;
    f.finish(ctx, &["templateGeneration"])?;
    Ok(DaemonSet {
        meta,
        selector,
        template,
        update_strategy,
        min_ready_seconds,
        revision_history_limit,
        template_generation: 0,
        status: DaemonSetStatus::default(),
    })
}

fn decode_update_strategy(ctx: &mut Ctx<'_>, node: &YamlNode) -> DResult<DaemonSetUpdateStrategy> {
    let mut f = ctx.fields(node, "spec.updateStrategy")?;
    let kind = match f.get("type") {
        Some(n) => super::statefulset::one_of(ctx, n, "spec.updateStrategy.type", &["RollingUpdate", "OnDelete"])?,
        None => "RollingUpdate",
    };
    let rolling = f.get("rollingUpdate");
    let strategy = if kind == "OnDelete" {
        if rolling.is_some() {
            ctx.note_unmodelled("spec.updateStrategy.rollingUpdate (with type OnDelete)");
        }
        DaemonSetUpdateStrategy::OnDelete
    } else {
        let mut max_unavailable = IntOrPercent::Int(1);
        let mut max_surge = IntOrPercent::Int(0);
        if let Some(r) = rolling {
            let path = "spec.updateStrategy.rollingUpdate";
            let mut rf = ctx.fields(r, path)?;
            let read = |rf: &mut crate::decode::Fields<'_>, key: &'static str, value: &mut IntOrPercent| {
                if let Some(n) = rf.get(key) {
                    let p = format!("{path}.{key}");
                    let v = super::workload::int_or_percent(ctx, n, &p)?;
                    if let IntOrPercent::Percent(x) = v
                        && x > 100
                    {
                        return Err(ctx.error(n.pos, &p, "must not be greater than 100%"));
                    }
                    *value = v;
                }
                Ok(())
            };
            read(&mut rf, "maxUnavailable", &mut max_unavailable)?;
            read(&mut rf, "maxSurge", &mut max_surge)?;
            rf.finish(ctx, &[])?;
            // Exactly one of the two must be non-zero; maxUnavailable defaults to 1, so a surge
            // needs an explicit `maxUnavailable: 0`.
            let nonzero = |v: IntOrPercent| !matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0));
            match (nonzero(max_unavailable), nonzero(max_surge)) {
                (true, true) => {
                    return Err(ctx.error_hint(
                        r.get("maxSurge").map_or(r.pos, |n| n.pos),
                        "spec.updateStrategy.rollingUpdate.maxSurge",
                        "may not be set when maxUnavailable is non-zero",
                        "maxUnavailable defaults to 1: write maxUnavailable: 0 to surge",
                    ));
                }
                (false, false) => {
                    return Err(ctx.error(
                        r.get("maxUnavailable").map_or(r.pos, |n| n.pos),
                        "spec.updateStrategy.rollingUpdate.maxUnavailable",
                        "cannot be 0 when maxSurge is 0",
                    ));
                }
                _ => {}
            }
        }
        DaemonSetUpdateStrategy::RollingUpdate { max_unavailable, max_surge }
    };
    f.finish(ctx, &[])?;
    Ok(strategy)
}
