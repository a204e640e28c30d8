//! [`LedgerSink`] for Chift.

use app::ports::{Booked, ChartAccount, DocumentToPush, EntryToPush, LedgerSink, SinkError};
use domain::config::DossierConfig;
use reqwest::Method;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::api::ChiftSink;
use super::errors::{chift_message, is_duplicate};
use super::vat::Side;
use super::wire::{EntryOut, ItemOut, entry_body, entry_number};
use crate::readable::pdf_of_xml_einvoice;

/// The file an entry carries (`file`: its own, or the readable PDF of its XML e-invoice):
/// Chift's `pdf` takes a PDF only. Another file (a scanned JPEG purchase, an XML that is no
/// e-invoice) goes without when the dossier books documents without their file, else the entry
/// is held with the action.
fn pdf_of<'a>(
    dossier: &DossierConfig,
    e: &EntryToPush,
    file: Option<&'a app::ports::Attachment>,
) -> Result<Option<&'a app::ports::Attachment>, SinkError> {
    match file {
        // The header may follow some bytes (ISO 32000-1 §7.5.2: readers look in the first 1024).
        Some(f)
            if f.bytes[..f.bytes.len().min(1024)]
                .windows(5)
                .any(|w| w == b"%PDF-") =>
        {
            Ok(Some(f))
        }
        Some(f) if dossier.sync_without_pdf => {
            tracing::warn!(entry = %e.external_id, file = %f.file_name, "not a PDF: booked in Chift without its file");
            Ok(None)
        }
        Some(f) => Err(SinkError::permanent(
            format!(
                "{}: Chift attaches PDF files only, and {} is {}",
                e.entry.piece_ref, f.file_name, f.content_type
            ),
            "replace the file by a PDF at the source (Sellsy), or set sync_without_pdf = true to book the entry without its file",
        )),
        None => Ok(None),
    }
}

impl ChiftSink {
    /// Resolves the journal, accounts and VAT codes of one entry and posts it with its PDF.
    async fn push_one(
        &self,
        dossier: &DossierConfig,
        e: &EntryToPush,
    ) -> Result<Booked, SinkError> {
        let entry = &e.entry;
        let journal_id = self
            .journal(&entry.journal_code, Side::of(dossier, entry))
            .await?;
        self.check_book_year(entry.date, &entry.piece_ref).await?;
        let mut items = Vec::with_capacity(entry.lines().len());
        for line in entry.lines() {
            items.push(self.item(dossier, line).await?);
        }
        for (item, code) in items.iter_mut().zip(self.tax_codes(dossier, entry).await?) {
            item.tax_code = code;
        }
        let readable = e.pdf.as_ref().and_then(pdf_of_xml_einvoice);
        let file = readable.as_ref().or(e.pdf.as_ref());
        let body = entry_body(entry, &journal_id, &items, pdf_of(dossier, e, file)?);
        let a = self
            .call(Method::POST, "/journal-entries", &[], Some(&body))
            .await?;
        if !a.status.is_success() {
            let (_, code) = chift_message(&a.text());
            // Sent before (a crash after Chift booked it): the booked entry is the answer.
            if is_duplicate(a.status.as_u16(), code.as_deref()) {
                if let Some(b) = self.find_entry(dossier, e).await? {
                    return Ok(b);
                }
                return Err(SinkError::permanent(
                    format!(
                        "Chift refused the entry {}: its number {} is already used in the folder by another entry",
                        entry.piece_ref,
                        entry_number(entry)
                    ),
                    format!(
                        "look for the entry numbered {} in the accounting software's journal {}: delete or renumber it if it is not this document, then push again",
                        entry_number(entry),
                        entry.journal_code
                    ),
                ));
            }
            // A partner deleted in the software since it was matched: looked up again next time.
            if code
                .as_deref()
                .is_some_and(|c| c.starts_with("ERROR_PARTNER_NOT_FOUND"))
            {
                self.partners.lock().await.clear();
                self.resolved.lock().await.clear();
            }
        }
        let created: EntryOut = self.ok_json(a, &format!("entry {}", entry.piece_ref))?;
        Ok(Booked {
            ledger_id: created.id,
        })
    }
}

impl LedgerSink for ChiftSink {
    fn name(&self) -> &str {
        "chift"
    }

