//! `kubesim explain`: why one pod is where it is, or why it is still pending, told from the
//! scheduler's record of that pod's attempts ([`Simulation::watch_pod`], the structure of a
//! `decisions.jsonl` line) and the pod's state at the time asked about.
//!
//! Pure rendering: the CLI runs the simulation and prints what this module returns.

use std::fmt::Write as _;

use serde_json::Value;

use crate::engine::Simulation;
use crate::kernel::SimTime;
use crate::store::PodId;

/// How many scored nodes the text shows (the chosen one first).
const TOP_NODES: usize = 5;

/// Splits `NAMESPACE/NAME`; a bare `NAME` is in namespace `default`.
pub fn parse_pod_ref(text: &str) -> Result<(String, String), String> {
    let (namespace, name) = match text.split_once('/') {
        Some((ns, name)) => (ns, name),
        None => ("default", text),
    };
    if namespace.is_empty() || name.is_empty() || name.contains('/') {
        return Err(format!("--pod {text:?}: expected NAMESPACE/NAME, e.g. default/web-0"));
    }
    Ok((namespace.to_string(), name.to_string()))
}

/// The pod `namespace/name` as of now in `sim` (the latest pod of that name, if it was
/// deleted and re-created), or an error that suggests the names that exist.
pub fn find_pod(sim: &Simulation, namespace: &str, name: &str) -> Result<PodId, String> {
    let store = sim.store();
    if let Some(i) = store.pod_entries().rposition(|p| p.namespace() == namespace && p.name() == name) {
        return Ok(PodId(i as u32));
    }
    let wanted = format!("{namespace}/{name}");
    let mut keys: Vec<String> = store.pod_entries().map(|p| p.key()).collect();
    keys.dedup();
    let mut message = format!("no pod {wanted} at virtual time {}", sim.now());
    let suggestion = crate::suggest::did_you_mean(&wanted, keys.iter().map(String::as_str));
    if !suggestion.is_empty() {
        message.push_str(&suggestion);
        return Err(message);
    }
    if keys.is_empty() {
        message.push_str(": no pod exists yet");
        return Err(message);
    }
    // No close name: list the ones that share the most with it.
    let mut similar: Vec<&String> = keys.iter().filter(|k| k.contains(name) || name.contains(k.as_str())).collect();
    if similar.is_empty() {
        similar = keys.iter().collect();
    }
    let shown: Vec<&str> = similar.iter().take(5).map(|k| k.as_str()).collect();
    let more = if similar.len() > shown.len() { format!(", ... ({} in all)", similar.len()) } else { String::new() };
    let _ = write!(message, "; pods: {}{more}", shown.join(", "));
    Err(message)
}

/// The last recorded attempt as a `decisions.jsonl` line, or `null`.
pub fn explain_json(sim: &Simulation) -> String {
    match sim.watched_decisions().last() {
        Some(d) => d.to_string(),
        None => "null".to_string(),
    }
}

/// A virtual time printed like the rest of kubesim (`1m30s`) from a decision's `t_s`.
fn time_of(decision: &Value) -> SimTime {
    let seconds = decision["t_s"].as_f64().unwrap_or(0.0).max(0.0);
    SimTime::from_micros((seconds * 1e6).round() as u64)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("{n} {one}") } else { format!("{n} {many}") }
}

