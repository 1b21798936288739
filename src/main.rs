//! The `kubesim` binary: parses flags and hands over to `kubesim::cli`.

use clap::Parser;

/// The system allocator, with huge pages under a large run's heap (`kubesim::heap`).
#[global_allocator]
static ALLOCATOR: kubesim::heap::HugeHeap = kubesim::heap::HugeHeap;

fn main() {
    // Rust ignores SIGPIPE, so printing to a closed pipe (`kubesim run ... | head`) would
    // panic; restore the default, under which the process ends quietly like other tools.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_DFL at the start of `main`, before any
    // other thread exists, has no memory-safety requirement.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Huge pages under a large run's heap: auto (by node count), always, never.
    let huge_pages = std::env::var(kubesim::heap::ENV).ok();
    match kubesim::heap::Policy::parse(huge_pages.as_deref()) {
        Ok(policy) => kubesim::heap::set_policy(policy),
        Err(e) => eprintln!("warning: {e}; using auto"),
    }
    let args = kubesim::cli::Cli::parse();
    std::process::exit(kubesim::cli::main_with(args));
}
