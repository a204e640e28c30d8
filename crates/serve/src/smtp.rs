//! The SMTP listener of the collection addresses (`serve`, and the demo's mails).
//!
//! The protocol (command parsing, state machine, RSET, dot-unstuffing) is the `mailin` crate's;
//! the I/O is ours, on tokio. `mailin`'s `data_end` callback is synchronous and, on an error
//! reply, leaves the session in DATA mode, so the handler only parks the finished message and
//! the connection task replaces the 250 with the outcome of the delivery (250, 451, 552).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use mailin::{Action, Handler, Response};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};

/// Longest command or data line read (RFC 5321 allows 1000; some clients send longer lines).
const MAX_LINE: usize = 64 * 1024;

/// A message received for delivery, and where to send the reply code and text.
pub struct Delivery {
    pub recipients: Vec<String>,
    pub raw: Vec<u8>,
    pub reply: oneshot::Sender<(u16, String)>,
}

/// Which recipients exist: `Err(reason)` gets a 550 with the reason.
pub type Accept = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// What the listener needs.
#[derive(Clone)]
pub struct Config {
    /// Name in the greeting.
    pub name: String,
    /// Larger messages get a 552.
    pub max_bytes: usize,
    pub accept: Accept,
}

enum Parked {
    Message(Vec<String>, Vec<u8>),
    TooBig(usize),
}

struct SessionHandler {
    accept: Accept,
    max_bytes: usize,
    recipients: Vec<String>,
    data: Vec<u8>,
    received: usize,
    parked: Arc<Mutex<Option<Parked>>>,
}

impl Handler for SessionHandler {
    fn rcpt(&mut self, to: &str) -> Response {
        match (self.accept)(to) {
            Ok(()) => mailin::response::OK,
            Err(reason) => {
                crate::events::event("smtp", &format!("RCPT TO:<{to}> refused (550): {reason}"));
                Response::custom(550, format!("5.1.1 {reason}"))
            }
        }
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.recipients = to.to_vec();
        self.data.clear();
        self.received = 0;
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.received += buf.len();
        // Past the limit the rest is read and dropped, then refused with 552 at the end.
        if self.received <= self.max_bytes {
            self.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let parked = if self.received > self.max_bytes {
            self.data = Vec::new();
            Parked::TooBig(self.received)
        } else {
            Parked::Message(
                std::mem::take(&mut self.recipients),
                std::mem::take(&mut self.data),
            )
        };
        *self.parked.lock().unwrap_or_else(|p| p.into_inner()) = Some(parked);
        mailin::response::OK
    }
}

/// Binds the listener (before anything else starts, so that a busy port fails early).
pub async fn bind(addr: &str) -> Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen for SMTP on {addr}: free the port or set [service] smtp_listen")
    })
}

/// Accepts connections until `stop` turns true; each session runs in its own task.
pub async fn serve(
    listener: TcpListener,
    cfg: Config,
    deliveries: mpsc::Sender<Delivery>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            conn = listener.accept() => match conn {
                Ok((stream, peer)) => {
                    let (cfg, deliveries) = (cfg.clone(), deliveries.clone());
                    tokio::spawn(async move {
                        if let Err(e) = session(stream, peer, cfg, deliveries).await {
                            crate::events::event("smtp", &format!("{peer}: session ended: {e:#}"));
                        }
                    });
                }
                Err(e) => crate::events::event("smtp", &format!("accept failed: {e}")),
            },
        }
    }
}

