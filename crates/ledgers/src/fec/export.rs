//! Exporting one fiscal year's FEC from its booked entries, streamed: the booked-entries file
//! is read a line at a time and each entry written as soon as it is read, so a year of any
//! size is never held in memory. Numbers and validation days are the ones fixed at booking:
//! exporting again, in any variant (tab or `|`, UTF-8 or ISO 8859-15), gives the same entries.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use app::ports::SinkError;
use chrono::NaiveDate;
use domain::config::DossierConfig;
use domain::fec::{BookedEntry, FecOptions, FecSummary, FecWriter, describe_summary, file_name};

use super::errors::{corrupt, unwritable};
use super::wire::{self, Stored};

/// What an export wrote: the FEC's file name, its summary and its description's text.
#[derive(Debug, Clone)]
pub struct Exported {
    pub name: String,
    pub summary: FecSummary,
    /// The description of the file's content and format (art. A47 A-1 LPF), UTF-8.
    pub description: String,
}

/// Writes the FEC of the fiscal year closing on `closing` to `out`, from the booked-entries
/// file read from `booked` (`source` names it in errors).
pub fn export_year<R: BufRead, W: Write>(
    booked: R,
    source: &str,
    out: W,
    dossier: &DossierConfig,
    closing: NaiveDate,
    options: FecOptions,
) -> Result<Exported, SinkError> {
    let year = dossier.fiscal_year_of(closing);
    let mut writer = FecWriter::new(out, &dossier.siren, year, options)
        .map_err(|e| unwritable(e.to_string()))?;
    let mut last = BTreeMap::new();
    for (n, line) in booked.lines().enumerate() {
        let line = line.map_err(|e| corrupt(format!("{source} line {}: {e}", n + 1)))?;
        if let Some(stored) = wire::parse_line(source, n + 1, &line, &mut last)? {
            writer
                .push(&stored.into_booked())
                .map_err(|e| unwritable(e.to_string()))?;
        }
    }
    let summary = writer.finish().map_err(|e| unwritable(e.to_string()))?;
    let name = file_name(&dossier.siren, closing);
    let description = describe_summary(&name, &summary, year, options);
    Ok(Exported {
        name,
        summary,
        description,
    })
}

/// Writes one line of the booked-entries file (for tools that build one, such as the export
/// benchmark): the same shape the sink writes.
pub fn write_booked_line<W: Write>(
    out: &mut W,
    external_id: &str,
    booked: &BookedEntry,
) -> std::io::Result<()> {
    let stored = Stored {
        external_id: external_id.to_string(),
        number: booked.number,
        validated_on: booked.validated_on,
        entry: booked.entry.clone(),
    };
    serde_json::to_writer(&mut *out, &stored)?;
    out.write_all(b"\n")
}
