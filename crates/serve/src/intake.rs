//! Mail in: which recipients the SMTP listener accepts, and the intake of what it receives.

use std::sync::Arc;

use app::ports::{BlobStore, Clock, Queue, RecordStore};
use app::usecases::Pipeline;
use app::usecases::intake::IntakeReport;
use domain::config::DossierConfig;
use mail::{AuthSource, Envelope};
use tokio::sync::mpsc;

use crate::events::event;
use crate::smtp;

/// What accepts a recipient: a collection address of a configured dossier on one of the
/// collection domains.
pub fn accept_recipients(dossiers: &[DossierConfig], domains: &[String]) -> smtp::Accept {
    let slugs: Vec<String> = dossiers.iter().map(|d| d.mail.slug.clone()).collect();
    let domains = domains.to_vec();
    Arc::new(move |to: &str| {
        let route = mail::route(to).map_err(|r| r.message)?;
        if !domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&route.domain))
        {
            return Err(format!(
                "{} is not one of our collection domains",
                route.domain
            ));
        }
        if !slugs.contains(&route.slug) {
            return Err(format!("no dossier collects mail at {}", route.address));
        }
        Ok(())
    })
}

/// Takes the SMTP listener's messages into the pipeline; every report is also handed to
/// `reports` when given (the demo prints them).
pub async fn deliver<S, B, Q, C>(
    pipeline: &Pipeline<S, B, Q, C>,
    dossiers: &[DossierConfig],
    domains: &[String],
    authserv_id: &str,
    mut rx: mpsc::Receiver<smtp::Delivery>,
    reports: Option<mpsc::UnboundedSender<IntakeReport>>,
) where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
{
    while let Some(d) = rx.recv().await {
        let envelope = Envelope {
            recipients: d.recipients.clone(),
            // Only our own MTA's header is trusted (the one naming our authserv-id).
            auth: AuthSource::AuthenticationResults {
                authserv_id: authserv_id.to_string(),
            },
        };
        let reply = match pipeline
            .intake(dossiers, domains, &d.raw, &envelope, None)
            .await
        {
            Ok(report) => {
                let accepted = report.outcome.documents().count();
                let reasons: Vec<String> = report
                    .outcome
                    .rejections()
                    .map(|r| r.message.clone())
                    .collect();
                event(
                    "mail",
                    &format!(
                        "to {}: {accepted} file(s) accepted, {} queued, {} duplicate(s){}",
                        d.recipients.join(", "),
                        report.queued,
                        report.duplicates,
                        if reasons.is_empty() {
                            String::new()
                        } else {
                            format!("; rejected: {}", reasons.join(" | "))
                        }
                    ),
                );
                let text = format!(
                    "2.0.0 kept as {}: {accepted} file(s) accepted, {} rejected",
                    report.raw_key,
                    reasons.len()
                );
                if let Some(r) = &reports {
                    let _ = r.send(report);
                }
                (250, text)
            }
            Err(e) => {
                event(
                    "mail",
                    &format!("intake failed, sender asked to retry: {e}"),
                );
                (
                    451,
                    "4.3.0 temporary storage failure, try again later".into(),
                )
            }
        };
        let _ = d.reply.send(reply);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_collection_addresses_of_configured_dossiers() {
        let cfg = domain::config::ConfigFile::from_toml(include_str!(
            "../../../infra/dossiers.example.toml"
        ))
        .unwrap();
        let accept = accept_recipients(&cfg.dossiers, &["collecte.example.fr".into()]);
        assert!(accept("achat.acme@collecte.example.fr").is_ok());
        assert!(accept("<VENTE.acme@Collecte.Example.fr>").is_ok());
        let unknown = accept("achat.nobody@collecte.example.fr").unwrap_err();
        assert!(unknown.contains("no dossier"), "{unknown}");
        assert!(accept("achat.acme@elsewhere.fr").is_err());
        assert!(accept("postmaster@collecte.example.fr").is_err());
    }
}
