//! The load model (`spec.load`): offered rates of every shape, kube-proxy's even spreading over
//! ready endpoints, capacity and drops, cpu usage per pod, Ingress exposure, located errors,
//! the new outputs, and determinism. Expected numbers are computed by hand in each test.

use std::collections::BTreeMap;
use std::sync::Arc;

use kubesim::engine::{RunOptions, Simulation};
use kubesim::scenario::{Scenario, SourceLoader};

use crate::support::{parse, passes, run};

/// Files by name, for `csv:` shapes.
struct Files(BTreeMap<&'static str, &'static str>);

impl SourceLoader for Files {
    fn load(&self, _relative_to: &str, path: &str) -> Result<(String, String), String> {
        self.0.get(path).map(|t| (path.to_string(), t.to_string())).ok_or_else(|| format!("cannot read {path:?}"))
    }
}

/// A one-node cluster with the Service `web` (selecting `app: web`) behind the Ingress `edge`,
/// the pods of `pods` (YAML list items, indented by 4), the load entries `load` and checks.
fn scenario(until: &str, pods: &str, load: &str, events: &str, checks: &str) -> String {
    format!(
        r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {{name: load}}
spec:
  until: {until}
  cluster:
    nodes: [{{name: n1, allocatable: {{cpu: "64", memory: 64Gi, pods: "110"}}}}]
  manifests:
{pods}
    - inline: {{apiVersion: v1, kind: Service, metadata: {{name: web}}, spec: {{selector: {{app: web}}, ports: [{{port: 80}}]}}}}
    - inline:
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {{name: edge}}
        spec:
          rules:
            - http:
                paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}]
  load:
{load}
  events:
{events}
  checks:
{checks}
"#
    )
}

/// A bare pod `name` of the Service with the given annotations and cpu resources.
fn pod(name: &str, annotations: &str, resources: &str) -> String {
    format!(
        "    - inline: {{apiVersion: v1, kind: Pod, metadata: {{name: {name}, labels: {{app: web}}, annotations: {{{annotations}}}}}, spec: {{containers: [{{name: c, resources: {resources}}}]}}}}"
    )
}

/// 100 rps over 3 ready pods: 100,000 mrps / 3 = 33,333 rest 1, so pod a (created first) serves
/// 33.334 rps and b, c 33.333. With cpu-per-request 10m and cpu-base 50m: a uses
/// 50 + 10 × 33.334 = 383.34, rounded down 383 millicores; b and c 383.33 → 383.
#[test]
fn load_is_spread_evenly_over_ready_endpoints() {
    let ann = "sim.kubesim.io/cpu-per-request: 10m, sim.kubesim.io/cpu-base: 50m";
    let pods = [pod("a", ann, "{}"), pod("b", ann, "{}"), pod("c", ann, "{}")].join("\n");
    let checks = r#"    - {at: 1s, expect: "service/default/web offeredRps == 100"}
    - {at: 1s, expect: "service/default/web servedRps == 100"}
    - {at: 1s, expect: "service/default/web droppedRps == 0"}
    - {at: 1s, expect: "pod/default/a servedRps == 33"}
    - {at: 1s, expect: "pod/default/a cpuUsage == 383"}
    - {at: 1s, expect: "pod/default/c cpuUsage == 383"}
    - {at: 10s, expect: "service/default/web servedRequests == 1000"}"#;
    let sim =
        passes(&scenario("10s", &pods, "    - {service: default/web, requestsPerSecond: {constant: 100}}", "", checks));
    let store = sim.store();
    let served: Vec<u64> =
        ["a", "b", "c"].iter().map(|n| sim.traffic().served(store.pod_id("default", n).unwrap())).collect();
    assert_eq!(served, [33_334, 33_333, 33_333]);
}

