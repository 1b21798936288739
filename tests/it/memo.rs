//! The scheduler's memo of node-local verdicts and raw scores (`scheduler::memo`): a node-local
//! plugin is asked once per node view for pods with equal specs, again when the view changes,
//! the spec differs, or the node set changes; a plugin that is not node-local is asked every
//! time. Debug builds also compare every memo read with the plugins' answers in every other
//! test; here the comparison is off so that the questions can be counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use kubesim::api::meta::ObjectMeta;
use kubesim::api::pod::{Container, Pod, PodSpec, PodStatus};
use kubesim::api::resources::ResourceName;
use kubesim::api::taint::{Taint, TaintEffect};
use kubesim::journal::Journal;
use kubesim::kernel::{SimTime, Streams};
use kubesim::manifest::{NodeFields, build_node};
use kubesim::scenario::{NoFiles, Scenario};
use kubesim::scheduler::custom::PluginRegistry;
use kubesim::scheduler::framework::{Filter, NodeInfo, Plugin, Score, Status};
use kubesim::scheduler::registry::Points;
use kubesim::scheduler::{Outcome, Scheduler};
use kubesim::store::{NodeId, Store};

#[derive(Default)]
struct Counts {
    local_filter: AtomicUsize,
    local_score: AtomicUsize,
    other_filter: AtomicUsize,
    strict_filter: AtomicUsize,
}

impl Counts {
    fn take(&self) -> [usize; 3] {
        [&self.local_filter, &self.local_score, &self.other_filter].map(|c| c.swap(0, Ordering::Relaxed))
    }
}

/// Rejects nodes labelled `full=yes`; node-local. `flipping`: lies about being node-local,
/// its verdict flipping with every call.
struct LocalFilter {
    counts: Arc<Counts>,
    flipping: bool,
}
/// Scores 10 per pod on the node; node-local.
struct LocalScore(Arc<Counts>);
/// Passes every node; not node-local.
struct OtherFilter(Arc<Counts>);
/// For pods annotated `strict`, rejects every node but n1; passes every node for the others,
/// for which it is node-local ([`Plugin::node_local_for`]): it reads the pod's metadata.
struct StrictFilter(Arc<Counts>);

impl Plugin for StrictFilter {
    fn name(&self) -> &'static str {
        "StrictFilter"
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        Some(self)
    }
    fn node_local_for_some(&self) -> bool {
        true
    }
    fn node_local_for(&self, pod: &Pod) -> bool {
        !pod.meta.annotations.contains_key("strict")
    }
}

impl Filter for StrictFilter {
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        self.0.strict_filter.fetch_add(1, Ordering::Relaxed);
        if pod.meta.annotations.contains_key("strict") && node.name != "n1" {
            Status::unschedulable("strict")
        } else {
            Status::success()
        }
    }
}

impl Plugin for LocalFilter {
    fn name(&self) -> &'static str {
        "LocalFilter"
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        Some(self)
    }
    fn node_local(&self) -> bool {
        true
    }
}

impl Filter for LocalFilter {
    fn filter(&self, _pod: &Pod, node: &NodeInfo) -> Status {
        let calls = self.counts.local_filter.fetch_add(1, Ordering::Relaxed);
        if self.flipping {
            return if calls.is_multiple_of(2) { Status::success() } else { Status::unschedulable("flip") };
        }
        if node.labels.get("full").map(String::as_str) == Some("yes") {
            Status::unschedulable("node is full")
        } else {
            Status::success()
        }
    }
}

impl Plugin for LocalScore {
    fn name(&self) -> &'static str {
        "LocalScore"
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
    fn node_local(&self) -> bool {
        true
    }
}

impl Score for LocalScore {
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        self.0.local_score.fetch_add(1, Ordering::Relaxed);
        Ok((i64::from(node.pod_count) * 10).min(100))
    }
}

/// Scores 0 on every node, says NormalizeScore leaves zeros at 0, but NormalizeScore errs:
/// node-local. The cycle must report the error, whatever path sums the totals.
struct ErringNormalize;

impl Plugin for ErringNormalize {
    fn name(&self) -> &'static str {
        "ErringNormalize"
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
    fn node_local(&self) -> bool {
        true
    }
}

impl Score for ErringNormalize {
    fn score(&self, _pod: &Pod, _node: &NodeInfo) -> Result<i64, Status> {
        Ok(0)
    }
    fn normalize(&self, _pod: &Pod, _scores: &mut [i64]) -> Option<Status> {
        Some(Status::error("cannot normalize"))
    }
    fn normalized_when_all_zero(&self) -> Option<i64> {
        Some(0)
    }
}

