//! Random: every feasible node gets a score drawn uniformly from 0..=100, from the plugin's own
//! seeded stream (`scheduler.random`, seeded by the run's seed or the plugin's `seed` arg), so a run is
//! reproducible and its draws do not shift any other stream. Together with the uniform
//! tie-break this picks a feasible node uniformly at random: the "random fit" baseline of
//! cluster-scheduling studies (e.g. Weng et al., USENIX ATC 2023).

use crate::api::pod::Pod;
use crate::kernel::rng::{names, uniform_below};
use crate::kernel::{SimRng, Streams};
use crate::scheduler::framework::{CycleContext, MAX_NODE_SCORE, NodeInfo, Plugin, PreScore, Score, Status};

pub const NAME: &str = "Random";

pub struct RandomScore {
    /// The seed from the plugin's args; `None`: the run's seed.
    seed: Option<u64>,
    /// Created at the first cycle, when the run's seed is known.
    rng: Option<SimRng>,
    /// This cycle's score per node index (`None`: not drawn this cycle).
    drawn: Vec<Option<i64>>,
    /// The indices drawn this cycle, to clear them (not the whole vector) next cycle.
    drawn_ids: Vec<usize>,
}

impl RandomScore {
    pub fn new(seed: Option<u64>) -> RandomScore {
        RandomScore { seed, rng: None, drawn: Vec::new(), drawn_ids: Vec::new() }
    }
}

impl Plugin for RandomScore {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_score(&mut self) -> Option<&mut dyn PreScore> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
}

impl PreScore for RandomScore {
    /// Draws one score per feasible node, in node id order (so the draws do not depend on where
    /// the filter's rotation started).
    fn pre_score(&mut self, cx: &CycleContext<'_>, _pod: &Pod, feasible: &[&NodeInfo]) -> Status {
        let seed = self.seed.unwrap_or(cx.run_seed);
        let rng = self.rng.get_or_insert_with(|| Streams::new(seed).stream(names::SCHEDULER_RANDOM));
        for &i in &self.drawn_ids {
            self.drawn[i] = None;
        }
        self.drawn_ids.clear();
        self.drawn_ids.extend(feasible.iter().map(|n| n.id.index()));
        self.drawn_ids.sort_unstable();
        for &i in &self.drawn_ids {
            if i >= self.drawn.len() {
                self.drawn.resize(i + 1, None);
            }
            self.drawn[i] = Some(uniform_below(rng, MAX_NODE_SCORE as u64 + 1) as i64);
        }
        Status::success()
    }
}

impl Score for RandomScore {
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        self.drawn
            .get(node.id.index())
            .copied()
            .flatten()
            .ok_or_else(|| Status::error(format!("Random: no score drawn for node {:?}", node.name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{node, pod};
    use crate::store::NodeId;

    fn nodes(n: u32) -> Vec<NodeInfo> {
        (0..n).map(|i| NodeInfo { id: NodeId(i), ..node(&format!("n{i}"), &[("cpu", "4")]) }).collect()
    }

    fn cycle(plugin: &mut RandomScore, all: &[NodeInfo], feasible: &[usize]) -> Vec<i64> {
        let p = pod(&[("cpu", "1")]);
        let feasible: Vec<&NodeInfo> = feasible.iter().map(|&i| &all[i]).collect();
        assert!(plugin.pre_score(&CycleContext::with_nodes(all), &p, &feasible).is_success());
        feasible.iter().map(|n| plugin.score(&p, n).unwrap()).collect()
    }

    #[test]
    fn scores_are_the_stream_draws_in_node_order() {
        let all = nodes(3);
        // The expected values are the first three draws of uniform_below(101) on the
        // `scheduler.random` stream of seed 7, assigned to nodes 0, 1, 2 in id order even though
        // the filter listed them as 2, 0, 1.
        let mut reference = Streams::new(7).stream(names::SCHEDULER_RANDOM);
        let want: Vec<i64> = (0..3).map(|_| uniform_below(&mut reference, 101) as i64).collect();
        let mut plugin = RandomScore::new(Some(7));
        assert_eq!(cycle(&mut plugin, &all, &[2, 0, 1]), [want[2], want[0], want[1]]);
        // The same seed gives the same scores; a node not drawn this cycle has no score.
        let mut again = RandomScore::new(Some(7));
        assert_eq!(cycle(&mut again, &all, &[0, 1, 2]), want);
        cycle(&mut again, &all, &[1]);
        assert!(again.score(&pod(&[]), &all[0]).is_err());
    }

    #[test]
    fn scores_cover_0_to_100_roughly_uniformly() {
        let all = nodes(2);
        let mut plugin = RandomScore::new(Some(1));
        let mut counts = [0u32; 101];
        for _ in 0..10_100 {
            for s in cycle(&mut plugin, &all, &[0, 1]) {
                assert!((0..=100).contains(&s));
                counts[s as usize] += 1;
            }
        }
        // 20,200 draws: 200 expected per value; a uniform draw stays within 100..300 (7 sigma).
        assert!(counts.iter().all(|&c| (100..300).contains(&c)), "{counts:?}");
        assert_ne!(
            cycle(&mut RandomScore::new(Some(1)), &all, &[0, 1]),
            cycle(&mut RandomScore::new(Some(2)), &all, &[0, 1])
        );
    }

    #[test]
    fn without_a_seed_arg_the_run_seed_decides() {
        let all = nodes(3);
        let p = pod(&[("cpu", "1")]);
        let feasible: Vec<&NodeInfo> = all.iter().collect();
        let draw = |run_seed: u64| {
            let mut plugin = RandomScore::new(None);
            let cx = CycleContext { run_seed, ..CycleContext::with_nodes(&all) };
            assert!(plugin.pre_score(&cx, &p, &feasible).is_success());
            (0..3).map(|i| plugin.score(&p, &all[i]).unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(draw(5), draw(5));
        assert_ne!(draw(5), draw(6));
        // An explicit seed wins over the run's.
        let mut fixed = RandomScore::new(Some(5));
        let cx = CycleContext { run_seed: 99, ..CycleContext::with_nodes(&all) };
        assert!(fixed.pre_score(&cx, &p, &feasible).is_success());
        assert_eq!((0..3).map(|i| fixed.score(&p, &all[i]).unwrap()).collect::<Vec<_>>(), draw(5));
    }
}
