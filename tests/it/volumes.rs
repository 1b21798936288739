//! PersistentVolumeClaims, PersistentVolumes and StorageClasses end to end: the PV
//! controller's binding, provisioning and reclaiming, the default class, and the scheduler's
//! VolumeBinding (Immediate against WaitForFirstConsumer, volume node affinity, pods waiting on
//! a claim), StatefulSet claims across pod replacement, and determinism.
//!
//! Most tests write a scenario whose checks state the expected timeline, then assert that every
//! check passed; the rest read the store directly.

use kubesim::engine::Simulation;
use kubesim::kernel::SimTime;

use crate::support::{load, parse, passes, root, run};

/// A scenario with nodes `a1` (zone-a), `b1` (zone-b) and, if `zone_c`, `c1` (zone-c), 4 cpu
/// each; `manifests` is the YAML list under `manifests:` (indented by 4), `rest` the `events:`
/// and `checks:` sections.
fn scenario(until: &str, zone_c: bool, manifests: &str, rest: &str) -> String {
    let c = if zone_c { "      - {name: c1, zone: zone-c, allocatable: {cpu: \"4\", memory: 16Gi}}\n" } else { "" };
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: volumes}}
spec:
  seed: 1
  until: {until}
  cluster:
    nodes:
      - {{name: a1, zone: zone-a, allocatable: {{cpu: "4", memory: 16Gi}}}}
      - {{name: b1, zone: zone-b, allocatable: {{cpu: "4", memory: 16Gi}}}}
{c}  manifests:
{manifests}{rest}"#
    )
}

/// An inline PersistentVolume `name` of `size`, class `class` (`""`: none), access modes
/// `modes`, reclaim policy `policy` and `extra` spec lines (indented by 10).
fn pv(name: &str, size: &str, class: &str, modes: &str, policy: &str, extra: &str) -> String {
    format!(
        r#"    - inline:
        apiVersion: v1
        kind: PersistentVolume
        metadata: {{name: {name}}}
        spec:
          capacity: {{storage: {size}}}
          accessModes: {modes}
          storageClassName: "{class}"
          persistentVolumeReclaimPolicy: {policy}
          csi: {{driver: disk.example.com, volumeHandle: {name}}}
{extra}"#
    )
}

/// An inline PersistentVolumeClaim `name` asking for `size` (ReadWriteOnce) with `class`
/// (`None`: no `storageClassName`) and `extra` spec lines (indented by 10).
fn pvc(name: &str, size: &str, class: Option<&str>, extra: &str) -> String {
    let class = class.map(|c| format!("          storageClassName: \"{c}\"\n")).unwrap_or_default();
    format!(
        r#"    - inline:
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {{name: {name}}}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {{requests: {{storage: {size}}}}}
{class}{extra}"#
    )
}

/// An inline StorageClass; `rest` are further top-level lines (indented by 8).
fn class(name: &str, provisioner: &str, mode: &str, rest: &str) -> String {
    format!(
        r#"    - inline:
        apiVersion: storage.k8s.io/v1
        kind: StorageClass
        metadata: {{name: {name}}}
        provisioner: {provisioner}
        volumeBindingMode: {mode}
{rest}"#
    )
}

/// A pod `name` (ready 10 s after it starts) using the claim `claim`, with `extra` pod spec
/// lines (indented by 10).
fn pod(name: &str, claim: &str, extra: &str) -> String {
    format!(
        r#"    - inline:
        apiVersion: v1
        kind: Pod
        metadata:
          name: {name}
          annotations: {{sim.kubesim.io/startup: 10s}}
        spec:
          containers: [{{name: app, image: app, resources: {{requests: {{cpu: 500m, memory: 1Gi}}}}}}]
          volumes: [{{name: data, persistentVolumeClaim: {{claimName: {claim}}}}}]
{extra}"#
    )
}

