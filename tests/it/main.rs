//! The integration tests: one binary, one module per theme (see STYLE: few test binaries).

mod bad_input;
mod config;
mod cronjobs;
mod daemonsets;
mod determinism;
mod drain;
mod explain;
mod gc;
mod gpu;
mod jobs;
mod node_order;
mod pack;
mod plugins;
mod policies;
mod preemption;
mod properties;
mod quota;
mod real_world;
mod reconciliation;
mod rollback;
mod scenarios;
mod statefulsets;
mod support;
mod timeline;
mod volumes;
