//! The demo's report: what was pulled and booked, the mails, the warnings with their action,
//! the FEC file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use app::ports::SystemClock;
use app::ports::{IntegrationLog, LogEvent, RecordStore, Severity};
use app::usecases::Pipeline;
use app::usecases::records::{Content, DocumentRecord, RunRecord, doc_pk};
use local::{DirBlobs, InProcessQueue, SqliteStore};
use serde_json::json;

use super::mails::MailReport;
use super::names::DOSSIER;
use crate::print::print_warnings;

/// Where the entries were booked.
pub enum BookedIn {
    /// The FEC file of this blob key.
    Fec(String),
    /// The Chift mock: its entries, those with their PDF, and the requests off the spec.
    Chift {
        url: String,
        entries: usize,
        pdfs: usize,
        violations: Vec<String>,
    },
}

impl BookedIn {
    pub fn of(fec_key: String, chift: Option<&simulators::chift::ChiftMock>) -> BookedIn {
        match chift {
            None => BookedIn::Fec(fec_key),
            Some(mock) => {
                let st = mock.state();
                BookedIn::Chift {
                    url: mock.base_url(),
                    entries: st.entries.len(),
                    pdfs: st.entries.iter().filter(|e| e.pdf.is_some()).count(),
                    violations: st.violations.clone(),
                }
            }
        }
    }

    /// Requests the ledger mock found off its spec.
    pub fn off_spec(&self) -> usize {
        match self {
            BookedIn::Chift { violations, .. } => violations.len(),
            BookedIn::Fec(_) => 0,
        }
    }
}

/// The FEC file and its description.
pub struct FecFigures {
    fec_path: PathBuf,
    description_path: PathBuf,
    fec_lines: usize,
}

/// The figures of the report.
pub struct Figures {
    states: BTreeMap<&'static str, usize>,
    entries_booked: usize,
    /// Supplier invoices and credit notes booked (the FEC's purchases journal).
    purchases_booked: usize,
    /// Of the entries, those booked from an e-invoice's data (Factur-X, CII, UBL).
    einvoices_booked: usize,
    files_filed: usize,
    debit: rust_decimal::Decimal,
    fec: Option<FecFigures>,
    chift: Option<(String, usize, usize, Vec<String>)>,
    warnings: Vec<LogEvent>,
}

/// Reads the figures from the store, the files and the log.
pub async fn collect(
    pipeline: &Pipeline<&SqliteStore, &DirBlobs, &InProcessQueue, SystemClock>,
    files: &DirBlobs,
    booked_in: BookedIn,
) -> Result<Figures> {
    let store = pipeline.store;
    let records = store
        .query(&doc_pk(DOSSIER), None, None, usize::MAX)
        .await?;
    let mut states: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut entries_booked, mut files_filed, mut debit) = (0, 0, rust_decimal::Decimal::ZERO);
    let mut purchases_booked = 0;
    let mut einvoices_booked = 0;
    for r in &records {
        let doc = DocumentRecord::from_record(r)?;
        *states.entry(doc.state.as_str()).or_default() += 1;
        if doc.ledger_id.is_some() {
            match &doc.content {
                Content::Source { document, .. } => {
                    entries_booked += 1;
                    if !document.source.kind.is_sales() {
                        purchases_booked += 1;
                    }
                    if document.source.source == einvoice::map::SOURCE {
                        einvoices_booked += 1;
                    }
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
    let (fec, chift) = match booked_in {
        BookedIn::Fec(key) => (Some(fec_figures(files, &key)?), None),
        BookedIn::Chift {
            url,
            entries,
            pdfs,
            violations,
        } => (None, Some((url, entries, pdfs, violations))),
    };
    let from = chrono::Utc::now() - chrono::Duration::days(1);
    let to = chrono::Utc::now() + chrono::Duration::days(1);
    let warnings = pipeline
        .log()
        .query(DOSSIER, Severity::Warning, from, to)
        .await?;

    Ok(Figures {
        states,
        entries_booked,
        purchases_booked,
        einvoices_booked,
        files_filed,
        debit,
        fec,
        chift,
        warnings,
    })
}

fn fec_figures(files: &DirBlobs, fec_key: &str) -> Result<FecFigures> {
    let fec_path = files.path_of(fec_key).map_err(|e| anyhow::anyhow!("{e}"))?;
    let description_path = files
        .path_of(&domain::fec::description_name(fec_key))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // Counted on bytes: an ISO 8859-15 FEC is not UTF-8 text.
    let fec_lines = std::fs::read(&fec_path)
        .map(|t| {
            t.split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .count()
                .saturating_sub(1)
        })
        .unwrap_or(0);
    Ok(FecFigures {
        fec_path,
        description_path,
        fec_lines,
    })
}

/// Prints the report, as JSON or for people.
pub fn print(
    f: &Figures,
    run: &RunRecord,
    second: &RunRecord,
    mail_reports: &[MailReport],
    json_out: bool,
) -> Result<()> {
    let Figures {
        states,
        entries_booked,
        purchases_booked,
        einvoices_booked,
        files_filed,
        debit,
        fec,
        chift,
        warnings,
    } = f;
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
            "purchases_booked": purchases_booked,
            "einvoices_booked": einvoices_booked,
            "total_debit": format!("{debit:.2}"),
            "files_filed": files_filed,
            "second_run": {"pulled": second.pulled, "new": second.new, "modified_after_copy": second.modified_after_copy},
            "mails": mails,
            "warnings": warnings.iter().map(|w| json!({"message": w.message, "action": w.action})).collect::<Vec<_>>(),
            "fec": fec.as_ref().map(|f| &f.fec_path),
            "fec_description": fec.as_ref().map(|f| &f.description_path),
            "fec_lines": fec.as_ref().map(|f| f.fec_lines),
            "chift": chift.as_ref().map(|(url, entries, pdfs, violations)| json!({
                "url": url, "entries": entries, "entries_with_pdf": pdfs, "spec_violations": violations,
            })),
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!();
        println!("passerelle demo — dossier \"{DOSSIER}\"");
        println!("  documents pulled from Sellsy   {:>6}", run.pulled);
        for (state, n) in states.iter() {
            println!("    {state:<27}{n:>6}");
        }
        let label = format!(
            "entries booked ({})",
            if chift.is_some() { "Chift" } else { "FEC" }
        );
        println!("  {label:<31}{entries_booked:>6}   total debit = total credit = {debit:.2} EUR");
        println!("  of which purchases (journal HA){purchases_booked:>6}");
        println!("  of which e-invoices, from data {einvoices_booked:>6}");
        println!("  mailed files filed             {files_filed:>6}");
        println!(
            "  second night                   {:>6} pulled, {} new, {} modified after booking",
            second.pulled, second.new, second.modified_after_copy
        );
        println!();
        println!("Mail");
        for r in mail_reports {
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
        print_warnings(warnings, 12);
        println!();
        if let Some(f) = fec {
            println!("FEC file: {} ({} lines)", f.fec_path.display(), f.fec_lines);
            println!("Its description: {}", f.description_path.display());
            println!(
                "Check it: .venv/bin/python tools/fec_check.py {}",
                f.fec_path.display()
            );
        }
        if let Some((url, entries, pdfs, violations)) = chift {
            println!("Chift mock {url}: {entries} entries, {pdfs} with their PDF");
            println!(
                "Requests off Chift's OpenAPI document: {}{}",
                violations.len(),
                violations
                    .first()
                    .map(|v| format!(" (first: {v})"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}
