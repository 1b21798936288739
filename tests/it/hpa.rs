//! The HorizontalPodAutoscaler end to end, against the controllers reference (§10): syncs every
//! 15 s from one period after creation, the replica calculation from the load model's cpu usage,
//! the tolerance band, the scale-up policies (and the legacy limit), the 5-minute scale-down
//! stabilization, unready pods during a scale-up, min/max clamps, a missing target, the API
//! server's validation, and determinism. Every expected number is derived in the test's docs.

use std::sync::Arc;

use kubesim::engine::{RunOptions, Simulation};
use kubesim::scenario::Scenario;

use crate::support::{parse, passes, run};

/// A Deployment `web` of `replicas` pods (request 500m cpu, limit 1 cpu, 10m of cpu per
/// request/s: capacity 100 rps, 25 rps at the 50 % target) behind the Service `web`, with the
/// HPA whose spec lines are `hpa` (indented by 10), internal load `load`, and `extra` lines
/// appended to the spec (events, checks).
fn scenario(replicas: u32, annotations: &str, hpa: &str, load: &str, until: &str, extra: &str) -> String {
    let hpa: String = hpa.lines().map(|l| format!("          {l}\n")).collect();
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: hpa}}
spec:
  until: {until}
  cluster:
    nodes: [{{name: n1, allocatable: {{cpu: "64", memory: 256Gi, pods: "110"}}}}]
  manifests:
    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: web}}
        spec:
          replicas: {replicas}
          selector: {{matchLabels: {{app: web}}}}
          template:
            metadata:
              labels: {{app: web}}
              annotations: {{sim.kubesim.io/cpu-per-request: 10m{annotations}}}
            spec:
              containers: [{{name: c, resources: {{requests: {{cpu: 500m, memory: 256Mi}}, limits: {{cpu: "1"}}}}}}]
    - inline: {{apiVersion: v1, kind: Service, metadata: {{name: web}}, spec: {{selector: {{app: web}}, ports: [{{port: 80}}]}}}}
    - inline:
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {{name: web}}
        spec:
{hpa}  load:
    - {{service: default/web, requestsPerSecond: {load}, internal: true}}
{extra}"#
    )
}

/// The HPA of most tests: 2..10 replicas at 50 % cpu, with the default behavior (`{}`).
const HPA: &str = "scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
minReplicas: 2
maxReplicas: 10
metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]
behavior: {}";

/// The times (seconds) at which the Deployment's spec.replicas changed, with the new value.
fn scale_history(sim: &Simulation) -> Vec<(u64, String)> {
    sim.journal()
        .records()
        .iter()
        .filter_map(|(t, r)| match r {
            kubesim::journal::Record::HpaEvent { reason: "SuccessfulRescale", message, .. } => {
                Some((t.as_secs(), message.split(';').next().unwrap_or_default().to_string()))
            }
            _ => None,
        })
        .collect()
}

/// Syncs run 15 s apart from 15 s after the HPA's creation (`enqueueHPA` adds it rate-limited).
/// 50 rps over 2 pods is 25 rps each: 250m of 500m, 50 % — no change. At 60 s the load steps to
/// 200 rps: the sync at 60 s sees each pod at its capacity (100 rps, 1000m, 200 %), ratio 4,
/// ceil(4 × 2) = 8, but the default scale-up policies allow max(2 + 4, 2 × 2) = 6
/// (ScaleUpLimit). At 75 s the 6 pods (the new ones Ready at once, their sample a whole 15 s
/// window after readiness) serve 33.333 rps: 333m each, utilization 1998·100/3000 = 66 %,
/// ratio 1.32, ceil(7.92) = 8; the event at 60 s is exactly 15 s old, out of the period, so the
/// limit is max(6 + 4, 12) = 12 and the HPA scales to 8. At 90 s: 25 rps each, 50 %, no change.
#[test]
fn scales_up_at_the_first_sync_above_target_capped_by_the_policies() {
    let checks = r#"  checks:
    - {at: 15s, expect: "hpa/default/web currentReplicas == 2"}
    - {at: 15s, expect: "hpa/default/web currentCpuUtilization == 50"}
    - {at: 15s, expect: "hpa/default/web ScalingActive == True"}
    - {at: 59s, expect: "deployment/default/web spec.replicas == 2"}
    - {at: 60s, expect: "deployment/default/web spec.replicas == 6"}
    - {at: 60s, expect: "hpa/default/web desiredReplicas == 6"}
    - {at: 60s, expect: "hpa/default/web currentCpuUtilization == 200"}
    - {at: 60s, expect: "hpa/default/web ScalingLimited == True"}
    - {at: 60s, expect: "hpa/default/web ScalingLimitedReason == ScaleUpLimit"}
    - {at: 60s, expect: "hpa/default/web lastScaleTime == 60"}
    - {at: 75s, expect: "deployment/default/web spec.replicas == 8"}
    - {at: 75s, expect: "hpa/default/web ScalingLimited == False"}
    - {at: 2m, expect: "hpa/default/web currentCpuUtilization == 50"}
    - {at: 2m, expect: "hpa/default/web lastScaleTime == 75"}
    - {at: 2m, expect: "service/default/web droppedRequests == 0"}"#;
    let load = "{steps: [{at: 0s, rps: 50}, {at: 60s, rps: 200}]}";
    let sim = passes(&scenario(2, "", HPA, load, "2m", checks));
    assert_eq!(scale_history(&sim), [(60, "New size: 6".into()), (75, "New size: 8".into())]);
}

