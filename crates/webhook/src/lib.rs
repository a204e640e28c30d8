//! The HTTP routes of passerelle's triggers, without an HTTP server: the `sync-webhook` Lambda
//! (Function URL) and `passerelle serve` turn their requests into [`HttpRequest`], call
//! [`handle`] and send back the [`HttpResponse`]. What a route starts is handed to a
//! [`Launcher`]: the cloud invokes the `sellsy-pull` function with the [`Launch`] as its event,
//! `serve` spawns a task.
//!
//! | route | auth | answers |
//! |---|---|---|
//! | `POST /sync` `{"dossier": "acme", "from": "2026-01-01", "to": "2026-01-31"}` | [`signing`] | 202 `{"run_id", "status_url"}`, 400, 401, 404, 413 |
//! | `GET /runs/{id}` | [`signing`] (method, path, empty body) | 200 `{"run", "log"}`, 400 (a body), 401, 404 |
//! | `POST /sellsy/{dossier}` | Sellsy's `X-Webhook-Signature` | 202 (re-fetch), 200 `{"ignored"}` / `{"duplicate"}`, 400, 401, 404, 413, 429 |
//!
//! Checks run in this order: route and method, a GET's body, size, signature, content, then
//! for Sellsy freshness, deduplication and the per-dossier re-fetch rate; a refused request
//! starts nothing and writes no run. Every refusal has a JSON body `{"error": ..., "action": ...}`.

mod http;
mod ports;
mod routes;
pub mod signing;

use app::ports::{BlobStore, Clock, Queue, RecordStore};
use app::usecases::Pipeline;

pub use app::ports::Secret;
pub use http::{HttpRequest, HttpResponse, MAX_BODY};
pub use ports::{DossierLookup, Launch, Launcher, Secrets, ViaDossiers};
pub use routes::MAX_REFETCHES_PER_MINUTE;
pub use signing::{REPLAY_WINDOW_SECS, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};

/// The router: every request of the trigger routes goes through here.
pub async fn handle<S, B, Q, C, D, L>(
    pipeline: &Pipeline<S, B, Q, C>,
    dossiers: &D,
    secrets: &Secrets,
    launcher: &L,
    req: HttpRequest,
) -> HttpResponse
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
    D: DossierLookup + ?Sized,
    L: Launcher,
{
    let router = routes::Router {
        pipeline,
        dossiers,
        secrets,
        launcher,
    };
    router.route(&req).await
}
