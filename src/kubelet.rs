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
//!
//! Faults (see `probes.rs`): a container whose app hangs (`liveness-fails-after`) or reports
//! itself unready (`readiness-fails-*`, or a scripted `failProbe`) has its probe results
//! computed; its readiness follows them, and `failureThreshold` liveness failures in a row get
//! it killed (SIGTERM, then `shutdown`, at most the grace period) and restarted per
//! `restartPolicy`. A `startupProbe` gates readiness and liveness until its first success
//! and kills a container that is not up within its `failureThreshold`. A container whose
//! memory usage (the load model's, plus `memory-leak` while it runs) exceeds its memory limit
//! is OOM-killed at that instant (exit code 137, reason `OOMKilled`). Pods without these
//! faults take none of these paths.

pub mod probes;

use std::collections::{BTreeMap, BTreeSet};

use probes::{FailWindow, ProbeKind, Ticks};

use crate::api::pod::{PodPhase, RestartPolicy};
use crate::engine::{Ctx, Event};
use crate::kernel::rng::names::DURATIONS;
use crate::kernel::{SimDuration, SimTime};
use crate::store::{NodeId, PodId};

/// A pod's name in its random streams, `namespace/name#uid`: written into the stream's hash
/// (`Streams::keyed_fmt`), not into a string, once per draw.
struct StreamKey<'a>(&'a crate::api::meta::ObjectMeta);

impl std::fmt::Display for StreamKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}#{}", self.0.namespace, self.0.name, self.0.uid.0)
    }
}

/// `containerBackOffPeriod`.
pub const BACKOFF_INITIAL: SimDuration = SimDuration::from_secs(10);
/// `MaxContainerBackOff`.
pub const BACKOFF_MAX: SimDuration = SimDuration::from_secs(300);
/// A container that ran longer than this since the last backoff update starts from scratch.
pub const BACKOFF_RESET: SimDuration = SimDuration::from_secs(600);

#[derive(Clone, Debug, Default)]
struct PodRuntime {
    epoch: u32,
    /// The current (or last) run of the container (absent reads as [`IDLE_RUN`]).
    run: Option<Box<RunState>>,
    /// When the container last exited (`finishedAt`, the `eventTime` of `Backoff.Next`).
    finished_at: SimTime,
    /// How many times the container was started (draw index for durations).
    runs: u64,
    /// Its backoff and start retries, once it had any (most pods never restart nor wait
    /// for a ConfigMap: they keep a null pointer).
    trouble: Option<Box<Trouble>>,
    /// The container passed its readiness (the kubelet's own view, which it posts again after
    /// the control plane marked the pod not ready).
    ready: bool,
    /// The kubelet is killing the pod (its deletion reached it).
    killing: bool,
    /// Generations of the probe and OOM timers: a timer of an older generation is stale.
    probe_gen: u32,
    oom_gen: u32,
}

/// A pod's CrashLoopBackOff entry and start retries.
#[derive(Clone, Copy, Debug, Default)]
struct Trouble {
    /// CrashLoopBackOff entry: current period (zero = no entry) and last update.
    backoff: SimDuration,
    backoff_updated: SimTime,
    /// Failed start attempts because of a missing ConfigMap or Secret, and the current mount
    /// retry delay.
    blocked_attempts: u64,
    mount_retry: SimDuration,
}

/// What none yet reads as.
const NO_TROUBLE: Trouble = Trouble {
    backoff: SimDuration::ZERO,
    backoff_updated: SimTime::ZERO,
    blocked_attempts: 0,
    mount_retry: SimDuration::ZERO,
};

impl PodRuntime {
    fn trouble(&self) -> &Trouble {
        self.trouble.as_deref().unwrap_or(&NO_TROUBLE)
    }
}

