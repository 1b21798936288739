//! The CronJob controller (`pkg/controller/cronjob/cronjob_controllerv2.go`, `utils.go`;
//! v1.34): creates a Job at each schedule time, keeps `status.active` in step with the Jobs it
//! created, applies `concurrencyPolicy` and `startingDeadlineSeconds`, and deletes finished
//! Jobs beyond the history limits.
//!
//! One sync is `sync` then `syncCronJob` of the controller: first `cleanupFinishedJobs` (the
//! oldest finished Jobs beyond `successfulJobsHistoryLimit` / `failedJobsHistoryLimit`, by
//! start time), then the reconciliation of `status.active` (finished Jobs leave it, a
//! succeeded one sets `lastSuccessfulTime`; Jobs gone leave it), then, unless suspended, the
//! most recent unmet schedule time (`mostRecentScheduleTime` in `src/api/cron.rs`): too late
//! for `startingDeadlineSeconds`, already created, skipped under `Forbid` while a Job is
//! active (without advancing `lastScheduleTime`, so it starts late when the Job finishes), or
//! created, after deleting the active Jobs under `Replace`. The CronJob is synced again at
//! the next schedule time plus 100 ms (`nextScheduleTimeDuration`), and whenever one of its
//! Jobs changes.
//!
//! Calendar time comes from the scenario's [`WallClock`]; schedule times are whole Unix
//! seconds. The sync is a pure function of the store and the time: it returns the actions the
//! engine applies at the same instant.

use crate::api::batch::{ConcurrencyPolicy, CronJob, CronJobStatus, Job, JobConditionType, JobReference, JobStatus};
use crate::api::cron::{Missed, SCHEDULED_TIMESTAMP_ANNOTATION, job_name};
use crate::api::meta::ObjectMeta;
use crate::kernel::{SimTime, WallClock};
use crate::store::{CronJobId, JobId, Store};

/// What a CronJob sync wants done, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum CronJobAction {
    /// Delete this Job with background propagation (its pods are garbage-collected).
    DeleteJob(JobId),
    /// Create this Job (named, labelled, annotated and owned) for the schedule time
    /// `scheduled` (RFC 3339 in the CronJob's zone), then set `status` with the new Job
    /// appended to `status.active`.
    CreateJob {
        job: Box<Job>,
        scheduled: String,
        status: Box<CronJobStatus>,
    },
    SetStatus(Box<CronJobStatus>),
    /// Sync again at this time (the delaying queue's `AddAfter`: the earliest request wins).
    RequeueAt(SimTime),
    /// An event the controller records (`reason` as Kubernetes names it), told in the
    /// narrative as `cronjob <namespace>/<name> <message>`.
    Event {
        reason: &'static str,
        message: String,
    },
}

/// A Job of the CronJob as the sync sees it.
struct Owned<'a> {
    id: JobId,
    job: &'a Job,
}

fn outcome(status: &JobStatus) -> Option<JobConditionType> {
    [JobConditionType::Complete, JobConditionType::Failed].into_iter().find(|&k| status.condition(k).is_some())
}

/// `removeOldestJobs`: the Jobs to delete so that at most `limit` remain, oldest start time
/// first (Jobs never started last, then by name).
fn oldest_beyond<'a>(mut jobs: Vec<&'a Owned<'a>>, limit: i32) -> Vec<&'a Owned<'a>> {
    let excess = jobs.len().saturating_sub(limit.max(0) as usize);
    if excess == 0 {
        return Vec::new();
    }
    // metav1.Time keeps whole seconds, so start times compare by the second.
    let key = |o: &Owned<'_>| (o.job.status.start_time.is_none(), o.job.status.start_time.map(|t| t.as_secs()));
    jobs.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.job.meta.name.cmp(&b.job.meta.name)));
    jobs.truncate(excess);
    jobs
}

/// The absolute time of `nextScheduleTimeDuration` computed with `status`, if there is a next
/// schedule time.
fn next_sync(cronjob: &CronJob, status: &CronJobStatus, now: SimTime, clock: WallClock) -> Option<SimTime> {
    let earliest = status.last_schedule_time.unwrap_or_else(|| clock.unix_secs(cronjob.meta.creation_timestamp));
    let now_millis = clock.unix_millis(now);
    let delay = cronjob.spec.schedule.next_schedule_delay_millis(earliest, now_millis)?;
    clock.at_unix_millis(now_millis.checked_add(delay.max(0))?).map(|t| t.max(now))
}

