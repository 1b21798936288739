//! Object metadata shared by every kind: names, namespaces, labels, owners, timestamps.
//!
//! Field names follow `metav1.ObjectMeta`. Timestamps are virtual instants. UIDs are
//! deterministic counters handed out by the store, never random, so that tie-breaks which
//! Kubernetes resolves by UID are reproducible.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::kernel::SimTime;

/// Labels and annotations: a map from key to value, iterated in key order (so output is
/// stable), kept as one sorted slice. Objects carry a handful of entries; a `BTreeMap`
/// allocates a half-kilobyte node for even one, and a million pods carry several maps each.
/// The slice is shared copy-on-write: a pod's labels and annotations are a clone of its
/// template's, and a clone costs a reference count, not a copy of every string. A read is one
/// indirection (the scheduler reads node labels in its inner loops); a change that adds or
/// removes a key rebuilds the slice, moving the strings when the map is not shared. Empty
/// maps allocate nothing. The methods are `BTreeMap`'s, for the ones used.
#[derive(Clone, Default)]
pub struct Labels(Option<Arc<[(String, String)]>>);

/// The lengths of a set of label keys, one bit per length (`min(len, 63)`): an index that
/// keeps the lengths of the keys it files (a superset is fine: it never forgets one) skips,
/// without hashing, the labels of a pod whose key no filed key can equal (a Job's pod carries
/// four long `batch.kubernetes.io/...` keys that no selector anchors on).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyLengths(u64);

impl KeyLengths {
    fn bit(key: &str) -> u64 {
        1 << key.len().min(63)
    }

    /// Notes the length of `key`.
    pub fn add(&mut self, key: &str) {
        self.0 |= Self::bit(key);
    }

    /// Whether every length of `other` is here too.
    pub fn covers(self, other: KeyLengths) -> bool {
        self.0 & other.0 == other.0
    }

    /// The labels of `labels` whose key has a noted length (the others cannot be filed).
    #[inline]
    pub fn of(self, labels: &Labels) -> impl Iterator<Item = (&String, &String)> {
        labels.iter().filter(move |(key, _)| self.0 & Self::bit(key) != 0)
    }
}

/// Up to this many entries, `Labels::get` scans instead of bisecting.
const LINEAR_LOOKUP: usize = 16;

impl Labels {
    pub const fn new() -> Labels {
        Labels(None)
    }

    fn entries(&self) -> &[(String, String)] {
        self.0.as_deref().unwrap_or(&[])
    }

    /// The entries, to change values in place: copied first if another map shares them.
    fn entries_mut(&mut self) -> &mut [(String, String)] {
        let Some(arc) = self.0.as_mut() else { return &mut [] };
        if Arc::get_mut(arc).is_none() {
            *arc = Arc::from(arc.to_vec());
        }
        Arc::get_mut(arc).expect("unique after the copy")
    }

    /// Takes the entries out to add or remove some (moved when not shared, else copied).
    fn take_vec(&mut self) -> Vec<(String, String)> {
        match self.0.take() {
            None => Vec::new(),
            Some(mut arc) => match Arc::get_mut(&mut arc) {
                Some(entries) => entries.iter_mut().map(|(k, v)| (std::mem::take(k), std::mem::take(v))).collect(),
                None => arc.to_vec(),
            },
        }
    }

