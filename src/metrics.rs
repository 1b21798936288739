//! Measurements: periodic samples of the cluster (`timeseries.csv`) and the values checks
//! compare (`field_value`). See `docs/metrics.md`.

use crate::api::meta::{ConditionStatus, Kind};
use crate::api::pod::{ContainerState, PodPhase};
use crate::kernel::{SimDuration, SimTime};
use crate::load::Traffic;
use crate::scenario::check::{CheckValue, Target};
use crate::store::Store;

/// One row of `timeseries.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    pub time: SimTime,
    pub nodes: u32,
    pub nodes_ready: u32,
    pub pods_pending: u32,
    pub pods_running: u32,
    pub pods_ready: u32,
    pub pods_terminating: u32,
    pub pods_succeeded: u32,
    pub pods_failed: u32,
    /// Nodes holding at least one pod that has not finished.
    pub nodes_used: u32,
    /// Free cpu (millicores) and memory (bytes) on ready, schedulable nodes where no pending
    /// pod's requests fit: capacity the current demand cannot use (0 when nothing is pending).
    pub cpu_stranded_milli: i64,
    pub memory_stranded_bytes: i64,
    /// On clusters with GPU devices: (free GPU milli, fragmented GPU milli) — the FGD paper's
    /// fragmentation of every live node's free devices, weighted over the GPU shapes of the
    /// live pods (`None` without GPU devices).
    pub gpu: Option<(i64, i64)>,
    /// Σ requests of pods on nodes (cpu in millicores, memory in bytes).
    pub cpu_requested_milli: i64,
    pub cpu_allocatable_milli: i64,
    pub memory_requested_bytes: i64,
    pub memory_allocatable_bytes: i64,
    /// (name, requested, allocatable) for scalar resources present on some node.
    pub scalars: Vec<(std::sync::Arc<str>, i64, i64)>,
    /// API writes so far (journal records), for the writes-per-interval column.
    pub api_writes_total: u64,
    /// (offered, served, dropped) mrps of each loaded Service, in `Traffic::services` order.
    pub traffic: Vec<(u64, u64, u64)>,
}

/// The cluster's GPU fragmentation from the scheduler's view of its devices: Σ over nodes of
/// the free milli per device, and Σ of the expected fragmentation `F_n(M)` (Weng et al.,
/// ATC'23) over the target distribution `M` of the live pods' shapes (GPU request and cpu
/// request), weighted by count; `None` when no node has GPU devices. Integer milli (the
/// weighted mean is rounded down).
pub fn gpu_fragmentation(store: &Store, nodes: &[crate::scheduler::framework::NodeInfo]) -> Option<(i64, i64)> {
    use crate::api::resources::GpuRequest;
    use crate::scheduler::plugins::fgd::{Distribution, TargetShape, cpu_free};
    // Most clusters have no GPU: answer that before looking at any pod.
    if !store.node_ids().any(|id| nodes.get(id.index()).is_some_and(|n| n.gpu_device_count() > 0)) {
        return None;
    }
    let mut counts: std::collections::BTreeMap<(GpuRequest, i64), i64> = std::collections::BTreeMap::new();
    for id in store.live_pods() {
        let pod = store.pod(id);
        let request = GpuRequest::of(&pod.spec.requests);
        if request.uses_devices() && !pod.status.phase.is_terminal() {
            *counts.entry((request, pod.spec.requests.milli_cpu)).or_insert(0) += 1;
        }
    }
    let shapes: Vec<TargetShape> =
        counts.into_iter().map(|((request, cpu_milli), weight)| TargetShape { request, cpu_milli, weight }).collect();
    let distribution = Distribution::new(&shapes);
    let total: i128 = shapes.iter().map(|s| i128::from(s.weight)).sum();
    let (mut free, mut fragmented, mut any) = (0i64, 0i128, false);
    for id in store.node_ids() {
        let Some(info) = nodes.get(id.index()) else { continue };
        let devices = info.gpu_free();
        if devices.is_empty() {
            continue;
        }
        any = true;
        free += devices.iter().map(|&f| f.max(0)).sum::<i64>();
        if total > 0 {
            fragmented += distribution.weighted(&devices, cpu_free(info));
        }
    }
    any.then(|| (free, if total > 0 { (fragmented / total) as i64 } else { 0 }))
}

