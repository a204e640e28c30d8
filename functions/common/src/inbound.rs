//! mail-inbound: SES received a mail for a collection address; its receipt rule's S3 action
//! stored the raw MIME at `inbound/<SES message id>`, then its Lambda action (`InvocationType:
//! Event`) invokes this with the notification, which carries the envelope and the verdicts but
//! never the body.

use anyhow::{Context, Result, anyhow};
use app::ports::BlobStore;
use app::usecases::intake::{IntakeReport, NoticePolicy};
use aws_lambda_events::event::ses::{SimpleEmailEvent, SimpleEmailRecord, SimpleEmailVerdict};
use mail::{AuthSource, Envelope, SesVerdicts};

use crate::cloud::Cloud;

/// The S3 action's `ObjectKeyPrefix` unless `PASSERELLE_INBOUND_PREFIX` says.
pub const DEFAULT_INBOUND_PREFIX: &str = "inbound/";

/// The prefix the receipt rule stores raw mail under.
pub fn inbound_prefix() -> String {
    std::env::var("PASSERELLE_INBOUND_PREFIX")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| DEFAULT_INBOUND_PREFIX.to_string())
}

fn verdict(v: &SimpleEmailVerdict) -> String {
    // Unknown or missing verdicts are "not PASS" for the mail crate.
    v.status.clone().unwrap_or_default()
}

/// The envelope of one SES notification: RCPT TO and the receipt's verdicts.
pub fn envelope(record: &SimpleEmailRecord) -> Envelope {
    let receipt = &record.ses.receipt;
    Envelope {
        recipients: receipt.recipients.clone(),
        auth: AuthSource::Ses(SesVerdicts {
            spam: verdict(&receipt.spam_verdict),
            virus: verdict(&receipt.virus_verdict),
            spf: verdict(&receipt.spf_verdict),
            dkim: verdict(&receipt.dkim_verdict),
            dmarc: verdict(&receipt.dmarc_verdict),
        }),
    }
}

/// `PASSERELLE_NOTICES_PER_SENDER_PER_DAY` (default 5 — see `app::usecases::intake`; 0 sends
/// none): how many notices about refused files one sender may get per day.
pub fn notice_policy() -> NoticePolicy {
    match std::env::var("PASSERELLE_NOTICES_PER_SENDER_PER_DAY") {
        Ok(v) => match v.trim().parse() {
            Ok(per_sender_per_day) => NoticePolicy { per_sender_per_day },
            Err(_) => {
                tracing::error!(value = %v, "PASSERELLE_NOTICES_PER_SENDER_PER_DAY is not a number; the default applies");
                NoticePolicy::default()
            }
        },
        Err(_) => NoticePolicy::default(),
    }
}

/// Takes every mail of the notification in. An error (S3 or DynamoDB unavailable, the raw mail
/// not there yet) fails the invocation: Lambda retries an asynchronous event twice, and the
/// intake is idempotent (the raw key and the mail's id are claimed once).
pub async fn handle(
    cloud: &Cloud,
    event: &SimpleEmailEvent,
    prefix: &str,
) -> Result<Vec<IntakeReport>> {
    let mut reports = Vec::new();
    for record in &event.records {
        let id = record
            .ses
            .mail
            .message_id
            .clone()
            .ok_or_else(|| anyhow!("SES notification without mail.messageId"))?;
        let key = format!("{prefix}{id}");
        let raw = cloud
            .pipeline
            .blobs
            .get(&key)
            .await
            .with_context(|| format!("reading the raw mail {key}"))?
            .ok_or_else(|| {
                anyhow!("the raw mail {key} is not in the bucket: check the receipt rule's S3 action (bucket, ObjectKeyPrefix) comes before its Lambda action")
            })?;
        // Refused files are explained to their sender by SES, only when the sender is
        // authenticated and allow-listed, once per mail, rate-limited per sender and day.
        let report = cloud
            .pipeline
            .intake_notifying(
                &cloud.dossiers.configs,
                &cloud.mail_domains,
                &raw,
                &envelope(record),
                Some(&key),
                &cloud.notifier,
                notice_policy(),
            )
            .await
            .with_context(|| format!("intake of {key}"))?;
        tracing::info!(key = %key, queued = report.queued, duplicates = report.duplicates, "mail taken in");
        reports.push(report);
    }
    Ok(reports)
}
