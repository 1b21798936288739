//! Liveness and readiness probes (`pkg/kubelet/prober/worker.go`), computed rather than
//! ticked: a probe's results are a function of the container's start, its probe parameters
//! and the spans of time during which it fails, so the kubelet asks this module for the next
//! instant at which a probe result changes something, and sets one timer for it.
//!
//! A probe runs at its ticks, `container start + initialDelaySeconds + k · periodSeconds`
//! (the real worker's ticker is phased by when the pod was added to the kubelet and skips
//! ticks before `initialDelaySeconds`; counting from the container's start keeps the phase
//! of each run deterministic and matches the readiness rounding of the pod's startup). A probe
//! fails at a tick inside a [`FailWindow`]; its result is known at once, or, when the app hangs,
//! `timeoutSeconds` after the tick (the probe times out). `failureThreshold` failures in a row
//! flip the result to Failure, `successThreshold` successes in a row to Success — the worker's
//! `resultRun` counting.

use crate::api::pod::Probe;
use crate::kernel::{SimDuration, SimTime};

/// The probes a scenario can make fail (`failProbe`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProbeKind {
    Liveness,
    Readiness,
}

impl ProbeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Liveness => "liveness",
            ProbeKind::Readiness => "readiness",
        }
    }
}

/// A span of virtual time `[from, until)` during which a probe fails (`until` may be
/// [`SimTime::MAX`]: forever). `hang`: the app does not answer, so the probe fails by timing
/// out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailWindow {
    pub from: SimTime,
    pub until: SimTime,
    pub hang: bool,
}

/// The ticks of one probe during one container run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticks {
    first: SimTime,
    period: SimDuration,
    timeout: SimDuration,
}

impl Ticks {
    pub fn new(probe: &Probe, started: SimTime) -> Ticks {
        Ticks {
            first: started.saturating_add(SimDuration::from_secs(probe.initial_delay_seconds.max(0) as u64)),
            period: SimDuration::from_secs(probe.period_seconds.max(1) as u64),
            timeout: SimDuration::from_secs(probe.timeout_seconds.max(1) as u64),
        }
    }

    /// The first tick at or after `t`.
    pub fn at_or_after(&self, t: SimTime) -> SimTime {
        t.ceil_to_tick(self.period, SimDuration::from_micros(self.first.as_micros()))
    }

    pub fn period(&self) -> SimDuration {
        self.period
    }

    /// When the result of the probe at `tick` is known.
    fn reported(&self, tick: SimTime, hang: bool) -> SimTime {
        if hang { tick.saturating_add(self.timeout) } else { tick }
    }
}

/// Whether a probe at `t` fails: `Some(hang)` if it does (`hang`: by timing out).
fn failing(windows: &[FailWindow], t: SimTime) -> Option<bool> {
    let mut result = None;
    for w in windows.iter().filter(|w| w.from <= t && t < w.until) {
        result = Some(result.unwrap_or(false) || w.hang);
    }
    result
}

/// A run of `threshold` failed probes, the first at or after `from`: the tick of the last one
/// and when its result is known. `None`: it never happens.
pub fn failure_run(ticks: &Ticks, windows: &[FailWindow], from: SimTime, threshold: i32) -> Option<(SimTime, SimTime)> {
    let threshold = threshold.max(1) as u32;
    let mut t = ticks.at_or_after(from);
    let mut run = 0u32;
    loop {
        if t == SimTime::MAX {
            return None;
        }
        match failing(windows, t) {
            Some(hang) => {
                run += 1;
                if run >= threshold {
                    return Some((t, ticks.reported(t, hang)));
                }
                t = t.saturating_add(ticks.period);
            }
            None => {
                run = 0;
                // No probe fails before the next window opens.
                let next = windows.iter().filter(|w| w.until > t).map(|w| w.from.max(t)).min()?;
                let next_tick = ticks.at_or_after(next);
                t = if next_tick == t { t.saturating_add(ticks.period) } else { next_tick };
            }
        }
    }
}

