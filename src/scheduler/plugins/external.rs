//! ExternalPolicy: a score plugin whose scores come from a process outside kubesim, speaking
//! one JSON line in, one JSON line out per scheduling cycle (protocol version
//! [`PROTOCOL_VERSION`], specified in `docs/plugins.md`).
//!
//! This module is the protocol only: it encodes the request, and decodes and checks the answer.
//! It never touches a process. Processes are started by a [`PolicyLauncher`] that the library
//! user supplies through [`PluginRegistry::with_policy_launcher`](crate::scheduler::custom::PluginRegistry::with_policy_launcher);
//! the kubesim CLI supplies `cli::policy_process::ProcessLauncher`. The library therefore still
//! does no I/O of its own, and the simulation depends only on *what* the process answers: a
//! cycle waits for the answer, virtual time does not move while it waits, and a late answer
//! (past the wall-clock timeout) stops the run rather than changing it.
//!
//! Any failure of the process or of its answer stops the run ([`Plugin::fatal_error`]): a
//! policy that cannot answer would otherwise fail every cycle, and a simulation that silently
//! continues without the policy under study answers the wrong question.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::api::meta::Labels;
use crate::api::pod::Pod;
use crate::api::resources::Resources;
use crate::decode::{Ctx, DResult};
use crate::scheduler::framework::{CycleContext, NodeInfo, Plugin, PreScore, Score, Status};
use crate::store::NodeId;
use crate::yaml::Node as YamlNode;

/// The plugin's name in profiles and `pluginConfig`.
pub const NAME: &str = "ExternalPolicy";

/// The version of the line protocol, sent in every request as `"version"`.
pub const PROTOCOL_VERSION: u32 = 1;

/// The default wall-clock time to wait for one answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest accepted `timeout`.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(600);

/// How the answer is used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PolicyMode {
    /// `{"scores": {"<node>": 0..100}}`: one score per feasible node, weighted like any other
    /// score plugin.
    #[default]
    Score,
    /// `{"node": "<name>"}`: the named node scores 100, the others 0; the profile must give the
    /// plugin a weight above the sum of the other score weights, so the choice always wins.
    Select,
}

impl PolicyMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyMode::Score => "score",
            PolicyMode::Select => "select",
        }
    }
}

/// `pluginConfig` args of ExternalPolicy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalPolicyArgs {
    /// The program and its arguments; the launcher decides the working directory (the CLI:
    /// the scenario file's directory).
    pub command: Vec<String>,
    /// Wall-clock time to wait for each answer.
    pub timeout: Duration,
    pub mode: PolicyMode,
}

/// Starts policy processes. Implementations do the I/O the library does not do.
pub trait PolicyLauncher: Send + Sync {
    /// Starts `command` (program first). `timeout` is how long each
    /// [`exchange`](PolicyChannel::exchange) may wait for an answer. The error is a complete
    /// sentence fragment such as `cannot start "python9": No such file or directory`.
    fn launch(&self, command: &[String], timeout: Duration) -> Result<Box<dyn PolicyChannel>, String>;
}

/// A running policy process: one request line out, one answer line back.
pub trait PolicyChannel {
    /// Writes `request` (one line of JSON, without the newline) and returns the next line the
    /// process writes, without its newline. Errors say what happened to the process: it
    /// exited (with its status and the end of its stderr), it did not answer within the
    /// timeout, or its output could not be read.
    fn exchange(&mut self, request: &str) -> Result<String, String>;
}

