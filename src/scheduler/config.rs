//! The scheduler configuration: the `KubeSchedulerConfiguration`
//! (`kubescheduler.config.k8s.io/v1`) fields a scenario may set, decoded with locations, and
//! resolved into per-extension-point plugin lists exactly as kube-scheduler does:
//! `mergePlugins` of `pkg/scheduler/apis/config/v1/defaults.go` (custom sets override the
//! default MultiPoint list in place) and `expandMultiPointPlugins` / `getScoreWeights` of
//! `pkg/scheduler/framework/runtime/framework.go` (specific extension points override
//! MultiPoint; a score weight of 0 becomes 1).

use crate::api::resources::ResourceName;
use crate::decode::{Ctx, DResult};
use crate::scheduler::custom::{PluginArgs, PluginRegistry};
use crate::scheduler::plugins::external::{self, ExternalPolicyArgs};
use crate::scheduler::plugins::fgd::{self, FgdArgs};
use crate::scheduler::registry::{self, POINT_KEYS, Points, Support};
use crate::yaml::{Node as YamlNode, Pos};

/// The default profile's name.
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";

/// One `{name, weight}` entry of a plugin set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginEntry {
    pub name: String,
    pub weight: i32,
}

/// `enabled` / `disabled` lists for one extension point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PluginSet {
    pub enabled: Vec<PluginEntry>,
    pub disabled: Vec<String>,
}

/// `NodeResourcesFitArgs.scoringStrategy.type`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ScoringStrategyType {
    #[default]
    LeastAllocated,
    MostAllocated,
    RequestedToCapacityRatio,
}

impl ScoringStrategyType {
    pub fn as_str(self) -> &'static str {
        match self {
            ScoringStrategyType::LeastAllocated => "LeastAllocated",
            ScoringStrategyType::MostAllocated => "MostAllocated",
            ScoringStrategyType::RequestedToCapacityRatio => "RequestedToCapacityRatio",
        }
    }
}

/// A resource and its weight in a scoring strategy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceWeight {
    pub name: ResourceName,
    pub weight: i64,
}

/// `NodeResourcesFitArgs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeResourcesFitArgs {
    pub strategy: ScoringStrategyType,
    pub resources: Vec<ResourceWeight>,
    /// RequestedToCapacityRatio shape: (utilization 0..=100, score 0..=10), increasing.
    pub shape: Vec<(i64, i64)>,
    pub ignored_resources: Vec<String>,
    pub ignored_resource_groups: Vec<String>,
}

impl Default for NodeResourcesFitArgs {
    /// LeastAllocated over cpu and memory, weight 1 each.
    fn default() -> Self {
        NodeResourcesFitArgs {
            strategy: ScoringStrategyType::LeastAllocated,
            resources: default_resources(),
            shape: Vec::new(),
            ignored_resources: Vec::new(),
            ignored_resource_groups: Vec::new(),
        }
    }
}

/// `NodeResourcesBalancedAllocationArgs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalancedAllocationArgs {
    pub resources: Vec<ResourceWeight>,
}

impl Default for BalancedAllocationArgs {
    fn default() -> Self {
        BalancedAllocationArgs { resources: default_resources() }
    }
}

/// Args of the scoring policies of `docs/policies.md` (Tetris, BestFit, FirstFit, Random,
/// RoundRobin), one per plugin in a profile's `pluginConfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyArgs {
    /// Tetris and BestFit: the resources and their weights. `None` (the default): cpu and
    /// memory with weight 1, plus every extended resource the pod requests, with weight 1.
    pub resources: Option<Vec<ResourceWeight>>,
    /// Random: the seed of its `scheduler.random` stream (default: the run's seed).
    pub seed: Option<u64>,
    /// Tetris: `demandExponent` p. Each resource's weight is multiplied by its pending share
    /// (the requests of the pods waiting to be scheduled over the cluster's allocatable)
    /// raised to p, relative to the largest; 0 (the default) leaves the weights alone.
    pub demand_exponent: u32,
}

/// The largest `demandExponent` Tetris accepts.
pub const MAX_DEMAND_EXPONENT: i64 = 64;

/// `PodTopologySpreadArgs.defaultingType`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SpreadDefaultingType {
    /// kube-scheduler's built-in defaults (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway).
    #[default]
    System,
    /// `defaultConstraints` as given (none when empty).
    List,
}

/// `PodTopologySpreadArgs`: the constraints a pod without `topologySpreadConstraints` gets
/// (their selector is deduced per pod from the Services and ReplicaSets selecting it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodTopologySpreadArgs {
    pub default_constraints: Vec<crate::api::pod::TopologySpreadConstraint>,
    pub defaulting_type: SpreadDefaultingType,
}

/// `InterPodAffinityArgs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterPodAffinityArgs {
    /// Score weight of an existing pod's required affinity term the incoming pod matches
    /// (0..=100, default 1; 0 turns that symmetry off).
    pub hard_pod_affinity_weight: i32,
    /// Skip scoring when the incoming pod has no preferred (anti-)affinity terms.
    pub ignore_preferred_terms_of_existing_pods: bool,
}

impl Default for InterPodAffinityArgs {
    fn default() -> Self {
        InterPodAffinityArgs { hard_pod_affinity_weight: 1, ignore_preferred_terms_of_existing_pods: false }
    }
}

/// `DefaultPreemptionArgs`: how many candidate nodes preemption's dry run looks for,
/// `max(n·percentage/100, absolute)` capped at n.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefaultPreemptionArgs {
    /// 0..=100, default 10.
    pub min_candidate_nodes_percentage: i32,
    /// At least 0, default 100; not both 0.
    pub min_candidate_nodes_absolute: i32,
}

impl Default for DefaultPreemptionArgs {
    fn default() -> Self {
        DefaultPreemptionArgs { min_candidate_nodes_percentage: 10, min_candidate_nodes_absolute: 100 }
    }
}

fn default_resources() -> Vec<ResourceWeight> {
    vec![
        ResourceWeight { name: ResourceName::Cpu, weight: 1 },
        ResourceWeight { name: ResourceName::Memory, weight: 1 },
    ]
}

