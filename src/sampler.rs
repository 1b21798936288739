//! The incremental sampler: `timeseries.csv` rows kept up to date from the store's change
//! stream instead of recounted from every pod and node at each sample.
//!
//! [`Sample::take`] (with [`metrics::gpu_fragmentation`]) is the definition: it scans every
//! live pod and node. A replay of months samples ~100,000 times, and the cluster changes
//! between almost every two samples (a retried pending pod is an API write), so the scan was
//! most of a long run's cost. Here every pod and node keeps what it contributed to the totals;
//! a change marks it dirty (the engine forwards every [`Change`]), and a sample first moves the
//! dirty ones' contributions, then reads the totals.
//!
//! The stranded capacity is kept per node too: a node's free (cpu, memory) is stranded when
//! no pending shape fits in it, so it depends on the node and on the pending shapes' minimal
//! set ([`metrics::MinimalShapes`]). While that set is the one of the last sample, only the
//! nodes whose free capacity or state changed are judged again; when it changes, every node
//! is (a replay whose pending set is a few stuck pods keeps it for most samples).
//!
//! The GPU fragmentation is kept as `T_s = Σ_n F_n(s)` per task shape `s` ever seen (shapes are
//! (GPU request `r`, cpu request `x`)), and the cluster's value is `Σ_s w_s · T_s / Σ_s w_s`
//! with the live pods' shape counts `w_s` — the same integers [`metrics::gpu_fragmentation`]
//! sums, in another order. A node with `c` millicores free adds to a shape of request `r` its
//! device term `D_n(r)` when `x ≤ c`, else all its free GPU milli `A_n`: so each request keeps
//! its shapes' cpus in order and a difference array over them, to which a node adds `D_n(r)`
//! at the first position and `A_n − D_n(r)` at the first cpu above `c`; `T_s` is a prefix sum.
//! A node's part (`A_n`, `c`, `D_n(r)` per request) is recomputed when its view in the
//! scheduler cache may have changed (the node changed, or a pod bound to it did): one device
//! term and one binary search per distinct request, however many cpu sizes each has.
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
    /// With GPU devices in the scheduler's view: what it adds to the fragmentation.
    gpu: Option<GpuPart>,
    /// What this node adds to the stranded (cpu, memory) under `Sampler::minimal`.
    stranded: (i64, i64),
}

/// What a node with GPU devices adds (as of its last update).
#[derive(Clone, Debug, Default)]
struct GpuPart {
    /// Σ free milli of its devices (`A_n`).
    free: i64,
    /// Its free millicores (`c`).
    cpu: i64,
    /// `device_fragmentation` for the request of each of `Sampler::by_request`, in order
    /// (`D_n(r)`).
    device: Vec<i64>,
}

/// [`device_fragmentation`] of one node's devices for many requests: their free milli sorted
/// (most first) with running sums, so that each request costs a short scan.
struct DeviceTerms<'a> {
    /// Free milli by device, most first.
    free: &'a [i64],
    /// Σ free milli, negatives as 0 (what a request that does not fit finds fragmented).
    all: i64,
}

