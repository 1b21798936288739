//! `kubesim report`: the page from a real run (sections, escaping of hostile names,
//! determinism, errors naming the file), loaded in a real headless browser when one is
//! installed; `kubesim run --show-packing`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::{kubesim, root, temp_dir};

/// Runs `scenario` into `dir` and writes its report; returns the page.
fn run_and_report(scenario: &str, dir: &Path, extra: &[&str]) -> String {
    let out = dir.to_str().unwrap();
    let run = kubesim(&["run", scenario, "--out", out, "-q"]);
    assert!(run.status.code() == Some(0), "run failed: {}", String::from_utf8_lossy(&run.stderr));
    let mut args = vec!["report", out];
    args.extend_from_slice(extra);
    let report = kubesim(&args);
    assert_eq!(report.status.code(), Some(0), "report failed: {}", String::from_utf8_lossy(&report.stderr));
    std::fs::read_to_string(dir.join("report.html")).expect("report.html written")
}

const SHIPPED: &str = "scenarios/ml-model-machine-failure.yaml";

#[test]
fn report_of_a_shipped_scenario_has_every_section_and_is_deterministic() {
    let dir = temp_dir("report/shipped");
    let html = run_and_report(SHIPPED, &dir, &["--at", "90s"]);
    for id in ["utilisation", "recovery", "availability", "latency", "packing", "checks"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "section {id} missing");
    }
    assert!(html.contains("class=\"fault\""), "fault markers from faults.csv");
    assert!(html.contains("class=\"pod\""), "packing blocks");
    assert!(html.contains("<title>cpu-big: node-failure cpu-big</title>"), "the failed node marked in the packing");
    assert!(html.contains("<h3>at 90 s:") && html.contains("<h3>at 1800 s:"), "the --at instant and the end");
    assert!(!html.contains("id=\"comparison\""), "no compare.csv, no comparison");
    // Self-contained: nothing fetched.
    let stripped = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!stripped.contains("http://") && !stripped.contains("https://") && !stripped.contains(" src="));
    // Same directory, same bytes.
    let again = kubesim(&["report", dir.to_str().unwrap(), "--at", "90s"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(dir.join("report.html")).unwrap(), html);
    // And a second run of the scenario gives the same page.
    let dir2 = temp_dir("report/shipped-again");
    assert_eq!(run_and_report(SHIPPED, &dir2, &["--at", "90s"]), html);
}

/// What a scenario can carry into the report: its file name (any bytes but `/`) and its
/// check expressions (`<` is an operator) are not DNS names.
const HOSTILE_NAME: &str = "<img src=x onerror=alert(1)>.yaml";

fn hostile_scenario(dir: &Path) -> PathBuf {
    let text = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: hostile}
spec:
  until: 2m
  cluster:
    nodes: [{name: n1, allocatable: {cpu: "2", memory: 4Gi}}]
  manifests:
    - inline:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: c, resources: {requests: {cpu: 500m}}}]}
  events:
    - {at: 30s, failNode: n1}
  checks:
    - {at: 20s, expect: "deployment/default/web readyReplicas < 3"}
"#;
    let path = dir.join(HOSTILE_NAME);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn names_from_the_scenario_are_escaped() {
    let dir = temp_dir("report/hostile");
    let scenario = hostile_scenario(&dir);
    let out = dir.join("out");
    let html = run_and_report(scenario.to_str().unwrap(), &out, &[]);
    assert!(!html.contains("<img"), "unescaped file name");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;.yaml"));
    assert!(html.contains("readyReplicas &lt; 3"));
}

