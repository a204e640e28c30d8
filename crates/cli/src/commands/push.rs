//! `passerelle push [<dossier>]`: maps and pushes what is pending now (after an outage, a fixed
//! rejection). Exit 1 when some documents could not be pushed.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, bail};
use app::ports::SystemClock;
use app::usecases::Pipeline;
use local::InProcessQueue;
use serde_json::{Value, json};

use crate::context::{self, drain, one_shot};
use crate::print::states;

pub async fn run(config: &Path, only: Option<&str>, json_out: bool) -> Result<ExitCode> {
    let loaded = match context::load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    if let Some(d) = only {
        context::dossier(&loaded, config, d)?;
    }
    let data = context::data_dir(&loaded)?;
    let files = Arc::new(local::DirBlobs::open(data.root.join(local::FILES_DIR))?);
    let dossiers = context::connect(&loaded, files).await;
    let queue = InProcessQueue::new();
    let pipeline =
        Pipeline::new(&data.records, &data.files, &queue, SystemClock).with_settings(one_shot());
    let ids: Vec<String> = loaded
        .file
        .dossiers
        .iter()
        .map(|d| d.id.clone())
        .filter(|id| only.is_none_or(|o| o == id))
        .collect();
    for id in &ids {
        if let Err(e) = context::require_connected(&dossiers, id) {
            if only.is_some() {
                bail!("{e}");
            }
            eprintln!("warning: {e}");
        }
    }
    let mut before = BTreeMap::new();
    let mut queued = BTreeMap::new();
    for id in &ids {
        before.insert(id.clone(), states(&data.records, id).await?);
        queued.insert(id.clone(), pipeline.requeue(id).await?);
    }
    drain(&pipeline, &dossiers, queued.values().sum(), json_out).await?;
    let mut rows = Vec::new();
    let mut failing = Vec::new();
    for id in &ids {
        let after = states(&data.records, id).await?;
        let n = |s: &BTreeMap<String, usize>, k: &str| s.get(k).copied().unwrap_or(0);
        let pushed = n(&after, "pushed").saturating_sub(n(&before[id], "pushed"));
        let failed = n(&after, "failed") + n(&after, "dead_letter");
        if failed > 0 {
            failing.push(id.clone());
        }
        rows.push(json!({
            "dossier": id,
            "queued": queued[id],
            "pushed": pushed,
            "failed": n(&after, "failed"),
            "dead_letter": n(&after, "dead_letter"),
            "held": n(&after, "held"),
            "rejected": n(&after, "rejected"),
        }));
    }
    print_rows(&rows, json_out)?;
    if failing.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "error: some documents could not be pushed ({}). See why and what to do with: {}",
        failing.join(", "),
        failing
            .iter()
            .map(|d| format!("passerelle log {d} --severity warning"))
            .collect::<Vec<_>>()
            .join("; ")
    );
    Ok(ExitCode::from(1))
}

fn print_rows(rows: &[Value], json_out: bool) -> Result<()> {
    if json_out {
        println!("{}", serde_json::to_string_pretty(rows)?);
        return Ok(());
    }
    println!(
        "{:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "dossier", "queued", "pushed", "failed", "dead", "held", "rejected"
    );
    for r in rows {
        println!(
            "{:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
            r["dossier"].as_str().unwrap_or(""),
            r["queued"],
            r["pushed"],
            r["failed"],
            r["dead_letter"],
            r["held"],
            r["rejected"]
        );
    }
    Ok(())
}
