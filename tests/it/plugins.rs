//! Plugins from outside the engine: Rust plugins registered in a `PluginRegistry`, and
//! ExternalPolicy processes (the shipped Python example, and misbehaving ones written as tiny
//! scripts in a temporary directory).

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use kubesim::api::pod::Pod;
use kubesim::engine::{RunError, RunOptions, Simulation};
use kubesim::scenario::{NoFiles, Scenario};
use kubesim::scheduler::custom::PluginRegistry;
use kubesim::scheduler::framework::{NodeInfo, Plugin, Score, Status};
use kubesim::scheduler::registry::Points;

use crate::support::{kubesim, load, root, temp_dir};

// ---- Rust plugins ---------------------------------------------------------------------------

/// Scores 100 on nodes with the label `label=value`, 0 elsewhere.
struct PreferLabel {
    label: String,
    value: String,
}

impl Plugin for PreferLabel {
    fn name(&self) -> &'static str {
        "PreferLabel"
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
}

impl Score for PreferLabel {
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        Ok(if node.labels.get(&self.label) == Some(&self.value) { 100 } else { 0 })
    }
}

fn registry() -> PluginRegistry {
    let mut registry = PluginRegistry::new();
    registry
        .register("PreferLabel", Points::SCORE, |args| {
            let text = args.get("label").and_then(|v| v.as_str()).ok_or("args.label is required, e.g. disk=ssd")?;
            let (label, value) = text.split_once('=').ok_or_else(|| format!("label {text:?} is not key=value"))?;
            Ok(Box::new(PreferLabel { label: label.into(), value: value.into() }) as Box<dyn Plugin>)
        })
        .unwrap();
    registry
}

/// Two nodes; the one labelled disk=ssd has less free cpu, so only PreferLabel sends the pod
/// there. `{plugins}` and `{config}` are spliced into the profile.
fn label_scenario(plugins: &str, config: &str) -> String {
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: prefer-label}}
spec:
  until: 1m
  cluster:
    nodes:
      - {{name: plain, allocatable: {{cpu: "8", memory: 16Gi}}}}
      - {{name: fast, allocatable: {{cpu: "2", memory: 16Gi}}, labels: {{disk: ssd}}}}
  scheduler:
    profiles:
      - schedulerName: default-scheduler
        plugins:
          multiPoint:
            enabled: [{plugins}]
        pluginConfig: [{config}]
  manifests:
    - inline:
        apiVersion: v1
        kind: Pod
        metadata: {{name: p}}
        spec: {{containers: [{{name: c, resources: {{requests: {{cpu: 500m}}}}}}]}}
"#
    )
}

fn node_of(sim: &Simulation, name: &str) -> String {
    let store = sim.store();
    let pod = store.pod(store.pod_id("default", name).expect("pod exists"));
    store.node(pod.status.node.expect("bound")).meta.name.clone()
}

