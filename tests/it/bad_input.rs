//! Malformed and hostile input. The contract: a bad scenario or manifest never panics and never
//! hangs; `kubesim validate` and `kubesim run` both exit 2 with one error that starts with
//! `error: `, names the file, and (where the error has a place) the exact `file:line:column`,
//! the object the error is in (`Deployment default/web`), and a hint or a "did you mean".
//!
//! The corpus starts from a valid scenario and a valid manifest file and breaks one thing per
//! case; expected lines and columns are computed from the text written, by searching for the
//! spot the error must point at. A property test then feeds randomly mutated copies of the
//! shipped example to `Scenario::parse` through an in-memory loader and checks that it never
//! panics and that every error names its file.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use kubesim::scenario::{Scenario, SourceLoader};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::support::{kubesim, root, temp_dir};

/// A valid scenario exercising every section the corpus breaks.
const SCENARIO: &str = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata:
  name: bad
spec:
  seed: 3
  until: 20m
  cluster:
    nodes:
      - name: n1
        zone: zone-a
        allocatable: {cpu: "4", memory: 8Gi}
    nodePools:
      - name: pool
        count: 2
        allocatable: {cpu: "2", memory: 4Gi}
        taints: [{key: dedicated, value: batch, effect: NoSchedule}]
  scheduler:
    profiles:
      - schedulerName: default-scheduler
        plugins:
          score:
            enabled: [{name: NodeResourcesFit, weight: 2}]
        pluginConfig:
          - name: NodeResourcesFit
            args:
              scoringStrategy: {type: LeastAllocated}
  manifests:
    - file: app.yaml
  events:
    - {at: 5m, failNode: n1}
    - {at: 8m, scale: {target: deployment/default/web, replicas: 3}}
  checks:
    - {at: 10m, expect: "deployment/default/web readyReplicas == 3"}
    - {from: 1m, to: 15m, mode: eventually, expect: "node/n1 pods >= 0"}
"#;

/// A valid manifest file (`app.yaml`): a Deployment and its Service.
const MANIFEST: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      tolerations:
        - {key: dedicated, operator: Equal, value: batch, effect: NoSchedule}
      containers:
        - name: server
          image: nginx
          resources:
            requests: {cpu: 100m, memory: 64Mi}
            limits: {cpu: 500m, memory: 128Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - port: 80
"#;

/// The Service document of [`MANIFEST`], which the Job cases replace.
const SERVICE_DOC: &str =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports:\n    - port: 80\n";

/// A Job document with `restart` in its pod spec and `extra` in its spec.
fn job_doc(restart: &str, extra: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: train\nspec:\n  {extra}\n  template:\n    spec:\n      {restart}\n      containers:\n        - {{name: train, image: trainer}}\n"
    )
}

/// A Job document (restartPolicy Never) whose pod template has `labels`.
fn job_doc_with_template_labels(labels: &str) -> String {
    job_doc("restartPolicy: Never", "")
        .replace("  template:\n", &format!("  template:\n    metadata: {{labels: {labels}}}\n"))
}

/// A CronJob document whose spec starts with `spec` (lines indented by 2) and whose Job
/// template's spec has `job` (indented by 6).
fn cronjob_doc(name: &str, spec: &str, job: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: {name}\nspec:\n{spec}  jobTemplate:\n    spec:\n{job}      template:\n        spec:\n          restartPolicy: Never\n          containers:\n            - {{name: train, image: trainer}}\n"
    )
}

/// A StatefulSet document with `extra` in its spec, template labels `labels` and `pod` in its
/// pod spec.
fn sts_doc(extra: &str, labels: &str, pod: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  {extra}\n  selector: {{matchLabels: {{app: db}}}}\n  template:\n    metadata:\n      labels: {labels}\n    spec:\n      {pod}\n      containers:\n        - {{name: db, image: postgres}}\n"
    )
}

/// A DaemonSet document in kube-system with `extra` in its spec and `pod` in its pod spec.
fn ds_doc(extra: &str, pod: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\n  namespace: kube-system\nspec:\n  {extra}\n  selector: {{matchLabels: {{app: agent}}}}\n  template:\n    metadata:\n      labels: {{app: agent}}\n    spec:\n      {pod}\n      containers:\n        - {{name: agent, image: agent}}\n"
    )
}

/// A valid PersistentVolumeClaim, PersistentVolume and StorageClass, which the storage cases
/// break one thing at a time (in place of the Service document).
const PVC_DOC: &str = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 10Gi}}\n";
const PV_DOC: &str = "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: pv1\nspec:\n  capacity: {storage: 10Gi}\n  accessModes: [ReadWriteOnce]\n  persistentVolumeReclaimPolicy: Retain\n  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n        - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [zone-a]}]\n  hostPath: {path: /data}\n";
const SC_DOC: &str = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\nprovisioner: disk.example.com\nvolumeBindingMode: WaitForFirstConsumer\nallowedTopologies:\n  - matchLabelExpressions:\n      - {key: topology.kubernetes.io/zone, values: [zone-a]}\n";

/// An Ingress document routing `/` to the Service `web`, with `path` lines replaced by
/// `paths` (the YAML of the path list, indented under `paths:`).
fn ingress_doc(paths: &str) -> String {
    format!(
        "{SERVICE_DOC}---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: edge\nspec:\n  rules:\n    - http:\n        paths:\n{paths}"
    )
}

/// An HPA document on the Deployment `web`, with `extra` lines in its spec.
fn hpa_doc(extra: &str) -> String {
    format!(
        "{SERVICE_DOC}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n  maxReplicas: 5\n{extra}"
    )
}

const S: &str = "s.yaml";
const APP: &str = "app.yaml";

/// What a case writes under its directory.
#[derive(Clone)]
enum Content {
    Text(String),
    Bytes(Vec<u8>),
    Dir,
}

