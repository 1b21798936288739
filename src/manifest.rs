//! Kubernetes manifests in: YAML documents decoded into api objects, with the API server's
//! defaulting and validation applied, and located errors.
//!
//! What `kubectl apply` would accept, we accept; what the API server would reject, we reject
//! with the file, line, column and object named. Fields Kubernetes defines but the simulator
//! does not model are accepted and listed once (`kubesim validate`). Kinds that exist in
//! Kubernetes but do not affect what the simulator models (ServiceAccount, NetworkPolicy, ...) are
//! accepted and listed; kinds that would change behaviour but are not implemented yet are an
//! error, so a run never silently ignores a workload.

mod autoscaling;
mod batch;
mod daemonset;
mod networking;
mod node;
mod pod;
mod policy;
mod service;
mod statefulset;
mod storage;
mod workload;

use crate::api::autoscaling::HorizontalPodAutoscaler;
use crate::api::batch::{CronJob, Job};
use crate::api::config::ConfigObject;
use crate::api::daemonset::DaemonSet;
use crate::api::meta::{Kind, Labels, ObjectMeta};
use crate::api::networking::Ingress;
use crate::api::node::Node;
use crate::api::pod::ConfigSource;
use crate::api::pod::Pod;
use crate::api::policy::PodDisruptionBudget;
use crate::api::quota::{LimitRange, ResourceQuota};
use crate::api::scheduling::PriorityClass;
use crate::api::service::{Namespace, Service};
use crate::api::statefulset::StatefulSet;
use crate::api::storage::{PersistentVolume, PersistentVolumeClaim, StorageClass};
use crate::api::validation;
use crate::api::workload::{Deployment, ReplicaSet};
use crate::decode::{Ctx, DResult, Fields};
use crate::yaml::{Node as YamlNode, Pos};

pub use autoscaling::SCALE_TARGET_KINDS;
pub use node::{NodeFields, build_node, decode_node_fields};
pub use pod::{decode_pod_template, parse_sim_annotations};

/// A decoded object.
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    Namespace(Namespace),
    Node(Node),
    Pod(Pod),
    ReplicaSet(ReplicaSet),
    Deployment(Deployment),
    Service(Service),
    PriorityClass(PriorityClass),
    PodDisruptionBudget(PodDisruptionBudget),
    Job(Job),
    /// A ConfigMap or a Secret.
    Config(ConfigObject),
    LimitRange(LimitRange),
    ResourceQuota(ResourceQuota),
    CronJob(CronJob),
    StatefulSet(StatefulSet),
    DaemonSet(DaemonSet),
    PersistentVolumeClaim(PersistentVolumeClaim),
    PersistentVolume(PersistentVolume),
    StorageClass(StorageClass),
    Ingress(Ingress),
    HorizontalPodAutoscaler(HorizontalPodAutoscaler),
}

impl Object {
    pub fn kind(&self) -> Kind {
        match self {
            Object::Namespace(_) => Kind::Namespace,
            Object::Node(_) => Kind::Node,
            Object::Pod(_) => Kind::Pod,
            Object::ReplicaSet(_) => Kind::ReplicaSet,
            Object::Deployment(_) => Kind::Deployment,
            Object::Service(_) => Kind::Service,
            Object::PriorityClass(_) => Kind::PriorityClass,
            Object::PodDisruptionBudget(_) => Kind::PodDisruptionBudget,
            Object::Job(_) => Kind::Job,
            Object::Ingress(_) => Kind::Ingress,
            Object::HorizontalPodAutoscaler(_) => Kind::HorizontalPodAutoscaler,
            Object::Config(c) => match c.source {
                ConfigSource::ConfigMap => Kind::ConfigMap,
                ConfigSource::Secret => Kind::Secret,
            },
            Object::LimitRange(_) => Kind::LimitRange,
            Object::ResourceQuota(_) => Kind::ResourceQuota,
            Object::CronJob(_) => Kind::CronJob,
            Object::StatefulSet(_) => Kind::StatefulSet,
            Object::DaemonSet(_) => Kind::DaemonSet,
            Object::PersistentVolumeClaim(_) => Kind::PersistentVolumeClaim,
            Object::PersistentVolume(_) => Kind::PersistentVolume,
            Object::StorageClass(_) => Kind::StorageClass,
        }
    }

