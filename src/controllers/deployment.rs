//! The Deployment controller (`pkg/controller/deployment/{sync,rolling,recreate,progress}.go`,
//! `util/deployment_util.go`): finds or creates the ReplicaSet for the current template, rolls
//! out with RollingUpdate (maxSurge / maxUnavailable) or Recreate, scales proportionally on a
//! scaling event, cleans up history, and maintains the status and the Available and
//! Progressing conditions.
//!
//! A sync works on a local copy of the ReplicaSets' `spec.replicas` so that later steps of the
//! same sync see earlier scalings, as the Go controller sees the objects its API calls return.
//! It keeps the Go controller's early returns (one scaling direction per sync); the resulting
//! changes wake it again at the same instant.

use std::sync::Arc;

use crate::api::meta::{ConditionStatus, Kind, ObjectMeta, OwnerReference};
use crate::api::pod::{PodPhase, PodTemplateSpec};
use crate::api::workload::{
    Deployment, DeploymentCondition, DeploymentStatus, DeploymentStrategy, POD_TEMPLATE_HASH_LABEL, ReplicaSet,
    ReplicaSetStatus, annotations,
};
use crate::kernel::{SimDuration, SimTime};
use crate::store::{DeploymentId, RsId, Store};

/// What a Deployment sync wants done, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum DeploymentAction {
    CreateReplicaSet(Box<ReplicaSet>),
    Scale { rs: RsId, replicas: i32, annotations: Vec<(&'static str, String)> },
    DeleteReplicaSet(RsId),
    SetStatus(DeploymentStatus),
    RequeueAt(SimTime),
}

const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
const RS_UPDATED: &str = "ReplicaSetUpdated";
const TIMED_OUT: &str = "ProgressDeadlineExceeded";
const PAUSED: &str = "DeploymentPaused";
const RESUMED: &str = "DeploymentResumed";

/// A ReplicaSet as the sync sees it: its id (None while being created), spec and status.
#[derive(Clone, Debug)]
struct RsView {
    id: Option<RsId>,
    name: String,
    created: SimTime,
    spec: i32,
    status: ReplicaSetStatus,
    revision: i64,
    desired_annotation: Option<i32>,
    max_annotation: Option<i32>,
}

struct Sync<'a> {
    store: &'a Store,
    now: SimTime,
    d: &'a Deployment,
    id: DeploymentId,
    actions: Vec<DeploymentAction>,
    /// The new ReplicaSet's revision annotation was already updated in this sync.
    revision_synced: bool,
}

/// One sync of Deployment `id`.
pub fn reconcile(store: &Store, now: SimTime, id: DeploymentId) -> Vec<DeploymentAction> {
    let Some(d) = store.deployment(id) else { return Vec::new() };
    let mut sync = Sync { store, now, d, id, actions: Vec::new(), revision_synced: false };
    sync.run();
    sync.actions
}

