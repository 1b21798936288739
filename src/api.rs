//! The object model: the Kubernetes kinds the simulator understands, with Kubernetes' field
//! names and semantics (`Quantity`, label and node selectors, taints, requests), and nothing
//! about how they are parsed or reconciled.
//!
//! Invariant: types here are plain data plus pure functions of that data; no I/O, no clock,
//! no randomness.

pub mod autoscaling;
pub mod batch;
pub mod config;
pub mod cron;
pub mod daemonset;
pub mod meta;
pub mod networking;
pub mod node;
pub mod node_selector;
pub mod pod;
pub mod policy;
pub mod quantity;
pub mod quota;
pub mod resources;
pub mod scheduling;
pub mod selector;
pub mod service;
pub mod shared;
pub mod statefulset;
pub mod storage;
pub mod taint;
pub mod validation;
pub mod workload;