/// One scheduler profile as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileConfig {
    pub scheduler_name: String,
    pub percentage_of_nodes_to_score: Option<i32>,
    /// `plugins.multiPoint` first, then each key of [`POINT_KEYS`].
    pub multi_point: PluginSet,
    pub points: Vec<(Points, PluginSet)>,
    pub fit_args: NodeResourcesFitArgs,
    pub balanced_args: BalancedAllocationArgs,
    pub preemption_args: DefaultPreemptionArgs,
    pub spread_args: PodTopologySpreadArgs,
    pub inter_pod_affinity_args: InterPodAffinityArgs,
    /// `pluginConfig` args of the scoring policies, by plugin name.
    pub policy_args: std::collections::BTreeMap<String, PolicyArgs>,
    /// FGD's `pluginConfig` args (its target distribution).
    pub fgd_args: FgdArgs,
    /// ExternalPolicy's `pluginConfig` args.
    pub external_args: Option<ExternalPolicyArgs>,
    /// `pluginConfig` args of the plugins registered in a `PluginRegistry`, by plugin name.
    pub plugin_args: std::collections::BTreeMap<String, PluginArgs>,
    pub pos: Pos,
}

impl ProfileConfig {
    /// The default profile (no customisation).
    pub fn default_profile() -> ProfileConfig {
        ProfileConfig {
            scheduler_name: DEFAULT_SCHEDULER_NAME.to_string(),
            percentage_of_nodes_to_score: None,
            multi_point: PluginSet::default(),
            points: Vec::new(),
            fit_args: NodeResourcesFitArgs::default(),
            balanced_args: BalancedAllocationArgs::default(),
            preemption_args: DefaultPreemptionArgs::default(),
            spread_args: PodTopologySpreadArgs::default(),
            inter_pod_affinity_args: InterPodAffinityArgs::default(),
            policy_args: Default::default(),
            fgd_args: FgdArgs::default(),
            external_args: None,
            plugin_args: Default::default(),
            pos: Pos::default(),
        }
    }
}

/// The `spec.scheduler` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedulerConfig {
    pub percentage_of_nodes_to_score: Option<i32>,
    pub pod_initial_backoff_seconds: i64,
    pub pod_max_backoff_seconds: i64,
    pub profiles: Vec<ProfileConfig>,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            percentage_of_nodes_to_score: None,
            pod_initial_backoff_seconds: 1,
            pod_max_backoff_seconds: 10,
            profiles: vec![ProfileConfig::default_profile()],
        }
    }
}

/// A profile resolved into plugin names per extension point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedProfile {
    pub scheduler_name: String,
    pub percentage_of_nodes_to_score: Option<i32>,
    pub queue_sort: Vec<String>,
    pub pre_enqueue: Vec<String>,
    pub pre_filter: Vec<String>,
    pub filter: Vec<String>,
    pub post_filter: Vec<String>,
    pub pre_score: Vec<String>,
    /// Score plugins with their final weights.
    pub score: Vec<(String, i64)>,
    pub bind: Vec<String>,
    /// Plugins enabled in the profile that the simulator does not simulate yet; left out.
    pub not_simulated: Vec<String>,
    pub fit_args: NodeResourcesFitArgs,
    pub balanced_args: BalancedAllocationArgs,
    pub preemption_args: DefaultPreemptionArgs,
    pub spread_args: PodTopologySpreadArgs,
    pub inter_pod_affinity_args: InterPodAffinityArgs,
    /// `pluginConfig` args of the scoring policies, by plugin name.
    pub policy_args: std::collections::BTreeMap<String, PolicyArgs>,
    /// FGD's `pluginConfig` args.
    pub fgd_args: FgdArgs,
    /// ExternalPolicy's `pluginConfig` args.
    pub external_args: Option<ExternalPolicyArgs>,
    /// `pluginConfig` args of the plugins registered in a `PluginRegistry`, by plugin name.
    pub plugin_args: std::collections::BTreeMap<String, PluginArgs>,
}

impl ResolvedProfile {
    /// The args of scoring policy `name` (the defaults when the profile configures none).
    pub fn policy_args(&self, name: &str) -> PolicyArgs {
        self.policy_args.get(name).cloned().unwrap_or_default()
    }
}

/// `mergePluginSet`: custom enabled plugins replace same-named defaults in place, the rest are
/// appended; `*` in disabled drops every default.
fn merge_plugin_set(defaults: &[PluginEntry], custom: &PluginSet) -> PluginSet {
    let disabled_all = custom.disabled.iter().any(|d| d == "*");
    let mut replaced = vec![false; custom.enabled.len()];
    let mut enabled = Vec::new();
    if !disabled_all {
        for d in defaults {
            if custom.disabled.contains(&d.name) {
                continue;
            }
            if let Some(i) = custom.enabled.iter().position(|c| c.name == d.name) {
                replaced[i] = true;
                enabled.push(custom.enabled[i].clone());
            } else {
                enabled.push(d.clone());
            }
        }
    }
    for (i, c) in custom.enabled.iter().enumerate() {
        if !replaced[i] {
            enabled.push(c.clone());
        }
    }
    PluginSet { enabled, disabled: custom.disabled.clone() }
}

impl ProfileConfig {
    /// Resolves the profile into per-point plugin lists.
    pub fn resolve(&self) -> Result<ResolvedProfile, String> {
        self.resolve_with(&PluginRegistry::new())
    }

