//! FGD (Fragmentation Gradient Descent): places a GPU pod where the node's expected GPU
//! fragmentation grows least (Weng et al., "Beware of Fragmentation: Scheduling GPU-Sharing
//! Workloads with Fragmentation Gradient Descent", USENIX ATC 2023; `docs/policies.md`).
//!
//! The fragmentation of a node with respect to a task shape is the free GPU milli that task
//! cannot use there: every free milli of the node if the task does not fit its devices, else
//! the free milli of the devices with less free than the task needs on one device. A node's
//! expected fragmentation weighs that over a target distribution of task shapes: the shapes
//! of the GPU pods this plugin has seen (by default) or a fixed list (`pluginConfig` args). A
//! node's score is the change of its expected fragmentation when the pod is placed there with
//! the device assignment rule ([`assign_gpu_devices`]); the least increase scores 100.
//!
//! Everything is integer arithmetic: fragmentations are milli, weights are counts (observed)
//! or millionths (configured), and the raw score is their exact weighted sum.
//!
//! How it is evaluated fast: a node's weighted fragmentation is `T · all − Σ_g W_g(cpu) · c_g`
//! (see [`Distribution::weighted`]): `all` and the per-GPU-request terms `c_g` depend only on
//! the multiset of the devices' free milli, the weights `W_g(cpu)` only on the distribution
//! and the node's free cpu. The device terms are memoized by multiset ([`DeviceMemo`]: a
//! cluster has few distinct ones; each entry also remembers which entry a pod of each request
//! leaves), the weights tabulated once per distribution ([`CpuWeights`]), so a node costs one
//! lookup and two dot products instead of two evaluations of every group.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use crate::hash::HashMap;

use crate::api::meta::Uid;
use crate::api::pod::Pod;
use crate::api::resources::{GpuRequest, gpu};
use crate::decode::{Ctx, DResult};
use crate::scheduler::framework::{
    CycleContext, MAX_NODE_SCORE, NodeInfo, Plugin, PreFilter, PreFilterResult, PreScore, Score, Status,
    assign_gpu_devices, take_gpu_devices,
};
use crate::yaml::Node as YamlNode;

pub const NAME: &str = "FGD";

/// Fixed-point scale of configured weights: `weight: 0.4` is 400,000 millionths.
pub const WEIGHT_SCALE: i64 = 1_000_000;

/// One shape of the target workload with its weight (in millionths for configured shapes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetShape {
    /// `Whole(k)` or `Share(m)`.
    pub request: GpuRequest,
    /// The task's cpu request (millicores; 0 for a configured shape without `cpu`): a node with
    /// less cpu free cannot run it, so all its free GPU is fragmentation for it.
    pub cpu_milli: i64,
    pub weight: i64,
}

/// `pluginConfig` args of FGD.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FgdArgs {
    /// A fixed target distribution; `None`: the shapes of the GPU pods seen so far.
    pub shapes: Option<Vec<TargetShape>>,
}

pub struct Fgd {
    fixed: Option<Distribution>,
    /// GPU pods seen, counted by (GPU request, cpu request): the default target distribution.
    observed: BTreeMap<(GpuRequest, i64), i64>,
    /// The pods already counted, so that a pod retried many times counts once.
    seen: BTreeSet<Uid>,
    /// `observed` as a [`Distribution`], rebuilt when a new pod is counted.
    observed_distribution: Option<Distribution>,
    /// The current distribution's weights by free cpu (set by PreScore; `Some(None)` when the
    /// fast evaluation does not apply and scores come from [`fragmentation_increase`]; `None`:
    /// not built for this distribution yet).
    weights: Option<Option<CpuWeights>>,
    /// Device terms by multiset of free milli, for the GPU requests of `weights`.
    memo: RefCell<DeviceMemo>,
    /// By node id: the node's free milli per device when last scored and its memo entry,
    /// so that a node whose devices did not change is not sorted and hashed again.
    last_seen: RefCell<Vec<SeenDevices>>,
    /// [`CpuWeights::weighted`] by (device entry, weights row), for the current weights and
    /// memo epoch: nodes with equal devices and free cpu (the empty ones, most) share their
    /// terms.
    weighted_seen: RefCell<WeightedCache>,
    /// This cycle's pod, its request and cpu request (set by PreScore).
    pod: Option<Uid>,
    request: GpuRequest,
    cpu_milli: i64,
}

impl Fgd {
    pub fn new(args: FgdArgs) -> Fgd {
        Fgd {
            fixed: args.shapes.as_deref().map(Distribution::new),
            observed: BTreeMap::new(),
            seen: BTreeSet::new(),
            observed_distribution: None,
            weights: None,
            memo: RefCell::new(DeviceMemo::default()),
            last_seen: RefCell::new(Vec::new()),
            weighted_seen: RefCell::new(WeightedCache::new()),
            pod: None,
            request: GpuRequest::None,
            cpu_milli: 0,
        }
    }

    /// Counts the pod's shape once per pod (by UID), if it asks for GPU devices. The observed
    /// distribution and its weights, once built, grow in place (a new GPU request or cpu
    /// request among the weights' thresholds has them built anew at PreScore).
    fn observe(&mut self, pod: &Pod) {
        let request = GpuRequest::of(&pod.spec.requests);
        let cpu_milli = pod.spec.requests.milli_cpu;
        if !request.uses_devices() || !self.seen.insert(pod.meta.uid) {
            return;
        }
        *self.observed.entry((request, cpu_milli)).or_insert(0) += 1;
        if self.fixed.is_some() {
            // The target is the configured one: nothing the scores read changed.
            return;
        }
        let Some(distribution) = &mut self.observed_distribution else { return };
        let (g, new_group) = distribution.add(request, cpu_milli, 1);
        let grown = match &mut self.weights {
            Some(Some(weights)) => !new_group && weights.add(g, cpu_milli, 1),
            _ => false,
        };
        if grown {
            self.weighted_seen.get_mut().invalidate();
        } else {
            self.weights = None;
        }
    }

    /// The target distribution now: the configured shapes, or the observed ones in shape order
    /// (GPU request, then cpu).
    pub fn distribution(&self) -> Vec<TargetShape> {
        match &self.fixed {
            Some(d) => d.shapes(),
            None => self
                .observed
                .iter()
                .map(|(&(request, cpu_milli), &weight)| TargetShape { request, cpu_milli, weight })
                .collect(),
        }
    }

    fn current(&self) -> Option<&Distribution> {
        self.fixed.as_ref().or(self.observed_distribution.as_ref())
    }
}

/// The fragmentation of a node whose devices have `free` milli each and `cpu_free` millicores
/// free, with respect to a task of shape `shape` (`F_n(m)` in the paper): if the task fits
/// (`cpu_free ≥` its cpu, and `k` devices with at least its per-device milli), the free milli
/// of the devices with less than that; otherwise every free milli of the node. Negative free
/// milli counts as 0.
pub fn fragmentation(free: &[i64], cpu_free: i64, shape: &TargetShape) -> i64 {
    if cpu_free < shape.cpu_milli {
        return free.iter().map(|&f| f.max(0)).sum();
    }
    device_fragmentation(free, shape.request)
}

/// The GPU part of [`fragmentation`]: a task that finds the cpu it needs.
pub fn device_fragmentation(free: &[i64], request: GpuRequest) -> i64 {
    let (count, milli) = request.per_device();
    let fitting = free.iter().filter(|&&f| f >= milli).count();
    free.iter().map(|&f| f.max(0)).filter(|&f| fitting < count as usize || f < milli).sum()
}

/// A target distribution arranged for [`Distribution::weighted`]: shapes grouped by GPU request,
/// each group's cpu requests ascending with cumulative weights, so that a node costs one
/// GPU evaluation and one binary search per distinct GPU request, however many cpu sizes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Distribution {
    groups: Vec<Group>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Group {
    request: GpuRequest,
    /// Distinct cpu requests, ascending, and the weights of each.
    cpu: Vec<i64>,
    weight: Vec<i64>,
    /// `cumulative[i]` = Σ `weight[..=i]`.
    cumulative: Vec<i128>,
}