/// What a container run is doing about faults: its probe results and its memory.
#[derive(Clone, Debug)]
struct RunState {
    /// Its readiness and liveness are computed from probe results (it has a fault to model).
    probed: bool,
    started: SimTime,
    /// The app is up (`startup`) at this time.
    up: SimTime,
    /// The app hangs from this time on (`liveness-fails-after`).
    hang: Option<SimTime>,
    /// The app reports itself unready in `[from, until)` (`readiness-fails-*`).
    unready: Option<(SimTime, SimTime)>,
    /// The run's exit (`duration`), if it has one.
    exit_at: Option<SimTime>,
    /// The readiness result, whether it was ever Success, and the tick that last changed it.
    ready: bool,
    ever_ready: bool,
    last_tick: SimTime,
    /// OOM: the memory limit, the usage apart from the leak, and the planned kill.
    memory_limit: Option<i64>,
    load_bytes: i64,
    oom_at: Option<SimTime>,
    /// A probe kill in progress: the exit code it will end with, and why.
    kill: Option<(i32, &'static str)>,
}

/// The run of a pod that never started (what a fresh [`RunState`] holds).
const IDLE_RUN: RunState = RunState {
    probed: false,
    started: SimTime::ZERO,
    up: SimTime::ZERO,
    hang: None,
    unready: None,
    exit_at: None,
    ready: false,
    ever_ready: false,
    last_tick: SimTime::ZERO,
    memory_limit: None,
    load_bytes: 0,
    oom_at: None,
    kill: None,
};

/// The next thing a container's probes do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ProbeDue {
    /// Readiness becomes Success (at this tick).
    Ready(SimTime),
    /// Readiness becomes Failure (the tick whose result it is).
    Unready(SimTime),
    /// `failureThreshold` liveness (or startup) failures: kill the container (the reason).
    Kill(&'static str),
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
    /// A probe result changes the container's readiness or gets it killed (the generation).
    Probe(u32),
    /// The container's memory usage exceeds its limit (the generation).
    Oom(u32),
    /// A container killed after failing its liveness probe has exited.
    Killed,
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
    /// The pods the kubelets know of, with their runs, dropped when the pod object is gone
    /// (a map: a day of a million pods has a few tens of thousands at a time).
    pods: crate::hash::HashMap<PodId, PodRuntime>,
    /// Per node: the kubelet cannot reach the API server (`partitionNode`).
    partitioned: Vec<bool>,
    /// Pod timers that fired on a partitioned node, in firing order: what the kubelet did
    /// locally meanwhile, reported when it reconnects.
    deferred: Vec<(NodeId, PodId, u32, KubeletTimer)>,
    /// Probe failures scripted with `failProbe`, per pod.
    scripted: BTreeMap<PodId, Vec<(ProbeKind, FailWindow)>>,
    /// Running pods that can run out of memory.
    oom_watch: BTreeSet<PodId>,
}

impl Default for Kubelets {
    fn default() -> Self {
        Self::new()
    }
}

impl Kubelets {
    pub fn new() -> Kubelets {
        Kubelets {
            machine_up: Vec::new(),
            pods: crate::hash::HashMap::default(),
            partitioned: Vec::new(),
            deferred: Vec::new(),
            scripted: BTreeMap::new(),
            oom_watch: BTreeSet::new(),
        }
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
            } else if !p.status.phase.is_terminal() && rt.runs == 0 && rt.trouble().blocked_attempts == 0 {
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
        self.pods.entry(pod).or_default()
    }

    fn epoch(&mut self, pod: PodId) -> u32 {
        self.runtime(pod).epoch
    }

    fn run(&mut self, pod: PodId) -> &mut RunState {
        self.runtime(pod).run.get_or_insert_with(|| Box::new(IDLE_RUN))
    }

    fn run_of(&self, pod: PodId) -> &RunState {
        self.live_run(pod).unwrap_or(&IDLE_RUN)
    }

    /// The pod's run, if it has one.
    fn live_run(&self, pod: PodId) -> Option<&RunState> {
        self.pods.get(&pod).and_then(|rt| rt.run.as_deref())
    }

    /// Invalidates every pending timer of the pod; the faults of its current run are over.
    fn bump(&mut self, pod: PodId) -> u32 {
        self.end_run(pod);
        let rt = self.runtime(pod);
        rt.epoch = rt.epoch.wrapping_add(1);
        rt.epoch
    }

