//! Load on Services: the request rates a scenario offers (`spec.load`), spread by kube-proxy
//! over each Service's ready endpoints, served by each pod up to its capacity, and the cpu and
//! memory a pod uses for what it serves. See `docs/scenario.md` (`spec.load`).
//!
//! Rates are integers: milli-requests per second (`mrps`). A shape's rate is evaluated at whole
//! virtual seconds and holds for that second: `offered(t) = shape(⌊t⌋)`. The daily curve is
//! the one place with a transcendental function; its cosine is computed here with basic
//! IEEE-754 operations in a fixed order (no libm, no fused multiply-add), then rounded to a
//! whole mrps, so every platform gets the same integers.
//!
//! [`Traffic`] is the load component of the engine. It keeps the current rates of every loaded
//! Service and integrates them over virtual time into request totals. The engine calls
//! [`Traffic::update`] at every whole second at which an offered rate may change
//! ([`Traffic::next_change`]) and at the end of every instant in which a pod, Service or
//! Ingress changed: between two updates the rates are constant, so the totals (in mrps·µs)
//! are exact.
//!
//! Spreading is what kube-proxy does: every ready endpoint (Ready and not terminating; every
//! serving one with `publishNotReadyAddresses`) gets an equal share of the requests that reach
//! the Service, the integer remainder going one mrps each to the first endpoints in creation
//! order; when no endpoint is ready, the serving-but-terminating ones get the traffic
//! (KEP-1669). kube-proxy knows nothing of capacity: a pod serves `min(share, capacity)` and
//! the rest of its share is dropped, as is everything sent while there is no endpoint, and a
//! pod whose container is not running (its machine died) serves nothing. External load (not
//! `internal`) reaches the Service only while an Ingress of its namespace routes to it.

use std::collections::BTreeMap;

use crate::api::pod::{ContainerState, Pod, PodPhase};
use crate::api::resources::ResourceName;
use crate::kernel::{SimDuration, SimTime};
use crate::store::{PodId, Store};
use crate::yaml::Pos;

/// Seconds in a day: the period of the daily curve.
pub const DAY_SECS: u64 = 86_400;
/// The largest rate a scenario may give (10^12 requests per second), so that sums and totals
/// never overflow.
pub const MAX_RPS: u64 = 1_000_000_000_000;

/// One step of a piecewise-constant shape: from `at_secs` on, the rate is `rate` mrps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub at_secs: u64,
    pub rate: u64,
}

/// `requestsPerSecond`: how an offered rate varies with time. Rates are mrps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    Constant(u64),
    /// Piecewise constant, steps strictly increasing in time; 0 before the first.
    Steps(Vec<Step>),
    /// `min + (max − min) · (1 + cos(2π (t − peakAt) / 24 h)) / 2`.
    Daily {
        min: u64,
        max: u64,
        peak_at: SimDuration,
    },
    /// Piecewise constant from the rows `t_s,rps` of a CSV file.
    Csv {
        file: String,
        steps: Vec<Step>,
    },
}

impl Shape {
    /// The rate during the whole second `second`.
    pub fn rate_at(&self, second: u64) -> u64 {
        match self {
            Shape::Constant(r) => *r,
            Shape::Steps(steps) | Shape::Csv { steps, .. } => {
                let i = steps.partition_point(|s| s.at_secs <= second);
                if i == 0 { 0 } else { steps[i - 1].rate }
            }
            Shape::Daily { min, max, peak_at } => daily_rate(*min, *max, *peak_at, second),
        }
    }

    /// The first whole second after `second` at which the rate may differ, if any.
    pub fn next_change(&self, second: u64) -> Option<u64> {
        match self {
            Shape::Constant(_) => None,
            Shape::Steps(steps) | Shape::Csv { steps, .. } => {
                let i = steps.partition_point(|s| s.at_secs <= second);
                steps.get(i).map(|s| s.at_secs)
            }
            Shape::Daily { min, max, .. } => (min != max).then_some(second + 1),
        }
    }
}

