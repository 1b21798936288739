//! Node faults beyond a single machine's failure: a whole zone failing or recovering, a
//! kubelet cut off from the API server (`partitionNode` / `healNode`), conditions a live
//! kubelet reports (`nodeCondition`), scale-in (`removeNode`, optionally after a notice during
//! which the node is drained) and scale-out (`addNodes`), and the pod garbage collector that
//! force-deletes the pods of deleted nodes.
//!
//! This is the engine's part: it decides which components hear of a fault, in which order.
//! The components keep the semantics: [`Kubelets`](crate::kubelet::Kubelets) (machine up,
//! partitioned, deferred pod timers), [`NodeLifecycle`](crate::controllers::node_lifecycle)
//! (heartbeats, taints, zone states) and [`PodGc`](crate::controllers::pod_gc::PodGc).

use super::{Ctx, Event, Simulation};
use crate::api::meta::ConditionStatus;
use crate::controllers::pod_gc::{self, PodGc};
use crate::kernel::{SimDuration, SimTime};
use crate::scenario::{Action, DrainOptions};
use crate::store::{NodeConditionType, NodeId, PodId};

/// The conditions a kubelet reports, in the order it posts them.
const CONDITIONS: [NodeConditionType; 4] = [
    NodeConditionType::Ready,
    NodeConditionType::MemoryPressure,
    NodeConditionType::DiskPressure,
    NodeConditionType::PidPressure,
];

/// What a healthy kubelet reports.
const HEALTHY: [ConditionStatus; 4] =
    [ConditionStatus::True, ConditionStatus::False, ConditionStatus::False, ConditionStatus::False];

/// The engine's state for node faults.
#[derive(Debug, Default)]
pub(super) struct NodeFaults {
    /// Per node (by id; missing = healthy): the conditions its kubelet reports, in
    /// [`CONDITIONS`] order, posted whenever it can reach the API server.
    reported: Vec<[ConditionStatus; 4]>,
    pod_gc: PodGc,
    /// The pass scheduled for `gcTerminated` (more terminated pods than the threshold), if any.
    gc_terminated_at: Option<SimTime>,
    /// When the pod garbage collector last ran a pass.
    last_pass: Option<SimTime>,
}

impl NodeFaults {
    fn reported(&self, id: NodeId) -> [ConditionStatus; 4] {
        self.reported.get(id.index()).copied().unwrap_or(HEALTHY)
    }

    fn report(&mut self, id: NodeId, condition: NodeConditionType, status: ConditionStatus) {
        if self.reported.len() <= id.index() {
            self.reported.resize(id.index() + 1, HEALTHY);
        }
        let i = CONDITIONS.iter().position(|c| *c == condition).expect("a kubelet condition");
        self.reported[id.index()][i] = status;
    }
}

/// The reason a kubelet gives for a condition's status (`pkg/kubelet/nodestatus`).
fn kubelet_reason(condition: NodeConditionType, status: ConditionStatus) -> &'static str {
    use ConditionStatus::{False, True, Unknown};
    use NodeConditionType as C;
    match (condition, status) {
        (_, Unknown) => "NodeStatusUnknown",
        (C::Ready, True) => "KubeletReady",
        (C::Ready, False) => "KubeletNotReady",
        (C::MemoryPressure, True) => "KubeletHasInsufficientMemory",
        (C::MemoryPressure, False) => "KubeletHasSufficientMemory",
        (C::DiskPressure, True) => "KubeletHasDiskPressure",
        (C::DiskPressure, False) => "KubeletHasNoDiskPressure",
        (C::PidPressure, True) => "KubeletHasInsufficientPID",
        (C::PidPressure, False) => "KubeletHasSufficientPID",
    }
}

impl Simulation {
    /// `failNode`: the machine stops; its containers die; the API is not told.
    pub(super) fn fail_machine(&mut self, id: NodeId) {
        let now = self.queue.now();
        if !self.kubelets.is_up(id) {
            return;
        }
        self.store.journal_machine(now, id, false);
        let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
        self.kubelets.machine_down(&mut ctx, id);
        // A partitioned kubelet had already stopped renewing its lease.
        if !self.kubelets.is_partitioned(id) {
            self.lifecycle.kubelet_stopped(&mut ctx, id);
        }
        // Its containers stopped without any API change: they serve nothing now.
        self.traffic.mark_dirty();
    }

