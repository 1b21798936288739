//! Scenario files: `apiVersion: kubesim.io/v1alpha1, kind: Scenario`.
//!
//! A scenario is plain data once loaded: the cluster, the scheduler configuration, the
//! manifests (already decoded and validated), timed events and checks, and the plugin registry
//! its scheduler configuration was checked against. Loading needs file
//! access for `manifests: [{file: ...}]` and `apply: <file>`; that access goes through the
//! [`SourceLoader`] trait so the library itself does no I/O (the CLI passes a loader that reads
//! the file system, tests pass an in-memory one). See `docs/scenario.md` for every field.

pub mod check;
mod load;
mod node_faults;
pub mod pod_faults;
pub mod workload;

pub(crate) use node_faults::next_pool_number;

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::api::meta::{ConditionStatus, Labels, ObjectMeta, ObjectRef};
use crate::api::node::{self, Node};
use crate::decode::{Ctx, DResult, DecodeError, Unmodelled};
use crate::kernel::{SimDuration, SimTime, WallClock};
use crate::manifest::{Manifest, decode_object};
use crate::scheduler::config::{SchedulerConfig, decode_scheduler_config_with};
use crate::scheduler::custom::PluginRegistry;
use crate::yaml::{Node as YamlNode, Pos, parse_stream};
use check::Expectation;

/// The scenario API version this build reads.
pub const API_VERSION: &str = "kubesim.io/v1alpha1";

/// Reads files named by a scenario, relative to the scenario's own location.
pub trait SourceLoader {
    /// Resolves `path` relative to the file `relative_to` and returns (display name, text).
    fn load(&self, relative_to: &str, path: &str) -> Result<(String, String), String>;
}

/// Loads a file the scenario references (`rel`, relative to the scenario file) as (display
/// name, text); a failure is an error at the referencing field `pos` / `path`, keeping the
/// hint a loader's message may end with.
pub(crate) fn load_referenced(
    ctx: &Ctx<'_>,
    loader: &dyn SourceLoader,
    rel: &str,
    pos: Pos,
    path: &str,
) -> DResult<(String, String)> {
    loader.load(ctx.file, rel).map_err(|e| match e.split_once("\n  hint: ") {
        Some((message, hint)) => ctx.error_hint(pos, path, message, hint),
        None => ctx.error(pos, path, e),
    })
}

/// An error inside a referenced file (`display`, e.g. a CSV) at its 1-based `line` and `col`,
/// for the object and field that reference it.
pub(crate) fn error_in_file(
    ctx: &Ctx<'_>,
    display: &str,
    (line, col): (usize, usize),
    path: &str,
    message: String,
    hint: String,
) -> Box<DecodeError> {
    Box::new(DecodeError {
        file: display.to_string(),
        pos: Some(Pos { line: u32::try_from(line).unwrap_or(u32::MAX), col: u32::try_from(col).unwrap_or(u32::MAX) }),
        object: ctx.object.clone(),
        path: path.to_string(),
        message,
        hint: Some(hint),
    })
}

/// A loader that refuses every file: for scenarios given as a string with inline manifests.
pub struct NoFiles;

impl SourceLoader for NoFiles {
    fn load(&self, _relative_to: &str, path: &str) -> Result<(String, String), String> {
        Err(format!("cannot read {path:?}: this scenario was loaded from a string, so manifests must be inline"))
    }
}

/// A scripted event.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// The machine stops: no heartbeats, its containers die.
    FailNode(String),
    /// The machine comes back and the kubelet re-registers.
    RecoverNode(String),
    /// Marks a node unschedulable (`kubectl cordon`).
    Cordon(String),
    /// Clears `unschedulable` (`kubectl uncordon`).
    Uncordon(String),
    /// Creates or updates objects (`kubectl apply`).
    Apply(Vec<Manifest>),
    /// Deletes an object (`kubectl delete`, background propagation).
    Delete(ObjectRef, Propagation),
    /// Sets `spec.replicas` (`kubectl scale`).
    Scale { target: ObjectRef, replicas: i32 },
    /// `kubectl rollout undo deployment/NAME [--to-revision=N]`: the Deployment's template
    /// becomes that of an earlier revision's ReplicaSet (`None`: the previous revision).
    Rollback { target: ObjectRef, to_revision: Option<i64> },
    /// `kubectl drain NODE`: cordon, then evict its pods through the Eviction API, retrying
    /// every 5 s while a PodDisruptionBudget forbids it, until they are gone.
    Drain(DrainOptions),
    /// One call of the Eviction API (`POST pods/NAME/eviction`).
    Evict(ObjectRef),
    /// Every node labelled `topology.kubernetes.io/zone=ZONE` fails as with `failNode`.
    FailZone(String),
    /// Every node of the zone recovers as with `recoverNode`.
    RecoverZone(String),
    /// The kubelet keeps running but cannot reach the API server.
    PartitionNode(String),
    /// The kubelet reaches the API server again.
    HealNode(String),
    /// The kubelet reports a node condition (`Ready=False` when the runtime is down,
    /// `MemoryPressure=True`, ...).
    NodeCondition { node: String, condition: crate::store::NodeConditionType, status: ConditionStatus },
    /// The Node object is deleted (scale-in); with a notice (spot reclamation), the node is
    /// first cordoned and drained, and the machine goes `notice` later.
    RemoveNode { node: String, notice: Option<SimDuration> },
    /// New nodes join (scale-out), named `<pool>-<k>` after the highest such name in use.
    AddNodes(AddNodes),
    /// A pod's liveness or readiness probe fails for a while.
    FailProbe(pod_faults::FailProbe),
    /// Control-plane components are down for a while.
    ControlPlaneOutage(pod_faults::Outage),
}

/// `addNodes`: nodes that join the cluster, with the per-node fields of a node pool.
#[derive(Clone, Debug, PartialEq)]
pub struct AddNodes {
    pub pool: String,
    pub count: usize,
    /// Zones given round-robin by the node's number `k` (`zones[k % len]`), as in pools.
    pub zones: Vec<String>,
    pub fields: crate::manifest::NodeFields,
}

impl AddNodes {
    /// The node numbered `k` of this pool, as `make_node` builds pool nodes.
    pub fn node(&self, k: usize) -> Node {
        let zone = if self.zones.is_empty() { None } else { Some(self.zones[k % self.zones.len()].as_str()) };
        make_node(&format!("{}-{k}", self.pool), zone, Some(&self.pool), self.fields.clone())
    }
}

