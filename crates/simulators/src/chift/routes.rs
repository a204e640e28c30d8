//! The `/consumers/{consumer_id}/accounting/*` routes the mock serves. Requests reach them
//! checked against the spec (see the gate in `mod.rs`); each answers `(status, JSON)`.

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use serde_json::{Value, json};

use super::entries::create_entry;
use super::spec::{Operation, chift_error};
use super::state::{ChiftState, Partner};

const ACCOUNTING: &str = "/consumers/{consumer_id}/accounting/";

/// Routes one checked request of the consumer's accounting API.
pub(super) fn dispatch(
    st: &mut ChiftState,
    op: &Operation,
    query: &HashMap<String, String>,
    body: &Value,
) -> (u16, Value) {
    if op.params.get("consumer_id") != Some(&st.consumer_id) {
        // Assumption: the spec gives no example for an unknown consumer; a ChiftError 404.
        return chift_error(
            404,
            "ERROR_CONSUMER_NOT_FOUND",
            "The consumer doesn't exist.",
        );
    }
    let Some(route) = op.path.strip_prefix(ACCOUNTING) else {
        return chift_error(404, "ERROR_NOT_SIMULATED", "Not simulated by the mock.");
    };
    if route == "folders" && op.method == "get" {
        return (
            200,
            Value::Array(st.folders.iter().map(folder_json).collect()),
        );
    }
    let folder = match folder(st, query.get("folder_id")) {
        Ok(f) => f,
        Err(e) => return e,
    };
    match (op.method.as_str(), route) {
        ("get", "bookyears") => {
            let items = st.book_years.iter().map(|b| {
                json!({"name": b.name, "start": b.start.to_string(), "end": b.end.to_string(),
                       "closed": b.closed})
            });
            page(items.collect(), query)
        }
        ("get", "journals") => {
            let items = st.journals.iter().map(|j| {
                json!({"id": j.id, "code": j.code, "name": j.name, "journal_type": j.journal_type,
                       "currency": "EUR", "blocked": false})
            });
            page(items.collect(), query)
        }
        ("get", "vat-codes") => {
            let items = st.vat_codes.iter().map(|v| {
                let (payable, deductible) = match v.kind.as_str() {
                    "purchase" => (None, v.account.clone()),
                    _ => (v.account.clone(), None),
                };
                json!({"id": v.id, "code": v.code, "label": v.label, "scope": v.scope,
                       "rate": v.rate, "type": v.kind, "active": true, "reversed": v.reversed,
                       "payable_account": payable, "deductible_account": deductible,
                       "country": "FR"})
            });
            page(items.collect(), query)
        }
        ("get", "chart-of-accounts") => {
            let items = st.accounts.iter().map(
                |(n, name, kind)| json!({"number": n, "name": name, "active": true, "type": kind}),
            );
            page(items.collect(), query)
        }
        ("get", "clients") | ("get", "suppliers") => {
            let supplier = route == "suppliers";
            let list = if supplier { &st.suppliers } else { &st.clients };
            let items = list.iter().filter(|p| p.folder_id == folder);
            page(items.map(partner_json).collect(), query)
        }
        ("post", "clients") | ("post", "suppliers") => {
            let merge = query.get("force_merge").map(String::as_str);
            create_partner(st, route == "suppliers", &folder, body, merge)
        }
        ("post", "journal-entries") => create_entry(st, &folder, body),
        ("get", "journal/entries") => list_entries(st, &folder, query),
        ("get", "journal/entries/{journal_entry_id}") => {
            let id = op
                .params
                .get("journal_entry_id")
                .cloned()
                .unwrap_or_default();
            match st
                .entries
                .iter()
                .find(|e| e.id == id && e.folder_id == folder)
            {
                Some(e) => (200, e.answer.clone()),
                None => chift_error(
                    404,
                    "ERROR_ENTRY_NOT_FOUND",
                    &format!("The entry '{id}' doesn't exist in the accounting system."),
                ),
            }
        }
        _ => chift_error(404, "ERROR_NOT_SIMULATED", "Not simulated by the mock."),
    }
}

/// The folder a request works on: `folder_id` naming a selected folder, or the only selected
/// one when none is given (`FolderItem.selected`: "If only one folder is selected, it will be
/// used by default when no folder is specified in the request").
fn folder(st: &ChiftState, given: Option<&String>) -> Result<String, (u16, Value)> {
    let selected: Vec<&str> = st
        .folders
        .iter()
        .filter(|f| f.selected)
        .map(|f| f.id.as_str())
        .collect();
    match given {
        Some(id) if selected.contains(&id.as_str()) => Ok(id.clone()),
        Some(id) => Err(chift_error(
            400,
            "ERROR_FOLDER_NOT_FOUND",
            &format!("The folder '{id}' is not a selected folder of this connection."),
        )),
        None if selected.len() == 1 => Ok(selected[0].to_string()),
        None => Err(chift_error(
            400,
            "ERROR_FOLDER_ID_MISSING",
            "Please specify a folder_id: this connection has several folders.",
        )),
    }
}

fn folder_json(f: &super::state::Folder) -> Value {
    json!({"id": f.id, "name": f.name, "selected": f.selected, "active": true,
           "vat": "FR40732829320", "company_number": "732829320", "main_currency": "EUR",
           "addresses": []})
}

