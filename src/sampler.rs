//! The incremental sampler: `timeseries.csv` rows kept up to date from the store's change
//! stream instead of recounted from every pod and node at each sample.
//!
//! [`Sample::take`] (with [`metrics::gpu_fragmentation`]) is the definition: it scans every
//! live pod and node. A replay of months samples ~100,000 times, and the cluster changes
//! between almost every two samples (a retried pending pod is an API write), so the scan was
//! most of a long run's cost. Here every pod and node keeps what it contributed to the totals;
//! a change marks it dirty (the engine forwards every [`Change`]), and a sample first moves the
//! dirty ones' contributions, then reads the totals. Only the stranded-capacity columns still
//! visit every node, and only while some pod is pending.
//!
//! The GPU fragmentation is kept as `T_s = Σ_n F_n(s)` per task shape `s` ever seen (shapes are
//! (GPU request, cpu request)): a node's `F_n` vector is recomputed when its view in the
//! scheduler cache may have changed (the node changed, or a pod bound to it did), and the
//! cluster's value is `Σ_s w_s · T_s / Σ_s w_s` with the live pods' shape counts `w_s` — the
//! same integers [`metrics::gpu_fragmentation`] sums, in another order.
//!
//! Test builds compare every incremental sample with [`Sample::take`] (see the engine).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::api::pod::{Pod, PodPhase};
use crate::api::resources::GpuRequest;
use crate::kernel::SimTime;
use crate::metrics::{self, Sample};
use crate::scheduler::framework::NodeInfo;
use crate::scheduler::plugins::fgd::{TargetShape, cpu_free, device_fragmentation};
use crate::store::{Change, NodeId, PodId, Store};

/// What one pod adds to the totals.
#[derive(Clone, Debug, Default)]
struct PodPart {
    /// Live (not removed): counted at all.
    live: bool,
    phase: u8,
    ready: bool,
    terminating: bool,
    /// Requests that count as requested: bound to a node that still exists, not terminal
    /// (else 0).
    cpu: i64,
    memory: i64,
    scalars: Vec<(Arc<str>, i64)>,
    /// Not terminal and bound: the node it uses (even a removed one), with its requests.
    uses: Option<NodeId>,
    cpu_request: i64,
    memory_request: i64,
    /// Not terminal, not bound, not terminating: its (cpu, memory) is a pending shape.
    pending: Option<(i64, i64)>,
    /// Not terminal and asking for GPU devices: its shape's index.
    gpu_shape: Option<usize>,
}

/// What one node adds.
#[derive(Clone, Debug, Default)]
struct NodePart {
    /// Not removed.
    live: bool,
    ready: bool,
    unschedulable: bool,
    cpu: i64,
    memory: i64,
    scalars: Vec<(Arc<str>, i64)>,
    /// Σ over unfinished pods bound to it (removed nodes included): count, cpu, memory.
    used_pods: u32,
    used_cpu: i64,
    used_memory: i64,
    /// With GPU devices in the scheduler's view: Σ free milli, and `F_n(s)` per shape index.
    gpu: Option<(i64, Vec<i64>)>,
}

