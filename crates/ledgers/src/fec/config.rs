//! Where and how the FEC sink writes.

use domain::fec::FecOptions;

/// Where and how the FEC sink writes.
#[derive(Debug, Clone)]
pub struct FecConfig {
    /// Key prefix in the blob store (default `fec`).
    pub prefix: String,
    /// Separator and charset of the file (default tab, UTF-8).
    pub options: FecOptions,
}

impl Default for FecConfig {
    fn default() -> Self {
        FecConfig {
            prefix: "fec".into(),
            options: FecOptions::default(),
        }
    }
}
