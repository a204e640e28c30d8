//! `[dossier.journals]`: the journal codes (2 to 4 upper-case letters or digits) and labels.

use std::collections::BTreeMap;

use super::report::Report;
use crate::config::raw::RawJournals;
use crate::config::rules::{derive_journal_code, journal_code_problem};
use crate::config::types::{Journal, Journals};

pub(super) fn validate(raw: RawJournals, report: &mut Report) -> Journals {
    let sales = journal(report, "sales", raw.sales, "VT", raw.sales_label, "Ventes");
    // Credit notes go to the sales journal unless the dossier gives them their own.
    let (default_code, default_label) = (sales.code.clone(), sales.label.clone());
    let credit_notes = journal(
        report,
        "credit_notes",
        raw.credit_notes,
        &default_code,
        raw.credit_notes_label,
        &default_label,
    );
    let purchases = journal(
        report,
        "purchases",
        raw.purchases,
        "HA",
        raw.purchases_label,
        "Achats",
    );
    // A journal code has one label (JournalLib) in the FEC.
    for (key, j) in [("credit_notes", &credit_notes), ("purchases", &purchases)] {
        if j.code == sales.code && j.label != sales.label {
            report.err(
                &format!("journals.{key}_label"),
                format!(
                    "journal {} is labelled \"{}\" for sales and \"{}\" here: a journal code has one label",
                    j.code, sales.label, j.label
                ),
                format!("give {key} its own code, or the label \"{}\"", sales.label),
            );
        }
    }
    Journals {
        sales,
        credit_notes,
        purchases,
    }
}

fn journal(
    report: &mut Report,
    key: &str,
    code: Option<String>,
    default: &str,
    label: Option<String>,
    default_label: &str,
) -> Journal {
    let code = code.unwrap_or_else(|| default.to_string());
    if let Some(problem) = journal_code_problem(&code) {
        report.err(
            &format!("journals.{key}"),
            problem,
            format!(
                "use 2 to 4 upper-case letters or digits, e.g. \"{}\"",
                derive_journal_code(&code).unwrap_or_else(|| default.to_string())
            ),
        );
    }
    Journal {
        code,
        label: label.unwrap_or_else(|| default_label.to_string()),
    }
}

/// `[dossier.journal_codes]` (mode `journal`): source journal name → journal code. Each code
/// obeys the code rules and names one source journal: two journals under one code would share
/// one EcritureNum series under two JournalLib.
pub(super) fn codes(
    raw: BTreeMap<String, String>,
    report: &mut Report,
) -> BTreeMap<String, String> {
    let mut codes = BTreeMap::new();
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for (name, code) in raw {
        let field = format!("journal_codes.\"{name}\"");
        let name = name.trim().to_string();
        if name.is_empty() {
            report.err(
                &field,
                "names no source journal",
                "write the journal's name as the source shows it, e.g. \"Ventes export\" = \"VEXP\"",
            );
            continue;
        }
        if let Some(problem) = journal_code_problem(&code) {
            report.err(
                &field,
                problem,
                format!(
                    "use 2 to 4 upper-case letters or digits, e.g. \"{}\"",
                    derive_journal_code(&name).unwrap_or_else(|| "VT".into())
                ),
            );
            continue;
        }
        if let Some(first) = owner.get(&code) {
            report.err(
                &field,
                format!(
                    "journal code '{code}' is already the code of \"{first}\": two source journals under one code share one EcritureNum series under two labels"
                ),
                "give each source journal its own code, e.g. \"Ventes France\" = \"VFR\" and \"Ventes export\" = \"VEXP\"",
            );
            continue;
        }
        owner.insert(code.clone(), name.clone());
        codes.insert(name, code);
    }
    codes
}
