//! The engine: builds a world from a scenario and runs it.
//!
//! One step ([`Simulation::step`]):
//! 1. pop the next event (time, lane, seq) and advance the clock;
//! 2. hand it to the one component that owns it (scripted action, scheduler, a controller,
//!    a kubelet, the node lifecycle or taint eviction controller, the pod garbage collector,
//!    a check, a sample);
//! 3. drain the store's watch stream and route every change to the components that watch it
//!    (this may make more changes, drained in turn);
//! 4. make sure the scheduler and each controller with queued work have an event at the
//!    current instant;
//! 5. in test builds or with `check_invariants`, verify the invariants.
//!
//! Components never call each other; they change the store and schedule events.

mod node_faults;
mod pod_faults;

use std::sync::Arc;

use crate::api::meta::{Kind, ObjectMeta};
use crate::api::pod::{Pod, PodStatus};
use crate::controllers::daemonset::{self, DsAction};
use crate::controllers::deployment::{self, DeploymentAction};
use crate::controllers::disruption;
use crate::controllers::node_lifecycle::{LifecycleTimer, NodeLifecycle};
use crate::controllers::replicaset::{self, RsAction};
use crate::controllers::statefulset::{self, StsAction};
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
use crate::store::{
    Change, CronJobId, DeploymentId, DsId, HpaId, JobId, NodeId, OwnerId, PdbId, PodId, PodOwner, RsId, ServiceId,
    Store, StsId,
};

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
    /// The next failure, repair or crash of member `member` of `spec.faults[process]`.
    Fault {
        process: u32,
        member: u32,
    },
    /// The notice of a `removeNode` ran out: the machine goes and the Node object is deleted.
    NodeRemoval(NodeId),
    /// The pod garbage collector's pass that force-deletes the pods of deleted nodes whose
    /// quarantine has ended.
    PodGc,
    /// A control-plane component comes back or takes over its leader lease.
    ControlPlane(crate::control_plane::ControlPlaneTimer),
    /// The next pods of `spec.workload` arrive (one pending event at a time).
    Arrival,
}

/// A refusal of the Eviction API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvictionRefusal {
    /// 429 Too Many Requests: a PodDisruptionBudget forbids it now; retry later.
    TooManyRequests(String),
    /// Any other error (500: several budgets select the pod).
    Failed(String),
}

/// Work done by one controller (for people who benchmark reconciliation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ControllerStats {
    /// Syncs run (keys popped from its work queue; for the scheduler, scheduling cycles).
    pub reconciles: u64,
    /// API writes those syncs made (journal records: creations, updates, deletions, status).
    pub writes: u64,
}

/// A scripted change to a Deployment and how long the cluster took to converge on it: every
/// replica updated, ready and available, and no old pod left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Convergence {
    pub action: String,
    pub deployment: String,
    pub started: SimTime,
    pub converged: Option<SimTime>,
    /// A later change to the same Deployment came before this one converged.
    pub superseded: Option<SimTime>,
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
    /// Keep the whole narrative, not only its first 200 lines (teaching mode).
    pub full_narrative: bool,
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
    /// `cause` is the event that broke it, as the kernel saw it (`Scripted(2)`, `Kubelet { .. }`).
    Invariant { message: String, seed: u64, event: u64, at: SimTime, cause: String },
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
            RunError::Invariant { message, seed, event, at, cause } => {
                write!(
                    f,
                    "internal invariant broken at event {event} ({cause}, virtual time {at}, seed {seed}): {message}"
                )
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

/// Where an applied object comes from, as the failures name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ApplySource {
    /// `spec.manifests`, at the start.
    Manifest,
    /// `spec.workload`: an arrival. Its Jobs are archived once finished
    /// ([`Store::create_workload_job`]).
    Workload,
    /// An `apply` event.
    Apply,
}

impl std::fmt::Display for ApplySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ApplySource::Manifest => "manifest",
            ApplySource::Workload => "workload",
            ApplySource::Apply => "apply",
        })
    }
}

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
    /// Zone, partition, condition, removal and scale-out faults, and the pod garbage collector.
    node_faults: node_faults::NodeFaults,
    /// Owners being deleted in the foreground, in the order their deletion began.
    foreground: Vec<OwnerId>,
    /// Per controller (`controller_index`), then the scheduler last.
    controller_stats: [ControllerStats; 11],
    convergence: Vec<(DeploymentId, Convergence)>,
    /// Indexes into `convergence` of the records neither converged nor superseded yet.
    converging: Vec<usize>,
    /// The store's Deployments version when `converging` was last looked at, if nothing was
    /// added to it since: with no Deployment changed, no record can have converged.
    convergence_seen: Option<u64>,
    /// The load on Services (`spec.load`) and what each pod serves.
    traffic: crate::load::Traffic,
    /// Where the arrivals of `spec.workload` stand.
    arrivals: crate::workload::Arrivals,
    /// The stochastic fault processes (`spec.faults`) and the fault log.
    faults: crate::faults::Injector,
    /// Namespaces being deleted, in the order their deletion began, and whether a pod or claim
    /// went since they were last looked at.
    terminating_namespaces: Vec<String>,
    namespace_check: bool,
    availability: crate::availability::Availability,
    /// The HPA controller's flags and its in-memory state per HPA (by id; `None` once deleted),
    /// with the last warning narrated for it.
    hpa_config: crate::controllers::hpa::HpaControllerConfig,
    hpa_histories: Vec<Option<crate::controllers::hpa::HpaHistory>>,
    hpa_warnings: Vec<String>,
    /// Per Job: the time of the batched sync pod changes asked for (`syncJobBatchPeriod`).
    job_sync_at: crate::controllers::PendingAdds,
    cronjob_queue: WorkQueue<CronJobId>,
    /// Per CronJob: the time of the requeue waiting in the delaying queue, if any (a later
    /// request does not replace an earlier one).
    cronjob_sync_at: crate::controllers::PendingAdds,
    /// Per CronJob: the last event narrated, so that a repeated event is told once (the event
    /// recorder aggregates them).
    cronjob_last_event: Vec<Option<String>>,
    sts_queue: WorkQueue<StsId>,
    ds_queue: WorkQueue<DsId>,
    /// Per DaemonSet: the template generation and, per node, the `(shouldRun,
    /// shouldContinueRunning)` last computed — the "old node" a node update is compared with.
    ds_verdicts: Vec<(i64, Vec<(bool, bool)>)>,
    /// The PV controller's claims and volumes to sync.
    pv_queue: WorkQueue<crate::controllers::persistent_volume::VolumeKey>,
    /// Per claim: the time of its pending resync.
    pv_sync_at: crate::controllers::PendingAdds,
    /// Per claim: the last event narrated, so that a repeated event is told once.
    pvc_last_event: Vec<Option<String>>,
    reconcile_pending: [bool; 9],
    /// Per ReplicaSet: pod creations refused in a row (the work queue's rate limiter).
    rs_create_failures: Vec<u32>,
    /// The same for StatefulSets and DaemonSets.
    sts_create_failures: Vec<u32>,
    ds_create_failures: Vec<u32>,
    schedule_pending: bool,
    backoff_flush_at: Option<SimTime>,
    leftover_flush_at: Option<SimTime>,
    window_check_pending: Option<SimTime>,
    checks: Vec<CheckState>,
    recorder: Recorder,
    /// Keeps the sampled totals from the change stream (`sampler.rs`).
    sampler: crate::sampler::Sampler,
    events: u64,
    changes: Vec<Change>,
    finished: bool,
    /// Which control-plane components are down (`controlPlaneOutage`), and the `recoverNode`
    /// events waiting for the API to return.
    control_plane: crate::control_plane::ControlPlane,
    deferred_recoveries: Vec<u32>,
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

/// The HPA controller's slot in `controller_stats`, after the work-queue controllers' (its
/// syncs are timer-driven, one per HPA every sync period).
const HPA_STATS: usize = 9;
/// The scheduler's slot in `controller_stats`, after the controllers'.
const SCHEDULER_STATS: usize = 10;

