//! Garbage collection: deleting an owner in the background, in the foreground, or orphaning
//! its dependents, as `kubectl delete --cascade=background|foreground|orphan` does.

use proptest::prelude::*;

use crate::support::{parse, run};

/// A Deployment `web` of 3 pods that take 10 s to shut down, deleted at 1m with `policy`.
fn deployment(policy: &str) -> String {
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: gc}}
spec:
  until: 3m
  cluster:
    nodes:
      - {{name: n1, allocatable: {{cpu: "8", memory: 8Gi}}}}
  manifests:
    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: web}}
        spec:
          replicas: 3
          selector: {{matchLabels: {{app: web}}}}
          template:
            metadata: {{labels: {{app: web}}, annotations: {{sim.kubesim.io/shutdown: 10s}}}}
            spec: {{containers: [{{name: c, resources: {{requests: {{cpu: 100m}}}}}}]}}
  events:
    - at: 1m
      delete: {{target: deployment/default/web, propagationPolicy: {policy}}}
"#
    )
}

fn exists_at(text: &str, checks: &[(&str, &str)]) {
    let mut text = text.to_string();
    text.push_str("  checks:\n");
    for (at, expect) in checks {
        text.push_str(&format!("    - {{at: {at}, expect: \"{expect}\"}}\n"));
    }
    let sim = run(parse(&text), None);
    for r in sim.check_results() {
        assert!(r.passed, "{:?}: {}", r.text, r.actual);
    }
}

#[test]
fn background_deletes_the_owner_at_once_and_its_pods_after() {
    exists_at(
        &deployment("Background"),
        &[
            ("1m", "deployment/default/web exists == False"),
            ("1m", "cluster podsTerminating == 3"),
            ("1m10s", "cluster podsTerminating == 0"),
            ("1m10s", "cluster podsRunning == 0"),
        ],
    );
}

#[test]
fn foreground_keeps_the_owner_until_its_pods_are_gone() {
    exists_at(
        &deployment("Foreground"),
        &[
            ("1m", "deployment/default/web exists == True"),
            ("1m", "cluster podsTerminating == 3"),
            ("1m9s", "deployment/default/web exists == True"),
            // The pods go at 1m10s, then their ReplicaSet, then the Deployment, at one instant.
            ("1m10s", "deployment/default/web exists == False"),
            ("1m10s", "cluster podsRunning == 0"),
        ],
    );
    // No ReplicaSet is left, and nothing was created meanwhile.
    let sim = run(parse(&deployment("Foreground")), None);
    assert_eq!(sim.store().replica_set_ids().count(), 0);
    assert_eq!(sim.store().stats.pods_created, 3);
}

#[test]
fn orphan_leaves_the_replicaset_and_pods_running_without_owner() {
    let sim = run(parse(&deployment("Orphan")), None);
    let store = sim.store();
    assert!(store.deployment_id("default", "web").is_none());
    let rs: Vec<_> = store.replica_set_ids().collect();
    assert_eq!(rs.len(), 1, "the ReplicaSet stays");
    assert!(store.replica_set(rs[0]).unwrap().meta.owner_references.is_empty());
    assert_eq!(store.rs_owner(rs[0]), None);
    let running: Vec<_> = store.live_pods().filter(|&p| store.pod(p).status.phase.as_str() == "Running").collect();
    assert_eq!(running.len(), 3, "the pods keep running");
    // The orphaned ReplicaSet still keeps its own pods: they still name it.
    assert!(running.iter().all(|&p| store.pod_rs(p) == Some(rs[0])));
}

/// An owner kind and how it is deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    Deployment,
    ReplicaSet,
    Job,
    StatefulSet,
    DaemonSet,
}

