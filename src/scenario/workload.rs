//! Decoding `spec.workload` (pods arriving from a trace file or a generator) and
//! `spec.cluster.trace` (nodes from a trace's node list). See `docs/traces.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::api::meta::ObjectMeta;
use crate::api::node::Node;
use crate::api::quantity::{Format, Quantity};
use crate::api::resources::{ResourceList, ResourceName, gpu};
use crate::decode::{Ctx, DResult, DecodeError};
use crate::kernel::SimTime;
use crate::kernel::dist::DurationDist;
use crate::manifest::{Manifest, Object};
use crate::workload::generate::{ArrivalProcess, GenerateSpec, RunTime, Shapes, SizeDist, parse_rate};
use crate::workload::trace::{self, TraceError};
use crate::workload::{OwnerKind, Source, TraceNode, WORKLOAD_LABEL, Workload, priority_class_name};
use crate::yaml::{Node as YamlNode, Pos};

use super::SourceLoader;

/// A trace reference: `{format, file, limit}`.
struct TraceRef {
    format: String,
    display: String,
    text: String,
    limit: Option<usize>,
    format_pos: Pos,
}

fn decode_trace_ref(
    ctx: &mut Ctx<'_>,
    node: &YamlNode,
    path: &str,
    loader: &dyn SourceLoader,
    formats: &[&str],
    max_pods: Option<&mut i64>,
) -> DResult<TraceRef> {
    let mut f = ctx.fields(node, path)?;
    if let Some(max_pods) = max_pods
        && let Some(n) = f.get("maxPods")
    {
        *max_pods = ctx.int_in(n, &format!("{path}.maxPods"), 1, 1_000_000)?;
    }
    let format_node = f.require(ctx, "format", node.pos)?;
    let file_node = f.require(ctx, "file", node.pos)?;
    let limit = match f.get("limit") {
        Some(n) => Some(ctx.int_in(n, &format!("{path}.limit"), 1, trace::MAX_ROWS as i64)? as usize),
        None => None,
    };
    f.finish(ctx, &[])?;
    let format = ctx.string(format_node, &format!("{path}.format"))?;
    if !formats.contains(&format.as_str()) {
        return Err(ctx.error_hint(
            format_node.pos,
            &format!("{path}.format"),
            format!(
                "unknown trace format {format:?}{}",
                crate::suggest::did_you_mean(&format, formats.iter().copied())
            ),
            format!("formats here: {}", formats.join(", ")),
        ));
    }
    let rel = ctx.string(file_node, &format!("{path}.file"))?;
    let fpath = format!("{path}.file");
    let (display, text) = super::load_referenced(ctx, loader, &rel, file_node.pos, &fpath)?;
    Ok(TraceRef { format, display, text, limit, format_pos: format_node.pos })
}

/// A trace file's error, located in that file.
fn trace_error(ctx: &Ctx<'_>, display: &str, path: &str, e: TraceError) -> Box<DecodeError> {
    let hint = e.hint.unwrap_or_else(|| "see docs/traces.md for the trace formats".into());
    super::error_in_file(ctx, display, (e.line, e.col), path, e.message, hint)
}

/// The Node of a trace's node list: allocatable (= capacity) cpu, memory, `nvidia.com/gpu`
/// and `pods`, and the GPU model as the label `nvidia.com/gpu.product`.
pub fn trace_node(n: &TraceNode, max_pods: i64) -> Node {
    let mut allocatable = ResourceList::new();
    allocatable.insert(ResourceName::Cpu, Quantity::new_milli(n.cpu_milli as i64, Format::DecimalSI));
    allocatable.insert(ResourceName::Memory, Quantity::new((n.memory_mib as i64) << 20, Format::BinarySI));
    allocatable.insert(ResourceName::Pods, Quantity::new(max_pods, Format::DecimalSI));
    if n.gpus > 0 {
        let name = ResourceName::parse(gpu::DEVICES).expect("a known resource");
        allocatable.insert(name, Quantity::new(i64::from(n.gpus), Format::DecimalSI));
    }
    let mut fields = crate::manifest::NodeFields {
        capacity: allocatable.clone(),
        allocatable,
        ..crate::manifest::NodeFields::default()
    };
    if !n.model.is_empty() {
        fields.labels.insert(gpu::PRODUCT_LABEL.to_string(), n.model.clone());
    }
    super::make_node(&n.name, None, None, fields)
}