impl<'a> DeviceTerms<'a> {
    fn new(free: &'a mut [i64]) -> DeviceTerms<'a> {
        free.sort_unstable_by(|a, b| b.cmp(a));
        let all = free.iter().map(|&f| f.max(0)).sum();
        DeviceTerms { free, all }
    }

    /// `device_fragmentation(free, request)`: with `k` devices of at least the per-device
    /// milli `m`, all free milli when `k` falls short of the count, else what the devices with
    /// less than `m` have free (all less what the `k` hold, each of them positive).
    fn of(&self, request: GpuRequest) -> i64 {
        let (count, milli) = request.per_device();
        let term = if milli <= 0 {
            device_fragmentation(self.free, request)
        } else {
            let (mut fitting, mut held) = (0usize, 0i64);
            for &f in self.free.iter().take_while(|&&f| f >= milli) {
                fitting += 1;
                held += f;
            }
            if fitting < count as usize { self.all } else { self.all - held }
        };
        debug_assert_eq!(term, device_fragmentation(self.free, request));
        term
    }
}

/// The shapes of one GPU request: their cpus ascending, the shape at each, and the difference
/// array of their totals (`totals[i] = Σ diff[..=i]`).
#[derive(Clone, Debug)]
struct RequestShapes {
    request: GpuRequest,
    cpus: Vec<i64>,
    shapes: Vec<usize>,
    diff: Vec<i128>,
}

impl RequestShapes {
    /// Adds (`add`) or removes what a node part adds, `device` being its term for this
    /// request: the shapes at or below its free cpu get `device`, those above all its free.
    fn add(&mut self, part: &GpuPart, device: i64, add: bool) {
        let above = self.cpus.partition_point(|&x| x <= part.cpu);
        let (first, rest) = (i128::from(device), i128::from(part.free - device));
        if add {
            self.diff[0] += first;
            self.diff[above] += rest;
        } else {
            self.diff[0] -= first;
            self.diff[above] -= rest;
        }
    }
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
    /// GPU task shapes seen, with their live counts.
    shapes: Vec<TargetShape>,
    shape_index: BTreeMap<(GpuRequest, i64), usize>,
    /// The distinct GPU requests of `shapes` in first-seen order, with the shapes of each.
    by_request: Vec<RequestShapes>,
    /// How many of `shapes` the nodes' parts and `by_request` cover (all after a sample).
    shapes_covered: usize,
    gpu_nodes: u32,
    gpu_free: i64,
    /// Whether everything was counted once (the first sample scans all).
    primed: bool,
    /// The pending shapes' minimal set the nodes' `stranded` parts were judged under (`None`:
    /// not judged, every part is (0, 0)), with their sums.
    minimal: Option<metrics::MinimalShapes>,
    stranded_cpu: i64,
    stranded_memory: i64,
    /// Nodes whose free capacity or state changed since their part was judged.
    strand_dirty: Vec<NodeId>,
    node_strand_dirty: Vec<bool>,
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

/// What a node adds to the stranded (cpu, memory): its free capacity when it takes pods and
/// no pending shape fits in it (as [`Sample::take`] counts it).
fn stranded(part: &NodePart, minimal: &metrics::MinimalShapes) -> (i64, i64) {
    if !part.live || !part.ready || part.unschedulable {
        return (0, 0);
    }
    let (free_cpu, free_memory) = (part.cpu - part.used_cpu, part.memory - part.used_memory);
    if minimal.fit_in(free_cpu, free_memory) { (0, 0) } else { (free_cpu.max(0), free_memory.max(0)) }
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
        self.update_stranded();
        self.read(now, store)
    }

    /// Brings the nodes' stranded parts up to date with the pending shapes now: the changed
    /// nodes only while the minimal set is the last sample's, else every node.
    fn update_stranded(&mut self) {
        let minimal =
            (!self.pending.is_empty()).then(|| metrics::MinimalShapes::new(self.pending.keys().copied().collect()));
        let dirty = std::mem::take(&mut self.strand_dirty);
        for &n in &dirty {
            self.node_strand_dirty[n.index()] = false;
        }
        if minimal == self.minimal {
            if let Some(minimal) = &self.minimal {
                for &n in &dirty {
                    let part = &mut self.nodes[n.index()];
                    let (old, new) = (part.stranded, stranded(part, minimal));
                    part.stranded = new;
                    self.stranded_cpu += new.0 - old.0;
                    self.stranded_memory += new.1 - old.1;
                }
            }
        } else {
            (self.stranded_cpu, self.stranded_memory) = (0, 0);
            for part in &mut self.nodes {
                part.stranded = minimal.as_ref().map_or((0, 0), |m| stranded(part, m));
                self.stranded_cpu += part.stranded.0;
                self.stranded_memory += part.stranded.1;
            }
            self.minimal = minimal;
        }
        self.strand_dirty = dirty;
        self.strand_dirty.clear();
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
            gpu: old.gpu,
            stranded: old.stranded,
        };
        mark(&mut self.strand_dirty, &mut self.node_strand_dirty, n.index(), n);
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
                // Placed among the parts at the next sample (`extend_shapes`).
                self.shapes.push(TargetShape { request: gpu, cpu_milli: r.milli_cpu, weight: 0 });
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
            mark(&mut self.strand_dirty, &mut self.node_strand_dirty, n.index(), n);
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
        if let Some(old) = self.nodes[n.index()].gpu.take() {
            for (shapes, &device) in self.by_request.iter_mut().zip(&old.device) {
                shapes.add(&old, device, false);
            }
            self.gpu_nodes -= 1;
            self.gpu_free -= old.free;
        }
        let Some(info) = cache.get(n.index()).filter(|_| self.nodes[n.index()].live) else { return };
        let mut devices = info.gpu_free();
        if devices.is_empty() {
            return;
        }
        let terms = DeviceTerms::new(&mut devices);
        let new = GpuPart {
            free: terms.all,
            cpu: cpu_free(info),
            device: self.by_request.iter().map(|shapes| terms.of(shapes.request)).collect(),
        };
        for (shapes, &device) in self.by_request.iter_mut().zip(&new.device) {
            shapes.add(&new, device, true);
        }
        self.gpu_nodes += 1;
        self.gpu_free += new.free;
        self.nodes[n.index()].gpu = Some(new);
    }

