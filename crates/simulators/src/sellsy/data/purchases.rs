//! Purchases of the simulated account: supplier invoices and credit notes, served the only way
//! Sellsy API v2.264.0 serves them, as purchases-journal lines (`AccountingJournal` with
//! `document.type` `purInvoice` / `purCreditNote`), and the incoming documents Sellsy took in
//! (`Ocr`: OCR or e-invoicing intakes, some completed and linked to a purchase, some pending,
//! processing or in error). Generated from their own seeded generator, after the sales, so
//! that the sales of a seed are the same with or without purchases.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{
    Code, Dataset, Intake, PurFile, PurKind, PurLine, Purchase, Supplier, Tax, cents, money,
};

/// Computed amounts of a purchase (positive, on the expense side).
#[derive(Debug, Clone, Default)]
pub struct PurAmounts {
    /// (accounting code id, amount before the document discount).
    pub per_account: Vec<(u64, Decimal)>,
    pub discount: Decimal,
    /// (tax index, base after discount, VAT).
    pub per_rate: Vec<(usize, Decimal, Decimal)>,
    pub excl: Decimal,
    pub vat: Decimal,
    pub incl: Decimal,
}

/// Accounting code ids of the purchases side of the simulated chart.
pub const CODE_SUPPLIERS: u64 = 7020;
pub const CODE_DISCOUNT_OBTAINED: u64 = 7033;
const EXPENSES: &[u64] = &[7024, 7028, 7026, 7029];

/// The deductible-VAT account id of each of the simulated taxes (same order as `taxes()`).
pub fn deductible_code(tax: usize) -> u64 {
    match tax {
        0..=3 => 7040 + tax as u64,
        _ => 7023,
    }
}

/// The purchases side of the chart of accounts.
pub(super) fn chart() -> Vec<Code> {
    let c = |id, code, label, views: &'static [&'static str]| Code {
        id,
        code,
        label,
        views,
    };
    vec![
        c(
            7029,
            "626000",
            "Frais postaux et de télécommunications",
            &["purchase"],
        ),
        c(
            7033,
            "609000",
            "Rabais, remises et ristournes obtenus sur achats",
            &["purchase"],
        ),
        c(7040, "445662", "TVA déductible 20 %", &[]),
        c(7041, "445663", "TVA déductible 10 %", &[]),
        c(7042, "445664", "TVA déductible 5,5 %", &[]),
        c(7043, "445665", "TVA déductible 2,1 %", &[]),
    ]
}

const SUPPLIERS: &[&str] = &[
    "Fournitures Bureau Plus",
    "Télécom Horizon",
    "Transports Lebrun",
    "Imprimerie Vidal",
    "Énergie Durand",
    "Cabinet Conseil Marchal",
    "Papeterie du Centre",
];

pub fn compute(p: &Purchase, taxes: &[Tax]) -> PurAmounts {
    let mut a = PurAmounts::default();
    let mut base: Vec<(usize, Decimal)> = Vec::new();
    for l in &p.lines {
        match a.per_account.iter_mut().find(|(c, _)| *c == l.code_id) {
            Some(s) => s.1 += l.net,
            None => a.per_account.push((l.code_id, l.net)),
        }
        match base.iter_mut().find(|(t, _)| *t == l.tax) {
            Some(s) => s.1 += l.net,
            None => base.push((l.tax, l.net)),
        }
    }
    base.sort_by_key(|(t, _)| *t);
    for (t, b) in base {
        let disc = p
            .discount_pct
            .map(|pct| cents(b * pct / Decimal::ONE_HUNDRED))
            .unwrap_or_default();
        a.discount += disc;
        let after = b - disc;
        let vat = cents(after * taxes[t].rate / Decimal::ONE_HUNDRED);
        a.vat += vat;
        a.excl += after;
        a.per_rate.push((t, after, vat));
    }
    a.incl = a.excl + a.vat;
    a
}

