//! The HTTP side of the simulator: token endpoint, `/v2/...` API routes, PDF files, quotas,
//! faults and conformance checks of every exchange.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::data::{Dataset, Doc, Kind};
use super::{ErrorRule, Faults, SimConfig, SimStats};

pub(crate) struct Quota {
    per_second: i64,
    per_minute: i64,
    per_day: i64,
    sec: VecDeque<Instant>,
    min: VecDeque<Instant>,
    day: i64,
}

impl Quota {
    fn new(cfg: &SimConfig) -> Quota {
        Quota {
            per_second: cfg.per_second as i64,
            per_minute: cfg.per_minute as i64,
            per_day: cfg.per_day as i64,
            sec: VecDeque::new(),
            min: VecDeque::new(),
            day: 0,
        }
    }

    fn prune(&mut self, now: Instant) {
        while self
            .sec
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            self.sec.pop_front();
        }
        while self
            .min
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            self.min.pop_front();
        }
    }

    /// Sliding windows; a request counts even when it is refused (research §4).
    fn admit(&mut self, now: Instant) -> Result<(), u64> {
        self.prune(now);
        let refused = if self.sec.len() as i64 >= self.per_second {
            Some(1)
        } else if self.min.len() as i64 >= self.per_minute {
            let oldest = *self.min.front().unwrap();
            Some(
                60u64
                    .saturating_sub(now.duration_since(oldest).as_secs())
                    .max(1),
            )
        } else if self.day >= self.per_day {
            Some(3600)
        } else {
            None
        };
        self.sec.push_back(now);
        self.min.push_back(now);
        self.day += 1;
        match refused {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    fn headers(&self, h: &mut HeaderMap) {
        let set = |h: &mut HeaderMap, k: &'static str, v: i64| {
            h.insert(k, HeaderValue::from_str(&v.to_string()).unwrap());
        };
        set(
            h,
            "x-quota-remaining-by-second",
            self.per_second - self.sec.len() as i64,
        );
        set(
            h,
            "x-quota-remaining-by-minute",
            self.per_minute - self.min.len() as i64,
        );
        set(h, "x-quota-remaining-by-day", self.per_day - self.day);
        set(
            h,
            "x-quota-remaining-by-month",
            self.per_day * 30 - self.day,
        );
    }
}

pub(crate) struct Inner {
    pub cfg: SimConfig,
    pub data: Dataset,
    pub tokens: HashMap<String, Instant>,
    pub quota: Quota,
    pub stats: SimStats,
    pub rng: StdRng,
    pub faults: Faults,
    pub rules: Vec<ErrorRule>,
    pub violations: Vec<String>,
    pub scopes: HashSet<String>,
    pub corrupt_pdfs: HashSet<(Kind, u64)>,
    pub base: String,
}

pub(crate) type Shared = Arc<Mutex<Inner>>;

impl Inner {
    pub fn new(cfg: SimConfig, base: String) -> Inner {
        let data = Dataset::generate(&cfg.gen_params());
        Inner {
            quota: Quota::new(&cfg),
            rng: StdRng::seed_from_u64(cfg.seed ^ 0x5eed),
            faults: cfg.faults.clone(),
            scopes: cfg.scopes.iter().cloned().collect(),
            cfg,
            data,
            tokens: HashMap::new(),
            stats: SimStats::default(),
            rules: Vec::new(),
            violations: Vec::new(),
            corrupt_pdfs: HashSet::new(),
            base,
        }
    }
}