/// `spec.cluster.trace: {format: openb, file, limit, maxPods}`: the nodes of a node list.
pub(super) fn decode_cluster_trace(
    ctx: &mut Ctx<'_>,
    node: &YamlNode,
    loader: &dyn SourceLoader,
) -> DResult<Vec<(Node, Pos)>> {
    let path = "spec.cluster.trace";
    let mut max_pods = 110;
    let r = decode_trace_ref(ctx, node, path, loader, &["openb"], Some(&mut max_pods))?;
    let nodes = trace::parse_openb_nodes(&r.text, r.limit).map_err(|e| trace_error(ctx, &r.display, path, e))?;
    Ok(nodes.iter().map(|n| (trace_node(n, max_pods), r.format_pos)).collect())
}

const KINDS: [&str; 2] = ["Pod", "Job"];

/// `spec.workload`; returns the workloads and the PriorityClasses the generic format's
/// `priority` column needs that `manifests` does not define.
pub(super) fn decode_workloads(
    ctx: &mut Ctx<'_>,
    list: &YamlNode,
    loader: &dyn SourceLoader,
    manifests: &[Manifest],
) -> DResult<(Vec<Workload>, Vec<Manifest>)> {
    let namespaces: BTreeSet<String> = crate::api::service::INITIAL_NAMESPACES
        .iter()
        .map(|s| s.to_string())
        .chain(manifests.iter().filter_map(|m| match &m.object {
            Object::Namespace(n) => Some(n.meta.name.clone()),
            _ => None,
        }))
        .collect();
    let classes: BTreeSet<String> = manifests
        .iter()
        .filter_map(|m| match &m.object {
            Object::PriorityClass(c) => Some(c.meta.name.clone()),
            _ => None,
        })
        .collect();
    let mut workloads: Vec<Workload> = Vec::new();
    let mut priorities: BTreeMap<i32, Pos> = BTreeMap::new();
    for (i, item) in ctx.seq(list, "spec.workload")?.iter().enumerate() {
        let path = format!("spec.workload[{i}]");
        let mut f = ctx.fields(item, &path)?;
        let name = match f.get("name") {
            Some(n) => {
                let name = ctx.string(n, &format!("{path}.name"))?;
                crate::api::validation::is_dns1123_label(&name)
                    .map_err(|e| ctx.error(n.pos, &format!("{path}.name"), e))?;
                if name.len() > 40 {
                    return Err(ctx.error(n.pos, &format!("{path}.name"), "must be at most 40 characters"));
                }
                name
            }
            None => format!("workload-{i}"),
        };
        if workloads.iter().any(|w| w.name == name) {
            return Err(ctx.error_hint(
                item.pos,
                &format!("{path}.name"),
                format!("duplicate workload name {name:?}"),
                "name each workload",
            ));
        }
        let namespace = match f.get("namespace") {
            Some(n) => {
                let ns = ctx.string(n, &format!("{path}.namespace"))?;
                if !namespaces.contains(&ns) {
                    return Err(ctx.error_hint(
                        n.pos,
                        &format!("{path}.namespace"),
                        format!("namespace {ns:?} not found"),
                        format!("add a Namespace manifest named {ns:?} to spec.manifests"),
                    ));
                }
                ns
            }
            None => "default".to_string(),
        };
        let kind = match f.get("kind") {
            Some(n) => match ctx.string(n, &format!("{path}.kind"))?.as_str() {
                "Pod" => OwnerKind::Pod,
                "Job" => OwnerKind::Job,
                other => {
                    return Err(ctx.error(
                        n.pos,
                        &format!("{path}.kind"),
                        format!("unsupported kind {other:?}{}: Pod or Job", crate::suggest::did_you_mean(other, KINDS)),
                    ));
                }
            },
            None => OwnerKind::Pod,
        };
        let scheduler_name = match f.get("schedulerName") {
            Some(n) => {
                let s = ctx.string(n, &format!("{path}.schedulerName"))?;
                crate::api::validation::is_dns1123_subdomain(&s)
                    .map_err(|e| ctx.error(n.pos, &format!("{path}.schedulerName"), e))?;
                s
            }
            None => "default-scheduler".to_string(),
        };
        let mut priority_classes = BTreeMap::new();
        if let Some(n) = f.get("priorityClasses") {
            let ppath = format!("{path}.priorityClasses");
            for (qos, class) in ctx.string_map(n, &ppath)? {
                if !classes.contains(&class) {
                    return Err(ctx.error_hint(
                        n.get(&qos).map_or(n.pos, |v| v.pos),
                        &format!("{ppath}.{qos}"),
                        format!("no PriorityClass {class:?}"),
                        "define the class in spec.manifests",
                    ));
                }
                priority_classes.insert(qos, class);
            }
        }
        let scale = decimal_milli(ctx, f.get("scale"), &format!("{path}.scale"))?;
        let time_scale = decimal_milli(ctx, f.get("timeScale"), &format!("{path}.timeScale"))?;
        let trace_node = f.get("trace");
        let generate_node = f.get("generate");
        f.finish(ctx, &[])?;
        let source = match (trace_node, generate_node) {
            (Some(t), None) => {
                let (display, mut pods) = trace_pods(ctx, t, &format!("{path}.trace"), loader, &mut priorities)?;
                pods.sort_by_key(|p| p.arrival);
                Source::Trace {
                    file: display,
                    pods: Arc::from(pods),
                    scale_milli: scale.unwrap_or(1000),
                    time_scale_milli: time_scale.unwrap_or(1000),
                }
            }
            (None, Some(g)) => {
                if let Some(n) = item.get("scale").or_else(|| item.get("timeScale")) {
                    return Err(ctx.error_hint(
                        n.pos,
                        &path,
                        "scale and timeScale apply to traces",
                        "a generator's rate and count say how many pods arrive",
                    ));
                }
                Source::Generate(decode_generate(ctx, g, &format!("{path}.generate"), loader, &mut priorities)?)
            }
            _ => {
                return Err(ctx.error_hint(
                    item.pos,
                    &path,
                    "a workload needs exactly one of trace and generate",
                    "e.g. {name: batch, trace: {format: csv, file: pods.csv}}",
                ));
            }
        };
        let (pod, job) = prototypes(ctx, &name, &namespace, &scheduler_name)?;
        workloads.push(Workload {
            name,
            namespace,
            kind,
            priority_classes,
            source,
            pod,
            job,
            file: ctx.file.to_string(),
            pos: item.pos,
        });
    }
    let mut extra = Vec::new();
    for (value, pos) in priorities {
        let name = priority_class_name(value);
        if classes.contains(&name) {
            continue;
        }
        let class = crate::api::scheduling::PriorityClass {
            meta: ObjectMeta { name, ..ObjectMeta::default() },
            value,
            global_default: false,
            preemption_policy: crate::api::scheduling::PreemptionPolicy::PreemptLowerPriority,
            description: "made by kubesim for a trace's priority column".into(),
        };
        extra.push(Manifest {
            object: Object::PriorityClass(class),
            file: ctx.file.to_string(),
            pos,
            namespace_pos: pos,
        });
    }
    Ok((workloads, extra))
}

