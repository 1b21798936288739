//! Generated workloads: arrival processes (Poisson, two-state MMPP, a diurnal Poisson process,
//! evenly spaced arrivals) and the sizes and run times of the pods that arrive — from size
//! distributions or sampled from a trace's rows — all drawn from named seeded streams.
//! See `docs/traces.md` for the formulas.
//!
//! Arrival times depend only on the seed and the process: the arrivals of one workload come
//! from the stream `workload.arrivals.<name>`, and pod `k`'s sizes and run time from streams
//! keyed by the workload's name and `k`, so two scheduling policies run with one seed see the
//! same pods at the same instants (common random numbers). Gaps are drawn in floating point
//! and rounded to whole microseconds; the simulation's time stays an integer.

use std::sync::Arc;

use rand_distr::{Distribution, Exp};

use crate::kernel::dist::DurationDist;
use crate::kernel::rng::{SimRng, uniform_below, unit_f64};
use crate::kernel::{SimDuration, SimTime, Streams};
use crate::workload::trace::{GpuAsk, TracePod};

/// No arrival is generated after 100 years.
const HORIZON_MICROS: u64 = 100 * 365 * 86_400 * 1_000_000;
const DAY_MICROS: u64 = 86_400 * 1_000_000;

/// An arrival process; rates are arrivals per second.
#[derive(Clone, Debug, PartialEq)]
pub enum ArrivalProcess {
    /// A homogeneous Poisson process: exponential gaps of mean `1 / rate`.
    Poisson { rate: f64 },
    /// A two-state Markov-modulated Poisson process: in state `i` arrivals come at `rates[i]`
    /// and the state lasts an exponential time of mean `sojourn[i]`; it starts in state 0.
    Mmpp { rates: [f64; 2], sojourn: [SimDuration; 2] },
    /// A non-homogeneous Poisson process of rate
    /// `min + (max − min) · (1 + cos(2π (t − peakAt) / 24 h)) / 2`, drawn by thinning.
    Diurnal { min: f64, max: f64, peak_at: SimDuration },
    /// One arrival every `gap` (the first at `start + gap`): no randomness at all.
    Every { gap: SimDuration },
}

impl ArrivalProcess {
    /// The rate at virtual time `t` (for the diurnal process; the others' mean rate).
    pub fn rate_at(&self, t: SimTime) -> f64 {
        match *self {
            ArrivalProcess::Poisson { rate } => rate,
            ArrivalProcess::Mmpp { rates, sojourn } => {
                let (a, b) = (sojourn[0].as_micros() as f64, sojourn[1].as_micros() as f64);
                (rates[0] * a + rates[1] * b) / (a + b)
            }
            ArrivalProcess::Diurnal { min, max, peak_at } => {
                let phase = (t.as_micros() + DAY_MICROS - peak_at.as_micros() % DAY_MICROS) % DAY_MICROS;
                min + (max - min) * (1.0 + crate::load::cos_turns(phase, DAY_MICROS)) / 2.0
            }
            ArrivalProcess::Every { gap } => 1e6 / gap.as_micros().max(1) as f64,
        }
    }
}

/// The running state of an arrival process.
#[derive(Clone, Debug)]
pub struct Arrivals {
    process: ArrivalProcess,
    rng: SimRng,
    /// Microseconds of the last arrival (or the start).
    t: u64,
    state: usize,
    switch_at: u64,
}

/// An exponential gap of the given rate per second, in whole microseconds.
fn gap(rng: &mut SimRng, rate_per_second: f64) -> u64 {
    if rate_per_second <= 0.0 || !rate_per_second.is_finite() {
        return u64::MAX;
    }
    let seconds: f64 = Exp::new(rate_per_second).expect("positive rate").sample(rng);
    let micros = (seconds * 1e6).round();
    if micros.is_finite() && micros < HORIZON_MICROS as f64 { micros as u64 } else { u64::MAX }
}

fn sojourn(rng: &mut SimRng, mean: SimDuration) -> u64 {
    gap(rng, 1e6 / mean.as_micros().max(1) as f64)
}

impl Arrivals {
    /// The process started at `start`, drawing from `rng`.
    pub fn new(process: ArrivalProcess, mut rng: SimRng, start: SimTime) -> Arrivals {
        let switch_at = match &process {
            ArrivalProcess::Mmpp { sojourn: s, .. } => start.as_micros().saturating_add(sojourn(&mut rng, s[0])),
            _ => u64::MAX,
        };
        Arrivals { process, rng, t: start.as_micros(), state: 0, switch_at }
    }

    /// The MMPP's current state (0 or 1; always 0 for the other processes).
    pub fn state(&self) -> usize {
        self.state
    }
}

impl Iterator for Arrivals {
    type Item = SimTime;

