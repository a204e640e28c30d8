//! The loader and the connection of dossiers, over in-memory secrets and blobs.

use std::sync::Arc;

use app::memory::{MemoryBlobs, MemorySecrets};
use app::ports::SystemClock;
use ledgers::{LedgerSection, PartyBook, SinkContext};

use crate::{Config, Needs, connect};

const DOSSIER: &str = r#"
[[dossier]]
id = "acme"
siren = "732829320"
start_date = "2026-01-01"
[dossier.accounts]
rounding_debit = "658000"
rounding_credit = "758000"
"#;

fn with(extra: &str) -> String {
    format!("{DOSSIER}{extra}")
}

fn context() -> SinkContext<MemoryBlobs, SystemClock> {
    SinkContext {
        blobs: Arc::new(MemoryBlobs::new()),
        clock: SystemClock,
        parties: Arc::new(PartyBook::new()),
    }
}

#[test]
fn a_dossier_without_ledger_section_books_to_the_fec() {
    let config = Config::from_toml(DOSSIER).unwrap();
    assert!(matches!(config.ledgers["acme"], LedgerSection::Fec(_)));
    assert!(config.sellsy.is_empty());
}

#[test]
fn secrets_are_named_by_reference_or_by_the_older_env_keys() {
    let config = Config::from_toml(&with(
        "[dossier.sellsy]\nclient_id = \"c\"\nclient_secret = \"ssm:/passerelle/prod/source/acme/sellsy\"\nclient_secret_env = \"ACME_SELLSY\"\n\
         [dossier.ledger]\nkind = \"pennylane\"\ntoken = \"env:ACME_PENNYLANE\"\n",
    ))
    .unwrap();
    assert!(config.sellsy.contains_key("acme"));
    assert_eq!(config.ledgers["acme"].kind(), "pennylane");
}

#[test]
fn every_problem_of_every_section_is_reported_at_once() {
    let text = "[service]\nhttp_listen = \"nowhere\"\n\n[[dossier]]\nid = \"acme\"\nsiren = \"123\"\nstart_date = \"2026-01-01\"\n\
                [dossier.accounts]\nrounding_debit = \"658000\"\nrounding_credit = \"758000\"\n\
                [dossier.sellsy]\nclient_secret = \"vault:x\"\n\
                [dossier.ledger]\nkind = \"inqom\"\nusername = \"u\"\n";
    let issues = Config::from_toml(text).unwrap_err().0;
    let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
    assert!(fields.contains(&"dossier[0].siren"), "{fields:?}");
    assert!(fields.contains(&"service.http_listen"), "{fields:?}");
    assert!(fields.contains(&"dossier[0].sellsy"), "{fields:?}");
    for missing in ["dossier_id", "password", "client_id", "client_secret"] {
        assert!(
            fields.contains(&format!("dossier[0].ledger.{missing}").as_str()),
            "{missing}: {fields:?}"
        );
    }
    let sellsy = issues
        .iter()
        .find(|i| i.field == "dossier[0].sellsy")
        .unwrap();
    assert!(sellsy.problem.contains("vault"), "{sellsy:?}");
}

#[test]
fn an_unknown_ledger_kind_lists_the_kinds() {
    let issues = Config::from_toml(&with("[dossier.ledger]\nkind = \"sage\"\n"))
        .unwrap_err()
        .0;
    assert_eq!(issues[0].field, "dossier[0].ledger.kind");
    assert!(issues[0].fix.contains("inqom"), "{:?}", issues[0]);
}

const TWO: &str = r#"
[dossier.sellsy]
client_id = "c"
client_secret_env = "ACME_SELLSY"
webhook_key = "env:ACME_HOOK"
[[dossier]]
id = "beta"
siren = "552100554"
start_date = "2026-01-01"
[dossier.accounts]
rounding_debit = "658000"
rounding_credit = "758000"
[dossier.sellsy]
client_id = "c"
client_secret = "env:BETA_SELLSY"
[dossier.ledger]
kind = "pennylane"
token_env = "BETA_PENNYLANE"
"#;

#[tokio::test]
async fn a_dossier_that_cannot_be_connected_is_left_out_with_its_action_and_the_others_run() {
    let config = Config::from_toml(&with(TWO)).unwrap();
    let secrets = MemorySecrets::new()
        .with("env:ACME_SELLSY", "s1")
        .with("env:ACME_HOOK", "k")
        .with("env:BETA_SELLSY", "s2");
    let set = connect(&config, Needs::ALL, &secrets, &context()).await;
    assert_eq!(set.sources.len(), 2);
    assert!(set.webhook_keys.contains_key("acme"));
    assert!(set.sinks.contains_key("acme"), "FEC needs no secret");
    assert!(!set.sinks.contains_key("beta"));
    assert_eq!(set.unconnected.len(), 1, "{:?}", set.unconnected);
    let u = &set.unconnected[0];
    assert_eq!(
        (u.dossier.as_str(), u.section.as_str()),
        ("beta", "dossier[1].ledger")
    );
    assert!(u.problem.contains("BETA_PENNYLANE"), "{u}");
    assert!(!u.action.is_empty());
}