/// The pods of a trace reference `{format: openb|csv, file, limit}` (in file order) and the
/// file's display name; the generic format's priorities are noted in `priorities`.
fn trace_pods(
    ctx: &mut Ctx<'_>,
    node: &YamlNode,
    path: &str,
    loader: &dyn SourceLoader,
    priorities: &mut BTreeMap<i32, Pos>,
) -> DResult<(String, Vec<trace::TracePod>)> {
    let r = decode_trace_ref(ctx, node, path, loader, &["openb", "csv"], None)?;
    let parsed = if r.format == "openb" {
        trace::parse_openb_pods(&r.text, r.limit)
    } else {
        trace::parse_csv_pods(&r.text, r.limit)
    };
    let pods = parsed.map_err(|e| trace_error(ctx, &r.display, path, e))?;
    for p in &pods {
        if let Some(v) = p.priority {
            priorities.entry(v).or_insert(node.pos);
        }
    }
    Ok((r.display, pods))
}

/// A positive decimal with at most three decimals, in thousandths (`1.5` → 1500).
fn decimal_milli(ctx: &Ctx<'_>, node: Option<&YamlNode>, path: &str) -> DResult<Option<u64>> {
    let Some(n) = node else { return Ok(None) };
    let text = ctx.string(n, path)?;
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let ok = !whole.is_empty()
        && frac.len() <= 3
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && whole.len() <= 6;
    let value = ok.then(|| {
        let w: u64 = whole.parse().unwrap_or(0);
        let f: u64 = format!("{frac:0<3}").parse().unwrap_or(0);
        w * 1000 + f
    });
    match value {
        Some(v) if v > 0 => Ok(Some(v)),
        _ => Err(ctx.error_hint(
            n.pos,
            path,
            format!("invalid factor {text:?}"),
            "a positive number with at most three decimals, e.g. 2 or 0.5",
        )),
    }
}

