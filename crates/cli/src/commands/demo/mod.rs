//! `passerelle demo`: a simulated Sellsy account, the nightly sync of a demo dossier into the
//! embedded store, sample mails, the FEC ledger (or a Chift mock, `--ledger chift`), and a short
//! report.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use app::ports::{PullWindow, SystemClock};
use app::usecases::{Pipeline, Settings};
use chrono::NaiveDate;
use domain::config::ConfigFile;
use ledgers::fec::{FecConfig, FecSink};
use local::{DataDir, DirBlobs, InProcessQueue};
use sellsy::{SellsyClient, SellsyConfig};
use simulators::sellsy::{Kind, Sim, SimConfig};

use app::dossiers::DossierSet;
use ledgers::AnySink;

use crate::context::drain;

mod mails;
mod names;
mod report;

use names::DOSSIER;

/// The demo's ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoLedger {
    /// The FEC file in the demo directory, checked by `tools/fec_check.py`.
    Fec,
    /// A Chift mock on 127.0.0.1 that checks every request against Chift's OpenAPI document.
    Chift,
}

/// The demo's sink, and the Chift mock behind it when there is one.
async fn demo_sink(
    ledger: DemoLedger,
    fec: FecSink<DirBlobs, SystemClock>,
) -> Result<(
    AnySink<DirBlobs, SystemClock>,
    Option<simulators::chift::ChiftMock>,
)> {
    Ok(match ledger {
        DemoLedger::Fec => (AnySink::Fec(fec), None),
        DemoLedger::Chift => {
            let mock = simulators::chift::start().await;
            (AnySink::Chift(chift_sink(&mock)?), Some(mock))
        }
    })
}

/// The Chift sink of the demo, on the mock (its journals, chart and VAT codes fit the example
/// dossier).
fn chift_sink(mock: &simulators::chift::ChiftMock) -> Result<ledgers::ChiftSink> {
    use simulators::chift as m;
    let mut cfg = ledgers::ChiftConfig::production(
        m::CLIENT_ID,
        app::ports::Secret::new(m::CLIENT_SECRET),
        m::ACCOUNT_ID,
        m::CONSUMER_ID,
    );
    cfg.base_url = mock.base_url();
    cfg.rate = ledgers::RateLimit {
        requests: 200,
        per: Duration::from_secs(1),
    };
    ledgers::ChiftSink::new(cfg, Arc::new(ledgers::PartyBook::new()))
        .map_err(|e| anyhow::anyhow!("{e}"))
}

pub async fn run(
    dir: &Path,
    invoices: usize,
    json_out: bool,
    ledger: DemoLedger,
    variant: super::export_fec::Variant<'_>,
) -> Result<ExitCode> {
    let fec_config = FecConfig {
        options: variant.options()?,
        ..FecConfig::default()
    };
    if dir.exists() {
        let marker = dir.join("passerelle.sqlite3");
        if !marker.exists() && std::fs::read_dir(dir)?.next().is_some() {
            anyhow::bail!(
                "{} exists and is not a passerelle demo directory; choose another with --dir",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    let say = |text: &str| {
        if !json_out {
            eprintln!("{text}");
        }
    };

    // 1. A simulated Sellsy account: several months, customers, VAT rates, discounts.
    let sim = Sim::start(SimConfig {
        invoices,
        credit_notes: (invoices / 8).max(1),
        companies: 25,
        individuals: 10,
        purchases: 12,
        from: NaiveDate::from_ymd_opt(2026, 1, 1).context("date")?,
        to: NaiveDate::from_ymd_opt(2026, 6, 30).context("date")?,
        per_second: 400,
        per_minute: 20_000,
        ..SimConfig::default()
    })
    .await
    .context("starting the Sellsy simulator")?;
    say(&format!(
        "Sellsy simulator on {} ({invoices} invoices)",
        sim.base_url()
    ));
    let finalized: Vec<_> = sim
        .documents(Kind::Invoice)
        .into_iter()
        .filter(|d| d.status != "draft" && d.has_pdf)
        .collect();
    let without_pdf = finalized
        .first()
        .context("the simulator has no invoice")?
        .clone();
    let modified = finalized
        .get(1)
        .context("the simulator has one invoice")?
        .clone();
    sim.remove_pdf(Kind::Invoice, without_pdf.id);

    // 2. The demo dossier: the documented example configuration, booking sales and purchases.
    let text = include_str!("../../../../../infra/dossiers.example.toml")
        .replace("scope = \"sales\" ", "scope = \"both\"  ")
        .replace("id = \"acme\"", &format!("id = \"{DOSSIER}\""))
        .replace("slug = \"acme\"", &format!("slug = \"{DOSSIER}\""));
    let cfg = ConfigFile::from_toml(&text)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .dossiers
        .remove(0);
    let data = DataDir::open(dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let files = Arc::new(data.files);
    let store = data.records;
    let queue = InProcessQueue::new();
    let settings = Settings {
        retry_delay: Duration::from_millis(300),
        ..Settings::default()
    };
    let pipeline = Pipeline::new(&store, &*files, &queue, SystemClock).with_settings(settings);
    let client = SellsyClient::new(
        SellsyConfig::new(
            sim.client_id(),
            app::ports::Secret::new(sim.client_secret()),
        )
        .with_base_urls(sim.api_base(), sim.token_url())
        .with_scope(cfg.scope),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let fec = FecSink::new(files.clone(), SystemClock, fec_config);
    let fec_key = fec.fec_key(&cfg, NaiveDate::from_ymd_opt(2026, 6, 30).context("date")?);
    let (sink, chift) = demo_sink(ledger, fec).await?;
    if let Some(mock) = &chift {
        say(&format!("Chift mock on {}", mock.base_url()));
    }
    let connected: DossierSet<SellsyClient, AnySink<DirBlobs, SystemClock>> = DossierSet {
        configs: vec![cfg.clone()],
        sources: BTreeMap::from([(DOSSIER.to_string(), client)]),
        sinks: BTreeMap::from([(DOSSIER.to_string(), sink)]),
        ..DossierSet::default()
    };
    let source = connected.sources.get(DOSSIER).context("source")?;
    let window = PullWindow {
        from: cfg.start_date,
        to: NaiveDate::from_ymd_opt(2026, 12, 31).context("date")?,
    };

    // 3. The nightly sync, then the queues drained.
    say("Nightly sync: pulling from Sellsy…");
    let run = pipeline
        .start_run(&cfg, source, window, "demo-night-1", "schedule")
        .await?;
    drain(&pipeline, &connected, run.new, json_out).await?;

    // 4. An invoice modified in Sellsy after it was booked, seen by the next night's run.
    sim.modify_document(Kind::Invoice, modified.id);
    let second = pipeline
        .start_run(&cfg, source, window, "demo-night-2", "schedule")
        .await?;
    drain(&pipeline, &connected, 0, json_out).await?;

    // 5. Mail to the collection addresses, delivered over SMTP to the listener `serve` runs.
    say("Mail: five messages over SMTP to the collection addresses…");
    let mail_reports = mails::send(&pipeline, &connected.configs).await?;
    drain(&pipeline, &connected, 0, json_out).await?;

    // 6. The report.
    let booked_in = report::BookedIn::of(fec_key, chift.as_ref());
    let off_spec = booked_in.off_spec();
    let figures = report::collect(&pipeline, &files, booked_in).await?;
    report::print(&figures, &run, &second, &mail_reports, json_out)?;
    sim.stop().await;
    if off_spec > 0 {
        eprintln!("{off_spec} requests to Chift were off its OpenAPI document (listed above)");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
