//! The research workflow: `kubesim compare` gives the same bytes whatever `--jobs`, a sweep's
//! shards merge into exactly the unsharded sweep, the sweep parameters substitute into the
//! scenario, the emitted cluster jobs name every shard, and the per-run metrics are those a
//! hand computation gives on a small scenario.

use std::sync::Arc;

use kubesim::compare::{METRICS, run_metrics, with_policy};
use kubesim::engine::{RunOptions, Simulation};

use crate::support::{kubesim, parse, temp_dir};

fn ok(args: &[&str]) -> String {
    let o = kubesim(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn read(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

#[test]
fn compare_outputs_do_not_depend_on_jobs() {
    let (a, b) = (temp_dir("compare-jobs-1"), temp_dir("compare-jobs-2"));
    let args = |dir: &std::path::Path, jobs: &'static str| {
        ok(&[
            "compare",
            "scenarios/ml-model-machine-failure.yaml",
            "--policy",
            "default",
            "--policy",
            "MostAllocated",
            "--seeds",
            "1..6",
            "--jobs",
            jobs,
            "--out",
            dir.to_str().unwrap(),
        ])
    };
    let printed = args(&a, "1");
    args(&b, "2");
    assert!(printed.contains("time_below_desired_s"), "{printed}");
    for file in ["runs.csv", "compare.csv"] {
        assert_eq!(read(&a, file), read(&b, file), "{file}");
    }
    let runs = read(&a, "runs.csv");
    assert_eq!(runs.lines().count(), 1 + 2 * 6);
    assert!(runs.lines().nth(1).unwrap().starts_with("0,default,1,"), "{runs}");
    // Seed i of every policy: the same seeds in the same order under both policies.
    let seeds = |policy: &str| -> Vec<String> {
        runs.lines()
            .skip(1)
            .filter(|l| l.split(',').nth(1) == Some(policy))
            .map(|l| l.split(',').nth(2).unwrap().to_string())
            .collect()
    };
    assert_eq!(seeds("default"), seeds("MostAllocated"));
}

/// A scenario with sweep placeholders: `${replicas}` (default 2) and `${cpu}` (default 500m).
const SWEPT: &str = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: swept}
spec:
  until: 10m
  cluster:
    nodePools: [{name: w, count: 3, zones: [a, b], allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}]
  manifests:
    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: ${replicas:-2}
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}, annotations: {sim.kubesim.io/startup: 5s}}
            spec: {containers: [{name: c, image: x, resources: {requests: {cpu: "${cpu:-500m}"}}}]}
  faults:
    - nodeFailures: {timeToFailure: exponential(20m), timeToRepair: 2m}
  checks:
    - {at: 1m, expect: "deployment/default/web exists == True"}
"#;

