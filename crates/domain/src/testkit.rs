//! Test support shared by the domain's tests and benches and by other crates' tests (feature
//! `testkit`): the documented dossier configuration, the Sellsy worked example, and generators of
//! realistic random invoices and credit notes.

use std::str::FromStr;

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::config::{ConfigFile, DossierConfig};
use crate::document::{
    DocumentKind, DocumentStatus, Nature, PdfRef, Row, RowKind, SourceDocument, SourceRef,
    TaxTotal, Totals,
};
use crate::money::round_cents;
use crate::party::{Party, PartyKind};

/// The documented example configuration (`infra/dossiers.example.toml`), dossier `acme`.
pub fn example_config() -> DossierConfig {
    let text = include_str!("../../../infra/dossiers.example.toml");
    match ConfigFile::from_toml(text) {
        Ok(file) => file.dossiers[0].clone(),
        Err(e) => panic!("the example configuration is invalid: {e}"),
    }
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal literal")
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date literal")
}

/// The invoice of the Sellsy worked example (research sellsy-api.md §3.6, `GET /invoices/4711`):
/// two rows at 20 % and 5.5 %, company Dupont SARL with auxiliary code `0DUPONT` (booked `DUPONT`: a code starts with a letter). The rows'
/// accounting code ids (7576, 7577) are not resolved here, so the dossier's defaults apply:
/// the free row (service, `sale_type` mixed) on 706, the catalogue product on 707.
pub fn sellsy_example_invoice() -> SourceDocument {
    SourceDocument {
        source: SourceRef {
            source: "sellsy".into(),
            kind: DocumentKind::SalesInvoice,
            source_id: "4711".into(),
        },
        number: "FACT-2026-00042".into(),
        status: DocumentStatus::Finalized,
        date: date("2026-11-20"),
        due_date: Some(date("2026-12-20")),
        subject: "Prestations novembre".into(),
        currency: "EUR".into(),
        party: Party {
            kind: PartyKind::Company,
            name: "Dupont SARL".into(),
            source_id: "5783612".into(),
            reference: Some("CLI-1654".into()),
            auxiliary_code: Some("0DUPONT".into()),
            siren: Some("732829320".into()),
            siret: Some("73282932000074".into()),
            vat_number: Some("FR44732829320".into()),
        },
        rows: vec![
            Row {
                kind: RowKind::Single,
                description: "Conseil (jour)".into(),
                reference: Some("CONSEIL-J".into()),
                quantity: d("2"),
                unit_price: d("150.00"),
                discount_excl_tax: Decimal::ZERO,
                amount_excl_tax: d("300.00"),
                tax_rate: d("20.00"),
                tax_amount: d("60.00"),
                account: None,
                nature: None,
                optional: false,
            },
            Row {
                kind: RowKind::Catalog,
                description: "Livre technique".into(),
                reference: Some("LIVRE-01".into()),
                quantity: d("10"),
                unit_price: d("12.50"),
                discount_excl_tax: Decimal::ZERO,
                amount_excl_tax: d("125.00"),
                tax_rate: d("5.50"),
                tax_amount: d("6.88"),
                account: None,
                nature: Some(Nature::Goods),
                optional: false,
            },
        ],
        taxes: vec![
            TaxTotal {
                rate: d("20.00"),
                amount: d("60.00"),
                label: Some("TVA 20%".into()),
            },
            TaxTotal {
                rate: d("5.50"),
                amount: d("6.88"),
                label: Some("TVA 5,5%".into()),
            },
        ],
        discount_excl_tax: Decimal::ZERO,
        totals: Totals {
            excl_tax: d("425.00"),
            incl_tax: d("491.88"),
        },
        default_nature: Some(Nature::Services),
        pdf: Some(PdfRef {
            location: "https://file.sellsy.com/?id=JUE0JTdD...&key=007ea9fc...&display=Y".into(),
            sha256: None,
            size: None,
        }),
        linked_invoice: None,
        self_assessed_vat: Vec::new(),
    }
}

/// How far the generated total including tax is from the sum of its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalFlavor {
    /// Total = total excluding tax + VAT totals, as the source computed it.
    Consistent,
    /// Off by a cent or two, as when a source rounds per row rather than per rate.
    CentsOff,
    /// Off by far more than any rounding: the mapping must refuse it.
    Wrong,
}

const RATES: [&str; 5] = ["20", "10", "5.5", "2.1", "0"];

