//! Pods and pod templates (`v1.Pod`, `v1.PodTemplateSpec`), plus the simulator-only behaviour
//! carried in `sim.kubesim.io/*` annotations.
//!
//! A pod's spec and behaviour are shared (`Arc`) with the template it came from, so a
//! ReplicaSet of ten thousand pods stores one spec. Effective requests are computed once per
//! spec, as kube-scheduler computes them per pod (`PodRequests`,
//! `staging/src/k8s.io/component-helpers/resource/helpers.go`).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::api::meta::{Labels, ObjectMeta, Rare, RareValue};
use crate::api::node_selector::{NodeSelector, PreferredSchedulingTerm};
use crate::api::resources::{DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, ResourceList, ResourceName, Resources};
use crate::api::selector::{LabelSelector, Operator, Requirement};
use crate::api::taint::Toleration;
use crate::kernel::SimTime;
use crate::kernel::dist::DurationDist;

/// Annotation keys for behaviour only a simulator needs.
pub mod annotations {
    /// Time from container start until the pod is Ready (a duration or a distribution).
    pub const STARTUP: &str = "sim.kubesim.io/startup";
    /// Run time until the container exits; absent = runs until deleted.
    pub const DURATION: &str = "sim.kubesim.io/duration";
    /// The exit code when it exits (default 0).
    pub const EXIT_CODE: &str = "sim.kubesim.io/exit-code";
    /// Time the application takes to exit after SIGTERM (default 0; capped by the grace period).
    pub const SHUTDOWN: &str = "sim.kubesim.io/shutdown";
    /// The exit codes of successive attempts, comma-separated (`1,1,0`: the first two runs
    /// crash, the third and later succeed). An attempt is a container run: a restart of the
    /// same pod, or the next pod of the same Job (or Job index).
    pub const EXIT_CODES: &str = "sim.kubesim.io/exit-codes";
    /// The cpu a pod uses per request per second it serves (a quantity, e.g. `5m`).
    pub const CPU_PER_REQUEST: &str = "sim.kubesim.io/cpu-per-request";
    /// The cpu a running pod uses when idle (a quantity; default 0).
    pub const CPU_BASE: &str = "sim.kubesim.io/cpu-base";
    /// The memory a pod uses per request per second it serves (a quantity, e.g. `2Mi`).
    pub const MEMORY_PER_REQUEST: &str = "sim.kubesim.io/memory-per-request";
    /// The memory a running pod uses when idle (a quantity; default 0).
    pub const MEMORY_BASE: &str = "sim.kubesim.io/memory-base";
    /// The requests per second a pod can serve; default: `(cpu limit − cpu-base) /
    /// cpu-per-request` when both are known, else unlimited.
    pub const MAX_RPS: &str = "sim.kubesim.io/max-rps";
    /// The app hangs this long after its container starts (a duration or a distribution):
    /// every probe times out from then on, so a liveness probe gets the container restarted.
    pub const LIVENESS_FAILS_AFTER: &str = "sim.kubesim.io/liveness-fails-after";
    /// The app reports itself unready (its readiness probe fails) this long after its
    /// container starts (a duration or a distribution) ...
    pub const READINESS_FAILS_AFTER: &str = "sim.kubesim.io/readiness-fails-after";
    /// ... for this long (default: until the container stops).
    pub const READINESS_FAILS_FOR: &str = "sim.kubesim.io/readiness-fails-for";
    /// Memory the app leaks while it runs, as a quantity per time (`10Mi/min`); usage over the
    /// memory limit gets the container OOM-killed.
    pub const MEMORY_LEAK: &str = "sim.kubesim.io/memory-leak";
    /// Every recognised key, for "did you mean" on misspelled annotations.
    pub const ALL: [&str; 14] = [
        STARTUP,
        DURATION,
        EXIT_CODE,
        SHUTDOWN,
        EXIT_CODES,
        CPU_PER_REQUEST,
        CPU_BASE,
        MEMORY_PER_REQUEST,
        MEMORY_BASE,
        MAX_RPS,
        LIVENESS_FAILS_AFTER,
        READINESS_FAILS_AFTER,
        READINESS_FAILS_FOR,
        MEMORY_LEAK,
    ];
}

