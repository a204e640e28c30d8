//! VAT the buyer self-assesses (autoliquidation): a purchase whose VAT breakdown row is of
//! category AE (reverse charge, CGI art. 283-2, e.g. construction subcontracting) or K
//! (intra-community acquisition, CGI art. 256 bis) carries no VAT (BR-AE-09, BR-IC-09), yet the
//! French buyer owes it and deducts it. Each such row becomes a [`SelfAssessedVat`] that
//! `domain::mapping` books as deductible VAT and VAT due of the same amount. Exempt (E),
//! export (G) and not-subject (O) rows stay without VAT.

use domain::{SelfAssessedVat, SelfAssessment};

use crate::model::Invoice;

/// The self-assessed amounts of a purchase (the caller asks for none on a sale: the seller owes
/// nothing there).
pub(crate) fn self_assessed(inv: &Invoice, notes: &mut Vec<String>) -> Vec<SelfAssessedVat> {
    let mut out = Vec::new();
    for row in &inv.vat_breakdown {
        let (regime, what) = match row.category.as_deref().map(str::trim) {
            Some("AE") => (SelfAssessment::ReverseCharge, "reverse charge"),
            Some("K") => (
                SelfAssessment::IntraCommunity,
                "intra-community acquisition",
            ),
            _ => continue,
        };
        let basis = row.basis.unwrap_or_default();
        // EN 16931 puts AE and K rows at 0 % (BR-AE-05, BR-IC-05): the dossier's rate then applies.
        let rate = row.rate.filter(|r| !r.is_zero());
        let rate_note = match rate {
            Some(r) => format!("at the invoice's {} %", r.normalize()),
            None => "at the dossier's vat.self_assessed.rate (20 % by default), the invoice stating no rate".into(),
        };
        notes.push(format!(
            "VAT category {} ({what}): the buyer accounts for the VAT (autoliquidation); VAT on {} self-assessed {rate_note}, deductible and due",
            if regime == SelfAssessment::ReverseCharge { "AE" } else { "K" },
            basis.normalize()
        ));
        out.push(SelfAssessedVat {
            regime,
            basis,
            rate,
        });
    }
    out
}
