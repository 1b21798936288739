//! The engine's side of pod faults and control-plane outages: the scripted `failProbe` and
//! `controlPlaneOutage` events, what stops while a component is down, and how the controller
//! manager and the scheduler take up their work again (the controllers reference, §14).
//!
//! While the API is down, scripted actions that write to it fail as `kubectl` would (a failed
//! action in the journal); the machine events keep happening (`failNode`), and a machine that
//! comes back (`recoverNode`) registers its kubelet when the API returns. Kubelets go on
//! locally: containers run, probes and OOM kills happen, crashed containers restart; the
//! store shows what the kubelets see (their status writes are the ones that would queue), and
//! no controller, scheduler or kube-proxy acts on it until they work again.
//!
//! While the controller manager does not lead, no work queue is popped (keys accumulate), the
//! node lifecycle controller is paused, taint evictions and HPA syncs do not run, and
//! kube-proxy keeps the endpoints it had (no endpoint updates). When it leads again it starts
//! from a fresh process: every object is listed into its work queue, the node lifecycle
//! controller gives every node a fresh grace period, pending taint evictions are timed anew
//! from now, and every HPA forgets its history and syncs one period later.

use crate::control_plane::{ControlPlaneTimer, Leader, Transition};
use crate::controllers::Controller;
use crate::engine::{Ctx, Event, Simulation};
use crate::journal::Record;
use crate::scenario::pod_faults::{FailProbe, Outage};
use crate::store::PodId;

/// kubectl's message when it cannot reach the API server.
pub const API_REFUSED: &str =
    "The connection to the server was refused - did you specify the right host or port? (the API server is down)";

impl Simulation {
    /// Whether the API is down now (scripted writes fail).
    pub(super) fn api_down(&self) -> bool {
        !self.control_plane.api_up(self.queue.now())
    }

    /// `controlPlaneOutage`.
    pub(super) fn control_plane_outage(&mut self, outage: &Outage) {
        let now = self.queue.now();
        let (transitions, until) = self.control_plane.outage(now, &outage.components, outage.duration);
        let names: Vec<&str> = outage.components.iter().map(|c| c.as_str()).collect();
        let record = self.log_scripted_fault("control-plane-outage", &names.join("+"), 0, &[]);
        self.faults.log_mut()[record].end = Some(until);
        self.faults.log_mut()[record].repair = Some(until.saturating_since(now));
        self.queue.schedule(until, Event::ControlPlane(ControlPlaneTimer::Return)).expect("future");
        self.apply_transitions(transitions);
    }

    pub(super) fn on_control_plane_timer(&mut self, timer: ControlPlaneTimer) {
        let now = self.queue.now();
        let transitions = match timer {
            ControlPlaneTimer::Return => self.control_plane.on_return(now),
            ControlPlaneTimer::Acquire(leader) => self.control_plane.on_acquire(now, leader).into_iter().collect(),
        };
        self.apply_transitions(transitions);
    }

    fn apply_transitions(&mut self, transitions: Vec<Transition>) {
        let now = self.queue.now();
        for t in transitions {
            match t {
                Transition::Down(c) => {
                    self.store.journal.record(now, Record::ControlPlane { component: c.as_str(), up: false });
                    self.store.journal.narrate(now, || format!("control plane: {} is down", c.as_str()));
                }
                Transition::Up(c) => {
                    self.store.journal.record(now, Record::ControlPlane { component: c.as_str(), up: true });
                    self.store.journal.narrate(now, || format!("control plane: {} is back", c.as_str()));
                }
                Transition::ApiDown => {
                    self.store.journal.narrate(now, || {
                        "the API is down: nothing can be written; kubelets keep their containers running".into()
                    });
                }
                Transition::ApiUp => self.api_returned(),
                Transition::LeaseLost(leader) => {
                    if leader == Leader::ControllerManager {
                        self.lifecycle.pause();
                        self.traffic.set_endpoints_frozen(true);
                    }
                }
                Transition::Acquiring(leader, at) => {
                    self.queue.schedule(at, Event::ControlPlane(ControlPlaneTimer::Acquire(leader))).expect("future");
                }
                Transition::Elected(leader) => {
                    self.store.journal.record(now, Record::LeaderElected { component: leader.as_str() });
                    self.store
                        .journal
                        .narrate(now, || format!("{} acquired its leader lease and works again", leader.as_str()));
                    match leader {
                        Leader::Scheduler => {
                            // A fresh scheduler lists every unscheduled pod into its active queue.
                            self.scheduler.queue.move_all_unschedulable(now);
                        }
                        Leader::ControllerManager => self.controllers_resumed(),
                    }
                }
            }
        }
    }