/// A run of `threshold` successful probes, the first at or after `from`: the tick of the last
/// one (successes are known at once). `None`: the probe never succeeds that often again.
pub fn success_run(ticks: &Ticks, windows: &[FailWindow], from: SimTime, threshold: i32) -> Option<SimTime> {
    let threshold = threshold.max(1) as u32;
    let mut t = ticks.at_or_after(from);
    let mut run = 0u32;
    loop {
        if t == SimTime::MAX {
            return None;
        }
        match failing(windows, t) {
            None => {
                run += 1;
                if run >= threshold {
                    return Some(t);
                }
                t = t.saturating_add(ticks.period);
            }
            Some(_) => {
                run = 0;
                // Skip to the end of the windows covering this tick.
                let end = windows.iter().filter(|w| w.from <= t && t < w.until).map(|w| w.until).max()?;
                if end == SimTime::MAX {
                    return None;
                }
                t = ticks.at_or_after(end);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> SimTime {
        SimTime::from_secs(secs)
    }

    fn ticks() -> Ticks {
        Ticks::new(&Probe::default(), s(100))
    }

    #[test]
    fn a_hang_fails_three_ticks_then_times_out() {
        let hang = [FailWindow { from: s(400), until: SimTime::MAX, hang: true }];
        // Ticks at 100, 110, ...: 400, 410, 420 fail; the third result is known at 421.
        assert_eq!(failure_run(&ticks(), &hang, s(100), 3), Some((s(420), s(421))));
        assert_eq!(success_run(&ticks(), &hang, s(430), 1), None);
        let between = [FailWindow { from: s(395), until: SimTime::MAX, hang: true }];
        assert_eq!(failure_run(&ticks(), &between, s(100), 3), Some((s(420), s(421))));
    }

    #[test]
    fn a_short_window_between_ticks_fails_nothing() {
        let w = [FailWindow { from: s(401), until: s(409), hang: false }];
        assert_eq!(failure_run(&ticks(), &w, s(100), 1), None);
        let w = [FailWindow { from: s(401), until: s(425), hang: false }];
        assert_eq!(failure_run(&ticks(), &w, s(100), 3), None, "two failures, then a success");
        assert_eq!(failure_run(&ticks(), &w, s(100), 2), Some((s(420), s(420))));
        assert_eq!(success_run(&ticks(), &w, s(410), 1), Some(s(430)));
        assert_eq!(success_run(&ticks(), &w, s(410), 2), Some(s(440)));
    }

    /// The runs by brute force: every tick up to `horizon`, one by one.
    fn brute(ticks: &Ticks, windows: &[FailWindow], from: SimTime, threshold: i32, fail: bool) -> Option<SimTime> {
        let horizon = s(5_000);
        let mut t = ticks.at_or_after(from);
        let mut run = 0;
        while t <= horizon {
            if failing(windows, t).is_some() == fail {
                run += 1;
                if run >= threshold {
                    return Some(t);
                }
            } else {
                run = 0;
            }
            t = t + ticks.period;
        }
        None
    }

    proptest::proptest! {
        #[test]
        fn runs_match_ticking_one_by_one(
            spans in proptest::collection::vec((0u64..1_000, 0u64..200, proptest::bool::ANY, 0u8..8), 0..4),
            delay in 0i32..30,
            period in 1i32..25,
            threshold in 1i32..5,
            from in 0u64..600,
        ) {
            let probe = Probe { initial_delay_seconds: delay, period_seconds: period, ..Probe::default() };
            let ticks = Ticks::new(&probe, s(7));
            let windows: Vec<FailWindow> = spans
                .iter()
                .map(|&(start, len, hang, forever)| FailWindow {
                    from: s(start),
                    until: if forever == 0 { SimTime::MAX } else { s(start + len) },
                    hang,
                })
                .collect();
            let from = s(from);
            let failure = failure_run(&ticks, &windows, from, threshold);
            proptest::prop_assert_eq!(failure.map(|(tick, _)| tick), brute(&ticks, &windows, from, threshold, true));
            if let Some((tick, at)) = failure {
                let hang = failing(&windows, tick) == Some(true);
                proptest::prop_assert_eq!(at, if hang { tick + SimDuration::from_secs(1) } else { tick });
            }
            // Beyond the horizon only an endless failure remains, which never succeeds.
            proptest::prop_assert_eq!(success_run(&ticks, &windows, from, threshold), brute(&ticks, &windows, from, threshold, false));
        }
    }

    #[test]
    fn adjacent_windows_make_one_run() {
        let w = [
            FailWindow { from: s(400), until: s(411), hang: false },
            FailWindow { from: s(411), until: s(440), hang: false },
        ];
        assert_eq!(failure_run(&ticks(), &w, s(100), 3), Some((s(420), s(420))));
        assert_eq!(success_run(&ticks(), &w, s(420), 1), Some(s(440)));
    }
}
