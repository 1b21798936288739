//! `kubesim pack`: vector bin packing through the real scheduler — the JSON it prints, its
//! exit codes, determinism, a trivially packable instance, and one instance of the shared
//! Panigrahy data set when it is present.

use std::path::{Path, PathBuf};

use kubesim::pack::{self, Order, PackOptions, Policy};

use crate::support::{kubesim, root, temp_dir};

/// Three bins of (10, 10, 10) filled exactly by pairs of items:
/// (7,2,5)+(3,8,5), (5,5,5)+(5,5,5), (9,1,2)+(1,9,8).
const EXACT_THREE_BINS: &str = "3\n10 10 10\n5\n7 2 5 1\n3 8 5 1\n5 5 5 2\n9 1 2 1\n1 9 8 1\n";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write instance");
    path
}

/// Runs `kubesim pack` and returns (exit code, stdout, stderr).
fn pack_cli(file: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["pack", file.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    let out = kubesim(&all);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Parses the one JSON line and checks its shape: exactly these four keys.
fn report(stdout: &str) -> serde_json::Map<String, serde_json::Value> {
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout}");
    let value: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON");
    let object = value.as_object().expect("a JSON object").clone();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["instance", "lower_bound", "nodes_used", "policy"]);
    assert!(object["instance"].is_string() && object["policy"].is_string());
    assert!(object["nodes_used"].is_u64() && object["lower_bound"].is_u64());
    object
}

#[test]
fn exactly_packable_instance_uses_k_nodes_with_best_fit_and_ffd() {
    let dir = temp_dir("pack-exact");
    let file = write(&dir, "exact3.vbp", EXACT_THREE_BINS);
    let (code, stdout, stderr) = pack_cli(&file, &["--policy", "BestFit", "--order", "ffd"]);
    assert_eq!(code, 0, "{stderr}");
    let r = report(&stdout);
    assert_eq!(r["instance"], "exact3");
    assert_eq!(r["policy"], "BestFit");
    assert_eq!(r["lower_bound"], 3);
    assert_eq!(r["nodes_used"], 3);
}

#[test]
fn every_policy_uses_at_least_the_lower_bound_and_is_deterministic() {
    let dir = temp_dir("pack-policies");
    let file = write(&dir, "mixed.vbp", "3\n100 100 100\n4\n50 20 0 3\n30 30 90 2\n10 80 10 2\n40 40 40 3\n");
    for policy in
        ["default", "MostAllocated", "LeastAllocated", "Tetris", "BestFit", "FirstFit", "Random", "RoundRobin"]
    {
        for order in ["file", "ffd"] {
            let args = ["--policy", policy, "--order", order, "--seed", "5"];
            let (code, first, stderr) = pack_cli(&file, &args);
            assert_eq!(code, 0, "{policy} {order}: {stderr}");
            let r = report(&first);
            assert!(r["nodes_used"].as_u64() >= r["lower_bound"].as_u64(), "{policy} {order}: {first}");
            let (_, second, _) = pack_cli(&file, &args);
            assert_eq!(first, second, "{policy} {order}: same flags, same output");
        }
    }
}

#[test]
fn library_packings_are_identical_run_to_run() {
    let instance = pack::parse_vbp(EXACT_THREE_BINS).expect("valid");
    for policy in ["Random", "default", "RoundRobin"] {
        let options =
            PackOptions { policy: Policy::parse(policy).unwrap(), order: Order::File, seed: 11, demand_exponent: 0 };
        let a = pack::pack(&instance, &options).unwrap();
        let b = pack::pack(&instance, &options).unwrap();
        assert_eq!(a, b, "{policy}: placements and journal digest");
        assert_eq!(a.placements.len(), 6);
    }
}

