//! PersistentVolumeClaims, PersistentVolumes (`v1`) and StorageClasses (`storage.k8s.io/v1`),
//! with the API server's defaulting (`SetDefaults_PersistentVolume`, `_PersistentVolumeClaim`,
//! `_StorageClass`) and validation (`ValidatePersistentVolumeClaimSpec`,
//! `ValidatePersistentVolumeSpec`, `ValidateStorageClass`).

use crate::api::meta::ObjectMeta;
use crate::api::quantity::Quantity;
use crate::api::storage::{
    AccessMode, ClaimPhase, ClaimRef, ClaimSpec, PersistentVolume, PersistentVolumeClaim, ReclaimPolicy, StorageClass,
    TopologyRequirement, VolumeBindingMode, VolumeMode, VolumePhase,
};
use crate::api::validation;
use crate::decode::{Ctx, DResult, Fields};
use crate::yaml::{Node as YamlNode, Pos};

use super::statefulset::one_of;

/// The volume sources a PersistentVolume may name (`PersistentVolumeSource`); their contents are
/// not simulated.
const VOLUME_SOURCES: &[&str] = &[
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "csi",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "glusterfs",
    "hostPath",
    "iscsi",
    "local",
    "nfs",
    "photonPersistentDisk",
    "portworxVolume",
    "quobyte",
    "rbd",
    "scaleIO",
    "storageos",
    "vsphereVolume",
];

const ACCESS_MODE_NAMES: [&str; 4] = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

/// `accessModes`: known modes, ReadWriteOncePod alone; `required` (claims) wants at least one.
fn decode_access_modes(
    ctx: &Ctx<'_>,
    f: &mut Fields<'_>,
    at: Pos,
    path: &str,
    required: &str,
) -> DResult<Vec<AccessMode>> {
    let mpath = format!("{path}.accessModes");
    let mut modes = Vec::new();
    let node = f.get("accessModes");
    if let Some(list) = node {
        for (j, m) in ctx.seq(list, &mpath)?.iter().enumerate() {
            let name = one_of(ctx, m, &format!("{mpath}[{j}]"), &ACCESS_MODE_NAMES)?;
            modes.push(AccessMode::parse(name).expect("listed"));
        }
    }
    let pos = node.map_or(at, |n| n.pos);
    if modes.is_empty() {
        return Err(ctx.error(pos, &mpath, format!("Required value{required}")));
    }
    if modes.contains(&AccessMode::ReadWriteOncePod) && modes.iter().any(|m| *m != AccessMode::ReadWriteOncePod) {
        return Err(ctx.error(pos, &mpath, "Forbidden: may not use ReadWriteOncePod with other access modes"));
    }
    Ok(modes)
}

/// A storage quantity that must be greater than zero (`ValidatePositiveQuantityValue`).
fn positive_storage(ctx: &Ctx<'_>, node: &YamlNode, path: &str) -> DResult<Quantity> {
    let q = ctx.quantity(node, path)?;
    if q.sign() <= 0 {
        return Err(ctx.error(
            node.pos,
            path,
            format!("Invalid value: {:?}: must be greater than zero", q.to_string()),
        ));
    }
    Ok(q)
}

/// `storageClassName`: a DNS subdomain (`ValidateClassName`), or empty.
fn class_name(ctx: &Ctx<'_>, node: &YamlNode, path: &str) -> DResult<String> {
    let name = ctx.string(node, path)?;
    if !name.is_empty() {
        validation::is_dns1123_subdomain(&name)
            .map_err(|e| ctx.error(node.pos, path, format!("Invalid value: {name:?}: {e}")))?;
    }
    Ok(name)
}

fn volume_mode(ctx: &Ctx<'_>, f: &mut Fields<'_>, path: &str) -> DResult<VolumeMode> {
    Ok(match f.get("volumeMode") {
        Some(n) => match one_of(ctx, n, &format!("{path}.volumeMode"), &["Block", "Filesystem"])? {
            "Block" => VolumeMode::Block,
            _ => VolumeMode::Filesystem,
        },
        None => VolumeMode::Filesystem,
    })
}

