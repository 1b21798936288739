//! The node-failure timeline of the controllers reference (§9.2, v1.34 defaults), checked
//! record by record against an independent computation of the expected instants.

use kubesim::journal::Record;
use kubesim::kernel::rng::uniform_below;
use kubesim::kernel::{SimTime, Streams};

use crate::support::{parse, run};

const SCENARIO: &str = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: timeline}
spec:
  seed: SEED
  until: 20m
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
  events:
    - {at: FAILs, failNode: doomed}
"#;

fn ms(t: u64) -> SimTime {
    SimTime::from_micros(t * 1000)
}

/// The expected detection instant, computed from the definition (reference §9.1/§9.2), not
/// from the simulator's code: last lease renewal at or before the failure, stamped by the
/// first 5 s monitor pass at or after it, NotReady at the first pass strictly after stamp + 50 s.
fn expected_detection(seed: u64, node: &str, failed_ms: u64) -> u64 {
    let phase_ms = uniform_below(&mut Streams::new(seed).keyed("kubelet.heartbeat", node, 0), 10_000);
    let last_renewal =
        if failed_ms < phase_ms { failed_ms } else { phase_ms + (failed_ms - phase_ms) / 10_000 * 10_000 };
    let stamp = last_renewal.div_ceil(5_000) * 5_000;
    (stamp + 50_000) / 5_000 * 5_000 + 5_000
}

fn first(records: &[(SimTime, Record)], pred: impl Fn(&Record) -> bool) -> Option<SimTime> {
    records.iter().find(|(_, r)| pred(r)).map(|(t, _)| *t)
}

#[test]
fn machine_failure_timeline_matches_the_reference() {
    for seed in 1..=12u64 {
        for fail_s in [600u64, 603, 607] {
            let text = SCENARIO.replace("SEED", &seed.to_string()).replace("FAIL", &fail_s.to_string());
            let sim = run(parse(&text), None);
            let records = sim.journal().records();
            let failed = ms(fail_s * 1000);
            // Both replicas prefer the doomed node and fit there.
            let doomed_pods: Vec<String> = records
                .iter()
                .filter_map(|(_, r)| match r {
                    Record::PodBound { pod, node } if node == "doomed" => Some(pod.clone()),
                    _ => None,
                })
                .collect();
            assert_eq!(doomed_pods.len(), 2, "seed {seed}");

            // 1. NotReady: Ready=Unknown at the computed monitor pass, 45..60 s after.
            let detect = expected_detection(seed, "doomed", fail_s * 1000);
            let unknown = first(records, |r| {
                matches!(r, Record::NodeCondition { node, condition: "Ready", status, .. } if node == "doomed" && status.as_str() == "Unknown")
            })
            .expect("node goes NotReady");
            assert_eq!(unknown, ms(detect), "seed {seed}, failure at {fail_s}s");
            let after = (unknown - failed).as_secs_f64();
            assert!(after > 45.0 && after <= 60.0, "detected {after}s after the failure");

            // 2. At that pass: pods not ready, endpoints drop, NoSchedule taint.
            let not_ready =
                first(records, |r| matches!(r, Record::PodReady { ready: false, reason: "NodeNotReady", .. }));
            assert_eq!(not_ready, Some(unknown));
            let endpoints_zero = records
                .iter()
                .find(|(t, r)| *t >= failed && matches!(r, Record::ServiceEndpoints { ready: 0, .. }))
                .map(|(t, _)| *t);
            assert_eq!(endpoints_zero, Some(unknown), "endpoints drop when the node is NotReady, not at the failure");
            let noschedule = first(
                records,
                |r| matches!(r, Record::NodeTaint { taint, added: true, .. } if taint == "node.kubernetes.io/unreachable:NoSchedule"),
            );
            assert_eq!(noschedule, Some(unknown));

            // 3. The NoExecute taint on the next 100 ms tainting pass (token available).
            let noexecute = first(records, |r| {
                matches!(r, Record::NodeTaint { taint, added: true, .. } if taint == "node.kubernetes.io/unreachable:NoExecute")
            })
            .expect("NoExecute taint");
            assert_eq!(noexecute, ms(detect + 100));

            // 4. Eviction after the default 300 s toleration; replacements created, bound to
            //    the spare node and Ready after their 7 s startup, all at once.
            let evicted = first(records, |r| matches!(r, Record::PodDeleting { reason: "DeletionByTaintManager", .. }))
                .expect("evicted");
            assert_eq!(evicted, ms(detect + 100 + 300_000));
            let evictions = records
                .iter()
                .filter(|(_, r)| matches!(r, Record::PodDeleting { reason: "DeletionByTaintManager", .. }))
                .count();
            assert_eq!(evictions, 2);
            let replacements: Vec<SimTime> = records
                .iter()
                .filter(|(t, r)| *t >= evicted && matches!(r, Record::PodBound { node, .. } if node == "spare"))
                .map(|(t, _)| *t)
                .collect();
            assert_eq!(replacements, vec![evicted, evicted], "two replacements bound at eviction time");
            let ready_again = records
                .iter()
                .filter(|(t, r)| *t > evicted && matches!(r, Record::ServiceEndpoints { ready: 2, .. }))
                .map(|(t, _)| *t)
                .next();
            assert_eq!(ready_again, Some(ms(detect + 100 + 300_000 + 7_000)));

            // 5. The old pods stay Terminating: the dead kubelet never confirms.
            let removed =
                records.iter().any(|(_, r)| matches!(r, Record::PodRemoved { pod } if doomed_pods.contains(pod)));
            assert!(!removed, "pods on an unreachable node are never removed");
        }
    }
}

#[test]
fn recovery_before_eviction_keeps_the_pods() {
    let text = SCENARIO.replace("SEED", "3").replace("FAIL", "600").replace(
        "    - {at: 600s, failNode: doomed}",
        "    - {at: 600s, failNode: doomed}\n    - {at: 12m, recoverNode: doomed}",
    );
    let sim = run(parse(&text), None);
    let records = sim.journal().records();
    assert!(
        !records.iter().any(|(_, r)| matches!(r, Record::PodDeleting { .. })),
        "no eviction before the 300 s toleration"
    );
    // Ready again at recovery; the NoExecute taint is removed by the next 5 s monitor pass.
    let ready = records
        .iter()
        .filter(|(_, r)| matches!(r, Record::NodeCondition { node, condition: "Ready", status, .. } if node == "doomed" && status.as_str() == "True"))
        .map(|(t, _)| *t)
        .next_back();
    assert_eq!(ready, Some(SimTime::from_secs(720)));
    let untainted = first(
        records,
        |r| matches!(r, Record::NodeTaint { taint, added: false, .. } if taint == "node.kubernetes.io/unreachable:NoExecute"),
    );
    assert_eq!(untainted, Some(SimTime::from_secs(720)), "720 s is itself a monitor pass");
    // The containers restart on the same node (restart count 1) and are Ready after startup.
    let restarts = records
        .iter()
        .filter(|(t, r)| *t == SimTime::from_secs(720) && matches!(r, Record::PodStarted { restart_count: 1, .. }))
        .count();
    assert_eq!(restarts, 2);
    assert_eq!(
        first(records, |r| matches!(r, Record::ServiceEndpoints { ready: 2, .. })).map(|t| t <= SimTime::from_secs(20)),
        Some(true)
    );
    let back = records
        .iter()
        .filter(|(t, r)| *t > SimTime::from_secs(720) && matches!(r, Record::ServiceEndpoints { ready: 2, .. }))
        .map(|(t, _)| *t)
        .next();
    assert_eq!(back, Some(SimTime::from_secs(727)));
}
