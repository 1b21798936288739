//! The kubelets: per node, the lifecycle of the pods bound to it — start, readiness, exit,
//! restart with CrashLoopBackOff, graceful termination — and the machine itself being up or
//! down.
//!
//! Behaviour comes from the pod's `sim.kubesim.io/*` annotations: `startup` (container start
//! until Ready; with a readiness probe, rounded up to the first successful probe tick),
//! `duration` (run time until exit), `exit-code`, `shutdown` (time to exit after SIGTERM,
//! capped by the grace period). Containers start the instant a pod is bound to a live node: no
//! image pull or sandbox latency is modelled beyond `startup`. Restarts follow the kubelet's
//! CrashLoopBackOff exactly (10 s doubling to 300 s, reset after 10 min of running), modelled
//! at exactly `finishedAt + backoff`, the lower bound of the real kubelet's delay.
//!
//! Pending timers of a pod are invalidated with a per-pod epoch rather than cancelled one by
//! one: a timer whose epoch is stale is ignored when it fires.

use crate::api::pod::{PodPhase, RestartPolicy};
use crate::engine::{Ctx, Event};
use crate::kernel::rng::names::DURATIONS;
use crate::kernel::{SimDuration, SimTime};
use crate::store::{NodeId, PodId};

/// `containerBackOffPeriod`.
pub const BACKOFF_INITIAL: SimDuration = SimDuration::from_secs(10);
/// `MaxContainerBackOff`.
pub const BACKOFF_MAX: SimDuration = SimDuration::from_secs(300);
/// A container that ran longer than this since the last backoff update starts from scratch.
pub const BACKOFF_RESET: SimDuration = SimDuration::from_secs(600);

#[derive(Clone, Copy, Debug, Default)]
struct PodRuntime {
    epoch: u32,
    /// CrashLoopBackOff entry: current period (zero = no entry) and last update.
    backoff: SimDuration,
    backoff_updated: SimTime,
    /// How many times the container was started (draw index for durations).
    runs: u64,
}

/// The timers a kubelet sets for a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KubeletTimer {
    Ready,
    Exit,
    Restart,
    Terminated,
}

pub struct Kubelets {
    machine_up: Vec<bool>,
    pods: Vec<PodRuntime>,
}

impl Default for Kubelets {
    fn default() -> Self {
        Self::new()
    }
}

impl Kubelets {
    pub fn new() -> Kubelets {
        Kubelets { machine_up: Vec::new(), pods: Vec::new() }
    }

    pub fn add_node(&mut self, node: NodeId) {
        debug_assert_eq!(node.index(), self.machine_up.len());
        self.machine_up.push(true);
    }

    pub fn is_up(&self, node: NodeId) -> bool {
        self.machine_up[node.index()]
    }

    fn runtime(&mut self, pod: PodId) -> &mut PodRuntime {
        if pod.index() >= self.pods.len() {
            self.pods.resize(pod.index() + 1, PodRuntime::default());
        }
        &mut self.pods[pod.index()]
    }

    fn epoch(&mut self, pod: PodId) -> u32 {
        self.runtime(pod).epoch
    }

    /// Invalidates every pending timer of the pod.
    fn bump(&mut self, pod: PodId) -> u32 {
        let rt = self.runtime(pod);
        rt.epoch = rt.epoch.wrapping_add(1);
        rt.epoch
    }

    fn timer(&mut self, ctx: &mut Ctx<'_>, pod: PodId, at: SimTime, timer: KubeletTimer) {
        let epoch = self.epoch(pod);
        ctx.at(at, Event::Kubelet { pod, epoch, timer });
    }

    /// A pod was bound to a node: start it if the machine is up.
    pub fn pod_bound(&mut self, ctx: &mut Ctx<'_>, pod: PodId) {
        let Some(node) = ctx.store.pod(pod).status.node else { return };
        let p = ctx.store.pod(pod);
        if self.is_up(node) && !p.meta.is_terminating() && !p.status.phase.is_terminal() {
            self.start(ctx, pod, false);
        }
    }

