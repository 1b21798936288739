//! Vector bin packing through the real scheduler (`kubesim pack`): the items of a VPSolver
//! `.vbp` instance become pods, the bins identical nodes, and kube-scheduler's cycle — the
//! filters of the default profile and one scoring policy — decides where each item goes. A node
//! is added only when no existing node fits the item (a new bin is opened), so the number of
//! nodes at the end is the packing's bin count. No I/O: the caller reads the file.
//!
//! Dimension k of an item is a resource request: cpu (in millicores: size 250 is `250m`) for
//! k = 0, memory (in bytes) for k = 1, and the extended resource `kubesim.io/dim-<k>` for k ≥ 2.
//! Every request is explicit, zeros included, so the 100m / 200Mi scoring defaults of
//! kube-scheduler never apply. Each profile scores every node (`percentageOfNodesToScore: 100`):
//! the measurement is of the policy, not of kube-scheduler's sampling of large clusters.

use std::fmt;
use std::sync::Arc;

use crate::api::meta::ObjectMeta;
use crate::api::node::{Node, NodeConditions, labels};
use crate::api::pod::{Container, Pod, PodSpec, PodStatus, SimBehavior};
use crate::api::quantity::Quantity;
use crate::api::resources::{ResourceList, ResourceName, Resources};
use crate::journal::Journal;
use crate::kernel::rng::names;
use crate::kernel::{SimTime, Streams};
use crate::scheduler::config::{
    DEFAULT_SCHEDULER_NAME, PluginEntry, PluginSet, PolicyArgs, ProfileConfig, ResourceWeight, SchedulerConfig,
    ScoringStrategyType,
};
use crate::scheduler::framework::CycleContext;
use crate::scheduler::registry::{self, Points, Support};
use crate::scheduler::{Outcome, Scheduler};
use crate::store::{Change, NodeId, Store};

/// Sizes, capacities and multiplicities above this are refused, so that sums of sizes stay exact
/// in every integer type used and every size is an exact resource quantity.
pub const MAX_NUMBER: u64 = 1_000_000_000_000_000;
/// More items than this (multiplicities summed) are refused.
pub const MAX_ITEMS: u64 = 1_000_000;
/// More dimensions than this are refused.
pub const MAX_DIMENSIONS: usize = 1_000;

/// A vector bin packing instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    /// The bin capacity per dimension (all > 0).
    pub capacities: Vec<u64>,
    /// Item types in file order.
    pub item_types: Vec<ItemType>,
}

/// One line of item types: the sizes per dimension and how many such items there are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemType {
    pub sizes: Vec<u64>,
    pub count: u64,
}

/// A `.vbp` syntax or range error, located at a 1-based line and column (in characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// A whitespace-separated token: its text and 1-based column.
struct Token<'a> {
    text: &'a str,
    column: usize,
}

/// The non-blank lines of the text, each with its 1-based number and its tokens.
fn token_lines(text: &str) -> Vec<(usize, Vec<Token<'_>>)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut tokens = Vec::new();
        let mut start: Option<(usize, usize)> = None; // (byte offset, column)
        for (column, (offset, c)) in line.char_indices().enumerate() {
            match (c.is_whitespace(), start) {
                (false, None) => start = Some((offset, column + 1)),
                (true, Some((s, col))) => {
                    tokens.push(Token { text: &line[s..offset], column: col });
                    start = None;
                }
                _ => {}
            }
        }
        if let Some((s, col)) = start {
            tokens.push(Token { text: &line[s..], column: col });
        }
        if !tokens.is_empty() {
            out.push((i + 1, tokens));
        }
    }
    out
}

fn number(line: usize, token: &Token<'_>, what: &str, min: u64) -> Result<u64, ParseError> {
    let error = |message: String| ParseError { line, column: token.column, message };
    if token.text.is_empty() || !token.text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(format!("{what}: expected a non-negative integer, found {:?}", token.text)));
    }
    let value = token
        .text
        .parse::<u64>()
        .ok()
        .filter(|&v| v <= MAX_NUMBER)
        .ok_or_else(|| error(format!("{what}: {} is too large (at most {MAX_NUMBER})", token.text)))?;
    if value < min {
        return Err(error(format!("{what}: must be at least {min}, found {value}")));
    }
    Ok(value)
}

