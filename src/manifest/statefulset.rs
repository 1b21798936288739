//! StatefulSets (`apps/v1`), with the API server's defaulting (`SetDefaults_StatefulSet`) and
//! validation (`ValidateStatefulSetSpec`).

use crate::api::meta::ObjectMeta;
use crate::api::statefulset::{
    PodManagementPolicy, PvcRetention, PvcRetentionPolicy, StatefulSet, StatefulSetStatus, StatefulSetUpdateStrategy,
    VolumeClaimTemplate,
};
use crate::decode::{Ctx, DResult};
use crate::yaml::{Node as YamlNode, Pos};

/// `value` must be one of `allowed`, with a "did you mean".
pub(super) fn one_of<'a>(ctx: &Ctx<'_>, node: &YamlNode, path: &str, allowed: &[&'a str]) -> DResult<&'a str> {
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

/// A pod template of a StatefulSet or DaemonSet must not set `activeDeadlineSeconds` (which the
/// pod decoder otherwise accepts and ignores).
pub(super) fn refuse_active_deadline(ctx: &Ctx<'_>, spec_node: &YamlNode, kind: &str) -> DResult<()> {
    if let Some(n) = spec_node.get("template").and_then(|t| t.get("spec")).and_then(|s| s.get("activeDeadlineSeconds"))
        && !n.is_null()
    {
        return Err(ctx.error(
            n.pos,
            "spec.template.spec.activeDeadlineSeconds",
            format!("activeDeadlineSeconds in {kind} is not Supported"),
        ));
    }
    Ok(())
}

pub(super) fn decode_stateful_set(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    spec: Option<&YamlNode>,
    at: Pos,
) -> DResult<StatefulSet> {
    let Some(spec_node) = spec else {
        return Err(ctx.error(at, "spec", "missing required field \"spec\""));
    };
    let mut f = ctx.fields(spec_node, "spec")?;
    let replicas = match f.get("replicas") {
        Some(n) => ctx.non_negative_int32(n, "spec.replicas")?,
        None => 1,
    };
    let service_name = match f.get("serviceName") {
        Some(n) => {
            let name = ctx.string(n, "spec.serviceName")?;
            crate::api::validation::is_dns1123_label(&name)
                .map_err(|e| ctx.error(n.pos, "spec.serviceName", format!("invalid value {name:?}: {e}")))?;
            name
        }
        None => String::new(),
    };
    let pod_management_policy = match f.get("podManagementPolicy") {
        Some(n) => match one_of(ctx, n, "spec.podManagementPolicy", &["OrderedReady", "Parallel"])? {
            "Parallel" => PodManagementPolicy::Parallel,
            _ => PodManagementPolicy::OrderedReady,
        },
        None => PodManagementPolicy::OrderedReady,
    };
    let update_strategy = match f.get("updateStrategy") {
        Some(n) => decode_update_strategy(ctx, n)?,
        None => StatefulSetUpdateStrategy::default(),
    };
    let min_ready_seconds = match f.get("minReadySeconds") {
        Some(n) => ctx.non_negative_int32(n, "spec.minReadySeconds")?,
        None => 0,
    };
    let ordinals_start = match f.get("ordinals") {
        Some(n) => {
            let mut of = ctx.fields(n, "spec.ordinals")?;
            let start = match of.get("start") {
                Some(s) => ctx.non_negative_int32(s, "spec.ordinals.start")?,
                None => 0,
            };
            of.finish(ctx, &[])?;
            start
        }
        None => 0,
    };
    let pvc_retention = match f.get("persistentVolumeClaimRetentionPolicy") {
        Some(n) => {
            let path = "spec.persistentVolumeClaimRetentionPolicy";
            let mut pf = ctx.fields(n, path)?;
            let read = |pf: &mut crate::decode::Fields<'_>, key: &'static str| -> DResult<PvcRetention> {
                Ok(match pf.get(key) {
                    Some(v) => match one_of(ctx, v, &format!("{path}.{key}"), &["Retain", "Delete"])? {
                        "Delete" => PvcRetention::Delete,
                        _ => PvcRetention::Retain,
                    },
                    None => PvcRetention::Retain,
                })
            };
            let when_deleted = read(&mut pf, "whenDeleted")?;
            let when_scaled = read(&mut pf, "whenScaled")?;
            pf.finish(ctx, &[])?;
            PvcRetentionPolicy { when_deleted, when_scaled }
        }
        None => PvcRetentionPolicy::default(),
    };
    let revision_history_limit = match f.get("revisionHistoryLimit") {
        Some(n) => ctx.non_negative_int32(n, "spec.revisionHistoryLimit")?,
        None => 10,
    };
    let volume_claim_templates = match f.get("volumeClaimTemplates") {
        Some(n) => decode_claim_templates(ctx, n)?,
        None => Vec::new(),
    };
    let (selector, template) = super::workload::selector_and_template(ctx, &mut f, spec_node.pos)?;
    refuse_active_deadline(ctx, spec_node, "StatefulSet")?;
    f.finish(ctx, &[])?;
    Ok(StatefulSet {
        meta,
        replicas,
        selector,
        template,
        service_name,
        pod_management_policy,
        update_strategy,
        min_ready_seconds,
        ordinals_start,
        pvc_retention,
        revision_history_limit,
        volume_claim_templates,
        status: StatefulSetStatus::default(),
    })
}

fn decode_update_strategy(ctx: &mut Ctx<'_>, node: &YamlNode) -> DResult<StatefulSetUpdateStrategy> {
    let path = "spec.updateStrategy";
    let mut f = ctx.fields(node, path)?;
    let kind = match f.get("type") {
        Some(n) => one_of(ctx, n, "spec.updateStrategy.type", &["RollingUpdate", "OnDelete"])?,
        None => "RollingUpdate",
    };
    let rolling = f.get("rollingUpdate");
    let strategy = match (kind, rolling) {
        ("OnDelete", Some(r)) => {
            return Err(ctx.error_hint(
                r.pos,
                "spec.updateStrategy.rollingUpdate",
                "only allowed for updateStrategy 'RollingUpdate'",
                "remove rollingUpdate, or write type: RollingUpdate",
            ));
        }
        ("OnDelete", None) => StatefulSetUpdateStrategy::OnDelete,
        (_, None) => StatefulSetUpdateStrategy::RollingUpdate { partition: 0 },
        (_, Some(r)) => {
            let rpath = "spec.updateStrategy.rollingUpdate";
            let mut rf = ctx.fields(r, rpath)?;
            let partition = match rf.get("partition") {
                Some(p) => ctx.non_negative_int32(p, "spec.updateStrategy.rollingUpdate.partition")?,
                None => 0,
            };
            if let Some(m) = rf.get("maxUnavailable") {
                // Read so that a malformed value is still refused, then dropped: the
                // MaxUnavailableStatefulSet gate is off in v1.34 and the API server drops the
                // field (`dropStatefulSetDisabledFields`).
                super::workload::int_or_percent(ctx, m, "spec.updateStrategy.rollingUpdate.maxUnavailable")?;
                ctx.note_unmodelled(
                    "spec.updateStrategy.rollingUpdate.maxUnavailable (the MaxUnavailableStatefulSet gate is off in v1.34; dropped)",
                );
            }
            rf.finish(ctx, &[])?;
            StatefulSetUpdateStrategy::RollingUpdate { partition }
        }
    };
    f.finish(ctx, &[])?;
    Ok(strategy)
}

/// `volumeClaimTemplates`: each is a claim (name, labels, annotations, spec), validated as the
/// API server validates the claims the controller makes from it (`ValidatePersistentVolumeClaim`),
/// so that a template that would make invalid claims is refused when the scenario is loaded
/// rather than when the first pod is created.
fn decode_claim_templates(ctx: &mut Ctx<'_>, node: &YamlNode) -> DResult<Vec<VolumeClaimTemplate>> {
    let mut out: Vec<VolumeClaimTemplate> = Vec::new();
    for (i, item) in ctx.seq(node, "spec.volumeClaimTemplates")?.iter().enumerate() {
        let path = format!("spec.volumeClaimTemplates[{i}]");
        let mut f = ctx.fields(item, &path)?;
        let meta_node = f.require(ctx, "metadata", item.pos)?;
        let mpath = format!("{path}.metadata");
        let mut mf = ctx.fields(meta_node, &mpath)?;
        let name_node = mf.require(ctx, "name", meta_node.pos)?;
        let name = ctx.string(name_node, &format!("{mpath}.name"))?;
        crate::api::validation::is_dns1123_subdomain(&name).map_err(|e| {
            ctx.error_hint(
                name_node.pos,
                &format!("{mpath}.name"),
                format!("invalid name {name:?}: {e}"),
                "use lower-case letters, digits and '-'",
            )
        })?;
        if out.iter().any(|t| t.name == name) {
            return Err(ctx.error(name_node.pos, &format!("{mpath}.name"), format!("Duplicate value: {name:?}")));
        }
        let labels = match mf.get("labels") {
            Some(l) => {
                let labels = ctx.string_map(l, &format!("{mpath}.labels"))?;
                super::validate_labels(ctx, &labels, l, &format!("{mpath}.labels"))?;
                labels
            }
            None => Default::default(),
        };
        let annotations = match mf.get("annotations") {
            Some(a) => ctx.string_map(a, &format!("{mpath}.annotations"))?,
            None => Default::default(),
        };
        mf.finish(ctx, &["namespace", "finalizers", "creationTimestamp"])?;
        let spec_path = format!("{path}.spec");
        let spec = match f.get("spec") {
            Some(spec) => super::storage::decode_claim_spec(ctx, spec, &spec_path)?,
            None => {
                return Err(ctx.error(
                    item.pos,
                    &format!("{spec_path}.accessModes"),
                    "Required value: at least 1 access mode is required",
                ));
            }
        };
        f.finish(ctx, &["apiVersion", "kind", "status"])?;
        out.push(VolumeClaimTemplate { name, labels, annotations, spec });
    }
    Ok(out)
}
