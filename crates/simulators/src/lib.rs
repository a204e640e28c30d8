//! The HTTP peers passerelle's tests, benches and demo talk to, each checked against its spec.
//! Never a dependency of shipped code (the Lambda functions); the CLI uses it for `passerelle demo`.
//!
//! - [`sellsy`]: the Sellsy API v2 simulator (spec-shaped data, quotas, expiring tokens, faults)
//!   and its conformance checker against Sellsy's official OpenAPI document.

pub mod openapi;
pub mod sellsy;
