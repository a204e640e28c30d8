//! One "night" against a mock whose answers are generated from the official spec's response
//! schemas (`specgen`), every request checked against the spec (`mock`).
//!
//! Beyond the generator's value constraints (listed in `specgen`), the mock keeps three
//! answers coherent, as any server must, in random mode only:
//! - a list is a fixed virtual list per request (same method, path and body): `total` items
//!   (0 to 7), each generated once from the item schema, served in pages of 1 to 3 items
//!   whatever the `limit` asked (short pages while more is to come), with `count`, `total`,
//!   `limit` and a seek cursor (or, on some nights, an integer offset) that match;
//! - `GET /invoices/{id}` and `GET /credit-notes/{id}` answer with the `id` asked for (when
//!   the generated answer has an `id`), and agree with the search that listed the document on
//!   `number`, `status`, `date` and `created` (where the listing gave them);
//! - `GET /quotas` limits, when not `null`, are raised by 10 000 so that the pacer adopting
//!   them does not slow the test (slow quotas are the pacer's tests' and the bench's job);
//! - on half the nights ("coherent" nights) the money of each `GET /invoices/{id}` and
//!   `GET /credit-notes/{id}` answer adds up, as it does at Sellsy: money rows get an
//!   `amount_tax_exc` in cents at 20 % VAT, no row discount and no `accounting_code_id` (the
//!   dossier's default accounts apply), the document one VAT total, matching totals, no
//!   document discount, currency EUR, and a company in `related[]` if it names no customer.
//!   Random answers never add up, so without this nothing would ever be booked and the booking
//!   path would go untested against spec answers. Everything else stays as generated.
//!
//! Static nights serve the static answer untouched, and the client does not adopt its quotas
//! (the example limits, 10 a minute, would make a night last minutes): the static `/quotas`
//! answer is decoded by its own test.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::mock::{Answer, Handler, Req};
use super::specgen::{self, Gen, Knobs, Mode};

/// What a night served, to check that nothing the client was shown went missing.
#[derive(Debug, Default, Clone)]
pub struct Served {
    /// (kind, id) -> the GET-one answer served.
    pub documents: BTreeMap<(String, u64), Value>,
    /// Items served by `POST /invoices/search`.
    pub invoice_items: Vec<Value>,
    /// (kind, id) -> the first search item served for it.
    pub listed: BTreeMap<(String, u64), Value>,
    /// Lines served by `POST /accounting-journal/purchases/search`.
    pub purchase_lines: Vec<Value>,
}

pub struct Night {
    pub seed: u64,
    pub mode: Mode,
    pub knobs: Knobs,
    /// Path templates answered 403 (a scope missing), chosen per night.
    pub denied: BTreeSet<&'static str>,
    pub numeric_offsets: bool,
    /// Documents' money adds up (see the module docs).
    pub coherent: bool,
    pub served: Mutex<Served>,
}

/// Reference endpoints a night may refuse (their scopes are optional for a pull).
const REFUSABLE: &[&str] = &[
    "/quotas",
    "/accounting-codes",
    "/taxes/accounting-codes",
    "/settings/accounting-charts",
];

