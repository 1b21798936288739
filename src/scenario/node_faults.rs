//! The node fault events of a scenario: `failZone` / `recoverZone`, `partitionNode` /
//! `healNode`, `nodeCondition`, `removeNode` and `addNodes` — their decoding and the
//! load-time checks that need every event (node names that `addNodes` creates, known zones).

use std::collections::BTreeSet;

use super::{Action, AddNodes, ScriptedEvent};
use crate::api::meta::ConditionStatus;
use crate::api::node::{Node, labels};
use crate::decode::{Ctx, DResult};
use crate::manifest::{Manifest, Object};
use crate::store::NodeConditionType;
use crate::yaml::{Node as YamlNode, Value};

/// The conditions a kubelet reports that `nodeCondition` may set.
const CONDITION_TYPES: [&str; 4] = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];
const CONDITION_STATUSES: [&str; 3] = ["True", "False", "Unknown"];
/// At most this many nodes per `addNodes`.
const MAX_ADDED: i64 = 100_000;

/// Decodes one of the fault events (`key` is its name).
pub(super) fn decode_fault(ctx: &mut Ctx<'_>, key: &str, value: &YamlNode, vpath: &str) -> DResult<Action> {
    Ok(match key {
        "failZone" | "recoverZone" => {
            let zone = ctx.string(value, vpath)?;
            crate::api::validation::is_valid_label_value(&zone).map_err(|e| ctx.error(value.pos, vpath, e))?;
            if zone.is_empty() {
                return Err(ctx.error(value.pos, vpath, "the zone must not be empty"));
            }
            if key == "failZone" { Action::FailZone(zone) } else { Action::RecoverZone(zone) }
        }
        "partitionNode" => Action::PartitionNode(ctx.string(value, vpath)?),
        "healNode" => Action::HealNode(ctx.string(value, vpath)?),
        "nodeCondition" => {
            let mut f = ctx.fields(value, vpath)?;
            let node = ctx.string(f.require(ctx, "node", value.pos)?, &format!("{vpath}.node"))?;
            let type_node = f.require(ctx, "type", value.pos)?;
            let status_node = f.require(ctx, "status", value.pos)?;
            f.finish(ctx, &[])?;
            let tpath = format!("{vpath}.type");
            let condition = match ctx.string(type_node, &tpath)?.as_str() {
                "Ready" => NodeConditionType::Ready,
                "MemoryPressure" => NodeConditionType::MemoryPressure,
                "DiskPressure" => NodeConditionType::DiskPressure,
                "PIDPressure" => NodeConditionType::PidPressure,
                other => {
                    return Err(ctx.error_hint(
                        type_node.pos,
                        &tpath,
                        format!(
                            "unknown node condition {other:?}{}",
                            crate::suggest::did_you_mean(other, CONDITION_TYPES)
                        ),
                        "the kubelet reports Ready, MemoryPressure, DiskPressure and PIDPressure",
                    ));
                }
            };
            let spath = format!("{vpath}.status");
            let status = match ctx.string(status_node, &spath)?.as_str() {
                "True" => ConditionStatus::True,
                "False" => ConditionStatus::False,
                "Unknown" => ConditionStatus::Unknown,
                other => {
                    return Err(ctx.error_hint(
                        status_node.pos,
                        &spath,
                        format!(
                            "unknown condition status {other:?}{}",
                            crate::suggest::did_you_mean(other, CONDITION_STATUSES)
                        ),
                        "write \"True\", \"False\" or \"Unknown\"",
                    ));
                }
            };
            Action::NodeCondition { node, condition, status }
        }
        "removeNode" => match &value.value {
            Value::Scalar(_) => Action::RemoveNode { node: ctx.string(value, vpath)?, notice: None },
            _ => {
                let mut f = ctx.fields(value, vpath)?;
                let node = ctx.string(f.require(ctx, "node", value.pos)?, &format!("{vpath}.node"))?;
                let notice = match f.get("notice") {
                    Some(n) => {
                        let npath = format!("{vpath}.notice");
                        let d = ctx.duration(n, &npath).map_err(|mut e| {
                            e.hint = Some("the notice is a positive duration such as 2m (spot reclamation)".into());
                            e
                        })?;
                        if d.is_zero() {
                            return Err(ctx.error_hint(
                                n.pos,
                                &npath,
                                "must be greater than zero",
                                "omit notice to remove the node at once",
                            ));
                        }
                        Some(d)
                    }
                    None => None,
                };
                f.finish(ctx, &[])?;
                Action::RemoveNode { node, notice }
            }
        },
        _ => {
            let mut f = ctx.fields(value, vpath)?;
            let pool_node = f.require(ctx, "pool", value.pos)?;
            let pool = ctx.string(pool_node, &format!("{vpath}.pool"))?;
            crate::api::validation::is_dns1123_label(&pool)
                .map_err(|e| ctx.error(pool_node.pos, &format!("{vpath}.pool"), e))?;
            let count =
                ctx.int_in(f.require(ctx, "count", value.pos)?, &format!("{vpath}.count"), 1, MAX_ADDED)? as usize;
            let mut zones = Vec::new();
            if let Some(z) = f.get("zones") {
                for zn in ctx.seq(z, &format!("{vpath}.zones"))? {
                    let zone = ctx.string(zn, &format!("{vpath}.zones"))?;
                    crate::api::validation::is_valid_label_value(&zone)
                        .map_err(|e| ctx.error(zn.pos, &format!("{vpath}.zones"), e))?;
                    zones.push(zone);
                }
            }
            let fields = crate::manifest::decode_node_fields(ctx, &mut f, value.pos)?;
            f.finish(ctx, &[])?;
            Action::AddNodes(AddNodes { pool, count, zones, fields })
        }
    })
}

