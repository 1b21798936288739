//! Instruction-count regression gate (issue 7): the hot paths run under valgrind's callgrind,
//! whose count of executed instructions (`Ir`) barely moves between runs or with the load of a
//! shared 2-core machine, unlike wall time. Each workload's count is compared with the committed
//! baseline `benches/icount-baseline.json`; a count above `threshold` × baseline fails.
//!
//! ```sh
//! cargo bench --bench icount                     # measure, compare, print the table
//! cargo bench --bench icount -- --update         # measure and rewrite the baseline
//! cargo bench --bench icount -- --only kernel    # only the workloads whose name contains "kernel"
//! cargo bench --bench icount -- --list           # the workloads, not run
//! ```
//!
//! Exit code 0 when every workload is within the threshold (or valgrind is missing: the gate
//! says SKIPPED), 1 on a regression, a workload that failed or one without a baseline, 2 for
//! bad flags or an unreadable baseline. The in-process workloads are the criterion benches'
//! own (`benches/common/`): only the measured function is counted (callgrind's
//! `--toggle-collect`), not building the queue or the cluster. The end-to-end workloads are
//! whole `kubesim run` processes of the release binary (loading, the run, writing the outputs).
//! Never part of `cargo test`: `.ci/run` runs it as a step of its own.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use serde::{Deserialize, Serialize};

#[path = "common/cluster.rs"]
mod cluster;
#[path = "common/hold.rs"]
mod hold;

/// Above this ratio of the baseline, a workload fails. Instruction counts of one binary are
/// reproducible to well under 1 %; a different rustc, LLVM, libc or valgrind moves them by a
/// few percent; a real regression of a hot path is usually tens of percent or more.
const DEFAULT_THRESHOLD: f64 = 1.5;

/// Below this ratio the table suggests updating the baseline (never a failure).
const IMPROVED_BELOW: f64 = 0.80;

/// The name callgrind toggles collection on; every in-process workload runs inside it.
const MEASURED_FN: &str = "icount_measured";

struct Workload {
    name: &'static str,
    what: &'static str,
    kind: Kind,
}

enum Kind {
    /// In this binary, re-executed as `icount --workload NAME`; only `icount_measured` counts.
    InProcess(fn()),
    /// `kubesim run FILE --quiet --out TMP`, FILE relative to the crate root; the whole process counts.
    Scenario(&'static str),
    /// `kubesim generate scale ARGS --out TMP/scale.yaml` (not counted), then run as `Scenario`.
    GeneratedScale(&'static [&'static str]),
}

fn workloads() -> Vec<Workload> {
    vec![
        Workload {
            name: "kernel_hold_1k",
            what: "kernel hold model, 1,000 pending events, 200,000 pop + schedule",
            kind: Kind::InProcess(kernel_hold_1k),
        },
        Workload {
            name: "kernel_hold_1m",
            what: "kernel hold model, 1,000,000 pending events, 200,000 pop + schedule",
            kind: Kind::InProcess(kernel_hold_1m),
        },
        Workload {
            name: "scheduler_5000_nodes_default_sampling",
            what: "500 decisions, default profile, 5,000 nodes, adaptive percentageOfNodesToScore",
            kind: Kind::InProcess(scheduler_5000_default),
        },
        Workload {
            name: "scheduler_1000_nodes_score_all",
            what: "200 decisions, default profile, 1,000 nodes, percentageOfNodesToScore 100",
            kind: Kind::InProcess(scheduler_1000_all),
        },
        Workload {
            name: "run_ml_model_machine_failure",
            what: "kubesim run scenarios/ml-model-machine-failure.yaml (6 nodes, 30 min, a node failure)",
            kind: Kind::Scenario("scenarios/ml-model-machine-failure.yaml"),
        },
        Workload {
            name: "run_generated_scale_20n_2000p",
            what: "kubesim run of `kubesim generate scale --nodes 20 --pods 2000 --duration 1h`",
            kind: Kind::GeneratedScale(&["--nodes", "20", "--pods", "2000", "--duration", "1h", "--seed", "1"]),
        },
        Workload {
            name: "run_gpu_fgd_fill",
            what: "kubesim run benches/icount/gpu-fgd.yaml (FGD alone, 320 nodes, 960 GPUs, fill to 120 %)",
            kind: Kind::Scenario("benches/icount/gpu-fgd.yaml"),
        },
    ]
}

