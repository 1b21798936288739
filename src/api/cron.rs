//! CronJob schedules exactly as Kubernetes v1.34 accepts and evaluates them: the
//! `spec.schedule` grammar of `github.com/robfig/cron/v3` (v3.0.1, `ParseStandard`), the API
//! server's schedule and `spec.timeZone` validation (`pkg/apis/batch/validation`:
//! `validateScheduleFormat`, `validateTimeZone`), robfig's `Next`, and the CronJob
//! controller's time arithmetic (`pkg/controller/cronjob/utils.go`: `mostRecentScheduleTime`,
//! `nextScheduleTimeDuration`; `cronjob_controllerv2.go`: `getJobName`, the
//! `batch.kubernetes.io/cronjob-scheduled-timestamp` annotation). `docs/cron.md` is the user's
//! summary.
//!
//! Everything here is a pure function of its arguments: times are Unix seconds (UTC) as `i64`,
//! the requeue delay is in milliseconds, there is no clock, no I/O and no randomness.
//!
//! # Grammar (robfig `ParseStandard`)
//!
//! Five whitespace-separated fields, `minute hour day-of-month month day-of-week`, with bounds
//! 0-59, 0-23, 1-31, 1-12 and 0-6 (Sunday is 0; 7 is rejected). A field is a comma-separated
//! list (empty items are skipped) of `*` or `?` (the whole range, and the "star bit"), `N`,
//! `N-M`, each optionally followed by `/step`; `N/step` means `N-max/step`. Month and weekday
//! accept the three-letter names `jan`..`dec` and `sun`..`sat` in any case. Descriptors, which
//! must be the whole string: `@yearly` / `@annually`, `@monthly`, `@weekly`, `@daily` /
//! `@midnight`, `@hourly`, and `@every <Go duration>`.
//!
//! The day rule is robfig's `dayMatches`: when the day-of-month or the day-of-week field
//! carries the star bit (it starts with `*` or `?` and has no step above 1), a day must match
//! both fields; otherwise it must match either. So `0 0 13 * FRI` runs on every 13th and on
//! every Friday, `0 0 1-31 * MON` runs every day, and `0 0 */2 * MON` runs on odd days and
//! Mondays (a step above 1 drops the star bit).
//!
//! # Evaluation
//!
//! [`CronSchedule::next_after`] is robfig's `SpecSchedule.Next` step by step, including its
//! use of Go's `time.Date` normalisation in the schedule's zone: a wall-clock time inside a
//! spring-forward gap is skipped (a `30 2 * * *` job does not run on the day 02:00-03:00 does
//! not exist), and a wall-clock time that occurs twice in a fall-back overlap runs **twice**
//! (robfig's own test "1am nightly job (runs twice)"). If nothing matches within the year of
//! the start plus five, there is no next time (robfig returns the zero time). `@every d` is
//! `previous + d`, with `d` truncated to whole seconds and at least one second, in absolute
//! time.
//!
//! # Kubernetes validation
//!
//! An empty schedule is required; a schedule containing `TZ` anywhere is rejected ("cannot use
//! TZ or CRON_TZ in schedule, use timeZone field instead"), so robfig's `TZ=`/`CRON_TZ=`
//! prefixes are never parsed. `spec.timeZone` must be absent or a non-empty IANA name made of
//! `/`-separated parts of 1 to 14 characters from `[A-Za-z.\-_0-9+]`, not `Local`, and known to
//! the time zone database; names are case-sensitive as with Go's `time.LoadLocation` on Linux.
//! An absent time zone is the controller's local zone, which kubesim defines as UTC.
//!
//! # Choices
//!
//! The cron grammar is written here rather than taken from a crate: the exact error texts, the
//! star-bit rule (including `*/2` clearing it and `*-5` meaning `*`), `?` in every field,
//! `@every` with Go duration syntax and its one-second floor, and `Next`'s field-by-field walk
//! with Go's wall-clock normalisation are what Kubernetes observably does, and none of the cron
//! crates reproduces them with a thin shim. Time-zone offsets come from `jiff` with its bundled
//! IANA database (never the machine's `/usr/share/zoneinfo`, so every machine agrees); the
//! calendar arithmetic around them (Go's `time.Date` with overflowing fields and its choice
//! of offset for non-existent or repeated wall times) is the few lines below, because no crate
//! exposes Go's choice.
//!
//! Deliberate differences from Kubernetes, all in cases that need absurd inputs: times outside
//! the years 1 to 9990 have no next time; a schedule whose first or second next time does not
//! exist (February 30, or a February 29 job in 2097-2104) is "invalid" rather than fed to Go's
//! zero-time arithmetic, whose `for` loop can then spin forever; differences are computed
//! exactly instead of saturating at Go's 292-year `time.Duration`; and a schedule containing
//! `TZ` is rejected with one message where the API server could also report robfig's parse
//! error (or, for `TZ=UTC` with nothing after it, panic).

use std::fmt;

use jiff::Timestamp;
use jiff::tz::{TimeZone, TimeZoneDatabase};

/// The annotation the CronJob controller puts on each Job it creates: the scheduled time in
/// RFC 3339, in the CronJob's time zone ([`CronSchedule::scheduled_timestamp`]).
pub const SCHEDULED_TIMESTAMP_ANNOTATION: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";

/// `nextScheduleDelta`: the controller wakes up this long after a schedule time, to absorb
/// clock skew.
pub const NEXT_SCHEDULE_DELTA_MILLIS: i64 = 100;

/// More missed schedule times than this is Kubernetes' `TooManyMissedTimes` warning.
pub const MANY_MISSED_THRESHOLD: i64 = 100;

/// The first instant [`CronSchedule::next_after`] accepts: 0001-01-01T00:00:00Z.
pub const MIN_UNIX_SECS: i64 = days_from_civil(1, 1, 1) * SECS_PER_DAY;

/// The last instant [`CronSchedule::next_after`] accepts: 9990-01-01T00:00:00Z, so that a
/// five-year search stays inside the time zone database's range.
pub const MAX_UNIX_SECS: i64 = days_from_civil(9990, 1, 1) * SECS_PER_DAY;

const SECS_PER_DAY: i64 = 86_400;

/// A validated `spec.schedule` in its `spec.timeZone`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronSchedule {
    schedule: String,
    time_zone: Option<String>,
    zone: TimeZone,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Fields(Fields),
    /// `@every`: the delay in whole seconds, at least 1.
    Every {
        delay_secs: i64,
    },
}

/// The bit sets of a five-field schedule (or of a descriptor other than `@every`). Bit `n` set
/// means value `n` matches; [`STAR_BIT`] records a `*` / `?` without a step above 1. The
/// seconds field of the standard parser is always `{0}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fields {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
}

const STAR_BIT: u64 = 1 << 63;

/// The result of [`CronSchedule::most_recent`], as `mostRecentScheduleTime` returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MostRecent {
    /// The latest schedule time at or before `now` that Kubernetes finds, if any: the one Job
    /// to create. Older missed times are dropped.
    pub time: Option<i64>,
    /// Kubernetes' estimate of how many schedule times passed.
    pub missed: Missed,
}

/// `missedSchedulesType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missed {
    /// At most one schedule time passed since `earliest` (Kubernetes' `noneMissed`, which it
    /// also reports when exactly one is due).
    None,
    /// Two to [`MANY_MISSED_THRESHOLD`] passed (estimated).
    Few,
    /// More than [`MANY_MISSED_THRESHOLD`] passed, this many by Kubernetes' estimate: the
    /// controller records the warning event `TooManyMissedTimes` ("too many missed start
    /// times: N. Set or decrease .spec.startingDeadlineSeconds or check clock skew").
    Many(i64),
}

/// A rejected `spec.schedule` or `spec.timeZone`, in Kubernetes' words, with a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronError {
    /// `spec.schedule` or `spec.timeZone`.
    pub field: &'static str,
    /// The rejected value; `None` when a required value is missing.
    pub value: Option<String>,
    /// What is wrong: the API server's message, or robfig/cron's parse error.
    pub detail: String,
    /// How to fix it, when we can tell.
    pub hint: Option<String>,
}

