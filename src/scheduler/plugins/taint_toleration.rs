//! TaintToleration (`tainttoleration/taint_toleration.go`): rejects nodes with an untolerated
//! NoSchedule/NoExecute taint; scores nodes by their untolerated PreferNoSchedule taints
//! (fewer is better, reversed normalization).

use crate::api::pod::Pod;
use crate::api::taint::{TaintEffect, Toleration, tolerated};
use crate::scheduler::framework::{
    Filter, MAX_NODE_SCORE, NodeInfo, Plugin, PreScore, Score, Status, default_normalize_score,
};

pub const NAME: &str = "TaintToleration";

#[derive(Default)]
pub struct TaintToleration {
    /// The pod's tolerations with effect PreferNoSchedule or empty (PreScore state).
    prefer_tolerations: Vec<Toleration>,
}

impl Plugin for TaintToleration {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        Some(self)
    }
    fn as_pre_score(&mut self) -> Option<&mut dyn PreScore> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn Score> {
        Some(self)
    }
}

impl Filter for TaintToleration {
    fn filter(&self, pod: &Pod, node: &NodeInfo) -> Status {
        for taint in &node.taints {
            if !matches!(taint.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute) {
                continue;
            }
            if !tolerated(&pod.spec.tolerations, taint) {
                return Status::unresolvable(format!(
                    "node(s) had untolerated taint {{{}: {}}}",
                    taint.key, taint.value
                ));
            }
        }
        Status::success()
    }
}

impl PreScore for TaintToleration {
    fn pre_score(&mut self, pod: &Pod, _feasible: &[&NodeInfo]) -> Status {
        self.prefer_tolerations.clear();
        self.prefer_tolerations.extend(
            pod.spec
                .tolerations
                .iter()
                .filter(|t| t.effect.is_none() || t.effect == Some(TaintEffect::PreferNoSchedule))
                .cloned(),
        );
        Status::success()
    }
}

impl Score for TaintToleration {
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        let count = node
            .taints
            .iter()
            .filter(|t| t.effect == TaintEffect::PreferNoSchedule && !tolerated(&self.prefer_tolerations, t))
            .count();
        Ok(count as i64)
    }

    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) -> Option<Status> {
        default_normalize_score(MAX_NODE_SCORE, true, scores);
        Some(Status::success())
    }
}
