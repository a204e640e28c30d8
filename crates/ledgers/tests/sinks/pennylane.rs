//! Pennylane v2 sink against a stateful mock on 127.0.0.1: contract (request bodies validated
//! against the vendored extract's schemas), error handling, third-party matching, idempotency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::ports::{LedgerSink, SinkErrorKind};
use ledgers::{MatchRule, PartyBook, PennylaneSink};
use serde_json::json;
use simulators::mock::Fault;
use simulators::pennylane::{self as pennylane_mock, ThirdParty};

use crate::support::{PennylaneMockConfig, config, documents, dupont, entries};

fn sink(mock: &pennylane_mock::PennylaneMock, book: Arc<PartyBook>) -> PennylaneSink {
    PennylaneSink::new(mock.config(), book).unwrap()
}

#[tokio::test]
async fn request_bodies_validate_against_the_pennylane_schemas() {
    let mock = pennylane_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(30, 7, &book);
    let s = sink(&mock, book);
    let results = s.push_entries(&config(), &items).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let st = mock.state();
    assert_eq!(st.violations, Vec::<String>::new());
    assert_eq!(st.entries.len(), 30);
    assert!(
        st.validated >= 30 + st.accounts_created.len(),
        "every JSON body was validated"
    );
    assert_eq!(st.file_attachments.len(), 30, "one PDF per entry");
    let first = &st.entries[0];
    assert_eq!(first["piece_number"], json!(items[0].entry.piece_ref));
    assert!(first["file_attachment_id"].is_i64());
    assert!(
        first["ledger_entry_lines"][0]["debit"].is_string(),
        "string amounts"
    );
    println!(
        "pennylane contract: {} bodies validated against the extract, {} violations, {} entries",
        st.validated,
        st.violations.len(),
        st.entries.len()
    );
}

#[tokio::test]
async fn a_401_triggers_exactly_one_reauthentication() {
    let mock = pennylane_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(1, 1, &book);
    let s = PennylaneSink::new(mock.oauth_config(), book.clone()).unwrap();
    mock.fault(Fault::Unauthorized);
    let r = s.push_entries(&config(), &items).await;
    assert!(r[0].is_ok(), "{r:?}");
    assert_eq!(
        mock.state().token_requests,
        2,
        "first token, then one refresh"
    );

    // Refused again after the re-auth: an Auth error, no loop.
    let mock = pennylane_mock::start().await;
    let s = PennylaneSink::new(mock.oauth_config(), book.clone()).unwrap();
    mock.fault(Fault::Unauthorized);
    mock.fault(Fault::Unauthorized);
    let r = s.push_entries(&config(), &items).await;
    let e = r[0].as_ref().unwrap_err();
    assert_eq!((e.kind, e.status), (SinkErrorKind::Auth, Some(401)));
    assert_eq!(mock.state().token_requests, 2);
    assert!(
        !format!("{e:?}").contains("pl-"),
        "no token in the error: {e:?}"
    );

    // A company API token cannot be refreshed: refused at once.
    let mock = pennylane_mock::start().await;
    let s = sink(&mock, book);
    mock.fault(Fault::Unauthorized);
    let e = s
        .push_entries(&config(), &items)
        .await
        .remove(0)
        .unwrap_err();
    assert_eq!(e.kind, SinkErrorKind::Auth);
    assert!(e.action.contains("token"), "{}", e.action);
    assert!(!e.message.contains(pennylane_mock::API_TOKEN));
}

#[tokio::test]
async fn a_429_waits_as_told_then_succeeds_or_hands_the_wait_back() {
    let mock = pennylane_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(1, 2, &book);
    let s = sink(&mock, book.clone());
    mock.fault(Fault::TooMany(1));
    let t = Instant::now();
    let r = s.push_entries(&config(), &items).await;
    assert!(r[0].is_ok(), "{r:?}");
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );

    // A wait longer than the sink accepts goes back to the pipeline.
    let mock = pennylane_mock::start().await;
    let s = sink(&mock, book);
    mock.fault(Fault::TooMany(120));
    let e = s
        .push_entries(&config(), &items)
        .await
        .remove(0)
        .unwrap_err();
    assert_eq!(e.kind, SinkErrorKind::Retryable);
    assert_eq!(e.status, Some(429));
    assert_eq!(e.retry_after, Some(Duration::from_secs(120)));
}

