//! Check expressions: `<kind>/<namespace>/<name> <field> <op> <value>`.
//!
//! A check names one object (or `cluster`), one field of it, a comparison and a value:
//! `deployment/default/web readyReplicas == 3`, `node/n1 Ready == Unknown`,
//! `service/default/web readyEndpoints >= 7`, `cluster podsRunning == 10`. Numbers compare
//! numerically; words (`True`, `Running`, a node name) compare as strings with `==`/`!=`.

use std::fmt;

use crate::api::meta::{Kind, ObjectRef};

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }

    fn parse(s: &str) -> Option<CompareOp> {
        Some(match s {
            "==" | "=" => CompareOp::Eq,
            "!=" => CompareOp::Ne,
            "<" => CompareOp::Lt,
            "<=" => CompareOp::Le,
            ">" => CompareOp::Gt,
            ">=" => CompareOp::Ge,
            _ => return None,
        })
    }

    /// Applies the operator to an ordering.
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CompareOp::Eq => ord == Equal,
            CompareOp::Ne => ord != Equal,
            CompareOp::Lt => ord == Less,
            CompareOp::Le => ord != Greater,
            CompareOp::Gt => ord == Greater,
            CompareOp::Ge => ord != Less,
        }
    }
}

/// A field value: a number or a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckValue {
    Int(i64),
    Word(String),
}

impl fmt::Display for CheckValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckValue::Int(v) => write!(f, "{v}"),
            CheckValue::Word(w) => f.write_str(w),
        }
    }
}

/// What a check looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Object(ObjectRef),
    /// Cluster-wide counters.
    Cluster,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Object(r) => write!(f, "{r}"),
            Target::Cluster => f.write_str("cluster"),
        }
    }
}

/// A parsed expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    pub target: Target,
    pub field: String,
    pub op: CompareOp,
    pub value: CheckValue,
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {} {}", self.target, self.field, self.op.as_str(), self.value)
    }
}

/// The fields each target offers, for validation and suggestions.
pub fn fields_of(target: &Target) -> &'static [&'static str] {
    match target {
        Target::Cluster => &[
            "nodes",
            "nodesReady",
            "podsCreated",
            "podsScheduled",
            "podsPending",
            "podsRunning",
            "podsReady",
            "podsSucceeded",
            "podsFailed",
            "podsTerminating",
            "podsUnschedulable",
            "preemptions",
            "podsPreempted",
            "pvcs",
            "pvs",
        ],
        Target::Object(r) => match r.kind {
            Kind::Deployment => &[
                "exists",
                "spec.replicas",
                "replicas",
                "updatedReplicas",
                "readyReplicas",
                "availableReplicas",
                "unavailableReplicas",
                "Available",
                "Progressing",
                "replicaSets",
            ],
            Kind::ReplicaSet => {
                &["exists", "spec.replicas", "replicas", "readyReplicas", "availableReplicas", "terminatingReplicas"]
            }
            Kind::Service => &[
                "exists",
                "readyEndpoints",
                "notReadyEndpoints",
                "servingTerminatingEndpoints",
                "offeredRps",
                "servedRps",
                "droppedRps",
                "offeredRequests",
                "servedRequests",
                "droppedRequests",
            ],
            Kind::Node => &[
                "exists",
                "Ready",
                "MemoryPressure",
                "DiskPressure",
                "PIDPressure",
                "unschedulable",
                "taints",
                "pods",
                "podsRunning",
            ],
            Kind::Pod => &[
                "exists",
                "phase",
                "ready",
                "node",
                "restartCount",
                "lastState",
                "lastExitCode",
                "terminating",
                "priority",
                "nominatedNode",
                "preempted",
                "waitingReason",
                "cpuUsage",
                "memoryUsage",
                "servedRps",
            ],
            Kind::Namespace => &["exists", "phase"],
            Kind::Ingress => &["exists"],
            Kind::HorizontalPodAutoscaler => &[
                "exists",
                "minReplicas",
                "maxReplicas",
                "currentReplicas",
                "desiredReplicas",
                "currentCpuUtilization",
                "lastScaleTime",
                "AbleToScale",
                "ScalingActive",
                "ScalingLimited",
                "AbleToScaleReason",
                "ScalingActiveReason",
                "ScalingLimitedReason",
            ],
            Kind::ConfigMap | Kind::Secret => &["exists", "keys"],
            Kind::LimitRange => &["exists"],
            Kind::ResourceQuota => {
                &["exists", "usedPods", "usedRequestsCpu", "usedRequestsMemory", "usedLimitsCpu", "usedLimitsMemory"]
            }
            Kind::Job => &[
                "exists",
                "active",
                "ready",
                "terminating",
                "succeeded",
                "failed",
                "podsCreated",
                "completedIndexes",
                "failedIndexes",
                "Complete",
                "Failed",
                "Suspended",
                "reason",
            ],
            Kind::CronJob => {
                &["exists", "active", "jobs", "jobsCreated", "lastScheduleTime", "lastSuccessfulTime", "suspended"]
            }
            Kind::StatefulSet => &[
                "exists",
                "spec.replicas",
                "replicas",
                "readyReplicas",
                "availableReplicas",
                "currentReplicas",
                "updatedReplicas",
                "currentRevision",
                "updateRevision",
                "rolloutComplete",
                "revisions",
                "pvcs",
            ],
            Kind::DaemonSet => &[
                "exists",
                "desiredNumberScheduled",
                "currentNumberScheduled",
                "numberReady",
                "numberAvailable",
                "numberUnavailable",
                "updatedNumberScheduled",
                "numberMisscheduled",
            ],
            Kind::PriorityClass => &["exists", "value", "globalDefault"],
            Kind::PersistentVolumeClaim => &["exists", "phase", "volume", "zone", "storageClass", "terminating"],
            Kind::PersistentVolume => &["exists", "phase", "claim", "zone", "storageClass", "reclaimPolicy"],
            Kind::StorageClass => &["exists", "default", "volumeBindingMode"],
            Kind::PodDisruptionBudget => &[
                "exists",
                "currentHealthy",
                "desiredHealthy",
                "expectedPods",
                "disruptionsAllowed",
                "DisruptionAllowed",
            ],
        },
    }
}

