//! Redirects followed by hand. Inqom's API fronts other hosts (research notes §1.1:
//! `api.inqom.com` before the accounting and documents services) and may answer an upload with
//! a redirect to another host. reqwest's own policy would drop `Authorization` there (another
//! host) and turn a POST answered 301/302 into a GET without its body, so for such a ledger the
//! client follows nothing itself ([`Redirects::Manual`]) and [`send_following`] does:
//!
//! - 307 / 308: the same method, body and bearer token re-sent to `Location`;
//! - 301 / 302 / 303 to a GET (or HEAD): followed the same way (nothing to lose);
//! - 301 / 302 / 303 to any other method: an error saying so, never a silent GET;
//! - only `https` targets (or `http` on 127.0.0.1, the test mocks), at most [`MAX_HOPS`].

use std::time::Duration;

use app::ports::{SinkError, SinkErrorKind};
use http_client::SlidingWindow;
use reqwest::header::LOCATION;
use reqwest::{Method, Url};

use crate::http::error;

/// Redirects followed in a row before giving up.
pub const MAX_HOPS: usize = 5;

/// Who follows a ledger's redirects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    /// reqwest's default policy (the ledger is not known to redirect).
    Client,
    /// Followed by [`send_following`], keeping the method, the body and the token.
    Manual,
}

/// Whether a redirect target may receive the request (and its bearer token).
pub fn allowed_target(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => url.host_str() == Some("127.0.0.1"),
        _ => false,
    }
}

fn refused(status: u16, message: String, action: String) -> SinkError {
    error(
        SinkErrorKind::Permanent,
        Some(status),
        message,
        action,
        None,
    )
}

/// Sends the request `build` makes (called again for each hop, so a multipart body is rebuilt)
/// with the bearer token, following redirects as the module says. Each hop takes a token from
/// `pacer`. `Ok(Err(_))` is a transport failure (the caller retries it); `Err(_)` a redirect
/// passerelle will not follow.
pub async fn send_following<F>(
    ledger: &str,
    http: &reqwest::Client,
    pacer: &SlidingWindow,
    timeout: Duration,
    build: &F,
    token: &str,
) -> Result<Result<reqwest::Response, reqwest::Error>, SinkError>
where
    F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
{
    let make = || build(http).bearer_auth(token).timeout(timeout).build();
    let mut request = match make() {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    let mut hop = 0;
    loop {
        pacer.acquire().await;
        let method = request.method().clone();
        let from = request.url().clone();
        let response = match http.execute(request).await {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let status = response.status().as_u16();
        if !matches!(status, 301 | 302 | 303 | 307 | 308) {
            return Ok(Ok(response));
        }
        let Some(to) = response
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| from.join(l).ok())
        else {
            // A redirect without a usable Location: handed back as the answer.
            return Ok(Ok(response));
        };
        let place = format!("{}{}", to.origin().ascii_serialization(), to.path());
        let keeps_method =
            matches!(status, 307 | 308) || [Method::GET, Method::HEAD].contains(&method);
        if !keeps_method {
            return Err(refused(
                status,
                format!(
                    "{ledger} answered {status} to {method} {} with a redirect to {place}; following it would turn the {method} into a GET without its body, so nothing was sent there",
                    from.path()
                ),
                format!(
                    "set the {ledger} URL of the dossier's ledger section to the new address ({}), or ask {ledger} why it answers {status} rather than 307/308",
                    to.origin().ascii_serialization()
                ),
            ));
        }
        if !allowed_target(&to) {
            return Err(refused(
                status,
                format!(
                    "{ledger} redirected {method} {} to {place}, which is not https: passerelle does not send the credentials there",
                    from.path()
                ),
                format!(
                    "check the {ledger} URLs of the dossier's ledger section (they must be https)"
                ),
            ));
        }
        if hop == MAX_HOPS {
            return Err(refused(
                status,
                format!(
                    "{ledger} redirected {method} {} more than {MAX_HOPS} times (last to {place})",
                    from.path()
                ),
                format!(
                    "check the {ledger} URLs of the dossier's ledger section, or ask {ledger} support"
                ),
            ));
        }
        hop += 1;
        tracing::info!(ledger, status, %method, from = from.path(), to = %place, "following the ledger's redirect");
        request = match make() {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        *request.url_mut() = to;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_local_http_targets() {
        let ok = [
            "https://wa-fred.azurewebsites.net/x",
            "http://127.0.0.1:8080/x",
        ];
        let bad = [
            "http://api.inqom.com/x",
            "http://localhost:8080/x",
            "ftp://127.0.0.1/x",
        ];
        for u in ok {
            assert!(allowed_target(&Url::parse(u).unwrap()), "{u}");
        }
        for u in bad {
            assert!(!allowed_target(&Url::parse(u).unwrap()), "{u}");
        }
    }
}
