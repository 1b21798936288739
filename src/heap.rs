//! The binary's global allocator: the system allocator, with transparent huge pages under the
//! heap of a large run.
//!
//! A million-pod run chases pointers through a heap of ~450 MB; backing it with 2 MiB pages
//! instead of 4 KiB ones spares most of its TLB misses (the 1M day: 11–25 % faster beside
//! another run, within the noise alone; `results/BENCHMARKS.md`). On a small run the same pages only round every touched 2 MiB
//! region up (the openb slice: 13 → 29 MB), so they are asked for only once a run is known to
//! be large ([`for_scenario`], after the scenario is loaded). From then on the allocator
//! advises the kernel (`madvise(MADV_HUGEPAGE)`) over the whole `brk` heap and over each later
//! extension of it, and has glibc grow the heap 64 MiB at a time and keep blocks under 32 MiB
//! in it (`mallopt`), so that a fresh 2 MiB region is advised before anything touches it: what
//! glibc itself does under its `glibc.malloc.hugetlb=1` tunable, which can only be set before
//! the process starts, when nobody knows yet how large the run is.
//!
//! The advice changes where memory comes from, never what is allocated or in what order: a
//! run's results do not depend on it (the determinism tests compare runs with it on and off).
//! It applies only on Linux with glibc, only when [`HugeHeap`] is the global allocator, and
//! only where the kernel's THP setting is `always` or `madvise`.
//! `KUBESIM_HUGE_PAGES=never` (or `always`) overrides the choice ([`Policy`]).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Runs with at least this many nodes get huge pages (unless `KUBESIM_HUGE_PAGES` says
/// otherwise): the 10,000-node days hold 75–480 MB; the openb replay (1,523 nodes, 36 MB)
/// would grow to 63 MB for no gain.
pub const NODES_FOR_HUGE_PAGES: usize = 2000;

/// glibc grows the heap by this much beyond each request once huge pages are on, so that a
/// fresh 2 MiB region is advised before its first touch (only the region where the new top
/// chunk's header lands is touched first).
const TOP_PAD: usize = 64 << 20;

/// Blocks under this size stay in the advised heap once huge pages are on (glibc's largest
/// dynamic mmap threshold on 64-bit systems; setting any threshold freezes the dynamic one).
/// Larger blocks are advised one by one.
const MMAP_THRESHOLD: usize = 32 << 20;

/// The system allocator, advising huge pages over the heap once [`use_huge_pages`] is called.
/// Install it with `#[global_allocator]` (the `kubesim` binary does).
pub struct HugeHeap;

/// Whether the heap is advised (set once, by [`use_huge_pages`]).
static ENABLED: AtomicBool = AtomicBool::new(false);
/// The end of the heap as last advised.
static ADVISED_END: AtomicUsize = AtomicUsize::new(0);
/// The start of the `brk` heap (its end when [`HugeHeap`] first ran; 0 until then, which also
/// says that it is not the global allocator).
static HEAP_START: AtomicUsize = AtomicUsize::new(0);

/// The environment variable the binary reads the [`Policy`] from (`src/main.rs`; the library
/// itself never reads the environment).
pub const ENV: &str = "KUBESIM_HUGE_PAGES";

/// When a run gets huge pages: `KUBESIM_HUGE_PAGES=auto|always|never`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Runs with at least [`NODES_FOR_HUGE_PAGES`] nodes (the default).
    Auto,
    /// Every run.
    Always,
    /// No run.
    Never,
}

impl Policy {
    /// The policy a value of `KUBESIM_HUGE_PAGES` names (unset or empty: `Auto`).
    pub fn parse(value: Option<&str>) -> Result<Policy, String> {
        match value {
            None | Some("") | Some("auto") => Ok(Policy::Auto),
            Some("always") => Ok(Policy::Always),
            Some("never") => Ok(Policy::Never),
            Some(other) => Err(format!("{ENV}={other:?} is not one of always, never, auto")),
        }
    }
}

/// The policy [`for_scenario`] follows, as `Policy as u8` (`Auto` until set).
static POLICY: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(Policy::Auto as u8);

/// Sets the policy [`for_scenario`] follows (the binary, from `KUBESIM_HUGE_PAGES`).
pub fn set_policy(policy: Policy) {
    POLICY.store(policy as u8, Ordering::Relaxed);
}

/// Turns huge pages on for a run of `nodes` nodes if the policy says so: `Auto` from
/// [`NODES_FOR_HUGE_PAGES`] nodes. Returns whether they are on.
pub fn for_scenario(nodes: usize) -> bool {
    let wanted = match POLICY.load(Ordering::Relaxed) {
        p if p == Policy::Always as u8 => true,
        p if p == Policy::Never as u8 => false,
        _ => nodes >= NODES_FOR_HUGE_PAGES,
    };
    wanted && use_huge_pages()
}

