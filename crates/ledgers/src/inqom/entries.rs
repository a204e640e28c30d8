//! Entries: each one checked against Inqom's journals and periods and its accounts resolved,
//! posted in batches that Inqom books all-or-nothing (a 400 splits the batch until the bad
//! entries are alone), then its PDF attached.

use std::collections::HashMap;

use app::ports::{Attachment, EntryToPush, SinkError};
use domain::config::DossierConfig;
use reqwest::multipart::Form;
use serde_json::Value;

use super::api::{InqomSink, NAME};
use super::errors::{LOCKED_ACTION, refused};
use super::wire::{CreatedEntry, Period, date_of, entry_json, file_part};
use crate::http;

impl InqomSink {
    /// Journal, period and accounts of one entry, then its JSON.
    pub(super) async fn prepare(
        &self,
        dossier: &DossierConfig,
        journals: &HashMap<String, i64>,
        periods: &[Period],
        e: &EntryToPush,
    ) -> Result<Value, SinkError> {
        let entry = &e.entry;
        let journal_id = *journals
            .get(&entry.journal_code.to_ascii_uppercase())
            .ok_or_else(|| {
                SinkError::permanent(
                    format!("the journal {} does not exist in Inqom", entry.journal_code),
                    format!(
                        "create the journal {} ({}) in Inqom or change the dossier's journal code",
                        entry.journal_code, entry.journal_label
                    ),
                )
            })?;
        let period = periods.iter().find(|p| {
            matches!((date_of(&p.begin_date), date_of(&p.end_date)), (Some(b), Some(end)) if b <= entry.date && entry.date <= end)
        });
        match period {
            None => {
                return Err(SinkError::permanent(
                    format!("no fiscal year in Inqom covers {}", entry.date),
                    format!("create the fiscal year covering {} in Inqom", entry.date),
                ));
            }
            Some(p) if p.locked => {
                return Err(SinkError::permanent(
                    format!(
                        "the period {} – {} is locked in Inqom; entry {} of {} was not sent",
                        &p.begin_date[..10.min(p.begin_date.len())],
                        &p.end_date[..10.min(p.end_date.len())],
                        entry.piece_ref,
                        entry.date
                    ),
                    LOCKED_ACTION,
                ));
            }
            Some(_) => {}
        }
        let mut accounts = Vec::with_capacity(entry.lines().len());
        for line in entry.lines() {
            accounts.push(self.account_for(dossier, line).await?.0);
        }
        Ok(entry_json(e, journal_id, &accounts))
    }

    /// Posts a batch; on a 400 splits it in two until the bad entries are alone.
    pub(super) async fn post_batch(
        &self,
        batch: Vec<(usize, Value)>,
    ) -> Vec<(usize, Result<i64, SinkError>)> {
        let mut out = Vec::new();
        let mut stack = vec![batch];
        let url = self.dossier_path("/entries");
        while let Some(batch) = stack.pop() {
            let body = Value::Array(batch.iter().map(|(_, v)| v.clone()).collect());
            // Never replayed blindly: a timeout or a 5xx may come after Inqom booked the batch;
            // the pipeline asks `find_entry` (reference and amounts) before it sends again.
            let answer = self
                .core
                .send_once(|http| http.post(&url).json(&body))
                .await;
            let a = match answer {
                Ok(a) => a,
                Err(e) => {
                    out.extend(batch.into_iter().map(|(i, _)| (i, Err(e.clone()))));
                    continue;
                }
            };
            if a.status.is_success() {
                match http::json::<Vec<CreatedEntry>>(&a, NAME) {
                    Ok(created) => {
                        for (pos, (i, v)) in batch.iter().enumerate() {
                            let ext = v["ExternalId"].as_str();
                            let found = created
                                .iter()
                                .find(|c| c.external_id.as_deref() == ext)
                                .or_else(|| created.get(pos));
                            out.push((
                                *i,
                                found.map(|c| c.id).ok_or_else(|| {
                                    SinkError::retryable("Inqom did not return the created entry")
                                }),
                            ));
                        }
                    }
                    Err(e) => out.extend(batch.into_iter().map(|(i, _)| (i, Err(e.clone())))),
                }
            } else if a.status.as_u16() == 400 && batch.len() > 1 {
                tracing::info!(
                    size = batch.len(),
                    "Inqom refused a batch; splitting it to find the bad entry"
                );
                let mut first = batch;
                let second = first.split_off(first.len() / 2);
                stack.push(second);
                stack.push(first);
            } else {
                let piece = batch
                    .first()
                    .and_then(|(_, v)| v["Document"]["Reference"].as_str())
                    .unwrap_or("")
                    .to_string();
                let err = refused(&a, &format!("entry {piece}"));
                out.extend(batch.into_iter().map(|(i, _)| (i, Err(err.clone()))));
            }
        }
        out
    }

    /// Attaches the entry's PDF through `/accounting-documents`.
    pub(super) async fn attach(
        &self,
        entry_id: i64,
        e: &EntryToPush,
        pdf: &Attachment,
    ) -> Result<(), SinkError> {
        let url = self.dossier_path("/accounting-documents");
        let a = self
            .core
            .send(|http| {
                let form = Form::new()
                    .text("entryId", entry_id.to_string())
                    .text("date", e.entry.piece_date.format("%Y-%m-%d").to_string())
                    .text("reference", e.entry.piece_ref.clone())
                    .text("fileName", pdf.file_name.clone())
                    .part("file", file_part(pdf));
                http.post(&url).multipart(form)
            })
            .await?;
        let _: Value = self.ok_json(a, &format!("PDF of entry {}", e.entry.piece_ref))?;
        Ok(())
    }
}
