//! Sample mails of the demo: what a document platform such as Welyb sends (two scans and a
//! Factur-X e-invoice, booked from its data), a spoofed copy, a file in a format the ledger
//! does not take, and a file lying about its type.

use anyhow::{Context, Result};
use app::ports::{BlobStore, Clock, Queue, RecordStore};
use app::usecases::Pipeline;
use base64::Engine;
use domain::config::DossierConfig;
use serve::intake::{accept_recipients, deliver};
use serve::smtp;

use super::names::{AUTHSERV, DOSSIER, MAIL_DOMAIN};

/// A minimal valid PDF (one empty page).
pub fn sample_pdf(label: &str) -> Vec<u8> {
    let body = format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n% {label}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    );
    body.into_bytes()
}

/// A Factur-X invoice (EN 16931 profile, two VAT rates, an allowance and a charge) from a
/// supplier to the demo dossier's company, written by `einvoice::testkit` from the norm.
pub fn sample_facturx(buyer_siren: &str) -> Vec<u8> {
    use einvoice::testkit::forge::{Kind, Level, Party, Spec};
    let mut spec = Spec::typical(Kind::Cii(Level::En16931));
    spec.seller = Party::french("Fournitures Bureau Plus", "552081317");
    spec.buyer = Party::french("ACME SAS", buyer_siren);
    let xml = einvoice::testkit::xmlout::write(&spec);
    einvoice::testkit::pdfout::pdf("factur-x.xml", xml.as_bytes(), true, 0)
}