    pub fn meta(&self) -> &ObjectMeta {
        match self {
            Object::Namespace(o) => &o.meta,
            Object::Node(o) => &o.meta,
            Object::Pod(o) => &o.meta,
            Object::ReplicaSet(o) => &o.meta,
            Object::Deployment(o) => &o.meta,
            Object::Service(o) => &o.meta,
            Object::PriorityClass(o) => &o.meta,
            Object::PodDisruptionBudget(o) => &o.meta,
            Object::Job(o) => &o.meta,
            Object::Config(o) => &o.meta,
            Object::LimitRange(o) => &o.meta,
            Object::ResourceQuota(o) => &o.meta,
            Object::CronJob(o) => &o.meta,
            Object::StatefulSet(o) => &o.meta,
            Object::DaemonSet(o) => &o.meta,
            Object::PersistentVolumeClaim(o) => &o.meta,
            Object::PersistentVolume(o) => &o.meta,
            Object::StorageClass(o) => &o.meta,
            Object::Ingress(o) => &o.meta,
            Object::HorizontalPodAutoscaler(o) => &o.meta,
        }
    }

    /// `Kind namespace/name`, for messages.
    pub fn describe(&self) -> String {
        format!("{} {}", self.kind(), self.meta().key())
    }
}

/// A decoded object and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    pub object: Object,
    pub file: String,
    pub pos: Pos,
    /// Where `metadata.namespace` is written (the object's position when it is not), so that
    /// a namespace found missing only once every manifest is read can still be pointed at.
    pub namespace_pos: Pos,
}

impl Manifest {
    /// A manifest decoded from the document `root` of `file`.
    pub fn new(object: Object, file: &str, root: &YamlNode) -> Manifest {
        let namespace_pos = root.get("metadata").and_then(|m| m.get("namespace")).map_or(root.pos, |n| n.pos);
        Manifest { object, file: file.to_string(), pos: root.pos, namespace_pos }
    }
}

/// Kubernetes kinds that do not change anything the simulator models: accepted, listed.
pub const IGNORED_KINDS: &[&str] = &[
    "ServiceAccount",
    "IngressClass",
    "NetworkPolicy",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
    "Endpoints",
    "EndpointSlice",
    "CustomResourceDefinition",
];

/// Kubernetes kinds that would change behaviour but are not simulated yet: rejected.
pub const UNSUPPORTED_KINDS: &[&str] = &["ReplicationController"];

const MODELLED_KINDS: [&str; 21] = [
    "Namespace",
    "Node",
    "Pod",
    "ReplicaSet",
    "Deployment",
    "Service",
    "PriorityClass",
    "PodDisruptionBudget",
    "Job",
    "ConfigMap",
    "Secret",
    "LimitRange",
    "ResourceQuota",
    "CronJob",
    "StatefulSet",
    "DaemonSet",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "Ingress",
    "HorizontalPodAutoscaler",
];

/// The supported kinds, for hints.
const SUPPORTED_HINT: &str = "supported kinds: Namespace, Node, Pod, ReplicaSet, Deployment, StatefulSet, DaemonSet, Service, Ingress, HorizontalPodAutoscaler, PriorityClass, PodDisruptionBudget, Job, CronJob, ConfigMap, Secret, LimitRange, ResourceQuota, PersistentVolumeClaim, PersistentVolume, StorageClass";

/// Decodes one manifest document. `Ok(None)` means a known kind that the simulator ignores
/// (recorded in the context's unmodelled list).
pub fn decode_object(ctx: &mut Ctx<'_>, root: &YamlNode) -> DResult<Option<Object>> {
    let saved_kind = ctx.kind;
    let result = decode_object_inner(ctx, root);
    ctx.kind = saved_kind;
    result
}

