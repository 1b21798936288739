//! Nodes: from `kind: Node` manifests and from the scenario's `cluster.nodes` / `nodePools`,
//! which share the per-node fields (capacity, allocatable, labels, taints, unschedulable).

use crate::api::meta::{Labels, ObjectMeta};
use crate::api::node::{ContainerImage, Node, NodeConditions};
use crate::api::quantity::{Format, Quantity};
use crate::api::resources::{ResourceList, ResourceName, Resources};
use crate::api::taint::{Taint, TaintEffect};
use crate::decode::{Ctx, DResult, Fields};
use crate::kernel::SimTime;
use crate::yaml::{Node as YamlNode, Pos};

/// The per-node fields shared by explicit nodes and node pools.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeFields {
    pub capacity: ResourceList,
    pub allocatable: ResourceList,
    pub labels: Labels,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub images: Vec<ContainerImage>,
}

/// Reads capacity, allocatable (either may be omitted: each defaults to the other), labels,
/// taints, unschedulable and images from a scenario node or node pool entry.
pub fn decode_node_fields(ctx: &mut Ctx<'_>, f: &mut Fields<'_>, at: Pos) -> DResult<NodeFields> {
    let mut out = decode_node_resources(ctx, f, at)?;
    if let Some(n) = f.get("labels") {
        out.labels = ctx.string_map(n, &f.child("labels"))?;
        super::validate_labels(ctx, &out.labels, n, &f.child("labels"))?;
    }
    if let Some(n) = f.get("taints") {
        out.taints = decode_taints(ctx, n, &f.child("taints"))?;
    }
    if let Some(n) = f.get("unschedulable") {
        out.unschedulable = ctx.bool(n, &f.child("unschedulable"))?;
    }
    Ok(out)
}

/// Capacity, allocatable and images (the `status` part of a node).
fn decode_node_resources(ctx: &mut Ctx<'_>, f: &mut Fields<'_>, at: Pos) -> DResult<NodeFields> {
    let mut out = NodeFields::default();
    let capacity = match f.get("capacity") {
        Some(n) => Some(super::pod::decode_resource_list(ctx, n, &f.child("capacity"))?),
        None => None,
    };
    let allocatable = match f.get("allocatable") {
        Some(n) => Some(super::pod::decode_resource_list(ctx, n, &f.child("allocatable"))?),
        None => None,
    };
    match (capacity, allocatable) {
        (None, None) => {
            if let Some(e) = f.misspelled(ctx, "allocatable").or_else(|| f.misspelled(ctx, "capacity")) {
                return Err(e);
            }
            return Err(ctx.error_hint(
                at,
                f.path(),
                "a node needs allocatable (or capacity) resources",
                "e.g. allocatable: {cpu: \"4\", memory: 16Gi, pods: \"110\"}",
            ));
        }
        (Some(c), None) => {
            out.allocatable = c.clone();
            out.capacity = c;
        }
        (None, Some(a)) => {
            out.capacity = a.clone();
            out.allocatable = a;
        }
        (Some(c), Some(a)) => {
            for (name, q) in &a {
                if let Some(cap) = c.get(name)
                    && q > cap
                {
                    return Err(ctx.error(at, f.path(), format!("allocatable {name} ({q}) exceeds capacity ({cap})")));
                }
            }
            out.capacity = c;
            out.allocatable = a;
        }
    }
    if !out.allocatable.contains_key(&ResourceName::Pods) {
        // Kubelet default --max-pods.
        let max_pods = Quantity::new(110, Format::DecimalSI);
        out.allocatable.insert(ResourceName::Pods, max_pods.clone());
        out.capacity.get_or_insert_with(ResourceName::Pods, || max_pods);
    }
    if let Some(n) = f.get("images") {
        let ipath = f.child("images");
        for (i, img) in ctx.seq(n, &ipath)?.iter().enumerate() {
            let p = format!("{ipath}[{i}]");
            let mut imf = ctx.fields(img, &p)?;
            let mut names = Vec::new();
            for name in ctx.seq(imf.require(ctx, "names", img.pos)?, &format!("{p}.names"))? {
                names.push(ctx.string(name, &format!("{p}.names"))?);
            }
            let size_bytes =
                ctx.int_in(imf.require(ctx, "sizeBytes", img.pos)?, &format!("{p}.sizeBytes"), 0, i64::MAX)?;
            imf.finish(ctx, &[])?;
            out.images.push(ContainerImage { names, size_bytes });
        }
    }
    Ok(out)
}