/// Decodes `pluginConfig[].args` of ExternalPolicy.
pub fn decode_args(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<ExternalPolicyArgs> {
    let mut f = ctx.fields(node, path)?;
    let _ = f.get("apiVersion");
    let _ = f.get("kind");
    let command_node = f.require(ctx, "command", node.pos)?;
    let cpath = f.child("command");
    if command_node.as_str().is_some() {
        return Err(ctx.error_hint(
            command_node.pos,
            &cpath,
            "expected a list: the program and its arguments",
            "write e.g. command: [python3, policy.py]",
        ));
    }
    let mut command = Vec::new();
    for (i, item) in ctx.seq(command_node, &cpath)?.iter().enumerate() {
        let word = ctx.string(item, &format!("{cpath}[{i}]"))?;
        if word.is_empty() {
            return Err(ctx.error(item.pos, &format!("{cpath}[{i}]"), "must not be empty"));
        }
        command.push(word);
    }
    if command.is_empty() {
        return Err(ctx.error_hint(
            command_node.pos,
            &cpath,
            "must name a program",
            "write e.g. command: [python3, policy.py]",
        ));
    }
    let mut timeout = DEFAULT_TIMEOUT;
    if let Some(n) = f.get("timeout") {
        let d = ctx.duration(n, &f.child("timeout"))?;
        timeout = Duration::from_micros(d.as_micros());
        if timeout.is_zero() || timeout > MAX_TIMEOUT {
            return Err(ctx.error(n.pos, &f.child("timeout"), "must be greater than zero and at most 10m"));
        }
    }
    let mut mode = PolicyMode::Score;
    if let Some(n) = f.get("mode") {
        let text = ctx.string(n, &f.child("mode"))?;
        mode = match text.as_str() {
            "score" => PolicyMode::Score,
            "select" => PolicyMode::Select,
            _ => {
                return Err(ctx.error(
                    n.pos,
                    &f.child("mode"),
                    format!(
                        "unknown mode {text:?}{} (score or select)",
                        crate::suggest::did_you_mean(&text, ["score", "select"])
                    ),
                ));
            }
        };
    }
    f.finish(ctx, &[])?;
    Ok(ExternalPolicyArgs { command, timeout, mode })
}

/// Checks a resolved profile's use of ExternalPolicy: it needs its args, both of its extension
/// points, and in select mode a weight that makes its choice final.
pub fn check_profile(
    pre_score: &[String],
    score: &[(String, i64)],
    args: Option<&ExternalPolicyArgs>,
) -> Result<(), String> {
    let in_pre_score = pre_score.iter().any(|n| n == NAME);
    let weight = score.iter().find(|(n, _)| n == NAME).map(|(_, w)| *w);
    if !in_pre_score && weight.is_none() {
        return Ok(());
    }
    let Some(args) = args else {
        return Err(format!(
            "plugin {NAME:?} is enabled but has no pluginConfig args: give it at least command, e.g. {{name: {NAME}, args: {{command: [python3, policy.py]}}}}"
        ));
    };
    let Some(weight) = weight else {
        return Err(format!("plugin {NAME:?} is enabled at preScore but not at score: enable it under multiPoint"));
    };
    if !in_pre_score {
        return Err(format!(
            "plugin {NAME:?} is enabled at score but not at preScore, where it asks the policy: enable it under multiPoint"
        ));
    }
    if args.mode == PolicyMode::Select {
        let others: i64 = score.iter().filter(|(n, _)| n != NAME).map(|(_, w)| *w).sum();
        if weight <= others {
            return Err(format!(
                "plugin {NAME:?} in mode select has weight {weight}, but the other score plugins weigh {others} together: give it a weight of at least {} (or disable the other score plugins) so that the node it selects always wins",
                others + 1
            ));
        }
    }
    Ok(())
}

/// One request line (protocol version 1). Field order is the serialization order.
#[derive(Serialize)]
struct Request<'a> {
    version: u32,
    mode: &'static str,
    /// 1 for the first request of the run.
    cycle: u64,
    pod: PodJson<'a>,
    nodes: Vec<NodeJson<'a>>,
}

#[derive(Serialize)]
struct PodJson<'a> {
    namespace: &'a str,
    name: &'a str,
    labels: &'a Labels,
    priority: i32,
    requests: BTreeMap<String, i64>,
}

#[derive(Serialize)]
struct NodeJson<'a> {
    name: &'a str,
    labels: &'a Labels,
    allocatable: BTreeMap<String, i64>,
    requested: BTreeMap<String, i64>,
    free: BTreeMap<String, i64>,
}

/// A resource vector as `{"cpu": millicores, "memory": bytes, "ephemeral-storage": bytes,
/// "pods": count, "<extended>": units}`; `pods` only when `pods` is given.
fn resources_json(r: &Resources, pods: Option<i64>) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    out.insert("cpu".to_string(), r.milli_cpu);
    out.insert("memory".to_string(), r.memory);
    out.insert("ephemeral-storage".to_string(), r.ephemeral_storage);
    if let Some(p) = pods {
        out.insert("pods".to_string(), p);
    }
    for (name, v) in &r.scalar {
        out.insert(name.to_string(), *v);
    }
    out
}