/// Parses a VPSolver `.vbp` instance: line 1 the number of dimensions `d`, line 2 the `d` bin
/// capacities, line 3 the number of item types `n`, then `n` lines of `d` sizes and a
/// multiplicity. Blank lines are ignored; each item size must fit in an empty bin.
pub fn parse_vbp(text: &str) -> Result<Instance, ParseError> {
    let lines = token_lines(text);
    let end_line = text.lines().count() + 1;
    let mut it = lines.iter();
    let mut next_line = |expected: &str| {
        it.next().ok_or_else(|| ParseError {
            line: end_line,
            column: 1,
            message: format!("unexpected end of file: expected {expected}"),
        })
    };
    let exactly = |line: usize, tokens: &[Token<'_>], want: usize, what: &str| -> Result<(), ParseError> {
        if tokens.len() == want {
            return Ok(());
        }
        let column =
            tokens.get(want).map_or_else(|| tokens.last().map_or(1, |t| t.column + t.text.len()), |t| t.column);
        Err(ParseError { line, column, message: format!("expected {what}, found {} number(s)", tokens.len()) })
    };

    let (line, tokens) = next_line("the number of dimensions")?;
    exactly(*line, tokens, 1, "one number: the number of dimensions")?;
    let d = number(*line, &tokens[0], "number of dimensions", 1)?;
    if d > MAX_DIMENSIONS as u64 {
        return Err(ParseError {
            line: *line,
            column: tokens[0].column,
            message: format!("number of dimensions: at most {MAX_DIMENSIONS}, found {d}"),
        });
    }
    let d = d as usize;

    let (line, tokens) = next_line(&format!("the {d} bin capacities"))?;
    exactly(*line, tokens, d, &format!("{d} bin capacities (one per dimension)"))?;
    let capacities: Vec<u64> = tokens
        .iter()
        .enumerate()
        .map(|(k, t)| number(*line, t, &format!("capacity {k}"), 1))
        .collect::<Result<_, _>>()?;

    let (line, tokens) = next_line("the number of item types")?;
    exactly(*line, tokens, 1, "one number: the number of item types")?;
    let n = number(*line, &tokens[0], "number of item types", 0)?;

    let mut item_types: Vec<ItemType> = Vec::new();
    let mut total: u64 = 0;
    for i in 0..n {
        let (line, tokens) = next_line(&format!("item type {} of {n} ({d} sizes and a multiplicity)", i + 1))?;
        exactly(*line, tokens, d + 1, &format!("{d} sizes and a multiplicity for item type {}", i + 1))?;
        let mut sizes = Vec::with_capacity(d);
        for (k, t) in tokens[..d].iter().enumerate() {
            let size = number(*line, t, &format!("item type {}, size {k}", i + 1), 0)?;
            if size > capacities[k] {
                return Err(ParseError {
                    line: *line,
                    column: t.column,
                    message: format!(
                        "item type {}: size {size} in dimension {k} exceeds the bin capacity {}",
                        i + 1,
                        capacities[k]
                    ),
                });
            }
            sizes.push(size);
        }
        let count = number(*line, &tokens[d], &format!("item type {}, multiplicity", i + 1), 0)?;
        total = total.saturating_add(count);
        if total > MAX_ITEMS {
            return Err(ParseError {
                line: *line,
                column: tokens[d].column,
                message: format!("too many items: more than {MAX_ITEMS} in all"),
            });
        }
        item_types.push(ItemType { sizes, count });
    }
    if let Some((line, tokens)) = it.next() {
        return Err(ParseError {
            line: *line,
            column: tokens[0].column,
            message: format!("unexpected content after the {n} item type(s)"),
        });
    }
    Ok(Instance { capacities, item_types })
}

impl Instance {
    pub fn dimensions(&self) -> usize {
        self.capacities.len()
    }

    /// The number of items (multiplicities summed).
    pub fn item_count(&self) -> u64 {
        self.item_types.iter().map(|t| t.count).sum()
    }

    /// The largest over dimensions of ⌈Σ sizes / capacity⌉ (0 for no items).
    pub fn lower_bound(&self) -> u64 {
        (0..self.dimensions())
            .map(|k| {
                let sum: u128 = self.item_types.iter().map(|t| u128::from(t.sizes[k]) * u128::from(t.count)).sum();
                sum.div_ceil(u128::from(self.capacities[k])) as u64
            })
            .max()
            .unwrap_or(0)
    }

    /// The items, one per unit of multiplicity, as indices into `item_types`, in `order`.
    /// (`BinCentric` decides its order while packing: this gives its tie-break order, FFD.)
    pub fn items(&self, order: Order) -> Vec<usize> {
        let mut items: Vec<usize> =
            self.item_types.iter().enumerate().flat_map(|(i, t)| std::iter::repeat_n(i, t.count as usize)).collect();
        if order != Order::File {
            let key: Vec<f64> = self
                .item_types
                .iter()
                .map(|t| t.sizes.iter().zip(&self.capacities).map(|(&s, &c)| s as f64 / c as f64).sum())
                .collect();
            // Stable: equal sizes keep the file order.
            items.sort_by(|&a, &b| key[b].total_cmp(&key[a]));
        }
        items
    }
}

