//! Object metadata shared by every kind: names, namespaces, labels, owners, timestamps.
//!
//! Field names follow `metav1.ObjectMeta`. Timestamps are virtual instants. UIDs are
//! deterministic counters handed out by the store, never random, so that tie-breaks which
//! Kubernetes resolves by UID are reproducible.

use std::collections::BTreeMap;
use std::fmt;

use crate::kernel::SimTime;

/// Labels and annotations: ordered maps, so iteration (and therefore output) is stable.
pub type Labels = BTreeMap<String, String>;

/// A deterministic unique id, assigned by the store in creation order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uid(pub u64);

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
        if self.namespace.is_empty() { self.name.clone() } else { format!("{}/{}", self.namespace, self.name) }
    }
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
mod tests {
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
