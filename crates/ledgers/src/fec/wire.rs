//! The booked-entries file (`booked.jsonl`): one JSON object a line, every entry booked in the
//! fiscal year with the date it was validated.

use app::ports::SinkError;
use chrono::NaiveDate;
use domain::LedgerEntry;
use serde::{Deserialize, Serialize};

use super::errors::corrupt;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Stored {
    pub external_id: String,
    pub validated_on: NaiveDate,
    pub entry: LedgerEntry,
}

/// Reads the file at `key`; every entry is checked again (balanced, well-formed) as it is read.
pub(super) fn parse(key: &str, bytes: Vec<u8>) -> Result<Vec<Stored>, SinkError> {
    let text = String::from_utf8(bytes).map_err(|_| corrupt(format!("{key} is not UTF-8 text")))?;
    let mut out = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let stored: Stored = serde_json::from_str(line)
            .map_err(|e| corrupt(format!("{key} line {}: {e}", n + 1)))?;
        let entry = stored
            .entry
            .clone()
            .revalidate()
            .map_err(|e| corrupt(format!("{key} line {}: {e}", n + 1)))?;
        out.push(Stored { entry, ..stored });
    }
    Ok(out)
}

/// The file's text.
pub(super) fn render(stored: &[Stored]) -> Result<String, SinkError> {
    let mut lines = String::new();
    for s in stored {
        let l = serde_json::to_string(s)
            .map_err(|e| SinkError::retryable(format!("cannot serialise an entry: {e}")))?;
        lines.push_str(&l);
        lines.push('\n');
    }
    Ok(lines)
}
