//! VAT per category (EN 16931-1 §6.4, rules BR-S-08 to BR-AG-10): each VAT breakdown row's
//! taxable amount is what the lines, allowances and charges of its category (and rate) add up
//! to; exempt categories carry no VAT and state why; standard and zero rates state no exemption.
//! Tolerances as in the CEN Schematron 1.3.16 (CII and UBL differ) and Factur-X EXTENDED 1.09.

use rust_decimal::Decimal;

use crate::model::{Invoice, Profile, VatBreakdown};
use crate::violation::{Violation, round2};

/// The rule prefix of a VAT category code (UNCL 5305): K is intra-community (IC), L is IGIC
/// (AF), M is IPSI (AG).
fn prefix(category: &str) -> Option<&'static str> {
    Some(match category {
        "S" => "S",
        "Z" => "Z",
        "E" => "E",
        "AE" => "AE",
        "K" => "IC",
        "G" => "G",
        "O" => "O",
        "L" => "AF",
        "M" => "AG",
        // Italian split payment: in the code list, no -08 to -10 rules.
        "B" => "B",
        _ => return None,
    })
}

fn name(category: &str) -> &'static str {
    match category {
        "S" => "standard rated",
        "Z" => "zero rated",
        "E" => "exempt from VAT",
        "AE" => "reverse charge",
        "K" => "intra-community supply",
        "G" => "export outside the EU",
        "O" => "not subject to VAT",
        "L" => "IGIC (Canary Islands)",
        "M" => "IPSI (Ceuta and Melilla)",
        _ => "unknown",
    }
}

fn same_rate(a: Option<Decimal>, b: Option<Decimal>) -> bool {
    a.unwrap_or_default() == b.unwrap_or_default()
}

pub(crate) fn check_categories(inv: &Invoice, ubl: bool, extended: bool, out: &mut Vec<Violation>) {
    // ZUGFeRD 1.0 predates EN 16931's per-category rules.
    if !matches!(inv.profile, Profile::Zugferd1(_)) {
        one_row_per_category(inv, extended, out);
        item_rates(inv, out);
        // Factur-X 1.09 EXTENDED has no BR-O-02 to -04 nor BR-O-12 to -14.
        if !extended {
            not_subject(inv, out);
        }
    }
    let with_lines = inv.profile.has_lines();
    for row in &inv.vat_breakdown {
        let Some(category) = row.category.as_deref().map(str::trim) else {
            continue;
        };
        let Some(p) = prefix(category) else {
            out.push(Violation::new(
                "BR-CL-17",
                format!("VAT category code '{category}' is not one EN 16931 allows (S, Z, E, AE, K, G, O, L, M, B)"),
            ));
            continue;
        };
        if with_lines && p != "B" {
            taxable_amount(inv, row, category, p, ubl, extended, out);
        }
        let amount = row.amount.unwrap_or_default();
        match category {
            // Factur-X EXTENDED drops BR-S-09 (its rates may be rounded per line).
            "S" if !extended => {
                if let Some(rate) = row.rate {
                    let expected =
                        round2(row.basis.unwrap_or_default().abs() * rate / Decimal::ONE_HUNDRED);
                    let a = amount.abs();
                    if !(a - Decimal::ONE < expected && a + Decimal::ONE > expected) {
                        out.push(Violation::new(
                            "BR-S-09",
                            format!(
                                "standard-rated VAT at {} % is {}, basis × rate gives {}",
                                rate.normalize(),
                                amount.normalize(),
                                expected.normalize()
                            ),
                        ));
                    }
                }
            }
            "Z" | "E" | "AE" | "K" | "G" | "O" if !amount.is_zero() => {
                out.push(Violation::new(
                    &format!("BR-{p}-09"),
                    format!(
                        "the VAT of the {} row is {}, it must be 0",
                        name(category),
                        amount.normalize()
                    ),
                ));
            }
            _ => {}
        }
        let has_reason = row.exemption_reason.is_some() || row.exemption_code.is_some();
        match category {
            // EXTENDED (EXT-FR) uses the exemption reason of S rows as a tag: no BR-S-10 there.
            "S" | "Z" if extended => {}
            "S" | "Z" | "L" | "M" if has_reason => out.push(Violation::new(
                &format!("BR-{p}-10"),
                format!(
                    "the {} VAT row states an exemption reason, which it must not",
                    name(category)
                ),
            )),
            "E" | "AE" | "K" | "G" | "O" if !has_reason => out.push(Violation::new(
                &format!("BR-{p}-10"),
                format!(
                    "the {} VAT row states no exemption reason (BT-120) or code (BT-121)",
                    name(category)
                ),
            )),
            _ => {}
        }
    }
    let not_subject = inv
        .vat_breakdown
        .iter()
        .any(|r| r.category.as_deref() == Some("O"));
    if not_subject && inv.vat_breakdown.len() > 1 && !extended {
        out.push(Violation::new(
            "BR-O-11",
            "an invoice with a 'not subject to VAT' (O) breakdown has other VAT breakdown rows"
                .to_string(),
        ));
    }
}

