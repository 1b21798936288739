//! The ReplicaSet controller (`pkg/controller/replicaset/replica_set.go`): keeps the number of
//! active pods equal to `spec.replicas` (creating from the template, deleting the least
//! valuable pods first by `ActivePodsWithRanks`), and computes the status.
//!
//! Expectations are always satisfied at once: actions take effect in the store at the same
//! virtual instant, so there is never a creation in flight that a later sync could miss.

use std::cmp::Ordering;

use crate::api::pod::{Pod, PodPhase};
use crate::api::workload::{ReplicaSetStatus, annotations};
use crate::kernel::{SimDuration, SimTime};
use crate::store::{PodId, RsId, Store};

/// `burstReplicas`: at most this many creations or deletions per sync.
pub const BURST_REPLICAS: i32 = 500;

/// What a ReplicaSet sync wants done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RsAction {
    /// Create this many pods from the template.
    CreatePods(i32),
    /// Delete these pods (gracefully).
    DeletePods(Vec<PodId>),
    SetStatus(ReplicaSetStatus),
    /// Sync again at this time (minReadySeconds).
    RequeueAt(SimTime),
}

/// One sync of ReplicaSet `id`.
pub fn reconcile(store: &Store, now: SimTime, id: RsId) -> Vec<RsAction> {
    let Some(rs) = store.replica_set(id) else { return Vec::new() };
    let pods = store.rs_pods(id);
    let is_active = |p: PodId| store.pod(p).is_active();
    // Status (`calculateStatus`) over the active pods, in one pass that counts them (no list
    // of them unless some are to be deleted: a sync runs at each change of one of its pods).
    let min_ready = rs.min_ready_seconds;
    let mut status = ReplicaSetStatus { observed_generation: rs.meta.generation, ..ReplicaSetStatus::default() };
    let mut next_available: Option<SimTime> = None;
    for &p in pods.iter().filter(|&&p| is_active(p)) {
        let pod = store.pod(p);
        status.replicas += 1;
        if rs.selector.matches(&pod.meta.labels) {
            status.fully_labeled_replicas += 1;
        }
        if pod.is_ready() {
            status.ready_replicas += 1;
            if pod.is_available(min_ready, now) {
                status.available_replicas += 1;
            } else if let Some(since) = pod.status.ready_since {
                let at = since + SimDuration::from_secs(min_ready as u64);
                next_available = Some(next_available.map_or(at, |t: SimTime| t.min(at)));
            }
        }
    }
    let mut actions = Vec::new();
    if rs.meta.deletion_timestamp.is_none() {
        let diff = i64::from(status.replicas) - i64::from(rs.replicas);
        if diff < 0 {
            actions.push(RsAction::CreatePods((-diff).min(i64::from(BURST_REPLICAS)) as i32));
        } else if diff > 0 {
            let n = diff.min(i64::from(BURST_REPLICAS)) as usize;
            let active: Vec<PodId> = pods.iter().copied().filter(|&p| is_active(p)).collect();
            actions.push(RsAction::DeletePods(pods_to_delete(store, now, id, &active, n)));
        }
    }
    status.terminating_replicas = pods
        .iter()
        .filter(|&&p| store.pod(p).meta.deletion_timestamp.is_some() && !store.pod(p).status.phase.is_terminal())
        .count() as i32;
    if status != rs.status {
        actions.push(RsAction::SetStatus(status));
    }
    if let Some(at) = next_available {
        actions.push(RsAction::RequeueAt(at));
    }
    actions
}

/// `getPodsToDelete`: the `n` least valuable active pods, ranked by `ActivePodsWithRanks`
/// with the rank being the number of related active pods (this ReplicaSet's and its sibling
/// ReplicaSets') on the same node.
pub fn pods_to_delete(store: &Store, now: SimTime, id: RsId, active: &[PodId], n: usize) -> Vec<PodId> {
    if n >= active.len() {
        return active.to_vec();
    }
    let siblings: Vec<RsId> = match store.rs_owner(id) {
        Some(d) => store.deployment_rs(d).to_vec(),
        None => vec![id],
    };
    let related: Vec<PodId> = siblings
        .iter()
        .flat_map(|&rs| store.rs_pods(rs).iter().copied())
        .filter(|&p| store.pod(p).is_active())
        .collect();
    let rank = |p: PodId| -> usize {
        match store.pod(p).status.node {
            None => 0,
            Some(node) => related.iter().filter(|&&r| store.pod(r).status.node == Some(node)).count(),
        }
    };
    let mut ranked: Vec<(PodId, usize)> = active.iter().map(|&p| (p, rank(p))).collect();
    ranked.sort_by(|a, b| compare_for_deletion(store.pod(a.0), a.1, store.pod(b.0), b.1, now).then(b.0.cmp(&a.0)));
    ranked.into_iter().take(n).map(|(p, _)| p).collect()
}

