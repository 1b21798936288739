//! Ingresses (`networking.k8s.io/v1`): the rules by which the cluster's edge (an ingress
//! controller) routes external HTTP traffic to Services.
//!
//! kubesim models one thing an Ingress decides: which Services receive traffic from outside
//! the cluster. A load entry that is not `internal` reaches its Service only while some
//! Ingress of the Service's namespace names it as a backend (a rule's path or the default
//! backend). Hosts, paths and TLS are validated as the API server does and otherwise not
//! interpreted: every path of every Ingress leads to its backend, and every Ingress is served
//! (one ingress controller, whatever `ingressClassName` says).

use std::fmt;

use crate::api::meta::ObjectMeta;

/// `pathType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathType {
    Exact,
    Prefix,
    ImplementationSpecific,
}

impl PathType {
    /// In the order the API server lists them in errors (sorted).
    pub const ALL: [PathType; 3] = [PathType::Exact, PathType::ImplementationSpecific, PathType::Prefix];

    pub fn as_str(self) -> &'static str {
        match self {
            PathType::Exact => "Exact",
            PathType::Prefix => "Prefix",
            PathType::ImplementationSpecific => "ImplementationSpecific",
        }
    }

    pub fn parse(s: &str) -> Option<PathType> {
        PathType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for PathType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ServiceBackendPort`: a port of the Service by number or by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ServiceBackendPort {
    Number(i32),
    Name(String),
}

/// `IngressBackend`: a Service (by name, in the Ingress's namespace) or another resource
/// (`resource`, e.g. a storage bucket of the ingress controller), which receives no load here.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IngressBackend {
    Service { name: String, port: ServiceBackendPort },
    Resource { api_group: Option<String>, kind: String, name: String },
}

impl IngressBackend {
    /// The Service's name, for a Service backend.
    pub fn service_name(&self) -> Option<&str> {
        match self {
            IngressBackend::Service { name, .. } => Some(name),
            IngressBackend::Resource { .. } => None,
        }
    }
}

/// `HTTPIngressPath`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HttpIngressPath {
    /// Empty when not written (allowed for `ImplementationSpecific`).
    pub path: String,
    pub path_type: PathType,
    pub backend: IngressBackend,
}

/// `IngressRule`: an optional host and its HTTP paths (none without `http`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IngressRule {
    pub host: String,
    pub paths: Vec<HttpIngressPath>,
}

/// `networking.k8s.io/v1.Ingress` (spec only: the load balancer status is not modelled).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ingress {
    pub meta: ObjectMeta,
    pub ingress_class_name: Option<String>,
    pub default_backend: Option<IngressBackend>,
    pub rules: Vec<IngressRule>,
}

impl Ingress {
    /// The backends of the default backend and of every path, in that order.
    pub fn backends(&self) -> impl Iterator<Item = &IngressBackend> {
        self.default_backend.iter().chain(self.rules.iter().flat_map(|r| r.paths.iter().map(|p| &p.backend)))
    }

    /// Whether the Ingress routes traffic to the Service `name` of its own namespace.
    pub fn exposes(&self, name: &str) -> bool {
        self.backends().any(|b| b.service_name() == Some(name))
    }

    /// Whether two Ingresses have the same spec.
    pub fn same_spec(&self, other: &Ingress) -> bool {
        self.ingress_class_name == other.ingress_class_name
            && self.default_backend == other.default_backend
            && self.rules == other.rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str) -> IngressBackend {
        IngressBackend::Service { name: name.into(), port: ServiceBackendPort::Number(80) }
    }

    #[test]
    fn exposes_rule_and_default_backends() {
        let ingress = Ingress {
            meta: ObjectMeta::default(),
            ingress_class_name: None,
            default_backend: Some(service("fallback")),
            rules: vec![IngressRule {
                host: "shop.example.com".into(),
                paths: vec![
                    HttpIngressPath { path: "/".into(), path_type: PathType::Prefix, backend: service("ui") },
                    HttpIngressPath {
                        path: "/static".into(),
                        path_type: PathType::Prefix,
                        backend: IngressBackend::Resource {
                            api_group: Some("k8s.example.com".into()),
                            kind: "StorageBucket".into(),
                            name: "static".into(),
                        },
                    },
                ],
            }],
        };
        assert!(ingress.exposes("ui"));
        assert!(ingress.exposes("fallback"));
        assert!(!ingress.exposes("model"));
        assert!(!ingress.exposes("static"), "a resource backend is not a Service");
        assert_eq!(ingress.backends().count(), 3);
        assert_eq!(PathType::parse("Prefix"), Some(PathType::Prefix));
        assert_eq!(PathType::parse("prefix"), None);
    }
}
