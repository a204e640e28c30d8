//! The EN 16931-1 semantic model, as much of it as booking needs (BT-/BG- numbers of the norm).
//! Every amount is what the file says, unrounded; a value present but unreadable is kept in
//! [`Invoice::malformed`] so the checks can name it.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// The syntax the invoice was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syntax {
    /// UN/CEFACT Cross Industry Invoice D16B (Factur-X, ZUGFeRD 2.x, XRechnung CII).
    Cii,
    /// ZUGFeRD 1.0 `CrossIndustryDocument` (CII D13B-like).
    Zugferd1,
    /// OASIS UBL 2.1 `Invoice` or `CreditNote`.
    Ubl,
}

/// The profile (CIUS / extension) named by the specification identifier BT-24.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Factur-X / ZUGFeRD 2 MINIMUM: header totals only, no VAT breakdown, no lines.
    Minimum,
    /// Factur-X / ZUGFeRD 2 BASIC WL: header with VAT breakdown, no lines.
    BasicWl,
    /// Factur-X / ZUGFeRD 2 BASIC: a subset of EN 16931 with lines.
    Basic,
    /// EN 16931 itself, or a CIUS of it (Peppol BIS 3 and others) other than XRechnung.
    En16931,
    /// Factur-X / ZUGFeRD EXTENDED, or another extension conformant with EN 16931 (CTC FR).
    Extended,
    /// XRechnung (German CIUS).
    XRechnung,
    /// ZUGFeRD 1.0 BASIC, COMFORT or EXTENDED (before EN 16931).
    Zugferd1(String),
    /// No specification identifier, or one that is not known.
    Unknown(String),
}

impl Profile {
    /// The profile a specification identifier (BT-24) names.
    pub fn from_id(id: Option<&str>) -> Profile {
        let Some(id) = id.map(str::trim) else {
            return Profile::Unknown(String::new());
        };
        let lower = id.to_ascii_lowercase();
        if let Some(level) = lower.strip_prefix("urn:ferd:crossindustrydocument:invoice:1p0:") {
            return Profile::Zugferd1(level.to_ascii_uppercase());
        }
        // The Factur-X 1.0 release candidates (2017) wrote the CIUS with colons, not `#`
        // (`urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:extended`); software of that time
        // still emits it, and Mustang reads it as the level it names.
        if let Some(level) =
            lower.strip_prefix("urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:")
            && let Some(profile) = Profile::from_level(level)
        {
            return profile;
        }
        match lower.as_str() {
            "urn:factur-x.eu:1p0:minimum" | "urn:zugferd.de:2p0:minimum" => Profile::Minimum,
            "urn:factur-x.eu:1p0:basicwl" | "urn:zugferd.de:2p0:basicwl" => Profile::BasicWl,
            "urn:cen.eu:en16931:2017" => Profile::En16931,
            _ => {
                if let Some(cius) = lower.strip_prefix("urn:cen.eu:en16931:2017#compliant#") {
                    if cius.ends_with(":basic") {
                        Profile::Basic
                    } else if cius.contains("xrechnung") {
                        Profile::XRechnung
                    } else {
                        Profile::En16931
                    }
                } else if lower.starts_with("urn:cen.eu:en16931:2017#conformant#")
                    || lower.starts_with("urn:cen.eu:en16931:2017#extension#")
                {
                    Profile::Extended
                } else {
                    Profile::Unknown(id.to_string())
                }
            }
        }
    }

    /// A Factur-X / ZUGFeRD level name (`minimum`, `basicwl`, `basic`, `en16931`, `extended`;
    /// ZUGFeRD 1's `comfort` is the level EN 16931 grew from).
    fn from_level(level: &str) -> Option<Profile> {
        Some(match level {
            "minimum" => Profile::Minimum,
            "basicwl" => Profile::BasicWl,
            "basic" => Profile::Basic,
            "en16931" | "comfort" => Profile::En16931,
            "extended" => Profile::Extended,
            _ => return None,
        })
    }

    /// For an EN 16931 (CII D16B or UBL) document: the profile whose rules it is checked by. A
    /// ZUGFeRD 1.0 identifier in a D16B invoice (the CEN test file CII-BR-CO-10-RoundingIssue)
    /// is read as the level it names: EN 16931 only requires BT-24 to be present (BR-01) and
    /// the data, not the label, is booked; [`obsolete_id_note`] tells the supplier to update.
    pub fn for_en16931_syntax(self) -> Profile {
        match &self {
            Profile::Zugferd1(level) => {
                Profile::from_level(&level.to_ascii_lowercase()).unwrap_or(self)
            }
            _ => self,
        }
    }