/// Where the error must point.
#[derive(Clone, Copy)]
enum At {
    /// At the first occurrence of this text, which must occur exactly once.
    Text(&'static str),
    /// At the `n`th (0-based) occurrence of this text.
    Nth(&'static str, usize),
    /// At an explicit line and column (for spots no text marks, such as the end of the file).
    LineCol(usize, usize),
    /// Nowhere inside the file (it is missing, empty, or a directory).
    Nowhere,
}

struct Case {
    name: &'static str,
    files: BTreeMap<&'static str, Content>,
    /// The file the error names first.
    file: &'static str,
    at: At,
    object: Option<&'static str>,
    /// Fragments the message must contain: the reason, the hint, the suggestion.
    says: Vec<&'static str>,
}

/// A case starting from the valid scenario and manifest.
fn case(name: &'static str) -> Case {
    let files = BTreeMap::from([(S, Content::Text(SCENARIO.into())), (APP, Content::Text(MANIFEST.into()))]);
    Case { name, files, file: S, at: At::Nowhere, object: None, says: Vec::new() }
}

impl Case {
    fn text(&self, file: &str) -> &str {
        match self.files.get(file) {
            Some(Content::Text(t)) => t,
            _ => panic!("{}: {file} is not text", self.name),
        }
    }

    /// Replaces the first `from` in `file` by `to`; `from` must be there.
    fn edit(mut self, file: &'static str, from: &str, to: &str) -> Case {
        let text = self.text(file);
        assert!(text.contains(from), "{}: {from:?} not in {file}", self.name);
        let edited = text.replacen(from, to, 1);
        self.files.insert(file, Content::Text(edited));
        self
    }

    fn scenario(self, from: &str, to: &str) -> Case {
        self.edit(S, from, to)
    }

    fn manifest(self, from: &str, to: &str) -> Case {
        self.edit(APP, from, to)
    }

    fn write(mut self, file: &'static str, content: Content) -> Case {
        self.files.insert(file, content);
        self
    }

    fn remove(mut self, file: &'static str) -> Case {
        self.files.remove(file);
        self
    }

    /// The error is in `file` at `at`.
    fn at(mut self, file: &'static str, at: At) -> Case {
        self.file = file;
        self.at = at;
        self
    }

    fn object(mut self, object: &'static str) -> Case {
        self.object = Some(object);
        self
    }

    fn says(mut self, fragments: &[&'static str]) -> Case {
        self.says.extend_from_slice(fragments);
        self
    }

    /// The expected line and column, from the text written.
    fn line_col(&self) -> Option<(usize, usize)> {
        match self.at {
            At::Text(needle) => {
                let text = self.text(self.file);
                assert_eq!(
                    text.matches(needle).count(),
                    1,
                    "{}: {needle:?} must occur once in {}",
                    self.name,
                    self.file
                );
                Some(line_col(text, needle, 0))
            }
            At::Nth(needle, n) => Some(line_col(self.text(self.file), needle, n)),
            At::LineCol(line, col) => Some((line, col)),
            At::Nowhere => None,
        }
    }
}

/// 1-based line and column (in characters) of the `n`th occurrence of `needle` in `text`.
fn line_col(text: &str, needle: &str, n: usize) -> (usize, usize) {
    let (offset, _) = text.match_indices(needle).nth(n).unwrap_or_else(|| panic!("{needle:?} #{n} not found"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Writes the case and runs `validate` and `run` on it; returns the problems found.
fn check(case: &Case) -> Vec<String> {
    let dir = temp_dir(&format!("bad-input/{}", case.name));
    for (name, content) in &case.files {
        let path = dir.join(name);
        match content {
            Content::Text(t) => std::fs::write(&path, t).unwrap(),
            Content::Bytes(b) => std::fs::write(&path, b).unwrap(),
            Content::Dir => std::fs::create_dir_all(&path).unwrap(),
        }
    }
    let scenario = dir.join(S);
    let scenario = scenario.to_str().unwrap();
    let named = dir.join(case.file).display().to_string();
    let out = dir.join("out");
    let mut problems = Vec::new();
    for args in [vec!["validate", scenario], vec!["run", scenario, "--quiet", "--out", out.to_str().unwrap()]] {
        let o = kubesim(&args);
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        let mut fail =
            |what: String| problems.push(format!("{} ({}): {what}\n--- stderr:\n{stderr}", case.name, args[0]));
        if o.status.code() != Some(2) {
            fail(format!("exit code {:?}, expected 2", o.status.code()));
        }
        if stderr.contains("panicked") {
            fail("panicked".into());
        }
        if stderr.lines().filter(|l| l.starts_with("error: ")).count() != 1 {
            fail("expected exactly one line starting with `error: `".into());
        }
        let after_location = match case.line_col() {
            Some((line, col)) => {
                let prefix = format!("error: {named}:{line}:{col}: ");
                match stderr.strip_prefix(&prefix) {
                    Some(rest) => rest,
                    None => {
                        fail(format!("expected to start with {prefix:?}"));
                        continue;
                    }
                }
            }
            None => {
                if !stderr.starts_with("error: ") || !stderr.contains(&named) {
                    fail(format!("expected `error: ` naming {named}"));
                }
                // No line and column may be made up for a file that has none.
                let located = stderr.match_indices(&named).any(|(i, _)| {
                    stderr[i + named.len()..]
                        .strip_prefix(':')
                        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
                });
                if located {
                    fail("a line and column were given for a file that has none".into());
                }
                stderr.as_str()
            }
        };
        if let Some(object) = case.object
            && !after_location.starts_with(&format!("{object}: "))
        {
            fail(format!("expected the object {object:?} right after the location"));
        }
        for fragment in &case.says {
            if !stderr.contains(fragment) {
                fail(format!("expected {fragment:?} in the message"));
            }
        }
    }
    problems
}

#[test]
fn the_base_case_is_valid() {
    // Every case breaks one thing of this valid pair, so each error below is the case's own.
    let case = case("base");
    let dir = temp_dir("bad-input/base");
    for (name, content) in &case.files {
        if let Content::Text(t) = content {
            std::fs::write(dir.join(name), t).unwrap();
        }
    }
    let o = kubesim(&["validate", dir.join(S).to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn line_col_counts_characters_from_one() {
    assert_eq!(line_col("ab\ncé: x\n", "x", 0), (2, 5));
    assert_eq!(line_col("x", "x", 0), (1, 1));
    assert_eq!(line_col("a a a", "a", 2), (1, 5));
}

#[test]
fn every_bad_input_is_refused_with_a_located_helpful_error() {
    let cases = corpus();
    assert!(cases.len() >= 60, "the corpus has {} cases", cases.len());
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names are unique (they name directories)");
    let problems: Vec<String> = cases.iter().flat_map(check).collect();
    assert!(problems.is_empty(), "{} problem(s):\n\n{}", problems.len(), problems.join("\n\n"));
}

/// Nested block mappings `levels` deep under `spec.deep`.
fn deep_block(levels: usize) -> String {
    let mut text = String::from("apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nspec:\n  deep:\n");
    for k in 1..=levels {
        text.push_str(&format!("{}a:\n", "  ".repeat(k + 1)));
    }
    text
}

/// "Billion laughs": each anchor is a list of nine aliases of the one before.
fn alias_bomb() -> String {
    let mut text = String::from(SCENARIO);
    text.push_str("  x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let aliases = vec![format!("*a{}", i - 1); 9].join(", ");
        text.push_str(&format!("  x{i}: &a{i} [{aliases}]\n"));
    }
    text
}

/// `labels:` in block style with `count` keys, then the first key again.
fn many_labels(count: usize) -> String {
    let mut text = String::from("  labels:\n");
    for i in 0..count {
        text.push_str(&format!("    k{i}: v\n"));
    }
    text.push_str("    k0: v\n");
    text
}

/// One line of ten megabytes: the whole scenario in flow style, a huge annotation, then a
/// misspelled field at the very end.
fn huge_line() -> String {
    let filler = "x".repeat(10 * 1024 * 1024);
    format!(
        "{{apiVersion: kubesim.io/v1alpha1, kind: Scenario, metadata: {{name: big, annotations: {{note: \"{filler}\"}}}}, spec: {{cluster: {{nodes: [{{name: n1, allocatable: {{cpu: \"1\"}}}}]}}, sed: 1}}}}"
    )
}

fn corpus() -> Vec<Case> {
    use At::{LineCol, Nth, Text};
    let deployment = "Deployment default/web";
    let scenario = "Scenario bad";
    vec![
        // Malformed YAML.
        case("yaml-bad-indentation")
            .scenario("        zone: zone-a", "       zone: zone-a")
            .at(S, Text("zone: zone-a"))
            .object(scenario)
            .says(&["invalid YAML", "hint: check the indentation"]),
        case("yaml-bad-indentation-manifest")
            .manifest("          image: nginx", "           image: nginx")
            // `server image` reads as one scalar; the colon after it is where YAML gives up.
            .at(APP, Text(": nginx"))
            .object(deployment)
            .says(&["invalid YAML", "hint: a value containing ': ' needs quotes; otherwise this line is indented"]),
        case("yaml-unclosed-flow")
            .scenario("{cpu: \"4\", memory: 8Gi}", "{cpu: \"4\", memory: 8Gi")
            // `8Gi nodePools` reads as one scalar inside the braces; the colon after it is
            // where YAML gives up.
            .at(S, Text(":\n      - name: pool"))
            .object(scenario)
            .says(&["invalid YAML", "the '{' at line 12, column 22 is still open"]),
        case("yaml-unclosed-flow-manifest")
            .manifest("    matchLabels: {app: web}", "    matchLabels: [{app: web}")
            .at(APP, Text("template:"))
            .object(deployment)
            .says(&["spec.selector.matchLabels", "the '[' at line 9, column 18 is still open"]),
        case("yaml-tab-indentation")
            .scenario("\n  until: 20m", "\n\tuntil: 20m")
            .at(S, Text("\tuntil"))
            .object(scenario)
            .says(&["tabs", "hint: indent with spaces"]),
        case("yaml-tab-indentation-manifest")
            .manifest("\n  replicas: 2", "\n  \treplicas: 2")
            // YAML reads the tab as part of the key's indentation and trips on the next key.
            .at(APP, Text("selector:\n"))
            .object(deployment)
            .says(&["invalid YAML", "hint: line 7, column 3 indents with a tab"]),
        case("yaml-duplicate-key")
            .scenario("  seed: 3\n", "  seed: 3\n  seed: 4\n")
            .at(S, Text("seed: 4"))
            .object(scenario)
            .says(&["spec: duplicate key \"seed\" (first defined at line 6)", "hint:"]),
        case("yaml-duplicate-key-manifest")
            .manifest("      labels: {app: web}", "      labels: {app: web, app: api}")
            .at(APP, Text("app: api"))
            .object(deployment)
            .says(&["spec.template.metadata.labels: duplicate key \"app\"", "hint:"]),
        case("controller-manager-negative-threshold")
            .scenario("  seed: 3\n", "  seed: 3\n  controllerManager: {terminatedPodGCThreshold: -5}\n")
            .at(S, Text("-5"))
            .object(scenario)
            .says(&["spec.controllerManager.terminatedPodGCThreshold"]),
        case("controller-manager-misspelt-field")
            .scenario("  seed: 3\n", "  seed: 3\n  controllerManager: {terminatedPodGcThreshold: 5}\n")
            .at(S, Text("terminatedPodGcThreshold"))
            .object(scenario)
            .says(&["did you mean \"terminatedPodGCThreshold\""]),
        case("yaml-unterminated-quote")
            .scenario("until: 20m", "until: '20m")
            .at(S, Text("'20m"))
            .object(scenario)
            .says(&["quoted scalar", "hint: is a closing quote missing?"]),
        case("yaml-key-is-a-list")
            .scenario("  seed: 3\n", "  seed: 3\n  ? [a, b]\n  : 1\n")
            .at(S, Text("[a, b]"))
            .object(scenario)
            .says(&["mapping keys must be plain strings"]),
        case("yaml-merge-key")
            .manifest("  replicas: 2\n", "  replicas: 2\n  <<: {paused: true}\n")
            .at(APP, Text("<<"))
            .object(deployment)
            .says(&["merge keys (<<) are not supported"]),
        case("yaml-unknown-alias")
            .scenario("seed: 3", "seed: *nope")
            .at(S, Text("*nope"))
            .object(scenario)
            .says(&["unknown anchor", "hint: an alias (*name) must come after its anchor"]),
        case("yaml-two-documents")
            .write(S, Content::Text(format!("{SCENARIO}---\n{SCENARIO}")))
            .at(S, Nth("apiVersion", 1))
            .says(&["a scenario file holds one document", "hint:"]),
        case("yaml-billion-laughs")
            .write(S, Content::Text(alias_bomb()))
            .at(S, Nth("*a5", 2))
            .says(&["document too large", "hint: aliases"]),
        case("yaml-deep-block-nesting")
            .write(S, Content::Text(deep_block(200)))
            // spec's mapping is the 2nd (line 4), each `a:` opens the next: the 129th starts on
            // line 129 + 2 at column 2 * 128 + 1.
            .at(S, LineCol(131, 257))
            .says(&["spec.deep.a.a.a.a.a.a.(112 more).a.a.a.a.a.a.a.a: nesting deeper than 128 levels", "hint:"]),
        case("yaml-deep-flow-nesting")
            .scenario("seed: 3", &format!("seed: {}", "[".repeat(10_000)))
            .at(S, LineCol(6, 9 + 255))
            .says(&["recursion limit", "hint:"]),
        // Files.
        case("file-empty").write(S, Content::Text(String::new())).says(&["the scenario file is empty", "hint:"]),
        case("file-comments-only")
            .write(S, Content::Text("# a scenario, one day\n".into()))
            .says(&["the scenario file is empty", "hint:"]),
        case("file-binary")
            .write(S, Content::Bytes(b"apiVersion: kubesim.io/v1alpha1\nkind: Sc\xffenario\n".to_vec()))
            .at(S, LineCol(2, 9))
            .says(&["not UTF-8 text (byte 0xff)", "hint:"]),
        case("file-binary-manifest")
            .write(APP, Content::Bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()))
            .at(S, Text("app.yaml"))
            .object(scenario)
            .says(&["app.yaml:1:1: not UTF-8 text (byte 0x89)"]),
        case("file-control-character")
            .manifest("image: nginx", "image: ngi\u{7}nx")
            .at(APP, Text("\u{7}"))
            .object(deployment)
            .says(&["containers[0].image: invalid YAML: control character U+0007 is not allowed", "hint:"]),
        case("file-ten-megabyte-line")
            .write(S, Content::Text(huge_line()))
            .at(S, Text("sed: 1"))
            .object("Scenario big")
            .says(&["unknown field \"sed\" (did you mean \"seed\"?)"]),
        case("file-missing").remove(S).says(&["cannot read"]),
        case("file-is-a-directory").write(S, Content::Dir).says(&["it is a directory"]),
        case("file-missing-manifest")
            .remove(APP)
            .at(S, Text("app.yaml"))
            .object(scenario)
            .says(&["spec.manifests[0].file: cannot read", "hint: app.yaml is read relative to"]),
        case("file-manifest-is-a-directory")
            .write(APP, Content::Dir)
            .at(S, Text("app.yaml"))
            .object(scenario)
            .says(&["it is a directory"]),
        case("file-empty-manifest")
            .write(APP, Content::Text("# nothing yet\n".into()))
            .at(S, Text("app.yaml"))
            .object(scenario)
            .says(&["holds no objects", "hint:"]),
        // Wrong types.
        case("type-quoted-int")
            .scenario("seed: 3", "seed: \"3\"")
            .at(S, Text("\"3\""))
            .object(scenario)
            .says(&["spec.seed: expected an integer, found the string \"3\"", "hint: remove the quotes"]),
        case("type-string-for-int")
            .scenario("count: 2", "count: two")
            .at(S, Text("two"))
            .object(scenario)
            .says(&["spec.cluster.nodePools[0].count: expected an integer"]),
        case("type-list-for-map")
            .scenario("scoringStrategy: {type: LeastAllocated}", "scoringStrategy: [LeastAllocated]")
            .at(S, Text("[LeastAllocated]"))
            .object(scenario)
            .says(&["expected a mapping, found a list"]),
        case("type-map-for-list")
            .manifest("  ports:\n    - port: 80\n", "  ports: {port: 80}\n")
            .at(APP, Text("{port: 80}"))
            .object("Service default/web")
            .says(&["spec.ports: expected a list, found a mapping"]),
        case("type-quoted-int-manifest")
            .manifest("replicas: 2", "replicas: \"2\"")
            .at(APP, Text("\"2\""))
            .object(deployment)
            .says(&["spec.replicas: expected an integer, found the string \"2\"", "hint: remove the quotes"]),
        case("type-list-for-int")
            .manifest("replicas: 2", "replicas: [2]")
            .at(APP, Text("[2]"))
            .object(deployment)
            .says(&["expected an integer, found a list"]),
        case("type-word-for-bool")
            .scenario("        zone: zone-a\n", "        zone: zone-a\n        unschedulable: yes\n")
            .at(S, Text("yes"))
            .object(scenario)
            .says(&["expected true or false"]),
        // Kinds and API versions.
        case("kind-unknown")
            .manifest("kind: Deployment", "kind: Deploymnt")
            .at(APP, Text("Deploymnt"))
            .object("Deploymnt default/web")
            .says(&["unknown kind \"Deploymnt\" (did you mean \"Deployment\"?)", "hint: supported kinds"]),
        case("kind-unsupported-replicationcontroller")
            .manifest("apiVersion: v1\nkind: Service", "apiVersion: v1\nkind: ReplicationController")
            .at(APP, Text("ReplicationController"))
            .object("ReplicationController default/web")
            .says(&["kind \"ReplicationController\" is not simulated yet", "hint:"]),
        // StatefulSets and DaemonSets: what the API server's validation refuses.
        case("statefulset-selector-not-matching-labels")
            .manifest(SERVICE_DOC, &sts_doc("", "{app: other}", ""))
            .at(APP, Text("{app: other}"))
            .object("StatefulSet default/db")
            .says(&["selector does not match template labels", "hint: every label in spec.selector"]),
        case("statefulset-restart-policy-not-always")
            .manifest(SERVICE_DOC, &sts_doc("", "{app: db}", "restartPolicy: Never"))
            .at(APP, Text("Never"))
            .object("StatefulSet default/db")
            .says(&["unsupported value \"Never\": only Always is allowed"]),
        case("statefulset-bad-update-strategy")
            .manifest(SERVICE_DOC, &sts_doc("updateStrategy: {type: Rolling}", "{app: db}", ""))
            .at(APP, Text("Rolling}"))
            .object("StatefulSet default/db")
            .says(&["Unsupported value: \"Rolling\": supported values: \"RollingUpdate\", \"OnDelete\""]),
        case("statefulset-on-delete-with-rolling-update")
            .manifest(SERVICE_DOC, &sts_doc("updateStrategy: {type: OnDelete, rollingUpdate: {partition: 1}}", "{app: db}", ""))
            .at(APP, Text("{partition: 1}"))
            .object("StatefulSet default/db")
            .says(&["only allowed for updateStrategy 'RollingUpdate'", "hint: remove rollingUpdate"]),
        case("statefulset-bad-pod-management-policy")
            .manifest(SERVICE_DOC, &sts_doc("podManagementPolicy: OrderdReady", "{app: db}", ""))
            .at(APP, Text("OrderdReady"))
            .object("StatefulSet default/db")
            .says(&["Unsupported value: \"OrderdReady\" (did you mean \"OrderedReady\"?)", "\"Parallel\""]),
        case("daemonset-surge-with-default-unavailable")
            .manifest(SERVICE_DOC, &ds_doc("updateStrategy: {rollingUpdate: {maxSurge: 10%}}", ""))
            .at(APP, Text("10%"))
            .object("DaemonSet kube-system/agent")
            .says(&["may not be set when maxUnavailable is non-zero", "hint: maxUnavailable defaults to 1"]),
        case("daemonset-bad-update-strategy")
            .manifest(SERVICE_DOC, &ds_doc("updateStrategy: {type: Recreate}", ""))
            .at(APP, Text("Recreate"))
            .object("DaemonSet kube-system/agent")
            .says(&["Unsupported value: \"Recreate\"", "\"RollingUpdate\", \"OnDelete\""]),
        case("daemonset-restart-policy-not-always")
            .manifest(SERVICE_DOC, &ds_doc("", "restartPolicy: OnFailure"))
            .at(APP, Text("OnFailure"))
            .object("DaemonSet kube-system/agent")
            .says(&["unsupported value \"OnFailure\": only Always is allowed"]),
        // Storage: what the API server's validation refuses.
        case("pvc-access-mode-typo")
            .manifest(SERVICE_DOC, &PVC_DOC.replacen("[ReadWriteOnce]", "[ReadWriteOnse]", 1))
            .at(APP, Text("ReadWriteOnse"))
            .object("PersistentVolumeClaim default/data")
            .says(&["Unsupported value: \"ReadWriteOnse\" (did you mean \"ReadWriteOnce\"?)", "\"ReadWriteOncePod\""]),
        case("pvc-without-storage-request")
            .manifest(SERVICE_DOC, &PVC_DOC.replacen("  resources: {requests: {storage: 10Gi}}\n", "", 1))
            .at(APP, Text("accessModes"))
            .object("PersistentVolumeClaim default/data")
            .says(&["spec.resources[storage]: Required value", "hint: write resources: {requests: {storage: 10Gi}}"]),
        case("pvc-bad-storage-quantity")
            .manifest(SERVICE_DOC, &PVC_DOC.replacen("10Gi", "lots", 1))
            .at(APP, Text("lots"))
            .object("PersistentVolumeClaim default/data")
            .says(&["quantity \"lots\"", "hint: quantities look like"]),
        case("pv-without-capacity")
            .manifest(SERVICE_DOC, &PV_DOC.replacen("  capacity: {storage: 10Gi}\n", "", 1))
            .at(APP, Text("accessModes"))
            .object("PersistentVolume pv1")
            .says(&["spec.capacity: Required value"]),
        case("pv-without-volume-source")
            .manifest(SERVICE_DOC, &PV_DOC.replacen("  hostPath: {path: /data}\n", "", 1))
            .at(APP, Text("capacity"))
            .object("PersistentVolume pv1")
            .says(&["must specify a volume type", "hint: a volume names its storage"]),
        case("pv-reclaim-policy-typo")
            .manifest(SERVICE_DOC, &PV_DOC.replacen("Retain", "Retian", 1))
            .at(APP, Text("Retian"))
            .object("PersistentVolume pv1")
            .says(&["Unsupported value: \"Retian\" (did you mean \"Retain\"?)"]),
        case("pv-bad-node-affinity-operator")
            .manifest(SERVICE_DOC, &PV_DOC.replacen("operator: In", "operator: Inn", 1))
            .at(APP, Text("Inn"))
            .object("PersistentVolume pv1")
            .says(&["\"Inn\" is not a valid node selector operator"]),
        case("storageclass-binding-mode-typo")
            .manifest(SERVICE_DOC, &SC_DOC.replacen("WaitForFirstConsumer", "WaitForFirstConsumr", 1))
            .at(APP, Text("WaitForFirstConsumr"))
            .object("StorageClass fast")
            .says(&["(did you mean \"WaitForFirstConsumer\"?)"]),
        case("storageclass-without-provisioner")
            .manifest(SERVICE_DOC, &SC_DOC.replacen("provisioner: disk.example.com\n", "", 1))
            .at(APP, Text("apiVersion: storage.k8s.io/v1"))
            .object("StorageClass fast")
            .says(&["provisioner: Required value", "hint: name the provisioner"]),
        case("storageclass-topology-without-values")
            .manifest(SERVICE_DOC, &SC_DOC.replacen("values: [zone-a]", "values: []", 1))
            .at(APP, Text("{key: topology"))
            .object("StorageClass fast")
            .says(&["must specify as least one value"]),
        case("pod-claim-volume-without-claim-name")
            .manifest(
                "        - name: server\n",
                "        - name: server\n          volumeMounts: [{name: data, mountPath: /data}]\n",
            )
            .manifest("      tolerations:\n", "      volumes: [{name: data, persistentVolumeClaim: {readOnly: true}}]\n      tolerations:\n")
            .at(APP, Text("{readOnly: true}"))
            .object("Deployment default/web")
            .says(&["persistentVolumeClaim.claimName: Required value"]),
        // Jobs: what the API server's validation refuses.
        case("job-restart-policy-always")
            .manifest(SERVICE_DOC, &job_doc("restartPolicy: Always", ""))
            .at(APP, Text("Always"))
            .object("Job default/train")
            .says(&["Unsupported value: \"Always\"", "hint: a Job's pods run to completion"]),
        case("job-selector-not-generated")
            .manifest(SERVICE_DOC, &job_doc("restartPolicy: Never", "selector: {matchLabels: {job: train}}"))
            .at(APP, Text("{matchLabels: {job: train}}"))
            .object("Job default/train")
            .says(&["`selector` will be auto-generated", "hint: remove spec.selector"]),
        case("job-template-label-not-generated")
            .manifest(SERVICE_DOC, &job_doc_with_template_labels("{job-name: other}"))
            .at(APP, Text("other}}"))
            .object("Job default/train")
            .says(&["spec.template.metadata.labels[job-name]", "Invalid value: \"other\": must be 'train'", "hint: remove the label"]),
        case("job-template-controller-uid")
            .manifest(SERVICE_DOC, &job_doc_with_template_labels("{batch.kubernetes.io/controller-uid: abc}"))
            .at(APP, Text("abc}}"))
            .object("Job default/train")
            .says(&["labels[batch.kubernetes.io/controller-uid]", "must be the Job's uid"]),
        case("job-indexed-without-completions")
            .manifest(SERVICE_DOC, &job_doc("restartPolicy: Never", "completionMode: Indexed\n  parallelism: 2"))
            .at(APP, Text("Indexed"))
            .object("Job default/train")
            .says(&["spec.completions", "Required value: when completion mode is Indexed", "hint:"]),
        case("job-failure-policy-needs-never")
            .manifest(
                SERVICE_DOC,
                &job_doc("restartPolicy: OnFailure", "podFailurePolicy: {rules: [{action: Ignore, onPodConditions: [{type: DisruptionTarget}]}]}"),
            )
            .at(APP, Text("{rules:"))
            .object("Job default/train")
            .says(&["only \"Never\" is supported"]),
        case("job-exit-codes-unordered")
            .manifest(
                SERVICE_DOC,
                &job_doc("restartPolicy: Never", "podFailurePolicy: {rules: [{action: FailJob, onExitCodes: {operator: In, values: [42, 7]}}]}"),
            )
            .at(APP, Text("7]"))
            .object("Job default/train")
            .says(&["must be ordered"]),
        // CronJobs: the API server's validation of the schedule, zone, name and template.
        case("cronjob-schedule-out-of-range")
            .manifest(SERVICE_DOC, &cronjob_doc("nightly", "  schedule: \"61 0 * * *\"\n", ""))
            .at(APP, Text("\"61 0 * * *\""))
            .object("CronJob default/nightly")
            .says(&[
                "spec.schedule: Invalid value: \"61 0 * * *\": end of range (61) above maximum (59): 61",
                "hint: minutes are 0-59",
            ]),
        case("cronjob-schedule-tz-prefix")
            .manifest(SERVICE_DOC, &cronjob_doc("nightly", "  schedule: \"CRON_TZ=Europe/Berlin 0 2 * * *\"\n", ""))
            .at(APP, Text("\"CRON_TZ"))
            .object("CronJob default/nightly")
            .says(&[
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
                "hint: move the zone name to spec.timeZone",
            ]),
        case("cronjob-unknown-time-zone")
            .manifest(
                SERVICE_DOC,
                &cronjob_doc("nightly", "  schedule: \"0 2 * * *\"\n  timeZone: Europe/Berln\n", ""),
            )
            .at(APP, Text("Europe/Berln"))
            .object("CronJob default/nightly")
            .says(&[
                "spec.timeZone: Invalid value: \"Europe/Berln\": unknown time zone Europe/Berln",
                "hint: did you mean \"Europe/Berlin\"?",
            ]),
        case("cronjob-name-too-long")
            .manifest(SERVICE_DOC, &cronjob_doc(&"n".repeat(53), "  schedule: \"@daily\"\n", ""))
            .at(APP, Nth("nnnnn", 0))
            .says(&["must be no more than 52 characters", "hint: the CronJob's Jobs are named"]),
        case("cronjob-template-selector")
            .manifest(
                SERVICE_DOC,
                &cronjob_doc("nightly", "  schedule: \"@daily\"\n", "      selector: {matchLabels: {job: nightly}}\n"),
            )
            .at(APP, Text("{matchLabels: {job: nightly}}"))
            .object("CronJob default/nightly")
            .says(&["spec.jobTemplate.spec.selector: `selector` will be auto-generated", "hint:"]),
        case("cronjob-template-restart-always")
            .manifest(SERVICE_DOC, &cronjob_doc("nightly", "  schedule: \"@daily\"\n", "").replace("Never", "Always"))
            .at(APP, Text("Always"))
            .object("CronJob default/nightly")
            .says(&["spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: \"Always\""]),
        case("cronjob-negative-history-limit")
            .manifest(
                SERVICE_DOC,
                &cronjob_doc("nightly", "  schedule: \"@daily\"\n  successfulJobsHistoryLimit: -1\n", ""),
            )
            .at(APP, Text("-1"))
            .object("CronJob default/nightly")
            .says(&["spec.successfulJobsHistoryLimit: must be greater than or equal to 0"]),
        case("cronjob-concurrency-policy")
            .manifest(
                SERVICE_DOC,
                &cronjob_doc("nightly", "  schedule: \"@daily\"\n  concurrencyPolicy: Forbidden\n", ""),
            )
            .at(APP, Text("Forbidden"))
            .object("CronJob default/nightly")
            .says(&["unsupported value \"Forbidden\" (did you mean \"Forbid\"?)"]),
        case("scenario-start-time")
            .scenario("  until: 20m\n", "  until: 20m\n  startTime: 2026-03-02 02:00\n")
            .at(S, Text("2026-03-02 02:00"))
            .object(scenario)
            .says(&["spec.startTime: invalid time \"2026-03-02 02:00\"", "hint: write an RFC 3339 instant"]),
        // Ingresses: what the API server's validation refuses.
        case("ingress-path-type-missing")
            .manifest(SERVICE_DOC, &ingress_doc("          - path: /shop\n            backend: {service: {name: web, port: {number: 80}}}\n"))
            .at(APP, Text("path: /shop"))
            .object("Ingress default/edge")
            .says(&["pathType: Required value: pathType must be specified", "hint: pathType is one of"]),
        case("ingress-path-type-misspelled")
            .manifest(SERVICE_DOC, &ingress_doc("          - {path: /, pathType: prefix, backend: {service: {name: web, port: {number: 80}}}}\n"))
            .at(APP, Text("prefix"))
            .object("Ingress default/edge")
            .says(&["Unsupported value: \"prefix\" (did you mean \"Prefix\"?)", "\"ImplementationSpecific\""]),
        case("ingress-path-not-absolute")
            .manifest(SERVICE_DOC, &ingress_doc("          - {path: shop, pathType: Exact, backend: {service: {name: web, port: {number: 80}}}}\n"))
            .at(APP, Text("shop"))
            .object("Ingress default/edge")
            .says(&["spec.rules[0].http.paths[0].path: Invalid value: \"shop\": must be an absolute path"]),
        case("ingress-backend-port-missing")
            .manifest(SERVICE_DOC, &ingress_doc("          - {path: /, pathType: Prefix, backend: {service: {name: web}}}\n"))
            .at(APP, Text("{name: web}"))
            .object("Ingress default/edge")
            .says(&["port name or number is required", "hint:"]),
        case("ingress-backend-both")
            .manifest(
                SERVICE_DOC,
                &ingress_doc("          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}, resource: {kind: Bucket, name: b}}}\n"),
            )
            .at(APP, Text("{service: {name: web"))
            .object("Ingress default/edge")
            .says(&["cannot set both resource and service backends"]),
        case("ingress-no-rules")
            .manifest(SERVICE_DOC, &ingress_doc("").replace("  rules:\n    - http:\n        paths:\n", "  ingressClassName: nginx\n"))
            .at(APP, Text("ingressClassName"))
            .object("Ingress default/edge")
            .says(&["either `defaultBackend` or `rules` must be specified", "hint:"]),
        case("ingress-host-ip")
            .manifest(
                SERVICE_DOC,
                &ingress_doc("          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n")
                    .replace("    - http:", "    - host: 10.0.0.1\n      http:"),
            )
            .at(APP, Text("10.0.0.1"))
            .object("Ingress default/edge")
            .says(&["must be a DNS name, not an IP address"]),
        // HorizontalPodAutoscalers and load.
        case("hpa-min-replicas-zero")
            .manifest(SERVICE_DOC, &hpa_doc("  minReplicas: 0\n"))
            .at(APP, LineCol(39, 16))
            .object("HorizontalPodAutoscaler default/web")
            .says(&["spec.minReplicas: Invalid value: 0: must be greater than or equal to 1", "hint:"]),
        case("hpa-external-metric")
            .manifest(
                SERVICE_DOC,
                &hpa_doc("  metrics:\n    - type: External\n      external: {metric: {name: queue}, target: {type: Value, value: \"5\"}}\n"),
            )
            .at(APP, Text("External"))
            .object("HorizontalPodAutoscaler default/web")
            .says(&["External metrics are not simulated yet", "hint: use type: Resource"]),
        case("hpa-target-kind")
            .manifest(SERVICE_DOC, &hpa_doc("").replace("kind: Deployment, name: web", "kind: DaemonSet, name: web"))
            .at(APP, Text("DaemonSet"))
            .object("HorizontalPodAutoscaler default/web")
            .says(&["scaling a \"DaemonSet\" is not simulated yet", "hint: kinds kubesim can scale"]),
        case("load-service-unexposed")
            .scenario("  events:\n", "  load:\n    - {service: default/web, requestsPerSecond: {constant: 5}}\n  events:\n")
            .at(S, Text("{service: default/web"))
            .object(scenario)
            .says(&["service default/web is not exposed by any Ingress", "hint: add an Ingress rule, or set internal: true"]),
        case("load-service-misspelled")
            .scenario("  events:\n", "  load:\n    - {service: default/wbe, requestsPerSecond: {constant: 5}, internal: true}\n  events:\n")
            .at(S, Text("default/wbe"))
            .object(scenario)
            .says(&["no Service default/wbe (did you mean \"default/web\"?)", "hint:"]),
        case("load-shape-misspelled")
            .scenario("  events:\n", "  load:\n    - {service: web, requestsPerSecond: {dayly: {min: 1, max: 2, peakAt: 1h}}, internal: true}\n  events:\n")
            .at(S, Text("dayly"))
            .object(scenario)
            .says(&["unknown field \"dayly\" (did you mean \"daily\"?)"]),
        // Stochastic faults.
        case("faults-unknown-pool")
            .scenario("  events:\n", "  faults:\n    - nodeFailures: {pool: pol, timeToFailure: 1d, timeToRepair: 1h}\n  events:\n")
            .at(S, Text("pol,"))
            .object(scenario)
            .says(&["no node pool named \"pol\" (did you mean \"pool\"?)", "hint: pools are"]),
        case("faults-unknown-zone")
            .scenario("  events:\n", "  faults:\n    - zoneFailures: {zones: [zone-q], timeToFailure: 1d, timeToRepair: 1h}\n  events:\n")
            .at(S, Text("zone-q"))
            .object(scenario)
            .says(&["no node is in zone \"zone-q\" (did you mean \"zone-a\"?)"]),
        case("faults-misspelled-distribution")
            .scenario("  events:\n", "  faults:\n    - nodeFailures: {timeToFailure: \"weibul(1d, 2)\", timeToRepair: 1h}\n  events:\n")
            .at(S, Text("\"weibul"))
            .object(scenario)
            .says(&["unknown distribution \"weibul\"", "did you mean \"weibull\"?", "hint:"]),
        case("faults-two-kinds-in-one-entry")
            .scenario(
                "  events:\n",
                "  faults:\n    - nodeFailures: {timeToFailure: 1d, timeToRepair: 1h}\n      zoneFailures: {timeToFailure: 1d, timeToRepair: 1h}\n  events:\n",
            )
            .at(S, Text("nodeFailures"))
            .object(scenario)
            .says(&["exactly one of nodeFailures, zoneFailures, podCrashes, partitions"]),
        case("faults-crash-target-missing")
            .scenario(
                "  events:\n",
                "  faults:\n    - podCrashes: {target: deployment/default/wbe, timeBetweenCrashes: 1h}\n  events:\n",
            )
            .at(S, Text("deployment/default/wbe"))
            .object(scenario)
            .says(&["no Deployment default/wbe in the scenario (did you mean \"deployment/default/web\"?)"]),
        case("faults-zero-up-time")
            .scenario("  events:\n", "  faults:\n    - nodeFailures: {timeToFailure: 0s, timeToRepair: 1h}\n  events:\n")
            .at(S, Text("0s,"))
            .object(scenario)
            .says(&["has a mean of zero: the fault would repeat forever at one instant"]),
        case("faults-outage-unknown-component")
            .scenario(
                "  events:\n",
                "  faults:\n    - controlPlaneOutages: {components: [sheduler], timeToFailure: 1d, duration: 5m}\n  events:\n",
            )
            .at(S, Text("sheduler"))
            .object(scenario)
            .says(&["unknown control-plane component \"sheduler\" (did you mean \"scheduler\"?)", "hint: known:"]),
        case("faults-empirical-file-missing")
            .scenario(
                "  events:\n",
                "  faults:\n    - nodeFailures: {timeToFailure: 1d, timeToRepair: empirical(repairs.csv)}\n  events:\n",
            )
            .at(S, Text("empirical(repairs.csv)"))
            .object(scenario)
            .says(&["repairs.csv"]),
        case("faults-empirical-bad-row")
            .scenario(
                "  events:\n",
                "  faults:\n    - nodeFailures: {timeToFailure: 1d, timeToRepair: empirical(repairs.csv)}\n  events:\n",
            )
            .write("repairs.csv", Content::Text("duration_s\n60\nsoon\n".into()))
            .at("repairs.csv", LineCol(3, 1))
            .object(scenario)
            .says(&["\"soon\"", "hint: one duration per row"]),
        case("kind-wrong-api-version")
            .manifest("apiVersion: apps/v1", "apiVersion: v1")
            .at(APP, LineCol(1, 13))
            .object(deployment)
            .says(&["Deployment is served as apiVersion \"apps/v1\", not \"v1\"", "hint: write apiVersion: apps/v1"]),
        case("kind-scenario-api-version")
            .scenario("kubesim.io/v1alpha1", "kubesim.io/v1")
            .at(S, Text("kubesim.io/v1"))
            .says(&["unsupported apiVersion \"kubesim.io/v1\"", "hint: write apiVersion: kubesim.io/v1alpha1"]),
        case("kind-scenario-kind")
            .scenario("kind: Scenario", "kind: Scenaro")
            .at(S, Text("Scenaro"))
            .says(&["expected kind Scenario", "hint:"]),
        // Misspelled fields, at every level.
        case("field-top-level")
            .scenario("metadata:", "metdata:")
            .at(S, Text("metdata"))
            .says(&["unknown field \"metdata\" (did you mean \"metadata\"?)", "hint: fields here:"]),
        case("field-scenario-spec")
            .scenario("until: 20m", "untill: 20m")
            .at(S, Text("untill"))
            .object(scenario)
            .says(&["spec: unknown field \"untill\" (did you mean \"until\"?)", "hint: fields here:"]),
        case("field-scenario-spec-required")
            .scenario("  cluster:", "  clustr:")
            .at(S, Text("clustr"))
            .object(scenario)
            .says(&["unknown field \"clustr\" (did you mean \"cluster\"?)", "hint: \"cluster\" is required here"]),
        case("field-cluster")
            .scenario("nodePools:", "nodePool:")
            .at(S, Text("nodePool:"))
            .object(scenario)
            .says(&["spec.cluster: unknown field \"nodePool\" (did you mean \"nodePools\"?)"]),
        case("field-node")
            .scenario("zone: zone-a", "zon: zone-a")
            .at(S, Text("zon:"))
            .object(scenario)
            .says(&["spec.cluster.nodes[0]: unknown field \"zon\" (did you mean \"zone\"?)"]),
        case("field-node-allocatable")
            .scenario("allocatable: {cpu: \"4\"", "alocatable: {cpu: \"4\"")
            .at(S, Text("alocatable"))
            .object(scenario)
            .says(&["unknown field \"alocatable\" (did you mean \"allocatable\"?)"]),
        case("field-node-pool")
            .scenario("count: 2", "cuont: 2")
            .at(S, Text("cuont"))
            .object(scenario)
            .says(&["spec.cluster.nodePools[0]: unknown field \"cuont\" (did you mean \"count\"?)"]),
        case("field-taint")
            .scenario("effect: NoSchedule}]", "efect: NoSchedule}]")
            .at(S, Text("efect"))
            .object(scenario)
            .says(&["unknown field \"efect\" (did you mean \"effect\"?)"]),
        case("field-event")
            .scenario("failNode: n1", "failNod: n1")
            .at(S, Text("failNod:"))
            .object(scenario)
            .says(&["spec.events[0]: unknown field \"failNod\" (did you mean \"failNode\"?)"]),
        case("field-event-scale")
            .scenario("replicas: 3}}", "replica: 3}}")
            .at(S, Text("replica:"))
            .object(scenario)
            .says(&["spec.events[1].scale: unknown field \"replica\" (did you mean \"replicas\"?)"]),
        case("field-check")
            .scenario("mode: eventually", "mod: eventually")
            .at(S, Text("mod:"))
            .object(scenario)
            .says(&["spec.checks[1]: unknown field \"mod\" (did you mean \"mode\"?)"]),
        case("field-scheduler")
            .scenario("    profiles:", "    profils:")
            .at(S, Text("profils"))
            .object(scenario)
            .says(&["spec.scheduler: unknown field \"profils\" (did you mean \"profiles\"?)"]),
        case("field-profile")
            .scenario("        plugins:", "        plugin:")
            .at(S, Text("plugin:"))
            .object(scenario)
            .says(&["spec.scheduler.profiles[0]: unknown field \"plugin\" (did you mean \"plugins\"?)"]),
        case("field-plugin-set")
            .scenario("enabled:", "enable:")
            .at(S, Text("enable:"))
            .object(scenario)
            .says(&["plugins.score: unknown field \"enable\" (did you mean \"enabled\"?)"]),
        case("field-plugin-args")
            .scenario("scoringStrategy:", "scoringStrategie:")
            .at(S, Text("scoringStrategie"))
            .object(scenario)
            .says(&["pluginConfig[0].args: unknown field \"scoringStrategie\" (did you mean \"scoringStrategy\"?)"]),
        case("field-deployment-spec")
            .manifest("  replicas: 2", "  replica: 2")
            .at(APP, Text("replica:"))
            .object(deployment)
            .says(&["spec: unknown field \"replica\" (did you mean \"replicas\"?)", "hint: fields here:"]),
        case("field-metadata-name")
            .manifest("  name: web\n  labels", "  nmae: web\n  labels")
            .at(APP, Text("nmae"))
            .object("Deployment")
            .says(&["metadata: unknown field \"nmae\" (did you mean \"name\"?)"]),
        case("field-template")
            .manifest("  template:", "  templat:")
            .at(APP, Text("templat:"))
            .object(deployment)
            .says(&["unknown field \"templat\" (did you mean \"template\"?)"]),
        case("field-pod-spec")
            .manifest("      tolerations:", "      toleration:")
            .at(APP, Text("toleration:"))
            .object(deployment)
            .says(&["spec.template.spec: unknown field \"toleration\" (did you mean \"tolerations\"?)"]),
        case("field-container")
            .manifest("image: nginx", "imagee: nginx")
            .at(APP, Text("imagee"))
            .object(deployment)
            .says(&["spec.template.spec.containers[0]: unknown field \"imagee\" (did you mean \"image\"?)"]),
        case("field-resources")
            .manifest("limits:", "limit:")
            .at(APP, Text("limit:"))
            .object(deployment)
            .says(&["containers[0].resources: unknown field \"limit\" (did you mean \"limits\"?)"]),
        case("field-toleration")
            .manifest("operator: Equal", "operater: Equal")
            .at(APP, Text("operater"))
            .object(deployment)
            .says(&["spec.template.spec.tolerations[0]: unknown field \"operater\" (did you mean \"operator\"?)"]),
        case("field-service-spec")
            .manifest("  ports:", "  port:")
            .at(APP, Text("port:\n"))
            .object("Service default/web")
            .says(&["spec: unknown field \"port\" (did you mean \"ports\"?)"]),
        // Quantities and resource names.
        case("quantity-negative")
            .manifest("memory: 64Mi", "memory: -64Mi")
            .at(APP, Text("-64Mi"))
            .object(deployment)
            .says(&["resources.requests.memory: must be greater than or equal to 0, got -64Mi"]),
        case("quantity-negative-node")
            .scenario("cpu: \"4\"", "cpu: \"-4\"")
            .at(S, Text("\"-4\""))
            .object(scenario)
            .says(&["spec.cluster.nodes[0].allocatable.cpu: must be greater than or equal to 0"]),
        case("quantity-overflow-exponent")
            .manifest("memory: 64Mi", "memory: 1e40")
            .at(APP, Text("1e40"))
            .object(deployment)
            .says(&["quantity \"1e40\" is too large", "hint:"]),
        case("quantity-overflow-binary")
            .manifest("memory: 64Mi", "memory: 99999999999999999999Ei")
            .at(APP, Text("99999999999999999999Ei"))
            .object(deployment)
            .says(&["quantity \"99999999999999999999Ei\" is too large", "hint:"]),
        case("quantity-overflow-node-cpu")
            .scenario("cpu: \"4\"", "cpu: \"9999999999999999999\"")
            .at(S, Text("\"9999999999999999999\""))
            .object(scenario)
            .says(&["is too large", "hint:"]),
        case("quantity-wrapping-exponent")
            .manifest("cpu: 100m", "cpu: 1e4294967296")
            .at(APP, Text("1e4294967296"))
            .object(deployment)
            .says(&["exponent 4294967296 is out of range", "hint:"]),
        case("quantity-bad-suffix")
            .manifest("memory: 64Mi", "memory: 1.5Ki1")
            .at(APP, Text("1.5Ki1"))
            .object(deployment)
            .says(&["quantity \"1.5Ki1\"", "suffix", "hint: quantities look like"]),
        case("quantity-space")
            .manifest("memory: 64Mi", "memory: 2 Gi")
            .at(APP, Text("2 Gi"))
            .object(deployment)
            .says(&["quantity \"2 Gi\"", "hint: quantities look like"]),
        case("quantity-kilobytes")
            .manifest("memory: 64Mi", "memory: 1KB")
            .at(APP, Text("1KB"))
            .object(deployment)
            .says(&["quantity \"1KB\"", "hint: quantities look like"]),
        case("quantity-unknown-resource")
            .manifest("requests: {cpu: 100m", "requests: {cpus: 100m")
            .at(APP, Text("cpus"))
            .object(deployment)
            .says(&["unknown resource \"cpus\" (did you mean \"cpu\"?)"]),
        case("quantity-unknown-resource-node")
            .scenario("memory: 4Gi", "memroy: 4Gi")
            .at(S, Text("memroy"))
            .object(scenario)
            .says(&["spec.cluster.nodePools[0].allocatable: unknown resource \"memroy\" (did you mean \"memory\"?)"]),
        case("quantity-requests-over-limits")
            .manifest("requests: {cpu: 100m", "requests: {cpu: 900m")
            .at(APP, Text("900m"))
            .object(deployment)
            .says(&["resources.requests.cpu: request 900m must be less than or equal to the limit 500m", "hint:"]),
        case("quantity-extended-without-limit")
            .manifest("requests: {cpu: 100m,", "requests: {example.com/gpu: 1, cpu: 100m,")
            .at(APP, Text("1, cpu"))
            .object(deployment)
            .says(&["extended resource example.com/gpu must have a limit equal to its request", "hint:"]),
        // Selectors, labels and names.
        case("selector-bad-operator")
            .manifest("    matchLabels: {app: web}", "    matchExpressions: [{key: app, operator: Inn, values: [web]}]")
            .at(APP, Text("Inn"))
            .object(deployment)
            .says(&["\"Inn\" is not a valid label selector operator", "(did you mean \"In\"?)"]),
        case("selector-values-with-exists")
            .manifest(
                "    matchLabels: {app: web}",
                "    matchLabels: {app: web}\n    matchExpressions: [{key: tier, operator: Exists, values: [x]}]",
            )
            .at(APP, Text("{key: tier"))
            .object(deployment)
            .says(&["matchExpressions[0]: key \"tier\": values set must be empty"]),
        case("selector-bad-label-key")
            .manifest("    matchLabels: {app: web}", "    matchLabels: {app: web, \"a b\": c}")
            .at(APP, Text("\"a b\""))
            .object(deployment)
            .says(&["spec.selector: matchLabels: invalid label key \"a b\""]),
        case("selector-does-not-match-template")
            .manifest("    matchLabels: {app: web}", "    matchLabels: {app: api}")
            .at(APP, Nth("{app: web}", 1))
            .object(deployment)
            .says(&["selector does not match template labels (selector: app=api)", "hint:"]),
        case("selector-empty")
            .manifest("matchLabels: {app: web}", "matchLabels: {}")
            .at(APP, Text("matchLabels: {}"))
            .object(deployment)
            .says(&["spec.selector: empty selector is invalid"]),
        case("label-bad-key")
            .manifest("  labels: {app: web}\nspec", "  labels: {app: web, \"bad key\": x}\nspec")
            .at(APP, Text("\"bad key\""))
            .object(deployment)
            .says(&["metadata.labels: invalid label key \"bad key\""]),
        case("label-bad-value")
            .manifest("  labels: {app: web}\nspec", "  labels: {app: \"-web-\"}\nspec")
            .at(APP, Text("\"-web-\""))
            .object(deployment)
            .says(&["invalid value \"-web-\" for label \"app\""]),
        case("label-bad-node-label")
            .scenario("        zone: zone-a\n", "        zone: zone-a\n        labels: {\"x/y/z\": a}\n")
            .at(S, Text("\"x/y/z\""))
            .object(scenario)
            .says(&["spec.cluster.nodes[0].labels: invalid label key \"x/y/z\""]),
        case("name-invalid")
            .manifest("  name: web\n  labels", "  name: Web_1\n  labels")
            .at(APP, Text("Web_1"))
            .object("Deployment default/Web_1")
            .says(&["metadata.name: invalid name \"Web_1\"", "hint:"]),
        // Taints, tolerations, durations.
        case("taint-bad-effect")
            .scenario("effect: NoSchedule}]", "effect: NoSchedul}]")
            .at(S, Text("NoSchedul}"))
            .object(scenario)
            .says(&["unknown taint effect \"NoSchedul\" (did you mean \"NoSchedule\"?)"]),
        case("toleration-bad-effect")
            .manifest("effect: NoSchedule}", "effect: NoExecut}")
            .at(APP, Text("NoExecut"))
            .object(deployment)
            .says(&["tolerations[0].effect: unknown taint effect \"NoExecut\" (did you mean \"NoExecute\"?)"]),
        case("toleration-bad-operator")
            .manifest("operator: Equal", "operator: Equals")
            .at(APP, Text("Equals"))
            .object(deployment)
            .says(&["unsupported operator \"Equals\" (did you mean \"Equal\"?)"]),
        case("duration-words")
            .scenario("until: 20m", "until: 10 minutes")
            .at(S, Text("10 minutes"))
            .object(scenario)
            .says(&["spec.until: invalid duration \"10 minutes\"", "e.g. 30s"]),
        case("duration-negative")
            .scenario("until: 20m", "until: -5m")
            .at(S, Text("-5m"))
            .object(scenario)
            .says(&["spec.until: invalid duration \"-5m\": durations cannot be negative"]),
        case("duration-event")
            .scenario("{at: 5m,", "{at: 5 mins,")
            .at(S, Text("5 mins"))
            .object(scenario)
            .says(&["spec.events[0].at: invalid duration \"5 mins\""]),
        case("duration-window-backwards")
            .scenario("{from: 1m, to: 15m", "{from: 16m, to: 15m")
            .at(S, Text("15m, mode"))
            .object(scenario)
            .says(&["spec.checks[1].to: must not be before from"]),
        case("annotation-bad-duration")
            .manifest("      labels: {app: web}\n", "      labels: {app: web}\n      annotations: {sim.kubesim.io/startup: 5 mins}\n")
            .at(APP, Text("5 mins"))
            .object(deployment)
            .says(&["spec.template.metadata.annotations.sim.kubesim.io/startup"]),
        case("annotation-unknown")
            .manifest("      labels: {app: web}\n", "      labels: {app: web}\n      annotations: {sim.kubesim.io/startp: 5s}\n")
            .at(APP, Text("sim.kubesim.io/startp"))
            .object(deployment)
            .says(&["unknown simulator annotation \"sim.kubesim.io/startp\" (did you mean \"sim.kubesim.io/startup\"?)"]),
        // Checks and events.
        case("check-unknown-op")
            .scenario("readyReplicas == 3", "readyReplicas =~ 3")
            .at(S, Text("\"deployment/default/web readyReplicas =~ 3\""))
            .object(scenario)
            .says(&["spec.checks[0].expect: unknown comparison \"=~\""]),
        case("check-unknown-field")
            .scenario("readyReplicas == 3", "readyReplica == 3")
            .at(S, Text("\"deployment/default/web readyReplica == 3\""))
            .object(scenario)
            .says(&["(did you mean \"readyReplicas\"?)"]),
        case("check-unknown-mode")
            .scenario("mode: eventually", "mode: sometimes")
            .at(S, Text("sometimes"))
            .object(scenario)
            .says(&["spec.checks[1].mode: unknown mode \"sometimes\""]),
        case("check-after-until")
            .scenario("{at: 10m, expect", "{at: 30m, expect")
            .at(S, Text("30m"))
            .object(scenario)
            .says(&["the check's time is after spec.until", "hint:"]),
        case("event-missing-node")
            .scenario("failNode: n1", "failNode: n9")
            .at(S, Text("n9"))
            .object(scenario)
            .says(&["spec.events[0].failNode: no node named \"n9\" (did you mean \"n1\"?)", "hint:"]),
        case("event-missing-pool-node")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, cordon: pool-7}")
            .at(S, Text("pool-7"))
            .object(scenario)
            .says(&["spec.events[0].cordon: no node named \"pool-7\" (did you mean \"pool-0\"?)"]),
        // Node faults.
        case("event-unknown-zone")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, failZone: zone-b}")
            .at(S, Text("zone-b"))
            .object(scenario)
            .says(&["spec.events[0].failZone: no node is in zone \"zone-b\" (did you mean \"zone-a\"?)", "hint:", "zone-a"]),
        case("event-recover-unknown-zone")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, recoverZone: us-east-1z}")
            .at(S, Text("us-east-1z"))
            .object(scenario)
            .says(&["spec.events[0].recoverZone: no node is in zone \"us-east-1z\"", "hint:"]),
        case("event-partition-unknown-node")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, partitionNode: n2}")
            .at(S, Text("n2"))
            .object(scenario)
            .says(&["spec.events[0].partitionNode: no node named \"n2\" (did you mean \"n1\"?)", "hint:"]),
        case("event-remove-unknown-node")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, removeNode: {node: pool-9, notice: 2m}}")
            .at(S, Text("pool-9"))
            .object(scenario)
            .says(&["spec.events[0].removeNode.node: no node named \"pool-9\"", "hint:"]),
        case("event-remove-negative-notice")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, removeNode: {node: n1, notice: -2m}}")
            .at(S, Text("-2m"))
            .object(scenario)
            .says(&["spec.events[0].removeNode.notice:", "hint: the notice is a positive duration"]),
        case("event-remove-zero-notice")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, removeNode: {node: n1, notice: 0s}}")
            .at(S, Text("0s"))
            .object(scenario)
            .says(&["spec.events[0].removeNode.notice: must be greater than zero", "hint: omit notice"]),
        case("event-condition-bad-type")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, nodeCondition: {node: n1, type: MemoryPresure, status: \"True\"}}")
            .at(S, Text("MemoryPresure"))
            .object(scenario)
            .says(&[
                "spec.events[0].nodeCondition.type: unknown node condition \"MemoryPresure\" (did you mean \"MemoryPressure\"?)",
                "hint:",
            ]),
        case("event-condition-bad-status")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, nodeCondition: {node: n1, type: Ready, status: Flase}}")
            .at(S, Text("Flase"))
            .object(scenario)
            .says(&["spec.events[0].nodeCondition.status: unknown condition status \"Flase\" (did you mean \"False\"?)"]),
        case("event-condition-unknown-node")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, nodeCondition: {node: n7, type: Ready, status: \"False\"}}")
            .at(S, Text("n7"))
            .object(scenario)
            .says(&["spec.events[0].nodeCondition.node: no node named \"n7\""]),
        case("event-add-nodes-zero")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, addNodes: {pool: pool, count: 0}}")
            .at(S, Text("0}"))
            .object(scenario)
            .says(&["spec.events[0].addNodes.count"]),
        case("event-add-nodes-bad-pool")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, addNodes: {pool: Big_Pool, count: 2}}")
            .at(S, Text("Big_Pool"))
            .object(scenario)
            .says(&["spec.events[0].addNodes.pool"]),
        case("event-two-actions")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, failNode: n1, cordon: n1}")
            .at(S, Text("{at: 5m"))
            .object(scenario)
            .says(&["an event does exactly one thing", "hint:"]),
        case("event-scale-a-service")
            .scenario("target: deployment/default/web", "target: service/default/web")
            .at(S, Text("service/default/web"))
            .object(scenario)
            .says(&["cannot scale a Service"]),
        case("outage-unknown-component")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, controlPlaneOutage: {for: 2m, components: [apiserver, schedular]}}")
            .at(S, Text("schedular"))
            .object(scenario)
            .says(&[
                "spec.events[0].controlPlaneOutage.components[1]: unknown control-plane component \"schedular\" (did you mean \"scheduler\"?)",
                "hint: known: apiserver, etcd, scheduler, controller-manager",
            ]),
        case("outage-negative-for")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, controlPlaneOutage: {for: -2m}}")
            .at(S, Text("-2m"))
            .object(scenario)
            .says(&["spec.events[0].controlPlaneOutage.for: must not be negative", "hint:"]),
        case("fail-probe-unknown-probe")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, failProbe: {pod: default/web-0, probe: livenes, for: 1m}}")
            .at(S, Text("livenes"))
            .object(scenario)
            .says(&["unknown probe \"livenes\" (did you mean \"liveness\"?)"]),
        case("fail-probe-zero-for")
            .scenario("{at: 5m, failNode: n1}", "{at: 5m, failProbe: {pod: default/web-0, probe: readiness, for: 0s}}")
            .at(S, Text("0s}"))
            .object(scenario)
            .says(&["spec.events[0].failProbe.for: must be longer than zero"]),
        case("annotation-bad-liveness-fails-after")
            .manifest(
                "      labels: {app: web}\n",
                "      labels: {app: web}\n      annotations: {sim.kubesim.io/liveness-fails-after: soon}\n",
            )
            .at(APP, Text("soon"))
            .object(deployment)
            .says(&["spec.template.metadata.annotations.sim.kubesim.io/liveness-fails-after"]),
        case("annotation-liveness-without-probe")
            .manifest(
                "      labels: {app: web}\n",
                "      labels: {app: web}\n      annotations: {sim.kubesim.io/liveness-fails-after: 5m}\n",
            )
            .at(APP, Text("{sim.kubesim.io/liveness-fails-after"))
            .object(deployment)
            .says(&["needs a livenessProbe", "hint:"]),
        case("annotation-bad-memory-leak")
            .manifest(
                "      labels: {app: web}\n",
                "      labels: {app: web}\n      annotations: {sim.kubesim.io/memory-leak: 10Mi}\n",
            )
            .at(APP, Text("10Mi}"))
            .object(deployment)
            .says(&["is not a rate", "hint: a quantity per time"]),
        case("liveness-success-threshold")
            .manifest(
                "          image: nginx\n",
                "          image: nginx\n          livenessProbe: {httpGet: {port: 80}, successThreshold: 2}\n",
            )
            .at(APP, Text("2}"))
            .object(deployment)
            .says(&["livenessProbe.successThreshold: must be 1"]),
        // Duplicates.
        case("duplicate-object")
            .write(APP, Content::Text(format!("{MANIFEST}---\n{}", MANIFEST.split("---").next().unwrap())))
            .at(APP, Nth("apiVersion: apps/v1", 1))
            .object(deployment)
            .says(&["duplicate object (first defined in", "at line 1)", "hint:"]),
        case("duplicate-node")
            .scenario("    nodePools:", "      - name: n1\n        allocatable: {cpu: \"1\"}\n    nodePools:")
            .at(S, Text("n1\n        allocatable: {cpu: \"1\"}"))
            .object(scenario)
            .says(&["spec.cluster.nodes[1]: duplicate node name \"n1\"", "hint:"]),
        case("duplicate-node-from-pool")
            .scenario("      - name: n1\n", "      - name: pool-1\n")
            .at(S, Text("pool\n"))
            .object(scenario)
            .says(&["spec.cluster.nodePools[0]: duplicate node name \"pool-1\"", "hint:"]),
        case("duplicate-taint")
            .scenario("effect: NoSchedule}]", "effect: NoSchedule}, {key: dedicated, effect: NoSchedule}]")
            .at(S, Text("{key: dedicated, effect"))
            .object(scenario)
            .says(&["duplicate taint"]),
        case("duplicate-profile")
            .scenario(
                "      - schedulerName: default-scheduler\n",
                "      - schedulerName: default-scheduler\n      - schedulerName: default-scheduler\n",
            )
            .at(S, Nth("schedulerName", 1))
            .object(scenario)
            .says(&["duplicate profile \"default-scheduler\""]),
        // The scheduler configuration.
        case("scheduler-unknown-plugin")
            .scenario("{name: NodeResourcesFit,", "{name: NodeResourceFit,")
            .at(S, Text("NodeResourceFit,"))
            .object(scenario)
            .says(&["unknown plugin \"NodeResourceFit\" (did you mean \"NodeResourcesFit\"?)", "hint:"]),
        case("scheduler-negative-weight")
            .scenario("weight: 2}", "weight: -2}")
            .at(S, Text("-2}"))
            .object(scenario)
            .says(&["enabled[0].weight: must be between 0 and 2147483647, got -2"]),
        case("scheduler-quoted-weight")
            .scenario("weight: 2}", "weight: \"2\"}")
            .at(S, Text("\"2\"}"))
            .object(scenario)
            .says(&["expected an integer, found the string \"2\"", "hint: remove the quotes"]),
        case("scheduler-huge-weight")
            .scenario("weight: 2}", "weight: 99999999999999999999}")
            .at(S, Text("99999999999999999999}"))
            .object(scenario)
            .says(&["expected an integer"]),
        case("scheduler-bad-scoring-strategy")
            .scenario("{type: LeastAllocated}", "{type: LeastAlocated}")
            .at(S, Text("LeastAlocated"))
            .object(scenario)
            .says(&["unsupported scoring strategy \"LeastAlocated\" (did you mean \"LeastAllocated\"?)"]),
        case("scheduler-wrong-extension-point")
            .scenario("{name: NodeResourcesFit, weight: 2}", "{name: PrioritySort}")
            .at(S, Text("PrioritySort"))
            .object(scenario)
            .says(&["plugin \"PrioritySort\" does not implement this extension point"]),
        case("scheduler-unknown-plugin-config")
            .scenario("          - name: NodeResourcesFit\n", "          - name: NodeResourcesFitt\n")
            .at(S, Text("NodeResourcesFitt"))
            .object(scenario)
            .says(&["unknown plugin \"NodeResourcesFitt\" (did you mean \"NodeResourcesFit\"?)"]),
        case("scheduler-bad-percentage")
            .scenario(
                "      - schedulerName: default-scheduler\n",
                "      - schedulerName: default-scheduler\n        percentageOfNodesToScore: 101\n",
            )
            .at(S, Text("101"))
            .object(scenario)
            .says(&["percentageOfNodesToScore: must be between 0 and 100, got 101"]),
        // Namespaces and other cross-references.
        case("namespace-missing")
            .manifest("  name: web\n  labels", "  name: web\n  namespace: prod\n  labels")
            .at(APP, Text("prod"))
            .object("Deployment prod/web")
            .says(&["metadata.namespace: namespace \"prod\" not found", "hint:"]),
        case("namespace-missing-inline")
            .scenario(
                "    - file: app.yaml\n",
                "    - file: app.yaml\n    - inline: {apiVersion: v1, kind: Service, metadata: {name: db, namespace: data}, spec: {ports: [{port: 5432}]}}\n",
            )
            .at(S, Text("data}"))
            .object("Service data/db")
            .says(&["namespace \"data\" not found", "hint:"]),
        case("manifest-entry-file-and-inline")
            .scenario("    - file: app.yaml", "    - {file: app.yaml, inline: {kind: Pod}}")
            .at(S, Text("{file: app.yaml"))
            .object(scenario)
            .says(&["a manifest entry needs exactly one of file or inline", "hint:"]),
        case("pod-without-containers")
            .manifest(
                "      containers:\n        - name: server\n          image: nginx\n          resources:\n            requests: {cpu: 100m, memory: 64Mi}\n            limits: {cpu: 500m, memory: 128Mi}\n",
                "      containers: []\n",
            )
            .at(APP, Text("[]"))
            .object(deployment)
            .says(&["a pod needs at least one container"]),
        case("pod-restart-policy")
            .manifest("    spec:\n      tolerations:", "    spec:\n      restartPolicy: Never\n      tolerations:")
            .at(APP, Text("Never"))
            .object(deployment)
            .says(&["spec.template.spec.restartPolicy: unsupported value \"Never\": only Always is allowed"]),
        // An unknown priorityClassName is refused at pod creation (admission), not here.
        case("pod-preemption-policy")
            .manifest("      tolerations:", "      preemptionPolicy: Sometimes\n      tolerations:")
            .at(APP, Text("Sometimes"))
            .object(deployment)
            .says(&["unsupported value \"Sometimes\": supported values are PreemptLowerPriority, Never"]),
        // Big but not absurd inputs, each with its error at the very end: a check that is
        // quadratic in the number of keys or nodes would make these take hours.
        case("hostile-hundred-thousand-labels")
            .manifest("  labels: {app: web}\n", &many_labels(100_000))
            .at(APP, Nth("k0: v", 1))
            .object(deployment)
            .says(&["metadata.labels: duplicate key \"k0\" (first defined at line 6)"]),
        case("hostile-pool-of-200000-nodes")
            .scenario("count: 2", "count: 200000")
            .scenario("      - name: n1\n", "      - name: pool-199999\n")
            .at(S, Text("pool\n"))
            .object(scenario)
            .says(&["duplicate node name \"pool-199999\""]),
        case("service-port-out-of-range")
            .manifest("    - port: 80", "    - port: 70000")
            .at(APP, Text("70000"))
            .object("Service default/web")
            .says(&["spec.ports[0].port: must be between 1 and 65535, got 70000"]),
    ]
}

