//! The firm's web console: the dossiers, a dossier's integration log, its held and rejected
//! documents, "Synchroniser maintenant" with the run's progress, the mail collection settings.
//! Transport-free like the `webhook` routes: `passerelle serve` mounts [`handle`] on its HTTP
//! listener under `/console`, and a Function URL calls the same function in the cloud.
//!
//! Pages are rendered on the server (minijinja templates compiled into the binary), in French
//! by default, English with `?lang=en`; no script. Users and roles come from `[console]`
//! ([`users`]), sessions live in the record store ([`sessions`]), every form carries the
//! session's CSRF token, login attempts are rate-limited ([`limiter`]).
//!
//! Modules depend in one direction: `routes` → `views` → `site` → `render`, and all of them
//! → {`sessions`, `users`,
//! `limiter`, `i18n`, `connection`} → `http`.

pub mod connection;
pub mod http;
pub mod i18n;
pub mod limiter;
mod render;
mod routes;
pub mod sessions;
mod site;
pub mod users;
mod views;

pub use connection::{ConnectionTester, SetTester};
pub use http::{BASE, Request, Response};
pub use routes::handle;
pub use site::{DossierInfo, Site};
pub use users::{Role, User, Users, hash_password};
