//! Priority and preemption (scheduler reference §15, §16) and PodDisruptionBudgets
//! (controllers reference §12), on hand-built clusters where the right answer is unambiguous:
//! which pods are the victims, which node is chosen, when the preemptor is bound.

use std::collections::BTreeSet;
use std::sync::Arc;

use kubesim::engine::{RunOptions, Simulation};
use kubesim::journal::Record;
use kubesim::kernel::SimTime;
use kubesim::scenario::Scenario;

use crate::support::{load, parse, passes, root, run};

/// A scenario of one or more nodes (`nodes` is the YAML list), PriorityClasses `p50`, `p100`,
/// `p150`, `p200`, `p300` and `high` (1000), the given manifests, events and checks.
fn scenario(seed: u64, until: &str, nodes: &str, manifests: &str, events: &str, checks: &str) -> String {
    let mut classes = String::new();
    for (name, value) in [("p50", 50), ("p100", 100), ("p150", 150), ("p200", 200), ("p300", 300), ("high", 1000)] {
        classes.push_str(&format!(
            "    - inline: {{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {{name: {name}}}, value: {value}}}\n"
        ));
    }
    format!(
        "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {{name: preemption-test}}\nspec:\n  seed: {seed}\n  until: {until}\n  cluster:\n    nodes:\n{nodes}  manifests:\n{classes}{manifests}  events:\n{events}  checks:\n{checks}"
    )
}

/// A bare pod manifest entry: `name`, cpu request, class, optional extra spec lines.
fn pod(name: &str, cpu: &str, class: &str, extra: &str) -> String {
    let class = if class.is_empty() { String::new() } else { format!(", priorityClassName: {class}") };
    format!(
        "    - inline: {{apiVersion: v1, kind: Pod, metadata: {{name: {name}, labels: {{app: {name}}}, annotations: {{sim.kubesim.io/shutdown: 20s}}}}, spec: {{containers: [{{name: c, image: i, resources: {{requests: {{cpu: \"{cpu}\"}}}}}}]{class}{extra}}}}}\n"
    )
}

/// The same pod as an `apply` event at `at`.
fn apply_pod(at: &str, name: &str, cpu: &str, class: &str, extra: &str) -> String {
    let entry = pod(name, cpu, class, extra);
    format!("    - {{at: {at}, apply: {}}}\n", entry.trim().trim_start_matches("- inline: "))
}

fn node(name: &str, cpu: &str) -> String {
    format!("      - {{name: {name}, allocatable: {{cpu: \"{cpu}\", memory: 8Gi, pods: \"110\"}}}}\n")
}

fn check(at: &str, expect: &str) -> String {
    format!("    - {{at: {at}, expect: \"{expect}\"}}\n")
}

/// The pods deleted by preemption, by `namespace/name`.
fn victims(sim: &Simulation) -> BTreeSet<String> {
    sim.journal()
        .records()
        .iter()
        .filter_map(|(_, r)| match r {
            Record::PodDeleting { pod, reason: "PreemptionByScheduler" } => Some(pod.clone()),
            _ => None,
        })
        .collect()
}

fn first_time(sim: &Simulation, pred: impl Fn(&Record) -> bool) -> Option<SimTime> {
    sim.journal().records().iter().find(|(_, r)| pred(r)).map(|(t, _)| *t)
}

fn secs(s: u64) -> SimTime {
    SimTime::from_micros(s * 1_000_000)
}

