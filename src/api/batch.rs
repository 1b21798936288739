//! Jobs (`batch/v1`): run pods to completion, with retries, deadlines and failure policies;
//! and CronJobs, which create Jobs on a schedule.
//!
//! Field names and defaults follow `batch/v1` (`pkg/apis/batch/v1/defaults.go`, v1.34).

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::api::cron::CronSchedule;
use crate::api::meta::{ConditionStatus, Labels, ObjectMeta, Rare, RareValue, Uid};
use crate::api::pod::PodTemplateSpec;
use crate::api::selector::LabelSelector;
use crate::kernel::SimTime;

/// Labels and annotations the Job controller and the API server put on Jobs and their pods.
pub mod labels {
    /// The Job's UID, on the Job's pods and in its generated selector.
    pub const CONTROLLER_UID: &str = "batch.kubernetes.io/controller-uid";
    /// The Job's name, on its pods.
    pub const JOB_NAME: &str = "batch.kubernetes.io/job-name";
    /// The legacy spellings the API server also adds.
    pub const LEGACY_CONTROLLER_UID: &str = "controller-uid";
    pub const LEGACY_JOB_NAME: &str = "job-name";
    /// An Indexed Job pod's completion index (annotation and label).
    pub const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";
}

/// `spec.completionMode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CompletionMode {
    #[default]
    NonIndexed,
    Indexed,
}

/// `spec.podReplacementPolicy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PodReplacementPolicy {
    /// Replace a pod as soon as it is terminating (the default without a podFailurePolicy).
    #[default]
    TerminatingOrFailed,
    /// Replace a pod only once it has fully terminated (the default with a podFailurePolicy).
    Failed,
}

/// `podFailurePolicy.rules[].action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailurePolicyAction {
    /// Fail the whole Job.
    FailJob,
    /// Fail the pod's index (Indexed Jobs with `backoffLimitPerIndex`).
    FailIndex,
    /// Do not count the failure towards `backoffLimit`; replace the pod.
    Ignore,
    /// Count the failure as usual.
    Count,
}

/// `onExitCodes.operator`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitCodeOperator {
    In,
    NotIn,
}

/// `podFailurePolicy.rules[].onExitCodes`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OnExitCodes {
    pub container_name: Option<String>,
    pub operator: ExitCodeOperator,
    /// Sorted, distinct.
    pub values: Vec<i32>,
}

impl OnExitCodes {
    /// Whether a container that exited with `code` matches.
    pub fn matches(&self, code: i32) -> bool {
        let listed = self.values.binary_search(&code).is_ok();
        match self.operator {
            ExitCodeOperator::In => listed,
            ExitCodeOperator::NotIn => !listed,
        }
    }
}

/// `podFailurePolicy.rules[].onPodConditions[]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OnPodCondition {
    pub condition_type: String,
    pub status: ConditionStatus,
}

/// One `podFailurePolicy` rule: exactly one of `on_exit_codes` and `on_pod_conditions`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FailurePolicyRule {
    pub action: FailurePolicyAction,
    pub on_exit_codes: Option<OnExitCodes>,
    pub on_pod_conditions: Vec<OnPodCondition>,
}

impl RareValue for BTreeSet<i32> {
    fn empty() -> &'static Self {
        static EMPTY: BTreeSet<i32> = BTreeSet::new();
        &EMPTY
    }
}

impl RareValue for Vec<FailurePolicyRule> {
    fn empty() -> &'static Self {
        static EMPTY: Vec<FailurePolicyRule> = Vec::new();
        &EMPTY
    }
}

/// `batch/v1.JobSpec`.
#[derive(Clone, Debug, PartialEq)]
pub struct JobSpec {
    /// Default 1.
    pub parallelism: i32,
    /// `None`: any one success completes the Job (a work queue), once no pod is active.
    pub completions: Option<i32>,
    pub completion_mode: CompletionMode,
    /// Default 6 (`i32::MAX` with `backoffLimitPerIndex`).
    pub backoff_limit: i32,
    pub backoff_limit_per_index: Option<i32>,
    pub max_failed_indexes: Option<i32>,
    pub active_deadline_seconds: Option<i64>,
    pub ttl_seconds_after_finished: Option<i32>,
    pub suspend: bool,
    pub pod_failure_policy: Rare<Vec<FailurePolicyRule>>,
    pub pod_replacement_policy: PodReplacementPolicy,
    /// The user's selector, with `manualSelector` (else `None`): otherwise the API server
    /// generates `batch.kubernetes.io/controller-uid: <uid>`, which [`Job::selector`] gives
    /// (not stored: a day of Jobs would keep a million copies of what the uid says).
    pub selector: Option<Box<LabelSelector>>,
    pub manual_selector: bool,
    /// As the user wrote it: the four labels the API server adds to the template are not
    /// stored but given by [`Job::pod_labels`], for the same reason.
    pub template: PodTemplateSpec,
}

