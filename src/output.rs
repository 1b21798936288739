//! Run outputs: `summary.json`, `pods.csv`, `timeseries.csv`, `packing.csv`, and with tracing
//! `decisions.jsonl` and `events.jsonl`; see `docs/metrics.md` for every column.
//!
//! Rendering is pure (strings from a finished simulation). Writing is the one place below the
//! CLI that touches the file system: every file is written to a temporary name in the output
//! directory and renamed into place, so an interrupted run never leaves a truncated file under
//! a final name; `summary.json` is written last, so its presence means the set is complete.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::engine::{CheckResult, Simulation};
use crate::kernel::SimTime;

/// Seconds with up to six decimals, trailing zeros trimmed (`630`, `630.1`).
pub fn secs(t: SimTime) -> String {
    let mut out = String::new();
    push_secs(&mut out, t);
    out
}

/// [`secs`], appended to `out`.
pub fn push_secs(out: &mut String, t: SimTime) {
    let micros = t.as_micros();
    let (whole, frac) = (micros / 1_000_000, micros % 1_000_000);
    out.push_str(itoa::Buffer::new().format(whole));
    if frac != 0 {
        let digits = [100_000, 10_000, 1_000, 100, 10, 1].map(|d| b'0' + (frac / d % 10) as u8);
        let end = digits.iter().rposition(|&d| d != b'0').expect("frac > 0") + 1;
        out.push('.');
        out.push_str(std::str::from_utf8(&digits[..end]).expect("ascii digits"));
    }
}

/// A CSV file written a field at a time (RFC 4180 quoting by `csv`), numbers and times
/// formatted into one reused buffer: a million-row file is written without an allocation per
/// row or field.
pub(crate) struct CsvRows<'w> {
    w: csv::Writer<&'w mut dyn std::io::Write>,
    buf: String,
    ints: itoa::Buffer,
}

impl<'w> CsvRows<'w> {
    /// Rows ended by `\n`, after `header`.
    pub(crate) fn new<'h>(
        out: &'w mut dyn std::io::Write,
        header: impl IntoIterator<Item = &'h str>,
    ) -> std::io::Result<CsvRows<'w>> {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(out);
        w.write_record(header)?;
        Ok(CsvRows { w, buf: String::new(), ints: itoa::Buffer::new() })
    }

    pub(crate) fn str(&mut self, s: &str) -> std::io::Result<()> {
        Ok(self.w.write_field(s)?)
    }

    pub(crate) fn int(&mut self, v: i64) -> std::io::Result<()> {
        Ok(self.w.write_field(self.ints.format(v))?)
    }

    /// A time in seconds ([`secs`]).
    pub(crate) fn secs(&mut self, t: SimTime) -> std::io::Result<()> {
        self.buf.clear();
        push_secs(&mut self.buf, t);
        Ok(self.w.write_field(&self.buf)?)
    }

    /// A time in seconds, empty for none.
    pub(crate) fn opt_secs(&mut self, t: Option<SimTime>) -> std::io::Result<()> {
        match t {
            Some(t) => self.secs(t),
            None => self.str(""),
        }
    }

    /// `first`, or `first/second`.
    pub(crate) fn joined(&mut self, first: &str, second: Option<&str>) -> std::io::Result<()> {
        let Some(second) = second else { return self.str(first) };
        self.buf.clear();
        self.buf.push_str(first);
        self.buf.push('/');
        self.buf.push_str(second);
        Ok(self.w.write_field(&self.buf)?)
    }

    /// Ends the row.
    pub(crate) fn end(&mut self) -> std::io::Result<()> {
        Ok(self.w.write_record(None::<&[u8]>)?)
    }

    pub(crate) fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