impl fmt::Display for CronError {
    /// `spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61
    /// (minutes are 0-59)`, as `field.Invalid` prints it, plus the hint.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "{}: Invalid value: {}: {}", self.field, go_quote(value), self.detail)?,
            None => write!(f, "{}: Required value", self.field)?,
        }
        match &self.hint {
            Some(hint) => write!(f, " ({hint})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for CronError {}

impl CronSchedule {
    /// Validates and parses a CronJob's `spec.schedule` and `spec.timeZone` as the API server
    /// and the CronJob controller do. `time_zone: None` is the controller's local zone (UTC).
    /// Never panics.
    pub fn parse(schedule: &str, time_zone: Option<&str>) -> Result<CronSchedule, CronError> {
        let schedule_error = |detail: String, hint: Option<String>| CronError {
            field: "spec.schedule",
            value: Some(schedule.to_string()),
            detail,
            hint,
        };
        if schedule.is_empty() {
            return Err(CronError {
                field: "spec.schedule",
                value: None,
                detail: String::new(),
                hint: Some("write five fields such as \"0 * * * *\", or a descriptor such as @daily".to_string()),
            });
        }
        if schedule.contains("TZ") {
            return Err(schedule_error(
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead".to_string(),
                Some("move the zone name to spec.timeZone".to_string()),
            ));
        }
        let kind = parse_standard(schedule).map_err(|e| schedule_error(e.detail, e.hint))?;
        let zone = load_time_zone(time_zone)?;
        Ok(CronSchedule { schedule: schedule.to_string(), time_zone: time_zone.map(str::to_string), zone, kind })
    }

    /// The schedule as written.
    pub fn schedule(&self) -> &str {
        &self.schedule
    }

    /// `spec.timeZone`, if set.
    pub fn time_zone(&self) -> Option<&str> {
        self.time_zone.as_deref()
    }

    /// The first schedule time strictly after `unix_secs` (robfig `Next`), or `None` if there
    /// is none within five years (or `unix_secs` is outside
    /// [`MIN_UNIX_SECS`]..=[`MAX_UNIX_SECS`]).
    pub fn next_after(&self, unix_secs: i64) -> Option<i64> {
        if !(MIN_UNIX_SECS..=MAX_UNIX_SECS).contains(&unix_secs) {
            return None;
        }
        match self.kind {
            Kind::Fields(fields) => fields.next(&GoClock { zone: &self.zone }, unix_secs),
            Kind::Every { delay_secs } => unix_secs.checked_add(delay_secs),
        }
    }

    /// `mostRecentScheduleTime`: the latest schedule time in `(earliest, now]`, where
    /// `earliest` is `status.lastScheduleTime`, or the CronJob's `creationTimestamp` if it never
    /// ran. With `starting_deadline_secs` (`spec.startingDeadlineSeconds`), `earliest` is
    /// raised to `now - deadline`, so a time older than the deadline is never returned (the
    /// controller's `nextScheduleTime`); pass `None` for the requeue computation.
    ///
    /// Only whole seconds of `now` matter: Kubernetes' answer is the same for every `now` in
    /// `[now_unix_secs, now_unix_secs + 1)`.
    ///
    /// Like Kubernetes, this finds the result by estimating the number of missed times from
    /// the gap between the first two, so for an irregular schedule (`30 6-16/4 * * 1-5`) after
    /// a long gap it can report missed times but no time to run.
    ///
    /// Errors when the schedule has no first or second time after `earliest` (February 30):
    /// the controller's `InvalidSchedule` event, after which it stops requeueing the CronJob.
    pub fn most_recent(
        &self,
        earliest_unix_secs: i64,
        now_unix_secs: i64,
        starting_deadline_secs: Option<i64>,
    ) -> Result<MostRecent, CronError> {
        let now = now_unix_secs;
        let mut earliest = earliest_unix_secs;
        if let Some(deadline) = starting_deadline_secs {
            // The controller is not going to schedule anything below this point.
            earliest = earliest.max(now.saturating_sub(deadline));
        }
        let Some(t1) = self.next_after(earliest) else { return Err(self.never_twice_error()) };
        if now < t1 {
            return Ok(MostRecent { time: None, missed: Missed::None });
        }
        let Some(t2) = self.next_after(t1) else { return Err(self.never_twice_error()) };
        if now < t2 {
            return Ok(MostRecent { time: Some(t1), missed: Missed::None });
        }
        // Kubernetes' estimate: as many times as fit between t1 and now at the t1 → t2 spacing;
        // then scan forward from two spacings before the estimated last one.
        let between = t2 - t1;
        let missed_count = (now - t1) / between + 1;
        let potential_earliest = t1 + (missed_count - 2) * between;
        let mut time = None;
        let mut t = self.next_after(potential_earliest);
        while let Some(candidate) = t.filter(|&c| c <= now) {
            time = Some(candidate);
            t = self.next_after(candidate);
        }
        let missed = if missed_count > MANY_MISSED_THRESHOLD { Missed::Many(missed_count) } else { Missed::Few };
        Ok(MostRecent { time, missed })
    }

    /// `nextScheduleTimeDuration`: how long the controller waits before syncing the CronJob
    /// again, in milliseconds: the next schedule time after the most recent one (or after
    /// `earliest` if none passed, or after `now` if some passed but none was found or the
    /// schedule is invalid), plus [`NEXT_SCHEDULE_DELTA_MILLIS`], minus `now`. `earliest` is
    /// `status.lastScheduleTime` as just updated, or the creation time. `None`: there is no
    /// next time, so no requeue.
    pub fn next_schedule_delay_millis(&self, earliest_unix_secs: i64, now_unix_millis: i64) -> Option<i64> {
        let now_secs = now_unix_millis.div_euclid(1000);
        let base = match self.most_recent(earliest_unix_secs, now_secs, None) {
            Ok(MostRecent { time: Some(time), .. }) => time,
            Ok(MostRecent { time: None, missed: Missed::None }) => earliest_unix_secs,
            Ok(MostRecent { time: None, .. }) | Err(_) => now_secs,
        };
        let next = self.next_after(base)?;
        next.checked_mul(1000)?.checked_add(NEXT_SCHEDULE_DELTA_MILLIS)?.checked_sub(now_unix_millis)
    }

    /// The value of [`SCHEDULED_TIMESTAMP_ANNOTATION`]: the scheduled time formatted as Go's
    /// `time.RFC3339` in the CronJob's time zone (UTC when unset): `2024-07-01T08:00:00+02:00`,
    /// or `...Z` for a zero offset.
    pub fn scheduled_timestamp(&self, scheduled_unix_secs: i64) -> String {
        let clock = GoClock { zone: &self.zone };
        let c = clock.civil(scheduled_unix_secs);
        let year = if c.year < 0 { format!("-{:04}", -c.year) } else { format!("{:04}", c.year) };
        let mut out = format!("{year}-{:02}-{:02}T{:02}:{:02}:{:02}", c.month, c.day, c.hour, c.minute, c.second);
        let offset = clock.offset(scheduled_unix_secs);
        if offset == 0 {
            out.push('Z');
        } else {
            // Go prints whole minutes of the offset, truncated toward zero.
            let minutes = offset / 60;
            let sign = if minutes < 0 { '-' } else { '+' };
            out.push_str(&format!("{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60));
        }
        out
    }

    fn never_twice_error(&self) -> CronError {
        CronError {
            field: "spec.schedule",
            value: Some(self.schedule.clone()),
            detail: "time difference between two schedules is less than 1 second".to_string(),
            hint: Some("the schedule does not run twice within five years, e.g. it names February 30".to_string()),
        }
    }
}

/// `getJobName`: the name of the Job created for a schedule time, `<cronjob>-<minutes since
/// the epoch>`; deterministic, so that a repeated create fails with AlreadyExists.
pub fn job_name(cronjob_name: &str, scheduled_unix_secs: i64) -> String {
    format!("{cronjob_name}-{}", scheduled_unix_secs / 60)
}

// ---------------------------------------------------------------------------------------------
// robfig/cron v3.0.1 `ParseStandard` (minus the TZ= prefix, which validation rejects first).

/// A parse error: robfig's message and our hint.
struct ParseError {
    detail: String,
    hint: Option<String>,
}

/// One field's bounds, names and hint.
struct Bounds {
    min: u64,
    max: u64,
    names: &'static [(&'static str, u64)],
    hint: &'static str,
}

const MINUTES: Bounds = Bounds { min: 0, max: 59, names: &[], hint: "minutes are 0-59" };
const HOURS: Bounds = Bounds { min: 0, max: 23, names: &[], hint: "hours are 0-23" };
const DAYS_OF_MONTH: Bounds = Bounds { min: 1, max: 31, names: &[], hint: "days of the month are 1-31" };
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
    hint: "months are 1-12 or JAN-DEC",
};
const DAYS_OF_WEEK: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[("sun", 0), ("mon", 1), ("tue", 2), ("wed", 3), ("thu", 4), ("fri", 5), ("sat", 6)],
    hint: "days of the week are 0-6 or SUN-SAT; Sunday is 0 and 7 is not accepted",
};

const DESCRIPTORS: [&str; 8] =
    ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "@every"];

fn parse_standard(spec: &str) -> Result<Kind, ParseError> {
    if spec.starts_with('@') {
        return parse_descriptor(spec);
    }
    // Go's strings.Fields and Rust's split_whitespace both split on Unicode White_Space.
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(ParseError {
            detail: format!("expected exactly 5 fields, found {}: [{}]", fields.len(), fields.join(" ")),
            hint: Some(
                "a schedule is five fields, minute hour day-of-month month day-of-week, or a descriptor such as \
                 @hourly, @daily or @every 1h"
                    .to_string(),
            ),
        });
    }
    let field = |text: &str, bounds: &Bounds| {
        get_field(text, bounds).map_err(|detail| ParseError { detail, hint: Some(bounds.hint.to_string()) })
    };
    Ok(Kind::Fields(Fields {
        minute: field(fields[0], &MINUTES)?,
        hour: field(fields[1], &HOURS)?,
        dom: field(fields[2], &DAYS_OF_MONTH)?,
        month: field(fields[3], &MONTHS)?,
        dow: field(fields[4], &DAYS_OF_WEEK)?,
    }))
}

fn parse_descriptor(spec: &str) -> Result<Kind, ParseError> {
    let all = |b: &Bounds| get_bits(b.min, b.max, 1) | STAR_BIT;
    let first = |b: &Bounds| 1u64 << b.min;
    let fields = match spec {
        "@yearly" | "@annually" => Some(Fields {
            minute: first(&MINUTES),
            hour: first(&HOURS),
            dom: first(&DAYS_OF_MONTH),
            month: first(&MONTHS),
            dow: all(&DAYS_OF_WEEK),
        }),
        "@monthly" => Some(Fields {
            minute: first(&MINUTES),
            hour: first(&HOURS),
            dom: first(&DAYS_OF_MONTH),
            month: all(&MONTHS),
            dow: all(&DAYS_OF_WEEK),
        }),
        "@weekly" => Some(Fields {
            minute: first(&MINUTES),
            hour: first(&HOURS),
            dom: all(&DAYS_OF_MONTH),
            month: all(&MONTHS),
            dow: first(&DAYS_OF_WEEK),
        }),
        "@daily" | "@midnight" => Some(Fields {
            minute: first(&MINUTES),
            hour: first(&HOURS),
            dom: all(&DAYS_OF_MONTH),
            month: all(&MONTHS),
            dow: all(&DAYS_OF_WEEK),
        }),
        "@hourly" => Some(Fields {
            minute: first(&MINUTES),
            hour: all(&HOURS),
            dom: all(&DAYS_OF_MONTH),
            month: all(&MONTHS),
            dow: all(&DAYS_OF_WEEK),
        }),
        _ => None,
    };
    if let Some(fields) = fields {
        return Ok(Kind::Fields(fields));
    }
    if let Some(duration) = spec.strip_prefix("@every ") {
        return match parse_go_duration(duration) {
            // `Every`: below one second becomes one second; the rest is truncated to seconds.
            Ok(nanos) => Ok(Kind::Every { delay_secs: nanos.max(1_000_000_000) / 1_000_000_000 }),
            Err(e) => Err(ParseError {
                detail: format!("failed to parse duration {spec}: {e}"),
                hint: Some("a Go duration such as 90m, 1h30m or 45s (units ns, us, ms, s, m, h)".to_string()),
            }),
        };
    }
    let suggestion = crate::suggest::closest(spec, DESCRIPTORS);
    Err(ParseError {
        detail: format!("unrecognized descriptor: {spec}"),
        hint: Some(match suggestion {
            Some(d) => format!("did you mean {d:?}?"),
            None => "descriptors are @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly and \
                     @every <duration>"
                .to_string(),
        }),
    })
}

