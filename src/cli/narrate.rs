//! Teaching mode: `kubesim run --narrate` tells the whole run in plain words — what changed,
//! which controller reacted, why the scheduler chose each node — and `--step` / `--break-at`
//! pause at each event on a terminal.

use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write as _};

use crate::engine::Simulation;
use crate::kernel::SimTime;

/// One scheduling attempt (a `decisions.jsonl` line) in plain words, with its time.
pub fn decision_line(json: &str) -> Option<(SimTime, String)> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let t = SimTime::from_micros((v["t_s"].as_f64()? * 1e6).round() as u64);
    let pod = v["pod"].as_str()?;
    let text = match v["result"].as_str()? {
        "bound" => {
            let node = v["node"].as_str()?;
            let nodes = v["nodes"].as_array()?;
            let mut scored: Vec<(&str, i64)> =
                nodes.iter().filter_map(|n| Some((n["node"].as_str()?, n["total"].as_i64()?))).collect();
            scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let infeasible = nodes.iter().filter(|n| n["feasible"] == false).count();
            let chosen = nodes.iter().find(|n| n["node"] == node);
            let mut why = String::new();
            match chosen.map(|c| (&c["total"], &c["scores"])) {
                Some((serde_json::Value::Number(total), serde_json::Value::Object(scores))) => {
                    let parts: Vec<String> = scores.iter().map(|(k, s)| format!("{k} {s}")).collect();
                    let _ = write!(why, "score {total} ({})", parts.join(", "));
                    let best = scored.first().map_or(0, |s| s.1);
                    let tied = scored.iter().filter(|s| s.1 == best).count();
                    if tied > 1 {
                        let _ = write!(why, "; {tied} nodes tied, the seeded tie-break picked it");
                    } else if let Some((other, total)) = scored.iter().find(|s| s.0 != node) {
                        let _ = write!(why, "; next best {other} with {total}");
                    }
                }
                _ => why.push_str("the only node that fits"),
            }
            if infeasible > 0 {
                let _ = write!(why, "; {infeasible} node(s) could not take it");
            }
            format!("scheduler binds pod {pod} to node {node}: {why}")
        }
        "unschedulable" => {
            let message = v["message"].as_str().unwrap_or("no node fits");
            let mut line = format!("scheduler cannot place pod {pod}: {message}");
            if let Some(node) = v["preemption"]["nominated_node"].as_str() {
                let victims: Vec<&str> =
                    v["preemption"]["victims"].as_array().into_iter().flatten().filter_map(|x| x.as_str()).collect();
                let _ = write!(line, "; preemption frees node {node} by evicting {}", victims.join(", "));
            }
            line
        }
        other => format!("scheduler: pod {pod}: {other} {}", v["message"].as_str().unwrap_or("")),
    };
    Some((t, text))
}

/// The story lines from narrative line `from_story` and decision `from_decision` on, merged by
/// time (the controllers' lines before the scheduler's at one instant), with the new indexes.
pub fn story_since(
    sim: &Simulation,
    from_story: usize,
    from_decision: usize,
) -> (Vec<(SimTime, String)>, usize, usize) {
    let story = sim.journal().narrative();
    let decisions = sim.decisions();
    let mut lines: Vec<(SimTime, u8, String)> =
        story[from_story.min(story.len())..].iter().map(|(t, l)| (*t, 0, l.clone())).collect();
    lines.extend(decisions[from_decision.min(decisions.len())..].iter().filter_map(|d| {
        let (t, l) = decision_line(d)?;
        Some((t, 1, l))
    }));
    lines.sort_by_key(|(t, k, _)| (*t, *k));
    (lines.into_iter().map(|(t, _, l)| (t, l)).collect(), story.len(), decisions.len())
}

fn print_lines(lines: &[(SimTime, String)]) {
    for (t, l) in lines {
        println!("  [{:>9}] {l}", t.to_string());
    }
}

/// Runs `sim` in teaching mode: prints the story as it happens; from `break_at` on (if
/// stepping), waits for Enter after every event that told something. Returns the run's
/// outcome.
pub fn run_narrated(
    sim: &mut Simulation,
    step: bool,
    break_at: Option<SimTime>,
) -> Result<Result<(), crate::engine::RunError>, String> {
    let stepping_possible = std::io::stdin().is_terminal();
    if (step || break_at.is_some()) && !stepping_possible {
        return Err("--step and --break-at pause for Enter: they need a terminal on standard input".into());
    }
    let (mut at_story, mut at_decision) = (0, 0);
    let mut stepping = step && break_at.is_none();
    let stdin = std::io::stdin();
    println!("what happens (Enter: next event, c: run to the end, q: stop here):");
    loop {
        if !stepping
            && let Some(b) = break_at
            && sim.now() >= b
        {
            stepping = true;
            println!("  -- break at {b} --");
        }
        match sim.step() {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let (lines, _, _) = story_since(sim, at_story, at_decision);
                print_lines(&lines);
                return Ok(Err(e));
            }
        }
        let (lines, s, d) = story_since(sim, at_story, at_decision);
        (at_story, at_decision) = (s, d);
        print_lines(&lines);
        if stepping && !lines.is_empty() {
            print!("  > ");
            let _ = std::io::stdout().flush();
            let mut answer = String::new();
            if stdin.lock().read_line(&mut answer).unwrap_or(0) == 0 {
                stepping = false;
                continue;
            }
            match answer.trim() {
                "c" => stepping = false,
                "q" => return Ok(Ok(())),
                _ => {}
            }
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_read_as_sentences() {
        let bound = r#"{"t_s":0.0,"pod":"default/a","result":"bound","node":"n1","message":null,"nodes":[{"node":"n1","feasible":true,"reason":null,"scores":{"NodeResourcesFit":93,"TaintToleration":100},"total":693},{"node":"n2","feasible":true,"reason":null,"scores":{},"total":682},{"node":"n3","feasible":false,"reason":"Insufficient cpu","scores":{},"total":null}]}"#;
        let (t, line) = decision_line(bound).unwrap();
        assert_eq!(t, SimTime::ZERO);
        assert_eq!(
            line,
            "scheduler binds pod default/a to node n1: score 693 (NodeResourcesFit 93, TaintToleration 100); next best n2 with 682; 1 node(s) could not take it"
        );
        let tie = bound.replace("\"total\":682", "\"total\":693");
        assert!(decision_line(&tie).unwrap().1.contains("2 nodes tied, the seeded tie-break picked it"));
        let pending = r#"{"t_s":1.5,"pod":"default/b","result":"unschedulable","node":null,"message":"0/1 nodes are available: 1 Insufficient cpu.","nodes":[],"preemption":{"nominated_node":"n1","victims":["default/x"],"message":null}}"#;
        let (t, line) = decision_line(pending).unwrap();
        assert_eq!(t, SimTime::from_micros(1_500_000));
        assert_eq!(
            line,
            "scheduler cannot place pod default/b: 0/1 nodes are available: 1 Insufficient cpu.; preemption frees node n1 by evicting default/x"
        );
        assert_eq!(decision_line("not json"), None);
    }
}
