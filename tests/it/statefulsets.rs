//! The StatefulSet controller against hand-computed timelines (controllers reference §7):
//! ordered start with readiness and `minReadySeconds`, Parallel, ordered scale-down, stable
//! identity and storage, rolling updates with a partition, OnDelete, rollback, the claim
//! retention policy, and the replacement that waits for a pod stuck on a failed node.
//!
//! Unless a test says otherwise, pods are Ready 10 s after they start (`startup: 10s`), exit at
//! once when deleted (no `shutdown`), and nodes are large enough for every pod.

use kubesim::api::statefulset::StatefulSetStatus;
use kubesim::engine::Simulation;
use kubesim::journal::Record;

use crate::support::{parse, run};

/// A scenario with three 8-cpu nodes and the StatefulSet `db` (3 replicas unless `spec` says
/// otherwise): `spec` lines go under `spec:`, `annotations` into the pod template's
/// annotations (beside `startup: 10s`), `extra` after the manifests (events, checks).
fn scenario(spec: &str, annotations: &str, until: &str, extra: &str) -> String {
    let spec: String = spec.lines().map(|l| format!("          {l}\n")).collect();
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: sts}}
spec:
  until: {until}
  cluster:
    nodes:
      - {{name: n1, allocatable: {{cpu: "8", memory: 32Gi}}}}
      - {{name: n2, allocatable: {{cpu: "8", memory: 32Gi}}}}
      - {{name: n3, allocatable: {{cpu: "8", memory: 32Gi}}}}
  manifests:
    - inline:
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {{name: db}}
        spec:
{spec}          serviceName: db
          selector: {{matchLabels: {{app: db}}}}
          template:
            metadata:
              labels: {{app: db}}
              annotations: {{sim.kubesim.io/startup: 10s{annotations}}}
            spec:
              containers: [{{name: db, image: "postgres:16", resources: {{requests: {{cpu: 500m, memory: 1Gi}}}}}}]
{extra}"#
    )
}

/// The template of [`scenario`] with image `image`, as an `apply` event at `at` (`spec` lines
/// as in [`scenario`]).
fn apply_template(at: &str, spec: &str, image: &str) -> String {
    let spec: String = spec.lines().map(|l| format!("            {l}\n")).collect();
    format!(
        r#"    - at: {at}
      apply:
          apiVersion: apps/v1
          kind: StatefulSet
          metadata: {{name: db}}
          spec:
{spec}            serviceName: db
            selector: {{matchLabels: {{app: db}}}}
            template:
              metadata:
                labels: {{app: db}}
                annotations: {{sim.kubesim.io/startup: 10s}}
              spec:
                containers: [{{name: db, image: "{image}", resources: {{requests: {{cpu: 500m, memory: 1Gi}}}}}}]
"#
    )
}

/// Creation times (s) of every pod ever named `name`, oldest first.
fn created(sim: &Simulation, name: &str) -> Vec<u64> {
    sim.store().pod_entries().filter(|p| p.name() == name).map(|p| p.created().as_micros() / 1_000_000).collect()
}

/// Times (ms) of the journal records that `pick` selects, with what it returns.
fn records<T>(sim: &Simulation, pick: impl Fn(&Record) -> Option<T>) -> Vec<(u64, T)> {
    sim.journal().records().iter().filter_map(|(t, r)| pick(r).map(|v| (t.as_micros() / 1000, v))).collect()
}

fn status(sim: &Simulation) -> &StatefulSetStatus {
    let store = sim.store();
    &store.statefulset(store.sts_id("default", "db").expect("the set exists")).expect("live").status
}

fn claims(sim: &Simulation) -> Vec<String> {
    sim.store().pvcs().map(|c| c.meta.name.clone()).collect()
}

fn assert_checks_pass(sim: &Simulation) {
    for r in sim.check_results() {
        assert!(r.passed, "{:?} failed at {} (actual: {})", r.text, r.at, r.actual);
    }
}

