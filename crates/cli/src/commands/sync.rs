//! `passerelle sync <dossier>`: pull from Sellsy, map, push to the dossier's ledger; with
//! `--dry-run`, everything in memory and every pulled document listed with its fate.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use app::ports::{
    BlobStore, Clock, IntegrationLog, PullWindow, Queue, RecordStore, Severity, SystemClock,
};
use app::usecases::Pipeline;
use app::usecases::dry_run::{Fate, dry_run};
use app::usecases::records::RunRecord;
use domain::config::DossierConfig;
use local::InProcessQueue;
use serde_json::json;

use crate::context::{self, drain, one_shot};
use crate::print::{print_warnings, states};

fn window(
    cfg: &DossierConfig,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> PullWindow {
    PullWindow {
        from: from.unwrap_or(cfg.start_date).max(cfg.start_date),
        to: to.unwrap_or_else(|| chrono::Local::now().date_naive()),
    }
}

pub async fn run(
    config: &Path,
    dossier: &str,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    dry_run: bool,
    json_out: bool,
) -> Result<ExitCode> {
    let loaded = match context::load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let cfg = context::dossier(&loaded, config, dossier)?.clone();
    let window = window(&cfg, from, to);
    let run_id = format!("cli-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"));
    if dry_run {
        return dry(&loaded, &cfg, window, json_out).await;
    }
    let data = context::data_dir(&loaded)?;
    let files = Arc::new(data.files);
    let dossiers = context::connect(&loaded, files.clone()).await;
    context::require_connected(&dossiers, dossier)?;
    let source = dossiers
        .sources
        .get(dossier)
        .with_context(|| format!("dossier {dossier} has no [dossier.sellsy] section"))?;
    let queue = InProcessQueue::new();
    let pipeline =
        Pipeline::new(&data.records, &*files, &queue, SystemClock).with_settings(one_shot());
    // Documents left in the outbox by an earlier interrupted run are handed over again by the pull.
    let run = pipeline
        .start_run(&cfg, source, window, &run_id, "cli")
        .await?;
    drain(&pipeline, &dossiers, run.new, json_out).await?;
    summary(&pipeline, &cfg, &run, json_out).await
}

/// Everything in memory: nothing is written to the data directory or the ledger. Every pulled
/// document is listed with its fate (`app::usecases::dry_run`): would be booked (with the
/// entry), held or skipped (reason and action).
async fn dry(
    loaded: &wiring::Config,
    cfg: &DossierConfig,
    window: PullWindow,
    json_out: bool,
) -> Result<ExitCode> {
    let dossier = cfg.id.as_str();
    let scratch = std::env::temp_dir().join(format!("passerelle-dry-{}", std::process::id()));
    let blobs = Arc::new(local::DirBlobs::open(&scratch)?);
    let dossiers = context::connect(loaded, blobs).await;
    context::require_connected(&dossiers, dossier)?;
    let source = dossiers
        .sources
        .get(dossier)
        .with_context(|| format!("dossier {dossier} has no [dossier.sellsy] section"))?;
    let result = dry_run(cfg, source, window).await;
    let _ = std::fs::remove_dir_all(&scratch);
    let found = result?;
    if json_out {
        println!("{}", serde_json::to_string_pretty(&found)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Dry run for {dossier}, {} to {}: {} pulled, {} would be booked, {} held, {} skipped (nothing written).",
        window.from, window.to, found.pulled, found.would_be_booked, found.held, found.skipped
    );
    for d in &found.documents {
        let name = d.number.as_deref().unwrap_or(&d.key);
        match &d.fate {
            Fate::WouldBeBooked { entry } => print_entry(entry),
            Fate::Held { reason, action } => {
                println!("HELD    {name}: {reason}\n        action: {action}")
            }
            Fate::Skipped { reason, action } => {
                println!("SKIPPED {name}: {reason}\n        action: {action}")
            }
        }
    }
    for w in &found.warnings {
        println!(
            "WARNING {}: {}\n        action: {}",
            w.subject, w.message, w.action
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_entry(x: &domain::LedgerEntry) {
    println!(
        "{} {} {} — {}",
        x.journal_code, x.date, x.piece_ref, x.label
    );
    for l in x.lines() {
        let aux = l.auxiliary.as_ref().map(|a| a.code.as_str()).unwrap_or("");
        println!(
            "    {:<12} {:<10} {:<40} {:>12.2} {:>12.2}",
            l.account,
            aux,
            l.label.chars().take(40).collect::<String>(),
            l.debit,
            l.credit
        );
    }
}

async fn summary<S: RecordStore, B: BlobStore, Q: Queue, C: Clock>(
    pipeline: &Pipeline<S, B, Q, C>,
    cfg: &DossierConfig,
    run: &RunRecord,
    json_out: bool,
) -> Result<ExitCode> {
    let states = states(&pipeline.store, &cfg.id).await?;
    let events = pipeline
        .log()
        .query(
            &cfg.id,
            Severity::Warning,
            run.started_at,
            chrono::Utc::now() + chrono::Duration::seconds(1),
        )
        .await?;
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"run": run, "states": states, "warnings": events})
            )?
        );
    } else {
        println!(
            "Run {} for {}: {} pulled, {} new, {} changed, {} modified after booking.",
            run.id, cfg.id, run.pulled, run.new, run.changed, run.modified_after_copy
        );
        for (s, n) in &states {
            println!("  {s:<14}{n:>7}");
        }
        print_warnings(&events, 20);
    }
    Ok(ExitCode::SUCCESS)
}
