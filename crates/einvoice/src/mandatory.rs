//! Mandatory fields of each profile (EN 16931-1 BR-01 to BR-16, BR-24, BR-CO-18) as the
//! Factur-X 1.09 profile schematrons keep them (MINIMUM: BR-01 to BR-09 and BR-13 to BR-15;
//! BASIC WL adds BR-10 to BR-12 and the VAT breakdown; the profiles with lines add BR-16 and
//! BR-24), the code lists booking depends on (BR-CL-01 type code), values that are not numbers
//! or dates (schema level) and the two-decimal limit of amounts (BR-DEC).

use rust_decimal::Decimal;

use crate::model::{ALLOWED_TYPE_CODES, Invoice, Profile, Syntax};
use crate::violation::Violation;

pub(crate) fn check_fields(inv: &Invoice, out: &mut Vec<Violation>) {
    for (term, text) in &inv.malformed {
        out.push(Violation::new(
            "XSD",
            format!("{term} '{text}' is not a valid number or date, or is out of range"),
        ));
    }
    let profile = &inv.profile;
    if let Profile::Unknown(id) = profile
        && !id.is_empty()
    {
        out.push(Violation::new(
            "BT-24",
            format!(
                "the specification identifier '{id}' names no known profile (Factur-X, ZUGFeRD, EN 16931, XRechnung, Peppol)"
            ),
        ));
    }
    // A ZUGFeRD 1.0 identifier belongs to a ZUGFeRD 1.0 document, and only there (the
    // Factur-X 1.09 schematrons refuse it in a D16B invoice, FX-SCH-A-000556).
    let zf1_id = matches!(profile, Profile::Zugferd1(_));
    if zf1_id != (inv.syntax == Syntax::Zugferd1) && !matches!(profile, Profile::Unknown(_)) {
        out.push(Violation::new(
            "BT-24",
            format!(
                "the specification identifier '{}' does not fit a {} document",
                inv.specification_id.as_deref().unwrap_or_default(),
                if inv.syntax == Syntax::Zugferd1 {
                    "ZUGFeRD 1.0"
                } else {
                    "CII D16B or UBL"
                }
            ),
        ));
    }
    let t = &inv.totals;
    let mut need = |ok: bool, rule: &str, what: &str| {
        if !ok {
            out.push(Violation::new(rule, format!("the invoice has no {what}")));
        }
    };
    need(
        inv.specification_id.is_some(),
        "BR-01",
        "specification identifier (BT-24)",
    );
    need(inv.number.is_some(), "BR-02", "invoice number (BT-1)");
    // A date present but unreadable is an XSD error above, not a missing one.
    let date_written = inv.malformed.iter().any(|(t, _)| t == "BT-2");
    need(
        inv.issue_date.is_some() || date_written,
        "BR-03",
        "issue date (BT-2)",
    );
    // BT-3 is 1..1 in EN 16931 even though UBL 2.1 makes CreditNoteTypeCode optional (CEN UBL
    // Schematron BR-04: InvoiceTypeCode or CreditNoteTypeCode).
    need(inv.type_code.is_some(), "BR-04", "invoice type code (BT-3)");
    need(inv.currency.is_some(), "BR-05", "currency code (BT-5)");
    need(inv.seller.name.is_some(), "BR-06", "seller name (BT-27)");
    need(inv.buyer.name.is_some(), "BR-07", "buyer name (BT-44)");
    need(
        inv.seller.has_address,
        "BR-08",
        "seller postal address (BG-5)",
    );
    need(
        inv.seller.country.is_some(),
        "BR-09",
        "seller country code (BT-40)",
    );
    if *profile != Profile::Minimum {
        need(
            inv.buyer.has_address,
            "BR-10",
            "buyer postal address (BG-8)",
        );
        need(
            inv.buyer.country.is_some(),
            "BR-11",
            "buyer country code (BT-55)",
        );
        need(
            t.line_total.is_some(),
            "BR-12",
            "sum of line net amounts (BT-106)",
        );
    }
    need(
        t.tax_basis_total.is_some(),
        "BR-13",
        "total without VAT (BT-109)",
    );
    need(t.grand_total.is_some(), "BR-14", "total with VAT (BT-112)");
    // ZUGFeRD 1.0 BASIC has no amount due.
    if !matches!(profile, Profile::Zugferd1(_)) {
        need(
            t.due_payable.is_some(),
            "BR-15",
            "amount due for payment (BT-115)",
        );
    }
    if profile.has_vat_breakdown() {
        need(
            !inv.vat_breakdown.is_empty(),
            "BR-CO-18",
            "VAT breakdown (BG-23)",
        );
    }
    if profile.has_lines() {
        need(!inv.lines.is_empty(), "BR-16", "invoice line (BG-25)");
        // ZUGFeRD 1.0 allows text-only lines.
        if !matches!(profile, Profile::Zugferd1(_)) {
            let missing = inv
                .counted_lines()
                .filter(|l| l.net_amount.is_none())
                .count();
            need(missing == 0, "BR-24", "net amount (BT-131) on every line");
        }
    }
    if let Some(code) = &inv.type_code
        && !ALLOWED_TYPE_CODES.contains(&code.as_str())
    {
        out.push(Violation::new(
            "BR-CL-01",
            format!("the document type code '{code}' is not an invoice or credit note code of UNTDID 1001"),
        ));
    }
    decimals(inv, out);
    vat_identifiers(inv, out);
    group_fields(inv, out);
}

