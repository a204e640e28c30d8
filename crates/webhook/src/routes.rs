//! The routes behind [`crate::handle`].

use app::ports::{
    BlobStore, Clock, IntegrationLog, PullWindow, Queue, Record, RecordStore, Severity, StoreError,
};
use app::usecases::records::{SIGNATURE_PK, hook_pk};
use app::usecases::{Pipeline, PipelineError, RunState};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::http::{HttpRequest, HttpResponse, MAX_BODY};
use crate::ports::{DossierLookup, Launch, Launcher, Secrets};
use crate::signing::{self, SignatureError};

/// At most this many log lines come back with a run.
const MAX_LOG_LINES: usize = 1000;
/// A run queued or running for longer than this is reported as probably interrupted (the
/// longest pull measured, 5,000 invoices at Sellsy's 150 requests a minute, takes about 35 min).
const STUCK_AFTER_MINUTES: i64 = 60;
/// How long a Sellsy delivery is remembered for deduplication (Sellsy documents no retry
/// schedule; a day covers any plausible one).
const HOOK_MEMORY_SECS: i64 = 86_400;
/// Re-fetches one dossier's Sellsy webhooks may start in a minute (Sellsy allows about 150
/// API requests a minute per account, research §4; the nightly run needs the rest).
pub const MAX_REFETCHES_PER_MINUTE: u64 = 30;

/// Store partition counting one dossier's webhook re-fetches, per minute.
fn refetch_rate_pk(dossier: &str) -> String {
    format!("HOOKRATE#{dossier}")
}

/// What every route works with.
pub(crate) struct Router<'a, S, B, Q, C, D: ?Sized, L> {
    pub pipeline: &'a Pipeline<S, B, Q, C>,
    pub dossiers: &'a D,
    pub secrets: &'a Secrets,
    pub launcher: &'a L,
}

