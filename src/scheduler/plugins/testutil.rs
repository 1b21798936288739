//! Test-only builders for the plugin tests: pods and `NodeInfo`s written as short tables of
//! `(resource, quantity)` pairs, in the spirit of kube-scheduler's `st.MakePod()` /
//! `st.MakeNode()` test wrappers, so that upstream test tables read almost one to one.
//!
//! Two kinds of "empty" pod must stay apart (the scheduler reference, §5.1 and §17): a pod with
//! no containers at all ([`no_container_pod`], upstream `st.MakePod().Obj()`) gets no non-zero
//! defaults, while a container without requests ([`pod`] with an empty list) counts as 100m cpu
//! and 200Mi memory when scoring.

use std::sync::Arc;

use crate::api::meta::ObjectMeta;
use crate::api::node_selector::{NodeSelector, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm};
use crate::api::pod::{Container, NodeAffinity, Pod, PodSpec, PodStatus, SimBehavior};
use crate::api::quantity::Quantity;
use crate::api::resources::{ResourceList, ResourceName, Resources};
use crate::api::taint::{Taint, TaintEffect, Toleration, TolerationOperator};
use crate::scheduler::framework::{NodeInfo, Score, Status};
use crate::store::NodeId;

/// A resource list from `(name, quantity)` pairs; panics on a typo, which is what a test wants.
/// Scoring-strategy resources with weights, e.g. `weights(&[("cpu", 1), ("memory", 2)])`.
pub(crate) fn weights(items: &[(&str, i64)]) -> Vec<crate::scheduler::config::ResourceWeight> {
    items
        .iter()
        .map(|(name, weight)| crate::scheduler::config::ResourceWeight {
            name: ResourceName::parse(name).unwrap(),
            weight: *weight,
        })
        .collect()
}

/// The default `[cpu: 1, memory: 1]`.
pub(crate) fn cpu_memory() -> Vec<crate::scheduler::config::ResourceWeight> {
    weights(&[("cpu", 1), ("memory", 1)])
}

pub(crate) fn resource_list(items: &[(&str, &str)]) -> ResourceList {
    items
        .iter()
        .map(|(name, quantity)| {
            let name = ResourceName::parse(name).unwrap_or_else(|e| panic!("bad resource name {name:?}: {e}"));
            let quantity = Quantity::parse(quantity).unwrap_or_else(|e| panic!("bad quantity {quantity:?}: {e:?}"));
            (name, quantity)
        })
        .collect()
}

/// A container whose requests are `requests` (an empty slice: a container without requests).
pub(crate) fn container(requests: &[(&str, &str)]) -> Container {
    Container { requests: resource_list(requests), ..Container::default() }
}

/// Builds a pod spec step by step; `build` finalizes it (computes the effective requests).
#[derive(Default)]
pub(crate) struct PodBuilder {
    spec: PodSpec,
}

impl PodBuilder {
    pub(crate) fn new() -> PodBuilder {
        PodBuilder::default()
    }

    /// Appends a regular container with these requests (upstream `.Req(...)`).
    pub(crate) fn container(mut self, requests: &[(&str, &str)]) -> PodBuilder {
        self.spec.containers.push(container(requests));
        self
    }

    /// Appends an init container with these requests.
    pub(crate) fn init_container(mut self, requests: &[(&str, &str)]) -> PodBuilder {
        self.spec.init_containers.push(container(requests));
        self
    }

    /// Appends a sidecar: an init container with `restartPolicy: Always` (upstream
    /// `.SidecarReq(...)`).
    pub(crate) fn sidecar(mut self, requests: &[(&str, &str)]) -> PodBuilder {
        let mut c = container(requests);
        c.restart_policy_always = true;
        self.spec.init_containers.push(c);
        self
    }

    pub(crate) fn overhead(mut self, overhead: &[(&str, &str)]) -> PodBuilder {
        self.spec.overhead = resource_list(overhead);
        self
    }

    pub(crate) fn node_name(mut self, name: &str) -> PodBuilder {
        self.spec.node_name = name.to_string();
        self
    }

    pub(crate) fn tolerations(mut self, tolerations: Vec<Toleration>) -> PodBuilder {
        self.spec.tolerations = tolerations;
        self
    }

    pub(crate) fn node_selector(mut self, labels: &[(&str, &str)]) -> PodBuilder {
        self.spec.node_selector = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self
    }

    pub(crate) fn node_affinity(mut self, affinity: NodeAffinity) -> PodBuilder {
        self.spec.affinity.node_affinity = Some(affinity);
        self
    }

