//! `kubesim pack FILE.vbp --policy P`: reads a vector bin packing instance, packs it with
//! `crate::pack` and prints one JSON line. Exit codes: 0 packed, 2 a bad file or flag, 3 an
//! internal error.

use std::path::PathBuf;

use clap::ValueEnum;

use crate::pack::{self, Order, PackOptions, Policy};

#[derive(clap::Args, Debug)]
pub struct PackArgs {
    /// The instance, in the VPSolver .vbp format.
    pub file: PathBuf,
    /// The scoring policy: default (kube-scheduler's default profile), MostAllocated,
    /// LeastAllocated, or a score plugin (Tetris, BestFit, FirstFit, Random, RoundRobin, ...).
    #[arg(long)]
    pub policy: String,
    /// The order of the items: file (as listed), ffd (decreasing sum of size/capacity) or
    /// bin-centric (fill one node at a time with the item the policy scores highest there;
    /// Tetris, BestFit, FirstFit).
    #[arg(long, value_enum, default_value = "file")]
    pub order: OrderArg,
    /// Seed of the scheduler's tie-break stream and of the Random policy.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Tetris only: weigh each dimension by (its share of the remaining demand)^P, relative to
    /// the largest (0: plain Tetris). See docs/policies.md.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=64))]
    pub demand_exponent: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OrderArg {
    File,
    Ffd,
    BinCentric,
}

/// The printed result, keys in this order.
#[derive(serde::Serialize)]
struct Report<'a> {
    instance: &'a str,
    policy: &'a str,
    nodes_used: u64,
    lower_bound: u64,
}

/// Runs `kubesim pack`; returns the exit code.
pub fn run(args: PackArgs) -> i32 {
    let policy = match Policy::parse(&args.policy) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: --policy: {e}");
            return 2;
        }
    };
    let text = match super::read_text(&args.file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let instance = match pack::parse_vbp(&text) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {}:{e}", args.file.display());
            eprintln!(
                "  hint: a .vbp file is: the number of dimensions d; the d bin capacities; the number of item types n; then n lines of d sizes and a multiplicity"
            );
            return 2;
        }
    };
    let order = match args.order {
        OrderArg::File => Order::File,
        OrderArg::Ffd => Order::Ffd,
        OrderArg::BinCentric => Order::BinCentric,
    };
    if let Err(e) = pack::check_order(&policy, order) {
        eprintln!("error: --order: {e}");
        return 2;
    }
    if args.demand_exponent > 0 && policy != Policy::Plugin("Tetris") {
        eprintln!("error: --demand-exponent is an argument of Tetris, not of {}", policy.name());
        return 2;
    }
    let options = PackOptions { policy, order, seed: args.seed, demand_exponent: args.demand_exponent };
    match pack::pack(&instance, &options) {
        Ok(packing) => {
            let name = args.file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let report = Report {
                instance: &name,
                policy: options.policy.name(),
                nodes_used: packing.nodes_used,
                lower_bound: packing.lower_bound,
            };
            println!("{}", serde_json::to_string(&report).expect("plain values serialize"));
            0
        }
        Err(e) => {
            eprintln!(
                "error: internal: {e}\n  reproduce: kubesim pack {} --policy {} --order {} --seed {} --demand-exponent {}",
                args.file.display(),
                options.policy.name(),
                order.as_str(),
                args.seed,
                args.demand_exponent
            );
            3
        }
    }
}
