//! Virtual time: integer instants and durations in microseconds.
//!
//! Simulated time never touches the wall clock and is never a float: an instant is the number of
//! microseconds since the start of the run, a duration the number of microseconds between two
//! instants. Arithmetic is checked; a result that does not fit is an error, not a wrap-around.
//! Seconds appear only when a value is printed or reported.
//!
//! Durations are written as in Go's `time.ParseDuration` (`300ms`, `1.5s`, `1h30m`) plus a `d`
//! unit for days (`2d`), because Kubernetes users already write durations that way.

use std::fmt;

/// Microseconds per unit, for readability.
pub const MICROS_PER_MILLI: u64 = 1_000;
pub const MICROS_PER_SECOND: u64 = 1_000_000;
pub const MICROS_PER_MINUTE: u64 = 60 * MICROS_PER_SECOND;
pub const MICROS_PER_HOUR: u64 = 60 * MICROS_PER_MINUTE;
pub const MICROS_PER_DAY: u64 = 24 * MICROS_PER_HOUR;

/// An instant of virtual time: microseconds since the start of the run, up to
/// [`SimTime::MAX`] (`u64::MAX − 1` µs, ~584,000 years). Held as the count plus one, so that
/// `Option<SimTime>` is 8 bytes, not 16: a pod carries seven of them, and a scale day keeps a
/// million pods.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(std::num::NonZeroU64);

impl Default for SimTime {
    fn default() -> SimTime {
        SimTime::ZERO
    }
}

impl fmt::Debug for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SimTime").field(&self.as_micros()).finish()
    }
}

/// A non-negative span of virtual time in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime::from_micros(0);
    pub const MAX: SimTime = SimTime::from_micros(u64::MAX);
    const MAX_MICROS: u64 = u64::MAX - 1;

    /// The instant `micros` µs after the start, saturating at [`SimTime::MAX`].
    pub const fn from_micros(micros: u64) -> SimTime {
        match std::num::NonZeroU64::new(micros.saturating_add(1)) {
            Some(raw) => SimTime(raw),
            None => unreachable!(),
        }
    }
    pub const fn from_secs(secs: u64) -> SimTime {
        SimTime::from_micros(secs * MICROS_PER_SECOND)
    }
    pub const fn as_micros(self) -> u64 {
        self.0.get() - 1
    }
    /// Whole seconds, truncated: Kubernetes' metav1.Time has second resolution.
    pub const fn as_secs(self) -> u64 {
        self.as_micros() / MICROS_PER_SECOND
    }
    /// Seconds as a float, for reports only.
    pub fn as_secs_f64(self) -> f64 {
        self.as_micros() as f64 / MICROS_PER_SECOND as f64
    }
    /// `self + d`, saturating at `SimTime::MAX` (used for "never" deadlines).
    // The arithmetic works on the held values (count + 1) directly: a sum is at least 1, and
    // a difference of two of them is the difference of the counts.
    pub fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
    pub fn checked_add(self, d: SimDuration) -> Option<SimTime> {
        self.0.checked_add(d.0).map(SimTime)
    }
    /// The duration since `earlier`, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.get().saturating_sub(earlier.0.get()))
    }
    /// The first multiple of `period` (counted from time zero plus `phase`) that is `>= self`.
    pub fn ceil_to_tick(self, period: SimDuration, phase: SimDuration) -> SimTime {
        debug_assert!(period.0 > 0);
        let t = self.as_micros();
        if t <= phase.0 {
            return SimTime::from_micros(phase.0);
        }
        let since = t - phase.0;
        let ticks = since.div_ceil(period.0);
        SimTime::from_micros(phase.0.saturating_add(ticks.saturating_mul(period.0)))
    }
    /// The first multiple of `period` (plus `phase`) that is strictly `> self`.
    pub fn next_tick_after(self, period: SimDuration, phase: SimDuration) -> SimTime {
        let t = self.ceil_to_tick(period, phase);
        if t == self { t.saturating_add(period) } else { t }
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    pub const fn from_micros(micros: u64) -> SimDuration {
        SimDuration(micros)
    }
    pub const fn from_millis(millis: u64) -> SimDuration {
        SimDuration(millis * MICROS_PER_MILLI)
    }
    pub const fn from_secs(secs: u64) -> SimDuration {
        SimDuration(secs * MICROS_PER_SECOND)
    }
    pub const fn from_mins(mins: u64) -> SimDuration {
        SimDuration(mins * MICROS_PER_MINUTE)
    }
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SECOND as f64
    }
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
    pub fn saturating_mul(self, k: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(k))
    }
    pub fn saturating_sub(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(d.0))
    }
    pub fn saturating_add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl std::ops::Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// Adding a duration that overflows the clock is a bug in the caller: virtual time is
    /// bounded by `until`, which is validated to fit.
    fn add(self, d: SimDuration) -> SimTime {
        self.checked_add(d).expect("virtual time overflow")
    }
}

