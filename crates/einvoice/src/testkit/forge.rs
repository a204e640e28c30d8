//! A generator of e-invoices written from the norms (EN 16931-1 calculation rules, the
//! EN 16931-3-2/3-3 UBL and CII bindings, the Factur-X 1.0.07 profile contents, element order
//! of the CII D16B and UBL 2.1 schemas), so the tests never need someone else's sample file.
//! Every amount is computed here the way the norm says it is computed; the independent
//! validator then judges what was written.

#![allow(dead_code)]

use rust_decimal::{Decimal, RoundingStrategy};

/// Where the generated invoice goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// CII in one of the Factur-X profiles.
    Cii(Level),
    UblInvoice,
    UblCreditNote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Minimum,
    BasicWl,
    Basic,
    En16931,
    Extended,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Minimum,
        Level::BasicWl,
        Level::Basic,
        Level::En16931,
        Level::Extended,
    ];

    pub fn guideline(self) -> &'static str {
        match self {
            Level::Minimum => "urn:factur-x.eu:1p0:minimum",
            Level::BasicWl => "urn:factur-x.eu:1p0:basicwl",
            Level::Basic => "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
            Level::En16931 => "urn:cen.eu:en16931:2017",
            Level::Extended => "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
        }
    }

    /// The level name the factur-x Python package uses.
    pub fn facturx_level(self) -> &'static str {
        match self {
            Level::Minimum => "minimum",
            Level::BasicWl => "basicwl",
            Level::Basic => "basic",
            Level::En16931 => "en16931",
            Level::Extended => "extended",
        }
    }

    pub fn has_lines(self) -> bool {
        !matches!(self, Level::Minimum | Level::BasicWl)
    }
}

/// VAT category of a line, allowance or charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cat {
    /// Standard rate, with its rate in hundredths of a percent (2000 = 20 %).
    S(u32),
    /// Zero rated.
    Z,
    /// Exempt (with an exemption reason).
    E,
    /// Reverse charge, the buyer accounts for the VAT (BR-AE-*: 0 %, both VAT ids).
    AE,
    /// Intra-community supply (BR-IC-*: 0 %, both VAT ids, delivery date and country).
    K,
    /// Export outside the EU (BR-G-*: 0 %, the seller's VAT id).
    G,
    /// Not subject to VAT (BR-O-*: no rate, no VAT id, alone on the invoice).
    O,
}

impl Cat {
    pub fn code(self) -> &'static str {
        match self {
            Cat::S(_) => "S",
            Cat::Z => "Z",
            Cat::E => "E",
            Cat::AE => "AE",
            Cat::K => "K",
            Cat::G => "G",
            Cat::O => "O",
        }
    }

    /// Whether a rate (BT-96, BT-103, BT-119, BT-152) is written: never for O (BR-O-05 to -07).
    pub fn has_rate(self) -> bool {
        self != Cat::O
    }

    /// The VAT exemption reason code (BT-121, VATEX list) and text (BT-120) of its breakdown
    /// row (BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10); none for S and Z.
    pub fn exemption(self) -> Option<(Option<&'static str>, &'static str)> {
        Some(match self {
            Cat::S(_) | Cat::Z => return None,
            Cat::E => (None, EXEMPTION),
            Cat::AE => (Some("VATEX-EU-AE"), "Autoliquidation"),
            Cat::K => (
                Some("VATEX-EU-IC"),
                "Livraison intracommunautaire exonérée, article 262 ter I du CGI",
            ),
            Cat::G => (
                Some("VATEX-EU-G"),
                "Exportation hors UE, article 262 I du CGI",
            ),
            Cat::O => (Some("VATEX-EU-O"), "Non soumis à la TVA"),
        })
    }

    /// Whether the buyer self-assesses the VAT of a purchase in this category (autoliquidation).
    pub fn self_assessed(self) -> bool {
        matches!(self, Cat::AE | Cat::K)
    }

    pub fn rate(self) -> Decimal {
        match self {
            Cat::S(r) => Decimal::new(r as i64, 2),
            _ => Decimal::ZERO,
        }
    }
}

/// The exemption text of category E.
pub const EXEMPTION: &str = "Exonération de TVA, article 261 du CGI";

#[derive(Debug, Clone)]
pub struct Line {
    pub name: String,
    pub quantity: Decimal,
    pub price: Decimal,
    pub cat: Cat,
    /// BT-133.
    pub account: Option<String>,
}

