//! Availability and recovery metrics (`availability.csv`, `summary.json`'s `availability` and
//! `faults`), observed at the end of every instant from the watch stream:
//!
//! - per Deployment, StatefulSet and ReplicaSet without a Deployment: the time its ready
//!   replicas (`status.readyReplicas`) were below its desired replicas (`spec.replicas`), the
//!   number of such episodes and the longest, and the minimum ready count. Tracking starts
//!   once the workload first has all its desired replicas ready, so the initial rollout is not
//!   counted; a scale-up is (the new replicas are desired and not ready);
//! - per Service: the time with zero ready endpoints, from its first ready endpoint on, and
//!   (with `spec.load`) the requests dropped;
//! - per Job: retries (pods that failed, or were deleted before finishing, e.g. with their
//!   node) and the time those pods had run, lost;
//! - per fault: the time to recover — from the fault to the first instant at which every
//!   workload it hit has its desired ready replicas again counting only pods the fault did not
//!   hit or that became Ready again after it — and the MTTR, the mean of those times.

use std::collections::{BTreeMap, BTreeSet};

use crate::faults::FaultRecord;
use crate::kernel::{SimDuration, SimTime};
use crate::store::{Change, DeploymentId, JobId, OwnerId, PodId, PodOwner, RsId, ServiceId, Store, StsId};

/// A workload whose ready replicas are tracked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Workload {
    Deployment(DeploymentId),
    /// Only a ReplicaSet no Deployment controls.
    ReplicaSet(RsId),
    StatefulSet(StsId),
}

impl Workload {
    /// The workload a pod belongs to, if it is a tracked kind.
    pub fn of_pod(store: &Store, pod: PodId) -> Option<Workload> {
        match store.pod_owner(pod)? {
            PodOwner::ReplicaSet(rs) => Some(match store.rs_owner(rs) {
                Some(d) => Workload::Deployment(d),
                None => Workload::ReplicaSet(rs),
            }),
            PodOwner::StatefulSet(s) => Some(Workload::StatefulSet(s)),
            _ => None,
        }
    }

    /// (desired, ready) replicas; `None` once the workload is deleted.
    fn counts(self, store: &Store) -> Option<(i32, i32)> {
        match self {
            Workload::Deployment(d) => store.deployment(d).map(|d| (d.replicas, d.status.ready_replicas)),
            Workload::ReplicaSet(rs) => store.replica_set(rs).map(|r| (r.replicas, r.status.ready_replicas)),
            Workload::StatefulSet(s) => store.statefulset(s).map(|s| (s.replicas, s.status.ready_replicas)),
        }
    }

    /// `kind/namespace/name`; `None` once deleted.
    fn describe(self, store: &Store) -> Option<String> {
        Some(match self {
            Workload::Deployment(d) => format!("deployment/{}", store.deployment(d)?.meta.key()),
            Workload::ReplicaSet(rs) => format!("replicaset/{}", store.replica_set(rs)?.meta.key()),
            Workload::StatefulSet(s) => format!("statefulset/{}", store.statefulset(s)?.meta.key()),
        })
    }

    /// Its live pods, each given to `f`.
    fn visit_pods(self, store: &Store, f: &mut impl FnMut(PodId)) {
        let owner = match self {
            Workload::Deployment(d) => OwnerId::Deployment(d),
            Workload::ReplicaSet(rs) => OwnerId::ReplicaSet(rs),
            Workload::StatefulSet(s) => OwnerId::StatefulSet(s),
        };
        store.visit_owned_pods(owner, f);
    }

    /// The workload of a ReplicaSet: its Deployment's, or its own.
    fn of_replica_set(store: &Store, rs: RsId) -> Workload {
        match store.rs_owner(rs) {
            Some(d) => Workload::Deployment(d),
            None => Workload::ReplicaSet(rs),
        }
    }
}

/// Episodes below a target, accumulated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Episodes {
    /// Below since this instant (an episode in progress).
    pub since: Option<SimTime>,
    /// Closed episodes: their number, total and longest duration.
    pub count: u32,
    pub total: SimDuration,
    pub longest: SimDuration,
}

impl Episodes {
    fn observe(&mut self, now: SimTime, below: bool) {
        match (self.since, below) {
            (None, true) => self.since = Some(now),
            (Some(since), false) => {
                let d = now.saturating_since(since);
                self.count += 1;
                self.total = self.total.saturating_add(d);
                self.longest = self.longest.max(d);
                self.since = None;
            }
            _ => {}
        }
    }

    /// (episodes, total, longest) as of `now`, counting an episode in progress.
    pub fn at(&self, now: SimTime) -> (u32, SimDuration, SimDuration) {
        match self.since {
            None => (self.count, self.total, self.longest),
            Some(since) => {
                let d = now.saturating_since(since);
                (self.count + 1, self.total.saturating_add(d), self.longest.max(d))
            }
        }
    }
}

