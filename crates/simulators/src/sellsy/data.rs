//! Deterministic dataset: companies, individuals, invoices, credit notes, journal lines, rendered
//! as spec-shaped JSON (`Invoice`, `InvoiceOne`, `CreditNote`, `AccountingJournal`, ...).
//!
//! Amounts are consistent: row amounts, per-rate `taxes[]`, the document discount and totals are
//! computed with `Decimal` and rounded to cents the way a French invoice is (per rate).

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Invoice,
    CreditNote,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Invoice => "invoice",
            Kind::CreditNote => "creditnote",
        }
    }
}

/// A VAT rate of the simulated account (`GET /taxes`).
#[derive(Debug, Clone)]
pub struct Tax {
    pub id: u64,
    pub rate: Decimal,
    pub label: &'static str,
    /// Accounting code id of the collected-VAT account.
    pub account_id: u64,
}

#[derive(Debug, Clone)]
pub struct Code {
    pub id: u64,
    pub code: &'static str,
    pub label: &'static str,
    pub views: &'static [&'static str],
}

#[derive(Debug, Clone)]
pub struct Company {
    pub id: u64,
    pub name: String,
    pub reference: String,
    pub auxiliary_code: String,
    pub email: String,
    pub siren: String,
    pub siret: String,
    pub vat: String,
    pub company_type: &'static str,
    pub ape: &'static str,
    pub city: &'static str,
}

