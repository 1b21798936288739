//! The Job controller against the timelines of the controllers reference (§5): pod-failure
//! backoff, backoffLimit, completions and parallelism, deadlines, failure policies, Indexed
//! Jobs, suspension, TTL and cascading deletion.

use kubesim::engine::Simulation;

use crate::support::{parse, run};

/// A scenario with one 64-cpu node and the Job `train` whose spec lines are `spec` (indented
/// by 10 spaces in the output) and whose pods run for `duration` with `exit_codes`.
fn scenario(spec: &str, duration: &str, exit_codes: &str, until: &str, extra: &str) -> String {
    let spec: String = spec.lines().map(|l| format!("          {l}\n")).collect();
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: job}}
spec:
  until: {until}
  cluster:
    nodes:
      - {{name: n1, allocatable: {{cpu: "64", memory: 256Gi, pods: "110"}}}}
  manifests:
    - inline:
        apiVersion: batch/v1
        kind: Job
        metadata: {{name: train}}
        spec:
{spec}          template:
            metadata:
              annotations: {{sim.kubesim.io/duration: {duration}, sim.kubesim.io/exit-codes: "{exit_codes}"}}
            spec:
              containers: [{{name: c, resources: {{requests: {{cpu: "1"}}}}}}]
{extra}"#
    )
}

/// The creation times of the Job's pods, in seconds.
fn created_at(sim: &Simulation) -> Vec<u64> {
    let store = sim.store();
    let id = store.job_id("default", "train").expect("job exists");
    store.job_pods(id).iter().map(|&p| store.pod_entry(p).created().as_micros() / 1_000_000).collect()
}

fn job(sim: &Simulation) -> &kubesim::api::batch::Job {
    let store = sim.store();
    store.job(store.job_id("default", "train").expect("job exists")).expect("live")
}

fn condition_time(sim: &Simulation, kind: kubesim::api::batch::JobConditionType) -> Option<(u64, String)> {
    job(sim).status.condition(kind).map(|c| (c.last_transition_time.as_micros() / 1_000_000, c.reason.to_string()))
}

/// Reference §5.3: a default Job whose pod always fails. Replacements wait 10, 20, 40, 80,
/// 160, 320 s after each failure (the controller sees each one a second later, batched), and
/// the 7th counted failure (failed > backoffLimit 6) fails the Job.
#[test]
fn failing_job_backs_off_then_exceeds_its_backoff_limit() {
    use kubesim::api::batch::JobConditionType as C;
    let sim = run(parse(&job_scenario("", "Never", "30s", "1", "30m", "")), None);
    // Pod k fails 30 s after its creation; pod k+1 comes 10·2^(k-1) s after that failure.
    assert_eq!(created_at(&sim), [0, 40, 90, 160, 270, 460, 810]);
    let status = &job(&sim).status;
    assert_eq!((status.failed, status.succeeded, status.active), (7, 0, 0));
    // Pod 7 fails at 840 s; the batched sync at 841 s fails the Job (no pod left to stop).
    assert_eq!(condition_time(&sim, C::FailureTarget), Some((841, "BackoffLimitExceeded".into())));
    assert_eq!(condition_time(&sim, C::Failed), Some((841, "BackoffLimitExceeded".into())));
    assert!(condition_time(&sim, C::Complete).is_none());
}

/// Builds a scenario whose template has `restartPolicy: <policy>`.
fn job_scenario(spec: &str, policy: &str, duration: &str, exit_codes: &str, until: &str, extra: &str) -> String {
    scenario(spec, duration, exit_codes, until, extra).replace(
        "            spec:\n              containers",
        &format!("            spec:\n              restartPolicy: {policy}\n              containers"),
    )
}

/// completions 5, parallelism 2, pods of 10 s: 2 pods at 0 s, 2 more when the first two are
/// counted (11 s), the last at 22 s; Complete at 33 s with completionTime set.
#[test]
fn completions_and_parallelism() {
    use kubesim::api::batch::JobConditionType as C;
    let sim = run(parse(&job_scenario("completions: 5\nparallelism: 2", "Never", "10s", "0", "2m", "")), None);
    assert_eq!(created_at(&sim), [0, 0, 11, 11, 22]);
    let status = &job(&sim).status;
    assert_eq!((status.succeeded, status.failed, status.active), (5, 0, 0));
    assert_eq!(condition_time(&sim, C::Complete), Some((33, "CompletionsReached".into())));
    assert_eq!(status.completion_time.map(|t| t.as_micros() / 1_000_000), Some(33));
    assert_eq!(status.start_time.map(|t| t.as_micros()), Some(0));
    // A finished Job is never synced again: its counted pods are not kept.
    let store = sim.store();
    let id = store.job_id("default", "train").expect("job exists");
    assert_eq!(*store.job_tracking(id), kubesim::store::JobTracking::default());
}

