//! The engine: builds a world from a scenario and runs it.
//!
//! One step ([`Simulation::step`]):
//! 1. pop the next event (time, lane, seq) and advance the clock;
//! 2. hand it to the one component that owns it (scripted action, scheduler, a controller,
//!    a kubelet, the node lifecycle or taint eviction controller, a check, a sample);
//! 3. drain the store's watch stream and route every change to the components that watch it
//!    (this may make more changes, drained in turn);
//! 4. make sure the scheduler and each controller with queued work have an event at the
//!    current instant;
//! 5. in test builds or with `check_invariants`, verify the invariants.
//!
//! Components never call each other; they change the store and schedule events.

use std::sync::Arc;

use crate::api::meta::{Kind, ObjectMeta};
use crate::api::pod::{Pod, PodStatus};
use crate::controllers::deployment::{self, DeploymentAction};
use crate::controllers::disruption;
use crate::controllers::node_lifecycle::{LifecycleTimer, NodeLifecycle};
use crate::controllers::replicaset::{self, RsAction};
use crate::controllers::taint_eviction::TaintEviction;
use crate::controllers::{Controller, WorkQueue, endpoints};
use crate::journal::{Journal, Record};
use crate::kernel::rng::{names, uniform_below};
use crate::kernel::{EventKey, EventQueue, Lane, SimDuration, SimTime, Streams};
use crate::kubelet::{KubeletTimer, Kubelets};
use crate::manifest::{GENERATE_NAME, Object};
use crate::metrics::{Recorder, Sample};
use crate::scenario::check::{CheckValue, Expectation, Target, evaluate};
use crate::scenario::{Action, CheckWhen, Scenario};
use crate::scheduler::Scheduler;
use crate::store::{Change, DeploymentId, HpaId, JobId, NodeId, PdbId, PodId, PodOwner, RsId, ServiceId, Store};

/// Every event of the simulation. A closed set, handled by one `match`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// `spec.events[i]`.
    Scripted(u32),
    /// `spec.checks[i]` evaluated at its time (observer lane).
    Check(u32),
    /// End of an instant inside an open check window (observer lane).
    WindowCheck,
    /// A `timeseries.csv` row (observer lane).
    Sample,
    /// Schedule one pod.
    ScheduleOne,
    /// `flushBackoffQCompleted`.
    SchedulerFlushBackoff,
    /// `flushUnschedulablePodsLeftover`.
    SchedulerFlushLeftover,
    /// Pop one key from a controller's work queue.
    Reconcile(Controller),
    /// A controller asked to look at an object again at this time.
    Requeue(Controller, u32),
    Kubelet {
        pod: PodId,
        epoch: u32,
        timer: KubeletTimer,
    },
    NodeLifecycle {
        node: NodeId,
        epoch: u32,
        timer: LifecycleTimer,
    },
    /// The 100 ms NoExecute tainting pass.
    TaintPass,
    /// The taint eviction controller deletes a pod.
    TaintEviction {
        pod: PodId,
    },
    /// A `kubectl drain` in progress retries its evictions or checks that its pods are gone.
    Drain(u32),
    /// A whole second at which an offered load rate may change (`spec.load`).
    LoadTick,
    /// The HPA controller's periodic sync of one HorizontalPodAutoscaler.
    HpaSync(HpaId),
}

/// A refusal of the Eviction API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvictionRefusal {
    /// 429 Too Many Requests: a PodDisruptionBudget forbids it now; retry later.
    TooManyRequests(String),
    /// Any other error (500: several budgets select the pod).
    Failed(String),
}

/// A `kubectl drain` in progress.
#[derive(Clone, Debug)]
struct Drain {
    description: String,
    node: String,
    options: crate::scenario::DrainOptions,
    started: SimTime,
    /// Pods still to evict (refused with 429 so far), in kubectl's order.
    to_evict: Vec<PodId>,
    /// Pods whose eviction (or deletion) was accepted, waited for until gone.
    evicted: Vec<PodId>,
    finished: bool,
}

/// What components get to work with while handling an event.
pub struct Ctx<'a> {
    pub now: SimTime,
    pub store: &'a mut Store,
    pub queue: &'a mut EventQueue<Event>,
    pub streams: &'a Streams,
}

impl Ctx<'_> {
    /// Schedules an event; scheduling into the past is a bug.
    pub fn at(&mut self, at: SimTime, event: Event) -> EventKey {
        self.queue.schedule(at, event).unwrap_or_else(|e| panic!("{e} ({event:?})"))
    }
}

/// Run-time options that do not change the simulated behaviour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Record every scheduling attempt (`decisions.jsonl`).
    pub trace_decisions: bool,
    /// Keep every journal record (`events.jsonl`).
    pub trace_events: bool,
    /// Check the invariants after every event (always on in debug builds).
    pub check_invariants: bool,
}

/// The result of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    pub index: usize,
    pub text: String,
    /// When it was decided.
    pub at: SimTime,
    pub passed: bool,
    /// The actual value at the deciding evaluation.
    pub actual: String,
}

#[derive(Clone, Debug)]
enum CheckState {
    Pending,
    /// Window checks: the last actual value seen.
    Open {
        last_actual: String,
    },
    Done(CheckResult),
}

/// Why a run stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    /// `spec.maxEvents` was reached.
    EventLimit { events: u64, at: SimTime },
    /// A broken internal invariant (a bug): the seed and event number say how to reproduce it.
    Invariant { message: String, seed: u64, event: u64, at: SimTime },
    /// A scheduler plugin failed in a way that stops the run: an external policy process
    /// could not start, exited, hung or broke the protocol, or a registered plugin's
    /// constructor failed (`pod` is `None` then).
    Plugin { plugin: String, pod: Option<String>, message: String, at: SimTime },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::EventLimit { events, at } => write!(
                f,
                "stopped after {events} events at virtual time {at}: the event limit (spec.maxEvents) was reached; raise it or shorten spec.until"
            ),
            RunError::Invariant { message, seed, event, at } => {
                write!(f, "internal invariant broken at event {event} (virtual time {at}, seed {seed}): {message}")
            }
            RunError::Plugin { plugin, pod: Some(pod), message, at } => {
                write!(f, "plugin {plugin} failed while scheduling pod {pod} at virtual time {at}: {message}")
            }
            RunError::Plugin { plugin, pod: None, message, .. } => {
                write!(f, "plugin {plugin} could not be built: {message}")
            }
        }
    }
}

impl std::error::Error for RunError {}

/// A simulation of one scenario with one seed.
pub struct Simulation {
    scenario: Arc<Scenario>,
    seed: u64,
    until: SimTime,
    options: RunOptions,
    streams: Streams,
    queue: EventQueue<Event>,
    store: Store,
    scheduler: Scheduler,
    kubelets: Kubelets,
    lifecycle: NodeLifecycle,
    taint_eviction: TaintEviction,
    rs_queue: WorkQueue<RsId>,
    deployment_queue: WorkQueue<DeploymentId>,
    endpoints_queue: WorkQueue<ServiceId>,
    disruption_queue: WorkQueue<PdbId>,
    job_queue: WorkQueue<JobId>,
    drains: Vec<Drain>,
    /// The load on Services (`spec.load`) and what each pod serves.
    traffic: crate::load::Traffic,
    /// The HPA controller's flags and its in-memory state per HPA (by id; `None` once deleted),
    /// with the last warning narrated for it.
    hpa_config: crate::controllers::hpa::HpaControllerConfig,
    hpa_histories: Vec<Option<crate::controllers::hpa::HpaHistory>>,
    hpa_warnings: Vec<String>,
    /// Per Job: the time of the batched sync pod changes asked for (`syncJobBatchPeriod`).
    job_sync_at: Vec<Option<SimTime>>,
    reconcile_pending: [bool; 5],
    /// Per ReplicaSet: pod creations refused in a row (the work queue's rate limiter).
    rs_create_failures: Vec<u32>,
    schedule_pending: bool,
    backoff_flush_at: Option<SimTime>,
    leftover_flush_at: Option<SimTime>,
    window_check_pending: Option<SimTime>,
    checks: Vec<CheckState>,
    recorder: Recorder,
    events: u64,
    changes: Vec<Change>,
    finished: bool,
}

/// The scenario's sampling interval, widened to whole seconds if an `until` given on the
/// command line would make `timeseries.csv` longer than `MAX_SAMPLES` rows.
fn sample_interval_for(scenario: &Scenario, until: SimTime) -> SimDuration {
    use crate::scenario::{MAX_SAMPLES, sample_rows};
    let interval = scenario.sample_interval;
    if sample_rows(until, interval) <= MAX_SAMPLES {
        return interval;
    }
    SimDuration::from_secs(until.as_micros().div_ceil((MAX_SAMPLES - 1) * 1_000_000).max(1))
}

/// Counters for the summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    pub events: u64,
    pub scheduling_attempts: u64,
    pub unschedulable_attempts: u64,
    pub pods_created: u64,
    pub pods_scheduled: u64,
}

fn controller_index(c: Controller) -> usize {
    match c {
        Controller::ReplicaSet => 0,
        Controller::Deployment => 1,
        Controller::Endpoints => 2,
        Controller::Disruption => 3,
        Controller::Job => 4,
    }
}

