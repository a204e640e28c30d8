//! The HTTP listener of `serve`: the cloud webhook's routes (`POST /sync`, `GET /runs/{id}`,
//! `POST /sellsy/{dossier}`) and the web console under `/console` (crate `web-console`), served by
//! axum. Routing, signatures and answers are the `webhook`
//! crate's; this only translates requests and responses and starts what a route launches.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use app::ports::PullWindow;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::sync::watch;
use webhook::{HttpRequest, HttpResponse, Launch, Launcher, ViaDossiers};

use crate::events::event;
use crate::runs::pull_run;
use crate::schedule::next_night;
use crate::service::Service;

/// Starts what a route asked for in a task of its own; the worker maps and pushes what it pulls.
struct TaskLauncher(Arc<Service>);

impl Launcher for TaskLauncher {
    async fn launch(&self, what: Launch) -> Result<(), String> {
        let service = self.0.clone();
        match what {
            Launch::Run {
                run_id,
                dossier,
                from,
                to,
                trigger,
            } => {
                if !service.dossiers.sources.contains_key(&dossier) {
                    return Err(format!(
                        "dossier {dossier} has no [dossier.sellsy] section: add it to the configuration"
                    ));
                }
                tokio::spawn(async move {
                    let window = PullWindow { from, to };
                    pull_run(&service, &dossier, window, &run_id, &trigger).await;
                });
            }
            Launch::Refetch { dossier, doc } => {
                let (Some(cfg), Some(_)) = (
                    service.config.dossier(&dossier),
                    service.dossiers.sources.get(&dossier),
                ) else {
                    return Err(format!(
                        "dossier {dossier} has no [dossier.sellsy] section: add it to the configuration"
                    ));
                };
                let cfg = cfg.clone();
                tokio::spawn(async move {
                    let Some(source) = service.dossiers.sources.get(&dossier) else {
                        return;
                    };
                    match service.pipeline.refetch(&cfg, source, doc).await {
                        Ok(r) => event(
                            "webhook",
                            &format!(
                                "{dossier}: Sellsy notified a change; {} new, {} changed, {} modified after booking",
                                r.new, r.changed, r.modified_after_copy
                            ),
                        ),
                        Err(e) => event(
                            "webhook",
                            &format!(
                                "{dossier}: re-fetch failed: {e}; see passerelle log {dossier}"
                            ),
                        ),
                    }
                });
            }
        }
        Ok(())
    }
}

fn json_response(r: &HttpResponse) -> Response {
    let mut response = Response::new(Body::from(r.body_bytes()));
    *response.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The console's answer in axum's terms.
fn console_response(r: web_console::Response) -> Response {
    let mut response = Response::new(Body::from(r.body));
    *response.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in r.headers {
        if let (Ok(k), Ok(v)) = (
            header::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            response.headers_mut().append(k, v);
        }
    }
    response
}

/// `/console…`: the web console, when the configuration has users.
async fn console_route(service: Arc<Service>, peer: SocketAddr, request: Request) -> Response {
    let Some(site) = &service.console else {
        return console_response(web_console::Response::text(
            404,
            "the web console is off: add [[console.users]] to the configuration (see the README)",
        ));
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, web_console::http::MAX_BODY).await else {
        return console_response(web_console::Response::text(413, "request too large"));
    };
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| parts.uri.path().to_string());
    let req = web_console::Request {
        method: parts.method.to_string(),
        path,
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
        peer: peer.ip().to_string(),
    };
    let (at, tz) = service.config.service.nightly();
    let next = next_night(service.pipeline.now(), at, tz);
    let launcher = TaskLauncher(service.clone());
    console_response(web_console::handle(site, &service.pipeline, &launcher, Some(next), req).await)
}

async fn route(
    State(service): State<Arc<Service>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let p = request.uri().path();
    if p == web_console::BASE || p.starts_with(&format!("{}/", web_console::BASE)) {
        return console_route(service, peer, request).await;
    }
    let (parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| parts.uri.path().to_string());
    let Ok(body) = axum::body::to_bytes(body, webhook::MAX_BODY).await else {
        event(
            "http",
            &format!("{} {path}: body too large (413)", parts.method),
        );
        return json_response(&HttpResponse::error(
            413,
            format!("the body is larger than {} bytes", webhook::MAX_BODY),
            "send a smaller request",
        ));
    };
    let req = HttpRequest {
        method: parts.method.to_string(),
        path: path.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    let response = webhook::handle(
        &service.pipeline,
        &ViaDossiers(&*service.dossiers),
        &service.secrets,
        &TaskLauncher(service.clone()),
        req,
    )
    .await;
    event(
        "http",
        &format!("{} {path} → {}", parts.method, response.status),
    );
    json_response(&response)
}

/// Binds the HTTP listener (before anything else starts, so that a busy port fails early).
pub async fn bind(addr: &str) -> Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen for HTTP on {addr}: free the port or set [service] http_listen")
    })
}

/// Serves the routes until `stop` turns true; requests in flight are answered first.
pub async fn serve(listener: TcpListener, service: Arc<Service>, mut stop: watch::Receiver<bool>) {
    let app = axum::Router::new().fallback(route).with_state(service);
    let shutdown = async move {
        let _ = stop.changed().await;
    };
    if let Err(e) = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    {
        event("http", &format!("listener stopped: {e}"));
    }
}
