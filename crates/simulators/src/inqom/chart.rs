//! The chart side: journals, accounting periods, accounts (and their creation).

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::Response;
use serde_json::{Value, json};

use super::state::{DOSSIER, S};
use crate::mock::json_response;

pub(super) async fn journals(State((state, _)): S) -> Response<Body> {
    let st = state.lock().unwrap();
    let list: Vec<Value> = st
        .journals
        .iter()
        .map(|(id, name)| json!({"Id": id, "Name": name, "Description": name, "Type": "Sell"}))
        .collect();
    json_response(200, &Value::Array(list).to_string())
}

pub(super) async fn periods(State((state, _)): S) -> Response<Body> {
    let st = state.lock().unwrap();
    let list: Vec<Value> = st
        .periods
        .iter()
        .enumerate()
        .map(|(i, (b, e, l))| {
            json!({"Id": 240810 + i, "DossierId": DOSSIER, "BeginDate": b, "EndDate": e, "Locked": l, "Name": &e[..7]})
        })
        .collect();
    json_response(200, &Value::Array(list).to_string())
}

pub(super) async fn accounts(
    State((state, _)): S,
    Query(q): Query<HashMap<String, String>>,
) -> Response<Body> {
    let st = state.lock().unwrap();
    let prefix = q.get("accountNumberPrefix").cloned().unwrap_or_default();
    if !matches!(
        q.get("accountType").map(String::as_str),
        Some("All" | "Impactable" | "Auxiliary" | "General")
    ) {
        return json_response(400, r#"{"Message":"accountType is required"}"#);
    }
    let list: Vec<Value> = st
        .accounts
        .iter()
        .filter(|(n, _, _)| n.starts_with(&prefix))
        .map(|(n, name, parent)| {
            let mut v = json!({"Number": n, "Name": name, "IsImpactable": n.len() > 4, "IsDivisible": n.len() <= 4, "IsManaged": false});
            if let Some(p) = parent {
                v["ParentAccountNumber"] = json!(p);
            }
            v
        })
        .collect();
    json_response(200, &Value::Array(list).to_string())
}

pub(super) fn check_keys(
    v: &Value,
    allowed: &[&str],
    required: &[&str],
    what: &str,
    out: &mut Vec<String>,
) {
    let Some(m) = v.as_object() else {
        out.push(format!("{what} is not an object"));
        return;
    };
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) {
            out.push(format!("{what}: unknown field {k}"));
        }
    }
    for k in required {
        if !m.contains_key(*k) {
            out.push(format!("{what}: missing field {k}"));
        }
    }
}

pub(super) async fn create_account(State((state, _)): S, body: String) -> Response<Body> {
    let mut st = state.lock().unwrap();
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let mut bad = Vec::new();
    check_keys(
        &v,
        &["AccountNumber", "Name", "Auxiliarize"],
        &["AccountNumber", "Name"],
        "account",
        &mut bad,
    );
    let number = v["AccountNumber"].as_str().unwrap_or("").to_string();
    let name = v["Name"].as_str().unwrap_or("").to_string();
    if number.len() > 22 || name.chars().count() > 100 {
        bad.push(format!("account {number}: too long"));
    }
    if !bad.is_empty() {
        st.violations.extend(bad.clone());
        return json_response(400, &json!({"Message": bad.join("; ")}).to_string());
    }
    // Inqom files third parties under its sub-collectives 4011 / 4111.
    let created = match number.get(..3) {
        Some(root @ ("401" | "411")) if !number[3..].starts_with('1') => {
            format!("{root}1{}", &number[3..])
        }
        _ => number.clone(),
    };
    if st.accounts.iter().any(|(n, _, _)| *n == created) {
        return json_response(
            400,
            &json!({"Message": format!("Account {created} already exists")}).to_string(),
        );
    }
    let parent = created.get(..4).map(str::to_string);
    st.accounts.push((created.clone(), name.clone(), parent));
    st.accounts_created.push((number, created.clone()));
    json_response(201, &json!(created).to_string())
}
