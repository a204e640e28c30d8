//! The HTTP routes of passerelle's triggers, without an HTTP server: the `sync-webhook` Lambda
//! (Function URL) and `passerelle serve` turn their requests into [`HttpRequest`], call
//! [`handle`] and send back the [`HttpResponse`]. What a route starts is handed to a
//! [`Launcher`]: the cloud invokes the `sellsy-pull` function with the [`Launch`] as its event,
//! `serve` spawns a task.
//!
//! | route | auth | answers |
//! |---|---|---|
//! | `POST /sync` `{"dossier": "acme", "from": "2026-01-01", "to": "2026-01-31"}` | [`signing`] | 202 `{"run_id", "status_url"}`, 400, 401, 404, 413 |
//! | `GET /runs/{id}` | [`signing`] (signed body: the path) | 200 `{"run", "log"}`, 401, 404 |
//! | `POST /sellsy/{dossier}` | Sellsy's `X-Webhook-Signature` | 202 (re-fetch), 200 `{"ignored"}`, 400, 401, 404, 413 |
//!
//! Checks run in this order: size, signature, content; a refused request starts nothing and
//! writes no run. Every refusal has a JSON body `{"error": ..., "action": ...}`.

mod routes;
pub mod signing;

use std::collections::BTreeMap;
use std::future::Future;

use app::ports::{BlobStore, Clock, DocRef, Queue, RecordStore};
use app::usecases::Pipeline;
use app::usecases::worker::Dossiers;
use chrono::NaiveDate;
use domain::config::{ConfigFile, DossierConfig};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use app::ports::Secret;
pub use signing::{REPLAY_WINDOW_SECS, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};

/// Bodies larger than this are refused (413) before anything else is looked at.
pub const MAX_BODY: usize = 64 * 1024;

/// A request as the transport received it. `path` is the raw path (a query string, if any, is
/// ignored); header names are matched case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The first header named `name`, any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without its query string.
    pub fn route_path(&self) -> &str {
        self.path.split(['?', '#']).next().unwrap_or("")
    }
}

/// The answer: a status and a JSON body (`Content-Type: application/json`).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: Value,
}

impl HttpResponse {
    pub fn new(status: u16, body: Value) -> HttpResponse {
        HttpResponse { status, body }
    }

    /// A refusal: what went wrong and what to do about it.
    pub fn error(status: u16, error: impl Into<String>, action: impl Into<String>) -> HttpResponse {
        HttpResponse::new(
            status,
            json!({ "error": error.into(), "action": action.into() }),
        )
    }

    /// The body as bytes, for the transport.
    pub fn body_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.body).unwrap_or_default()
    }
}

/// What a route asks the runtime to start. The cloud invokes the sellsy-pull function
/// asynchronously with it (serialised as JSON, it IS that function's event); `serve` spawns a
/// task. `Run`: call `Pipeline::start_run` with these values (the run is already queued).
/// `Refetch`: call `Pipeline::refetch`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Launch {
    Run {
        run_id: String,
        dossier: String,
        from: NaiveDate,
        to: NaiveDate,
        trigger: String,
    },
    Refetch {
        dossier: String,
        doc: DocRef,
    },
}

/// Starts what a route asked for, without waiting for it to finish. An error means it was not
/// started (the route answers 503 and, for a run, marks it failed).
pub trait Launcher: Send + Sync {
    fn launch(&self, what: Launch) -> impl Future<Output = Result<(), String>> + Send;
}

impl<L: Launcher + ?Sized> Launcher for &L {
    fn launch(&self, what: Launch) -> impl Future<Output = Result<(), String>> + Send {
        (**self).launch(what)
    }
}

/// The secrets the routes check requests with. Never logged, never echoed.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// The HMAC key of `/sync` and `/runs` (`None`: those routes refuse everything).
    pub sync: Option<Secret>,
    /// Each dossier's Sellsy webhook sign key (Sellsy: Settings → API → webhooks).
    pub sellsy_sign_keys: BTreeMap<String, Secret>,
}

/// A dossier's configuration by id.
pub trait DossierLookup: Send + Sync {
    fn dossier(&self, id: &str) -> Option<&DossierConfig>;
}

impl DossierLookup for ConfigFile {
    fn dossier(&self, id: &str) -> Option<&DossierConfig> {
        ConfigFile::dossier(self, id)
    }
}

impl DossierLookup for [DossierConfig] {
    fn dossier(&self, id: &str) -> Option<&DossierConfig> {
        self.iter().find(|d| d.id == id)
    }
}

impl DossierLookup for Vec<DossierConfig> {
    fn dossier(&self, id: &str) -> Option<&DossierConfig> {
        self.as_slice().dossier(id)
    }
}

impl DossierLookup for BTreeMap<String, DossierConfig> {
    fn dossier(&self, id: &str) -> Option<&DossierConfig> {
        self.get(id)
    }
}

/// The dossiers of a worker's [`Dossiers`] (configurations, sources, ledgers).
pub struct ViaDossiers<'a, D: ?Sized>(pub &'a D);

impl<D: Dossiers + ?Sized> DossierLookup for ViaDossiers<'_, D> {
    fn dossier(&self, id: &str) -> Option<&DossierConfig> {
        self.0.config(id)
    }
}

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