impl Plugin for OtherFilter {
    fn name(&self) -> &'static str {
        "OtherFilter"
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        Some(self)
    }
}

impl Filter for OtherFilter {
    fn filter(&self, _pod: &Pod, _node: &NodeInfo) -> Status {
        self.0.other_filter.fetch_add(1, Ordering::Relaxed);
        Status::success()
    }
}

struct Cluster {
    store: Store,
    scheduler: Scheduler,
    counts: Arc<Counts>,
    pods: usize,
}

const PROFILE: &str = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: memo}
spec:
  until: 1m
  cluster:
    nodes: [{name: unused, allocatable: {cpu: "1", memory: 1Gi}}]
  scheduler:
    profiles:
      - schedulerName: default-scheduler
        plugins:
          multiPoint:
            enabled: [{name: LocalFilter}, {name: OtherFilter}, {name: LocalScore}]
"#;

/// The counting plugins but the one that is not node-local.
fn local_profile() -> String {
    let profile = PROFILE.replace("{name: OtherFilter}, ", "");
    assert_ne!(profile, PROFILE);
    profile
}

impl Cluster {
    /// Nodes `n0..n{nodes}`, the first labelled `full=yes`; the default profile plus the
    /// three counting plugins.
    fn new(nodes: usize) -> Cluster {
        Cluster::build(nodes, false)
    }

    fn build(nodes: usize, flipping: bool) -> Cluster {
        Cluster::with_profile(PROFILE, nodes, flipping)
    }

    fn with_profile(profile: &str, nodes: usize, flipping: bool) -> Cluster {
        let counts = Arc::new(Counts::default());
        let mut registry = PluginRegistry::new();
        let c = counts.clone();
        registry
            .register("LocalFilter", Points::FILTER, move |_| {
                Ok(Box::new(LocalFilter { counts: c.clone(), flipping }) as _)
            })
            .unwrap();
        let c = counts.clone();
        registry.register("LocalScore", Points::SCORE, move |_| Ok(Box::new(LocalScore(c.clone())) as _)).unwrap();
        let c = counts.clone();
        registry.register("OtherFilter", Points::FILTER, move |_| Ok(Box::new(OtherFilter(c.clone())) as _)).unwrap();
        registry.register("ErringNormalize", Points::SCORE, |_| Ok(Box::new(ErringNormalize) as _)).unwrap();
        let c = counts.clone();
        registry.register("StrictFilter", Points::FILTER, move |_| Ok(Box::new(StrictFilter(c.clone())) as _)).unwrap();
        let scenario =
            Scenario::parse_with(profile, "memo.yaml", &NoFiles, &registry).unwrap_or_else(|e| panic!("{e}"));
        let mut scheduler = Scheduler::with_registry(
            &scenario.scheduler,
            &registry,
            Streams::new(1).stream("scheduler.tiebreak"),
            false,
        );
        scheduler.set_memo_check(false);
        let mut store = Store::new(Journal::new(false));
        store.create_namespace(SimTime::ZERO, "default");
        let mut cluster = Cluster { store, scheduler, counts, pods: 0 };
        for i in 0..nodes {
            cluster.add_node(&format!("n{i}"), i == 0);
        }
        cluster.counts.take();
        cluster
    }

    fn deliver(&mut self) {
        let mut changes = Vec::new();
        self.store.drain_changes(&mut changes);
        for c in changes {
            self.scheduler.on_change(&self.store, c, SimTime::ZERO);
        }
    }

    fn add_node(&mut self, name: &str, full: bool) {
        self.add_node_with(name, full, vec![]);
    }

    fn add_node_with(&mut self, name: &str, full: bool, taints: Vec<Taint>) {
        let mut fields = NodeFields { taints, ..NodeFields::default() };
        fields.allocatable.insert(ResourceName::Cpu, "8".parse().unwrap());
        fields.allocatable.insert(ResourceName::Memory, "16Gi".parse().unwrap());
        fields.allocatable.insert(ResourceName::Pods, "110".parse().unwrap());
        fields.capacity = fields.allocatable.clone();
        let mut meta = ObjectMeta { name: name.into(), ..ObjectMeta::default() };
        if full {
            meta.labels.insert("full".into(), "yes".into());
        }
        self.store.add_node(SimTime::ZERO, build_node(meta, fields));
        self.deliver();
    }

    /// Creates a pod of `spec` and schedules it; returns its node.
    fn schedule(&mut self, spec: &Arc<PodSpec>) -> NodeId {
        match self.attempt(spec) {
            Outcome::Bound(node) => node,
            other => panic!("not bound: {other:?}"),
        }
    }

