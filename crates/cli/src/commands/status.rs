//! `passerelle status`: documents per state for each dossier, and the last run.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use app::ports::RecordStore;
use app::usecases::records::{DocState, RUN_PK, RunRecord};
use serde_json::json;

use crate::context;
use crate::print::states;

pub async fn run(config: &Path, json_out: bool) -> Result<ExitCode> {
    let loaded = match context::load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let data = context::data_dir(&loaded)?;
    let mut runs: Vec<RunRecord> = data
        .records
        .query(RUN_PK, None, None, usize::MAX)
        .await?
        .into_iter()
        .filter_map(|r| serde_json::from_value(r.data).ok())
        .collect();
    runs.sort_by_key(|r| r.started_at);
    let mut out = Vec::new();
    for d in &loaded.file.dossiers {
        let states = states(&data.records, &d.id).await?;
        let last = runs.iter().rev().find(|r| r.dossier == d.id).cloned();
        out.push((d.id.clone(), states, last));
    }
    if json_out {
        let list: Vec<_> = out
            .iter()
            .map(|(id, s, r)| json!({"dossier": id, "states": s, "last_run": r}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<16} {:>8} {:>8} {:>8} {:>8} {:>8}  last run",
        "dossier", "pushed", "mapped", "held", "rejected", "failed"
    );
    for (id, s, r) in &out {
        let n = |k: &str| s.get(k).copied().unwrap_or(0);
        let last = r
            .as_ref()
            .map(|r| {
                format!(
                    "{} ({:?}, {} pulled)",
                    r.started_at.format("%Y-%m-%d %H:%M"),
                    r.state,
                    r.pulled
                )
            })
            .unwrap_or_else(|| "never".into());
        println!(
            "{:<16} {:>8} {:>8} {:>8} {:>8} {:>8}  {last}",
            id,
            n(DocState::Pushed.as_str()),
            n("mapped") + n("received"),
            n("held"),
            n("rejected"),
            n("failed") + n("dead_letter")
        );
    }
    Ok(ExitCode::SUCCESS)
}
