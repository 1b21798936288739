//! ImageLocality (`imagelocality/image_locality.go`): favours nodes that already hold the pod's
//! container images, in proportion to their size and scaled down for images that many nodes
//! hold (to avoid piling pods onto the few nodes that pulled first).
//!
//! kube-scheduler's Score reads the snapshot's image states (`NodeInfo.ImageStates`: per image
//! name, its size and how many nodes hold it) through the framework handle. A kubesim plugin
//! sees the snapshot only at PreScore, so this plugin takes its PreScore to count, for every
//! image name, the nodes that hold it; the profile resolution runs that PreScore wherever
//! ImageLocality scores (`config.rs`). There is no NormalizeScore.

use crate::api::pod::Pod;
use crate::scheduler::framework::{CycleContext, MAX_NODE_SCORE, NodeInfo, Plugin, PreScore, Score, Status};

pub const NAME: &str = "ImageLocality";

const MB: i64 = 1024 * 1024;
/// Below this summed size a node scores 0.
const MIN_THRESHOLD: i64 = 23 * MB;
/// Per container: at or above this summed size a node scores 100.
const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// What the scheduler cache knows of one image name (`ImageStateSummary`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ImageState {
    /// The size reported by the first node that listed the name (the cache keeps the size it
    /// first saw).
    size: i64,
    /// Nodes listing the name.
    num_nodes: usize,
}

#[derive(Default)]
pub struct ImageLocality {
    /// The normalized image of every init container and container of the pod, in order, with
    /// its state over every node of the snapshot (PreScore state); left empty when no node
    /// lists any image (no name to compare).
    images: Vec<(String, ImageState)>,
    /// The pod's init containers and containers (`calculatePriority`'s count).
    containers: usize,
    /// Number of nodes in the snapshot.
    total_nodes: usize,
    /// Some node of the snapshot holds one of the images (else every node's sum is 0, and
    /// Score does not look at the node).
    held: bool,
}

impl Plugin for ImageLocality {
    fn name(&self) -> &'static str {
        NAME
    }
    fn node_local(&self) -> bool {
        true
    }
    fn as_pre_score(&mut self) -> Option<&mut dyn PreScore> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
}

impl PreScore for ImageLocality {
    fn pre_score(&mut self, cx: &CycleContext<'_>, pod: &Pod, _feasible: &[&NodeInfo]) -> Status {
        self.total_nodes = cx.nodes.len();
        self.images.clear();
        self.containers = pod.spec.init_containers.len() + pod.spec.containers.len();
        // Only the pod's images matter; the cache's states of the others are never read. A
        // cluster whose nodes list no image has nothing to count, nor names to normalize.
        if !cx.any_node_images {
            self.held = false;
            return Status::success();
        }
        for c in pod.spec.init_containers.iter().chain(&pod.spec.containers) {
            self.images.push((normalized_image_name(&c.image), ImageState::default()));
        }
        for node in cx.nodes.iter().filter(|n| !n.images.is_empty()) {
            for (name, state) in &mut self.images {
                let mut listed = node.images.iter().filter(|i| i.names.contains(name));
                if let Some(first) = listed.next() {
                    if state.num_nodes == 0 {
                        state.size = first.size_bytes;
                    }
                    state.num_nodes += 1;
                }
            }
        }
        self.held = self.images.iter().any(|(_, state)| state.num_nodes > 0);
        Status::success()
    }

    fn reads_feasible(&self, _cx: &CycleContext<'_>, _pod: &Pod) -> bool {
        false
    }
}

/// `normalizedImageName`: an image without a tag (no ':' after the last '/') means `:latest`.
/// A digest (`name@sha256:...`) has a ':' after the last '/' and is kept as is.
pub fn normalized_image_name(name: &str) -> String {
    let last_colon = name.rfind(':').map_or(-1, |i| i as i64);
    let last_slash = name.rfind('/').map_or(-1, |i| i as i64);
    if last_colon <= last_slash { format!("{name}:latest") } else { name.to_string() }
}

impl ImageLocality {
    /// `scaledImageScore`: the image's size times the fraction of nodes holding it (float64,
    /// truncated, as upstream).
    fn scaled(&self, state: &ImageState) -> i64 {
        let spread = state.num_nodes as f64 / self.total_nodes as f64;
        (state.size as f64 * spread) as i64
    }

    /// `sumImageScores`: over the init containers and containers whose image the node holds.
    fn sum_image_scores(&self, node: &NodeInfo) -> i64 {
        if !self.held || node.images.is_empty() {
            return 0;
        }
        self.images
            .iter()
            .filter(|(name, _)| node.images.iter().any(|i| i.names.contains(name)))
            .map(|(_, state)| self.scaled(state))
            .sum()
    }
}