/// The country prefixes of VAT identifiers BR-CO-09 accepts (ISO 3166-1 alpha-2, EL, 1A and
/// XI), as the CEN Schematron lists them. Its CII list also keeps AN (the former Netherlands
/// Antilles): [`CII_ONLY_VAT_PREFIXES`].
const VAT_PREFIXES: &str = "1A AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH EL ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XI YE YT ZA ZM ZW";

/// The prefixes the CEN CII Schematron (and Factur-X's) accepts beyond [`VAT_PREFIXES`].
const CII_ONLY_VAT_PREFIXES: &[&str] = &["AN"];

/// The mandatory terms inside the groups (EN 16931-1 §6.3): each document allowance (BR-31 to
/// BR-33) and charge (BR-36 to BR-38) with its amount, VAT category and reason; each VAT
/// breakdown row (BR-45 to BR-48) with its taxable amount, VAT, category and rate (none for
/// O); each line (BR-21, BR-22, BR-25, BR-26, BR-CO-04) with its identifier, quantity, item
/// name, net price and VAT category, the net price never negative (BR-27: a negative line is a
/// negative quantity); a seller the buyer can identify (BR-CO-26: BT-29, BT-30 or BT-31); the
/// VAT in the accounting currency when one is named (BR-53: BT-6 asks for BT-111). A value
/// present but unreadable is reported once, as XSD.
fn group_fields(inv: &Invoice, out: &mut Vec<Violation>) {
    if matches!(inv.profile, Profile::Zugferd1(_)) {
        return;
    }
    let unreadable = |term: &str| inv.malformed.iter().any(|(t, _)| t == term);
    // Factur-X 1.09 EXTENDED drops BR-22, BR-26, BR-27, BR-38 and BR-CO-04 (its group and
    // information lines carry no quantity, price or VAT; charges may have no reason).
    let extended = inv.profile == Profile::Extended;
    let mut need = |ok: bool, rule: &str, what: String| {
        if !ok {
            out.push(Violation::new(rule, what));
        }
    };
    for (i, a) in inv.allowances_charges.iter().enumerate() {
        let (kind, rules, term) = if a.charge {
            (
                "document-level charge",
                ["BR-36", "BR-37", "BR-38"],
                "BT-99",
            )
        } else {
            (
                "document-level allowance",
                ["BR-31", "BR-32", "BR-33"],
                "BT-92",
            )
        };
        let n = i + 1;
        need(
            a.amount.is_some() || unreadable(term),
            rules[0],
            format!("the {kind} #{n} has no amount"),
        );
        need(
            a.category.is_some(),
            rules[1],
            format!("the {kind} #{n} has no VAT category code"),
        );
        need(
            a.reason.is_some() || a.reason_code.is_some() || (extended && a.charge),
            rules[2],
            format!("the {kind} #{n} has no reason nor reason code"),
        );
    }
    for row in &inv.vat_breakdown {
        let cat = row.category.as_deref().unwrap_or("?");
        need(
            row.basis.is_some() || unreadable("BT-116"),
            "BR-45",
            format!("the VAT breakdown row {cat} has no taxable amount (BT-116)"),
        );
        need(
            row.amount.is_some() || unreadable("BT-117"),
            "BR-46",
            format!("the VAT breakdown row {cat} has no VAT amount (BT-117)"),
        );
        need(
            row.category.is_some(),
            "BR-47",
            "a VAT breakdown row has no VAT category code (BT-118)".to_string(),
        );
        need(
            row.rate.is_some() || unreadable("BT-119") || cat.trim() == "O",
            "BR-48",
            format!("the VAT breakdown row {cat} has no VAT rate (BT-119)"),
        );
    }
    if inv.profile.has_lines() {
        for l in inv.counted_lines() {
            let id = l.id.as_deref().unwrap_or("?");
            need(
                l.id.is_some(),
                "BR-21",
                "an invoice line has no identifier (BT-126)".to_string(),
            );
            need(
                l.quantity.is_some() || unreadable("BT-129") || extended,
                "BR-22",
                format!("line {id} has no invoiced quantity (BT-129)"),
            );
            need(
                l.name.is_some(),
                "BR-25",
                format!("line {id} has no item name (BT-153)"),
            );
            need(
                l.net_price.is_some() || unreadable("BT-146") || extended,
                "BR-26",
                format!("line {id} has no item net price (BT-146)"),
            );
            need(
                extended
                    || !l
                        .net_price
                        .is_some_and(|p| p.is_sign_negative() && !p.is_zero()),
                "BR-27",
                format!(
                    "line {id} has a negative item net price (BT-146): a negative line is written with a negative quantity"
                ),
            );
            need(
                l.category.is_some() || extended,
                "BR-CO-04",
                format!("line {id} has no VAT category code (BT-151)"),
            );
        }
    }
    // BR-CO-09: a VAT identifier starts with its ISO 3166-1 alpha-2 country (EL for Greece).
    for (term, id) in [
        ("BT-31", &inv.seller.vat_id),
        ("BT-63", &inv.seller_tax_representative_vat_id),
        ("BT-48", &inv.buyer.vat_id),
    ] {
        if let Some(id) = id {
            let prefix = id.get(..2).unwrap_or(id);
            need(
                prefix.len() == 2
                    && (VAT_PREFIXES.split(' ').any(|c| c == prefix)
                        || (inv.syntax == Syntax::Cii && CII_ONLY_VAT_PREFIXES.contains(&prefix))),
                "BR-CO-09",
                format!(
                    "the VAT identifier {term} '{id}' does not start with a country code (ISO 3166-1 alpha-2)"
                ),
            );
        }
    }
    let seller = &inv.seller;
    need(
        !seller.ids.is_empty() || !seller.legal_ids.is_empty() || seller.vat_id.is_some(),
        "BR-CO-26",
        "the seller has no identifier (BT-29), legal registration (BT-30) nor VAT identifier (BT-31)".to_string(),
    );
    need(
        inv.tax_currency.is_none()
            || inv.tax_currency == inv.currency
            || inv.totals.vat_total_accounting.is_some()
            || unreadable("BT-111"),
        "BR-53",
        format!(
            "the invoice names a VAT accounting currency ({}, BT-6) but not its VAT total in it (BT-111)",
            inv.tax_currency.as_deref().unwrap_or_default()
        ),
    );
}