#[test]
fn a_registered_score_plugin_decides_placement() {
    let text = label_scenario("{name: PreferLabel, weight: 10}", "{name: PreferLabel, args: {label: disk=ssd}}");
    let scenario = Scenario::parse_with(&text, "t.yaml", &NoFiles, &registry()).unwrap_or_else(|e| panic!("{e}"));
    let options = RunOptions { trace_decisions: true, check_invariants: true, ..RunOptions::default() };
    let mut sim = Simulation::new(Arc::new(scenario.clone()), None, None, options);
    sim.run().unwrap();
    assert_eq!(node_of(&sim, "p"), "fast");
    let decisions = sim.take_decisions();
    assert!(decisions[0].contains(r#""PreferLabel":100"#), "{}", decisions[0]);

    // Without the plugin, the default scoring prefers the node with more free cpu.
    let text = label_scenario("", "");
    let mut sim = Simulation::new(Arc::new(crate::support::parse(&text)), None, None, options);
    sim.run().unwrap();
    assert_eq!(node_of(&sim, "p"), "plain");
}

/// Scores 150 on the nodes labelled disk=ssd: out of kube-scheduler's [0, 100] range.
struct Overshoot;

impl Plugin for Overshoot {
    fn name(&self) -> &'static str {
        "Overshoot"
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
}

impl Score for Overshoot {
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        Ok(if node.labels.get("disk").is_some_and(|v| v == "ssd") { 150 } else { 0 })
    }
}

#[test]
fn a_score_out_of_range_is_a_scheduling_error() {
    let mut registry = registry();
    registry.register("Overshoot", Points::SCORE, |_| Ok(Box::new(Overshoot) as Box<dyn Plugin>)).unwrap();
    let text = label_scenario("{name: Overshoot, weight: 1}", "");
    let scenario = Scenario::parse_with(&text, "t.yaml", &NoFiles, &registry).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Simulation::new(Arc::new(scenario), None, None, RunOptions::default());
    // The errored pod waits out its backoff between attempts (kube-scheduler's podErrorBackoffQ,
    // which an idle scheduler does not pop early), so the minute ends well inside maxEvents.
    sim.run().unwrap();
    // As kube-scheduler's RunScorePlugins: the cycle fails, the pod stays pending with the error.
    let store = sim.store();
    let pod_id = store.pod_id("default", "p").expect("pod exists");
    let pod = store.pod(pod_id);
    assert_eq!(pod.status.node, None);
    // Attempts at 0 s, then after backoffs of 1, 2, 4, 8 and 10 s (flushed on 1 s ticks):
    // 1, 3, 7, 15, 25, 35, 45, 55 s.
    assert_eq!(sim.scheduler().queue.attempts(pod_id), 9);
    let reason = pod.status.unschedulable_reason().expect("the error is on the pod");
    assert_eq!(
        reason,
        "scheduling error: plugin \"Overshoot\" returns an invalid score 150, it should in the range of [0, 100] after normalizing"
    );
}

#[test]
fn unknown_plugin_names_are_located_and_suggest_registered_ones() {
    let text = label_scenario("{name: PreferLabl, weight: 10}", "");
    let err = Scenario::parse_with(&text, "t.yaml", &NoFiles, &registry()).unwrap_err().to_string();
    assert!(err.starts_with("t.yaml:15:30: "), "{err}");
    assert!(err.contains("unknown plugin \"PreferLabl\" (did you mean \"PreferLabel\"?)"), "{err}");

    // The same name without the registry is unknown.
    let text = label_scenario("{name: PreferLabel, weight: 10}", "{name: PreferLabel, args: {label: a=b}}");
    let err = Scenario::parse(&text, "t.yaml", &NoFiles).unwrap_err().to_string();
    assert!(err.starts_with("t.yaml:15:30: "), "{err}");
    assert!(err.contains("unknown plugin \"PreferLabel\""), "{err}");

    // So is a pluginConfig entry for an unregistered name.
    let text = label_scenario("", "{name: PreferLabl, args: {}}");
    let err = Scenario::parse_with(&text, "t.yaml", &NoFiles, &registry()).unwrap_err().to_string();
    assert!(
        err.contains("pluginConfig[0].name: unknown plugin \"PreferLabl\" (did you mean \"PreferLabel\"?)"),
        "{err}"
    );
}

#[test]
fn registered_plugin_args_are_checked_at_load_time() {
    let text = label_scenario("{name: PreferLabel, weight: 10}", "{name: PreferLabel, args: {label: ssd}}");
    let err = Scenario::parse_with(&text, "t.yaml", &NoFiles, &registry()).unwrap_err().to_string();
    assert!(err.starts_with("t.yaml:16:50: "), "{err}");
    assert!(err.contains("pluginConfig[0].args: plugin \"PreferLabel\": label \"ssd\" is not key=value"), "{err}");

    // Enabled without pluginConfig: the constructor gets null args, and says what it needs.
    let text = label_scenario("{name: PreferLabel, weight: 10}", "");
    let err = Scenario::parse_with(&text, "t.yaml", &NoFiles, &registry()).unwrap_err().to_string();
    assert!(err.contains("plugin \"PreferLabel\": args.label is required"), "{err}");
    assert!(err.contains("hint: give its args under pluginConfig"), "{err}");
}

// ---- ExternalPolicy -------------------------------------------------------------------------

fn python3() -> bool {
    Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Skips a test that needs python3, saying so.
macro_rules! require_python3 {
    () => {
        if !python3() {
            eprintln!("SKIPPED: python3 is not on PATH; this test runs a Python policy process");
            return;
        }
    };
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).expect("summary.json")).unwrap()
}