/// `getField`: the union of the comma-separated ranges; empty items are skipped.
fn get_field(field: &str, bounds: &Bounds) -> Result<u64, String> {
    let mut bits = 0;
    for expr in field.split(',').filter(|e| !e.is_empty()) {
        bits |= get_range(expr, bounds)?;
    }
    Ok(bits)
}

/// `getRange`: `*`, `?`, `N` or `N-M`, optionally `/step`.
fn get_range(expr: &str, bounds: &Bounds) -> Result<u64, String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end, mut extra) = if low_and_high[0] == "*" || low_and_high[0] == "?" {
        // Anything after "*-" is ignored, as robfig does.
        (bounds.min, bounds.max, STAR_BIT)
    } else {
        let start = parse_int_or_name(low_and_high[0], bounds)?;
        let end = match low_and_high.len() {
            1 => start,
            2 => parse_int_or_name(low_and_high[1], bounds)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
        (start, end, 0)
    };
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = parse_unsigned(range_and_step[1])?;
            if single {
                end = bounds.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < bounds.min {
        return Err(format!("beginning of range ({start}) below minimum ({}): {expr}", bounds.min));
    }
    if end > bounds.max {
        return Err(format!("end of range ({end}) above maximum ({}): {expr}", bounds.max));
    }
    if start > end {
        return Err(format!("beginning of range ({start}) beyond end of range ({end}): {expr}"));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    Ok(get_bits(start, end, step) | extra)
}

/// `parseIntOrName`: a name is matched after Go's `strings.ToLower`.
fn parse_int_or_name(expr: &str, bounds: &Bounds) -> Result<u64, String> {
    if !bounds.names.is_empty() {
        let lower = go_to_lower(expr);
        if let Some(&(_, value)) = bounds.names.iter().find(|(name, _)| *name == lower) {
            return Ok(value);
        }
    }
    parse_unsigned(expr)
}

/// `mustParseInt`: `strconv.Atoi`, then non-negative.
fn parse_unsigned(expr: &str) -> Result<u64, String> {
    let num = go_atoi(expr).map_err(|e| format!("failed to parse int from {expr}: {e}"))?;
    u64::try_from(num).map_err(|_| format!("negative number ({num}) not allowed: {expr}"))
}

/// `getBits`: `min..=max` by `step`, with `max <= 63`.
fn get_bits(min: u64, max: u64, step: u64) -> u64 {
    let mut bits = 0;
    let mut i = min;
    while i <= max {
        bits |= 1 << i;
        match i.checked_add(step) {
            Some(next) => i = next,
            None => break,
        }
    }
    bits
}

/// Go's `strings.ToLower`, enough to match the ASCII month and weekday names: besides ASCII,
/// only U+0130 (İ) and U+212A (Kelvin K) lower-case to ASCII letters under Go's simple mapping.
fn go_to_lower(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{130}' => 'i',
            '\u{212A}' => 'k',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Go's `strconv.Atoi` on a 64-bit platform, with its error text.
fn go_atoi(s: &str) -> Result<i64, String> {
    let syntax = || format!("strconv.Atoi: parsing {}: invalid syntax", go_quote(s));
    let range = || format!("strconv.Atoi: parsing {}: value out of range", go_quote(s));
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(syntax());
    }
    let mut value: u64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return Err(syntax());
        }
        value = value.checked_mul(10).and_then(|v| v.checked_add(u64::from(b - b'0'))).ok_or_else(range)?;
    }
    if negative {
        0i64.checked_sub_unsigned(value).ok_or_else(range)
    } else {
        i64::try_from(value).map_err(|_| range())
    }
}

/// Go's `time.ParseDuration`, in nanoseconds, with its error text and its quirks (a fraction is
/// scaled through `float64`; two maximal components wrap to zero).
fn parse_go_duration(orig: &str) -> Result<i64, String> {
    const LIMIT: u64 = 1 << 63;
    let invalid = || format!("time: invalid duration {}", time_quote(orig));
    let mut s = orig;
    let mut negative = false;
    if let Some(sign @ (b'-' | b'+')) = s.bytes().next() {
        negative = sign == b'-';
        s = &s[1..];
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        let first = s.as_bytes()[0];
        if !(first == b'.' || first.is_ascii_digit()) {
            return Err(invalid());
        }
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let mut value: u64 = 0;
        for b in s[..digits].bytes() {
            if value > LIMIT / 10 {
                return Err(invalid());
            }
            value = value * 10 + u64::from(b - b'0');
            if value > LIMIT {
                return Err(invalid());
            }
        }
        let before_point = digits > 0;
        s = &s[digits..];
        let (mut fraction, mut scale, mut after_point) = (0u64, 1f64, false);
        if let Some(rest) = s.strip_prefix('.') {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflow = false;
            for b in rest[..digits].bytes() {
                if overflow {
                    continue;
                }
                if fraction > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let next = fraction * 10 + u64::from(b - b'0');
                if next > LIMIT {
                    overflow = true;
                    continue;
                }
                fraction = next;
                scale *= 10.0;
            }
            after_point = digits > 0;
            s = &rest[digits..];
        }
        if !before_point && !after_point {
            return Err(invalid());
        }
        let unit_len = s.bytes().position(|c| c == b'.' || c.is_ascii_digit()).unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", time_quote(orig)));
        }
        let unit_name = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u64 = match unit_name {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!("time: unknown unit {} in duration {}", time_quote(unit_name), time_quote(orig)));
            }
        };
        if value > LIMIT / unit {
            return Err(invalid());
        }
        value *= unit;
        if fraction > 0 {
            // Go computes this in float64 ("to be nanosecond accurate for fractions of hours").
            value += (fraction as f64 * (unit as f64 / scale)) as u64;
            if value > LIMIT {
                return Err(invalid());
            }
        }
        total = total.wrapping_add(value);
        if total > LIMIT {
            return Err(invalid());
        }
    }
    if negative {
        return Ok(0i64.wrapping_sub_unsigned(total));
    }
    i64::try_from(total).map_err(|_| invalid())
}

// ---------------------------------------------------------------------------------------------
// Kubernetes' spec.timeZone validation and Go's time.LoadLocation.

fn load_time_zone(time_zone: Option<&str>) -> Result<TimeZone, CronError> {
    let Some(name) = time_zone else { return Ok(TimeZone::UTC) };
    let error = |detail: String, hint: Option<String>| CronError {
        field: "spec.timeZone",
        value: Some(name.to_string()),
        detail,
        hint,
    };
    if name.is_empty() {
        return Err(error(
            "timeZone must be nil or non-empty string".to_string(),
            Some("omit spec.timeZone for the controller's zone (UTC in kubesim)".to_string()),
        ));
    }
    let db = TimeZoneDatabase::bundled();
    let unknown = || {
        let mut names: Vec<String> = db.available().map(|n| n.to_string()).collect();
        names.sort();
        let hint = crate::suggest::closest(name, names.iter().map(String::as_str))
            .map(|n| format!("did you mean {n:?}?"))
            .unwrap_or_else(|| "use an IANA time zone name such as \"Europe/Berlin\" or \"Etc/UTC\"".to_string());
        error(format!("unknown time zone {name}"), Some(hint))
    };
    let valid_part = |part: &str| {
        (1..=14).contains(&part.len())
            && part != "."
            && part != ".."
            && !part.starts_with('-')
            && part.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
    };
    if !name.split('/').all(valid_part) {
        return Err(unknown());
    }
    if name.eq_ignore_ascii_case("Local") {
        return Err(error(
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones".to_string(),
            Some("name a zone such as \"Etc/UTC\" or \"Europe/Berlin\"".to_string()),
        ));
    }
    // The database matches names without regard to case; Go's LoadLocation does not.
    match db.get(name) {
        Ok(zone) if zone.iana_name() == Some(name) => Ok(zone),
        _ => Err(unknown()),
    }
}

// ---------------------------------------------------------------------------------------------
// robfig `SpecSchedule.Next` on an emulation of Go's `time.Time` in one zone.

/// Inner-loop iterations before `Next` gives up. A satisfiable schedule needs at most a few
/// thousand over its five-year horizon; this only bounds the damage of a bug.
const STEP_BUDGET: u32 = 1_000_000;

impl Fields {
    /// `dayMatches`: AND if either day field has the star bit, OR otherwise.
    fn day_matches(&self, c: &Civil) -> bool {
        let dom = has_bit(self.dom, c.day);
        let dow = has_bit(self.dow, c.weekday);
        if (self.dom | self.dow) & STAR_BIT != 0 { dom && dow } else { dom || dow }
    }