/// OrderedReady (the default): db-0 at 0 s, Ready at 10 s; db-1 then, Ready at 20 s; db-2 at
/// 20 s, Ready at 30 s. Each pod gets the identity labels and its revision.
#[test]
fn ordered_start_waits_for_each_pod_to_be_ready() {
    let checks = r#"  checks:
    - {at: 9s, expect: "pod/default/db-1 exists == False"}
    - {at: 10s, expect: "pod/default/db-1 exists == True"}
    - {at: 29s, expect: "statefulset/default/db readyReplicas == 2"}
    - {at: 30s, expect: "statefulset/default/db readyReplicas == 3"}
    - {at: 30s, expect: "statefulset/default/db rolloutComplete == True"}
"#;
    let sim = run(parse(&scenario("replicas: 3", "", "1m", checks)), None);
    assert_checks_pass(&sim);
    assert_eq!((created(&sim, "db-0"), created(&sim, "db-1"), created(&sim, "db-2")), (vec![0], vec![10], vec![20]));
    let s = status(&sim);
    assert_eq!(
        (s.replicas, s.ready_replicas, s.available_replicas, s.current_replicas, s.updated_replicas),
        (3, 3, 3, 3, 3)
    );
    assert!(s.current_revision.starts_with("db-") && s.current_revision == s.update_revision);
    let store = sim.store();
    let pod = store.pod(store.pod_id("default", "db-2").unwrap());
    assert_eq!(pod.meta.labels["statefulset.kubernetes.io/pod-name"], "db-2");
    assert_eq!(pod.meta.labels["apps.kubernetes.io/pod-index"], "2");
    assert_eq!(pod.meta.labels["controller-revision-hash"], s.update_revision);
    assert_eq!(pod.meta.controller_ref().map(|o| o.name.as_str()), Some("db"));
}

/// minReadySeconds 5: db-0 is Ready at 10 s but available only at 15 s (the controller syncs
/// again minReadySeconds after a sync that found a pod not yet available), so db-1 comes at
/// 15 s (Ready 25 s, available 30 s) and db-2 at 30 s (available 45 s).
#[test]
fn min_ready_seconds_delay_the_next_pod() {
    let checks = r#"  checks:
    - {at: 44s, expect: "statefulset/default/db availableReplicas == 2"}
    - {at: 45s, expect: "statefulset/default/db availableReplicas == 3"}
"#;
    let sim = run(parse(&scenario("replicas: 3\nminReadySeconds: 5", "", "2m", checks)), None);
    assert_checks_pass(&sim);
    assert_eq!((created(&sim, "db-0"), created(&sim, "db-1"), created(&sim, "db-2")), (vec![0], vec![15], vec![30]));
}

/// Parallel: every pod at once.
#[test]
fn parallel_creates_every_pod_at_once() {
    let sim = run(parse(&scenario("replicas: 3\npodManagementPolicy: Parallel", "", "1m", "")), None);
    assert_eq!((created(&sim, "db-0"), created(&sim, "db-1"), created(&sim, "db-2")), (vec![0], vec![0], vec![0]));
    assert_eq!(status(&sim).ready_replicas, 3);
}

/// ordinals.start 3: the pods are db-3 and db-4, their claims data-db-3 and data-db-4.
#[test]
fn ordinals_start_names_pods_and_claims() {
    let spec = "replicas: 2\nordinals: {start: 3}\nvolumeClaimTemplates:\n  - metadata: {name: data}\n    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}";
    let sim = run(parse(&scenario(spec, "", "1m", "")), None);
    assert_eq!((created(&sim, "db-3"), created(&sim, "db-4")), (vec![0], vec![10]));
    assert!(created(&sim, "db-0").is_empty());
    assert_eq!(claims(&sim), ["data-db-3", "data-db-4"]);
}

const CLAIMS: &str = "volumeClaimTemplates:\n  - metadata: {name: data}\n    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}";