#[test]
fn the_shipped_external_policy_scenario_passes_through_the_cli() {
    require_python3!();
    let mut digests = Vec::new();
    for run in 0..2 {
        let out = temp_dir(&format!("external-policy-{run}"));
        let o =
            kubesim(&["run", "scenarios/external-policy.yaml", "--out", out.to_str().unwrap(), "--trace", "decisions"]);
        assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
        let s = summary(&out);
        assert_eq!(s["checks_failed"], 0);
        assert_eq!(s["checks_passed"], 4);
        assert!(s["stopped_early"].is_null());
        let decisions = std::fs::read_to_string(out.join("decisions.jsonl")).unwrap();
        let probe: serde_json::Value =
            serde_json::from_str(decisions.lines().find(|l| l.contains("default/probe")).unwrap()).unwrap();
        assert_eq!(probe["node"], "n1");
        assert_eq!(probe["nodes"][0]["scores"]["ExternalPolicy"], 100, "{probe}");
        assert_eq!(probe["nodes"][1]["scores"]["ExternalPolicy"], 0, "{probe}");
        digests.push(s["digest"].as_str().unwrap().to_string());
    }
    assert_eq!(digests[0], digests[1], "the same answers give the same run");
}

#[test]
fn external_policy_needs_a_launcher_in_the_library() {
    // `Scenario::parse` knows the name but has no way to start processes.
    let scenario = load(&root().join("scenarios/external-policy.yaml"));
    let mut sim = Simulation::new(Arc::new(scenario), None, None, RunOptions::default());
    match sim.run() {
        Err(RunError::Plugin { plugin, pod, message, .. }) => {
            assert_eq!(plugin, "ExternalPolicy");
            assert_eq!(pod.as_deref(), Some("default/probe"));
            assert!(message.contains("no policy launcher"), "{message}");
        }
        other => panic!("expected a plugin failure, got {other:?}"),
    }
}

#[test]
fn with_registry_gives_a_loaded_scenario_a_launcher() {
    require_python3!();
    let path = root().join("scenarios/external-policy.yaml");
    let registry = kubesim::cli::plugin_registry(&path);
    let options = RunOptions { check_invariants: true, ..RunOptions::default() };
    let mut sim = Simulation::with_registry(Arc::new(load(&path)), None, None, options, &registry).unwrap();
    sim.run().unwrap();
    assert!(sim.check_results().iter().all(|c| c.passed), "{:?}", sim.check_results());
    assert_eq!(node_of(&sim, "probe"), "n1");
}

#[test]
fn with_registry_refuses_a_registry_that_lacks_the_scenario_plugins() {
    let text = label_scenario("{name: PreferLabel, weight: 10}", "{name: PreferLabel, args: {label: a=b}}");
    let scenario = Scenario::parse_with(&text, "t.yaml", &NoFiles, &registry()).unwrap();
    let built =
        Simulation::with_registry(Arc::new(scenario), None, None, RunOptions::default(), &PluginRegistry::new());
    let err = built.err().expect("refused");
    assert!(err.contains("profile \"default-scheduler\": plugin \"PreferLabel\" does not exist"), "{err}");
}

