//! The SMTP listener's limits over real sockets on 127.0.0.1: peers outside the allowed MTAs,
//! connections per peer, the session deadline, the RCPT limit, and a greeting that does not
//! name the authserv-id.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serve::smtp::{Accept, Config, Delivery, GREETING_NAME, Limits, bind, serve};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

/// A listener with `limits`, every recipient accepted, every delivery answered 250.
async fn start(limits: Limits) -> (SocketAddr, watch::Sender<bool>) {
    let listener = bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, mut rx) = mpsc::channel::<Delivery>(4);
    let (stop_tx, stop) = watch::channel(false);
    let accept: Accept = Arc::new(|_: &str| Ok(()));
    let cfg = Config {
        name: GREETING_NAME.into(),
        max_bytes: 1 << 20,
        accept,
        limits,
    };
    tokio::spawn(serve(listener, cfg, tx, stop));
    tokio::spawn(async move {
        while let Some(d) = rx.recv().await {
            let _ = d.reply.send((250, "2.0.0 kept".into()));
        }
    });
    (addr, stop_tx)
}

/// Everything the server writes until it closes (at most 10 s).
async fn read_all(s: &mut TcpStream) -> String {
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_string(&mut out))
        .await
        .expect("the server closed the connection")
        .unwrap();
    out
}

fn codes(replies: &str) -> Vec<u16> {
    replies
        .lines()
        .filter(|l| l.as_bytes().get(3) == Some(&b' '))
        .map(|l| l[..3].parse().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_is_not_an_allowed_mta_gets_554_and_no_session() {
    let (addr, _stop) = start(Limits {
        allowed_peers: vec!["192.0.2.25".parse().unwrap()],
        ..Limits::default()
    })
    .await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"EHLO x\r\nMAIL FROM:<a@b.fr>\r\n")
        .await
        .unwrap();
    let out = read_all(&mut s).await;
    assert_eq!(codes(&out), vec![554], "{out}");
    assert!(out.contains("127.0.0.1"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_per_peer_cap_get_421_until_one_closes() {
    let (addr, _stop) = start(Limits {
        max_per_peer: 1,
        ..Limits::default()
    })
    .await;
    let first = TcpStream::connect(addr).await.unwrap();
    let mut first = BufReader::new(first);
    let mut greeting = String::new();
    first.read_line(&mut greeting).await.unwrap();
    assert!(greeting.starts_with("220"), "{greeting}");
    let mut second = TcpStream::connect(addr).await.unwrap();
    let out = read_all(&mut second).await;
    assert_eq!(codes(&out), vec![421], "{out}");
    // Once the first session ends its place is free again.
    first.get_mut().write_all(b"QUIT\r\n").await.unwrap();
    let mut rest = String::new();
    first.read_to_string(&mut rest).await.unwrap();
    let mut third = TcpStream::connect(addr).await.unwrap();
    third.write_all(b"QUIT\r\n").await.unwrap();
    assert_eq!(codes(&read_all(&mut third).await), vec![220, 221]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_past_its_deadline_gets_421_and_is_closed_even_while_busy() {
    let (addr, _stop) = start(Limits {
        session_deadline: Duration::from_millis(600),
        ..Limits::default()
    })
    .await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    // Keep the session busy with NOOPs: a deadline is not an idle timeout.
    for _ in 0..3 {
        s.write_all(b"NOOP\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let out = read_all(&mut s).await;
    let got = codes(&out);
    assert_eq!(got.first(), Some(&220), "{out}");
    assert_eq!(got.last(), Some(&421), "{out}");
    assert!(out.contains("time limit"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rcpt_past_the_limit_gets_452_and_a_new_transaction_starts_afresh() {
    let (addr, _stop) = start(Limits {
        max_recipients: 2,
        ..Limits::default()
    })
    .await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"EHLO x\r\nMAIL FROM:<a@b.fr>\r\nRCPT TO:<achat.a@x.fr>\r\nRCPT TO:<achat.b@x.fr>\r\n\
          RCPT TO:<achat.c@x.fr>\r\nRSET\r\nMAIL FROM:<a@b.fr>\r\nRCPT TO:<achat.c@x.fr>\r\nQUIT\r\n",
    )
    .await
    .unwrap();
    let out = read_all(&mut s).await;
    assert_eq!(
        codes(&out),
        vec![220, 250, 250, 250, 250, 452, 250, 250, 250, 221],
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_greeting_names_passerelle_not_the_authserv_id() {
    let (addr, _stop) = start(Limits::default()).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"EHLO x\r\nQUIT\r\n").await.unwrap();
    let out = read_all(&mut s).await;
    assert!(out.starts_with("220 passerelle"), "{out}");
    let default_authserv = wiring::ServiceConfig::default().authserv_id;
    assert!(!out.contains(&default_authserv), "{out}");
}
