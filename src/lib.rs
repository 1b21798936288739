//! kubesim: a deterministic discrete-event simulator of a Kubernetes cluster.
//!
//! Real Kubernetes manifests go in; a seeded, virtual-time run of the control plane
//! (scheduler, controllers, kubelets, node lifecycle) comes out, identical bit for bit for the
//! same scenario and seed. See `ARCHITECTURE.md` for the map of the code.
//!
//! ```
//! let scenario = r#"
//! apiVersion: kubesim.io/v1alpha1
//! kind: Scenario
//! metadata: {name: doc}
//! spec:
//!   until: 1m
//!   cluster:
//!     nodes: [{name: n1, allocatable: {cpu: "2", memory: 4Gi}}]
//!   manifests:
//!     - inline:
//!         apiVersion: v1
//!         kind: Pod
//!         metadata: {name: p}
//!         spec: {containers: [{name: c, resources: {requests: {cpu: 500m}}}]}
//!   checks:
//!     - {at: 1s, expect: "pod/default/p phase == Running"}
//! "#;
//! let mut sim = kubesim::Simulation::from_yaml(scenario, Default::default()).unwrap();
//! sim.run().unwrap();
//! assert!(sim.check_results().iter().all(|c| c.passed));
//! let q: kubesim::Quantity = "1.5Gi".parse().unwrap();
//! assert_eq!(q.to_string(), "1536Mi");
//! let s = kubesim::LabelSelector::parse("app=web,tier in (a,b),!canary").unwrap();
//! assert_eq!(s.to_string(), "app=web,!canary,tier in (a,b)"); // sorted by key
//! ```

pub mod api;
pub mod availability;
pub mod cli;
pub mod compare;
pub mod control_plane;
pub mod controllers;
pub mod decode;
pub mod engine;
pub mod explain;
pub mod faults;
pub mod hash;
pub mod heap;
pub mod journal;
pub mod kernel;
pub mod kubelet;
pub mod load;
pub mod manifest;
pub mod metrics;
pub mod output;
pub mod pack;
pub mod packing_view;
pub mod report;
pub mod sampler;
pub mod scenario;
pub mod scheduler;
pub mod store;
pub mod suggest;
pub mod workload;
pub mod yaml;

pub use api::quantity::Quantity;
pub use api::selector::LabelSelector;
pub use engine::{RunOptions, Simulation};
pub use scenario::Scenario;
pub use scheduler::custom::PluginRegistry;