/// The order in which items are placed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// The file's order: item types top to bottom, each repeated by its multiplicity.
    #[default]
    File,
    /// First-fit-decreasing order: by decreasing size Σₖ sizeₖ / capacityₖ (the sum of the
    /// normalised sizes), ties in file order.
    Ffd,
    /// Bin-centric: one node is filled at a time. The next item is the remaining one the
    /// policy's score ranks highest *on the open node* (ties: the first in FFD order); a new
    /// node is opened only when no remaining item fits the open one. Only for policies whose
    /// raw score compares pods on one node ([`BIN_CENTRIC_POLICIES`]).
    BinCentric,
}

/// The policies `--order bin-centric` accepts: their raw score of a (pod, node) pair needs no
/// per-cycle state, so it can rank the remaining pods on the open node. Tetris is then the
/// bin-centric dot-product rule of Panigrahy et al. (and the matching step of Grandl et al.'s
/// Tetris: when a machine has free resources, pick the task that aligns best), BestFit the
/// bin-centric L2-norm rule, FirstFit the largest fitting item first (which packs exactly as
/// first-fit-decreasing does).
pub const BIN_CENTRIC_POLICIES: [&str; 3] = ["Tetris", "BestFit", "FirstFit"];

/// Whether `policy` can pack in `order`: `Err` with the reason and the alternatives if not.
pub fn check_order(policy: &Policy, order: Order) -> Result<(), String> {
    match (order, policy) {
        (Order::BinCentric, Policy::Plugin(name)) if BIN_CENTRIC_POLICIES.contains(name) => Ok(()),
        (Order::BinCentric, _) => Err(format!(
            "--order bin-centric ranks the remaining items on the open node by the policy's raw score, which only {} define without per-cycle state; policy {} works with --order file or ffd",
            BIN_CENTRIC_POLICIES.join(", "),
            policy.name()
        )),
        _ => Ok(()),
    }
}

impl Order {
    pub fn as_str(self) -> &'static str {
        match self {
            Order::File => "file",
            Order::Ffd => "ffd",
            Order::BinCentric => "bin-centric",
        }
    }
}

/// Which scoring a packing uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Policy {
    /// kube-scheduler's default profile, unchanged (it scores cpu and memory only).
    Default,
    /// NodeResourcesFit alone with this scoring strategy over every dimension.
    Strategy(ScoringStrategyType),
    /// This score plugin alone (over every dimension where it takes resources).
    Plugin(&'static str),
}

/// The score plugins `kubesim pack --policy` accepts: those the simulator implements, except
/// the GPU-sharing policies (FGD, GPUPacking), which score nothing on instances without GPUs.
pub fn policy_plugins() -> impl Iterator<Item = &'static str> {
    registry::PLUGINS
        .iter()
        .filter(|p| p.points.contains(Points::SCORE) && matches!(p.support, Support::Implemented | Support::Policy))
        .filter(|p| !matches!(p.name, "FGD" | "GPUPacking"))
        .map(|p| p.name)
}

impl Policy {
    /// `default`, `MostAllocated`, `LeastAllocated`, or the name of a score plugin.
    pub fn parse(name: &str) -> Result<Policy, String> {
        match name {
            "default" => return Ok(Policy::Default),
            "MostAllocated" => return Ok(Policy::Strategy(ScoringStrategyType::MostAllocated)),
            "LeastAllocated" => return Ok(Policy::Strategy(ScoringStrategyType::LeastAllocated)),
            _ => {}
        }
        if let Some(p) = policy_plugins().find(|p| *p == name) {
            return Ok(Policy::Plugin(p));
        }
        let all: Vec<&str> =
            ["default", "MostAllocated", "LeastAllocated"].into_iter().chain(policy_plugins()).collect();
        Err(format!(
            "unknown policy {name:?}{}: use one of {}",
            crate::suggest::did_you_mean(name, all.iter().copied()),
            all.join(", ")
        ))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Policy::Default => "default",
            Policy::Strategy(s) => s.as_str(),
            Policy::Plugin(p) => p,
        }
    }
}

/// How to pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackOptions {
    pub policy: Policy,
    pub order: Order,
    /// Seeds the scheduler's tie-break stream and the Random policy's stream.
    pub seed: u64,
    /// Tetris's `demandExponent` (0: plain Tetris); refused for other policies.
    pub demand_exponent: u32,
}

