//! Chift: third parties matched by the same rules, in the same order, as for Pennylane (the
//! seed's order: auxiliary account, VAT number, SIRET then SIREN, name), created only when
//! nothing matches, and once.

use std::sync::Arc;

use app::ports::LedgerSink;
use ledgers::{ChiftSink, MatchRule, PartyBook};
use simulators::chift::{self as chift_mock, Partner};

use crate::support::{ChiftMockConfig, config, dupont};

fn other(name: &str) -> Partner {
    Partner {
        name: name.into(),
        ..Partner::default()
    }
}

/// Seeds the clients (with a decoy matching nothing), resolves DUPONT's line; returns the rule,
/// the id found, the clients created and the seeded ids.
async fn match_with(
    existing: Vec<Partner>,
    decoys: bool,
) -> (Option<MatchRule>, String, usize, Vec<String>) {
    let mock = chift_mock::start().await;
    if decoys {
        mock.add_client(Partner {
            name: "Martin et Fils".into(),
            vat: Some("FR00999999999".into()),
            company_number: Some("99999999900011".into()),
            ..Partner::default()
        });
    }
    let ids: Vec<String> = existing.into_iter().map(|p| mock.add_client(p)).collect();
    let seeded = mock.state().clients.len();
    let book = Arc::new(PartyBook::new());
    let e = dupont(&book);
    let s = ChiftSink::new(mock.config(), book).unwrap();
    let aux = e
        .entry
        .lines()
        .iter()
        .find_map(|l| l.auxiliary.clone())
        .unwrap();
    let (id, rule) = s.partner(&config(), "411", &aux).await.unwrap();
    let created = mock.state().clients.len() - seeded;
    (rule, id, created, ids)
}

#[tokio::test]
async fn rule_1_auxiliary_account_or_external_reference() {
    let (rule, id, created, ids) = match_with(
        vec![Partner {
            account_number: "411DUPONT".into(),
            ..other("Autre nom")
        }],
        true,
    )
    .await;
    assert_eq!(
        (rule, id, created),
        (Some(MatchRule::AuxiliaryCode), ids[0].clone(), 0)
    );
    let (rule, id, created, ids) = match_with(
        vec![Partner {
            external_reference: Some("DUPONT".into()),
            ..other("Autre nom")
        }],
        true,
    )
    .await;
    assert_eq!(
        (rule, id, created),
        (Some(MatchRule::AuxiliaryCode), ids[0].clone(), 0)
    );
}

#[tokio::test]
async fn rule_2_vat_number() {
    let (rule, id, created, ids) = match_with(
        vec![Partner {
            vat: Some("FR 44 732829320".into()),
            ..other("Autre nom")
        }],
        true,
    )
    .await;
    assert_eq!(
        (rule, id, created),
        (Some(MatchRule::VatNumber), ids[0].clone(), 0)
    );
}

#[tokio::test]
async fn rule_3_siret_then_siren() {
    let (rule, id, created, ids) = match_with(
        vec![Partner {
            company_number: Some("732 829 320 00074".into()),
            ..other("Autre nom")
        }],
        true,
    )
    .await;
    assert_eq!(
        (rule, id, created),
        (Some(MatchRule::Siret), ids[0].clone(), 0)
    );
    let (rule, id, created, ids) = match_with(
        vec![Partner {
            company_number: Some("732829320".into()),
            ..other("Autre nom")
        }],
        true,
    )
    .await;
    assert_eq!(
        (rule, id, created),
        (Some(MatchRule::Siren), ids[0].clone(), 0)
    );
}

#[tokio::test]
async fn rule_4_name() {
    let (rule, id, created, ids) = match_with(vec![other("DUPONT sarl")], true).await;
    assert_eq!(
        (rule, id, created),
        (Some(MatchRule::Name), ids[0].clone(), 0)
    );
}

#[tokio::test]
async fn rules_apply_in_order() {
    let by_name = other("Dupont SARL");
    let by_siren = Partner {
        company_number: Some("732829320".into()),
        ..other("B")
    };
    let by_vat = Partner {
        vat: Some("FR44732829320".into()),
        ..other("C")
    };
    let by_code = Partner {
        external_reference: Some("DUPONT".into()),
        ..other("D")
    };
    let (rule, id, _, ids) = match_with(
        vec![by_name.clone(), by_siren.clone(), by_vat.clone(), by_code],
        false,
    )
    .await;
    assert_eq!((rule, id), (Some(MatchRule::AuxiliaryCode), ids[3].clone()));
    let (rule, id, _, ids) =
        match_with(vec![by_name.clone(), by_siren.clone(), by_vat], false).await;
    assert_eq!((rule, id), (Some(MatchRule::VatNumber), ids[2].clone()));
    let (rule, id, _, ids) = match_with(vec![by_name, by_siren], false).await;
    assert_eq!((rule, id), (Some(MatchRule::Siren), ids[1].clone()));
}

#[tokio::test]
async fn a_client_is_created_once_when_nothing_matches_with_its_identifiers() {
    let (rule, _, created, _) = match_with(vec![], true).await;
    assert_eq!((rule, created), (None, 1));
    let mock = chift_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let e = dupont(&book);
    let mut again = e.clone();
    again.external_id.push_str("-bis");
    again.entry.piece_ref.push_str("-bis");
    let s = ChiftSink::new(mock.config(), book).unwrap();
    let r = s.push_entries(&config(), &[e, again]).await;
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    let st = mock.state();
    assert_eq!(st.clients.len(), 1);
    let c = &st.clients[0];
    assert_eq!(c.name, "Dupont SARL");
    assert_eq!(c.external_reference.as_deref(), Some("DUPONT"));
    assert_eq!(c.vat.as_deref(), Some("FR44732829320"));
    assert_eq!(c.company_number.as_deref(), Some("73282932000074"));
    // Both entries name it on their customer line.
    for entry in &st.entries {
        let partner_lines: Vec<_> = entry.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["account_type"] == "customer_account")
            .collect();
        assert_eq!(partner_lines.len(), 1);
        assert_eq!(partner_lines[0]["account"], serde_json::json!(c.id));
    }
    assert_eq!(st.violations, Vec::<String>::new());
}

/// Software with one record per company: a supplier that exists as a client is created with
/// `force_merge` naming the client, not refused.
#[tokio::test]
async fn a_supplier_known_as_a_client_is_merged_where_the_software_keeps_one_record() {
    let mock = chift_mock::start().await;
    mock.state().unified_partners = true;
    let client = mock.add_client(Partner {
        external_reference: Some("DUPONT".into()),
        ..other("Dupont SARL")
    });
    let book = Arc::new(PartyBook::new());
    let e = dupont(&book);
    let s = ChiftSink::new(mock.config(), book).unwrap();
    let aux = e
        .entry
        .lines()
        .iter()
        .find_map(|l| l.auxiliary.clone())
        .unwrap();
    let (id, rule) = s.partner(&config(), "401", &aux).await.unwrap();
    assert_eq!(rule, Some(MatchRule::AuxiliaryCode));
    let st = mock.state();
    assert_eq!(st.suppliers.len(), 1);
    assert_eq!(st.suppliers[0].id, id);
    assert_ne!(id, client);
    assert_eq!(st.violations, Vec::<String>::new());
}
