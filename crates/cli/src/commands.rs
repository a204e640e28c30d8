//! The one-shot commands over the configuration's data directory.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use app::memory::{MemoryBlobs, MemoryQueue, MemoryStore};
use app::ports::{
    BlobStore, Booked, Clock, DocumentToPush, EntryToPush, IntegrationLog, LedgerSink, LogEvent,
    PullWindow, Queue, RecordStore, Severity, SinkError, SystemClock,
};
use app::usecases::records::{DocState, DocumentRecord, RUN_PK, RunRecord, doc_pk};
use app::usecases::worker::Dossiers;
use app::usecases::{Pipeline, Settings};
use domain::config::DossierConfig;
use indicatif::{ProgressBar, ProgressStyle};
use local::{DataDir, InProcessQueue};
use mail::{AuthSource, Envelope};
use serde_json::json;
use tokio::sync::Mutex;

use crate::runtime::{self, Loaded};

/// Exit code of an invalid configuration.
const CONFIG_INVALID: u8 = 3;

fn load(config: &Path) -> Result<Loaded, ExitCode> {
    runtime::load(config).map_err(|e| {
        eprint!("{e}");
        ExitCode::from(CONFIG_INVALID)
    })
}

pub fn check_config(config: &Path) -> Result<ExitCode> {
    match runtime::load(config) {
        Ok(l) => {
            println!(
                "{}: {} dossier(s) valid: {}",
                config.display(),
                l.file.dossiers.len(),
                l.file
                    .dossiers
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprint!("{e}");
            Ok(ExitCode::from(CONFIG_INVALID))
        }
    }
}

/// Works the queues until they are quiet, with a progress bar on a terminal.
pub async fn drain<S, B, Q, C, D>(
    pipeline: &Pipeline<S, B, Q, C>,
    dossiers: &D,
    expected: u64,
    quiet: bool,
) -> Result<()>
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
    D: Dossiers,
{
    let bar = if quiet || expected == 0 {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(expected * 2);
        bar.set_style(
            ProgressStyle::with_template("  {bar:40} {pos}/{len} steps {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    };
    let idle = pipeline.settings.retry_delay * 3 + Duration::from_millis(200);
    let mut last = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(3600);
    while Instant::now() < deadline {
        let stats = pipeline
            .work_once(dossiers)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        bar.inc(stats.done);
        if stats.received > 0 {
            last = Instant::now();
        } else if last.elapsed() > idle {
            break;
        } else {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    bar.finish_and_clear();
    Ok(())
}

pub fn print_warnings(events: &[LogEvent], at_most: usize) {
    if events.is_empty() {
        println!("No warning.");
        return;
    }
    println!(
        "Warnings and errors ({}), with the action to take:",
        events.len()
    );
    for e in events.iter().rev().take(at_most).rev() {
        println!("  [{}] {}", e.severity.as_str(), e.message);
        println!("          → {}", e.action);
    }
    if events.len() > at_most {
        println!(
            "  … {} more: passerelle log <dossier> --severity warning",
            events.len() - at_most
        );
    }
}

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

pub async fn sync(
    config: &Path,
    dossier: &str,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    dry_run: bool,
    json_out: bool,
) -> Result<ExitCode> {
    let loaded = match load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let Some(cfg) = loaded.file.dossier(dossier).cloned() else {
        bail!(
            "no dossier '{dossier}' in {}; run passerelle check-config to list them",
            config.display()
        );
    };
    let window = window(&cfg, from, to);
    let run_id = format!("cli-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"));
    if dry_run {
        // Everything in memory: nothing is written to the data directory or the ledger.
        let blobs = Arc::new(local::DirBlobs::open(
            std::env::temp_dir().join(format!("passerelle-dry-{}", std::process::id())),
        )?);
        let connected = runtime::connect(&loaded, blobs)?;
        let source = connected
            .sources
            .get(dossier)
            .with_context(|| format!("dossier {dossier} has no [dossier.sellsy] section"))?;
        let (store, mblobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
        let pipeline =
            Pipeline::new(&store, &mblobs, &queue, SystemClock).with_settings(Settings {
                retry_delay: Duration::from_millis(300),
                ..Settings::default()
            });
        let recorder = Recorder::default();
        let one = OneDry {
            cfg: &cfg,
            source,
            sink: &recorder,
        };
        let run = pipeline
            .start_run(&cfg, source, window, &run_id, "cli dry run")
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
                let x = &e.entry;
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
        }
        let _ = std::fs::remove_dir_all(
            std::env::temp_dir().join(format!("passerelle-dry-{}", std::process::id())),
        );
        return Ok(ExitCode::SUCCESS);
    }
    let data = DataDir::open(&loaded.service.data_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let files = Arc::new(data.files);
    let connected = runtime::connect(&loaded, files.clone())?;
    let source = connected
        .sources
        .get(dossier)
        .with_context(|| format!("dossier {dossier} has no [dossier.sellsy] section"))?;
    let queue = InProcessQueue::new();
    let pipeline = Pipeline::new(&data.records, &*files, &queue, SystemClock);
    // Documents left in the outbox by an earlier interrupted run are handed over again by the pull.
    let run = pipeline
        .start_run(&cfg, source, window, &run_id, "cli")
        .await?;
    drain(&pipeline, &connected, run.new, json_out).await?;
    summary(&pipeline, &cfg, &run, json_out).await
}

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

async fn states<S: RecordStore>(store: &S, dossier: &str) -> Result<BTreeMap<String, usize>> {
    let mut states = BTreeMap::new();
    for r in store
        .query(&doc_pk(dossier), None, None, usize::MAX)
        .await?
    {
        let doc = DocumentRecord::from_record(&r)?;
        *states.entry(doc.state.as_str().to_string()).or_default() += 1;
    }
    Ok(states)
}

pub async fn ingest(config: &Path, file: &Path, to: &[String], json_out: bool) -> Result<ExitCode> {
    let loaded = match load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let raw = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let data = DataDir::open(&loaded.service.data_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let files = Arc::new(data.files);
    let connected = runtime::connect(&loaded, files.clone())?;
    let queue = InProcessQueue::new();
    let pipeline =
        Pipeline::new(&data.records, &*files, &queue, SystemClock).with_settings(Settings {
            retry_delay: Duration::from_millis(300),
            ..Settings::default()
        });
    let envelope = Envelope {
        recipients: to.to_vec(),
        auth: AuthSource::AuthenticationResults {
            authserv_id: loaded.service.authserv_id.clone(),
        },
    };
    let report = pipeline
        .intake(
            &loaded.file.dossiers,
            &loaded.service.mail_domains,
            &raw,
            &envelope,
            None,
        )
        .await?;
    drain(&pipeline, &connected, report.queued as u64, json_out).await?;
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"raw_key": report.raw_key, "queued": report.queued, "duplicates": report.duplicates, "outcome": report.outcome})
            )?
        );
    } else {
        println!(
            "{}: {} file(s) collected, {} duplicate(s); raw mail kept as {}",
            file.display(),
            report.queued,
            report.duplicates,
            report.raw_key
        );
        for d in report.outcome.documents() {
            println!(
                "  accepted  {} ({}) for {}",
                d.file_name,
                d.file_type.extension(),
                d.recipient
            );
        }
        for r in report.outcome.rejections() {
            println!("  rejected  {}\n            → {}", r.message, r.action);
        }
    }
    Ok(if report.outcome.is_accepted() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub async fn export_fec(
    config: &Path,
    dossier: &str,
    year: i32,
    out: Option<&Path>,
) -> Result<ExitCode> {
    let loaded = match load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let Some(cfg) = loaded.file.dossier(dossier) else {
        bail!("no dossier '{dossier}' in {}", config.display());
    };
    let data = DataDir::open(&loaded.service.data_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (m, d) = cfg.fiscal_year_end;
    let closing = chrono::NaiveDate::from_ymd_opt(year, m, d)
        .or_else(|| chrono::NaiveDate::from_ymd_opt(year, m, d - 1))
        .context("closing date")?;
    let sink = ledgers::fec::FecSink::new(
        Arc::new(data.files),
        SystemClock,
        ledgers::fec::FecConfig::default(),
    );
    let key = sink.fec_key(cfg, closing);
    let blobs = local::DirBlobs::open(loaded.service.data_dir.join(local::FILES_DIR))?;
    let Some(bytes) = blobs.get(&key).await? else {
        bail!(
            "no FEC for {dossier} closing {closing}: nothing was booked in that fiscal year yet (run passerelle sync {dossier})"
        );
    };
    match out {
        Some(dir) => {
            let name = key.rsplit('/').next().unwrap_or("fec.txt");
            let path = dir.join(name);
            std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            println!("{}", path.display());
        }
        None => println!(
            "{}",
            blobs
                .path_of(&key)
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn status(config: &Path, json_out: bool) -> Result<ExitCode> {
    let loaded = match load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let data = DataDir::open(&loaded.service.data_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut runs: Vec<RunRecord> = data
        .records
        .query(RUN_PK, None, None, usize::MAX)
        .await?
        .into_iter()
        .filter_map(|r| serde_json::from_value(r.data).ok())
        .collect();
    runs.sort_by_key(|r| r.started_at);
    let mut out = Vec::new();
    for d in &loaded.file.dossiers {
        let states = states(&data.records, &d.id).await?;
        let last = runs.iter().rev().find(|r| r.dossier == d.id).cloned();
        out.push((d.id.clone(), states, last));
    }
    if json_out {
        let list: Vec<_> = out
            .iter()
            .map(|(id, s, r)| json!({"dossier": id, "states": s, "last_run": r}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        println!(
            "{:<16} {:>8} {:>8} {:>8} {:>8} {:>8}  last run",
            "dossier", "pushed", "mapped", "held", "rejected", "failed"
        );
        for (id, s, r) in &out {
            let n = |k: &str| s.get(k).copied().unwrap_or(0);
            let last = r
                .as_ref()
                .map(|r| {
                    format!(
                        "{} ({:?}, {} pulled)",
                        r.started_at.format("%Y-%m-%d %H:%M"),
                        r.state,
                        r.pulled
                    )
                })
                .unwrap_or_else(|| "never".into());
            println!(
                "{:<16} {:>8} {:>8} {:>8} {:>8} {:>8}  {last}",
                id,
                n(DocState::Pushed.as_str()),
                n("mapped") + n("received"),
                n("held"),
                n("rejected"),
                n("failed") + n("dead_letter")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn log(
    config: &Path,
    dossier: &str,
    severity: &str,
    days: i64,
    json_out: bool,
) -> Result<ExitCode> {
    let loaded = match load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let min: Severity = severity.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let data = DataDir::open(&loaded.service.data_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let queue = InProcessQueue::new();
    let pipeline = Pipeline::new(&data.records, &data.files, &queue, SystemClock);
    let to = chrono::Utc::now() + chrono::Duration::seconds(1);
    let events = pipeline
        .log()
        .query(dossier, min, to - chrono::Duration::days(days), to)
        .await?;
    if json_out {
        println!("{}", serde_json::to_string_pretty(&events)?);
    } else if events.is_empty() {
        println!(
            "No event for {dossier} at or above {} in the last {days} days.",
            min.as_str()
        );
    } else {
        for e in &events {
            println!(
                "{}  {:<7} {}",
                e.at.format("%Y-%m-%d %H:%M:%S"),
                e.severity.as_str(),
                e.message
            );
            if e.action != "no action needed" {
                println!("{:>29}→ {}", "", e.action);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
