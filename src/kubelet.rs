//! The kubelets: per node, the lifecycle of the pods bound to it — start, readiness, exit,
//! restart with CrashLoopBackOff, graceful termination — the machine itself being up or
//! down, and the kubelet being cut off from the API server (a partition: its pods' timers are
//! held back and replayed, in order, when it reconnects).
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
    /// Failed start attempts because of a missing ConfigMap or Secret, and the current mount
    /// retry delay.
    blocked_attempts: u64,
    mount_retry: SimDuration,
    /// The container passed its readiness (the kubelet's own view, which it posts again after
    /// the control plane marked the pod not ready).
    ready: bool,
    /// The kubelet is killing the pod (its deletion reached it).
    killing: bool,
}

/// The timers a kubelet sets for a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KubeletTimer {
    Ready,
    Exit,
    Restart,
    Terminated,
    /// Try again to start a container held back by a missing ConfigMap or Secret.
    RetryStart,
}

/// The pod worker's `backOffPeriod` after a failed sync (`CreateContainerConfigError`), plus a
/// jitter of up to half of it (`workerBackOffPeriodJitterFactor`).
pub const SYNC_RETRY: SimDuration = SimDuration::from_secs(10);
/// The volume manager's retry after a failed mount: 500 ms doubling to 2 min 2 s
/// (`exponentialbackoff`'s `initialDurationBeforeRetry` / `maxDurationBeforeRetry`).
pub const MOUNT_RETRY_INITIAL: SimDuration = SimDuration::from_millis(500);
pub const MOUNT_RETRY_MAX: SimDuration = SimDuration::from_secs(122);

pub struct Kubelets {
    machine_up: Vec<bool>,
    pods: Vec<PodRuntime>,
    /// Per node: the kubelet cannot reach the API server (`partitionNode`).
    partitioned: Vec<bool>,
    /// Pod timers that fired on a partitioned node, in firing order: what the kubelet did
    /// locally meanwhile, reported when it reconnects.
    deferred: Vec<(NodeId, PodId, u32, KubeletTimer)>,
}

impl Default for Kubelets {
    fn default() -> Self {
        Self::new()
    }
}

impl Kubelets {
    pub fn new() -> Kubelets {
        Kubelets { machine_up: Vec::new(), pods: Vec::new(), partitioned: Vec::new(), deferred: Vec::new() }
    }

    pub fn add_node(&mut self, node: NodeId) {
        debug_assert_eq!(node.index(), self.machine_up.len());
        self.machine_up.push(true);
        self.partitioned.push(false);
    }

    pub fn is_partitioned(&self, node: NodeId) -> bool {
        self.partitioned[node.index()]
    }

    /// The kubelet keeps running its pods but can no longer reach the API server: it does not
    /// learn of new bindings or deletions, and what its pods do is reported only when it
    /// reconnects.
    pub fn partition(&mut self, node: NodeId) {
        self.partitioned[node.index()] = true;
    }