#[test]
fn the_minimal_set_of_victims_is_evicted_and_the_preemptor_waits_for_them() {
    // One 4-CPU node, full: a (1 CPU, priority 100), b (1, 200), c (2, 150). A pod of
    // priority 1000 needing 2 CPU. Reprieve order b, c, a: b stays (1 + 2 ≤ 4), c cannot
    // (1 + 2 + 2 > 4), a stays (1 + 1 + 2 = 4). Exactly c is evicted.
    let manifests = [pod("a", "1", "p100", ""), pod("b", "1", "p200", ""), pod("c", "2", "p150", "")].concat();
    let events = apply_pod("1m", "high", "2", "high", "");
    let checks = [
        check("1m", "pod/default/high nominatedNode == n1"),
        check("1m", "pod/default/high phase == Pending"),
        check("1m", "pod/default/c preempted == True"),
        check("1m", "pod/default/c terminating == True"),
        check("1m19s", "pod/default/high phase == Pending"),
        check("1m20s", "pod/default/high node == n1"),
        check("2m", "pod/default/a phase == Running"),
        check("2m", "pod/default/b phase == Running"),
        check("2m", "pod/default/c exists == False"),
        check("2m", "cluster preemptions == 1"),
        check("2m", "cluster podsPreempted == 1"),
    ]
    .concat();
    let sim = passes(&scenario(1, "2m", &node("n1", "4"), &manifests, &events, &checks));
    assert_eq!(victims(&sim), BTreeSet::from(["default/c".to_string()]));
    // The preemptor is bound the instant its victim is gone (20 s of graceful shutdown).
    let removed = first_time(&sim, |r| matches!(r, Record::PodRemoved { pod } if pod == "default/c")).unwrap();
    let bound = first_time(&sim, |r| matches!(r, Record::PodBound { pod, .. } if pod == "default/high")).unwrap();
    assert_eq!(removed, secs(80));
    assert_eq!(bound, removed);
}

#[test]
fn several_victims_when_one_is_not_enough() {
    // 4 CPU: f (2 CPU, 300), d (1, 100), e (1, 50). The pod needs 3 CPU: f must go (2 + 3 > 4),
    // then d is given back (1 + 3 = 4) and e, the least important, goes.
    let manifests = [pod("f", "2", "p300", ""), pod("d", "1", "p100", ""), pod("e", "1", "p50", "")].concat();
    let events = apply_pod("1m", "high", "3", "high", "");
    let checks = [check("1m", "cluster podsPreempted == 2"), check("2m", "pod/default/high node == n1")].concat();
    let sim = passes(&scenario(1, "2m", &node("n1", "4"), &manifests, &events, &checks));
    assert_eq!(victims(&sim), BTreeSet::from(["default/e".to_string(), "default/f".to_string()]));
}

#[test]
fn a_pod_disruption_budget_decides_between_two_nodes() {
    // Two equal nodes, each filled by one pod of the same priority; a budget protects one of
    // them (minAvailable 1 of 1: no disruption allowed). The other node is chosen, whatever
    // the seed (the dry run starts at a random node).
    for protected in ["db", "web"] {
        let (victim, chosen) = if protected == "db" { ("web", "n2") } else { ("db", "n1") };
        for seed in 1..=6 {
            let manifests = [
                pod("db", "2", "p100", ", nodeName: n1"),
                pod("web", "2", "p100", ", nodeName: n2"),
                format!(
                    "    - inline: {{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {{name: guard}}, spec: {{minAvailable: 1, selector: {{matchLabels: {{app: {protected}}}}}}}}}\n"
                ),
            ]
            .concat();
            let events = apply_pod("1m", "high", "2", "high", "");
            let checks = [
                check("59s", "pdb/default/guard disruptionsAllowed == 0"),
                check("59s", "pdb/default/guard currentHealthy == 1"),
                check("1m", &format!("pod/default/high nominatedNode == {chosen}")),
                check("1m", &format!("pod/default/{protected} terminating == False")),
                check("2m", &format!("pod/default/high node == {chosen}")),
            ]
            .concat();
            let nodes = [node("n1", "2"), node("n2", "2")].concat();
            let sim = passes(&scenario(seed, "2m", &nodes, &manifests, &events, &checks));
            assert_eq!(victims(&sim), BTreeSet::from([format!("default/{victim}")]), "seed {seed}");
        }
    }
}