impl Line {
    /// BT-131 = BT-129 × BT-146, to the cent (EN 16931-1 §6.5, no line allowances here).
    pub fn net(&self) -> Decimal {
        cents(self.quantity * self.price)
    }
}

#[derive(Debug, Clone)]
pub struct AllowanceCharge {
    pub charge: bool,
    pub amount: Decimal,
    pub cat: Cat,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Party {
    pub name: String,
    pub siren: String,
    pub vat: String,
    /// BT-40 / BT-55.
    pub country: String,
}

impl Party {
    pub fn french(name: &str, siren: &str) -> Party {
        Party {
            name: name.into(),
            siren: siren.into(),
            vat: french_vat(siren),
            country: "FR".into(),
        }
    }

    /// A party outside France with its VAT id (its `siren` then only fills the legal id).
    pub fn foreign(name: &str, siren: &str, vat: &str, country: &str) -> Party {
        Party {
            name: name.into(),
            siren: siren.into(),
            vat: vat.into(),
            country: country.into(),
        }
    }
}

/// BT-72 and BT-80: where and when the goods were delivered (BR-IC-11, BR-IC-12).
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub country: String,
}

/// `FR` + key + SIREN, the key being (12 + 3 × (SIREN mod 97)) mod 97.
pub fn french_vat(siren: &str) -> String {
    let n: u64 = siren.parse().expect("digits");
    format!("FR{:02}{siren}", (12 + 3 * (n % 97)) % 97)
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub kind: Kind,
    pub number: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub due: String,
    pub credit_note: bool,
    pub seller: Party,
    pub buyer: Party,
    pub lines: Vec<Line>,
    pub allowances_charges: Vec<AllowanceCharge>,
    pub prepaid: Decimal,
    /// BT-19.
    pub buyer_account: Option<String>,
    pub delivery: Option<Delivery>,
}

pub fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// One row of the VAT breakdown as the norm computes it.
#[derive(Debug, Clone, PartialEq)]
pub struct VatRow {
    pub cat: Cat,
    pub basis: Decimal,
    pub vat: Decimal,
}

/// BG-22 and BG-23 of a spec, computed.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub line_total: Decimal,
    pub allowances: Decimal,
    pub charges: Decimal,
    pub basis: Decimal,
    pub vat: Decimal,
    pub grand: Decimal,
    pub due: Decimal,
    pub rows: Vec<VatRow>,
}

impl Spec {
    pub fn figures(&self) -> Figures {
        let mut cats: Vec<Cat> = Vec::new();
        let mut add_cat = |c: Cat| {
            if !cats.contains(&c) {
                cats.push(c);
            }
        };
        self.lines.iter().for_each(|l| add_cat(l.cat));
        self.allowances_charges.iter().for_each(|a| add_cat(a.cat));
        cats.sort();
        let rows: Vec<VatRow> = cats
            .into_iter()
            .map(|cat| {
                let lines: Decimal = self
                    .lines
                    .iter()
                    .filter(|l| l.cat == cat)
                    .map(Line::net)
                    .sum();
                let ac: Decimal = self
                    .allowances_charges
                    .iter()
                    .filter(|a| a.cat == cat)
                    .map(|a| if a.charge { a.amount } else { -a.amount })
                    .sum();
                let basis = lines + ac;
                VatRow {
                    cat,
                    basis,
                    vat: cents(basis * cat.rate() / Decimal::ONE_HUNDRED),
                }
            })
            .collect();
        let line_total: Decimal = self.lines.iter().map(Line::net).sum();
        let allowances: Decimal = self
            .allowances_charges
            .iter()
            .filter(|a| !a.charge)
            .map(|a| a.amount)
            .sum();
        let charges: Decimal = self
            .allowances_charges
            .iter()
            .filter(|a| a.charge)
            .map(|a| a.amount)
            .sum();
        let basis = line_total - allowances + charges;
        let vat: Decimal = rows.iter().map(|r| r.vat).sum();
        let grand = basis + vat;
        Figures {
            line_total,
            allowances,
            charges,
            basis,
            vat,
            grand,
            due: grand - self.prepaid,
            rows,
        }
    }