/// Encodes one request.
pub fn request_json(mode: PolicyMode, cycle: u64, pod: &Pod, feasible: &[&NodeInfo]) -> String {
    let nodes = feasible
        .iter()
        .map(|n| {
            let allocatable = resources_json(&n.allocatable, Some(n.allocatable.allowed_pod_number));
            let mut requested = resources_json(&n.requested, Some(i64::from(n.pod_count)));
            for name in allocatable.keys() {
                requested.entry(name.clone()).or_insert(0);
            }
            let mut free = BTreeMap::new();
            for (name, used) in &requested {
                free.insert(name.clone(), allocatable.get(name).copied().unwrap_or(0).saturating_sub(*used));
            }
            NodeJson { name: &n.name, labels: &n.labels, allocatable, requested, free }
        })
        .collect();
    let request = Request {
        version: PROTOCOL_VERSION,
        mode: mode.as_str(),
        cycle,
        pod: PodJson {
            namespace: &pod.meta.namespace,
            name: &pod.meta.name,
            labels: &pod.meta.labels,
            priority: pod.spec.priority,
            requests: resources_json(&pod.spec.requests, None),
        },
        nodes,
    };
    serde_json::to_string(&request).expect("serializable")
}

/// Shortens an answer for an error message.
fn excerpt(text: &str) -> String {
    const MAX: usize = 200;
    if text.chars().count() <= MAX {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head:?}... ({} bytes)", text.len())
    }
}

/// Decodes and checks one answer: a score in 0..=100 for each feasible node, in the order of
/// `feasible`. `all` is every node, to tell an unknown node from an infeasible one.
pub fn parse_answer(
    mode: PolicyMode,
    answer: &str,
    feasible: &[&NodeInfo],
    all: &[NodeInfo],
) -> Result<Vec<i64>, String> {
    let value: serde_json::Value =
        serde_json::from_str(answer).map_err(|e| format!("the answer is not valid JSON ({e}): {}", excerpt(answer)))?;
    let Some(object) = value.as_object() else {
        return Err(format!("the answer is not a JSON object: {}", excerpt(answer)));
    };
    if let Some(message) = object.get("error") {
        let message = message.as_str().map_or_else(|| message.to_string(), str::to_string);
        return Err(format!("the policy reported an error: {message}"));
    }
    let position = |name: &str, what: &str| -> Result<usize, String> {
        if let Some(i) = feasible.iter().position(|n| n.name == name) {
            return Ok(i);
        }
        let names: Vec<&str> = feasible.iter().map(|n| n.name.as_str()).collect();
        if all.iter().any(|n| n.name == name) {
            Err(format!(
                "the answer {what} node {name:?}, which is not feasible for this pod (feasible: {})",
                names.join(", ")
            ))
        } else {
            Err(format!(
                "the answer {what} node {name:?}, which does not exist{} (feasible: {})",
                crate::suggest::did_you_mean(name, names.iter().copied()),
                names.join(", ")
            ))
        }
    };
    match mode {
        PolicyMode::Score => {
            let Some(scores) = object.get("scores").and_then(|s| s.as_object()) else {
                return Err(format!(
                    "the answer has no \"scores\" object (mode score expects {{\"scores\": {{\"<node>\": <0..100>}}}}): {}",
                    excerpt(answer)
                ));
            };
            let mut out: Vec<Option<i64>> = vec![None; feasible.len()];
            for (name, v) in scores {
                let i = position(name, "scores")?;
                let Some(s) = v.as_i64() else {
                    return Err(format!("the answer gives node {name:?} the score {v}, which is not an integer"));
                };
                if !(0..=100).contains(&s) {
                    return Err(format!("the answer gives node {name:?} the score {s}, outside 0..100"));
                }
                out[i] = Some(s);
            }
            out.iter()
                .zip(feasible)
                .map(|(s, n)| s.ok_or_else(|| format!("the answer has no score for the feasible node {:?}", n.name)))
                .collect()
        }
        PolicyMode::Select => {
            let Some(name) = object.get("node").and_then(|s| s.as_str()) else {
                return Err(format!(
                    "the answer has no \"node\" string (mode select expects {{\"node\": \"<name>\"}}): {}",
                    excerpt(answer)
                ));
            };
            let chosen = position(name, "selects")?;
            Ok((0..feasible.len()).map(|i| if i == chosen { 100 } else { 0 }).collect())
        }
    }
}

/// The ExternalPolicy plugin: asks the policy process once per cycle, in PreScore, and hands
/// out the answer's scores in Score.
pub struct ExternalPolicy {
    args: ExternalPolicyArgs,
    launcher: Option<Arc<dyn PolicyLauncher>>,
    channel: Option<Box<dyn PolicyChannel>>,
    /// Requests sent so far.
    cycle: u64,
    /// This cycle's scores, by node.
    scores: Vec<(NodeId, i64)>,
    failure: Option<String>,
}

impl ExternalPolicy {
    /// The process is started at the first cycle that needs it, by `launcher` (`None`: every
    /// cycle fails with an explanation, as in a library run without a launcher).
    pub fn new(args: ExternalPolicyArgs, launcher: Option<Arc<dyn PolicyLauncher>>) -> ExternalPolicy {
        ExternalPolicy { args, launcher, channel: None, cycle: 0, scores: Vec::new(), failure: None }
    }

