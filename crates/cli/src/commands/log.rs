//! `passerelle log <dossier>`: what happened and the action to take.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use app::ports::{IntegrationLog, Severity, SystemClock};
use app::usecases::Pipeline;
use local::InProcessQueue;

use crate::context;
use crate::print::severity_label;

pub async fn run(
    config: &Path,
    dossier: &str,
    severity: &str,
    days: i64,
    json_out: bool,
) -> Result<ExitCode> {
    let loaded = match context::load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let min: Severity = severity.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let data = context::data_dir(&loaded)?;
    let queue = InProcessQueue::new();
    let pipeline = Pipeline::new(&data.records, &data.files, &queue, SystemClock);
    let to = chrono::Utc::now() + chrono::Duration::seconds(1);
    let events = pipeline
        .log()
        .query(dossier, min, to - chrono::Duration::days(days), to)
        .await?;
    if json_out {
        println!("{}", serde_json::to_string_pretty(&events)?);
    } else if events.is_empty() {
        println!(
            "No event for {dossier} at or above {} in the last {days} days.",
            min.as_str()
        );
    } else {
        for e in &events {
            println!(
                "{}  {} {}",
                e.at.format("%Y-%m-%d %H:%M:%S"),
                severity_label(e.severity, 7),
                e.message
            );
            if e.action != "no action needed" {
                println!("{:>29}→ {}", "", e.action);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