/// The daily curve at the whole second `second`, rounded to the nearest mrps.
pub fn daily_rate(min: u64, max: u64, peak_at: SimDuration, second: u64) -> u64 {
    const DAY_MICROS: u64 = DAY_SECS * 1_000_000;
    let t = u128::from(second) * 1_000_000;
    let phase =
        ((t + u128::from(DAY_MICROS) - u128::from(peak_at.as_micros() % DAY_MICROS)) % u128::from(DAY_MICROS)) as u64;
    let c = (1.0 + cos_turns(phase, DAY_MICROS)) / 2.0;
    let amplitude = max.saturating_sub(min);
    let above = (amplitude as f64 * c).round();
    min + (above.max(0.0) as u64).min(amplitude)
}

/// `cos(2π · n / d)` for `0 <= n < d <= 2^52`, from basic IEEE-754 operations only: the turn
/// is reduced exactly (in integers) to `[0, 1/4]`, then a Taylor polynomial of degree 20 is
/// evaluated by Horner's rule (truncation error below 10^-18 on `[0, π/2]`).
pub fn cos_turns(n: u64, d: u64) -> f64 {
    debug_assert!(n < d && d <= 1 << 52);
    // cos(2π f) = cos(2π (1 − f)): f in [0, 1/2], as the fraction n / d.
    let n = if 2 * n > d { d - n } else { n };
    // cos(2π f) = −cos(2π (1/2 − f)): f in [0, 1/4], as the fraction num / den.
    let (num, den, sign) = if 4 * n > d { (d - 2 * n, 2 * d, -1.0) } else { (n, d, 1.0) };
    let x = (num as f64 / den as f64) * std::f64::consts::TAU;
    let x2 = x * x;
    // Σ (−1)^k x^2k / (2k)!, k = 0..=10, nested innermost first:
    // 1 − x²/(1·2)·(1 − x²/(3·4)·(… (1 − x²/(19·20)) …)).
    let mut sum = 0.0;
    for k in (1..=11u32).rev() {
        let two_k = f64::from(2 * k);
        sum = 1.0 - x2 / (two_k * (two_k - 1.0)) * sum;
    }
    sign * sum
}

/// Parses a rate in requests per second (`50`, `12.5`, `0.001`) into mrps: a non-negative
/// decimal with at most three decimals, at most [`MAX_RPS`].
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "{text:?} is not a rate: write requests per second as a non-negative number with at most 3 decimals, e.g. 50 or 12.5"
        )
    };
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if text.contains('.') && frac.is_empty() {
        return Err(bad());
    }
    if frac.len() > 3 {
        return Err(format!(
            "{text:?} has more than 3 decimals: rates are kept in thousandths of a request per second"
        ));
    }
    let whole: u64 = whole.parse().map_err(|_| bad())?;
    if whole > MAX_RPS || (whole == MAX_RPS && frac.bytes().any(|b| b != b'0')) {
        return Err(format!("{text:?} is more than {MAX_RPS} requests per second"));
    }
    let mut milli = whole * 1000;
    for (i, b) in frac.bytes().enumerate() {
        milli += u64::from(b - b'0') * 10u64.pow(2 - i as u32);
    }
    Ok(milli)
}

/// A rate in mrps as requests per second, with up to three decimals (`12.5`, `0`).
pub fn format_rate(mrps: u64) -> String {
    let (whole, frac) = (mrps / 1000, mrps % 1000);
    if frac == 0 {
        whole.to_string()
    } else {
        let f = format!("{frac:03}");
        format!("{whole}.{}", f.trim_end_matches('0'))
    }
}