/// `propagationPolicy` of a deletion (`kubectl delete --cascade=background|foreground|orphan`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Propagation {
    /// The owner goes at once; the garbage collector deletes its dependents.
    Background,
    /// The owner stays (with a `deletionTimestamp`) until the garbage collector has deleted
    /// its dependents, which are deleted in the foreground too.
    Foreground,
    /// The owner goes; its dependents stay, without their owner reference.
    Orphan,
}

impl Propagation {
    pub fn as_str(self) -> &'static str {
        match self {
            Propagation::Background => "background",
            Propagation::Foreground => "foreground",
            Propagation::Orphan => "orphan",
        }
    }
}

/// The flags of `kubectl drain` the simulator honours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrainOptions {
    pub node: String,
    /// `--force`: also delete pods no controller manages (they never come back).
    pub force: bool,
    /// `--ignore-daemonsets`: leave DaemonSet pods (otherwise their presence fails the drain).
    pub ignore_daemonsets: bool,
    /// `--timeout`: give up after this long (`None`: wait forever, kubectl's 0).
    pub timeout: Option<SimDuration>,
    /// `--disable-eviction`: delete pods directly, ignoring PodDisruptionBudgets.
    pub disable_eviction: bool,
}

impl Action {
    /// A short description for logs and the narrative.
    pub fn describe(&self) -> String {
        match self {
            Action::FailNode(n) => format!("failNode {n}"),
            Action::RecoverNode(n) => format!("recoverNode {n}"),
            Action::Cordon(n) => format!("cordon {n}"),
            Action::Uncordon(n) => format!("uncordon {n}"),
            Action::Apply(ms) => {
                let names: Vec<String> = ms.iter().map(|m| m.object.describe()).collect();
                format!("apply {}", names.join(", "))
            }
            Action::Delete(r, Propagation::Background) => format!("delete {r}"),
            Action::Delete(r, p) => format!("delete {r} --cascade={}", p.as_str()),
            Action::Scale { target, replicas } => format!("scale {target} to {replicas}"),
            Action::Rollback { target, to_revision: None } => format!("rollout undo {target}"),
            Action::Rollback { target, to_revision: Some(r) } => format!("rollout undo {target} --to-revision={r}"),
            Action::Drain(o) => {
                let mut text = format!("drain {}", o.node);
                for (on, flag) in [
                    (o.force, " --force"),
                    (o.ignore_daemonsets, " --ignore-daemonsets"),
                    (o.disable_eviction, " --disable-eviction"),
                ] {
                    if on {
                        text.push_str(flag);
                    }
                }
                if let Some(t) = o.timeout {
                    text.push_str(&format!(" --timeout={t}"));
                }
                text
            }
            Action::Evict(r) => format!("evict {r}"),
            Action::FailZone(z) => format!("failZone {z}"),
            Action::RecoverZone(z) => format!("recoverZone {z}"),
            Action::PartitionNode(n) => format!("partitionNode {n}"),
            Action::HealNode(n) => format!("healNode {n}"),
            Action::NodeCondition { node, condition, status } => {
                format!("nodeCondition {node} {}={status}", condition.as_str())
            }
            Action::RemoveNode { node, notice: None } => format!("removeNode {node}"),
            Action::RemoveNode { node, notice: Some(d) } => format!("removeNode {node} --notice={d}"),
            Action::AddNodes(a) => format!("addNodes {} x{}", a.pool, a.count),
            Action::FailProbe(f) => {
                format!("failProbe pod/{}/{} {} for {}", f.namespace, f.pod, f.probe.as_str(), f.duration)
            }
            Action::ControlPlaneOutage(o) => {
                let names: Vec<&str> = o.components.iter().map(|c| c.as_str()).collect();
                format!("controlPlaneOutage {} for {}", names.join(","), o.duration)
            }
        }
    }
}

/// A timed scripted event.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptedEvent {
    pub at: SimTime,
    pub action: Action,
    pub file: String,
    pub pos: Pos,
}

/// When a check is evaluated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckWhen {
    /// At the end of this instant.
    At(SimTime),
    /// At the end of every instant in `[from, to]` at which something happened, and at both
    /// ends: passes if the expectation holds at all of them.
    Always { from: SimTime, to: SimTime },
    /// Passes if the expectation holds at the end of some instant in `[from, to]`.
    Eventually { from: SimTime, to: SimTime },
}

/// An assertion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub when: CheckWhen,
    pub expect: Expectation,
    /// The expectation as written.
    pub text: String,
    pub file: String,
    pub pos: Pos,
}

/// A loaded scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    /// Display name of the scenario file.
    pub file: String,
    pub seed: u64,
    pub until: SimTime,
    /// The calendar instant of virtual time zero (`spec.startTime`), for CronJob schedules.
    pub start_time: WallClock,
    pub max_events: u64,
    pub sample_interval: SimDuration,
    pub nodes: Vec<Node>,
    pub scheduler: SchedulerConfig,
    pub manifests: Vec<Manifest>,
    pub events: Vec<ScriptedEvent>,
    pub checks: Vec<Check>,
    /// `spec.load`: requests offered to Services, in file order.
    pub load: Vec<crate::load::LoadEntry>,
    /// `spec.faults`: the stochastic fault processes, in file order.
    pub faults: Vec<crate::faults::FaultSpec>,
    /// `spec.workload`: pods arriving from traces and generators, in file order.
    pub workloads: Vec<crate::workload::Workload>,
    /// `spec.controllerManager.terminatedPodGCThreshold` (kube-controller-manager's
    /// `--terminated-pod-gc-threshold`): terminated pods kept before the pod garbage collector
    /// deletes the oldest; 0 keeps them all.
    pub terminated_pod_gc_threshold: u32,
    /// Kubernetes fields and kinds accepted but not simulated, listed by `kubesim validate`.
    pub unmodelled: Unmodelled,
    /// The plugin registry the scheduler configuration was checked against; the simulation
    /// builds its plugins from it (`PluginRegistry::new()` for [`Scenario::parse`]).
    pub plugins: Arc<PluginRegistry>,
}