    fn ask(&mut self, cx: &CycleContext<'_>, pod: &Pod, feasible: &[&NodeInfo]) -> Result<Vec<i64>, String> {
        if self.channel.is_none() {
            let Some(launcher) = &self.launcher else {
                return Err(format!(
                    "no policy launcher to start {:?}: external policies run under the kubesim CLI, or give the library a launcher with PluginRegistry::with_policy_launcher",
                    self.args.command.join(" ")
                ));
            };
            self.channel = Some(launcher.launch(&self.args.command, self.args.timeout)?);
        }
        self.cycle += 1;
        let request = request_json(self.args.mode, self.cycle, pod, feasible);
        let channel = self.channel.as_mut().expect("launched above");
        let answer = channel.exchange(&request)?;
        parse_answer(self.args.mode, &answer, feasible, cx.nodes)
    }
}

impl Plugin for ExternalPolicy {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_score(&mut self) -> Option<&mut dyn PreScore> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
    fn fatal_error(&self) -> Option<String> {
        self.failure.clone()
    }
}

impl PreScore for ExternalPolicy {
    fn pre_score(&mut self, cx: &CycleContext<'_>, pod: &Pod, feasible: &[&NodeInfo]) -> Status {
        self.scores.clear();
        if let Some(f) = &self.failure {
            return Status::error(f.clone());
        }
        match self.ask(cx, pod, feasible) {
            Ok(scores) => {
                self.scores = feasible.iter().map(|n| n.id).zip(scores).collect();
                Status::success()
            }
            Err(message) => {
                self.failure = Some(message.clone());
                // The channel is broken; dropping it stops the process.
                self.channel = None;
                Status::error(message)
            }
        }
    }
}