impl Simulation {
    /// Builds the world at time zero: the cluster's nodes, then the manifests (Namespaces,
    /// then Nodes, then the rest in file order), and the scripted events, checks and samples.
    pub fn new(scenario: Arc<Scenario>, seed: Option<u64>, until: Option<SimTime>, options: RunOptions) -> Simulation {
        let seed = seed.unwrap_or(scenario.seed);
        let until = until.unwrap_or(scenario.until);
        let streams = Streams::new(seed);
        let tiebreak = streams.stream(names::SCHEDULER_TIEBREAK);
        let mut scheduler =
            Scheduler::with_registry(&scenario.scheduler, &scenario.plugins, tiebreak, options.trace_decisions);
        scheduler.set_run_seed(seed);
        let options = RunOptions { check_invariants: options.check_invariants || cfg!(debug_assertions), ..options };
        let mut sim = Simulation {
            seed,
            until,
            options,
            streams,
            queue: EventQueue::with_capacity(1024),
            store: Store::new(Journal::new(options.trace_events)),
            scheduler,
            kubelets: Kubelets::new(),
            lifecycle: NodeLifecycle::new(),
            taint_eviction: TaintEviction::default(),
            rs_queue: WorkQueue::default(),
            deployment_queue: WorkQueue::default(),
            endpoints_queue: WorkQueue::default(),
            disruption_queue: WorkQueue::default(),
            job_queue: WorkQueue::default(),
            drains: Vec::new(),
            traffic: crate::load::Traffic::new(&scenario.load),
            hpa_config: crate::controllers::hpa::HpaControllerConfig::default(),
            hpa_histories: Vec::new(),
            hpa_warnings: Vec::new(),
            job_sync_at: Vec::new(),
            reconcile_pending: [false; 5],
            rs_create_failures: Vec::new(),
            schedule_pending: false,
            backoff_flush_at: None,
            leftover_flush_at: None,
            window_check_pending: None,
            checks: vec![CheckState::Pending; scenario.checks.len()],
            recorder: Recorder::new(sample_interval_for(&scenario, until)),
            events: 0,
            changes: Vec::new(),
            finished: false,
            scenario: scenario.clone(),
        };
        for name in crate::api::service::INITIAL_NAMESPACES {
            sim.store.create_namespace(SimTime::ZERO, name);
        }
        for node in &scenario.nodes {
            sim.add_node(node.clone());
        }
        // Namespaces first, then Nodes (kubelets register before workloads arrive) and
        // PriorityClasses (cluster setup, which pods need at admission), then the rest in file
        // order.
        let rank = |m: &&crate::manifest::Manifest| match m.object {
            Object::Namespace(_) => 0,
            Object::Node(_) | Object::PriorityClass(_) => 1,
            _ => 2,
        };
        let mut ordered: Vec<&crate::manifest::Manifest> = scenario.manifests.iter().collect();
        ordered.sort_by_key(rank);
        for m in ordered {
            sim.apply_object(&m.object, "manifest");
        }
        for (i, ev) in scenario.events.iter().enumerate() {
            if ev.at <= until {
                sim.queue.schedule(ev.at, Event::Scripted(i as u32)).expect("time zero");
            }
        }
        for (i, check) in scenario.checks.iter().enumerate() {
            match check.when {
                CheckWhen::At(t) => {
                    sim.queue.schedule_in(t, Lane::Observer, Event::Check(i as u32)).expect("time zero");
                }
                CheckWhen::Always { from, to } | CheckWhen::Eventually { from, to } => {
                    sim.queue.schedule_in(from, Lane::Observer, Event::Check(i as u32)).expect("time zero");
                    sim.queue.schedule_in(to, Lane::Observer, Event::Check(i as u32)).expect("time zero");
                }
            }
        }
        sim.queue.schedule_in(SimTime::ZERO, Lane::Observer, Event::Sample).expect("time zero");
        if !sim.traffic.is_empty() {
            sim.queue.schedule(SimTime::ZERO, Event::LoadTick).expect("time zero");
        }
        sim.settle();
        sim
    }

    /// Parses a scenario from a string (manifests must be inline) and builds it.
    pub fn from_yaml(text: &str, options: RunOptions) -> Result<Simulation, Box<crate::decode::DecodeError>> {
        let scenario = Scenario::parse(text, "<scenario>", &crate::scenario::NoFiles)?;
        Ok(Simulation::new(Arc::new(scenario), None, None, options))
    }

    /// Builds `scenario` with the plugins of `registry` instead of the registry it was loaded
    /// with, e.g. to give a scenario loaded with [`Scenario::parse`] a policy launcher. Every
    /// profile must resolve with `registry` (its plugins known there); a registered plugin's
    /// constructor that fails stops the run at its first step ([`RunError::Plugin`]).
    pub fn with_registry(
        scenario: Arc<Scenario>,
        seed: Option<u64>,
        until: Option<SimTime>,
        options: RunOptions,
        registry: &crate::scheduler::custom::PluginRegistry,
    ) -> Result<Simulation, String> {
        for profile in &scenario.scheduler.profiles {
            profile.resolve_with(registry).map_err(|e| format!("profile {:?}: {e}", profile.scheduler_name))?;
        }
        let mut scenario = Arc::unwrap_or_clone(scenario);
        scenario.plugins = Arc::new(registry.clone());
        Ok(Simulation::new(Arc::new(scenario), seed, until, options))
    }

    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn until(&self) -> SimTime {
        self.until
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// The load on Services and what each pod serves.
    pub fn traffic(&self) -> &crate::load::Traffic {
        &self.traffic
    }

    pub fn digest(&self) -> String {
        self.store.journal.digest_hex()
    }

    pub fn journal(&self) -> &Journal {
        &self.store.journal
    }

    pub fn take_decisions(&mut self) -> Vec<String> {
        self.scheduler.take_decisions()
    }

    /// Records every scheduling attempt of the pod `namespace/name` (which may not exist yet),
    /// cheaply, whether or not decisions are traced; see [`watched_decisions`](Self::watched_decisions).
    pub fn watch_pod(&mut self, namespace: &str, name: &str) {
        self.scheduler.watch_pod(namespace, name);
    }

    /// The watched pod's scheduling attempts so far, oldest first, each with the structure of
    /// a `decisions.jsonl` line.
    pub fn watched_decisions(&self) -> &[serde_json::Value] {
        self.scheduler.watched_decisions()
    }

    pub fn stats(&self) -> RunStats {
        RunStats {
            events: self.events,
            scheduling_attempts: self.scheduler.stats.attempts,
            unschedulable_attempts: self.scheduler.stats.unschedulable,
            pods_created: self.store.stats.pods_created,
            pods_scheduled: self.store.stats.pods_scheduled,
        }
    }

    /// The results of the checks decided so far (all of them after [`run`](Self::run)).
    pub fn check_results(&self) -> Vec<CheckResult> {
        self.checks
            .iter()
            .filter_map(|c| match c {
                CheckState::Done(r) => Some(r.clone()),
                _ => None,
            })
            .collect()
    }

    /// Runs until `until`, the end of the event queue, or a limit.
    pub fn run(&mut self) -> Result<(), RunError> {
        while self.step()? {}
        self.finish();
        Ok(())
    }

    /// Runs events up to and including time `t` (or `until`, whichever is earlier).
    pub fn run_until(&mut self, t: SimTime) -> Result<(), RunError> {
        let t = t.min(self.until);
        while self.queue.peek_time().is_some_and(|next| next <= t) {
            if !self.step()? {
                break;
            }
        }
        if self.queue.now() < t {
            self.queue.advance_to(t);
        }
        Ok(())
    }

    /// Processes one event. Returns false when the run is over.
    pub fn step(&mut self) -> Result<bool, RunError> {
        if self.finished {
            return Ok(false);
        }
        self.check_plugin_failure()?;
        let Some(next) = self.queue.peek_time() else { return Ok(false) };
        if next > self.until {
            return Ok(false);
        }
        let Some((_, _, event)) = self.queue.pop() else { return Ok(false) };
        self.events += 1;
        if self.events > self.scenario.max_events {
            return Err(RunError::EventLimit { events: self.events - 1, at: self.queue.now() });
        }
        self.handle(event);
        self.settle();
        self.check_plugin_failure()?;
        if self.options.check_invariants
            && let Err(message) = self.check_invariants()
        {
            return Err(RunError::Invariant { message, seed: self.seed, event: self.events, at: self.queue.now() });
        }
        Ok(true)
    }

    /// A scheduler plugin failure that stops the run, as a [`RunError::Plugin`].
    fn check_plugin_failure(&mut self) -> Result<(), RunError> {
        match self.scheduler.take_failure() {
            None => Ok(()),
            Some(f) => Err(RunError::Plugin { plugin: f.plugin, pod: f.pod, message: f.message, at: self.queue.now() }),
        }
    }

    /// Ends the run: the clock stands at `until`; undecided checks are decided.
    fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        if self.queue.now() < self.until && self.queue.peek_time().is_none_or(|t| t > self.until) {
            self.queue.advance_to(self.until);
        }
        for i in 0..self.checks.len() {
            if let CheckState::Done(_) = self.checks[i] {
                continue;
            }
            let check = &self.scenario.checks[i];
            let (passed, actual) = match (&check.when, &self.checks[i]) {
                // An `always` window whose end was reached and never failed passes.
                (CheckWhen::Always { .. }, CheckState::Open { last_actual }) => (true, last_actual.clone()),
                (_, CheckState::Open { last_actual }) => (false, last_actual.clone()),
                _ => (false, "not evaluated: the run ended first".to_string()),
            };
            self.decide(i, passed, actual);
        }
    }

