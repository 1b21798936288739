//! The canonical event log: every observable state change, in order.
//!
//! The store writes one [`Record`] per change it makes. Each record is hashed into the run
//! digest at once, in a fixed binary encoding, and kept in memory only when asked (for
//! `--trace events`). A short narrative of notable moments (node failures, evictions, checks)
//! is kept separately, bounded, for the printed summary.

use std::fmt::Write as _;

use crate::api::meta::{ConditionStatus, ObjectMeta};
use crate::kernel::{Digest, SimTime};

/// One state change. Object names are `namespace/name` (or `name` for nodes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    NodeAdded {
        node: String,
    },
    NodeFailed {
        node: String,
    },
    NodeRecovered {
        node: String,
    },
    /// The Node object was deleted (`removeNode`).
    NodeRemoved {
        node: String,
    },
    /// The kubelet lost its connection to the API server (`partitionNode`).
    NodePartitioned {
        node: String,
    },
    /// The kubelet reached the API server again (`healNode`).
    NodeHealed {
        node: String,
    },
    NodeCondition {
        node: String,
        condition: &'static str,
        status: ConditionStatus,
        reason: &'static str,
    },
    NodeTaint {
        node: String,
        taint: String,
        added: bool,
    },
    NodeUnschedulable {
        node: String,
        unschedulable: bool,
    },
    NamespaceCreated {
        namespace: String,
    },
    /// `kubectl delete namespace`: the namespace is Terminating (its content is being deleted).
    NamespaceTerminating {
        namespace: String,
    },
    /// The namespace is gone (nothing was left in it).
    NamespaceDeleted {
        namespace: String,
    },
    PodCreated {
        pod: String,
        owner: String,
    },
    PodBound {
        pod: String,
        node: String,
    },
    PodUnschedulable {
        pod: String,
        message: String,
    },
    PodStarted {
        pod: String,
        restart_count: i32,
    },
    PodReady {
        pod: String,
        ready: bool,
        reason: &'static str,
    },
    PodExited {
        pod: String,
        exit_code: i32,
    },
    PodPhase {
        pod: String,
        phase: &'static str,
    },
    PodDeleting {
        pod: String,
        reason: &'static str,
    },
    PodRemoved {
        pod: String,
    },
    /// The kubelet cannot start the pod's container yet (`reason`: ContainerCreating,
    /// CreateContainerConfigError).
    PodWaiting {
        pod: String,
        reason: &'static str,
        message: String,
    },
    /// `status.nominatedNodeName` set by preemption (`node` empty: cleared).
    PodNominated {
        pod: String,
        node: String,
    },
    ReplicaSetCreated {
        rs: String,
        replicas: i32,
    },
    ReplicaSetScaled {
        rs: String,
        from: i32,
        to: i32,
    },
    ReplicaSetDeleted {
        rs: String,
    },
    DeploymentCreated {
        deployment: String,
    },
    DeploymentUpdated {
        deployment: String,
        generation: i64,
    },
    DeploymentCondition {
        deployment: String,
        condition: &'static str,
        status: ConditionStatus,
        reason: &'static str,
    },
    DeploymentDeleted {
        deployment: String,
    },
    ServiceCreated {
        service: String,
    },
    ServiceEndpoints {
        service: String,
        ready: u32,
        not_ready: u32,
    },
    ServiceDeleted {
        service: String,
    },
    PriorityClassCreated {
        name: String,
        value: i32,
    },
    PriorityClassUpdated {
        name: String,
    },
    PriorityClassDeleted {
        name: String,
    },
    PdbCreated {
        pdb: String,
    },
    PdbUpdated {
        pdb: String,
        generation: i64,
    },
    PdbStatus {
        pdb: String,
        current_healthy: i32,
        desired_healthy: i32,
        expected_pods: i32,
        disruptions_allowed: i32,
    },
    PdbDeleted {
        pdb: String,
    },
    JobCreated {
        job: String,
    },
    /// A Job condition became True (`reason` as the Job controller writes it).
    JobCondition {
        job: String,
        condition: &'static str,
        reason: String,
    },
    JobDeleted {
        job: String,
    },
    /// Foreground deletion of an owner began (`deletionTimestamp` set).
    OwnerDeleting {
        object: String,
        policy: &'static str,
    },
    /// Orphaning removed an object's owner reference (`object` = `kind/namespace/name`).
    OwnerReferenceRemoved {
        object: String,
    },
    /// A ConfigMap or Secret was created or changed (`kind` is `ConfigMap` or `Secret`).
    ConfigPut {
        kind: &'static str,
        name: String,
        keys: u32,
    },
    ConfigDeleted {
        kind: &'static str,
        name: String,
    },
    CronJobCreated {
        cronjob: String,
    },
    /// The spec changed (`apply`); `generation` is the new one.
    CronJobUpdated {
        cronjob: String,
        generation: i64,
    },
    CronJobDeleted {
        cronjob: String,
    },
    /// The CronJob controller created a Job for the schedule time `scheduled` (RFC 3339 in
    /// the CronJob's time zone, as the Job's `cronjob-scheduled-timestamp` annotation).
    JobCreatedByCronJob {
        cronjob: String,
        job: String,
        scheduled: String,
    },
    StatefulSetCreated {
        sts: String,
        replicas: i32,
    },
    StatefulSetUpdated {
        sts: String,
        generation: i64,
    },
    StatefulSetDeleted {
        sts: String,
    },
    /// A ControllerRevision of the StatefulSet was created or renumbered (a rollback).
    StatefulSetRevision {
        sts: String,
        revision: String,
        number: i64,
    },
    StatefulSetRevisionDeleted {
        sts: String,
        revision: String,
    },
    /// A PersistentVolumeClaim stamped from a volume claim template, for `pod`.
    PvcCreated {
        pvc: String,
        pod: String,
    },
    /// The claim's owner reference to its pod was set (`owner` = `pod/NAME`) or cleared.
    PvcOwner {
        pvc: String,
        owner: String,
    },
    PvcDeleting {
        pvc: String,
    },
    PvcDeleted {
        pvc: String,
    },
    DaemonSetCreated {
        ds: String,
    },
    DaemonSetUpdated {
        ds: String,
        generation: i64,
    },
    DaemonSetDeleted {
        ds: String,
    },
    /// A PersistentVolumeClaim was created from a manifest, with its class after the
    /// DefaultStorageClass admission (`""`: none).
    PvcApplied {
        pvc: String,
        class: String,
    },
    /// The PV controller gave a claim without a class the default class (retroactively).
    PvcClassAssigned {
        pvc: String,
        class: String,
    },
    /// A claim and a volume were bound to each other.
    PvcBound {
        pvc: String,
        pv: String,
    },
    PvcPhase {
        pvc: String,
        phase: &'static str,
    },
    /// A PersistentVolume was created (by a manifest, or provisioned for `claim`); `zone` is
    /// the zone its node affinity pins, `""` for none.
    PvCreated {
        pv: String,
        class: String,
        capacity: String,
        zone: String,
        claim: String,
    },
    /// An `apply` changed a volume's capacity, access modes, class, reclaim policy or labels.
    PvUpdated {
        pv: String,
    },
    PvPhase {
        pv: String,
        phase: &'static str,
    },
    PvDeleting {
        pv: String,
    },
    PvDeleted {
        pv: String,
    },
    StorageClassCreated {
        name: String,
    },
    StorageClassUpdated {
        name: String,
    },
    StorageClassDeleted {
        name: String,
    },
    /// The scheduler chose `node` for a WaitForFirstConsumer claim's first pod
    /// (`volume.kubernetes.io/selected-node`).
    PvcSelectedNode {
        pvc: String,
        node: String,
    },
    IngressCreated {
        ingress: String,
    },
    /// An Ingress's spec changed (`generation` is the new one).
    IngressUpdated {
        ingress: String,
        generation: i64,
    },
    IngressDeleted {
        ingress: String,
    },
    HpaCreated {
        hpa: String,
    },
    /// A HorizontalPodAutoscaler's spec changed (`generation` is the new one).
    HpaUpdated {
        hpa: String,
        generation: i64,
    },
    HpaDeleted {
        hpa: String,
    },
    /// The HPA controller wrote new `currentReplicas` / `desiredReplicas`.
    HpaStatus {
        hpa: String,
        current_replicas: i32,
        desired_replicas: i32,
    },
    /// An HPA condition changed its status or reason.
    HpaCondition {
        hpa: String,
        condition: &'static str,
        status: ConditionStatus,
        reason: &'static str,
    },
    /// An event the HPA controller recorded (`SuccessfulRescale`, `FailedGetResourceMetric`, ...).
    HpaEvent {
        hpa: String,
        reason: &'static str,
        message: String,
    },
    /// A fault of `spec.faults` (`source` = `faults[i]`) was injected: `kind` is
    /// `node-failure`, `zone-failure` or `pod-crash`; `pod` the crashed pod (empty otherwise).
    FaultInjected {
        source: String,
        kind: &'static str,
        target: String,
        pod: String,
    },
    /// The container was killed and exited with `exit_code` (`reason`: `OOMKilled`,
    /// `LivenessProbeFailed`, `StartupProbeFailed`).
    PodKilled {
        pod: String,
        reason: &'static str,
        exit_code: i32,
    },
    /// A control-plane component went down (`up` false) or came back (`up` true).
    ControlPlane {
        component: &'static str,
        up: bool,
    },
    /// The scheduler or the controller manager acquired its leader lease and works again.
    LeaderElected {
        component: &'static str,
    },
    Scripted {
        action: String,
    },
    ActionFailed {
        action: String,
        message: String,
    },
    Check {
        expect: String,
        passed: bool,
        actual: String,
    },
}

