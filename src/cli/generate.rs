//! `kubesim generate scale --nodes N --pods P [--duration 1d] --out S.yaml`: writes a scale
//! scenario — node pools of three sizes over zones, Deployments (Services behind them, one
//! rolling update each, a third scaled up and down), one-pod Jobs arriving over the run from a
//! generator, and node failures drawn from an MTBF — sized so that about `P` pods are created
//! in all. Only existing scenario features are used; the sizing formulas are in
//! `docs/scale.md`. The text depends only on the flags (and `--seed`, which also becomes
//! `spec.seed`): integer arithmetic and a seeded SplitMix64, no wall clock, no hash order.
//! The written scenario is loaded once before the command succeeds. Exit codes: 0 written,
//! 2 a bad flag or an unwritable file.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Subcommand;

use crate::kernel::{SimDuration, parse_duration};

#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    #[command(subcommand)]
    pub kind: GenerateKind,
}

#[derive(Subcommand, Debug)]
pub enum GenerateKind {
    /// A scale scenario: node pools, Deployments with rollouts and scale events, Jobs
    /// arriving over the run, node failures; about --pods pods created in all (docs/scale.md).
    Scale(ScaleArgs),
}

#[derive(clap::Args, Debug, Clone)]
pub struct ScaleArgs {
    /// Number of nodes (1..1,000,000), split 40 % small (8 cpu), 40 % medium (16 cpu), 20 %
    /// large (32 cpu).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub nodes: u32,
    /// Pods created over the whole run, approximately (1..100,000,000).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub pods: u64,
    /// Simulated time (whole seconds, 1m..365d), e.g. 1h, 1d.
    #[arg(long, default_value = "1d", value_parser = parse_run_length)]
    pub duration: SimDuration,
    /// The scenario file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// spec.seed, and the seed of the generator's own choices (deployment sizes and times).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of zones (1..26: zone-a, zone-b, ...); every pool spreads over them.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=26))]
    pub zones: u32,
    /// Mean time between failures of each node (exponential), or "none" for no failures.
    #[arg(long, default_value = "30d", value_parser = parse_mtbf)]
    pub mtbf: Mtbf,
    /// metadata.name of the scenario (default: the output file's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Percent of the cluster's cpu the Jobs' pods request on average (1..1000); the
    /// Deployments take ~30 % more, so above ~70 the cluster is over capacity at times and
    /// pods wait, are rejected and retried: a loaded cluster (docs/scale.md).
    #[arg(long, default_value_t = JOB_SHARE, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub job_cpu_share: u64,
}

/// `--mtbf`: a positive duration, or no failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mtbf {
    None,
    Every(SimDuration),
}

const SECOND: u64 = 1_000_000;
const DAY_SECS: u64 = 86_400;

fn parse_run_length(s: &str) -> Result<SimDuration, String> {
    let d = parse_duration(s).map_err(|e| e.to_string())?;
    let us = d.as_micros();
    if !us.is_multiple_of(SECOND) {
        return Err("must be a whole number of seconds".into());
    }
    if !(60..=365 * DAY_SECS).contains(&(us / SECOND)) {
        return Err("must be between 1m and 365d".into());
    }
    Ok(d)
}

fn parse_mtbf(s: &str) -> Result<Mtbf, String> {
    if s == "none" {
        return Ok(Mtbf::None);
    }
    let d = parse_duration(s).map_err(|e| format!("{e}, or none"))?;
    if d.as_micros() < 60 * SECOND {
        return Err("must be at least 1m (or none for no failures)".into());
    }
    Ok(Mtbf::Every(d))
}

/// SplitMix64: the generator's own choices, from `--seed` only (the simulation's streams are
/// the engine's business).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is below 2^-40 for the ranges used here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `[lo, hi)` (whole seconds).
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below((hi - lo).max(1))
    }
}