/// The prototype Pod and Job of a workload, decoded like manifests.
fn prototypes(
    ctx: &mut Ctx<'_>,
    name: &str,
    namespace: &str,
    scheduler_name: &str,
) -> DResult<(crate::api::pod::Pod, crate::api::batch::Job)> {
    let spec = format!(
        "{{restartPolicy: Never, schedulerName: {scheduler_name}, containers: [{{name: main, image: trace}}]}}"
    );
    let labels = format!("{{{WORKLOAD_LABEL}: {name}}}");
    let pod_text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {namespace}, labels: {labels}}}\nspec: {spec}\n"
    );
    let job_text = format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}, namespace: {namespace}, labels: {labels}}}\nspec: {{backoffLimit: 0, template: {{metadata: {{labels: {labels}}}, spec: {spec}}}}}\n"
    );
    let decode = |ctx: &mut Ctx<'_>, text: &str| -> DResult<Object> {
        let docs = crate::yaml::parse_stream(text).map_err(|e| DecodeError::yaml(ctx.file, e, None))?;
        let root = &docs[0].root;
        crate::manifest::decode_object(ctx, root)?
            .ok_or_else(|| ctx.error(root.pos, "spec.workload", "internal error: no prototype object"))
    };
    let pod = match decode(ctx, &pod_text)? {
        Object::Pod(p) => p,
        _ => return Err(ctx.error(Pos { line: 1, col: 1 }, "spec.workload", "internal error: not a Pod")),
    };
    let job = match decode(ctx, &job_text)? {
        Object::Job(j) => j,
        _ => return Err(ctx.error(Pos { line: 1, col: 1 }, "spec.workload", "internal error: not a Job")),
    };
    Ok((pod, job))
}

const PROCESSES: [&str; 3] = ["poisson", "mmpp", "diurnal"];

/// A share in percent: `130%` or `130` (a whole number, 1 to 10,000).
fn percent(ctx: &Ctx<'_>, node: &YamlNode, path: &str) -> DResult<u64> {
    let text = ctx.string(node, path)?;
    let digits = text.trim().trim_end_matches('%').trim();
    match digits.parse::<u64>() {
        Ok(v) if (1..=10_000).contains(&v) => Ok(v),
        _ => Err(ctx.error_hint(
            node.pos,
            path,
            format!("invalid percentage {text:?}"),
            "a whole number of percent from 1% to 10000%, e.g. 130%",
        )),
    }
}