    /// Whether any time can match. If not, robfig's `Next` would search its five years and
    /// return the zero time; answering `None` at once is the same result.
    fn can_match(&self) -> bool {
        let (dom, dow) = (self.dom & !STAR_BIT, self.dow & !STAR_BIT);
        let days = if (self.dom | self.dow) & STAR_BIT != 0 { dom != 0 && dow != 0 } else { dom != 0 || dow != 0 };
        days && self.month & !STAR_BIT != 0 && self.hour & !STAR_BIT != 0 && self.minute & !STAR_BIT != 0
    }

    /// robfig's `Next`: field by field from the month down, starting one second after `from`;
    /// whenever a field wraps around, start over from the month ("goto WRAP").
    fn next(&self, clock: &GoClock<'_>, from: i64) -> Option<i64> {
        if !self.can_match() {
            return None;
        }
        let mut budget = STEP_BUDGET;
        let mut spend = || {
            budget = budget.checked_sub(1)?;
            Some(())
        };
        let mut t = from + 1;
        // Whether a field has been incremented: the first increment also resets the fields below.
        let mut added = false;
        let year_limit = clock.civil(t).year + 5;
        'wrap: loop {
            if clock.civil(t).year > year_limit {
                return None;
            }
            loop {
                let c = clock.civil(t);
                if has_bit(self.month, c.month) {
                    break;
                }
                spend()?;
                if !added {
                    added = true;
                    t = clock.date(c.year, c.month, 1, 0, 0, 0);
                }
                t = clock.add_date(t, 1, 0);
                if clock.civil(t).month == 1 {
                    continue 'wrap;
                }
            }
            loop {
                let c = clock.civil(t);
                if self.day_matches(&c) {
                    break;
                }
                spend()?;
                if !added {
                    added = true;
                    t = clock.date(c.year, c.month, c.day, 0, 0, 0);
                }
                t = clock.add_date(t, 0, 1);
                // Where midnight does not exist, Go's normalisation lands on 23:00 or 01:00;
                // robfig moves to the nearer midnight.
                let hour = clock.civil(t).hour;
                if hour != 0 {
                    t += if hour > 12 { (24 - hour) * 3600 } else { -hour * 3600 };
                }
                if clock.civil(t).day == 1 {
                    continue 'wrap;
                }
            }
            loop {
                let c = clock.civil(t);
                if has_bit(self.hour, c.hour) {
                    break;
                }
                spend()?;
                if !added {
                    added = true;
                    t = clock.date(c.year, c.month, c.day, c.hour, 0, 0);
                }
                t += 3600;
                if clock.civil(t).hour == 0 {
                    continue 'wrap;
                }
            }
            loop {
                let c = clock.civil(t);
                if has_bit(self.minute, c.minute) {
                    break;
                }
                spend()?;
                if !added {
                    added = true;
                    t = t.div_euclid(60) * 60; // `Truncate(time.Minute)`: absolute, not local.
                }
                t += 60;
                if clock.civil(t).minute == 0 {
                    continue 'wrap;
                }
            }
            // The standard parser's seconds field is {0}.
            while clock.civil(t).second != 0 {
                spend()?;
                added = true;
                t += 1;
                if clock.civil(t).second == 0 {
                    continue 'wrap;
                }
            }
            return Some(t);
        }
    }
}

fn has_bit(set: u64, value: i64) -> bool {
    (0..63).contains(&value) && set & (1 << value) != 0
}

/// A wall-clock reading of an instant in a zone, as Go's `time.Time` accessors give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    /// Sunday is 0.
    weekday: i64,
}

/// Go's `time` package in one location, on Unix seconds: offsets come from the zone; the
/// calendar and Go's resolution of wall-clock times are computed here.
struct GoClock<'a> {
    zone: &'a TimeZone,
}

