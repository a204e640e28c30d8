//! What passerelle's HTTP connectors (the Sellsy source, the Inqom and Pennylane sinks) do the
//! same way, so each connector keeps only what its API makes different:
//!
//! - [`Backoff`]: exponential backoff, capped, with or without jitter;
//! - [`retry_after`]: `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3);
//! - [`TransportKind`]: what went wrong with an exchange that got no answer (all retryable);
//! - [`TokenCache`]: one bearer token per client, renewed before it expires and dropped after a
//!   401 only if it is still the one that was refused (a generation number says which);
//! - [`TokenBucket`]: a generic request-rate limiter that a server's "wait" can pause;
//! - [`SlidingWindow`]: at most N requests in any window, for servers that count that way, and
//!   [`shared_window`], one per server and credential for the whole process;
//! - [`Answer`]: an HTTP answer read in full (status, headers, body).
//!
//! Nothing here knows a connector's errors: each maps these to its own (`SinkError`,
//! `SellsyError`). Each module stands alone; none imports another.

mod answer;
mod backoff;
mod bucket;
mod retry_after;
mod token;
mod transport;
mod window;

pub use answer::Answer;
pub use backoff::{Backoff, Jitter};
pub use bucket::{RateLimit, TokenBucket};
pub use retry_after::{parse_retry_after, retry_after, retry_after_at};
pub use token::{Lease, TokenCache};
pub use transport::{TransportKind, without_url};
pub use window::{SlidingWindow, shared_window};