/// Scale 4 → 1 at 60 s, pods taking 20 s to stop: db-3 is deleted at 60 s and gone at 80 s,
/// then db-2 (80 s → 100 s), then db-1 (100 s → 120 s). The claims stay (whenScaled: Retain).
#[test]
fn scale_down_goes_from_the_highest_ordinal_one_at_a_time() {
    let events = "  events:\n    - {at: 1m, scale: {target: statefulset/default/db, replicas: 1}}\n";
    let spec = format!("replicas: 4\n{CLAIMS}");
    let sim = run(parse(&scenario(&spec, ", sim.kubesim.io/shutdown: 20s", "5m", events)), None);
    let deleting = records(&sim, |r| match r {
        Record::PodDeleting { pod, reason } => Some((pod.clone(), *reason)),
        _ => None,
    });
    let removed = records(&sim, |r| match r {
        Record::PodRemoved { pod } => Some(pod.clone()),
        _ => None,
    });
    let expect = |names: [&str; 3], times: [u64; 3]| -> Vec<(u64, String)> {
        times.iter().zip(names).map(|(t, n)| (t * 1000, format!("default/{n}"))).collect()
    };
    assert_eq!(
        deleting.into_iter().map(|(t, (p, reason))| (t, p, reason)).collect::<Vec<_>>(),
        vec![
            (60_000, "default/db-3".to_string(), "ScaleDown"),
            (80_000, "default/db-2".to_string(), "ScaleDown"),
            (100_000, "default/db-1".to_string(), "ScaleDown")
        ]
    );
    assert_eq!(removed, expect(["db-3", "db-2", "db-1"], [80, 100, 120]));
    assert_eq!(claims(&sim), ["data-db-0", "data-db-1", "data-db-2", "data-db-3"]);
    assert_eq!(status(&sim).replicas, 1);

    // whenScaled: Delete: each claim goes with its pod.
    let spec = format!("replicas: 4\npersistentVolumeClaimRetentionPolicy: {{whenScaled: Delete}}\n{CLAIMS}");
    let sim = run(parse(&scenario(&spec, ", sim.kubesim.io/shutdown: 20s", "5m", events)), None);
    let deleted = records(&sim, |r| match r {
        Record::PvcDeleted { pvc } => Some(pvc.clone()),
        _ => None,
    });
    assert_eq!(
        deleted,
        vec![
            (80_000, "default/data-db-3".to_string()),
            (100_000, "default/data-db-2".to_string()),
            (120_000, "default/data-db-1".to_string())
        ]
    );
    assert_eq!(claims(&sim), ["data-db-0"]);

    // Parallel: all three at once.
    let spec = format!("replicas: 4\npodManagementPolicy: Parallel\n{CLAIMS}");
    let sim = run(parse(&scenario(&spec, ", sim.kubesim.io/shutdown: 20s", "5m", events)), None);
    let times: Vec<u64> =
        records(&sim, |r| matches!(r, Record::PodDeleting { .. }).then_some(())).iter().map(|r| r.0).collect();
    assert_eq!(times, [60_000, 60_000, 60_000]);
}

/// A deleted pod comes back with the same name and the same claim: db-1 (created at 10 s with
/// its claim) is deleted at 60 s, gone at once, and created again at 60 s; its claim is the one
/// made at 10 s.
#[test]
fn a_deleted_pod_comes_back_with_its_name_and_claim() {
    let events = "  events:\n    - {at: 1m, delete: pod/default/db-1}\n  checks:\n    - {at: 1m, expect: \"statefulset/default/db pvcs == 3\"}\n    - {at: 70s, expect: \"pod/default/db-1 ready == True\"}\n";
    let sim = run(parse(&scenario(&format!("replicas: 3\n{CLAIMS}"), "", "2m", events)), None);
    assert_checks_pass(&sim);
    assert_eq!(created(&sim, "db-1"), [10, 60]);
    let claim = sim.store().pvc("default", "data-db-1").expect("the claim survives");
    assert_eq!(claim.meta.creation_timestamp.as_micros(), 10_000_000);
    let made = records(&sim, |r| matches!(r, Record::PvcCreated { .. }).then_some(()));
    assert_eq!(made.len(), 3, "no claim is made twice");
}

/// A new template at 60 s rolls out from the highest ordinal: db-2 is replaced at 60 s (Ready
/// 70 s), db-1 at 70 s, db-0 at 80 s. The update revision becomes current at 80 s already, as
/// in Kubernetes: the sync that creates the new db-0 counts the pods that exist — db-1 and db-2,
/// both updated and Ready — so `completeRollingUpdate` sees every replica updated.
#[test]
fn rolling_update_goes_from_the_highest_ordinal_down() {
    let extra = format!(
        "  events:\n{}  checks:\n    - {{at: 79s, expect: \"statefulset/default/db rolloutComplete == False\"}}\n    - {{at: 80s, expect: \"statefulset/default/db rolloutComplete == True\"}}\n    - {{at: 90s, expect: \"statefulset/default/db readyReplicas == 3\"}}\n",
        apply_template("1m", "replicas: 3", "postgres:17")
    );
    let sim = run(parse(&scenario("replicas: 3", "", "3m", &extra)), None);
    assert_checks_pass(&sim);
    assert_eq!(
        (created(&sim, "db-2"), created(&sim, "db-1"), created(&sim, "db-0")),
        (vec![20, 60], vec![10, 70], vec![0, 80])
    );
    let s = status(&sim);
    assert_eq!((s.current_replicas, s.updated_replicas, s.ready_replicas), (3, 3, 3));
    let store = sim.store();
    assert_eq!(store.sts_revisions(store.sts_id("default", "db").unwrap()).len(), 2);
}

