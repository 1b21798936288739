//! Pods, pod templates, containers and the `sim.kubesim.io/*` behaviour annotations.

use std::sync::Arc;

use crate::api::meta::{Labels, ObjectMeta};
use crate::api::node_selector::{
    NodeSelector, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, PreferredSchedulingTerm,
};
use crate::api::pod::{
    Affinity, Container, ContainerPort, NodeAffinity, Pod, PodSpec, PodStatus, PodTemplateSpec, Probe, RestartPolicy,
    SimBehavior, annotations,
};
use crate::api::quantity::Format;
use crate::api::resources::{ResourceList, ResourceName};
use crate::api::taint::{TaintEffect, Toleration, TolerationOperator};
use crate::decode::{Ctx, DResult};
use crate::kernel::dist::DurationDist;
use crate::yaml::{Node as YamlNode, Pos};

/// Fields of `PodSpec` that Kubernetes defines and the simulator does not model.
const POD_SPEC_IGNORED: &[&str] = &[
    "activeDeadlineSeconds",
    "automountServiceAccountToken",
    "dnsConfig",
    "dnsPolicy",
    "enableServiceLinks",
    "ephemeralContainers",
    "hostAliases",
    "hostIPC",
    "hostNetwork",
    "hostPID",
    "hostUsers",
    "hostname",
    "hostnameOverride",
    "imagePullSecrets",
    "os",
    "preemptionPolicy",
    "readinessGates",
    "resourceClaims",
    "resources",
    "runtimeClassName",
    "securityContext",
    "serviceAccount",
    "serviceAccountName",
    "setHostnameAsFQDN",
    "shareProcessNamespace",
    "subdomain",
    "topologySpreadConstraints",
    "volumes",
];

const CONTAINER_IGNORED: &[&str] = &[
    "args",
    "command",
    "env",
    "envFrom",
    "imagePullPolicy",
    "lifecycle",
    "resizePolicy",
    "restartPolicyRules",
    "securityContext",
    "startupProbe",
    "stdin",
    "stdinOnce",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "tty",
    "volumeDevices",
    "volumeMounts",
    "workingDir",
];

const PROBE_HANDLERS: &[&str] = &["exec", "httpGet", "tcpSocket", "grpc", "terminationGracePeriodSeconds"];

/// Priority of the two built-in PriorityClasses (`pkg/apis/scheduling/types.go`).
const SYSTEM_PRIORITY_CLASSES: [(&str, i32); 2] =
    [("system-cluster-critical", 2_000_000_000), ("system-node-critical", 2_000_001_000)];

/// A bare Pod; `annotations` is the `metadata.annotations` mapping, to locate errors in it.
pub(super) fn decode_pod(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    annotations: Option<&YamlNode>,
    spec: Option<&YamlNode>,
    at: Pos,
) -> DResult<Pod> {
    let Some(spec_node) = spec else {
        return Err(ctx.error(at, "spec", "missing required field \"spec\""));
    };
    let sim = sim_annotations(ctx, &meta.annotations, annotations, at, "metadata.annotations")?;
    let spec = decode_pod_spec(ctx, spec_node, "spec")?;
    Ok(Pod { meta, spec: Arc::new(spec), sim: Arc::new(sim), status: PodStatus::default() })
}

