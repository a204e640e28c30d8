//! Entries: batches of at most 50 booked all or nothing, and the entry lines read back.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::Response;
use serde_json::{Value, json};

use super::chart::check_keys;
use super::state::{InqomState, S, StoredEntry};
use crate::mock::json_response;

pub(super) async fn create_entries(State((state, _)): S, body: String) -> Response<Body> {
    let mut st = state.lock().unwrap();
    st.entry_posts += 1;
    let Ok(Value::Array(batch)) = serde_json::from_str::<Value>(&body) else {
        st.violations.push("entries body is not an array".into());
        return json_response(400, r#"{"Message":"The request is invalid."}"#);
    };
    st.batch_sizes.push(batch.len());
    if batch.len() > 50 {
        st.violations.push(format!("batch of {}", batch.len()));
        return json_response(400, r#"{"Message":"Too many entries: 50 at most"}"#);
    }
    let mut bad = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    for (i, e) in batch.iter().enumerate() {
        check_entry(&st, i, e, &mut bad, &mut refused);
    }
    if !bad.is_empty() {
        st.violations.extend(bad.clone());
        return json_response(
            400,
            &json!({"Message": "The request is invalid.", "Errors": bad}).to_string(),
        );
    }
    if !refused.is_empty() {
        // All or nothing: one refused entry refuses the batch.
        return json_response(400, &json!({"Message": refused.join("; ")}).to_string());
    }
    let answer = book(&mut st, batch);
    if st.lose_answers > 0 {
        st.lose_answers -= 1;
        return json_response(
            504,
            "<html><body><h1>504 Gateway Time-out</h1></body></html>",
        );
    }
    answer
}

/// Books a checked batch; answers the entries' `Id`, `EntryRef`, `ExternalId` and line ids.
fn book(st: &mut InqomState, batch: Vec<Value>) -> Response<Body> {
    let mut out = Vec::new();
    for e in batch {
        let id = st.id();
        let mut lines = Vec::new();
        let mut out_lines = Vec::new();
        for l in e["Lines"].as_array().unwrap() {
            let lid = st.id();
            let mut l = l.clone();
            l["Id"] = json!(lid);
            l["Label"] = json!(l["Label"].as_str().unwrap_or("").to_uppercase());
            out_lines.push(json!({"Id": lid, "Label": l["Label"], "AccountNumber": l["AccountNumber"], "ExternalId": l["ExternalId"]}));
            lines.push(l);
        }
        st.entries.push(StoredEntry {
            id,
            journal_id: e["JournalId"].as_i64().unwrap(),
            date: e["Date"].as_str().unwrap().into(),
            reference: e["Document"]["Reference"].as_str().unwrap_or("").into(),
            external_id: e["ExternalId"].as_str().unwrap_or("").into(),
            lines,
        });
        out.push(json!({"Id": id, "EntryRef": format!("VT{id}"), "ExternalId": e["ExternalId"], "Lines": out_lines}));
    }
    json_response(200, &Value::Array(out).to_string())
}

/// One entry of a batch: documented fields (`bad`, a malformed request) and what Inqom would
/// refuse for it (`refused`: unknown journal, locked period, unknown account, unbalanced).
fn check_entry(
    st: &InqomState,
    i: usize,
    e: &Value,
    bad: &mut Vec<String>,
    refused: &mut Vec<String>,
) {
    check_keys(
        e,
        &[
            "JournalId",
            "Date",
            "Document",
            "AccountingDocumentId",
            "ExternalId",
            "Lines",
        ],
        &["JournalId", "Date", "Lines"],
        &format!("entry {i}"),
        bad,
    );
    check_keys(
        &e["Document"],
        &["Reference", "Date"],
        &["Reference", "Date"],
        &format!("entry {i} Document"),
        bad,
    );
    let reference = e["Document"]["Reference"].as_str().unwrap_or("");
    if !e["JournalId"].is_i64() {
        bad.push(format!("entry {i}: JournalId is not an integer"));
    } else if !st
        .journals
        .iter()
        .any(|(id, _)| Some(*id) == e["JournalId"].as_i64())
    {
        refused.push(format!("Entry {reference}: JournalNotFound"));
    }
    let date = e["Date"].as_str().unwrap_or("");
    if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() {
        bad.push(format!("entry {i}: Date {date} is not YYYY-MM-DD"));
    }
    if st
        .periods
        .iter()
        .any(|(b, end, locked)| *locked && &b[..10] <= date && date <= &end[..10])
    {
        refused.push(format!("Entry {reference}: ExerciseLockedForDates"));
    }
    let Some(lines) = e["Lines"].as_array() else {
        bad.push(format!("entry {i}: Lines is not an array"));
        return;
    };
    let (mut debit, mut credit) = (0i64, 0i64);
    for (j, l) in lines.iter().enumerate() {
        check_keys(
            l,
            &[
                "Label",
                "DebitAmount",
                "CreditAmount",
                "Currency",
                "AccountNumber",
                "ExternalId",
                "Quantities",
                "Analytics",
            ],
            &[
                "Label",
                "DebitAmount",
                "CreditAmount",
                "Currency",
                "AccountNumber",
            ],
            &format!("entry {i} line {j}"),
            bad,
        );
        let cents = |v: &Value| v.as_f64().map(|f| (f * 100.0).round() as i64);
        let (Some(d), Some(c)) = (cents(&l["DebitAmount"]), cents(&l["CreditAmount"])) else {
            bad.push(format!("entry {i} line {j}: amounts are not numbers"));
            continue;
        };
        if (d > 0) == (c > 0) {
            bad.push(format!(
                "entry {i} line {j}: exactly one of DebitAmount, CreditAmount must be > 0"
            ));
        }
        debit += d;
        credit += c;
        if l["Currency"].as_str().is_none_or(|c| c.len() > 5) {
            bad.push(format!("entry {i} line {j}: Currency"));
        }
        let account = l["AccountNumber"].as_str().unwrap_or("");
        if !st.accounts.iter().any(|(n, _, _)| n == account) {
            refused.push(format!(
                "Entry {reference} line {}: account {account} not found",
                j + 1
            ));
        }
    }
    if debit != credit {
        refused.push(format!("Entry {reference} is not balanced"));
    }
    if reference.contains("BAD") {
        refused.push(format!("Entry {reference} line 2: the account 706000 is not allowed in journal VT (InsertEntryIsForbidden)"));
    }
}

pub(super) async fn entry_lines(
    State((state, _)): S,
    Query(q): Query<HashMap<String, String>>,
) -> Response<Body> {
    let st = state.lock().unwrap();
    let (Some(start), Some(end), Some(page)) = (
        q.get("startDate"),
        q.get("endDate"),
        q.get("pageNumber").and_then(|p| p.parse::<usize>().ok()),
    ) else {
        return json_response(
            400,
            r#"{"Message":"startDate, endDate and pageNumber are required"}"#,
        );
    };
    let journal: Option<i64> = q.get("journalId").and_then(|j| j.parse().ok());
    let all: Vec<Value> = st
        .entries
        .iter()
        .filter(|e| e.date >= *start && e.date <= *end && journal.is_none_or(|j| j == e.journal_id))
        .flat_map(|e| {
            let code = st
                .journals
                .iter()
                .find(|(id, _)| *id == e.journal_id)
                .map(|(_, c)| c.clone())
                .unwrap_or_default();
            e.lines
                .iter()
                .map(move |l| {
                    json!({
                        "TypeOfChange": "Creation",
                        "Id": l["Id"],
                        "Label": l["Label"],
                        "DebitAmount": l["DebitAmount"],
                        "CreditAmount": l["CreditAmount"],
                        "Currency": l["Currency"],
                        "Entry": {"Id": e.id, "Date": format!("{}T00:00:00Z", e.date)},
                        "AccountNumber": l["AccountNumber"],
                        "Journal": {"Id": e.journal_id, "Code": code},
                        "AccountingDocument": {"Id": e.id + 500_000, "Reference": e.reference},
                    })
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let lines: Vec<Value> = all
        .into_iter()
        .skip((page.max(1) - 1) * 100)
        .take(100)
        .collect();
    json_response(
        200,
        &json!({"EntryLines": lines, "CurrentPage": page}).to_string(),
    )
}
