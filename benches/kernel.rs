//! Kernel throughput on the classic hold model: the queue holds N pending events; each step
//! pops the earliest and schedules one new event at now + an exponential increment. Reported
//! as events per second for N = 1 k and N = 1 M (DESIGN.md §6: ≥ 20 M/s and ≥ 10 M/s).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kubesim::kernel::rng::unit_f64;
use kubesim::kernel::{EventQueue, SimDuration, SimTime, Streams};

/// Increments precomputed so the benchmark measures the queue, not the RNG or `ln`.
fn increments(n: usize) -> Vec<u64> {
    let mut rng = Streams::new(1).stream("hold");
    (0..n).map(|_| (-(1.0 - unit_f64(&mut rng)).ln() * 1_000_000.0) as u64 + 1).collect()
}

fn filled(pending: usize, incs: &[u64]) -> EventQueue<u32> {
    let mut q = EventQueue::with_capacity(pending + 1);
    for (i, inc) in incs.iter().take(pending).enumerate() {
        q.schedule(SimTime::from_micros(*inc), i as u32).unwrap();
    }
    q
}

fn hold(c: &mut Criterion) {
    let incs = increments(1 << 20);
    let mut group = c.benchmark_group("kernel_hold");
    for pending in [1_000usize, 1_000_000] {
        let steps = 100_000usize;
        group.throughput(Throughput::Elements(steps as u64));
        group.sample_size(if pending > 100_000 { 10 } else { 30 });
        group.bench_function(format!("pending_{pending}"), |b| {
            b.iter_batched_ref(
                || filled(pending, &incs),
                |q| {
                    let mut k = pending;
                    for _ in 0..steps {
                        let (t, _, ev) = q.pop().unwrap();
                        k = (k + 1) & (incs.len() - 1);
                        q.schedule(t + SimDuration::from_micros(incs[k]), ev).unwrap();
                    }
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
