//! `passerelle serve`: the one-machine service. One process: the nightly scheduler, the SMTP
//! listener of the collection addresses, the worker draining the queues, and the HTTP routes of
//! the cloud webhook (`http`); SQLite + files directory; graceful shutdown on SIGTERM / Ctrl-C.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use app::ports::{BlobStore, Clock, PullWindow, Queue, RecordStore, SystemClock};
use app::usecases::intake::IntakeReport;
use app::usecases::{Pipeline, Settings};
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use domain::config::DossierConfig;
use local::{DataDir, DirBlobs, InProcessQueue, SqliteStore};
use mail::{AuthSource, Envelope};
use tokio::sync::{mpsc, watch};

use crate::runtime::{self, Connected, Loaded};
use crate::smtp;

/// One line per event on stderr: time, what, detail.
pub fn event(what: &str, detail: &str) {
    eprintln!(
        "{} {what:<9} {detail}",
        Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
    );
}

/// The pipeline of the one-machine runtime.
pub type LocalPipeline = Pipeline<SqliteStore, DirBlobs, InProcessQueue, SystemClock>;

/// Everything the service's tasks share.
pub struct Service {
    pub pipeline: LocalPipeline,
    pub connected: Connected,
    pub loaded: Loaded,
    /// The keys the HTTP routes check signatures with.
    pub secrets: webhook::Secrets,
}

/// The `/sync` key and the Sellsy webhook keys, from the environment variables the
/// configuration names. Without a `/sync` key the route refuses every request (logged).
fn secrets(loaded: &Loaded) -> Result<webhook::Secrets> {
    let var = &loaded.service.sync_secret_env;
    let sync = match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(webhook::Secret::new(v)),
        _ => {
            event(
                "start",
                &format!(
                    "{var} is not set: POST /sync and GET /runs refuse every request until it is"
                ),
            );
            None
        }
    };
    let mut sellsy_sign_keys = std::collections::BTreeMap::new();
    for (dossier, s) in &loaded.sellsy {
        if let Some(var) = &s.webhook_key_env {
            let key = runtime::env_secret(dossier, var, "Sellsy webhook sign key")?;
            sellsy_sign_keys.insert(dossier.clone(), webhook::Secret::new(key));
        }
    }
    Ok(webhook::Secrets {
        sync,
        sellsy_sign_keys,
    })
}

/// The next nightly instant strictly after `now`. A local time that does not exist (spring
/// forward) runs at the first valid minute after it; an ambiguous one (fall back) at its first
/// occurrence.
pub fn next_night(now: DateTime<Utc>, at: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let mut day = now.with_timezone(&tz).date_naive();
    loop {
        let mut local = day.and_time(at);
        let instant = loop {
            match tz.from_local_datetime(&local).earliest() {
                Some(t) => break t.with_timezone(&Utc),
                None => local += chrono::Duration::minutes(1),
            }
        };
        if instant > now {
            return instant;
        }
        day = day.succ_opt().unwrap_or(day);
    }
}

/// The run id of a dossier's scheduled night: the instant itself, so that a restart or a
/// second instance never runs the same night twice (`start_run` is idempotent by id).
pub fn nightly_run_id(dossier: &str, instant: DateTime<Utc>) -> String {
    format!("nightly-{dossier}-{}", instant.format("%Y%m%dT%H%MZ"))
}

/// What accepts a recipient: a collection address of a configured dossier on one of the
/// collection domains.
pub fn accept_recipients(dossiers: &[DossierConfig], domains: &[String]) -> smtp::Accept {
    let slugs: Vec<String> = dossiers.iter().map(|d| d.mail.slug.clone()).collect();
    let domains = domains.to_vec();
    Arc::new(move |to: &str| {
        let route = mail::route(to).map_err(|r| r.message)?;
        if !domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&route.domain))
        {
            return Err(format!(
                "{} is not one of our collection domains",
                route.domain
            ));
        }
        if !slugs.contains(&route.slug) {
            return Err(format!("no dossier collects mail at {}", route.address));
        }
        Ok(())
    })
}

