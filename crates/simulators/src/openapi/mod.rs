//! A conformance checker for OpenAPI 3.0 documents: it matches a request to an operation (path
//! template, method), checks its query parameters and JSON body, and checks a response body
//! against the schema declared for its status. The Sellsy simulator checks every exchange with
//! it ([`crate::sellsy::spec`]).
//!
//! OpenAPI 3.0 schemas are not JSON Schema: they are converted here to draft 2020-12 before
//! `jsonschema` compiles them:
//! - `nullable: true` becomes a `"null"` type (or an `anyOf` with `null` around a `$ref`);
//! - `allOf` is merged into one object (Sellsy's spec relies on merge semantics: it puts
//!   `additionalProperties: false` next to `allOf`, which plain JSON Schema would read as "no
//!   property at all"), and properties next to a `oneOf`/`anyOf` are distributed into its branches;
//! - in strict mode an object that lists its properties accepts no other property, so a renamed
//!   or invented field fails even where the spec declares no `required` list;
//! - `$ref`s (JSON pointers, percent-encoded, often deep into other schemas) are resolved against
//!   the original document and emitted as `$defs`, so recursive schemas stay finite;
//! - `format` is validated (date, date-time, uri, email).

mod convert;
mod refs;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use convert::Converter;
pub use refs::pointer;
use refs::{coerce, resolve_ref};

