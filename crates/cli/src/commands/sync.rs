//! `passerelle sync <dossier>`: pull from Sellsy, map, push to the dossier's ledger; with
//! `--dry-run`, everything in memory and the entries that would be booked printed.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use app::memory::{MemoryBlobs, MemoryQueue, MemoryStore};
use app::ports::{
    BlobStore, Booked, Clock, DocumentToPush, EntryToPush, IntegrationLog, LedgerSink, PullWindow,
    Queue, RecordStore, Severity, SinkError, SystemClock,
};
use app::usecases::records::RunRecord;
use app::usecases::worker::Dossiers;
use app::usecases::{Pipeline, Settings};
use domain::config::DossierConfig;
use local::InProcessQueue;
use serde_json::json;
use tokio::sync::Mutex;

use crate::context::{self, drain, one_shot};
use crate::print::{print_warnings, states};

/// A ledger that books nothing and remembers what it was given (dry run).
#[derive(Default)]
struct Recorder {
    entries: Mutex<Vec<EntryToPush>>,
}

impl LedgerSink for Recorder {
    fn name(&self) -> &str {
        "dry-run"
    }
    async fn push_entries(
        &self,
        _: &DossierConfig,
        e: &[EntryToPush],
    ) -> Vec<Result<Booked, SinkError>> {
        let mut entries = self.entries.lock().await;
        e.iter()
            .map(|x| {
                entries.push(x.clone());
                Ok(Booked {
                    ledger_id: format!("dry-run-{}", entries.len()),
                })
            })
            .collect()
    }
    async fn find_entry(
        &self,
        _: &DossierConfig,
        _: &EntryToPush,
    ) -> Result<Option<Booked>, SinkError> {
        Ok(None)
    }
    async fn push_document(
        &self,
        _: &DossierConfig,
        _: &DocumentToPush,
    ) -> Result<Booked, SinkError> {
        Ok(Booked {
            ledger_id: "dry-run".into(),
        })
    }
    async fn find_document(
        &self,
        _: &DossierConfig,
        _: &DocumentToPush,
    ) -> Result<Option<Booked>, SinkError> {
        Ok(None)
    }
    async fn test_connection(&self, _: &DossierConfig) -> Result<(), SinkError> {
        Ok(())
    }
}

/// One dossier with the dry-run ledger.
struct OneDry<'a> {
    cfg: &'a DossierConfig,
    source: &'a sellsy::SellsyClient,
    sink: &'a Recorder,
}

impl<'a> Dossiers for OneDry<'a> {
    type Source = &'a sellsy::SellsyClient;
    type Sink = &'a Recorder;
    fn config(&self, id: &str) -> Option<&DossierConfig> {
        (id == self.cfg.id).then_some(self.cfg)
    }
    fn source(&self, id: &str) -> Option<&Self::Source> {
        (id == self.cfg.id).then_some(&self.source)
    }
    fn sink(&self, id: &str) -> Option<&Self::Sink> {
        (id == self.cfg.id).then_some(&self.sink)
    }
}

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
        return dry(&loaded, &cfg, window, &run_id, json_out).await;
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

/// Everything in memory: nothing is written to the data directory or the ledger.
async fn dry(
    loaded: &wiring::Config,
    cfg: &DossierConfig,
    window: PullWindow,
    run_id: &str,
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
    let (store, mblobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let pipeline = Pipeline::new(&store, &mblobs, &queue, SystemClock).with_settings(Settings {
        retry_delay: Duration::from_millis(300),
        ..Settings::default()
    });
    let recorder = Recorder::default();
    let one = OneDry {
        cfg,
        source,
        sink: &recorder,
    };
    let run = pipeline
        .start_run(cfg, source, window, run_id, "cli dry run")
        .await?;
    drain(&pipeline, &one, run.new, json_out).await?;
    let entries = recorder.entries.lock().await;
    if json_out {
        let list: Vec<_> = entries
            .iter()
            .map(|e| json!({"external_id": e.external_id, "entry": e.entry}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"dry_run": true, "pulled": run.pulled, "entries": list})
            )?
        );
    } else {
        println!(
            "Dry run for {dossier}, {} to {}: {} documents pulled, {} entries would be booked (nothing written).",
            window.from,
            window.to,
            run.pulled,
            entries.len()
        );
        for e in entries.iter() {
            print_entry(&e.entry);
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
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