/// BR-S/Z/E/AE/IC/G-02 to -04 (EN 16931-1 §6.5): an invoice with a line (-02), document
/// allowance (-03) or charge (-04) in a VAT category names who accounts for the VAT: the seller's
/// VAT identifier (BT-31), tax registration (BT-32) or tax representative's VAT identifier
/// (BT-63) and, for reverse charge and intra-community supplies, the buyer's VAT identifier
/// (BT-48; AE also takes the legal registration BT-47). The right to deduct depends on them
/// (CGI art. 242 nonies A). Not for ZUGFeRD 1.0, which predates EN 16931.
fn vat_identifiers(inv: &Invoice, out: &mut Vec<Violation>) {
    if matches!(inv.profile, Profile::Zugferd1(_)) {
        return;
    }
    let seller_vat = inv.seller.vat_id.is_some();
    let seller_rep = inv.seller_tax_representative_vat_id.is_some();
    let seller_reg = inv.seller.tax_registration.is_some();
    let buyer_vat = inv.buyer.vat_id.is_some();
    let buyer_legal = !inv.buyer.legal_ids.is_empty();
    let lines: Vec<Option<&str>> = inv.lines.iter().map(|l| l.category.as_deref()).collect();
    let allowances: Vec<Option<&str>> = inv.allowances().map(|a| a.category.as_deref()).collect();
    let charges: Vec<Option<&str>> = inv.charges().map(|a| a.category.as_deref()).collect();
    for (code, prefix) in [
        ("S", "S"),
        ("Z", "Z"),
        ("E", "E"),
        ("AE", "AE"),
        ("K", "IC"),
        ("G", "G"),
        ("L", "AF"),
        ("M", "AG"),
    ] {
        let (ok, what) = match code {
            // IGIC (L, BR-AF-02..04) and IPSI (M, BR-AG-02..04) ask what S asks.
            "S" | "Z" | "E" | "L" | "M" => (
                seller_vat || seller_reg || seller_rep,
                "the seller's VAT identifier (BT-31), tax registration (BT-32) or tax representative's VAT identifier (BT-63)",
            ),
            "AE" => (
                (seller_vat || seller_reg || seller_rep) && (buyer_vat || buyer_legal),
                "the seller's VAT identifier (BT-31, BT-32 or BT-63) and the buyer's VAT identifier (BT-48) or legal registration (BT-47)",
            ),
            "K" => (
                (seller_vat || seller_rep) && buyer_vat,
                "the seller's VAT identifier (BT-31 or BT-63) and the buyer's VAT identifier (BT-48)",
            ),
            _ => (
                seller_vat || seller_rep,
                "the seller's VAT identifier (BT-31 or BT-63)",
            ),
        };
        if ok {
            continue;
        }
        for (n, place, cats) in [
            ("02", "a line", &lines),
            ("03", "a document allowance", &allowances),
            ("04", "a document charge", &charges),
        ] {
            if cats.iter().any(|c| c.map(str::trim) == Some(code)) {
                out.push(Violation::new(
                    &format!("BR-{prefix}-{n}"),
                    format!(
                        "the invoice has {place} in VAT category {code} but does not state {what}"
                    ),
                ));
            }
        }
    }
    // BR-IC-11 / BR-IC-12: an intra-community supply states when (BT-72 or BG-14) and where
    // (BT-80) the goods went, which the buyer's self-assessment depends on.
    if inv
        .vat_breakdown
        .iter()
        .any(|r| r.category.as_deref().map(str::trim) == Some("K"))
    {
        if !inv.delivery_date_or_period {
            out.push(Violation::new(
                "BR-IC-11",
                "the invoice has an intra-community supply (K) but no actual delivery date (BT-72) nor invoicing period (BG-14)".to_string(),
            ));
        }
        if inv.deliver_to_country.is_none() {
            out.push(Violation::new(
                "BR-IC-12",
                "the invoice has an intra-community supply (K) but no deliver-to country (BT-80)"
                    .to_string(),
            ));
        }
    }
}