/// The type of a Job condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobConditionType {
    Suspended,
    /// The Job will fail; its pods are being terminated.
    FailureTarget,
    /// The Job will complete; its remaining pods are being terminated.
    SuccessCriteriaMet,
    Complete,
    Failed,
}

impl JobConditionType {
    pub fn as_str(self) -> &'static str {
        match self {
            JobConditionType::Suspended => "Suspended",
            JobConditionType::FailureTarget => "FailureTarget",
            JobConditionType::SuccessCriteriaMet => "SuccessCriteriaMet",
            JobConditionType::Complete => "Complete",
            JobConditionType::Failed => "Failed",
        }
    }
}

/// A Job condition (`status` is always True: the controller removes or flips others).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobCondition {
    pub kind: JobConditionType,
    pub status: ConditionStatus,
    /// Every reason the Job controller sets is one of its constants.
    pub reason: &'static str,
    /// Mostly constant too (a pod failure policy rule's message is built).
    pub message: Cow<'static, str>,
    pub last_transition_time: SimTime,
}

/// `batch/v1.JobStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobStatus {
    pub start_time: Option<SimTime>,
    pub completion_time: Option<SimTime>,
    pub active: i32,
    pub ready: i32,
    pub terminating: i32,
    pub succeeded: i32,
    pub failed: i32,
    /// Indexed Jobs: the indexes that succeeded / failed (with `backoffLimitPerIndex`).
    pub completed_indexes: Rare<BTreeSet<i32>>,
    pub failed_indexes: Rare<BTreeSet<i32>>,
    pub conditions: Vec<JobCondition>,
}

impl JobStatus {
    pub fn condition(&self, kind: JobConditionType) -> Option<&JobCondition> {
        self.conditions.iter().find(|c| c.kind == kind && c.status == ConditionStatus::True)
    }

    /// Complete or Failed.
    pub fn is_finished(&self) -> bool {
        self.condition(JobConditionType::Complete).is_some() || self.condition(JobConditionType::Failed).is_some()
    }

    /// The compact form kubectl prints for `completedIndexes` (`1,3-5`).
    pub fn completed_indexes_text(&self) -> String {
        compact_ranges(&self.completed_indexes)
    }
}

/// The Job controller's interval form of an index set: sorted, each run of consecutive
/// indexes written `first-last` (`0-2,4,6-7`).
pub fn compact_ranges(set: &BTreeSet<i32>) -> String {
    let mut out = String::new();
    let mut iter = set.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        if !out.is_empty() {
            out.push(',');
        }
        if end == start {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}-{end}"));
        }
    }
    out
}

/// `batch/v1.Job`.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub meta: ObjectMeta,
    pub spec: JobSpec,
    pub status: JobStatus,
}

impl Job {
    /// The number of successful pods that completes the Job (`None`: a work queue).
    pub fn completions(&self) -> Option<i32> {
        self.spec.completions
    }

    pub fn is_indexed(&self) -> bool {
        self.spec.completion_mode == CompletionMode::Indexed
    }

    /// `spec.selector` as the API server stores it: unless `manualSelector`, generated from
    /// the uid (`batch.kubernetes.io/controller-uid`).
    pub fn selector(&self) -> Cow<'_, LabelSelector> {
        if let (true, Some(selector)) = (self.spec.manual_selector, &self.spec.selector) {
            return Cow::Borrowed(selector);
        }
        let uid = [(labels::CONTROLLER_UID.to_string(), self.meta.uid.text())];
        Cow::Owned(LabelSelector::from_set(&uid.into_iter().collect()))
    }

    /// `spec.template.metadata.labels` as the API server stores them, which the Job's pods
    /// get: unless `manualSelector`, the template's labels plus the Job's uid and name under
    /// `batch.kubernetes.io/controller-uid`, `batch.kubernetes.io/job-name` and their legacy
    /// spellings (these win over the user's values of those keys).
    pub fn pod_labels(&self) -> Labels {
        if self.spec.manual_selector {
            return self.spec.template.labels.clone();
        }
        let uid = self.meta.uid.text();
        self.spec.template.labels.with_overrides([
            (labels::CONTROLLER_UID, uid.clone()),
            (labels::JOB_NAME, self.meta.name.clone()),
            (labels::LEGACY_CONTROLLER_UID, uid),
            (labels::LEGACY_JOB_NAME, self.meta.name.clone()),
        ])
    }
}