/// `spec.restartPolicy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RestartPolicy {
    #[default]
    Always,
    OnFailure,
    Never,
}

impl RestartPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::Always => "Always",
            RestartPolicy::OnFailure => "OnFailure",
            RestartPolicy::Never => "Never",
        }
    }
}

/// `v1.Probe`, timing fields only (the handler is not simulated).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Probe {
    pub initial_delay_seconds: i32,
    pub period_seconds: i32,
    pub timeout_seconds: i32,
    pub success_threshold: i32,
    pub failure_threshold: i32,
}

impl Default for Probe {
    /// `SetDefaults_Probe`: period 10 s, timeout 1 s, success 1, failure 3.
    fn default() -> Self {
        Probe {
            initial_delay_seconds: 0,
            period_seconds: 10,
            timeout_seconds: 1,
            success_threshold: 1,
            failure_threshold: 3,
        }
    }
}

/// `v1.ContainerPort`, the fields the NodePorts plugin looks at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContainerPort {
    pub container_port: i32,
    pub host_port: i32,
    pub host_ip: String,
    pub protocol: String,
}

/// `v1.Container`, reduced to what scheduling and the kubelet model use.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub requests: ResourceList,
    pub limits: ResourceList,
    pub ports: Vec<ContainerPort>,
    pub readiness_probe: Option<Probe>,
    pub liveness_probe: Option<Probe>,
    /// `restartPolicy: Always` on an init container makes it a sidecar.
    pub restart_policy_always: bool,
    pub startup_probe: Option<Probe>,
}

/// Written by hand so that a container without a startup probe renders exactly as before the
/// field existed: the Deployment controller's pod-template-hash is computed from this text.
impl fmt::Debug for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Container");
        d.field("name", &self.name)
            .field("image", &self.image)
            .field("requests", &self.requests)
            .field("limits", &self.limits)
            .field("ports", &self.ports)
            .field("readiness_probe", &self.readiness_probe)
            .field("liveness_probe", &self.liveness_probe)
            .field("restart_policy_always", &self.restart_policy_always);
        if let Some(probe) = &self.startup_probe {
            d.field("startup_probe", probe);
        }
        d.finish()
    }
}

/// `v1.NodeAffinity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodeAffinity {
    pub required: Option<NodeSelector>,
    pub preferred: Vec<PreferredSchedulingTerm>,
}

/// `v1.PodAffinityTerm`: the pods (by labels and namespaces) that must, or should, be (or not
/// be) in the same `topologyKey` domain as the pod.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PodAffinityTerm {
    /// `labelSelector`; `None` (absent) selects no pod.
    pub label_selector: Option<LabelSelector>,
    /// `namespaces`: namespace names, ORed with `namespace_selector`.
    pub namespaces: Vec<String>,
    pub topology_key: String,
    /// `namespaceSelector`; `None` (absent) selects no namespace, `{}` every namespace. With no
    /// `namespaces` and no selector, the term means the pod's own namespace.
    pub namespace_selector: Option<LabelSelector>,
    /// `matchLabelKeys`: the API server ANDs `key in (value)` to `labelSelector` for each key the
    /// pod carries (done per pod when its terms are read, see [`PodAffinityTerm::selector_for`]).
    pub match_label_keys: Vec<String>,
    /// `mismatchLabelKeys`: the same with `key notin (value)`.
    pub mismatch_label_keys: Vec<String>,
}

impl PodAffinityTerm {
    /// The term's selector as stored for a pod with `pod_labels`: `labelSelector` plus
    /// `key in (value)` for every `matchLabelKeys` key and `key notin (value)` for every
    /// `mismatchLabelKeys` key the pod carries (kube-apiserver's merge at pod creation,
    /// `applyMatchLabelKeysAndMismatchLabelKeys`). No `labelSelector` stays Nothing.
    pub fn selector_for(&self, pod_labels: &Labels) -> LabelSelector {
        let Some(selector) = &self.label_selector else { return LabelSelector::nothing() };
        let mut selector = selector.clone();
        for (keys, op) in [(&self.match_label_keys, Operator::In), (&self.mismatch_label_keys, Operator::NotIn)] {
            for key in keys {
                if let Some(value) = pod_labels.get(key)
                    && let Ok(r) = Requirement::new(key, op, vec![value.clone()])
                {
                    selector = selector.with_requirement(r);
                }
            }
        }
        selector
    }
}