#[test]
fn binding_takes_the_fewest_access_modes_then_the_smallest_volume() {
    let manifests = [
        pv("pv-big", "100Gi", "", "[ReadWriteOnce]", "Retain", ""),
        pv("pv-two-modes", "10Gi", "", "[ReadWriteOnce, ReadWriteMany]", "Retain", ""),
        pv("pv-fit", "20Gi", "", "[ReadWriteOnce]", "Retain", ""),
        pv("pv-tiny", "1Gi", "", "[ReadWriteOnce]", "Retain", ""),
        pv("pv-fit-twin", "20Gi", "", "[ReadWriteOnce]", "Retain", ""),
        pvc("data", "5Gi", Some(""), ""),
    ]
    .concat();
    let checks = r#"  checks:
    - {at: 0s, expect: "pvc/default/data phase == Bound"}
    - {at: 0s, expect: "pvc/default/data volume == pv-fit"}
    - {at: 0s, expect: "pv/pv-fit claim == default/data"}
    - {at: 0s, expect: "pv/pv-fit phase == Bound"}
    - {at: 0s, expect: "pv/pv-two-modes phase == Available"}
    - {at: 0s, expect: "pv/pv-fit-twin phase == Available"}
    - {at: 0s, expect: "pv/pv-tiny claim == <none>"}
"#;
    passes(&scenario("1m", false, &manifests, checks));
}

#[test]
fn immediate_classes_bind_at_once_and_wait_for_first_consumer_follows_the_pod() {
    let manifests = [
        class("now", "kubesim.io/zonal-disk", "Immediate", "        allowedTopologies: [{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [zone-b]}]}]\n"),
        class("later", "kubesim.io/zonal-disk", "WaitForFirstConsumer", ""),
        pvc("c-now", "1Gi", Some("now"), ""),
        pvc("c-later", "1Gi", Some("later"), ""),
    ]
    .concat();
    let rest = r#"  events:
    - at: 1m
      apply:
        apiVersion: v1
        kind: Pod
        metadata: {name: uses-later}
        spec:
          nodeSelector: {topology.kubernetes.io/zone: zone-a}
          containers: [{name: app, image: app}]
          volumes: [{name: data, persistentVolumeClaim: {claimName: c-later}}]
    - at: 1m
      apply:
        apiVersion: v1
        kind: Pod
        metadata: {name: uses-now}
        spec:
          containers: [{name: app, image: app}]
          volumes: [{name: data, persistentVolumeClaim: {claimName: c-now}}]
  checks:
    - {at: 0s, expect: "pvc/default/c-now phase == Bound"}
    - {at: 0s, expect: "pvc/default/c-now zone == zone-b"}
    - {from: 0s, to: 59s, expect: "pvc/default/c-later phase == Pending"}
    - {at: 59s, expect: "cluster pvs == 1"}
    - {at: 1m, expect: "pvc/default/c-later phase == Bound"}
    - {at: 1m, expect: "pvc/default/c-later zone == zone-a"}
    - {at: 1m, expect: "pod/default/uses-later node == a1"}
    - {at: 1m, expect: "pod/default/uses-now node == b1"}
    - {at: 1m, expect: "cluster pvs == 2"}
"#;
    let sim = passes(&scenario("2m", false, &manifests, rest));
    let claim = sim.store().pvc("default", "c-later").unwrap();
    assert_eq!(
        claim.meta.annotations.get("volume.kubernetes.io/selected-node").map(String::as_str),
        Some("a1"),
        "the scheduler recorded the node it chose"
    );
}

#[test]
fn a_claim_without_class_gets_the_default_class_at_creation_or_later() {
    // The built-in default class `standard` is given at admission.
    let manifests = pvc("plain", "1Gi", None, "");
    let checks = "  checks:\n    - {at: 0s, expect: \"pvc/default/plain storageClass == standard\"}\n    - {at: 0s, expect: \"sc/standard default == True\"}\n";
    passes(&scenario("1m", false, &manifests, checks));

    // A manifest `standard` without the annotation replaces it: no default; the claim waits,
    // and gets the class marked default later at the PV controller's next 15 s resync.
    let manifests =
        [class("standard", "kubesim.io/zonal-disk", "Immediate", ""), pvc("plain", "1Gi", None, "")].concat();
    let rest = r#"  events:
    - at: 50s
      apply:
        apiVersion: storage.k8s.io/v1
        kind: StorageClass
        metadata:
          name: fast
          annotations: {storageclass.kubernetes.io/is-default-class: "true"}
        provisioner: kubesim.io/zonal-disk
  checks:
    - {at: 0s, expect: "sc/standard default == False"}
    - {from: 0s, to: 59s, expect: "pvc/default/plain storageClass == <none>"}
    - {at: 59s, expect: "pvc/default/plain phase == Pending"}
    - {at: 1m, expect: "pvc/default/plain storageClass == fast"}
    - {at: 1m, expect: "pvc/default/plain phase == Bound"}
"#;
    passes(&scenario("2m", false, &manifests, rest));
}