    fn handle(&mut self, event: Event) {
        let now = self.queue.now();
        match event {
            Event::Scripted(i) => self.scripted(i as usize),
            Event::Check(i) => self.evaluate_check(i as usize),
            Event::WindowCheck => {
                self.window_check_pending = None;
                self.evaluate_windows();
            }
            Event::Sample => {
                let mut sample = Sample::take(now, &self.store);
                sample.traffic = self.traffic.services().iter().map(|s| (s.offered, s.served, s.dropped)).collect();
                self.recorder.push(sample);
                let next = now + self.recorder.interval;
                if next <= self.until {
                    self.queue.schedule_in(next, Lane::Observer, Event::Sample).expect("future");
                } else if now < self.until {
                    self.queue.schedule_in(self.until, Lane::Observer, Event::Sample).expect("future");
                }
            }
            Event::ScheduleOne => {
                self.schedule_pending = false;
                self.scheduler.schedule_one(&mut self.store, now);
            }
            Event::SchedulerFlushBackoff => {
                self.backoff_flush_at = None;
                self.scheduler.queue.flush_backoff(now);
            }
            Event::SchedulerFlushLeftover => {
                self.leftover_flush_at = None;
                self.scheduler.queue.flush_unschedulable_leftover(now);
            }
            Event::Reconcile(c) => {
                self.reconcile_pending[controller_index(c)] = false;
                self.reconcile(c);
            }
            Event::Requeue(c, key) => match c {
                Controller::ReplicaSet => self.rs_queue.add(RsId(key)),
                Controller::Deployment => self.deployment_queue.add(DeploymentId(key)),
                Controller::Endpoints => self.endpoints_queue.add(ServiceId(key)),
                Controller::Disruption => self.disruption_queue.add(PdbId(key)),
                Controller::Job => {
                    let id = JobId(key);
                    if let Some(slot) = self.job_sync_at.get_mut(id.index())
                        && *slot == Some(now)
                    {
                        *slot = None;
                    }
                    self.job_queue.add(id);
                }
            },
            Event::Kubelet { pod, epoch, timer } => {
                let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                self.kubelets.on_timer(&mut ctx, pod, epoch, timer);
            }
            Event::NodeLifecycle { node, epoch, timer } => {
                let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                self.lifecycle.on_timer(&mut ctx, node, epoch, timer);
            }
            Event::TaintPass => {
                let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                self.lifecycle.taint_pass(&mut ctx);
            }
            Event::TaintEviction { pod } => {
                if self.taint_eviction.fire(pod) && !self.store.is_removed(pod) {
                    let (node, taints) = match self.store.pod(pod).status.node {
                        Some(n) => {
                            let node = self.store.node(n);
                            let keys: Vec<&str> = node
                                .taints
                                .iter()
                                .filter(|t| t.effect == crate::api::taint::TaintEffect::NoExecute)
                                .map(|t| t.key.as_str())
                                .collect();
                            (node.meta.name.clone(), keys.join(", "))
                        }
                        None => (String::new(), String::new()),
                    };
                    let key = self.store.pod(pod).meta.key();
                    self.store.journal.narrate(now, || {
                        format!("pod {key} evicted from node {node} (NoExecute taint {taints}; toleration expired)")
                    });
                    self.delete_pod(pod, "DeletionByTaintManager", true);
                }
            }
            Event::Drain(i) => self.drain_step(i as usize),
            Event::HpaSync(id) => self.hpa_sync(id),
            Event::LoadTick => {
                self.traffic.update(&self.store, now);
                if let Some(next) = self.traffic.next_change()
                    && next <= self.until
                {
                    self.queue.schedule(next, Event::LoadTick).expect("future");
                }
            }
        }
        // Open check windows are evaluated at the end of every instant in which something
        // happened.
        if !matches!(event, Event::Sample | Event::Check(_) | Event::WindowCheck)
            && self.window_check_pending != Some(now)
            && self.any_window_open(now)
        {
            self.window_check_pending = Some(now);
            self.queue.schedule_in(now, Lane::Observer, Event::WindowCheck).expect("now");
        }
    }

    fn any_window_open(&self, now: SimTime) -> bool {
        self.scenario.checks.iter().zip(&self.checks).any(|(c, s)| match (&c.when, s) {
            (
                CheckWhen::Always { from, to } | CheckWhen::Eventually { from, to },
                CheckState::Pending | CheckState::Open { .. },
            ) => *from <= now && now <= *to,
            _ => false,
        })
    }

    /// Drains the watch stream and makes sure every component with work has an event now.
    fn settle(&mut self) {
        let mut changes = std::mem::take(&mut self.changes);
        loop {
            self.store.drain_changes(&mut changes);
            if changes.is_empty() {
                break;
            }
            for change in changes.drain(..) {
                self.dispatch(change);
            }
        }
        self.changes = changes;
        let now = self.queue.now();
        // The load follows the end state of the changes (a pod's readiness, a Service, an
        // Ingress) at once: kube-proxy programming takes no time.
        if self.traffic.needs_update(now) {
            self.traffic.update(&self.store, now);
        }
        if self.scheduler.has_work() && !self.schedule_pending {
            self.schedule_pending = true;
            self.queue.schedule(now, Event::ScheduleOne).expect("now");
        }
        if let Some(expiry) = self.scheduler.queue.next_backoff_expiry() {
            let at = expiry.ceil_to_tick(crate::scheduler::queue::BACKOFF_FLUSH_PERIOD, SimDuration::ZERO).max(now);
            if self.backoff_flush_at.is_none_or(|t| t > at) {
                self.backoff_flush_at = Some(at);
                self.queue.schedule(at, Event::SchedulerFlushBackoff).expect("future");
            }
        }
        if let Some(deadline) = self.scheduler.queue.next_leftover_deadline() {
            let at = deadline
                .next_tick_after(crate::scheduler::queue::UNSCHEDULABLE_FLUSH_PERIOD, SimDuration::ZERO)
                .max(now);
            if self.leftover_flush_at.is_none_or(|t| t > at) {
                self.leftover_flush_at = Some(at);
                self.queue.schedule(at, Event::SchedulerFlushLeftover).expect("future");
            }
        }
        for (c, empty) in [
            (Controller::Deployment, self.deployment_queue.is_empty()),
            (Controller::ReplicaSet, self.rs_queue.is_empty()),
            (Controller::Endpoints, self.endpoints_queue.is_empty()),
            (Controller::Disruption, self.disruption_queue.is_empty()),
            (Controller::Job, self.job_queue.is_empty()),
        ] {
            let i = controller_index(c);
            if !empty && !self.reconcile_pending[i] {
                self.reconcile_pending[i] = true;
                self.queue.schedule(now, Event::Reconcile(c)).expect("now");
            }
        }
    }

    /// Routes one store change to the components that watch it.
    fn dispatch(&mut self, change: Change) {
        let now = self.queue.now();
        self.scheduler.on_change(&self.store, change, now);
        match change {
            Change::PodBound(p) | Change::PodStatus(p) | Change::PodDeleting(p) | Change::PodRemoved(p) => {
                self.traffic.pod_changed(&self.store, p);
            }
            Change::Service(_) | Change::ServiceRemoved(_) | Change::Ingress(_) | Change::IngressRemoved(_) => {
                self.traffic.mark_dirty();
            }
            _ => {}
        }
        match change {
            Change::NodeAdded(node) => {
                let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                self.lifecycle.node_updated(&mut ctx, node);
            }
            Change::NodeUpdated(node) => {
                let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                self.lifecycle.node_updated(&mut ctx, node);
                self.taint_eviction.node_updated(&mut ctx, node);
            }
            Change::PodCreated(pod) => {
                self.enqueue_pod_watchers(pod);
            }
            Change::PodBound(pod) => {
                let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                self.kubelets.pod_bound(&mut ctx, pod);
                self.taint_eviction.process_pod(&mut ctx, pod);
                self.enqueue_pod_watchers(pod);
            }
            Change::PodStatus(pod) => self.enqueue_pod_watchers(pod),
            Change::PodDeleting(pod) => {
                let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                self.taint_eviction.cancel(&mut ctx, pod);
                self.kubelets.pod_deleting(&mut ctx, pod);
                self.enqueue_pod_watchers(pod);
            }
            Change::PodRemoved(pod) => {
                let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                self.taint_eviction.cancel(&mut ctx, pod);
                self.kubelets.forget(pod);
                self.enqueue_pod_watchers(pod);
                if let Some(d) = self.store.pod_rs(pod).and_then(|rs| self.store.rs_owner(rs)) {
                    self.deployment_queue.add(d);
                }
            }
            Change::ReplicaSet(rs) => {
                self.rs_queue.add(rs);
                if let Some(d) = self.store.rs_owner(rs) {
                    self.deployment_queue.add(d);
                }
            }
            Change::ReplicaSetRemoved(rs) => {
                if let Some(d) = self.store.rs_owner(rs) {
                    self.deployment_queue.add(d);
                }
            }
            Change::Deployment(d) => self.deployment_queue.add(d),
            Change::DeploymentRemoved(_) | Change::ServiceRemoved(_) => {}
            Change::Service(s) => self.endpoints_queue.add(s),
            Change::Pdb(id) => self.disruption_queue.add(id),
            Change::PdbRemoved(_) => {}
            // `updateJob` enqueues at once (status updates included).
            Change::Job(id) => self.job_queue.add(id),
            Change::JobRemoved(_) => {}
            Change::Ingress(_) | Change::IngressRemoved(_) => {}
            Change::Hpa(id) => {
                // `enqueueHPA` adds a new HPA rate-limited: its first sync is one period after
                // its creation; spec updates do not bring a queued sync forward.
                if self.hpa_histories.len() <= id.index() {
                    self.hpa_histories.resize(id.index() + 1, None);
                    self.hpa_warnings.resize(id.index() + 1, String::new());
                }
                if self.hpa_histories[id.index()].is_none() {
                    self.hpa_histories[id.index()] = Some(Default::default());
                    let at = now + self.hpa_config.sync_period;
                    self.queue.schedule(at, Event::HpaSync(id)).expect("future");
                }
            }
            Change::HpaRemoved(id) => {
                // The controller forgets the HPA's recommendations and scale events.
                if let Some(h) = self.hpa_histories.get_mut(id.index()) {
                    *h = None;
                }
            }
        }
    }