/// Default `until` when a scenario does not say.
pub const DEFAULT_UNTIL: SimDuration = SimDuration::from_secs(3600);
/// Default `spec.startTime`: 2026-01-01T00:00:00Z, as Unix seconds.
pub const DEFAULT_START_TIME_UNIX_SECS: i64 = 1_767_225_600;
/// Default `--terminated-pod-gc-threshold` of kube-controller-manager.
pub const DEFAULT_TERMINATED_POD_GC_THRESHOLD: u32 = 12_500;
/// Default event budget.
pub const DEFAULT_MAX_EVENTS: u64 = 50_000_000;
/// Default sampling interval of `timeseries.csv`.
pub const DEFAULT_SAMPLE_INTERVAL: SimDuration = SimDuration::from_secs(10);
/// At most this many `timeseries.csv` rows per run.
pub const MAX_SAMPLES: u64 = 1_000_000;
/// Runs longer than `DEFAULT_SAMPLE_INTERVAL × DEFAULT_MAX_ROWS` sample less often by default.
const DEFAULT_MAX_ROWS: u64 = 100_000;

/// Rows of `timeseries.csv` for a run to `until` sampled every `interval` (both ends).
pub fn sample_rows(until: SimTime, interval: SimDuration) -> u64 {
    until.as_micros() / interval.as_micros().max(1) + 1
}

/// 10 s, or for very long runs the whole number of seconds that keeps the default table at
/// 100,000 rows.
pub fn default_sample_interval(until: SimTime) -> SimDuration {
    let secs = until.as_micros().div_ceil(DEFAULT_MAX_ROWS * 1_000_000);
    DEFAULT_SAMPLE_INTERVAL.max(SimDuration::from_secs(secs))
}

impl Scenario {
    /// Parses a scenario from text. `file` is the name used in messages and the base for
    /// relative paths given to `loader`.
    pub fn parse(text: &str, file: &str, loader: &dyn SourceLoader) -> Result<Scenario, Box<DecodeError>> {
        Scenario::parse_with(text, file, loader, &PluginRegistry::new())
    }

    /// Like [`parse`](Self::parse), accepting in `spec.scheduler` the plugins registered in
    /// `plugins` as well (and building each once, to check its args). The scenario keeps a
    /// copy of `plugins`, from which [`Simulation::new`](crate::Simulation::new) builds them.
    pub fn parse_with(
        text: &str,
        file: &str,
        loader: &dyn SourceLoader,
        plugins: &PluginRegistry,
    ) -> Result<Scenario, Box<DecodeError>> {
        let yaml_error = |e: crate::yaml::YamlError| {
            let name = e.document.as_ref().and_then(|d| d.get("metadata")?.get("name")?.as_str());
            let object = name.map(|n| format!("Scenario {n}"));
            DecodeError::yaml(file, e, object)
        };
        let docs = parse_stream(text).map_err(yaml_error)?;
        let Some(doc) = docs.first() else {
            return Err(Box::new(DecodeError {
                file: file.to_string(),
                pos: None,
                object: None,
                path: String::new(),
                message: "the scenario file is empty".into(),
                hint: Some(format!("a scenario starts with apiVersion: {API_VERSION} and kind: Scenario")),
            }));
        };
        let mut unmodelled = Unmodelled::new();
        let mut ctx = Ctx::new(file, "Scenario", &mut unmodelled);
        if docs.len() > 1 {
            return Err(ctx.error_hint(
                docs[1].root.pos,
                "",
                "a scenario file holds one document",
                "put manifests in their own files and list them under spec.manifests",
            ));
        }
        let mut scenario = decode_scenario(&mut ctx, &doc.root, loader, plugins)?;
        scenario.unmodelled = unmodelled;
        Ok(scenario)
    }
}

