//! Node faults beyond one machine's failure, against the controllers reference (§9, v1.34
//! defaults) and the pod garbage collector of v1.34: zone outages and the zone disruption
//! modes, kubelet partitions, kubelet-reported conditions, scale-in and scale-out.

use kubesim::journal::Record;
use kubesim::kernel::rng::uniform_below;
use kubesim::kernel::{SimTime, Streams};

use crate::support::{failed_actions, parse, run};

fn ms(t: u64) -> SimTime {
    SimTime::from_micros(t * 1000)
}

fn secs(t: u64) -> SimTime {
    SimTime::from_secs(t)
}

/// The detection instant of a kubelet that stops renewing its lease at `stopped_ms`, from the
/// reference's definition (§9.1): the last renewal at or before, stamped by the first 5 s pass
/// at or after it, Unknown at the first pass strictly after stamp + 50 s.
fn expected_detection(seed: u64, node: &str, stopped_ms: u64) -> u64 {
    let phase_ms = uniform_below(&mut Streams::new(seed).keyed("kubelet.heartbeat", node, 0), 10_000);
    let last = if stopped_ms < phase_ms { stopped_ms } else { phase_ms + (stopped_ms - phase_ms) / 10_000 * 10_000 };
    let stamp = last.div_ceil(5_000) * 5_000;
    (stamp + 50_000) / 5_000 * 5_000 + 5_000
}

type Records = [(SimTime, Record)];

fn first(records: &Records, pred: impl Fn(&Record) -> bool) -> Option<SimTime> {
    records.iter().find(|(_, r)| pred(r)).map(|(t, _)| *t)
}

fn all(records: &Records, pred: impl Fn(&Record) -> bool) -> Vec<SimTime> {
    records.iter().filter(|(_, r)| pred(r)).map(|(t, _)| *t).collect()
}

fn condition(records: &Records, node_name: &str, which: &str, value: &str) -> Vec<SimTime> {
    all(records, |r| {
        matches!(r, Record::NodeCondition { node, condition, status, .. }
            if node == node_name && *condition == which && status.as_str() == value)
    })
}

fn taint_added(records: &Records, node_name: &str, text: &str) -> Vec<SimTime> {
    all(records, |r| matches!(r, Record::NodeTaint { node, taint, added: true } if node == node_name && taint == text))
}

fn taint_removed(records: &Records, node_name: &str, text: &str) -> Vec<SimTime> {
    all(records, |r| matches!(r, Record::NodeTaint { node, taint, added: false } if node == node_name && taint == text))
}

/// NoExecute taint instants (node, time), in order.
fn no_execute_taints(records: &Records, key: &str) -> Vec<(String, SimTime)> {
    let text = format!("node.kubernetes.io/{key}:NoExecute");
    records
        .iter()
        .filter_map(|(t, r)| match r {
            Record::NodeTaint { node, taint, added: true } if *taint == text => Some((node.clone(), *t)),
            _ => None,
        })
        .collect()
}

fn evictions(records: &Records) -> Vec<SimTime> {
    all(records, |r| matches!(r, Record::PodDeleting { reason: "DeletionByTaintManager", .. }))
}

fn check_results(sim: &kubesim::engine::Simulation) {
    for c in sim.check_results() {
        assert!(c.passed, "check {:?} failed at {}: actual {}", c.text, c.at, c.actual);
    }
}

/// The expected NoExecute taint instants of nodes detected at `detections` (ms) in one zone
/// whose state keeps the primary rate (0.1 node/s, burst 1): each on the 100 ms pass after its
/// detection, but at least 10 s after the previous one.
fn primary_rate_taints(mut detections: Vec<u64>) -> Vec<u64> {
    detections.sort_unstable();
    let mut out: Vec<u64> = Vec::new();
    for d in detections {
        let t = match out.last() {
            Some(&prev) => (d + 100).max(prev + 10_000),
            None => d + 100,
        };
        out.push(t);
    }
    out
}

const ZONES: &str = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: zones}
spec:
  seed: SEED
  until: 30m
  cluster:
    nodePools:
      - {name: n, count: 9, zones: [za, zb, zc], allocatable: {cpu: "4", memory: 8Gi}}
  manifests:
    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 9
          selector: {matchLabels: {app: web}}
          template:
            metadata:
              labels: {app: web}
              annotations: {sim.kubesim.io/startup: 5s}
            spec:
              topologySpreadConstraints:
                - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}
              containers:
                - name: app
                  image: web:1
                  resources: {requests: {cpu: 100m, memory: 128Mi}}
  events:
EVENTS
"#;

fn zones_scenario(seed: u64, events: &str) -> String {
    ZONES.replace("SEED", &seed.to_string()).replace("EVENTS", events)
}

