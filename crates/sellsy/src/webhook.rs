//! Sellsy webhooks as a trigger (research §4): verify `X-Webhook-Signature`, then turn the event
//! into "re-fetch invoice/credit note N". The payload's content is never trusted: only the
//! related type and id are read, and the document is fetched again through the API.

use app::ports::{DocRef, DocRefKind};
use serde_json::Value;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use app::ports::Secret;

pub const SIGNATURE_HEADER: &str = "X-Webhook-Signature";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookError {
    #[error("missing {SIGNATURE_HEADER} header")]
    MissingSignature,
    #[error("invalid webhook signature")]
    BadSignature,
    #[error("webhook sign key is not configured")]
    NoSignKey,
    #[error("unreadable webhook payload: {0}")]
    Payload(String),
}

/// The expected signature: lowercase hex SHA-1 of (sign key ‖ raw body). Not an HMAC
/// (research §4, help.sellsy.com article 5876622).
pub fn signature(sign_key: &Secret, raw_body: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(sign_key.expose().as_bytes());
    h.update(raw_body);
    hex::encode(h.finalize())
}

/// Verifies the signature header in constant time.
pub fn verify(
    sign_key: &Secret,
    raw_body: &[u8],
    header: Option<&str>,
) -> Result<(), WebhookError> {
    if sign_key.expose().is_empty() {
        return Err(WebhookError::NoSignKey);
    }
    let given = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(WebhookError::MissingSignature)?;
    let expected = signature(sign_key, raw_body);
    let given = given.to_ascii_lowercase();
    if given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(WebhookError::BadSignature)
    }
}

/// A verified event, reduced to what the pipeline acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// `eventType` ("docslog", "client", ...).
    pub event_type: String,
    /// `event` ("created", "step", "emailsent", "paymentadd", ...).
    pub event: String,
    /// `relatedtype` ("invoice", "creditnote", "estimate", ...).
    pub related_type: String,
    pub related_id: Option<u64>,
    pub timestamp: Option<String>,
    /// Sellsy sends no event id: a hash of (timestamp, type, event, related id, body) to
    /// deduplicate deliveries (research §4).
    pub dedup_key: String,
}

impl WebhookEvent {
    /// The document to fetch again, when the event is about a sales invoice or credit note.
    pub fn refetch(&self) -> Option<DocRef> {
        let kind = match self
            .related_type
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "invoice" => DocRefKind::Invoice,
            "creditnote" | "credit" => DocRefKind::CreditNote,
            _ => return None,
        };
        Some(DocRef {
            kind,
            id: self.related_id?,
        })
    }
}

fn field(v: &Value, k: &str) -> Option<String> {
    match v.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses a payload: JSON when the webhook has `json_content_type`, form-urlencoded otherwise
/// (research §4). Numbers may arrive as strings.
pub fn parse(content_type: Option<&str>, raw_body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let is_form = content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let v: Value = if is_form {
        let mut m = serde_json::Map::new();
        for (k, val) in form_urlencoded::parse(raw_body) {
            m.insert(k.into_owned(), Value::String(val.into_owned()));
        }
        // Some deliveries wrap the JSON object in a single form field.
        match m.len() {
            1 => {
                let only = m.values().next().and_then(Value::as_str).unwrap_or("");
                serde_json::from_str::<Value>(only)
                    .ok()
                    .filter(Value::is_object)
                    .unwrap_or(Value::Object(m))
            }
            _ => Value::Object(m),
        }
    } else {
        serde_json::from_slice(raw_body).map_err(|e| WebhookError::Payload(e.to_string()))?
    };
    if !v.is_object() {
        return Err(WebhookError::Payload("not an object".into()));
    }
    let event_type = field(&v, "eventType").unwrap_or_default();
    let event = field(&v, "event").unwrap_or_default();
    let related_type = field(&v, "relatedtype").unwrap_or_default();
    if event_type.is_empty() && related_type.is_empty() {
        return Err(WebhookError::Payload(
            "neither eventType nor relatedtype".into(),
        ));
    }
    let related_id: Option<u64> = field(&v, "relatedid").and_then(|s| s.trim().parse().ok());
    let timestamp = field(&v, "timestamp");
    let mut h = Sha256::new();
    let id = related_id.map(|i| i.to_string()).unwrap_or_default();
    for part in [timestamp.as_deref().unwrap_or(""), &event_type, &event, &id] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.update(raw_body);
    Ok(WebhookEvent {
        event_type,
        event,
        related_type,
        related_id,
        timestamp,
        dedup_key: hex::encode(h.finalize()),
    })
}

/// Verification then parsing: what an HTTP route calls with the raw request.
pub fn accept(
    sign_key: &Secret,
    signature_header: Option<&str>,
    content_type: Option<&str>,
    raw_body: &[u8],
) -> Result<WebhookEvent, WebhookError> {
    verify(sign_key, raw_body, signature_header)?;
    parse(content_type, raw_body)
}