    /// The container run stopped: no more probe results or memory growth.
    fn end_run(&mut self, pod: PodId) {
        if let Some(run) = self.pods.get_mut(&pod).and_then(|rt| rt.run.as_deref_mut()) {
            run.probed = false;
            run.memory_limit = None;
            run.oom_at = None;
            run.kill = None;
        }
        self.oom_watch.remove(&pod);
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
            let rt = self.runtime(pod).trouble.get_or_insert_default();
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
                let key = StreamKey(&ctx.store.pod(pod).meta);
                let mut rng =
                    ctx.streams.keyed_fmt(crate::kernel::rng::names::KUBELET_RETRY, format_args!("{key}"), attempt);
                let jitter_us = crate::kernel::rng::uniform_below(&mut rng, SYNC_RETRY.as_micros() / 2);
                SYNC_RETRY.saturating_add(SimDuration::from_micros(jitter_us))
            };
            if ctx.store.pod(pod).status.waiting_message() != message {
                let key = ctx.store.pod(pod).meta.key();
                let text = message.clone();
                ctx.store.journal.narrate(now, || format!("pod {key} {reason}: {text}"));
            }
            ctx.store.set_pod_waiting(now, pod, reason, message);
            self.timer(ctx, pod, now + delay, KubeletTimer::RetryStart);
            return;
        }
        let rt = self.runtime(pod);
        if let Some(trouble) = rt.trouble.as_deref_mut() {
            trouble.blocked_attempts = 0;
            trouble.mount_retry = SimDuration::ZERO;
        }
        rt.ready = false;
        ctx.store.start_pod(now, pod, restart);
        let run = {
            let rt = self.runtime(pod);
            rt.runs += 1;
            rt.runs
        };
        let p = ctx.store.pod(pod);
        let key = StreamKey(&p.meta);
        let startup = match &*p.sim.startup {
            Some(d) => d.sample(&mut ctx.streams.keyed_fmt(DURATIONS, format_args!("{key}/startup"), run)),
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
            .map(|d| now + d.sample(&mut ctx.streams.keyed_fmt(DURATIONS, format_args!("{key}/run"), run)));
        let probed = self.begin_run(ctx, pod, run, now + startup, exit_at);
        match exit_at {
            _ if probed => {
                if let Some(exit) = exit_at {
                    self.timer(ctx, pod, exit, KubeletTimer::Exit);
                }
                self.schedule_probe(ctx, pod);
            }
            Some(exit) if exit <= ready_at => self.timer(ctx, pod, exit, KubeletTimer::Exit),
            Some(exit) => {
                self.timer(ctx, pod, ready_at, KubeletTimer::Ready);
                self.timer(ctx, pod, exit, KubeletTimer::Exit);
            }
            None => self.timer(ctx, pod, ready_at, KubeletTimer::Ready),
        }
        self.schedule_oom(ctx, pod);
    }

    /// Records the faults of a new container run (drawn per run) and whether its probes are
    /// computed; starts watching its memory if it can run out.
    fn begin_run(&mut self, ctx: &mut Ctx<'_>, pod: PodId, run: u64, up: SimTime, exit_at: Option<SimTime>) -> bool {
        let now = ctx.now;
        let p = ctx.store.pod(pod);
        let key = StreamKey(&p.meta);
        let faults = p.sim.faults();
        let draw = |d: &crate::kernel::dist::DurationDist, what: &str| {
            d.sample(&mut ctx.streams.keyed_fmt(DURATIONS, format_args!("{key}/{what}"), run))
        };
        let hang = faults.liveness_fails_after.as_ref().map(|d| now + draw(d, "liveness-fails-after"));
        let unready = faults.readiness_fails_after.as_ref().map(|d| {
            let from = now + draw(d, "readiness-fails-after");
            let until = match &faults.readiness_fails_for {
                Some(f) => from + draw(f, "readiness-fails-for"),
                None => SimTime::MAX,
            };
            (from, until)
        });
        let has_probe = p.spec.readiness_probe().is_some() || liveness_probe(p).is_some();
        // A startup probe gates the others: its runs are always computed.
        let probed = startup_probe(p).is_some()
            || (has_probe && (hang.is_some() || unready.is_some() || self.scripted.contains_key(&pod)));
        let memory_limit = memory_limit_bytes(p).filter(|_| {
            let s = p.sim.serving();
            s.memory_base_bytes > 0 || s.memory_per_request_bytes > 0 || faults.memory_leak.is_some()
        });
        let load_bytes = p.sim.serving().memory_base_bytes;
        *self.run(pod) =
            RunState { probed, started: now, up, hang, unready, exit_at, memory_limit, load_bytes, ..IDLE_RUN };
        if memory_limit.is_some() {
            self.oom_watch.insert(pod);
        }
        probed
    }

