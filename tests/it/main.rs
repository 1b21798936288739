//! The integration tests: one binary, one module per theme (see STYLE: few test binaries).

mod bad_input;
mod daemonsets;
mod determinism;
mod explain;
mod gpu;
mod jobs;
mod node_order;
mod pack;
mod plugins;
mod policies;
mod preemption;
mod properties;
mod scenarios;
mod statefulsets;
mod support;
mod timeline;
