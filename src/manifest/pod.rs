//! Pods, pod templates, containers and the `sim.kubesim.io/*` behaviour annotations.

use std::sync::Arc;

use crate::api::meta::{Labels, ObjectMeta};
use crate::api::node_selector::{
    NodeSelector, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, PreferredSchedulingTerm,
};
use crate::api::pod::{
    Affinity, ClaimVolume, ConfigRef, ConfigSource, Container, ContainerPort, NodeAffinity, NodeInclusionPolicy, Pod,
    PodAffinity, PodAffinityTerm, PodSpec, PodStatus, PodTemplateSpec, Probe, RestartPolicy, SimBehavior,
    TopologySpreadConstraint, UnsatisfiableConstraintAction, WeightedPodAffinityTerm, annotations,
};
use crate::api::quantity::Format;
use crate::api::resources::{ResourceList, ResourceName};
use crate::api::selector::LabelSelector;
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
    "hostPID",
    "hostUsers",
    "hostname",
    "hostnameOverride",
    "imagePullSecrets",
    "os",
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
];

/// Volume sources a pod may name that kubesim reads: ConfigMaps and Secrets (directly or
/// projected) block the container until they exist; claims bind and pin the pod.
const MODELLED_VOLUME_SOURCES: [&str; 4] = ["configMap", "secret", "projected", "persistentVolumeClaim"];

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
    let spec = decode_pod_spec(ctx, spec_node, "spec", &meta.labels)?;
    check_fault_annotations(ctx, &sim, &spec, annotations.map_or(at, |a| a.pos), "metadata.annotations")?;
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
    let spec = decode_pod_spec(ctx, spec_node, &format!("{path}.spec"), &labels)?;
    let apath = format!("{path}.metadata.annotations");
    let sim = sim_annotations(ctx, &annotations_map, annotations_node, node.pos, &apath)?;
    check_fault_annotations(ctx, &sim, &spec, annotations_node.map_or(node.pos, |a| a.pos), &apath)?;
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
        // A non-negative quantity in units of 10^scale (rounded up, as Kubernetes does).
        let amount = |v: &str, scale: i32| -> DResult<i64> {
            let vpath = format!("{path}.{key}");
            let q = crate::api::quantity::Quantity::parse(v).map_err(|e| {
                ctx.error_hint(value_at, &vpath, e.to_string(), "a quantity, e.g. 5m (cpu) or 2Mi (memory)")
            })?;
            if q.sign() < 0 {
                return Err(ctx.error(value_at, &vpath, format!("must not be negative, got {v:?}")));
            }
            q.checked_scaled_value(scale).ok_or_else(|| ctx.error(value_at, &vpath, format!("{v:?} is too large")))
        };
        match key.as_str() {
            annotations::CPU_PER_REQUEST => sim.serving_mut().cpu_per_request_micro = amount(value, -6)?,
            annotations::CPU_BASE => sim.serving_mut().cpu_base_milli = amount(value, -3)?,
            annotations::MEMORY_PER_REQUEST => sim.serving_mut().memory_per_request_bytes = amount(value, 0)?,
            annotations::MEMORY_BASE => sim.serving_mut().memory_base_bytes = amount(value, 0)?,
            annotations::MAX_RPS => {
                let rate =
                    crate::load::parse_rate(value).map_err(|e| ctx.error(value_at, &format!("{path}.{key}"), e))?;
                sim.serving_mut().max_rps = Some(rate);
            }
            annotations::LIVENESS_FAILS_AFTER => sim.faults_mut().liveness_fails_after = Some(dist(value)?),
            annotations::READINESS_FAILS_AFTER => sim.faults_mut().readiness_fails_after = Some(dist(value)?),
            annotations::READINESS_FAILS_FOR => {
                sim.faults_mut().readiness_fails_for = Some(dist(value)?);
                if !annotations_map.contains_key(annotations::READINESS_FAILS_AFTER) {
                    return Err(ctx.error_hint(
                        key_at,
                        path,
                        format!("{key} needs {}", annotations::READINESS_FAILS_AFTER),
                        "readiness-fails-after says when the readiness probe starts failing, readiness-fails-for for how long",
                    ));
                }
            }
            annotations::MEMORY_LEAK => {
                sim.faults_mut().memory_leak = Some(parse_leak(value).map_err(|e| {
                    ctx.error_hint(value_at, &format!("{path}.{key}"), e, "a quantity per time, e.g. 10Mi/min or 1Gi/h")
                })?);
            }
            annotations::STARTUP => *sim.startup = Some(dist(value)?),
            annotations::DURATION => sim.duration = Some(dist(value)?),
            annotations::SHUTDOWN => *sim.shutdown = Some(dist(value)?),
            annotations::EXIT_CODES => {
                let codes: Option<Vec<i32>> =
                    value.split(',').map(|c| c.trim().parse::<i32>().ok().filter(|c| (0..=255).contains(c))).collect();
                *sim.exit_codes = codes.ok_or_else(|| {
                    ctx.error_hint(
                        value_at,
                        &format!("{path}.{key}"),
                        format!("exit codes must be integers in 0..=255 separated by commas, got {value:?}"),
                        "e.g. \"1,1,0\": the first two attempts exit with 1, later ones with 0",
                    )
                })?;
                if annotations_map.contains_key(annotations::EXIT_CODE) {
                    return Err(ctx.error(
                        key_at,
                        path,
                        format!("{key} and {} cannot both be set", annotations::EXIT_CODE),
                    ));
                }
            }
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

/// `sim.kubesim.io/memory-leak`: `<quantity>/<unit>` with unit `s`, `min` or `h`, or
/// `<quantity>/<duration>` (`10Mi/30s`): bytes per period.
pub fn parse_leak(text: &str) -> Result<(i64, crate::kernel::SimDuration), String> {
    use crate::kernel::SimDuration;
    let Some((amount, per)) = text.split_once('/') else {
        return Err(format!("{text:?} is not a rate: write a quantity per time"));
    };
    let q = crate::api::quantity::Quantity::parse(amount.trim()).map_err(|e| e.to_string())?;
    if q.sign() < 0 {
        return Err(format!("must not be negative, got {text:?}"));
    }
    let bytes = q.checked_scaled_value(0).ok_or_else(|| format!("{text:?} is too large"))?;
    let period = match per.trim() {
        "s" | "sec" | "second" => SimDuration::from_secs(1),
        "m" | "min" | "minute" => SimDuration::from_secs(60),
        "h" | "hour" => SimDuration::from_secs(3600),
        other => crate::kernel::time::parse_duration(other).map_err(|e| format!("{other:?}: {e}"))?,
    };
    if period.is_zero() {
        return Err(format!("{text:?}: the period must be positive"));
    }
    Ok((bytes, period))
}

/// The fault annotations need the probe they make fail.
fn check_fault_annotations(ctx: &Ctx<'_>, sim: &SimBehavior, spec: &PodSpec, at: Pos, path: &str) -> DResult<()> {
    let liveness = spec.containers.iter().any(|c| c.liveness_probe.is_some());
    if sim.faults().liveness_fails_after.is_some() && !liveness && spec.readiness_probe().is_none() {
        return Err(ctx.error_hint(
            at,
            path,
            format!("{} needs a livenessProbe (or a readinessProbe) on a container", annotations::LIVENESS_FAILS_AFTER),
            "without a probe nothing notices that the app hangs; add a livenessProbe",
        ));
    }
    if sim.faults().readiness_fails_after.is_some() && spec.readiness_probe().is_none() {
        return Err(ctx.error_hint(
            at,
            path,
            format!("{} needs a readinessProbe on a container", annotations::READINESS_FAILS_AFTER),
            "add a readinessProbe",
        ));
    }
    Ok(())
}

/// A pod spec; `pod_labels` are the labels of the pod (or of the template's pods), which the
/// API server reads for `matchLabelKeys` / `mismatchLabelKeys`.
fn decode_pod_spec(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str, pod_labels: &Labels) -> DResult<PodSpec> {
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
        spec.affinity = decode_affinity(ctx, n, &f.child("affinity"), pod_labels)?;
    }
    if let Some(n) = f.get("topologySpreadConstraints") {
        spec.topology_spread_constraints =
            decode_topology_spread_constraints(ctx, n, &f.child("topologySpreadConstraints"), pod_labels)?;
    }
    if let Some(n) = f.get("hostNetwork") {
        let npath = f.child("hostNetwork");
        if ctx.bool(n, &npath)? {
            default_host_network_ports(ctx, &mut spec, n.pos, path)?;
        }
    }
    check_host_port_conflicts(ctx, &spec, containers_node.pos, &containers_path)?;
    if let Some(n) = f.get("tolerations") {
        let tpath = f.child("tolerations");
        for (i, t) in ctx.seq(n, &tpath)?.iter().enumerate() {
            spec.tolerations.push(decode_toleration(ctx, t, &format!("{tpath}[{i}]"))?);
        }
    }
    // Priority and preemption policy are resolved from the PriorityClass at pod creation
    // (admission); here they are only read and validated.
    if let Some(n) = f.get("priority") {
        let p = ctx.int32(n, &f.child("priority"))?;
        spec.written_priority = Some(p);
        spec.priority = p;
    }
    if let Some(n) = f.get("priorityClassName") {
        let name = ctx.string(n, &f.child("priorityClassName"))?;
        crate::api::validation::is_dns1123_subdomain(&name)
            .map_err(|e| ctx.error(n.pos, &f.child("priorityClassName"), e))?;
        spec.priority_class_name = name;
    }
    if let Some(n) = f.get("preemptionPolicy") {
        let text = ctx.string(n, &f.child("preemptionPolicy"))?;
        spec.preemption_policy = Some(
            crate::api::scheduling::PreemptionPolicy::parse(&text)
                .map_err(|e| ctx.error(n.pos, &f.child("preemptionPolicy"), e))?,
        );
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
    // `volumes` is read below (ConfigMaps, Secrets, claims); other sources are noted.
    if let Some(volumes) = f.get("volumes") {
        let vpath = f.child("volumes");
        for v in ctx.seq(volumes, &vpath)? {
            if let crate::yaml::Value::Map(entries) = &v.value {
                for (k, _) in entries {
                    if k.text != "name" && !MODELLED_VOLUME_SOURCES.contains(&k.text.as_str()) {
                        ctx.note_unmodelled(&format!("{vpath}[].{}", k.text));
                    }
                }
            }
        }
    }
    f.finish(ctx, POD_SPEC_IGNORED)?;
    spec.config_refs = decode_config_refs(ctx, node, path)?;
    spec.claims = decode_claim_volumes(ctx, node, path)?;
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
            c.requests.get_or_insert_with(name.clone(), || q.clone());
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
                Some(h) => {
                    let text = ctx.string(h, &format!("{ip}.hostIP"))?;
                    if !text.is_empty() && text.parse::<std::net::IpAddr>().is_err() {
                        return Err(ctx.error(
                            h.pos,
                            &format!("{ip}.hostIP"),
                            format!("{text:?} must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"),
                        ));
                    }
                    text
                }
                None => String::new(),
            };
            let protocol = match pf.get("protocol") {
                Some(h) => {
                    let text = ctx.string(h, &format!("{ip}.protocol"))?;
                    if !["TCP", "UDP", "SCTP"].contains(&text.as_str()) {
                        return Err(ctx.error(
                            h.pos,
                            &format!("{ip}.protocol"),
                            format!(
                                "unsupported value {text:?}{}: supported values are SCTP, TCP, UDP",
                                crate::suggest::did_you_mean(&text, ["SCTP", "TCP", "UDP"])
                            ),
                        ));
                    }
                    text
                }
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
        let probe = decode_probe(ctx, n, &f.child("livenessProbe"))?;
        if probe.success_threshold != 1 {
            let at = n.get("successThreshold").map_or(n.pos, |v| v.pos);
            return Err(ctx.error(
                at,
                &format!("{}.successThreshold", f.child("livenessProbe")),
                format!("must be 1, got {}", probe.success_threshold),
            ));
        }
        c.liveness_probe = Some(probe);
    }
    if let Some(n) = f.get("startupProbe") {
        let probe = decode_probe(ctx, n, &f.child("startupProbe"))?;
        if probe.success_threshold != 1 {
            let at = n.get("successThreshold").map_or(n.pos, |v| v.pos);
            return Err(ctx.error(
                at,
                &format!("{}.successThreshold", f.child("startupProbe")),
                format!("must be 1, got {}", probe.success_threshold),
            ));
        }
        c.startup_probe = Some(probe);
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
    list.shrink_to_fit();
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

fn decode_affinity(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str, pod_labels: &Labels) -> DResult<Affinity> {
    let mut f = ctx.fields(node, path)?;
    let mut affinity = Affinity::default();
    if let Some(na) = f.get("nodeAffinity") {
        let npath = f.child("nodeAffinity");
        let mut nf = ctx.fields(na, &npath)?;
        let mut result = NodeAffinity::default();
        if let Some(req) = nf.get("requiredDuringSchedulingIgnoredDuringExecution") {
            let rpath = nf.child("requiredDuringSchedulingIgnoredDuringExecution");
            result.required = Some(decode_node_selector(ctx, req, &rpath)?);
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
    if let Some(n) = f.get("podAffinity") {
        affinity.pod_affinity = Some(decode_pod_affinity(ctx, n, &f.child("podAffinity"), pod_labels)?);
    }
    if let Some(n) = f.get("podAntiAffinity") {
        affinity.pod_anti_affinity = Some(decode_pod_affinity(ctx, n, &f.child("podAntiAffinity"), pod_labels)?);
    }
    f.finish(ctx, &[])?;
    Ok(affinity)
}

/// `podAffinity` or `podAntiAffinity` (the same shape), validated as `validatePodAffinity`.
fn decode_pod_affinity(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str, pod_labels: &Labels) -> DResult<PodAffinity> {
    let mut f = ctx.fields(node, path)?;
    let mut out = PodAffinity::default();
    if let Some(list) = f.get("requiredDuringSchedulingIgnoredDuringExecution") {
        let rpath = f.child("requiredDuringSchedulingIgnoredDuringExecution");
        for (i, t) in ctx.seq(list, &rpath)?.iter().enumerate() {
            out.required.push(decode_pod_affinity_term(ctx, t, &format!("{rpath}[{i}]"), pod_labels)?);
        }
    }
    if let Some(list) = f.get("preferredDuringSchedulingIgnoredDuringExecution") {
        let ppath = f.child("preferredDuringSchedulingIgnoredDuringExecution");
        for (i, p) in ctx.seq(list, &ppath)?.iter().enumerate() {
            let ip = format!("{ppath}[{i}]");
            let mut pf = ctx.fields(p, &ip)?;
            let weight = ctx.int_in(pf.require(ctx, "weight", p.pos)?, &format!("{ip}.weight"), 1, 100)? as i32;
            let term_node = pf.require(ctx, "podAffinityTerm", p.pos)?;
            let term = decode_pod_affinity_term(ctx, term_node, &format!("{ip}.podAffinityTerm"), pod_labels)?;
            pf.finish(ctx, &[])?;
            out.preferred.push(WeightedPodAffinityTerm { weight, term });
        }
    }
    f.finish(ctx, &[])?;
    Ok(out)
}

/// A list of label keys (`matchLabelKeys`, `mismatchLabelKeys`).
fn decode_label_keys(ctx: &Ctx<'_>, node: &YamlNode, path: &str) -> DResult<Vec<String>> {
    let mut keys = Vec::new();
    for (i, k) in ctx.seq(node, path)?.iter().enumerate() {
        let key = ctx.string(k, &format!("{path}[{i}]"))?;
        crate::api::validation::is_qualified_name(&key)
            .map_err(|e| ctx.error(k.pos, &format!("{path}[{i}]"), format!("invalid label key {key:?}: {e}")))?;
        keys.push(key);
    }
    Ok(keys)
}

/// A `topologyKey`: required, a valid label key.
fn decode_topology_key(ctx: &Ctx<'_>, f: &mut crate::decode::Fields<'_>, at: Pos) -> DResult<String> {
    let n = f.require(ctx, "topologyKey", at)?;
    let key = ctx.string(n, &f.child("topologyKey"))?;
    if key.is_empty() {
        return Err(ctx.error(n.pos, &f.child("topologyKey"), "topologyKey can not be empty"));
    }
    crate::api::validation::is_qualified_name(&key)
        .map_err(|e| ctx.error(n.pos, &f.child("topologyKey"), format!("invalid label key {key:?}: {e}")))?;
    Ok(key)
}

/// `validateMatchLabelKeysAndMismatchLabelKeys` as kube-apiserver applies it to a pod whose
/// `matchLabelKeys` were merged into `labelSelector` (v1.34): the keys need a `labelSelector`; a
/// `matchLabelKeys` key the pod carries must not also appear in the selector (the merged
/// `key in (value)` would repeat it), nor in `mismatchLabelKeys`.
fn validate_label_keys(
    ctx: &Ctx<'_>,
    at: Pos,
    path: &str,
    match_keys: &[String],
    mismatch_keys: &[String],
    selector: Option<&LabelSelector>,
    pod_labels: &Labels,
) -> DResult<()> {
    for (name, keys) in [("matchLabelKeys", match_keys), ("mismatchLabelKeys", mismatch_keys)] {
        if !keys.is_empty() && selector.is_none() {
            return Err(ctx.error(
                at,
                &format!("{path}.{name}"),
                "must not be specified when labelSelector is not set",
            ));
        }
    }
    let Some(selector) = selector else { return Ok(()) };
    for (i, key) in match_keys.iter().enumerate() {
        if pod_labels.contains_key(key) && selector.requirements().iter().any(|r| r.key() == key) {
            return Err(ctx.error_hint(
                at,
                &format!("{path}.matchLabelKeys[{i}]"),
                format!("{key:?} exists in both matchLabelKeys and labelSelector"),
                "matchLabelKeys adds the pod's own value of the key to the selector; drop one of the two",
            ));
        }
        if mismatch_keys.contains(key) {
            return Err(ctx.error(
                at,
                &format!("{path}.matchLabelKeys[{i}]"),
                format!("{key:?} exists in both matchLabelKeys and mismatchLabelKeys"),
            ));
        }
    }
    Ok(())
}

/// One `PodAffinityTerm`, validated as `validatePodAffinityTerm`.
fn decode_pod_affinity_term(
    ctx: &mut Ctx<'_>,
    node: &YamlNode,
    path: &str,
    pod_labels: &Labels,
) -> DResult<PodAffinityTerm> {
    let mut f = ctx.fields(node, path)?;
    let mut term = PodAffinityTerm::default();
    if let Some(n) = f.get("labelSelector") {
        term.label_selector = Some(super::decode_label_selector(ctx, n, &f.child("labelSelector"))?);
    }
    if let Some(list) = f.get("namespaces") {
        let npath = f.child("namespaces");
        for (i, n) in ctx.seq(list, &npath)?.iter().enumerate() {
            let name = ctx.string(n, &format!("{npath}[{i}]"))?;
            crate::api::validation::is_dns1123_label(&name).map_err(|e| {
                ctx.error(n.pos, &format!("{npath}[{i}]"), format!("invalid namespace name {name:?}: {e}"))
            })?;
            term.namespaces.push(name);
        }
    }
    if let Some(n) = f.get("namespaceSelector") {
        term.namespace_selector = Some(super::decode_label_selector(ctx, n, &f.child("namespaceSelector"))?);
    }
    term.topology_key = decode_topology_key(ctx, &mut f, node.pos)?;
    if let Some(n) = f.get("matchLabelKeys") {
        term.match_label_keys = decode_label_keys(ctx, n, &f.child("matchLabelKeys"))?;
    }
    if let Some(n) = f.get("mismatchLabelKeys") {
        term.mismatch_label_keys = decode_label_keys(ctx, n, &f.child("mismatchLabelKeys"))?;
    }
    f.finish(ctx, &[])?;
    validate_label_keys(
        ctx,
        node.pos,
        path,
        &term.match_label_keys,
        &term.mismatch_label_keys,
        term.label_selector.as_ref(),
        pod_labels,
    )?;
    Ok(term)
}

/// `topologySpreadConstraints` of a pod (or of a template, with its pods' labels), validated as
/// `validateTopologySpreadConstraints`.
fn decode_topology_spread_constraints(
    ctx: &mut Ctx<'_>,
    node: &YamlNode,
    path: &str,
    pod_labels: &Labels,
) -> DResult<Vec<TopologySpreadConstraint>> {
    let mut out: Vec<TopologySpreadConstraint> = Vec::new();
    for (i, item) in ctx.seq(node, path)?.iter().enumerate() {
        let ip = format!("{path}[{i}]");
        let mut f = ctx.fields(item, &ip)?;
        let mut c = TopologySpreadConstraint::default();
        let skew_node = f.require(ctx, "maxSkew", item.pos)?;
        c.max_skew = ctx.int32(skew_node, &f.child("maxSkew"))?;
        if c.max_skew <= 0 {
            return Err(ctx.error(
                skew_node.pos,
                &f.child("maxSkew"),
                format!("must be greater than zero, got {}", c.max_skew),
            ));
        }
        c.topology_key = decode_topology_key(ctx, &mut f, item.pos)?;
        let when_node = f.require(ctx, "whenUnsatisfiable", item.pos)?;
        let when = ctx.string(when_node, &f.child("whenUnsatisfiable"))?;
        c.when_unsatisfiable = match when.as_str() {
            "DoNotSchedule" => UnsatisfiableConstraintAction::DoNotSchedule,
            "ScheduleAnyway" => UnsatisfiableConstraintAction::ScheduleAnyway,
            _ => {
                return Err(ctx.error(
                    when_node.pos,
                    &f.child("whenUnsatisfiable"),
                    format!(
                        "unsupported value {when:?}{}: supported values are DoNotSchedule, ScheduleAnyway",
                        crate::suggest::did_you_mean(&when, ["DoNotSchedule", "ScheduleAnyway"])
                    ),
                ));
            }
        };
        if let Some(n) = f.get("labelSelector") {
            c.label_selector = Some(super::decode_label_selector(ctx, n, &f.child("labelSelector"))?);
        }
        if let Some(n) = f.get("minDomains") {
            let v = ctx.int32(n, &f.child("minDomains"))?;
            if v <= 0 {
                return Err(ctx.error(n.pos, &f.child("minDomains"), format!("must be greater than 0, got {v}")));
            }
            if c.when_unsatisfiable != UnsatisfiableConstraintAction::DoNotSchedule {
                return Err(ctx.error(
                    n.pos,
                    &f.child("minDomains"),
                    "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway",
                ));
            }
            c.min_domains = Some(v);
        }
        for (key, slot) in
            [("nodeAffinityPolicy", &mut c.node_affinity_policy), ("nodeTaintsPolicy", &mut c.node_taints_policy)]
        {
            if let Some(n) = f.get(key) {
                let text = ctx.string(n, &f.child(key))?;
                *slot = Some(match text.as_str() {
                    "Honor" => NodeInclusionPolicy::Honor,
                    "Ignore" => NodeInclusionPolicy::Ignore,
                    _ => {
                        return Err(ctx.error(
                            n.pos,
                            &f.child(key),
                            format!(
                                "unsupported value {text:?}{}: supported values are Honor, Ignore",
                                crate::suggest::did_you_mean(&text, ["Honor", "Ignore"])
                            ),
                        ));
                    }
                });
            }
        }
        if let Some(n) = f.get("matchLabelKeys") {
            c.match_label_keys = decode_label_keys(ctx, n, &f.child("matchLabelKeys"))?;
        }
        f.finish(ctx, &[])?;
        validate_label_keys(ctx, item.pos, &ip, &c.match_label_keys, &[], c.label_selector.as_ref(), pod_labels)?;
        if out.iter().any(|o| o.topology_key == c.topology_key && o.when_unsatisfiable == c.when_unsatisfiable) {
            return Err(ctx.error(
                item.pos,
                &ip,
                format!(
                    "duplicate {{topologyKey, whenUnsatisfiable}}: {{{}, {}}} is already constrained",
                    c.topology_key,
                    c.when_unsatisfiable.as_str()
                ),
            ));
        }
        out.push(c);
    }
    Ok(out)
}

/// `SetDefaults_PodSpec` with `hostNetwork: true`: a container port without a host port gets
/// its container port as host port; validation then wants the two equal (`validateHostNetwork`).
fn default_host_network_ports(ctx: &Ctx<'_>, spec: &mut PodSpec, at: Pos, path: &str) -> DResult<()> {
    let lists = [("containers", &mut spec.containers), ("initContainers", &mut spec.init_containers)];
    for (list, containers) in lists {
        for (ci, c) in containers.iter_mut().enumerate() {
            for (pi, p) in c.ports.iter_mut().enumerate() {
                if p.host_port == 0 {
                    p.host_port = p.container_port;
                }
                if p.host_port != p.container_port {
                    return Err(ctx.error(
                        at,
                        &format!("{path}.{list}[{ci}].ports[{pi}].containerPort"),
                        "must match hostPort when hostNetwork is true",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// `checkHostPortConflicts`: no two ports of the regular containers, and no two ports of one
/// init container, may claim the same protocol/hostIP/hostPort (compared as written).
fn check_host_port_conflicts(ctx: &Ctx<'_>, spec: &PodSpec, at: Pos, containers_path: &str) -> DResult<()> {
    let groups = std::iter::once(("containers", 0, &spec.containers[..]))
        .chain(spec.init_containers.iter().enumerate().map(|(i, c)| ("initContainers", i, std::slice::from_ref(c))));
    for (list, first, containers) in groups {
        let mut seen = std::collections::BTreeSet::new();
        for (ci, c) in containers.iter().enumerate() {
            for (pi, p) in c.ports.iter().enumerate() {
                if p.host_port == 0 {
                    continue;
                }
                let key = format!("{}/{}/{}", p.protocol, p.host_ip, p.host_port);
                if !seen.insert(key.clone()) {
                    let parent = containers_path.strip_suffix("containers").unwrap_or(containers_path);
                    return Err(ctx.error(
                        at,
                        &format!("{parent}{list}[{}].ports[{pi}].hostPort", first + ci),
                        format!("duplicate value {key:?}: another port of the pod already uses it"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A required `NodeSelector` (`nodeSelectorTerms`), validated as the API server does.
pub(super) fn decode_node_selector(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<NodeSelector> {
    let mut rf = ctx.fields(node, path)?;
    let terms_node = rf.require(ctx, "nodeSelectorTerms", node.pos)?;
    let mut terms = Vec::new();
    for (i, t) in ctx.seq(terms_node, &rf.child("nodeSelectorTerms"))?.iter().enumerate() {
        terms.push(decode_node_selector_term(ctx, t, &format!("{path}.nodeSelectorTerms[{i}]"))?);
    }
    rf.finish(ctx, &[])?;
    let selector = NodeSelector { terms };
    selector.validate().map_err(|e| ctx.error(node.pos, path, e.to_string()))?;
    Ok(selector)
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

/// The ConfigMap and Secret references of a pod spec (`env[].valueFrom`, `envFrom`, and
/// `volumes[]` of type configMap, secret or projected), read from the mapping as written. The
/// rest of `env`, `envFrom` and `volumes` is not modelled (and listed as such).
fn decode_config_refs(ctx: &Ctx<'_>, spec: &YamlNode, path: &str) -> DResult<Vec<ConfigRef>> {
    let mut refs = Vec::new();
    // `name` (or `secretName` for secret volumes) must be a non-empty string.
    let named = |node: &YamlNode, key: &str, at: &str| -> DResult<String> {
        let Some(n) = node.get(key) else {
            return Err(ctx.error(node.pos, &format!("{at}.{key}"), "Required value"));
        };
        let name = ctx.string(n, &format!("{at}.{key}"))?;
        crate::api::validation::is_dns1123_subdomain(&name).map_err(|e| ctx.error(n.pos, &format!("{at}.{key}"), e))?;
        Ok(name)
    };
    let optional = |node: &YamlNode, at: &str| -> DResult<bool> {
        match node.get("optional") {
            Some(n) if !n.is_null() => ctx.bool(n, &format!("{at}.optional")),
            _ => Ok(false),
        }
    };
    let sources = [
        ("configMapKeyRef", "configMapRef", "configMap", ConfigSource::ConfigMap),
        ("secretKeyRef", "secretRef", "secret", ConfigSource::Secret),
    ];
    for list in ["containers", "initContainers"] {
        let Some(containers) = spec.get(list) else { continue };
        let Ok(items) = ctx.seq(containers, &format!("{path}.{list}")) else { continue };
        for (i, c) in items.iter().enumerate() {
            let cpath = format!("{path}.{list}[{i}]");
            if let Some(env) = c.get("env").filter(|n| !n.is_null()) {
                for (j, e) in ctx.seq(env, &format!("{cpath}.env"))?.iter().enumerate() {
                    let Some(from) = e.get("valueFrom").filter(|n| !n.is_null()) else { continue };
                    for (key_ref, _, _, source) in sources {
                        let Some(r) = from.get(key_ref).filter(|n| !n.is_null()) else { continue };
                        let at = format!("{cpath}.env[{j}].valueFrom.{key_ref}");
                        let key = match r.get("key") {
                            Some(k) => ctx.string(k, &format!("{at}.key"))?,
                            None => return Err(ctx.error(r.pos, &format!("{at}.key"), "Required value")),
                        };
                        refs.push(ConfigRef {
                            source,
                            name: named(r, "name", &at)?,
                            key: Some(key),
                            optional: optional(r, &at)?,
                            volume: None,
                        });
                    }
                }
            }
            if let Some(env_from) = c.get("envFrom").filter(|n| !n.is_null()) {
                for (j, e) in ctx.seq(env_from, &format!("{cpath}.envFrom"))?.iter().enumerate() {
                    for (_, whole_ref, _, source) in sources {
                        let Some(r) = e.get(whole_ref).filter(|n| !n.is_null()) else { continue };
                        let at = format!("{cpath}.envFrom[{j}].{whole_ref}");
                        refs.push(ConfigRef {
                            source,
                            name: named(r, "name", &at)?,
                            key: None,
                            optional: optional(r, &at)?,
                            volume: None,
                        });
                    }
                }
            }
        }
    }
    if let Some(volumes) = spec.get("volumes").filter(|n| !n.is_null()) {
        for (i, v) in ctx.seq(volumes, &format!("{path}.volumes"))?.iter().enumerate() {
            let vpath = format!("{path}.volumes[{i}]");
            let volume = v.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_string();
            // (source node, its path, the key naming the object)
            let mut found: Vec<(&YamlNode, String, ConfigSource, &str)> = Vec::new();
            if let Some(cm) = v.get("configMap").filter(|n| !n.is_null()) {
                found.push((cm, format!("{vpath}.configMap"), ConfigSource::ConfigMap, "name"));
            }
            if let Some(sec) = v.get("secret").filter(|n| !n.is_null()) {
                found.push((sec, format!("{vpath}.secret"), ConfigSource::Secret, "secretName"));
            }
            if let Some(projected) = v.get("projected").filter(|n| !n.is_null())
                && let Some(list) = projected.get("sources").filter(|n| !n.is_null())
            {
                for (j, src) in ctx.seq(list, &format!("{vpath}.projected.sources"))?.iter().enumerate() {
                    for (_, _, kind, source) in sources {
                        if let Some(r) = src.get(kind).filter(|n| !n.is_null()) {
                            found.push((r, format!("{vpath}.projected.sources[{j}].{kind}"), source, "name"));
                        }
                    }
                }
            }
            for (r, at, source, name_key) in found {
                let name = named(r, name_key, &at)?;
                let optional = optional(r, &at)?;
                let keys: Vec<String> = match r.get("items").filter(|n| !n.is_null()) {
                    Some(items) => ctx
                        .seq(items, &format!("{at}.items"))?
                        .iter()
                        .enumerate()
                        .map(|(k, item)| match item.get("key") {
                            Some(key) => ctx.string(key, &format!("{at}.items[{k}].key")),
                            None => Err(ctx.error(item.pos, &format!("{at}.items[{k}].key"), "Required value")),
                        })
                        .collect::<DResult<_>>()?,
                    None => Vec::new(),
                };
                if keys.is_empty() {
                    refs.push(ConfigRef { source, name, key: None, optional, volume: Some(volume.clone()) });
                } else {
                    for key in keys {
                        refs.push(ConfigRef {
                            source,
                            name: name.clone(),
                            key: Some(key),
                            optional,
                            volume: Some(volume.clone()),
                        });
                    }
                }
            }
        }
    }
    Ok(refs)
}

/// The `volumes[]` of type `persistentVolumeClaim` (`claimName`, `readOnly`), read from the
/// mapping as written; `claimName` is required (`validatePersistentClaimVolumeSource`).
fn decode_claim_volumes(ctx: &Ctx<'_>, spec: &YamlNode, path: &str) -> DResult<Vec<ClaimVolume>> {
    let mut out = Vec::new();
    let Some(volumes) = spec.get("volumes").filter(|n| !n.is_null()) else { return Ok(out) };
    for (i, v) in ctx.seq(volumes, &format!("{path}.volumes"))?.iter().enumerate() {
        let Some(c) = v.get("persistentVolumeClaim").filter(|n| !n.is_null()) else { continue };
        let at = format!("{path}.volumes[{i}].persistentVolumeClaim");
        let volume = v.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_string();
        let claim_name = match c.get("claimName") {
            Some(n) => ctx.string(n, &format!("{at}.claimName"))?,
            None => String::new(),
        };
        if claim_name.is_empty() {
            return Err(ctx.error(c.pos, &format!("{at}.claimName"), "Required value"));
        }
        let read_only = match c.get("readOnly") {
            Some(n) if !n.is_null() => ctx.bool(n, &format!("{at}.readOnly"))?,
            _ => false,
        };
        out.push(ClaimVolume { volume, claim_name, read_only });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    //! Decoding and the API server's validation of topology spread constraints, pod
    //! (anti-)affinity and host ports (`pkg/apis/core/validation`); messages are ours.

    use super::*;
    use crate::api::selector::Operator;
    use crate::decode::Unmodelled;
    use crate::manifest::{Object, decode_object};

    /// Volumes kubesim reads (ConfigMaps, Secrets, claims) are not listed as unmodelled; other
    /// sources are, by source.
    #[test]
    fn only_unread_volume_sources_are_noted() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: x}]\n  volumes:\n    - {name: a, emptyDir: {}}\n    - {name: b, configMap: {name: cm}}\n    - {name: c, persistentVolumeClaim: {claimName: data}}\n";
        let docs = crate::yaml::parse_stream(text).unwrap();
        let mut unmodelled = Unmodelled::new();
        let mut ctx = Ctx::new("pod.yaml", "manifest", &mut unmodelled);
        decode_object(&mut ctx, &docs[0].root).unwrap();
        let notes: Vec<String> = unmodelled.iter().cloned().collect();
        assert!(notes.iter().any(|n| n.contains("volumes[].emptyDir")), "{notes:?}");
        assert!(
            !notes
                .iter()
                .any(|n| n.contains("configMap") || n.contains("persistentVolumeClaim") || n.ends_with("volumes")),
            "{notes:?}"
        );
    }

    /// Decodes one Pod manifest; the error message on failure.
    fn decode(text: &str) -> Result<Pod, String> {
        let docs = crate::yaml::parse_stream(text).map_err(|e| format!("{e:?}"))?;
        let mut unmodelled = Unmodelled::new();
        let mut ctx = Ctx::new("pod.yaml", "manifest", &mut unmodelled);
        match decode_object(&mut ctx, &docs[0].root) {
            Ok(Some(Object::Pod(p))) => Ok(p),
            Ok(other) => Err(format!("not a pod: {other:?}")),
            Err(e) => Err(format!("{}: {}", e.path, e.message)),
        }
    }

    /// A pod labelled `app: web, pod-template-hash: abc` with `spec` appended to its spec.
    fn pod(spec: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {{app: web, pod-template-hash: abc}}\nspec:\n  containers:\n    - name: c\n      image: app:1\n{spec}"
        )
    }

    fn err(spec: &str) -> String {
        decode(&pod(spec)).expect_err("should be refused")
    }

    #[test]
    fn topology_spread_constraints_decode_with_defaults() {
        let p = decode(&pod("  topologySpreadConstraints:\n    - maxSkew: 2\n      topologyKey: topology.kubernetes.io/zone\n      whenUnsatisfiable: DoNotSchedule\n      labelSelector: {matchLabels: {app: web}}\n      minDomains: 3\n      nodeTaintsPolicy: Honor\n      matchLabelKeys: [pod-template-hash]\n    - maxSkew: 1\n      topologyKey: kubernetes.io/hostname\n      whenUnsatisfiable: ScheduleAnyway\n")).unwrap();
        let c = &p.spec.topology_spread_constraints;
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].max_skew, c[0].min_domains), (2, Some(3)));
        assert_eq!(c[0].node_affinity_policy, None, "Honor when absent, decided by the scheduler");
        assert_eq!(c[0].node_taints_policy, Some(NodeInclusionPolicy::Honor));
        assert_eq!(c[0].match_label_keys, ["pod-template-hash"]);
        assert_eq!(c[1].when_unsatisfiable, UnsatisfiableConstraintAction::ScheduleAnyway);
        assert_eq!(c[1].label_selector, None, "absent selector: matches nothing");
    }

    #[test]
    fn topology_spread_constraints_are_validated() {
        let c = |body: &str| err(&format!("  topologySpreadConstraints:\n    - {body}\n"));
        assert!(c("{maxSkew: 0, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}").contains("greater than zero"));
        assert!(c("{maxSkew: 1, whenUnsatisfiable: DoNotSchedule}").contains("topologyKey"));
        assert!(c("{maxSkew: 1, topologyKey: '', whenUnsatisfiable: DoNotSchedule}").contains("can not be empty"));
        assert!(c("{maxSkew: 1, topologyKey: 'a b', whenUnsatisfiable: DoNotSchedule}").contains("invalid label key"));
        assert!(
            c("{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: Never}").contains("DoNotSchedule, ScheduleAnyway")
        );
        assert!(c("{maxSkew: 1, topologyKey: zone}").contains("whenUnsatisfiable"));
        assert!(
            c("{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, minDomains: 2}")
                .contains("whenUnsatisfiable=DoNotSchedule")
        );
        assert!(
            c("{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, minDomains: 0}")
                .contains("greater than 0")
        );
        assert!(
            c("{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, nodeAffinityPolicy: honor}")
                .contains("Honor, Ignore")
        );
        assert!(
            c("{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, matchLabelKeys: [app]}")
                .contains("labelSelector is not set")
        );
        assert!(
            c("{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}, matchLabelKeys: [app]}")
                .contains("exists in both matchLabelKeys and labelSelector")
        );
        // A key the pod does not carry adds nothing, so it may repeat the selector's.
        decode(&pod("  topologySpreadConstraints:\n    - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {tier: a}}, matchLabelKeys: [tier]}\n")).unwrap();
        let dup = err(
            "  topologySpreadConstraints:\n    - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}\n    - {maxSkew: 2, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}\n",
        );
        assert!(dup.contains("duplicate") && dup.contains("topologySpreadConstraints[1]"), "{dup}");
        assert!(c("{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchExpressions: [{key: a, operator: Exists, values: [x]}]}}").contains("values"));
    }

    #[test]
    fn pod_affinity_decodes_and_merges_label_keys_per_pod() {
        let p = decode(&pod("  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        - labelSelector: {matchLabels: {app: web}}\n          topologyKey: kubernetes.io/hostname\n          matchLabelKeys: [pod-template-hash]\n      preferredDuringSchedulingIgnoredDuringExecution:\n        - weight: 50\n          podAffinityTerm:\n            labelSelector: {}\n            namespaces: [other]\n            namespaceSelector: {matchLabels: {team: a}}\n            topologyKey: zone\n    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        - labelSelector: {matchLabels: {app: db}}\n          topologyKey: zone\n")).unwrap();
        let anti = p.spec.affinity.pod_anti_affinity.as_ref().unwrap();
        assert_eq!(anti.required.len(), 1);
        let sel = anti.required[0].selector_for(&p.meta.labels);
        let hash = sel.requirements().iter().find(|r| r.key() == "pod-template-hash").unwrap();
        assert_eq!((hash.operator(), hash.values()), (Operator::In, &["abc".to_string()][..]));
        assert_eq!(anti.preferred[0].weight, 50);
        assert_eq!(anti.preferred[0].term.namespaces, ["other"]);
        assert!(anti.preferred[0].term.namespace_selector.is_some());
        assert!(p.spec.affinity.pod_affinity.as_ref().unwrap().required[0].label_selector.is_some());
    }

    #[test]
    fn pod_affinity_is_validated() {
        let term = |body: &str| {
            err(&format!(
                "  affinity:\n    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        - {body}\n"
            ))
        };
        assert!(term("{labelSelector: {}}").contains("topologyKey"));
        assert!(term("{labelSelector: {}, topologyKey: ''}").contains("can not be empty"));
        assert!(
            term("{labelSelector: {}, topologyKey: zone, namespaces: [Bad_Name]}").contains("invalid namespace name")
        );
        assert!(term("{topologyKey: zone, matchLabelKeys: [app]}").contains("labelSelector is not set"));
        assert!(
            term("{labelSelector: {matchLabels: {app: web}}, topologyKey: zone, matchLabelKeys: [app]}")
                .contains("exists in both matchLabelKeys and labelSelector")
        );
        assert!(
            term("{labelSelector: {}, topologyKey: zone, matchLabelKeys: [app], mismatchLabelKeys: [app]}")
                .contains("exists in both matchLabelKeys and mismatchLabelKeys")
        );
        assert!(
            term("{labelSelector: {matchLabels: {app: 'bad value'}}, topologyKey: zone}").contains("labelSelector")
        );
        let weight = err(
            "  affinity:\n    podAntiAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n        - weight: 101\n          podAffinityTerm: {labelSelector: {}, topologyKey: zone}\n",
        );
        assert!(weight.contains("between 1 and 100"), "{weight}");
        let unknown = err("  affinity:\n    podAffinity:\n      requiredDuringSchedulingRequiredDuringExecution: []\n");
        assert!(unknown.contains("unknown field"), "{unknown}");
    }

    #[test]
    fn host_ports_are_validated_and_defaulted() {
        let ports = |body: &str| format!("      ports:\n        - {body}\n");
        let p = decode(&pod(&ports("{containerPort: 80, hostPort: 8080, hostIP: 10.0.0.1, protocol: UDP}"))).unwrap();
        let port = &p.spec.containers[0].ports[0];
        assert_eq!((port.host_port, port.host_ip.as_str(), port.protocol.as_str()), (8080, "10.0.0.1", "UDP"));
        assert!(err(&ports("{containerPort: 80, protocol: HTTP}")).contains("SCTP, TCP, UDP"));
        assert!(err(&ports("{containerPort: 80, hostPort: 80, hostIP: 300.1.1.1}")).contains("valid IP"));
        // hostNetwork: the host port defaults to the container port and must equal it.
        let p = decode(&pod(&format!("{}  hostNetwork: true\n", ports("{containerPort: 9100}")))).unwrap();
        assert_eq!(p.spec.containers[0].ports[0].host_port, 9100);
        assert!(
            err(&format!("{}  hostNetwork: true\n", ports("{containerPort: 9100, hostPort: 9101}")))
                .contains("hostNetwork")
        );
        // Two containers may not claim the same protocol/hostIP/hostPort.
        let two = "      ports: [{containerPort: 80, hostPort: 80}]\n    - name: d\n      image: app:1\n      ports: [{containerPort: 81, hostPort: 80}]\n";
        assert!(err(two).contains("containers[1].ports[0].hostPort"), "{}", err(two));
        decode(&pod("      ports: [{containerPort: 80, hostPort: 80}]\n    - name: d\n      image: app:1\n      ports: [{containerPort: 81, hostPort: 80, protocol: UDP}]\n")).unwrap();
    }
}
