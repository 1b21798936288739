//! `spec.workload`: pods that arrive over time, from a trace file (openb or the generic pod
//! CSV, `workload/trace.rs`) or from a seeded generator (`workload/generate.rs`). See
//! `docs/traces.md`.
//!
//! A workload is kept compact: the trace's rows (or the generator's parameters) and one
//! prototype Pod (and Job) decoded like a manifest, so that the API server's defaults apply.
//! The engine asks [`Arrivals`] for the next arrival time and, at that instant, for the
//! objects to create, built from the prototype and the row; a trace of 100,000 pods is never
//! 100,000 objects (or queued events) before they arrive.

pub mod generate;
pub mod trace;

use crate::hash::HashMap;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::api::batch::Job;
use crate::api::pod::{Pod, PodSpec, SimBehavior};
use crate::api::quantity::{Format, Quantity};
use crate::api::resources::{ResourceList, ResourceName, gpu};
use crate::kernel::dist::DurationDist;
use crate::kernel::rng::uniform_below;
use crate::kernel::{SimDuration, SimTime, Streams};
use crate::manifest::Object;
use crate::yaml::Pos;
use generate::GenerateSpec;
pub use trace::{GpuAsk, OwnerKind, TraceNode, TracePod};

/// The label every workload pod (and Job) carries: the workload's name.
pub const WORKLOAD_LABEL: &str = "sim.kubesim.io/workload";
/// The stream of the thinning draws of a trace's `scale`.
pub const SCALE_STREAM: &str = "workload.scale";

/// One `spec.workload` entry.
#[derive(Clone, Debug)]
pub struct Workload {
    /// A DNS label; names generated pods (`<name>-<k>`) and keys the random streams.
    pub name: String,
    pub namespace: String,
    /// What each arrival creates unless its row says otherwise.
    pub kind: OwnerKind,
    /// openb `qos` → PriorityClass name.
    pub priority_classes: BTreeMap<String, String>,
    pub source: Source,
    /// A Pod decoded like a manifest (one container `main`, `restartPolicy: Never`, the
    /// workload's `schedulerName`); each arrival is a copy with its name, requests and run time.
    pub pod: Pod,
    /// A one-pod Job decoded like a manifest, its template the prototype pod's.
    pub job: Job,
    pub file: String,
    pub pos: Pos,
}

/// Where a workload's arrivals come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// The rows of a trace, sorted by arrival (stably: ties keep file order), with the scale
    /// factor and the time scale in thousandths.
    Trace {
        file: String,
        pods: Arc<[TracePod]>,
        scale_milli: u64,
        time_scale_milli: u64,
    },
    Generate(GenerateSpec),
}

/// The PriorityClass that the generic format's `priority` column `p` names:
/// `trace-priority-<p>` (`trace-priority-minus-<|p|>` below zero).
pub fn priority_class_name(p: i32) -> String {
    if p < 0 { format!("trace-priority-minus-{}", i64::from(p).unsigned_abs()) } else { format!("trace-priority-{p}") }
}

/// What one arriving pod asks for.
struct Shape<'a> {
    cpu_milli: u64,
    memory_bytes: u64,
    gpu: GpuAsk,
    gpu_spec: &'a str,
    duration: Option<SimDuration>,
    priority_class: Option<String>,
    owner: OwnerKind,
}

impl Workload {
    /// Arrival `t` of a trace row under the time scale.
    fn scaled(&self, t: SimTime) -> SimTime {
        match &self.source {
            Source::Trace { time_scale_milli, .. } => {
                let micros = u128::from(t.as_micros()) * u128::from(*time_scale_milli) / 1000;
                SimTime::ZERO.saturating_add(SimDuration::from_micros(u64::try_from(micros).unwrap_or(u64::MAX)))
            }
            Source::Generate(_) => t,
        }
    }

    /// The PriorityClass of a trace row: the generic format's `priority`, else the class the
    /// workload maps openb's `qos` to.
    fn row_priority_class(&self, p: &TracePod) -> Option<String> {
        match p.priority {
            Some(v) => Some(priority_class_name(v)),
            None => self.priority_classes.get(&p.qos).cloned(),
        }
    }