    /// Puts entries back (none: nothing allocated).
    fn set_vec(&mut self, entries: Vec<(String, String)>) {
        self.0 = if entries.is_empty() { None } else { Some(Arc::from(entries)) };
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries().binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&String> {
        let entries = self.entries();
        if entries.len() <= LINEAR_LOOKUP {
            // A node's or a pod's few labels: keys mostly differ in length, so a scan compares
            // lengths and calls memcmp only on a candidate; a binary search compared every
            // probe's bytes (well-known keys share long prefixes), 5 % of a 10,000-node day.
            return entries.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        }
        self.find(key).ok().map(|i| &entries[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut String> {
        let i = self.find(key).ok()?;
        Some(&mut self.entries_mut()[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`; returns the value it replaces.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries_mut()[i].1, value)),
            Err(i) => {
                let mut entries = self.take_vec();
                entries.insert(i, (key, value));
                self.set_vec(entries);
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.find(key).ok()?;
        let mut entries = self.take_vec();
        let (_, value) = entries.remove(i);
        self.set_vec(entries);
        Some(value)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut String) -> bool) {
        if self.is_empty() {
            return;
        }
        let mut entries = self.take_vec();
        entries.retain_mut(|(k, v)| keep(k, v));
        self.set_vec(entries);
    }

    pub fn clear(&mut self) {
        self.0 = None;
    }

    /// The entries in key order.
    pub fn iter(&self) -> LabelsIter<'_> {
        self.entries().iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.entries().iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.entries().iter().map(|(_, v)| v)
    }

    /// These labels with `extra` set over them (`extra`'s keys distinct): what inserting each
    /// in turn gives, built at once (one vector, one shared copy) for a label set every pod
    /// of a Job gets.
    pub fn with_overrides<const N: usize>(&self, extra: [(&str, String); N]) -> Labels {
        debug_assert!((1..N).all(|i| (0..i).all(|j| extra[i].0 != extra[j].0)), "distinct keys");
        let mut entries = Vec::with_capacity(self.len() + N);
        for (k, v) in self.entries().iter().filter(|(k, _)| extra.iter().all(|(e, _)| e != k)) {
            entries.push((k.clone(), v.clone()));
        }
        entries.extend(extra.map(|(k, v)| (k.to_string(), v)));
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut l = Labels::new();
        l.set_vec(entries);
        l
    }

    /// The value of `key`, inserting `default()` first if it is absent.
    pub fn entry_or_insert_with(&mut self, key: String, default: impl FnOnce() -> String) -> &mut String {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                let mut entries = self.take_vec();
                entries.insert(i, (key, default()));
                self.set_vec(entries);
                i
            }
        };
        &mut self.entries_mut()[i].1
    }
}

// Equality, order and hash are the entries', whether shared or not.
impl PartialEq for Labels {
    fn eq(&self, other: &Labels) -> bool {
        self.entries() == other.entries()
    }
}

impl Eq for Labels {}

impl PartialOrd for Labels {
    fn partial_cmp(&self, other: &Labels) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Labels {
    fn cmp(&self, other: &Labels) -> std::cmp::Ordering {
        self.entries().cmp(other.entries())
    }
}

impl std::hash::Hash for Labels {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.entries().hash(state);
    }
}

/// [`Labels::iter`].
pub type LabelsIter<'a> =
    std::iter::Map<std::slice::Iter<'a, (String, String)>, fn(&'a (String, String)) -> (&'a String, &'a String)>;

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, String)> for Labels {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Labels {
        // Sorted by key, the last value of a key kept: what inserting them in turn gives.
        let mut entries: Vec<(String, String)> = iter.into_iter().collect();
        entries.reverse();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, first| later.0 == first.0);
        let mut l = Labels::new();
        l.set_vec(entries);
        l
    }
}

impl Extend<(String, String)> for Labels {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, iter: I) {
        let mut entries = self.take_vec();
        entries.extend(iter);
        *self = entries.into_iter().collect();
    }
}

impl<const N: usize> From<[(String, String); N]> for Labels {
    fn from(pairs: [(String, String); N]) -> Labels {
        pairs.into_iter().collect()
    }
}

impl From<BTreeMap<String, String>> for Labels {
    fn from(map: BTreeMap<String, String>) -> Labels {
        map.into_iter().collect()
    }
}

impl IntoIterator for Labels {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;
    fn into_iter(mut self) -> Self::IntoIter {
        self.take_vec().into_iter()
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a String, &'a String);
    type IntoIter = LabelsIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl serde::Serialize for Labels {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl std::ops::Index<&str> for Labels {
    type Output = String;
    fn index(&self, key: &str) -> &String {
        self.get(key).expect("no such label")
    }
}

/// A deterministic unique id, assigned by the store in creation order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uid(pub u64);

impl Uid {
    /// The text (`to_string`'s) in one allocation of its exact length, where `to_string`
    /// grows the string once more: a Job's uid goes into two labels of each of its pods.
    pub fn text(self) -> String {
        use std::fmt::Write;
        let mut text = String::with_capacity(36);
        write!(text, "{self}").expect("a String takes any text");
        text
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Shaped like a Kubernetes UID so that logs look familiar, but derived from the counter.
        write!(f, "00000000-0000-4000-8000-{:012x}", self.0)
    }
}

/// The kinds of object the simulator models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Namespace,
    Node,
    Pod,
    ReplicaSet,
    Deployment,
    Service,
    PriorityClass,
    PodDisruptionBudget,
    Job,
    ConfigMap,
    Secret,
    LimitRange,
    ResourceQuota,
    CronJob,
    StatefulSet,
    DaemonSet,
    PersistentVolumeClaim,
    PersistentVolume,
    StorageClass,
    Ingress,
    HorizontalPodAutoscaler,
}

impl Kind {
    pub const ALL: [Kind; 21] = [
        Kind::Namespace,
        Kind::Node,
        Kind::Pod,
        Kind::ReplicaSet,
        Kind::Deployment,
        Kind::Service,
        Kind::PriorityClass,
        Kind::PodDisruptionBudget,
        Kind::Job,
        Kind::ConfigMap,
        Kind::Secret,
        Kind::LimitRange,
        Kind::ResourceQuota,
        Kind::CronJob,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::PersistentVolumeClaim,
        Kind::PersistentVolume,
        Kind::StorageClass,
        Kind::Ingress,
        Kind::HorizontalPodAutoscaler,
    ];

    /// The `kind:` spelling in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::Node => "Node",
            Kind::Pod => "Pod",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::Deployment => "Deployment",
            Kind::Service => "Service",
            Kind::PriorityClass => "PriorityClass",
            Kind::PodDisruptionBudget => "PodDisruptionBudget",
            Kind::Job => "Job",
            Kind::ConfigMap => "ConfigMap",
            Kind::Secret => "Secret",
            Kind::LimitRange => "LimitRange",
            Kind::ResourceQuota => "ResourceQuota",
            Kind::CronJob => "CronJob",
            Kind::StatefulSet => "StatefulSet",
            Kind::DaemonSet => "DaemonSet",
            Kind::PersistentVolumeClaim => "PersistentVolumeClaim",
            Kind::PersistentVolume => "PersistentVolume",
            Kind::StorageClass => "StorageClass",
            Kind::Ingress => "Ingress",
            Kind::HorizontalPodAutoscaler => "HorizontalPodAutoscaler",
        }
    }

    /// The `apiVersion:` the simulator expects for the kind.
    pub fn api_version(self) -> &'static str {
        match self {
            Kind::Namespace
            | Kind::Node
            | Kind::Pod
            | Kind::Service
            | Kind::ConfigMap
            | Kind::Secret
            | Kind::LimitRange
            | Kind::ResourceQuota
            | Kind::PersistentVolumeClaim
            | Kind::PersistentVolume => "v1",
            Kind::ReplicaSet | Kind::Deployment | Kind::StatefulSet | Kind::DaemonSet => "apps/v1",
            Kind::PriorityClass => "scheduling.k8s.io/v1",
            Kind::PodDisruptionBudget => "policy/v1",
            Kind::Job | Kind::CronJob => "batch/v1",
            Kind::StorageClass => "storage.k8s.io/v1",
            Kind::Ingress => "networking.k8s.io/v1",
            Kind::HorizontalPodAutoscaler => "autoscaling/v2",
        }
    }

    /// The lower-case singular resource name used in checks and CLI references
    /// (`deployment/default/web`), as `kubectl get` accepts it.
    pub fn resource(self) -> &'static str {
        match self {
            Kind::Namespace => "namespace",
            Kind::Node => "node",
            Kind::Pod => "pod",
            Kind::ReplicaSet => "replicaset",
            Kind::Deployment => "deployment",
            Kind::Service => "service",
            Kind::PriorityClass => "priorityclass",
            Kind::PodDisruptionBudget => "poddisruptionbudget",
            Kind::Job => "job",
            Kind::ConfigMap => "configmap",
            Kind::Secret => "secret",
            Kind::LimitRange => "limitrange",
            Kind::ResourceQuota => "resourcequota",
            Kind::CronJob => "cronjob",
            Kind::StatefulSet => "statefulset",
            Kind::DaemonSet => "daemonset",
            Kind::PersistentVolumeClaim => "persistentvolumeclaim",
            Kind::PersistentVolume => "persistentvolume",
            Kind::StorageClass => "storageclass",
            Kind::Ingress => "ingress",
            Kind::HorizontalPodAutoscaler => "horizontalpodautoscaler",
        }
    }

    /// The plural resource with its API group, as the API server names it in messages
    /// (`deployments.apps "web" already exists`, `services "web" is forbidden: ...`).
    pub fn qualified_resource(self) -> String {
        let plural = match self {
            Kind::Ingress => "ingresses".to_string(),
            Kind::PriorityClass => "priorityclasses".to_string(),
            Kind::StorageClass => "storageclasses".to_string(),
            other => format!("{}s", other.resource()),
        };
        match self.api_version().split_once('/') {
            Some((group, _)) => format!("{plural}.{group}"),
            None => plural,
        }
    }

    pub fn is_namespaced(self) -> bool {
        !matches!(
            self,
            Kind::Namespace | Kind::Node | Kind::PriorityClass | Kind::PersistentVolume | Kind::StorageClass
        )
    }

    /// Parses a kind from the resource spellings `kubectl` accepts: singular, plural and
    /// short names, case-insensitive (`deploy`, `deployments`, `Deployment`, `rs`, `svc`, `po`).
    pub fn from_resource(s: &str) -> Option<Kind> {
        let lower = s.to_ascii_lowercase();
        Some(match lower.as_str() {
            "namespace" | "namespaces" | "ns" => Kind::Namespace,
            "node" | "nodes" | "no" => Kind::Node,
            "pod" | "pods" | "po" => Kind::Pod,
            "replicaset" | "replicasets" | "rs" => Kind::ReplicaSet,
            "deployment" | "deployments" | "deploy" => Kind::Deployment,
            "service" | "services" | "svc" => Kind::Service,
            "priorityclass" | "priorityclasses" | "pc" => Kind::PriorityClass,
            "poddisruptionbudget" | "poddisruptionbudgets" | "pdb" => Kind::PodDisruptionBudget,
            "job" | "jobs" => Kind::Job,
            "configmap" | "configmaps" | "cm" => Kind::ConfigMap,
            "secret" | "secrets" => Kind::Secret,
            "limitrange" | "limitranges" | "limits" => Kind::LimitRange,
            "resourcequota" | "resourcequotas" | "quota" => Kind::ResourceQuota,
            "cronjob" | "cronjobs" | "cj" => Kind::CronJob,
            "statefulset" | "statefulsets" | "sts" => Kind::StatefulSet,
            "daemonset" | "daemonsets" | "ds" => Kind::DaemonSet,
            "persistentvolumeclaim" | "persistentvolumeclaims" | "pvc" => Kind::PersistentVolumeClaim,
            "persistentvolume" | "persistentvolumes" | "pv" => Kind::PersistentVolume,
            "storageclass" | "storageclasses" | "sc" => Kind::StorageClass,
            "ingress" | "ingresses" | "ing" => Kind::Ingress,
            "horizontalpodautoscaler" | "horizontalpodautoscalers" | "hpa" => Kind::HorizontalPodAutoscaler,
            _ => return None,
        })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `metav1.OwnerReference`, reduced to what controllers use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnerReference {
    pub kind: Kind,
    pub name: String,
    pub uid: Uid,
    pub controller: bool,
}

/// `metav1.ObjectMeta`, reduced to what the simulator uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectMeta {
    pub name: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub uid: Uid,
    pub labels: Labels,
    pub annotations: Labels,
    pub owner_references: Vec<OwnerReference>,
    pub creation_timestamp: SimTime,
    pub deletion_timestamp: Option<SimTime>,
    pub deletion_grace_period_seconds: Option<i64>,
    /// Incremented on every spec change, as the API server does.
    pub generation: i64,
}

impl ObjectMeta {
    /// The owner with `controller: true`, if any.
    pub fn controller_ref(&self) -> Option<&OwnerReference> {
        self.owner_references.iter().find(|o| o.controller)
    }

    pub fn is_terminating(&self) -> bool {
        self.deletion_timestamp.is_some()
    }

    /// `namespace/name`, or `name` for cluster-scoped objects.
    pub fn key(&self) -> String {
        key_of(&self.namespace, &self.name)
    }
}

/// `namespace/name`, or `name` when the namespace is empty (a cluster-scoped object): the key
/// of [`ObjectMeta::key`], for objects known by their names only (archived pods and Jobs).
pub fn key_of(namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        return name.to_string();
    }
    // Built directly, not through `format!`: journal records name their object by key,
    // several per pod event.
    let mut key = String::with_capacity(namespace.len() + 1 + name.len());
    key.push_str(namespace);
    key.push('/');
    key.push_str(name);
    key
}

/// A reference to an object by kind, namespace and name, as written in checks and events:
/// `deployment/default/web`, `node/n1`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    /// Parses `kind/namespace/name` (namespaced kinds) or `kind/name` (cluster-scoped kinds;
    /// for namespaced kinds the namespace then defaults to `default`, as kubectl does).
    pub fn parse(s: &str) -> Result<ObjectRef, String> {
        let parts: Vec<&str> = s.split('/').collect();
        let kind_text = parts[0];
        let Some(kind) = Kind::from_resource(kind_text) else {
            let known: Vec<&str> = Kind::ALL.iter().map(|k| k.resource()).collect();
            return Err(format!(
                "unknown kind {kind_text:?} in reference {s:?}{} (known kinds: {})",
                crate::suggest::did_you_mean(kind_text, known.iter().copied()),
                known.join(", ")
            ));
        };
        let (namespace, name) = match (kind.is_namespaced(), parts.len()) {
            (true, 3) => (parts[1].to_string(), parts[2].to_string()),
            (true, 2) => ("default".to_string(), parts[1].to_string()),
            (false, 2) => (String::new(), parts[1].to_string()),
            (true, _) => {
                return Err(format!(
                    "reference {s:?} must look like {}/<namespace>/<name> or {}/<name>",
                    kind.resource(),
                    kind.resource()
                ));
            }
            (false, _) => return Err(format!("reference {s:?} must look like {}/<name>", kind.resource())),
        };
        if name.is_empty() || (kind.is_namespaced() && namespace.is_empty()) {
            return Err(format!("reference {s:?} has an empty namespace or name"));
        }
        Ok(ObjectRef { kind, namespace, name })
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind.is_namespaced() {
            write!(f, "{}/{}/{}", self.kind.resource(), self.namespace, self.name)
        } else {
            write!(f, "{}/{}", self.kind.resource(), self.name)
        }
    }
}

/// `ConditionStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConditionStatus {
    True,
    False,
    Unknown,
}

impl ConditionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionStatus::True => "True",
            ConditionStatus::False => "False",
            ConditionStatus::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for ConditionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod labels_tests {
    use super::Labels;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Clone, Debug)]
    enum Op {
        Insert(String, String),
        Remove(String),
        Retain(String),
        Or(String, String),
    }

    fn op() -> impl Strategy<Value = Op> {
        // 31 keys: maps grow past `LINEAR_LOOKUP`, so both ways of `get` are compared.
        let key = "[a-e]{0,2}";
        prop_oneof![
            (key, "[x-z]{0,2}").prop_map(|(k, v)| Op::Insert(k, v)),
            key.prop_map(Op::Remove),
            key.prop_map(Op::Retain),
            (key, "[x-z]{0,2}").prop_map(|(k, v)| Op::Or(k, v)),
        ]
    }

    proptest! {
        /// Labels behave as the BTreeMap they replace: same answers, same iteration order,
        /// same ordering and equality between maps. A clone is a snapshot: changing the map
        /// after cloning it (which shares its entries) leaves the clone as it was.
        #[test]
        fn labels_are_a_sorted_map(ops in prop::collection::vec(op(), 0..60), other in prop::collection::vec(op(), 0..10)) {
            let run = |ops: &[Op]| {
                let (mut l, mut m) = (Labels::new(), BTreeMap::new());
                for op in ops {
                    let (clone, entries) = (l.clone(), m.clone());
                    match op {
                        Op::Insert(k, v) => prop_assert_eq!(l.insert(k.clone(), v.clone()), m.insert(k.clone(), v.clone())),
                        Op::Remove(k) => prop_assert_eq!(l.remove(k), m.remove(k)),
                        Op::Retain(k) => {
                            l.retain(|key, _| key != k);
                            m.retain(|key, _| key != k);
                        }
                        Op::Or(k, v) => {
                            let a = l.entry_or_insert_with(k.clone(), || v.clone()).clone();
                            let b = m.entry(k.clone()).or_insert_with(|| v.clone()).clone();
                            prop_assert_eq!(a, b);
                        }
                    }
                    prop_assert_eq!(l.iter().collect::<Vec<_>>(), m.iter().collect::<Vec<_>>());
                    prop_assert_eq!(l.len(), m.len());
                    prop_assert_eq!(clone.iter().collect::<Vec<_>>(), entries.iter().collect::<Vec<_>>());
                    prop_assert_eq!(l.is_empty(), l.0.is_none(), "an empty map holds no slice");
                    for k in ["", "a", "b", "ab", "dd", "e", "ec", "ee", "f"] {
                        prop_assert_eq!(l.get(k), m.get(k));
                        prop_assert_eq!(l.contains_key(k), m.contains_key(k));
                    }
                }
                Ok((l, m))
            };
            let (l1, m1) = run(&ops)?;
            let (l2, m2) = run(&other)?;
            prop_assert_eq!(l1.cmp(&l2), m1.cmp(&m2));
            prop_assert_eq!(l1 == l2, m1 == m2);
            prop_assert_eq!(format!("{l1:?}"), format!("{m1:?}"));
            prop_assert_eq!(Labels::from(m1.clone()), l1.clone());
            prop_assert_eq!(m1.clone().into_iter().collect::<Labels>(), l1.clone());
            // Collecting and extending with repeated keys: the last value wins, as inserting
            // them in turn.
            let pairs: Vec<(String, String)> = l1.iter().chain(l2.iter()).chain(l1.iter())
                .map(|(k, v)| (k.clone(), format!("{v}!"))).collect();
            let mut expected = m1.clone();
            expected.extend(pairs.iter().cloned());
            prop_assert_eq!(pairs.iter().cloned().collect::<Labels>(), Labels::from(expected.clone()));
            let mut extended = l1.clone();
            extended.extend(l2.iter().map(|(k, v)| (k.clone(), v.clone())));
            let mut m = m1.clone();
            m.extend(m2.clone());
            prop_assert_eq!(extended, Labels::from(m));
            // Overriding with distinct keys: as inserting each in turn; the source unchanged.
            let over: BTreeMap<String, String> = l2.iter().map(|(k, v)| (k.clone(), format!("{v}?"))).collect();
            let extra: [(&str, String); 3] = {
                let mut it = over.iter().map(|(k, v)| (k.as_str(), v.clone()));
                let mut next = |fallback: &'static str| it.next().unwrap_or((fallback, "f".to_string()));
                [next("zz1"), next("zz2"), next("zz3")]
            };
            let mut inserted = l1.clone();
            for (k, v) in extra.clone() {
                inserted.insert(k.to_string(), v);
            }
            prop_assert_eq!(l1.with_overrides(extra), inserted);
            prop_assert_eq!(l1.iter().collect::<Vec<_>>(), m1.iter().collect::<Vec<_>>());
        }
    }
}

/// A field most objects leave empty, boxed on its first write so that an empty one costs a
/// pointer (a scale day keeps a million finished Jobs and builds a million pods' behaviours);
/// reads see the empty value. Two values are equal when their contents are, boxed or not.
#[derive(Clone, Default)]
pub struct Rare<T: RareValue>(Option<Box<T>>);

/// A type whose empty value a [`Rare`] field reads as when nothing was written.
pub trait RareValue: Default + PartialEq + 'static {
    fn empty() -> &'static Self;
}

impl<T: RareValue> std::ops::Deref for Rare<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match &self.0 {
            Some(value) => value,
            None => T::empty(),
        }
    }
}

impl<T: RareValue> std::ops::DerefMut for Rare<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_with(Box::default)
    }
}

impl<T: RareValue> PartialEq for Rare<T> {
    fn eq(&self, other: &Rare<T>) -> bool {
        **self == **other
    }
}

impl<T: RareValue + Eq> Eq for Rare<T> {}

impl<T: RareValue + std::fmt::Debug> std::fmt::Debug for Rare<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: RareValue> From<T> for Rare<T> {
    fn from(value: T) -> Rare<T> {
        Rare((value != *T::empty()).then(|| Box::new(value)))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn uid_text_is_its_display() {
        for uid in [Uid(0), Uid(1), Uid(0xabc_def0), Uid(u64::MAX)] {
            assert_eq!(uid.text(), uid.to_string());
        }
        assert_eq!(Uid(255).text(), "00000000-0000-4000-8000-0000000000ff");
    }

    #[test]
    fn qualified_resources_are_the_api_servers() {
        assert_eq!(Kind::Service.qualified_resource(), "services");
        assert_eq!(Kind::Deployment.qualified_resource(), "deployments.apps");
        assert_eq!(Kind::Ingress.qualified_resource(), "ingresses.networking.k8s.io");
        assert_eq!(Kind::PriorityClass.qualified_resource(), "priorityclasses.scheduling.k8s.io");
        assert_eq!(Kind::CronJob.qualified_resource(), "cronjobs.batch");
        assert_eq!(Kind::HorizontalPodAutoscaler.qualified_resource(), "horizontalpodautoscalers.autoscaling");
    }

    use super::*;

    /// An unwritten `Rare` reads as the empty value and equals a written empty one; the first
    /// write boxes it; `From` keeps an empty value unboxed.
    #[test]
    fn rare_fields_read_empty_until_written() {
        let mut codes: Rare<Vec<i32>> = Rare::default();
        assert!(codes.is_empty() && codes.0.is_none());
        let written_empty: Rare<Vec<i32>> = {
            let mut r = Rare::default();
            let _ = &mut *r;
            r
        };
        assert!(written_empty.0.is_some());
        assert_eq!(codes, written_empty);
        codes.push(3);
        assert_eq!(*codes, [3]);
        assert_ne!(codes, written_empty);
        assert!(Rare::from(Vec::<i32>::new()).0.is_none());
        assert_eq!(format!("{:?}", Rare::from(vec![1, 2])), "[1, 2]");
    }

    #[test]
    fn object_refs() {
        let r = ObjectRef::parse("deployment/default/web").unwrap();
        assert_eq!((r.kind, r.namespace.as_str(), r.name.as_str()), (Kind::Deployment, "default", "web"));
        assert_eq!(r.to_string(), "deployment/default/web");
        assert_eq!(ObjectRef::parse("deploy/web").unwrap().namespace, "default");
        assert_eq!(ObjectRef::parse("node/n1").unwrap().to_string(), "node/n1");
        assert_eq!(ObjectRef::parse("svc/prod/api").unwrap().kind, Kind::Service);
        assert_eq!(ObjectRef::parse("sts/db").unwrap().to_string(), "statefulset/default/db");
        assert_eq!(ObjectRef::parse("ds/kube-system/agent").unwrap().kind, Kind::DaemonSet);
        assert_eq!(ObjectRef::parse("pvc/db/data-db-0").unwrap().to_string(), "persistentvolumeclaim/db/data-db-0");
        assert_eq!(ObjectRef::parse("pv/pv-1").unwrap().to_string(), "persistentvolume/pv-1");
        assert_eq!(ObjectRef::parse("sc/fast").unwrap().to_string(), "storageclass/fast");
        let err = ObjectRef::parse("deploymnt/default/web").unwrap_err();
        assert!(err.contains("did you mean \"deployment\""), "{err}");
        assert!(ObjectRef::parse("node/a/b").is_err());
        assert!(ObjectRef::parse("pod/a/b/c").is_err());
        assert!(ObjectRef::parse("pod//x").is_err());
    }
}
