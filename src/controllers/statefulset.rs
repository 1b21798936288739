//! The StatefulSet controller (`pkg/controller/statefulset/stateful_set_control.go`, v1.34):
//! keeps one pod per ordinal in `[ordinals.start, ordinals.start + replicas)`, named
//! `<set>-<ordinal>`, each with the PersistentVolumeClaims of the set's volume claim templates;
//! deletes the pods of ordinals out of range; replaces pods of an old revision.
//!
//! `updateStatefulSet` in order: compute the update revision (the template's hash; an earlier
//! identical template is renumbered, a rollback) and the current one (`status.currentRevision`);
//! walk the ordinals in range, ascending: a Failed or Succeeded pod is deleted (and created
//! again once its object is gone), a missing pod is created (with its claims), and with
//! `OrderedReady` the walk stops at the first pod created, terminating, not Running and Ready,
//! or not available for `minReadySeconds`; then the condemned pods (ordinals out of range),
//! highest first, are deleted — one at a time, each once its successors are gone, with
//! `OrderedReady`; then, for `RollingUpdate`, the pod with the highest ordinal at or above the
//! partition whose revision is not the update revision is deleted, unless a pod above it is
//! still unavailable. A pod is never created while the previous pod object of its ordinal
//! exists: the identity is stable, so after a node failure the replacement waits for the
//! terminating pod to be gone.
//!
//! The sync is a pure function of the store and the time. Expectations are always satisfied
//! (actions take effect at once), so the next sync — the watch on the pods it created or
//! deleted triggers it at the same instant — sees them.

use crate::api::pod::{Pod, PodPhase, PodTemplateSpec};
use crate::api::statefulset::{
    ControllerRevision, PodManagementPolicy, PvcRetention, StatefulSet, StatefulSetStatus, StatefulSetUpdateStrategy,
    labels, ordinal_of,
};
use crate::controllers::deployment::pod_template_hash;
use crate::kernel::{SimDuration, SimTime};
use crate::store::{PodId, Store, StsId};

/// Reasons recorded on the pods the controller deletes.
pub mod reasons {
    /// A Failed or Succeeded pod is deleted to be created again.
    pub const RECREATE: &str = "RecreatingFailedPod";
    /// Its ordinal is beyond the replicas.
    pub const SCALE_DOWN: &str = "ScaleDown";
    /// Its revision is not the update revision.
    pub const ROLLING_UPDATE: &str = "RollingUpdate";
}

/// What a StatefulSet sync wants done, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum StsAction {
    /// Add a ControllerRevision, or renumber the existing one of that name (a rollback).
    PutRevision(Box<ControllerRevision>),
    /// Delete ControllerRevisions beyond `revisionHistoryLimit`.
    DeleteRevisions(Vec<String>),
    /// Create the missing claims of `ordinal`, then its pod from `template` at `revision`.
    CreatePod {
        ordinal: i32,
        revision: String,
        template: Box<PodTemplateSpec>,
    },
    /// Create the missing claims of the Pending pod of `ordinal`.
    CreateClaims(i32),
    /// Delete the pod (gracefully), with the reason recorded on it.
    DeletePod(PodId, &'static str),
    /// Set (true) or clear the owner reference of `ordinal`'s claims to its pod
    /// (`whenScaled: Delete` for condemned pods).
    SetClaimsOwnedByPod(i32, bool),
    SetStatus(Box<StatefulSetStatus>),
    /// Sync again at this time (`minReadySeconds`).
    RequeueAt(SimTime),
}

/// The revision a pod was made from (`controller-revision-hash`).
pub fn pod_revision(pod: &Pod) -> &str {
    pod.meta.labels.get(labels::CONTROLLER_REVISION_HASH).map_or("", String::as_str)
}

/// `isRunningAndReady`.
fn running_and_ready(pod: &Pod) -> bool {
    pod.status.phase == PodPhase::Running && pod.is_ready()
}