    /// Creates a pod of `spec` and runs one scheduling cycle for it.
    fn attempt(&mut self, spec: &Arc<PodSpec>) -> Outcome {
        self.attempt_annotated(spec, &[])
    }

    /// [`attempt`](Self::attempt) for a pod with `annotations` (keys, empty values).
    fn attempt_annotated(&mut self, spec: &Arc<PodSpec>, annotations: &[&str]) -> Outcome {
        self.pods += 1;
        let mut meta =
            ObjectMeta { name: format!("p{}", self.pods), namespace: "default".into(), ..ObjectMeta::default() };
        for key in annotations {
            meta.annotations.insert(key.to_string(), String::new());
        }
        self.store.create_pod(
            SimTime::ZERO,
            Pod { meta, spec: spec.clone(), sim: Arc::default(), status: PodStatus::default() },
            None,
        );
        self.deliver();
        let (_, outcome) = self.scheduler.schedule_one(&mut self.store, SimTime::ZERO).expect("a pod is queued");
        self.deliver();
        outcome
    }
}

fn spec(cpu: &str) -> Arc<PodSpec> {
    let mut c = Container { name: "c".into(), image: "pause".into(), ..Container::default() };
    c.requests.insert(ResourceName::Cpu, cpu.parse().unwrap());
    let mut spec = PodSpec { containers: vec![c], scheduler_name: "default-scheduler".into(), ..PodSpec::default() };
    spec.finalize();
    Arc::new(spec)
}

#[test]
fn node_local_results_are_shared_until_the_node_view_changes() {
    let mut cluster = Cluster::new(4);
    let small = spec("100m");
    // First pod: every node asked; n0 is rejected by LocalFilter, so three are scored, and
    // OtherFilter (after LocalFilter in the profile) is not asked about n0.
    let first = cluster.schedule(&small);
    assert_eq!(cluster.counts.take(), [4, 3, 3]);
    // Same spec: only the node that got the pod is asked again (its view changed); the
    // plugin that is not node-local is asked wherever it was before, the memo's rejection of
    // n0 still coming first.
    let second = cluster.schedule(&small);
    assert_eq!(cluster.counts.take(), [1, 1, 3]);
    // An equal spec in another allocation shares the results.
    cluster.schedule(&spec("100m"));
    assert_eq!(cluster.counts.take(), [1, 1, 3]);
    // Another spec: everything is asked.
    cluster.schedule(&spec("200m"));
    assert_eq!(cluster.counts.take(), [4, 3, 3]);
    // LocalScore prefers fuller nodes: the pods pile up where the first went.
    assert_eq!(first, second);
}

#[test]
fn a_plugin_node_local_for_some_pods_shares_only_their_verdicts() {
    let profile = PROFILE.replace("{name: OtherFilter}, ", "{name: StrictFilter}, ");
    // (The check off, as in the other counting tests: it would ask every plugin again.)
    let mut cluster = Cluster::with_profile(&profile, 4, false);
    let strict = |c: &Cluster| c.counts.strict_filter.swap(0, Ordering::Relaxed);
    let small = spec("100m");
    // Plain pods: node-local, so asked once per node view (n0 is rejected by LocalFilter
    // before it), then only where the view changed.
    cluster.schedule(&small);
    assert_eq!(strict(&cluster), 3);
    cluster.schedule(&small);
    assert_eq!(strict(&cluster), 1);
    // A pod of the same spec that it reads the metadata of: asked on every node, never
    // answered from the plain pods' verdicts (which pass n2 and n3), and placed on n1.
    for _ in 0..3 {
        match cluster.attempt_annotated(&small, &["strict"]) {
            Outcome::Bound(node) => assert_eq!(cluster.store.node(node).meta.name, "n1"),
            other => panic!("not bound: {other:?}"),
        }
        assert_eq!(strict(&cluster), 3);
    }
    // Plain pods again: shared among themselves as before.
    cluster.schedule(&small);
    cluster.schedule(&small);
    assert_eq!(strict(&cluster), 3 + 1);
}

#[test]
fn a_node_set_change_forgets_everything() {
    let mut cluster = Cluster::new(3);
    let small = spec("100m");
    cluster.schedule(&small);
    cluster.counts.take();
    cluster.add_node("n3", false);
    cluster.schedule(&small);
    assert_eq!(cluster.counts.take(), [4, 3, 3], "all four nodes asked after a node was added");
    cluster.schedule(&small);
    assert_eq!(cluster.counts.take(), [1, 1, 3]);
}

