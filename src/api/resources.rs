//! Resource names, resource lists and the scheduler's integer resource vector.
//!
//! A manifest's `requests`, `limits`, `capacity` and `allocatable` are `ResourceList`s of
//! [`Quantity`]; the scheduler and the kubelet work on [`Resources`], the integer vector of
//! kube-scheduler's `framework.Resource` (`pkg/scheduler/framework/types.go`): cpu in
//! millicores (`MilliValue`), every other resource in whole units (`Value`), both rounded up as
//! Kubernetes does. Effective pod requests follow `PodRequests` in
//! `staging/src/k8s.io/component-helpers/resource/helpers.go`.

use std::fmt;
use std::sync::Arc;

use crate::api::quantity::Quantity;
use crate::api::shared::SharedVec;

/// The one shared copy of a scalar resource's name: every parsed name and every name the
/// model writes goes through here, so that resource lists compare names by address first
/// ([`Resources::scalar`]). A handful of names per run; the set only grows.
pub fn interned(name: &str) -> Arc<str> {
    use std::collections::BTreeSet;
    use std::sync::{LazyLock, Mutex};
    static NAMES: LazyLock<Mutex<BTreeSet<Arc<str>>>> = LazyLock::new(Mutex::default);
    // A poisoned lock still holds a valid set (insertion is the only change).
    let mut names = NAMES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = names.get(name) {
        return known.clone();
    }
    let name: Arc<str> = Arc::from(name);
    names.insert(name.clone());
    name
}

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
            return Ok(ResourceName::Scalar(interned(s)));
        }
        if let Some((domain, name)) = s.split_once('/') {
            crate::api::validation::is_qualified_name(s).map_err(|e| format!("invalid resource name {s:?}: {e}"))?;
            if domain == "kubernetes.io" || domain.ends_with(".kubernetes.io") {
                // Prefixed native resources (e.g. attachable volumes) are accepted for nodes.
                if name.is_empty() {
                    return Err(format!("invalid resource name {s:?}"));
                }
            }
            return Ok(ResourceName::Scalar(interned(s)));
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
            ResourceName::Scalar(s) => Self::is_extended_name(s),
            _ => false,
        }
    }

    /// [`is_extended`](Self::is_extended) of a scalar resource's name.
    pub fn is_extended_name(s: &str) -> bool {
        match s.split_once('/') {
            Some((domain, _)) => !(domain == "kubernetes.io" || domain.ends_with(".kubernetes.io")),
            None => false,
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

/// `v1.ResourceList`: quantities by resource name, iterated in name order ([`ResourceName`]'s
/// `Ord`, the order a `BTreeMap` would give), so every output that lists one is unchanged.
///
/// A sorted `Vec` rather than a `BTreeMap`: a map with even one entry allocates a whole leaf
/// node of 11 slots (≈1.3 KB with these keys and values), and every pod and node holds several
/// lists of two or three entries (a node's capacity and allocatable, twice over in its
/// manifest). Here a list holds its entries and nothing more: insertion and lookup are binary
/// searches over a handful of entries, and the construction paths shrink the vector to fit.
///
/// Shared: a clone is a reference count (the nodes of a pool, and a node's manifest and
/// object, hold one list), copied on the first change. Empty lists allocate nothing.
///
/// Invariant: entries are sorted by name with no two equal names.
///
/// Equal and hashed as the entries' slice (and so a `Vec` of them, [`SharedVec`]'s): pod
/// template hashes depend on it.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct ResourceList(SharedVec<(ResourceName, Quantity)>);

impl ResourceList {
    /// An empty list (allocates nothing).
    pub const fn new() -> ResourceList {
        ResourceList(SharedVec::new())
    }

    fn entries(&self) -> &[(ResourceName, Quantity)] {
        self.0.as_slice()
    }

    /// The entries to change, copied first if another list shares them.
    fn entries_mut(&mut self) -> &mut Vec<(ResourceName, Quantity)> {
        self.0.make_mut()
    }

    fn position(&self, name: &ResourceName) -> Result<usize, usize> {
        self.entries().binary_search_by(|(n, _)| n.cmp(name))
    }

    /// Sets `name` to `quantity` and returns the quantity it replaces, as `BTreeMap::insert`
    /// (an existing name keeps its key, only the value changes).
    pub fn insert(&mut self, name: ResourceName, quantity: Quantity) -> Option<Quantity> {
        match self.position(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.entries_mut()[i].1, quantity)),
            Err(i) => {
                self.entries_mut().insert(i, (name, quantity));
                None
            }
        }
    }

    /// The quantity of `name`, first set to `default()` when the list has none: what
    /// `BTreeMap`'s `entry(name).or_insert_with(default)` does.
    pub fn get_or_insert_with(&mut self, name: ResourceName, default: impl FnOnce() -> Quantity) -> &mut Quantity {
        let i = match self.position(&name) {
            Ok(i) => i,
            Err(i) => {
                self.entries_mut().insert(i, (name, default()));
                i
            }
        };
        &mut self.entries_mut()[i].1
    }

    pub fn get(&self, name: &ResourceName) -> Option<&Quantity> {
        self.position(name).ok().map(|i| &self.entries()[i].1)
    }

    pub fn contains_key(&self, name: &ResourceName) -> bool {
        self.position(name).is_ok()
    }

    /// Removes `name` and returns its quantity.
    pub fn remove(&mut self, name: &ResourceName) -> Option<Quantity> {
        let i = self.position(name).ok()?;
        let (_, quantity) = self.entries_mut().remove(i);
        if self.entries().is_empty() {
            self.0.clear();
        }
        Some(quantity)
    }

    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    /// The entries in name order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries().iter())
    }

    /// The names in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &ResourceName> + ExactSizeIterator + Clone {
        self.entries().iter().map(|(n, _)| n)
    }

    /// The quantities in name order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Quantity> + ExactSizeIterator + Clone {
        self.entries().iter().map(|(_, q)| q)
    }

    /// Drops spare capacity: a list built entry by entry and then kept (a pod's or a node's)
    /// holds exactly its entries.
    pub fn shrink_to_fit(&mut self) {
        if let Some(entries) = self.0.get_mut() {
            entries.shrink_to_fit();
        }
    }
}

