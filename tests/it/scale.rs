//! `kubesim generate scale` and `kubesim bench`: a small generated day runs end to end with
//! about the pods asked for, deterministically; bad flags are exit code 2; the shipped scale
//! scenarios are exactly what the generator writes for the flags in their first line.

use std::path::Path;
use std::sync::Arc;

use kubesim::engine::{RunOptions, Simulation};

use crate::support::{kubesim, load, root, temp_dir};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn run_digest(path: &Path) -> (String, u64, usize, usize) {
    let scenario = Arc::new(load(path));
    let mut sim = Simulation::new(scenario.clone(), None, None, RunOptions::default());
    sim.run().unwrap_or_else(|e| panic!("{e}"));
    let failed = sim.check_results().iter().filter(|c| !c.passed).count();
    (sim.digest(), sim.stats().pods_created, failed, sim.check_results().len())
}

#[test]
fn a_small_generated_scenario_runs_with_about_the_pods_asked_for() {
    let dir = temp_dir("scale-small");
    let out = dir.join("small.yaml");
    let args = [
        "generate",
        "scale",
        "--nodes",
        "20",
        "--pods",
        "2000",
        "--duration",
        "1h",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
    ];
    let o = kubesim(&args);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("20 node(s)"), "{stdout}");
    let text = std::fs::read_to_string(&out).unwrap();
    for feature in [
        "nodePools:",
        "kind: Deployment",
        "kind: Service",
        "kind: Job",
        "generate:",
        "nodeFailures:",
        "apply:",
        "scale:",
    ] {
        assert!(text.contains(feature), "the scenario uses {feature}:\n{text}");
    }
    // The same flags write the same bytes.
    let o = kubesim(&args);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text);

    let scenario = load(&out);
    assert_eq!(scenario.nodes.len(), 20);
    let (d1, pods, failed, checks) = run_digest(&out);
    assert!((1800..=2200).contains(&pods), "pods created {pods}, asked for 2000");
    assert_eq!(failed, 0, "the scenario's own checks (node count, pods created) pass");
    assert_eq!(checks, 3);
    let (d2, pods2, _, _) = run_digest(&out);
    assert_eq!((d1, pods), (d2, pods2), "same scenario, same seed: same run");
}

#[test]
fn the_seed_changes_the_scenario_and_its_run() {
    let dir = temp_dir("scale-seeds");
    let mut texts = Vec::new();
    for seed in ["1", "2"] {
        let out = dir.join(format!("s{seed}.yaml"));
        let o = kubesim(&[
            "generate",
            "scale",
            "--nodes",
            "5",
            "--pods",
            "300",
            "--duration",
            "10m",
            "--seed",
            seed,
            "--mtbf",
            "none",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(!text.contains("nodeFailures"), "--mtbf none: no failures");
        assert!(text.contains(&format!("seed: {seed}\n")));
        texts.push(text);
    }
    assert_ne!(texts[0], texts[1]);
}

#[test]
fn bad_generate_flags_are_usage_errors() {
    let out = temp_dir("scale-bad").join("x.yaml");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["--nodes", "0", "--pods", "10"], "--nodes"),
        (&["--nodes", "2000000", "--pods", "10"], "--nodes"),
        (&["--nodes", "10", "--pods", "many"], "--pods"),
        (&["--nodes", "10", "--pods", "10", "--duration", "30s"], "between 1m and 365d"),
        (&["--nodes", "10", "--pods", "10", "--zones", "27"], "--zones"),
        (&["--nodes", "10", "--pods", "10", "--mtbf", "often"], "--mtbf"),
        (&["--nodes", "10", "--pods", "10", "--name", "Not_A_Name"], "--name"),
    ];
    for (flags, mention) in cases {
        let mut args = vec!["generate", "scale", "--out", out];
        args.extend_from_slice(flags);
        let o = kubesim(&args);
        assert_eq!(o.status.code(), Some(2), "{flags:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(mention), "{flags:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    }
    assert!(!Path::new(out).exists(), "nothing written on bad flags");
    let o = kubesim(&["generate", "scale", "--nodes", "10", "--pods", "10"]);
    assert_eq!(o.status.code(), Some(2), "--out is required");
}

#[test]
fn shipped_scale_scenarios_are_what_the_generator_writes() {
    let dir = root().join("scenarios/scale");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/scale/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "the scaling tables need three sizes per axis: {files:?}");
    let tmp = temp_dir("scale-shipped");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap();
        let command = first
            .strip_prefix("# Written by `kubesim ")
            .and_then(|c| c.strip_suffix('`'))
            .unwrap_or_else(|| panic!("{}: first line names its command", path.display()));
        // Regenerate into a temporary file of the same name: only the --out path differs.
        let mut args: Vec<String> = command.split(' ').map(str::to_string).collect();
        let at = args.iter().position(|a| a == "--out").expect("--out");
        let regenerated = tmp.join(path.file_name().unwrap());
        args[at + 1] = regenerated.display().to_string();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = kubesim(&refs);
        assert_eq!(o.status.code(), Some(0), "{}: {}", path.display(), stderr(&o));
        let again = std::fs::read_to_string(&regenerated).unwrap();
        let body = |t: &str| t.split_once('\n').map(|(_, rest)| rest.to_string()).unwrap_or_default();
        assert!(body(&again) == body(&text), "{} is stale: regenerate it with `kubesim {command}`", path.display());
    }
}