/// Parses `<target> <field> <op> <value>`.
pub fn parse_expectation(text: &str) -> Result<Expectation, String> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    if tokens.len() != 4 {
        return Err(format!(
            "check {text:?} must have four parts: <kind>/<namespace>/<name> <field> <op> <value>, e.g. \"deployment/default/web readyReplicas == 3\""
        ));
    }
    let target = if tokens[0] == "cluster" { Target::Cluster } else { Target::Object(ObjectRef::parse(tokens[0])?) };
    let fields = fields_of(&target);
    let field = tokens[1];
    if !fields.contains(&field) {
        return Err(format!(
            "{target} has no check field {field:?}{} (fields: {})",
            crate::suggest::did_you_mean(field, fields.iter().copied()),
            fields.join(", ")
        ));
    }
    let op = CompareOp::parse(tokens[2])
        .ok_or_else(|| format!("unknown comparison {:?} in check {text:?} (use ==, !=, <, <=, >, >=)", tokens[2]))?;
    let value = match tokens[3].parse::<i64>() {
        Ok(v) => CheckValue::Int(v),
        Err(_) => {
            if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return Err(format!(
                    "check {text:?} compares a word with {}: only == and != apply to words",
                    op.as_str()
                ));
            }
            CheckValue::Word(tokens[3].to_string())
        }
    };
    Ok(Expectation { target, field: field.to_string(), op, value })
}

/// Compares an actual value with the expected one.
pub fn evaluate(actual: &CheckValue, op: CompareOp, expected: &CheckValue) -> bool {
    match (actual, expected) {
        (CheckValue::Int(a), CheckValue::Int(e)) => op.holds(a.cmp(e)),
        (a, e) => {
            let equal = a.to_string() == e.to_string();
            match op {
                CompareOp::Eq => equal,
                CompareOp::Ne => !equal,
                _ => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_expectations() {
        let e = parse_expectation("deployment/default/ml-model readyReplicas == 10").unwrap();
        assert_eq!(e.field, "readyReplicas");
        assert_eq!(e.value, CheckValue::Int(10));
        assert_eq!(e.to_string(), "deployment/default/ml-model readyReplicas == 10");
        let e = parse_expectation("node/n1 Ready == Unknown").unwrap();
        assert_eq!(e.value, CheckValue::Word("Unknown".into()));
        assert!(parse_expectation("cluster podsRunning >= 3").is_ok());
        let err = parse_expectation("deployment/default/web readyReplica == 3").unwrap_err();
        assert!(err.contains("did you mean \"readyReplicas\""), "{err}");
        assert!(parse_expectation("deployment/default/web readyReplicas ~ 3").is_err());
        assert!(parse_expectation("deployment/default/web readyReplicas == 3 extra").is_err());
        assert!(parse_expectation("node/n1 Ready > True").is_err());
        assert!(parse_expectation("gadget/x/y a == 1").is_err());
    }

    #[test]
    fn evaluates() {
        use CheckValue::*;
        assert!(evaluate(&Int(3), CompareOp::Ge, &Int(3)));
        assert!(!evaluate(&Int(2), CompareOp::Ge, &Int(3)));
        assert!(evaluate(&Word("True".into()), CompareOp::Eq, &Word("True".into())));
        assert!(evaluate(&Word("False".into()), CompareOp::Ne, &Word("True".into())));
        assert!(!evaluate(&Word("a".into()), CompareOp::Lt, &Word("b".into())));
    }
}