fn hash_of(parts: &[&str], seed: u64) -> u64 {
    let mut h = DefaultHasher::new();
    seed.hash(&mut h);
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

impl Night {
    pub fn new(seed: u64, mode: Mode, from: NaiveDate, to: NaiveDate) -> Night {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5e11_5e11);
        let denied = match mode {
            Mode::Static => BTreeSet::new(),
            Mode::Random => REFUSABLE
                .iter()
                .copied()
                .filter(|_| rng.random_bool(0.1))
                .collect(),
        };
        let p_optional = [0.5, 0.8, 0.95, 1.0][rng.random_range(0..4)];
        let p_null = [0.0, 0.05, 0.2][rng.random_range(0..3)];
        Night {
            seed,
            mode,
            knobs: Knobs {
                p_optional,
                p_null,
                from,
                to,
                files_base: String::new(),
            },
            denied,
            numeric_offsets: rng.random_bool(0.2),
            coherent: seed.is_multiple_of(2),
            served: Mutex::new(Served::default()),
        }
    }

    pub fn handler(self: &Arc<Self>, base: String) -> Handler {
        let night = self.clone();
        Arc::new(move |r: &Req| night.answer(r, &base))
    }

    fn generator(&self, seed: u64, base: &str) -> Gen {
        let mut knobs = self.knobs.clone();
        knobs.files_base = base.to_string();
        Gen::new(self.mode, seed, knobs)
    }

    fn answer(&self, r: &Req, base: &str) -> Answer {
        if r.path.starts_with("/files/") {
            // One PDF link in ten serves something that is not a PDF.
            let h = hash_of(&[&r.path], self.seed);
            return if self.mode == Mode::Random && h.is_multiple_of(10) {
                Answer::Bytes(200, "text/html", b"<html>expired</html>".to_vec())
            } else {
                Answer::Bytes(200, "application/pdf", PDF.to_vec())
            };
        }
        let Some((op, vars)) = simulators::sellsy::spec::spec().find(&r.method, &r.path) else {
            return Answer::error(404, "Ressource introuvable");
        };
        let template = op.path.clone();
        if self.denied.contains(template.as_str()) {
            return Answer::error(
                403,
                "Vous n'avez pas les droits nécessaires pour accéder à cette ressource",
            );
        }
        let Some(schema) = specgen::success_schema(&r.method, &template) else {
            return Answer::Json(204, Value::Null);
        };
        let body = r.body.as_ref().map(Value::to_string).unwrap_or_default();
        let mut query: Vec<String> = r.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        query.sort();
        let seed = hash_of(&[&r.method, &r.path, &query.join("&"), &body], self.seed);
        if self.mode == Mode::Static {
            let v = self.generator(seed, base).value(schema);
            self.record(&template, &vars, &v);
            return Answer::ok(v);
        }
        let merged = specgen::merged(schema);
        let is_list = merged.pointer("/properties/pagination").is_some()
            && merged.pointer("/properties/data/items").is_some();
        let mut v = if is_list {
            self.page(r, &merged, &body, base)
        } else {
            self.generator(seed, base).value(schema)
        };
        if let Some(id) = vars.get("id").and_then(|i| i.parse::<u64>().ok())
            && !is_list
            && let Some(o) = v.as_object_mut()
            && o.contains_key("id")
        {
            o.insert("id".into(), json!(id));
        }
        let one = template == "/invoices/{id}" || template == "/credit-notes/{id}";
        if one && let Some(id) = vars.get("id").and_then(|i| i.parse::<u64>().ok()) {
            let kind = if template.starts_with("/invoices") {
                "invoice"
            } else {
                "credit_note"
            };
            let listed = self
                .served
                .lock()
                .unwrap()
                .listed
                .get(&(kind.into(), id))
                .cloned();
            if let (Some(item), Some(o)) = (listed, v.as_object_mut()) {
                for k in ["number", "status", "date", "created"] {
                    if let Some(x) = item.get(k) {
                        o.insert(k.into(), x.clone());
                    }
                }
            }
        }
        if self.coherent && one {
            add_up(&mut v, seed);
        }
        if template == "/quotas"
            && let Some(o) = v.as_object_mut()
        {
            for (_, rate) in o.iter_mut() {
                if let Some(l) = rate.get_mut("limit")
                    && let Some(n) = l.as_i64()
                {
                    *l = json!(n + 10_000);
                }
            }
        }
        self.record(&template, &vars, &v);
        Answer::ok(v)
    }

    /// A page of the virtual list behind this request.
    fn page(&self, r: &Req, merged: &Value, body: &str, base: &str) -> Value {
        let list = hash_of(&[&r.method, &r.path, body], self.seed);
        let mut rng = StdRng::seed_from_u64(list);
        let total: u64 = rng.random_range(0..=7);
        let start: u64 = match r.q("offset") {
            None => 0,
            Some(o) => o
                .strip_prefix("cursor-")
                .unwrap_or(o)
                .parse()
                .unwrap_or(total),
        };
        let mut page_rng = StdRng::seed_from_u64(list ^ start);
        let size: u64 = page_rng.random_range(1..=3);
        let limit: u64 = r.q("limit").and_then(|l| l.parse().ok()).unwrap_or(25);
        let end = (start + size.min(limit.max(1))).min(total);
        let item_schema = merged.pointer("/properties/data/items").unwrap();
        let data: Vec<Value> = (start..end)
            .map(|i| {
                self.generator(list ^ (i + 1).wrapping_mul(0x9e37_79b9), base)
                    .value(item_schema)
            })
            .collect();
        let next = end.max(start);
        let offset = if self.numeric_offsets {
            json!(next)
        } else {
            json!(format!("cursor-{next}"))
        };
        let mut page = json!({
            "pagination": { "limit": limit.min(100), "count": data.len(), "total": total, "offset": offset },
            "data": data,
        });
        // Other members of the list answer (e.g. the journal's `aggregations`), as generated.
        if let Some(props) = merged.get("properties").and_then(Value::as_object) {
            for (k, s) in props {
                if k != "pagination" && k != "data" && rng.random_bool(self.knobs.p_optional) {
                    page[k] = self.generator(list ^ 7, base).value(s);
                }
            }
        }
        page
    }

    fn record(&self, template: &str, vars: &std::collections::HashMap<String, String>, v: &Value) {
        let mut served = self.served.lock().unwrap();
        match template {
            "/invoices/{id}" | "/credit-notes/{id}" => {
                let kind = if template.starts_with("/invoices") {
                    "invoice"
                } else {
                    "credit_note"
                };
                if let Some(id) = vars.get("id").and_then(|i| i.parse().ok()) {
                    served.documents.insert((kind.into(), id), v.clone());
                }
            }
            "/invoices/search" | "/credit-notes/search" => {
                let kind = if template.starts_with("/invoices") {
                    "invoice"
                } else {
                    "credit_note"
                };
                let items = v["data"].as_array().cloned().unwrap_or_default();
                for item in &items {
                    if let Some(id) = item.get("id").and_then(Value::as_u64) {
                        served
                            .listed
                            .entry((kind.into(), id))
                            .or_insert_with(|| item.clone());
                    }
                }
                if kind == "invoice" {
                    served.invoice_items.extend(items);
                }
            }
            "/accounting-journal/{type}/search"
                if vars.get("type").map(String::as_str) == Some("purchases") =>
            {
                let items = v["data"].as_array().cloned().unwrap_or_default();
                served.purchase_lines.extend(items);
            }
            _ => {}
        }
    }
}

