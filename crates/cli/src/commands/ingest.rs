//! `passerelle ingest <mail>`: one mail file taken as if received for a collection address;
//! `passerelle ingest <facture.pdf|facture.xml>`: one e-invoice file (Factur-X, CII, UBL)
//! booked from its data for the dossier and mailbox the address names.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use app::ports::SystemClock;
use app::usecases::einvoice::EInvoiceOutcome;
use app::usecases::records::DocState;
use app::usecases::{Pipeline, Settings};
use local::InProcessQueue;
use mail::{AuthSource, Envelope};
use serde_json::json;

use crate::context::{self, drain};

pub async fn run(config: &Path, file: &Path, to: &[String], json_out: bool) -> Result<ExitCode> {
    let loaded = match context::load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let raw = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    if is_einvoice_file(file) {
        return einvoice_file(&loaded, file, &raw, to, json_out).await;
    }
    let data = context::data_dir(&loaded)?;
    let files = Arc::new(data.files);
    let dossiers = context::connect(&loaded, files.clone()).await;
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
    drain(&pipeline, &dossiers, report.queued as u64, json_out).await?;
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

/// A `.pdf` or `.xml` is a file, not a mail (an `.eml` or anything else is read as a mail).
fn is_einvoice_file(file: &Path) -> bool {
    file.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf") || e.eq_ignore_ascii_case("xml"))
}

async fn einvoice_file(
    loaded: &wiring::Config,
    file: &Path,
    bytes: &[u8],
    to: &[String],
    json_out: bool,
) -> Result<ExitCode> {
    let [address] = to else {
        anyhow::bail!(
            "an e-invoice file goes to one mailbox: give exactly one --to (achat.<dossier>@<domain> or vente.<dossier>@<domain>)"
        );
    };
    let route = mail::route(address).map_err(|r| anyhow::anyhow!("{}: {}", r.message, r.action))?;
    let Some(cfg) = loaded
        .file
        .dossiers
        .iter()
        .find(|d| d.mail.slug == route.slug)
    else {
        anyhow::bail!(
            "no dossier has the collection address {address}: check [dossier.mail] slug in the configuration"
        );
    };
    let data = context::data_dir(loaded)?;
    let files = Arc::new(data.files);
    let dossiers = context::connect(loaded, files.clone()).await;
    let queue = InProcessQueue::new();
    let pipeline =
        Pipeline::new(&data.records, &*files, &queue, SystemClock).with_settings(Settings {
            retry_delay: Duration::from_millis(300),
            ..Settings::default()
        });
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "facture".into());
    let outcome = pipeline
        .ingest_einvoice(cfg, route.category, &name, bytes)
        .await?;
    let booked = matches!(
        outcome,
        EInvoiceOutcome::Booked {
            state: DocState::Mapped | DocState::Pushed,
            ..
        }
    );
    drain(&pipeline, &dossiers, u64::from(booked), json_out).await?;
    let (status, detail, action) = match &outcome {
        EInvoiceOutcome::Booked {
            key,
            state: DocState::Mapped | DocState::Pushed,
            ..
        } => ("booked", key.clone(), "no action needed".to_string()),
        EInvoiceOutcome::Booked {
            key,
            state,
            reason,
            action,
        } => (
            state.as_str(),
            format!("{key}: {}", reason.as_deref().unwrap_or("not booked")),
            action
                .clone()
                .unwrap_or_else(|| format!("see passerelle log {}", cfg.id)),
        ),
        EInvoiceOutcome::Duplicate { key } => (
            "duplicate",
            format!("{key} was already received; not booked again"),
            "no action needed".to_string(),
        ),
        EInvoiceOutcome::Held {
            message, action, ..
        } => (
            "held",
            message.trim_start_matches("held: ").to_string(),
            action.clone(),
        ),
        EInvoiceOutcome::Refused { message, action } => {
            ("refused", message.clone(), action.clone())
        }
        EInvoiceOutcome::NotEInvoice => (
            "refused",
            format!("{name} is not a Factur-X, CII or UBL invoice"),
            format!(
                "send it by mail to {address} (documents are filed from authenticated mail), or ingest that mail"
            ),
        ),
    };
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"file": file.display().to_string(), "dossier": cfg.id, "status": status, "detail": detail, "action": action})
            )?
        );
    } else {
        println!("{}: {status}: {detail}\n  → {action}", file.display());
    }
    Ok(
        if booked || matches!(outcome, EInvoiceOutcome::Duplicate { .. }) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}
