//! The scoring policies of `docs/policies.md` enabled from a scenario's
//! `KubeSchedulerConfiguration`: where pods land, and how their `pluginConfig` args are checked.

use kubesim::scheduler::registry::{self, DEFAULT_MULTI_POINT, Support};

use crate::support::{parse, run};

/// A scenario with three 4-cpu nodes declared c, a, b (so node id order is not name order),
/// one profile scoring with `plugin` alone, and pods `p0`..`p<n>` of 1 cpu created in order.
fn scenario(plugin: &str, args: &str, pods: usize, pre_score: bool) -> String {
    let pre = if pre_score { format!("\n            enabled: [{{name: {plugin}}}]") } else { String::new() };
    let mut manifests = String::new();
    for i in 0..pods {
        manifests.push_str(&format!(
            "    - inline: {{apiVersion: v1, kind: Pod, metadata: {{name: p{i}}}, spec: {{containers: [{{name: c, resources: {{requests: {{cpu: \"1\", memory: 1Gi}}}}}}]}}}}\n"
        ));
    }
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: policy}}
spec:
  seed: 3
  until: 1m
  cluster:
    nodes:
      - {{name: c, allocatable: {{cpu: "4", memory: 16Gi}}}}
      - {{name: a, allocatable: {{cpu: "4", memory: 16Gi}}}}
      - {{name: b, allocatable: {{cpu: "4", memory: 16Gi}}}}
  scheduler:
    profiles:
      - schedulerName: default-scheduler
        percentageOfNodesToScore: 100
        plugins:
          multiPoint:
            enabled: [{{name: {plugin}, weight: 1}}]
          preScore:
            disabled: [{{name: "*"}}]{pre}
          score:
            disabled: [{{name: "*"}}]
            enabled: [{{name: {plugin}, weight: 1}}]
{args}  manifests:
{manifests}"#
    )
}

/// The node name of each pod p0, p1, ... after the run.
fn placements(text: &str) -> Vec<String> {
    let sim = run(parse(text), None);
    let store = sim.store();
    (0..)
        .map_while(|i| store.pod_id("default", &format!("p{i}")))
        .map(|id| store.pod(id).status.node.map_or("-".to_string(), |n| store.node(n).meta.name.clone()))
        .collect()
}

#[test]
fn policies_are_registered_outside_the_default_profile() {
    for name in ["Tetris", "BestFit", "FirstFit", "Random", "RoundRobin"] {
        let info = registry::info(name).expect("registered");
        assert_eq!(info.support, Support::Policy, "{name}");
        assert!(!DEFAULT_MULTI_POINT.iter().any(|(n, _)| *n == name), "{name} is not a default plugin");
    }
}

#[test]
fn first_fit_fills_nodes_in_declared_order() {
    // Node ids follow the declaration c, a, b: four 1-cpu pods fill c, the fifth goes to a.
    assert_eq!(placements(&scenario("FirstFit", "", 5, false)), ["c", "c", "c", "c", "a"]);
}

#[test]
fn round_robin_cycles_in_declared_order() {
    // The first pod has three feasible nodes: RoundRobin favours c (cursor 0), then a, then b.
    assert_eq!(placements(&scenario("RoundRobin", "", 4, true)), ["c", "a", "b", "c"]);
}

#[test]
fn best_fit_and_tetris_disagree_on_a_half_full_node() {
    // After p0 lands somewhere, BestFit keeps filling that node; Tetris (alignment with free
    // capacity) moves to an empty one.
    let best = placements(&scenario("BestFit", "", 4, false));
    assert!(best.iter().all(|n| *n == best[0]), "BestFit packs one node: {best:?}");
    let tetris = placements(&scenario("Tetris", "", 3, false));
    assert!(tetris[0] != tetris[1] && tetris[1] != tetris[2] && tetris[0] != tetris[2], "Tetris spreads: {tetris:?}");
}