    /// The spans during which the pod's `kind` probe fails in its current run.
    fn fail_windows(&self, pod: PodId, kind: ProbeKind) -> Vec<FailWindow> {
        let run = self.run_of(pod);
        let mut windows = Vec::new();
        if let Some(hang) = run.hang {
            windows.push(FailWindow { from: hang, until: SimTime::MAX, hang: true });
        }
        if kind == ProbeKind::Readiness {
            // Before the app is up, it refuses connections.
            if run.up > run.started {
                windows.push(FailWindow { from: run.started, until: run.up, hang: false });
            }
            if let Some((from, until)) = run.unready {
                windows.push(FailWindow { from, until, hang: false });
            }
        }
        if let Some(scripted) = self.scripted.get(&pod) {
            windows.extend(scripted.iter().filter(|(k, _)| *k == kind).map(|(_, w)| *w));
        }
        windows
    }

    /// The next probe result that changes something, and when it is known.
    fn next_probe_due(&self, store: &crate::store::Store, pod: PodId) -> Option<(SimTime, ProbeDue)> {
        let run = self.run_of(pod);
        if !run.probed || run.kill.is_some() {
            return None;
        }
        let p = store.pod(pod);
        // The startup probe: until it succeeds, readiness and liveness are not probed;
        // `failureThreshold` failures before that kill the container.
        let gate = match startup_probe(p) {
            None => run.started,
            Some(probe) => {
                let ticks = Ticks::new(probe, run.started);
                let mut windows = Vec::new();
                if run.up > run.started {
                    windows.push(FailWindow { from: run.started, until: run.up, hang: false });
                }
                if let Some(hang) = run.hang {
                    windows.push(FailWindow { from: hang, until: SimTime::MAX, hang: true });
                }
                let success = probes::success_run(&ticks, &windows, run.started, 1);
                match probes::failure_run(&ticks, &windows, run.started, probe.failure_threshold) {
                    Some((tick, at)) if success.is_none_or(|ok| tick < ok) => {
                        return Some((at, ProbeDue::Kill("StartupProbeFailed")));
                    }
                    _ => success?,
                }
            }
        };
        let readiness = match p.spec.readiness_probe() {
            Some(probe) => {
                let ticks = Ticks::new(probe, run.started);
                let windows = self.fail_windows(pod, ProbeKind::Readiness);
                if run.ready {
                    let from = run.last_tick.saturating_add(ticks.period());
                    probes::failure_run(&ticks, &windows, from, probe.failure_threshold)
                        .map(|(tick, at)| (at, ProbeDue::Unready(tick)))
                } else {
                    let from = if run.ever_ready { run.last_tick.saturating_add(ticks.period()) } else { gate };
                    probes::success_run(&ticks, &windows, from, probe.success_threshold)
                        .map(|tick| (tick, ProbeDue::Ready(tick)))
                }
            }
            // Without a readiness probe the container is ready once the app is up (and its
            // startup probe succeeded).
            None if !run.ever_ready => Some((run.up.max(gate), ProbeDue::Ready(run.up.max(gate)))),
            None => None,
        };
        let liveness = liveness_probe(p).and_then(|probe| {
            let ticks = Ticks::new(probe, run.started);
            let windows = self.fail_windows(pod, ProbeKind::Liveness);
            probes::failure_run(&ticks, &windows, gate, probe.failure_threshold)
                .map(|(_, at)| (at, ProbeDue::Kill("LivenessProbeFailed")))
        });
        match (readiness, liveness) {
            (Some(r), Some(l)) => Some(if l.0 < r.0 { l } else { r }),
            (r, l) => r.or(l),
        }
    }

