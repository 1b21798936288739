//! Stochastic faults (`spec.faults`) and the fault log (`faults.csv`).
//!
//! Each entry of `spec.faults` is a process drawn from the seed:
//!
//! - `nodeFailures`: every node of a pool (or listed, or the whole cluster) alternates between
//!   up and down — up for a draw of `timeToFailure`, then down for a draw of `timeToRepair` —
//!   independently of the other nodes (an alternating renewal process per node);
//! - `zoneFailures`: the same per zone, every node of the zone going down together (correlated
//!   failures);
//! - `podCrashes`: a workload's running containers crash, one at a time, `timeBetweenCrashes`
//!   apart; the victim is drawn among the workload's running pods.
//!
//! **Common random numbers.** Every draw comes from its own keyed stream
//! (`faults/<entry>/<member>`, draw `k`), so a member's fault times depend only on the seed,
//! the entry and the member's name: never on the scheduling policy, on the other members, or
//! on anything the run did. Two policies compared on one seed see exactly the same node and
//! zone faults at the same instants, and pod crashes at the same instants (which pod is hit
//! depends on where the workload's pods are, so only that may differ).
//!
//! A node may be held down by several faults at once (its own failure and its zone's): it goes
//! down at the first and comes back when the last is repaired. Scripted `failNode` /
//! `recoverNode` events act at once, whatever the processes hold.

use std::sync::Arc;

use crate::api::meta::{Kind, ObjectRef};
use crate::decode::{Ctx, DResult};
use crate::kernel::dist::{DurationDist, parse_empirical};
use crate::kernel::{SimDuration, SimTime, Streams};
use crate::scenario::SourceLoader;
use crate::yaml::{Node as YamlNode, Pos};

/// The name of the keyed stream every fault draw comes from.
pub const STREAM: &str = "faults";

/// Which nodes a `nodeFailures` entry covers.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeScope {
    /// Every node of `spec.cluster` (and the Node manifests), at the start of the run.
    All,
    /// The nodes of a `spec.cluster.nodePools` entry.
    Pool(String),
    /// These nodes.
    Nodes(Vec<String>),
}

/// One `spec.faults` entry.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultProcess {
    NodeFailures {
        scope: NodeScope,
        time_to_failure: DurationDist,
        time_to_repair: DurationDist,
    },
    /// `zones` empty: every zone of the cluster.
    ZoneFailures {
        zones: Vec<String>,
        time_to_failure: DurationDist,
        time_to_repair: DurationDist,
    },
    PodCrashes {
        target: ObjectRef,
        time_between: DurationDist,
        exit_code: i32,
    },
    /// Per node, alternating: a kubelet-level fault (`kind`), then its end.
    NodeEvents {
        kind: NodeEventKind,
        scope: NodeScope,
        time_to_failure: DurationDist,
        time_to_repair: DurationDist,
    },
    /// Per node, once: the node is reclaimed (`removeNode` with `notice`) after a draw of
    /// `time_to_reclaim`.
    SpotReclamations {
        scope: NodeScope,
        time_to_reclaim: DurationDist,
        notice: SimDuration,
    },
    /// Control-plane outages of `components`, `time_to_failure` apart, each lasting a draw of
    /// `duration`.
    ControlPlaneOutages {
        components: Vec<crate::control_plane::Component>,
        time_to_failure: DurationDist,
        duration: DurationDist,
    },
}

/// The kubelet-level faults a `NodeEvents` process draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeEventKind {
    /// `partitionNode` then `healNode`.
    Partition,
    /// `nodeCondition` Ready=False (the container runtime is down) then Ready=True.
    KubeletNotReady,
}

/// A decoded `spec.faults` entry with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpec {
    pub process: FaultProcess,
    pub file: String,
    pub pos: Pos,
}

/// The kinds whose pods a `podCrashes` entry may crash.
const CRASH_TARGETS: [Kind; 5] = [Kind::Deployment, Kind::ReplicaSet, Kind::StatefulSet, Kind::DaemonSet, Kind::Job];