/// The result of a packing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packing {
    /// Nodes (bins) opened.
    pub nodes_used: u64,
    pub lower_bound: u64,
    /// For each item in placement order: (its item type, the index of its node).
    pub placements: Vec<(usize, usize)>,
    /// The digest of the store's journal (every node, pod and binding): equal digests, equal runs.
    pub digest: String,
}

/// The resource of dimension `k`.
pub fn dimension_resource(k: usize) -> ResourceName {
    match k {
        0 => ResourceName::Cpu,
        1 => ResourceName::Memory,
        _ => ResourceName::Scalar(Arc::from(format!("kubesim.io/dim-{k}"))),
    }
}

/// A resource list with `values[k]` of dimension k (cpu in millicores).
fn resource_list(values: &[u64]) -> ResourceList {
    values
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            let text = if k == 0 { format!("{v}m") } else { v.to_string() };
            let quantity = Quantity::parse(&text).expect("integers up to MAX_NUMBER are quantities");
            (dimension_resource(k), quantity)
        })
        .collect()
}

/// The scheduler profile of a policy: the default profile's filters and the policy's scoring,
/// every node scored.
pub fn profile(policy: &Policy, dimensions: usize, seed: u64, demand_exponent: u32) -> ProfileConfig {
    let mut profile = ProfileConfig::default_profile();
    profile.percentage_of_nodes_to_score = Some(100);
    let every_dimension: Vec<ResourceWeight> =
        (0..dimensions).map(|k| ResourceWeight { name: dimension_resource(k), weight: 1 }).collect();
    let only = |name: &str, has_pre_score: bool| -> Vec<(Points, PluginSet)> {
        let star = vec!["*".to_string()];
        let entry = PluginEntry { name: name.to_string(), weight: 1 };
        let pre = if has_pre_score { vec![PluginEntry { weight: 0, ..entry.clone() }] } else { Vec::new() };
        vec![
            (Points::PRE_SCORE, PluginSet { enabled: pre, disabled: star.clone() }),
            (Points::SCORE, PluginSet { enabled: vec![entry], disabled: star }),
        ]
    };
    match policy {
        Policy::Default => {}
        Policy::Strategy(strategy) => {
            profile.fit_args.strategy = *strategy;
            profile.fit_args.resources = every_dimension;
            profile.points = only("NodeResourcesFit", true);
        }
        Policy::Plugin(name) => {
            let has_pre_score = registry::info(name).is_some_and(|i| i.points.contains(Points::PRE_SCORE));
            profile.multi_point.enabled.push(PluginEntry { name: name.to_string(), weight: 1 });
            profile.points = only(name, has_pre_score);
            profile.fit_args.resources = every_dimension.clone();
            profile.balanced_args.resources = every_dimension.clone();
            profile.policy_args.insert(
                name.to_string(),
                PolicyArgs {
                    resources: Some(every_dimension),
                    seed: (*name == "Random").then_some(seed),
                    demand_exponent: if *name == "Tetris" { demand_exponent } else { 0 },
                },
            );
        }
    }
    profile
}

/// A node (bin) with the instance's capacities; pods allocatable is `pod_slots`.
fn bin_node(index: usize, capacities: &[u64], pod_slots: u64) -> Node {
    let name = format!("bin-{index}");
    let mut allocatable = resource_list(capacities);
    let slots = Quantity::parse(&pod_slots.max(1).to_string()).expect("an integer is a quantity");
    allocatable.insert(ResourceName::Pods, slots);
    let mut meta = ObjectMeta { name: name.clone(), ..ObjectMeta::default() };
    meta.labels.insert(labels::HOSTNAME.to_string(), name);
    Node {
        meta,
        unschedulable: false,
        taints: Vec::new(),
        capacity: allocatable.clone(),
        allocatable_resources: Resources::from_list(&allocatable),
        allocatable,
        conditions: NodeConditions::healthy(SimTime::ZERO),
        images: Vec::new(),
    }
}

/// The pod spec of an item type: one container requesting the sizes.
fn item_spec(sizes: &[u64]) -> Arc<PodSpec> {
    let container = Container { name: "item".to_string(), requests: resource_list(sizes), ..Container::default() };
    let mut spec = PodSpec {
        containers: vec![container],
        scheduler_name: DEFAULT_SCHEDULER_NAME.to_string(),
        termination_grace_period_seconds: 30,
        ..PodSpec::default()
    };
    spec.finalize();
    Arc::new(spec)
}

/// Delivers the store's changes to the scheduler (the informers of the engine's loop).
fn deliver(store: &mut Store, scheduler: &mut Scheduler, buffer: &mut Vec<Change>) {
    store.drain_changes(buffer);
    for change in buffer.drain(..) {
        scheduler.on_change(store, change, SimTime::ZERO);
    }
}

