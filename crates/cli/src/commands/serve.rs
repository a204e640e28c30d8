//! `passerelle serve`: validates exactly like check-config, then runs the one-machine runtime.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::context;

pub async fn run(config: &Path) -> Result<ExitCode> {
    let loaded = match context::load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    serve::run(loaded).await?;
    Ok(ExitCode::SUCCESS)
}