/// Without `behavior`, the legacy path limits a scale-up to max(2 × current, 4): 2 → 4 at 60 s
/// (ScaleUpLimit), then 4 pods at 50 rps (100 %, ratio 2) → 8 at 75 s.
#[test]
fn without_behavior_the_legacy_limit_doubles() {
    let hpa = HPA.replace("behavior: {}", "");
    let checks = r#"  checks:
    - {at: 60s, expect: "deployment/default/web spec.replicas == 4"}
    - {at: 60s, expect: "hpa/default/web ScalingLimitedReason == ScaleUpLimit"}
    - {at: 75s, expect: "deployment/default/web spec.replicas == 8"}"#;
    passes(&scenario(2, "", &hpa, "{steps: [{at: 0s, rps: 50}, {at: 60s, rps: 200}]}", "2m", checks));
}

/// After the burst (8 pods), the load falls to 50 rps at 5 m: 6.25 rps each, 62m, 12 %, ratio
/// 0.24, ceil(1.92) = 2 = minReplicas. The 5-minute stabilization keeps the highest
/// recommendation of the window: 8, recorded at 285 s, counts until it is 300 s old, so the
/// scale-down happens at 585 s (9m45s), straight to 2 (the default scale-down policy allows
/// 100 % per 15 s). Before that the HPA reports ScaleDownStabilized.
#[test]
fn scales_down_only_after_the_stabilization_window() {
    let checks = r#"  checks:
    - {at: 5m, expect: "hpa/default/web currentCpuUtilization == 12"}
    - {at: 5m, expect: "hpa/default/web AbleToScaleReason == ScaleDownStabilized"}
    - {from: 90s, to: 584s, expect: "deployment/default/web spec.replicas == 8"}
    - {at: 585s, expect: "deployment/default/web spec.replicas == 2"}
    - {at: 585s, expect: "hpa/default/web lastScaleTime == 585"}
    - {at: 585s, expect: "hpa/default/web AbleToScaleReason == SucceededRescale"}"#;
    let load = "{steps: [{at: 0s, rps: 50}, {at: 60s, rps: 200}, {at: 5m, rps: 50}]}";
    let sim = passes(&scenario(2, "", HPA, load, "12m", checks));
    assert_eq!(scale_history(&sim).last(), Some(&(585, "New size: 2".into())));
}

/// The tolerance band is 0.9 <= ratio <= 1.1, inclusive: 55 rps over 2 pods is 275m each,
/// 55 %, ratio exactly 1.1: no change; 56 rps is 56 %, ratio 1.12, ceil(2.24) = 3.
#[test]
fn the_tolerance_band_includes_its_edge() {
    let checks = r#"  checks:
    - {from: 60s, to: 179s, expect: "deployment/default/web spec.replicas == 2"}
    - {at: 2m, expect: "hpa/default/web currentCpuUtilization == 55"}
    - {at: 3m, expect: "hpa/default/web currentCpuUtilization == 56"}
    - {at: 3m, expect: "deployment/default/web spec.replicas == 3"}"#;
    let load = "{steps: [{at: 0s, rps: 50}, {at: 60s, rps: 55}, {at: 3m, rps: 56}]}";
    passes(&scenario(2, "", HPA, load, "4m", checks));
}