/// The first immutable field of `existing` that `desired` changes (`kubectl apply` of a Job),
/// as the API server names it; `None` if only mutable fields (parallelism, suspend,
/// activeDeadlineSeconds, ttlSecondsAfterFinished, backoffLimit) differ. The labels the API
/// server adds to the template are not the user's change (and not stored: see
/// [`Job::pod_labels`]).
pub fn immutable_change(existing: &Job, desired: &Job) -> Option<&'static str> {
    let (a, b) = (&existing.spec, &desired.spec);
    if a.template != b.template {
        return Some("spec.template");
    }
    if a.completions != b.completions {
        return Some("spec.completions");
    }
    if a.completion_mode != b.completion_mode {
        return Some("spec.completionMode");
    }
    if a.manual_selector != b.manual_selector || (a.manual_selector && a.selector != b.selector) {
        return Some("spec.selector");
    }
    if a.pod_failure_policy != b.pod_failure_policy {
        return Some("spec.podFailurePolicy");
    }
    if a.backoff_limit_per_index != b.backoff_limit_per_index {
        return Some("spec.backoffLimitPerIndex");
    }
    if a.pod_replacement_policy != b.pod_replacement_policy {
        return Some("spec.podReplacementPolicy");
    }
    None
}

/// `spec.concurrencyPolicy` of a CronJob: what to do when a schedule time comes while a Job
/// it created is still active.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ConcurrencyPolicy {
    /// Run the new Job beside the active ones (the default).
    #[default]
    Allow,
    /// Skip the new run; `lastScheduleTime` is not advanced, so it starts late when the active
    /// Job finishes, if it is still the most recent schedule time and within
    /// `startingDeadlineSeconds`.
    Forbid,
    /// Delete the active Jobs (background propagation), then run the new one.
    Replace,
}

impl ConcurrencyPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            ConcurrencyPolicy::Allow => "Allow",
            ConcurrencyPolicy::Forbid => "Forbid",
            ConcurrencyPolicy::Replace => "Replace",
        }
    }
}

/// `batch/v1.JobTemplateSpec`: the Jobs a CronJob creates.
#[derive(Clone, Debug, PartialEq)]
pub struct JobTemplateSpec {
    /// Copied to each Job's metadata.
    pub labels: Labels,
    pub annotations: Labels,
    /// Defaulted and validated as a Job's spec; its selector is generated per Job.
    pub spec: JobSpec,
}

/// `batch/v1.CronJobSpec`.
#[derive(Clone, Debug, PartialEq)]
pub struct CronJobSpec {
    /// `spec.schedule` in `spec.timeZone`, validated.
    pub schedule: CronSchedule,
    /// A run that cannot start within this many seconds of its schedule time is skipped.
    pub starting_deadline_seconds: Option<i64>,
    pub concurrency_policy: ConcurrencyPolicy,
    /// No new Jobs while true (those running go on).
    pub suspend: bool,
    /// Finished Jobs kept, by outcome (defaults 3 and 1); older ones are deleted.
    pub successful_jobs_history_limit: i32,
    pub failed_jobs_history_limit: i32,
    pub job_template: JobTemplateSpec,
}

/// Default `successfulJobsHistoryLimit`.
pub const DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT: i32 = 3;
/// Default `failedJobsHistoryLimit`.
pub const DEFAULT_FAILED_JOBS_HISTORY_LIMIT: i32 = 1;

/// An entry of a CronJob's `status.active`: the Job's name and UID (an `ObjectReference`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobReference {
    pub name: String,
    pub uid: Uid,
}

/// `batch/v1.CronJobStatus`. Times are Unix seconds: they are calendar times, kept in whole
/// seconds as `metav1.Time` keeps them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CronJobStatus {
    /// The Jobs the CronJob created that have not finished, in creation order.
    pub active: Vec<JobReference>,
    /// The schedule time of the latest Job created.
    pub last_schedule_time: Option<i64>,
    /// The completion time of the latest Job that succeeded.
    pub last_successful_time: Option<i64>,
}

/// `batch/v1.CronJob`.
#[derive(Clone, Debug, PartialEq)]
pub struct CronJob {
    pub meta: ObjectMeta,
    pub spec: CronJobSpec,
    pub status: CronJobStatus,
}

/// The longest CronJob name: the controller appends `-<minutes since 1970>` (11 characters)
/// to name its Jobs, whose names are at most 63 characters.
pub const MAX_CRONJOB_NAME_LENGTH: usize = 52;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_index_ranges() {
        let set: BTreeSet<i32> = [0, 1, 2, 4, 6, 7].into_iter().collect();
        assert_eq!(compact_ranges(&set), "0-2,4,6-7");
        assert_eq!(compact_ranges(&BTreeSet::new()), "");
    }

    #[test]
    fn exit_code_rules() {
        let rule = OnExitCodes { container_name: None, operator: ExitCodeOperator::In, values: vec![1, 42] };
        assert!(rule.matches(42));
        assert!(!rule.matches(2));
        let not_in = OnExitCodes { operator: ExitCodeOperator::NotIn, ..rule };
        assert!(not_in.matches(2));
        assert!(!not_in.matches(1));
    }
}
