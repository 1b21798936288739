//! `kubesim explain` through the binary: pending pods (FitError summary and per-node reasons),
//! scheduled pods (scores, weights, totals, tie-breaks), `--at`, `--json`, and its errors.

use std::path::PathBuf;
use std::process::Output;

use crate::support::{kubesim, temp_dir};

/// Four nodes: n1 and n2 (2 cpu, identical), n3 (8 cpu, tainted), n4 (8 cpu, cordoned until
/// 60s). `big` (4 cpu) fits nowhere until n4 is uncordoned; `small` and `medium` (500m) fit
/// on n1 and n2, equal for `small`; `pinned` names its node, n3.
const SCENARIO: &str = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: explain}
spec:
  seed: 3
  until: 5m
  cluster:
    nodes:
      - {name: n1, allocatable: {cpu: "2", memory: 8Gi}}
      - {name: n2, allocatable: {cpu: "2", memory: 8Gi}}
      - {name: n3, allocatable: {cpu: "8", memory: 8Gi}, taints: [{key: dedicated, value: gpu, effect: NoSchedule}]}
      - {name: n4, allocatable: {cpu: "8", memory: 8Gi}, unschedulable: true}
  manifests:
    - inline:
        apiVersion: v1
        kind: Pod
        metadata: {name: small}
        spec: {containers: [{name: c, resources: {requests: {cpu: 500m, memory: 1Gi}}}]}
    - inline:
        apiVersion: v1
        kind: Pod
        metadata: {name: medium}
        spec: {containers: [{name: c, resources: {requests: {cpu: 500m, memory: 1Gi}}}]}
    - inline:
        apiVersion: v1
        kind: Pod
        metadata: {name: big}
        spec: {containers: [{name: c, resources: {requests: {cpu: "4"}}}]}
    - inline:
        apiVersion: v1
        kind: Pod
        metadata: {name: pinned}
        spec: {nodeName: n3, containers: [{name: c, resources: {requests: {cpu: 100m}}}]}
  events:
    - {at: 60s, uncordon: n4}
  checks:
    - {at: 5m, expect: "pod/default/big node == n4"}
"#;

/// Writes the scenario into a directory of its own (tests run in parallel).
fn scenario(tag: &str) -> PathBuf {
    let dir = temp_dir(&format!("explain-{tag}"));
    let path = dir.join("explain.yaml");
    std::fs::write(&path, SCENARIO).unwrap();
    path
}

