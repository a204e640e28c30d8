//! Reads an OASIS UBL 2.1 `Invoice` or `CreditNote` into the EN 16931 model (EN 16931-3-2 UBL
//! binding).

use roxmltree::Node;

use crate::model::{
    AllowanceCharge, DocumentTotals, Identifier, Invoice, InvoiceLine, LineRole, Profile, Syntax,
    TradeParty, VatBreakdown,
};
use crate::reader::Reader;
use crate::xml::{anywhere, attr, child, children, path, text};

/// Reads the invoice under `root` (`Invoice` or `CreditNote`).
pub fn read(root: Node<'_, '_>) -> Invoice {
    let mut r = Reader::default();
    let credit_note = root.tag_name().name() == "CreditNote";
    let specification_id = text(child(root, &["CustomizationID"]));
    let profile = Profile::from_id(specification_id.as_deref()).for_en16931_syntax();
    let currency = text(child(root, &["DocumentCurrencyCode"]));
    let tax_currency = text(child(root, &["TaxCurrencyCode"]));

    // BT-110 is the TaxTotal whose TaxAmount is in the document currency (BR-CO-15); a second
    // TaxTotal in the tax currency gives BT-111 and has no subtotals.
    let mut totals = DocumentTotals::default();
    let mut vat_breakdown = Vec::new();
    for tax_total in children(root, &["TaxTotal"]) {
        let amount = child(tax_total, &["TaxAmount"]);
        let in_document_currency = match (attr(amount, "currencyID"), currency.as_deref()) {
            (Some(c), Some(cur)) => c.eq_ignore_ascii_case(cur),
            _ => true,
        };
        if in_document_currency {
            totals.vat_total_count += 1;
            if totals.vat_total.is_none() {
                totals.vat_total = r.dec(amount, "BT-110");
            }
            for sub in children(tax_total, &["TaxSubtotal"]) {
                vat_breakdown.push(vat_row(&mut r, sub));
            }
        } else if totals.vat_total_accounting.is_none() {
            totals.vat_total_accounting = r.dec(amount, "BT-111");
        }
    }
    if let Some(m) = child(root, &["LegalMonetaryTotal"]) {
        totals.line_total = r.dec(child(m, &["LineExtensionAmount"]), "BT-106");
        totals.allowance_total = r.dec(child(m, &["AllowanceTotalAmount"]), "BT-107");
        totals.charge_total = r.dec(child(m, &["ChargeTotalAmount"]), "BT-108");
        totals.tax_basis_total = r.dec(child(m, &["TaxExclusiveAmount"]), "BT-109");
        totals.grand_total = r.dec(child(m, &["TaxInclusiveAmount"]), "BT-112");
        totals.prepaid = r.dec(child(m, &["PrepaidAmount"]), "BT-113");
        totals.rounding = r.dec(child(m, &["PayableRoundingAmount"]), "BT-114");
        totals.due_payable = r.dec(child(m, &["PayableAmount"]), "BT-115");
    }
    let allowances_charges = children(root, &["AllowanceCharge"])
        .map(|a| allowance_charge(&mut r, a))
        .collect();
    let lines = children(root, &["InvoiceLine", "CreditNoteLine"])
        .map(|l| line(&mut r, l))
        .collect();

    let due =
        child(root, &["DueDate"]).or_else(|| path(root, &[&["PaymentMeans"], &["PaymentDueDate"]]));
    let issue = child(root, &["IssueDate"]);
    Invoice {
        syntax: Syntax::Ubl,
        ubl_credit_note: credit_note,
        specification_id,
        profile,
        type_code: text(child(root, &["InvoiceTypeCode", "CreditNoteTypeCode"])),
        number: text(child(root, &["ID"])),
        issue_date: r.date(issue, "BT-2"),
        due_date: r.date(due, "BT-9"),
        currency,
        tax_currency,
        buyer_reference: text(child(root, &["BuyerReference"])),
        buyer_accounting_ref: text(child(root, &["AccountingCost"])),
        preceding_invoice: text(path(
            root,
            &[
                &["BillingReference"],
                &["InvoiceDocumentReference"],
                &["ID"],
            ],
        )),
        seller: party(path(root, &[&["AccountingSupplierParty"], &["Party"]])),
        // BT-63: cac:TaxRepresentativeParty/cac:PartyTaxScheme/cbc:CompanyID (EN 16931-3-2).
        seller_tax_representative_vat_id: text(path(
            root,
            &[
                &["TaxRepresentativeParty"],
                &["PartyTaxScheme"],
                &["CompanyID"],
            ],
        )),
        // BR-IC-11 / BR-IC-12 as the CEN UBL Schematron reads them (//cac:...).
        delivery_date_or_period: anywhere(root, &["Delivery"], &[&["ActualDeliveryDate"]])
            || anywhere(root, &["InvoicePeriod"], &[&["StartDate"]])
            || anywhere(root, &["InvoicePeriod"], &[&["EndDate"]])
            || anywhere(root, &["InvoicePeriod"], &[&["DescriptionCode"]]),
        deliver_to_country: text(path(
            root,
            &[
                &["Delivery"],
                &["DeliveryLocation"],
                &["Address"],
                &["Country"],
                &["IdentificationCode"],
            ],
        )),
        buyer: party(path(root, &[&["AccountingCustomerParty"], &["Party"]])),
        vat_breakdown,
        allowances_charges,
        totals,
        lines,
        malformed: r.malformed,
    }
}