impl Sample {
    /// Counts the current state. Pods are counted by phase; removed pods are not counted
    /// (terminal pods that are still present are).
    pub fn take(time: SimTime, store: &Store) -> Sample {
        let mut s = Sample {
            time,
            nodes: store.node_count() as u32,
            nodes_ready: store.live_nodes().filter(|n| n.is_ready()).count() as u32,
            api_writes_total: store.journal.record_count(),
            pods_pending: 0,
            pods_running: 0,
            pods_ready: 0,
            pods_terminating: 0,
            pods_succeeded: 0,
            pods_failed: 0,
            nodes_used: 0,
            cpu_stranded_milli: 0,
            memory_stranded_bytes: 0,
            gpu: None,
            cpu_requested_milli: 0,
            cpu_allocatable_milli: 0,
            memory_requested_bytes: 0,
            memory_allocatable_bytes: 0,
            scalars: Vec::new(),
            traffic: Vec::new(),
        };
        for node in store.live_nodes() {
            let a = &node.allocatable_resources;
            s.cpu_allocatable_milli += a.milli_cpu;
            s.memory_allocatable_bytes += a.memory;
            for (name, v) in &a.scalar {
                match s.scalars.iter_mut().find(|(n, _, _)| n == name) {
                    Some(entry) => entry.2 += v,
                    None => s.scalars.push((name.clone(), 0, *v)),
                }
            }
        }
        for id in store.live_pods() {
            let pod = store.pod(id);
            match pod.status.phase {
                PodPhase::Pending | PodPhase::Unknown => s.pods_pending += 1,
                PodPhase::Running => s.pods_running += 1,
                PodPhase::Succeeded => s.pods_succeeded += 1,
                PodPhase::Failed => s.pods_failed += 1,
            }
            if pod.is_ready() {
                s.pods_ready += 1;
            }
            if pod.meta.is_terminating() {
                s.pods_terminating += 1;
            }
            // Pods left on a deleted node (until the pod garbage collector) hold nothing of the
            // remaining allocatable.
            if pod.status.node.is_some_and(|n| !store.is_node_removed(n)) && !pod.status.phase.is_terminal() {
                let r = &pod.spec.requests;
                s.cpu_requested_milli += r.milli_cpu;
                s.memory_requested_bytes += r.memory;
                for (name, v) in &r.scalar {
                    if let Some(entry) = s.scalars.iter_mut().find(|(n, _, _)| n == name) {
                        entry.1 += v;
                    }
                }
            }
        }
        s.scalars.sort();
        // Per node: requests of its unfinished pods; then the stranded free capacity.
        let mut used: Vec<(i64, i64, bool)> = vec![(0, 0, false); store.nodes().len()];
        let mut pending: Vec<(i64, i64)> = Vec::new();
        for id in store.live_pods() {
            let pod = store.pod(id);
            if pod.status.phase.is_terminal() {
                continue;
            }
            let r = &pod.spec.requests;
            match pod.status.node {
                Some(n) => {
                    let u = &mut used[n.index()];
                    u.0 += r.milli_cpu;
                    u.1 += r.memory;
                    u.2 = true;
                }
                None if !pod.meta.is_terminating() => pending.push((r.milli_cpu, r.memory)),
                None => {}
            }
        }
        s.nodes_used = store.node_ids().filter(|n| used[n.index()].2).count() as u32;
        if !pending.is_empty() {
            let minimal = MinimalShapes::new(pending);
            for n in store.node_ids() {
                let node = store.node(n);
                if !node.is_ready() || node.unschedulable {
                    continue;
                }
                let a = &node.allocatable_resources;
                let (free_cpu, free_mem) = (a.milli_cpu - used[n.index()].0, a.memory - used[n.index()].1);
                if !minimal.fit_in(free_cpu, free_mem) {
                    s.cpu_stranded_milli += free_cpu.max(0);
                    s.memory_stranded_bytes += free_mem.max(0);
                }
            }
        }
        s
    }
}

