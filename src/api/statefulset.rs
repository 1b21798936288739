//! StatefulSets (`apps/v1`): pods with a stable identity (`<set>-<ordinal>`) and stable
//! storage, plus the set's revision history (`ControllerRevision`). The claims stamped from its
//! `volumeClaimTemplates` are ordinary PersistentVolumeClaims (`api::storage`).
//!
//! Field names and defaults follow `apps/v1` (`pkg/apis/apps/v1/defaults.go`, v1.34).

use crate::api::meta::{Labels, ObjectMeta};
use crate::api::pod::{ClaimVolume, PodTemplateSpec};
use crate::api::selector::LabelSelector;
use crate::api::storage::{ClaimOrigin, ClaimPhase, ClaimSpec, PersistentVolumeClaim};

/// Labels the StatefulSet controller puts on its pods.
pub mod labels {
    /// The pod's name (`apps.StatefulSetPodNameLabel`).
    pub const POD_NAME: &str = "statefulset.kubernetes.io/pod-name";
    /// The pod's ordinal (`apps.PodIndexLabel`, PodIndexLabel GA since v1.32).
    pub const POD_INDEX: &str = "apps.kubernetes.io/pod-index";
    /// The name of the pod's revision (`apps.ControllerRevisionHashLabelKey`); for DaemonSet
    /// pods the bare hash.
    pub const CONTROLLER_REVISION_HASH: &str = "controller-revision-hash";
}

/// `spec.podManagementPolicy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PodManagementPolicy {
    /// One pod at a time, in ordinal order, each waiting for its predecessors to be Running
    /// and Ready (and available for `minReadySeconds`); scale down from the highest ordinal.
    #[default]
    OrderedReady,
    /// Create and delete all at once ("burst").
    Parallel,
}

impl PodManagementPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            PodManagementPolicy::OrderedReady => "OrderedReady",
            PodManagementPolicy::Parallel => "Parallel",
        }
    }
}

/// `spec.updateStrategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatefulSetUpdateStrategy {
    /// Replace pods whose revision is not the update revision, from the highest ordinal down
    /// to `partition` (an index from `ordinals.start`), one at a time.
    RollingUpdate { partition: i32 },
    /// Pods are replaced only when someone deletes them.
    OnDelete,
}

impl Default for StatefulSetUpdateStrategy {
    /// `SetDefaults_StatefulSet`: RollingUpdate with partition 0.
    fn default() -> Self {
        StatefulSetUpdateStrategy::RollingUpdate { partition: 0 }
    }
}

/// `persistentVolumeClaimRetentionPolicy.whenDeleted` / `whenScaled`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PvcRetention {
    #[default]
    Retain,
    Delete,
}

impl PvcRetention {
    pub fn as_str(self) -> &'static str {
        match self {
            PvcRetention::Retain => "Retain",
            PvcRetention::Delete => "Delete",
        }
    }
}

/// `spec.persistentVolumeClaimRetentionPolicy` (StatefulSetAutoDeletePVC, GA in v1.32).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PvcRetentionPolicy {
    /// What happens to the claims when the StatefulSet is deleted.
    pub when_deleted: PvcRetention,
    /// What happens to the claims of the pods removed by a scale-down.
    pub when_scaled: PvcRetention,
}

/// One `spec.volumeClaimTemplates` entry: the claims' name prefix, labels, annotations and
/// spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeClaimTemplate {
    pub name: String,
    pub labels: Labels,
    pub annotations: Labels,
    pub spec: ClaimSpec,
}

/// `apps/v1.StatefulSetStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatefulSetStatus {
    pub observed_generation: i64,
    /// Pods the set has (terminating ones included).
    pub replicas: i32,
    /// Running and Ready.
    pub ready_replicas: i32,
    /// Ready for at least `minReadySeconds`.
    pub available_replicas: i32,
    /// Not terminating, at the current revision.
    pub current_replicas: i32,
    /// Not terminating, at the update revision.
    pub updated_replicas: i32,
    pub current_revision: String,
    pub update_revision: String,
    pub collision_count: i32,
}

/// `apps/v1.StatefulSet`.
#[derive(Clone, Debug, PartialEq)]
pub struct StatefulSet {
    pub meta: ObjectMeta,
    /// Default 1.
    pub replicas: i32,
    pub selector: LabelSelector,
    pub template: PodTemplateSpec,
    /// `serviceName`: the governing headless Service (pods' subdomain; not otherwise used).
    pub service_name: String,
    pub pod_management_policy: PodManagementPolicy,
    pub update_strategy: StatefulSetUpdateStrategy,
    pub min_ready_seconds: i32,
    /// `ordinals.start`: the first ordinal (default 0).
    pub ordinals_start: i32,
    pub pvc_retention: PvcRetentionPolicy,
    /// Default 10.
    pub revision_history_limit: i32,
    pub volume_claim_templates: Vec<VolumeClaimTemplate>,
    pub status: StatefulSetStatus,
}

