//! `kubesim compare`: one scenario under several scheduling policies over several seeds, run
//! in parallel, summarised per policy (mean, standard deviation, 95 % confidence interval) and
//! as paired differences against the first policy (the baseline).
//!
//! **Common random numbers.** Run *i* of every policy uses seed *i*: the same arrivals, the same
//! generated names, the same faults (`spec.faults` draws never depend on the policy). The paired
//! differences use that: for each seed, policy minus baseline, then the statistics of those
//! differences, whose interval is much tighter than the difference of two independent means.
//!
//! **Determinism.** Each run is single-threaded and deterministic; runs are spread over
//! `jobs` threads, and their results are put back in (policy, seed) order, so every output is
//! byte-identical whatever `jobs` is.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::engine::{RunOptions, Simulation};
use crate::kernel::SimTime;
use crate::scenario::Scenario;
use crate::scheduler::config::DEFAULT_SCHEDULER_NAME;

/// The metrics of one run, in column order (see `docs/metrics.md`); `None` where a metric has
/// nothing to measure (no Job, no fault, ...).
pub const METRICS: [&str; 32] = [
    "checks_failed",
    "pods_created",
    "pods_scheduled",
    "unschedulable_attempts",
    "queueing_delay_mean_s",
    "scheduling_latency_p50_s",
    "scheduling_latency_p99_s",
    "startup_latency_p50_s",
    "startup_latency_p99_s",
    "startup_slo_met",
    "pending_pods_mean",
    "cpu_allocated_mean",
    "memory_allocated_mean",
    "nodes_used_mean",
    "nodes_used_max",
    "cpu_stranded_mean",
    "memory_stranded_mean",
    "gpu_fragmentation_mean",
    "preemptions",
    "evictions",
    "jobs_completed",
    "job_completion_mean_s",
    "job_completion_p50_s",
    "job_completion_p95_s",
    "job_completion_p99_s",
    "makespan_s",
    "time_below_desired_s",
    "mttr_s",
    "gpu_allocated_mean",
    "gpu_allocated_final",
    "gpu_fragmentation_final",
    "pods_pending_final",
];

/// The reasons a pod was deleted that count as evictions: the taint manager, the Eviction API
/// (drains), the pod garbage collector (its node was deleted).
const EVICTION_REASONS: [&str; 3] = ["DeletionByTaintManager", "EvictionByEvictionAPI", "DeletionByPodGC"];

/// One run's result.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    /// The run's index in the whole sweep's canonical order (shards keep it).
    pub run: usize,
    /// The sweep cell: the scenario's label and the parameter values (empty for `compare`).
    pub group: Vec<String>,
    pub policy: String,
    pub seed: u64,
    pub digest: String,
    /// `None`: the run stopped early (the message is in `error`).
    pub values: Vec<Option<f64>>,
    pub error: Option<String>,
}

/// The scenario with `policy` as its `default-scheduler` profile: the name of one of the
/// scenario's profiles (its configuration, renamed), or a built-in policy of `kubesim pack`
/// (`default`, `MostAllocated`, `LeastAllocated`, a score plugin such as `Tetris`, `BestFit`,
/// `FGD`) scoring cpu and memory (and GPUs, for the GPU-sharing plugins) on every node.
pub fn with_policy(scenario: &Scenario, policy: &str) -> Result<Scenario, String> {
    let mut s = scenario.clone();
    let profile = match scenario.scheduler.profiles.iter().find(|p| p.scheduler_name == policy) {
        Some(p) => {
            let mut p = p.clone();
            p.scheduler_name = DEFAULT_SCHEDULER_NAME.to_string();
            p
        }
        None => {
            let builtin = match policy {
                "FGD" => crate::pack::Policy::Plugin("FGD"),
                "GPUPacking" => crate::pack::Policy::Plugin("GPUPacking"),
                other => crate::pack::Policy::parse(other).map_err(|e| {
                    let profiles: Vec<&str> =
                        scenario.scheduler.profiles.iter().map(|p| p.scheduler_name.as_str()).collect();
                    format!("{e}; or a profile of the scenario: {}", profiles.join(", "))
                })?,
            };
            let mut p = crate::pack::profile(&builtin, 2, scenario.seed, 0);
            if let crate::pack::Policy::Plugin(name) = builtin
                && let Some(args) = p.policy_args.get_mut(name)
                && matches!(name, "FGD" | "GPUPacking")
            {
                args.resources = None;
            }
            p
        }
    };
    let profile_check = profile.resolve_with(&scenario.plugins);
    if let Err(e) = profile_check {
        return Err(format!("policy {policy:?}: {e}"));
    }
    match s.scheduler.profiles.iter_mut().find(|p| p.scheduler_name == DEFAULT_SCHEDULER_NAME) {
        Some(slot) => *slot = profile,
        None => s.scheduler.profiles.insert(0, profile),
    }
    Ok(s)
}