// The property test: random damage to the shipped example never panics the parser.

const EXAMPLE: &str = "ml-model-machine-failure.yaml";
/// The name under which the example's scenario refers to its manifest file.
const EXAMPLE_MANIFEST: &str = "manifests/ml-model.yaml";

/// The shipped example, scenario and manifest, read once.
fn example() -> &'static (String, String) {
    static TEXTS: OnceLock<(String, String)> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let read = |p: &str| std::fs::read_to_string(root().join("scenarios").join(p)).unwrap();
        (read(EXAMPLE), read(EXAMPLE_MANIFEST))
    })
}

/// Files held in memory, by the path the scenario names them with.
struct MemoryLoader(BTreeMap<String, String>);

impl SourceLoader for MemoryLoader {
    fn load(&self, _relative_to: &str, path: &str) -> Result<(String, String), String> {
        match self.0.get(path) {
            Some(text) => Ok((path.to_string(), text.clone())),
            None => Err(format!("cannot read {path}: no such file")),
        }
    }
}

/// Text that breaks YAML or the decoders when dropped anywhere.
const TOKENS: &[&str] = &[
    ":",
    "-",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "&a [*a, *a, *a]",
    "!!binary ",
    "!!str ",
    "? ",
    "<<: ",
    "|",
    ">",
    "#",
    "'",
    "\"",
    "~",
    "null",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "\n",
    "\n  ",
    "\t",
    " ",
    "\r\n",
    "\u{0}",
    "\u{7f}",
    "\u{feff}",
    "é",
    "🚀",
    "\u{202e}",
    "99999999999999999999Ei",
    "1e40",
    "-1",
    "1e-9999999",
    "9223372036854775808",
    "0x10",
    "1.5Ki1",
    "cpus",
    "Job",
    "replicas",
    "name",
    "kind: Node",
    "apiVersion: v1",
];

