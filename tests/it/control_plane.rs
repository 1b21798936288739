//! Control-plane outages against the controllers reference (§14, §6, §9): the data plane
//! goes on, nothing changes cluster-wide, a machine that dies meanwhile is noticed only once
//! the controller manager leads again (16 s after it is back: 15 s lease, 2 s retries), with
//! a fresh 50 s grace period for every node, and the backlog is worked off in order.

use kubesim::journal::Record;
use kubesim::kernel::SimTime;

use crate::support::{failed_actions, parse, run};

const SCENARIO: &str = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: outage}
spec:
  seed: SEED
  until: UNTIL
  startTime: 2026-03-02T00:00:00Z
  cluster:
    nodes:
      - {name: doomed, allocatable: {cpu: "4", memory: 8Gi}, labels: {role: first}}
      - {name: spare, allocatable: {cpu: "4", memory: 8Gi}}
  manifests:
    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata:
              labels: {app: web}
              annotations: {sim.kubesim.io/startup: 7s}
            spec:
              affinity:
                nodeAffinity:
                  preferredDuringSchedulingIgnoredDuringExecution:
                    - weight: 100
                      preference: {matchExpressions: [{key: role, operator: In, values: [first]}]}
              containers:
                - name: app
                  image: web:1
                  resources: {requests: {cpu: 100m, memory: 128Mi}}
    - inline:
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports: [{port: 80}]
    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: crashy}
        spec:
          replicas: 1
          selector: {matchLabels: {app: crashy}}
          template:
            metadata:
              labels: {app: crashy}
              annotations: {sim.kubesim.io/duration: 2m, sim.kubesim.io/exit-code: "1"}
            spec:
              nodeSelector: {kubernetes.io/hostname: spare}
              containers: [{name: c, resources: {requests: {cpu: 100m}}}]
  events: EVENTS
"#;

fn scenario(seed: u64, until: &str, events: &str) -> String {
    SCENARIO.replace("SEED", &seed.to_string()).replace("UNTIL", until).replace("EVENTS", events)
}

fn s(secs: u64) -> SimTime {
    SimTime::from_secs(secs)
}

fn first(records: &[(SimTime, Record)], pred: impl Fn(&Record) -> bool) -> Option<SimTime> {
    records.iter().find(|(_, r)| pred(r)).map(|(t, _)| *t)
}

/// The failure timeline with an outage from 600 s to 1200 s and the machine dying at 700 s.
#[test]
fn a_machine_dying_during_an_outage_is_replaced_only_after_the_control_plane_returns() {
    for seed in 1..=6u64 {
        let text = scenario(
            seed,
            "40m",
            "[{at: 600s, controlPlaneOutage: {for: 10m}}, {at: 700s, failNode: doomed}, {at: 650s, scale: {target: deployment/default/web, replicas: 3}}]",
        );
        let sim = run(parse(&text), None);
        let records = sim.journal().records();
        // Down at 600 s, back at 1200 s, leaders again at 1216 s.
        let downs: Vec<SimTime> = records
            .iter()
            .filter(|(_, r)| matches!(r, Record::ControlPlane { up: false, .. }))
            .map(|(t, _)| *t)
            .collect();
        assert_eq!(downs, vec![s(600); 4]);
        let elected: Vec<(SimTime, &str)> = records
            .iter()
            .filter_map(|(t, r)| match r {
                Record::LeaderElected { component } => Some((*t, *component)),
                _ => None,
            })
            .collect();
        assert_eq!(elected, vec![(s(1216), "scheduler"), (s(1216), "controller-manager")]);

        // Nothing cluster-wide happens in between: no node condition, taint, pod creation,
        // binding, endpoints or deployment status.
        let quiet = records.iter().filter(|(t, _)| *t >= s(600) && *t < s(1216)).all(|(_, r)| {
            !matches!(
                r,
                Record::NodeCondition { .. }
                    | Record::NodeTaint { .. }
                    | Record::PodCreated { .. }
                    | Record::PodBound { .. }
                    | Record::ServiceEndpoints { .. }
                    | Record::PodDeleting { .. }
                    | Record::ReplicaSetScaled { .. }
            )
        });
        assert!(quiet, "seed {seed}: the cluster changed during the outage");
        // The scale during the API outage failed as kubectl's would.
        let failed = failed_actions(&sim);
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert!(failed[0].contains("refused"), "{failed:?}");

        // The crashing container on the healthy node kept restarting locally.
        let restarts_during = records
            .iter()
            .filter(|(t, r)| {
                *t > s(600) && *t < s(1200) && matches!(r, Record::PodStarted { pod, restart_count } if pod.starts_with("default/crashy") && *restart_count > 0)
            })
            .count();
        assert!(restarts_during >= 2, "seed {seed}: {restarts_during} restarts during the outage");

        // The node lifecycle controller stamps every node at its first pass after 1216 s
        // (1220 s), so the dead node is NotReady at the first pass after 1270 s: 1275 s.
        let unknown = first(
            records,
            |r| matches!(r, Record::NodeCondition { node, condition: "Ready", status, .. } if node == "doomed" && status.as_str() == "Unknown"),
        );
        assert_eq!(unknown, Some(s(1275)), "seed {seed}");
        // Only the dead node: the outage itself evicts nothing.
        let others = records
            .iter()
            .any(|(_, r)| matches!(r, Record::NodeCondition { node, condition: "Ready", .. } if node == "spare"));
        assert!(!others, "seed {seed}: the healthy node changed condition");
        let evicted = first(records, |r| matches!(r, Record::PodDeleting { reason: "DeletionByTaintManager", .. }));
        assert_eq!(evicted, Some(SimTime::from_micros(1_575_100_000)), "seed {seed}");
        let replaced = records
            .iter()
            .filter(|(t, r)| Some(*t) == evicted && matches!(r, Record::PodBound { node, .. } if node == "spare"))
            .count();
        assert_eq!(replaced, 2, "seed {seed}");
    }
}