impl Sync<'_> {
    fn run(&mut self) {
        let d = self.d;
        if d.meta.deletion_timestamp.is_some() {
            let (new_rs, old) = self.split(false);
            self.sync_status_only(&new_rs, &old, None);
            return;
        }
        let paused_cond = self.paused_condition();
        if d.paused {
            self.sync_scale(paused_cond);
            return;
        }
        if self.is_scaling_event() {
            self.sync_scale(paused_cond);
            return;
        }
        match d.strategy {
            DeploymentStrategy::RollingUpdate { .. } => self.rollout_rolling(paused_cond),
            DeploymentStrategy::Recreate => self.rollout_recreate(paused_cond),
        }
    }

    /// The ReplicaSets this Deployment controls, oldest first.
    fn owned(&self) -> Vec<RsView> {
        let mut out: Vec<RsView> = self
            .store
            .deployment_rs(self.id)
            .iter()
            .filter_map(|&rs_id| {
                let rs = self.store.replica_set(rs_id)?;
                let ann = |k: &str| rs.meta.annotations.get(k).and_then(|v| v.parse::<i64>().ok());
                Some(RsView {
                    id: Some(rs_id),
                    name: rs.meta.name.clone(),
                    created: rs.meta.creation_timestamp,
                    spec: rs.replicas,
                    status: rs.status.clone(),
                    revision: ann(annotations::REVISION).unwrap_or(0),
                    desired_annotation: ann(annotations::DESIRED_REPLICAS).map(|v| v as i32),
                    max_annotation: ann(annotations::MAX_REPLICAS).map(|v| v as i32),
                })
            })
            .collect();
        out.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.name.cmp(&b.name)));
        out
    }

    /// `FindNewReplicaSet` + old ones. With `create`, a missing new ReplicaSet is created.
    fn split(&mut self, create: bool) -> (Option<RsView>, Vec<RsView>) {
        let all = self.owned();
        let template = &self.d.template;
        let new_pos = all.iter().position(|rs| {
            rs.id
                .and_then(|id| self.store.replica_set(id))
                .is_some_and(|r| templates_equal_ignoring_hash(&r.template, template))
        });
        let mut old = all.clone();
        let mut new_rs = new_pos.map(|i| old.remove(i));
        let max_old_revision = old.iter().map(|r| r.revision).max().unwrap_or(0);
        let new_revision = max_old_revision + 1;
        if let Some(rs) = new_rs.as_mut() {
            if rs.revision < new_revision {
                rs.revision = new_revision;
            }
            if rs.revision == new_revision
                && !self.revision_synced
                && self.store.replica_set(rs.id.expect("existing")).is_some_and(|r| {
                    r.meta.annotations.get(annotations::REVISION).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0)
                        < new_revision
                })
            {
                self.revision_synced = true;
                let (surge, _) = self.d.fenceposts();
                self.actions.push(DeploymentAction::Scale {
                    rs: rs.id.expect("existing"),
                    replicas: rs.spec,
                    annotations: vec![
                        (annotations::REVISION, new_revision.to_string()),
                        (annotations::DESIRED_REPLICAS, self.d.replicas.to_string()),
                        (annotations::MAX_REPLICAS, (self.d.replicas + surge).to_string()),
                    ],
                });
            }
        } else if create {
            let replicas = self.new_rs_new_replicas(&old, 0);
            let rs = self.build_new_rs(replicas, new_revision);
            let view = RsView {
                id: None,
                name: rs.meta.name.clone(),
                created: self.now,
                spec: replicas,
                status: ReplicaSetStatus::default(),
                revision: new_revision,
                desired_annotation: Some(self.d.replicas),
                max_annotation: Some(self.d.replicas + self.d.max_surge()),
            };
            self.actions.push(DeploymentAction::CreateReplicaSet(Box::new(rs)));
            new_rs = Some(view);
        }
        (new_rs, old)
    }

    fn build_new_rs(&self, replicas: i32, revision: i64) -> ReplicaSet {
        let d = self.d;
        let hash = pod_template_hash(&d.template, 0);
        let mut template = d.template.clone();
        template.labels.insert(POD_TEMPLATE_HASH_LABEL.to_string(), hash.clone());
        let selector = d.selector.clone().with_requirement(
            crate::api::selector::Requirement::new(
                POD_TEMPLATE_HASH_LABEL,
                crate::api::selector::Operator::Equals,
                vec![hash.clone()],
            )
            .expect("the hash is a valid label value"),
        );
        let mut meta = ObjectMeta {
            name: format!("{}-{hash}", d.meta.name),
            namespace: d.meta.namespace.clone(),
            labels: template.labels.clone(),
            ..ObjectMeta::default()
        };
        meta.annotations.insert(annotations::REVISION.to_string(), revision.to_string());
        meta.annotations.insert(annotations::DESIRED_REPLICAS.to_string(), d.replicas.to_string());
        meta.annotations.insert(annotations::MAX_REPLICAS.to_string(), (d.replicas + d.max_surge()).to_string());
        meta.owner_references.push(OwnerReference {
            kind: Kind::Deployment,
            name: d.meta.name.clone(),
            uid: d.meta.uid,
            controller: true,
        });
        ReplicaSet {
            meta,
            replicas,
            min_ready_seconds: d.min_ready_seconds,
            selector,
            template,
            status: ReplicaSetStatus::default(),
        }
    }

    /// `NewRSNewReplicas`.
    fn new_rs_new_replicas(&self, old: &[RsView], new_spec: i32) -> i32 {
        match self.d.strategy {
            DeploymentStrategy::Recreate => self.d.replicas,
            DeploymentStrategy::RollingUpdate { .. } => {
                let max_total = self.d.replicas + self.d.max_surge();
                let current: i32 = old.iter().map(|r| r.spec).sum::<i32>() + new_spec;
                if current >= max_total {
                    return new_spec;
                }
                let scale_up = (max_total - current).min(self.d.replicas - new_spec);
                new_spec + scale_up
            }
        }
    }

    /// Scales one ReplicaSet (locally and as an action), setting the replica annotations.
    fn scale(&mut self, rs: &mut RsView, replicas: i32) -> bool {
        let desired = self.d.replicas;
        let max = self.d.replicas + self.d.max_surge();
        let annotations_change = rs.desired_annotation != Some(desired) || rs.max_annotation != Some(max);
        if rs.spec == replicas && !annotations_change {
            return false;
        }
        let scaled = rs.spec != replicas;
        rs.spec = replicas;
        rs.desired_annotation = Some(desired);
        rs.max_annotation = Some(max);
        if let Some(id) = rs.id {
            self.actions.push(DeploymentAction::Scale {
                rs: id,
                replicas,
                annotations: vec![
                    (annotations::DESIRED_REPLICAS, desired.to_string()),
                    (annotations::MAX_REPLICAS, max.to_string()),
                ],
            });
        } else if let Some(DeploymentAction::CreateReplicaSet(new)) =
            self.actions.iter_mut().rev().find(|a| matches!(a, DeploymentAction::CreateReplicaSet(_)))
        {
            new.replicas = replicas;
        }
        scaled
    }

    fn is_scaling_event(&mut self) -> bool {
        let (new_rs, old) = self.split(false);
        new_rs
            .iter()
            .chain(old.iter())
            .filter(|r| r.spec > 0)
            .any(|r| r.desired_annotation.is_some_and(|desired| desired != self.d.replicas))
    }

    fn rollout_rolling(&mut self, paused_cond: Option<DeploymentCondition>) {
        let (new_rs, mut old) = self.split(true);
        let mut new_rs = new_rs.expect("created when missing");
        // reconcileNewReplicaSet
        let scaled_up = if new_rs.spec == self.d.replicas {
            false
        } else if new_rs.spec > self.d.replicas {
            let target = self.d.replicas;
            self.scale(&mut new_rs, target)
        } else {
            let target = self.new_rs_new_replicas(&old, new_rs.spec);
            self.scale(&mut new_rs, target)
        };
        if scaled_up {
            self.sync_rollout_status(&Some(new_rs), &old, paused_cond);
            return;
        }
        // reconcileOldReplicaSets
        let scaled_down = self.reconcile_old(&mut old, &new_rs);
        if scaled_down {
            self.sync_rollout_status(&Some(new_rs), &old, paused_cond);
            return;
        }
        if deployment_complete(self.d, &self.d.status) {
            self.cleanup(&old);
        }
        self.sync_rollout_status(&Some(new_rs), &old, paused_cond);
    }

    fn reconcile_old(&mut self, old: &mut [RsView], new_rs: &RsView) -> bool {
        let old_pods: i32 = old.iter().map(|r| r.spec).sum();
        if old_pods == 0 {
            return false;
        }
        let all_pods = old_pods + new_rs.spec;
        let min_available = self.d.replicas - self.d.max_unavailable();
        let new_unavailable = new_rs.spec - new_rs.status.available_replicas;
        let max_scaled_down = all_pods - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return false;
        }
        // cleanupUnhealthyReplicas: oldest first.
        let mut cleaned = 0;
        for rs in old.iter_mut() {
            if cleaned >= max_scaled_down {
                break;
            }
            if rs.spec == 0 || rs.spec == rs.status.available_replicas {
                continue;
            }
            let down = (max_scaled_down - cleaned).min(rs.spec - rs.status.available_replicas);
            let target = rs.spec - down;
            self.scale(rs, target);
            cleaned += down;
        }
        // scaleDownOldReplicaSetsForRollingUpdate
        let available: i32 =
            old.iter().map(|r| r.status.available_replicas).sum::<i32>() + new_rs.status.available_replicas;
        let mut scaled = 0;
        if available > min_available {
            let total = available - min_available;
            for rs in old.iter_mut() {
                if scaled >= total {
                    break;
                }
                if rs.spec == 0 {
                    continue;
                }
                let down = rs.spec.min(total - scaled);
                let target = rs.spec - down;
                self.scale(rs, target);
                scaled += down;
            }
        }
        cleaned + scaled > 0
    }

    fn rollout_recreate(&mut self, paused_cond: Option<DeploymentCondition>) {
        let (new_rs, mut old) = self.split(false);
        // Scale down every active old ReplicaSet.
        let mut scaled_down = false;
        for rs in old.iter_mut() {
            if rs.spec > 0 {
                scaled_down |= self.scale(rs, 0);
            }
        }
        if scaled_down {
            self.sync_rollout_status(&new_rs, &old, paused_cond);
            return;
        }
        if self.old_pods_running(&new_rs, &old) {
            self.sync_rollout_status(&new_rs, &old, paused_cond);
            return;
        }
        let (new_rs, old) = if new_rs.is_none() { self.split(true) } else { (new_rs, old) };
        let mut new_rs = new_rs.expect("created when missing");
        if new_rs.spec != self.d.replicas {
            let target = self.d.replicas;
            self.scale(&mut new_rs, target);
        }
        if deployment_complete(self.d, &self.d.status) {
            self.cleanup(&old);
        }
        self.sync_rollout_status(&Some(new_rs), &old, paused_cond);
    }

    /// `oldPodsRunning`: any old pod that is not Succeeded/Failed (terminating ones count).
    fn old_pods_running(&self, new_rs: &Option<RsView>, old: &[RsView]) -> bool {
        if old.iter().map(|r| r.status.replicas).sum::<i32>() > 0 {
            return true;
        }
        let new_id = new_rs.as_ref().and_then(|r| r.id);
        self.store.deployment_rs(self.id).iter().filter(|&&rs| Some(rs) != new_id).any(|&rs| {
            self.store
                .rs_pods(rs)
                .iter()
                .any(|&p| !matches!(self.store.pod(p).status.phase, PodPhase::Succeeded | PodPhase::Failed))
        })
    }

    /// `sync`: scaling only (paused Deployments and scaling events).
    fn sync_scale(&mut self, paused_cond: Option<DeploymentCondition>) {
        let (new_rs, mut old) = self.split(false);
        self.proportional_scale(&new_rs, &mut old);
        if self.d.paused {
            self.cleanup(&old);
        }
        self.sync_status_only(&new_rs, &old, paused_cond);
    }

    /// `scale` (sync.go): proportional scaling across active ReplicaSets.
    fn proportional_scale(&mut self, new_rs: &Option<RsView>, old: &mut [RsView]) {
        let mut new_rs = new_rs.clone();
        let replicas = self.d.replicas;
        // FindActiveOrLatest: at most one active ReplicaSet (or none: the newest).
        let active_count = new_rs.iter().chain(old.iter()).filter(|r| r.spec > 0).count();
        if active_count <= 1 {
            let target: Option<&mut RsView> = if let Some(n) = new_rs.as_mut().filter(|r| r.spec > 0) {
                Some(n)
            } else if let Some(o) = old.iter_mut().find(|r| r.spec > 0) {
                Some(o)
            } else if let Some(n) = new_rs.as_mut() {
                Some(n)
            } else {
                old.iter_mut().max_by(|a, b| a.created.cmp(&b.created).then_with(|| a.name.cmp(&b.name)))
            };
            if let Some(rs) = target {
                if rs.spec == replicas {
                    return;
                }
                let mut rs_copy = rs.clone();
                self.scale(&mut rs_copy, replicas);
                *rs = rs_copy;
            }
            return;
        }
        // IsSaturated: the new ReplicaSet has everything: scale old ones to zero.
        if let Some(n) = &new_rs
            && n.spec == replicas
            && n.desired_annotation == Some(replicas)
            && n.status.available_replicas == replicas
        {
            for rs in old.iter_mut().filter(|r| r.spec > 0) {
                self.scale(rs, 0);
            }
            return;
        }
        if let DeploymentStrategy::RollingUpdate { .. } = self.d.strategy {
            let allowed = if replicas > 0 { replicas + self.d.max_surge() } else { 0 };
            let mut all: Vec<RsView> =
                new_rs.iter().cloned().chain(old.iter().cloned()).filter(|r| r.spec > 0).collect();
            let current: i32 = all.iter().map(|r| r.spec).sum();
            let to_add = allowed - current;
            // Largest first; ties: newer first when adding, older first when removing.
            all.sort_by(|a, b| {
                b.spec.cmp(&a.spec).then_with(|| {
                    if to_add > 0 {
                        b.created.cmp(&a.created).then_with(|| b.name.cmp(&a.name))
                    } else {
                        a.created.cmp(&b.created).then_with(|| a.name.cmp(&b.name))
                    }
                })
            });
            let mut added = 0;
            let mut sizes: Vec<i32> = Vec::with_capacity(all.len());
            for rs in &all {
                let p = self.proportion(rs, to_add, added);
                sizes.push(rs.spec + p);
                added += p;
            }
            if let Some(first) = sizes.first_mut() {
                *first = (*first + to_add - added).max(0);
            }
            for (rs, size) in all.iter_mut().zip(sizes) {
                self.scale(rs, size);
            }
        }
    }

    /// `GetProportion`.
    fn proportion(&self, rs: &RsView, to_add: i32, added: i32) -> i32 {
        if rs.spec == 0 || to_add == 0 || to_add == added {
            return 0;
        }
        let fraction = self.replica_set_fraction(rs);
        let allowed = to_add - added;
        if to_add > 0 { fraction.min(allowed) } else { fraction.max(allowed) }
    }

    /// `getReplicaSetFraction`: round-half-away-from-zero of spec·target/annotation − spec.
    fn replica_set_fraction(&self, rs: &RsView) -> i32 {
        if self.d.replicas == 0 {
            return -rs.spec;
        }
        let target = f64::from(self.d.replicas + self.d.max_surge());
        let mut annotated = rs.max_annotation.unwrap_or(0);
        if annotated == 0 {
            annotated = self.d.status.replicas;
        }
        if annotated == 0 {
            return 0;
        }
        let scaled = (f64::from(rs.spec) * target / f64::from(annotated)).round();
        scaled as i32 - rs.spec
    }

    /// `cleanupDeployment`: delete the oldest-revision dead ReplicaSets beyond the limit.
    fn cleanup(&mut self, old: &[RsView]) {
        let mut cleanable: Vec<&RsView> =
            old.iter().filter(|r| r.id.is_some() && r.spec == 0 && r.status.replicas == 0).collect();
        let limit = self.d.revision_history_limit.max(0) as usize;
        if cleanable.len() <= limit {
            return;
        }
        cleanable.sort_by(|a, b| {
            a.revision.cmp(&b.revision).then_with(|| a.created.cmp(&b.created)).then_with(|| a.name.cmp(&b.name))
        });
        let diff = cleanable.len() - limit;
        for rs in cleanable.into_iter().take(diff) {
            self.actions.push(DeploymentAction::DeleteReplicaSet(rs.id.expect("existing")));
        }
    }

    /// `calculateStatus`.
    fn calculate_status(&self, new_rs: &Option<RsView>, old: &[RsView]) -> DeploymentStatus {
        let all = new_rs.iter().chain(old.iter());
        let available: i32 = all.clone().map(|r| r.status.available_replicas).sum();
        let total_spec: i32 = all.clone().map(|r| r.spec).sum();
        let mut status = DeploymentStatus {
            observed_generation: self.d.meta.generation,
            replicas: all.clone().map(|r| r.status.replicas).sum(),
            updated_replicas: new_rs.as_ref().map_or(0, |r| r.status.replicas),
            ready_replicas: all.map(|r| r.status.ready_replicas).sum(),
            available_replicas: available,
            unavailable_replicas: (total_spec - available).max(0),
            available: self.d.status.available.clone(),
            progressing: self.d.status.progressing.clone(),
        };
        let (cond_status, reason) = if available >= self.d.replicas - self.d.max_unavailable() {
            (ConditionStatus::True, "MinimumReplicasAvailable")
        } else {
            (ConditionStatus::False, "MinimumReplicasUnavailable")
        };
        set_condition(&mut status.available, cond_status, reason, self.now);
        status
    }

    /// `checkPausedConditions`: the Progressing condition while paused / on resume.
    fn paused_condition(&self) -> Option<DeploymentCondition> {
        let d = self.d;
        d.progress_deadline_seconds?;
        let current = d.status.progressing.as_ref();
        let paused_now = current.is_some_and(|c| c.reason == PAUSED);
        if d.paused && !paused_now {
            return Some(new_condition(ConditionStatus::Unknown, PAUSED, self.now));
        }
        if !d.paused && paused_now {
            return Some(new_condition(ConditionStatus::Unknown, RESUMED, self.now));
        }
        None
    }

    fn sync_status_only(&mut self, new_rs: &Option<RsView>, old: &[RsView], paused_cond: Option<DeploymentCondition>) {
        let mut status = self.calculate_status(new_rs, old);
        if let Some(c) = paused_cond {
            status.progressing = Some(c);
        }
        if status != self.d.status {
            self.actions.push(DeploymentAction::SetStatus(status));
        }
    }

    /// `syncRolloutStatus`: status plus the Progressing condition and the deadline requeue.
    fn sync_rollout_status(
        &mut self,
        new_rs: &Option<RsView>,
        old: &[RsView],
        paused_cond: Option<DeploymentCondition>,
    ) {
        let d = self.d;
        let mut status = self.calculate_status(new_rs, old);
        if let Some(c) = paused_cond {
            status.progressing = Some(c);
        }
        let Some(deadline) = d.progress_deadline_seconds else {
            status.progressing = None;
            if status != d.status {
                self.actions.push(DeploymentAction::SetStatus(status));
            }
            return;
        };
        let current = d.status.progressing.clone();
        let is_complete = status.replicas == status.updated_replicas
            && current.as_ref().is_some_and(|c| c.reason == NEW_RS_AVAILABLE);
        if !is_complete {
            if deployment_complete(d, &status) {
                set_condition(&mut status.progressing, ConditionStatus::True, NEW_RS_AVAILABLE, self.now);
            } else if deployment_progressing(d, &status) {
                let mut cond = new_condition(ConditionStatus::True, RS_UPDATED, self.now);
                if let Some(c) = &current
                    && c.status == ConditionStatus::True
                {
                    cond.last_transition_time = c.last_transition_time;
                }
                status.progressing = Some(cond);
            } else if timed_out(deadline, &status, self.now) {
                set_condition(&mut status.progressing, ConditionStatus::False, TIMED_OUT, self.now);
            }
        }
        if status != d.status {
            self.actions.push(DeploymentAction::SetStatus(status));
            return;
        }
        // requeueStuckDeployment
        if let Some(c) = &current
            && !deployment_complete(d, &status)
            && c.reason != TIMED_OUT
        {
            // Go requeues at once (rate limited) when the deadline is less than a second away
            // or past; with zero informer latency that sync would see exactly this state again
            // and decide the same, so only future deadlines are requeued.
            let deadline_at = c.last_update_time + SimDuration::from_secs(deadline as u64);
            if deadline_at >= self.now + SimDuration::from_secs(1) {
                self.actions.push(DeploymentAction::RequeueAt(deadline_at + SimDuration::from_secs(1)));
            }
        }
    }
}