/// One edit of the text, at byte or token level. Positions are indices into the current text.
#[derive(Clone, Debug)]
enum Mutation {
    DeleteBytes(Index, usize),
    DuplicateBytes(Index, usize),
    SwapBytes(Index, Index),
    InsertText(Index, &'static str),
    DeleteToken(Index),
    DuplicateToken(Index),
    SwapTokens(Index, Index),
    ReplaceToken(Index, &'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let token = || prop::sample::select(TOKENS);
    prop_oneof![
        (any::<Index>(), 1usize..24).prop_map(|(at, len)| Mutation::DeleteBytes(at, len)),
        (any::<Index>(), 1usize..24).prop_map(|(at, len)| Mutation::DuplicateBytes(at, len)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapBytes(a, b)),
        (any::<Index>(), token()).prop_map(|(at, t)| Mutation::InsertText(at, t)),
        any::<Index>().prop_map(Mutation::DeleteToken),
        any::<Index>().prop_map(Mutation::DuplicateToken),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapTokens(a, b)),
        (any::<Index>(), token()).prop_map(|(at, t)| Mutation::ReplaceToken(at, t)),
    ]
}

/// Splits text into words, runs of spaces, and single other characters; joined, they give the
/// text back.
fn tokens(text: &str) -> Vec<String> {
    let class = |c: char| {
        if c.is_alphanumeric() {
            0
        } else if c == ' ' {
            1
        } else {
            2
        }
    };
    let mut out: Vec<String> = Vec::new();
    for c in text.chars() {
        match out.last_mut() {
            Some(last) if class(c) != 2 && last.chars().last().map(class) == Some(class(c)) => last.push(c),
            _ => out.push(c.to_string()),
        }
    }
    out
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let mut toks = tokens(text);
    let (n, t) = (bytes.len(), toks.len());
    if n == 0 {
        return text.to_string();
    }
    match m {
        Mutation::DeleteBytes(at, len) => {
            let start = at.index(n);
            bytes.drain(start..(start + len).min(n));
        }
        Mutation::DuplicateBytes(at, len) => {
            let start = at.index(n);
            let copy = bytes[start..(start + len).min(n)].to_vec();
            bytes.splice(start..start, copy);
        }
        Mutation::SwapBytes(a, b) => bytes.swap(a.index(n), b.index(n)),
        Mutation::InsertText(at, token) => {
            let at = at.index(n + 1);
            bytes.splice(at..at, token.bytes());
        }
        Mutation::DeleteToken(at) => {
            toks.remove(at.index(t));
        }
        Mutation::DuplicateToken(at) => {
            let i = at.index(t);
            toks.insert(i, toks[i].clone());
        }
        Mutation::SwapTokens(a, b) => toks.swap(a.index(t), b.index(t)),
        Mutation::ReplaceToken(at, token) => toks[at.index(t)] = (*token).to_string(),
    }
    match m {
        Mutation::DeleteBytes(..)
        | Mutation::DuplicateBytes(..)
        | Mutation::SwapBytes(..)
        | Mutation::InsertText(..) => {
            // Byte edits may split a character: decode lossily, so the parser still gets text.
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => toks.concat(),
    }
}

/// Checks one parse of (scenario, manifest) texts: never a panic (proptest fails the case if
/// one happens); an error names one of the two files first, and a line in it that exists.
fn parses_or_names_its_file(scenario: &str, manifest: &str) -> Result<(), TestCaseError> {
    let loader = MemoryLoader(BTreeMap::from([(EXAMPLE_MANIFEST.to_string(), manifest.to_string())]));
    let Err(e) = Scenario::parse(scenario, EXAMPLE, &loader) else { return Ok(()) };
    let shown = e.to_string();
    prop_assert!(!shown.is_empty());
    let text = match e.file.as_str() {
        EXAMPLE => scenario,
        EXAMPLE_MANIFEST => manifest,
        other => return Err(TestCaseError::fail(format!("error names an unknown file {other:?}: {shown}"))),
    };
    prop_assert!(shown.starts_with(&format!("{}:", e.file)), "{shown}");
    if let Some(pos) = e.pos {
        prop_assert!(pos.line >= 1 && pos.col >= 1, "{shown}");
        // The line exists, or is the one just after the end (an unexpected end of the text).
        prop_assert!(pos.line as usize <= text.split('\n').count() + 1, "line out of range: {shown}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_inputs_never_panic(in_manifest: bool, mutations in prop::collection::vec(mutation(), 1..5)) {
        let (scenario, manifest) = example();
        let mut target = if in_manifest { manifest.clone() } else { scenario.clone() };
        for m in &mutations {
            target = apply(&target, m);
        }
        if in_manifest {
            parses_or_names_its_file(scenario, &target)?;
        } else {
            parses_or_names_its_file(&target, manifest)?;
        }
    }
}

#[test]
fn the_unmutated_example_parses_and_tokens_round_trip() {
    let (scenario, manifest) = example();
    assert_eq!(tokens(scenario).concat(), *scenario);
    assert!(tokens(scenario).iter().any(|t| t == "apiVersion"));
    let loader = MemoryLoader(BTreeMap::from([(EXAMPLE_MANIFEST.to_string(), manifest.clone())]));
    Scenario::parse(scenario, EXAMPLE, &loader).unwrap_or_else(|e| panic!("{e}"));
}