/// Reads one line (up to and including `\n`), at most [`MAX_LINE`] bytes.
async fn read_line<R: AsyncRead + Unpin>(r: &mut BufReader<R>, line: &mut Vec<u8>) -> Result<bool> {
    line.clear();
    loop {
        let buf = r.fill_buf().await?;
        if buf.is_empty() {
            return Ok(!line.is_empty());
        }
        let (take, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        line.extend_from_slice(&buf[..take]);
        r.consume(take);
        if done {
            return Ok(true);
        }
        if line.len() > MAX_LINE {
            bail!("line longer than {MAX_LINE} bytes");
        }
    }
}

async fn session(
    stream: TcpStream,
    peer: SocketAddr,
    cfg: Config,
    deliveries: mpsc::Sender<Delivery>,
) -> Result<()> {
    let parked = Arc::new(Mutex::new(None));
    let handler = SessionHandler {
        accept: cfg.accept.clone(),
        max_bytes: cfg.max_bytes,
        recipients: Vec::new(),
        data: Vec::new(),
        received: 0,
        parked: parked.clone(),
    };
    let mut session = mailin::SessionBuilder::new(cfg.name.clone()).build(peer.ip(), handler);
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut out = Vec::new();
    session.greeting().write_to(&mut out)?;
    write.write_all(&out).await?;
    let mut line = Vec::with_capacity(128);
    // Idle clients are dropped after 5 minutes (RFC 5321 4.5.3.2 asks for at least that).
    let idle = std::time::Duration::from_secs(300);
    while tokio::time::timeout(idle, read_line(&mut reader, &mut line))
        .await
        .context("idle for 5 minutes")??
    {
        let mut res = session.process(&line);
        let taken = parked.lock().unwrap_or_else(|p| p.into_inner()).take();
        match taken {
            None => {}
            Some(Parked::TooBig(n)) => {
                crate::events::event("smtp", &format!("{peer}: refused a {n}-byte message (552)"));
                res = Response::custom(
                    552,
                    format!(
                        "5.3.4 message of {n} bytes is larger than the {} accepted",
                        cfg.max_bytes
                    ),
                );
            }
            Some(Parked::Message(recipients, raw)) => {
                let (tx, rx) = oneshot::channel();
                let sent = deliveries
                    .send(Delivery {
                        recipients,
                        raw,
                        reply: tx,
                    })
                    .await;
                let (code, text) = match sent {
                    Ok(()) => rx
                        .await
                        .unwrap_or((451, "4.3.0 shutting down, try again".into())),
                    Err(_) => (451, "4.3.0 shutting down, try again".into()),
                };
                res = Response::custom(code, text);
            }
        }
        if res.action == Action::NoReply {
            continue;
        }
        out.clear();
        res.write_to(&mut out)?;
        write.write_all(&out).await?;
        if res.action == Action::Close {
            break;
        }
    }
    Ok(())
}

/// Reads one (possibly multi-line) reply; returns its code and the text of its last line.
async fn reply<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> Result<(u16, String)> {
    let mut line = Vec::new();
    loop {
        if !read_line(r, &mut line).await? {
            bail!("the SMTP server closed the connection");
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        let code: u16 = text
            .get(..3)
            .and_then(|c| c.parse().ok())
            .with_context(|| format!("not an SMTP reply: {text}"))?;
        if text.as_bytes().get(3) != Some(&b'-') {
            return Ok((code, text.get(4..).unwrap_or("").to_string()));
        }
    }
}

/// What the server answered for one message: per recipient, then to the data.
#[derive(Debug, Clone)]
pub struct Sent {
    pub recipients: Vec<(String, u16, String)>,
    pub data: Option<(u16, String)>,
}

/// Sends one message (the demo's client): EHLO, MAIL, RCPT for each recipient, DATA with
/// dot-stuffing, QUIT. Refused recipients are reported, not an error.
pub async fn send(addr: SocketAddr, from: &str, to: &[String], raw: &[u8]) -> Result<Sent> {
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to the SMTP listener on {addr}"))?;
    let (read, mut write) = stream.into_split();
    let mut r = BufReader::new(read);
    let expect = |(code, text): (u16, String), want: u16, what: &str| -> Result<()> {
        if code != want {
            bail!("SMTP {what}: {code} {text}");
        }
        Ok(())
    };
    expect(reply(&mut r).await?, 220, "greeting")?;
    write.write_all(b"EHLO demo.passerelle\r\n").await?;
    expect(reply(&mut r).await?, 250, "EHLO")?;
    write
        .write_all(format!("MAIL FROM:<{from}>\r\n").as_bytes())
        .await?;
    expect(reply(&mut r).await?, 250, "MAIL FROM")?;
    let mut sent = Sent {
        recipients: Vec::new(),
        data: None,
    };
    for rcpt in to {
        write
            .write_all(format!("RCPT TO:<{rcpt}>\r\n").as_bytes())
            .await?;
        let (code, text) = reply(&mut r).await?;
        sent.recipients.push((rcpt.clone(), code, text));
    }
    if sent.recipients.iter().any(|(_, c, _)| *c == 250) {
        write.write_all(b"DATA\r\n").await?;
        expect(reply(&mut r).await?, 354, "DATA")?;
        write.write_all(&dot_stuff(raw)).await?;
        sent.data = Some(reply(&mut r).await?);
    }
    write.write_all(b"QUIT\r\n").await?;
    let _ = reply(&mut r).await;
    Ok(sent)
}

/// The DATA payload: CRLF line ends, a leading '.' doubled, ended by `.` alone.
pub fn dot_stuff(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 64);
    for line in raw.split_inclusive(|&b| b == b'\n') {
        let body = line
            .strip_suffix(b"\n")
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(line);
        if body.starts_with(b".") {
            out.push(b'.');
        }
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// A listener whose deliveries are answered 250 and kept.
    async fn start(max_bytes: usize) -> (SocketAddr, mpsc::UnboundedReceiver<Vec<u8>>) {
        let listener = bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, mut rx) = mpsc::channel::<Delivery>(4);
        let (kept_tx, kept) = mpsc::unbounded_channel();
        let (_stop_tx, stop) = watch::channel(false);
        let accept: Accept = Arc::new(|to: &str| {
            if to.starts_with("achat.") {
                Ok(())
            } else {
                Err(format!("{to} is not a collection address"))
            }
        });
        let cfg = Config {
            name: "test".into(),
            max_bytes,
            accept,
        };
        tokio::spawn(async move {
            let _stop_tx = _stop_tx;
            serve(listener, cfg, tx, stop).await
        });
        tokio::spawn(async move {
            while let Some(d) = rx.recv().await {
                let n = d.recipients.len();
                let _ = kept_tx.send(d.raw);
                let _ = d.reply.send((250, format!("2.0.0 kept for {n}")));
            }
        });
        (addr, kept)
    }

    /// Writes everything at once (pipelined), then reads the replies until the server closes.
    async fn exchange(addr: SocketAddr, script: &[u8]) -> Vec<u16> {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(script).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out.lines()
            .filter(|l| l.as_bytes().get(3) == Some(&b' '))
            .map(|l| l[..3].parse().unwrap())
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pipelined_session_with_dot_stuffing_rset_550_and_503() {
        let (addr, mut kept) = start(1 << 20).await;
        let script = b"EHLO client\r\n\
            MAIL FROM:<a@b.fr>\r\nRCPT TO:<postmaster@x.fr>\r\nRCPT TO:<achat.acme@x.fr>\r\nDATA\r\n\
            Subject: x\r\n\r\n..leading dot\r\n.\r\n\
            RCPT TO:<achat.acme@x.fr>\r\n\
            MAIL FROM:<a@b.fr>\r\nRCPT TO:<achat.acme@x.fr>\r\nRSET\r\nDATA\r\n\
            QUIT\r\n";
        let codes = exchange(addr, script).await;
        assert_eq!(
            codes,
            vec![
                220, 250, 250, 550, 250, 354, 250, 503, 250, 250, 250, 503, 221
            ]
        );
        let raw = kept.recv().await.unwrap();
        assert_eq!(raw, b"Subject: x\r\n\r\n.leading dot\r\n");
        assert!(
            kept.try_recv().is_err(),
            "RSET dropped the second transaction"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_message_over_the_limit_gets_552_and_the_session_goes_on() {
        let (addr, mut kept) = start(1000).await;
        let mut script =
            b"HELO client\r\nMAIL FROM:<a@b.fr>\r\nRCPT TO:<achat.acme@x.fr>\r\nDATA\r\n".to_vec();
        for _ in 0..40 {
            script.extend_from_slice(&[b'x'; 78]);
            script.extend_from_slice(b"\r\n");
        }
        script.extend_from_slice(b".\r\nMAIL FROM:<a@b.fr>\r\nRCPT TO:<achat.acme@x.fr>\r\nDATA\r\nsmall\r\n.\r\nQUIT\r\n");
        let codes = exchange(addr, &script).await;
        assert_eq!(
            codes,
            vec![220, 250, 250, 250, 354, 552, 250, 250, 354, 250, 221]
        );
        assert_eq!(kept.recv().await.unwrap(), b"small\r\n");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_client_stuffs_dots_and_reads_refusals() {
        let (addr, mut kept) = start(1 << 20).await;
        let raw = b"Subject: y\n\n.one\nlast line without newline";
        let sent = send(
            addr,
            "a@b.fr",
            &["achat.acme@x.fr".into(), "nobody@x.fr".into()],
            raw,
        )
        .await
        .unwrap();
        assert_eq!(sent.recipients[0].1, 250);
        assert_eq!(sent.recipients[1].1, 550);
        assert!(sent.recipients[1].2.contains("not a collection address"));
        assert_eq!(sent.data.unwrap().0, 250);
        assert_eq!(
            kept.recv().await.unwrap(),
            b"Subject: y\r\n\r\n.one\r\nlast line without newline\r\n"
        );
    }
}
