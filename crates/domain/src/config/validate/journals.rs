//! `[dossier.journals]`: the journal codes (2 to 4 upper-case letters or digits) and labels.

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