/// Suppliers, purchases and incoming documents for `n` purchases dated from `from` to `to`.
pub(super) fn generate(
    seed: u64,
    n: usize,
    from: NaiveDate,
    to: NaiveDate,
) -> (Vec<Supplier>, Vec<Purchase>, Vec<Intake>) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5055_5243_4841_5345);
    let suppliers: Vec<Supplier> = SUPPLIERS
        .iter()
        .enumerate()
        .map(|(i, name)| Supplier {
            id: 6_000_001 + i as u64 * 11,
            name: name.to_string(),
            reference: format!("FRN-{:04}", 100 + i),
            auxiliary_code: format!("F{:07}", 100 + i),
        })
        .collect();
    let days = (to - from).num_days().max(0);
    let mut per_supplier = vec![0u32; suppliers.len()];
    let (mut purchases, mut intakes) = (Vec::new(), Vec::new());
    let money = |rng: &mut StdRng, lo: i64, hi: i64| Decimal::new(rng.random_range(lo..hi), 2);
    for i in 0..n {
        let kind = if i % 6 == 5 {
            PurKind::CreditNote
        } else {
            PurKind::Invoice
        };
        let supplier = rng.random_range(0..suppliers.len());
        per_supplier[supplier] += 1;
        let offset = if n > 1 {
            days * i as i64 / (n as i64 - 1)
        } else {
            0
        };
        let date = from + Duration::days(offset);
        let lines = (0..rng.random_range(1..=3))
            .map(|_| {
                let gross = money(&mut rng, 500, 90_000) * Decimal::from(rng.random_range(1..4));
                let net = if rng.random_bool(0.2) {
                    gross - cents(gross * Decimal::new(75, 1) / Decimal::ONE_HUNDRED)
                } else {
                    gross
                };
                PurLine {
                    code_id: EXPENSES[rng.random_range(0..EXPENSES.len())],
                    net,
                    tax: [0, 0, 0, 1, 2, 3][rng.random_range(0..6)],
                }
            })
            .collect();
        let id = match kind {
            PurKind::Invoice => 70_000 + i as u64 * 3,
            PurKind::CreditNote => 90_000 + i as u64 * 3,
        };
        let prefix = if kind == PurKind::CreditNote {
            "AV"
        } else {
            "F"
        };
        let file = match rng.random_range(0..10) {
            0 => PurFile::None,
            1 | 2 => PurFile::Png,
            _ => PurFile::Pdf,
        };
        let p = Purchase {
            kind,
            id,
            number: format!("{prefix}-2026-{:04}", per_supplier[supplier]),
            date,
            subject: format!("{} {}", SUBJECTS[i % SUBJECTS.len()], date.format("%m/%Y")),
            supplier,
            lines,
            discount_pct: rng.random_bool(0.2).then(|| Decimal::from(5)),
            file,
            version: 1,
            sent_to_accounting: rng.random_bool(0.1),
        };
        let created = at(date + Duration::days(1), 9 + (i % 8) as u32);
        let source = match rng.random_range(0..10) {
            0..=4 => Some("ocr"),
            5 | 6 => Some("einvoicing"),
            _ => None,
        };
        if let (Some(source), true) = (source, kind == PurKind::Invoice && file != PurFile::None) {
            intakes.push(Intake {
                id: 300 + i as u64,
                file_name: file_name(&p),
                linked_id: Some(p.id),
                state: "completed",
                error_code: None,
                source,
                supplier: Some(suppliers[supplier].name.clone()),
                total_excl_tax: None,
                created,
            });
        }
        purchases.push(p);
    }
    // Files Sellsy has not turned into purchases: one still waiting, one being read, one failed.
    for (k, (state, error_code)) in [("pending", None), ("processing", None), ("error", Some(3))]
        .into_iter()
        .enumerate()
    {
        let day = from + Duration::days(days * (k as i64 + 1) / 4);
        intakes.push(Intake {
            id: 900 + k as u64,
            file_name: format!("scan-{}-{k}.pdf", day.format("%Y%m%d")),
            linked_id: None,
            state,
            error_code,
            source: "ocr",
            supplier: (k == 0).then(|| suppliers[0].name.clone()),
            total_excl_tax: None,
            created: at(day, 11),
        });
    }
    (suppliers, purchases, intakes)
}

const SUBJECTS: &[&str] = &[
    "Fournitures",
    "Abonnement",
    "Transport",
    "Impression",
    "Énergie",
    "Conseil",
];

fn at(day: NaiveDate, hour: u32) -> DateTime<FixedOffset> {
    let paris = FixedOffset::east_opt(3600).expect("offset");
    paris
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).expect("time"))
        .single()
        .expect("datetime")
}

pub fn file_name(p: &Purchase) -> String {
    let ext = if p.file == PurFile::Png { "png" } else { "pdf" };
    format!("{}.{ext}", p.number.to_lowercase())
}

impl Dataset {
    pub fn purchase(&self, kind: PurKind, id: u64) -> Option<&Purchase> {
        self.purchases.iter().find(|p| p.kind == kind && p.id == id)
    }

