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
    PullWindow, Queue, QueueName, RecordStore, Severity, SinkError, SourceApi, SystemClock,
};
use app::usecases::records::{DocState, DocumentRecord, RUN_PK, RunRecord, StepMessage, doc_pk};
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
pub const CONFIG_INVALID: u8 = 3;

fn load(config: &Path) -> Result<Loaded, ExitCode> {
    runtime::load(config).map_err(|e| {
        eprint!("{e}");
        ExitCode::from(CONFIG_INVALID)
    })
}

/// The configuration and one of its dossiers (`Err`: the exit code of an invalid configuration).
fn load_dossier(config: &Path, dossier: &str) -> Result<Result<(Loaded, DossierConfig), ExitCode>> {
    let loaded = match load(config) {
        Ok(l) => l,
        Err(code) => return Ok(Err(code)),
    };
    let Some(cfg) = loaded.file.dossier(dossier).cloned() else {
        bail!(
            "no dossier '{dossier}' in {}; run passerelle check-config to list them",
            config.display()
        );
    };
    Ok(Ok((loaded, cfg)))
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

const RED: &str = "31";
const GREEN: &str = "32";
const YELLOW: &str = "33";

/// `text` in an ANSI colour when stdout is a terminal and `NO_COLOR` is not set
/// (https://no-color.org).
pub fn paint(text: &str, colour: &str) -> String {
    use std::io::IsTerminal;
    if std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal() {
        format!("\x1b[{colour}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// A severity padded to `width`, coloured by how bad it is.
fn severity_label(s: Severity, width: usize) -> String {
    let text = format!("{:<width$}", s.as_str());
    match s {
        Severity::Info => text,
        Severity::Warning => paint(&text, YELLOW),
        _ => paint(&text, RED),
    }
}

/// Settings of the one-shot commands: a failed step comes back after a second, so that the
/// command ends soon after the work (the default 30 s suits a long-running worker).
fn one_shot() -> Settings {
    Settings {
        retry_delay: Duration::from_secs(1),
        ..Settings::default()
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
        println!("  [{}] {}", severity_label(e.severity, 0), e.message);
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
    let (loaded, cfg) = match load_dossier(config, dossier)? {
        Ok(found) => found,
        Err(code) => return Ok(code),
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
    let pipeline =
        Pipeline::new(&data.records, &*files, &queue, SystemClock).with_settings(one_shot());
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
                "{}  {} {}",
                e.at.format("%Y-%m-%d %H:%M:%S"),
                severity_label(e.severity, 7),
                e.message
            );
            if e.action != "no action needed" {
                println!("{:>29}→ {}", "", e.action);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Documents still to hand over: received ones to the mapper, mapped and failed ones to the
/// ledger (the in-process queue does not outlive a process; the records are the outbox).
pub async fn requeue<S: RecordStore, Q: Queue>(store: &S, queue: &Q, dossier: &str) -> Result<u64> {
    let (mut to_map, mut to_push) = (Vec::new(), Vec::new());
    for r in store
        .query(&doc_pk(dossier), None, None, usize::MAX)
        .await?
    {
        let doc = DocumentRecord::from_record(&r)?;
        let msg = StepMessage {
            dossier: dossier.to_string(),
            key: doc.key.clone(),
            run: None,
        }
        .body();
        match doc.state {
            DocState::Received => to_map.push(msg),
            DocState::Mapped | DocState::Failed => to_push.push(msg),
            _ => {}
        }
    }
    let n = (to_map.len() + to_push.len()) as u64;
    for (name, msgs) in [(QueueName::Map, to_map), (QueueName::Push, to_push)] {
        for chunk in msgs.chunks(10) {
            queue.send(name, chunk).await?;
        }
    }
    Ok(n)
}

/// `push [<dossier>]`: maps and pushes what is pending now.
pub async fn push(config: &Path, only: Option<&str>, json_out: bool) -> Result<ExitCode> {
    let loaded = match load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    if let Some(d) = only
        && loaded.file.dossier(d).is_none()
    {
        bail!(
            "no dossier '{d}' in {}; run passerelle check-config to list them",
            config.display()
        );
    }
    let data = DataDir::open(&loaded.service.data_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let files = Arc::new(local::DirBlobs::open(data.root.join(local::FILES_DIR))?);
    let connected = runtime::connect(&loaded, files)?;
    let queue = InProcessQueue::new();
    let pipeline =
        Pipeline::new(&data.records, &data.files, &queue, SystemClock).with_settings(one_shot());
    let ids: Vec<String> = loaded
        .file
        .dossiers
        .iter()
        .map(|d| d.id.clone())
        .filter(|id| only.is_none_or(|o| o == id))
        .collect();
    let mut before = BTreeMap::new();
    let mut queued = BTreeMap::new();
    for id in &ids {
        before.insert(id.clone(), states(&data.records, id).await?);
        queued.insert(id.clone(), requeue(&data.records, &queue, id).await?);
    }
    drain(&pipeline, &connected, queued.values().sum(), json_out).await?;
    let mut rows = Vec::new();
    let mut failing = Vec::new();
    for id in &ids {
        let after = states(&data.records, id).await?;
        let n = |s: &BTreeMap<String, usize>, k: &str| s.get(k).copied().unwrap_or(0);
        let pushed = n(&after, "pushed").saturating_sub(n(&before[id], "pushed"));
        let failed = n(&after, "failed") + n(&after, "dead_letter");
        if failed > 0 {
            failing.push(id.clone());
        }
        rows.push(json!({
            "dossier": id,
            "queued": queued[id],
            "pushed": pushed,
            "failed": n(&after, "failed"),
            "dead_letter": n(&after, "dead_letter"),
            "held": n(&after, "held"),
            "rejected": n(&after, "rejected"),
        }));
    }
    if json_out {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        println!(
            "{:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
            "dossier", "queued", "pushed", "failed", "dead", "held", "rejected"
        );
        for r in &rows {
            println!(
                "{:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
                r["dossier"].as_str().unwrap_or(""),
                r["queued"],
                r["pushed"],
                r["failed"],
                r["dead_letter"],
                r["held"],
                r["rejected"]
            );
        }
    }
    if failing.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "error: some documents could not be pushed ({}). See why and what to do with: {}",
        failing.join(", "),
        failing
            .iter()
            .map(|d| format!("passerelle log {d} --severity warning"))
            .collect::<Vec<_>>()
            .join("; ")
    );
    Ok(ExitCode::from(1))
}

/// `test-connection <dossier>`: the source's credentials, scopes and quotas, and the ledger's
/// check. Exit 0 when every check passed, 1 otherwise (each failed line says what to do).
pub async fn test_connection(config: &Path, dossier: &str, json_out: bool) -> Result<ExitCode> {
    let (loaded, cfg) = match load_dossier(config, dossier)? {
        Ok(found) => found,
        Err(code) => return Ok(code),
    };
    let data = DataDir::open(&loaded.service.data_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let connected = runtime::connect(&loaded, Arc::new(data.files))?;
    // (check, ok, detail, action)
    let mut checks: Vec<(String, bool, String, String)> = Vec::new();
    match connected.sources.get(dossier) {
        None => checks.push((
            "Sellsy".into(),
            false,
            "no [dossier.sellsy] section".into(),
            "add client_id and client_secret_env to [dossier.sellsy] (see infra/dossiers.example.toml)".into(),
        )),
        Some(source) => match source.test_connection().await {
            Ok(r) => {
                let quota = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
                let detail = format!(
                    "credentials accepted; quotas {}/s, {}/min, {}/day ({} used today)",
                    quota(r.limit_per_second),
                    quota(r.limit_per_minute),
                    quota(r.limit_per_day),
                    quota(r.used_today)
                );
                if r.is_ok() {
                    checks.push(("Sellsy".into(), true, detail, String::new()));
                } else {
                    checks.push((
                        "Sellsy scopes".into(),
                        false,
                        format!("{detail}; missing scopes: {}", r.missing_scopes.join(", ")),
                        "grant these scopes to the API client in Sellsy (Settings → API → your client)".into(),
                    ));
                }
            }
            Err(e) => checks.push((
                "Sellsy".into(),
                false,
                e.to_string(),
                "check client_id and the secret in the environment variable client_secret_env names; a 'Personal' API client is needed".into(),
            )),
        },
    }
    let sink = connected
        .sinks
        .get(dossier)
        .context("the dossier has no ledger")?;
    match sink.test_connection(&cfg).await {
        Ok(()) => checks.push((
            sink.name().to_string(),
            true,
            "reachable, journals found".into(),
            String::new(),
        )),
        Err(e) => checks.push((
            sink.name().to_string(),
            false,
            e.message.clone(),
            e.action.clone(),
        )),
    }
    let ok = checks.iter().all(|c| c.1);
    if json_out {
        let list: Vec<_> = checks
            .iter()
            .map(|(check, ok, detail, action)| json!({"check": check, "ok": ok, "detail": detail, "action": action}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"dossier": dossier, "ok": ok, "checks": list}))?
        );
    } else {
        for (check, ok, detail, action) in &checks {
            let verdict = if *ok {
                paint(&format!("{:<6}", "ok"), GREEN)
            } else {
                paint(&format!("{:<6}", "FAILED"), RED)
            };
            println!("{check:<14} {verdict} {detail}");
            if !action.is_empty() {
                println!("{:<21}→ {action}", "");
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
