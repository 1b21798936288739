//! DefaultPreemption, the PostFilter plugin (`defaultpreemption/default_preemption.go` and
//! `pkg/scheduler/framework/preemption/preemption.go`, v1.34): when no node fits a pod, find
//! lower-priority pods whose removal would let it fit, delete them, and nominate the node.
//!
//! 1. Eligibility: not with `preemptionPolicy: Never`; not while a lower-priority pod that this
//!    scheduler preempted is still terminating on the pod's nominated node (unless that node is
//!    now UnschedulableAndUnresolvable for it).
//! 2. Candidates: only nodes whose filter status was `Unschedulable`. From a random offset (the
//!    seeded `scheduler.tiebreak` stream) in node-tree order, nodes are dry-run one by one until
//!    `max(n·minCandidateNodesPercentage/100, minCandidateNodesAbsolute)` (at most n) candidates
//!    are found and at least one of them violates no PodDisruptionBudget.
//! 3. `SelectVictimsOnNode`: remove every lower-priority pod; if the pod still does not fit,
//!    the node is no candidate. Otherwise give pods back ("reprieve"), most important first
//!    (higher priority, then earlier start), PDB-violating ones before the others, keeping each
//!    one the pod still fits beside. The rest are the victims.
//! 4. `pickOneNodeForPreemption`: fewest PDB violations, then the lowest highest-victim
//!    priority, the lowest sum of (priority + 2^31) over victims, the fewest victims, the
//!    latest start among the highest-priority victims; remaining ties go to the first
//!    candidate in dry-run order (Go takes the first of a map's iteration, i.e. any).
//!
//! The scheduler then deletes the victims gracefully with the `DisruptionTarget` condition
//! (`PreemptionByScheduler`), clears the nomination of lower-priority pods nominated to that
//! node, and sets the pod's `nominatedNodeName`; the pod waits in the queue until the victims
//! are gone. API calls take no virtual time, so the asynchronous preemption of v1.33+ behaves
//! like the synchronous one.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::api::pod::Pod;
use crate::api::policy::PodDisruptionBudget;
use crate::api::scheduling::PreemptionPolicy;
use crate::kernel::rng::uniform_below;
use crate::kernel::{SimRng, SimTime};
use crate::scheduler::config::DefaultPreemptionArgs;
use crate::scheduler::framework::{
    Code, FrameworkHandle, NodeInfo, NodeToStatus, Plugin, PodView, PostFilter, PostFilterContext, PostFilterResult,
    Status,
};
use crate::store::NodeId;

/// The message of nodes the dry run did not consider.
pub const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
/// A node without lower-priority pods.
pub const NO_VICTIMS: &str = "No preemption victims found for incoming pod";

/// The DefaultPreemption plugin.
#[derive(Clone, Debug, Default)]
pub struct DefaultPreemption {
    args: DefaultPreemptionArgs,
    /// The last call decided without a dry run and without a nominated node (see
    /// [`PostFilter::last_was_pure`]).
    pure: bool,
}

impl DefaultPreemption {
    pub fn new(args: DefaultPreemptionArgs) -> DefaultPreemption {
        DefaultPreemption { args, pure: false }
    }

    /// `calculateNumCandidates`: how many candidates the dry run looks for among `n` nodes.
    pub fn num_candidates(&self, n: usize) -> usize {
        let n = n as i64;
        let k = (n * i64::from(self.args.min_candidate_nodes_percentage) / 100)
            .max(i64::from(self.args.min_candidate_nodes_absolute));
        k.min(n) as usize
    }
}

impl Plugin for DefaultPreemption {
    fn name(&self) -> &'static str {
        "DefaultPreemption"
    }
    fn as_post_filter(&mut self) -> Option<&mut dyn PostFilter> {
        Some(self)
    }
}

impl PostFilter for DefaultPreemption {
    fn post_filter(
        &mut self,
        cx: &PostFilterContext<'_>,
        pod: &Pod,
        statuses: &NodeToStatus,
        handle: &mut dyn FrameworkHandle,
        rng: &mut SimRng,
    ) -> (Option<PostFilterResult>, Status) {
        let (result, mut status, dry_run) = self.preempt(cx, pod, statuses, handle, rng);
        // Without a dry run (no pod to preempt anywhere, or the pod may not preempt) and
        // without a nominated node, the answer followed from the spec, statuses and views.
        self.pure = !dry_run && cx.nominated_node.is_none();
        // PostFilter prefixes every message with "preemption: ".
        if !status.reasons.is_empty() {
            status.reasons = smallvec::smallvec![format!("preemption: {}", status.message()).into()];
        }
        (result, status)
    }

