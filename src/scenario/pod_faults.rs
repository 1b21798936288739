//! The fault events of a scenario that act on pods and on the control plane: `failProbe`
//! (a pod's liveness or readiness probe fails for a while) and `controlPlaneOutage` (some or
//! all control-plane components are down for a while). See `docs/scenario.md`.

use crate::control_plane::Component;
use crate::decode::{Ctx, DResult};
use crate::kernel::SimDuration;
use crate::kubelet::probes::ProbeKind;
use crate::yaml::Node as YamlNode;

/// `failProbe: {pod: NS/NAME, probe: liveness|readiness, for: D}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailProbe {
    pub namespace: String,
    pub pod: String,
    pub probe: ProbeKind,
    pub duration: SimDuration,
}

/// `controlPlaneOutage: {for: D, components: [...]}`: the components (all when omitted, in
/// [`Component::ALL`] order) are down for `duration`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outage {
    pub duration: SimDuration,
    pub components: Vec<Component>,
}

/// A positive duration at `key` of the mapping `f`.
fn positive_duration(
    ctx: &Ctx<'_>,
    f: &mut crate::decode::Fields<'_>,
    node: &YamlNode,
    key: &'static str,
    path: &str,
) -> DResult<SimDuration> {
    let n = f.require(ctx, key, node.pos)?;
    let kpath = format!("{path}.{key}");
    let text = ctx.string(n, &kpath)?;
    if text.trim_start().starts_with('-') {
        return Err(ctx.error_hint(n.pos, &kpath, format!("must not be negative, got {text:?}"), "e.g. 30s or 5m"));
    }
    let d = ctx.duration(n, &kpath)?;
    if d.is_zero() {
        return Err(ctx.error_hint(n.pos, &kpath, "must be longer than zero", "e.g. 30s or 5m"));
    }
    Ok(d)
}

pub(super) fn decode_fail_probe(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<FailProbe> {
    let mut f = ctx.fields(node, path)?;
    let pod_node = f.require(ctx, "pod", node.pos)?;
    let ppath = format!("{path}.pod");
    let text = ctx.string(pod_node, &ppath)?;
    let (namespace, pod) = match text.split('/').collect::<Vec<_>>().as_slice() {
        [name] if !name.is_empty() => ("default".to_string(), name.to_string()),
        [ns, name] if !ns.is_empty() && !name.is_empty() => (ns.to_string(), name.to_string()),
        _ => {
            return Err(ctx.error_hint(
                pod_node.pos,
                &ppath,
                format!("{text:?} does not name a pod"),
                "write NAMESPACE/NAME, e.g. default/web-0",
            ));
        }
    };
    let probe_node = f.require(ctx, "probe", node.pos)?;
    let probe_path = format!("{path}.probe");
    let probe = match ctx.string(probe_node, &probe_path)?.as_str() {
        "liveness" => ProbeKind::Liveness,
        "readiness" => ProbeKind::Readiness,
        other => {
            return Err(ctx.error(
                probe_node.pos,
                &probe_path,
                format!(
                    "unknown probe {other:?}{}: use liveness or readiness",
                    crate::suggest::did_you_mean(other, ["liveness", "readiness"])
                ),
            ));
        }
    };
    let duration = positive_duration(ctx, &mut f, node, "for", path)?;
    f.finish(ctx, &[])?;
    Ok(FailProbe { namespace, pod, probe, duration })
}

pub(super) fn decode_outage(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<Outage> {
    let mut f = ctx.fields(node, path)?;
    let duration = positive_duration(ctx, &mut f, node, "for", path)?;
    let components = decode_components(ctx, f.get("components"), &format!("{path}.components"))?;
    f.finish(ctx, &[])?;
    Ok(Outage { duration, components })
}

/// A list of control-plane components (`apiserver`, `etcd`, `scheduler`,
/// `controller-manager`, or the binaries' `kube-` names); absent: all of them, in
/// [`Component::ALL`] order.
pub(crate) fn decode_components(ctx: &Ctx<'_>, list: Option<&YamlNode>, cpath: &str) -> DResult<Vec<Component>> {
    let Some(list) = list else { return Ok(Component::ALL.to_vec()) };
    let mut out = Vec::new();
    let items = ctx.seq(list, cpath)?;
    if items.is_empty() {
        return Err(ctx.error_hint(
            list.pos,
            cpath,
            "no component is down",
            "name at least one component, or omit components for all of them",
        ));
    }
    for (i, item) in items.iter().enumerate() {
        let ipath = format!("{cpath}[{i}]");
        let name = ctx.string(item, &ipath)?;
        let Some(c) = Component::parse(&name) else {
            let names = Component::ALL.map(Component::as_str);
            return Err(ctx.error_hint(
                item.pos,
                &ipath,
                format!("unknown control-plane component {name:?}{}", crate::suggest::did_you_mean(&name, names)),
                format!("known: {}", names.join(", ")),
            ));
        };
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}