/// Nearest-rank percentile `p` (0 < p ≤ 100) of sorted values: the smallest value with at
/// least p % of the values at or below it.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// The time-weighted mean of a sampled quantity: each sample holds until the next.
fn time_weighted(recorder: &crate::metrics::Recorder, value: impl Fn(&crate::metrics::Sample) -> f64) -> Option<f64> {
    let mut rows = recorder.rows();
    let (start, first) = rows.next()?;
    let (mut previous, mut total) = ((start, first), 0.0);
    for (t, s) in rows {
        total += value(previous.1) * t.saturating_since(previous.0).as_secs_f64();
        previous = (t, s);
    }
    let span = previous.0.saturating_since(start).as_secs_f64();
    if span <= 0.0 {
        return Some(value(first));
    }
    Some(total / span)
}

/// The share of the GPU capacity that pods on nodes request, in GPU thousandths: whole devices
/// (`nvidia.com/gpu`, 1000 each) plus shares (`kubesim.io/gpu-milli`), over 1000 per device.
fn gpu_allocated(s: &crate::metrics::Sample) -> f64 {
    let scalar = |name: &str| s.scalars.iter().find(|(n, _, _)| &**n == name).map_or((0, 0), |&(_, r, a)| (r, a));
    let (devices_requested, devices) = scalar(crate::api::resources::gpu::DEVICES);
    let (milli_requested, _) = scalar(crate::api::resources::gpu::MILLI);
    let capacity = devices.saturating_mul(crate::api::resources::gpu::MILLI_PER_DEVICE);
    if capacity <= 0 {
        return 0.0;
    }
    (devices_requested.saturating_mul(crate::api::resources::gpu::MILLI_PER_DEVICE) + milli_requested) as f64
        / capacity as f64
}

/// Computes the [`METRICS`] of a finished run.
pub fn run_metrics(sim: &Simulation) -> Vec<Option<f64>> {
    let store = sim.store();
    let mut scheduling: Vec<f64> = Vec::new();
    let mut startup: Vec<f64> = Vec::new();
    for p in store.pod_entries() {
        let created = p.created();
        if let Some(t) = p.scheduled_at() {
            scheduling.push(t.saturating_since(created).as_secs_f64());
        }
        if let Some(t) = p.first_ready_at() {
            startup.push(t.saturating_since(created).as_secs_f64());
        }
    }
    scheduling.sort_by(f64::total_cmp);
    startup.sort_by(f64::total_cmp);
    let samples = sim.recorder();
    let ratio = |a: i64, b: i64| if b > 0 { a as f64 / b as f64 } else { 0.0 };
    let mut completions: Vec<f64> = Vec::new();
    let mut makespan: Option<SimTime> = None;
    for id in store.job_ids() {
        let (status, created) =
            (store.job_status(id).expect("not removed"), store.job_created(id).expect("not removed"));
        if let Some(done) = status.completion_time {
            completions.push(done.saturating_since(created).as_secs_f64());
            makespan = Some(makespan.map_or(done, |m| m.max(done)));
        }
    }
    let jobs_completed = completions.len();
    let completion_mean = (!completions.is_empty()).then(|| completions.iter().sum::<f64>() / completions.len() as f64);
    completions.sort_by(f64::total_cmp);
    let below: f64 = sim.availability().workloads().map(|w| w.below.at(sim.now()).1.as_secs_f64()).sum();
    let failed = sim.check_results().iter().filter(|c| !c.passed).count();
    let stats = sim.stats();
    let queueing = (!scheduling.is_empty()).then(|| scheduling.iter().sum::<f64>() / scheduling.len() as f64);
    let p99_startup = percentile(&startup, 99.0);
    let evictions = store.pod_entries().filter(|p| EVICTION_REASONS.contains(&p.reason())).count();
    let has_gpus = samples.values().any(|s| s.gpu.is_some());
    vec![
        Some(failed as f64),
        Some(stats.pods_created as f64),
        Some(stats.pods_scheduled as f64),
        Some(stats.unschedulable_attempts as f64),
        queueing,
        percentile(&scheduling, 50.0),
        percentile(&scheduling, 99.0),
        percentile(&startup, 50.0),
        p99_startup,
        p99_startup.map(|p| if p <= 5.0 { 1.0 } else { 0.0 }),
        time_weighted(samples, |s| f64::from(s.pods_pending)),
        time_weighted(samples, |s| ratio(s.cpu_requested_milli, s.cpu_allocatable_milli)),
        time_weighted(samples, |s| ratio(s.memory_requested_bytes, s.memory_allocatable_bytes)),
        time_weighted(samples, |s| f64::from(s.nodes_used)),
        samples.values().map(|s| f64::from(s.nodes_used)).reduce(f64::max),
        time_weighted(samples, |s| ratio(s.cpu_stranded_milli, s.cpu_allocatable_milli)),
        time_weighted(samples, |s| ratio(s.memory_stranded_bytes, s.memory_allocatable_bytes)),
        samples
            .values()
            .any(|s| s.gpu.is_some())
            .then(|| time_weighted(samples, |s| s.gpu.map_or(0.0, |(free, frag)| ratio(frag, free))).unwrap_or(0.0)),
        Some(store.stats.pods_preempted as f64),
        Some(evictions as f64),
        Some(jobs_completed as f64),
        completion_mean,
        percentile(&completions, 50.0),
        percentile(&completions, 95.0),
        percentile(&completions, 99.0),
        makespan.map(|t| t.as_secs_f64()),
        Some(below),
        crate::availability::mttr(sim.fault_log()).map(|d| d.as_secs_f64()),
        has_gpus.then(|| time_weighted(samples, gpu_allocated).unwrap_or(0.0)),
        samples.last().filter(|_| has_gpus).map(gpu_allocated),
        samples.last().and_then(|s| s.gpu).map(|(free, frag)| ratio(frag, free)),
        samples.last().map(|s| f64::from(s.pods_pending)),
    ]
}