/// BR-x-08: the row's taxable amount against its lines, allowances and charges.
fn taxable_amount(
    inv: &Invoice,
    row: &VatBreakdown,
    category: &str,
    p: &str,
    ubl: bool,
    extended: bool,
    out: &mut Vec<Violation>,
) {
    // S, L and M are split by rate; the exempt categories are one row each.
    let by_rate = matches!(category, "S" | "L" | "M");
    let matches = |c: Option<&str>, r: Option<Decimal>| {
        c.map(str::trim) == Some(category) && (!by_rate || same_rate(r, row.rate))
    };
    let lines: Vec<Decimal> = inv
        .counted_lines()
        .filter(|l| matches(l.category.as_deref(), l.rate))
        .filter_map(|l| l.net_amount)
        .collect();
    let charges: Vec<Decimal> = inv
        .charges()
        .filter(|a| matches(a.category.as_deref(), a.rate))
        .filter_map(|a| a.amount)
        .collect();
    let allowances: Vec<Decimal> = inv
        .allowances()
        .filter(|a| matches(a.category.as_deref(), a.rate))
        .filter_map(|a| a.amount)
        .collect();
    let sum_lines: Decimal = lines.iter().copied().sum();
    let sum_charges: Decimal = charges.iter().copied().sum();
    let sum_allowances: Decimal = allowances.iter().copied().sum();
    let basis = row.basis.unwrap_or_default();
    let count = lines.len() + charges.len() + allowances.len();
    let ok = if extended {
        let computed = round2(sum_lines) + round2(sum_charges) - round2(sum_allowances);
        (basis - computed).abs() <= Decimal::new(count.max(1) as i64, 2)
    } else if ubl {
        let computed = sum_lines + sum_charges - sum_allowances;
        match category {
            // UBL: S, L, M within one unit, and something of that rate must exist.
            "S" | "L" | "M" => {
                count > 0 && basis - Decimal::ONE < computed && basis + Decimal::ONE > computed
            }
            _ => basis == computed,
        }
    } else {
        let computed = round2(sum_lines) + round2(sum_charges) - round2(sum_allowances);
        match category {
            "S" | "L" | "M" | "O" => basis == computed,
            _ => basis - Decimal::ONE < computed && basis + Decimal::ONE > computed,
        }
    };
    if !ok {
        let rate = if by_rate {
            format!(" at {} %", row.rate.unwrap_or_default().normalize())
        } else {
            String::new()
        };
        out.push(Violation::new(
            &format!("BR-{p}-08"),
            format!(
                "the {}{rate} VAT row's taxable amount (BT-116) is {}, its lines + charges - allowances add up to {}",
                name(category),
                basis.normalize(),
                (sum_lines + sum_charges - sum_allowances).normalize()
            ),
        ));
    }
}

