//! What the commands share: the configuration loaded and validated once (exit 3 with every
//! problem), the data directory, the dossiers connected through the environment's secrets, the
//! one-shot pipeline settings and the drain of the queues with a progress bar.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use app::ports::{BlobStore, Clock, Queue, RecordStore};
use app::usecases::worker::Dossiers;
use app::usecases::{Pipeline, Settings};
use domain::config::DossierConfig;
use indicatif::{ProgressBar, ProgressStyle};
use local::{DataDir, DirBlobs};
use serve::LocalDossiers;

/// Exit code of an invalid configuration.
pub const CONFIG_INVALID: u8 = 3;

/// The configuration, or the exit code after printing every problem.
pub fn load(config: &Path) -> Result<wiring::Config, ExitCode> {
    wiring::Config::load(config).map_err(|e| {
        eprint!("{e}");
        ExitCode::from(CONFIG_INVALID)
    })
}

/// One dossier of the configuration.
pub fn dossier<'a>(
    loaded: &'a wiring::Config,
    config: &Path,
    id: &str,
) -> Result<&'a DossierConfig> {
    match loaded.dossier(id) {
        Some(d) => Ok(d),
        None => bail!(
            "no dossier '{id}' in {}; run passerelle check-config to list them",
            config.display()
        ),
    }
}

/// The data directory the configuration names.
pub fn data_dir(loaded: &wiring::Config) -> Result<DataDir> {
    DataDir::open(&loaded.service.data_dir).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Every dossier connected over `files`, secrets from the environment.
pub async fn connect(loaded: &wiring::Config, files: Arc<DirBlobs>) -> LocalDossiers {
    serve::connect_local(loaded, files).await
}

/// Fails with the reason and the action when `dossier` could not be connected.
pub fn require_connected(dossiers: &LocalDossiers, dossier: &str) -> Result<()> {
    let problems: Vec<String> = dossiers
        .unconnected
        .iter()
        .filter(|u| u.dossier == dossier)
        .map(|u| u.to_string())
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        bail!("{}", problems.join("\n"))
    }
}

/// Settings of the one-shot commands: a failed step comes back after a second, so that the
/// command ends soon after the work (the default 30 s suits a long-running worker).
pub fn one_shot() -> Settings {
    Settings {
        retry_delay: Duration::from_secs(1),
        ..Settings::default()
    }
}

/// Works the queues until they are quiet, with a progress bar on a terminal.
pub async fn drain<S, B, Q, C, D>(
    pipeline: &Pipeline<S, B, Q, C>,
    dossiers: &D,
    expected: u64,
    quiet: bool,
) -> Result<()>
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
    D: Dossiers,
{
    let bar = if quiet || expected == 0 {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(expected * 2);
        bar.set_style(
            ProgressStyle::with_template("  {bar:40} {pos}/{len} steps {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    };
    pipeline
        .drain(dossiers, |done| bar.set_position(done))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    Ok(())
}