    /// Whether the profile carries invoice lines (BG-25).
    pub fn has_lines(&self) -> bool {
        !matches!(self, Profile::Minimum | Profile::BasicWl)
    }

    /// Whether the profile carries the VAT breakdown (BG-23).
    pub fn has_vat_breakdown(&self) -> bool {
        !matches!(self, Profile::Minimum)
    }

    pub fn label(&self) -> String {
        match self {
            Profile::Minimum => "MINIMUM".into(),
            Profile::BasicWl => "BASIC WL".into(),
            Profile::Basic => "BASIC".into(),
            Profile::En16931 => "EN 16931".into(),
            Profile::Extended => "EXTENDED".into(),
            Profile::XRechnung => "XRECHNUNG".into(),
            Profile::Zugferd1(level) => format!("ZUGFeRD 1 {level}"),
            Profile::Unknown(id) if id.is_empty() => "none".into(),
            Profile::Unknown(id) => format!("unknown ({id})"),
        }
    }
}

/// An identifier with its scheme (ISO 6523 ICD such as `0002` SIREN, `0009` SIRET, `0088` GLN).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identifier {
    pub scheme: Option<String>,
    pub value: String,
}

/// Seller (BG-4) or buyer (BG-7).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradeParty {
    /// Whether the group is present at all.
    pub present: bool,
    /// BT-27 / BT-44.
    pub name: Option<String>,
    /// BT-28 / BT-45.
    pub trading_name: Option<String>,
    /// BT-29 / BT-46 (and CII GlobalID).
    pub ids: Vec<Identifier>,
    /// BT-30 / BT-47: legal registration (SIREN in France, scheme 0002).
    pub legal_ids: Vec<Identifier>,
    /// BT-31 / BT-48.
    pub vat_id: Option<String>,
    /// BT-32: tax registration other than VAT.
    pub tax_registration: Option<String>,
    /// Whether the postal address (BG-5 / BG-8) is present.
    pub has_address: bool,
    /// BT-40 / BT-55.
    pub country: Option<String>,
}

impl TradeParty {
    /// The SIREN this party states: a legal or party id of scheme 0002 (9 digits, or the first 9
    /// of a SIRET written there), of scheme 0009 (SIRET), else the French VAT number's.
    pub fn siren(&self) -> Option<String> {
        let all = self.legal_ids.iter().chain(self.ids.iter());
        for wanted in ["0002", "0009"] {
            for id in all.clone() {
                if id.scheme.as_deref() == Some(wanted) {
                    let digits: String = id.value.chars().filter(|c| !c.is_whitespace()).collect();
                    let ok = digits.bytes().all(|b| b.is_ascii_digit());
                    if ok && (digits.len() == 9 || digits.len() == 14) {
                        return Some(digits[..9].to_string());
                    }
                }
            }
        }
        self.vat_id.as_deref().and_then(siren_of_french_vat)
    }

    /// The SIRET this party states (scheme 0009, or 14 digits under 0002).
    pub fn siret(&self) -> Option<String> {
        self.legal_ids
            .iter()
            .chain(self.ids.iter())
            .filter(|id| matches!(id.scheme.as_deref(), Some("0009") | Some("0002")))
            .map(|id| {
                id.value
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
            })
            .find(|d| d.len() == 14 && d.bytes().all(|b| b.is_ascii_digit()))
    }

    /// The VAT number without spaces, upper-case.
    pub fn vat_normalized(&self) -> Option<String> {
        self.vat_id.as_deref().map(normalize_vat)
    }
}

/// `FR` + 2-character key + SIREN (CGI annexe II art. 286 ter).
pub fn siren_of_french_vat(vat: &str) -> Option<String> {
    let vat = normalize_vat(vat);
    let rest = vat.strip_prefix("FR")?;
    let siren = rest.get(2..)?;
    (siren.len() == 9 && siren.bytes().all(|b| b.is_ascii_digit())).then(|| siren.to_string())
}

