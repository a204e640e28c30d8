//! Third parties: the customers and suppliers documents are issued to.

use serde::{Deserialize, Serialize};

/// A company or a private individual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    Company,
    Individual,
}

/// A third party as the source knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub kind: PartyKind,
    /// Display name ("Dupont SARL", "Jeanne Martin").
    pub name: String,
    /// The source system's id of this party (e.g. Sellsy company id `5783612`).
    /// Together with the source name and `kind` it identifies the party.
    pub source_id: String,
    /// The source's own customer reference ("CLI-1654"), when any.
    pub reference: Option<String>,
    /// Auxiliary code already set at the source (Sellsy `auxiliary_code`); when present it wins
    /// over a derived one.
    pub auxiliary_code: Option<String>,
    /// SIREN (9 digits), when known.
    pub siren: Option<String>,
    /// SIRET (14 digits), when known.
    pub siret: Option<String>,
    /// Intra-community VAT number ("FR44732829320"), when known.
    pub vat_number: Option<String>,
}

impl Party {
    /// A stable key of this party within one source, used to keep auxiliary codes stable.
    pub fn key(&self) -> String {
        let kind = match self.kind {
            PartyKind::Company => "company",
            PartyKind::Individual => "individual",
        };
        format!("{kind}:{}", self.source_id)
    }
}