/// When a CronJob whose schedule was just changed should be synced (`updateCronJob`: after
/// `nextScheduleTimeDuration` under the new schedule, rather than at once).
pub fn rescheduled_sync(store: &Store, now: SimTime, clock: WallClock, id: CronJobId) -> Option<SimTime> {
    let cronjob = store.cronjob(id)?;
    next_sync(cronjob, &cronjob.status, now, clock)
}

/// One sync of CronJob `id` at `now`.
pub fn reconcile(store: &Store, now: SimTime, clock: WallClock, id: CronJobId) -> Vec<CronJobAction> {
    let Some(cronjob) = store.cronjob(id) else { return Vec::new() };
    // `syncCronJob`: a CronJob being deleted does nothing more.
    if cronjob.meta.deletion_timestamp.is_some() {
        return Vec::new();
    }
    let spec = &cronjob.spec;
    let mut actions = Vec::new();
    let mut status = cronjob.status.clone();
    let owned: Vec<Owned<'_>> =
        store.cronjob_jobs(id).iter().filter_map(|&j| store.job(j).map(|job| Owned { id: j, job })).collect();
    let event = |reason: &'static str, message: String| CronJobAction::Event { reason, message };
    let remove_active = |status: &mut CronJobStatus, uid| status.active.retain(|r| r.uid != uid);

    // cleanupFinishedJobs, on the Jobs listed before anything is deleted.
    let mut deleted: Vec<JobId> = Vec::new();
    for (kind, limit, field) in [
        (JobConditionType::Complete, spec.successful_jobs_history_limit, "successfulJobsHistoryLimit"),
        (JobConditionType::Failed, spec.failed_jobs_history_limit, "failedJobsHistoryLimit"),
    ] {
        let finished: Vec<&Owned<'_>> = owned.iter().filter(|o| outcome(&o.job.status) == Some(kind)).collect();
        for o in oldest_beyond(finished, limit) {
            actions.push(CronJobAction::DeleteJob(o.id));
            actions.push(event("SuccessfulDelete", format!("deletes job {} ({field} {limit})", o.job.meta.key())));
            remove_active(&mut status, o.job.meta.uid);
            deleted.push(o.id);
        }
    }

    // status.active against the Jobs (the list from before the cleanup, as in Kubernetes).
    for o in &owned {
        let found = status.active.iter().any(|r| r.uid == o.job.meta.uid);
        match outcome(&o.job.status) {
            None if !found => actions.push(event(
                "UnexpectedJob",
                format!("saw job {} that the controller did not create or forgot", o.job.meta.key()),
            )),
            None => {}
            Some(kind) => {
                if found {
                    remove_active(&mut status, o.job.meta.uid);
                }
                if kind == JobConditionType::Complete
                    && let Some(done) = o.job.status.completion_time
                {
                    let done = clock.unix_secs(done);
                    if status.last_successful_time.is_none_or(|t| done > t) {
                        status.last_successful_time = Some(done);
                    }
                }
            }
        }
    }
    let missing: Vec<JobReference> =
        status.active.iter().filter(|r| !owned.iter().any(|o| o.job.meta.uid == r.uid)).cloned().collect();
    for r in missing {
        actions.push(event(
            "MissingJob",
            format!("lost active job {}/{}: it was deleted", cronjob.meta.namespace, r.name),
        ));
        remove_active(&mut status, r.uid);
    }
    let finish = |mut actions: Vec<CronJobAction>, status: CronJobStatus, requeue: Option<SimTime>| {
        if status != cronjob.status {
            actions.push(CronJobAction::SetStatus(Box::new(status)));
        }
        if let Some(at) = requeue {
            actions.push(CronJobAction::RequeueAt(at));
        }
        actions
    };

    if spec.suspend {
        return finish(actions, status, None);
    }
    let schedule = &spec.schedule;
    let earliest = status.last_schedule_time.unwrap_or_else(|| clock.unix_secs(cronjob.meta.creation_timestamp));
    let most_recent = match schedule.most_recent(earliest, clock.unix_secs(now), spec.starting_deadline_seconds) {
        Ok(m) => m,
        Err(e) => {
            // InvalidSchedule: not synced again until the spec changes.
            actions.push(event("InvalidSchedule", format!("has an invalid schedule: {e}")));
            return finish(actions, status, None);
        }
    };
    if let Missed::Many(n) = most_recent.missed {
        actions.push(event(
            "TooManyMissedTimes",
            format!(
                "missed {n} start times (too many: set or decrease .spec.startingDeadlineSeconds or check clock skew)"
            ),
        ));
    }
    let Some(scheduled) = most_recent.time else {
        let requeue = next_sync(cronjob, &status, now, clock);
        return finish(actions, status, requeue);
    };
    let scheduled_text = schedule.scheduled_timestamp(scheduled);
    if let Some(deadline) = spec.starting_deadline_seconds {
        let latest_micros = scheduled.saturating_add(deadline).saturating_mul(1_000_000);
        if latest_micros < clock.unix_micros(now) {
            actions.push(event(
                "MissSchedule",
                format!("misses {scheduled_text}: too late to start (startingDeadlineSeconds {deadline})"),
            ));
            let requeue = next_sync(cronjob, &status, now, clock);
            return finish(actions, status, requeue);
        }
    }
    let name = job_name(&cronjob.meta.name, scheduled);
    if status.active.iter().any(|r| r.name == name) || status.last_schedule_time == Some(scheduled) {
        let requeue = next_sync(cronjob, &status, now, clock);
        return finish(actions, status, requeue);
    }
    match spec.concurrency_policy {
        ConcurrencyPolicy::Forbid if !status.active.is_empty() => {
            let running: Vec<String> =
                status.active.iter().map(|r| format!("{}/{}", cronjob.meta.namespace, r.name)).collect();
            actions.push(event(
                "JobAlreadyActive",
                format!("skips {scheduled_text} (Forbid: job {} still active)", running.join(", ")),
            ));
            let requeue = next_sync(cronjob, &status, now, clock);
            return finish(actions, status, requeue);
        }
        ConcurrencyPolicy::Replace => {
            for r in std::mem::take(&mut status.active) {
                if let Some(o) = owned.iter().find(|o| o.job.meta.uid == r.uid) {
                    actions.push(CronJobAction::DeleteJob(o.id));
                    deleted.push(o.id);
                    actions.push(event(
                        "SuccessfulDelete",
                        format!("deletes job {} (Replace: the run of {scheduled_text} replaces it)", o.job.meta.key()),
                    ));
                }
            }
        }
        _ => {}
    }

    // The Job's name is a lock: a Job of that name may exist already (a schedule finer than a
    // minute, or someone else's Job).
    if let Some(existing) = store.job_id(&cronjob.meta.namespace, &name).filter(|j| !deleted.contains(j)) {
        if store.job_cronjob(existing) != Some(id) {
            // Someone else's Job (perhaps archived): leave it, and wait for an event
            // (Kubernetes does not requeue).
            let key = store.job_object_key(existing).expect("named Jobs are not removed");
            actions.push(event("FailedCreate", format!("cannot create job {key}: it exists and is not ours")));
            return finish(actions, status, None);
        }
        // A CronJob's Jobs are never archived.
        let job = store.job(existing).expect("named Jobs are live");
        if status.active.iter().any(|r| r.uid == job.meta.uid) {
            return finish(actions, status, None);
        }
        status.active.push(JobReference { name: name.clone(), uid: job.meta.uid });
        status.last_schedule_time = Some(scheduled);
        let requeue = next_sync(cronjob, &status, now, clock);
        return finish(actions, status, requeue);
    }

    let Some(owner) = store.cronjob_owner_ref(id) else { return actions };
    let template = &spec.job_template;
    let mut annotations = template.annotations.clone();
    annotations.insert(SCHEDULED_TIMESTAMP_ANNOTATION.to_string(), scheduled_text.clone());
    let job = Job {
        meta: ObjectMeta {
            name: name.clone(),
            namespace: cronjob.meta.namespace.clone(),
            labels: template.labels.clone(),
            annotations,
            owner_references: vec![owner],
            ..ObjectMeta::default()
        },
        spec: template.spec.clone(),
        status: JobStatus::default(),
    };
    let late_micros = clock.unix_micros(now) - scheduled.saturating_mul(1_000_000);
    let late = if late_micros > 1_000_000 {
        format!(", {} late", crate::kernel::SimDuration::from_micros(late_micros as u64))
    } else {
        String::new()
    };
    actions.push(event(
        "SuccessfulCreate",
        format!("creates job {}/{name} for {scheduled_text}{late}", cronjob.meta.namespace),
    ));
    status.last_schedule_time = Some(scheduled);
    let requeue = next_sync(cronjob, &status, now, clock);
    actions.push(CronJobAction::CreateJob { job: Box::new(job), scheduled: scheduled_text, status: Box::new(status) });
    if let Some(at) = requeue {
        actions.push(CronJobAction::RequeueAt(at));
    }
    actions
}
