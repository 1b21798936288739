//! `kubesim report RESULTS_DIR`: reads the output files of a run (or a comparison), writes
//! `RESULTS_DIR/report.html` (see `crate::report`); and the text packing picture of `kubesim
//! run --show-packing`.

use std::path::{Path, PathBuf};

use crate::engine::Simulation;
use crate::kernel::SimTime;
use crate::packing_view::{Placements, ascii};
use crate::report::{self, Inputs};

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// The directory written by `kubesim run --out` (or `kubesim compare`).
    pub results_dir: PathBuf,
    /// Also draw the packing at this virtual time (e.g. 10m; repeatable).
    #[arg(long, value_parser = super::parse_at)]
    pub at: Vec<SimTime>,
}

/// Reads `dir/name`; `Ok(None)` when it does not exist.
fn read_optional(dir: &Path, name: &str) -> Result<Option<String>, String> {
    let path = dir.join(name);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        _ => super::read_text(&path).map(Some),
    }
}

pub fn run(args: ReportArgs) -> i32 {
    let dir = &args.results_dir;
    if !dir.is_dir() {
        eprintln!("error: {} is not a directory (expected the --out directory of kubesim run)", dir.display());
        return 2;
    }
    let read = |name: &str| read_optional(dir, name);
    let inputs = (|| -> Result<Inputs, String> {
        Ok(Inputs {
            summary: read(report::SUMMARY)?,
            timeseries: read(report::TIMESERIES)?,
            pods: read(report::PODS)?,
            faults: read(report::FAULTS)?,
            availability: read(report::AVAILABILITY)?,
            packing: read(report::PACKING)?,
            compare: read(report::COMPARE)?,
        })
    })();
    let inputs = match inputs {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let html = match report::render(&inputs, &args.at) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {}: {}", dir.join(e.file).display(), e.message);
            return 2;
        }
    };
    match crate::output::write_atomic(dir, "report.html", html.as_bytes()) {
        Ok(path) => {
            println!("report: {}", path.display());
            0
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", dir.join("report.html").display());
            2
        }
    }
}

/// Prints the packing picture of a finished run at each of `at` (and at its end when `at` is
/// empty or `end` is set).
pub fn print_packing(sim: &Simulation, at: &[SimTime], end: bool) {
    let placements = Placements::from_sim(sim);
    let mut times: Vec<SimTime> = at.iter().copied().filter(|t| *t <= sim.now()).collect();
    for t in at.iter().filter(|t| **t > sim.now()) {
        eprintln!("note: --show-packing-at {t} is after the end of the run ({}); skipped", sim.now());
    }
    if end || at.is_empty() {
        times.push(sim.now());
    }
    times.sort();
    times.dedup();
    for t in times {
        print!("{}", ascii(&placements, t));
    }
}
