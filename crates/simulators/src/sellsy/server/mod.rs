//! The HTTP side of the simulator: token endpoint, `/v2/...` API routes, PDF files, quotas,
//! faults and conformance checks of every exchange.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use rand::Rng;
use serde_json::{Value, json};

mod paging;
mod quota;
mod routes;
mod state;

use super::data::Kind;
use super::envelope::sellsy_error;
pub(crate) use state::{Inner, Shared};

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
    let delay = match admit(&state, &method, &api_path, &headers) {
        Admission::Proceed(delay) => delay,
        Admission::Answer(early) => return early,
    };
    let mut faulted = false;
    if let Some((d, is_timeout)) = delay {
        tokio::time::sleep(d).await;
        faulted = is_timeout;
    }
    let mut s = state.lock().unwrap();
    answer(&mut s, &method, &api_path, &query, &body, faulted)
}

/// What [`admit`] decided for a request.
enum Admission {
    /// The answer to send at once (401, 429, an injected 5xx).
    Answer(Response),
    /// Go on, maybe after a delay (and whether it is a hang).
    Proceed(Option<(Duration, bool)>),
}

/// Checks the bearer token, counts the request against the quotas and draws the injected fault.
fn admit(state: &Shared, method: &Method, api_path: &str, headers: &HeaderMap) -> Admission {
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
        return Admission::Answer(json_response(401, &body, None));
    }
    s.stats.api_requests += 1;
    *s.stats
        .by_route
        .entry(route_key(method, api_path))
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
        return Admission::Answer(json_response(429, &body, Some(&qh)));
    }
    let f = s.faults.clone();
    let roll: f64 = s.rng.random();
    if roll < f.error_rate {
        s.stats.faults += 1;
        let status = [500u16, 502, 503, 504][s.rng.random_range(0..4)];
        return Admission::Answer(if status == 502 {
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
        });
    }
    Admission::Proceed(if roll < f.error_rate + f.timeout_rate {
        s.stats.faults += 1;
        Some((f.hang, true))
    } else if roll < f.error_rate + f.timeout_rate + f.slow_rate {
        Some((f.slow, false))
    } else {
        None
    })
}

/// Answers an admitted API request: injected errors, the spec check of the request, the route,
/// the spec check of the response, the per-document counters.
fn answer(
    s: &mut Inner,
    method: &Method,
    api_path: &str,
    query: &[(String, String)],
    body: &Bytes,
    faulted: bool,
) -> Response {
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
        match serde_json::from_slice(body) {
            Ok(v) => Some(v),
            Err(e) => {
                let msg = format!("Le contenu de la requête est invalide : JSON mal formé ({e})");
                s.violations.push(format!("{method} {api_path}: {msg}"));
                return json_response(400, &sellsy_error(400, &msg, None, json!({})), Some(&qh));
            }
        }
    };
    if s.cfg.validate
        && let Err(errs) =
            super::spec::spec().check_request(method.as_str(), api_path, query, json_body.as_ref())
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
    let (status, out) = routes::route(s, method, api_path, query, json_body.as_ref());
    if s.cfg.validate
        && let Err(errs) =
            super::spec::spec().check_response(method.as_str(), api_path, status, Some(&out))
    {
        s.violations.extend(errs);
    }
    if status == 200 && !faulted && *method == Method::GET {
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
    if let Some(bytes) = purchase_file(&s, &q) {
        s.stats.pdf_downloads += 1;
        let ctype = if bytes.starts_with(b"\x89PNG") {
            "image/png"
        } else {
            "application/pdf"
        };
        let mut r = Response::new(Body::from(bytes));
        r.headers_mut()
            .insert("content-type", HeaderValue::from_static(ctype));
        return r;
    }
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
        super::pdf::document(&s.data, &doc)
    };
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/pdf"));
    r
}

/// The file of a purchase (`/file?id=purInvoice-<id>&key=…`): its PDF or image.
fn purchase_file(s: &Inner, q: &HashMap<&str, &str>) -> Option<Vec<u8>> {
    use super::data::purchases::png;
    use super::data::{PurFile, PurKind};
    let (kind, id) = q.get("id")?.split_once('-')?;
    let kind = match kind {
        "purInvoice" => PurKind::Invoice,
        "purCreditNote" => PurKind::CreditNote,
        _ => return None,
    };
    let p = s.data.purchase(kind, id.parse().ok()?)?;
    if q.get("key") != Some(&s.data.purchase_file_key(p).as_str()) {
        return None;
    }
    let supplier = &s.data.suppliers[p.supplier].name;
    match p.file {
        PurFile::None => None,
        PurFile::Png => Some(png(&format!("{} {}", supplier, p.number))),
        PurFile::Pdf => Some(super::pdf::render(
            &format!("Facture {supplier}"),
            &[format!("N° {}", p.number), format!("Date {}", p.date)],
        )),
    }
}
