//! How a mail is stored: the keys of its records and blobs, and the summary kept of it. What
//! the sender wrote never sizes a key or a record: mail records are keyed by the SHA-256 of the
//! Message-ID (a DynamoDB sort key holds 1024 bytes), stored values are cut to a bound and the
//! stored summary is capped (a DynamoDB item holds 400 KB), so a mail is never lost to its headers.

use mail::MailOutcome;
use serde_json::{Value, json};

use super::sha256_hex;
/// Longest Message-ID or Subject kept in a record (RFC 5322 §2.1.1: a line is at most 998).
pub const MAX_STORED_TEXT: usize = 998;
/// Most part reports kept in a stored mail summary (the rest are counted).
pub const MAX_STORED_PARTS: usize = 200;
/// Largest stored mail summary, JSON bytes (a DynamoDB item holds 400 KB, keys included).
pub const MAX_SUMMARY_BYTES: usize = 300 * 1024;
/// Default number of notices one sender may receive per day.
pub const DEFAULT_NOTICES_PER_SENDER_PER_DAY: u32 = 5;

/// Store partition of the notices sent to one sender (per-mail claims and per-day counts).
pub fn notice_pk(sender: &str) -> String {
    format!("NOTICE#{}", sha256_hex(sender.as_bytes()))
}

/// Sort key of a mail's record: the SHA-256 of its Message-ID, else of its raw bytes.
pub fn mail_key(message_id: Option<&str>, raw: &[u8]) -> String {
    match message_id {
        Some(id) => sha256_hex(id.as_bytes()),
        None => sha256_hex(raw),
    }
}

/// `s` cut to at most `max` bytes on a character boundary.
pub(crate) fn cut(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The outcome as stored: sender-sized values cut, part reports capped, the whole bounded.
pub fn stored_summary(outcome: &MailOutcome) -> Value {
    let mut v = serde_json::to_value(outcome).unwrap_or_default();
    for field in ["message_id", "subject"] {
        if let Some(Value::String(s)) = v.get_mut(field) {
            *s = cut(s, MAX_STORED_TEXT);
        }
    }
    if let Some(Value::String(s)) = v.pointer_mut("/auth/detail") {
        *s = cut(s, MAX_STORED_TEXT);
    }
    if let Some(Value::Array(parts)) = v.get_mut("parts")
        && parts.len() > MAX_STORED_PARTS
    {
        let omitted = parts.len() - MAX_STORED_PARTS;
        parts.truncate(MAX_STORED_PARTS);
        v["parts_omitted"] = json!(omitted);
    }
    if serde_json::to_vec(&v).map_or(usize::MAX, |b| b.len()) <= MAX_SUMMARY_BYTES {
        return v;
    }
    // Still too large: what matters for a person, nothing the sender can make long.
    json!({
        "from": outcome.from.as_deref().map(|f| cut(f, MAX_STORED_TEXT)),
        "received_at": outcome.received_at,
        "size": outcome.size,
        "rejection": outcome.rejection,
        "deliveries": outcome.deliveries.iter().map(|d| json!({
            "recipient": cut(&d.recipient, MAX_STORED_TEXT),
            "dossier_id": d.dossier_id,
            "documents": d.documents.len(),
            "rejection": d.rejection,
        })).collect::<Vec<_>>(),
        "summary_truncated": true,
    })
}
