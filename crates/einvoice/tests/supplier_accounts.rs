//! `[dossier.einvoice.suppliers]`: a supplier's expense account comes after the buyer's
//! accounting reference (BT-133 / BT-19) and before the dossier's `accounts.purchases`.

mod support;

use einvoice::Side;
use support::forge::{Kind, Level, Spec};
use support::xmlout;

/// The purchase rows' accounts of `spec` mapped with these `[dossier.einvoice.suppliers]`.
fn row_accounts(spec: &Spec, suppliers: &[(&str, &str)]) -> (Vec<Option<String>>, Vec<String>) {
    let cfg = support::dossier();
    let mut options = support::options(&cfg);
    options.suppliers.supplier_accounts = suppliers
        .iter()
        .map(|(id, account)| (id.to_string(), account.to_string()))
        .collect();
    let file = support::expect_einvoice(xmlout::write(spec).as_bytes(), "s.xml");
    let inv = einvoice::read(&file).unwrap();
    let mapped = einvoice::to_source_document(&inv, Side::Purchase, &options).unwrap();
    let accounts = mapped
        .document
        .rows
        .iter()
        .map(|r| r.account.clone())
        .collect();
    (accounts, mapped.notes)
}

#[test]
fn a_supplier_account_comes_after_the_buyer_reference_and_before_the_default() {
    let typical = Spec::typical(Kind::Cii(Level::En16931));
    let seller = typical.seller.siren.clone();
    let some = |a: &str| Some(a.to_string());
    // 1. A valid BT-133 / BT-19 wins over the supplier's account.
    let (accounts, _) = row_accounts(&typical, &[(&seller, "604000")]);
    assert!(accounts.contains(&some("606400")), "{accounts:?}");
    assert!(!accounts.contains(&some("604000")), "{accounts:?}");
    // 2. No valid reference (none, or a cost centre): the supplier's account, by SIREN or by
    // VAT id, with a note.
    let mut plain = typical.clone();
    plain.buyer_account = Some("CC-MARKETING".into());
    plain.lines.iter_mut().for_each(|l| l.account = None);
    let vat = plain.seller.vat.clone();
    for key in [seller.as_str(), vat.as_str()] {
        let (accounts, notes) = row_accounts(&plain, &[(key, "604000")]);
        assert!(!accounts.is_empty());
        assert!(
            accounts.iter().all(|a| *a == some("604000")),
            "{accounts:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("604000") && n.contains(&seller)),
            "{notes:?}"
        );
    }
    // A line with its own account keeps it; the others take the supplier's.
    let mut mixed = plain.clone();
    mixed.lines[0].account = Some("606400".into());
    let (accounts, _) = row_accounts(&mixed, &[(&seller, "604000")]);
    assert_eq!(accounts[0], some("606400"));
    assert!(
        accounts[1..].iter().all(|a| *a == some("604000")),
        "{accounts:?}"
    );
    // 3. Another supplier's account does not apply: no account, the dossier's default.
    let (accounts, notes) = row_accounts(&plain, &[("552081317", "604000")]);
    assert!(accounts.iter().all(Option::is_none), "{accounts:?}");
    assert!(!notes.iter().any(|n| n.contains("604000")), "{notes:?}");
}
