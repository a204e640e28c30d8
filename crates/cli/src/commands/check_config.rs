//! `passerelle check-config`: every invalid field with its fix, exit 3.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::context::CONFIG_INVALID;

pub fn run(config: &Path) -> Result<ExitCode> {
    match wiring::Config::load(config) {
        Ok(l) => {
            println!(
                "{}: {} dossier(s) valid: {}",
                config.display(),
                l.file.dossiers.len(),
                l.file
                    .dossiers
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprint!("{e}");
            Ok(ExitCode::from(CONFIG_INVALID))
        }
    }
}
