//! `passerelle demo`: a simulated Sellsy account, the nightly sync of a demo dossier into the
//! embedded store, sample mails, the FEC ledger, and a short report.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use app::ports::{IntegrationLog, PullWindow, RecordStore, Severity, SystemClock};
use app::usecases::records::{Content, DocumentRecord, doc_pk};
use app::usecases::{Pipeline, Settings};
use chrono::NaiveDate;
use domain::config::ConfigFile;
use ledgers::fec::{FecConfig, FecSink};
use local::{DataDir, InProcessQueue};
use sellsy::{SellsyClient, SellsyConfig};
use sellsy_sim::{Kind, Sim, SimConfig};
use serde_json::json;

use crate::commands::{drain, print_warnings};
use crate::mails::{mail, sample_pdf};
use crate::runtime::{AnySink, Connected};
use crate::serve::{accept_recipients, deliver};
use crate::smtp;

/// What became of one sample mail.
struct MailReport {
    what: &'static str,
    accepted: Vec<String>,
    rejected: Vec<(String, String)>,
}

const DOSSIER: &str = "demo";
const MAIL_DOMAIN: &str = "collecte.demo.passerelle.fr";
const AUTHSERV: &str = "passerelle.local";

pub async fn run(dir: &Path, invoices: usize, json_out: bool) -> Result<ExitCode> {
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

    // 2. The demo dossier: the documented example configuration.
    let text = include_str!("../../../infra/dossiers.example.toml")
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
        SellsyConfig::new(sim.client_id(), sellsy::Secret::new(sim.client_secret()))
            .with_base_urls(sim.api_base(), sim.token_url()),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let fec = FecSink::new(files.clone(), SystemClock, FecConfig::default());
    let fec_key = fec.fec_key(&cfg, NaiveDate::from_ymd_opt(2026, 6, 30).context("date")?);
    let connected = Connected {
        configs: vec![cfg.clone()],
        sources: BTreeMap::from([(DOSSIER.to_string(), client)]),
        sinks: BTreeMap::from([(DOSSIER.to_string(), AnySink::Fec(fec))]),
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
    let domains = vec![MAIL_DOMAIN.to_string()];
    let achat = format!("achat.{DOSSIER}@{MAIL_DOMAIN}");
    let vente = format!("vente.{DOSSIER}@{MAIL_DOMAIN}");
    let unknown = format!("achat.inconnu@{MAIL_DOMAIN}");
    let samples: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "Welyb sends two supplier invoices",
            &achat,
            mail("no-reply@welyb.fr", &achat, "Factures fournisseurs", "pass", AUTHSERV, &[
                ("facture-edf-2026-05.pdf", "application/pdf", sample_pdf("EDF mai 2026")),
                ("facture-orange-2026-05.pdf", "application/pdf", sample_pdf("Orange mai 2026")),
            ]),
        ),
        (
            "A spoofed copy claiming to be Welyb (DMARC fail)",
            &achat,
            mail("no-reply@welyb.fr", &achat, "Factures urgentes", "fail", AUTHSERV, &[
                ("facture.pdf", "application/pdf", sample_pdf("spoof")),
            ]),
        ),
        (
            "An executable sent as an invoice",
            &achat,
            mail("no-reply@welyb.fr", &achat, "Facture executable", "pass", AUTHSERV, &[
                ("facture.exe", "application/octet-stream", b"MZ\x90\x00\x03\x00\x00\x00".repeat(64)),
            ]),
        ),
        (
            "A web page named .xls",
            &vente,
            mail("no-reply@welyb.fr", &vente, "Releve ventes", "pass", AUTHSERV, &[
                ("releve.xls", "application/vnd.ms-excel", b"<html><body><table><tr><td>Vente</td><td>120,00</td></tr></table></body></html>".to_vec()),
            ]),
        ),
        (
            "A mail to an address no dossier collects at",
            &unknown,
            mail("no-reply@welyb.fr", &unknown, "Facture perdue", "pass", AUTHSERV, &[
                ("facture-perdue.pdf", "application/pdf", sample_pdf("perdue")),
            ]),
        ),
    ];
    let listener = smtp::bind("127.0.0.1:0").await?;
    let smtp_addr = listener.local_addr()?;
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let (mail_tx, mail_rx) = tokio::sync::mpsc::channel(4);
    let (reports_tx, mut reports_rx) = tokio::sync::mpsc::unbounded_channel();
    let smtp_cfg = smtp::Config {
        name: AUTHSERV.into(),
        max_bytes: 40 * 1024 * 1024,
        accept: accept_recipients(&connected.configs, &domains),
    };
    tokio::spawn(smtp::serve(listener, smtp_cfg, mail_tx, stop));
    let sending = async {
        let mut sent = Vec::new();
        for (what, to, raw) in &samples {
            sent.push((
                *what,
                smtp::send(smtp_addr, "no-reply@welyb.fr", &[to.to_string()], raw).await,
            ));
        }
        let _ = stop_tx.send(true);
        sent
    };
    let (sent, ()) = tokio::join!(
        sending,
        deliver(
            &pipeline,
            &connected.configs,
            &domains,
            AUTHSERV,
            mail_rx,
            Some(reports_tx)
        )
    );
    let mut mail_reports: Vec<MailReport> = Vec::new();
    for (what, result) in sent {
        let sent = result?;
        let refused: Vec<String> = sent
            .recipients
            .iter()
            .filter(|(_, code, _)| *code != 250)
            .map(|(to, code, text)| format!("SMTP {code} for {to}: {text}"))
            .collect();
        let mut report = MailReport {
            what,
            accepted: Vec::new(),
            rejected: Vec::new(),
        };
        for r in refused {
            report.rejected.push((
                r,
                "check the collection address (achat|vente|ndf|admin.<dossier>@<domain>)".into(),
            ));
        }
        if matches!(sent.data, Some((250, _))) {
            let intake = reports_rx
                .try_recv()
                .context("the SMTP listener accepted a mail without an intake report")?;
            report.accepted = intake
                .outcome
                .documents()
                .map(|d| d.file_name.clone())
                .collect();
            report.rejected.extend(
                intake
                    .outcome
                    .rejections()
                    .map(|x| (x.message.clone(), x.action.clone())),
            );
        } else if let Some((code, text)) = sent.data {
            report
                .rejected
                .push((format!("SMTP {code}: {text}"), "send it again later".into()));
        }
        mail_reports.push(report);
    }
    drain(&pipeline, &connected, 0, json_out).await?;

    // 6. The report.
    let records = store
        .query(&doc_pk(DOSSIER), None, None, usize::MAX)
        .await?;
    let mut states: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut entries_booked, mut files_filed, mut debit) = (0, 0, rust_decimal::Decimal::ZERO);
    for r in &records {
        let doc = DocumentRecord::from_record(r)?;
        *states.entry(doc.state.as_str()).or_default() += 1;
        if doc.ledger_id.is_some() {
            match &doc.content {
                Content::Source { .. } => {
                    entries_booked += 1;
                    debit += doc
                        .entry
                        .as_ref()
                        .map(|e| e.total_debit())
                        .unwrap_or_default();
                }
                Content::Collected(_) => files_filed += 1,
                Content::Unread(_) => {}
            }
        }
    }
    let fec_path = files
        .path_of(&fec_key)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let fec_lines = std::fs::read_to_string(&fec_path)
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0);
    let from = chrono::Utc::now() - chrono::Duration::days(1);
    let to = chrono::Utc::now() + chrono::Duration::days(1);
    let warnings = pipeline
        .log()
        .query(DOSSIER, Severity::Warning, from, to)
        .await?;

    if json_out {
        let mails: Vec<_> = mail_reports
            .iter()
            .map(|r| {
                json!({
                    "mail": r.what,
                    "accepted": r.accepted,
                    "rejected": r.rejected.iter().map(|(reason, action)| json!({"reason": reason, "action": action})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let report = json!({
            "documents_pulled": run.pulled,
            "states": states,
            "entries_booked": entries_booked,
            "total_debit": format!("{debit:.2}"),
            "files_filed": files_filed,
            "second_run": {"pulled": second.pulled, "new": second.new, "modified_after_copy": second.modified_after_copy},
            "mails": mails,
            "warnings": warnings.iter().map(|w| json!({"message": w.message, "action": w.action})).collect::<Vec<_>>(),
            "fec": fec_path,
            "fec_lines": fec_lines,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!();
        println!("passerelle demo — dossier \"{DOSSIER}\"");
        println!("  documents pulled from Sellsy   {:>6}", run.pulled);
        for (state, n) in &states {
            println!("    {state:<27}{n:>6}");
        }
        println!(
            "  entries booked (FEC)           {entries_booked:>6}   total debit = total credit = {debit:.2} EUR"
        );
        println!("  mailed files filed             {files_filed:>6}");
        println!(
            "  second night                   {:>6} pulled, {} new, {} modified after booking",
            second.pulled, second.new, second.modified_after_copy
        );
        println!();
        println!("Mail");
        for r in &mail_reports {
            if r.accepted.is_empty() {
                println!("  rejected  {}", r.what);
            } else {
                println!("  accepted  {}: {}", r.what, r.accepted.join(", "));
            }
            for (reason, action) in &r.rejected {
                println!("            reason: {reason}");
                println!("            action: {action}");
            }
        }
        println!();
        print_warnings(&warnings, 12);
        println!();
        println!("FEC file: {} ({fec_lines} lines)", fec_path.display());
        println!(
            "Check it: .venv/bin/python tools/fec_check.py {}",
            fec_path.display()
        );
    }
    sim.stop().await;
    Ok(ExitCode::SUCCESS)
}