impl fmt::Debug for ResourceList {
    /// As a `BTreeMap` prints: `{cpu: 1, memory: 1Gi}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl std::ops::Index<&ResourceName> for ResourceList {
    type Output = Quantity;

    /// The quantity of `name`; panics when the list has none, as `BTreeMap`'s indexing does.
    fn index(&self, name: &ResourceName) -> &Quantity {
        self.get(name).expect("no entry found for key")
    }
}

impl FromIterator<(ResourceName, Quantity)> for ResourceList {
    /// As `BTreeMap::from_iter`: of equal names, the last entry wins.
    fn from_iter<I: IntoIterator<Item = (ResourceName, Quantity)>>(iter: I) -> ResourceList {
        let mut entries: Vec<(ResourceName, Quantity)> = iter.into_iter().collect();
        // Stable: equal names stay in input order, and the last of each run is kept.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut deduped: Vec<(ResourceName, Quantity)> = Vec::with_capacity(entries.len());
        for entry in entries {
            match deduped.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => deduped.push(entry),
            }
        }
        deduped.shrink_to_fit();
        ResourceList(deduped.into())
    }
}

impl Extend<(ResourceName, Quantity)> for ResourceList {
    /// As `BTreeMap::extend`: each entry is inserted in turn.
    fn extend<I: IntoIterator<Item = (ResourceName, Quantity)>>(&mut self, iter: I) {
        for (name, quantity) in iter {
            self.insert(name, quantity);
        }
    }
}