#[test]
fn scripted_writes_work_while_only_the_controller_manager_is_down_but_nothing_reconciles() {
    let text = scenario(
        1,
        "20m",
        "[{at: 600s, controlPlaneOutage: {for: 5m, components: [controller-manager]}}, {at: 700s, scale: {target: deployment/default/web, replicas: 3}}]",
    );
    let sim = run(parse(&text), None);
    let records = sim.journal().records();
    assert!(failed_actions(&sim).is_empty());
    // The API took the new spec at 700 s; the Deployment controller acts at 900 + 16 s.
    let updated =
        first(records, |r| matches!(r, Record::DeploymentUpdated { deployment, .. } if deployment == "default/web"));
    assert_eq!(updated, Some(s(700)));
    let scaled = first(records, |r| matches!(r, Record::ReplicaSetScaled { to: 3, .. }));
    assert_eq!(scaled, Some(s(916)));
    let elected: Vec<&str> = records
        .iter()
        .filter_map(|(_, r)| match r {
            Record::LeaderElected { component } => Some(*component),
            _ => None,
        })
        .collect();
    assert_eq!(elected, ["controller-manager"], "the scheduler kept its lease");
}

#[test]
fn a_machine_coming_back_during_the_outage_registers_when_the_api_returns() {
    let text = scenario(
        2,
        "30m",
        "[{at: 100s, failNode: doomed}, {at: 200s, controlPlaneOutage: {for: 5m, components: [etcd]}}, {at: 300s, recoverNode: doomed}]",
    );
    let sim = run(parse(&text), None);
    let records = sim.journal().records();
    let recovered = first(records, |r| matches!(r, Record::NodeRecovered { node } if node == "doomed"));
    assert_eq!(recovered, Some(s(500)));
    // NotReady happened before the outage (at most 60 s after 100 s); nothing was evicted.
    assert!(!records.iter().any(|(_, r)| matches!(r, Record::PodDeleting { .. })));
}

const CRON_SCENARIO: &str = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: cron-outage}
spec:
  until: 70m
  startTime: 2026-03-02T00:00:00Z
  cluster:
    nodes:
      - {name: n1, allocatable: {cpu: "8", memory: 16Gi}}
  manifests:
    - inline:
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: report}
        spec:
          schedule: "*/10 * * * *"
          DEADLINE
          jobTemplate:
            spec:
              activeDeadlineSeconds: 600
              template:
                metadata:
                  annotations: {sim.kubesim.io/duration: 20m}
                spec:
                  restartPolicy: Never
                  containers: [{name: c, resources: {requests: {cpu: 100m}}}]
  events:
    - {at: 5m, controlPlaneOutage: {for: 40m}}
"#;

