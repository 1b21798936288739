//! Jobs and CronJobs (`batch/v1`), with the API server's defaulting
//! (`pkg/apis/batch/v1/defaults.go`) and validation (`pkg/apis/batch/validation`).

use crate::api::batch::{
    CompletionMode, ConcurrencyPolicy, CronJob, CronJobSpec, CronJobStatus, DEFAULT_FAILED_JOBS_HISTORY_LIMIT,
    DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT, ExitCodeOperator, FailurePolicyAction, FailurePolicyRule, Job, JobSpec,
    JobStatus, JobTemplateSpec, OnExitCodes, OnPodCondition, PodReplacementPolicy,
};
use crate::api::cron::{CronError, CronSchedule};
use crate::api::meta::{ConditionStatus, Labels, ObjectMeta};
use crate::api::pod::RestartPolicy;
use crate::decode::{Ctx, DResult};
use crate::yaml::{Node as YamlNode, Pos};

/// Indexed Jobs may have at most this many completions (and parallelism).
pub const MAX_INDEXED_COMPLETIONS: i32 = 100_000;
/// `podFailurePolicy` may have at most this many rules.
pub const MAX_POD_FAILURE_POLICY_RULES: usize = 20;
/// `onExitCodes.values` may list at most this many codes.
pub const MAX_EXIT_CODE_VALUES: usize = 255;

