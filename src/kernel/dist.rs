//! Duration distributions for simulated behaviour (run times, startup delays), sampled from
//! a named seeded stream.
//!
//! Written as a duration (`10m`: fixed) or a function of durations:
//! `uniform(5m, 15m)`, `exponential(10m)` (the mean), `normal(10m, 2m)` (mean and standard
//! deviation, truncated at zero), `lognormal(10m, 0.5)` (the median and the sigma of the
//! underlying normal). Samples are rounded to whole milliseconds so that printed times stay
//! readable; sampling uses `rand_distr` on libm maths, so draws do not depend on the platform
//! C library.

use std::fmt;

use rand_distr::{Distribution, Exp, LogNormal, Normal};

use super::rng::{SimRng, unit_f64};
use super::time::{DurationError, MICROS_PER_MILLI, SimDuration, parse_duration};

/// A distribution over non-negative durations.
#[derive(Clone, Debug, PartialEq)]
pub enum DurationDist {
    Fixed(SimDuration),
    Uniform { low: SimDuration, high: SimDuration },
    Exponential { mean: SimDuration },
    Normal { mean: SimDuration, std_dev: SimDuration },
    LogNormal { median: SimDuration, sigma: f64 },
}

impl DurationDist {
    /// Parses the textual form described in the module documentation.
    pub fn parse(text: &str) -> Result<DurationDist, String> {
        let text = text.trim();
        let Some(open) = text.find('(') else {
            return parse_duration(text).map(DurationDist::Fixed).map_err(|e| e.to_string());
        };
        let name = &text[..open];
        let Some(inner) = text[open + 1..].strip_suffix(')') else {
            return Err(format!("invalid distribution {text:?}: missing closing parenthesis"));
        };
        let args: Vec<&str> = inner.split(',').map(str::trim).collect();
        let dur = |s: &str| parse_duration(s).map_err(|e: DurationError| e.to_string());
        let arity = |n: usize| {
            if args.len() == n {
                Ok(())
            } else {
                Err(format!("invalid distribution {text:?}: {name} takes {n} argument(s), got {}", args.len()))
            }
        };
        let dist = match name {
            "uniform" => {
                arity(2)?;
                let (low, high) = (dur(args[0])?, dur(args[1])?);
                if low > high {
                    return Err(format!("invalid distribution {text:?}: the lower bound is above the upper bound"));
                }
                DurationDist::Uniform { low, high }
            }
            "exponential" | "exp" => {
                arity(1)?;
                DurationDist::Exponential { mean: dur(args[0])? }
            }
            "normal" => {
                arity(2)?;
                DurationDist::Normal { mean: dur(args[0])?, std_dev: dur(args[1])? }
            }
            "lognormal" => {
                arity(2)?;
                let sigma: f64 = args[1]
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s <= 10.0)
                    .ok_or_else(|| format!("invalid distribution {text:?}: sigma must be a number in [0, 10]"))?;
                DurationDist::LogNormal { median: dur(args[0])?, sigma }
            }
            _ => {
                return Err(format!(
                    "unknown distribution {name:?} in {text:?}{} (use a duration, uniform(a, b), exponential(mean), normal(mean, sd) or lognormal(median, sigma))",
                    crate::suggest::did_you_mean(name, ["uniform", "exponential", "normal", "lognormal"])
                ));
            }
        };
        Ok(dist)
    }

    /// Draws one duration. Fixed values do not consume randomness.
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        let micros: f64 = match *self {
            DurationDist::Fixed(d) => return d,
            DurationDist::Uniform { low, high } => {
                let span = (high.as_micros() - low.as_micros()) as f64;
                low.as_micros() as f64 + unit_f64(rng) * span
            }
            DurationDist::Exponential { mean } => {
                if mean.is_zero() {
                    return SimDuration::ZERO;
                }
                let exp = Exp::new(1.0 / mean.as_micros() as f64).expect("positive rate");
                exp.sample(rng)
            }
            DurationDist::Normal { mean, std_dev } => {
                let normal =
                    Normal::new(mean.as_micros() as f64, std_dev.as_micros() as f64).expect("finite parameters");
                normal.sample(rng)
            }
            DurationDist::LogNormal { median, sigma } => {
                if median.is_zero() {
                    return SimDuration::ZERO;
                }
                let mu = (median.as_micros() as f64).ln();
                LogNormal::new(mu, sigma).expect("finite parameters").sample(rng)
            }
        };
        // Round to whole milliseconds; clamp negative draws (the normal's tail) to zero and
        // absurd ones to ten years.
        let millis = (micros / MICROS_PER_MILLI as f64).round();
        let millis = if millis.is_finite() { millis.clamp(0.0, 3.2e11) } else { 0.0 };
        SimDuration::from_millis(millis as u64)
    }

    /// The mean, for reports.
    pub fn mean(&self) -> SimDuration {
        match *self {
            DurationDist::Fixed(d) => d,
            DurationDist::Uniform { low, high } => SimDuration::from_micros((low.as_micros() + high.as_micros()) / 2),
            DurationDist::Exponential { mean } | DurationDist::Normal { mean, .. } => mean,
            DurationDist::LogNormal { median, sigma } => {
                SimDuration::from_micros((median.as_micros() as f64 * (sigma * sigma / 2.0).exp()) as u64)
            }
        }
    }
}