#[derive(Debug, Clone)]
pub struct Individual {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub civility: &'static str,
    pub reference: String,
    pub auxiliary_code: String,
    pub email: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyRef {
    Company(usize),
    Individual(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowType {
    Single,
    Catalog,
    Shipping,
    Comment,
}

#[derive(Debug, Clone)]
pub struct RowData {
    pub id: u64,
    pub row_type: RowType,
    pub reference: String,
    pub description: String,
    pub quantity: Decimal,
    pub unit_amount: Decimal,
    /// Row discount in percent, if any.
    pub discount_pct: Option<Decimal>,
    pub tax: usize,
    pub accounting_code_id: u64,
    pub related: Option<(u64, &'static str)>,
    pub optional: bool,
}

#[derive(Debug, Clone)]
pub struct Doc {
    pub kind: Kind,
    pub id: u64,
    pub number: String,
    pub status: &'static str,
    pub date: NaiveDate,
    pub created: DateTime<FixedOffset>,
    pub subject: String,
    pub party: PartyRef,
    pub rows: Vec<RowData>,
    /// Document discount in percent (applied after rows, not on shipping).
    pub discount_pct: Option<Decimal>,
    pub sale_type: &'static str,
    pub has_pdf: bool,
    /// Bumped by "modify after copy"; part of the PDF link key (Sellsy regenerates the link).
    pub version: u32,
    pub linked_invoice: Option<u64>,
    pub sent_to_accounting: bool,
    pub fiscal_year_id: u64,
}

impl Doc {
    pub fn is_draft(&self) -> bool {
        self.status == "draft"
    }
}

/// Computed amounts of a row.
#[derive(Debug, Clone, Default)]
pub struct RowAmounts {
    pub discount: Decimal,
    pub excl: Decimal,
    pub tax: Decimal,
    pub incl: Decimal,
}

/// Computed amounts of a document.
#[derive(Debug, Clone, Default)]
pub struct DocAmounts {
    pub rows: Vec<RowAmounts>,
    pub raw_excl: Decimal,
    pub discount: Decimal,
    pub after_discount: Decimal,
    pub shipping: Decimal,
    pub excl: Decimal,
    /// (tax index, base after discount, VAT amount), for each rate used.
    pub per_rate: Vec<(usize, Decimal, Decimal)>,
    pub vat: Decimal,
    pub incl: Decimal,
    /// Revenue per accounting code id (before the document discount).
    pub per_account: Vec<(u64, Decimal)>,
}

pub fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

pub fn money(d: Decimal) -> String {
    format!("{:.2}", cents(d))
}

pub fn compute(doc: &Doc, taxes: &[Tax]) -> DocAmounts {
    let mut a = DocAmounts::default();
    let hundred = Decimal::ONE_HUNDRED;
    let mut base_by_rate: Vec<(usize, Decimal, Decimal)> = Vec::new(); // (tax, goods base, shipping base)
    for r in &doc.rows {
        if r.row_type == RowType::Comment {
            a.rows.push(RowAmounts::default());
            continue;
        }
        let gross = cents(r.quantity * r.unit_amount);
        let discount = r
            .discount_pct
            .map(|p| cents(gross * p / hundred))
            .unwrap_or_default();
        let excl = gross - discount;
        let tax = cents(excl * taxes[r.tax].rate / hundred);
        a.rows.push(RowAmounts {
            discount,
            excl,
            tax,
            incl: excl + tax,
        });
        if r.optional {
            continue; // research §3.3: optional rows are excluded from totals
        }
        let slot = match base_by_rate.iter_mut().find(|(t, _, _)| *t == r.tax) {
            Some(s) => s,
            None => {
                base_by_rate.push((r.tax, Decimal::ZERO, Decimal::ZERO));
                base_by_rate.last_mut().unwrap()
            }
        };
        if r.row_type == RowType::Shipping {
            slot.2 += excl;
            a.shipping += excl;
        } else {
            slot.1 += excl;
            a.raw_excl += excl;
        }
        match a
            .per_account
            .iter_mut()
            .find(|(c, _)| *c == r.accounting_code_id)
        {
            Some(s) => s.1 += excl,
            None => a.per_account.push((r.accounting_code_id, excl)),
        }
    }
    base_by_rate.sort_by_key(|(t, _, _)| *t);
    for (t, goods, ship) in base_by_rate {
        let disc = doc
            .discount_pct
            .map(|p| cents(goods * p / hundred))
            .unwrap_or_default();
        a.discount += disc;
        let base = goods - disc + ship;
        let vat = cents(base * taxes[t].rate / hundred);
        a.vat += vat;
        a.per_rate.push((t, base, vat));
    }
    a.after_discount = a.raw_excl - a.discount;
    a.excl = a.after_discount + a.shipping;
    a.incl = a.excl + a.vat;
    a
}

pub struct Dataset {
    pub taxes: Vec<Tax>,
    pub codes: Vec<Code>,
    pub companies: Vec<Company>,
    pub individuals: Vec<Individual>,
    pub invoices: Vec<Doc>,
    pub credit_notes: Vec<Doc>,
    pub seed: u64,
}

/// Accounting code ids of the simulated chart of accounts.
pub const CODE_CLIENTS: u64 = 7001;
pub const CODE_SERVICES: u64 = 7002;
pub const CODE_GOODS: u64 = 7003;
pub const CODE_SHIPPING: u64 = 7004;
pub const CODE_DISCOUNT: u64 = 7005;

fn chart() -> Vec<Code> {
    vec![
        Code {
            id: CODE_CLIENTS,
            code: "411000",
            label: "Clients",
            views: &["third"],
        },
        Code {
            id: CODE_SERVICES,
            code: "706000",
            label: "Prestations de services",
            views: &["sell"],
        },
        Code {
            id: CODE_GOODS,
            code: "707000",
            label: "Ventes de marchandises",
            views: &["sell"],
        },
        Code {
            id: CODE_SHIPPING,
            code: "708500",
            label: "Ports et frais accessoires facturés",
            views: &["sell"],
        },
        Code {
            id: CODE_DISCOUNT,
            code: "709000",
            label: "Rabais, remises et ristournes accordés",
            views: &["sell"],
        },
        Code {
            id: 7010,
            code: "445710",
            label: "TVA collectée 20 %",
            views: &[],
        },
        Code {
            id: 7011,
            code: "445711",
            label: "TVA collectée 10 %",
            views: &[],
        },
        Code {
            id: 7012,
            code: "445712",
            label: "TVA collectée 5,5 %",
            views: &[],
        },
        Code {
            id: 7013,
            code: "445713",
            label: "TVA collectée 2,1 %",
            views: &[],
        },
        Code {
            id: 7014,
            code: "445719",
            label: "TVA collectée 0 %",
            views: &[],
        },
        Code {
            id: 7020,
            code: "401000",
            label: "Fournisseurs",
            views: &["third"],
        },
        Code {
            id: 7021,
            code: "512000",
            label: "Banque",
            views: &["bank", "reconciliation"],
        },
        Code {
            id: 7022,
            code: "419000",
            label: "Clients - avances et acomptes reçus",
            views: &["third"],
        },
        Code {
            id: 7023,
            code: "445660",
            label: "TVA déductible sur autres biens et services",
            views: &[],
        },
        Code {
            id: 7024,
            code: "607000",
            label: "Achats de marchandises",
            views: &["purchase"],
        },
        Code {
            id: 7025,
            code: "421000",
            label: "Personnel - rémunérations dues",
            views: &["third"],
        },
        Code {
            id: 7026,
            code: "622200",
            label: "Commissions et courtages",
            views: &["purchase"],
        },
        Code {
            id: 7027,
            code: "511200",
            label: "Chèques à encaisser",
            views: &["bank"],
        },
        Code {
            id: 7028,
            code: "604000",
            label: "Achats d'études et prestations de services",
            views: &["purchase"],
        },
    ]
}

fn taxes() -> Vec<Tax> {
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    vec![
        Tax {
            id: 101,
            rate: d("20"),
            label: "TVA 20%",
            account_id: 7010,
        },
        Tax {
            id: 102,
            rate: d("10"),
            label: "TVA 10%",
            account_id: 7011,
        },
        Tax {
            id: 103,
            rate: d("5.5"),
            label: "TVA 5,5%",
            account_id: 7012,
        },
        Tax {
            id: 104,
            rate: d("2.1"),
            label: "TVA 2,1%",
            account_id: 7013,
        },
        Tax {
            id: 105,
            rate: d("0"),
            label: "Exonéré 0%",
            account_id: 7014,
        },
    ]
}

const COMPANY_STEMS: &[&str] = &[
    "Dupont",
    "Boulangerie Lefèvre",
    "Menuiserie Garnier",
    "Atelier Chevalier",
    "Transports Moreau",
    "Pharmacie Fontaine",
    "Cabinet Rousseau",
    "Imprimerie Lambert",
    "Garage Bonnet",
    "Éditions Mercier",
    "Fromagerie Dubois",
    "Librairie Faure",
    "Brasserie du Port",
    "Hôtel des Célestins",
    "Vignobles Girard",
    "Plomberie Roux",
    "Électricité Fournier",
    "Studio Perrin",
    "Conseil Blanchard",
    "Traiteur Gauthier",
    "Ferme des Tilleuls",
    "Domaine de l'Étang",
    "Épicerie Benoît",
    "Maison Lemaire",
    "Agence Marchand",
];
const LEGAL_FORMS: &[&str] = &["SARL", "SAS", "SA", "EURL", "SASU", "SCOP"];
const CITIES: &[&str] = &[
    "Paris",
    "Lyon",
    "Marseille",
    "Nantes",
    "Bordeaux",
    "Lille",
    "Rennes",
    "Dijon",
    "Grenoble",
    "Toulouse",
];
const APE: &[&str] = &[
    "7022Z", "1071C", "4941A", "4773Z", "6920Z", "1812Z", "4520A", "5610A",
];
const FIRST_NAMES: &[&str] = &[
    "Jeanne",
    "Louis",
    "Camille",
    "Hélène",
    "François",
    "Élodie",
    "Mathieu",
    "Chloé",
    "Théo",
    "Maëlle",
    "Jérôme",
    "Sophie",
    "Gaël",
    "Noémie",
    "Benoît",
    "Inès",
    "Aurélien",
    "Léa",
    "Stéphane",
    "Océane",
];
const LAST_NAMES: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèbvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
];
const SERVICES: &[(&str, &str)] = &[
    ("CONSEIL-J", "Conseil (jour)"),
    ("FORM-J", "Formation (jour)"),
    ("MAINT-M", "Maintenance mensuelle"),
    ("AUDIT", "Audit de conformité"),
    ("DEV-H", "Développement (heure)"),
];
const GOODS: &[(&str, &str)] = &[
    ("LIVRE-01", "Livre technique"),
    ("PAIN-01", "Pain de campagne"),
    ("MEDIC-01", "Médicament remboursable"),
    ("PRESSE-01", "Publication de presse"),
    ("VIN-01", "Vin rouge AOC (caisse de 6)"),
    ("CAFE-01", "Café en grains 1 kg"),
];

/// Luhn check digit completion: returns `digits` followed by the digit that makes it valid.
fn luhn_complete(digits: &str) -> String {
    for last in 0..10 {
        let s = format!("{digits}{last}");
        let sum: u32 = s
            .chars()
            .rev()
            .enumerate()
            .map(|(i, c)| {
                let d = c.to_digit(10).unwrap();
                if i % 2 == 1 {
                    let x = d * 2;
                    if x > 9 { x - 9 } else { x }
                } else {
                    d
                }
            })
            .sum();
        if sum.is_multiple_of(10) {
            return s;
        }
    }
    unreachable!()
}

fn aux_code(name: &str, n: usize) -> String {
    let letters: String = name
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .take(6)
        .collect::<String>()
        .to_uppercase();
    format!("0{letters}{n:02}")
}

pub struct GenParams {
    pub seed: u64,
    pub invoices: usize,
    pub credit_notes: usize,
    pub companies: usize,
    pub individuals: usize,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Share of drafts among generated documents (never pulled).
    pub draft_share: f64,
}

impl Dataset {
    pub fn generate(p: &GenParams) -> Dataset {
        let mut rng = StdRng::seed_from_u64(p.seed);
        let taxes = taxes();
        let codes = chart();
        let mut companies = Vec::new();
        for i in 0..p.companies.max(1) {
            let stem = COMPANY_STEMS[i % COMPANY_STEMS.len()];
            let form = LEGAL_FORMS[rng.random_range(0..LEGAL_FORMS.len())];
            let name = if i < COMPANY_STEMS.len() {
                format!("{stem} {form}")
            } else {
                format!("{stem} {} {form}", CITIES[i % CITIES.len()])
            };
            let siren = luhn_complete(&format!(
                "{:08}",
                rng.random_range(10_000_000u32..99_999_999)
            ));
            let siret = luhn_complete(&format!("{siren}{:04}", rng.random_range(1u32..99)));
            let key = (12 + 3 * (siren.parse::<u64>().unwrap() % 97)) % 97;
            let slug: String = stem
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_lowercase();
            companies.push(Company {
                id: 5_000_001 + i as u64 * 7,
                reference: format!("CLI-{:04}", 1000 + i),
                auxiliary_code: aux_code(stem, i),
                email: format!("compta@{slug}{i}.example"),
                vat: format!("FR{key:02}{siren}"),
                siren,
                siret,
                company_type: form,
                ape: APE[i % APE.len()],
                city: CITIES[i % CITIES.len()],
                name,
            });
        }
        let mut individuals = Vec::new();
        for i in 0..p.individuals.max(1) {
            let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
            individuals.push(Individual {
                id: 4_000_001 + i as u64 * 5,
                first_name: first.to_string(),
                last_name: last.to_string(),
                civility: if i % 2 == 0 { "mrs" } else { "mr" },
                reference: format!("PART-{:04}", 1000 + i),
                auxiliary_code: aux_code(last, i),
                email: format!("{}.{}{i}@particulier.example", ascii(first), ascii(last)),
            });
        }
        let days = (p.to - p.from).num_days().max(0);
        let mut invoices = Vec::new();
        let mut id = 10_000u64;
        let mut number = 0u32;
        let mut row_id = 1u64;
        for i in 0..p.invoices {
            id += rng.random_range(1..4);
            // Spread dates evenly over the window, ascending, so numbering follows dates.
            let offset = if p.invoices > 1 {
                days * i as i64 / (p.invoices as i64 - 1)
            } else {
                0
            };
            let date = p.from + Duration::days(offset);
            let draft = rng.random_bool(p.draft_share);
            let status = if draft {
                "draft"
            } else {
                ["due", "paid", "paid", "late", "payinprogress", "due"][rng.random_range(0..6)]
            };
            let status = if !draft && i % 97 == 13 {
                "cancelled"
            } else {
                status
            };
            let party = if rng.random_bool(0.7) {
                PartyRef::Company(rng.random_range(0..companies.len()))
            } else {
                PartyRef::Individual(rng.random_range(0..individuals.len()))
            };
            // Every rate appears: the main rate cycles through the five rates.
            let main_tax = i % 5;
            let mut rows = Vec::new();
            let n_rows = rng.random_range(1..5);
            let mut goods = 0;
            let mut services = 0;
            for r in 0..n_rows {
                let tax = if r == 0 || rng.random_bool(0.6) {
                    main_tax
                } else {
                    rng.random_range(0..5)
                };
                let is_goods = rng.random_bool(0.5);
                let (reference, description, code, related) = if is_goods {
                    goods += 1;
                    let g = GOODS[rng.random_range(0..GOODS.len())];
                    (g.0, g.1, CODE_GOODS, Some((80 + r as u64, "product")))
                } else {
                    services += 1;
                    let s = SERVICES[rng.random_range(0..SERVICES.len())];
                    (s.0, s.1, CODE_SERVICES, Some((90 + r as u64, "service")))
                };
                let catalog = rng.random_bool(0.5);
                let qty_choices = ["1", "2", "3", "1.5", "10", "0.25", "12"];
                rows.push(RowData {
                    id: row_id,
                    row_type: if catalog {
                        RowType::Catalog
                    } else {
                        RowType::Single
                    },
                    reference: reference.to_string(),
                    description: description.to_string(),
                    quantity: qty_choices[rng.random_range(0..qty_choices.len())]
                        .parse()
                        .unwrap(),
                    unit_amount: Decimal::new(rng.random_range(150..250_000), 2),
                    discount_pct: if rng.random_bool(0.15) {
                        Some(Decimal::new(rng.random_range(5..25), 0))
                    } else {
                        None
                    },
                    tax,
                    accounting_code_id: code,
                    related: if catalog { related } else { None },
                    optional: false,
                });
                row_id += 1;
            }
            if rng.random_bool(0.1) {
                rows.push(RowData {
                    id: row_id,
                    row_type: RowType::Comment,
                    reference: String::new(),
                    description: "Merci pour votre confiance.".into(),
                    quantity: Decimal::ZERO,
                    unit_amount: Decimal::ZERO,
                    discount_pct: None,
                    tax: main_tax,
                    accounting_code_id: 0,
                    related: None,
                    optional: false,
                });
                row_id += 1;
            }
            if rng.random_bool(0.05) {
                // An optional row: shown on the document, excluded from totals.
                rows.push(RowData {
                    id: row_id,
                    row_type: RowType::Single,
                    reference: "OPTION".into(),
                    description: "Option : extension de garantie".into(),
                    quantity: Decimal::ONE,
                    unit_amount: Decimal::new(4900, 2),
                    discount_pct: None,
                    tax: main_tax,
                    accounting_code_id: CODE_SERVICES,
                    related: None,
                    optional: true,
                });
                row_id += 1;
            }
            if goods > 0 && rng.random_bool(0.2) {
                rows.push(RowData {
                    id: row_id,
                    row_type: RowType::Shipping,
                    reference: "PORT".into(),
                    description: "Frais de port".into(),
                    quantity: Decimal::ONE,
                    unit_amount: Decimal::new(rng.random_range(500..2500), 2),
                    discount_pct: None,
                    tax: 0,
                    accounting_code_id: CODE_SHIPPING,
                    related: Some((1, "shipping")),
                    optional: false,
                });
                row_id += 1;
            }
            if !draft {
                number += 1;
            }
            let minutes = rng.random_range(0..600);
            invoices.push(Doc {
                kind: Kind::Invoice,
                id,
                number: if draft {
                    String::new()
                } else {
                    format!("FA-{}-{:05}", date.format("%Y"), number)
                },
                status,
                date,
                created: paris(date, 8 * 60 + minutes),
                subject: subject_for(&rows, date),
                party,
                discount_pct: if rng.random_bool(0.12) {
                    Some(Decimal::new(rng.random_range(2..15), 0))
                } else {
                    None
                },
                sale_type: match (goods, services) {
                    (_, 0) => "product",
                    (0, _) => "service",
                    _ => "mixed",
                },
                rows,
                has_pdf: !draft,
                version: 0,
                linked_invoice: None,
                sent_to_accounting: rng.random_bool(0.3),
                fiscal_year_id: 18934,
            });
        }
        let finalized: Vec<usize> = (0..invoices.len())
            .filter(|&i| !invoices[i].is_draft())
            .collect();
        let mut credit_notes = Vec::new();
        let mut cid = 50_000u64;
        let mut cnumber = 0u32;
        for i in 0..p.credit_notes {
            if finalized.is_empty() {
                break;
            }
            cid += rng.random_range(1..4);
            // Spread over the finalized invoices so credit notes stay ordered by date.
            let inv_idx = finalized[(i * finalized.len()) / p.credit_notes.max(1)];
            let inv = &invoices[inv_idx];
            let lag = rng.random_range(0..20);
            let date = (inv.date + Duration::days(lag)).min(p.to).max(inv.date);
            let draft = rng.random_bool(p.draft_share);
            let status = if draft {
                "draft"
            } else {
                ["stored", "spent", "partialspend", "stored"][rng.random_range(0..4)]
            };
            // A full credit note, or a partial one on the first row.
            let rows: Vec<RowData> = if rng.random_bool(0.5) {
                inv.rows
                    .iter()
                    .filter(|r| !r.optional)
                    .map(|r| {
                        let mut r = r.clone();
                        r.id = row_id;
                        row_id += 1;
                        r
                    })
                    .collect()
            } else {
                let mut r = inv
                    .rows
                    .iter()
                    .find(|r| r.row_type != RowType::Comment && !r.optional)
                    .unwrap()
                    .clone();
                r.id = row_id;
                row_id += 1;
                r.quantity = (r.quantity / Decimal::TWO)
                    .round_dp(2)
                    .max(Decimal::new(25, 2));
                vec![r]
            };
            if !draft {
                cnumber += 1;
            }
            let minutes = rng.random_range(0..600);
            credit_notes.push(Doc {
                kind: Kind::CreditNote,
                id: cid,
                number: if draft {
                    String::new()
                } else {
                    format!("AV-{}-{:05}", date.format("%Y"), cnumber)
                },
                status,
                date,
                created: paris(date, 8 * 60 + minutes),
                subject: format!("Avoir sur la facture {}", inv.number),
                party: inv.party,
                discount_pct: inv.discount_pct,
                sale_type: inv.sale_type,
                rows,
                has_pdf: !draft,
                version: 0,
                linked_invoice: Some(inv.id),
                sent_to_accounting: false,
                fiscal_year_id: inv.fiscal_year_id,
            });
        }
        Dataset {
            taxes,
            codes,
            companies,
            individuals,
            invoices,
            credit_notes,
            seed: p.seed,
        }
    }

    pub fn docs(&self, kind: Kind) -> &Vec<Doc> {
        match kind {
            Kind::Invoice => &self.invoices,
            Kind::CreditNote => &self.credit_notes,
        }
    }

    pub fn docs_mut(&mut self, kind: Kind) -> &mut Vec<Doc> {
        match kind {
            Kind::Invoice => &mut self.invoices,
            Kind::CreditNote => &mut self.credit_notes,
        }
    }

    pub fn find(&self, kind: Kind, id: u64) -> Option<&Doc> {
        self.docs(kind).iter().find(|d| d.id == id)
    }

    pub fn code(&self, id: u64) -> Option<&Code> {
        self.codes.iter().find(|c| c.id == id)
    }

    pub fn pdf_key(&self, doc: &Doc) -> String {
        // Deterministic "signature" of the link; changes with each modification.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ self.seed;
        for b in format!("{}:{}:{}", doc.kind.as_str(), doc.id, doc.version).bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}{:08x}", doc.id)
    }

    pub fn pdf_link(&self, doc: &Doc, base: &str) -> Value {
        if !doc.has_pdf {
            return Value::Null;
        }
        json!(format!(
            "{base}/file?id={}-{}&key={}&display=Y",
            doc.kind.as_str(),
            doc.id,
            self.pdf_key(doc)
        ))
    }

    pub fn company_json(&self, c: &Company) -> Value {
        json!({
            "id": c.id, "type": "client", "name": c.name, "email": c.email, "website": null,
            "phone_number": "+33 1 23 45 67 89", "mobile_number": null, "fax_number": null,
            "legal_france": {
                "siret": c.siret, "siren": c.siren, "vat": c.vat, "ape_naf_code": c.ape,
                "company_type": c.company_type, "rcs_immatriculation": format!("RCS {}", c.city)
            },
            "capital": "10000.00", "reference": c.reference, "note": "", "auxiliary_code": c.auxiliary_code,
            "social": { "twitter": null, "facebook": null, "linkedin": null, "viadeo": null },
            "rate_category_id": null, "main_contact_id": null, "dunning_contact_id": null,
            "invoicing_contact_id": null, "invoicing_address_id": c.id + 1, "delivery_address_id": c.id + 2,
            "accounting_code_id": CODE_CLIENTS, "accounting_purchase_code_id": null,
            "owner": { "id": 69391, "type": "staff" },
            "created": "2024-03-04T10:00:00+01:00", "updated_at": "2026-10-02T11:22:03+02:00",
            "is_archived": false, "business_segment": null, "number_of_employees": null,
            "marketing_campaigns_subscriptions": []
        })
    }

    pub fn individual_json(&self, p: &Individual) -> Value {
        json!({
            "id": p.id, "type": "client", "last_name": p.last_name, "first_name": p.first_name,
            "civility": p.civility, "email": p.email, "website": null, "phone_number": null,
            "mobile_number": "+33 6 12 34 56 78", "fax_number": null, "reference": p.reference, "note": "",
            "auxiliary_code": p.auxiliary_code,
            "social": { "twitter": null, "facebook": null, "linkedin": null, "viadeo": null },
            "rate_category_id": null, "main_contact_id": null, "dunning_contact_id": null,
            "invoicing_contact_id": null, "invoicing_address_id": p.id + 1, "delivery_address_id": p.id + 2,
            "accounting_code_id": CODE_CLIENTS, "accounting_purchase_code_id": null,
            "owner": { "id": 69391, "type": "staff" },
            "created": "2024-03-04T10:00:00+01:00", "updated_at": "2026-10-02T11:22:03+02:00",
            "is_archived": false, "marketing_campaigns_subscriptions": []
        })
    }

    fn party_name(&self, p: PartyRef) -> (String, String, u64, &'static str) {
        match p {
            PartyRef::Company(i) => {
                let c = &self.companies[i];
                (c.name.clone(), c.reference.clone(), c.id, "company")
            }
            PartyRef::Individual(i) => {
                let x = &self.individuals[i];
                (
                    format!("{} {}", x.first_name, x.last_name),
                    x.reference.clone(),
                    x.id,
                    "individual",
                )
            }
        }
    }

    /// `Invoice`/`CreditNote` (list items) or `InvoiceOne`/`CreditNoteOne` (`with_rows`).
    pub fn doc_json(&self, doc: &Doc, with_rows: bool, embeds: &[String], base: &str) -> Value {
        let a = compute(doc, &self.taxes);
        let (name, reference, party_id, party_type) = self.party_name(doc.party);
        let mut v = json!({
            "id": doc.id, "number": doc.number, "status": doc.status,
            "date": doc.date.to_string(),
            "created": doc.created.to_rfc3339(),
            "subject": doc.subject,
            "amounts": {
                "total_raw_excl_tax": money(a.raw_excl),
                "total_after_discount_excl_tax": money(a.after_discount),
                "total_packaging": "0.00",
                "total_shipping": money(a.shipping),
                "total_excl_tax": money(a.excl),
                "total_incl_tax": money(a.incl),
                "total_remaining_due_incl_tax": if matches!(doc.status, "paid" | "spent") { "0.00".to_string() } else { money(a.incl) },
                "total_primes_incl_tax": "0.00"
            },
            "currency": "EUR",
            "taxes": a.per_rate.iter().map(|(t, _, amount)| json!({
                "id": self.taxes[*t].id, "label": self.taxes[*t].label,
                "rate": format!("{:.2}", self.taxes[*t].rate), "amount": money(*amount)
            })).collect::<Vec<_>>(),
            "discount": doc.discount_pct.map(|p| json!({
                "percent": format!("{:.2}", p), "amount": money(a.discount), "type": "percent"
            })),
            "related": [ { "id": party_id, "type": party_type } ],
            "public_link": { "enabled": false, "url": format!("https://sellsy.link/sim{}", doc.id) },
            "owner": { "id": 69391, "type": "staff" },
            "fiscal_year_id": doc.fiscal_year_id,
            "pdf_link": self.pdf_link(doc, base),
            "decimal_number": { "main": 2, "unit_price": 2, "quantity": 2 },
            "assigned_staff_id": 69391,
            "contact_id": null,
            "invoicing_address_id": party_id + 1,
            "delivery_address_id": party_id + 2,
            "issuer_address_id": 1001,
            "is_deposit": false,
            "rate_category_id": 85028,
            "service_dates": null,
            "note": "",
            "is_sent_to_accounting": doc.sent_to_accounting,
            "company_reference": reference,
            "company_name": name,
            "analytic_code": null,
            "sale_type": doc.sale_type,
        });
        let o = v.as_object_mut().unwrap();
        if doc.kind == Kind::Invoice {
            o.insert(
                "due_date".into(),
                json!((doc.date + Duration::days(30)).to_string()),
            );
            o.insert("file_id".into(), json!(90_000_000 + doc.id));
            o.insert("parent".into(), Value::Null);
            o.insert("order_reference".into(), json!(""));
            o.insert("shipping_date".into(), Value::Null);
            o.insert("vat_mode".into(), json!("debit"));
            o.insert("is_progress_invoice".into(), json!(false));
            o.insert("bank_account_id".into(), Value::Null);
            o.insert("payment_method_ids".into(), json!([2016308]));
            o.insert("check_label_id".into(), Value::Null);
        }
        if with_rows {
            let rows: Vec<Value> = doc
                .rows
                .iter()
                .zip(&a.rows)
                .map(|(r, ra)| self.row_json(r, ra))
                .collect();
            o.insert("rows".into(), Value::Array(rows));
        }
        let mut embed = serde_json::Map::new();
        for e in embeds {
            match e.as_str() {
                "company" => {
                    let c = match doc.party {
                        PartyRef::Company(i) => self.company_json(&self.companies[i]),
                        PartyRef::Individual(_) => Value::Null,
                    };
                    embed.insert("company".into(), c);
                }
                "individual" => {
                    let c = match doc.party {
                        PartyRef::Individual(i) => self.individual_json(&self.individuals[i]),
                        PartyRef::Company(_) => Value::Null,
                    };
                    embed.insert("individual".into(), c);
                }
                _ => {}
            }
        }
        if !embeds.is_empty() {
            o.insert("_embed".into(), Value::Object(embed));
        }
        v
    }

    fn row_json(&self, r: &RowData, a: &RowAmounts) -> Value {
        let tax = &self.taxes[r.tax];
        match r.row_type {
            RowType::Comment => json!({ "id": r.id, "type": "comment", "text": r.description }),
            _ => {
                let mut v = json!({
                    "id": r.id,
                    "type": match r.row_type { RowType::Catalog => "catalog", RowType::Shipping => "shipping", _ => "single" },
                    "unit_amount": format!("{:.2}", r.unit_amount),
                    "tax_id": tax.id,
                    "quantity": r.quantity.normalize().to_string(),
                    "reference": r.reference,
                    "description": r.description,
                    "discount": r.discount_pct.map(|p| json!({ "type": "percent", "value": format!("{:.2}", p), "total": money(a.discount) })),
                    "tax_rate": format!("{:.2}", tax.rate),
                    "tax_amount": money(a.tax),
                    "tax_label": tax.label,
                    "amount_tax_inc": money(a.incl),
                    "amount_tax_exc": money(a.excl),
                    "accounting_code_id": r.accounting_code_id,
                    "analytic_code": null,
                    "is_optional": r.optional,
                });
                let o = v.as_object_mut().unwrap();
                match r.row_type {
                    RowType::Catalog => {
                        let (id, t) = r.related.unwrap_or((1, "product"));
                        o.insert(
                            "related".into(),
                            json!({ "id": id, "type": t, "declination_id": null }),
                        );
                        o.insert("purchase_amount".into(), json!("0.00"));
                        o.insert("unit_id".into(), json!(3));
                        o.insert("eco_tax".into(), Value::Null);
                        o.insert("warehouse_id".into(), Value::Null);
                        o.insert("sku_id".into(), Value::Null);
                    }
                    RowType::Shipping => {
                        o.insert("related".into(), json!({ "id": 1, "type": "shipping" }));
                    }
                    _ => {
                        o.insert("purchase_amount".into(), json!("0.00"));
                        o.insert("unit_id".into(), json!(3));
                    }
                }
                v
            }
        }
    }

    /// Sales-journal lines of one finalized document (`AccountingJournal` items): third party
    /// on 411, revenue per account, the document discount on 709, VAT per rate. Credit notes
    /// reverse the sides.
    pub fn journal_lines(&self, doc: &Doc) -> Vec<Value> {
        let a = compute(doc, &self.taxes);
        let (name, reference, party_id, party_type) = self.party_name(doc.party);
        let aux = match doc.party {
            PartyRef::Company(i) => self.companies[i].auxiliary_code.clone(),
            PartyRef::Individual(i) => self.individuals[i].auxiliary_code.clone(),
        };
        let credit_note = doc.kind == Kind::CreditNote;
        let (dr, cr) = if credit_note {
            ("credit", "debit")
        } else {
            ("debit", "credit")
        };
        let prefix = if credit_note { "Avoir" } else { "Facture" };
        let label = format!("{prefix} n°{} - {name}", doc.number);
        let document = json!({
            "type": doc.kind.as_str(), "id": doc.id, "number": doc.number,
            "due_date": (doc.date + Duration::days(30)).to_string(), "subject": doc.subject,
            "public_link": format!("https://sellsy.link/sim{}", doc.id),
            "service_start_date": null, "service_end_date": null, "currency": "EUR", "external_reference": null
        });
        let mut lines = Vec::new();
        let mut push = |n: u64,
                        code_id: u64,
                        direction: &str,
                        amount: Decimal,
                        aux: Option<&str>| {
            if amount.is_zero() {
                return;
            }
            let code = self.code(code_id).expect("code in chart");
            let (direction, amount) = if amount.is_sign_negative() {
                (
                    if direction == "debit" {
                        "credit"
                    } else {
                        "debit"
                    },
                    -amount,
                )
            } else {
                (direction, amount)
            };
            let mut companies = Vec::new();
            let mut individuals = Vec::new();
            let entry = json!({ "id": party_id, "name": name, "reference": reference });
            if party_type == "company" {
                companies.push(entry)
            } else {
                individuals.push(entry)
            }
            lines.push(json!({
                "id": doc.id * 100 + n + if credit_note { 50 } else { 0 },
                "related": [ { "type": party_type, "id": party_id }, { "type": doc.kind.as_str(), "id": doc.id } ],
                "analytic_code": null,
                "amount": { "direction": direction, "value": money(amount) },
                "code": { "label": code.label, "value": code.code },
                "type": "SALES",
                "date": doc.date.to_string(),
                "label": label,
                "recorded": doc.sent_to_accounting,
                "accounting_type": 1,
                "analytic_plan": 1,
                "auxiliary_code": aux,
                "document": document,
                "documents": [document],
                "companies": companies,
                "individuals": individuals,
            }));
        };
        push(1, CODE_CLIENTS, dr, a.incl, Some(&aux));
        let mut n = 2;
        for (code, amount) in &a.per_account {
            push(n, *code, cr, *amount, None);
            n += 1;
        }
        push(n, CODE_DISCOUNT, dr, a.discount, None);
        n += 1;
        for (t, _, vat) in &a.per_rate {
            push(n, self.taxes[*t].account_id, cr, *vat, None);
            n += 1;
        }
        lines
    }
}

fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' | 'É' => 'e',
            'à' | 'â' => 'a',
            'ï' | 'î' => 'i',
            'ô' => 'o',
            'ç' => 'c',
            'û' | 'ü' => 'u',
            c => c,
        })
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

fn paris(date: NaiveDate, minutes: u32) -> DateTime<FixedOffset> {
    let tz = FixedOffset::east_opt(3600).unwrap();
    let naive = date
        .and_hms_opt(minutes / 60 % 24, minutes % 60, 7)
        .unwrap();
    tz.from_local_datetime(&naive).unwrap()
}

fn subject_for(rows: &[RowData], date: NaiveDate) -> String {
    let months = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let m = months[(date.format("%m").to_string().parse::<usize>().unwrap_or(1) - 1) % 12];
    match rows.first() {
        Some(r) => format!("{} — {m} {}", r.description, date.format("%Y")),
        None => format!("Facture {m}"),
    }
}