impl Record {
    /// A stable numeric tag per variant, part of the digest encoding. Never renumber.
    fn tag(&self) -> u8 {
        match self {
            Record::NodeAdded { .. } => 1,
            Record::NodeFailed { .. } => 2,
            Record::NodeRecovered { .. } => 3,
            Record::NodeRemoved { .. } => 140,
            Record::NodePartitioned { .. } => 141,
            Record::NodeHealed { .. } => 142,
            Record::NodeCondition { .. } => 4,
            Record::NodeTaint { .. } => 5,
            Record::NodeUnschedulable { .. } => 6,
            Record::NamespaceCreated { .. } => 7,
            Record::NamespaceTerminating { .. } => 181,
            Record::NamespaceDeleted { .. } => 182,
            Record::PodCreated { .. }
            | Record::PodBound { .. }
            | Record::PodStarted { .. }
            | Record::PodReady { .. }
            | Record::PodExited { .. }
            | Record::PodPhase { .. }
            | Record::PodDeleting { .. }
            | Record::PodRemoved { .. } => PodEvent::of(self).expect("a pod event").tag(),
            Record::PodUnschedulable { .. } => 12,
            Record::PodNominated { .. } => 19,
            Record::PodWaiting { .. } => 23,
            Record::ReplicaSetCreated { .. } => 20,
            Record::ReplicaSetScaled { .. } => 21,
            Record::ReplicaSetDeleted { .. } => 22,
            Record::DeploymentCreated { .. } => 30,
            Record::DeploymentUpdated { .. } => 31,
            Record::DeploymentCondition { .. } => 32,
            Record::DeploymentDeleted { .. } => 33,
            Record::ServiceCreated { .. } => 40,
            Record::ServiceEndpoints { .. } => 41,
            Record::ServiceDeleted { .. } => 42,
            Record::PriorityClassCreated { .. } => 80,
            Record::PriorityClassUpdated { .. } => 81,
            Record::PriorityClassDeleted { .. } => 82,
            Record::PdbCreated { .. } => 85,
            Record::PdbUpdated { .. } => 86,
            Record::PdbStatus { .. } => 87,
            Record::PdbDeleted { .. } => 88,
            Record::JobCreated { .. } | Record::JobCondition { .. } => JobEvent::of(self).expect("a job event").tag(),
            Record::JobDeleted { .. } => 62,
            Record::OwnerDeleting { .. } => 63,
            Record::OwnerReferenceRemoved { .. } => 64,
            Record::ConfigPut { .. } => 65,
            Record::ConfigDeleted { .. } => 66,
            Record::CronJobCreated { .. } => 90,
            Record::CronJobUpdated { .. } => 91,
            Record::CronJobDeleted { .. } => 92,
            Record::JobCreatedByCronJob { .. } => 93,
            Record::StatefulSetCreated { .. } => 100,
            Record::StatefulSetUpdated { .. } => 101,
            Record::StatefulSetDeleted { .. } => 102,
            Record::StatefulSetRevision { .. } => 103,
            Record::StatefulSetRevisionDeleted { .. } => 104,
            Record::PvcCreated { .. } => 105,
            Record::PvcOwner { .. } => 106,
            Record::PvcDeleting { .. } => 107,
            Record::PvcDeleted { .. } => 108,
            Record::DaemonSetCreated { .. } => 110,
            Record::DaemonSetUpdated { .. } => 111,
            Record::DaemonSetDeleted { .. } => 112,
            Record::PvcApplied { .. } => 120,
            Record::PvcClassAssigned { .. } => 121,
            Record::PvcBound { .. } => 122,
            Record::PvcPhase { .. } => 123,
            Record::PvCreated { .. } => 124,
            Record::PvUpdated { .. } => 125,
            Record::PvPhase { .. } => 126,
            Record::PvDeleting { .. } => 127,
            Record::PvDeleted { .. } => 128,
            Record::StorageClassCreated { .. } => 129,
            Record::StorageClassUpdated { .. } => 130,
            Record::StorageClassDeleted { .. } => 131,
            Record::PvcSelectedNode { .. } => 132,
            Record::IngressCreated { .. } => 76,
            Record::IngressUpdated { .. } => 77,
            Record::IngressDeleted { .. } => 78,
            Record::HpaCreated { .. } => 70,
            Record::HpaUpdated { .. } => 71,
            Record::HpaDeleted { .. } => 72,
            Record::HpaStatus { .. } => 73,
            Record::HpaCondition { .. } => 74,
            Record::HpaEvent { .. } => 75,
            Record::FaultInjected { .. } => 180,
            Record::Scripted { .. } => 50,
            Record::ActionFailed { .. } => 51,
            Record::Check { .. } => 52,
            Record::PodKilled { .. } => 160,
            Record::ControlPlane { .. } => 161,
            Record::LeaderElected { .. } => 162,
        }
    }