/// `isRunningAndAvailable` (`IsPodAvailable`: Ready for `minReadySeconds`).
fn available(pod: &Pod, min_ready_seconds: i32, now: SimTime) -> bool {
    pod.is_available(min_ready_seconds, now)
}

/// `isUnavailable`: not available, or terminating.
fn unavailable(pod: &Pod, min_ready_seconds: i32, now: SimTime) -> bool {
    !available(pod, min_ready_seconds, now) || pod.meta.is_terminating()
}

/// The ControllerRevision name for the set's template: `<set>-<hash>`, with the collision
/// count raised until the name is free among the set's revisions.
fn revision_name(set: &StatefulSet, revisions: &[ControllerRevision]) -> (String, i32) {
    let mut collision = set.status.collision_count;
    loop {
        let name = format!("{}-{}", set.meta.name, pod_template_hash(&set.template, collision.max(0) as u32));
        if !revisions.iter().any(|r| r.name == name) {
            return (name, collision);
        }
        collision += 1;
    }
}

/// `computeReplicaStatus` over the set's pods.
fn count(store: &Store, pods: &[PodId], set: &StatefulSet, now: SimTime, status: &mut StatefulSetStatus) {
    status.replicas = 0;
    status.ready_replicas = 0;
    status.available_replicas = 0;
    status.current_replicas = 0;
    status.updated_replicas = 0;
    for &p in pods {
        let pod = store.pod(p);
        status.replicas += 1;
        if running_and_ready(pod) {
            status.ready_replicas += 1;
            if available(pod, set.min_ready_seconds, now) {
                status.available_replicas += 1;
            }
        }
        if !pod.meta.is_terminating() {
            let revision = pod_revision(pod);
            if revision == status.current_revision {
                status.current_replicas += 1;
            }
            if revision == status.update_revision {
                status.updated_replicas += 1;
            }
        }
    }
}