fn decode_scenario(
    ctx: &mut Ctx<'_>,
    root: &YamlNode,
    loader: &dyn SourceLoader,
    plugins: &PluginRegistry,
) -> DResult<Scenario> {
    let mut top = ctx.fields(root, "")?;
    let api = top.require(ctx, "apiVersion", root.pos)?;
    let api_text = ctx.string(api, "apiVersion")?;
    if api_text != API_VERSION {
        return Err(ctx.error_hint(
            api.pos,
            "apiVersion",
            format!("unsupported apiVersion {api_text:?}"),
            format!("write apiVersion: {API_VERSION}"),
        ));
    }
    let kind = top.require(ctx, "kind", root.pos)?;
    let kind_text = ctx.string(kind, "kind")?;
    if kind_text != "Scenario" {
        return Err(ctx.error_hint(
            kind.pos,
            "kind",
            format!("expected kind Scenario, found {kind_text:?}"),
            "Kubernetes manifests go under spec.manifests of a Scenario",
        ));
    }
    let mut name = String::from("scenario");
    if let Some(meta) = top.get("metadata") {
        let mut m = ctx.fields(meta, "metadata")?;
        if let Some(n) = m.get("name") {
            name = ctx.string(n, "metadata.name")?;
            crate::api::validation::is_dns1123_subdomain(&name).map_err(|e| ctx.error(n.pos, "metadata.name", e))?;
        }
        m.finish(ctx, &["labels", "annotations"])?;
    }
    let spec_node = top.require(ctx, "spec", root.pos)?;
    top.finish(ctx, &[])?;
    ctx.object = Some(format!("Scenario {name}"));

    let mut f = ctx.fields(spec_node, "spec")?;
    let seed = match f.get("seed") {
        Some(n) => ctx.int_in(n, "spec.seed", 0, i64::MAX)? as u64,
        None => 1,
    };
    let until = match f.get("until") {
        Some(n) => {
            let d = ctx.duration(n, "spec.until")?;
            if d.is_zero() {
                return Err(ctx.error(n.pos, "spec.until", "must be greater than zero"));
            }
            if d > SimDuration::from_secs(100 * 365 * 86_400) {
                return Err(ctx.error(n.pos, "spec.until", "must be at most 100 years"));
            }
            d
        }
        None => DEFAULT_UNTIL,
    };
    let until = SimTime::ZERO + until;
    let start_time = match f.get("startTime") {
        Some(n) => decode_start_time(ctx, n, until)?,
        None => WallClock::from_unix_micros(DEFAULT_START_TIME_UNIX_SECS * 1_000_000),
    };
    let max_events = match f.get("maxEvents") {
        Some(n) => ctx.int_in(n, "spec.maxEvents", 1, i64::MAX)? as u64,
        None => DEFAULT_MAX_EVENTS,
    };
    let sample_interval = match f.get("sampleInterval") {
        Some(n) => {
            let d = ctx.duration(n, "spec.sampleInterval")?;
            if d < SimDuration::from_millis(1) {
                return Err(ctx.error(n.pos, "spec.sampleInterval", "must be at least 1ms"));
            }
            let rows = sample_rows(until, d);
            if rows > MAX_SAMPLES {
                return Err(ctx.error_hint(
                    n.pos,
                    "spec.sampleInterval",
                    format!("timeseries.csv would have {rows} rows (at most {MAX_SAMPLES})"),
                    "raise spec.sampleInterval or shorten spec.until",
                ));
            }
            d
        }
        None => default_sample_interval(until),
    };
    let cluster = f.require(ctx, "cluster", spec_node.pos)?;
    let nodes = decode_cluster(ctx, cluster, loader)?;
    let scheduler = match f.get("scheduler") {
        Some(n) => decode_scheduler_config_with(ctx, n, "spec.scheduler", plugins)?,
        None => SchedulerConfig::default(),
    };
    let mut manifests = Vec::new();
    if let Some(list) = f.get("manifests") {
        for (i, item) in ctx.seq(list, "spec.manifests")?.iter().enumerate() {
            manifests.extend(decode_manifest_ref(ctx, item, &format!("spec.manifests[{i}]"), loader)?);
        }
    }
    // Node events may name a node of the cluster or of a Node manifest.
    let node_names: BTreeSet<&str> = nodes
        .iter()
        .map(|n| n.meta.name.as_str())
        .chain(manifests.iter().filter_map(|m| match &m.object {
            crate::manifest::Object::Node(x) => Some(x.meta.name.as_str()),
            _ => None,
        }))
        .collect();
    let mut events = Vec::new();
    if let Some(list) = f.get("events") {
        let items = ctx.seq(list, "spec.events")?;
        let mut decoded = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            decoded.push(decode_event(ctx, item, &format!("spec.events[{i}]"), loader)?);
        }
        // Nodes that scripted `addNodes` create may be named by other events, and so may the
        // zones they bring.
        let added = node_faults::added_node_names(&nodes, &manifests, &decoded);
        let mut node_names = node_names.clone();
        node_names.extend(added.iter().map(String::as_str));
        let zones = node_faults::known_zones(&nodes, &manifests, &decoded);
        for (i, (ev, item)) in decoded.into_iter().zip(items.iter()).enumerate() {
            check_node_event(ctx, &ev.action, item, &format!("spec.events[{i}]"), &node_names)?;
            node_faults::check_zone_event(ctx, &ev.action, item, &format!("spec.events[{i}]"), &zones)?;
            if ev.at > until {
                ctx.note_unmodelled(&format!("spec.events[{i}] (after spec.until: never happens)"));
            }
            events.push(ev);
        }
    }
    let load = match f.get("load") {
        Some(list) => load::decode_load(ctx, list, loader, &manifests, &events)?,
        None => Vec::new(),
    };
    let faults = match f.get("faults") {
        Some(list) => {
            let mut objects: Vec<crate::api::meta::ObjectRef> = manifests
                .iter()
                .map(|m| &m.object)
                .chain(events.iter().flat_map(|e| match &e.action {
                    Action::Apply(ms) => ms.iter().map(|m| &m.object).collect::<Vec<_>>(),
                    _ => Vec::new(),
                }))
                .map(|o| crate::api::meta::ObjectRef {
                    kind: o.kind(),
                    namespace: o.meta().namespace.clone(),
                    name: o.meta().name.clone(),
                })
                .collect();
            objects.sort();
            objects.dedup();
            let known = crate::faults::FaultContext {
                nodes: &nodes,
                manifest_nodes: manifests
                    .iter()
                    .filter_map(|m| match &m.object {
                        crate::manifest::Object::Node(x) => Some(x.meta.name.as_str()),
                        _ => None,
                    })
                    .collect(),
                objects,
            };
            crate::faults::decode_faults(ctx, list, loader, &known)?
        }
        None => Vec::new(),
    };
    let workloads = match f.get("workload") {
        Some(list) => {
            let (workloads, classes) = workload::decode_workloads(ctx, list, loader, &manifests)?;
            manifests.extend(classes);
            workloads
        }
        None => Vec::new(),
    };
    let mut checks = Vec::new();
    if let Some(list) = f.get("checks") {
        for (i, item) in ctx.seq(list, "spec.checks")?.iter().enumerate() {
            let c = decode_check(ctx, item, &format!("spec.checks[{i}]"))?;
            let last = match c.when {
                CheckWhen::At(t) => t,
                CheckWhen::Always { to, .. } | CheckWhen::Eventually { to, .. } => to,
            };
            if last > until {
                let key = if matches!(c.when, CheckWhen::At(_)) { "at" } else { "to" };
                return Err(ctx.error_hint(
                    item.get(key).map_or(item.pos, |n| n.pos),
                    &format!("spec.checks[{i}].{key}"),
                    "the check's time is after spec.until",
                    "raise spec.until or move the check",
                ));
            }
            checks.push(c);
        }
    }
    let terminated_pod_gc_threshold = match f.get("controllerManager") {
        Some(n) => {
            let mut cm = ctx.fields(n, "spec.controllerManager")?;
            let threshold = match cm.get("terminatedPodGCThreshold") {
                Some(t) => {
                    ctx.int_in(t, "spec.controllerManager.terminatedPodGCThreshold", 0, i64::from(u32::MAX))? as u32
                }
                None => DEFAULT_TERMINATED_POD_GC_THRESHOLD,
            };
            cm.finish(ctx, &[])?;
            threshold
        }
        None => DEFAULT_TERMINATED_POD_GC_THRESHOLD,
    };
    f.finish(ctx, &[])?;
    check_references(&nodes, &manifests, &checks)?;
    Ok(Scenario {
        name,
        file: ctx.file.to_string(),
        seed,
        until,
        start_time,
        max_events,
        sample_interval,
        nodes,
        scheduler,
        manifests,
        events,
        checks,
        load,
        faults,
        workloads,
        terminated_pod_gc_threshold,
        unmodelled: Unmodelled::new(),
        plugins: Arc::new(plugins.clone()),
    })
}

