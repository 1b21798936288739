//! ReplicaSets and Deployments (`apps/v1`), with `IntOrString` fenceposts.

use std::fmt;

use crate::api::meta::{ConditionStatus, ObjectMeta};
use crate::api::pod::PodTemplateSpec;
use crate::api::selector::LabelSelector;
use crate::kernel::SimTime;

/// Annotations the Deployment controller writes on ReplicaSets
/// (`pkg/controller/deployment/util/deployment_util.go`).
pub mod annotations {
    pub const REVISION: &str = "deployment.kubernetes.io/revision";
    pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
    pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
    pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";
}

/// The label on pods and ReplicaSets that ties them to one template revision.
pub const POD_TEMPLATE_HASH_LABEL: &str = "pod-template-hash";

/// `intstr.IntOrString` as used for maxSurge / maxUnavailable: an integer or a percentage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntOrPercent {
    Int(i32),
    Percent(i32),
}

impl IntOrPercent {
    /// `GetScaledValueFromIntOrPercent`: a percentage of `total`, rounded up or down. Go does
    /// the division in float64 and then ceil/floor; for the int32 ranges involved the exact
    /// integer division below gives the same result.
    pub fn scaled(self, total: i32, round_up: bool) -> i32 {
        match self {
            IntOrPercent::Int(v) => v,
            IntOrPercent::Percent(p) => {
                let product = i64::from(p) * i64::from(total);
                let v = if round_up {
                    product.div_euclid(100) + i64::from(product.rem_euclid(100) != 0)
                } else {
                    product.div_euclid(100)
                };
                v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
            }
        }
    }

    /// Parses an integer or `N%`.
    pub fn parse(s: &str) -> Result<IntOrPercent, String> {
        if let Some(p) = s.strip_suffix('%') {
            return p.parse::<i32>().map(IntOrPercent::Percent).map_err(|_| {
                format!("invalid value {s:?}: a percentage must be an integer followed by '%', e.g. 25%")
            });
        }
        s.parse::<i32>()
            .map(IntOrPercent::Int)
            .map_err(|_| format!("invalid value {s:?}: must be an integer or a percentage such as 25%"))
    }
}

impl fmt::Display for IntOrPercent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrPercent::Int(v) => write!(f, "{v}"),
            IntOrPercent::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// `apps/v1.ReplicaSetStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplicaSetStatus {
    pub replicas: i32,
    pub fully_labeled_replicas: i32,
    pub ready_replicas: i32,
    pub available_replicas: i32,
    pub terminating_replicas: i32,
    pub observed_generation: i64,
}

/// `apps/v1.ReplicaSet`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaSet {
    pub meta: ObjectMeta,
    pub replicas: i32,
    pub min_ready_seconds: i32,
    pub selector: LabelSelector,
    pub template: PodTemplateSpec,
    pub status: ReplicaSetStatus,
}

/// `spec.strategy.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeploymentStrategy {
    RollingUpdate { max_surge: IntOrPercent, max_unavailable: IntOrPercent },
    Recreate,
}

impl Default for DeploymentStrategy {
    /// 25 % / 25 % (`SetDefaults_Deployment`).
    fn default() -> Self {
        DeploymentStrategy::RollingUpdate {
            max_surge: IntOrPercent::Percent(25),
            max_unavailable: IntOrPercent::Percent(25),
        }
    }
}

/// A Deployment condition (`Available`, `Progressing`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentCondition {
    pub status: ConditionStatus,
    pub reason: &'static str,
    pub last_update_time: SimTime,
    pub last_transition_time: SimTime,
}

/// `apps/v1.DeploymentStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentStatus {
    pub observed_generation: i64,
    pub replicas: i32,
    pub updated_replicas: i32,
    pub ready_replicas: i32,
    pub available_replicas: i32,
    pub unavailable_replicas: i32,
    pub available: Option<DeploymentCondition>,
    pub progressing: Option<DeploymentCondition>,
}

/// `apps/v1.Deployment`.
#[derive(Clone, Debug, PartialEq)]
pub struct Deployment {
    pub meta: ObjectMeta,
    pub replicas: i32,
    pub selector: LabelSelector,
    pub template: PodTemplateSpec,
    pub strategy: DeploymentStrategy,
    pub min_ready_seconds: i32,
    pub revision_history_limit: i32,
    pub progress_deadline_seconds: Option<i32>,
    pub paused: bool,
    pub status: DeploymentStatus,
}

impl Deployment {
    /// `ResolveFenceposts`: (surge, unavailable) for the desired replica count.
    pub fn fenceposts(&self) -> (i32, i32) {
        match self.strategy {
            DeploymentStrategy::Recreate => (0, 0),
            DeploymentStrategy::RollingUpdate { max_surge, max_unavailable } => {
                resolve_fenceposts(max_surge, max_unavailable, self.replicas)
            }
        }
    }

    /// `MaxUnavailable(d)`.
    pub fn max_unavailable(&self) -> i32 {
        match self.strategy {
            DeploymentStrategy::Recreate => 0,
            DeploymentStrategy::RollingUpdate { .. } if self.replicas == 0 => 0,
            DeploymentStrategy::RollingUpdate { .. } => self.fenceposts().1.min(self.replicas),
        }
    }

    /// `MaxSurge(d)`.
    pub fn max_surge(&self) -> i32 {
        match self.strategy {
            DeploymentStrategy::Recreate => 0,
            DeploymentStrategy::RollingUpdate { .. } => self.fenceposts().0,
        }
    }
}

/// `ResolveFenceposts` (`deployment_util.go`): surge rounds up, unavailable rounds down, and
/// 0/0 becomes 0/1.
pub fn resolve_fenceposts(max_surge: IntOrPercent, max_unavailable: IntOrPercent, desired: i32) -> (i32, i32) {
    let surge = max_surge.scaled(desired, true);
    let mut unavailable = max_unavailable.scaled(desired, false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked table of the controllers reference, §3.1.
    #[test]
    fn fenceposts_with_default_percentages() {
        let table = [(1, 1, 0), (2, 1, 0), (3, 1, 0), (4, 1, 1), (8, 2, 2), (10, 3, 2), (100, 25, 25)];
        for (replicas, surge, unavailable) in table {
            let (s, u) = resolve_fenceposts(IntOrPercent::Percent(25), IntOrPercent::Percent(25), replicas);
            assert_eq!((s, u.min(replicas)), (surge, unavailable), "replicas {replicas}");
        }
        assert_eq!(resolve_fenceposts(IntOrPercent::Int(0), IntOrPercent::Int(0), 5), (0, 1));
        assert_eq!(resolve_fenceposts(IntOrPercent::Percent(10), IntOrPercent::Percent(10), 5), (1, 0));
        assert_eq!(resolve_fenceposts(IntOrPercent::Percent(0), IntOrPercent::Percent(10), 5), (0, 1));
    }

    #[test]
    fn int_or_percent_parsing() {
        assert_eq!(IntOrPercent::parse("25%"), Ok(IntOrPercent::Percent(25)));
        assert_eq!(IntOrPercent::parse("3"), Ok(IntOrPercent::Int(3)));
        assert!(IntOrPercent::parse("25 %").is_err());
        assert!(IntOrPercent::parse("x%").is_err());
        assert_eq!(IntOrPercent::Percent(25).to_string(), "25%");
    }
}