pub fn normalize_vat(vat: &str) -> String {
    vat.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// One row of the VAT breakdown (BG-23).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VatBreakdown {
    /// BT-118 (UNCL 5305: S, Z, E, AE, K, G, O, L, M).
    pub category: Option<String>,
    /// BT-119, in percent.
    pub rate: Option<Decimal>,
    /// BT-116.
    pub basis: Option<Decimal>,
    /// BT-117.
    pub amount: Option<Decimal>,
    /// BT-120.
    pub exemption_reason: Option<String>,
    /// BT-121.
    pub exemption_code: Option<String>,
}

/// A document-level allowance (BG-20) or charge (BG-21).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowanceCharge {
    pub charge: bool,
    /// BT-92 / BT-99.
    pub amount: Option<Decimal>,
    /// BT-93 / BT-100.
    pub base: Option<Decimal>,
    /// BT-94 / BT-101.
    pub percent: Option<Decimal>,
    /// BT-95 / BT-102.
    pub category: Option<String>,
    /// BT-96 / BT-103.
    pub rate: Option<Decimal>,
    /// BT-97 / BT-104.
    pub reason: Option<String>,
    /// BT-98 / BT-105.
    pub reason_code: Option<String>,
}

/// Role of a line in Factur-X EXTENDED sub-line hierarchies (BT-X-8 "subtype of invoice line").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRole {
    /// No subtype: an ordinary line, counted in the totals.
    Normal,
    /// `DETAIL`: a regular item below a group, counted in the totals.
    Detail,
    /// `GROUP`: a subtotal of the lines below it; not counted (they are).
    Group,
    /// `INFORMATION`: for information only; not counted.
    Information,
}

/// An invoice line (BG-25).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    /// BT-126.
    pub id: Option<String>,
    pub parent_id: Option<String>,
    pub role: LineRole,
    /// BT-153.
    pub name: Option<String>,
    /// BT-129.
    pub quantity: Option<Decimal>,
    /// BT-146.
    pub net_price: Option<Decimal>,
    /// BT-149 (absent: 1).
    pub base_quantity: Option<Decimal>,
    /// Line charges (BT-141) minus line allowances (BT-136); zero when there are none.
    pub adjustments: Decimal,
    /// BT-131.
    pub net_amount: Option<Decimal>,
    /// BT-151.
    pub category: Option<String>,
    /// BT-152.
    pub rate: Option<Decimal>,
    /// BT-133: the buyer's accounting reference for this line.
    pub accounting_ref: Option<String>,
}

/// Document totals (BG-22).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentTotals {
    /// BT-106.
    pub line_total: Option<Decimal>,
    /// BT-107.
    pub allowance_total: Option<Decimal>,
    /// BT-108.
    pub charge_total: Option<Decimal>,
    /// BT-109.
    pub tax_basis_total: Option<Decimal>,
    /// BT-110, in the invoice currency.
    pub vat_total: Option<Decimal>,
    /// Whether BT-110 was written (several `TaxTotalAmount` in the invoice currency count too).
    pub vat_total_count: usize,
    /// BT-111, in the VAT accounting currency (BT-6), when given.
    pub vat_total_accounting: Option<Decimal>,
    /// BT-112.
    pub grand_total: Option<Decimal>,
    /// BT-113.
    pub prepaid: Option<Decimal>,
    /// BT-114.
    pub rounding: Option<Decimal>,
    /// BT-115.
    pub due_payable: Option<Decimal>,
}

/// A recognised e-invoice, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub syntax: Syntax,
    /// UBL root `CreditNote` (the type code then comes from `CreditNoteTypeCode`).
    pub ubl_credit_note: bool,
    /// BT-24 as written.
    pub specification_id: Option<String>,
    pub profile: Profile,
    /// BT-3 (UNTDID 1001).
    pub type_code: Option<String>,
    /// BT-1.
    pub number: Option<String>,
    /// BT-2.
    pub issue_date: Option<NaiveDate>,
    /// BT-9.
    pub due_date: Option<NaiveDate>,
    /// BT-5.
    pub currency: Option<String>,
    /// BT-6.
    pub tax_currency: Option<String>,
    /// BT-10.
    pub buyer_reference: Option<String>,
    /// BT-19: the buyer's accounting reference for the whole invoice.
    pub buyer_accounting_ref: Option<String>,
    /// BT-25: the invoice a credit note or correction refers to.
    pub preceding_invoice: Option<String>,
    pub seller: TradeParty,
    /// BT-63: the seller's tax representative's VAT identifier (BG-11).
    pub seller_tax_representative_vat_id: Option<String>,
    /// Whether an actual delivery date (BT-72) or an invoicing period (BG-14) is stated, on the
    /// document or a line.
    pub delivery_date_or_period: bool,
    /// BT-80: the deliver-to country.
    pub deliver_to_country: Option<String>,
    pub buyer: TradeParty,
    pub vat_breakdown: Vec<VatBreakdown>,
    pub allowances_charges: Vec<AllowanceCharge>,
    pub totals: DocumentTotals,
    pub lines: Vec<InvoiceLine>,
    /// Values present but unreadable: (business term, text as written).
    pub malformed: Vec<(String, String)>,
}