/// `spec.startTime`: an RFC 3339 instant (`2026-03-02T00:00:00Z`, `2026-03-02T01:00:00+01:00`),
/// such that CronJob schedules can be evaluated over the whole run (years 1 to 9990).
fn decode_start_time(ctx: &Ctx<'_>, node: &YamlNode, until: SimTime) -> DResult<WallClock> {
    let text = ctx.string(node, "spec.startTime")?;
    let hint = "write an RFC 3339 instant with its offset, such as 2026-03-02T00:00:00Z";
    let instant: jiff::Timestamp = text.parse().map_err(|e: jiff::Error| {
        ctx.error_hint(node.pos, "spec.startTime", format!("invalid time {text:?}: {e}"), hint)
    })?;
    let start_micros: i64 = instant.as_microsecond();
    let end_secs = (start_micros + until.as_micros() as i64).div_euclid(1_000_000);
    let (min, max) = (crate::api::cron::MIN_UNIX_SECS, crate::api::cron::MAX_UNIX_SECS);
    if start_micros.div_euclid(1_000_000) < min || end_secs > max {
        return Err(ctx.error_hint(
            node.pos,
            "spec.startTime",
            format!("{text:?} is out of range: the run must lie between the years 1 and 9990"),
            hint,
        ));
    }
    Ok(WallClock::from_unix_micros(start_micros))
}

/// `spec.cluster`: explicit nodes then pools, in that order; names must be unique.
fn decode_cluster(ctx: &mut Ctx<'_>, node: &YamlNode, loader: &dyn SourceLoader) -> DResult<Vec<Node>> {
    let mut f = ctx.fields(node, "spec.cluster")?;
    let mut nodes: Vec<Node> = Vec::new();
    // Names seen so far: a pool may add a million nodes, so no linear search per node.
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut add = |ctx: &Ctx<'_>, n: Node, pos: Pos, path: &str, nodes: &mut Vec<Node>| -> DResult<()> {
        if !names.insert(n.meta.name.clone()) {
            return Err(ctx.error_hint(
                pos,
                path,
                format!("duplicate node name {:?}", n.meta.name),
                "node names must be unique; a pool names its nodes <pool>-0, <pool>-1, ...",
            ));
        }
        if nodes.len() >= 1_000_000 {
            return Err(ctx.error(pos, path, "more than 1,000,000 nodes"));
        }
        nodes.push(n);
        Ok(())
    };
    if let Some(list) = f.get("nodes") {
        for (i, item) in ctx.seq(list, "spec.cluster.nodes")?.iter().enumerate() {
            let path = format!("spec.cluster.nodes[{i}]");
            let mut nf = ctx.fields(item, &path)?;
            let name_node = nf.require(ctx, "name", item.pos)?;
            let name = ctx.string(name_node, &format!("{path}.name"))?;
            crate::api::validation::is_dns1123_subdomain(&name)
                .map_err(|e| ctx.error(name_node.pos, &format!("{path}.name"), e))?;
            let zone = match nf.get("zone") {
                Some(z) => Some(ctx.string(z, &format!("{path}.zone"))?),
                None => None,
            };
            let fields = crate::manifest::decode_node_fields(ctx, &mut nf, item.pos)?;
            nf.finish(ctx, &[])?;
            let n = make_node(&name, zone.as_deref(), None, fields);
            add(ctx, n, name_node.pos, &path, &mut nodes)?;
        }
    }
    if let Some(list) = f.get("nodePools") {
        for (i, item) in ctx.seq(list, "spec.cluster.nodePools")?.iter().enumerate() {
            let path = format!("spec.cluster.nodePools[{i}]");
            let mut pf = ctx.fields(item, &path)?;
            let name_node = pf.require(ctx, "name", item.pos)?;
            let pool = ctx.string(name_node, &format!("{path}.name"))?;
            crate::api::validation::is_dns1123_label(&pool)
                .map_err(|e| ctx.error(name_node.pos, &format!("{path}.name"), e))?;
            let count_node = pf.require(ctx, "count", item.pos)?;
            let count = ctx.int_in(count_node, &format!("{path}.count"), 0, 1_000_000)? as usize;
            let mut zones = Vec::new();
            if let Some(z) = pf.get("zones") {
                for zn in ctx.seq(z, &format!("{path}.zones"))? {
                    let zone = ctx.string(zn, &format!("{path}.zones"))?;
                    crate::api::validation::is_valid_label_value(&zone)
                        .map_err(|e| ctx.error(zn.pos, &format!("{path}.zones"), e))?;
                    zones.push(zone);
                }
            }
            let fields = crate::manifest::decode_node_fields(ctx, &mut pf, item.pos)?;
            pf.finish(ctx, &[])?;
            for k in 0..count {
                let name = format!("{pool}-{k}");
                let zone = if zones.is_empty() { None } else { Some(zones[k % zones.len()].as_str()) };
                let n = make_node(&name, zone, Some(&pool), fields.clone());
                add(ctx, n, name_node.pos, &path, &mut nodes)?;
            }
        }
    }
    if let Some(t) = f.get("trace") {
        // A trace's node list (`docs/traces.md`), after the explicit nodes and pools.
        for (n, pos) in workload::decode_cluster_trace(ctx, t, loader)? {
            add(ctx, n, pos, "spec.cluster.trace", &mut nodes)?;
        }
    }
    f.finish(ctx, &[])?;
    if nodes.is_empty() {
        return Err(ctx.error_hint(
            node.pos,
            "spec.cluster",
            "the cluster has no nodes",
            "add spec.cluster.nodes, spec.cluster.nodePools or spec.cluster.trace",
        ));
    }
    Ok(nodes)
}

fn make_node(name: &str, zone: Option<&str>, pool: Option<&str>, fields: crate::manifest::NodeFields) -> Node {
    let mut labels: Labels = fields.labels.clone();
    labels.entry_or_insert_with(node::labels::HOSTNAME.to_string(), || name.to_string());
    if let Some(zone) = zone {
        labels.insert(node::labels::ZONE.to_string(), zone.to_string());
    }
    if let Some(pool) = pool {
        labels.insert(node::labels::POOL.to_string(), pool.to_string());
    }
    let meta = ObjectMeta { name: name.to_string(), labels, ..ObjectMeta::default() };
    crate::manifest::build_node(meta, fields)
}

