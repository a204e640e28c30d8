//! One invoice reaching the dossier by two channels is booked once. Within one source the
//! source's own id already says so (Sellsy's id; for e-invoices, seller + number + date + total,
//! see `einvoice::map::DuplicateKey`). Across sources, the same purchase can arrive as a
//! Factur-X mailed to `achat.` and as the purchase Sellsy made of it from its `einvoicing`
//! intake (spec schema `Ocr.source`), and a sales invoice sent to `vente.` is also the Sellsy
//! invoice it came from. The claim is the invoice's identity as both channels know it: side,
//! invoice or credit note, the counterparty's SIREN (from its SIREN, SIRET or French VAT
//! number), the date and the total including tax; for sales also the number, which is the
//! dossier's own. A purchase's number is left out: Sellsy's purchase journal numbers the
//! document itself and does not carry the supplier's number (`pull::purchases`).

use chrono::{DateTime, Utc};
use domain::SourceDocument;
use domain::config::DossierConfig;

use super::records::{DocState, DocumentRecord, doc_pk, identity_pk};
use super::{Pipeline, PipelineError};
use crate::ports::{BlobStore, Clock, Queue, Record, RecordStore, StoreError};

/// The document that already holds this invoice's identity, from another source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SameInvoice {
    pub key: String,
    pub source: String,
}

/// The claim's sort key, or `None` when the counterparty has no French company id (nothing
/// both channels share for sure: such documents are never matched across sources).
pub fn identity_claim(document: &SourceDocument) -> Option<String> {
    let party = &document.party;
    let siren = party
        .siren
        .clone()
        .or_else(|| party.siret.as_deref().map(|s| s.chars().take(9).collect()))
        .or_else(|| {
            let vat = party.vat_number.as_deref()?.replace([' ', '.', '-'], "");
            let digits = vat
                .to_ascii_uppercase()
                .strip_prefix("FR")?
                .get(2..)?
                .to_string();
            Some(digits)
        })?;
    let siren: String = siren.chars().filter(char::is_ascii_digit).collect();
    if siren.len() != 9 {
        return None;
    }
    let kind = document.source.kind;
    let number = if kind.is_sales() {
        document.number.trim().to_uppercase()
    } else {
        String::new()
    };
    Some(format!(
        "{kind:?}|{siren}|{}|{}|{number}",
        document.date,
        domain::money::format_dot(document.totals.incl_tax.abs())
    ))
}

impl<S: RecordStore, B: BlobStore, Q: Queue, C: Clock> Pipeline<S, B, Q, C> {
    /// Claims the invoice's identity for `key`; `Some` when a document of another source holds
    /// it and is on its way to the ledger. A second document of the same source with the same
    /// identity is another invoice (two identical subscriptions on one day): the source told
    /// them apart, so it is booked.
    pub(super) async fn claim_identity(
        &self,
        cfg: &DossierConfig,
        document: &SourceDocument,
        key: &str,
    ) -> Result<Option<SameInvoice>, PipelineError> {
        let Some(sk) = identity_claim(document) else {
            return Ok(None);
        };
        let pk = identity_pk(&cfg.id);
        let source = document.source.source.clone();
        let mine = serde_json::json!({ "document": key, "source": source, "at": self.now() });
        // Every step is a conditional write on the claim, so a holder coming back (retried) and
        // a copy taking over cannot both win: the loser reads the claim again.
        for _ in 0..8 {
            match self
                .store
                .create(&Record::new(&pk, &sk, mine.clone()))
                .await
            {
                Ok(()) => return Ok(None),
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            let Some(holder) = self.store.get(&pk, &sk).await? else {
                continue;
            };
            let field = |f: &str| {
                holder
                    .data
                    .get(f)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let (other, other_source) = (field("document"), field("source"));
            if other_source == source && other != key {
                return Ok(None);
            }
            // Our own claim (mapped again), or the holder stood down: (re)take it.
            let at = holder
                .data
                .get("at")
                .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v.clone()).ok());
            if other == key || self.stood_down(cfg, &other, at).await? {
                match self.store.update(&holder.next(mine.clone())).await {
                    Ok(()) => return Ok(None),
                    Err(StoreError::Conflict { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            return Ok(Some(SameInvoice {
                key: other,
                source: other_source,
            }));
        }
        Err(PipelineError::Retryable(
            "the invoice identity claim kept changing under concurrent writes".into(),
        ))
    }

    /// Whether the document holding a claim (taken at `at`) will not reach the ledger as it
    /// is: held, rejected or skipped with no push attempt started, in a state written after its
    /// claim (an older state is that of a mapping still running: it may be booked). A copy from
    /// another channel then takes the claim and is booked; the holder, if retried later, is
    /// the duplicate.
    async fn stood_down(
        &self,
        cfg: &DossierConfig,
        key: &str,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, PipelineError> {
        let Some(stored) = self.store.get(&doc_pk(&cfg.id), key).await? else {
            return Ok(false);
        };
        let rec = DocumentRecord::from_record(&stored)?;
        Ok(at.is_some_and(|at| rec.updated_at > at)
            && matches!(
                rec.state,
                DocState::Held | DocState::Rejected | DocState::Skipped
            )
            && rec.ledger_id.is_none()
            && rec.changed_hash.is_none()
            && rec.outbox.attempts == 0)
    }
}
