//! `kubesim bench SCENARIO... [--repeat N] [--timeout S] [--json]`: end-to-end benchmarks.
//! Each run is its own process (this binary again, with the hidden `--one` flag), so that its
//! peak resident memory (`VmHWM` of `/proc/self/status`) is its own; the parent waits for it
//! at most `--timeout` seconds, reads the child's `VmHWM` before stopping it, and keeps the
//! last progress line it printed. A run = load the scenario (parse, manifests, traces), run it
//! to its end, render every output file in memory (as `kubesim run` does, without writing
//! them). Wall-clock time is read here and only here, for the report: nothing it measures
//! reaches a simulation (the child's run is `Simulation::run`'s, step by step).
//!
//! Output: one Markdown table row per scenario (median over `--repeat` runs), or with
//! `--json` one JSON object per scenario with every run. Exit codes: 0 every run finished,
//! 2 a bad flag or file or a run that failed, 5 a run stopped at `--timeout`.

use std::io::{BufRead as _, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::engine::{RunOptions, Simulation};
use crate::kernel::SimTime;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Scenario files; each is run separately.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Runs per scenario; the table shows the median of each measure.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeat: u32,
    /// Stop a run after this many seconds of wall time and report it as "> S s".
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: Option<u64>,
    /// Print one JSON object per scenario (every run) instead of the Markdown table.
    #[arg(long)]
    pub json: bool,
    /// Override spec.seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run one scenario in this process and print its measures as JSON (used by bench itself).
    #[arg(long, hide = true)]
    pub one: bool,
}

/// The measures of one finished run (the child's stdout).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Measure {
    pub scenario: String,
    pub nodes: usize,
    pub sim_time_s: f64,
    pub events: u64,
    pub pods_created: u64,
    pub pods_scheduled: u64,
    pub unschedulable_attempts: u64,
    /// pods scheduled + unschedulable attempts.
    pub decisions: u64,
    pub load_s: f64,
    pub run_s: f64,
    pub outputs_s: f64,
    pub wall_s: f64,
    /// Peak resident set of the process in KiB (`VmHWM`), None where /proc is absent.
    pub peak_rss_kib: Option<u64>,
    /// Whether huge pages were asked for under the run's heap (`kubesim::heap`, docs/scale.md).
    #[serde(default)]
    pub huge_pages: bool,
    pub checks_failed: usize,
    pub digest: String,
    /// Why the run stopped early (an event limit, a broken invariant), if it did.
    pub error: Option<String>,
}

/// A run's outcome as the parent sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum Outcome {
    Finished(Measure),
    /// Stopped at the timeout: the last progress line and the peak memory then.
    TimedOut {
        timeout_s: u64,
        progress: Option<Progress>,
        peak_rss_kib: Option<u64>,
    },
    /// The child failed (bad input, out of memory, ...): its error, and its last progress line.
    Failed {
        message: String,
        progress: Option<Progress>,
    },
}

/// A child's progress line: `progress <sim µs> <events> <pods created> <decisions> <wall s>`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
struct Progress {
    sim_time_s: f64,
    events: u64,
    pods_created: u64,
    decisions: u64,
    wall_s: f64,
}

fn parse_progress(line: &str) -> Option<Progress> {
    let mut it = line.strip_prefix("progress ")?.split(' ');
    let sim_us: u64 = it.next()?.parse().ok()?;
    Some(Progress {
        sim_time_s: sim_us as f64 / 1e6,
        events: it.next()?.parse().ok()?,
        pods_created: it.next()?.parse().ok()?,
        decisions: it.next()?.parse().ok()?,
        wall_s: it.next()?.parse().ok()?,
    })
}

/// `VmHWM` of a `/proc/<pid>/status` text, in KiB.
fn vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()
}