#[test]
fn random_is_reproducible_and_seeded_by_its_args() {
    let with_seed = |seed: u64| {
        let args = format!("        pluginConfig:\n          - {{name: Random, args: {{seed: {seed}}}}}\n");
        placements(&scenario("Random", &args, 8, true))
    };
    assert_eq!(with_seed(1), with_seed(1));
    // Different seeds give different placements for at least one of a few seeds (8 pods over
    // 3 nodes: the chance that four seeds all agree is negligible, and the outcome is fixed).
    let first = with_seed(1);
    assert!([2, 3, 4].iter().any(|&s| with_seed(s) != first));
}

#[test]
fn policy_args_are_checked() {
    let fails = |plugin: &str, args: &str, want: &str| {
        let text = scenario(
            plugin,
            &format!("        pluginConfig:\n          - {{name: {plugin}, args: {args}}}\n"),
            1,
            false,
        );
        let err = kubesim::scenario::Scenario::parse(&text, "test.yaml", &kubesim::scenario::NoFiles)
            .err()
            .unwrap_or_else(|| panic!("{plugin} {args} should be rejected"))
            .to_string();
        assert!(err.contains(want), "{plugin} {args}: {err}");
    };
    fails("FirstFit", "{resources: [{name: cpu}]}", "unknown field \"resources\"");
    fails("BestFit", "{resources: []}", "must name at least one resource");
    fails("BestFit", "{resources: [{name: cpus}]}", "did you mean \"cpu\"");
    fails("Tetris", "{seed: 1}", "unknown field \"seed\"");
    fails("Random", "{seed: -1}", "seed");
    fails("BestFit", "{demandExponent: 2}", "unknown field \"demandExponent\"");
    fails("Tetris", "{demandExponent: 65}", "demandExponent");
    fails("Tetris", "{demandExponent: -1}", "demandExponent");
    // Accepted: weights for BestFit, a seed for Random.
    let ok = scenario(
        "BestFit",
        "        pluginConfig:\n          - {name: BestFit, args: {resources: [{name: cpu, weight: 2}, {name: memory}]}}\n",
        2,
        false,
    );
    let best = placements(&ok);
    assert_eq!(best[0], best[1]);
}

/// Tetris with `demandExponent` weighs the resources the waiting pods are short of: node `c`
/// has more memory free, node `a` more cpu; pending pods that all want memory draw the first
/// of them to `c` only when the pending demand counts.
#[test]
fn tetris_demand_exponent_follows_the_pending_demand() {
    let with = |args: &str| {
        format!(
            r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: demand}}
spec:
  until: 1m
  cluster:
    nodes:
      - {{name: c, allocatable: {{cpu: "4", memory: 16Gi}}}}
      - {{name: a, allocatable: {{cpu: "8", memory: 8Gi}}}}
  scheduler:
    profiles:
      - schedulerName: default-scheduler
        percentageOfNodesToScore: 100
        plugins:
          multiPoint:
            enabled: [{{name: Tetris, weight: 1}}]
          score:
            disabled: [{{name: "*"}}]
            enabled: [{{name: Tetris, weight: 1}}]
{args}  manifests:
    - inline: {{apiVersion: v1, kind: Pod, metadata: {{name: p0}}, spec: {{containers: [{{name: c, resources: {{requests: {{cpu: "1", memory: 1Gi}}}}}}]}}}}
    - inline: {{apiVersion: v1, kind: Pod, metadata: {{name: p1}}, spec: {{containers: [{{name: c, resources: {{requests: {{cpu: 100m, memory: 6Gi}}}}}}]}}}}
    - inline: {{apiVersion: v1, kind: Pod, metadata: {{name: p2}}, spec: {{containers: [{{name: c, resources: {{requests: {{cpu: 100m, memory: 6Gi}}}}}}]}}}}
"#
        )
    };
    // p0 (1 cpu, 1Gi): plain Tetris compares (1/4·1 + 1/16·1)/2 = .156 on c with
    // (1/8·1 + 1/8·1)/2 = .125 on a, and picks c. With the pending demand (all three pods
    // are queued when p0 is scheduled: 1.2 cpu of 12 = .1, 13Gi of 24Gi = .54) and exponent 8,
    // memory weighs 1 and cpu (.1/.54)^8 ≈ 0: c scores 1/16 = .0625, a 1/8 = .125, and p0 goes to
    // a, leaving c's memory to the memory-hungry pods.
    let plain = placements(&with(""));
    assert_eq!(plain[0], "c");
    let weighted = placements(&with(
        "        pluginConfig:
          - {name: Tetris, args: {demandExponent: 8}}
",
    ));
    assert_eq!(weighted[0], "a");
    assert!(weighted.iter().all(|n| n != "-"), "all placed: {weighted:?}");
}