    /// Sets the timer of the next probe result that matters.
    fn schedule_probe(&mut self, ctx: &mut Ctx<'_>, pod: PodId) {
        let rt = self.runtime(pod);
        rt.probe_gen = rt.probe_gen.wrapping_add(1);
        let generation = rt.probe_gen;
        if let Some((at, _)) = self.next_probe_due(ctx.store, pod) {
            let at = at.max(ctx.now);
            self.timer(ctx, pod, at, KubeletTimer::Probe(generation));
        }
    }

    /// A probe timer fired: apply what is due now, then plan the next.
    fn on_probe(&mut self, ctx: &mut Ctx<'_>, pod: PodId) {
        let now = ctx.now;
        let Some((at, due)) = self.next_probe_due(ctx.store, pod) else { return };
        if at > now {
            self.schedule_probe(ctx, pod);
            return;
        }
        match due {
            ProbeDue::Ready(tick) => {
                let run = self.run(pod);
                run.ready = true;
                run.ever_ready = true;
                run.last_tick = tick;
                ctx.store.set_pod_ready(now, pod, true, "ContainersReady");
            }
            ProbeDue::Unready(tick) => {
                let run = self.run(pod);
                run.ready = false;
                run.last_tick = tick;
                let p = ctx.store.pod(pod);
                let (key, threshold) = (p.meta.key(), p.spec.readiness_probe().map_or(3, |r| r.failure_threshold));
                ctx.store.journal.narrate(now, || {
                    format!("pod {key} failed its readiness probe {threshold} time(s) in a row: not ready")
                });
                ctx.store.set_pod_ready(now, pod, false, "ReadinessProbeFailed");
            }
            ProbeDue::Kill(reason) => {
                self.kill_unhealthy(ctx, pod, reason);
                return;
            }
        }
        self.schedule_probe(ctx, pod);
    }

    /// `failureThreshold` liveness failures: the kubelet kills the container (SIGTERM, then
    /// SIGKILL at the end of the grace period); it exits after `shutdown`, with 143 if it
    /// stopped on SIGTERM, 137 if it had to be killed.
    fn kill_unhealthy(&mut self, ctx: &mut Ctx<'_>, pod: PodId, reason: &'static str) {
        let now = ctx.now;
        let run_index = self.runtime(pod).runs;
        self.bump(pod);
        let p = ctx.store.pod(pod);
        let grace = SimDuration::from_secs(p.spec.termination_grace_period_seconds.max(0) as u64);
        let shutdown = match &*p.sim.shutdown {
            Some(d) => {
                let key = StreamKey(&p.meta);
                d.sample(&mut ctx.streams.keyed_fmt(DURATIONS, format_args!("{key}/shutdown"), run_index))
            }
            None => SimDuration::ZERO,
        };
        let code = if shutdown < grace { 143 } else { 137 };
        let (which, probe) = if reason == "StartupProbeFailed" {
            ("startup", startup_probe(p))
        } else {
            ("liveness", liveness_probe(p))
        };
        let threshold = probe.map_or(3, |l| l.failure_threshold);
        let key = p.meta.key();
        ctx.store.journal.narrate(now, || {
            format!("pod {key} failed its {which} probe {threshold} time(s) in a row: the kubelet kills the container")
        });
        self.run(pod).kill = Some((code, reason));
        self.timer(ctx, pod, now + shutdown.min(grace), KubeletTimer::Killed);
    }

    /// Plans the OOM kill of a running container whose memory can exceed its limit: at once
    /// if it does, else at the instant its leak makes it.
    fn schedule_oom(&mut self, ctx: &mut Ctx<'_>, pod: PodId) {
        let now = ctx.now;
        let run = self.run_of(pod);
        let Some(limit) = run.memory_limit else { return };
        let leak = ctx.store.pod(pod).sim.faults().memory_leak.filter(|(bytes, _)| *bytes > 0);
        let leaked = |elapsed: SimDuration| -> i64 {
            leak.map_or(0, |(bytes, period)| {
                let v = i128::from(bytes) * i128::from(elapsed.as_micros()) / i128::from(period.as_micros());
                i64::try_from(v).unwrap_or(i64::MAX)
            })
        };
        let usage = run.load_bytes.saturating_add(leaked(now.saturating_since(run.started)));
        let at = if usage > limit {
            Some(now)
        } else {
            leak.map(|(bytes, period)| {
                // The first instant at which floor(bytes · elapsed / period) > limit − load.
                let need = i128::from(limit) - i128::from(run.load_bytes) + 1;
                let micros = (need * i128::from(period.as_micros()) + i128::from(bytes) - 1) / i128::from(bytes);
                run.started.saturating_add(SimDuration::from_micros(u64::try_from(micros).unwrap_or(u64::MAX)))
            })
        };
        if at == run.oom_at {
            return;
        }
        self.run(pod).oom_at = at;
        let rt = self.runtime(pod);
        rt.oom_gen = rt.oom_gen.wrapping_add(1);
        let generation = rt.oom_gen;
        if let Some(at) = at
            && at != SimTime::MAX
        {
            self.timer(ctx, pod, at.max(now), KubeletTimer::Oom(generation));
        }
    }