#[test]
fn immediate_provisioning_draws_a_zone_per_claim_from_the_seed() {
    let manifests =
        [class("any", "kubesim.io/zonal-disk", "Immediate", ""), pvc("data", "1Gi", Some("any"), "")].concat();
    let text =
        scenario("10s", true, &manifests, "  checks:\n    - {at: 0s, expect: \"pvc/default/data phase == Bound\"}\n");
    let zone_of = |seed: u64| {
        let sim = run(parse(&text), Some(seed));
        let claim = sim.store().pvc("default", "data").unwrap();
        sim.store().pv(&claim.spec.volume_name).unwrap().zone()
    };
    let mut zones: Vec<String> = (1..=12).map(zone_of).collect();
    assert_eq!(zone_of(5), zones[4], "the same seed draws the same zone");
    assert!(zones.iter().all(|z| ["zone-a", "zone-b", "zone-c"].contains(&z.as_str())), "{zones:?}");
    zones.sort();
    zones.dedup();
    assert!(zones.len() >= 2, "different seeds draw different zones: {zones:?}");
}

#[test]
fn deleting_claims_reclaims_delete_volumes_and_keeps_retain_ones_released() {
    let manifests = [
        pv("pv-del", "10Gi", "", "[ReadWriteOnce]", "Delete", ""),
        pv("pv-keep", "10Gi", "", "[ReadWriteOnce]", "Retain", ""),
        pvc("a", "1Gi", Some(""), "          volumeName: pv-del\n"),
        pvc("b", "1Gi", Some(""), "          volumeName: pv-keep\n"),
        // A provisioned volume of the built-in class (reclaim policy Delete), used by a pod.
        pvc("c", "1Gi", None, ""),
        pod("user", "c", ""),
    ]
    .concat();
    let rest = r#"  events:
    - {at: 30s, delete: pvc/default/a}
    - {at: 30s, delete: pvc/default/b}
    - {at: 30s, delete: pvc/default/c}
    - {at: 1m, delete: pod/default/user}
    - at: 2m
      apply:
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: b}
        spec:
          storageClassName: ""
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
  checks:
    - {at: 0s, expect: "pvc/default/a volume == pv-del"}
    - {at: 0s, expect: "pvc/default/b volume == pv-keep"}
    - {at: 29s, expect: "cluster pvs == 3"}
    - {at: 30s, expect: "pv/pv-del exists == False"}
    - {at: 30s, expect: "pv/pv-keep phase == Released"}
    - {at: 30s, expect: "pv/pv-keep claim == default/b"}
    - {at: 30s, expect: "pvc/default/b exists == False"}
    - {from: 30s, to: 59s, expect: "pvc/default/c terminating == True"}
    - {from: 30s, to: 59s, expect: "cluster pvs == 2"}
    - {at: 1m, expect: "pvc/default/c exists == False"}
    - {at: 1m, expect: "cluster pvs == 1"}
    - {at: 3m, expect: "pvc/default/b phase == Pending"}
    - {at: 3m, expect: "pv/pv-keep phase == Released"}
"#;
    passes(&scenario("3m", false, &manifests, rest));
}

#[test]
fn a_pod_waiting_for_a_missing_claim_is_scheduled_when_the_claim_appears() {
    let manifests = pod("app", "late", "");
    let rest = r#"  events:
    - at: 1m
      apply:
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: late}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
  checks:
    - {from: 0s, to: 59s, expect: "pod/default/app phase == Pending"}
    - {at: 59s, expect: "cluster podsUnschedulable == 1"}
    - {at: 1m, expect: "pvc/default/late phase == Bound"}
    - {at: 1m, expect: "cluster podsScheduled == 1"}
    - {at: 70s, expect: "pod/default/app ready == True"}