#[tokio::test]
async fn refusals_are_permanent_with_the_ledgers_message_and_an_action() {
    let mock = pennylane_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let mut items = entries(2, 3, &book);
    let s = sink(&mock, book);
    // 422 of the spec's shape {error, status}, injected on the entry POST (after journal list,
    // account lookups and the PDF upload are done, so only the entry call meets it).
    let warm = s.push_entries(&config(), &items[..1]).await;
    assert!(warm[0].is_ok());
    items.remove(0);
    // Same third party and accounts are cached now: the next calls are the upload then the entry.
    let mut calls_before = mock.state().requests;
    let r = s.find_entry(&config(), &items[0]).await.unwrap();
    assert!(r.is_none());
    calls_before = mock.state().requests - calls_before;
    assert!(calls_before >= 1);
    // 400 shape {message, code}.
    mock.fault(Fault::Status(
        400,
        r#"{"message":"ledger_entry_lines/0/debit does not match pattern","code":"InvalidPattern"}"#.into(),
    ));
    let e = s.find_entry(&config(), &items[0]).await.unwrap_err();
    assert_eq!((e.kind, e.status), (SinkErrorKind::Permanent, Some(400)));
    assert!(
        e.message.contains("does not match pattern") && e.message.contains("InvalidPattern"),
        "{}",
        e.message
    );
    assert!(!e.action.is_empty());
    // 422 {error, status}.
    mock.fault(Fault::Status(
        422,
        r#"{"error":"Entry lines are not balanced","status":422}"#.into(),
    ));
    let e = s.find_entry(&config(), &items[0]).await.unwrap_err();
    assert_eq!((e.kind, e.status), (SinkErrorKind::Permanent, Some(422)));
    assert!(e.message.contains("Entry lines are not balanced"));
    assert!(e.action.contains("unbalanced"), "{}", e.action);
    // The guide's shape {error, message, details} from the entry POST itself (closed period).
    let mut bad = items[0].clone();
    let mut lines_entry = bad.entry.clone();
    lines_entry.piece_ref = format!("BAD-{}", lines_entry.piece_ref);
    bad.entry = lines_entry;
    let e = s
        .push_entries(&config(), &[bad])
        .await
        .remove(0)
        .unwrap_err();
    assert_eq!((e.kind, e.status), (SinkErrorKind::Permanent, Some(422)));
    assert!(
        e.message.contains("exercice clôturé") && e.message.contains("closed_fiscal_year"),
        "{}",
        e.message
    );
    assert!(e.action.contains("reopen"), "{}", e.action);
}

#[tokio::test]
async fn server_errors_and_timeouts_are_retryable() {
    let mock = pennylane_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(1, 4, &book);
    let s = sink(&mock, book.clone());
    mock.fault(Fault::Status(503, "Service Unavailable".into()));
    assert!(
        s.push_entries(&config(), &items).await[0].is_ok(),
        "one 503 is retried"
    );
    for _ in 0..4 {
        mock.fault(Fault::Status(
            500,
            r#"{"error":"Internal Server Error","status":500}"#.into(),
        ));
    }
    let e = s.find_entry(&config(), &items[0]).await.unwrap_err();
    assert_eq!((e.kind, e.status), (SinkErrorKind::Retryable, Some(500)));

    let mut cfg = mock.config();
    cfg.retry.timeout = Duration::from_millis(200);
    cfg.retry.attempts = 2;
    let s = PennylaneSink::new(cfg, book).unwrap();
    mock.fault(Fault::Hang(Duration::from_secs(2)));
    mock.fault(Fault::Hang(Duration::from_secs(2)));
    let e = s.test_connection(&config()).await.unwrap_err();
    assert_eq!(e.kind, SinkErrorKind::Retryable);
    assert!(e.message.contains("timed out"), "{}", e.message);
}

