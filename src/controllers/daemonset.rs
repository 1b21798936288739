//! The DaemonSet controller (`pkg/controller/daemon/daemon_controller.go`, `update.go`,
//! v1.34): one pod per eligible node, pinned to it by a required node affinity
//! (`matchFields: metadata.name In [<node>]`) and bound by the default scheduler.
//!
//! `syncDaemonSet` in order: `manage` walks the nodes — a node that should run the daemon and
//! has no pod gets one; on a node where it may keep running, a Failed pod is deleted (subject
//! to the per-node failed-pod backoff, 1 s doubling to 15 min) and created again by a later
//! sync, a Succeeded pod is deleted, and extra pods are deleted (all but the oldest, or with a
//! surge, all but the oldest old and oldest new); on a node where it may not keep running
//! (an untolerated NoExecute taint, a label or affinity no longer matching) its pods are
//! deleted. At most 250 creations and 250 deletions per sync (`BurstReplicas`). Only when
//! `manage` had nothing to do (Kubernetes' expectations are then satisfied) does the rolling
//! update run: without surge it deletes old available pods while fewer than `maxUnavailable`
//! nodes lack an available pod; with surge it creates new pods beside old ones, at most
//! `maxSurge` at a time, and deletes an old pod once the new one is available. Finally the
//! status, counted per node on the state the sync started from.
//!
//! Nodes are walked in node order; Kubernetes iterates a Go map in the rolling update, so
//! which old pods go first is random there.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::daemonset::{DaemonSet, DaemonSetStatus, DaemonSetUpdateStrategy, Eligibility, target_node_name};
use crate::api::pod::{Pod, PodPhase};
use crate::api::statefulset::labels::CONTROLLER_REVISION_HASH;
use crate::controllers::deployment::pod_template_hash;
use crate::kernel::{SimDuration, SimTime};
use crate::store::{DaemonBackoff, DsId, NodeId, PodId, Store};

/// `BurstReplicas`: at most this many creations, and as many deletions, per sync.
pub const BURST_REPLICAS: usize = 250;
/// The failed-pod backoff (`flowcontrol.NewBackOff(1s, 15min)`).
pub const BACKOFF_INITIAL: SimDuration = SimDuration::from_secs(1);
pub const BACKOFF_MAX: SimDuration = SimDuration::from_secs(900);

/// Reasons recorded on the pods the controller deletes.
pub mod reasons {
    /// A Failed pod (`FailedDaemonPod`).
    pub const FAILED: &str = "FailedDaemonPod";
    /// A Succeeded pod.
    pub const SUCCEEDED: &str = "SucceededDaemonPod";
    /// More than one pod on the node.
    pub const EXCESS: &str = "ExcessDaemonPod";
    /// The node may no longer run the daemon.
    pub const NOT_ELIGIBLE: &str = "NodeNotEligible";
    /// Replaced by the rolling update.
    pub const ROLLING_UPDATE: &str = "RollingUpdate";
}

