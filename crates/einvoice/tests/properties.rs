//! Property and hostile-input tests: random valid CII and UBL invoices (several rates,
//! allowances, charges, credit notes, every profile) always book balanced entries equal to
//! their totals; random and mutated input never panics; XXE, entity expansion, decompression
//! bombs and oversized files are refused; the duplicate key and the buyer check.

mod lessons;
mod support;

use einvoice::map::MapOptions;
use einvoice::{Detection, Limits, PartyMatch, Refusal, Side};
use proptest::prelude::*;
use rust_decimal::Decimal;
use support::forge::{self, AllowanceCharge, Cat, Kind, Level, Line, Spec};
use support::xmlout;

fn arb_cat() -> impl Strategy<Value = Cat> {
    prop_oneof![
        4 => prop_oneof![Just(2000u32), Just(1000), Just(550), Just(210)].prop_map(Cat::S),
        1 => Just(Cat::Z),
        1 => Just(Cat::E),
    ]
}

fn arb_line() -> impl Strategy<Value = Line> {
    (
        1u32..50,
        1i64..500_000,
        arb_cat(),
        proptest::option::of("6[0-9]{5}"),
    )
        .prop_map(|(q, p, cat, account)| Line {
            name: format!("Article {q}"),
            quantity: Decimal::from(q),
            price: Decimal::new(p, 2),
            cat,
            account,
        })
}

fn arb_kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Cii(Level::Minimum)),
        Just(Kind::Cii(Level::BasicWl)),
        Just(Kind::Cii(Level::Basic)),
        Just(Kind::Cii(Level::En16931)),
        Just(Kind::Cii(Level::Extended)),
        Just(Kind::UblInvoice),
        Just(Kind::UblCreditNote),
    ]
}

/// A valid invoice: lines of several categories, allowances and charges of the categories
/// present (each at most a tenth of the lines, so every total stays positive).
fn arb_spec() -> impl Strategy<Value = Spec> {
    (
        arb_kind(),
        proptest::collection::vec(arb_line(), 1..7),
        proptest::collection::vec(
            (any::<bool>(), 1i64..1000, any::<prop::sample::Index>()),
            0..4,
        ),
        any::<bool>(),
        0i64..2000,
    )
        .prop_map(|(kind, mut lines, acs, credit, prepaid)| {
            if kind == Kind::Cii(Level::Minimum) {
                // No breakdown in MINIMUM: one rate, which the totals then tell.
                let cat = lines[0].cat;
                lines.iter_mut().for_each(|l| l.cat = cat);
            }
            let mut spec = Spec::typical(kind);
            spec.credit_note = credit || kind == Kind::UblCreditNote;
            spec.lines = lines;
            spec.prepaid = Decimal::new(prepaid, 2);
            let cats: Vec<Cat> = spec.lines.iter().map(|l| l.cat).collect();
            let floor = spec.figures().line_total / Decimal::from(10);
            spec.allowances_charges = if kind == Kind::Cii(Level::Minimum) {
                Vec::new()
            } else {
                acs.into_iter()
                    .map(|(charge, cents, at)| AllowanceCharge {
                        charge,
                        amount: Decimal::new(cents, 2).min(forge::cents(floor / Decimal::from(4))),
                        cat: cats[at.index(cats.len())],
                        reason: if charge {
                            "Port".into()
                        } else {
                            "Remise".into()
                        },
                    })
                    .filter(|a| a.amount > Decimal::ZERO)
                    .collect()
            };
            spec
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn random_valid_invoices_book_balanced_entries_equal_to_their_totals(spec in arb_spec(), sales in any::<bool>()) {
        let cfg = support::dossier();
        let xml = xmlout::write(&spec);
        let file = support::expect_einvoice(xml.as_bytes(), "invoice.xml");
        let side = if sales { Side::Sales } else { Side::Purchase };
        let (inv, b) = support::book(&file, side, &cfg);
        let f = spec.figures();
        let sign = if spec.credit_note { -Decimal::ONE } else { Decimal::ONE };
        let (debit, credit) = b.entry.lines().iter().fold((Decimal::ZERO, Decimal::ZERO), |(d, c), l| (d + l.debit, c + l.credit));
        prop_assert_eq!(debit, credit);
        prop_assert_eq!(b.third_party, sign * f.grand);
        prop_assert_eq!(b.vat_by_account, sign * f.vat);
        prop_assert_eq!(b.net, sign * f.basis);
        prop_assert_eq!(inv.totals.grand_total, Some(f.grand));
        if spec.kind != Kind::Cii(Level::Minimum) {
            prop_assert_eq!(inv.vat_breakdown.len(), f.rows.len());
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000), xml in any::<bool>()) {
        let name = if xml { "a.xml" } else { "a.pdf" };
        exercise(&bytes, name);
    }

    #[test]
    fn mutated_invoices_never_panic(spec in arb_spec(), cuts in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0usize..4), 1..8)) {
        let mut bytes = xmlout::write(&spec).into_bytes();
        for (at, byte, how) in cuts {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match how {
                0 => bytes[i] = byte,
                1 => bytes.truncate(i),
                2 => bytes.insert(i, byte),
                _ => { bytes.splice(i..i, b"<x a='1'>&amp;</x>".iter().copied()); }
            }
        }
        exercise(&bytes, "invoice.xml");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn mutated_pdfs_never_panic(cuts in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), any::<bool>()), 1..6)) {
        let xml = xmlout::write(&Spec::typical(Kind::Cii(Level::En16931)));
        let mut pdf = support::pdf_with_attachment("factur-x.xml", xml.as_bytes(), true);
        for (at, byte, truncate) in cuts {
            let i = at.index(pdf.len());
            if truncate { pdf.truncate(i.max(16)); } else { pdf[i] = byte; }
        }
        exercise(&pdf, "invoice.pdf");
    }
}

