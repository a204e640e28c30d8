//! Real-shaped Lambda events built from the fixtures (origins in `fixtures/README.md`), shared by
//! the handlers test and the cold-start bench (`#[path]`-included there).

#![allow(dead_code)] // each includer uses part of it

use serde_json::{Value, json};

/// A mail from the allow-listed platform (Welyb) with one PDF, as SES's S3 action stores it.
pub const WELYB_MAIL: &[u8] = include_bytes!("../fixtures/welyb-invoice.eml");

/// A fixture, parsed.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The SES Lambda-action event for [`WELYB_MAIL`] stored under `message_id`, received for `to`.
pub fn welyb_ses_event(message_id: &str, to: &str) -> Value {
    let mut event = fixture("ses-lambda-event.json");
    let ses = &mut event["Records"][0]["ses"];
    ses["mail"]["messageId"] = json!(message_id);
    ses["mail"]["source"] = json!("bounce@welyb.fr");
    ses["mail"]["destination"] = json!([to]);
    ses["mail"]["commonHeaders"]["from"] = json!(["Welyb <no-reply@welyb.fr>"]);
    ses["mail"]["commonHeaders"]["to"] = json!([to]);
    ses["receipt"]["recipients"] = json!([to]);
    event
}

/// A Function URL request.
pub fn url_event(
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest {
    let mut event = fixture("function-url-request.json");
    event["rawPath"] = json!(path);
    event["rawQueryString"] = json!("");
    event["queryStringParameters"] = json!({});
    event["cookies"] = json!([]);
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    let mut h = serde_json::Map::new();
    h.insert("content-type".into(), json!("application/json"));
    for (k, v) in headers {
        h.insert(k.to_ascii_lowercase(), json!(v));
    }
    event["headers"] = Value::Object(h);
    event["body"] = if body.is_empty() {
        Value::Null
    } else {
        json!(String::from_utf8(body.to_vec()).unwrap())
    };
    serde_json::from_value(event).expect("a Function URL event")
}