fn decode_object_inner(ctx: &mut Ctx<'_>, root: &YamlNode) -> DResult<Option<Object>> {
    let mut top = ctx.fields(root, "")?;
    let kind_node = top.require(ctx, "kind", root.pos)?;
    let kind = ctx.string(kind_node, "kind")?;
    let api_node = top.require(ctx, "apiVersion", root.pos)?;
    let api_version = ctx.string(api_node, "apiVersion")?;
    // Name the object as written until its metadata is decoded and validated.
    ctx.object = Some(describe_document(root).unwrap_or_else(|| kind.clone()));

    if IGNORED_KINDS.contains(&kind.as_str()) {
        ctx.unmodelled.insert(format!("kind {kind} (accepted, not simulated)"));
        return Ok(None);
    }
    if UNSUPPORTED_KINDS.contains(&kind.as_str()) {
        return Err(ctx.error_hint(
            kind_node.pos,
            "kind",
            format!("kind {kind:?} is not simulated yet"),
            format!("remove it from the scenario; {SUPPORTED_HINT}"),
        ));
    }
    let Some(kind) = MODELLED_KINDS.iter().copied().find(|k| *k == kind) else {
        let all = MODELLED_KINDS.iter().chain(IGNORED_KINDS).chain(UNSUPPORTED_KINDS).copied();
        return Err(ctx.error_hint(
            kind_node.pos,
            "kind",
            format!("unknown kind {kind:?}{}", crate::suggest::did_you_mean(&kind, all)),
            SUPPORTED_HINT,
        ));
    };
    let expected_api = match kind {
        "ReplicaSet" | "Deployment" | "StatefulSet" | "DaemonSet" => "apps/v1",
        "PriorityClass" => "scheduling.k8s.io/v1",
        "PodDisruptionBudget" => "policy/v1",
        "Job" | "CronJob" => "batch/v1",
        "StorageClass" => "storage.k8s.io/v1",
        "Ingress" => "networking.k8s.io/v1",
        "HorizontalPodAutoscaler" => "autoscaling/v2",
        _ => "v1",
    };
    // autoscaling/v1 HPAs are served too, and converted (targetCPUUtilizationPercentage).
    let also_served = kind == "HorizontalPodAutoscaler" && api_version == "autoscaling/v1";
    if api_version != expected_api && !also_served {
        return Err(ctx.error_hint(
            api_node.pos,
            "apiVersion",
            format!("{kind} is served as apiVersion {expected_api:?}, not {api_version:?}"),
            format!("write apiVersion: {expected_api}"),
        ));
    }

    ctx.kind = kind;
    let meta_node = top.require(ctx, "metadata", root.pos)?;
    let meta_kind = match kind {
        "Namespace" => Kind::Namespace,
        "Node" => Kind::Node,
        "Pod" => Kind::Pod,
        "ReplicaSet" => Kind::ReplicaSet,
        "Deployment" => Kind::Deployment,
        "PriorityClass" => Kind::PriorityClass,
        "PodDisruptionBudget" => Kind::PodDisruptionBudget,
        "Job" => Kind::Job,
        "ConfigMap" => Kind::ConfigMap,
        "Secret" => Kind::Secret,
        "LimitRange" => Kind::LimitRange,
        "ResourceQuota" => Kind::ResourceQuota,
        "CronJob" => Kind::CronJob,
        "StatefulSet" => Kind::StatefulSet,
        "DaemonSet" => Kind::DaemonSet,
        "PersistentVolumeClaim" => Kind::PersistentVolumeClaim,
        "PersistentVolume" => Kind::PersistentVolume,
        "StorageClass" => Kind::StorageClass,
        "Ingress" => Kind::Ingress,
        "HorizontalPodAutoscaler" => Kind::HorizontalPodAutoscaler,
        _ => Kind::Service,
    };
    let meta = decode_metadata(ctx, meta_node, meta_kind)?;
    ctx.object = Some(format!("{kind} {}", meta.key()));
    let spec = top.get("spec");
    let status = top.get("status");
    let object = match meta_kind {
        Kind::Namespace => {
            if let Some(spec) = spec {
                ctx.fields(spec, "spec")?.finish(ctx, &["finalizers"])?;
            }
            Object::Namespace(Namespace { meta })
        }
        Kind::Node => Object::Node(node::decode_node(ctx, meta, spec, status, root.pos)?),
        Kind::Pod => {
            let annotations = meta_node.get("annotations");
            Object::Pod(pod::decode_pod(ctx, meta, annotations, spec, root.pos)?)
        }
        Kind::ReplicaSet => Object::ReplicaSet(workload::decode_replica_set(ctx, meta, spec, root.pos)?),
        Kind::Deployment => Object::Deployment(workload::decode_deployment(ctx, meta, spec, root.pos)?),
        Kind::Service => Object::Service(service::decode_service(ctx, meta, spec, root.pos)?),
        Kind::PriorityClass => {
            if let Some(spec) = spec {
                return Err(ctx.error_hint(
                    spec.pos,
                    "spec",
                    "a PriorityClass has no spec",
                    "value, globalDefault, preemptionPolicy and description are top-level fields",
                ));
            }
            Object::PriorityClass(policy::decode_priority_class(ctx, meta, &mut top, root.pos)?)
        }
        Kind::PodDisruptionBudget => Object::PodDisruptionBudget(policy::decode_pdb(ctx, meta, spec)?),
        Kind::Job => Object::Job(batch::decode_job(ctx, meta, spec, root.pos)?),
        Kind::Ingress => Object::Ingress(networking::decode_ingress(ctx, meta, spec, root.pos)?),
        Kind::HorizontalPodAutoscaler => {
            Object::HorizontalPodAutoscaler(autoscaling::decode_hpa(ctx, meta, &api_version, spec, root.pos)?)
        }
        Kind::ConfigMap | Kind::Secret => {
            let source = if meta_kind == Kind::ConfigMap { ConfigSource::ConfigMap } else { ConfigSource::Secret };
            if let Some(spec) = spec {
                return Err(ctx.error_hint(
                    spec.pos,
                    "spec",
                    format!("a {meta_kind} has no spec"),
                    "data, binaryData (and stringData, type for Secrets) are top-level fields",
                ));
            }
            Object::Config(decode_config(ctx, meta, source, &mut top)?)
        }
        Kind::LimitRange => Object::LimitRange(policy::decode_limit_range(ctx, meta, spec, root.pos)?),
        Kind::ResourceQuota => Object::ResourceQuota(policy::decode_resource_quota(ctx, meta, spec, root.pos)?),
        Kind::CronJob => Object::CronJob(batch::decode_cronjob(ctx, meta, spec, root.pos)?),
        Kind::StatefulSet => Object::StatefulSet(statefulset::decode_stateful_set(ctx, meta, spec, root.pos)?),
        Kind::DaemonSet => Object::DaemonSet(daemonset::decode_daemon_set(ctx, meta, spec, root.pos)?),
        Kind::PersistentVolumeClaim => Object::PersistentVolumeClaim(storage::decode_claim(ctx, meta, spec, root.pos)?),
        Kind::PersistentVolume => Object::PersistentVolume(storage::decode_volume(ctx, meta, spec, root.pos)?),
        Kind::StorageClass => {
            if let Some(spec) = spec {
                return Err(ctx.error_hint(
                    spec.pos,
                    "spec",
                    "a StorageClass has no spec",
                    "provisioner, reclaimPolicy, volumeBindingMode and allowedTopologies are top-level fields",
                ));
            }
            Object::StorageClass(storage::decode_storage_class(ctx, meta, &mut top, root.pos)?)
        }
    };
    // Status of workloads is computed by the simulator; a status written in the manifest
    // (e.g. from `kubectl get -o yaml`) is ignored, as the API server ignores it on create.
    if status.is_some() && meta_kind != Kind::Node {
        ctx.note_unmodelled("status");
    }
    top.finish(ctx, &[])?;
    Ok(Some(object))
}

