//! `spec.workload` and `spec.cluster.trace` (`docs/traces.md`): the openb and generic CSV
//! formats (fixtures under `tests/data/traces/`, and the real openb files when
//! `../shared/data/` has them), located errors for malformed rows, the generated arrival
//! processes' statistics, determinism and common random numbers, and `kubesim import`.

use std::path::PathBuf;
use std::sync::Arc;

use kubesim::engine::{RunOptions, Simulation};
use kubesim::kernel::{SimDuration, SimTime, Streams};
use kubesim::scenario::{Scenario, SourceLoader};
use kubesim::workload::generate::{ArrivalProcess, Arrivals};
use kubesim::workload::{GpuAsk, Source};

use crate::support::{kubesim, load, root, run, temp_dir};

fn fixture(name: &str) -> PathBuf {
    root().join("tests/data/traces").join(name)
}

/// The real openb files, or `None` (with a message) when `../shared/data/` lacks them.
fn openb_files() -> Option<(PathBuf, PathBuf)> {
    let dir = root().join("../shared/data/openb");
    let nodes = dir.join("openb_node_list_all_node.csv");
    let pods = dir.join("openb_pod_list_default.csv");
    if nodes.is_file() && pods.is_file() {
        Some((nodes, pods))
    } else {
        eprintln!("skipped: the openb trace is not in {} (see ../shared/data/README.md)", dir.display());
        None
    }
}

