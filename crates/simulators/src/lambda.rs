//! Real-shaped Lambda events as the functions receive them, built from the AWS sample events in
//! `fixtures/lambda/` (origins in its README); the tests replace only the fields that name their
//! resources. Used by the Lambda handlers' end-to-end suite (package `e2e`) and the
//! cold-start bench.

use serde_json::{Value, json};

/// A mail from the allow-listed platform (Welyb) with one PDF, as SES's S3 action stores it.
pub const WELYB_MAIL: &[u8] = include_bytes!("../fixtures/lambda/welyb-invoice.eml");

/// A fixture of `fixtures/lambda/`, parsed: `sqs-event.json`, `ses-lambda-event.json`,
/// `scheduler-event.json` or `function-url-request.json`.
pub fn fixture(name: &str) -> Value {
    let text = match name {
        "sqs-event.json" => include_str!("../fixtures/lambda/sqs-event.json"),
        "ses-lambda-event.json" => include_str!("../fixtures/lambda/ses-lambda-event.json"),
        "scheduler-event.json" => include_str!("../fixtures/lambda/scheduler-event.json"),
        "function-url-request.json" => include_str!("../fixtures/lambda/function-url-request.json"),
        other => panic!("no Lambda event fixture {other}"),
    };
    serde_json::from_str(text).expect("the fixtures are JSON")
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

/// A Function URL request (the payload `LambdaFunctionUrlRequest` deserializes from).
pub fn url_event(method: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> Value {
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
    event
}