/// Pods take 60 s to become Ready. Until then (and for one 15 s metric window after, inside
/// the 5-minute cpu initialization period) the HPA has no ready pod to measure: ScalingActive
/// False. At 90 s the load jumps to 157.5 rps: 2 pods at 78.75 rps, 787m each, 157 %, ratio
/// 3.14, ceil(6.28) = 7, limited to 6. At 105 s the 4 new pods are not Ready: with unready pods
/// on a scale-up they count as 0, so the ratio is recomputed over all 6 pods:
/// 1574·100/3000 = 52 %, ratio 1.04, inside the tolerance: no change, where counting only the
/// ready pods would have asked for 7. Once the new pods are Ready (150 s) and measured (165 s)
/// the 6 pods are at 26.25 rps, 262m, 52 % again: 6 it stays.
#[test]
fn unready_pods_count_as_idle_during_a_scale_up() {
    let checks = r#"  checks:
    - {at: 15s, expect: "hpa/default/web ScalingActive == False"}
    - {at: 15s, expect: "hpa/default/web ScalingActiveReason == FailedGetResourceMetric"}
    - {at: 60s, expect: "hpa/default/web ScalingActive == False"}
    - {at: 75s, expect: "hpa/default/web ScalingActive == True"}
    - {at: 90s, expect: "deployment/default/web spec.replicas == 6"}
    - {at: 105s, expect: "hpa/default/web desiredReplicas == 6"}
    - {at: 105s, expect: "hpa/default/web ScalingLimited == False"}
    - {from: 90s, to: 10m, expect: "deployment/default/web spec.replicas == 6"}
    - {at: 10m, expect: "hpa/default/web currentCpuUtilization == 52"}"#;
    let load = "{steps: [{at: 0s, rps: 50}, {at: 90s, rps: 157.5}]}";
    let sim = passes(&scenario(2, ", sim.kubesim.io/startup: 60s", HPA, load, "10m", checks));
    assert_eq!(scale_history(&sim), [(90, "New size: 6".into())]);
}

/// A Deployment outside [minReplicas, maxReplicas] goes straight to the bound, without
/// looking at metrics; within, the recommendation is clamped (TooFewReplicas at idle,
/// TooManyReplicas at max).
#[test]
fn min_and_max_clamp_the_count() {
    let checks = r#"  checks:
    - {at: 15s, expect: "deployment/default/web spec.replicas == 2"}
    - {at: 30s, expect: "hpa/default/web ScalingLimitedReason == TooFewReplicas"}
    - {at: 30s, expect: "hpa/default/web ScalingLimited == True"}
    - {at: 2m, expect: "deployment/default/web spec.replicas == 10"}
    - {at: 2m, expect: "hpa/default/web ScalingLimitedReason == TooManyReplicas"}
    - {at: 2m, expect: "service/default/web droppedRps == 1000"}"#;
    // One replica at first: below min, so the first sync (15 s) writes 2 whatever the load.
    // 10 rps: 2 pods at 5 rps, 10 %, ceil(0.4) = 1 < 2. From 60 s, 2,000 rps: capacity 100 a
    // pod, so ceil(ratio × n) soon exceeds 10; at 10 pods 1,000 rps are served, 1,000 dropped.
    let load = "{steps: [{at: 0s, rps: 10}, {at: 60s, rps: 2000}]}";
    passes(&scenario(1, "", HPA, load, "2m", checks));
}

/// A missing target: AbleToScale False (FailedGetScale), and nothing else happens.
#[test]
fn a_missing_target_cannot_be_scaled() {
    let hpa = HPA.replace("name: web}", "name: webb}");
    let checks = r#"  checks:
    - {at: 15s, expect: "hpa/default/web AbleToScale == False"}
    - {at: 15s, expect: "hpa/default/web AbleToScaleReason == FailedGetScale"}
    - {at: 15s, expect: "hpa/default/web ScalingActive == Unknown"}"#;
    let sim = passes(&scenario(2, "", &hpa, "{constant: 50}", "1m", checks));
    let narrative: Vec<&str> = sim.journal().narrative().iter().map(|(_, l)| l.as_str()).collect();
    let warnings: Vec<&&str> = narrative.iter().filter(|l| l.contains("FailedGetScale")).collect();
    assert_eq!(warnings, [&"hpa default/web: FailedGetScale: deployments.apps \"webb\" not found"], "narrated once");
}

