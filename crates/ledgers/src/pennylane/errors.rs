//! Pennylane's error answers as a [`SinkError`]: Pennylane's own message and the action to take.

use app::ports::{SinkError, SinkErrorKind};
use serde::Deserialize;
use serde_json::Value;

use crate::http::{Answer, error, short};

/// Both documented error shapes: `{error, status}` / `{error, message, details}` and
/// `{message, code}`.
#[derive(Deserialize, Default)]
struct PlError {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    details: Option<Value>,
}

/// The ledger's message from a 4xx body.
pub fn pennylane_message(body: &str) -> String {
    let Ok(e) = serde_json::from_str::<PlError>(body) else {
        return short(body);
    };
    let mut parts: Vec<String> = Vec::new();
    match (&e.message, &e.error) {
        (Some(m), _) => parts.push(m.clone()),
        (None, Some(err)) => parts.push(err.clone()),
        _ => {}
    }
    if let Some(code) = &e.code {
        parts.push(format!("({code})"));
    }
    if let Some(d) = &e.details {
        let d = match d {
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k}: {}",
                        v.as_str().map(str::to_string).unwrap_or(v.to_string())
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        if !d.is_empty() {
            parts.push(format!("[{d}]"));
        }
    }
    if parts.is_empty() {
        short(body)
    } else {
        short(&parts.join(" "))
    }
}

/// What a person should do about a refused request.
fn action_for(status: u16, message: &str, what: &str) -> String {
    let m = message.to_lowercase();
    if status == 404 {
        return format!(
            "check the Pennylane company and the {what} in the sink configuration: Pennylane does not know it"
        );
    }
    if m.contains("balanced") || m.contains("équilibr") {
        return "the entry is unbalanced for Pennylane: check the document's amounts at the source, then push again".into();
    }
    if m.contains("closed") || m.contains("clôtur") || m.contains("locked") || m.contains("fiscal")
    {
        return "the period is closed in Pennylane: ask the firm to reopen it or change the entry date".into();
    }
    if m.contains("journal") {
        return "check the journal in Pennylane (Paramètres › Journaux) and the dossier's journal codes".into();
    }
    if m.contains("account") || m.contains("compte") {
        return "check the ledger accounts in Pennylane's chart and the dossier's account numbers"
            .into();
    }
    format!(
        "correct the {what} at the source or in the dossier configuration as Pennylane's message says, then push again"
    )
}

/// A refused request (any answer that is not a success, 401, 429 or 5xx) about `what`.
pub(super) fn refused(a: &Answer, what: &str) -> SinkError {
    let status = a.status.as_u16();
    let message = pennylane_message(&a.text());
    let kind = if status == 403 {
        SinkErrorKind::Auth
    } else {
        SinkErrorKind::Permanent
    };
    let action = if status == 403 {
        "give the Pennylane token the missing scope (ledger_entries:all, ledger_accounts:all, journals:all, file_attachments:all, customers:all, suppliers:all)".to_string()
    } else {
        action_for(status, &message, what)
    };
    error(
        kind,
        Some(status),
        format!("Pennylane refused the {what}: {message}"),
        action,
        None,
    )
}