/// A CSV problem: 1-based line and column, and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Parses the rows `t_s,rps` of a load CSV: `t_s` whole seconds, strictly increasing; `rps`
/// a rate as [`parse_rate`] reads it. An optional header `t_s,rps` comes first; blank lines and
/// lines starting with `#` are skipped; spaces around a value are allowed.
pub fn parse_csv(text: &str) -> Result<Vec<Step>, CsvError> {
    let mut steps: Vec<Step> = Vec::new();
    let mut seen_row = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let row = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = row.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // Columns: byte offsets of each field start, to point at it (1-based characters).
        let mut fields: Vec<(usize, &str)> = Vec::new();
        let mut start = 0;
        for part in row.split(',') {
            let lead = part.len() - part.trim_start().len();
            fields.push((row[..start + lead].chars().count() + 1, part.trim()));
            start += part.len() + 1;
        }
        if !seen_row && fields.len() == 2 && fields[0].1 == "t_s" && fields[1].1 == "rps" {
            seen_row = true;
            continue;
        }
        seen_row = true;
        let err = |col: usize, message: String| CsvError { line, col, message };
        if fields.len() != 2 {
            let col = fields.get(2).map_or(row.chars().count() + 1, |f| f.0);
            return Err(err(col, format!("expected 2 columns (t_s,rps), found {}", fields.len())));
        }
        let (t_col, t_text) = fields[0];
        let (r_col, r_text) = fields[1];
        let at_secs: u64 = t_text
            .parse()
            .map_err(|_| err(t_col, format!("t_s {t_text:?} is not a whole number of seconds (0, 1, 2, ...)")))?;
        if let Some(prev) = steps.last()
            && at_secs <= prev.at_secs
        {
            return Err(err(
                t_col,
                format!(
                    "t_s {at_secs} is not after the previous row's {}: rows must be in increasing time",
                    prev.at_secs
                ),
            ));
        }
        let rate = parse_rate(r_text).map_err(|m| err(r_col, m))?;
        steps.push(Step { at_secs, rate });
    }
    if steps.is_empty() {
        return Err(CsvError {
            line: 1,
            col: 1,
            message: "the file has no rows: write lines t_s,rps, e.g. 0,50".into(),
        });
    }
    Ok(steps)
}

/// One `spec.load` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadEntry {
    pub namespace: String,
    pub service: String,
    pub shape: Shape,
    /// In-cluster traffic: reaches the Service whether or not an Ingress exposes it.
    pub internal: bool,
    pub file: String,
    pub pos: Pos,
}

/// Current rates (mrps) and request totals of one loaded Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceTraffic {
    pub namespace: String,
    pub name: String,
    /// `(shape, internal)` of each load entry on the Service.
    entries: Vec<(Shape, bool)>,
    pub offered: u64,
    pub served: u64,
    pub dropped: u64,
    /// Offered, served and dropped totals in mrps·µs (10^-9 requests).
    totals: [u128; 3],
    /// Where the load goes, as of the last change of the store: whether an Ingress exposes
    /// the Service, and its endpoints with their capacities.
    routes: Routes,
}

/// A Service's routing state, recomputed only when a pod, Service or Ingress changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Routes {
    exposed: bool,
    endpoints: Vec<(PodId, Option<u64>)>,
}

impl ServiceTraffic {
    /// `namespace/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// Request totals of a Service, in thousandths of a request (rounded down).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestTotals {
    pub offered_milli: u64,
    pub served_milli: u64,
    pub dropped_milli: u64,
}

/// The load component: see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct Traffic {
    services: Vec<ServiceTraffic>,
    /// The whole second whose offered rates are in effect.
    second: u64,
    /// The totals are integrated up to this instant.
    integrated_to: SimTime,
    dirty: bool,
    /// Served rate (mrps) per pod, summed over the Services it is an endpoint of.
    pod_served: BTreeMap<PodId, u64>,
    /// kube-proxy keeps the endpoints it has (no endpoint updates while the controller
    /// manager is away); only what each can serve is refreshed.
    endpoints_frozen: bool,
}

impl Traffic {
    /// One [`ServiceTraffic`] per distinct Service, in the order of first appearance.
    pub fn new(entries: &[LoadEntry]) -> Traffic {
        let mut services: Vec<ServiceTraffic> = Vec::new();
        for e in entries {
            let svc = match services.iter_mut().find(|s| s.namespace == e.namespace && s.name == e.service) {
                Some(s) => s,
                None => {
                    services.push(ServiceTraffic {
                        namespace: e.namespace.clone(),
                        name: e.service.clone(),
                        entries: Vec::new(),
                        offered: 0,
                        served: 0,
                        dropped: 0,
                        totals: [0; 3],
                        routes: Routes::default(),
                    });
                    services.last_mut().expect("just pushed")
                }
            };
            svc.entries.push((e.shape.clone(), e.internal));
        }
        Traffic { services, dirty: true, ..Traffic::default() }
    }

    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    pub fn services(&self) -> &[ServiceTraffic] {
        &self.services
    }

    /// The loaded Service `namespace/name`, if any.
    pub fn service(&self, namespace: &str, name: &str) -> Option<&ServiceTraffic> {
        self.services.iter().find(|s| s.namespace == namespace && s.name == name)
    }

