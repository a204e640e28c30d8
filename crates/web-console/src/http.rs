//! The transport-neutral request and response of the console: `serve` translates axum's, the
//! Function URL handler translates Lambda's. Bodies are forms (`application/x-www-form-urlencoded`).

/// Where the console is mounted on the listener.
pub const BASE: &str = "/console";

/// Form bodies larger than this are refused (413) before they are parsed.
pub const MAX_BODY: usize = 16 * 1024;

/// A request as the transport received it. `path` may carry a query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The client's address as the transport saw it (the login limiter counts per address).
    pub peer: String,
}

impl Request {
    /// The first header named `name`, any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without its query string.
    pub fn route_path(&self) -> &str {
        self.path.split(['?', '#']).next().unwrap_or("")
    }

    /// A query parameter (the first one of that name), decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        let query = self.path.split_once('?').map(|(_, q)| q)?;
        let query = query.split('#').next().unwrap_or("");
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// A field of the form body, decoded.
    pub fn form(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(&self.body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// A cookie sent with the request (every `Cookie` header is read).
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

/// The answer: a status, headers and an HTML (or plain) body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Headers every answer carries: no caching of pages that show accounting data, no framing,
/// no content from elsewhere (the pages have no script, the stylesheet is inline).
const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("Cache-Control", "no-store"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
];

impl Response {
    fn with(status: u16, content_type: &str, body: String) -> Response {
        let mut headers: Vec<(String, String)> = SECURITY_HEADERS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        headers.push(("Content-Type".into(), content_type.into()));
        Response {
            status,
            headers,
            body,
        }
    }

    /// An HTML page.
    pub fn html(status: u16, body: String) -> Response {
        Response::with(status, "text/html; charset=utf-8", body)
    }

    /// A plain-text answer (refusals before a page can be rendered).
    pub fn text(status: u16, body: impl Into<String>) -> Response {
        Response::with(status, "text/plain; charset=utf-8", body.into())
    }

    /// `303 See Other` to `location` (after a form, so that reloading does not post again).
    pub fn redirect(location: &str) -> Response {
        let mut r = Response::with(303, "text/plain; charset=utf-8", String::new());
        r.headers.push(("Location".into(), location.into()));
        r
    }

    /// Adds a `Set-Cookie` header.
    pub fn set_cookie(mut self, cookie: String) -> Response {
        self.headers.push(("Set-Cookie".into(), cookie));
        self
    }

    /// The first header named `name`, any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A cookie only the server reads, only over HTTPS, never sent on a cross-site request;
/// `max_age` 0 deletes it.
pub fn cookie(name: &str, value: &str, path: &str, max_age: i64) -> String {
    format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict")
}
