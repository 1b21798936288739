//! The CronJob controller against the reference (§6), each timeline computed by hand: Jobs at
//! each schedule time plus `nextScheduleDelta` (100 ms), the concurrency policies, the
//! starting deadline, suspension, history limits, time zones with daylight saving time, and
//! cascading deletion.
//!
//! Every scenario starts at `START`, Monday 2026-03-02 00:00 UTC, unless it says otherwise;
//! virtual time `h` is then 0`h`:00 UTC. The Job controller notices a pod's exit one second
//! later (`syncJobBatchPeriod`), so a Job whose pod runs `d` from its creation at `c` is
//! Complete at `c + d + 1 s`, which is when its CronJob sees it finish.

use std::sync::Arc;

use kubesim::engine::{RunOptions, Simulation};
use kubesim::journal::Record;
use kubesim::kernel::SimTime;

use crate::support::{parse, run};

const START: &str = "2026-03-02T00:00:00Z";

/// The CronJob `cron`: `spec` (lines indented by 2) then a jobTemplate whose Job spec has
/// `job` (lines indented by 4) and whose pods run for `duration` and exit with `exit_code`.
fn cronjob(spec: &str, job: &str, duration: &str, exit_code: &str) -> String {
    format!(
        r#"apiVersion: batch/v1
kind: CronJob
metadata: {{name: cron}}
spec:
{spec}  jobTemplate:
    metadata:
      labels: {{team: ml}}
    spec:
{job}      template:
        metadata:
          annotations: {{sim.kubesim.io/duration: {duration}, sim.kubesim.io/exit-code: "{exit_code}"}}
        spec:
          restartPolicy: Never
          containers: [{{name: c, resources: {{requests: {{cpu: "1"}}}}}}]
"#
    )
}

fn indent(text: &str, spaces: usize) -> String {
    text.lines().map(|l| format!("{:spaces$}{l}\n", "")).collect()
}

/// A scenario from `start` to `until` with one 64-cpu node, the CronJob document
/// `cronjob_yaml`, and `extra` (events, checks) appended.
fn scenario(start: &str, until: &str, cronjob_yaml: &str, extra: &str) -> String {
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: cronjob}}
spec:
  until: {until}
  startTime: {start}
  cluster:
    nodes:
      - {{name: n1, allocatable: {{cpu: "64", memory: 256Gi, pods: "110"}}}}
  manifests:
    - inline:
{}{extra}"#,
        indent(cronjob_yaml, 8)
    )
}

/// An event at `at` applying the CronJob document `cronjob_yaml`.
fn apply_at(at: &str, cronjob_yaml: &str) -> String {
    format!("    - at: {at}\n      apply:\n{}", indent(cronjob_yaml, 10))
}