/// The top-level fields of a ConfigMap or Secret: the keys of `data`, `binaryData` and (Secrets)
/// `stringData`, validated and distinct; `immutable`; a Secret's `type`.
fn decode_config(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    source: ConfigSource,
    top: &mut Fields<'_>,
) -> DResult<ConfigObject> {
    let mut keys = std::collections::BTreeSet::new();
    let lists: &[&'static str] =
        if source == ConfigSource::Secret { &["data", "stringData"] } else { &["data", "binaryData"] };
    let mut first_list: std::collections::BTreeMap<String, &str> = std::collections::BTreeMap::new();
    for &list in lists {
        let Some(node) = top.get(list) else { continue };
        let map = ctx.string_map(node, list)?;
        for key in map.keys() {
            let at = node.get(key).map_or(node.pos, |n| n.pos);
            crate::api::config::validate_key(key).map_err(|e| ctx.error(at, &format!("{list}[{key}]"), e))?;
            // A key may be in both `data` and `stringData` of a Secret (stringData wins), but
            // not in both `data` and `binaryData` of a ConfigMap.
            if let Some(other) = first_list.get(key)
                && source == ConfigSource::ConfigMap
            {
                return Err(ctx.error(at, &format!("{list}[{key}]"), format!("duplicate of key present in {other}")));
            }
            first_list.insert(key.clone(), list);
            keys.insert(key.clone());
        }
    }
    let immutable = match top.get("immutable") {
        Some(n) => ctx.bool(n, "immutable")?,
        None => false,
    };
    let secret_type = match (source, top.get("type")) {
        (ConfigSource::Secret, Some(n)) => ctx.string(n, "type")?,
        (ConfigSource::Secret, None) => "Opaque".to_string(),
        (ConfigSource::ConfigMap, _) => String::new(),
    };
    Ok(ConfigObject { source, meta, keys, secret_type, immutable })
}

/// Names the object a document describes (`Deployment default/web`) from its `kind` and
/// `metadata`, for errors found before the document could be decoded.
pub fn describe_document(root: &YamlNode) -> Option<String> {
    let kind = root.get("kind")?.as_str()?;
    let meta = root.get("metadata")?;
    let name = meta.get("name")?.as_str()?;
    let namespace = meta.get("namespace").and_then(YamlNode::as_str);
    let cluster_scoped = matches!(kind, "Namespace" | "Node" | "PriorityClass" | "PersistentVolume" | "StorageClass");
    Some(match namespace {
        _ if cluster_scoped => format!("{kind} {name}"),
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} default/{name}"),
    })
}