#[test]
fn memo_reads_match_the_plugins() {
    // With the check on (as in debug builds), a run of many pods over changing views passes:
    // every verdict and raw score read from the memo equals the plugins' own answer.
    let mut cluster = Cluster::new(5);
    cluster.scheduler.set_memo_check(true);
    let shapes = [spec("100m"), spec("1"), spec("100m"), spec("3")];
    for i in 0..20 {
        cluster.schedule(&shapes[i % shapes.len()]);
    }
    assert_eq!(cluster.scheduler.stats.bound, 20);
}

/// A plugin that claims to be node-local but is not (its verdict flips with every call): the
/// check catches the memo's stale answer.
#[test]
#[should_panic(expected = "memo verdict of n0 differs")]
fn the_check_catches_a_plugin_that_is_not_node_local() {
    let mut cluster = Cluster::build(3, true);
    cluster.scheduler.set_memo_check(true);
    let small = spec("100m");
    for _ in 0..3 {
        cluster.schedule(&small);
    }
}

/// With every active scorer node-local, a cycle sums its totals from the memo's rows (the
/// final scores' weighted sum per node, and what TaintToleration's NormalizeScore makes of
/// all-zero scores) instead of copying score columns; the pods land where the general path
/// puts them, tie-breaking draws included. A PreferNoSchedule taint on some node makes
/// TaintToleration's scores differ: the general path then decides every cycle. With the
/// check on (debug builds' default), both paths run and their totals are compared.
#[test]
fn totals_from_the_memo_place_pods_as_the_general_path() {
    let profile = PROFILE.replace("{name: OtherFilter}, ", "").replace(", {name: LocalScore}", "");
    assert!(profile.contains("enabled: [{name: LocalFilter}]"));
    for tainted in [false, true] {
        let run = |check: bool| {
            let mut cluster = Cluster::with_profile(&profile, 6, false);
            if tainted {
                for name in ["t0", "t1"] {
                    let taint = Taint {
                        key: "soft".into(),
                        value: "yes".into(),
                        effect: TaintEffect::PreferNoSchedule,
                        time_added: None,
                    };
                    cluster.add_node_with(name, false, vec![taint]);
                }
            }
            cluster.scheduler.set_memo_check(check);
            let shapes = [spec("100m"), spec("500m"), spec("100m")];
            let placed: Vec<NodeId> = (0..40).map(|i| cluster.schedule(&shapes[i % shapes.len()])).collect();
            (placed, cluster.scheduler.totals_from_memo())
        };
        let (fast, used) = run(false);
        let (general, checked) = run(true);
        assert_eq!(fast, general, "tainted: {tainted}");
        assert_eq!(used, checked, "the check runs the memo's sums too");
        if tainted {
            assert_eq!(used, 0, "TaintToleration scored some node 1");
        } else {
            // Every cycle but each spec's first (nothing known yet).
            assert!(used >= 30, "{used} cycles summed from the memo");
        }
    }
}

/// The same over a cluster larger than a pass examines (the pass starts where the last one
/// stopped) that fills up as it goes, so that runs of known nodes end at nodes the memo knows
/// fail, at changed nodes and at the end of the node list: pods of several shapes land where
/// the general path, checked against the plugins, puts them, until none fits.
#[test]
fn runs_of_known_nodes_place_pods_as_the_general_path() {
    let profile = PROFILE.replace("{name: OtherFilter}, ", "").replace(", {name: LocalScore}", "");
    for (nodes, shapes) in [(150, ["500m", "2", "1"]), (120, ["3", "250m", "3"]), (130, ["1", "1", "7"])] {
        let run = |check: bool| {
            let mut cluster = Cluster::with_profile(&profile, nodes, false);
            cluster.scheduler.set_memo_check(check);
            let shapes = shapes.map(spec);
            let mut placed = Vec::new();
            for i in 0..nodes * 6 {
                match cluster.attempt(&shapes[i % shapes.len()]) {
                    Outcome::Bound(node) => placed.push(Some(node)),
                    Outcome::Unschedulable(_) => placed.push(None),
                    other => panic!("{other:?}"),
                }
            }
            (placed, cluster.scheduler.totals_from_memo())
        };
        let (fast, used) = run(false);
        let (general, _) = run(true);
        assert_eq!(fast, general, "{nodes} nodes, {shapes:?}");
        assert!(fast.iter().any(Option::is_none), "the cluster fills up");
        assert!(used > 0, "some cycles summed from the memo");
    }
}

