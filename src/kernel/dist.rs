//! Duration distributions for simulated behaviour (run times, startup delays), sampled from
//! a named seeded stream.
//!
//! Written as a duration (`10m`: fixed) or a function of durations:
//! `uniform(5m, 15m)`, `exponential(10m)` (the mean), `normal(10m, 2m)` (mean and standard
//! deviation, truncated at zero), `lognormal(10m, 0.5)` (the median and the sigma of the
//! underlying normal), `weibull(30d, 1.5)` (the scale and the shape), and — built by the
//! scenario loader from a file, not by [`DurationDist::parse`] — an empirical distribution
//! (`empirical(repairs.csv)`: one of the observed values, each equally likely). Samples are rounded to whole milliseconds so that printed times stay
//! readable; sampling uses `rand_distr` on libm maths, so draws do not depend on the platform
//! C library.

use std::fmt;
use std::sync::Arc;

use rand_distr::{Distribution, Exp, LogNormal, Normal, Weibull};

use super::rng::{SimRng, uniform_below, unit_f64};
use super::time::{DurationError, MICROS_PER_MILLI, SimDuration, parse_duration};

/// A distribution over non-negative durations.
#[derive(Clone, Debug, PartialEq)]
pub enum DurationDist {
    Fixed(SimDuration),
    Uniform {
        low: SimDuration,
        high: SimDuration,
    },
    Exponential {
        mean: SimDuration,
    },
    Normal {
        mean: SimDuration,
        std_dev: SimDuration,
    },
    LogNormal {
        median: SimDuration,
        sigma: f64,
    },
    /// `scale · (−ln U)^(1/shape)`: shape 1 is the exponential of mean `scale`; above 1 the
    /// failure rate grows with age (wear-out), below 1 it falls (infant mortality).
    Weibull {
        scale: SimDuration,
        shape: f64,
    },
    /// The observed values (at least one), each drawn with equal probability.
    Empirical(Arc<Observed>),
}