/// The text explanation of pod `id` (which must be the watched pod).
pub fn explain_text(sim: &Simulation, id: PodId) -> String {
    let store = sim.store();
    let pod = store.pod_entry(id);
    let spec = pod.spec();
    let decisions = sim.watched_decisions();
    let mut out = String::new();
    let phase = pod.shown_phase();
    let node = pod.node().map(|n| store.node(n).meta.name.clone());
    let _ = write!(out, "pod {} at {}: {phase}", pod.key(), sim.now());
    match &node {
        Some(n) => {
            let _ = writeln!(out, " on node {n}");
        }
        None => out.push_str(", not scheduled\n"),
    }
    if store.is_removed(id) || pod.finished_at().is_some() {
        let when = pod.finished_at().map(|t| format!(" at {t}")).unwrap_or_default();
        let why = if pod.reason().is_empty() { String::new() } else { format!(" ({})", pod.reason()) };
        let what = if store.is_removed(id) { "removed" } else { "finished" };
        let _ = writeln!(out, "  {what}{when}{why}");
    }
    let profile = sim.scheduler().profiles().iter().find(|p| p.name() == spec.scheduler_name);
    let Some(last) = decisions.last() else {
        // Never attempted by the scheduler.
        let reason = if !spec.node_name.is_empty() && node.is_some() {
            format!("spec.nodeName names {}: the pod was bound without the scheduler", spec.node_name)
        } else if !spec.node_name.is_empty() {
            format!("spec.nodeName names {:?}, which does not exist: no scheduler looks at the pod", spec.node_name)
        } else if profile.is_none() {
            format!(
                "spec.schedulerName {:?} matches no profile of spec.scheduler: no scheduler picks the pod up",
                spec.scheduler_name
            )
        } else if !spec.scheduling_gates.is_empty() {
            format!(
                "it has schedulingGates ({}): it is not queued until they are removed",
                spec.scheduling_gates.join(", ")
            )
        } else {
            "the scheduler has not attempted it yet".to_string()
        };
        let _ = writeln!(out, "  {reason}");
        return out;
    };
    let profile_name = profile.map_or(spec.scheduler_name.as_str(), |p| p.name());
    let attempts = plural(decisions.len(), "scheduling attempt", "scheduling attempts");
    let when = time_of(last);
    let nodes = last["nodes"].as_array().map(Vec::as_slice).unwrap_or_default();
    let infeasible: Vec<&Value> = nodes.iter().filter(|n| n["feasible"] != Value::Bool(true)).collect();
    let feasible: Vec<&Value> = nodes.iter().filter(|n| n["feasible"] == Value::Bool(true)).collect();
    let total_nodes = store.node_count();
    match last["result"].as_str().unwrap_or_default() {
        "bound" => {
            let chosen = last["node"].as_str().unwrap_or_default();
            let _ = writeln!(out, "  bound to {chosen} at {when} by profile {profile_name}, after {attempts}");
            let examined = if nodes.len() < total_nodes {
                format!("{} of {total_nodes} nodes examined (percentageOfNodesToScore)", nodes.len())
            } else {
                plural(nodes.len(), "node examined", "nodes examined")
            };
            if feasible.len() <= 1 {
                let _ = writeln!(out, "  {examined}; only {chosen} was feasible, so it was chosen without scoring");
            } else {
                let _ =
                    writeln!(out, "  {examined}, {} feasible; normalized scores (0..100) and weights:", feasible.len());
                write_score_table(&mut out, &feasible, chosen, profile.map(|p| p.resolved.score.as_slice()));
                write_tie(&mut out, &feasible, chosen);
            }
        }
        "unschedulable" => {
            let message = last["message"].as_str().unwrap_or_default();
            let _ = writeln!(out, "  {attempts} by profile {profile_name}; the last, at {when}, found no node:");
            let _ = writeln!(out, "  {message}");
        }
        _ => {
            let message = last["message"].as_str().unwrap_or_default();
            let _ = writeln!(out, "  {attempts} by profile {profile_name}; the last, at {when}, failed: {message}");
        }
    }
    if !infeasible.is_empty() {
        let _ = writeln!(out, "  not feasible ({}):", plural(infeasible.len(), "node", "nodes"));
        let width = infeasible.iter().map(|n| n["node"].as_str().unwrap_or_default().len()).max().unwrap_or(0);
        for n in &infeasible {
            let name = n["node"].as_str().unwrap_or_default();
            let reason = n["reason"].as_str().unwrap_or("rejected");
            let _ = writeln!(out, "    {name:<width$}  {reason}");
        }
    }
    out
}