#[derive(Serialize)]
struct CheckJson {
    index: usize,
    expect: String,
    at_s: f64,
    result: &'static str,
    actual: String,
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    scenario: &'a str,
    file: &'a str,
    version: &'a str,
    seed: u64,
    digest: String,
    events: u64,
    journal_records: u64,
    sim_time_s: f64,
    until_s: f64,
    nodes: usize,
    pods_created: u64,
    pods_scheduled: u64,
    scheduling_attempts: u64,
    unschedulable_attempts: u64,
    checks_passed: usize,
    checks_failed: usize,
    checks: Vec<CheckJson>,
    stopped_early: Option<String>,
    not_simulated: Vec<String>,
    /// Per controller: syncs run and API writes made.
    controllers: std::collections::BTreeMap<&'static str, ControllerJson>,
    /// Scripted or initial Deployment changes and the time to converge on each.
    convergence: Vec<ConvergenceJson>,
    /// Request totals per loaded Service; absent without `spec.load`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    load: Vec<LoadJson>,
    /// The faults injected (scripted and drawn) and the recovery they were followed by.
    faults: FaultsJson,
    availability: AvailabilityJson,
}

#[derive(Serialize)]
struct FaultsJson {
    injected: usize,
    /// Faults that hit a pod of a Deployment, ReplicaSet or StatefulSet.
    hit_workloads: usize,
    recovered: usize,
    /// Mean time to recover over the recovered faults.
    mttr_s: Option<f64>,
}

#[derive(Serialize)]
struct AvailabilityJson {
    workloads: Vec<WorkloadAvailabilityJson>,
    services: Vec<ServiceAvailabilityJson>,
    jobs: Vec<JobAvailabilityJson>,
}

#[derive(Serialize)]
struct WorkloadAvailabilityJson {
    workload: String,
    desired: i32,
    min_ready: Option<i32>,
    time_below_desired_s: f64,
    episodes: u32,
    longest_episode_s: f64,
}

#[derive(Serialize)]
struct ServiceAvailabilityJson {
    service: String,
    zero_endpoints_s: f64,
    episodes: u32,
    longest_episode_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    dropped_requests: Option<f64>,
}

#[derive(Serialize)]
struct JobAvailabilityJson {
    job: String,
    retries: u32,
    time_lost_s: f64,
}

#[derive(Serialize)]
struct ControllerJson {
    reconciles: u64,
    writes: u64,
}

#[derive(Serialize)]
struct ConvergenceJson {
    action: String,
    deployment: String,
    started_s: f64,
    converged_s: Option<f64>,
    duration_s: Option<f64>,
    superseded_s: Option<f64>,
}

#[derive(Serialize)]
struct LoadJson {
    service: String,
    offered_requests: f64,
    served_requests: f64,
    dropped_requests: f64,
}

