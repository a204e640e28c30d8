//! The signature of passerelle's own trigger requests (`POST /sync`, `GET /runs/{id}`):
//!
//! ```text
//! X-Passerelle-Timestamp: <unix seconds>
//! X-Passerelle-Signature: v2=<lower-case hex of HMAC-SHA256(secret, "<timestamp>\n<METHOD>\n<path>\n<body>")>
//! ```
//!
//! The signed string binds the request line to its body: the method (upper case), the path
//! without its query string (`/runs/abc`), then the raw body (empty for a GET). A signature
//! for `POST /sync` is useless on `GET /runs/<id>` and the other way round. The first scheme
//! (`v1=`, over the timestamp and the body only) let a captured `POST /sync` be replayed as a
//! `GET /runs/<id>` with the same body; it is refused with a message saying what to sign. The
//! scheme is Stripe's (`t=`/`v1=`) reduced to two headers.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const TIMESTAMP_HEADER: &str = "X-Passerelle-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Passerelle-Signature";
/// A request is accepted this many seconds either side of the server's clock.
pub const REPLAY_WINDOW_SECS: i64 = 300;

fn mac(secret: &[u8], timestamp: &str, method: &str, path: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length (RFC 2104), so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts any key");
    // No field can hold a line feed (digits; an HTTP method token; a request path), so the
    // joined string is unambiguous.
    for part in [timestamp, &method.to_ascii_uppercase(), path] {
        mac.update(part.as_bytes());
        mac.update(b"\n");
    }
    mac.update(body);
    mac
}

/// The two signature headers of `METHOD path` with `body`, sent at `timestamp` (unix
/// seconds). `path` is the path without its query string.
pub fn sign(
    secret: &[u8],
    timestamp: i64,
    method: &str,
    path: &str,
    body: &[u8],
) -> [(String, String); 2] {
    let ts = timestamp.to_string();
    let signature = hex::encode(mac(secret, &ts, method, path, body).finalize().into_bytes());
    [
        (TIMESTAMP_HEADER.to_string(), ts),
        (SIGNATURE_HEADER.to_string(), format!("v2={signature}")),
    ]
}

/// Why a request's signature is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// No signing secret is configured on this server.
    NotConfigured,
    /// A signature header is missing.
    Unsigned,
    /// The timestamp is not a number of seconds.
    BadTimestamp,
    /// The timestamp is more than the replay window away from the server's clock.
    Stale { skew_secs: i64 },
    /// A `v1=` signature: that scheme did not cover the method and path.
    OldScheme,
    /// The signature does not match.
    BadSignature,
}

/// A verified signature: its timestamp and its bytes (the replay key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub timestamp: i64,
    pub signature: Vec<u8>,
}

/// The request as signed.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    pub method: &'a str,
    /// Without the query string.
    pub path: &'a str,
    pub body: &'a [u8],
}

/// Checks the headers against the request at `now` (unix seconds): timestamp within the
/// window, then the MAC, compared in constant time (`Mac::verify_slice`).
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    request: Signed<'_>,
    now: i64,
) -> Result<Verified, SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NotConfigured);
    }
    let (Some(ts_text), Some(sig_text)) = (
        timestamp.map(str::trim).filter(|t| !t.is_empty()),
        signature.map(str::trim).filter(|s| !s.is_empty()),
    ) else {
        return Err(SignatureError::Unsigned);
    };
    let ts: i64 = ts_text.parse().map_err(|_| SignatureError::BadTimestamp)?;
    let skew = now.saturating_sub(ts);
    if skew.unsigned_abs() > REPLAY_WINDOW_SECS.unsigned_abs() {
        return Err(SignatureError::Stale { skew_secs: skew });
    }
    if sig_text.starts_with("v1=") {
        return Err(SignatureError::OldScheme);
    }
    let hex_sig = sig_text
        .strip_prefix("v2=")
        .ok_or(SignatureError::BadSignature)?;
    let given = hex::decode(hex_sig).map_err(|_| SignatureError::BadSignature)?;
    mac(secret, ts_text, request.method, request.path, request.body)
        .verify_slice(&given)
        .map_err(|_| SignatureError::BadSignature)?;
    Ok(Verified {
        timestamp: ts,
        signature: given,
    })
}