/// One workload's record.
#[derive(Clone, Debug, Default)]
pub struct WorkloadStats {
    pub name: String,
    pub desired: i32,
    /// Once all desired replicas have been ready.
    pub tracking: bool,
    pub min_ready: Option<i32>,
    pub below: Episodes,
}

#[derive(Clone, Debug, Default)]
pub struct ServiceStats {
    pub name: String,
    pub tracking: bool,
    pub zero: Episodes,
}

#[derive(Clone, Debug, Default)]
pub struct JobStats {
    pub name: String,
    pub retries: u32,
    pub time_lost: SimDuration,
}

/// A fault whose hit workloads have not recovered yet.
#[derive(Clone, Debug)]
struct Pending {
    record: usize,
    at: SimTime,
    workloads: Vec<Workload>,
    hit: BTreeSet<PodId>,
    /// Whether its recovery was looked at yet: afterwards only a change to one of its
    /// workloads can end it.
    checked: bool,
}

#[derive(Default)]
pub struct Availability {
    workloads: BTreeMap<Workload, WorkloadStats>,
    services: BTreeMap<ServiceId, ServiceStats>,
    jobs: BTreeMap<JobId, JobStats>,
    /// Job pods already counted as retries.
    counted: BTreeSet<PodId>,
    pending: Vec<Pending>,
    dirty: BTreeSet<Workload>,
    pods_changed: bool,
    /// The workloads whose pods, object or ReplicaSets changed since the pending faults were
    /// last looked at: only these can have recovered since (kept while a fault is pending).
    touched: BTreeSet<Workload>,
    /// Services created, changed or given new endpoint counts in this instant.
    services_dirty: BTreeSet<ServiceId>,
}

impl Availability {
    /// Follows one entry of the watch stream.
    pub fn on_change(&mut self, store: &Store, change: Change, now: SimTime) {
        match change {
            Change::Deployment(d) | Change::DeploymentRemoved(d) => {
                self.dirty.insert(Workload::Deployment(d));
                self.touch(Workload::Deployment(d));
            }
            Change::StatefulSet(s) | Change::StatefulSetRemoved(s) => {
                self.dirty.insert(Workload::StatefulSet(s));
                self.touch(Workload::StatefulSet(s));
            }
            Change::ReplicaSet(rs) | Change::ReplicaSetRemoved(rs) => {
                let w = Workload::of_replica_set(store, rs);
                if w == Workload::ReplicaSet(rs) {
                    self.dirty.insert(w);
                }
                self.touch(w);
            }
            Change::PodStatus(p) | Change::PodRemoved(p) | Change::PodBound(p) | Change::PodDeleting(p) => {
                self.pods_changed = true;
                if !self.pending.is_empty()
                    && let Some(w) = Workload::of_pod(store, p)
                {
                    self.touch(w);
                }
                self.job_pod(store, p, now, matches!(change, Change::PodRemoved(_)));
            }
            Change::Service(s) | Change::Endpoints(s) => {
                self.services_dirty.insert(s);
            }
            _ => {}
        }
    }

    /// Notes that `w` changed, while some fault waits for its workloads to recover.
    fn touch(&mut self, w: Workload) {
        if !self.pending.is_empty() {
            self.touched.insert(w);
        }
    }

    /// A Job's pod changed: a failure, or a removal before it finished, is a retry.
    fn job_pod(&mut self, store: &Store, p: PodId, now: SimTime, removed: bool) {
        let Some(PodOwner::Job(job)) = store.pod_owner(p) else { return };
        if self.counted.contains(&p) {
            return;
        }
        let pod = store.pod(p);
        use crate::api::pod::PodPhase;
        let lost_until = match pod.status.phase {
            PodPhase::Failed => pod.status.finished_at.unwrap_or(now),
            PodPhase::Succeeded => return,
            _ if removed => now,
            _ => return,
        };
        self.counted.insert(p);
        let name = store.job_object_key(job);
        let stats = self.jobs.entry(job).or_default();
        if let Some(name) = name {
            stats.name = name;
        }
        stats.retries += 1;
        if let Some(start) = pod.status.start_time {
            stats.time_lost = stats.time_lost.saturating_add(lost_until.saturating_since(start));
        }
    }

    /// A fault hit these pods (those on the nodes it took down, or the crashed one): track the
    /// recovery of their workloads. Returns whether any tracked workload was hit.
    pub fn fault_hit(&mut self, store: &Store, record: usize, at: SimTime, pods: &[PodId]) -> bool {
        let mut workloads = BTreeSet::new();
        let mut hit = BTreeSet::new();
        for &p in pods {
            if let Some(w) = Workload::of_pod(store, p) {
                workloads.insert(w);
                hit.insert(p);
            }
        }
        if workloads.is_empty() {
            return false;
        }
        self.pending.push(Pending { record, at, workloads: workloads.into_iter().collect(), hit, checked: false });
        true
    }