/// The version string printed in outputs and reproduction lines.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `summary.json`.
pub fn summary_json(sim: &Simulation, stopped_early: Option<&str>) -> String {
    let scenario = sim.scenario();
    let checks = sim.check_results();
    let stats = sim.stats();
    let mut not_simulated: Vec<String> = scenario.unmodelled.iter().cloned().collect();
    for p in sim.scheduler().profiles() {
        for name in &p.resolved.not_simulated {
            not_simulated.push(format!("scheduler plugin {name} (profile {})", p.name()));
        }
    }
    let summary = SummaryJson {
        scenario: &scenario.name,
        file: &scenario.file,
        version: VERSION,
        seed: sim.seed(),
        digest: sim.digest(),
        events: stats.events,
        journal_records: sim.journal().record_count(),
        sim_time_s: sim.now().as_secs_f64(),
        until_s: sim.until().as_secs_f64(),
        nodes: sim.store().node_count(),
        pods_created: stats.pods_created,
        pods_scheduled: stats.pods_scheduled,
        scheduling_attempts: stats.scheduling_attempts,
        unschedulable_attempts: stats.unschedulable_attempts,
        checks_passed: checks.iter().filter(|c| c.passed).count(),
        checks_failed: checks.iter().filter(|c| !c.passed).count(),
        checks: checks.iter().map(check_json).collect(),
        stopped_early: stopped_early.map(str::to_string),
        not_simulated,
        controllers: sim
            .controller_stats()
            .into_iter()
            .map(|(name, s)| (name, ControllerJson { reconciles: s.reconciles, writes: s.writes }))
            .collect(),
        convergence: sim
            .convergence()
            .into_iter()
            .map(|c| ConvergenceJson {
                started_s: c.started.as_secs_f64(),
                converged_s: c.converged.map(|t| t.as_secs_f64()),
                duration_s: c.converged.map(|t| t.saturating_since(c.started).as_secs_f64()),
                superseded_s: c.superseded.map(|t| t.as_secs_f64()),
                action: c.action,
                deployment: c.deployment,
            })
            .collect(),
        load: sim
            .traffic()
            .services()
            .iter()
            .map(|s| {
                let t = sim.traffic().totals(s, sim.now());
                // Thousandths of a request, exactly representable as decimals of at most 3 digits.
                let requests = |milli: u64| milli as f64 / 1000.0;
                LoadJson {
                    service: s.key(),
                    offered_requests: requests(t.offered_milli),
                    served_requests: requests(t.served_milli),
                    dropped_requests: requests(t.dropped_milli),
                }
            })
            .collect(),
        faults: {
            let log = sim.fault_log();
            FaultsJson {
                injected: log.len(),
                hit_workloads: log.iter().filter(|r| r.hit_workloads).count(),
                recovered: log.iter().filter(|r| r.recovered.is_some()).count(),
                mttr_s: crate::availability::mttr(log).map(|d| d.as_secs_f64()),
            }
        },
        availability: availability_json(sim),
    };
    let mut text = serde_json::to_string_pretty(&summary).expect("serializable");
    text.push('\n');
    text
}

fn availability_json(sim: &Simulation) -> AvailabilityJson {
    let a = sim.availability();
    let now = sim.now();
    AvailabilityJson {
        workloads: a
            .workloads()
            .map(|w| {
                let (episodes, total, longest) = w.below.at(now);
                WorkloadAvailabilityJson {
                    workload: w.name.clone(),
                    desired: w.desired,
                    min_ready: w.min_ready,
                    time_below_desired_s: total.as_secs_f64(),
                    episodes,
                    longest_episode_s: longest.as_secs_f64(),
                }
            })
            .collect(),
        services: a
            .services()
            .map(|s| {
                let (episodes, total, longest) = s.zero.at(now);
                ServiceAvailabilityJson {
                    service: s.name.clone(),
                    zero_endpoints_s: total.as_secs_f64(),
                    episodes,
                    longest_episode_s: longest.as_secs_f64(),
                    dropped_requests: sim.dropped_requests_milli(&s.name).map(|m| m as f64 / 1000.0),
                }
            })
            .collect(),
        jobs: a
            .jobs()
            .map(|j| JobAvailabilityJson {
                job: j.name.clone(),
                retries: j.retries,
                time_lost_s: j.time_lost.as_secs_f64(),
            })
            .collect(),
    }
}

/// `availability.csv`.
pub fn availability_csv(sim: &Simulation) -> String {
    crate::availability::availability_csv(sim.availability(), sim.now(), &|s| sim.dropped_requests_milli(s))
}

/// `faults.csv`.
pub fn faults_csv(sim: &Simulation) -> String {
    crate::faults::faults_csv(sim.fault_log())
}

fn check_json(c: &CheckResult) -> CheckJson {
    CheckJson {
        index: c.index,
        expect: c.text.clone(),
        at_s: c.at.as_secs_f64(),
        result: if c.passed { "pass" } else { "fail" },
        actual: c.actual.clone(),
    }
}

/// `pods.csv`: one row per pod ever created, in creation order.
pub fn pods_csv(sim: &Simulation) -> String {
    let mut out = Vec::new();
    write_pods_csv(sim, &mut out).expect("in memory");
    String::from_utf8(out).expect("utf-8")
}