/// The pending (cpu, memory) shapes that no other is below: a node fits some pending pod iff
/// it fits one of these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinimalShapes {
    /// By cpu ascending, so by memory strictly descending (each is below the ones before it
    /// in memory, or it would not be minimal).
    shapes: Vec<(i64, i64)>,
}

impl MinimalShapes {
    pub fn new(mut pending: Vec<(i64, i64)>) -> MinimalShapes {
        pending.sort_unstable();
        pending.dedup();
        // In this order a shape is below another only if it comes first: a shape is minimal
        // iff its memory is below every earlier one's.
        let mut least_memory = i64::MAX;
        pending.retain(|&(_, m)| {
            let minimal = m < least_memory;
            least_memory = least_memory.min(m);
            minimal
        });
        MinimalShapes { shapes: pending }
    }

    /// Whether some pending shape fits in `cpu` and `memory`: of the shapes with at most
    /// `cpu`, the last needs the least memory.
    pub fn fit_in(&self, cpu: i64, memory: i64) -> bool {
        let within = self.shapes.partition_point(|&(c, _)| c <= cpu);
        within > 0 && self.shapes[within - 1].1 <= memory
    }

    pub fn shapes(&self) -> &[(i64, i64)] {
        &self.shapes
    }
}

/// The collected samples: one row per sample time. Consecutive samples whose values are
/// equal (nothing journaled between them) share one stored [`Sample`]: a 149-day trace
/// sampled every 130 s keeps a few thousand samples for its 99 k rows, and their times.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    pub interval: SimDuration,
    /// The time of every row.
    times: Vec<SimTime>,
    /// Runs of rows with equal values: the index of the run's first row, and its sample (whose
    /// `time` is that row's).
    runs: Vec<(usize, Sample)>,
}

impl Recorder {
    pub fn new(interval: SimDuration) -> Recorder {
        Recorder { interval, times: Vec::new(), runs: Vec::new() }
    }

    pub fn push(&mut self, mut sample: Sample) {
        // Two samples at one instant (the last interval ending exactly at `until`): keep one.
        if self.times.last() == Some(&sample.time) {
            self.times.pop();
            if self.runs.last().is_some_and(|&(start, _)| start == self.times.len()) {
                self.runs.pop();
            }
        }
        let time = sample.time;
        if let Some((_, last)) = self.runs.last() {
            sample.time = last.time;
            if *last == sample {
                self.times.push(time);
                return;
            }
            sample.time = time;
        }
        self.runs.push((self.times.len(), sample));
        self.times.push(time);
    }

    /// Records a row at `time` with the latest row's values, if there is one (what pushing
    /// an equal sample does, without building it). Returns whether it did.
    pub fn repeat_last(&mut self, time: SimTime) -> bool {
        if self.runs.is_empty() || self.times.last() == Some(&time) {
            return false;
        }
        self.times.push(time);
        true
    }

    /// The values of the latest row (the sample's own `time` is its run's first row's).
    pub fn last(&self) -> Option<&Sample> {
        self.runs.last().map(|(_, s)| s)
    }

    /// The distinct consecutive values, in order: for questions that ignore time.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Sample> + Clone {
        self.runs.iter().map(|(_, s)| s)
    }

    /// Every row in time order: its time and its values.
    pub fn rows(&self) -> impl Iterator<Item = (SimTime, &Sample)> + Clone {
        self.runs().flat_map(|(times, sample)| times.iter().map(move |&t| (t, sample)))
    }

    /// The runs of rows with equal values, in time order: their times and their values.
    pub fn runs(&self) -> impl Iterator<Item = (&[SimTime], &Sample)> + Clone {
        self.runs.iter().enumerate().map(move |(i, (start, sample))| {
            let end = self.runs.get(i + 1).map_or(self.times.len(), |&(next, _)| next);
            (&self.times[*start..end], sample)
        })
    }
}

/// What a check reads for a reference that is not set (kubectl prints `<none>`).
const NONE: &str = "<none>";