/// The scheduler's pending demand (`CycleContext::pending`, Tetris's input) is the sum of the
/// requests of the queued pods: it grows as pods are created, and shrinks as they are deleted
/// or bound, each pod counted once.
#[test]
fn pending_demand_follows_the_queue() {
    use std::sync::Arc;

    use kubesim::api::meta::ObjectMeta;
    use kubesim::api::pod::{Container, Pod, PodSpec, PodStatus};
    use kubesim::api::resources::ResourceName;
    use kubesim::journal::Journal;
    use kubesim::kernel::{SimTime, Streams};
    use kubesim::manifest::{NodeFields, build_node};
    use kubesim::scheduler::Scheduler;
    use kubesim::scheduler::config::SchedulerConfig;
    use kubesim::store::Store;

    let now = SimTime::ZERO;
    let mut store = Store::new(Journal::new(false));
    store.create_namespace(now, "default");
    let mut scheduler =
        Scheduler::new(&SchedulerConfig::default(), Streams::new(1).stream("scheduler.tiebreak"), false);
    let mut changes = Vec::new();
    let mut deliver = |store: &mut Store, scheduler: &mut Scheduler| {
        store.drain_changes(&mut changes);
        for c in changes.drain(..) {
            scheduler.on_change(store, c, now);
        }
    };
    let pod = |name: &str, cpu: &str| {
        let mut container = Container::default();
        container.requests.insert(ResourceName::Cpu, cpu.parse().unwrap());
        let mut spec = PodSpec { containers: vec![container], ..PodSpec::default() };
        spec.scheduler_name = "default-scheduler".into();
        spec.finalize();
        let meta = ObjectMeta { name: name.into(), namespace: "default".into(), ..ObjectMeta::default() };
        Pod { meta, spec: Arc::new(spec), sim: Arc::default(), status: PodStatus::default() }
    };
    let a = store.create_pod(now, pod("a", "1"), None);
    store.create_pod(now, pod("b", "250m"), None);
    deliver(&mut store, &mut scheduler);
    assert_eq!(scheduler.pending_demand().milli_cpu, 1250);
    // No node: the attempt fails and the pod stays pending (counted once, not twice).
    scheduler.schedule_one(&mut store, now);
    deliver(&mut store, &mut scheduler);
    assert_eq!(scheduler.pending_demand().milli_cpu, 1250);
    store.remove_pod(now, a);
    deliver(&mut store, &mut scheduler);
    assert_eq!(scheduler.pending_demand().milli_cpu, 250);
    let mut fields = NodeFields::default();
    fields.allocatable.insert(ResourceName::Cpu, "4".parse().unwrap());
    fields.allocatable.insert(ResourceName::Pods, "10".parse().unwrap());
    fields.capacity = fields.allocatable.clone();
    let meta = ObjectMeta { name: "n".into(), ..ObjectMeta::default() };
    store.add_node(now, build_node(meta, fields));
    deliver(&mut store, &mut scheduler);
    while scheduler.has_work() {
        scheduler.schedule_one(&mut store, now);
        deliver(&mut store, &mut scheduler);
    }
    assert_eq!(scheduler.pending_demand().milli_cpu, 0, "b was bound");
}
