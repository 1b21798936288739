//! The Job controller (`pkg/controller/job/job_controller.go`, `backoff_utils.go`,
//! `pod_failure_policy.go`, `indexed_job_utils.go`; v1.34): runs pods until enough succeed,
//! counts failures against `backoffLimit` (or per index), delays replacements after failures
//! (10 s doubling to 10 min), enforces `activeDeadlineSeconds`, applies `podFailurePolicy`,
//! and deletes finished Jobs after `ttlSecondsAfterFinished` (the TTL-after-finished
//! controller).
//!
//! Finished pods are counted once, as the `batch.kubernetes.io/job-tracking` finalizer makes
//! Kubernetes do: the controller keeps the set of counted pods in [`JobTracking`]. Pods the
//! controller deletes itself (parallelism lowered, Job suspended or finished) are not counted
//! as failures. A pod deleted by anyone else counts as failed as soon as it is terminating
//! (`podReplacementPolicy: TerminatingOrFailed`, the default), or once it is gone or Failed
//! (`Failed`).
//!
//! The sync is a pure function of the store and the time: it returns the actions the engine
//! applies at the same instant.

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::api::batch::{
    FailurePolicyAction, Job, JobCondition, JobConditionType, JobStatus, PodReplacementPolicy, labels,
};
use crate::api::meta::ConditionStatus;
use crate::api::pod::{ContainerState, Pod, PodPhase, RestartPolicy};
use crate::controllers::replicaset::compare_for_deletion;
use crate::kernel::{SimDuration, SimTime};
use crate::store::{JobId, JobTracking, PodId, Store};

/// `DefaultJobPodFailureBackOff`.
pub const BACKOFF_INITIAL: SimDuration = SimDuration::from_secs(10);
/// `MaxJobPodFailureBackOff` (10 min since the 2023 refactor; six minutes before).
pub const BACKOFF_MAX: SimDuration = SimDuration::from_secs(600);
/// `syncJobBatchPeriod`: pod changes are batched into one sync this long after the first.
pub const SYNC_BATCH_PERIOD: SimDuration = SimDuration::from_secs(1);
/// At most this many pods are created or deleted per sync (`MaxPodCreateDeletePerSync`).
pub const MAX_POD_CREATE_DELETE_PER_SYNC: usize = 500;

/// Reasons of Job conditions (`batch.JobReason*`).
pub mod reasons {
    pub const BACKOFF_LIMIT_EXCEEDED: &str = "BackoffLimitExceeded";
    pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";
    pub const POD_FAILURE_POLICY: &str = "PodFailurePolicy";
    pub const MAX_FAILED_INDEXES_EXCEEDED: &str = "MaxFailedIndexesExceeded";
    pub const FAILED_INDEXES: &str = "FailedIndexes";
    pub const COMPLETIONS_REACHED: &str = "CompletionsReached";
    pub const SUSPENDED: &str = "JobSuspended";
    pub const RESUMED: &str = "JobResumed";
}

/// What a Job sync wants done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobAction {
    /// Create one pod per entry: `Some(i)` for completion index `i` of an Indexed Job.
    CreatePods(NewPods),
    /// Delete these pods (gracefully), with the reason recorded on them.
    DeletePods(JobPods, &'static str),
    SetStatus(Box<JobStatus>),
    SetTracking(Box<JobTracking>),
    /// Sync again at this time (pod-failure backoff, active deadline, TTL).
    RequeueAt(SimTime),
    /// `ttlSecondsAfterFinished` expired: delete the Job (and, by garbage collection, its pods).
    DeleteJob,
}

/// What one sync asks for (usually a status and at most a pod or two): on the stack.
pub type JobActions = SmallVec<[JobAction; 4]>;

/// Pods of one Job a sync handles (active, deleted): on the stack.
pub type JobPods = SmallVec<[PodId; 8]>;

/// The pods to create: one per entry, `Some(i)` for completion index `i`.
pub type NewPods = SmallVec<[Option<i32>; 2]>;