#[test]
fn missing_and_malformed_files_are_named_with_exit_code_2() {
    let dir = temp_dir("report/broken");
    let run = kubesim(&["run", SHIPPED, "--out", dir.to_str().unwrap(), "-q"]);
    assert_eq!(run.status.code(), Some(0));
    std::fs::write(dir.join("faults.csv"), "start_s,source,kind\nsoon,x,y\n").unwrap();
    let r = kubesim(&["report", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("faults.csv") && !stderr.contains("panicked"), "{stderr}");
    std::fs::remove_file(dir.join("faults.csv")).unwrap();
    std::fs::remove_file(dir.join("timeseries.csv")).unwrap();
    let r = kubesim(&["report", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("timeseries.csv: missing"), "{stderr}");
    let empty = temp_dir("report/empty");
    let r = kubesim(&["report", empty.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("summary.json"));
    let r = kubesim(&["report", "no/such/dir"]);
    assert_eq!(r.status.code(), Some(2));
}

#[test]
fn show_packing_prints_a_narrow_picture() {
    let out = temp_dir("report/show-packing");
    let r =
        kubesim(&["run", SHIPPED, "--out", out.to_str().unwrap(), "-q", "--show-packing", "--show-packing-at", "5m"]);
    assert_eq!(r.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert!(
        stdout.contains("packing at 300s: 6 node(s)") && stdout.contains("packing at 1800s: 6 node(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("cpu-big ") && stdout.contains("A=replicaset/ml-model-"), "{stdout}");
    let picture = stdout.lines().filter(|l| !l.starts_with("reproduce:"));
    assert!(picture.clone().count() > 14 && picture.into_iter().all(|l| l.chars().count() <= 100), "{stdout}");
    // packing.csv is always written, one row per node slot and per bound pod.
    let packing = std::fs::read_to_string(out.join("packing.csv")).unwrap();
    assert!(packing.starts_with(kubesim::packing_view::HEADER));
    assert_eq!(packing.lines().filter(|l| l.starts_with("node,")).count(), 6);
}

/// The first headless-capable browser on `PATH`, if any.
fn browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Loads `page` in headless Chromium and returns the DOM after its scripts ran, and stderr
/// (console messages). Killed after two minutes.
fn load_in_browser(browser: &Path, page: &Path, profile: &Path) -> (String, String) {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        // Files, not pipes: a full pipe would stall the browser while this waits for it.
        .stdout(Stdio::from(std::fs::File::create(profile.with_extension("dom")).expect("dom file")))
        .stderr(Stdio::from(std::fs::File::create(profile.with_extension("log")).expect("log file")))
        .spawn()
        .expect("the browser starts");
    // A wall-clock deadline for a hung browser: test code, not the simulator.
    #[allow(clippy::disallowed_methods)]
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the browser did not finish loading {} in 120 s", page.display());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let status = child.wait().expect("wait");
    let read = |ext: &str| {
        String::from_utf8_lossy(&std::fs::read(profile.with_extension(ext)).unwrap_or_default()).into_owned()
    };
    let (dom, log) = (read("dom"), read("log"));
    assert!(status.success(), "browser failed: {log}");
    (dom, log)
}

#[test]
fn report_loads_in_a_headless_browser_without_errors() {
    let Some(browser) = browser() else {
        println!(
            "SKIPPED report_loads_in_a_headless_browser_without_errors: no chromium on PATH (apt-get install chromium; .ci/run does)"
        );
        return;
    };
    let dir = temp_dir("report/browser");
    let html = run_and_report(SHIPPED, &dir.join("shipped"), &[]);
    let hostile = hostile_scenario(&dir);
    run_and_report(hostile.to_str().unwrap(), &dir.join("hostile"), &[]);
    let charts = html.matches("<svg").count();
    assert!(charts >= 8, "{charts} charts");
    for (name, expected_charts) in [("shipped", Some(charts)), ("hostile", None)] {
        let page = root().join(dir.join(name).join("report.html"));
        let (dom, stderr) = load_in_browser(&browser, &page, &dir.join(format!("profile-{name}")));
        // The page's load handler ran (no script error before it) and counted the charts.
        let rendered = dom.split("data-rendered=\"").nth(1).and_then(|s| s.split('"').next());
        let rendered: usize =
            rendered.and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no data-rendered: {dom}"));
        if let Some(n) = expected_charts {
            assert_eq!(rendered, n, "charts the browser found");
        }
        assert!(dom.contains("<pre id=\"js-errors\" class=\"fail\"></pre>"), "script errors: {dom}");
        assert!(!stderr.contains("Uncaught"), "console errors: {stderr}");
        // The browser parsed the SVG into elements.
        assert!(dom.matches("<svg").count() >= 4 && dom.contains("<path class=\"series\""));
        // Nothing from the scenario became an element.
        assert!(!dom.contains("<img"), "hostile name became markup");
    }
    println!("report_loads_in_a_headless_browser_without_errors: ran {}", browser.display());
}

#[test]
fn report_of_a_comparison_has_the_table() {
    let dir = temp_dir("report/compare");
    let out = dir.to_str().unwrap();
    let args = ["compare", "scenarios/bin-packing.yaml", "--policy", "default", "--policy", "MostAllocated"];
    let r = kubesim(&[&args[..], &["--seeds", "1..2", "--out", out, "-q"]].concat());
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let r = kubesim(&["report", out]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("id=\"comparison\"") && html.contains("MostAllocated") && html.contains("class=\"ci\""));
    assert!(!html.contains("id=\"utilisation\""), "no run outputs, no run sections");
}
