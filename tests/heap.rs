//! The binary's allocator (`kubesim::heap::HugeHeap`) installed as this test's global
//! allocator, as `src/main.rs` installs it: huge pages are off until asked for, and once on,
//! the heap the process already holds and the heap it grows into are advised
//! (`MADV_HUGEPAGE`, shown as `hg` in the mapping's `VmFlags`).

use kubesim::heap::{HugeHeap, huge_pages_used, use_huge_pages};

#[global_allocator]
static ALLOCATOR: HugeHeap = HugeHeap;

/// The `VmFlags` of every mapping of this process that overlaps `[start, end)`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn flags_over(start: usize, end: usize) -> Vec<String> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("/proc/self/smaps");
    let mut out = Vec::new();
    let mut overlaps = false;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((a, b)) = first.split_once('-')
            && let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
        {
            overlaps = a < end && start < b;
        } else if let Some(flags) = line.strip_prefix("VmFlags:")
            && overlaps
        {
            out.push(flags.trim().to_string());
        }
    }
    out
}

// No test harness (`harness = false` in Cargo.toml): libtest runs each test on a thread of
// its own, whose blocks glibc serves from a per-thread arena, not from the `brk` heap that the
// binary's single simulation thread (the main thread) allocates from.
fn main() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    huge_pages_cover_the_heap_only_once_asked_for();
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    assert!(!use_huge_pages(), "no huge pages but on Linux with glibc");
    println!("heap: ok");
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn huge_pages_cover_the_heap_only_once_asked_for() {
    // Many small blocks: they come from the `brk` heap, whatever glibc's mmap threshold.
    let before: Vec<Box<[u64; 8]>> = (0..10_000).map(|i| Box::new([i; 8])).collect();
    let at = |blocks: &[Box<[u64; 8]>]| {
        let p = blocks[blocks.len() / 2].as_ptr() as usize;
        (p, p + 64)
    };
    let (a, b) = at(&before);
    assert!(!huge_pages_used());
    let off = flags_over(a, b);
    assert_eq!(off.len(), 1, "one mapping holds a small block: {off:?}");
    assert!(!off[0].split(' ').any(|f| f == "hg"), "no advice before it is asked for: {off:?}");

    assert!(use_huge_pages(), "the global allocator is HugeHeap on Linux with glibc");
    assert!(use_huge_pages(), "idempotent");
    assert!(huge_pages_used());
    if !std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists() {
        // A kernel built without THP refuses the advice (EINVAL): nothing to read back.
        println!("heap: this kernel has no transparent huge pages; the advice is not checked");
        return;
    }
    let on = flags_over(a, b);
    assert!(on[0].split(' ').any(|f| f == "hg"), "the heap already held is advised: {on:?}");

    // Grow the heap well past the pad glibc now adds (64 MiB): the new part is advised too.
    let after: Vec<Box<[u64; 8]>> = (0..2_000_000u64).map(|i| Box::new([i; 8])).collect();
    let (c, d) = at(&after);
    let last = after.last().expect("blocks").as_ptr() as usize;
    for (what, (s, e)) in [("middle", (c, d)), ("last", (last, last + 64))] {
        let flags = flags_over(s, e);
        assert_eq!(flags.len(), 1, "{what}: {flags:?}");
        assert!(flags[0].split(' ').any(|f| f == "hg"), "the grown heap is advised ({what}): {flags:?}");
    }
    // The blocks are intact (the advice never moves or changes memory).
    assert!(before.iter().enumerate().all(|(i, x)| x[7] == i as u64));
    assert!(after.iter().enumerate().all(|(i, x)| x[0] == i as u64));

    // A block above the mmap threshold (32 MiB) is a mapping of its own, advised alone.
    let big = vec![7u8; 40 << 20];
    let p = big.as_ptr() as usize;
    let flags = flags_over(p, p + big.len());
    assert!(flags.iter().all(|f| f.split(' ').any(|f| f == "hg")), "large block advised: {flags:?}");
    assert_eq!(big[(40 << 20) - 1], 7);
}