    /// A pod of Job `id` changed: sync the Job after `syncJobBatchPeriod`, once per batch.
    fn enqueue_job_batched(&mut self, id: JobId) {
        let now = self.queue.now();
        let at = now + crate::controllers::job::SYNC_BATCH_PERIOD;
        if self.job_sync_at.len() <= id.index() {
            self.job_sync_at.resize(id.index() + 1, None);
        }
        match self.job_sync_at[id.index()] {
            Some(t) if t >= now && t <= at => {}
            _ => {
                self.job_sync_at[id.index()] = Some(at);
                self.queue.schedule(at, Event::Requeue(Controller::Job, id.0)).expect("future");
            }
        }
    }

    /// A pod changed: its ReplicaSet, the Services and the PodDisruptionBudgets selecting it
    /// look again.
    fn enqueue_pod_watchers(&mut self, pod: PodId) {
        match self.store.pod_owner(pod) {
            Some(PodOwner::ReplicaSet(rs)) => self.rs_queue.add(rs),
            Some(PodOwner::Job(job)) => self.enqueue_job_batched(job),
            None => {}
        }
        let p = self.store.pod(pod);
        for s in self.store.service_ids() {
            let service = self.store.service(s).expect("live id");
            if service.meta.namespace == p.meta.namespace && service.selector.matches(&p.meta.labels) {
                self.endpoints_queue.add(s);
            }
        }
        // Every matching budget (kube-controller-manager enqueues only the first it lists).
        for id in self.store.pdb_ids() {
            let pdb = self.store.pdb(id).expect("live id");
            if pdb.meta.namespace == p.meta.namespace && pdb.selects(&p.meta.labels) {
                self.disruption_queue.add(id);
            }
        }
    }

    fn reconcile(&mut self, c: Controller) {
        let now = self.queue.now();
        match c {
            Controller::ReplicaSet => {
                let Some(id) = self.rs_queue.pop() else { return };
                for action in replicaset::reconcile(&self.store, now, id) {
                    match action {
                        RsAction::CreatePods(n) => self.create_rs_pods(id, n),
                        RsAction::DeletePods(pods) => {
                            for p in pods {
                                self.delete_pod(p, "ScaleDown", false);
                            }
                        }
                        RsAction::SetStatus(status) => {
                            self.store.set_replica_set_status(id, status);
                        }
                        RsAction::RequeueAt(at) => {
                            self.queue
                                .schedule(at.max(now), Event::Requeue(Controller::ReplicaSet, id.0))
                                .expect("future");
                        }
                    }
                }
            }
            Controller::Deployment => {
                let Some(id) = self.deployment_queue.pop() else { return };
                for action in deployment::reconcile(&self.store, now, id) {
                    match action {
                        DeploymentAction::CreateReplicaSet(rs) => self.create_deployment_rs(id, *rs),
                        DeploymentAction::Scale { rs, replicas, annotations } => {
                            let refs: Vec<(&str, String)> = annotations.iter().map(|(k, v)| (*k, v.clone())).collect();
                            self.store.scale_replica_set(now, rs, replicas, &refs);
                        }
                        DeploymentAction::DeleteReplicaSet(rs) => self.store.remove_replica_set(now, rs),
                        DeploymentAction::SetStatus(status) => self.store.set_deployment_status(now, id, status),
                        DeploymentAction::RequeueAt(at) => {
                            self.queue
                                .schedule(at.max(now), Event::Requeue(Controller::Deployment, id.0))
                                .expect("future");
                        }
                    }
                }
            }
            Controller::Endpoints => {
                let Some(id) = self.endpoints_queue.pop() else { return };
                if let Some(counts) = endpoints::reconcile(&self.store, id) {
                    self.store.set_endpoints(now, id, counts);
                }
            }
            Controller::Disruption => {
                let Some(id) = self.disruption_queue.pop() else { return };
                let (status, recheck) = disruption::reconcile(&self.store, now, id);
                if let Some(status) = status {
                    self.store.set_pdb_status(now, id, status);
                }
                if let Some(at) = recheck {
                    self.queue.schedule(at.max(now), Event::Requeue(Controller::Disruption, id.0)).expect("future");
                }
            }
            Controller::Job => {
                let Some(id) = self.job_queue.pop() else { return };
                for action in crate::controllers::job::reconcile(&self.store, now, id) {
                    use crate::controllers::job::JobAction;
                    match action {
                        JobAction::CreatePods(indexes) => self.create_job_pods(id, &indexes),
                        JobAction::DeletePods(pods, reason) => {
                            for p in pods {
                                self.delete_pod(p, reason, false);
                            }
                        }
                        JobAction::SetStatus(status) => self.set_job_status(id, *status),
                        JobAction::SetTracking(tracking) => self.store.set_job_tracking(id, *tracking),
                        JobAction::RequeueAt(at) => {
                            self.queue.schedule(at.max(now), Event::Requeue(Controller::Job, id.0)).expect("future");
                        }
                        JobAction::DeleteJob => {
                            if let Some(job) = self.store.job(id) {
                                let key = job.meta.key();
                                self.store
                                    .journal
                                    .narrate(now, || format!("job {key} deleted: ttlSecondsAfterFinished expired"));
                            }
                            self.delete_job(id);
                        }
                    }
                }
            }
        }
    }

    /// One sync of the HPA controller for `id` (`reconcileAutoscaler`), then the next one a
    /// sync period later: the pods' usage is the load model's at this instant.
    fn hpa_sync(&mut self, id: HpaId) {
        use crate::controllers::hpa::{self, EventType, HpaAction, ScaleTarget};
        let now = self.queue.now();
        let Some(Some(history)) = self.hpa_histories.get_mut(id.index()) else { return };
        let Some(hpa) = self.store.hpa(id) else { return };
        let key = hpa.meta.key();
        if self.traffic.needs_update(now) {
            self.traffic.update(&self.store, now);
        }
        let actions = hpa::reconcile(&self.store, &self.traffic, &self.hpa_config, now, id, history);
        for action in actions {
            match action {
                HpaAction::Scale { target, replicas } => match target {
                    ScaleTarget::Deployment(d) => self.store.scale_deployment(now, d, replicas),
                    ScaleTarget::ReplicaSet(rs) => {
                        self.store.scale_replica_set(now, rs, replicas, &[]);
                    }
                },
                HpaAction::Event(event) => {
                    let line = format!("hpa {key}: {}", event.message);
                    match event.event_type {
                        EventType::Normal => self.store.journal.narrate(now, || line),
                        // A failing HPA warns at every sync: narrate a warning when it changes.
                        EventType::Warning => {
                            let text = format!("{}: {}", event.reason, event.message);
                            if self.hpa_warnings[id.index()] != text {
                                self.store.journal.narrate(now, || format!("hpa {key}: {text}"));
                                self.hpa_warnings[id.index()] = text;
                            }
                        }
                    }
                    self.store.record_hpa_event(now, id, event.reason, event.message);
                }
                HpaAction::SetStatus(status) => self.store.set_hpa_status(now, id, *status),
            }
        }
        self.queue.schedule(now + self.hpa_config.sync_period, Event::HpaSync(id)).expect("future");
    }

    /// Sets a Job's status and narrates the conditions that became True.
    fn set_job_status(&mut self, id: JobId, status: crate::api::batch::JobStatus) {
        use crate::api::batch::JobConditionType as C;
        let now = self.queue.now();
        let Some(job) = self.store.job(id) else { return };
        let key = job.meta.key();
        let fresh: Vec<String> = status
            .conditions
            .iter()
            .filter(|c| {
                c.status == crate::api::meta::ConditionStatus::True
                    && job.status.condition(c.kind).is_none()
                    && matches!(c.kind, C::Complete | C::Failed | C::Suspended | C::FailureTarget)
            })
            .map(|c| format!("job {key} {} ({}: {})", c.kind.as_str(), c.reason, c.message))
            .collect();
        let new_failures = status.failed - job.status.failed;
        let limit = job.spec.backoff_limit;
        for line in fresh {
            self.store.journal.narrate(now, || line);
        }
        if new_failures > 0 {
            let failed = status.failed;
            self.store.journal.narrate(now, || {
                let limit = if limit == i32::MAX { "none".to_string() } else { limit.to_string() };
                format!("job {key} counts {new_failures} failed pod(s): {failed} failed, backoffLimit {limit}")
            });
        }
        self.store.set_job_status(now, id, status);
    }