    fn last_was_pure(&self) -> bool {
        self.pure
    }
}

/// One candidate node and its victims, most important first.
#[derive(Clone, Debug)]
struct Candidate {
    node: NodeId,
    victims: Vec<Arc<PodView>>,
    pdb_violations: usize,
}

impl DefaultPreemption {
    /// `Evaluator.Preempt`.
    fn preempt(
        &self,
        cx: &PostFilterContext<'_>,
        pod: &Pod,
        statuses: &NodeToStatus,
        handle: &mut dyn FrameworkHandle,
        rng: &mut SimRng,
    ) -> (Option<PostFilterResult>, Status, bool) {
        // 1) Eligibility.
        if let Err(reason) = eligible_to_preempt_others(cx, pod, statuses) {
            return (None, Status::unschedulable(reason), false);
        }
        // 2) Candidates among the nodes that failed with Unschedulable, in node-tree order.
        //    Most failed cycles have no pod to preempt anywhere: when only the examined nodes
        //    can be candidates (the others' status is not Unschedulable), they are counted and
        //    checked for victims from the diagnosis, and listed in node-tree order only if some
        //    has one.
        let priority = pod.spec.priority;
        let is_potential = |n: NodeId| statuses.get(n).code == Code::Unschedulable;
        let has_victim = |n: NodeId| cx.nodes[n.index()].lowest_priority < priority;
        let listed = || -> Vec<NodeId> { cx.order.iter().copied().filter(|&n| is_potential(n)).collect() };
        let (count, any_victim, potential) = if statuses.absent.code == Code::Unschedulable {
            let potential = listed();
            (potential.len(), potential.iter().any(|&n| has_victim(n)), potential)
        } else {
            let (mut count, mut any_victim) = (0, false);
            for (node, _) in statuses.iter().filter(|(_, s)| s.code == Code::Unschedulable) {
                count += 1;
                any_victim |= has_victim(node);
            }
            // The examined nodes are nodes of the tree (debug builds check every failed cycle).
            debug_assert_eq!(count, cx.order.iter().filter(|&&n| is_potential(n)).count());
            (count, any_victim, if any_victim { listed() } else { Vec::new() })
        };
        let (candidates, dry_run_statuses, errors) = if count == 0 {
            (Vec::new(), NodeToStatus::new(Status::unresolvable(NOT_HELPFUL)), Vec::new())
        } else {
            let num = self.num_candidates(count);
            // The offset only matters when some node has a pod to preempt and there is more
            // than one node; drawing only then keeps runs without preemption independent of it.
            if !any_victim {
                // No node has a pod to preempt: the dry run would find no candidate and mark
                // every potential node "No victims found"; say so without building it.
                let mut counts = std::collections::BTreeMap::new();
                counts.insert(NO_VICTIMS, count);
                if cx.order.len() > count {
                    counts.insert(NOT_HELPFUL, cx.order.len() - count);
                }
                let message = crate::scheduler::framework::fit_error_message(cx.order.len(), &counts);
                return (
                    Some(PostFilterResult { nominated_node: None, victims: Vec::new() }),
                    Status::unschedulable(message),
                    false,
                );
            }
            let offset = if potential.len() > 1 { uniform_below(rng, potential.len() as u64) as usize } else { 0 };
            self.dry_run(cx, pod, handle, &potential, offset, num)
        };
        // The dry run ran unless no node could be a candidate.
        let dry_run = count > 0;
        if candidates.is_empty() {
            if !errors.is_empty() {
                let message = if errors.len() == 1 { errors[0].clone() } else { format!("[{}]", errors.join(", ")) };
                return (None, Status::error(message), dry_run);
            }
            // A FitError over every node; the pod's nomination is cleared.
            let message = dry_run_statuses.fit_error(cx.order.len());
            return (
                Some(PostFilterResult { nominated_node: None, victims: Vec::new() }),
                Status::unschedulable(message),
                dry_run,
            );
        }
        // 4) The best candidate.
        let best = pick_one_node(&candidates, cx.now);
        let chosen = &candidates[best];
        (
            Some(PostFilterResult {
                nominated_node: Some(chosen.node),
                victims: chosen.victims.iter().map(|v| v.id).collect(),
            }),
            Status::success(),
            dry_run,
        )
    }

