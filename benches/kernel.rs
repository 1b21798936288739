//! Kernel throughput on the classic hold model: the queue holds N pending events; each step
//! pops the earliest and schedules one new event at now + an exponential increment. Reported
//! as events per second for N = 1 k and N = 1 M (DESIGN.md §6: ≥ 20 M/s and ≥ 10 M/s).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

#[path = "common/hold.rs"]
mod hold;
use hold::{filled, increments};

fn hold_model(c: &mut Criterion) {
    let incs = increments(1 << 20);
    let mut group = c.benchmark_group("kernel_hold");
    for pending in [1_000usize, 1_000_000] {
        let steps = 100_000usize;
        group.throughput(Throughput::Elements(steps as u64));
        group.sample_size(if pending > 100_000 { 10 } else { 30 });
        group.bench_function(format!("pending_{pending}"), |b| {
            b.iter_batched_ref(
                || filled(pending, &incs),
                |q| hold::hold(q, &incs, pending, steps),
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, hold_model);
criterion_main!(benches);
