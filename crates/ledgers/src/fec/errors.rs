//! What can go wrong writing the FEC, as a [`SinkError`] with the action to take.

use app::ports::{BlobError, SinkError, SinkErrorKind};
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
