//! Namespace deletion: the namespace turns Terminating, NamespaceLifecycle refuses new content,
//! the namespace controller deletes everything in it (pods gracefully), and the namespace
//! object goes once nothing is left; the immortal namespaces cannot be deleted.

use crate::support::{failed_actions, passes};

/// Namespace `team` with a Deployment of 3 (pods exit 20 s after SIGTERM), a Service, a
/// ConfigMap and a PDB, on nodes n1 and n2; then `events` and `checks`.
fn scenario(events: &str, checks: &str) -> String {
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: ns}}
spec:
  until: 10m
  cluster:
    nodes:
      - {{name: n1, allocatable: {{cpu: "4", memory: 8Gi, pods: "110"}}}}
      - {{name: n2, allocatable: {{cpu: "4", memory: 8Gi, pods: "110"}}}}
  manifests:
    - inline: {{apiVersion: v1, kind: Namespace, metadata: {{name: team}}}}
    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: web, namespace: team}}
        spec:
          replicas: 3
          selector: {{matchLabels: {{app: web}}}}
          template:
            metadata:
              labels: {{app: web}}
              annotations: {{sim.kubesim.io/startup: 5s, sim.kubesim.io/shutdown: 20s}}
            spec:
              nodeSelector: {{kubernetes.io/hostname: n1}}
              containers: [{{name: c, image: web, resources: {{requests: {{cpu: 100m}}}}}}]
    - inline: {{apiVersion: v1, kind: Service, metadata: {{name: web, namespace: team}}, spec: {{selector: {{app: web}}, ports: [{{port: 80}}]}}}}
    - inline: {{apiVersion: v1, kind: ConfigMap, metadata: {{name: settings, namespace: team}}, data: {{a: b}}}}
    - inline: {{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {{name: web, namespace: team}}, spec: {{minAvailable: 3, selector: {{matchLabels: {{app: web}}}}}}}}
  events:
{events}
  checks:
{checks}
"#
    )
}

/// At 1m: Terminating, the Deployment, Service, ConfigMap and PDB gone at once, the pods
/// Terminating (a namespace deletion ignores PodDisruptionBudgets: it deletes, it does not
/// evict); at 1m20s the pods have exited and the namespace is gone. An apply into it while
/// Terminating is refused as NamespaceLifecycle refuses it.
#[test]
fn deleting_a_namespace_deletes_its_content_then_itself() {
    let events = r#"    - {at: 1m, delete: namespace/team}
    - at: 70s
      apply: {apiVersion: v1, kind: Service, metadata: {name: late, namespace: team}, spec: {ports: [{port: 80}]}}"#;
    let checks = r#"    - {at: 59s, expect: "namespace/team phase == Active"}
    - {at: 1m, expect: "namespace/team phase == Terminating"}
    - {at: 1m, expect: "deployment/team/web exists == False"}
    - {at: 1m, expect: "service/team/web exists == False"}
    - {at: 1m, expect: "pdb/team/web exists == False"}
    - {at: 1m, expect: "cluster podsTerminating == 3"}
    - {at: 79s, expect: "namespace/team exists == True"}
    - {at: 80s, expect: "namespace/team exists == False"}
    - {at: 80s, expect: "cluster podsTerminating == 0"}"#;
    let sim = passes(&scenario(events, checks));
    assert_eq!(
        failed_actions(&sim),
        [
            "services \"late\" is forbidden: unable to create new content in namespace team because it is being terminated"
        ]
    );
    let names: Vec<&str> = sim
        .journal()
        .records()
        .iter()
        .filter(|(_, r)| matches!(r.name(), "NamespaceTerminating" | "NamespaceDeleted"))
        .map(|(_, r)| r.name())
        .collect();
    assert_eq!(names, ["NamespaceTerminating", "NamespaceDeleted"]);
}

/// A pod on a dead machine cannot confirm its deletion: the namespace stays Terminating until
/// the machine is back (as a real namespace does, short of a force deletion).
#[test]
fn a_pod_on_a_dead_machine_keeps_its_namespace_terminating() {
    let events = r#"    - {at: 30s, failNode: n1}
    - {at: 1m, delete: namespace/team}
    - {at: 5m, recoverNode: n1}"#;
    let checks = r#"    - {from: 1m, to: 4m59s, mode: always, expect: "namespace/team phase == Terminating"}
    - {at: 5m, expect: "namespace/team exists == False"}"#;
    passes(&scenario(events, checks));
}

/// The immortal namespaces refuse deletion; an unknown one is not found; a deleted namespace
/// can be created again and used.
#[test]
fn immortal_namespaces_stay_and_deleted_ones_can_come_back() {
    let events = r#"    - {at: 10s, delete: namespace/default}
    - {at: 10s, delete: namespace/kube-system}
    - {at: 10s, delete: namespace/nowhere}
    - {at: 1m, delete: namespace/team}
    - {at: 2m, apply: {apiVersion: v1, kind: Namespace, metadata: {name: team}}}
    - at: 2m
      apply: {apiVersion: v1, kind: Pod, metadata: {name: again, namespace: team}, spec: {containers: [{name: c, image: x}]}}"#;
    let checks = r#"    - {at: 11s, expect: "namespace/default exists == True"}
    - {at: 90s, expect: "namespace/team exists == False"}
    - {at: 2m, expect: "namespace/team phase == Active"}
    - {at: 3m, expect: "pod/team/again phase == Running"}"#;
    let sim = passes(&scenario(events, checks));
    assert_eq!(
        failed_actions(&sim),
        [
            "namespaces \"default\" is forbidden: this namespace may not be deleted",
            "namespaces \"kube-system\" is forbidden: this namespace may not be deleted",
            "namespace/nowhere not found",
        ]
    );
}
