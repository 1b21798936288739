//! The command line: flags, files, the terminal and exit codes. Nothing below this module
//! (except `output`'s atomic writes) touches the file system or the process.
//!
//! Exit codes: 0 success, 1 a scenario check failed, 2 bad input, usage or I/O error,
//! 3 an internal error (a bug: the message names the seed and event to reproduce it).

pub mod bench;
pub mod compare;
pub mod generate;
pub mod import;
pub mod narrate;
pub mod pack;
pub mod policy_process;
pub mod report;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};

use crate::engine::{RunOptions, Simulation};
use crate::kernel::{SimTime, parse_duration};
use crate::output;
use crate::scenario::{Scenario, SourceLoader};

#[derive(Parser, Debug)]
#[command(name = "kubesim", version, about = "A deterministic discrete-event simulator of a Kubernetes cluster")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario and write its results.
    Run(RunArgs),
    /// Check a scenario (and its manifests) without running it.
    Validate {
        /// The scenario file.
        scenario: PathBuf,
    },
    /// Explain where a pod was scheduled and why, or why it is pending.
    Explain(ExplainArgs),
    /// Pack a vector bin packing instance (.vbp) onto identical nodes with a scheduling policy.
    Pack(pack::PackArgs),
    /// Run a scenario under several policies over several seeds and compare them.
    Compare(compare::CompareArgs),
    /// Run scenarios x parameter values x policies x seeds (or one shard of them).
    Sweep(compare::SweepArgs),
    /// Join the runs.csv of sweep shards into the result of the whole sweep.
    Merge(compare::MergeArgs),
    /// Write RESULTS_DIR/report.html: charts and tables of a run's (or a comparison's) outputs.
    Report(report::ReportArgs),
    /// Write a scenario that replays a trace (openb, or the generic pod CSV).
    Import(import::ImportArgs),
    /// Write a generated scenario (scale: node pools, Deployments, Jobs, node failures).
    Generate(generate::GenerateArgs),
    /// Run scenarios end to end, one process each, and report time, rates and peak memory.
    Bench(bench::BenchArgs),
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The scenario file.
    pub scenario: PathBuf,
    /// Override spec.seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override spec.until (e.g. 30m, 2h).
    #[arg(long, value_parser = parse_until)]
    pub until: Option<SimTime>,
    /// Output directory (default: results/{scenario name}/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Extra outputs: decisions (decisions.jsonl), events (events.jsonl).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub trace: Vec<Trace>,
    /// Print only the reproduction line (and errors).
    #[arg(long, short)]
    pub quiet: bool,
    /// Check internal invariants after every event (always on in debug builds).
    #[arg(long)]
    pub check_invariants: bool,
    /// Run the scenario a second time and compare digests, journals and outputs; print the
    /// first journal record that differs (exit code 4 if any does).
    #[arg(long)]
    pub verify_determinism: bool,
    /// Tell the whole run as it happens, in plain words: what changed, which controller
    /// reacted, why the scheduler chose each node.
    #[arg(long)]
    pub narrate: bool,
    /// Like --narrate, pausing after every event that told something (Enter: next, c: run to
    /// the end, q: stop); needs a terminal.
    #[arg(long)]
    pub step: bool,
    /// Like --narrate, running freely to this virtual time (e.g. 10m), then stepping.
    #[arg(long, value_parser = parse_at)]
    pub break_at: Option<SimTime>,
    /// Print the packing of pods on nodes (cpu and memory requests) at the end of the run.
    #[arg(long)]
    pub show_packing: bool,
    /// Print the packing at this virtual time (e.g. 10m; repeatable); add --show-packing for
    /// the end of the run too.
    #[arg(long, value_parser = parse_at)]
    pub show_packing_at: Vec<SimTime>,
}

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The scenario file.
    pub scenario: PathBuf,
    /// The pod: NAMESPACE/NAME (a bare NAME is in namespace default).
    #[arg(long)]
    pub pod: String,
    /// Explain the pod as it is at this virtual time (e.g. 90s; default: the end of the run).
    #[arg(long, value_parser = parse_at)]
    pub at: Option<SimTime>,
    /// Override spec.seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print the last scheduling attempt as JSON (a decisions.jsonl line; null if none).
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Trace {
    Decisions,
    Events,
}

fn parse_at(s: &str) -> Result<SimTime, String> {
    Ok(SimTime::ZERO + parse_duration(s).map_err(|e| e.to_string())?)
}

fn parse_until(s: &str) -> Result<SimTime, String> {
    let d = parse_duration(s).map_err(|e| e.to_string())?;
    if d.is_zero() {
        return Err("must be greater than zero".into());
    }
    Ok(SimTime::ZERO + d)
}

/// Reads manifest files relative to the file that names them, with a size limit.
pub struct FsLoader;

/// Larger inputs are refused rather than read.
const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;

