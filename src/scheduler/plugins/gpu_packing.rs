//! GPUPacking: best fit on GPU devices, the "GPU packing" baseline of Weng et al., "Beware of
//! Fragmentation" (USENIX ATC 2023), after its artifact's `gpu_packing_score.go`
//! (`docs/policies.md`). It prefers, in order:
//!
//! 0. nodes where the pod fits on devices that are already partly used (a share joining other
//!    shares), the tightest first (least free milli left on those devices);
//! 1. nodes with some GPU in use where the pod needs entirely free devices, those taking the
//!    fewest entirely free devices first;
//! 2. nodes whose GPUs are all free, the smallest (fewest devices) first,
//!
//! so that shares pile onto shared devices and whole GPUs stay free on untouched nodes. The
//! devices are those of the assignment rule ([`assign_gpu_devices`]). Pods without GPUs get
//! the same score on every node.

use crate::api::pod::Pod;
use crate::api::resources::{GpuRequest, gpu};
use crate::scheduler::framework::{NodeInfo, Plugin, Score, Status, assign_gpu_devices};
use crate::scheduler::plugins::packing::normalize_by_rank;

pub const NAME: &str = "GPUPacking";

/// The width of one class in the raw score: above any within-class value (at most
/// `MAX_DEVICES × 1000`).
const CLASS: i64 = 1 << 32;

#[derive(Debug, Default)]
pub struct GpuPacking;

/// The raw score (lower is better): `class · 2³² + rank within the class`, where the class and
/// the rank are those of the module documentation: class 0 ranks by the free milli left on the
/// pod's devices after placement, class 1 by the number of entirely free devices the pod
/// takes, class 2 by the node's number of devices. 0 for a pod without GPUs.
pub fn packing_key(free: &[i64], request: GpuRequest) -> i64 {
    if !request.uses_devices() {
        return 0;
    }
    let (_, milli) = request.per_device();
    let devices = assign_gpu_devices(free, request);
    let entirely_free = |d: &u32| free.get(*d as usize).is_some_and(|&f| f >= gpu::MILLI_PER_DEVICE);
    let fresh = devices.iter().filter(|d| entirely_free(d)).count() as i64;
    if fresh == 0 && !devices.is_empty() {
        devices.iter().map(|&d| (free[d as usize] - milli).max(0)).sum()
    } else if free.iter().any(|&f| f < gpu::MILLI_PER_DEVICE) {
        CLASS + fresh
    } else {
        2 * CLASS + free.len() as i64
    }
}

impl Plugin for GpuPacking {
    fn name(&self) -> &'static str {
        NAME
    }
    fn node_local(&self) -> bool {
        true
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
}

impl Score for GpuPacking {
    fn score(&self, pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        Ok(packing_key(&node.gpu_free(), GpuRequest::of(&pod.spec.requests)))
    }

    /// `100 − min(rank, 100)` by key: the best node 100, the next 99, …
    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) -> Option<Status> {
        normalize_by_rank(scores);
        Some(Status::success())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_ranks() {
        let s300 = GpuRequest::Share(300);
        // Class 0: device 1 (400 free) is the tightest partly used device: 100 left.
        assert_eq!(packing_key(&[1000, 400, 700], s300), 100);
        // Exact fit: 0 left, the best possible.
        assert_eq!(packing_key(&[300, 1000], s300), 0);
        // Class 1: the node is in use (200 free on device 0) but the share needs a free device.
        assert_eq!(packing_key(&[200, 1000], s300), CLASS + 1);
        // Class 2: an untouched node, ranked by its size.
        assert_eq!(packing_key(&[1000, 1000], s300), 2 * CLASS + 2);
        assert_eq!(packing_key(&[1000; 8], s300), 2 * CLASS + 8);
        // Whole GPUs are always class 1 or 2: they take entirely free devices.
        assert_eq!(packing_key(&[0, 1000, 1000], GpuRequest::Whole(2)), CLASS + 2);
        assert_eq!(packing_key(&[1000, 1000], GpuRequest::Whole(2)), 2 * CLASS + 2);
        assert_eq!(packing_key(&[1000, 1000], GpuRequest::None), 0);
        // Normalized: class 0 first, then 1, then 2.
        let mut scores = vec![2 * CLASS + 2, 100, CLASS + 1, 0];
        normalize_by_rank(&mut scores);
        assert_eq!(scores, [97, 99, 98, 100]);
    }
}