impl Distribution {
    /// Groups `shapes` (a shape repeated adds its weights).
    pub fn new(shapes: &[TargetShape]) -> Distribution {
        let mut by: BTreeMap<GpuRequest, BTreeMap<i64, i64>> = BTreeMap::new();
        for s in shapes {
            let w = by.entry(s.request).or_default().entry(s.cpu_milli).or_insert(0);
            *w = w.saturating_add(s.weight);
        }
        let groups = by
            .into_iter()
            .map(|(request, cpus)| {
                let mut total = 0i128;
                let mut g = Group { request, cpu: Vec::new(), weight: Vec::new(), cumulative: Vec::new() };
                for (cpu, w) in cpus {
                    total += i128::from(w);
                    g.cpu.push(cpu);
                    g.weight.push(w);
                    g.cumulative.push(total);
                }
                g
            })
            .collect();
        Distribution { groups }
    }

    /// Adds `weight` to the shape (`request`, `cpu_milli`): the distribution becomes what
    /// [`new`](Self::new) makes of its shapes and this one. Returns the position of the
    /// request's group and whether it is a new group (which moves the groups after it).
    pub fn add(&mut self, request: GpuRequest, cpu_milli: i64, weight: i64) -> (usize, bool) {
        let (g, new_group) = match self.groups.binary_search_by(|g| g.request.cmp(&request)) {
            Ok(g) => (g, false),
            Err(g) => {
                self.groups.insert(g, Group { request, cpu: Vec::new(), weight: Vec::new(), cumulative: Vec::new() });
                (g, true)
            }
        };
        let group = &mut self.groups[g];
        let at = match group.cpu.binary_search(&cpu_milli) {
            Ok(at) => {
                group.weight[at] = group.weight[at].saturating_add(weight);
                at
            }
            Err(at) => {
                group.cpu.insert(at, cpu_milli);
                group.weight.insert(at, weight);
                group.cumulative.insert(at, 0);
                at
            }
        };
        let mut total = if at > 0 { group.cumulative[at - 1] } else { 0 };
        for (c, &w) in group.cumulative[at..].iter_mut().zip(&group.weight[at..]) {
            total += i128::from(w);
            *c = total;
        }
        (g, new_group)
    }