/// `failZone`: every node of the zone fails at once; each is NotReady at its own detection
/// pass; the zone's tainting queue releases one node per 10 s (Normal, then FullDisruption
/// once no node of the zone is Ready: both at `--node-eviction-rate`); pods are evicted 300 s
/// after their node's taint and replaced in the surviving zones.
#[test]
fn zone_outage_follows_the_reference_timeline() {
    for seed in 1..=6u64 {
        let sim = run(parse(&zones_scenario(seed, "    - {at: 600s, failZone: za}")), None);
        let records = sim.journal().records();
        let zone_a = ["n-0", "n-3", "n-6"];
        for node in zone_a {
            assert_eq!(all(records, |r| matches!(r, Record::NodeFailed { node: n } if n == node)), vec![secs(600)]);
        }
        let detections: Vec<u64> = zone_a.iter().map(|n| expected_detection(seed, n, 600_000)).collect();
        for (node, d) in zone_a.iter().zip(&detections) {
            assert_eq!(condition(records, node, "Ready", "Unknown"), vec![ms(*d)], "seed {seed} {node}");
        }
        let expected: Vec<SimTime> = primary_rate_taints(detections.clone()).into_iter().map(ms).collect();
        let taints: Vec<SimTime> = no_execute_taints(records, "unreachable").into_iter().map(|(_, t)| t).collect();
        assert_eq!(taints, expected, "seed {seed}: one taint per 10 s in the zone");
        // Three pods per zone (hostname spreading over 9 nodes), each evicted 300 s after its
        // node's taint, and replaced at once outside zone a.
        let evicted = evictions(records);
        let mut want: Vec<SimTime> =
            expected.iter().map(|t| *t + kubesim::kernel::SimDuration::from_secs(300)).collect();
        want.sort();
        assert_eq!(evicted, want, "seed {seed}");
        for t in &evicted {
            let bound: Vec<&String> = records
                .iter()
                .filter(|(bt, r)| bt == t && matches!(r, Record::PodBound { .. }))
                .map(|(_, r)| match r {
                    Record::PodBound { node, .. } => node,
                    _ => unreachable!(),
                })
                .collect();
            assert_eq!(bound.len(), 1, "seed {seed}: one replacement per eviction at {t}");
            assert!(!zone_a.contains(&bound[0].as_str()), "replacement bound outside the failed zone");
        }
    }
}

/// `recoverZone`: every node of the zone posts Ready at once; the NoExecute taints go at the
/// next monitor pass; nothing left to evict.
#[test]
fn zone_recovery_before_eviction_keeps_the_pods() {
    let events = "    - {at: 600s, failZone: za}\n    - {at: 700s, recoverZone: za}";
    let sim = run(parse(&zones_scenario(2, events)), None);
    let records = sim.journal().records();
    for node in ["n-0", "n-3", "n-6"] {
        assert_eq!(condition(records, node, "Ready", "True").last(), Some(&secs(700)));
        let removed = taint_removed(records, node, "node.kubernetes.io/unreachable:NoExecute");
        assert!(removed.is_empty() || removed == vec![secs(700)], "{node}: {removed:?}");
    }
    assert!(evictions(records).is_empty());
    assert!(failed_actions(&sim).is_empty());
}

/// All zones fully disrupted: "master disruption mode" — every NoExecute taint is removed and
/// nothing is evicted while it lasts. When one zone recovers, the mode ends and the nodes
/// still down are tainted again (primary rate) and evicted 300 s later.
#[test]
fn every_zone_down_stops_evictions_until_one_recovers() {
    let events = "    - {at: 600s, failZone: za}\n    - {at: 600s, failZone: zb}\n    - {at: 600s, failZone: zc}\n    - {at: 1200s, recoverZone: zc}";
    let seed = 4;
    let sim = run(parse(&zones_scenario(seed, events)), None);
    let records = sim.journal().records();
    let last_detection =
        (0..9).map(|k| expected_detection(seed, &format!("n-{k}"), 600_000)).max().expect("nine nodes");
    // Every taint added before the last detection is removed at it.
    let before: Vec<(String, SimTime)> =
        no_execute_taints(records, "unreachable").into_iter().filter(|(_, t)| *t < secs(1200)).collect();
    assert!(!before.is_empty(), "some nodes are tainted before every zone is down");
    for (node, _) in &before {
        let removed = taint_removed(records, node, "node.kubernetes.io/unreachable:NoExecute");
        assert_eq!(removed.first(), Some(&ms(last_detection)), "{node}");
    }
    assert!(before.iter().all(|(_, t)| *t <= ms(last_detection)));
    // No eviction while every zone is down; after zone c recovers at 1200 s, zones a and b are
    // tainted again and their pods evicted 300 s after each taint.
    let evicted = evictions(records);
    assert!(evicted.iter().all(|t| *t > secs(1500)), "{evicted:?}");
    let again: Vec<SimTime> = no_execute_taints(records, "unreachable")
        .into_iter()
        .filter(|(_, t)| *t >= secs(1200))
        .map(|(_, t)| t)
        .collect();
    assert_eq!(again.len(), 6, "the six nodes still down are tainted again");
    assert_eq!(again[0], ms(1_200_100), "the next 100 ms pass after the mode ends");
    let mut want: Vec<SimTime> = again.iter().map(|t| *t + kubesim::kernel::SimDuration::from_secs(300)).collect();
    want.retain(|t| *t <= secs(1800));
    assert_eq!(evicted, want);
}