    pub(crate) fn build(mut self) -> Pod {
        self.spec.finalize();
        Pod {
            meta: ObjectMeta { name: "pod".to_string(), namespace: "default".to_string(), ..ObjectMeta::default() },
            spec: Arc::new(self.spec),
            sim: Arc::new(SimBehavior::default()),
            status: PodStatus::default(),
        }
    }
}

/// The Job `namespace/name` decoded from a manifest as a scenario's would be, its spec the
/// given YAML lines (e.g. `completions: 2`) plus a one-container `Never` template.
pub(crate) fn job(namespace: &str, name: &str, spec: &str) -> crate::api::batch::Job {
    let spec: String = spec.lines().map(|l| format!("  {l}\n")).collect();
    let text = format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}, namespace: {namespace}}}\nspec:\n{spec}  template:\n    spec:\n      restartPolicy: Never\n      containers: [{{name: c, image: x}}]\n"
    );
    let docs = crate::yaml::parse_stream(&text).expect("valid YAML");
    let mut unmodelled = crate::decode::Unmodelled::new();
    let mut ctx = crate::decode::Ctx::new("job.yaml", "manifest", &mut unmodelled);
    match crate::manifest::decode_object(&mut ctx, &docs[0].root) {
        Ok(Some(crate::manifest::Object::Job(job))) => job,
        _ => panic!("a Job"),
    }
}

/// A pod with one container requesting `requests` (upstream `st.MakePod().Req(...)`).
pub(crate) fn pod(requests: &[(&str, &str)]) -> Pod {
    PodBuilder::new().container(requests).build()
}

/// A pod with one container per entry of `containers`.
pub(crate) fn pod_with_containers(containers: &[&[(&str, &str)]]) -> Pod {
    containers.iter().fold(PodBuilder::new(), |b, requests| b.container(requests)).build()
}

/// A pod without any container (upstream `st.MakePod().Obj()` / `&v1.Pod{}`): no requests and
/// no non-zero defaults.
pub(crate) fn no_container_pod() -> Pod {
    PodBuilder::new().build()
}

/// A node's `NodeInfo` with `allocatable`, no pods, no labels, no taints.
pub(crate) fn node(name: &str, allocatable: &[(&str, &str)]) -> NodeInfo {
    NodeInfo {
        id: NodeId(0),
        name: name.to_string(),
        labels: Default::default(),
        zone: Default::default(),
        hostname_labelled: None,
        taints: Vec::new(),
        unschedulable: false,
        images: Vec::new(),
        allocatable: Resources::from_list(&resource_list(allocatable)),
        gpu_devices: Resources::from_list(&resource_list(allocatable)).gpu_devices(),
        gpu_held: Default::default(),
        requested: Resources::default(),
        non_zero_requested: Resources::default(),
        pod_count: 0,
        pods: Vec::new(),
        pod_keys: Vec::new(),
        affinity_pods: 0,
        lowest_priority: i32::MAX,
    }
}

/// Chained setters on a test `NodeInfo` (the struct itself belongs to the framework).
pub(crate) trait NodeInfoExt {
    /// Places the pods on the node, as the scheduler cache does (`NodeInfo.AddPod`).
    fn with_pods(self, pods: &[Pod]) -> NodeInfo;
    fn with_labels(self, labels: &[(&str, &str)]) -> NodeInfo;
    fn with_taints(self, taints: Vec<Taint>) -> NodeInfo;
    fn with_unschedulable(self, unschedulable: bool) -> NodeInfo;
}

impl NodeInfoExt for NodeInfo {
    fn with_pods(mut self, pods: &[Pod]) -> NodeInfo {
        for p in pods {
            // Test pods get ids in placement order; only their identity within the node matters.
            let id = crate::store::PodId(self.pods.len() as u32);
            self.add_pod(id, p);
        }
        self
    }

    fn with_labels(mut self, labels: &[(&str, &str)]) -> NodeInfo {
        self.labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self
    }

    fn with_taints(mut self, taints: Vec<Taint>) -> NodeInfo {
        self.taints = taints;
        self
    }

    fn with_unschedulable(mut self, unschedulable: bool) -> NodeInfo {
        self.unschedulable = unschedulable;
        self
    }
}

pub(crate) fn taint(key: &str, value: &str, effect: TaintEffect) -> Taint {
    Taint { key: key.to_string(), value: value.to_string(), effect, time_added: None }
}