#[test]
fn bad_input_exits_2_with_a_location() {
    let dir = temp_dir("pack-bad");
    let file = write(&dir, "bad.vbp", "2\n10 10\n2\n3 4 1\n3 x 1\n");
    let (code, stdout, stderr) = pack_cli(&file, &["--policy", "BestFit"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("bad.vbp:5:3: item type 2, size 1: expected a non-negative integer, found \"x\""),
        "{stderr}"
    );

    let too_big = write(&dir, "big.vbp", "1\n10\n1\n11 1\n");
    let (code, _, stderr) = pack_cli(&too_big, &["--policy", "BestFit"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("big.vbp:4:1: item type 1: size 11 in dimension 0 exceeds the bin capacity 10"),
        "{stderr}"
    );

    let good = write(&dir, "good.vbp", "1\n10\n1\n1 1\n");
    let (code, _, stderr) = pack_cli(&good, &["--policy", "BestFits"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean \"BestFit\""), "{stderr}");

    let (code, _, stderr) = pack_cli(&dir.join("missing.vbp"), &["--policy", "BestFit"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read"), "{stderr}");

    // Flags that mean nothing for the policy.
    let (code, stdout, stderr) = pack_cli(&good, &["--policy", "MostAllocated", "--order", "bin-centric"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("--order bin-centric") && stderr.contains("Tetris, BestFit, FirstFit"), "{stderr}");
    let (code, _, stderr) = pack_cli(&good, &["--policy", "BestFit", "--demand-exponent", "2"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--demand-exponent is an argument of Tetris"), "{stderr}");
    let (code, _, stderr) = pack_cli(&good, &["--policy", "Tetris", "--demand-exponent", "65"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("65"), "{stderr}");
    let (code, stdout, stderr) =
        pack_cli(&good, &["--policy", "Tetris", "--order", "bin-centric", "--demand-exponent", "15"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report(&stdout)["nodes_used"], 1);
}

/// The shared data set (`../shared/data/vbp/`), outside the repository.
fn shared_vbp() -> PathBuf {
    root().join("..").join("shared").join("data").join("vbp")
}

#[test]
fn panigrahy_instance_from_the_shared_data_set() {
    let archive = shared_vbp().join("Panigrahy_instances.tar.gz");
    let summary = shared_vbp().join("Panigrahy_summary_known.csv");
    if !archive.exists() || !summary.exists() {
        eprintln!("skipped: {} or {} is absent (see ../shared/data/README.md)", archive.display(), summary.display());
        return;
    }
    let name = "class4_40_5_3";
    let member = format!("Panigrahy_instances_multidim/class4/{name}.vbp");
    let dir = temp_dir("pack-panigrahy");
    let status = std::process::Command::new("tar").arg("-xzf").arg(&archive).arg("-C").arg(&dir).arg(&member).status();
    match status {
        Ok(s) if s.success() => {}
        other => {
            eprintln!("skipped: could not extract {member} with tar ({other:?})");
            return;
        }
    }
    let file = dir.join(&member);
    // The published lower bound and optimum of this instance (tab-separated summary).
    let csv = std::fs::read_to_string(&summary).expect("readable summary");
    let row: Vec<&str> = csv
        .lines()
        .find(|l| l.split('\t').next() == Some(name))
        .expect("instance in the summary")
        .split('\t')
        .collect();
    let (published_lb, opt): (u64, i64) = (row[1].parse().unwrap(), row[2].parse().unwrap());

    for (policy, order) in [("BestFit", "ffd"), ("FirstFit", "ffd"), ("Tetris", "file")] {
        let (code, stdout, stderr) = pack_cli(&file, &["--policy", policy, "--order", order]);
        assert_eq!(code, 0, "{stderr}");
        let r = report(&stdout);
        assert_eq!(r["instance"], name);
        let (used, lb) = (r["nodes_used"].as_u64().unwrap(), r["lower_bound"].as_u64().unwrap());
        assert!(lb <= published_lb, "our volume bound {lb} cannot beat the published bound {published_lb}");
        assert!(used >= published_lb && used >= lb, "{policy}: {used} nodes below the lower bound");
        if opt > 0 {
            assert!(used >= opt as u64, "{policy}: {used} nodes below the optimum {opt}");
        }
        assert_eq!(pack_cli(&file, &["--policy", policy, "--order", order]).1, stdout, "deterministic");
    }
}