    /// Something the rates depend on changed (a pod, a Service, an Ingress).
    pub fn mark_dirty(&mut self) {
        if !self.services.is_empty() {
            self.dirty = true;
        }
    }

    /// Freezes (or thaws) each Service's set of endpoints.
    pub fn set_endpoints_frozen(&mut self, frozen: bool) {
        self.endpoints_frozen = frozen;
    }

    /// A pod changed: the routes are stale if a loaded Service selects it.
    pub fn pod_changed(&mut self, store: &Store, pod: PodId) {
        if self.dirty || self.services.is_empty() {
            return;
        }
        let p = store.pod(pod);
        let selected = self.services.iter().any(|s| {
            s.namespace == p.meta.namespace
                && store
                    .service_id(&s.namespace, &s.name)
                    .and_then(|id| store.service(id))
                    .is_some_and(|svc| svc.selector_labels.is_some() && svc.selector.matches(&p.meta.labels))
        });
        if selected {
            self.dirty = true;
        }
    }

    /// Whether [`update`](Self::update) must run at `now`.
    pub fn needs_update(&self, now: SimTime) -> bool {
        !self.services.is_empty() && (self.dirty || now.as_secs() != self.second)
    }

    /// The next whole second (after the one in effect) at which an offered rate may change.
    pub fn next_change(&self) -> Option<SimTime> {
        self.services
            .iter()
            .flat_map(|s| s.entries.iter().filter_map(|(shape, _)| shape.next_change(self.second)))
            .min()
            .map(SimTime::from_secs)
    }

    /// Integrates the current rates up to `now`, then recomputes them from the store: the
    /// offered rates of the second `⌊now⌋`, the endpoints, the shares and what each pod serves.
    pub fn update(&mut self, store: &Store, now: SimTime) {
        let dt = u128::from(now.saturating_since(self.integrated_to).as_micros());
        for s in &mut self.services {
            for (total, rate) in s.totals.iter_mut().zip([s.offered, s.served, s.dropped]) {
                *total += u128::from(rate) * dt;
            }
        }
        self.integrated_to = now.max(self.integrated_to);
        self.second = now.as_secs();
        if self.dirty {
            for s in &mut self.services {
                let pods = if self.endpoints_frozen {
                    s.routes.endpoints.iter().map(|&(p, _)| p).collect()
                } else {
                    endpoints(store, &s.namespace, &s.name)
                };
                s.routes = Routes {
                    exposed: store.service_exposed(&s.namespace, &s.name),
                    endpoints: pods
                        .into_iter()
                        .map(|p| (p, if store.is_removed(p) { Some(0) } else { capacity(store.pod(p)) }))
                        .collect(),
                };
            }
            self.dirty = false;
        }
        self.pod_served.clear();
        for s in &mut self.services {
            recompute(s, self.second, &mut self.pod_served);
        }
    }

    /// The Service's totals up to `now` (at or after the last update), in milli-requests.
    pub fn totals(&self, service: &ServiceTraffic, now: SimTime) -> RequestTotals {
        let dt = u128::from(now.saturating_since(self.integrated_to).as_micros());
        let at = |k: usize, rate: u64| ((service.totals[k] + u128::from(rate) * dt) / 1_000_000) as u64;
        RequestTotals {
            offered_milli: at(0, service.offered),
            served_milli: at(1, service.served),
            dropped_milli: at(2, service.dropped),
        }
    }

    /// The rate (mrps) the pod serves now.
    pub fn served(&self, pod: PodId) -> u64 {
        self.pod_served.get(&pod).copied().unwrap_or(0)
    }

    /// The pod's cpu usage in millicores (`cpu-base + cpu-per-request × served rps`, rounded
    /// down), or `None` when its container is not running (no metrics).
    pub fn cpu_usage_milli(&self, store: &Store, pod: PodId) -> Option<i64> {
        let p = store.pod(pod);
        if !running(p) {
            return None;
        }
        let s = p.sim.serving();
        let variable = i128::from(s.cpu_per_request_micro) * i128::from(self.served(pod)) / 1_000_000;
        Some(s.cpu_base_milli.saturating_add(i64::try_from(variable).unwrap_or(i64::MAX)))
    }

