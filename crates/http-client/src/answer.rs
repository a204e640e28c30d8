//! An HTTP answer read in full. API answers are small JSON documents; files are downloaded by
//! their own code.

use std::borrow::Cow;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};

/// A response's status, headers and body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// Reads the whole body; a failure there is a transport failure (see `TransportKind`).
    pub async fn read(response: Response) -> Result<Answer, reqwest::Error> {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// The body as text, invalid UTF-8 replaced (what reqwest's `text()` gives without its
    /// `charset` feature, which the workspace does not enable).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn reads_status_headers_and_body() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(
                b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 2\r\ncontent-length: 7\r\n\r\n{\"a\":\xff}",
            )
            .await
            .unwrap();
        });
        let r = reqwest::get(format!("http://{addr}/")).await.unwrap();
        let a = Answer::read(r).await.unwrap();
        assert_eq!(a.status.as_u16(), 429);
        assert_eq!(a.headers["retry-after"], "2");
        assert_eq!(&a.body[..], b"{\"a\":\xff}");
        assert_eq!(a.text(), "{\"a\":\u{fffd}}");
        server.await.unwrap();
    }
}