    /// `DryRunPreemption`, sequentially: non-violating candidates first, then violating ones,
    /// each list in examination order; the statuses of nodes that are no candidate; errors.
    fn dry_run(
        &self,
        cx: &PostFilterContext<'_>,
        pod: &Pod,
        handle: &mut dyn FrameworkHandle,
        potential: &[NodeId],
        offset: usize,
        num: usize,
    ) -> (Vec<Candidate>, NodeToStatus, Vec<String>) {
        let mut non_violating: Vec<Candidate> = Vec::new();
        let mut violating: Vec<Candidate> = Vec::new();
        let mut statuses = NodeToStatus::new(Status::unresolvable(NOT_HELPFUL));
        let mut errors = Vec::new();
        for i in 0..potential.len() {
            let node = potential[(offset + i) % potential.len()];
            let info = &cx.nodes[node.index()];
            // Most nodes of a failed cycle have nothing to preempt: no need to copy them.
            if info.lowest_priority >= pod.spec.priority {
                statuses.insert(node, Status::unresolvable(NO_VICTIMS));
                continue;
            }
            match select_victims_on_node(cx, pod, info.clone(), handle) {
                Ok((victims, pdb_violations)) if !victims.is_empty() => {
                    let list = if pdb_violations == 0 { &mut non_violating } else { &mut violating };
                    if list.len() < num {
                        list.push(Candidate { node, victims, pdb_violations });
                    }
                    if !non_violating.is_empty() && non_violating.len() + violating.len() >= num {
                        break;
                    }
                }
                Ok(_) => {
                    let message = format!("expected at least one victim pod on node {:?}", cx.nodes[node.index()].name);
                    errors.push(message.clone());
                    statuses.insert(node, Status::error(message));
                }
                Err(status) => {
                    if status.code == Code::Error {
                        errors.push(status.message());
                    }
                    statuses.insert(node, status);
                }
            }
        }
        non_violating.extend(violating);
        (non_violating, statuses, errors)
    }
}

/// `PodEligibleToPreemptOthers`.
fn eligible_to_preempt_others(
    cx: &PostFilterContext<'_>,
    pod: &Pod,
    statuses: &NodeToStatus,
) -> Result<(), &'static str> {
    if pod.spec.preemption_policy == Some(PreemptionPolicy::Never) {
        return Err("not eligible due to preemptionPolicy=Never.");
    }
    if let Some(nominated) = cx.nominated_node {
        // A nominated node that can no longer take the pod at all: try elsewhere.
        if statuses.get(nominated).code == Code::UnschedulableAndUnresolvable {
            return Ok(());
        }
        if let Some(node) = cx.nodes.get(nominated.index())
            && node.pods.iter().any(|p| p.spec.priority < pod.spec.priority && p.terminating && p.preempted)
        {
            return Err("not eligible due to a terminating pod on the nominated node.");
        }
    }
    Ok(())
}

/// When a pod started, for ordering; pods not started yet count as starting now
/// (`GetPodStartTime`).
fn start_time(p: &PodView, now: SimTime) -> SimTime {
    p.start_time.unwrap_or(now)
}

/// `MoreImportantPod` as an ordering: higher priority first, then earlier start. Equal pods
/// keep their order (a stable sort; Go's sort is not stable).
fn importance(a: &PodView, b: &PodView, now: SimTime) -> Ordering {
    b.spec.priority.cmp(&a.spec.priority).then(start_time(a, now).cmp(&start_time(b, now)))
}