/// `calculatePriority`: the sum clamped to `[23 MiB, 1000 MiB × containers]`, mapped linearly
/// onto 0..=100 with integer division.
fn calculate_priority(sum: i64, num_containers: usize) -> i64 {
    let max_threshold = MAX_CONTAINER_THRESHOLD * num_containers as i64;
    let sum = if sum < MIN_THRESHOLD { MIN_THRESHOLD } else { sum.min(max_threshold) };
    MAX_NODE_SCORE * (sum - MIN_THRESHOLD) / (max_threshold - MIN_THRESHOLD)
}

impl Score for ImageLocality {
    /// No NormalizeScore.
    fn raw_is_final(&self) -> bool {
        true
    }

    fn score(&self, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        Ok(calculate_priority(self.sum_image_scores(node), self.containers))
    }

    fn score_nodes(&self, pod: &Pod, nodes: &[&NodeInfo], out: &mut [i64]) -> Result<(), Status> {
        if !self.held {
            // No node holds any of the pod's images: every node sums to 0, without reading it.
            out.fill(calculate_priority(0, self.containers));
            return Ok(());
        }
        for (node, out) in nodes.iter().zip(out.iter_mut()) {
            *out = self.score(pod, node)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! `TestImageLocalityPriority` and `TestNormalizedImageName` (`image_locality_test.go`):
    //! inputs and expected scores as upstream; the last cases are hand-derived from §13.

    use super::*;
    use crate::api::node::ContainerImage;
    use crate::api::pod::Container;
    use crate::scheduler::plugins::testutil::{PodBuilder, node};

    fn image(names: &[&str], mb: i64) -> ContainerImage {
        ContainerImage { names: names.iter().map(|n| n.to_string()).collect(), size_bytes: mb * MB }
    }

    fn image_node(name: &str, images: Vec<ContainerImage>) -> NodeInfo {
        let mut n = node(name, &[("cpu", "1")]);
        n.images = images;
        n
    }

    /// The node image lists of the upstream table (`node403002000`, `node25010`, ...): each
    /// image is `(names, size in MiB)`.
    fn upstream_node(name: &str, images: &[(&[&str], i64)]) -> NodeInfo {
        image_node(name, images.iter().map(|(names, mb)| image(names, *mb)).collect())
    }

    const N40_300_2000: &[(&[&str], i64)] = &[
        (&["gcr.io/40:latest", "gcr.io/40:v1", "gcr.io/40:v1"], 40),
        (&["gcr.io/300:latest", "gcr.io/300:v1"], 300),
        (&["gcr.io/2000:latest"], 2000),
    ];
    const N250_10: &[(&[&str], i64)] = &[(&["gcr.io/250:latest"], 250), (&["gcr.io/10:latest", "gcr.io/10:v1"], 10)];
    const N600_40_900: &[(&[&str], i64)] =
        &[(&["gcr.io/600:latest"], 600), (&["gcr.io/40:latest"], 40), (&["gcr.io/900:latest"], 900)];
    const N300_600_900: &[(&[&str], i64)] =
        &[(&["gcr.io/300:latest"], 300), (&["gcr.io/600:latest"], 600), (&["gcr.io/900:latest"], 900)];
    const N4000_30: &[(&[&str], i64)] = &[(&["gcr.io/4000:latest"], 4000), (&["gcr.io/30:latest"], 30)];
    const N20_30_40: &[(&[&str], i64)] =
        &[(&["gcr.io/20:latest"], 20), (&["gcr.io/30:latest"], 30), (&["gcr.io/40:latest"], 40)];
    const NONE: &[(&[&str], i64)] = &[];

    fn pod_with_images(containers: &[&str], init: &[&str]) -> Pod {
        let mut pod = PodBuilder::new().build();
        let spec = std::sync::Arc::make_mut(&mut pod.spec);
        let c = |image: &&str| Container { image: image.to_string(), ..Container::default() };
        spec.containers = containers.iter().map(c).collect();
        spec.init_containers = init.iter().map(c).collect();
        pod
    }

    fn scores(pod: &Pod, nodes: &[NodeInfo]) -> Vec<i64> {
        let mut plugin = ImageLocality::default();
        let feasible: Vec<&NodeInfo> = nodes.iter().collect();
        assert!(plugin.pre_score(&CycleContext::with_nodes(nodes), pod, &feasible).is_success());
        assert!(plugin.normalize(pod, &mut []).is_none(), "ImageLocality has no NormalizeScore");
        let scores: Vec<i64> = nodes.iter().map(|n| plugin.score(pod, n).unwrap()).collect();
        crate::scheduler::plugins::testutil::check_score_nodes(&plugin, pod, &feasible, &scores, "");
        scores
    }

    #[test]
    fn upstream_image_locality_table() {
        // TestImageLocalityPriority: (containers, init containers, nodes, want), as upstream.
        type Case<'a> = (&'a str, &'a [&'a str], &'a [&'a str], Vec<&'a [(&'a [&'a str], i64)]>, Vec<i64>);
        let cases: Vec<Case<'_>> = vec![
            // 100·(250M/2 − 23M)/(2·1000M − 23M) = 5.
            ("prefer the larger image", &["gcr.io/40", "gcr.io/250"], &[], vec![N40_300_2000, N250_10], vec![0, 5]),
            // 100·((40M + 300M)/2 − 23M)/1977M = 7.
            ("two images on one node", &["gcr.io/40", "gcr.io/300"], &[], vec![N40_300_2000, N250_10], vec![7, 0]),
            ("if exceed limit, use limit", &["gcr.io/10", "gcr.io/4000"], &[], vec![N4000_30, N250_10], vec![100, 0]),
            // 100·(4000M/3 − 23M)/1977M = 66.
            ("limit, three nodes", &["gcr.io/10", "gcr.io/4000"], &[], vec![N4000_30, N250_10, NONE], vec![66, 0, 0]),
            // 100·(600M·2/3 + 900M·2/3 − 23M)/2977M = 32; with 300M·1/3 more: 36.
            (
                "multiple large images",
                &["gcr.io/300", "gcr.io/600", "gcr.io/900"],
                &[],
                vec![N600_40_900, N300_600_900, NONE],
                vec![32, 36, 0],
            ),
            // 100·(30M + 40M/2 − 23M)/1977M = 1.
            ("multiple small images", &["gcr.io/30", "gcr.io/40"], &[], vec![N20_30_40, N4000_30], vec![1, 0]),
            // Init containers count: 100·(300M/2 − 23M)/1977M = 6.
            ("init containers", &["gcr.io/30"], &["gcr.io/300"], vec![N40_300_2000, N20_30_40], vec![6, 0]),
            // Hand-derived: no node holds the pod's image, so every sum is below 23M: all 0.
            ("image held nowhere", &["gcr.io/nowhere"], &[], vec![N40_300_2000, N250_10, NONE], vec![0, 0, 0]),
        ];
        for (name, containers, init, node_images, want) in cases {
            let nodes: Vec<NodeInfo> = node_images
                .iter()
                .enumerate()
                .map(|(i, imgs)| upstream_node(&format!("node{}", i + 1), imgs))
                .collect();
            assert_eq!(scores(&pod_with_images(containers, init), &nodes), want, "{name}");
        }
    }

