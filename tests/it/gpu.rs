//! The GPU model (`docs/scenario.md`, "GPUs"): per-device accounting and the GPUShare filter
//! of the default profile, the FGD and GPUPacking policies of `docs/policies.md`, and the
//! shipped `gpu-sharing` scenario.

use kubesim::engine::Simulation;
use kubesim::scheduler::registry::{self, DEFAULT_MULTI_POINT, Support};

use crate::support::{load, parse, root, run};

/// Every device of every node, in the scheduler's view, holds at most its 1000 milli.
fn assert_no_device_over_committed(sim: &Simulation) {
    for info in sim.scheduler().cache() {
        let free = info.gpu_free();
        assert!(free.iter().all(|&f| (0..=1000).contains(&f)), "node {}: devices {free:?}", info.name);
    }
}

/// The node of pod `name`, or "-".
fn node_of(sim: &Simulation, name: &str) -> String {
    let store = sim.store();
    let id = store.pod_id("default", name).unwrap_or_else(|| panic!("pod {name}"));
    store.pod(id).status.node.map_or("-".to_string(), |n| store.node(n).meta.name.clone())
}

/// A bare pod manifest (one line of `manifests:`), with extra spec fields.
fn pod(name: &str, requests: &str, extra: &str) -> String {
    format!(
        "    - inline: {{apiVersion: v1, kind: Pod, metadata: {{name: {name}}}, spec: {{{extra}containers: [{{name: c, resources: {{requests: {{cpu: \"1\", memory: 1Gi, {requests}}}, limits: {{{requests}}}}}}}]}}}}\n"
    )
}

fn share(name: &str, milli: u32, extra: &str) -> String {
    pod(name, &format!("kubesim.io/gpu-milli: \"{milli}\""), extra)
}

fn whole(name: &str, gpus: u32, extra: &str) -> String {
    pod(name, &format!("nvidia.com/gpu: \"{gpus}\""), extra)
}

/// A scenario with `nodes` (YAML list items) and `pods`, scheduled in order one second apart
/// (so that each decision sees the ones before it), with `scheduler` as `spec.scheduler`.
fn scenario(nodes: &str, scheduler: &str, pods: &[String]) -> String {
    let mut manifests = String::new();
    let mut events = String::new();
    for (i, p) in pods.iter().enumerate() {
        if i == 0 {
            manifests.push_str(p);
        } else {
            let inline = p.trim_start().trim_start_matches("- inline: ").trim_end();
            events.push_str(&format!("    - {{at: {i}s, apply: {inline}}}\n"));
        }
    }
    format!(
        "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {{name: gpu}}\nspec:\n  seed: 5\n  until: 1m\n  cluster:\n    nodes:\n{nodes}{scheduler}  manifests:\n{manifests}  events:\n{events}"
    )
}

/// Two-GPU nodes a, b, c.
const THREE_NODES: &str = "      - {name: a, allocatable: {cpu: \"16\", memory: 64Gi, nvidia.com/gpu: \"2\"}}\n      - {name: b, allocatable: {cpu: \"16\", memory: 64Gi, nvidia.com/gpu: \"2\"}}\n      - {name: c, allocatable: {cpu: \"16\", memory: 64Gi, nvidia.com/gpu: \"2\"}}\n";

/// One profile scoring with `plugin` alone, with optional `pluginConfig` lines.
fn policy(plugin: &str, config: &str) -> String {
    format!(
        "  scheduler:\n    profiles:\n      - schedulerName: default-scheduler\n        percentageOfNodesToScore: 100\n        plugins:\n          multiPoint: {{enabled: [{{name: {plugin}, weight: 1}}]}}\n          preScore: {{disabled: [{{name: \"*\"}}]}}\n          score: {{disabled: [{{name: \"*\"}}], enabled: [{{name: {plugin}, weight: 1}}]}}\n{config}"
    )
}

#[test]
fn gpu_sharing_scenario_holds_for_every_seed() {
    let scenario = load(&root().join("scenarios/gpu-sharing.yaml"));
    for seed in 1..=20 {
        let sim = run(scenario.clone(), Some(seed));
        for r in sim.check_results() {
            assert!(r.passed, "seed {seed}: {:?} failed at {} (actual: {})", r.text, r.at, r.actual);
        }
        assert_eq!(node_of(&sim, "train-1-std"), "-", "seed {seed}");
        assert_eq!(node_of(&sim, "train-1-fgd"), "fgd-1", "seed {seed}");
        assert_no_device_over_committed(&sim);
        // The default profile left the 2-GPU pod pending on device fragments.
        let message = sim.store().pod(sim.store().pod_id("default", "train-1-std").unwrap()).status.clone();
        assert!(format!("{message:?}").contains("Insufficient whole free GPUs"), "seed {seed}: {message:?}");
    }
}