fn json_response(status: u16, body: &Value, extra: Option<&HeaderMap>) -> Response {
    let mut r = Response::new(Body::from(serde_json::to_vec(body).unwrap()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(h) = extra {
        for (k, v) in h {
            r.headers_mut().insert(k, v.clone());
        }
    }
    r
}

pub(crate) fn sellsy_error(
    status: u16,
    message: &str,
    context: Option<&str>,
    details: Value,
) -> Value {
    json!({ "error": { "code": status, "message": message, "context": context, "details": details } })
}

pub(crate) async fn handle(
    state: Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if path == "/oauth2/access-tokens" && method == Method::POST {
        return token(&state, &headers, &body);
    }
    if path == "/file" && method == Method::GET {
        return file(&state, &query);
    }
    let Some(api_path) = path.strip_prefix("/v2") else {
        return json_response(
            404,
            &sellsy_error(404, "Route introuvable", None, json!({})),
            None,
        );
    };
    let api_path = api_path.to_string();

    // Authentication, quota, faults: decided under the lock, slept outside it.
    let (delay, early) = {
        let mut s = state.lock().unwrap();
        let now = Instant::now();
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string);
        let valid = bearer
            .as_ref()
            .and_then(|t| s.tokens.get(t))
            .is_some_and(|exp| *exp > now);
        if !valid {
            s.stats.unauthorized += 1;
            let msg = if bearer.is_some() {
                "Le jeton d'accès est expiré ou invalide"
            } else {
                "Jeton d'accès manquant"
            };
            let body = sellsy_error(401, msg, Some("unauthorized"), json!({}));
            return json_response(401, &body, None);
        }
        s.stats.api_requests += 1;
        *s.stats
            .by_route
            .entry(route_key(&method, &api_path))
            .or_default() += 1;
        let admitted = s.quota.admit(now);
        let mut qh = HeaderMap::new();
        s.quota.headers(&mut qh);
        if let Err(wait) = admitted {
            s.stats.throttled += 1;
            qh.insert(
                "retry-after",
                HeaderValue::from_str(&wait.to_string()).unwrap(),
            );
            let body = sellsy_error(
                429,
                "Trop de requêtes : quota dépassé",
                Some("too_many_requests"),
                json!({}),
            );
            return json_response(429, &body, Some(&qh));
        }
        let f = s.faults.clone();
        let roll: f64 = s.rng.random();
        let mut delay = None;
        let mut early = None;
        if roll < f.error_rate {
            s.stats.faults += 1;
            let status = [500u16, 502, 503, 504][s.rng.random_range(0..4)];
            let resp = if status == 502 {
                // A proxy in front answers HTML, not Sellsy's JSON envelope.
                let mut r = Response::new(Body::from(
                    "<html><body><h1>502 Bad Gateway</h1></body></html>",
                ));
                *r.status_mut() = StatusCode::BAD_GATEWAY;
                r.headers_mut()
                    .insert("content-type", HeaderValue::from_static("text/html"));
                r
            } else {
                json_response(
                    status,
                    &sellsy_error(
                        status,
                        "Erreur interne, veuillez réessayer",
                        None,
                        json!({}),
                    ),
                    Some(&qh),
                )
            };
            early = Some(resp);
        } else if roll < f.error_rate + f.timeout_rate {
            s.stats.faults += 1;
            delay = Some((f.hang, true));
        } else if roll < f.error_rate + f.timeout_rate + f.slow_rate {
            delay = Some((f.slow, false));
        }
        (delay, early)
    };
    if let Some(r) = early {
        return r;
    }
    let mut faulted = false;
    if let Some((d, is_timeout)) = delay {
        tokio::time::sleep(d).await;
        faulted = is_timeout;
    }

    let mut s = state.lock().unwrap();
    let mut qh = HeaderMap::new();
    s.quota.headers(&mut qh);
    // Injected permanent errors (402 plan limit, 403 scope, 400 ...).
    if let Some(i) = s.rules.iter().position(|r| {
        api_path.starts_with(&r.path_prefix)
            && r.method
                .as_ref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
    }) {
        let rule = s.rules[i].clone();
        if let Some(n) = s.rules[i].remaining.as_mut() {
            *n -= 1;
            if *n == 0 {
                s.rules.remove(i);
            }
        }
        return json_response(rule.status, &rule.body, Some(&qh));
    }
    let json_body: Option<Value> = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => Some(v),
            Err(e) => {
                let msg = format!("Le contenu de la requête est invalide : JSON mal formé ({e})");
                s.violations.push(format!("{method} {api_path}: {msg}"));
                return json_response(400, &sellsy_error(400, &msg, None, json!({})), Some(&qh));
            }
        }
    };
    if s.cfg.validate
        && let Err(errs) = super::spec::spec().check_request(
            method.as_str(),
            &api_path,
            &query,
            json_body.as_ref(),
        )
    {
        let msg = format!(
            "Le contenu de la requête est invalide : {}",
            errs.join(" | ")
        );
        s.violations.extend(errs);
        return json_response(
            400,
            &sellsy_error(400, &msg, Some("invalid_request"), json!({})),
            Some(&qh),
        );
    }
    let (status, out) = route(&mut s, &method, &api_path, &query, json_body.as_ref());
    if s.cfg.validate
        && let Err(errs) =
            super::spec::spec().check_response(method.as_str(), &api_path, status, Some(&out))
    {
        s.violations.extend(errs);
    }
    if status == 200 && !faulted && method == Method::GET {
        let parts: Vec<&str> = api_path.trim_matches('/').split('/').collect();
        if let [kind, id] = parts[..] {
            let kind = match kind {
                "invoices" => Some(Kind::Invoice),
                "credit-notes" => Some(Kind::CreditNote),
                _ => None,
            };
            if let (Some(k), Ok(id)) = (kind, id.parse::<u64>()) {
                *s.stats.doc_gets.entry((k, id)).or_default() += 1;
            }
        }
    }
    json_response(status, &out, Some(&qh))
}