/// PartialDisruption: more than 2 nodes and at least 55 % of a zone NotReady. A zone of at
/// most 50 nodes then stops tainting (rate 0); a larger zone taints at
/// `--secondary-node-eviction-rate` 0.01/s, one node per 100 s.
#[test]
fn partial_disruption_slows_or_stops_tainting() {
    let base = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: partial}
spec:
  seed: 5
  until: UNTIL
  cluster:
    nodePools:
      - {name: big, count: SIZE, zones: [z1], allocatable: {cpu: "4", memory: 8Gi}}
      - {name: other, count: 1, zones: [z2], allocatable: {cpu: "4", memory: 8Gi}}
  events:
EVENTS
"#;
    // Small zone: 5 nodes, 4 fail at once. The zone turns PartialDisruption when the third
    // is NotReady (3/5 = 0.6); taints stop from then on.
    let events: String = (0..4).map(|k| format!("    - {{at: 600s, failNode: big-{k}}}\n")).collect();
    let text = base.replace("UNTIL", "30m").replace("SIZE", "5").replace("EVENTS", &events);
    let sim = run(parse(&text), None);
    let records = sim.journal().records();
    let mut detections: Vec<u64> = (0..4).map(|k| expected_detection(5, &format!("big-{k}"), 600_000)).collect();
    detections.sort_unstable();
    let partial_at = ms(detections[2]);
    let taints = no_execute_taints(records, "unreachable");
    assert!(taints.len() < 4, "some nodes are never tainted: {taints:?}");
    assert!(taints.iter().all(|(_, t)| *t <= partial_at), "no taint once partially disrupted: {taints:?}");

    // Large zone: 60 nodes, 40 fail. PartialDisruption at the 33rd NotReady (33/60 = 0.55);
    // from then on one taint per 100 s.
    let events: String = (0..40).map(|k| format!("    - {{at: 600s, failNode: big-{k}}}\n")).collect();
    let text = base.replace("UNTIL", "2h").replace("SIZE", "60").replace("EVENTS", &events);
    let sim = run(parse(&text), None);
    let records = sim.journal().records();
    let taints: Vec<SimTime> = no_execute_taints(records, "unreachable").into_iter().map(|(_, t)| t).collect();
    assert_eq!(taints.len(), 40, "every node is tainted eventually");
    let gaps: Vec<u64> = taints.windows(2).map(|w| (w[1] - w[0]).as_micros() / 1000).collect();
    // Before PartialDisruption (the first ~15 s of detections) the gaps are 10 s; the last
    // gaps are all 100 s.
    assert!(gaps[..1].iter().all(|g| *g == 10_000), "{gaps:?}");
    assert!(gaps[gaps.len() - 30..].iter().all(|g| *g == 100_000), "{gaps:?}");
}

const PARTITION: &str = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: partition}
spec:
  seed: SEED
  until: 30m
  cluster:
    nodes:
      - {name: cut, allocatable: {cpu: "4", memory: 8Gi}, labels: {role: first}}
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
              annotations: {sim.kubesim.io/startup: 7s, sim.kubesim.io/shutdown: 4s}
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
        kind: Pod
        metadata: {name: patient, labels: {app: patient}}
        spec:
          nodeName: cut
          tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute}]
          containers: [{name: c, image: busybox}]
  events:
    - {at: 600s, partitionNode: cut}
    - {at: 1500s, healNode: cut}
  checks:
    # The containers keep running on the machine while the API marks the pods Terminating.
    - {at: 1300s, expect: "node/cut podsRunning == 3"}
    - {at: 1300s, expect: "cluster podsTerminating == 2"}
    - {at: 1300s, expect: "pod/default/patient phase == Running"}
    - {at: 1300s, expect: "pod/default/patient ready == False"}
    - {at: 1300s, expect: "deployment/default/web readyReplicas == 2"}
    # Healed: the deleted pods are killed (4 s shutdown) and removed; the patient pod goes on.
    - {at: 1504s, expect: "cluster podsTerminating == 0"}
    - {at: 1500s, expect: "pod/default/patient ready == True"}
    - {at: 1500s, expect: "node/cut Ready == True"}
"#;

