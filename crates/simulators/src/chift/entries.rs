//! `POST /consumers/{consumer_id}/accounting/journal-entries` (`GenericJournalEntry` in,
//! `JournalEntryMultiAnalyticPlan` out): the business checks the spec's error examples name.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::spec::chift_error;
use super::state::{ChiftState, Entry};

/// Creates an entry of `folder` from a body already checked against `GenericJournalEntry`.
/// Refusals, in order: unknown journal (404 ERROR_JOURNAL_NOT_FOUND), unknown general account
/// (404 ERROR_ACCOUNT_NUMBER_NOT_FOUND), unknown client/supplier (404 ERROR_PARTNER_NOT_FOUND),
/// unknown `tax_code` (404 ERROR_TAX_CODE_NOT_FOUND), a negative or two-sided line (422
/// ERROR_DEBIT_CREDIT_VALUE), unbalanced (422 ERROR_ENTRY_NOT_BALANCED), a number the test
/// rejects, a bad `pdf` (422 ERROR_INVALID_PDF, assumption), no book year for the date (400
/// ERROR_BOOKYEAR_NOT_FOUND) or a closed one (400 ERROR_BOOKYEAR_CLOSED, assumption), a number
/// already used in the folder (400 ERROR_ENTRY_NUMBER_ALREADY_USED, assumption).
pub(super) fn create_entry(st: &mut ChiftState, folder: &str, body: &Value) -> (u16, Value) {
    let journal_id = body["journal_id"].as_str().unwrap_or("");
    let Some(journal) = st.journals.iter().find(|j| j.id == journal_id).cloned() else {
        return chift_error(
            404,
            "ERROR_JOURNAL_NOT_FOUND",
            &format!("The journal '{journal_id}' doesn't exist in the accounting system."),
        );
    };
    let lines = body["items"].as_array().cloned().unwrap_or_default();
    let currency = body["currency"].as_str().unwrap_or("EUR");
    let mut items = Vec::new();
    let (mut debit, mut credit) = (0i64, 0i64);
    for (n, line) in lines.iter().enumerate() {
        let item = match line_item(st, folder, line, currency, n) {
            Ok(i) => i,
            Err(e) => return e,
        };
        let (d, c) = (cents(&line["debit"]), cents(&line["credit"]));
        // The spec's ERROR_DEBIT_CREDIT_VALUE examples: never negative, never both positive.
        if d < 0 || c < 0 {
            let m = "Debit and credit cannot be negative.";
            return chift_error(422, "ERROR_DEBIT_CREDIT_VALUE", m);
        }
        if d > 0 && c > 0 {
            let m = "Debit and credit cannot be both positive.";
            return chift_error(422, "ERROR_DEBIT_CREDIT_VALUE", m);
        }
        debit += d;
        credit += c;
        items.push(item);
    }
    if debit != credit {
        return chift_error(
            422,
            "ERROR_ENTRY_NOT_BALANCED",
            "The entry is not balanced.",
        );
    }
    let number = body["number"].as_str().unwrap_or("").to_string();
    if st.rejected_numbers.contains(&number) {
        // The test's "one bad entry in a batch": refused like an unbalanced entry, forever.
        return chift_error(
            422,
            "ERROR_ENTRY_NOT_BALANCED",
            "The entry is not balanced.",
        );
    }
    let pdf = match body["pdf"].as_str() {
        None => None,
        Some(b64) => match base64_decode(b64) {
            Some(bytes) if bytes.starts_with(b"%PDF") => Some(bytes),
            // Assumption: the spec documents no error for a bad `pdf`; a ChiftError 422.
            _ => {
                return chift_error(
                    422,
                    "ERROR_INVALID_PDF",
                    "The pdf must be a base64-encoded PDF document.",
                );
            }
        },
    };
    let date = body["date"].as_str().unwrap_or("");
    let day = date.parse::<NaiveDate>().ok();
    let year = st
        .book_years
        .iter()
        .find(|y| day.is_some_and(|d| y.start <= d && d <= y.end));
    match year {
        // The spec's example on `POST invoices` (400 ERROR_BOOKYEAR_NOT_FOUND).
        None => {
            return chift_error(
                400,
                "ERROR_BOOKYEAR_NOT_FOUND",
                "The accounting system is not set up for this date.",
            );
        }
        // Assumption: the spec has no example for a closed book year; a ChiftError 400
        // ERROR_BOOKYEAR_CLOSED.
        Some(y) if y.closed => {
            return chift_error(
                400,
                "ERROR_BOOKYEAR_CLOSED",
                &format!("The book year {} is closed.", y.name),
            );
        }
        Some(_) => {}
    }
    if st
        .entries
        .iter()
        .any(|e| e.folder_id == folder && e.number == number)
    {
        // Assumption: the spec recommends `number` for idempotency but documents no error for
        // a second entry with the same number; a ChiftError 400 ERROR_ENTRY_NUMBER_ALREADY_USED.
        return chift_error(
            400,
            "ERROR_ENTRY_NUMBER_ALREADY_USED",
            &format!("The entry number '{number}' is already used in this folder."),
        );
    }
    let id = st.id();
    let answer = json!({
        "id": id, "name": number, "reference": body["reference"], "journal_id": journal.id,
        "journal_name": journal.name, "date": date, "due_date": body["due_date"],
        "posted": body["posted"].as_bool().unwrap_or(true),
        "attachments_info": {"status": if pdf.is_some() { "yes_to_request" } else { "no" },
                             "attachments": []},
        "items": items,
    });
    st.entries.push(Entry {
        id,
        folder_id: folder.to_string(),
        number,
        body: body.clone(),
        pdf,
        answer: answer.clone(),
    });
    (200, answer)
}