    /// `recoverNode`: the machine is back; the kubelet re-registers, posts its conditions and
    /// restarts or confirms the deletion of its pods. A partitioned node must be healed first
    /// (its kubelet could not register).
    pub(super) fn recover_machine(&mut self, id: NodeId) -> Result<(), String> {
        let now = self.queue.now();
        if self.kubelets.is_up(id) {
            return Ok(());
        }
        if self.kubelets.is_partitioned(id) {
            let name = &self.store.node(id).meta.name;
            return Err(format!("node {name:?} is partitioned from the API server: heal it (healNode) first"));
        }
        self.store.journal_machine(now, id, true);
        self.post_conditions(id);
        let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
        self.lifecycle.kubelet_started(&mut ctx, id);
        self.kubelets.machine_up(&mut ctx, id);
        Ok(())
    }

    /// The kubelet (re)connects and posts every condition it reports.
    fn post_conditions(&mut self, id: NodeId) {
        let now = self.queue.now();
        for (condition, status) in CONDITIONS.into_iter().zip(self.node_faults.reported(id)) {
            self.store.set_node_condition(now, id, condition, status, kubelet_reason(condition, status));
        }
    }

    /// The node fault events (see `docs/scenario.md`).
    pub(super) fn node_fault(&mut self, action: &Action, description: String) {
        let now = self.queue.now();
        let lookup = |sim: &mut Simulation, name: &str, description: &str| -> Option<NodeId> {
            let id = sim.store.node_id(name);
            if id.is_none() {
                sim.action_failed(description.to_string(), format!("node {name:?} not found"));
            }
            id
        };
        match action {
            Action::FailZone(zone) | Action::RecoverZone(zone) => {
                let nodes: Vec<NodeId> = self.store.node_ids().filter(|&n| self.store.node(n).zone() == zone).collect();
                if nodes.is_empty() {
                    self.action_failed(description, format!("no node in zone {zone:?}"));
                    return;
                }
                let fail = matches!(action, Action::FailZone(_));
                let n = nodes.len();
                self.store
                    .journal
                    .narrate(now, || format!("zone {zone}: {n} node(s) {}", if fail { "fail" } else { "recover" }));
                let mut hit = Vec::new();
                let mut down = 0;
                for id in nodes {
                    if fail {
                        if self.kubelets.is_up(id) {
                            down += 1;
                            hit.extend(self.machine_down(id));
                        }
                    } else if let Err(message) = self.recover_machine(id) {
                        self.action_failed(description.clone(), message);
                    }
                }
                if fail {
                    self.log_scripted_fault("zone-failure", zone, down, &hit);
                } else {
                    self.faults.end_open(now, "zone-failure", zone);
                }
            }
            Action::PartitionNode(name) => {
                let Some(id) = lookup(self, name, &description) else { return };
                if !self.kubelets.is_up(id) {
                    self.action_failed(description, format!("the machine of node {name:?} is down"));
                    return;
                }
                if self.kubelets.is_partitioned(id) {
                    return;
                }
                let hit = self.pods_holding(id);
                self.log_scripted_fault("partition", name, 0, &hit);
                self.store.journal_partition(now, id, true);
                self.kubelets.partition(id);
                let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                self.lifecycle.kubelet_stopped(&mut ctx, id);
            }
            Action::HealNode(name) => {
                let Some(id) = lookup(self, name, &description) else { return };
                if !self.kubelets.is_partitioned(id) {
                    return;
                }
                self.store.journal_partition(now, id, false);
                self.faults.end_open(now, "partition", name);
                let up = self.kubelets.is_up(id);
                if up {
                    self.post_conditions(id);
                }
                let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                if up {
                    self.lifecycle.kubelet_started(&mut ctx, id);
                }
                self.kubelets.reconnect(&mut ctx, id);
            }
            Action::NodeCondition { node, condition, status } => {
                let Some(id) = lookup(self, node, &description) else { return };
                if *condition == NodeConditionType::Ready {
                    if *status == ConditionStatus::True {
                        self.faults.end_open(now, "node-not-ready", node);
                    } else {
                        let hit = self.pods_holding(id);
                        self.log_scripted_fault("node-not-ready", node, 0, &hit);
                    }
                }
                self.node_faults.report(id, *condition, *status);
                if !self.kubelets.is_up(id) || self.kubelets.is_partitioned(id) {
                    let name = node.clone();
                    self.store.journal.narrate(now, || {
                        format!("the kubelet of {name} cannot post its conditions now; it will when it reconnects")
                    });
                    return;
                }
                let reason = kubelet_reason(*condition, *status);
                let changed = self.store.set_node_condition(now, id, *condition, *status, reason);
                if changed && *condition == NodeConditionType::Ready {
                    let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                    self.lifecycle.ready_posted(&mut ctx, id);
                    if *status == ConditionStatus::True {
                        self.kubelets.repost_readiness(&mut ctx, id);
                    }
                }
            }
            Action::RemoveNode { node, notice } => {
                let Some(id) = lookup(self, node, &description) else { return };
                let hit = self.pods_holding(id);
                let record = self.log_scripted_fault("node-removal", node, u32::from(self.kubelets.is_up(id)), &hit);
                self.faults.log_mut()[record].end = Some(now + notice.unwrap_or_default());
                match notice {
                    None => self.remove_node_now(id),
                    Some(notice) => {
                        // Spot reclamation: `kubectl drain --ignore-daemonsets --force` now,
                        // the machine and the Node object go when the notice runs out.
                        let options = DrainOptions {
                            node: node.clone(),
                            force: true,
                            ignore_daemonsets: true,
                            timeout: None,
                            disable_eviction: false,
                        };
                        self.drain_start(options, description);
                        self.queue.schedule(now + *notice, Event::NodeRemoval(id)).expect("future");
                    }
                }
            }
            Action::AddNodes(add) => {
                let first = crate::scenario::next_pool_number(
                    &add.pool,
                    self.store.nodes().iter().map(|n| n.meta.name.as_str()),
                );
                let mut names = Vec::with_capacity(add.count);
                for k in first..first + add.count {
                    let node = add.node(k);
                    if self.store.node_id(&node.meta.name).is_some() {
                        self.action_failed(description.clone(), format!("node {:?} already exists", node.meta.name));
                        continue;
                    }
                    names.push(node.meta.name.clone());
                    self.add_node(node);
                }
                let n = names.len();
                let list = match names.as_slice() {
                    [] => String::new(),
                    [one] => one.clone(),
                    [first, .., last] => format!("{first} .. {last}"),
                };
                self.store.journal.narrate(now, || format!("{n} node(s) joined: {list}"));
            }
            _ => unreachable!("not a node fault: {action:?}"),
        }
    }