/// A scenario whose one pod `p` (1 cpu) has two feasible nodes, n1 and n2, and one too
/// small, n3; the profile asks the policy `command` in `mode` (weight 100 in select mode).
fn policy_scenario(command: &str, mode: &str, timeout: &str) -> String {
    let weight = if mode == "select" { 100 } else { 1 };
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: misbehaving}}
spec:
  until: 1m
  cluster:
    nodes:
      - {{name: n1, allocatable: {{cpu: "4", memory: 8Gi}}}}
      - {{name: n2, allocatable: {{cpu: "4", memory: 8Gi}}}}
      - {{name: n3, allocatable: {{cpu: 500m, memory: 8Gi}}}}
  scheduler:
    profiles:
      - schedulerName: default-scheduler
        plugins: {{multiPoint: {{enabled: [{{name: ExternalPolicy, weight: {weight}}}]}}}}
        pluginConfig:
          - name: ExternalPolicy
            args: {{command: {command}, timeout: {timeout}, mode: {mode}}}
  manifests:
    - inline:
        apiVersion: v1
        kind: Pod
        metadata: {{name: p}}
        spec: {{containers: [{{name: c, resources: {{requests: {{cpu: "1"}}}}}}]}}
  checks:
    - {{at: 1m, expect: "pod/default/p phase == Running"}}
"#
    )
}

/// Writes [`policy_scenario`] to `dir/scenario.yaml` and returns its path.
fn write_policy_scenario(dir: &Path, command: &str, mode: &str, timeout: &str) -> String {
    let path = dir.join("scenario.yaml");
    std::fs::write(&path, policy_scenario(command, mode, timeout)).unwrap();
    path.to_str().unwrap().to_string()
}

/// Reads requests and answers each with `answer` (a Python expression over `names`, the
/// feasible node names).
fn answering(answer: &str) -> String {
    format!(
        "import json, sys\nfor line in sys.stdin:\n    names = [n['name'] for n in json.loads(line)['nodes']]\n    print(json.dumps({answer}), flush=True)\n"
    )
}