    /// The object an arrival creates. Arrivals of the same shape share one pod spec (`specs`,
    /// this workload's): the Job or pod's own fields — name, annotations, run time — are its
    /// own, and the API server admits the spec once for all of them.
    fn object(&self, name: String, shape: Shape<'_>, specs: &mut SpecCache) -> Object {
        let key = (shape.cpu_milli, shape.memory_bytes, shape.gpu, shape.priority_class.clone());
        let spec = match specs.get(&key) {
            Some(spec) => spec.clone(),
            None => {
                let spec = Arc::new(self.spec_of(&shape));
                if specs.len() < SPEC_CACHE_CAPACITY {
                    specs.insert(key, spec.clone());
                }
                spec
            }
        };
        let mut annotations = self.pod.meta.annotations.clone();
        if !shape.gpu_spec.is_empty() {
            annotations.insert(gpu::SPEC_ANNOTATION.to_string(), shape.gpu_spec.to_string());
        }
        if let Some(d) = shape.duration {
            annotations.insert(crate::api::pod::annotations::DURATION.to_string(), d.text());
        }
        let mut sim = SimBehavior::clone(&self.pod.sim);
        sim.duration = shape.duration.map(DurationDist::Fixed);
        match shape.owner {
            OwnerKind::Pod => {
                let mut pod = Pod { spec, sim: Arc::new(sim), ..self.pod.clone() };
                pod.meta.name = name;
                pod.meta.annotations = annotations;
                Object::Pod(pod)
            }
            OwnerKind::Job => {
                let mut job = self.job.clone();
                job.meta.name = name;
                job.spec.template.spec = spec;
                job.spec.template.annotations = annotations;
                job.spec.template.sim = Arc::new(sim);
                Object::Job(job)
            }
        }
    }

    /// The pod spec of an arrival of `shape`: the prototype's, with its requests, limits and
    /// PriorityClass.
    fn spec_of(&self, shape: &Shape<'_>) -> PodSpec {
        let resource = |n: &str| ResourceName::parse(n).expect("a known resource name");
        let mut requests = ResourceList::new();
        let mut limits = ResourceList::new();
        let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        if shape.cpu_milli > 0 {
            requests.insert(ResourceName::Cpu, Quantity::new_milli(clamp(shape.cpu_milli), Format::DecimalSI));
        }
        if shape.memory_bytes > 0 {
            requests.insert(ResourceName::Memory, Quantity::new(clamp(shape.memory_bytes), Format::BinarySI));
        }
        match shape.gpu {
            GpuAsk::None => {}
            GpuAsk::Whole(k) => {
                let q = Quantity::new(i64::from(k), Format::DecimalSI);
                requests.insert(resource(gpu::DEVICES), q.clone());
                limits.insert(resource(gpu::DEVICES), q);
            }
            GpuAsk::Milli(m) => {
                let q = Quantity::new(i64::from(m), Format::DecimalSI);
                requests.insert(resource(gpu::MILLI), q.clone());
                limits.insert(resource(gpu::MILLI), q);
            }
        }
        let mut spec = PodSpec::clone(&self.pod.spec);
        let container = &mut spec.containers[0];
        container.requests = requests;
        container.limits = limits;
        if let Some(class) = &shape.priority_class {
            spec.priority_class_name = class.clone();
        }
        spec.finalize();
        spec
    }
}

/// One workload's pod specs by shape (cpu, memory, GPUs, PriorityClass).
type SpecCache = HashMap<(u64, u64, GpuAsk, Option<String>), Arc<PodSpec>>;

/// Distinct shapes remembered per workload (a shape past it gets a spec of its own).
const SPEC_CACHE_CAPACITY: usize = 4096;

/// Where one workload's arrivals stand.
#[derive(Clone, Debug)]
enum Cursor {
    /// The next row, the copy of it due next, and its number of copies.
    Trace { row: usize, copy: u32, copies: u32 },
    /// The generator, the number of pods made so far, the GPU thousandths they request, and
    /// the next arrival time.
    Generate { arrivals: Box<generate::Arrivals>, k: u64, gpu_milli: u64, next: Option<SimTime> },
}

/// The arrivals of every workload of a scenario, merged in time order (ties: the earlier
/// workload first, then row order).
#[derive(Clone, Debug, Default)]
pub struct Arrivals {
    cursors: Vec<Cursor>,
    /// GPU thousandths of the nodes present at the start (`gpuRequests` is a share of it).
    gpu_capacity_milli: u64,
    /// Objects created so far.
    pub created: u64,
    /// Per workload, its pod specs by shape.
    specs: Vec<SpecCache>,
}

impl Arrivals {
    /// The arrivals of `workloads`; `gpu_capacity_milli` is the GPU thousandths of the nodes
    /// present at the start (1000 per device), which a generator's `gpuRequests` refers to.
    pub fn new(workloads: &[Workload], streams: &Streams, gpu_capacity_milli: u64) -> Arrivals {
        let mut cursors = Vec::with_capacity(workloads.len());
        for w in workloads {
            let cursor = match &w.source {
                Source::Trace { .. } => {
                    let mut c = Cursor::Trace { row: 0, copy: 0, copies: 0 };
                    settle(w, &mut c, streams);
                    c
                }
                Source::Generate(g) => {
                    let mut arrivals = Box::new(g.arrivals(&w.name, streams));
                    let next = next_generated(g, &mut arrivals, 0, 0, gpu_capacity_milli);
                    Cursor::Generate { arrivals, k: 0, gpu_milli: 0, next }
                }
            };
            cursors.push(cursor);
        }
        Arrivals { cursors, gpu_capacity_milli, created: 0, specs: vec![SpecCache::default(); workloads.len()] }
    }