/// `{file: path}` or `{inline: object}`.
fn decode_manifest_ref(
    ctx: &mut Ctx<'_>,
    node: &YamlNode,
    path: &str,
    loader: &dyn SourceLoader,
) -> DResult<Vec<Manifest>> {
    let mut f = ctx.fields(node, path)?;
    let file = f.get("file");
    let inline = f.get("inline");
    f.finish(ctx, &[])?;
    match (file, inline) {
        (Some(file_node), None) => {
            let rel = ctx.string(file_node, &format!("{path}.file"))?;
            load_manifest_file(ctx, &rel, file_node.pos, &format!("{path}.file"), loader)
        }
        (None, Some(obj)) => {
            let saved = ctx.object.take();
            let result = decode_object(ctx, obj);
            ctx.object = saved;
            Ok(result?.into_iter().map(|object| Manifest::new(object, ctx.file, obj)).collect())
        }
        _ => Err(ctx.error_hint(
            node.pos,
            path,
            "a manifest entry needs exactly one of file or inline",
            "e.g. - file: manifests/app.yaml",
        )),
    }
}

/// Reads a multi-document manifest file through the loader and decodes every document.
fn load_manifest_file(
    ctx: &mut Ctx<'_>,
    rel: &str,
    pos: Pos,
    path: &str,
    loader: &dyn SourceLoader,
) -> DResult<Vec<Manifest>> {
    let (display, text) = load_referenced(ctx, loader, rel, pos, path)?;
    let docs = parse_stream(&text).map_err(|e| {
        let object = e.document.as_ref().and_then(crate::manifest::describe_document);
        DecodeError::yaml(&display, e, object)
    })?;
    if docs.is_empty() {
        // `kubectl apply -f` refuses such a file too ("no objects passed to apply").
        return Err(ctx.error_hint(
            pos,
            path,
            format!("{display} holds no objects"),
            "a manifest file holds Kubernetes objects separated by ---; remove this entry if the file is meant to be empty",
        ));
    }
    let mut out = Vec::new();
    for doc in &docs {
        let mut inner = Ctx { file: &display, object: None, kind: "manifest", unmodelled: ctx.unmodelled };
        if let Some(object) = decode_object(&mut inner, &doc.root)? {
            out.push(Manifest::new(object, &display, &doc.root));
        }
    }
    Ok(out)
}

const EVENT_KEYS: [&str; 19] = [
    "failNode",
    "recoverNode",
    "cordon",
    "uncordon",
    "apply",
    "delete",
    "scale",
    "rollback",
    "drain",
    "evict",
    "failZone",
    "recoverZone",
    "partitionNode",
    "healNode",
    "nodeCondition",
    "removeNode",
    "addNodes",
    "failProbe",
    "controlPlaneOutage",
];