    /// The variant name, as written in `events.jsonl`.
    pub fn name(&self) -> &'static str {
        match self {
            Record::NodeAdded { .. } => "NodeAdded",
            Record::NodeFailed { .. } => "NodeFailed",
            Record::NodeRecovered { .. } => "NodeRecovered",
            Record::NodeRemoved { .. } => "NodeRemoved",
            Record::NodePartitioned { .. } => "NodePartitioned",
            Record::NodeHealed { .. } => "NodeHealed",
            Record::NodeCondition { .. } => "NodeCondition",
            Record::NodeTaint { .. } => "NodeTaint",
            Record::NodeUnschedulable { .. } => "NodeUnschedulable",
            Record::NamespaceCreated { .. } => "NamespaceCreated",
            Record::NamespaceTerminating { .. } => "NamespaceTerminating",
            Record::NamespaceDeleted { .. } => "NamespaceDeleted",
            Record::PodCreated { .. } => "PodCreated",
            Record::PodBound { .. } => "PodBound",
            Record::PodUnschedulable { .. } => "PodUnschedulable",
            Record::PodStarted { .. } => "PodStarted",
            Record::PodReady { .. } => "PodReady",
            Record::PodExited { .. } => "PodExited",
            Record::PodPhase { .. } => "PodPhase",
            Record::PodDeleting { .. } => "PodDeleting",
            Record::PodRemoved { .. } => "PodRemoved",
            Record::PodNominated { .. } => "PodNominated",
            Record::PodWaiting { .. } => "PodWaiting",
            Record::PriorityClassCreated { .. } => "PriorityClassCreated",
            Record::PriorityClassUpdated { .. } => "PriorityClassUpdated",
            Record::PriorityClassDeleted { .. } => "PriorityClassDeleted",
            Record::PdbCreated { .. } => "PodDisruptionBudgetCreated",
            Record::PdbUpdated { .. } => "PodDisruptionBudgetUpdated",
            Record::PdbStatus { .. } => "PodDisruptionBudgetStatus",
            Record::PdbDeleted { .. } => "PodDisruptionBudgetDeleted",
            Record::ReplicaSetCreated { .. } => "ReplicaSetCreated",
            Record::ReplicaSetScaled { .. } => "ReplicaSetScaled",
            Record::ReplicaSetDeleted { .. } => "ReplicaSetDeleted",
            Record::DeploymentCreated { .. } => "DeploymentCreated",
            Record::DeploymentUpdated { .. } => "DeploymentUpdated",
            Record::DeploymentCondition { .. } => "DeploymentCondition",
            Record::DeploymentDeleted { .. } => "DeploymentDeleted",
            Record::ServiceCreated { .. } => "ServiceCreated",
            Record::ServiceEndpoints { .. } => "ServiceEndpoints",
            Record::ServiceDeleted { .. } => "ServiceDeleted",
            Record::JobCreated { .. } => "JobCreated",
            Record::JobCondition { .. } => "JobCondition",
            Record::JobDeleted { .. } => "JobDeleted",
            Record::OwnerDeleting { .. } => "OwnerDeleting",
            Record::OwnerReferenceRemoved { .. } => "OwnerReferenceRemoved",
            Record::ConfigPut { .. } => "ConfigPut",
            Record::ConfigDeleted { .. } => "ConfigDeleted",
            Record::CronJobCreated { .. } => "CronJobCreated",
            Record::CronJobUpdated { .. } => "CronJobUpdated",
            Record::CronJobDeleted { .. } => "CronJobDeleted",
            Record::JobCreatedByCronJob { .. } => "JobCreatedByCronJob",
            Record::StatefulSetCreated { .. } => "StatefulSetCreated",
            Record::StatefulSetUpdated { .. } => "StatefulSetUpdated",
            Record::StatefulSetDeleted { .. } => "StatefulSetDeleted",
            Record::StatefulSetRevision { .. } => "StatefulSetRevision",
            Record::StatefulSetRevisionDeleted { .. } => "StatefulSetRevisionDeleted",
            Record::PvcCreated { .. } => "PersistentVolumeClaimCreated",
            Record::PvcOwner { .. } => "PersistentVolumeClaimOwner",
            Record::PvcDeleting { .. } => "PersistentVolumeClaimDeleting",
            Record::PvcDeleted { .. } => "PersistentVolumeClaimDeleted",
            Record::DaemonSetCreated { .. } => "DaemonSetCreated",
            Record::DaemonSetUpdated { .. } => "DaemonSetUpdated",
            Record::DaemonSetDeleted { .. } => "DaemonSetDeleted",
            Record::PvcApplied { .. } => "PersistentVolumeClaimApplied",
            Record::PvcClassAssigned { .. } => "PersistentVolumeClaimClassAssigned",
            Record::PvcBound { .. } => "PersistentVolumeClaimBound",
            Record::PvcPhase { .. } => "PersistentVolumeClaimPhase",
            Record::PvCreated { .. } => "PersistentVolumeCreated",
            Record::PvUpdated { .. } => "PersistentVolumeUpdated",
            Record::PvPhase { .. } => "PersistentVolumePhase",
            Record::PvDeleting { .. } => "PersistentVolumeDeleting",
            Record::PvDeleted { .. } => "PersistentVolumeDeleted",
            Record::StorageClassCreated { .. } => "StorageClassCreated",
            Record::StorageClassUpdated { .. } => "StorageClassUpdated",
            Record::StorageClassDeleted { .. } => "StorageClassDeleted",
            Record::PvcSelectedNode { .. } => "PersistentVolumeClaimSelectedNode",
            Record::IngressCreated { .. } => "IngressCreated",
            Record::IngressUpdated { .. } => "IngressUpdated",
            Record::IngressDeleted { .. } => "IngressDeleted",
            Record::HpaCreated { .. } => "HorizontalPodAutoscalerCreated",
            Record::HpaUpdated { .. } => "HorizontalPodAutoscalerUpdated",
            Record::HpaDeleted { .. } => "HorizontalPodAutoscalerDeleted",
            Record::HpaStatus { .. } => "HorizontalPodAutoscalerStatus",
            Record::HpaCondition { .. } => "HorizontalPodAutoscalerCondition",
            Record::HpaEvent { .. } => "HorizontalPodAutoscalerEvent",
            Record::FaultInjected { .. } => "FaultInjected",
            Record::Scripted { .. } => "Scripted",
            Record::ActionFailed { .. } => "ActionFailed",
            Record::Check { .. } => "Check",
            Record::PodKilled { .. } => "PodKilled",
            Record::ControlPlane { .. } => "ControlPlane",
            Record::LeaderElected { .. } => "LeaderElected",
        }
    }

    fn hash_into(&self, d: &mut Digest) {
        match self {
            Record::FaultInjected { source, kind, target, pod } => {
                for part in [source.as_str(), kind, target.as_str(), pod.as_str()] {
                    d.write_str(part);
                }
            }
            Record::NodeAdded { node }
            | Record::NodeFailed { node }
            | Record::NodeRecovered { node }
            | Record::NodeRemoved { node }
            | Record::NodePartitioned { node }
            | Record::NodeHealed { node }
            | Record::NamespaceCreated { namespace: node }
            | Record::NamespaceTerminating { namespace: node }
            | Record::NamespaceDeleted { namespace: node }
            | Record::ReplicaSetDeleted { rs: node }
            | Record::DeploymentCreated { deployment: node }
            | Record::DeploymentDeleted { deployment: node }
            | Record::ServiceCreated { service: node }
            | Record::ServiceDeleted { service: node }
            | Record::Scripted { action: node }
            | Record::PriorityClassUpdated { name: node }
            | Record::PriorityClassDeleted { name: node }
            | Record::PdbCreated { pdb: node }
            | Record::PdbDeleted { pdb: node }
            | Record::JobDeleted { job: node }
            | Record::OwnerReferenceRemoved { object: node }
            | Record::CronJobCreated { cronjob: node }
            | Record::CronJobDeleted { cronjob: node }
            | Record::StatefulSetDeleted { sts: node }
            | Record::PvcDeleting { pvc: node }
            | Record::PvcDeleted { pvc: node }
            | Record::DaemonSetCreated { ds: node }
            | Record::DaemonSetDeleted { ds: node }
            | Record::IngressCreated { ingress: node }
            | Record::IngressDeleted { ingress: node }
            | Record::HpaCreated { hpa: node }
            | Record::HpaDeleted { hpa: node }
            | Record::PvUpdated { pv: node }
            | Record::PvDeleting { pv: node }
            | Record::PvDeleted { pv: node }
            | Record::StorageClassCreated { name: node }
            | Record::StorageClassUpdated { name: node }
            | Record::StorageClassDeleted { name: node } => d.write_str(node),
            Record::PvcApplied { pvc: a, class: b }
            | Record::PvcClassAssigned { pvc: a, class: b }
            | Record::PvcBound { pvc: a, pv: b }
            | Record::PvcSelectedNode { pvc: a, node: b } => {
                d.write_str(a);
                d.write_str(b);
            }
            Record::PvcPhase { pvc: a, phase: b } | Record::PvPhase { pv: a, phase: b } => {
                d.write_str(a);
                d.write_str(b);
            }
            Record::PvCreated { pv, class, capacity, zone, claim } => {
                for part in [pv, class, capacity, zone, claim] {
                    d.write_str(part);
                }
            }
            Record::HpaUpdated { hpa, generation } => {
                d.write_str(hpa);
                d.write_i64(*generation);
            }
            Record::HpaStatus { hpa, current_replicas, desired_replicas } => {
                d.write_str(hpa);
                d.write_i64(i64::from(*current_replicas));
                d.write_i64(i64::from(*desired_replicas));
            }
            Record::HpaCondition { hpa, condition, status, reason } => {
                d.write_str(hpa);
                d.write_str(condition);
                d.write_u8(*status as u8);
                d.write_str(reason);
            }
            Record::HpaEvent { hpa, reason, message } => {
                d.write_str(hpa);
                d.write_str(reason);
                d.write_str(message);
            }
            Record::IngressUpdated { ingress, generation } => {
                d.write_str(ingress);
                d.write_i64(*generation);
            }
            Record::ConfigPut { kind, name, keys } => {
                d.write_str(kind);
                d.write_str(name);
                d.write_u64(u64::from(*keys));
            }
            Record::ConfigDeleted { kind, name } => {
                d.write_str(kind);
                d.write_str(name);
            }
            Record::CronJobUpdated { cronjob, generation } => {
                d.write_str(cronjob);
                d.write_i64(*generation);
            }
            Record::JobCreatedByCronJob { cronjob, job, scheduled } => {
                d.write_str(cronjob);
                d.write_str(job);
                d.write_str(scheduled);
            }
            Record::StatefulSetCreated { sts, replicas } => {
                d.write_str(sts);
                d.write_i64(i64::from(*replicas));
            }
            Record::StatefulSetUpdated { sts: name, generation }
            | Record::DaemonSetUpdated { ds: name, generation } => {
                d.write_str(name);
                d.write_i64(*generation);
            }
            Record::StatefulSetRevision { sts, revision, number } => {
                d.write_str(sts);
                d.write_str(revision);
                d.write_i64(*number);
            }
            Record::StatefulSetRevisionDeleted { sts: a, revision: b }
            | Record::PvcCreated { pvc: a, pod: b }
            | Record::PvcOwner { pvc: a, owner: b } => {
                d.write_str(a);
                d.write_str(b);
            }
            Record::OwnerDeleting { object, policy } => {
                d.write_str(object);
                d.write_str(policy);
            }
            Record::JobCreated { job } | Record::JobCondition { job, .. } => {
                d.write_str(job);
                JobEvent::of(self).expect("a job event").hash_rest(d);
            }
            Record::PodNominated { pod, node } => {
                d.write_str(pod);
                d.write_str(node);
            }
            Record::PodWaiting { pod, reason, message } => {
                d.write_str(pod);
                d.write_str(reason);
                d.write_str(message);
            }
            Record::PriorityClassCreated { name, value } => {
                d.write_str(name);
                d.write_i64(i64::from(*value));
            }
            Record::PdbUpdated { pdb, generation } => {
                d.write_str(pdb);
                d.write_i64(*generation);
            }
            Record::PdbStatus { pdb, current_healthy, desired_healthy, expected_pods, disruptions_allowed } => {
                d.write_str(pdb);
                for v in [current_healthy, desired_healthy, expected_pods, disruptions_allowed] {
                    d.write_i64(i64::from(*v));
                }
            }
            Record::NodeCondition { node, condition, status, reason } => {
                d.write_str(node);
                d.write_str(condition);
                d.write_u8(*status as u8);
                d.write_str(reason);
            }
            Record::NodeTaint { node, taint, added } => {
                d.write_str(node);
                d.write_str(taint);
                d.write_u8(u8::from(*added));
            }
            Record::NodeUnschedulable { node, unschedulable } => {
                d.write_str(node);
                d.write_u8(u8::from(*unschedulable));
            }
            Record::PodCreated { pod, .. }
            | Record::PodBound { pod, .. }
            | Record::PodStarted { pod, .. }
            | Record::PodReady { pod, .. }
            | Record::PodExited { pod, .. }
            | Record::PodPhase { pod, .. }
            | Record::PodDeleting { pod, .. }
            | Record::PodRemoved { pod } => {
                d.write_str(pod);
                PodEvent::of(self).expect("a pod event").hash_rest(d);
            }
            Record::PodUnschedulable { pod, message } | Record::ActionFailed { action: pod, message } => {
                d.write_str(pod);
                d.write_str(message);
            }
            Record::ReplicaSetCreated { rs, replicas } => {
                d.write_str(rs);
                d.write_i64(i64::from(*replicas));
            }
            Record::ReplicaSetScaled { rs, from, to } => {
                d.write_str(rs);
                d.write_i64(i64::from(*from));
                d.write_i64(i64::from(*to));
            }
            Record::DeploymentUpdated { deployment, generation } => {
                d.write_str(deployment);
                d.write_i64(*generation);
            }
            Record::DeploymentCondition { deployment, condition, status, reason } => {
                d.write_str(deployment);
                d.write_str(condition);
                d.write_u8(*status as u8);
                d.write_str(reason);
            }
            Record::ServiceEndpoints { service, ready, not_ready } => {
                d.write_str(service);
                d.write_u64(u64::from(*ready));
                d.write_u64(u64::from(*not_ready));
            }
            Record::Check { expect, passed, actual } => {
                d.write_str(expect);
                d.write_u8(u8::from(*passed));
                d.write_str(actual);
            }
            Record::PodKilled { pod, reason, exit_code } => {
                d.write_str(pod);
                d.write_str(reason);
                d.write_i64(i64::from(*exit_code));
            }
            Record::ControlPlane { component, up } => {
                d.write_str(component);
                d.write_u8(u8::from(*up));
            }
            Record::LeaderElected { component } => d.write_str(component),
        }
    }

    /// One line of `events.jsonl` (without the newline).
    pub fn to_json(&self, t: SimTime) -> String {
        let mut v = serde_json::Map::new();
        v.insert("t_s".into(), serde_json::json!(t.as_secs_f64()));
        v.insert("event".into(), serde_json::json!(self.name()));
        let mut put = |k: &str, val: serde_json::Value| {
            v.insert(k.to_string(), val);
        };
        match self {
            Record::NodeAdded { node }
            | Record::NodeFailed { node }
            | Record::NodeRecovered { node }
            | Record::NodeRemoved { node }
            | Record::NodePartitioned { node }
            | Record::NodeHealed { node } => put("node", node.as_str().into()),
            Record::NamespaceCreated { namespace }
            | Record::NamespaceTerminating { namespace }
            | Record::NamespaceDeleted { namespace } => put("namespace", namespace.as_str().into()),
            Record::NodeCondition { node, condition, status, reason } => {
                put("node", node.as_str().into());
                put("condition", (*condition).into());
                put("status", status.as_str().into());
                put("reason", (*reason).into());
            }
            Record::NodeTaint { node, taint, added } => {
                put("node", node.as_str().into());
                put("taint", taint.as_str().into());
                put("added", (*added).into());
            }
            Record::NodeUnschedulable { node, unschedulable } => {
                put("node", node.as_str().into());
                put("unschedulable", (*unschedulable).into());
            }
            Record::PodCreated { pod, owner } => {
                put("pod", pod.as_str().into());
                put("owner", owner.as_str().into());
            }
            Record::PodBound { pod, node } => {
                put("pod", pod.as_str().into());
                put("node", node.as_str().into());
            }
            Record::PodUnschedulable { pod, message } => {
                put("pod", pod.as_str().into());
                put("message", message.as_str().into());
            }
            Record::PodStarted { pod, restart_count } => {
                put("pod", pod.as_str().into());
                put("restart_count", (*restart_count).into());
            }
            Record::PodReady { pod, ready, reason } => {
                put("pod", pod.as_str().into());
                put("ready", (*ready).into());
                put("reason", (*reason).into());
            }
            Record::PodExited { pod, exit_code } => {
                put("pod", pod.as_str().into());
                put("exit_code", (*exit_code).into());
            }
            Record::PodPhase { pod, phase } => {
                put("pod", pod.as_str().into());
                put("phase", (*phase).into());
            }
            Record::PodDeleting { pod, reason } => {
                put("pod", pod.as_str().into());
                put("reason", (*reason).into());
            }
            Record::PodRemoved { pod } => put("pod", pod.as_str().into()),
            Record::PodWaiting { pod, reason, message } => {
                put("pod", pod.as_str().into());
                put("reason", (*reason).into());
                put("message", message.as_str().into());
            }
            Record::PodNominated { pod, node } => {
                put("pod", pod.as_str().into());
                put("node", node.as_str().into());
            }
            Record::PriorityClassCreated { name, value } => {
                put("priorityclass", name.as_str().into());
                put("value", (*value).into());
            }
            Record::PriorityClassUpdated { name } | Record::PriorityClassDeleted { name } => {
                put("priorityclass", name.as_str().into())
            }
            Record::PdbCreated { pdb } | Record::PdbDeleted { pdb } => put("poddisruptionbudget", pdb.as_str().into()),
            Record::PdbUpdated { pdb, generation } => {
                put("poddisruptionbudget", pdb.as_str().into());
                put("generation", (*generation).into());
            }
            Record::PdbStatus { pdb, current_healthy, desired_healthy, expected_pods, disruptions_allowed } => {
                put("poddisruptionbudget", pdb.as_str().into());
                put("current_healthy", (*current_healthy).into());
                put("desired_healthy", (*desired_healthy).into());
                put("expected_pods", (*expected_pods).into());
                put("disruptions_allowed", (*disruptions_allowed).into());
            }
            Record::ReplicaSetCreated { rs, replicas } => {
                put("replicaset", rs.as_str().into());
                put("replicas", (*replicas).into());
            }
            Record::ReplicaSetScaled { rs, from, to } => {
                put("replicaset", rs.as_str().into());
                put("from", (*from).into());
                put("to", (*to).into());
            }
            Record::ReplicaSetDeleted { rs } => put("replicaset", rs.as_str().into()),
            Record::DeploymentCreated { deployment } | Record::DeploymentDeleted { deployment } => {
                put("deployment", deployment.as_str().into())
            }
            Record::DeploymentUpdated { deployment, generation } => {
                put("deployment", deployment.as_str().into());
                put("generation", (*generation).into());
            }
            Record::DeploymentCondition { deployment, condition, status, reason } => {
                put("deployment", deployment.as_str().into());
                put("condition", (*condition).into());
                put("status", status.as_str().into());
                put("reason", (*reason).into());
            }
            Record::ServiceCreated { service } | Record::ServiceDeleted { service } => {
                put("service", service.as_str().into())
            }
            Record::ServiceEndpoints { service, ready, not_ready } => {
                put("service", service.as_str().into());
                put("ready", (*ready).into());
                put("not_ready", (*not_ready).into());
            }
            Record::JobCreated { job } | Record::JobDeleted { job } => put("job", job.as_str().into()),
            Record::OwnerDeleting { object, policy } => {
                put("object", object.as_str().into());
                put("policy", (*policy).into());
            }
            Record::OwnerReferenceRemoved { object } => put("object", object.as_str().into()),
            Record::IngressCreated { ingress } | Record::IngressDeleted { ingress } => {
                put("ingress", ingress.as_str().into())
            }
            Record::IngressUpdated { ingress, generation } => {
                put("ingress", ingress.as_str().into());
                put("generation", (*generation).into());
            }
            Record::HpaCreated { hpa } | Record::HpaDeleted { hpa } => put("hpa", hpa.as_str().into()),
            Record::HpaUpdated { hpa, generation } => {
                put("hpa", hpa.as_str().into());
                put("generation", (*generation).into());
            }
            Record::HpaStatus { hpa, current_replicas, desired_replicas } => {
                put("hpa", hpa.as_str().into());
                put("current_replicas", (*current_replicas).into());
                put("desired_replicas", (*desired_replicas).into());
            }
            Record::HpaCondition { hpa, condition, status, reason } => {
                put("hpa", hpa.as_str().into());
                put("condition", (*condition).into());
                put("status", status.as_str().into());
                put("reason", (*reason).into());
            }
            Record::HpaEvent { hpa, reason, message } => {
                put("hpa", hpa.as_str().into());
                put("reason", (*reason).into());
                put("message", message.as_str().into());
            }
            Record::ConfigPut { kind, name, keys } => {
                put("kind", (*kind).into());
                put("name", name.as_str().into());
                put("keys", (*keys).into());
            }
            Record::ConfigDeleted { kind, name } => {
                put("kind", (*kind).into());
                put("name", name.as_str().into());
            }
            Record::CronJobCreated { cronjob } | Record::CronJobDeleted { cronjob } => {
                put("cronjob", cronjob.as_str().into())
            }
            Record::CronJobUpdated { cronjob, generation } => {
                put("cronjob", cronjob.as_str().into());
                put("generation", (*generation).into());
            }
            Record::JobCreatedByCronJob { cronjob, job, scheduled } => {
                put("cronjob", cronjob.as_str().into());
                put("job", job.as_str().into());
                put("scheduled", scheduled.as_str().into());
            }
            Record::JobCondition { job, condition, reason } => {
                put("job", job.as_str().into());
                put("condition", (*condition).into());
                put("reason", reason.as_str().into());
            }
            Record::StatefulSetCreated { sts, replicas } => {
                put("statefulset", sts.as_str().into());
                put("replicas", (*replicas).into());
            }
            Record::StatefulSetUpdated { sts, generation } => {
                put("statefulset", sts.as_str().into());
                put("generation", (*generation).into());
            }
            Record::StatefulSetDeleted { sts } => put("statefulset", sts.as_str().into()),
            Record::StatefulSetRevision { sts, revision, number } => {
                put("statefulset", sts.as_str().into());
                put("revision", revision.as_str().into());
                put("number", (*number).into());
            }
            Record::StatefulSetRevisionDeleted { sts, revision } => {
                put("statefulset", sts.as_str().into());
                put("revision", revision.as_str().into());
            }
            Record::PvcCreated { pvc, pod } => {
                put("persistentvolumeclaim", pvc.as_str().into());
                put("pod", pod.as_str().into());
            }
            Record::PvcOwner { pvc, owner } => {
                put("persistentvolumeclaim", pvc.as_str().into());
                put("owner", owner.as_str().into());
            }
            Record::PvcDeleting { pvc } | Record::PvcDeleted { pvc } => {
                put("persistentvolumeclaim", pvc.as_str().into())
            }
            Record::DaemonSetCreated { ds } | Record::DaemonSetDeleted { ds } => put("daemonset", ds.as_str().into()),
            Record::DaemonSetUpdated { ds, generation } => {
                put("daemonset", ds.as_str().into());
                put("generation", (*generation).into());
            }
            Record::FaultInjected { source, kind, target, pod } => {
                put("source", source.as_str().into());
                put("kind", (*kind).into());
                put("target", target.as_str().into());
                put("pod", pod.as_str().into());
            }
            Record::PvcApplied { pvc, class } | Record::PvcClassAssigned { pvc, class } => {
                put("persistentvolumeclaim", pvc.as_str().into());
                put("storageclass", class.as_str().into());
            }
            Record::PvcBound { pvc, pv } => {
                put("persistentvolumeclaim", pvc.as_str().into());
                put("persistentvolume", pv.as_str().into());
            }
            Record::PvcSelectedNode { pvc, node } => {
                put("persistentvolumeclaim", pvc.as_str().into());
                put("node", node.as_str().into());
            }
            Record::PvcPhase { pvc, phase } => {
                put("persistentvolumeclaim", pvc.as_str().into());
                put("phase", (*phase).into());
            }
            Record::PvCreated { pv, class, capacity, zone, claim } => {
                put("persistentvolume", pv.as_str().into());
                put("storageclass", class.as_str().into());
                put("capacity", capacity.as_str().into());
                put("zone", zone.as_str().into());
                put("claim", claim.as_str().into());
            }
            Record::PvUpdated { pv } | Record::PvDeleting { pv } | Record::PvDeleted { pv } => {
                put("persistentvolume", pv.as_str().into())
            }
            Record::PvPhase { pv, phase } => {
                put("persistentvolume", pv.as_str().into());
                put("phase", (*phase).into());
            }
            Record::StorageClassCreated { name }
            | Record::StorageClassUpdated { name }
            | Record::StorageClassDeleted { name } => put("storageclass", name.as_str().into()),
            Record::Scripted { action } => put("action", action.as_str().into()),
            Record::ActionFailed { action, message } => {
                put("action", action.as_str().into());
                put("message", message.as_str().into());
            }
            Record::Check { expect, passed, actual } => {
                put("expect", expect.as_str().into());
                put("passed", (*passed).into());
                put("actual", actual.as_str().into());
            }
            Record::PodKilled { pod, reason, exit_code } => {
                put("pod", pod.as_str().into());
                put("reason", (*reason).into());
                put("exit_code", (*exit_code).into());
            }
            Record::ControlPlane { component, up } => {
                put("component", (*component).into());
                put("up", (*up).into());
            }
            Record::LeaderElected { component } => put("component", (*component).into()),
        }
        serde_json::Value::Object(v).to_string()
    }
}

