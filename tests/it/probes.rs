//! Pod faults against the controllers reference (§0 probe defaults, §1.1, §1.3): readiness
//! failures drop the endpoint after `failureThreshold × periodSeconds` and bring it back after
//! a success, a hung app is restarted by its liveness probe with the CrashLoopBackOff delays,
//! and a container over its memory limit is OOM-killed (137) and restarted.

use kubesim::journal::Record;
use kubesim::kernel::SimTime;

use crate::support::{failed_actions, parse, run};

const SCENARIO: &str = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: probes}
spec:
  until: UNTIL
  cluster:
    nodes:
      - {name: n1, allocatable: {cpu: "4", memory: 8Gi}}
  manifests:
    - inline:
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          labels: {app: web}
          annotations: {ANNOTATIONS}
        spec:
          containers:
            - name: app
              image: web:1
              resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 512Mi}}
              PROBES
    - inline:
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports: [{port: 80}]
  events: EVENTS
"#;

const READINESS: &str = "readinessProbe: {httpGet: {path: /ready, port: 80}}";
const LIVENESS: &str = "livenessProbe: {httpGet: {path: /healthz, port: 80}}";

fn scenario(until: &str, annotations: &str, probes: &[&str], events: &str) -> String {
    let probes = probes.join("\n              ");
    SCENARIO
        .replace("UNTIL", until)
        .replace("ANNOTATIONS", annotations)
        .replace("PROBES", &probes)
        .replace("EVENTS", events)
}

fn secs(t: SimTime) -> f64 {
    t.as_secs_f64()
}

/// `(time, ready endpoints)` of every endpoints update of the Service.
fn endpoints(records: &[(SimTime, Record)]) -> Vec<(f64, u32)> {
    records
        .iter()
        .filter_map(|(t, r)| match r {
            Record::ServiceEndpoints { ready, .. } => Some((secs(*t), *ready)),
            _ => None,
        })
        .collect()
}

#[test]
fn readiness_failures_drop_the_endpoint_after_three_periods_and_a_success_restores_it() {
    // Startup 5 s: probes at 0, 10, 20, ... (period 10 s); the first success at 10 s. The app
    // reports unready in [125 s, 155 s): the probes at 130, 140, 150 fail, so Ready=False at
    // 150 s; the probe at 160 s succeeds (successThreshold 1). A scripted failure at 300 s for
    // 30 s fails the probes at 300, 310, 320: unready at 320 s, ready again at 330 s.
    let text = scenario(
        "6m",
        "sim.kubesim.io/startup: 5s, sim.kubesim.io/readiness-fails-after: 125s, sim.kubesim.io/readiness-fails-for: 30s",
        &[READINESS],
        "[{at: 300s, failProbe: {pod: default/web, probe: readiness, for: 30s}}]",
    );
    let sim = run(parse(&text), None);
    let records = sim.journal().records();
    assert_eq!(endpoints(records), vec![(0.0, 0), (10.0, 1), (150.0, 0), (160.0, 1), (320.0, 0), (330.0, 1)]);
    let reasons: Vec<&str> = records
        .iter()
        .filter_map(|(_, r)| match r {
            Record::PodReady { ready: false, reason, .. } => Some(*reason),
            _ => None,
        })
        .collect();
    assert_eq!(reasons, ["ReadinessProbeFailed", "ReadinessProbeFailed"]);
    assert!(failed_actions(&sim).is_empty());
    // No restart: readiness never kills.
    assert_eq!(sim.store().pod(sim.store().pod_id("default", "web").unwrap()).status.restart_count, 0);
}

