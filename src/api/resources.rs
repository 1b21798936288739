//! Resource names, resource lists and the scheduler's integer resource vector.
//!
//! A manifest's `requests`, `limits`, `capacity` and `allocatable` are `ResourceList`s of
//! [`Quantity`]; the scheduler and the kubelet work on [`Resources`], the integer vector of
//! kube-scheduler's `framework.Resource` (`pkg/scheduler/framework/types.go`): cpu in
//! millicores (`MilliValue`), every other resource in whole units (`Value`), both rounded up as
//! Kubernetes does. Effective pod requests follow `PodRequests` in
//! `staging/src/k8s.io/component-helpers/resource/helpers.go`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::api::quantity::Quantity;

/// A resource name: the four the scheduler treats specially, or a scalar resource
/// (extended resources such as `nvidia.com/gpu`, `hugepages-2Mi`, ...).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ResourceName {
    Cpu,
    Memory,
    EphemeralStorage,
    Pods,
    Scalar(Arc<str>),
}

impl ResourceName {
    pub fn as_str(&self) -> &str {
        match self {
            ResourceName::Cpu => "cpu",
            ResourceName::Memory => "memory",
            ResourceName::EphemeralStorage => "ephemeral-storage",
            ResourceName::Pods => "pods",
            ResourceName::Scalar(s) => s,
        }
    }

    /// Parses and validates a resource name the way API validation does for container
    /// resources and node capacity: a standard name, `hugepages-<size>`, or a fully qualified
    /// extended resource (`<domain>/<name>`, not in the `kubernetes.io` domain).
    pub fn parse(s: &str) -> Result<ResourceName, String> {
        match s {
            "cpu" => return Ok(ResourceName::Cpu),
            "memory" => return Ok(ResourceName::Memory),
            "ephemeral-storage" => return Ok(ResourceName::EphemeralStorage),
            "pods" => return Ok(ResourceName::Pods),
            _ => {}
        }
        if let Some(size) = s.strip_prefix("hugepages-") {
            if Quantity::parse(size).is_err() {
                return Err(format!(
                    "invalid hugepages resource {s:?}: the size after 'hugepages-' must be a quantity such as 2Mi"
                ));
            }
            return Ok(ResourceName::Scalar(Arc::from(s)));
        }
        if let Some((domain, name)) = s.split_once('/') {
            crate::api::validation::is_qualified_name(s).map_err(|e| format!("invalid resource name {s:?}: {e}"))?;
            if domain == "kubernetes.io" || domain.ends_with(".kubernetes.io") {
                // Prefixed native resources (e.g. attachable volumes) are accepted for nodes.
                if name.is_empty() {
                    return Err(format!("invalid resource name {s:?}"));
                }
            }
            return Ok(ResourceName::Scalar(Arc::from(s)));
        }
        let hint = crate::suggest::did_you_mean(s, ["cpu", "memory", "ephemeral-storage", "pods"]);
        Err(format!(
            "unknown resource {s:?}{hint}: use cpu, memory, ephemeral-storage, pods, hugepages-<size>, or a fully qualified extended resource such as example.com/gpu"
        ))
    }

    /// Extended resources: a domain-qualified name outside `kubernetes.io`. They must be
    /// integers and must not be overcommitted (request == limit).
    pub fn is_extended(&self) -> bool {
        match self {
            ResourceName::Scalar(s) => match s.split_once('/') {
                Some((domain, _)) => !(domain == "kubernetes.io" || domain.ends_with(".kubernetes.io")),
                None => false,
            },
            _ => false,
        }
    }

    pub fn is_hugepages(&self) -> bool {
        matches!(self, ResourceName::Scalar(s) if s.starts_with("hugepages-"))
    }
}

impl PartialOrd for ResourceName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ResourceName {
    /// Alphabetical by name, so lists print in a stable order.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Display for ResourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `v1.ResourceList`.
pub type ResourceList = BTreeMap<ResourceName, Quantity>;

/// The integer resource vector (`framework.Resource`): cpu in millicores, memory and
/// ephemeral storage in bytes, the pod count, and scalar resources in whole units.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    /// `AllowedPodNumber` for node allocatable; unused for pod requests.
    pub allowed_pod_number: i64,
    /// Sorted by name, no duplicates.
    pub scalar: Vec<(Arc<str>, i64)>,
}

impl Resources {
    /// Converts a resource list with `MilliValue` for cpu and `Value` for everything else,
    /// exactly as `framework.Resource.Add` does.
    pub fn from_list(list: &ResourceList) -> Resources {
        let mut r = Resources::default();
        for (name, q) in list {
            match name {
                ResourceName::Cpu => r.milli_cpu = r.milli_cpu.wrapping_add(q.milli_value()),
                ResourceName::Memory => r.memory = r.memory.wrapping_add(q.value()),
                ResourceName::EphemeralStorage => r.ephemeral_storage = r.ephemeral_storage.wrapping_add(q.value()),
                ResourceName::Pods => r.allowed_pod_number = r.allowed_pod_number.wrapping_add(q.value()),
                ResourceName::Scalar(s) => r.add_scalar(s, q.value()),
            }
        }
        r
    }

    pub fn scalar(&self, name: &str) -> i64 {
        match self.scalar.binary_search_by(|(n, _)| (**n).cmp(name)) {
            Ok(i) => self.scalar[i].1,
            Err(_) => 0,
        }
    }