fn cron_jobs(records: &[(SimTime, Record)]) -> Vec<(u64, String)> {
    records
        .iter()
        .filter_map(|(t, r)| match r {
            Record::JobCreatedByCronJob { scheduled, .. } => Some((t.as_micros() / 100_000, scheduled.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn cronjobs_catch_up_once_for_the_most_recent_missed_slot() {
    // Slots at 10, 20, 30, 40 min are missed; the controller manager leads at 45 min 16 s and
    // creates one Job, for 40 min; then 50 and 60 min as usual (+100 ms).
    let sim = run(parse(&CRON_SCENARIO.replace("DEADLINE", "")), None);
    let records = sim.journal().records();
    let jobs: Vec<(u64, String)> = cron_jobs(records);
    let times: Vec<u64> = jobs.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, vec![27_160, 30_001, 36_001], "{jobs:?}");
    assert!(jobs[0].1.contains("00:40:00"), "{jobs:?}");
    // The Job active at the outage (none: the first slot was at 10 min) — and the catch-up
    // Job's deadline counts from its own start.
    // With a starting deadline of 200 s the 40 min slot is too old at 45 min 16 s: no catch-up.
    let sim = run(parse(&CRON_SCENARIO.replace("DEADLINE", "startingDeadlineSeconds: 200")), None);
    let times: Vec<u64> = cron_jobs(sim.journal().records()).iter().map(|(t, _)| *t).collect();
    assert_eq!(times, vec![30_001, 36_001]);
}

#[test]
fn a_job_deadline_that_passed_during_the_outage_fails_at_the_first_sync_after() {
    // The 0:00 slot does not exist (the CronJob was created at 0:00, its first slot is 0:10);
    // use the 50 min Job: outage 55..85 min, its deadline (60 min after 50 min + 0.1 s) passes
    // at 60 min 0.1 s, inside the outage; it fails when the controller manager leads, 85 min 16 s.
    let text = CRON_SCENARIO
        .replace("DEADLINE", "")
        .replace("until: 70m", "until: 100m")
        .replace("{at: 5m, controlPlaneOutage: {for: 40m}}", "{at: 55m, controlPlaneOutage: {for: 30m}}")
        .replace("activeDeadlineSeconds: 600", "activeDeadlineSeconds: 300");
    let sim = run(parse(&text), None);
    let failed_at = sim.journal().records().iter().find_map(|(t, r)| match r {
        Record::JobCondition { condition: "Failed", reason, .. } if reason == "DeadlineExceeded" && *t > s(55 * 60) => {
            Some(*t)
        }
        _ => None,
    });
    // The 50 min Job's deadline passed at 55 min 0.1 s, just after the outage began.
    assert_eq!(failed_at, Some(s(85 * 60 + 16)));
}

#[test]
fn outages_are_deterministic() {
    let text = scenario(
        7,
        "40m",
        "[{at: 600s, controlPlaneOutage: {for: 10m, components: [apiserver]}}, {at: 700s, failNode: doomed}]",
    );
    let a = run(parse(&text), None);
    let b = run(parse(&text), None);
    assert_eq!(a.digest(), b.digest());
}

#[test]
fn the_hpa_starts_over_one_period_after_the_controller_manager_leads() {
    // 4 replicas at 50 % (100 rps, 10m cpu per request/s against 500m requests) until the
    // load drops to 20 rps at 10 min, inside an outage from 5 to 20 min. The controller
    // manager leads at 20m16s; every HPA syncs one period later (20m31s) with a fresh history
    // holding the current 4 replicas. Without `behavior`, a recommendation counts while it is
    // not older than the 5 min window (`Before(cutoff)`): the one of 20m31s still counts at
    // 25m31s, so the scale-down to 2 happens at the next sync, 25m46s.
    let text = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: hpa-outage}
spec:
  until: 30m
  cluster:
    nodes: [{name: n1, allocatable: {cpu: "64", memory: 256Gi, pods: "110"}}]
  manifests:
    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 4
          selector: {matchLabels: {app: web}}
          template:
            metadata:
              labels: {app: web}
              annotations: {sim.kubesim.io/cpu-per-request: 10m}
            spec:
              containers: [{name: c, resources: {requests: {cpu: 500m, memory: 256Mi}, limits: {cpu: "1"}}}]
    - inline: {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{port: 80}]}}
    - inline:
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: web}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
          minReplicas: 2
          maxReplicas: 10
          metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]
  load:
    - {service: default/web, internal: true, requestsPerSecond: {steps: [{at: 0s, rps: 100}, {at: 10m, rps: 20}]}}
  events:
    - {at: 5m, controlPlaneOutage: {for: 15m}}
"#;
    let sim = run(parse(text), None);
    let records = sim.journal().records();
    let hpa_during = records.iter().any(|(t, r)| {
        *t >= s(300)
            && *t < s(1231)
            && matches!(r, Record::HpaStatus { .. } | Record::HpaEvent { .. } | Record::HpaCondition { .. })
    });
    assert!(!hpa_during, "the HPA synced while the controller manager was away");
    let rescales: Vec<(SimTime, String)> = records
        .iter()
        .filter_map(|(t, r)| match r {
            Record::HpaEvent { reason: "SuccessfulRescale", message, .. } => Some((*t, message.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(rescales.len(), 1, "{rescales:?}");
    assert_eq!(rescales[0].0, s(1546), "{rescales:?}");
    assert!(rescales[0].1.contains("New size: 2"), "{rescales:?}");
}

#[test]
fn pods_wait_for_the_scheduler_to_lead_again() {
    // Only the scheduler is down (5 min from 600 s): the ReplicaSet creates the new pod at
    // once, which is bound when the scheduler leads again, 900 + 16 s.
    let text = scenario(
        3,
        "20m",
        "[{at: 600s, controlPlaneOutage: {for: 5m, components: [kube-scheduler]}}, {at: 700s, scale: {target: deployment/default/web, replicas: 3}}]",
    );
    let sim = run(parse(&text), None);
    let records = sim.journal().records();
    let created = records
        .iter()
        .filter(|(t, r)| *t >= s(600) && matches!(r, Record::PodCreated { pod, .. } if pod.starts_with("default/web")))
        .map(|(t, _)| *t)
        .next();
    assert_eq!(created, Some(s(700)));
    let bound = records
        .iter()
        .filter(|(t, r)| *t >= s(600) && matches!(r, Record::PodBound { pod, .. } if pod.starts_with("default/web")))
        .map(|(t, _)| *t)
        .next();
    assert_eq!(bound, Some(s(916)));
}