#[test]
fn preemption_policy_never_waits_for_room() {
    let manifests = [
        "    - inline: {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: polite}, value: 1000, preemptionPolicy: Never}\n".to_string(),
        pod("low", "1", "p100", ""),
    ]
    .concat();
    let events =
        [apply_pod("1m", "waiter", "1", "polite", ""), "    - {at: 3m, delete: pod/default/low}\n".into()].concat();
    let checks = [
        check("2m", "pod/default/waiter phase == Pending"),
        check("2m", "pod/default/low terminating == False"),
        check("2m", "cluster preemptions == 0"),
        check("4m", "pod/default/waiter phase == Running"),
    ]
    .concat();
    let sim = passes(&scenario(1, "4m", &node("n1", "1"), &manifests, &events, &checks));
    let message = sim
        .journal()
        .records()
        .iter()
        .find_map(|(_, r)| match r {
            Record::PodUnschedulable { pod, message } if pod == "default/waiter" => Some(message.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        message,
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.."
    );
}

#[test]
fn a_pod_too_big_for_an_empty_node_does_not_preempt() {
    // 4 CPU requested on a 2-CPU node: NodeResourcesFit says UnschedulableAndUnresolvable
    // (v1.34), so the node is no candidate; a tainted node is none either.
    let nodes = [
        node("n1", "2"),
        "      - {name: n2, allocatable: {cpu: \"8\", memory: 8Gi}, taints: [{key: dedicated, value: gpu, effect: NoSchedule}]}\n".into(),
    ]
    .concat();
    let manifests = pod("low", "1", "p100", ", nodeName: n1");
    let events = apply_pod("1m", "huge", "4", "high", "");
    let checks = [
        check("2m", "pod/default/huge phase == Pending"),
        check("2m", "pod/default/low terminating == False"),
        check("2m", "cluster preemptions == 0"),
    ]
    .concat();
    let sim = passes(&scenario(1, "2m", &nodes, &manifests, &events, &checks));
    assert!(victims(&sim).is_empty());
    let message = sim
        .store()
        .pod(sim.store().pod_id("default", "huge").unwrap())
        .status
        .unschedulable_reason()
        .map(str::to_string);
    assert_eq!(
        message.as_deref(),
        Some(
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.."
        )
    );
}

#[test]
fn a_nominated_pod_holds_the_room_its_victims_leave() {
    // `big` (3 CPU) is preempted by `high` (3 CPU) and takes 20 s to exit. Meanwhile `filler`
    // (1 CPU, priority 50) arrives: the node has 1 CPU free, but the nominated `high` counts
    // as already there, so `filler` waits; it is bound only after `high`.
    let manifests = pod("big", "3", "p100", "");
    let events = [apply_pod("1m", "high", "3", "high", ""), apply_pod("1m5s", "filler", "1", "p50", "")].concat();
    let checks = [
        check("1m10s", "pod/default/filler phase == Pending"),
        check("1m10s", "pod/default/high nominatedNode == n1"),
        check("2m", "pod/default/high node == n1"),
        check("2m", "pod/default/filler node == n1"),
    ]
    .concat();
    let sim = passes(&scenario(1, "2m", &node("n1", "4"), &manifests, &events, &checks));
    let bound = |name: &str| {
        first_time(&sim, |r| matches!(r, Record::PodBound { pod, .. } if pod == &format!("default/{name}"))).unwrap()
    };
    assert!(bound("high") <= bound("filler"));
    assert_eq!(victims(&sim), BTreeSet::from(["default/big".to_string()]));
}

#[test]
fn the_global_default_class_and_the_admission_rules() {
    let manifests = [
        "    - inline: {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: fallback}, value: 42, globalDefault: true}\n".to_string(),
        pod("plain", "100m", "", ""),
        pod("agrees", "100m", "", ", priority: 42"),
        pod("disagrees", "100m", "", ", priority: 7"),
        pod("named", "100m", "p200", ", priority: 200"),
        pod("mismatch", "100m", "high", ", preemptionPolicy: Never"),
        pod("ghost", "100m", "missing", ""),
        pod("critical", "100m", "system-node-critical", ""),
    ]
    .concat();
    let checks = [
        check("1m", "pod/default/plain priority == 42"),
        check("1m", "pod/default/agrees priority == 42"),
        check("1m", "pod/default/named priority == 200"),
        check("1m", "pod/default/critical priority == 2000001000"),
        check("1m", "pod/default/disagrees exists == False"),
        check("1m", "pod/default/mismatch exists == False"),
        check("1m", "pod/default/ghost exists == False"),
        check("1m", "priorityclass/fallback globalDefault == True"),
        check("1m", "priorityclass/system-cluster-critical value == 2000000000"),
    ]
    .concat();
    let sim = passes(&scenario(1, "1m", &node("n1", "4"), &manifests, "    []\n", &checks));
    let store = sim.store();
    let plain = store.pod(store.pod_id("default", "plain").unwrap());
    assert_eq!(plain.spec.priority_class_name, "fallback", "admission writes the default class's name");
    let failures: Vec<(String, String)> = sim
        .journal()
        .records()
        .iter()
        .filter_map(|(_, r)| match r {
            Record::ActionFailed { action, message } => Some((action.clone(), message.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        failures,
        [
            (
                "manifest Pod default/disagrees".to_string(),
                "pods \"disagrees\" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 42 from the given PriorityClass name".to_string()
            ),
            (
                "manifest Pod default/mismatch".to_string(),
                "pods \"mismatch\" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name".to_string()
            ),
            (
                "manifest Pod default/ghost".to_string(),
                "pods \"ghost\" is forbidden: no PriorityClass with name missing was found".to_string()
            ),
        ]
    );
}

#[test]
fn a_deployment_naming_an_unknown_class_gets_pods_once_the_class_exists() {
    let manifests = "    - inline:\n        apiVersion: apps/v1\n        kind: Deployment\n        metadata: {name: web}\n        spec:\n          replicas: 2\n          selector: {matchLabels: {app: web}}\n          template:\n            metadata: {labels: {app: web}}\n            spec:\n              priorityClassName: later\n              containers: [{name: c, image: i, resources: {requests: {cpu: 100m}}}]\n";
    let events = "    - {at: 1m, apply: {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: later}, value: 7}}\n";
    let checks = [
        check("59s", "deployment/default/web replicas == 0"),
        check("1m", "priorityclass/later value == 7"),
        check("20m", "deployment/default/web readyReplicas == 2"),
    ]
    .concat();
    let sim = passes(&scenario(1, "20m", &node("n1", "4"), manifests, events, &checks));
    let refusals: Vec<SimTime> = sim
        .journal()
        .records()
        .iter()
        .filter(|(_, r)| matches!(r, Record::ActionFailed { message, .. } if message.contains("no PriorityClass with name later was found")))
        .map(|(t, _)| *t)
        .collect();
    // One refused creation per sync, retried with the work queue's backoff (5 ms doubling),
    // until the class exists.
    assert!(refusals.len() >= 10, "{refusals:?}");
    assert!(refusals.iter().all(|&t| t < secs(60)), "{refusals:?}");
    let gaps: Vec<u64> = refusals.windows(2).map(|w| w[1].as_micros() - w[0].as_micros()).collect();
    assert!(gaps.iter().rev().take(3).all(|&g| g > 1_000_000), "backing off: {refusals:?}");
    let store = sim.store();
    let web = store.live_pods().filter(|&p| store.pod(p).meta.name.starts_with("web-")).count();
    assert_eq!(web, 2, "no pod was created while the class was missing, none too many after");
}

#[test]
fn pdb_status_follows_the_disruption_controller() {
    let deployment = "    - inline:\n        apiVersion: apps/v1\n        kind: Deployment\n        metadata: {name: web}\n        spec:\n          replicas: 4\n          selector: {matchLabels: {app: web}}\n          template:\n            metadata: {labels: {app: web}}\n            spec:\n              containers: [{name: c, image: i, resources: {requests: {cpu: 100m}}}]\n";
    let pdb = |name: &str, spec: &str| {
        format!(
            "    - inline: {{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {{name: {name}}}, spec: {{{spec}, selector: {{matchLabels: {{app: web}}}}}}}}\n"
        )
    };
    let manifests = [
        deployment.to_string(),
        pdb("max-one", "maxUnavailable: 1"),
        pdb("half", "minAvailable: \"50%\""),
        pdb("five", "minAvailable: 5"),
        pdb("thirty", "maxUnavailable: \"30%\""),
        pod("stray", "100m", "", ", nodeName: n1").replace("app: stray", "app: web"),
    ]
    .concat();
    let events = "    - {at: 2m, scale: {target: deployment/default/web, replicas: 6}}\n";
    let mut checks = String::new();
    // (pdb, expectedPods, desiredHealthy, disruptionsAllowed) at 1m, with 4 replicas and a
    // stray unmanaged pod of the same labels (5 Ready pods).
    for (name, expected, desired, allowed) in
        [("max-one", 4, 3, 2), ("half", 4, 2, 3), ("five", 5, 5, 0), ("thirty", 4, 2, 3)]
    {
        checks.push_str(&check("1m", &format!("pdb/default/{name} expectedPods == {expected}")));
        checks.push_str(&check("1m", &format!("pdb/default/{name} desiredHealthy == {desired}")));
        checks.push_str(&check("1m", &format!("pdb/default/{name} currentHealthy == 5")));
        checks.push_str(&check("1m", &format!("pdb/default/{name} disruptionsAllowed == {allowed}")));
    }
    checks.push_str(&check("1m", "pdb/default/five DisruptionAllowed == False"));
    checks.push_str(&check("1m", "pdb/default/max-one DisruptionAllowed == True"));
    // The Deployment's scale is the expected count for maxUnavailable and percentages.
    checks.push_str(&check("3m", "pdb/default/max-one expectedPods == 6"));
    checks.push_str(&check("3m", "pdb/default/max-one disruptionsAllowed == 2"));
    checks.push_str(&check("3m", "pdb/default/five expectedPods == 7"));
    passes(&scenario(1, "3m", &node("n1", "4"), &manifests, events, &checks));
}

#[test]
fn decisions_record_the_preemption() {
    let manifests = [pod("a", "1", "p100", ""), pod("c", "2", "p150", ""), pod("b", "1", "p200", "")].concat();
    let events = apply_pod("1m", "high", "2", "high", "");
    let text = scenario(1, "2m", &node("n1", "4"), &manifests, &events, "    []\n");
    let options = RunOptions { trace_decisions: true, check_invariants: true, ..RunOptions::default() };
    let mut sim = Simulation::new(Arc::new(parse(&text)), None, None, options);
    sim.run().unwrap();
    let lines: Vec<serde_json::Value> = sim.take_decisions().iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let first = lines.iter().find(|d| d["pod"] == "default/high").unwrap();
    assert_eq!(first["result"], "unschedulable");
    assert_eq!(first["message"], "0/1 nodes are available: 1 Insufficient cpu.");
    assert_eq!(first["preemption"]["nominated_node"], "n1");
    assert_eq!(first["preemption"]["victims"], serde_json::json!(["default/c"]));
    let last = lines.iter().rev().find(|d| d["pod"] == "default/high").unwrap();
    assert_eq!(last["result"], "bound");
    assert_eq!(last["node"], "n1");
    assert!(last.get("preemption").is_none(), "no PostFilter when a node fits");
}

#[test]
fn the_preemption_scenario_passes_for_every_seed() {
    let scenario: Scenario = load(&root().join("scenarios/preemption.yaml"));
    for seed in 1..=20 {
        let sim = run(scenario.clone(), Some(seed));
        for r in sim.check_results() {
            assert!(r.passed, "seed {seed}: {:?} failed at {} (actual: {})", r.text, r.at, r.actual);
        }
    }
}

#[test]
fn new_kinds_are_validated_when_loaded() {
    let base = |object: &str| {
        format!(
            "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {{name: t}}\nspec:\n  cluster:\n    nodes: [{{name: n1, allocatable: {{cpu: \"1\"}}}}]\n  manifests:\n    - inline: {object}\n"
        )
    };
    for (object, says) in [
        (
            "{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: x}, value: 1000000001}",
            "maximum allowed value of a user defined priority is 1000000000",
        ),
        (
            "{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: system-mine}, value: 1}",
            "reserved for system use only",
        ),
        (
            "{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: x}}",
            "missing required field \"value\"",
        ),
        (
            "{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: x}, value: 1, preemptionPolicy: Nevr}",
            "did you mean \"Never\"",
        ),
        (
            "{apiVersion: scheduling.k8s.io/v1beta1, kind: PriorityClass, metadata: {name: x}, value: 1}",
            "scheduling.k8s.io/v1",
        ),
        (
            "{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: x}, spec: {minAvailable: 1, maxUnavailable: 1}}",
            "minAvailable and maxUnavailable cannot be both set",
        ),
        (
            "{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: x}, spec: {minAvailable: \"150%\"}}",
            "must not be greater than 100%",
        ),
        (
            "{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: x}, spec: {minAvailable: \"2\"}}",
            "a valid percent string must be a numeric string followed by an ending '%'",
        ),
        (
            "{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: x}, spec: {maxUnavailable: -1}}",
            "must be greater than or equal to 0",
        ),
    ] {
        let err = Scenario::parse(&base(object), "t.yaml", &kubesim::scenario::NoFiles).unwrap_err().to_string();
        assert!(err.contains(says), "{object}: {err}");
    }
    // A duplicate global default is refused when it is created (at run time, by admission).
    let two_defaults = base(
        "{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: a}, value: 1, globalDefault: true}\n    - inline: {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: b}, value: 2, globalDefault: true}",
    );
    let sim = run(parse(&two_defaults), None);
    assert!(sim.store().priority_class("b").is_none());
    assert!(sim.journal().records().iter().any(|(_, r)| matches!(r, Record::ActionFailed { message, .. }
        if message.ends_with("PriorityClass a is already marked as default. Only one default can exist"))));
}

#[test]
fn default_preemption_args_and_disabling_the_plugin() {
    let with_scheduler = |scheduler: &str| {
        let text = scenario(
            1,
            "2m",
            &node("n1", "1"),
            &pod("low", "1", "p100", ""),
            &apply_pod("1m", "high", "1", "high", ""),
            "    []\n",
        );
        text.replace("  manifests:\n", &format!("  scheduler:\n{scheduler}  manifests:\n"))
    };
    let args = |pct: &str, abs: &str| {
        format!(
            "    profiles:\n      - pluginConfig:\n          - name: DefaultPreemption\n            args: {{minCandidateNodesPercentage: {pct}, minCandidateNodesAbsolute: {abs}}}\n"
        )
    };
    let err = Scenario::parse(&with_scheduler(&args("0", "0")), "t.yaml", &kubesim::scenario::NoFiles)
        .unwrap_err()
        .to_string();
    assert!(err.contains("minCandidateNodesPercentage and minCandidateNodesAbsolute cannot be both zero"), "{err}");
    let err = Scenario::parse(&with_scheduler(&args("101", "1")), "t.yaml", &kubesim::scenario::NoFiles)
        .unwrap_err()
        .to_string();
    assert!(err.contains("must be between 0 and 100"), "{err}");
    // Valid args: it preempts as before.
    let sim = run(parse(&with_scheduler(&args("50", "1"))), None);
    assert_eq!(victims(&sim), BTreeSet::from(["default/low".to_string()]));
    // Without the PostFilter plugin nobody is preempted and the FitError has no suffix.
    let disabled = "    profiles:\n      - plugins:\n          postFilter: {disabled: [{name: DefaultPreemption}]}\n";
    let sim = run(parse(&with_scheduler(disabled)), None);
    assert!(victims(&sim).is_empty());
    let store = sim.store();
    let high = store.pod(store.pod_id("default", "high").unwrap());
    assert_eq!(high.status.unschedulable_reason(), Some("0/1 nodes are available: 1 Insufficient cpu."));
    assert_eq!(high.spec.priority, 1000);
}

#[test]
fn a_pdb_whose_pods_lost_their_controller_fails_safe() {
    // With maxUnavailable the expected count is the controllers' scale; once the Deployment
    // and its ReplicaSet are deleted, the terminating pods point at a controller that no
    // longer exists: the sync fails and no disruption is allowed (`failSafe`).
    let manifests = "    - inline:\n        apiVersion: apps/v1\n        kind: Deployment\n        metadata: {name: web}\n        spec:\n          replicas: 2\n          selector: {matchLabels: {app: web}}\n          template:\n            metadata: {labels: {app: web}, annotations: {sim.kubesim.io/shutdown: 20s}}\n            spec:\n              containers: [{name: c, image: i, resources: {requests: {cpu: 100m}}}]\n    - inline: {apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: web}, spec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}}\n";
    let events = "    - {at: 1m, delete: deployment/default/web}\n";
    let checks = [
        check("59s", "pdb/default/web disruptionsAllowed == 1"),
        check("59s", "pdb/default/web DisruptionAllowed == True"),
        check("1m10s", "pdb/default/web disruptionsAllowed == 0"),
        check("1m10s", "pdb/default/web DisruptionAllowed == False"),
        check("1m10s", "pdb/default/web expectedPods == 2"),
        check("2m", "pdb/default/web expectedPods == 0"),
    ]
    .concat();
    let sim = passes(&scenario(1, "2m", &node("n1", "4"), manifests, events, &checks));
    let pdb = sim.store().pdb(sim.store().pdb_id("default", "web").unwrap()).unwrap();
    assert_eq!(pdb.status.reason, "InsufficientPods");
}