/// A mail with attachments; `dmarc` is what our MTA wrote in its `Authentication-Results`.
pub fn mail(
    from: &str,
    to: &str,
    subject: &str,
    dmarc: &str,
    authserv_id: &str,
    files: &[(&str, &str, Vec<u8>)],
) -> Vec<u8> {
    let domain = from.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
    let mut out = format!(
        "Authentication-Results: {authserv_id}; spf=pass smtp.mailfrom={domain}; dkim={dkim} header.d={domain}; dmarc={dmarc} header.from={domain}\r\n\
         From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}@{domain}>\r\nDate: Mon, 23 Nov 2026 08:00:00 +0100\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"sep\"\r\n\r\n\
         --sep\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour,\r\nveuillez trouver les pièces ci-jointes.\r\n",
        dkim = if dmarc == "pass" { "pass" } else { "fail" },
        id = subject.replace(' ', "-").to_lowercase(),
    );
    for (name, ctype, bytes) in files {
        out.push_str(&format!(
            "--sep\r\nContent-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        ));
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        for line in encoded.as_bytes().chunks(76) {
            out.push_str(std::str::from_utf8(line).unwrap_or(""));
            out.push_str("\r\n");
        }
    }
    out.push_str("--sep--\r\n");
    out.into_bytes()
}

/// What became of one sample mail.
pub struct MailReport {
    pub what: &'static str,
    pub accepted: Vec<String>,
    pub rejected: Vec<(String, String)>,
}

/// Sends the six sample mails over SMTP to the listener `serve` runs, and takes them in.
pub async fn send<S, B, Q, C>(
    pipeline: &Pipeline<S, B, Q, C>,
    configs: &[DossierConfig],
) -> Result<Vec<MailReport>>
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
{
    let domains = vec![MAIL_DOMAIN.to_string()];
    let achat = format!("achat.{DOSSIER}@{MAIL_DOMAIN}");
    let vente = format!("vente.{DOSSIER}@{MAIL_DOMAIN}");
    let unknown = format!("achat.inconnu@{MAIL_DOMAIN}");
    let buyer = configs
        .iter()
        .find(|c| c.id == DOSSIER)
        .map(|c| c.siren.clone())
        .context("the demo dossier")?;
    let samples: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "Welyb sends two supplier invoices",
            &achat,
            mail("no-reply@welyb.fr", &achat, "Factures fournisseurs", "pass", AUTHSERV, &[
                ("facture-edf-2026-05.pdf", "application/pdf", sample_pdf("EDF mai 2026")),
                ("facture-orange-2026-05.pdf", "application/pdf", sample_pdf("Orange mai 2026")),
            ]),
        ),
        (
            "Welyb forwards a Factur-X e-invoice",
            &achat,
            mail("no-reply@welyb.fr", &achat, "Facture electronique", "pass", AUTHSERV, &[
                ("FA-2026-0042-bureau-plus.pdf", "application/pdf", sample_facturx(&buyer)),
            ]),
        ),
        (
            "A spoofed copy claiming to be Welyb (DMARC fail)",
            &achat,
            mail("no-reply@welyb.fr", &achat, "Factures urgentes", "fail", AUTHSERV, &[
                ("facture.pdf", "application/pdf", sample_pdf("spoof")),
            ]),
        ),
        (
            "An executable sent as an invoice",
            &achat,
            mail("no-reply@welyb.fr", &achat, "Facture executable", "pass", AUTHSERV, &[
                ("facture.exe", "application/octet-stream", b"MZ\x90\x00\x03\x00\x00\x00".repeat(64)),
            ]),
        ),
        (
            "A web page named .xls",
            &vente,
            mail("no-reply@welyb.fr", &vente, "Releve ventes", "pass", AUTHSERV, &[
                ("releve.xls", "application/vnd.ms-excel", b"<html><body><table><tr><td>Vente</td><td>120,00</td></tr></table></body></html>".to_vec()),
            ]),
        ),
        (
            "A mail to an address no dossier collects at",
            &unknown,
            mail("no-reply@welyb.fr", &unknown, "Facture perdue", "pass", AUTHSERV, &[
                ("facture-perdue.pdf", "application/pdf", sample_pdf("perdue")),
            ]),
        ),
    ];
    let listener = smtp::bind("127.0.0.1:0").await?;
    let smtp_addr = listener.local_addr()?;
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let (mail_tx, mail_rx) = tokio::sync::mpsc::channel(4);
    let (reports_tx, mut reports_rx) = tokio::sync::mpsc::unbounded_channel();
    let smtp_cfg = smtp::Config {
        name: smtp::GREETING_NAME.into(),
        max_bytes: 40 * 1024 * 1024,
        accept: accept_recipients(configs, &domains),
        limits: smtp::Limits::default(),
    };
    tokio::spawn(smtp::serve(listener, smtp_cfg, mail_tx, stop));
    let sending = async {
        let mut sent = Vec::new();
        for (what, to, raw) in &samples {
            sent.push((
                *what,
                smtp::send(smtp_addr, "no-reply@welyb.fr", &[to.to_string()], raw).await,
            ));
        }
        let _ = stop_tx.send(true);
        sent
    };
    let (sent, ()) = tokio::join!(
        sending,
        deliver(
            pipeline,
            configs,
            &domains,
            AUTHSERV,
            mail_rx,
            Some(reports_tx)
        )
    );
    let mut mail_reports: Vec<MailReport> = Vec::new();
    for (what, result) in sent {
        let sent = result?;
        let refused: Vec<String> = sent
            .recipients
            .iter()
            .filter(|(_, code, _)| *code != 250)
            .map(|(to, code, text)| format!("SMTP {code} for {to}: {text}"))
            .collect();
        let mut report = MailReport {
            what,
            accepted: Vec::new(),
            rejected: Vec::new(),
        };
        for r in refused {
            report.rejected.push((
                r,
                "check the collection address (achat|vente|ndf|admin.<dossier>@<domain>)".into(),
            ));
        }
        if matches!(sent.data, Some((250, _))) {
            let intake = reports_rx
                .try_recv()
                .context("the SMTP listener accepted a mail without an intake report")?;
            report.accepted = intake
                .outcome
                .documents()
                .map(|d| d.file_name.clone())
                .collect();
            report.rejected.extend(
                intake
                    .outcome
                    .rejections()
                    .map(|x| (x.message.clone(), x.action.clone())),
            );
        } else if let Some((code, text)) = sent.data {
            report
                .rejected
                .push((format!("SMTP {code}: {text}"), "send it again later".into()));
        }
        mail_reports.push(report);
    }
    Ok(mail_reports)
}
