//! The EN 16931-1 business rules that make the numbers trustworthy: totals consistency
//! (BR-CO-10 to BR-CO-17) and VAT per category (BR-S-08 and its siblings for Z, E, AE, K, G, O,
//! L, M), with the tolerances the official Schematron gives them (CEN/TC 434 validation
//! artefacts 1.3.16: the CII and UBL bindings differ; Factur-X EXTENDED 1.09 replaces exact
//! sums by 0.01 per summed amount, rules BR-FXEXT-*). Mandatory fields are in
//! [`crate::mandatory`].

use rust_decimal::Decimal;

use crate::model::{Invoice, LineRole, Profile, Syntax};
use crate::{Violation, round2, xpath_round};

/// How a computed sum may differ from the stated amount.
#[derive(Debug, Clone, Copy)]
enum Tolerance {
    Exact,
    /// 0.01 per amount summed (Factur-X EXTENDED), at least 0.01.
    PerAmount(usize),
}

fn within(stated: Decimal, computed: Decimal, tolerance: Tolerance) -> bool {
    let diff = (stated - computed).abs();
    match tolerance {
        Tolerance::Exact => diff.is_zero(),
        Tolerance::PerAmount(n) => diff <= Decimal::new(n.max(1) as i64, 2),
    }
}

/// Which reading of the rules applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binding {
    Cii,
    Ubl,
    /// Factur-X / ZUGFeRD EXTENDED (CII).
    Extended,
}

fn binding(inv: &Invoice) -> Binding {
    match (inv.syntax, &inv.profile) {
        (Syntax::Ubl, _) => Binding::Ubl,
        (_, Profile::Extended) => Binding::Extended,
        _ => Binding::Cii,
    }
}

fn zero(v: Option<Decimal>) -> Decimal {
    v.unwrap_or(Decimal::ZERO)
}