/// `v1.WeightedPodAffinityTerm`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WeightedPodAffinityTerm {
    /// 1..=100.
    pub weight: i32,
    pub term: PodAffinityTerm,
}

/// `v1.PodAffinity` and `v1.PodAntiAffinity`, which have the same shape.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PodAffinity {
    /// `requiredDuringSchedulingIgnoredDuringExecution`.
    pub required: Vec<PodAffinityTerm>,
    /// `preferredDuringSchedulingIgnoredDuringExecution`.
    pub preferred: Vec<WeightedPodAffinityTerm>,
}

/// `v1.PodAntiAffinity`.
pub type PodAntiAffinity = PodAffinity;

/// `v1.Affinity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Affinity {
    pub node_affinity: Option<NodeAffinity>,
    pub pod_affinity: Option<PodAffinity>,
    pub pod_anti_affinity: Option<PodAntiAffinity>,
}

impl Affinity {
    /// The pod has pod affinity or anti-affinity (kube-scheduler's `PodsWithAffinity`).
    pub fn has_pod_affinity(&self) -> bool {
        self.pod_affinity.is_some() || self.pod_anti_affinity.is_some()
    }
}

/// `v1.UnsatisfiableConstraintAction`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum UnsatisfiableConstraintAction {
    /// The scheduler must not place the pod where the constraint would be violated.
    #[default]
    DoNotSchedule,
    /// The constraint only steers scoring.
    ScheduleAnyway,
}

impl UnsatisfiableConstraintAction {
    pub fn as_str(self) -> &'static str {
        match self {
            UnsatisfiableConstraintAction::DoNotSchedule => "DoNotSchedule",
            UnsatisfiableConstraintAction::ScheduleAnyway => "ScheduleAnyway",
        }
    }
}

/// `v1.NodeInclusionPolicy`: whether a node that the pod's node affinity (or its taints) would
/// exclude still counts when spreading is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeInclusionPolicy {
    Honor,
    Ignore,
}

impl NodeInclusionPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeInclusionPolicy::Honor => "Honor",
            NodeInclusionPolicy::Ignore => "Ignore",
        }
    }
}

/// `v1.TopologySpreadConstraint`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TopologySpreadConstraint {
    /// At least 1.
    pub max_skew: i32,
    pub topology_key: String,
    pub when_unsatisfiable: UnsatisfiableConstraintAction,
    /// `labelSelector`; `None` (absent) selects no pod.
    pub label_selector: Option<LabelSelector>,
    /// `minDomains` (only with DoNotSchedule); `None` means 1.
    pub min_domains: Option<i32>,
    /// `nodeAffinityPolicy`; `None` means Honor.
    pub node_affinity_policy: Option<NodeInclusionPolicy>,
    /// `nodeTaintsPolicy`; `None` means Ignore.
    pub node_taints_policy: Option<NodeInclusionPolicy>,
    /// `matchLabelKeys`: `key=value` from the pod's labels is ANDed to the selector.
    pub match_label_keys: Vec<String>,
}

/// Where a pod's configuration comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConfigSource {
    ConfigMap,
    Secret,
}

impl ConfigSource {
    /// The lower-case word Kubernetes' messages use (`configmap "x" not found`).
    pub fn word(self) -> &'static str {
        match self {
            ConfigSource::ConfigMap => "configmap",
            ConfigSource::Secret => "secret",
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            ConfigSource::ConfigMap => "ConfigMap",
            ConfigSource::Secret => "Secret",
        }
    }
}

/// A reference from a pod to a ConfigMap or Secret of its namespace: an environment variable
/// (`env[].valueFrom.configMapKeyRef` / `secretKeyRef`, with `key`), a whole object as
/// environment (`envFrom`), or a volume (`volumes[].configMap` / `secret` / `projected`, with
/// `key` for each listed item).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfigRef {
    pub source: ConfigSource,
    pub name: String,
    pub key: Option<String>,
    pub optional: bool,
    /// The volume's name for a volume, `None` for environment.
    pub volume: Option<String>,
}