pub fn read_text(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.is_dir() {
        return Err(format!("cannot read {}: it is a directory", path.display()));
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(format!("cannot read {}: larger than {} MiB", path.display(), MAX_INPUT_BYTES >> 20));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        // Locate the first bad byte the way the YAML errors do: 1-based line, column in characters.
        let valid_up_to = e.utf8_error().valid_up_to();
        let before = std::str::from_utf8(&e.as_bytes()[..valid_up_to]).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let byte = e.as_bytes().get(valid_up_to).copied().unwrap_or_default();
        format!(
            "{}:{line}:{col}: not UTF-8 text (byte 0x{byte:02x})\n  hint: scenarios and manifests are UTF-8 YAML; is this a binary file?",
            path.display()
        )
    })
}

impl SourceLoader for FsLoader {
    fn load(&self, relative_to: &str, path: &str) -> Result<(String, String), String> {
        let base = Path::new(relative_to).parent().unwrap_or_else(|| Path::new(""));
        let full = base.join(path);
        let text = read_text(&full).map_err(|e| {
            if full.exists() {
                return e;
            }
            let dir = if base.as_os_str().is_empty() { Path::new(".") } else { base };
            format!("{e}\n  hint: {path} is read relative to {relative_to}, in {}", dir.display())
        })?;
        Ok((full.display().to_string(), text))
    }
}

/// The plugin registry of the command line: kube-scheduler's plugins and ExternalPolicy, whose
/// processes start in the directory of the scenario file `scenario`.
pub fn plugin_registry(scenario: &Path) -> crate::scheduler::custom::PluginRegistry {
    let launcher = policy_process::ProcessLauncher::for_scenario(scenario);
    crate::scheduler::custom::PluginRegistry::new().with_policy_launcher(Arc::new(launcher))
}

/// Loads a scenario; a large one turns on huge pages under the heap (`heap::for_scenario`),
/// before its run allocates the bulk of its memory.
fn load(path: &Path) -> Result<Scenario, String> {
    let text = read_text(path)?;
    let text = crate::compare::substitute_defaults(&text);
    let scenario = Scenario::parse_with(&text, &path.display().to_string(), &FsLoader, &plugin_registry(path))
        .map_err(|e| e.to_string())?;
    crate::heap::for_scenario(scenario.nodes.len());
    Ok(scenario)
}

/// Runs the CLI; returns the process exit code.
pub fn main_with(args: Cli) -> i32 {
    match args.command {
        Command::Validate { scenario } => validate(&scenario),
        Command::Run(run_args) => run(run_args),
        Command::Explain(explain_args) => explain(explain_args),
        Command::Pack(pack_args) => pack::run(pack_args),
        Command::Compare(args) => compare::run_compare(args),
        Command::Sweep(args) => compare::run_sweep(args),
        Command::Merge(args) => compare::run_merge(args),
        Command::Report(report_args) => report::run(report_args),
        Command::Import(import_args) => import::run(import_args),
        Command::Generate(args) => generate::run(args),
        Command::Bench(args) => bench::run(args),
    }
}