    /// Starts (or restarts) the container and sets its Ready and exit timers.
    fn start(&mut self, ctx: &mut Ctx<'_>, pod: PodId, restart: bool) {
        let now = ctx.now;
        ctx.store.start_pod(now, pod, restart);
        let run = {
            let rt = self.runtime(pod);
            rt.runs += 1;
            rt.runs
        };
        let p = ctx.store.pod(pod);
        let key = format!("{}/{}#{}", p.meta.namespace, p.meta.name, p.meta.uid.0);
        let startup = match &p.sim.startup {
            Some(d) => d.sample(&mut ctx.streams.keyed(DURATIONS, &format!("{key}/startup"), run)),
            None => SimDuration::ZERO,
        };
        let ready_at = match p.spec.readiness_probe() {
            None => now + startup,
            Some(probe) => {
                // The first probe runs at initialDelaySeconds, then every periodSeconds; the
                // first one at or after the app is up succeeds.
                let first = now + SimDuration::from_secs(probe.initial_delay_seconds.max(0) as u64);
                let up = now + startup;
                if up <= first {
                    first
                } else {
                    let period = SimDuration::from_secs(probe.period_seconds.max(1) as u64);
                    let ticks = (up - first).as_micros().div_ceil(period.as_micros());
                    first + period.saturating_mul(ticks)
                }
            }
        };
        let exit_at = p
            .sim
            .duration
            .as_ref()
            .map(|d| now + d.sample(&mut ctx.streams.keyed(DURATIONS, &format!("{key}/run"), run)));
        match exit_at {
            Some(exit) if exit <= ready_at => self.timer(ctx, pod, exit, KubeletTimer::Exit),
            Some(exit) => {
                self.timer(ctx, pod, ready_at, KubeletTimer::Ready);
                self.timer(ctx, pod, exit, KubeletTimer::Exit);
            }
            None => self.timer(ctx, pod, ready_at, KubeletTimer::Ready),
        }
    }

    /// A kubelet timer fired.
    pub fn on_timer(&mut self, ctx: &mut Ctx<'_>, pod: PodId, epoch: u32, timer: KubeletTimer) {
        if epoch != self.epoch(pod) || ctx.store.is_removed(pod) {
            return;
        }
        let now = ctx.now;
        match timer {
            KubeletTimer::Ready => {
                ctx.store.set_pod_ready(now, pod, true, "ContainersReady");
            }
            KubeletTimer::Exit => self.container_exited(ctx, pod),
            KubeletTimer::Restart => {
                // `doBackOff` then `Next`: start now, advance the backoff entry.
                let rt = self.runtime(pod);
                if rt.backoff.is_zero() || now.saturating_since(rt.backoff_updated) > BACKOFF_RESET {
                    rt.backoff = BACKOFF_INITIAL;
                } else {
                    rt.backoff = rt.backoff.saturating_mul(2).min(BACKOFF_MAX);
                }
                rt.backoff_updated = now;
                self.start(ctx, pod, true);
            }
            KubeletTimer::Terminated => {
                ctx.store.set_pod_ready(now, pod, false, "Terminated");
                ctx.store.remove_pod(now, pod);
            }
        }
    }

    fn container_exited(&mut self, ctx: &mut Ctx<'_>, pod: PodId) {
        let now = ctx.now;
        let runs = self.runtime(pod).runs;
        let (code, policy) = {
            let p = ctx.store.pod(pod);
            let attempt = earlier_attempts(ctx.store, pod) + runs.saturating_sub(1);
            (p.sim.exit_code_for(attempt), p.spec.restart_policy)
        };
        ctx.store.container_exited(now, pod, code);
        ctx.store.set_pod_ready(now, pod, false, "ContainerExited");
        let restart = match policy {
            RestartPolicy::Always => true,
            RestartPolicy::OnFailure => code != 0,
            RestartPolicy::Never => false,
        };
        if !restart {
            ctx.store.set_pod_phase(now, pod, if code == 0 { PodPhase::Succeeded } else { PodPhase::Failed });
            return;
        }
        // CrashLoopBackOff: with a live, unexpired entry, wait out its period from finishedAt.
        let rt = self.runtime(pod);
        let delay = if rt.backoff.is_zero() || now.saturating_since(rt.backoff_updated) > BACKOFF_RESET {
            SimDuration::ZERO
        } else {
            rt.backoff
        };
        self.timer(ctx, pod, now + delay, KubeletTimer::Restart);
    }