/// `metadata`: name (or generateName), namespace, labels, annotations, validated.
fn decode_metadata(ctx: &mut Ctx<'_>, node: &YamlNode, kind: Kind) -> DResult<ObjectMeta> {
    let mut f = ctx.fields(node, "metadata")?;
    let mut meta = ObjectMeta::default();
    let name_node = f.get("name");
    let generate_node = f.get("generateName");
    match (name_node, generate_node) {
        (Some(n), _) => {
            meta.name = ctx.string(n, "metadata.name")?;
            validate_name(ctx, kind, &meta.name, n.pos, "metadata.name")?;
        }
        (None, Some(g)) if kind == Kind::Pod => {
            // The store appends five random characters; validate the prefix as a name.
            let prefix = ctx.string(g, "metadata.generateName")?;
            validate_name(ctx, kind, &format!("{prefix}x"), g.pos, "metadata.generateName")?;
            meta.annotations.insert(GENERATE_NAME.to_string(), prefix);
        }
        (None, Some(g)) => {
            return Err(ctx.error(
                g.pos,
                "metadata.generateName",
                format!("generateName is only supported for Pods, not {kind}"),
            ));
        }
        (None, None) => {
            if let Some(e) = f.misspelled(ctx, "name") {
                return Err(e);
            }
            return Err(ctx.error_hint(
                node.pos,
                "metadata",
                "missing required field \"name\"",
                "every object needs metadata.name",
            ));
        }
    }
    if let Some(ns) = f.get("namespace") {
        let value = ctx.string(ns, "metadata.namespace")?;
        if !kind.is_namespaced() {
            return Err(ctx.error(
                ns.pos,
                "metadata.namespace",
                format!("{kind} is cluster-scoped and has no namespace"),
            ));
        }
        validation::is_dns1123_label(&value).map_err(|e| ctx.error(ns.pos, "metadata.namespace", e))?;
        meta.namespace = value;
    } else if kind.is_namespaced() {
        meta.namespace = "default".to_string();
    }
    if let Some(labels) = f.get("labels") {
        meta.labels = ctx.string_map(labels, "metadata.labels")?;
        validate_labels(ctx, &meta.labels, labels, "metadata.labels")?;
    }
    if let Some(annotations) = f.get("annotations") {
        let values = ctx.string_map(annotations, "metadata.annotations")?;
        validate_annotation_keys(ctx, &values, annotations, "metadata.annotations")?;
        meta.annotations.extend(values);
    }
    f.finish(
        ctx,
        &[
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "managedFields",
            "finalizers",
            "ownerReferences",
            "selfLink",
        ],
    )?;
    Ok(meta)
}

