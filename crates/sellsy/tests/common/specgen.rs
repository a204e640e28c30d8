//! Answers generated from the official spec's response schemas (the vendored v2.264.0
//! document, `simulators::sellsy::spec::SPEC_YAML`), by a generic walk of OpenAPI 3.0 schemas: `$ref`,
//! `allOf` (merged), `oneOf`/`anyOf` (one branch, with the properties beside them), `nullable`,
//! `enum`, `type`, `format`, `required`, `minimum`/`maximum`, `minLength`/`maxLength`,
//! `minItems`/`maxItems`, `uniqueItems`. Nothing in here knows an endpoint.
//!
//! Two modes:
//! - **random** (seeded): every optional property present with probability `p_optional`,
//!   every nullable value `null` with probability `p_null`, enums and branches drawn;
//! - **static**: what a static mock (Prism's static mode) serves: every property, the spec's
//!   `example` where there is one (even where it contradicts the type: `"code": 411000`), else
//!   its `default`, the first enum value, the first branch, one array item, a typed default.
//!
//! Where the spec is silent on a value's range, random values are drawn from ranges Sellsy
//! plausibly sends; each constraint is listed here and none removes a kind of value the spec
//! allows:
//! 1. integers without bounds: 75 % in 1..=40 (so ids meet across answers: a row's
//!    `accounting_code_id` among `/accounting-codes`, a journal line's document among the
//!    documents), 10 % in 41..=2 000 000 000, 5 % in −1000..=0 (the spec allows negative
//!    integers), 10 % the spec's example;
//! 2. numbers without bounds (`/taxes/accounting-codes` `rate`): 35 % the example, else
//!    0..=100 with up to 4 decimals, tiny magnitudes down to 1e−40, large up to 1e12, or
//!    negative;
//! 3. strings whose spec example is a decimal (amounts, rates, quantities are typed `string`
//!    with examples such as `"20.00"`) are decimal strings: 40 % the example, else 0..=10^6
//!    with 0 to 40 decimals, sometimes negative; strings whose example is a digit string or an
//!    integer (`code`, `siret`) are digit strings of that length; other strings are the example
//!    half of the time, else random letters (bounded by `minLength`/`maxLength`);
//!    a string without example whose property is named like money (`rate`, `amount`,
//!    `value`, `total`, `percent`, `quantity`, or ending in `_amount`, `_rate`, `_tax`,
//!    `_tax_exc`, `_tax_inc`) is a decimal string nine times in ten (the spec shows decimals in
//!    such fields wherever it gives an example), a free string the tenth;
//! 4. a string with a `pattern` is its example (no regex generator; the examples match);
//! 5. `format: date`/`date-time` values fall in the night's window ± 45 days, so documents
//!    land both inside and outside it;
//! 6. `format: uri`/`url` values point at the mock server's `/files/` (so a PDF link is
//!    downloaded from 127.0.0.1, never from the Internet); in static mode only where the spec
//!    gives no example;
//! 7. arrays hold at most 3 items beyond `minItems` (4 in all by default); schemas nested
//!    deeper than 12 levels get only their required properties.

use std::sync::OnceLock;

use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

/// The vendored spec as JSON (parsed once per test process).
pub fn doc() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_yaml::from_str(simulators::sellsy::spec::SPEC_YAML).expect("spec parses")
    })
}

/// The JSON schema of an operation's success answer.
pub fn success_schema(method: &str, template: &str) -> Option<&'static Value> {
    let op = doc()
        .get("paths")?
        .get(template)?
        .get(method.to_lowercase())?;
    let responses = op.get("responses")?.as_object()?;
    let (_, r) = responses.iter().find(|(code, _)| code.starts_with('2'))?;
    let r = resolve(r);
    r.pointer("/content/application~1json/schema")
}

fn pointer(r: &str) -> Option<&'static Value> {
    simulators::sellsy::spec::pointer(doc(), r)
}

/// Follows `$ref`s; returns the target (the `nullable` beside a `$ref` is read by the caller).
fn resolve(s: &Value) -> &Value {
    let mut cur = s;
    for _ in 0..32 {
        match cur.get("$ref").and_then(Value::as_str).and_then(pointer) {
            Some(t) => cur = t,
            None => break,
        }
    }
    cur
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Random,
    Static,
}

#[derive(Debug, Clone)]
pub struct Knobs {
    pub p_optional: f64,
    pub p_null: f64,
    /// Dates fall in this window ± 45 days.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `format: uri` values point under this base.
    pub files_base: String,
}

pub struct Gen {
    pub mode: Mode,
    pub knobs: Knobs,
    rng: StdRng,
    /// Every optional property and at least one array item (to tell `oneOf` branches apart).
    eager: bool,
    /// The name of the property being generated, if any.
    name: Option<String>,
}