    /// The pod's memory usage in bytes (`memory-base + memory-per-request × served rps`,
    /// rounded down), or `None` when its container is not running.
    pub fn memory_usage_bytes(&self, store: &Store, pod: PodId) -> Option<i64> {
        let p = store.pod(pod);
        if !running(p) {
            return None;
        }
        let s = p.sim.serving();
        let variable = i128::from(s.memory_per_request_bytes) * i128::from(self.served(pod)) / 1000;
        Some(s.memory_base_bytes.saturating_add(i64::try_from(variable).unwrap_or(i64::MAX)))
    }

    /// The usage of `resource` (cpu or memory) in milli-units, as the resource metrics API
    /// reports it to the HPA; `None` for other resources or a pod without metrics.
    pub fn usage_milli(&self, store: &Store, pod: PodId, resource: &ResourceName) -> Option<i64> {
        match resource {
            ResourceName::Cpu => self.cpu_usage_milli(store, pod),
            ResourceName::Memory => self.memory_usage_bytes(store, pod).map(|b| b.saturating_mul(1000)),
            _ => None,
        }
    }
}

/// The container runs (a pod on a dead machine, or waiting to restart, has none running).
fn running(pod: &Pod) -> bool {
    pod.status.phase == PodPhase::Running && matches!(pod.status.container, ContainerState::Running { .. })
}

/// What the pod can serve (mrps): `max-rps`, or `(cpu limit − cpu-base) / cpu-per-request`
/// when both are known, else unlimited (`None`); nothing when its container is not running.
pub fn capacity(pod: &Pod) -> Option<u64> {
    if !running(pod) {
        return Some(0);
    }
    let s = pod.sim.serving();
    if let Some(max) = s.max_rps {
        return Some(max);
    }
    if s.cpu_per_request_micro <= 0 {
        return None;
    }
    let limit = cpu_limit_milli(pod)?;
    let spare = i128::from(limit) - i128::from(s.cpu_base_milli);
    if spare <= 0 {
        return Some(0);
    }
    Some(u64::try_from(spare * 1_000_000 / i128::from(s.cpu_per_request_micro)).unwrap_or(u64::MAX))
}

/// The pod's cpu limit in millicores: the sum over its containers (and sidecars), if every one
/// of them has a cpu limit.
fn cpu_limit_milli(pod: &Pod) -> Option<i64> {
    let spec = &pod.spec;
    let sidecars = spec.init_containers.iter().filter(|c| c.restart_policy_always);
    let mut total = 0i64;
    for c in spec.containers.iter().chain(sidecars) {
        total = total.saturating_add(c.limits.get(&ResourceName::Cpu)?.milli_value());
    }
    Some(total)
}

/// The Service's endpoints as kube-proxy uses them: the ready ones, or when there are none the
/// serving-but-terminating ones, in pod creation order.
fn endpoints(store: &Store, namespace: &str, name: &str) -> Vec<PodId> {
    let Some(service) = store.service_id(namespace, name).and_then(|id| store.service(id)) else {
        return Vec::new();
    };
    if service.selector_labels.is_none() {
        return Vec::new();
    }
    let mut ready = Vec::new();
    let mut terminating = Vec::new();
    for id in store.live_pods() {
        let pod = store.pod(id);
        if pod.meta.namespace != namespace
            || pod.status.node.is_none()
            || pod.status.phase.is_terminal()
            || !service.selector.matches(&pod.meta.labels)
        {
            continue;
        }
        let serving = pod.is_ready() || service.publish_not_ready_addresses;
        match (serving, pod.meta.deletion_timestamp.is_some()) {
            (true, false) => ready.push(id),
            (true, true) => terminating.push(id),
            (false, _) => {}
        }
    }
    if ready.is_empty() { terminating } else { ready }
}