/// A `volumes[]` entry of type `persistentVolumeClaim`: the pod's volume `volume` is the
/// claim `claim_name` of its namespace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClaimVolume {
    pub volume: String,
    pub claim_name: String,
    pub read_only: bool,
}

/// `v1.PodSpec`, plus the effective requests derived from it.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct PodSpec {
    pub containers: Vec<Container>,
    pub init_containers: Vec<Container>,
    /// `spec.nodeName` in the manifest; empty when the scheduler must choose.
    pub node_name: String,
    pub node_selector: Labels,
    pub affinity: Affinity,
    /// `topologySpreadConstraints`.
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    pub tolerations: Vec<Toleration>,
    /// `spec.priority` as the Priority admission plugin set it at pod creation (in a manifest or
    /// template: the written value, or 0).
    pub priority: i32,
    /// `spec.priority` as written in the manifest; admission refuses a value that differs
    /// from the class's.
    pub written_priority: Option<i32>,
    pub priority_class_name: String,
    /// `spec.preemptionPolicy`; `None` behaves as PreemptLowerPriority.
    pub preemption_policy: Option<crate::api::scheduling::PreemptionPolicy>,
    pub scheduler_name: String,
    pub restart_policy: RestartPolicy,
    pub termination_grace_period_seconds: i64,
    pub overhead: ResourceList,
    pub scheduling_gates: Vec<String>,
    /// `PodRequests(pod)`: what NodeResourcesFit's filter and `Requested` use.
    pub requests: Resources,
    /// `PodRequests` with `NonMissingContainerRequests` (100m cpu / 200Mi memory defaults):
    /// what LeastAllocated and MostAllocated score with (`NonZeroRequested`).
    pub non_zero_requests: Resources,
    /// The ConfigMaps and Secrets the pod needs, in the order written (containers' env and
    /// envFrom, then volumes).
    pub config_refs: Vec<ConfigRef>,
    /// The PersistentVolumeClaims the pod's volumes use, in the order written (a StatefulSet's
    /// pods get their claim templates' first).
    pub claims: Vec<ClaimVolume>,
}

/// Written by hand so that a spec without `config_refs` or `claims` renders exactly as before
/// those fields existed: the Deployment controller's pod-template-hash is computed from this
/// text, and ReplicaSet names (and so run digests) must not change when a field is added. A new
/// field must be rendered only when it differs from its default.
impl fmt::Debug for PodSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("PodSpec");
        d.field("containers", &self.containers)
            .field("init_containers", &self.init_containers)
            .field("node_name", &self.node_name)
            .field("node_selector", &self.node_selector)
            .field("affinity", &self.affinity)
            .field("topology_spread_constraints", &self.topology_spread_constraints)
            .field("tolerations", &self.tolerations)
            .field("priority", &self.priority)
            .field("written_priority", &self.written_priority)
            .field("priority_class_name", &self.priority_class_name)
            .field("preemption_policy", &self.preemption_policy)
            .field("scheduler_name", &self.scheduler_name)
            .field("restart_policy", &self.restart_policy)
            .field("termination_grace_period_seconds", &self.termination_grace_period_seconds)
            .field("overhead", &self.overhead)
            .field("scheduling_gates", &self.scheduling_gates)
            .field("requests", &self.requests)
            .field("non_zero_requests", &self.non_zero_requests);
        if !self.config_refs.is_empty() {
            d.field("config_refs", &self.config_refs);
        }
        if !self.claims.is_empty() {
            d.field("claims", &self.claims);
        }
        d.finish()
    }
}

impl PodSpec {
    /// Computes `requests` and `non_zero_requests` from the containers. Call after building
    /// or changing a spec.
    pub fn finalize(&mut self) {
        self.requests = pod_requests(self, false);
        self.non_zero_requests = pod_requests(self, true);
    }

    /// A pod whose containers (ignoring sidecar init containers) have a readiness probe.
    pub fn readiness_probe(&self) -> Option<&Probe> {
        self.containers.iter().find_map(|c| c.readiness_probe.as_ref())
    }
}

