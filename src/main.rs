//! The `kubesim` binary: parses flags and hands over to `kubesim::cli`.

use clap::Parser;

fn main() {
    // Rust ignores SIGPIPE, so printing to a closed pipe (`kubesim run ... | head`) would
    // panic; restore the default, under which the process ends quietly like other tools.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_DFL at the start of `main`, before any
    // other thread exists, has no memory-safety requirement.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let args = kubesim::cli::Cli::parse();
    std::process::exit(kubesim::cli::main_with(args));
}