impl<S, B, Q, C, D, L> Router<'_, S, B, Q, C, D, L>
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
    D: DossierLookup + ?Sized,
    L: Launcher,
{
    pub(crate) async fn route(&self, req: &HttpRequest) -> HttpResponse {
        let path = req.route_path();
        let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
        let method = req.method.to_ascii_uppercase();
        let allowed = match segments.as_slice() {
            ["sync"] => "POST",
            ["runs", id] if !id.is_empty() => "GET",
            ["sellsy", dossier] if !dossier.is_empty() => "POST",
            _ => {
                return HttpResponse::error(
                    404,
                    format!("no route {path}"),
                    "use POST /sync, GET /runs/{id} or POST /sellsy/{dossier}",
                );
            }
        };
        if method != allowed {
            return HttpResponse::new(
                405,
                json!({
                    "error": format!("{method} is not allowed on {path}"),
                    "action": format!("use {allowed} {path}"),
                    "allow": allowed,
                }),
            );
        }
        // A GET has no body (RFC 9110 §9.3.1: no defined semantics): one that carries one is
        // a request built to reuse what was signed for something else.
        if method == "GET" && !req.body.is_empty() {
            return HttpResponse::error(
                400,
                format!("GET {path} carries a {}-byte body", req.body.len()),
                "send GET requests without a body",
            );
        }
        if req.body.len() > MAX_BODY {
            return HttpResponse::error(
                413,
                format!(
                    "the body is {} bytes; at most {MAX_BODY} are accepted",
                    req.body.len()
                ),
                "send a smaller request",
            );
        }
        match segments.as_slice() {
            ["sync"] => self.sync(req).await,
            ["runs", id] => self.run_status(req, id).await,
            [_, dossier] => self.sellsy_webhook(req, dossier).await,
            _ => unreachable!("routes matched above"),
        }
    }

    /// `POST /sync`: queue a run of a dossier's window and ask the runtime to start it.
    async fn sync(&self, req: &HttpRequest) -> HttpResponse {
        let (pipeline, launcher) = (self.pipeline, self.launcher);
        let signature = match self.authenticate(req).await {
            Ok(s) => s,
            Err(refused) => return refused,
        };
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct SyncRequest {
            dossier: String,
            from: Option<NaiveDate>,
            to: Option<NaiveDate>,
        }
        let body: SyncRequest = match serde_json::from_slice(&req.body) {
            Ok(b) => b,
            Err(e) => {
                return HttpResponse::error(
                    400,
                    format!("the body is not a sync request: {e}"),
                    r#"send {"dossier": "<id>"} and optionally "from" and "to" as YYYY-MM-DD"#,
                );
            }
        };
        let Some(cfg) = self.dossiers.dossier(&body.dossier) else {
            return HttpResponse::error(
                404,
                format!("no dossier '{}'", body.dossier),
                "check the dossier id in the service's configuration",
            );
        };
        let now = pipeline.now();
        // "Today" wherever the dossier lives: no time zone is ahead of UTC+14, and a window that
        // ends a day late holds no extra documents.
        let today = (now + Duration::hours(14)).date_naive();
        let from = body.from.unwrap_or(cfg.start_date).max(cfg.start_date);
        let to = body.to.unwrap_or(today);
        if from > to {
            return HttpResponse::error(
                400,
                format!(
                    "the window {} to {to} is empty (the dossier starts on {})",
                    body.from.unwrap_or(cfg.start_date),
                    cfg.start_date
                ),
                "send \"from\" on or before \"to\", and \"to\" on or after the dossier's start date",
            );
        }
        let window = PullWindow { from, to };
        // The signature is unique (replays are refused), so it names the run: a retried queue
        // write lands on the same run.
        let run_id = format!(
            "sync-{}-{}",
            now.format("%Y%m%dT%H%M%SZ"),
            &hex::encode(Sha256::digest(&signature))[..16]
        );
        const TRIGGER: &str = "http /sync";
        if let Err(e) = pipeline.queue_run(cfg, window, &run_id, TRIGGER).await {
            return unavailable("the run could not be recorded", &e);
        }
        let launch = Launch::Run {
            run_id: run_id.clone(),
            dossier: cfg.id.clone(),
            from,
            to,
            trigger: TRIGGER.to_string(),
        };
        if let Err(reason) = launcher.launch(launch).await {
            let _ = pipeline.abandon_run(&run_id, &reason).await;
            return HttpResponse::new(
                503,
                json!({
                    "error": format!("the run could not be started: {reason}"),
                    "action": "send the request again, signed anew; if it keeps failing, check the service's logs",
                    "run_id": run_id,
                }),
            );
        }
        HttpResponse::new(
            202,
            json!({
                "run_id": run_id,
                "status_url": format!("/runs/{run_id}"),
                "dossier": cfg.id,
                "from": from,
                "to": to,
                "state": "queued",
            }),
        )
    }

    /// `GET /runs/{id}`: the run's record and its log lines.
    async fn run_status(&self, req: &HttpRequest, id: &str) -> HttpResponse {
        let pipeline = self.pipeline;
        if let Err(refused) = self.authenticate(req).await {
            return refused;
        }
        let run = match pipeline.run(id).await {
            Ok(Some(run)) => run,
            Ok(None) => {
                return HttpResponse::error(
                    404,
                    format!("no run '{id}'"),
                    "use the run_id that POST /sync answered",
                );
            }
            Err(e) => return unavailable("the run could not be read", &e),
        };
        let since = run.queued_at.unwrap_or(run.started_at) - Duration::seconds(1);
        let until = pipeline.now() + Duration::seconds(1);
        let lines = match pipeline
            .log()
            .query(&run.dossier, Severity::Info, since, until)
            .await
        {
            Ok(events) => events,
            Err(e) => return unavailable("the run's log could not be read", &e.into()),
        };
        let mut lines: Vec<_> = lines
            .into_iter()
            .filter(|e| e.run.as_deref() == Some(id))
            .collect();
        let truncated = lines.len() > MAX_LOG_LINES;
        lines.truncate(MAX_LOG_LINES);
        let mut body = json!({ "run": run, "log": lines, "log_truncated": truncated });
        // A pull that crashed or timed out (a Lambda stops at 15 minutes) leaves its run
        // "running": say so rather than let a client wait for ever.
        let now = pipeline.now();
        let stuck = match run.state {
            RunState::Running => Some((run.started_at, "running")),
            RunState::Queued => Some((run.queued_at.unwrap_or(run.started_at), "queued")),
            RunState::Pulled | RunState::Failed => None,
        };
        if let Some((since, state)) = stuck
            && now - since > Duration::minutes(STUCK_AFTER_MINUTES)
        {
            body["warning"] = json!(format!(
                "the run has been {state} for {} minutes: it was probably interrupted",
                (now - since).num_minutes()
            ));
            body["action"] =
                json!("send POST /sync again; the pull starts over and changes nothing twice");
        }
        HttpResponse::new(200, body)
    }

    /// `POST /sellsy/{dossier}`: a Sellsy webhook. Only the related object's type and id are read;
    /// the document itself is fetched again through the API.
    async fn sellsy_webhook(&self, req: &HttpRequest, dossier: &str) -> HttpResponse {
        let key = self
            .secrets
            .sellsy_sign_keys
            .get(dossier)
            .filter(|k| !k.is_empty());
        let (Some(cfg), Some(key)) = (self.dossiers.dossier(dossier), key) else {
            return HttpResponse::error(
                404,
                format!("no dossier '{dossier}' with a Sellsy webhook sign key"),
                "check the webhook URL in Sellsy, and that the dossier and its sign key are configured",
            );
        };
        use sellsy::webhook::{SIGNATURE_HEADER, WebhookError, accept};
        let event = match accept(
            key,
            req.header(SIGNATURE_HEADER),
            req.header("Content-Type"),
            &req.body,
        ) {
            Ok(event) => event,
            Err(e @ (WebhookError::MissingSignature | WebhookError::BadSignature)) => {
                return HttpResponse::error(
                    401,
                    e.to_string(),
                    "check that the sign key configured for this dossier is the one Sellsy shows for the webhook",
                );
            }
            Err(WebhookError::NoSignKey) => {
                return HttpResponse::error(
                    404,
                    "no Sellsy webhook sign key for this dossier",
                    "configure the dossier's Sellsy webhook sign key",
                );
            }
            Err(e @ WebhookError::Payload(_)) => {
                return HttpResponse::error(
                    400,
                    e.to_string(),
                    "send Sellsy's webhook payload (JSON or form-encoded)",
                );
            }
        };
        let Some(doc) = event.refetch() else {
            return HttpResponse::new(
                200,
                json!({ "ignored": format!(
                "{} {} about '{}' (only invoices and credit notes are re-fetched)",
                event.event_type, event.event, event.related_type
            ) }),
            );
        };
        // A delivery older than the deduplication memory could be replayed unnoticed: only
        // fresh ones are acted on (the nightly run reads every document anyway).
        let now = self.pipeline.now().timestamp();
        if let Some(at) = event.timestamp_unix() {
            let age = now - at;
            if !(-signing::REPLAY_WINDOW_SECS..=HOOK_MEMORY_SECS).contains(&age) {
                return HttpResponse::new(
                    200,
                    json!({ "ignored": format!(
                        "the delivery is dated {} s {} the service's clock (accepted: up to {HOOK_MEMORY_SECS} s old); the nightly run reads the document",
                        age.unsigned_abs(),
                        if age > 0 { "behind" } else { "ahead of" }
                    ) }),
                );
            }
        }
        // The same delivery again (a retry, a replay) re-fetches nothing: recorded once its
        // re-fetch was launched, so a delivery whose launch failed is acted on when it comes back.
        let (pk, sk) = (hook_pk(&cfg.id), event.dedup_key.clone());
        match self.pipeline.store.get(&pk, &sk).await {
            Ok(None) => {}
            Ok(Some(_)) => {
                return HttpResponse::new(
                    200,
                    json!({ "duplicate": "this delivery was already received; its re-fetch was started then" }),
                );
            }
            Err(e) => return unavailable("the delivery could not be checked", &e.into()),
        }
        match self.count_refetch(&cfg.id, now).await {
            Ok(true) => {}
            Ok(false) => {
                return HttpResponse::error(
                    429,
                    format!(
                        "more than {MAX_REFETCHES_PER_MINUTE} re-fetches this minute for dossier '{}'",
                        cfg.id
                    ),
                    "no action needed: the nightly run reads every document; if Sellsy sends this many events, check the webhook's event list",
                );
            }
            Err(e) => return unavailable("the re-fetch rate could not be checked", &e.into()),
        }
        let launch = Launch::Refetch {
            dossier: cfg.id.clone(),
            doc,
        };
        if let Err(reason) = self.launcher.launch(launch).await {
            return HttpResponse::error(
                503,
                format!("the re-fetch could not be started: {reason}"),
                "no action needed: the nightly run reads the document again",
            );
        }
        let mut seen = Record::new(pk, sk, json!({ "doc": doc, "at": now }));
        seen.expires_at = Some(now + HOOK_MEMORY_SECS);
        // Best effort: a delivery not remembered costs one more (idempotent) re-fetch at most.
        let _ = self.pipeline.store.create(&seen).await;
        HttpResponse::new(202, json!({ "dossier": cfg.id, "refetch": doc }))
    }

    /// Count one re-fetch for `dossier` in the current minute; `false` past the limit.
    async fn count_refetch(&self, dossier: &str, now: i64) -> Result<bool, StoreError> {
        let (pk, sk) = (refetch_rate_pk(dossier), (now / 60).to_string());
        for _ in 0..8 {
            let written = match self.pipeline.store.get(&pk, &sk).await? {
                None => {
                    let mut first = Record::new(&pk, &sk, json!({ "count": 1 }));
                    first.expires_at = Some(now + 180);
                    self.pipeline.store.create(&first).await
                }
                Some(current) => {
                    let n = current.data["count"].as_u64().unwrap_or(u64::MAX);
                    if n >= MAX_REFETCHES_PER_MINUTE {
                        return Ok(false);
                    }
                    self.pipeline
                        .store
                        .update(&current.next(json!({ "count": n + 1 })))
                        .await
                }
            };
            match written {
                Ok(()) => return Ok(true),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(false)
    }

    /// Verifies a request's signature (over its method, path and body), then records
    /// a POST's so the same request is refused if it comes again. Returns the signature; a refusal is the
    /// response to send.
    async fn authenticate(&self, req: &HttpRequest) -> Result<Vec<u8>, HttpResponse> {
        let pipeline = self.pipeline;
        let secret = self
            .secrets
            .sync
            .as_ref()
            .map(|s| s.expose().as_bytes())
            .unwrap_or_default();
        let now = pipeline.now().timestamp();
        let verified = signing::verify(
            secret,
            req.header(signing::TIMESTAMP_HEADER),
            req.header(signing::SIGNATURE_HEADER),
            signing::Signed {
                method: &req.method,
                path: req.route_path(),
                body: &req.body,
            },
            now,
        )
        .map_err(refusal)?;
        // A read changes nothing: the time window is enough, and a client polling /runs twice
        // in the same second (same timestamp, same path, same signature) must not get a 401.
        if req.method.eq_ignore_ascii_case("GET") {
            return Ok(verified.signature);
        }
        let mut record = Record::new(
            SIGNATURE_PK,
            hex::encode(&verified.signature),
            json!({ "timestamp": verified.timestamp, "path": req.route_path() }),
        );
        // Past the window the timestamp check refuses it anyway; the store may then drop it.
        record.expires_at = Some(verified.timestamp + signing::REPLAY_WINDOW_SECS + 60);
        match pipeline.store.create(&record).await {
            Ok(()) => Ok(verified.signature),
            Err(StoreError::Conflict { .. }) => Err(HttpResponse::error(
                401,
                "this request was already received (replayed signature)",
                "sign every request anew, with the current time",
            )),
            Err(e) => Err(unavailable("the request could not be checked", &e.into())),
        }
    }
}

fn refusal(e: SignatureError) -> HttpResponse {
    let sign_action = format!(
        "send {} (unix seconds) and {}: v2=<hex HMAC-SHA256 of \"<timestamp>\\n<METHOD>\\n<path>\\n<body>\"> (a GET has an empty body)",
        signing::TIMESTAMP_HEADER,
        signing::SIGNATURE_HEADER
    );
    match e {
        SignatureError::NotConfigured => HttpResponse::error(
            401,
            "no sync secret is configured on this service",
            "set the sync secret of the service, then sign requests with it",
        ),
        SignatureError::Unsigned => {
            HttpResponse::error(401, "the request is not signed", sign_action)
        }
        SignatureError::BadTimestamp => HttpResponse::error(
            401,
            format!("{} is not a number of seconds", signing::TIMESTAMP_HEADER),
            sign_action,
        ),
        SignatureError::Stale { skew_secs } => HttpResponse::error(
            401,
            format!(
                "the request's timestamp is {} s {} the service's clock (at most {} s accepted)",
                skew_secs.unsigned_abs(),
                if skew_secs > 0 { "behind" } else { "ahead of" },
                signing::REPLAY_WINDOW_SECS
            ),
            "sign the request with the current time; check the client's clock",
        ),
        SignatureError::OldScheme => HttpResponse::error(
            401,
            "v1 signatures are no longer accepted: they did not cover the method and the path",
            sign_action,
        ),
        SignatureError::BadSignature => HttpResponse::error(
            401,
            "invalid signature",
            format!("check the sync secret; {sign_action}"),
        ),
    }
}

fn unavailable(what: &str, e: &PipelineError) -> HttpResponse {
    HttpResponse::error(
        503,
        format!("{what}: {e}"),
        "retry in a minute, signed anew",
    )
}
