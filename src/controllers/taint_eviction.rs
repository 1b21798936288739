//! The taint eviction controller (`pkg/controller/tainteviction/taint_eviction.go`): deletes
//! pods from nodes with NoExecute taints they do not tolerate, at once, or after the smallest
//! `tolerationSeconds` among the tolerations in use, counted from when it first saw the taint
//! for the pod. Deletions are ordinary graceful deletions with the `DisruptionTarget`
//! condition; PodDisruptionBudgets are not consulted.

use crate::api::taint::{TaintEffect, Toleration};
use crate::engine::{Ctx, Event};
use crate::kernel::{EventKey, SimDuration, SimTime};
use crate::store::{NodeId, PodId};

#[derive(Clone, Copy, Debug)]
struct Scheduled {
    created: SimTime,
    key: EventKey,
}

#[derive(Default)]
pub struct TaintEviction {
    /// The planned evictions, by pod (few at a time: a map, not a slot per pod ever made).
    pending: std::collections::BTreeMap<PodId, Scheduled>,
}

/// What the taints on a node mean for one pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No NoExecute taint, or all tolerated forever.
    Keep,
    /// Some NoExecute taint is not tolerated.
    EvictNow,
    /// Evict after this long.
    EvictAfter(SimDuration),
}

/// `processPodOnNode`'s decision: `GetMatchingTolerations` then `getMinTolerationTime`.
pub fn verdict(taints: &[crate::api::taint::Taint], tolerations: &[Toleration]) -> Verdict {
    let mut min: Option<i64> = None;
    let mut any = false;
    for taint in taints.iter().filter(|t| t.effect == TaintEffect::NoExecute) {
        any = true;
        let Some(t) = tolerations.iter().find(|t| t.tolerates(taint)) else { return Verdict::EvictNow };
        if let Some(secs) = t.toleration_seconds {
            min = Some(min.map_or(secs, |m| m.min(secs)));
        }
    }
    match (any, min) {
        (false, _) | (true, None) => Verdict::Keep,
        (true, Some(secs)) => Verdict::EvictAfter(SimDuration::from_secs(secs.max(0) as u64)),
    }
}

impl TaintEviction {
    pub fn cancel(&mut self, ctx: &mut Ctx<'_>, pod: PodId) {
        if let Some(s) = self.pending.remove(&pod) {
            ctx.queue.cancel(s.key);
        }
    }

    /// Re-evaluates every pod on a node whose taints may have changed.
    pub fn node_updated(&mut self, ctx: &mut Ctx<'_>, node: NodeId) {
        let pods: Vec<PodId> = ctx.store.pods_on_node(node).to_vec();
        for pod in pods {
            self.process_pod(ctx, pod);
        }
    }

    /// Evaluates one pod against its node's NoExecute taints.
    pub fn process_pod(&mut self, ctx: &mut Ctx<'_>, pod: PodId) {
        let p = ctx.store.pod(pod);
        let Some(node) = p.status.node else { return };
        if p.meta.is_terminating() || p.status.phase.is_terminal() {
            self.cancel(ctx, pod);
            return;
        }
        let now = ctx.now;
        match verdict(&ctx.store.node(node).taints, &p.spec.tolerations) {
            Verdict::Keep => self.cancel(ctx, pod),
            Verdict::EvictNow => {
                self.cancel(ctx, pod);
                let key = ctx.at(now, Event::TaintEviction { pod });
                self.pending.insert(pod, Scheduled { created: now, key });
            }
            Verdict::EvictAfter(d) => {
                // An eviction already planned keeps its earlier start.
                if self.pending.contains_key(&pod) {
                    return;
                }
                let key = ctx.at(now + d, Event::TaintEviction { pod });
                self.pending.insert(pod, Scheduled { created: now, key });
            }
        }
    }

    /// Forgets every planned eviction (a restarted controller manager plans them anew).
    pub fn cancel_all(&mut self, ctx: &mut Ctx<'_>) {
        // In pod order, as before.
        for (_, s) in std::mem::take(&mut self.pending) {
            ctx.queue.cancel(s.key);
        }
    }

    /// The eviction fires: returns true if the pod should be deleted now.
    pub fn fire(&mut self, pod: PodId) -> bool {
        self.pending.remove(&pod).is_some()
    }

    /// When the pending eviction of `pod` was first planned.
    pub fn planned_since(&self, pod: PodId) -> Option<SimTime> {
        self.pending.get(&pod).map(|s| s.created)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::taint::{Taint, add_default_tolerations, keys};

    #[test]
    fn verdicts() {
        let unreachable = Taint::new(keys::UNREACHABLE, TaintEffect::NoExecute);
        let mut defaults = vec![];
        add_default_tolerations(&mut defaults);
        assert_eq!(
            verdict(std::slice::from_ref(&unreachable), &defaults),
            Verdict::EvictAfter(SimDuration::from_secs(300))
        );
        assert_eq!(verdict(std::slice::from_ref(&unreachable), &[]), Verdict::EvictNow);
        assert_eq!(verdict(&[], &[]), Verdict::Keep);
        let forever = vec![Toleration {
            key: keys::UNREACHABLE.into(),
            operator: crate::api::taint::TolerationOperator::Exists,
            ..Default::default()
        }];
        assert_eq!(verdict(std::slice::from_ref(&unreachable), &forever), Verdict::Keep);
        let noschedule = Taint::new("x", TaintEffect::NoSchedule);
        assert_eq!(verdict(&[noschedule], &[]), Verdict::Keep, "only NoExecute taints evict");
        let mut short = defaults.clone();
        short[1].toleration_seconds = Some(-5);
        assert_eq!(verdict(&[unreachable], &short), Verdict::EvictAfter(SimDuration::ZERO));
    }
}