fn word(s: &str) -> CheckValue {
    CheckValue::Word(s.to_string())
}

fn yes(b: bool) -> CheckValue {
    word(if b { "True" } else { "False" })
}

/// A calendar time (Unix seconds) as the RFC 3339 text checks compare, or `<none>`.
fn calendar_time(unix_secs: Option<i64>) -> CheckValue {
    match unix_secs.and_then(|s| jiff::Timestamp::from_second(s).ok()) {
        Some(t) => word(&t.to_string()),
        None => word("<none>"),
    }
}

fn int(v: impl Into<i64>) -> CheckValue {
    CheckValue::Int(v.into())
}

/// Whole requests per second, rounded down, of a rate in mrps.
fn rps(mrps: u64) -> CheckValue {
    int(i64::try_from(mrps / 1000).unwrap_or(i64::MAX))
}

/// The value of a check field at `now`, or `None` when the object does not exist.
pub fn field_value(store: &Store, traffic: &Traffic, now: SimTime, target: &Target, field: &str) -> Option<CheckValue> {
    let r = match target {
        Target::Cluster => {
            let sample = Sample::take(SimTime::ZERO, store);
            let live = || store.live_pods().map(|p| store.pod(p));
            return Some(match field {
                "nodes" => int(sample.nodes),
                "nodesReady" => int(sample.nodes_ready),
                "podsCreated" => int(store.stats.pods_created as i64),
                "podsScheduled" => int(store.stats.pods_scheduled as i64),
                "podsPending" => int(sample.pods_pending),
                "podsRunning" => int(sample.pods_running),
                "podsReady" => int(sample.pods_ready),
                "podsSucceeded" => int(sample.pods_succeeded),
                "podsFailed" => int(sample.pods_failed),
                "podsTerminating" => int(sample.pods_terminating),
                "podsUnschedulable" => int(live()
                    .filter(|p| p.status.node.is_none() && p.status.unschedulable_reason().is_some())
                    .count() as i64),
                "preemptions" => int(store.stats.preemptions as i64),
                "podsPreempted" => int(store.stats.pods_preempted as i64),
                "pvcs" => int(store.pvcs().count() as i64),
                "pvs" => int(store.pvs().count() as i64),
                _ => return None,
            });
        }
        Target::Object(r) => r,
    };
    let value = match r.kind {
        Kind::Deployment => {
            let d = store.deployment(store.deployment_id(&r.namespace, &r.name)?)?;
            let cond = |c: &Option<crate::api::workload::DeploymentCondition>| {
                word(c.as_ref().map_or("Unknown", |c| c.status.as_str()))
            };
            match field {
                "exists" => yes(true),
                "spec.replicas" => int(d.replicas),
                "replicas" => int(d.status.replicas),
                "updatedReplicas" => int(d.status.updated_replicas),
                "readyReplicas" => int(d.status.ready_replicas),
                "availableReplicas" => int(d.status.available_replicas),
                "unavailableReplicas" => int(d.status.unavailable_replicas),
                "Available" => cond(&d.status.available),
                "Progressing" => cond(&d.status.progressing),
                "replicaSets" => int(store.deployment_rs(store.deployment_id(&r.namespace, &r.name)?).len() as i64),
                _ => return None,
            }
        }
        Kind::ReplicaSet => {
            let rs = store.replica_set(store.rs_id(&r.namespace, &r.name)?)?;
            match field {
                "exists" => yes(true),
                "spec.replicas" => int(rs.replicas),
                "replicas" => int(rs.status.replicas),
                "readyReplicas" => int(rs.status.ready_replicas),
                "availableReplicas" => int(rs.status.available_replicas),
                "terminatingReplicas" => int(rs.status.terminating_replicas),
                _ => return None,
            }
        }
        Kind::Service => {
            let s = store.service(store.service_id(&r.namespace, &r.name)?)?;
            // A Service without load offers, serves and drops nothing.
            let load = traffic.service(&r.namespace, &r.name);
            let rate = |pick: fn(&crate::load::ServiceTraffic) -> u64| rps(load.map_or(0, pick));
            let totals = load.map(|l| traffic.totals(l, now)).unwrap_or_default();
            let requests = |milli: u64| int(i64::try_from(milli / 1000).unwrap_or(i64::MAX));
            match field {
                "exists" => yes(true),
                "readyEndpoints" => int(s.endpoints.ready),
                "notReadyEndpoints" => int(s.endpoints.not_ready),
                "servingTerminatingEndpoints" => int(s.endpoints.serving_terminating),
                "offeredRps" => rate(|l| l.offered),
                "servedRps" => rate(|l| l.served),
                "droppedRps" => rate(|l| l.dropped),
                "offeredRequests" => requests(totals.offered_milli),
                "servedRequests" => requests(totals.served_milli),
                "droppedRequests" => requests(totals.dropped_milli),
                _ => return None,
            }
        }
        Kind::Node => {
            let id = store.node_id(&r.name)?;
            let n = store.node(id);
            let status = |s: ConditionStatus| word(s.as_str());
            match field {
                "exists" => yes(true),
                "Ready" => status(n.conditions.ready.status),
                "MemoryPressure" => status(n.conditions.memory_pressure.status),
                "DiskPressure" => status(n.conditions.disk_pressure.status),
                "PIDPressure" => status(n.conditions.pid_pressure.status),
                "unschedulable" => yes(n.unschedulable),
                "taints" => int(n.taints.len() as i64),
                "pods" => int(store.pods_on_node(id).len() as i64),
                "podsRunning" => int(store
                    .pods_on_node(id)
                    .iter()
                    .filter(|&&p| matches!(store.pod(p).status.container, ContainerState::Running { .. }))
                    .count() as i64),
                _ => return None,
            }
        }
        Kind::Pod => {
            let id = store.pod_id(&r.namespace, &r.name)?;
            let p = store.pod(id);
            match field {
                "cpuUsage" => int(traffic.cpu_usage_milli(store, id).unwrap_or(0)),
                "memoryUsage" => int(traffic.memory_usage_bytes(store, id).unwrap_or(0)),
                "servedRps" => rps(traffic.served(id)),
                "exists" => yes(true),
                "phase" => word(p.status.phase.as_str()),
                "ready" => yes(p.is_ready()),
                "node" => word(&p.status.node.map(|n| store.node(n).meta.name.clone()).unwrap_or_default()),
                "restartCount" => int(p.status.restart_count),
                "lastState" => word(if p.status.last_termination_reason.is_empty() {
                    "None"
                } else {
                    p.status.last_termination_reason
                }),
                "lastExitCode" => int(i64::from(p.status.last_exit_code)),
                "terminating" => yes(p.meta.is_terminating()),
                "priority" => int(p.spec.priority),
                "nominatedNode" => {
                    word(&p.status.nominated_node.map(|n| store.node(n).meta.name.clone()).unwrap_or_default())
                }
                "preempted" => {
                    yes(p.status.disruption_target() == Some(crate::scheduler::framework::PREEMPTION_BY_SCHEDULER))
                }
                "waitingReason" => {
                    word(if p.status.waiting_reason().is_empty() { "None" } else { p.status.waiting_reason() })
                }
                _ => return None,
            }
        }
        Kind::PriorityClass => {
            let c = store.priority_class(&r.name)?;
            match field {
                "exists" => yes(true),
                "value" => int(c.value),
                "globalDefault" => yes(c.global_default),
                _ => return None,
            }
        }
        Kind::PodDisruptionBudget => {
            let pdb = store.pdb(store.pdb_id(&r.namespace, &r.name)?)?;
            match field {
                "exists" => yes(true),
                "currentHealthy" => int(pdb.status.current_healthy),
                "desiredHealthy" => int(pdb.status.desired_healthy),
                "expectedPods" => int(pdb.status.expected_pods),
                "disruptionsAllowed" => int(pdb.status.disruptions_allowed),
                "DisruptionAllowed" => yes(pdb.status.disruption_allowed()),
                _ => return None,
            }
        }
        Kind::LimitRange => {
            store.limit_range(&r.namespace, &r.name)?;
            match field {
                "exists" => yes(true),
                _ => return None,
            }
        }
        Kind::ResourceQuota => {
            use crate::api::quota::{QuotaKind, pod_amount};
            use crate::api::resources::ResourceName;
            store.resource_quota(&r.namespace, &r.name)?;
            let pods = || {
                store
                    .live_pods()
                    .map(|p| store.pod(p))
                    .filter(move |p| p.meta.namespace == r.namespace && !p.status.phase.is_terminal())
            };
            let sum = |kind: QuotaKind, res: ResourceName| pods().map(|p| pod_amount(&p.spec, kind, &res)).sum::<i64>();
            match field {
                "exists" => yes(true),
                "usedPods" => int(pods().count() as i64),
                "usedRequestsCpu" => int(sum(QuotaKind::Requests, ResourceName::Cpu)),
                "usedRequestsMemory" => int(sum(QuotaKind::Requests, ResourceName::Memory)),
                "usedLimitsCpu" => int(sum(QuotaKind::Limits, ResourceName::Cpu)),
                "usedLimitsMemory" => int(sum(QuotaKind::Limits, ResourceName::Memory)),
                _ => return None,
            }
        }
        Kind::ConfigMap | Kind::Secret => {
            let source = if r.kind == Kind::ConfigMap {
                crate::api::pod::ConfigSource::ConfigMap
            } else {
                crate::api::pod::ConfigSource::Secret
            };
            let c = store.config(source, &r.namespace, &r.name)?;
            match field {
                "exists" => yes(true),
                "keys" => int(c.keys.len() as i64),
                _ => return None,
            }
        }
        Kind::Job => {
            use crate::api::batch::{JobConditionType as C, compact_ranges};
            let id = store.job_id(&r.namespace, &r.name)?;
            // Archived or not: a workload's finished Job keeps its status.
            let status = store.job_status(id)?;
            let cond = |k: C| {
                word(match status.conditions.iter().find(|c| c.kind == k) {
                    Some(c) => c.status.as_str(),
                    None => "False",
                })
            };
            match field {
                "exists" => yes(true),
                "active" => int(status.active),
                "ready" => int(status.ready),
                "terminating" => int(status.terminating),
                "succeeded" => int(status.succeeded),
                "failed" => int(status.failed),
                "podsCreated" => int(store.job_pods(id).len() as i64),
                "completedIndexes" => word(&compact_ranges(&status.completed_indexes)),
                "failedIndexes" => word(&compact_ranges(&status.failed_indexes)),
                "Complete" => cond(C::Complete),
                "Failed" => cond(C::Failed),
                "Suspended" => cond(C::Suspended),
                // The reason of the terminal condition (or of FailureTarget while pods stop).
                "reason" => word(
                    [C::Complete, C::Failed, C::FailureTarget, C::SuccessCriteriaMet]
                        .iter()
                        .find_map(|&k| status.condition(k))
                        .map(|c| c.reason)
                        .unwrap_or_default(),
                ),
                _ => return None,
            }
        }
        Kind::CronJob => {
            let id = store.cronjob_id(&r.namespace, &r.name)?;
            let cronjob = store.cronjob(id)?;
            match field {
                "exists" => yes(true),
                "active" => int(cronjob.status.active.len() as i64),
                "jobs" => int(store.cronjob_jobs(id).len() as i64),
                "jobsCreated" => int(store.cronjob_jobs_created(id)),
                "lastScheduleTime" => calendar_time(cronjob.status.last_schedule_time),
                "lastSuccessfulTime" => calendar_time(cronjob.status.last_successful_time),
                "suspended" => yes(cronjob.spec.suspend),
                _ => return None,
            }
        }
        Kind::StatefulSet => {
            let s = store.statefulset(store.sts_id(&r.namespace, &r.name)?)?;
            match field {
                "exists" => yes(true),
                "spec.replicas" => int(s.replicas),
                "replicas" => int(s.status.replicas),
                "readyReplicas" => int(s.status.ready_replicas),
                "availableReplicas" => int(s.status.available_replicas),
                "currentReplicas" => int(s.status.current_replicas),
                "updatedReplicas" => int(s.status.updated_replicas),
                "currentRevision" => word(&s.status.current_revision),
                "updateRevision" => word(&s.status.update_revision),
                // The revision is rolled out: every pod at the update revision.
                "rolloutComplete" => {
                    yes(!s.status.update_revision.is_empty() && s.status.current_revision == s.status.update_revision)
                }
                "revisions" => int(store.sts_revisions(store.sts_id(&r.namespace, &r.name)?).len() as i64),
                "pvcs" => int(store.pvcs_of(&r.namespace, &r.name).count() as i64),
                _ => return None,
            }
        }
        Kind::DaemonSet => {
            let ds = store.daemonset(store.ds_id(&r.namespace, &r.name)?)?;
            match field {
                "exists" => yes(true),
                "desiredNumberScheduled" => int(ds.status.desired_number_scheduled),
                "currentNumberScheduled" => int(ds.status.current_number_scheduled),
                "numberReady" => int(ds.status.number_ready),
                "numberAvailable" => int(ds.status.number_available),
                "numberUnavailable" => int(ds.status.number_unavailable),
                "updatedNumberScheduled" => int(ds.status.updated_number_scheduled),
                "numberMisscheduled" => int(ds.status.number_misscheduled),
                _ => return None,
            }
        }
        Kind::PersistentVolumeClaim => {
            let c = store.pvc(&r.namespace, &r.name)?;
            let volume = (!c.spec.volume_name.is_empty()).then_some(c.spec.volume_name.as_str());
            let zone = volume.and_then(|v| store.pv(v)).map(|v| v.zone()).filter(|z| !z.is_empty());
            match field {
                "exists" => yes(true),
                "phase" => word(c.phase.as_str()),
                "volume" => word(volume.unwrap_or(NONE)),
                "zone" => word(zone.as_deref().unwrap_or(NONE)),
                "storageClass" => word(if c.class().is_empty() { NONE } else { c.class() }),
                "terminating" => yes(c.deleting),
                _ => return None,
            }
        }
        Kind::PersistentVolume => {
            let v = store.pv(&r.name)?;
            let zone = v.zone();
            match field {
                "exists" => yes(true),
                "phase" => word(v.phase.as_str()),
                "claim" => word(&v.claim_ref.as_ref().map_or_else(|| NONE.to_string(), |c| c.key())),
                "zone" => word(if zone.is_empty() { NONE } else { &zone }),
                "storageClass" => word(if v.storage_class_name.is_empty() { NONE } else { &v.storage_class_name }),
                "reclaimPolicy" => word(v.reclaim_policy.as_str()),
                _ => return None,
            }
        }
        Kind::StorageClass => {
            let c = store.storage_class(&r.name)?;
            match field {
                "exists" => yes(true),
                "default" => yes(store.default_storage_class().is_some_and(|d| d.meta.name == c.meta.name)),
                "volumeBindingMode" => word(c.volume_binding_mode.as_str()),
                _ => return None,
            }
        }
        Kind::Namespace => {
            if !store.namespace_exists(&r.name) {
                return None;
            }
            match field {
                "exists" => yes(true),
                "phase" => word(if store.namespace_terminating(&r.name) { "Terminating" } else { "Active" }),
                _ => return None,
            }
        }
        Kind::HorizontalPodAutoscaler => {
            use crate::api::autoscaling::{HpaConditionType as C, MetricStatus};
            let hpa = store.hpa(store.hpa_id(&r.namespace, &r.name)?)?;
            let status = &hpa.status;
            let cond = |t: C| word(status.condition(t).map_or("Unknown", |c| c.status.as_str()));
            let reason = |t: C| word(status.condition(t).map_or("None", |c| c.reason));
            match field {
                "exists" => yes(true),
                "minReplicas" => int(hpa.spec.min_replicas_or_default()),
                "maxReplicas" => int(hpa.spec.max_replicas),
                "currentReplicas" => int(status.current_replicas),
                "desiredReplicas" => int(status.desired_replicas),
                "currentCpuUtilization" => status
                    .current_metrics
                    .iter()
                    .flatten()
                    .find_map(|m| match m {
                        MetricStatus::Resource(r) if r.name == crate::api::resources::ResourceName::Cpu => {
                            r.current.average_utilization
                        }
                        _ => None,
                    })
                    .map_or_else(|| word("None"), int),
                "lastScaleTime" => status
                    .last_scale_time
                    .map_or_else(|| word("None"), |t| int(i64::try_from(t.as_secs()).unwrap_or(i64::MAX))),
                "AbleToScale" => cond(C::AbleToScale),
                "ScalingActive" => cond(C::ScalingActive),
                "ScalingLimited" => cond(C::ScalingLimited),
                "AbleToScaleReason" => reason(C::AbleToScale),
                "ScalingActiveReason" => reason(C::ScalingActive),
                "ScalingLimitedReason" => reason(C::ScalingLimited),
                _ => return None,
            }
        }
        Kind::Ingress => {
            store.ingress(store.ingress_id(&r.namespace, &r.name)?)?;
            match field {
                "exists" => yes(true),
                _ => return None,
            }
        }
    };
    Some(value)
}

