//! The Sellsy connector's tests, one binary: against the simulator (pull, faults and errors),
//! the spec conformance of the fixtures, the webhook signature. The log-capture test is its own
//! binary (tests/auth_logs.rs): a thread's tracing subscriber misses events while other tests
//! of the same process register the connector's callsites concurrently.

mod answers_spec_allows;
#[path = "../common/mod.rs"]
mod common;
mod contract_spec;
mod faults_errors;
mod pull_sim;
mod purchases;
mod purchases_golden;
mod spec_conformance;
mod webhook;