/// kube-proxy does not know capacity: 100 rps over 3 pods of max-rps 30 is 33.33 each, of
/// which each serves 30: 90 served, 10 dropped, every second. Each pod then uses
/// 50 + 10 × 30 = 350 millicores.
#[test]
fn requests_beyond_capacity_are_dropped() {
    let ann = "sim.kubesim.io/cpu-per-request: 10m, sim.kubesim.io/cpu-base: 50m, sim.kubesim.io/max-rps: \"30\"";
    let pods = [pod("a", ann, "{}"), pod("b", ann, "{}"), pod("c", ann, "{}")].join("\n");
    let checks = r#"    - {at: 1s, expect: "service/default/web servedRps == 90"}
    - {at: 1s, expect: "service/default/web droppedRps == 10"}
    - {at: 1s, expect: "pod/default/b cpuUsage == 350"}
    - {at: 1m, expect: "service/default/web droppedRequests == 600"}
    - {at: 1m, expect: "service/default/web offeredRequests == 6000"}"#;
    passes(&scenario("1m", &pods, "    - {service: default/web, requestsPerSecond: {constant: 100}}", "", checks));
}

/// Without max-rps, capacity comes from the cpu limit: (500m − 100m) / 4m = 100 rps per pod.
/// 300 rps over 2 pods is 150 each: 200 served, 100 dropped. A pod without a limit is
/// unlimited: with one limited pod (a) and one unlimited (b), b serves its whole 150.
#[test]
fn capacity_is_derived_from_the_cpu_limit() {
    let ann = "sim.kubesim.io/cpu-per-request: 4m, sim.kubesim.io/cpu-base: 100m";
    let limited = "{requests: {cpu: 250m}, limits: {cpu: 500m}}";
    let pods = [pod("a", ann, limited), pod("b", ann, limited)].join("\n");
    let checks = r#"    - {at: 1s, expect: "service/default/web servedRps == 200"}
    - {at: 1s, expect: "service/default/web droppedRps == 100"}
    - {at: 1s, expect: "pod/default/a cpuUsage == 500"}"#;
    passes(&scenario("5s", &pods, "    - {service: default/web, requestsPerSecond: {constant: 300}}", "", checks));
    let pods = [pod("a", ann, limited), pod("b", ann, "{requests: {cpu: 250m}}")].join("\n");
    let checks = r#"    - {at: 1s, expect: "service/default/web servedRps == 250"}
    - {at: 1s, expect: "pod/default/b cpuUsage == 700"}"#;
    passes(&scenario("5s", &pods, "    - {service: default/web, requestsPerSecond: {constant: 300}}", "", checks));
}

/// Pods become Ready 20 s after they start: until then nothing is served and the 10 rps are
/// dropped, 200 requests in all; from 20 s everything is served. A running pod that is not
/// Ready uses its base cpu only.
#[test]
fn nothing_is_served_while_no_endpoint_is_ready() {
    let ann = "sim.kubesim.io/startup: 20s, sim.kubesim.io/cpu-per-request: 10m, sim.kubesim.io/cpu-base: 50m";
    let pods = [pod("a", ann, "{}"), pod("b", ann, "{}")].join("\n");
    let checks = r#"    - {at: 19s, expect: "service/default/web droppedRps == 10"}
    - {at: 19s, expect: "pod/default/a cpuUsage == 50"}
    - {at: 20s, expect: "service/default/web droppedRps == 0"}
    - {at: 20s, expect: "pod/default/a cpuUsage == 100"}
    - {at: 1m, expect: "service/default/web droppedRequests == 200"}
    - {at: 1m, expect: "service/default/web servedRequests == 400"}"#;
    passes(&scenario("1m", &pods, "    - {service: default/web, requestsPerSecond: {constant: 10}}", "", checks));
}

