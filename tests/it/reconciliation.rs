//! Reconciliation metrics: per-controller syncs and writes, API writes per interval, and the
//! time from a scripted change to convergence.

use kubesim::output::{summary_json, timeseries_csv};

use crate::support::{parse, run};

const SCENARIO: &str = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: converge}
spec:
  until: 3m
  cluster:
    nodes:
      - {name: n1, allocatable: {cpu: "8", memory: 8Gi}}
  manifests:
    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}, annotations: {sim.kubesim.io/startup: 5s}}
            spec: {containers: [{name: c, resources: {requests: {cpu: 100m}}}]}
  events:
    - at: 1m
      scale: {target: deployment/default/web, replicas: 5}
    - at: 2m
      scale: {target: deployment/default/web, replicas: 1}
"#;

#[test]
fn convergence_times_follow_the_pods() {
    let sim = run(parse(SCENARIO), None);
    let c = sim.convergence();
    let times: Vec<(String, u64, Option<u64>)> =
        c.iter().map(|c| (c.action.clone(), c.started.as_secs(), c.converged.map(|t| t.as_secs()))).collect();
    assert_eq!(
        times,
        [
            // Created at 0 s, pods Ready 5 s later.
            ("create Deployment default/web".to_string(), 0, Some(5)),
            // Two more pods, Ready at 65 s.
            ("scale deployment/default/web to 5".to_string(), 60, Some(65)),
            // Scaling down needs no new pod: converged at once.
            ("scale deployment/default/web to 1".to_string(), 120, Some(120)),
        ]
    );
}

#[test]
fn writes_add_up() {
    let sim = run(parse(SCENARIO), None);
    let summary: serde_json::Value = serde_json::from_str(&summary_json(&sim, None)).unwrap();
    let controllers = summary["controllers"].as_object().unwrap();
    let writes = |name: &str| controllers[name]["writes"].as_u64().unwrap();
    let reconciles = |name: &str| controllers[name]["reconciles"].as_u64().unwrap();
    // 3 + 2 pods created by the ReplicaSet controller, 4 deleted, and the scheduler bound 5.
    assert!(writes("replicaset") >= 9, "{controllers:?}");
    assert_eq!(reconciles("scheduler"), 5);
    assert_eq!(writes("scheduler"), 5, "one binding per scheduled pod");
    assert!(reconciles("deployment") >= 3);
    let attributed: u64 = controllers.values().map(|v| v["writes"].as_u64().unwrap()).sum();
    let total = summary["journal_records"].as_u64().unwrap();
    assert!(attributed <= total, "{attributed} > {total}");
    // The api_writes column counts every write once, interval by interval, up to the last
    // sample (taken at the end of the run, after the last write).
    let csv = timeseries_csv(&sim);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "api_writes").unwrap();
    let sum: u64 = csv.lines().skip(1).map(|l| l.split(',').nth(col).unwrap().parse::<u64>().unwrap()).sum();
    assert_eq!(sum, total);
}

/// A Service whose selector moves to a label key no Service required before gets the
/// endpoints of the pods carrying it: the store files the active pods under that key when
/// the Service asks (its label index only keeps the keys Services select by).
#[test]
fn a_service_retargeted_to_a_new_label_key_finds_its_pods() {
    let deployment = |name: &str, replicas: u32, labels: &str| {
        format!(
            "    - inline: {{apiVersion: apps/v1, kind: Deployment, metadata: {{name: {name}}}, spec: {{replicas: {replicas}, \
             selector: {{matchLabels: {{app: {name}}}}}, template: {{metadata: {{labels: {labels}}}, spec: {{containers: \
             [{{name: c, resources: {{requests: {{cpu: 100m}}}}}}]}}}}}}}}\n"
        )
    };
    let service = |selector: &str| {
        format!(
            "{{apiVersion: v1, kind: Service, metadata: {{name: s}}, spec: {{selector: {selector}, ports: [{{port: 80}}]}}}}"
        )
    };
    let text = format!(
        "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {{name: retarget}}\nspec:\n  until: UNTIL\n  cluster:\n    nodes:\n      - {{name: n1, allocatable: {{cpu: \"8\", memory: 8Gi}}}}\n  manifests:\n{}{}    - inline: {}\n  events:\n    - {{at: 1m, apply: {}}}\n",
        deployment("a", 2, "{app: a}"),
        deployment("b", 3, "{app: b, tier: back}"),
        service("{app: a}"),
        service("{tier: back}"),
    );
    let ready = |until: &str| {
        let sim = run(parse(&text.replace("UNTIL", until)), None);
        let store = sim.store();
        store.service(store.service_id("default", "s").expect("service")).expect("live").endpoints.ready
    };
    assert_eq!(ready("50s"), 2, "app=a: deployment a's pods");
    assert_eq!(ready("2m"), 3, "tier=back: deployment b's pods, filed when the Service asked");
}
