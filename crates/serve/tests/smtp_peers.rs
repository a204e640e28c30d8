//! `[service] smtp_allowed_peers` from the configuration file decides who may talk to the SMTP
//! listener (`serve::smtp_config`, what `passerelle serve` runs), over real sockets on
//! 127.0.0.1.

use std::time::Duration;

use serve::smtp::{Delivery, bind, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

const DOSSIER: &str = r#"
[[dossier]]
id = "acme"
siren = "732829320"
start_date = "2026-01-01"
[dossier.accounts]
rounding_debit = "658000"
rounding_credit = "758000"
"#;

/// The replies of one short session with a listener configured by `service` (a `[service]`
/// table's body), connecting from 127.0.0.1.
async fn session_from_loopback(service: &str) -> String {
    let text = format!("[service]\nmail_domains = [\"collect.example.fr\"]\n{service}\n{DOSSIER}");
    let config = wiring::Config::from_toml(&text).expect("valid configuration");
    let listener = bind("127.0.0.1:0")
        .await
        .expect("cannot bind 127.0.0.1:0: is the loopback interface up?");
    let addr = listener.local_addr().unwrap();
    let (tx, _rx) = mpsc::channel::<Delivery>(4);
    let (_stop_tx, stop) = watch::channel(false);
    tokio::spawn(serve(listener, serve::smtp_config(&config), tx, stop));
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"EHLO x\r\nQUIT\r\n").await.unwrap();
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_string(&mut out))
        .await
        .expect("the server closed the connection")
        .unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_outside_the_configured_mtas_is_refused() {
    let out = session_from_loopback("smtp_allowed_peers = [\"192.0.2.25\", \"10.1.0.0/16\"]").await;
    assert!(out.starts_with("554 "), "{out}");
    assert!(out.contains("127.0.0.1 is not an MTA allowed"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_network_lets_its_mta_in() {
    let out = session_from_loopback("smtp_allowed_peers = [\"127.0.0.0/8\"]").await;
    assert!(out.starts_with("220 passerelle"), "{out}");
    assert!(out.contains("221"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_key_only_loopback_is_allowed() {
    let out = session_from_loopback("").await;
    assert!(out.starts_with("220 passerelle"), "{out}");
    let config = wiring::Config::from_toml(DOSSIER).unwrap();
    let limits = serve::smtp_config(&config).limits;
    assert_eq!(limits.allowed_peers, wiring::PeerNet::loopback());
}
