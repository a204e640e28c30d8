//! Chift's error answers as a [`SinkError`]: `ChiftError {message, status, detail, error_code}`
//! and FastAPI's `HTTPValidationError {detail: [{loc, msg, type}]}`, with the action per
//! `error_code` (the codes are the spec's examples).

use app::ports::{SinkError, SinkErrorKind};
use serde::Deserialize;
use serde_json::Value;

use crate::http::{Answer, error, short};

#[derive(Deserialize, Default)]
struct ChiftError {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    detail: Option<Value>,
    #[serde(default)]
    error_code: Option<String>,
}

/// The message of an error body, and its `error_code`.
pub fn chift_message(body: &str) -> (String, Option<String>) {
    let Ok(e) = serde_json::from_str::<ChiftError>(body) else {
        return (short(body), None);
    };
    let mut parts: Vec<String> = e.message.into_iter().filter(|m| !m.is_empty()).collect();
    match &e.detail {
        Some(Value::String(d)) if !d.is_empty() => parts.push(d.clone()),
        // HTTPValidationError: where and what.
        Some(Value::Array(items)) => {
            for i in items {
                let loc = i["loc"]
                    .as_array()
                    .map(|l| {
                        l.iter()
                            .map(|p| p.as_str().map(str::to_string).unwrap_or(p.to_string()))
                            .collect::<Vec<_>>()
                            .join(".")
                    })
                    .unwrap_or_default();
                let msg = i["msg"].as_str().unwrap_or_default();
                parts.push(format!("{loc}: {msg}"));
            }
        }
        _ => {}
    }
    let text = if parts.is_empty() {
        short(body)
    } else {
        short(&parts.join("; "))
    };
    (text, e.error_code)
}

/// An entry (or partner) Chift already holds under that number: the answer to a second send.
pub(super) fn is_duplicate(status: u16, code: Option<&str>) -> bool {
    status == 409
        || code.is_some_and(|c| c.contains("ALREADY_USED") || c.contains("ALREADY_EXISTS"))
}

/// What a person should do, by `error_code` first, then by status.
fn action_for(status: u16, code: &str, what: &str) -> String {
    let c = code;
    if c.starts_with("ERROR_JOURNAL_NOT_FOUND") || c == "ERROR_WRONG_ENTRY_TYPE" {
        return "map the dossier's journal code to a sale or purchase journal of the folder in [dossier.ledger.journals] (test-connection lists the journals)".into();
    }
    if c == "ERROR_JOURNAL_ALREADY_OPEN" {
        return "the journal is open in the accounting software (someone is editing it): close it there; passerelle sends the entry again on the next run".into();
    }
    if c.starts_with("ERROR_ACCOUNT_NUMBER_NOT_FOUND") {
        return "create the account in the accounting software, or map it in [dossier.accounts_map], then push again".into();
    }
    if c.starts_with("ERROR_PARTNER") {
        return "check the client or supplier in the accounting software (Chift could not use it): passerelle looks it up again on the next push".into();
    }
    if c.contains("TAX_CODE") {
        return "map the VAT rate to an active VAT code of the folder in [dossier.ledger.vat_codes] (test-connection lists the codes)".into();
    }
    if c.contains("BOOKYEAR") {
        return "open the book year of the entry's date in the accounting software, then push again".into();
    }
    if c.contains("CURRENCY") {
        return "enable the currency in the accounting software (or book the document in euros at the source), then push again".into();
    }
    if c.contains("NOT_BALANCED") || c.contains("DEBIT_CREDIT") {
        return "the entry is unbalanced for the accounting software: check the document's amounts at the source, then push again".into();
    }
    if c.contains("VAT_FORMAT") {
        return "correct the third party's VAT number at the source (no dots or spaces), then push again".into();
    }
    if status == 404 {
        return format!(
            "check consumer_id and folder_id in [dossier.ledger]: Chift does not know the {what}"
        );
    }
    format!(
        "correct the {what} at the source or in [dossier.ledger] as Chift's message says, then push again"
    )
}

/// A refused request (any answer that is not a success, 401, 429 or 5xx) about `what`.
pub(super) fn refused(a: &Answer, what: &str) -> SinkError {
    let status = a.status.as_u16();
    let (message, code) = chift_message(&a.text());
    // An open journal, a partner deleted meanwhile, and a 400 without code (the spec's "Error
    // while trying to perform your request": the connector behind Chift failed) pass with
    // time: retried, not rejected.
    let transient = matches!(code.as_deref(), Some("ERROR_JOURNAL_ALREADY_OPEN"))
        || code
            .as_deref()
            .is_some_and(|c| c.starts_with("ERROR_PARTNER_NOT_FOUND"))
        || (status == 400 && code.is_none());
    let kind = if status == 403 {
        SinkErrorKind::Auth
    } else if transient {
        SinkErrorKind::Retryable
    } else {
        SinkErrorKind::Permanent
    };
    let action = if status == 403 {
        "check in Chift that the consumer's accounting connection is active and that the API key may use it".to_string()
    } else {
        action_for(status, code.as_deref().unwrap_or_default(), what)
    };
    let code = code.map(|c| format!(" ({c})")).unwrap_or_default();
    error(
        kind,
        Some(status),
        format!("Chift refused the {what}: {message}{code}"),
        action,
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_error_shapes_read() {
        let (m, c) = chift_message(
            r#"{"message":"The journal 'j9' doesn't exist in the accounting system.","status":"error","detail":"","error_code":"ERROR_JOURNAL_NOT_FOUND_2"}"#,
        );
        assert_eq!(
            m,
            "The journal 'j9' doesn't exist in the accounting system."
        );
        assert_eq!(c.as_deref(), Some("ERROR_JOURNAL_NOT_FOUND_2"));
        assert!(
            action_for(404, "ERROR_JOURNAL_NOT_FOUND_2", "entry")
                .contains("[dossier.ledger.journals]")
        );
        let (m, c) = chift_message(
            r#"{"detail":[{"loc":["body","items",0,"debit"],"msg":"Input should be a valid number","type":"float_parsing"}]}"#,
        );
        assert_eq!(m, "body.items.0.debit: Input should be a valid number");
        assert_eq!(c, None);
        assert!(is_duplicate(409, None));
        assert!(is_duplicate(400, Some("ERROR_INVOICE_NUMBER_ALREADY_USED")));
        assert!(!is_duplicate(400, Some("ERROR_ENTRY_NOT_BALANCED")));
    }
}