/// What the scenario knows when it decodes `spec.faults`, to check names against.
pub struct FaultContext<'a> {
    pub nodes: &'a [crate::api::node::Node],
    /// Node names of the Node manifests.
    pub manifest_nodes: Vec<&'a str>,
    /// `kind/namespace/name` of every object of the manifests and `apply` events.
    pub objects: Vec<ObjectRef>,
}

/// The keys of a `spec.faults` entry, one per process kind.
pub const FAULT_KINDS: [&str; 7] = [
    "nodeFailures",
    "zoneFailures",
    "podCrashes",
    "partitions",
    "kubeletFailures",
    "spotReclamations",
    "controlPlaneOutages",
];

/// Decodes `spec.faults`.
pub fn decode_faults(
    ctx: &mut Ctx<'_>,
    list: &YamlNode,
    loader: &dyn SourceLoader,
    known: &FaultContext<'_>,
) -> DResult<Vec<FaultSpec>> {
    let mut out = Vec::new();
    for (i, item) in ctx.seq(list, "spec.faults")?.iter().enumerate() {
        let path = format!("spec.faults[{i}]");
        let mut f = ctx.fields(item, &path)?;
        let kinds = [
            ("nodeFailures", f.get("nodeFailures")),
            ("zoneFailures", f.get("zoneFailures")),
            ("podCrashes", f.get("podCrashes")),
            ("partitions", f.get("partitions")),
            ("kubeletFailures", f.get("kubeletFailures")),
            ("spotReclamations", f.get("spotReclamations")),
            ("controlPlaneOutages", f.get("controlPlaneOutages")),
        ];
        f.finish(ctx, &[])?;
        let present: Vec<(&str, &YamlNode)> = kinds.iter().filter_map(|(k, v)| v.map(|v| (*k, v))).collect();
        let [(key, body)] = present[..] else {
            return Err(ctx.error_hint(
                item.pos,
                &path,
                format!("a fault entry needs exactly one of {}", FAULT_KINDS.join(", ")),
                "write e.g. - nodeFailures: {pool: workers, timeToFailure: exponential(30d), timeToRepair: 2h}",
            ));
        };
        let path = format!("{path}.{key}");
        let process = match key {
            "nodeFailures" => decode_node_failures(ctx, body, &path, loader, known, None)?,
            "partitions" => decode_node_failures(ctx, body, &path, loader, known, Some(NodeEventKind::Partition))?,
            "kubeletFailures" => {
                decode_node_failures(ctx, body, &path, loader, known, Some(NodeEventKind::KubeletNotReady))?
            }
            "spotReclamations" => decode_spot(ctx, body, &path, loader, known)?,
            "controlPlaneOutages" => decode_outages(ctx, body, &path, loader)?,
            "zoneFailures" => decode_zone_failures(ctx, body, &path, loader, known)?,
            _ => decode_pod_crashes(ctx, body, &path, loader, known)?,
        };
        out.push(FaultSpec { process, file: ctx.file.to_string(), pos: item.pos });
    }
    Ok(out)
}