impl Score for ExternalPolicy {
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        self.scores
            .iter()
            .find(|(id, _)| *id == node.id)
            .map(|(_, s)| *s)
            .ok_or_else(|| Status::error(format!("no score for node {:?} (PreScore did not run)", node.name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{node, pod as pod_with};

    fn nodes() -> Vec<NodeInfo> {
        let mut a = node("a", &[("cpu", "4"), ("memory", "8Gi"), ("pods", "110")]);
        a.id = NodeId(0);
        let mut b = node("b", &[("cpu", "2"), ("memory", "4Gi"), ("pods", "10"), ("example.com/gpu", "1")]);
        b.id = NodeId(1);
        let mut c = node("c", &[("cpu", "2"), ("memory", "4Gi"), ("pods", "10")]);
        c.id = NodeId(2);
        vec![a, b, c]
    }

    #[test]
    fn request_lists_the_pod_and_feasible_nodes() {
        let all = nodes();
        let pod = pod_with(&[("cpu", "500m"), ("memory", "1Gi")]);
        let feasible = [&all[0], &all[1]];
        let line = request_json(PolicyMode::Score, 3, &pod, &feasible);
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["mode"], "score");
        assert_eq!(v["cycle"], 3);
        assert_eq!(v["pod"]["requests"]["cpu"], 500);
        assert_eq!(v["pod"]["requests"]["memory"], 1 << 30);
        assert_eq!(v["nodes"].as_array().unwrap().len(), 2);
        assert_eq!(v["nodes"][0]["name"], "a");
        assert_eq!(v["nodes"][0]["allocatable"]["cpu"], 4000);
        assert_eq!(v["nodes"][0]["requested"]["pods"], 0);
        assert_eq!(v["nodes"][0]["free"]["pods"], 110);
        assert_eq!(v["nodes"][1]["free"]["example.com/gpu"], 1);
    }

    #[test]
    fn answers_are_checked() {
        let all = nodes();
        let feasible = [&all[0], &all[1]];
        let parse = |mode, text: &str| parse_answer(mode, text, &feasible, &all);
        assert_eq!(parse(PolicyMode::Score, r#"{"scores": {"b": 7, "a": 100}}"#), Ok(vec![100, 7]));
        assert_eq!(parse(PolicyMode::Select, r#"{"node": "b"}"#), Ok(vec![0, 100]));
        let err = |mode, text: &str| parse(mode, text).unwrap_err();
        assert!(err(PolicyMode::Score, "hello").contains("not valid JSON"));
        assert!(err(PolicyMode::Score, "[1]").contains("not a JSON object"));
        assert!(err(PolicyMode::Score, r#"{"score": {}}"#).contains("no \"scores\" object"));
        assert!(err(PolicyMode::Score, r#"{"scores": {"a": 1}}"#).contains("no score for the feasible node \"b\""));
        assert!(err(PolicyMode::Score, r#"{"scores": {"a": 1, "b": 101}}"#).contains("score 101, outside 0..100"));
        assert!(err(PolicyMode::Score, r#"{"scores": {"a": -1, "b": 1}}"#).contains("outside 0..100"));
        assert!(err(PolicyMode::Score, r#"{"scores": {"a": 1.5, "b": 1}}"#).contains("not an integer"));
        let unknown = err(PolicyMode::Score, r#"{"scores": {"zz": 1}}"#);
        assert!(unknown.contains("node \"zz\", which does not exist"), "{unknown}");
        let infeasible = err(PolicyMode::Select, r#"{"node": "c"}"#);
        assert!(infeasible.contains("node \"c\", which is not feasible for this pod (feasible: a, b)"), "{infeasible}");
        assert!(err(PolicyMode::Select, r#"{"scores": {}}"#).contains("no \"node\" string"));
        assert!(err(PolicyMode::Score, r#"{"error": "boom"}"#).contains("the policy reported an error: boom"));
    }

    #[test]
    fn select_mode_needs_a_dominant_weight() {
        let args = |mode| ExternalPolicyArgs { command: vec!["p".into()], timeout: DEFAULT_TIMEOUT, mode };
        let pre = vec![NAME.to_string()];
        let score = vec![(NAME.to_string(), 7), ("NodeResourcesFit".to_string(), 1)];
        assert_eq!(check_profile(&pre, &score, Some(&args(PolicyMode::Select))), Ok(()));
        let score = vec![(NAME.to_string(), 1), ("NodeResourcesFit".to_string(), 1)];
        assert!(check_profile(&pre, &score, Some(&args(PolicyMode::Select))).unwrap_err().contains("at least 2"));
        assert_eq!(check_profile(&pre, &score, Some(&args(PolicyMode::Score))), Ok(()));
        assert!(check_profile(&pre, &score, None).unwrap_err().contains("no pluginConfig args"));
        assert!(check_profile(&[], &score, Some(&args(PolicyMode::Score))).unwrap_err().contains("not at preScore"));
        assert_eq!(check_profile(&[], &[], None), Ok(()));
    }

    /// A channel that answers from a script, for the plugin's own logic.
    struct Scripted(Vec<Result<String, String>>);

    impl PolicyChannel for Scripted {
        fn exchange(&mut self, _request: &str) -> Result<String, String> {
            if self.0.is_empty() { Err("the policy process exited before answering".into()) } else { self.0.remove(0) }
        }
    }

    struct ScriptedLauncher(std::sync::Mutex<Option<Vec<Result<String, String>>>>);

    impl PolicyLauncher for ScriptedLauncher {
        fn launch(&self, _command: &[String], _timeout: Duration) -> Result<Box<dyn PolicyChannel>, String> {
            match self.0.lock().unwrap().take() {
                Some(answers) => Ok(Box::new(Scripted(answers))),
                None => Err("launched twice".into()),
            }
        }
    }

    #[test]
    fn plugin_scores_from_the_answer_and_fails_for_good() {
        let all = nodes();
        let feasible = [&all[0], &all[1]];
        let pod = pod_with(&[]);
        let answers = vec![Ok(r#"{"scores": {"a": 10, "b": 90}}"#.to_string()), Ok("oops".to_string())];
        let launcher = Arc::new(ScriptedLauncher(std::sync::Mutex::new(Some(answers))));
        let args = ExternalPolicyArgs { command: vec!["p".into()], timeout: DEFAULT_TIMEOUT, mode: PolicyMode::Score };
        let mut plugin = ExternalPolicy::new(args.clone(), Some(launcher));
        let cx = CycleContext::with_nodes(&all);
        assert!(plugin.pre_score(&cx, &pod, &feasible).is_success());
        assert_eq!(plugin.score(&pod, &all[1]), Ok(90));
        assert_eq!(plugin.fatal_error(), None);
        let status = plugin.pre_score(&cx, &pod, &feasible);
        assert!(status.message().contains("not valid JSON"), "{status}");
        assert!(plugin.fatal_error().unwrap().contains("not valid JSON"));
        // Launched once: a later cycle reports the same failure without relaunching.
        assert!(plugin.pre_score(&cx, &pod, &feasible).message().contains("not valid JSON"));

        let mut without = ExternalPolicy::new(args, None);
        let status = without.pre_score(&cx, &pod, &feasible);
        assert!(status.message().contains("no policy launcher"), "{status}");
    }
}