/// Deleting the HPA stops the syncs; the Deployment keeps its last size. Re-creating it starts
/// afresh: first sync one period later, with an empty history.
#[test]
fn deleting_the_hpa_stops_it() {
    let extra = r#"  events:
    - {at: 61s, delete: hpa/default/web}
  checks:
    - {at: 61s, expect: "hpa/default/web exists == False"}
    - {at: 5m, expect: "deployment/default/web spec.replicas == 6"}"#;
    passes(&scenario(2, "", HPA, "{steps: [{at: 0s, rps: 50}, {at: 60s, rps: 200}]}", "5m", extra));
}

/// The reconciliation metrics count the HPA controller's syncs: created at 0 s, synced at 15,
/// 30, 45 and 60 s, deleted at 61 s: four syncs, and no more after the deletion.
#[test]
fn hpa_syncs_are_counted_in_the_controller_metrics() {
    let extra = "  events:\n    - {at: 61s, delete: hpa/default/web}\n";
    let sim = passes(&scenario(2, "", HPA, "{constant: 50}", "5m", extra));
    let summary: serde_json::Value =
        serde_json::from_str(&kubesim::output::summary_json(&sim, None)).expect("summary is JSON");
    let hpa = &summary["controllers"]["horizontalpodautoscaler"];
    assert_eq!(hpa["reconciles"].as_u64(), Some(4), "{hpa}");
    // The first sync writes the status (current and desired replicas, conditions).
    assert!(hpa["writes"].as_u64().is_some_and(|w| w >= 1), "{hpa}");
}

/// autoscaling/v1 is converted: `targetCPUUtilizationPercentage` is a cpu Utilization metric
/// and there is no behavior (the legacy limit).
#[test]
fn autoscaling_v1_is_converted() {
    let text = scenario(2, "", HPA, "{steps: [{at: 0s, rps: 50}, {at: 60s, rps: 200}]}", "2m", "")
        .replace("apiVersion: autoscaling/v2", "apiVersion: autoscaling/v1")
        .replace(
            "metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]\n          behavior: {}",
            "targetCPUUtilizationPercentage: 50",
        );
    let scenario =
        parse(&format!("{text}  checks:\n    - {{at: 60s, expect: \"deployment/default/web spec.replicas == 4\"}}\n"));
    let hpa = scenario.manifests.iter().find_map(|m| match &m.object {
        kubesim::manifest::Object::HorizontalPodAutoscaler(h) => Some(h.clone()),
        _ => None,
    });
    let hpa = hpa.unwrap();
    assert_eq!(hpa.spec.behavior, None);
    assert_eq!(
        hpa.spec.metrics,
        [kubesim::api::autoscaling::MetricSpec::resource_utilization(kubesim::api::resources::ResourceName::Cpu, 50)]
    );
    let sim = run(scenario, None);
    assert!(sim.check_results().iter().all(|r| r.passed), "{:?}", sim.check_results());
}

/// A memory AverageValue target: 64Mi + 1Mi per request/s. At 200 rps over 2 pods each uses
/// 164Mi against 100Mi: ratio 1.64, ceil(3.28) = 4 (within the policies' 6). Then 4 pods at
/// 50 rps use 114Mi: ratio 1.14, ceil(4.56) = 5; 5 pods at 40 rps, 104Mi, ratio 1.04: stays.
#[test]
fn memory_average_value_metrics_scale_too() {
    let hpa = HPA.replace(
        "{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}",
        "{type: Resource, resource: {name: memory, target: {type: AverageValue, averageValue: 100Mi}}}",
    );
    let annotations = ", sim.kubesim.io/memory-base: 64Mi, sim.kubesim.io/memory-per-request: 1Mi";
    let checks = r#"  checks:
    - {at: 60s, expect: "deployment/default/web spec.replicas == 4"}
    - {at: 75s, expect: "deployment/default/web spec.replicas == 5"}
    - {at: 3m, expect: "deployment/default/web spec.replicas == 5"}"#;
    let load = "{steps: [{at: 0s, rps: 20}, {at: 60s, rps: 200}]}";
    passes(&scenario(2, annotations, &hpa, load, "3m", checks));
}