/// The values of an empirical distribution and the file they came from (for messages), behind
/// one pointer:
/// the other variants are two words, and pods carry three `Option<DurationDist>`s.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    pub source: Arc<str>,
    pub values: Arc<[SimDuration]>,
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
            "weibull" => {
                arity(2)?;
                let shape: f64 =
                    args[1].parse().ok().filter(|s: &f64| s.is_finite() && *s >= 0.05 && *s <= 100.0).ok_or_else(
                        || format!("invalid distribution {text:?}: the shape must be a number in [0.05, 100]"),
                    )?;
                DurationDist::Weibull { scale: dur(args[0])?, shape }
            }
            "empirical" => {
                return Err(format!(
                    "invalid distribution {text:?}: empirical(FILE) is only accepted where the scenario can read a file (spec.faults)"
                ));
            }
            _ => {
                return Err(format!(
                    "unknown distribution {name:?} in {text:?}{} (use a duration, uniform(a, b), exponential(mean), normal(mean, sd), lognormal(median, sigma) or weibull(scale, shape))",
                    crate::suggest::did_you_mean(name, ["uniform", "exponential", "normal", "lognormal", "weibull"])
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
            DurationDist::Weibull { scale, shape } => {
                if scale.is_zero() {
                    return SimDuration::ZERO;
                }
                Weibull::new(scale.as_micros() as f64, shape).expect("validated parameters").sample(rng)
            }
            DurationDist::Empirical(ref o) => {
                return o.values[uniform_below(rng, o.values.len() as u64) as usize];
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
            DurationDist::Weibull { scale, shape } => {
                SimDuration::from_micros((scale.as_micros() as f64 * gamma(1.0 + 1.0 / shape)) as u64)
            }
            DurationDist::Empirical(ref o) => {
                let total: u128 = o.values.iter().map(|v| u128::from(v.as_micros())).sum();
                SimDuration::from_micros((total / o.values.len() as u128) as u64)
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
            DurationDist::Weibull { scale, shape } => write!(f, "weibull({scale}, {shape})"),
            DurationDist::Empirical(o) => write!(f, "empirical({})", o.source),
        }
    }
}

/// Γ(x) for x in [1, 21] (the Weibull mean needs Γ(1 + 1/shape)), by the Lanczos
/// approximation (g = 7, 9 terms), accurate to about 15 digits there; for reports only.
fn gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * a
}

/// Parses the values of an empirical distribution: one duration per row (`90s`, `2h30m`, or a
/// bare number of seconds such as `5400` or `12.5`), optionally under a header row `duration`
/// or `duration_s`; blank rows and rows starting with `#` are skipped; only the first column
/// is read. Errors carry the 1-based line.
pub fn parse_empirical(text: &str) -> Result<Vec<SimDuration>, (usize, String)> {
    let mut values = Vec::new();
    let mut first = true;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let row = raw.trim();
        if row.is_empty() || row.starts_with('#') {
            continue;
        }
        let cell = row.split(',').next().unwrap_or("").trim();
        if first && matches!(cell, "duration" | "duration_s") {
            first = false;
            continue;
        }
        first = false;
        let value = match cell.parse::<f64>() {
            Ok(secs) if secs.is_finite() && (0.0..=3.2e8).contains(&secs) => {
                SimDuration::from_micros((secs * 1e6).round() as u64)
            }
            Ok(_) => return Err((line, format!("{cell:?} is not a duration between 0 and 10 years"))),
            Err(_) => parse_duration(cell).map_err(|e| (line, e.to_string()))?,
        };
        values.push(value);
        if values.len() > 10_000_000 {
            return Err((line, "more than 10,000,000 values".to_string()));
        }
    }
    if values.is_empty() {
        return Err((1, "no values: write one duration per row".to_string()));
    }
    Ok(values)
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
        assert_eq!(
            DurationDist::parse("weibull(30d, 1.5)"),
            Ok(DurationDist::Weibull { scale: SimDuration::from_secs(30 * 86_400), shape: 1.5 })
        );
        for bad in ["weibull(1d)", "weibull(1d, 0)", "weibull(1d, nan)", "weibull(-1d, 2)", "empirical(x.csv)"] {
            assert!(DurationDist::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn weibull_of_shape_one_is_the_exponential_and_means_are_right() {
        // Shape 1: mean = scale. Shape 2: mean = scale · Γ(1.5) = scale · √π / 2.
        assert_eq!(DurationDist::parse("weibull(1000s, 1)").unwrap().mean(), SimDuration::from_secs(1000));
        let m = DurationDist::parse("weibull(1000s, 2)").unwrap().mean().as_micros() as f64 / 1e6;
        assert!((m - 1000.0 * std::f64::consts::PI.sqrt() / 2.0).abs() < 1e-3, "{m}");
        // The sample mean follows (2000 draws, loose bounds).
        let d = DurationDist::parse("weibull(10m, 2)").unwrap();
        let mut rng = Streams::new(7).stream("w");
        let total: u64 = (0..2000).map(|_| d.sample(&mut rng).as_micros()).sum();
        let mean_mins = total as f64 / 2000.0 / 60e6;
        assert!((8.2..9.5).contains(&mean_mins), "{mean_mins}");
    }

    #[test]
    fn empirical_values_are_resampled() {
        let values = parse_empirical("duration\n# repairs\n90s\n\n2h\n5400\n").unwrap();
        assert_eq!(values, [SimDuration::from_secs(90), SimDuration::from_secs(7200), SimDuration::from_secs(5400)]);
        let d = DurationDist::Empirical(Arc::new(Observed { source: "r.csv".into(), values: values.clone().into() }));
        assert_eq!(d.mean(), SimDuration::from_secs((90 + 7200 + 5400) / 3));
        let mut rng = Streams::new(1).stream("e");
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let x = d.sample(&mut rng);
            assert!(values.contains(&x));
            seen.insert(x);
        }
        assert_eq!(seen.len(), 3, "every value is drawn");
        assert_eq!(parse_empirical("10s\nsoon\n").unwrap_err().0, 2);
        assert_eq!(parse_empirical("-5\n").unwrap_err().0, 1);
        assert!(parse_empirical("# nothing\n").is_err());
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
