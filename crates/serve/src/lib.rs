//! `passerelle serve`: the one-machine runtime. One process: the nightly scheduler
//! ([`schedule`]), the SMTP listener of the collection addresses ([`smtp`], [`intake`]), the
//! worker draining the queues ([`worker`]), and the HTTP routes of the cloud webhook
//! ([`http`], routes of the `webhook` crate); SQLite + files directory; graceful shutdown on
//! SIGTERM / Ctrl-C. The command line calls [`run`]; it never imports the commands.
//!
//! Modules depend in one direction: `start` → {`http`, `smtp`, `intake`, `worker`,
//! `schedule`} → `runs` → `service`, `events`.

pub mod events;
pub mod http;
pub mod intake;
pub mod runs;
pub mod schedule;
pub mod service;
pub mod smtp;
mod smtp_guard;
mod start;
pub mod worker;

pub use service::{LocalDossiers, LocalPipeline, Service};
pub use start::{connect_local, run, smtp_config};