fn rate(ctx: &Ctx<'_>, node: &YamlNode, path: &str) -> DResult<f64> {
    let text = ctx.string(node, path)?;
    parse_rate(&text).map_err(|e| ctx.error(node.pos, path, e))
}

fn decode_generate(
    ctx: &mut Ctx<'_>,
    node: &YamlNode,
    path: &str,
    loader: &dyn SourceLoader,
    priorities: &mut BTreeMap<i32, Pos>,
) -> DResult<GenerateSpec> {
    let mut f = ctx.fields(node, path)?;
    let arrivals_node = f.require(ctx, "arrivals", node.pos)?;
    let start = match f.get("start") {
        Some(n) => SimTime::ZERO + ctx.duration(n, &format!("{path}.start"))?,
        None => SimTime::ZERO,
    };
    let count = match f.get("count") {
        Some(n) => Some(ctx.int_in(n, &format!("{path}.count"), 0, 100_000_000)? as u64),
        None => None,
    };
    let until = match f.get("until") {
        Some(n) => Some(SimTime::ZERO + ctx.duration(n, &format!("{path}.until"))?),
        None => None,
    };
    let gpu_requests_percent = match f.get("gpuRequests") {
        Some(n) => Some(percent(ctx, n, &format!("{path}.gpuRequests"))?),
        None => None,
    };
    let sample_node = f.get("sample");
    let cpu_node = f.get("cpu");
    let memory_node = f.get("memory");
    let duration_node = f.get("duration");
    f.finish(ctx, &[])?;
    let shapes = match (sample_node, cpu_node, memory_node) {
        (Some(t), None, None) => {
            let spath = format!("{path}.sample");
            let (file, pods) = trace_pods(ctx, t, &spath, loader, priorities)?;
            if pods.is_empty() {
                return Err(ctx.error_hint(
                    t.pos,
                    &spath,
                    format!("the trace {file} has no rows to sample"),
                    "point sample at a trace with at least one pod",
                ));
            }
            Shapes::Sample { file, pods: Arc::from(pods) }
        }
        (Some(t), _, _) => {
            return Err(ctx.error_hint(
                t.pos,
                &format!("{path}.sample"),
                "sample and cpu/memory are exclusive",
                "sampled pods take cpu, memory and GPUs from the trace row; drop cpu and memory",
            ));
        }
        (None, Some(c), Some(m)) => Shapes::Sizes {
            cpu_milli: decode_size(ctx, c, &format!("{path}.cpu"), true)?,
            memory_bytes: decode_size(ctx, m, &format!("{path}.memory"), false)?,
        },
        (None, c, _) => {
            let missing = if c.is_none() { "cpu" } else { "memory" };
            return Err(ctx.error_hint(
                node.pos,
                &format!("{path}.{missing}"),
                format!("missing field {missing:?}"),
                "give cpu and memory (sizes), or sample: {format: openb, file: pods.csv}",
            ));
        }
    };
    let duration = match duration_node {
        Some(n) => {
            let dpath = format!("{path}.duration");
            let text = ctx.string(n, &dpath)?;
            if text == "trace" {
                if !matches!(shapes, Shapes::Sample { .. }) {
                    return Err(ctx.error_hint(
                        n.pos,
                        &dpath,
                        "duration: trace needs sample",
                        "give a distribution such as exponential(10m), or sample a trace",
                    ));
                }
                Some(RunTime::Trace)
            } else {
                Some(RunTime::Dist(DurationDist::parse(&text).map_err(|e| ctx.error(n.pos, &dpath, e))?))
            }
        }
        None => None,
    };
    let apath = format!("{path}.arrivals");
    if let Some(every) = arrivals_node.get("every") {
        let mut af = ctx.fields(arrivals_node, &apath)?;
        af.get("every");
        af.finish(ctx, &[])?;
        let gap = ctx.duration(every, &format!("{apath}.every"))?;
        if gap.is_zero() {
            return Err(ctx.error(every.pos, &format!("{apath}.every"), "must be positive"));
        }
        let arrivals = ArrivalProcess::Every { gap };
        return Ok(GenerateSpec { arrivals, start, count, until, gpu_requests_percent, shapes, duration });
    }
    let mut af = ctx.fields(arrivals_node, &apath)?;
    let mut found = Vec::new();
    for key in PROCESSES {
        if let Some(v) = af.get(key) {
            found.push((key, v));
        }
    }
    af.finish(ctx, &[])?;
    let [(key, value)] = found.as_slice() else {
        return Err(ctx.error_hint(
            arrivals_node.pos,
            &apath,
            "an arrival process is exactly one of poisson, mmpp, diurnal, every",
            "e.g. {poisson: {rate: 30/m}} or {every: 100ms}",
        ));
    };
    let ppath = format!("{apath}.{key}");
    let mut pf = ctx.fields(value, &ppath)?;
    let arrivals = match *key {
        "poisson" => {
            let r = rate(ctx, pf.require(ctx, "rate", value.pos)?, &format!("{ppath}.rate"))?;
            if r <= 0.0 {
                return Err(ctx.error(value.pos, &format!("{ppath}.rate"), "must be positive"));
            }
            ArrivalProcess::Poisson { rate: r }
        }
        "mmpp" => {
            let rates_node = pf.require(ctx, "rates", value.pos)?;
            let sojourn_node = pf.require(ctx, "meanSojourn", value.pos)?;
            let two = |ctx: &Ctx<'_>, n: &YamlNode, what: &str| -> DResult<[YamlNode; 2]> {
                let items = ctx.seq(n, &format!("{ppath}.{what}"))?;
                match items {
                    [a, b] => Ok([a.clone(), b.clone()]),
                    _ => Err(ctx.error(n.pos, &format!("{ppath}.{what}"), "give exactly two values, one per state")),
                }
            };
            let [r0, r1] = two(ctx, rates_node, "rates")?;
            let [s0, s1] = two(ctx, sojourn_node, "meanSojourn")?;
            let rates = [rate(ctx, &r0, &format!("{ppath}.rates[0]"))?, rate(ctx, &r1, &format!("{ppath}.rates[1]"))?];
            if rates[0] + rates[1] <= 0.0 {
                return Err(ctx.error(rates_node.pos, &format!("{ppath}.rates"), "at least one rate must be positive"));
            }
            let mut sojourn = [crate::kernel::SimDuration::ZERO; 2];
            for (k, s) in [s0, s1].iter().enumerate() {
                let d = ctx.duration(s, &format!("{ppath}.meanSojourn[{k}]"))?;
                if d.is_zero() {
                    return Err(ctx.error(s.pos, &format!("{ppath}.meanSojourn[{k}]"), "must be positive"));
                }
                sojourn[k] = d;
            }
            ArrivalProcess::Mmpp { rates, sojourn }
        }
        _ => {
            let min = rate(ctx, pf.require(ctx, "min", value.pos)?, &format!("{ppath}.min"))?;
            let max_node = pf.require(ctx, "max", value.pos)?;
            let max = rate(ctx, max_node, &format!("{ppath}.max"))?;
            if max <= 0.0 || min > max {
                return Err(ctx.error(max_node.pos, &format!("{ppath}.max"), "must be positive and at least min"));
            }
            let peak_at = match pf.get("peakAt") {
                Some(n) => {
                    let d = ctx.duration(n, &format!("{ppath}.peakAt"))?;
                    if d >= crate::kernel::SimDuration::from_secs(86_400) {
                        return Err(ctx.error(
                            n.pos,
                            &format!("{ppath}.peakAt"),
                            "must be within a day (0s to under 24h)",
                        ));
                    }
                    d
                }
                None => crate::kernel::SimDuration::from_secs(12 * 3600),
            };
            ArrivalProcess::Diurnal { min, max, peak_at }
        }
    };
    pf.finish(ctx, &[])?;
    Ok(GenerateSpec { arrivals, start, count, until, gpu_requests_percent, shapes, duration })
}

