//! Shared by the two test binaries: the generator, booking through `domain::mapping`, and a
//! PDF writer for hostile attachments.

#![allow(dead_code)]

pub use einvoice::testkit::{forge, pdfout, xmlout};

use std::collections::BTreeMap;

use domain::LedgerEntry;
use domain::auxcode::AuxCodes;
use domain::config::{DossierConfig, Scope};
use domain::mapping::{Mapped, map_document};
use einvoice::map::MapOptions;
use einvoice::{Detection, EInvoiceFile, Side};
use rust_decimal::Decimal;

/// The documented dossier, booking both sides, with a 0 % purchase rate account too.
pub fn dossier() -> DossierConfig {
    let mut cfg = domain::testkit::example_config();
    cfg.scope = Scope::Both;
    cfg.sync_without_pdf = true;
    cfg
}

pub fn options(cfg: &DossierConfig) -> MapOptions {
    MapOptions {
        known_rates: cfg.vat.purchases.keys().copied().collect(),
        suppliers: cfg.einvoice.clone(),
    }
}

pub fn expect_einvoice(bytes: &[u8], name: &str) -> EInvoiceFile {
    match einvoice::detect(bytes, name) {
        Detection::EInvoice(f) => *f,
        other => panic!("{name}: expected an e-invoice, got {other:?}"),
    }
}

/// What booking gave, per VAT rate and in total.
#[derive(Debug)]
pub struct Booked {
    pub entry: LedgerEntry,
    /// Signed VAT per rate (debit positive on purchases, credit positive on sales).
    pub vat_by_account: Decimal,
    pub third_party: Decimal,
    pub net: Decimal,
}

/// Reads, checks and books a detected file for one side; panics with the reason otherwise.
pub fn book(file: &EInvoiceFile, side: Side, cfg: &DossierConfig) -> (einvoice::Invoice, Booked) {
    let inv = einvoice::read(file).expect("readable");
    let violations = einvoice::check(&inv);
    assert!(
        violations.is_empty(),
        "{}: {violations:?}",
        inv.number.clone().unwrap_or_default()
    );
    let mapped = einvoice::to_source_document(&inv, side, &options(cfg)).expect("mapped");
    let mut aux = AuxCodes::new(cfg.auxiliary.length);
    let entry = match map_document(&mapped.document, cfg, &mut aux) {
        Ok(Mapped::Entry(e)) => e,
        other => panic!("not booked: {other:?}"),
    };
    let vat_accounts: Vec<&String> = match side {
        Side::Purchase => cfg.vat.purchases.values().collect(),
        Side::Sales => cfg.vat.sales.values().collect(),
    };
    let third = match side {
        Side::Purchase => &cfg.accounts.suppliers,
        Side::Sales => &cfg.accounts.customers,
    };
    let signed = |l: &domain::EntryLine| match side {
        Side::Purchase => l.debit - l.credit,
        Side::Sales => l.credit - l.debit,
    };
    let lines = entry.lines();
    let vat: Decimal = lines
        .iter()
        .filter(|l| vat_accounts.contains(&&l.account))
        .map(signed)
        .sum();
    let third_party: Decimal = lines
        .iter()
        .filter(|l| &l.account == third)
        .map(|l| -signed(l))
        .sum();
    let net: Decimal = lines
        .iter()
        .filter(|l| !vat_accounts.contains(&&l.account) && &l.account != third)
        .map(signed)
        .sum();
    let booked = Booked {
        vat_by_account: vat,
        third_party,
        net,
        entry,
    };
    (inv, booked)
}

/// VAT per rate of an invoice's breakdown (what must be booked), summed by rate.
pub fn breakdown_by_rate(inv: &einvoice::Invoice) -> BTreeMap<Decimal, Decimal> {
    let mut map = BTreeMap::new();
    for row in &inv.vat_breakdown {
        *map.entry(row.rate.unwrap_or_default().normalize())
            .or_default() += row.amount.unwrap_or_default();
    }
    map
}

/// A minimal PDF embedding one file under `name` (catalog /Names /EmbeddedFiles and /AF), its
/// stream compressed with FlateDecode when `compress`.
pub fn pdf_with_attachment(name: &str, content: &[u8], compress: bool) -> Vec<u8> {
    pdfout::pdf(name, content, compress, 0)
}
