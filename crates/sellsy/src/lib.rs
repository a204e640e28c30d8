//! Sellsy API v2 connector: pulls finalized sales invoices, credit notes and sales-journal
//! lines of a dossier, and their PDFs, within Sellsy's quotas. Implements
//! [`app::ports::SourceApi`].
//!
//! - OAuth2 client credentials ("Personal" API client), token cached until `expires_in` minus a
//!   margin, one transparent renewal on 401 ([`SellsyConfig`]);
//! - pacing from `GET /quotas` and `X-Quota-Remaining-*` headers, bounded retries with backoff
//!   and jitter on 429/5xx/timeouts, typed permanent errors ([`SellsyError`]);
//! - webhook signature verification and parsing ([`webhook`]).
//!
//! Credentials are [`app::ports::Secret`]s. Backoff, `Retry-After`, the token cache and reading
//! an answer are shared with the ledger sinks through the `http-client` crate; the quota pacer
//! (per-second and per-minute windows counted from the end of each exchange) is Sellsy's own.
//!
//! Facts come from the project's research notes on the Sellsy API (cited as "research §n").

mod auth;
mod client;
pub mod config;
pub mod convert;
pub mod error;
mod pacer;
mod pull;
pub mod section;
mod source;
pub mod webhook;
pub mod wire;

pub use client::{ClientStats, SellsyClient};
pub use config::{Pacing, RetryPolicy, SellsyConfig};
pub use error::SellsyError;
pub use pull::{check_file, check_pdf};
pub use section::SellsySection;
