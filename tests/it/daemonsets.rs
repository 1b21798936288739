//! The DaemonSet controller against hand-computed timelines (controllers reference §8): one
//! pod per eligible node, nodes added, tainted and relabelled, the daemon tolerations (node
//! failure, cordon), the failed-pod backoff, and rolling updates with maxUnavailable and
//! maxSurge.
//!
//! Unless a test says otherwise, daemon pods are Ready 5 s after they start and exit at once
//! when deleted.

use kubesim::api::daemonset::DaemonSetStatus;
use kubesim::engine::Simulation;
use kubesim::journal::Record;

use crate::support::{parse, run};

/// Three 4-cpu nodes n1..n3 (`nodes` adds more node lines) and the DaemonSet `agent` in
/// kube-system: `spec` lines go under `spec:`, `pod_spec` lines under the template's `spec:`,
/// `extra` after the manifests.
fn scenario(nodes: &str, spec: &str, pod_spec: &str, until: &str, extra: &str) -> String {
    let spec: String = spec.lines().map(|l| format!("          {l}\n")).collect();
    let pod_spec: String = pod_spec.lines().map(|l| format!("              {l}\n")).collect();
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: ds}}
spec:
  until: {until}
  cluster:
    nodes:
      - {{name: n1, allocatable: {{cpu: "4", memory: 16Gi}}}}
      - {{name: n2, allocatable: {{cpu: "4", memory: 16Gi}}}}
      - {{name: n3, allocatable: {{cpu: "4", memory: 16Gi}}}}
{nodes}  manifests:
    - inline:
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {{name: agent, namespace: kube-system}}
        spec:
{spec}          selector: {{matchLabels: {{app: agent}}}}
          template:
            metadata:
              labels: {{app: agent}}
              annotations: {{sim.kubesim.io/startup: 5s}}
            spec:
{pod_spec}              containers: [{{name: agent, image: "agent:1", resources: {{requests: {{cpu: 100m, memory: 64Mi}}}}}}]
{extra}"#
    )
}

/// The template of [`scenario`] with image `image`, applied at `at`.
fn apply_image(at: &str, spec: &str, image: &str) -> String {
    let spec: String = spec.lines().map(|l| format!("            {l}\n")).collect();
    format!(
        r#"    - at: {at}
      apply:
          apiVersion: apps/v1
          kind: DaemonSet
          metadata: {{name: agent, namespace: kube-system}}
          spec:
{spec}            selector: {{matchLabels: {{app: agent}}}}
            template:
              metadata:
                labels: {{app: agent}}
                annotations: {{sim.kubesim.io/startup: 5s}}
              spec:
                containers: [{{name: agent, image: "{image}", resources: {{requests: {{cpu: 100m, memory: 64Mi}}}}}}]
"#
    )
}

fn status(sim: &Simulation) -> &DaemonSetStatus {
    let store = sim.store();
    &store.daemonset(store.ds_id("kube-system", "agent").expect("exists")).expect("live").status
}

/// (creation time s, node) of every pod the DaemonSet made, in creation order.
fn pods(sim: &Simulation) -> Vec<(u64, String)> {
    let store = sim.store();
    store
        .pod_entries()
        .filter(|p| p.controller().is_some_and(|(_, name)| name == "agent"))
        .map(|p| {
            let node = p.node().map(|n| store.node(n).meta.name.clone()).unwrap_or_default();
            (p.created().as_micros() / 1_000_000, node)
        })
        .collect()
}

fn records<T>(sim: &Simulation, pick: impl Fn(&Record) -> Option<T>) -> Vec<(u64, T)> {
    sim.journal().records().iter().filter_map(|(t, r)| pick(r).map(|v| (t.as_micros() / 1000, v))).collect()
}

fn assert_checks_pass(sim: &Simulation) {
    for r in sim.check_results() {
        assert!(r.passed, "{:?} failed at {} (actual: {})", r.text, r.at, r.actual);
    }
}

