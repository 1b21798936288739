//! The disruption controller (`pkg/controller/disruption/disruption.go`): keeps each
//! PodDisruptionBudget's status current — how many of its pods are healthy, how many must be,
//! how many are expected, and so how many may be disrupted now.
//!
//! `trySync`: the pods are those of the namespace the selector matches (terminal and
//! terminating ones included). With `maxUnavailable`, or `minAvailable` as a percentage, the
//! expected count is the summed scale of the pods' controllers (a Deployment for the pods of
//! its ReplicaSets, else the ReplicaSet or the StatefulSet), each counted once; pods whose
//! controller has no scale (a Job, a DaemonSet) fail the sync; pods without a controller are
//! left out of that sum. With `minAvailable` as a number, it is the number of pods. Healthy
//! pods are Ready and not being deleted, and not in `disruptedPods` (evicted less than two
//! minutes ago and not deleted yet). A controller that cannot be found fails the sync, which
//! sets `disruptionsAllowed` to 0 (`failSafe`). Entries of `disruptedPods` go when their pod
//! is deleted or after two minutes; the budget is synced again when the oldest would expire.

use std::collections::BTreeMap;

use crate::api::policy::{DELETION_TIMEOUT, PdbStatus, disruptions_allowed};
use crate::kernel::SimTime;
use crate::store::{PdbId, PodId, Store};

/// Whose scale a pod's controller contributes to the expected count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum ScaleOwner {
    ReplicaSet(u32),
    Deployment(u32),
    StatefulSet(u32),
}

/// One sync of PodDisruptionBudget `id`: its new status (`None` when it is unchanged or the
/// budget is gone), and when to sync again (an entry of `disruptedPods` expiring).
pub fn reconcile(store: &Store, now: SimTime, id: PdbId) -> (Option<PdbStatus>, Option<SimTime>) {
    let Some(pdb) = store.pdb(id) else { return (None, None) };
    // `buildDisruptedPodMap`: keep the entries of pods not yet deleted, for two minutes.
    let mut disrupted = std::collections::BTreeMap::new();
    let mut recheck: Option<SimTime> = None;
    for (name, &at) in &pdb.status.disrupted_pods {
        let expires = at + DELETION_TIMEOUT;
        let deleting = store
            .pod_id(&pdb.meta.namespace, name)
            .is_none_or(|p| store.is_removed(p) || store.pod(p).meta.is_terminating());
        if deleting || expires <= now {
            continue;
        }
        disrupted.insert(name.clone(), at);
        recheck = Some(recheck.map_or(expires, |t: SimTime| t.min(expires)));
    }
    let pods: Vec<PodId> = store
        .live_pods()
        .filter(|&p| {
            let pod = store.pod(p);
            pod.meta.namespace == pdb.meta.namespace && pdb.selects(&pod.meta.labels)
        })
        .collect();
    let status = match pdb.expected_and_desired(pods.len() as i32, || expected_scale(store, &pods)) {
        Some((expected, desired)) => {
            let healthy = pods
                .iter()
                .filter(|&&p| {
                    let pod = store.pod(p);
                    !pod.meta.is_terminating() && pod.is_ready() && !disrupted.contains_key(&pod.meta.name)
                })
                .count() as i32;
            let allowed = disruptions_allowed(healthy, desired, expected);
            PdbStatus {
                observed_generation: pdb.meta.generation,
                current_healthy: healthy,
                desired_healthy: desired,
                expected_pods: expected,
                disruptions_allowed: allowed,
                reason: if allowed > 0 { "SufficientPods" } else { "InsufficientPods" },
                disrupted_pods: disrupted,
            }
        }
        // failSafe: only disruptionsAllowed and the condition change.
        None => {
            PdbStatus { disruptions_allowed: 0, reason: "SyncFailed", disrupted_pods: disrupted, ..pdb.status.clone() }
        }
    };
    ((status != pdb.status).then_some(status), recheck)
}

/// `getExpectedScale`: the summed `spec.replicas` of the pods' controllers, each once; `None`
/// ("found no controllers for pod") when a pod's controller no longer exists.
fn expected_scale(store: &Store, pods: &[PodId]) -> Option<i32> {
    let mut scale: BTreeMap<ScaleOwner, i32> = BTreeMap::new();
    for &p in pods {
        if store.pod(p).meta.controller_ref().is_none() {
            continue;
        }
        if let Some(sts) = store.pod_sts(p) {
            scale.insert(ScaleOwner::StatefulSet(sts.0), store.statefulset(sts)?.replicas);
            continue;
        }
        let rs_id = store.pod_rs(p)?;
        let rs = store.replica_set(rs_id)?;
        match store.rs_owner(rs_id) {
            Some(d) => {
                let deployment = store.deployment(d)?;
                scale.insert(ScaleOwner::Deployment(d.0), deployment.replicas);
            }
            None => {
                scale.insert(ScaleOwner::ReplicaSet(rs_id.0), rs.replicas);
            }
        }
    }
    Some(scale.values().fold(0i32, |sum, v| sum.saturating_add(*v)))
}