/// One scenario variant of a sweep: its cell (scenario label, parameter values), its policy,
/// and the scenario with that policy as its default profile.
#[derive(Clone)]
pub struct Variant {
    pub group: Vec<String>,
    pub policy: String,
    pub scenario: Arc<Scenario>,
}

/// The runs of a sweep in canonical order — variants in order, each over the seeds — and of
/// shard `shard` of `shards` the ones whose index is `shard` modulo `shards`.
pub fn tasks(variants: usize, seeds: &[u64], shard: usize, shards: usize) -> Vec<Task> {
    (0..variants)
        .flat_map(|v| seeds.iter().map(move |&s| (v, s)))
        .enumerate()
        .filter(|(i, _)| i % shards.max(1) == shard)
        .map(|(run, (variant, seed))| Task { run, variant, seed })
        .collect()
}

/// One run to do: its canonical index, its variant, its seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Task {
    pub run: usize,
    pub variant: usize,
    pub seed: u64,
}

/// Runs the tasks (variant index, seed) on `jobs` threads; rows in task order.
/// `progress(done, total)` is called after each run, from the worker threads.
pub fn run_all(
    variants: &[Variant],
    tasks: &[Task],
    jobs: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<RunRow> {
    let total = tasks.len();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let mut results: Vec<Option<RunRow>> = vec![None; total];
    let slots: Vec<std::sync::Mutex<Option<RunRow>>> = (0..total).map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, total.max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&Task { run, variant: v, seed }) = tasks.get(i) else { break };
                    let variant = &variants[v];
                    let mut sim = Simulation::new(variant.scenario.clone(), Some(seed), None, RunOptions::default());
                    let outcome = sim.run();
                    let row = RunRow {
                        run,
                        group: variant.group.clone(),
                        policy: variant.policy.clone(),
                        seed,
                        digest: sim.digest(),
                        values: run_metrics(&sim),
                        error: outcome.err().map(|e| e.to_string()),
                    };
                    *slots[i].lock().expect("no worker panics while holding it") = Some(row);
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                }
            });
        }
    });
    for (slot, out) in slots.into_iter().zip(results.iter_mut()) {
        *out = slot.into_inner().expect("not poisoned");
    }
    results.into_iter().map(|r| r.expect("every task ran")).collect()
}