/// `ActivePodsWithRanks.Less`: `Less` means "delete first".
pub fn compare_for_deletion(a: &Pod, rank_a: usize, b: &Pod, rank_b: usize, now: SimTime) -> Ordering {
    // 1. Unassigned before assigned.
    let assigned = |p: &Pod| p.status.node.is_some();
    if assigned(a) != assigned(b) {
        return if !assigned(a) { Ordering::Less } else { Ordering::Greater };
    }
    // 2. Pending < Unknown < Running.
    let phase_rank = |p: &Pod| match p.status.phase {
        PodPhase::Pending => 0,
        PodPhase::Unknown => 1,
        PodPhase::Running => 2,
        _ => 3,
    };
    if phase_rank(a) != phase_rank(b) {
        return phase_rank(a).cmp(&phase_rank(b));
    }
    // 3. Not ready before ready.
    if a.is_ready() != b.is_ready() {
        return if !a.is_ready() { Ordering::Less } else { Ordering::Greater };
    }
    // 4. Lower pod-deletion-cost first.
    let cost = |p: &Pod| {
        p.meta.annotations.get(annotations::POD_DELETION_COST).and_then(|v| v.parse::<i32>().ok()).unwrap_or(0)
    };
    if cost(a) != cost(b) {
        return cost(a).cmp(&cost(b));
    }
    // 5. More related pods on the same node first.
    if rank_a != rank_b {
        return rank_b.cmp(&rank_a);
    }
    // 6. Both ready: ready for less time first, on a log2 scale (LogarithmicScaleDown).
    if let (Some(ra), Some(rb)) = (a.status.ready_since, b.status.ready_since) {
        let (ra, rb) = (whole_seconds(ra), whole_seconds(rb));
        if ra != rb {
            let diff = log_rank_diff(ra, rb, now);
            if diff == 0 {
                return a.meta.uid.cmp(&b.meta.uid);
            }
            return diff.cmp(&0);
        }
    }
    // 7. Higher restart count first.
    if a.status.restart_count != b.status.restart_count {
        return b.status.restart_count.cmp(&a.status.restart_count);
    }
    // 8. Newer first, on a log2 scale.
    let (ca, cb) = (whole_seconds(a.meta.creation_timestamp), whole_seconds(b.meta.creation_timestamp));
    if ca != cb {
        let diff = log_rank_diff(ca, cb, now);
        if diff == 0 {
            return a.meta.uid.cmp(&b.meta.uid);
        }
        return diff.cmp(&0);
    }
    Ordering::Equal
}

/// API timestamps have second resolution.
fn whole_seconds(t: SimTime) -> SimTime {
    SimTime::from_secs(t.as_secs())
}

/// `logarithmicRankDiff`: floor(log2(now - t)) in nanoseconds, -1 for non-positive ages.
fn log_rank_diff(t1: SimTime, t2: SimTime, now: SimTime) -> i64 {
    let rank = |t: SimTime| -> i64 {
        let nanos = now.as_micros().saturating_sub(t.as_micros()).saturating_mul(1000);
        if nanos == 0 { -1 } else { i64::from(63 - nanos.leading_zeros()) }
    };
    rank(t1) - rank(t2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::ObjectMeta;
    use crate::api::pod::PodStatus;
    use crate::store::NodeId;
    use std::sync::Arc;

    fn pod(uid: u64, node: Option<u32>, phase: PodPhase, ready_since: Option<u64>, created: u64) -> Pod {
        let mut status = PodStatus::default();
        (status.node, status.phase, status.ready_since) =
            (node.map(NodeId), phase, ready_since.map(SimTime::from_secs));
        Pod {
            meta: ObjectMeta {
                uid: crate::api::meta::Uid(uid),
                creation_timestamp: SimTime::from_secs(created),
                ..ObjectMeta::default()
            },
            spec: Arc::default(),
            sim: Arc::default(),
            status,
        }
    }

    #[test]
    fn deletion_ranking_rules() {
        let now = SimTime::from_secs(10_000);
        let unassigned = pod(1, None, PodPhase::Pending, None, 0);
        let pending = pod(2, Some(0), PodPhase::Pending, None, 0);
        let running_unready = pod(3, Some(0), PodPhase::Running, None, 0);
        let ready_old = pod(4, Some(0), PodPhase::Running, Some(100), 0);
        let ready_new = pod(5, Some(0), PodPhase::Running, Some(9_000), 0);
        let cmp = |a: &Pod, b: &Pod| compare_for_deletion(a, 1, b, 1, now);
        assert_eq!(cmp(&unassigned, &pending), Ordering::Less);
        assert_eq!(cmp(&pending, &running_unready), Ordering::Less);
        assert_eq!(cmp(&running_unready, &ready_old), Ordering::Less);
        assert_eq!(cmp(&ready_new, &ready_old), Ordering::Less, "ready for less time goes first");
        // Crowded nodes first.
        assert_eq!(compare_for_deletion(&ready_old, 3, &ready_old, 1, now), Ordering::Less);
        // Ready times within the same log2 bucket: UID decides.
        let a = pod(8, Some(0), PodPhase::Running, Some(5_000), 0);
        let b = pod(9, Some(0), PodPhase::Running, Some(5_001), 0);
        assert_eq!(cmp(&a, &b), Ordering::Less);
        assert_eq!(cmp(&b, &a), Ordering::Greater);
        // Higher restart count first.
        let mut crashy = pod(6, Some(0), PodPhase::Running, None, 0);
        crashy.status.restart_count = 3;
        assert_eq!(cmp(&crashy, &running_unready), Ordering::Less);
        // Deletion cost.
        let mut cheap = pod(7, Some(0), PodPhase::Running, Some(100), 0);
        cheap.meta.annotations.insert(annotations::POD_DELETION_COST.into(), "-5".into());
        assert_eq!(cmp(&cheap, &ready_new), Ordering::Less);
    }

    #[test]
    fn log_rank() {
        let now = SimTime::from_secs(1000);
        // 999 s and 998 s ago share the same power-of-two bucket.
        assert_eq!(log_rank_diff(SimTime::from_secs(1), SimTime::from_secs(2), now), 0);
        assert!(log_rank_diff(SimTime::from_secs(999), SimTime::from_secs(1), now) < 0);
        assert_eq!(log_rank_diff(now, now, now), 0);
    }
}