/// `partitionNode`: the kubelet is alive but cut off. The node goes Unknown on the machine
/// failure's timeline, its pods are marked for deletion 300 s after the taint, but their
/// containers keep running (the kubelet cannot learn of the deletion) until `healNode`: then
/// the deleted pods are killed gracefully and removed, and the others carry on.
#[test]
fn partition_keeps_containers_running_until_heal() {
    for seed in [1u64, 2, 3] {
        let sim = run(parse(&PARTITION.replace("SEED", &seed.to_string())), None);
        check_results(&sim);
        let records = sim.journal().records();
        assert_eq!(all(records, |r| matches!(r, Record::NodePartitioned { .. })), vec![secs(600)]);
        let detect = expected_detection(seed, "cut", 600_000);
        assert_eq!(condition(records, "cut", "Ready", "Unknown"), vec![ms(detect)], "seed {seed}");
        assert_eq!(
            taint_added(records, "cut", "node.kubernetes.io/unreachable:NoExecute"),
            vec![ms(detect + 100)],
            "seed {seed}"
        );
        let evicted = evictions(records);
        assert_eq!(evicted, vec![ms(detect + 100 + 300_000); 2], "seed {seed}");
        // Replacements at eviction on the spare node; the old pods only go after healing.
        let cut_pods: Vec<String> = records
            .iter()
            .filter_map(|(_, r)| match r {
                Record::PodBound { pod, node } if node == "cut" && pod.starts_with("default/web-") => Some(pod.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(cut_pods.len(), 2);
        let removed = all(records, |r| matches!(r, Record::PodRemoved { pod } if cut_pods.contains(pod)));
        assert_eq!(removed, vec![secs(1504), secs(1504)], "graceful kill after the heal: 4 s shutdown");
        // The containers never restarted: no start after the partition began.
        assert!(
            !records.iter().any(|(t, r)| *t >= secs(600)
                && matches!(r, Record::PodStarted { pod, .. } if cut_pods.contains(pod) || pod == "default/patient")),
            "containers on a partitioned node keep running"
        );
        assert_eq!(
            all(
                records,
                |r| matches!(r, Record::PodReady { pod, ready: true, reason: "KubeletReady" } if pod == "default/patient")
            ),
            vec![secs(1500)]
        );
        // The NoExecute taint goes at the monitor pass of the heal (1500 s is one).
        assert_eq!(taint_removed(records, "cut", "node.kubernetes.io/unreachable:NoExecute"), vec![secs(1500)]);
    }
}

/// A pod bound to a partitioned node before it is seen NotReady is not started until the
/// kubelet reconnects; a node healed before detection loses nothing.
#[test]
fn a_short_partition_is_invisible_but_delays_new_pods() {
    let text = PARTITION.replace("SEED", "3").replace(
        "{at: 1500s, healNode: cut}",
        "{at: 620s, healNode: cut}\n    - {at: 610s, scale: {target: deployment/default/web, replicas: 3}}",
    );
    let text = text.split("  checks:").next().expect("events").to_string();
    let sim = run(parse(&text), None);
    let records = sim.journal().records();
    assert!(condition(records, "cut", "Ready", "Unknown").is_empty(), "healed before the grace period");
    let third = records
        .iter()
        .find_map(|(t, r)| match r {
            Record::PodBound { pod, node } if *t == secs(610) && node == "cut" => Some(pod.clone()),
            _ => None,
        })
        .expect("the third replica prefers the cut node");
    assert_eq!(all(records, |r| matches!(r, Record::PodStarted { pod, .. } if *pod == third)), vec![secs(620)]);
}

const CONDITIONS: &str = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: conditions}
spec:
  seed: 7
  until: 30m
  cluster:
    nodes:
      - {name: sick, allocatable: {cpu: "4", memory: 8Gi}, labels: {role: first}}
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
              annotations: {sim.kubesim.io/startup: 7s, sim.kubesim.io/shutdown: 3s}
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
  events:
EVENTS
"#;

/// `nodeCondition Ready=False` (§9.3, e.g. the container runtime is down): posted at once, so
/// the `not-ready:NoSchedule` taint is immediate; the next 5 s monitor pass marks the pods
/// not ready and queues the node; `not-ready:NoExecute` 100 ms later; the pods are evicted
/// 300 s after it (default toleration) and — the kubelet being alive — removed after their
/// shutdown. Ready=True removes both taints (NoExecute at the next pass).
#[test]
fn kubelet_reported_not_ready_evicts_after_the_toleration() {
    let events = "    - {at: 602s, nodeCondition: {node: sick, type: Ready, status: \"False\"}}\n    - {at: 1203s, nodeCondition: {node: sick, type: Ready, status: \"True\"}}";
    let sim = run(parse(&CONDITIONS.replace("EVENTS", events)), None);
    let records = sim.journal().records();
    assert_eq!(condition(records, "sick", "Ready", "False"), vec![secs(602)]);
    assert_eq!(taint_added(records, "sick", "node.kubernetes.io/not-ready:NoSchedule"), vec![secs(602)]);
    let marked = all(records, |r| matches!(r, Record::PodReady { ready: false, reason: "NodeNotReady", .. }));
    assert_eq!(marked, vec![secs(605), secs(605)], "at the next monitor pass");
    assert_eq!(taint_added(records, "sick", "node.kubernetes.io/not-ready:NoExecute"), vec![ms(605_100)]);
    assert_eq!(evictions(records), vec![ms(905_100); 2]);
    let removed = all(records, |r| matches!(r, Record::PodRemoved { .. }));
    assert_eq!(removed, vec![ms(908_100); 2], "the live kubelet kills them in 3 s");
    assert!(condition(records, "sick", "Ready", "Unknown").is_empty(), "the lease is still renewed");
    assert_eq!(taint_removed(records, "sick", "node.kubernetes.io/not-ready:NoSchedule"), vec![secs(1203)]);
    assert_eq!(taint_removed(records, "sick", "node.kubernetes.io/not-ready:NoExecute"), vec![secs(1205)]);
}

/// Pressure conditions become NoSchedule taints at once, which the scheduler respects (and
/// DaemonSet pods tolerate); clearing the condition removes the taint and pending pods bind.
#[test]
fn pressure_conditions_taint_and_block_scheduling() {
    let events = r#"    - {at: 10s, nodeCondition: {node: sick, type: MemoryPressure, status: "True"}}
    - {at: 10s, nodeCondition: {node: spare, type: DiskPressure, status: "True"}}
    - {at: 20s, scale: {target: deployment/default/web, replicas: 4}}
    - {at: 60s, nodeCondition: {node: spare, type: PIDPressure, status: "True"}}
    - {at: 90s, nodeCondition: {node: spare, type: DiskPressure, status: "False"}}
    - {at: 120s, nodeCondition: {node: spare, type: PIDPressure, status: "False"}}"#;
    let text = CONDITIONS.replace("EVENTS", events).replace("replicas: 2", "replicas: 0");
    let sim = run(parse(&text), None);
    let records = sim.journal().records();
    assert_eq!(taint_added(records, "sick", "node.kubernetes.io/memory-pressure:NoSchedule"), vec![secs(10)]);
    assert_eq!(taint_added(records, "spare", "node.kubernetes.io/disk-pressure:NoSchedule"), vec![secs(10)]);
    assert_eq!(taint_added(records, "spare", "node.kubernetes.io/pid-pressure:NoSchedule"), vec![secs(60)]);
    assert_eq!(taint_removed(records, "spare", "node.kubernetes.io/disk-pressure:NoSchedule"), vec![secs(90)]);
    assert_eq!(taint_removed(records, "spare", "node.kubernetes.io/pid-pressure:NoSchedule"), vec![secs(120)]);
    let unschedulable = first(
        records,
        |r| matches!(r, Record::PodUnschedulable { message, .. } if message.contains("memory-pressure") && message.contains("disk-pressure")),
    );
    assert!(unschedulable.is_some(), "both taints named in the FitError");
    let bound = all(records, |r| matches!(r, Record::PodBound { node, .. } if node == "spare"));
    assert_eq!(bound.len(), 4);
    assert!(bound.iter().all(|t| *t >= secs(120)), "bound once neither pressure taint is left: {bound:?}");
    assert!(all(records, |r| matches!(r, Record::PodBound { node, .. } if node == "sick")).is_empty());
    assert!(evictions(records).is_empty(), "NoSchedule taints evict nothing");
}

const SCALE: &str = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: scale-in}
spec:
  seed: 9
  until: 30m
  cluster:
    nodes:
      - {name: a1, allocatable: {cpu: 1500m, memory: 8Gi}, labels: {role: first}}
      - {name: a2, allocatable: {cpu: 1500m, memory: 8Gi}}
      - {name: a3, allocatable: {cpu: 1500m, memory: 8Gi}}
      - {name: spare, allocatable: {cpu: "8", memory: 16Gi}, labels: {role: spare}}
  manifests:
    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata:
              labels: {app: web}
              annotations: {sim.kubesim.io/startup: 5s, sim.kubesim.io/shutdown: 2s}
            spec:
              affinity:
                nodeAffinity:
                  preferredDuringSchedulingIgnoredDuringExecution:
                    - weight: 100
                      preference: {matchExpressions: [{key: role, operator: NotIn, values: [spare]}]}
              containers:
                - name: app
                  image: web:1
                  resources: {requests: {cpu: "1", memory: 128Mi}}
    - inline:
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db}
        spec:
          replicas: 1
          serviceName: db
          selector: {matchLabels: {app: db}}
          template:
            metadata:
              labels: {app: db}
              annotations: {sim.kubesim.io/startup: 5s}
            spec:
              affinity:
                nodeAffinity:
                  preferredDuringSchedulingIgnoredDuringExecution:
                    - weight: 100
                      preference: {matchExpressions: [{key: role, operator: In, values: [first]}]}
              containers:
                - name: db
                  image: db:1
                  resources: {requests: {cpu: 100m, memory: 128Mi}}
    - inline:
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: agent}
        spec:
          selector: {matchLabels: {app: agent}}
          template:
            metadata: {labels: {app: agent}}
            spec:
              containers:
                - name: agent
                  image: agent:1
                  resources: {requests: {cpu: 10m, memory: 16Mi}}