/// Writes [`pods_csv`] to `out` row by row: a million-pod run's file is never held whole.
pub fn write_pods_csv(sim: &Simulation, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let store = sim.store();
    let header = [
        "namespace",
        "name",
        "owner",
        "node",
        "created_s",
        "scheduled_s",
        "ready_s",
        "finished_s",
        "phase",
        "restarts",
        "reason",
    ];
    let mut w = CsvRows::new(out, header)?;
    for pod in store.pod_entries() {
        w.str(pod.namespace())?;
        w.str(pod.name())?;
        match pod.controller() {
            Some((kind, name)) => w.joined(kind.resource(), Some(name))?,
            None => w.str("")?,
        }
        w.str(pod.node().map_or("", |n| store.node(n).meta.name.as_str()))?;
        w.secs(pod.created())?;
        w.opt_secs(pod.scheduled_at())?;
        w.opt_secs(pod.first_ready_at())?;
        w.opt_secs(pod.finished_at())?;
        w.str(pod.shown_phase())?;
        w.int(i64::from(pod.restart_count()))?;
        w.str(pod.reason())?;
        w.end()?;
    }
    w.flush()
}

/// `timeseries.csv`: one row per sample.
pub fn timeseries_csv(sim: &Simulation) -> String {
    let mut out = Vec::new();
    write_timeseries_csv(sim, &mut out).expect("in memory");
    String::from_utf8(out).expect("utf-8")
}

/// Writes [`timeseries_csv`] to `out` row by row (a long trace has ~100 k rows).
pub fn write_timeseries_csv(sim: &Simulation, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let recorder = sim.recorder();
    let scalar_names: Vec<&str> = recorder
        .values()
        .flat_map(|s| s.scalars.iter().map(|(n, _, _)| &**n))
        .collect::<std::collections::BTreeSet<&str>>()
        .into_iter()
        .collect();
    let mut line = String::from(
        "time_s,nodes,nodes_ready,pods_pending,pods_running,pods_ready,pods_terminating,pods_succeeded,pods_failed,cpu_requested_m,cpu_allocatable_m,memory_requested_bytes,memory_allocatable_bytes,api_writes,nodes_used,cpu_stranded_m,memory_stranded_bytes",
    );
    for name in &scalar_names {
        let _ = write!(line, ",{name}_requested,{name}_allocatable");
    }
    // With GPU devices: the free and the fragmented GPU milli.
    let gpus = recorder.values().any(|s| s.gpu.is_some());
    if gpus {
        line.push_str(",gpu_free_milli,gpu_fragmented_milli");
    }
    // One triple of columns per loaded Service (none without spec.load).
    let services = sim.traffic().services();
    for s in services {
        let key = s.key();
        let _ = write!(line, ",{key}_offered_rps,{key}_served_rps,{key}_dropped_rps");
    }
    line.push('\n');
    out.write_all(line.as_bytes())?;
    // Rows are most of a long run's output: integers go through `itoa`, not `fmt`.
    let mut buf = itoa::Buffer::new();
    let mut int = |line: &mut String, v: i64| {
        line.push(',');
        line.push_str(buf.format(v));
    };
    // A run of rows with equal values differs only in the time and in its first row's
    // api_writes (the writes since the row before; none within the run): its columns after
    // the time are formatted once or twice, not per row.
    let mut previous_writes = 0u64;
    let mut tail = String::new();
    for (times, s) in recorder.runs() {
        for (k, &time) in times.iter().enumerate() {
            if k <= 1 {
                tail.clear();
                let writes = if k == 0 { s.api_writes_total - previous_writes } else { 0 };
                timeseries_tail(&mut tail, s, writes, &scalar_names, gpus, services.len(), &mut int);
            }
            line.clear();
            push_secs(&mut line, time);
            line.push_str(&tail);
            out.write_all(line.as_bytes())?;
        }
        previous_writes = s.api_writes_total;
    }
    Ok(())
}

