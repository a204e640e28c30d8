//! The HTTP peers passerelle's tests, benches and demo talk to, each checked against its spec.
//! Never a dependency of shipped code (the Lambda functions); the CLI uses it for `passerelle demo`.
//!
//! - [`sellsy`]: the Sellsy API v2 simulator (spec-shaped data, quotas, expiring tokens, faults),
//!   every exchange checked against Sellsy's official OpenAPI document ([`openapi`]);
//! - [`inqom`]: a stateful Inqom mock following the documented facts listed in its module docs
//!   (Inqom publishes no OpenAPI document);
//! - [`pennylane`]: a stateful Pennylane Company API v2 mock, every request checked against the
//!   vendored extract of the official spec and every answer against its documented shapes;
//! - [`chift`]: a stateful mock of Chift's unified accounting API, every request checked against
//!   the vendored official OpenAPI 3.1 document (JSON Schema 2020-12) and every answer against its
//!   response schemas;
//! - [`mock`]: what the ledger mocks share (injected faults, serving on 127.0.0.1);
//! - [`aws`]: `moto_server` started and stopped by the tests, and a scripted AWS endpoint for
//!   the failures moto cannot produce;
//! - [`lambda`]: real-shaped Lambda events (the AWS samples) as the functions receive them.

pub mod aws;
pub mod chift;
pub mod inqom;
pub mod lambda;
pub mod mock;
pub mod openapi;
pub mod pennylane;
pub mod sellsy;