/// Runs every step on whatever was detected; a panic fails the property.
fn exercise(bytes: &[u8], name: &str) {
    if let Detection::EInvoice(file) = einvoice::detect(bytes, name)
        && let Ok(inv) = einvoice::read(&file)
    {
        let _ = einvoice::check(&inv);
        let options = MapOptions {
            known_rates: vec![Decimal::from(20), Decimal::new(55, 1)],
            ..MapOptions::default()
        };
        for side in [Side::Purchase, Side::Sales] {
            if let Ok(m) = einvoice::to_source_document(&inv, side, &options) {
                let cfg = support::dossier();
                let mut aux = domain::auxcode::AuxCodes::new(8);
                let _ = domain::mapping::map_document(&m.document, &cfg, &mut aux);
            }
        }
        let _ = einvoice::duplicate_key(&inv).digest();
        let _ = einvoice::buyer_matches(&inv, "552081317");
    }
}

#[test]
fn extreme_amounts_and_rates_are_refused_or_booked_never_overflowed() {
    let spec = Spec::typical(Kind::Cii(Level::En16931));
    let text = xmlout::write(&spec);
    let rate = (
        "<ram:RateApplicablePercent>5.50<",
        "<ram:RateApplicablePercent>999999999999999<",
    );
    // The 5.5 % row's basis (56.70) becomes 999999999999956.70, just below the read bound.
    let basis = ("<ram:BasisAmount>", "<ram:BasisAmount>9999999999999");
    let line = (
        "<ram:LineTotalAmount>",
        "<ram:LineTotalAmount>-99999999999999",
    );
    let grand = (
        "<ram:GrandTotalAmount>",
        "<ram:GrandTotalAmount>999999999999999.9999999999",
    );
    // The largest amount times the largest rate is above Decimal's 7.9e28.
    for edits in [
        vec![rate],
        vec![basis],
        vec![line],
        vec![grand],
        vec![rate, basis, line],
    ] {
        let mut broken = text.clone();
        for (from, to) in &edits {
            broken = broken.replace(from, to);
        }
        assert_ne!(broken, text, "{edits:?}");
        exercise(broken.as_bytes(), "big.xml");
        let file = support::expect_einvoice(broken.as_bytes(), "big.xml");
        assert!(
            !einvoice::check(&einvoice::read(&file).unwrap()).is_empty(),
            "{edits:?}"
        );
    }
}

const XXE: &str = r#"<?xml version="1.0"?>
<!DOCTYPE rsm:CrossIndustryInvoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"><rsm:ExchangedDocument>&xxe;</rsm:ExchangedDocument></rsm:CrossIndustryInvoice>"#;

const LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol3;</Invoice>"#;