fn controller_index(c: Controller) -> usize {
    match c {
        Controller::ReplicaSet => 0,
        Controller::Deployment => 1,
        Controller::Endpoints => 2,
        Controller::Disruption => 3,
        Controller::Job => 4,
        Controller::CronJob => 5,
        Controller::StatefulSet => 6,
        Controller::DaemonSet => 7,
        Controller::PersistentVolume => 8,
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
            store: Store::new({
                let mut journal = Journal::new(options.trace_events);
                if options.full_narrative {
                    journal.keep_full_narrative();
                }
                journal
            }),
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
            node_faults: node_faults::NodeFaults::default(),
            foreground: Vec::new(),
            controller_stats: [ControllerStats::default(); 11],
            convergence: Vec::new(),
            converging: Vec::new(),
            convergence_seen: None,
            job_sync_at: Default::default(),
            cronjob_queue: WorkQueue::default(),
            cronjob_sync_at: Default::default(),
            cronjob_last_event: Vec::new(),
            sts_queue: WorkQueue::default(),
            ds_queue: WorkQueue::default(),
            ds_verdicts: Vec::new(),
            pv_queue: WorkQueue::default(),
            pv_sync_at: Default::default(),
            pvc_last_event: Vec::new(),
            reconcile_pending: [false; 9],
            traffic: crate::load::Traffic::new(&scenario.load),
            arrivals: crate::workload::Arrivals::default(),
            faults: crate::faults::Injector::new(&scenario.faults),
            terminating_namespaces: Vec::new(),
            namespace_check: false,
            availability: crate::availability::Availability::default(),
            hpa_config: crate::controllers::hpa::HpaControllerConfig::default(),
            hpa_histories: Vec::new(),
            hpa_warnings: Vec::new(),
            rs_create_failures: Vec::new(),
            sts_create_failures: Vec::new(),
            ds_create_failures: Vec::new(),
            schedule_pending: false,
            backoff_flush_at: None,
            leftover_flush_at: None,
            window_check_pending: None,
            checks: vec![CheckState::Pending; scenario.checks.len()],
            recorder: Recorder::new(sample_interval_for(&scenario, until)),
            sampler: crate::sampler::Sampler::new(),
            events: 0,
            changes: Vec::new(),
            finished: false,
            control_plane: Default::default(),
            deferred_recoveries: Vec::new(),
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
            sim.apply_object(&m.object, ApplySource::Manifest);
            if let Object::Deployment(d) = &m.object
                && let Some(id) = sim.store.deployment_id(&d.meta.namespace, &d.meta.name)
            {
                sim.watch_convergence(id, &format!("create {}", m.object.describe()));
            }
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
        for (process, member, at) in sim.faults.start(&sim.store, &sim.streams) {
            if at <= until {
                sim.queue.schedule(at, Event::Fault { process, member }).expect("future");
            }
        }
        let gpu_capacity_milli: i64 = sim
            .store
            .live_nodes()
            .flat_map(|n| &n.allocatable_resources.scalar)
            .filter(|(name, _)| &**name == crate::api::resources::gpu::DEVICES)
            .map(|(_, v)| v.saturating_mul(1000))
            .sum();
        sim.arrivals = crate::workload::Arrivals::new(
            &scenario.workloads,
            &sim.streams,
            u64::try_from(gpu_capacity_milli).unwrap_or(0),
        );
        if let Some(at) = sim.arrivals.next_time(&scenario.workloads)
            && at <= until
        {
            sim.queue.schedule(at, Event::Arrival).expect("future");
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

    /// Every fault injected so far (`faults.csv`).
    pub fn fault_log(&self) -> &[crate::faults::FaultRecord] {
        self.faults.log()
    }

    /// The availability and recovery metrics so far.
    pub fn availability(&self) -> &crate::availability::Availability {
        &self.availability
    }

    /// Requests a loaded Service (`namespace/name`) dropped so far, in thousandths; `None` for
    /// a Service without load.
    pub fn dropped_requests_milli(&self, service: &str) -> Option<u64> {
        let (ns, name) = service.split_once('/')?;
        let s = self.traffic.service(ns, name)?;
        Some(self.traffic.totals(s, self.now()).dropped_milli)
    }

    pub fn digest(&self) -> String {
        self.store.journal.digest_hex()
    }

    pub fn journal(&self) -> &Journal {
        &self.store.journal
    }

    /// The traced scheduling attempts so far, as `decisions.jsonl` lines (not taken).
    pub fn decisions(&self) -> &[String] {
        self.scheduler.decisions()
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
        if !self.foreground.is_empty() {
            self.collect_foreground();
            self.settle();
        }
        self.observe_convergence();
        self.finish_namespace_deletions();
        self.availability.end_step(self.queue.now(), &self.store, self.faults.log_mut());
        self.schedule_terminated_gc();
        self.check_plugin_failure()?;
        if self.options.check_invariants
            && let Err(message) = self.check_invariants()
        {
            return Err(RunError::Invariant {
                message,
                seed: self.seed,
                event: self.events,
                at: self.queue.now(),
                cause: format!("{event:?}"),
            });
        }
        Ok(true)
    }

    /// Per controller: syncs run and API writes made, in a fixed order (`replicaset`,
    /// `deployment`, `endpoints`, `disruption`, `job`, `cronjob`, `statefulset`, `daemonset`,
    /// `persistentvolume`, `horizontalpodautoscaler`, `scheduler`).
    pub fn controller_stats(&self) -> Vec<(&'static str, ControllerStats)> {
        let names = [
            "replicaset",
            "deployment",
            "endpoints",
            "disruption",
            "job",
            "cronjob",
            "statefulset",
            "daemonset",
            "persistentvolume",
            "horizontalpodautoscaler",
            "scheduler",
        ];
        names.into_iter().zip(self.controller_stats).collect()
    }

    /// The scripted Deployment changes and when the cluster converged on each.
    pub fn convergence(&self) -> Vec<Convergence> {
        self.convergence.iter().map(|(_, c)| c.clone()).collect()
    }

    /// Marks the Deployment changes that have converged now.
    fn observe_convergence(&mut self) {
        let version = self.store.deployments_version();
        if self.convergence_seen == Some(version) {
            return;
        }
        self.convergence_seen = Some(version);
        let now = self.queue.now();
        let records = &mut self.convergence;
        self.converging.retain(|&i| records[i].1.converged.is_none() && records[i].1.superseded.is_none());
        for &i in &self.converging {
            let (id, c) = &mut records[i];
            let Some(d) = self.store.deployment(*id) else { continue };
            let s = &d.status;
            let done = s.observed_generation >= d.meta.generation
                && s.replicas == d.replicas
                && s.updated_replicas == d.replicas
                && s.ready_replicas == d.replicas
                && s.available_replicas == d.replicas;
            if done {
                c.converged = Some(now);
            }
        }
    }

    /// Starts timing the convergence of a scripted change to Deployment `id`.
    fn watch_convergence(&mut self, id: DeploymentId, action: &str) {
        let now = self.queue.now();
        let Some(d) = self.store.deployment(id) else { return };
        let c = Convergence {
            action: action.to_string(),
            deployment: d.meta.key(),
            started: now,
            converged: None,
            superseded: None,
        };
        for (other, earlier) in &mut self.convergence {
            if *other == id && earlier.converged.is_none() && earlier.superseded.is_none() {
                earlier.superseded = Some(now);
            }
        }
        self.converging.push(self.convergence.len());
        self.convergence.push((id, c));
        self.convergence_seen = None;
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

    /// The next sample: one interval on, or at `until` for the last, shorter interval.
    fn schedule_next_sample(&mut self, now: SimTime) {
        let next = now + self.recorder.interval;
        if next <= self.until {
            self.queue.schedule_in(next, Lane::Observer, Event::Sample).expect("future");
        } else if now < self.until {
            self.queue.schedule_in(self.until, Lane::Observer, Event::Sample).expect("future");
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
                // Every state change writes a journal record: when none was written since the
                // last sample, the state is the same and so is everything sampled from it.
                // Nothing journaled and the same traffic: a row like the last one, recorded
                // without building it (a long trace's rows are mostly these). Test builds
                // build it anyway and compare.
                let writes = self.store.journal.record_count();
                let services = self.traffic.services();
                let repeat = self.recorder.last().is_some_and(|last| {
                    last.api_writes_total == writes
                        && last.traffic.len() == services.len()
                        && last.traffic.iter().zip(services).all(|(&t, s)| t == (s.offered, s.served, s.dropped))
                });
                if repeat {
                    if cfg!(debug_assertions) {
                        let mut fresh = Sample::take(now, &self.store);
                        fresh.gpu = crate::metrics::gpu_fragmentation(&self.store, self.scheduler.cache());
                        fresh.traffic = services.iter().map(|s| (s.offered, s.served, s.dropped)).collect();
                        let last = self.recorder.last().expect("a last sample");
                        assert_eq!(Sample { time: last.time, ..fresh }, *last, "repeated sample at {now}");
                    }
                    if self.recorder.repeat_last(now) {
                        self.schedule_next_sample(now);
                        return;
                    }
                }
                let unchanged = self.recorder.last().filter(|last| last.api_writes_total == writes);
                let fresh = || {
                    let mut s = Sample::take(now, &self.store);
                    s.gpu = crate::metrics::gpu_fragmentation(&self.store, self.scheduler.cache());
                    s
                };
                let mut sample = match unchanged {
                    Some(last) => {
                        let reused = Sample { time: now, ..last.clone() };
                        // Test builds check the premise: nothing sampled changed unjournaled.
                        debug_assert_eq!(Sample { traffic: Vec::new(), ..reused.clone() }, fresh());
                        reused
                    }
                    None => {
                        let s = self.sampler.sample(now, &self.store, self.scheduler.cache());
                        // Test builds check the incremental totals against the definition.
                        debug_assert_eq!(s, fresh(), "incremental sample at {now}");
                        s
                    }
                };
                sample.traffic = self.traffic.services().iter().map(|s| (s.offered, s.served, s.dropped)).collect();
                self.recorder.push(sample);
                self.schedule_next_sample(now);
            }
            Event::ScheduleOne if !self.control_plane.scheduler_works() => self.schedule_pending = false,
            Event::ScheduleOne => {
                self.schedule_pending = false;
                let before = self.store.journal.record_count();
                if self.scheduler.schedule_one(&mut self.store, now).is_some() {
                    let stats = &mut self.controller_stats[SCHEDULER_STATS];
                    stats.reconciles += 1;
                    stats.writes += self.store.journal.record_count() - before;
                }
            }
            Event::SchedulerFlushBackoff => {
                self.backoff_flush_at = None;
                self.scheduler.queue.flush_backoff(now);
            }
            Event::SchedulerFlushLeftover => {
                self.leftover_flush_at = None;
                self.scheduler.queue.flush_unschedulable_leftover(now);
            }
            Event::Reconcile(c) if !self.controller_works(c) => self.reconcile_pending[controller_index(c)] = false,
            Event::Reconcile(c) => {
                self.reconcile_pending[controller_index(c)] = false;
                let before = self.store.journal.record_count();
                self.reconcile(c);
                let stats = &mut self.controller_stats[controller_index(c)];
                stats.reconciles += 1;
                stats.writes += self.store.journal.record_count() - before;
            }
            Event::Requeue(c, key) => match c {
                Controller::ReplicaSet => self.rs_queue.add(RsId(key)),
                Controller::Deployment => self.deployment_queue.add(DeploymentId(key)),
                Controller::Endpoints => self.endpoints_queue.add(ServiceId(key)),
                Controller::Disruption => self.disruption_queue.add(PdbId(key)),
                Controller::Job => {
                    let id = JobId(key);
                    self.job_sync_at.fire(id.index(), now);
                    self.job_queue.add(id);
                }
                Controller::CronJob => {
                    let id = CronJobId(key);
                    if self.cronjob_sync_at.fire(id.index(), now) {
                        self.cronjob_queue.add(id);
                    }
                }
                Controller::StatefulSet => self.sts_queue.add(StsId(key)),
                Controller::DaemonSet => self.ds_queue.add(DsId(key)),
                Controller::PersistentVolume => {
                    let id = crate::store::PvcId(key);
                    if self.pv_sync_at.fire(id.index(), now) {
                        self.pv_queue.add(crate::controllers::persistent_volume::VolumeKey::Claim(id));
                    }
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
                // While the controller manager is away its evictions do not happen; it times
                // them anew when it is back.
                if self.taint_eviction.fire(pod) && !self.store.is_removed(pod) && self.control_plane.controllers_work()
                {
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
            Event::Drain(i) if self.api_down() => {
                let d = &mut self.drains[i as usize];
                if !d.finished {
                    d.finished = true;
                    let description = d.description.clone();
                    self.action_failed(description, pod_faults::API_REFUSED.into());
                }
            }
            Event::Drain(i) => self.drain_step(i as usize),
            Event::Fault { process, member } => self.fault_event(process, member),
            Event::NodeRemoval(node) => self.notice_expired(node),
            Event::PodGc => self.pod_gc_pass(),
            Event::Arrival => self.arrival(),
            // While the controller manager is away no HPA syncs; it starts them anew when back.
            Event::HpaSync(_) if !self.control_plane.controllers_work() => {}
            Event::HpaSync(id) => {
                let before = self.store.journal.record_count();
                if self.hpa_sync(id) {
                    let stats = &mut self.controller_stats[HPA_STATS];
                    stats.reconciles += 1;
                    stats.writes += self.store.journal.record_count() - before;
                }
            }
            Event::ControlPlane(timer) => self.on_control_plane_timer(timer),
            Event::LoadTick => {
                self.traffic.update(&self.store, now);
                self.memory_load_changed();
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
        self.store.release_removed();
        let now = self.queue.now();
        // The load follows the end state of the changes (a pod's readiness, a Service, an
        // Ingress) at once: kube-proxy programming takes no time.
        if self.traffic.needs_update(now) {
            self.traffic.update(&self.store, now);
            // Kubelets re-plan OOM kills (as timers: nothing changes in the store here).
            self.memory_load_changed();
        }
        if self.scheduler.has_work() && !self.schedule_pending && self.control_plane.scheduler_works() {
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
            (Controller::CronJob, self.cronjob_queue.is_empty()),
            (Controller::StatefulSet, self.sts_queue.is_empty()),
            (Controller::DaemonSet, self.ds_queue.is_empty()),
            (Controller::PersistentVolume, self.pv_queue.is_empty()),
        ] {
            let i = controller_index(c);
            if !empty && !self.reconcile_pending[i] && self.controller_works(c) {
                self.reconcile_pending[i] = true;
                self.queue.schedule(now, Event::Reconcile(c)).expect("now");
            }
        }
    }

    /// Routes one store change to the components that watch it.
    fn dispatch(&mut self, change: Change) {
        let now = self.queue.now();
        self.scheduler.on_change(&self.store, change, now);
        self.sampler.note(&self.store, change);
        self.availability.on_change(&self.store, change, now);
        if matches!(change, Change::PodRemoved(_) | Change::PvcRemoved(_)) && !self.terminating_namespaces.is_empty() {
            self.namespace_check = true;
        }
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
                self.route_node_to_daemonsets(node, true);
            }
            Change::NodeUpdated(node) if self.store.is_node_removed(node) => {}
            Change::NodeUpdated(node) => {
                let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                self.lifecycle.node_updated(&mut ctx, node);
                if self.control_plane.controllers_work() {
                    self.taint_eviction.node_updated(&mut ctx, node);
                }
                self.route_node_to_daemonsets(node, false);
            }
            // The DaemonSet controller has no node delete handler: it hears of the deletion
            // when the pod garbage collector deletes the node's daemon pod.
            Change::NodeRemoved(_) => {}
            Change::PodCreated(pod) => {
                self.enqueue_pod_watchers(pod);
            }
            Change::PodBound(pod) => {
                let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                self.kubelets.pod_bound(&mut ctx, pod);
                if self.control_plane.controllers_work() {
                    self.taint_eviction.process_pod(&mut ctx, pod);
                }
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
                self.release_claims(pod);
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
            Change::DeploymentRemoved(_) | Change::ServiceRemoved(_) | Change::Endpoints(_) => {}
            Change::Service(s) => self.endpoints_queue.add(s),
            Change::Pdb(id) => self.disruption_queue.add(id),
            Change::PdbRemoved(_) => {}
            // `updateJob` enqueues at once (status updates included); the CronJob controller's
            // `addJob` / `updateJob` / `deleteJob` enqueue the Job's CronJob.
            Change::Job(id) => {
                self.job_queue.add(id);
                self.enqueue_job_cronjob(id);
            }
            Change::JobRemoved(id) => self.enqueue_job_cronjob(id),
            // `updateCronJob`: at once, unless the schedule changed.
            Change::CronJob(id) => self.cronjob_queue.add(id),
            Change::CronJobRescheduled(id) => {
                if let Some(at) =
                    crate::controllers::cronjob::rescheduled_sync(&self.store, now, self.scenario.start_time, id)
                {
                    self.cronjob_requeue(id, at);
                }
            }
            Change::CronJobRemoved(_) => {}
            Change::StatefulSet(id) => self.sts_queue.add(id),
            Change::DaemonSet(id) => {
                self.refresh_ds_verdicts(id);
                self.ds_queue.add(id);
            }
            Change::StatefulSetRemoved(_) | Change::DaemonSetRemoved(_) => {}
            Change::Pvc(id) => self.pv_queue.add(crate::controllers::persistent_volume::VolumeKey::Claim(id)),
            Change::PvcRemoved(id) => {
                // `deleteClaim`: the volume bound to the claim syncs (and is reclaimed).
                let (namespace, name) = self.store.pvc_key(id);
                let volumes: Vec<crate::store::PvId> = self
                    .store
                    .pv_ids()
                    .filter(|&v| {
                        self.store
                            .pv_by_id(v)
                            .and_then(|pv| pv.claim_ref.as_ref())
                            .is_some_and(|r| r.namespace == namespace && r.name == name)
                    })
                    .collect();
                for v in volumes {
                    self.pv_queue.add(crate::controllers::persistent_volume::VolumeKey::Volume(v));
                }
            }
            Change::Pv(id) => self.pv_queue.add(crate::controllers::persistent_volume::VolumeKey::Volume(id)),
            Change::PvRemoved(_) | Change::StorageClassAdded { .. } | Change::StorageClassUpdated { .. } => {}
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
                    if !self.control_plane.controllers_work() {
                        // Synced when the controller manager is back.
                        return;
                    }
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

    /// A Job changed: the CronJob that created it, if it still exists, looks again.
    fn enqueue_job_cronjob(&mut self, job: JobId) {
        if let Some(cronjob) = self.store.job_cronjob(job)
            && self.store.cronjob(cronjob).is_some()
        {
            self.cronjob_queue.add(cronjob);
        }
    }

    /// The CronJob work queue's `AddAfter`: sync CronJob `id` at `at`, unless a sync at or
    /// before `at` is already waiting.
    fn cronjob_requeue(&mut self, id: CronJobId, at: SimTime) {
        let now = self.queue.now();
        if let Some(at) = self.cronjob_sync_at.add_after(id.index(), now, at) {
            self.queue.schedule(at, Event::Requeue(Controller::CronJob, id.0)).expect("future");
        }
    }

    /// The DaemonSet controller's node handlers: a new node enqueues every DaemonSet that
    /// should run on it (`addNode`); an updated node enqueues every DaemonSet whose
    /// `(shouldRun, shouldContinueRunning)` for it changed (`updateNode`).
    fn route_node_to_daemonsets(&mut self, node: NodeId, added: bool) {
        let ids: Vec<DsId> = self.store.daemonset_ids().collect();
        for id in ids {
            self.refresh_ds_verdicts(id);
            let ds = self.store.daemonset(id).expect("live id");
            let verdict = crate::api::daemonset::Eligibility::new(&ds.template.spec).verdict(self.store.node(node));
            let cache = &mut self.ds_verdicts[id.index()].1;
            if cache.len() <= node.index() {
                cache.resize(node.index() + 1, (false, false));
            }
            let old = std::mem::replace(&mut cache[node.index()], verdict);
            if (added && verdict.0) || (!added && old != verdict) {
                self.ds_queue.add(id);
            }
        }
    }

    /// Recomputes a DaemonSet's cached node verdicts when its template changed.
    fn refresh_ds_verdicts(&mut self, id: DsId) {
        let Some(ds) = self.store.daemonset(id) else { return };
        if self.ds_verdicts.len() <= id.index() {
            self.ds_verdicts.resize(id.index() + 1, (0, Vec::new()));
        }
        if self.ds_verdicts[id.index()].0 == ds.template_generation {
            return;
        }
        let eligibility = crate::api::daemonset::Eligibility::new(&ds.template.spec);
        let verdicts = self.store.nodes().iter().map(|n| eligibility.verdict(n)).collect();
        self.ds_verdicts[id.index()] = (ds.template_generation, verdicts);
    }

    /// A pod is gone: the claims the garbage collector deletes with it (a StatefulSet's claims
    /// owned by the pod, `whenScaled: Delete`) and the claims being deleted that no other pod
    /// uses any more (the `pvc-protection` finalizer) go too.
    fn release_claims(&mut self, pod: PodId) {
        let now = self.queue.now();
        let p = self.store.pod(pod);
        if p.spec.claims.is_empty() {
            return;
        }
        let (namespace, name) = (p.meta.namespace.clone(), p.meta.name.clone());
        let names: Vec<String> = p.spec.claims.iter().map(|c| c.claim_name.clone()).collect();
        let recreated = self.store.pod_id(&namespace, &name).is_some();
        let doomed: Vec<String> = names
            .into_iter()
            .filter(|claim| {
                self.store.pvc(&namespace, claim).is_some_and(|c| {
                    (c.owned_by_pod && !recreated && c.pod_name().as_deref() == Some(name.as_str()))
                        || (c.deleting && !self.store.claim_in_use(&namespace, claim))
                })
            })
            .collect();
        for claim in doomed {
            self.store.remove_pvc(now, &namespace, &claim);
        }
    }

    /// A pod of Job `id` changed: sync the Job after `syncJobBatchPeriod`, once per batch.
    fn enqueue_job_batched(&mut self, id: JobId) {
        let now = self.queue.now();
        let at = now + crate::controllers::job::SYNC_BATCH_PERIOD;
        if let Some(at) = self.job_sync_at.add_after(id.index(), now, at) {
            self.queue.schedule(at, Event::Requeue(Controller::Job, id.0)).expect("future");
        }
    }

    /// A pod changed: its ReplicaSet, the Services and the PodDisruptionBudgets selecting it
    /// look again.
    fn enqueue_pod_watchers(&mut self, pod: PodId) {
        match self.store.pod_owner(pod) {
            Some(PodOwner::ReplicaSet(rs)) => self.rs_queue.add(rs),
            Some(PodOwner::Job(job)) => self.enqueue_job_batched(job),
            Some(PodOwner::StatefulSet(sts)) => self.sts_queue.add(sts),
            Some(PodOwner::DaemonSet(ds)) => {
                self.ds_queue.add(ds);
                // `updatePod`: a pod that just became Ready syncs its DaemonSet again
                // minReadySeconds (plus a second against clock skew) later.
                let now = self.queue.now();
                let mrs = self.store.daemonset(ds).map_or(0, |d| d.min_ready_seconds);
                if mrs > 0 && self.store.pod(pod).status.ready_since == Some(now) && !self.store.is_removed(pod) {
                    let at = now + SimDuration::from_secs(mrs as u64 + 1);
                    self.queue.schedule(at, Event::Requeue(Controller::DaemonSet, ds.0)).expect("future");
                }
            }
            None => {}
        }
        let p = self.store.pod(pod);
        for s in self.store.services_selecting(&p.meta.namespace, &p.meta.labels) {
            let service = self.store.service(s).expect("live id");
            if service.meta.namespace == p.meta.namespace && service.selector.matches(&p.meta.labels) {
                self.endpoints_queue.add(s);
            }
        }
        // Every matching budget (kube-controller-manager enqueues only the first it lists).
        for id in self.store.pdbs_selecting(&p.meta.namespace, &p.meta.labels) {
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
            Controller::StatefulSet => {
                let Some(id) = self.sts_queue.pop() else { return };
                let mut creating = true;
                for action in statefulset::reconcile(&self.store, now, id) {
                    match action {
                        StsAction::PutRevision(r) => self.store.put_sts_revision(now, id, *r),
                        StsAction::DeleteRevisions(names) => self.store.delete_sts_revisions(now, id, &names),
                        StsAction::CreatePod { ordinal, revision, template } => {
                            // After a refused creation the sync ends with an error (the rest of
                            // its creations wait for the retry).
                            creating = creating && self.create_sts_pod(id, ordinal, &revision, &template);
                        }
                        StsAction::CreateClaims(ordinal) => self.create_sts_claims(id, ordinal),
                        StsAction::DeletePod(p, reason) => {
                            if let Some(set) = self.store.statefulset(id) {
                                let (key, name) = (set.meta.key(), self.store.pod(p).meta.name.clone());
                                self.store
                                    .journal
                                    .narrate(now, || format!("statefulset {key} deletes pod {name} ({reason})"));
                            }
                            self.delete_pod(p, reason, false);
                        }
                        StsAction::SetClaimsOwnedByPod(ordinal, owned) => {
                            let Some(set) = self.store.statefulset(id) else { continue };
                            let namespace = set.meta.namespace.clone();
                            let claims: Vec<String> =
                                set.volume_claim_templates.iter().map(|t| set.claim_name(&t.name, ordinal)).collect();
                            for claim in claims {
                                self.store.set_pvc_owned_by_pod(now, &namespace, &claim, owned);
                            }
                        }
                        StsAction::SetStatus(status) => {
                            self.store.set_statefulset_status(id, *status);
                        }
                        StsAction::RequeueAt(at) => {
                            self.queue
                                .schedule(at.max(now), Event::Requeue(Controller::StatefulSet, id.0))
                                .expect("future");
                        }
                    }
                }
            }
            Controller::DaemonSet => {
                let Some(id) = self.ds_queue.pop() else { return };
                for action in daemonset::reconcile(&self.store, now, id) {
                    match action {
                        DsAction::CreatePods(nodes) => self.create_ds_pods(id, &nodes),
                        DsAction::DeletePods(pods) => {
                            // One line per pod, or one for a batch (a rolling update of many nodes).
                            if let Some(ds) = self.store.daemonset(id) {
                                let key = ds.meta.key();
                                if pods.len() <= 3 {
                                    for &(p, reason) in &pods {
                                        let pod = self.store.pod(p);
                                        let name = pod.meta.name.clone();
                                        let node = pod.status.node.map(|n| self.store.node(n).meta.name.clone());
                                        let on = node.map(|n| format!(" on node {n}")).unwrap_or_default();
                                        self.store.journal.narrate(now, || {
                                            format!("daemonset {key} deletes pod {name}{on} ({reason})")
                                        });
                                    }
                                } else {
                                    let mut reasons: Vec<&str> = pods.iter().map(|p| p.1).collect();
                                    reasons.sort_unstable();
                                    reasons.dedup();
                                    let (n, why) = (pods.len(), reasons.join(", "));
                                    self.store
                                        .journal
                                        .narrate(now, || format!("daemonset {key} deletes {n} pods ({why})"));
                                }
                            }
                            for (p, reason) in pods {
                                self.delete_pod(p, reason, false);
                            }
                        }
                        DsAction::SetBackoff(backoff) => self.store.set_ds_backoff(id, *backoff),
                        DsAction::SetStatus(status) => {
                            self.store.set_daemonset_status(id, *status);
                        }
                        DsAction::RequeueAt(at) => {
                            self.queue
                                .schedule(at.max(now), Event::Requeue(Controller::DaemonSet, id.0))
                                .expect("future");
                        }
                    }
                }
            }
            Controller::PersistentVolume => {
                use crate::controllers::persistent_volume::{self as pv, VolumeKey};
                let Some(key) = self.pv_queue.pop() else { return };
                let actions = match key {
                    VolumeKey::Claim(id) => pv::sync_claim(&self.store, now, &self.streams, id),
                    VolumeKey::Volume(id) => pv::sync_volume(&self.store, id),
                };
                for action in actions {
                    self.apply_pv_action(action);
                }
            }
            Controller::CronJob => {
                use crate::controllers::cronjob::{self, CronJobAction};
                let Some(id) = self.cronjob_queue.pop() else { return };
                for action in cronjob::reconcile(&self.store, now, self.scenario.start_time, id) {
                    match action {
                        CronJobAction::DeleteJob(job) => self.delete_job(job),
                        CronJobAction::CreateJob { job, scheduled, status } => {
                            self.create_cronjob_job(id, *job, scheduled, *status)
                        }
                        CronJobAction::SetStatus(status) => {
                            self.store.set_cronjob_status(id, *status);
                        }
                        CronJobAction::RequeueAt(at) => self.cronjob_requeue(id, at),
                        CronJobAction::Event { message, .. } => self.cronjob_event(id, message),
                    }
                }
            }
        }
    }

    /// Carries out one action of the PV controller.
    fn apply_pv_action(&mut self, action: crate::controllers::persistent_volume::PvAction) {
        use crate::controllers::persistent_volume::{PvAction, VolumeKey};
        let now = self.queue.now();
        match action {
            PvAction::AssignClass(id, class) => self.store.set_pvc_class(now, id, &class),
            PvAction::Bind(claim, volume) => {
                self.store.bind_claim(now, claim, volume);
                self.store.narrate_claim_binding(now, claim, false);
            }
            PvAction::Provision { claim, topology } => {
                if self.store.provision_volume(now, claim, &topology).is_some() {
                    self.store.narrate_claim_binding(now, claim, true);
                }
            }
            PvAction::SetClaimPhase(id, phase) => self.store.set_pvc_phase(now, id, phase),
            PvAction::SetVolumePhase(id, phase) => self.store.set_pv_phase(now, id, phase),
            PvAction::DeleteVolume(id) => {
                if let Some(v) = self.store.pv_by_id(id) {
                    let (name, policy) = (v.meta.name.clone(), v.reclaim_policy.as_str());
                    self.store
                        .journal
                        .narrate(now, || format!("persistentvolume {name} deleted (reclaim policy {policy})"));
                }
                self.store.remove_pv(now, id);
            }
            PvAction::SyncClaim(id) => self.pv_queue.add(VolumeKey::Claim(id)),
            PvAction::RequeueClaimAt(id, at) => {
                if let Some(at) = self.pv_sync_at.add_after(id.index(), now, at) {
                    self.queue.schedule(at, Event::Requeue(Controller::PersistentVolume, id.0)).expect("future");
                }
            }
            PvAction::ClaimEvent(id, message) => {
                if self.pvc_last_event.len() <= id.index() {
                    self.pvc_last_event.resize(id.index() + 1, None);
                }
                if self.pvc_last_event[id.index()].as_deref() == Some(message.as_str()) {
                    return;
                }
                self.pvc_last_event[id.index()] = Some(message.clone());
                let Some(c) = self.store.pvc_by_id(id) else { return };
                let key = c.key();
                self.store.journal.narrate(now, || format!("persistentvolumeclaim {key}: {message}"));
            }
        }
    }

    /// Creates the Job a CronJob's sync asked for, then records it in the CronJob's status.
    fn create_cronjob_job(
        &mut self,
        id: CronJobId,
        job: crate::api::batch::Job,
        scheduled: String,
        mut status: crate::api::batch::CronJobStatus,
    ) {
        let now = self.queue.now();
        if self.store.job_id(&job.meta.namespace, &job.meta.name).is_some() {
            let key = job.meta.key();
            self.action_failed(format!("cronjob create job {key}"), format!("jobs.batch {key:?} already exists"));
            return;
        }
        let job_id = self.store.create_cronjob_job(now, id, job, scheduled);
        let job = self.store.job(job_id).expect("just created");
        status.active.push(crate::api::batch::JobReference { name: job.meta.name.clone(), uid: job.meta.uid });
        self.store.set_cronjob_status(id, status);
    }

    /// Narrates a CronJob controller event, unless it repeats the CronJob's previous one.
    fn cronjob_event(&mut self, id: CronJobId, message: String) {
        let now = self.queue.now();
        let Some(cronjob) = self.store.cronjob(id) else { return };
        let key = cronjob.meta.key();
        if self.cronjob_last_event.len() <= id.index() {
            self.cronjob_last_event.resize(id.index() + 1, None);
        }
        if self.cronjob_last_event[id.index()].as_deref() == Some(message.as_str()) {
            return;
        }
        self.cronjob_last_event[id.index()] = Some(message.clone());
        self.store.journal.narrate(now, || format!("cronjob {key} {message}"));
    }

    /// Deletes a CronJob with background propagation: the CronJob goes at once, the garbage
    /// collector deletes its Jobs, and theirs pods in turn.
    fn delete_cronjob(&mut self, id: CronJobId) {
        let now = self.queue.now();
        let jobs: Vec<JobId> = self.store.cronjob_jobs(id).to_vec();
        self.store.remove_cronjob(now, id);
        for job in jobs {
            self.delete_job(job);
        }
    }

    /// Creates the missing claims of a StatefulSet's `ordinal`, named
    /// `<template>-<set>-<ordinal>` (`createPersistentVolumeClaims`), from its volume claim
    /// templates.
    fn create_sts_claims(&mut self, id: StsId, ordinal: i32) {
        let now = self.queue.now();
        let Some(set) = self.store.statefulset(id) else { return };
        let namespace = set.meta.namespace.clone();
        let missing: Vec<crate::api::storage::PersistentVolumeClaim> = set
            .volume_claim_templates
            .iter()
            .map(|t| set.claim_for(t, ordinal))
            .filter(|c| self.store.pvc(&namespace, &c.meta.name).is_none())
            .collect();
        for claim in missing {
            self.store.create_pvc(now, claim);
        }
    }

    /// Creates pod `<set>-<ordinal>` of a StatefulSet from `template` at `revision`, after its
    /// claims (`CreateStatefulPod`). Returns false if the creation was refused.
    fn create_sts_pod(
        &mut self,
        id: StsId,
        ordinal: i32,
        revision: &str,
        template: &crate::api::pod::PodTemplateSpec,
    ) -> bool {
        use crate::api::statefulset::labels;
        let now = self.queue.now();
        let Some(owner) = self.store.sts_owner_ref(id) else { return false };
        self.create_sts_claims(id, ordinal);
        let set = self.store.statefulset(id).expect("live");
        let (namespace, name, key) = (set.meta.namespace.clone(), set.pod_name(ordinal), set.meta.key());
        if self.store.pod_id(&namespace, &name).is_some() {
            self.action_failed(format!("statefulset {key} create pod"), format!("pods {name:?} already exists"));
            return false;
        }
        let mut meta = ObjectMeta {
            name: name.clone(),
            namespace,
            labels: template.labels.clone(),
            annotations: template.annotations.clone(),
            owner_references: vec![owner],
            ..ObjectMeta::default()
        };
        meta.labels.insert(labels::POD_NAME.to_string(), name.clone());
        meta.labels.insert(labels::POD_INDEX.to_string(), ordinal.to_string());
        meta.labels.insert(labels::CONTROLLER_REVISION_HASH.to_string(), revision.to_string());
        // `updateStorage`: the pod's volumes use the ordinal's claims.
        let spec = if set.volume_claim_templates.is_empty() {
            template.spec.clone()
        } else {
            let mut spec = crate::api::pod::PodSpec::clone(&template.spec);
            spec.claims = set.pod_claims(&template.spec.claims, ordinal);
            Arc::new(spec)
        };
        let pod = Pod { meta, spec, sim: template.sim.clone(), status: PodStatus::default() };
        match self.store.try_create_pod(now, pod, Some(PodOwner::StatefulSet(id))) {
            Ok(pod) => {
                if let Some(f) = self.sts_create_failures.get_mut(id.index()) {
                    *f = 0;
                }
                self.store.journal.narrate(now, || format!("statefulset {key} creates pod {name}"));
                self.bind_named_pod(pod);
                true
            }
            Err(reason) => {
                let message = format!("FailedCreate: pods {name:?} is forbidden: {reason}");
                let delay = Self::creation_backoff(&mut self.sts_create_failures, id.index());
                self.action_failed(format!("statefulset {key} create pod"), message);
                self.queue.schedule(now + delay, Event::Requeue(Controller::StatefulSet, id.0)).expect("future");
                false
            }
        }
    }

    /// Creates one daemon pod per node, named `<ds>-<5 random characters>`, pinned to its node
    /// with the daemon tolerations (`syncNodes`).
    fn create_ds_pods(&mut self, id: DsId, nodes: &[NodeId]) {
        use crate::api::daemonset::{TEMPLATE_GENERATION_LABEL, daemon_pod_spec, pin_to_node};
        use crate::api::statefulset::labels::CONTROLLER_REVISION_HASH;
        let now = self.queue.now();
        let Some(owner) = self.store.ds_owner_ref(id) else { return };
        let ds = self.store.daemonset(id).expect("live");
        let (template, namespace, ds_name, key) =
            (ds.template.clone(), ds.meta.namespace.clone(), ds.meta.name.clone(), ds.meta.key());
        let hash = daemonset::template_hash(ds);
        let generation = ds.template_generation;
        let base = daemon_pod_spec(&template.spec);
        let mut created: Vec<String> = Vec::new();
        for &node in nodes {
            let node_name = self.store.node(node).meta.name.clone();
            let name = self.generate_name(&namespace, &format!("{ds_name}-"));
            let mut meta = ObjectMeta {
                name: name.clone(),
                namespace: namespace.clone(),
                labels: template.labels.clone(),
                annotations: template.annotations.clone(),
                owner_references: vec![owner.clone()],
                ..ObjectMeta::default()
            };
            meta.labels.insert(CONTROLLER_REVISION_HASH.to_string(), hash.clone());
            meta.labels.insert(TEMPLATE_GENERATION_LABEL.to_string(), generation.to_string());
            let mut spec = base.clone();
            pin_to_node(&mut spec, &node_name);
            let pod = Pod { meta, spec: Arc::new(spec), sim: template.sim.clone(), status: PodStatus::default() };
            match self.store.try_create_pod(now, pod, Some(PodOwner::DaemonSet(id))) {
                Ok(pod) => {
                    if let Some(f) = self.ds_create_failures.get_mut(id.index()) {
                        *f = 0;
                    }
                    created.push(node_name);
                    self.bind_named_pod(pod);
                }
                Err(reason) => {
                    let message = format!("FailedCreate: pods \"{ds_name}-\" is forbidden: {reason}");
                    let delay = Self::creation_backoff(&mut self.ds_create_failures, id.index());
                    self.action_failed(format!("daemonset {key} create pod"), message);
                    self.queue.schedule(now + delay, Event::Requeue(Controller::DaemonSet, id.0)).expect("future");
                    break;
                }
            }
        }
        // One line per pod, or one for a batch (a DaemonSet starting on a large cluster).
        if created.len() <= 3 {
            for node in created {
                self.store.journal.narrate(now, || format!("daemonset {key} creates pod on node {node}"));
            }
        } else {
            let n = created.len();
            let first = created[..3].join(", ");
            self.store
                .journal
                .narrate(now, || format!("daemonset {key} creates {n} pods, one per node ({first}, ...)"));
        }
    }

    /// The work queue's per-item backoff after a failed sync: 5 ms doubling up to 1000 s,
    /// counted in `failures[index]` (reset by a successful creation).
    fn creation_backoff(failures: &mut Vec<u32>, index: usize) -> SimDuration {
        if failures.len() <= index {
            failures.resize(index + 1, 0);
        }
        let delay_ms = 5u64.saturating_mul(1u64 << failures[index].min(30)).min(1_000_000);
        failures[index] += 1;
        SimDuration::from_millis(delay_ms)
    }

    /// One sync of the HPA controller for `id` (`reconcileAutoscaler`), then the next one a
    /// sync period later: the pods' usage is the load model's at this instant.
    /// Returns whether a sync ran (the HPA still exists).
    fn hpa_sync(&mut self, id: HpaId) -> bool {
        use crate::controllers::hpa::{self, EventType, HpaAction, ScaleTarget};
        let now = self.queue.now();
        let Some(Some(history)) = self.hpa_histories.get_mut(id.index()) else { return false };
        let Some(hpa) = self.store.hpa(id) else { return false };
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
        self.memory_load_changed();
        self.queue.schedule(now + self.hpa_config.sync_period, Event::HpaSync(id)).expect("future");
        true
    }

    /// Sets a Job's status and narrates the conditions that became True.
    fn set_job_status(&mut self, id: JobId, status: crate::api::batch::JobStatus) {
        use crate::api::batch::JobConditionType as C;
        let now = self.queue.now();
        let Some(job) = self.store.job(id) else { return };
        // The lines borrow the Job, so they are written before they are narrated: only while
        // the narrative keeps lines (once full, it only counts them).
        let narrating = self.store.journal.narrating();
        let key = if narrating { job.meta.key() } else { String::new() };
        let lines: Vec<String> = status
            .conditions
            .iter()
            .filter(|c| {
                c.status == crate::api::meta::ConditionStatus::True
                    && job.status.condition(c.kind).is_none()
                    && matches!(c.kind, C::Complete | C::Failed | C::Suspended | C::FailureTarget)
            })
            .map(|c| {
                if narrating {
                    format!("job {key} {} ({}: {})", c.kind.as_str(), c.reason, c.message)
                } else {
                    String::new()
                }
            })
            .collect();
        let new_failures = status.failed - job.status.failed;
        let limit = job.spec.backoff_limit;
        for line in lines {
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
        let (mut template, mut labels, mut namespace, job_name) =
            (job.spec.template.clone(), job.pod_labels(), job.meta.namespace.clone(), job.meta.name.clone());
        let n = indexes.len();
        self.store
            .journal
            .narrate(now, || format!("job {} creates {n} pod(s)", crate::api::meta::key_of(&namespace, &job_name)));
        let mut owner = Some(owner);
        for (k, index) in indexes.iter().enumerate() {
            let prefix = match index {
                Some(i) => format!("{job_name}-{i}-"),
                None => format!("{job_name}-"),
            };
            let name = self.generate_name(&namespace, &prefix);
            // The last pod takes what the others copy (a one-pod Job copies nothing).
            let (owner, namespace, labels, annotations) = if k + 1 == n {
                let taken = (std::mem::take(&mut namespace), std::mem::take(&mut labels));
                (owner.take(), taken.0, taken.1, std::mem::take(&mut template.annotations))
            } else {
                (owner.clone(), namespace.clone(), labels.clone(), template.annotations.clone())
            };
            let mut meta = ObjectMeta {
                name,
                namespace,
                labels,
                annotations,
                owner_references: owner.into_iter().collect(),
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
                    let key = self.store.job(id).map(|j| j.meta.key()).unwrap_or_default();
                    self.action_failed(
                        format!("job {key} create pod"),
                        format!("FailedCreate: pods \"{prefix}\" is forbidden: {reason}"),
                    );
                    // The Job is synced again after the API error backoff (1 s).
                    self.queue
                        .schedule(now + SimDuration::from_secs(1), Event::Requeue(Controller::Job, id.0))
                        .expect("future");
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
            let mut name = String::with_capacity(prefix.len() + 5);
            name.push_str(prefix);
            name.extend((0..5).map(|_| ALPHABET[uniform_below(&mut rng, ALPHABET.len() as u64) as usize] as char));
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
    fn apply_object(&mut self, object: &Object, source: ApplySource) {
        let now = self.queue.now();
        let meta = object.meta();
        if object.kind().is_namespaced() && !self.store.namespace_exists(&meta.namespace) {
            self.action_failed(
                format!("{source} {}", object.describe()),
                format!("namespace {:?} not found", meta.namespace),
            );
            return;
        }
        // NamespaceLifecycle admission: nothing is written into a namespace being deleted.
        if object.kind().is_namespaced() && self.store.namespace_terminating(&meta.namespace) {
            self.action_failed(
                format!("{source} {}", object.describe()),
                format!(
                    "{} {:?} is forbidden: unable to create new content in namespace {} because it is being terminated",
                    object.kind().qualified_resource(),
                    meta.name,
                    meta.namespace
                ),
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
            Object::LimitRange(r) => self.store.put_limit_range(now, r.clone()),
            Object::ResourceQuota(q) => self.store.put_resource_quota(now, q.clone()),
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
            Object::StatefulSet(set) => match self.store.sts_id(&set.meta.namespace, &set.meta.name) {
                Some(id) => {
                    let existing = self.store.statefulset(id).expect("live");
                    if existing.forbidden_update(set).is_some() {
                        self.action_failed(
                            format!("{source} {}", object.describe()),
                            format!(
                                "StatefulSet.apps {:?} is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                                set.meta.name
                            ),
                        );
                        return;
                    }
                    self.store.update_statefulset_spec(now, id, set);
                }
                None => {
                    self.store.create_statefulset(now, set.clone());
                }
            },
            Object::DaemonSet(ds) => match self.store.ds_id(&ds.meta.namespace, &ds.meta.name) {
                Some(id) => {
                    let existing = self.store.daemonset(id).expect("live");
                    if existing.selector != ds.selector {
                        self.action_failed(
                            format!("{source} {}", object.describe()),
                            format!(
                                "DaemonSet.apps {:?} is invalid: spec.selector: Invalid value: {:?}: field is immutable",
                                ds.meta.name,
                                ds.selector.to_string()
                            ),
                        );
                        return;
                    }
                    self.store.update_daemonset_spec(now, id, ds);
                }
                None => {
                    self.store.create_daemonset(now, ds.clone());
                }
            },
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
                    let Some(existing) = self.store.job(id) else {
                        // A workload's finished Job, archived: its spec is not kept.
                        self.action_failed(
                            format!("{source} {}", object.describe()),
                            format!(
                                "Job.batch {:?} exists, finished, and kubesim archived it (a workload's arrival): \
                                 it keeps its status, not its spec, so it cannot be applied again; \
                                 give the manifest another name (docs/scenario.md, `spec.workload`)",
                                job.meta.name
                            ),
                        );
                        return;
                    };
                    if let Some(field) = crate::api::batch::immutable_change(existing, job) {
                        self.action_failed(
                            format!("{source} {}", object.describe()),
                            format!("Job.batch {:?} is invalid: {field}: field is immutable", job.meta.name),
                        );
                        return;
                    }
                    self.store.update_job_spec(id, job);
                }
                None if source == ApplySource::Workload => {
                    self.store.create_workload_job(now, job.clone());
                }
                None => {
                    self.store.create_job(now, job.clone());
                }
            },
            Object::CronJob(cronjob) => match self.store.cronjob_id(&cronjob.meta.namespace, &cronjob.meta.name) {
                Some(id) => {
                    self.store.update_cronjob_spec(now, id, cronjob);
                }
                None => {
                    self.store.create_cronjob(now, cronjob.clone());
                }
            },
            Object::PersistentVolumeClaim(claim) => match self.store.pvc_id(&claim.meta.namespace, &claim.meta.name) {
                Some(id) => {
                    let existing = self.store.pvc_by_id(id).expect("live");
                    // Compare with what admission and the controller made of the manifest.
                    let mut desired = claim.spec.clone();
                    if desired.storage_class_name.is_none() {
                        desired.storage_class_name = existing.spec.storage_class_name.clone();
                    }
                    if desired.volume_name.is_empty() {
                        desired.volume_name = existing.spec.volume_name.clone();
                    }
                    if desired != existing.spec {
                        self.action_failed(
                            format!("{source} {}", object.describe()),
                            format!(
                                "PersistentVolumeClaim {:?} is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
                                claim.meta.name
                            ),
                        );
                        return;
                    }
                    self.store.update_pvc_meta(id, claim);
                }
                None => {
                    self.store.create_pvc(now, claim.clone());
                }
            },
            Object::PersistentVolume(volume) => match self.store.pv_id(&volume.meta.name) {
                Some(id) => {
                    let existing = self.store.pv_by_id(id).expect("live");
                    let field = if existing.node_affinity.is_some() && existing.node_affinity != volume.node_affinity {
                        Some("nodeAffinity")
                    } else if existing.volume_mode != volume.volume_mode {
                        Some("volumeMode")
                    } else {
                        None
                    };
                    if let Some(field) = field {
                        self.action_failed(
                            format!("{source} {}", object.describe()),
                            format!("PersistentVolume {:?} is invalid: {field}: field is immutable", volume.meta.name),
                        );
                        return;
                    }
                    self.store.update_pv_spec(now, id, volume);
                }
                None => {
                    self.store.create_pv(now, volume.clone());
                }
            },
            Object::StorageClass(class) => {
                if let Some(old) = self.store.storage_class(&class.meta.name)
                    && !self.store.is_builtin_storage_class(old)
                {
                    let mut forbidden = Vec::new();
                    if old.provisioner != class.provisioner {
                        forbidden.push("provisioner: Forbidden: updates to provisioner are forbidden.".to_string());
                    }
                    if old.reclaim_policy != class.reclaim_policy {
                        forbidden.push("reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.".to_string());
                    }
                    if old.volume_binding_mode != class.volume_binding_mode {
                        forbidden.push(format!(
                            "volumeBindingMode: Invalid value: {:?}: field is immutable",
                            class.volume_binding_mode.as_str()
                        ));
                    }
                    if !forbidden.is_empty() {
                        let list = if forbidden.len() == 1 {
                            forbidden.remove(0)
                        } else {
                            format!("[{}]", forbidden.join(", "))
                        };
                        self.action_failed(
                            format!("{source} {}", object.describe()),
                            format!("StorageClass.storage.k8s.io {:?} is invalid: {list}", class.meta.name),
                        );
                        return;
                    }
                }
                self.store.put_storage_class(now, class.clone());
            }
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

    fn apply_pod(&mut self, pod: &Pod, source: ApplySource) {
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
            zone: Default::default(),
            hostname_labelled: None,
            taints: Vec::new(),
            unschedulable: false,
            images: Vec::new(),
            allocatable: n.allocatable_resources.clone(),
            gpu_devices: n.allocatable_resources.gpu_devices(),
            gpu_held: Default::default(),
            requested: Default::default(),
            non_zero_requested: Default::default(),
            pod_count: 0,
            pods: Vec::new(),
            pod_keys: Vec::new(),
            affinity_pods: 0,
            lowest_priority: i32::MAX,
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

    /// A machine crashes ([`fail_machine`](Self::fail_machine)). Returns the pods that were
    /// running or starting on it.
    fn machine_down(&mut self, id: NodeId) -> Vec<PodId> {
        let hit = self.pods_holding(id);
        self.fail_machine(id);
        hit
    }

    /// A machine is back ([`recover_machine`](Self::recover_machine)); a partitioned node's
    /// kubelet cannot register until it is healed, so its repair is only narrated.
    fn machine_up(&mut self, id: NodeId) {
        if let Err(message) = self.recover_machine(id) {
            let now = self.queue.now();
            self.store.journal.narrate(now, || format!("repair deferred: {message}"));
        }
    }

    /// The next event of one member of a `spec.faults` process.
    fn fault_event(&mut self, process: u32, member: u32) {
        use crate::faults::FaultStep;
        let now = self.queue.now();
        let (step, next) = self.faults.on_event(process, member, now, &self.store, &self.streams);
        if let Some(next) = next.filter(|&t| t <= self.until) {
            self.queue.schedule(next, Event::Fault { process, member }).expect("future");
        }
        match step {
            Some(FaultStep::FailNodes { nodes, record }) => {
                let r = &self.faults.log()[record];
                let (kind, target, source) = (r.kind, r.target.clone(), r.source.clone());
                let repair = r.repair.unwrap_or_default();
                self.store.journal.record(
                    now,
                    Record::FaultInjected { source: source.clone(), kind, target: target.clone(), pod: String::new() },
                );
                let n = nodes.len();
                self.store
                    .journal
                    .narrate(now, || format!("{source}: {kind} {target} ({n} machines down for {repair})"));
                let mut hit = Vec::new();
                for node in nodes {
                    if self.kubelets.is_up(node) {
                        hit.extend(self.machine_down(node));
                    }
                }
                let hit_workloads = self.availability.fault_hit(&self.store, record, now, &hit);
                self.faults.log_mut()[record].hit_workloads = hit_workloads;
                self.faults.log_mut()[record].pods_hit = hit.len() as u32;
            }
            Some(FaultStep::RecoverNodes(nodes)) => {
                for node in nodes {
                    if !self.kubelets.is_up(node) {
                        self.machine_up(node);
                    }
                }
            }
            Some(FaultStep::Crash { target, exit_code, draw, record }) => {
                let source = self.faults.log()[record].source.clone();
                let victim = self.crash_victim(&target, process, draw);
                let pod_name = victim.map(|p| self.store.pod(p).meta.name.clone()).unwrap_or_default();
                self.store.journal.record(
                    now,
                    Record::FaultInjected {
                        source: source.clone(),
                        kind: "pod-crash",
                        target: target.to_string(),
                        pod: pod_name.clone(),
                    },
                );
                let Some(pod) = victim else {
                    self.store.journal.narrate(now, || format!("{source}: pod-crash {target}: no running pod"));
                    return;
                };
                self.store.journal.narrate(now, || format!("{source}: pod-crash {pod_name} (exit code {exit_code})"));
                self.faults.log_mut()[record].pod = pod_name;
                let mut ctx = Ctx { now, store: &mut self.store, queue: &mut self.queue, streams: &self.streams };
                self.kubelets.crash(&mut ctx, pod, exit_code);
                let hit_workloads = self.availability.fault_hit(&self.store, record, now, &[pod]);
                self.faults.log_mut()[record].hit_workloads = hit_workloads;
                self.faults.log_mut()[record].pods_hit = 1;
            }
            Some(FaultStep::Event { action, source }) => {
                let description = format!("{source}: {}", action.describe());
                self.store.journal.record(
                    now,
                    Record::FaultInjected {
                        source: source.clone(),
                        kind: "event",
                        target: action.describe(),
                        pod: String::new(),
                    },
                );
                self.store.journal.narrate(now, || description.clone());
                let before = self.faults.log().len();
                match &action {
                    Action::ControlPlaneOutage(outage) => self.control_plane_outage(outage),
                    _ => self.node_fault(&action, description),
                }
                for r in &mut self.faults.log_mut()[before..] {
                    r.source = source.clone();
                }
            }
            None => {}
        }
    }

    /// A running pod of `target` (container running on a live machine, not terminating),
    /// drawn uniformly among them in name order; `None` if it has none.
    fn crash_victim(&self, target: &crate::api::meta::ObjectRef, process: u32, draw: u64) -> Option<PodId> {
        let pods = self.owner_of(target).map(|o| self.store.owned_pods(o)).unwrap_or_default();
        let mut running: Vec<(&str, PodId)> = pods
            .into_iter()
            .filter(|&p| {
                let pod = self.store.pod(p);
                !self.store.is_removed(p)
                    && !pod.meta.is_terminating()
                    && matches!(pod.status.container, crate::api::pod::ContainerState::Running { .. })
                    && pod.status.node.is_some_and(|n| self.kubelets.is_up(n))
            })
            .map(|p| (self.store.pod(p).meta.name.as_str(), p))
            .collect();
        if running.is_empty() {
            return None;
        }
        running.sort_unstable();
        let mut rng = self.streams.keyed(crate::faults::STREAM, &format!("victim/{process}/{target}"), draw);
        let i = crate::kernel::rng::uniform_below(&mut rng, running.len() as u64) as usize;
        Some(running[i].1)
    }

    fn action_failed(&mut self, action: String, message: String) {
        let now = self.queue.now();
        let text = format!("{action}: {message}");
        self.store.journal.narrate(now, || format!("failed: {text}"));
        self.store.journal.record(now, Record::ActionFailed { action, message });
    }

    /// Creates the workload objects due now (`spec.workload`), as a client's create calls
    /// (refused while the API is down), and schedules the next arrival.
    fn arrival(&mut self) {
        let scenario = self.scenario.clone();
        let now = self.queue.now();
        while let Some(object) = self.arrivals.pop_due(&scenario.workloads, &self.streams, now) {
            if self.api_down() {
                self.action_failed(format!("create {}", object.describe()), pod_faults::API_REFUSED.into());
            } else {
                self.apply_object(&object, ApplySource::Workload);
            }
        }
        if let Some(at) = self.arrivals.next_time(&scenario.workloads)
            && at <= self.until
        {
            self.queue.schedule(at, Event::Arrival).expect("future");
        }
    }

    fn scripted(&mut self, i: usize) {
        let scenario = self.scenario.clone();
        let ev = &scenario.events[i];
        let now = self.queue.now();
        let description = ev.action.describe();
        self.store.journal.record(now, Record::Scripted { action: description.clone() });
        self.store.journal.narrate(now, || description.clone());
        if self.api_down() {
            match &ev.action {
                // Machine and kubelet events happen without the API; a machine that comes back
                // (or a kubelet that reconnects, or a new node that registers) does so when the
                // API returns. Deleting a Node needs the API, as kubectl does.
                Action::FailNode(_)
                | Action::FailZone(_)
                | Action::PartitionNode(_)
                | Action::NodeCondition { .. }
                | Action::FailProbe(_)
                | Action::ControlPlaneOutage(_) => {}
                Action::RecoverNode(_) | Action::RecoverZone(_) | Action::HealNode(_) | Action::AddNodes(_) => {
                    self.deferred_recoveries.push(i as u32);
                    self.store.journal.narrate(now, || format!("{description}: waits for the API to return"));
                    return;
                }
                _ => {
                    self.action_failed(description, pod_faults::API_REFUSED.into());
                    return;
                }
            }
        }
        match &ev.action {
            Action::FailProbe(f) => self.fail_probe(f, description),
            Action::ControlPlaneOutage(o) => self.control_plane_outage(o),
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
                        let hit = self.machine_down(id);
                        self.log_scripted_fault("node-failure", name, 1, &hit);
                    }
                    Action::RecoverNode(_) => match self.recover_machine(id) {
                        Err(message) => self.action_failed(description, message),
                        Ok(()) => self.faults.end_open(now, "node-failure", name),
                    },
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
                    let before = match &m.object {
                        Object::Deployment(d) => self
                            .store
                            .deployment_id(&d.meta.namespace, &d.meta.name)
                            .and_then(|id| self.store.deployment(id).map(|d| (id, d.meta.generation))),
                        _ => None,
                    };
                    self.apply_object(&m.object, ApplySource::Apply);
                    // A Deployment created or whose spec changed: time its convergence.
                    if let Object::Deployment(d) = &m.object
                        && let Some(id) = self.store.deployment_id(&d.meta.namespace, &d.meta.name)
                    {
                        let generation = self.store.deployment(id).map(|d| d.meta.generation);
                        if before.is_none_or(|(_, g)| Some(g) != generation) {
                            self.watch_convergence(id, &description);
                        }
                    }
                }
            }
            Action::Delete(r, propagation) => match (propagation, self.owner_of(r)) {
                (crate::scenario::Propagation::Background, _) | (_, None) => self.delete_object(r, &description),
                (crate::scenario::Propagation::Foreground, Some(o)) => self.delete_foreground(o),
                (crate::scenario::Propagation::Orphan, Some(o)) => self.delete_orphaning(o),
            },
            Action::Drain(options) => self.drain_start(options.clone(), description),
            Action::FailZone(_)
            | Action::RecoverZone(_)
            | Action::PartitionNode(_)
            | Action::HealNode(_)
            | Action::NodeCondition { .. }
            | Action::RemoveNode { .. }
            | Action::AddNodes(_) => self.node_fault(&ev.action, description),
            Action::Evict(r) => match self.store.pod_id(&r.namespace, &r.name) {
                None => self.action_failed(description, format!("{r} not found")),
                Some(p) => {
                    if let Err(EvictionRefusal::TooManyRequests(m) | EvictionRefusal::Failed(m)) = self.evict(p) {
                        self.action_failed(description, m);
                    }
                }
            },
            Action::Rollback { target, to_revision } => match self.rollback(target, *to_revision) {
                Err(message) => self.action_failed(description, message),
                Ok(()) => {
                    if let Some(id) = self.store.deployment_id(&target.namespace, &target.name) {
                        self.watch_convergence(id, &description);
                    }
                }
            },
            Action::Scale { target, replicas } => match target.kind {
                Kind::Deployment => match self.store.deployment_id(&target.namespace, &target.name) {
                    Some(id) => {
                        self.store.scale_deployment(now, id, *replicas);
                        self.watch_convergence(id, &description);
                    }
                    None => self.action_failed(description, format!("{target} not found")),
                },
                Kind::StatefulSet => match self.store.sts_id(&target.namespace, &target.name) {
                    Some(id) => self.store.scale_statefulset(now, id, *replicas),
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

    /// The owner a reference names, if it is a kind that owns others and exists.
    fn owner_of(&self, r: &crate::api::meta::ObjectRef) -> Option<OwnerId> {
        let (ns, name) = (r.namespace.as_str(), r.name.as_str());
        match r.kind {
            Kind::Deployment => self.store.deployment_id(ns, name).map(OwnerId::Deployment),
            Kind::ReplicaSet => self.store.rs_id(ns, name).map(OwnerId::ReplicaSet),
            Kind::Job => self.store.job_id(ns, name).map(OwnerId::Job),
            Kind::CronJob => self.store.cronjob_id(ns, name).map(OwnerId::CronJob),
            Kind::StatefulSet => self.store.sts_id(ns, name).map(OwnerId::StatefulSet),
            Kind::DaemonSet => self.store.ds_id(ns, name).map(OwnerId::DaemonSet),
            _ => None,
        }
    }

    /// Removes an owner object that has no dependents left (or whose dependents the caller
    /// handles), with the kind's own cleanup (a StatefulSet's claims).
    fn remove_owner(&mut self, o: OwnerId) {
        let now = self.queue.now();
        match o {
            OwnerId::Deployment(id) => self.store.remove_deployment(now, id),
            OwnerId::ReplicaSet(id) => self.store.remove_replica_set(now, id),
            OwnerId::Job(id) => self.store.remove_job(now, id),
            OwnerId::CronJob(id) => self.store.remove_cronjob(now, id),
            OwnerId::StatefulSet(id) => self.delete_statefulset(id),
            OwnerId::DaemonSet(id) => self.store.remove_daemonset(now, id),
        }
    }

    /// Foreground cascading deletion: the owner gets a `deletionTimestamp` and waits; the
    /// garbage collector deletes its dependents (owners among them in the foreground too, pods
    /// gracefully); [`collect_foreground`](Self::collect_foreground) removes each owner once its
    /// dependents are gone.
    fn delete_foreground(&mut self, o: OwnerId) {
        let now = self.queue.now();
        if !self.store.mark_owner_deleting(now, o) {
            return;
        }
        self.foreground.push(o);
        let (owners, pods) = self.store.dependents(o);
        for dependent in owners {
            self.delete_foreground(dependent);
        }
        for p in pods {
            self.delete_pod(p, "GarbageCollected", false);
        }
    }

    /// Removes the foreground-deleted owners whose dependents are all gone, until none is left
    /// to remove (a removal can free its own owner).
    fn collect_foreground(&mut self) {
        loop {
            let ready: Vec<OwnerId> = self
                .foreground
                .iter()
                .copied()
                .filter(|&o| {
                    let (owners, pods) = self.store.dependents(o);
                    owners.is_empty() && pods.is_empty()
                })
                .collect();
            if ready.is_empty() {
                return;
            }
            self.foreground.retain(|o| !ready.contains(o));
            for o in ready {
                if self.store.owner_exists(o) {
                    self.remove_owner(o);
                }
            }
        }
    }

    /// Orphaning deletion: the owner goes, its dependents stay without their owner reference.
    fn delete_orphaning(&mut self, o: OwnerId) {
        let now = self.queue.now();
        let (owners, pods) = self.store.dependents(o);
        for dependent in owners {
            match dependent {
                OwnerId::ReplicaSet(rs) => self.store.orphan_replica_set(now, rs),
                OwnerId::Job(job) => self.store.orphan_job(now, job),
                _ => {}
            }
        }
        for p in pods {
            self.store.orphan_pod(now, p);
        }
        self.remove_owner(o);
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
            Kind::LimitRange => {
                if !self.store.remove_limit_range(now, &r.namespace, &r.name) {
                    not_found(self);
                }
            }
            Kind::ResourceQuota => {
                if !self.store.remove_resource_quota(now, &r.namespace, &r.name) {
                    not_found(self);
                }
            }
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
            Kind::CronJob => match self.store.cronjob_id(&r.namespace, &r.name) {
                Some(id) => self.delete_cronjob(id),
                None => not_found(self),
            },
            Kind::StatefulSet => match self.store.sts_id(&r.namespace, &r.name) {
                Some(id) => self.delete_statefulset(id),
                None => not_found(self),
            },
            Kind::DaemonSet => match self.store.ds_id(&r.namespace, &r.name) {
                Some(id) => {
                    let pods: Vec<PodId> = self.store.ds_pods(id).to_vec();
                    self.store.remove_daemonset(now, id);
                    for p in pods {
                        self.delete_pod(p, "GarbageCollected", false);
                    }
                }
                None => not_found(self),
            },
            Kind::PersistentVolumeClaim => {
                if self.store.pvc(&r.namespace, &r.name).is_none() {
                    not_found(self);
                } else {
                    self.delete_claim(&r.namespace, &r.name);
                }
            }
            Kind::PersistentVolume => match self.store.pv_id(&r.name) {
                Some(id) => {
                    // The `pv-protection` finalizer keeps a volume bound to a claim.
                    let pv = self.store.pv_by_id(id).expect("live");
                    let bound =
                        pv.claim_ref.as_ref().and_then(|c| self.store.pvc(&c.namespace, &c.name)).is_some_and(|c| {
                            c.spec.volume_name == r.name
                                && pv.claim_ref.as_ref().is_some_and(|x| x.uid == Some(c.meta.uid))
                        });
                    if bound {
                        self.store.mark_pv_deleting(now, id);
                    } else {
                        self.store.remove_pv(now, id);
                    }
                }
                None => not_found(self),
            },
            Kind::StorageClass => {
                if !self.store.remove_storage_class(now, &r.name) {
                    not_found(self);
                }
            }
            Kind::Namespace => {
                if crate::api::service::IMMORTAL_NAMESPACES.contains(&r.name.as_str()) {
                    self.action_failed(
                        description.to_string(),
                        format!("namespaces {:?} is forbidden: this namespace may not be deleted", r.name),
                    );
                } else if !self.store.namespace_exists(&r.name) {
                    not_found(self);
                } else {
                    self.delete_namespace(&r.name);
                }
            }
            Kind::Node => {
                self.action_failed(description.to_string(), format!("deleting a {} is not simulated yet", r.kind));
            }
        }
    }

    /// `kubectl delete namespace`: the namespace turns Terminating (NamespaceLifecycle refuses
    /// new content), and the namespace controller deletes everything in it with background
    /// propagation (pods gracefully); the namespace object goes once no pod or claim is left
    /// ([`finish_namespace_deletions`](Self::finish_namespace_deletions)).
    fn delete_namespace(&mut self, name: &str) {
        let now = self.queue.now();
        if self.store.namespace_terminating(name) {
            return;
        }
        self.store.mark_namespace_terminating(now, name);
        self.store.journal.narrate(now, || format!("namespace {name} is Terminating: deleting its content"));
        for r in self.store.namespaced_objects(name) {
            // An earlier deletion may have taken this object with it (a Deployment's ReplicaSets).
            if self.object_exists(&r) {
                self.delete_object(&r, &format!("namespace controller: delete {r}"));
            }
        }
        self.terminating_namespaces.push(name.to_string());
        self.namespace_check = true;
    }

    /// Whether the object a reference names exists (for the kinds a namespace holds).
    fn object_exists(&self, r: &crate::api::meta::ObjectRef) -> bool {
        let (ns, name) = (r.namespace.as_str(), r.name.as_str());
        let s = &self.store;
        match r.kind {
            Kind::Pod => s.pod_id(ns, name).is_some_and(|p| !s.pod(p).meta.is_terminating()),
            Kind::ReplicaSet | Kind::Deployment | Kind::StatefulSet | Kind::DaemonSet | Kind::Job | Kind::CronJob => {
                self.owner_of(r).is_some()
            }
            Kind::Service => s.service_id(ns, name).is_some(),
            Kind::Ingress => s.ingress_id(ns, name).is_some(),
            Kind::HorizontalPodAutoscaler => s.hpa_id(ns, name).is_some(),
            Kind::PodDisruptionBudget => s.pdb_id(ns, name).is_some(),
            Kind::PersistentVolumeClaim => s.pvc(ns, name).is_some_and(|c| c.meta.deletion_timestamp.is_none()),
            _ => true,
        }
    }

    /// Removes the Terminating namespaces that are empty: no pod (Terminating ones included:
    /// a pod on a dead machine keeps its namespace Terminating) and no claim is left.
    fn finish_namespace_deletions(&mut self) {
        if !std::mem::take(&mut self.namespace_check) {
            return;
        }
        let now = self.queue.now();
        let store = &self.store;
        let (done, left): (Vec<String>, Vec<String>) =
            std::mem::take(&mut self.terminating_namespaces).into_iter().partition(|ns| {
                !store.live_pods().any(|p| store.pod(p).meta.namespace == *ns)
                    && !store.pvcs().any(|c| c.meta.namespace == *ns)
            });
        self.terminating_namespaces = left;
        for ns in done {
            self.store.remove_namespace(now, &ns);
            self.store.journal.narrate(now, || format!("namespace {ns} deleted"));
        }
    }

    /// Deletes a StatefulSet with background propagation: the set goes at once, the garbage
    /// collector deletes its pods; with `whenDeleted: Delete` its claims too, each once no pod
    /// uses it (the `pvc-protection` finalizer).
    fn delete_statefulset(&mut self, id: StsId) {
        let now = self.queue.now();
        let set = self.store.statefulset(id).expect("live");
        let (namespace, name) = (set.meta.namespace.clone(), set.meta.name.clone());
        let delete_claims = set.pvc_retention.when_deleted == crate::api::statefulset::PvcRetention::Delete;
        let pods: Vec<PodId> = self.store.sts_pods(id).to_vec();
        self.store.remove_statefulset(now, id);
        if delete_claims {
            let claims: Vec<String> = self.store.pvcs_of(&namespace, &name).map(|c| c.meta.name.clone()).collect();
            for claim in claims {
                self.delete_claim(&namespace, &claim);
            }
        }
        for p in pods {
            self.delete_pod(p, "GarbageCollected", false);
        }
    }

    /// Deletes a claim: it goes at once unless a scheduled pod uses it (the `pvc-protection`
    /// finalizer), in which case it waits for that pod to be gone.
    fn delete_claim(&mut self, namespace: &str, name: &str) {
        let now = self.queue.now();
        self.store.mark_pvc_deleting(now, namespace, name);
        if !self.store.claim_in_use(namespace, name) {
            self.store.remove_pvc(now, namespace, name);
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
        let active: Vec<PodId> = store.active_pods().collect();
        let expected: Vec<PodId> = store.live_pods().filter(|&p| !store.pod(p).status.phase.is_terminal()).collect();
        if active != expected {
            return Err(format!(
                "the store's active pods ({}) are not its live non-terminal pods ({})",
                active.len(),
                expected.len()
            ));
        }
        if !store.active_label_index_is_consistent() {
            return Err("the store's label index of active pods differs from their labels".into());
        }
        if !store.selector_indexes_are_consistent() {
            return Err("the store's selector indexes differ from the objects' selectors".into());
        }
        if !store.terminated_index_is_consistent() {
            return Err("the store's index of terminated pods is not its live terminal pods".into());
        }
        let mut seen = vec![0u8; store.pod_count()];
        for node in store.node_slots() {
            let mut requested = crate::api::resources::Resources::default();
            let mut count = 0u32;
            let mut direct = false;
            for &p in store.pods_on_node(node) {
                if store.is_removed(p) {
                    return Err(format!(
                        "removed pod {} still listed on node {}",
                        store.pod_entry(p).key(),
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
            if store.is_node_removed(node) {
                // Not in the scheduler's snapshot; its pods wait for the pod garbage collector.
                continue;
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
            if !info.pod_keys.iter().copied().eq(info.pods.iter().map(|v| (v.id, v.spec.priority))) {
                return Err(format!("scheduler's pod ids of node {} differ from its pod list", info.name));
            }
            let lowest = info.pods.iter().map(|v| v.spec.priority).min().unwrap_or(i32::MAX);
            if info.lowest_priority != lowest {
                return Err(format!(
                    "scheduler's lowest priority on node {} is {}, its pod list's {lowest}",
                    info.name, info.lowest_priority
                ));
            }
            let with_terms = info.pods.iter().filter(|v| v.spec.affinity.has_pod_affinity()).count() as u32;
            if info.affinity_pods != with_terms {
                return Err(format!(
                    "scheduler counts {} pods with affinity terms on node {}, its pod list {with_terms}",
                    info.affinity_pods, info.name
                ));
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
            let pod = store.pod(p);
            let bound = pod.status.node.is_some();
            if bound && seen[p.index()] != 1 {
                return Err(format!("bound pod {} appears on {} node lists", pod.meta.key(), seen[p.index()]));
            }
            let Some(node) = pod.status.node else { continue };
            // A container runs only on a live machine: a crash stops them all, and a deleted
            // Node's machine is gone with it (its pods wait for the pod garbage collector).
            if matches!(pod.status.container, crate::api::pod::ContainerState::Running { .. })
                && (!self.kubelets.is_up(node) || store.is_node_removed(node))
            {
                return Err(format!(
                    "pod {} has a running container on node {}, whose machine is down",
                    pod.meta.key(),
                    store.node(node).meta.name
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: invariants}
spec:
  until: 5m
  cluster:
    nodes: [{name: n1, allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}]
  manifests:
    - inline:
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec: {containers: [{name: c, image: x, resources: {requests: {cpu: 100m}}}]}
  events:
    - {at: 2m, failNode: n1}
"#;

    fn sim_at(t: SimTime) -> Simulation {
        // Checked after every step in release builds too (debug builds always check).
        let options = RunOptions { check_invariants: true, ..RunOptions::default() };
        let mut sim = Simulation::from_yaml(SCENARIO, options).expect("valid");
        sim.run_until(t).expect("runs");
        sim
    }

    /// The checker holds on a healthy run and after a machine failure, and catches a running
    /// container on a dead machine.
    #[test]
    fn invariant_checker_catches_a_container_running_on_a_dead_machine() {
        let sim = sim_at(SimTime::from_secs(60));
        assert_eq!(sim.check_invariants(), Ok(()));
        let pod = sim.store.pod_id("default", "p").expect("pod");

        // The machine dies (at 2m) but a container still claims to run on it.
        let mut sim = sim_at(SimTime::from_secs(150));
        assert_eq!(sim.check_invariants(), Ok(()));
        sim.store.pod_mut_for_tests(pod).status.container =
            crate::api::pod::ContainerState::Running { started_at: SimTime::ZERO };
        let err = sim.check_invariants().unwrap_err();
        assert!(err.contains("running container on node n1, whose machine is down"), "{err}");
        // In a run, the next step reports it with the seed, the event number and the event.
        let stopped = loop {
            match sim.step() {
                Ok(true) => continue,
                Ok(false) => panic!("the run ended without noticing"),
                Err(e) => break e,
            }
        };
        let RunError::Invariant { event, cause, seed, .. } = &stopped else { panic!("{stopped}") };
        assert_eq!(*seed, sim.seed());
        assert!(*event > 0 && !cause.is_empty(), "{stopped}");
        assert!(stopped.to_string().contains(&format!("at event {event} ({cause}, virtual time")), "{stopped}");
    }
}