    /// At the end of an instant: updates the episodes of what changed, and the recoveries.
    pub fn end_step(&mut self, now: SimTime, store: &Store, log: &mut [FaultRecord]) {
        for w in std::mem::take(&mut self.dirty) {
            let counts = w.counts(store);
            let stats = self.workloads.entry(w).or_default();
            let Some((desired, ready)) = counts else {
                stats.below.observe(now, false);
                continue;
            };
            if stats.name.is_empty()
                && let Some(name) = w.describe(store)
            {
                stats.name = name;
            }
            stats.desired = desired;
            if !stats.tracking {
                if ready < desired {
                    continue;
                }
                stats.tracking = true;
            }
            stats.min_ready = Some(stats.min_ready.map_or(ready, |m| m.min(ready)));
            stats.below.observe(now, ready < desired);
        }
        for id in std::mem::take(&mut self.services_dirty) {
            // A Service's endpoint counts change only with an `Endpoints` change.
            if let Some(s) = store.service(id) {
                let stats = self.services.entry(id).or_default();
                if stats.name.is_empty() {
                    stats.name = s.meta.key();
                }
                let ready = s.endpoints.ready;
                if !stats.tracking {
                    if ready == 0 {
                        continue;
                    }
                    stats.tracking = true;
                }
                stats.zero.observe(now, ready == 0);
            }
        }
        if std::mem::take(&mut self.pods_changed) && !self.pending.is_empty() {
            // What the recovery reads (the workloads' desired replicas, their pods and those
            // pods' readiness) changed only for the touched workloads: a fault looked at
            // before and hitting none of them has not recovered.
            let touched = std::mem::take(&mut self.touched);
            self.pending.retain_mut(|p| {
                if p.checked && !p.workloads.iter().any(|w| touched.contains(w)) {
                    return true;
                }
                p.checked = true;
                let recovered = p.workloads.iter().all(|&w| {
                    let Some((desired, _)) = w.counts(store) else { return true };
                    let mut healthy = 0i64;
                    w.visit_pods(store, &mut |pod| {
                        let status = &store.pod(pod).status;
                        healthy +=
                            i64::from(status.ready_since.is_some_and(|since| !p.hit.contains(&pod) || since > p.at));
                    });
                    healthy >= i64::from(desired)
                });
                if recovered {
                    log[p.record].recovered = Some(now);
                }
                !recovered
            });
        }
        if self.pending.is_empty() {
            self.touched.clear();
        }
    }

    pub fn workloads(&self) -> impl Iterator<Item = &WorkloadStats> {
        self.workloads.values().filter(|w| !w.name.is_empty())
    }

    pub fn services(&self) -> impl Iterator<Item = &ServiceStats> {
        self.services.values()
    }

    pub fn jobs(&self) -> impl Iterator<Item = &JobStats> {
        self.jobs.values()
    }
}

/// MTTR as observed: the mean time to recover over the faults that hit a workload and
/// recovered within the run; `None` if none did.
pub fn mttr(log: &[FaultRecord]) -> Option<SimDuration> {
    let times: Vec<u64> =
        log.iter().filter_map(|r| r.recovered.map(|t| t.saturating_since(r.start).as_micros())).collect();
    if times.is_empty() {
        return None;
    }
    Some(SimDuration::from_micros(times.iter().sum::<u64>() / times.len() as u64))
}

/// `availability.csv`: one row per workload, Service and Job, in that order.
pub fn availability_csv(a: &Availability, now: SimTime, dropped: &dyn Fn(&str) -> Option<u64>) -> String {
    use std::fmt::Write;
    let d = |x: SimDuration| crate::output::secs(SimTime::ZERO + x);
    let mut out = String::from(
        "kind,name,desired,min_ready,time_below_desired_s,episodes,longest_episode_s,zero_endpoints_s,dropped_requests,retries,time_lost_s\n",
    );
    for w in a.workloads() {
        let (kind, name) = w.name.split_once('/').unwrap_or(("", &w.name));
        let (episodes, total, longest) = w.below.at(now);
        let min = w.min_ready.map(|m| m.to_string()).unwrap_or_default();
        let _ = writeln!(out, "{kind},{name},{},{min},{},{episodes},{},,,,", w.desired, d(total), d(longest));
    }
    for s in a.services() {
        let (episodes, total, longest) = s.zero.at(now);
        let dropped = dropped(&s.name).map(|m| format!("{}.{:03}", m / 1000, m % 1000)).unwrap_or_default();
        let _ = writeln!(out, "service,{},,,,{episodes},{},{},{dropped},,", s.name, d(longest), d(total));
    }
    for j in a.jobs() {
        let _ = writeln!(out, "job,{},,,,,,,,{},{}", j.name, j.retries, d(j.time_lost));
    }
    out
}