/// How a pod of the Job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PodState {
    Active,
    /// Being deleted (not yet counted as finished).
    Terminating,
    Succeeded,
    Failed,
}

fn completion_index(pod: &Pod) -> Option<i32> {
    pod.meta.annotations.get(labels::COMPLETION_INDEX).and_then(|v| v.parse().ok())
}

/// `finishTime` of a finished pod: the container's exit, else when the pod finished or was
/// deleted, else its creation.
fn finish_time(pod: &Pod) -> SimTime {
    match pod.status.container {
        ContainerState::Terminated { finished_at, .. } => finished_at,
        _ => pod.status.finished_at.or(pod.meta.deletion_timestamp).unwrap_or(pod.meta.creation_timestamp),
    }
}

/// `remainingTime` of a backoff record: 10 s · 2^(n−1), capped at 10 min, after the last
/// failure; zero without failures.
pub fn backoff_remaining(failures: u32, last_failure: Option<SimTime>, now: SimTime) -> SimDuration {
    let Some(last) = last_failure else { return SimDuration::ZERO };
    if failures == 0 {
        return SimDuration::ZERO;
    }
    let mut delay = BACKOFF_INITIAL;
    for _ in 1..failures {
        delay = delay.saturating_mul(2).min(BACKOFF_MAX);
        if delay == BACKOFF_MAX {
            break;
        }
    }
    delay.saturating_sub(now.saturating_since(last))
}

/// Whether the pod counts as failed (`isPodFailed`), given the replacement policy.
fn is_failed(store: &Store, id: PodId, policy: PodReplacementPolicy) -> bool {
    let pod = store.pod(id);
    match pod.status.phase {
        PodPhase::Failed => true,
        PodPhase::Succeeded => false,
        _ => match policy {
            // A deleted pod that never reached a terminal phase failed.
            PodReplacementPolicy::TerminatingOrFailed => pod.meta.deletion_timestamp.is_some() || store.is_removed(id),
            PodReplacementPolicy::Failed => store.is_removed(id),
        },
    }
}

/// The first `podFailurePolicy` rule matching a failed pod, with its index.
fn matching_rule(job: &Job, pod: &Pod) -> Option<(usize, FailurePolicyAction, String)> {
    let exit_code = match pod.status.container {
        ContainerState::Terminated { exit_code, .. } => Some(exit_code),
        _ => None,
    };
    for (i, rule) in job.spec.pod_failure_policy.iter().enumerate() {
        if let Some(on) = &rule.on_exit_codes {
            let container = pod.spec.containers.first().map(|c| c.name.as_str()).unwrap_or_default();
            let name_ok = on.container_name.as_deref().is_none_or(|n| pod.spec.containers.iter().any(|c| c.name == n));
            if let Some(code) = exit_code
                && code != 0
                && name_ok
                && on.matches(code)
            {
                let who = on.container_name.as_deref().unwrap_or(container);
                return Some((
                    i,
                    rule.action,
                    format!(
                        "Container {who} for pod {} failed with exit code {code} matching {:?} rule at index {i}",
                        pod.meta.key(),
                        rule.action
                    ),
                ));
            }
        }
        for cond in &rule.on_pod_conditions {
            let present = cond.condition_type == "DisruptionTarget" && pod.status.disruption_target().is_some();
            let status = if present { ConditionStatus::True } else { ConditionStatus::False };
            if present && status == cond.status {
                return Some((
                    i,
                    rule.action,
                    format!(
                        "Pod {} has condition DisruptionTarget matching {:?} rule at index {i}",
                        pod.meta.key(),
                        rule.action
                    ),
                ));
            }
        }
    }
    None
}