fn new_condition(status: ConditionStatus, reason: &'static str, now: SimTime) -> DeploymentCondition {
    DeploymentCondition { status, reason, last_update_time: now, last_transition_time: now }
}

/// `SetDeploymentCondition`: no change when status and reason are equal; the transition time
/// is kept when only the reason changes.
fn set_condition(slot: &mut Option<DeploymentCondition>, status: ConditionStatus, reason: &'static str, now: SimTime) {
    match slot {
        Some(c) if c.status == status && c.reason == reason => {}
        Some(c) if c.status == status => {
            *slot = Some(DeploymentCondition {
                status,
                reason,
                last_update_time: now,
                last_transition_time: c.last_transition_time,
            });
        }
        _ => *slot = Some(new_condition(status, reason, now)),
    }
}

/// `DeploymentComplete`.
pub fn deployment_complete(d: &Deployment, status: &DeploymentStatus) -> bool {
    status.updated_replicas == d.replicas
        && status.replicas == d.replicas
        && status.available_replicas == d.replicas
        && status.observed_generation >= d.meta.generation
}

/// `DeploymentProgressing`.
fn deployment_progressing(d: &Deployment, new: &DeploymentStatus) -> bool {
    let old = &d.status;
    let old_old = old.replicas - old.updated_replicas;
    let new_old = new.replicas - new.updated_replicas;
    new.updated_replicas > old.updated_replicas
        || new_old < old_old
        || new.ready_replicas > old.ready_replicas
        || new.available_replicas > old.available_replicas
}

