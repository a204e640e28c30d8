//! OpenAPI 3.0 schema -> JSON Schema 2020-12 (see the module docs of [`super`]).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::refs::pointer;

/// OpenAPI 3.0 schema -> JSON Schema 2020-12 (see the module docs).
pub(super) struct Converter<'a> {
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
    pub(super) fn new(doc: &'a Value, strict: bool) -> Self {
        Converter {
            doc,
            strict,
            defs: Map::new(),
            keys: HashMap::new(),
        }
    }

    pub(super) fn root(mut self, schema: &Value) -> Value {
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