    /// Creates the pods of a Job: one per entry, `Some(i)` being completion index `i` (pod
    /// name `<job>-<i>-<5 characters>`, the index as annotation and label).
    fn create_job_pods(&mut self, id: JobId, indexes: &[Option<i32>]) {
        use crate::api::batch::labels::COMPLETION_INDEX;
        let now = self.queue.now();
        let Some(owner) = self.store.job_owner_ref(id) else { return };
        let job = self.store.job(id).expect("live");
        let (template, namespace, job_name, key) =
            (job.spec.template.clone(), job.meta.namespace.clone(), job.meta.name.clone(), job.meta.key());
        let n = indexes.len();
        self.store.journal.narrate(now, || format!("job {key} creates {n} pod(s)"));
        for index in indexes {
            let prefix = match index {
                Some(i) => format!("{job_name}-{i}-"),
                None => format!("{job_name}-"),
            };
            let name = self.generate_name(&namespace, &prefix);
            let mut meta = ObjectMeta {
                name,
                namespace: namespace.clone(),
                labels: template.labels.clone(),
                annotations: template.annotations.clone(),
                owner_references: vec![owner.clone()],
                ..ObjectMeta::default()
            };
            if let Some(i) = index {
                meta.annotations.insert(COMPLETION_INDEX.to_string(), i.to_string());
                meta.labels.insert(COMPLETION_INDEX.to_string(), i.to_string());
            }
            let pod =
                Pod { meta, spec: template.spec.clone(), sim: template.sim.clone(), status: PodStatus::default() };
            match self.store.try_create_pod(now, pod, Some(PodOwner::Job(id))) {
                Ok(pod) => self.bind_named_pod(pod),
                Err(reason) => {
                    self.action_failed(
                        format!("job {key} create pod"),
                        format!("FailedCreate: pods \"{prefix}\" is forbidden: {reason}"),
                    );
                    return;
                }
            }
        }
    }

    /// Deletes a Job with background propagation: the Job goes at once, the garbage collector
    /// deletes its pods (running ones terminate gracefully).
    fn delete_job(&mut self, id: JobId) {
        let now = self.queue.now();
        let pods: Vec<PodId> = self.store.job_pods(id).iter().copied().filter(|&p| !self.store.is_removed(p)).collect();
        self.store.remove_job(now, id);
        for p in pods {
            self.delete_pod(p, "GarbageCollected", false);
        }
    }

    /// Creates `n` pods from a ReplicaSet's template, named `<rs>-<5 random characters>`.
    fn create_rs_pods(&mut self, rs_id: RsId, n: i32) {
        let now = self.queue.now();
        let Some(owner) = self.store.rs_owner_ref(rs_id) else { return };
        let rs = self.store.replica_set(rs_id).expect("live");
        let (template, namespace, rs_name) = (rs.template.clone(), rs.meta.namespace.clone(), rs.meta.name.clone());
        let (key, want) = (rs.meta.key(), rs.replicas);
        self.store.journal.narrate(now, || format!("replicaset {key} (want {want}) creates {n} pod(s)"));
        for _ in 0..n {
            let name = self.generate_name(&namespace, &format!("{rs_name}-"));
            let meta = ObjectMeta {
                name,
                namespace: namespace.clone(),
                labels: template.labels.clone(),
                annotations: template.annotations.clone(),
                owner_references: vec![owner.clone()],
                ..ObjectMeta::default()
            };
            let pod =
                Pod { meta, spec: template.spec.clone(), sim: template.sim.clone(), status: PodStatus::default() };
            let id = match self.store.try_create_pod(now, pod, Some(PodOwner::ReplicaSet(rs_id))) {
                Ok(id) => id,
                Err(reason) => {
                    self.rs_creation_refused(rs_id, &key, &format!("pods \"{rs_name}-\" is forbidden: {reason}"));
                    return;
                }
            };
            if let Some(f) = self.rs_create_failures.get_mut(rs_id.index()) {
                *f = 0;
            }
            self.bind_named_pod(id);
        }
    }

    /// Admission refused a ReplicaSet's pod: the sync fails (slow start stops at the first
    /// failure) and the ReplicaSet is synced again after the work queue's per-item backoff,
    /// 5 ms doubling up to 1000 s.
    fn rs_creation_refused(&mut self, rs_id: RsId, key: &str, message: &str) {
        let now = self.queue.now();
        if self.rs_create_failures.len() <= rs_id.index() {
            self.rs_create_failures.resize(rs_id.index() + 1, 0);
        }
        let failures = &mut self.rs_create_failures[rs_id.index()];
        let delay_ms = 5u64.saturating_mul(1u64 << (*failures).min(30)).min(1_000_000);
        *failures += 1;
        self.action_failed(format!("replicaset {key} create pod"), format!("FailedCreate: {message}"));
        self.queue
            .schedule(now + SimDuration::from_millis(delay_ms), Event::Requeue(Controller::ReplicaSet, rs_id.0))
            .expect("future");
    }