"#;
    let text = scenario("2m", false, &manifests, rest);
    let mut sim = Simulation::new(std::sync::Arc::new(parse(&text)), None, None, Default::default());
    sim.run_until(SimTime::from_secs(30)).unwrap();
    let id = sim.store().pod_id("default", "app").unwrap();
    let reason = sim.store().pod(id).status.unschedulable_reason().unwrap_or_default().to_string();
    assert!(reason.starts_with("0/2 nodes are available: persistentvolumeclaim \"late\" not found."), "{reason}");
    sim.run().unwrap();
    assert!(sim.check_results().iter().all(|r| r.passed), "{:?}", sim.check_results());
    // Retried by the claim's arrival (queueing hint), not by a periodic flush: two attempts.
    assert_eq!(sim.scheduler().stats.attempts, 2);
}

#[test]
fn a_bound_volume_in_another_zone_is_a_node_affinity_conflict() {
    let zone_a = "          nodeAffinity:\n            required:\n              nodeSelectorTerms:\n                - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [zone-a]}]\n";
    let manifests = [
        pv("pv-a", "10Gi", "", "[ReadWriteOnce]", "Retain", zone_a),
        pvc("data", "1Gi", Some(""), ""),
        pod("pinned-b", "data", "          nodeSelector: {topology.kubernetes.io/zone: zone-b}\n"),
        pod("free", "data", ""),
    ]
    .concat();
    let checks = r#"  checks:
    - {at: 0s, expect: "pvc/default/data zone == zone-a"}
    - {at: 1m, expect: "pod/default/pinned-b phase == Pending"}
    - {at: 1m, expect: "pod/default/free node == a1"}
"#;
    let sim = passes(&scenario("1m", false, &manifests, checks));
    let id = sim.store().pod_id("default", "pinned-b").unwrap();
    let reason = sim.store().pod(id).status.unschedulable_reason().unwrap_or_default().to_string();
    assert!(
        reason.starts_with("0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had volume node affinity conflict."),
        "{reason}"
    );
}

#[test]
fn wait_for_first_consumer_goes_where_a_free_local_volume_is() {
    let on_b1 = "          nodeAffinity:\n            required:\n              nodeSelectorTerms:\n                - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [b1]}]\n";
    let manifests = [
        class("local", "kubernetes.io/no-provisioner", "WaitForFirstConsumer", ""),
        pv("local-b1", "50Gi", "local", "[ReadWriteOnce]", "Retain", on_b1),
        pvc("first", "10Gi", Some("local"), ""),
        pvc("second", "10Gi", Some("local"), ""),
        pod("one", "first", ""),
    ]
    .concat();
    let rest = r#"  events:
    - at: 30s
      apply:
        apiVersion: v1
        kind: Pod
        metadata: {name: two}
        spec:
          containers: [{name: app, image: app}]
          volumes: [{name: data, persistentVolumeClaim: {claimName: second}}]
  checks:
    - {at: 0s, expect: "pod/default/one node == b1"}
    - {at: 0s, expect: "pvc/default/first volume == local-b1"}
    - {at: 1m, expect: "pod/default/two phase == Pending"}
    - {at: 1m, expect: "pvc/default/second phase == Pending"}
"#;
    let sim = passes(&scenario("1m", false, &manifests, rest));
    let id = sim.store().pod_id("default", "two").unwrap();
    let reason = sim.store().pod(id).status.unschedulable_reason().unwrap_or_default().to_string();
    assert!(
        reason.starts_with("0/2 nodes are available: 2 node(s) didn't find available persistent volumes to bind."),
        "{reason}"
    );
}

