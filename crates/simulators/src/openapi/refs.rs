//! `$ref` resolution and the coercion of query and path strings to the types a schema expects.

use serde_json::{Value, json};

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

pub(super) fn resolve_ref(doc: &Value, v: &Value) -> Result<Value, String> {
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
pub(super) fn coerce(doc: &Value, raw: &str, schema: &Value) -> Value {
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
