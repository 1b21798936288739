//! PodDisruptionBudgets (`policy/v1`): how many of a set of pods must stay healthy, and the
//! status the disruption controller computes for them (`pkg/controller/disruption`).

use crate::api::meta::ObjectMeta;
use crate::api::selector::LabelSelector;
use crate::api::workload::IntOrPercent;

/// `spec.unhealthyPodEvictionPolicy`. Only the Eviction API reads it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum UnhealthyPodEvictionPolicy {
    /// Unhealthy pods may be evicted only while the budget is met (the behaviour when unset).
    #[default]
    IfHealthyBudget,
    AlwaysAllow,
}

impl UnhealthyPodEvictionPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            UnhealthyPodEvictionPolicy::IfHealthyBudget => "IfHealthyBudget",
            UnhealthyPodEvictionPolicy::AlwaysAllow => "AlwaysAllow",
        }
    }
}

/// `policy/v1.PodDisruptionBudgetStatus`, with its `DisruptionAllowed` condition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PdbStatus {
    pub observed_generation: i64,
    pub current_healthy: i32,
    pub desired_healthy: i32,
    pub expected_pods: i32,
    pub disruptions_allowed: i32,
    /// `DisruptionAllowed` condition reason: `SufficientPods`, `InsufficientPods` or
    /// `SyncFailed`; empty before the first sync.
    pub reason: &'static str,
    /// `disruptedPods`: pods the Eviction API let go, by name, with the time of the eviction;
    /// they do not count as healthy until deleted or for [`DELETION_TIMEOUT`].
    pub disrupted_pods: std::collections::BTreeMap<String, crate::kernel::SimTime>,
}

/// `DeletionTimeout`: how long an evicted pod that is not deleted stays in `disruptedPods`.
pub const DELETION_TIMEOUT: crate::kernel::SimDuration = crate::kernel::SimDuration::from_secs(120);

impl PdbStatus {
    /// The `DisruptionAllowed` condition status.
    pub fn disruption_allowed(&self) -> bool {
        self.reason == "SufficientPods"
    }
}

/// `policy/v1.PodDisruptionBudget`.
#[derive(Clone, Debug, PartialEq)]
pub struct PodDisruptionBudget {
    pub meta: ObjectMeta,
    pub min_available: Option<IntOrPercent>,
    pub max_unavailable: Option<IntOrPercent>,
    /// `None` is a nil selector, which selects no pods; an empty one selects every pod of the
    /// namespace (policy/v1).
    pub selector: Option<LabelSelector>,
    pub unhealthy_pod_eviction_policy: Option<UnhealthyPodEvictionPolicy>,
    pub status: PdbStatus,
}

impl PodDisruptionBudget {
    /// Whether the disruption controller counts `labels` (of a pod in the same namespace).
    pub fn selects(&self, labels: &crate::api::meta::Labels) -> bool {
        self.selector.as_ref().is_some_and(|s| s.matches(labels))
    }

    /// Whether preemption counts the pod against this budget (`filterPodsWithPDBViolation`):
    /// there, a nil or empty selector matches nothing.
    pub fn selects_for_preemption(&self, labels: &crate::api::meta::Labels) -> bool {
        !labels.is_empty() && self.selector.as_ref().is_some_and(|s| !s.is_empty() && s.matches(labels))
    }

    /// `getExpectedPodCount`: (expected pods, desired healthy) from the spec, the number of
    /// selected pods and the summed scale of their controllers (`None` if it could not be
    /// found, which the caller turns into a failed sync when the spec needs it).
    pub fn expected_and_desired(&self, pods: i32, scale: impl FnOnce() -> Option<i32>) -> Option<(i32, i32)> {
        if let Some(max_unavailable) = self.max_unavailable {
            let expected = scale()?;
            let desired = (expected - max_unavailable.scaled(expected, true)).max(0);
            return Some((expected, desired));
        }
        match self.min_available {
            Some(IntOrPercent::Int(n)) => Some((pods, n)),
            Some(p @ IntOrPercent::Percent(_)) => {
                let expected = scale()?;
                Some((expected, p.scaled(expected, true)))
            }
            None => Some((0, 0)),
        }
    }
}

/// `updatePdbStatus`: disruptions allowed, zero while no pods are expected.
pub fn disruptions_allowed(current_healthy: i32, desired_healthy: i32, expected: i32) -> i32 {
    let allowed = current_healthy - desired_healthy;
    if expected <= 0 || allowed <= 0 { 0 } else { allowed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdb(min: Option<IntOrPercent>, max: Option<IntOrPercent>) -> PodDisruptionBudget {
        PodDisruptionBudget {
            meta: ObjectMeta::default(),
            min_available: min,
            max_unavailable: max,
            selector: Some(LabelSelector::everything()),
            unhealthy_pod_eviction_policy: None,
            status: PdbStatus::default(),
        }
    }

    #[test]
    fn expected_and_desired_follow_the_spec() {
        use IntOrPercent::*;
        // minAvailable as a number: expected is the number of selected pods.
        assert_eq!(pdb(Some(Int(2)), None).expected_and_desired(5, || panic!("not needed")), Some((5, 2)));
        // Percentages round up, of the controllers' scale.
        assert_eq!(pdb(Some(Percent(50)), None).expected_and_desired(9, || Some(5)), Some((5, 3)));
        assert_eq!(pdb(None, Some(Percent(30))).expected_and_desired(9, || Some(5)), Some((5, 3)));
        assert_eq!(pdb(None, Some(Int(7))).expected_and_desired(9, || Some(5)), Some((5, 0)));
        assert_eq!(pdb(None, Some(Int(1))).expected_and_desired(9, || None), None);
        assert_eq!(pdb(None, None).expected_and_desired(3, || None), Some((0, 0)));
    }

    #[test]
    fn allowed_is_never_negative_and_zero_without_expected_pods() {
        assert_eq!(disruptions_allowed(5, 3, 5), 2);
        assert_eq!(disruptions_allowed(2, 3, 5), 0);
        assert_eq!(disruptions_allowed(2, 0, 0), 0);
    }

    #[test]
    fn preemption_ignores_empty_selectors() {
        let labels: crate::api::meta::Labels = [("app".to_string(), "x".to_string())].into();
        let p = pdb(None, None);
        assert!(p.selects(&labels), "the controller counts every pod for an empty selector");
        assert!(!p.selects_for_preemption(&labels), "preemption matches nothing for it");
        let nil = PodDisruptionBudget { selector: None, ..p };
        assert!(!nil.selects(&labels));
    }
}