    /// Running pods whose memory can exceed their limit, for [`memory_load_changed`](Self::memory_load_changed).
    pub fn oom_watched(&self) -> impl Iterator<Item = PodId> + '_ {
        self.oom_watch.iter().copied()
    }

    /// The load model's memory usage of watched pods changed (bytes, leak excluded).
    pub fn memory_load_changed(&mut self, ctx: &mut Ctx<'_>, usages: &[(PodId, i64)]) {
        for &(pod, bytes) in usages {
            if self.live_run(pod).is_some_and(|r| r.memory_limit.is_some() && r.load_bytes != bytes) {
                self.run(pod).load_bytes = bytes;
                self.schedule_oom(ctx, pod);
            }
        }
    }

    /// `failProbe`: the pod's `kind` probe fails from now until `until`. Returns an error when
    /// the pod has no such probe.
    pub fn fail_probe(&mut self, ctx: &mut Ctx<'_>, pod: PodId, kind: ProbeKind, until: SimTime) -> Result<(), String> {
        let now = ctx.now;
        let p = ctx.store.pod(pod);
        let has = match kind {
            ProbeKind::Liveness => liveness_probe(p).is_some(),
            ProbeKind::Readiness => p.spec.readiness_probe().is_some(),
        };
        if !has {
            return Err(format!("pod {} has no {} probe", p.meta.key(), kind.as_str()));
        }
        let running = matches!(p.status.container, crate::api::pod::ContainerState::Running { .. })
            && !p.meta.is_terminating()
            && p.status.node.is_some_and(|n| self.is_up(n));
        let (ready, ready_since) = (p.is_ready(), p.status.ready_since);
        self.scripted.entry(pod).or_default().push((kind, FailWindow { from: now, until, hang: false }));
        if !running || self.live_run(pod).is_none_or(|r| r.kill.is_some()) {
            return Ok(());
        }
        if !self.run_of(pod).probed {
            // The run switches to computed probes: its Ready timer gives way to them.
            let exit_at = self.run_of(pod).exit_at;
            let up = self.run_of(pod).up;
            let rt = self.runtime(pod);
            rt.epoch = rt.epoch.wrapping_add(1);
            let run = self.run(pod);
            run.probed = true;
            run.ready = ready;
            run.ever_ready = ready;
            run.last_tick = ready_since.unwrap_or(up);
            if let Some(exit) = exit_at {
                self.timer(ctx, pod, exit.max(now), KubeletTimer::Exit);
            }
            if self.run_of(pod).oom_at.is_some() {
                self.run(pod).oom_at = None;
                self.schedule_oom(ctx, pod);
            }
        }
        self.schedule_probe(ctx, pod);
        Ok(())
    }

    /// A kubelet timer fired.
    pub fn on_timer(&mut self, ctx: &mut Ctx<'_>, pod: PodId, epoch: u32, timer: KubeletTimer) {
        // Removed first: a removed pod's runtime is forgotten, not to be made anew.
        if ctx.store.is_removed(pod) || epoch != self.epoch(pod) {
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
            KubeletTimer::Probe(generation) => {
                if generation == self.runtime(pod).probe_gen {
                    self.on_probe(ctx, pod);
                }
            }
            KubeletTimer::Oom(generation) => {
                if generation == self.runtime(pod).oom_gen && self.run_of(pod).oom_at == Some(now) {
                    let p = ctx.store.pod(pod);
                    let key = p.meta.key();
                    let limit = self.run_of(pod).memory_limit.unwrap_or(0);
                    ctx.store.journal.narrate(now, || {
                        format!("pod {key}: memory usage exceeds its limit ({limit} bytes): OOMKilled")
                    });
                    self.bump(pod);
                    self.container_finished(ctx, pod, 137, Some("OOMKilled"));
                }
            }
            KubeletTimer::Killed => {
                if let Some((code, reason)) = self.live_run(pod).and_then(|r| r.kill) {
                    self.end_run(pod);
                    self.container_finished(ctx, pod, code, Some(reason));
                }
            }
            KubeletTimer::Restart => {
                // `doBackOff` then `Next`: start now, advance the backoff entry.
                // `Next(key, finishedAt)`: the entry expired if the container ran more than
                // 10 min since the last update, counted to its exit (not to this restart).
                let rt = self.runtime(pod);
                let finished_at = rt.finished_at;
                let rt = rt.trouble.get_or_insert_default();
                if rt.backoff.is_zero() || finished_at.saturating_since(rt.backoff_updated) > BACKOFF_RESET {
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
        self.end_run(pod);
        self.container_finished(ctx, pod, exit_code, None);
        true
    }

    fn container_exited(&mut self, ctx: &mut Ctx<'_>, pod: PodId) {
        let runs = self.runtime(pod).runs;
        let code = {
            let p = ctx.store.pod(pod);
            let attempt = earlier_attempts(ctx.store, pod) + runs.saturating_sub(1);
            p.sim.exit_code_for(attempt)
        };
        self.end_run(pod);
        self.container_finished(ctx, pod, code, None);
    }

    /// The container stopped with `code`, on its own or `killed` by the kubelet or the kernel
    /// (the reason): restart it per `restartPolicy`, with CrashLoopBackOff.
    fn container_finished(&mut self, ctx: &mut Ctx<'_>, pod: PodId, code: i32, killed: Option<&'static str>) {
        let now = ctx.now;
        let policy = ctx.store.pod(pod).spec.restart_policy;
        self.runtime(pod).ready = false;
        match killed {
            Some(reason) => ctx.store.container_killed(now, pod, code, reason),
            None => ctx.store.container_exited(now, pod, code),
        }
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
        rt.finished_at = now;
        let trouble = rt.trouble();
        let delay = if trouble.backoff.is_zero() || now.saturating_since(trouble.backoff_updated) > BACKOFF_RESET {
            SimDuration::ZERO
        } else {
            trouble.backoff
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
        let shutdown = match (&*p.sim.shutdown, running) {
            (Some(d), true) => {
                let key = StreamKey(&p.meta);
                d.sample(&mut ctx.streams.keyed_fmt(DURATIONS, format_args!("{key}/shutdown"), 0)).min(grace)
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

    /// The pod object is gone: its runtime and run are dropped, and its timers find it
    /// removed ([`on_timer`](Self::on_timer)); pod ids are never reused.
    pub fn forget(&mut self, pod: PodId) {
        self.end_run(pod);
        self.pods.remove(&pod);
        self.scripted.remove(&pod);
    }
}

/// The pod's liveness probe (of its first container that has one).
fn liveness_probe(p: &crate::api::pod::Pod) -> Option<&crate::api::pod::Probe> {
    p.spec.containers.iter().find_map(|c| c.liveness_probe.as_ref())
}

/// The pod's startup probe (of its first container that has one).
fn startup_probe(p: &crate::api::pod::Pod) -> Option<&crate::api::pod::Probe> {
    p.spec.containers.iter().find_map(|c| c.startup_probe.as_ref())
}

/// The pod's memory limit in bytes: the sum over its containers (and sidecars), if every one
/// of them has a memory limit (the simulator runs a pod's containers as one).
fn memory_limit_bytes(p: &crate::api::pod::Pod) -> Option<i64> {
    use crate::api::resources::ResourceName;
    let sidecars = p.spec.init_containers.iter().filter(|c| c.restart_policy_always);
    let mut total = 0i64;
    for c in p.spec.containers.iter().chain(sidecars) {
        total = total.saturating_add(c.limits.get(&ResourceName::Memory)?.checked_scaled_value(0)?);
    }
    Some(total)
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