/// The rates of the second `second` over the Service's cached routes.
fn recompute(s: &mut ServiceTraffic, second: u64, pod_served: &mut BTreeMap<PodId, u64>) {
    let (mut external, mut internal) = (0u64, 0u64);
    for (shape, is_internal) in &s.entries {
        let r = shape.rate_at(second);
        if *is_internal {
            internal = internal.saturating_add(r);
        } else {
            external = external.saturating_add(r);
        }
    }
    s.offered = external.saturating_add(internal);
    let reaching = if s.routes.exposed { s.offered } else { internal };
    let pods = &s.routes.endpoints;
    let mut served = 0u64;
    if !pods.is_empty() {
        let n = pods.len() as u64;
        let (share, extra) = (reaching / n, reaching % n);
        for (i, &(pod, cap)) in pods.iter().enumerate() {
            let mine = share + u64::from((i as u64) < extra);
            let got = cap.map_or(mine, |c| mine.min(c));
            served += got;
            *pod_served.entry(pod).or_default() += got;
        }
    }
    s.served = served;
    s.dropped = s.offered - served;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_is_exact_at_the_quarters_and_close_elsewhere() {
        let d = DAY_SECS * 1_000_000;
        assert_eq!(cos_turns(0, d), 1.0);
        assert_eq!(cos_turns(d / 2, d), -1.0);
        assert!(cos_turns(d / 4, d).abs() < 1e-15);
        assert!(cos_turns(3 * d / 4, d).abs() < 1e-15);
        for k in 0..1000u64 {
            let n = k * (d / 1000) + 12_345;
            let libm = (n as f64 / d as f64 * std::f64::consts::TAU).cos();
            assert!((cos_turns(n, d) - libm).abs() < 1e-12, "{n}: {} vs {libm}", cos_turns(n, d));
        }
    }

    #[test]
    fn daily_curve_peaks_and_troughs() {
        let peak = SimDuration::from_secs(12 * 3600);
        let (min, max) = (100_000, 2_400_000);
        assert_eq!(daily_rate(min, max, peak, 12 * 3600), max);
        assert_eq!(daily_rate(min, max, peak, 0), min);
        assert_eq!(daily_rate(min, max, peak, 24 * 3600), min);
        assert_eq!(daily_rate(min, max, peak, 6 * 3600), 1_250_000, "halfway at a quarter day");
        assert_eq!(daily_rate(min, max, peak, 18 * 3600), 1_250_000);
        assert_eq!(daily_rate(min, max, peak, 36 * 3600), max, "the second day repeats the first");
        // 3 h before the peak: 1,250 + 1,150 · cos(π/4) = 2,063.172… rps.
        assert_eq!(daily_rate(min, max, peak, 9 * 3600), 2_063_173);
        assert_eq!(daily_rate(5, 5, peak, 77), 5);
    }

    #[test]
    fn steps_hold_from_their_second_on() {
        let s = Shape::Steps(vec![Step { at_secs: 10, rate: 5_000 }, Step { at_secs: 20, rate: 0 }]);
        assert_eq!([9, 10, 19, 20, 1000].map(|t| s.rate_at(t)), [0, 5_000, 5_000, 0, 0]);
        assert_eq!([0, 9, 10, 19, 20].map(|t| s.next_change(t)), [Some(10), Some(10), Some(20), Some(20), None]);
        assert_eq!(Shape::Constant(7).next_change(0), None);
    }

    #[test]
    fn rates_parse_to_thousandths() {
        assert_eq!(parse_rate("50"), Ok(50_000));
        assert_eq!(parse_rate("12.5"), Ok(12_500));
        assert_eq!(parse_rate("0.001"), Ok(1));
        assert!(parse_rate("0.0001").unwrap_err().contains("more than 3 decimals"));
        for bad in ["-1", "1e3", "", ".5", "5.", "1,5", "ten"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
        assert!(parse_rate("1000000000001").is_err());
        assert_eq!(format_rate(12_500), "12.5");
        assert_eq!(format_rate(3), "0.003");
        assert_eq!(format_rate(0), "0");
    }

    #[test]
    fn csv_rows_and_located_errors() {
        let steps = parse_csv("t_s,rps\n0,10\n# a comment\n\n60, 12.5\r\n").unwrap();
        assert_eq!(steps, [Step { at_secs: 0, rate: 10_000 }, Step { at_secs: 60, rate: 12_500 }]);
        let e = parse_csv("0,10\n30,x\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 4));
        let e = parse_csv("0,10\n0,5\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 1));
        assert!(e.message.contains("increasing"), "{}", e.message);
        let e = parse_csv("0,10,3\n").unwrap_err();
        assert_eq!((e.line, e.col, e.message.as_str()), (1, 6, "expected 2 columns (t_s,rps), found 3"));
        let e = parse_csv("1.5,10\n").unwrap_err();
        assert_eq!((e.line, e.col), (1, 1));
        assert!(parse_csv("t_s,rps\n").is_err());
    }
}
