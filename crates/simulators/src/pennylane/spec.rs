//! The Pennylane Company API v2 as its vendored extract describes it (`spec/README.md`): the
//! endpoint registry (paths, methods, query parameters with their documented filter fields,
//! operators, sort fields and limits, body content types) and the request-body JSON schemas.
//! Every request the mock receives is checked against it, and every answer against the shapes
//! the official spec declares (the extract has no response schemas; see [`check_answer`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::error::ValidationErrorKind;
use serde_json::{Value, json};

/// The vendored extract, byte for byte.
pub const EXTRACT_JSON: &str = include_str!("../../spec/pennylane-company-v2-extract.json");

/// The extract, parsed once per process.
pub fn extract() -> &'static Value {
    static EXTRACT: OnceLock<Value> = OnceLock::new();
    EXTRACT.get_or_init(|| serde_json::from_str(EXTRACT_JSON).expect("the extract is JSON"))
}

/// A validator of one request schema of the extract (`postLedgerEntries`, `postSupplier`, ...),
/// formats asserted (Pennylane answers `InvalidDateFormat`).
pub fn validator(schema: &str) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(v) = cache.lock().unwrap().get(schema) {
        return v.clone();
    }
    let s = &extract()["schemas"][schema];
    assert!(s.is_object(), "no schema {schema} in the extract");
    let v = Arc::new(
        jsonschema::options()
            .should_validate_formats(true)
            .build(s)
            .expect("the extract's schemas compile"),
    );
    cache.lock().unwrap().insert(schema.to_string(), v.clone());
    v
}

/// One operation of the registry.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub id: &'static str,
    pub path: &'static str,
    pub paginated: bool,
    def: &'static Value,
}

/// The operation `method path` (a concrete path: `/api/external/v2/ledger_entries/42`). Literal
/// segments win over parameters (`/ledger_entry_lines/lettering` is not `/ledger_entry_lines/{id}`).
pub fn operation(method: &str, path: &str) -> Option<Operation> {
    let method = method.to_ascii_lowercase();
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let literals = |template: &str| template.split('/').filter(|t| !t.starts_with('{')).count();
    extract()["endpoints"]
        .as_array()?
        .iter()
        .filter_map(|e| {
            let template = e["path"].as_str()?;
            let t: Vec<&str> = template.split('/').collect();
            let same = t.len() == parts.len()
                && t.iter()
                    .zip(&parts)
                    .all(|(t, p)| t.starts_with('{') || t == p);
            let def = &e["methods"][method.as_str()];
            (same && def.is_object()).then(|| Operation {
                id: def["operation_id"].as_str().unwrap_or(""),
                path: template,
                paginated: def["paginated"].as_bool().unwrap_or(false),
                def,
            })
        })
        .max_by_key(|op| literals(op.path))
}

/// A request the API would refuse: the answer to give, and what was wrong.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub body: Value,
    pub violations: Vec<String>,
}

/// What a conformant request is: its operation and whether a JSON body was validated.
#[derive(Debug)]
pub struct Checked {
    pub operation: Operation,
    pub validated_body: bool,
}

