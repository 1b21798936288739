//! Shared helpers for the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use kubesim::engine::{RunOptions, Simulation};
use kubesim::scenario::Scenario;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `kubesim` binary with `args` from the repository root.
pub fn kubesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubesim")).args(args).current_dir(root()).output().expect("the binary runs")
}

/// A fresh temporary directory under the target directory, unique per name.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = root().join("target").join("it-tmp").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Loads a scenario file with the file-system loader the CLI uses.
pub fn load(path: &Path) -> Scenario {
    let text = std::fs::read_to_string(path).expect("readable");
    Scenario::parse(&text, &path.display().to_string(), &kubesim::cli::FsLoader).unwrap_or_else(|e| panic!("{e}"))
}

/// Whether a scenario starts an external policy process (ExternalPolicy): it needs the CLI's
/// launcher and the policy's interpreter, so the in-library loops over shipped scenarios skip
/// it; `plugins.rs` runs those through the binary.
pub fn uses_external_policy(scenario: &Scenario) -> bool {
    scenario.scheduler.profiles.iter().any(|p| p.external_args.is_some())
}

/// Whether a shipped scenario is too slow for the debug-build loops over shipped scenarios,
/// which skip it with a message: a whole-trace replay from `../shared/data/` (absent on CI, and
/// about a minute in a debug build; `traces.rs` loads it whole and replays a slice), or a
/// generated scale scenario under `scenarios/scale/` (up to a simulated day of 10,000 nodes
/// and a million pods; `scale.rs` checks that they are what `kubesim generate` writes and runs
/// a small generated one end to end).
pub fn is_too_slow_for_debug(path: &Path) -> bool {
    let trace = path.file_name().is_some_and(|n| n == "openb-replay.yaml" || n == "openb-fragmentation.yaml");
    let scale = path.parent().and_then(Path::file_name).is_some_and(|d| d == "scale");
    if trace || scale {
        let see = if trace { "tests/it/traces.rs" } else { "tests/it/scale.rs" };
        eprintln!("skipped here: {} (see {see})", path.display());
    }
    trace || scale
}

/// Parses an inline scenario (manifests inline).
pub fn parse(text: &str) -> Scenario {
    Scenario::parse(text, "test.yaml", &kubesim::scenario::NoFiles).unwrap_or_else(|e| panic!("{e}"))
}

/// Builds and runs a scenario to its end with invariant checks on.
pub fn run(scenario: Scenario, seed: Option<u64>) -> Simulation {
    let options = RunOptions { check_invariants: true, trace_events: true, ..RunOptions::default() };
    let mut sim = Simulation::new(Arc::new(scenario), seed, None, options);
    sim.run().unwrap_or_else(|e| panic!("{e}"));
    sim
}

/// The messages of the actions that failed during a run (scripted events, controller
/// requests refused by admission), in order.
pub fn failed_actions(sim: &Simulation) -> Vec<String> {
    sim.journal()
        .records()
        .iter()
        .filter_map(|(_, r)| match r {
            kubesim::journal::Record::ActionFailed { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

/// Parses and runs an inline scenario, and asserts that every one of its checks was decided
/// and passed (naming the failures).
pub fn passes(text: &str) -> Simulation {
    let sim = run(parse(text), None);
    let failed: Vec<String> = sim
        .check_results()
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{} at {} (actual: {})", r.text, r.at, r.actual))
        .collect();
    assert!(failed.is_empty(), "failed checks:\n{}", failed.join("\n"));
    assert_eq!(sim.check_results().len(), sim.scenario().checks.len(), "every check decided");
    sim
}