fn parse_err(text: &str) -> String {
    Scenario::parse(text, "test.yaml", &kubesim::scenario::NoFiles).map(|_| ()).unwrap_err().to_string()
}

/// What the API server refuses, and what the simulator cannot feed, with located errors.
#[test]
fn invalid_hpas_are_refused() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "minReplicas: 2",
            "minReplicas: 0",
            &["spec.minReplicas: Invalid value: 0: must be greater than or equal to 1", "HPAScaleToZero"],
        ),
        (
            "maxReplicas: 10",
            "maxReplicas: 1",
            &["spec.maxReplicas: Invalid value: 1: must be greater than or equal to `minReplicas`"],
        ),
        ("maxReplicas: 10", "maxReplicas: 0", &["must be greater than 0"]),
        ("maxReplicas: 10", "maxReplica: 10", &["unknown field \"maxReplica\" (did you mean \"maxReplicas\"?)"]),
        (
            "kind: Deployment, name: web}",
            "kind: StatefulSet, name: web}",
            &[
                "scaling a \"StatefulSet\" is not simulated yet",
                "hint: kinds kubesim can scale: Deployment, ReplicaSet",
            ],
        ),
        ("kind: Deployment, name: web}", "kind: Deploymnet, name: web}", &["did you mean \"Deployment\"?"]),
        ("{apiVersion: apps/v1, kind", "{kind", &["spec.scaleTargetRef.apiVersion", "hint: write apiVersion: apps/v1"]),
        (
            "Deployment, name: web}",
            "Deployment, name: a/b}",
            &["spec.scaleTargetRef.name: Invalid value: \"a/b\": may not contain '/'"],
        ),
        (
            "{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}",
            "{type: External, external: {metric: {name: queue}, target: {type: AverageValue, averageValue: \"30\"}}}",
            &["External metrics are not simulated yet", "hint: use type: Resource"],
        ),
        (
            "{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}",
            "{type: Pods, pods: {metric: {name: qps}, target: {type: AverageValue, averageValue: \"10\"}}}",
            &["Pods metrics are not simulated yet"],
        ),
        (
            "{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}",
            "{type: Object, object: {describedObject: {kind: Ingress, name: edge, apiVersion: networking.k8s.io/v1}, metric: {name: rps}, target: {type: Value, value: \"100\"}}}",
            &["Object metrics are not simulated yet"],
        ),
        (
            "{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}",
            "{type: ContainerResource, containerResource: {name: cpu, container: c, target: {type: Utilization, averageUtilization: 50}}}",
            &["ContainerResource metrics are not simulated yet"],
        ),
        (
            "{type: Resource, resource: {name: cpu",
            "{type: Resource, pods: {name: cpu",
            &["spec.metrics[0].resource: Required value: must populate information for the given metric source"],
        ),
        (
            "{type: Utilization, averageUtilization: 50}}}",
            "{type: Utilization, averageUtilization: 50}}, pods: {metric: {name: qps}}}",
            &["spec.metrics[0].pods: Forbidden: must populate the given metric source only"],
        ),
        (
            "{type: Resource, resource: {name: cpu",
            "{type: Resorce, resource: {name: cpu",
            &["Unsupported value: \"Resorce\" (did you mean \"Resource\"?)"],
        ),
        (
            "resource: {name: cpu,",
            "resource: {name: ephemeral-storage,",
            &["\"ephemeral-storage\" metrics are not simulated"],
        ),
        (
            "averageUtilization: 50}",
            "averageUtilization: 0}",
            &["averageUtilization: Invalid value: 0: must be greater than 0"],
        ),
        (
            "{type: Utilization, averageUtilization: 50}",
            "{type: Utilization}",
            &["Required value: must set either a target raw value or a target utilization"],
        ),
        (
            "{type: Utilization, averageUtilization: 50}",
            "{type: Utilization, averageUtilization: 50, averageValue: 100m}",
            &["Forbidden: may not set both a target raw value and a target utilization"],
        ),
        (
            "{type: Utilization, averageUtilization: 50}",
            "{averageUtilization: 50}",
            &["target.type: Required value: must specify a metric target type"],
        ),
        (
            "behavior: {}",
            "behavior: {scaleUp: {policies: []}}",
            &["spec.behavior.scaleUp.policies: Required value: must specify at least one Policy"],
        ),
        (
            "behavior: {}",
            "behavior: {scaleDown: {policies: [{type: Pods, value: 1, periodSeconds: 1801}]}}",
            &["must be less than or equal to 1800"],
        ),
        (
            "behavior: {}",
            "behavior: {scaleDown: {policies: [{type: Pods, value: 0, periodSeconds: 15}]}}",
            &["value: Invalid value: 0: must be greater than zero"],
        ),
        (
            "behavior: {}",
            "behavior: {scaleUp: {selectPolicy: max}}",
            &["Unsupported value: \"max\" (did you mean \"Max\"?)"],
        ),
        (
            "behavior: {}",
            "behavior: {scaleUp: {stabilizationWindowSeconds: 3601}}",
            &["must be less than or equal to 3600"],
        ),
        (
            "behavior: {}",
            "behavior: {scaleUp: {policies: [{type: Percnt, value: 1, periodSeconds: 15}]}}",
            &["did you mean \"Percent\"?"],
        ),
    ];
    for (from, to, says) in cases {
        let base = scenario(2, "", HPA, "{constant: 50}", "1m", "");
        assert!(base.contains(from), "{from:?} not in the scenario");
        let err = parse_err(&base.replacen(from, to, 1));
        assert!(err.starts_with("test.yaml:"), "{to}: {err}");
        assert!(err.contains("HorizontalPodAutoscaler default/web: "), "{to}: {err}");
        for s in *says {
            assert!(err.contains(s), "{to}: expected {s:?} in\n{err}");
        }
    }
    // The defaults the API server writes: minReplicas 1, the 80 % cpu metric, and a behavior's
    // unset fields.
    let text = scenario(
        2,
        "",
        "scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\nmaxReplicas: 3\nbehavior: {scaleDown: {stabilizationWindowSeconds: 60}}",
        "{constant: 50}",
        "1m",
        "",
    );
    let scenario = parse(&text);
    let kubesim::manifest::Object::HorizontalPodAutoscaler(hpa) = &scenario.manifests[2].object else { panic!() };
    assert_eq!(hpa.spec.min_replicas, Some(1));
    assert_eq!(hpa.spec.metrics, [kubesim::api::autoscaling::MetricSpec::default_cpu()]);
    let down = hpa.spec.behavior.as_ref().unwrap().scale_down.as_ref().unwrap();
    assert_eq!(down.stabilization_window_seconds, Some(60));
    assert_eq!(down.policies.as_ref().unwrap().len(), 1, "the default Percent 100 / 15 s policy");
}