fn manifest(owner: Owner) -> (&'static str, String) {
    let template = "template: {metadata: {labels: {app: x}, annotations: {sim.kubesim.io/shutdown: 5s}}, spec: {containers: [{name: c, resources: {requests: {cpu: 10m}}}]}}";
    match owner {
        Owner::Deployment => ("deployment/default/x", format!("{{apiVersion: apps/v1, kind: Deployment, metadata: {{name: x}}, spec: {{replicas: 3, selector: {{matchLabels: {{app: x}}}}, {template}}}}}")),
        Owner::ReplicaSet => ("replicaset/default/x", format!("{{apiVersion: apps/v1, kind: ReplicaSet, metadata: {{name: x}}, spec: {{replicas: 3, selector: {{matchLabels: {{app: x}}}}, {template}}}}}")),
        Owner::Job => (
            "job/default/x",
            "{apiVersion: batch/v1, kind: Job, metadata: {name: x}, spec: {parallelism: 3, completions: 3, template: {metadata: {annotations: {sim.kubesim.io/shutdown: 5s}}, spec: {restartPolicy: Never, containers: [{name: c, resources: {requests: {cpu: 10m}}}]}}}}".to_string(),
        ),
        Owner::StatefulSet => ("statefulset/default/x", format!("{{apiVersion: apps/v1, kind: StatefulSet, metadata: {{name: x}}, spec: {{replicas: 3, serviceName: x, podManagementPolicy: Parallel, selector: {{matchLabels: {{app: x}}}}, {template}}}}}")),
        Owner::DaemonSet => ("daemonset/default/x", format!("{{apiVersion: apps/v1, kind: DaemonSet, metadata: {{name: x}}, spec: {{selector: {{matchLabels: {{app: x}}}}, {template}}}}}")),
    }
}

fn owner() -> impl Strategy<Value = Owner> {
    prop_oneof![
        Just(Owner::Deployment),
        Just(Owner::ReplicaSet),
        Just(Owner::Job),
        Just(Owner::StatefulSet),
        Just(Owner::DaemonSet)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever the owner and whenever it is deleted: with Background or Foreground no pod
    /// (or ReplicaSet) is left naming it or running for it once the grace periods are over;
    /// with Orphan every dependent that was alive stays, with no owner reference.
    #[test]
    fn gc_never_leaves_an_orphan_behind_a_cascading_deletion(
        kind in owner(),
        policy in prop_oneof![Just("Background"), Just("Foreground"), Just("Orphan")],
        at_s in 1u32..30,
        nodes in 1usize..4,
    ) {
        let (target, object) = manifest(kind);
        let node_lines: String = (0..nodes)
            .map(|i| format!("      - {{name: n{i}, allocatable: {{cpu: \"4\", memory: 8Gi}}}}\n"))
            .collect();
        let text = format!(
            "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {{name: gc}}\nspec:\n  until: 2m\n  cluster:\n    nodes:\n{node_lines}  manifests:\n    - inline: {object}\n  events:\n    - at: {at_s}s\n      delete: {{target: {target}, propagationPolicy: {policy}}}\n"
        );
        let sim = run(parse(&text), None);
        let store = sim.store();
        let live: Vec<_> = store.live_pods().filter(|&p| !store.pod(p).status.phase.is_terminal()).collect();
        // Whatever the policy, no live pod names an owner that is gone.
        for &p in &live {
            if let Some(o) = store.pod(p).meta.controller_ref() {
                let exists = match o.kind.resource() {
                    "replicaset" => store.rs_id("default", &o.name).is_some(),
                    "job" => store.job_id("default", &o.name).is_some(),
                    "statefulset" => store.sts_id("default", &o.name).is_some(),
                    "daemonset" => store.ds_id("default", &o.name).is_some(),
                    other => panic!("unexpected owner kind {other}"),
                };
                prop_assert!(exists, "pod {} names a deleted {} {}\n{}", store.pod(p).meta.name, o.kind, o.name, text);
            }
        }
        if policy == "Orphan" {
            // The dependents stay: the pods (directly, or through the orphaned ReplicaSet).
            prop_assert!(!live.is_empty(), "orphaned pods were deleted\n{}", text);
            if matches!(kind, Owner::Deployment) {
                let rs: Vec<_> = store.replica_set_ids().collect();
                prop_assert_eq!(rs.len(), 1);
                prop_assert!(store.replica_set(rs[0]).unwrap().meta.owner_references.is_empty());
            } else {
                for &p in &live {
                    prop_assert!(store.pod(p).meta.owner_references.is_empty(), "{}", text);
                }
            }
        } else {
            prop_assert!(live.is_empty(), "pods left after a {} deletion: {:?}\n{}", policy, live, text);
            prop_assert_eq!(store.replica_set_ids().count(), 0);
        }
    }
}

/// Five bare pods created together, run for `durations` and stay Succeeded; the pod
/// garbage collector keeps `threshold` of them (`spec.controllerManager`).
fn terminated(threshold: Option<u32>) -> String {
    let pods: String = [("p1", "100s"), ("p2", "10s"), ("p3", "30s"), ("p4", "50s"), ("p5", "25s"), ("a0", "5s")]
        .iter()
        .enumerate()
        .map(|(i, (name, d))| {
            // a0 comes a minute later: newer, so deleted after the others despite its name.
            let at = if *name == "a0" { "61s" } else { "0s" };
            format!(
                "    - {{at: {at}, apply: {{apiVersion: v1, kind: Pod, metadata: {{name: {name}, annotations: {{sim.kubesim.io/duration: {d}}}}}, spec: {{restartPolicy: Never, containers: [{{name: c{i}, resources: {{requests: {{cpu: 100m}}}}}}]}}}}}}\n"
            )
        })
        .collect();
    let cm = threshold.map(|t| format!("  controllerManager: {{terminatedPodGCThreshold: {t}}}\n")).unwrap_or_default();
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: terminated-gc}}
spec:
  until: 5m
{cm}  cluster:
    nodes:
      - {{name: n1, allocatable: {{cpu: "8", memory: 8Gi}}}}
  events:
{pods}"#
    )
}