/// The columns of a `timeseries.csv` row after its time, and its newline.
fn timeseries_tail(
    line: &mut String,
    s: &crate::metrics::Sample,
    writes: u64,
    scalar_names: &[&str],
    gpus: bool,
    services: usize,
    int: &mut impl FnMut(&mut String, i64),
) {
    for v in [s.nodes, s.nodes_ready, s.pods_pending, s.pods_running, s.pods_ready, s.pods_terminating] {
        int(line, i64::from(v));
    }
    int(line, i64::from(s.pods_succeeded));
    int(line, i64::from(s.pods_failed));
    for v in [s.cpu_requested_milli, s.cpu_allocatable_milli, s.memory_requested_bytes, s.memory_allocatable_bytes] {
        int(line, v);
    }
    int(line, writes as i64);
    int(line, i64::from(s.nodes_used));
    int(line, s.cpu_stranded_milli);
    int(line, s.memory_stranded_bytes);
    for name in scalar_names {
        let (req, alloc) = s.scalars.iter().find(|(n, _, _)| &**n == *name).map_or((0, 0), |(_, r, a)| (*r, *a));
        int(line, req);
        int(line, alloc);
    }
    if gpus {
        let (free, fragmented) = s.gpu.unwrap_or_default();
        int(line, free);
        int(line, fragmented);
    }
    for i in 0..services {
        let (offered, served, dropped) = s.traffic.get(i).copied().unwrap_or_default();
        let rate = crate::load::format_rate;
        let _ = write!(line, ",{},{},{}", rate(offered), rate(served), rate(dropped));
    }
    line.push('\n');
}

/// `events.jsonl`: every journal record (needs `trace_events`).
pub fn events_jsonl(sim: &Simulation) -> String {
    let mut out = String::new();
    for (t, r) in sim.journal().records() {
        out.push_str(&r.to_json(*t));
        out.push('\n');
    }
    out
}

/// The outcome of running a scenario twice ([`verify_determinism`]).
#[derive(Debug, PartialEq, Eq)]
pub enum Determinism {
    /// Same digest and the same bytes in every output file.
    Identical { digest: String },
    /// The runs differ: the first journal record that differs (1-based, with both sides as
    /// `events.jsonl` lines, `None` where one run had ended), or the first output file.
    Differs { message: String },
}

/// One run's observable result, for [`compare_runs`]: digest, `events.jsonl` text, outputs.
pub struct RunRecord {
    pub digest: String,
    pub events: String,
    pub files: Vec<(&'static str, String)>,
}

/// Runs `scenario` once, keeping what [`compare_runs`] compares. `options.trace_events` is
/// forced on (the journal's records are kept); `events.jsonl` is not among `files`.
pub fn record_run(
    scenario: &std::sync::Arc<crate::scenario::Scenario>,
    seed: Option<u64>,
    until: Option<SimTime>,
    options: crate::engine::RunOptions,
) -> RunRecord {
    let options = crate::engine::RunOptions { trace_events: true, ..options };
    let mut sim = Simulation::new(scenario.clone(), seed, until, options);
    let stopped = sim.run().err().map(|e| e.to_string());
    let events = events_jsonl(&sim);
    let files = render_all(&mut sim, stopped.as_deref(), options.trace_decisions, false);
    RunRecord { digest: sim.digest(), events, files }
}

/// Compares two runs: digests, journals record by record, output files byte by byte.
pub fn compare_runs(a: &RunRecord, b: &RunRecord) -> Determinism {
    if a.digest != b.digest || a.events != b.events {
        let (mut la, mut lb) = (a.events.lines(), b.events.lines());
        let mut n = 0usize;
        loop {
            n += 1;
            match (la.next(), lb.next()) {
                (Some(x), Some(y)) if x == y => continue,
                (None, None) => break,
                (x, y) => {
                    return Determinism::Differs {
                        message: format!(
                            "digests {} and {}; first difference at journal record {n}:\n  first run:  {}\n  second run: {}",
                            a.digest,
                            b.digest,
                            x.unwrap_or("(ended)"),
                            y.unwrap_or("(ended)")
                        ),
                    };
                }
            }
        }
        return Determinism::Differs { message: format!("digests {} and {} differ", a.digest, b.digest) };
    }
    for ((name, x), (_, y)) in a.files.iter().zip(&b.files) {
        if x != y {
            let line = x.lines().zip(y.lines()).position(|(p, q)| p != q).map_or(0, |i| i + 1);
            return Determinism::Differs { message: format!("{name} differs (first at line {line})") };
        }
    }
    Determinism::Identical { digest: a.digest.clone() }
}

/// Runs `scenario` twice with the same seed and options and compares the two runs.
pub fn verify_determinism(
    scenario: &std::sync::Arc<crate::scenario::Scenario>,
    seed: Option<u64>,
    until: Option<SimTime>,
    options: crate::engine::RunOptions,
) -> Determinism {
    compare_runs(&record_run(scenario, seed, until, options), &record_run(scenario, seed, until, options))
}

/// Lines to JSONL text.
pub fn jsonl(lines: &[String]) -> String {
    let mut out = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// Writes `contents` to `dir/name` atomically (temporary file in the same directory, then
/// rename).
pub fn write_atomic(dir: &Path, name: &str, contents: &[u8]) -> std::io::Result<PathBuf> {
    write_atomic_with(dir, name, |w| w.write_all(contents))
}

/// Writes what `render` writes to `dir/name` atomically: into a temporary file in the same
/// directory, through a buffer, synced, then renamed. An interrupted or failed write leaves
/// no file under the final name.
pub fn write_atomic_with(
    dir: &Path,
    name: &str,
    render: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<PathBuf> {
    let final_path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&tmp)?);
        render(&mut w)?;
        let f = w.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &final_path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| final_path)
}

