//! Conformance checker against Sellsy's official OpenAPI 3.0.2 document (v2.264.0, vendored in
//! `crates/sellsy/spec/`). It matches a request to an operation (path template, method), checks
//! its query parameters and JSON body, and checks a response body against the schema declared
//! for its status.
//!
//! OpenAPI 3.0 schemas are not JSON Schema: they are converted here to draft 2020-12 before
//! `jsonschema` compiles them:
//! - `nullable: true` becomes a `"null"` type (or an `anyOf` with `null` around a `$ref`);
//! - `allOf` is merged into one object (Sellsy's spec relies on merge semantics: it puts
//!   `additionalProperties: false` next to `allOf`, which plain JSON Schema would read as "no
//!   property at all"), and properties next to a `oneOf`/`anyOf` are distributed into its branches;
//! - in strict mode (the default) an object that lists its properties accepts no other property,
//!   so a renamed or invented field fails even where the spec declares no `required` list;
//! - `$ref`s (JSON pointers, percent-encoded, often deep into other schemas) are resolved against
//!   the original document and emitted as `$defs`, so recursive schemas stay finite;
//! - `format` is validated (date, date-time, uri, email).
//!
//! Documented deviations from the raw document are listed in [`Spec::error_body_schema`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value, json};

/// The vendored spec, byte-for-byte (see `crates/sellsy/spec/README.md`).
pub const SPEC_YAML: &str = include_str!("../../../sellsy/spec/sellsy-v2-openapi.yaml");

/// Sellsy's error envelope (spec `info.description` and `components.schemas.Error`); most
/// operations do not declare their 4xx responses, so error bodies are checked against this.
const ERROR_ENVELOPE_REF: &str = "#/components/schemas/Error";

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
    cache: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

/// The shared strict instance (parsing 2 MB of YAML once per process).
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| Spec::parse(SPEC_YAML, true).expect("vendored Sellsy spec parses"))
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
            cache: Mutex::new(HashMap::new()),
        })
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
            // Undeclared error statuses carry Sellsy's error envelope (spec info.description).
            None if status >= 400 => Some(self.error_body_schema()),
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

    /// `components.schemas.Error` (`{"error":{code,message,details,context}}`), the envelope of
    /// every Sellsy error (spec `info.description`, research §3.7). `error`, its `code` and
    /// `message` are required here although the spec only states it in prose.
    pub fn error_body_schema(&self) -> Value {
        json!({ "allOf": [
            { "$ref": ERROR_ENVELOPE_REF },
            { "required": ["error"], "properties": { "error": { "required": ["code", "message"] } } }
        ]})
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

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Resolves a local `$ref` (`#/a/b~1c/0`, percent-encoded) against the document.
pub fn pointer<'a>(doc: &'a Value, r: &str) -> Option<&'a Value> {
    let frag = r.strip_prefix('#')?;
    doc.pointer(&percent_decode(frag))
}

fn resolve_ref(doc: &Value, v: &Value) -> Result<Value, String> {
    let mut cur = v.clone();
    for _ in 0..32 {
        match cur.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                cur = pointer(doc, r)
                    .cloned()
                    .ok_or_else(|| format!("unresolvable $ref {r}"))?
            }
            None => return Ok(cur),
        }
    }
    Err("$ref chain too long".into())
}

/// Turns a query/path string into the JSON value the schema expects (integers, booleans).
fn coerce(doc: &Value, raw: &str, schema: &Value) -> Value {
    let schema = resolve_ref(doc, schema).unwrap_or(Value::Null);
    let mut types: Vec<String> = Vec::new();
    collect_types(doc, &schema, &mut types, 0);
    if types.iter().any(|t| t == "integer")
        && let Ok(i) = raw.parse::<i64>()
    {
        return json!(i);
    }
    if types.iter().any(|t| t == "number")
        && let Ok(f) = raw.parse::<f64>()
    {
        return json!(f);
    }
    if types.iter().any(|t| t == "boolean") {
        match raw {
            "true" | "1" => return json!(true),
            "false" | "0" => return json!(false),
            _ => {}
        }
    }
    json!(raw)
}

fn collect_types(doc: &Value, s: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    let s = resolve_ref(doc, s).unwrap_or(Value::Null);
    if let Some(t) = s["type"].as_str() {
        out.push(t.to_string());
    }
    for k in ["oneOf", "anyOf", "allOf"] {
        if let Some(arr) = s[k].as_array() {
            for b in arr {
                collect_types(doc, b, out, depth + 1);
            }
        }
    }
}

