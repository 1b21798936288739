//! The researcher's door: plugins written by a library user, registered by name in a
//! [`PluginRegistry`] before a scenario is loaded, and the launcher of external policy
//! processes (see `docs/plugins.md`).
//!
//! A registered plugin is a constructor from its `pluginConfig` args (YAML turned into a
//! [`serde_json::Value`]) to a [`Plugin`]. The scenario decoder accepts registered names wherever
//! it accepts kube-scheduler's, with the same located errors, and calls the constructor once
//! at load time so that bad args are reported with their file, line and column. The
//! [`Scenario`](crate::Scenario) keeps the registry it was loaded with, and the simulation
//! builds its plugins from it (calling each constructor again, once per profile).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::scheduler::framework::Plugin;
use crate::scheduler::plugins::external::PolicyLauncher;
use crate::scheduler::registry::{self, Points, Support};
use crate::yaml::{Node as YamlNode, Value as YamlValue};

/// A plugin's `pluginConfig[].args`, converted from YAML: mappings become objects, lists
/// arrays, plain scalars `true`/`false`, integers and finite decimals become booleans and
/// numbers, everything else (quoted scalars, durations such as `2s`, quantities such as
/// `500m`) a string. `null` when the profile has no `pluginConfig` entry for the plugin.
pub type PluginArgs = serde_json::Value;

type Constructor = dyn Fn(&PluginArgs) -> Result<Box<dyn Plugin>, String> + Send + Sync;

/// The extension points a registered plugin may implement: the ones the scheduling cycle runs.
pub const CUSTOM_POINTS: Points =
    Points::PRE_FILTER.union(Points::FILTER).union(Points::PRE_SCORE).union(Points::SCORE);

#[derive(Clone)]
struct Registered {
    points: Points,
    constructor: Arc<Constructor>,
}

/// Plugins known by name beyond kube-scheduler's, and the launcher for ExternalPolicy.
///
/// ```
/// use kubesim::scheduler::custom::PluginRegistry;
/// use kubesim::scheduler::framework::{NodeInfo, Plugin, Score, Status};
/// use kubesim::scheduler::registry::Points;
///
/// struct Constant(i64);
/// impl Plugin for Constant {
///     fn name(&self) -> &'static str { "Constant" }
///     fn as_score(&self) -> Option<&dyn Score> { Some(self) }
/// }
/// impl Score for Constant {
///     fn score(&self, _: &kubesim::api::pod::Pod, _: &NodeInfo) -> Result<i64, Status> { Ok(self.0) }
/// }
///
/// let mut registry = PluginRegistry::new();
/// registry
///     .register("Constant", Points::SCORE, |args| {
///         let score = args.get("score").and_then(|v| v.as_i64()).unwrap_or(50);
///         Ok(Box::new(Constant(score)) as Box<dyn Plugin>)
///     })
///     .unwrap();
/// assert!(registry.register("NodeResourcesFit", Points::SCORE, |_| Err("x".into())).is_err());
/// ```
#[derive(Clone, Default)]
pub struct PluginRegistry {
    plugins: BTreeMap<&'static str, Registered>,
    launcher: Option<Arc<dyn PolicyLauncher>>,
}

impl fmt::Debug for PluginRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginRegistry")
            .field("plugins", &self.plugins.keys().collect::<Vec<_>>())
            .field("policy_launcher", &self.launcher.is_some())
            .finish()
    }
}

impl PluginRegistry {
    /// kube-scheduler's plugins and ExternalPolicy only, without a policy launcher.
    pub fn new() -> PluginRegistry {
        PluginRegistry::default()
    }

    /// Registers the plugin `name`, implementing `points` (a union of [`CUSTOM_POINTS`]),
    /// built by `constructor` from its `pluginConfig` args. The plugin's
    /// [`Plugin::name`] must return `name`, and it must hand out the extension-point traits
    /// of `points`; both are checked when it is built. Names of kube-scheduler's plugins and
    /// names already registered are refused.
    pub fn register<F>(&mut self, name: &'static str, points: Points, constructor: F) -> Result<&mut Self, String>
    where
        F: Fn(&PluginArgs) -> Result<Box<dyn Plugin>, String> + Send + Sync + 'static,
    {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
            return Err(format!(
                "plugin name {name:?} must be non-empty and use only letters, digits, '-', '_' and '.'"
            ));
        }
        if registry::info(name).is_some() {
            return Err(format!("plugin {name:?} is a built-in plugin; choose another name"));
        }
        if self.plugins.contains_key(name) {
            return Err(format!("plugin {name:?} is already registered"));
        }
        if points == Points::NONE || points.union(CUSTOM_POINTS) != CUSTOM_POINTS {
            return Err(format!(
                "plugin {name:?}: registered plugins implement some of PRE_FILTER, FILTER, PRE_SCORE and SCORE"
            ));
        }
        self.plugins.insert(name, Registered { points, constructor: Arc::new(constructor) });
        Ok(self)
    }

    /// Sets the launcher that starts ExternalPolicy processes (the kubesim CLI gives
    /// `cli::policy_process::ProcessLauncher`). Without one, a run that needs an external
    /// policy stops at its first cycle with an explanation.
    pub fn with_policy_launcher(mut self, launcher: Arc<dyn PolicyLauncher>) -> PluginRegistry {
        self.launcher = Some(launcher);
        self
    }

    /// The launcher for ExternalPolicy processes, if any.
    pub fn policy_launcher(&self) -> Option<&Arc<dyn PolicyLauncher>> {
        self.launcher.as_ref()
    }

