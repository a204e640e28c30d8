//! sync-webhook: the Function URL's request → [`webhook::handle`] (signatures, routes, the run
//! record) → the Function URL's response. What a route starts is handed to [`LambdaLauncher`],
//! which invokes the sellsy-pull function asynchronously with the [`webhook::Launch`] as its
//! event (sellsy-pull: [`crate::pull::launched`]).

use anyhow::{Result, anyhow};
use app::ports::{SecretRef, Secrets as _};
use aws_lambda_events::event::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlResponse,
};
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use aws_sdk_lambda as lambda;
use base64::Engine;
use webhook::{HttpRequest, HttpResponse, Launch, Launcher, MAX_BODY, ViaDossiers};

use crate::cloud::Cloud;

/// Invokes sellsy-pull with `InvocationType: Event`: Lambda queues the event and answers 202;
/// the pull runs (and is retried twice on failure) after the webhook has answered.
#[derive(Debug, Clone)]
pub struct LambdaLauncher {
    client: lambda::Client,
    function: String,
}

impl LambdaLauncher {
    pub fn new(client: lambda::Client, function: impl Into<String>) -> LambdaLauncher {
        LambdaLauncher {
            client,
            function: function.into(),
        }
    }
}

impl Launcher for LambdaLauncher {
    async fn launch(&self, what: Launch) -> Result<(), String> {
        let payload = serde_json::to_vec(&what).map_err(|e| e.to_string())?;
        self.client
            .invoke()
            .function_name(&self.function)
            .invocation_type(lambda::types::InvocationType::Event)
            .payload(lambda::primitives::Blob::new(payload))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "invoking {}: {}",
                    self.function,
                    lambda::error::DisplayErrorContext(&e)
                )
            })
    }
}

/// The request as the router wants it: the raw path, the headers, the raw body (Function URLs
/// base64-encode binary bodies).
pub fn http_request(event: &LambdaFunctionUrlRequest) -> Result<HttpRequest, HttpResponse> {
    let body = match &event.body {
        None => Vec::new(),
        Some(b) if event.is_base64_encoded => base64::engine::general_purpose::STANDARD
            .decode(b)
            .map_err(|_| {
            HttpResponse::error(400, "the body is not valid base64", "send the body as is")
        })?,
        Some(b) => b.clone().into_bytes(),
    };
    let mut path = event.raw_path.clone().unwrap_or_default();
    if let Some(q) = event.raw_query_string.as_deref().filter(|q| !q.is_empty()) {
        path = format!("{path}?{q}");
    }
    let headers = event
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    Ok(HttpRequest {
        method: event
            .request_context
            .http
            .method
            .clone()
            .unwrap_or_default(),
        path,
        headers,
        body,
    })
}

/// The router's answer as the Function URL's response (JSON).
pub fn url_response(response: &HttpResponse) -> LambdaFunctionUrlResponse {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    let mut r = LambdaFunctionUrlResponse::default();
    r.status_code = i64::from(response.status);
    r.headers = headers;
    r.body = Some(String::from_utf8_lossy(&response.body_bytes()).to_string());
    r.is_base64_encoded = false;
    r
}

/// The secrets the routes check: the `/sync` key named by `PASSERELLE_SYNC_SECRET` and each
/// dossier's Sellsy webhook key. Read once per sandbox.
pub async fn secrets(cloud: &Cloud, sync_secret: Option<&str>) -> Result<webhook::Secrets> {
    let sync = match sync_secret {
        Some(name) => {
            let reference =
                SecretRef::parse(name).map_err(|e| anyhow!("PASSERELLE_SYNC_SECRET: {e}"))?;
            Some(
                cloud
                    .secrets
                    .get(&reference)
                    .await
                    .map_err(|e| anyhow!("{e}"))?,
            )
        }
        None => None,
    };
    Ok(webhook::Secrets {
        sync,
        sellsy_sign_keys: cloud.dossiers.webhook_keys.clone(),
    })
}

/// One Function URL request.
pub async fn handle(
    cloud: &Cloud,
    secrets: &webhook::Secrets,
    launcher: &impl Launcher,
    event: &LambdaFunctionUrlRequest,
) -> LambdaFunctionUrlResponse {
    // A body over the limit is refused before it is decoded.
    if event
        .body
        .as_ref()
        .is_some_and(|b| b.len() > MAX_BODY * 4 / 3 + 4)
    {
        return url_response(&HttpResponse::error(
            413,
            format!("the body is over {MAX_BODY} bytes"),
            "send a smaller body",
        ));
    }
    let request = match http_request(event) {
        Ok(r) => r,
        Err(refused) => return url_response(&refused),
    };
    let response = webhook::handle(
        &cloud.pipeline,
        &ViaDossiers(&cloud.dossiers),
        secrets,
        launcher,
        request,
    )
    .await;
    tracing::info!(status = response.status, path = ?event.raw_path, "sync-webhook");
    url_response(&response)
}