impl std::ops::Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.get().checked_sub(earlier.0.get()).expect("negative virtual duration"))
    }
}

impl std::ops::Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.checked_add(d.0).expect("virtual duration overflow"))
    }
}

impl fmt::Display for SimTime {
    /// Printed like a Go duration since the start of the run: `10m45s`, `1h0m0.25s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&SimDuration(self.as_micros()), f)
    }
}

impl SimDuration {
    /// The text (`to_string`'s) in one allocation, where `to_string` grows the string as the
    /// units are written: an arrival's run time is formatted into its annotation, a million
    /// times in a scale day.
    pub fn text(self) -> String {
        use std::fmt::Write;
        let mut text = String::with_capacity(24);
        write!(text, "{self}").expect("a String takes any text");
        text
    }
}

impl fmt::Display for SimDuration {
    /// The shape of Go's `time.Duration.String()` without trailing zero units (`1h30m`, not
    /// `1h30m0s`); hours are not folded into days, so the text also parses with Go tools.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0;
        if us == 0 {
            return f.write_str("0s");
        }
        let hours = us / MICROS_PER_HOUR;
        let mins = (us % MICROS_PER_HOUR) / MICROS_PER_MINUTE;
        let secs = (us % MICROS_PER_MINUTE) / MICROS_PER_SECOND;
        let frac = us % MICROS_PER_SECOND;
        // Written piece by piece (no intermediate strings: an arrival's run time is formatted
        // into its annotation, a million times in a scale day).
        if hours > 0 {
            write!(f, "{hours}h")?;
        }
        if mins > 0 || (hours > 0 && (secs > 0 || frac > 0)) {
            write!(f, "{mins}m")?;
        }
        if secs > 0 || frac > 0 {
            if frac == 0 {
                write!(f, "{secs}s")?;
            } else if hours == 0 && mins == 0 && secs == 0 && frac.is_multiple_of(MICROS_PER_MILLI) {
                write!(f, "{}ms", frac / MICROS_PER_MILLI)?;
            } else {
                // Six digits, trailing zeros trimmed.
                let digits = [100_000, 10_000, 1_000, 100, 10, 1].map(|d| b'0' + (frac / d % 10) as u8);
                let end = digits.iter().rposition(|&d| d != b'0').expect("frac > 0") + 1;
                write!(f, "{secs}.{}s", std::str::from_utf8(&digits[..end]).expect("ascii digits"))?;
            }
        }
        Ok(())
    }
}

/// The calendar instant that virtual time zero stands for, so that components that need
/// calendar time (CronJob schedules) can read it without a wall clock: virtual instant `t` is
/// the Unix time `start + t`. Plain integer arithmetic in microseconds; Unix times before
/// 1970 are negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WallClock {
    start_unix_micros: i64,
}

impl WallClock {
    /// Virtual time zero is `start_unix_micros` microseconds after 1970-01-01T00:00:00Z.
    pub const fn from_unix_micros(start_unix_micros: i64) -> WallClock {
        WallClock { start_unix_micros }
    }

    /// The Unix time of virtual time zero, in microseconds.
    pub const fn start_unix_micros(self) -> i64 {
        self.start_unix_micros
    }

    /// The Unix time of `t`, in microseconds.
    pub fn unix_micros(self, t: SimTime) -> i64 {
        // Virtual time is bounded by `until` (at most 100 years), so this fits.
        self.start_unix_micros + t.as_micros() as i64
    }

    /// The Unix time of `t` in whole milliseconds, rounded down.
    pub fn unix_millis(self, t: SimTime) -> i64 {
        self.unix_micros(t).div_euclid(MICROS_PER_MILLI as i64)
    }

    /// The Unix time of `t` in whole seconds, rounded down (Kubernetes' `metav1.Time` keeps
    /// whole seconds).
    pub fn unix_secs(self, t: SimTime) -> i64 {
        self.unix_micros(t).div_euclid(MICROS_PER_SECOND as i64)
    }

