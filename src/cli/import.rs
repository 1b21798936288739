//! `kubesim import openb NODES.csv PODS.csv --out S.yaml` and `kubesim import csv PODS.csv
//! --out S.yaml`: check a trace (every row, with located errors) and write a scenario that
//! replays it by referencing the trace files (`spec.cluster.trace`, `spec.workload`), paths
//! relative to the scenario. The written scenario is loaded once more before the command
//! succeeds. Exit codes: 0 written, 2 a bad file or flag.

use std::path::{Component, Path, PathBuf};

use clap::{Subcommand, ValueEnum};

use crate::kernel::{SimDuration, SimTime};
use crate::workload::trace::{self, TraceError, TracePod};

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub format: ImportFormat,
}

#[derive(Subcommand, Debug)]
pub enum ImportFormat {
    /// The Alibaba GPU trace 2023 "openb": a node list and a pod list.
    Openb(OpenbArgs),
    /// kubesim's generic pod CSV (arrival_s, cpu_m, memory_mib or mem_gib, duration_s, ...) on
    /// a pool of identical nodes.
    Csv(CsvArgs),
}

#[derive(clap::Args, Debug)]
pub struct OpenbArgs {
    /// openb_node_list_*.csv (sn, cpu_milli, memory_mib, gpu, model).
    pub nodes: PathBuf,
    /// openb_pod_list_*.csv (name, cpu_milli, memory_mib, num_gpu, gpu_milli, gpu_spec, qos, ...).
    pub pods: PathBuf,
    /// The scenario file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Only the first N nodes of the node list.
    #[arg(long)]
    pub nodes_limit: Option<usize>,
    /// Only the first N pods of the pod list.
    #[arg(long)]
    pub pods_limit: Option<usize>,
    /// metadata.name of the scenario (default: the output file's name).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Pod,
    Job,
}

#[derive(clap::Args, Debug)]
pub struct CsvArgs {
    /// The pod CSV (docs/traces.md).
    pub pods: PathBuf,
    /// The scenario file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Number of identical nodes.
    #[arg(long, default_value_t = 100)]
    pub nodes: u32,
    /// Each node's allocatable cpu (a quantity).
    #[arg(long, default_value = "32")]
    pub node_cpu: String,
    /// Each node's allocatable memory (a quantity).
    #[arg(long, default_value = "128Gi")]
    pub node_memory: String,
    /// What each row creates unless its owner_kind column says: a bare Pod or a one-pod Job.
    #[arg(long, value_enum, default_value = "pod")]
    pub kind: KindArg,
    /// Only the first N pods.
    #[arg(long)]
    pub pods_limit: Option<usize>,
    /// metadata.name of the scenario (default: the output file's name).
    #[arg(long)]
    pub name: Option<String>,
}

fn located(path: &Path, e: TraceError) -> String {
    let hint = e.hint.map(|h| format!("\n  hint: {h}")).unwrap_or_default();
    format!("{}:{}:{}: {}{hint}", path.display(), e.line, e.col, e.message)
}

/// The components of `p` with `.` dropped and `x/..` folded.
fn clean(p: &Path) -> Vec<Component<'_>> {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `to` relative to the directory `from` (both made absolute lexically).
fn relative(from_dir: &Path, to: &Path) -> PathBuf {
    let (Ok(from), Ok(to)) = (std::path::absolute(from_dir), std::path::absolute(to)) else {
        return to.to_path_buf();
    };
    let (a, b) = (clean(&from), clean(&to));
    if a.first() != b.first() {
        return to;
    }
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..a.len() {
        rel.push("..");
    }
    for c in &b[common..] {
        rel.push(c.as_os_str());
    }
    rel
}

/// A YAML double-quoted string.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The scenario name: `--name`, or the output file's stem made a DNS subdomain.
pub(super) fn scenario_name(explicit: Option<&str>, out: &Path) -> Result<String, String> {
    let name = match explicit {
        Some(n) => n.to_string(),
        None => {
            let stem = out.file_stem().map(|s| s.to_string_lossy().to_lowercase()).unwrap_or_default();
            let cleaned: String =
                stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '-' }).collect();
            let trimmed = cleaned.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_string();
            if trimmed.is_empty() { "trace".to_string() } else { trimmed }
        }
    };
    crate::api::validation::is_dns1123_subdomain(&name).map_err(|e| format!("--name {name:?}: {e}"))?;
    Ok(name)
}

/// The end of the last pod: its arrival plus its run time, plus a minute, in whole seconds.
fn run_length(pods: &[TracePod]) -> SimDuration {
    let end = pods
        .iter()
        .map(|p| p.arrival.as_micros().saturating_add(p.duration.map_or(0, |d| d.as_micros())))
        .max()
        .unwrap_or(0);
    SimDuration::from_secs(end.div_ceil(1_000_000) + 60)
}

/// Writes `text` to `out` and loads it back as a scenario.
pub(super) fn write_and_check(out: &Path, text: &str) -> Result<crate::scenario::Scenario, String> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(out, text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    crate::scenario::Scenario::parse(text, &out.display().to_string(), &super::FsLoader).map_err(|e| e.to_string())
}

