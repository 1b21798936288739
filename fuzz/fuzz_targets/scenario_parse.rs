//! Fuzzes the scenario parser: arbitrary bytes, read as UTF-8 (lossily, as a text editor
//! would show them), must parse or fail with an error that names its file; never panic, never
//! hang. Files the scenario names are served from memory: the shipped example's manifest under
//! its own name, and the fuzzed text itself under any other name, so that the manifest
//! decoders see fuzzed text too.

#![no_main]

use kubesim::scenario::{Scenario, SourceLoader};
use libfuzzer_sys::fuzz_target;

const EXAMPLE_MANIFEST: &str = "manifests/ml-model.yaml";

struct MemoryLoader<'a> {
    fuzzed: &'a str,
}

impl SourceLoader for MemoryLoader<'_> {
    fn load(&self, _relative_to: &str, path: &str) -> Result<(String, String), String> {
        let text = match path {
            EXAMPLE_MANIFEST => include_str!("../../scenarios/manifests/ml-model.yaml"),
            _ => self.fuzzed,
        };
        Ok((path.to_string(), text.to_string()))
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = Scenario::parse(&text, "fuzz.yaml", &MemoryLoader { fuzzed: &text }) {
        let shown = e.to_string();
        assert!(!e.file.is_empty() && shown.starts_with(&e.file), "an error names its file first: {shown}");
    }
});
