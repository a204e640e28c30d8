//! Every step for one collected file, as the mail intake (or `passerelle ingest FILE`) needs
//! them: detect, read, check, belongs to the dossier, map. One outcome per file, each with the
//! message and the action a person needs.

use rust_decimal::Decimal;

use crate::checks::check;
use crate::detect::Detection;
use crate::error::Refusal;
use crate::map::{DuplicateKey, duplicate_key};
use crate::map::{MapError, MapOptions, MappedInvoice, PartyMatch, Side, buyer_matches};
use crate::model::Invoice;
use crate::violation::Violation;

/// What to do with one collected file.
// The ready invoice is the common case and is moved once; boxing it adds nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Assessment {
    /// Not an e-invoice: the ordinary document intake files it (a PDF, an image...).
    NotEInvoice { note: Option<String> },
    /// XML that is no e-invoice of a known syntax: refused with the reason.
    OtherXml { reason: String },
    /// Hostile or unreadable: refused.
    Refused(Refusal),
    /// An e-invoice that breaks business rules: refused, each rule named.
    Invalid {
        invoice: Box<Invoice>,
        violations: Vec<Violation>,
    },
    /// The dossier is not the party it should be (the buyer of a purchase, the seller of a
    /// sale): held, "addressed to another company" (or "issued by another company").
    NotForDossier {
        invoice: Box<Invoice>,
        stated: Option<String>,
    },
    /// Valid, but cannot be made a source document (a type not booked, a MINIMUM invoice
    /// without a known rate...).
    NotMapped {
        invoice: Box<Invoice>,
        error: MapError,
    },
    /// Ready to book: the document goes through `domain::mapping::map_document` once its PDF
    /// (or XML) is stored and `document.pdf` set; `key` finds an earlier copy.
    Ready {
        invoice: Box<Invoice>,
        mapped: MappedInvoice,
        key: DuplicateKey,
    },
}

impl Assessment {
    /// The message for the integration log.
    pub fn message(&self) -> String {
        match self {
            Assessment::NotEInvoice { note } => match note {
                Some(n) => format!("not an e-invoice: {n}"),
                None => "not an e-invoice".into(),
            },
            Assessment::OtherXml { reason } => format!("XML refused: {reason}"),
            Assessment::Refused(r) => format!("refused: {r}"),
            Assessment::Invalid { violations, .. } => {
                let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
                format!("e-invoice refused: {}", list.join("; "))
            }
            Assessment::NotForDossier { stated, .. } => match stated {
                Some(s) => format!("held: addressed to another company ({s})"),
                None => "held: the invoice does not say which company it is addressed to".into(),
            },
            Assessment::NotMapped { error, .. } => format!("not booked: {error}"),
            Assessment::Ready { mapped, .. } => {
                let mut m = format!("e-invoice {} read", mapped.document.number);
                for note in &mapped.notes {
                    m.push_str("; ");
                    m.push_str(note);
                }
                m
            }
        }
    }

    /// What to do about it.
    pub fn action(&self) -> &'static str {
        match self {
            Assessment::NotEInvoice { .. } | Assessment::Ready { .. } => "no action needed",
            Assessment::OtherXml { .. } => {
                "ask the sender for the invoice as PDF, Factur-X, CII or UBL"
            }
            Assessment::Refused(r) => r.action(),
            Assessment::Invalid { .. } => "ask the supplier to re-issue the invoice",
            Assessment::NotForDossier { .. } => {
                "check which dossier it belongs to and forward it there, or delete it"
            }
            Assessment::NotMapped { error, .. } => error.action(),
        }
    }
}

/// Runs every step on one file for a dossier of this SIREN, on this side.
pub fn assess(
    bytes: &[u8],
    file_name: &str,
    side: Side,
    dossier_siren: &str,
    options: &MapOptions,
) -> Assessment {
    let file = match crate::detect::detect(bytes, file_name) {
        Detection::EInvoice(file) => file,
        Detection::NotEInvoice { note } => return Assessment::NotEInvoice { note },
        Detection::OtherXml { reason } => return Assessment::OtherXml { reason },
        Detection::Refused(r) => return Assessment::Refused(r),
    };
    let invoice = Box::new(file.into_invoice());
    let violations = check(&invoice);
    if !violations.is_empty() {
        return Assessment::Invalid {
            invoice,
            violations,
        };
    }
    let party = match side {
        Side::Purchase => buyer_matches(&invoice, dossier_siren),
        Side::Sales => crate::map::seller_matches(&invoice, dossier_siren),
    };
    match party {
        PartyMatch::Matches => {}
        PartyMatch::OtherCompany { stated } => {
            return Assessment::NotForDossier {
                invoice,
                stated: Some(stated),
            };
        }
        PartyMatch::NoIdentifier => {
            return Assessment::NotForDossier {
                invoice,
                stated: None,
            };
        }
    }
    match crate::map::to_source_document(&invoice, side, options) {
        Ok(mapped) => Assessment::Ready {
            key: duplicate_key(&invoice),
            invoice,
            mapped,
        },
        Err(error) => Assessment::NotMapped { invoice, error },
    }
}

/// [`MapOptions`] from a dossier's VAT rates and its `[dossier.einvoice]` settings.
pub fn options_for(
    rates: impl IntoIterator<Item = Decimal>,
    suppliers: &domain::config::EInvoiceSettings,
) -> MapOptions {
    MapOptions {
        known_rates: rates.into_iter().collect(),
        suppliers: suppliers.clone(),
    }
}