/// A node pool: name, share of the nodes in percent, cpu, memory in GiB.
const POOLS: [(&str, u64, u64, u64); 3] = [("small", 40, 8, 32), ("medium", 40, 16, 64), ("large", 20, 32, 128)];
/// Deployment replica counts (equal weights; mean 37) and cpu requests in millicores (memory
/// 2 GiB per cpu).
const REPLICAS: [u64; 5] = [5, 10, 20, 50, 100];
const SERVICE_CPU: [u64; 3] = [250, 500, 1000];
/// Upper bound of the services' mean cpu request (583m), for the capacity cap.
const SERVICE_CPU_MEAN: u64 = 584;
/// Percent of the cluster's cpu the Deployments may request at most (before scale-ups).
const SERVICE_SHARE: u64 = 30;
/// Percent of the pods the Deployments should create (initial replicas, rollout, scale-up):
/// `R ≈ P · 10 % / 2.17`.
const SERVICE_PODS_PERCENT: u64 = 10;
/// Percent of the cluster's cpu the Jobs' pods request on average (at the daily mean rate),
/// unless `--job-cpu-share` says otherwise.
const JOB_SHARE: u64 = 25;
/// Job cpu choices (millicores) and weights: mean exactly 1000m.
const JOB_CPU: [(&str, u64); 5] = [("250m", 4), ("500m", 4), ("\"1\"", 3), ("\"2\"", 2), ("\"4\"", 1)];
const JOB_CPU_MEAN: u64 = 1000;
/// Job run times: lognormal with sigma 1, whose mean is e^(1/2) ≈ 1.6487 times its median.
const LOGNORMAL_MEAN_PER_MEDIAN_MILLI: u64 = 1649;
/// Node failures: each node's repair time.
const REPAIR: &str = "lognormal(1h, 0.8)";

/// One Deployment of the scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Service {
    name: String,
    replicas: u64,
    cpu_milli: u64,
    /// The rolling update (image tag 2), whole seconds.
    rollout_at: u64,
    /// Scale to `replicas + replicas.div_ceil(2)` and back, whole seconds.
    scale: Option<(u64, u64)>,
}