/// While a Job runs, the pods it counted are tracked (each finished pod counted once).
#[test]
fn a_running_job_tracks_the_pods_it_counted() {
    let sim = run(parse(&job_scenario("completions: 5\nparallelism: 2", "Never", "10s", "0", "15s", "")), None);
    let store = sim.store();
    let id = store.job_id("default", "train").expect("job exists");
    assert_eq!(job(&sim).status.succeeded, 2);
    assert_eq!(store.job_tracking(id).counted.len(), 2, "the two finished pods");
}

/// A work queue (parallelism 3, no completions): the first success stops new pods; the Job
/// completes once every pod has finished.
#[test]
fn work_queue_completes_when_all_pods_are_done() {
    use kubesim::api::batch::JobConditionType as C;
    let sim = run(parse(&job_scenario("parallelism: 3", "Never", "10s", "0", "2m", "")), None);
    assert_eq!(created_at(&sim), [0, 0, 0]);
    assert_eq!(job(&sim).status.succeeded, 3);
    assert_eq!(condition_time(&sim, C::Complete), Some((11, "CompletionsReached".into())));
}

/// activeDeadlineSeconds: at 60 s the Job is doomed (FailureTarget) and its running pod is
/// deleted; once the pod is gone the next sync writes Failed.
#[test]
fn active_deadline_stops_the_job() {
    use kubesim::api::batch::JobConditionType as C;
    let sim = run(parse(&job_scenario("activeDeadlineSeconds: 60", "Never", "1h", "0", "5m", "")), None);
    assert_eq!(condition_time(&sim, C::FailureTarget), Some((60, "DeadlineExceeded".into())));
    // The pod stops at once (no shutdown time) and is gone before the next sync at 60 s (the
    // Job's status update enqueues it), which writes Failed.
    assert_eq!(condition_time(&sim, C::Failed), Some((60, "DeadlineExceeded".into())));
    let store = sim.store();
    let id = store.job_id("default", "train").unwrap();
    assert!(store.job_pods(id).iter().all(|&p| store.is_removed(p)), "the running pod was stopped");
    assert_eq!(job(&sim).status.failed, 0, "pods the controller deletes are not failures");
}

/// podFailurePolicy: exit code 42 fails the Job at the first failure (FailJob), whatever the
/// backoffLimit; an Ignore rule lets a Job with backoffLimit 0 retry a failure it matches.
#[test]
fn pod_failure_policy_fail_job_and_ignore() {
    use kubesim::api::batch::JobConditionType as C;
    let fail_job = "backoffLimit: 6\npodFailurePolicy:\n  rules:\n    - {action: FailJob, onExitCodes: {operator: In, values: [42]}}";
    let sim = run(parse(&job_scenario(fail_job, "Never", "10s", "42", "5m", "")), None);
    assert_eq!(created_at(&sim), [0]);
    assert_eq!(condition_time(&sim, C::Failed), Some((11, "PodFailurePolicy".into())));
    let message = job(&sim).status.condition(C::Failed).unwrap().message.clone();
    assert!(message.contains("exit code 42") && message.contains("FailJob"), "{message}");

    let ignore = "backoffLimit: 0\npodFailurePolicy:\n  rules:\n    - {action: Ignore, onExitCodes: {operator: In, values: [3]}}";
    let sim = run(parse(&job_scenario(ignore, "Never", "10s", "3,3,0", "5m", "")), None);
    // Ignored failures neither count nor delay: each replacement comes at the next sync.
    assert_eq!(created_at(&sim), [0, 11, 22]);
    let status = &job(&sim).status;
    assert_eq!((status.failed, status.succeeded), (0, 1));
    assert_eq!(condition_time(&sim, C::Complete), Some((33, "CompletionsReached".into())));
}

