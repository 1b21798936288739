//! The scheduling-decision workload, shared by `benches/scheduler.rs` (wall time, criterion)
//! and `benches/icount.rs` (instruction counts, callgrind): kube-scheduler's scheduler_perf
//! shape, nodes of 4 CPU / 32 Gi / 110 pods over 3 zones, pods requesting 100m / 500Mi, the
//! default profile. Each decision includes what the engine does around it: creating the pod
//! in the store, queueing it, filtering, scoring, binding and journaling.

use std::sync::Arc;

use kubesim::api::meta::ObjectMeta;
use kubesim::api::pod::{Container, Pod, PodSpec, PodStatus};
use kubesim::api::quantity::Quantity;
use kubesim::api::resources::ResourceName;
use kubesim::journal::Journal;
use kubesim::kernel::{SimTime, Streams};
use kubesim::manifest::{NodeFields, build_node};
use kubesim::scheduler::Scheduler;
use kubesim::scheduler::config::SchedulerConfig;
use kubesim::store::{Change, Store};

fn q(s: &str) -> Quantity {
    s.parse().unwrap()
}

/// A store with `nodes` nodes and a default-profile scheduler that has seen them.
/// `percentage`: `percentageOfNodesToScore` (`None`: the adaptive default).
pub fn cluster(nodes: usize, percentage: Option<i32>) -> (Store, Scheduler) {
    let mut store = Store::new(Journal::new(false));
    let config = SchedulerConfig { percentage_of_nodes_to_score: percentage, ..SchedulerConfig::default() };
    let mut scheduler = Scheduler::new(&config, Streams::new(1).stream("scheduler.tiebreak"), false);
    for i in 0..nodes {
        let mut fields = NodeFields::default();
        fields.allocatable.insert(ResourceName::Cpu, q("4"));
        fields.allocatable.insert(ResourceName::Memory, q("32Gi"));
        fields.allocatable.insert(ResourceName::Pods, q("110"));
        fields.capacity = fields.allocatable.clone();
        let mut meta = ObjectMeta { name: format!("node-{i}"), ..ObjectMeta::default() };
        meta.labels.insert("kubernetes.io/hostname".into(), meta.name.clone());
        meta.labels.insert("topology.kubernetes.io/zone".into(), format!("zone-{}", i % 3));
        let id = store.add_node(SimTime::ZERO, build_node(meta, fields));
        scheduler.on_change(&store, Change::NodeAdded(id), SimTime::ZERO);
    }
    let mut drain = Vec::new();
    store.drain_changes(&mut drain);
    (store, scheduler)
}

pub fn pod_spec() -> Arc<PodSpec> {
    let mut c = Container { name: "c".into(), image: "pause".into(), ..Container::default() };
    c.requests.insert(ResourceName::Cpu, q("100m"));
    c.requests.insert(ResourceName::Memory, q("500Mi"));
    let mut spec = PodSpec { containers: vec![c], scheduler_name: "default-scheduler".into(), ..PodSpec::default() };
    spec.finalize();
    Arc::new(spec)
}

/// Creates and schedules `pods` pods one by one, as the engine does.
pub fn schedule(store: &mut Store, scheduler: &mut Scheduler, spec: &Arc<PodSpec>, pods: usize) {
    schedule_from(store, scheduler, spec, 0, pods);
}

/// [`schedule`] for pods numbered from `first` on (after pods already placed).
pub fn schedule_from(store: &mut Store, scheduler: &mut Scheduler, spec: &Arc<PodSpec>, first: usize, pods: usize) {
    let now = SimTime::ZERO;
    let mut changes = Vec::new();
    for i in first..first + pods {
        let meta = ObjectMeta { name: format!("pod-{i}"), namespace: "default".into(), ..ObjectMeta::default() };
        let pod = Pod { meta, spec: spec.clone(), sim: Arc::default(), status: PodStatus::default() };
        store.create_pod(now, pod, None);
        store.drain_changes(&mut changes);
        for c in changes.drain(..) {
            scheduler.on_change(store, c, now);
        }
        scheduler.schedule_one(store, now).expect("a pod is queued");
        store.drain_changes(&mut changes);
        for c in changes.drain(..) {
            scheduler.on_change(store, c, now);
        }
    }
}