    /// The pods a node holds that have not finished.
    pub(super) fn pods_holding(&self, id: NodeId) -> Vec<crate::store::PodId> {
        self.store.pods_on_node(id).iter().copied().filter(|&p| !self.store.pod(p).status.phase.is_terminal()).collect()
    }

    /// Logs a scripted fault (`faults.csv`) and tracks the recovery of the workloads it hit.
    pub(super) fn log_scripted_fault(
        &mut self,
        kind: &'static str,
        target: &str,
        nodes: u32,
        hit: &[crate::store::PodId],
    ) -> usize {
        let now = self.queue.now();
        let record = self.faults.log_scripted(now, kind, target, nodes);
        let hit_workloads = self.availability.fault_hit(&self.store, record, now, hit);
        let r = &mut self.faults.log_mut()[record];
        r.hit_workloads = hit_workloads;
        r.pods_hit = hit.len() as u32;
        record
    }

    /// The notice of a `removeNode` ran out.
    pub(super) fn notice_expired(&mut self, id: NodeId) {
        if !self.store.is_node_removed(id) {
            self.remove_node_now(id);
        }
    }

    /// The machine goes and its Node object is deleted: the node lifecycle controller forgets
    /// it, the scheduler drops it, and the pod garbage collector deletes its pods after the
    /// quarantine.
    fn remove_node_now(&mut self, id: NodeId) {
        let now = self.queue.now();
        let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
        if self.kubelets.is_up(id) {
            self.kubelets.machine_down(&mut ctx, id);
        }
        self.lifecycle.remove_node(&mut ctx, id);
        if !self.store.remove_node(now, id) {
            return;
        }
        self.traffic.mark_dirty();
        let at = self.node_faults.pod_gc.node_deleted(id, now);
        let (name, pods) = (self.store.node(id).meta.name.clone(), self.store.pods_on_node(id).len());
        self.store.journal.narrate(now, || {
            format!("node {name} deleted; the pod garbage collector deletes its {pods} pod(s) at {at}")
        });
        self.queue.schedule(at, Event::PodGc).expect("future");
    }

