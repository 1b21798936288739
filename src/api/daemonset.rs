//! DaemonSets (`apps/v1`): one pod per eligible node, and the rules that decide which nodes
//! are eligible (`NodeShouldRunDaemonPod`) and what a daemon pod tolerates
//! (`AddOrUpdateDaemonPodTolerations`), from `pkg/controller/daemon/` (v1.34).

use crate::api::meta::ObjectMeta;
use crate::api::node::Node;
use crate::api::node_selector::{NODE_NAME_FIELD, NodeSelector, NodeSelectorOperator, NodeSelectorRequirement};
use crate::api::node_selector::{NodeSelectorTerm, RequiredNodeAffinity};
use crate::api::pod::{NodeAffinity, PodSpec, PodTemplateSpec};
use crate::api::selector::LabelSelector;
use crate::api::taint::{TaintEffect, Toleration, TolerationOperator, keys};
use crate::api::workload::IntOrPercent;

/// The pod label that carries the DaemonSet's template generation
/// (`extensions.DaemonSetTemplateGenerationKey`), beside `controller-revision-hash`.
pub const TEMPLATE_GENERATION_LABEL: &str = "pod-template-generation";

/// `spec.updateStrategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DaemonSetUpdateStrategy {
    /// Replace old pods node by node: at most `max_unavailable` nodes without an available pod
    /// (delete first), or at most `max_surge` nodes with a second, new pod (create first).
    RollingUpdate { max_unavailable: IntOrPercent, max_surge: IntOrPercent },
    /// Pods are replaced only when someone deletes them.
    OnDelete,
}

impl Default for DaemonSetUpdateStrategy {
    /// `SetDefaults_DaemonSet`: RollingUpdate, maxUnavailable 1, maxSurge 0.
    fn default() -> Self {
        DaemonSetUpdateStrategy::RollingUpdate {
            max_unavailable: IntOrPercent::Int(1),
            max_surge: IntOrPercent::Int(0),
        }
    }
}

/// `apps/v1.DaemonSetStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DaemonSetStatus {
    pub observed_generation: i64,
    /// Nodes that should run the daemon pod.
    pub desired_number_scheduled: i32,
    /// Of those, nodes that have one.
    pub current_number_scheduled: i32,
    /// Nodes that have one but should not.
    pub number_misscheduled: i32,
    pub number_ready: i32,
    pub number_available: i32,
    pub number_unavailable: i32,
    /// Nodes whose (oldest) daemon pod is at the current template.
    pub updated_number_scheduled: i32,
}

/// `apps/v1.DaemonSet`.
#[derive(Clone, Debug, PartialEq)]
pub struct DaemonSet {
    pub meta: ObjectMeta,
    pub selector: LabelSelector,
    pub template: PodTemplateSpec,
    pub update_strategy: DaemonSetUpdateStrategy,
    pub min_ready_seconds: i32,
    /// Default 10 (ControllerRevisions are not modelled; kept for `apply`).
    pub revision_history_limit: i32,
    /// The generation at which the template last changed (the API server's
    /// `deprecated.daemonset.template.generation` annotation).
    pub template_generation: i64,
    pub status: DaemonSetStatus,
}