/// One pod per node at 0 s, pinned by `matchFields metadata.name` and bound by the scheduler;
/// a node added at 60 s (an applied Node manifest) gets its pod at 60 s, Ready at 65 s.
#[test]
fn one_pod_per_node_and_a_new_node_gets_its_own() {
    let extra = r#"  events:
    - at: 1m
      apply:
        apiVersion: v1
        kind: Node
        metadata: {name: n4}
        status: {allocatable: {cpu: "4", memory: 16Gi}}
  checks:
    - {at: 5s, expect: "daemonset/kube-system/agent numberReady == 3"}
    - {at: 1m, expect: "daemonset/kube-system/agent desiredNumberScheduled == 4"}
    - {at: 1m, expect: "daemonset/kube-system/agent currentNumberScheduled == 4"}
    - {at: 64s, expect: "daemonset/kube-system/agent numberReady == 3"}
    - {at: 65s, expect: "daemonset/kube-system/agent numberReady == 4"}
"#;
    let sim = run(parse(&scenario("", "", "", "2m", extra)), None);
    assert_checks_pass(&sim);
    assert_eq!(pods(&sim), [(0, "n1".into()), (0, "n2".into()), (0, "n3".into()), (60, "n4".into())]);
    let store = sim.store();
    let pod = store.pod_entries().find(|p| p.name().starts_with("agent-")).unwrap().full().expect("not removed");
    let required = pod.spec.affinity.node_affinity.as_ref().unwrap().required.as_ref().unwrap();
    assert_eq!(required.terms[0].match_fields[0].values, ["n1"]);
    assert!(
        pod.spec
            .tolerations
            .iter()
            .any(|t| t.key == "node.kubernetes.io/unreachable" && t.toleration_seconds.is_none())
    );
    assert!(pod.meta.labels.contains_key("controller-revision-hash"));
    let s = status(&sim);
    assert_eq!((s.desired_number_scheduled, s.updated_number_scheduled, s.number_misscheduled), (4, 4, 0));
}

/// A tainted node is skipped unless the template tolerates the taint; nodeSelector restricts
/// the nodes; a cordoned node still gets its pod (the unschedulable toleration).
#[test]
fn taints_selectors_and_cordon() {
    let gpu = "      - {name: gpu-1, allocatable: {cpu: \"4\", memory: 16Gi}, labels: {gpu: \"true\"}, taints: [{key: nvidia.com/gpu, effect: NoSchedule}]}\n";
    let sim = run(parse(&scenario(gpu, "", "", "1m", "")), None);
    assert_eq!(pods(&sim).iter().map(|p| p.1.as_str()).collect::<Vec<_>>(), ["n1", "n2", "n3"]);

    let tolerate =
        "tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]\nnodeSelector: {gpu: \"true\"}";
    let sim = run(parse(&scenario(gpu, "", tolerate, "1m", "")), None);
    assert_eq!(pods(&sim), [(0, "gpu-1".into())]);
    assert_eq!(status(&sim).desired_number_scheduled, 1);

    let cordoned = "      - {name: n4, allocatable: {cpu: \"4\", memory: 16Gi}, unschedulable: true}\n";
    let sim = run(parse(&scenario(cordoned, "", "", "1m", "")), None);
    assert_eq!(pods(&sim).iter().map(|p| p.1.as_str()).collect::<Vec<_>>(), ["n1", "n2", "n3", "n4"]);
}

/// A node relabelled so that the nodeSelector no longer matches loses its pod (deleted at
/// once); relabelled back, it gets a new one.
#[test]
fn a_node_that_becomes_ineligible_loses_its_pod() {
    let nodes = "      - {name: n4, allocatable: {cpu: \"4\", memory: 16Gi}, labels: {agent: \"yes\"}}\n";
    let relabel = |at: &str, value: &str| {
        format!(
            "    - at: {at}\n      apply: {{apiVersion: v1, kind: Node, metadata: {{name: n4, labels: {{agent: \"{value}\"}}}}, status: {{allocatable: {{cpu: \"4\", memory: 16Gi}}}}}}\n"
        )
    };
    let extra = format!("  events:\n{}{}", relabel("1m", "no"), relabel("2m", "yes"));
    let sim = run(parse(&scenario(nodes, "", "nodeSelector: {agent: \"yes\"}", "3m", &extra)), None);
    assert_eq!(pods(&sim), [(0, "n4".into()), (120, "n4".into())]);
    let deleted = records(&sim, |r| match r {
        Record::PodDeleting { reason, .. } => Some(*reason),
        _ => None,
    });
    assert_eq!(deleted, [(60_000, "NodeNotEligible")]);
}