fn fmt(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Runs the totals and VAT rules the invoice's profile carries.
pub fn check_amounts(inv: &Invoice, out: &mut Vec<Violation>) {
    let b = binding(inv);
    let rule = |base: &str| -> String {
        if b == Binding::Extended {
            format!("BR-FXEXT-{}", base.trim_start_matches("BR-"))
        } else {
            base.to_string()
        }
    };
    match &inv.profile {
        // MINIMUM carries no totals rule (Factur-X 1.09 MINIMUM schematron).
        Profile::Minimum => return,
        Profile::BasicWl => {}
        _ => line_total(inv, b, &rule, out),
    }
    allowance_totals(inv, b, &rule, out);
    tax_basis(inv, b, &rule, out);
    vat_total(inv, out);
    grand_total(inv, b, &rule, out);
    due_payable(inv, b, out);
    for row in &inv.vat_breakdown {
        rate_check(row, b, out);
    }
    crate::vat::check_categories(inv, b == Binding::Ubl, b == Binding::Extended, out);
}

fn line_total(inv: &Invoice, b: Binding, rule: &dyn Fn(&str) -> String, out: &mut Vec<Violation>) {
    let Some(stated) = inv.totals.line_total else {
        return;
    };
    let counted: Vec<Decimal> = inv.counted_lines().filter_map(|l| l.net_amount).collect();
    let sum: Decimal = counted.iter().copied().sum();
    let tolerance = match b {
        Binding::Extended => Tolerance::PerAmount(counted.len()),
        _ => Tolerance::Exact,
    };
    if !within(stated, round2(sum), tolerance) {
        out.push(Violation::new(
            &rule("BR-CO-10"),
            format!(
                "sum of invoice line net amounts (BT-106) is {}, the lines add up to {}",
                fmt(stated),
                fmt(sum)
            ),
        ));
    }
    // Factur-X EXTENDED: a group line's amount is the sum of its sub-lines.
    for group in inv.lines.iter().filter(|l| l.role == LineRole::Group) {
        let (Some(id), Some(amount)) = (&group.id, group.net_amount) else {
            continue;
        };
        let children: Vec<Decimal> = inv
            .lines
            .iter()
            .filter(|l| l.parent_id.as_ref() == Some(id))
            .filter(|l| matches!(l.role, LineRole::Detail | LineRole::Group))
            .filter_map(|l| l.net_amount)
            .collect();
        if !children.is_empty() && children.iter().copied().sum::<Decimal>() != amount {
            out.push(Violation::new(
                "BR-FXEXT-08",
                format!(
                    "group line {id} states {}, its sub-lines add up to {}",
                    fmt(amount),
                    fmt(children.iter().copied().sum())
                ),
            ));
        }
    }
}

fn allowance_totals(
    inv: &Invoice,
    b: Binding,
    rule: &dyn Fn(&str) -> String,
    out: &mut Vec<Violation>,
) {
    for (charge, id, term, what) in [
        (false, "BR-CO-11", "BT-107", "allowances"),
        (true, "BR-CO-12", "BT-108", "charges"),
    ] {
        let items: Vec<Decimal> = inv
            .allowances_charges
            .iter()
            .filter(|a| a.charge == charge)
            .map(|a| zero(a.amount))
            .collect();
        let stated = if charge {
            inv.totals.charge_total
        } else {
            inv.totals.allowance_total
        };
        let sum: Decimal = items.iter().copied().sum();
        // ZUGFeRD 1.0 BASIC states the totals without the allowances and charges themselves.
        if items.is_empty() && matches!(inv.profile, Profile::Zugferd1(_)) {
            continue;
        }
        let ok = match stated {
            None => items.is_empty(),
            Some(s) => {
                let tolerance = match b {
                    Binding::Extended => Tolerance::PerAmount(items.len()),
                    _ => Tolerance::Exact,
                };
                within(s, round2(sum), tolerance)
            }
        };
        if !ok {
            let stated = stated.map_or("absent".to_string(), fmt);
            out.push(Violation::new(
                &rule(id),
                format!(
                    "sum of {what} on document level ({term}) is {stated}, the {} document-level {what} add up to {}",
                    items.len(),
                    fmt(sum)
                ),
            ));
        }
    }
}

fn tax_basis(inv: &Invoice, b: Binding, rule: &dyn Fn(&str) -> String, out: &mut Vec<Violation>) {
    let t = &inv.totals;
    let (Some(stated), Some(lines)) = (t.tax_basis_total, t.line_total) else {
        return;
    };
    let computed = lines - zero(t.allowance_total) + zero(t.charge_total);
    let tolerance = match b {
        Binding::Extended => {
            Tolerance::PerAmount(inv.counted_lines().count() + inv.allowances_charges.len())
        }
        _ => Tolerance::Exact,
    };
    if !within(stated, round2(computed), tolerance) {
        out.push(Violation::new(
            &rule("BR-CO-13"),
            format!(
                "invoice total without VAT (BT-109) is {}, line total - allowances + charges is {}",
                fmt(stated),
                fmt(computed)
            ),
        ));
    }
}

fn vat_total(inv: &Invoice, out: &mut Vec<Violation>) {
    let Some(stated) = inv.totals.vat_total else {
        return;
    };
    if inv.vat_breakdown.is_empty() {
        return;
    }
    let sum: Decimal = inv.vat_breakdown.iter().map(|r| zero(r.amount)).sum();
    if stated != round2(sum) {
        out.push(Violation::new(
            "BR-CO-14",
            format!(
                "invoice total VAT (BT-110) is {}, the VAT breakdown adds up to {}",
                fmt(stated),
                fmt(sum)
            ),
        ));
    }
}

fn grand_total(inv: &Invoice, b: Binding, rule: &dyn Fn(&str) -> String, out: &mut Vec<Violation>) {
    let t = &inv.totals;
    let (Some(grand), Some(basis)) = (t.grand_total, t.tax_basis_total) else {
        return;
    };
    let ok = match b {
        // CII: exactly one BT-110 and grand = round(basis + VAT), or grand = basis.
        Binding::Cii => {
            (t.vat_total_count == 1 && grand == round2(basis + zero(t.vat_total))) || grand == basis
        }
        Binding::Ubl => t.vat_total_count == 1 && grand == round2(basis + zero(t.vat_total)),
        Binding::Extended => match t.vat_total {
            None => true,
            Some(vat) => within(
                grand,
                basis + vat,
                Tolerance::PerAmount(inv.counted_lines().count() + inv.allowances_charges.len()),
            ),
        },
    };
    if !ok {
        let vat = t.vat_total.map_or("absent".to_string(), fmt);
        out.push(Violation::new(
            &rule("BR-CO-15"),
            format!(
                "invoice total with VAT (BT-112) is {}, total without VAT {} + VAT {vat} (stated {} time(s) in the invoice currency) differs",
                fmt(grand),
                fmt(basis),
                t.vat_total_count
            ),
        ));
    }
}

fn due_payable(inv: &Invoice, b: Binding, out: &mut Vec<Violation>) {
    let t = &inv.totals;
    let (Some(due), Some(grand)) = (t.due_payable, t.grand_total) else {
        return;
    };
    let expected = grand - zero(t.prepaid) + zero(t.rounding);
    let ok = match b {
        Binding::Ubl => round2(due - zero(t.rounding)) == round2(grand - zero(t.prepaid)),
        _ => due == expected,
    };
    if !ok {
        out.push(Violation::new(
            "BR-CO-16",
            format!(
                "amount due (BT-115) is {}, total with VAT - paid + rounding is {}",
                fmt(due),
                fmt(expected)
            ),
        ));
    }
}

/// BR-CO-17: VAT of a breakdown row = basis × rate / 100, rounded to two decimals, within one
/// unit either way (inclusive in CII, exclusive in UBL); a rate rounding to 0 needs a VAT that
/// rounds to 0.
fn rate_check(row: &crate::model::VatBreakdown, b: Binding, out: &mut Vec<Violation>) {
    let amount = zero(row.amount);
    let ok = match row.rate {
        None => xpath_round(amount).is_zero(),
        Some(rate) if xpath_round(rate).is_zero() => xpath_round(amount).is_zero(),
        Some(rate) => {
            let expected = round2(zero(row.basis).abs() * rate / Decimal::ONE_HUNDRED);
            let a = amount.abs();
            match b {
                Binding::Ubl => a - Decimal::ONE < expected && a + Decimal::ONE > expected,
                _ => a - Decimal::ONE <= expected && a + Decimal::ONE >= expected,
            }
        }
    };
    if !ok {
        out.push(Violation::new(
            "BR-CO-17",
            format!(
                "VAT of the {} % row is {}, basis {} × rate gives {}",
                row.rate.map_or("(no rate)".to_string(), fmt),
                fmt(amount),
                fmt(zero(row.basis)),
                fmt(round2(
                    zero(row.basis) * zero(row.rate) / Decimal::ONE_HUNDRED
                ))
            ),
        ));
    }
}
