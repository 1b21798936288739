//! Services and their endpoints, and Namespaces.

use crate::api::meta::{Labels, ObjectMeta};
use crate::api::selector::LabelSelector;

/// `spec.type`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ServiceType {
    #[default]
    ClusterIP,
    NodePort,
    LoadBalancer,
    ExternalName,
}

/// `v1.ServicePort`, reduced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePort {
    pub name: String,
    pub port: i32,
    pub protocol: String,
}

/// What the EndpointSlice controller publishes for a Service, as counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndpointCounts {
    /// `ready`: Ready and not terminating (what kube-proxy routes to).
    pub ready: u32,
    /// `serving` but terminating.
    pub serving_terminating: u32,
    /// Neither ready nor serving.
    pub not_ready: u32,
}

/// `v1.Service`.
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    pub meta: ObjectMeta,
    pub service_type: ServiceType,
    /// `spec.selector`; `None` for a Service without a selector (endpoints managed by hand).
    pub selector_labels: Option<Labels>,
    /// The selector as a matcher (`SelectorFromSet`); `nothing()` without a selector.
    pub selector: LabelSelector,
    pub ports: Vec<ServicePort>,
    pub publish_not_ready_addresses: bool,
    pub endpoints: EndpointCounts,
}

/// `v1.Namespace`.
#[derive(Clone, Debug, PartialEq)]
pub struct Namespace {
    pub meta: ObjectMeta,
}

/// Namespaces the NamespaceLifecycle admission plugin never lets be deleted.
pub const IMMORTAL_NAMESPACES: [&str; 3] = ["default", "kube-public", "kube-system"];

/// Namespaces every cluster starts with.
pub const INITIAL_NAMESPACES: [&str; 4] = ["default", "kube-node-lease", "kube-public", "kube-system"];