/// partition 2: only db-2 (ordinal ≥ 2) gets the new template; the current revision stays.
#[test]
fn partition_keeps_lower_ordinals_at_the_current_revision() {
    let spec = "replicas: 3\nupdateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}";
    let extra = format!("  events:\n{}", apply_template("1m", spec, "postgres:17"));
    let sim = run(parse(&scenario(spec, "", "3m", &extra)), None);
    assert_eq!(
        (created(&sim, "db-2"), created(&sim, "db-1"), created(&sim, "db-0")),
        (vec![20, 60], vec![10], vec![0])
    );
    let s = status(&sim);
    assert_ne!(s.current_revision, s.update_revision);
    assert_eq!((s.current_replicas, s.updated_replicas), (2, 1));
}

/// OnDelete: the new template waits for someone to delete a pod; db-0, deleted at 90 s, comes
/// back at the update revision.
#[test]
fn on_delete_replaces_pods_only_when_deleted() {
    let spec = "replicas: 3\nupdateStrategy: {type: OnDelete}";
    let extra = format!(
        "  events:\n{}    - {{at: 90s, delete: pod/default/db-0}}\n",
        apply_template("1m", spec, "postgres:17")
    );
    let sim = run(parse(&scenario(spec, "", "3m", &extra)), None);
    assert_eq!(
        (created(&sim, "db-0"), created(&sim, "db-1"), created(&sim, "db-2")),
        (vec![0, 90], vec![10], vec![20])
    );
    let s = status(&sim);
    assert_eq!((s.current_replicas, s.updated_replicas), (2, 1));
}

/// Back to the first template: its revision is renumbered (3) rather than a third made, and
/// the pods roll back to it: v2 rolls out from 60 s to 90 s, v1 from 120 s to 150 s.
#[test]
fn a_rollback_renumbers_the_earlier_revision() {
    let extra = format!(
        "  events:\n{}{}",
        apply_template("1m", "replicas: 3", "postgres:17"),
        apply_template("2m", "replicas: 3", "postgres:16")
    );
    let sim = run(parse(&scenario("replicas: 3", "", "4m", &extra)), None);
    assert_eq!(created(&sim, "db-0"), [0, 80, 140]);
    let store = sim.store();
    let mut revisions: Vec<(i64, String)> = store
        .sts_revisions(store.sts_id("default", "db").unwrap())
        .iter()
        .map(|r| (r.revision, r.name.clone()))
        .collect();
    revisions.sort();
    assert_eq!(revisions.len(), 2);
    assert_eq!(revisions[1].0, 3);
    assert_eq!(status(&sim).current_revision, revisions[1].1, "the renumbered first revision is current");
}

/// Deleting the set: its pods go (background cascade); with whenDeleted: Retain (the default)
/// the claims stay, with Delete each goes once its pod is gone (pods take 5 s to stop).
#[test]
fn deleting_the_set_keeps_or_deletes_the_claims() {
    let events = "  events:\n    - {at: 1m, delete: statefulset/default/db}\n";
    let sim =
        run(parse(&scenario(&format!("replicas: 2\n{CLAIMS}"), ", sim.kubesim.io/shutdown: 5s", "2m", events)), None);
    assert!(sim.store().sts_id("default", "db").is_none());
    assert_eq!(sim.store().live_pods().count(), 0);
    assert_eq!(claims(&sim), ["data-db-0", "data-db-1"]);

    let spec = format!("replicas: 2\npersistentVolumeClaimRetentionPolicy: {{whenDeleted: Delete}}\n{CLAIMS}");
    let sim = run(parse(&scenario(&spec, ", sim.kubesim.io/shutdown: 5s", "2m", events)), None);
    let deleting = records(&sim, |r| match r {
        Record::PvcDeleting { pvc } => Some(pvc.clone()),
        _ => None,
    });
    let deleted = records(&sim, |r| match r {
        Record::PvcDeleted { pvc } => Some(pvc.clone()),
        _ => None,
    });
    assert_eq!(deleting.iter().map(|d| d.0).collect::<Vec<_>>(), [60_000, 60_000]);
    assert_eq!(deleted.iter().map(|d| d.0).collect::<Vec<_>>(), [65_000, 65_000], "kept while their pods stop");
    assert!(claims(&sim).is_empty());
}

