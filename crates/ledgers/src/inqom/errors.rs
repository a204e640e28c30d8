//! Inqom's error answers as a [`SinkError`]: Inqom's own message and the action to take.

use app::ports::{SinkError, SinkErrorKind};
use serde_json::Value;

use crate::http::{Answer, error, short};

/// Said when an entry falls in a locked period.
pub(super) const LOCKED_ACTION: &str =
    "the period is locked in Inqom: ask the firm to reopen it or change the entry date";

/// The ledger's message from an error body: ProblemDetails (`title`, `detail`, `errors`),
/// `Message`/`message`, or the text itself.
pub fn inqom_message(body: &str) -> String {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return short(body);
    };
    let mut parts: Vec<String> = Vec::new();
    fn collect(v: &Value, parts: &mut Vec<String>) {
        match v {
            Value::String(s) if !s.trim().is_empty() => parts.push(s.trim().to_string()),
            Value::Array(a) => a.iter().for_each(|x| collect(x, parts)),
            Value::Object(m) => {
                for (k, x) in m {
                    match x {
                        Value::String(_) | Value::Array(_) => {
                            if matches!(
                                k.to_ascii_lowercase().as_str(),
                                "message"
                                    | "title"
                                    | "detail"
                                    | "error"
                                    | "error_description"
                                    | "reason"
                                    | "errors"
                            ) {
                                collect(x, parts)
                            } else if !k.eq_ignore_ascii_case("type")
                                && !k.eq_ignore_ascii_case("traceid")
                            {
                                let mut inner = Vec::new();
                                collect(x, &mut inner);
                                if !inner.is_empty() {
                                    parts.push(format!("{k}: {}", inner.join("; ")));
                                }
                            }
                        }
                        Value::Object(_) => collect(x, parts),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    collect(&v, &mut parts);
    if parts.is_empty() {
        short(body)
    } else {
        short(&parts.join(" — "))
    }
}

fn action_for(message: &str) -> String {
    let m = message.to_lowercase();
    if m.contains("locked") || m.contains("verrouill") || m.contains("clôtur") {
        LOCKED_ACTION.into()
    } else if m.contains("journal") {
        "check the journals in Inqom (Paramètres › Journaux) and the dossier's journal codes".into()
    } else if m.contains("account") || m.contains("compte") {
        "check the accounts in Inqom's chart and the dossier's account numbers".into()
    } else if m.contains("balance") || m.contains("équilibr") || m.contains("equilibr") {
        "the entry is unbalanced for Inqom: check the document's amounts at the source".into()
    } else if m.contains("forbidden") || m.contains("right") || m.contains("droit") {
        "give the Inqom system user the right to post entries in this dossier".into()
    } else {
        "correct the document at the source or the dossier configuration as Inqom's message says, then push again".into()
    }
}

/// A refused request (any answer that is not a success, 401, 429 or 5xx) about `what`.
pub(super) fn refused(a: &Answer, what: &str) -> SinkError {
    let status = a.status.as_u16();
    let message = inqom_message(&a.text());
    match status {
        403 => error(
            SinkErrorKind::Auth,
            Some(403),
            format!("Inqom refused the {what}: {message}"),
            "give the Inqom system user access to this dossier, or check the dossier id in the sink configuration",
            None,
        ),
        404 => error(
            SinkErrorKind::Permanent,
            Some(404),
            format!("Inqom does not know the {what}: {message}"),
            "check the Inqom dossier id in the sink configuration",
            None,
        ),
        _ => error(
            SinkErrorKind::Permanent,
            Some(status),
            format!("Inqom refused the {what}: {message}"),
            action_for(&message),
            None,
        ),
    }
}