/// At most this many narrative lines are kept; later ones are counted.
pub const MAX_NARRATIVE: usize = 200;

/// A pod's record ([`Record::PodCreated`] to [`Record::PodRemoved`]) with its strings
/// borrowed, for [`Journal::pod`]: hashed as the record it stands for, which is built only
/// when records are kept (several such records per pod, each of which would build the pod's
/// key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodEvent<'a> {
    /// The controller as `kind/name` (`(kind, Some(name))`), or whole; `("", None)` for none.
    Created {
        owner: (&'a str, Option<&'a str>),
    },
    Bound {
        node: &'a str,
    },
    Started {
        restart_count: i32,
    },
    Ready {
        ready: bool,
        reason: &'static str,
    },
    Exited {
        exit_code: i32,
    },
    Phase {
        phase: &'static str,
    },
    Deleting {
        reason: &'static str,
    },
    Removed,
}

/// A record of one namespaced object with its strings borrowed, for [`Journal::keyed`]: it
/// hashes as the [`Record`] it stands for, which is built only when records are kept.
pub trait KeyedEvent: Copy {
    /// The record, naming the object by `key` (`namespace/name`).
    fn record(self, key: String) -> Record;
    /// The record's tag ([`Record::tag`]): part of the digest encoding, never renumbered.
    fn tag(self) -> u8;
    /// What the record hashes after the object's key.
    fn hash_rest(self, d: &mut Digest);
}

