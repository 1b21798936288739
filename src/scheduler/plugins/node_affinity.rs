//! NodeAffinity (`nodeaffinity/node_affinity.go`): `nodeSelector` plus required node affinity
//! as a filter (with the `metadata.name` PreFilterResult), preferred node affinity as a score
//! normalized by the maximum.

use crate::api::node_selector::{CompiledPreferredTerms, RequiredNodeAffinity};
use crate::api::pod::Pod;
use crate::scheduler::framework::{
    Filter, MAX_NODE_SCORE, NodeInfo, Plugin, PreFilter, PreFilterResult, PreScore, Score, Status,
    default_normalize_score,
};

pub const NAME: &str = "NodeAffinity";

const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";

#[derive(Default)]
pub struct NodeAffinity {
    required: Option<RequiredNodeAffinity>,
    preferred: Option<CompiledPreferredTerms>,
}

impl Plugin for NodeAffinity {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilter> {
        Some(self)
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

impl PreFilter for NodeAffinity {
    fn pre_filter(&mut self, pod: &Pod, _nodes: &[NodeInfo]) -> (PreFilterResult, Status) {
        let required = pod.spec.affinity.node_affinity.as_ref().and_then(|a| a.required.as_ref());
        if required.is_none() && pod.spec.node_selector.is_empty() {
            self.required = None;
            return (PreFilterResult::default(), Status::skip());
        }
        self.required = Some(RequiredNodeAffinity::new(&pod.spec.node_selector, required));
        // Terms that all pin `metadata.name` restrict the candidate nodes.
        if let Some(sel) = required
            && let Some(names) = sel.pre_filter_node_names()
        {
            if names.is_empty() {
                return (PreFilterResult::default(), Status::unresolvable("pod affinity terms conflict"));
            }
            return (PreFilterResult { node_names: Some(names) }, Status::success());
        }
        (PreFilterResult::default(), Status::success())
    }
}

impl Filter for NodeAffinity {
    fn filter(&self, _pod: &Pod, node: &NodeInfo) -> Status {
        match &self.required {
            Some(r) if !r.matches(&node.name, &node.labels) => Status::unresolvable(ERR_REASON_POD),
            _ => Status::success(),
        }
    }
}

impl PreScore for NodeAffinity {
    fn pre_score(&mut self, pod: &Pod, _feasible: &[&NodeInfo]) -> Status {
        let preferred = pod.spec.affinity.node_affinity.as_ref().map(|a| a.preferred.as_slice()).unwrap_or(&[]);
        if preferred.is_empty() {
            self.preferred = None;
            return Status::skip();
        }
        match CompiledPreferredTerms::new(preferred) {
            Ok(c) => {
                self.preferred = Some(c);
                Status::success()
            }
            Err(e) => Status::error(e.to_string()),
        }
    }
}

impl Score for NodeAffinity {
    fn score(&self, _pod: &Pod, node: &NodeInfo) -> Result<i64, Status> {
        Ok(self.preferred.as_ref().map_or(0, |p| p.score(&node.name, &node.labels)))
    }

    fn normalize(&self, _pod: &Pod, scores: &mut [i64]) -> Option<Status> {
        default_normalize_score(MAX_NODE_SCORE, false, scores);
        Some(Status::success())
    }
}