    pub fn purchase_file_key(&self, p: &Purchase) -> String {
        let mut h: u64 = 0x9e37_79b9_7f4a_7c15 ^ self.seed;
        for b in format!("{}:{}:{}", p.kind.as_str(), p.id, p.version).bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}{:08x}", p.id)
    }

    /// `document.public_link` of the purchase's lines: its file, or null when it has none.
    pub fn purchase_link(&self, p: &Purchase, base: &str) -> Value {
        if p.file == PurFile::None {
            return Value::Null;
        }
        json!(format!(
            "{base}/file?id={}-{}&key={}&display=Y",
            p.kind.as_str(),
            p.id,
            self.purchase_file_key(p)
        ))
    }

    /// The purchase's lines as `POST /accounting-journal/purchases/search` returns them.
    pub fn purchase_lines(&self, p: &Purchase, base: &str) -> Vec<Value> {
        let a = compute(p, &self.taxes);
        let s = &self.suppliers[p.supplier];
        let credit_note = p.kind == PurKind::CreditNote;
        let (dr, cr) = if credit_note {
            ("credit", "debit")
        } else {
            ("debit", "credit")
        };
        let title = if credit_note {
            "Avoir fournisseur"
        } else {
            "Facture fournisseur"
        };
        let document = json!({
            "type": p.kind.as_str(), "id": p.id, "number": p.number,
            "due_date": (p.date + Duration::days(30)).to_string(), "subject": p.subject,
            "public_link": self.purchase_link(p, base),
            "service_start_date": null, "service_end_date": null, "currency": "EUR", "external_reference": null
        });
        let mut out = Vec::new();
        let mut push = |n: u64,
                        code_id: u64,
                        direction: &str,
                        amount: Decimal,
                        aux: Option<&str>| {
            if amount.is_zero() {
                return;
            }
            let code = self.code(code_id).expect("code in chart");
            out.push(json!({
                "id": 800_000 + p.id * 10 + n,
                "related": [ { "type": "company", "id": s.id }, { "type": p.kind.as_str(), "id": p.id } ],
                "analytic_code": null,
                "amount": { "direction": direction, "value": money(amount) },
                "code": { "label": code.label, "value": code.code },
                "type": "PURCHASES",
                "date": p.date.to_string(),
                "label": format!("{title} n°{} - {}", p.number, s.name),
                "recorded": p.sent_to_accounting,
                "accounting_type": 1,
                "analytic_plan": 1,
                "auxiliary_code": aux,
                "document": document,
                "documents": [document],
                "companies": [ { "id": s.id, "name": s.name, "reference": s.reference } ],
                "individuals": [],
            }));
        };
        push(1, CODE_SUPPLIERS, cr, a.incl, Some(&s.auxiliary_code));
        let mut n = 2;
        for (code, amount) in &a.per_account {
            push(n, *code, dr, *amount, None);
            n += 1;
        }
        push(n, CODE_DISCOUNT_OBTAINED, cr, a.discount, None);
        n += 1;
        for (t, _, vat) in &a.per_rate {
            push(n, deductible_code(*t), dr, *vat, None);
            n += 1;
        }
        out
    }

    /// An incoming document as `Ocr`.
    pub fn intake_json(&self, i: &Intake) -> Value {
        json!({
            "id": i.id, "staff_id": 1, "file_name": i.file_name, "linked_type": "purInvoice",
            "linked_id": i.linked_id, "created_at": i.created.to_rfc3339(),
            "completed_at": (i.state == "completed").then(|| (i.created + Duration::minutes(3)).to_rfc3339()),
            "state": i.state, "error_code": i.error_code, "source": i.source,
            "supplier": i.supplier, "total_excl_tax": i.total_excl_tax.map(money),
            "currency": (i.state == "completed").then_some("EUR"),
        })
    }
}

/// A small valid PNG (one white pixel) carrying `text` in a `tEXt` chunk, so that each file is
/// its own.
pub fn png(text: &str) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    let mut text_data = b"Comment\0".to_vec();
    text_data.extend(text.bytes().filter(|b| b.is_ascii()));
    chunk(&mut out, b"tEXt", &text_data);
    // zlib stream of one scanline: filter 0, RGB white.
    chunk(
        &mut out,
        b"IDAT",
        &[
            0x78, 0x9c, 0x63, 0xf8, 0xff, 0xff, 0x3f, 0x00, 0x05, 0xfe, 0x02, 0xfe,
        ],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in bytes {
        crc ^= *b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