/// Effective pod requests (`PodRequests`, §5.1 of the scheduler reference): the sum over
/// containers, raised to the largest init-container step (sidecars accumulate), plus overhead.
/// With `non_missing`, a container without a cpu (memory) request counts as 100m (200Mi).
fn pod_requests(spec: &PodSpec, non_missing: bool) -> Resources {
    let container_requests = |c: &Container| {
        let mut r = Resources::from_list(&c.requests);
        if non_missing {
            if !c.requests.contains_key(&ResourceName::Cpu) {
                r.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
            }
            if !c.requests.contains_key(&ResourceName::Memory) {
                r.memory = DEFAULT_MEMORY_REQUEST;
            }
        }
        r
    };
    let mut reqs = Resources::default();
    for c in &spec.containers {
        reqs.add(&container_requests(c));
    }
    let mut sidecars = Resources::default();
    let mut init_max = Resources::default();
    for c in &spec.init_containers {
        let r = container_requests(c);
        let current = if c.restart_policy_always {
            reqs.add(&r);
            sidecars.add(&r);
            sidecars.clone()
        } else {
            let mut cur = r;
            cur.add(&sidecars);
            cur
        };
        init_max.max_with(&current);
    }
    reqs.max_with(&init_max);
    // Overhead is added as given (no non-zero defaults apply to it).
    reqs.add(&Resources::from_list(&spec.overhead));
    reqs.allowed_pod_number = 0;
    reqs
}

/// Behaviour only a simulator needs, from `sim.kubesim.io/*` annotations. A generated
/// workload builds one per arrival (its drawn run time is the arrival's own), so the parts
/// most pods leave unset, serving and faults, live behind one optional box, and startup,
/// shutdown and exit codes are [`Rare`]: a million arrivals then carry 64 bytes each, not 344.
#[derive(Clone, Default)]
pub struct SimBehavior {
    pub startup: Rare<Option<DurationDist>>,
    pub duration: Option<DurationDist>,
    pub exit_code: i32,
    pub shutdown: Rare<Option<DurationDist>>,
    /// `exit-codes`: the exit code of each attempt in turn (the last one repeats); empty:
    /// every attempt exits with `exit_code`.
    pub exit_codes: Rare<Vec<i32>>,
    /// Serving and faults; `None` reads as their defaults.
    extras: Option<Box<SimExtras>>,
}

impl RareValue for Option<DurationDist> {
    fn empty() -> &'static Self {
        static EMPTY: Option<DurationDist> = None;
        &EMPTY
    }
}

impl RareValue for Vec<i32> {
    fn empty() -> &'static Self {
        static EMPTY: Vec<i32> = Vec::new();
        &EMPTY
    }
}

/// The rarely set parts of a [`SimBehavior`].
#[derive(Clone, Debug, PartialEq)]
struct SimExtras {
    serving: ServingBehavior,
    faults: FaultBehavior,
}

const NO_EXTRAS: SimExtras = SimExtras {
    serving: ServingBehavior {
        cpu_per_request_micro: 0,
        cpu_base_milli: 0,
        memory_per_request_bytes: 0,
        memory_base_bytes: 0,
        max_rps: None,
    },
    faults: FaultBehavior {
        liveness_fails_after: None,
        readiness_fails_after: None,
        readiness_fails_for: None,
        memory_leak: None,
    },
};

impl PartialEq for SimBehavior {
    fn eq(&self, other: &SimBehavior) -> bool {
        self.startup == other.startup
            && self.duration == other.duration
            && self.exit_code == other.exit_code
            && self.shutdown == other.shutdown
            && self.exit_codes == other.exit_codes
            && self.extras() == other.extras()
    }
}

/// How a pod's app misbehaves, from the fault annotations.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultBehavior {
    pub liveness_fails_after: Option<DurationDist>,
    pub readiness_fails_after: Option<DurationDist>,
    /// `None`: until the container stops.
    pub readiness_fails_for: Option<DurationDist>,
    /// Bytes leaked per period, and the period.
    pub memory_leak: Option<(i64, crate::kernel::SimDuration)>,
}