    fn next_of(workload: &Workload, cursor: &Cursor) -> Option<SimTime> {
        match (cursor, &workload.source) {
            (Cursor::Trace { row, .. }, Source::Trace { pods, .. }) => {
                pods.get(*row).map(|p| workload.scaled(p.arrival))
            }
            (Cursor::Generate { next, .. }, _) => *next,
            _ => None,
        }
    }

    /// The time of the next arrival, if any.
    pub fn next_time(&self, workloads: &[Workload]) -> Option<SimTime> {
        self.cursors.iter().zip(workloads).filter_map(|(c, w)| Arrivals::next_of(w, c)).min()
    }

    /// The next object due at `now` (`None` when none is), advancing past it.
    pub fn pop_due(&mut self, workloads: &[Workload], streams: &Streams, now: SimTime) -> Option<Object> {
        let (i, w) = workloads
            .iter()
            .enumerate()
            .find(|(i, w)| Arrivals::next_of(w, &self.cursors[*i]).is_some_and(|t| t <= now))?;
        let capacity = self.gpu_capacity_milli;
        let cursor = &mut self.cursors[i];
        let object = match (cursor, &w.source) {
            (Cursor::Trace { row, copy, .. }, Source::Trace { pods, .. }) => {
                let p = &pods[*row];
                let base = if p.name.is_empty() { format!("{}-{}", w.name, row) } else { p.name.clone() };
                let name = if *copy == 0 { base } else { format!("{base}-x{copy}") };
                let priority_class = w.row_priority_class(p);
                let shape = Shape {
                    cpu_milli: p.cpu_milli,
                    memory_bytes: p.memory_bytes,
                    gpu: p.gpu,
                    gpu_spec: &p.gpu_spec,
                    duration: p.duration,
                    priority_class,
                    owner: p.owner.unwrap_or(w.kind),
                };
                let object = w.object(name, shape, &mut self.specs[i]);
                *copy += 1;
                settle(w, &mut self.cursors[i], streams);
                object
            }
            (Cursor::Generate { arrivals, k, gpu_milli, next }, Source::Generate(g)) => {
                let drawn = g.draw(&w.name, *k, streams);
                let row = match (&g.shapes, drawn.row) {
                    (generate::Shapes::Sample { pods, .. }, Some(r)) => Some(&pods[r]),
                    _ => None,
                };
                let shape = Shape {
                    cpu_milli: drawn.cpu_milli,
                    memory_bytes: drawn.memory_bytes,
                    gpu: drawn.gpu,
                    gpu_spec: row.map_or("", |p| p.gpu_spec.as_str()),
                    duration: drawn.duration,
                    priority_class: row.and_then(|p| w.row_priority_class(p)),
                    owner: row.and_then(|p| p.owner).unwrap_or(w.kind),
                };
                let object = w.object(format!("{}-{k}", w.name), shape, &mut self.specs[i]);
                *k += 1;
                *gpu_milli = gpu_milli.saturating_add(drawn.gpu_milli());
                *next = next_generated(g, arrivals, *k, *gpu_milli, capacity);
                object
            }
            _ => return None,
        };
        self.created += 1;
        Some(object)
    }
}

/// The generator's next arrival, within `count`, `gpuRequests` (the `made` pods so far request
/// `gpu_milli` of the `capacity`) and `until`.
fn next_generated(
    g: &GenerateSpec,
    arrivals: &mut generate::Arrivals,
    made: u64,
    gpu_milli: u64,
    capacity: u64,
) -> Option<SimTime> {
    if g.count.is_some_and(|c| made >= c) {
        return None;
    }
    if g.gpu_requests_percent.is_some_and(|p| u128::from(gpu_milli) * 100 >= u128::from(p) * u128::from(capacity)) {
        return None;
    }
    let t = arrivals.next()?;
    if g.until.is_some_and(|u| t > u) {
        return None;
    }
    Some(t)
}

/// Moves a trace cursor to the next copy to create: past the row once its copies are made,
/// drawing each new row's number of copies (`⌊scale⌋`, plus one with probability
/// `scale − ⌊scale⌋` from a stream keyed by the workload and the row).
fn settle(w: &Workload, cursor: &mut Cursor, streams: &Streams) {
    let (Cursor::Trace { row, copy, copies }, Source::Trace { pods, scale_milli, .. }) = (cursor, &w.source) else {
        return;
    };
    loop {
        if *row >= pods.len() {
            return;
        }
        if *copy == 0 && *copies == 0 {
            let whole = (scale_milli / 1000) as u32;
            let frac = scale_milli % 1000;
            let extra = frac > 0 && uniform_below(&mut streams.keyed(SCALE_STREAM, &w.name, *row as u64), 1000) < frac;
            *copies = whole + u32::from(extra);
            if *copies == 0 {
                *row += 1;
                continue;
            }
        }
        if *copy < *copies {
            return;
        }
        *row += 1;
        *copy = 0;
        *copies = 0;
    }
}