fn decode_event(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str, loader: &dyn SourceLoader) -> DResult<ScriptedEvent> {
    let mut f = ctx.fields(node, path)?;
    let at_node = f.require(ctx, "at", node.pos)?;
    let at = SimTime::ZERO + ctx.duration(at_node, &format!("{path}.at"))?;
    let mut found: Vec<(&'static str, &YamlNode)> = Vec::new();
    for key in EVENT_KEYS {
        if let Some(v) = f.get(key) {
            found.push((key, v));
        }
    }
    f.finish(ctx, &[])?;
    let [(key, value)] = found.as_slice() else {
        return Err(ctx.error_hint(
            node.pos,
            path,
            if found.is_empty() {
                "the event does nothing".to_string()
            } else {
                "an event does exactly one thing".to_string()
            },
            format!("write one of: {}", EVENT_KEYS.join(", ")),
        ));
    };
    let vpath = format!("{path}.{key}");
    let action = match *key {
        "failNode" => Action::FailNode(ctx.string(value, &vpath)?),
        "recoverNode" => Action::RecoverNode(ctx.string(value, &vpath)?),
        "cordon" => Action::Cordon(ctx.string(value, &vpath)?),
        "uncordon" => Action::Uncordon(ctx.string(value, &vpath)?),
        "failZone" | "recoverZone" | "partitionNode" | "healNode" | "nodeCondition" | "removeNode" | "addNodes" => {
            node_faults::decode_fault(ctx, key, value, &vpath)?
        }
        "apply" => match &value.value {
            crate::yaml::Value::Scalar(s) => {
                Action::Apply(load_manifest_file(ctx, &s.text.clone(), value.pos, &vpath, loader)?)
            }
            _ => {
                let saved = ctx.object.take();
                let result = decode_object(ctx, value);
                ctx.object = saved;
                Action::Apply(result?.into_iter().map(|object| Manifest::new(object, ctx.file, value)).collect())
            }
        },
        "delete" => {
            // `delete: KIND/NS/NAME` or `delete: {target: KIND/NS/NAME, propagationPolicy: ...}`.
            let value: &YamlNode = value;
            let (target_node, tpath, propagation) = match &value.value {
                crate::yaml::Value::Scalar(_) => (value, vpath.clone(), Propagation::Background),
                _ => {
                    let mut df = ctx.fields(value, &vpath)?;
                    let target_node = df.require(ctx, "target", value.pos)?;
                    let propagation = match df.get("propagationPolicy") {
                        None => Propagation::Background,
                        Some(n) => match ctx.string(n, &format!("{vpath}.propagationPolicy"))?.as_str() {
                            "Background" => Propagation::Background,
                            "Foreground" => Propagation::Foreground,
                            "Orphan" => Propagation::Orphan,
                            other => {
                                return Err(ctx.error(
                                    n.pos,
                                    &format!("{vpath}.propagationPolicy"),
                                    format!(
                                        "unsupported value {other:?}{}: supported values: \"Background\", \"Foreground\", \"Orphan\"",
                                        crate::suggest::did_you_mean(other, ["Background", "Foreground", "Orphan"])
                                    ),
                                ));
                            }
                        },
                    };
                    df.finish(ctx, &[])?;
                    (target_node, format!("{vpath}.target"), propagation)
                }
            };
            let text = ctx.string(target_node, &tpath)?;
            let target = ObjectRef::parse(&text).map_err(|e| ctx.error(target_node.pos, &tpath, e))?;
            Action::Delete(target, propagation)
        }
        "drain" => {
            // `drain: NODE` or `drain: {node, force, ignoreDaemonSets, timeout, disableEviction}`.
            let value: &YamlNode = value;
            match &value.value {
                crate::yaml::Value::Scalar(_) => Action::Drain(DrainOptions {
                    node: ctx.string(value, &vpath)?,
                    force: false,
                    ignore_daemonsets: false,
                    timeout: None,
                    disable_eviction: false,
                }),
                _ => {
                    let mut df = ctx.fields(value, &vpath)?;
                    let node_name = ctx.string(df.require(ctx, "node", value.pos)?, &format!("{vpath}.node"))?;
                    let mut flag = |key: &'static str| -> DResult<bool> {
                        match df.get(key) {
                            Some(n) => ctx.bool(n, &format!("{vpath}.{key}")),
                            None => Ok(false),
                        }
                    };
                    let force = flag("force")?;
                    let ignore_daemonsets = flag("ignoreDaemonSets")?;
                    let disable_eviction = flag("disableEviction")?;
                    let timeout = match df.get("timeout") {
                        Some(n) => Some(ctx.duration(n, &format!("{vpath}.timeout"))?).filter(|d| !d.is_zero()),
                        None => None,
                    };
                    df.finish(ctx, &[])?;
                    Action::Drain(DrainOptions { node: node_name, force, ignore_daemonsets, timeout, disable_eviction })
                }
            }
        }
        "failProbe" => Action::FailProbe(pod_faults::decode_fail_probe(ctx, value, &vpath)?),
        "controlPlaneOutage" => Action::ControlPlaneOutage(pod_faults::decode_outage(ctx, value, &vpath)?),
        "evict" => {
            let text = ctx.string(value, &vpath)?;
            let target = ObjectRef::parse(&text).map_err(|e| ctx.error(value.pos, &vpath, e))?;
            if target.kind != crate::api::meta::Kind::Pod {
                return Err(ctx.error(value.pos, &vpath, format!("cannot evict a {}: only pods", target.kind)));
            }
            Action::Evict(target)
        }
        "rollback" => {
            // `rollback: deployment/NS/NAME` or `rollback: {target: ..., toRevision: N}`.
            let value: &YamlNode = value;
            let (target_node, to_revision) = match &value.value {
                crate::yaml::Value::Scalar(_) => (value, None),
                _ => {
                    let mut rf = ctx.fields(value, &vpath)?;
                    let target_node = rf.require(ctx, "target", value.pos)?;
                    let to_revision = match rf.get("toRevision") {
                        Some(n) => Some(ctx.int_in(n, &format!("{vpath}.toRevision"), 1, i64::MAX)?),
                        None => None,
                    };
                    rf.finish(ctx, &[])?;
                    (target_node, to_revision)
                }
            };
            let tpath = if to_revision.is_none() && matches!(value.value, crate::yaml::Value::Scalar(_)) {
                vpath.clone()
            } else {
                format!("{vpath}.target")
            };
            let text = ctx.string(target_node, &tpath)?;
            let target = ObjectRef::parse(&text).map_err(|e| ctx.error(target_node.pos, &tpath, e))?;
            if target.kind != crate::api::meta::Kind::Deployment {
                return Err(ctx.error_hint(
                    target_node.pos,
                    &tpath,
                    format!("cannot roll back a {}: only deployments", target.kind),
                    "write deployment/<namespace>/<name>",
                ));
            }
            Action::Rollback { target, to_revision }
        }
        _ => {
            let mut sf = ctx.fields(value, &vpath)?;
            let target_node = sf.require(ctx, "target", value.pos)?;
            let text = ctx.string(target_node, &format!("{vpath}.target"))?;
            let target =
                ObjectRef::parse(&text).map_err(|e| ctx.error(target_node.pos, &format!("{vpath}.target"), e))?;
            use crate::api::meta::Kind;
            if !matches!(target.kind, Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet) {
                return Err(ctx.error(
                    target_node.pos,
                    &format!("{vpath}.target"),
                    format!("cannot scale a {}: only deployments, replicasets and statefulsets", target.kind),
                ));
            }
            let replicas =
                ctx.non_negative_int32(sf.require(ctx, "replicas", value.pos)?, &format!("{vpath}.replicas"))?;
            sf.finish(ctx, &[])?;
            Action::Scale { target, replicas }
        }
    };
    if let Action::Apply(ms) = &action
        && ms.is_empty()
    {
        return Err(ctx.error(value.pos, &vpath, "nothing to apply: the manifest has no objects the simulator uses"));
    }
    Ok(ScriptedEvent { at, action, file: ctx.file.to_string(), pos: node.pos })
}