fn out_dir(out: &Path) -> PathBuf {
    out.parent().filter(|d| !d.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn limit_line(limit: Option<usize>) -> String {
    limit.map(|n| format!(", limit: {n}")).unwrap_or_default()
}

fn import_openb(args: OpenbArgs) -> Result<String, String> {
    let name = scenario_name(args.name.as_deref(), &args.out)?;
    let node_text = super::read_text(&args.nodes)?;
    let pod_text = super::read_text(&args.pods)?;
    let nodes = trace::parse_openb_nodes(&node_text, args.nodes_limit).map_err(|e| located(&args.nodes, e))?;
    let pods = trace::parse_openb_pods(&pod_text, args.pods_limit).map_err(|e| located(&args.pods, e))?;
    let until = run_length(&pods);
    let dir = out_dir(&args.out);
    let nodes_rel = relative(&dir, &args.nodes);
    let pods_rel = relative(&dir, &args.pods);
    let gpus: u64 = nodes.iter().map(|n| u64::from(n.gpus)).sum();
    let shares = pods.iter().filter(|p| matches!(p.gpu, trace::GpuAsk::Milli(_))).count();
    let text = format!(
        "# Written by `kubesim import openb`: replays the Alibaba GPU trace \"openb\" (docs/traces.md).\n\
         # {} node(s) with {gpus} GPU(s); {} pod(s) ({shares} GPU shares) arriving at creation_time\n\
         # (relative to the earliest) and running until deletion_time.\n\
         apiVersion: kubesim.io/v1alpha1\n\
         kind: Scenario\n\
         metadata: {{name: {name}}}\n\
         spec:\n  until: {}s\n  cluster:\n    trace: {{format: openb, file: {}{}}}\n\
         \x20 workload:\n    - name: openb\n      trace: {{format: openb, file: {}{}}}\n\
         \x20 checks:\n    - {{at: 0s, expect: \"cluster nodes == {}\"}}\n    - {{at: {}s, expect: \"cluster podsCreated == {}\"}}\n",
        nodes.len(),
        pods.len(),
        until.as_micros() / 1_000_000,
        quoted(&nodes_rel.to_string_lossy()),
        limit_line(args.nodes_limit),
        quoted(&pods_rel.to_string_lossy()),
        limit_line(args.pods_limit),
        nodes.len(),
        until.as_micros() / 1_000_000,
        pods.len(),
    );
    write_and_check(&args.out, &text)?;
    Ok(format!(
        "{}: scenario {name:?}: {} node(s), {} pod(s) over {}",
        args.out.display(),
        nodes.len(),
        pods.len(),
        SimTime::ZERO + until
    ))
}

fn import_csv(args: CsvArgs) -> Result<String, String> {
    let name = scenario_name(args.name.as_deref(), &args.out)?;
    for (flag, value) in [("--node-cpu", &args.node_cpu), ("--node-memory", &args.node_memory)] {
        crate::api::quantity::Quantity::parse(value).map_err(|e| format!("{flag} {value:?}: {e}"))?;
    }
    if args.nodes == 0 {
        return Err("--nodes must be at least 1".into());
    }
    let pod_text = super::read_text(&args.pods)?;
    let pods = trace::parse_csv_pods(&pod_text, args.pods_limit).map_err(|e| located(&args.pods, e))?;
    let until = run_length(&pods);
    let rel = relative(&out_dir(&args.out), &args.pods);
    let kind = match args.kind {
        KindArg::Pod => "Pod",
        KindArg::Job => "Job",
    };
    let text = format!(
        "# Written by `kubesim import csv`: replays a pod CSV (docs/traces.md) on {} identical node(s).\n\
         apiVersion: kubesim.io/v1alpha1\n\
         kind: Scenario\n\
         metadata: {{name: {name}}}\n\
         spec:\n  until: {}s\n  cluster:\n    nodePools:\n      - {{name: node, count: {}, allocatable: {{cpu: {}, memory: {}}}}}\n\
         \x20 workload:\n    - name: trace\n      kind: {kind}\n      trace: {{format: csv, file: {}{}}}\n\
         \x20 checks:\n    - {{at: {}s, expect: \"cluster podsCreated == {}\"}}\n",
        args.nodes,
        until.as_micros() / 1_000_000,
        args.nodes,
        quoted(&args.node_cpu),
        quoted(&args.node_memory),
        quoted(&rel.to_string_lossy()),
        limit_line(args.pods_limit),
        until.as_micros() / 1_000_000,
        pods.len(),
    );
    write_and_check(&args.out, &text)?;
    Ok(format!(
        "{}: scenario {name:?}: {} node(s), {} pod(s) over {}",
        args.out.display(),
        args.nodes,
        pods.len(),
        SimTime::ZERO + until
    ))
}

/// Runs `kubesim import`; returns the exit code.
pub fn run(args: ImportArgs) -> i32 {
    let result = match args.format {
        ImportFormat::Openb(a) => import_openb(a),
        ImportFormat::Csv(a) => import_csv(a),
    };
    match result {
        Ok(line) => {
            println!("{line}");
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_to_the_common_directory() {
        assert_eq!(
            relative(Path::new("/a/b/scenarios"), Path::new("/a/shared/x.csv")),
            PathBuf::from("../../shared/x.csv")
        );
        assert_eq!(relative(Path::new("/a/b"), Path::new("/a/b/c/x.csv")), PathBuf::from("c/x.csv"));
        assert_eq!(quoted("a\"b"), "\"a\\\"b\"");
    }
}