/// One sync of StatefulSet `id`.
pub fn reconcile(store: &Store, now: SimTime, id: StsId) -> Vec<StsAction> {
    let Some(set) = store.statefulset(id) else { return Vec::new() };
    // Being deleted in the foreground: the garbage collector removes its pods.
    if set.meta.deletion_timestamp.is_some() {
        return Vec::new();
    }
    let mut actions = Vec::new();

    // getStatefulSetRevisions.
    let mut revisions: Vec<ControllerRevision> = store.sts_revisions(id).to_vec();
    revisions.sort_by_key(|r| r.revision);
    let next = revisions.last().map_or(1, |r| r.revision + 1);
    let mut collision_count = set.status.collision_count;
    let update = match revisions.iter().rposition(|r| r.template == set.template) {
        Some(i) if i + 1 == revisions.len() => revisions[i].clone(),
        Some(i) => {
            // An earlier template again: a rollback renumbers its revision.
            revisions[i].revision = next;
            let r = revisions.remove(i);
            revisions.push(r.clone());
            actions.push(StsAction::PutRevision(Box::new(r.clone())));
            r
        }
        None => {
            let (name, collision) = revision_name(set, &revisions);
            collision_count = collision;
            let r = ControllerRevision { name, revision: next, template: set.template.clone() };
            revisions.push(r.clone());
            actions.push(StsAction::PutRevision(Box::new(r.clone())));
            r
        }
    };
    let current = revisions.iter().find(|r| r.name == set.status.current_revision).unwrap_or(&update).clone();

    let mut status = StatefulSetStatus {
        observed_generation: set.meta.generation,
        current_revision: current.name.clone(),
        update_revision: update.name.clone(),
        collision_count,
        ..StatefulSetStatus::default()
    };
    let pods = store.sts_pods(id);
    count(store, pods, set, now, &mut status);

    // Partition the pods into the replicas (ordinals in range, by index) and the condemned.
    let start = set.ordinals_start;
    let n = set.replicas.max(0) as usize;
    let mut slots: Vec<Option<PodId>> = vec![None; n];
    let mut condemned: Vec<(i32, PodId)> = Vec::new();
    for &p in pods {
        let Some(ordinal) = ordinal_of(&set.meta.name, &store.pod(p).meta.name) else { continue };
        if set.in_range(ordinal) {
            slots[(ordinal - start) as usize] = Some(p);
        } else {
            condemned.push((ordinal, p));
        }
    }
    condemned.sort_by_key(|c| std::cmp::Reverse(c.0));
    // `newVersionedStatefulSetPod`: below the partition a new pod is made at the current
    // revision, else at the update revision.
    let revision_for = |ordinal: i32| -> &ControllerRevision {
        match set.update_strategy {
            StatefulSetUpdateStrategy::RollingUpdate { partition }
                if i64::from(ordinal) < i64::from(start) + i64::from(partition) =>
            {
                &current
            }
            _ => &update,
        }
    };
    let mrs = set.min_ready_seconds;
    // The first unavailable pod: among the replicas (a missing one is unavailable), else the
    // lowest condemned one.
    let first_unavailable: Option<Option<PodId>> =
        slots.iter().find(|slot| slot.is_none_or(|p| unavailable(store.pod(p), mrs, now))).copied().or_else(|| {
            condemned.iter().rev().find(|(_, p)| unavailable(store.pod(*p), mrs, now)).map(|(_, p)| Some(*p))
        });
    let monotonic = set.pod_management_policy == PodManagementPolicy::OrderedReady;
    let claims_missing = |ordinal: i32| {
        set.volume_claim_templates
            .iter()
            .any(|t| store.pvc(&set.meta.namespace, &set.claim_name(&t.name, ordinal)).is_none())
    };
    let claims_stale = |ordinal: i32| {
        set.volume_claim_templates
            .iter()
            .any(|t| store.pvc(&set.meta.namespace, &set.claim_name(&t.name, ordinal)).is_some_and(|c| c.deleting))
    };
    // The claims' owner reference to their pod, as the retention policy wants it.
    let fix_claims = |ordinal: i32, owned: bool, actions: &mut Vec<StsAction>| {
        let differs = set.volume_claim_templates.iter().any(|t| {
            store
                .pvc(&set.meta.namespace, &set.claim_name(&t.name, ordinal))
                .is_some_and(|c| !c.deleting && c.owned_by_pod != owned)
        });
        if differs {
            actions.push(StsAction::SetClaimsOwnedByPod(ordinal, owned));
        }
    };

    // processReplica, ascending.
    let mut blocked = false;
    for (i, slot) in slots.iter().enumerate() {
        let ordinal = start + i as i32;
        let stop = match *slot {
            None => {
                if claims_stale(ordinal) {
                    // A claim of this ordinal is still being deleted: no pod until it is gone.
                    true
                } else {
                    let r = revision_for(ordinal);
                    actions.push(StsAction::CreatePod {
                        ordinal,
                        revision: r.name.clone(),
                        template: Box::new(r.template.clone()),
                    });
                    monotonic
                }
            }
            Some(p) => {
                let pod = store.pod(p);
                if pod.status.phase.is_terminal() {
                    if !pod.meta.is_terminating() {
                        actions.push(StsAction::DeletePod(p, reasons::RECREATE));
                    }
                    true
                } else {
                    if pod.status.phase == PodPhase::Pending && claims_missing(ordinal) {
                        actions.push(StsAction::CreateClaims(ordinal));
                    }
                    if monotonic && (pod.meta.is_terminating() || !running_and_ready(pod) || !available(pod, mrs, now))
                    {
                        true
                    } else {
                        fix_claims(ordinal, false, &mut actions);
                        false
                    }
                }
            }
        };
        if stop && monotonic {
            blocked = true;
            break;
        }
    }

    if !blocked {
        // The retention policy of the condemned pods' claims.
        for &(ordinal, _) in &condemned {
            fix_claims(ordinal, set.pvc_retention.when_scaled == PvcRetention::Delete, &mut actions);
        }
        // processCondemned, highest ordinal first.
        for &(_, p) in &condemned {
            let pod = store.pod(p);
            if pod.meta.is_terminating() {
                if monotonic {
                    blocked = true;
                    break;
                }
                continue;
            }
            let first = first_unavailable == Some(Some(p));
            if monotonic && !first && (!running_and_ready(pod) || !available(pod, mrs, now)) {
                blocked = true;
                break;
            }
            actions.push(StsAction::DeletePod(p, reasons::SCALE_DOWN));
            if monotonic {
                blocked = true;
                break;
            }
        }
    }

    if !blocked && let StatefulSetUpdateStrategy::RollingUpdate { partition } = set.update_strategy {
        // The rolling update: the highest ordinal at or above the partition first.
        let lowest = partition.max(0) as usize;
        for target in (lowest..n).rev() {
            let ordinal = start + target as i32;
            let (revision, terminating, is_unavailable) = match slots[target] {
                Some(p) => {
                    let pod = store.pod(p);
                    (pod_revision(pod), pod.meta.is_terminating(), unavailable(pod, mrs, now))
                }
                // Created in this sync: at its revision, not available yet.
                None => (revision_for(ordinal).name.as_str(), false, true),
            };
            if revision != update.name && !terminating {
                if let Some(p) = slots[target] {
                    actions.push(StsAction::DeletePod(p, reasons::ROLLING_UPDATE));
                    status.current_replicas -= 1;
                }
                break;
            }
            if is_unavailable {
                break;
            }
        }
    }

    // completeRollingUpdate.
    if matches!(set.update_strategy, StatefulSetUpdateStrategy::RollingUpdate { .. })
        && status.updated_replicas == status.replicas
        && status.ready_replicas == status.replicas
    {
        status.current_replicas = status.updated_replicas;
        status.current_revision = status.update_revision.clone();
    }
    if status != set.status {
        actions.push(StsAction::SetStatus(Box::new(status.clone())));
    }

    // truncateHistory: revisions no pod uses, beyond revisionHistoryLimit, oldest first.
    let live = |name: &str| {
        name == current.name || name == update.name || pods.iter().any(|&p| pod_revision(store.pod(p)) == name)
    };
    let history: Vec<&ControllerRevision> = revisions.iter().filter(|r| !live(&r.name)).collect();
    let limit = set.revision_history_limit.max(0) as usize;
    if history.len() > limit {
        let doomed = history[..history.len() - limit].iter().map(|r| r.name.clone()).collect();
        actions.push(StsAction::DeleteRevisions(doomed));
    }

    // One more sync after minReadySeconds while some pod is not yet available.
    if mrs > 0 && status.available_replicas != set.replicas {
        actions.push(StsAction::RequeueAt(now + SimDuration::from_secs(mrs as u64)));
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::ObjectMeta;
    use crate::api::pod::PodStatus;
    use std::sync::Arc;

    fn pod(ready_since: Option<u64>, phase: PodPhase) -> Pod {
        let mut status = PodStatus::default();
        (status.phase, status.ready_since) = (phase, ready_since.map(SimTime::from_secs));
        Pod { meta: ObjectMeta::default(), spec: Arc::default(), sim: Arc::default(), status }
    }

    #[test]
    fn availability_needs_min_ready_seconds_and_no_deletion() {
        let now = SimTime::from_secs(100);
        let p = pod(Some(95), PodPhase::Running);
        assert!(running_and_ready(&p));
        assert!(available(&p, 5, now) && !available(&p, 6, now));
        assert!(!unavailable(&p, 0, now));
        let mut deleting = p.clone();
        deleting.meta.deletion_timestamp = Some(now);
        assert!(unavailable(&deleting, 0, now));
        assert!(!running_and_ready(&pod(None, PodPhase::Running)));
        assert!(!running_and_ready(&pod(Some(1), PodPhase::Pending)));
    }
}
