//! `passerelle retry <dossier> [<key>…] [--all]`: "Relancer". Held and rejected documents are
//! mapped again with the configuration as it is now (after their cause was fixed), then pushed.
//! A document that reached the ledger, or may have, is refused with the reason. Exit 1 when a
//! retried document is still not booked, or one was refused.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, bail};
use app::ports::{RecordStore, SystemClock};
use app::usecases::Pipeline;
use app::usecases::records::{DocState, DocumentRecord, doc_pk};
use app::usecases::recovery::Retried;
use local::InProcessQueue;
use serde_json::{Value, json};

use crate::context::{self, drain, one_shot};

pub async fn run(
    config: &Path,
    dossier: &str,
    keys: &[String],
    all: bool,
    json_out: bool,
) -> Result<ExitCode> {
    let loaded = match context::load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    context::dossier(&loaded, config, dossier)?;
    if keys.is_empty() && !all {
        bail!(
            "name the documents to retry (their keys, as `passerelle status` and `passerelle log` show them), or pass --all for every held and rejected document"
        );
    }
    let data = context::data_dir(&loaded)?;
    let files = Arc::new(local::DirBlobs::open(data.root.join(local::FILES_DIR))?);
    let dossiers = context::connect(&loaded, files).await;
    context::require_connected(&dossiers, dossier)?;
    let queue = InProcessQueue::new();
    let pipeline =
        Pipeline::new(&data.records, &data.files, &queue, SystemClock).with_settings(one_shot());
    let keys: Vec<String> = if keys.is_empty() {
        let mut held = Vec::new();
        for r in data
            .records
            .query(&doc_pk(dossier), None, None, usize::MAX)
            .await?
        {
            let doc = DocumentRecord::from_record(&r)?;
            if matches!(doc.state, DocState::Held | DocState::Rejected) {
                held.push(doc.key);
            }
        }
        held
    } else {
        keys.to_vec()
    };
    let who = std::env::var("USER")
        .map(|u| format!("{u} (command line)"))
        .unwrap_or_else(|_| "the command line".into());
    let mut rows = Vec::new();
    let mut queued = 0;
    for key in &keys {
        match pipeline.retry(dossier, key, &who).await? {
            Retried::Queued => {
                queued += 1;
                rows.push(json!({ "key": key, "retried": true }));
            }
            Retried::Refused { reason, action } => rows.push(json!({
                "key": key, "retried": false, "reason": reason, "action": action,
            })),
        }
    }
    drain(&pipeline, &dossiers, queued, json_out).await?;
    let mut ok = true;
    for row in rows.iter_mut() {
        let key = row["key"].as_str().unwrap_or_default().to_string();
        let Some(r) = data.records.get(&doc_pk(dossier), &key).await? else {
            ok = false;
            continue;
        };
        let doc = DocumentRecord::from_record(&r)?;
        ok &= row["retried"] == true && doc.state == DocState::Pushed;
        row["state"] = json!(doc.state.as_str());
        if row["retried"] == true && doc.state != DocState::Pushed {
            row["reason"] = json!(doc.reason);
            row["action"] = json!(doc.action);
        }
    }
    print_rows(&rows, json_out)?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_rows(rows: &[Value], json_out: bool) -> Result<()> {
    if json_out {
        println!("{}", serde_json::to_string_pretty(rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("no held or rejected document to retry");
    }
    for r in rows {
        let state = r["state"].as_str().unwrap_or("?");
        println!("{:<40} {}", r["key"].as_str().unwrap_or(""), state);
        if let Some(reason) = r["reason"].as_str() {
            println!("{:<40} {reason}", "");
        }
        if let Some(action) = r["action"].as_str() {
            println!("{:<40} → {action}", "");
        }
    }
    Ok(())
}