impl<'a> PodEvent<'a> {
    /// The event a pod record is; `None` for other records.
    fn of(record: &'a Record) -> Option<PodEvent<'a>> {
        Some(match record {
            Record::PodCreated { owner, .. } => PodEvent::Created { owner: (owner, None) },
            Record::PodBound { node, .. } => PodEvent::Bound { node },
            Record::PodStarted { restart_count, .. } => PodEvent::Started { restart_count: *restart_count },
            Record::PodReady { ready, reason, .. } => PodEvent::Ready { ready: *ready, reason },
            Record::PodExited { exit_code, .. } => PodEvent::Exited { exit_code: *exit_code },
            Record::PodPhase { phase, .. } => PodEvent::Phase { phase },
            Record::PodDeleting { reason, .. } => PodEvent::Deleting { reason },
            Record::PodRemoved { .. } => PodEvent::Removed,
            _ => return None,
        })
    }
}

impl KeyedEvent for PodEvent<'_> {
    fn record(self, pod: String) -> Record {
        match self {
            PodEvent::Created { owner: (first, second) } => Record::PodCreated {
                pod,
                owner: second.map_or_else(|| first.to_string(), |second| format!("{first}/{second}")),
            },
            PodEvent::Bound { node } => Record::PodBound { pod, node: node.to_string() },
            PodEvent::Started { restart_count } => Record::PodStarted { pod, restart_count },
            PodEvent::Ready { ready, reason } => Record::PodReady { pod, ready, reason },
            PodEvent::Exited { exit_code } => Record::PodExited { pod, exit_code },
            PodEvent::Phase { phase } => Record::PodPhase { pod, phase },
            PodEvent::Deleting { reason } => Record::PodDeleting { pod, reason },
            PodEvent::Removed => Record::PodRemoved { pod },
        }
    }

