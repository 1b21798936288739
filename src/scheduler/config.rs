//! The scheduler configuration: the `KubeSchedulerConfiguration`
//! (`kubescheduler.config.k8s.io/v1`) fields a scenario may set, decoded with locations, and
//! resolved into per-extension-point plugin lists exactly as kube-scheduler does:
//! `mergePlugins` of `pkg/scheduler/apis/config/v1/defaults.go` (custom sets override the
//! default MultiPoint list in place) and `expandMultiPointPlugins` / `getScoreWeights` of
//! `pkg/scheduler/framework/runtime/framework.go` (specific extension points override
//! MultiPoint; a score weight of 0 becomes 1).

use crate::api::resources::ResourceName;
use crate::decode::{Ctx, DResult};
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
                let info = registry::info(&e.name).ok_or_else(|| format!("plugin {:?} does not exist", e.name))?;
                if !info.points.contains(point) || set.disabled.contains(&e.name) {
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
                let info = registry::info(&e.name).ok_or_else(|| format!("plugin {:?} does not exist", e.name))?;
                if !info.points.contains(point) {
                    return Err(format!("plugin {:?} does not implement this extension point", e.name));
                }
                match info.support {
                    Support::Implemented | Support::VolumeNoOp => simulated.push(e),
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
        let pre_filter = names(expand(Points::PRE_FILTER)?);
        let filter = names(expand(Points::FILTER)?);
        let post_filter = names(expand(Points::POST_FILTER)?);
        let pre_score = names(expand(Points::PRE_SCORE)?);
        let score_entries = expand(Points::SCORE)?;
        let bind = names(expand(Points::BIND)?);

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
        })
    }
}

/// Decodes `spec.scheduler`.
pub fn decode_scheduler_config(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<SchedulerConfig> {
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
            let profile = decode_profile(ctx, p, &format!("{ppath}[{i}]"))?;
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
        profile
            .resolve()
            .map_err(|e| ctx.error(profile.pos, path, format!("profile {:?}: {e}", profile.scheduler_name)))?;
    }
    let first_sort = config.profiles[0].resolve().map(|r| r.queue_sort).unwrap_or_default();
    for profile in &config.profiles[1..] {
        if profile.resolve().map(|r| r.queue_sort).unwrap_or_default() != first_sort {
            return Err(ctx.error(profile.pos, path, "all profiles must use the same queueSort plugin"));
        }
    }
    Ok(config)
}

fn decode_profile(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<ProfileConfig> {
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
            profile.multi_point = decode_plugin_set(ctx, n, &pf.child("multiPoint"), None)?;
        }
        for (key, point) in POINT_KEYS {
            if let Some(n) = pf.get(key) {
                let set = decode_plugin_set(ctx, n, &pf.child(key), Some(point))?;
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
                (other, _) if registry::info(other).is_some() => {
                    if args.is_some() {
                        ctx.note_unmodelled(&format!("{ip}.args ({other})"));
                    }
                }
                (other, _) => {
                    return Err(ctx.error(
                        name_node.pos,
                        &format!("{ip}.name"),
                        format!("unknown plugin {other:?}{}", crate::suggest::did_you_mean(other, registry::names())),
                    ));
                }
            }
            cf.finish(ctx, &[])?;
        }
    }
    f.finish(ctx, &[])?;
    Ok(profile)
}

fn decode_plugin_set(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str, point: Option<Points>) -> DResult<PluginSet> {
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
                let Some(info) = registry::info(&name) else {
                    return Err(ctx.error_hint(
                        name_node.pos,
                        &format!("{ip}.name"),
                        format!("unknown plugin {name:?}{}", crate::suggest::did_you_mean(&name, registry::names())),
                        "plugin names are kube-scheduler's, e.g. NodeResourcesFit, TaintToleration, NodeResourcesBalancedAllocation",
                    ));
                };
                if key == "enabled"
                    && let Some(point) = point
                    && !info.points.contains(point)
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
                "NodeResourcesFit",
                "VolumeRestrictions",
                "NodeVolumeLimits",
                "VolumeBinding",
                "VolumeZone"
            ]
        );
        assert_eq!(
            r.score,
            [
                ("TaintToleration".into(), 3),
                ("NodeAffinity".into(), 2),
                ("NodeResourcesFit".into(), 1),
                ("NodeResourcesBalancedAllocation".into(), 1)
            ]
        );
        assert_eq!(r.bind, ["DefaultBinder"]);
        assert!(r.not_simulated.contains(&"PodTopologySpread".to_string()));
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
            [("NodeResourcesBalancedAllocation".into(), 7), ("NodeAffinity".into(), 2), ("NodeResourcesFit".into(), 1)]
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
}
