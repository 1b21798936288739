//! The kernel hold model, shared by `benches/kernel.rs` (wall time, criterion) and
//! `benches/icount.rs` (instruction counts, callgrind): the queue holds N pending events; each
//! step pops the earliest and schedules one new event at now + an exponential increment.

use kubesim::kernel::rng::unit_f64;
use kubesim::kernel::{EventQueue, SimDuration, SimTime, Streams};

/// `n` increments (a power of two), precomputed so the benchmark measures the queue, not the
/// RNG or `ln`.
pub fn increments(n: usize) -> Vec<u64> {
    let mut rng = Streams::new(1).stream("hold");
    (0..n).map(|_| (-(1.0 - unit_f64(&mut rng)).ln() * 1_000_000.0) as u64 + 1).collect()
}

/// A queue holding `pending` events.
pub fn filled(pending: usize, incs: &[u64]) -> EventQueue<u32> {
    let mut q = EventQueue::with_capacity(pending + 1);
    for (i, inc) in incs.iter().take(pending).enumerate() {
        q.schedule(SimTime::from_micros(*inc), i as u32).unwrap();
    }
    q
}

/// `steps` hold operations on a queue filled by `filled(pending, incs)`.
pub fn hold(q: &mut EventQueue<u32>, incs: &[u64], pending: usize, steps: usize) {
    let mut k = pending;
    for _ in 0..steps {
        let (t, _, ev) = q.pop().unwrap();
        k = (k + 1) & (incs.len() - 1);
        q.schedule(t + SimDuration::from_micros(incs[k]), ev).unwrap();
    }
}