    /// Whether the scalar resource is present at all (even with quantity 0).
    pub fn has_scalar(&self, name: &str) -> bool {
        self.scalar.binary_search_by(|(n, _)| (**n).cmp(name)).is_ok()
    }

    pub fn add_scalar(&mut self, name: &Arc<str>, v: i64) {
        match self.scalar.binary_search_by(|(n, _)| n.cmp(name)) {
            Ok(i) => self.scalar[i].1 = self.scalar[i].1.saturating_add(v),
            Err(i) => self.scalar.insert(i, (name.clone(), v)),
        }
    }

    fn set_scalar(&mut self, name: &Arc<str>, v: i64) {
        match self.scalar.binary_search_by(|(n, _)| n.cmp(name)) {
            Ok(i) => self.scalar[i].1 = v,
            Err(i) => self.scalar.insert(i, (name.clone(), v)),
        }
    }

    /// Element-wise sum (saturating: quantities are validated to be far below the limits).
    pub fn add(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.saturating_add(other.milli_cpu);
        self.memory = self.memory.saturating_add(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.saturating_add(other.ephemeral_storage);
        self.allowed_pod_number = self.allowed_pod_number.saturating_add(other.allowed_pod_number);
        for (n, v) in &other.scalar {
            self.add_scalar(n, *v);
        }
    }

    /// Element-wise difference; scalar entries stay present (possibly at zero).
    pub fn sub(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.saturating_sub(other.milli_cpu);
        self.memory = self.memory.saturating_sub(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.saturating_sub(other.ephemeral_storage);
        self.allowed_pod_number = self.allowed_pod_number.saturating_sub(other.allowed_pod_number);
        for (n, v) in &other.scalar {
            self.add_scalar(n, v.saturating_neg());
        }
    }

    /// Element-wise maximum (`SetMaxResource`).
    pub fn max_with(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        for (n, v) in &other.scalar {
            let cur = self.scalar(n);
            if !self.has_scalar(n) || *v > cur {
                self.set_scalar(n, *v);
            }
        }
    }

    /// True when cpu, memory, ephemeral storage and every scalar are zero (a best-effort
    /// request).
    pub fn is_zero(&self) -> bool {
        self.milli_cpu == 0
            && self.memory == 0
            && self.ephemeral_storage == 0
            && self.scalar.iter().all(|(_, v)| *v == 0)
    }

    /// The value of one resource, by name.
    pub fn get(&self, name: &ResourceName) -> i64 {
        match name {
            ResourceName::Cpu => self.milli_cpu,
            ResourceName::Memory => self.memory,
            ResourceName::EphemeralStorage => self.ephemeral_storage,
            ResourceName::Pods => self.allowed_pod_number,
            ResourceName::Scalar(s) => self.scalar(s),
        }
    }
}

/// `DefaultMilliCPURequest`: the cpu a container without a cpu request is assumed to use when
/// scoring (`pkg/scheduler/util/pod_resources.go`).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// `DefaultMemoryRequest`: 200 MiB.
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[(&str, &str)]) -> ResourceList {
        items.iter().map(|(n, q)| (ResourceName::parse(n).unwrap(), Quantity::parse(q).unwrap())).collect()
    }

    #[test]
    fn names() {
        assert_eq!(ResourceName::parse("cpu"), Ok(ResourceName::Cpu));
        assert!(ResourceName::parse("nvidia.com/gpu").unwrap().is_extended());
        assert!(ResourceName::parse("hugepages-2Mi").unwrap().is_hugepages());
        let err = ResourceName::parse("cpus").unwrap_err();
        assert!(err.contains("did you mean \"cpu\""), "{err}");
        assert!(ResourceName::parse("gpu").is_err());
        assert!(ResourceName::parse("hugepages-x").is_err());
        assert!(ResourceName::parse("a/b/c").is_err());
        assert!(ResourceName::parse("Example.com/gpu").is_err());
    }

    #[test]
    fn from_list_rounds_like_kubernetes() {
        let r = Resources::from_list(&list(&[
            ("cpu", "100m"),
            ("memory", "1.5Ki"),
            ("pods", "110"),
            ("nvidia.com/gpu", "2"),
            ("ephemeral-storage", "0.5"),
        ]));
        assert_eq!(r.milli_cpu, 100);
        assert_eq!(r.memory, 1536);
        assert_eq!(r.allowed_pod_number, 110);
        assert_eq!(r.scalar("nvidia.com/gpu"), 2);
        assert_eq!(r.ephemeral_storage, 1, "Value() rounds 0.5 up to 1");
        let tiny = Resources::from_list(&list(&[("cpu", "0.1m")]));
        assert_eq!(tiny.milli_cpu, 1, "MilliValue() rounds up");
    }

    #[test]
    fn arithmetic() {
        let a = Resources::from_list(&list(&[("cpu", "1"), ("example.com/x", "3")]));
        let b = Resources::from_list(&list(&[("cpu", "2"), ("example.com/y", "1")]));
        let mut m = a.clone();
        m.max_with(&b);
        assert_eq!(m.milli_cpu, 2000);
        assert_eq!(m.scalar("example.com/x"), 3);
        assert_eq!(m.scalar("example.com/y"), 1);
        let mut s = a.clone();
        s.add(&b);
        s.sub(&b);
        assert_eq!(s.milli_cpu, a.milli_cpu);
        assert_eq!(s.scalar("example.com/y"), 0);
        assert!(s.has_scalar("example.com/y"));
    }
}
