//! Stochastic faults (`spec.faults`), the fault log and the availability metrics: fault times
//! follow the drawn renewal process exactly, overlapping faults hold a machine down until the
//! last is repaired, two policies on one seed see the same faults (common random numbers),
//! crashes restart containers, recovery times follow the reference's timeline, and
//! `--verify-determinism` passes.

use kubesim::engine::Simulation;
use kubesim::output::{availability_csv, faults_csv, summary_json};

use crate::support::{kubesim, parse, root, run, temp_dir};

/// Nodes `n0`, `n1` in zone `a` and `n2` in zone `b`, a Deployment `web` of `replicas` pods
/// (Ready 10 s after they start) behind a Service, `faults` (lines of `spec.faults`) and
/// `scheduler` (lines of `spec.scheduler`, may be empty).
fn scenario(until: &str, replicas: u32, faults: &str, scheduler: &str, extra: &str) -> String {
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: faults}}
spec:
  seed: 3
  until: {until}
  cluster:
    nodes:
      - {{name: n0, zone: a, allocatable: {{cpu: "4", memory: 16Gi, pods: "110"}}}}
      - {{name: n1, zone: a, allocatable: {{cpu: "4", memory: 16Gi, pods: "110"}}}}
      - {{name: n2, zone: b, allocatable: {{cpu: "4", memory: 16Gi, pods: "110"}}}}
{scheduler}  manifests:
    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: web}}
        spec:
          replicas: {replicas}
          selector: {{matchLabels: {{app: web}}}}
          template:
            metadata:
              labels: {{app: web}}
              annotations: {{sim.kubesim.io/startup: 10s}}
            spec:
              containers: [{{name: c, image: web, resources: {{requests: {{cpu: 500m, memory: 1Gi}}}}}}]
    - inline: {{apiVersion: v1, kind: Service, metadata: {{name: web}}, spec: {{selector: {{app: web}}, ports: [{{port: 80}}]}}}}
  faults:
{faults}
{extra}"#
    )
}

/// The rows of `faults.csv` as (start, source, kind, target, nodes, repair, end): the columns
/// that depend on the seed and the fault processes only, never on the run.
fn fault_times(sim: &Simulation) -> Vec<String> {
    faults_csv(sim)
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            [c[0], c[1], c[2], c[3], c[4], c[7], c[8]].join(",")
        })
        .collect()
}

/// Fixed up and repair times give the renewal sequence exactly: fail at 1h, repaired at 1h10m,
/// fail again 1h later (2h10m), repaired at 2h20m, and so on.
#[test]
fn fixed_times_give_the_renewal_sequence() {
    let faults = "    - nodeFailures: {nodes: [n2], timeToFailure: 1h, timeToRepair: 10m}";
    let sim = run(parse(&scenario("4h", 2, faults, "", "")), None);
    assert_eq!(
        fault_times(&sim),
        [
            "3600,faults[0],node-failure,n2,1,600,4200",
            "7800,faults[0],node-failure,n2,1,600,8400",
            "12000,faults[0],node-failure,n2,1,600,12600",
        ]
    );
    // Each failure and repair reached the machine: 3 NodeFailed and 3 NodeRecovered records.
    let count = |name: &str| sim.journal().records().iter().filter(|(_, r)| r.name() == name).count();
    assert_eq!((count("NodeFailed"), count("NodeRecovered")), (3, 3));
}

/// A zone failure and a node failure overlap on n0: it goes down with its zone at 1h, its own
/// failure at 1h10m takes nothing more down (nodes = 0), the zone's repair at 1h30m brings n1
/// back but not n0, which comes back with its own repair at 2h10m.
#[test]
fn overlapping_faults_hold_a_machine_until_the_last_repair() {
    let faults = "    - zoneFailures: {zones: [a], timeToFailure: 1h, timeToRepair: 30m}
    - nodeFailures: {nodes: [n0], timeToFailure: 70m, timeToRepair: 1h}";
    let sim = run(parse(&scenario("2h20m", 2, faults, "", "")), None);
    let times = fault_times(&sim);
    assert_eq!(times[0], "3600,faults[0],zone-failure,a,2,1800,5400");
    assert_eq!(times[1], "4200,faults[1],node-failure,n0,0,3600,7800");
    let machine: Vec<(u64, String, String)> = sim
        .journal()
        .records()
        .iter()
        .filter(|(_, r)| matches!(r.name(), "NodeFailed" | "NodeRecovered"))
        .map(|(t, r)| {
            let json: serde_json::Value = serde_json::from_str(&r.to_json(*t)).unwrap();
            (t.as_secs(), r.name().to_string(), json["node"].as_str().unwrap_or_default().to_string())
        })
        .collect();
    let expected = [
        (3600, "NodeFailed", "n0"),
        (3600, "NodeFailed", "n1"),
        (5400, "NodeRecovered", "n1"),
        (7800, "NodeRecovered", "n0"),
    ];
    let expected: Vec<(u64, String, String)> =
        expected.iter().map(|(t, k, n)| (*t, k.to_string(), n.to_string())).collect();
    assert_eq!(machine, expected);
}