#[derive(Debug, Clone)]
pub struct Operation {
    pub method: String,
    pub path: String,
    segments: Vec<Segment>,
    /// Resolved parameter objects (path-level then operation-level, operation wins).
    parameters: Vec<Value>,
    request_body: Option<(bool, Value)>,
    /// status ("200", "4XX", "default") -> schema of the JSON content, or None for no content.
    responses: BTreeMap<String, Option<Value>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// A loaded, indexed spec with a cache of compiled validators.
pub struct Spec {
    doc: Value,
    ops: Vec<Operation>,
    strict: bool,
    /// The body schema of error statuses an operation does not declare, if the API has one.
    error_schema: Option<Value>,
    cache: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl Spec {
    pub fn parse(yaml: &str, strict: bool) -> Result<Spec, String> {
        let doc: Value = serde_yaml::from_str(yaml).map_err(|e| format!("spec YAML: {e}"))?;
        let mut ops = Vec::new();
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("spec has no paths")?;
        for (path, item) in paths {
            let item = item.as_object().ok_or("path item is not an object")?;
            let common: Vec<Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for method in ["get", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let mut params: Vec<Value> = Vec::new();
                let own: Vec<Value> = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for p in common.iter().chain(own.iter()) {
                    let p = resolve_ref(&doc, p)?;
                    let key = (p["in"].clone(), p["name"].clone());
                    params.retain(|q: &Value| (q["in"].clone(), q["name"].clone()) != key);
                    params.push(p);
                }
                let request_body = match op.get("requestBody") {
                    Some(rb) => {
                        let rb = resolve_ref(&doc, rb)?;
                        let required = rb["required"].as_bool().unwrap_or(false);
                        rb.pointer("/content/application~1json/schema")
                            .cloned()
                            .map(|s| (required, s))
                    }
                    None => None,
                };
                let mut responses = BTreeMap::new();
                if let Some(rs) = op.get("responses").and_then(Value::as_object) {
                    for (code, r) in rs {
                        let r = resolve_ref(&doc, r)?;
                        responses.insert(
                            code.clone(),
                            r.pointer("/content/application~1json/schema").cloned(),
                        );
                    }
                }
                ops.push(Operation {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    segments: parse_template(path),
                    parameters: params,
                    request_body,
                    responses,
                });
            }
        }
        Ok(Spec {
            doc,
            ops,
            strict,
            error_schema: None,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Sets the schema that undeclared error statuses (4xx, 5xx) are checked against.
    pub fn with_error_schema(mut self, schema: Value) -> Spec {
        self.error_schema = Some(schema);
        self
    }

    pub fn version(&self) -> &str {
        self.doc["info"]["version"].as_str().unwrap_or("")
    }

    pub fn operations(&self) -> &[Operation] {
        &self.ops
    }

    /// Finds the operation for a concrete path (`/invoices/42`, without the `/v2` base).
    /// Literal segments win over parameters (`/invoices/search` is not `/invoices/{id}`).
    pub fn find(&self, method: &str, path: &str) -> Option<(&Operation, HashMap<String, String>)> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut best: Option<(usize, &Operation, HashMap<String, String>)> = None;
        for op in self
            .ops
            .iter()
            .filter(|o| o.method.eq_ignore_ascii_case(method))
        {
            if op.segments.len() != parts.len() {
                continue;
            }
            let mut literals = 0;
            let mut vars = HashMap::new();
            let mut ok = true;
            for (seg, part) in op.segments.iter().zip(&parts) {
                match seg {
                    Segment::Literal(l) if l == part => literals += 1,
                    Segment::Literal(_) => {
                        ok = false;
                        break;
                    }
                    Segment::Param(n) => {
                        vars.insert(n.clone(), (*part).to_string());
                    }
                }
            }
            if ok && best.as_ref().is_none_or(|(l, _, _)| literals > *l) {
                best = Some((literals, op, vars));
            }
        }
        best.map(|(_, op, vars)| (op, vars))
    }

    /// Checks a request: the operation exists, path parameters, query parameters (PHP-style
    /// `name[]=` for arrays, no unknown names) and the JSON body. Returns the operation's path
    /// template on success, every violation otherwise.
    pub fn check_request(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<String, Vec<String>> {
        let Some((op, vars)) = self.find(method, path) else {
            return Err(vec![format!(
                "{method} {path}: no such operation in the spec"
            )]);
        };
        let mut errs = Vec::new();
        let here = format!("{} {}", op.method, op.path);
        // Path parameters.
        for (name, raw) in &vars {
            match op
                .parameters
                .iter()
                .find(|p| p["in"] == "path" && p["name"] == name.as_str())
            {
                Some(p) => {
                    let v = coerce(&self.doc, raw, &p["schema"]);
                    if let Err(e) = self.validate_value(&p["schema"], &v) {
                        errs.push(format!("{here}: path parameter {name}={raw}: {e}"));
                    }
                }
                None => errs.push(format!("{here}: undeclared path parameter {name}")),
            }
        }
        // Query parameters, grouped by name; arrays must use the PHP `name[]` form.
        let mut groups: BTreeMap<String, (bool, Vec<String>)> = BTreeMap::new();
        for (k, v) in query {
            let (name, bracket) = match k.strip_suffix("[]") {
                Some(n) => (n.to_string(), true),
                None => (k.clone(), false),
            };
            let g = groups.entry(name).or_insert((bracket, Vec::new()));
            g.0 |= bracket;
            g.1.push(v.clone());
        }
        for (name, (bracket, values)) in &groups {
            let Some(p) = op
                .parameters
                .iter()
                .find(|p| p["in"] == "query" && p["name"] == name.as_str())
            else {
                errs.push(format!("{here}: unknown query parameter {name}"));
                continue;
            };
            let schema = resolve_ref(&self.doc, &p["schema"]).unwrap_or(Value::Null);
            let is_array = schema["type"] == "array";
            if is_array && !bracket {
                errs.push(format!(
                    "{here}: array parameter {name} must be sent as {name}[]= (PHP style)"
                ));
                continue;
            }
            if !is_array && (*bracket || values.len() > 1) {
                errs.push(format!("{here}: scalar parameter {name} sent as an array"));
                continue;
            }
            let v = if is_array {
                Value::Array(
                    values
                        .iter()
                        .map(|s| coerce(&self.doc, s, &schema["items"]))
                        .collect(),
                )
            } else {
                coerce(&self.doc, &values[0], &schema)
            };
            if let Err(e) = self.validate_value(&p["schema"], &v) {
                errs.push(format!("{here}: query {name}={values:?}: {e}"));
            }
        }
        for p in &op.parameters {
            if p["in"] == "query"
                && p["required"].as_bool() == Some(true)
                && !groups.contains_key(p["name"].as_str().unwrap_or_default())
            {
                errs.push(format!(
                    "{here}: missing required query parameter {}",
                    p["name"]
                ));
            }
        }
        // Body.
        match (&op.request_body, body) {
            (Some((_, schema)), Some(b)) => {
                if let Err(e) = self.validate_value(schema, b) {
                    errs.push(format!("{here}: request body: {e}"));
                }
            }
            // A body schema with required properties cannot be met by no body (Sellsy answers
            // 400 "le champ 'filters' est manquant", research §2.1) even if the spec does not
            // flag the requestBody itself as required.
            (Some((required, schema)), None) if *required || self.has_required(schema) => {
                errs.push(format!("{here}: request body is required"))
            }
            (None, Some(_)) => errs.push(format!("{here}: operation takes no request body")),
            _ => {}
        }
        if errs.is_empty() {
            Ok(op.path.clone())
        } else {
            Err(errs)
        }
    }

    fn has_required(&self, schema: &Value) -> bool {
        resolve_ref(&self.doc, schema)
            .ok()
            .and_then(|s| {
                s.get("required")
                    .and_then(Value::as_array)
                    .map(|r| !r.is_empty())
            })
            .unwrap_or(false)
    }

    /// Checks a response body for an operation (given by method and concrete path) and status.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: Option<&Value>,
    ) -> Result<(), Vec<String>> {
        let Some((op, _)) = self.find(method, path) else {
            return Err(vec![format!(
                "{method} {path}: no such operation in the spec"
            )]);
        };
        let here = format!("{} {} -> {status}", op.method, op.path);
        let code = status.to_string();
        let class = format!("{}XX", status / 100);
        let declared = op
            .responses
            .get(&code)
            .or_else(|| op.responses.get(&class))
            .or_else(|| op.responses.get("default"));
        let schema = match declared {
            Some(s) => s.clone(),
            // Undeclared error statuses carry the API's error envelope, if it has one.
            None if status >= 400 && self.error_schema.is_some() => self.error_schema.clone(),
            None => {
                return Err(vec![format!(
                    "{here}: status not declared for the operation"
                )]);
            }
        };
        match (schema, body) {
            (Some(s), Some(b)) => self
                .validate_value(&s, b)
                .map_err(|e| vec![format!("{here}: {e}")]),
            (Some(_), None) => Err(vec![format!("{here}: JSON body expected")]),
            (None, Some(b)) if !b.is_null() => {
                Err(vec![format!("{here}: no content declared, got a body")])
            }
            _ => Ok(()),
        }
    }

    /// Validates `instance` against an OpenAPI schema (which may contain `$ref`s into the spec).
    pub fn validate_value(&self, schema: &Value, instance: &Value) -> Result<(), String> {
        let key = serde_json::to_string(schema).unwrap_or_default();
        let validator = {
            let cached = self.cache.lock().unwrap().get(&key).cloned();
            match cached {
                Some(v) => v,
                None => {
                    let converted = Converter::new(&self.doc, self.strict).root(schema);
                    let v = jsonschema::options()
                        .with_draft(jsonschema::Draft::Draft202012)
                        .should_validate_formats(true)
                        .build(&converted)
                        .map_err(|e| format!("schema does not compile: {e}"))?;
                    let v = Arc::new(v);
                    self.cache.lock().unwrap().insert(key, v.clone());
                    v
                }
            }
        };
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .take(5)
            .map(|e| format!("at '{}': {}", e.instance_path, short(&e.to_string())))
            .collect();
        if errors.is_empty() {
            return Ok(());
        }
        // A failed oneOf/anyOf says little: report the closest branch's own errors.
        if let Some(detail) = self.closest_branch(schema, instance) {
            return Err(detail);
        }
        Err(errors.join("; "))
    }

    fn closest_branch(&self, schema: &Value, instance: &Value) -> Option<String> {
        let (base, target) = match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => (Some(r.to_string()), pointer(&self.doc, r)?.clone()),
            None => (None, schema.clone()),
        };
        for comb in ["oneOf", "anyOf"] {
            let Some(branches) = target.get(comb).and_then(Value::as_array) else {
                continue;
            };
            let mut best: Option<(usize, usize, String)> = None;
            for (i, b) in branches.iter().enumerate() {
                let branch = match &base {
                    Some(r) => json!({ "$ref": format!("{r}/{comb}/{i}") }),
                    None => b.clone(),
                };
                match self.validate_value(&branch, instance) {
                    Ok(()) => return None, // matches alone: the failure is ambiguity
                    Err(e) => {
                        let n = e.matches("at '").count();
                        if best.as_ref().is_none_or(|(bn, _, _)| n < *bn) {
                            best = Some((n, i, e));
                        }
                    }
                }
            }
            return best.map(|(_, i, e)| format!("no {comb} branch matches; closest is #{i}: {e}"));
        }
        None
    }

    /// The converted JSON Schema for a component (for inspection and tests).
    pub fn converted(&self, schema: &Value) -> Value {
        Converter::new(&self.doc, self.strict).root(schema)
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 300 {
        let cut: String = s.chars().take(300).collect();
        format!("{cut}…")
    } else {
        s.to_string()
    }
}

fn parse_template(path: &str) -> Vec<Segment> {
    path.trim_matches('/')
        .split('/')
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') {
                Segment::Param(s[1..s.len() - 1].to_string())
            } else {
                Segment::Literal(s.to_string())
            }
        })
        .collect()
}