#[derive(Clone, Debug, Default)]
pub struct Sampler {
    /// By pod id: the part of each pod whose object exists (a removed pod adds nothing, and a
    /// day of a million pods keeps a null pointer for each of them).
    pods: Vec<Option<Box<PodPart>>>,
    nodes: Vec<NodePart>,
    dirty_pods: Vec<PodId>,
    pod_dirty: Vec<bool>,
    dirty_nodes: Vec<NodeId>,
    node_dirty: Vec<bool>,
    /// Nodes whose scheduler view may have changed (GPU part).
    gpu_dirty: Vec<NodeId>,
    node_gpu_dirty: Vec<bool>,
    counts: [u32; 4],
    ready: u32,
    terminating: u32,
    nodes_live: u32,
    nodes_ready: u32,
    nodes_used: u32,
    cpu_requested: i64,
    memory_requested: i64,
    cpu_allocatable: i64,
    memory_allocatable: i64,
    /// name -> (requested, allocatable, live nodes naming it).
    scalars: BTreeMap<Arc<str>, (i64, i64, u32)>,
    /// Pending (cpu, memory) shapes with their counts.
    pending: BTreeMap<(i64, i64), u32>,
    /// GPU task shapes seen, their live counts, and `T_s`.
    shapes: Vec<TargetShape>,
    shape_index: BTreeMap<(GpuRequest, i64), usize>,
    /// The distinct GPU requests of `shapes`, and by shape the position of its request: a
    /// node's device term is computed once per request, however many cpu sizes it has.
    requests: Vec<GpuRequest>,
    shape_request: Vec<usize>,
    shape_totals: Vec<i128>,
    /// How many of `shapes` every GPU node's `F` covers (all of them after a sample).
    shapes_covered: usize,
    gpu_nodes: u32,
    gpu_free: i64,
    /// Whether everything was counted once (the first sample scans all).
    primed: bool,
}

fn phase_index(p: PodPhase) -> u8 {
    match p {
        PodPhase::Pending | PodPhase::Unknown => 0,
        PodPhase::Running => 1,
        PodPhase::Succeeded => 2,
        PodPhase::Failed => 3,
    }
}

fn mark<T: Copy>(list: &mut Vec<T>, flags: &mut Vec<bool>, index: usize, id: T) {
    if flags.len() <= index {
        flags.resize(index + 1, false);
    }
    if !flags[index] {
        flags[index] = true;
        list.push(id);
    }
}

/// `fgd::fragmentation(devices, cpu, s)` of each of `shapes`, in order (`shape_request[i]`:
/// the position of shape i's GPU request among `requests` distinct ones). Each request's
/// device term (`device_fragmentation`) is computed once; a shape whose cpu the node lacks
/// has every free milli, as `fragmentation` says.
fn shape_fragmentations(
    shapes: &[TargetShape],
    shape_request: &[usize],
    requests: usize,
    devices: &[i64],
    cpu: i64,
    mut out: impl FnMut(i64),
) {
    let all: i64 = devices.iter().map(|&f| f.max(0)).sum();
    let mut by_request: smallvec::SmallVec<[Option<i64>; 32]> = smallvec::smallvec![None; requests];
    for (s, &r) in shapes.iter().zip(shape_request) {
        out(if cpu < s.cpu_milli {
            all
        } else {
            *by_request[r].get_or_insert_with(|| device_fragmentation(devices, s.request))
        });
    }
}

impl Sampler {
    pub fn new() -> Sampler {
        Sampler::default()
    }

    /// Notes one store change (the engine forwards every change it dispatches).
    pub fn note(&mut self, store: &Store, change: Change) {
        if !self.primed {
            return;
        }
        match change {
            Change::PodCreated(p)
            | Change::PodBound(p)
            | Change::PodStatus(p)
            | Change::PodDeleting(p)
            | Change::PodRemoved(p) => self.touch_pod(store, p),
            Change::NodeAdded(n) | Change::NodeUpdated(n) | Change::NodeRemoved(n) => {
                mark(&mut self.dirty_nodes, &mut self.node_dirty, n.index(), n);
                mark(&mut self.gpu_dirty, &mut self.node_gpu_dirty, n.index(), n);
            }
            _ => {}
        }
    }

    fn touch_pod(&mut self, store: &Store, p: PodId) {
        mark(&mut self.dirty_pods, &mut self.pod_dirty, p.index(), p);
        if let Some(n) = store.pod(p).status.node {
            mark(&mut self.gpu_dirty, &mut self.node_gpu_dirty, n.index(), n);
        }
    }