/// A number for a CSV cell: integers without a decimal point, others with up to 6 decimals
/// and no trailing zeros; empty for `None`.
pub fn cell(v: Option<f64>) -> String {
    match v {
        None => String::new(),
        Some(x) if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
        Some(x) => {
            let s = format!("{x:.6}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" { "0".to_string() } else { s.to_string() }
        }
    }
}

/// `runs.csv`: one row per run, after the group columns (`group_columns`, e.g. `scenario`
/// and the parameter names of a sweep; none for `compare`).
pub fn runs_csv(group_columns: &[String], rows: &[RunRow]) -> String {
    let mut head: Vec<String> = vec!["run".to_string()];
    head.extend(group_columns.iter().cloned());
    head.extend(["policy", "seed", "digest"].map(String::from));
    head.extend(METRICS.iter().map(|m| m.to_string()));
    head.push("error".into());
    let body = rows.iter().map(|r| {
        let mut cells: Vec<String> = vec![r.run.to_string()];
        cells.extend(r.group.iter().cloned());
        cells.extend([r.policy.clone(), r.seed.to_string(), r.digest.clone()]);
        cells.extend(r.values.iter().map(|v| cell(*v)));
        cells.push(r.error.clone().unwrap_or_default());
        cells
    });
    to_csv(std::iter::once(head).chain(body))
}

/// Writes rows of cells as CSV (RFC 4180 quoting where needed, `\n` line ends).
fn to_csv(rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    for row in rows {
        w.write_record(&row).expect("writing to memory cannot fail");
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("the cells are UTF-8")
}

/// Mean, sample standard deviation and the 95 % confidence interval of the mean (Student's
/// t with n − 1 degrees of freedom); `None` for an empty set; the interval is `None` below
/// two values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub sd: Option<f64>,
    pub ci95: Option<(f64, f64)>,
}

pub fn summarize(values: &[f64]) -> Option<Summary> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Some(Summary { n, mean, sd: None, ci95: None });
    }
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
    let sd = var.sqrt();
    let half = t975(n - 1) * sd / (n as f64).sqrt();
    Some(Summary { n, mean, sd: Some(sd), ci95: Some((mean - half, mean + half)) })
}

/// The 0.975 quantile of Student's t distribution with `df` degrees of freedom (exact to the
/// printed digits up to 30, then by the usual table rows, then the normal's 1.959964).
pub fn t975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985,
        2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873,
        2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        31..=40 => 2.021075,
        41..=60 => 2.000298,
        61..=120 => 1.979930,
        _ => 1.959964,
    }
}

/// The columns of `compare.csv` after the group columns (what `kubesim report` reads back).
pub const COMPARE_COLUMNS: [&str; 12] = [
    "policy",
    "metric",
    "n",
    "mean",
    "sd",
    "ci95_low",
    "ci95_high",
    "diff_n",
    "diff_mean",
    "diff_sd",
    "diff_ci95_low",
    "diff_ci95_high",
];

/// `compare.csv`: per policy and metric, the summary over seeds, and for every policy but the
/// baseline (the first) the summary of the paired differences (policy − baseline, seed by
/// seed, over the seeds where both have a value).
pub fn compare_csv(group_columns: &[String], rows: &[RunRow], policies: &[String]) -> String {
    let mut head: Vec<String> = group_columns.to_vec();
    head.extend(COMPARE_COLUMNS.map(String::from));
    // Groups in order of first appearance (the canonical run order).
    let mut groups: Vec<&Vec<String>> = Vec::new();
    for r in rows {
        if !groups.contains(&&r.group) {
            groups.push(&r.group);
        }
    }
    let mut out = vec![head];
    for group in groups {
        let in_group: Vec<RunRow> = rows.iter().filter(|r| &r.group == group).cloned().collect();
        for line in compare_table(&in_group, policies) {
            let mut cells: Vec<String> = group.clone();
            cells.extend(line);
            out.push(cells);
        }
    }
    to_csv(out)
}