/// Internal annotation carrying a Pod's `generateName` until the store names it.
pub const GENERATE_NAME: &str = "sim.kubesim.io/generate-name";

fn validate_name(ctx: &Ctx<'_>, kind: Kind, name: &str, pos: Pos, path: &str) -> DResult<()> {
    let result = match kind {
        // Services and Namespaces need DNS labels; everything else a DNS subdomain.
        Kind::Service => validation::is_dns1035_label(name),
        Kind::Namespace => validation::is_dns1123_label(name),
        // A Job's name is a DNS subdomain that is also a valid label value (it becomes its
        // pods' `batch.kubernetes.io/job-name` label): at most 63 characters.
        Kind::Job => validation::is_dns1123_subdomain(name).and_then(|()| {
            if name.len() > 63 {
                Err(format!(
                    "must be no more than 63 characters (it is the value of the {} label)",
                    crate::api::batch::labels::JOB_NAME
                ))
            } else {
                Ok(())
            }
        }),
        _ => validation::is_dns1123_subdomain(name),
    };
    // The CronJob controller names its Jobs `<cronjob>-<minutes since 1970>`.
    if kind == Kind::CronJob && result.is_ok() && name.len() > crate::api::batch::MAX_CRONJOB_NAME_LENGTH {
        return Err(ctx.error_hint(
            pos,
            path,
            format!("Invalid value: {name:?}: must be no more than {} characters", crate::api::batch::MAX_CRONJOB_NAME_LENGTH),
            "the CronJob's Jobs are named <name>-<minutes since 1970> (11 more characters), and Job names are at most 63 characters",
        ));
    }
    result.map_err(|e| {
        ctx.error_hint(pos, path, format!("invalid name {name:?}: {e}"), "use lower-case letters, digits and '-'")
    })
}

/// Validates label keys and values (`ValidateLabels`).
pub(crate) fn validate_labels(ctx: &Ctx<'_>, labels: &Labels, node: &YamlNode, path: &str) -> DResult<()> {
    // Positions are looked up only for an error: a linear search per label would make a
    // mapping of many labels quadratic.
    for (k, v) in labels {
        validation::is_qualified_name(k)
            .map_err(|e| ctx.error(key_pos(node, k), path, format!("invalid label key {k:?}: {e}")))?;
        validation::is_valid_label_value(v).map_err(|e| {
            let pos = node.get(k).map_or_else(|| key_pos(node, k), |n| n.pos);
            ctx.error(pos, path, format!("invalid value {v:?} for label {k:?}: {e}"))
        })?;
    }
    Ok(())
}