/// While no endpoint is ready, kube-proxy sends the traffic to serving-but-terminating ones
/// (KEP-1669): deleted pods that take 30 s to shut down keep serving until they are gone. A
/// pod whose machine died serves nothing although it is still an endpoint.
#[test]
fn terminating_endpoints_serve_when_no_ready_one_is_left() {
    let ann = "sim.kubesim.io/shutdown: 30s";
    let pods = [pod("a", ann, "{}"), pod("b", ann, "{}")].join("\n");
    let events = "    - {at: 10s, delete: pod/default/a}\n    - {at: 20s, delete: pod/default/b}";
    let checks = r#"    - {at: 15s, expect: "pod/default/b servedRps == 10"}
    - {at: 15s, expect: "pod/default/a servedRps == 0"}
    - {at: 25s, expect: "service/default/web readyEndpoints == 0"}
    - {at: 25s, expect: "pod/default/a servedRps == 5"}
    - {at: 25s, expect: "service/default/web servedRps == 10"}
    - {at: 50s, expect: "service/default/web droppedRps == 10"}"#;
    passes(&scenario("1m", &pods, "    - {service: default/web, requestsPerSecond: {constant: 10}}", events, checks));
    let pods = [pod("a", "", "{}"), pod("b", "", "{}")].join("\n");
    let events = "    - {at: 10s, failNode: n1}";
    let checks = r#"    - {at: 9s, expect: "service/default/web servedRps == 10"}
    - {at: 10s, expect: "service/default/web readyEndpoints == 2"}
    - {at: 10s, expect: "service/default/web droppedRps == 10"}"#;
    passes(&scenario("20s", &pods, "    - {service: default/web, requestsPerSecond: {constant: 10}}", events, checks));
}

/// External load reaches the Service only while an Ingress routes to it; internal load always.
#[test]
fn external_load_needs_an_ingress_at_run_time() {
    let pods = [pod("a", "", "{}")].join("\n");
    let load = "    - {service: default/web, requestsPerSecond: {constant: 10}}\n    - {service: web, requestsPerSecond: {constant: 5}, internal: true}";
    let events = "    - {at: 30s, delete: ingress/default/edge}";
    let checks = r#"    - {at: 29s, expect: "service/default/web servedRps == 15"}
    - {at: 29s, expect: "ingress/default/edge exists == True"}
    - {at: 30s, expect: "ingress/default/edge exists == False"}
    - {at: 30s, expect: "service/default/web offeredRps == 15"}
    - {at: 30s, expect: "service/default/web servedRps == 5"}
    - {at: 30s, expect: "service/default/web droppedRps == 10"}
    - {at: 1m, expect: "service/default/web droppedRequests == 300"}"#;
    passes(&scenario("1m", &pods, load, events, checks));
}

/// Steps hold from their second on (0 before the first); two entries on one Service add up.
#[test]
fn steps_are_piecewise_constant() {
    let pods = [pod("a", "", "{}")].join("\n");
    let load = "    - {service: default/web, requestsPerSecond: {steps: [{at: 10s, rps: 20}, {at: 1m, rps: 2.5}]}}\n    - {service: default/web, requestsPerSecond: {constant: 1}}";
    let checks = r#"    - {at: 9s, expect: "service/default/web offeredRps == 1"}
    - {at: 10s, expect: "service/default/web offeredRps == 21"}
    - {at: 59s, expect: "service/default/web offeredRps == 21"}
    - {at: 1m, expect: "service/default/web offeredRps == 3"}
    - {at: 2m, expect: "service/default/web offeredRequests == 1270"}"#;
    // Requests: 1 rps for 120 s, 20 rps from 10 s to 60 s, 2.5 rps from 60 s to 120 s:
    // 120 + 1,000 + 150 = 1,270.
    let text = scenario("2m", &pods, load, "", checks);
    let sim = passes(&text);
    let ts = kubesim::output::timeseries_csv(&sim);
    let header = ts.lines().next().unwrap();
    assert!(header.ends_with(",default/web_offered_rps,default/web_served_rps,default/web_dropped_rps"), "{header}");
    let row_60 = ts.lines().find(|l| l.starts_with("60,")).unwrap();
    assert!(row_60.ends_with(",3.5,3.5,0"), "{row_60}");
    let summary: serde_json::Value = serde_json::from_str(&kubesim::output::summary_json(&sim, None)).unwrap();
    assert_eq!(summary["load"][0]["service"], "default/web");
    assert_eq!(summary["load"][0]["offered_requests"], 1270.0);
    assert_eq!(summary["load"][0]["dropped_requests"], 0.0);
}