/// When each Job of a CronJob was created (virtual time) and for which schedule time.
fn created(sim: &Simulation) -> Vec<(String, String)> {
    sim.journal()
        .records()
        .iter()
        .filter_map(|(t, r)| match r {
            Record::JobCreatedByCronJob { scheduled, .. } => Some((t.to_string(), scheduled.clone())),
            _ => None,
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

fn cron(sim: &Simulation) -> &kubesim::api::batch::CronJob {
    let store = sim.store();
    store.cronjob(store.cronjob_id("default", "cron").expect("cronjob exists")).expect("live")
}

/// Names of the CronJob's live Jobs, oldest first.
fn job_names(sim: &Simulation) -> Vec<String> {
    let store = sim.store();
    let id = store.cronjob_id("default", "cron").expect("cronjob exists");
    store.cronjob_jobs(id).iter().map(|&j| store.job(j).expect("live").meta.name.clone()).collect()
}

/// `cron-<minutes since 1970>` of the UTC time `hh:mm` on the start day.
fn job_of(hh_mm: &str) -> String {
    let (h, m) = hh_mm.split_once(':').unwrap();
    let minutes = 1_772_409_600 / 60 + h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap();
    format!("cron-{minutes}")
}

fn field(sim: &Simulation, name: &str) -> String {
    let r = kubesim::api::meta::ObjectRef::parse("cronjob/default/cron").unwrap();
    let target = kubesim::scenario::check::Target::Object(r);
    kubesim::metrics::field_value(sim.store(), sim.traffic(), sim.now(), &target, name)
        .map(|v| v.to_string())
        .unwrap_or_default()
}

fn all_checks_pass(sim: &Simulation) {
    let results = sim.check_results();
    assert!(!results.is_empty());
    for r in results {
        assert!(r.passed, "{:?} at {}: actual {}", r.text, r.at, r.actual);
    }
}

const HOURLY: &str = "  schedule: \"0 * * * *\"\n";

/// Created at 00:00, an hourly CronJob first runs at 01:00 (a schedule time equal to the
/// creation time is not due), each Job being created 100 ms after its schedule time, named
/// after it in minutes since 1970, annotated with it, owned by the CronJob and carrying the
/// template's labels. A 10-minute Job is Complete 10 min + 1 s after its creation.
#[test]
fn jobs_are_created_at_each_schedule_time_plus_100_ms() {
    let sim = run(parse(&scenario(START, "3h30m", &cronjob(HOURLY, "", "10m", "0"), "")), None);
    assert_eq!(
        created(&sim),
        pairs(&[
            ("1h0m0.1s", "2026-03-02T01:00:00Z"),
            ("2h0m0.1s", "2026-03-02T02:00:00Z"),
            ("3h0m0.1s", "2026-03-02T03:00:00Z"),
        ])
    );
    assert_eq!(job_names(&sim), [job_of("01:00"), job_of("02:00"), job_of("03:00")]);
    assert_eq!(job_of("01:00"), "cron-29540220");
    let store = sim.store();
    let job = store.job(store.job_id("default", "cron-29540220").unwrap()).unwrap();
    assert_eq!(job.meta.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"], "2026-03-02T01:00:00Z");
    assert_eq!(job.meta.labels["team"], "ml");
    let owner = job.meta.controller_ref().expect("owned");
    assert_eq!((owner.kind.as_str(), owner.name.as_str(), owner.uid), ("CronJob", "cron", cron(&sim).meta.uid));
    // The API server stamps the creation time: the sync's, 100 ms after the schedule time.
    assert_eq!(job.meta.creation_timestamp, SimTime::from_micros(3_600_100_000));
    assert_eq!(job.status.completion_time, Some(SimTime::from_micros(4_201_100_000)));
    assert_eq!(field(&sim, "lastScheduleTime"), "2026-03-02T03:00:00Z");
    // The last Job: 3h0m0.1s + 10 min + 1 s, in whole seconds.
    assert_eq!(field(&sim, "lastSuccessfulTime"), "2026-03-02T03:10:01Z");
    assert_eq!(
        (field(&sim, "active"), field(&sim, "jobs"), field(&sim, "jobsCreated")),
        ("0".into(), "3".into(), "3".into())
    );
    assert_eq!(field(&sim, "suspended"), "False");
}

/// The same timeline through checks, at the instants that tell it apart.
#[test]
fn checks_see_the_cronjob() {
    let checks = r#"  checks:
    - {at: 1h, expect: "cronjob/default/cron jobsCreated == 0"}
    - {at: 1h, expect: "cronjob/default/cron lastScheduleTime == <none>"}
    - {at: 1h0m0.1s, expect: "cj/cron jobsCreated == 1"}
    - {at: 1h0m0.1s, expect: "cronjob/default/cron active == 1"}
    - {at: 1h0m0.1s, expect: "cronjob/default/cron lastScheduleTime == 2026-03-02T01:00:00Z"}
    - {at: 1h10m1s, expect: "cronjob/default/cron active == 1"}
    - {at: 1h10m1.1s, expect: "cronjob/default/cron active == 0"}
    - {at: 1h10m1.1s, expect: "cronjob/default/cron lastSuccessfulTime == 2026-03-02T01:10:01Z"}
    - {at: 1h10m1.1s, expect: "job/default/cron-29540220 Complete == True"}
"#;
    all_checks_pass(&run(parse(&scenario(START, "1h30m", &cronjob(HOURLY, "", "10m", "0"), checks)), None));
}

/// Forbid, Jobs of 90 min: the 02:00 run is skipped while the 01:00 Job runs, and starts late
/// when it completes (2h30m1.1s), lastScheduleTime having stayed at 01:00. At 03:00 that Job
/// is active, so 03:00 is skipped; at 04:00 too (it ends at 4h0m1.1s). When it completes
/// (4h0m2.1s) the most recent missed time is 04:00: that one starts, 03:00 is lost.
#[test]
fn forbid_skips_and_starts_late_when_the_active_job_ends() {
    let spec = format!("{HOURLY}  concurrencyPolicy: Forbid\n");
    let sim = run(parse(&scenario(START, "4h30m", &cronjob(&spec, "", "90m", "0"), "")), None);
    assert_eq!(
        created(&sim),
        pairs(&[
            ("1h0m0.1s", "2026-03-02T01:00:00Z"),
            ("2h30m1.1s", "2026-03-02T02:00:00Z"),
            ("4h0m2.1s", "2026-03-02T04:00:00Z"),
        ])
    );
    assert_eq!(job_names(&sim), [job_of("01:00"), job_of("02:00"), job_of("04:00")]);
    let narrative: Vec<&str> = sim.journal().narrative().iter().map(|(_, l)| l.as_str()).collect();
    let skip = format!(
        "cronjob default/cron skips 2026-03-02T02:00:00Z (Forbid: job default/{} still active)",
        job_of("01:00")
    );
    assert!(narrative.contains(&skip.as_str()), "{narrative:#?}");
    assert!(
        narrative.iter().any(|l| l.ends_with("for 2026-03-02T02:00:00Z, 30m1.1s late")),
        "the late start is told: {narrative:#?}"
    );
}

/// Replace: at 02:00 the running 01:00 Job is deleted (background propagation: its pod is
/// garbage-collected) and the 02:00 Job created in the same instant.
#[test]
fn replace_deletes_the_running_job() {
    let spec = format!("{HOURLY}  concurrencyPolicy: Replace\n");
    let checks = r#"  checks:
    - {at: 2h0m0.1s, expect: "job/default/cron-29540220 exists == False"}
    - {at: 2h0m0.1s, expect: "cronjob/default/cron active == 1"}
    - {at: 2h0m0.1s, expect: "cluster podsRunning == 1"}
"#;
    let sim = run(parse(&scenario(START, "2h30m", &cronjob(&spec, "", "90m", "0"), checks)), None);
    all_checks_pass(&sim);
    assert_eq!(created(&sim), pairs(&[("1h0m0.1s", "2026-03-02T01:00:00Z"), ("2h0m0.1s", "2026-03-02T02:00:00Z")]));
    assert_eq!(job_names(&sim), [job_of("02:00")]);
    let store = sim.store();
    let first = store.pod_entries().find(|p| p.name().starts_with(&format!("{}-", job_of("01:00")))).unwrap();
    assert_eq!(first.reason(), "GarbageCollected");
    assert_eq!(first.finished_at(), Some(SimTime::from_micros(7_200_100_000)));
    assert_eq!(cron(&sim).status.active.len(), 1);
}

/// Allow (the default): the 02:00 Job runs beside the 01:00 one until that one completes at
/// 2h30m1.1s.
#[test]
fn allow_runs_two_jobs_at_once() {
    let checks = r#"  checks:
    - {at: 2h0m0.1s, expect: "cronjob/default/cron active == 2"}
    - {from: 2h0m0.1s, to: 2h30m, expect: "cluster podsRunning == 2"}
    - {at: 2h30m1.1s, expect: "cronjob/default/cron active == 1"}
"#;
    let sim = run(parse(&scenario(START, "2h40m", &cronjob(HOURLY, "", "90m", "0"), checks)), None);
    all_checks_pass(&sim);
    assert_eq!(created(&sim).len(), 2);
}

/// startingDeadlineSeconds 600 with Forbid: the 02:00 run is skipped while the 01:00 Job runs
/// (to 2h30m1.1s); by then 02:00 is more than 10 minutes ago, so it is dropped, and the next
/// Job is the 03:00 one, on time.
#[test]
fn starting_deadline_drops_a_run_that_is_too_late() {
    let spec = format!("{HOURLY}  concurrencyPolicy: Forbid\n  startingDeadlineSeconds: 600\n");
    let sim = run(parse(&scenario(START, "3h10m", &cronjob(&spec, "", "90m", "0"), "")), None);
    assert_eq!(created(&sim), pairs(&[("1h0m0.1s", "2026-03-02T01:00:00Z"), ("3h0m0.1s", "2026-03-02T03:00:00Z")]));
    // With a deadline of an hour the same run starts late instead.
    let spec = format!("{HOURLY}  concurrencyPolicy: Forbid\n  startingDeadlineSeconds: 3600\n");
    let sim = run(parse(&scenario(START, "2h40m", &cronjob(&spec, "", "90m", "0"), "")), None);
    assert_eq!(created(&sim), pairs(&[("1h0m0.1s", "2026-03-02T01:00:00Z"), ("2h30m1.1s", "2026-03-02T02:00:00Z")]));
}

/// Suspended at 1h30m (after the 01:00 run) and resumed at 4h30m: the resume syncs at once and
/// catches up only the most recent missed time, 04:00; 02:00 and 03:00 are dropped. Then 05:00
/// runs on time.
#[test]
fn suspend_then_resume_catches_up_at_most_one_missed_run() {
    let suspended = cronjob(&format!("{HOURLY}  suspend: true\n"), "", "10m", "0");
    let resumed = cronjob(HOURLY, "", "10m", "0");
    let events = format!("  events:\n{}{}", apply_at("1h30m", &suspended), apply_at("4h30m", &resumed));
    let checks = "  checks:\n    - {at: 4h, expect: \"cronjob/default/cron suspended == True\"}\n";
    let sim = run(parse(&scenario(START, "5h30m", &resumed, &format!("{events}{checks}"))), None);
    all_checks_pass(&sim);
    assert_eq!(
        created(&sim),
        pairs(&[
            ("1h0m0.1s", "2026-03-02T01:00:00Z"),
            ("4h30m", "2026-03-02T04:00:00Z"),
            ("5h0m0.1s", "2026-03-02T05:00:00Z"),
        ])
    );
}

/// More than 100 missed times: a CronJob running every minute, suspended from its creation and
/// resumed at 3h, has missed 180 times (00:01 to 03:00); it warns and creates one Job, for
/// 03:00.
#[test]
fn too_many_missed_times_warn_and_create_one_job() {
    let every_minute = "  schedule: \"* * * * *\"\n";
    let suspended = cronjob(&format!("{every_minute}  suspend: true\n"), "", "10s", "0");
    let resumed = cronjob(every_minute, "", "10s", "0");
    let events = format!("  events:\n{}", apply_at("3h", &resumed));
    let sim = run(parse(&scenario(START, "3h0m30s", &suspended, &events)), None);
    assert_eq!(created(&sim), pairs(&[("3h", "2026-03-02T03:00:00Z")]));
    let narrative: Vec<&str> = sim.journal().narrative().iter().map(|(_, l)| l.as_str()).collect();
    assert!(narrative.iter().any(|l| l.starts_with("cronjob default/cron missed 180 start times")), "{narrative:#?}");
}

/// History limits: every 10 minutes, Jobs of 1 minute, successfulJobsHistoryLimit 2. When the
/// third Job completes (31m1.1s) the first is deleted with its pod; at 41m1.1s the second.
#[test]
fn history_limits_delete_the_oldest_finished_jobs_and_their_pods() {
    let spec = "  schedule: \"*/10 * * * *\"\n  successfulJobsHistoryLimit: 2\n";
    let checks = r#"  checks:
    - {at: 31m1s, expect: "cronjob/default/cron jobs == 3"}
    - {at: 31m1.1s, expect: "cronjob/default/cron jobs == 2"}
    - {at: 31m1.1s, expect: "job/default/cron-29540170 exists == False"}
    - {at: 41m1.1s, expect: "job/default/cron-29540180 exists == False"}
"#;
    let sim = run(parse(&scenario(START, "45m", &cronjob(spec, "", "1m", "0"), checks)), None);
    all_checks_pass(&sim);
    assert_eq!(job_names(&sim), [job_of("00:30"), job_of("00:40")]);
    assert_eq!(field(&sim, "jobsCreated"), "4");
    let store = sim.store();
    let live: Vec<&str> = store.live_pods().map(|p| store.pod(p).meta.name.as_str()).collect();
    assert_eq!(live.len(), 2, "{live:?}");
    assert!(live.iter().all(|n| n.starts_with(&job_of("00:30")) || n.starts_with(&job_of("00:40"))), "{live:?}");

    // Failed Jobs: one kept by default. Each Job's pod fails at once (backoffLimit 0): the
    // first Job is deleted when the second fails, at 20m0.1s + 1 min + 1 s.
    let checks = r#"  checks:
    - {at: 21m1s, expect: "job/default/cron-29540170 Failed == True"}
    - {at: 21m1.1s, expect: "job/default/cron-29540170 exists == False"}
    - {at: 21m1.1s, expect: "job/default/cron-29540180 Failed == True"}
"#;
    let failing = cronjob("  schedule: \"*/10 * * * *\"\n", "      backoffLimit: 0\n", "1m", "1");
    let sim = run(parse(&scenario(START, "25m", &failing, checks)), None);
    all_checks_pass(&sim);
    assert_eq!(job_names(&sim), [job_of("00:20")]);
    assert_eq!(field(&sim, "lastSuccessfulTime"), "<none>");
}

/// 02:30 in America/New_York across the spring-forward day (Sunday 2026-03-08, when 02:00 EST
/// becomes 03:00 EDT): 02:30 does not exist that day, so there is no run; the day before it is
/// 07:30 UTC, the days after 06:30 UTC. The run starts Friday 12:00 UTC.
#[test]
fn a_schedule_in_the_spring_forward_gap_skips_that_day() {
    let spec = "  schedule: \"30 2 * * *\"\n  timeZone: America/New_York\n";
    let sim = run(parse(&scenario("2026-03-06T12:00:00Z", "4d", &cronjob(spec, "", "10m", "0"), "")), None);
    assert_eq!(
        created(&sim),
        pairs(&[
            // Saturday 07:30 UTC = 19h30m after the start.
            ("19h30m0.1s", "2026-03-07T02:30:00-05:00"),
            // Monday 06:30 UTC = 2 days 18h30m after the start.
            ("66h30m0.1s", "2026-03-09T02:30:00-04:00"),
            ("90h30m0.1s", "2026-03-10T02:30:00-04:00"),
        ])
    );
}

/// Deleting the CronJob (background propagation) deletes its Jobs and, in turn, their pods;
/// no Job is created afterwards.
#[test]
fn deleting_the_cronjob_deletes_its_jobs_and_their_pods() {
    let extra = r#"  events:
    - {at: 2h10m, delete: cronjob/default/cron}
  checks:
    - {at: 2h9m, expect: "cluster podsRunning == 2"}
    - {at: 2h10m, expect: "cronjob/default/cron exists == False"}
    - {at: 2h10m, expect: "job/default/cron-29540220 exists == False"}
    - {at: 2h10m, expect: "job/default/cron-29540280 exists == False"}
    - {at: 2h10m, expect: "cluster podsRunning == 0"}
"#;
    let sim = run(parse(&scenario(START, "3h30m", &cronjob(HOURLY, "", "90m", "0"), extra)), None);
    all_checks_pass(&sim);
    assert_eq!(created(&sim).len(), 2);
    assert_eq!(sim.store().live_pods().count(), 0);
    assert!(sim.store().job_ids().next().is_none());
}

/// Changing the schedule (apply) requeues the CronJob for the new schedule's next time rather
/// than syncing at once: "0 * * * *" becomes "45 * * * *" at 30m, so the first Job is the
/// 00:45 one, and the old requeue at 1h0m0.1s does nothing.
#[test]
fn a_new_schedule_takes_effect_at_its_next_time() {
    let quarter_to = cronjob("  schedule: \"45 * * * *\"\n", "", "1m", "0");
    let events = format!("  events:\n{}", apply_at("30m", &quarter_to));
    let sim = run(parse(&scenario(START, "2h", &cronjob(HOURLY, "", "1m", "0"), &events)), None);
    assert_eq!(created(&sim), pairs(&[("45m0.1s", "2026-03-02T00:45:00Z"), ("1h45m0.1s", "2026-03-02T01:45:00Z")]));
}

/// The default start time is 2026-01-01T00:00:00Z, and the CronJob's schedule reads it.
#[test]
fn the_default_start_time_is_new_year_2026() {
    let text =
        scenario(START, "2h", &cronjob(HOURLY, "", "1m", "0"), "").replace(&format!("  startTime: {START}\n"), "");
    let sim = run(parse(&text), None);
    assert_eq!(created(&sim)[0], ("1h0m0.1s".to_string(), "2026-01-01T01:00:00Z".to_string()));
}

/// The shipped example passes its own checks whatever the seed.
#[test]
fn daily_retraining_passes_for_seeds_1_to_20() {
    let scenario = crate::support::load(&crate::support::root().join("scenarios/daily-retraining-cronjob.yaml"));
    for seed in 1..=20 {
        let mut sim = Simulation::new(Arc::new(scenario.clone()), Some(seed), None, RunOptions::default());
        sim.run().unwrap();
        for r in sim.check_results() {
            assert!(r.passed, "seed {seed}: {:?} failed at {} (actual: {})", r.text, r.at, r.actual);
        }
    }
}