/// What serving requests costs a pod, from the `cpu-*`, `memory-*` and `max-rps` annotations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServingBehavior {
    /// Micro-cores per request per second.
    pub cpu_per_request_micro: i64,
    pub cpu_base_milli: i64,
    /// Bytes per request per second.
    pub memory_per_request_bytes: i64,
    pub memory_base_bytes: i64,
    /// Capacity in milli-requests per second, when written.
    pub max_rps: Option<u64>,
}

impl SimBehavior {
    fn extras(&self) -> &SimExtras {
        self.extras.as_deref().unwrap_or(&NO_EXTRAS)
    }

    fn extras_mut(&mut self) -> &mut SimExtras {
        self.extras.get_or_insert_with(|| Box::new(NO_EXTRAS))
    }

    /// How the pod uses resources for the load it serves (`spec.load`).
    pub fn serving(&self) -> &ServingBehavior {
        &self.extras().serving
    }

    pub fn serving_mut(&mut self) -> &mut ServingBehavior {
        &mut self.extras_mut().serving
    }

    /// Probe failures and memory growth (`liveness-fails-after`, `readiness-fails-*`,
    /// `memory-leak`).
    pub fn faults(&self) -> &FaultBehavior {
        &self.extras().faults
    }

    pub fn faults_mut(&mut self) -> &mut FaultBehavior {
        &mut self.extras_mut().faults
    }

    /// The exit code of attempt `attempt` (0-based: the pod's container runs in turn, after
    /// the earlier pods of the same Job or Job index).
    pub fn exit_code_for(&self, attempt: u64) -> i32 {
        match self.exit_codes.last() {
            None => self.exit_code,
            Some(&last) => usize::try_from(attempt).ok().and_then(|i| self.exit_codes.get(i)).copied().unwrap_or(last),
        }
    }
}

/// Written by hand so that a behaviour without `exit_codes` renders exactly as before the
/// field existed: the Deployment controller's pod-template-hash is computed from this text,
/// and ReplicaSet names (and so run digests) must not change when a field is added.
impl fmt::Debug for SimBehavior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("SimBehavior");
        d.field("startup", &self.startup)
            .field("duration", &self.duration)
            .field("exit_code", &self.exit_code)
            .field("shutdown", &self.shutdown);
        if !self.exit_codes.is_empty() {
            d.field("exit_codes", &self.exit_codes);
        }
        if *self.serving() != ServingBehavior::default() {
            d.field("serving", self.serving());
        }
        if *self.faults() != FaultBehavior::default() {
            d.field("faults", self.faults());
        }
        d.finish()
    }
}

/// `v1.PodTemplateSpec`.
#[derive(Clone, Debug, PartialEq)]
pub struct PodTemplateSpec {
    pub labels: Labels,
    pub annotations: Labels,
    pub spec: Arc<PodSpec>,
    pub sim: Arc<SimBehavior>,
}

/// `status.phase`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PodPhase {
    #[default]
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl PodPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
            PodPhase::Unknown => "Unknown",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, PodPhase::Succeeded | PodPhase::Failed)
    }
}

/// The state of the pod's application container(s), which the simulator models as one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ContainerState {
    /// Not started yet (pending on a node, or the node is down).
    #[default]
    Waiting,
    Running {
        started_at: SimTime,
    },
    /// Exited; `restart_at` is set while waiting out CrashLoopBackOff.
    Terminated {
        exit_code: i32,
        finished_at: SimTime,
    },
}