    #[test]
    fn normalized_image_names() {
        // TestNormalizedImageName, as upstream.
        assert_eq!(normalized_image_name("root"), "root:latest");
        assert_eq!(normalized_image_name("gcr.io:5000/root"), "gcr.io:5000/root:latest");
        assert_eq!(normalized_image_name("root:tag"), "root:tag");
        let digest = "root@sha256:4355a46b19d348dc2f57c046f8ef63d4538ebb936000f3c9ee954a27460dd865";
        assert_eq!(normalized_image_name(digest), digest);
    }

    #[test]
    fn image_sizes_with_and_without_tags() {
        // Hand-derived from §13. One container, so the range is 23M..1000M (977M wide).
        let nodes = vec![
            image_node("tagged", vec![image(&["registry.example.com/app:v2"], 500)]),
            image_node("latest", vec![image(&["registry.example.com/app:latest"], 500)]),
        ];
        // An untagged image means :latest: only the "latest" node has it, on 1 of 2 nodes:
        // 100·(250M − 23M)/977M = 23.
        assert_eq!(scores(&pod_with_images(&["registry.example.com/app"], &[]), &nodes), [0, 23]);
        // Tagged v2: only the "tagged" node.
        assert_eq!(scores(&pod_with_images(&["registry.example.com/app:v2"], &[]), &nodes), [23, 0]);
        // A registry port is not a tag.
        let port_nodes = vec![image_node("n", vec![image(&["host:5000/app:latest"], 1000)])];
        assert_eq!(scores(&pod_with_images(&["host:5000/app"], &[]), &port_nodes), [100]);
    }

    #[test]
    fn init_containers_count_and_widen_the_range() {
        // Hand-derived: two containers (one init): max 2000M; init image 1200M on the only node
        // plus a missing image → 100·(1200M − 23M)/1977M = 59.
        let nodes = vec![image_node("n", vec![image(&["init:1"], 1200)])];
        assert_eq!(scores(&pod_with_images(&["app:1"], &["init:1"]), &nodes), [59]);
        // A tiny image scores 0, a huge one is capped at 100.
        let nodes = vec![image_node("n", vec![image(&["small:1"], 10), image(&["huge:1"], 5000)])];
        assert_eq!(scores(&pod_with_images(&["small:1"], &[]), &nodes), [0]);
        assert_eq!(scores(&pod_with_images(&["huge:1"], &[]), &nodes), [100]);
    }
}