/// Asks for huge pages under the heap from now on, and under what it already holds. Returns
/// whether they are on: false unless [`HugeHeap`] is the global allocator on Linux with glibc.
/// Idempotent.
pub fn use_huge_pages() -> bool {
    if !sys::SUPPORTED || HEAP_START.load(Ordering::Relaxed) == 0 {
        return false;
    }
    if !ENABLED.swap(true, Ordering::Relaxed) {
        sys::tune(TOP_PAD, MMAP_THRESHOLD);
        advise_growth();
    }
    true
}

/// Whether huge pages are on ([`use_huge_pages`] succeeded).
pub fn huge_pages_used() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod sys {
    pub const SUPPORTED: bool = true;

    /// The huge page size the advice is aligned to (x86-64 and aarch64 with 4 KiB pages).
    pub const HUGE: usize = 2 << 20;

    /// The current end of the `brk` heap (glibc answers from its cache: no system call).
    #[inline]
    pub fn brk_end() -> usize {
        // SAFETY: `sbrk(0)` reads the break without moving it.
        unsafe { libc::sbrk(0) as usize }
    }

    /// Advises huge pages over `[start, end)`, `start` rounded down to a 4 KiB page.
    pub fn advise(start: usize, end: usize) {
        let start = start & !(4096 - 1);
        if end > start {
            // SAFETY: advice only: MADV_HUGEPAGE never changes the contents of the range, and
            // a range that is not mapped only makes the call fail.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }

    /// Has glibc grow its heap by `top_pad` beyond each request and keep blocks under
    /// `mmap_threshold` in it.
    pub fn tune(top_pad: usize, mmap_threshold: usize) {
        // SAFETY: `mallopt` only sets the allocator's parameters (under its own lock).
        unsafe {
            libc::mallopt(libc::M_TOP_PAD, top_pad as libc::c_int);
            libc::mallopt(libc::M_MMAP_THRESHOLD, mmap_threshold as libc::c_int);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod sys {
    pub const SUPPORTED: bool = false;
    pub const HUGE: usize = 2 << 20;
    pub fn brk_end() -> usize {
        0
    }
    pub fn advise(_start: usize, _end: usize) {}
    pub fn tune(_top_pad: usize, _mmap_threshold: usize) {}
}

/// Advises whatever the heap gained since the last advice (the whole heap the first time).
#[cold]
#[inline(never)]
fn advise_growth() {
    let end = sys::brk_end();
    let start = HEAP_START.load(Ordering::Relaxed);
    let advised = ADVISED_END.load(Ordering::Relaxed);
    // From the last advised end, rounded down to a huge page so that the 2 MiB page across it
    // is covered; from the start the first time, or after the heap shrank.
    let from = if advised == 0 || end < advised { start } else { (advised & !(sys::HUGE - 1)).max(start) };
    sys::advise(from, end);
    ADVISED_END.store(end, Ordering::Relaxed);
}

impl HugeHeap {
    #[inline]
    fn before_alloc(&self) {
        if HEAP_START.load(Ordering::Relaxed) == 0 {
            HEAP_START.store(sys::brk_end(), Ordering::Relaxed);
        }
    }

    #[inline]
    fn after_alloc(&self, p: *mut u8, size: usize) {
        if ENABLED.load(Ordering::Relaxed) {
            if sys::brk_end() != ADVISED_END.load(Ordering::Relaxed) {
                advise_growth();
            }
            if size >= MMAP_THRESHOLD && !p.is_null() {
                // A block of its own mapping: advise it alone.
                sys::advise(p as usize, p as usize + size);
            }
        }
    }
}

// SAFETY: every call is forwarded to `System` unchanged; the advice around it reads the break
// and advises the kernel, touching no allocation.
unsafe impl GlobalAlloc for HugeHeap {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.before_alloc();
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { System.alloc(layout) };
        self.after_alloc(p, layout.size());
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.before_alloc();
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { System.alloc_zeroed(layout) };
        self.after_alloc(p, layout.size());
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        self.after_alloc(p, new_size);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_is_read_from_its_three_values() {
        assert_eq!(Policy::parse(None), Ok(Policy::Auto));
        assert_eq!(Policy::parse(Some("")), Ok(Policy::Auto));
        assert_eq!(Policy::parse(Some("auto")), Ok(Policy::Auto));
        assert_eq!(Policy::parse(Some("always")), Ok(Policy::Always));
        assert_eq!(Policy::parse(Some("never")), Ok(Policy::Never));
        let e = Policy::parse(Some("on")).unwrap_err();
        assert!(e.contains("KUBESIM_HUGE_PAGES=\"on\" is not one of always, never, auto"), "{e}");
    }

    #[test]
    fn nothing_is_advised_unless_huge_heap_is_the_global_allocator() {
        // The unit tests run on the system allocator: even `Always` turns nothing on.
        set_policy(Policy::Always);
        assert!(!for_scenario(10_000));
        assert!(!use_huge_pages());
        assert!(!huge_pages_used());
        set_policy(Policy::Auto);
    }
}