/// Same seed twice: the same digest and outputs; a run with a random startup is still
/// reproducible.
#[test]
fn hpa_runs_are_deterministic() {
    let text = scenario(
        2,
        ", sim.kubesim.io/startup: \"uniform(5s, 40s)\"",
        HPA,
        "{daily: {min: 20, max: 600, peakAt: 30m}}",
        "2h",
        "",
    );
    let scenario = Arc::new(parse(&text));
    let once = |seed| {
        let options = RunOptions { trace_events: true, ..RunOptions::default() };
        let mut sim = Simulation::new(scenario.clone(), Some(seed), None, options);
        sim.run().unwrap();
        (sim.digest(), kubesim::output::render_all(&mut sim, None, false, true))
    };
    let (d1, o1) = once(5);
    let (d2, o2) = once(5);
    assert_eq!(d1, d2);
    assert_eq!(o1, o2);
    let events = &o1.iter().find(|(n, _)| *n == "events.jsonl").unwrap().1;
    assert!(events.contains("\"event\":\"HorizontalPodAutoscalerEvent\""), "the HPA scaled");
}

/// The shipped daily-load scenario checks itself whatever the seed: its timeline does not depend
/// on it. Two simulated days take a few seconds in a debug build, so four seeds spread over
/// 1..20 are run here (`kubesim run --seed N` for N in 1..=20 passes as well).
#[test]
fn the_daily_load_scenario_holds_for_any_seed() {
    let scenario = crate::support::load(&crate::support::root().join("scenarios/hpa-daily-load.yaml"));
    for seed in [1, 7, 13, 20] {
        let sim = run(scenario.clone(), Some(seed));
        for r in sim.check_results() {
            assert!(r.passed, "seed {seed}: {:?} failed at {} (actual: {})", r.text, r.at, r.actual);
        }
        assert_eq!(sim.check_results().len(), scenario.checks.len());
    }
}