#[test]
fn gpu_plugins_are_registered_as_documented() {
    let share = registry::info("GPUShare").expect("registered");
    assert_eq!(share.support, Support::Extension);
    let at = |name: &str| DEFAULT_MULTI_POINT.iter().position(|(n, _)| *n == name);
    assert_eq!(at("GPUShare"), at("NodeResourcesFit").map(|i| i + 1), "right after NodeResourcesFit");
    for name in ["FGD", "GPUPacking"] {
        assert_eq!(registry::info(name).expect("registered").support, Support::Policy, "{name}");
        assert_eq!(at(name), None, "{name} is a policy, not a default plugin");
    }
    assert!(!kubesim::pack::policy_plugins().any(|p| p == "FGD" || p == "GPUPacking"), "no GPUs in .vbp instances");
}

#[test]
fn the_default_profile_checks_single_devices() {
    // One node with 2 GPUs: two 600 shares take one device each; a third fits the aggregate
    // (800 of 2000 milli free) but no device (400 each): it stays pending.
    let nodes = "      - {name: a, allocatable: {cpu: \"16\", memory: 64Gi, nvidia.com/gpu: \"2\"}}\n";
    let text = scenario(nodes, "", &[share("s0", 600, ""), share("s1", 600, ""), share("s2", 600, "")]);
    let sim = run(parse(&text), None);
    assert_eq!([node_of(&sim, "s0"), node_of(&sim, "s1"), node_of(&sim, "s2")], ["a", "a", "-"]);
    assert_no_device_over_committed(&sim);
    // A whole GPU does not fit either (no device entirely free), but a 400 share does.
    let text =
        scenario(nodes, "", &[share("s0", 600, ""), share("s1", 600, ""), whole("w", 1, ""), share("s3", 400, "")]);
    let sim = run(parse(&text), None);
    assert_eq!([node_of(&sim, "w"), node_of(&sim, "s3")], ["-", "a"]);
}

#[test]
fn invalid_gpu_requests_are_unresolvable() {
    let nodes = "      - {name: a, allocatable: {cpu: \"16\", memory: 64Gi, nvidia.com/gpu: \"2\"}}\n";
    let text = scenario(
        nodes,
        "",
        &[share("big", 1000, ""), pod("both", "nvidia.com/gpu: \"1\", kubesim.io/gpu-milli: \"10\"", "")],
    );
    let sim = run(parse(&text), None);
    let status = |name: &str| {
        let store = sim.store();
        format!("{:?}", store.pod(store.pod_id("default", name).unwrap()).status)
    };
    assert_eq!(node_of(&sim, "big"), "-");
    assert!(status("big").contains("must be below 1000"), "{}", status("big"));
    assert!(status("both").contains("not both"), "{}", status("both"));
}

#[test]
fn gpu_models_from_annotation_or_node_selector() {
    let nodes = "      - {name: v100, allocatable: {cpu: \"16\", memory: 64Gi, nvidia.com/gpu: \"1\"}, labels: {nvidia.com/gpu.product: V100M32}}\n      - {name: g3, allocatable: {cpu: \"16\", memory: 64Gi, nvidia.com/gpu: \"1\"}, labels: {nvidia.com/gpu.product: G3}}\n";
    let annotated = "metadata: {name: spec, annotations: {kubesim.io/gpu-spec: \"V100M16|V100M32\"}}, ";
    let annotated_pod = share("spec", 100, "").replace("metadata: {name: spec}, ", annotated);
    let selected = share("sel", 100, "nodeSelector: {nvidia.com/gpu.product: G3}, ");
    let text = scenario(nodes, "", &[annotated_pod, selected]);
    // Over several seeds: without the model checks each pod would land on either node.
    for seed in 1..=8 {
        let sim = run(parse(&text), Some(seed));
        assert_eq!([node_of(&sim, "spec"), node_of(&sim, "sel")], ["v100", "g3"], "seed {seed}");
    }
}

#[test]
fn pods_of_one_spec_share_gpu_verdicts_only_without_a_model_restriction() {
    // GPUShare is node-local for pods that restrict no GPU model: the plain pods' verdicts
    // (both nodes pass) are shared among them, never with a pod of the same spec that names
    // a model, which reads the annotation on every node.
    let nodes = "      - {name: v100, allocatable: {cpu: \"16\", memory: 64Gi, nvidia.com/gpu: \"2\"}, labels: {nvidia.com/gpu.product: V100M32}}\n      - {name: g3, allocatable: {cpu: \"16\", memory: 64Gi, nvidia.com/gpu: \"2\"}, labels: {nvidia.com/gpu.product: G3}}\n";
    let annotated = |name: &str| {
        share(name, 100, "").replace(
            &format!("metadata: {{name: {name}}}, "),
            &format!("metadata: {{name: {name}, annotations: {{kubesim.io/gpu-spec: V100M32}}}}, "),
        )
    };
    let pods = [share("a", 100, ""), share("b", 100, ""), annotated("v1"), share("c", 100, ""), annotated("v2")];
    let text = scenario(nodes, "", &pods);
    let mut plain_nodes = std::collections::BTreeSet::new();
    for seed in 1..=8 {
        let sim = run(parse(&text), Some(seed));
        assert_eq!([node_of(&sim, "v1"), node_of(&sim, "v2")], ["v100", "v100"], "seed {seed}");
        plain_nodes.extend(["a", "b", "c"].map(|p| node_of(&sim, p)));
        assert_no_device_over_committed(&sim);
    }
    // The plain pods are not held to a model (both nodes are used over the seeds).
    assert_eq!(plain_nodes.into_iter().collect::<Vec<_>>(), ["g3", "v100"]);
}