/// Makes a generated document's money add up (see the module docs).
fn add_up(v: &mut Value, seed: u64) {
    use rust_decimal::Decimal;
    let Some(o) = v.as_object_mut() else { return };
    let mut rng = StdRng::seed_from_u64(seed ^ 0xadd);
    let mut excl = Decimal::ZERO;
    if let Some(rows) = o.get_mut("rows").and_then(Value::as_array_mut) {
        for row in rows.iter_mut().filter_map(Value::as_object_mut) {
            let money = matches!(
                row.get("type").and_then(Value::as_str),
                Some("single" | "catalog" | "shipping" | "packaging" | "deposit")
            );
            if !money {
                continue;
            }
            let amount = Decimal::new(rng.random_range(100..=500_000), 2);
            excl += amount;
            row.insert("amount_tax_exc".into(), json!(amount.to_string()));
            row.insert("tax_rate".into(), json!("20.00"));
            row.insert("is_optional".into(), json!(false));
            row.insert("discount".into(), Value::Null);
            row.remove("accounting_code_id");
        }
    }
    let vat = (excl * Decimal::new(20, 2)).round_dp(2);
    o.insert(
        "taxes".into(),
        json!([{ "id": 1, "label": "TVA 20 %", "rate": "20.00", "amount": vat.to_string() }]),
    );
    o.insert(
        "amounts".into(),
        json!({
            "total_raw_excl_tax": excl.to_string(),
            "total_after_discount_excl_tax": excl.to_string(),
            "total_excl_tax": excl.to_string(),
            "total_incl_tax": (excl + vat).to_string(),
        }),
    );
    o.insert("discount".into(), Value::Null);
    o.insert("currency".into(), json!("EUR"));
    let embedded = ["company", "individual"].iter().any(|k| {
        o.get("_embed")
            .and_then(|e| e.get(*k))
            .is_some_and(Value::is_object)
    });
    let related = o.get("related").and_then(Value::as_array).is_some_and(|r| {
        r.iter().any(|x| {
            matches!(
                x.get("type").and_then(Value::as_str),
                Some("company" | "individual")
            )
        })
    });
    if !embedded && !related {
        let list = o.entry("related").or_insert(json!([]));
        if let Some(a) = list.as_array_mut() {
            a.push(json!({ "id": 7, "type": "company" }));
        } else {
            *list = json!([{ "id": 7, "type": "company" }]);
        }
    }
}