#[cfg(test)]
mod recorder_tests {
    use super::*;

    fn sample(secs: u64, pending: u32) -> Sample {
        let store = Store::new(crate::journal::Journal::new(false));
        Sample { pods_pending: pending, ..Sample::take(SimTime::from_secs(secs), &store) }
    }

    /// Rows come back as pushed, times and values, while equal neighbours share a sample.
    #[test]
    fn rows_come_back_as_pushed_and_equal_neighbours_share_a_sample() {
        let mut r = Recorder::new(SimDuration::from_secs(10));
        let pushed = [(0, 1), (10, 1), (20, 1), (30, 2), (40, 2), (50, 1), (60, 1)];
        for (t, p) in pushed {
            r.push(sample(t, p));
        }
        let rows: Vec<(u64, u32)> = r.rows().map(|(t, s)| (t.as_micros() / 1_000_000, s.pods_pending)).collect();
        assert_eq!(rows, pushed);
        assert_eq!((r.rows().count(), r.values().count()), (7, 3));
        assert_eq!(r.last().map(|s| s.pods_pending), Some(1));
        // A second sample at the last instant replaces its row, whether it starts a run...
        r.push(sample(60, 5));
        assert_eq!(r.rows().count(), 7);
        assert_eq!(r.rows().last().map(|(t, s)| (t, s.pods_pending)), Some((SimTime::from_secs(60), 5)));
        assert_eq!(r.values().count(), 4);
        // ... or ends one: the run of 5 had that row only and is gone.
        r.push(sample(60, 1));
        assert_eq!(r.values().count(), 3);
        let rows: Vec<(u64, u32)> = r.rows().map(|(t, s)| (t.as_micros() / 1_000_000, s.pods_pending)).collect();
        assert_eq!(rows, pushed);
    }
}

#[cfg(test)]
mod minimal_shape_tests {
    use super::MinimalShapes;
    use proptest::prelude::*;

    proptest! {
        /// Against the definitions: a shape is kept iff no other pending shape is below it in
        /// both resources, and a node fits some pending shape iff it fits a kept one.
        #[test]
        fn minimal_shapes_match_their_definition(
            pending in proptest::collection::vec((0i64..6, 0i64..6), 1..12),
            free in (-1i64..7, -1i64..7),
        ) {
            let minimal = MinimalShapes::new(pending.clone());
            let mut want: Vec<(i64, i64)> = pending
                .iter()
                .copied()
                .filter(|&(c, m)| !pending.iter().any(|&(c2, m2)| (c2, m2) != (c, m) && c2 <= c && m2 <= m))
                .collect();
            want.sort_unstable();
            want.dedup();
            prop_assert_eq!(minimal.shapes(), &want[..]);
            let fits = pending.iter().any(|&(c, m)| c <= free.0 && m <= free.1);
            prop_assert_eq!(minimal.fit_in(free.0, free.1), fits);
        }
    }
}
