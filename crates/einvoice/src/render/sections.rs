//! What the readable PDF says about an invoice, section by section: heading, parties, lines,
//! allowances and charges, VAT breakdown, totals. Every list is bounded: the lines take at most
//! [`LINE_PAGES`] pages, the other lists [`MAX_ROWS`] rows; what is left out is counted with
//! a pointer to the attached XML.

use crate::model::{Invoice, LineRole, TradeParty};

use super::layout::{Font, LEFT, Pages, RIGHT, amount, date, rate};

/// The lines stop on this page, so the breakdown and totals always have room after them.
pub const LINE_PAGES: usize = 30;
/// Most allowances, charges or VAT rows written.
pub const MAX_ROWS: usize = 100;

const BODY: f32 = 8.5;
const ROW: f32 = 11.0;

/// "Facture" or "Avoir", with the type code (BT-3).
pub fn title(inv: &Invoice) -> String {
    let kind = if inv.is_credit_note() {
        "Avoir"
    } else {
        "Facture"
    };
    match inv.type_code.as_deref().map(str::trim) {
        Some(code) if !code.is_empty() => format!("{kind} (type {code})"),
        _ => kind.to_string(),
    }
}

/// Writes every section.
pub fn write(p: &mut Pages, inv: &Invoice, source: &str) {
    heading(p, inv, source);
    parties(p, inv);
    lines(p, inv);
    allowances_charges(p, inv);
    vat_breakdown(p, inv);
    totals(p, inv);
}

fn section(p: &mut Pages, name: &str) {
    p.gap(8.0);
    if p.row(14.0) {
        p.text(LEFT, Font::Bold, 10.5, name);
        p.rule();
    }
    p.gap(3.0);
}

/// Label and value rows, skipping empty values.
fn fields(p: &mut Pages, x: f32, rows: &[(&str, String)]) {
    for (label, value) in rows {
        if value.trim().is_empty() {
            continue;
        }
        if p.row(ROW) {
            p.text(x, Font::Bold, BODY, label);
            p.text_fit(x + 120.0, RIGHT - x - 120.0, Font::Regular, BODY, value);
        }
    }
}

fn heading(p: &mut Pages, inv: &Invoice, source: &str) {
    if p.row(20.0) {
        p.text(LEFT, Font::Bold, 16.0, &title(inv));
    }
    if p.row(12.0) {
        p.text_fit(
            LEFT,
            RIGHT - LEFT,
            Font::Regular,
            BODY,
            &format!(
                "Visualisation de la facture électronique {source} ({}, profil {})",
                syntax_label(inv),
                inv.profile.label()
            ),
        );
    }
    p.gap(6.0);
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    fields(
        p,
        LEFT,
        &[
            ("Numéro", text(&inv.number)),
            ("Date d'émission", date(inv.issue_date)),
            ("Échéance", date(inv.due_date)),
            ("Devise", text(&inv.currency)),
            ("Devise de TVA", text(&inv.tax_currency)),
            ("Référence acheteur", text(&inv.buyer_reference)),
            ("Facture d'origine", text(&inv.preceding_invoice)),
        ],
    );
}

fn syntax_label(inv: &Invoice) -> &'static str {
    match inv.syntax {
        crate::model::Syntax::Cii => "UN/CEFACT CII",
        crate::model::Syntax::Zugferd1 => "ZUGFeRD 1.0",
        crate::model::Syntax::Ubl if inv.ubl_credit_note => "UBL 2.1 CreditNote",
        crate::model::Syntax::Ubl => "UBL 2.1 Invoice",
    }
}

fn parties(p: &mut Pages, inv: &Invoice) {
    for (name, party) in [("Vendeur", &inv.seller), ("Acheteur", &inv.buyer)] {
        section(p, name);
        fields(p, LEFT, &party_rows(party));
    }
}