/// A machine failure never evicts a daemon pod (it tolerates unreachable:NoExecute forever),
/// while a Deployment's pod on the same node is evicted 300 s after the taint. While n1 is
/// NotReady its unreachable:NoSchedule taint makes it a node that should not run a new daemon
/// pod but may keep its own: desired 2, misscheduled 1. Back at 10 m, desired is 3 again.
#[test]
fn daemon_pods_survive_a_node_failure() {
    let web = r#"    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              nodeSelector: {kubernetes.io/hostname: n1}
              containers: [{name: web, resources: {requests: {cpu: 100m}}}]
  events:
    - {at: 1m, failNode: n1}
    - {at: 10m, recoverNode: n1}
  checks:
    - {at: 9m, expect: "daemonset/kube-system/agent desiredNumberScheduled == 2"}
    - {at: 9m, expect: "daemonset/kube-system/agent numberMisscheduled == 1"}
    - {at: 9m, expect: "daemonset/kube-system/agent currentNumberScheduled == 2"}
    - {at: 11m, expect: "daemonset/kube-system/agent desiredNumberScheduled == 3"}
    - {at: 11m, expect: "daemonset/kube-system/agent numberReady == 3"}
"#;
    let sim = run(parse(&scenario("", "", "", "12m", web)), None);
    assert_checks_pass(&sim);
    let evicted = records(&sim, |r| match r {
        Record::PodDeleting { pod, reason: "DeletionByTaintManager" } => Some(pod.clone()),
        _ => None,
    });
    assert_eq!(evicted.len(), 1, "only the Deployment's pod: {evicted:?}");
    assert!(evicted[0].1.starts_with("default/web-"), "{evicted:?}");
    assert_eq!(pods(&sim).len(), 3, "no daemon pod was replaced");
}

/// A template with `nodeName: n1` and more cpu than n1 has: the kubelet rejects each pod at
/// once (OutOfcpu, Failed). The first failed pod is deleted at 0 s and its replacement made
/// at once (the failed pod, being deleted, no longer counts); that one fails too and is
/// deleted only when the node's backoff (1 s, from 0 s) has passed, at 1 s; then the backoff
/// doubles: deletions (and new pods) at 3, 7, 15, 31, 63, 127, 255, 511 and 1023 s, and with
/// the 15-minute cap at 1923 s.
#[test]
fn failed_pods_are_recreated_with_the_per_node_backoff() {
    let pod_spec = "nodeName: n1";
    let text = scenario("", "", pod_spec, "35m", "")
        .replace("requests: {cpu: 100m, memory: 64Mi}", "requests: {cpu: \"6\", memory: 64Mi}");
    let sim = run(parse(&text), None);
    let created: Vec<u64> = pods(&sim).iter().map(|p| p.0).collect();
    assert_eq!(created, [0, 0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 1923]);
    let store = sim.store();
    let last = store.pod_entries().rfind(|p| p.name().starts_with("agent-")).unwrap();
    assert_eq!(last.reason(), "OutOfcpu");
}

/// maxUnavailable 1 (the default): a new template at 60 s replaces one node's pod at a time,
/// each once the previous replacement is Ready: n1 at 60 s, n2 at 65 s, n3 at 70 s; all
/// updated and Ready at 75 s.
#[test]
fn rolling_update_replaces_one_node_at_a_time() {
    let extra = format!(
        "  events:\n{}  checks:\n    - {{at: 74s, expect: \"daemonset/kube-system/agent updatedNumberScheduled == 3\"}}\n    - {{at: 74s, expect: \"daemonset/kube-system/agent numberReady == 2\"}}\n    - {{at: 75s, expect: \"daemonset/kube-system/agent numberReady == 3\"}}\n",
        apply_image("1m", "", "agent:2")
    );
    let sim = run(parse(&scenario("", "", "", "2m", &extra)), None);
    assert_checks_pass(&sim);
    let created: Vec<(u64, String)> = pods(&sim).into_iter().skip(3).collect();
    assert_eq!(created, [(60, "n1".into()), (65, "n2".into()), (70, "n3".into())]);
}

