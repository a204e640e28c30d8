//! A company's auxiliary code is also registered under its SIREN and VAT id, the keys an
//! e-invoice party has (`einvoice::map::party_id`): an e-invoice of a supplier already known
//! (from Sellsy, or an earlier e-invoice with another name spelling) gets its code.

use domain::Party;
use domain::auxcode::AuxCodes;
use domain::config::DossierConfig;

use super::records::aux_pk;
use super::{Pipeline, PipelineError};
use crate::ports::{BlobStore, Clock, Queue, Record, RecordStore, StoreError};

impl<S: RecordStore, B: BlobStore, Q: Queue, C: Clock> Pipeline<S, B, Q, C> {
    /// Registers the party's code also under its SIREN and VAT id (`alias_keys`), so that an
    /// e-invoice of that company, whatever its name spelling, gets the same code. The first
    /// registration under an id stays; the code's owner (`AUXCODE#`) is unchanged.
    pub(super) async fn save_aliases(
        &self,
        cfg: &DossierConfig,
        party: &Party,
        aux: &AuxCodes,
    ) -> Result<(), PipelineError> {
        let key = party.key();
        let Some((_, code)) = aux.assignments().find(|(p, _)| **p == key) else {
            return Ok(());
        };
        for alias in alias_keys(party) {
            let record = Record::new(
                aux_pk(&cfg.id),
                &alias,
                serde_json::json!({ "code": code, "alias_of": key }),
            );
            match self.store.create(&record).await {
                Ok(()) | Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// The registry keys a company is also known by: `company:siren:<SIREN>` and
/// `company:vat:<VAT id>`, the keys e-invoice parties have (`einvoice::map::party_id`), except
/// its own key.
pub(super) fn alias_keys(party: &Party) -> Vec<String> {
    if party.kind != domain::PartyKind::Company {
        return Vec::new();
    }
    let clean = |v: &str| -> String {
        v.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_uppercase()
    };
    let siren = party
        .siren
        .as_deref()
        .map(clean)
        .filter(|s| s.len() == 9 && s.bytes().all(|b| b.is_ascii_digit()))
        .map(|s| format!("company:siren:{s}"));
    let vat = party
        .vat_number
        .as_deref()
        .map(clean)
        .filter(|v| v.len() >= 4)
        .map(|v| format!("company:vat:{v}"));
    let own = party.key();
    siren.into_iter().chain(vat).filter(|k| *k != own).collect()
}