impl Invoice {
    pub fn allowances(&self) -> impl Iterator<Item = &AllowanceCharge> {
        self.allowances_charges.iter().filter(|a| !a.charge)
    }

    pub fn charges(&self) -> impl Iterator<Item = &AllowanceCharge> {
        self.allowances_charges.iter().filter(|a| a.charge)
    }

    /// Lines that count in the totals: ordinary and `DETAIL` lines, not group subtotals nor
    /// information lines (Factur-X EXTENDED 1.09, BR-FXEXT-CO-10).
    pub fn counted_lines(&self) -> impl Iterator<Item = &InvoiceLine> {
        self.lines
            .iter()
            .filter(|l| matches!(l.role, LineRole::Normal | LineRole::Detail))
    }

    /// Whether BT-3 says credit note (UNTDID 1001 credit-note codes), or a UBL `CreditNote`
    /// without a type code.
    pub fn is_credit_note(&self) -> bool {
        match self.type_code.as_deref() {
            Some(code) => is_credit_note_code(code),
            None => self.ubl_credit_note,
        }
    }
}

/// UNTDID 1001 codes of credit notes (EN 16931 list): booked reversed.
pub const CREDIT_NOTE_CODES: &[&str] = &[
    "81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532",
];

/// UNTDID 1001 codes booked as invoices: commercial (380), debit notes (80, 84, 383, 456, 527),
/// corrected (384), consolidated (385), prepayment (386), self-billed (389), factored (393),
/// partial (326, 875-877), invoice information for accounting purposes (751) and the
/// sector-specific invoices (82, 387, 388, 390, 394, 395, 575, 623, 780).
pub const BOOKED_INVOICE_CODES: &[&str] = &[
    "80", "82", "84", "326", "380", "383", "384", "385", "386", "387", "388", "389", "390", "393",
    "394", "395", "456", "527", "575", "623", "751", "780", "875", "876", "877",
];

/// Every code BR-CL-01 accepts (CEN schematron 1.3.16, EN16931-CII-codes.sch). Those neither
/// in [`CREDIT_NOTE_CODES`] nor in [`BOOKED_INVOICE_CODES`] (proforma 325, tax notification
/// 102, valuations...) are read but not booked automatically.
pub const ALLOWED_TYPE_CODES: &[&str] = &[
    "71", "80", "81", "82", "83", "84", "102", "130", "202", "203", "204", "211", "218", "219",
    "261", "262", "295", "296", "308", "325", "326", "331", "380", "381", "382", "383", "384",
    "385", "386", "387", "388", "389", "390", "393", "394", "395", "396", "420", "456", "457",
    "458", "471", "472", "473", "500", "501", "502", "503", "527", "532", "553", "575", "623",
    "633", "751", "780", "817", "870", "875", "876", "877", "935",
];

pub fn is_credit_note_code(code: &str) -> bool {
    CREDIT_NOTE_CODES.contains(&code.trim())
}

/// When an EN 16931 invoice names its profile with an obsolete spelling (a Factur-X 1.0 release
/// candidate's, or ZUGFeRD 1.0's in a D16B invoice): the note for the integration log.
pub fn obsolete_id_note(inv: &Invoice) -> Option<String> {
    if inv.syntax == Syntax::Zugferd1 {
        return None;
    }
    let id = inv.specification_id.as_deref()?.trim();
    let lower = id.to_ascii_lowercase();
    let obsolete = lower.starts_with("urn:cen.eu:en16931:2017:compliant:")
        || lower.starts_with("urn:ferd:crossindustrydocument:invoice:1p0:");
    obsolete.then(|| {
        format!(
            "its specification identifier (BT-24) '{id}' is an obsolete spelling, read as {}: ask the supplier to update their invoicing software",
            inv.profile.label()
        )
    })
}