/// The rows of `compare.csv` for one group of runs, as cells (policy first).
pub fn compare_table(rows: &[RunRow], policies: &[String]) -> Vec<Vec<String>> {
    let baseline = policies.first();
    let of = |policy: &str, m: usize| -> Vec<(u64, f64)> {
        rows.iter().filter(|r| r.policy == policy).filter_map(|r| Some((r.seed, r.values[m]?))).collect()
    };
    let mut table = Vec::new();
    for policy in policies {
        for (m, metric) in METRICS.iter().enumerate() {
            let own = of(policy, m);
            let values: Vec<f64> = own.iter().map(|(_, v)| *v).collect();
            let s = summarize(&values);
            let mut cells = vec![policy.clone(), metric.to_string()];
            push_summary(&mut cells, s);
            let diff = match baseline {
                Some(b) if b != policy => {
                    let base = of(b, m);
                    let diffs: Vec<f64> = own
                        .iter()
                        .filter_map(|(seed, v)| base.iter().find(|(s, _)| s == seed).map(|(_, b)| v - b))
                        .collect();
                    summarize(&diffs)
                }
                _ => None,
            };
            push_summary(&mut cells, diff);
            table.push(cells);
        }
    }
    table
}

fn push_summary(cells: &mut Vec<String>, s: Option<Summary>) {
    match s {
        None => cells.extend(["0", "", "", "", ""].map(String::from)),
        Some(s) => {
            cells.push(s.n.to_string());
            cells.push(cell(Some(s.mean)));
            cells.push(cell(s.sd));
            cells.push(cell(s.ci95.map(|c| c.0)));
            cells.push(cell(s.ci95.map(|c| c.1)));
        }
    }
}

/// Replaces `${name}` and `${name:-default}` in a scenario's text by `params[name]` (or the
/// default): the parameters of a sweep. A placeholder without a value or a default is an
/// error naming its line; `params` names that the text never uses are errors too (a typo
/// would otherwise sweep nothing).
pub fn substitute(text: &str, params: &[(String, String)]) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut used = vec![false; params.len()];
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let line = text[..text.len() - rest.len() + start].matches('\n').count() + 1;
        let Some(end) = after.find('}') else {
            return Err(format!("line {line}: unterminated placeholder ${{..."));
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        if !is_param_name(name) {
            return Err(format!("line {line}: invalid placeholder ${{{inner}}}: a name is letters, digits and _"));
        }
        match params.iter().position(|(n, _)| n == name) {
            Some(i) => {
                used[i] = true;
                out.push_str(&params[i].1);
            }
            None => match default {
                Some(d) => out.push_str(d),
                None => {
                    return Err(format!(
                        "line {line}: no value for ${{{name}}}: pass --param {name}=... or write ${{{name}:-DEFAULT}}"
                    ));
                }
            },
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(format!("--param {}: the scenario has no ${{{}}} placeholder", params[i].0, params[i].0));
    }
    Ok(out)
}

/// A sweep parameter's name: a letter or `_`, then letters, digits and `_`.
fn is_param_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A scenario's text as `kubesim run` (and every command but `sweep`/`compare --param`) reads
/// it: each sweep placeholder with a default, `${name:-default}`, becomes its default, so a
/// sweep's scenario runs on its own. Everything else is left as written — `${HOME}` in a
/// container's command is the shell's business, not kubesim's.
pub fn substitute_defaults(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("${") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let placeholder = after.find(['}', '\n']).filter(|&end| after.as_bytes()[end] == b'}').and_then(|end| {
            let (name, default) = after[..end].split_once(":-")?;
            is_param_name(name).then_some((default, end))
        });
        match placeholder {
            Some((default, end)) => {
                out.push_str(default);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Parses a `runs.csv` back into rows (for `kubesim merge`): the header must be the one
/// [`runs_csv`] writes, with `group_columns` group columns first.
pub fn parse_runs_csv(text: &str) -> Result<(Vec<String>, Vec<RunRow>), String> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(r)) => r.iter().map(String::from).collect(),
        Some(Err(e)) => return Err(format!("line 1: {e}")),
        None => return Err("empty file".into()),
    };
    let Some(policy_at) = header.iter().position(|h| h == "policy") else {
        return Err("line 1: no policy column: not a runs.csv".into());
    };
    let expected: Vec<String> = ["policy", "seed", "digest"]
        .into_iter()
        .map(String::from)
        .chain(METRICS.iter().map(|m| m.to_string()))
        .chain(["error".to_string()])
        .collect();
    if header[policy_at..] != expected[..] {
        return Err("line 1: the columns are not those of this kubesim's runs.csv".into());
    }
    if header.first().map(String::as_str) != Some("run") || policy_at < 1 {
        return Err("line 1: the first column must be run: not a runs.csv".into());
    }
    let groups = header[1..policy_at].to_vec();
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| e.to_string())?;
        let n = record.position().map_or(0, |p| p.line());
        let f: Vec<&str> = record.iter().collect();
        if f.len() != header.len() {
            return Err(format!("line {n}: {} fields, expected {}", f.len(), header.len()));
        }
        let num = |s: &str| -> Result<Option<f64>, String> {
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse().map(Some).map_err(|_| format!("line {n}: {s:?} is not a number"))
            }
        };
        let run = f[0].parse().map_err(|_| format!("line {n}: bad run index {:?}", f[0]))?;
        let seed = f[policy_at + 1].parse().map_err(|_| format!("line {n}: bad seed {:?}", f[policy_at + 1]))?;
        let mut values = Vec::with_capacity(METRICS.len());
        for k in 0..METRICS.len() {
            values.push(num(f[policy_at + 3 + k])?);
        }
        let error = f.last().filter(|e| !e.is_empty()).map(|e| e.to_string());
        rows.push(RunRow {
            run,
            group: f[1..policy_at].iter().map(|x| x.to_string()).collect(),
            policy: f[policy_at].to_string(),
            seed,
            digest: f[policy_at + 2].to_string(),
            values,
            error,
        });
    }
    Ok((groups, rows))
}