    /// Places the shapes registered since among their request's (a new request's device term
    /// is added to every GPU node's part, from its view now: nodes about to be recomputed
    /// subtract what was added here), and renews the difference array of each request that
    /// got a new cpu from the parts.
    fn extend_shapes(&mut self, cache: &[NodeInfo]) {
        let known = std::mem::replace(&mut self.shapes_covered, self.shapes.len());
        if known == self.shapes.len() {
            return;
        }
        let mut renew = vec![false; self.by_request.len()];
        for s in known..self.shapes.len() {
            let TargetShape { request, cpu_milli, .. } = self.shapes[s];
            let r = match self.by_request.iter().position(|shapes| shapes.request == request) {
                Some(r) => r,
                None => {
                    let shapes = RequestShapes { request, cpus: Vec::new(), shapes: Vec::new(), diff: vec![0] };
                    self.by_request.push(shapes);
                    renew.push(true);
                    for (k, node) in self.nodes.iter_mut().enumerate() {
                        let Some(part) = &mut node.gpu else { continue };
                        part.device.push(DeviceTerms::new(&mut cache[k].gpu_free()).of(request));
                    }
                    self.by_request.len() - 1
                }
            };
            let shapes = &mut self.by_request[r];
            let at = shapes.cpus.partition_point(|&x| x < cpu_milli);
            debug_assert!(shapes.cpus.get(at) != Some(&cpu_milli), "a shape is registered once");
            shapes.cpus.insert(at, cpu_milli);
            shapes.shapes.insert(at, s);
            renew[r] = true;
        }
        for (r, shapes) in self.by_request.iter_mut().enumerate().filter(|&(r, _)| renew[r]) {
            shapes.diff.clear();
            shapes.diff.resize(shapes.cpus.len() + 1, 0);
            for part in self.nodes.iter().filter_map(|node| node.gpu.as_ref()) {
                shapes.add(part, part.device[r], true);
            }
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
            cpu_stranded_milli: self.stranded_cpu,
            memory_stranded_bytes: self.stranded_memory,
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
        if self.gpu_nodes > 0 {
            let total: i128 = self.shapes.iter().map(|s| i128::from(s.weight)).sum();
            let mut fragmented = 0i128;
            for shapes in &self.by_request {
                let mut t = 0i128;
                for (&s, d) in shapes.shapes.iter().zip(&shapes.diff) {
                    t += d;
                    fragmented += i128::from(self.shapes[s].weight) * t;
                }
            }
            s.gpu = Some((self.gpu_free, if total > 0 { (fragmented / total) as i64 } else { 0 }));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The sorted scan answers what `device_fragmentation` does, for every request and
        /// free vector (negative free milli included).
        #[test]
        fn device_terms_are_device_fragmentation(
            free in proptest::collection::vec(-300i64..=1000, 0..10),
            whole in 1u32..10,
            share in 1i64..=1000,
        ) {
            let mut sorted = free.clone();
            let terms = DeviceTerms::new(&mut sorted);
            prop_assert_eq!(terms.all, free.iter().map(|&f| f.max(0)).sum::<i64>());
            for request in [GpuRequest::Whole(whole), GpuRequest::Share(share)] {
                prop_assert_eq!(terms.of(request), device_fragmentation(&free, request));
            }
        }
    }
}