/// A `PersistentVolumeClaimSpec` at `path` (a claim's `spec`, or a volume claim template's).
pub(super) fn decode_claim_spec(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<ClaimSpec> {
    let mut f = ctx.fields(node, path)?;
    let access_modes = decode_access_modes(ctx, &mut f, node.pos, path, ": at least 1 access mode is required")?;
    let storage_path = format!("{path}.resources[storage]");
    let mut storage = None;
    if let Some(r) = f.get("resources") {
        let rpath = format!("{path}.resources");
        let mut rf = ctx.fields(r, &rpath)?;
        if let Some(req) = rf.get("requests") {
            let mut qf = ctx.fields(req, &format!("{rpath}.requests"))?;
            if let Some(s) = qf.get("storage") {
                storage = Some(positive_storage(ctx, s, &storage_path)?);
            }
            qf.finish(ctx, &[])?;
        }
        rf.finish(ctx, &["limits"])?;
    }
    let Some(storage) = storage else {
        return Err(ctx.error_hint(
            f.get("resources").map_or(node.pos, |n| n.pos),
            &storage_path,
            "Required value",
            "write resources: {requests: {storage: 10Gi}}",
        ));
    };
    let storage_class_name = match f.get("storageClassName") {
        Some(n) if !n.is_null() => Some(class_name(ctx, n, &format!("{path}.storageClassName"))?),
        _ => None,
    };
    let volume_name = match f.get("volumeName") {
        Some(n) => ctx.string(n, &format!("{path}.volumeName"))?,
        None => String::new(),
    };
    let volume_mode = volume_mode(ctx, &mut f, path)?;
    let selector = match f.get("selector") {
        Some(n) if !n.is_null() => Some(super::decode_label_selector(ctx, n, &format!("{path}.selector"))?),
        _ => None,
    };
    f.finish(ctx, &["dataSource", "dataSourceRef", "volumeAttributesClassName"])?;
    Ok(ClaimSpec { access_modes, storage, storage_class_name, volume_name, volume_mode, selector })
}

pub(super) fn decode_claim(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    spec: Option<&YamlNode>,
    at: Pos,
) -> DResult<PersistentVolumeClaim> {
    let Some(spec_node) = spec else {
        return Err(ctx.error(at, "spec", "missing required field \"spec\""));
    };
    let spec = decode_claim_spec(ctx, spec_node, "spec")?;
    Ok(PersistentVolumeClaim {
        meta,
        spec,
        phase: ClaimPhase::Pending,
        capacity: None,
        origin: None,
        owned_by_pod: false,
        deleting: false,
    })
}

pub(super) fn decode_volume(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    spec: Option<&YamlNode>,
    at: Pos,
) -> DResult<PersistentVolume> {
    let Some(spec_node) = spec else {
        return Err(ctx.error(at, "spec", "missing required field \"spec\""));
    };
    let mut f = ctx.fields(spec_node, "spec")?;
    let capacity = match f.get("capacity") {
        None => return Err(ctx.error(spec_node.pos, "spec.capacity", "Required value")),
        Some(c) => {
            let mut cf = ctx.fields(c, "spec.capacity")?;
            let storage = cf.get("storage");
            if let crate::yaml::Value::Map(entries) = &c.value
                && let Some((other, _)) = entries.iter().find(|(k, _)| k.text != "storage")
            {
                return Err(ctx.error(
                    other.pos,
                    "spec.capacity",
                    format!("Unsupported value: {:?}: supported values: \"storage\"", other.text),
                ));
            }
            cf.finish(ctx, &[])?;
            let Some(s) = storage else {
                return Err(ctx.error(c.pos, "spec.capacity", "Unsupported value: {}: supported values: \"storage\""));
            };
            positive_storage(ctx, s, "spec.capacity[storage]")?
        }
    };
    let access_modes = decode_access_modes(ctx, &mut f, spec_node.pos, "spec", "")?;
    let storage_class_name = match f.get("storageClassName") {
        Some(n) if !n.is_null() => class_name(ctx, n, "spec.storageClassName")?,
        _ => String::new(),
    };
    let node_affinity = match f.get("nodeAffinity") {
        Some(n) => {
            let mut af = ctx.fields(n, "spec.nodeAffinity")?;
            let Some(req) = af.get("required") else {
                return Err(ctx.error(
                    n.pos,
                    "spec.nodeAffinity.required",
                    "Required value: must specify required node constraints",
                ));
            };
            let selector = super::pod::decode_node_selector(ctx, req, "spec.nodeAffinity.required")?;
            af.finish(ctx, &[])?;
            Some(selector)
        }
        None => None,
    };
    let reclaim_policy = match f.get("persistentVolumeReclaimPolicy") {
        Some(n) => {
            let path = "spec.persistentVolumeReclaimPolicy";
            if ctx.string(n, path)? == "Recycle" {
                return Err(ctx.error_hint(
                    n.pos,
                    path,
                    "the Recycle reclaim policy is deprecated and not simulated",
                    "use Retain or Delete",
                ));
            }
            match one_of(ctx, n, path, &["Delete", "Retain"])? {
                "Delete" => ReclaimPolicy::Delete,
                _ => ReclaimPolicy::Retain,
            }
        }
        None => ReclaimPolicy::Retain,
    };
    let volume_mode = volume_mode(ctx, &mut f, "spec")?;
    let claim_ref = match f.get("claimRef") {
        Some(n) if !n.is_null() => {
            let mut cf = ctx.fields(n, "spec.claimRef")?;
            let mut part = |key: &'static str| -> DResult<String> {
                let v = match cf.get(key) {
                    Some(v) => ctx.string(v, &format!("spec.claimRef.{key}"))?,
                    None => String::new(),
                };
                if v.is_empty() {
                    return Err(ctx.error(n.pos, &format!("spec.claimRef.{key}"), "Required value"));
                }
                Ok(v)
            };
            let namespace = part("namespace")?;
            let name = part("name")?;
            cf.finish(ctx, &["kind", "apiVersion", "uid", "resourceVersion", "fieldPath"])?;
            Some(ClaimRef { namespace, name, uid: None })
        }
        _ => None,
    };
    // Exactly one volume source (`must specify a volume type`); a local volume needs node
    // affinity.
    let sources: Vec<(&str, &YamlNode)> = VOLUME_SOURCES.iter().filter_map(|&k| f.get(k).map(|n| (k, n))).collect();
    match sources.as_slice() {
        [] => {
            return Err(ctx.error_hint(
                spec_node.pos,
                "spec",
                "Required value: must specify a volume type",
                "a volume names its storage, e.g. csi: {driver: ..., volumeHandle: ...}, local: {path: ...} or hostPath: {path: ...}",
            ));
        }
        [(name, node)] => {
            if *name == "local" && node_affinity.is_none() {
                return Err(ctx.error(
                    node.pos,
                    "spec.nodeAffinity",
                    "Required value: Local volume requires node affinity",
                ));
            }
            ctx.note_unmodelled(&format!("spec.{name} (the volume source of a PersistentVolume)"));
        }
        [_, (name, node), ..] => {
            return Err(ctx.error(
                node.pos,
                &format!("spec.{name}"),
                "Forbidden: may not specify more than 1 volume type",
            ));
        }
    }
    f.finish(ctx, &["mountOptions", "volumeAttributesClassName"])?;
    Ok(PersistentVolume {
        meta,
        capacity,
        access_modes,
        storage_class_name,
        node_affinity,
        reclaim_policy,
        volume_mode,
        claim_ref,
        phase: VolumePhase::Available,
        deleting: false,
    })
}