/// The category code and rate of every line (`"BT-151"`), allowance (`"BT-95"`) and charge
/// (`"BT-102"`), with the rule number of that place (-02 / -05 for lines, -03 / -06 for
/// allowances, -04 / -07 for charges).
fn items(inv: &Invoice) -> Vec<(&'static str, u8, &str, Option<Decimal>)> {
    let mut out: Vec<(&'static str, u8, &str, Option<Decimal>)> = Vec::new();
    for l in inv.counted_lines() {
        if let Some(c) = l.category.as_deref() {
            out.push(("an invoice line (BT-151)", 0, c.trim(), l.rate));
        }
    }
    for a in &inv.allowances_charges {
        if let Some(c) = a.category.as_deref() {
            let (what, n) = if a.charge {
                ("a document-level charge (BT-102)", 2)
            } else {
                ("a document-level allowance (BT-95)", 1)
            };
            out.push((what, n, c.trim(), a.rate));
        }
    }
    out
}

/// BR-Z/E/AE/IC/G/O-01: a line, allowance or charge in one of the categories without VAT needs
/// exactly one VAT breakdown row of that category; BR-S-01: a standard-rated one at least one.
/// Factur-X 1.09 EXTENDED asks only for at least one row of S, E, AE or O (BR-FXEXT-x-01), and
/// nothing of Z, K or G.
fn one_row_per_category(inv: &Invoice, extended: bool, out: &mut Vec<Violation>) {
    // Nor has Factur-X 1.09 BASIC WL any BR-x-01 (or BR-x-08): two E rows are valid there.
    if !inv.profile.has_vat_breakdown() || inv.profile == Profile::BasicWl {
        return;
    }
    let used = items(inv);
    for category in ["S", "Z", "E", "AE", "K", "G", "O"] {
        if !used.iter().any(|i| i.2 == category) {
            continue;
        }
        let rows = inv
            .vat_breakdown
            .iter()
            .filter(|r| r.category.as_deref().map(str::trim) == Some(category))
            .count();
        let (ok, wanted) = match category {
            "Z" | "K" | "G" if extended => continue,
            _ if extended || category == "S" => (rows >= 1, "at least one"),
            _ => (rows == 1, "exactly one"),
        };
        if !ok {
            let fx = if extended { "FXEXT-" } else { "" };
            out.push(Violation::new(
                &format!("BR-{fx}{}-01", prefix(category).unwrap_or(category)),
                format!(
                    "the invoice has items {} (category {category}) and {rows} VAT breakdown row(s) of that category, not {wanted}",
                    name(category)
                ),
            ));
        }
    }
}

/// BR-Z/E/AE/IC/G-05 to -07: the rate of an item in a category without VAT is 0; BR-O-05 to
/// -07: an item not subject to VAT states no rate at all. The self-assessed VAT of AE and K
/// purchases is computed at the dossier's rate, never at a rate the supplier slipped in.
fn item_rates(inv: &Invoice, out: &mut Vec<Violation>) {
    for (what, n, category, rate) in items(inv) {
        let bad = match category {
            "Z" | "E" | "AE" | "K" | "G" => rate.is_some_and(|r| !r.is_zero()),
            "O" => rate.is_some(),
            _ => false,
        };
        if !bad {
            continue;
        }
        let p = prefix(category).unwrap_or(category);
        let rule = format!("BR-{p}-0{}", 5 + n);
        let rate = rate.unwrap_or_default().normalize();
        out.push(Violation::new(
            &rule,
            if category == "O" {
                format!(
                    "{what} not subject to VAT (O) states a VAT rate ({rate} %), which it must not"
                )
            } else {
                format!(
                    "{what} {} (category {category}) is at {rate} %, it must be at 0 %",
                    name(category)
                )
            },
        ));
    }
}

/// BR-O-02 to -04: an invoice with items not subject to VAT names no VAT identifier (BT-31,
/// BT-48); BR-O-12 to -14: with an O breakdown row, every item is O.
fn not_subject(inv: &Invoice, out: &mut Vec<Violation>) {
    let used = items(inv);
    // The tax representative's VAT identifier (BT-63) is forbidden too (CEN Schematron BR-O-02).
    let vat_ids: Vec<&str> = [
        ("BT-31", inv.seller.vat_id.is_some()),
        ("BT-63", inv.seller_tax_representative_vat_id.is_some()),
        ("BT-48", inv.buyer.vat_id.is_some()),
    ]
    .into_iter()
    .filter(|(_, present)| *present)
    .map(|(term, _)| term)
    .collect();
    for n in 0..3u8 {
        if vat_ids.is_empty() || !used.iter().any(|i| i.1 == n && i.2 == "O") {
            continue;
        }
        out.push(Violation::new(
            &format!("BR-O-0{}", 2 + n),
            format!(
                "the invoice has {} not subject to VAT (O) and states a VAT identifier ({}), which it must not",
                ["an invoice line", "a document-level allowance", "a document-level charge"][n as usize],
                vat_ids.join(", ")
            ),
        ));
    }
    let o_row = inv
        .vat_breakdown
        .iter()
        .any(|r| r.category.as_deref().map(str::trim) == Some("O"));
    if !o_row {
        return;
    }
    for n in 0..3u8 {
        if let Some(item) = used.iter().find(|i| i.1 == n && i.2 != "O") {
            out.push(Violation::new(
                &format!("BR-O-1{}", 2 + n),
                format!(
                    "the invoice has a 'not subject to VAT' (O) breakdown row and {} in category {}",
                    item.0, item.2
                ),
            ));
        }
    }
}