#[test]
fn thresholds_and_delays_are_honoured() {
    // initialDelaySeconds 15, period 5, failureThreshold 2, successThreshold 2: ticks at
    // 15, 20, 25, ...; ready after two successes (20 s); unready from 62 s: 65, 70 fail ->
    // 70 s; back after two successes once the window ends at 90 s: 90, 95 -> 95 s.
    let probe = "readinessProbe: {httpGet: {port: 80}, initialDelaySeconds: 15, periodSeconds: 5, failureThreshold: 2, successThreshold: 2}";
    let text = scenario(
        "2m",
        "sim.kubesim.io/readiness-fails-after: 62s, sim.kubesim.io/readiness-fails-for: 28s",
        &[probe],
        "[]",
    );
    let sim = run(parse(&text), None);
    assert_eq!(endpoints(sim.journal().records()), vec![(0.0, 0), (20.0, 1), (70.0, 0), (95.0, 1)]);
}

/// The delays before each restart of a container that keeps failing, from the reference's
/// formula (§1.3): the first restart is immediate, restart k waits `min(10·2^(k−2), 300)` s,
/// unless the container ran more than 600 s since the last backoff update.
fn expected_starts(run_secs: u64, runs: usize) -> Vec<u64> {
    let mut starts = vec![0u64];
    let (mut backoff, mut updated): (u64, Option<u64>) = (0, None);
    while starts.len() < runs {
        let finished = starts.last().unwrap() + run_secs;
        let live = updated.is_some_and(|u| finished - u <= 600);
        let delay = if live { backoff } else { 0 };
        let restart = finished + delay;
        backoff = if live { (backoff * 2).min(300) } else { 10 };
        updated = Some(restart);
        starts.push(restart);
    }
    starts
}