    /// The sample at `now`: moves the dirty contributions, then reads the totals.
    pub fn sample(&mut self, now: SimTime, store: &Store, cache: &[NodeInfo]) -> Sample {
        if !self.primed {
            self.primed = true;
            for n in store.node_slots() {
                mark(&mut self.dirty_nodes, &mut self.node_dirty, n.index(), n);
                mark(&mut self.gpu_dirty, &mut self.node_gpu_dirty, n.index(), n);
            }
            for p in store.live_pods() {
                mark(&mut self.dirty_pods, &mut self.pod_dirty, p.index(), p);
            }
        }
        // Nodes first: whether a node still exists decides whether its pods hold requests.
        let nodes = std::mem::take(&mut self.dirty_nodes);
        for &n in &nodes {
            self.node_dirty[n.index()] = false;
            let was_live = self.nodes.get(n.index()).is_some_and(|p| p.live);
            self.update_node(store, n);
            if was_live && !self.nodes[n.index()].live {
                for &p in store.pods_on_node(n) {
                    mark(&mut self.dirty_pods, &mut self.pod_dirty, p.index(), p);
                }
            }
        }
        self.dirty_nodes = nodes;
        self.dirty_nodes.clear();
        let pods = std::mem::take(&mut self.dirty_pods);
        for &p in &pods {
            self.pod_dirty[p.index()] = false;
            self.update_pod(store, p);
        }
        self.dirty_pods = pods;
        self.dirty_pods.clear();
        self.extend_shapes(cache);
        let gpu = std::mem::take(&mut self.gpu_dirty);
        for &n in &gpu {
            self.node_gpu_dirty[n.index()] = false;
            self.update_gpu(cache, n);
        }
        self.gpu_dirty = gpu;
        self.gpu_dirty.clear();
        self.read(now, store)
    }

    fn update_node(&mut self, store: &Store, n: NodeId) {
        if self.nodes.len() <= n.index() {
            self.nodes.resize_with(n.index() + 1, NodePart::default);
        }
        let old = std::mem::take(&mut self.nodes[n.index()]);
        let node = store.node(n);
        let live = !store.is_node_removed(n);
        let new = NodePart {
            live,
            ready: live && node.is_ready(),
            unschedulable: node.unschedulable,
            cpu: if live { node.allocatable_resources.milli_cpu } else { 0 },
            memory: if live { node.allocatable_resources.memory } else { 0 },
            scalars: if live { node.allocatable_resources.scalar.clone() } else { Vec::new() },
            used_pods: old.used_pods,
            used_cpu: old.used_cpu,
            used_memory: old.used_memory,
            gpu: old.gpu.clone(),
        };
        self.nodes_live = self.nodes_live + u32::from(new.live) - u32::from(old.live);
        self.nodes_ready = self.nodes_ready + u32::from(new.ready) - u32::from(old.ready);
        let (was_used, is_used) = (old.live && old.used_pods > 0, new.live && new.used_pods > 0);
        self.nodes_used = self.nodes_used + u32::from(is_used) - u32::from(was_used);
        self.cpu_allocatable += new.cpu - old.cpu;
        self.memory_allocatable += new.memory - old.memory;
        for (name, v) in &old.scalars {
            let e = self.scalars.get_mut(name).expect("counted when added");
            e.1 -= v;
            e.2 -= 1;
        }
        for (name, v) in &new.scalars {
            let e = self.scalars.entry(name.clone()).or_insert((0, 0, 0));
            e.1 += v;
            e.2 += 1;
        }
        self.nodes[n.index()] = new;
    }

    fn update_pod(&mut self, store: &Store, p: PodId) {
        if self.pods.len() <= p.index() {
            self.pods.resize_with(p.index() + 1, || None);
        }
        let old = self.pods[p.index()].take();
        let new = (!store.is_pod_removed(p)).then(|| self.part_of(store, store.pod(p)));
        if let Some(old) = old.as_deref().filter(|o| o.live) {
            self.add_pod(old, -1);
        }
        if let Some(new) = new.as_ref().filter(|n| n.live) {
            self.add_pod(new, 1);
        }
        // Reuse the old box when there was one.
        self.pods[p.index()] = match (old, new) {
            (Some(mut b), Some(n)) => {
                *b = n;
                Some(b)
            }
            (None, Some(n)) => Some(Box::new(n)),
            (_, None) => None,
        };
    }

