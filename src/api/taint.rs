//! Taints and tolerations (`v1.Taint`, `v1.Toleration`) and the toleration match of
//! `staging/src/k8s.io/api/core/v1/toleration.go` (`ToleratesTaint`).

use std::fmt;

use crate::kernel::SimTime;

/// Well-known taint keys set by the node lifecycle controller.
pub mod keys {
    pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
    pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
    pub const UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
    pub const MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";
    pub const DISK_PRESSURE: &str = "node.kubernetes.io/disk-pressure";
    pub const PID_PRESSURE: &str = "node.kubernetes.io/pid-pressure";
    pub const NETWORK_UNAVAILABLE: &str = "node.kubernetes.io/network-unavailable";
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl TaintEffect {
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }

    pub fn parse(s: &str) -> Result<TaintEffect, String> {
        match s {
            "NoSchedule" => Ok(TaintEffect::NoSchedule),
            "PreferNoSchedule" => Ok(TaintEffect::PreferNoSchedule),
            "NoExecute" => Ok(TaintEffect::NoExecute),
            _ => Err(format!(
                "unknown taint effect {s:?}{} (valid: NoSchedule, PreferNoSchedule, NoExecute)",
                crate::suggest::did_you_mean(s, ["NoSchedule", "PreferNoSchedule", "NoExecute"])
            )),
        }
    }
}

impl fmt::Display for TaintEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `v1.Taint`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: TaintEffect,
    /// Set for NoExecute taints added by the node lifecycle controller.
    pub time_added: Option<SimTime>,
}

impl Taint {
    pub fn new(key: &str, effect: TaintEffect) -> Taint {
        Taint { key: key.to_string(), value: String::new(), effect, time_added: None }
    }

    /// Taints match when key and effect match (`Taint.MatchTaint`); the value is not compared.
    pub fn matches(&self, other: &Taint) -> bool {
        self.key == other.key && self.effect == other.effect
    }
}

impl fmt::Display for Taint {
    /// `key=value:Effect`, as `kubectl taint` writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}:{}", self.key, self.effect)
        } else {
            write!(f, "{}={}:{}", self.key, self.value, self.effect)
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TolerationOperator {
    /// `Equal` (also the empty string).
    #[default]
    Equal,
    Exists,
}

/// `v1.Toleration`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Toleration {
    pub key: String,
    pub operator: TolerationOperator,
    pub value: String,
    /// `None` matches every effect.
    pub effect: Option<TaintEffect>,
    pub toleration_seconds: Option<i64>,
}

impl Toleration {
    /// `ToleratesTaint`: effect (empty matches all), key (empty matches all, only valid with
    /// Exists), then value for Equal or anything for Exists.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if let Some(effect) = self.effect
            && effect != taint.effect
        {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator {
            TolerationOperator::Exists => true,
            TolerationOperator::Equal => self.value == taint.value,
        }
    }

    /// The toleration the DefaultTolerationSeconds admission plugin adds for `key`.
    pub fn default_for(key: &str, seconds: i64) -> Toleration {
        Toleration {
            key: key.to_string(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: Some(seconds),
        }
    }
}

/// True when some toleration in `tolerations` tolerates `taint`.
pub fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| t.tolerates(taint))
}

/// `--default-not-ready-toleration-seconds` / `--default-unreachable-toleration-seconds`.
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;

/// The DefaultTolerationSeconds admission plugin
/// (`plugin/pkg/admission/defaulttolerationseconds`): adds a 300 s NoExecute toleration for
/// the not-ready and unreachable taints unless the pod already tolerates them.
pub fn add_default_tolerations(tolerations: &mut Vec<Toleration>) {
    for key in [keys::NOT_READY, keys::UNREACHABLE] {
        // The plugin looks only at key (equal or empty) and effect (NoExecute or empty), not at
        // the operator or value: any such toleration, of any duration, wins.
        let has = tolerations.iter().any(|t| {
            (t.key == key || t.key.is_empty()) && (t.effect.is_none() || t.effect == Some(TaintEffect::NoExecute))
        });
        if !has {
            tolerations.push(Toleration::default_for(key, DEFAULT_TOLERATION_SECONDS));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(key: &str, value: &str, effect: TaintEffect) -> Taint {
        Taint { key: key.into(), value: value.into(), effect, time_added: None }
    }

    fn tol(key: &str, op: TolerationOperator, value: &str, effect: Option<TaintEffect>) -> Toleration {
        Toleration { key: key.into(), operator: op, value: value.into(), effect, toleration_seconds: None }
    }

    #[test]
    fn toleration_table() {
        use TaintEffect::*;
        use TolerationOperator::*;
        let t = taint("k", "v", NoSchedule);
        let cases = [
            (tol("k", Equal, "v", Some(NoSchedule)), true),
            (tol("k", Equal, "v", None), true),
            (tol("k", Equal, "w", Some(NoSchedule)), false),
            (tol("k", Exists, "", Some(NoSchedule)), true),
            (tol("k", Exists, "", Some(NoExecute)), false),
            (tol("", Exists, "", None), true),
            (tol("other", Exists, "", None), false),
            (tol("k", Equal, "", None), false),
        ];
        for (toleration, expected) in cases {
            assert_eq!(toleration.tolerates(&t), expected, "{toleration:?}");
        }
        assert!(tol("k", Equal, "", None).tolerates(&taint("k", "", PreferNoSchedule)));
    }

    #[test]
    fn default_tolerations_are_added_once() {
        let mut tols = vec![];
        add_default_tolerations(&mut tols);
        assert_eq!(tols.len(), 2);
        assert_eq!(tols[0].toleration_seconds, Some(300));
        add_default_tolerations(&mut tols);
        assert_eq!(tols.len(), 2);
        let mut custom = vec![Toleration {
            key: keys::UNREACHABLE.into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: Some(30),
        }];
        add_default_tolerations(&mut custom);
        assert_eq!(custom.len(), 2);
        assert_eq!(custom[0].toleration_seconds, Some(30));
        let mut everything = vec![tol("", TolerationOperator::Exists, "", None)];
        add_default_tolerations(&mut everything);
        assert_eq!(everything.len(), 1, "a toleration of everything already covers both");
    }
}