/// Takes the SMTP listener's messages into the pipeline; every report is also handed to
/// `reports` when given (the demo prints them).
pub async fn deliver<S, B, Q, C>(
    pipeline: &Pipeline<S, B, Q, C>,
    dossiers: &[DossierConfig],
    domains: &[String],
    authserv_id: &str,
    mut rx: mpsc::Receiver<smtp::Delivery>,
    reports: Option<mpsc::UnboundedSender<IntakeReport>>,
) where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
{
    while let Some(d) = rx.recv().await {
        let envelope = Envelope {
            recipients: d.recipients.clone(),
            // Only our own MTA's header is trusted (the one naming our authserv-id).
            auth: AuthSource::AuthenticationResults {
                authserv_id: authserv_id.to_string(),
            },
        };
        let reply = match pipeline
            .intake(dossiers, domains, &d.raw, &envelope, None)
            .await
        {
            Ok(report) => {
                let accepted = report.outcome.documents().count();
                let reasons: Vec<String> = report
                    .outcome
                    .rejections()
                    .map(|r| r.message.clone())
                    .collect();
                event(
                    "mail",
                    &format!(
                        "to {}: {accepted} file(s) accepted, {} queued, {} duplicate(s){}",
                        d.recipients.join(", "),
                        report.queued,
                        report.duplicates,
                        if reasons.is_empty() {
                            String::new()
                        } else {
                            format!("; rejected: {}", reasons.join(" | "))
                        }
                    ),
                );
                let text = format!(
                    "2.0.0 kept as {}: {accepted} file(s) accepted, {} rejected",
                    report.raw_key,
                    reasons.len()
                );
                if let Some(r) = &reports {
                    let _ = r.send(report);
                }
                (250, text)
            }
            Err(e) => {
                event(
                    "mail",
                    &format!("intake failed, sender asked to retry: {e}"),
                );
                (
                    451,
                    "4.3.0 temporary storage failure, try again later".into(),
                )
            }
        };
        let _ = d.reply.send(reply);
    }
}