/// The number `k` of a node named `<pool>-<k>`.
pub(crate) fn pool_number(pool: &str, name: &str) -> Option<usize> {
    let digits = name.strip_prefix(pool)?.strip_prefix('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    digits.parse().ok()
}

/// The first number free for `pool`: one past the highest `<pool>-<k>` among `names`.
pub(crate) fn next_pool_number<'a>(pool: &str, names: impl IntoIterator<Item = &'a str>) -> usize {
    names.into_iter().filter_map(|n| pool_number(pool, n)).map(|k| k + 1).max().unwrap_or(0)
}

/// Scripted events in the order they happen (time, then file order).
fn in_time_order(events: &[ScriptedEvent]) -> Vec<&ScriptedEvent> {
    let mut ordered: Vec<&ScriptedEvent> = events.iter().collect();
    ordered.sort_by_key(|e| e.at);
    ordered
}

fn manifest_nodes(manifests: &[Manifest]) -> impl Iterator<Item = &Node> {
    manifests.iter().filter_map(|m| match &m.object {
        Object::Node(n) => Some(n),
        _ => None,
    })
}

/// The names of the nodes `addNodes` events create, computed as the engine does: each event
/// continues its pool's numbering past every node name known at its time (removed nodes
/// included, names are never reused).
pub(super) fn added_node_names(nodes: &[Node], manifests: &[Manifest], events: &[ScriptedEvent]) -> Vec<String> {
    let mut names: BTreeSet<String> =
        nodes.iter().chain(manifest_nodes(manifests)).map(|n| n.meta.name.clone()).collect();
    let mut added = Vec::new();
    for ev in in_time_order(events) {
        match &ev.action {
            Action::Apply(ms) => names.extend(manifest_nodes(ms).map(|n| n.meta.name.clone())),
            Action::AddNodes(a) => {
                let first = next_pool_number(&a.pool, names.iter().map(String::as_str));
                for k in first..first + a.count {
                    let name = format!("{}-{k}", a.pool);
                    names.insert(name.clone());
                    added.push(name);
                }
            }
            _ => {}
        }
    }
    added
}

/// Every zone a node of the scenario may carry (`topology.kubernetes.io/zone`).
pub(super) fn known_zones(nodes: &[Node], manifests: &[Manifest], events: &[ScriptedEvent]) -> BTreeSet<String> {
    let zone_of = |n: &Node| n.meta.labels.get(labels::ZONE).cloned();
    let mut zones: BTreeSet<String> = nodes.iter().chain(manifest_nodes(manifests)).filter_map(zone_of).collect();
    for ev in events {
        match &ev.action {
            Action::Apply(ms) => zones.extend(manifest_nodes(ms).filter_map(zone_of)),
            Action::AddNodes(a) => {
                zones.extend(a.zones.iter().cloned());
                zones.extend(a.fields.labels.get(labels::ZONE).cloned());
            }
            _ => {}
        }
    }
    zones
}

/// `failZone` / `recoverZone` name a zone some node carries.
pub(super) fn check_zone_event(
    ctx: &Ctx<'_>,
    action: &Action,
    item: &YamlNode,
    path: &str,
    zones: &BTreeSet<String>,
) -> DResult<()> {
    let (key, zone) = match action {
        Action::FailZone(z) => ("failZone", z),
        Action::RecoverZone(z) => ("recoverZone", z),
        _ => return Ok(()),
    };
    if zones.contains(zone) {
        return Ok(());
    }
    let hint = if zones.is_empty() {
        "no node has a topology.kubernetes.io/zone label: give nodes a zone (spec.cluster.nodes[].zone, nodePools[].zones)"
            .to_string()
    } else {
        let list: Vec<&str> = zones.iter().map(String::as_str).take(8).collect();
        format!("zones come from the nodes' topology.kubernetes.io/zone labels: {}", list.join(", "))
    };
    Err(ctx.error_hint(
        item.get(key).map_or(item.pos, |n| n.pos),
        &format!("{path}.{key}"),
        format!("no node is in zone {zone:?}{}", crate::suggest::did_you_mean(zone, zones.iter().map(String::as_str))),
        hint,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_numbering_continues_past_the_highest_name() {
        assert_eq!(pool_number("web", "web-3"), Some(3));
        assert_eq!(pool_number("web", "web-03"), None);
        assert_eq!(pool_number("web", "webx-3"), None);
        assert_eq!(pool_number("web", "web-"), None);
        assert_eq!(next_pool_number("web", ["web-0", "web-7", "db-9", "web-x"]), 8);
        assert_eq!(next_pool_number("web", ["db-0"]), 0);
    }
}
