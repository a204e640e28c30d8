//! The booked-entries file (`booked.jsonl`): one JSON object a line, in booking order, every
//! entry booked in the fiscal year with its EcritureNum and the day it was validated. It is the
//! state the FEC is written from, and it is only ever replaced by a compare-and-swap.

use std::collections::BTreeMap;

use app::ports::SinkError;
use chrono::NaiveDate;
use domain::LedgerEntry;
use domain::fec::BookedEntry;
use serde::{Deserialize, Serialize};

use super::errors::corrupt;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Stored {
    pub external_id: String,
    /// EcritureNum within the journal; 0 in files written before numbers were stored (they are
    /// numbered in file order, which is booking order, when read).
    #[serde(default)]
    pub number: u64,
    pub validated_on: NaiveDate,
    pub entry: LedgerEntry,
}

impl Stored {
    pub fn into_booked(self) -> BookedEntry {
        BookedEntry {
            entry: self.entry,
            number: self.number,
            validated_on: self.validated_on,
        }
    }

    pub fn booked(&self) -> BookedEntry {
        BookedEntry {
            entry: self.entry.clone(),
            number: self.number,
            validated_on: self.validated_on,
        }
    }
}

/// The last number of each journal.
pub(super) fn last_numbers(stored: &[Stored]) -> BTreeMap<String, u64> {
    let mut last = BTreeMap::new();
    for s in stored {
        let n = last.entry(s.entry.journal_code.clone()).or_insert(0);
        *n = s.number.max(*n);
    }
    last
}

/// Reads the file at `key`; every entry is checked again (balanced, well-formed) as it is read.
pub(super) fn parse(key: &str, bytes: &[u8]) -> Result<Vec<Stored>, SinkError> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| corrupt(format!("{key} is not UTF-8 text")))?;
    let mut out: Vec<Stored> = Vec::new();
    let mut last: BTreeMap<String, u64> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if let Some(stored) = parse_line(key, n + 1, line, &mut last)? {
            out.push(stored);
        }
    }
    Ok(out)
}

/// Reads line `n` of the file at `key` (`None`: a blank line); `last` holds the last number of
/// each journal so far, for files written before numbers were stored.
pub(super) fn parse_line(
    key: &str,
    n: usize,
    line: &str,
    last: &mut BTreeMap<String, u64>,
) -> Result<Option<Stored>, SinkError> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let stored: Stored =
        serde_json::from_str(line).map_err(|e| corrupt(format!("{key} line {n}: {e}")))?;
    let entry = stored
        .entry
        .clone()
        .revalidate()
        .map_err(|e| corrupt(format!("{key} line {n}: {e}")))?;
    let previous = last.entry(entry.journal_code.clone()).or_insert(0);
    let number = if stored.number == 0 {
        *previous + 1
    } else {
        stored.number
    };
    *previous = number;
    Ok(Some(Stored {
        entry,
        number,
        ..stored
    }))
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