    fn tag(self) -> u8 {
        match self {
            PodEvent::Created { .. } => 10,
            PodEvent::Bound { .. } => 11,
            PodEvent::Started { .. } => 13,
            PodEvent::Ready { .. } => 14,
            PodEvent::Exited { .. } => 15,
            PodEvent::Phase { .. } => 16,
            PodEvent::Deleting { .. } => 17,
            PodEvent::Removed => 18,
        }
    }

    fn hash_rest(self, d: &mut Digest) {
        match self {
            PodEvent::Created { owner: (first, second) } => d.write_joined(first, second),
            PodEvent::Bound { node } => d.write_str(node),
            PodEvent::Started { restart_count } => d.write_i64(i64::from(restart_count)),
            PodEvent::Ready { ready, reason } => {
                d.write_u8(u8::from(ready));
                d.write_str(reason);
            }
            PodEvent::Exited { exit_code } => d.write_i64(i64::from(exit_code)),
            PodEvent::Phase { phase: text } | PodEvent::Deleting { reason: text } => d.write_str(text),
            PodEvent::Removed => {}
        }
    }
}

/// A Job's record ([`Record::JobCreated`], [`Record::JobCondition`]) with its strings
/// borrowed, for [`Journal::keyed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobEvent<'a> {
    Created,
    Condition { condition: &'static str, reason: &'a str },
}