/// BR-DEC: amounts have at most two decimals, trailing zeros included.
fn decimals(inv: &Invoice, out: &mut Vec<Violation>) {
    let t = &inv.totals;
    let mut amounts: Vec<(&str, &str, Option<Decimal>)> = vec![
        ("BR-DEC-09", "BT-106", t.line_total),
        ("BR-DEC-10", "BT-107", t.allowance_total),
        ("BR-DEC-11", "BT-108", t.charge_total),
        ("BR-DEC-12", "BT-109", t.tax_basis_total),
        ("BR-DEC-13", "BT-110", t.vat_total),
        ("BR-DEC-14", "BT-112", t.grand_total),
        ("BR-DEC-16", "BT-113", t.prepaid),
        ("BR-DEC-17", "BT-114", t.rounding),
        ("BR-DEC-18", "BT-115", t.due_payable),
    ];
    for row in &inv.vat_breakdown {
        amounts.push(("BR-DEC-19", "BT-116", row.basis));
        amounts.push(("BR-DEC-20", "BT-117", row.amount));
    }
    for a in &inv.allowances_charges {
        let (rule, term) = if a.charge {
            ("BR-DEC-05", "BT-99")
        } else {
            ("BR-DEC-01", "BT-92")
        };
        amounts.push((rule, term, a.amount));
    }
    // ZUGFeRD 1.0 predates the two-decimal rule on lines.
    if !matches!(inv.profile, Profile::Zugferd1(_)) {
        for l in &inv.lines {
            amounts.push(("BR-DEC-23", "BT-131", l.net_amount));
        }
    }
    for (rule, term, value) in amounts {
        // Decimals as written: the CEN Schematron counts the characters after the point
        // (string-length(substring-after(., '.')) <= 2), so 120.000 breaks BR-DEC too.
        if let Some(v) = value
            && v.scale() > 2
        {
            out.push(Violation::new(
                rule,
                format!("{term} {v} has more than two decimals"),
            ));
        }
    }
}
