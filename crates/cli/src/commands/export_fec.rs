//! `passerelle export-fec <dossier> <year>`: the FEC file of the fiscal year closing in `year`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use app::ports::{BlobStore, SystemClock};

use crate::context;

pub async fn run(config: &Path, dossier: &str, year: i32, out: Option<&Path>) -> Result<ExitCode> {
    let loaded = match context::load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let cfg = context::dossier(&loaded, config, dossier)?;
    let data = context::data_dir(&loaded)?;
    let (m, d) = cfg.fiscal_year_end;
    let closing = chrono::NaiveDate::from_ymd_opt(year, m, d)
        .or_else(|| chrono::NaiveDate::from_ymd_opt(year, m, d - 1))
        .context("closing date")?;
    let sink = ledgers::fec::FecSink::new(
        Arc::new(data.files),
        SystemClock,
        ledgers::fec::FecConfig::default(),
    );
    let key = sink.fec_key(cfg, closing);
    let blobs = local::DirBlobs::open(loaded.service.data_dir.join(local::FILES_DIR))?;
    let Some(bytes) = blobs.get(&key).await? else {
        bail!(
            "no FEC for {dossier} closing {closing}: nothing was booked in that fiscal year yet (run passerelle sync {dossier})"
        );
    };
    match out {
        Some(dir) => {
            let name = key.rsplit('/').next().unwrap_or("fec.txt");
            let path = dir.join(name);
            std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            println!("{}", path.display());
        }
        None => println!(
            "{}",
            blobs
                .path_of(&key)
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}