#[test]
fn preemption_frees_the_devices_of_its_victims() {
    // One GPU held by a low-priority 500 share; a high-priority whole GPU preempts it.
    let nodes = "      - {name: a, allocatable: {cpu: \"16\", memory: 64Gi, nvidia.com/gpu: \"1\"}}\n";
    let high = "priorityClassName: system-cluster-critical, ";
    let text = scenario(nodes, "", &[share("low", 500, ""), whole("high", 1, high)]);
    let sim = run(parse(&text), None);
    assert_eq!(node_of(&sim, "high"), "a");
    assert!(sim.store().pod_id("default", "low").is_none(), "the victim is gone");
    assert_no_device_over_committed(&sim);
}

#[test]
fn fgd_follows_a_configured_distribution() {
    // Target: 2-GPU tasks only. A 300 share then a 200 share: the first goes anywhere (every
    // node loses its 2-GPU fit alike, +1700); the second to the same node (its device 0 has
    // 700 free: −200) rather than to an untouched node (+1800). Then two 2-GPU pods fit.
    let config = "        pluginConfig:\n          - {name: FGD, args: {shapes: [{gpus: 2, weight: 1}]}}\n";
    let pods = [share("s0", 300, ""), share("s1", 200, ""), whole("w0", 2, ""), whole("w1", 2, "")];
    for seed in 1..=10 {
        let sim = run(parse(&scenario(THREE_NODES, &policy("FGD", config), &pods)), Some(seed));
        let placed: Vec<String> = ["s0", "s1", "w0", "w1"].iter().map(|p| node_of(&sim, p)).collect();
        assert_eq!(placed[0], placed[1], "seed {seed}: {placed:?}");
        assert!(placed[2] != "-" && placed[3] != "-" && placed[2] != placed[3], "seed {seed}: {placed:?}");
        assert_no_device_over_committed(&sim);
    }
}

#[test]
fn gpu_packing_piles_shares_on_used_devices() {
    // a gets a whole GPU first (pinned). The first share takes a's other, entirely free device:
    // class 1 (a node in use), better than an untouched node (class 2); the next shares join
    // it on that now partly used device (class 0), the tightest fit.
    let pinned = whole("w", 1, "nodeSelector: {kubernetes.io/hostname: a}, ");
    let pods = [pinned, share("s0", 300, ""), share("s1", 300, ""), share("s2", 300, "")];
    for seed in 1..=5 {
        let sim = run(parse(&scenario(THREE_NODES, &policy("GPUPacking", ""), &pods)), Some(seed));
        let placed: Vec<String> = ["s0", "s1", "s2"].iter().map(|p| node_of(&sim, p)).collect();
        assert_eq!(placed, ["a", "a", "a"], "seed {seed}");
        // Devices: the whole GPU on 0, the three shares on device 1 (100 left).
        let a = &sim.scheduler().cache()[0];
        assert_eq!(a.gpu_free(), [0, 100]);
    }
}

#[test]
fn fgd_args_are_checked() {
    let fails = |args: &str, want: &str| {
        let config = format!("        pluginConfig:\n          - {{name: FGD, args: {args}}}\n");
        let text = scenario(THREE_NODES, &policy("FGD", &config), &[share("s", 100, "")]);
        let err = kubesim::scenario::Scenario::parse(&text, "test.yaml", &kubesim::scenario::NoFiles)
            .err()
            .unwrap_or_else(|| panic!("{args} should be rejected"))
            .to_string();
        assert!(err.contains(want), "{args}: {err}");
    };
    fails("{shapes: []}", "at least one shape");
    fails("{shapes: [{gpus: 1, milli: 500, weight: 1}]}", "not both");
    fails("{shapes: [{weight: 1}]}", "needs gpus");
    fails("{shapes: [{milli: 1000, weight: 1}]}", "between 0 and 999");
    fails("{shapes: [{gpus: 1, weight: -2}]}", "positive number");
    fails("{shapes: [{gpus: 1, weight: 0.1234567}]}", "six decimal places");
    fails("{shapes: [{gpus: 1}]}", "weight");
    fails("{shapes: [{gpus: 1, weight: 1}, {gpus: 1, weight: 2}]}", "duplicate shape");
    fails("{shape: []}", "unknown field \"shape\"");
}
