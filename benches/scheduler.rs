//! Scheduling decisions per second on the scheduler_perf shape: 5,000 nodes of 4 CPU / 32 Gi /
//! 110 pods, pods of 100m / 500Mi, default profile (DESIGN.md §6).
fn main() {}