fn party_rows(party: &TradeParty) -> Vec<(&'static str, String)> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let ids = |ids: &[crate::model::Identifier]| {
        ids.iter()
            .take(5)
            .map(|id| match &id.scheme {
                Some(s) => format!("{} ({s})", id.value),
                None => id.value.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    vec![
        ("Nom", text(&party.name)),
        ("Nom commercial", text(&party.trading_name)),
        ("SIREN", party.siren().unwrap_or_default()),
        ("SIRET", party.siret().unwrap_or_default()),
        ("N° de TVA", text(&party.vat_id)),
        ("Immatriculation", ids(&party.legal_ids)),
        ("Identifiants", ids(&party.ids)),
        ("Pays", text(&party.country)),
    ]
}

/// Column right edges of the lines table.
const QTY: f32 = 345.0;
const PRICE: f32 = 410.0;
const NET: f32 = 485.0;

fn lines(p: &mut Pages, inv: &Invoice) {
    if inv.lines.is_empty() {
        return;
    }
    section(p, "Lignes");
    let header = |p: &mut Pages| {
        if p.row(ROW) {
            p.text(LEFT, Font::Bold, BODY, "Désignation");
            p.text_right(QTY, Font::Bold, BODY, "Quantité");
            p.text_right(PRICE, Font::Bold, BODY, "Prix unit. HT");
            p.text_right(NET, Font::Bold, BODY, "Montant HT");
            p.text_right(RIGHT, Font::Bold, BODY, "TVA");
            p.rule();
        }
    };
    header(p);
    for (i, line) in inv.lines.iter().enumerate() {
        if !p.fits(ROW) {
            if p.count() >= LINE_PAGES {
                let left = inv.lines.len() - i;
                if p.row(ROW) {
                    p.text(
                        LEFT,
                        Font::Bold,
                        BODY,
                        &format!(
                            "… {left} autres lignes ne sont pas affichées : voir le XML joint"
                        ),
                    );
                }
                return;
            }
            p.row(ROW);
            header(p);
        }
        if !p.row(ROW) {
            return;
        }
        let mut name = line.name.clone().unwrap_or_default();
        match line.role {
            LineRole::Group => name = format!("[sous-total] {name}"),
            LineRole::Information => name = format!("[pour information] {name}"),
            LineRole::Normal | LineRole::Detail => {}
        }
        if let Some(id) = &line.id {
            name = format!("{id}. {name}");
        }
        p.text_fit(LEFT, QTY - LEFT - 60.0, Font::Regular, BODY, &name);
        p.text_right(QTY, Font::Regular, BODY, &amount(line.quantity));
        p.text_right(PRICE, Font::Regular, BODY, &amount(line.net_price));
        p.text_right(NET, Font::Regular, BODY, &amount(line.net_amount));
        let vat = match (&line.category, line.rate) {
            (Some(c), r) => format!("{c} {}", rate(r)),
            (None, r) => rate(r),
        };
        p.text_right(RIGHT, Font::Regular, BODY, vat.trim());
    }
}

/// A note for the rows a list leaves out.
fn more(p: &mut Pages, total: usize) {
    if total > MAX_ROWS && p.row(ROW) {
        p.text(
            LEFT,
            Font::Bold,
            BODY,
            &format!(
                "… {} autres lignes ne sont pas affichées : voir le XML joint",
                total - MAX_ROWS
            ),
        );
    }
}

fn allowances_charges(p: &mut Pages, inv: &Invoice) {
    if inv.allowances_charges.is_empty() {
        return;
    }
    section(p, "Remises et charges");
    for ac in inv.allowances_charges.iter().take(MAX_ROWS) {
        if !p.row(ROW) {
            return;
        }
        let kind = if ac.charge { "Charge" } else { "Remise" };
        let reason = ac
            .reason
            .clone()
            .or(ac.reason_code.clone())
            .unwrap_or_default();
        p.text(LEFT, Font::Bold, BODY, kind);
        p.text_fit(
            LEFT + 60.0,
            NET - LEFT - 150.0,
            Font::Regular,
            BODY,
            &reason,
        );
        let vat = format!(
            "{} {}",
            ac.category.clone().unwrap_or_default(),
            rate(ac.rate)
        );
        p.text_right(NET, Font::Regular, BODY, vat.trim());
        let signed = ac.amount.map(|a| if ac.charge { a } else { -a });
        p.text_right(RIGHT, Font::Regular, BODY, &amount(signed));
    }
    more(p, inv.allowances_charges.len());
}

fn vat_breakdown(p: &mut Pages, inv: &Invoice) {
    if inv.vat_breakdown.is_empty() {
        return;
    }
    section(p, "Ventilation de la TVA");
    if p.row(ROW) {
        p.text(LEFT, Font::Bold, BODY, "Catégorie");
        p.text_right(PRICE - 60.0, Font::Bold, BODY, "Taux");
        p.text_right(NET, Font::Bold, BODY, "Base HT");
        p.text_right(RIGHT, Font::Bold, BODY, "Montant TVA");
        p.rule();
    }
    for row in inv.vat_breakdown.iter().take(MAX_ROWS) {
        if !p.row(ROW) {
            return;
        }
        let mut category = row.category.clone().unwrap_or_default();
        if let Some(reason) = row
            .exemption_reason
            .as_ref()
            .or(row.exemption_code.as_ref())
        {
            category = format!("{category} ({reason})");
        }
        p.text_fit(LEFT, PRICE - LEFT - 110.0, Font::Regular, BODY, &category);
        p.text_right(PRICE - 60.0, Font::Regular, BODY, &rate(row.rate));
        p.text_right(NET, Font::Regular, BODY, &amount(row.basis));
        p.text_right(RIGHT, Font::Regular, BODY, &amount(row.amount));
    }
    more(p, inv.vat_breakdown.len());
}

fn totals(p: &mut Pages, inv: &Invoice) {
    section(p, "Totaux");
    let t = &inv.totals;
    let currency = inv.currency.clone().unwrap_or_default();
    let tax_currency = inv.tax_currency.clone().unwrap_or_default();
    let rows = [
        ("Total des lignes HT", t.line_total, &currency),
        ("Remises", t.allowance_total, &currency),
        ("Charges", t.charge_total, &currency),
        ("Total HT", t.tax_basis_total, &currency),
        ("Total TVA", t.vat_total, &currency),
        (
            "Total TVA (devise de TVA)",
            t.vat_total_accounting,
            &tax_currency,
        ),
        ("Total TTC", t.grand_total, &currency),
        ("Déjà payé", t.prepaid, &currency),
        ("Arrondi", t.rounding, &currency),
        ("Net à payer", t.due_payable, &currency),
    ];
    for (label, value, currency) in rows {
        if value.is_none() || !p.row(ROW) {
            continue;
        }
        p.text(NET - 150.0, Font::Bold, BODY, label);
        p.text_right(
            RIGHT,
            Font::Regular,
            BODY,
            format!("{} {currency}", amount(value)).trim(),
        );
    }
}