/// The names of a run's files, in the order they are written (`summary.json` last).
pub fn file_names(trace_decisions: bool, trace_events: bool) -> Vec<&'static str> {
    let mut names = vec!["pods.csv", "timeseries.csv", "faults.csv", "availability.csv", "packing.csv"];
    if trace_decisions {
        names.push("decisions.jsonl");
    }
    if trace_events {
        names.push("events.jsonl");
    }
    names.push("summary.json");
    names
}

/// Writes the run's file `name` (one of [`file_names`]) to `out`. The large ones (`pods.csv`,
/// `packing.csv`, `timeseries.csv`) go out row by row. `decisions.jsonl` takes the recorded decisions: render it
/// once.
pub fn render_file(
    sim: &mut Simulation,
    name: &str,
    stopped_early: Option<&str>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let text = match name {
        "pods.csv" => return write_pods_csv(sim, out),
        "packing.csv" => return crate::packing_view::Placements::write_csv_of(sim, out),
        "timeseries.csv" => return write_timeseries_csv(sim, out),
        "faults.csv" => faults_csv(sim),
        "availability.csv" => availability_csv(sim),
        "decisions.jsonl" => jsonl(&sim.take_decisions()),
        "events.jsonl" => events_jsonl(sim),
        "summary.json" => summary_json(sim, stopped_early),
        other => unreachable!("not a run file: {other}"),
    };
    out.write_all(text.as_bytes())
}

/// The files of a run in memory, in the order they are written (`summary.json` last).
pub fn render_all(
    sim: &mut Simulation,
    stopped_early: Option<&str>,
    trace_decisions: bool,
    trace_events: bool,
) -> Vec<(&'static str, String)> {
    file_names(trace_decisions, trace_events)
        .into_iter()
        .map(|name| {
            let mut out = Vec::new();
            render_file(sim, name, stopped_early, &mut out).expect("in memory");
            (name, String::from_utf8(out).expect("utf-8"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_format() {
        assert_eq!(secs(SimTime::from_secs(630)), "630");
        assert_eq!(secs(SimTime::from_micros(630_100_000)), "630.1");
        assert_eq!(secs(SimTime::from_micros(1)), "0.000001");
        assert_eq!(secs(SimTime::ZERO), "0");
        assert_eq!(secs(SimTime::from_micros(12_340_500)), "12.3405");
        assert_eq!(secs(SimTime::MAX), "18446744073709.551614");
        assert_eq!(SimTime::from_micros(u64::MAX), SimTime::MAX, "saturates");
    }
}