/// A size: a quantity, `{choice: [q, ...], weights: [w, ...]}` or `{uniform: [low, high], step: q}`;
/// cpu in millicores, memory in bytes.
fn decode_size(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str, cpu: bool) -> DResult<SizeDist> {
    let amount = |ctx: &Ctx<'_>, n: &YamlNode, p: &str| -> DResult<u64> {
        let q = ctx.quantity(n, p)?;
        let v = if cpu { q.milli_value() } else { q.value() };
        u64::try_from(v).map_err(|_| ctx.error(n.pos, p, "must not be negative"))
    };
    if !matches!(node.value, crate::yaml::Value::Map(_)) {
        return Ok(SizeDist::Fixed(amount(ctx, node, path)?));
    }
    let mut f = ctx.fields(node, path)?;
    let choice = f.get("choice");
    let weights = f.get("weights");
    let uniform = f.get("uniform");
    let step = f.get("step");
    f.finish(ctx, &[])?;
    match (choice, uniform) {
        (Some(c), None) => {
            if step.is_some() {
                return Err(ctx.error(node.pos, path, "step applies to uniform"));
            }
            let mut values = Vec::new();
            for (k, v) in ctx.seq(c, &format!("{path}.choice"))?.iter().enumerate() {
                values.push(amount(ctx, v, &format!("{path}.choice[{k}]"))?);
            }
            if values.is_empty() {
                return Err(ctx.error(c.pos, &format!("{path}.choice"), "give at least one value"));
            }
            let weights = match weights {
                Some(w) => {
                    let items = ctx.seq(w, &format!("{path}.weights"))?;
                    if items.len() != values.len() {
                        return Err(ctx.error(w.pos, &format!("{path}.weights"), "give one weight per value"));
                    }
                    let mut out = Vec::new();
                    for (k, v) in items.iter().enumerate() {
                        out.push(ctx.int_in(v, &format!("{path}.weights[{k}]"), 0, 1_000_000_000)? as u64);
                    }
                    if out.iter().sum::<u64>() == 0 {
                        return Err(ctx.error(
                            w.pos,
                            &format!("{path}.weights"),
                            "at least one weight must be positive",
                        ));
                    }
                    out
                }
                None => vec![1; values.len()],
            };
            Ok(SizeDist::Choice { values, weights })
        }
        (None, Some(u)) => {
            if weights.is_some() {
                return Err(ctx.error(node.pos, path, "weights apply to choice"));
            }
            let items = ctx.seq(u, &format!("{path}.uniform"))?;
            let [lo, hi] = items else {
                return Err(ctx.error(u.pos, &format!("{path}.uniform"), "give [low, high]"));
            };
            let low = amount(ctx, lo, &format!("{path}.uniform[0]"))?;
            let high = amount(ctx, hi, &format!("{path}.uniform[1]"))?;
            if low > high {
                return Err(ctx.error(hi.pos, &format!("{path}.uniform[1]"), "must not be below low"));
            }
            let step = match step {
                Some(s) => amount(ctx, s, &format!("{path}.step"))?,
                None => 1,
            };
            if step == 0 {
                return Err(ctx.error(node.pos, &format!("{path}.step"), "must be positive"));
            }
            Ok(SizeDist::Uniform { low, high, step })
        }
        _ => Err(ctx.error_hint(
            node.pos,
            path,
            "a size is a quantity, {choice: [...]} or {uniform: [low, high]}",
            "e.g. cpu: {choice: [500m, \"1\", \"2\"], weights: [2, 1, 1]}",
        )),
    }
}