/// A distribution field: the textual forms of [`DurationDist::parse`], or `empirical(FILE)`
/// (a CSV of observed durations, relative to the scenario file).
fn decode_dist(
    ctx: &Ctx<'_>,
    node: &YamlNode,
    path: &str,
    loader: &dyn SourceLoader,
    positive_mean: bool,
) -> DResult<DurationDist> {
    let text = ctx.string(node, path)?;
    let trimmed = text.trim();
    let dist = if let Some(rest) = trimmed.strip_prefix("empirical(") {
        let Some(file) = rest.strip_suffix(')').map(str::trim).filter(|f| !f.is_empty()) else {
            return Err(ctx.error_hint(
                node.pos,
                path,
                format!("invalid distribution {text:?}"),
                "write empirical(FILE.csv), FILE relative to the scenario",
            ));
        };
        let (display, body) = crate::scenario::load_referenced(ctx, loader, file, node.pos, path)?;
        let values = parse_empirical(&body).map_err(|(line, message)| {
            crate::scenario::error_in_file(
                ctx,
                &display,
                (line, 1),
                path,
                message,
                "one duration per row (90s, 2h, or seconds such as 5400), optionally under a header duration_s".into(),
            )
        })?;
        DurationDist::Empirical(Arc::new(crate::kernel::dist::Observed {
            source: Arc::from(display.as_str()),
            values: values.into(),
        }))
    } else {
        DurationDist::parse(trimmed).map_err(|e| {
            ctx.error_hint(
                node.pos,
                path,
                e,
                "a duration (2h), exponential(mean), weibull(scale, shape), lognormal(median, sigma), uniform(a, b), normal(mean, sd) or empirical(FILE.csv)",
            )
        })?
    };
    // A process whose up times are all zero would fail again at the very instant it is
    // repaired, forever: refuse it rather than hang.
    if positive_mean && dist.mean().is_zero() {
        return Err(ctx.error_hint(
            node.pos,
            path,
            format!("{text:?} has a mean of zero: the fault would repeat forever at one instant"),
            "give a positive time",
        ));
    }
    Ok(dist)
}

/// `nodeFailures` (`kind` `None`), `partitions` and `kubeletFailures`: a node scope and the
/// up and down time distributions.
fn decode_node_failures(
    ctx: &mut Ctx<'_>,
    body: &YamlNode,
    path: &str,
    loader: &dyn SourceLoader,
    known: &FaultContext<'_>,
    kind: Option<NodeEventKind>,
) -> DResult<FaultProcess> {
    let mut f = ctx.fields(body, path)?;
    let pool = f.get("pool");
    let nodes = f.get("nodes");
    let ttf = f.require(ctx, "timeToFailure", body.pos)?;
    let ttr = f.require(ctx, "timeToRepair", body.pos)?;
    f.finish(ctx, &[])?;
    let scope = decode_scope(ctx, pool, nodes, path, known)?;
    let time_to_failure = decode_dist(ctx, ttf, &format!("{path}.timeToFailure"), loader, true)?;
    let time_to_repair = decode_dist(ctx, ttr, &format!("{path}.timeToRepair"), loader, false)?;
    Ok(match kind {
        None => FaultProcess::NodeFailures { scope, time_to_failure, time_to_repair },
        Some(kind) => FaultProcess::NodeEvents { kind, scope, time_to_failure, time_to_repair },
    })
}

/// `spotReclamations`: a node scope, the time until each node is reclaimed, the notice.
fn decode_spot(
    ctx: &mut Ctx<'_>,
    body: &YamlNode,
    path: &str,
    loader: &dyn SourceLoader,
    known: &FaultContext<'_>,
) -> DResult<FaultProcess> {
    let mut f = ctx.fields(body, path)?;
    let pool = f.get("pool");
    let nodes = f.get("nodes");
    let ttr = f.require(ctx, "timeToReclaim", body.pos)?;
    let notice = match f.get("notice") {
        Some(n) => ctx.duration(n, &format!("{path}.notice"))?,
        None => SimDuration::from_secs(120),
    };
    f.finish(ctx, &[])?;
    let scope = decode_scope(ctx, pool, nodes, path, known)?;
    let time_to_reclaim = decode_dist(ctx, ttr, &format!("{path}.timeToReclaim"), loader, true)?;
    Ok(FaultProcess::SpotReclamations { scope, time_to_reclaim, notice })
}