/// The default tolerations of a daemon pod (`AddOrUpdateDaemonPodTolerations`): not-ready and
/// unreachable NoExecute forever (so a node failure never evicts it), and the NoSchedule
/// condition taints, unschedulable included (so it lands on a cordoned node). Kubernetes adds
/// `network-unavailable:NoSchedule` for `hostNetwork` pods; the pod model does not keep
/// `hostNetwork`, so that one is never added.
pub fn add_daemon_tolerations(tolerations: &mut Vec<Toleration>) {
    let wanted = [
        (keys::NOT_READY, TaintEffect::NoExecute),
        (keys::UNREACHABLE, TaintEffect::NoExecute),
        (keys::DISK_PRESSURE, TaintEffect::NoSchedule),
        (keys::MEMORY_PRESSURE, TaintEffect::NoSchedule),
        (keys::PID_PRESSURE, TaintEffect::NoSchedule),
        (keys::UNSCHEDULABLE, TaintEffect::NoSchedule),
    ];
    for (key, effect) in wanted {
        let toleration = Toleration {
            key: key.to_string(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(effect),
            toleration_seconds: None,
        };
        // `AddOrUpdateTolerationInPodSpec`: a toleration with the same key, operator, value
        // and effect is replaced (so a user's 300 s becomes forever); otherwise appended.
        match tolerations.iter_mut().find(|t| {
            t.key == toleration.key
                && t.operator == toleration.operator
                && t.value == toleration.value
                && t.effect == toleration.effect
        }) {
            Some(existing) => *existing = toleration,
            None => tolerations.push(toleration),
        }
    }
}

/// The template's pod spec with the daemon tolerations (`CreatePodTemplate`).
pub fn daemon_pod_spec(template: &PodSpec) -> PodSpec {
    let mut spec = template.clone();
    add_daemon_tolerations(&mut spec.tolerations);
    spec
}

/// `ReplaceDaemonSetPodNodeNameNodeAffinity`: the required node affinity becomes the single
/// term `matchFields: metadata.name In [node]` (the template's own terms were checked by the
/// controller already); preferred terms are kept.
pub fn pin_to_node(spec: &mut PodSpec, node: &str) {
    let term = NodeSelectorTerm {
        match_expressions: Vec::new(),
        match_fields: vec![NodeSelectorRequirement {
            key: NODE_NAME_FIELD.to_string(),
            operator: NodeSelectorOperator::In,
            values: vec![node.to_string()],
        }],
    };
    let affinity = spec.affinity.node_affinity.get_or_insert_with(NodeAffinity::default);
    affinity.required = Some(NodeSelector { terms: vec![term] });
}

/// `GetTargetNodeName`: `spec.nodeName` (or the bound node's name) if set, else the value of the
/// first `matchFields: metadata.name In [x]` of the required node affinity.
pub fn target_node_name<'a>(spec: &'a PodSpec, bound: Option<&'a str>) -> Option<&'a str> {
    if let Some(node) = bound {
        return Some(node);
    }
    if !spec.node_name.is_empty() {
        return Some(&spec.node_name);
    }
    let required = spec.affinity.node_affinity.as_ref()?.required.as_ref()?;
    required.terms.iter().flat_map(|t| &t.match_fields).find_map(|r| {
        (r.key == NODE_NAME_FIELD && r.operator == NodeSelectorOperator::In && r.values.len() == 1)
            .then(|| r.values[0].as_str())
    })
}

/// `NodeShouldRunDaemonPod` for one DaemonSet, prepared once and asked per node.
pub struct Eligibility<'a> {
    node_name: &'a str,
    affinity: RequiredNodeAffinity,
    tolerations: Vec<Toleration>,
}