    /// The API is back: machines that came back meanwhile register their kubelets.
    fn api_returned(&mut self) {
        let now = self.queue.now();
        self.store.journal.narrate(now, || "the API is back".into());
        for i in std::mem::take(&mut self.deferred_recoveries) {
            self.queue.schedule(now, Event::Scripted(i)).expect("now");
        }
    }

    /// kube-controller-manager leads again, as a fresh process.
    fn controllers_resumed(&mut self) {
        let now = self.queue.now();
        // Informers list everything: every object is queued for its controller.
        for id in self.store.replica_set_ids().collect::<Vec<_>>() {
            self.rs_queue.add(id);
        }
        for id in self.store.deployment_ids().collect::<Vec<_>>() {
            self.deployment_queue.add(id);
        }
        for id in self.store.service_ids().collect::<Vec<_>>() {
            self.endpoints_queue.add(id);
        }
        for id in self.store.pdb_ids().collect::<Vec<_>>() {
            self.disruption_queue.add(id);
        }
        for id in self.store.job_ids().collect::<Vec<_>>() {
            self.job_queue.add(id);
        }
        for id in self.store.cronjob_ids().collect::<Vec<_>>() {
            self.cronjob_queue.add(id);
        }
        for id in self.store.statefulset_ids().collect::<Vec<_>>() {
            self.sts_queue.add(id);
        }
        for id in self.store.daemonset_ids().collect::<Vec<_>>() {
            self.ds_queue.add(id);
        }
        let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
        // The node lifecycle controller sees every node for the first time.
        self.lifecycle.resume(&mut ctx);
        // The taint eviction controller times every eviction anew.
        self.taint_eviction.cancel_all(&mut ctx);
        let pods: Vec<PodId> = ctx.store.live_pods().filter(|&p| ctx.store.pod(p).status.node.is_some()).collect();
        for pod in pods {
            self.taint_eviction.process_pod(&mut ctx, pod);
        }
        // Every HPA starts with an empty history and syncs one period later.
        for id in self.store.hpa_ids().collect::<Vec<_>>() {
            if let Some(h) = self.hpa_histories.get_mut(id.index()) {
                *h = Some(Default::default());
                let at = now + self.hpa_config.sync_period;
                self.queue.schedule(at, Event::HpaSync(id)).expect("future");
            }
        }
        self.traffic.set_endpoints_frozen(false);
        self.traffic.mark_dirty();
    }

    /// `failProbe`.
    pub(super) fn fail_probe(&mut self, f: &FailProbe, description: String) {
        let now = self.queue.now();
        let Some(pod) = self.store.pod_id(&f.namespace, &f.pod).filter(|&p| !self.store.is_removed(p)) else {
            self.action_failed(description, format!("pod {}/{} not found", f.namespace, f.pod));
            return;
        };
        let until = now + f.duration;
        let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
        match self.kubelets.fail_probe(&mut ctx, pod, f.probe, until) {
            Err(message) => self.action_failed(description, message),
            Ok(()) => {
                let kind = match f.probe.as_str() {
                    "liveness" => "liveness-failure",
                    _ => "readiness-failure",
                };
                let target = format!("{}/{}", f.namespace, f.pod);
                let record = self.log_scripted_fault(kind, &target, 0, &[pod]);
                self.faults.log_mut()[record].end = Some(until);
                self.faults.log_mut()[record].repair = Some(f.duration);
            }
        }
    }

    /// The load model recomputed what each pod serves: kubelets re-plan OOM kills.
    pub(super) fn memory_load_changed(&mut self) {
        let usages: Vec<(PodId, i64)> = self
            .kubelets
            .oom_watched()
            .filter_map(|p| self.traffic.memory_usage_bytes(&self.store, p).map(|b| (p, b)))
            .collect();
        if usages.is_empty() {
            return;
        }
        let now = self.queue.now();
        let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
        self.kubelets.memory_load_changed(&mut ctx, &usages);
    }

    /// Whether a work-queue controller may reconcile now.
    pub(super) fn controller_works(&self, _c: Controller) -> bool {
        self.control_plane.controllers_work()
    }
}