    fn part_of(&mut self, store: &Store, pod: &Pod) -> PodPart {
        let terminal = pod.status.phase.is_terminal();
        let node = pod.status.node;
        let holds = node.is_some_and(|n| !store.is_node_removed(n)) && !terminal;
        let r = &pod.spec.requests;
        let gpu = GpuRequest::of(r);
        let gpu_shape = (gpu.uses_devices() && !terminal).then(|| {
            *self.shape_index.entry((gpu, r.milli_cpu)).or_insert_with(|| {
                self.shapes.push(TargetShape { request: gpu, cpu_milli: r.milli_cpu, weight: 0 });
                self.shape_totals.push(0);
                let request = match self.requests.iter().position(|&q| q == gpu) {
                    Some(i) => i,
                    None => {
                        self.requests.push(gpu);
                        self.requests.len() - 1
                    }
                };
                self.shape_request.push(request);
                self.shapes.len() - 1
            })
        });
        PodPart {
            live: true,
            phase: phase_index(pod.status.phase),
            ready: pod.is_ready(),
            terminating: pod.meta.is_terminating(),
            cpu: if holds { r.milli_cpu } else { 0 },
            memory: if holds { r.memory } else { 0 },
            scalars: if holds { r.scalar.clone() } else { Vec::new() },
            uses: node.filter(|_| !terminal),
            cpu_request: r.milli_cpu,
            memory_request: r.memory,
            pending: (!terminal && node.is_none() && !pod.meta.is_terminating()).then_some((r.milli_cpu, r.memory)),
            gpu_shape,
        }
    }

    /// Adds (`sign` 1) or removes (−1) a pod's contribution.
    fn add_pod(&mut self, part: &PodPart, sign: i64) {
        let add = |total: &mut u32, yes: bool| {
            if yes {
                *total = (i64::from(*total) + sign) as u32;
            }
        };
        add(&mut self.counts[part.phase as usize], true);
        add(&mut self.ready, part.ready);
        add(&mut self.terminating, part.terminating);
        self.cpu_requested += sign * part.cpu;
        self.memory_requested += sign * part.memory;
        for (name, v) in &part.scalars {
            self.scalars.entry(name.clone()).or_insert((0, 0, 0)).0 += sign * v;
        }
        if let Some(n) = part.uses {
            if self.nodes.len() <= n.index() {
                self.nodes.resize_with(n.index() + 1, NodePart::default);
            }
            let node = &mut self.nodes[n.index()];
            let was_used = node.live && node.used_pods > 0;
            node.used_pods = (i64::from(node.used_pods) + sign) as u32;
            node.used_cpu += sign * part.cpu_request;
            node.used_memory += sign * part.memory_request;
            let is_used = node.live && node.used_pods > 0;
            self.nodes_used = self.nodes_used + u32::from(is_used) - u32::from(was_used);
        }
        if let Some(shape) = part.pending {
            let count = self.pending.entry(shape).or_insert(0);
            *count = (i64::from(*count) + sign) as u32;
            if *count == 0 {
                self.pending.remove(&shape);
            }
        }
        if let Some(i) = part.gpu_shape {
            self.shapes[i].weight += sign;
        }
    }