/// OpenAPI 3.0 schema -> JSON Schema 2020-12 (see the module docs).
struct Converter<'a> {
    doc: &'a Value,
    strict: bool,
    defs: Map<String, Value>,
    keys: HashMap<String, String>,
}

const DROP: &[&str] = &[
    "nullable",
    "example",
    "examples",
    "readOnly",
    "writeOnly",
    "xml",
    "discriminator",
    "externalDocs",
    "deprecated",
    "title",
    "description",
    "x-examples",
];

impl<'a> Converter<'a> {
    fn new(doc: &'a Value, strict: bool) -> Self {
        Converter {
            doc,
            strict,
            defs: Map::new(),
            keys: HashMap::new(),
        }
    }

    fn root(mut self, schema: &Value) -> Value {
        let body = self.conv(schema);
        let mut root = Map::new();
        root.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        root.insert(
            "$defs".into(),
            Value::Object(std::mem::take(&mut self.defs)),
        );
        root.insert("allOf".into(), json!([body]));
        Value::Object(root)
    }

    fn def_for(&mut self, r: &str) -> String {
        if let Some(k) = self.keys.get(r) {
            return k.clone();
        }
        let mut key: String = r
            .trim_start_matches("#/")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        key = format!("{key}_{}", self.keys.len());
        self.keys.insert(r.to_string(), key.clone());
        let target = pointer(self.doc, r).cloned().unwrap_or(json!({
            "not": {}, "description": format!("unresolvable $ref {r}")
        }));
        let converted = self.conv(&target);
        self.defs.insert(key.clone(), converted);
        key
    }

