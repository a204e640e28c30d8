//! Sellsy's error envelope, as the official spec's `Error` schema describes it.

use serde_json::{Value, json};

/// `{"error":{code,message,context,details}}`.
pub(crate) fn sellsy_error(
    status: u16,
    message: &str,
    context: Option<&str>,
    details: Value,
) -> Value {
    json!({ "error": { "code": status, "message": message, "context": context, "details": details } })
}