fn decode_check(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<Check> {
    let mut f = ctx.fields(node, path)?;
    let at = f.get("at");
    let from = f.get("from");
    let to = f.get("to");
    let mode = f.get("mode");
    let expect_node = f.require(ctx, "expect", node.pos)?;
    f.finish(ctx, &[])?;
    let text = ctx.string(expect_node, &format!("{path}.expect"))?;
    let expect =
        check::parse_expectation(&text).map_err(|e| ctx.error(expect_node.pos, &format!("{path}.expect"), e))?;
    let time = |n: &YamlNode, key: &str| ctx.duration(n, &format!("{path}.{key}")).map(|d| SimTime::ZERO + d);
    let when = match (at, from, to) {
        (Some(a), None, None) => {
            if mode.is_some() {
                return Err(ctx.error(node.pos, path, "mode applies to from/to windows, not to at"));
            }
            CheckWhen::At(time(a, "at")?)
        }
        (None, Some(fr), Some(t)) => {
            let (from, to) = (time(fr, "from")?, time(t, "to")?);
            if to < from {
                return Err(ctx.error(t.pos, &format!("{path}.to"), "must not be before from"));
            }
            let mode_text = match mode {
                Some(m) => ctx.string(m, &format!("{path}.mode"))?,
                None => "always".to_string(),
            };
            match mode_text.as_str() {
                "always" => CheckWhen::Always { from, to },
                "eventually" => CheckWhen::Eventually { from, to },
                other => {
                    return Err(ctx.error(
                        mode.map_or(node.pos, |m| m.pos),
                        &format!("{path}.mode"),
                        format!("unknown mode {other:?}: use always or eventually"),
                    ));
                }
            }
        }
        _ => {
            return Err(ctx.error_hint(
                node.pos,
                path,
                "a check needs either at, or from and to",
                "e.g. {at: 20m, expect: \"...\"}",
            ));
        }
    };
    Ok(Check { when, expect, text, file: ctx.file.to_string(), pos: node.pos })
}

/// A scripted node event (`failNode: n1`, ...) names a node of the cluster or of a Node manifest.
fn check_node_event(
    ctx: &Ctx<'_>,
    action: &Action,
    item: &YamlNode,
    path: &str,
    node_names: &BTreeSet<&str>,
) -> DResult<()> {
    let (key, name) = match action {
        Action::FailNode(n) => ("failNode", n),
        Action::RecoverNode(n) => ("recoverNode", n),
        Action::Cordon(n) => ("cordon", n),
        Action::Uncordon(n) => ("uncordon", n),
        Action::Drain(o) => ("drain", &o.node),
        Action::PartitionNode(n) => ("partitionNode", n),
        Action::HealNode(n) => ("healNode", n),
        Action::NodeCondition { node, .. } => ("nodeCondition", node),
        Action::RemoveNode { node, .. } => ("removeNode", node),
        _ => return Ok(()),
    };
    if node_names.contains(name.as_str()) {
        return Ok(());
    }
    let examples: Vec<&str> = node_names.iter().copied().take(5).collect();
    // In a mapping (`removeNode: {node: ...}`), point at the node's name.
    let value = item.get(key);
    let named = value.and_then(|v| v.get("node"));
    let field = if named.is_some() { format!("{path}.{key}.node") } else { format!("{path}.{key}") };
    Err(ctx.error_hint(
        named.or(value).map_or(item.pos, |n| n.pos),
        &field,
        format!("no node named {name:?}{}", crate::suggest::did_you_mean(name, node_names.iter().copied())),
        format!("nodes come from spec.cluster and Node manifests, e.g. {}", examples.join(", ")),
    ))
}

/// Cross-references: manifest objects are unique; namespaced objects live in a namespace that
/// exists or is created by a manifest.
fn check_references(nodes: &[Node], manifests: &[Manifest], _checks: &[Check]) -> DResult<()> {
    let node_names: BTreeSet<&str> = nodes.iter().map(|n| n.meta.name.as_str()).collect();
    let mut seen: std::collections::BTreeMap<(crate::api::meta::Kind, String), &Manifest> =
        std::collections::BTreeMap::new();
    for m in manifests {
        let key = (m.object.kind(), m.object.meta().key());
        if m.object.meta().annotations.contains_key(crate::manifest::GENERATE_NAME) {
            continue;
        }
        if let Some(first) = seen.get(&key) {
            return Err(Box::new(DecodeError {
                file: m.file.clone(),
                pos: Some(m.pos),
                object: Some(m.object.describe()),
                path: String::new(),
                message: format!("duplicate object (first defined in {} at line {})", first.file, first.pos.line),
                hint: Some(
                    "object names must be unique per kind and namespace; use an apply event to change an object later"
                        .into(),
                ),
            }));
        }
        if let crate::manifest::Object::Node(n) = &m.object
            && node_names.contains(n.meta.name.as_str())
        {
            return Err(Box::new(DecodeError {
                file: m.file.clone(),
                pos: Some(m.pos),
                object: Some(m.object.describe()),
                path: String::new(),
                message: "a node with this name is already defined in spec.cluster".into(),
                hint: None,
            }));
        }
        seen.insert(key, m);
    }
    let namespaces: BTreeSet<String> = crate::api::service::INITIAL_NAMESPACES
        .iter()
        .map(|s| s.to_string())
        .chain(manifests.iter().filter_map(|m| match &m.object {
            crate::manifest::Object::Namespace(n) => Some(n.meta.name.clone()),
            _ => None,
        }))
        .collect();
    for m in manifests {
        let ns = &m.object.meta().namespace;
        if m.object.kind().is_namespaced() && !namespaces.contains(ns) {
            return Err(Box::new(DecodeError {
                file: m.file.clone(),
                pos: Some(m.namespace_pos),
                object: Some(m.object.describe()),
                path: "metadata.namespace".into(),
                message: format!("namespace {ns:?} not found"),
                hint: Some(format!("add a Namespace manifest named {ns:?} to spec.manifests")),
            }));
        }
    }
    Ok(())
}

/// Shared, immutable scenario data handed to a simulation.
pub type SharedScenario = Arc<Scenario>;

#[cfg(test)]
mod tests {
    use super::*;

    fn with_start(start: Option<&str>) -> Result<Scenario, Box<DecodeError>> {
        let start = start.map(|s| format!("  startTime: {s}\n")).unwrap_or_default();
        let text = format!(
            "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nspec:\n{start}  cluster:\n    nodes: [{{name: n1, allocatable: {{cpu: \"1\"}}}}]\n"
        );
        Scenario::parse(&text, "s.yaml", &NoFiles)
    }

    #[test]
    fn start_time_maps_virtual_time_zero_to_a_calendar_instant() {
        let unix_secs = |s: &Scenario| s.start_time.unix_secs(SimTime::ZERO);
        assert_eq!(unix_secs(&with_start(None).unwrap()), DEFAULT_START_TIME_UNIX_SECS);
        assert_eq!(unix_secs(&with_start(Some("2026-03-02T00:00:00Z")).unwrap()), 1_772_409_600);
        // An offset is part of the instant: 01:00+01:00 is 00:00Z.
        assert_eq!(unix_secs(&with_start(Some("2026-03-02T01:00:00+01:00")).unwrap()), 1_772_409_600);
        let e = with_start(Some("2026-03-02")).unwrap_err();
        assert_eq!((e.path.as_str(), e.pos.map(|p| p.line)), ("spec.startTime", Some(4)), "{e}");
        assert!(e.to_string().contains("hint: write an RFC 3339 instant"), "{e}");
        let e = with_start(Some("9995-01-01T00:00:00Z")).unwrap_err();
        assert!(e.message.contains("out of range"), "{e}");
    }
}