    /// The next arrival time (`None`: none within 100 years).
    fn next(&mut self) -> Option<SimTime> {
        loop {
            if self.t >= HORIZON_MICROS {
                return None;
            }
            match self.process {
                ArrivalProcess::Poisson { rate } => {
                    self.t = self.t.saturating_add(gap(&mut self.rng, rate));
                    return (self.t < HORIZON_MICROS).then(|| SimTime::ZERO + SimDuration::from_micros(self.t));
                }
                ArrivalProcess::Mmpp { rates, sojourn: s } => {
                    // Competing exponentials: memorylessness lets the gap be drawn afresh
                    // after every switch.
                    let next = self.t.saturating_add(gap(&mut self.rng, rates[self.state]));
                    if next < self.switch_at {
                        self.t = next;
                        return (self.t < HORIZON_MICROS).then(|| SimTime::ZERO + SimDuration::from_micros(self.t));
                    }
                    self.t = self.switch_at;
                    self.state ^= 1;
                    self.switch_at = self.t.saturating_add(sojourn(&mut self.rng, s[self.state]));
                }
                ArrivalProcess::Every { gap } => {
                    self.t = self.t.saturating_add(gap.as_micros().max(1));
                    return (self.t < HORIZON_MICROS).then(|| SimTime::ZERO + SimDuration::from_micros(self.t));
                }
                ArrivalProcess::Diurnal { max, .. } => {
                    // Lewis–Shedler thinning: candidates at the peak rate, each kept with
                    // probability rate(t) / max.
                    self.t = self.t.saturating_add(gap(&mut self.rng, max));
                    if self.t >= HORIZON_MICROS {
                        return None;
                    }
                    let at = SimTime::ZERO + SimDuration::from_micros(self.t);
                    if unit_f64(&mut self.rng) * max < self.process.rate_at(at) {
                        return Some(at);
                    }
                }
            }
        }
    }
}

/// A size (millicores or bytes): fixed, one of several values (weighted), or uniform on a grid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SizeDist {
    Fixed(u64),
    /// `values[i]` with probability `weights[i] / Σ weights`.
    Choice {
        values: Vec<u64>,
        weights: Vec<u64>,
    },
    /// `low + step · U{0, …, (high − low) / step}`.
    Uniform {
        low: u64,
        high: u64,
        step: u64,
    },
}

impl SizeDist {
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        match self {
            SizeDist::Fixed(v) => *v,
            SizeDist::Choice { values, weights } => {
                let total: u64 = weights.iter().sum();
                let mut x = uniform_below(rng, total.max(1));
                for (v, w) in values.iter().zip(weights) {
                    if x < *w {
                        return *v;
                    }
                    x -= w;
                }
                values.last().copied().unwrap_or(0)
            }
            SizeDist::Uniform { low, high, step } => {
                let steps = (high - low) / step.max(&1);
                low + step * uniform_below(rng, steps + 1)
            }
        }
    }
}

/// What generated pods ask for.
#[derive(Clone, Debug, PartialEq)]
pub enum Shapes {
    /// cpu and memory from their own distributions; no GPU.
    Sizes { cpu_milli: SizeDist, memory_bytes: SizeDist },
    /// Each pod a copy of a row drawn uniformly, with replacement, from a trace (its cpu,
    /// memory, GPUs, GPU models, QoS or priority and owner kind): a bootstrap of the trace's
    /// job mix, without its arrival times.
    Sample { file: String, pods: Arc<[TracePod]> },
}

/// A generated pod's run time.
#[derive(Clone, Debug, PartialEq)]
pub enum RunTime {
    Dist(DurationDist),
    /// The sampled row's own run time (`Shapes::Sample` only).
    Trace,
}

/// `spec.workload[].generate`.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerateSpec {
    pub arrivals: ArrivalProcess,
    /// No arrival before this time.
    pub start: SimTime,
    /// At most this many pods.
    pub count: Option<u64>,
    /// No arrival after this time.
    pub until: Option<SimTime>,
    /// No arrival once the pods generated so far request this many percent of the GPUs of
    /// the nodes present at the start (in GPU thousandths: a whole device is 1000, a share its
    /// `gpu-milli`).
    pub gpu_requests_percent: Option<u64>,
    pub shapes: Shapes,
    /// Run time of each pod (`None`: runs until the end).
    pub duration: Option<RunTime>,
}

/// What a generated pod asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drawn {
    pub cpu_milli: u64,
    pub memory_bytes: u64,
    pub duration: Option<SimDuration>,
    /// The sampled trace row (`Shapes::Sample`).
    pub row: Option<usize>,
    pub gpu: GpuAsk,
}