#[test]
fn shards_merge_into_the_unsharded_sweep() {
    let dir = temp_dir("sweep");
    std::fs::write(dir.join("swept.yaml"), SWEPT).unwrap();
    let scenario = dir.join("swept.yaml");
    let s = scenario.to_str().unwrap();
    let common = [
        "sweep",
        s,
        "--policy",
        "default",
        "--policy",
        "Tetris",
        "--seeds",
        "1..4",
        "--param",
        "replicas=2,4,6",
        "--param",
        "cpu=500m,1",
    ];
    let whole = dir.join("whole");
    let mut args: Vec<&str> = common.to_vec();
    args.extend(["--out", whole.to_str().unwrap(), "--quiet"]);
    ok(&args);
    let runs = read(&whole, "runs.csv");
    // 3 x 2 cells x 2 policies x 4 seeds.
    assert_eq!(runs.lines().count(), 1 + 48);
    assert!(runs.starts_with("run,scenario,replicas,cpu,policy,seed,digest,"), "{runs}");
    assert!(runs.lines().nth(1).unwrap().starts_with("0,swept,2,500m,default,1,"), "{runs}");
    // The parameter reached the run: 6 replicas create at least 6 pods.
    let six: Vec<&str> = runs.lines().filter(|l| l.split(',').nth(2) == Some("6")).collect();
    assert!(six.iter().all(|l| l.split(',').nth(8).unwrap().parse::<u32>().unwrap() >= 6), "{six:?}");
    let mut shard_dirs = Vec::new();
    for i in 0..3 {
        let d = dir.join(format!("shard-{i}"));
        let shard = format!("{i}/3");
        let mut args: Vec<&str> = common.to_vec();
        args.extend(["--shard", &shard, "--out", d.to_str().unwrap(), "--quiet", "--jobs", "2"]);
        ok(&args);
        assert!(!d.join("compare.csv").exists(), "a shard writes no partial statistics");
        shard_dirs.push(d);
    }
    let merged = dir.join("merged");
    let mut args: Vec<&str> = vec!["merge"];
    // Shards in any order.
    args.extend([shard_dirs[2].to_str().unwrap(), shard_dirs[0].to_str().unwrap(), shard_dirs[1].to_str().unwrap()]);
    args.extend(["--out", merged.to_str().unwrap()]);
    ok(&args);
    assert_eq!(read(&merged, "runs.csv"), runs);
    assert_eq!(read(&merged, "compare.csv"), read(&whole, "compare.csv"));
    // A missing shard is refused.
    let o = kubesim(&[
        "merge",
        shard_dirs[0].to_str().unwrap(),
        shard_dirs[2].to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("run 1 is missing"), "{}", String::from_utf8_lossy(&o.stderr));
    // A parameter the scenario never uses is refused rather than sweeping nothing.
    let o = kubesim(&["sweep", s, "--param", "replica=2", "--out", dir.join("x").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no ${replica} placeholder"));
}

#[test]
fn emitted_cluster_jobs_run_every_shard() {
    let job = ok(&[
        "sweep",
        "scenarios/mtbf-30-days.yaml",
        "--policy",
        "default",
        "--seeds",
        "1..30",
        "--emit",
        "kubernetes-job",
        "--shards",
        "6",
    ]);
    for needle in [
        "kind: Job",
        "completionMode: Indexed",
        "completions: 6",
        "--shard \\\"$JOB_COMPLETION_INDEX/6\\\"",
        "--seeds 1..30",
    ] {
        assert!(job.contains(needle), "{needle} in\n{job}");
    }
    let slurm = ok(&["sweep", "scenarios/mtbf-30-days.yaml", "--seeds", "1..30", "--emit", "slurm", "--shards", "4"]);
    for needle in
        ["#SBATCH --array=0-3", "--shard \"$SLURM_ARRAY_TASK_ID/4\"", "kubesim sweep scenarios/mtbf-30-days.yaml"]
    {
        assert!(slurm.contains(needle), "{needle} in\n{slurm}");
    }
}

/// Hand-checked metrics. Two Jobs of 2 completions (parallelism 1) whose pods are Ready 10 s
/// after they start and exit 60 s after it. Job a (created at 0): pod 1 bound at 0, exits at
/// 60 s; the Job controller counts it after its 1 s batch and creates pod 2 at 61 s, which exits
/// at 121 s; a completes at 122 s. Job b, applied at 30 s: pods at 30 s and 91 s, complete at
/// 152 s. Scheduling latencies are all 0, startup latencies all 10 s, completion times 122 s
/// each, makespan 152 s. Requested cpu (of 4): 1 in [0, 30), 2 in [30, 60), 1 in [60, 61),
/// 2 in [61, 90), 1 in [90, 91), 2 in [91, 121), 1 in [121, 151): 240 cpu-seconds over the
/// 600 s run, a time-weighted allocation of 240 / 4 / 600 = 0.1.
#[test]
fn run_metrics_match_a_hand_computed_scenario() {
    let job = |name: &str| {
        format!(
            "{{apiVersion: batch/v1, kind: Job, metadata: {{name: {name}}}, spec: {{completions: 2, parallelism: 1, template: {{metadata: {{annotations: {{sim.kubesim.io/startup: 10s, sim.kubesim.io/duration: 60s}}}}, spec: {{restartPolicy: Never, containers: [{{name: c, image: x, resources: {{requests: {{cpu: \"1\"}}}}}}]}}}}}}}}"
        )
    };
    let text = format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: metrics}}
spec:
  until: 10m
  sampleInterval: 1s
  cluster:
    nodes: [{{name: n1, allocatable: {{cpu: "4", memory: 8Gi, pods: "110"}}}}]
  manifests:
    - inline: {}
  events:
    - {{at: 30s, apply: {}}}
"#,
        job("a"),
        job("b")
    );
    let scenario = with_policy(&parse(&text), "default").unwrap();
    let mut sim = Simulation::new(Arc::new(scenario), None, None, RunOptions::default());
    sim.run().unwrap();
    let m = run_metrics(&sim);
    let get = |name: &str| m[METRICS.iter().position(|x| *x == name).unwrap()];
    assert_eq!(get("pods_created"), Some(4.0));
    assert_eq!(get("scheduling_latency_p99_s"), Some(0.0));
    assert_eq!(get("startup_latency_p50_s"), Some(10.0));
    assert_eq!(get("jobs_completed"), Some(2.0));
    let (a_done, b_done) = {
        let store = sim.store();
        let t = |n: &str| {
            store.job(store.job_id("default", n).unwrap()).unwrap().status.completion_time.unwrap().as_secs_f64()
        };
        (t("a"), t("b"))
    };
    assert_eq!(a_done, 122.0, "job a: 60 s, the 1 s sync batch, 60 s, the batch");
    assert_eq!(b_done, 30.0 + 122.0);
    assert_eq!(get("job_completion_mean_s"), Some(122.0));
    assert_eq!(get("job_completion_p95_s"), Some(122.0));
    assert_eq!(get("makespan_s"), Some(152.0));
    let cpu = get("cpu_allocated_mean").unwrap();
    assert!((cpu - 0.1).abs() < 1e-12, "{cpu}");
    assert_eq!(get("pending_pods_mean"), Some(0.0));
    // One node holds pods from 0 to 151 s: 151 / 600 node used on average, 1 at most.
    assert!((get("nodes_used_mean").unwrap() - 151.0 / 600.0).abs() < 1e-12);
    assert_eq!(get("nodes_used_max"), Some(1.0));
    assert_eq!(get("queueing_delay_mean_s"), Some(0.0));
    assert_eq!(get("startup_slo_met"), Some(0.0), "p99 startup 10 s > 5 s");
    assert_eq!((get("job_completion_p50_s"), get("job_completion_p99_s")), (Some(122.0), Some(122.0)));
    assert_eq!((get("cpu_stranded_mean"), get("evictions")), (Some(0.0), Some(0.0)));
    assert_eq!(get("preemptions"), Some(0.0));
    assert_eq!(get("time_below_desired_s"), Some(0.0));
    assert_eq!(get("mttr_s"), None, "no fault, no MTTR");
}