    /// The extension points and support level of a built-in or registered plugin.
    pub fn info(&self, name: &str) -> Option<(Points, Support)> {
        if let Some(info) = registry::info(name) {
            return Some((info.points, info.support));
        }
        self.plugins.get(name).map(|r| (r.points, Support::Implemented))
    }

    /// Whether `name` is a registered (not built-in) plugin.
    pub fn is_registered(&self, name: &str) -> bool {
        self.plugins.contains_key(name)
    }

    /// The registered (not built-in) names, sorted.
    pub fn registered_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.plugins.keys().copied()
    }

    /// Every accepted name: kube-scheduler's, ExternalPolicy, then the registered ones.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        registry::names().chain(self.registered_names())
    }

    /// Builds the registered plugin `name` from `args` and checks that it is what was
    /// registered.
    pub fn build(&self, name: &str, args: &PluginArgs) -> Result<Box<dyn Plugin>, String> {
        let Some(r) = self.plugins.get(name) else {
            return Err(format!("plugin {name:?} is not registered"));
        };
        let mut plugin = (r.constructor)(args)?;
        if plugin.name() != name {
            return Err(format!(
                "the constructor registered as {name:?} built a plugin named {:?}: Plugin::name must return the registered name",
                plugin.name()
            ));
        }
        let checks = [
            (Points::PRE_FILTER, "PRE_FILTER", "as_pre_filter", plugin.as_pre_filter().is_some()),
            (Points::FILTER, "FILTER", "as_filter", plugin.as_filter().is_some()),
            (Points::PRE_SCORE, "PRE_SCORE", "as_pre_score", plugin.as_pre_score().is_some()),
            (Points::SCORE, "SCORE", "as_score", plugin.as_score().is_some()),
        ];
        for (point, point_name, method, present) in checks {
            if r.points.contains(point) && !present {
                return Err(format!("plugin {name:?} was registered with {point_name} but its {method} returns None"));
            }
        }
        Ok(plugin)
    }
}

/// Converts a YAML tree to [`PluginArgs`] (see there for the rules).
pub fn yaml_to_json(node: &YamlNode) -> PluginArgs {
    use serde_json::Value;
    match &node.value {
        YamlValue::Null => Value::Null,
        YamlValue::Seq(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        YamlValue::Map(entries) => {
            Value::Object(entries.iter().map(|(k, v)| (k.text.clone(), yaml_to_json(v))).collect())
        }
        YamlValue::Scalar(s) if s.quoted => Value::String(s.text.clone()),
        YamlValue::Scalar(s) => {
            let t = s.text.as_str();
            match t {
                "true" | "True" | "TRUE" => return Value::Bool(true),
                "false" | "False" | "FALSE" => return Value::Bool(false),
                "null" | "Null" | "NULL" | "~" => return Value::Null,
                _ => {}
            }
            if let Ok(i) = t.parse::<i64>() {
                return Value::from(i);
            }
            let numeric = t.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
                && t.chars().any(|c| c.is_ascii_digit());
            if numeric
                && let Ok(f) = t.parse::<f64>()
                && let Some(n) = serde_json::Number::from_f64(f)
            {
                return Value::Number(n);
            }
            Value::String(s.text.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::framework::{NodeInfo, Score, Status};

    struct Fixed;
    impl Plugin for Fixed {
        fn name(&self) -> &'static str {
            "Fixed"
        }
        fn as_score(&self) -> Option<&dyn Score> {
            Some(self)
        }
    }
    impl Score for Fixed {
        fn score(&self, _: &crate::api::pod::Pod, _: &NodeInfo) -> Result<i64, Status> {
            Ok(1)
        }
    }

    #[test]
    fn registration_rules() {
        let mut r = PluginRegistry::new();
        r.register("Fixed", Points::SCORE, |_| Ok(Box::new(Fixed))).unwrap();
        assert!(r.register("Fixed", Points::SCORE, |_| Ok(Box::new(Fixed))).unwrap_err().contains("already"));
        assert!(
            r.register("TaintToleration", Points::SCORE, |_| Ok(Box::new(Fixed))).unwrap_err().contains("built-in")
        );
        assert!(r.register("ExternalPolicy", Points::SCORE, |_| Ok(Box::new(Fixed))).is_err());
        assert!(r.register("Bad Name", Points::SCORE, |_| Ok(Box::new(Fixed))).is_err());
        assert!(r.register("Binder", Points::BIND, |_| Ok(Box::new(Fixed))).unwrap_err().contains("PRE_FILTER"));
        assert_eq!(r.info("Fixed"), Some((Points::SCORE, Support::Implemented)));
        assert!(r.names().any(|n| n == "Fixed") && r.names().any(|n| n == "NodeResourcesFit"));
        assert!(r.build("Fixed", &PluginArgs::Null).is_ok());

        r.register("Liar", Points::SCORE.union(Points::FILTER), |_| Ok(Box::new(Fixed))).unwrap();
        assert!(r.build("Liar", &PluginArgs::Null).err().unwrap().contains("named \"Fixed\""));
        assert!(r.build("Nope", &PluginArgs::Null).is_err());
        assert_eq!(format!("{r:?}"), r#"PluginRegistry { plugins: ["Fixed", "Liar"], policy_launcher: false }"#);
    }

    #[test]
    fn yaml_args_become_json() {
        let docs =
            crate::yaml::parse_stream("a: 1\nb: '1'\nc: [true, 2.5, 2s, ~, -3]\nd: {e: 500m}\nf: .inf\ng: 1e3\n")
                .unwrap();
        let v = yaml_to_json(&docs[0].root);
        assert_eq!(
            v,
            serde_json::json!({"a": 1, "b": "1", "c": [true, 2.5, "2s", null, -3], "d": {"e": "500m"}, "f": ".inf", "g": 1000.0})
        );
    }
}
