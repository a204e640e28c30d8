//! Chift's unified API as its vendored OpenAPI 3.1 document describes it (`spec/README.md`):
//! operations (method + path template), their path and query parameters, request bodies and
//! response schemas. OpenAPI 3.1 schemas are JSON Schema 2020-12, so each one is validated with
//! `jsonschema`, its `#/components/...` references resolved against the document's own
//! `components` (added to the root of the compiled schema), formats asserted (`date`, `uuid`,
//! `date-time`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Value, json};

/// The vendored document, byte for byte.
pub const SPEC_JSON: &str = include_str!("../../spec/chift-openapi.json");

/// The document, parsed once per process.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(SPEC_JSON).expect("the Chift spec is JSON"))
}

/// A validator of one schema of the document (a `{"$ref": "#/components/schemas/X"}` or an
/// inline parameter schema), compiled once with the document's components at its root.
pub fn validator(schema: &Value) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let key = schema.to_string();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(v) = cache.lock().unwrap().get(&key) {
        return v.clone();
    }
    let mut root = match schema {
        Value::Object(_) => schema.clone(),
        other => json!({"allOf": [other]}),
    };
    root["components"] = document()["components"].clone();
    let v = Arc::new(
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .expect("the Chift spec's schemas compile"),
    );
    cache.lock().unwrap().insert(key, v.clone());
    v
}

/// The schema of a component (`ChiftError`, `GenericJournalEntry`, ...), as a reference.
pub fn component(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// The errors of `value` against `schema`, each `(instance path, message)`.
pub fn errors(schema: &Value, value: &Value) -> Vec<(String, String)> {
    validator(schema)
        .iter_errors(value)
        .map(|e| {
            let mut at = e.instance_path.to_string();
            // FastAPI's `loc` names the missing field itself.
            if let jsonschema::error::ValidationErrorKind::Required { property } = &e.kind {
                at = format!("{at}/{}", property.as_str().unwrap_or(""));
            }
            (at, e.to_string())
        })
        .collect()
}

/// One operation of the document.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: String,
    /// The path template (`/consumers/{consumer_id}/accounting/journal/entries/{journal_entry_id}`).
    pub path: &'static str,
    pub id: &'static str,
    /// The path parameters of the concrete path, by name.
    pub params: HashMap<String, String>,
    def: &'static Value,
}

/// The operation `method path`; literal segments win over parameters
/// (`journal/entries/multi-analytic-plans` is not `journal/entries/{journal_entry_id}`).
pub fn operation(method: &str, path: &str) -> Option<Operation> {
    let method = method.to_ascii_lowercase();
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    document()["paths"]
        .as_object()?
        .iter()
        .filter_map(|(template, item)| {
            let t: Vec<&str> = template.split('/').collect();
            let same = t.len() == parts.len()
                && t.iter()
                    .zip(&parts)
                    .all(|(t, p)| t.starts_with('{') || t == p);
            let def = &item[method.as_str()];
            (same && def.is_object()).then(|| {
                let params = t
                    .iter()
                    .zip(&parts)
                    .filter(|(t, _)| t.starts_with('{'))
                    .map(|(t, p)| (t.trim_matches(['{', '}']).to_string(), p.to_string()))
                    .collect();
                Operation {
                    method: method.clone(),
                    path: template.as_str(),
                    id: def["operationId"].as_str().unwrap_or(""),
                    params,
                    def,
                }
            })
        })
        .max_by_key(|op| op.path.split('/').filter(|s| !s.starts_with('{')).count())
}

/// What is wrong with a request: FastAPI's `ValidationError` items (`{loc, msg, type}`).
pub type Details = Vec<Value>;

fn detail(loc: Value, msg: String, kind: &str) -> Value {
    json!({"loc": loc, "msg": msg, "type": kind})
}

/// A query or path value against its parameter schema: a string, or the JSON number or boolean
/// it spells (query strings are untyped; FastAPI coerces them).
fn value_fits(schema: &Value, raw: &str) -> Option<String> {
    let mut candidates = vec![Value::String(raw.to_string())];
    if let Ok(v) = serde_json::from_str::<Value>(raw)
        && (v.is_number() || v.is_boolean())
    {
        candidates.push(v);
    }
    let mut first = None;
    for c in &candidates {
        match errors(schema, c).into_iter().next() {
            None => return None,
            Some((_, m)) => {
                first.get_or_insert(m);
            }
        }
    }
    first
}

