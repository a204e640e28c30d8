//! Runs: "synchronise now" and the nightly schedule. A run is one pull of a dossier's window; its
//! record (`RUN` / run id) says where it is: queued (a request recorded it, the pull has not
//! started), running, pulled (mapping and pushing go on through the queues) or failed.
//!
//! The run id is the caller's idempotency key (the schedule's time, a request's signature): the
//! same id twice is one run, pulled once. Every state change is a conditional write, so two
//! workers handed the same queued run (a re-delivered invocation) never both pull it.

use domain::config::DossierConfig;

use super::records::{RUN_PK, RunRecord, RunState};
use super::{Pipeline, PipelineError};
use crate::ports::{
    BlobStore, Clock, ObjectKind, PullWindow, Queue, Record, RecordStore, Severity, SourceApi,
    StoreError,
};

/// How many times a conditional write on a run is retried after losing a race.
const RACES: usize = 8;

impl<S: RecordStore, B: BlobStore, Q: Queue, C: Clock> Pipeline<S, B, Q, C> {
    /// Records a run in state `Queued`, before anything starts it (the HTTP `/sync` route does
    /// this, then asks the runtime to call [`Pipeline::start_run`] with the same id). Queuing the
    /// same id again returns the run as it is.
    pub async fn queue_run(
        &self,
        cfg: &DossierConfig,
        window: PullWindow,
        run_id: &str,
        trigger: &str,
    ) -> Result<RunRecord, PipelineError> {
        let now = self.now();
        let mut run = new_run(cfg, window, run_id, trigger, now);
        run.state = RunState::Queued;
        run.queued_at = Some(now);
        match self
            .store
            .create(&Record::new(RUN_PK, run_id, run.to_data()))
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => return self.existing_run(run_id).await,
            Err(e) => return Err(e.into()),
        }
        self.event(
            &cfg.id,
            ObjectKind::Run,
            run_id,
            Severity::Info,
            format!(
                "run queued ({trigger}) for {} to {}",
                window.from, window.to
            ),
            "no action needed",
            Some(run_id),
        )
        .await;
        Ok(run)
    }

    /// Starts a run and pulls; mapping and pushing are left to the queues. A run queued by
    /// [`Pipeline::queue_run`] is claimed (queued → running, one winner) and pulled over the
    /// window it was queued with; an unknown id is created running. A run already running or
    /// finished is returned as it is, without pulling again (double click, re-delivered
    /// schedule or invocation).
    pub async fn start_run<Src: SourceApi>(
        &self,
        cfg: &DossierConfig,
        source: &Src,
        window: PullWindow,
        run_id: &str,
        trigger: &str,
    ) -> Result<RunRecord, PipelineError> {
        let Some((stored, run)) = self.claim_run(cfg, window, run_id, trigger).await? else {
            return self.existing_run(run_id).await;
        };
        let window = PullWindow {
            from: run.window_from,
            to: run.window_to,
        };
        self.event(
            &cfg.id,
            ObjectKind::Run,
            run_id,
            Severity::Info,
            format!(
                "run started ({}) for {} to {}",
                run.trigger, window.from, window.to
            ),
            "no action needed",
            Some(run_id),
        )
        .await;
        let result = self.pull(cfg, source, window, Some(run_id)).await;
        let mut finished = run.clone();
        finished.finished_at = Some(self.now());
        match &result {
            Ok(r) => {
                finished.state = RunState::Pulled;
                finished.pulled = r.pulled;
                finished.new = r.new;
                finished.unchanged = r.unchanged;
                finished.changed = r.changed;
                finished.modified_after_copy = r.modified_after_copy;
            }
            Err(e) => {
                finished.state = RunState::Failed;
                finished.error = Some(e.to_string());
            }
        }
        // Only this worker holds the running run, so this update cannot lose a race.
        self.store.update(&stored.next(finished.to_data())).await?;
        result.map(|_| finished)
    }

    /// Marks a queued run failed (its start could not be requested), so it does not stay queued
    /// for ever. A run that was started meanwhile is left alone. Returns the run as it is.
    pub async fn abandon_run(
        &self,
        run_id: &str,
        reason: &str,
    ) -> Result<Option<RunRecord>, PipelineError> {
        for _ in 0..RACES {
            let Some(stored) = self.store.get(RUN_PK, run_id).await? else {
                return Ok(None);
            };
            let mut run = RunRecord::from_record(&stored)?;
            if run.state != RunState::Queued {
                return Ok(Some(run));
            }
            run.state = RunState::Failed;
            run.finished_at = Some(self.now());
            run.error = Some(reason.to_string());
            match self.store.update(&stored.next(run.to_data())).await {
                Ok(()) => {
                    self.event(
                        &run.dossier,
                        ObjectKind::Run,
                        run_id,
                        Severity::Error,
                        format!("run could not be started: {reason}"),
                        "ask for the synchronisation again; if it keeps failing, check the service's logs",
                        Some(run_id),
                    )
                    .await;
                    return Ok(Some(run));
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PipelineError::Retryable(format!(
            "run {run_id}: too many concurrent writes"
        )))
    }

    pub async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, PipelineError> {
        match self.store.get(RUN_PK, run_id).await? {
            None => Ok(None),
            Some(r) => Ok(Some(RunRecord::from_record(&r)?)),
        }
    }

    /// Takes the run for this worker: creates it running, or moves it from queued to running.
    /// `None` when someone else has it (running or finished).
    async fn claim_run(
        &self,
        cfg: &DossierConfig,
        window: PullWindow,
        run_id: &str,
        trigger: &str,
    ) -> Result<Option<(Record, RunRecord)>, PipelineError> {
        for _ in 0..RACES {
            let now = self.now();
            match self.store.get(RUN_PK, run_id).await? {
                None => {
                    let run = new_run(cfg, window, run_id, trigger, now);
                    let record = Record::new(RUN_PK, run_id, run.to_data());
                    match self.store.create(&record).await {
                        Ok(()) => return Ok(Some((record, run))),
                        Err(StoreError::Conflict { .. }) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                Some(stored) => {
                    let mut run = RunRecord::from_record(&stored)?;
                    if run.dossier != cfg.id {
                        return Err(PipelineError::Permanent(format!(
                            "run {run_id} belongs to dossier '{}', not '{}'",
                            run.dossier, cfg.id
                        )));
                    }
                    if run.state != RunState::Queued {
                        return Ok(None);
                    }
                    run.state = RunState::Running;
                    run.started_at = now;
                    let record = stored.next(run.to_data());
                    match self.store.update(&record).await {
                        Ok(()) => return Ok(Some((record, run))),
                        Err(StoreError::Conflict { .. }) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        Err(PipelineError::Retryable(format!(
            "run {run_id}: too many concurrent writes"
        )))
    }

    async fn existing_run(&self, run_id: &str) -> Result<RunRecord, PipelineError> {
        self.run(run_id)
            .await?
            .ok_or_else(|| PipelineError::Retryable(format!("run {run_id} vanished")))
    }
}

fn new_run(
    cfg: &DossierConfig,
    window: PullWindow,
    run_id: &str,
    trigger: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> RunRecord {
    RunRecord {
        id: run_id.to_string(),
        dossier: cfg.id.clone(),
        trigger: trigger.to_string(),
        window_from: window.from,
        window_to: window.to,
        state: RunState::Running,
        started_at: now,
        queued_at: None,
        finished_at: None,
        pulled: 0,
        new: 0,
        unchanged: 0,
        changed: 0,
        modified_after_copy: 0,
        error: None,
    }
}