/// The score table of the top nodes: one column per score plugin (in the profile's order, with
/// its weight), then the weighted total.
fn write_score_table(out: &mut String, feasible: &[&Value], chosen: &str, weights: Option<&[(String, i64)]>) {
    let mut plugins: Vec<(String, Option<i64>)> =
        weights.unwrap_or_default().iter().map(|(n, w)| (n.clone(), Some(*w))).collect();
    for n in feasible {
        if let Some(scores) = n["scores"].as_object() {
            for name in scores.keys() {
                if !plugins.iter().any(|(p, _)| p == name) {
                    plugins.push((name.clone(), None));
                }
            }
        }
    }
    plugins.retain(|(name, _)| feasible.iter().any(|n| n["scores"].get(name).is_some()));
    let mut ranked: Vec<&Value> = feasible.to_vec();
    // Highest total first; the chosen node first among equals; otherwise examination order.
    ranked.sort_by_key(|n| (std::cmp::Reverse(n["total"].as_i64().unwrap_or(i64::MIN)), n["node"] != chosen));
    let shown = ranked.len().min(TOP_NODES);

    let name_width =
        ranked[..shown].iter().map(|n| n["node"].as_str().unwrap_or_default().len() + 2).max().unwrap_or(0).max(8);
    let mut header = format!("    {:<name_width$}", "node");
    let mut weight_row = format!("    {:<name_width$}", "weight");
    let widths: Vec<usize> = plugins.iter().map(|(p, _)| p.len().max(5)).collect();
    for ((name, weight), w) in plugins.iter().zip(&widths) {
        let _ = write!(header, "  {name:>w$}");
        let weight = weight.map_or("?".to_string(), |x| x.to_string());
        let _ = write!(weight_row, "  {weight:>w$}");
    }
    let _ = writeln!(out, "{header}  {:>7}", "total");
    let _ = writeln!(out, "{weight_row}");
    for n in &ranked[..shown] {
        let name = n["node"].as_str().unwrap_or_default();
        let label = if name == chosen { format!("{name} *") } else { name.to_string() };
        let mut row = format!("    {label:<name_width$}");
        for ((plugin, _), w) in plugins.iter().zip(&widths) {
            let score = n["scores"].get(plugin).and_then(Value::as_i64).map_or("-".to_string(), |s| s.to_string());
            let _ = write!(row, "  {score:>w$}");
        }
        let total = n["total"].as_i64().map_or("-".to_string(), |t| t.to_string());
        let _ = writeln!(out, "{row}  {total:>7}");
    }
    if ranked.len() > shown {
        let _ = writeln!(out, "    ... {} more feasible", plural(ranked.len() - shown, "node", "nodes"));
    }
    let _ = writeln!(out, "    (* chosen; total = sum of score × weight)");
}

fn write_tie(out: &mut String, feasible: &[&Value], chosen: &str) {
    let best = feasible.iter().filter_map(|n| n["total"].as_i64()).max();
    let Some(best) = best else { return };
    let tied: Vec<&str> =
        feasible.iter().filter(|n| n["total"].as_i64() == Some(best)).filter_map(|n| n["node"].as_str()).collect();
    if tied.len() > 1 {
        let _ = writeln!(
            out,
            "  tie-break: {} nodes tied at the highest total {best} ({}); the seeded tie-break (stream scheduler.tiebreak) picked {chosen}",
            tied.len(),
            tied.join(", ")
        );
    } else {
        let _ = writeln!(out, "  no tie-break: {chosen} alone had the highest total, {best}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_references() {
        assert_eq!(parse_pod_ref("ns/web-0"), Ok(("ns".into(), "web-0".into())));
        assert_eq!(parse_pod_ref("web-0"), Ok(("default".into(), "web-0".into())));
        assert!(parse_pod_ref("/x").is_err());
        assert!(parse_pod_ref("a/b/c").is_err());
        assert!(parse_pod_ref("a/").is_err());
    }
}
