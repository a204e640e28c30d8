//! Downloading a document's PDF from a freshly read `pdf_link`, and checking it is one.

use app::ports::{DocRef, DocRefKind, PdfFile};
use sha2::{Digest, Sha256};

use super::routes::route;
use crate::client::{Call, SellsyClient};
use crate::error::SellsyError;
use crate::wire;

impl SellsyClient {
    /// Downloads a document's PDF from a freshly read `pdf_link` (research §2.4: the link is
    /// regenerated after each edit, so never from a cached one), checks it is a PDF and
    /// records its SHA-256. `None` when the document has no PDF.
    pub async fn download_pdf(&self, doc: DocRef) -> Result<Option<PdfFile>, SellsyError> {
        if matches!(
            doc.kind,
            DocRefKind::PurchaseInvoice | DocRefKind::PurchaseCreditNote
        ) {
            return Err(SellsyError::Decode {
                what: format!("purchase {}", doc.id),
                reason: "Sellsy API v2 has no file route for a purchase: its file comes from the link the pull read in the purchases journal".into(),
            });
        }
        let (base, scope) = route(doc.kind);
        let d: wire::Document = self
            .call_json(Call::get(format!("{base}/{}", doc.id), scope))
            .await?;
        let link = match &d.pdf_link {
            wire::Presence::Value(l) => l.clone(),
            wire::Presence::Null => return Ok(None),
            wire::Presence::Absent => {
                return Err(SellsyError::Decode {
                    what: format!("{base}/{}", doc.id),
                    reason: "pdf_link absent from the answer".into(),
                });
            }
        };
        let what = format!("{base}/{}", doc.id);
        let bytes = self.get_file(&link, &what).await?;
        check_pdf(&bytes).map_err(|reason| SellsyError::NotPdf {
            what: what.clone(),
            reason,
        })?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        tracing::info!(document = %what, size = bytes.len(), %sha256, "sellsy: PDF downloaded");
        Ok(Some(PdfFile { bytes, sha256 }))
    }

    /// Downloads a purchase's file from the link the pull read (`document.public_link` of its
    /// purchases-journal lines: research §2.6, v2 has no other): a PDF or an image, checked by
    /// its content; a web page (what the link gives for sales documents) is refused.
    pub async fn download_linked(
        &self,
        doc: DocRef,
        link: &str,
    ) -> Result<Option<PdfFile>, SellsyError> {
        if link.trim().is_empty() {
            return Ok(None);
        }
        let what = format!("purchase {}", doc.id);
        let bytes = self.get_file(link, &what).await?;
        check_file(&bytes).map_err(|reason| SellsyError::NotPdf {
            what: what.clone(),
            reason,
        })?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        tracing::info!(document = %what, size = bytes.len(), %sha256, "sellsy: file downloaded");
        Ok(Some(PdfFile { bytes, sha256 }))
    }

    async fn get_file(&self, link: &str, what: &str) -> Result<Vec<u8>, SellsyError> {
        let inner = &self.inner;
        let cfg = &inner.cfg;
        let host = reqwest::Url::parse(link)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .ok_or_else(|| SellsyError::Decode {
                what: what.into(),
                reason: "pdf_link is not a URL".into(),
            })?;
        let mut attempt = 0;
        let mut with_bearer = false;
        loop {
            attempt += 1;
            let mut rb = inner.http.get(link).timeout(cfg.request_timeout);
            if with_bearer {
                let (t, _) = inner.auth.get(inner).await?;
                rb = rb.bearer_auth(t.expose());
            }
            // The link is a signed URL: errors are reported without it.
            let last = match rb.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let ctype = resp
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    match status {
                        200..=299 => match resp.bytes().await {
                            Ok(b) => {
                                if ctype.starts_with("text/html") {
                                    return Err(SellsyError::NotPdf {
                                        what: what.into(),
                                        reason: format!("content type {ctype}"),
                                    });
                                }
                                return Ok(b.to_vec());
                            }
                            Err(e) => e.without_url().to_string(),
                        },
                        // research §2.4: whether the link needs the bearer is unconfirmed.
                        401 | 403
                            if !with_bearer && cfg.trusted_pdf_hosts.iter().any(|h| h == &host) =>
                        {
                            with_bearer = true;
                            attempt -= 1;
                            continue;
                        }
                        429 | 500..=599 => format!("HTTP {status}"),
                        _ => {
                            return Err(SellsyError::Api {
                                status,
                                what: format!("PDF of {what}"),
                                message: format!("PDF download refused ({ctype})"),
                                context: None,
                                details: Default::default(),
                            });
                        }
                    }
                }
                Err(e) => e.without_url().to_string(),
            };
            if attempt >= cfg.retry.max_attempts {
                return Err(SellsyError::Exhausted {
                    what: format!("PDF of {what}"),
                    attempts: attempt,
                    status: None,
                    last,
                });
            }
            tokio::time::sleep(crate::client::backoff(&cfg.retry, attempt, None)).await;
        }
    }
}

/// A supplier's file as Sellsy may store it: a PDF (see [`check_pdf`]), or a PNG, JPEG or TIFF
/// image, recognised by its signature.
pub fn check_file(bytes: &[u8]) -> Result<(), String> {
    let image = bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || bytes.starts_with(&[0xff, 0xd8, 0xff])
        || bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*");
    if image && bytes.len() > 16 {
        return Ok(());
    }
    check_pdf(bytes).map_err(|e| format!("neither a PDF nor an image: {e}"))
}

/// A PDF starts with `%PDF-` (within the first KiB, per the PDF spec's tolerance) and ends with
/// `%%EOF` (within the last KiB).
pub fn check_pdf(bytes: &[u8]) -> Result<(), String> {
    if bytes.is_empty() {
        return Err("empty file".into());
    }
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        let start = String::from_utf8_lossy(&bytes[..bytes.len().min(16)]).into_owned();
        return Err(format!("no %PDF- header (starts with {start:?})"));
    }
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err("no %%EOF trailer (truncated?)".into());
    }
    Ok(())
}