/// One `GenericJournalItem` as a `JournalItemMultiAnalyticPlan`, its account, partner and tax
/// code checked.
fn line_item(
    st: &ChiftState,
    folder: &str,
    line: &Value,
    currency: &str,
    n: usize,
) -> Result<Value, (u16, Value)> {
    let account = line["account"].as_str().unwrap_or("");
    let kind = line["account_type"].as_str().unwrap_or("");
    let (number, name, partner) = match kind {
        "customer_account" | "supplier_account" => {
            let supplier = kind == "supplier_account";
            match st
                .partner(supplier, account)
                .filter(|p| p.folder_id == folder)
            {
                Some(p) => (
                    p.id.clone(),
                    p.name.clone(),
                    Some((p.id.clone(), p.name.clone())),
                ),
                None => {
                    return Err(chift_error(
                        404,
                        "ERROR_PARTNER_NOT_FOUND",
                        &format!(
                            "The client/supplier '{account}' doesn't exist in the accounting system."
                        ),
                    ));
                }
            }
        }
        "general_account" => match st.accounts.iter().find(|a| a.0 == account) {
            Some(a) => (a.0.clone(), a.1.clone(), None),
            None => {
                return Err(chift_error(
                    404,
                    "ERROR_ACCOUNT_NUMBER_NOT_FOUND",
                    &format!(
                        "The account number '{account}' doesn't exist in the accounting system."
                    ),
                ));
            }
        },
        // Employees are not simulated.
        _ => {
            return Err(chift_error(
                404,
                "ERROR_PARTNER_NOT_FOUND",
                &format!("The employee '{account}' doesn't exist in the accounting system."),
            ));
        }
    };
    if let Some(code) = line["tax_code"].as_str()
        && !st.vat_codes.iter().any(|v| v.id == code)
    {
        // The spec's example on `POST invoices` (404 ERROR_TAX_CODE_NOT_FOUND_2).
        return Err(chift_error(
            404,
            "ERROR_TAX_CODE_NOT_FOUND",
            &format!("The tax code '{code}' doesn't exist in the accounting system."),
        ));
    }
    let (partner_id, partner_name) = partner.unzip();
    Ok(json!({
        "id": format!("{}", n + 1), "account_number": number, "account_name": name,
        "partner_id": partner_id, "partner_name": partner_name,
        "description": line["description"], "debit": line["debit"], "credit": line["credit"],
        "currency": currency, "currency_exchange_rate": 1,
        "analytic_distribution": line["analytic_distribution"].as_array().cloned().unwrap_or_default(),
    }))
}

/// An amount in cents (the balance holds to the cent).
fn cents(v: &Value) -> i64 {
    (v.as_f64().unwrap_or(0.0) * 100.0).round() as i64
}

/// Standard base64 (RFC 4648 §4), padding optional; `None` if not base64.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (s.len() % 4 != 1).then_some(out)
}