/// A `template:` of a workload: labels, annotations and a pod spec.
pub fn decode_pod_template(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<PodTemplateSpec> {
    let mut f = ctx.fields(node, path)?;
    let mut labels = Labels::new();
    let mut annotations_map = Labels::new();
    let mut annotations_node = None;
    if let Some(meta) = f.get("metadata") {
        let mpath = format!("{path}.metadata");
        let mut m = ctx.fields(meta, &mpath)?;
        if let Some(l) = m.get("labels") {
            labels = ctx.string_map(l, &format!("{mpath}.labels"))?;
            super::validate_labels(ctx, &labels, l, &format!("{mpath}.labels"))?;
        }
        if let Some(a) = m.get("annotations") {
            annotations_map = ctx.string_map(a, &format!("{mpath}.annotations"))?;
            annotations_node = Some(a);
        }
        m.finish(ctx, &["name", "namespace", "generateName", "creationTimestamp", "finalizers"])?;
    }
    let spec_node = f.require(ctx, "spec", node.pos)?;
    let spec = decode_pod_spec(ctx, spec_node, &format!("{path}.spec"))?;
    let apath = format!("{path}.metadata.annotations");
    let sim = sim_annotations(ctx, &annotations_map, annotations_node, node.pos, &apath)?;
    f.finish(ctx, &[])?;
    Ok(PodTemplateSpec { labels, annotations: annotations_map, spec: Arc::new(spec), sim: Arc::new(sim) })
}

/// Reads the `sim.kubesim.io/*` annotations; other annotations are left alone, but a
/// misspelled `sim.kubesim.io/` key is an error.
pub fn parse_sim_annotations(ctx: &Ctx<'_>, annotations_map: &Labels, at: Pos, path: &str) -> DResult<SimBehavior> {
    sim_annotations(ctx, annotations_map, None, at, path)
}

/// [`parse_sim_annotations`], pointing errors at the key or value in `node` (the annotations
/// mapping as written) when it is given, else at `at`.
fn sim_annotations(
    ctx: &Ctx<'_>,
    annotations_map: &Labels,
    node: Option<&YamlNode>,
    at: Pos,
    path: &str,
) -> DResult<SimBehavior> {
    let mut sim = SimBehavior::default();
    for (key, value) in annotations_map {
        if !key.starts_with("sim.kubesim.io/") || key == super::GENERATE_NAME {
            continue;
        }
        let value_at = node.and_then(|n| n.get(key)).map_or(at, |v| v.pos);
        let key_at = node.map_or(at, |n| super::key_pos(n, key));
        let dist = |v: &str| DurationDist::parse(v).map_err(|e| ctx.error(value_at, &format!("{path}.{key}"), e));
        match key.as_str() {
            annotations::STARTUP => sim.startup = Some(dist(value)?),
            annotations::DURATION => sim.duration = Some(dist(value)?),
            annotations::SHUTDOWN => sim.shutdown = Some(dist(value)?),
            annotations::EXIT_CODE => {
                sim.exit_code = value.parse::<i32>().ok().filter(|c| (0..=255).contains(c)).ok_or_else(|| {
                    ctx.error(
                        value_at,
                        &format!("{path}.{key}"),
                        format!("exit code must be an integer in 0..=255, got {value:?}"),
                    )
                })?;
            }
            _ => {
                return Err(ctx.error_hint(
                    key_at,
                    path,
                    format!(
                        "unknown simulator annotation {key:?}{}",
                        crate::suggest::did_you_mean(key, annotations::ALL)
                    ),
                    format!("known: {}", annotations::ALL.join(", ")),
                ));
            }
        }
    }
    Ok(sim)
}

fn decode_pod_spec(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<PodSpec> {
    let mut f = ctx.fields(node, path)?;
    let mut spec = PodSpec {
        scheduler_name: "default-scheduler".to_string(),
        termination_grace_period_seconds: 30,
        ..PodSpec::default()
    };
    let containers_node = f.require(ctx, "containers", node.pos)?;
    let containers_path = f.child("containers");
    for (i, c) in ctx.seq(containers_node, &containers_path)?.iter().enumerate() {
        spec.containers.push(decode_container(ctx, c, &format!("{containers_path}[{i}]"), false)?);
    }
    if spec.containers.is_empty() {
        return Err(ctx.error(containers_node.pos, &containers_path, "a pod needs at least one container"));
    }
    if let Some(list) = f.get("initContainers") {
        let ipath = f.child("initContainers");
        for (i, c) in ctx.seq(list, &ipath)?.iter().enumerate() {
            spec.init_containers.push(decode_container(ctx, c, &format!("{ipath}[{i}]"), true)?);
        }
    }
    let mut names = std::collections::BTreeSet::new();
    for c in spec.containers.iter().chain(&spec.init_containers) {
        if !names.insert(c.name.as_str()) {
            return Err(ctx.error(
                containers_node.pos,
                &containers_path,
                format!("duplicate container name {:?}", c.name),
            ));
        }
    }
    if let Some(n) = f.get("nodeName") {
        spec.node_name = ctx.string(n, &f.child("nodeName"))?;
    }
    if let Some(n) = f.get("nodeSelector") {
        spec.node_selector = ctx.string_map(n, &f.child("nodeSelector"))?;
        super::validate_labels(ctx, &spec.node_selector, n, &f.child("nodeSelector"))?;
    }
    if let Some(n) = f.get("affinity") {
        spec.affinity = decode_affinity(ctx, n, &f.child("affinity"))?;
    }
    if let Some(n) = f.get("tolerations") {
        let tpath = f.child("tolerations");
        for (i, t) in ctx.seq(n, &tpath)?.iter().enumerate() {
            spec.tolerations.push(decode_toleration(ctx, t, &format!("{tpath}[{i}]"))?);
        }
    }
    let explicit_priority = match f.get("priority") {
        Some(n) => Some(ctx.int32(n, &f.child("priority"))?),
        None => None,
    };
    if let Some(n) = f.get("priorityClassName") {
        let name = ctx.string(n, &f.child("priorityClassName"))?;
        let Some((_, value)) = SYSTEM_PRIORITY_CLASSES.iter().find(|(c, _)| *c == name) else {
            return Err(ctx.error_hint(
                n.pos,
                &f.child("priorityClassName"),
                format!("no PriorityClass named {name:?}"),
                "PriorityClass objects are not simulated yet; use spec.priority, or system-cluster-critical / system-node-critical",
            ));
        };
        spec.priority = *value;
        spec.priority_class_name = name;
        if explicit_priority.is_some_and(|p| p != *value) {
            return Err(ctx.error(n.pos, path, "spec.priority does not match the priority of spec.priorityClassName"));
        }
    } else if let Some(p) = explicit_priority {
        spec.priority = p;
    }
    if let Some(n) = f.get("schedulerName") {
        spec.scheduler_name = ctx.string(n, &f.child("schedulerName"))?;
    }
    if let Some(n) = f.get("restartPolicy") {
        let text = ctx.string(n, &f.child("restartPolicy"))?;
        spec.restart_policy = match text.as_str() {
            "Always" => RestartPolicy::Always,
            "OnFailure" => RestartPolicy::OnFailure,
            "Never" => RestartPolicy::Never,
            _ => {
                return Err(ctx.error(
                    n.pos,
                    &f.child("restartPolicy"),
                    format!(
                        "unsupported value {text:?}{}: supported values are Always, OnFailure, Never",
                        crate::suggest::did_you_mean(&text, ["Always", "OnFailure", "Never"])
                    ),
                ));
            }
        };
    }
    if let Some(n) = f.get("terminationGracePeriodSeconds") {
        spec.termination_grace_period_seconds =
            ctx.int_in(n, &f.child("terminationGracePeriodSeconds"), 0, i64::from(i32::MAX))?;
    }
    if let Some(n) = f.get("overhead") {
        spec.overhead = decode_resource_list(ctx, n, &f.child("overhead"))?;
    }
    if let Some(n) = f.get("schedulingGates") {
        let gpath = f.child("schedulingGates");
        for (i, g) in ctx.seq(n, &gpath)?.iter().enumerate() {
            let mut gf = ctx.fields(g, &format!("{gpath}[{i}]"))?;
            let name = ctx.string(gf.require(ctx, "name", g.pos)?, &format!("{gpath}[{i}].name"))?;
            gf.finish(ctx, &[])?;
            spec.scheduling_gates.push(name);
        }
    }
    f.finish(ctx, POD_SPEC_IGNORED)?;
    spec.finalize();
    Ok(spec)
}

fn decode_container(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str, init: bool) -> DResult<Container> {
    let mut f = ctx.fields(node, path)?;
    let mut c = Container::default();
    let name_node = f.require(ctx, "name", node.pos)?;
    c.name = ctx.string(name_node, &f.child("name"))?;
    crate::api::validation::is_dns1123_label(&c.name).map_err(|e| ctx.error(name_node.pos, &f.child("name"), e))?;
    if let Some(n) = f.get("image") {
        c.image = ctx.string(n, &f.child("image"))?;
    }
    if let Some(res) = f.get("resources") {
        let rpath = f.child("resources");
        let mut r = ctx.fields(res, &rpath)?;
        if let Some(n) = r.get("requests") {
            c.requests = decode_resource_list(ctx, n, &r.child("requests"))?;
        }
        if let Some(n) = r.get("limits") {
            c.limits = decode_resource_list(ctx, n, &r.child("limits"))?;
        }
        r.finish(ctx, &["claims"])?;
        // Defaulting: a resource with a limit but no request is requested at its limit.
        for (name, q) in &c.limits {
            c.requests.entry(name.clone()).or_insert_with(|| q.clone());
        }
        for (name, req) in &c.requests {
            // Point at the request as written (or at its limit when the request was defaulted).
            let written = |list: &str| res.get(list).and_then(|l| l.get(name.as_str())).map(|n| n.pos);
            let at = written("requests").or_else(|| written("limits")).unwrap_or(res.pos);
            if let Some(limit) = c.limits.get(name)
                && req > limit
            {
                return Err(ctx.error_hint(
                    at,
                    &format!("{rpath}.requests.{name}"),
                    format!("request {req} must be less than or equal to the limit {limit}"),
                    format!("lower requests.{name} or raise limits.{name}"),
                ));
            }
            if name.is_extended() || name.is_hugepages() {
                if c.limits.get(name) != Some(req) && name.is_extended() {
                    return Err(ctx.error_hint(
                        at,
                        &rpath,
                        format!("extended resource {name} must have a limit equal to its request"),
                        "extended resources cannot be overcommitted: set limits to the same value",
                    ));
                }
                if name.is_extended() && req.checked_milli_value().is_some_and(|m| m % 1000 != 0) {
                    return Err(ctx.error(
                        at,
                        &rpath,
                        format!("extended resource {name} must be a whole number, got {req}"),
                    ));
                }
            }
        }
    }
    if let Some(n) = f.get("ports") {
        let ppath = f.child("ports");
        for (i, p) in ctx.seq(n, &ppath)?.iter().enumerate() {
            let ip = format!("{ppath}[{i}]");
            let mut pf = ctx.fields(p, &ip)?;
            let container_port =
                ctx.int_in(pf.require(ctx, "containerPort", p.pos)?, &format!("{ip}.containerPort"), 1, 65535)? as i32;
            let host_port = match pf.get("hostPort") {
                Some(h) => ctx.int_in(h, &format!("{ip}.hostPort"), 0, 65535)? as i32,
                None => 0,
            };
            let host_ip = match pf.get("hostIP") {
                Some(h) => ctx.string(h, &format!("{ip}.hostIP"))?,
                None => String::new(),
            };
            let protocol = match pf.get("protocol") {
                Some(h) => ctx.string(h, &format!("{ip}.protocol"))?,
                None => "TCP".to_string(),
            };
            pf.finish(ctx, &["name"])?;
            c.ports.push(ContainerPort { container_port, host_port, host_ip, protocol });
        }
    }
    if let Some(n) = f.get("readinessProbe") {
        c.readiness_probe = Some(decode_probe(ctx, n, &f.child("readinessProbe"))?);
    }
    if let Some(n) = f.get("livenessProbe") {
        c.liveness_probe = Some(decode_probe(ctx, n, &f.child("livenessProbe"))?);
    }
    if let Some(n) = f.get("restartPolicy") {
        let text = ctx.string(n, &f.child("restartPolicy"))?;
        if !init || text != "Always" {
            return Err(ctx.error(
                n.pos,
                &f.child("restartPolicy"),
                "a container-level restartPolicy is only allowed as 'Always' on init containers (sidecars)",
            ));
        }
        c.restart_policy_always = true;
    }
    f.finish(ctx, CONTAINER_IGNORED)?;
    Ok(c)
}

fn decode_probe(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<Probe> {
    let mut f = ctx.fields(node, path)?;
    let mut p = Probe::default();
    let read = |f: &mut crate::decode::Fields<'_>, key: &'static str, min: i64, out: &mut i32| -> DResult<()> {
        if let Some(n) = f.get(key) {
            *out = ctx.int_in(n, &f.child(key), min, i64::from(i32::MAX))? as i32;
        }
        Ok(())
    };
    read(&mut f, "initialDelaySeconds", 0, &mut p.initial_delay_seconds)?;
    read(&mut f, "periodSeconds", 1, &mut p.period_seconds)?;
    read(&mut f, "timeoutSeconds", 1, &mut p.timeout_seconds)?;
    read(&mut f, "successThreshold", 1, &mut p.success_threshold)?;
    read(&mut f, "failureThreshold", 1, &mut p.failure_threshold)?;
    f.finish(ctx, PROBE_HANDLERS)?;
    Ok(p)
}

/// A `ResourceList`: validated names, non-negative quantities.
pub(super) fn decode_resource_list(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<ResourceList> {
    let mut list = ResourceList::new();
    let crate::yaml::Value::Map(entries) = &node.value else {
        if node.is_null() {
            return Ok(list);
        }
        return Err(ctx.error(
            node.pos,
            path,
            format!("expected a mapping of resource names to quantities, found {}", node.describe()),
        ));
    };
    for (k, v) in entries {
        let name = ResourceName::parse(&k.text).map_err(|e| ctx.error(k.pos, path, e))?;
        let q = ctx.quantity(v, &format!("{path}.{}", k.text))?;
        // Go reads the exponent of `1e<exponent>` into an int32 that silently wraps
        // (`1e4294967296` is 1); we refuse such exponents.
        if let Some((_, exponent)) = v.as_str().unwrap_or_default().rsplit_once(['e', 'E'])
            && let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent)
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && exponent.parse::<i32>().is_err()
        {
            return Err(ctx.error_hint(
                v.pos,
                &format!("{path}.{}", k.text),
                format!("quantity {:?}: exponent {} is out of range", excerpt(v.as_str()), excerpt(Some(exponent))),
                "Kubernetes would silently wrap it; write the quantity with a suffix such as 500m, 2Gi or 1e3",
            ));
        }
        if q.sign() < 0 {
            return Err(ctx.error(
                v.pos,
                &format!("{path}.{}", k.text),
                format!("must be greater than or equal to 0, got {q}"),
            ));
        }
        // Quantities beyond int64 after scaling would overflow the scheduler's arithmetic
        // silently in Kubernetes; we refuse them. So are binary quantities that parsing capped
        // at 2^63-1 (`99999999999999999999Ei`): Kubernetes silently stores the cap.
        let fits = match name {
            ResourceName::Cpu => q.checked_milli_value().is_some(),
            _ => q.checked_value().is_some_and(|v| v < i64::MAX || q.format() != Format::BinarySI),
        };
        if !fits {
            return Err(ctx.error_hint(
                v.pos,
                &format!("{path}.{}", k.text),
                format!("quantity {:?} is too large", excerpt(v.as_str())),
                "the largest quantity is 9223372036854775807 (just under 8Ei), or 9223372036854775807m for cpu",
            ));
        }
        list.insert(name, q);
    }
    Ok(list)
}

/// Quantity text for a message, shortened: a hostile one may be megabytes long.
fn excerpt(text: Option<&str>) -> String {
    let text = text.unwrap_or_default();
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

fn decode_toleration(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<Toleration> {
    let mut f = ctx.fields(node, path)?;
    let mut t = Toleration::default();
    if let Some(n) = f.get("key") {
        t.key = ctx.string(n, &f.child("key"))?;
        if !t.key.is_empty() {
            crate::api::validation::is_qualified_name(&t.key).map_err(|e| ctx.error(n.pos, &f.child("key"), e))?;
        }
    }
    if let Some(n) = f.get("operator") {
        let text = ctx.string(n, &f.child("operator"))?;
        t.operator = match text.as_str() {
            "" | "Equal" => TolerationOperator::Equal,
            "Exists" => TolerationOperator::Exists,
            _ => {
                return Err(ctx.error(
                    n.pos,
                    &f.child("operator"),
                    format!(
                        "unsupported operator {text:?}{}: use Equal or Exists",
                        crate::suggest::did_you_mean(&text, ["Equal", "Exists"])
                    ),
                ));
            }
        };
    }
    if let Some(n) = f.get("value") {
        t.value = ctx.string(n, &f.child("value"))?;
    }
    if let Some(n) = f.get("effect") {
        let text = ctx.string(n, &f.child("effect"))?;
        if !text.is_empty() {
            t.effect = Some(TaintEffect::parse(&text).map_err(|e| ctx.error(n.pos, &f.child("effect"), e))?);
        }
    }
    if let Some(n) = f.get("tolerationSeconds") {
        t.toleration_seconds = Some(ctx.int(n, &f.child("tolerationSeconds"))?);
        if t.effect != Some(TaintEffect::NoExecute) {
            return Err(ctx.error(
                n.pos,
                &f.child("tolerationSeconds"),
                "tolerationSeconds is only allowed with effect NoExecute",
            ));
        }
    }
    f.finish(ctx, &[])?;
    if t.key.is_empty() && t.operator != TolerationOperator::Exists {
        return Err(ctx.error(node.pos, path, "a toleration with an empty key must use operator Exists"));
    }
    if t.operator == TolerationOperator::Exists && !t.value.is_empty() {
        return Err(ctx.error(node.pos, path, "a toleration with operator Exists must not have a value"));
    }
    Ok(t)
}

fn decode_affinity(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<Affinity> {
    let mut f = ctx.fields(node, path)?;
    let mut affinity = Affinity::default();
    if let Some(na) = f.get("nodeAffinity") {
        let npath = f.child("nodeAffinity");
        let mut nf = ctx.fields(na, &npath)?;
        let mut result = NodeAffinity::default();
        if let Some(req) = nf.get("requiredDuringSchedulingIgnoredDuringExecution") {
            let rpath = nf.child("requiredDuringSchedulingIgnoredDuringExecution");
            let mut rf = ctx.fields(req, &rpath)?;
            let terms_node = rf.require(ctx, "nodeSelectorTerms", req.pos)?;
            let mut terms = Vec::new();
            for (i, t) in ctx.seq(terms_node, &rf.child("nodeSelectorTerms"))?.iter().enumerate() {
                terms.push(decode_node_selector_term(ctx, t, &format!("{rpath}.nodeSelectorTerms[{i}]"))?);
            }
            rf.finish(ctx, &[])?;
            let selector = NodeSelector { terms };
            selector.validate().map_err(|e| ctx.error(req.pos, &rpath, e.to_string()))?;
            result.required = Some(selector);
        }
        if let Some(pref) = nf.get("preferredDuringSchedulingIgnoredDuringExecution") {
            let ppath = nf.child("preferredDuringSchedulingIgnoredDuringExecution");
            for (i, p) in ctx.seq(pref, &ppath)?.iter().enumerate() {
                let ip = format!("{ppath}[{i}]");
                let mut pf = ctx.fields(p, &ip)?;
                let weight = ctx.int_in(pf.require(ctx, "weight", p.pos)?, &format!("{ip}.weight"), 1, 100)? as i32;
                let term_node = pf.require(ctx, "preference", p.pos)?;
                let preference = decode_node_selector_term(ctx, term_node, &format!("{ip}.preference"))?;
                pf.finish(ctx, &[])?;
                let term = PreferredSchedulingTerm { weight, preference };
                NodeSelector { terms: vec![term.preference.clone()] }
                    .validate()
                    .map_err(|e| ctx.error(p.pos, &ip, e.to_string()))?;
                result.preferred.push(term);
            }
        }
        nf.finish(ctx, &[])?;
        affinity.node_affinity = Some(result);
    }
    f.finish(ctx, &["podAffinity", "podAntiAffinity"])?;
    Ok(affinity)
}

fn decode_node_selector_term(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<NodeSelectorTerm> {
    let mut f = ctx.fields(node, path)?;
    let mut term = NodeSelectorTerm { match_expressions: Vec::new(), match_fields: Vec::new() };
    for (key, out) in [("matchExpressions", &mut term.match_expressions), ("matchFields", &mut term.match_fields)] {
        if let Some(list) = f.get(key) {
            let lpath = f.child(key);
            for (i, item) in ctx.seq(list, &lpath)?.iter().enumerate() {
                let ip = format!("{lpath}[{i}]");
                let mut rf = ctx.fields(item, &ip)?;
                let rkey = ctx.string(rf.require(ctx, "key", item.pos)?, &format!("{ip}.key"))?;
                let op_node = rf.require(ctx, "operator", item.pos)?;
                let op_text = ctx.string(op_node, &format!("{ip}.operator"))?;
                let operator: NodeSelectorOperator =
                    op_text.parse().map_err(|e: crate::api::selector::SelectorError| {
                        ctx.error(op_node.pos, &format!("{ip}.operator"), e.to_string())
                    })?;
                let mut values = Vec::new();
                if let Some(vs) = rf.get("values") {
                    for v in ctx.seq(vs, &format!("{ip}.values"))? {
                        values.push(ctx.string(v, &format!("{ip}.values"))?);
                    }
                }
                rf.finish(ctx, &[])?;
                out.push(NodeSelectorRequirement { key: rkey, operator, values });
            }
        }
    }
    f.finish(ctx, &[])?;
    Ok(term)
}