/// The nodes (bins) opened so far.
struct Bins<'a> {
    capacities: &'a [u64],
    /// Every node's pod slots: the number of items, so that pods never bind.
    pod_slots: u64,
    nodes: Vec<NodeId>,
}

impl Bins<'_> {
    fn open(&mut self, store: &mut Store, scheduler: &mut Scheduler, buffer: &mut Vec<Change>) {
        let id = store.add_node(SimTime::ZERO, bin_node(self.nodes.len(), self.capacities, self.pod_slots));
        self.nodes.push(id);
        deliver(store, scheduler, buffer);
    }
}

/// The pod of item number `k`.
fn item_pod(k: usize, spec: &Arc<PodSpec>) -> Pod {
    Pod {
        meta: ObjectMeta { name: format!("item-{k}"), namespace: "default".to_string(), ..ObjectMeta::default() },
        spec: spec.clone(),
        sim: Arc::new(SimBehavior::default()),
        status: PodStatus::default(),
    }
}

/// Creates item `k`'s pod and runs scheduling cycles until it is bound; when a cycle finds no
/// feasible node and `may_open`, opens a node (once) and tries again.
fn place(
    store: &mut Store,
    scheduler: &mut Scheduler,
    buffer: &mut Vec<Change>,
    bins: &mut Bins<'_>,
    k: usize,
    spec: &Arc<PodSpec>,
    may_open: bool,
) -> Result<NodeId, String> {
    let mut opened_for_this_item = !may_open;
    if may_open && bins.nodes.is_empty() {
        // The first bin before the first cycle: with no node at all the cycle would fail with
        // kube-scheduler's "no nodes available" error, which waits out a backoff.
        bins.open(store, scheduler, buffer);
        opened_for_this_item = true;
    }
    let pod_id = store.create_pod(SimTime::ZERO, item_pod(k, spec), None);
    deliver(store, scheduler, buffer);
    loop {
        let outcome = scheduler.schedule_one(store, SimTime::ZERO);
        deliver(store, scheduler, buffer);
        match outcome {
            Some((id, Outcome::Bound(node))) if id == pod_id => return Ok(node),
            Some((_, Outcome::Unschedulable(_))) if !opened_for_this_item => {
                bins.open(store, scheduler, buffer);
                opened_for_this_item = true;
            }
            Some((_, Outcome::Unschedulable(message))) => {
                return Err(format!("item {k} does not fit an empty node: {message}"));
            }
            Some((_, Outcome::Error(message))) => return Err(format!("scheduling item {k}: {message}")),
            Some((id, Outcome::Bound(_))) => return Err(format!("unexpected pod {id:?} bound for item {k}")),
            None => return Err(format!("the scheduler did not pick up item {k}")),
        }
    }
}