fn identifier(id: Option<Node<'_, '_>>) -> Option<Identifier> {
    text(id).map(|value| Identifier {
        scheme: attr(id, "schemeID"),
        value,
    })
}

fn party(node: Option<Node<'_, '_>>) -> TradeParty {
    let Some(p) = node else {
        return TradeParty::default();
    };
    let ids = children(p, &["PartyIdentification"])
        .filter_map(|pi| identifier(child(pi, &["ID"])))
        .collect();
    let legal = child(p, &["PartyLegalEntity"]);
    let legal_ids = identifier(legal.and_then(|l| child(l, &["CompanyID"])))
        .into_iter()
        .collect();
    let mut vat_id = None;
    let mut tax_registration = None;
    for scheme in children(p, &["PartyTaxScheme"]) {
        let company = text(child(scheme, &["CompanyID"]));
        let kind = text(path(scheme, &[&["TaxScheme"], &["ID"]]));
        if kind
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case("VAT"))
        {
            vat_id = vat_id.or(company);
        } else {
            tax_registration = tax_registration.or(company);
        }
    }
    let address = child(p, &["PostalAddress"]);
    TradeParty {
        present: true,
        name: text(legal.and_then(|l| child(l, &["RegistrationName"]))),
        trading_name: text(path(p, &[&["PartyName"], &["Name"]])),
        ids,
        legal_ids,
        vat_id,
        tax_registration,
        has_address: address.is_some(),
        country: text(address.and_then(|a| path(a, &[&["Country"], &["IdentificationCode"]]))),
    }
}

fn vat_row(r: &mut Reader, sub: Node<'_, '_>) -> VatBreakdown {
    let category = child(sub, &["TaxCategory"]);
    VatBreakdown {
        category: text(category.and_then(|c| child(c, &["ID"]))),
        rate: r.dec(category.and_then(|c| child(c, &["Percent"])), "BT-119"),
        basis: r.dec(child(sub, &["TaxableAmount"]), "BT-116"),
        amount: r.dec(child(sub, &["TaxAmount"]), "BT-117"),
        exemption_reason: text(category.and_then(|c| child(c, &["TaxExemptionReason"]))),
        exemption_code: text(category.and_then(|c| child(c, &["TaxExemptionReasonCode"]))),
    }
}

fn allowance_charge(r: &mut Reader, a: Node<'_, '_>) -> AllowanceCharge {
    let charge = text(child(a, &["ChargeIndicator"])).as_deref() == Some("true");
    let (amount_term, rate_term) = if charge {
        ("BT-99", "BT-103")
    } else {
        ("BT-92", "BT-96")
    };
    let category = child(a, &["TaxCategory"]);
    AllowanceCharge {
        charge,
        amount: r.dec(child(a, &["Amount"]), amount_term),
        base: r.dec(child(a, &["BaseAmount"]), "BT-93"),
        percent: r.dec(child(a, &["MultiplierFactorNumeric"]), "BT-94"),
        category: text(category.and_then(|c| child(c, &["ID"]))),
        rate: r.dec(category.and_then(|c| child(c, &["Percent"])), rate_term),
        reason: text(child(a, &["AllowanceChargeReason"])),
        reason_code: text(child(a, &["AllowanceChargeReasonCode"])),
    }
}

fn line(r: &mut Reader, l: Node<'_, '_>) -> InvoiceLine {
    let item = child(l, &["Item"]);
    let category = item.and_then(|i| child(i, &["ClassifiedTaxCategory"]));
    InvoiceLine {
        id: text(child(l, &["ID"])),
        parent_id: None,
        role: LineRole::Normal,
        name: text(item.and_then(|i| child(i, &["Name"]))),
        quantity: r.dec(
            child(l, &["InvoicedQuantity", "CreditedQuantity"]),
            "BT-129",
        ),
        net_price: r.dec(path(l, &[&["Price"], &["PriceAmount"]]), "BT-146"),
        base_quantity: r.dec(path(l, &[&["Price"], &["BaseQuantity"]]), "BT-149"),
        adjustments: children(l, &["AllowanceCharge"])
            .map(|a| {
                let charge = text(child(a, &["ChargeIndicator"])).as_deref() == Some("true");
                let term = if charge { "BT-141" } else { "BT-136" };
                let amount = r.dec(child(a, &["Amount"]), term).unwrap_or_default();
                if charge { amount } else { -amount }
            })
            .sum(),
        net_amount: r.dec(child(l, &["LineExtensionAmount"]), "BT-131"),
        category: text(category.and_then(|c| child(c, &["ID"]))),
        rate: r.dec(category.and_then(|c| child(c, &["Percent"])), "BT-152"),
        accounting_ref: text(child(l, &["AccountingCost"])),
    }
}