fn explain(tag: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let path = scenario(tag);
    let mut all = vec!["explain", path.to_str().unwrap()];
    all.extend_from_slice(args);
    let o: Output = kubesim(&all);
    (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn a_pending_pod_gets_the_fit_error_and_per_node_reasons() {
    let (code, out, err) = explain("t1", &["--pod", "default/big", "--at", "30s"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("pod default/big at 30s: Pending, not scheduled\n"), "{out}");
    assert!(out.contains("found no node:"), "{out}");
    // kube-scheduler's FitError (then what preemption found).
    assert!(
        out.contains(
            "  0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were unschedulable, 2 Insufficient cpu."
        ),
        "{out}"
    );
    assert!(out.contains("  not feasible (4 nodes):\n"), "{out}");
    for line in [
        "    n1  Insufficient cpu\n",
        "    n2  Insufficient cpu\n",
        "    n3  node(s) had untolerated taint {dedicated: gpu}\n",
        "    n4  node(s) were unschedulable\n",
    ] {
        assert!(out.contains(line), "{line:?} in {out}");
    }
}

#[test]
fn a_pod_scheduled_later_is_explained_at_the_end() {
    let (code, out, err) = explain("t2", &["--pod", "default/big"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("pod default/big at 5m: Running on node n4\n"), "{out}");
    assert!(out.contains("  bound to n4 at 1m"), "{out}");
    assert!(out.contains("only n4 was feasible, so it was chosen without scoring"), "{out}");
}

#[test]
fn a_tie_is_reported_with_the_tied_nodes() {
    let (code, out, err) = explain("t3", &["--pod", "default/small"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("bound to n"), "{out}");
    assert!(out.contains("4 nodes examined, 2 feasible; normalized scores (0..100) and weights:"), "{out}");
    // The score table: one column per score plugin that scored (NodeAffinity skips pods
    // without preferred terms), its weight, the weighted total.
    let header: Vec<&str> =
        out.lines().find(|l| l.trim_start().starts_with("node ")).expect("a header row").split_whitespace().collect();
    let weights: Vec<&str> =
        out.lines().find(|l| l.trim_start().starts_with("weight ")).expect("a weight row").split_whitespace().collect();
    let weight_of = |plugin: &str| weights[header.iter().position(|h| *h == plugin).expect(plugin)];
    assert_eq!(weight_of("TaintToleration"), "3", "{out}");
    assert_eq!(weight_of("NodeResourcesFit"), "1", "{out}");
    assert_eq!(header.last(), Some(&"total"), "{out}");
    assert!(out.contains("  tie-break: 2 nodes tied at the highest total"), "{out}");
    assert!(out.contains("(n1, n2); the seeded tie-break (stream scheduler.tiebreak) picked n"), "{out}");
}

#[test]
fn a_clear_winner_is_reported_without_a_tie_break() {
    let (code, out, err) = explain("t4", &["--pod", "default/medium"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("  no tie-break: n"), "{out}");
    assert!(out.contains(" alone had the highest total, "), "{out}");
    // The chosen node is marked and listed first.
    let lines: Vec<&str> = out.lines().collect();
    let weight_row = lines.iter().position(|l| l.trim_start().starts_with("weight ")).expect("a weight row");
    assert!(lines[weight_row + 1].contains(" * "), "{out}");
}

#[test]
fn a_pod_with_node_name_was_bound_without_the_scheduler() {
    let (code, out, err) = explain("t5", &["--pod", "pinned"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("pod default/pinned at 5m: Running on node n3\n"), "{out}");
    assert!(out.contains("spec.nodeName names n3: the pod was bound without the scheduler"), "{out}");
}

#[test]
fn json_is_the_decisions_line_of_the_last_attempt() {
    let (code, out, err) = explain("t6", &["--pod", "default/big", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let explained: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(explained["result"], "bound");
    assert_eq!(explained["node"], "n4");

    // The same line `run --trace decisions` writes for that pod's last attempt.
    let path = scenario("json-run");
    let results = path.parent().unwrap().join("out");
    let o = kubesim(&["run", path.to_str().unwrap(), "--out", results.to_str().unwrap(), "--trace", "decisions"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let decisions = std::fs::read_to_string(results.join("decisions.jsonl")).unwrap();
    let last: serde_json::Value =
        serde_json::from_str(decisions.lines().rfind(|l| l.contains("\"pod\":\"default/big\"")).unwrap()).unwrap();
    assert_eq!(explained, last);

    // A pod the scheduler never tried has no decision.
    let (code, out, _) = explain("t7", &["--pod", "default/pinned", "--json"]);
    assert_eq!(code, Some(0));
    assert_eq!(out.trim(), "null");
}

#[test]
fn at_and_seed_select_the_moment_and_the_run() {
    // At 0s the big pod has had its first attempt; the seed changes nothing it depends on.
    let (code, out, err) = explain("t8", &["--pod", "default/big", "--at", "0s", "--seed", "9"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("pod default/big at 0s: Pending, not scheduled\n"), "{out}");
    assert!(out.contains("1 scheduling attempt by profile default-scheduler; the last, at 0s, found no node"), "{out}");
}

#[test]
fn unknown_pods_get_a_suggestion() {
    let (code, out, err) = explain("t9", &["--pod", "default/smal"]);
    assert_eq!(code, Some(2));
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("error: no pod default/smal at virtual time 5m (did you mean \"default/small\"?)"), "{err}");

    let (code, _, err) = explain("t10", &["--pod", "kube-system/zzzzzzzz"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("no pod kube-system/zzzzzzzz at virtual time 5m; pods: default/small, default/medium"),
        "{err}"
    );

    let (code, _, err) = explain("t11", &["--pod", "a/b/c"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("expected NAMESPACE/NAME"), "{err}");
}

#[test]
fn at_beyond_until_is_an_error() {
    let (code, out, err) = explain("t12", &["--pod", "default/big", "--at", "6m"]);
    assert_eq!(code, Some(2));
    assert!(out.is_empty());
    assert!(err.contains("error: --at 6m is after the end of the run (spec.until 5m)"), "{err}");
}