    /// Inlines `$ref`s and merges `allOf` into one raw (still OpenAPI) schema.
    fn flatten(&self, s: &Value, depth: usize) -> Value {
        if depth > 24 {
            return s.clone();
        }
        let mut s = s.clone();
        // OpenAPI 3.0: siblings of `$ref` are ignored, except that we keep `nullable`.
        while let Some(r) = s.get("$ref").and_then(Value::as_str).map(str::to_string) {
            let nullable = s.get("nullable").cloned();
            s = pointer(self.doc, &r).cloned().unwrap_or(json!({"not": {}}));
            if let (Some(n), Some(o)) = (nullable, s.as_object_mut()) {
                o.insert("nullable".into(), n);
            }
        }
        let Some(obj) = s.as_object() else { return s };
        let Some(members) = obj.get("allOf").and_then(Value::as_array) else {
            return s;
        };
        let mut merged: Map<String, Value> = obj.clone();
        merged.remove("allOf");
        let mut props: Map<String, Value> = merged
            .remove("properties")
            .and_then(|p| p.as_object().cloned())
            .unwrap_or_default();
        let mut required: Vec<Value> = merged
            .remove("required")
            .and_then(|r| r.as_array().cloned())
            .unwrap_or_default();
        for m in members {
            let m = self.flatten(m, depth + 1);
            let Some(mo) = m.as_object() else { continue };
            for (k, v) in mo {
                match k.as_str() {
                    "properties" => {
                        for (pk, pv) in v.as_object().into_iter().flatten() {
                            match props.get(pk) {
                                Some(existing) if existing != pv => {
                                    let both = json!({"allOf": [existing.clone(), pv.clone()]});
                                    props.insert(pk.clone(), both);
                                }
                                _ => {
                                    props.insert(pk.clone(), pv.clone());
                                }
                            }
                        }
                    }
                    "required" => {
                        for r in v.as_array().into_iter().flatten() {
                            if !required.contains(r) {
                                required.push(r.clone());
                            }
                        }
                    }
                    "additionalProperties" => {
                        if v == &Value::Bool(false) || !merged.contains_key(k) {
                            merged.insert(k.clone(), v.clone());
                        }
                    }
                    "nullable" | "title" | "description" | "example" => {}
                    _ => {
                        merged.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
        if !props.is_empty() {
            merged.insert("properties".into(), Value::Object(props));
            merged
                .entry("type".to_string())
                .or_insert_with(|| json!("object"));
        }
        if !required.is_empty() {
            merged.insert("required".into(), Value::Array(required));
        }
        Value::Object(merged)
    }

    fn conv(&mut self, s: &Value) -> Value {
        let Some(obj) = s.as_object() else {
            return s.clone();
        };
        if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
            let r = r.to_string();
            let key = self.def_for(&r);
            let out = json!({ "$ref": format!("#/$defs/{key}") });
            return if obj.get("nullable") == Some(&Value::Bool(true)) {
                json!({ "anyOf": [out, {"type": "null"}] })
            } else {
                out
            };
        }
        let mut s = if obj.contains_key("allOf") {
            self.flatten(s, 0)
        } else {
            s.clone()
        };
        // Properties next to oneOf/anyOf belong to every branch.
        for comb in ["oneOf", "anyOf"] {
            let has_props = s.get("properties").is_some() || s.get("required").is_some();
            if has_props && s.get(comb).is_some() {
                let o = s.as_object_mut().unwrap();
                let props = o.remove("properties");
                let req = o.remove("required");
                let branches = o[comb].as_array().cloned().unwrap_or_default();
                let mut new = Vec::new();
                for b in branches {
                    let mut parts = vec![];
                    let mut parent = Map::new();
                    if let Some(p) = &props {
                        parent.insert("properties".into(), p.clone());
                    }
                    if let Some(r) = &req {
                        parent.insert("required".into(), r.clone());
                    }
                    parts.push(Value::Object(parent));
                    parts.push(b);
                    new.push(self.flatten(&json!({ "allOf": parts }), 0));
                }
                o.insert(comb.into(), Value::Array(new));
            }
        }
        let obj = s.as_object().cloned().unwrap_or_default();
        let nullable = obj.get("nullable") == Some(&Value::Bool(true));
        let mut out = Map::new();
        for (k, v) in &obj {
            if DROP.contains(&k.as_str()) || k.starts_with("x-") {
                continue;
            }
            match k.as_str() {
                "properties" => {
                    let mut p = Map::new();
                    for (pk, pv) in v.as_object().into_iter().flatten() {
                        p.insert(pk.clone(), self.conv(pv));
                    }
                    out.insert(k.clone(), Value::Object(p));
                }
                "items" | "not" => {
                    out.insert(k.clone(), self.conv(v));
                }
                "additionalProperties" => {
                    let c = if v.is_object() {
                        self.conv(v)
                    } else {
                        v.clone()
                    };
                    out.insert(k.clone(), c);
                }
                "oneOf" | "anyOf" | "allOf" => {
                    let arr: Vec<Value> = v
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|b| self.conv(b))
                        .collect();
                    out.insert(k.clone(), Value::Array(arr));
                }
                "exclusiveMinimum" | "exclusiveMaximum" => {
                    // OpenAPI 3.0 (draft 4) booleans become 2020-12 numbers.
                    let bound = if k == "exclusiveMinimum" {
                        "minimum"
                    } else {
                        "maximum"
                    };
                    if v == &Value::Bool(true) {
                        if let Some(b) = obj.get(bound) {
                            out.insert(k.clone(), b.clone());
                        }
                    } else if v.is_number() {
                        out.insert(k.clone(), v.clone());
                    }
                }
                "minimum" | "maximum" => {
                    let ex = if k == "minimum" {
                        "exclusiveMinimum"
                    } else {
                        "exclusiveMaximum"
                    };
                    if obj.get(ex) != Some(&Value::Bool(true)) {
                        out.insert(k.clone(), v.clone());
                    }
                }
                "default" => {}
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        if self.strict
            && out.contains_key("properties")
            && !out.contains_key("additionalProperties")
            && !out.contains_key("oneOf")
            && !out.contains_key("anyOf")
        {
            out.insert("additionalProperties".into(), Value::Bool(false));
        }
        // `additionalProperties: false` next to allOf-composed branches has been merged above;
        // a lone `false` with no properties and a combinator would reject everything.
        if out.get("additionalProperties") == Some(&Value::Bool(false))
            && !out.contains_key("properties")
            && (out.contains_key("oneOf") || out.contains_key("anyOf"))
        {
            out.remove("additionalProperties");
        }
        if nullable {
            match out.get("type").cloned() {
                Some(Value::String(t)) => {
                    out.insert("type".into(), json!([t, "null"]));
                    if let Some(Value::Array(e)) = out.get_mut("enum")
                        && !e.contains(&Value::Null)
                    {
                        e.push(Value::Null);
                    }
                }
                _ => {
                    return json!({ "anyOf": [Value::Object(out), {"type": "null"}] });
                }
            }
        }
        Value::Object(out)
    }
}