/// `SelectVictimsOnNode` on a copy of the node: the victims (most important first) and how
/// many of them violate a PodDisruptionBudget; or the status that makes the node no candidate.
fn select_victims_on_node(
    cx: &PostFilterContext<'_>,
    pod: &Pod,
    mut node: NodeInfo,
    handle: &mut dyn FrameworkHandle,
) -> Result<(Vec<Arc<PodView>>, usize), Status> {
    let mut potential: Vec<Arc<PodView>> =
        node.pods.iter().filter(|p| p.spec.priority < pod.spec.priority).cloned().collect();
    if potential.is_empty() {
        return Err(Status::unresolvable(NO_VICTIMS));
    }
    // Plugin PreFilter state follows the node copy; `removed` remembers what to give back.
    let mut removed: Vec<Arc<PodView>> = Vec::new();
    let result = (|| {
        for p in &potential {
            node.remove_view(p.id);
            removed.push(p.clone());
            let status = handle.pre_filter_remove_pod(pod, p, &node);
            if !status.is_success() {
                return Err(Status::error(status.message()));
            }
        }
        let status = handle.run_filters_with_nominated_pods(pod, &node);
        if !status.is_success() {
            return Err(status);
        }
        potential.sort_by(|a, b| importance(a, b, cx.now));
        let (violating, non_violating) = split_by_pdb_violation(&potential, cx.pdbs);
        let mut victims: Vec<Arc<PodView>> = Vec::new();
        let mut violations = 0;
        for (group, counts) in [(&violating, true), (&non_violating, false)] {
            for p in group.iter() {
                node.add_view((*p).clone());
                removed.retain(|r| r.id != p.id);
                let status = handle.pre_filter_add_pod(pod, p, &node);
                if !status.is_success() {
                    return Err(Status::error(status.message()));
                }
                let status = handle.run_filters_with_nominated_pods(pod, &node);
                if status.code == Code::Error {
                    return Err(status);
                }
                if !status.is_success() {
                    node.remove_view(p.id);
                    removed.push((*p).clone());
                    let status = handle.pre_filter_remove_pod(pod, p, &node);
                    if !status.is_success() {
                        return Err(Status::error(status.message()));
                    }
                    victims.push((*p).clone());
                    violations += usize::from(counts);
                }
            }
        }
        if !violating.is_empty() && !non_violating.is_empty() {
            victims.sort_by(|a, b| importance(a, b, cx.now));
        }
        Ok((victims, violations))
    })();
    // Give the removed pods back to the plugins' PreFilter state (Go works on a copy of it).
    for p in removed {
        node.add_view(p.clone());
        let _ = handle.pre_filter_add_pod(pod, &p, &node);
    }
    result
}

/// `filterPodsWithPDBViolation`: splits `pods` (in order) into those whose eviction would
/// exceed some matching budget's `disruptionsAllowed` (counting down as pods are taken) and
/// the rest.
fn split_by_pdb_violation<'p>(
    pods: &'p [Arc<PodView>],
    pdbs: &[&PodDisruptionBudget],
) -> (Vec<&'p Arc<PodView>>, Vec<&'p Arc<PodView>>) {
    let mut allowed: Vec<i32> = pdbs.iter().map(|p| p.status.disruptions_allowed).collect();
    let (mut violating, mut non_violating) = (Vec::new(), Vec::new());
    for p in pods {
        let mut violated = false;
        for (i, pdb) in pdbs.iter().enumerate() {
            if pdb.meta.namespace != p.namespace || !pdb.selects_for_preemption(&p.labels) {
                continue;
            }
            allowed[i] -= 1;
            if allowed[i] < 0 {
                violated = true;
            }
        }
        if violated {
            violating.push(p);
        } else {
            non_violating.push(p);
        }
    }
    (violating, non_violating)
}

/// `pickOneNodeForPreemption`: the index of the chosen candidate.
fn pick_one_node(candidates: &[Candidate], now: SimTime) -> usize {
    if candidates.len() == 1 {
        return 0;
    }
    // Each criterion is a score, higher is better; ties go to the next criterion.
    let criteria: [&dyn Fn(&Candidate) -> i64; 5] = [
        &|c| -(c.pdb_violations as i64),
        &|c| -i64::from(c.victims[0].spec.priority),
        &|c| -c.victims.iter().map(|v| i64::from(v.spec.priority) + i64::from(i32::MAX) + 1).sum::<i64>(),
        &|c| -(c.victims.len() as i64),
        &|c| earliest_start_of_highest_priority(&c.victims, now).as_micros() as i64,
    ];
    let mut remaining: Vec<usize> = (0..candidates.len()).collect();
    for score in criteria {
        let best = remaining.iter().map(|&i| score(&candidates[i])).max().expect("candidates");
        remaining.retain(|&i| score(&candidates[i]) == best);
        if remaining.len() == 1 {
            break;
        }
    }
    remaining[0]
}