/// Which pods were removed, and when (seconds).
fn removals(sim: &kubesim::engine::Simulation) -> Vec<(String, f64)> {
    sim.journal()
        .records()
        .iter()
        .filter(|(_, r)| matches!(r, kubesim::journal::Record::PodRemoved { .. }))
        .map(|(t, r)| {
            let json: serde_json::Value = serde_json::from_str(&r.to_json(*t)).unwrap();
            (json["pod"].as_str().unwrap().trim_start_matches("default/").to_string(), json["t_s"].as_f64().unwrap())
        })
        .collect()
}

/// `gcTerminated`: on each 20 s pass, the terminated pods beyond the threshold go, oldest
/// first (by creation second, then name). With a threshold of 2: p2, p5, p3 have finished by
/// 30 s, so the 40 s pass deletes p2; p4 ends at 50 s, so the 60 s pass deletes p3 (older
/// than p5 by name); a0 (created at 61 s) ends at 66 s and the 80 s pass deletes p4 (p4 and
/// p5 were created before a0); p1 ends at 100 s, a pass instant, which deletes p1 (it and p5
/// are the oldest, p1 first by name). p5 and a0 stay.
#[test]
fn the_oldest_terminated_pods_beyond_the_threshold_are_deleted() {
    let sim = run(parse(&terminated(Some(2))), None);
    let removed = removals(&sim);
    assert_eq!(
        removed,
        [("p2".into(), 40.0), ("p3".into(), 60.0), ("p4".into(), 80.0), ("p1".into(), 100.0)],
        "{removed:?}"
    );
    // pods.csv still lists every pod, Succeeded.
    let csv = kubesim::output::pods_csv(&sim);
    assert_eq!(csv.lines().filter(|l| l.contains(",Succeeded,")).count(), 6, "{csv}");
    // The default threshold (12,500) and 0 (never) keep them all.
    assert!(removals(&run(parse(&terminated(None)), None)).is_empty());
    assert!(removals(&run(parse(&terminated(Some(0))), None)).is_empty());
}

/// A pod that finishes at a pass's instant but after the pass (its exit was scheduled later)
/// waits for the next pass: with a threshold of 1, a and b finish at 5 s and the 20 s pass
/// deletes a; c, created at 10 s, finishes at 20 s after that pass, so b goes at 40 s.
#[test]
fn a_pod_finished_after_a_pass_waits_for_the_next_one() {
    let pod = |at: &str, name: &str, d: &str| {
        format!(
            "    - {{at: {at}, apply: {{apiVersion: v1, kind: Pod, metadata: {{name: {name}, annotations: {{sim.kubesim.io/duration: {d}}}}}, spec: {{restartPolicy: Never, containers: [{{name: c, resources: {{requests: {{cpu: 100m}}}}}}]}}}}}}\n"
        )
    };
    let text = format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: gc-same-instant}}
spec:
  until: 2m
  controllerManager: {{terminatedPodGCThreshold: 1}}
  cluster:
    nodes:
      - {{name: n1, allocatable: {{cpu: "8", memory: 8Gi}}}}
  events:
{}{}{}"#,
        pod("0s", "a", "5s"),
        pod("0s", "b", "5s"),
        pod("10s", "c", "10s")
    );
    let sim = run(parse(&text), None);
    let finished: Vec<f64> = ["a", "b", "c"]
        .iter()
        .map(|n| {
            let p = sim.store().pod_entries().find(|p| p.name() == *n).unwrap();
            p.finished_at().map(|t| t.as_secs_f64()).unwrap_or(-1.0)
        })
        .collect();
    let removed = removals(&sim);
    assert_eq!(removed, [("a".into(), 20.0), ("b".into(), 40.0)], "{removed:?}; a, b, c finished at {finished:?}");
}
