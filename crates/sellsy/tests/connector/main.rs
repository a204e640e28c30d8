//! The Sellsy connector's tests, one binary: against the simulator (pull, faults and errors,
//! expiring tokens and logs), the spec conformance of the fixtures, the webhook signature.

mod auth_logs;
mod common;
mod faults_errors;
mod pull_sim;
mod spec_conformance;
mod webhook;