/// A scorer whose NormalizeScore errs makes every cycle an error, even where the memo knows
/// its scores are all 0 and the plugin says what NormalizeScore makes of zeros.
#[test]
fn a_normalize_error_is_reported_whatever_the_memo_knows() {
    let profile = PROFILE.replace("{name: OtherFilter}, ", "").replace("{name: LocalScore}", "{name: ErringNormalize}");
    for check in [false, true] {
        let mut cluster = Cluster::with_profile(&profile, 4, false);
        cluster.scheduler.set_memo_check(check);
        let small = spec("100m");
        for _ in 0..3 {
            match cluster.attempt(&small) {
                Outcome::Error(message) => assert!(message.contains("cannot normalize"), "{message}"),
                other => panic!("check {check}: {other:?}"),
            }
        }
        assert_eq!(cluster.scheduler.totals_from_memo(), 0, "check {check}");
    }
}

/// A spec that fits nowhere, with node-local filters only: its next cycles read the failed
/// pass back (same message, no plugin asked) while no node view changes, and when some did,
/// ask about the changed nodes alone.
#[test]
fn a_failed_pass_is_read_back_and_brought_up_to_date() {
    let mut cluster = Cluster::with_profile(&local_profile(), 3, false);
    let huge = spec("64");
    let unschedulable = |o: Outcome| match o {
        Outcome::Unschedulable(m) => m,
        other => panic!("scheduled: {other:?}"),
    };
    let first = unschedulable(cluster.attempt(&huge));
    assert!(first.starts_with("0/3 nodes are available"), "{first}");
    // DefaultPreemption's answer is part of it, and is read back with the pass.
    assert!(first.contains("preemption: 0/3 nodes are available"), "{first}");
    assert_eq!(cluster.scheduler.failed_passes_reused(), 0);
    cluster.counts.take();
    for reused in 1..=3 {
        assert_eq!(unschedulable(cluster.attempt(&huge)), first);
        assert_eq!(cluster.scheduler.failed_passes_reused(), reused);
    }
    assert_eq!(cluster.counts.take(), [0, 0, 0], "no plugin asked while the pass is read back");
    // A pod placed somewhere changes a node's view: the next pass runs the filters on that
    // node alone (NodeResourcesFit rejects it before LocalFilter is asked), still fails, and
    // reads the rest back...
    cluster.schedule(&spec("100m"));
    cluster.counts.take();
    assert_eq!(unschedulable(cluster.attempt(&huge)), first);
    assert_eq!(cluster.scheduler.failed_passes_reused(), 4);
    assert_eq!(cluster.counts.take(), [0, 0, 0], "LocalFilter not asked");
    // ... and the one after reads it back again. A pass that finds a node is never kept.
    assert_eq!(unschedulable(cluster.attempt(&huge)), first);
    assert_eq!(cluster.scheduler.failed_passes_reused(), 5);
    // A new node: the nodes are walked.
    cluster.add_node("n3", false);
    cluster.schedule(&spec("100m"));
    assert_eq!(unschedulable(cluster.attempt(&huge)).split(':').next(), Some("0/4 nodes are available"));
    assert_eq!(cluster.scheduler.failed_passes_reused(), 5);
}

/// A node that now fits the spec sends the cycle back to the walk, which binds the pod there.
#[test]
fn a_changed_node_that_fits_is_found() {
    // n0 is full (LocalFilter rejects it); n1 gets a filler that leaves 2 of its 8 cpu.
    let mut cluster = Cluster::with_profile(&local_profile(), 2, false);
    assert!(matches!(cluster.attempt(&spec("6")), Outcome::Bound(NodeId(1))));
    let filler = kubesim::store::PodId(0);
    let big = spec("4");
    for _ in 0..2 {
        assert!(matches!(cluster.attempt(&big), Outcome::Unschedulable(_)));
    }
    assert_eq!(cluster.scheduler.failed_passes_reused(), 1);
    // The filler goes: n1's view changes, it fits, and the next attempt binds there.
    cluster.store.remove_pod(SimTime::ZERO, filler);
    cluster.deliver();
    assert!(matches!(cluster.attempt(&big), Outcome::Bound(NodeId(1))));
    assert_eq!(cluster.scheduler.failed_passes_reused(), 1, "not read back");
}

/// The check of debug builds walks the nodes anyway and compares with the pass read back.
#[test]
fn failed_passes_read_back_match_a_fresh_walk() {
    let mut cluster = Cluster::with_profile(&local_profile(), 4, false);
    cluster.scheduler.set_memo_check(true);
    let (huge, small) = (spec("64"), spec("1"));
    for i in 0..12 {
        let outcome = cluster.attempt(if i % 3 == 2 { &small } else { &huge });
        assert_eq!(matches!(outcome, Outcome::Bound(_)), i % 3 == 2, "{outcome:?}");
    }
    assert_eq!(cluster.scheduler.failed_passes_reused(), 0, "the check never skips the walk");
}
