//! Scheduling decisions per second on kube-scheduler's scheduler_perf shape: nodes of 4 CPU /
//! 32 Gi / 110 pods, pods requesting 100m / 500Mi, the default profile, at 5,000 and 50,000
//! nodes, with the default `percentageOfNodesToScore` and scoring every node (DESIGN.md §6:
//! ≥ 300 k/s and ≥ 100 k/s at 5,000 nodes; ≥ 80 k/s and ≥ 15 k/s at 50,000). Each decision includes what the engine does around it: creating the pod in
//! the store, queueing it, filtering, scoring, binding and journaling.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

#[path = "common/cluster.rs"]
mod cluster;
use cluster::{cluster, pod_spec, schedule};

fn decisions(c: &mut Criterion) {
    let spec = pod_spec();
    let mut group = c.benchmark_group("scheduler_decisions");
    group.sample_size(10);
    let cases: [(&str, usize, Option<i32>, usize); 4] = [
        ("5000_nodes_default_sampling", 5_000, None, 2_000),
        ("5000_nodes_score_all", 5_000, Some(100), 500),
        ("50000_nodes_default_sampling", 50_000, None, 500),
        ("50000_nodes_score_all", 50_000, Some(100), 50),
    ];
    for (label, nodes, percentage, pods) in cases {
        group.throughput(Throughput::Elements(pods as u64));
        group.bench_function(label, |b| {
            b.iter_batched_ref(
                || cluster(nodes, percentage),
                |(store, scheduler)| schedule(store, scheduler, &spec, pods),
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, decisions);
criterion_main!(benches);
