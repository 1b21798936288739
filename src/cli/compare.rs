//! `kubesim compare`, `kubesim sweep` and `kubesim merge`: many runs of scenarios under
//! policies, seeds and parameter values, in parallel, with per-policy statistics; sweeps split
//! into shards for other machines and merged back. See `docs/research.md`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::compare::{self, METRICS, RunRow, Variant};
use crate::output;

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// The scenario file.
    pub scenario: PathBuf,
    /// A policy: a profile name of the scenario or a built-in policy (default, MostAllocated,
    /// LeastAllocated, Tetris, BestFit, FirstFit, Random, RoundRobin, FGD, GPUPacking, ...).
    /// Repeat it; the first is the baseline of the paired differences.
    #[arg(long = "policy", required = true)]
    pub policies: Vec<String>,
    /// Seeds: 1..30 (inclusive), 7, or a comma-separated mix.
    #[arg(long, default_value = "1..10")]
    pub seeds: String,
    /// Output directory (default: results/{scenario name}-compare/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Runs at a time (default: the machine's cores). Outputs do not depend on it.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Print only errors and the output directory.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// Scenario files.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Policies, as for compare (default: the scenarios' own default profile).
    #[arg(long = "policy")]
    pub policies: Vec<String>,
    /// Seeds: 1..30 (inclusive), 7, or a comma-separated mix.
    #[arg(long, default_value = "1..10")]
    pub seeds: String,
    /// A parameter grid axis NAME=V1,V2,...: each value replaces ${NAME} (or
    /// ${NAME:-DEFAULT}) in the scenario files. Repeat for more axes (their product is swept).
    #[arg(long = "param")]
    pub params: Vec<String>,
    /// Run only slice I of N (runs whose index is I modulo N), for other machines; join the
    /// slices with kubesim merge.
    #[arg(long)]
    pub shard: Option<String>,
    /// Instead of running, print a Kubernetes Indexed Job (kubernetes-job) or a Slurm job-array
    /// script (slurm) that runs the sweep as --shards shards.
    #[arg(long, value_enum)]
    pub emit: Option<Emit>,
    /// Shards for --emit (default 10).
    #[arg(long, default_value_t = 10)]
    pub shards: usize,
    /// Output directory (default: results/sweep/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Runs at a time (default: the machine's cores). Outputs do not depend on it.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Print only errors and the output directory.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    KubernetesJob,
    Slurm,
}

#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Shard output directories (each with a runs.csv).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where the merged runs.csv and compare.csv go.
    #[arg(long)]
    pub out: PathBuf,
}

fn jobs_or_cores(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1)
}

/// Parses `I/N`.
fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--shard {text:?}: write I/N with 0 <= I < N, e.g. 0/4");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Parses the `--param` axes: (name, values) in order.
fn parse_params(params: &[String]) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut axes: Vec<(String, Vec<String>)> = Vec::new();
    for p in params {
        let Some((name, values)) = p.split_once('=') else {
            return Err(format!("--param {p:?}: write NAME=V1,V2,..."));
        };
        let name = name.trim().to_string();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("--param {p:?}: a name is letters, digits and _"));
        }
        if axes.iter().any(|(n, _)| *n == name) {
            return Err(format!("--param {name}: given twice"));
        }
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
        if values.iter().any(String::is_empty) {
            return Err(format!("--param {p:?}: an empty value"));
        }
        axes.push((name, values));
    }
    Ok(axes)
}

/// The cartesian product of the axes, first axis slowest.
fn grid(axes: &[(String, Vec<String>)]) -> Vec<Vec<(String, String)>> {
    let mut cells: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for (name, values) in axes {
        cells = cells
            .into_iter()
            .flat_map(|cell| {
                values.iter().map(move |v| {
                    let mut c = cell.clone();
                    c.push((name.clone(), v.clone()));
                    c
                })
            })
            .collect();
    }
    cells
}

/// Loads a scenario file with `params` substituted.
fn load_with(path: &Path, params: &[(String, String)]) -> Result<crate::scenario::Scenario, String> {
    let text = super::read_text(path)?;
    let text = compare::substitute(&text, params).map_err(|e| format!("{}: {e}", path.display()))?;
    crate::scenario::Scenario::parse_with(
        &text,
        &path.display().to_string(),
        &super::FsLoader,
        &super::plugin_registry(path),
    )
    .map_err(|e| e.to_string())
}