/// A loader of in-memory files (for malformed traces) that falls back to nothing.
struct Files(Vec<(&'static str, String)>);

impl SourceLoader for Files {
    fn load(&self, _relative_to: &str, path: &str) -> Result<(String, String), String> {
        self.0.iter().find(|(n, _)| *n == path).map(|(n, t)| (n.to_string(), t.clone())).ok_or(format!("no {path}"))
    }
}

fn scenario_with(spec: &str, files: Vec<(&'static str, String)>) -> Result<Scenario, String> {
    let text = format!("apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {{name: t}}\nspec:\n{spec}");
    Scenario::parse(&text, "s.yaml", &Files(files)).map_err(|e| e.to_string())
}

const POOL: &str = "  cluster:\n    nodePools: [{name: node, count: 2, allocatable: {cpu: \"4\", memory: 8Gi}}]\n";

#[test]
fn the_openb_slice_places_shares_and_whole_gpus() {
    let scenario = load(&fixture("openb-slice.yaml"));
    assert_eq!(scenario.nodes.len(), 3);
    let t4 = &scenario.nodes[1];
    assert_eq!(t4.meta.labels.get("nvidia.com/gpu.product").map(String::as_str), Some("T4"));
    let sim = run(scenario, None);
    for r in sim.check_results() {
        assert!(r.passed, "{:?} failed at {} (actual: {})", r.text, r.at, r.actual);
    }
    let store = sim.store();
    let pod = store.pod(store.pod_id("default", "openb-pod-0000").unwrap());
    assert_eq!(pod.meta.annotations.get("kubesim.io/gpu-spec").map(String::as_str), Some("T4"));
    assert_eq!(pod.spec.containers[0].requests.len(), 3, "cpu, memory and kubesim.io/gpu-milli");
    assert_eq!(pod.meta.creation_timestamp, SimTime::ZERO);
    let whole = store.pod(store.pod_id("default", "openb-pod-0001").unwrap());
    assert_eq!(whole.meta.creation_timestamp, SimTime::ZERO + SimDuration::from_secs(10));
}

#[test]
fn the_generic_csv_makes_pods_jobs_and_priority_classes() {
    let scenario = load(&fixture("generic.yaml"));
    let classes: Vec<String> = scenario.manifests.iter().map(|m| m.object.describe()).collect();
    assert!(classes.iter().any(|c| c.contains("trace-priority-100")), "{classes:?}");
    assert!(classes.iter().any(|c| c.contains("trace-priority-minus-5")), "{classes:?}");
    let sim = run(scenario, None);
    for r in sim.check_results() {
        assert!(r.passed, "{:?} failed at {} (actual: {})", r.text, r.at, r.actual);
    }
}

#[test]
fn the_peer_workload_loads_as_is() {
    let path = root().join("../shared/data/peer-workload/pods_1000.csv");
    if !path.is_file() {
        eprintln!("skipped: {} is absent", path.display());
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let spec = format!(
        "  until: 2h\n{POOL}  workload:\n    - {{name: peer, kind: Job, trace: {{format: csv, file: p.csv}}}}\n"
    );
    let scenario = scenario_with(&spec, vec![("p.csv", text)]).unwrap();
    let Source::Trace { pods, .. } = &scenario.workloads[0].source else { panic!("a trace") };
    assert_eq!(pods.len(), 1000);
    assert!(pods.windows(2).all(|w| w[0].arrival <= w[1].arrival));
}

#[test]
fn malformed_traces_are_located_errors() {
    let nodes = "sn,cpu_milli,memory_mib,gpu,model\nn-0,1000,1024,1,T4\n";
    let pods_head = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,creation_time,deletion_time\n";
    let openb = |pods: &str| {
        let spec = "  cluster:\n    trace: {format: openb, file: n.csv}\n  workload:\n    - {name: o, trace: {format: openb, file: p.csv}}\n";
        scenario_with(spec, vec![("n.csv", nodes.to_string()), ("p.csv", format!("{pods_head}{pods}"))])
    };
    assert!(openb("a,1,1,1,500,0,10\n").is_ok());
    let cases: [(&str, &str); 5] = [
        (
            "a,1,1,1,500,0,10\nb,1,1,x,0,0,1\n",
            "p.csv:3:7: Scenario t: spec.workload[0].trace: num_gpu \"x\" is not a whole number",
        ),
        ("a,1,1,3,500,0,10\n", "p.csv:2:9: Scenario t: spec.workload[0].trace: gpu_milli 500 with num_gpu 3"),
        (
            "a,1,1,1,500,9,3\n",
            "p.csv:2:15: Scenario t: spec.workload[0].trace: deletion_time 3 is before creation_time 9",
        ),
        ("a,1,1,1,500,0\n", "p.csv:2:14: Scenario t: spec.workload[0].trace: expected 7 columns, found 6"),
        ("a,1,1,1,500,0,10\na,1,1,1,500,0,10\n", "p.csv:3:1: Scenario t: spec.workload[0].trace: duplicate name \"a\""),
    ];
    for (rows, want) in cases {
        let e = openb(rows).unwrap_err();
        assert!(e.starts_with(want), "{rows:?}:\n{e}\nwant {want}");
        assert!(e.contains("\n  hint: "), "{e}");
    }
    // A bad node list, an unknown format, a missing file, a header typo.
    let spec = "  cluster:\n    trace: {format: openb, file: n.csv}\n";
    let e = scenario_with(spec, vec![("n.csv", "sn,cpu_milli,memory_mib\nn-0,1,-2\n".into())]).unwrap_err();
    assert!(e.starts_with("n.csv:2:7: "), "{e}");
    let e = scenario_with("  cluster:\n    trace: {format: opnb, file: n.csv}\n", vec![]).unwrap_err();
    assert!(e.contains("unknown trace format \"opnb\" (did you mean \"openb\"?)"), "{e}");
    let e = scenario_with("  cluster:\n    trace: {format: openb, file: gone.csv}\n", vec![]).unwrap_err();
    assert!(e.starts_with("s.yaml:6:"), "{e}");
    let spec = format!("{POOL}  workload:\n    - {{trace: {{format: csv, file: p.csv}}}}\n");
    let e = scenario_with(&spec, vec![("p.csv", "arival_s,cpu_m,mem_gib\n1,1,1\n".into())]).unwrap_err();
    assert!(e.starts_with("p.csv:1:1: ") && e.contains("did you mean \"arrival_s\""), "{e}");
    // Generators are checked too.
    let spec =
        format!("{POOL}  workload:\n    - generate: {{arrivals: {{poisson: {{rate: 0}}}}, cpu: 1, memory: 1Gi}}\n");
    assert!(scenario_with(&spec, vec![]).unwrap_err().contains("must be positive"));
    let spec = format!(
        "{POOL}  workload:\n    - generate: {{arrivals: {{mmpp: {{rates: [1], meanSojourn: [1m, 1m]}}}}, cpu: 1, memory: 1Gi}}\n"
    );
    assert!(scenario_with(&spec, vec![]).unwrap_err().contains("exactly two values"));
    let spec =
        format!("{POOL}  workload:\n    - generate: {{arrivals: {{poison: {{rate: 1}}}}, cpu: 1, memory: 1Gi}}\n");
    assert!(scenario_with(&spec, vec![]).unwrap_err().contains("did you mean \"poisson\""));
}

/// Poisson counts over `t` seconds have mean and variance λt: each of five seeds lands
/// within five standard deviations.
#[test]
fn poisson_counts_match_their_mean() {
    let (rate, horizon) = (1.0, 40_000u64);
    let mean = rate * horizon as f64;
    let sd = mean.sqrt();
    for seed in 1..=5 {
        let a = Arrivals::new(ArrivalProcess::Poisson { rate }, Streams::new(seed).stream("p"), SimTime::ZERO);
        let n = a.take_while(|t| t.as_micros() <= horizon * 1_000_000).count() as f64;
        assert!((n - mean).abs() < 5.0 * sd, "seed {seed}: {n} arrivals, expected {mean} ± {}", 5.0 * sd);
    }
}

/// An on/off MMPP (rates 0 and 1/s, mean stays 100 s each): arrivals come in bursts separated
/// by silences, and the count over T has mean T/2. The on-time of an alternating renewal
/// process with exponential stays a = b = 100 s has variance ≈ T·2a²b²/(a+b)³ = 25·T; with
/// T = 200,000 s its sd is 2,236 s, so the count's sd is about √(2236² + 100,000) ≈ 2,258:
/// five sd is ±11,290.
#[test]
fn mmpp_alternates_between_its_rates() {
    let horizon = 200_000u64;
    let process =
        ArrivalProcess::Mmpp { rates: [0.0, 1.0], sojourn: [SimDuration::from_secs(100), SimDuration::from_secs(100)] };
    let a = Arrivals::new(process, Streams::new(9).stream("m"), SimTime::ZERO);
    let times: Vec<u64> = a.take_while(|t| t.as_micros() <= horizon * 1_000_000).map(|t| t.as_micros()).collect();
    let n = times.len() as f64;
    assert!((n - 100_000.0).abs() < 11_290.0, "{n}");
    // Gaps above 30 s are the off stays (an on stay's gaps are exponential of mean 1 s:
    // P(gap > 30 s) = e^-30). About T/(a+b) = 1000 off stays, minus the few shorter than 30 s.
    let silences = times.windows(2).filter(|w| w[1] - w[0] > 30_000_000).count();
    assert!((600..=1100).contains(&silences), "{silences}");
    let first = times.first().copied().unwrap_or(0);
    assert!(first > 0, "it starts in state 0, at rate 0");
}

/// The diurnal process (rate 0 at midnight, 0.1/s at noon) over 10 days: the hours beside the
/// peak have the most arrivals and those beside midnight almost none.
#[test]
fn diurnal_arrivals_peak_at_peak_at() {
    let days = 10u64;
    let process = ArrivalProcess::Diurnal { min: 0.0, max: 0.1, peak_at: SimDuration::from_secs(12 * 3600) };
    let a = Arrivals::new(process, Streams::new(4).stream("d"), SimTime::ZERO);
    let mut hours = [0u64; 24];
    for t in a.take_while(|t| t.as_micros() < days * 86_400_000_000) {
        hours[((t.as_micros() / 3_600_000_000) % 24) as usize] += 1;
    }
    let peak = (0..24).max_by_key(|&h| hours[h]).unwrap();
    assert!(peak == 11 || peak == 12, "{hours:?}");
    // Expected: 3600 s · 10 days · 0.1 · (1 + cos) / 2 ≈ 3,540 beside noon, ≈ 61 beside midnight.
    assert!(hours[11] > 3200 && hours[12] > 3200, "{hours:?}");
    assert!(hours[0] < 150 && hours[23] < 150, "{hours:?}");
    // The total is Poisson of mean 10 · 86,400 · 0.05 = 43,200 (sd 208).
    let total: u64 = hours.iter().sum();
    assert!(total.abs_diff(43_200) < 1_040, "{total}");
}

/// The same seed gives the same run; arrivals do not depend on the scheduling policy.
#[test]
fn generated_arrivals_are_deterministic_and_policy_independent() {
    let path = root().join("scenarios/poisson-arrivals.yaml");
    let base = std::fs::read_to_string(&path).unwrap();
    let created = |text: &str, seed: Option<u64>| -> (String, Vec<(String, SimTime, i64)>) {
        let scenario = Scenario::parse(text, "p.yaml", &kubesim::scenario::NoFiles).unwrap();
        let mut sim = Simulation::new(
            Arc::new(scenario),
            seed,
            Some(SimTime::ZERO + SimDuration::from_mins(10)),
            RunOptions::default(),
        );
        sim.run().unwrap();
        let store = sim.store();
        let mut pods: Vec<(String, SimTime, i64)> = (0..300)
            .filter_map(|k| store.pod_id("default", &format!("batch-{k}")))
            .map(|id| {
                let p = store.pod(id);
                (p.meta.name.clone(), p.meta.creation_timestamp, p.spec.requests.milli_cpu)
            })
            .collect();
        pods.sort();
        (sim.digest().to_string(), pods)
    };
    let (d1, a1) = created(&base, None);
    let (d2, a2) = created(&base, None);
    assert_eq!((d1.clone(), a1.clone()), (d2, a2));
    assert_eq!(a1.len(), 300);
    let most_allocated = base.replace(
        "  workload:\n",
        "  scheduler:\n    profiles:\n      - pluginConfig:\n          - {name: NodeResourcesFit, args: {scoringStrategy: {type: MostAllocated}}}\n  workload:\n",
    );
    let (d3, a3) = created(&most_allocated, None);
    assert_ne!(d1, d3, "another policy places pods elsewhere");
    assert_eq!(a1, a3, "but the same pods arrive at the same instants");
    let (_, a4) = created(&base, Some(2));
    assert_ne!(a1, a4, "another seed, other arrivals");
}

/// `scale` replicates (or thins) each row, `timeScale` stretches arrivals.
#[test]
fn scale_and_time_scale_grow_a_trace() {
    let text = "arrival_s,cpu_m,memory_mib,duration_s\n10,100,64,5\n20,100,64,5\n30,100,64,5\n40,100,64,5\n";
    let run_with = |extra: &str| {
        let spec =
            format!("  until: 2m\n{POOL}  workload:\n    - {{name: t, {extra}trace: {{format: csv, file: p.csv}}}}\n");
        let scenario = scenario_with(&spec, vec![("p.csv", text.to_string())]).unwrap();
        run(scenario, None)
    };
    let sim = run_with("scale: 2.5, timeScale: 0.5, ");
    let store = sim.store();
    let t1 = store.pod(store.pod_id("default", "t-1").unwrap());
    assert_eq!(t1.meta.creation_timestamp, SimTime::ZERO + SimDuration::from_secs(10), "20 s · 0.5");
    assert!(store.pod_id("default", "t-1-x1").is_some());
    let created = sim.stats().pods_created;
    assert!((8..=12).contains(&created), "2 or 3 copies of each of 4 rows: {created}");
    assert_eq!(run_with("scale: 0.001, ").stats().pods_created, 0, "almost surely thinned away");
}

#[test]
fn the_real_openb_trace_loads_fast_and_replays_a_slice() {
    let Some((nodes, pods)) = openb_files() else { return };
    // The FGD paper's experiment reads its sweep parameter's default when run alone.
    let o = kubesim(&["validate", "scenarios/openb-fragmentation.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let scenario = load(&root().join("scenarios/openb-replay.yaml"));
    assert_eq!(scenario.nodes.len(), 1523);
    let Source::Trace { pods: rows, .. } = &scenario.workloads[0].source else { panic!("a trace") };
    assert_eq!(rows.len(), 8152);
    assert_eq!(rows.iter().filter(|p| matches!(p.gpu, GpuAsk::Milli(_))).count(), 3078);
    assert_eq!(rows.iter().filter(|p| matches!(p.gpu, GpuAsk::Whole(_))).count(), 3911 + 75);
    let gpus: u64 = scenario
        .nodes
        .iter()
        .filter_map(|n| {
            n.allocatable.iter().find(|(k, _)| k.to_string() == "nvidia.com/gpu").map(|(_, q)| q.value() as u64)
        })
        .sum();
    assert_eq!(gpus, 6212);
    // The cross-simulator benchmark's size: the first 100 nodes and 1,067 pods, imported and
    // run for its first day (the whole 149 days take minutes in a debug build: the first 100
    // nodes have no GPUs, so the GPU pods wait, retried every 5 minutes).
    let out = temp_dir("openb-slice");
    let file = out.join("slice.yaml");
    let o = kubesim(&[
        "import",
        "openb",
        nodes.to_str().unwrap(),
        pods.to_str().unwrap(),
        "--nodes-limit",
        "100",
        "--pods-limit",
        "1067",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let scenario = load(&file);
    assert_eq!(scenario.nodes.len(), 100);
    let mut sim = Simulation::new(
        Arc::new(scenario),
        None,
        Some(SimTime::ZERO + SimDuration::from_secs(86_400)),
        RunOptions::default(),
    );
    sim.run().unwrap();
    assert_eq!(sim.stats().pods_created, 1, "openb-pod-0000 at 0 s; the next at 427,061 s");
    let id = sim.store().pod_id("default", "openb-pod-0000").unwrap();
    assert_eq!(sim.store().pod(id).status.phase.as_str(), "Pending", "a GPU pod on CPU-only nodes");
}

#[test]
fn import_csv_writes_a_scenario_that_runs() {
    let out = temp_dir("import-csv");
    let file = out.join("generic.yaml");
    let fixture = fixture("pods.csv");
    let o = kubesim(&[
        "import",
        "csv",
        fixture.to_str().unwrap(),
        "--nodes",
        "3",
        "--kind",
        "job",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("file: \"../../../tests/data/traces/pods.csv\""), "{text}");
    let sim = run(load(&file), None);
    assert!(sim.check_results().iter().all(|c| c.passed));
    // A malformed file: located error, exit code 2, nothing written.
    let bad = out.join("bad.csv");
    std::fs::write(&bad, "arrival_s,cpu_m,mem_gib\n1,2\n").unwrap();
    let o = kubesim(&["import", "csv", bad.to_str().unwrap(), "--out", out.join("b.yaml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("bad.csv:2:4: expected 3 columns, found 2"), "{stderr}");
    assert!(!out.join("b.yaml").exists());
}

/// `generate` with `sample` (pods drawn from a trace's rows), `every` (evenly spaced arrivals)
/// and `gpuRequests` (stop once the pods so far request that share of the cluster's GPUs): the
/// FGD paper's "fill the cluster" experiment, on a 2-GPU cluster and a 2-row trace.
#[test]
fn sampled_pods_fill_the_cluster_to_a_share_of_its_gpus() {
    let nodes = "sn,cpu_milli,memory_mib,gpu,model\ng-0,32000,65536,2,T4\nc-0,8000,16384,0,\n";
    let pods = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,creation_time,deletion_time\n\
                share,1000,1024,1,300,T4,LS,5,65\nwhole,2000,2048,1,1000,,BE,9,9\n";
    let spec = |fill: &str, extra: &str| {
        format!(
            "  until: 1h\n  cluster:\n    trace: {{format: openb, file: n.csv}}\n  workload:\n    - name: fill\n      generate: {{arrivals: {{every: 2s}}, sample: {{format: openb, file: p.csv}}, gpuRequests: {fill}{extra}}}\n"
        )
    };
    let files = || vec![("n.csv", nodes.to_string()), ("p.csv", pods.to_string())];
    let mut saw = (false, false);
    for seed in 1..=6 {
        let scenario = scenario_with(&spec("150%", ", duration: trace"), files()).unwrap();
        let sim = run(scenario, Some(seed));
        let store = sim.store();
        let mut made = Vec::new();
        for k in 0.. {
            let Some(id) = store.pod_id("default", &format!("fill-{k}")) else { break };
            made.push(store.pod(id).clone());
        }
        assert_eq!(made.len() as u64, sim.stats().pods_created, "seed {seed}: pods named fill-0, fill-1, ...");
        let gpu = |p: &kubesim::api::pod::Pod| {
            let r = &p.spec.containers[0].requests;
            let q = |n: &str| r.iter().find(|(k, _)| k.to_string() == n).map_or(0, |(_, v)| v.value());
            q("nvidia.com/gpu") * 1000 + q("kubesim.io/gpu-milli")
        };
        // Arrivals stop at the first pod that brings the requests to 150 % of 2,000 milli.
        let total: i64 = made.iter().map(gpu).sum();
        let before_last: i64 = made[..made.len() - 1].iter().map(gpu).sum();
        assert!(before_last < 3000 && total >= 3000, "seed {seed}: {before_last} then {total}");
        for (k, p) in made.iter().enumerate() {
            assert_eq!(p.meta.creation_timestamp, SimTime::ZERO + SimDuration::from_secs(2 * (k as u64 + 1)));
            let duration = p.meta.annotations.get("sim.kubesim.io/duration").map(String::as_str);
            match gpu(p) {
                300 => {
                    saw.0 = true;
                    assert_eq!(p.meta.annotations.get("kubesim.io/gpu-spec").map(String::as_str), Some("T4"));
                    assert_eq!(duration, Some("1m"), "the row's run time: 65 s − 5 s");
                }
                1000 => {
                    saw.1 = true;
                    assert_eq!(duration, Some("0s"));
                }
                other => panic!("seed {seed}: a pod with {other} GPU milli is no row of the trace"),
            }
        }
    }
    assert_eq!(saw, (true, true), "six seeds draw both rows");
    // The same seed draws the same pods.
    let names = |seed| {
        let sim = run(scenario_with(&spec("100%", ""), files()).unwrap(), Some(seed));
        kubesim::output::pods_csv(&sim)
    };
    assert_eq!(names(3), names(3));
    // Errors name the field.
    let bad = [
        (spec("abc", ""), "invalid percentage \"abc\""),
        (spec("0%", ""), "invalid percentage \"0%\""),
        (spec("100%", ", cpu: 1"), "sample and cpu/memory are exclusive"),
        (
            format!(
                "{POOL}  workload:\n    - generate: {{arrivals: {{every: 1s}}, cpu: 1, memory: 1Gi, duration: trace}}\n"
            ),
            "duration: trace needs sample",
        ),
        (
            format!("{POOL}  workload:\n    - generate: {{arrivals: {{every: 0s}}, cpu: 1, memory: 1Gi}}\n"),
            "must be positive",
        ),
        (
            format!("{POOL}  workload:\n    - generate: {{arrivals: {{every: 1s}}, cpu: 1}}\n"),
            "missing field \"memory\"",
        ),
    ];
    for (text, want) in bad {
        let e = scenario_with(&text, files()).unwrap_err();
        assert!(e.contains(want) && e.contains("spec.workload[0].generate"), "{e}\nwant {want}");
        assert!(e.contains("\n  hint: ") || want == "must be positive", "{e}");
    }
}