/// `controlPlaneOutages`: components (all when omitted), up time, outage duration.
fn decode_outages(ctx: &mut Ctx<'_>, body: &YamlNode, path: &str, loader: &dyn SourceLoader) -> DResult<FaultProcess> {
    let mut f = ctx.fields(body, path)?;
    let components = f.get("components");
    let ttf = f.require(ctx, "timeToFailure", body.pos)?;
    let dur = f.require(ctx, "duration", body.pos)?;
    f.finish(ctx, &[])?;
    let components = crate::scenario::pod_faults::decode_components(ctx, components, &format!("{path}.components"))?;
    let time_to_failure = decode_dist(ctx, ttf, &format!("{path}.timeToFailure"), loader, true)?;
    let duration = decode_dist(ctx, dur, &format!("{path}.duration"), loader, true)?;
    Ok(FaultProcess::ControlPlaneOutages { components, time_to_failure, duration })
}

/// `pool` (a `spec.cluster.nodePools` name) or `nodes` (names), or neither (every node).
fn decode_scope(
    ctx: &Ctx<'_>,
    pool: Option<&YamlNode>,
    nodes: Option<&YamlNode>,
    path: &str,
    known: &FaultContext<'_>,
) -> DResult<NodeScope> {
    Ok(match (pool, nodes) {
        (Some(_), Some(n)) => {
            return Err(ctx.error_hint(
                n.pos,
                &format!("{path}.nodes"),
                "pool and nodes are exclusive",
                "name a pool, or list nodes, or neither for the whole cluster",
            ));
        }
        (Some(p), None) => {
            let name = ctx.string(p, &format!("{path}.pool"))?;
            let pools: std::collections::BTreeSet<&str> = known
                .nodes
                .iter()
                .filter_map(|n| n.meta.labels.get(crate::api::node::labels::POOL).map(String::as_str))
                .collect();
            if !pools.contains(name.as_str()) {
                return Err(ctx.error_hint(
                    p.pos,
                    &format!("{path}.pool"),
                    format!(
                        "no node pool named {name:?}{}",
                        crate::suggest::did_you_mean(&name, pools.iter().copied())
                    ),
                    "pools are the spec.cluster.nodePools entries",
                ));
            }
            NodeScope::Pool(name)
        }
        (None, Some(list)) => {
            let mut names = Vec::new();
            let all: Vec<&str> =
                known.nodes.iter().map(|n| n.meta.name.as_str()).chain(known.manifest_nodes.iter().copied()).collect();
            for n in ctx.seq(list, &format!("{path}.nodes"))? {
                let name = ctx.string(n, &format!("{path}.nodes"))?;
                if !all.contains(&name.as_str()) {
                    return Err(ctx.error_hint(
                        n.pos,
                        &format!("{path}.nodes"),
                        format!("no node named {name:?}{}", crate::suggest::did_you_mean(&name, all.iter().copied())),
                        "nodes come from spec.cluster and Node manifests",
                    ));
                }
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            NodeScope::Nodes(names)
        }
        (None, None) => NodeScope::All,
    })
}

fn decode_zone_failures(
    ctx: &mut Ctx<'_>,
    body: &YamlNode,
    path: &str,
    loader: &dyn SourceLoader,
    known: &FaultContext<'_>,
) -> DResult<FaultProcess> {
    let mut f = ctx.fields(body, path)?;
    let zones_node = f.get("zones");
    let ttf = f.require(ctx, "timeToFailure", body.pos)?;
    let ttr = f.require(ctx, "timeToRepair", body.pos)?;
    f.finish(ctx, &[])?;
    let cluster_zones: std::collections::BTreeSet<&str> = known
        .nodes
        .iter()
        .filter_map(|n| n.meta.labels.get(crate::api::node::labels::ZONE).map(String::as_str))
        .collect();
    let mut zones = Vec::new();
    if let Some(list) = zones_node {
        for z in ctx.seq(list, &format!("{path}.zones"))? {
            let zone = ctx.string(z, &format!("{path}.zones"))?;
            if !cluster_zones.contains(zone.as_str()) {
                return Err(ctx.error_hint(
                    z.pos,
                    &format!("{path}.zones"),
                    format!(
                        "no node is in zone {zone:?}{}",
                        crate::suggest::did_you_mean(&zone, cluster_zones.iter().copied())
                    ),
                    "zones come from the nodes' zone / nodePools' zones",
                ));
            }
            if !zones.contains(&zone) {
                zones.push(zone);
            }
        }
    } else if cluster_zones.is_empty() {
        return Err(ctx.error_hint(
            body.pos,
            path,
            "the cluster has no zones",
            "give nodes a zone (spec.cluster.nodes[].zone or nodePools[].zones)",
        ));
    }
    let time_to_failure = decode_dist(ctx, ttf, &format!("{path}.timeToFailure"), loader, true)?;
    let time_to_repair = decode_dist(ctx, ttr, &format!("{path}.timeToRepair"), loader, false)?;
    Ok(FaultProcess::ZoneFailures { zones, time_to_failure, time_to_repair })
}

fn decode_pod_crashes(
    ctx: &mut Ctx<'_>,
    body: &YamlNode,
    path: &str,
    loader: &dyn SourceLoader,
    known: &FaultContext<'_>,
) -> DResult<FaultProcess> {
    let mut f = ctx.fields(body, path)?;
    let target_node = f.require(ctx, "target", body.pos)?;
    let between = f.require(ctx, "timeBetweenCrashes", body.pos)?;
    let exit_code = match f.get("exitCode") {
        Some(n) => ctx.int_in(n, &format!("{path}.exitCode"), 1, 255)? as i32,
        None => 1,
    };
    f.finish(ctx, &[])?;
    let tpath = format!("{path}.target");
    let text = ctx.string(target_node, &tpath)?;
    let target = ObjectRef::parse(&text).map_err(|e| {
        ctx.error_hint(target_node.pos, &tpath, e, "write KIND/NAMESPACE/NAME, e.g. deployment/default/web")
    })?;
    if !CRASH_TARGETS.contains(&target.kind) {
        return Err(ctx.error_hint(
            target_node.pos,
            &tpath,
            format!("cannot crash the pods of a {}", target.kind.as_str()),
            "the target is a Deployment, ReplicaSet, StatefulSet, DaemonSet or Job",
        ));
    }
    if !known.objects.contains(&target) {
        let same_kind = known.objects.iter().filter(|o| o.kind == target.kind).map(|o| o.to_string());
        let names: Vec<String> = same_kind.collect();
        return Err(ctx.error_hint(
            target_node.pos,
            &tpath,
            format!("no {} {}/{} in the scenario{}", target.kind.as_str(), target.namespace, target.name, {
                crate::suggest::did_you_mean(&target.to_string(), names.iter().map(String::as_str))
            }),
            "the target is created by spec.manifests or an apply event",
        ));
    }
    let time_between = decode_dist(ctx, between, &format!("{path}.timeBetweenCrashes"), loader, true)?;
    Ok(FaultProcess::PodCrashes { target, time_between, exit_code })
}

/// One line of `faults.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRecord {
    pub start: SimTime,
    /// `scripted`, or `faults[i]` for the `spec.faults` entry that drew it.
    pub source: String,
    /// `node-failure`, `zone-failure`, `pod-crash`.
    pub kind: &'static str,
    /// The node, the zone or the workload.
    pub target: String,
    /// Machines this fault took down (not counting those already down).
    pub nodes: u32,
    /// Pods it hit: those not finished on the machines it took down, or the crashed one.
    pub pods_hit: u32,
    /// The crashed pod (`pod-crash`); empty when the workload had no running pod.
    pub pod: String,
    /// The repair time drawn (`None`: not drawn, e.g. a scripted failure).
    pub repair: Option<SimDuration>,
    /// When the fault ended (the machines were repaired); `None` if not within the run.
    pub end: Option<SimTime>,
    /// When the workloads it hit were back at their desired ready replicas without the pods it
    /// hit (see `availability`); `None` if it hit none, or if they never were.
    pub recovered: Option<SimTime>,
    /// Whether the fault hit any pod of a Deployment, ReplicaSet or StatefulSet.
    pub hit_workloads: bool,
}