/// Runs a misbehaving policy and checks the run stops with exit code 2, a message naming the
/// plugin, the pod and `problem`, and its outputs written with `stopped_early`.
fn check_failure(name: &str, script: Option<&str>, command: &str, mode: &str, timeout: &str, problem: &[&str]) {
    let dir = temp_dir(&format!("policy-{name}"));
    if let Some(script) = script {
        std::fs::write(dir.join("policy.py"), script).unwrap();
    }
    let scenario = write_policy_scenario(&dir, command, mode, timeout);
    let out = dir.join("out");
    let o = kubesim(&["run", &scenario, "--out", out.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{name}: stderr: {err}");
    assert!(!err.contains("panicked"), "{name}: {err}");
    assert!(
        err.contains("error: plugin ExternalPolicy failed while scheduling pod default/p at virtual time 0s: "),
        "{name}: {err}"
    );
    for p in problem {
        assert!(err.contains(p), "{name}: expected {p:?} in: {err}");
    }
    let s = summary(&out);
    let stopped = s["stopped_early"].as_str().unwrap_or_else(|| panic!("{name}: stopped_early is set: {s}"));
    assert!(stopped.contains("plugin ExternalPolicy failed while scheduling pod default/p"), "{name}: {stopped}");
    assert!(out.join("pods.csv").is_file() && out.join("timeseries.csv").is_file(), "{name}: outputs written");
}

#[test]
fn a_policy_that_cannot_start_stops_the_run() {
    // No python needed: the interpreter itself is missing.
    check_failure(
        "no-interpreter",
        None,
        "[kubesim-no-such-interpreter, policy.py]",
        "score",
        "2s",
        &["cannot start the policy process \"kubesim-no-such-interpreter policy.py\"", "installed and on PATH"],
    );
}

#[test]
fn a_missing_script_stops_the_run() {
    require_python3!();
    check_failure(
        "no-script",
        None,
        "[python3, missing.py]",
        "score",
        "5s",
        &["the policy process exited (exit status: 2) before answering", "missing.py"],
    );
}

#[test]
fn a_crashing_policy_stops_the_run() {
    require_python3!();
    let script = "import sys\nsys.stdin.readline()\nsys.stderr.write('policy crashed on purpose\\n')\nsys.exit(3)\n";
    check_failure(
        "crash",
        Some(script),
        "[python3, policy.py]",
        "score",
        "5s",
        &["exited (exit status: 3) before answering", "its stderr ended with:", "policy crashed on purpose"],
    );
}

#[test]
fn a_hanging_policy_stops_the_run_at_its_timeout() {
    require_python3!();
    // It never answers; the 200ms timeout is far shorter than its sleep, so this cannot flake.
    let script = "import sys, time\nsys.stdin.readline()\ntime.sleep(120)\n";
    check_failure(
        "hang",
        Some(script),
        "[python3, policy.py]",
        "score",
        "200ms",
        &["the policy process did not answer within 200ms"],
    );
}

#[test]
fn a_garbage_answer_stops_the_run() {
    require_python3!();
    let script = "import sys\nfor line in sys.stdin:\n    print('hello, kubesim', flush=True)\n";
    check_failure(
        "garbage",
        Some(script),
        "[python3, policy.py]",
        "score",
        "5s",
        &["the answer is not valid JSON", "\"hello, kubesim\""],
    );
}

#[test]
fn an_unknown_node_stops_the_run() {
    require_python3!();
    check_failure(
        "unknown-node",
        Some(&answering("{'scores': dict({n: 50 for n in names}, nn9=50)}")),
        "[python3, policy.py]",
        "score",
        "5s",
        &["the answer scores node \"nn9\", which does not exist", "(feasible: n1, n2)"],
    );
}

#[test]
fn an_infeasible_node_stops_the_run() {
    require_python3!();
    check_failure(
        "infeasible-node",
        Some(&answering("{'node': 'n3'}")),
        "[python3, policy.py]",
        "select",
        "5s",
        &["the answer selects node \"n3\", which is not feasible for this pod (feasible: n1, n2)"],
    );
}

#[test]
fn an_out_of_range_score_stops_the_run() {
    require_python3!();
    check_failure(
        "out-of-range",
        Some(&answering("{'scores': {n: 150 for n in names}}")),
        "[python3, policy.py]",
        "score",
        "5s",
        &["the answer gives node \"n1\" the score 150, outside 0..100"],
    );
}

#[test]
fn select_mode_places_the_pod_where_the_policy_says() {
    require_python3!();
    let dir = temp_dir("policy-select");
    std::fs::write(dir.join("policy.py"), answering("{'node': names[-1]}")).unwrap();
    let scenario = write_policy_scenario(&dir, "[python3, ./policy.py]", "select", "5s");
    let out = dir.join("out");
    let o = kubesim(&["run", &scenario, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let pods = std::fs::read_to_string(out.join("pods.csv")).unwrap();
    assert!(pods.lines().any(|l| l.starts_with("default,p,,n2,")), "{pods}");
}

#[test]
fn external_policy_args_are_checked_at_load_time() {
    let dir = temp_dir("policy-args");
    let cases = [
        ("[]", "score", "2s", "args.command: must name a program"),
        ("python3", "score", "2s", "args.command: expected a list"),
        ("[python3, p.py]", "scroe", "2s", "args.mode: unknown mode \"scroe\" (did you mean \"score\"?)"),
        ("[python3, p.py]", "score", "0s", "args.timeout: must be greater than zero"),
    ];
    for (command, mode, timeout, expected) in cases {
        let scenario = write_policy_scenario(&dir, command, mode, timeout);
        let o = kubesim(&["validate", &scenario]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("scenario.yaml:17:"), "{err}");
        assert!(err.contains(expected), "expected {expected:?} in {err}");
    }
    // Select mode must outweigh the other score plugins.
    let text = policy_scenario("[python3, p.py]", "select", "2s").replace("weight: 100", "weight: 2");
    let err = Scenario::parse(&text, "s.yaml", &NoFiles).unwrap_err().to_string();
    assert!(err.starts_with("s.yaml:13:9: "), "{err}");
    assert!(err.contains("in mode select has weight 2"), "{err}");
    assert!(err.contains("give it a weight of at least"), "{err}");
    // Enabled without args.
    let text = policy_scenario("[python3, p.py]", "score", "2s");
    let without = text.replace(
        "          - name: ExternalPolicy\n            args: {command: [python3, p.py], timeout: 2s, mode: score}\n",
        "",
    );
    assert_ne!(without, text);
    let err = Scenario::parse(&without, "s.yaml", &NoFiles).unwrap_err().to_string();
    assert!(err.contains("has no pluginConfig args"), "{err}");
}
