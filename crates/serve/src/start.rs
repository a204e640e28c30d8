//! Starting and stopping `serve`: open the data directory, connect the dossiers, bind the
//! listeners, hand pending documents to the worker, run every task until Ctrl-C or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use app::ports::{SecretRef, Secrets, SystemClock};
use app::usecases::{Pipeline, Settings};
use ledgers::{PartyBook, SinkContext};
use local::{DataDir, DirBlobs, EnvSecrets, InProcessQueue};
use tokio::sync::{mpsc, watch};

use crate::events::event;
use crate::intake::{accept_recipients, deliver};
use crate::service::{LocalDossiers, Service};
use crate::{http, schedule, smtp, worker};

/// The dossiers of a configuration over a data directory's files, secrets from the
/// environment; what cannot be connected is said on stderr with its action.
pub async fn connect_local(config: &wiring::Config, files: Arc<DirBlobs>) -> LocalDossiers {
    let context = SinkContext {
        blobs: files,
        clock: SystemClock,
        parties: Arc::new(PartyBook::new()),
    };
    wiring::connect(config, wiring::Needs::ALL, &EnvSecrets, &context).await
}

/// The `/sync` key (from the environment variable the configuration names) and the Sellsy
/// webhook keys. Without a `/sync` key the routes refuse every request (said at start).
async fn secrets(config: &wiring::Config, dossiers: &LocalDossiers) -> webhook::Secrets {
    let var = &config.service.sync_secret_env;
    let sync = match EnvSecrets.get(&SecretRef::env(var.clone())).await {
        Ok(v) => Some(v),
        Err(_) => {
            event(
                "start",
                &format!(
                    "{var} is not set: POST /sync and GET /runs refuse every request until it is"
                ),
            );
            None
        }
    };
    webhook::Secrets {
        sync,
        sellsy_sign_keys: dossiers.webhook_keys.clone(),
    }
}

/// The web console when the configuration has `[[console.users]]`; a wrong user entry stops
/// the start with what to correct.
pub fn console_site(
    config: &wiring::Config,
    dossiers: &Arc<LocalDossiers>,
) -> Result<Option<web_console::Site>> {
    let table = &config.file.console;
    if table.is_empty() {
        event(
            "start",
            "no [[console.users]] in the configuration: the web console is off (see the README, \"The console\")",
        );
        return Ok(None);
    }
    let ids: Vec<String> = config.file.dossiers.iter().map(|d| d.id.clone()).collect();
    let users = web_console::Users::parse(table, &ids)
        .map_err(|problems| anyhow::anyhow!("{}", problems.join("\n")))?;
    let infos = config
        .file
        .dossiers
        .iter()
        .map(|d| web_console::DossierInfo {
            config: d.clone(),
            ledger: config
                .ledgers
                .get(&d.id)
                .map_or("fec", |l| l.kind())
                .to_string(),
            has_source: dossiers.sources.contains_key(&d.id),
        })
        .collect();
    event(
        "start",
        &format!(
            "web console on {}{} for {} user(s)",
            config.service.http_listen,
            web_console::BASE,
            users.0.len()
        ),
    );
    let tester = web_console::SetTester {
        set: Arc::clone(dossiers),
        source_sections: config.sellsy.keys().cloned().collect(),
    };
    Ok(Some(
        web_console::Site::new(users, infos, config.service.mail_domains.clone())
            .with_tester(Arc::new(tester)),
    ))
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

/// The SMTP listener's settings from the configuration: the collection addresses it accepts,
/// the size cap and the MTAs allowed to connect (`[service] smtp_allowed_peers`).
pub fn smtp_config(config: &wiring::Config) -> smtp::Config {
    let s = &config.service;
    smtp::Config {
        name: smtp::GREETING_NAME.into(),
        max_bytes: s.max_message_bytes,
        accept: accept_recipients(&config.file.dossiers, &s.mail_domains),
        limits: smtp::Limits {
            allowed_peers: s.smtp_peers(),
            ..smtp::Limits::default()
        },
    }
}

/// Runs the service over a validated configuration until Ctrl-C or SIGTERM.
pub async fn run(config: wiring::Config) -> Result<()> {
    let data = DataDir::open(&config.service.data_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let files = Arc::new(DirBlobs::open(data.root.join(local::FILES_DIR))?);
    let dossiers = Arc::new(connect_local(&config, files).await);
    for problem in &dossiers.unconnected {
        event("start", &problem.to_string());
    }
    let secrets = secrets(&config, &dossiers).await;
    let console = console_site(&config, &dossiers)?;
    let http_listener = http::bind(&config.service.http_listen).await?;
    let smtp_listener = smtp::bind(&config.service.smtp_listen).await?;
    let pipeline = Pipeline::new(data.records, data.files, InProcessQueue::new(), SystemClock)
        .with_settings(Settings {
            retry_delay: Duration::from_secs(5),
            ..Settings::default()
        });
    let service = Arc::new(Service {
        pipeline,
        dossiers,
        config,
        secrets,
        console,
    });
    // Work a previous process left half done (the in-process queue died with it): the records
    // are the outbox.
    for d in &service.config.file.dossiers {
        let n = service.pipeline.requeue(&d.id).await?;
        if n > 0 {
            event(
                "start",
                &format!("{}: {n} pending document(s) handed to the worker", d.id),
            );
        }
    }
    let (stop_tx, stop) = watch::channel(false);
    let s = &service.config.service;
    event(
        "start",
        &format!(
            "passerelle serve: {} dossier(s), data in {}, HTTP on {}, SMTP on {} (MTAs allowed: {})",
            service.config.file.dossiers.len(),
            s.data_dir.display(),
            http_listener.local_addr()?,
            smtp_listener.local_addr()?,
            s.smtp_allowed_peers.join(", ")
        ),
    );

    let (mail_tx, mail_rx) = mpsc::channel(16);
    let smtp_cfg = smtp_config(&service.config);
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(smtp::serve(smtp_listener, smtp_cfg, mail_tx, stop.clone()));
    tasks.spawn(http::serve(http_listener, service.clone(), stop.clone()));
    tasks.spawn({
        let service = service.clone();
        async move {
            let s = &service.config.service;
            deliver(
                &service.pipeline,
                &service.config.file.dossiers,
                &s.mail_domains,
                &s.authserv_id,
                mail_rx,
                None,
            )
            .await
        }
    });
    tasks.spawn(worker::work(service.clone(), stop.clone()));
    tasks.spawn(schedule::schedule(service.clone(), stop.clone()));

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
    Ok(())
}