    /// The virtual instant of a Unix time in milliseconds, or `None` if it is before virtual
    /// time zero (or beyond the clock).
    pub fn at_unix_millis(self, unix_millis: i64) -> Option<SimTime> {
        let micros = unix_millis.checked_mul(MICROS_PER_MILLI as i64)?.checked_sub(self.start_unix_micros)?;
        u64::try_from(micros).ok().filter(|&t| t <= SimTime::MAX_MICROS).map(SimTime::from_micros)
    }
}

/// Why a duration string was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurationError {
    pub input: String,
    pub reason: &'static str,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid duration {:?}: {} (write a number and a unit, e.g. 30s, 10m, 1h30m, 2d, 500ms)",
            self.input, self.reason
        )
    }
}

impl std::error::Error for DurationError {}

/// Parses a Go-style duration with an extra `d` (24 h) unit: `[+]?(<number><unit>)+`, units
/// `us`/`µs`, `ms`, `s`, `m`, `h`, `d`; `0` alone is allowed. Negative durations and values
/// below one microsecond (other than zero) are rejected: virtual time has microsecond
/// resolution and never runs backwards.
pub fn parse_duration(input: &str) -> Result<SimDuration, DurationError> {
    let err = |reason| DurationError { input: input.to_string(), reason };
    let mut s = input;
    if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    } else if s.starts_with('-') {
        return Err(err("durations cannot be negative"));
    }
    if s == "0" {
        return Ok(SimDuration::ZERO);
    }
    if s.is_empty() {
        return Err(err("empty duration"));
    }
    // Accumulate in nanoseconds (u128) so that fractions such as 1.5us are exact before the
    // final conversion.
    let mut total_nanos: u128 = 0;
    while !s.is_empty() {
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &s[..int_len];
        s = &s[int_len..];
        let mut frac_part = "";
        if let Some(rest) = s.strip_prefix('.') {
            let frac_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &rest[..frac_len];
            s = &rest[frac_len..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(err("expected a number"));
        }
        let unit_len = s.char_indices().find(|(_, c)| c.is_ascii_digit() || *c == '.').map_or(s.len(), |(i, _)| i);
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        let nanos_per_unit: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" => 86_400_000_000_000,
            "" => return Err(err("missing unit")),
            _ => return Err(err("unknown unit")),
        };
        if int_part.len() > 30 || frac_part.len() > 30 {
            return Err(err("too many digits"));
        }
        let int_value: u128 = if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| err("bad number"))? };
        let mut value = int_value.checked_mul(nanos_per_unit).ok_or_else(|| err("too large"))?;
        if !frac_part.is_empty() {
            let frac: u128 = frac_part.parse().map_err(|_| err("bad number"))?;
            let scale = 10u128.pow(frac_part.len() as u32);
            value = value.checked_add(frac * nanos_per_unit / scale).ok_or_else(|| err("too large"))?;
        }
        total_nanos = total_nanos.checked_add(value).ok_or_else(|| err("too large"))?;
    }
    if !total_nanos.is_multiple_of(1_000) {
        return Err(err("below the simulator's one-microsecond resolution"));
    }
    let micros = total_nanos / 1_000;
    // Keep room for adding durations to instants: one million years is plenty.
    if micros > (u64::MAX / 2) as u128 {
        return Err(err("too large"));
    }
    Ok(SimDuration(micros as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An optional instant costs no tag; the range ends one microsecond short of `u64::MAX`,
    /// where adding saturates or fails as before.
    #[test]
    fn instants_pack_into_eight_bytes_and_saturate_at_max() {
        assert_eq!(std::mem::size_of::<Option<SimTime>>(), 8);
        assert_eq!(SimTime::ZERO.as_micros(), 0);
        assert_eq!(SimTime::default(), SimTime::ZERO);
        assert_eq!(SimTime::MAX.as_micros(), u64::MAX - 1);
        assert_eq!(SimTime::from_micros(u64::MAX), SimTime::MAX);
        let near = SimTime::from_micros(u64::MAX - 3);
        assert_eq!(near.checked_add(SimDuration::from_micros(2)), Some(SimTime::MAX));
        assert_eq!(near.checked_add(SimDuration::from_micros(3)), None);
        assert_eq!(near.saturating_add(SimDuration::from_micros(10)), SimTime::MAX);
        assert_eq!(SimTime::from_secs(5) - SimTime::from_secs(2), SimDuration::from_secs(3));
        assert_eq!(SimTime::from_secs(2).saturating_since(SimTime::from_secs(5)), SimDuration::ZERO);
        assert!(SimTime::ZERO < SimTime::from_micros(1) && SimTime::from_micros(1) < SimTime::MAX);
        assert_eq!(format!("{:?}", SimTime::from_micros(7)), "SimTime(7)");
    }

    #[test]
    fn parses_go_durations_and_days() {
        let cases = [
            ("0", 0),
            ("30s", 30 * MICROS_PER_SECOND),
            ("10m", 10 * MICROS_PER_MINUTE),
            ("1h30m", 90 * MICROS_PER_MINUTE),
            ("2d", 2 * MICROS_PER_DAY),
            ("500ms", 500 * MICROS_PER_MILLI),
            ("1.5s", 1_500_000),
            ("1.5h", 90 * MICROS_PER_MINUTE),
            ("+5s", 5 * MICROS_PER_SECOND),
            ("1us", 1),
            ("1µs", 1),
            ("2000ns", 2),
            (".5s", 500_000),
            ("1h0m0s", MICROS_PER_HOUR),
            ("1d12h", MICROS_PER_DAY + 12 * MICROS_PER_HOUR),
        ];
        for (input, micros) in cases {
            assert_eq!(parse_duration(input), Ok(SimDuration(micros)), "{input}");
        }
    }

    #[test]
    fn rejects_bad_durations() {
        for input in [
            "",
            "-5s",
            "5",
            "s",
            "5x",
            "1.2.3s",
            "1h-5m",
            "1ns",
            " 5s",
            "5s ",
            "1e3s",
            "..s",
            "99999999999999999999999999999999999h",
        ] {
            assert!(parse_duration(input).is_err(), "{input} should be rejected");
        }
    }

    #[test]
    fn prints_like_go() {
        let cases = [
            (0, "0s"),
            (30 * MICROS_PER_SECOND, "30s"),
            (90 * MICROS_PER_MINUTE, "1h30m"),
            (MICROS_PER_HOUR + 5 * MICROS_PER_SECOND, "1h0m5s"),
            (250 * MICROS_PER_MILLI, "250ms"),
            (10 * MICROS_PER_MINUTE + 45_100_000, "10m45.1s"),
            (MICROS_PER_SECOND + 1, "1.000001s"),
            (2 * MICROS_PER_HOUR + 30_250_000, "2h0m30.25s"),
        ];
        for (micros, text) in cases {
            assert_eq!(SimDuration(micros).to_string(), text);
            assert_eq!(SimDuration(micros).text(), text);
        }
    }

    #[test]
    fn wall_clock_maps_virtual_time_to_unix_time() {
        // 2026-01-01T00:00:00.5Z.
        let clock = WallClock::from_unix_micros(1_767_225_600_500_000);
        assert_eq!(clock.unix_secs(SimTime::ZERO), 1_767_225_600);
        assert_eq!(clock.unix_millis(SimTime::from_micros(600)), 1_767_225_600_500);
        assert_eq!(clock.unix_secs(SimTime::from_micros(500_000)), 1_767_225_601);
        assert_eq!(clock.at_unix_millis(1_767_225_601_100), Some(SimTime::from_micros(600_000)));
        assert_eq!(clock.at_unix_millis(1_767_225_600_000), None, "before virtual time zero");
        let before_1970 = WallClock::from_unix_micros(-1_500_000);
        assert_eq!(before_1970.unix_secs(SimTime::ZERO), -2);
        assert_eq!(before_1970.unix_millis(SimTime::ZERO), -1_500);
    }

    #[test]
    fn ticks() {
        let five = SimDuration::from_secs(5);
        assert_eq!(SimTime::from_secs(7).ceil_to_tick(five, SimDuration::ZERO), SimTime::from_secs(10));
        assert_eq!(SimTime::from_secs(10).ceil_to_tick(five, SimDuration::ZERO), SimTime::from_secs(10));
        assert_eq!(SimTime::from_secs(10).next_tick_after(five, SimDuration::ZERO), SimTime::from_secs(15));
        let phase = SimDuration::from_secs(3);
        assert_eq!(SimTime::from_secs(4).ceil_to_tick(five, phase), SimTime::from_secs(8));
        assert_eq!(SimTime::from_secs(1).ceil_to_tick(five, phase), SimTime::from_secs(3));
    }
}
