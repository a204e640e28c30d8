//! The transport-neutral request and response of the trigger routes.

use serde_json::{Value, json};

/// Bodies larger than this are refused (413) before anything else is looked at.
pub const MAX_BODY: usize = 64 * 1024;

/// A request as the transport received it. `path` is the raw path (a query string, if any, is
/// ignored); header names are matched case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The first header named `name`, any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without its query string.
    pub fn route_path(&self) -> &str {
        self.path.split(['?', '#']).next().unwrap_or("")
    }
}

/// The answer: a status and a JSON body (`Content-Type: application/json`).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: Value,
}

impl HttpResponse {
    pub fn new(status: u16, body: Value) -> HttpResponse {
        HttpResponse { status, body }
    }

    /// A refusal: what went wrong and what to do about it.
    pub fn error(status: u16, error: impl Into<String>, action: impl Into<String>) -> HttpResponse {
        HttpResponse::new(
            status,
            json!({ "error": error.into(), "action": action.into() }),
        )
    }

    /// The body as bytes, for the transport.
    pub fn body_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.body).unwrap_or_default()
    }
}