/// `min + (max − min)(1 + cos(2π (t − peakAt) / 24 h)) / 2`: max at peakAt, min 12 h away,
/// the middle 6 h either side, and 3 h from the peak 100 + 200 · (1 + cos(π/4)) / 2 = 270.71.
#[test]
fn daily_curve_follows_the_cosine() {
    let pods = [pod("a", "", "{}")].join("\n");
    let load = "    - {service: default/web, requestsPerSecond: {daily: {min: 100, max: 300, peakAt: 15h}}}";
    let checks = r#"    - {at: 3h, expect: "service/default/web offeredRps == 100"}
    - {at: 9h, expect: "service/default/web offeredRps == 200"}
    - {at: 12h, expect: "service/default/web offeredRps == 270"}
    - {at: 15h, expect: "service/default/web offeredRps == 300"}
    - {at: 21h, expect: "service/default/web offeredRps == 200"}
    - {at: 27h, expect: "service/default/web offeredRps == 100"}
    - {at: 39h, expect: "service/default/web offeredRps == 300"}"#;
    let mut text = scenario("40h", &pods, load, "", checks);
    text = text.replace("  until: 40h", "  until: 40h\n  sampleInterval: 1h");
    let sim = passes(&text);
    // At the end, 40 h, an hour after the peak: 100 + 200 · (1 + cos(π/12)) / 2 = 296.593 rps.
    assert_eq!(sim.traffic().services()[0].offered, 296_593);
}

const RATES_CSV: &str = "t_s,rps\n0,5\n# lunch rush\n30,12.5\n60,0\n";

fn with_csv(text: &str, csv: &'static str) -> Result<Scenario, String> {
    let files = Files(BTreeMap::from([("rates.csv", csv)]));
    Scenario::parse(text, "test.yaml", &files).map_err(|e| e.to_string())
}

/// A CSV of `t_s,rps` rows is piecewise constant like steps.
#[test]
fn csv_rows_drive_the_rate() {
    let pods = [pod("a", "", "{}")].join("\n");
    let load = "    - {service: default/web, requestsPerSecond: {csv: rates.csv}}";
    let checks = r#"    - {at: 29s, expect: "service/default/web offeredRps == 5"}
    - {at: 30s, expect: "service/default/web offeredRps == 12"}
    - {at: 1m30s, expect: "service/default/web offeredRequests == 525"}"#;
    let scenario = with_csv(&scenario("90s", &pods, load, "", checks), RATES_CSV).unwrap();
    let sim = run(scenario, None);
    assert!(sim.check_results().iter().all(|r| r.passed), "{:?}", sim.check_results());
}

/// CSV errors name the file, the line and the column of the bad value.
#[test]
fn csv_errors_are_located_in_the_file() {
    let pods = [pod("a", "", "{}")].join("\n");
    let load = "    - {service: default/web, requestsPerSecond: {csv: rates.csv}}";
    let text = scenario("90s", &pods, load, "", "");
    let err = with_csv(&text, "t_s,rps\n0,5\n30,fast\n").unwrap_err();
    assert!(
        err.starts_with("rates.csv:3:4: Scenario load: spec.load[0].requestsPerSecond.csv: \"fast\" is not a rate"),
        "{err}"
    );
    assert!(err.contains("hint: rows are t_s,rps"), "{err}");
    let err = with_csv(&text, "0,5\n30,1\n20,2\n").unwrap_err();
    assert!(err.starts_with("rates.csv:3:1: "), "{err}");
    assert!(err.contains("t_s 20 is not after the previous row's 30"), "{err}");
    let err = with_csv(&text, "0,5\n10\n").unwrap_err();
    assert!(err.starts_with("rates.csv:2:3: ") && err.contains("expected 2 columns"), "{err}");
    let err = with_csv(&text, "0,5\n0.5,1\n").unwrap_err();
    assert!(err.starts_with("rates.csv:2:1: ") && err.contains("not a whole number of seconds"), "{err}");
    let err = with_csv(&text.replace("rates.csv", "missing.csv"), "").unwrap_err();
    assert!(err.contains("spec.load[0].requestsPerSecond.csv: cannot read \"missing.csv\""), "{err}");
}

