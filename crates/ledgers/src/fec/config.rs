//! Where and how the FEC sink writes.

use chrono_tz::Tz;
use domain::fec::FecOptions;

/// Where and how the FEC sink writes.
#[derive(Debug, Clone)]
pub struct FecConfig {
    /// Key prefix in the blob store (default `fec`).
    pub prefix: String,
    /// Separator and charset of the file (default tab, UTF-8).
    pub options: FecOptions,
    /// The dossier's time zone: the day an entry is booked, its ValidDate, is the day there
    /// (default Europe/Paris).
    pub time_zone: Tz,
}

impl Default for FecConfig {
    fn default() -> Self {
        FecConfig {
            prefix: "fec".into(),
            options: FecOptions::default(),
            time_zone: chrono_tz::Europe::Paris,
        }
    }
}