/// Common random numbers: the same seed gives the same fault log under two scoring policies,
/// although the pods land on different nodes; another seed gives other fault times.
#[test]
fn two_policies_on_one_seed_see_the_same_faults() {
    let faults = "    - nodeFailures: {timeToFailure: exponential(6h), timeToRepair: \"lognormal(30m, 0.5)\"}
    - zoneFailures: {timeToFailure: \"weibull(1d, 1.5)\", timeToRepair: 20m}
    - podCrashes: {target: deployment/default/web, timeBetweenCrashes: exponential(2h)}";
    let packing = "  scheduler:
    profiles:
      - schedulerName: default-scheduler
        plugins:
          score:
            disabled: [{name: PodTopologySpread}, {name: NodeResourcesBalancedAllocation}]
        pluginConfig:
          - name: NodeResourcesFit
            args: {scoringStrategy: {type: MostAllocated}}
";
    let spread = run(parse(&scenario("2d", 4, faults, "", "")), None);
    let packed = run(parse(&scenario("2d", 4, faults, packing, "")), None);
    let nodes_of = |sim: &Simulation| {
        let csv = kubesim::output::pods_csv(sim);
        csv.lines().map(|l| l.split(',').nth(3).unwrap_or_default().to_string()).collect::<Vec<_>>()
    };
    assert_ne!(nodes_of(&spread), nodes_of(&packed), "the policies place pods differently");
    let a = fault_times(&spread);
    assert!(a.len() >= 10, "a busy fault log: {a:?}");
    assert!(a.iter().any(|l| l.contains("zone-failure")) && a.iter().any(|l| l.contains("pod-crash")), "{a:?}");
    assert_eq!(a, fault_times(&packed));
    let other = run(parse(&scenario("2d", 4, faults, "", "")), Some(4));
    assert_ne!(a, fault_times(&other), "another seed, other faults");
}

/// A crash restarts the victim's container (restartCount 1, exit code in the log) and the
/// workload is back at full strength once it is Ready again, 10 s later.
#[test]
fn a_crash_restarts_the_container_and_recovers_when_ready() {
    let faults = "    - podCrashes: {target: deployment/default/web, timeBetweenCrashes: 30m, exitCode: 137}";
    let sim = run(parse(&scenario("45m", 3, faults, "", "")), None);
    let csv = faults_csv(&sim);
    let row: Vec<&str> = csv.lines().nth(1).expect("one crash").split(',').collect();
    assert_eq!(&row[..6], ["1800", "faults[0]", "pod-crash", "deployment/default/web", "0", "1"]);
    let victim = row[6];
    assert!(victim.starts_with("web-"), "{row:?}");
    // Recovered when the restarted container is Ready: startup 10 s (the first restart of a
    // container has no backoff).
    assert_eq!((row[9], row[10]), ("1810", "10"), "{row:?}");
    let pod = sim.store().pod(sim.store().pod_id("default", victim).expect("victim exists"));
    assert_eq!(pod.status.restart_count, 1);
    let exits: Vec<i32> = sim
        .journal()
        .records()
        .iter()
        .filter_map(|(t, r)| {
            let json: serde_json::Value = serde_json::from_str(&r.to_json(*t)).ok()?;
            (json["pod"] == format!("default/{victim}") && matches!(r, kubesim::journal::Record::PodExited { .. }))
                .then(|| json["exit_code"].as_i64().unwrap_or(-1) as i32)
        })
        .collect();
    assert_eq!(exits, [137]);
    // One episode below 3 ready, 10 s long.
    let avail = availability_csv(&sim);
    assert!(avail.contains("deployment,default/web,3,2,10,1,10,,,,"), "{avail}");
}

/// The main example's availability follows the reference's timeline: cpu-big fails at 10m;
/// with seed 7 the node is NotReady at 650 s, when its 3 pods leave the ready count (7 of
/// 10), evicted at 950.1 s (the taint at 650.1 s + 300 s) and replaced, Ready 20 s later.
#[test]
fn the_main_example_recovers_on_the_reference_timeline() {
    let sim = run(crate::support::load(&root().join("scenarios/ml-model-machine-failure.yaml")), None);
    let csv = faults_csv(&sim);
    assert_eq!(csv.lines().nth(1), Some("600,scripted,node-failure,cpu-big,1,3,,,,970.1,370.1"), "{csv}");
    let avail = availability_csv(&sim);
    assert!(avail.contains("deployment,default/ml-model,10,7,320.1,1,320.1,,,,"), "{avail}");
    assert!(avail.contains("service,default/ml-model,,,,0,0,0,,,"), "{avail}");
    let summary: serde_json::Value = serde_json::from_str(&summary_json(&sim, None)).unwrap();
    assert_eq!(summary["faults"]["injected"], 1);
    assert_eq!(summary["faults"]["mttr_s"], 370.1);
}

/// A Service's endpoint-less time is the time between the endpoints controller's writes of
/// zero and of non-zero ready endpoints, as the journal has them: node-recovery's `api` loses
/// its 3 ready endpoints when its node goes NotReady and gets them back when it is Ready.
/// (The endpoints sync is an event of its own: the metric once waited for the next pod change
/// to notice it, and counted 358 s here.)
#[test]
fn endpoint_less_time_follows_the_endpoints_writes() {
    let sim = run(crate::support::load(&root().join("scenarios/node-recovery.yaml")), None);
    // Counted from the first time the Service had a ready endpoint, as the metric is.
    let (mut had_ready, mut zero_since, mut total) = (false, None, 0.0);
    for (t, r) in sim.journal().records() {
        let json: serde_json::Value = serde_json::from_str(&r.to_json(*t)).unwrap();
        if json["event"] != "ServiceEndpoints" || json["service"] != "default/api" {
            continue;
        }
        let (at, ready) = (json["t_s"].as_f64().unwrap(), json["ready"].as_i64().unwrap());
        match zero_since {
            None if ready == 0 && had_ready => zero_since = Some(at),
            Some(since) if ready > 0 => {
                total += at - since;
                zero_since = None;
            }
            _ => {}
        }
        had_ready |= ready > 0;
    }
    assert_eq!(total, 82.0, "the node-recovery timeline: zero ready endpoints from 170 s to 252 s");
    let avail = availability_csv(&sim);
    assert!(avail.contains("service,default/api,,,,1,82,82,,,"), "{avail}");
}

/// A Job's pod lost with its machine is a retry, and its run time is lost.
#[test]
fn a_job_pod_lost_with_its_node_is_a_retry() {
    let text = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: job-retry}
spec:
  until: 2h
  cluster:
    nodes:
      - {name: n0, allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
      - {name: n1, allocatable: {cpu: "4", memory: 16Gi, pods: "110"}, taints: [{key: spare, effect: NoSchedule}]}
  manifests:
    - inline:
        apiVersion: batch/v1
        kind: Job
        metadata: {name: train}
        spec:
          template:
            metadata: {annotations: {sim.kubesim.io/duration: 30m}}
            spec:
              restartPolicy: Never
              tolerations: [{key: spare, operator: Exists}]
              nodeSelector: {kubernetes.io/hostname: n0}
              containers: [{name: c, image: train, resources: {requests: {cpu: "1"}}}]
  events:
    - {at: 10m, failNode: n0}
    - {at: 30m, recoverNode: n0}
"#;
    let sim = run(parse(text), None);
    let summary: serde_json::Value = serde_json::from_str(&summary_json(&sim, None)).unwrap();
    let jobs = &summary["availability"]["jobs"];
    assert_eq!(jobs[0]["job"], "default/train", "{summary}");
    // The pod ran from 0 s to the failure at 10 min; it was deleted on the node's recovery
    // at 30 min (evicted at ~15m50s, Terminating on the dead node): 30 min of run time
    // counted as lost, from its start to its removal.
    assert_eq!(jobs[0]["retries"], 1, "{summary}");
    assert_eq!(jobs[0]["time_lost_s"], 1800.0, "{summary}");
}

/// `kubesim run --verify-determinism` runs twice and compares; the shipped MTBF scenario
/// passes, and writes faults.csv and availability.csv.
#[test]
fn verify_determinism_passes_on_the_mtbf_scenario() {
    let out = temp_dir("verify-determinism");
    let o = kubesim(&["run", "scenarios/mtbf-30-days.yaml", "--out", out.to_str().unwrap(), "--verify-determinism"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("determinism: verified"));
    let faults = std::fs::read_to_string(out.join("faults.csv")).unwrap();
    assert!(faults.lines().count() > 20, "{faults}");
    let availability = std::fs::read_to_string(out.join("availability.csv")).unwrap();
    assert!(availability.starts_with("kind,name,desired,min_ready,time_below_desired_s"), "{availability}");
}

/// The comparison finds the first journal record that differs.
#[test]
fn compare_runs_names_the_first_difference() {
    use kubesim::output::{Determinism, RunRecord, compare_runs};
    let a = RunRecord { digest: "x".into(), events: "one\ntwo\nthree\n".into(), files: vec![] };
    let b = RunRecord { digest: "y".into(), events: "one\nTWO\nthree\n".into(), files: vec![] };
    match compare_runs(&a, &b) {
        Determinism::Differs { message } => {
            assert!(message.contains("journal record 2"), "{message}");
            assert!(message.contains("two") && message.contains("TWO"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let c = RunRecord { digest: "x".into(), events: "one\n".into(), files: vec![("pods.csv", "a\nb\n".into())] };
    let d = RunRecord { digest: "x".into(), events: "one\n".into(), files: vec![("pods.csv", "a\nc\n".into())] };
    assert_eq!(compare_runs(&c, &d), Determinism::Differs { message: "pods.csv differs (first at line 2)".into() });
    assert_eq!(compare_runs(&c, &c), Determinism::Identical { digest: "x".into() });
}

/// An empirical repair-time distribution read from a CSV next to the scenario.
#[test]
fn empirical_repair_times_come_from_the_csv() {
    let dir = temp_dir("empirical");
    std::fs::write(dir.join("repairs.csv"), "duration_s\n600\n# a long one\n2h\n").unwrap();
    let text = scenario(
        "2d",
        2,
        "    - nodeFailures: {nodes: [n2], timeToFailure: 3h, timeToRepair: empirical(repairs.csv)}",
        "",
        "",
    );
    let path = dir.join("s.yaml");
    std::fs::write(&path, &text).unwrap();
    let sim = run(crate::support::load(&path), None);
    let repairs: std::collections::BTreeSet<String> =
        fault_times(&sim).iter().map(|l| l.split(',').nth(5).unwrap().to_string()).collect();
    assert_eq!(repairs, ["600", "7200"].map(String::from).into_iter().collect(), "both values drawn, nothing else");
}

/// The kubelet-level and control-plane processes act through the fault events and log under
/// their entry: n1's runtime down for 5 min every 30 min of up time (from 30m); n2 partitioned
/// for 10 min every hour of up time (from 1h); n0 reclaimed once at 2h with a 2 min notice
/// (drained, then deleted); the whole control plane down for 5 min after every 3 h up (3h,
/// then 3h05m + 3h = 6h05m).
#[test]
fn partitions_kubelet_failures_reclamations_and_outages_are_drawn_too() {
    let faults = "    - partitions: {nodes: [n2], timeToFailure: 1h, timeToRepair: 10m}
    - kubeletFailures: {nodes: [n1], timeToFailure: 30m, timeToRepair: 5m}
    - spotReclamations: {nodes: [n0], timeToReclaim: 2h, notice: 2m}
    - controlPlaneOutages: {timeToFailure: 3h, duration: 5m}";
    let sim = run(parse(&scenario("6h10m", 2, faults, "", "")), None);
    let rows = fault_times(&sim);
    let cp = "faults[3],control-plane-outage,apiserver+etcd+scheduler+controller-manager,0";
    let want = [
        "1800,faults[1],node-not-ready,n1,0,300,2100".to_string(),
        "3600,faults[0],partition,n2,0,600,4200".to_string(),
        "3900,faults[1],node-not-ready,n1,0,300,4200".to_string(),
        "6000,faults[1],node-not-ready,n1,0,300,6300".to_string(),
        "7200,faults[2],node-removal,n0,1,,7320".to_string(),
        "7800,faults[0],partition,n2,0,600,8400".to_string(),
        "8100,faults[1],node-not-ready,n1,0,300,8400".to_string(),
        "10200,faults[1],node-not-ready,n1,0,300,10500".to_string(),
        format!("10800,{cp},300,11100"),
        "12000,faults[0],partition,n2,0,600,12600".to_string(),
        "12300,faults[1],node-not-ready,n1,0,300,12600".to_string(),
        "14400,faults[1],node-not-ready,n1,0,300,14700".to_string(),
        "16200,faults[0],partition,n2,0,600,16800".to_string(),
        "16500,faults[1],node-not-ready,n1,0,300,16800".to_string(),
        "18600,faults[1],node-not-ready,n1,0,300,18900".to_string(),
        "20400,faults[0],partition,n2,0,600,21000".to_string(),
        "20700,faults[1],node-not-ready,n1,0,300,21000".to_string(),
        format!("21900,{cp},300,22200"),
    ];
    assert_eq!(rows, want);
    // The events happened: one Node deleted, five partitions healed.
    let count = |name: &str| sim.journal().records().iter().filter(|(_, r)| r.name() == name).count();
    assert_eq!(count("NodeRemoved"), 1);
    assert_eq!((count("NodePartitioned"), count("NodeHealed")), (5, 5));
}