// ---------------------------------------------------------------------------------------------
// The in-process workloads. Setup runs outside `icount_measured`, so callgrind does not count it.

/// Collection is on only inside this function (`--collect-atstart=no --toggle-collect`).
#[inline(never)]
#[unsafe(no_mangle)]
pub extern "Rust" fn icount_measured(f: &mut dyn FnMut()) {
    f();
}

fn kernel_hold(pending: usize) {
    let incs = hold::increments(1 << 20);
    let mut q = hold::filled(pending, &incs);
    icount_measured(&mut || hold::hold(&mut q, &incs, pending, 200_000));
    std::hint::black_box(q.len());
}

fn kernel_hold_1k() {
    kernel_hold(1_000);
}

fn kernel_hold_1m() {
    kernel_hold(1_000_000);
}

fn scheduler(nodes: usize, percentage: Option<i32>, pods: usize) {
    let spec = cluster::pod_spec();
    let (mut store, mut scheduler) = cluster::cluster(nodes, percentage);
    icount_measured(&mut || cluster::schedule(&mut store, &mut scheduler, &spec, pods));
    std::hint::black_box(&store);
}

fn scheduler_5000_default() {
    scheduler(5_000, None, 500);
}

fn scheduler_1000_all() {
    scheduler(1_000, Some(100), 200);
}

// ---------------------------------------------------------------------------------------------
// The baseline file.

#[derive(Serialize, Deserialize)]
struct Baseline {
    /// What the file is, for a reader who finds it.
    about: String,
    /// A workload fails when its count exceeds `threshold` × its baseline.
    threshold: f64,
    /// Where the counts were taken (valgrind, rustc, machine): drift between them explains a few percent.
    measured_with: String,
    workloads: Vec<Entry>,
}

#[derive(Serialize, Deserialize, Clone)]
struct Entry {
    name: String,
    /// Instructions executed (callgrind's `Ir`).
    ir: u64,
}

fn baseline_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/icount-baseline.json")
}

fn read_baseline(path: &Path) -> Result<Option<Baseline>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

// ---------------------------------------------------------------------------------------------
// Measuring.

struct Options {
    update: bool,
    only: Vec<String>,
    list: bool,
    keep: bool,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options { update: false, only: Vec::new(), list: false, keep: false };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            // `cargo bench` passes `--bench` to every harness-less bench.
            "--bench" => {}
            "--update" => o.update = true,
            "--list" => o.list = true,
            "--keep" => o.keep = true,
            "--only" => o.only.push(it.next().ok_or("--only needs a name (a substring of workload names)")?.clone()),
            "-h" | "--help" => return Err(String::new()),
            other if !other.starts_with('-') => o.only.push(other.to_string()),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(o)
}

const USAGE: &str = "usage: cargo bench --bench icount -- [--update] [--only NAME]... [--list] [--keep]
  (no flag)    measure every workload under callgrind and compare with benches/icount-baseline.json
  --update     write the measured counts as the new baseline (with --only: just those entries)
  --only NAME  only workloads whose name contains NAME (a bare NAME works too)
  --list       print the workloads and exit
  --keep       keep the callgrind output files (their directory is printed)";

fn valgrind_version() -> Option<String> {
    let out = Command::new("valgrind").arg("--version").stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn rustc_version() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "rustc (version unknown)".into())
}

/// The total `Ir` of a callgrind output file: its `totals:` line (or `summary:`).
fn read_ir(path: &Path) -> Result<u64, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let line = text
        .lines()
        .find(|l| l.starts_with("totals:"))
        .or_else(|| text.lines().find(|l| l.starts_with("summary:")))
        .ok_or_else(|| format!("{}: no totals: or summary: line", path.display()))?;
    let first = line.split_whitespace().nth(1).ok_or_else(|| format!("{}: empty {line:?}", path.display()))?;
    first.parse().map_err(|_| format!("{}: not a count in {line:?}", path.display()))
}