EXTRA
  events:
EVENTS
  checks:
CHECKS
"#;

fn scale_scenario(extra: &str, events: &str, checks: &str) -> String {
    SCALE.replace("EXTRA", extra).replace("EVENTS", events).replace("CHECKS", checks)
}

/// Bound pods per node name, from the journal (the node of each pod's binding).
fn pods_bound_to(records: &Records, node_name: &str) -> Vec<String> {
    records
        .iter()
        .filter_map(|(_, r)| match r {
            Record::PodBound { pod, node } if node == node_name => Some(pod.clone()),
            _ => None,
        })
        .collect()
}

/// `removeNode`: the machine goes and the Node object is deleted. The pods stay bound to the
/// missing node until the pod garbage collector's pass after its 40 s quarantine (the first
/// 20 s pass at or after the deletion quarantines the node): then each is marked Failed and
/// force-deleted. The ReplicaSet replaces its pod, the StatefulSet recreates `db-0` (the
/// old one is gone, not stuck Terminating), and the DaemonSet's desired count drops.
#[test]
fn removed_node_pods_are_garbage_collected_after_the_quarantine() {
    let checks = r#"    - {at: 610s, expect: "cluster nodes == 3"}
    - {at: 610s, expect: "node/a1 exists == False"}
    - {at: 659s, expect: "pod/default/db-0 node == a1"}
    - {at: 659s, expect: "daemonset/default/agent desiredNumberScheduled == 4"}
    - {at: 660s, expect: "daemonset/default/agent desiredNumberScheduled == 3"}
    - {at: 660s, expect: "pod/default/db-0 node != a1"}
    - {at: 670s, expect: "statefulset/default/db readyReplicas == 1"}
    - {at: 670s, expect: "deployment/default/web readyReplicas == 3"}
    - {at: 670s, expect: "daemonset/default/agent numberReady == 3"}"#;
    let text = scale_scenario("", "    - {at: 601s, removeNode: a1}", checks);
    let sim = run(parse(&text), None);
    check_results(&sim);
    let records = sim.journal().records();
    assert_eq!(all(records, |r| matches!(r, Record::NodeRemoved { node } if node == "a1")), vec![secs(601)]);
    let on_a1 = pods_bound_to(records, "a1");
    assert_eq!(on_a1.len(), 3, "a web pod, db-0 and the agent: {on_a1:?}");
    // 601 s → quarantined by the 620 s pass → deleted by the 660 s pass.
    let gc = kubesim::controllers::pod_gc::deletion_time(secs(601));
    assert_eq!(gc, secs(660));
    for pod in &on_a1 {
        let removed = all(records, |r| matches!(r, Record::PodRemoved { pod: p } if p == pod));
        assert_eq!(removed, vec![gc], "{pod}");
        let failed = all(records, |r| matches!(r, Record::PodPhase { pod: p, phase: "Failed" } if p == pod));
        assert_eq!(failed, vec![gc], "{pod} is marked Failed first");
        let deleting =
            all(records, |r| matches!(r, Record::PodDeleting { pod: p, reason: "DeletionByPodGC" } if p == pod));
        assert_eq!(deleting, vec![gc], "{pod}");
    }
    // Replacements at once: the web pod on the spare node, db-0 again (same name).
    let replaced: Vec<&Record> =
        records.iter().filter(|(t, r)| *t == gc && matches!(r, Record::PodBound { .. })).map(|(_, r)| r).collect();
    assert_eq!(replaced.len(), 2, "{replaced:?}");
    assert!(replaced.iter().any(|r| matches!(r, Record::PodBound { pod, .. } if pod == "default/db-0")));
    // No daemon pod is ever created for the removed node again.
    let agents_on_a1 = on_a1.iter().filter(|p| p.starts_with("default/agent-")).count();
    assert_eq!(agents_on_a1, 1);
    assert!(failed_actions(&sim).is_empty());
    // Scripted events on the removed node fail, located in the journal.
    let text = scale_scenario("", "    - {at: 601s, removeNode: a1}\n    - {at: 700s, cordon: a1}", "");
    let sim = run(parse(&text), None);
    assert_eq!(failed_actions(&sim), vec!["node \"a1\" not found".to_string()]);
}