#[test]
fn bench_reports_a_row_and_json() {
    let dir = temp_dir("scale-bench");
    let out = dir.join("tiny.yaml");
    let o = kubesim(&[
        "generate",
        "scale",
        "--nodes",
        "4",
        "--pods",
        "200",
        "--duration",
        "10m",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let o = kubesim(&["bench", out.to_str().unwrap(), "--repeat", "2"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "header, separator, one row:\n{table}");
    assert!(lines[0].starts_with("| scenario | nodes | pods created | events | decisions | wall (s)"), "{table}");
    let cells: Vec<&str> = lines[2].split('|').map(str::trim).collect();
    assert_eq!(cells[1], "tiny");
    assert_eq!(cells[2], "4", "{table}");
    if cfg!(target_os = "linux") {
        assert!(cells[10].ends_with("MB"), "peak RSS read from /proc: {table}");
    }

    let o = kubesim(&["bench", out.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(String::from_utf8_lossy(&o.stdout).trim()).unwrap();
    let run = &v["runs"][0];
    assert_eq!(run["outcome"], "finished");
    // The bench's run is the same simulation as `kubesim run`'s.
    let (digest, pods, _, _) = run_digest(&out);
    assert_eq!(run["digest"], digest.as_str());
    assert_eq!(run["pods_created"], pods);
    assert_eq!(
        run["decisions"].as_u64().unwrap(),
        run["pods_scheduled"].as_u64().unwrap() + run["unschedulable_attempts"].as_u64().unwrap()
    );
    assert!(run["events"].as_u64().unwrap() > pods);
    // A 4-node run keeps 4 KiB pages; forced on, the binary's allocator advises its heap.
    assert_eq!(run["huge_pages"], false);
    let forced = std::process::Command::new(env!("CARGO_BIN_EXE_kubesim"))
        .args(["bench", out.to_str().unwrap(), "--json"])
        .env(kubesim::heap::ENV, "always")
        .current_dir(root())
        .output()
        .expect("the binary runs");
    let v: serde_json::Value = serde_json::from_str(String::from_utf8_lossy(&forced.stdout).trim()).unwrap();
    assert_eq!(v["runs"][0]["huge_pages"], cfg!(all(target_os = "linux", target_env = "gnu")), "{v}");
    assert_eq!(v["runs"][0]["digest"], digest.as_str());

    let o = kubesim(&["bench", "no/such/file.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/file.yaml"), "{}", stderr(&o));
}

/// Arrivals of one shape share one admitted pod spec (memory per pod stays small at a million
/// pods); different shapes do not, and each pod's own run time stays its own.
#[test]
fn arrivals_of_one_shape_share_one_pod_spec() {
    let scenario = Arc::new(load(&root().join("scenarios/poisson-arrivals.yaml")));
    // The first 20 minutes: batch's arrivals only.
    let mut sim =
        Simulation::new(scenario, None, Some(kubesim::kernel::SimTime::from_secs(1200)), RunOptions::default());
    sim.run().expect("runs");
    let pods: Vec<&kubesim::api::pod::Pod> =
        sim.store().pod_entries().map(|p| p.full().expect("not archived")).collect();
    assert!(pods.len() > 1_000, "{}", pods.len());
    let mut by_shape: std::collections::BTreeMap<String, Vec<&kubesim::api::pod::Pod>> = Default::default();
    for &p in &pods {
        let requests = format!("{:?}", p.spec.containers[0].requests);
        by_shape.entry(requests).or_default().push(p);
    }
    // batch: 3 cpu × 7 memory values.
    assert!(by_shape.len() <= 21 && by_shape.len() > 10, "{}", by_shape.len());
    for (shape, group) in &by_shape {
        assert!(group.iter().all(|p| Arc::ptr_eq(&p.spec, &group[0].spec)), "{shape}: one spec");
    }
    let specs: std::collections::BTreeSet<*const kubesim::api::pod::PodSpec> =
        by_shape.values().map(|g| Arc::as_ptr(&g[0].spec)).collect();
    assert_eq!(specs.len(), by_shape.len(), "a spec per shape");
    let durations: std::collections::BTreeSet<String> =
        pods.iter().filter_map(|p| p.meta.annotations.get("sim.kubesim.io/duration").cloned()).collect();
    assert!(durations.len() > 500, "run times stay per pod: {}", durations.len());
}