impl<'a> JobEvent<'a> {
    /// The event a Job record is; `None` for other records.
    fn of(record: &'a Record) -> Option<JobEvent<'a>> {
        Some(match record {
            Record::JobCreated { .. } => JobEvent::Created,
            Record::JobCondition { condition, reason, .. } => JobEvent::Condition { condition, reason },
            _ => return None,
        })
    }
}

impl KeyedEvent for JobEvent<'_> {
    fn record(self, job: String) -> Record {
        match self {
            JobEvent::Created => Record::JobCreated { job },
            JobEvent::Condition { condition, reason } => {
                Record::JobCondition { job, condition, reason: reason.to_string() }
            }
        }
    }

    fn tag(self) -> u8 {
        match self {
            JobEvent::Created => 60,
            JobEvent::Condition { .. } => 61,
        }
    }

    fn hash_rest(self, d: &mut Digest) {
        match self {
            JobEvent::Created => {}
            JobEvent::Condition { condition, reason } => {
                d.write_str(condition);
                d.write_str(reason);
            }
        }
    }
}

/// The event log: digest, optional record list, narrative.
#[derive(Clone, Default)]
pub struct Journal {
    digest: Digest,
    keep_records: bool,
    /// Keep every narrative line (`kubesim run --narrate`, `--step`), not only the first
    /// [`MAX_NARRATIVE`].
    full_narrative: bool,
    records: Vec<(SimTime, Record)>,
    narrative: Vec<(SimTime, String)>,
    narrative_dropped: u64,
}