/// `removeNode` with a notice (spot reclamation): the node is cordoned and drained at once
/// (`--ignore-daemonsets --force`, through the Eviction API), and the machine goes when the
/// notice runs out; the daemon pod, never evicted, is garbage collected after the quarantine.
#[test]
fn notice_drains_first() {
    let checks = r#"    - {at: 700s, expect: "node/a1 unschedulable == True"}
    - {at: 700s, expect: "node/a1 pods == 1"}
    - {at: 700s, expect: "deployment/default/web readyReplicas == 3"}
    - {at: 700s, expect: "statefulset/default/db readyReplicas == 1"}
    - {at: 781s, expect: "cluster nodes == 3"}"#;
    let text = scale_scenario("", "    - {at: 600s, removeNode: {node: a1, notice: 2m}}", checks);
    let sim = run(parse(&text), None);
    check_results(&sim);
    let records = sim.journal().records();
    assert_eq!(
        all(records, |r| matches!(r, Record::NodeUnschedulable { node, unschedulable: true } if node == "a1")),
        vec![secs(600)]
    );
    let evicted = all(records, |r| matches!(r, Record::PodDeleting { reason: "EvictionByEvictionAPI", .. }));
    assert_eq!(evicted, vec![secs(600), secs(600)], "the web pod and db-0, not the daemon pod");
    assert_eq!(all(records, |r| matches!(r, Record::NodeRemoved { node } if node == "a1")), vec![secs(720)]);
    let agent = pods_bound_to(records, "a1").into_iter().find(|p| p.starts_with("default/agent-")).expect("agent");
    assert_eq!(all(records, |r| matches!(r, Record::PodRemoved { pod } if *pod == agent)), vec![secs(760)]);
}