/// What an injector event asks the engine to do.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultStep {
    /// Take these nodes' machines down, for fault `record`.
    FailNodes { nodes: Vec<crate::store::NodeId>, record: usize },
    /// Bring these machines back.
    RecoverNodes(Vec<crate::store::NodeId>),
    /// Crash one running container of `target` (the victim drawn with `draw`), for fault
    /// `record`.
    Crash { target: ObjectRef, exit_code: i32, draw: u64, record: usize },
    /// Carry out a fault event (`partitionNode`, `removeNode`, `controlPlaneOutage`, ...) as
    /// drawn by `source`: the event logs the fault.
    Event { action: crate::scenario::Action, source: String },
}

/// A member of a process: a node, a zone or a workload, with its draw counter and, while it is
/// down, the fault holding it.
#[derive(Clone, Debug)]
struct Member {
    key: String,
    draws: u64,
    /// The log index of the fault in progress and the nodes it holds down.
    active: Option<(usize, Vec<crate::store::NodeId>)>,
}

/// The runtime state of the fault processes and the fault log.
#[derive(Default)]
pub struct Injector {
    specs: Vec<FaultSpec>,
    members: Vec<Vec<Member>>,
    /// Per node (`NodeId` index): how many stochastic faults hold it down.
    holds: Vec<u32>,
    log: Vec<FaultRecord>,
}