pub(crate) fn decode_taints(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<Vec<Taint>> {
    let mut taints: Vec<Taint> = Vec::new();
    // (key, effect) pairs seen: taints are unique by both (`Taint.MatchTaint`).
    let mut seen = std::collections::BTreeSet::new();
    for (i, t) in ctx.seq(node, path)?.iter().enumerate() {
        let tp = format!("{path}[{i}]");
        let mut tf = ctx.fields(t, &tp)?;
        let key_node = tf.require(ctx, "key", t.pos)?;
        let key = ctx.string(key_node, &format!("{tp}.key"))?;
        crate::api::validation::is_qualified_name(&key)
            .map_err(|e| ctx.error(key_node.pos, &format!("{tp}.key"), e))?;
        let value = match tf.get("value") {
            Some(v) => ctx.string(v, &format!("{tp}.value"))?,
            None => String::new(),
        };
        crate::api::validation::is_valid_label_value(&value)
            .map_err(|e| ctx.error(t.pos, &format!("{tp}.value"), e))?;
        let effect_node = tf.require(ctx, "effect", t.pos)?;
        let effect_text = ctx.string(effect_node, &format!("{tp}.effect"))?;
        let effect =
            TaintEffect::parse(&effect_text).map_err(|e| ctx.error(effect_node.pos, &format!("{tp}.effect"), e))?;
        tf.finish(ctx, &["timeAdded"])?;
        let taint = Taint { key, value, effect, time_added: None };
        if !seen.insert((taint.key.clone(), taint.effect)) {
            return Err(ctx.error(
                t.pos,
                &tp,
                format!("duplicate taint {taint}: taints must be unique by key and effect"),
            ));
        }
        taints.push(taint);
    }
    Ok(taints)
}

/// Builds a Node object from its fields.
pub fn build_node(meta: ObjectMeta, mut fields: NodeFields) -> Node {
    // Kept for the whole run, one per node: no spare capacity (lists built by insertion have some).
    fields.capacity.shrink_to_fit();
    fields.allocatable.shrink_to_fit();
    let mut allocatable_resources = Resources::from_list(&fields.allocatable);
    // `kubesim.io/gpu-milli` follows `nvidia.com/gpu` (the GPU model of docs/scenario.md).
    allocatable_resources.derive_gpu_milli();
    Node {
        meta,
        unschedulable: fields.unschedulable,
        taints: fields.taints,
        capacity: fields.capacity,
        allocatable: fields.allocatable,
        conditions: NodeConditions::healthy(SimTime::ZERO),
        images: fields.images,
        allocatable_resources,
    }
}

/// A `kind: Node` manifest: `spec.taints`, `spec.unschedulable`, `status.capacity`,
/// `status.allocatable`, `status.images`.
pub(super) fn decode_node(
    ctx: &mut Ctx<'_>,
    mut meta: ObjectMeta,
    spec: Option<&YamlNode>,
    status: Option<&YamlNode>,
    at: Pos,
) -> DResult<Node> {
    let mut fields = NodeFields::default();
    if let Some(spec) = spec {
        let mut f = ctx.fields(spec, "spec")?;
        if let Some(n) = f.get("taints") {
            fields.taints = decode_taints(ctx, n, "spec.taints")?;
        }
        if let Some(n) = f.get("unschedulable") {
            fields.unschedulable = ctx.bool(n, "spec.unschedulable")?;
        }
        f.finish(ctx, &["podCIDR", "podCIDRs", "providerID", "configSource", "externalID"])?;
    }
    let Some(status) = status else {
        return Err(ctx.error_hint(
            at,
            "status",
            "a Node manifest needs status.allocatable (or status.capacity)",
            "e.g. status: {allocatable: {cpu: \"4\", memory: 16Gi}}",
        ));
    };
    let mut f = ctx.fields(status, "status")?;
    let resources = decode_node_resources(ctx, &mut f, status.pos)?;
    f.finish(
        ctx,
        &[
            "addresses",
            "conditions",
            "daemonEndpoints",
            "nodeInfo",
            "phase",
            "volumesAttached",
            "volumesInUse",
            "config",
            "runtimeHandlers",
            "features",
        ],
    )?;
    fields.capacity = resources.capacity;
    fields.allocatable = resources.allocatable;
    fields.images = resources.images;
    meta.labels.entry_or_insert_with(crate::api::node::labels::HOSTNAME.to_string(), || meta.name.clone());
    Ok(build_node(meta, fields))
}