/// What the generator decided, and its expected pod counts.
#[derive(Debug)]
struct Plan {
    pools: Vec<(&'static str, u64, u64, u64)>,
    cluster_cpu_milli: u64,
    services: Vec<Service>,
    /// Pods the Deployments create: initial replicas, one rollout, the scale-ups.
    service_pods: u64,
    /// Expected replacements of Deployment pods on failed nodes: `R · D / MTBF`.
    replaced: u64,
    /// Expected Job arrivals: `P − service_pods − replaced`.
    jobs: u64,
    /// Job arrival rate, per day (Poisson), or the diurnal min and max per day.
    job_rate_per_day: u64,
    diurnal: Option<(u64, u64)>,
    /// Mean and median of the Jobs' run time, whole seconds.
    job_mean_secs: u64,
    job_median_secs: u64,
    /// Whether the run-time formula was clamped (at 10 s: the cluster is over capacity; at
    /// D/4: under-used).
    clamped: Option<&'static str>,
}

fn plan(args: &ScaleArgs) -> Plan {
    let n = u64::from(args.nodes);
    let d = args.duration.as_micros() / SECOND;
    let mut rng = SplitMix(args.seed ^ 0x6b75_6265_7369_6d00);
    let large = n * POOLS[2].1 / 100;
    let medium = n * POOLS[1].1 / 100;
    let counts = [n - large - medium, medium, large];
    let pools: Vec<_> = POOLS.iter().zip(counts).map(|(&(name, _, cpu, mem), c)| (name, c, cpu, mem)).collect();
    let cluster_cpu_milli: u64 = pools.iter().map(|p| p.1 * p.2 * 1000).sum();

    // Deployments: R base replicas, ≈ 10 % of the pods, at most 30 % of the cpu.
    let by_pods = args.pods * SERVICE_PODS_PERCENT * 100 / 21_700;
    let by_cpu = cluster_cpu_milli * SERVICE_SHARE / 100 / SERVICE_CPU_MEAN;
    let budget = by_pods.min(by_cpu);
    let mut services = Vec::new();
    let mut total = 0;
    while total < budget {
        let replicas = REPLICAS[rng.below(REPLICAS.len() as u64) as usize].min(budget - total);
        let cpu_milli = SERVICE_CPU[rng.below(SERVICE_CPU.len() as u64) as usize];
        let rollout_at = rng.between(d / 10, d * 4 / 10);
        let scale = (rng.below(3) == 0)
            .then(|| (rng.between(d * 45 / 100, d * 55 / 100), rng.between(d * 3 / 4, d * 85 / 100)));
        total += replicas;
        services.push(Service { name: format!("svc-{}", services.len()), replicas, cpu_milli, rollout_at, scale });
    }
    let service_pods: u64 =
        services.iter().map(|s| 2 * s.replicas + s.scale.map_or(0, |_| s.replicas.div_ceil(2))).sum();
    let replaced = match args.mtbf {
        Mtbf::None => 0,
        Mtbf::Every(m) => total * d / (m.as_micros() / SECOND).max(1),
    };
    let jobs = args.pods.saturating_sub(service_pods + replaced);
    let job_rate_per_day = (jobs * DAY_SECS).div_ceil(d);
    // Diurnal (min = mean/2, max = 3·mean/2, peak at 14h) when the run is whole days: the
    // mean rate over a whole day is (min + max) / 2.
    let diurnal = (d.is_multiple_of(DAY_SECS) && job_rate_per_day >= 2)
        .then(|| (job_rate_per_day / 2, job_rate_per_day * 3 / 2 + job_rate_per_day % 2));
    // Little's law: concurrent job cpu = rate · mean run time · mean cpu = the share of the
    // cluster (`--job-cpu-share`, 25 % by default).
    let share = args.job_cpu_share;
    let raw_mean = if jobs == 0 { d / 4 } else { cluster_cpu_milli * share / 100 * d / (jobs * JOB_CPU_MEAN) };
    let (job_mean_secs, clamped) = if raw_mean < 10 {
        (
            10,
            Some(if share == JOB_SHARE {
                "at 10s: the Jobs alone ask for more than a quarter of the cluster"
            } else {
                "at 10s: the Jobs alone ask for more than the share asked for"
            }),
        )
    } else if raw_mean > d / 4 {
        (d / 4, Some("at a quarter of the run: the cluster is lightly used"))
    } else {
        (raw_mean, None)
    };
    let job_median_secs = (job_mean_secs * 1000 / LOGNORMAL_MEAN_PER_MEDIAN_MILLI).max(1);
    Plan {
        pools,
        cluster_cpu_milli,
        services,
        service_pods,
        replaced,
        jobs,
        job_rate_per_day,
        diurnal,
        job_mean_secs,
        job_median_secs,
        clamped,
    }
}

/// Whole seconds as a duration the scenario format reads (`90s`, `1h30m`).
fn secs(s: u64) -> String {
    SimDuration::from_secs(s).to_string()
}

fn zones(k: u32) -> String {
    (0..k).map(|i| format!("zone-{}", char::from(b'a' + i as u8))).collect::<Vec<_>>().join(", ")
}

fn deployment(s: &Service, tag: u32) -> String {
    let cpu = format!("{}m", s.cpu_milli);
    let memory = format!("{}Mi", s.cpu_milli * 2048 / 1000);
    format!(
        "{{apiVersion: apps/v1, kind: Deployment, metadata: {{name: {n}}}, spec: {{replicas: {r}, selector: {{matchLabels: {{app: {n}}}}}, \
         template: {{metadata: {{labels: {{app: {n}}}, annotations: {{sim.kubesim.io/startup: 10s}}}}, spec: {{containers: [{{name: app, \
         image: \"registry.example.com/{n}:{tag}\", resources: {{requests: {{cpu: {cpu}, memory: {memory}}}}}}}]}}}}}}}}",
        n = s.name,
        r = s.replicas,
    )
}

/// The command line that writes this file (its first comment line).
fn command_line(args: &ScaleArgs) -> String {
    let mtbf = match args.mtbf {
        Mtbf::None => "none".to_string(),
        Mtbf::Every(d) => d.to_string(),
    };
    let name = args.name.as_deref().map(|n| format!(" --name {n}")).unwrap_or_default();
    // Only when not the default, so that files written before the flag existed stay current.
    let share = if args.job_cpu_share == JOB_SHARE {
        String::new()
    } else {
        format!(" --job-cpu-share {}", args.job_cpu_share)
    };
    format!(
        "kubesim generate scale --nodes {} --pods {} --duration {} --seed {} --zones {} --mtbf {mtbf}{name}{share} --out {}",
        args.nodes,
        args.pods,
        args.duration,
        args.seed,
        args.zones,
        args.out.display()
    )
}

/// The scenario text (the scenario name is given).
fn render(args: &ScaleArgs, name: &str) -> String {
    let p = plan(args);
    let d = args.duration.as_micros() / SECOND;
    let expected = p.service_pods + p.replaced + p.jobs;
    let slack = (expected / 10).max(5 * p.jobs.isqrt()).max(10);
    let mut t = String::new();
    let w = &mut t;
    // Writing to a String cannot fail.
    let _ = writeln!(w, "# Written by `{}`", command_line(args));
    let _ = writeln!(w, "# (docs/scale.md has the sizing formulas). Expected pods created: {expected}:");
    let _ = writeln!(
        w,
        "#   {} Deployment(s) with {} replicas in all (each rolled out once, a third scaled up by half and",
        p.services.len(),
        p.services.iter().map(|s| s.replicas).sum::<u64>()
    );
    let _ = writeln!(w, "#   back): {} pods; replacements after node failures: ~{};", p.service_pods, p.replaced);
    let _ = writeln!(
        w,
        "#   one-pod Jobs: ~{} arrivals, mean run time {} (lognormal, median {}){}.",
        p.jobs,
        secs(p.job_mean_secs),
        secs(p.job_median_secs),
        p.clamped.map(|c| format!("; run time clamped {c}")).unwrap_or_default()
    );
    let _ = writeln!(w, "# Cluster: {} node(s), {} cpu in all.", args.nodes, p.cluster_cpu_milli / 1000);
    let _ = writeln!(w, "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {{name: {name}}}\nspec:");
    let _ = writeln!(w, "  seed: {}\n  until: {}", args.seed, secs(d));
    // One sample a minute for runs of a day or more (1,440 rows a day); the default otherwise.
    if d >= DAY_SECS {
        let _ = writeln!(w, "  sampleInterval: 1m");
    }
    let _ = writeln!(w, "  maxEvents: {}", (args.pods.saturating_mul(200)).max(50_000_000));
    let _ = writeln!(w, "  cluster:\n    nodePools:");
    let zone_list = zones(args.zones);
    for (pool, count, cpu, mem) in &p.pools {
        let _ = writeln!(
            w,
            "      - {{name: {pool}, count: {count}, zones: [{zone_list}], allocatable: {{cpu: \"{cpu}\", memory: {mem}Gi, pods: \"110\"}}}}"
        );
    }
    if !p.services.is_empty() {
        let _ = writeln!(w, "  manifests:");
        for s in &p.services {
            let _ = writeln!(w, "    - inline: {}", deployment(s, 1));
            let _ = writeln!(
                w,
                "    - inline: {{apiVersion: v1, kind: Service, metadata: {{name: {n}}}, spec: {{selector: {{app: {n}}}, ports: [{{port: 80}}]}}}}",
                n = s.name
            );
        }
    }
    if p.jobs > 0 {
        let _ = writeln!(w, "  workload:\n    - name: batch\n      kind: Job\n      generate:");
        match p.diurnal {
            Some((lo, hi)) => {
                let _ = writeln!(w, "        arrivals: {{diurnal: {{min: {lo}/d, max: {hi}/d, peakAt: 14h}}}}");
            }
            None => {
                let _ = writeln!(w, "        arrivals: {{poisson: {{rate: {}/d}}}}", p.job_rate_per_day);
            }
        }
        let cpus: Vec<&str> = JOB_CPU.iter().map(|c| c.0).collect();
        let weights: Vec<String> = JOB_CPU.iter().map(|c| c.1.to_string()).collect();
        let _ = writeln!(w, "        cpu: {{choice: [{}], weights: [{}]}}", cpus.join(", "), weights.join(", "));
        let _ = writeln!(w, "        memory: {{uniform: [256Mi, 8Gi], step: 256Mi}}");
        let _ = writeln!(w, "        duration: lognormal({}, 1)", secs(p.job_median_secs));
    }
    if let Mtbf::Every(m) = args.mtbf {
        let _ = writeln!(
            w,
            "  faults:\n    - nodeFailures: {{timeToFailure: exponential({m}), timeToRepair: \"{REPAIR}\"}}"
        );
    }
    let mut events: Vec<(u64, String)> = Vec::new();
    for s in &p.services {
        events.push((s.rollout_at, format!("apply: {}", deployment(s, 2))));
        if let Some((up, down)) = s.scale {
            let target = format!("deployment/default/{}", s.name);
            events
                .push((up, format!("scale: {{target: {target}, replicas: {}}}", s.replicas + s.replicas.div_ceil(2))));
            events.push((down, format!("scale: {{target: {target}, replicas: {}}}", s.replicas)));
        }
    }
    // Time order (stable: equal times keep the services' order).
    events.sort_by_key(|e| e.0);
    if !events.is_empty() {
        let _ = writeln!(w, "  events:");
        for (at, action) in &events {
            let _ = writeln!(w, "    - {{at: {}, {action}}}", secs(*at));
        }
    }
    let _ = writeln!(w, "  checks:");
    let _ = writeln!(w, "    - {{at: 0s, expect: \"cluster nodes == {}\"}}", args.nodes);
    let _ =
        writeln!(w, "    - {{at: {}, expect: \"cluster podsCreated >= {}\"}}", secs(d), expected.saturating_sub(slack));
    let _ = writeln!(w, "    - {{at: {}, expect: \"cluster podsCreated <= {}\"}}", secs(d), expected + slack);
    t
}

fn name_for(args: &ScaleArgs) -> Result<String, String> {
    super::import::scenario_name(args.name.as_deref(), &args.out)
}

fn generate_scale(args: &ScaleArgs) -> Result<String, String> {
    let name = name_for(args)?;
    let text = render(args, &name);
    let scenario = super::import::write_and_check(&args.out, &text)?;
    let p = plan(args);
    Ok(format!(
        "{}: scenario {name:?}: {} node(s), {} Deployment(s), ~{} Job(s), ~{} pod(s) over {}",
        args.out.display(),
        scenario.nodes.len(),
        p.services.len(),
        p.jobs,
        p.service_pods + p.replaced + p.jobs,
        args.duration
    ))
}

/// Runs `kubesim generate`; returns the exit code.
pub fn run(args: GenerateArgs) -> i32 {
    let result = match &args.kind {
        GenerateKind::Scale(a) => generate_scale(a),
    };
    match result {
        Ok(line) => {
            println!("{line}");
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// The scenario text `kubesim generate scale` writes for these flags (for tests).
pub fn scale_text(args: &ScaleArgs) -> Result<String, String> {
    Ok(render(args, &name_for(args)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(nodes: u32, pods: u64, duration: &str) -> ScaleArgs {
        ScaleArgs {
            nodes,
            pods,
            duration: parse_run_length(duration).unwrap(),
            out: PathBuf::from("s.yaml"),
            seed: 1,
            zones: 3,
            mtbf: Mtbf::Every(parse_duration("30d").unwrap()),
            name: None,
            job_cpu_share: JOB_SHARE,
        }
    }

    #[test]
    fn the_job_cpu_share_sets_the_jobs_run_time() {
        // Little's law: the same arrivals at four times the share run four times as long.
        let base = plan(&args(1_000, 100_000, "1d"));
        let mut loaded = args(1_000, 100_000, "1d");
        loaded.job_cpu_share = 100;
        let p = plan(&loaded);
        assert_eq!(p.jobs, base.jobs);
        assert!(p.job_mean_secs.abs_diff(4 * base.job_mean_secs) <= 4, "{} vs {}", p.job_mean_secs, base.job_mean_secs);
        // The flag is on the command line only when not the default.
        let text = scale_text(&loaded).unwrap();
        assert!(text.lines().next().unwrap().contains(" --job-cpu-share 100 "), "{}", text.lines().next().unwrap());
        assert!(!scale_text(&args(1_000, 100_000, "1d")).unwrap().contains("--job-cpu-share"));
    }

    #[test]
    fn pools_add_up_and_pods_are_near_the_request() {
        for (n, p, d) in [(1, 10, "1h"), (7, 1000, "2h"), (100, 10_000, "1d"), (10_000, 1_000_000, "1d")] {
            let a = args(n, p, d);
            let plan = plan(&a);
            assert_eq!(plan.pools.iter().map(|x| x.1).sum::<u64>(), u64::from(n));
            let expected = plan.service_pods + plan.replaced + plan.jobs;
            assert!(expected.abs_diff(p) <= p / 50 + 2, "{n}/{p}: {expected}");
        }
    }

    #[test]
    fn the_day_of_10k_nodes_has_services_and_diurnal_jobs() {
        let plan = plan(&args(10_000, 1_000_000, "1d"));
        let replicas: u64 = plan.services.iter().map(|s| s.replicas).sum();
        assert_eq!(replicas, 1_000_000 * 10 * 100 / 21_700);
        assert!(plan.diurnal.is_some());
        assert!(plan.clamped.is_none());
        // Little's law: about 40k concurrent Jobs of 1 cpu on 160k cpu.
        assert!((2_000..6_000).contains(&plan.job_mean_secs), "{}", plan.job_mean_secs);
    }

    #[test]
    fn same_flags_same_text_and_the_seed_matters() {
        let a = args(50, 5_000, "1d");
        assert_eq!(scale_text(&a).unwrap(), scale_text(&a).unwrap());
        let mut b = a.clone();
        b.seed = 2;
        assert_ne!(scale_text(&a).unwrap(), scale_text(&b).unwrap());
    }

    #[test]
    fn flags_are_checked() {
        assert!(parse_run_length("30s").is_err());
        assert!(parse_run_length("1.5s").unwrap_err().contains("whole number"));
        assert!(parse_run_length("1d").is_ok());
        assert_eq!(parse_mtbf("none"), Ok(Mtbf::None));
        assert!(parse_mtbf("soon").is_err());
        assert!(parse_mtbf("1s").is_err());
    }
}