impl Injector {
    pub fn new(specs: &[FaultSpec]) -> Injector {
        Injector { specs: specs.to_vec(), members: vec![Vec::new(); specs.len()], holds: Vec::new(), log: Vec::new() }
    }

    pub fn log(&self) -> &[FaultRecord] {
        &self.log
    }

    pub fn log_mut(&mut self) -> &mut [FaultRecord] {
        &mut self.log
    }

    /// Adds a scripted fault to the log; returns its index.
    pub fn log_scripted(&mut self, now: SimTime, kind: &'static str, target: &str, nodes: u32) -> usize {
        self.log.push(FaultRecord {
            start: now,
            source: "scripted".into(),
            kind,
            target: target.to_string(),
            nodes,
            pods_hit: 0,
            pod: String::new(),
            repair: None,
            end: None,
            recovered: None,
            hit_workloads: false,
        });
        self.log.len() - 1
    }

    /// The faults of `kind` on `target` still in progress end now (a `recoverNode`, a
    /// `healNode`, ...), whoever injected them.
    pub fn end_open(&mut self, now: SimTime, kind: &str, target: &str) {
        for r in self.log.iter_mut().rev() {
            if r.kind == kind && r.target == target && r.end.is_none() {
                r.end = Some(now);
                r.repair = Some(now.saturating_since(r.start));
            }
        }
    }

    /// Resolves each process's members against the cluster at the start of the run and
    /// returns the first event of each: (process, member, time).
    pub fn start(&mut self, store: &crate::store::Store, streams: &Streams) -> Vec<(u32, u32, SimTime)> {
        use crate::api::node::labels::{POOL, ZONE};
        let mut first = Vec::new();
        for p in 0..self.specs.len() {
            let keys: Vec<String> = match &self.specs[p].process {
                FaultProcess::NodeFailures { scope, .. }
                | FaultProcess::NodeEvents { scope, .. }
                | FaultProcess::SpotReclamations { scope, .. } => store
                    .nodes()
                    .iter()
                    .filter(|n| match scope {
                        NodeScope::All => true,
                        NodeScope::Pool(pool) => n.meta.labels.get(POOL) == Some(pool),
                        NodeScope::Nodes(names) => names.contains(&n.meta.name),
                    })
                    .map(|n| n.meta.name.clone())
                    .collect(),
                FaultProcess::ZoneFailures { zones, .. } if zones.is_empty() => {
                    let all: std::collections::BTreeSet<String> =
                        store.nodes().iter().filter_map(|n| n.meta.labels.get(ZONE).cloned()).collect();
                    all.into_iter().collect()
                }
                FaultProcess::ZoneFailures { zones, .. } => zones.clone(),
                FaultProcess::PodCrashes { target, .. } => vec![target.to_string()],
                FaultProcess::ControlPlaneOutages { .. } => vec!["control-plane".to_string()],
            };
            self.members[p] = keys.into_iter().map(|key| Member { key, draws: 0, active: None }).collect();
            for m in 0..self.members[p].len() {
                let wait = self.draw_wait(p, m, streams);
                first.push((p as u32, m as u32, SimTime::ZERO + wait));
            }
        }
        first
    }

