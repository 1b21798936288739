//! The Eviction API and `kubectl drain`: budgets, refusals, retries and kubectl's filters.

use crate::support::{parse, run};

/// Two nodes; a Deployment `web` of `replicas` pods pinned to n1 (nodeSelector), an optional
/// budget, extra manifests and events.
fn scenario(replicas: i32, budget: &str, extra_manifests: &str, events: &str) -> String {
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: drain}}
spec:
  until: 3m
  cluster:
    nodes:
      - {{name: n1, allocatable: {{cpu: "8", memory: 16Gi}}}}
      - {{name: n2, allocatable: {{cpu: "8", memory: 16Gi}}}}
  manifests:
    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: web}}
        spec:
          replicas: {replicas}
          selector: {{matchLabels: {{app: web}}}}
          template:
            metadata: {{labels: {{app: web}}, annotations: {{sim.kubesim.io/startup: 4s}}}}
            spec: {{nodeSelector: {{kubernetes.io/hostname: n1}}, containers: [{{name: c, resources: {{requests: {{cpu: 100m}}}}}}]}}
{budget}{extra_manifests}  events:
{events}"#
    )
}

fn failures(text: &str) -> Vec<String> {
    crate::support::failed_actions(&run(parse(text), None))
}

fn budget(name: &str, spec: &str) -> String {
    format!(
        "    - inline: {{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {{name: {name}}}, spec: {{{spec}, selector: {{matchLabels: {{app: web}}}}}}}}\n"
    )
}

/// kubectl refuses to drain a node with a pod no controller manages, unless forced.
#[test]
fn unmanaged_pods_need_force() {
    let bare = "    - inline: {apiVersion: v1, kind: Pod, metadata: {name: bare}, spec: {nodeName: n1, containers: [{name: c}]}}\n";
    let f = failures(&scenario(1, "", bare, "    - {at: 10s, drain: n1}\n"));
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].contains("cannot delete Pods that declare no controller (use --force to override): default/bare"),
        "{f:?}"
    );
    // Forced: the bare pod is deleted, the web pod evicted; the node ends empty.
    let text = scenario(1, "", bare, "    - {at: 10s, drain: {node: n1, force: true}}\n");
    assert!(failures(&text).is_empty());
    let sim = run(parse(&text), None);
    let store = sim.store();
    let n1 = store.node_id("n1").unwrap();
    assert!(store.pods_on_node(n1).is_empty());
    assert!(store.pod_id("default", "bare").is_none(), "the bare pod is gone for good");
}

/// Two budgets selecting the same pod: the Eviction API refuses with an error (not a 429).
#[test]
fn a_pod_with_two_budgets_cannot_be_evicted() {
    let budgets = budget("a", "minAvailable: 0") + &budget("b", "maxUnavailable: 1");
    let text = scenario(1, &budgets, "", "    - {at: 10s, evict: pod/default/PLACEHOLDER}\n");
    // The pod's name is generated: find it with a first run.
    let sim = run(
        parse(&text.replace("    - {at: 10s, evict: pod/default/PLACEHOLDER}\n", "    - {at: 10s, cordon: n2}\n")),
        None,
    );
    let store = sim.store();
    let name = store.pod_entry(kubesim::store::PodId(0)).name().to_string();
    let f = failures(&text.replace("PLACEHOLDER", &name));
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].contains("more than one PodDisruptionBudget"), "{f:?}");
}

/// A budget that allows nothing blocks a drain until its timeout; the node stays cordoned.
#[test]
fn a_budget_that_allows_nothing_blocks_the_drain_until_the_timeout() {
    let text = scenario(2, &budget("web", "minAvailable: 2"), "", "    - {at: 10s, drain: {node: n1, timeout: 1m}}\n");
    let f = failures(&text);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].contains("drain did not complete within 1m"), "{f:?}");
    let sim = run(parse(&text), None);
    let store = sim.store();
    let n1 = store.node_id("n1").unwrap();
    assert_eq!(store.pods_on_node(n1).len(), 2, "no pod could go");
    assert!(store.node(n1).unschedulable);
}

/// An unready pod may be evicted while the budget is healthy (IfHealthyBudget), or always
/// (AlwaysAllow); with an unhealthy budget and the default policy it is refused.
#[test]
fn unready_pods_follow_the_unhealthy_pod_eviction_policy() {
    // Pods become Ready 4 s after start; evict at 2 s, while both are unready.
    let evict_first = |policy: &str, min: i32| {
        let spec = if policy.is_empty() {
            format!("minAvailable: {min}")
        } else {
            format!("minAvailable: {min}, unhealthyPodEvictionPolicy: {policy}")
        };
        let text = scenario(2, &budget("web", &spec), "", "    - {at: 1s, cordon: n2}\n");
        let sim = run(parse(&text), None);
        let name = sim.store().pod_entry(kubesim::store::PodId(0)).name().to_string();
        failures(&scenario(2, &budget("web", &spec), "", &format!("    - {{at: 2s, evict: pod/default/{name}}}\n")))
    };
    // minAvailable 0: healthy (0 >= 0) although no pod is Ready: the unready pod goes.
    assert!(evict_first("", 0).is_empty());
    // minAvailable 1: unhealthy (0 < 1): refused under IfHealthyBudget, allowed by AlwaysAllow.
    let refused = evict_first("", 1);
    assert!(refused.len() == 1 && refused[0].contains("would violate the pod's disruption budget"), "{refused:?}");
    assert!(evict_first("AlwaysAllow", 1).is_empty());
}

/// DaemonSet pods stop a drain unless `ignoreDaemonSets`; then they stay on the node (their
/// controller would put them back), and the drain completes around them.
#[test]
fn daemonset_pods_need_ignore_daemonsets_and_stay() {
    let ds = "    - inline:\n        apiVersion: apps/v1\n        kind: DaemonSet\n        metadata: {name: agent}\n        spec:\n          selector: {matchLabels: {app: agent}}\n          template:\n            metadata: {labels: {app: agent}}\n            spec: {containers: [{name: a, resources: {requests: {cpu: 50m}}}]}\n";
    let f = failures(&scenario(1, "", ds, "    - {at: 10s, drain: n1}\n"));
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].contains("cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"), "{f:?}");
    let text = scenario(1, "", ds, "    - {at: 10s, drain: {node: n1, ignoreDaemonSets: true}}\n");
    assert!(failures(&text).is_empty());
    let sim = run(parse(&text), None);
    let store = sim.store();
    let n1 = store.node_id("n1").unwrap();
    let left: Vec<String> = store.pods_on_node(n1).iter().map(|&p| store.pod(p).meta.name.clone()).collect();
    assert_eq!(left.len(), 1, "only the daemon pod stays: {left:?}");
    assert!(left[0].starts_with("agent-"), "{left:?}");
}