/// Indexed: one pod per index, named `<job>-<index>-<suffix>`, carrying the index; a failed
/// index is retried under the same index; completedIndexes lists them all.
#[test]
fn indexed_job_runs_each_index_once() {
    use kubesim::api::batch::labels::COMPLETION_INDEX;
    let spec = "completions: 3\nparallelism: 3\ncompletionMode: Indexed";
    // Attempts of each index: the first fails, the second succeeds.
    let sim = run(parse(&job_scenario(spec, "Never", "10s", "1,0", "5m", "")), None);
    let store = sim.store();
    let id = store.job_id("default", "train").unwrap();
    let indexes: Vec<String> =
        store.job_pods(id).iter().map(|&p| store.pod(p).meta.annotations[COMPLETION_INDEX].clone()).collect();
    assert_eq!(indexes, ["0", "1", "2", "0", "1", "2"]);
    for &p in store.job_pods(id) {
        let pod = store.pod(p);
        let index = &pod.meta.annotations[COMPLETION_INDEX];
        assert!(pod.meta.name.starts_with(&format!("train-{index}-")), "{}", pod.meta.name);
        assert_eq!(pod.meta.labels.get(COMPLETION_INDEX), Some(index));
    }
    let status = &job(&sim).status;
    assert_eq!((status.failed, status.succeeded), (3, 3));
    assert_eq!(status.completed_indexes_text(), "0-2");
    // Three failures at 10 s, counted at 11 s: the backoff (3 failures: 40 s) delays the retries.
    assert_eq!(created_at(&sim), [0, 0, 0, 50, 50, 50]);
}

/// restartPolicy OnFailure: the pod restarts in place (CrashLoopBackOff) and the Job fails when
/// the restarts reach backoffLimit.
#[test]
fn on_failure_counts_restarts_against_the_backoff_limit() {
    use kubesim::api::batch::JobConditionType as C;
    let sim = run(parse(&job_scenario("backoffLimit: 2", "OnFailure", "10s", "1", "5m", "")), None);
    // Run 1 exits at 10 s and restarts at once (restart 1); run 2 exits at 20 s and restarts
    // after 10 s of CrashLoopBackOff, at 30 s (restart 2 >= backoffLimit 2): seen at 31 s.
    assert_eq!(condition_time(&sim, C::FailureTarget), Some((31, "BackoffLimitExceeded".into())));
    assert_eq!(created_at(&sim), [0], "no replacement pod: the same pod restarts");
    assert!(condition_time(&sim, C::Failed).is_some());
}

/// A suspended Job creates nothing until resumed; activeDeadlineSeconds counts from the resume.
#[test]
fn suspend_and_resume() {
    use kubesim::api::batch::JobConditionType as C;
    let resume = r#"  events:
    - at: 30s
      apply:
          apiVersion: batch/v1
          kind: Job
          metadata: {name: train}
          spec:
            suspend: false
            template:
              metadata:
                annotations: {sim.kubesim.io/duration: 10s, sim.kubesim.io/exit-codes: "0"}
              spec:
                restartPolicy: Never
                containers: [{name: c, resources: {requests: {cpu: "1"}}}]
"#;
    let sim = run(parse(&job_scenario("suspend: true", "Never", "10s", "0", "2m", resume)), None);
    assert_eq!(created_at(&sim), [30]);
    let status = &job(&sim).status;
    let suspended = status.conditions.iter().find(|c| c.kind == C::Suspended).unwrap();
    assert_eq!((suspended.status.as_str(), suspended.reason), ("False", "JobResumed"));
    assert_eq!(status.start_time.map(|t| t.as_micros() / 1_000_000), Some(30));
    assert_eq!(condition_time(&sim, C::Complete), Some((41, "CompletionsReached".into())));
}

/// ttlSecondsAfterFinished deletes the finished Job and, by garbage collection, its pods.
#[test]
fn ttl_after_finished_deletes_the_job_and_its_pods() {
    let sim = run(parse(&job_scenario("ttlSecondsAfterFinished: 60", "Never", "10s", "0", "5m", "")), None);
    let store = sim.store();
    assert!(store.job_id("default", "train").is_none(), "deleted 60 s after completing at 11 s");
    assert_eq!(store.live_pods().count(), 0);
    let checks = r#"  checks:
    - {at: 70s, expect: "job/default/train exists == True"}
    - {at: 71s, expect: "job/default/train exists == False"}
"#;
    let sim = run(parse(&job_scenario("ttlSecondsAfterFinished: 60", "Never", "10s", "0", "5m", checks)), None);
    for r in sim.check_results() {
        assert!(r.passed, "{:?}: {}", r.text, r.actual);
    }
}