    /// The shapes, by GPU request then cpu.
    pub fn shapes(&self) -> Vec<TargetShape> {
        self.groups
            .iter()
            .flat_map(|g| {
                g.cpu.iter().zip(&g.weight).map(|(&cpu_milli, &weight)| TargetShape {
                    request: g.request,
                    cpu_milli,
                    weight,
                })
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// `Σ_s weight_s · fragmentation(free, cpu_free, s)`: the expected fragmentation times the
    /// total weight (`F_n(M)` of the paper, without the division by `Σ weight`, which no
    /// comparison needs).
    ///
    /// Per GPU request `g` with total weight `T_g`, of which `W_g` belongs to shapes that find
    /// their cpu: `W_g · frag_g + (T_g − W_g) · all`, where `all` is the node's free milli and
    /// `frag_g` is `all` if the request does not fit the devices, else `all − c_g` with `c_g`
    /// the free milli of the devices that have the request's per-device milli. Summed:
    /// `T · all − Σ_g W_g · c_g`, the form [`CpuWeights`] and [`DeviceMemo`] evaluate.
    pub fn weighted(&self, free: &[i64], cpu_free: i64) -> i128 {
        if free.is_empty() {
            return 0;
        }
        let all = i128::from(free.iter().map(|&f| f.max(0)).sum::<i64>());
        let mut sum = 0i128;
        for g in &self.groups {
            let total = g.cumulative.last().copied().unwrap_or(0);
            // The shapes of this GPU request that find their cpu on the node.
            let fit = g.cpu.partition_point(|&c| c <= cpu_free);
            let with_cpu = if fit > 0 { g.cumulative[fit - 1] } else { 0 };
            if with_cpu > 0 {
                sum += with_cpu * i128::from(device_fragmentation(free, g.request));
            }
            sum += (total - with_cpu) * all;
        }
        sum
    }
}

/// `Σ_s weight_s · fragmentation(free, cpu_free, s)` over a list of shapes.
pub fn weighted_fragmentation(free: &[i64], cpu_free: i64, shapes: &[TargetShape]) -> i128 {
    Distribution::new(shapes).weighted(free, cpu_free)
}

/// The raw FGD score of placing a pod asking for `request` and `cpu_milli` on a node with `free`
/// milli per device and `cpu_free` millicores free: `Σ_s weight_s · (F(after, s) − F(before, s))`,
/// where `after` is the node once the pod holds its cpu and the devices of the assignment rule.
/// Clamped to the `i64` range.
pub fn fragmentation_increase(
    free: &[i64],
    cpu_free: i64,
    request: GpuRequest,
    cpu_milli: i64,
    distribution: &Distribution,
) -> i64 {
    let mut after = free.to_vec();
    if request.uses_devices() {
        let devices = assign_gpu_devices(free, request);
        take_gpu_devices(&mut after, request, &devices);
    }
    let delta =
        distribution.weighted(&after, cpu_free.saturating_sub(cpu_milli)) - distribution.weighted(free, cpu_free);
    delta.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// A distribution's weights by a node's free cpu: `W_g(cpu)` of [`Distribution::weighted`] for
/// every GPU request `g`, tabulated over the distinct cpu requests of its shapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuWeights {
    /// The GPU requests of the groups, in the distribution's order.
    requests: Vec<GpuRequest>,
    /// The distinct cpu requests of all shapes, ascending.
    thresholds: Vec<i64>,
    /// `thresholds.len() + 1` rows of `requests.len()`: row `i` is, per group, the weight of its
    /// shapes whose cpu request is among the first `i` thresholds — what a node with
    /// `thresholds[i - 1] ≤ cpu < thresholds[i]` free has for `W_g`.
    rows: Vec<u32>,
    /// `T`: the total weight.
    total: u32,
}

impl CpuWeights {
    /// `None` for an empty distribution, and when the total weight `T` does not fit `u32`
    /// (configured weights are millionths: a total above 4,294.967295, e.g. counts such as
    /// `weight: 5000`), where the plain evaluation takes over. Otherwise every product
    /// [`weighted`](Self::weighted) forms is of two `u32` (weights, and device terms of at most
    /// [`ON_STACK`] devices) and every sum at most `T · all`: exact in `u64`, and cheap — a
    /// `u32` product is one vector instruction per pair of lanes.
    pub fn new(distribution: &Distribution) -> Option<CpuWeights> {
        let groups = &distribution.groups;
        if groups.is_empty() {
            return None;
        }
        let mut thresholds: Vec<i64> = groups.iter().flat_map(|g| g.cpu.iter().copied()).collect();
        thresholds.sort_unstable();
        thresholds.dedup();
        let total = groups.iter().map(|g| g.cumulative.last().copied().unwrap_or(0)).sum::<i128>();
        let total = u32::try_from(total).ok()?;
        let mut rows = vec![0; (thresholds.len() + 1) * groups.len()];
        for (i, row) in rows.chunks_exact_mut(groups.len()).enumerate().skip(1) {
            let cpu = thresholds[i - 1];
            for (w, g) in row.iter_mut().zip(groups) {
                let fit = g.cpu.partition_point(|&c| c <= cpu);
                // At most `total`, so it fits.
                *w = if fit > 0 { g.cumulative[fit - 1] as u32 } else { 0 };
            }
        }
        Some(CpuWeights { requests: groups.iter().map(|g| g.request).collect(), thresholds, rows, total })
    }

    /// The row of a node with `cpu_free` millicores free: the number of thresholds at or below.
    #[inline]
    fn row_index(&self, cpu_free: i64) -> usize {
        self.thresholds.partition_point(|&t| t <= cpu_free)
    }

    /// How many rows there are ([`row_index`](Self::row_index) is below it).
    fn row_count(&self) -> usize {
        self.thresholds.len() + 1
    }

    /// [`Distribution::weighted`] from the device terms of at most [`ON_STACK`] devices (exact:
    /// see [`new`](Self::new); `Σ_g W_g · c_g ≤ T · all` as `Σ_g W_g ≤ T` and `c_g ≤ all`).
    #[cfg(test)]
    fn weighted(&self, terms: &[u32], cpu_free: i64) -> i64 {
        self.weighted_at(terms, self.row_index(cpu_free))
    }

    /// [`weighted`](Self::weighted) for a node in row `row` ([`row_index`](Self::row_index)).
    fn weighted_at(&self, terms: &[u32], row: usize) -> i64 {
        let width = self.requests.len();
        let (all, c) = terms.split_first().expect("device terms start with the free milli");
        let weights = &self.rows[row * width..(row + 1) * width];
        let taken: u64 = weights.iter().zip(c).map(|(&w, &c)| u64::from(w) * u64::from(c)).sum();
        (u64::from(self.total) * u64::from(*all) - taken) as i64
    }

    /// The weights after [`Distribution::add`] added `weight` to shape (`cpu_milli`, the
    /// request of group `g`) without a new group: what [`new`](Self::new) makes of the grown
    /// distribution. `false` (unchanged) when that needs a new row (a cpu request not among
    /// the thresholds) or the total no longer fits `u32`: then build them anew.
    fn add(&mut self, g: usize, cpu_milli: i64, weight: i64) -> bool {
        let (Ok(t), Some(total)) = (
            self.thresholds.binary_search(&cpu_milli),
            u32::try_from(weight).ok().and_then(|w| self.total.checked_add(w)),
        ) else {
            return false;
        };
        let width = self.requests.len();
        // Rows past the threshold count the shape: those of nodes with at least its cpu free.
        for row in self.rows.chunks_exact_mut(width).skip(t + 1) {
            // At most the total, so it fits.
            row[g] += weight as u32;
        }
        self.total = total;
        true
    }
}

/// Device terms by multiset of free milli (sorted ascending) for one list of GPU requests:
/// `[all, c_0, c_1, ...]` of [`Distribution::weighted`]. They depend on the devices and the
/// requests only, not on weights or cpu, so they stay valid while the distribution's weights
/// change, which they do with every new pod.
#[derive(Debug, Default)]
pub struct DeviceMemo {
    /// Renewed whenever the entries are forgotten: a [`SeenDevices`] of another epoch names
    /// no entry.
    epoch: u64,
    requests: Vec<GpuRequest>,
    index: HashMap<Box<[i64]>, u32>,
    /// `requests.len() + 1` values per entry (each at most the free milli of [`ON_STACK`]
    /// devices).
    terms: Vec<u32>,
    /// Per entry: the entries of the multisets a pod of each request seen leaves behind
    /// ([`take_from_sorted`]), so that a node whose devices did not change costs one lookup.
    after: Vec<Vec<(GpuRequest, u32)>>,
}

/// Entries kept before the memo starts over (a pure cache: dropping it changes no result).
const MEMO_ENTRIES: usize = 1 << 16;

impl DeviceMemo {
    /// Makes the memo hold terms for `requests` (forgetting everything if they changed).
    fn prepare(&mut self, requests: &[GpuRequest]) {
        if self.requests != requests {
            self.requests.clear();
            self.requests.extend_from_slice(requests);
            self.forget();
        }
    }

    fn forget(&mut self) {
        self.epoch += 1;
        self.index.clear();
        self.terms.clear();
        self.after.clear();
    }

    /// The entries of `free` (free milli per device, in device order) and of what a pod
    /// asking for `request` leaves of it, for [`terms`](Self::terms). `seen` is what the node
    /// had when last asked: unchanged devices take its entry without sorting or hashing.
    fn before_and_after(&mut self, seen: &mut SeenDevices, free: &[i64], request: GpuRequest) -> (usize, usize) {
        // Room for both entries, so that neither lookup starts the memo over.
        if self.index.len() + 2 > MEMO_ENTRIES {
            self.forget();
        }
        let before = match seen.entry(self.epoch, free) {
            Some(entry) => entry,
            None => {
                let mut sorted = [0; ON_STACK];
                let sorted = &mut sorted[..free.len()];
                sorted.copy_from_slice(free);
                insertion_sort(sorted);
                let entry = self.entry(sorted);
                *seen = SeenDevices::new(self.epoch, free, entry);
                entry
            }
        };
        debug_assert_eq!(before, {
            let mut sorted = free.to_vec();
            sorted.sort_unstable();
            self.index[&sorted[..]] as usize
        });
        if !request.uses_devices() {
            return (before, before);
        }
        let known = &mut self.after[before];
        if let Some(i) = known.iter().position(|(r, _)| *r == request) {
            // To the front: the nodes of a cycle ask for one request, and nodes with equal
            // devices share the entry, so the next one finds it first.
            known[..=i].rotate_right(1);
            return (before, known[0].1 as usize);
        }
        let mut left = [0; ON_STACK];
        let left = &mut left[..free.len()];
        left.copy_from_slice(free);
        insertion_sort(left);
        take_from_sorted(left, request);
        let after = self.entry(left);
        self.after[before].push((request, after as u32));
        (before, after)
    }

    /// The terms of entry `at`.
    fn terms(&self, at: usize) -> &[u32] {
        let width = self.requests.len() + 1;
        &self.terms[at * width..(at + 1) * width]
    }

    /// The entry of `sorted` (free milli per device, ascending) for the prepared requests,
    /// added if new (the caller keeps the memo within [`MEMO_ENTRIES`]).
    fn entry(&mut self, sorted: &[i64]) -> usize {
        if let Some(&at) = self.index.get(sorted) {
            return at as usize;
        }
        let at = self.after.len();
        debug_assert!(sorted.len() <= ON_STACK && sorted.iter().all(|&f| f <= gpu::MILLI_PER_DEVICE));
        let milli_sum = |free: &[i64]| free.iter().map(|&f| f.max(0) as u32).sum::<u32>();
        self.terms.push(milli_sum(sorted));
        for r in &self.requests {
            let (count, milli) = r.per_device();
            // Sorted ascending: the devices with `milli` free are a suffix.
            let fitting = &sorted[sorted.partition_point(|&f| f < milli)..];
            let fits = fitting.len() >= count as usize;
            self.terms.push(if fits { milli_sum(fitting) } else { 0 });
        }
        self.index.insert(sorted.into(), at as u32);
        self.after.push(Vec::new());
        at
    }
}

/// [`CpuWeights::weighted`] by (device entry, weights row): a dense table, `width` rows per
/// entry, whose slots are valid when stamped with the current stamp (renewed whenever the
/// weights or the memo's entries change, so that nothing is cleared per cycle).
#[derive(Debug)]
struct WeightedCache {
    /// The memo epoch whose entries the slots are numbered by.
    epoch: u64,
    stamp: u32,
    width: usize,
    slots: Vec<(u32, i64)>,
    /// [`CpuWeights::row_index`] of the weights' thresholds by free cpu, direct-mapped: nodes
    /// share a few free cpu values (the empty ones of each size), and the binary search over
    /// the thresholds was the costliest step of a node.
    rows: Box<[(i64, u32); ROW_SLOTS]>,
}

/// Slots of [`WeightedCache::rows`].
const ROW_SLOTS: usize = 256;

/// Slots of a [`WeightedCache`] at most (16 MiB); (entry, row) pairs beyond are computed.
const WEIGHTED_SLOTS: usize = 1 << 20;

impl WeightedCache {
    fn new() -> WeightedCache {
        WeightedCache { epoch: 0, stamp: 1, width: 0, slots: Vec::new(), rows: Box::new([(i64::MIN, 0); ROW_SLOTS]) }
    }

    /// Forgets every value.
    fn invalidate(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.slots.clear();
            self.stamp = 1;
        }
    }

    /// Forgets every value, for new `weights`.
    fn reshape(&mut self, weights: Option<&CpuWeights>) {
        self.width = weights.map_or(0, CpuWeights::row_count);
        self.slots.clear();
        self.invalidate();
        // Every slot holds the row of `i64::MIN` free: valid for any key it matches.
        let empty = (i64::MIN, weights.map_or(0, |w| w.row_index(i64::MIN) as u32));
        self.rows.fill(empty);
    }

    /// `weights.row_index(cpu_free)` (`weights` those of the last [`reshape`](Self::reshape)).
    #[inline]
    fn row(&mut self, weights: &CpuWeights, cpu_free: i64) -> usize {
        // Fibonacci hashing: the top bits of the product spread nearby values.
        let slot = &mut self.rows[((cpu_free as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize];
        if slot.0 != cpu_free {
            *slot = (cpu_free, weights.row_index(cpu_free) as u32);
        }
        debug_assert_eq!(slot.1 as usize, weights.row_index(cpu_free));
        slot.1 as usize
    }

    /// Forgets every value if the memo's entries are not those of `epoch` any more.
    fn follow(&mut self, epoch: u64) {
        if self.epoch != epoch {
            self.epoch = epoch;
            self.invalidate();
        }
    }

    /// The value of (`entry`, `row`), from `compute` the first time.
    #[inline]
    fn get(&mut self, entry: usize, row: usize, compute: impl FnOnce() -> i64) -> i64 {
        let i = entry * self.width + row;
        if i >= WEIGHTED_SLOTS {
            return compute();
        }
        if i >= self.slots.len() {
            self.slots.resize((i + 1).next_power_of_two().min(WEIGHTED_SLOTS), (0, 0));
        }
        let slot = &mut self.slots[i];
        if slot.0 != self.stamp {
            *slot = (self.stamp, compute());
        }
        slot.1
    }

    /// Whether some value is held (tests).
    #[cfg(test)]
    fn holds_some(&self) -> bool {
        self.slots.iter().any(|&(stamp, _)| stamp == self.stamp)
    }
}

/// The largest node [`Fgd`] evaluates on the stack; larger ones take the plain evaluation.
const ON_STACK: usize = 16;

/// A node's free milli per device (in device order) when FGD last looked it up in the
/// [`DeviceMemo`], with the entry found, valid in that memo epoch.
#[derive(Clone, Copy, Debug, Default)]
struct SeenDevices {
    epoch: u64,
    len: u8,
    entry: u32,
    /// Free milli per device, at most a device's 1000: an `i32` each (a value out of its range
    /// is kept as `i32::MIN`, which matches nothing).
    free: [i32; ON_STACK],
}

impl SeenDevices {
    fn new(epoch: u64, free: &[i64], entry: usize) -> SeenDevices {
        let mut seen = SeenDevices { epoch, len: free.len() as u8, entry: entry as u32, free: [0; ON_STACK] };
        for (s, &f) in seen.free.iter_mut().zip(free) {
            *s = i32::try_from(f).unwrap_or(i32::MIN);
        }
        seen
    }

    /// The entry, if the devices have `free` now and the memo is still in `epoch`.
    fn entry(&self, epoch: u64, free: &[i64]) -> Option<usize> {
        let same = self.epoch == epoch
            && usize::from(self.len) == free.len()
            && self.free.iter().zip(free).all(|(&s, &f)| s != i32::MIN && i64::from(s) == f);
        same.then_some(self.entry as usize)
    }
}

/// The free milli per device after a pod with `request` takes its devices by the assignment
/// rule ([`assign_gpu_devices`]), as a multiset: `sorted` ascending, re-sorted in place. The
/// rule's best fit takes the `k` smallest devices with the per-device milli free; when fewer
/// than `k` have it, the devices with the most free: either way a suffix or a run of the
/// sorted order, whichever device among equals the rule picks.
fn take_from_sorted(sorted: &mut [i64], request: GpuRequest) {
    let (count, milli) = request.per_device();
    let count = (count as usize).min(sorted.len());
    let first_fit = sorted.partition_point(|&f| f < milli);
    let start = if sorted.len() - first_fit >= count { first_fit } else { sorted.len() - count };
    for f in &mut sorted[start..start + count] {
        *f -= milli;
    }
    insertion_sort(sorted);
}

/// Sorts a handful of values ascending (no call, no branchy setup: the slices are ≤ 16 long
/// and mostly sorted already).
fn insertion_sort(values: &mut [i64]) {
    for i in 1..values.len() {
        let v = values[i];
        let mut j = i;
        while j > 0 && values[j - 1] > v {
            values[j] = values[j - 1];
            j -= 1;
        }
        values[j] = v;
    }
}

/// The cpu a node has free for FGD: allocatable minus the requests of its pods (millicores).
pub fn cpu_free(node: &NodeInfo) -> i64 {
    node.allocatable.milli_cpu - node.requested.milli_cpu
}

impl Plugin for Fgd {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilter> {
        Some(self)
    }
    fn as_pre_score(&mut self) -> Option<&mut dyn PreScore> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
}

impl PreFilter for Fgd {
    /// Counts the pod in the observed distribution — every cycle runs PreFilter, so pods that
    /// never reach scoring (one feasible node, or none) count too — and filters nothing.
    fn pre_filter(&mut self, _cx: &CycleContext<'_>, pod: &Pod) -> (PreFilterResult, Status) {
        self.observe(pod);
        (PreFilterResult::default(), Status::skip())
    }
}

impl PreScore for Fgd {
    /// Skip for an invalid GPU request and while the target distribution is empty (every
    /// node's increase would be 0); otherwise fixes this cycle's distribution. Pods without
    /// GPUs are scored too: the cpu they take can leave a node's GPUs without the cpu the
    /// target tasks need.
    fn pre_score(&mut self, _cx: &CycleContext<'_>, pod: &Pod, _feasible: &[&NodeInfo]) -> Status {
        self.observe(pod);
        self.request = GpuRequest::of(&pod.spec.requests);
        self.cpu_milli = pod.spec.requests.milli_cpu;
        if matches!(self.request, GpuRequest::Invalid(_)) {
            return Status::skip();
        }
        if self.fixed.is_none() && self.observed_distribution.is_none() {
            let shapes = self.distribution();
            self.observed_distribution = Some(Distribution::new(&shapes));
        }
        if self.current().is_none_or(Distribution::is_empty) {
            return Status::skip();
        }
        if self.weights.is_none() {
            let weights = self.current().and_then(CpuWeights::new);
            self.weighted_seen.get_mut().reshape(weights.as_ref());
            self.weights = Some(weights);
        }
        if let Some(Some(weights)) = &self.weights {
            self.memo.get_mut().prepare(&weights.requests);
        }
        self.pod = Some(pod.meta.uid);
        Status::success()
    }

    fn reads_feasible(&self, _cx: &CycleContext<'_>, _pod: &Pod) -> bool {
        false
    }
}

impl Fgd {
    /// This cycle's distribution and GPU request, which `pod` must have (the pod PreScore saw,
    /// or another of the same request).
    fn cycle(&self, pod: &Pod) -> Result<(&Distribution, GpuRequest), Status> {
        let Some(distribution) = self.current().filter(|d| !d.is_empty()) else {
            return Err(Status::error("FGD scored without PreScore"));
        };
        let request = if Some(pod.meta.uid) == self.pod { self.request } else { GpuRequest::of(&pod.spec.requests) };
        if request != self.request || matches!(request, GpuRequest::Invalid(_)) {
            return Err(Status::error("FGD scored without PreScore"));
        }
        Ok((distribution, request))
    }

    /// The raw scores of `nodes` into `out`.
    fn score_all(&self, pod: &Pod, nodes: &[&NodeInfo], out: &mut [i64]) -> Result<(), Status> {
        let (distribution, request) = self.cycle(pod)?;
        let cpu_milli = pod.spec.requests.milli_cpu;
        let plain = |node: &NodeInfo| {
            fragmentation_increase(&node.gpu_free(), cpu_free(node), request, cpu_milli, distribution)
        };
        let Some(weights) = self.weights.as_ref().and_then(Option::as_ref) else {
            for (node, out) in nodes.iter().zip(out.iter_mut()) {
                *out = plain(node);
            }
            return Ok(());
        };
        let mut memo = self.memo.borrow_mut();
        let mut last_seen = self.last_seen.borrow_mut();
        let mut seen = self.weighted_seen.borrow_mut();
        let mut free = [0; ON_STACK];
        for (node, out) in nodes.iter().zip(out.iter_mut()) {
            let devices = node.gpu_device_count();
            *out = match devices {
                // No devices: no fragmentation before or after.
                0 => 0,
                1..=ON_STACK => {
                    let free = &mut free[..devices];
                    node.gpu_free_in(free);
                    let cpu = cpu_free(node);
                    let at = node.id.index();
                    if last_seen.len() <= at {
                        last_seen.resize(at + 1, SeenDevices::default());
                    }
                    let (before, after) = memo.before_and_after(&mut last_seen[at], free, request);
                    seen.follow(memo.epoch);
                    let left = cpu.saturating_sub(cpu_milli);
                    let (row, row_left) = (seen.row(weights, cpu), seen.row(weights, left));
                    let was = seen.get(before, row, || weights.weighted_at(memo.terms(before), row));
                    let will = seen.get(after, row_left, || weights.weighted_at(memo.terms(after), row_left));
                    // Both at most `T · all` of the same node: the difference cannot overflow.
                    will - was
                }
                _ => plain(node),
            };
        }
        Ok(())
    }
}

impl Score for Fgd {
    /// The weighted fragmentation increase of placing the pod on the node (lower is better).
    fn score(&self, pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        let mut out = [0];
        self.score_all(pod, &[node], &mut out)?;
        Ok(out[0])
    }

    fn score_nodes(&self, pod: &Pod, nodes: &[&NodeInfo], out: &mut [i64]) -> Result<(), Status> {
        self.score_all(pod, nodes, out)
    }

    /// Min–max, reversed: `⌊100 · (max − raw) / (max − min)⌋`, so the least increase scores
    /// 100 and the largest 0; all 100 when every node has the same increase.
    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) -> Option<Status> {
        normalize_least_is_best(scores);
        Some(Status::success())
    }
}

/// `⌊100 · (max − s) / (max − min)⌋` over the scores (integer arithmetic, 128-bit); 100 for
/// every node when max = min.
pub fn normalize_least_is_best(scores: &mut [i64]) {
    let (Some(&min), Some(&max)) = (scores.iter().min(), scores.iter().max()) else { return };
    let range = i128::from(max) - i128::from(min);
    if range == 0 {
        scores.fill(MAX_NODE_SCORE);
        return;
    }
    match i64::try_from(range) {
        // `100 · (max − s)` fits: the same quotient in 64 bits (both operands non-negative),
        // without a 128-bit division per node.
        Ok(range) if range <= i64::MAX / MAX_NODE_SCORE => {
            for s in scores.iter_mut() {
                *s = MAX_NODE_SCORE * (max - *s) / range;
            }
        }
        _ => {
            for s in scores.iter_mut() {
                *s = (i128::from(MAX_NODE_SCORE) * (i128::from(max) - i128::from(*s)) / range) as i64;
            }
        }
    }
}

/// Decodes FGD's args: `shapes: [{gpus: k, milli: m, cpu: c, weight: w}, ...]`, each shape either
/// `k` whole GPUs (`gpus ≥ 1`, `milli: 0` or absent) or a share of `m` milli of one GPU (`gpus: 0`
/// or absent, `1 ≤ m ≤ 999`), with an optional cpu request (a quantity, default 0) and a
/// positive decimal weight (at most six decimal places, at most 1,000,000); weights are
/// relative.
pub fn decode_args(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<FgdArgs> {
    let mut f = ctx.fields(node, path)?;
    let _ = f.get("apiVersion");
    let _ = f.get("kind");
    let mut args = FgdArgs::default();
    if let Some(list) = f.get("shapes") {
        let lpath = f.child("shapes");
        let mut shapes: Vec<TargetShape> = Vec::new();
        for (i, item) in ctx.seq(list, &lpath)?.iter().enumerate() {
            let ip = format!("{lpath}[{i}]");
            let mut sf = ctx.fields(item, &ip)?;
            let gpus = match sf.get("gpus") {
                Some(n) => ctx.int_in(n, &format!("{ip}.gpus"), 0, gpu::MAX_DEVICES as i64)?,
                None => 0,
            };
            let milli = match sf.get("milli") {
                Some(n) => ctx.int_in(n, &format!("{ip}.milli"), 0, gpu::MILLI_PER_DEVICE - 1)?,
                None => 0,
            };
            let cpu_milli = match sf.get("cpu") {
                Some(n) => {
                    let v = ctx.quantity(n, &format!("{ip}.cpu"))?.milli_value();
                    if v < 0 {
                        return Err(ctx.error(n.pos, &format!("{ip}.cpu"), "must not be negative"));
                    }
                    v
                }
                None => 0,
            };
            let weight_node = sf.require(ctx, "weight", item.pos)?;
            let weight_text = ctx.string(weight_node, &format!("{ip}.weight"))?;
            let weight = parse_weight(&weight_text).ok_or_else(|| {
                ctx.error_hint(
                    weight_node.pos,
                    &format!("{ip}.weight"),
                    format!("weight must be a positive number of at most 1000000 with at most six decimal places, got {weight_text:?}"),
                    "weights are relative, e.g. 0.4 and 0.6, or counts such as 40 and 60",
                )
            })?;
            sf.finish(ctx, &[])?;
            let request = match (gpus, milli) {
                (0, 0) => {
                    return Err(ctx.error_hint(
                        item.pos,
                        &ip,
                        "a shape needs gpus (whole GPUs) or milli (a share of one GPU)",
                        "a shape without GPUs changes every node's fragmentation alike and cannot change the ranking: leave it out",
                    ));
                }
                (k, 0) => GpuRequest::Whole(k as u32),
                (0, m) => GpuRequest::Share(m),
                _ => {
                    return Err(ctx.error_hint(
                        item.pos,
                        &ip,
                        "a shape is either whole GPUs (gpus) or a share of one GPU (milli), not both",
                        "openb's num_gpu: 1 with gpu_milli: 500 is {gpus: 0, milli: 500}",
                    ));
                }
            };
            if shapes.iter().any(|s| s.request == request && s.cpu_milli == cpu_milli) {
                return Err(ctx.error(item.pos, &ip, "duplicate shape: give each shape once, with its total weight"));
            }
            shapes.push(TargetShape { request, cpu_milli, weight });
        }
        if shapes.is_empty() {
            return Err(ctx.error_hint(
                list.pos,
                &lpath,
                "must name at least one shape",
                "leave shapes out to use the shapes of the pods seen so far",
            ));
        }
        args.shapes = Some(shapes);
    }
    f.finish(ctx, &[])?;
    Ok(args)
}

/// A decimal weight in millionths: `40`, `0.4`, `0.125`; `None` unless 0 < w ≤ 10⁶ with at
/// most six decimal places.
fn parse_weight(text: &str) -> Option<i64> {
    let (int_part, frac_part) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() && frac_part.is_empty()
        || !digits(int_part)
        || !digits(frac_part)
        || frac_part.len() > 6
        || int_part.len() > 7
        || text.ends_with('.')
    {
        return None;
    }
    let whole: i64 = if int_part.is_empty() { 0 } else { int_part.parse().ok()? };
    let frac: i64 = format!("{frac_part:0<6}").parse().ok()?;
    let weight = whole.checked_mul(WEIGHT_SCALE)?.checked_add(frac)?;
    (weight > 0 && weight <= WEIGHT_SCALE * WEIGHT_SCALE).then_some(weight)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{NodeInfoExt, node, pod};
    use proptest::prelude::*;

    fn shapes(list: &[(GpuRequest, i64)]) -> Vec<TargetShape> {
        list.iter().map(|&(request, weight)| TargetShape { request, cpu_milli: 0, weight }).collect()
    }

    /// Plenty of cpu: the GPU part alone decides.
    const CPU: i64 = 1_000_000;

    fn frag(free: &[i64], request: GpuRequest) -> i64 {
        fragmentation(free, CPU, &TargetShape { request, cpu_milli: 0, weight: 1 })
    }

    fn increase(free: &[i64], request: GpuRequest, shapes: &[TargetShape]) -> i64 {
        fragmentation_increase(free, CPU, request, 0, &Distribution::new(shapes))
    }

    /// {1 whole GPU: 0.5, a 500-milli share: 0.5}, in millionths.
    fn half_and_half() -> Vec<TargetShape> {
        shapes(&[(GpuRequest::Whole(1), 500_000), (GpuRequest::Share(500), 500_000)])
    }

    fn gpu_node(name: &str, devices: &str) -> NodeInfo {
        let mut n = node(name, &[("cpu", "32"), ("memory", "64Gi"), ("nvidia.com/gpu", devices)]);
        n.allocatable.derive_gpu_milli();
        n
    }

    fn share(milli: &str, uid: u64) -> Pod {
        let mut p = pod(&[("cpu", "1"), ("kubesim.io/gpu-milli", milli)]);
        p.meta.uid = Uid(uid);
        p
    }

    fn whole(k: &str, uid: u64) -> Pod {
        let mut p = pod(&[("cpu", "1"), ("nvidia.com/gpu", k)]);
        p.meta.uid = Uid(uid);
        p
    }

    fn request_strategy() -> impl Strategy<Value = GpuRequest> {
        prop_oneof![(1u32..5).prop_map(GpuRequest::Whole), (1i64..1000).prop_map(GpuRequest::Share)]
    }

    /// Free milli per device as a node can have it: at most 1000, negative when over-committed,
    /// often one of a few values so that ties and exact fits are common.
    fn free_strategy() -> impl Strategy<Value = Vec<i64>> {
        proptest::collection::vec(prop_oneof![Just(0i64), Just(500), Just(1000), -300i64..=1000], 0..=ON_STACK)
    }

    proptest! {
        /// The tabulated, memoized evaluation is the plain one: the same raw score for any
        /// devices, cpu, pod and distribution.
        #[test]
        fn the_fast_evaluation_is_the_plain_one(
            targets in proptest::collection::vec((request_strategy(), prop_oneof![Just(0i64), Just(1000), 0i64..8000], 1i64..100_000), 1..8),
            free in free_strategy(),
            other in free_strategy(),
            cpu in -1000i64..10_000,
            request in prop_oneof![Just(GpuRequest::None), request_strategy()],
            pod_cpu in prop_oneof![Just(0i64), 0i64..4000],
        ) {
            let shapes: Vec<TargetShape> =
                targets.iter().map(|&(request, cpu_milli, weight)| TargetShape { request, cpu_milli, weight }).collect();
            let distribution = Distribution::new(&shapes);
            let plain = fragmentation_increase(&free, cpu, request, pod_cpu, &distribution);
            let weights = CpuWeights::new(&distribution).expect("small weights fit");
            let mut memo = DeviceMemo::default();
            memo.prepare(&weights.requests);
            // A node seen with other devices first, then with these, twice (the second time
            // from what the node kept).
            let mut seen = SeenDevices::default();
            memo.before_and_after(&mut seen, &other, request);
            let (b, a) = memo.before_and_after(&mut seen, &free, request);
            prop_assert_eq!(memo.before_and_after(&mut seen, &free, request), (b, a), "found again");
            let mut sorted = free.clone();
            sorted.sort_unstable();
            prop_assert_eq!(memo.before_and_after(&mut SeenDevices::default(), &sorted, request), (b, a), "any order");
            let was = weights.weighted(memo.terms(b), cpu);
            let will = weights.weighted(memo.terms(a), cpu - pod_cpu);
            prop_assert_eq!(will - was, plain);
            prop_assert_eq!(i128::from(was), distribution.weighted(&free, cpu));
        }

        /// A distribution and its weights grown shape by shape are those built from all the
        /// shapes, and the row cache answers as the thresholds' binary search.
        #[test]
        fn growing_in_place_is_building_anew(
            first in proptest::collection::vec((request_strategy(), prop_oneof![Just(0i64), Just(1000), 0i64..8000], 1i64..1000), 1..6),
            more in proptest::collection::vec((request_strategy(), prop_oneof![Just(0i64), Just(1000), 0i64..8000], 1i64..1000), 1..12),
            cpus in proptest::collection::vec(prop_oneof![Just(i64::MIN), Just(0i64), Just(1000), -1000i64..10_000], 1..40),
        ) {
            let shape = |&(request, cpu_milli, weight): &(GpuRequest, i64, i64)| TargetShape { request, cpu_milli, weight };
            let mut shapes: Vec<TargetShape> = first.iter().map(shape).collect();
            let mut distribution = Distribution::new(&shapes);
            let mut weights = CpuWeights::new(&distribution);
            let mut cache = WeightedCache::new();
            cache.reshape(weights.as_ref());
            for s in more.iter().map(shape) {
                shapes.push(s);
                let (g, new_group) = distribution.add(s.request, s.cpu_milli, s.weight);
                prop_assert_eq!(&distribution, &Distribution::new(&shapes));
                prop_assert_eq!(distribution.groups[g].request, s.request);
                let grown = match &mut weights {
                    Some(w) => !new_group && w.add(g, s.cpu_milli, s.weight),
                    None => false,
                };
                if !grown {
                    weights = CpuWeights::new(&distribution);
                    cache.reshape(weights.as_ref());
                }
                prop_assert_eq!(&weights, &CpuWeights::new(&distribution));
                if let Some(w) = &weights {
                    for &cpu in cpus.iter().chain(&cpus) {
                        prop_assert_eq!(cache.row(w, cpu), w.row_index(cpu), "cpu {}", cpu);
                    }
                }
            }
        }

        /// Taking from the sorted multiset leaves the multiset the assignment rule leaves.
        #[test]
        fn taking_from_the_sorted_devices_follows_the_assignment_rule(free in free_strategy(), request in request_strategy()) {
            let mut expected = free.clone();
            take_gpu_devices(&mut expected, request, &assign_gpu_devices(&free, request));
            expected.sort_unstable();
            let mut got = free.clone();
            got.sort_unstable();
            take_from_sorted(&mut got, request);
            prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn normalization_in_64_bits_is_the_128_bit_one() {
        let wide = |scores: &[i64]| -> Vec<i64> {
            let (min, max) = (*scores.iter().min().unwrap(), *scores.iter().max().unwrap());
            let range = i128::from(max) - i128::from(min);
            scores
                .iter()
                .map(|&s| if range == 0 { 100 } else { (100 * (i128::from(max) - i128::from(s)) / range) as i64 })
                .collect()
        };
        let edge = i64::MAX / 100;
        for scores in [
            vec![0, 7, 3, -5],
            vec![-edge, 0],
            vec![0, edge],
            vec![0, edge + 1],
            vec![i64::MIN, 0, i64::MAX],
            vec![i64::MAX, i64::MAX - 1],
            vec![42, 42],
        ] {
            let mut got = scores.clone();
            normalize_least_is_best(&mut got);
            assert_eq!(got, wide(&scores), "{scores:?}");
        }
    }

    #[test]
    fn a_node_seen_before_the_memo_started_over_is_looked_up_again() {
        let mut memo = DeviceMemo::default();
        memo.prepare(&[GpuRequest::Whole(1)]);
        let (mut seen, free) = (SeenDevices::default(), [1000, 0]);
        let (b, _) = memo.before_and_after(&mut seen, &free, GpuRequest::None);
        assert_eq!(seen.entry(memo.epoch, &free), Some(b));
        assert_eq!(seen.entry(memo.epoch, &[0, 1000]), None, "other devices");
        assert_eq!(seen.entry(memo.epoch, &[1000]), None, "fewer devices");
        memo.forget();
        assert_eq!(seen.entry(memo.epoch, &free), None, "another epoch");
        let (b, _) = memo.before_and_after(&mut seen, &free, GpuRequest::None);
        assert_eq!(memo.terms(b), [1000, 1000], "all free, and the one whole device");
        memo.prepare(&[GpuRequest::Share(500)]);
        assert_eq!(seen.entry(memo.epoch, &free), None, "other requests forget");
    }

    #[test]
    fn the_device_memo_starts_over_when_full_and_stays_exact() {
        let requests = [GpuRequest::Whole(1), GpuRequest::Share(300)];
        let mut memo = DeviceMemo::default();
        memo.prepare(&requests);
        let fresh = |sorted: &[i64]| {
            let mut m = DeviceMemo::default();
            m.prepare(&requests);
            let (b, _) = m.before_and_after(&mut SeenDevices::default(), sorted, GpuRequest::None);
            m.terms(b).to_vec()
        };
        let mut seen = SeenDevices::default();
        // Distinct two-device multisets, each with a share taken: two entries per node, more
        // than the memo holds in all.
        let (mut checked, mut started_over, mut entries) = (0, false, 0);
        for i in 0..(2 * MEMO_ENTRIES as i64) {
            // Ordered pairs a <= b walked row by row: every multiset new.
            let (a, b) = (i % 1001, 1000 - (i / 1001) % 1001);
            if a > b {
                continue;
            }
            let sorted = [a, b];
            let (b, a) = memo.before_and_after(&mut seen, &sorted, GpuRequest::Share(300));
            assert!(memo.index.len() <= MEMO_ENTRIES);
            started_over |= memo.index.len() < entries;
            entries = memo.index.len();
            if i % 1999 == 0 || memo.index.len() <= 2 {
                let mut left = sorted;
                take_from_sorted(&mut left, GpuRequest::Share(300));
                assert_eq!((memo.terms(b), memo.terms(a)), (&fresh(&sorted)[..], &fresh(&left)[..]), "{sorted:?}");
                checked += 1;
            }
        }
        assert!(started_over && checked > 30, "checked ({checked}) across a start-over ({started_over})");
    }

    #[test]
    fn a_distribution_too_heavy_for_the_table_is_evaluated_plainly() {
        let heavy: Vec<TargetShape> = (1..=5000)
            .map(|m| TargetShape { request: GpuRequest::Share(m % 999 + 1), cpu_milli: m, weight: WEIGHT_SCALE })
            .collect();
        assert_eq!(CpuWeights::new(&Distribution::new(&heavy)), None);
        // Still scored, by the plain evaluation.
        let mut plugin = Fgd::new(FgdArgs { shapes: Some(heavy) });
        let nodes = [gpu_node("a", "2").with_pods(&[share("700", 1)]), gpu_node("b", "2")];
        let p = share("300", 9);
        let feasible: Vec<&NodeInfo> = nodes.iter().collect();
        assert!(plugin.pre_score(&CycleContext::with_nodes(&nodes), &p, &feasible).is_success());
        for n in &nodes {
            let expected =
                fragmentation_increase(&n.gpu_free(), cpu_free(n), p_request(&p), 1000, plugin.current().unwrap());
            assert_eq!(plugin.score(&p, n), Ok(expected));
        }
    }

    #[test]
    fn nodes_without_gpus_and_beyond_the_stack_score_as_the_plain_evaluation() {
        let mut plugin = Fgd::new(FgdArgs { shapes: Some(half_and_half()) });
        let mut cpu_only = node("cpu-only", &[("cpu", "32"), ("memory", "64Gi")]);
        cpu_only.allocatable.derive_gpu_milli();
        let nodes = [
            cpu_only,
            gpu_node("two", "2").with_pods(&[share("700", 1)]),
            gpu_node("twenty", "20").with_pods(&[whole("17", 2), share("300", 3)]),
        ];
        assert_eq!(nodes.iter().map(NodeInfo::gpu_device_count).collect::<Vec<_>>(), [0, 2, 20]);
        // The share goes to the device with 700 free (400 left): +0.5·400 for the 500 shape,
        // −0.5·300 for the whole GPU. The two whole GPUs take the last free devices and change
        // nothing: the whole GPU no longer fits, but 700 was a fragment for it already.
        for (p, twenty) in [(share("300", 9), 50 * WEIGHT_SCALE), (whole("2", 10), 0)] {
            let feasible: Vec<&NodeInfo> = nodes.iter().collect();
            assert!(plugin.pre_score(&CycleContext::with_nodes(&nodes), &p, &feasible).is_success());
            assert!(matches!(plugin.weights, Some(Some(_))), "the fast evaluation applies");
            let got: Vec<i64> = nodes.iter().map(|n| plugin.score(&p, n).unwrap()).collect();
            let plain: Vec<i64> = nodes
                .iter()
                .map(|n| {
                    fragmentation_increase(&n.gpu_free(), cpu_free(n), p_request(&p), 1000, plugin.current().unwrap())
                })
                .collect();
            assert_eq!(got, plain);
            assert_eq!(got[0], 0, "no GPUs: no fragmentation");
            assert_eq!(got[2], twenty, "the 20-device node");
        }
    }

    #[test]
    fn nodes_sharing_devices_and_cpu_share_their_terms_exactly() {
        // The observed distribution: new weights with every new shape, so the shared terms
        // must be dropped each time; equal nodes (the two empty ones) reuse them.
        let mut plugin = Fgd::new(FgdArgs { shapes: None });
        let nodes = [
            gpu_node("empty-1", "4"),
            gpu_node("empty-2", "4"),
            gpu_node("used", "4").with_pods(&[share("700", 1)]),
            gpu_node("full", "4").with_pods(&[whole("4", 2)]),
        ];
        // The same request again (new weights, the same memo) before new requests (a new memo).
        let pods =
            [share("700", 9), share("500", 11), share("700", 14), whole("2", 10), share("300", 12), whole("1", 13)];
        let mut nonzero = 0;
        for p in &pods {
            let feasible: Vec<&NodeInfo> = nodes.iter().collect();
            assert!(plugin.pre_score(&CycleContext::with_nodes(&nodes), p, &feasible).is_success());
            let got: Vec<i64> = nodes.iter().map(|n| plugin.score(p, n).unwrap()).collect();
            let cpu = p.spec.requests.milli_cpu;
            let plain: Vec<i64> = nodes
                .iter()
                .map(|n| {
                    fragmentation_increase(&n.gpu_free(), cpu_free(n), p_request(p), cpu, plugin.current().unwrap())
                })
                .collect();
            assert_eq!(got, plain, "{:?}", p.meta.name);
            assert_eq!(got[0], got[1], "equal nodes");
            // Grown in place, the distribution and weights are those of the shapes seen.
            let built = Distribution::new(&plugin.distribution());
            assert_eq!(plugin.current(), Some(&built));
            assert_eq!(plugin.weights, Some(CpuWeights::new(&built)));
            nonzero += got.iter().filter(|&&s| s != 0).count();
        }
        assert!(nonzero > 4, "something to get wrong: {nonzero} nonzero scores");
        assert!(plugin.weighted_seen.borrow().holds_some(), "the terms were shared");
    }

    #[test]
    fn a_known_cpu_request_grows_the_weights_in_place() {
        let shape = |request, cpu_milli| TargetShape { request, cpu_milli, weight: 1 };
        let mut d = Distribution::new(&[shape(GpuRequest::Whole(1), 4000), shape(GpuRequest::Share(500), 2000)]);
        let mut w = CpuWeights::new(&d).unwrap();
        // Whole(1) with 2000 cpu: a known threshold (of the share's shapes), a known group.
        let (g, new_group) = d.add(GpuRequest::Whole(1), 2000, 1);
        assert!(!new_group && w.add(g, 2000, 1));
        assert_eq!(Some(&w), CpuWeights::new(&d).as_ref());
        // A new threshold, or a total beyond u32: built anew.
        let (g, _) = d.add(GpuRequest::Whole(1), 3000, 1);
        assert!(!w.add(g, 3000, 1), "3000 is no threshold");
        assert!(!w.add(g, 2000, i64::from(u32::MAX)), "the total would not fit");
        assert_eq!(d.add(GpuRequest::Whole(2), 2000, 1), (1, true), "between Whole(1) and Share(500)");
    }

    fn p_request(p: &Pod) -> GpuRequest {
        GpuRequest::of(&p.spec.requests)
    }

    #[test]
    fn fragmentation_by_hand() {
        // Two devices with 300 and 1000 milli free; target {1 whole GPU: .5, 500 milli: .5}.
        //
        // Before: the whole GPU fits (device 1 is entirely free), so only device 0's 300 is a
        // fragment for it; the 500 share fits (device 1), and device 0's 300 < 500 is a
        // fragment for it too. Expected fragmentation .5·300 + .5·300 = 300.
        let w1 = GpuRequest::Whole(1);
        let s500 = GpuRequest::Share(500);
        assert_eq!(frag(&[300, 1000], w1), 300);
        assert_eq!(frag(&[300, 1000], s500), 300);
        assert_eq!(weighted_fragmentation(&[300, 1000], CPU, &half_and_half()), 300 * WEIGHT_SCALE as i128);
        // A 300 share on device 0 leaves (0, 1000): both shapes fit device 1 and device 0 has
        // nothing left: .5·0 + .5·0 = 0, a change of −300.
        assert_eq!(frag(&[0, 1000], w1), 0);
        assert_eq!(frag(&[0, 1000], s500), 0);
        // A 300 share on device 1 leaves (300, 700): no device is entirely free, so every free
        // milli (1000) is a fragment for the whole GPU; the 500 share fits device 1, device 0's
        // 300 is its fragment: .5·1000 + .5·300 = 650, a change of +350.
        assert_eq!(frag(&[300, 700], w1), 1000);
        assert_eq!(frag(&[300, 700], s500), 300);
        assert_eq!(weighted_fragmentation(&[300, 700], CPU, &half_and_half()), 650 * WEIGHT_SCALE as i128);
        // The assignment rule picks device 0 (best fit), so the node's increase is −300.
        assert_eq!(increase(&[300, 1000], GpuRequest::Share(300), &half_and_half()), -300 * WEIGHT_SCALE);
        // An empty two-GPU node: the share goes to device 0, leaving (700, 1000): the whole GPU
        // fits device 1 and device 0's 700 is its fragment; the 500 share fits, no fragment:
        // .5·700 = 350, a change of +350 from 0.
        assert_eq!(increase(&[1000, 1000], GpuRequest::Share(300), &half_and_half()), 350 * WEIGHT_SCALE);
    }

    #[test]
    fn a_task_that_does_not_fit_sees_every_free_milli() {
        // Two whole GPUs on (1000, 600): only one device is entirely free, so all 1600 are
        // fragments; on (1000, 1000) none are.
        assert_eq!(frag(&[1000, 600], GpuRequest::Whole(2)), 1600);
        assert_eq!(frag(&[1000, 1000], GpuRequest::Whole(2)), 0);
        // A node without GPUs has no fragmentation; over-committed devices count as 0 free.
        assert_eq!(frag(&[], GpuRequest::Share(100)), 0);
        assert_eq!(frag(&[-200, 50], GpuRequest::Share(100)), 50);
    }

    #[test]
    fn scores_and_normalization() {
        let mut plugin = Fgd::new(FgdArgs { shapes: Some(half_and_half()) });
        // a: (300, 1000) -> increase −300; b: (1000, 1000) -> +350; c: (0, 1000) -> the share
        // goes to device 1 (700 left): the whole GPU no longer fits, 700 is a fragment for it:
        // .5·700 = +350.
        let a = gpu_node("a", "2").with_pods(&[share("700", 1)]);
        let b = gpu_node("b", "2");
        let c = gpu_node("c", "2").with_pods(&[share("500", 2), share("500", 3)]);
        assert_eq!((a.gpu_free(), c.gpu_free()), (vec![300, 1000], vec![0, 1000]));
        let p = share("300", 9);
        let nodes = [a, b, c];
        let feasible: Vec<&NodeInfo> = nodes.iter().collect();
        assert!(plugin.pre_score(&CycleContext::with_nodes(&nodes), &p, &feasible).is_success());
        let mut scores: Vec<i64> = nodes.iter().map(|n| plugin.score(&p, n).unwrap()).collect();
        assert_eq!(scores, [-300 * WEIGHT_SCALE, 350 * WEIGHT_SCALE, 350 * WEIGHT_SCALE]);
        plugin.normalize(&p, &mut scores);
        assert_eq!(scores, [100, 0, 0]);
        // Equal increases everywhere: all 100.
        let mut flat = vec![5, 5];
        normalize_least_is_best(&mut flat);
        assert_eq!(flat, [100, 100]);
        // ⌊100·(max − s)/(max − min)⌋ truncates: (−1, 0, 2) -> 100, 66, 0.
        let mut s = vec![-1, 0, 2];
        normalize_least_is_best(&mut s);
        assert_eq!(s, [100, 66, 0]);
    }

    #[test]
    fn nothing_is_scored_without_a_target_distribution() {
        let mut plugin = Fgd::new(FgdArgs::default());
        let nodes = [gpu_node("a", "1")];
        let status = plugin.pre_score(&CycleContext::with_nodes(&nodes), &pod(&[("cpu", "1")]), &[&nodes[0]]);
        assert!(status.is_skip());
        assert!(plugin.distribution().is_empty(), "CPU-only pods are not part of the distribution");
        assert!(plugin.score(&share("100", 1), &nodes[0]).is_err(), "no PreScore for this pod");
    }

    #[test]
    fn a_node_short_of_cpu_loses_all_its_free_gpu() {
        // The artifact's Q4 ("lack cpu"): a task whose cpu the node cannot give sees every free
        // milli of the node as fragmentation, however well its devices would fit.
        let task = TargetShape { request: GpuRequest::Whole(1), cpu_milli: 8000, weight: 1 };
        assert_eq!(fragmentation(&[1000, 400], 8000, &task), 400, "the cpu fits: only device 1 is too small");
        assert_eq!(fragmentation(&[1000, 400], 7999, &task), 1400, "one millicore short: everything is lost");
        assert_eq!(fragmentation(&[1000, -50], 0, &task), 1000, "over-committed devices count as 0");
        // Grouped evaluation equals the shape-by-shape sum, for cpu on both sides of every
        // threshold.
        let list = [
            TargetShape { request: GpuRequest::Whole(1), cpu_milli: 4000, weight: 3 },
            TargetShape { request: GpuRequest::Whole(1), cpu_milli: 16000, weight: 2 },
            TargetShape { request: GpuRequest::Share(500), cpu_milli: 0, weight: 5 },
            TargetShape { request: GpuRequest::Share(500), cpu_milli: 8000, weight: 1 },
            TargetShape { request: GpuRequest::Whole(2), cpu_milli: 4000, weight: 7 },
        ];
        let d = Distribution::new(&list);
        for free in [vec![1000, 1000], vec![300, 1000], vec![0, 600], vec![]] {
            for cpu in [-1, 0, 3999, 4000, 7999, 8000, 16000, 64000] {
                let naive: i128 =
                    list.iter().map(|s| i128::from(s.weight) * i128::from(fragmentation(&free, cpu, s))).sum();
                assert_eq!(d.weighted(&free, cpu), naive, "free {free:?}, cpu {cpu}");
            }
        }
    }

    #[test]
    fn pods_without_gpus_are_kept_off_gpu_nodes_whose_cpu_the_targets_need() {
        // Target: one whole GPU with 8 cpu. A 4-cpu pod without GPUs on a GPU node with 10 cpu
        // free leaves 6: the target no longer fits there, and its one free GPU (1000) becomes
        // fragmentation. On a GPU node with 32 cpu free, or a node without GPUs, nothing changes.
        let target = vec![TargetShape { request: GpuRequest::Whole(1), cpu_milli: 8000, weight: 1 }];
        let mut plugin = Fgd::new(FgdArgs { shapes: Some(target) });
        let tight = gpu_node("tight", "1").with_pods(&[pod(&[("cpu", "22")])]);
        let roomy = gpu_node("roomy", "1");
        let cpu_only = node("cpu", &[("cpu", "32"), ("memory", "64Gi")]);
        let nodes = [tight, roomy, cpu_only];
        let feasible: Vec<&NodeInfo> = nodes.iter().collect();
        let p = pod(&[("cpu", "4")]);
        assert!(plugin.pre_score(&CycleContext::with_nodes(&nodes), &p, &feasible).is_success());
        let mut scores: Vec<i64> = nodes.iter().map(|n| plugin.score(&p, n).unwrap()).collect();
        assert_eq!(scores, [1000, 0, 0]);
        plugin.normalize(&p, &mut scores);
        assert_eq!(scores, [0, 100, 100]);
    }

    #[test]
    fn the_default_distribution_counts_each_pod_once() {
        let mut plugin = Fgd::new(FgdArgs::default());
        let nodes = [gpu_node("a", "2")];
        let cx = CycleContext::with_nodes(&nodes);
        // A pod retried three times (PreFilter every cycle, PreScore too) counts once.
        for _ in 0..3 {
            plugin.pre_filter(&cx, &whole("2", 1));
            plugin.pre_score(&cx, &whole("2", 1), &[&nodes[0]]);
        }
        plugin.pre_filter(&cx, &share("250", 2));
        plugin.pre_filter(&cx, &share("250", 3));
        plugin.pre_filter(&cx, &pod(&[("cpu", "1")]));
        let with_cpu = |list: &[(GpuRequest, i64)]| -> Vec<TargetShape> {
            list.iter().map(|&(request, weight)| TargetShape { request, cpu_milli: 1000, weight }).collect()
        };
        assert_eq!(plugin.distribution(), with_cpu(&[(GpuRequest::Whole(2), 1), (GpuRequest::Share(250), 2)]));
        // With {2 whole GPUs: 1, 250 milli: 2}: a 250 share on (500, 1000) goes to device 0
        // (250 left): the two GPUs did not fit before (1500 fragment) nor after (1250): −250;
        // the 250 share fits before and after with no smaller device: 0. Total −250.
        // On an empty node: (750, 1000): the two GPUs no longer fit: +1750.
        plugin.pre_score(&cx, &share("250", 4), &[&nodes[0]]);
        assert_eq!(plugin.distribution().last().unwrap().weight, 3, "the scored pod counts too");
        let used = gpu_node("u", "2").with_pods(&[share("500", 5)]);
        let empty = gpu_node("e", "2");
        let scores: Vec<i64> = [&used, &empty].iter().map(|n| plugin.score(&share("250", 4), n).unwrap()).collect();
        assert_eq!(scores, [-250, 1750]);
    }

    #[test]
    fn weights_parse_as_exact_decimals() {
        assert_eq!(parse_weight("0.4"), Some(400_000));
        assert_eq!(parse_weight("40"), Some(40_000_000));
        assert_eq!(parse_weight(".125"), Some(125_000));
        assert_eq!(parse_weight("1000000"), Some(WEIGHT_SCALE * WEIGHT_SCALE));
        for bad in ["0", "0.0", "-1", "1e3", "0.0000001", "1.", "", ".", "abc", "1000001"] {
            assert_eq!(parse_weight(bad), None, "{bad:?}");
        }
    }
}