#[tokio::test]
async fn a_runtime_reads_only_the_secrets_it_needs() {
    let config = Config::from_toml(&with(TWO)).unwrap();
    // No secret at all: connecting only the webhook keys asks for acme's key and nothing else.
    let set = connect(
        &config,
        Needs {
            webhook_keys: true,
            ..Needs::NOTHING
        },
        &MemorySecrets::new(),
        &context(),
    )
    .await;
    assert!(set.sources.is_empty() && set.sinks.is_empty());
    let sections: Vec<&str> = set.unconnected.iter().map(|u| u.section.as_str()).collect();
    assert_eq!(sections, ["dossier[0].sellsy"], "{:?}", set.unconnected);
    let none = connect(&config, Needs::NOTHING, &MemorySecrets::new(), &context()).await;
    assert!(none.unconnected.is_empty() && none.sinks.is_empty());
    assert_eq!(none.configs.len(), 2);
}

#[test]
fn smtp_allowed_peers_are_read_and_default_to_loopback() {
    let default = Config::from_toml(DOSSIER).unwrap();
    assert_eq!(default.service.smtp_allowed_peers, ["127.0.0.1", "::1"]);
    assert_eq!(default.service.smtp_peers().len(), 2);
    let config = Config::from_toml(&format!(
        "[service]\nsmtp_allowed_peers = [\"192.0.2.25\", \"10.1.0.0/16\", \"2001:db8::/32\"]\n{DOSSIER}"
    ))
    .unwrap();
    let peers = config.service.smtp_peers();
    assert_eq!(peers.len(), 3);
    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    assert!(peers.iter().any(|p| p.contains(ip("10.1.2.3"))));
    assert!(!peers.iter().any(|p| p.contains(ip("127.0.0.1"))));
}

#[test]
fn bad_smtp_allowed_peers_are_reported_by_position_with_the_fix() {
    let issues = Config::from_toml(&format!(
        "[service]\nsmtp_allowed_peers = [\"192.0.2.25\", \"mx.example.fr\", \"10.0.0.1/8\", \"10.0.0.0/40\"]\n{DOSSIER}"
    ))
    .unwrap_err()
    .0;
    let peer_issues: Vec<_> = issues
        .iter()
        .filter(|i| i.field.starts_with("service.smtp_allowed_peers"))
        .collect();
    let fields: Vec<&str> = peer_issues.iter().map(|i| i.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "service.smtp_allowed_peers[1]",
            "service.smtp_allowed_peers[2]",
            "service.smtp_allowed_peers[3]"
        ],
        "{issues:?}"
    );
    let text = format!("{peer_issues:?}");
    assert!(
        text.contains("'mx.example.fr' is not an IP address"),
        "{text}"
    );
    assert!(text.contains("bits set after its /8 prefix"), "{text}");
    assert!(text.contains("from 0 to 32"), "{text}");
    assert!(text.contains("CIDR notation"), "{text}");
    let empty = Config::from_toml(&format!("[service]\nsmtp_allowed_peers = []\n{DOSSIER}"))
        .unwrap_err()
        .0;
    assert!(
        empty
            .iter()
            .any(|i| i.field == "service.smtp_allowed_peers" && i.problem.contains("is empty")),
        "{empty:?}"
    );
}

#[test]
fn drafts_with_the_fec_ledger_are_refused_with_the_fix() {
    // Issue 14, defect 3: a FEC has no brouillard; drafts would be "booked" yet absent.
    for ledger in ["", "[dossier.ledger]\nkind = \"fec\"\n"] {
        let text = DOSSIER.replace("start_date", "draft_entries = true\nstart_date") + ledger;
        let issues = Config::from_toml(&text).unwrap_err().0;
        let issue = issues
            .iter()
            .find(|i| i.field == "dossier[0].draft_entries")
            .unwrap_or_else(|| panic!("{issues:?}"));
        assert!(issue.problem.contains("brouillard"), "{issue:?}");
        assert!(issue.fix.contains("draft_entries = false"), "{issue:?}");
    }
    // Drafts are fine where a person validates them.
    let text = DOSSIER.replace("start_date", "draft_entries = true\nstart_date")
        + "[dossier.ledger]\nkind = \"pennylane\"\ntoken = \"env:ACME_PENNYLANE\"\n";
    assert!(Config::from_toml(&text).is_ok());
}
