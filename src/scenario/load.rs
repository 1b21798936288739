//! `spec.load`: the requests offered to Services (see `docs/scenario.md`). Each entry names a
//! Service of the scenario's manifests (or of an `apply` event), a rate shape (`constant`,
//! `steps`, `daily` or `csv`) and whether the traffic comes from inside the cluster
//! (`internal`); external traffic must have an Ingress that routes to the Service.

use std::collections::BTreeSet;

use crate::decode::{Ctx, DResult};
use crate::load::{LoadEntry, Shape, Step, parse_csv, parse_rate};
use crate::manifest::{Manifest, Object};
use crate::yaml::Node as YamlNode;

use super::{Action, ScriptedEvent, SourceLoader};

const SHAPES: [&str; 4] = ["constant", "steps", "daily", "csv"];

/// Every manifest the run may create: `spec.manifests` and the objects of `apply` events.
fn all_objects<'a>(manifests: &'a [Manifest], events: &'a [ScriptedEvent]) -> impl Iterator<Item = &'a Object> {
    let applied = events.iter().flat_map(|e| match &e.action {
        Action::Apply(ms) => ms.as_slice(),
        _ => &[],
    });
    manifests.iter().chain(applied).map(|m| &m.object)
}

pub(super) fn decode_load(
    ctx: &mut Ctx<'_>,
    list: &YamlNode,
    loader: &dyn SourceLoader,
    manifests: &[Manifest],
    events: &[ScriptedEvent],
) -> DResult<Vec<LoadEntry>> {
    let services: BTreeSet<String> = all_objects(manifests, events)
        .filter_map(|o| match o {
            Object::Service(s) => Some(s.meta.key()),
            _ => None,
        })
        .collect();
    let mut entries = Vec::new();
    for (i, item) in ctx.seq(list, "spec.load")?.iter().enumerate() {
        let path = format!("spec.load[{i}]");
        let mut f = ctx.fields(item, &path)?;
        let service_node = f.require(ctx, "service", item.pos)?;
        let rps_node = f.require(ctx, "requestsPerSecond", item.pos)?;
        let internal = match f.get("internal") {
            Some(n) => ctx.bool(n, &format!("{path}.internal"))?,
            None => false,
        };
        f.finish(ctx, &[])?;
        let spath = format!("{path}.service");
        let text = ctx.string(service_node, &spath)?;
        let (namespace, name) = match text.split_once('/') {
            Some((ns, name)) => (ns.to_string(), name.to_string()),
            None => ("default".to_string(), text.clone()),
        };
        crate::api::validation::is_dns1123_label(&namespace)
            .and_then(|()| crate::api::validation::is_dns1035_label(&name))
            .map_err(|e| {
                ctx.error_hint(
                    service_node.pos,
                    &spath,
                    format!("invalid Service reference {text:?}: {e}"),
                    "write NAMESPACE/NAME, e.g. default/web",
                )
            })?;
        let key = format!("{namespace}/{name}");
        if !services.contains(&key) {
            return Err(ctx.error_hint(
                service_node.pos,
                &spath,
                format!("no Service {key}{}", crate::suggest::did_you_mean(&key, services.iter().map(String::as_str))),
                "a load entry names a Service of spec.manifests or of an apply event, as NAMESPACE/NAME",
            ));
        }
        let shape = decode_shape(ctx, rps_node, &format!("{path}.requestsPerSecond"), loader)?;
        if !internal {
            let exposed = all_objects(manifests, events).any(|o| match o {
                Object::Ingress(ing) => ing.meta.namespace == namespace && ing.exposes(&name),
                _ => false,
            });
            if !exposed {
                return Err(ctx.error_hint(
                    item.pos,
                    &path,
                    format!("service {key} is not exposed by any Ingress"),
                    "add an Ingress rule, or set internal: true for in-cluster traffic",
                ));
            }
        }
        entries.push(LoadEntry {
            namespace,
            service: name,
            shape,
            internal,
            file: ctx.file.to_string(),
            pos: item.pos,
        });
    }
    Ok(entries)
}

fn rate(ctx: &Ctx<'_>, node: &YamlNode, path: &str) -> DResult<u64> {
    let text = ctx.string(node, path)?;
    parse_rate(&text).map_err(|e| ctx.error(node.pos, path, e))
}

