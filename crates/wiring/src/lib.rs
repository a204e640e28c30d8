//! The one wiring of both runtimes. The command line and `serve` (over a data directory) and the
//! Lambda functions (over S3) read the same configuration file through [`Config`]: the
//! dossiers' mapping settings (validated by `domain`), each connector's own section (parsed and
//! validated by the connector: `sellsy::SellsySection`, `ledgers::LedgerSection`) and
//! `[service]` ([`ServiceConfig`]), every problem reported at once. [`connect`] then builds every
//! dossier's source and ledger through a [`Secrets`](app::ports::Secrets) store (environment
//! variables locally, SSM / Secrets Manager in the cloud) into one
//! [`DossierSet`](app::dossiers::DossierSet); a dossier that cannot be connected is left out
//! with the reason and the action, and the others run.
//!
//! Dependencies: `domain`, `app` and the connector crates; the runtimes depend on this crate,
//! never the reverse.

mod connect;
mod load;
mod peers;
mod service;

pub use connect::{Dossiers, Needs, connect};
pub use load::Config;
pub use peers::{PeerNet, PeerNetError};
pub use service::ServiceConfig;

#[cfg(test)]
mod tests;