/// A toleration; `effect: None` is the empty effect, which matches every effect.
pub(crate) fn toleration(
    key: &str,
    operator: TolerationOperator,
    value: &str,
    effect: Option<TaintEffect>,
) -> Toleration {
    Toleration { key: key.to_string(), operator, value: value.to_string(), effect, toleration_seconds: None }
}

/// One `matchExpressions` / `matchFields` requirement.
pub(crate) fn requirement(key: &str, operator: NodeSelectorOperator, values: &[&str]) -> NodeSelectorRequirement {
    NodeSelectorRequirement { key: key.to_string(), operator, values: values.iter().map(|v| v.to_string()).collect() }
}

/// A node selector term from its expressions and fields.
pub(crate) fn term(
    match_expressions: Vec<NodeSelectorRequirement>,
    match_fields: Vec<NodeSelectorRequirement>,
) -> NodeSelectorTerm {
    NodeSelectorTerm { match_expressions, match_fields }
}

/// A required node affinity (`requiredDuringSchedulingIgnoredDuringExecution`) with these terms.
pub(crate) fn required_affinity(terms: Vec<NodeSelectorTerm>) -> NodeAffinity {
    NodeAffinity { required: Some(NodeSelector { terms }), preferred: Vec::new() }
}

/// `Score::score_nodes` agrees with `want` (the per-node scores) on `nodes`, and on every
/// other one of them alone (the batch does not depend on which nodes are in it).
/// A filter's row need, when it has one, is met only by nodes that pass it: checked on the
/// node of every case of the filter tables (`case` names it). Returns whether the row met it.
pub fn check_row_need(
    filter: &dyn crate::scheduler::framework::Filter,
    pod: &Pod,
    node: &NodeInfo,
    case: &str,
) -> bool {
    let Some(need) = filter.row_need(pod) else { return false };
    let met =
        need.met_by(&crate::scheduler::framework::NodeRow::of(node), &crate::scheduler::framework::GpuRow::of(node));
    if met {
        assert!(filter.filter(pod, node).is_success(), "{case}: the row meets the need, the filter rejects");
    }
    met
}

pub fn check_score_nodes(scorer: &dyn Score, pod: &Pod, nodes: &[&NodeInfo], want: &[i64], case: &str) {
    let mut out = vec![i64::MIN; nodes.len()];
    scorer.score_nodes(pod, nodes, &mut out).unwrap_or_else(|s| panic!("{case}: score_nodes: {s}"));
    assert_eq!(out, want, "{case}: score_nodes");
    let some: Vec<&NodeInfo> = nodes.iter().copied().step_by(2).collect();
    let mut out = vec![i64::MIN; some.len()];
    scorer.score_nodes(pod, &some, &mut out).unwrap_or_else(|s| panic!("{case}: score_nodes: {s}"));
    assert_eq!(out, want.iter().copied().step_by(2).collect::<Vec<_>>(), "{case}: score_nodes of every other node");
    let out = score_rows_of(scorer, pod, nodes).unwrap_or_else(|s| panic!("{case}: score_rows: {s}"));
    assert_eq!(out, want, "{case}: score_rows");
}

/// `scorer.score_rows` over `nodes`, their rows built as the scheduler keeps them.
pub fn score_rows_of(scorer: &dyn Score, pod: &Pod, nodes: &[&NodeInfo]) -> Result<Vec<i64>, Status> {
    let rows: Vec<crate::scheduler::framework::NodeRow> =
        nodes.iter().map(|n| crate::scheduler::framework::NodeRow::of(n)).collect();
    let ids: Vec<NodeId> = (0..nodes.len()).map(|i| NodeId(i as u32)).collect();
    let mut out = vec![i64::MIN; nodes.len()];
    scorer.score_rows(pod, nodes, crate::scheduler::framework::Rows::new(&rows, &ids), &mut out)?;
    Ok(out)
}

/// A node of `cpu` cores and `memory_gi` GiB allocatable, and a pod asking for `pod_cpu` × 700m
/// and `pod_memory_gi` GiB: the shapes of the scorers' row-loop proptests.
pub fn cpu_memory_case(nodes: &[(i64, i64)], pod_cpu: i64, pod_memory_gi: i64) -> (Vec<NodeInfo>, Pod) {
    let nodes = nodes
        .iter()
        .map(|&(cpu, memory_gi)| {
            node("n", &[("cpu", &(cpu * 1000).to_string()), ("memory", &format!("{memory_gi}Gi"))])
        })
        .collect();
    let (cpu, memory) = (format!("{}m", pod_cpu * 700), format!("{pod_memory_gi}Gi"));
    (nodes, pod(&[("cpu", cpu.as_str()), ("memory", memory.as_str())]))
}