/// Parses a seed list: `1..30` (inclusive), `7`, or a comma-separated mix (`1..3,10`);
/// at most 100,000 seeds, no duplicates.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>, String> {
    let mut seeds: Vec<u64> = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let num = |s: &str| s.trim().parse::<u64>().map_err(|_| format!("invalid seed {s:?} in {text:?}"));
        match part.split_once("..") {
            Some((a, b)) => {
                let (a, b) = (num(a)?, num(b.trim_start_matches('='))?);
                if a > b {
                    return Err(format!("empty seed range {part:?}: write LOW..HIGH"));
                }
                if b - a >= 100_000 {
                    return Err(format!("seed range {part:?} is too long (at most 100,000 seeds)"));
                }
                seeds.extend(a..=b);
            }
            None => seeds.push(num(part)?),
        }
        if seeds.len() > 100_000 {
            return Err("at most 100,000 seeds".into());
        }
    }
    let mut sorted = seeds.clone();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("seed {} is listed twice", w[0]));
    }
    Ok(seeds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(5.0));
        assert_eq!(percentile(&v, 95.0), Some(10.0));
        assert_eq!(percentile(&v, 10.0), Some(1.0));
        assert_eq!(percentile(&[3.0], 99.0), Some(3.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    /// Hand-computed: values 2, 4, 4, 4, 5, 5, 7, 9 have mean 5, sample variance 32/7,
    /// sd 2.138090; t(0.975, 7) = 2.364624, half-width 2.364624 · 2.138090 / √8 = 1.787479.
    #[test]
    fn summary_matches_a_hand_computation() {
        let s = summarize(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.n, 8);
        assert!((s.mean - 5.0).abs() < 1e-12);
        assert!((s.sd.unwrap() - 2.138090).abs() < 1e-6);
        let (lo, hi) = s.ci95.unwrap();
        assert!((lo - (5.0 - 1.787479)).abs() < 1e-5 && (hi - (5.0 + 1.787479)).abs() < 1e-5, "{lo} {hi}");
        let one = summarize(&[3.0]).unwrap();
        assert_eq!((one.sd, one.ci95), (None, None));
        assert_eq!(summarize(&[]), None);
    }

    /// Paired differences: baseline A = 10, 12, 14 and B = 11, 14, 15 on seeds 1..3 give
    /// differences 1, 2, 1: mean 4/3, sd √(1/3) = 0.577350, t(0.975, 2) = 4.302653,
    /// half-width 4.302653 · 0.577350 / √3 = 1.434218.
    #[test]
    fn paired_differences_match_a_hand_computation() {
        let row = |policy: &str, seed: u64, v: f64| RunRow {
            run: 0,
            group: Vec::new(),
            policy: policy.into(),
            seed,
            digest: String::new(),
            values: METRICS.iter().enumerate().map(|(i, _)| (i == 0).then_some(v)).collect(),
            error: None,
        };
        let rows = vec![
            row("A", 1, 10.0),
            row("A", 2, 12.0),
            row("A", 3, 14.0),
            row("B", 1, 11.0),
            row("B", 2, 14.0),
            row("B", 3, 15.0),
        ];
        let table = compare_table(&rows, &["A".to_string(), "B".to_string()]);
        let b = table.iter().find(|r| r[0] == "B" && r[1] == METRICS[0]).unwrap();
        assert_eq!(b[7], "3");
        assert_eq!(b[8], "1.333333");
        assert_eq!(b[9], "0.57735");
        let lo: f64 = b[10].parse().unwrap();
        let hi: f64 = b[11].parse().unwrap();
        assert!((lo - (4.0 / 3.0 - 1.434218)).abs() < 1e-5 && (hi - (4.0 / 3.0 + 1.434218)).abs() < 1e-5);
        // The baseline has no differences; a metric with no values has n = 0.
        let a = table.iter().find(|r| r[0] == "A" && r[1] == METRICS[0]).unwrap();
        // A: mean 12, sd 2, half-width 4.302653 · 2 / √3 = 4.9682757.
        assert_eq!(&a[2..5], ["3", "12", "2"]);
        assert_eq!((a[5].as_str(), a[6].as_str()), ("7.031724", "16.968276"));
        assert_eq!(&a[7..], ["0", "", "", "", ""]);
        let empty = table.iter().find(|r| r[0] == "A" && r[1] == METRICS[1]).unwrap();
        assert_eq!(empty[2], "0");
    }

    #[test]
    fn seeds_parse() {
        assert_eq!(parse_seeds("1..3").unwrap(), [1, 2, 3]);
        assert_eq!(parse_seeds("1..3, 10").unwrap(), [1, 2, 3, 10]);
        assert_eq!(parse_seeds("7").unwrap(), [7]);
        assert!(parse_seeds("3..1").is_err());
        assert!(parse_seeds("1..2,2").unwrap_err().contains("twice"));
        assert!(parse_seeds("x").is_err());
        assert!(parse_seeds("0..1000000").unwrap_err().contains("too long"));
    }

    #[test]
    fn placeholders_are_substituted() {
        let p = |n: &str, v: &str| (n.to_string(), v.to_string());
        let text = "replicas: ${replicas:-2}\ncpu: ${cpu}\n";
        assert_eq!(substitute(text, &[p("cpu", "1"), p("replicas", "5")]).unwrap(), "replicas: 5\ncpu: 1\n");
        assert_eq!(substitute(text, &[p("cpu", "1")]).unwrap(), "replicas: 2\ncpu: 1\n");
        assert!(substitute(text, &[]).unwrap_err().contains("line 2: no value for ${cpu}"));
        assert!(substitute(text, &[p("cpu", "1"), p("nodes", "3")]).unwrap_err().contains("no ${nodes} placeholder"));
        assert!(substitute("a: ${x", &[]).unwrap_err().contains("unterminated"));
        assert!(substitute("a: ${1x}", &[]).unwrap_err().contains("invalid placeholder"));
        assert_eq!(substitute("no placeholders $ here", &[]).unwrap(), "no placeholders $ here");
        // A lone run takes the defaults and leaves the rest as written.
        let text = "n: ${nodes:-3}\ncmd: echo ${HOME} ${x:-a b}\nbad: ${1x:-2} ${open:-\n";
        assert_eq!(substitute_defaults(text), "n: 3\ncmd: echo ${HOME} a b\nbad: ${1x:-2} ${open:-\n");
    }

    #[test]
    fn runs_csv_round_trips() {
        let row = RunRow {
            run: 3,
            group: vec!["s".into(), "a,b".into()],
            policy: "Tetris".into(),
            seed: 9,
            digest: "d".into(),
            values: METRICS.iter().enumerate().map(|(i, _)| (i % 3 != 0).then_some(i as f64 / 4.0)).collect(),
            error: Some("stopped, early \"here\"".into()),
        };
        let columns = vec!["scenario".to_string(), "param".to_string()];
        let text = runs_csv(&columns, std::slice::from_ref(&row));
        let (cols, rows) = parse_runs_csv(&text).unwrap();
        assert_eq!(cols, columns);
        assert_eq!(rows, [row]);
        assert!(parse_runs_csv("policy,seed\n").is_err());
    }

    #[test]
    fn cells_are_compact() {
        assert_eq!(cell(Some(3.0)), "3");
        assert_eq!(cell(Some(0.5)), "0.5");
        assert_eq!(cell(Some(1.0 / 3.0)), "0.333333");
        assert_eq!(cell(Some(-0.0000001)), "0");
        assert_eq!(cell(None), "");
    }
}