/// Runs one workload under callgrind and returns its instruction count.
fn measure(w: &Workload, dir: &Path) -> Result<u64, String> {
    let out_file = dir.join(format!("callgrind.{}.out", w.name));
    let mut cmd = Command::new("valgrind");
    cmd.arg("--tool=callgrind").arg(format!("--callgrind-out-file={}", out_file.display()));
    match &w.kind {
        Kind::InProcess(_) => {
            let me = std::env::current_exe().map_err(|e| format!("this binary's path: {e}"))?;
            cmd.arg("--collect-atstart=no")
                .arg(format!("--toggle-collect={MEASURED_FN}"))
                .arg(me)
                .arg("--workload")
                .arg(w.name);
        }
        Kind::Scenario(file) => {
            let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
            cmd.arg(env!("CARGO_BIN_EXE_kubesim")).arg("run").arg(scenario);
            cmd.arg("--quiet").arg("--out").arg(dir.join(format!("out.{}", w.name)));
        }
        Kind::GeneratedScale(args) => {
            let scenario = dir.join(format!("{}.yaml", w.name));
            let generated = Command::new(env!("CARGO_BIN_EXE_kubesim"))
                .arg("generate")
                .arg("scale")
                .args(*args)
                .arg("--out")
                .arg(&scenario)
                .output()
                .map_err(|e| format!("kubesim generate scale: {e}"))?;
            if !generated.status.success() {
                return Err(format!(
                    "kubesim generate scale failed: {}",
                    String::from_utf8_lossy(&generated.stderr).trim()
                ));
            }
            cmd.arg(env!("CARGO_BIN_EXE_kubesim")).arg("run").arg(&scenario);
            cmd.arg("--quiet").arg("--out").arg(dir.join(format!("out.{}", w.name)));
        }
    }
    let out = cmd.output().map_err(|e| format!("valgrind: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!("exited with {} under valgrind:\n{}", out.status, tail.join("\n")));
    }
    let ir = read_ir(&out_file)?;
    if ir == 0 {
        return Err(format!("counted no instruction (is `{MEASURED_FN}` still a symbol of the bench binary?)"));
    }
    Ok(ir)
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Internal: run one in-process workload (this is what valgrind executes).
    if args.first().map(String::as_str) == Some("--workload") {
        let name = args.get(1).map(String::as_str).unwrap_or("");
        return match workloads().into_iter().find(|w| w.name == name) {
            Some(Workload { kind: Kind::InProcess(f), .. }) => {
                f();
                ExitCode::SUCCESS
            }
            _ => {
                eprintln!("icount: no in-process workload {name:?}");
                ExitCode::from(2)
            }
        };
    }
    let opts = match parse_args(&args) {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("icount: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(if e.is_empty() { 0 } else { 2 });
        }
    };
    let selected: Vec<Workload> = workloads()
        .into_iter()
        .filter(|w| opts.only.is_empty() || opts.only.iter().any(|o| w.name.contains(o.as_str())))
        .collect();
    if opts.list {
        for w in &selected {
            println!("{:<40} {}", w.name, w.what);
        }
        return ExitCode::SUCCESS;
    }
    if selected.is_empty() {
        eprintln!("icount: no workload matches {:?} (see --list)", opts.only);
        return ExitCode::from(2);
    }
    let path = baseline_path();
    let baseline = match read_baseline(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("icount: unreadable baseline {e}");
            return ExitCode::from(2);
        }
    };
    let Some(valgrind) = valgrind_version() else {
        println!("icount: SKIPPED: valgrind not found on PATH (Debian: apt-get install valgrind); no count compared");
        return ExitCode::SUCCESS;
    };
    let threshold = baseline.as_ref().map_or(DEFAULT_THRESHOLD, |b| b.threshold);
    if !(threshold.is_finite() && threshold >= 1.0) {
        eprintln!("icount: {}: threshold must be a ratio >= 1.0, not {threshold}", path.display());
        return ExitCode::from(2);
    }
    let dir = std::env::temp_dir().join(format!("kubesim-icount-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("icount: {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    println!(
        "icount: {} workload(s) under {valgrind}, threshold {:.0} % above baseline",
        selected.len(),
        (threshold - 1.0) * 100.0
    );

    let mut measured: Vec<(String, Result<u64, String>)> = Vec::new();
    for w in &selected {
        #[allow(clippy::disallowed_methods)] // wall time of the measurement, printed, never compared
        let started = std::time::Instant::now();
        let r = measure(w, &dir);
        let secs = started.elapsed().as_secs_f64();
        match &r {
            Ok(ir) => println!("  {:<40} {:>16} Ir  ({secs:.1} s under callgrind)", w.name, group(*ir)),
            Err(e) => println!("  {:<40} FAILED ({secs:.1} s): {e}", w.name),
        }
        measured.push((w.name.to_string(), r));
    }
    if opts.keep {
        println!("icount: callgrind files kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }

    let find = |name: &str| baseline.as_ref().and_then(|b| b.workloads.iter().find(|e| e.name == name)).map(|e| e.ir);
    let mut table = String::new();
    let _ = writeln!(table, "\n| workload | baseline Ir | now Ir | ratio | verdict |\n|---|---:|---:|---:|---|");
    let (mut ok, mut bad) = (0, 0);
    for (name, r) in &measured {
        let base = find(name);
        let (now, ratio, verdict) = match (r, base) {
            (Err(_), _) => ("–".to_string(), "–".to_string(), "FAILED (workload did not run)".to_string()),
            (Ok(ir), None) => (group(*ir), "–".to_string(), "NO BASELINE (run with --update)".to_string()),
            (Ok(ir), Some(b)) => {
                let ratio = *ir as f64 / b.max(1) as f64;
                let verdict = if ratio > threshold {
                    format!("REGRESSION (> {threshold:.2})")
                } else if ratio < IMPROVED_BELOW {
                    "ok, faster: consider --update".to_string()
                } else {
                    "ok".to_string()
                };
                (group(*ir), format!("{ratio:.3}"), verdict)
            }
        };
        if verdict.starts_with("ok") {
            ok += 1
        } else {
            bad += 1
        }
        let base = base.map_or("–".to_string(), group);
        let _ = writeln!(table, "| {name} | {base} | {now} | {ratio} | {verdict} |");
    }
    print!("{table}");

    if opts.update {
        if measured.iter().any(|(_, r)| r.is_err()) {
            eprintln!("icount: baseline NOT updated: a workload failed");
            return ExitCode::FAILURE;
        }
        let mut entries: Vec<Entry> = baseline.as_ref().map(|b| b.workloads.clone()).unwrap_or_default();
        for (name, r) in &measured {
            let ir = *r.as_ref().expect("checked above");
            match entries.iter_mut().find(|e| &e.name == name) {
                Some(e) => e.ir = ir,
                None => entries.push(Entry { name: name.clone(), ir }),
            }
        }
        // Keep the file in the order of `workloads()`; entries of removed workloads are dropped.
        let order: Vec<&str> = workloads().iter().map(|w| w.name).collect();
        entries.retain(|e| order.contains(&e.name.as_str()));
        entries.sort_by_key(|e| order.iter().position(|n| *n == e.name));
        let new = Baseline {
            about: "Instruction counts (callgrind Ir) of benches/icount.rs's workloads; \
                    `cargo bench --bench icount -- --update` rewrites this file (results/BENCHMARKS.md)."
                .into(),
            threshold,
            measured_with: format!("{valgrind}, {}, {}", rustc_version(), std::env::consts::ARCH),
            workloads: entries,
        };
        let text = serde_json::to_string_pretty(&new).expect("plain data serializes") + "\n";
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("icount: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("\nicount: baseline written to {}", path.display());
        return ExitCode::SUCCESS;
    }

    if let Some(b) = &baseline {
        println!("\n(baseline measured with {})", b.measured_with);
    }
    if bad == 0 {
        println!("icount gate: all {ok} workload(s) within {:.0} % of the baseline", (threshold - 1.0) * 100.0);
        ExitCode::SUCCESS
    } else {
        println!(
            "icount gate: FAILED: {bad} of {} workload(s) regressed, failed or lack a baseline (see the table; \
             a deliberate change: `cargo bench --bench icount -- --update` and commit the baseline)",
            ok + bad
        );
        ExitCode::FAILURE
    }
}