    /// A typical French invoice: two rates, an allowance, a charge, three lines.
    pub fn typical(kind: Kind) -> Spec {
        Spec {
            kind,
            number: "FA-2026-0042".into(),
            date: "2026-09-15".into(),
            due: "2026-10-15".into(),
            credit_note: matches!(kind, Kind::UblCreditNote),
            seller: Party::french("Fournitures Dupont SARL", "732829320"),
            buyer: Party::french("Cabinet Martin SAS", "552081317"),
            lines: vec![
                line(
                    "Ramettes papier A4",
                    "12",
                    "4.35",
                    Cat::S(2000),
                    Some("606400"),
                ),
                line("Livres de référence", "3", "18.90", Cat::S(550), None),
                line("Cartouches d'encre", "2", "31.25", Cat::S(2000), None),
            ],
            allowances_charges: vec![
                AllowanceCharge {
                    charge: false,
                    amount: Decimal::new(500, 2),
                    cat: Cat::S(2000),
                    reason: "Remise fidélité".into(),
                },
                AllowanceCharge {
                    charge: true,
                    amount: Decimal::new(790, 2),
                    cat: Cat::S(2000),
                    reason: "Frais de port".into(),
                },
            ],
            prepaid: Decimal::ZERO,
            buyer_account: Some("606100".into()),
            delivery: None,
        }
    }

    /// Whether the invoice is not subject to VAT (O): then no VAT id is written (BR-O-02 to -04).
    pub fn not_subject(&self) -> bool {
        self.lines.iter().any(|l| l.cat == Cat::O)
            || self.allowances_charges.iter().any(|a| a.cat == Cat::O)
    }

    /// The same invoice with other lines and allowances or charges.
    fn with(mut self, lines: Vec<Line>, ac: Vec<AllowanceCharge>) -> Spec {
        self.lines = lines;
        self.allowances_charges = ac;
        self.buyer_account = None;
        self
    }

    /// A subcontractor's building works under domestic reverse charge (AE, CGI art. 283-2
    /// nonies), with an allowance on them and scaffolding hire at 20 %.
    pub fn reverse_charge(kind: Kind) -> Spec {
        let mut s = Spec::typical(kind).with(
            vec![
                line("Gros œuvre lot 2", "1", "10000.00", Cat::AE, Some("604000")),
                line("Location d'échafaudage", "1", "500", Cat::S(2000), None),
            ],
            vec![allowance(false, "200.00", Cat::AE, "Remise chantier")],
        );
        s.number = "ST-2026-118".into();
        s.seller = Party::french("Maçonnerie Leroy SARL", "732829320");
        s
    }

    /// A German supplier's goods delivered to France (K, CGI art. 256 bis), transport charged.
    pub fn intra_community(kind: Kind) -> Spec {
        let mut s = Spec::typical(kind).with(
            vec![line("Pièces usinées", "2", "1250.00", Cat::K, None)],
            vec![allowance(true, "60.00", Cat::K, "Transport")],
        );
        s.number = "RE-2026-0917".into();
        s.seller = Party::foreign(
            "Maschinenbau Schmidt GmbH",
            "732829320",
            "DE811907980",
            "DE",
        );
        s.delivery = Some(Delivery {
            date: "2026-09-10".into(),
            country: "FR".into(),
        });
        s
    }

    /// Goods exported to a Swiss buyer (G, CGI art. 262 I).
    pub fn export(kind: Kind) -> Spec {
        let mut s = Spec::typical(kind).with(
            vec![
                line("Vins de Bourgogne", "24", "18.50", Cat::G, None),
                line("Caisses bois", "4", "6.25", Cat::G, None),
            ],
            vec![allowance(true, "35.00", Cat::G, "Emballage export")],
        );
        s.buyer = Party::foreign("Weinhandel Zürich AG", "552081317", "CHE116281710", "CH");
        s
    }

    /// An association's fees, not subject to VAT (O): alone on the invoice, no VAT id.
    pub fn not_subject_to_vat(kind: Kind) -> Spec {
        Spec::typical(kind).with(
            vec![
                line("Cotisation annuelle", "1", "120.00", Cat::O, None),
                line("Droit d'entrée", "1", "30.00", Cat::O, None),
            ],
            vec![allowance(false, "15.00", Cat::O, "Réduction adhérent")],
        )
    }
}

pub fn allowance(charge: bool, amount: &str, cat: Cat, reason: &str) -> AllowanceCharge {
    AllowanceCharge {
        charge,
        amount: amount.parse().unwrap(),
        cat,
        reason: reason.into(),
    }
}

pub fn line(name: &str, q: &str, p: &str, cat: Cat, account: Option<&str>) -> Line {
    Line {
        name: name.into(),
        quantity: q.parse().unwrap(),
        price: p.parse().unwrap(),
        cat,
        account: account.map(str::to_string),
    }
}