impl<'a> Eligibility<'a> {
    /// From the DaemonSet's template (`NewPod`: the template's spec with the daemon
    /// tolerations).
    pub fn new(template: &'a PodSpec) -> Eligibility<'a> {
        let required = template.affinity.node_affinity.as_ref().and_then(|a| a.required.as_ref());
        let mut tolerations = template.tolerations.clone();
        add_daemon_tolerations(&mut tolerations);
        Eligibility {
            node_name: &template.node_name,
            affinity: RequiredNodeAffinity::new(&template.node_selector, required),
            tolerations,
        }
    }

    /// `(shouldRun, shouldContinueRunning)`: the template's `nodeName` (if any) names the node,
    /// its nodeSelector and required node affinity match (parse errors count as no match), and
    /// it tolerates every NoSchedule and NoExecute taint; a daemon pod already there keeps
    /// running as long as every NoExecute taint is tolerated.
    pub fn verdict(&self, node: &Node) -> (bool, bool) {
        if !self.node_name.is_empty() && self.node_name != node.meta.name {
            return (false, false);
        }
        if !self.affinity.matches(&node.meta.name, &node.meta.labels) {
            return (false, false);
        }
        let untolerated = |effects: &[TaintEffect]| {
            node.taints
                .iter()
                .filter(|t| effects.contains(&t.effect))
                .any(|t| !self.tolerations.iter().any(|tol| tol.tolerates(t)))
        };
        if untolerated(&[TaintEffect::NoSchedule, TaintEffect::NoExecute]) {
            return (false, !untolerated(&[TaintEffect::NoExecute]));
        }
        (true, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::taint::Taint;

    fn node(name: &str, labels: &[(&str, &str)], taints: Vec<Taint>) -> Node {
        let mut meta = ObjectMeta { name: name.to_string(), ..ObjectMeta::default() };
        meta.labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Node {
            meta,
            unschedulable: false,
            taints,
            capacity: Default::default(),
            allocatable: Default::default(),
            conditions: crate::api::node::NodeConditions::healthy(crate::kernel::SimTime::ZERO),
            images: Vec::new(),
            allocatable_resources: Default::default(),
        }
    }

    #[test]
    fn daemon_tolerations_replace_equal_ones_and_are_forever() {
        let mut tols = vec![Toleration::default_for(keys::UNREACHABLE, 300)];
        add_daemon_tolerations(&mut tols);
        assert_eq!(tols.len(), 6);
        assert!(tols.iter().all(|t| t.toleration_seconds.is_none()), "{tols:?}");
        add_daemon_tolerations(&mut tols);
        assert_eq!(tols.len(), 6, "idempotent");
    }

    #[test]
    fn eligibility_follows_selector_affinity_and_taints() {
        let mut spec = PodSpec::default();
        spec.node_selector.insert("role".into(), "worker".into());
        let e = Eligibility::new(&spec);
        assert_eq!(e.verdict(&node("a", &[("role", "worker")], vec![])), (true, true));
        assert_eq!(e.verdict(&node("b", &[], vec![])), (false, false));
        // A NoSchedule taint: not started there, but a pod already there keeps running.
        let gpu = Taint::new("gpu", TaintEffect::NoSchedule);
        assert_eq!(e.verdict(&node("c", &[("role", "worker")], vec![gpu])), (false, true));
        // An untolerated NoExecute taint: not there either.
        let evict = Taint::new("maintenance", TaintEffect::NoExecute);
        assert_eq!(e.verdict(&node("d", &[("role", "worker")], vec![evict])), (false, false));
        // The default tolerations cover cordoned and unreachable nodes.
        let cordoned = Taint::new(keys::UNSCHEDULABLE, TaintEffect::NoSchedule);
        assert_eq!(e.verdict(&node("e", &[("role", "worker")], vec![cordoned])), (true, true));
        let unreachable = Taint::new(keys::UNREACHABLE, TaintEffect::NoSchedule);
        let unreachable_x = Taint::new(keys::UNREACHABLE, TaintEffect::NoExecute);
        assert_eq!(e.verdict(&node("f", &[("role", "worker")], vec![unreachable, unreachable_x])), (false, true));
        // nodeName in the template restricts to that node.
        let pinned = PodSpec { node_name: "a".into(), ..PodSpec::default() };
        let e = Eligibility::new(&pinned);
        assert_eq!(e.verdict(&node("a", &[], vec![])), (true, true));
        assert_eq!(e.verdict(&node("z", &[], vec![])), (false, false));
    }

    #[test]
    fn pinned_pods_name_their_node() {
        let mut spec = PodSpec::default();
        assert_eq!(target_node_name(&spec, None), None);
        pin_to_node(&mut spec, "n4");
        assert_eq!(target_node_name(&spec, None), Some("n4"));
        assert_eq!(target_node_name(&spec, Some("n9")), Some("n9"));
        let required = spec.affinity.node_affinity.as_ref().unwrap().required.as_ref().unwrap();
        assert!(required.matches("n4", &Default::default()));
        assert!(!required.matches("n5", &Default::default()));
    }
}
