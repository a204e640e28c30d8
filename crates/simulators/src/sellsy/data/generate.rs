//! The deterministic generator: companies, individuals, invoices (rows at every VAT rate,
//! comments, optional rows, shipping, discounts) and credit notes on finalized invoices. Every
//! value comes from one seeded generator, drawn in a fixed order: the same seed gives the same
//! dataset, byte for byte.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;

use super::tables::{
    self, APE, CITIES, COMPANY_STEMS, FIRST_NAMES, GOODS, LAST_NAMES, LEGAL_FORMS, SERVICES,
};
use super::{
    CODE_GOODS, CODE_SERVICES, CODE_SHIPPING, Company, Dataset, Doc, GenParams, Individual, Kind,
    PartyRef, RowData, RowType,
};

impl Dataset {
    pub fn generate(p: &GenParams) -> Dataset {
        let mut rng = StdRng::seed_from_u64(p.seed);
        let taxes = tables::taxes();
        let codes = tables::chart();
        let companies = companies(&mut rng, p.companies.max(1));
        let individuals = individuals(&mut rng, p.individuals.max(1));
        let mut row_id = 1u64;
        let invoices = invoices(&mut rng, p, companies.len(), individuals.len(), &mut row_id);
        let credit_notes = credit_notes(&mut rng, p, &invoices, &mut row_id);
        // Their own generator: the sales of a seed do not depend on the purchases.
        let (suppliers, purchases, intakes) =
            super::purchases::generate(p.seed, p.purchases, p.from, p.to);
        let mut codes = codes;
        codes.extend(super::purchases::chart());
        Dataset {
            taxes,
            codes,
            suppliers,
            purchases,
            intakes,
            companies,
            individuals,
            invoices,
            credit_notes,
            seed: p.seed,
        }
    }
}

fn companies(rng: &mut StdRng, n: usize) -> Vec<Company> {
    let mut companies = Vec::new();
    for i in 0..n {
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
    companies
}

fn individuals(rng: &mut StdRng, n: usize) -> Vec<Individual> {
    let mut individuals = Vec::new();
    for i in 0..n {
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
    individuals
}

fn invoices(
    rng: &mut StdRng,
    p: &GenParams,
    companies: usize,
    individuals: usize,
    row_id: &mut u64,
) -> Vec<Doc> {
    let days = (p.to - p.from).num_days().max(0);
    let mut invoices = Vec::new();
    let mut id = 10_000u64;
    let mut number = 0u32;
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
            PartyRef::Company(rng.random_range(0..companies))
        } else {
            PartyRef::Individual(rng.random_range(0..individuals))
        };
        // Every rate appears: the main rate cycles through the five rates.
        let main_tax = i % 5;
        let (rows, goods, services) = invoice_rows(rng, main_tax, row_id);
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
            journal: None,
        });
    }
    invoices
}

/// The rows of one invoice; returns them with the number of goods and service rows.
fn invoice_rows(rng: &mut StdRng, main_tax: usize, row_id: &mut u64) -> (Vec<RowData>, u32, u32) {
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
            id: *row_id,
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
        *row_id += 1;
    }
    if rng.random_bool(0.1) {
        rows.push(RowData {
            id: *row_id,
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
        *row_id += 1;
    }
    if rng.random_bool(0.05) {
        // An optional row: shown on the document, excluded from totals.
        rows.push(RowData {
            id: *row_id,
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
        *row_id += 1;
    }
    if goods > 0 && rng.random_bool(0.2) {
        rows.push(RowData {
            id: *row_id,
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
        *row_id += 1;
    }
    (rows, goods, services)
}

fn credit_notes(rng: &mut StdRng, p: &GenParams, invoices: &[Doc], row_id: &mut u64) -> Vec<Doc> {
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
                    r.id = *row_id;
                    *row_id += 1;
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
            r.id = *row_id;
            *row_id += 1;
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
            journal: inv.journal.clone(),
        });
    }
    credit_notes
}

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