/// `DeploymentTimedOut`.
fn timed_out(deadline: i32, status: &DeploymentStatus, now: SimTime) -> bool {
    let Some(c) = &status.progressing else { return false };
    if c.reason == NEW_RS_AVAILABLE {
        return false;
    }
    if c.reason == TIMED_OUT {
        return true;
    }
    c.last_update_time + SimDuration::from_secs(deadline as u64) < now
}

/// `EqualIgnoreHash`: templates equal apart from the pod-template-hash label.
pub fn templates_equal_ignoring_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let strip = |l: &crate::api::meta::Labels| -> crate::api::meta::Labels {
        l.iter().filter(|(k, _)| k.as_str() != POD_TEMPLATE_HASH_LABEL).map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    strip(&a.labels) == strip(&b.labels)
        && a.annotations == b.annotations
        && (Arc::ptr_eq(&a.spec, &b.spec) || a.spec == b.spec)
        && (Arc::ptr_eq(&a.sim, &b.sim) || a.sim == b.sim)
}

/// `ComputeHash`: a 32-bit FNV-1a hash of the template (plus the collision count), written
/// with `SafeEncodeString`'s alphabet. The bytes hashed are the simulator's canonical
/// rendering of the template, not Go's, so the value differs from a real cluster's.
pub fn pod_template_hash(template: &PodTemplateSpec, collision_count: u32) -> String {
    let text = format!("{template:?}/{collision_count}");
    let mut h: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    h.to_string().bytes().map(|c| ALPHABET[usize::from(c) % ALPHABET.len()] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_safe() {
        let t = PodTemplateSpec {
            labels: [("app".to_string(), "web".to_string())].into(),
            annotations: crate::api::meta::Labels::new(),
            spec: Arc::default(),
            sim: Arc::default(),
        };
        let h = pod_template_hash(&t, 0);
        assert_eq!(h, pod_template_hash(&t.clone(), 0));
        assert_ne!(h, pod_template_hash(&t, 1));
        assert!(h.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)));
        crate::api::validation::is_valid_label_value(&h).unwrap();
        let mut labelled = t.clone();
        labelled.labels.insert(POD_TEMPLATE_HASH_LABEL.into(), h);
        assert!(templates_equal_ignoring_hash(&t, &labelled));
    }
}