fn parse_err(text: &str) -> String {
    Scenario::parse(text, "test.yaml", &kubesim::scenario::NoFiles).map(|_| ()).unwrap_err().to_string()
}

/// External load on a Service no Ingress exposes is refused at load time, naming the entry;
/// `internal: true` is in-cluster traffic and needs no Ingress.
#[test]
fn external_load_on_an_unexposed_service_is_refused() {
    let pods = [pod("a", "", "{}")].join("\n");
    let text = scenario("1m", &pods, "    - {service: default/web, requestsPerSecond: {constant: 10}}", "", "")
        .replace("name: web, port", "name: other, port");
    let err = parse_err(&text);
    let entry_line = text.lines().position(|l| l.contains("service: default/web")).unwrap() + 1;
    assert!(
        err.starts_with(&format!(
            "test.yaml:{entry_line}:7: Scenario load: spec.load[0]: service default/web is not exposed by any Ingress"
        )),
        "{err}"
    );
    assert!(err.contains("hint: add an Ingress rule, or set internal: true for in-cluster traffic"), "{err}");
    let internal = text.replace("{constant: 10}}", "{constant: 10}, internal: true}");
    Scenario::parse(&internal, "test.yaml", &kubesim::scenario::NoFiles).unwrap();
    // An Ingress created later by an apply event counts (its traffic is dropped until then).
    let applied = text.replace(
        "  events:\n",
        "  events:\n    - at: 10s\n      apply: {apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: late}, spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}}\n",
    );
    let sim = run(
        parse(&applied.replace(
            "  checks:\n",
            "  checks:\n    - {at: 10s, expect: \"service/default/web droppedRequests == 100\"}\n",
        )),
        None,
    );
    assert!(sim.check_results().iter().all(|r| r.passed), "{:?}", sim.check_results());
}

/// Located errors, with did-you-mean, for every field of a load entry.
#[test]
fn bad_load_entries_are_refused_with_located_errors() {
    let pods = [pod("a", "", "{}")].join("\n");
    let cases: &[(&str, &[&str])] = &[
        (
            "{service: default/web, requestPerSecond: {constant: 10}}",
            &["unknown field \"requestPerSecond\" (did you mean \"requestsPerSecond\"?)"],
        ),
        (
            "{service: default/wbe, requestsPerSecond: {constant: 10}}",
            &["no Service default/wbe (did you mean \"default/web\"?)", "hint: a load entry names a Service"],
        ),
        (
            "{service: default/web, requestsPerSecond: {constnt: 10}}",
            &["unknown field \"constnt\" (did you mean \"constant\"?)"],
        ),
        ("{service: default/web, requestsPerSecond: {}}", &["no rate shape given", "hint: write one of"]),
        (
            "{service: default/web, requestsPerSecond: {constant: 1, daily: {min: 1, max: 2, peakAt: 1h}}}",
            &["a rate has exactly one shape"],
        ),
        ("{service: default/web, requestsPerSecond: {constant: -3}}", &["\"-3\" is not a rate"]),
        (
            "{service: default/web, requestsPerSecond: {steps: [{at: 1m, rps: 1}, {at: 30s, rps: 2}]}}",
            &["steps must be in increasing time"],
        ),
        (
            "{service: default/web, requestsPerSecond: {steps: [{at: 1.5s, rps: 1}]}}",
            &["1.5s is not a whole number of seconds"],
        ),
        (
            "{service: default/web, requestsPerSecond: {daily: {min: 5, max: 2, peakAt: 1h}}}",
            &["max: must not be below min"],
        ),
        ("{service: default/web, requestsPerSecond: {daily: {min: 1, max: 2, peakAt: 25h}}}", &["is not within a day"]),
        (
            "{service: default/web, requestsPerSecond: {daily: {min: 1, max: 2}}}",
            &["missing required field \"peakAt\""],
        ),
        ("{service: Web, requestsPerSecond: {constant: 1}}", &["invalid Service reference \"Web\""]),
        ("{service: default/web, requestsPerSecond: {constant: 1}, internal: yes}", &["expected true or false"]),
    ];
    for (entry, says) in cases {
        let err = parse_err(&scenario("1m", &pods, &format!("    - {entry}"), "", ""));
        assert!(err.starts_with("test.yaml:"), "{entry}: {err}");
        for s in *says {
            assert!(err.contains(s), "{entry}: expected {s:?} in {err}");
        }
    }
    // A misspelled annotation of the serving model is an error too.
    let bad = [pod("a", "sim.kubesim.io/cpu-per-requests: 5m", "{}")].join("\n");
    let err =
        parse_err(&scenario("1m", &bad, "    - {service: default/web, requestsPerSecond: {constant: 1}}", "", ""));
    assert!(err.contains("did you mean \"sim.kubesim.io/cpu-per-request\""), "{err}");
    let bad = [pod("a", "sim.kubesim.io/cpu-base: -5m", "{}")].join("\n");
    let err =
        parse_err(&scenario("1m", &bad, "    - {service: default/web, requestsPerSecond: {constant: 1}}", "", ""));
    assert!(err.contains("must not be negative"), "{err}");
}

