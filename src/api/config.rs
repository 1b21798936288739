//! ConfigMaps and Secrets (`v1`): what a pod's environment and volumes need. The simulator
//! keeps which keys they hold, not their values.

use std::collections::BTreeSet;

use crate::api::meta::ObjectMeta;
use crate::api::pod::ConfigSource;

/// A ConfigMap or a Secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigObject {
    pub source: ConfigSource,
    pub meta: ObjectMeta,
    /// The keys of `data` and `binaryData` (and, for Secrets, `stringData`).
    pub keys: BTreeSet<String>,
    /// A Secret's `type` (default `Opaque`); empty for ConfigMaps.
    pub secret_type: String,
    pub immutable: bool,
}

/// `IsConfigMapKey`: a key of a ConfigMap or Secret.
pub fn validate_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.len() > 253 {
        return Err("a valid config key must be between 1 and 253 characters".into());
    }
    if !key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name')"
                .into(),
        );
    }
    if key == "." || key == ".." || key.starts_with("..") {
        return Err("must not be '.' or '..' and must not start with '..'".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keys() {
        assert!(validate_key("password").is_ok());
        assert!(validate_key("app.properties").is_ok());
        assert!(validate_key("KEY_NAME-1").is_ok());
        assert!(validate_key("").is_err());
        assert!(validate_key("a/b").is_err());
        assert!(validate_key("..x").is_err());
        assert!(validate_key(&"k".repeat(254)).is_err());
    }
}
