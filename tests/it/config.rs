//! ConfigMaps and Secrets a pod needs: the kubelet holds the container back while one (or a
//! key of one) is missing, with Kubernetes' reasons and messages; optional references never
//! block.

use crate::support::{parse, run};

/// One node; a pod `p` whose container spec ends with `container_extra` and whose pod spec
/// ends with `pod_extra`; `manifests` and `events` are added as written.
fn scenario(container_extra: &str, pod_extra: &str, manifests: &str, events: &str) -> String {
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: config}}
spec:
  until: 2m
  cluster:
    nodes:
      - {{name: n1, allocatable: {{cpu: "8", memory: 16Gi}}}}
  manifests:
    - inline:
        apiVersion: v1
        kind: Pod
        metadata: {{name: p}}
        spec:
          containers:
            - name: c
{container_extra}{pod_extra}{manifests}  events:
{events}"#
    )
}

fn waiting_at_end(text: &str) -> (String, String, bool) {
    let sim = run(parse(text), None);
    let store = sim.store();
    let p = store.pod(store.pod_id("default", "p").unwrap());
    (p.status.waiting_reason().to_string(), p.status.waiting_message().to_string(), p.status.start_time.is_some())
}

const NO_EVENTS: &str = "    - {at: 1s, cordon: n1}\n";

#[test]
fn missing_objects_and_keys_block_with_kubernetes_messages() {
    let env = "              env: [{name: A, valueFrom: {configMapKeyRef: {name: cfg, key: a}}}]\n";
    let (reason, message, started) = waiting_at_end(&scenario(env, "", "", NO_EVENTS));
    assert_eq!(
        (reason.as_str(), message.as_str(), started),
        ("CreateContainerConfigError", "configmap \"cfg\" not found", false)
    );

    let cm = "    - inline: {apiVersion: v1, kind: ConfigMap, metadata: {name: cfg}, data: {b: x}}\n";
    let (reason, message, _) = waiting_at_end(&scenario(env, "", cm, NO_EVENTS));
    assert_eq!(reason, "CreateContainerConfigError");
    assert_eq!(message, "couldn't find key a in ConfigMap default/cfg");

    let env_from = "              envFrom: [{secretRef: {name: creds}}]\n";
    let (_, message, _) = waiting_at_end(&scenario(env_from, "", "", NO_EVENTS));
    assert_eq!(message, "secret \"creds\" not found");

    // A volume problem comes first: volumes are mounted before the container is created.
    let volume = "          volumes: [{name: v, secret: {secretName: tls, items: [{key: crt, path: tls.crt}]}}]\n";
    let (reason, message, _) = waiting_at_end(&scenario(env, volume, "", NO_EVENTS));
    assert_eq!(reason, "ContainerCreating");
    assert_eq!(message, "MountVolume.SetUp failed for volume \"v\" : secret \"tls\" not found");
    let tls = "    - inline: {apiVersion: v1, kind: Secret, metadata: {name: tls}, data: {key: eA==}}\n";
    let (_, message, _) = waiting_at_end(&scenario("", volume, tls, NO_EVENTS));
    assert_eq!(message, "MountVolume.SetUp failed for volume \"v\" : secret references non-existent config key: crt");
}

#[test]
fn optional_references_never_block() {
    let env = "              env: [{name: A, valueFrom: {configMapKeyRef: {name: cfg, key: a, optional: true}}}]\n              envFrom: [{secretRef: {name: s, optional: true}}]\n";
    let volume = "          volumes: [{name: v, projected: {sources: [{configMap: {name: other, optional: true}}]}}]\n";
    let (reason, _, started) = waiting_at_end(&scenario(env, volume, "", NO_EVENTS));
    assert_eq!((reason.as_str(), started), ("", true));
}

/// The volume manager retries a failed mount after 0.5, 1, 2, 4 ... s: an object created at
/// 10 s is mounted at the retry at 15.5 s (0.5 + 1 + 2 + 4 + 8).
#[test]
fn a_missing_volume_source_is_retried_with_exponential_backoff() {
    let volume = "          volumes: [{name: v, configMap: {name: cfg}}]\n";
    let events = "    - at: 10s\n      apply: {apiVersion: v1, kind: ConfigMap, metadata: {name: cfg}, data: {a: x}}\n";
    let sim = run(parse(&scenario("", volume, "", events)), None);
    let store = sim.store();
    let p = store.pod(store.pod_id("default", "p").unwrap());
    assert_eq!(p.status.start_time.map(|t| t.as_micros()), Some(15_500_000));
    assert!(p.status.waiting_reason().is_empty());
}

#[test]
fn config_objects_are_validated() {
    let bad_key = "    - inline: {apiVersion: v1, kind: ConfigMap, metadata: {name: cfg}, data: {\"a/b\": x}}\n";
    let err = kubesim::scenario::Scenario::parse(
        &scenario("", "", bad_key, NO_EVENTS),
        "s.yaml",
        &kubesim::scenario::NoFiles,
    )
    .expect_err("refused")
    .to_string();
    assert!(err.contains("a valid config key must consist of alphanumeric characters"), "{err}");
    let no_name = "              env: [{name: A, valueFrom: {secretKeyRef: {key: a}}}]\n";
    let err = kubesim::scenario::Scenario::parse(
        &scenario(no_name, "", "", NO_EVENTS),
        "s.yaml",
        &kubesim::scenario::NoFiles,
    )
    .expect_err("refused")
    .to_string();
    assert!(err.contains("secretKeyRef.name") && err.contains("Required value"), "{err}");
}