/// Only replicas, ordinals, template, updateStrategy, revisionHistoryLimit,
/// persistentVolumeClaimRetentionPolicy and minReadySeconds may change.
#[test]
fn other_spec_changes_are_refused() {
    let extra = format!("  events:\n{}", apply_template("1m", &format!("replicas: 3\n{CLAIMS}"), "postgres:16"));
    let mut sim = Simulation::new(
        std::sync::Arc::new(parse(&scenario("replicas: 3", "", "2m", &extra))),
        None,
        None,
        kubesim::engine::RunOptions { trace_events: true, ..Default::default() },
    );
    sim.run().unwrap();
    let failures = records(&sim, |r| match r {
        Record::ActionFailed { message, .. } => Some(message.clone()),
        _ => None,
    });
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].1.contains("spec: Forbidden: updates to statefulset spec"), "{}", failures[0].1);
}

/// A PodDisruptionBudget over the set's pods expects the set's replicas (StatefulSets are a
/// scalable controller in `getExpectedScale`).
#[test]
fn a_budget_expects_the_sets_replicas() {
    let pdb = r#"    - inline:
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: db}
        spec: {maxUnavailable: 1, selector: {matchLabels: {app: db}}}
  checks:
    - {at: 30s, expect: "pdb/default/db expectedPods == 3"}
    - {at: 30s, expect: "pdb/default/db desiredHealthy == 2"}
    - {at: 30s, expect: "pdb/default/db disruptionsAllowed == 1"}
"#;
    let sim = run(parse(&scenario("replicas: 3", "", "1m", pdb)), None);
    assert_checks_pass(&sim);
}

/// A machine failure: db-1 runs on n2 (each pod on its own node by required anti-affinity; n1
/// is the largest node and n3 the smallest, so the scores order them). n2 fails at 3 m; its
/// last lease renewal is in (170 s, 180 s], stamped by the 175 s or 180 s monitor pass, so it
/// is NotReady at 230 s or 235 s, tainted unreachable:NoExecute 100 ms later, and db-1 is
/// evicted 300 s after that (530.1 s or 535.1 s). It stays Terminating on the dead node, and no
/// second db-1 is created until n2 is back at 10 m: the kubelet then confirms the deletion and
/// the controller creates db-1 at 600 s, on n2 (the only node anti-affinity leaves). Whatever
/// the seed (the lease phase is drawn from it).
#[test]
fn a_pod_on_a_failed_node_blocks_its_replacement_until_the_node_is_back() {
    let text = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: sts-node-failure}
spec:
  until: 12m
  cluster:
    nodes:
      - {name: n1, allocatable: {cpu: "8", memory: 32Gi}}
      - {name: n2, allocatable: {cpu: "6", memory: 24Gi}}
      - {name: n3, allocatable: {cpu: "4", memory: 16Gi}}
  manifests:
    - inline:
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db}
        spec:
          replicas: 3
          serviceName: db
          selector: {matchLabels: {app: db}}
          template:
            metadata:
              labels: {app: db}
              annotations: {sim.kubesim.io/startup: 10s}
            spec:
              affinity:
                podAntiAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                    - {labelSelector: {matchLabels: {app: db}}, topologyKey: kubernetes.io/hostname}
              containers: [{name: db, image: "postgres:16", resources: {requests: {cpu: "1", memory: 1Gi}}}]
  events:
    - {at: 3m, failNode: n2}
    - {at: 10m, recoverNode: n2}
"#;
    for seed in 1..=10 {
        let sim = run(parse(text), Some(seed));
        let store = sim.store();
        let nodes: Vec<String> = ["db-0", "db-1", "db-2"]
            .iter()
            .map(|n| {
                let pod = store.pod_entries().find(|p| p.name() == *n).unwrap();
                store.node(pod.node().unwrap()).meta.name.clone()
            })
            .collect();
        assert_eq!(nodes, ["n1", "n2", "n3"], "seed {seed}");
        let evicted = records(&sim, |r| match r {
            Record::PodDeleting { pod, reason: "DeletionByTaintManager" } => Some(pod.clone()),
            _ => None,
        });
        assert_eq!(evicted.len(), 1, "seed {seed}");
        assert!(evicted[0].0 == 530_100 || evicted[0].0 == 535_100, "seed {seed}: evicted at {} ms", evicted[0].0);
        assert_eq!(evicted[0].1, "default/db-1");
        assert_eq!(created(&sim, "db-1"), [10, 600], "seed {seed}: no replacement before the node is back");
        let db1 = store.pod(store.pod_id("default", "db-1").unwrap());
        assert_eq!(store.node(db1.status.node.unwrap()).meta.name, "n2");
        assert_eq!(db1.status.first_ready_at.map(|t| t.as_micros() / 1_000_000), Some(610));
        assert_eq!(status(&sim).ready_replicas, 3);
    }
}