    /// Graceful deletion of a bound pod: SIGTERM, then the object is removed once the
    /// container exits (after `shutdown`, at most the grace period). On a dead machine nothing
    /// happens: the pod stays Terminating.
    pub fn pod_deleting(&mut self, ctx: &mut Ctx<'_>, pod: PodId) {
        let Some(node) = ctx.store.pod(pod).status.node else { return };
        if !self.is_up(node) {
            return;
        }
        self.bump(pod);
        let p = ctx.store.pod(pod);
        let grace = SimDuration::from_secs(p.spec.termination_grace_period_seconds.max(0) as u64);
        let running = matches!(p.status.container, crate::api::pod::ContainerState::Running { .. });
        let shutdown = match (&p.sim.shutdown, running) {
            (Some(d), true) => {
                let key = format!("{}/{}#{}/shutdown", p.meta.namespace, p.meta.name, p.meta.uid.0);
                d.sample(&mut ctx.streams.keyed(DURATIONS, &key, 0)).min(grace)
            }
            _ => SimDuration::ZERO,
        };
        let at = ctx.now + shutdown;
        self.timer(ctx, pod, at, KubeletTimer::Terminated);
    }

    /// The machine crashed: containers die, timers stop; the API is not told.
    pub fn machine_down(&mut self, ctx: &mut Ctx<'_>, node: NodeId) {
        self.machine_up[node.index()] = false;
        let pods: Vec<PodId> = ctx.store.pods_on_node(node).to_vec();
        for pod in pods {
            self.bump(pod);
            ctx.store.container_lost(pod);
        }
    }

    /// The machine is back: the kubelet re-registers, confirms the deletion of pods that were
    /// deleted meanwhile, and restarts the containers of the others.
    pub fn machine_up(&mut self, ctx: &mut Ctx<'_>, node: NodeId) {
        self.machine_up[node.index()] = true;
        let now = ctx.now;
        let pods: Vec<PodId> = ctx.store.pods_on_node(node).to_vec();
        for pod in pods {
            self.bump(pod);
            let p = ctx.store.pod(pod);
            if p.meta.is_terminating() {
                ctx.store.set_pod_ready(now, pod, false, "Terminated");
                ctx.store.remove_pod(now, pod);
                continue;
            }
            if p.status.phase.is_terminal() {
                continue;
            }
            let (policy, started) = (p.spec.restart_policy, p.status.start_time.is_some());
            ctx.store.set_pod_ready(now, pod, false, "NodeRestarted");
            match policy {
                RestartPolicy::Never if started => {
                    // The container was killed by the crash and may not be restarted.
                    ctx.store.container_exited(now, pod, 137);
                    ctx.store.set_pod_phase(now, pod, PodPhase::Failed);
                }
                _ => self.start(ctx, pod, started),
            }
        }
    }

    /// The pod object is gone: drop its timers.
    pub fn forget(&mut self, pod: PodId) {
        if pod.index() < self.pods.len() {
            self.bump(pod);
        }
    }
}

/// The attempts made before this pod's first run, for `sim.kubesim.io/exit-codes`: the pods
/// its Job created before it (for an Indexed Job, those of the same completion index).
fn earlier_attempts(store: &crate::store::Store, pod: PodId) -> u64 {
    use crate::api::batch::labels::COMPLETION_INDEX;
    let Some(job) = store.pod_job(pod) else { return 0 };
    let index = store.pod(pod).meta.annotations.get(COMPLETION_INDEX);
    store
        .job_pods(job)
        .iter()
        .take_while(|&&p| p != pod)
        .filter(|&&p| store.pod(p).meta.annotations.get(COMPLETION_INDEX) == index)
        .count() as u64
}