/// The worker: works the queues until `stop`.
async fn work(service: Arc<Service>, mut stop: watch::Receiver<bool>) {
    loop {
        let busy = match service.pipeline.work_once(&service.connected).await {
            Ok(stats) => {
                if stats.done + stats.retried + stats.dropped > 0 {
                    event(
                        "worker",
                        &format!(
                            "{} step(s) done, {} to retry, {} dropped",
                            stats.done, stats.retried, stats.dropped
                        ),
                    );
                }
                stats.received > 0
            }
            Err(e) => {
                event("worker", &format!("queue unavailable, retrying: {e}"));
                false
            }
        };
        if *stop.borrow() {
            return;
        }
        if !busy {
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
    }
}

/// Pulls one dossier for a run (the worker maps and pushes what it queues).
pub async fn pull_run(
    service: &Service,
    dossier: &str,
    window: PullWindow,
    run_id: &str,
    trigger: &str,
) {
    let (Some(cfg), Some(source)) = (
        service.loaded.file.dossier(dossier),
        service.connected.sources.get(dossier),
    ) else {
        event(
            "run",
            &format!("{run_id}: dossier {dossier} has no [dossier.sellsy] section; nothing pulled"),
        );
        return;
    };
    match service
        .pipeline
        .start_run(cfg, source, window, run_id, trigger)
        .await
    {
        Ok(run) => event(
            "run",
            &format!(
                "{run_id} ({trigger}) {dossier}: {} pulled, {} new, {} changed, {} modified after booking",
                run.pulled, run.new, run.changed, run.modified_after_copy
            ),
        ),
        Err(e) => event(
            "run",
            &format!("{run_id} ({trigger}) {dossier} failed: {e}; see passerelle log {dossier}"),
        ),
    }
}

/// The nightly scheduler: at each night, one run per dossier with a Sellsy connection.
async fn schedule(service: Arc<Service>, mut stop: watch::Receiver<bool>) {
    let (at, tz) = service.loaded.service.nightly();
    loop {
        let night = next_night(Utc::now(), at, tz);
        event(
            "schedule",
            &format!("next nightly run at {night} ({} {tz})", at.format("%H:%M")),
        );
        let wait = (night - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        let today = night.with_timezone(&tz).date_naive();
        for cfg in &service.loaded.file.dossiers {
            if !service.connected.sources.contains_key(&cfg.id) {
                continue;
            }
            let window = PullWindow {
                from: cfg.start_date,
                to: today,
            };
            pull_run(
                &service,
                &cfg.id,
                window,
                &nightly_run_id(&cfg.id, night),
                "schedule",
            )
            .await;
        }
    }
}

/// Resolves when the process is asked to stop (Ctrl-C, SIGTERM).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub async fn run(config: &Path) -> Result<ExitCode> {
    // The same validation as check-config, before anything starts.
    let loaded = match runtime::load(config) {
        Ok(l) => l,
        Err(e) => {
            eprint!("{e}");
            return Ok(ExitCode::from(crate::commands::CONFIG_INVALID));
        }
    };
    let data = DataDir::open(&loaded.service.data_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let files = Arc::new(DirBlobs::open(data.root.join(local::FILES_DIR))?);
    let connected = runtime::connect(&loaded, files)?;
    let secrets = secrets(&loaded)?;
    let http_listener = crate::http::bind(&loaded.service.http_listen).await?;
    let smtp_listener = smtp::bind(&loaded.service.smtp_listen).await?;
    let pipeline = Pipeline::new(data.records, data.files, InProcessQueue::new(), SystemClock)
        .with_settings(Settings {
            retry_delay: Duration::from_secs(5),
            ..Settings::default()
        });
    let service = Arc::new(Service {
        pipeline,
        connected,
        loaded,
        secrets,
    });
    // Work a previous process left half done (the in-process queue died with it): the records
    // are the outbox.
    for d in &service.loaded.file.dossiers {
        let n = crate::commands::requeue(&service.pipeline.store, &service.pipeline.queue, &d.id)
            .await?;
        if n > 0 {
            event(
                "start",
                &format!("{}: {n} pending document(s) handed to the worker", d.id),
            );
        }
    }
    let (stop_tx, stop) = watch::channel(false);
    let s = &service.loaded.service;
    event(
        "start",
        &format!(
            "passerelle serve: {} dossier(s), data in {}, HTTP on {}, SMTP on {}",
            service.loaded.file.dossiers.len(),
            s.data_dir.display(),
            http_listener.local_addr()?,
            smtp_listener.local_addr()?
        ),
    );

    let (mail_tx, mail_rx) = mpsc::channel(16);
    let smtp_cfg = smtp::Config {
        name: s.authserv_id.clone(),
        max_bytes: s.max_message_bytes,
        accept: accept_recipients(&service.loaded.file.dossiers, &s.mail_domains),
    };
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(smtp::serve(smtp_listener, smtp_cfg, mail_tx, stop.clone()));
    tasks.spawn(crate::http::serve(
        http_listener,
        service.clone(),
        stop.clone(),
    ));
    tasks.spawn({
        let service = service.clone();
        async move {
            let s = &service.loaded.service;
            deliver(
                &service.pipeline,
                &service.loaded.file.dossiers,
                &s.mail_domains,
                &s.authserv_id,
                mail_rx,
                None,
            )
            .await
        }
    });
    tasks.spawn(work(service.clone(), stop.clone()));
    tasks.spawn(schedule(service.clone(), stop.clone()));

    shutdown_signal().await;
    event(
        "stop",
        "shutting down: no new work; the current steps finish",
    );
    let _ = stop_tx.send(true);
    // The worker finishes its pass; a pass is bounded by the store and ledger timeouts.
    let _ = tokio::time::timeout(Duration::from_secs(30), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    event("stop", "stopped");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_night_is_in_paris_time_and_skips_the_missing_hour() {
        let at = NaiveTime::from_hms_opt(2, 0, 0).unwrap();
        let utc =
            |d: u32, m: u32, h: u32, min: u32| Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap();
        for (now, expected, why) in [
            (
                utc(23, 11, 14, 0),
                utc(24, 11, 1, 0),
                "winter: 02:00 Paris = 01:00 UTC",
            ),
            (
                utc(24, 11, 0, 59),
                utc(24, 11, 1, 0),
                "just before tonight's run: tonight",
            ),
            (
                utc(24, 11, 1, 0),
                utc(25, 11, 1, 0),
                "at the instant: the next night, never twice",
            ),
            // 29 March 2026: 02:00 does not exist in Paris; the run is at 03:00 local.
            (utc(28, 3, 12, 0), utc(29, 3, 1, 0), "spring forward"),
            (
                utc(1, 7, 12, 0),
                utc(2, 7, 0, 0),
                "summer: 02:00 Paris = 00:00 UTC",
            ),
        ] {
            assert_eq!(
                next_night(now, at, chrono_tz::Europe::Paris),
                expected,
                "{why}"
            );
        }
        assert_eq!(
            nightly_run_id("acme", Utc.with_ymd_and_hms(2026, 7, 2, 0, 0, 0).unwrap()),
            "nightly-acme-20260702T0000Z"
        );
    }

    #[test]
    fn recipients_are_collection_addresses_of_configured_dossiers() {
        let cfg = domain::config::ConfigFile::from_toml(include_str!(
            "../../../infra/dossiers.example.toml"
        ))
        .unwrap();
        let accept = accept_recipients(&cfg.dossiers, &["collecte.example.fr".into()]);
        assert!(accept("achat.acme@collecte.example.fr").is_ok());
        assert!(accept("<VENTE.acme@Collecte.Example.fr>").is_ok());
        let unknown = accept("achat.nobody@collecte.example.fr").unwrap_err();
        assert!(unknown.contains("no dossier"), "{unknown}");
        assert!(accept("achat.acme@elsewhere.fr").is_err());
        assert!(accept("postmaster@collecte.example.fr").is_err());
    }
}