    /// After each step: `gcTerminated` runs on every 20 s pass of the pod garbage collector,
    /// but does something only while more pods are terminated than the threshold, so a pass
    /// is scheduled (at the next pass instant) only then.
    pub(super) fn schedule_terminated_gc(&mut self) {
        let threshold = self.scenario.terminated_pod_gc_threshold as usize;
        if threshold == 0
            || self.store.terminated_count() <= threshold
            || self.node_faults.gc_terminated_at.is_some()
            || !self.control_plane.controllers_work()
        {
            return;
        }
        let mut at = self.queue.now().ceil_to_tick(pod_gc::CHECK_PERIOD, SimDuration::ZERO);
        // A pass that already ran at this instant listed the pods before this change: the
        // change is seen by the next one.
        if self.node_faults.last_pass == Some(at) {
            at = at + pod_gc::CHECK_PERIOD;
        }
        self.node_faults.gc_terminated_at = Some(at);
        self.queue.schedule(at, Event::PodGc).expect("now or later");
    }

    /// One pass of the pod garbage collector: `gcTerminated`, then `gcOrphaned` (force-deletes
    /// the pods of the deleted nodes whose quarantine is over).
    pub(super) fn pod_gc_pass(&mut self) {
        let now = self.queue.now();
        if self.node_faults.gc_terminated_at.is_some_and(|at| at <= now) {
            self.node_faults.gc_terminated_at = None;
        }
        // The pod garbage collector runs in the controller manager: while it is away (or has
        // not taken its lease back), its passes wait.
        if !self.control_plane.controllers_work() {
            self.queue.schedule(now + pod_gc::CHECK_PERIOD, Event::PodGc).expect("future");
            return;
        }
        self.node_faults.last_pass = Some(now);
        self.gc_terminated(now);
        for node in self.node_faults.pod_gc.due(now) {
            let pods: Vec<PodId> = self.store.pods_on_node(node).to_vec();
            let name = self.store.node(node).meta.name.clone();
            for pod in pods {
                if !self.store.pod(pod).status.phase.is_terminal() {
                    self.store.set_pod_phase(now, pod, crate::api::pod::PodPhase::Failed);
                }
                let key = self.store.pod(pod).meta.key();
                self.store.journal.narrate(now, || {
                    format!("pod {key} force-deleted by the pod garbage collector (node {name} no longer exists)")
                });
                self.store.mark_pod_deleting(now, pod, pod_gc::REASON, true);
                self.store.remove_pod(now, pod);
            }
        }
    }

    /// `gcTerminated`: while more live pods are terminated (Succeeded or Failed) than the
    /// threshold, the excess is deleted, evicted pods first, then the oldest by creation.
    fn gc_terminated(&mut self, now: SimTime) {
        let threshold = self.scenario.terminated_pod_gc_threshold as usize;
        let count = self.store.terminated_count();
        if threshold == 0 || count <= threshold {
            return;
        }
        let victims = self.store.oldest_terminated(count - threshold);
        self.store.journal.narrate(now, || {
            format!(
                "the pod garbage collector deletes {} of {count} terminated pod(s) (threshold {threshold})",
                victims.len()
            )
        });
        for pod in victims {
            self.store.delete_terminated_pod(now, pod, pod_gc::REASON);
        }
    }
}