impl fmt::Display for DurationDist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationDist::Fixed(d) => write!(f, "{d}"),
            DurationDist::Uniform { low, high } => write!(f, "uniform({low}, {high})"),
            DurationDist::Exponential { mean } => write!(f, "exponential({mean})"),
            DurationDist::Normal { mean, std_dev } => write!(f, "normal({mean}, {std_dev})"),
            DurationDist::LogNormal { median, sigma } => write!(f, "lognormal({median}, {sigma})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::Streams;

    #[test]
    fn parses_forms() {
        assert_eq!(DurationDist::parse("10m"), Ok(DurationDist::Fixed(SimDuration::from_mins(10))));
        assert_eq!(
            DurationDist::parse("uniform(5m, 15m)"),
            Ok(DurationDist::Uniform { low: SimDuration::from_mins(5), high: SimDuration::from_mins(15) })
        );
        assert!(matches!(DurationDist::parse("exponential(1h)"), Ok(DurationDist::Exponential { .. })));
        assert!(matches!(DurationDist::parse("lognormal(10m, 0.5)"), Ok(DurationDist::LogNormal { .. })));
        for bad in
            ["uniform(15m, 5m)", "uniform(5m)", "gauss(1s)", "normal(1s, x)", "exponential(1s", "lognormal(1s, -1)", ""]
        {
            assert!(DurationDist::parse(bad).is_err(), "{bad}");
        }
        assert!(DurationDist::parse("expnential(1s)").unwrap_err().contains("did you mean \"exponential\""));
    }

    #[test]
    fn samples_are_in_range_and_reproducible() {
        let streams = Streams::new(42);
        let d = DurationDist::parse("uniform(5m, 15m)").unwrap();
        let mut rng = streams.stream("t");
        for _ in 0..1000 {
            let x = d.sample(&mut rng);
            assert!(x >= SimDuration::from_mins(5) && x <= SimDuration::from_mins(15));
        }
        let e = DurationDist::parse("exponential(10m)").unwrap();
        let draw = |seed| e.sample(&mut Streams::new(seed).stream("t"));
        assert_eq!(draw(1), draw(1));
        // The sample mean of an exponential is close to its mean (loose: 2000 draws).
        let mut rng = streams.stream("mean");
        let total: u64 = (0..2000).map(|_| e.sample(&mut rng).as_micros()).sum();
        let mean_mins = total as f64 / 2000.0 / 60e6;
        assert!((8.5..11.5).contains(&mean_mins), "{mean_mins}");
        let n = DurationDist::parse("normal(1s, 10s)").unwrap();
        for _ in 0..100 {
            let _ = n.sample(&mut rng); // never negative: SimDuration cannot be.
        }
    }
}