/// The variants of a sweep, in canonical order: scenarios, then grid cells, then policies.
fn variants(
    scenarios: &[PathBuf],
    axes: &[(String, Vec<String>)],
    policies: &[String],
    with_scenario_column: bool,
) -> Result<Vec<Variant>, String> {
    let mut out = Vec::new();
    for path in scenarios {
        for cell in grid(axes) {
            let scenario = load_with(path, &cell)?;
            let mut group: Vec<String> = Vec::new();
            if with_scenario_column {
                group.push(path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned()));
            }
            group.extend(cell.iter().map(|(_, v)| v.clone()));
            for policy in policies {
                let s = compare::with_policy(&scenario, policy).map_err(|e| format!("{}: {e}", path.display()))?;
                out.push(Variant { group: group.clone(), policy: policy.clone(), scenario: Arc::new(s) });
            }
        }
    }
    Ok(out)
}

/// Runs the tasks with a progress line on a terminal.
fn run_tasks(variants: &[Variant], tasks: &[compare::Task], jobs: usize, quiet: bool) -> Vec<RunRow> {
    let show = !quiet && std::io::stderr().is_terminal();
    let progress = |done: usize, total: usize| {
        if show {
            eprint!("\r  {done}/{total} runs");
            if done == total {
                eprintln!();
            }
        }
    };
    compare::run_all(variants, tasks, jobs, &progress)
}

fn write_files(dir: &Path, files: &[(&str, String)]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, contents) in files {
        output::write_atomic(dir, name, contents.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", dir.join(name).display()))?;
    }
    Ok(())
}

/// The printed table: per metric with values, each policy's mean and 95 % interval, and the
/// paired difference against the baseline.
pub fn render_table(rows: &[RunRow], policies: &[String]) -> String {
    use std::fmt::Write;
    let table = compare::compare_table(rows, policies);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<26} {:<14} {:>12} {:>25} {:>25}",
        "metric", "policy", "mean", "95% CI", "vs baseline (95% CI)"
    );
    for (m, metric) in METRICS.iter().enumerate() {
        let lines: Vec<&Vec<String>> = table.iter().filter(|r| r[1] == *metric && r[2] != "0").collect();
        if lines.is_empty() {
            continue;
        }
        for (k, r) in lines.iter().enumerate() {
            let ci = if r[5].is_empty() { String::new() } else { format!("[{}, {}]", r[5], r[6]) };
            let diff = if r[7] == "0" || r[7].is_empty() {
                String::new()
            } else if r[10].is_empty() {
                format!("{:+}", r[8].parse::<f64>().unwrap_or(0.0))
            } else {
                format!("{} [{}, {}]", r[8], r[10], r[11])
            };
            let name = if k == 0 { metric.to_string() } else { String::new() };
            let _ = writeln!(out, "{name:<26} {:<14} {:>12} {ci:>25} {diff:>25}", r[0], r[3]);
        }
        let _ = m;
    }
    out
}

/// `kubesim compare`.
pub fn run_compare(args: CompareArgs) -> i32 {
    let seeds = match compare::parse_seeds(&args.seeds) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: --seeds: {e}");
            return 2;
        }
    };
    let mut policies: Vec<String> = Vec::new();
    for p in &args.policies {
        if policies.contains(p) {
            eprintln!("error: --policy {p} is given twice");
            return 2;
        }
        policies.push(p.clone());
    }
    let variants = match variants(std::slice::from_ref(&args.scenario), &[], &policies, false) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let name = variants[0].scenario.name.clone();
    let tasks = compare::tasks(variants.len(), &seeds, 0, 1);
    let rows = run_tasks(&variants, &tasks, jobs_or_cores(args.jobs), args.quiet);
    let out = args.out.unwrap_or_else(|| Path::new("results").join(format!("{name}-compare")));
    let files =
        [("runs.csv", compare::runs_csv(&[], &rows)), ("compare.csv", compare::compare_csv(&[], &rows, &policies))];
    if let Err(e) = write_files(&out, &files) {
        eprintln!("error: {e}");
        return 2;
    }
    if !args.quiet {
        println!(
            "{name}: {} policies x {} seeds = {} runs (seed i of every policy sees the same arrivals and faults)",
            policies.len(),
            seeds.len(),
            rows.len()
        );
        print!("{}", render_table(&rows, &policies));
    }
    println!("outputs: {} (runs.csv, compare.csv)", out.display());
    report_errors(&rows)
}