async fn match_with(
    existing: Vec<(&str, ThirdParty)>,
    decoys: bool,
) -> (Option<MatchRule>, i64, usize, Vec<i64>) {
    let mock = pennylane_mock::start().await;
    let mut ids = Vec::new();
    {
        let mut st = mock.state();
        if decoys {
            st.add_customer(
                "411OTHER",
                ThirdParty {
                    name: "Martin et Fils".into(),
                    vat_number: Some("FR00999999999".into()),
                    reg_no: Some("999999999".into()),
                    ..ThirdParty::default()
                },
            );
        }
        for (number, tp) in existing {
            ids.push(st.add_customer(number, tp));
        }
    }
    let book = Arc::new(PartyBook::new());
    let e = dupont(&book);
    let s = sink(&mock, book);
    let line = e
        .entry
        .lines()
        .iter()
        .find(|l| l.auxiliary.is_some())
        .unwrap()
        .clone();
    let (id, rule) = s.third_party_account(&config(), &line).await.unwrap();
    let created = {
        let st = mock.state();
        st.accounts_created.len() + st.suppliers_created.len()
    };
    (rule, id, created, ids)
}

#[tokio::test]
async fn third_party_rule_1_auxiliary_code() {
    // By ledger account number (collective root + code) ...
    let (rule, id, created, ids) = match_with(
        vec![(
            "411DUPONT",
            ThirdParty {
                name: "Autre nom".into(),
                ..ThirdParty::default()
            },
        )],
        true,
    )
    .await;
    assert_eq!(
        (rule, id, created),
        (Some(MatchRule::AuxiliaryCode), ids[0], 0)
    );
    // ... or by external_reference.
    let (rule, id, created, ids) = match_with(
        vec![(
            "411C042",
            ThirdParty {
                name: "Autre nom".into(),
                external_reference: Some("DUPONT".into()),
                ..ThirdParty::default()
            },
        )],
        true,
    )
    .await;
    assert_eq!(
        (rule, id, created),
        (Some(MatchRule::AuxiliaryCode), ids[0], 0)
    );
}

#[tokio::test]
async fn third_party_rule_2_vat_number() {
    let (rule, id, created, ids) = match_with(
        vec![(
            "411C1",
            ThirdParty {
                name: "Autre nom".into(),
                vat_number: Some("FR 44 732829320".into()),
                ..ThirdParty::default()
            },
        )],
        true,
    )
    .await;
    assert_eq!((rule, id, created), (Some(MatchRule::VatNumber), ids[0], 0));
}

#[tokio::test]
async fn third_party_rule_3_siret_then_siren() {
    let (rule, id, created, ids) = match_with(
        vec![(
            "411C1",
            ThirdParty {
                name: "Autre nom".into(),
                establishment_no: Some("73282932000074".into()),
                ..ThirdParty::default()
            },
        )],
        true,
    )
    .await;
    assert_eq!((rule, id, created), (Some(MatchRule::Siret), ids[0], 0));
    let (rule, id, created, ids) = match_with(
        vec![(
            "411C1",
            ThirdParty {
                name: "Autre nom".into(),
                reg_no: Some("732829320".into()),
                ..ThirdParty::default()
            },
        )],
        true,
    )
    .await;
    assert_eq!((rule, id, created), (Some(MatchRule::Siren), ids[0], 0));
}

#[tokio::test]
async fn third_party_rule_4_name() {
    let (rule, id, created, ids) = match_with(
        vec![(
            "411C1",
            ThirdParty {
                name: "DUPONT sarl".into(),
                ..ThirdParty::default()
            },
        )],
        true,
    )
    .await;
    assert_eq!((rule, id, created), (Some(MatchRule::Name), ids[0], 0));
}