fn route_key(method: &Method, path: &str) -> String {
    let generic: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(|p| {
            if p.chars().all(|c| c.is_ascii_digit()) {
                "{id}".to_string()
            } else {
                p.to_string()
            }
        })
        .collect();
    format!("{method} /{}", generic.join("/"))
}

fn token(state: &Shared, headers: &HeaderMap, body: &Bytes) -> Response {
    // research §1: JSON body per the spec example; form-urlencoded also accepted.
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let fields: HashMap<String, String> = if ct.starts_with("application/json") {
        serde_json::from_slice::<HashMap<String, Value>>(body)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
            .collect()
    } else {
        form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    };
    let mut s = state.lock().unwrap();
    let ok = fields.get("grant_type").map(String::as_str) == Some("client_credentials")
        && fields.get("client_id") == Some(&s.cfg.client_id)
        && fields.get("client_secret") == Some(&s.cfg.client_secret);
    if !ok {
        let body = json!({ "error": "invalid_client", "error_description": "Client authentication failed", "message": "Client authentication failed" });
        return json_response(401, &body, None);
    }
    let n: u128 = s.rng.random();
    let tok = format!("simtok{n:032x}");
    let ttl = s.cfg.token_ttl;
    s.tokens.insert(tok.clone(), Instant::now() + ttl);
    s.stats.tokens_issued += 1;
    json_response(
        200,
        &json!({ "token_type": "Bearer", "expires_in": ttl.as_secs(), "access_token": tok }),
        None,
    )
}

fn file(state: &Shared, query: &[(String, String)]) -> Response {
    let mut s = state.lock().unwrap();
    let q: HashMap<&str, &str> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let found = q.get("id").and_then(|id| {
        let (kind, id) = id.split_once('-')?;
        let kind = match kind {
            "invoice" => Kind::Invoice,
            "creditnote" => Kind::CreditNote,
            _ => return None,
        };
        let id: u64 = id.parse().ok()?;
        let doc = s.data.find(kind, id)?;
        (doc.has_pdf && q.get("key") == Some(&s.data.pdf_key(doc).as_str())).then(|| doc.clone())
    });
    let Some(doc) = found else {
        let mut r = Response::new(Body::from("<html><body>Document introuvable</body></html>"));
        *r.status_mut() = StatusCode::NOT_FOUND;
        r.headers_mut()
            .insert("content-type", HeaderValue::from_static("text/html"));
        return r;
    };
    s.stats.pdf_downloads += 1;
    let bytes = if s.corrupt_pdfs.contains(&(doc.kind, doc.id)) {
        b"<!DOCTYPE html><html><body>Session expir\xc3\xa9e</body></html>".to_vec()
    } else {
        render_pdf(&s.data, &doc)
    };
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/pdf"));
    r
}

pub(crate) fn render_pdf(data: &Dataset, doc: &Doc) -> Vec<u8> {
    let a = super::data::compute(doc, &data.taxes);
    let title = match doc.kind {
        Kind::Invoice => format!("Facture {}", doc.number),
        Kind::CreditNote => format!("Avoir {}", doc.number),
    };
    let mut lines = vec![
        format!("Date : {}", doc.date),
        format!("Objet : {}", doc.subject),
        format!("Version : {}", doc.version),
    ];
    for (r, ra) in doc.rows.iter().zip(&a.rows) {
        lines.push(format!(
            "{} x {} : {} EUR HT",
            r.quantity,
            r.description,
            super::data::money(ra.excl)
        ));
    }
    lines.push(format!("Total HT : {} EUR", super::data::money(a.excl)));
    lines.push(format!("Total TVA : {} EUR", super::data::money(a.vat)));
    lines.push(format!("Total TTC : {} EUR", super::data::money(a.incl)));
    super::pdf::render(&title, &lines)
}