fn peak_rss_of(pid: &str) -> Option<u64> {
    vm_hwm(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
}

/// The wall clock, for the report only.
// Benchmarks measure wall time; no value read here reaches a simulation.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

/// The child: load, run, render; print progress to stderr (at each 1 % of the run's length)
/// and the measures to stdout.
fn run_one(path: &Path, seed: Option<u64>) -> Result<Measure, String> {
    let t0 = now();
    let scenario = Arc::new(super::load(path)?);
    let t1 = now();
    // Never dropped, as in `kubesim run`: the child ends after measuring.
    let mut sim = std::mem::ManuallyDrop::new(Simulation::new(scenario.clone(), seed, None, RunOptions::default()));
    let until = sim.until().as_micros().max(1);
    let mut next_mark = 1u64;
    let mut last_print = t0;
    let mut error = None;
    let progress = |sim: &Simulation| {
        let s = sim.stats();
        eprintln!(
            "progress {} {} {} {} {:.3}",
            sim.now().as_micros(),
            s.events,
            s.pods_created,
            s.pods_scheduled + s.unschedulable_attempts,
            t0.elapsed().as_secs_f64()
        );
    };
    loop {
        match sim.step() {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
        // At each 1 % of the run's length, and at least once a wall-clock second.
        let mark = sim.now().as_micros() >= until / 100 * next_mark;
        if mark || (sim.stats().events.is_multiple_of(1024) && last_print.elapsed() >= Duration::from_secs(1)) {
            progress(&sim);
            last_print = now();
            next_mark = sim.now().as_micros() * 100 / until + 1;
        }
    }
    if error.is_none()
        && let Err(e) = sim.run()
    {
        error = Some(e.to_string());
    }
    let t2 = now();
    // Rendered as `kubesim run` writes them, one file at a time and streamed, into a sink
    // that counts the bytes.
    let mut sink = CountingSink(0);
    for name in crate::output::file_names(false, false) {
        crate::output::render_file(&mut sim, name, error.as_deref(), &mut sink).map_err(|e| e.to_string())?;
    }
    std::hint::black_box(sink.0);
    let t3 = now();
    let stats = sim.stats();
    let secs = |a: Instant, b: Instant| (b - a).as_secs_f64();
    Ok(Measure {
        scenario: path.display().to_string(),
        nodes: sim.store().node_count(),
        sim_time_s: (sim.now() - SimTime::ZERO).as_secs_f64(),
        events: stats.events,
        pods_created: stats.pods_created,
        pods_scheduled: stats.pods_scheduled,
        unschedulable_attempts: stats.unschedulable_attempts,
        decisions: stats.pods_scheduled + stats.unschedulable_attempts,
        load_s: secs(t0, t1),
        run_s: secs(t1, t2),
        outputs_s: secs(t2, t3),
        wall_s: secs(t0, t3),
        peak_rss_kib: peak_rss_of("self"),
        huge_pages: crate::heap::huge_pages_used(),
        checks_failed: sim.check_results().iter().filter(|c| !c.passed).count(),
        digest: sim.digest(),
        error,
    })
}

fn failed(message: String) -> Outcome {
    Outcome::Failed { message, progress: None }
}

/// The parent: one child process per run.
fn spawn_run(path: &Path, seed: Option<u64>, timeout: Option<u64>) -> Outcome {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return failed(format!("cannot find the kubesim binary: {e}")),
    };
    let mut cmd = Command::new(exe);
    cmd.arg("bench").arg("--one").arg(path);
    if let Some(s) = seed {
        cmd.arg("--seed").arg(s.to_string());
    }
    let mut child = match cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn() {
        Ok(c) => c,
        Err(e) => return failed(format!("cannot start a run: {e}")),
    };
    // The child's stderr (progress lines, errors) is read as it comes, so the child never
    // blocks on a full pipe; its stdout is one line.
    let stderr = child.stderr.take();
    // A reader thread for the child's stderr: it measures nothing and decides nothing.
    #[allow(clippy::disallowed_methods)]
    let reader = std::thread::spawn(move || {
        let mut last_progress = None;
        let mut lines = Vec::new();
        if let Some(e) = stderr {
            for line in std::io::BufReader::new(e).lines().map_while(Result::ok) {
                match parse_progress(&line) {
                    Some(p) => last_progress = Some(p),
                    None => lines.push(line),
                }
            }
        }
        (last_progress, lines)
    });
    let start = now();
    let mut timed_out = None;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) => {}
            Err(e) => return failed(format!("cannot wait for a run: {e}")),
        }
        if let Some(t) = timeout
            && start.elapsed() >= Duration::from_secs(t)
        {
            let peak = peak_rss_of(&child.id().to_string());
            let _ = child.kill();
            let _ = child.wait();
            timed_out = Some((t, peak));
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut out = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    let (progress, err_lines) = reader.join().unwrap_or_default();
    if let Some((timeout_s, peak_rss_kib)) = timed_out {
        return Outcome::TimedOut { timeout_s, progress, peak_rss_kib };
    }
    match serde_json::from_str::<Measure>(out.trim()) {
        Ok(m) => Outcome::Finished(m),
        Err(_) => {
            let mut message: Vec<&str> = err_lines.iter().map(String::as_str).collect();
            if message.is_empty() {
                message.push("the run ended without a result (killed? out of memory?)");
            }
            Outcome::Failed { message: message.join("\n"), progress }
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// A rate with a unit suffix: `1.23 M/s`, `45.6 k/s`, `789 /s`.
fn rate(count: u64, secs: f64) -> String {
    if secs <= 0.0 {
        return "–".into();
    }
    let r = count as f64 / secs;
    if r >= 1e6 {
        format!("{:.2} M/s", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.1} k/s", r / 1e3)
    } else {
        format!("{r:.0} /s")
    }
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "n/a".to_string(), |k| format!("{:.0} MB", k as f64 * 1024.0 / 1e6))
}

/// Seconds with three significant figures at least down to milliseconds.
fn seconds(s: f64) -> String {
    if s >= 100.0 {
        format!("{s:.0}")
    } else if s >= 10.0 {
        format!("{s:.1}")
    } else if s >= 1.0 {
        format!("{s:.2}")
    } else {
        format!("{s:.3}")
    }
}

pub const TABLE_HEADER: &str = "| scenario | nodes | pods created | events | decisions | wall (s) | load / run / outputs (s) | events/s (run) | decisions/s (run) | peak RSS |\n|---|---|---|---|---|---|---|---|---|---|";

fn row(name: &str, runs: &[Outcome]) -> String {
    let finished: Vec<&Measure> = runs
        .iter()
        .filter_map(|o| match o {
            Outcome::Finished(m) => Some(m),
            _ => None,
        })
        .collect();
    if let Some(Outcome::TimedOut { timeout_s, progress, peak_rss_kib }) =
        runs.iter().find(|o| matches!(o, Outcome::TimedOut { .. }))
    {
        let (pods, events, decisions, rates) = match progress {
            Some(p) => (
                format!("≥ {} (at {})", p.pods_created, SimTime::from_micros((p.sim_time_s * 1e6) as u64)),
                format!("≥ {}", p.events),
                format!("≥ {}", p.decisions),
                (rate(p.events, p.wall_s), rate(p.decisions, p.wall_s)),
            ),
            None => ("?".into(), "?".into(), "?".into(), ("–".into(), "–".into())),
        };
        return format!(
            "| {name} | – | {pods} | {events} | {decisions} | > {timeout_s} | – | {} | {} | ≥ {} |",
            rates.0,
            rates.1,
            mib(*peak_rss_kib)
        );
    }
    if finished.len() != runs.len() || finished.is_empty() {
        let reached = runs.iter().find_map(|o| match o {
            Outcome::Failed { message, progress } => {
                let cause = message.lines().next().unwrap_or_default().trim_start_matches("error: ");
                let at = progress.map(|p| {
                    format!(
                        ", after {:.0} s, at {} with ≥ {} pods",
                        p.wall_s,
                        SimTime::from_micros((p.sim_time_s * 1e6) as u64),
                        p.pods_created
                    )
                });
                Some(format!(" ({cause}{})", at.unwrap_or_default()))
            }
            _ => None,
        });
        return format!("| {name} | failed{} | | | | | | | | |", reached.unwrap_or_default());
    }
    let m = finished[0];
    let wall = median(finished.iter().map(|m| m.wall_s).collect());
    let load = median(finished.iter().map(|m| m.load_s).collect());
    let run = median(finished.iter().map(|m| m.run_s).collect());
    let outputs = median(finished.iter().map(|m| m.outputs_s).collect());
    let rss = if finished.iter().all(|m| m.peak_rss_kib.is_some()) {
        Some(median(finished.iter().map(|m| m.peak_rss_kib.unwrap_or(0) as f64).collect()) as u64)
    } else {
        None
    };
    let note = if m.error.is_some() { " (stopped early)" } else { "" };
    format!(
        "| {name}{note} | {} | {} | {} | {} | {} | {} / {} / {} | {} | {} | {} |",
        m.nodes,
        m.pods_created,
        m.events,
        m.decisions,
        seconds(wall),
        seconds(load),
        seconds(run),
        seconds(outputs),
        rate(m.events, run),
        rate(m.decisions, run),
        mib(rss)
    )
}

/// Runs `kubesim bench`; returns the exit code.
pub fn run(args: BenchArgs) -> i32 {
    if args.one {
        let [path] = args.scenarios.as_slice() else {
            eprintln!("error: --one runs exactly one scenario");
            return 2;
        };
        return match run_one(path, args.seed) {
            Ok(m) => match serde_json::to_string(&m) {
                Ok(line) => {
                    println!("{line}");
                    0
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    2
                }
            },
            Err(e) => {
                eprintln!("error: {e}");
                2
            }
        };
    }
    let mut code = 0;
    if !args.json {
        println!("{TABLE_HEADER}");
    }
    for path in &args.scenarios {
        let name = path.file_stem().map_or_else(|| path.display().to_string(), |s| s.to_string_lossy().into_owned());
        let mut runs = Vec::new();
        for i in 1..=args.repeat {
            eprintln!("bench: {} run {i}/{}", path.display(), args.repeat);
            let outcome = spawn_run(path, args.seed, args.timeout);
            match &outcome {
                Outcome::Failed { message, .. } => {
                    eprintln!("error: {}: {message}", path.display());
                    code = 2;
                }
                Outcome::TimedOut { timeout_s, .. } => {
                    eprintln!("bench: {} stopped after {timeout_s} s", path.display());
                    if code == 0 {
                        code = 5;
                    }
                }
                Outcome::Finished(m) => {
                    if let Some(e) = &m.error {
                        eprintln!("bench: {}: the run stopped early: {e}", path.display());
                    }
                }
            }
            let stop = !matches!(outcome, Outcome::Finished(_));
            runs.push(outcome);
            if stop {
                break;
            }
        }
        if args.json {
            let value = serde_json::json!({"scenario": path.display().to_string(), "runs": runs});
            println!("{value}");
        } else {
            println!("{}", row(&name, &runs));
        }
    }
    code
}

/// Discards what is written, counting the bytes.
struct CountingSink(u64);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_hwm_and_progress_lines() {
        let status = "Name:\tkubesim\nVmPeak:\t  20000 kB\nVmHWM:\t   13312 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(vm_hwm(status), Some(13312));
        assert_eq!(vm_hwm("Name: x\n"), None);
        let p = parse_progress("progress 3600000000 10 5 6 1.500").unwrap();
        assert_eq!((p.sim_time_s, p.events, p.pods_created, p.decisions, p.wall_s), (3600.0, 10, 5, 6, 1.5));
        assert_eq!(parse_progress("error: x"), None);
    }

    #[test]
    fn medians_and_units() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(rate(2_500_000, 1.0), "2.50 M/s");
        assert_eq!(rate(1500, 1.0), "1.5 k/s");
        assert_eq!(mib(None), "n/a");
        assert_eq!(seconds(0.0312), "0.031");
    }

    #[test]
    fn a_stopped_run_is_reported_as_such() {
        let progress = parse_progress("progress 7200000000 1000000 40000 50000 300.0");
        let row = row("big", &[Outcome::TimedOut { timeout_s: 300, progress, peak_rss_kib: Some(2_000_000) }]);
        assert_eq!(
            row,
            "| big | – | ≥ 40000 (at 2h) | ≥ 1000000 | ≥ 50000 | > 300 | – | 3.3 k/s | 167 /s | ≥ 2048 MB |"
        );
        let row = super::row("oom", &[Outcome::Failed { message: "killed".into(), progress }]);
        assert!(row.starts_with("| oom | failed (killed, after 300 s, at 2h with ≥ 40000 pods) |"), "{row}");
    }
}