/// A StorageClass: top-level `provisioner` (required), `reclaimPolicy` (default Delete),
/// `volumeBindingMode` (default Immediate), `allowedTopologies`, and `parameters`,
/// `mountOptions`, `allowVolumeExpansion` (accepted, not simulated).
pub(super) fn decode_storage_class(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    top: &mut Fields<'_>,
    at: Pos,
) -> DResult<StorageClass> {
    let provisioner = match top.get("provisioner") {
        Some(n) => ctx.string(n, "provisioner")?,
        None => String::new(),
    };
    let pos = top.get("provisioner").map_or(at, |n| n.pos);
    if provisioner.is_empty() {
        return Err(ctx.error_hint(
            pos,
            "provisioner",
            "Required value",
            "name the provisioner, e.g. ebs.csi.aws.com, or kubernetes.io/no-provisioner for volumes made by hand",
        ));
    }
    validation::is_qualified_name(&provisioner.to_ascii_lowercase())
        .map_err(|e| ctx.error(pos, "provisioner", format!("Invalid value: {provisioner:?}: {e}")))?;
    if let Some(p) = top.get("parameters") {
        ctx.string_map(p, "parameters")?;
        ctx.note_unmodelled("parameters (of a StorageClass: passed to its provisioner)");
    }
    let reclaim_policy = match top.get("reclaimPolicy") {
        Some(n) => match one_of(ctx, n, "reclaimPolicy", &["Delete", "Retain"])? {
            "Retain" => ReclaimPolicy::Retain,
            _ => ReclaimPolicy::Delete,
        },
        None => ReclaimPolicy::Delete,
    };
    let volume_binding_mode = match top.get("volumeBindingMode") {
        Some(n) => match one_of(ctx, n, "volumeBindingMode", &["Immediate", "WaitForFirstConsumer"])? {
            "WaitForFirstConsumer" => VolumeBindingMode::WaitForFirstConsumer,
            _ => VolumeBindingMode::Immediate,
        },
        None => VolumeBindingMode::Immediate,
    };
    let mut allowed_topologies: Vec<Vec<TopologyRequirement>> = Vec::new();
    if let Some(list) = top.get("allowedTopologies") {
        for (i, term) in ctx.seq(list, "allowedTopologies")?.iter().enumerate() {
            let tpath = format!("allowedTopologies[{i}]");
            let mut tf = ctx.fields(term, &tpath)?;
            let mut requirements: Vec<TopologyRequirement> = Vec::new();
            if let Some(exprs) = tf.get("matchLabelExpressions") {
                for (j, e) in ctx.seq(exprs, &format!("{tpath}.matchLabelExpressions"))?.iter().enumerate() {
                    let epath = format!("{tpath}.matchLabelExpressions[{j}]");
                    let mut ef = ctx.fields(e, &epath)?;
                    let key_node = ef.require(ctx, "key", e.pos)?;
                    let key = ctx.string(key_node, &format!("{epath}.key"))?;
                    validation::is_qualified_name(&key).map_err(|m| {
                        ctx.error(key_node.pos, &format!("{epath}.key"), format!("Invalid value: {key:?}: {m}"))
                    })?;
                    if requirements.iter().any(|r| r.key == key) {
                        return Err(ctx.error(
                            key_node.pos,
                            &format!("{epath}.key"),
                            format!("Duplicate value: {key:?}"),
                        ));
                    }
                    let mut values: Vec<String> = Vec::new();
                    if let Some(vs) = ef.get("values") {
                        for (k, v) in ctx.seq(vs, &format!("{epath}.values"))?.iter().enumerate() {
                            let vpath = format!("{epath}.values[{k}]");
                            let value = ctx.string(v, &vpath)?;
                            validation::is_valid_label_value(&value)
                                .map_err(|m| ctx.error(v.pos, &vpath, format!("Invalid value: {value:?}: {m}")))?;
                            if values.contains(&value) {
                                return Err(ctx.error(v.pos, &vpath, format!("Duplicate value: {value:?}")));
                            }
                            values.push(value);
                        }
                    }
                    if values.is_empty() {
                        return Err(ctx.error(
                            e.pos,
                            &format!("{epath}.values"),
                            "Required value: must specify as least one value",
                        ));
                    }
                    ef.finish(ctx, &[])?;
                    requirements.push(TopologyRequirement { key, values });
                }
            }
            tf.finish(ctx, &[])?;
            let same = |a: &Vec<TopologyRequirement>| {
                a.len() == requirements.len()
                    && a.iter().all(|r| {
                        requirements.iter().any(|s| {
                            s.key == r.key
                                && s.values.len() == r.values.len()
                                && s.values.iter().all(|v| r.values.contains(v))
                        })
                    })
            };
            if allowed_topologies.iter().any(same) {
                return Err(ctx.error(term.pos, &format!("{tpath}.matchLabelExpressions"), "Duplicate value: \"\""));
            }
            allowed_topologies.push(requirements);
        }
    }
    for key in ["mountOptions", "allowVolumeExpansion"] {
        if top.get(key).is_some() {
            ctx.note_unmodelled(&format!("{key} (of a StorageClass)"));
        }
    }
    Ok(StorageClass { meta, provisioner, reclaim_policy, volume_binding_mode, allowed_topologies })
}
