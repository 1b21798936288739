//! PriorityClasses (`scheduling.k8s.io/v1`) and how the Priority admission plugin
//! (`plugin/pkg/admission/priority/admission.go`) gives a pod its priority at creation.
//!
//! A pod names a class (`spec.priorityClassName`) or gets the `globalDefault` class, if one
//! exists, or priority 0. The class's value becomes `spec.priority` and its preemption policy
//! `spec.preemptionPolicy`; a pod that writes either field with a different value, or names a
//! class that does not exist, is refused. The two built-in classes always exist.

use std::fmt;

use crate::api::meta::ObjectMeta;

/// `spec.preemptionPolicy` of pods and PriorityClasses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PreemptionPolicy {
    /// May preempt pods of lower priority (the default).
    #[default]
    PreemptLowerPriority,
    /// Waits for room instead of preempting.
    Never,
}

impl PreemptionPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            PreemptionPolicy::PreemptLowerPriority => "PreemptLowerPriority",
            PreemptionPolicy::Never => "Never",
        }
    }

    pub fn parse(s: &str) -> Result<PreemptionPolicy, String> {
        match s {
            "PreemptLowerPriority" => Ok(PreemptionPolicy::PreemptLowerPriority),
            "Never" => Ok(PreemptionPolicy::Never),
            _ => Err(format!(
                "unsupported value {s:?}{}: supported values are PreemptLowerPriority, Never",
                crate::suggest::did_you_mean(s, ["PreemptLowerPriority", "Never"])
            )),
        }
    }
}

impl fmt::Display for PreemptionPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `HighestUserDefinablePriority`: user classes may not go above it.
pub const HIGHEST_USER_DEFINABLE_PRIORITY: i32 = 1_000_000_000;
/// `SystemCriticalPriority`.
pub const SYSTEM_CRITICAL_PRIORITY: i32 = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;
/// `DefaultPriorityWhenNoDefaultClassExists`.
pub const DEFAULT_PRIORITY: i32 = 0;
/// Names with this prefix are reserved for the built-in classes.
pub const SYSTEM_PRIORITY_CLASS_PREFIX: &str = "system-";
/// The built-in classes (`SystemPriorityClasses`), created by the API server at start.
pub const SYSTEM_PRIORITY_CLASSES: [(&str, i32); 2] =
    [("system-node-critical", SYSTEM_CRITICAL_PRIORITY + 1000), ("system-cluster-critical", SYSTEM_CRITICAL_PRIORITY)];

/// `scheduling.k8s.io/v1.PriorityClass`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriorityClass {
    pub meta: ObjectMeta,
    pub value: i32,
    pub global_default: bool,
    /// Defaulted to PreemptLowerPriority by the API server.
    pub preemption_policy: PreemptionPolicy,
    pub description: String,
}

impl PriorityClass {
    /// The built-in classes, as the API server creates them.
    pub fn system_classes() -> Vec<PriorityClass> {
        SYSTEM_PRIORITY_CLASSES
            .iter()
            .map(|(name, value)| PriorityClass {
                meta: ObjectMeta { name: (*name).to_string(), ..ObjectMeta::default() },
                value: *value,
                global_default: false,
                preemption_policy: PreemptionPolicy::PreemptLowerPriority,
                description: "Used for system critical pods that must not be moved from their current node.".into(),
            })
            .collect()
    }

    /// `ValidatePriorityClass`: reserved names and the user-definable range.
    pub fn validate(&self) -> Result<(), String> {
        if self.meta.name.starts_with(SYSTEM_PRIORITY_CLASS_PREFIX) {
            let known = SYSTEM_PRIORITY_CLASSES.iter().find(|(n, _)| *n == self.meta.name);
            match known {
                None => {
                    return Err(format!(
                        "priority class names with '{SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only"
                    ));
                }
                Some((_, value)) if *value != self.value || self.global_default => {
                    return Err(format!(
                        "{} is a built-in class: its value is {value} and it is not a global default",
                        self.meta.name
                    ));
                }
                Some(_) => {}
            }
        } else if self.value > HIGHEST_USER_DEFINABLE_PRIORITY {
            return Err(format!(
                "maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE_PRIORITY}"
            ));
        }
        Ok(())
    }

    /// `ValidatePriorityClassUpdate`: the value and the preemption policy are immutable.
    pub fn validate_update(&self, old: &PriorityClass) -> Result<(), String> {
        if self.value != old.value {
            return Err("value: Forbidden: may not be changed in an update.".into());
        }
        if self.preemption_policy != old.preemption_policy {
            return Err("preemptionPolicy: Invalid value: field is immutable".into());
        }
        Ok(())
    }
}

/// What priority admission decided for a pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdmittedPriority {
    /// The class name written back (the global default's name for pods that named none).
    pub class_name: String,
    pub priority: i32,
    /// The class's policy; `None` when no class applies (the pod's own policy stands).
    pub preemption_policy: Option<PreemptionPolicy>,
}

