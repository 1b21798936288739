//! `rollback` events (`kubectl rollout undo`): which revision is restored, and the refusals.

use crate::support::{parse, run};

/// Three releases (1.0, 2.0, 3.0), then a rollback event `rollback` at 3m.
fn scenario(rollback: &str, paused_at_end: bool) -> String {
    let release = |image: &str, paused: bool| {
        format!(
            "apiVersion: apps/v1\n        kind: Deployment\n        metadata: {{name: web}}\n        spec:\n          replicas: 2\n          paused: {paused}\n          selector: {{matchLabels: {{app: web}}}}\n          template:\n            metadata: {{labels: {{app: web}}}}\n            spec: {{containers: [{{name: c, image: \"{image}\", resources: {{requests: {{cpu: 100m}}}}}}]}}"
        )
    };
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: rollback}}
spec:
  until: 5m
  cluster:
    nodes:
      - {{name: n1, allocatable: {{cpu: "8", memory: 8Gi}}}}
  manifests:
    - inline:
        {}
  events:
    - at: 1m
      apply:
        {}
    - at: 2m
      apply:
        {}
    - at: 3m
      {rollback}
"#,
        release("app:1.0", false),
        release("app:2.0", false),
        release("app:3.0", paused_at_end)
    )
}

/// The image of the Deployment's template after the run, and the failed actions.
fn outcome(text: &str) -> (String, Vec<String>) {
    let sim = run(parse(text), None);
    let store = sim.store();
    let d = store.deployment(store.deployment_id("default", "web").unwrap()).unwrap();
    let image = d.template.spec.containers[0].image.clone();
    let failures = crate::support::failed_actions(&sim);
    (image, failures)
}

#[test]
fn rollback_restores_the_previous_or_a_named_revision() {
    // Revisions 1 (1.0), 2 (2.0), 3 (3.0): undo goes to 2.
    let (image, failures) = outcome(&scenario("rollback: deployment/default/web", false));
    assert_eq!((image.as_str(), failures.len()), ("app:2.0", 0));
    let (image, _) = outcome(&scenario("rollback: {target: deployment/default/web, toRevision: 1}", false));
    assert_eq!(image, "app:1.0");
    // The restored ReplicaSet becomes the newest revision (4); its pods run again.
    let sim = run(parse(&scenario("rollback: {target: deployment/default/web, toRevision: 1}", false)), None);
    let store = sim.store();
    let d = store.deployment_id("default", "web").unwrap();
    let revisions: Vec<(String, String)> = store
        .deployment_rs(d)
        .iter()
        .map(|&rs| {
            let rs = store.replica_set(rs).unwrap();
            (
                rs.template.spec.containers[0].image.clone(),
                rs.meta.annotations["deployment.kubernetes.io/revision"].clone(),
            )
        })
        .collect();
    assert!(revisions.contains(&("app:1.0".into(), "4".into())), "{revisions:?}");
    assert_eq!(store.deployment(d).unwrap().status.ready_replicas, 2);
}

#[test]
fn rollback_refusals_are_kubectls() {
    let (image, failures) = outcome(&scenario("rollback: {target: deployment/default/web, toRevision: 7}", false));
    assert_eq!(image, "app:3.0");
    assert!(failures[0].contains("unable to find specified revision 7 in history"), "{failures:?}");
    let (_, failures) = outcome(&scenario("rollback: deployment/default/web", true));
    assert!(failures[0].contains("you cannot rollback a paused deployment"), "{failures:?}");
    let (_, failures) = outcome(&scenario("rollback: deployment/default/nothing", false));
    assert!(failures[0].contains("not found"), "{failures:?}");
    let err = kubesim::scenario::Scenario::parse(
        &scenario("rollback: replicaset/default/web", false),
        "s.yaml",
        &kubesim::scenario::NoFiles,
    )
    .expect_err("refused")
    .to_string();
    assert!(err.contains("cannot roll back a ReplicaSet: only deployments"), "{err}");
}
