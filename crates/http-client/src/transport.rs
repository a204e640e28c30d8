//! Exchanges that got no usable answer. Every kind is worth retrying: the request may not have
//! reached the server, or its answer was lost.

/// What went wrong, in words that carry no URL (a signed link holds a credential in its query).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    Timeout,
    Connect,
    /// The answer could not be read (cut short, undecodable body).
    Unreadable,
    Other,
}

impl TransportKind {
    pub fn of(e: &reqwest::Error) -> TransportKind {
        if e.is_timeout() {
            TransportKind::Timeout
        } else if e.is_connect() {
            TransportKind::Connect
        } else if e.is_decode() || e.is_body() {
            TransportKind::Unreadable
        } else {
            TransportKind::Other
        }
    }

    /// "timed out", "could not connect", ...: completes "<server> …".
    pub fn describe(self) -> &'static str {
        match self {
            TransportKind::Timeout => "timed out",
            TransportKind::Connect => "could not connect",
            TransportKind::Unreadable => "sent an unreadable answer",
            TransportKind::Other => "request failed",
        }
    }
}

/// reqwest's own description of the failure, without the URL.
pub fn without_url(e: reqwest::Error) -> String {
    e.without_url().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_refused_connection_is_classified_and_described_without_its_url() {
        // A port nothing listens on: bind one, then free it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/x?token=s3cr3t");
        let e = reqwest::get(&url).await.unwrap_err();
        assert_eq!(TransportKind::of(&e), TransportKind::Connect);
        assert_eq!(TransportKind::of(&e).describe(), "could not connect");
        let text = without_url(e);
        assert!(!text.contains("s3cr3t"), "{text}");
    }

    #[tokio::test]
    async fn a_timeout_is_classified() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Accepts and never answers.
        let server = tokio::spawn(async move {
            let (_socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        });
        let e = reqwest::Client::new()
            .get(format!("http://{addr}/"))
            .timeout(std::time::Duration::from_millis(100))
            .send()
            .await
            .unwrap_err();
        assert_eq!(TransportKind::of(&e), TransportKind::Timeout);
        server.abort();
    }
}
