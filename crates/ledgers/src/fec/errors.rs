//! What can go wrong writing the FEC, as a [`SinkError`] with the action to take.

use std::time::Duration;

use app::ports::{BlobError, SinkError, SinkErrorKind};
use chrono::NaiveDate;
use chrono_tz::Tz;
use domain::config::DossierConfig;

pub(super) fn blob_error(e: BlobError) -> SinkError {
    SinkError::retryable(format!("the file store is unavailable: {e}"))
}

pub(super) fn bad_siren(dossier: &DossierConfig) -> SinkError {
    SinkError::permanent(
        format!(
            "'{}' is not a valid SIREN: the FEC file is named after it",
            dossier.siren
        ),
        "set the company's 9-digit SIREN in the dossier configuration (field siren)",
    )
}

/// The booked-entries file cannot be read back.
pub(super) fn corrupt(message: String) -> SinkError {
    SinkError::permanent(message, "restore the booked-entries file from a backup")
}

/// `write_fec` refused the year (SIREN, fiscal year or an entry).
pub(super) fn unwritable(message: String) -> SinkError {
    SinkError {
        kind: SinkErrorKind::Permanent,
        status: None,
        message,
        action:
            "correct the dossier configuration (SIREN, fiscal year) or the entry, then push again"
                .into(),
        retry_after: None,
    }
}

/// A draft cannot be booked into a FEC: it would be recorded as booked yet absent from the file.
pub(super) fn draft(piece: &str) -> SinkError {
    SinkError::permanent(
        format!(
            "{piece} is a draft entry (draft_entries = true): a FEC holds validated entries only, it has no brouillard"
        ),
        "set draft_entries = false for this dossier (entries booked into the FEC are validated), or book into Inqom or Pennylane, where a person validates drafts",
    )
}

/// An entry dated after the day of booking waits for its date: its ValidDate (the day it is
/// booked) can never come before its EcritureDate.
pub(super) fn held(
    piece: &str,
    date: NaiveDate,
    today: NaiveDate,
    tz: Tz,
    wait: Duration,
) -> SinkError {
    SinkError {
        kind: SinkErrorKind::Retryable,
        status: None,
        message: format!(
            "{piece} is dated {date}, after today ({today}, {tz}): it is held and booked on {date}, so that it is never validated before its date"
        ),
        action: format!(
            "no action needed; passerelle books it on {date} (check the document's date if it is wrong)"
        ),
        retry_after: Some(wait),
    }
}

/// Too many other workers kept winning the compare-and-swap of the booked entries.
pub(super) fn contended(key: &str) -> SinkError {
    SinkError::retryable(format!(
        "{key} kept changing under concurrent pushes; nothing of this batch was booked"
    ))
}

/// A journal code already used in this FEC under another label: two source journals would
/// share one EcritureNum series (a journal code has one JournalLib).
pub(super) fn journal_clash(piece: &str, code: &str, label: &str, booked_label: &str) -> SinkError {
    SinkError::permanent(
        format!(
            "{piece} would be booked in journal {code} \"{label}\", but {code} is already the journal \"{booked_label}\" in this FEC: one EcritureNum series under two labels"
        ),
        format!(
            "give the source journals their own codes in [dossier.journal_codes] (2 to 4 upper-case letters or digits, e.g. \"{label}\" = \"VEXP\"; \"{booked_label}\" keeps {code}), then push again"
        ),
    )
}