impl Drawn {
    /// GPU thousandths requested: 1000 per whole device, or the share.
    pub fn gpu_milli(&self) -> u64 {
        match self.gpu {
            GpuAsk::None => 0,
            GpuAsk::Whole(k) => 1000 * u64::from(k),
            GpuAsk::Milli(m) => u64::from(m),
        }
    }
}

/// Stream names of a generated workload.
pub const ARRIVALS_STREAM: &str = "workload.arrivals";
pub const SIZES_STREAM: &str = "workload.sizes";
pub const DURATIONS_STREAM: &str = "workload.durations";

impl GenerateSpec {
    /// The arrival times of workload `name` under `streams`.
    pub fn arrivals(&self, name: &str, streams: &Streams) -> Arrivals {
        Arrivals::new(self.arrivals.clone(), streams.stream(&format!("{ARRIVALS_STREAM}.{name}")), self.start)
    }

    /// Pod `k`'s sizes and run time.
    pub fn draw(&self, name: &str, k: u64, streams: &Streams) -> Drawn {
        let mut rng = streams.keyed(SIZES_STREAM, name, k);
        let mut drawn = match &self.shapes {
            Shapes::Sizes { cpu_milli, memory_bytes } => Drawn {
                cpu_milli: cpu_milli.sample(&mut rng),
                memory_bytes: memory_bytes.sample(&mut rng),
                duration: None,
                row: None,
                gpu: GpuAsk::None,
            },
            Shapes::Sample { pods, .. } => {
                let row = uniform_below(&mut rng, pods.len() as u64) as usize;
                let p = &pods[row];
                Drawn {
                    cpu_milli: p.cpu_milli,
                    memory_bytes: p.memory_bytes,
                    duration: None,
                    row: Some(row),
                    gpu: p.gpu,
                }
            }
        };
        drawn.duration = match (&self.duration, &self.shapes) {
            (Some(RunTime::Dist(d)), _) => Some(d.sample(&mut streams.keyed(DURATIONS_STREAM, name, k))),
            (Some(RunTime::Trace), Shapes::Sample { pods, .. }) => drawn.row.and_then(|r| pods[r].duration),
            _ => None,
        };
        drawn
    }
}

/// Parses a rate: arrivals per second (`0.5`), or per unit: `30/s`, `30/m` (or `/min`), `2/h`,
/// `100/d`.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let (number, per) = match text.split_once('/') {
        Some((n, unit)) => {
            let per = match unit.trim() {
                "s" => 1.0,
                "m" | "min" => 60.0,
                "h" => 3600.0,
                "d" => 86_400.0,
                other => return Err(format!("unknown rate unit {other:?}: write N/s, N/m, N/h or N/d")),
            };
            (n.trim(), per)
        }
        None => (text.trim(), 1.0),
    };
    let value: f64 =
        number.parse().ok().filter(|v: &f64| v.is_finite() && *v >= 0.0 && *v <= 1e9).ok_or_else(|| {
            format!("invalid rate {text:?}: write a non-negative number per second, or N/s, N/m, N/h, N/d")
        })?;
    Ok(value / per)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take_until(a: Arrivals, end: u64) -> Vec<u64> {
        let mut out = Vec::new();
        for t in a {
            if t.as_micros() > end {
                break;
            }
            out.push(t.as_micros());
        }
        out
    }

    #[test]
    fn rates_parse() {
        assert_eq!(parse_rate("30/m"), Ok(0.5));
        assert_eq!(parse_rate("2"), Ok(2.0));
        assert_eq!(parse_rate("7200/h"), Ok(2.0));
        assert!(parse_rate("-1").is_err());
        assert!(parse_rate("3/week").is_err());
    }

    #[test]
    fn the_same_seed_gives_the_same_arrivals() {
        let p = ArrivalProcess::Poisson { rate: 1.0 };
        let a = take_until(Arrivals::new(p.clone(), Streams::new(3).stream("x"), SimTime::ZERO), 100_000_000);
        let b = take_until(Arrivals::new(p.clone(), Streams::new(3).stream("x"), SimTime::ZERO), 100_000_000);
        let c = take_until(Arrivals::new(p, Streams::new(4).stream("x"), SimTime::ZERO), 100_000_000);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn sizes_follow_their_distribution() {
        let mut rng = Streams::new(1).stream("s");
        let c = SizeDist::Choice { values: vec![1, 2], weights: vec![3, 1] };
        let ones = (0..4000).filter(|_| c.sample(&mut rng) == 1).count();
        // Binomial(4000, 0.75): sd ≈ 27; 5 sd.
        assert!((2865..=3135).contains(&ones), "{ones}");
        let u = SizeDist::Uniform { low: 500, high: 4000, step: 500 };
        for _ in 0..200 {
            let v = u.sample(&mut rng);
            assert!((500..=4000).contains(&v) && v.is_multiple_of(500));
        }
    }
}