impl StatefulSet {
    /// `getPodName`: `<set>-<ordinal>`.
    pub fn pod_name(&self, ordinal: i32) -> String {
        format!("{}-{ordinal}", self.meta.name)
    }

    /// `getPersistentVolumeClaimName`: `<template>-<set>-<ordinal>`.
    pub fn claim_name(&self, template: &str, ordinal: i32) -> String {
        format!("{template}-{}-{ordinal}", self.meta.name)
    }

    /// The claim of `template` for `ordinal` (`getPersistentVolumeClaims`): the template's
    /// labels, annotations and spec, in the set's namespace.
    pub fn claim_for(&self, template: &VolumeClaimTemplate, ordinal: i32) -> PersistentVolumeClaim {
        let meta = ObjectMeta {
            name: self.claim_name(&template.name, ordinal),
            namespace: self.meta.namespace.clone(),
            labels: template.labels.clone(),
            annotations: template.annotations.clone(),
            ..ObjectMeta::default()
        };
        PersistentVolumeClaim {
            meta,
            spec: template.spec.clone(),
            phase: ClaimPhase::Pending,
            capacity: None,
            origin: Some(ClaimOrigin { set: self.meta.name.clone(), template: template.name.clone(), ordinal }),
            owned_by_pod: false,
            deleting: false,
        }
    }

    /// `updateStorage`: the volumes of pod `ordinal` — one per claim template, named after it,
    /// using the ordinal's claim, then the template's other claim volumes (one named like a
    /// claim template is replaced).
    pub fn pod_claims(&self, template_claims: &[ClaimVolume], ordinal: i32) -> Vec<ClaimVolume> {
        let mut out: Vec<ClaimVolume> = self
            .volume_claim_templates
            .iter()
            .map(|t| ClaimVolume {
                volume: t.name.clone(),
                claim_name: self.claim_name(&t.name, ordinal),
                read_only: false,
            })
            .collect();
        out.extend(
            template_claims.iter().filter(|c| !self.volume_claim_templates.iter().any(|t| t.name == c.volume)).cloned(),
        );
        out
    }

    /// Whether `ordinal` is in `[ordinals.start, ordinals.start + replicas)`.
    pub fn in_range(&self, ordinal: i32) -> bool {
        ordinal >= self.ordinals_start && i64::from(ordinal) < i64::from(self.ordinals_start) + i64::from(self.replicas)
    }

    /// What `ValidateStatefulSetUpdate` refuses in an update from `self` to `new`: a change to
    /// a spec field other than replicas, ordinals, template, updateStrategy,
    /// revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds.
    pub fn forbidden_update(&self, new: &StatefulSet) -> Option<&'static str> {
        if self.selector != new.selector {
            return Some("selector");
        }
        if self.service_name != new.service_name {
            return Some("serviceName");
        }
        if self.pod_management_policy != new.pod_management_policy {
            return Some("podManagementPolicy");
        }
        if self.volume_claim_templates != new.volume_claim_templates {
            return Some("volumeClaimTemplates");
        }
        None
    }
}

/// The pod's ordinal from its name (`getParentNameAndOrdinal`: the digits after the last
/// `-`), if it belongs to the set `set_name`.
pub fn ordinal_of(set_name: &str, pod_name: &str) -> Option<i32> {
    let rest = pod_name.strip_prefix(set_name)?.strip_prefix('-')?;
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok()
}

/// A `ControllerRevision` of a StatefulSet: a named, numbered snapshot of its pod template.
#[derive(Clone, Debug, PartialEq)]
pub struct ControllerRevision {
    /// `<set>-<hash of the template>`; pods carry it in `controller-revision-hash`.
    pub name: String,
    /// `revision`: higher is newer; a rollback to an old template renumbers its revision.
    pub revision: i64,
    pub template: PodTemplateSpec,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_come_from_names() {
        assert_eq!(ordinal_of("db", "db-0"), Some(0));
        assert_eq!(ordinal_of("db", "db-12"), Some(12));
        assert_eq!(ordinal_of("db", "db-"), None);
        assert_eq!(ordinal_of("db", "db-x1"), None);
        assert_eq!(ordinal_of("db", "dbx-1"), None);
        assert_eq!(ordinal_of("web-db", "web-db-3"), Some(3));
    }
}