    /// The next up time (or time between crashes) of a member.
    fn draw_wait(&mut self, p: usize, m: usize, streams: &Streams) -> SimDuration {
        let member = &mut self.members[p][m];
        let mut rng = streams.keyed(STREAM, &format!("{p}/{}", member.key), member.draws);
        member.draws += 1;
        let dist = match &self.specs[p].process {
            FaultProcess::NodeFailures { time_to_failure, .. }
            | FaultProcess::ZoneFailures { time_to_failure, .. }
            | FaultProcess::NodeEvents { time_to_failure, .. }
            | FaultProcess::ControlPlaneOutages { time_to_failure, .. } => time_to_failure,
            FaultProcess::PodCrashes { time_between, .. } => time_between,
            FaultProcess::SpotReclamations { time_to_reclaim, .. } => time_to_reclaim,
        };
        // Never zero: a member cannot fail twice at one instant.
        dist.sample(&mut rng).max(SimDuration::from_millis(1))
    }

    fn draw_repair(&mut self, p: usize, m: usize, streams: &Streams) -> SimDuration {
        let member = &mut self.members[p][m];
        let mut rng = streams.keyed(STREAM, &format!("{p}/{}", member.key), member.draws);
        member.draws += 1;
        match &self.specs[p].process {
            FaultProcess::NodeFailures { time_to_repair, .. }
            | FaultProcess::ZoneFailures { time_to_repair, .. }
            | FaultProcess::NodeEvents { time_to_repair, .. } => time_to_repair.sample(&mut rng),
            FaultProcess::ControlPlaneOutages { duration, .. } => {
                duration.sample(&mut rng).max(SimDuration::from_millis(1))
            }
            FaultProcess::PodCrashes { .. } | FaultProcess::SpotReclamations { .. } => SimDuration::ZERO,
        }
    }