    /// Resolves the profile, accepting the plugins registered in `plugins` too.
    pub fn resolve_with(&self, plugins: &PluginRegistry) -> Result<ResolvedProfile, String> {
        let defaults: Vec<PluginEntry> = registry::DEFAULT_MULTI_POINT
            .iter()
            .map(|(n, w)| PluginEntry { name: n.to_string(), weight: *w })
            .collect();
        let multi = merge_plugin_set(&defaults, &self.multi_point);
        let specific = |point: Points| -> PluginSet {
            let custom = self.points.iter().find(|(p, _)| *p == point).map(|(_, s)| s.clone()).unwrap_or_default();
            merge_plugin_set(&[], &custom)
        };
        let mut not_simulated = Vec::new();
        let mut expand = |point: Points| -> Result<Vec<PluginEntry>, String> {
            let set = specific(point);
            if set.disabled.iter().any(|d| d == "*") {
                return Ok(set.enabled);
            }
            let mut multi_enabled: Vec<PluginEntry> = Vec::new();
            let mut overrides: Vec<String> = Vec::new();
            for e in &multi.enabled {
                let (points, _) = plugins.info(&e.name).ok_or_else(|| format!("plugin {:?} does not exist", e.name))?;
                if !points.contains(point) || set.disabled.contains(&e.name) {
                    continue;
                }
                if set.enabled.iter().any(|s| s.name == e.name) {
                    overrides.push(e.name.clone());
                    continue;
                }
                if multi_enabled.iter().any(|m| m.name == e.name) {
                    return Err(format!("plugin {:?} already registered at this extension point", e.name));
                }
                multi_enabled.push(e.clone());
            }
            // Part 1: overrides in their specific order; part 2: MultiPoint; part 3: the rest.
            let mut out: Vec<PluginEntry> =
                set.enabled.iter().filter(|s| overrides.contains(&s.name)).cloned().collect();
            out.extend(multi_enabled);
            out.extend(set.enabled.iter().filter(|s| !overrides.contains(&s.name)).cloned());
            let mut simulated = Vec::new();
            for e in out {
                let (points, support) =
                    plugins.info(&e.name).ok_or_else(|| format!("plugin {:?} does not exist", e.name))?;
                if !points.contains(point) {
                    return Err(format!("plugin {:?} does not implement this extension point", e.name));
                }
                match support {
                    Support::Implemented
                    | Support::VolumeNoOp
                    | Support::Policy
                    | Support::External
                    | Support::Extension => simulated.push(e),
                    Support::NotYet => {
                        if !not_simulated.contains(&e.name) {
                            not_simulated.push(e.name.clone());
                        }
                    }
                }
            }
            Ok(simulated)
        };
        let names = |v: Vec<PluginEntry>| v.into_iter().map(|e| e.name).collect::<Vec<_>>();
        let queue_sort = names(expand(Points::QUEUE_SORT)?);
        let pre_enqueue = names(expand(Points::PRE_ENQUEUE)?);
        let mut pre_filter = names(expand(Points::PRE_FILTER)?);
        let filter = names(expand(Points::FILTER)?);
        let post_filter = names(expand(Points::POST_FILTER)?);
        let mut pre_score = names(expand(Points::PRE_SCORE)?);
        let score_entries = expand(Points::SCORE)?;
        let bind = names(expand(Points::BIND)?);
        // ImageLocality's Score reads the snapshot (how many nodes hold each image) and Tetris's
        // the pending demand, which a kubesim plugin sees only at PreScore: wherever they
        // score, their PreScore runs too.
        for name in ["ImageLocality", "Tetris"] {
            if score_entries.iter().any(|e| e.name == name) && !pre_score.iter().any(|n| n == name) {
                pre_score.push(name.to_string());
            }
        }
        // FGD counts the pods it sees at PreFilter and fixes a cycle's distribution at PreScore:
        // wherever it scores, both run too.
        if score_entries.iter().any(|e| e.name == fgd::NAME) {
            for list in [&mut pre_filter, &mut pre_score] {
                if !list.iter().any(|n| n == fgd::NAME) {
                    list.push(fgd::NAME.to_string());
                }
            }
        }

        // getScoreWeights: the specific score entry wins over MultiPoint; 0 becomes 1.
        let score_specific = specific(Points::SCORE);
        let mut score = Vec::new();
        let mut total: i64 = 0;
        for e in &score_entries {
            let weight = score_specific
                .enabled
                .iter()
                .chain(multi.enabled.iter())
                .find(|x| x.name == e.name)
                .map_or(e.weight, |x| x.weight);
            let weight = if weight == 0 { 1 } else { i64::from(weight) };
            if weight.saturating_mul(100) > i64::MAX - total {
                return Err("total score of Score plugins could overflow".into());
            }
            total += weight * 100;
            score.push((e.name.clone(), weight));
        }
        if queue_sort.len() != 1 {
            return Err(format!("exactly one queueSort plugin must be enabled, found {}", queue_sort.len()));
        }
        if bind.is_empty() {
            return Err("at least one bind plugin is needed (e.g. DefaultBinder)".into());
        }
        external::check_profile(&pre_score, &score, self.external_args.as_ref())?;
        Ok(ResolvedProfile {
            scheduler_name: self.scheduler_name.clone(),
            percentage_of_nodes_to_score: self.percentage_of_nodes_to_score,
            queue_sort,
            pre_enqueue,
            pre_filter,
            filter,
            post_filter,
            pre_score,
            score,
            bind,
            not_simulated,
            fit_args: self.fit_args.clone(),
            balanced_args: self.balanced_args.clone(),
            preemption_args: self.preemption_args,
            spread_args: self.spread_args.clone(),
            inter_pod_affinity_args: self.inter_pod_affinity_args.clone(),
            policy_args: self.policy_args.clone(),
            fgd_args: self.fgd_args.clone(),
            external_args: self.external_args.clone(),
            plugin_args: self.plugin_args.clone(),
        })
    }
}