/// Checks a request against the registry and the request schemas. Returns the operation (when
/// the registry knows it) and the refusal, if the request does not conform.
pub fn check_request(
    method: &str,
    path: &str,
    query: &[(String, String)],
    content_type: Option<&str>,
    body: &[u8],
) -> (Option<Operation>, Result<Checked, Refusal>) {
    let here = format!("{method} {path}");
    let Some(op) = operation(method, path) else {
        let v = vec![format!("{here}: no such operation in the extract")];
        let body = json!({"error": "Not found", "status": 404});
        return (None, Err(refusal(404, body, v)));
    };
    let here = format!("{} ({})", here, op.id);
    let mut errs = Vec::new();
    if op.def["description"]
        .as_str()
        .is_some_and(|d| d.contains("**DEPRECATED**"))
    {
        errs.push(format!(
            "{here}: the extract marks this operation DEPRECATED"
        ));
    }
    check_query(&op, query, &here, &mut errs);
    let mut code = "ValidateError";
    let mut validated_body = false;
    let declared = op.def["body_content_type"].as_str();
    match (declared, body.is_empty()) {
        (None, false) => errs.push(format!("{here}: the operation takes no body")),
        (None, true) => {}
        (Some(_), true) if op.def["body_required"].as_bool() == Some(true) => {
            errs.push(format!("{here}: a body is required"));
            code = "NotExistRequiredKey";
        }
        (Some(_), true) => {}
        (Some(ct), false) => {
            if !content_type.is_some_and(|c| c.starts_with(ct)) {
                errs.push(format!(
                    "{here}: content type {content_type:?}, {ct} expected"
                ));
                code = "NotExistContentTypeDefinition";
            } else if let Some(schema) = op.def["body_schema"].as_str() {
                validated_body = true;
                match serde_json::from_slice::<Value>(body) {
                    Ok(v) => {
                        let validator = validator(schema);
                        let mut found: Vec<_> = validator.iter_errors(&v).collect();
                        if let Some(first) = found.first() {
                            code = error_code(&first.kind);
                        }
                        errs.extend(
                            found
                                .drain(..)
                                .map(|e| format!("{here}: {e} at {}", e.instance_path)),
                        );
                    }
                    Err(e) => errs.push(format!("{here}: the body is not JSON ({e})")),
                }
            }
        }
    }
    if errs.is_empty() {
        return (
            Some(op),
            Ok(Checked {
                operation: op,
                validated_body,
            }),
        );
    }
    let body = json!({"message": errs.join("; "), "code": code});
    (Some(op), Err(refusal(400, body, errs)))
}

fn refusal(status: u16, body: Value, violations: Vec<String>) -> Refusal {
    Refusal {
        status,
        body,
        violations,
    }
}

/// The `code` of Pennylane's 400 answers (the enum of the official spec's 400 schema) for the
/// first schema error.
fn error_code(kind: &ValidationErrorKind) -> &'static str {
    match kind {
        ValidationErrorKind::Required { .. } => "NotExistRequiredKey",
        ValidationErrorKind::AdditionalProperties { .. } => "NotExistPropertyDefinition",
        ValidationErrorKind::Pattern { .. } => "InvalidPattern",
        ValidationErrorKind::Enum { .. } => "NotEnumInclude",
        ValidationErrorKind::Format { format } if format == "date" => "InvalidDateFormat",
        ValidationErrorKind::Format { format } if format == "date-time" => "InvalidDateTimeFormat",
        ValidationErrorKind::MinItems { .. } => "LessThanMinItems",
        ValidationErrorKind::MaxItems { .. } => "MoreThanMaxItems",
        ValidationErrorKind::MinLength { .. } => "LessThanMinLength",
        ValidationErrorKind::MaxLength { .. } => "MoreThanMaxLength",
        ValidationErrorKind::Minimum { .. } => "LessThanMinimum",
        ValidationErrorKind::Maximum { .. } => "MoreThanMaximum",
        ValidationErrorKind::AnyOf { .. } => "NotAnyOf",
        ValidationErrorKind::OneOfNotValid { .. } => "NotOneOf",
        _ => "ValidateError",
    }
}

/// Query parameters: declared, of their type, `limit` within its documented bounds, `filter` a
/// JSON list of `{field, operator, value}` on documented fields and operators, `sort` on a
/// documented field; required ones present.
fn check_query(op: &Operation, query: &[(String, String)], here: &str, errs: &mut Vec<String>) {
    let params: Vec<&Value> = op.def["params"]
        .as_array()
        .map(|a| a.iter().filter(|p| p["in"] == "query").collect())
        .unwrap_or_default();
    for (name, value) in query {
        let Some(p) = params.iter().find(|p| p["name"] == name.as_str()) else {
            errs.push(format!("{here}: unknown query parameter {name}"));
            continue;
        };
        let doc = p["description"].as_str().unwrap_or("");
        if p["type"] == "integer" && value.parse::<i64>().is_err() {
            errs.push(format!("{here}: {name}={value} is not an integer"));
        }
        match name.as_str() {
            "limit" => check_limit(doc, value, here, errs),
            "filter" => check_filter(doc, value, here, errs),
            "sort" => {
                let field = value.trim_start_matches('-');
                if !documented_list(doc, "Available fields").contains(&field.to_string()) {
                    errs.push(format!("{here}: sort on {field} is not documented"));
                }
            }
            _ => {}
        }
    }
    for p in &params {
        let name = p["name"].as_str().unwrap_or("");
        if p["required"] == true && !query.iter().any(|(k, _)| k == name) {
            errs.push(format!("{here}: missing required query parameter {name}"));
        }
    }
}