/// Checks a request against its operation: path parameters, declared query parameters (their
/// schemas, required ones present, undeclared ones refused), the JSON body against the
/// `requestBody` schema. The operation is `None` when the document has no such operation.
pub fn check_request(
    method: &str,
    path: &str,
    query: &[(String, String)],
    content_type: Option<&str>,
    body: &[u8],
) -> (Option<Operation>, Result<(), Details>) {
    let Some(op) = operation(method, path) else {
        let d = detail(
            json!(["path"]),
            "no such operation in the spec".into(),
            "not_found",
        );
        return (None, Err(vec![d]));
    };
    let mut details = Vec::new();
    let declared: Vec<&Value> = op.def["parameters"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    for p in &declared {
        let (name, place) = (
            p["name"].as_str().unwrap_or(""),
            p["in"].as_str().unwrap_or(""),
        );
        let given = match place {
            "path" => op.params.get(name).cloned(),
            "query" => query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone()),
            _ => continue,
        };
        match given {
            None if p["required"] == true => details.push(detail(
                json!([place, name]),
                "Field required".into(),
                "missing",
            )),
            None => {}
            Some(v) => {
                if let Some(m) = value_fits(&p["schema"], &v) {
                    details.push(detail(json!([place, name]), m, "value_error"));
                }
            }
        }
    }
    for (name, _) in query {
        if !declared
            .iter()
            .any(|p| p["in"] == "query" && p["name"] == name.as_str())
        {
            let m = format!("undeclared query parameter {name}");
            details.push(detail(json!(["query", name]), m, "extra_forbidden"));
        }
    }
    check_body(&op, content_type, body, &mut details);
    let result = if details.is_empty() {
        Ok(())
    } else {
        Err(details)
    };
    (Some(op), result)
}

/// The body against the operation's `requestBody` (`application/json` only in this API).
fn check_body(op: &Operation, content_type: Option<&str>, body: &[u8], details: &mut Details) {
    let rb = &op.def["requestBody"];
    if !rb.is_object() {
        if !body.is_empty() {
            details.push(detail(
                json!(["body"]),
                "the operation takes no body".into(),
                "extra_forbidden",
            ));
        }
        return;
    }
    if body.is_empty() {
        if rb["required"] == true {
            details.push(detail(json!(["body"]), "Field required".into(), "missing"));
        }
        return;
    }
    let schema = &rb["content"]["application/json"]["schema"];
    if !content_type.is_some_and(|c| c.starts_with("application/json")) || !schema.is_object() {
        let m = format!("content type {content_type:?}, application/json expected");
        details.push(detail(json!(["body"]), m, "model_attributes_type"));
        return;
    }
    match serde_json::from_slice::<Value>(body) {
        Err(e) => details.push(detail(
            json!(["body"]),
            format!("JSON decode error: {e}"),
            "json_invalid",
        )),
        Ok(v) => {
            for (at, m) in errors(schema, &v) {
                let mut loc = vec![json!("body")];
                loc.extend(at.split('/').filter(|s| !s.is_empty()).map(
                    |s| match s.parse::<u64>() {
                        Ok(i) => json!(i),
                        Err(_) => json!(s),
                    },
                ));
                details.push(detail(Value::Array(loc), m, "value_error"));
            }
        }
    }
}

/// A `ChiftError` (`{message, status: "error", error_code}`), as the spec's examples show.
pub fn chift_error(status: u16, code: &str, message: &str) -> (u16, Value) {
    (
        status,
        json!({"message": message, "status": "error", "error_code": code}),
    )
}

/// The HTTPValidationError answer (the spec's 422 schema: `message` required, `detail` items).
pub fn validation_error(details: &Details) -> Value {
    json!({"message": "Validation error", "status": "error", "detail": details})
}

/// The schema the spec declares for `status` of `op`. Statuses the operation does not declare
/// (401 on every route, 404 on most) are held to `ChiftError`, the shape of Chift's errors; a 422
/// may also be the framework's `HTTPValidationError` (the request checks answer it).
pub fn answer_schemas(op: Option<&Operation>, status: u16) -> Vec<Value> {
    let declared = op
        .map(|o| &o.def["responses"][status.to_string()]["content"]["application/json"]["schema"])
        .filter(|s| s.is_object())
        .cloned();
    let mut out: Vec<Value> = declared.into_iter().collect();
    if status == 422 {
        out.push(component("HTTPValidationError"));
    }
    if out.is_empty() && status >= 400 {
        out.push(component("ChiftError"));
    }
    out
}

/// Checks an answer of the mock against [`answer_schemas`].
pub fn check_answer(op: Option<&Operation>, status: u16, body: &[u8]) -> Result<(), String> {
    let what = op.map(|o| o.id).unwrap_or("unknown operation");
    let schemas = answer_schemas(op, status);
    if schemas.is_empty() {
        return Err(format!("{what} -> {status}: status not declared"));
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("{what} -> {status}: the answer is not JSON ({e})"))?;
    let mut all = Vec::new();
    for s in &schemas {
        let errs = errors(s, &v);
        if errs.is_empty() {
            return Ok(());
        }
        all.extend(errs.into_iter().map(|(at, m)| format!("{m} at {at}")));
    }
    Err(format!("{what} -> {status}: {}", all.join("; ")))
}