#[test]
fn xxe_and_entity_expansion_are_refused_as_xml_and_inside_a_pdf() {
    for (name, text) in [("xxe.xml", XXE), ("laughs.xml", LAUGHS)] {
        assert_eq!(
            einvoice::detect(text.as_bytes(), name),
            Detection::Refused(Refusal::Dtd),
            "{name}"
        );
        // Reading the XML directly refuses it the same way.
        assert!(matches!(
            einvoice::read_xml(text.as_bytes(), &Limits::default()),
            Err(einvoice::ReadError::Refused(Refusal::Dtd))
        ));
        let pdf = support::pdf_with_attachment("factur-x.xml", text.as_bytes(), true);
        assert_eq!(
            einvoice::detect(&pdf, "f.pdf"),
            Detection::Refused(Refusal::Dtd),
            "{name} in a PDF"
        );
    }
    // The refusal says why and what to do.
    assert!(Refusal::Dtd.to_string().contains("XXE"));
    assert!(Refusal::Dtd.action().contains("re-issue"));
}

#[test]
fn a_decompression_bomb_in_a_pdf_is_refused_within_the_limit() {
    // 64 MiB of spaces inside a valid root compress to ~64 KiB.
    let mut xml =
        b"<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">".to_vec();
    xml.resize(64 * 1024 * 1024, b' ');
    xml.extend_from_slice(b"</Invoice>");
    let pdf = support::pdf_with_attachment("factur-x.xml", &xml, true);
    assert!(pdf.len() < 1024 * 1024, "the bomb is small: {}", pdf.len());
    match einvoice::detect(&pdf, "bomb.pdf") {
        Detection::Refused(Refusal::EmbeddedUnreadable { name, reason }) => {
            assert_eq!(name, "factur-x.xml");
            assert!(reason.contains("16777216"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn limits_bound_size_depth_and_nodes() {
    let limits = Limits {
        max_file_bytes: 1000,
        ..Limits::default()
    };
    let big = vec![b' '; 1001];
    assert!(matches!(
        einvoice::detect_with_limits(&big, "a.xml", &limits),
        Detection::Refused(Refusal::TooLarge { .. })
    ));
    let deep = format!(
        "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">{}{}</Invoice>",
        "<a>".repeat(200),
        "</a>".repeat(200)
    );
    assert_eq!(
        einvoice::detect(deep.as_bytes(), "d.xml"),
        Detection::Refused(Refusal::TooDeep(64))
    );
    let wide = format!(
        "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">{}</Invoice>",
        "<a/>".repeat(2000)
    );
    let few = Limits {
        max_nodes: 1000,
        ..Limits::default()
    };
    assert_eq!(
        einvoice::detect_with_limits(wide.as_bytes(), "w.xml", &few),
        Detection::Refused(Refusal::TooManyNodes(1000))
    );
}

#[test]
fn other_xml_and_plain_files_are_told_apart() {
    let other = br#"<?xml version="1.0"?><order xmlns="urn:example:order"><id>1</id></order>"#;
    match einvoice::detect(other, "order.xml") {
        Detection::OtherXml { reason } => assert!(
            reason.contains("<order>") && reason.contains("urn:example:order"),
            "{reason}"
        ),
        d => panic!("{d:?}"),
    }
    assert!(matches!(
        einvoice::detect(b"<a><b></a>", "broken.xml"),
        Detection::Refused(Refusal::MalformedXml(_))
    ));
    assert_eq!(
        einvoice::detect(b"\x89PNG\r\n\x1a\n....", "scan.png"),
        Detection::NotEInvoice { note: None }
    );
    let plain_pdf = support::pdf_with_attachment("notes.txt", b"hello", false);
    match einvoice::detect(&plain_pdf, "facture.pdf") {
        Detection::NotEInvoice { note: Some(note) } => {
            assert!(note.contains("notes.txt"), "{note}")
        }
        d => panic!("{d:?}"),
    }
    // ZUGFeRD 1.0's file name, in any case, uncompressed.
    let xml = xmlout::write(&Spec::typical(Kind::Cii(Level::Basic)));
    let pdf = support::pdf_with_attachment("ZUGFeRD-invoice.xml", xml.as_bytes(), false);
    assert!(matches!(
        einvoice::detect(&pdf, "z.pdf"),
        Detection::EInvoice(_)
    ));
}

#[test]
fn the_pdf_and_its_xml_give_one_duplicate_key_other_invoices_another() {
    let spec = Spec::typical(Kind::Cii(Level::En16931));
    let xml = xmlout::write(&spec);
    let pdf = support::pdf_with_attachment("factur-x.xml", xml.as_bytes(), true);
    let from_xml = einvoice::read(&support::expect_einvoice(xml.as_bytes(), "f.xml")).unwrap();
    let from_pdf = einvoice::read(&support::expect_einvoice(&pdf, "f.pdf")).unwrap();
    let key = einvoice::duplicate_key(&from_xml);
    assert_eq!(key, einvoice::duplicate_key(&from_pdf));
    assert_eq!(
        key.canonical(),
        format!(
            "siren:732829320|FA-2026-0042|2026-09-15|{:.2}",
            spec.figures().grand
        )
    );
    // The same invoice as UBL from another channel: the same key too.
    let mut ubl = spec.clone();
    ubl.kind = Kind::UblInvoice;
    let from_ubl = einvoice::read(&support::expect_einvoice(
        xmlout::write(&ubl).as_bytes(),
        "u.xml",
    ))
    .unwrap();
    assert_eq!(einvoice::duplicate_key(&from_ubl), key);
    // And the source document's id follows the key.
    let opts = MapOptions::default();
    let a = einvoice::to_source_document(&from_xml, Side::Purchase, &opts).unwrap();
    let b = einvoice::to_source_document(&from_ubl, Side::Purchase, &opts).unwrap();
    assert_eq!(a.document.key(), b.document.key());
    let mut other = spec;
    other.number = "FA-2026-0043".into();
    let from_other = einvoice::read(&support::expect_einvoice(
        xmlout::write(&other).as_bytes(),
        "o.xml",
    ))
    .unwrap();
    assert_ne!(einvoice::duplicate_key(&from_other), key);
}

#[test]
fn the_buyer_check_tells_the_dossier_from_another_company() {
    let spec = Spec::typical(Kind::UblInvoice);
    let inv = einvoice::read(&support::expect_einvoice(
        xmlout::write(&spec).as_bytes(),
        "u.xml",
    ))
    .unwrap();
    assert_eq!(
        einvoice::buyer_matches(&inv, "552081317"),
        PartyMatch::Matches
    );
    assert_eq!(
        einvoice::buyer_matches(&inv, "552 081 317"),
        PartyMatch::Matches
    );
    assert_eq!(
        einvoice::buyer_matches(&inv, "732829320"),
        PartyMatch::OtherCompany {
            stated: "SIREN 552081317".into()
        }
    );
    assert_eq!(
        einvoice::seller_matches(&inv, "732829320"),
        PartyMatch::Matches
    );
    // A buyer known only by its VAT number: the SIREN inside it counts.
    let mut inv_vat = inv.clone();
    inv_vat.buyer.legal_ids.clear();
    assert_eq!(
        einvoice::buyer_matches(&inv_vat, "552081317"),
        PartyMatch::Matches
    );
    inv_vat.buyer.vat_id = Some("DE123456789".into());
    assert_eq!(
        einvoice::buyer_matches(&inv_vat, "552081317"),
        PartyMatch::OtherCompany {
            stated: "VAT number DE123456789".into()
        }
    );
    inv_vat.buyer.vat_id = None;
    assert_eq!(
        einvoice::buyer_matches(&inv_vat, "552081317"),
        PartyMatch::NoIdentifier
    );
}

#[test]
fn expense_accounts_come_from_bt133_then_bt19_when_they_are_account_numbers() {
    let cfg = support::dossier();
    let spec = Spec::typical(Kind::Cii(Level::En16931));
    let file = support::expect_einvoice(xmlout::write(&spec).as_bytes(), "f.xml");
    let (_, b) = support::book(&file, Side::Purchase, &cfg);
    let accounts: Vec<&str> = b.entry.lines().iter().map(|l| l.account.as_str()).collect();
    // Line 1 has BT-133 606400; the others and the charge fall back to BT-19 606100.
    assert!(accounts.contains(&"606400"), "{accounts:?}");
    assert!(accounts.contains(&"606100"), "{accounts:?}");
    assert!(
        !accounts.contains(&cfg.accounts.purchases.as_str()),
        "{accounts:?}"
    );
    // A cost centre is not an account: the dossier's default is used, with a note.
    let mut centre = spec;
    centre.buyer_account = Some("CC-MARKETING".into());
    centre.lines.iter_mut().for_each(|l| l.account = None);
    let inv = einvoice::read(&support::expect_einvoice(
        xmlout::write(&centre).as_bytes(),
        "c.xml",
    ))
    .unwrap();
    let mapped =
        einvoice::to_source_document(&inv, Side::Purchase, &support::options(&cfg)).unwrap();
    assert!(mapped.document.rows.iter().all(|r| r.account.is_none()));
    assert!(mapped.notes.iter().any(|n| n.contains("CC-MARKETING")));
    // A class 6 number no purchase row may use (681100 depreciation, 609000 discounts
    // obtained: PCG) is not taken either: the default, with a note naming the PCG account.
    for not_a_purchase in ["681100", "609000"] {
        let mut wrong = centre.clone();
        wrong.buyer_account = Some(not_a_purchase.into());
        let inv = einvoice::read(&support::expect_einvoice(
            xmlout::write(&wrong).as_bytes(),
            "w.xml",
        ))
        .unwrap();
        let mapped =
            einvoice::to_source_document(&inv, Side::Purchase, &support::options(&cfg)).unwrap();
        assert!(mapped.document.rows.iter().all(|r| r.account.is_none()));
        assert!(
            mapped
                .notes
                .iter()
                .any(|n| n.contains(not_a_purchase) && n.contains("PCG")),
            "{:?}",
            mapped.notes
        );
    }
    // On the sales side the buyer's references are never our accounts.
    let sales = einvoice::to_source_document(&inv, Side::Sales, &support::options(&cfg)).unwrap();
    assert!(sales.document.rows.iter().all(|r| r.account.is_none()));
}

#[test]
fn assess_gives_one_outcome_per_file_with_its_action() {
    let cfg = support::dossier();
    let options = support::options(&cfg);
    let spec = Spec::typical(Kind::Cii(Level::En16931));
    let xml = xmlout::write(&spec);
    let pdf = support::pdf_with_attachment("factur-x.xml", xml.as_bytes(), true);
    // The buyer is SIREN 552081317: a purchase of that dossier.
    match einvoice::assess(&pdf, "f.pdf", Side::Purchase, "552081317", &options) {
        einvoice::Assessment::Ready { mapped, key, .. } => {
            assert_eq!(
                mapped.document.source.kind,
                domain::DocumentKind::PurchaseInvoice
            );
            assert_eq!(mapped.document.party.siren.as_deref(), Some("732829320"));
            assert_eq!(mapped.document.source.source_id, key.digest());
        }
        other => panic!("{other:?}"),
    }
    // The seller's side of the same file is a sale of the seller's dossier.
    assert!(matches!(
        einvoice::assess(&pdf, "f.pdf", Side::Sales, "732829320", &options),
        einvoice::Assessment::Ready { .. }
    ));
    // Another dossier: held, addressed to another company.
    let held = einvoice::assess(&pdf, "f.pdf", Side::Purchase, "732829320", &options);
    assert!(
        held.message()
            .contains("addressed to another company (SIREN 552081317)"),
        "{}",
        held.message()
    );
    assert!(held.action().contains("dossier"));
    // A broken invoice names its rule and asks for a new one.
    let broken = xml.replacen("<ram:GrandTotalAmount>", "<ram:GrandTotalAmount>1", 1);
    let refused = einvoice::assess(
        broken.as_bytes(),
        "f.xml",
        Side::Purchase,
        "552081317",
        &options,
    );
    assert!(
        refused.message().contains("[BR-CO-15]"),
        "{}",
        refused.message()
    );
    assert_eq!(refused.action(), "ask the supplier to re-issue the invoice");
    let xxe = einvoice::assess(
        XXE.as_bytes(),
        "x.xml",
        Side::Purchase,
        "552081317",
        &options,
    );
    assert!(matches!(xxe, einvoice::Assessment::Refused(Refusal::Dtd)));
    assert!(matches!(
        einvoice::assess(
            b"%PDF-1.4 nothing",
            "scan.pdf",
            Side::Purchase,
            "552081317",
            &options
        ),
        einvoice::Assessment::NotEInvoice { .. }
    ));
}
