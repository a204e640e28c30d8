//! `passerelle ingest <mail>`: one mail file taken as if received for a collection address.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use app::ports::SystemClock;
use app::usecases::{Pipeline, Settings};
use local::InProcessQueue;
use mail::{AuthSource, Envelope};
use serde_json::json;

use crate::context::{self, drain};

pub async fn run(config: &Path, file: &Path, to: &[String], json_out: bool) -> Result<ExitCode> {
    let loaded = match context::load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let raw = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let data = context::data_dir(&loaded)?;
    let files = Arc::new(data.files);
    let dossiers = context::connect(&loaded, files.clone()).await;
    let queue = InProcessQueue::new();
    let pipeline =
        Pipeline::new(&data.records, &*files, &queue, SystemClock).with_settings(Settings {
            retry_delay: Duration::from_millis(300),
            ..Settings::default()
        });
    let envelope = Envelope {
        recipients: to.to_vec(),
        auth: AuthSource::AuthenticationResults {
            authserv_id: loaded.service.authserv_id.clone(),
        },
    };
    let report = pipeline
        .intake(
            &loaded.file.dossiers,
            &loaded.service.mail_domains,
            &raw,
            &envelope,
            None,
        )
        .await?;
    drain(&pipeline, &dossiers, report.queued as u64, json_out).await?;
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"raw_key": report.raw_key, "queued": report.queued, "duplicates": report.duplicates, "outcome": report.outcome})
            )?
        );
    } else {
        println!(
            "{}: {} file(s) collected, {} duplicate(s); raw mail kept as {}",
            file.display(),
            report.queued,
            report.duplicates,
            report.raw_key
        );
        for d in report.outcome.documents() {
            println!(
                "  accepted  {} ({}) for {}",
                d.file_name,
                d.file_type.extension(),
                d.recipient
            );
        }
        for r in report.outcome.rejections() {
            println!("  rejected  {}\n            → {}", r.message, r.action);
        }
    }
    Ok(if report.outcome.is_accepted() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