    /// `generateName`: the prefix plus five characters from Kubernetes' alphabet, drawn from a
    /// stream keyed by the prefix and a counter, so names do not depend on unrelated draws.
    fn generate_name(&mut self, namespace: &str, prefix: &str) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        for attempt in 0u64.. {
            let draw = self.store.pod_count() as u64 * 16 + attempt;
            let mut rng = self.streams.keyed(names::NAMES, prefix, draw);
            let suffix: String =
                (0..5).map(|_| ALPHABET[uniform_below(&mut rng, ALPHABET.len() as u64) as usize] as char).collect();
            let name = format!("{prefix}{suffix}");
            if self.store.pod_id(namespace, &name).is_none() {
                return name;
            }
        }
        unreachable!("the name space of five characters is never exhausted")
    }

    fn create_deployment_rs(&mut self, d: DeploymentId, mut rs: crate::api::workload::ReplicaSet) {
        let now = self.queue.now();
        // A hash collision with an unrelated ReplicaSet: bump the collision count.
        let mut collision = 0u32;
        while self.store.rs_id(&rs.meta.namespace, &rs.meta.name).is_some() {
            collision += 1;
            let dep = self.store.deployment(d).expect("live");
            let mut base = dep.template.clone();
            base.labels.remove(crate::api::workload::POD_TEMPLATE_HASH_LABEL);
            let hash = deployment::pod_template_hash(&base, collision);
            rs.meta.name = format!("{}-{hash}", dep.meta.name);
            rs.template.labels.insert(crate::api::workload::POD_TEMPLATE_HASH_LABEL.into(), hash.clone());
            rs.meta.labels = rs.template.labels.clone();
            let sel = crate::api::selector::Requirement::new(
                crate::api::workload::POD_TEMPLATE_HASH_LABEL,
                crate::api::selector::Operator::Equals,
                vec![hash],
            )
            .expect("valid");
            rs.selector = dep.selector.clone().with_requirement(sel);
        }
        self.store.create_replica_set(now, rs, Some(d));
    }

    /// Graceful deletion. Pods never bound are removed at once (the API server does not wait
    /// for a kubelet); bound pods wait for their kubelet.
    fn delete_pod(&mut self, pod: PodId, reason: &'static str, disruption: bool) {
        let now = self.queue.now();
        if self.store.is_removed(pod) {
            return;
        }
        if self.store.pod(pod).status.node.is_none() {
            self.store.mark_pod_deleting(now, pod, reason, disruption);
            self.store.remove_pod(now, pod);
            return;
        }
        self.store.mark_pod_deleting(now, pod, reason, disruption);
    }

    fn add_node(&mut self, node: crate::api::node::Node) -> NodeId {
        let zone_key = node.zone_key();
        let name = node.meta.name.clone();
        let id = self.store.add_node(self.queue.now(), node);
        self.kubelets.add_node(id);
        // Each kubelet renews its lease on its own 10 s phase, drawn per node.
        let mut rng = self.streams.keyed(names::HEARTBEAT, &name, 0);
        let phase_ms = uniform_below(&mut rng, 10_000);
        let phase = self.queue.now() + SimDuration::from_millis(phase_ms);
        self.lifecycle.add_node(id, &zone_key, phase);
        id
    }

    /// `kubectl apply` of one object: create, or update the spec.
    fn apply_object(&mut self, object: &Object, source: &str) {
        let now = self.queue.now();
        let meta = object.meta();
        if object.kind().is_namespaced() && !self.store.namespace_exists(&meta.namespace) {
            self.action_failed(
                format!("{source} {}", object.describe()),
                format!("namespace {:?} not found", meta.namespace),
            );
            return;
        }
        match object {
            Object::Namespace(ns) => self.store.apply_namespace(now, &ns.meta.name, &ns.meta.labels),
            Object::Node(node) => match self.store.node_id(&node.meta.name) {
                Some(id) => self.store.update_node_spec(now, id, node),
                None => {
                    self.add_node(node.clone());
                }
            },
            Object::Pod(pod) => self.apply_pod(pod, source),
            Object::ReplicaSet(rs) => match self.store.rs_id(&rs.meta.namespace, &rs.meta.name) {
                Some(id) => self.store.update_replica_set_spec(now, id, rs),
                None => {
                    self.store.create_replica_set(now, rs.clone(), None);
                }
            },
            Object::Deployment(d) => match self.store.deployment_id(&d.meta.namespace, &d.meta.name) {
                Some(id) => self.store.update_deployment_spec(now, id, d),
                None => {
                    self.store.create_deployment(now, d.clone());
                }
            },
            Object::Service(s) => match self.store.service_id(&s.meta.namespace, &s.meta.name) {
                Some(id) => self.store.update_service_spec(id, s),
                None => {
                    self.store.create_service(now, s.clone());
                }
            },
            Object::PriorityClass(c) => {
                if let Err(message) = self.check_priority_class(c) {
                    self.action_failed(format!("{source} {}", object.describe()), message);
                    return;
                }
                self.store.put_priority_class(now, c.clone());
            }
            Object::PodDisruptionBudget(pdb) => match self.store.pdb_id(&pdb.meta.namespace, &pdb.meta.name) {
                Some(id) => self.store.update_pdb_spec(now, id, pdb),
                None => {
                    self.store.create_pdb(now, pdb.clone());
                }
            },
            Object::Config(config) => {
                if let Some(old) = self.store.config(config.source, &config.meta.namespace, &config.meta.name)
                    && old.immutable
                    && (old.keys != config.keys || !config.immutable)
                {
                    self.action_failed(
                        format!("{source} {}", object.describe()),
                        format!(
                            "{} {:?} is invalid: field is immutable when `immutable` is set",
                            config.source.kind(),
                            config.meta.name
                        ),
                    );
                    return;
                }
                self.store.put_config(now, config.clone());
            }
            Object::HorizontalPodAutoscaler(hpa) => match self.store.hpa_id(&hpa.meta.namespace, &hpa.meta.name) {
                Some(id) => self.store.update_hpa_spec(now, id, hpa),
                None => {
                    self.store.create_hpa(now, hpa.clone());
                }
            },
            Object::Ingress(ingress) => match self.store.ingress_id(&ingress.meta.namespace, &ingress.meta.name) {
                Some(id) => self.store.update_ingress_spec(now, id, ingress),
                None => {
                    self.store.create_ingress(now, ingress.clone());
                }
            },
            Object::Job(job) => match self.store.job_id(&job.meta.namespace, &job.meta.name) {
                Some(id) => {
                    let existing = self.store.job(id).expect("live");
                    if let Some(field) = crate::api::batch::immutable_change(existing, job) {
                        self.action_failed(
                            format!("{source} {}", object.describe()),
                            format!("Job.batch {:?} is invalid: {field}: field is immutable", job.meta.name),
                        );
                        return;
                    }
                    self.store.update_job_spec(id, job);
                }
                None => {
                    self.store.create_job(now, job.clone());
                }
            },
        }
    }

    /// The API server's checks of a PriorityClass against the existing ones: the value and
    /// preemption policy cannot change, and only one class may be the global default.
    fn check_priority_class(&self, c: &crate::api::scheduling::PriorityClass) -> Result<(), String> {
        let name = &c.meta.name;
        if let Some(old) = self.store.priority_class(name) {
            c.validate_update(old).map_err(|e| format!("PriorityClass.scheduling.k8s.io {name:?} is invalid: {e}"))?;
        }
        if c.global_default
            && let Some(other) = self.store.priority_classes().find(|o| o.global_default && o.meta.name != *name)
        {
            return Err(format!(
                "priorityclasses.scheduling.k8s.io {name:?} is forbidden: PriorityClass {} is already marked as default. Only one default can exist",
                other.meta.name
            ));
        }
        Ok(())
    }

    fn apply_pod(&mut self, pod: &Pod, source: &str) {
        let now = self.queue.now();
        let mut pod = pod.clone();
        if let Some(prefix) = pod.meta.annotations.remove(GENERATE_NAME) {
            pod.meta.name = self.generate_name(&pod.meta.namespace, &prefix);
        } else if let Some(existing) = self.store.pod_id(&pod.meta.namespace, &pod.meta.name) {
            // Compare with what admission would have made of the manifest.
            let admitted = self.store.admit(&pod.spec).unwrap_or_else(|_| pod.spec.clone());
            if *self.store.pod(existing).spec != *admitted {
                self.action_failed(
                    format!("{source} Pod {}", pod.meta.key()),
                    "pod updates may not change fields other than image, activeDeadlineSeconds, tolerations (additions) and schedulingGates (removals)".into(),
                );
            }
            return;
        }
        let key = pod.meta.key();
        let name = pod.meta.name.clone();
        match self.store.try_create_pod(now, pod, None) {
            Ok(id) => self.bind_named_pod(id),
            Err(reason) => {
                self.action_failed(format!("{source} Pod {key}"), format!("pods {name:?} is forbidden: {reason}"))
            }
        }
    }

    /// A pod created with `spec.nodeName` bypasses the scheduler: it is bound at once, and the
    /// kubelet admits it or rejects it (`Failed`, `OutOfcpu`, ...).
    fn bind_named_pod(&mut self, id: PodId) {
        let now = self.queue.now();
        let node_name = self.store.pod(id).spec.node_name.clone();
        if node_name.is_empty() {
            return;
        }
        let Some(node) = self.store.node_id(&node_name) else {
            let key = self.store.pod(id).meta.key();
            self.store
                .journal
                .narrate(now, || format!("pod {key} names node {node_name:?}, which does not exist: it stays Pending"));
            return;
        };
        self.store.bind_pod(now, id, node);
        if let Some(reason) = self.kubelet_admission_failure(id, node) {
            self.store.container_lost(id);
            let key = self.store.pod(id).meta.key();
            self.store.journal.narrate(now, || format!("pod {key} rejected by the kubelet on {node_name}: {reason}"));
            self.store.reject_pod(now, id, &reason);
        }
    }

    /// The kubelet's admission check for pods bound without the scheduler (`OutOfcpu`, ...).
    /// It counts the node's other active pods (not terminal), from the store: the scheduler's
    /// cache has not seen this binding yet.
    fn kubelet_admission_failure(&self, pod: PodId, node: NodeId) -> Option<String> {
        let n = self.store.node(node);
        let mut others = crate::scheduler::framework::NodeInfo {
            id: node,
            name: n.meta.name.clone(),
            labels: Default::default(),
            taints: Vec::new(),
            unschedulable: false,
            images: Vec::new(),
            allocatable: n.allocatable_resources.clone(),
            requested: Default::default(),
            non_zero_requested: Default::default(),
            pod_count: 0,
            pods: Vec::new(),
        };
        for &p in self.store.pods_on_node(node) {
            if p != pod && !self.store.pod(p).status.phase.is_terminal() {
                others.add_pod(p, self.store.pod(p));
            }
        }
        let (reasons, _) = crate::scheduler::plugins::node_resources_fit::insufficient_resources(
            &self.store.pod(pod).spec.requests,
            &others,
            |_| false,
        );
        reasons.first().map(|r| match r.strip_prefix("Insufficient ") {
            Some(res) => format!("OutOf{res}"),
            None => "OutOfpods".to_string(),
        })
    }

    fn action_failed(&mut self, action: String, message: String) {
        let now = self.queue.now();
        let text = format!("{action}: {message}");
        self.store.journal.narrate(now, || format!("failed: {text}"));
        self.store.journal.record(now, Record::ActionFailed { action, message });
    }

    fn scripted(&mut self, i: usize) {
        let scenario = self.scenario.clone();
        let ev = &scenario.events[i];
        let now = self.queue.now();
        let description = ev.action.describe();
        self.store.journal.record(now, Record::Scripted { action: description.clone() });
        self.store.journal.narrate(now, || description.clone());
        match &ev.action {
            Action::FailNode(name) | Action::RecoverNode(name) | Action::Cordon(name) | Action::Uncordon(name) => {
                let Some(id) = self.store.node_id(name) else {
                    self.action_failed(description, format!("node {name:?} not found"));
                    return;
                };
                match &ev.action {
                    Action::FailNode(_) => {
                        if !self.kubelets.is_up(id) {
                            return;
                        }
                        self.store.journal_machine(now, id, false);
                        let mut ctx =
                            Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                        self.kubelets.machine_down(&mut ctx, id);
                        self.lifecycle.kubelet_stopped(&mut ctx, id);
                        // Its containers stopped without any API change: they serve nothing now.
                        self.traffic.mark_dirty();
                    }
                    Action::RecoverNode(_) => {
                        if self.kubelets.is_up(id) {
                            return;
                        }
                        self.store.journal_machine(now, id, true);
                        // The kubelet re-registers and posts a healthy status.
                        use crate::api::meta::ConditionStatus::{False, True};
                        use crate::store::NodeConditionType as C;
                        self.store.set_node_condition(now, id, C::Ready, True, "KubeletReady");
                        self.store.set_node_condition(now, id, C::MemoryPressure, False, "KubeletHasSufficientMemory");
                        self.store.set_node_condition(now, id, C::DiskPressure, False, "KubeletHasNoDiskPressure");
                        self.store.set_node_condition(now, id, C::PidPressure, False, "KubeletHasSufficientPID");
                        let mut ctx =
                            Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                        self.lifecycle.kubelet_started(&mut ctx, id);
                        self.kubelets.machine_up(&mut ctx, id);
                    }
                    Action::Cordon(_) => {
                        self.store.set_unschedulable(now, id, true);
                    }
                    _ => {
                        self.store.set_unschedulable(now, id, false);
                    }
                }
            }
            Action::Apply(manifests) => {
                for m in manifests {
                    self.apply_object(&m.object, "apply");
                }
            }
            Action::Delete(r) => self.delete_object(r, &description),
            Action::Drain(options) => self.drain_start(options.clone(), description),
            Action::Evict(r) => match self.store.pod_id(&r.namespace, &r.name) {
                None => self.action_failed(description, format!("{r} not found")),
                Some(p) => {
                    if let Err(EvictionRefusal::TooManyRequests(m) | EvictionRefusal::Failed(m)) = self.evict(p) {
                        self.action_failed(description, m);
                    }
                }
            },
            Action::Rollback { target, to_revision } => {
                if let Err(message) = self.rollback(target, *to_revision) {
                    self.action_failed(description, message);
                }
            }
            Action::Scale { target, replicas } => match target.kind {
                Kind::Deployment => match self.store.deployment_id(&target.namespace, &target.name) {
                    Some(id) => self.store.scale_deployment(now, id, *replicas),
                    None => self.action_failed(description, format!("{target} not found")),
                },
                _ => match self.store.rs_id(&target.namespace, &target.name) {
                    Some(id) => {
                        self.store.scale_replica_set(now, id, *replicas, &[]);
                    }
                    None => self.action_failed(description, format!("{target} not found")),
                },
            },
        }
    }

    /// The Eviction API (`pkg/registry/core/pod/storage/eviction.go`): deletes the pod
    /// gracefully unless a PodDisruptionBudget forbids it. A terminal, Pending (unbound) or
    /// already deleting pod goes without a budget check; a pod selected by more than one budget
    /// cannot be evicted; an unready pod goes if the budget's policy is AlwaysAllow or the budget
    /// is healthy (IfHealthyBudget, the default); otherwise the budget must allow a disruption,
    /// which the eviction uses up (`disruptionsAllowed − 1`, the pod into `disruptedPods`).
    fn evict(&mut self, pod: PodId) -> Result<(), EvictionRefusal> {
        use crate::api::policy::UnhealthyPodEvictionPolicy;
        const VIOLATES: &str = "Cannot evict pod as it would violate the pod's disruption budget.";
        const REASON: &str = "EvictionByEvictionAPI";
        let now = self.queue.now();
        if self.store.is_removed(pod) {
            return Ok(());
        }
        let p = self.store.pod(pod);
        if p.meta.is_terminating() {
            return Ok(());
        }
        if p.status.phase.is_terminal() || p.status.node.is_none() {
            self.delete_pod(pod, REASON, true);
            return Ok(());
        }
        let budgets: Vec<PdbId> = self
            .store
            .pdb_ids()
            .filter(|&id| {
                let b = self.store.pdb(id).expect("live");
                b.meta.namespace == p.meta.namespace && b.selects(&p.meta.labels)
            })
            .collect();
        let id = match budgets.as_slice() {
            [] => {
                self.delete_pod(pod, REASON, true);
                return Ok(());
            }
            [id] => *id,
            _ => {
                return Err(EvictionRefusal::Failed(
                    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
                        .into(),
                ));
            }
        };
        let budget = self.store.pdb(id).expect("live");
        if !p.is_ready() {
            let always = budget.unhealthy_pod_eviction_policy == Some(UnhealthyPodEvictionPolicy::AlwaysAllow);
            if always || budget.status.current_healthy >= budget.status.desired_healthy {
                self.delete_pod(pod, REASON, true);
                return Ok(());
            }
            return Err(EvictionRefusal::TooManyRequests(VIOLATES.into()));
        }
        if budget.status.observed_generation < budget.meta.generation || budget.status.disruptions_allowed <= 0 {
            return Err(EvictionRefusal::TooManyRequests(VIOLATES.into()));
        }
        let mut status = budget.status.clone();
        status.disruptions_allowed -= 1;
        status.disrupted_pods.insert(p.meta.name.clone(), now);
        let (key, budget_key, left) = (p.meta.key(), budget.meta.key(), status.disruptions_allowed);
        self.store.set_pdb_status(now, id, status);
        self.store
            .journal
            .narrate(now, || format!("pod {key} evicted (budget {budget_key} now allows {left} more disruption(s))"));
        self.delete_pod(pod, REASON, true);
        Ok(())
    }

    /// `kubectl drain` (`staging/src/k8s.io/kubectl/pkg/drain/`): cordon, filter the node's
    /// pods, then evict them; the rest happens in [`drain_step`](Self::drain_step).
    fn drain_start(&mut self, options: crate::scenario::DrainOptions, description: String) {
        let now = self.queue.now();
        let Some(node) = self.store.node_id(&options.node) else {
            self.action_failed(description, format!("node {:?} not found", options.node));
            return;
        };
        self.store.set_unschedulable(now, node, true);
        let mut errors: Vec<String> = Vec::new();
        let mut to_evict: Vec<PodId> = Vec::new();
        let mut daemon_set_pods: Vec<String> = Vec::new();
        let mut unmanaged: Vec<String> = Vec::new();
        for &p in self.store.pods_on_node(node) {
            let pod = self.store.pod(p);
            let owner = pod.meta.controller_ref().map(|o| o.kind.as_str());
            if owner == Some("DaemonSet") {
                if !options.ignore_daemonsets {
                    daemon_set_pods.push(pod.meta.key());
                }
                continue;
            }
            if owner.is_none() && !pod.status.phase.is_terminal() && !options.force {
                unmanaged.push(pod.meta.key());
                continue;
            }
            to_evict.push(p);
        }
        if !unmanaged.is_empty() {
            errors.push(format!(
                "cannot delete Pods that declare no controller (use --force to override): {}",
                unmanaged.join(", ")
            ));
        }
        if !daemon_set_pods.is_empty() {
            errors.push(format!(
                "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): {}",
                daemon_set_pods.join(", ")
            ));
        }
        if !errors.is_empty() {
            self.action_failed(description, errors.join("; "));
            return;
        }
        let name = options.node.clone();
        let n = to_evict.len();
        self.store.journal.narrate(now, || format!("node/{name} cordoned; evicting {n} pod(s)"));
        let i = self.drains.len();
        self.drains.push(Drain {
            description,
            node: name,
            options,
            started: now,
            to_evict,
            evicted: Vec::new(),
            finished: false,
        });
        self.drain_step(i);
    }

    /// One step of a drain: try the evictions still pending (retrying 429s after 5 s), then
    /// wait (polling every second) until every evicted pod is gone; give up at the timeout.
    fn drain_step(&mut self, i: usize) {
        const RETRY: SimDuration = SimDuration::from_secs(5);
        const POLL: SimDuration = SimDuration::from_secs(1);
        let now = self.queue.now();
        if self.drains[i].finished {
            return;
        }
        if let Some(timeout) = self.drains[i].options.timeout
            && now >= self.drains[i].started + timeout
        {
            self.drains[i].finished = true;
            let d = &self.drains[i];
            let (description, left) = (d.description.clone(), d.to_evict.len() + d.evicted.len());
            self.action_failed(description, format!("drain did not complete within {timeout}: {left} pod(s) left"));
            return;
        }
        let pending = std::mem::take(&mut self.drains[i].to_evict);
        let mut refused = Vec::new();
        for p in pending {
            let result = if self.drains[i].options.disable_eviction {
                self.delete_pod(p, "Deleted", false);
                Ok(())
            } else {
                self.evict(p)
            };
            match result {
                Ok(()) => self.drains[i].evicted.push(p),
                Err(EvictionRefusal::TooManyRequests(message)) => {
                    let key = self.store.pod(p);
                    let (name, ns) = (key.meta.name.clone(), key.meta.namespace.clone());
                    self.store.journal.narrate(now, || {
                        format!("error when evicting pods/{name:?} -n {ns:?} (will retry after 5s): {message}")
                    });
                    refused.push(p);
                }
                Err(EvictionRefusal::Failed(message)) => {
                    let description = self.drains[i].description.clone();
                    let key = self.store.pod(p).meta.key();
                    self.action_failed(description, format!("error when evicting pod {key}: {message}"));
                }
            }
        }
        let all_gone = self.drains[i].evicted.iter().all(|&p| self.store.is_removed(p));
        self.drains[i].to_evict = refused;
        if self.drains[i].to_evict.is_empty() && all_gone {
            self.drains[i].finished = true;
            let node = self.drains[i].node.clone();
            self.store.journal.narrate(now, || format!("node/{node} drained"));
            return;
        }
        // Refused evictions are retried after 5 s; once all are accepted, the pods' deletion is
        // polled every second.
        let next = if self.drains[i].to_evict.is_empty() { POLL } else { RETRY };
        self.queue.schedule(now + next, Event::Drain(i as u32)).expect("future");
    }

    /// `kubectl rollout undo` (kubectl's `DeploymentRollbacker`): copies the pod template of
    /// the ReplicaSet with revision `to_revision` (default: the highest revision below the
    /// current one) into the Deployment, without its `pod-template-hash` label; the Deployment
    /// controller then rolls it out, and that ReplicaSet becomes the newest revision.
    fn rollback(&mut self, target: &crate::api::meta::ObjectRef, to_revision: Option<i64>) -> Result<(), String> {
        use crate::api::workload::{POD_TEMPLATE_HASH_LABEL, annotations::REVISION};
        let now = self.queue.now();
        let id = self.store.deployment_id(&target.namespace, &target.name).ok_or(format!("{target} not found"))?;
        let d = self.store.deployment(id).expect("live");
        if d.paused {
            return Err(format!(
                "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/{}' and try again",
                d.meta.name
            ));
        }
        let revisions: Vec<(i64, RsId)> = self
            .store
            .deployment_rs(id)
            .iter()
            .filter_map(|&rs| {
                let r = self.store.replica_set(rs)?;
                Some((r.meta.annotations.get(REVISION)?.parse::<i64>().ok()?, rs))
            })
            .collect();
        let rs = match to_revision {
            Some(want) => revisions
                .iter()
                .find(|(r, _)| *r == want)
                .map(|&(_, rs)| rs)
                .ok_or(format!("unable to find specified revision {want} in history"))?,
            None => {
                let mut sorted = revisions.clone();
                sorted.sort_unstable();
                match sorted.len() {
                    0 | 1 => return Err(format!("no rollout history found for deployment {:?}", d.meta.name)),
                    n => sorted[n - 2].1,
                }
            }
        };
        let rs_obj = self.store.replica_set(rs).expect("live");
        let revision = rs_obj.meta.annotations.get(REVISION).cloned().unwrap_or_default();
        let mut template = rs_obj.template.clone();
        template.labels.remove(POD_TEMPLATE_HASH_LABEL);
        let key = d.meta.key();
        if crate::controllers::deployment::templates_equal_ignoring_hash(&template, &d.template) {
            self.store.journal.narrate(now, || {
                format!("deployment {key}: skipped rollback (current template already matches revision {revision})")
            });
            return Ok(());
        }
        self.store.set_deployment_template(now, id, template);
        self.store.journal.narrate(now, || format!("deployment {key} rolled back to revision {revision}"));
        Ok(())
    }

    /// `kubectl delete` with background propagation: the owner goes at once, the garbage
    /// collector deletes its dependents (pods terminate gracefully).
    fn delete_object(&mut self, r: &crate::api::meta::ObjectRef, description: &str) {
        let now = self.queue.now();
        let not_found = |sim: &mut Simulation| sim.action_failed(description.to_string(), format!("{r} not found"));
        match r.kind {
            Kind::Pod => match self.store.pod_id(&r.namespace, &r.name) {
                Some(p) => self.delete_pod(p, "Deleted", false),
                None => not_found(self),
            },
            Kind::ReplicaSet => match self.store.rs_id(&r.namespace, &r.name) {
                Some(rs) => self.delete_replica_set(rs),
                None => not_found(self),
            },
            Kind::Deployment => match self.store.deployment_id(&r.namespace, &r.name) {
                Some(d) => {
                    let owned: Vec<RsId> = self.store.deployment_rs(d).to_vec();
                    self.store.remove_deployment(now, d);
                    for rs in owned {
                        self.delete_replica_set(rs);
                    }
                }
                None => not_found(self),
            },
            Kind::Service => match self.store.service_id(&r.namespace, &r.name) {
                Some(s) => self.store.remove_service(now, s),
                None => not_found(self),
            },
            Kind::PriorityClass => {
                if crate::api::scheduling::SYSTEM_PRIORITY_CLASSES.iter().any(|(n, _)| *n == r.name) {
                    self.action_failed(
                        description.to_string(),
                        format!("priorityclasses.scheduling.k8s.io {:?} is forbidden: system priority class {} can not be deleted", r.name, r.name),
                    );
                } else if !self.store.remove_priority_class(now, &r.name) {
                    not_found(self);
                }
            }
            Kind::PodDisruptionBudget => match self.store.pdb_id(&r.namespace, &r.name) {
                Some(id) => self.store.remove_pdb(now, id),
                None => not_found(self),
            },
            Kind::Job => match self.store.job_id(&r.namespace, &r.name) {
                Some(id) => self.delete_job(id),
                None => not_found(self),
            },
            Kind::Ingress => match self.store.ingress_id(&r.namespace, &r.name) {
                Some(id) => self.store.remove_ingress(now, id),
                None => not_found(self),
            },
            Kind::HorizontalPodAutoscaler => match self.store.hpa_id(&r.namespace, &r.name) {
                Some(id) => self.store.remove_hpa(now, id),
                None => not_found(self),
            },
            Kind::ConfigMap | Kind::Secret => {
                let source = if r.kind == Kind::ConfigMap {
                    crate::api::pod::ConfigSource::ConfigMap
                } else {
                    crate::api::pod::ConfigSource::Secret
                };
                if !self.store.remove_config(now, source, &r.namespace, &r.name) {
                    not_found(self);
                }
            }
            Kind::Node | Kind::Namespace => {
                self.action_failed(description.to_string(), format!("deleting a {} is not simulated yet", r.kind));
            }
        }
    }

    fn delete_replica_set(&mut self, rs: RsId) {
        let now = self.queue.now();
        let pods: Vec<PodId> = self.store.rs_pods(rs).to_vec();
        self.store.remove_replica_set(now, rs);
        for p in pods {
            self.delete_pod(p, "GarbageCollected", false);
        }
    }

    // ----- checks -----

    fn decide(&mut self, i: usize, passed: bool, actual: String) {
        let now = self.queue.now();
        let check = &self.scenario.checks[i];
        let text = check.text.clone();
        self.store.journal.record(now, Record::Check { expect: text.clone(), passed, actual: actual.clone() });
        if !passed {
            let shown = actual.clone();
            self.store.journal.narrate(now, || format!("check FAILED: {text} (actual: {shown})"));
        }
        self.checks[i] = CheckState::Done(CheckResult { index: i, text, at: now, passed, actual });
    }

    fn evaluate_check(&mut self, i: usize) {
        if let CheckState::Done(_) = self.checks[i] {
            return;
        }
        let scenario = self.scenario.clone();
        let check = &scenario.checks[i];
        let now = self.queue.now();
        let (holds, actual) = self.observe(&check.expect);
        match check.when {
            CheckWhen::At(_) => self.decide(i, holds, actual),
            CheckWhen::Always { to, .. } => {
                if !holds {
                    self.decide(i, false, actual);
                } else if now >= to {
                    self.decide(i, true, actual);
                } else {
                    self.checks[i] = CheckState::Open { last_actual: actual };
                }
            }
            CheckWhen::Eventually { to, .. } => {
                if holds {
                    self.decide(i, true, actual);
                } else if now >= to {
                    self.decide(i, false, actual);
                } else {
                    self.checks[i] = CheckState::Open { last_actual: actual };
                }
            }
        }
    }

    fn evaluate_windows(&mut self) {
        let now = self.queue.now();
        for i in 0..self.checks.len() {
            let open = match (&self.scenario.checks[i].when, &self.checks[i]) {
                (
                    CheckWhen::Always { from, to } | CheckWhen::Eventually { from, to },
                    CheckState::Pending | CheckState::Open { .. },
                ) => *from <= now && now <= *to,
                _ => false,
            };
            if open {
                self.evaluate_check(i);
            }
        }
    }

    /// The current value of an expectation's field and whether the expectation holds.
    fn observe(&self, e: &Expectation) -> (bool, String) {
        let now = self.queue.now();
        match crate::metrics::field_value(&self.store, &self.traffic, now, &e.target, &e.field) {
            Some(actual) => (evaluate(&actual, e.op, &e.value), actual.to_string()),
            None => {
                // A missing object has only `exists`.
                let missing = CheckValue::Word("False".into());
                if e.field == "exists" {
                    (evaluate(&missing, e.op, &e.value), "False".into())
                } else {
                    let what = match &e.target {
                        Target::Object(r) => r.to_string(),
                        Target::Cluster => "cluster".into(),
                    };
                    (false, format!("{what} not found"))
                }
            }
        }
    }

    // ----- invariants -----

    /// No node over-committed by the scheduler; every live bound pod on exactly one node's
    /// list; the scheduler's node views agree with the store.
    pub fn check_invariants(&self) -> Result<(), String> {
        let store = &self.store;
        let mut seen = vec![0u8; store.pod_count()];
        for node in store.node_ids() {
            let mut requested = crate::api::resources::Resources::default();
            let mut count = 0u32;
            let mut direct = false;
            for &p in store.pods_on_node(node) {
                if store.is_removed(p) {
                    return Err(format!(
                        "removed pod {} still listed on node {}",
                        store.pod(p).meta.key(),
                        store.node(node).meta.name
                    ));
                }
                if store.pod(p).status.node != Some(node) {
                    return Err(format!(
                        "pod {} listed on node {} but bound elsewhere",
                        store.pod(p).meta.key(),
                        store.node(node).meta.name
                    ));
                }
                seen[p.index()] += 1;
                if store.pod(p).status.phase.is_terminal() {
                    // Terminal pods hold nothing (the scheduler's informer drops them).
                    continue;
                }
                requested.add(&store.pod(p).spec.requests);
                count += 1;
                direct |= !store.pod(p).spec.node_name.is_empty();
            }
            let info = &self.scheduler.cache()[node.index()];
            let holding: Vec<PodId> = store
                .pods_on_node(node)
                .iter()
                .copied()
                .filter(|&p| !store.pod(p).status.phase.is_terminal())
                .collect();
            if info.pods.len() != holding.len()
                || info
                    .pods
                    .iter()
                    .zip(&holding)
                    .any(|(v, &p)| v.id != p || v.terminating != store.pod(p).meta.is_terminating())
            {
                return Err(format!("scheduler's pod list of node {} differs from the store's", info.name));
            }
            if info.pod_count != count
                || info.requested.milli_cpu != requested.milli_cpu
                || info.requested.memory != requested.memory
            {
                return Err(format!(
                    "scheduler view of node {} ({} pods, {}m cpu) differs from the store ({} pods, {}m cpu)",
                    info.name, info.pod_count, info.requested.milli_cpu, count, requested.milli_cpu
                ));
            }
            // Pods bound with spec.nodeName bypass the scheduler and may over-commit (the
            // kubelet then rejects them); everything the scheduler placed must fit.
            let alloc = &store.node(node).allocatable_resources;
            if !direct
                && (requested.milli_cpu > alloc.milli_cpu
                    || requested.memory > alloc.memory
                    || i64::from(count) > alloc.allowed_pod_number
                    || requested.scalar.iter().any(|(n, v)| *v > alloc.scalar(n)))
            {
                return Err(format!(
                    "node {} is over-committed: {requested:?} > {alloc:?}",
                    store.node(node).meta.name
                ));
            }
        }
        for p in store.live_pods() {
            let bound = store.pod(p).status.node.is_some();
            if bound && seen[p.index()] != 1 {
                return Err(format!("bound pod {} appears on {} node lists", store.pod(p).meta.key(), seen[p.index()]));
            }
        }
        Ok(())
    }
}