    async fn push_entries(
        &self,
        dossier: &DossierConfig,
        entries: &[EntryToPush],
    ) -> Vec<Result<Booked, SinkError>> {
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            let r = self.push_one(dossier, e).await;
            if let Err(err) = &r {
                tracing::warn!(dossier = %dossier.id, entry = %e.external_id, error = %err, "Chift push failed");
            }
            out.push(r);
        }
        out
    }

    /// The entries of that journal and day (`unposted_allowed`, drafts included), matched by
    /// our number (`name`) and total.
    async fn find_entry(
        &self,
        dossier: &DossierConfig,
        entry: &EntryToPush,
    ) -> Result<Option<Booked>, SinkError> {
        let e = &entry.entry;
        let journal_id = self.journal(&e.journal_code, Side::of(dossier, e)).await?;
        let day = e.date.format("%Y-%m-%d").to_string();
        let query = [
            ("unposted_allowed", "true".to_string()),
            ("journal_id", journal_id),
            ("date_from", day.clone()),
            ("date_to", day),
        ];
        let found: Vec<EntryOut> = self
            .list_all("/journal/entries", &query, "entry lookup")
            .await?;
        let total = e
            .lines()
            .iter()
            .map(|l| l.debit)
            .sum::<Decimal>()
            .to_f64()
            .unwrap_or(0.0);
        let number = entry_number(e);
        // The third parties' side tells an invoice from the credit note that cancels it (same
        // total, and a number a separate series may repeat): their lines' debit minus credit.
        let partner_net: f64 = e
            .lines()
            .iter()
            .filter(|l| {
                l.auxiliary.is_some()
                    || l.account.starts_with("411")
                    || l.account.starts_with("401")
            })
            .map(|l| l.debit - l.credit)
            .sum::<Decimal>()
            .to_f64()
            .unwrap_or(0.0);
        let same_amounts = |f: &EntryOut| {
            f.items.as_ref().is_none_or(|items| {
                let debit: f64 = items.iter().map(|i| i.debit).sum();
                let partners: Vec<&ItemOut> =
                    items.iter().filter(|i| i.partner_id.is_some()).collect();
                let net: f64 = partners.iter().map(|i| i.debit - i.credit).sum();
                (debit - total).abs() < 0.005
                    && (partners.is_empty() || (net - partner_net).abs() < 0.005)
            })
        };
        // Our number, else (a connector that renumbers) our reference with the same amounts,
        // in the same journal on the same day (the query).
        let by_number = found
            .iter()
            .find(|f| f.name.as_deref() == Some(number.as_str()) && same_amounts(f));
        let by_reference = || {
            found
                .iter()
                .find(|f| f.reference.as_deref() == Some(e.piece_ref.as_str()) && same_amounts(f))
        };
        Ok(by_number.or_else(by_reference).map(|f| Booked {
            ledger_id: f.id.clone(),
        }))
    }

    /// Chift's unified API files documents only with an entry or invoice: a collected document
    /// alone has nowhere to go.
    async fn push_document(
        &self,
        _dossier: &DossierConfig,
        document: &DocumentToPush,
    ) -> Result<Booked, SinkError> {
        Err(SinkError::permanent(
            format!(
                "{} cannot be filed through Chift: its API has no inbox for documents without an entry",
                document.file.file_name
            ),
            "forward the document to the accounting software's own collection address, or send it as an e-invoice (Factur-X, UBL, CII), which passerelle books as an entry",
        ))
    }

    async fn find_document(
        &self,
        _dossier: &DossierConfig,
        _document: &DocumentToPush,
    ) -> Result<Option<Booked>, SinkError> {
        Ok(None)
    }

    async fn chart(
        &self,
        _dossier: &DossierConfig,
    ) -> Result<Option<Vec<ChartAccount>>, SinkError> {
        Ok(Some(
            self.ledger_chart()
                .await?
                .iter()
                .map(|a| ChartAccount {
                    number: a.number.clone(),
                    label: a.name.clone(),
                })
                .collect(),
        ))
    }

    /// Sale and purchase entries book their 411/401 lines on a client or supplier record.
    fn third_party_records(&self) -> bool {
        true
    }

    /// Every problem at once: the folder, the dossier's journals, its VAT rates' codes, the
    /// book years.
    async fn test_connection(&self, dossier: &DossierConfig) -> Result<(), SinkError> {
        self.folder().await?;
        let mut problems: Vec<SinkError> = Vec::new();
        let mut codes = vec![
            (dossier.journals.sales.code.clone(), Side::Sales),
            (dossier.journals.credit_notes.code.clone(), Side::Sales),
            (dossier.journals.purchases.code.clone(), Side::Purchases),
        ];
        codes.dedup();
        for (code, side) in codes {
            if let Err(e) = self.journal(&code, side).await {
                problems.push(e);
            }
        }
        for (side, accounts) in [
            (Side::Sales, &dossier.vat.sales),
            (Side::Purchases, &dossier.vat.purchases),
        ] {
            for rate in accounts.keys() {
                if let Err(e) = self.vat_code(side, *rate).await {
                    problems.push(e);
                }
            }
        }
        if let Err(e) = self.book_years().await {
            problems.push(e);
        }
        match problems.len() {
            0 => Ok(()),
            1 => Err(problems.remove(0)),
            n => {
                let first = problems[0].clone();
                Err(SinkError {
                    message: format!(
                        "{n} problems: {}",
                        problems
                            .iter()
                            .map(|p| p.message.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    action: problems
                        .iter()
                        .map(|p| p.action.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                    ..first
                })
            }
        }
    }
}