/// `v1.PodStatus`, reduced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodStatus {
    pub phase: PodPhase,
    /// The node the pod is bound to (`spec.nodeName` after binding).
    pub node: Option<crate::store::NodeId>,
    /// `PodScheduled=True` time.
    pub scheduled_at: Option<SimTime>,
    pub start_time: Option<SimTime>,
    /// `Ready=True` since this time; `None` when not Ready.
    pub ready_since: Option<SimTime>,
    /// The first time the pod ever became Ready (for startup latency).
    pub first_ready_at: Option<SimTime>,
    /// `lastTransitionTime` of the `Ready` condition: when the kubelet first reported it
    /// (False, at the container's first start) and whenever it changed since; `None` until
    /// the pod has started. The HPA's cpu initialization rules read it.
    pub ready_transition: Option<SimTime>,
    /// When the pod reached a terminal phase, or was removed.
    pub finished_at: Option<SimTime>,
    pub container: ContainerState,
    /// `lastState.terminated.reason` of the container's last exit: `Completed`, `Error` or
    /// `OOMKilled` (empty before the first exit).
    pub last_termination_reason: &'static str,
    /// `lastState.terminated.exitCode` (0 before the first exit).
    pub last_exit_code: i32,
    pub restart_count: i32,
    /// `status.reason`, e.g. `NodeLost`, `Evicted` (almost always a constant: no allocation).
    pub reason: Cow<'static, str>,
    /// `status.nominatedNodeName`: set by preemption; kept after binding, as in v1.34.
    pub nominated_node: Option<crate::store::NodeId>,
    /// What few pods ever have (a disruption, a failed scheduling attempt, a container that
    /// cannot start): boxed, so that the pods ever created — a million in a scale day, every
    /// one kept for `pods.csv` — do not each carry it inline. Read it through the accessors.
    notes: Option<Box<StatusNotes>>,
}

/// The rarely set parts of a [`PodStatus`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct StatusNotes {
    disruption_target: Option<String>,
    /// Shared with the scheduler's memo: a pod retried over the same failed pass gets the
    /// message it has, recognised without comparing its bytes.
    unschedulable_reason: Option<Arc<str>>,
    waiting_reason: &'static str,
    waiting_message: String,
}

impl StatusNotes {
    fn is_empty(&self) -> bool {
        *self == StatusNotes::default()
    }
}

impl PodStatus {
    /// The `DisruptionTarget` condition's reason (set by the taint eviction controller,
    /// preemption, ...), if the condition is set.
    pub fn disruption_target(&self) -> Option<&str> {
        self.notes.as_ref()?.disruption_target.as_deref()
    }

    /// The scheduler could not place the pod at its last attempt (`PodScheduled=False`): the
    /// condition's message.
    pub fn unschedulable_reason(&self) -> Option<&str> {
        self.notes.as_ref()?.unschedulable_reason.as_deref()
    }

    /// Why the container has not started on its node (`ContainerCreating` while a volume
    /// cannot be mounted, `CreateContainerConfigError` while its environment cannot be built);
    /// empty otherwise.
    pub fn waiting_reason(&self) -> &'static str {
        self.notes.as_ref().map_or("", |n| n.waiting_reason)
    }

    /// The kubelet's message with [`waiting_reason`](Self::waiting_reason); empty otherwise.
    pub fn waiting_message(&self) -> &str {
        self.notes.as_ref().map_or("", |n| n.waiting_message.as_str())
    }

    pub fn set_disruption_target(&mut self, reason: Option<String>) {
        self.change_notes(|n| n.disruption_target = reason);
    }

    /// The message as the pod has it (shared: see [`StatusNotes`]).
    pub fn unschedulable_reason_shared(&self) -> Option<&Arc<str>> {
        self.notes.as_ref()?.unschedulable_reason.as_ref()
    }

    pub fn set_unschedulable_reason(&mut self, message: Option<Arc<str>>) {
        self.change_notes(|n| n.unschedulable_reason = message);
    }

    pub fn set_waiting(&mut self, reason: &'static str, message: String) {
        self.change_notes(|n| {
            n.waiting_reason = reason;
            n.waiting_message = message;
        });
    }

    /// Changes the notes, allocating them only when something is set and dropping them when
    /// nothing is left.
    fn change_notes(&mut self, change: impl FnOnce(&mut StatusNotes)) {
        match &mut self.notes {
            Some(notes) => {
                change(notes);
                if notes.is_empty() {
                    self.notes = None;
                }
            }
            // Clearing what is not there (every binding, every container start) allocates
            // nothing: the change is tried on the stack first.
            None => {
                let mut notes = StatusNotes::default();
                change(&mut notes);
                if !notes.is_empty() {
                    self.notes = Some(Box::new(notes));
                }
            }
        }
    }
}

/// `v1.Pod`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pod {
    pub meta: ObjectMeta,
    pub spec: Arc<PodSpec>,
    pub sim: Arc<SimBehavior>,
    pub status: PodStatus,
}

impl Pod {
    pub fn is_ready(&self) -> bool {
        self.status.ready_since.is_some()
    }

