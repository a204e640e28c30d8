//! Acceptance 4: a token that expires mid-run is renewed, and nothing secret reaches the logs.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::ports::{PullMode, PullWindow, SourceApi};
use common::*;
use sellsy_sim::{Faults, Kind, Sim, SimConfig};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiring_tokens_are_renewed_and_no_secret_is_logged() {
    let capture = Capture::default();
    // Everything, from every crate (reqwest, hyper included), at TRACE, in both formats.
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let secret = "s3cr3t-Client-Secret-0123456789";
    let sim = Sim::start(SimConfig {
        client_secret: secret.into(),
        // Tokens live 3 s: a run of several seconds outlives several of them.
        token_ttl: Duration::from_secs(3),
        invoices: 40,
        credit_notes: 8,
        faults: Faults {
            error_rate: 0.05,
            ..Faults::default()
        },
        per_second: 20,
        per_minute: 6000,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let c = client(&sim);
    let window = PullWindow {
        from: d("2026-01-01"),
        to: d("2026-03-31"),
    };
    // A token revoked early (expired on the server while the client still trusts it): the 401
    // is answered by one transparent renewal.
    c.test_connection().await.unwrap();
    sim.expire_tokens();
    let pulled = c.pull(window, PullMode::Journal).await.unwrap();
    let n = sim
        .documents(Kind::Invoice)
        .iter()
        .chain(sim.documents(Kind::CreditNote).iter())
        .filter(|d| d.status != "draft")
        .count();
    assert_eq!(pulled.documents.len(), n);
    let stats = sim.stats();
    assert!(
        stats.unauthorized >= 1,
        "the expired token was never used: {stats:?}"
    );
    assert!(
        stats.tokens_issued >= 3,
        "tokens issued: {}",
        stats.tokens_issued
    );
    assert!(pulled.stats.token_renewals >= 2);
    // Errors do not carry it either.
    let mut cfg = client_for(&sim);
    cfg.client_secret = app::ports::Secret::new("another-Wrong-Secret-987");
    let err = sellsy::SellsyClient::new(cfg.clone())
        .unwrap()
        .pull(window, PullMode::Documents)
        .await
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains("another-Wrong-Secret-987"));
    assert!(!format!("{cfg:?}").contains("another-Wrong-Secret-987"));

    let tokens = sim.issued_tokens();
    sim.stop().await;
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("sellsy call"), "the capture saw nothing");
    assert!(logs.contains("renewing the access token"));
    for t in &tokens {
        assert!(!logs.contains(t.as_str()), "access token found in the logs");
    }
    assert!(!logs.contains(secret), "client secret found in the logs");
    assert!(!logs.contains("another-Wrong-Secret-987"));
    assert!(!logs.to_lowercase().contains("bearer simtok"));
    eprintln!(
        "checked {} bytes of logs against {} tokens",
        logs.len(),
        tokens.len()
    );
}