/// The Priority admission plugin on pod creation. `lookup` finds a class by name;
/// `default_class` is the global default (the lowest-valued one if several). `written_priority`
/// and `written_policy` are the pod's own `spec.priority` and `spec.preemptionPolicy`. The
/// error is the reason of the Forbidden response.
pub fn admit_priority<'a>(
    class_name: &str,
    written_priority: Option<i32>,
    written_policy: Option<PreemptionPolicy>,
    lookup: impl Fn(&str) -> Option<&'a PriorityClass>,
    default_class: Option<&'a PriorityClass>,
) -> Result<AdmittedPriority, String> {
    let class = if class_name.is_empty() {
        default_class
    } else {
        Some(lookup(class_name).ok_or_else(|| format!("no PriorityClass with name {class_name} was found"))?)
    };
    let (name, priority, policy) = match class {
        Some(c) => (c.meta.name.clone(), c.value, Some(c.preemption_policy)),
        None => (String::new(), DEFAULT_PRIORITY, None),
    };
    if let Some(p) = written_priority
        && p != priority
    {
        return Err(format!(
            "the integer value of priority ({p}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name"
        ));
    }
    if let (Some(computed), Some(written)) = (policy, written_policy)
        && computed != written
    {
        return Err(format!(
            "the string value of PreemptionPolicy ({written}) must not be provided in pod spec; priority admission controller computed {computed} from the given PriorityClass name"
        ));
    }
    Ok(AdmittedPriority { class_name: name, priority, preemption_policy: policy })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(name: &str, value: i32, global_default: bool, policy: PreemptionPolicy) -> PriorityClass {
        PriorityClass {
            meta: ObjectMeta { name: name.into(), ..ObjectMeta::default() },
            value,
            global_default,
            preemption_policy: policy,
            description: String::new(),
        }
    }

    #[test]
    fn named_class_gives_value_and_policy() {
        let high = class("high", 1000, false, PreemptionPolicy::Never);
        let lookup = |n: &str| (n == "high").then_some(&high);
        let a = admit_priority("high", None, None, lookup, None).unwrap();
        assert_eq!(
            a,
            AdmittedPriority {
                class_name: "high".into(),
                priority: 1000,
                preemption_policy: Some(PreemptionPolicy::Never)
            }
        );
        assert!(admit_priority("high", Some(1000), Some(PreemptionPolicy::Never), lookup, None).is_ok());
        let err = admit_priority("high", Some(5), None, lookup, None).unwrap_err();
        assert!(err.starts_with("the integer value of priority (5) must not be provided"), "{err}");
        let err = admit_priority("high", None, Some(PreemptionPolicy::PreemptLowerPriority), lookup, None).unwrap_err();
        assert!(err.contains("PreemptionPolicy (PreemptLowerPriority) must not be provided"), "{err}");
        assert_eq!(
            admit_priority("low", None, None, lookup, None).unwrap_err(),
            "no PriorityClass with name low was found"
        );
    }

    #[test]
    fn no_class_uses_global_default_or_zero() {
        let default = class("default", 7, true, PreemptionPolicy::PreemptLowerPriority);
        let none = |_: &str| None;
        let a = admit_priority("", None, None, none, Some(&default)).unwrap();
        assert_eq!((a.class_name.as_str(), a.priority), ("default", 7));
        let a = admit_priority("", None, Some(PreemptionPolicy::Never), none, None).unwrap();
        assert_eq!(a, AdmittedPriority { class_name: String::new(), priority: 0, preemption_policy: None });
        // Without a default, a written priority other than 0 is refused.
        assert!(admit_priority("", Some(10), None, none, None).is_err());
        assert!(admit_priority("", Some(0), None, none, None).is_ok());
    }

    #[test]
    fn validation() {
        assert!(class("system-foo", 1, false, PreemptionPolicy::Never).validate().is_err());
        assert!(class("system-node-critical", 2_000_001_000, false, PreemptionPolicy::Never).validate().is_ok());
        assert!(class("system-node-critical", 5, false, PreemptionPolicy::Never).validate().is_err());
        assert!(class("huge", 1_000_000_001, false, PreemptionPolicy::Never).validate().is_err());
        assert!(class("big", 1_000_000_000, false, PreemptionPolicy::Never).validate().is_ok());
        let old = class("c", 1, false, PreemptionPolicy::Never);
        assert!(class("c", 2, false, PreemptionPolicy::Never).validate_update(&old).is_err());
        assert!(class("c", 1, true, PreemptionPolicy::Never).validate_update(&old).is_ok());
        assert!(class("c", 1, false, PreemptionPolicy::PreemptLowerPriority).validate_update(&old).is_err());
    }
}