/// Decodes `spec.scheduler`.
pub fn decode_scheduler_config(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<SchedulerConfig> {
    decode_scheduler_config_with(ctx, node, path, &PluginRegistry::new())
}

/// Decodes `spec.scheduler`, accepting the plugins registered in `plugins` too.
pub fn decode_scheduler_config_with(
    ctx: &mut Ctx<'_>,
    node: &YamlNode,
    path: &str,
    plugins: &PluginRegistry,
) -> DResult<SchedulerConfig> {
    let mut f = ctx.fields(node, path)?;
    let mut config = SchedulerConfig::default();
    let _ = f.get("apiVersion");
    let _ = f.get("kind");
    if let Some(n) = f.get("percentageOfNodesToScore") {
        config.percentage_of_nodes_to_score = Some(ctx.int_in(n, &f.child("percentageOfNodesToScore"), 0, 100)? as i32);
    }
    if let Some(n) = f.get("podInitialBackoffSeconds") {
        config.pod_initial_backoff_seconds = ctx.int_in(n, &f.child("podInitialBackoffSeconds"), 1, 3600)?;
    }
    if let Some(n) = f.get("podMaxBackoffSeconds") {
        config.pod_max_backoff_seconds = ctx.int_in(n, &f.child("podMaxBackoffSeconds"), 1, 86_400)?;
        if config.pod_max_backoff_seconds < config.pod_initial_backoff_seconds {
            return Err(ctx.error(
                n.pos,
                &f.child("podMaxBackoffSeconds"),
                "must be greater than or equal to podInitialBackoffSeconds",
            ));
        }
    }
    if let Some(n) = f.get("profiles") {
        config.profiles.clear();
        let ppath = f.child("profiles");
        for (i, p) in ctx.seq(n, &ppath)?.iter().enumerate() {
            let profile = decode_profile(ctx, p, &format!("{ppath}[{i}]"), plugins)?;
            if config.profiles.iter().any(|q: &ProfileConfig| q.scheduler_name == profile.scheduler_name) {
                return Err(ctx.error(
                    p.pos,
                    &format!("{ppath}[{i}].schedulerName"),
                    format!("duplicate profile {:?}", profile.scheduler_name),
                ));
            }
            config.profiles.push(profile);
        }
        if config.profiles.is_empty() {
            config.profiles.push(ProfileConfig::default_profile());
        }
    }
    f.finish(
        ctx,
        &[
            "parallelism",
            "leaderElection",
            "clientConnection",
            "healthzBindAddress",
            "metricsBindAddress",
            "enableProfiling",
            "enableContentionProfiling",
            "extenders",
            "delayCacheUntilActive",
        ],
    )?;
    // Every profile must resolve, with an error pointing at it.
    for profile in &config.profiles {
        let resolved = profile
            .resolve_with(plugins)
            .map_err(|e| ctx.error(profile.pos, path, format!("profile {:?}: {e}", profile.scheduler_name)))?;
        check_registered_plugins(ctx, plugins, profile, &resolved, path)?;
    }
    let first_sort = config.profiles[0].resolve_with(plugins).map(|r| r.queue_sort).unwrap_or_default();
    for profile in &config.profiles[1..] {
        if profile.resolve_with(plugins).map(|r| r.queue_sort).unwrap_or_default() != first_sort {
            return Err(ctx.error(profile.pos, path, "all profiles must use the same queueSort plugin"));
        }
    }
    Ok(config)
}

/// Builds every registered plugin a profile uses without `pluginConfig` once, with null args,
/// so that a constructor that needs args fails here, at the profile, not in the run. (Those
/// with `pluginConfig` were built when their args were decoded.)
fn check_registered_plugins(
    ctx: &Ctx<'_>,
    plugins: &PluginRegistry,
    profile: &ProfileConfig,
    resolved: &ResolvedProfile,
    path: &str,
) -> DResult<()> {
    let used = resolved.pre_filter.iter().chain(&resolved.filter).chain(&resolved.pre_score);
    let mut names: Vec<&String> = used.chain(resolved.score.iter().map(|(n, _)| n)).collect();
    names.sort();
    names.dedup();
    for name in names {
        if plugins.is_registered(name) && !profile.plugin_args.contains_key(name) {
            plugins.build(name, &PluginArgs::Null).map_err(|e| {
                ctx.error_hint(
                    profile.pos,
                    path,
                    format!("profile {:?}: plugin {name:?}: {e}", profile.scheduler_name),
                    format!("give its args under pluginConfig: [{{name: {name}, args: {{...}}}}]"),
                )
            })?;
        }
    }
    Ok(())
}

fn decode_profile(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str, known: &PluginRegistry) -> DResult<ProfileConfig> {
    let mut f = ctx.fields(node, path)?;
    let mut profile = ProfileConfig { pos: node.pos, ..ProfileConfig::default_profile() };
    if let Some(n) = f.get("schedulerName") {
        profile.scheduler_name = ctx.string(n, &f.child("schedulerName"))?;
        if profile.scheduler_name.is_empty() {
            return Err(ctx.error(n.pos, &f.child("schedulerName"), "must not be empty"));
        }
    }
    if let Some(n) = f.get("percentageOfNodesToScore") {
        profile.percentage_of_nodes_to_score =
            Some(ctx.int_in(n, &f.child("percentageOfNodesToScore"), 0, 100)? as i32);
    }
    if let Some(plugins) = f.get("plugins") {
        let ppath = f.child("plugins");
        let mut pf = ctx.fields(plugins, &ppath)?;
        if let Some(n) = pf.get("multiPoint") {
            profile.multi_point = decode_plugin_set(ctx, n, &pf.child("multiPoint"), None, known)?;
        }
        for (key, point) in POINT_KEYS {
            if let Some(n) = pf.get(key) {
                let set = decode_plugin_set(ctx, n, &pf.child(key), Some(point), known)?;
                profile.points.push((point, set));
            }
        }
        pf.finish(ctx, &[])?;
    }
    if let Some(configs) = f.get("pluginConfig") {
        let cpath = f.child("pluginConfig");
        let mut seen: Vec<String> = Vec::new();
        for (i, c) in ctx.seq(configs, &cpath)?.iter().enumerate() {
            let ip = format!("{cpath}[{i}]");
            let mut cf = ctx.fields(c, &ip)?;
            let name_node = cf.require(ctx, "name", c.pos)?;
            let name = ctx.string(name_node, &format!("{ip}.name"))?;
            if seen.contains(&name) {
                return Err(ctx.error(
                    name_node.pos,
                    &format!("{ip}.name"),
                    format!("repeated config for plugin {name:?}"),
                ));
            }
            seen.push(name.clone());
            let args = cf.get("args");
            match (name.as_str(), args) {
                ("NodeResourcesFit", Some(a)) => profile.fit_args = decode_fit_args(ctx, a, &format!("{ip}.args"))?,
                ("NodeResourcesBalancedAllocation", Some(a)) => {
                    profile.balanced_args = decode_balanced_args(ctx, a, &format!("{ip}.args"))?
                }
                ("DefaultPreemption", Some(a)) => {
                    profile.preemption_args = decode_preemption_args(ctx, a, &format!("{ip}.args"))?
                }
                ("PodTopologySpread", Some(a)) => {
                    profile.spread_args = decode_spread_args(ctx, a, &format!("{ip}.args"))?
                }
                ("InterPodAffinity", Some(a)) => {
                    profile.inter_pod_affinity_args = decode_inter_pod_affinity_args(ctx, a, &format!("{ip}.args"))?
                }
                (fgd::NAME, Some(a)) => profile.fgd_args = fgd::decode_args(ctx, a, &format!("{ip}.args"))?,
                (external::NAME, Some(a)) => {
                    profile.external_args = Some(external::decode_args(ctx, a, &format!("{ip}.args"))?)
                }
                (other, args) if known.is_registered(other) => {
                    let value = args.map_or(PluginArgs::Null, crate::scheduler::custom::yaml_to_json);
                    let at = args.map_or(name_node.pos, |a| a.pos);
                    known
                        .build(other, &value)
                        .map_err(|e| ctx.error(at, &format!("{ip}.args"), format!("plugin {other:?}: {e}")))?;
                    profile.plugin_args.insert(other.to_string(), value);
                }
                (other, Some(a)) if registry::info(other).is_some_and(|i| i.support == Support::Policy) => {
                    let args = decode_policy_args(ctx, a, &format!("{ip}.args"), other)?;
                    profile.policy_args.insert(other.to_string(), args);
                }
                (other, _) if registry::info(other).is_some() => {
                    if args.is_some() {
                        ctx.note_unmodelled(&format!("{ip}.args ({other})"));
                    }
                }
                (other, _) => {
                    return Err(ctx.error(
                        name_node.pos,
                        &format!("{ip}.name"),
                        format!("unknown plugin {other:?}{}", crate::suggest::did_you_mean(other, known.names())),
                    ));
                }
            }
            cf.finish(ctx, &[])?;
        }
    }
    f.finish(ctx, &[])?;
    Ok(profile)
}

fn decode_plugin_set(
    ctx: &mut Ctx<'_>,
    node: &YamlNode,
    path: &str,
    point: Option<Points>,
    plugins: &PluginRegistry,
) -> DResult<PluginSet> {
    let mut f = ctx.fields(node, path)?;
    let mut set = PluginSet::default();
    for key in ["enabled", "disabled"] {
        let Some(list) = f.get(key) else { continue };
        let lpath = f.child(key);
        for (i, item) in ctx.seq(list, &lpath)?.iter().enumerate() {
            let ip = format!("{lpath}[{i}]");
            let mut pf = ctx.fields(item, &ip)?;
            let name_node = pf.require(ctx, "name", item.pos)?;
            let name = ctx.string(name_node, &format!("{ip}.name"))?;
            let weight = match pf.get("weight") {
                Some(w) => ctx.int_in(w, &format!("{ip}.weight"), 0, i64::from(i32::MAX))? as i32,
                None => 0,
            };
            pf.finish(ctx, &[])?;
            if !(key == "disabled" && name == "*") {
                let Some((points, _)) = plugins.info(&name) else {
                    return Err(ctx.error_hint(
                        name_node.pos,
                        &format!("{ip}.name"),
                        format!("unknown plugin {name:?}{}", crate::suggest::did_you_mean(&name, plugins.names())),
                        "plugin names are kube-scheduler's (NodeResourcesFit, TaintToleration, ...), the policies of docs/policies.md (Tetris, BestFit, ...), ExternalPolicy, or ones registered by a PluginRegistry",
                    ));
                };
                if key == "enabled"
                    && let Some(point) = point
                    && !points.contains(point)
                {
                    return Err(ctx.error(
                        name_node.pos,
                        &format!("{ip}.name"),
                        format!("plugin {name:?} does not implement this extension point"),
                    ));
                }
            }
            if key == "enabled" {
                if set.enabled.iter().any(|e| e.name == name) {
                    return Err(ctx.error(
                        name_node.pos,
                        &format!("{ip}.name"),
                        format!("plugin {name:?} is enabled twice"),
                    ));
                }
                set.enabled.push(PluginEntry { name, weight });
            } else {
                set.disabled.push(name);
            }
        }
    }
    f.finish(ctx, &[])?;
    Ok(set)
}

fn decode_resource_weights(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<Vec<ResourceWeight>> {
    let mut out: Vec<ResourceWeight> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, r) in ctx.seq(node, path)?.iter().enumerate() {
        let ip = format!("{path}[{i}]");
        let mut rf = ctx.fields(r, &ip)?;
        let name_node = rf.require(ctx, "name", r.pos)?;
        let name_text = ctx.string(name_node, &format!("{ip}.name"))?;
        let name = ResourceName::parse(&name_text).map_err(|e| ctx.error(name_node.pos, &format!("{ip}.name"), e))?;
        let weight = match rf.get("weight") {
            Some(w) => ctx.int_in(w, &format!("{ip}.weight"), 0, 100)?,
            None => 0,
        };
        rf.finish(ctx, &[])?;
        // Defaulting turns a missing or zero weight into 1; validation then wants 1..=100.
        let weight = if weight == 0 { 1 } else { weight };
        if !seen.insert(name.clone()) {
            return Err(ctx.error(name_node.pos, &format!("{ip}.name"), format!("duplicate resource {name_text:?}")));
        }
        out.push(ResourceWeight { name, weight });
    }
    Ok(out)
}

fn decode_fit_args(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<NodeResourcesFitArgs> {
    let mut f = ctx.fields(node, path)?;
    let mut args = NodeResourcesFitArgs::default();
    let _ = f.get("apiVersion");
    let _ = f.get("kind");
    if let Some(s) = f.get("scoringStrategy") {
        let spath = f.child("scoringStrategy");
        let mut sf = ctx.fields(s, &spath)?;
        if let Some(t) = sf.get("type") {
            let text = ctx.string(t, &sf.child("type"))?;
            args.strategy = match text.as_str() {
                "LeastAllocated" => ScoringStrategyType::LeastAllocated,
                "MostAllocated" => ScoringStrategyType::MostAllocated,
                "RequestedToCapacityRatio" => ScoringStrategyType::RequestedToCapacityRatio,
                _ => {
                    return Err(ctx.error(
                        t.pos,
                        &sf.child("type"),
                        format!(
                            "unsupported scoring strategy {text:?}{} (LeastAllocated, MostAllocated, RequestedToCapacityRatio)",
                            crate::suggest::did_you_mean(&text, ["LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"])
                        ),
                    ));
                }
            };
        }
        if let Some(r) = sf.get("resources") {
            args.resources = decode_resource_weights(ctx, r, &sf.child("resources"))?;
        }
        if let Some(r) = sf.get("requestedToCapacityRatio") {
            let rpath = sf.child("requestedToCapacityRatio");
            let mut rf = ctx.fields(r, &rpath)?;
            if let Some(shape) = rf.get("shape") {
                let shpath = rf.child("shape");
                for (i, pt) in ctx.seq(shape, &shpath)?.iter().enumerate() {
                    let ip = format!("{shpath}[{i}]");
                    let mut pf = ctx.fields(pt, &ip)?;
                    let u =
                        ctx.int_in(pf.require(ctx, "utilization", pt.pos)?, &format!("{ip}.utilization"), 0, 100)?;
                    let score = ctx.int_in(pf.require(ctx, "score", pt.pos)?, &format!("{ip}.score"), 0, 10)?;
                    pf.finish(ctx, &[])?;
                    if let Some(&(prev, _)) = args.shape.last()
                        && u <= prev
                    {
                        return Err(ctx.error(
                            pt.pos,
                            &ip,
                            "utilization values must be sorted in increasing order, without duplicates",
                        ));
                    }
                    args.shape.push((u, score));
                }
            }
            rf.finish(ctx, &[])?;
        }
        sf.finish(ctx, &[])?;
        if args.strategy == ScoringStrategyType::RequestedToCapacityRatio && args.shape.is_empty() {
            return Err(ctx.error(
                s.pos,
                &spath,
                "RequestedToCapacityRatio needs requestedToCapacityRatio.shape with at least one point",
            ));
        }
        if args.strategy != ScoringStrategyType::RequestedToCapacityRatio && !args.shape.is_empty() {
            return Err(ctx.error(
                s.pos,
                &spath,
                "requestedToCapacityRatio is only allowed with type RequestedToCapacityRatio",
            ));
        }
    }
    for key in ["ignoredResources", "ignoredResourceGroups"] {
        if let Some(list) = f.get(key) {
            let lpath = f.child(key);
            let mut values = Vec::new();
            for v in ctx.seq(list, &lpath)? {
                let text = ctx.string(v, &lpath)?;
                if key == "ignoredResourceGroups" && text.contains('/') {
                    return Err(ctx.error(v.pos, &lpath, format!("resource group name {text:?} cannot contain '/'")));
                }
                values.push(text);
            }
            if key == "ignoredResources" {
                args.ignored_resources = values;
            } else {
                args.ignored_resource_groups = values;
            }
        }
    }
    f.finish(ctx, &[])?;
    Ok(args)
}

/// `DefaultPreemptionArgs`, validated as `ValidateDefaultPreemptionArgs` does.
fn decode_preemption_args(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<DefaultPreemptionArgs> {
    let mut f = ctx.fields(node, path)?;
    let _ = f.get("apiVersion");
    let _ = f.get("kind");
    let mut args = DefaultPreemptionArgs::default();
    if let Some(n) = f.get("minCandidateNodesPercentage") {
        args.min_candidate_nodes_percentage = ctx.int_in(n, &f.child("minCandidateNodesPercentage"), 0, 100)? as i32;
    }
    if let Some(n) = f.get("minCandidateNodesAbsolute") {
        args.min_candidate_nodes_absolute = ctx.non_negative_int32(n, &f.child("minCandidateNodesAbsolute"))?;
    }
    f.finish(ctx, &[])?;
    if args.min_candidate_nodes_percentage == 0 && args.min_candidate_nodes_absolute == 0 {
        return Err(ctx.error(
            node.pos,
            path,
            "minCandidateNodesPercentage and minCandidateNodesAbsolute cannot be both zero",
        ));
    }
    Ok(args)
}

fn decode_balanced_args(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<BalancedAllocationArgs> {
    let mut f = ctx.fields(node, path)?;
    let _ = f.get("apiVersion");
    let _ = f.get("kind");
    let mut args = BalancedAllocationArgs::default();
    if let Some(r) = f.get("resources") {
        args.resources = decode_resource_weights(ctx, r, &f.child("resources"))?;
    }
    f.finish(ctx, &[])?;
    Ok(args)
}

/// `PodTopologySpreadArgs`, validated as `ValidatePodTopologySpreadArgs`; `defaultingType`
/// defaults to System (v1), which does not allow `defaultConstraints`.
fn decode_spread_args(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<PodTopologySpreadArgs> {
    use crate::api::pod::{NodeInclusionPolicy, TopologySpreadConstraint, UnsatisfiableConstraintAction};
    let mut f = ctx.fields(node, path)?;
    let _ = f.get("apiVersion");
    let _ = f.get("kind");
    let mut args = PodTopologySpreadArgs::default();
    let enum_value = |ctx: &Ctx<'_>, n: &YamlNode, path: &str, values: &[&str]| -> DResult<String> {
        let text = ctx.string(n, path)?;
        if !values.contains(&text.as_str()) {
            return Err(ctx.error(
                n.pos,
                path,
                format!(
                    "unsupported value {text:?}{}: supported values are {}",
                    crate::suggest::did_you_mean(&text, values.iter().copied()),
                    values.join(", ")
                ),
            ));
        }
        Ok(text)
    };
    if let Some(list) = f.get("defaultConstraints") {
        let lpath = f.child("defaultConstraints");
        for (i, item) in ctx.seq(list, &lpath)?.iter().enumerate() {
            let ip = format!("{lpath}[{i}]");
            let mut cf = ctx.fields(item, &ip)?;
            let mut c = TopologySpreadConstraint::default();
            let n = cf.require(ctx, "maxSkew", item.pos)?;
            c.max_skew = ctx.int_in(n, &cf.child("maxSkew"), 1, i64::from(i32::MAX))? as i32;
            let n = cf.require(ctx, "topologyKey", item.pos)?;
            c.topology_key = ctx.string(n, &cf.child("topologyKey"))?;
            crate::api::validation::is_qualified_name(&c.topology_key)
                .map_err(|e| ctx.error(n.pos, &cf.child("topologyKey"), format!("invalid topologyKey: {e}")))?;
            let n = cf.require(ctx, "whenUnsatisfiable", item.pos)?;
            let when = enum_value(ctx, n, &cf.child("whenUnsatisfiable"), &["DoNotSchedule", "ScheduleAnyway"])?;
            c.when_unsatisfiable = if when == "DoNotSchedule" {
                UnsatisfiableConstraintAction::DoNotSchedule
            } else {
                UnsatisfiableConstraintAction::ScheduleAnyway
            };
            if let Some(n) = cf.get("labelSelector") {
                return Err(ctx.error(
                    n.pos,
                    &cf.child("labelSelector"),
                    "a default constraint must not define a selector: it is deduced for each pod from the Services and ReplicaSets selecting it",
                ));
            }
            if let Some(n) = cf.get("minDomains") {
                c.min_domains = Some(ctx.int_in(n, &cf.child("minDomains"), 1, i64::from(i32::MAX))? as i32);
            }
            for (key, slot) in
                [("nodeAffinityPolicy", &mut c.node_affinity_policy), ("nodeTaintsPolicy", &mut c.node_taints_policy)]
            {
                if let Some(n) = cf.get(key) {
                    let v = enum_value(ctx, n, &cf.child(key), &["Honor", "Ignore"])?;
                    *slot = Some(if v == "Honor" { NodeInclusionPolicy::Honor } else { NodeInclusionPolicy::Ignore });
                }
            }
            if let Some(keys) = cf.get("matchLabelKeys") {
                for k in ctx.seq(keys, &cf.child("matchLabelKeys"))? {
                    c.match_label_keys.push(ctx.string(k, &cf.child("matchLabelKeys"))?);
                }
            }
            cf.finish(ctx, &[])?;
            if args
                .default_constraints
                .iter()
                .any(|o| o.topology_key == c.topology_key && o.when_unsatisfiable == c.when_unsatisfiable)
            {
                return Err(ctx.error(item.pos, &ip, "duplicate {topologyKey, whenUnsatisfiable} pair"));
            }
            args.default_constraints.push(c);
        }
    }
    let mut type_pos = node.pos;
    if let Some(n) = f.get("defaultingType") {
        type_pos = n.pos;
        let v = enum_value(ctx, n, &f.child("defaultingType"), &["System", "List"])?;
        args.defaulting_type = if v == "List" { SpreadDefaultingType::List } else { SpreadDefaultingType::System };
    }
    f.finish(ctx, &[])?;
    if args.defaulting_type == SpreadDefaultingType::System && !args.default_constraints.is_empty() {
        return Err(ctx.error_hint(
            type_pos,
            &format!("{path}.defaultingType"),
            "defaultingType System (the default) does not allow defaultConstraints",
            "set defaultingType: List to use these constraints",
        ));
    }
    Ok(args)
}

/// `InterPodAffinityArgs`, validated as `ValidateInterPodAffinityArgs`.
fn decode_inter_pod_affinity_args(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<InterPodAffinityArgs> {
    let mut f = ctx.fields(node, path)?;
    let _ = f.get("apiVersion");
    let _ = f.get("kind");
    let mut args = InterPodAffinityArgs::default();
    if let Some(n) = f.get("hardPodAffinityWeight") {
        args.hard_pod_affinity_weight = ctx.int_in(n, &f.child("hardPodAffinityWeight"), 0, 100)? as i32;
    }
    if let Some(n) = f.get("ignorePreferredTermsOfExistingPods") {
        args.ignore_preferred_terms_of_existing_pods = ctx.bool(n, &f.child("ignorePreferredTermsOfExistingPods"))?;
    }
    f.finish(ctx, &[])?;
    Ok(args)
}

/// Decodes the args of scoring policy `plugin`: `resources` for Tetris and BestFit,
/// `demandExponent` for Tetris, `seed` for Random; FirstFit and RoundRobin take none.
fn decode_policy_args(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str, plugin: &str) -> DResult<PolicyArgs> {
    let mut f = ctx.fields(node, path)?;
    let _ = f.get("apiVersion");
    let _ = f.get("kind");
    let mut args = PolicyArgs::default();
    if matches!(plugin, "Tetris" | "BestFit")
        && let Some(r) = f.get("resources")
    {
        let resources = decode_resource_weights(ctx, r, &f.child("resources"))?;
        if resources.is_empty() {
            return Err(ctx.error(r.pos, &f.child("resources"), "must name at least one resource"));
        }
        args.resources = Some(resources);
    }
    if plugin == "Tetris"
        && let Some(n) = f.get("demandExponent")
    {
        args.demand_exponent = ctx.int_in(n, &f.child("demandExponent"), 0, MAX_DEMAND_EXPONENT)? as u32;
    }
    if plugin == "Random"
        && let Some(n) = f.get("seed")
    {
        args.seed = Some(ctx.int_in(n, &f.child("seed"), 0, i64::MAX)? as u64);
    }
    f.finish(ctx, &[])?;
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, weight: i32) -> PluginEntry {
        PluginEntry { name: name.into(), weight }
    }

    #[test]
    fn default_profile_resolution() {
        let r = ProfileConfig::default_profile().resolve().unwrap();
        assert_eq!(r.queue_sort, ["PrioritySort"]);
        assert_eq!(
            r.filter,
            [
                "NodeUnschedulable",
                "NodeName",
                "TaintToleration",
                "NodeAffinity",
                "NodePorts",
                "NodeResourcesFit",
                // kubesim's device-level GPU check (Support::Extension), right after the fit.
                "GPUShare",
                "VolumeRestrictions",
                "NodeVolumeLimits",
                "VolumeBinding",
                "VolumeZone",
                "PodTopologySpread",
                "InterPodAffinity"
            ]
        );
        assert_eq!(
            r.score,
            [
                ("TaintToleration".into(), 3),
                ("NodeAffinity".into(), 2),
                ("NodeResourcesFit".into(), 1),
                ("PodTopologySpread".into(), 2),
                ("InterPodAffinity".into(), 2),
                ("NodeResourcesBalancedAllocation".into(), 1),
                ("ImageLocality".into(), 1)
            ]
        );
        // ImageLocality scores with the snapshot, which it reads at PreScore.
        assert!(r.pre_score.contains(&"ImageLocality".to_string()));
        assert_eq!(r.bind, ["DefaultBinder"]);
        assert!(!r.not_simulated.contains(&"PodTopologySpread".to_string()));
    }

    #[test]
    fn fgd_prefilters_and_prescores_wherever_it_scores() {
        // Enabled at the score point only, with every PreScore plugin disabled.
        let profile = ProfileConfig {
            points: vec![
                (Points::SCORE, PluginSet { enabled: vec![entry("FGD", 1)], disabled: vec!["*".into()] }),
                (Points::PRE_SCORE, PluginSet { enabled: vec![], disabled: vec!["*".into()] }),
            ],
            ..ProfileConfig::default_profile()
        };
        let r = profile.resolve().unwrap();
        assert_eq!(r.score, [("FGD".into(), 1)]);
        assert_eq!(r.pre_score, ["FGD"]);
        assert_eq!(r.pre_filter.last().map(String::as_str), Some("FGD"));
        // Not in the default profile.
        let d = ProfileConfig::default_profile().resolve().unwrap();
        assert!(!d.pre_filter.iter().chain(&d.pre_score).any(|n| n == "FGD" || n == "GPUPacking"));
    }

    #[test]
    fn multipoint_disable_all_and_enable_one() {
        let profile = ProfileConfig {
            multi_point: PluginSet {
                enabled: vec![entry("NodeResourcesFit", 1), entry("PrioritySort", 0), entry("DefaultBinder", 0)],
                disabled: vec!["*".into()],
            },
            ..ProfileConfig::default_profile()
        };
        let r = profile.resolve().unwrap();
        assert_eq!(r.filter, ["NodeResourcesFit"]);
        assert_eq!(r.score, [("NodeResourcesFit".into(), 1)]);
    }

    #[test]
    fn custom_multipoint_entry_replaces_default_in_place() {
        let profile = ProfileConfig {
            multi_point: PluginSet { enabled: vec![entry("NodeResourcesFit", 5)], disabled: vec![] },
            ..ProfileConfig::default_profile()
        };
        let r = profile.resolve().unwrap();
        assert_eq!(r.score[2], ("NodeResourcesFit".into(), 5));
    }

    #[test]
    fn specific_point_overrides_multipoint_weight_and_disables() {
        let profile = ProfileConfig {
            points: vec![(
                Points::SCORE,
                PluginSet {
                    enabled: vec![entry("NodeResourcesBalancedAllocation", 7)],
                    disabled: vec!["TaintToleration".into()],
                },
            )],
            ..ProfileConfig::default_profile()
        };
        let r = profile.resolve().unwrap();
        // Overrides come first, then the remaining MultiPoint plugins.
        assert_eq!(
            r.score,
            [
                ("NodeResourcesBalancedAllocation".into(), 7),
                ("NodeAffinity".into(), 2),
                ("NodeResourcesFit".into(), 1),
                ("PodTopologySpread".into(), 2),
                ("InterPodAffinity".into(), 2),
                ("ImageLocality".into(), 1)
            ]
        );
        assert!(r.filter.contains(&"TaintToleration".to_string()), "disabled for score only");
    }

    #[test]
    fn needs_queue_sort_and_binder() {
        let profile = ProfileConfig {
            multi_point: PluginSet { enabled: vec![entry("NodeResourcesFit", 1)], disabled: vec!["*".into()] },
            ..ProfileConfig::default_profile()
        };
        assert!(profile.resolve().unwrap_err().contains("queueSort"));
    }

    /// Decodes `spec.scheduler` from YAML; the error message on failure.
    fn decode_config(text: &str) -> Result<SchedulerConfig, String> {
        let docs = crate::yaml::parse_stream(text).map_err(|e| format!("{e:?}"))?;
        let mut unmodelled = crate::decode::Unmodelled::new();
        let mut ctx = Ctx::new("s.yaml", "Scenario", &mut unmodelled);
        decode_scheduler_config(&mut ctx, &docs[0].root, "spec.scheduler")
            .map_err(|e| format!("{}: {}", e.path, e.message))
    }

    fn plugin_config(name: &str, args: &str) -> String {
        format!(
            "profiles:\n  - schedulerName: default-scheduler\n    pluginConfig:\n      - name: {name}\n        args: {args}\n"
        )
    }

    #[test]
    fn pod_topology_spread_args() {
        let c = decode_config(&plugin_config(
            "PodTopologySpread",
            "{defaultingType: List, defaultConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}]}",
        ))
        .unwrap();
        let args = &c.profiles[0].spread_args;
        assert_eq!(args.defaulting_type, SpreadDefaultingType::List);
        assert_eq!(args.default_constraints[0].topology_key, "topology.kubernetes.io/zone");
        assert_eq!(c.profiles[0].resolve().unwrap().spread_args, *args);
        assert_eq!(
            decode_config(&plugin_config("PodTopologySpread", "{defaultingType: List}")).unwrap().profiles[0]
                .spread_args,
            PodTopologySpreadArgs { default_constraints: vec![], defaulting_type: SpreadDefaultingType::List }
        );
        let e = decode_config(&plugin_config(
            "PodTopologySpread",
            "{defaultConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]}",
        ))
        .unwrap_err();
        assert!(e.contains("defaultingType System"), "{e}");
        let e = decode_config(&plugin_config(
            "PodTopologySpread",
            "{defaultingType: List, defaultConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {}}]}",
        ))
        .unwrap_err();
        assert!(e.contains("must not define a selector"), "{e}");
        assert!(
            decode_config(&plugin_config("PodTopologySpread", "{defaultingType: Sytem}"))
                .unwrap_err()
                .contains("System, List")
        );
    }

    #[test]
    fn inter_pod_affinity_args() {
        let c = decode_config(&plugin_config(
            "InterPodAffinity",
            "{hardPodAffinityWeight: 0, ignorePreferredTermsOfExistingPods: true}",
        ))
        .unwrap();
        assert_eq!(
            c.profiles[0].inter_pod_affinity_args,
            InterPodAffinityArgs { hard_pod_affinity_weight: 0, ignore_preferred_terms_of_existing_pods: true }
        );
        assert_eq!(ProfileConfig::default_profile().inter_pod_affinity_args.hard_pod_affinity_weight, 1);
        assert!(decode_config(&plugin_config("InterPodAffinity", "{hardPodAffinityWeight: 101}")).is_err());
    }

    #[test]
    fn image_locality_pre_score_follows_its_score() {
        // Disabled at score: no PreScore either.
        let profile = ProfileConfig {
            points: vec![(Points::SCORE, PluginSet { enabled: vec![], disabled: vec!["ImageLocality".into()] })],
            ..ProfileConfig::default_profile()
        };
        assert!(!profile.resolve().unwrap().pre_score.contains(&"ImageLocality".to_string()));
    }
}
