//! console: the firm's web console ([`web_console::handle`], the router `passerelle serve` mounts
//! under `/console`) behind its own Function URL, over the cloud stores: sessions, runs and the
//! integration log in DynamoDB, the configuration in S3. The users are `[[console.users]]` of
//! the same configuration file as `serve`'s (read from the bucket with the dossiers).
//! "Synchroniser maintenant" hands the run to sellsy-pull through the same
//! [`LambdaLauncher`](crate::sync_webhook::LambdaLauncher) as sync-webhook.
//!
//! What a Function URL event changes (payload format 2.0): the browser's cookies come in the
//! `cookies` array, not in a `Cookie` header; the path and the query string are `rawPath` and
//! `rawQueryString`; a form body may be base64-encoded; the answer's cookies go in the response's
//! `cookies` array (one `Set-Cookie` each), since its `headers` map holds one value per name.

use anyhow::{Result, anyhow};
use aws_lambda_events::event::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlResponse,
};
use aws_lambda_events::http::{HeaderMap, HeaderName, HeaderValue};
use base64::Engine;
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Paris;
use web_console::{BASE, Request, Response};
use webhook::Launcher;

use crate::cloud::Cloud;

/// The console's site from the configuration the function read: its users (a wrong entry
/// stops the start with what to correct, as `serve` does), the dossiers, the collection
/// domains. `None` when the configuration has no `[[console.users]]` (the console is off).
pub fn site(cloud: &Cloud) -> Result<Option<web_console::Site>> {
    let config = &cloud.config;
    let table = &config.file.console;
    if table.is_empty() {
        tracing::warn!(
            "no [[console.users]] in the configuration: the web console is off (see the README, \"The console\")"
        );
        return Ok(None);
    }
    let ids: Vec<String> = config.file.dossiers.iter().map(|d| d.id.clone()).collect();
    let users = web_console::Users::parse(table, &ids)
        .map_err(|problems| anyhow!("[console]: {}", problems.join("; ")))?;
    let dossiers = config
        .file
        .dossiers
        .iter()
        .map(|d| web_console::DossierInfo {
            config: d.clone(),
            ledger: config
                .ledgers
                .get(&d.id)
                .map_or("fec", |l| l.kind())
                .to_string(),
            // sellsy-pull connects the source; this function only needs to know there is one.
            has_source: config.sellsy.contains_key(&d.id),
        })
        .collect();
    tracing::info!(users = users.0.len(), "web console on");
    Ok(Some(web_console::Site::new(
        users,
        dossiers,
        config.service.mail_domains.clone(),
    )))
}

/// The next nightly run of `schedule` (the template's `NightlySchedule`, a daily
/// `cron(M H * * ? *)` in Europe/Paris time) after `now`; `None` when it is not of that form.
pub fn next_night(schedule: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let fields = schedule.strip_prefix("cron(")?.strip_suffix(')')?;
    let fields: Vec<&str> = fields.split_whitespace().collect();
    let [minute, hour, "*", "*", "?", "*"] = fields.as_slice() else {
        return None;
    };
    let at = NaiveTime::from_hms_opt(hour.parse().ok()?, minute.parse().ok()?, 0)?;
    let mut day = now.with_timezone(&Paris).date_naive();
    for _ in 0..3 {
        // A time that does not exist that day (the clocks go forward) is skipped, as the
        // scheduler does.
        if let Some(t) = Paris.from_local_datetime(&day.and_time(at)).earliest() {
            let t = t.with_timezone(&Utc);
            if t > now {
                return Some(t);
            }
        }
        day = day.succ_opt()?;
    }
    None
}

/// The console's request from the Function URL's event.
pub fn console_request(event: &LambdaFunctionUrlRequest) -> Result<Request, Response> {
    let body =
        match &event.body {
            None => Vec::new(),
            Some(b) if event.is_base64_encoded => base64::engine::general_purpose::STANDARD
                .decode(b)
                .map_err(|_| Response::text(400, "the body is not valid base64"))?,
            Some(b) => b.clone().into_bytes(),
        };
    let mut path = event.raw_path.clone().unwrap_or_default();
    if let Some(q) = event.raw_query_string.as_deref().filter(|q| !q.is_empty()) {
        path = format!("{path}?{q}");
    }
    let mut headers: Vec<(String, String)> = event
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    if let Some(cookies) = event.cookies.as_ref().filter(|c| !c.is_empty()) {
        headers.push(("cookie".into(), cookies.join("; ")));
    }
    let http = &event.request_context.http;
    Ok(Request {
        method: http.method.clone().unwrap_or_default(),
        path,
        headers,
        body,
        peer: http.source_ip.clone().unwrap_or_default(),
    })
}

/// The console's answer as the Function URL's response: every `Set-Cookie` in `cookies`.
pub fn url_response(response: Response) -> LambdaFunctionUrlResponse {
    let mut headers = HeaderMap::new();
    let mut cookies = Vec::new();
    for (k, v) in response.headers {
        if k.eq_ignore_ascii_case("set-cookie") {
            cookies.push(v);
        } else if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            headers.append(k, v);
        }
    }
    let mut r = LambdaFunctionUrlResponse::default();
    r.status_code = i64::from(response.status);
    r.headers = headers;
    r.cookies = cookies;
    r.body = Some(response.body);
    r.is_base64_encoded = false;
    r
}

/// One Function URL request. `site` is `None` when the configuration has no users;
/// `nightly` the template's `NightlySchedule` (for the dossiers page's next run).
pub async fn handle(
    cloud: &Cloud,
    site: Option<&web_console::Site>,
    launcher: &impl Launcher,
    nightly: Option<&str>,
    event: &LambdaFunctionUrlRequest,
) -> LambdaFunctionUrlResponse {
    let path = event.raw_path.as_deref().unwrap_or("/");
    // The URL itself leads to the console.
    if path.is_empty() || path == "/" {
        return url_response(Response::redirect(&format!("{BASE}/")));
    }
    let Some(site) = site else {
        return url_response(Response::text(
            404,
            "the web console is off: add [[console.users]] to the configuration and apply it with scripts/reload-config (see the README)",
        ));
    };
    // A body over the limit is refused before it is decoded (the router checks the decoded one).
    if event
        .body
        .as_ref()
        .is_some_and(|b| b.len() > web_console::http::MAX_BODY * 4 / 3 + 4)
    {
        return url_response(Response::text(413, "request too large"));
    }
    let request = match console_request(event) {
        Ok(r) => r,
        Err(refused) => return url_response(refused),
    };
    let next = nightly.and_then(|s| next_night(s, cloud.pipeline.now()));
    let method = request.method.clone();
    let response = web_console::handle(site, &cloud.pipeline, launcher, next, request).await;
    tracing::info!(status = response.status, %method, path, "console");
    url_response(response)
}
