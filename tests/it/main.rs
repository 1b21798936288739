//! The integration tests: one binary, one module per theme (see STYLE: few test binaries).

mod bad_input;
mod config;
mod determinism;
mod drain;
mod explain;
mod gpu;
mod hpa;
mod jobs;
mod load;
mod node_order;
mod pack;
mod plugins;
mod policies;
mod preemption;
mod properties;
mod rollback;
mod scenarios;
mod support;
mod timeline;