/// Stranded capacity and evictions: a 4-cpu node holds a 3-cpu pod; a 2-cpu pod stays
/// pending all run, so the free cpu (1 of 4) is stranded the whole time: 0.25 on average; the
/// memory the pending pod does not ask for is stranded too (all free memory of that node).
/// In the main example, the three pods of the dead machine are evicted by the taint manager.
#[test]
fn stranded_capacity_and_evictions() {
    let text = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: stranded}
spec:
  until: 10m
  cluster:
    nodes: [{name: n1, allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}]
  manifests:
    - inline: {apiVersion: v1, kind: Pod, metadata: {name: big}, spec: {containers: [{name: c, image: x, resources: {requests: {cpu: "3", memory: 2Gi}}}]}}
    - inline: {apiVersion: v1, kind: Pod, metadata: {name: waits}, spec: {containers: [{name: c, image: x, resources: {requests: {cpu: "2", memory: 1Gi}}}]}}
"#;
    let mut sim = Simulation::new(Arc::new(parse(text)), None, None, RunOptions::default());
    sim.run().unwrap();
    let m = run_metrics(&sim);
    let get = |name: &str| m[METRICS.iter().position(|x| *x == name).unwrap()];
    assert_eq!(get("cpu_stranded_mean"), Some(0.25));
    assert_eq!(get("memory_stranded_mean"), Some(0.75));
    assert_eq!(get("pending_pods_mean"), Some(1.0));
    let main = crate::support::load(&crate::support::root().join("scenarios/ml-model-machine-failure.yaml"));
    let mut sim = Simulation::new(Arc::new(main), None, None, RunOptions::default());
    sim.run().unwrap();
    let m = run_metrics(&sim);
    assert_eq!(m[METRICS.iter().position(|x| *x == "evictions").unwrap()], Some(3.0));
}

