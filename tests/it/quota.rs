//! LimitRange and ResourceQuota admission: defaults, limits and quotas at pod creation, as
//! the API server's LimitRanger and ResourceQuota plugins apply them.

use crate::support::{parse, run};

/// Namespace `team` with `policy` objects, a Deployment `web` of `replicas` pods whose one
/// container has `resources`, and `events`.
fn scenario(policy: &str, replicas: u32, resources: &str, events: &str) -> String {
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: quota}}
spec:
  until: 5m
  cluster:
    nodes:
      - {{name: n1, allocatable: {{cpu: "16", memory: 32Gi}}}}
  manifests:
    - inline: {{apiVersion: v1, kind: Namespace, metadata: {{name: team}}}}
{policy}    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: web, namespace: team}}
        spec:
          replicas: {replicas}
          selector: {{matchLabels: {{app: web}}}}
          template:
            metadata: {{labels: {{app: web}}}}
            spec: {{containers: [{{name: app, resources: {resources}}}]}}
  events:
{events}"#
    )
}

const NO_EVENTS: &str = "    - {at: 1s, cordon: n1}\n";

fn failures(text: &str) -> Vec<String> {
    crate::support::failed_actions(&run(parse(text), None))
}

fn ready(text: &str) -> i32 {
    let sim = run(parse(text), None);
    let store = sim.store();
    store.deployment(store.deployment_id("team", "web").unwrap()).unwrap().status.ready_replicas
}

#[test]
fn limit_range_defaults_fill_in_requests_and_limits() {
    let range = "    - inline: {apiVersion: v1, kind: LimitRange, metadata: {name: defaults, namespace: team}, spec: {limits: [{type: Container, default: {cpu: 500m, memory: 512Mi}, defaultRequest: {cpu: 100m}}]}}\n";
    let sim = run(parse(&scenario(range, 2, "{}", NO_EVENTS)), None);
    let store = sim.store();
    let spec = store.pod_entries().find(|p| p.namespace() == "team").unwrap().spec();
    let c = &spec.containers[0];
    assert_eq!(c.requests[&kubesim::api::resources::ResourceName::Cpu].to_string(), "100m");
    assert_eq!(c.limits[&kubesim::api::resources::ResourceName::Cpu].to_string(), "500m");
    // No defaultRequest for memory: it defaults to the default limit.
    assert_eq!(c.requests[&kubesim::api::resources::ResourceName::Memory].to_string(), "512Mi");
    assert_eq!(spec.requests.milli_cpu, 100, "the scheduler sees the defaulted request");
}

#[test]
fn limit_range_max_refuses_pods() {
    let range = "    - inline: {apiVersion: v1, kind: LimitRange, metadata: {name: caps, namespace: team}, spec: {limits: [{type: Container, max: {cpu: \"1\"}}]}}\n";
    let f = failures(&scenario(range, 1, "{requests: {cpu: 500m}, limits: {cpu: \"2\"}}", NO_EVENTS));
    assert!(!f.is_empty());
    assert!(f[0].contains("maximum cpu usage per Container is 1, but limit is 2"), "{f:?}");
    assert_eq!(ready(&scenario(range, 1, "{requests: {cpu: 500m}, limits: {cpu: \"2\"}}", NO_EVENTS)), 0);
}

#[test]
fn quota_caps_the_namespace_and_admits_again_when_raised() {
    let quota = |pods: u32| {
        format!(
            "    - inline: {{apiVersion: v1, kind: ResourceQuota, metadata: {{name: compute, namespace: team}}, spec: {{hard: {{pods: \"{pods}\", requests.cpu: \"4\"}}}}}}\n"
        )
    };
    let text = scenario(&quota(2), 3, "{requests: {cpu: 500m}}", NO_EVENTS);
    let f = failures(&text);
    assert!(f[0].contains("exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2"), "{f:?}");
    assert_eq!(ready(&text), 2);
    // Raised at 1m: the ReplicaSet's retry (its work-queue backoff) creates the third pod.
    let raise = "    - at: 1m\n      apply: {apiVersion: v1, kind: ResourceQuota, metadata: {name: compute, namespace: team}, spec: {hard: {pods: \"3\", requests.cpu: \"4\"}}}\n";
    assert_eq!(ready(&scenario(&quota(2), 3, "{requests: {cpu: 500m}}", raise)), 3);
    // Without a cpu request the pod does not say what it needs of a limited resource.
    let f = failures(&scenario(&quota(5), 1, "{}", NO_EVENTS));
    assert!(f[0].contains("failed quota: compute: must specify requests.cpu for: app"), "{f:?}");
}

#[test]
fn quota_checks_report_usage() {
    let quota = "    - inline: {apiVersion: v1, kind: ResourceQuota, metadata: {name: compute, namespace: team}, spec: {hard: {pods: \"10\", requests.cpu: \"4\", limits.memory: 8Gi}}}\n";
    let checks = "  checks:\n    - {at: 1m, expect: \"resourcequota/team/compute usedPods == 3\"}\n    - {at: 1m, expect: \"resourcequota/team/compute usedRequestsCpu == 1500\"}\n";
    let text = scenario(quota, 3, "{requests: {cpu: 500m}, limits: {memory: 1Gi}}", NO_EVENTS) + checks;
    let sim = run(parse(&text), None);
    for r in sim.check_results() {
        assert!(r.passed, "{:?}: {}", r.text, r.actual);
    }
}