fn decode_shape(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str, loader: &dyn SourceLoader) -> DResult<Shape> {
    let mut f = ctx.fields(node, path)?;
    let mut found: Vec<(&'static str, &YamlNode)> = Vec::new();
    for key in SHAPES {
        if let Some(v) = f.get(key) {
            found.push((key, v));
        }
    }
    f.finish(ctx, &[])?;
    let [(key, value)] = found.as_slice() else {
        return Err(ctx.error_hint(
            node.pos,
            path,
            if found.is_empty() { "no rate shape given" } else { "a rate has exactly one shape" },
            "write one of {constant: 50}, {steps: [{at: 0s, rps: 50}, ...]}, {daily: {min: 10, max: 100, peakAt: 12h}}, {csv: FILE}",
        ));
    };
    let vpath = format!("{path}.{key}");
    Ok(match *key {
        "constant" => Shape::Constant(rate(ctx, value, &vpath)?),
        "steps" => {
            let mut steps: Vec<Step> = Vec::new();
            let items = ctx.seq(value, &vpath)?;
            if items.is_empty() {
                return Err(ctx.error(value.pos, &vpath, "at least one step is needed: [{at: 0s, rps: 50}, ...]"));
            }
            for (j, item) in items.iter().enumerate() {
                let ipath = format!("{vpath}[{j}]");
                let mut sf = ctx.fields(item, &ipath)?;
                let at_node = sf.require(ctx, "at", item.pos)?;
                let rps_node = sf.require(ctx, "rps", item.pos)?;
                sf.finish(ctx, &[])?;
                let at = ctx.duration(at_node, &format!("{ipath}.at"))?;
                if at.as_micros() % 1_000_000 != 0 {
                    return Err(ctx.error_hint(
                        at_node.pos,
                        &format!("{ipath}.at"),
                        format!("{at} is not a whole number of seconds"),
                        "load is evaluated at whole virtual seconds",
                    ));
                }
                let at_secs = at.as_micros() / 1_000_000;
                if let Some(prev) = steps.last()
                    && at_secs <= prev.at_secs
                {
                    return Err(ctx.error(
                        at_node.pos,
                        &format!("{ipath}.at"),
                        "steps must be in increasing time: this one is not after the previous one",
                    ));
                }
                steps.push(Step { at_secs, rate: rate(ctx, rps_node, &format!("{ipath}.rps"))? });
            }
            Shape::Steps(steps)
        }
        "daily" => {
            let mut df = ctx.fields(value, &vpath)?;
            let min_node = df.require(ctx, "min", value.pos)?;
            let max_node = df.require(ctx, "max", value.pos)?;
            let peak_node = df.require(ctx, "peakAt", value.pos)?;
            df.finish(ctx, &[])?;
            let min = rate(ctx, min_node, &format!("{vpath}.min"))?;
            let max = rate(ctx, max_node, &format!("{vpath}.max"))?;
            if max < min {
                return Err(ctx.error(max_node.pos, &format!("{vpath}.max"), "must not be below min"));
            }
            let peak_at = ctx.duration(peak_node, &format!("{vpath}.peakAt"))?;
            if peak_at.as_micros() >= crate::load::DAY_SECS * 1_000_000 {
                return Err(ctx.error_hint(
                    peak_node.pos,
                    &format!("{vpath}.peakAt"),
                    format!("{peak_at} is not within a day"),
                    "peakAt is the time of day of the peak, from 0s to just under 24h",
                ));
            }
            Shape::Daily { min, max, peak_at }
        }
        _ => {
            let rel = ctx.string(value, &vpath)?;
            let (display, text) = crate::scenario::load_referenced(ctx, loader, &rel, value.pos, &vpath)?;
            let steps = parse_csv(&text).map_err(|e| {
                crate::scenario::error_in_file(
                    ctx,
                    &display,
                    (e.line, e.col),
                    &vpath,
                    e.message,
                    "rows are t_s,rps: whole seconds in increasing order, then requests per second".into(),
                )
            })?;
            Shape::Csv { file: display, steps }
        }
    })
}
