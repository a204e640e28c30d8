//! Validation, one validator per section of a dossier. Each reports every problem it finds
//! (field, problem, fix) and the dossier is built only when none was found.

mod accounts;
mod exercises;
mod identity;
mod journals;
mod policies;
mod report;

use report::Report;

use super::issues::ConfigIssue;
use super::raw::RawDossier;
use super::types::{Connections, DossierConfig};

/// Validates one dossier; `None` when any of its sections has a problem (all are reported).
pub(super) fn dossier(
    raw: RawDossier,
    prefix: &str,
    errors: &mut Vec<ConfigIssue>,
) -> Option<(DossierConfig, Connections)> {
    let before = errors.len();
    let mut report = Report { prefix, errors };
    let identity = identity::validate(&raw, &mut report);
    let choices = identity::choices(&raw, &mut report);
    let journals = journals::validate(raw.journals, &mut report);
    let journal_codes = journals::codes(raw.journal_codes, &mut report);
    if !journal_codes.is_empty() && choices.mode == Some(super::types::Mode::Documents) {
        report.err(
            "journal_codes",
            "maps source journals, but the dossier maps documents (mode = \"documents\"), which are booked in [dossier.journals]",
            "remove [dossier.journal_codes], or set mode = \"journal\" to copy the source's journals",
        );
    }
    let (exercises, fiscal_year_end) = exercises::validate(
        raw.exercises,
        identity.fiscal_year_end,
        raw.fiscal_year_end.is_some(),
        &mut report,
    );
    let accounts = accounts::accounts(raw.accounts, &mut report);
    let vat = accounts::vat(raw.vat, &mut report);
    let accounts_map = accounts::ledger_map(raw.accounts_map, &mut report);
    let einvoice = accounts::einvoice(raw.einvoice, &mut report);
    let policies = policies::validate(
        raw.auxiliary,
        raw.rounding,
        raw.mail,
        &raw.exclusion_words,
        &identity.id,
        &mut report,
    );
    if errors.len() != before {
        return None;
    }
    let config = DossierConfig {
        id: identity.id,
        name: identity.name,
        siren: identity.siren,
        start_date: identity.start_date?,
        fiscal_year_end: fiscal_year_end?,
        exercises: exercises?,
        journal_codes,
        scope: choices.scope?,
        mode: choices.mode?,
        journals,
        accounts,
        accounts_map,
        vat,
        auxiliary: policies.auxiliary,
        labels: choices.labels?,
        rounding: policies.rounding?,
        draft_entries: raw.draft_entries.unwrap_or(false),
        sync_without_pdf: raw.sync_without_pdf.unwrap_or(false),
        exclusion_words: raw
            .exclusion_words
            .into_iter()
            .map(|w| w.trim().to_string())
            .collect(),
        mail: policies.mail,
        einvoice,
    };
    let sections = Connections {
        sellsy: raw.sellsy,
        ledger: raw.ledger,
    };
    Some((config, sections))
}