/// Packs the instance: one pod per item in `options.order`, each scheduled by a full cycle of
/// the policy's profile; when the cycle finds no feasible node, a new node is added and the pod
/// is scheduled again. With [`Order::BinCentric`] the next item is chosen on the open node
/// first (by the policy's raw score) and the cycle must bind it there. All at virtual time
/// zero; nothing is ever removed.
pub fn pack(instance: &Instance, options: &PackOptions) -> Result<Packing, String> {
    let config = SchedulerConfig {
        profiles: vec![profile(&options.policy, instance.dimensions(), options.seed, options.demand_exponent)],
        ..SchedulerConfig::default()
    };
    config.profiles[0].resolve().map_err(|e| format!("policy {}: {e}", options.policy.name()))?;
    check_order(&options.policy, options.order)?;
    if options.demand_exponent > 0 && options.policy != Policy::Plugin("Tetris") {
        return Err(format!("--demand-exponent is an argument of Tetris, not of {}", options.policy.name()));
    }
    let streams = Streams::new(options.seed);
    let mut scheduler = Scheduler::new(&config, streams.stream(names::SCHEDULER_TIEBREAK), false);
    scheduler.set_run_seed(options.seed);
    let mut store = Store::new(Journal::new(false));
    store.create_namespace(SimTime::ZERO, "default");
    let specs: Vec<Arc<PodSpec>> = instance.item_types.iter().map(|t| item_spec(&t.sizes)).collect();
    let mut bins = Bins { capacities: &instance.capacities, pod_slots: instance.item_count(), nodes: Vec::new() };
    let mut placements = Vec::new();
    let mut buffer = Vec::new();
    if options.order == Order::BinCentric {
        let Policy::Plugin(name) = options.policy else { return Err("bin-centric needs a score plugin".to_string()) };
        let resolved = config.profiles[0].resolve().map_err(|e| format!("policy {name}: {e}"))?;
        let mut plugin = crate::scheduler::plugins::instantiate(name, &resolved)
            .ok_or_else(|| format!("policy {name} has no built-in plugin"))?;
        // The remaining count and a probe pod (for scoring) per item type, in FFD order.
        let mut remaining: Vec<(usize, u64, Pod)> = Vec::new();
        for item in instance.items(Order::Ffd) {
            match remaining.last_mut() {
                Some((t, count, _)) if *t == item => *count += 1,
                _ => remaining.push((item, 1, item_pod(usize::MAX, &specs[item]))),
            }
        }
        // The requests of the items not placed yet: what the scheduling queue would hold if
        // every remaining item were a pending pod (Tetris's pending demand).
        let mut pending = Resources::default();
        for (_, count, probe) in &remaining {
            for _ in 0..*count {
                pending.add(&probe.spec.requests);
            }
        }
        let mut free: Vec<u64> = Vec::new();
        let mut k = 0;
        while remaining.iter().any(|r| r.1 > 0) {
            let fits = |t: usize, free: &[u64]| instance.item_types[t].sizes.iter().zip(free).all(|(s, f)| s <= f);
            let mut best: Option<(usize, i64)> = None;
            if let Some(&open) = bins.nodes.last() {
                let info = &scheduler.cache()[open.index()];
                let cx = CycleContext { nodes: scheduler.cache(), pending: &pending, ..CycleContext::default() };
                let candidates: Vec<usize> =
                    (0..remaining.len()).filter(|&r| remaining[r].1 > 0 && fits(remaining[r].0, &free)).collect();
                // PreScore once per step: the profile lists every dimension for every item, so
                // what PreScore derives (Tetris's demand weights) is the same for each candidate.
                if let (Some(&first), Some(pre)) = (candidates.first(), plugin.as_pre_score()) {
                    let status = pre.pre_score(&cx, &remaining[first].2, &[info]);
                    if !status.is_success() {
                        return Err(format!("{name} PreScore: {}", status.message()));
                    }
                }
                let score = plugin.as_score().ok_or_else(|| format!("policy {name} does not score"))?;
                for r in candidates {
                    let probe = &remaining[r].2;
                    let raw = score.score(probe, info).map_err(|s| format!("{name}: {}", s.message()))?;
                    if best.is_none_or(|(_, b)| raw > b) {
                        best = Some((r, raw));
                    }
                }
            }
            let Some((r, _)) = best else {
                // Nothing left fits the open node (or none is open): open one.
                bins.open(&mut store, &mut scheduler, &mut buffer);
                free = instance.capacities.clone();
                if !remaining.iter().any(|(t, count, _)| *count > 0 && fits(*t, &free)) {
                    return Err("an item does not fit an empty node".to_string());
                }
                continue;
            };
            let item = remaining[r].0;
            remaining[r].1 -= 1;
            pending.sub(&remaining[r].2.spec.requests);
            let open = *bins.nodes.last().expect("a node is open");
            let node = place(&mut store, &mut scheduler, &mut buffer, &mut bins, k, &specs[item], false)?;
            if node != open {
                return Err(format!(
                    "item {k} went to node {} instead of the open node {}",
                    node.index(),
                    open.index()
                ));
            }
            for (f, s) in free.iter_mut().zip(&instance.item_types[item].sizes) {
                *f -= s;
            }
            placements.push((item, node.index()));
            k += 1;
        }
    } else {
        for (k, item) in instance.items(options.order).into_iter().enumerate() {
            let node = place(&mut store, &mut scheduler, &mut buffer, &mut bins, k, &specs[item], true)?;
            placements.push((item, node.index()));
        }
    }
    let nodes = bins.nodes;
    Ok(Packing {
        nodes_used: nodes.len() as u64,
        lower_bound: instance.lower_bound(),
        placements,
        digest: store.journal.digest_hex(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(text: &str) -> Instance {
        parse_vbp(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn run(text: &str, policy: &str, order: Order) -> Packing {
        let options = PackOptions { policy: Policy::parse(policy).unwrap(), order, seed: 1, demand_exponent: 0 };
        pack(&instance(text), &options).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parses_the_vpsolver_format() {
        let i = instance("2\n10 20\n2\n3 4 2\n10 20 1\n\n");
        assert_eq!(i.capacities, [10, 20]);
        assert_eq!(
            i.item_types,
            [ItemType { sizes: vec![3, 4], count: 2 }, ItemType { sizes: vec![10, 20], count: 1 }]
        );
        assert_eq!(i.item_count(), 3);
        // cpu: ⌈(6 + 10) / 10⌉ = 2; memory: ⌈(8 + 20) / 20⌉ = 2.
        assert_eq!(i.lower_bound(), 2);
        assert_eq!(instance("1\n5\n0\n").lower_bound(), 0);
    }

    #[test]
    fn parse_errors_name_line_and_column() {
        let err = |text: &str| parse_vbp(text).unwrap_err().to_string();
        assert_eq!(err(""), "1:1: unexpected end of file: expected the number of dimensions");
        assert_eq!(err("2\n10 x\n"), "2:4: capacity 1: expected a non-negative integer, found \"x\"");
        assert_eq!(
            err("2\n10 20\n1\n3 4\n"),
            "4:4: expected 2 sizes and a multiplicity for item type 1, found 2 number(s)"
        );
        assert_eq!(
            err("2\n10 20\n1\n3 4 1 9\n"),
            "4:7: expected 2 sizes and a multiplicity for item type 1, found 4 number(s)"
        );
        assert_eq!(
            err("2\n10 20\n1\n3 21 1\n"),
            "4:3: item type 1: size 21 in dimension 1 exceeds the bin capacity 20"
        );
        assert_eq!(err("1\n0\n"), "2:1: capacity 0: must be at least 1, found 0");
        assert_eq!(
            err("1\n5\n2\n1 1\n"),
            "5:1: unexpected end of file: expected item type 2 of 2 (1 sizes and a multiplicity)"
        );
        assert_eq!(err("1\n5\n1\n1 1\n7\n"), "5:1: unexpected content after the 1 item type(s)");
        assert_eq!(err("1\n5\n1\n  -1 1\n"), "4:3: item type 1, size 0: expected a non-negative integer, found \"-1\"");
        assert!(err("1\n5\n1\n1 99999999999999999999\n").contains("too large"));
    }

    #[test]
    fn ffd_orders_by_normalised_size_sum() {
        // Sizes over capacities (10, 100): type 0 .1 + .1 = .2, type 1 .5 + .1 = .6, type 2 .2.
        let i = instance("2\n10 100\n3\n1 10 1\n5 10 2\n2 0 1\n");
        assert_eq!(i.items(Order::File), [0, 1, 1, 2]);
        assert_eq!(i.items(Order::Ffd), [1, 1, 0, 2], "types 0 and 2 tie at .2 and keep file order");
    }

    #[test]
    fn first_fit_is_first_fit() {
        // Capacity 10; items 6, 5, 4, 5 (file order). First fit: 6 -> bin 0; 5 -> bin 1;
        // 4 -> bin 0 (first with room, 6 + 4 = 10); 5 -> bin 1.
        let p = run("1\n10\n4\n6 1\n5 1\n4 1\n5 1\n", "FirstFit", Order::File);
        assert_eq!(p.placements, [(0, 0), (1, 1), (2, 0), (3, 1)]);
        assert_eq!((p.nodes_used, p.lower_bound), (2, 2));
    }

    #[test]
    fn best_fit_takes_the_tightest_bin() {
        // Capacity 10; items 5, 7, 3 (file order). 5 -> bin 0; 7 opens bin 1; 3: bin 0 would be
        // left with 2, bin 1 with 0, so best fit picks bin 1 (first fit would pick bin 0).
        let text = "1\n10\n3\n5 1\n7 1\n3 1\n";
        assert_eq!(run(text, "BestFit", Order::File).placements, [(0, 0), (1, 1), (2, 1)]);
        assert_eq!(run(text, "FirstFit", Order::File).placements, [(0, 0), (1, 1), (2, 0)]);
        // Tetris prefers the emptier bin 0: alignment .3·.5 against .3·.3.
        assert_eq!(run(text, "Tetris", Order::File).placements, [(0, 0), (1, 1), (2, 0)]);
        // MostAllocated packs like best fit here: bin 1 would be 100 % used, bin 0 80 %.
        assert_eq!(run(text, "MostAllocated", Order::File).placements, [(0, 0), (1, 1), (2, 1)]);
    }

    #[test]
    fn round_robin_spreads_over_open_bins() {
        // Capacity 10, two items of 6 open two bins; then four items of 1 go 0, 1, 0, 1.
        let p = run("1\n10\n2\n6 2\n1 4\n", "RoundRobin", Order::File);
        let nodes: Vec<usize> = p.placements.iter().map(|&(_, n)| n).collect();
        assert_eq!(nodes, [0, 1, 0, 1, 0, 1]);
    }

    #[test]
    fn every_policy_packs_within_capacity_and_deterministically() {
        let text = "3\n10 10 10\n4\n5 2 0 3\n3 3 9 2\n1 8 1 2\n4 4 4 3\n";
        let i = instance(text);
        let names: Vec<&str> =
            ["default", "MostAllocated", "LeastAllocated"].into_iter().chain(policy_plugins()).collect();
        for name in names {
            let orders: &[Order] = if BIN_CENTRIC_POLICIES.contains(&name) {
                &[Order::File, Order::Ffd, Order::BinCentric]
            } else {
                &[Order::File, Order::Ffd]
            };
            for &order in orders {
                let p = run(text, name, order);
                assert!(p.nodes_used >= p.lower_bound, "{name}");
                assert_eq!(p.placements.len() as u64, i.item_count());
                let mut used = vec![[0u64; 3]; p.nodes_used as usize];
                for &(t, n) in &p.placements {
                    for (u, s) in used[n].iter_mut().zip(&i.item_types[t].sizes) {
                        *u += s;
                    }
                }
                assert!(used.iter().all(|u| u.iter().all(|&x| x <= 10)), "{name}: over capacity {used:?}");
                assert_eq!(run(text, name, order), p, "{name} is deterministic");
            }
        }
    }

    #[test]
    fn unknown_policy_suggests() {
        let e = Policy::parse("BestFits").unwrap_err();
        assert!(e.contains("did you mean \"BestFit\""), "{e}");
        assert!(Policy::parse("NodeName").is_err(), "not a score plugin");
        assert_eq!(Policy::parse("NodeResourcesBalancedAllocation").unwrap().name(), "NodeResourcesBalancedAllocation");
    }

    /// The items of each node, as sorted item types.
    fn contents(p: &Packing) -> Vec<Vec<usize>> {
        let mut bins = vec![Vec::new(); p.nodes_used as usize];
        for &(t, n) in &p.placements {
            bins[n].push(t);
        }
        bins.iter_mut().for_each(|b| b.sort_unstable());
        bins
    }

    #[test]
    fn bin_centric_first_fit_is_first_fit_decreasing() {
        // Filling one bin at a time with the first fitting item in FFD order puts the same items
        // in each bin as first-fit-decreasing.
        for text in [
            "3\n10 10 10\n4\n5 2 0 3\n3 3 9 2\n1 8 1 2\n4 4 4 3\n",
            "2\n100 80\n5\n60 10 2\n35 50 3\n20 20 4\n5 70 1\n50 5 3\n",
            "1\n10\n4\n6 1\n5 1\n4 1\n5 1\n",
        ] {
            let ffd = run(text, "FirstFit", Order::Ffd);
            let bin_centric = run(text, "FirstFit", Order::BinCentric);
            assert_eq!(contents(&bin_centric), contents(&ffd), "{text:?}");
        }
    }

    #[test]
    fn bin_centric_tetris_picks_the_best_aligned_item_for_the_open_node() {
        // Capacity (10, 10); items Q (1, 4), P (4, 1), R (5, 0) twice. On the empty bin plain
        // Tetris scores all three .25 (a tie, broken in FFD order, which ties too: file order),
        // so Q goes first. With demandExponent 1 the pending demand is 15 cpu against 5 memory:
        // weights 1 and 1/3, and R (.5·1 / (4/3) = .375) beats P (.325) and Q (.175).
        let text = "2\n10 10\n3\n1 4 1\n4 1 1\n5 0 2\n";
        let i = instance(text);
        let pack_with = |demand_exponent| {
            let policy = Policy::parse("Tetris").unwrap();
            pack(&i, &PackOptions { policy, order: Order::BinCentric, seed: 1, demand_exponent }).unwrap()
        };
        assert_eq!(pack_with(0).placements[0], (0, 0));
        assert_eq!(pack_with(1).placements[0], (2, 0));
        // Every item ends up placed, and the open node gets items until none fits.
        for p in [pack_with(0), pack_with(1)] {
            assert_eq!(p.placements.len(), 4);
            assert_eq!(p.nodes_used, 2, "cpu 15 needs two bins; both orders find two");
        }
    }

    #[test]
    fn bin_centric_and_demand_exponent_are_refused_where_they_mean_nothing() {
        let e = check_order(&Policy::parse("MostAllocated").unwrap(), Order::BinCentric).unwrap_err();
        assert!(e.contains("Tetris, BestFit, FirstFit") && e.contains("MostAllocated"), "{e}");
        assert!(check_order(&Policy::parse("BestFit").unwrap(), Order::BinCentric).is_ok());
        assert!(check_order(&Policy::parse("default").unwrap(), Order::Ffd).is_ok());
        let i = instance("1\n10\n1\n5 2\n");
        let options =
            PackOptions { policy: Policy::parse("BestFit").unwrap(), order: Order::Ffd, seed: 1, demand_exponent: 3 };
        let e = pack(&i, &options).unwrap_err();
        assert!(e.contains("demand-exponent") && e.contains("BestFit"), "{e}");
    }
}