/// Scenarios without load keep their outputs: no new columns, no `load` key.
#[test]
fn outputs_without_load_are_unchanged() {
    let text = scenario("10s", &pod("a", "", "{}"), "", "", "").replace("  load:\n\n", "");
    let sim = run(parse(&text), None);
    let ts = kubesim::output::timeseries_csv(&sim);
    assert!(ts.lines().next().unwrap().ends_with(",api_writes,nodes_used,cpu_stranded_m,memory_stranded_bytes"));
    let summary: serde_json::Value = serde_json::from_str(&kubesim::output::summary_json(&sim, None)).unwrap();
    assert!(summary.get("load").is_none());
}

/// Same scenario and seed: same digest and the same bytes, load columns included.
#[test]
fn load_runs_are_deterministic() {
    let ann = "sim.kubesim.io/startup: \"uniform(1s, 30s)\", sim.kubesim.io/cpu-per-request: 10m";
    let pods = [pod("a", ann, "{}"), pod("b", ann, "{}"), pod("c", ann, "{}")].join("\n");
    let load = "    - {service: default/web, requestsPerSecond: {daily: {min: 10, max: 1000, peakAt: 1h}}}";
    let scenario = Arc::new(parse(&scenario("2h", &pods, load, "", "")));
    let once = |seed| {
        let options = RunOptions { trace_events: true, ..RunOptions::default() };
        let mut sim = Simulation::new(scenario.clone(), Some(seed), None, options);
        sim.run().unwrap();
        (sim.digest(), kubesim::output::render_all(&mut sim, None, false, true))
    };
    assert_eq!(once(3), once(3));
}

/// The shipped Ingress scenario checks itself for seeds 1 to 20, and its comment is right:
/// pointing external load at the internal model is refused at load time.
#[test]
fn the_ingress_scenario_holds_and_refuses_external_load_on_the_model() {
    let path = crate::support::root().join("scenarios/ingress-exposes-ui.yaml");
    let scenario = crate::support::load(&path);
    for seed in 1..=20 {
        let sim = run(scenario.clone(), Some(seed));
        for r in sim.check_results() {
            assert!(r.passed, "seed {seed}: {:?} failed at {} (actual: {})", r.text, r.at, r.actual);
        }
        assert_eq!(sim.check_results().len(), scenario.checks.len());
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches("      internal: true\n").count(), 1);
    let err = Scenario::parse(
        &text.replace("      internal: true\n", ""),
        "ingress-exposes-ui.yaml",
        &kubesim::scenario::NoFiles,
    )
    .map(|_| ())
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("Scenario ingress-exposes-ui: spec.load[1]: service default/model is not exposed by any Ingress\n  hint: add an Ingress rule, or set internal: true for in-cluster traffic"),
        "{err}"
    );
}