fn validate(path: &Path) -> i32 {
    let scenario = match load(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let pods: usize = scenario.manifests.len();
    println!(
        "{}: scenario {:?} is valid: {} node(s), {} manifest object(s), {} event(s), {} check(s); seed {}, until {}",
        path.display(),
        scenario.name,
        scenario.nodes.len(),
        pods,
        scenario.events.len(),
        scenario.checks.len(),
        scenario.seed,
        scenario.until
    );
    let mut not_simulated: Vec<String> = scenario.unmodelled.iter().cloned().collect();
    for profile in &scenario.scheduler.profiles {
        if let Ok(r) = profile.resolve_with(&scenario.plugins) {
            for name in r.not_simulated {
                not_simulated
                    .push(format!("scheduler plugin {name} (profile {}): not simulated yet", r.scheduler_name));
            }
        }
    }
    if !not_simulated.is_empty() {
        println!("accepted but not simulated ({}):", not_simulated.len());
        for line in not_simulated {
            println!("  - {line}");
        }
    }
    0
}

fn run(args: RunArgs) -> i32 {
    let scenario = match load(&args.scenario) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let trace_decisions = args.trace.contains(&Trace::Decisions);
    let trace_events = args.trace.contains(&Trace::Events);
    let teaching = args.narrate || args.step || args.break_at.is_some();
    let options =
        RunOptions { trace_decisions, trace_events, check_invariants: args.check_invariants, full_narrative: teaching };
    // To compare journals, the first run keeps its records too; the teaching mode reads every
    // scheduling decision.
    let first_options = RunOptions {
        trace_events: trace_events || args.verify_determinism,
        trace_decisions: trace_decisions || teaching,
        ..options
    };
    // Never dropped: the process ends after the outputs, and freeing a million-pod run's
    // objects one by one took 7 % of its time.
    let mut sim = std::mem::ManuallyDrop::new(Simulation::new(scenario.clone(), args.seed, args.until, first_options));
    let outcome = if teaching {
        if !args.quiet {
            println!(
                "kubesim {}: scenario {} ({}), seed {}",
                output::VERSION,
                scenario.name,
                scenario.file,
                sim.seed()
            );
        }
        match narrate::run_narrated(&mut sim, args.step, args.break_at) {
            Ok(outcome) => outcome,
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        }
    } else {
        sim.run()
    };
    let stopped_early = match &outcome {
        Ok(()) => None,
        Err(e) => Some(e.to_string()),
    };
    let out_dir = args.out.clone().unwrap_or_else(|| Path::new("results").join(&scenario.name));
    if let Err(e) = std::fs::create_dir_all(&out_dir) {
        eprintln!("error: cannot create output directory {}: {e}", out_dir.display());
        return 2;
    }
    // One file at a time, each streamed to disk: a long run's outputs never sit in memory
    // beside the run.
    let mut written = Vec::new();
    for name in output::file_names(trace_decisions, trace_events) {
        let render = |w: &mut dyn std::io::Write| output::render_file(&mut sim, name, stopped_early.as_deref(), w);
        if let Err(e) = output::write_atomic_with(&out_dir, name, render) {
            eprintln!("error: cannot write {}: {e}", out_dir.join(name).display());
            return 2;
        }
        written.push(name);
    }
    let checks = sim.check_results();
    let failed = checks.iter().filter(|c| !c.passed).count();
    if !args.quiet {
        print_story(&sim, &out_dir, &written, !teaching);
    }
    if args.show_packing || !args.show_packing_at.is_empty() {
        report::print_packing(&sim, &args.show_packing_at, args.show_packing);
    }
    let until_flag = args.until.map(|u| format!(" --until {u}")).unwrap_or_default();
    println!(
        "reproduce: kubesim run {} --seed {}{until_flag}   # kubesim {}, digest {}",
        args.scenario.display(),
        sim.seed(),
        output::VERSION,
        sim.digest()
    );
    if args.verify_determinism {
        // The files as written, read back.
        let mut files = Vec::new();
        for &name in written.iter().filter(|&&name| name != "events.jsonl") {
            match std::fs::read_to_string(out_dir.join(name)) {
                Ok(text) => files.push((name, text)),
                Err(e) => {
                    eprintln!("error: cannot read back {}: {e}", out_dir.join(name).display());
                    return 2;
                }
            }
        }
        let first = output::RunRecord { digest: sim.digest(), events: output::events_jsonl(&sim), files };
        let second = output::record_run(&scenario, args.seed, args.until, options);
        match output::compare_runs(&first, &second) {
            output::Determinism::Identical { .. } => {
                println!("determinism: verified (a second run gave the same digest, journal and outputs)");
            }
            output::Determinism::Differs { message } => {
                eprintln!("error: not deterministic: {message}");
                return 4;
            }
        }
    }
    match outcome {
        Err(crate::engine::RunError::Invariant { .. }) => {
            eprintln!("error: {}", stopped_early.unwrap_or_default());
            3
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
        Ok(()) if failed > 0 => {
            eprintln!("{failed} check(s) failed");
            1
        }
        Ok(()) => 0,
    }
}

fn explain(args: ExplainArgs) -> i32 {
    let scenario = match load(&args.scenario) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let (namespace, name) = match crate::explain::parse_pod_ref(&args.pod) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    if let Some(at) = args.at
        && at > scenario.until
    {
        eprintln!(
            "error: --at {at} is after the end of the run (spec.until {}); use --at {} or less",
            scenario.until, scenario.until
        );
        return 2;
    }
    let mut sim = Simulation::new(scenario, args.seed, None, RunOptions::default());
    sim.watch_pod(&namespace, &name);
    let outcome = match args.at {
        Some(at) => sim.run_until(at),
        None => sim.run(),
    };
    let code = match &outcome {
        Ok(()) => 0,
        Err(e) => {
            // The explanation below is of the state where the run stopped.
            eprintln!("error: {e}");
            if matches!(e, crate::engine::RunError::Invariant { .. }) { 3 } else { 2 }
        }
    };
    let id = match crate::explain::find_pod(&sim, &namespace, &name) {
        Ok(id) => id,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    if args.json {
        println!("{}", crate::explain::explain_json(&sim));
    } else {
        print!("{}", crate::explain::explain_text(&sim, id));
    }
    code
}

fn print_story(sim: &Simulation, out_dir: &Path, written: &[&str], with_story: bool) {
    let scenario = sim.scenario();
    let stats = sim.stats();
    println!("kubesim {}: scenario {} ({}), seed {}", output::VERSION, scenario.name, scenario.file, sim.seed());
    println!(
        "simulated {} on {} node(s) in {} events: {} pod(s) created, {} scheduled ({} unschedulable attempts)",
        sim.now(),
        sim.store().node_count(),
        stats.events,
        stats.pods_created,
        stats.pods_scheduled,
        stats.unschedulable_attempts
    );
    let story = sim.journal().narrative_text();
    if with_story && !story.is_empty() {
        println!("what happened:");
        print!("{story}");
    }
    let checks = sim.check_results();
    if !checks.is_empty() {
        let passed = checks.iter().filter(|c| c.passed).count();
        println!("checks: {passed} passed, {} failed", checks.len() - passed);
        for c in &checks {
            let mark = if c.passed { "ok  " } else { "FAIL" };
            println!("  {mark} [{:>9}] {} (actual: {})", c.at.to_string(), c.text, c.actual);
        }
    }
    println!("outputs: {} ({})", out_dir.display(), written.join(", "));
}