fn starts(records: &[(SimTime, Record)]) -> Vec<u64> {
    records
        .iter()
        .filter_map(|(t, r)| match r {
            Record::PodStarted { .. } => Some(t.as_secs()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_hung_app_is_restarted_by_its_liveness_probe_with_crash_loop_backoff() {
    // The app hangs 5 min after each start; the probes at +300, +310, +320 time out (1 s),
    // so the kubelet kills the container at +321 s; it stops on SIGTERM at once (143).
    let text = scenario("3h", "sim.kubesim.io/liveness-fails-after: 5m", &[LIVENESS], "[]");
    let sim = run(parse(&text), None);
    let records = sim.journal().records();
    let got = starts(records);
    let want = expected_starts(321, got.len());
    assert_eq!(got, want);
    assert!(got.len() >= 9, "{got:?}");
    // Restart delays 0, 10, 20, 40, 80, 160, 300, 300, ...
    let delays: Vec<u64> = got.windows(2).map(|w| w[1] - w[0] - 321).collect();
    assert_eq!(&delays[..8], &[0, 10, 20, 40, 80, 160, 300, 300]);
    let kills: Vec<(u64, i32)> = records
        .iter()
        .filter_map(|(t, r)| match r {
            Record::PodKilled { reason: "LivenessProbeFailed", exit_code, .. } => Some((t.as_secs(), *exit_code)),
            _ => None,
        })
        .collect();
    assert_eq!(kills[0], (321, 143));
    assert_eq!(kills[1], (642, 143));
    let pod = sim.store().pod(sim.store().pod_id("default", "web").unwrap());
    assert_eq!(pod.status.restart_count as usize, got.len() - 1);
    assert_eq!(pod.status.last_termination_reason, "Error");
}

#[test]
fn the_backoff_resets_after_ten_minutes_of_running() {
    // Each run lasts 11 min + 21 s > 10 min: every restart is immediate.
    let text = scenario("2h", "sim.kubesim.io/liveness-fails-after: 11m", &[LIVENESS], "[]");
    let sim = run(parse(&text), None);
    let got = starts(sim.journal().records());
    assert_eq!(got, expected_starts(681, got.len()));
    assert!(got.windows(2).all(|w| w[1] - w[0] == 681), "{got:?}");
}

#[test]
fn a_hang_outlasting_the_grace_period_ends_with_sigkill_and_readiness_fails_too() {
    // With a readiness probe the hang also makes the pod unready (same ticks: 300, 310, 320,
    // each timing out after 1 s); the app ignores SIGTERM longer than the 30 s grace period,
    // so it is killed at 321 + 30 s with 137.
    let text = scenario(
        "8m",
        "sim.kubesim.io/liveness-fails-after: 5m, sim.kubesim.io/shutdown: 1m",
        &[READINESS, LIVENESS],
        "[]",
    );
    let sim = run(parse(&text), None);
    let records = sim.journal().records();
    assert_eq!(endpoints(records)[..3], [(0.0, 0), (0.0, 1), (321.0, 0)]);
    let killed = records.iter().find_map(|(t, r)| match r {
        Record::PodKilled { exit_code, .. } => Some((t.as_secs(), *exit_code)),
        _ => None,
    });
    assert_eq!(killed, Some((351, 137)));
}

#[test]
fn a_scripted_liveness_failure_restarts_the_container_once() {
    let text =
        scenario("10m", "{}", &[LIVENESS], "[{at: 100s, failProbe: {pod: default/web, probe: liveness, for: 25s}}]")
            .replace("annotations: {{}}", "annotations: {}");
    let sim = run(parse(&text), None);
    // Failures at 100, 110, 120 (answered at once): killed at 120 s, restarted at once; the
    // window is over by the new run's probes.
    assert_eq!(starts(sim.journal().records()), vec![0, 120]);
    // A probe the pod does not have is a failed action.
    let text =
        scenario("1m", "{}", &[LIVENESS], "[{at: 10s, failProbe: {pod: default/web, probe: readiness, for: 5s}}]")
            .replace("annotations: {{}}", "annotations: {}");
    let sim = run(parse(&text), None);
    assert_eq!(failed_actions(&sim), ["pod default/web has no readiness probe"]);
}

#[test]
fn a_container_over_its_memory_limit_is_oom_killed_and_restarted() {
    // 256Mi at start, leaking 64Mi/min against a 512Mi limit: usage exceeds the limit just
    // after 4 min of running (the first microsecond at which it is over).
    let text = scenario("20m", "sim.kubesim.io/memory-base: 256Mi, sim.kubesim.io/memory-leak: 64Mi/min", &[], "[]");
    let sim = run(parse(&text), None);
    let records = sim.journal().records();
    let kills: Vec<(u64, i32)> = records
        .iter()
        .filter_map(|(t, r)| match r {
            Record::PodKilled { reason: "OOMKilled", exit_code, .. } => Some((t.as_micros(), *exit_code)),
            _ => None,
        })
        .collect();
    assert_eq!(kills[0], (240_000_001, 137));
    // Restarted at once, killed 4 min later, then restarted after 10 s, 20 s, ...
    assert_eq!(kills[1], (480_000_002, 137));
    let got: Vec<u64> =
        records.iter().filter_map(|(t, r)| matches!(r, Record::PodStarted { .. }).then_some(t.as_micros())).collect();
    assert_eq!(&got[..4], &[0, 240_000_001, 490_000_002, 750_000_003]);
    let pod = sim.store().pod(sim.store().pod_id("default", "web").unwrap());
    assert_eq!((pod.status.last_termination_reason, pod.status.last_exit_code), ("OOMKilled", 137));
}

#[test]
fn load_driven_memory_over_the_limit_kills_at_once_and_checks_see_it() {
    // 100 rps × 5Mi per request/s = 500Mi + 64Mi base > 512Mi: killed when the load arrives
    // at 60 s (the Service has no Ingress: internal load).
    let text = scenario(
        "70s",
        "sim.kubesim.io/memory-base: 64Mi, sim.kubesim.io/memory-per-request: 5Mi",
        &[],
        "[]",
    )
    .replace(
        "  events: []",
        "  events: []\n  load:\n    - {service: default/web, internal: true, requestsPerSecond: {steps: [{at: 0s, rps: 0}, {at: 60s, rps: 100}]}}\n  checks:\n    - {at: 70s, expect: \"pod/default/web lastState == OOMKilled\"}\n    - {at: 70s, expect: \"pod/default/web lastExitCode == 137\"}",
    );
    let sim = run(parse(&text), None);
    let killed = sim.journal().records().iter().find_map(|(t, r)| match r {
        Record::PodKilled { reason: "OOMKilled", .. } => Some(t.as_secs()),
        _ => None,
    });
    assert_eq!(killed, Some(60));
    assert!(sim.check_results().iter().all(|c| c.passed), "{:?}", sim.check_results());
}

#[test]
fn random_faults_are_deterministic_per_seed() {
    // Hang and unready times drawn per run: the same seed gives the same run, another seed
    // (almost surely) another.
    let text = scenario(
        "2h",
        "sim.kubesim.io/liveness-fails-after: \"uniform(2m, 20m)\", sim.kubesim.io/readiness-fails-after: \"exponential(3m)\", sim.kubesim.io/readiness-fails-for: \"uniform(10s, 2m)\", sim.kubesim.io/memory-base: 100Mi, sim.kubesim.io/memory-leak: 1Mi/s",
        &[READINESS, LIVENESS],
        "[]",
    );
    let digest = |seed| run(parse(&text), Some(seed)).digest();
    assert_eq!(digest(5), digest(5));
    assert_ne!(digest(5), digest(6));
}

#[test]
fn a_startup_probe_gates_readiness_and_kills_a_container_that_never_starts() {
    // The app is up after 25 s; the startup probe (every 20 s) first succeeds at 40 s, so the
    // readiness probe (every 10 s) counts from then: Ready at 40 s, not 30 s.
    let startup = "startupProbe: {httpGet: {port: 80}, periodSeconds: 20, failureThreshold: 3}";
    let text = scenario("2m", "sim.kubesim.io/startup: 25s", &[READINESS, startup], "[]");
    let sim = run(parse(&text), None);
    assert_eq!(endpoints(sim.journal().records()), vec![(0.0, 0), (40.0, 1)]);
    // Up only after 5 min: the startup probe fails at 0, 10, ..., 50 s (failureThreshold 6),
    // so the container is killed after 50 s of each run, and CrashLoopBackOff follows.
    let startup = "startupProbe: {httpGet: {port: 80}, periodSeconds: 10, failureThreshold: 6}";
    let text = scenario("20m", "sim.kubesim.io/startup: 5m", &[READINESS, LIVENESS, startup], "[]");
    let sim = run(parse(&text), None);
    let records = sim.journal().records();
    let got = starts(records);
    assert_eq!(got, expected_starts(50, got.len()));
    assert!(got.len() >= 6, "{got:?}");
    assert!(records.iter().any(|(t, r)| t.as_secs() == 50
        && matches!(r, Record::PodKilled { reason: "StartupProbeFailed", exit_code: 143, .. })));
    assert!(!endpoints(records).iter().any(|&(_, ready)| ready > 0), "never ready");
}

#[test]
fn an_oom_killed_job_pod_fails_and_counts_toward_the_backoff_limit() {
    // restartPolicy Never: the pod is Failed at once (137, OOMKilled); the Job retries after
    // its 10 s pod-failure backoff and fails when backoffLimit 1 is exceeded.
    let text = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: oom-job}
spec:
  until: 5m
  cluster:
    nodes: [{name: n1, allocatable: {cpu: "4", memory: 8Gi}}]
  manifests:
    - inline:
        apiVersion: batch/v1
        kind: Job
        metadata: {name: train}
        spec:
          backoffLimit: 1
          template:
            metadata:
              annotations: {sim.kubesim.io/memory-base: 1Gi, sim.kubesim.io/duration: 1m}
            spec:
              restartPolicy: Never
              containers: [{name: c, resources: {requests: {cpu: 100m}, limits: {memory: 512Mi}}}]
  checks:
    - {at: 5m, expect: "job/default/train Failed == True"}
"#;
    let sim = run(parse(text), None);
    let kills = sim
        .journal()
        .records()
        .iter()
        .filter(|(_, r)| matches!(r, Record::PodKilled { reason: "OOMKilled", exit_code: 137, .. }))
        .count();
    assert_eq!(kills, 2);
    assert!(sim.check_results().iter().all(|c| c.passed), "{:?}", sim.check_results());
}