fn one_of<'a>(ctx: &Ctx<'_>, node: &YamlNode, path: &str, allowed: &[&'a str]) -> DResult<&'a str> {
    let text = ctx.string(node, path)?;
    allowed.iter().copied().find(|a| *a == text).ok_or_else(|| {
        ctx.error(
            node.pos,
            path,
            format!(
                "unsupported value {text:?}{}: supported values: {}",
                crate::suggest::did_you_mean(&text, allowed.iter().copied()),
                allowed.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ")
            ),
        )
    })
}

pub(super) fn decode_job(ctx: &mut Ctx<'_>, meta: ObjectMeta, spec: Option<&YamlNode>, at: Pos) -> DResult<Job> {
    let Some(spec_node) = spec else {
        return Err(ctx.error(at, "spec", "missing required field \"spec\""));
    };
    let spec = decode_job_spec(ctx, spec_node, "spec", false)?;
    // Indexed pods get the hostname `<job>-<index>`, which must be a DNS label for the
    // highest index too.
    if spec.completion_mode == CompletionMode::Indexed
        && let Some(c) = spec.completions
    {
        let hostname = format!("{}-{}", meta.name, c.saturating_sub(1).max(0));
        if let Err(e) = crate::api::validation::is_dns1123_label(&hostname) {
            return Err(ctx.error(
                spec_node.get("completions").map_or(spec_node.pos, |n| n.pos),
                "spec.completions",
                format!("Invalid value: {c}: the pod hostname {hostname:?} would be invalid: {e}"),
            ));
        }
    }
    // The API server fills in the labels of the generated selector that the template lacks,
    // then requires each to be the Job's (`validateGeneratedSelector`): a user's value is
    // accepted only if it is the one it would generate (the uid cannot be known beforehand).
    if !spec.manual_selector {
        use crate::api::batch::labels;
        for (key, expected) in [
            (labels::LEGACY_CONTROLLER_UID, None),
            (labels::LEGACY_JOB_NAME, Some(meta.name.as_str())),
            (labels::CONTROLLER_UID, None),
            (labels::JOB_NAME, Some(meta.name.as_str())),
        ] {
            let Some(value) = spec.template.labels.get(key) else { continue };
            if expected == Some(value.as_str()) {
                continue;
            }
            let must = match expected {
                Some(name) => format!("must be '{name}'"),
                None => "must be the Job's uid, which the API server assigns".to_string(),
            };
            let labels_node = spec_node.get("template").and_then(|t| t.get("metadata")).and_then(|m| m.get("labels"));
            return Err(ctx.error_hint(
                labels_node.and_then(|l| l.get(key)).or(labels_node).map_or(spec_node.pos, |n| n.pos),
                &format!("spec.template.metadata.labels[{key}]"),
                format!("Invalid value: {value:?}: {must}"),
                format!("remove the label: the API server adds {key} itself"),
            ));
        }
    }
    Ok(Job { meta, spec, status: JobStatus::default() })
}

/// A Job spec written at `path` (`spec` of a Job, `spec.jobTemplate.spec` of a CronJob), with
/// the API server's defaulting and validation. In a CronJob's template (`in_template`) the
/// selector is always generated when the Job is created, so `selector` and `manualSelector:
/// true` are refused (`ValidateJobTemplateSpec`).
pub(super) fn decode_job_spec(
    ctx: &mut Ctx<'_>,
    spec_node: &YamlNode,
    path: &str,
    in_template: bool,
) -> DResult<JobSpec> {
    let p = |field: &str| format!("{path}.{field}");
    let mut f = ctx.fields(spec_node, path)?;
    let non_negative = |ctx: &Ctx<'_>, n: &YamlNode, path: &str| ctx.non_negative_int32(n, path);
    let parallelism_node = f.get("parallelism");
    let completions_node = f.get("completions");
    let mut parallelism = parallelism_node.map(|n| non_negative(ctx, n, &p("parallelism"))).transpose()?;
    let mut completions = completions_node.map(|n| non_negative(ctx, n, &p("completions"))).transpose()?;
    // `SetDefaults_Job`: neither set is one pod to completion; parallelism defaults to 1.
    if completions.is_none() && parallelism.is_none() {
        completions = Some(1);
    }
    if parallelism.is_none() {
        parallelism = Some(1);
    }
    let parallelism = parallelism.unwrap_or(1);
    let mode_node = f.get("completionMode");
    let completion_mode = match mode_node {
        Some(n) => match one_of(ctx, n, &p("completionMode"), &["NonIndexed", "Indexed"])? {
            "Indexed" => CompletionMode::Indexed,
            _ => CompletionMode::NonIndexed,
        },
        None => CompletionMode::NonIndexed,
    };
    if completion_mode == CompletionMode::Indexed {
        match completions {
            None => {
                return Err(ctx.error_hint(
                    mode_node.map_or(spec_node.pos, |n| n.pos),
                    &p("completions"),
                    "Required value: when completion mode is Indexed",
                    "an Indexed Job runs indexes 0..completions-1: set spec.completions",
                ));
            }
            Some(c) if c > MAX_INDEXED_COMPLETIONS => {
                return Err(ctx.error(
                    completions_node.map_or(spec_node.pos, |n| n.pos),
                    &p("completions"),
                    format!("must be less than or equal to {MAX_INDEXED_COMPLETIONS} when completion mode is Indexed"),
                ));
            }
            _ => {}
        }
        if parallelism > MAX_INDEXED_COMPLETIONS {
            return Err(ctx.error(
                parallelism_node.map_or(spec_node.pos, |n| n.pos),
                &p("parallelism"),
                format!("must be less than or equal to {MAX_INDEXED_COMPLETIONS} when completion mode is Indexed"),
            ));
        }
    }
    let backoff_limit_per_index_node = f.get("backoffLimitPerIndex");
    let backoff_limit_per_index =
        backoff_limit_per_index_node.map(|n| non_negative(ctx, n, &p("backoffLimitPerIndex"))).transpose()?;
    if let Some(n) = backoff_limit_per_index_node
        && completion_mode != CompletionMode::Indexed
    {
        return Err(ctx.error(
            n.pos,
            &p("backoffLimitPerIndex"),
            "requires indexed completion mode (spec.completionMode: Indexed)",
        ));
    }
    let max_failed_indexes = match f.get("maxFailedIndexes") {
        Some(n) => {
            let v = non_negative(ctx, n, &p("maxFailedIndexes"))?;
            if backoff_limit_per_index.is_none() {
                return Err(ctx.error(
                    n.pos,
                    &p("maxFailedIndexes"),
                    "cannot be set when backoffLimitPerIndex is not set",
                ));
            }
            if completions.is_some_and(|c| v > c) {
                return Err(ctx.error(n.pos, &p("maxFailedIndexes"), "must be less than or equal to completions"));
            }
            Some(v)
        }
        None => None,
    };
    let backoff_limit = match f.get("backoffLimit") {
        Some(n) => non_negative(ctx, n, &p("backoffLimit"))?,
        // With backoffLimitPerIndex the global limit defaults to "no limit".
        None if backoff_limit_per_index.is_some() => i32::MAX,
        None => 6,
    };
    let active_deadline_seconds = match f.get("activeDeadlineSeconds") {
        Some(n) => Some(ctx.int_in(n, &p("activeDeadlineSeconds"), 0, i64::from(i32::MAX))?),
        None => None,
    };
    let ttl_seconds_after_finished =
        f.get("ttlSecondsAfterFinished").map(|n| non_negative(ctx, n, &p("ttlSecondsAfterFinished"))).transpose()?;
    let suspend = match f.get("suspend") {
        Some(n) => ctx.bool(n, &p("suspend"))?,
        None => false,
    };
    let manual_selector_node = f.get("manualSelector");
    let manual_selector = match manual_selector_node {
        Some(n) => ctx.bool(n, &p("manualSelector"))?,
        None => false,
    };
    let selector_node = f.get("selector");
    if in_template {
        if let Some(n) = selector_node {
            return Err(ctx.error_hint(
                n.pos,
                &p("selector"),
                "`selector` will be auto-generated",
                "remove it: the CronJob's Jobs get a selector generated from their UID",
            ));
        }
        if let Some(n) = manual_selector_node.filter(|_| manual_selector) {
            return Err(ctx.error(
                n.pos,
                &p("manualSelector"),
                "Unsupported value: true: supported values: \"nil\", \"false\"",
            ));
        }
    }
    let template_node = f.require(ctx, "template", spec_node.pos)?;
    let template = super::decode_pod_template(ctx, template_node, &p("template"))?;
    let restart_pos =
        template_node.get("spec").and_then(|s| s.get("restartPolicy")).map_or(template_node.pos, |n| n.pos);
    if template.spec.restart_policy == RestartPolicy::Always {
        return Err(ctx.error_hint(
            restart_pos,
            &p("template.spec.restartPolicy"),
            "Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"",
            "a Job's pods run to completion: write restartPolicy: Never (or OnFailure)",
        ));
    }
    let selector = match (manual_selector, selector_node) {
        (true, Some(n)) => {
            let selector = super::decode_label_selector(ctx, n, &p("selector"))?;
            if !selector.matches(&template.labels) {
                return Err(ctx.error(
                    n.pos,
                    &p("template.metadata.labels"),
                    format!("selector does not match template labels (selector: {selector})"),
                ));
            }
            Some(Box::new(selector))
        }
        (true, None) => {
            return Err(ctx.error(spec_node.pos, &p("selector"), "Required value: when manualSelector is true"));
        }
        (false, Some(n)) => {
            return Err(ctx.error_hint(
                n.pos,
                &p("selector"),
                "`selector` will be auto-generated",
                "remove spec.selector (or set spec.manualSelector: true)",
            ));
        }
        // Generated at creation from the Job's UID.
        (false, None) => None,
    };
    let pod_failure_policy = match f.get("podFailurePolicy") {
        Some(n) => {
            if template.spec.restart_policy != RestartPolicy::Never {
                return Err(ctx.error(
                    n.pos,
                    &p("podFailurePolicy"),
                    "only \"Never\" is supported as spec.template.spec.restartPolicy when podFailurePolicy is specified",
                ));
            }
            decode_pod_failure_policy(ctx, n, &p("podFailurePolicy"), backoff_limit_per_index.is_some())?
        }
        None => Vec::new(),
    };
    let pod_replacement_policy = match f.get("podReplacementPolicy") {
        Some(n) => match one_of(ctx, n, &p("podReplacementPolicy"), &["TerminatingOrFailed", "Failed"])? {
            "Failed" => PodReplacementPolicy::Failed,
            _ => {
                if !pod_failure_policy.is_empty() {
                    return Err(ctx.error(
                            n.pos,
                            &p("podReplacementPolicy"),
                            "Unsupported value: \"TerminatingOrFailed\": supported values: \"Failed\" (when podFailurePolicy is set)",
                        ));
                }
                PodReplacementPolicy::TerminatingOrFailed
            }
        },
        None if !pod_failure_policy.is_empty() => PodReplacementPolicy::Failed,
        None => PodReplacementPolicy::TerminatingOrFailed,
    };
    if let Some(n) = f.get("successPolicy") {
        return Err(ctx.error_hint(
            n.pos,
            &p("successPolicy"),
            format!("{} is not simulated yet", p("successPolicy")),
            "remove it: the Job then completes when spec.completions pods (or indexes) have succeeded",
        ));
    }
    f.finish(ctx, &["managedBy"])?;
    Ok(JobSpec {
        parallelism,
        completions,
        completion_mode,
        backoff_limit,
        backoff_limit_per_index,
        max_failed_indexes,
        active_deadline_seconds,
        ttl_seconds_after_finished,
        suspend,
        pod_failure_policy: pod_failure_policy.into(),
        pod_replacement_policy,
        selector,
        manual_selector,
        template,
    })
}

pub(super) fn decode_cronjob(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    spec: Option<&YamlNode>,
    at: Pos,
) -> DResult<CronJob> {
    let Some(spec_node) = spec else {
        return Err(ctx.error(at, "spec", "missing required field \"spec\""));
    };
    let mut f = ctx.fields(spec_node, "spec")?;
    let schedule_node = f.require(ctx, "schedule", spec_node.pos)?;
    let schedule_text = ctx.string(schedule_node, "spec.schedule")?;
    let zone_node = f.get("timeZone");
    let zone = zone_node.map(|n| ctx.string(n, "spec.timeZone")).transpose()?;
    let schedule = CronSchedule::parse(&schedule_text, zone.as_deref()).map_err(|e| {
        let node = if e.field == "spec.timeZone" { zone_node.unwrap_or(schedule_node) } else { schedule_node };
        cron_error(ctx, node.pos, e)
    })?;
    let starting_deadline_seconds = match f.get("startingDeadlineSeconds") {
        Some(n) => {
            let v = ctx.int(n, "spec.startingDeadlineSeconds")?;
            if v < 0 {
                return Err(ctx.error(
                    n.pos,
                    "spec.startingDeadlineSeconds",
                    format!("must be greater than or equal to 0, got {v}"),
                ));
            }
            Some(v)
        }
        None => None,
    };
    let concurrency_policy = match f.get("concurrencyPolicy") {
        Some(n) => match one_of(ctx, n, "spec.concurrencyPolicy", &["Allow", "Forbid", "Replace"])? {
            "Forbid" => ConcurrencyPolicy::Forbid,
            "Replace" => ConcurrencyPolicy::Replace,
            _ => ConcurrencyPolicy::Allow,
        },
        None => ConcurrencyPolicy::Allow,
    };
    let suspend = match f.get("suspend") {
        Some(n) => ctx.bool(n, "spec.suspend")?,
        None => false,
    };
    let successful_jobs_history_limit = match f.get("successfulJobsHistoryLimit") {
        Some(n) => ctx.non_negative_int32(n, "spec.successfulJobsHistoryLimit")?,
        None => DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT,
    };
    let failed_jobs_history_limit = match f.get("failedJobsHistoryLimit") {
        Some(n) => ctx.non_negative_int32(n, "spec.failedJobsHistoryLimit")?,
        None => DEFAULT_FAILED_JOBS_HISTORY_LIMIT,
    };
    let template_node = f.require(ctx, "jobTemplate", spec_node.pos)?;
    let job_template = decode_job_template(ctx, template_node)?;
    f.finish(ctx, &[])?;
    Ok(CronJob {
        meta,
        spec: CronJobSpec {
            schedule,
            starting_deadline_seconds,
            concurrency_policy,
            suspend,
            successful_jobs_history_limit,
            failed_jobs_history_limit,
            job_template,
        },
        status: CronJobStatus::default(),
    })
}

/// A rejected schedule or time zone, located at its field, in the API server's words
/// (`Invalid value: "61 * * * *": end of range (61) above maximum (59): 61`) with the hint.
fn cron_error(ctx: &Ctx<'_>, pos: Pos, e: CronError) -> Box<crate::decode::DecodeError> {
    let field = e.field;
    let hint = e.hint.clone();
    let shown = CronError { hint: None, ..e }.to_string();
    let message = shown.strip_prefix(&format!("{field}: ")).unwrap_or(&shown).to_string();
    match hint {
        Some(hint) => ctx.error_hint(pos, field, message, hint),
        None => ctx.error(pos, field, message),
    }
}

/// `spec.jobTemplate`: the Jobs' labels and annotations, and their spec.
fn decode_job_template(ctx: &mut Ctx<'_>, node: &YamlNode) -> DResult<JobTemplateSpec> {
    let path = "spec.jobTemplate";
    let mut f = ctx.fields(node, path)?;
    let mut labels = Labels::new();
    let mut annotations = Labels::new();
    if let Some(m) = f.get("metadata") {
        let mut mf = ctx.fields(m, "spec.jobTemplate.metadata")?;
        if let Some(n) = mf.get("labels") {
            labels = ctx.string_map(n, "spec.jobTemplate.metadata.labels")?;
            super::validate_labels(ctx, &labels, n, "spec.jobTemplate.metadata.labels")?;
        }
        if let Some(n) = mf.get("annotations") {
            annotations = ctx.string_map(n, "spec.jobTemplate.metadata.annotations")?;
            super::validate_annotation_keys(ctx, &annotations, n, "spec.jobTemplate.metadata.annotations")?;
        }
        // The Job's name and namespace come from the CronJob.
        mf.finish(ctx, &["name", "namespace", "generateName", "finalizers", "ownerReferences", "creationTimestamp"])?;
    }
    let Some(spec_node) = f.get("spec") else {
        return Err(ctx.error_hint(
            node.pos,
            path,
            "missing required field \"spec\"",
            "a jobTemplate holds the spec of the Jobs, with their pod template",
        ));
    };
    let spec = decode_job_spec(ctx, spec_node, "spec.jobTemplate.spec", true)?;
    f.finish(ctx, &[])?;
    Ok(JobTemplateSpec { labels, annotations, spec })
}

fn decode_pod_failure_policy(
    ctx: &mut Ctx<'_>,
    node: &YamlNode,
    path: &str,
    per_index: bool,
) -> DResult<Vec<FailurePolicyRule>> {
    let mut f = ctx.fields(node, path)?;
    let rules_node = f.require(ctx, "rules", node.pos)?;
    let items = ctx.seq(rules_node, &format!("{path}.rules"))?;
    if items.len() > MAX_POD_FAILURE_POLICY_RULES {
        return Err(ctx.error(
            rules_node.pos,
            &format!("{path}.rules"),
            format!("must have at most {MAX_POD_FAILURE_POLICY_RULES} items"),
        ));
    }
    let mut rules = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("{path}.rules[{i}]");
        let mut rf = ctx.fields(item, &path)?;
        let action_node = rf.require(ctx, "action", item.pos)?;
        let action =
            match one_of(ctx, action_node, &format!("{path}.action"), &["FailJob", "FailIndex", "Ignore", "Count"])? {
                "FailJob" => FailurePolicyAction::FailJob,
                "FailIndex" => FailurePolicyAction::FailIndex,
                "Ignore" => FailurePolicyAction::Ignore,
                _ => FailurePolicyAction::Count,
            };
        if action == FailurePolicyAction::FailIndex && !per_index {
            return Err(ctx.error(
                action_node.pos,
                &format!("{path}.action"),
                "the FailIndex action requires spec.backoffLimitPerIndex",
            ));
        }
        let exit_node = rf.get("onExitCodes");
        let conditions_node = rf.get("onPodConditions");
        let conditions_items = match conditions_node {
            Some(n) => ctx.seq(n, &format!("{path}.onPodConditions"))?,
            None => &[],
        };
        match (exit_node.is_some(), !conditions_items.is_empty()) {
            (true, true) => {
                return Err(ctx.error(
                    item.pos,
                    &path,
                    "specifying both OnExitCodes and OnPodConditions is not supported",
                ));
            }
            (false, false) => {
                return Err(ctx.error(
                    item.pos,
                    &path,
                    "specifying one of OnExitCodes and OnPodConditions is required",
                ));
            }
            _ => {}
        }
        let on_exit_codes = match exit_node {
            Some(n) => Some(decode_on_exit_codes(ctx, n, &format!("{path}.onExitCodes"))?),
            None => None,
        };
        let mut on_pod_conditions = Vec::new();
        for (j, c) in conditions_items.iter().enumerate() {
            let cpath = format!("{path}.onPodConditions[{j}]");
            let mut cf = ctx.fields(c, &cpath)?;
            let type_node = cf.require(ctx, "type", c.pos)?;
            let condition_type = ctx.string(type_node, &format!("{cpath}.type"))?;
            let status = match cf.get("status") {
                Some(s) => match one_of(ctx, s, &format!("{cpath}.status"), &["True", "False", "Unknown"])? {
                    "False" => ConditionStatus::False,
                    "Unknown" => ConditionStatus::Unknown,
                    _ => ConditionStatus::True,
                },
                None => ConditionStatus::True,
            };
            cf.finish(ctx, &[])?;
            on_pod_conditions.push(OnPodCondition { condition_type, status });
        }
        rf.finish(ctx, &[])?;
        rules.push(FailurePolicyRule { action, on_exit_codes, on_pod_conditions });
    }
    f.finish(ctx, &[])?;
    Ok(rules)
}

