//! LimitRange and ResourceQuota (`v1`) and the two admission plugins that enforce them at pod
//! creation (`plugin/pkg/admission/limitranger`, `plugin/pkg/admission/resourcequota` with the
//! pod evaluator of `pkg/quota/v1/evaluator/core/pods.go`).
//!
//! LimitRanger first fills in missing container limits (`default`) and requests
//! (`defaultRequest`), then checks `min`, `max` and `maxLimitRequestRatio` per container and per
//! pod. The quota admission then refuses a pod that would push a namespace's usage of a listed
//! resource over `hard`, or that does not say how much it needs of a compute resource the
//! quota limits. Usage counts the pods that are not terminal (as the quota controller does).

use std::collections::BTreeMap;

use crate::api::meta::ObjectMeta;
use crate::api::pod::{Container, PodSpec};
use crate::api::quantity::{Format, Quantity};
use crate::api::resources::{ResourceList, ResourceName};

/// `LimitRangeItem.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitType {
    Container,
    Pod,
    PersistentVolumeClaim,
}

impl LimitType {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitType::Container => "Container",
            LimitType::Pod => "Pod",
            LimitType::PersistentVolumeClaim => "PersistentVolumeClaim",
        }
    }
}

/// One `spec.limits[]` entry, after the API server's defaulting (a `default` limit missing
/// one of `max` takes `max`; a `defaultRequest` missing one of `default` takes it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LimitRangeItem {
    pub kind: Option<LimitType>,
    pub max: ResourceList,
    pub min: ResourceList,
    pub default: ResourceList,
    pub default_request: ResourceList,
    pub max_limit_request_ratio: ResourceList,
}

/// `v1.LimitRange`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitRange {
    pub meta: ObjectMeta,
    pub limits: Vec<LimitRangeItem>,
}

/// `v1.ResourceQuota` (scopes are not simulated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceQuota {
    pub meta: ObjectMeta,
    /// `spec.hard`, by resource name as written (`pods`, `requests.cpu`, `cpu`, `limits.memory`,
    /// `requests.nvidia.com/gpu`, `count/pods`, ...).
    pub hard: BTreeMap<String, Quantity>,
}