impl Journal {
    pub fn new(keep_records: bool) -> Journal {
        Journal { keep_records, ..Journal::default() }
    }

    #[inline]
    pub fn record(&mut self, t: SimTime, record: Record) {
        self.digest.begin_record(t.as_micros(), record.tag());
        record.hash_into(&mut self.digest);
        if self.keep_records {
            self.records.push((t, record));
        }
    }

    /// [`record`](Self::record) of `event` of the object of `meta`, without building the
    /// record's strings unless records are kept.
    #[inline]
    pub fn keyed(&mut self, t: SimTime, meta: &ObjectMeta, event: impl KeyedEvent) {
        let (namespace, name) = (meta.namespace.as_str(), meta.name.as_str());
        if self.keep_records {
            self.record(t, event.record(crate::api::meta::key_of(namespace, name)));
            return;
        }
        self.digest.begin_record(t.as_micros(), event.tag());
        // The key as `key_of` writes it: `namespace/name`, or the name alone.
        match namespace {
            "" => self.digest.write_str(name),
            _ => self.digest.write_joined(namespace, Some(name)),
        }
        event.hash_rest(&mut self.digest);
    }

    /// Adds a line to the printed story of the run.
    pub fn narrate(&mut self, t: SimTime, text: impl FnOnce() -> String) {
        if self.narrating() {
            self.narrative.push((t, text()));
        } else {
            self.narrative_dropped += 1;
        }
    }

    /// Whether [`narrate`](Self::narrate) keeps its line now (else it only counts it).
    pub fn narrating(&self) -> bool {
        self.full_narrative || self.narrative.len() < MAX_NARRATIVE
    }

    /// Keeps every narrative line from now on.
    pub fn keep_full_narrative(&mut self) {
        self.full_narrative = true;
    }

    pub fn digest_hex(&self) -> String {
        self.digest.hex()
    }

    pub fn record_count(&self) -> u64 {
        self.digest.records()
    }

    pub fn records(&self) -> &[(SimTime, Record)] {
        &self.records
    }

    pub fn narrative(&self) -> &[(SimTime, String)] {
        &self.narrative
    }

    pub fn narrative_dropped(&self) -> u64 {
        self.narrative_dropped
    }

    /// The narrative as text, one line per entry, times as `[  10m45s]`.
    pub fn narrative_text(&self) -> String {
        let mut out = String::new();
        for (t, line) in &self.narrative {
            let _ = writeln!(out, "  [{:>9}] {line}", t.to_string());
        }
        if self.narrative_dropped > 0 {
            let _ = writeln!(out, "  ... and {} more notable events", self.narrative_dropped);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pod event, with a controller written as a pair and whole.
    fn pod_events() -> Vec<PodEvent<'static>> {
        vec![
            PodEvent::Created { owner: ("replicaset", Some("web-5d4f8c7b9")) },
            PodEvent::Created { owner: ("job/batch-1", None) },
            PodEvent::Created { owner: ("", None) },
            PodEvent::Bound { node: "node-7" },
            PodEvent::Started { restart_count: 2 },
            PodEvent::Ready { ready: true, reason: "KubeletReady" },
            PodEvent::Ready { ready: false, reason: "NodeNotReady" },
            PodEvent::Exited { exit_code: -1 },
            PodEvent::Phase { phase: "Succeeded" },
            PodEvent::Deleting { reason: "DeletionByPodGC" },
            PodEvent::Removed,
        ]
    }

    /// Each event hashes as the record built by hand, kept or not, and the record reads back
    /// as the event's tag; distinct events hash differently.
    fn check_events<E: KeyedEvent + std::fmt::Debug>(events: &[E]) {
        for (namespace, name) in [("default", "web-0"), ("", "lonely"), ("kube-system", "")] {
            let key = crate::api::meta::key_of(namespace, name);
            let meta = ObjectMeta { namespace: namespace.into(), name: name.into(), ..ObjectMeta::default() };
            for (k, &event) in events.iter().enumerate() {
                let t = SimTime::from_secs(k as u64);
                // Borrowed (records not kept), owned (kept), and the record built by hand.
                let (mut borrowed, mut kept, mut built) =
                    (Journal::new(false), Journal::new(true), Journal::new(false));
                borrowed.keyed(t, &meta, event);
                kept.keyed(t, &meta, event);
                built.record(t, event.record(key.clone()));
                assert_eq!(borrowed.digest_hex(), built.digest_hex(), "{event:?} of {key:?}");
                assert_eq!(kept.digest_hex(), built.digest_hex(), "{event:?} of {key:?}");
                assert_eq!(kept.records(), &[(t, event.record(key.clone()))]);
                assert_eq!(event.record(key.clone()).tag(), event.tag());
            }
        }
        let digests: std::collections::BTreeSet<String> = events
            .iter()
            .map(|&event| {
                let mut j = Journal::new(false);
                let meta = ObjectMeta { namespace: "default".into(), name: "web-0".into(), ..ObjectMeta::default() };
                j.keyed(SimTime::ZERO, &meta, event);
                j.digest_hex()
            })
            .collect();
        assert_eq!(digests.len(), events.len());
    }

    #[test]
    fn a_pod_event_hashes_as_the_record_it_stands_for() {
        check_events(&pod_events());
    }

    #[test]
    fn a_job_event_hashes_as_the_record_it_stands_for() {
        check_events(&[
            JobEvent::Created,
            JobEvent::Condition { condition: "Complete", reason: "CompletionsReached" },
            JobEvent::Condition { condition: "Failed", reason: "BackoffLimitExceeded" },
        ]);
    }

    #[test]
    fn a_pair_hashes_as_the_joined_string() {
        let (mut pair, mut whole) = (Digest::default(), Digest::default());
        pair.write_joined("default", Some("web"));
        whole.write_str("default/web");
        assert_eq!(pair.hex(), whole.hex());
        let (mut pair, mut whole) = (Digest::default(), Digest::default());
        pair.write_joined("default", None);
        whole.write_str("default");
        assert_eq!(pair.hex(), whole.hex());
    }
}