    /// The kubelet reaches the API server again: it reports, in order, what its pods did
    /// meanwhile, kills the pods whose deletion was requested (gracefully), starts the pods
    /// bound to it meanwhile, and posts again the readiness the control plane overwrote.
    pub fn reconnect(&mut self, ctx: &mut Ctx<'_>, node: NodeId) {
        self.partitioned[node.index()] = false;
        let (mine, others): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.deferred).into_iter().partition(|d| d.0 == node);
        self.deferred = others;
        for (_, pod, epoch, timer) in mine {
            self.on_timer(ctx, pod, epoch, timer);
        }
        if !self.is_up(node) {
            return;
        }
        let pods: Vec<PodId> = ctx.store.pods_on_node(node).to_vec();
        for pod in pods {
            let p = ctx.store.pod(pod);
            let rt = self.runtime(pod);
            if p.meta.is_terminating() {
                if !rt.killing {
                    self.pod_deleting(ctx, pod);
                }
            } else if !p.status.phase.is_terminal() && rt.runs == 0 && rt.blocked_attempts == 0 {
                self.pod_bound(ctx, pod);
            }
        }
        self.repost_readiness(ctx, node);
    }

    /// The kubelet's status sync: a pod whose container is ready in the kubelet's view but
    /// not in the API (the node lifecycle controller's `MarkPodsNotReady`) is Ready again.
    pub fn repost_readiness(&mut self, ctx: &mut Ctx<'_>, node: NodeId) {
        let now = ctx.now;
        let pods: Vec<PodId> = ctx.store.pods_on_node(node).to_vec();
        for pod in pods {
            let p = ctx.store.pod(pod);
            let running = matches!(p.status.container, crate::api::pod::ContainerState::Running { .. });
            if running && !p.meta.is_terminating() && !p.is_ready() && self.runtime(pod).ready {
                ctx.store.set_pod_ready(now, pod, true, "KubeletReady");
            }
        }
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
        if self.is_partitioned(node) {
            return;
        }
        let p = ctx.store.pod(pod);
        if self.is_up(node) && !p.meta.is_terminating() && !p.status.phase.is_terminal() {
            self.start(ctx, pod, false);
        }
    }

    /// Starts (or restarts) the container and sets its Ready and exit timers; first checks
    /// that the ConfigMaps and Secrets it needs exist (else it waits and retries).
    fn start(&mut self, ctx: &mut Ctx<'_>, pod: PodId, restart: bool) {
        let now = ctx.now;
        if let Some((reason, message)) = config_blocker(ctx.store, pod) {
            let rt = self.runtime(pod);
            rt.blocked_attempts += 1;
            let attempt = rt.blocked_attempts;
            let delay = if reason == "ContainerCreating" {
                rt.mount_retry = if rt.mount_retry.is_zero() {
                    MOUNT_RETRY_INITIAL
                } else {
                    rt.mount_retry.saturating_mul(2).min(MOUNT_RETRY_MAX)
                };
                rt.mount_retry
            } else {
                let p = ctx.store.pod(pod);
                let key = format!("{}/{}#{}", p.meta.namespace, p.meta.name, p.meta.uid.0);
                let mut rng = ctx.streams.keyed(crate::kernel::rng::names::KUBELET_RETRY, &key, attempt);
                let jitter_us = crate::kernel::rng::uniform_below(&mut rng, SYNC_RETRY.as_micros() / 2);
                SYNC_RETRY.saturating_add(SimDuration::from_micros(jitter_us))
            };
            if ctx.store.pod(pod).status.waiting_message != message {
                let key = ctx.store.pod(pod).meta.key();
                let text = message.clone();
                ctx.store.journal.narrate(now, || format!("pod {key} {reason}: {text}"));
            }
            ctx.store.set_pod_waiting(now, pod, reason, message);
            self.timer(ctx, pod, now + delay, KubeletTimer::RetryStart);
            return;
        }
        let rt = self.runtime(pod);
        rt.blocked_attempts = 0;
        rt.mount_retry = SimDuration::ZERO;
        rt.ready = false;
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
        if let Some(node) = ctx.store.pod(pod).status.node
            && self.is_partitioned(node)
        {
            self.deferred.push((node, pod, epoch, timer));
            return;
        }
        let now = ctx.now;
        match timer {
            KubeletTimer::Ready => {
                self.runtime(pod).ready = true;
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
            KubeletTimer::RetryStart => {
                let p = ctx.store.pod(pod);
                if !p.meta.is_terminating() && !p.status.phase.is_terminal() && p.status.node.is_some() {
                    let restart = self.runtime(pod).runs > 0;
                    self.start(ctx, pod, restart);
                }
            }
        }
    }

    /// The running container of a bound pod on a live machine crashes now with `exit_code`
    /// (an injected fault): its pending Ready and exit timers are dropped, and it is restarted
    /// (or not) by its restart policy, with CrashLoopBackOff, as after any exit. Returns false
    /// if the container was not running.
    pub fn crash(&mut self, ctx: &mut Ctx<'_>, pod: PodId, exit_code: i32) -> bool {
        let p = ctx.store.pod(pod);
        let running = matches!(p.status.container, crate::api::pod::ContainerState::Running { .. });
        let on_live_node = p.status.node.is_some_and(|n| self.is_up(n));
        if !running || !on_live_node || p.meta.is_terminating() {
            return false;
        }
        self.bump(pod);
        self.exited_with(ctx, pod, Some(exit_code));
        true
    }

    fn container_exited(&mut self, ctx: &mut Ctx<'_>, pod: PodId) {
        self.exited_with(ctx, pod, None);
    }

    /// The container exited, with `code` or else the code its behaviour annotations give.
    fn exited_with(&mut self, ctx: &mut Ctx<'_>, pod: PodId, code: Option<i32>) {
        let now = ctx.now;
        let runs = self.runtime(pod).runs;
        let (code, policy) = {
            let p = ctx.store.pod(pod);
            let attempt = earlier_attempts(ctx.store, pod) + runs.saturating_sub(1);
            (code.unwrap_or_else(|| p.sim.exit_code_for(attempt)), p.spec.restart_policy)
        };
        self.runtime(pod).ready = false;
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
    /// container exits (after `shutdown`, at most the grace period). On a dead machine, or one
    /// whose kubelet is cut off from the API server, nothing happens: the pod stays Terminating
    /// (a partitioned kubelet kills it when it reconnects).
    pub fn pod_deleting(&mut self, ctx: &mut Ctx<'_>, pod: PodId) {
        let Some(node) = ctx.store.pod(pod).status.node else { return };
        if !self.is_up(node) || self.is_partitioned(node) {
            return;
        }
        self.bump(pod);
        self.runtime(pod).killing = true;
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
        self.deferred.retain(|d| d.0 != node);
        let pods: Vec<PodId> = ctx.store.pods_on_node(node).to_vec();
        for pod in pods {
            self.bump(pod);
            let rt = self.runtime(pod);
            rt.ready = false;
            rt.killing = false;
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

/// Why the kubelet cannot start the pod's container now, as `(reason, message)`: a volume
/// whose ConfigMap or Secret (or one of its listed keys) is missing keeps the pod in
/// `ContainerCreating` (volumes are mounted before containers are created); an environment
/// variable or `envFrom` whose object or key is missing is `CreateContainerConfigError`.
/// Optional references never block.
fn config_blocker(store: &crate::store::Store, pod: PodId) -> Option<(&'static str, String)> {
    let p = store.pod(pod);
    let namespace = &p.meta.namespace;
    let problem = |r: &crate::api::pod::ConfigRef| -> Option<String> {
        if r.optional {
            return None;
        }
        let Some(object) = store.config(r.source, namespace, &r.name) else {
            return Some(format!("{} {:?} not found", r.source.word(), r.name));
        };
        let key = r.key.as_ref()?;
        if object.keys.contains(key) {
            return None;
        }
        Some(match r.volume {
            Some(_) => format!("{} references non-existent config key: {key}", r.source.word()),
            None => format!("couldn't find key {key} in {} {namespace}/{}", r.source.kind(), r.name),
        })
    };
    for r in p.spec.config_refs.iter().filter(|r| r.volume.is_some()) {
        if let Some(message) = problem(r) {
            let volume = r.volume.as_deref().unwrap_or_default();
            return Some(("ContainerCreating", format!("MountVolume.SetUp failed for volume {volume:?} : {message}")));
        }
    }
    for r in p.spec.config_refs.iter().filter(|r| r.volume.is_none()) {
        if let Some(message) = problem(r) {
            return Some(("CreateContainerConfigError", message));
        }
    }
    None
}