/// With a PodDisruptionBudget that allows no disruption, the drain cannot evict within the
/// notice: the pod dies with the machine and is garbage collected; its replacement only comes
/// then.
#[test]
fn notice_respects_disruption_budgets() {
    let pdb = r#"    - inline:
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: web}
        spec:
          minAvailable: 3
          selector: {matchLabels: {app: web}}"#;
    let text = scale_scenario(pdb, "    - {at: 600s, removeNode: {node: a1, notice: 2m}}", "");
    let sim = run(parse(&text), None);
    let records = sim.journal().records();
    let web = pods_bound_to(records, "a1").into_iter().find(|p| p.starts_with("default/web-")).expect("web pod");
    assert!(
        !records
            .iter()
            .any(|(_, r)| matches!(r, Record::PodDeleting { pod, reason: "EvictionByEvictionAPI" } if *pod == web))
    );
    assert_eq!(
        all(records, |r| matches!(r, Record::PodDeleting { pod, reason: "DeletionByPodGC" } if *pod == web)),
        vec![secs(760)]
    );
}

/// `addNodes`: nodes `<pool>-<k>` continue the pool's numbering (a removed node's name is
/// never reused), zones round-robin by number; pending pods are scheduled on them at once and
/// the DaemonSet runs there.
#[test]
fn added_nodes_take_pending_pods_and_daemons() {
    let text = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: scale-out}
spec:
  seed: 3
  until: 10m
  cluster:
    nodePools:
      - {name: w, count: 2, zones: [za, zb], allocatable: {cpu: 1100m, memory: 4Gi}}
  manifests:
    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 4
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
                - name: app
                  image: web:1
                  resources: {requests: {cpu: "1", memory: 128Mi}}
    - inline:
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: agent}
        spec:
          selector: {matchLabels: {app: agent}}
          template:
            metadata: {labels: {app: agent}}
            spec:
              containers:
                - name: agent
                  image: agent:1
                  resources: {requests: {cpu: 10m, memory: 16Mi}}
  events:
    - {at: 100s, removeNode: w-1}
    - {at: 300s, addNodes: {pool: w, count: 3, zones: [za, zb], allocatable: {cpu: 1100m, memory: 4Gi}, labels: {tier: burst}}}
    - {at: 400s, failNode: w-4}
  checks:
    - {at: 299s, expect: "cluster podsPending == 3"}
    - {at: 300s, expect: "cluster nodes == 4"}
    - {at: 300s, expect: "deployment/default/web readyReplicas == 4"}
    - {at: 300s, expect: "daemonset/default/agent desiredNumberScheduled == 4"}
    - {at: 300s, expect: "daemonset/default/agent numberReady == 4"}
    - {at: 300s, expect: "node/w-1 exists == False"}
    - {at: 300s, expect: "node/w-2 exists == True"}