/// maxSurge 1 (maxUnavailable 0): the new pod starts beside the old one, which goes once the
/// new one is available: n1's new pod at 60 s (old one deleted at 65 s), n2's at 65 s, n3's at
/// 70 s. maxUnavailable 2: two nodes at a time, at 60 s and 65 s.
#[test]
fn rolling_update_with_surge_or_more_unavailable() {
    let surge = "updateStrategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}";
    let extra = format!("  events:\n{}", apply_image("1m", surge, "agent:2"));
    let sim = run(parse(&scenario("", surge, "", "2m", &extra)), None);
    let created: Vec<(u64, String)> = pods(&sim).into_iter().skip(3).collect();
    assert_eq!(created, [(60, "n1".into()), (65, "n2".into()), (70, "n3".into())]);
    let deleted: Vec<u64> =
        records(&sim, |r| matches!(r, Record::PodDeleting { .. }).then_some(())).iter().map(|d| d.0).collect();
    assert_eq!(deleted, [65_000, 70_000, 75_000]);

    let two = "updateStrategy: {rollingUpdate: {maxUnavailable: 2}}";
    let extra = format!("  events:\n{}", apply_image("1m", two, "agent:2"));
    let sim = run(parse(&scenario("", two, "", "2m", &extra)), None);
    let created: Vec<(u64, String)> = pods(&sim).into_iter().skip(3).collect();
    assert_eq!(created, [(60, "n1".into()), (60, "n2".into()), (65, "n3".into())]);
}

/// minReadySeconds 3 with maxUnavailable 1: each node's new pod must be available (Ready for
/// 3 s) before the next node's old pod goes: n1's at 60 s (Ready 65 s, available 68 s — the
/// sync at 65 s counted a Ready pod not yet available and comes back 3 s later), n2's at 68 s
/// (available 76 s), n3's at 76 s. With maxSurge 1 instead, the old pod goes once the new one is
/// available, but the status counts the oldest pod of a node — the old one, available — so no
/// status resync is due; the new pod's readiness at 65 s asks for a sync 3 + 1 s later
/// (`updatePod`): n1's old pod is deleted at 69 s and n2's new pod made in the sync that
/// follows; then 78 s and 87 s.
#[test]
fn rolling_update_waits_for_min_ready_seconds() {
    let spec = "minReadySeconds: 3";
    let extra = format!("  events:\n{}", apply_image("1m", spec, "agent:2"));
    let sim = run(parse(&scenario("", spec, "", "3m", &extra)), None);
    let created: Vec<(u64, String)> = pods(&sim).into_iter().skip(3).collect();
    assert_eq!(created, [(60, "n1".into()), (68, "n2".into()), (76, "n3".into())]);

    let spec = "minReadySeconds: 3\nupdateStrategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}";
    let extra = format!("  events:\n{}", apply_image("1m", spec, "agent:2"));
    let sim = run(parse(&scenario("", spec, "", "3m", &extra)), None);
    let created: Vec<(u64, String)> = pods(&sim).into_iter().skip(3).collect();
    assert_eq!(created, [(60, "n1".into()), (69, "n2".into()), (78, "n3".into())]);
    let deleted: Vec<u64> =
        records(&sim, |r| matches!(r, Record::PodDeleting { .. }).then_some(())).iter().map(|d| d.0).collect();
    assert_eq!(deleted, [69_000, 78_000, 87_000]);
}

/// OnDelete: a new template changes nothing until a pod is deleted.
#[test]
fn on_delete_waits() {
    let spec = "updateStrategy: {type: OnDelete}";
    let extra = format!("  events:\n{}", apply_image("1m", spec, "agent:2"));
    let sim = run(parse(&scenario("", spec, "", "2m", &extra)), None);
    assert_eq!(pods(&sim).len(), 3);
    assert_eq!(status(&sim).updated_number_scheduled, 0);
}

/// Deleting the DaemonSet deletes its pods.
#[test]
fn deleting_the_daemonset_deletes_its_pods() {
    let extra = "  events:\n    - {at: 1m, delete: ds/kube-system/agent}\n  checks:\n    - {at: 1m, expect: \"daemonset/kube-system/agent exists == False\"}\n    - {at: 1m, expect: \"cluster podsRunning == 0\"}\n";
    let sim = run(parse(&scenario("", "", "", "2m", extra)), None);
    assert_checks_pass(&sim);
}