#[test]
fn a_pod_with_an_unbound_immediate_claim_waits_for_the_pv_controller() {
    // No volume matches and the class cannot provision: the claim stays Pending, and so does
    // the pod, until a matching volume is created; the PV controller's resync binds it.
    let manifests = [
        class("manual", "kubernetes.io/no-provisioner", "Immediate", ""),
        pvc("data", "5Gi", Some("manual"), ""),
        pod("app", "data", ""),
    ]
    .concat();
    let rest = r#"  events:
    - at: 20s
      apply:
        apiVersion: v1
        kind: PersistentVolume
        metadata: {name: late}
        spec:
          capacity: {storage: 5Gi}
          accessModes: [ReadWriteOnce]
          storageClassName: manual
          hostPath: {path: /data}
  checks:
    - {at: 19s, expect: "pod/default/app phase == Pending"}
    - {at: 19s, expect: "pvc/default/data phase == Pending"}
    - {at: 30s, expect: "pvc/default/data volume == late"}
    - {at: 30s, expect: "cluster podsScheduled == 1"}
"#;
    let text = scenario("1m", false, &manifests, rest);
    let mut sim = Simulation::new(std::sync::Arc::new(parse(&text)), None, None, Default::default());
    sim.run_until(SimTime::from_secs(10)).unwrap();
    let id = sim.store().pod_id("default", "app").unwrap();
    let reason = sim.store().pod(id).status.unschedulable_reason().unwrap_or_default().to_string();
    assert!(
        reason.starts_with("0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims."),
        "{reason}"
    );
    sim.run().unwrap();
    for r in sim.check_results() {
        assert!(r.passed, "check {:?} failed at {} (actual: {})", r.text, r.at, r.actual);
    }
}

#[test]
fn statefulset_claims_survive_pod_deletion_and_are_reused() {
    let manifests = r#"    - inline:
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db}
        spec:
          replicas: 2
          serviceName: db
          selector: {matchLabels: {app: db}}
          template:
            metadata:
              labels: {app: db}
              annotations: {sim.kubesim.io/startup: 10s}
            spec:
              containers: [{name: db, image: postgres, resources: {requests: {cpu: "1", memory: 1Gi}}}]
          volumeClaimTemplates:
            - metadata: {name: data}
              spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
"#;
    let rest = r#"  events:
    - {at: 1m, delete: pod/default/db-0}
    - {at: 2m, delete: pod/default/db-1}
  checks:
    - {at: 20s, expect: "sts/default/db readyReplicas == 2"}
    - {at: 20s, expect: "pvc/default/data-db-0 phase == Bound"}
    - {at: 20s, expect: "pvc/default/data-db-1 phase == Bound"}
    - {at: 3m, expect: "sts/default/db readyReplicas == 2"}
    - {from: 0s, to: 3m, expect: "cluster pvs <= 2"}
    - {at: 3m, expect: "cluster pvs == 2"}
"#;
    let text = scenario("3m", false, manifests, rest);
    let mut sim = Simulation::new(std::sync::Arc::new(parse(&text)), None, None, Default::default());
    sim.run_until(SimTime::from_secs(30)).unwrap();
    let before: Vec<(String, String)> = ["db-0", "db-1"]
        .iter()
        .map(|p| {
            let claim = sim.store().pvc("default", &format!("data-{p}")).unwrap();
            let zone = sim.store().pv(&claim.spec.volume_name).unwrap().zone();
            (claim.spec.volume_name.clone(), zone)
        })
        .collect();
    sim.run().unwrap();
    for r in sim.check_results() {
        assert!(r.passed, "check {:?} failed at {} (actual: {})", r.text, r.at, r.actual);
    }
    for (i, p) in ["db-0", "db-1"].iter().enumerate() {
        let claim = sim.store().pvc("default", &format!("data-{p}")).unwrap();
        assert_eq!(claim.spec.volume_name, before[i].0, "{p} kept its volume");
        let pod = sim.store().pod(sim.store().pod_id("default", p).unwrap());
        let node = sim.store().node(pod.status.node.unwrap());
        assert_eq!(node.zone(), before[i].1, "{p} came back in its volume's zone");
    }
}

#[test]
fn the_zone_failure_scenario_holds_for_every_seed_and_is_deterministic() {
    let scenario = load(&root().join("scenarios/zone-failure-volumes.yaml"));
    for seed in 1..=20 {
        let sim = run(scenario.clone(), Some(seed));
        for r in sim.check_results() {
            assert!(r.passed, "seed {seed}: check {:?} failed at {} (actual: {})", r.text, r.at, r.actual);
        }
    }
    let a = run(scenario.clone(), Some(3)).digest();
    let b = run(scenario.clone(), Some(3)).digest();
    assert_eq!(a, b, "same seed, same digest");
}
