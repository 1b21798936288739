//! The integration tests: one binary, one module per theme (see STYLE: few test binaries).

mod bad_input;
mod determinism;
mod properties;
mod scenarios;
mod support;
mod timeline;