fn validate_annotation_keys(ctx: &Ctx<'_>, annotations: &Labels, node: &YamlNode, path: &str) -> DResult<()> {
    let mut total = 0usize;
    for (k, v) in annotations {
        validation::is_qualified_name(&k.to_ascii_lowercase())
            .map_err(|e| ctx.error(key_pos(node, k), path, format!("invalid annotation key {k:?}: {e}")))?;
        total += k.len() + v.len();
    }
    // `ValidateAnnotationsSize`: 256 KiB in total.
    if total > 256 * 1024 {
        return Err(ctx.error(node.pos, path, "annotations may not exceed 262144 bytes in total"));
    }
    Ok(())
}

/// The position of `key` in the mapping `node`, or the mapping's own position.
pub(crate) fn key_pos(node: &YamlNode, key: &str) -> Pos {
    match &node.value {
        crate::yaml::Value::Map(entries) => {
            entries.iter().find(|(k, _)| k.text == key).map_or(node.pos, |(k, _)| k.pos)
        }
        _ => node.pos,
    }
}

/// Decodes a `LabelSelector` mapping (`matchLabels` + `matchExpressions`).
pub(crate) fn decode_label_selector(
    ctx: &mut Ctx<'_>,
    node: &YamlNode,
    path: &str,
) -> DResult<crate::api::selector::LabelSelector> {
    use crate::api::selector::{LabelSelector, MatchExpression, MatchOperator};
    let mut f: Fields<'_> = ctx.fields(node, path)?;
    let match_labels = match f.get("matchLabels") {
        Some(n) => ctx.string_map(n, &format!("{path}.matchLabels"))?,
        None => Labels::new(),
    };
    let mut expressions = Vec::new();
    let mut expression_pos = Vec::new();
    if let Some(list) = f.get("matchExpressions") {
        for (i, item) in ctx.seq(list, &format!("{path}.matchExpressions"))?.iter().enumerate() {
            expression_pos.push(item.pos);
            let ipath = format!("{path}.matchExpressions[{i}]");
            let mut e = ctx.fields(item, &ipath)?;
            let key = ctx.string(e.require(ctx, "key", item.pos)?, &ipath)?;
            let op_node = e.require(ctx, "operator", item.pos)?;
            let op_text = ctx.string(op_node, &ipath)?;
            let operator: MatchOperator = op_text.parse().map_err(|err: crate::api::selector::SelectorError| {
                let suggestion = crate::suggest::did_you_mean(&op_text, ["In", "NotIn", "Exists", "DoesNotExist"]);
                ctx.error(op_node.pos, &format!("{ipath}.operator"), format!("{err}{suggestion}"))
            })?;
            let mut values = Vec::new();
            if let Some(vs) = e.get("values") {
                for v in ctx.seq(vs, &format!("{ipath}.values"))? {
                    values.push(ctx.string(v, &format!("{ipath}.values"))?);
                }
            }
            e.finish(ctx, &[])?;
            expressions.push(MatchExpression { key, operator, values });
        }
    }
    f.finish(ctx, &[])?;
    LabelSelector::from_match(&match_labels, &expressions).map_err(|e| {
        // The message names the failing part; point at it by trying each part alone, in the
        // order `from_match` checks them.
        let labels_node = node.get("matchLabels");
        let bad_label = match_labels
            .iter()
            .find(|&(k, v)| LabelSelector::from_match(&Labels::from([(k.clone(), v.clone())]), &[]).is_err());
        let bad_expression = expressions
            .iter()
            .zip(&expression_pos)
            .find(|(expr, _)| LabelSelector::from_match(&Labels::new(), std::slice::from_ref(*expr)).is_err());
        let pos = match (bad_label, labels_node, bad_expression) {
            (Some((k, _)), Some(l), _) => key_pos(l, k),
            (None, _, Some((_, pos))) => *pos,
            _ => node.pos,
        };
        ctx.error(pos, path, e.to_string())
    })
}