/// The API server's additions to a Job (`pkg/registry/batch/job/strategy.go`
/// `generateSelector`): the selector `batch.kubernetes.io/controller-uid=<uid>` and, on the
/// template and so on every pod, the uid and name under the four job labels (a user may
/// write one of them with the value the API server would give). kubesim derives them from
/// the uid when read; a removed pod's labels are released once its removal is dispatched.
#[test]
fn a_jobs_pods_carry_the_generated_labels() {
    use kubesim::api::batch::labels;
    let template_labels = "            metadata:\n              labels: {app: train, job-name: train}\n";
    let with_labels = |spec: &str, until: &str, extra: &str| {
        job_scenario(spec, "Never", "10s", "0", until, extra).replace(
            "            metadata:\n              annotations:",
            &format!("{template_labels}              annotations:"),
        )
    };
    let sim = run(parse(&with_labels("", "5s", "")), None);
    let store = sim.store();
    let j = job(&sim);
    let uid = j.meta.uid.to_string();
    let pods = store.job_pods(store.job_id("default", "train").expect("job exists"));
    assert_eq!(pods.len(), 1);
    let pod = store.pod(pods[0]);
    let mut got: Vec<(&str, &str)> = pod.meta.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    got.sort();
    let mut want = vec![
        ("app", "train"),
        (labels::CONTROLLER_UID, uid.as_str()),
        (labels::JOB_NAME, "train"),
        (labels::LEGACY_CONTROLLER_UID, uid.as_str()),
        (labels::LEGACY_JOB_NAME, "train"),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(j.pod_labels(), pod.meta.labels);
    assert_eq!(j.selector().to_string(), format!("{}={uid}", labels::CONTROLLER_UID));
    assert!(j.selector().matches(&pod.meta.labels));
    // Re-applying the same manifest changes nothing (the generated labels are not the user's).
    let reapply = apply_train_at_5s(
        "labels: {app: train, job-name: train}\n                annotations: {sim.kubesim.io/duration: 10s, sim.kubesim.io/exit-codes: \"0\"}",
        "1",
    );
    let sim = run(parse(&with_labels("", "1m", &reapply)), None);
    assert_eq!(crate::support::failed_actions(&sim), Vec::<String>::new());
    // Deleted by the TTL controller with its pod: the pod is archived, its row kept.
    let sim = run(parse(&with_labels("ttlSecondsAfterFinished: 0", "1m", "")), None);
    let store = sim.store();
    assert_eq!(store.pod_count(), 1);
    let removed = kubesim::store::PodId(0);
    assert!(store.is_pod_removed(removed) && store.is_archived(removed));
    let row = store.pod_entry(removed);
    assert_eq!(row.name().len(), "train-".len() + 5, "the row stays for pods.csv");
    assert_eq!((row.controller(), row.phase().as_str()), (Some((kubesim::api::meta::Kind::Job, "train")), "Succeeded"));
}

/// An `events` block that applies the Job `train` at 5 s with template `metadata` (lines
/// indented by 16) and a container requesting `cpu`.
fn apply_train_at_5s(metadata: &str, cpu: &str) -> String {
    format!(
        "  events:\n    - at: 5s\n      apply:\n          apiVersion: batch/v1\n          kind: Job\n          metadata: {{name: train}}\n          spec:\n            template:\n              metadata:\n                {metadata}\n              spec:\n                restartPolicy: Never\n                containers: [{{name: c, resources: {{requests: {{cpu: \"{cpu}\"}}}}}}]\n"
    )
}

/// Changing an immutable field of a Job is refused as the API server refuses it.
#[test]
fn job_template_is_immutable() {
    let change = apply_train_at_5s("annotations: {sim.kubesim.io/duration: 20s}", "2");
    let sim = run(parse(&job_scenario("", "Never", "10s", "0", "1m", &change)), None);
    let failures = crate::support::failed_actions(&sim);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("spec.template: field is immutable"), "{}", failures[0]);
}

/// Job names: a DNS subdomain usable as a label value (dots allowed, at most 63 characters);
/// an Indexed Job's highest pod hostname `<job>-<completions-1>` must be a DNS label.
#[test]
fn job_names_follow_the_api_servers_rules() {
    let parse = |text: &str| kubesim::scenario::Scenario::parse(text, "s.yaml", &kubesim::scenario::NoFiles);
    let with = |name: &str, spec: &str| {
        job_scenario(spec, "Never", "10s", "0", "1m", "")
            .replace("metadata: {name: train}", &format!("metadata: {{name: {name}}}"))
    };
    assert!(parse(&with("train.v2", "")).is_ok(), "dots are allowed");
    let long = "a".repeat(64);
    let err = parse(&with(&long, "")).expect_err("64 characters").to_string();
    assert!(err.contains("must be no more than 63 characters"), "{err}");
    // 61 characters: `<name>-9` is 63 (fine); `<name>-10` is 64 (not a DNS label).
    let name61 = "b".repeat(61);
    assert!(parse(&with(&name61, "completions: 10\ncompletionMode: Indexed")).is_ok());
    let err =
        parse(&with(&name61, "completions: 11\ncompletionMode: Indexed")).expect_err("hostname too long").to_string();
    assert!(err.contains("spec.completions") && err.contains("hostname"), "{err}");
}