    /// A member's event fired at `now`: what to do, and when its next event is.
    pub fn on_event(
        &mut self,
        p: u32,
        m: u32,
        now: SimTime,
        store: &crate::store::Store,
        streams: &Streams,
    ) -> (Option<FaultStep>, Option<SimTime>) {
        let (p, m) = (p as usize, m as usize);
        if self.holds.len() < store.nodes().len() {
            self.holds.resize(store.nodes().len(), 0);
        }
        let source = format!("faults[{p}]");
        match self.specs[p].process.clone() {
            FaultProcess::PodCrashes { target, exit_code, .. } => {
                let draw = self.members[p][m].draws;
                self.log.push(FaultRecord {
                    start: now,
                    source,
                    kind: "pod-crash",
                    target: target.to_string(),
                    nodes: 0,
                    pods_hit: 0,
                    pod: String::new(),
                    repair: None,
                    end: Some(now),
                    recovered: None,
                    hit_workloads: false,
                });
                let record = self.log.len() - 1;
                let next = now + self.draw_wait(p, m, streams);
                (Some(FaultStep::Crash { target, exit_code, draw, record }), Some(next))
            }
            FaultProcess::NodeEvents { kind, .. } => {
                // The engine acts through the fault events, which log the fault themselves.
                let node = self.members[p][m].key.clone();
                let ending = self.members[p][m].active.take().is_some();
                let action = match (kind, ending) {
                    (NodeEventKind::Partition, false) => crate::scenario::Action::PartitionNode(node),
                    (NodeEventKind::Partition, true) => crate::scenario::Action::HealNode(node),
                    (NodeEventKind::KubeletNotReady, ending) => crate::scenario::Action::NodeCondition {
                        node,
                        condition: crate::store::NodeConditionType::Ready,
                        status: if ending {
                            crate::api::meta::ConditionStatus::True
                        } else {
                            crate::api::meta::ConditionStatus::False
                        },
                    },
                };
                let next = if ending {
                    now + self.draw_wait(p, m, streams)
                } else {
                    self.members[p][m].active = Some((usize::MAX, Vec::new()));
                    now + self.draw_repair(p, m, streams)
                };
                (Some(FaultStep::Event { action, source }), Some(next))
            }
            FaultProcess::SpotReclamations { notice, .. } => {
                let node = self.members[p][m].key.clone();
                let action = crate::scenario::Action::RemoveNode { node, notice: Some(notice) };
                (Some(FaultStep::Event { action, source }), None)
            }
            FaultProcess::ControlPlaneOutages { components, .. } => {
                let duration = self.draw_repair(p, m, streams);
                let outage = crate::scenario::pod_faults::Outage { duration, components };
                let next = now + duration + self.draw_wait(p, m, streams);
                (
                    Some(FaultStep::Event { action: crate::scenario::Action::ControlPlaneOutage(outage), source }),
                    Some(next),
                )
            }
            process => {
                if let Some((record, held)) = self.members[p][m].active.take() {
                    // The repair: release the nodes; those no other fault holds come back.
                    let mut back = Vec::new();
                    for node in held {
                        self.holds[node.index()] -= 1;
                        if self.holds[node.index()] == 0 {
                            back.push(node);
                        }
                    }
                    self.log[record].end = Some(now);
                    let next = now + self.draw_wait(p, m, streams);
                    return (Some(FaultStep::RecoverNodes(back)), Some(next));
                }
                let key = self.members[p][m].key.clone();
                let (kind, nodes): (&'static str, Vec<crate::store::NodeId>) = match process {
                    FaultProcess::NodeFailures { .. } => ("node-failure", store.node_id(&key).into_iter().collect()),
                    _ => (
                        "zone-failure",
                        store
                            .node_ids()
                            .filter(|&n| {
                                store.node(n).meta.labels.get(crate::api::node::labels::ZONE).map(String::as_str)
                                    == Some(key.as_str())
                            })
                            .collect(),
                    ),
                };
                let mut down = Vec::new();
                for &node in &nodes {
                    if self.holds[node.index()] == 0 {
                        down.push(node);
                    }
                    self.holds[node.index()] += 1;
                }
                let repair = self.draw_repair(p, m, streams);
                self.log.push(FaultRecord {
                    start: now,
                    source,
                    kind,
                    target: key,
                    nodes: down.len() as u32,
                    pods_hit: 0,
                    pod: String::new(),
                    repair: Some(repair),
                    end: None,
                    recovered: None,
                    hit_workloads: false,
                });
                let record = self.log.len() - 1;
                self.members[p][m].active = Some((record, nodes));
                (Some(FaultStep::FailNodes { nodes: down, record }), Some(now + repair))
            }
        }
    }
}

/// `faults.csv`: one row per injected fault, in the order injected.
pub fn faults_csv(log: &[FaultRecord]) -> String {
    use std::fmt::Write;
    let secs = |t: SimTime| crate::output::secs(t);
    let dur = |d: SimDuration| crate::output::secs(SimTime::ZERO + d);
    let mut out =
        String::from("start_s,source,kind,target,nodes,pods_hit,pod,repair_s,end_s,recovered_s,time_to_recover_s\n");
    for r in log {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            secs(r.start),
            r.source,
            r.kind,
            r.target,
            r.nodes,
            r.pods_hit,
            r.pod,
            r.repair.map(dur).unwrap_or_default(),
            r.end.map(secs).unwrap_or_default(),
            r.recovered.map(secs).unwrap_or_default(),
            r.recovered.map(|t| dur(t.saturating_since(r.start))).unwrap_or_default(),
        );
    }
    out
}
