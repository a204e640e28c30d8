//! Pulling one dossier for a run (nightly, `/sync`); the worker maps and pushes what it queues.

use app::ports::PullWindow;

use crate::events::event;
use crate::service::Service;

/// Pulls one dossier for a run.
pub async fn pull_run(
    service: &Service,
    dossier: &str,
    window: PullWindow,
    run_id: &str,
    trigger: &str,
) {
    let (Some(cfg), Some(source)) = (
        service.config.dossier(dossier),
        service.dossiers.sources.get(dossier),
    ) else {
        event(
            "run",
            &format!("{run_id}: dossier {dossier} has no Sellsy connection; nothing pulled"),
        );
        return;
    };
    match service
        .pipeline
        .start_run(cfg, source, window, run_id, trigger)
        .await
    {
        Ok(run) => event(
            "run",
            &format!(
                "{run_id} ({trigger}) {dossier}: {} pulled, {} new, {} changed, {} modified after booking",
                run.pulled, run.new, run.changed, run.modified_after_copy
            ),
        ),
        Err(e) => event(
            "run",
            &format!("{run_id} ({trigger}) {dossier} failed: {e}; see passerelle log {dossier}"),
        ),
    }
}