/// Admission runs for every pod: a globalDefault PriorityClass created at 15 s gives its value
/// to the Job's next pod (created at 20 s, 10 s of backoff after the first failed at 10 s), not
/// to the first.
#[test]
fn later_pods_see_priority_class_changes() {
    let class = r#"  events:
    - at: 15s
      apply: {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: batch-default}, value: 1000, globalDefault: true}
"#;
    let sim = run(parse(&job_scenario("backoffLimit: 1", "Never", "10s", "1", "1m", class)), None);
    assert_eq!(created_at(&sim), [0, 20]);
    let store = sim.store();
    let id = store.job_id("default", "train").unwrap();
    let priorities: Vec<i32> = store.job_pods(id).iter().map(|&p| store.pod(p).spec.priority).collect();
    assert_eq!(priorities, [0, 1000]);
}

/// A workload's finished Jobs are archived once the pod garbage collector has removed their
/// pods: checks still read their status, `delete` removes one (in the background or the
/// foreground, journaled as a whole Job's), and an `apply` naming one is a failed action saying
/// why (its spec is not kept); a Job from the manifests is kept whole.
#[test]
fn archived_workload_jobs_keep_their_status_and_refuse_a_new_spec() {
    let text = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: archived-jobs}
spec:
  until: 30m
  controllerManager: {terminatedPodGCThreshold: 1}
  cluster:
    nodes:
      - {name: n1, allocatable: {cpu: "8", memory: 32Gi, pods: "110"}}
  manifests:
    - inline: {apiVersion: batch/v1, kind: Job, metadata: {name: manual}, spec: {template: {metadata: {annotations: {sim.kubesim.io/duration: 30s}}, spec: {restartPolicy: Never, containers: [{name: c, resources: {requests: {cpu: "1"}}}]}}}}
  workload:
    - name: batch
      kind: Job
      generate:
        arrivals: {every: 1m}
        count: 4
        cpu: {choice: ["1"]}
        memory: {choice: [1Gi]}
        duration: 30s
  events:
    - {at: 20m, apply: {apiVersion: batch/v1, kind: Job, metadata: {name: batch-0}, spec: {template: {spec: {restartPolicy: Never, containers: [{name: c}]}}}}}
    - {at: 21m, delete: job/default/batch-1}
    - {at: 21m, delete: {target: job/default/batch-2, propagationPolicy: Foreground}}
  checks:
    - {at: 19m, expect: "job/default/batch-0 succeeded == 1"}
    - {at: 19m, expect: "job/default/batch-0 Complete == True"}
    - {at: 19m, expect: "job/default/batch-0 reason == CompletionsReached"}
    - {at: 19m, expect: "job/default/batch-0 podsCreated == 1"}
    - {at: 22m, expect: "job/default/batch-1 exists == False"}
    - {at: 22m, expect: "job/default/batch-2 exists == False"}
    - {at: 22m, expect: "job/default/batch-0 exists == True"}
"#;
    let sim = crate::support::passes(text);
    let store = sim.store();
    let archived: Vec<&str> = store
        .job_ids()
        .filter(|&id| store.is_job_archived(id))
        .map(|id| store.job_names(id).expect("not removed").1)
        .collect();
    // batch-3's pod, the newest terminated one, is the one the pod garbage collector keeps;
    // batch-1 and batch-2 were deleted (in the background, in the foreground).
    assert_eq!(archived, ["batch-0"]);
    let journaled: Vec<String> = sim
        .journal()
        .records()
        .iter()
        .filter_map(|(_, r)| match r {
            kubesim::journal::Record::OwnerDeleting { object, .. } => Some(format!("deleting {object}")),
            kubesim::journal::Record::JobDeleted { job } => Some(format!("deleted {job}")),
            _ => None,
        })
        .collect();
    assert_eq!(journaled, ["deleted default/batch-1", "deleting default/batch-2", "deleted default/batch-2"]);
    let last = store.job_id("default", "batch-3").expect("kept");
    assert!(store.job(last).is_some_and(|j| j.status.is_finished()), "whole while its pod is left");
    let manual = store.job_id("default", "manual").expect("kept");
    assert!(store.job(manual).is_some_and(|j| j.status.is_finished()), "a manifest's Job stays whole");
    let failed = crate::support::failed_actions(&sim);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].contains("\"batch-0\"") && failed[0].contains("archived"), "{}", failed[0]);
}
