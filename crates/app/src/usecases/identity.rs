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

use domain::SourceDocument;
use domain::config::DossierConfig;

use super::records::identity_pk;
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
    /// it. A second document of the same source with the same identity is another invoice
    /// (two identical subscriptions on one day): the source told them apart, so it is booked.
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
        let claim = Record::new(
            &pk,
            &sk,
            serde_json::json!({ "document": key, "source": source }),
        );
        match self.store.create(&claim).await {
            Ok(()) => Ok(None),
            Err(StoreError::Conflict { .. }) => {
                let holder = self.store.get(&pk, &sk).await?.ok_or_else(|| {
                    PipelineError::Retryable("invoice identity claim vanished".into())
                })?;
                let field = |f: &str| {
                    holder
                        .data
                        .get(f)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string()
                };
                let (other, other_source) = (field("document"), field("source"));
                if other == key || other_source == source {
                    Ok(None)
                } else {
                    Ok(Some(SameInvoice {
                        key: other,
                        source: other_source,
                    }))
                }
            }
            Err(e) => Err(e.into()),
        }
    }
}