fn set_condition(
    status: &mut JobStatus,
    kind: JobConditionType,
    reason: &'static str,
    message: Cow<'static, str>,
    now: SimTime,
) {
    if let Some(c) = status.conditions.iter_mut().find(|c| c.kind == kind) {
        if c.status != ConditionStatus::True || c.reason != reason {
            c.status = ConditionStatus::True;
            c.reason = reason;
            c.message = message;
            c.last_transition_time = now;
        }
        return;
    }
    // Exactly: a finished Job keeps its two or three conditions all run long.
    status.conditions.reserve_exact(1);
    status.conditions.push(JobCondition {
        kind,
        status: ConditionStatus::True,
        reason,
        message,
        last_transition_time: now,
    });
}

/// When the Job finished (Complete or Failed), for `ttlSecondsAfterFinished`.
fn finished_at(status: &JobStatus) -> Option<SimTime> {
    status
        .condition(JobConditionType::Complete)
        .or_else(|| status.condition(JobConditionType::Failed))
        .map(|c| status.completion_time.unwrap_or(c.last_transition_time))
}

/// One sync of Job `id`.
pub fn reconcile(store: &Store, now: SimTime, id: JobId) -> JobActions {
    let Some(job) = store.job(id) else { return JobActions::new() };
    // Being deleted in the foreground: the garbage collector removes its pods.
    if job.meta.deletion_timestamp.is_some() {
        return JobActions::new();
    }
    let mut actions = JobActions::new();
    if job.status.is_finished() {
        // Read in place: a finished Job is synced again as its pods go (PodGC), and its status
        // (two or three conditions with their messages) is not copied for that.
        if let (Some(ttl), Some(done)) = (job.spec.ttl_seconds_after_finished, finished_at(&job.status)) {
            let expire = done + SimDuration::from_secs(ttl.max(0) as u64);
            if now >= expire {
                actions.push(JobAction::DeleteJob);
            } else {
                actions.push(JobAction::RequeueAt(expire));
            }
        }
        return actions;
    }
    let mut status = job.status.clone();
    let spec = &job.spec;
    let policy = spec.pod_replacement_policy;
    let mut tracking = store.job_tracking(id).clone();

    // Classify the pods; count the newly finished ones once.
    // A sync sees a few pods: kept on the stack (the Job controller syncs several times per
    // pod of a scale day's one-pod Jobs).
    let mut active = JobPods::new();
    let mut terminating = 0i32;
    let mut new_failure_times: SmallVec<[SimTime; 4]> = SmallVec::new();
    let mut new_success_times: SmallVec<[SimTime; 4]> = SmallVec::new();
    let mut fail_job: Option<String> = None;
    for &p in store.job_pods(id) {
        if tracking.counted.contains(&p) {
            if !store.is_removed(p)
                && store.pod(p).meta.deletion_timestamp.is_some()
                && !store.pod(p).status.phase.is_terminal()
            {
                terminating += 1;
            }
            continue;
        }
        let pod = store.pod(p);
        let state = if pod.status.phase == PodPhase::Succeeded {
            PodState::Succeeded
        } else if is_failed(store, p, policy) {
            PodState::Failed
        } else if pod.meta.deletion_timestamp.is_some() || store.is_removed(p) {
            PodState::Terminating
        } else {
            PodState::Active
        };
        match state {
            PodState::Active => active.push(p),
            PodState::Terminating => terminating += 1,
            PodState::Succeeded => {
                tracking.counted.insert(p);
                status.succeeded += 1;
                if job.is_indexed()
                    && let Some(i) = completion_index(pod)
                    && spec.completions.is_some_and(|c| i < c)
                {
                    status.completed_indexes.insert(i);
                }
                new_success_times.push(finish_time(pod));
            }
            PodState::Failed => {
                tracking.counted.insert(p);
                if !store.is_removed(p) && pod.meta.deletion_timestamp.is_some() && !pod.status.phase.is_terminal() {
                    terminating += 1;
                }
                let rule = if spec.pod_failure_policy.is_empty() { None } else { matching_rule(job, pod) };
                let index = completion_index(pod);
                match rule {
                    Some((_, FailurePolicyAction::Ignore, _)) => continue,
                    Some((_, FailurePolicyAction::FailJob, message)) => {
                        fail_job.get_or_insert(message);
                    }
                    Some((_, FailurePolicyAction::FailIndex, _)) => {
                        if let Some(i) = index {
                            status.failed_indexes.insert(i);
                        }
                    }
                    Some((_, FailurePolicyAction::Count, _)) | None => {}
                }
                status.failed += 1;
                let at = finish_time(pod);
                new_failure_times.push(at);
                if spec.backoff_limit_per_index.is_some()
                    && let Some(i) = index
                {
                    let entry = tracking.index_failures.entry(i).or_insert((0, at));
                    entry.0 += 1;
                    entry.1 = entry.1.max(at);
                }
            }
        }
    }

    // The backoff record (`newBackoffRecord`): failures since the latest success.
    if let Some(&last_success) = new_success_times.iter().max() {
        let after: Vec<SimTime> = new_failure_times.iter().copied().filter(|&t| t > last_success).collect();
        tracking.failures_after_last_success = after.len() as u32;
        tracking.last_failure = after.iter().copied().max();
    } else if !new_failure_times.is_empty() {
        tracking.failures_after_last_success += new_failure_times.len() as u32;
        let latest = new_failure_times.iter().copied().max();
        tracking.last_failure = tracking.last_failure.max(latest);
    }

    // Indexes that exceeded their own backoff limit fail.
    if let Some(limit) = spec.backoff_limit_per_index {
        for (&i, &(failures, _)) in &tracking.index_failures {
            if failures > limit.max(0) as u32 {
                status.failed_indexes.insert(i);
            }
        }
    }

    if status.start_time.is_none() && !spec.suspend {
        status.start_time = Some(now);
    }

    // Is the Job going to fail?
    let mut failure: Option<(&'static str, Cow<'static, str>)> =
        status.condition(JobConditionType::FailureTarget).map(|c| (c.reason, c.message.clone()));
    if failure.is_none() {
        let restarts: i32 = active
            .iter()
            .filter(|&&p| matches!(store.pod(p).status.phase, PodPhase::Running | PodPhase::Pending))
            .map(|&p| store.pod(p).status.restart_count)
            .sum();
        let past_on_failure = spec.template.spec.restart_policy == RestartPolicy::OnFailure
            && if spec.backoff_limit == 0 { restarts > 0 } else { restarts >= spec.backoff_limit };
        if let Some(message) = fail_job {
            failure = Some((reasons::POD_FAILURE_POLICY, message.into()));
        } else if status.failed > spec.backoff_limit || past_on_failure {
            failure = Some((reasons::BACKOFF_LIMIT_EXCEEDED, "Job has reached the specified backoff limit".into()));
        } else if let (Some(ads), Some(start)) = (spec.active_deadline_seconds, status.start_time)
            && !spec.suspend
        {
            let deadline = start + SimDuration::from_secs(ads.max(0) as u64);
            if now >= deadline {
                failure = Some((reasons::DEADLINE_EXCEEDED, "Job was active longer than specified deadline".into()));
            } else {
                actions.push(JobAction::RequeueAt(deadline));
            }
        }
        if failure.is_none()
            && job.is_indexed()
            && spec.backoff_limit_per_index.is_some()
            && let Some(completions) = spec.completions
        {
            if spec.max_failed_indexes.is_some_and(|m| status.failed_indexes.len() as i64 > i64::from(m)) {
                failure = Some((
                    reasons::MAX_FAILED_INDEXES_EXCEEDED,
                    "Job has exceeded the specified maximal number of failed indexes".into(),
                ));
            } else if !status.failed_indexes.is_empty()
                && (status.failed_indexes.len() + status.completed_indexes.len()) as i64 >= i64::from(completions)
            {
                failure = Some((reasons::FAILED_INDEXES, "Job has failed indexes".into()));
            }
        }
    }

    let mut deleted = JobPods::new();
    let mut created = NewPods::new();
    if let Some((reason, message)) = &failure {
        set_condition(&mut status, JobConditionType::FailureTarget, reason, message.clone(), now);
        if !active.is_empty() {
            deleted = std::mem::take(&mut active);
        }
        if terminating == 0 && deleted.is_empty() {
            set_condition(&mut status, JobConditionType::Failed, reason, message.clone(), now);
        }
    } else if status.condition(JobConditionType::SuccessCriteriaMet).is_none() {
        if spec.suspend {
            set_condition(&mut status, JobConditionType::Suspended, reasons::SUSPENDED, "Job suspended".into(), now);
            status.start_time = None;
            deleted = std::mem::take(&mut active);
        } else {
            if let Some(c) = status.conditions.iter_mut().find(|c| c.kind == JobConditionType::Suspended)
                && c.status == ConditionStatus::True
            {
                c.status = ConditionStatus::False;
                c.reason = reasons::RESUMED;
                c.message = "Job resumed".into();
                c.last_transition_time = now;
            }
            manage(
                store,
                now,
                job,
                &status,
                &tracking,
                &mut active,
                terminating,
                &mut deleted,
                &mut created,
                &mut actions,
            );
        }
    }

    // Success.
    if failure.is_none() {
        let succeeded_enough = match (spec.completions, job.is_indexed()) {
            (Some(c), true) => status.completed_indexes.len() as i64 >= i64::from(c),
            (Some(c), false) => status.succeeded >= c,
            (None, _) => status.succeeded > 0,
        };
        let meets = status.condition(JobConditionType::SuccessCriteriaMet).is_some()
            || (succeeded_enough && active.is_empty() && created.is_empty() && !spec.suspend);
        if meets {
            let message = "Reached expected number of succeeded pods";
            set_condition(
                &mut status,
                JobConditionType::SuccessCriteriaMet,
                reasons::COMPLETIONS_REACHED,
                message.into(),
                now,
            );
            deleted.append(&mut active);
            created.clear();
            if terminating == 0 && deleted.is_empty() {
                set_condition(
                    &mut status,
                    JobConditionType::Complete,
                    reasons::COMPLETIONS_REACHED,
                    message.into(),
                    now,
                );
                status.completion_time = Some(now);
            }
        }
    }

    // Pods the controller deletes are not failures.
    for &p in &deleted {
        tracking.counted.insert(p);
    }
    status.active = (active.len() + created.len()) as i32;
    status.ready = active.iter().filter(|&&p| store.pod(p).is_ready()).count() as i32;
    status.terminating = terminating + deleted.len() as i32;

    if !deleted.is_empty() {
        let reason = if failure.is_some() || status.condition(JobConditionType::SuccessCriteriaMet).is_some() {
            "JobFinished"
        } else if spec.suspend {
            "JobSuspended"
        } else {
            "ScaleDown"
        };
        actions.push(JobAction::DeletePods(deleted, reason));
    }
    if !created.is_empty() {
        actions.push(JobAction::CreatePods(created));
    }
    if status.is_finished() {
        // A finished Job is never synced again (the early return above): what it counted is
        // dropped, not kept for each of the hundreds of thousands of Jobs of a scale day.
        tracking = JobTracking::default();
    }
    if tracking != *store.job_tracking(id) {
        actions.push(JobAction::SetTracking(Box::new(tracking)));
    }
    if status.is_finished()
        && let (Some(ttl), Some(done)) = (spec.ttl_seconds_after_finished, finished_at(&status))
    {
        actions.push(JobAction::RequeueAt(done + SimDuration::from_secs(ttl.max(0) as u64)));
    }
    if status != job.status {
        actions.push(JobAction::SetStatus(Box::new(status)));
    }
    actions
}

