//! sellsy-pull: the nightly schedule (EventBridge Scheduler) pulls every active dossier's window
//! and leaves mapping and pushing to the queues.

use anyhow::{Result, bail};
use app::ports::PullWindow;
use app::usecases::RunRecord;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Paris;
use domain::config::DossierConfig;
use serde::{Deserialize, Serialize};

use app::usecases::worker::Dossiers;
use webhook::Launch;

use crate::cloud::Cloud;

/// The schedule's input (template.yaml: `Input: {"scheduledTime": "<aws.scheduler.scheduled-time>"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledPull {
    /// The time the schedule fired for (RFC 3339): the same firing delivered twice has the same
    /// value, so it names the run and the second delivery starts nothing.
    #[serde(rename = "scheduledTime")]
    pub scheduled_time: DateTime<Utc>,
}

/// What the function returns (and logs): one line per dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullSummary {
    pub runs: Vec<RunRecord>,
    /// `dossier: error` of each dossier whose run could not be recorded.
    pub failed: Vec<String>,
}

/// The run id of a dossier's nightly run.
pub fn scheduled_run_id(dossier: &str, at: DateTime<Utc>) -> String {
    format!("schedule-{}-{dossier}", at.format("%Y%m%dT%H%M%SZ"))
}

/// The nightly window: from the dossier's start date to the scheduled day in Paris (the schedule
/// runs in Europe/Paris time; at 02:30 in Paris the UTC date may still be the day before).
pub fn nightly_window(cfg: &DossierConfig, at: DateTime<Utc>) -> PullWindow {
    let today: NaiveDate = at.with_timezone(&Paris).date_naive();
    PullWindow {
        from: cfg.start_date,
        to: today.max(cfg.start_date),
    }
}

/// Runs the nightly pull of every active dossier. A dossier whose pull fails is recorded in its
/// run (state `failed`, the error) and in the integration log; the others go on. The function
/// fails (a Lambda error, visible in its metrics and alarms) if any dossier failed.
pub async fn scheduled(cloud: &Cloud, event: &ScheduledPull) -> Result<PullSummary> {
    let mut summary = PullSummary {
        runs: Vec::new(),
        failed: Vec::new(),
    };
    for (cfg, source) in cloud.dossiers.active() {
        let run_id = scheduled_run_id(&cfg.id, event.scheduled_time);
        let window = nightly_window(cfg, event.scheduled_time);
        match cloud
            .pipeline
            .start_run(cfg, source, window, &run_id, "schedule")
            .await
        {
            Ok(run) => {
                tracing::info!(dossier = %cfg.id, run = %run.id, pulled = run.pulled, new = run.new, changed = run.changed, "nightly run");
                summary.runs.push(run);
            }
            Err(e) => {
                tracing::error!(dossier = %cfg.id, run = %run_id, error = %e, "nightly run failed");
                summary.failed.push(format!("{}: {e}", cfg.id));
            }
        }
    }
    if !summary.failed.is_empty() {
        bail!(
            "{} of {} dossiers failed: {}",
            summary.failed.len(),
            summary.failed.len() + summary.runs.len(),
            summary.failed.join("; ")
        );
    }
    Ok(summary)
}

/// sellsy-pull's event: what sync-webhook launched (`{"kind": "run" | "refetch", …}`), or the
/// schedule's (`{"scheduledTime": …}`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum PullEvent {
    Launched(Launch),
    Scheduled(ScheduledPull),
}

/// What sellsy-pull did, as its invocation result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PullOutcome {
    Nightly(PullSummary),
    Run(RunRecord),
    /// The re-fetched document's counts.
    Refetched(serde_json::Value),
}

/// sellsy-pull's handler.
pub async fn handle(cloud: &Cloud, event: &PullEvent) -> Result<PullOutcome> {
    match event {
        PullEvent::Scheduled(s) => scheduled(cloud, s).await.map(PullOutcome::Nightly),
        PullEvent::Launched(l) => launched(cloud, l).await,
    }
}

/// A run queued by `POST /sync` (started here; `start_run` claims the queued run once, so a
/// re-delivered event starts nothing), or a document Sellsy said changed.
pub async fn launched(cloud: &Cloud, launch: &Launch) -> Result<PullOutcome> {
    let dossier = match launch {
        Launch::Run { dossier, .. } | Launch::Refetch { dossier, .. } => dossier,
    };
    let (Some(cfg), Some(source)) = (
        cloud.dossiers.config(dossier),
        cloud.dossiers.source(dossier),
    ) else {
        bail!("dossier '{dossier}' has no Sellsy connection in the configuration");
    };
    match launch {
        Launch::Run {
            run_id,
            from,
            to,
            trigger,
            ..
        } => {
            let window = PullWindow {
                from: *from,
                to: *to,
            };
            let run = cloud
                .pipeline
                .start_run(cfg, source, window, run_id, trigger)
                .await?;
            tracing::info!(dossier = %cfg.id, run = %run.id, pulled = run.pulled, "run");
            Ok(PullOutcome::Run(run))
        }
        Launch::Refetch { doc, .. } => {
            let report = cloud.pipeline.refetch(cfg, source, *doc).await?;
            Ok(PullOutcome::Refetched(serde_json::json!({
                "dossier": cfg.id,
                "pulled": report.pulled,
                "new": report.new,
                "changed": report.changed,
                "unchanged": report.unchanged,
            })))
        }
    }
}