    /// Recomputes a node's GPU part from the scheduler's view.
    fn update_gpu(&mut self, cache: &[NodeInfo], n: NodeId) {
        if self.nodes.len() <= n.index() {
            self.nodes.resize_with(n.index() + 1, NodePart::default);
        }
        if let Some((free, f)) = self.nodes[n.index()].gpu.take() {
            self.gpu_nodes -= 1;
            self.gpu_free -= free;
            for (t, v) in self.shape_totals.iter_mut().zip(&f) {
                *t -= i128::from(*v);
            }
        }
        let Some(info) = cache.get(n.index()).filter(|_| self.nodes[n.index()].live) else { return };
        let devices = info.gpu_free();
        if devices.is_empty() {
            return;
        }
        let free: i64 = devices.iter().map(|&f| f.max(0)).sum();
        let cpu = cpu_free(info);
        let mut f = Vec::with_capacity(self.shapes.len());
        shape_fragmentations(&self.shapes, &self.shape_request, self.requests.len(), &devices, cpu, |v| f.push(v));
        for (t, v) in self.shape_totals.iter_mut().zip(&f) {
            *t += i128::from(*v);
        }
        self.gpu_nodes += 1;
        self.gpu_free += free;
        self.nodes[n.index()].gpu = Some((free, f));
    }

    /// Extends every GPU node's `F` to the shapes registered since (nodes about to be
    /// recomputed included: they subtract what was added here).
    fn extend_shapes(&mut self, cache: &[NodeInfo]) {
        let known = std::mem::replace(&mut self.shapes_covered, self.shapes.len());
        debug_assert!(self.nodes.iter().all(|p| p.gpu.as_ref().is_none_or(|(_, f)| f.len() == known)));
        if known == self.shapes.len() {
            return;
        }
        for (k, part) in self.nodes.iter_mut().enumerate() {
            let Some((_, f)) = &mut part.gpu else { continue };
            let info = &cache[k];
            let devices = info.gpu_free();
            let cpu = cpu_free(info);
            let mut totals = self.shape_totals[known..].iter_mut();
            let new = (&self.shapes[known..], &self.shape_request[known..]);
            shape_fragmentations(new.0, new.1, self.requests.len(), &devices, cpu, |v| {
                f.push(v);
                *totals.next().expect("a total per shape") += i128::from(v);
            });
        }
    }

    fn read(&self, now: SimTime, store: &Store) -> Sample {
        let mut s = Sample {
            time: now,
            nodes: self.nodes_live,
            nodes_ready: self.nodes_ready,
            api_writes_total: store.journal.record_count(),
            pods_pending: self.counts[0],
            pods_running: self.counts[1],
            pods_succeeded: self.counts[2],
            pods_failed: self.counts[3],
            pods_ready: self.ready,
            pods_terminating: self.terminating,
            nodes_used: self.nodes_used,
            cpu_stranded_milli: 0,
            memory_stranded_bytes: 0,
            gpu: None,
            cpu_requested_milli: self.cpu_requested,
            cpu_allocatable_milli: self.cpu_allocatable,
            memory_requested_bytes: self.memory_requested,
            memory_allocatable_bytes: self.memory_allocatable,
            scalars: self
                .scalars
                .iter()
                .filter(|(_, v)| v.2 > 0)
                .map(|(name, &(requested, allocatable, _))| (name.clone(), requested, allocatable))
                .collect(),
            traffic: Vec::new(),
        };
        // By name, as the map is.
        debug_assert!(s.scalars.is_sorted());
        if !self.pending.is_empty() {
            let minimal = metrics::MinimalShapes::new(self.pending.keys().copied().collect());
            for part in &self.nodes {
                if !part.live || !part.ready || part.unschedulable {
                    continue;
                }
                let (free_cpu, free_mem) = (part.cpu - part.used_cpu, part.memory - part.used_memory);
                if !minimal.fit_in(free_cpu, free_mem) {
                    s.cpu_stranded_milli += free_cpu.max(0);
                    s.memory_stranded_bytes += free_mem.max(0);
                }
            }
        }
        if self.gpu_nodes > 0 {
            let total: i128 = self.shapes.iter().map(|s| i128::from(s.weight)).sum();
            let fragmented: i128 =
                self.shapes.iter().zip(&self.shape_totals).map(|(s, t)| i128::from(s.weight) * t).sum();
            s.gpu = Some((self.gpu_free, if total > 0 { (fragmented / total) as i64 } else { 0 }));
        }
        s
    }
}
