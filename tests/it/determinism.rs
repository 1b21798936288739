//! Same scenario + same seed = the same run: digests and output bytes, across repeated runs
//! and across threads running simulations side by side.

use std::sync::Arc;

use kubesim::engine::{RunOptions, Simulation};
use kubesim::output::render_all;

use crate::support::{is_too_slow_for_debug, load, root, uses_external_policy};

fn outputs(scenario: &Arc<kubesim::Scenario>, seed: u64) -> (String, Vec<(&'static str, String)>) {
    let options =
        RunOptions { trace_decisions: true, trace_events: true, check_invariants: false, full_narrative: false };
    let mut sim = Simulation::new(scenario.clone(), Some(seed), None, options);
    sim.run().unwrap();
    let digest = sim.digest();
    (digest, render_all(&mut sim, None, true, true))
}

#[test]
fn same_seed_same_digest_and_bytes() {
    let mut files: Vec<_> = std::fs::read_dir(root().join("scenarios")).unwrap().map(|e| e.unwrap().path()).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    files.sort();
    for path in files {
        if is_too_slow_for_debug(&path) {
            continue;
        }
        let scenario = Arc::new(load(&path));
        if uses_external_policy(&scenario) {
            continue;
        }
        let (d1, o1) = outputs(&scenario, 11);
        let (d2, o2) = outputs(&scenario, 11);
        assert_eq!(d1, d2, "{}", path.display());
        assert_eq!(o1, o2, "{}: outputs differ between two runs", path.display());
    }
}

#[test]
fn different_seeds_differ_and_threads_do_not_matter() {
    let scenario = Arc::new(load(&root().join("scenarios/ml-model-machine-failure.yaml")));
    let (d7, _) = outputs(&scenario, 7);
    let (d8, _) = outputs(&scenario, 8);
    assert_ne!(d7, d8, "the seed drives tie-breaks, names and heartbeat phases");
    // Four simulations at once on other threads give the same digest as the one above.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let s = scenario.clone();
            // The point of this test is to run simulations on several threads at once.
            #[allow(clippy::disallowed_methods)]
            std::thread::spawn(move || outputs(&s, 7).0)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), d7);
    }
}

/// The digest of the main example is pinned: a change is either a deliberate behaviour change
/// (update the value and say why in the commit) or a determinism bug.
#[test]
fn main_example_digest_is_pinned() {
    let scenario = Arc::new(load(&root().join("scenarios/ml-model-machine-failure.yaml")));
    let (digest, _) = outputs(&scenario, 7);
    let pinned =
        std::fs::read_to_string(root().join("tests/golden/ml-model-machine-failure.digest")).unwrap_or_default();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(root().join("tests/golden")).unwrap();
        std::fs::write(root().join("tests/golden/ml-model-machine-failure.digest"), format!("{digest}\n")).unwrap();
        return;
    }
    assert_eq!(
        digest,
        pinned.trim(),
        "digest changed; if deliberate, rerun with UPDATE_GOLDEN=1 and explain in the commit"
    );
}

/// `kubesim run` writes its files one at a time, `pods.csv` and `packing.csv` streamed row by
/// row: what lands on disk is byte for byte what the in-memory renderer makes.
#[test]
fn streamed_files_equal_the_in_memory_render() {
    for name in ["bin-packing.yaml", "training-job-retry.yaml", "node-recovery.yaml"] {
        let path = root().join("scenarios").join(name);
        let out = crate::support::temp_dir(&format!("streamed-{name}"));
        let run = crate::support::kubesim(&["run", "-q", path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert!(run.status.success(), "{name}: {}", String::from_utf8_lossy(&run.stderr));
        let options =
            RunOptions { trace_decisions: false, trace_events: false, check_invariants: false, full_narrative: false };
        let mut sim = Simulation::new(Arc::new(load(&path)), None, None, options);
        let stopped = sim.run().err().map(|e| e.to_string());
        let files = render_all(&mut sim, stopped.as_deref(), false, false);
        assert!(files.iter().any(|(n, text)| *n == "packing.csv" && text.lines().count() > 1), "{name}");
        for (file, text) in files {
            let written = std::fs::read_to_string(out.join(file)).unwrap();
            assert_eq!(written, text, "{name}: {file} as written differs from the in-memory render");
        }
        let leftovers: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{name}: temporary files left: {leftovers:?}");
    }
}

/// Huge pages under the heap (`kubesim::heap`, `KUBESIM_HUGE_PAGES`) change where memory
/// comes from, never a result: every output file of a run is byte for byte the same with them
/// forced on and forced off. An unknown value is reported and read as `auto`.
#[test]
fn huge_pages_do_not_change_a_run() {
    let run = |name: &str, setting: &str| {
        let out = crate::support::temp_dir(&format!("huge-pages-{setting}-{name}"));
        let path = root().join("scenarios").join(name);
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_kubesim"))
            .args(["run", "-q", path.to_str().unwrap(), "--trace", "decisions,events", "--out"])
            .arg(&out)
            .env(kubesim::heap::ENV, setting)
            .current_dir(root())
            .output()
            .expect("the binary runs");
        assert!(output.status.success(), "{name} ({setting}): {}", String::from_utf8_lossy(&output.stderr));
        let mut files: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())
            })
            .collect();
        files.sort();
        (files, String::from_utf8_lossy(&output.stderr).into_owned())
    };
    for name in ["ml-model-machine-failure.yaml", "mtbf-30-days.yaml"] {
        let (on, _) = run(name, "always");
        let (off, _) = run(name, "never");
        assert!(on.len() >= 5, "{name}: {:?}", on.iter().map(|f| &f.0).collect::<Vec<_>>());
        for ((file, a), (_, b)) in on.iter().zip(&off) {
            assert!(a == b, "{name}: {file} differs with huge pages on and off");
        }
        assert_eq!(on.len(), off.len());
    }
    let (_, stderr) = run("ml-model-machine-failure.yaml", "sometimes");
    assert!(
        stderr.contains("warning: KUBESIM_HUGE_PAGES=\"sometimes\" is not one of always, never, auto; using auto"),
        "{stderr}"
    );
}