    /// `FilterActivePods`: not terminal and not being deleted.
    pub fn is_active(&self) -> bool {
        !self.status.phase.is_terminal() && self.meta.deletion_timestamp.is_none()
    }

    /// Ready for at least `min_ready_seconds` at `now` (`IsPodAvailable`).
    pub fn is_available(&self, min_ready_seconds: i32, now: SimTime) -> bool {
        match self.status.ready_since {
            None => false,
            Some(since) => {
                min_ready_seconds <= 0
                    || since.saturating_add(crate::kernel::SimDuration::from_secs(min_ready_seconds as u64)) <= now
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::quantity::Quantity;

    #[test]
    fn status_notes_are_allocated_only_while_something_is_set() {
        let mut s = PodStatus::default();
        assert_eq!(
            (s.disruption_target(), s.unschedulable_reason(), s.waiting_reason(), s.waiting_message()),
            (None, None, "", "")
        );
        s.set_unschedulable_reason(Some("0/3 nodes are available".into()));
        s.set_waiting("ContainerCreating", "volume not bound".into());
        assert_eq!(s.unschedulable_reason(), Some("0/3 nodes are available"));
        assert_eq!((s.waiting_reason(), s.waiting_message()), ("ContainerCreating", "volume not bound"));
        s.set_unschedulable_reason(None);
        assert!(s.notes.is_some(), "the waiting reason is still set");
        s.set_waiting("", String::new());
        assert!(s.notes.is_none(), "nothing left: the box is dropped");
        assert_eq!(s, PodStatus::default());
        s.set_disruption_target(Some("PreemptionByScheduler".into()));
        assert_eq!(s.disruption_target(), Some("PreemptionByScheduler"));
        s.set_unschedulable_reason(None);
        assert_eq!(s.disruption_target(), Some("PreemptionByScheduler"), "clearing one note keeps the others");
    }

    fn rl(items: &[(&str, &str)]) -> ResourceList {
        items.iter().map(|(n, q)| (ResourceName::parse(n).unwrap(), Quantity::parse(q).unwrap())).collect()
    }

    fn container(requests: &[(&str, &str)]) -> Container {
        Container { requests: rl(requests), ..Container::default() }
    }

    #[test]
    fn requests_sum_containers_and_take_init_max() {
        let mut spec = PodSpec {
            containers: vec![container(&[("cpu", "1"), ("memory", "1Gi")]), container(&[("cpu", "500m")])],
            init_containers: vec![container(&[("cpu", "2")]), container(&[("memory", "3Gi")])],
            overhead: rl(&[("cpu", "100m")]),
            ..PodSpec::default()
        };
        spec.finalize();
        assert_eq!(spec.requests.milli_cpu, 2000 + 100);
        assert_eq!(spec.requests.memory, 3 << 30);
        // Non-zero: the second container lacks memory -> 200Mi; the first init lacks memory.
        assert_eq!(spec.non_zero_requests.memory, (3 << 30).max((1 << 30) + DEFAULT_MEMORY_REQUEST));
    }

    #[test]
    fn sidecars_accumulate() {
        let mut sidecar = container(&[("cpu", "1")]);
        sidecar.restart_policy_always = true;
        let mut spec = PodSpec {
            containers: vec![container(&[("cpu", "1")])],
            init_containers: vec![sidecar, container(&[("cpu", "2")])],
            ..PodSpec::default()
        };
        spec.finalize();
        // containers 1 + sidecar 1 = 2; init step 2 + sidecar 1 = 3 -> max = 3.
        assert_eq!(spec.requests.milli_cpu, 3000);
    }

    #[test]
    fn non_zero_defaults_only_for_missing_requests() {
        let mut spec = PodSpec { containers: vec![container(&[("cpu", "0")])], ..PodSpec::default() };
        spec.finalize();
        assert_eq!(spec.non_zero_requests.milli_cpu, 0, "an explicit zero stays zero");
        assert_eq!(spec.non_zero_requests.memory, DEFAULT_MEMORY_REQUEST);
        let mut empty = PodSpec::default();
        empty.finalize();
        assert!(empty.non_zero_requests.is_zero(), "a pod without containers gets no defaults");
    }
}
