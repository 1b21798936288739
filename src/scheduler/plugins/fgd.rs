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

use std::collections::{BTreeMap, BTreeSet};

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
    /// This cycle's pod request and cpu request (set by PreScore).
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
            request: GpuRequest::None,
            cpu_milli: 0,
        }
    }

    /// Counts the pod's shape once per pod (by UID), if it asks for GPU devices.
    fn observe(&mut self, pod: &Pod) {
        let request = GpuRequest::of(&pod.spec.requests);
        if request.uses_devices() && self.seen.insert(pod.meta.uid) {
            *self.observed.entry((request, pod.spec.requests.milli_cpu)).or_insert(0) += 1;
            self.observed_distribution = None;
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
fn device_fragmentation(free: &[i64], request: GpuRequest) -> i64 {
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
        Status::success()
    }
}

impl Score for Fgd {
    /// The weighted fragmentation increase of placing the pod on the node (lower is better).
    fn score(&self, pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        let request = GpuRequest::of(&pod.spec.requests);
        let Some(distribution) = self.current().filter(|d| !d.is_empty()) else {
            return Err(Status::error("FGD scored without PreScore"));
        };
        if request != self.request || matches!(request, GpuRequest::Invalid(_)) {
            return Err(Status::error("FGD scored without PreScore"));
        }
        Ok(fragmentation_increase(&node.gpu_free(), cpu_free(node), request, pod.spec.requests.milli_cpu, distribution))
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
    for s in scores.iter_mut() {
        *s = if range == 0 {
            MAX_NODE_SCORE
        } else {
            (i128::from(MAX_NODE_SCORE) * (i128::from(max) - i128::from(*s)) / range) as i64
        };
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
