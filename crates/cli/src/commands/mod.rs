//! One file per command; each loads what it needs through `crate::context` and calls the use
//! cases of `app` (or the runtime of `serve`). Commands never import each other.

pub mod check_config;
pub mod demo;
pub mod export_fec;
pub mod hash_password;
pub mod ingest;
pub mod log;
pub mod push;
pub mod retry;
pub mod serve;
pub mod status;
pub mod sync;
pub mod test_connection;