const NAMES: [&str; 12] = [
    "Dupont SARL",
    "Boulangerie Éloïse",
    "Martin & Fils",
    "Société Générale d'Équipement",
    "3M France",
    "Jeanne Martin",
    "Atelier Zoé",
    "Ölmühle GmbH",
    "Café de la Gare",
    "L'Épicerie du Coin",
    "Transports Le Goff",
    "",
];

/// A source-like rounding of `value` to `dp` decimals.
fn round_dp(value: Decimal, dp: u32) -> Decimal {
    value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

#[derive(Debug, Clone)]
struct RowSpec {
    kind: RowKind,
    nature: Option<Nature>,
    rate: usize,
    quantity_milli: i64,
    price_ten_thousandths: i64,
    discount_basis_points: i64,
    decimals: u32,
    account: bool,
    optional: bool,
}

fn row_spec() -> impl Strategy<Value = RowSpec> {
    (
        prop_oneof![
            6 => Just((RowKind::Single, None)),
            3 => Just((RowKind::Catalog, Some(Nature::Goods))),
            3 => Just((RowKind::Catalog, Some(Nature::Services))),
            1 => Just((RowKind::Shipping, None)),
            1 => Just((RowKind::Comment, None)),
            1 => Just((RowKind::SubTotal, None)),
        ],
        0..RATES.len(),
        1i64..=500_000,
        1i64..=50_000_000,
        prop_oneof![3 => Just(0i64), 1 => 1i64..=5_000],
        2u32..=4,
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |((kind, nature), rate, q, p, disc, decimals, account, optional)| RowSpec {
                kind,
                nature,
                rate,
                quantity_milli: q,
                price_ten_thousandths: p,
                discount_basis_points: disc,
                decimals,
                account,
                optional,
            },
        )
}

/// Builds a document the way a source computes one: quantities with 3 decimals, unit prices with
/// 4, row amounts rounded to 2–4 decimals (Sellsy sends varying decimals), VAT per rate rounded to
/// the cent, an optional document discount, and a total including tax per `flavor`.
#[allow(clippy::too_many_arguments)]
fn build_document(
    id: u64,
    credit_note: bool,
    party: usize,
    specs: Vec<RowSpec>,
    doc_discount_percent: i64,
    flavor: TotalFlavor,
    offset_cents: i64,
    day: u32,
) -> SourceDocument {
    let mut rows = Vec::new();
    for spec in &specs {
        let rate = d(RATES[spec.rate]);
        if !spec.kind.carries_money() {
            rows.push(Row {
                kind: spec.kind,
                description: "Sous-total".into(),
                reference: None,
                quantity: Decimal::ZERO,
                unit_price: Decimal::ZERO,
                discount_excl_tax: Decimal::ZERO,
                amount_excl_tax: Decimal::ZERO,
                tax_rate: Decimal::ZERO,
                tax_amount: Decimal::ZERO,
                account: None,
                nature: None,
                optional: false,
            });
            continue;
        }
        let quantity = Decimal::new(spec.quantity_milli, 3);
        let price = Decimal::new(spec.price_ten_thousandths, 4);
        let gross = quantity * price;
        let discount = round_dp(
            gross * Decimal::new(spec.discount_basis_points, 4),
            spec.decimals,
        );
        let net = round_dp(gross, spec.decimals) - discount;
        rows.push(Row {
            kind: spec.kind,
            description: format!("Article {}", rows.len() + 1),
            reference: None,
            quantity,
            unit_price: price,
            discount_excl_tax: discount,
            amount_excl_tax: net,
            tax_rate: rate,
            tax_amount: round_dp(net * rate / Decimal::ONE_HUNDRED, spec.decimals),
            account: spec.account.then(|| "706100".to_string()),
            nature: spec.nature,
            optional: spec.optional,
        });
    }
    let counted: Vec<&Row> = rows
        .iter()
        .filter(|r| r.kind.carries_money() && !r.optional)
        .collect();
    let net_total: Decimal = counted.iter().map(|r| r.amount_excl_tax).sum();
    let doc_discount = round_cents(net_total * Decimal::new(doc_discount_percent, 2));
    let ratio = if net_total.is_zero() {
        Decimal::ZERO
    } else {
        doc_discount / net_total
    };
    let mut taxes: Vec<TaxTotal> = Vec::new();
    for rate_text in RATES {
        let rate = d(rate_text);
        let base: Decimal = counted
            .iter()
            .filter(|r| r.tax_rate == rate)
            .map(|r| r.amount_excl_tax)
            .sum();
        if counted.iter().any(|r| r.tax_rate == rate) {
            let base = base * (Decimal::ONE - ratio);
            taxes.push(TaxTotal {
                rate,
                amount: round_cents(base * rate / Decimal::ONE_HUNDRED),
                label: Some(format!("TVA {rate_text}%")),
            });
        }
    }
    let excl_tax = round_cents(net_total - doc_discount);
    let vat: Decimal = taxes.iter().map(|t| t.amount).sum();
    let offset = match flavor {
        TotalFlavor::Consistent => Decimal::ZERO,
        TotalFlavor::CentsOff => Decimal::new(offset_cents.clamp(-1, 1), 2),
        TotalFlavor::Wrong => Decimal::new(offset_cents.signum().max(1) * 100 + offset_cents, 2),
    };
    let name = NAMES[party % NAMES.len()];
    let kind = if credit_note {
        DocumentKind::SalesCreditNote
    } else {
        DocumentKind::SalesInvoice
    };
    let prefix = if credit_note { "AV" } else { "FA" };
    SourceDocument {
        source: SourceRef {
            source: "sellsy".into(),
            kind,
            source_id: id.to_string(),
        },
        number: format!("{prefix}-2026-{id:06}"),
        status: DocumentStatus::Finalized,
        date: NaiveDate::from_yo_opt(2026, day.clamp(1, 365)).unwrap_or(NaiveDate::MIN),
        due_date: None,
        subject: format!("Commande {id}"),
        currency: "EUR".into(),
        party: Party {
            kind: if party.is_multiple_of(3) {
                PartyKind::Individual
            } else {
                PartyKind::Company
            },
            name: name.into(),
            source_id: (party + 1000).to_string(),
            reference: None,
            auxiliary_code: party.is_multiple_of(5).then(|| format!("C{party:05}")),
            siren: None,
            siret: None,
            vat_number: None,
        },
        rows,
        taxes,
        discount_excl_tax: doc_discount,
        totals: Totals {
            excl_tax,
            incl_tax: excl_tax + vat + offset,
        },
        default_nature: Some(Nature::Services),
        pdf: Some(PdfRef {
            location: format!("pdf/{id}.pdf"),
            sha256: None,
            size: None,
        }),
        linked_invoice: None,
        self_assessed_vat: Vec::new(),
    }
}

/// Random invoices and credit notes (see [`build_document`]) with the flavor of their total.
pub fn arb_document() -> impl Strategy<Value = (SourceDocument, TotalFlavor)> {
    (
        any::<u32>(),
        prop::bool::weighted(0.25),
        0usize..200,
        prop::collection::vec(row_spec(), 1..15),
        prop_oneof![3 => Just(0i64), 1 => 1i64..=20],
        prop_oneof![
            6 => Just(TotalFlavor::Consistent),
            3 => Just(TotalFlavor::CentsOff),
            1 => Just(TotalFlavor::Wrong),
        ],
        -3i64..=3,
        1u32..=365,
    )
        .prop_map(|(id, credit, party, specs, disc, flavor, offset, day)| {
            (
                build_document(
                    u64::from(id),
                    credit,
                    party,
                    specs,
                    disc,
                    flavor,
                    offset,
                    day,
                ),
                flavor,
            )
        })
}

/// `n` deterministic invoices of `rows` money rows each, for benchmarks (a small LCG, no I/O).
pub fn invoices(n: usize, rows: usize, seed: u64) -> Vec<SourceDocument> {
    let mut state = seed | 1;
    let mut next = move |bound: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % bound
    };
    (0..n)
        .map(|i| {
            let specs = (0..rows)
                .map(|_| RowSpec {
                    kind: RowKind::Catalog,
                    nature: Some(if next(2) == 0 {
                        Nature::Goods
                    } else {
                        Nature::Services
                    }),
                    rate: next(4) as usize,
                    quantity_milli: 1 + next(50_000) as i64,
                    price_ten_thousandths: 1 + next(10_000_000) as i64,
                    discount_basis_points: if next(4) == 0 { next(2_000) as i64 } else { 0 },
                    decimals: 2,
                    account: false,
                    optional: false,
                })
                .collect();
            build_document(
                i as u64 + 1,
                false,
                next(500) as usize,
                specs,
                0,
                TotalFlavor::Consistent,
                0,
                1 + next(365) as u32,
            )
        })
        .collect()
}