/// Prints the runs that stopped early; exit code 1 if any did.
fn report_errors(rows: &[RunRow]) -> i32 {
    let failed: Vec<&RunRow> = rows.iter().filter(|r| r.error.is_some()).collect();
    for r in &failed {
        eprintln!("error: run {} ({} seed {}): {}", r.run, r.policy, r.seed, r.error.as_deref().unwrap_or(""));
    }
    i32::from(!failed.is_empty())
}

/// Shell-quotes one word (single quotes unless it is plain).
fn sh_quote(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The `kubesim sweep` command line of one shard, `{shard}` standing for its index.
fn shard_command(args: &SweepArgs, shard_var: &str, shards: usize) -> String {
    let mut words: Vec<String> = vec!["kubesim".into(), "sweep".into()];
    words.extend(args.scenarios.iter().map(|p| sh_quote(&p.display().to_string())));
    for p in &args.policies {
        words.push("--policy".into());
        words.push(sh_quote(p));
    }
    words.push("--seeds".into());
    words.push(sh_quote(&args.seeds));
    for p in &args.params {
        words.push("--param".into());
        words.push(sh_quote(p));
    }
    words.push("--quiet".into());
    let mut line = words.join(" ");
    line.push_str(&format!(" --shard \"${shard_var}/{shards}\" --out \"results/shard-${shard_var}\""));
    line
}

fn emit(args: &SweepArgs, kind: Emit) -> String {
    let shards = args.shards.max(1);
    match kind {
        Emit::KubernetesJob => {
            let command = shard_command(args, "JOB_COMPLETION_INDEX", shards);
            format!(
                "# A kubesim sweep as a Kubernetes Indexed Job: one completion index per shard.\n\
                 # The image must hold the kubesim binary and the scenario files (working directory\n\
                 # /work); results/ is a shared volume. Afterwards: kubesim merge results/shard-* --out results/merged\n\
                 apiVersion: batch/v1\n\
                 kind: Job\n\
                 metadata:\n  name: kubesim-sweep\n\
                 spec:\n  completionMode: Indexed\n  completions: {shards}\n  parallelism: {shards}\n  backoffLimitPerIndex: 2\n\
                 \x20 template:\n    spec:\n      restartPolicy: Never\n      containers:\n\
                 \x20       - name: kubesim\n          image: kubesim:latest\n          workingDir: /work\n\
                 \x20         command: [sh, -c]\n          args: [{}]\n\
                 \x20         resources: {{requests: {{cpu: \"1\", memory: 1Gi}}}}\n\
                 \x20         volumeMounts: [{{name: results, mountPath: /work/results}}]\n\
                 \x20     volumes:\n        - name: results\n          persistentVolumeClaim: {{claimName: kubesim-results}}\n",
                serde_json::to_string(&command).expect("a string serializes")
            )
        }
        Emit::Slurm => {
            let command = shard_command(args, "SLURM_ARRAY_TASK_ID", shards);
            format!(
                "#!/bin/sh\n\
                 # A kubesim sweep as a Slurm job array: one task per shard, one core each.\n\
                 # Afterwards: kubesim merge results/shard-* --out results/merged\n\
                 #SBATCH --job-name=kubesim-sweep\n\
                 #SBATCH --array=0-{}\n\
                 #SBATCH --cpus-per-task=1\n\
                 #SBATCH --mem=1G\n\
                 set -eu\n\
                 {command} --jobs 1\n",
                shards - 1
            )
        }
    }
}

/// `kubesim sweep`.
pub fn run_sweep(args: SweepArgs) -> i32 {
    let fail = |e: String| {
        eprintln!("error: {e}");
        2
    };
    if let Some(kind) = args.emit {
        if args.shard.is_some() {
            return fail("--emit writes every shard's job; drop --shard".into());
        }
        print!("{}", emit(&args, kind));
        return 0;
    }
    let seeds = match compare::parse_seeds(&args.seeds) {
        Ok(s) => s,
        Err(e) => return fail(format!("--seeds: {e}")),
    };
    let axes = match parse_params(&args.params) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let (shard, shards) = match args.shard.as_deref().map(parse_shard).transpose() {
        Ok(s) => s.unwrap_or((0, 1)),
        Err(e) => return fail(e),
    };
    let policies = if args.policies.is_empty() { vec!["default".to_string()] } else { args.policies.clone() };
    let variants = match variants(&args.scenarios, &axes, &policies, true) {
        Ok(v) => v,
        Err(e) => return fail(e),
    };
    let tasks = compare::tasks(variants.len(), &seeds, shard, shards);
    let rows = run_tasks(&variants, &tasks, jobs_or_cores(args.jobs), args.quiet);
    let mut columns = vec!["scenario".to_string()];
    columns.extend(axes.iter().map(|(n, _)| n.clone()));
    let out = args.out.clone().unwrap_or_else(|| Path::new("results").join("sweep"));
    let mut files = vec![("runs.csv", compare::runs_csv(&columns, &rows))];
    // A shard's statistics would be partial: only the merge writes them.
    if shards == 1 {
        files.push(("compare.csv", compare::compare_csv(&columns, &rows, &policies)));
    }
    if let Err(e) = write_files(&out, &files) {
        return fail(e);
    }
    if !args.quiet {
        println!(
            "sweep: {} scenario(s) x {} cell(s) x {} policies x {} seeds = {} runs{}",
            args.scenarios.len(),
            grid(&axes).len(),
            policies.len(),
            seeds.len(),
            variants.len() * seeds.len(),
            if shards > 1 { format!("; shard {shard}/{shards} ran {}", rows.len()) } else { String::new() }
        );
    }
    println!("outputs: {} ({})", out.display(), files.iter().map(|f| f.0).collect::<Vec<_>>().join(", "));
    report_errors(&rows)
}

/// `kubesim merge`.
pub fn run_merge(args: MergeArgs) -> i32 {
    let fail = |e: String| {
        eprintln!("error: {e}");
        2
    };
    let mut columns: Option<Vec<String>> = None;
    let mut rows: Vec<RunRow> = Vec::new();
    for dir in &args.dirs {
        let path = dir.join("runs.csv");
        let text = match super::read_text(&path) {
            Ok(t) => t,
            Err(e) => return fail(e),
        };
        let (cols, mut r) = match compare::parse_runs_csv(&text) {
            Ok(x) => x,
            Err(e) => return fail(format!("{}: {e}", path.display())),
        };
        match &columns {
            Some(c) if *c != cols => {
                return fail(format!("{}: its columns differ from the first shard's: not one sweep", path.display()));
            }
            Some(_) => {}
            None => columns = Some(cols),
        }
        rows.append(&mut r);
    }
    rows.sort_by_key(|r| r.run);
    if let Some(w) = rows.windows(2).find(|w| w[0].run == w[1].run) {
        return fail(format!("run {} appears in two shards", w[0].run));
    }
    if let Some((i, r)) = rows.iter().enumerate().find(|(i, r)| r.run != *i) {
        return fail(format!("run {i} is missing (the next one present is run {}): a shard is absent", r.run));
    }
    let mut policies: Vec<String> = Vec::new();
    for r in &rows {
        if !policies.contains(&r.policy) {
            policies.push(r.policy.clone());
        }
    }
    let columns = columns.unwrap_or_default();
    let files = [
        ("runs.csv", compare::runs_csv(&columns, &rows)),
        ("compare.csv", compare::compare_csv(&columns, &rows, &policies)),
    ];
    if let Err(e) = write_files(&args.out, &files) {
        return fail(e);
    }
    println!(
        "merged {} runs from {} shard(s): {} (runs.csv, compare.csv)",
        rows.len(),
        args.dirs.len(),
        args.out.display()
    );
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_and_params_parse() {
        assert_eq!(parse_shard("1/4"), Ok((1, 4)));
        assert!(parse_shard("4/4").is_err() && parse_shard("x").is_err() && parse_shard("0/0").is_err());
        let axes = parse_params(&["nodes=2,3".into(), "rate=10".into()]).unwrap();
        assert_eq!(
            grid(&axes),
            [
                vec![("nodes".to_string(), "2".to_string()), ("rate".to_string(), "10".to_string())],
                vec![("nodes".to_string(), "3".to_string()), ("rate".to_string(), "10".to_string())],
            ]
        );
        assert!(parse_params(&["a=1".into(), "a=2".into()]).is_err());
        assert!(parse_params(&["a=".into()]).is_err());
        assert!(parse_params(&["a b=1".into()]).is_err());
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(sh_quote("scenarios/a.yaml"), "scenarios/a.yaml");
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
        assert_eq!(sh_quote("a b"), "'a b'");
    }
}