fn scope_for(path: &str) -> Option<&'static str> {
    let first = path.trim_matches('/').split('/').next().unwrap_or("");
    Some(match first {
        "invoices" => "invoices.read",
        "credit-notes" => "credit-notes.read",
        "accounting-journal" => "accounting-entry.read",
        "accounting-codes" => "accounting-codes.read",
        "taxes" => "taxes.read",
        "settings" => "accounting-settings.read",
        "quotas" | "fiscal-years" => "accounts.read",
        "scopes" => "scopes.read",
        "companies" => "companies.read",
        "individuals" => "individuals.read",
        _ => return None,
    })
}

fn qget<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn qall(q: &[(String, String)], name: &str) -> Vec<String> {
    let key = format!("{name}[]");
    q.iter()
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

fn route(
    s: &mut Inner,
    method: &Method,
    path: &str,
    q: &[(String, String)],
    body: Option<&Value>,
) -> (u16, Value) {
    if let Some(scope) = scope_for(path)
        && !s.scopes.contains(scope)
    {
        let msg = format!("Accès refusé : le scope « {scope} » n'est pas accordé à ce client API");
        return (
            403,
            sellsy_error(403, &msg, Some("missing_scope"), json!({ "scope": scope })),
        );
    }
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut embeds = qall(q, "embed");
    // research §1: embeds whose scope is missing come back as null.
    for (e, scope) in [
        ("company", "companies.read"),
        ("individual", "individuals.read"),
    ] {
        if !s.scopes.contains(scope) && embeds.iter().any(|x| x == e) {
            embeds.retain(|x| x != e);
            embeds.push(format!("{e}-null"));
        }
    }
    let base = s.base.clone();
    let get = *method == Method::GET;
    let post = *method == Method::POST;
    match parts[..] {
        ["quotas"] if get => (200, quotas_json(s)),
        ["scopes"] if get => (200, json!(s.scopes.iter().cloned().collect::<Vec<_>>())),
        ["invoices", "search"] if post => search_docs(s, Kind::Invoice, q, body, &embeds),
        ["credit-notes", "search"] if post => search_docs(s, Kind::CreditNote, q, body, &embeds),
        ["invoices"] if get => search_docs(s, Kind::Invoice, q, None, &embeds),
        ["credit-notes"] if get => search_docs(s, Kind::CreditNote, q, None, &embeds),
        ["invoices", id] | ["credit-notes", id] if get => {
            let kind = if parts[0] == "invoices" {
                Kind::Invoice
            } else {
                Kind::CreditNote
            };
            match id.parse::<u64>().ok().and_then(|id| s.data.find(kind, id)) {
                Some(d) => (
                    200,
                    with_null_embeds(s.data.doc_json(d, true, &embeds, &base), &embeds),
                ),
                None => (
                    404,
                    sellsy_error(
                        404,
                        "La ressource demandée est introuvable",
                        Some("not_found"),
                        json!({}),
                    ),
                ),
            }
        }
        ["credit-notes", id, "invoices"] if get => {
            let linked = id
                .parse::<u64>()
                .ok()
                .and_then(|id| s.data.find(Kind::CreditNote, id))
                .map(|d| d.linked_invoice);
            match linked {
                Some(l) => {
                    let items: Vec<Value> = l
                        .and_then(|i| s.data.find(Kind::Invoice, i))
                        .map(|d| s.data.doc_json(d, false, &[], &base))
                        .into_iter()
                        .collect();
                    (200, page(items, 0, limit(q), None))
                }
                None => (
                    404,
                    sellsy_error(
                        404,
                        "La ressource demandée est introuvable",
                        Some("not_found"),
                        json!({}),
                    ),
                ),
            }
        }
        ["accounting-journal", t, "search"] if post => journal(s, t, q, body),
        ["accounting-codes"] if get => {
            let items: Vec<Value> = s
                .data
                .codes
                .iter()
                .map(|c| json!({ "id": c.id, "code": c.code, "label": c.label, "views": c.views }))
                .collect();
            paged_ids(items, q)
        }
        ["taxes"] if get => {
            let items: Vec<Value> = s.data.taxes.iter().map(|t| json!({
                "id": t.id, "rate": t.rate.to_string().parse::<f64>().unwrap(), "label": t.label, "is_active": true,
                "is_ecotax": false, "category": if t.rate.is_zero() { "E" } else { "S" },
                "vatex": if t.rate.is_zero() { Value::from("VATEX-EU-132") } else { Value::Null },
                "is_einvoicing_compliant": true, "system_label": t.label
            })).collect();
            paged_ids(items, q)
        }
        ["taxes", "accounting-codes"] if get => {
            let items: Vec<Value> = s.data.taxes.iter().map(|t| {
                let code = s.data.code(t.account_id).unwrap();
                json!({
                    "id": t.id, "rate": t.rate.to_string().parse::<f64>().unwrap(), "label": t.label,
                    "debit_vat": { "collected_vat": { "id": code.id, "code": code.code }, "deductible_vat": { "id": 7023, "code": "445660" } },
                    "collection_vat": { "collected_vat": { "id": code.id, "code": code.code }, "deductible_vat": { "id": 7023, "code": "445660" } }
                })
            }).collect();
            paged_ids(items, q)
        }
        ["settings", "accounting-charts"] if get => (
            200,
            json!({
                "accounting_code_length": 6, "deposit_accounting_code": "419000",
                "discount": { "enabled": true, "sell_discount_code_id": super::data::CODE_DISCOUNT, "purchase_discount_code_id": 7024 },
                "default_codes": {
                    "thirds": super::data::CODE_CLIENTS, "staffs": 7025, "suppliers": 7020, "banks": 7021, "pay_mediums": 7027,
                    "products_sales": super::data::CODE_GOODS, "services_sales": super::data::CODE_SERVICES,
                    "products_purchases": 7024, "services_purchases": 7028, "commissions": 7026,
                    "debit_vat": { "collected_vat": 7010, "deductible_vat": 7023 },
                    "collection_vat": { "collected_vat": 7010, "deductible_vat": 7023 }
                }
            }),
        ),
        ["companies"] if get => {
            let items: Vec<Value> = s
                .data
                .companies
                .iter()
                .map(|c| s.data.company_json(c))
                .collect();
            paged_ids(items, q)
        }
        ["individuals"] if get => {
            let items: Vec<Value> = s
                .data
                .individuals
                .iter()
                .map(|c| s.data.individual_json(c))
                .collect();
            paged_ids(items, q)
        }
        _ => (
            404,
            sellsy_error(404, "Route non simulée", Some("not_found"), json!({})),
        ),
    }
}

fn with_null_embeds(mut v: Value, embeds: &[String]) -> Value {
    for e in embeds {
        if let Some(name) = e.strip_suffix("-null") {
            v.as_object_mut()
                .unwrap()
                .entry("_embed")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .unwrap()
                .insert(name.to_string(), Value::Null);
        }
    }
    v
}

fn quotas_json(s: &Inner) -> Value {
    let lim = |l: i64, used: usize| json!({ "limit": l, "used": used });
    json!({
        "api_rate_seconds": lim(s.quota.per_second, s.quota.sec.len()),
        "api_rate_minutes": lim(s.quota.per_minute, s.quota.min.len()),
        "api_rate_days": { "limit": s.quota.per_day, "used": s.quota.day },
        "api_rate_months": { "limit": s.quota.per_day * 30, "used": s.quota.day },
    })
}

fn limit(q: &[(String, String)]) -> usize {
    qget(q, "limit").and_then(|l| l.parse().ok()).unwrap_or(25)
}

fn page(items: Vec<Value>, total: usize, limit: usize, cursor: Option<String>) -> Value {
    let count = items.len();
    json!({
        "pagination": { "limit": limit, "count": count, "total": total.max(count), "offset": cursor.map(Value::from).unwrap_or(json!(0)) },
        "data": items
    })
}

/// Seek pagination by id for small reference lists.
fn paged_ids(items: Vec<Value>, q: &[(String, String)]) -> (u16, Value) {
    let keyed: Vec<(String, u64, Value)> = items
        .into_iter()
        .map(|v| {
            (
                format!("{:020}", v["id"].as_u64().unwrap_or(0)),
                v["id"].as_u64().unwrap_or(0),
                v,
            )
        })
        .collect();
    seek(keyed, q, false)
}

/// Opaque seek cursor: base64 of `["<sort key>", id]`, like Sellsy's `WyIxMSJd`.
fn seek(mut keyed: Vec<(String, u64, Value)>, q: &[(String, String)], desc: bool) -> (u16, Value) {
    keyed.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    if desc {
        keyed.reverse();
    }
    let total = keyed.len();
    let limit = limit(q);
    let start = match qget(q, "offset") {
        None => 0,
        Some(o) if o.chars().all(|c| c.is_ascii_digit()) => o.parse().unwrap_or(0),
        Some(o) => {
            let Some((k, id)) = decode_cursor(o) else {
                return (
                    400,
                    sellsy_error(
                        400,
                        "Le paramètre offset est invalide",
                        Some("invalid_offset"),
                        json!({ "offset": "invalide" }),
                    ),
                );
            };
            keyed
                .iter()
                .position(|(kk, ii, _)| {
                    let ord = (kk.as_str(), *ii).cmp(&(k.as_str(), id));
                    if desc {
                        ord == std::cmp::Ordering::Less
                    } else {
                        ord == std::cmp::Ordering::Greater
                    }
                })
                .unwrap_or(total)
        }
    };
    let slice: Vec<(String, u64, Value)> = keyed.into_iter().skip(start).take(limit).collect();
    let cursor = slice
        .last()
        .map(|(k, id, _)| encode_cursor(k, *id))
        .or_else(|| qget(q, "offset").map(str::to_string));
    let items = slice.into_iter().map(|(_, _, v)| v).collect();
    (
        200,
        page(
            items,
            total,
            limit,
            Some(cursor.unwrap_or_else(|| encode_cursor("", 0))),
        ),
    )
}

fn search_docs(
    s: &Inner,
    kind: Kind,
    q: &[(String, String)],
    body: Option<&Value>,
    embeds: &[String],
) -> (u16, Value) {
    let filters = body.map(|b| b["filters"].clone()).unwrap_or(json!({}));
    let statuses: Option<Vec<String>> = filters["status"].as_array().map(|a| {
        a.iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    });
    let date = |k: &str| {
        filters["date"][k]
            .as_str()
            .and_then(|d| d.parse::<NaiveDate>().ok())
    };
    let (from, to) = (date("start"), date("end"));
    let order = qget(q, "order").unwrap_or("id");
    let desc = qget(q, "direction") == Some("desc");
    let base = s.base.clone();
    let keyed: Vec<(String, u64, Value)> = s
        .data
        .docs(kind)
        .iter()
        .filter(|d| {
            statuses
                .as_ref()
                .is_none_or(|st| st.iter().any(|x| x == d.status))
        })
        .filter(|d| from.is_none_or(|f| d.date >= f) && to.is_none_or(|t| d.date <= t))
        .map(|d| {
            let key = match order {
                "date" => d.date.to_string(),
                "created" => format!("{:020}", d.created.timestamp()),
                "number" => d.number.clone(),
                _ => format!("{:020}", d.id),
            };
            (
                key,
                d.id,
                with_null_embeds(s.data.doc_json(d, false, embeds, &base), embeds),
            )
        })
        .collect();
    seek(keyed, q, desc)
}

fn journal(s: &Inner, t: &str, q: &[(String, String)], body: Option<&Value>) -> (u16, Value) {
    let filters = body.map(|b| b["filters"].clone()).unwrap_or(json!({}));
    let date = |k: &str| {
        filters["date"][k]
            .as_str()
            .and_then(|d| d.parse::<NaiveDate>().ok())
    };
    let (from, to) = (date("start"), date("end"));
    // research §2.5: the default of include_exported_entries is unconfirmed; the simulator
    // takes the unfavourable reading (exported lines hidden unless asked for).
    let include_exported = filters["include_exported_entries"]
        .as_bool()
        .unwrap_or(false);
    let mut keyed = Vec::new();
    if t == "sells" {
        for kind in [Kind::Invoice, Kind::CreditNote] {
            for d in s.data.docs(kind) {
                if d.is_draft()
                    || from.is_some_and(|f| d.date < f)
                    || to.is_some_and(|x| d.date > x)
                {
                    continue;
                }
                if d.sent_to_accounting && !include_exported {
                    continue;
                }
                for l in s.data.journal_lines(d) {
                    let id = l["id"].as_u64().unwrap();
                    keyed.push((format!("{id:020}"), id, l));
                }
            }
        }
    }
    seek(keyed, q, false)
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn encode_cursor(key: &str, id: u64) -> String {
    let raw = serde_json::to_vec(&json!([key, id])).unwrap();
    let mut out = String::new();
    for chunk in raw.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn decode_cursor(s: &str) -> Option<(String, u64)> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut raw = Vec::new();
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = B64.iter().position(|x| *x == c)? as u32;
        bits = bits << 6 | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            raw.push((bits >> n & 0xff) as u8);
        }
    }
    let v: Value = serde_json::from_slice(&raw).ok()?;
    Some((v[0].as_str()?.to_string(), v[1].as_u64()?))
}