/// "Must be between 1 and 100."
fn check_limit(doc: &str, value: &str, here: &str, errs: &mut Vec<String>) {
    let Some(bounds) = doc.split("Must be between ").nth(1) else {
        return;
    };
    let nums: Vec<i64> = bounds
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .take(2)
        .collect();
    if let ([min, max], Ok(v)) = (&nums[..], value.parse::<i64>())
        && (v < *min || v > *max)
    {
        errs.push(format!("{here}: limit={v} is outside {min}..={max}"));
    }
}

/// "Available fields and values:\n- `number`: `start_with`, `eq`, `in`".
fn check_filter(doc: &str, value: &str, here: &str, errs: &mut Vec<String>) {
    let Ok(Value::Array(filters)) = serde_json::from_str::<Value>(value) else {
        errs.push(format!("{here}: filter is not a JSON list: {value}"));
        return;
    };
    let allowed: HashMap<String, Vec<String>> = doc
        .lines()
        .filter_map(|l| {
            let (field, ops) = l.trim().strip_prefix("- `")?.split_once("`:")?;
            Some((field.to_string(), backticked(ops)))
        })
        .collect();
    for f in &filters {
        let (field, operator) = (
            f["field"].as_str().unwrap_or(""),
            f["operator"].as_str().unwrap_or(""),
        );
        match allowed.get(field) {
            None => errs.push(format!("{here}: filter on {field:?} is not documented")),
            Some(ops) if !ops.iter().any(|o| o == operator) => errs.push(format!(
                "{here}: filter operator {operator:?} is not documented for {field}"
            )),
            Some(_) if f.get("value").is_none() => {
                errs.push(format!("{here}: filter on {field} has no value"))
            }
            Some(_) => {}
        }
    }
}

/// The backticked names after `label` ("Available fields : `id`" or a list of `- \`id\`` lines).
fn documented_list(doc: &str, label: &str) -> Vec<String> {
    doc.split(label).nth(1).map(backticked).unwrap_or_default()
}

fn backticked(s: &str) -> Vec<String> {
    s.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The answer shapes the official spec declares (`accounting.json`, as quoted in the research
/// notes §2 and seen in its operations): lists `{items, has_more, next_cursor}` and nothing else;
/// 401/403/404 `{error, status}`; 400 one of the `{message, code, field?, payload?}` shapes or
/// `{error, status}`; 422 `{error, status}`, or the guide's `{error, message, details}`
/// (https://pennylane.readme.io/docs/error-handling-status-codes); 429 `{error, status}`
/// ("Rate limit exceeded. Please retry in X seconds.", the rate-limiting guide).
pub fn answer_schema(op: Option<&Operation>, status: u16) -> Option<Value> {
    let error_status = json!({"type": "object", "additionalProperties": false,
        "required": ["error", "status"],
        "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}});
    Some(match status {
        200..=299 if op.is_some_and(|o| o.paginated) => json!({
            "type": "object", "additionalProperties": false,
            "required": ["items", "has_more", "next_cursor"],
            "properties": {"items": {"type": "array"}, "has_more": {"type": "boolean"},
                           "next_cursor": {"type": ["string", "null"]}}}),
        200..=299 => json!({"type": "object"}),
        400 => json!({"anyOf": [error_status, {
            "type": "object", "additionalProperties": false, "required": ["message"],
            "properties": {"message": {"type": "string"}, "code": {"type": "string"},
                           "field": {"type": "string"}, "payload": {"type": "string"}}}]}),
        401 | 403 | 404 | 429 => error_status,
        422 => json!({"anyOf": [error_status, {
            "type": "object", "required": ["error", "message"],
            "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                           "details": {"type": "object"}}}]}),
        _ => return None,
    })
}

/// Checks an answer body against [`answer_schema`].
pub fn check_answer(op: Option<&Operation>, status: u16, body: &[u8]) -> Result<(), String> {
    let what = op.map(|o| o.id).unwrap_or("unknown operation");
    let Some(schema) = answer_schema(op, status) else {
        return Err(format!("{what} -> {status}: status not documented"));
    };
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("{what} -> {status}: the answer is not JSON ({e})"))?;
    let validator = jsonschema::validator_for(&schema).expect("answer schemas compile");
    let errs: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    if errs.is_empty() {
        Ok(())
    } else {
        Err(format!("{what} -> {status}: {}", errs.join("; ")))
    }
}