/// The entries of a [`ResourceList`] by reference, in name order (`BTreeMap`'s item type).
#[derive(Clone, Debug)]
pub struct Iter<'a>(std::slice::Iter<'a, (ResourceName, Quantity)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a ResourceName, &'a Quantity);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(n, q)| (n, q))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(n, q)| (n, q))
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl std::iter::FusedIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a ResourceList {
    type Item = (&'a ResourceName, &'a Quantity);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for ResourceList {
    type Item = (ResourceName, Quantity);
    type IntoIter = std::vec::IntoIter<(ResourceName, Quantity)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_vec().into_iter()
    }
}

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
        self.scalar_index(name).map_or(0, |i| self.scalar[i].1)
    }

    /// Whether the scalar resource is present at all (even with quantity 0).
    pub fn has_scalar(&self, name: &str) -> bool {
        self.scalar_index(name).is_some()
    }

    /// The position of `name` in `scalar`. Lists are short (a GPU or two): a linear scan that
    /// compares lengths and first bytes before any string comparison beats a binary search of
    /// full comparisons, and this is in every filter, score and sample.
    ///
    /// Names are interned ([`interned`]): the usual match is the same string, found without
    /// comparing bytes; an equal string elsewhere still matches.
    fn scalar_index(&self, name: &str) -> Option<usize> {
        if self.scalar.len() <= 8 {
            let (len, first) = (name.len(), name.as_bytes().first());
            return self.scalar.iter().position(|(n, _)| {
                n.len() == len
                    && (std::ptr::eq(n.as_ptr(), name.as_ptr()) || (n.as_bytes().first() == first && **n == *name))
            });
        }
        self.scalar.binary_search_by(|(n, _)| (**n).cmp(name)).ok()
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

/// kubesim's GPU model (`docs/scenario.md`, "GPUs"): a node's `nvidia.com/gpu: N` allocatable is
/// N devices of [`gpu::MILLI_PER_DEVICE`] milli each; a pod takes whole devices with
/// `nvidia.com/gpu: k` or a share of one device with `kubesim.io/gpu-milli: m` (1 ≤ m < 1000).
pub mod gpu {
    /// Whole GPU devices (the NVIDIA device plugin's resource).
    pub const DEVICES: &str = "nvidia.com/gpu";
    /// A share of one GPU device, in thousandths (openb's `gpu_milli`).
    pub const MILLI: &str = "kubesim.io/gpu-milli";
    /// The milli of one device.
    pub const MILLI_PER_DEVICE: i64 = 1000;
    /// The node label naming the GPU model (as NVIDIA GPU Feature Discovery sets it).
    pub const PRODUCT_LABEL: &str = "nvidia.com/gpu.product";
    /// The pod annotation restricting GPU models, `|`-separated (openb's `gpu_spec`).
    pub const SPEC_ANNOTATION: &str = "kubesim.io/gpu-spec";
    /// At most this many devices per node are modelled (a larger `nvidia.com/gpu` allocatable
    /// is modelled as this many devices).
    pub const MAX_DEVICES: usize = 1024;
}

/// What a pod asks of GPU devices, from its effective requests (`PodRequests`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GpuRequest {
    /// Neither `nvidia.com/gpu` nor `kubesim.io/gpu-milli`.
    None,
    /// `nvidia.com/gpu: k`: k whole, otherwise unused devices.
    Whole(u32),
    /// `kubesim.io/gpu-milli: m`: m thousandths of one device (1 ≤ m < 1000).
    Share(i64),
    /// A request the model does not allow; the reason says why.
    Invalid(&'static str),
}

impl GpuRequest {
    /// The pod's GPU request from its effective requests.
    pub fn of(requests: &Resources) -> GpuRequest {
        let whole = requests.scalar(gpu::DEVICES);
        let milli = requests.scalar(gpu::MILLI);
        match (whole > 0, milli > 0) {
            (false, false) => GpuRequest::None,
            (true, true) => GpuRequest::Invalid(
                "pod requests both nvidia.com/gpu and kubesim.io/gpu-milli: whole GPUs or a share of one, not both",
            ),
            (false, true) if milli >= gpu::MILLI_PER_DEVICE => GpuRequest::Invalid(
                "kubesim.io/gpu-milli is a share of one GPU and must be below 1000: request whole GPUs with nvidia.com/gpu",
            ),
            (false, true) => GpuRequest::Share(milli),
            (true, false) => GpuRequest::Whole(u32::try_from(whole).unwrap_or(u32::MAX)),
        }
    }

    /// The number of devices it takes and the milli it takes on each: `(k, 1000)` for whole
    /// GPUs, `(1, m)` for a share, `(0, 0)` otherwise.
    pub fn per_device(self) -> (u32, i64) {
        match self {
            GpuRequest::Whole(k) => (k, gpu::MILLI_PER_DEVICE),
            GpuRequest::Share(m) => (1, m),
            GpuRequest::None | GpuRequest::Invalid(_) => (0, 0),
        }
    }

    /// Whether it asks for GPU devices at all (a valid request).
    pub fn uses_devices(self) -> bool {
        matches!(self, GpuRequest::Whole(_) | GpuRequest::Share(_))
    }
}

impl Resources {
    /// The number of GPU devices a node with this allocatable has (`nvidia.com/gpu`, capped at
    /// [`gpu::MAX_DEVICES`]).
    pub fn gpu_devices(&self) -> usize {
        usize::try_from(self.scalar(gpu::DEVICES).max(0)).unwrap_or(usize::MAX).min(gpu::MAX_DEVICES)
    }

    /// Derives a node's `kubesim.io/gpu-milli` allocatable from its `nvidia.com/gpu`: N devices
    /// give N × 1000 milli (a value written for `kubesim.io/gpu-milli` is replaced), so that
    /// NodeResourcesFit's aggregate check stays a true necessary condition for GPU shares.
    /// Nodes that name neither resource are left alone.
    pub fn derive_gpu_milli(&mut self) {
        if self.has_scalar(gpu::DEVICES) || self.has_scalar(gpu::MILLI) {
            let devices = self.scalar(gpu::DEVICES).max(0);
            self.set_scalar(&interned(gpu::MILLI), devices.saturating_mul(gpu::MILLI_PER_DEVICE));
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

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    fn name(s: &str) -> ResourceName {
        ResourceName::parse(s).unwrap()
    }

    #[test]
    fn resource_list_iterates_in_name_order_whatever_the_insertion_order() {
        let names = ["pods", "cpu", "nvidia.com/gpu", "memory", "ephemeral-storage", "hugepages-2Mi"];
        let mut sorted: Vec<&str> = names.to_vec();
        sorted.sort_unstable();
        let mut forward = ResourceList::new();
        let mut backward = ResourceList::new();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(forward.insert(name(n), q(&i.to_string())), None);
        }
        for (i, n) in names.iter().enumerate().rev() {
            assert_eq!(backward.insert(name(n), q(&i.to_string())), None);
        }
        assert_eq!(forward, backward);
        assert_eq!(forward.keys().map(ResourceName::as_str).collect::<Vec<_>>(), sorted);
        assert_eq!(forward.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), sorted);
        assert_eq!((&forward).into_iter().len(), names.len());
        assert_eq!(forward.clone().into_iter().map(|(n, _)| n.as_str().to_string()).collect::<Vec<_>>(), sorted);
        assert_eq!(forward.len(), names.len());
        assert_eq!(forward.get(&name("memory")), Some(&q("3")));
        assert_eq!(forward[&ResourceName::Pods], q("0"));
        assert_eq!(forward.values().next(), Some(&q("1")), "cpu comes first");
        assert!(forward.contains_key(&ResourceName::Pods));
        assert!(!forward.contains_key(&name("example.com/x")));
        // The same order and text as a BTreeMap.
        let map: std::collections::BTreeMap<ResourceName, Quantity> = forward.clone().into_iter().collect();
        assert_eq!(format!("{forward:?}"), format!("{map:?}"));
        assert_eq!(format!("{forward:#?}"), format!("{map:#?}"));
        assert_eq!(format!("{:?}", ResourceList::new()), "{}");
    }

    #[test]
    fn resource_list_insert_replaces_and_returns_the_old_value() {
        let mut l = ResourceList::new();
        assert_eq!(l.insert(ResourceName::Cpu, q("1")), None);
        assert_eq!(l.insert(ResourceName::Cpu, q("2")), Some(q("1")));
        assert_eq!(l.len(), 1);
        assert_eq!(l.get(&ResourceName::Cpu), Some(&q("2")));
        // get_or_insert_with keeps a present value and fills an absent one.
        assert_eq!(*l.get_or_insert_with(ResourceName::Cpu, || q("9")), q("2"));
        *l.get_or_insert_with(ResourceName::Memory, || q("1Gi")) = q("2Gi");
        assert_eq!(l.get(&ResourceName::Memory), Some(&q("2Gi")));
        l.extend([(ResourceName::Memory, q("3Gi")), (ResourceName::Pods, q("10"))]);
        assert_eq!(l, list(&[("cpu", "2"), ("memory", "3Gi"), ("pods", "10")]));
    }

    #[test]
    fn resource_list_from_iter_keeps_the_last_of_equal_names() {
        let l = list(&[("memory", "1Gi"), ("cpu", "1"), ("memory", "2Gi"), ("cpu", "3"), ("pods", "5"), ("cpu", "4")]);
        assert_eq!(l.len(), 3);
        assert_eq!(l.get(&ResourceName::Cpu), Some(&q("4")));
        assert_eq!(l.get(&ResourceName::Memory), Some(&q("2Gi")));
        assert_eq!(l.keys().map(ResourceName::as_str).collect::<Vec<_>>(), ["cpu", "memory", "pods"]);
        assert_eq!(l.0.capacity(), 3, "built lists hold no spare slots");
        assert!(list(&[]).is_empty() && !list(&[]).0.is_allocated(), "an empty list allocates nothing");
    }

    /// Clones share the entries until one changes, which then has its own copy; emptying a
    /// list frees it; equality and hashing look at the entries only.
    #[test]
    fn resource_lists_are_shared_until_changed() {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let a = list(&[("cpu", "1"), ("memory", "1Gi")]);
        let mut b = a.clone();
        assert!(a.0.shares_with(&b.0), "a clone shares");
        b.insert(ResourceName::Cpu, q("2"));
        assert_eq!(a.get(&ResourceName::Cpu), Some(&q("1")), "the original is untouched");
        assert_eq!(b.get(&ResourceName::Cpu), Some(&q("2")));
        let mut c = list(&[("pods", "5")]);
        c.remove(&ResourceName::Pods);
        assert!(!c.0.is_allocated() && c == ResourceList::new());
        let hash =
            |l: &ResourceList| BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(l);
        let entries: Vec<(ResourceName, Quantity)> = a.iter().map(|(n, q)| (n.clone(), q.clone())).collect();
        let as_vec = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(&entries);
        assert_eq!(hash(&a), as_vec, "hashed as its entries are");
        assert_eq!(hash(&a.clone()), hash(&a));
    }

    #[test]
    fn resource_list_remove() {
        let mut l = list(&[("cpu", "1"), ("memory", "1Gi"), ("pods", "5")]);
        assert_eq!(l.remove(&ResourceName::Memory), Some(q("1Gi")));
        assert_eq!(l.remove(&ResourceName::Memory), None);
        assert_eq!(l.remove(&name("example.com/x")), None);
        assert_eq!(l.keys().map(ResourceName::as_str).collect::<Vec<_>>(), ["cpu", "pods"]);
        assert_eq!(l.remove(&ResourceName::Cpu), Some(q("1")));
        assert_eq!(l.remove(&ResourceName::Pods), Some(q("5")));
        assert!(l.is_empty());
        assert_eq!(l, ResourceList::default());
    }

    #[test]
    fn resource_list_equality() {
        // Order of construction does not matter; quantities compare by value (1Ki == 1024).
        assert_eq!(list(&[("cpu", "1"), ("memory", "1Ki")]), list(&[("memory", "1024"), ("cpu", "1000m")]));
        assert_ne!(list(&[("cpu", "1")]), list(&[("cpu", "2")]));
        assert_ne!(list(&[("cpu", "1")]), list(&[("cpu", "1"), ("pods", "1")]));
        assert_ne!(list(&[("cpu", "1")]), list(&[("memory", "1")]));
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
    fn gpu_requests() {
        let req = |items: &[(&str, &str)]| GpuRequest::of(&Resources::from_list(&list(items)));
        assert_eq!(req(&[("cpu", "1")]), GpuRequest::None);
        assert_eq!(req(&[("nvidia.com/gpu", "2")]), GpuRequest::Whole(2));
        assert_eq!(req(&[("kubesim.io/gpu-milli", "300")]), GpuRequest::Share(300));
        assert_eq!(req(&[("kubesim.io/gpu-milli", "300")]).per_device(), (1, 300));
        assert_eq!(req(&[("nvidia.com/gpu", "2")]).per_device(), (2, 1000));
        assert!(matches!(req(&[("kubesim.io/gpu-milli", "1000")]), GpuRequest::Invalid(_)));
        assert!(matches!(req(&[("kubesim.io/gpu-milli", "5"), ("nvidia.com/gpu", "1")]), GpuRequest::Invalid(_)));
        // Zero requests are no request.
        assert_eq!(req(&[("nvidia.com/gpu", "0"), ("kubesim.io/gpu-milli", "0")]), GpuRequest::None);
    }

    #[test]
    fn gpu_milli_allocatable_is_derived() {
        let mut node = Resources::from_list(&list(&[("cpu", "8"), ("nvidia.com/gpu", "4")]));
        node.derive_gpu_milli();
        assert_eq!(node.scalar("kubesim.io/gpu-milli"), 4000);
        assert_eq!(node.gpu_devices(), 4);
        // A written value is replaced; a node without GPUs is left alone.
        let mut written = Resources::from_list(&list(&[("kubesim.io/gpu-milli", "7")]));
        written.derive_gpu_milli();
        assert_eq!(written.scalar("kubesim.io/gpu-milli"), 0);
        let mut cpu_only = Resources::from_list(&list(&[("cpu", "8")]));
        cpu_only.derive_gpu_milli();
        assert!(!cpu_only.has_scalar("kubesim.io/gpu-milli"));
        assert_eq!(cpu_only.gpu_devices(), 0);
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