/// `GetEarliestPodStartTime`: the earliest start among the victims of the highest priority.
fn earliest_start_of_highest_priority(victims: &[Arc<PodView>], now: SimTime) -> SimTime {
    let top = victims.iter().map(|v| v.spec.priority).max().expect("a candidate has victims");
    victims.iter().filter(|v| v.spec.priority == top).map(|v| start_time(v, now)).min().expect("non-empty")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::ObjectMeta;
    use crate::api::policy::PdbStatus;
    use crate::api::selector::LabelSelector;
    use crate::scheduler::framework::Filter;
    use crate::scheduler::plugins::node_resources_fit::NodeResourcesFit;
    use crate::scheduler::plugins::testutil::{NodeInfoExt, PodBuilder, node};
    use crate::store::PodId;

    /// A handle running NodeResourcesFit's filter only, with no nominated pods.
    struct FitOnly(NodeResourcesFit);

    impl FrameworkHandle for FitOnly {
        fn run_filters_with_nominated_pods(&mut self, pod: &Pod, node: &NodeInfo) -> Status {
            self.0.filter(pod, node)
        }
        fn pre_filter_add_pod(&mut self, _: &Pod, _: &PodView, _: &NodeInfo) -> Status {
            Status::success()
        }
        fn pre_filter_remove_pod(&mut self, _: &Pod, _: &PodView, _: &NodeInfo) -> Status {
            Status::success()
        }
    }

    fn handle() -> FitOnly {
        FitOnly(NodeResourcesFit::new(Default::default()))
    }

    fn pod(cpu: &str, priority: i32, labels: &[(&str, &str)]) -> Pod {
        let mut p = PodBuilder::new().container(&[("cpu", cpu)]).build();
        let mut spec = (*p.spec).clone();
        spec.priority = priority;
        p.spec = Arc::new(spec);
        p.meta.labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        p
    }

    /// A node with `pods` placed in order, each started at its index (seconds).
    fn node_with(id: u32, name: &str, cpu: &str, pods: &[Pod]) -> NodeInfo {
        let mut n = node(name, &[("cpu", cpu), ("pods", "110")]).with_pods(pods);
        n.id = NodeId(id);
        for (i, v) in n.pods.iter_mut().enumerate() {
            let mut view = (**v).clone();
            view.id = PodId(id * 100 + i as u32);
            view.name = format!("{name}-p{i}");
            view.start_time = Some(SimTime::ZERO + crate::kernel::SimDuration::from_secs(i as u64));
            *v = Arc::new(view);
        }
        n.pod_keys = n.pods.iter().map(|v| (v.id, v.spec.priority)).collect();
        n
    }

    fn victims_of(result: &(Option<PostFilterResult>, Status)) -> (Option<NodeId>, Vec<u32>) {
        let r = result.0.as_ref().expect("a result");
        (r.nominated_node, r.victims.iter().map(|v| v.0).collect())
    }

    fn run(
        nodes: &[NodeInfo],
        preemptor: &Pod,
        pdbs: &[&PodDisruptionBudget],
        nominated: Option<NodeId>,
    ) -> (Option<PostFilterResult>, Status) {
        let order: Vec<NodeId> = nodes.iter().map(|n| n.id).collect();
        let mut statuses = NodeToStatus::new(Status::unresolvable("absent"));
        for n in nodes {
            statuses.insert(n.id, Status::unschedulable("Insufficient cpu"));
        }
        let cx = PostFilterContext {
            nodes,
            order: &order,
            pod_id: PodId(9999),
            nominated_node: nominated,
            pdbs,
            now: SimTime::ZERO + crate::kernel::SimDuration::from_secs(100),
        };
        let mut rng = crate::kernel::Streams::new(1).stream("t");
        DefaultPreemption::new(DefaultPreemptionArgs::default()).post_filter(
            &cx,
            preemptor,
            &statuses,
            &mut handle(),
            &mut rng,
        )
    }

    #[test]
    fn minimal_victims_most_important_reprieved_first() {
        // 4 cpu full: priorities 1 (1 cpu), 5 (1 cpu), 3 (2 cpu). A pod of priority 10 needing
        // 2 cpu: reprieve order 5, 3, 1 → keep 5 (room 3 left), keep 3? needs 2+2+1=5 > 4 no,
        // so 3 is a victim; then 1: 5(1)+1(1)+new(2)=4 fits → reprieved. Victims: the 3.
        let n = node_with(0, "n0", "4", &[pod("1", 1, &[]), pod("1", 5, &[]), pod("2", 3, &[])]);
        let r = run(&[n], &pod("2", 10, &[]), &[], None);
        assert!(r.1.is_success(), "{:?}", r.1);
        assert_eq!(victims_of(&r), (Some(NodeId(0)), vec![2]));
    }

    #[test]
    fn equal_or_higher_priority_pods_are_never_victims() {
        let n = node_with(0, "n0", "2", &[pod("1", 10, &[]), pod("1", 10, &[])]);
        let r = run(&[n], &pod("1", 10, &[]), &[], None);
        assert!(!r.1.is_success());
        assert_eq!(
            r.1.message(),
            format!("preemption: 0/1 nodes are available: 1 {NO_VICTIMS}."),
            "the FitError over the dry run"
        );
        assert_eq!(r.0, Some(PostFilterResult::default()), "clears the nomination");
        // Nodes that failed for good are "not helpful"; the others have "no victims" — the
        // dry run's statuses, counted without running it (nobody has a lower priority).
        let nodes = [
            node_with(0, "n0", "2", &[pod("1", 10, &[])]),
            node_with(1, "n1", "2", &[]),
            node_with(2, "n2", "2", &[pod("2", 12, &[])]),
        ];
        let order: Vec<NodeId> = nodes.iter().map(|n| n.id).collect();
        let mut statuses = NodeToStatus::new(Status::unresolvable("absent"));
        statuses.insert(NodeId(0), Status::unschedulable("Insufficient cpu"));
        statuses.insert(NodeId(1), Status::unresolvable("node(s) had untolerated taint"));
        statuses.insert(NodeId(2), Status::unschedulable("Insufficient cpu"));
        let cx = PostFilterContext {
            nodes: &nodes,
            order: &order,
            pod_id: PodId(9999),
            nominated_node: None,
            pdbs: &[],
            now: SimTime::ZERO,
        };
        let mut rng = crate::kernel::Streams::new(1).stream("t");
        let r = DefaultPreemption::new(DefaultPreemptionArgs::default()).post_filter(
            &cx,
            &pod("1", 10, &[]),
            &statuses,
            &mut handle(),
            &mut rng,
        );
        assert_eq!(r.1.message(), format!("preemption: 0/3 nodes are available: 1 {NOT_HELPFUL}, 2 {NO_VICTIMS}."));
    }

    #[test]
    fn too_big_even_after_removing_all_lower_priority_pods() {
        let n = node_with(0, "n0", "4", &[pod("2", 10, &[]), pod("1", 1, &[])]);
        let r = run(&[n], &pod("3", 5, &[]), &[], None);
        assert_eq!(r.1.message(), "preemption: 0/1 nodes are available: 1 Insufficient cpu.");
    }

    #[test]
    fn never_policy_is_not_eligible() {
        let n = node_with(0, "n0", "1", &[pod("1", 1, &[])]);
        let mut p = pod("1", 10, &[]);
        let mut spec = (*p.spec).clone();
        spec.preemption_policy = Some(PreemptionPolicy::Never);
        p.spec = Arc::new(spec);
        let r = run(&[n], &p, &[], None);
        assert_eq!(r.0, None, "the nomination stays as it is");
        assert_eq!(r.1.message(), "preemption: not eligible due to preemptionPolicy=Never.");
    }

    #[test]
    fn terminating_victim_on_nominated_node_blocks_a_second_preemption() {
        let mut n = node_with(0, "n0", "2", &[pod("1", 1, &[]), pod("1", 1, &[])]);
        let mut v = (*n.pods[0]).clone();
        v.terminating = true;
        v.preempted = true;
        n.pods[0] = Arc::new(v);
        let r = run(std::slice::from_ref(&n), &pod("2", 10, &[]), &[], Some(NodeId(0)));
        assert_eq!(r.1.message(), "preemption: not eligible due to a terminating pod on the nominated node.");
        // Without the nomination it may preempt again.
        let r = run(&[n], &pod("2", 10, &[]), &[], None);
        assert!(r.1.is_success());
    }

    fn pdb(allowed: i32, app: &str) -> PodDisruptionBudget {
        PodDisruptionBudget {
            meta: ObjectMeta { name: app.into(), namespace: "default".into(), ..ObjectMeta::default() },
            min_available: None,
            max_unavailable: None,
            selector: Some(LabelSelector::from_set(&[("app".to_string(), app.to_string())].into())),
            unhealthy_pod_eviction_policy: None,
            status: PdbStatus { disruptions_allowed: allowed, ..PdbStatus::default() },
        }
    }

    #[test]
    fn the_node_without_pdb_violations_wins() {
        // Both nodes need one victim of priority 1; on n0 it is protected by a budget with no
        // disruption left, on n1 it is not.
        let n0 = node_with(0, "n0", "1", &[pod("1", 1, &[("app", "db")])]);
        let n1 = node_with(1, "n1", "1", &[pod("1", 1, &[("app", "web")])]);
        let budget = pdb(0, "db");
        let r = run(&[n0.clone(), n1.clone()], &pod("1", 10, &[]), &[&budget], None);
        assert_eq!(victims_of(&r), (Some(NodeId(1)), vec![100]));
        // With a disruption allowed, both are equal until the start-time criterion: n0's victim
        // and n1's started at 0 s; the first candidate in dry-run order then wins.
        let budget = pdb(1, "db");
        let r = run(&[n0, n1], &pod("1", 10, &[]), &[&budget], None);
        assert!(r.1.is_success());
    }

    #[test]
    fn pdb_violating_victims_are_reprieved_first() {
        // Two priority-1 pods of 1 cpu each on a 2 cpu node; the preemptor needs 1 cpu. The
        // protected one (the later, less important one) is reprieved first and stays.
        let n = node_with(0, "n0", "2", &[pod("1", 1, &[("app", "web")]), pod("1", 1, &[("app", "db")])]);
        let budget = pdb(0, "db");
        let r = run(&[n], &pod("1", 10, &[]), &[&budget], None);
        assert_eq!(victims_of(&r), (Some(NodeId(0)), vec![0]));
    }

    #[test]
    fn pick_prefers_lower_victim_priority_then_fewer_victims() {
        let n0 = node_with(0, "n0", "2", &[pod("2", 5, &[])]);
        let n1 = node_with(1, "n1", "2", &[pod("1", 1, &[]), pod("1", 1, &[])]);
        let n2 = node_with(2, "n2", "2", &[pod("2", 1, &[])]);
        let r = run(&[n0, n1, n2], &pod("2", 10, &[]), &[], None);
        // n0's victim has priority 5; n1 and n2 have priority 1; sums: n1 2·(1+2^31) > n2.
        assert_eq!(victims_of(&r), (Some(NodeId(2)), vec![200]));
    }

    #[test]
    fn pick_prefers_the_latest_started_victims() {
        // Equal victims everywhere but start times: n1's victim started later (index 1).
        let n0 = node_with(0, "n0", "2", &[pod("1", 1, &[]), pod("1", 20, &[])]);
        let n1 = node_with(1, "n1", "2", &[pod("1", 20, &[]), pod("1", 1, &[])]);
        let r = run(&[n0, n1], &pod("1", 10, &[]), &[], None);
        assert_eq!(victims_of(&r), (Some(NodeId(1)), vec![101]));
    }

    #[test]
    fn num_candidates() {
        let p = DefaultPreemption::new(DefaultPreemptionArgs::default());
        assert_eq!(p.num_candidates(5), 5);
        assert_eq!(p.num_candidates(5000), 500);
        assert_eq!(p.num_candidates(300), 100);
        let p = DefaultPreemption::new(DefaultPreemptionArgs {
            min_candidate_nodes_percentage: 50,
            min_candidate_nodes_absolute: 1,
        });
        assert_eq!(p.num_candidates(9), 4);
    }
}