/// The quota names a pod's usage is counted under, and the resource each measures
/// (`None`: the number of pods). Compute names without prefix mean requests.
pub fn quota_resource(name: &str) -> Option<QuotaResource> {
    if name == "pods" || name == "count/pods" {
        return Some(QuotaResource::Pods);
    }
    let (kind, resource) = if let Some(r) = name.strip_prefix("requests.") {
        (QuotaKind::Requests, r)
    } else if let Some(r) = name.strip_prefix("limits.") {
        (QuotaKind::Limits, r)
    } else {
        (QuotaKind::Requests, name)
    };
    let resource = ResourceName::parse(resource).ok()?;
    match resource {
        ResourceName::Pods => None,
        ResourceName::Scalar(ref n) if kind == QuotaKind::Limits && !n.contains('/') => None,
        _ => Some(QuotaResource::Compute(kind, resource)),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuotaKind {
    Requests,
    Limits,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuotaResource {
    Pods,
    Compute(QuotaKind, ResourceName),
}

/// The amount of `resource` a container requests or limits, if it says.
fn container_amount(c: &Container, kind: QuotaKind, resource: &ResourceName) -> Option<Quantity> {
    match kind {
        QuotaKind::Requests => c.requests.get(resource).cloned(),
        QuotaKind::Limits => c.limits.get(resource).cloned(),
    }
}

/// The amount a pod uses of `resource` in integer units (cpu in millicores, everything else
/// in units): the sum over its containers, raised to its largest init container, plus its
/// overhead (`PodRequests` / `PodLimits`).
pub fn pod_amount(spec: &PodSpec, kind: QuotaKind, resource: &ResourceName) -> i64 {
    let units = |q: &Quantity| if *resource == ResourceName::Cpu { q.milli_value() } else { q.value() };
    let sum: i64 = spec.containers.iter().filter_map(|c| container_amount(c, kind, resource)).map(|q| units(&q)).sum();
    let init = spec.init_containers.iter().filter_map(|c| container_amount(c, kind, resource)).map(|q| units(&q)).max();
    let overhead = spec.overhead.get(resource).map(units).unwrap_or(0);
    sum.max(init.unwrap_or(0)).saturating_add(overhead)
}

/// A quantity of `units` of `resource` (millicores for cpu), in the format kubectl prints:
/// decimal for cpu and counts, binary for memory and storage.
fn quantity_of(resource: &ResourceName, units: i64) -> Quantity {
    match resource {
        ResourceName::Cpu => Quantity::new_milli(units, Format::DecimalSI),
        ResourceName::Memory | ResourceName::EphemeralStorage => Quantity::new(units, Format::BinarySI),
        _ => Quantity::new(units, Format::DecimalSI),
    }
}

fn quantity_text(resource: &ResourceName, units: i64) -> String {
    quantity_of(resource, units).to_string()
}

/// LimitRanger on a pod spec: fills in container defaults from every Container item, then
/// checks every item. The message is the API server's (the caller adds `pods "x" is
/// forbidden: `).
pub fn apply_limit_ranges(spec: &PodSpec, ranges: &[&LimitRange]) -> Result<PodSpec, String> {
    let mut out = spec.clone();
    for range in ranges {
        for item in range.limits.iter().filter(|i| i.kind == Some(LimitType::Container)) {
            for c in out.containers.iter_mut().chain(out.init_containers.iter_mut()) {
                for (r, q) in &item.default {
                    c.limits.get_or_insert_with(r.clone(), || q.clone());
                }
                for (r, q) in &item.default_request {
                    c.requests.get_or_insert_with(r.clone(), || q.clone());
                }
            }
        }
    }
    out.finalize();
    let mut errors: Vec<String> = Vec::new();
    for range in ranges {
        for item in &range.limits {
            match item.kind {
                Some(LimitType::Container) => {
                    for c in out.containers.iter().chain(&out.init_containers) {
                        check_item(
                            item,
                            "Container",
                            |r| c.requests.get(r).cloned(),
                            |r| c.limits.get(r).cloned(),
                            &mut errors,
                        );
                    }
                }
                Some(LimitType::Pod) => {
                    let sum = |kind: QuotaKind, r: &ResourceName| -> Option<Quantity> {
                        let any = out.containers.iter().any(|c| container_amount(c, kind, r).is_some());
                        any.then(|| quantity_of(r, pod_amount(&out, kind, r)))
                    };
                    check_item(
                        item,
                        "Pod",
                        |r| sum(QuotaKind::Requests, r),
                        |r| sum(QuotaKind::Limits, r),
                        &mut errors,
                    );
                }
                _ => {}
            }
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors.join(", ")) }
}

fn check_item(
    item: &LimitRangeItem,
    what: &str,
    request: impl Fn(&ResourceName) -> Option<Quantity>,
    limit: impl Fn(&ResourceName) -> Option<Quantity>,
    errors: &mut Vec<String>,
) {
    for (r, min) in &item.min {
        match request(r) {
            None => errors.push(format!("minimum {r} usage per {what} is {min}.  No request is specified")),
            Some(q) if q < *min => errors.push(format!("minimum {r} usage per {what} is {min}, but request is {q}")),
            _ => {}
        }
    }
    for (r, max) in &item.max {
        match limit(r) {
            None => errors.push(format!("maximum {r} usage per {what} is {max}.  No limit is specified")),
            Some(q) if q > *max => errors.push(format!("maximum {r} usage per {what} is {max}, but limit is {q}")),
            _ => {}
        }
    }
    for (r, ratio) in &item.max_limit_request_ratio {
        let (Some(l), Some(q)) = (limit(r), request(r)) else {
            if limit(r).is_some() {
                errors
                    .push(format!("{r} max limit to request ratio per {what} is {ratio}, but no request is specified"));
            }
            continue;
        };
        let (l, q) = (l.milli_value(), q.milli_value());
        if q > 0 && (l as f64 / q as f64) > ratio.milli_value() as f64 / 1000.0 {
            errors.push(format!(
                "{r} max limit to request ratio per {what} is {ratio}, but provided ratio is {:.6}",
                l as f64 / q as f64
            ));
        }
    }
}

/// The quota admission for one pod against one quota, given the namespace's current usage
/// under each of the quota's names (`used`). Messages are the API server's (the caller adds
/// `pods "x" is forbidden: `).
pub fn check_quota(quota: &ResourceQuota, used: &BTreeMap<String, i64>, spec: &PodSpec) -> Result<(), String> {
    // A compute resource the quota limits must be stated by every container.
    let mut missing: Vec<String> = Vec::new();
    for name in quota.hard.keys() {
        let Some(QuotaResource::Compute(kind, r)) = quota_resource(name) else { continue };
        if !matches!(r, ResourceName::Cpu | ResourceName::Memory) {
            continue;
        }
        let absent: Vec<&str> = spec
            .containers
            .iter()
            .filter(|c| container_amount(c, kind, &r).is_none())
            .map(|c| c.name.as_str())
            .collect();
        if !absent.is_empty() {
            let stated = match kind {
                QuotaKind::Requests => format!("requests.{r}"),
                QuotaKind::Limits => format!("limits.{r}"),
            };
            missing.push(format!("{stated} for: {}", absent.join(",")));
        }
    }
    if !missing.is_empty() {
        missing.sort();
        missing.dedup();
        return Err(format!("failed quota: {}: must specify {}", quota.meta.name, missing.join("; ")));
    }
    let (mut requested, mut over_used, mut limited) = (Vec::new(), Vec::new(), Vec::new());
    for (name, hard) in &quota.hard {
        let Some(res) = quota_resource(name) else { continue };
        let (wants, units_hard, text): (i64, i64, Box<dyn Fn(i64) -> String>) = match &res {
            QuotaResource::Pods => (1, hard.value(), Box::new(|v: i64| v.to_string())),
            QuotaResource::Compute(kind, r) => {
                let units = if *r == ResourceName::Cpu { hard.milli_value() } else { hard.value() };
                let r2 = r.clone();
                (pod_amount(spec, *kind, r), units, Box::new(move |v: i64| quantity_text(&r2, v)))
            }
        };
        if wants == 0 {
            continue;
        }
        let now_used = used.get(name).copied().unwrap_or(0);
        if now_used.saturating_add(wants) > units_hard {
            requested.push(format!("{name}={}", text(wants)));
            over_used.push(format!("{name}={}", text(now_used)));
            limited.push(format!("{name}={hard}"));
        }
    }
    if requested.is_empty() {
        return Ok(());
    }
    Err(format!(
        "exceeded quota: {}, requested: {}, used: {}, limited: {}",
        quota.meta.name,
        requested.join(","),
        over_used.join(","),
        limited.join(",")
    ))
}

/// What one pod adds to each of a quota's names.
pub fn pod_usage(quota: &ResourceQuota, spec: &PodSpec) -> BTreeMap<String, i64> {
    quota
        .hard
        .keys()
        .filter_map(|name| {
            let amount = match quota_resource(name)? {
                QuotaResource::Pods => 1,
                QuotaResource::Compute(kind, r) => pod_amount(spec, kind, &r),
            };
            Some((name.clone(), amount))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{container, resource_list};

    fn spec(containers: Vec<Container>) -> PodSpec {
        let containers = containers
            .into_iter()
            .map(|c| if c.name.is_empty() { Container { name: "c".into(), ..c } } else { c })
            .collect();
        let mut s = PodSpec { containers, ..PodSpec::default() };
        s.finalize();
        s
    }

    fn range(kind: LimitType, fields: &[(&str, &[(&str, &str)])]) -> LimitRange {
        let mut item = LimitRangeItem { kind: Some(kind), ..LimitRangeItem::default() };
        for (field, list) in fields {
            let list = resource_list(list);
            match *field {
                "min" => item.min = list,
                "max" => item.max = list,
                "default" => item.default = list,
                "defaultRequest" => item.default_request = list,
                "ratio" => item.max_limit_request_ratio = list,
                _ => unreachable!(),
            }
        }
        LimitRange { meta: ObjectMeta::default(), limits: vec![item] }
    }

    #[test]
    fn limit_range_defaults_then_checks() {
        let r = range(LimitType::Container, &[("default", &[("cpu", "500m")]), ("defaultRequest", &[("cpu", "100m")])]);
        let out = apply_limit_ranges(&spec(vec![container(&[])]), &[&r]).unwrap();
        assert_eq!(out.containers[0].limits[&ResourceName::Cpu].to_string(), "500m");
        assert_eq!(out.containers[0].requests[&ResourceName::Cpu].to_string(), "100m");
        assert_eq!(out.requests.milli_cpu, 100, "effective requests recomputed");
        // A written request is kept.
        let out = apply_limit_ranges(&spec(vec![container(&[("cpu", "200m")])]), &[&r]).unwrap();
        assert_eq!(out.containers[0].requests[&ResourceName::Cpu].to_string(), "200m");

        let min = range(LimitType::Container, &[("min", &[("cpu", "100m")])]);
        let e = apply_limit_ranges(&spec(vec![container(&[("cpu", "50m")])]), &[&min]).unwrap_err();
        assert_eq!(e, "minimum cpu usage per Container is 100m, but request is 50m");
        let e = apply_limit_ranges(&spec(vec![container(&[])]), &[&min]).unwrap_err();
        assert_eq!(e, "minimum cpu usage per Container is 100m.  No request is specified");
        let max = range(LimitType::Container, &[("max", &[("memory", "1Gi")])]);
        let e = apply_limit_ranges(&spec(vec![container(&[("memory", "100Mi")])]), &[&max]).unwrap_err();
        assert_eq!(e, "maximum memory usage per Container is 1Gi.  No limit is specified");
        // Pod items sum the containers: 2 x 600m > 1.
        let pod_max = range(LimitType::Pod, &[("max", &[("cpu", "1")])]);
        let mut c = container(&[("cpu", "600m")]);
        c.limits = resource_list(&[("cpu", "600m")]);
        let e =
            apply_limit_ranges(&spec(vec![c.clone(), Container { name: "b".into(), ..c }]), &[&pod_max]).unwrap_err();
        assert_eq!(e, "maximum cpu usage per Pod is 1, but limit is 1200m");
    }

    #[test]
    fn quota_admission() {
        let quota = ResourceQuota {
            meta: ObjectMeta { name: "compute".into(), ..ObjectMeta::default() },
            hard: [
                ("pods".to_string(), Quantity::parse("3").unwrap()),
                ("requests.cpu".to_string(), Quantity::parse("2").unwrap()),
            ]
            .into_iter()
            .collect(),
        };
        let pod = spec(vec![container(&[("cpu", "500m")])]);
        let used: BTreeMap<String, i64> =
            [("pods".to_string(), 2), ("requests.cpu".to_string(), 1500)].into_iter().collect();
        assert!(check_quota(&quota, &used, &pod).is_ok(), "2+1 pods, 1500m+500m");
        let used: BTreeMap<String, i64> =
            [("pods".to_string(), 2), ("requests.cpu".to_string(), 1800)].into_iter().collect();
        assert_eq!(
            check_quota(&quota, &used, &pod).unwrap_err(),
            "exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=1800m, limited: requests.cpu=2"
        );
        let no_request = spec(vec![container(&[])]);
        assert_eq!(
            check_quota(&quota, &BTreeMap::new(), &no_request).unwrap_err(),
            "failed quota: compute: must specify requests.cpu for: c"
        );
        assert_eq!(pod_usage(&quota, &pod)["requests.cpu"], 500);
        assert_eq!(quota_resource("memory"), Some(QuotaResource::Compute(QuotaKind::Requests, ResourceName::Memory)));
        assert_eq!(quota_resource("count/pods"), Some(QuotaResource::Pods));
    }
}