/// Teaching mode: `--narrate` tells the run with the scheduler's reasons, in time order, and
/// the outputs are the same as without it; `--step` needs a terminal.
#[test]
fn narrate_tells_why_and_step_needs_a_terminal() {
    let (a, b) = (temp_dir("narrate"), temp_dir("narrate-plain"));
    let told = ok(&["run", "scenarios/ml-model-machine-failure.yaml", "--narrate", "--out", a.to_str().unwrap()]);
    ok(&["run", "scenarios/ml-model-machine-failure.yaml", "--quiet", "--out", b.to_str().unwrap()]);
    assert!(told.contains("scheduler binds pod default/ml-model-"), "{told}");
    assert!(
        told.contains(
            "to node cpu-big: score 693 (ImageLocality 0, NodeResourcesBalancedAllocation 100, NodeResourcesFit 93"
        ),
        "{told}"
    );
    assert!(told.contains("node cpu-big is NotReady (no heartbeat for 50s)"), "{told}");
    let times: Vec<&str> = told.lines().filter(|l| l.starts_with("  [")).map(|l| &l[3..12]).collect();
    assert!(times.len() > 15, "{told}");
    for file in ["pods.csv", "timeseries.csv", "faults.csv", "availability.csv"] {
        assert_eq!(read(&a, file), read(&b, file), "{file}");
    }
    assert!(!a.join("decisions.jsonl").exists(), "decisions.jsonl only with --trace decisions");
    let o = kubesim(&["run", "scenarios/ml-model-machine-failure.yaml", "--step", "--out", a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("need a terminal"), "{}", String::from_utf8_lossy(&o.stderr));
}

/// GPU fragmentation as in the FGD paper: a node with 2 devices; a pod holds 500 milli of one.
/// The live GPU pods are that share and a pending pod asking both devices whole: for the share
/// both devices can serve it (0 fragmented); for the whole pair only one device is whole, so
/// all 1,500 free milli are fragmented. Weighted equally: 750 of 1,500 free, a rate of 0.5.
/// (The node's 64 cpu serve both shapes, so cpu plays no part here; see the FGD unit tests.)
#[test]
fn gpu_fragmentation_follows_the_fgd_definition() {
    let text = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: frag}
spec:
  until: 1m
  cluster:
    nodes: [{name: g, allocatable: {cpu: "64", memory: 256Gi, nvidia.com/gpu: "2", pods: "110"}}]
  manifests:
    - inline: {apiVersion: v1, kind: Pod, metadata: {name: share}, spec: {containers: [{name: c, image: x, resources: {requests: {cpu: "1", kubesim.io/gpu-milli: "500"}, limits: {kubesim.io/gpu-milli: "500"}}}]}}
    - inline: {apiVersion: v1, kind: Pod, metadata: {name: whole}, spec: {containers: [{name: c, image: x, resources: {requests: {cpu: "1", nvidia.com/gpu: "2"}, limits: {nvidia.com/gpu: "2"}}}]}}
"#;
    let mut sim = Simulation::new(Arc::new(parse(text)), None, None, RunOptions::default());
    sim.run().unwrap();
    let ts = kubesim::output::timeseries_csv(&sim);
    let header: Vec<&str> = ts.lines().next().unwrap().split(',').collect();
    let last: Vec<&str> = ts.lines().last().unwrap().split(',').collect();
    let col =
        |name: &str| last[header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("{name} in {header:?}"))];
    assert_eq!((col("gpu_free_milli"), col("gpu_fragmented_milli")), ("1500", "750"));
    let m = run_metrics(&sim);
    let metric = |name: &str| m[METRICS.iter().position(|x| *x == name).unwrap()];
    assert_eq!(metric("gpu_fragmentation_mean"), Some(0.5));
    assert_eq!(metric("gpu_fragmentation_final"), Some(0.5));
    // GPU allocation: the share's 500 of 2 × 1000 milli, from its binding at 0 s to the end.
    assert_eq!(metric("gpu_allocated_final"), Some(0.25));
    assert_eq!(metric("gpu_allocated_mean"), Some(0.25));
    assert_eq!(metric("pods_pending_final"), Some(1.0), "the pair of whole GPUs cannot fit");
    // Without GPUs there are no GPU columns and no value.
    let plain_sim = {
        let mut s = Simulation::new(
            Arc::new(crate::support::load(&crate::support::root().join("scenarios/ml-model-machine-failure.yaml"))),
            None,
            None,
            RunOptions::default(),
        );
        s.run().unwrap();
        s
    };
    let plain = kubesim::output::timeseries_csv(&plain_sim);
    assert!(!plain.lines().next().unwrap().contains("gpu_free_milli"));
    let m = run_metrics(&plain_sim);
    for name in ["gpu_allocated_mean", "gpu_allocated_final", "gpu_fragmentation_final"] {
        assert_eq!(m[METRICS.iter().position(|x| *x == name).unwrap()], None, "{name}");
    }
}