/// The spec read as written (an object accepts properties it does not list), to tell which
/// `oneOf` branches a value matches and to check generated answers.
pub fn lax() -> &'static simulators::sellsy::spec::Spec {
    static LAX: OnceLock<simulators::sellsy::spec::Spec> = OnceLock::new();
    LAX.get_or_init(|| {
        simulators::sellsy::spec::Spec::parse(simulators::sellsy::spec::SPEC_YAML, false)
            .expect("spec parses")
    })
}

const MAX_DEPTH: usize = 12;
const WORDS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Merges `allOf` members (and `$ref`s inside them) into one schema, as the spec relies on.
pub fn merged(s: &Value) -> Value {
    let nullable = s.get("nullable").cloned();
    let s = resolve(s);
    let mut out = match s.as_object() {
        Some(o) => o.clone(),
        None => return s.clone(),
    };
    if let Some(n) = nullable {
        out.insert("nullable".into(), n);
    }
    let Some(members) = out.remove("allOf") else {
        return Value::Object(out);
    };
    let mut props = out
        .remove("properties")
        .and_then(|p| p.as_object().cloned())
        .unwrap_or_default();
    let mut required: Vec<Value> = out
        .remove("required")
        .and_then(|r| r.as_array().cloned())
        .unwrap_or_default();
    for m in members.as_array().into_iter().flatten() {
        let m = merged(m);
        for (k, v) in m.as_object().into_iter().flatten() {
            match k.as_str() {
                "properties" => {
                    for (pk, pv) in v.as_object().into_iter().flatten() {
                        // A property defined twice must meet both definitions.
                        let both = match props.get(pk) {
                            Some(existing) if existing != pv => {
                                json!({ "allOf": [existing.clone(), pv.clone()] })
                            }
                            _ => pv.clone(),
                        };
                        props.insert(pk.clone(), both);
                    }
                }
                "items" => {
                    let both = match out.get("items") {
                        Some(existing) if existing != v => {
                            json!({ "allOf": [existing.clone(), v.clone()] })
                        }
                        _ => v.clone(),
                    };
                    out.insert("items".into(), both);
                }
                "required" => {
                    for r in v.as_array().into_iter().flatten() {
                        if !required.contains(r) {
                            required.push(r.clone());
                        }
                    }
                }
                "nullable" | "description" | "title" => {}
                _ => {
                    out.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    if !props.is_empty() {
        out.insert("properties".into(), Value::Object(props));
        out.entry("type").or_insert(json!("object"));
    }
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    Value::Object(out)
}

impl Gen {
    pub fn new(mode: Mode, seed: u64, knobs: Knobs) -> Gen {
        Gen {
            mode,
            knobs,
            rng: StdRng::seed_from_u64(seed),
            eager: false,
            name: None,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    /// A value for `schema`.
    pub fn value(&mut self, schema: &Value) -> Value {
        self.walk(schema, 0)
    }

    fn walk(&mut self, schema: &Value, depth: usize) -> Value {
        let s = merged(schema);
        let nullable = s.get("nullable") == Some(&Value::Bool(true));
        let example = s.get("example").cloned();
        match self.mode {
            Mode::Static => {
                if let Some(ex) = example.clone()
                    && (!self.is_uri(&s) || !ex.is_null())
                {
                    return ex;
                }
                if let Some(d) = s.get("default") {
                    return d.clone();
                }
            }
            Mode::Random => {
                if nullable && self.chance(self.knobs.p_null) {
                    return Value::Null;
                }
            }
        }
        for comb in ["oneOf", "anyOf"] {
            if let Some(branches) = s
                .get(comb)
                .and_then(Value::as_array)
                .filter(|b| !b.is_empty())
            {
                let i = match self.mode {
                    Mode::Static => 0,
                    Mode::Random => self.rng.random_range(0..branches.len()),
                };
                // The properties beside a oneOf belong to every branch.
                let mut parent = s.as_object().cloned().unwrap_or_default();
                parent.remove(comb);
                let with_parent =
                    |b: &Value| json!({ "allOf": [Value::Object(parent.clone()), b.clone()] });
                let branch = with_parent(&branches[i]);
                let v = self.walk(&branch, depth + 1);
                if comb == "anyOf" || self.mode == Mode::Static || branches.len() < 2 {
                    return v;
                }
                // oneOf: exactly one branch may match. Draw again, fuller, while another
                // branch also accepts the value (e.g. an invoice without rows is both an
                // `InvoiceOne` and a `ProgressInvoiceOne`).
                let others: Vec<Value> = (0..branches.len())
                    .filter(|j| *j != i)
                    .map(|j| with_parent(&branches[j]))
                    .collect();
                let ambiguous =
                    |v: &Value| others.iter().any(|o| lax().validate_value(o, v).is_ok());
                let mut v = v;
                let eager = self.eager;
                self.eager = true;
                for _ in 0..8 {
                    if !ambiguous(&v) {
                        break;
                    }
                    v = self.walk(&branch, depth + 1);
                }
                self.eager = eager;
                return v;
            }
        }
        if let Some(values) = s
            .get("enum")
            .and_then(Value::as_array)
            .filter(|e| !e.is_empty())
        {
            let values: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
            if values.is_empty() {
                return Value::Null;
            }
            return match self.mode {
                Mode::Static => values[0].clone(),
                Mode::Random => values[self.rng.random_range(0..values.len())].clone(),
            };
        }
        let ty = s.get("type").and_then(Value::as_str).unwrap_or_else(|| {
            if s.get("properties").is_some() {
                "object"
            } else if s.get("items").is_some() {
                "array"
            } else {
                "string"
            }
        });
        match ty {
            "object" => self.object(&s, depth),
            "array" => self.array(&s, depth),
            "integer" => self.integer(&s, example.as_ref()),
            "number" => self.number(&s, example.as_ref()),
            "boolean" => match self.mode {
                Mode::Static => json!(true),
                Mode::Random => json!(self.chance(0.5)),
            },
            _ => self.string(&s, example.as_ref()),
        }
    }

    fn object(&mut self, s: &Value, depth: usize) -> Value {
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut out = Map::new();
        for (k, v) in s
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            // writeOnly properties are never in an answer.
            if merged(v).get("writeOnly") == Some(&Value::Bool(true)) {
                continue;
            }
            let is_required = required.contains(&k.as_str());
            let present = match self.mode {
                Mode::Static => is_required || depth < MAX_DEPTH,
                Mode::Random => {
                    let p = if self.eager {
                        1.0
                    } else {
                        self.knobs.p_optional
                    };
                    is_required || (depth < MAX_DEPTH && self.chance(p))
                }
            };
            if present {
                self.name = Some(k.clone());
                let value = self.walk(v, depth + 1);
                out.insert(k.clone(), value);
            }
        }
        // Required but not described (the spec does this: `automatic_dunning.sent[]` requires
        // `id` and `due_at`): any value will do.
        for k in required {
            if !out.contains_key(k) {
                out.insert(k.to_string(), self.walk(&json!({}), depth + 1));
            }
        }
        Value::Object(out)
    }

    fn array(&mut self, s: &Value, depth: usize) -> Value {
        let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = s
            .get("maxItems")
            .and_then(Value::as_u64)
            .map(|m| m as usize)
            .unwrap_or(min + 3)
            .min(min + 3);
        let n = match self.mode {
            Mode::Static => min.max(1).min(max.max(min)),
            Mode::Random if depth >= MAX_DEPTH => min,
            Mode::Random if self.eager => self.rng.random_range(min.max(1).min(max)..=max.max(min)),
            Mode::Random => self.rng.random_range(min..=max.max(min)),
        };
        let items = s.get("items").cloned().unwrap_or(json!({}));
        let unique = s.get("uniqueItems") == Some(&Value::Bool(true));
        let mut out: Vec<Value> = Vec::new();
        for _ in 0..n * 3 {
            if out.len() >= n {
                break;
            }
            let v = self.walk(&items, depth + 1);
            if !unique || !out.contains(&v) {
                out.push(v);
            }
        }
        Value::Array(out)
    }

    fn integer(&mut self, s: &Value, example: Option<&Value>) -> Value {
        let min = s.get("minimum").and_then(Value::as_i64);
        let max = s.get("maximum").and_then(Value::as_i64);
        if self.mode == Mode::Static {
            return json!(min.unwrap_or(0).max(0).min(max.unwrap_or(i64::MAX)));
        }
        if min.is_some() || max.is_some() {
            let lo = min.unwrap_or(max.unwrap_or(0) - 1000);
            let hi = max.unwrap_or(lo.saturating_add(1000)).max(lo);
            return json!(self.rng.random_range(lo..=hi));
        }
        let roll = self.rng.random_range(0..100);
        match roll {
            0..75 => json!(self.rng.random_range(1..=40)),
            75..85 => json!(self.rng.random_range(41..=2_000_000_000i64)),
            85..90 => json!(self.rng.random_range(-1000..=0)),
            _ => example
                .filter(|e| e.is_i64())
                .cloned()
                .unwrap_or(json!(self.rng.random_range(1..=40))),
        }
    }

    fn number(&mut self, s: &Value, example: Option<&Value>) -> Value {
        if self.mode == Mode::Static {
            return json!(s.get("minimum").and_then(Value::as_f64).unwrap_or(0.0));
        }
        let roll = self.rng.random_range(0..100);
        let v: f64 = match roll {
            0..35 => example.and_then(Value::as_f64).unwrap_or(20.0),
            35..70 => {
                let cents: i64 = self.rng.random_range(0..=1_000_000);
                cents as f64 / 10_000.0
            }
            70..80 => {
                let e: i32 = self.rng.random_range(-40..=-5);
                1.5 * 10f64.powi(e)
            }
            80..90 => self.rng.random_range(1.0e6..1.0e12),
            _ => -self.rng.random_range(0.0..100.0),
        };
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .unwrap_or(json!(0))
    }

    fn is_uri(&self, s: &Value) -> bool {
        matches!(
            s.get("format").and_then(Value::as_str),
            Some("uri" | "url" | "uri-reference")
        )
    }

    fn date(&mut self) -> NaiveDate {
        let from = self.knobs.from - Duration::days(45);
        let span = (self.knobs.to - from).num_days() + 45;
        from + Duration::days(self.rng.random_range(0..=span))
    }

    fn string(&mut self, s: &Value, example: Option<&Value>) -> Value {
        let format = s.get("format").and_then(Value::as_str).unwrap_or("");
        if self.mode == Mode::Static {
            return json!(match format {
                "date" => "2019-08-24".to_string(),
                "date-time" => "2019-08-24T14:15:22Z".to_string(),
                "email" => "user@example.com".to_string(),
                _ if self.is_uri(s) => format!("{}/files/static.pdf", self.knobs.files_base),
                _ => "string".to_string(),
            });
        }
        match format {
            "date" => return json!(self.date().to_string()),
            "date-time" => {
                let h: u32 = self.rng.random_range(0..24);
                return json!(format!("{}T{h:02}:12:44+01:00", self.date()));
            }
            "email" => return json!(format!("user{}@example.com", self.rng.random_range(0..999))),
            _ if self.is_uri(s) => {
                let n: u32 = self.rng.random();
                return json!(format!("{}/files/{n:08x}.pdf", self.knobs.files_base));
            }
            _ => {}
        }
        let ex_text = example.map(|e| match e {
            Value::String(t) => t.clone(),
            other => other.to_string(),
        });
        if s.get("pattern").is_some() {
            return json!(ex_text.unwrap_or_default());
        }
        let max_len = s
            .get("maxLength")
            .and_then(Value::as_u64)
            .map(|m| m as usize);
        let min_len = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let fit = |t: String| -> String {
            match max_len {
                Some(m) => t.chars().take(m).collect(),
                None => t,
            }
        };
        let money_name = self.name.as_deref().is_some_and(|n| {
            matches!(
                n,
                "rate" | "amount" | "value" | "total" | "percent" | "quantity"
            ) || ["_amount", "_rate", "_tax", "_tax_exc", "_tax_inc"]
                .iter()
                .any(|end| n.ends_with(end))
        });
        if ex_text.is_none() && money_name && self.chance(0.9) {
            return json!(fit(self.decimal_text()));
        }
        if let Some(ex) = ex_text.as_deref() {
            let t = ex.trim();
            let digits = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
            let decimal = !digits
                && t.parse::<f64>().is_ok()
                && t.bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
            if decimal || digits {
                if self.chance(0.4) {
                    return json!(fit(t.to_string()));
                }
                if digits {
                    let s: String = (0..t.len())
                        .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
                        .collect();
                    return json!(fit(s));
                }
                return json!(fit(self.decimal_text()));
            }
            if self.chance(0.5) && ex.chars().count() >= min_len {
                return json!(fit(ex.to_string()));
            }
        }
        let len = self
            .rng
            .random_range(min_len.max(1)..=max_len.unwrap_or(12).clamp(min_len.max(1), 12));
        let word: String = (0..len)
            .map(|_| char::from(WORDS[self.rng.random_range(0..WORDS.len())]))
            .collect();
        json!(word)
    }

    /// A decimal written as Sellsy may write it: 0 to 40 decimals, sometimes negative.
    fn decimal_text(&mut self) -> String {
        let int: u64 = match self.rng.random_range(0..10) {
            0..6 => self.rng.random_range(0..1000),
            6..9 => self.rng.random_range(0..1_000_000),
            _ => 0,
        };
        let scale = match self.rng.random_range(0..10) {
            0..4 => 2,
            4..6 => 0,
            6..8 => self.rng.random_range(1..=9),
            _ => self.rng.random_range(20..=40),
        };
        let frac: String = (0..scale)
            .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
            .collect();
        let sign = if self.chance(0.05) { "-" } else { "" };
        if scale == 0 {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{frac}")
        }
    }
}