#[tokio::test]
async fn third_party_rules_apply_in_order() {
    // Name, SIREN, VAT and code each match a different customer: the code wins, then VAT, ...
    let by_name = (
        "411A",
        ThirdParty {
            name: "Dupont SARL".into(),
            ..ThirdParty::default()
        },
    );
    let by_siren = (
        "411B",
        ThirdParty {
            name: "B".into(),
            reg_no: Some("732829320".into()),
            ..ThirdParty::default()
        },
    );
    let by_vat = (
        "411C",
        ThirdParty {
            name: "C".into(),
            vat_number: Some("FR44732829320".into()),
            ..ThirdParty::default()
        },
    );
    let by_code = (
        "411D",
        ThirdParty {
            name: "D".into(),
            external_reference: Some("DUPONT".into()),
            ..ThirdParty::default()
        },
    );
    let (rule, id, _, ids) = match_with(
        vec![by_name.clone(), by_siren.clone(), by_vat.clone(), by_code],
        false,
    )
    .await;
    assert_eq!((rule, id), (Some(MatchRule::AuxiliaryCode), ids[3]));
    let (rule, id, _, ids) =
        match_with(vec![by_name.clone(), by_siren.clone(), by_vat], false).await;
    assert_eq!((rule, id), (Some(MatchRule::VatNumber), ids[2]));
    let (rule, id, _, ids) = match_with(vec![by_name, by_siren], false).await;
    assert_eq!((rule, id), (Some(MatchRule::Siren), ids[1]));
}

#[tokio::test]
async fn a_third_party_is_created_once_when_nothing_matches_and_remembered() {
    let (rule, _, created, _) = match_with(vec![], true).await;
    assert_eq!((rule, created), (None, 1));
    let mock = pennylane_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let e = dupont(&book);
    let mut again = e.clone();
    again.external_id.push_str("-bis");
    again.entry.piece_ref.push_str("-bis");
    let s = sink(&mock, book);
    let r = s.push_entries(&config(), &[e, again]).await;
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    let st = mock.state();
    assert_eq!(st.accounts_created, vec!["411DUPONT".to_string()]);
    assert_eq!(
        st.customers
            .iter()
            .filter(|c| c.name == "Dupont SARL")
            .count(),
        1
    );
}

#[tokio::test]
async fn find_entry_answers_by_date_journal_and_piece_number() {
    let mock = pennylane_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(5, 9, &book);
    let s = sink(&mock, book.clone());
    let pushed = s.push_entries(&config(), &items[..4]).await;
    // A fresh sink (after a crash) finds them in Pennylane.
    let s = sink(&mock, book);
    for (e, r) in items[..4].iter().zip(&pushed) {
        let found = s.find_entry(&config(), e).await.unwrap();
        assert_eq!(found.as_ref(), r.as_ref().ok());
    }
    assert_eq!(s.find_entry(&config(), &items[4]).await.unwrap(), None);
}

#[tokio::test]
async fn collected_documents_are_uploaded_once() {
    let mock = pennylane_mock::start().await;
    let s = sink(&mock, Arc::new(PartyBook::new()));
    let docs = documents(4);
    for d in &docs {
        assert_eq!(s.find_document(&config(), d).await.unwrap(), None);
        let b = s.push_document(&config(), d).await.unwrap();
        assert_eq!(
            s.find_document(&config(), d).await.unwrap(),
            Some(b.clone())
        );
        assert_eq!(s.push_document(&config(), d).await.unwrap(), b);
    }
    assert_eq!(mock.state().file_attachments.len(), 4);
    s.test_connection(&config()).await.unwrap();
}