impl GoClock<'_> {
    /// The zone's UTC offset in seconds at an instant.
    fn offset(&self, unix: i64) -> i64 {
        match Timestamp::from_second(unix) {
            Ok(ts) => i64::from(self.zone.to_offset(ts).seconds()),
            Err(_) => 0,
        }
    }

    fn civil(&self, unix: i64) -> Civil {
        let local = unix + self.offset(unix);
        let days = local.div_euclid(SECS_PER_DAY);
        let secs = local.rem_euclid(SECS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            weekday: (days + 4).rem_euclid(7), // 1970-01-01 was a Thursday.
        }
    }

    /// Go's `time.Date`: fields may overflow (month 13, day 32, ...). A wall time that does not
    /// exist or exists twice gets Go's offset: the one in force at `wall - offset(wall)`, where
    /// the wall reading is first taken as if it were UTC. West of Greenwich that maps a gap to
    /// the earlier side (02:30 → 01:30 EST) and an overlap to its first occurrence; east of it,
    /// a gap to the later side (02:30 → 03:30 CEST) and an overlap to its second occurrence.
    fn date(&self, year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> i64 {
        let month0 = month - 1;
        let (year, month) = (year + month0.div_euclid(12), month0.rem_euclid(12) + 1);
        let wall = (days_from_civil(year, month, 1) + day - 1) * SECS_PER_DAY + hour * 3600 + minute * 60 + second;
        let guess = self.offset(wall);
        wall - self.offset(wall - guess)
    }

    /// Go's `t.AddDate(0, months, days)`: the same wall-clock fields, renormalised.
    fn add_date(&self, unix: i64, months: i64, days: i64) -> i64 {
        let c = self.civil(unix);
        self.date(c.year, c.month + months, c.day + days, c.hour, c.minute, c.second)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31).
const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`]: `(year, month, day)`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

// ---------------------------------------------------------------------------------------------
// Go's quoting, for messages.

/// `strconv.Quote` (`%q`), close enough: printable characters stay, controls and the common
/// invisible format characters are escaped.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if c < ' ' || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if c.is_control()
                || (c.is_whitespace() && c != ' ')
                || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}') =>
            {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `time` package's own `quote`: every byte of a non-ASCII or control character as `\xHH`.
fn time_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if !c.is_ascii() || c < ' ' {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix seconds of an RFC 3339 instant: test expectations are written as wall-clock times
    /// with their offset, which is the hand computation.
    fn at(rfc3339: &str) -> i64 {
        rfc3339.parse::<Timestamp>().unwrap_or_else(|e| panic!("{rfc3339}: {e}")).as_second()
    }

    fn schedule(spec: &str) -> CronSchedule {
        CronSchedule::parse(spec, None).unwrap_or_else(|e| panic!("{spec}: {e}"))
    }

    fn zoned(spec: &str, zone: &str) -> CronSchedule {
        CronSchedule::parse(spec, Some(zone)).unwrap_or_else(|e| panic!("{spec} in {zone}: {e}"))
    }

    /// `next_after`, shown as RFC 3339 in the schedule's zone.
    fn next(s: &CronSchedule, from: &str) -> Option<String> {
        s.next_after(at(from)).map(|t| s.scheduled_timestamp(t))
    }

    fn parse_error(spec: &str) -> String {
        match CronSchedule::parse(spec, None) {
            Ok(_) => panic!("{spec:?} parsed"),
            Err(e) => e.detail,
        }
    }

    fn zone_error(zone: &str) -> CronError {
        match CronSchedule::parse("0 * * * *", Some(zone)) {
            Ok(_) => panic!("{zone:?} accepted"),
            Err(e) => e,
        }
    }

    // 2024-01-15T10:30:00Z is a Monday.
    const MONDAY: &str = "2024-01-15T10:30:00Z";

    #[test]
    fn descriptors() {
        // @yearly / @annually: midnight of January 1st.
        assert_eq!(next(&schedule("@yearly"), MONDAY).as_deref(), Some("2025-01-01T00:00:00Z"));
        assert_eq!(next(&schedule("@annually"), MONDAY).as_deref(), Some("2025-01-01T00:00:00Z"));
        // @monthly: midnight of the 1st.
        assert_eq!(next(&schedule("@monthly"), MONDAY).as_deref(), Some("2024-02-01T00:00:00Z"));
        // @weekly: midnight on Sunday; Monday the 15th → Sunday the 21st.
        assert_eq!(next(&schedule("@weekly"), MONDAY).as_deref(), Some("2024-01-21T00:00:00Z"));
        // @daily / @midnight: the next midnight.
        assert_eq!(next(&schedule("@daily"), MONDAY).as_deref(), Some("2024-01-16T00:00:00Z"));
        assert_eq!(next(&schedule("@midnight"), MONDAY).as_deref(), Some("2024-01-16T00:00:00Z"));
        // @hourly: the next full hour.
        assert_eq!(next(&schedule("@hourly"), MONDAY).as_deref(), Some("2024-01-15T11:00:00Z"));
        // A descriptor equals its five-field spelling.
        assert_eq!(schedule("@weekly").kind, schedule("0 0 * * 0").kind);
        assert_eq!(schedule("@yearly").kind, schedule("0 0 1 1 *").kind);
        // Exact spelling only: case, leading or trailing space, or no space after @every.
        assert_eq!(parse_error("@Daily"), "unrecognized descriptor: @Daily");
        assert_eq!(parse_error("@daily "), "unrecognized descriptor: @daily ");
        assert_eq!(parse_error(" @daily"), "expected exactly 5 fields, found 1: [@daily]");
        assert_eq!(parse_error("@every"), "unrecognized descriptor: @every");
        let e = CronSchedule::parse("@dayly", None).unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("did you mean \"@daily\"?"));
    }

    #[test]
    fn every() {
        let s = schedule("@every 90m");
        // Relative to the previous time: 10:30 + 1h30m = 12:00.
        assert_eq!(next(&s, MONDAY).as_deref(), Some("2024-01-15T12:00:00Z"));
        assert_eq!(s.next_after(1000), Some(1000 + 5400));
        assert_eq!(schedule("@every 1.5h").kind, Kind::Every { delay_secs: 5400 });
        assert_eq!(schedule("@every 1h30m").kind, Kind::Every { delay_secs: 5400 });
        // Truncated to whole seconds, and never below one second (even zero or negative).
        assert_eq!(schedule("@every 1500ms").kind, Kind::Every { delay_secs: 1 });
        assert_eq!(schedule("@every 2.9s").kind, Kind::Every { delay_secs: 2 });
        assert_eq!(schedule("@every 500ms").kind, Kind::Every { delay_secs: 1 });
        assert_eq!(schedule("@every 0").kind, Kind::Every { delay_secs: 1 });
        assert_eq!(schedule("@every -5m").kind, Kind::Every { delay_secs: 1 });
        assert_eq!(schedule("@every 1\u{b5}s").kind, Kind::Every { delay_secs: 1 });
        // @every ignores the time zone: absolute time, no DST correction.
        let ny = zoned("@every 24h", "America/New_York");
        assert_eq!(ny.next_after(at("2012-03-10T12:00:00-05:00")), Some(at("2012-03-11T13:00:00-04:00")));
        // Go's duration syntax and error texts.
        assert_eq!(
            parse_error("@every 1x"),
            "failed to parse duration @every 1x: time: unknown unit \"x\" in duration \"1x\""
        );
        assert_eq!(
            parse_error("@every 1d"),
            "failed to parse duration @every 1d: time: unknown unit \"d\" in duration \"1d\""
        );
        assert_eq!(
            parse_error("@every 10"),
            "failed to parse duration @every 10: time: missing unit in duration \"10\""
        );
        assert_eq!(parse_error("@every "), "failed to parse duration @every : time: invalid duration \"\"");
        assert_eq!(parse_error("@every .s"), "failed to parse duration @every .s: time: invalid duration \".s\"");
        assert_eq!(
            parse_error("@every 1 h"),
            "failed to parse duration @every 1 h: time: unknown unit \" h\" in duration \"1 h\""
        );
        assert_eq!(
            parse_error("@every 9999999999h"),
            "failed to parse duration @every 9999999999h: time: invalid duration \"9999999999h\""
        );
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1h2m3.5s"), Ok(3_723_500_000_000));
        assert_eq!(parse_go_duration("+.5s"), Ok(500_000_000));
        assert_eq!(parse_go_duration("1.s"), Ok(1_000_000_000));
        assert_eq!(parse_go_duration("-1.5h"), Ok(-5_400_000_000_000));
        assert_eq!(parse_go_duration("2562047h47m16.854775807s"), Ok(i64::MAX));
        assert_eq!(parse_go_duration("-9223372036854775808ns"), Ok(i64::MIN));
        assert!(parse_go_duration("9223372036854775808ns").is_err());
        // Go's uint64 sum wraps to zero for two maximal components (then @every clamps to 1s).
        assert_eq!(parse_go_duration("9223372036854775808ns9223372036854775808ns"), Ok(0));
        assert_eq!(
            parse_go_duration("1\u{e9}"),
            Err("time: unknown unit \"\\xc3\\xa9\" in duration \"1\\xc3\\xa9\"".to_string())
        );
    }

    #[test]
    fn field_bounds_and_errors() {
        assert_eq!(parse_error("60 * * * *"), "end of range (60) above maximum (59): 60");
        assert_eq!(parse_error("* 24 * * *"), "end of range (24) above maximum (23): 24");
        assert_eq!(parse_error("* * 0 * *"), "beginning of range (0) below minimum (1): 0");
        assert_eq!(parse_error("* * 32 * *"), "end of range (32) above maximum (31): 32");
        assert_eq!(parse_error("* * * 0 *"), "beginning of range (0) below minimum (1): 0");
        assert_eq!(parse_error("* * * 13 *"), "end of range (13) above maximum (12): 13");
        // Day of week is 0-6: 7 (Sunday in some crons) is rejected.
        assert_eq!(parse_error("* * * * 7"), "end of range (7) above maximum (6): 7");
        assert_eq!(parse_error("* * * * 5-7"), "end of range (7) above maximum (6): 5-7");
        assert_eq!(parse_error("5-3 * * * *"), "beginning of range (5) beyond end of range (3): 5-3");
        assert_eq!(parse_error("*/0 * * * *"), "step of range should be a positive number: */0");
        assert_eq!(parse_error("1-2-3 * * * *"), "too many hyphens: 1-2-3");
        assert_eq!(parse_error("*/2/3 * * * *"), "too many slashes: */2/3");
        assert_eq!(parse_error("x * * * *"), "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax");
        assert_eq!(parse_error("*/-5 * * * *"), "negative number (-5) not allowed: -5");
        assert_eq!(parse_error("-5 * * * *"), "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax");
        assert_eq!(
            parse_error("99999999999999999999 * * * *"),
            "failed to parse int from 99999999999999999999: strconv.Atoi: parsing \"99999999999999999999\": value out of range"
        );
        assert_eq!(
            parse_error("* * * JANUARY *"),
            "failed to parse int from JANUARY: strconv.Atoi: parsing \"JANUARY\": invalid syntax"
        );
        // Names only where robfig has them: not in the day-of-month field.
        assert_eq!(
            parse_error("* * MON * *"),
            "failed to parse int from MON: strconv.Atoi: parsing \"MON\": invalid syntax"
        );
        assert_eq!(parse_error("* * * *"), "expected exactly 5 fields, found 4: [* * * *]");
        assert_eq!(parse_error("0 0 * * * *"), "expected exactly 5 fields, found 6: [0 0 * * * *]");
        assert_eq!(parse_error("   "), "expected exactly 5 fields, found 0: []");
        // The first failing field wins, and the hint names its bounds.
        let e = CronSchedule::parse("* * * * 7", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "spec.schedule: Invalid value: \"* * * * 7\": end of range (7) above maximum (6): 7 (days of the week are \
             0-6 or SUN-SAT; Sunday is 0 and 7 is not accepted)"
        );
        // Go's Atoi accepts a sign and leading zeros.
        assert_eq!(schedule("+05 * * * *").kind, schedule("5 * * * *").kind);
    }

    #[test]
    fn kubernetes_validation() {
        let e = CronSchedule::parse("", None).unwrap_err();
        assert_eq!(e.value, None);
        assert!(e.to_string().starts_with("spec.schedule: Required value"), "{e}");
        // TZ= / CRON_TZ= prefixes (and any "TZ") are rejected before robfig sees them; robfig
        // itself would panic on "TZ=UTC" with nothing after it.
        for spec in ["CRON_TZ=UTC 0 * * * *", "TZ=Europe/Berlin @daily", "TZ=UTC", "0 * * * * TZ"] {
            let e = CronSchedule::parse(spec, None).unwrap_err();
            assert_eq!(e.detail, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead", "{spec}");
            assert_eq!(e.field, "spec.schedule");
        }
    }

    #[test]
    fn time_zones() {
        for ok in ["UTC", "Etc/UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "US/Eastern"] {
            assert!(CronSchedule::parse("0 * * * *", Some(ok)).is_ok(), "{ok}");
        }
        let e = zone_error("Europe/Pari");
        assert_eq!(
            e.to_string(),
            "spec.timeZone: Invalid value: \"Europe/Pari\": unknown time zone Europe/Pari (did you mean \"Europe/Paris\"?)"
        );
        // Case-sensitive, as Go's LoadLocation reads zoneinfo files.
        let e = zone_error("europe/paris");
        assert_eq!(e.detail, "unknown time zone europe/paris");
        assert_eq!(e.hint.as_deref(), Some("did you mean \"Europe/Paris\"?"));
        assert_eq!(zone_error("utc").detail, "unknown time zone utc");
        assert_eq!(zone_error("").detail, "timeZone must be nil or non-empty string");
        assert_eq!(
            zone_error("Local").detail,
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"
        );
        assert_eq!(
            zone_error("LOCAL").detail,
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"
        );
        // The naming rules of validateTimeZone.
        for bad in [
            "../etc/passwd",
            "/UTC",
            "Europe//Paris",
            "America/Very_Long_Name_Here",
            "-UTC",
            "Europe/Par is",
            "Etc/Unknown",
        ] {
            assert!(zone_error(bad).detail.starts_with("unknown time zone "), "{bad}");
        }
        assert_eq!(zoned("0 * * * *", "Europe/Berlin").time_zone(), Some("Europe/Berlin"));
        assert_eq!(schedule("0 * * * *").time_zone(), None);
    }

    #[test]
    fn steps_lists_names_and_question_mark() {
        let minutes = |spec: &str| match schedule(spec).kind {
            Kind::Fields(f) => (0..60).filter(|&m| has_bit(f.minute, m)).collect::<Vec<_>>(),
            Kind::Every { .. } => unreachable!(),
        };
        assert_eq!(minutes("*/15 * * * *"), [0, 15, 30, 45]);
        assert_eq!(minutes("5-59/10 * * * *"), [5, 15, 25, 35, 45, 55]);
        // N/step means N-max/step.
        assert_eq!(minutes("5/20 * * * *"), [5, 25, 45]);
        assert_eq!(minutes("1,5-7,50-59/5 * * * *"), [1, 5, 6, 7, 50, 55]);
        // A step larger than the range keeps only its start (newer robfig forks reject it).
        assert_eq!(minutes("*/61 * * * *"), [0]);
        // Empty list items are skipped; "*-5" is "*" (robfig ignores what follows "*-").
        assert_eq!(minutes("0,,30 * * * *"), [0, 30]);
        assert_eq!(minutes("*-5 * * * *"), (0..60).collect::<Vec<_>>());
        // Names, any case, in ranges too; "?" is "*" in any field.
        assert_eq!(schedule("0 0 1 JAN,jul *").kind, schedule("0 0 1 1,7 *").kind);
        assert_eq!(schedule("0 9 * * Mon-FRI").kind, schedule("0 9 * * 1-5").kind);
        assert_eq!(schedule("? ? ? ? ?").kind, schedule("* * * * *").kind);
        // Go's ToLower maps U+0130 (İ) to "i": "FRİ" is Friday.
        assert_eq!(schedule("0 0 * * FR\u{130}").kind, schedule("0 0 * * 5").kind);
        // Every 15 minutes from 10:30 (excluded) → 10:45.
        assert_eq!(next(&schedule("*/15 * * * *"), MONDAY).as_deref(), Some("2024-01-15T10:45:00Z"));
        // Weekdays 09:00-17:00 on the hour: Monday 10:30 → 11:00; Friday 17:00 → Monday 09:00.
        let office = schedule("0 9-17 * * MON-FRI");
        assert_eq!(next(&office, MONDAY).as_deref(), Some("2024-01-15T11:00:00Z"));
        assert_eq!(next(&office, "2024-01-19T17:00:00Z").as_deref(), Some("2024-01-22T09:00:00Z"));
    }

    #[test]
    fn day_of_month_or_day_of_week() {
        // Both restricted: OR. From Monday 2024-01-15: Friday the 19th comes before the 13th
        // of February.
        let s = schedule("0 0 13 * FRI");
        assert_eq!(next(&s, MONDAY).as_deref(), Some("2024-01-19T00:00:00Z"));
        // From Saturday 2024-12-07: Friday the 13th, which is both.
        assert_eq!(next(&s, "2024-12-07T00:00:00Z").as_deref(), Some("2024-12-13T00:00:00Z"));
        // From Saturday 2024-04-06: Friday the 12th comes before Saturday the 13th.
        assert_eq!(next(&s, "2024-04-06T00:00:00Z").as_deref(), Some("2024-04-12T00:00:00Z"));
        // From Friday 2024-04-12: Saturday the 13th (by day of month) before Friday the 19th.
        assert_eq!(next(&s, "2024-04-12T00:00:00Z").as_deref(), Some("2024-04-13T00:00:00Z"));
        // One side "*": AND, i.e. only the restricted side counts.
        assert_eq!(next(&schedule("0 0 13 * *"), MONDAY).as_deref(), Some("2024-02-13T00:00:00Z"));
        assert_eq!(next(&schedule("0 0 * * FRI"), MONDAY).as_deref(), Some("2024-01-19T00:00:00Z"));
        assert_eq!(next(&schedule("0 0 13 * ?"), MONDAY).as_deref(), Some("2024-02-13T00:00:00Z"));
        // "1-31" is not a star: OR with Monday means every day.
        assert_eq!(next(&schedule("0 0 1-31 * MON"), "2024-01-16T12:00:00Z").as_deref(), Some("2024-01-17T00:00:00Z"));
        // "*/2" drops the star bit (step > 1): odd days OR Mondays. From Tuesday the 16th
        // 12:00: the 17th (odd).
        let odd_or_monday = schedule("0 0 */2 * MON");
        assert_eq!(next(&odd_or_monday, "2024-01-16T12:00:00Z").as_deref(), Some("2024-01-17T00:00:00Z"));
        // From Sunday the 11th of February 12:00: Monday the 12th, even, runs as a Monday;
        // from Tuesday the 13th 12:00: Wednesday 14 is neither, so Thursday 15 (odd).
        assert_eq!(next(&odd_or_monday, "2024-02-11T12:00:00Z").as_deref(), Some("2024-02-12T00:00:00Z"));
        assert_eq!(next(&odd_or_monday, "2024-02-13T12:00:00Z").as_deref(), Some("2024-02-15T00:00:00Z"));
        // "*/1" keeps it: AND, i.e. Mondays only.
        assert_eq!(next(&schedule("0 0 */1 * MON"), "2024-01-16T12:00:00Z").as_deref(), Some("2024-01-22T00:00:00Z"));
    }

    #[test]
    fn leap_years_and_the_five_year_limit() {
        let feb29 = schedule("0 0 29 2 *");
        // From 2024-03-01 the next February 29th is in 2028.
        assert_eq!(next(&feb29, "2024-03-01T00:00:00Z").as_deref(), Some("2028-02-29T00:00:00Z"));
        assert_eq!(next(&feb29, "2024-02-28T23:59:59Z").as_deref(), Some("2024-02-29T00:00:00Z"));
        // 2100 is not a leap year: from 2097-03-01 the next is 2104-02-29, beyond 2097 + 5.
        assert_eq!(next(&feb29, "2097-03-01T00:00:00Z"), None);
        // Never: February 30th, April 31st; and an empty field.
        assert_eq!(next(&schedule("0 0 30 2 *"), MONDAY), None);
        assert_eq!(next(&schedule("0 0 31 4 *"), MONDAY), None);
        assert_eq!(next(&schedule("0 0 , * *"), MONDAY), None);
        // An empty day-of-month field with a restricted weekday: OR, so Mondays.
        assert_eq!(next(&schedule("0 0 , * MON"), MONDAY).as_deref(), Some("2024-01-22T00:00:00Z"));
        // New Year across the year boundary.
        assert_eq!(next(&schedule("@yearly"), "2024-12-31T23:59:59Z").as_deref(), Some("2025-01-01T00:00:00Z"));
        // The 31st skips short months: from 2024-01-31 00:00 → 2024-03-31.
        assert_eq!(next(&schedule("0 0 31 * *"), "2024-01-31T00:00:00Z").as_deref(), Some("2024-03-31T00:00:00Z"));
    }

    #[test]
    fn new_york_daylight_saving() {
        // robfig's own DST cases (spec_test.go TestNext), in five-field form. 2012-03-11:
        // 02:00 EST → 03:00 EDT; 2012-11-04: 02:00 EDT → 01:00 EST.
        let ny = |spec| zoned(spec, "America/New_York");
        // Hourly across the gap: 01:00 EST → 03:00 EDT, one hour of real time.
        assert_eq!(next(&ny("0 * * * *"), "2012-03-11T01:00:00-05:00").as_deref(), Some("2012-03-11T03:00:00-04:00"));
        // 1 am nightly: fine on both days.
        assert_eq!(next(&ny("0 1 * * *"), "2012-03-11T00:00:00-05:00").as_deref(), Some("2012-03-11T01:00:00-05:00"));
        assert_eq!(next(&ny("0 1 * * *"), "2012-03-11T01:00:00-05:00").as_deref(), Some("2012-03-12T01:00:00-04:00"));
        // 2 am nightly: skipped on the day 2 am does not exist.
        assert_eq!(next(&ny("0 2 * * *"), "2012-03-11T00:00:00-05:00").as_deref(), Some("2012-03-12T02:00:00-04:00"));
        // 02:30 on 11 March only: skipped in 2012, so 2013 (when DST began on the 10th).
        assert_eq!(next(&ny("30 2 11 3 *"), "2012-03-11T00:00:00-05:00").as_deref(), Some("2013-03-11T02:30:00-04:00"));
        // Fall back: 1 am runs twice, an hour apart.
        let one_am = ny("0 1 * * *");
        assert_eq!(next(&one_am, "2012-11-04T00:00:00-04:00").as_deref(), Some("2012-11-04T01:00:00-04:00"));
        assert_eq!(next(&one_am, "2012-11-04T01:00:00-04:00").as_deref(), Some("2012-11-04T01:00:00-05:00"));
        assert_eq!(next(&one_am, "2012-11-04T01:00:00-05:00").as_deref(), Some("2012-11-05T01:00:00-05:00"));
        assert_eq!(next(&ny("30 1 4 11 *"), "2012-11-04T01:45:00-04:00").as_deref(), Some("2012-11-04T01:30:00-05:00"));
        // Hourly across the overlap: every real hour.
        assert_eq!(next(&ny("0 * * * *"), "2012-11-04T01:00:00-04:00").as_deref(), Some("2012-11-04T01:00:00-05:00"));
        assert_eq!(next(&ny("0 * * * *"), "2012-11-04T01:00:00-05:00").as_deref(), Some("2012-11-04T02:00:00-05:00"));
        // 2 am and 3 am nightly: once.
        assert_eq!(next(&ny("0 2 * * *"), "2012-11-04T00:00:00-04:00").as_deref(), Some("2012-11-04T02:00:00-05:00"));
        assert_eq!(next(&ny("0 3 * * *"), "2012-11-04T00:00:00-04:00").as_deref(), Some("2012-11-04T03:00:00-05:00"));
        // The two runs get distinct Job names: 3600 s apart is 60 minutes apart.
        let (first, second) = (at("2012-11-04T01:00:00-04:00"), at("2012-11-04T01:00:00-05:00"));
        assert_eq!(job_name("backup", first), "backup-22533420");
        assert_eq!(job_name("backup", second), "backup-22533480");
    }

    #[test]
    fn berlin_daylight_saving() {
        // 2024-03-31: 02:00 CET → 03:00 CEST (01:00Z); 2024-10-27: 03:00 CEST → 02:00 CET
        // (01:00Z).
        let berlin = |spec| zoned(spec, "Europe/Berlin");
        let half_past_two = berlin("30 2 * * *");
        // Spring: 02:30 does not exist on 03-31, so from 03-30 13:00 the next is 04-01.
        assert_eq!(next(&half_past_two, "2024-03-30T13:00:00+01:00").as_deref(), Some("2024-04-01T02:30:00+02:00"));
        // Autumn: 02:30 happens twice, and runs twice: 00:30Z then 01:30Z.
        assert_eq!(next(&half_past_two, "2024-10-27T00:00:00Z").as_deref(), Some("2024-10-27T02:30:00+02:00"));
        assert_eq!(next(&half_past_two, "2024-10-27T00:30:00Z").as_deref(), Some("2024-10-27T02:30:00+01:00"));
        assert_eq!(next(&half_past_two, "2024-10-27T01:30:00Z").as_deref(), Some("2024-10-28T02:30:00+01:00"));
        // Hourly runs every real hour through both changes.
        let hourly = berlin("0 * * * *");
        assert_eq!(next(&hourly, "2024-03-31T01:00:00+01:00").as_deref(), Some("2024-03-31T03:00:00+02:00"));
        assert_eq!(next(&hourly, "2024-10-27T02:00:00+02:00").as_deref(), Some("2024-10-27T02:00:00+01:00"));
        // 08:00 every day stays at 08:00 local: 07:00Z in winter, 06:00Z in summer.
        let eight = berlin("0 8 * * *");
        assert_eq!(eight.next_after(at("2024-03-30T12:00:00Z")), Some(at("2024-03-31T06:00:00Z")));
        assert_eq!(eight.next_after(at("2024-03-29T12:00:00Z")), Some(at("2024-03-30T07:00:00Z")));
    }

    #[test]
    fn midnight_that_does_not_exist() {
        // São Paulo, 2018-11-04: 00:00 -03 → 01:00 -02, so that day has no midnight. Go's
        // time.Date puts 00:00 at 23:00 the day before; robfig moves to the nearer midnight,
        // which is 01:00 -02, sees the 4th match, but its hour walk never finds hour 0 that
        // day, so the November 4th run moves to the next year (no DST in Brazil since 2019).
        let s = zoned("0 0 4 11 *", "America/Sao_Paulo");
        assert_eq!(next(&s, "2018-11-01T12:00:00-03:00").as_deref(), Some("2019-11-04T00:00:00-03:00"));
        // Daily at midnight skips the 4th; daily at 1 am is fine.
        let daily = zoned("@daily", "America/Sao_Paulo");
        assert_eq!(next(&daily, "2018-11-03T12:00:00-03:00").as_deref(), Some("2018-11-05T00:00:00-02:00"));
        let one_am = zoned("0 1 * * *", "America/Sao_Paulo");
        assert_eq!(next(&one_am, "2018-11-03T12:00:00-03:00").as_deref(), Some("2018-11-04T01:00:00-02:00"));
    }

    #[test]
    fn go_time_date_normalisation() {
        let db = TimeZoneDatabase::bundled();
        let (ny, berlin) = (db.get("America/New_York").unwrap(), db.get("Europe/Berlin").unwrap());
        let (ny, berlin) = (GoClock { zone: &ny }, GoClock { zone: &berlin });
        // Gap, west of Greenwich: 02:30 → 01:30 EST. East: 02:30 → 03:30 CEST.
        assert_eq!(ny.date(2012, 3, 11, 2, 30, 0), at("2012-03-11T01:30:00-05:00"));
        assert_eq!(berlin.date(2024, 3, 31, 2, 30, 0), at("2024-03-31T03:30:00+02:00"));
        // Overlap: New York takes the first 01:30 (EDT), Berlin the second 02:30 (CET).
        assert_eq!(ny.date(2012, 11, 4, 1, 30, 0), at("2012-11-04T01:30:00-04:00"));
        assert_eq!(berlin.date(2024, 10, 27, 2, 30, 0), at("2024-10-27T02:30:00+01:00"));
        // Overflowing fields: month 13 is January next year; day 0 is the last day before.
        assert_eq!(ny.date(2023, 13, 1, 0, 0, 0), at("2024-01-01T00:00:00-05:00"));
        assert_eq!(ny.date(2024, 3, 0, 12, 0, 0), at("2024-02-29T12:00:00-05:00"));
        // AddDate keeps the wall clock: one day after 12:00 EST on 03-10 is 12:00 EDT.
        assert_eq!(ny.add_date(at("2012-03-10T12:00:00-05:00"), 0, 1), at("2012-03-11T12:00:00-04:00"));
        let c = ny.civil(at("2012-11-04T01:30:00-05:00"));
        assert_eq!((c.year, c.month, c.day, c.hour, c.minute, c.weekday), (2012, 11, 4, 1, 30, 0));
    }

    #[test]
    fn calendar_matches_jiff() {
        // Years -220 to 9909, within jiff's range.
        for days in (-800_000..2_900_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            let date = jiff::civil::date(y as i16, m as i8, d as i8);
            assert_eq!(date.to_zoned_datetime(TimeZone::UTC).unwrap().timestamp().as_second(), days * SECS_PER_DAY);
        }
        assert_eq!(MIN_UNIX_SECS, at("0001-01-01T00:00:00Z"));
        assert_eq!(MAX_UNIX_SECS, at("9990-01-01T00:00:00Z"));
        let s = schedule("* * * * *");
        assert_eq!(s.next_after(MAX_UNIX_SECS + 1), None);
        assert_eq!(s.next_after(MIN_UNIX_SECS - 1), None);
        assert_eq!(s.next_after(i64::MAX), None);
        assert_eq!(s.next_after(MAX_UNIX_SECS), Some(MAX_UNIX_SECS + 60));
    }

    #[test]
    fn job_names_and_annotations() {
        // 1_700_000_000 s = 2023-11-14T22:13:20Z; / 60 = 28_333_333 minutes.
        assert_eq!(job_name("hello", 1_700_000_000), "hello-28333333");
        assert_eq!(job_name("hello", at("2024-01-15T11:00:00Z")), "hello-28421940");
        assert_eq!(schedule("@hourly").scheduled_timestamp(at("2024-01-15T11:00:00Z")), "2024-01-15T11:00:00Z");
        let berlin = zoned("0 8 * * *", "Europe/Berlin");
        assert_eq!(berlin.scheduled_timestamp(at("2024-07-01T06:00:00Z")), "2024-07-01T08:00:00+02:00");
        assert_eq!(berlin.scheduled_timestamp(at("2024-01-01T07:00:00Z")), "2024-01-01T08:00:00+01:00");
        let kolkata = zoned("0 8 * * *", "Asia/Kolkata");
        assert_eq!(kolkata.scheduled_timestamp(at("2024-07-01T02:30:00Z")), "2024-07-01T08:00:00+05:30");
        let ny = zoned("0 8 * * *", "America/New_York");
        assert_eq!(ny.scheduled_timestamp(at("2024-07-01T12:00:00Z")), "2024-07-01T08:00:00-04:00");
        // London in winter has offset zero: "Z", as Go prints it.
        let london = zoned("0 8 * * *", "Europe/London");
        assert_eq!(london.scheduled_timestamp(at("2024-01-01T08:00:00Z")), "2024-01-01T08:00:00Z");
        // Local mean time, -4:56:02, is printed as -04:56 (whole minutes).
        assert_eq!(ny.scheduled_timestamp(at("1800-01-01T00:00:00Z")), "1799-12-31T19:03:58-04:56");
    }

    /// Seconds of a time of day on 2024-01-15 (a Monday), UTC.
    fn monday(hh_mm: &str) -> i64 {
        at(&format!("2024-01-15T{hh_mm}:00Z"))
    }

    #[test]
    fn most_recent_timeline() {
        let hourly = schedule("0 * * * *");
        // Created at 10:05; at 10:30 nothing is due yet; requeue for 11:00 + 100 ms.
        let created = monday("10:05");
        assert_eq!(
            hourly.most_recent(created, monday("10:30"), None),
            Ok(MostRecent { time: None, missed: Missed::None })
        );
        assert_eq!(hourly.next_schedule_delay_millis(created, monday("10:30") * 1000), Some(30 * 60_000 + 100));
        // Woken at 11:00:00.100: 11:00 is due (Kubernetes calls this "none missed").
        let woken = monday("11:00");
        assert_eq!(
            hourly.most_recent(created, woken, None),
            Ok(MostRecent { time: Some(woken), missed: Missed::None })
        );
        // After the Job is created lastScheduleTime = 11:00: wait until 12:00:00.100.
        assert_eq!(hourly.next_schedule_delay_millis(woken, woken * 1000 + 100), Some(3600 * 1000));
        // Woken a little early (clock skew): 10:59:59.950 → nothing due, requeue 150 ms later.
        assert_eq!(hourly.next_schedule_delay_millis(created, woken * 1000 - 50), Some(150));
    }

    #[test]
    fn catch_up_after_an_outage_creates_one_job() {
        let hourly = schedule("0 * * * *");
        // Last run 11:00; the controller is down until 15:20. Missed: 12, 13, 14 and 15:00.
        // t1 = 12:00, t2 = 13:00, elapsed 3 h 20 min → 3 + 1 = 4 "few"; only 15:00 is run.
        let last = monday("11:00");
        let now = monday("15:20");
        assert_eq!(
            hourly.most_recent(last, now, None),
            Ok(MostRecent { time: Some(monday("15:00")), missed: Missed::Few })
        );
        // Then requeue for 16:00:00.100: 40 minutes and 100 ms after 15:20.
        assert_eq!(hourly.next_schedule_delay_millis(monday("15:00"), now * 1000), Some(40 * 60_000 + 100));
    }

    #[test]
    fn many_missed_times() {
        let every_minute = schedule("* * * * *");
        let last = monday("00:00");
        // 01:40: t1 = 00:01, (99 min) / 1 min + 1 = 100 → few; 01:41 → 101 → many.
        assert_eq!(
            every_minute.most_recent(last, monday("01:40"), None),
            Ok(MostRecent { time: Some(monday("01:40")), missed: Missed::Few })
        );
        assert_eq!(
            every_minute.most_recent(last, monday("01:41"), None),
            Ok(MostRecent { time: Some(monday("01:41")), missed: Missed::Many(101) })
        );
        // Still just the latest time: one Job.
        let a_day_later = at("2024-01-16T00:00:30Z");
        assert_eq!(
            every_minute.most_recent(last, a_day_later, None),
            Ok(MostRecent { time: Some(at("2024-01-16T00:00:00Z")), missed: Missed::Many(1440) })
        );
        // A starting deadline shorter than the gap keeps the warning away: earliest becomes
        // now - 300 s = 23:55:30, and 5 slots are "few".
        assert_eq!(
            every_minute.most_recent(last, a_day_later, Some(300)),
            Ok(MostRecent { time: Some(at("2024-01-16T00:00:00Z")), missed: Missed::Few })
        );
    }

    #[test]
    fn starting_deadline() {
        let hourly = schedule("0 * * * *");
        let last = monday("11:00");
        let now = monday("15:20");
        // Deadline 10 min: earliest = 15:10, the 15:00 run is too late and nothing is due.
        assert_eq!(hourly.most_recent(last, now, Some(600)), Ok(MostRecent { time: None, missed: Missed::None }));
        // Deadline 30 min: earliest = 14:50, so 15:00 is still started, late.
        assert_eq!(
            hourly.most_recent(last, now, Some(1800)),
            Ok(MostRecent { time: Some(monday("15:00")), missed: Missed::None })
        );
        // Exactly at the deadline: earliest = 15:00 itself, which is excluded (strictly after).
        assert_eq!(
            hourly.most_recent(last, monday("15:30"), Some(1800)),
            Ok(MostRecent { time: None, missed: Missed::None })
        );
        // Deadline 0: nothing is ever due.
        assert_eq!(
            hourly.most_recent(last, monday("15:00"), Some(0)),
            Ok(MostRecent { time: None, missed: Missed::None })
        );
        // The requeue ignores the deadline: from 15:20, the next time after 15:00 is 16:00.
        assert_eq!(hourly.next_schedule_delay_millis(last, now * 1000), Some(40 * 60_000 + 100));
    }

    #[test]
    fn irregular_schedule_estimate() {
        // 06:30, 10:30 and 14:30 on weekdays. Last run Friday 2024-01-19 06:30; now Sunday
        // 12:00. t1 = Fri 10:30, t2 = Fri 14:30 (4 h apart); 49.5 h / 4 h = 12, + 1 = 13
        // "few"; Kubernetes scans from t1 + 11 × 4 h = Sun 06:30 and finds nothing before now,
        // so Friday 14:30 is never run. (An exact scan would return it.)
        let s = schedule("30 6-16/4 * * 1-5");
        let now = at("2024-01-21T12:00:00Z");
        assert_eq!(
            s.most_recent(at("2024-01-19T06:30:00Z"), now, None),
            Ok(MostRecent { time: None, missed: Missed::Few })
        );
        // Requeue from now: Monday 06:30, 18 h 30 min away.
        assert_eq!(
            s.next_schedule_delay_millis(at("2024-01-19T06:30:00Z"), now * 1000),
            Some((18 * 3600 + 1800) * 1000 + 100)
        );
    }

    #[test]
    fn every_in_the_controller() {
        // @every 90m, created 10:00: runs at 11:30, 13:00, 14:30 ...; at 14:45 with no run
        // recorded: t1 = 11:30, t2 = 13:00, 3 h 15 min / 90 min = 2, + 1 = 3 → 14:30.
        let s = schedule("@every 90m");
        let created = monday("10:00");
        assert_eq!(
            s.most_recent(created, monday("14:45"), None),
            Ok(MostRecent { time: Some(monday("14:30")), missed: Missed::Few })
        );
        // After creating it, requeue for 16:00:00.100.
        assert_eq!(s.next_schedule_delay_millis(monday("14:30"), monday("14:45") * 1000), Some(75 * 60_000 + 100));
    }

    #[test]
    fn never_running_schedules_are_invalid() {
        let s = schedule("0 0 30 2 *");
        let e = s.most_recent(monday("00:00"), monday("12:00"), None).unwrap_err();
        assert_eq!(e.detail, "time difference between two schedules is less than 1 second");
        assert_eq!(s.next_schedule_delay_millis(monday("00:00"), monday("12:00") * 1000), None);
        // February 29th in 2096: t1 exists but t2 (2104) is beyond five years.
        let feb29 = schedule("0 0 29 2 *");
        assert!(feb29.most_recent(at("2096-01-01T00:00:00Z"), at("2096-03-01T00:00:00Z"), None).is_err());
        // ... but before t1 it is simply not due yet.
        assert_eq!(
            feb29.most_recent(at("2096-01-01T00:00:00Z"), at("2096-02-01T00:00:00Z"), None),
            Ok(MostRecent { time: None, missed: Missed::None })
        );
    }

    #[test]
    fn go_quoting() {
        assert_eq!(go_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(go_quote("\u{1}\t\u{a0}é"), "\"\\x01\\t\\u00a0é\"");
        assert_eq!(time_quote("1\u{3bc}x\""), "\"1\\xce\\xbcx\\\"\"");
        assert_eq!(go_atoi("-12"), Ok(-12));
        assert_eq!(go_atoi("-9223372036854775808"), Ok(i64::MIN));
        assert!(go_atoi("9223372036854775808").unwrap_err().ends_with("value out of range"));
        assert!(go_atoi("+").unwrap_err().ends_with("invalid syntax"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// One range expression valid for `bounds`.
        fn range_expr(min: u64, max: u64) -> impl Strategy<Value = String> {
            (min..=max, min..=max, 1..=max.max(2), 0..6u8).prop_map(move |(a, b, step, shape)| {
                let (lo, hi) = (a.min(b), a.max(b));
                match shape {
                    0 => "*".to_string(),
                    1 => format!("*/{step}"),
                    2 => format!("{lo}"),
                    3 => format!("{lo}-{hi}"),
                    4 => format!("{lo}-{hi}/{step}"),
                    _ => format!("{lo}/{step}"),
                }
            })
        }

        fn field(min: u64, max: u64) -> impl Strategy<Value = String> {
            prop::collection::vec(range_expr(min, max), 1..3).prop_map(|v| v.join(","))
        }

        fn spec() -> impl Strategy<Value = String> {
            (field(0, 59), field(0, 23), field(1, 31), field(1, 12), field(0, 6))
                .prop_map(|(m, h, dom, mon, dow)| format!("{m} {h} {dom} {mon} {dow}"))
        }

        /// Zones whose transitions are whole hours at whole hours, away from midnight: there
        /// robfig's result always matches the schedule's fields.
        const WHOLE_HOUR_ZONES: [&str; 4] = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata"];

        /// Zones that break those assumptions: a 30-minute shift (Lord Howe), a shift at
        /// 02:45 (Chatham), a missing midnight (São Paulo until 2019). There a minute or hour
        /// step can cross into a non-matching hour or day, as in robfig, but time still moves on.
        const ODD_ZONES: [&str; 3] = ["Australia/Lord_Howe", "Pacific/Chatham", "America/Sao_Paulo"];

        /// An independent reading of a five-field schedule in UTC: the first minute after `t`
        /// that matches, searching through the year of `t + 1` plus five.
        fn brute_force_utc(f: &Fields, t: i64) -> Option<i64> {
            let year_limit = civil_from_days((t + 1).div_euclid(SECS_PER_DAY)).0 + 5;
            let mut day = (t + 1).div_euclid(SECS_PER_DAY);
            loop {
                let (year, month, dom) = civil_from_days(day);
                if year > year_limit {
                    return None;
                }
                let c =
                    Civil { year, month, day: dom, hour: 0, minute: 0, second: 0, weekday: (day + 4).rem_euclid(7) };
                if has_bit(f.month, month) && f.day_matches(&c) {
                    for hour in (0..24).filter(|&h| has_bit(f.hour, h)) {
                        for minute in (0..60).filter(|&m| has_bit(f.minute, m)) {
                            let candidate = day * SECS_PER_DAY + hour * 3600 + minute * 60;
                            if candidate > t {
                                return Some(candidate);
                            }
                        }
                    }
                }
                day += 1;
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn parse_never_panics(s in ".{0,40}", tz in prop::option::of("[A-Za-z/_+0-9.-]{0,20}")) {
                let _ = CronSchedule::parse(&s, tz.as_deref());
            }

            #[test]
            fn parse_never_panics_on_cron_alphabet(s in "[0-9*?/,@ a-zA-Z.-]{0,30}") {
                if let Ok(schedule) = CronSchedule::parse(&s, None) {
                    let _ = schedule.next_after(1_700_000_000);
                }
            }

            #[test]
            fn next_is_strictly_later_and_matches(spec in spec(), zone in 0..WHOLE_HOUR_ZONES.len(), t in 0i64..4_000_000_000) {
                let s = CronSchedule::parse(&spec, Some(WHOLE_HOUR_ZONES[zone])).unwrap();
                let Kind::Fields(f) = s.kind else { unreachable!() };
                if let Some(n) = s.next_after(t) {
                    prop_assert!(n > t);
                    let c = GoClock { zone: &s.zone }.civil(n);
                    prop_assert!(has_bit(f.month, c.month) && f.day_matches(&c));
                    prop_assert!(has_bit(f.hour, c.hour) && has_bit(f.minute, c.minute) && c.second == 0);
                    // Deterministic, and what the controller sees as due at `n`.
                    prop_assert_eq!(s.next_after(t), Some(n));
                    if s.next_after(n).is_some() {
                        prop_assert_eq!(s.most_recent(t, n, None).map(|m| m.time), Ok(Some(n)));
                    }
                }
            }

            #[test]
            fn next_is_strictly_later_in_odd_zones(spec in spec(), zone in 0..ODD_ZONES.len(), t in 0i64..4_000_000_000) {
                let s = CronSchedule::parse(&spec, Some(ODD_ZONES[zone])).unwrap();
                if let Some(n) = s.next_after(t) {
                    prop_assert!(n > t);
                }
            }

            #[test]
            fn utc_next_is_the_first_matching_minute(spec in spec(), t in 0i64..4_000_000_000) {
                let s = CronSchedule::parse(&spec, None).unwrap();
                let Kind::Fields(f) = s.kind else { unreachable!() };
                prop_assert_eq!(s.next_after(t), brute_force_utc(&f, t));
            }

            #[test]
            fn most_recent_is_in_range(spec in spec(), earliest in 0i64..4_000_000_000, gap in 0i64..10_000_000) {
                let s = CronSchedule::parse(&spec, None).unwrap();
                let now = earliest + gap;
                if let Ok(MostRecent { time: Some(t), .. }) = s.most_recent(earliest, now, None) {
                    prop_assert!(t > earliest && t <= now);
                    prop_assert!(s.next_after(t).is_none_or(|n| n > now));
                }
            }
        }
    }
}