"#;
    let sim = run(parse(text), None);
    check_results(&sim);
    let records = sim.journal().records();
    let added = all(records, |r| matches!(r, Record::NodeAdded { .. }));
    assert_eq!(added.len(), 5);
    let names: Vec<String> = records
        .iter()
        .filter_map(|(t, r)| match r {
            Record::NodeAdded { node } if *t == secs(300) => Some(node.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(names, vec!["w-2", "w-3", "w-4"]);
    let store = sim.store();
    let zone = |n: &str| store.node(store.node_id(n).expect("exists")).zone().to_string();
    assert_eq!((zone("w-2"), zone("w-3"), zone("w-4")), ("za".into(), "zb".into(), "za".into()));
    assert_eq!(store.node(store.node_id("w-3").unwrap()).meta.labels.get("tier").map(String::as_str), Some("burst"));
    assert!(failed_actions(&sim).is_empty());
}

/// Same seed, same digest, with every node fault of the catalogue in one run.
#[test]
fn node_faults_are_deterministic() {
    let events = r#"    - {at: 100s, addNodes: {pool: extra, count: 2, zones: [za, zb], allocatable: {cpu: "4", memory: 8Gi}}}
    - {at: 200s, nodeCondition: {node: n-1, type: MemoryPressure, status: "True"}}
    - {at: 250s, partitionNode: n-2}
    - {at: 300s, failZone: za}
    - {at: 320s, nodeCondition: {node: n-4, type: Ready, status: "False"}}
    - {at: 400s, removeNode: {node: n-5, notice: 1m}}
    - {at: 500s, removeNode: n-7}
    - {at: 900s, recoverZone: za}
    - {at: 950s, healNode: n-2}
    - {at: 1000s, nodeCondition: {node: n-4, type: Ready, status: "True"}}"#;
    let text = zones_scenario(11, events);
    let digests: Vec<String> = (0..2).map(|_| run(parse(&text), None).digest()).collect();
    assert_eq!(digests[0], digests[1]);
    let other = run(parse(&text), Some(12)).digest();
    assert_ne!(digests[0], other, "the seed drives heartbeat phases");
}

/// The shipped zone-outage scenario passes its own checks for any seed (the lease phases,
/// hence the detection instants and the taint order, change with the seed).
#[test]
fn zone_outage_scenario_holds_whatever_the_seed() {
    let scenario = crate::support::load(&crate::support::root().join("scenarios/zone-outage-topology-spread.yaml"));
    for seed in 1..=25 {
        let sim = run(scenario.clone(), Some(seed));
        for r in sim.check_results() {
            assert!(r.passed, "seed {seed}: {:?} failed at {} (actual: {})", r.text, r.at, r.actual);
        }
    }
}

/// A StatefulSet's pod evicted from a dead machine stays Terminating and blocks its
/// replacement (§7); deleting the Node object releases it: the pod garbage collector deletes
/// it after the quarantine and the StatefulSet recreates `db-0` elsewhere at once.
#[test]
fn deleting_a_dead_node_releases_a_stuck_statefulset_pod() {
    let checks = r#"    - {at: 1199s, expect: "pod/default/db-0 terminating == True"}
    - {at: 1199s, expect: "statefulset/default/db readyReplicas == 0"}
    - {at: 1245s, expect: "pod/default/db-0 terminating == False"}
    - {at: 1245s, expect: "statefulset/default/db readyReplicas == 1"}"#;
    let events = "    - {at: 600s, failNode: a1}\n    - {at: 1200s, removeNode: a1}";
    let sim = run(parse(&scale_scenario("", events, checks)), None);
    check_results(&sim);
    let records = sim.journal().records();
    let evicted = all(
        records,
        |r| matches!(r, Record::PodDeleting { pod, reason: "DeletionByTaintManager" } if pod == "default/db-0"),
    );
    assert_eq!(evicted.len(), 1, "evicted 300 s after the taint, then stuck");
    let gc = kubesim::controllers::pod_gc::deletion_time(secs(1200));
    assert_eq!(gc, secs(1240));
    assert_eq!(all(records, |r| matches!(r, Record::PodRemoved { pod } if pod == "default/db-0")), vec![gc]);
    let created = all(records, |r| matches!(r, Record::PodCreated { pod, .. } if pod == "default/db-0"));
    assert_eq!(created.last(), Some(&gc), "recreated under its name at once");
}

/// The scenario's header claims: with `DoNotSchedule` the replacements stay Pending for the
/// whole outage (the tainted zone still counts, with 0 pods), while `DoNotSchedule` with
/// `nodeTaintsPolicy: Honor` keeps the service whole, as `ScheduleAnyway` does.
#[test]
fn zone_spread_do_not_schedule_strands_the_replacements() {
    let path = crate::support::root().join("scenarios/zone-outage-topology-spread.yaml");
    let text = std::fs::read_to_string(path).expect("readable");
    let policy = |with: &str| {
        text.lines()
            .map(|l| match l.trim_start() {
                "whenUnsatisfiable: ScheduleAnyway" => {
                    let indent = &l[..l.len() - l.trim_start().len()];
                    with.lines().map(|w| format!("{indent}{w}")).collect::<Vec<_>>().join("\n")
                }
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let strict = run(parse(&policy("whenUnsatisfiable: DoNotSchedule")), None);
    let failed: Vec<String> = strict.check_results().into_iter().filter(|c| !c.passed).map(|c| c.text).collect();
    assert!(failed.contains(&"cluster podsPending == 0".to_string()), "{failed:?}");
    assert!(failed.contains(&"service/default/web readyEndpoints == 6".to_string()), "{failed:?}");
    assert!(!failed.iter().any(|c| c.contains(">= 4")), "the service still keeps 4 endpoints");
    let honor = run(parse(&policy("whenUnsatisfiable: DoNotSchedule\nnodeTaintsPolicy: Honor")), None);
    check_results(&honor);
}