#[tokio::test]
async fn a_missing_journal_is_reported_with_the_action() {
    let mock = pennylane_mock::start().await;
    mock.state().journals.retain(|j| j.1 != "VT");
    let book = Arc::new(PartyBook::new());
    let items = entries(1, 5, &book);
    let s = sink(&mock, book);
    let e = s
        .push_entries(&config(), &items)
        .await
        .remove(0)
        .unwrap_err();
    assert_eq!(e.kind, SinkErrorKind::Permanent);
    assert!(
        e.action.contains("create the journal VT in Pennylane"),
        "{}",
        e.action
    );
    assert!(mock.state().entries.is_empty());
}

/// A Pennylane chart holding `706` (not `706000`): the entry books on `706`, no duplicate
/// `706000` is created; an account the chart lacks holds the entry with the action, and is
/// created only when the section says `create_missing_accounts = true`.
#[tokio::test]
async fn general_accounts_map_onto_the_chart_and_are_never_created_unless_configured() {
    let mock = pennylane_mock::start().await;
    let id_706 = {
        let mut st = mock.state();
        st.ledger_accounts
            .retain(|a| a.1 != "706000" && a.1 != "707000");
        st.add_account("706", "Prestations de services")
    };
    let book = Arc::new(PartyBook::new());
    let items = entries(6, 11, &book);
    let s = sink(&mock, book.clone());
    let r = s.push_entries(&config(), &items).await;
    let general_created = |st: &simulators::pennylane::PennylaneState| {
        st.accounts_created
            .iter()
            .filter(|n| !n.starts_with("411") && !n.starts_with("401"))
            .cloned()
            .collect::<Vec<_>>()
    };
    {
        let st = mock.state();
        assert_eq!(
            general_created(&st),
            Vec::<String>::new(),
            "no general account created"
        );
    }
    let held: Vec<_> = r.iter().filter_map(|x| x.as_ref().err()).collect();
    assert!(
        !held.is_empty(),
        "goods entries need 707000, which the chart lacks"
    );
    for e in &held {
        assert_eq!(e.kind, SinkErrorKind::Permanent);
        assert!(e.message.contains("707000"), "{e:?}");
        assert!(
            e.action
                .contains("create 707000 in the ledger, or map it in [dossier.accounts_map]"),
            "{e:?}"
        );
    }
    // Opt-in creation: the held entries now book, 707000 created once.
    let mut cfg = mock.config();
    cfg.create_missing_accounts = true;
    let s = PennylaneSink::new(cfg, book).unwrap();
    let retry: Vec<_> = items
        .iter()
        .zip(&r)
        .filter(|(_, x)| x.is_err())
        .map(|(i, _)| i.clone())
        .collect();
    let r2 = s.push_entries(&config(), &retry).await;
    assert!(r2.iter().all(Result::is_ok), "{r2:?}");
    let st = mock.state();
    assert_eq!(general_created(&st), vec!["707000".to_string()]);
    let on_706 = st
        .entries
        .iter()
        .flat_map(|e| e["ledger_entry_lines"].as_array().unwrap().clone())
        .filter(|l| l["ledger_account_id"] == json!(id_706))
        .count();
    assert!(on_706 > 0, "service lines book on 706");
    assert!(
        !st.ledger_accounts.iter().any(|a| a.1 == "706000"),
        "no duplicate 706000"
    );
}

#[tokio::test]
async fn an_answer_lost_after_pennylane_booked_is_not_replayed_and_the_entry_is_found() {
    let mock = pennylane_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(2, 13, &book);
    mock.lose_entry_answers(1);
    let s = sink(&mock, book);
    let r = s.push_entries(&config(), &items).await;
    let e = r[0].as_ref().unwrap_err();
    assert_eq!(e.kind, SinkErrorKind::Retryable, "{e:?}");
    assert!(r[1].is_ok(), "{:?}", r[1]);
    assert_eq!(
        mock.state().entries.len(),
        2,
        "each entry booked once, none replayed"
    );
    // What the pipeline does with a retried entry: ask the ledger before sending again.
    let found = s.find_entry(&config(), &items[0]).await.unwrap();
    assert!(found.is_some());
    assert_eq!(mock.state().entries.len(), 2);
}