fn decode_on_exit_codes(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<OnExitCodes> {
    let mut f = ctx.fields(node, path)?;
    let container_name = f.get("containerName").map(|n| ctx.string(n, &format!("{path}.containerName"))).transpose()?;
    let op_node = f.require(ctx, "operator", node.pos)?;
    let operator = match one_of(ctx, op_node, &format!("{path}.operator"), &["In", "NotIn"])? {
        "In" => ExitCodeOperator::In,
        _ => ExitCodeOperator::NotIn,
    };
    let values_node = f.require(ctx, "values", node.pos)?;
    let items = ctx.seq(values_node, &format!("{path}.values"))?;
    if items.is_empty() {
        return Err(ctx.error(values_node.pos, &format!("{path}.values"), "Required value: at least one value"));
    }
    if items.len() > MAX_EXIT_CODE_VALUES {
        return Err(ctx.error(
            values_node.pos,
            &format!("{path}.values"),
            format!("must have at most {MAX_EXIT_CODE_VALUES} items"),
        ));
    }
    let mut values: Vec<i32> = Vec::new();
    for (i, v) in items.iter().enumerate() {
        let vpath = format!("{path}.values[{i}]");
        let code = ctx.int32(v, &vpath)?;
        if values.contains(&code) {
            return Err(ctx.error(v.pos, &vpath, "Duplicate value"));
        }
        if values.last().is_some_and(|&last| last > code) {
            return Err(ctx.error(v.pos, &vpath, "must be ordered"));
        }
        if operator == ExitCodeOperator::In && code == 0 {
            return Err(ctx.error(v.pos, &vpath, "must not be 0 for the In operator"));
        }
        values.push(code);
    }
    f.finish(ctx, &[])?;
    Ok(OnExitCodes { container_name, operator, values })
}
