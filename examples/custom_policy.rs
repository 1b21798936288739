//! A scheduling policy written as a Rust plugin, registered by name and used by a scenario,
//! without touching kubesim's engine (`docs/plugins.md`, "The trait path").
//!
//! `FewestPods` scores nodes by how few pods they run: the emptiest feasible node by pod count
//! gets 100, the fullest 0. Its args choose which pods count (`countSelector`, a label
//! selector; all pods when absent). Run it with `cargo run --example custom_policy`;
//! `cargo test` runs the test at the bottom.

use std::sync::Arc;

use kubesim::api::pod::Pod;
use kubesim::scheduler::custom::{PluginArgs, PluginRegistry};
use kubesim::scheduler::framework::{CycleContext, NodeInfo, Plugin, PreScore, Score, Status};
use kubesim::scheduler::registry::Points;
use kubesim::{LabelSelector, RunOptions, Scenario, Simulation};

// ---- the policy -------------------------------------------------------------------------

struct FewestPods {
    /// Which pods count; `None`: all.
    count: Option<LabelSelector>,
    /// The most pods on a feasible node this cycle (set by PreScore).
    most: i64,
}

impl FewestPods {
    fn from_args(args: &PluginArgs) -> Result<Box<dyn Plugin>, String> {
        let count = match args.get("countSelector") {
            None => None,
            Some(v) => {
                let text = v.as_str().ok_or("countSelector must be a string such as \"app=web\"")?;
                Some(LabelSelector::parse(text).map_err(|e| format!("countSelector: {e}"))?)
            }
        };
        Ok(Box::new(FewestPods { count, most: 0 }))
    }

    fn pods_on(&self, node: &NodeInfo) -> i64 {
        node.pods.iter().filter(|p| self.count.as_ref().is_none_or(|s| s.matches(&p.labels))).count() as i64
    }
}

impl Plugin for FewestPods {
    fn name(&self) -> &'static str {
        "FewestPods"
    }
    fn as_pre_score(&mut self) -> Option<&mut dyn PreScore> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
}

impl PreScore for FewestPods {
    fn pre_score(&mut self, _cx: &CycleContext<'_>, _pod: &Pod, feasible: &[&NodeInfo]) -> Status {
        self.most = feasible.iter().map(|n| self.pods_on(n)).max().unwrap_or(0);
        Status::success()
    }
}

impl Score for FewestPods {
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        if self.most == 0 {
            return Ok(100);
        }
        Ok(100 - 100 * self.pods_on(node) / self.most)
    }
}

// ---- registering it and running a scenario ----------------------------------------------

/// The registry with FewestPods in it.
fn registry() -> PluginRegistry {
    let mut registry = PluginRegistry::new();
    registry.register("FewestPods", Points::PRE_SCORE.union(Points::SCORE), FewestPods::from_args).expect("a new name");
    registry
}

/// Three nodes: n1 runs one big pod, n2 three small ones, n3 two. LeastAllocated alone would
/// put the new pod on n2 or n3 (less cpu in use); FewestPods, weighted 10, picks n1.
const SCENARIO: &str = r#"
apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: fewest-pods}
spec:
  until: 1m
  cluster:
    nodes:
      - {name: n1, allocatable: {cpu: "8", memory: 16Gi}}
      - {name: n2, allocatable: {cpu: "8", memory: 16Gi}}
      - {name: n3, allocatable: {cpu: "8", memory: 16Gi}}
  scheduler:
    profiles:
      - schedulerName: default-scheduler
        plugins:
          multiPoint:
            enabled: [{name: FewestPods, weight: 10}]
        pluginConfig:
          - {name: FewestPods, args: {countSelector: "app=web"}}
  manifests:
    - inline: {apiVersion: v1, kind: Pod, metadata: {name: big, labels: {app: web}},
               spec: {nodeName: n1, containers: [{name: c, resources: {requests: {cpu: "6"}}}]}}
    - inline: {apiVersion: v1, kind: Pod, metadata: {name: s1, labels: {app: web}},
               spec: {nodeName: n2, containers: [{name: c, resources: {requests: {cpu: 100m}}}]}}
    - inline: {apiVersion: v1, kind: Pod, metadata: {name: s2, labels: {app: web}},
               spec: {nodeName: n2, containers: [{name: c, resources: {requests: {cpu: 100m}}}]}}
    - inline: {apiVersion: v1, kind: Pod, metadata: {name: s3, labels: {app: web}},
               spec: {nodeName: n2, containers: [{name: c, resources: {requests: {cpu: 100m}}}]}}
    - inline: {apiVersion: v1, kind: Pod, metadata: {name: s4, labels: {app: web}},
               spec: {nodeName: n3, containers: [{name: c, resources: {requests: {cpu: 100m}}}]}}
    - inline: {apiVersion: v1, kind: Pod, metadata: {name: s5, labels: {app: web}},
               spec: {nodeName: n3, containers: [{name: c, resources: {requests: {cpu: 100m}}}]}}
  events:
    - at: 10s
      apply: {apiVersion: v1, kind: Pod, metadata: {name: new, labels: {app: web}},
              spec: {containers: [{name: c, resources: {requests: {cpu: 500m}}}]}}
  checks:
    - {at: 11s, expect: "pod/default/new node == n1"}
"#;

/// Runs the scenario with FewestPods and returns the node the new pod went to.
fn place_new_pod() -> String {
    let scenario = Scenario::parse_with(SCENARIO, "fewest-pods.yaml", &kubesim::scenario::NoFiles, &registry())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Simulation::new(Arc::new(scenario), None, None, RunOptions::default());
    sim.run().expect("the run completes");
    assert!(sim.check_results().iter().all(|c| c.passed), "{:?}", sim.check_results());
    let store = sim.store();
    let pod = store.pod(store.pod_id("default", "new").expect("created"));
    store.node(pod.status.node.expect("bound")).meta.name.clone()
}

fn main() {
    println!("FewestPods placed default/new on {}", place_new_pod());
}

#[cfg(test)]
mod tests {
    #[test]
    fn fewest_pods_picks_the_node_with_fewest_pods() {
        assert_eq!(super::place_new_pod(), "n1");
    }

    #[test]
    fn bad_args_are_located() {
        let text = super::SCENARIO.replace(r#"{countSelector: "app=web"}"#, r#"{countSelector: "app in (("}"#);
        let err = kubesim::Scenario::parse_with(&text, "f.yaml", &kubesim::scenario::NoFiles, &super::registry())
            .unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("f.yaml:19:38: "), "{message}");
        assert!(message.contains("plugin \"FewestPods\": countSelector:"), "{message}");
    }
}