/// A `ChiftPage` `{items, total, page, size}`: `page` from 1, `size` 50 by default (the spec's
/// defaults; the request check already held them to 1..=100).
pub(super) fn page(items: Vec<Value>, query: &HashMap<String, String>) -> (u16, Value) {
    let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let size: usize = query.get("size").and_then(|s| s.parse().ok()).unwrap_or(50);
    let total = items.len();
    let slice: Vec<Value> = items
        .into_iter()
        .skip((page.max(1) - 1) * size)
        .take(size)
        .collect();
    (
        200,
        json!({"items": slice, "total": total, "page": page, "size": size}),
    )
}

/// `ClientItemOut` / `SupplierItemOut`: the body received, with `id`, `third_party_account`
/// (the auxiliary account) and `account_number` (its collective account).
fn partner_json(p: &Partner) -> Value {
    let mut v = match &p.body {
        Value::Object(_) => p.body.clone(),
        _ => json!({"name": p.name, "external_reference": p.external_reference, "vat": p.vat,
                    "company_number": p.company_number, "is_company": true, "addresses": []}),
    };
    v["id"] = json!(p.id);
    // The partner's own auxiliary account, and the collective account it sits under.
    v["third_party_account"] = json!(p.account_number);
    let root: String = p.account_number.chars().take(3).collect();
    v["account_number"] = json!(format!("{root}000"));
    v
}

/// `POST clients|suppliers`: a second partner with the same `external_reference` is refused
/// 400 ERROR_PARTNER_ALREADY_EXISTS (the spec's example).
fn create_partner(
    st: &mut ChiftState,
    supplier: bool,
    folder: &str,
    body: &Value,
    force_merge: Option<&str>,
) -> (u16, Value) {
    let text = |k: &str| body[k].as_str().map(str::to_string);
    let reference = text("external_reference");
    // One record per company for both roles (`unified_partners`): the other role's record
    // with that reference refuses a creation unless `force_merge` names it.
    let other = if supplier { &st.clients } else { &st.suppliers };
    if st.unified_partners
        && let Some(r) = &reference
        && let Some(o) = other
            .iter()
            .find(|p| p.folder_id == folder && p.external_reference.as_ref() == Some(r))
        && force_merge != Some(o.id.as_str())
    {
        return chift_error(
            400,
            "ERROR_PARTNER_ALREADY_EXISTS_5",
            &format!(
                "A client/supplier already exists with the same code/id ({r}) in the accounting system."
            ),
        );
    }
    let list = if supplier { &st.suppliers } else { &st.clients };
    if let Some(r) = &reference
        && list
            .iter()
            .any(|p| p.folder_id == folder && p.external_reference.as_ref() == Some(r))
    {
        return chift_error(
            400,
            "ERROR_PARTNER_ALREADY_EXISTS",
            &format!("The client/supplier '{r}' already exists in the accounting system."),
        );
    }
    let p = Partner {
        folder_id: folder.to_string(),
        name: text("name").unwrap_or_default(),
        external_reference: reference,
        vat: text("vat"),
        company_number: text("company_number"),
        account_number: text("account_number").unwrap_or_default(),
        body: body.clone(),
        ..Partner::default()
    };
    let id = st.add_partner(supplier, p);
    let p = st.partner(supplier, &id).expect("just added");
    (200, partner_json(p))
}

/// `GET journal/entries`: filters `journal_id`, `date_from`..=`date_to`, `unposted_allowed`;
/// at most 3 months at once (400 ERROR_MAX_DIFFERENCE_MONTHS, the spec's example).
fn list_entries(st: &ChiftState, folder: &str, query: &HashMap<String, String>) -> (u16, Value) {
    let date = |k: &str| {
        query
            .get(k)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    let (from, to) = (date("date_from"), date("date_to"));
    if let (Some(f), Some(t)) = (from, to)
        && f.checked_add_months(Months::new(3))
            .is_some_and(|max| t > max)
    {
        return chift_error(
            400,
            "ERROR_MAX_DIFFERENCE_MONTHS",
            "You can retrieve maximum 3 months of data at once. The difference between 'date_from' and 'date_to' is at maximum 3 months.",
        );
    }
    let unposted = query.get("unposted_allowed").map(String::as_str) == Some("true");
    let items = st
        .entries
        .iter()
        .filter(|e| e.folder_id == folder)
        .filter(|e| {
            query
                .get("journal_id")
                .is_none_or(|j| e.answer["journal_id"] == j.as_str())
        })
        .filter(|e| unposted || e.answer["posted"] == true)
        .filter(|e| {
            let d = e.answer["date"]
                .as_str()
                .and_then(|d| d.parse::<NaiveDate>().ok());
            from.is_none_or(|f| d.is_some_and(|d| d >= f))
                && to.is_none_or(|t| d.is_some_and(|d| d <= t))
        })
        .map(|e| mono_plan(&e.answer))
        .collect();
    page(items, query)
}

/// The `JournalEntryMonoAnalyticPlan` of a stored multi-plan answer: the same entry, items
/// without `analytic_distribution`.
fn mono_plan(answer: &Value) -> Value {
    let mut v = answer.clone();
    if let Some(items) = v["items"].as_array_mut() {
        for i in items {
            if let Some(o) = i.as_object_mut() {
                o.remove("analytic_distribution");
            }
        }
    }
    v
}
