//! Labels and names written on entries: the label options, cleaned free text, file names.

use rust_decimal::Decimal;

use crate::chart::{account_label, vat_label};
use crate::config::{DossierConfig, LabelOption};
use crate::document::DocumentKind;

/// Longest label written on a line (Inqom takes 256; FEC EcritureLib has no limit but readers do).
const MAX_LABEL: usize = 200;

/// The auxiliary account's label: the party's name, else its code (the FEC wants CompAuxLib
/// whenever CompAuxNum is set).
pub(super) fn aux_label(name: &str, code: &str) -> String {
    match clean(name) {
        n if n.is_empty() => code.to_string(),
        n => n,
    }
}

/// The name of an account in this dossier (CompteLib): a VAT account that exactly one rate maps
/// to is named after that rate ("TVA collectée 10 %"), any other account after its PCG account.
pub(super) fn account_name(cfg: &DossierConfig, account: &str) -> String {
    for map in [&cfg.vat.sales, &cfg.vat.purchases] {
        let mut rates = map.iter().filter(|(_, a)| *a == account).map(|(r, _)| *r);
        if let (Some(rate), None) = (rates.next(), rates.next()) {
            return vat_label(account, rate);
        }
    }
    let s = &cfg.vat.self_assessed;
    if account == s.intra_community_deductible {
        return "TVA intracommunautaire déductible".into();
    }
    if account == s.intra_community_due {
        return "TVA due intracommunautaire".into();
    }
    if account == s.reverse_charge_due {
        return "TVA autoliquidée".into();
    }
    account_label(account)
}

pub(super) fn sides(signed: Decimal) -> (Decimal, Decimal) {
    if signed.is_sign_negative() {
        (-signed, Decimal::ZERO)
    } else {
        (Decimal::ZERO, signed)
    }
}

pub(super) fn document_title(kind: DocumentKind, number: &str) -> String {
    let word = if kind.is_credit_note() {
        "Avoir"
    } else {
        "Facture"
    };
    format!("{word} {}", clean(number))
}

pub(super) fn compose_label(
    option: LabelOption,
    party: &str,
    number: &str,
    description: &str,
    third_party: bool,
) -> String {
    let description = clean(description);
    let label = match option {
        LabelOption::PartyThenDescription if third_party => party.to_string(),
        LabelOption::PartyThenDescription => description,
        LabelOption::Party => party.to_string(),
        LabelOption::PartyAndDescription => format!("{party} - {description}"),
        LabelOption::PartyAndNumber => format!("{party} - {}", clean(number)),
    };
    let label = truncate(&label);
    if label.is_empty() {
        clean(number)
    } else {
        label
    }
}

/// Free text as ledgers and the FEC accept it: no tabs, pipes, newlines or control characters,
/// runs of spaces folded.
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() || c == '|' { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn truncate(text: &str) -> String {
    text.chars()
        .take(MAX_LABEL)
        .collect::<String>()
        .trim_end()
        .to_string()
}

pub(super) fn file_stem(number: &str) -> String {
    let stem: String = number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() {
        "document".into()
    } else {
        stem
    }
}