/// `manageJob`: bring the number of active pods to what the Job wants, respecting the
/// pod-failure backoff.
#[allow(clippy::too_many_arguments)]
fn manage(
    store: &Store,
    now: SimTime,
    job: &Job,
    status: &JobStatus,
    tracking: &JobTracking,
    active: &mut JobPods,
    terminating: i32,
    deleted: &mut JobPods,
    created: &mut NewPods,
    actions: &mut JobActions,
) {
    let spec = &job.spec;
    let parallelism = spec.parallelism.max(0) as i64;
    // Indexes still to run (Indexed Jobs): not completed, not failed.
    let pending_indexes: Vec<i32> = match (job.is_indexed(), spec.completions) {
        (true, Some(c)) => (0..c.max(0))
            .filter(|i| !status.completed_indexes.contains(i) && !status.failed_indexes.contains(i))
            .collect(),
        _ => Vec::new(),
    };
    let want_active: i64 = match (job.is_indexed(), spec.completions) {
        (true, Some(_)) => parallelism.min(pending_indexes.len() as i64),
        (false, Some(c)) => (i64::from(c) - i64::from(status.succeeded)).clamp(0, parallelism),
        (_, None) => {
            if status.succeeded > 0 {
                active.len() as i64
            } else {
                parallelism
            }
        }
    };
    let count = active.len() as i64;
    if count > want_active {
        let n = ((count - want_active) as usize).min(MAX_POD_CREATE_DELETE_PER_SYNC);
        let mut ranked: Vec<PodId> = active.to_vec();
        ranked.sort_by(|&a, &b| compare_for_deletion(store.pod(a), 0, store.pod(b), 0, now).then(b.cmp(&a)));
        let doomed: Vec<PodId> = ranked.into_iter().take(n).collect();
        active.retain(|p| !doomed.contains(p));
        deleted.extend(doomed);
        return;
    }
    let waiting_terminated = if spec.pod_replacement_policy == PodReplacementPolicy::Failed { terminating } else { 0 };
    let diff = want_active - count - i64::from(waiting_terminated);
    if diff <= 0 {
        return;
    }
    let remaining = backoff_remaining(tracking.failures_after_last_success, tracking.last_failure, now);
    if !remaining.is_zero() {
        actions.push(JobAction::RequeueAt(now + remaining));
        return;
    }
    let n = (diff as usize).min(MAX_POD_CREATE_DELETE_PER_SYNC);
    if job.is_indexed() && spec.completions.is_some() {
        let held: std::collections::BTreeSet<i32> =
            active.iter().filter_map(|&p| completion_index(store.pod(p))).collect();
        let mut earliest_retry: Option<SimTime> = None;
        for &i in &pending_indexes {
            if created.len() >= n {
                break;
            }
            if held.contains(&i) {
                continue;
            }
            // Per-index backoff (`backoffLimitPerIndex`).
            if let Some(&(failures, last)) = tracking.index_failures.get(&i) {
                let wait = backoff_remaining(failures, Some(last), now);
                if !wait.is_zero() {
                    let at = now + wait;
                    earliest_retry = Some(earliest_retry.map_or(at, |t: SimTime| t.min(at)));
                    continue;
                }
            }
            created.push(Some(i));
        }
        if let Some(at) = earliest_retry {
            actions.push(JobAction::RequeueAt(at));
        }
    } else {
        created.extend(std::iter::repeat_n(None, n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_ten_minutes() {
        let t0 = SimTime::ZERO + SimDuration::from_secs(100);
        let secs = |n| backoff_remaining(n, Some(t0), t0).as_micros() / 1_000_000;
        // 10, 20, 40, 80, 160, 320, 600 (capped), 600 s.
        assert_eq!((1..=8).map(secs).collect::<Vec<_>>(), [10, 20, 40, 80, 160, 320, 600, 600]);
        assert_eq!(backoff_remaining(0, Some(t0), t0), SimDuration::ZERO);
        assert_eq!(backoff_remaining(3, None, t0), SimDuration::ZERO);
        // Measured from the last failure: 4 s later, 36 s remain of 40.
        let later = t0 + SimDuration::from_secs(4);
        assert_eq!(backoff_remaining(3, Some(t0), later), SimDuration::from_secs(36));
        assert_eq!(backoff_remaining(1, Some(t0), t0 + SimDuration::from_secs(60)), SimDuration::ZERO);
    }
}
