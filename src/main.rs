//! The `kubesim` binary: parses flags and hands over to `kubesim::cli`.

use clap::Parser;

fn main() {
    let args = kubesim::cli::Cli::parse();
    std::process::exit(kubesim::cli::main_with(args));
}