/// What a DaemonSet sync wants done, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DsAction {
    /// Create one daemon pod pinned to each of these nodes.
    CreatePods(Vec<NodeId>),
    /// Delete these pods (gracefully), with the reason recorded on them.
    DeletePods(Vec<(PodId, &'static str)>),
    SetBackoff(Box<DaemonBackoff>),
    SetStatus(Box<DaemonSetStatus>),
    /// Sync again at this time (failed-pod backoff, `minReadySeconds`).
    RequeueAt(SimTime),
}

/// The hash of the DaemonSet's template: its pods' `controller-revision-hash`.
pub fn template_hash(ds: &DaemonSet) -> String {
    pod_template_hash(&ds.template, 0)
}

fn is_updated(pod: &Pod, hash: &str) -> bool {
    pod.meta.labels.get(CONTROLLER_REVISION_HASH).is_some_and(|h| h == hash)
}

/// `podByCreationTimestampAndPhase`: scheduled first, then older (to the second), then by name.
fn oldest_first(store: &Store, pods: &mut [PodId]) {
    pods.sort_by(|&a, &b| {
        let (a, b) = (store.pod(a), store.pod(b));
        let scheduled = |p: &Pod| p.status.node.is_some() || !p.spec.node_name.is_empty();
        scheduled(b)
            .cmp(&scheduled(a))
            .then(a.meta.creation_timestamp.as_secs().cmp(&b.meta.creation_timestamp.as_secs()))
            .then(a.meta.name.cmp(&b.meta.name))
    });
}

/// `findUpdatedPodsOnNode`: the node's new and old pod (not terminating), or `None` if it has
/// more than one of either.
fn new_and_old(store: &Store, pods: &[PodId], hash: &str) -> Option<(Option<PodId>, Option<PodId>)> {
    let (mut new, mut old) = (None, None);
    for &p in pods {
        let pod = store.pod(p);
        if pod.meta.is_terminating() {
            continue;
        }
        let slot = if is_updated(pod, hash) { &mut new } else { &mut old };
        if slot.is_some() {
            return None;
        }
        *slot = Some(p);
    }
    Some((new, old))
}

/// One sync of DaemonSet `id`.
pub fn reconcile(store: &Store, now: SimTime, id: DsId) -> Vec<DsAction> {
    let Some(ds) = store.daemonset(id) else { return Vec::new() };
    // Being deleted in the foreground: the garbage collector removes its pods.
    if ds.meta.deletion_timestamp.is_some() {
        return Vec::new();
    }
    let hash = template_hash(ds);
    let eligibility = Eligibility::new(&ds.template.spec);
    let nodes: Vec<NodeId> = store.node_ids().collect();
    let verdicts: Vec<(bool, bool)> = nodes.iter().map(|&n| eligibility.verdict(store.node(n))).collect();
    let mrs = ds.min_ready_seconds;

    // getNodesToDaemonPods: by target node; terminal pods being deleted are left out.
    let mut on_node: BTreeMap<NodeId, Vec<PodId>> = BTreeMap::new();
    let mut nowhere: Vec<PodId> = Vec::new();
    for &p in store.ds_pods(id) {
        let pod = store.pod(p);
        if pod.status.phase.is_terminal() && pod.meta.is_terminating() {
            continue;
        }
        let bound = pod.status.node.map(|n| store.node(n).meta.name.as_str());
        match target_node_name(&pod.spec, bound).and_then(|name| store.node_id(name)) {
            Some(node) => on_node.entry(node).or_default().push(p),
            None => nowhere.push(p),
        }
    }
    let pods_on = |node: NodeId| on_node.get(&node).map_or(&[][..], Vec::as_slice);

    let (max_unavailable, max_surge) = match ds.update_strategy {
        DaemonSetUpdateStrategy::RollingUpdate { max_unavailable, max_surge } => (Some(max_unavailable), max_surge),
        DaemonSetUpdateStrategy::OnDelete => (None, crate::api::workload::IntOrPercent::Int(0)),
    };
    // `AllowsSurge`: the surge of one node is positive.
    let surge = max_unavailable.is_some() && max_surge.scaled(1, true) > 0;

    // manage.
    let mut actions = Vec::new();
    let mut creates: Vec<NodeId> = Vec::new();
    let mut deletes: Vec<(PodId, &'static str)> = Vec::new();
    // Every delayed enqueue fires (`AddAfter`), so each is kept.
    let mut requeues: BTreeSet<SimTime> = BTreeSet::new();
    let mut backoff = store.ds_backoff(id).clone();
    if backoff.generation != ds.status.observed_generation {
        backoff = DaemonBackoff { generation: ds.status.observed_generation, per_node: BTreeMap::new() };
    }
    let mut backoff_changed = false;
    for (i, &node) in nodes.iter().enumerate() {
        let (should_run, should_continue) = verdicts[i];
        let pods = pods_on(node);
        if should_run && pods.is_empty() {
            creates.push(node);
        } else if should_continue {
            let mut running: Vec<PodId> = Vec::new();
            for &p in pods {
                let pod = store.pod(p);
                if pod.meta.is_terminating() {
                    continue;
                }
                match pod.status.phase {
                    PodPhase::Failed => {
                        // `IsInBackOffSinceUpdate`, else `Next` and delete.
                        let entry = backoff.per_node.get(&node).copied();
                        let expired = |last: SimTime| now.saturating_since(last) > BACKOFF_MAX.saturating_mul(2);
                        match entry {
                            Some((period, last)) if !expired(last) && now.saturating_since(last) < period => {
                                requeues.insert(now + period);
                            }
                            _ => {
                                let period = match entry {
                                    Some((period, last)) if !expired(last) => period.saturating_mul(2).min(BACKOFF_MAX),
                                    _ => BACKOFF_INITIAL,
                                };
                                backoff.per_node.insert(node, (period, now));
                                backoff_changed = true;
                                deletes.push((p, reasons::FAILED));
                            }
                        }
                    }
                    PodPhase::Succeeded => deletes.push((p, reasons::SUCCEEDED)),
                    _ => running.push(p),
                }
            }
            if running.len() > 1 {
                oldest_first(store, &mut running);
                if !surge {
                    deletes.extend(running[1..].iter().map(|&p| (p, reasons::EXCESS)));
                } else {
                    // Keep the oldest new and the oldest old pod; the old one goes once it is
                    // not Ready, or once the new one is available.
                    let (mut oldest_new, mut oldest_old) = (None, None);
                    for &p in &running {
                        let slot = if is_updated(store.pod(p), &hash) { &mut oldest_new } else { &mut oldest_old };
                        if slot.is_none() {
                            *slot = Some(p);
                        } else {
                            deletes.push((p, reasons::EXCESS));
                        }
                    }
                    if let (Some(new), Some(old)) = (oldest_new, oldest_old)
                        && (!store.pod(old).is_ready() || store.pod(new).is_available(mrs, now))
                    {
                        deletes.push((old, reasons::ROLLING_UPDATE));
                    }
                }
            } else if running.is_empty() && surge && should_run {
                creates.push(node);
            }
        } else {
            deletes.extend(
                pods.iter().filter(|&&p| !store.pod(p).meta.is_terminating()).map(|&p| (p, reasons::NOT_ELIGIBLE)),
            );
        }
    }
    // Unbound pods pinned to a node that does not exist.
    deletes
        .extend(nowhere.iter().filter(|&&p| store.pod(p).status.node.is_none()).map(|&p| (p, reasons::NOT_ELIGIBLE)));
    creates.truncate(BURST_REPLICAS);
    deletes.truncate(BURST_REPLICAS);
    let managed = !creates.is_empty() || !deletes.is_empty();

    // The rolling update, once manage has nothing left to do.
    if !managed && let Some(max_unavailable) = max_unavailable {
        let desired = verdicts.iter().filter(|v| v.0).count() as i32;
        let mut unavailable_limit = max_unavailable.scaled(desired, true);
        let surge_limit = max_surge.scaled(desired, true);
        if desired > 0 && unavailable_limit == 0 && surge_limit == 0 {
            unavailable_limit = 1;
        }
        // The nodes with daemon pods, and the nodes that should have one.
        let candidates: Vec<(usize, NodeId)> = nodes
            .iter()
            .enumerate()
            .filter(|&(i, n)| verdicts[i].0 || on_node.contains_key(n))
            .map(|(i, &n)| (i, n))
            .collect();
        let available = |p: PodId| store.pod(p).is_available(mrs, now);
        if surge_limit == 0 {
            let mut unavailable = 0;
            let mut replace: Vec<PodId> = Vec::new();
            let mut candidate_pods: Vec<PodId> = Vec::new();
            for &(_, node) in &candidates {
                match new_and_old(store, pods_on(node), &hash) {
                    None | Some((None, None)) | Some((Some(_), Some(_))) => unavailable += 1,
                    Some((Some(new), None)) => {
                        if !available(new) {
                            unavailable += 1;
                        }
                    }
                    Some((None, Some(old))) => {
                        if !available(old) {
                            replace.push(old);
                            unavailable += 1;
                        } else if unavailable < unavailable_limit {
                            candidate_pods.push(old);
                        }
                    }
                }
            }
            let remaining = (unavailable_limit - unavailable).clamp(0, candidate_pods.len() as i32) as usize;
            replace.extend_from_slice(&candidate_pods[..remaining]);
            deletes.extend(replace.into_iter().map(|p| (p, reasons::ROLLING_UPDATE)));
        } else {
            let mut old_to_delete: Vec<PodId> = Vec::new();
            let mut not_run_to_delete: Vec<PodId> = Vec::new();
            let mut allowed_new: Vec<NodeId> = Vec::new();
            let mut candidate_new: Vec<NodeId> = Vec::new();
            let (mut surging, mut available_count) = (0, 0);
            for &(i, node) in &candidates {
                let Some((new, old)) = new_and_old(store, pods_on(node), &hash) else {
                    surging += 1;
                    continue;
                };
                if let Some(p) = old.or(new)
                    && available(p)
                {
                    available_count += 1;
                }
                match (old, new) {
                    (None, _) => {}
                    (Some(old), None) => {
                        if !available(old) {
                            if !verdicts[i].0 {
                                old_to_delete.push(old);
                            } else {
                                allowed_new.push(node);
                            }
                        } else if !verdicts[i].0 {
                            not_run_to_delete.push(old);
                        } else if surging < surge_limit {
                            candidate_new.push(node);
                        }
                    }
                    (Some(old), Some(new)) => {
                        if available(new) {
                            old_to_delete.push(old);
                        } else {
                            surging += 1;
                        }
                    }
                }
            }
            // Pods on nodes that may no longer run the daemon go only while enough are
            // available elsewhere.
            let deletable = (available_count - desired).clamp(0, not_run_to_delete.len() as i32) as usize;
            old_to_delete.extend_from_slice(&not_run_to_delete[..deletable]);
            let remaining = (surge_limit - surging).clamp(0, candidate_new.len() as i32) as usize;
            creates.extend(allowed_new);
            creates.extend_from_slice(&candidate_new[..remaining]);
            deletes.extend(old_to_delete.into_iter().map(|p| (p, reasons::ROLLING_UPDATE)));
            creates.truncate(BURST_REPLICAS);
        }
        deletes.truncate(BURST_REPLICAS);
    }

    if backoff_changed {
        actions.push(DsAction::SetBackoff(Box::new(backoff)));
    }
    if !creates.is_empty() {
        actions.push(DsAction::CreatePods(creates));
    }
    if !deletes.is_empty() {
        actions.push(DsAction::DeletePods(deletes));
    }

    // updateDaemonSetStatus, over the state the sync started from.
    let mut status = DaemonSetStatus { observed_generation: ds.meta.generation, ..DaemonSetStatus::default() };
    for (i, &node) in nodes.iter().enumerate() {
        let pods = pods_on(node);
        if verdicts[i].0 {
            status.desired_number_scheduled += 1;
            if pods.is_empty() {
                continue;
            }
            status.current_number_scheduled += 1;
            let mut sorted = pods.to_vec();
            oldest_first(store, &mut sorted);
            let pod = store.pod(sorted[0]);
            if pod.is_ready() {
                status.number_ready += 1;
                if pod.is_available(mrs, now) {
                    status.number_available += 1;
                }
            }
            if is_updated(pod, &hash) {
                status.updated_number_scheduled += 1;
            }
        } else if !pods.is_empty() {
            status.number_misscheduled += 1;
        }
    }
    status.number_unavailable = status.desired_number_scheduled - status.number_available;
    if mrs > 0 && status.number_ready != status.number_available {
        requeues.insert(now + SimDuration::from_secs(mrs as u64));
    }
    if status != ds.status {
        actions.push(DsAction::SetStatus(Box::new(status)));
    }
    actions.extend(requeues.into_iter().map(DsAction::RequeueAt));
    actions
}
