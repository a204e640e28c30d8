//! Reads a UN/CEFACT Cross Industry Invoice (D16B: Factur-X, ZUGFeRD 2.x, XRechnung CII) or a
//! ZUGFeRD 1.0 `CrossIndustryDocument` into the EN 16931 model. Paths follow the EN 16931-3-3
//! CII binding; each step lists the D16B name first and the ZUGFeRD 1.0 name second.

use roxmltree::Node;
use rust_decimal::Decimal;

use crate::model::{
    AllowanceCharge, DocumentTotals, Identifier, Invoice, InvoiceLine, LineRole, Profile, Syntax,
    TradeParty, VatBreakdown,
};
use crate::reader::Reader;
use crate::xml::{anywhere, attr, child, children, path, text};

const CONTEXT: &[&str] = &[
    "ExchangedDocumentContext",
    "SpecifiedExchangedDocumentContext",
];
const DOCUMENT: &[&str] = &["ExchangedDocument", "HeaderExchangedDocument"];
const TRANSACTION: &[&str] = &[
    "SupplyChainTradeTransaction",
    "SpecifiedSupplyChainTradeTransaction",
];
const AGREEMENT: &[&str] = &[
    "ApplicableHeaderTradeAgreement",
    "ApplicableSupplyChainTradeAgreement",
];
const SETTLEMENT: &[&str] = &[
    "ApplicableHeaderTradeSettlement",
    "ApplicableSupplyChainTradeSettlement",
];
const HEADER_SUMMATION: &[&str] = &[
    "SpecifiedTradeSettlementHeaderMonetarySummation",
    "SpecifiedTradeSettlementMonetarySummation",
];
const LINE_AGREEMENT: &[&str] = &[
    "SpecifiedLineTradeAgreement",
    "SpecifiedSupplyChainTradeAgreement",
];
const LINE_DELIVERY: &[&str] = &[
    "SpecifiedLineTradeDelivery",
    "SpecifiedSupplyChainTradeDelivery",
];
const LINE_SETTLEMENT: &[&str] = &[
    "SpecifiedLineTradeSettlement",
    "SpecifiedSupplyChainTradeSettlement",
];
const LINE_SUMMATION: &[&str] = &[
    "SpecifiedTradeSettlementLineMonetarySummation",
    "SpecifiedTradeSettlementMonetarySummation",
];
const RATE: &[&str] = &["RateApplicablePercent", "ApplicablePercent"];

/// Reads the invoice under `root` (`CrossIndustryInvoice` or `CrossIndustryDocument`).
pub fn read(root: Node<'_, '_>, syntax: Syntax) -> Invoice {
    let mut r = Reader::default();
    let context = child(root, CONTEXT);
    let document = child(root, DOCUMENT);
    let transaction = child(root, TRANSACTION);
    let agreement = transaction.and_then(|t| child(t, AGREEMENT));
    let settlement = transaction.and_then(|t| child(t, SETTLEMENT));

    let specification_id = text(context.and_then(|c| {
        path(
            c,
            &[&["GuidelineSpecifiedDocumentContextParameter"], &["ID"]],
        )
    }));
    let profile = Profile::from_id(specification_id.as_deref());
    // A D16B invoice is checked by EN 16931's rules, whatever era its label comes from.
    let profile = match syntax {
        Syntax::Zugferd1 => profile,
        _ => profile.for_en16931_syntax(),
    };
    let issue = document.and_then(|d| path(d, &[&["IssueDateTime"], &["DateTimeString"]]));
    // BT-9: the first due date among the payment terms (Factur-X EXTENDED may write several,
    // the first one without a date, e.g. a deposit described in words).
    let due = settlement.and_then(|s| {
        children(s, &["SpecifiedTradePaymentTerms"])
            .find_map(|t| path(t, &[&["DueDateDateTime"], &["DateTimeString"]]))
    });
    let currency = text(settlement.and_then(|s| child(s, &["InvoiceCurrencyCode"])));

    let vat_breakdown = settlement
        .map(|s| {
            children(s, &["ApplicableTradeTax"])
                .map(|t| vat_row(&mut r, t))
                .collect()
        })
        .unwrap_or_default();
    let mut allowances_charges: Vec<AllowanceCharge> = settlement
        .map(|s| {
            children(s, &["SpecifiedTradeAllowanceCharge"])
                .map(|a| allowance_charge(&mut r, a))
                .collect()
        })
        .unwrap_or_default();
    // EXTENDED and ZUGFeRD 1.0 logistics charges are counted in the charge total (BT-108).
    if let Some(s) = settlement {
        for c in children(s, &["SpecifiedLogisticsServiceCharge"]) {
            let tax = child(c, &["AppliedTradeTax"]);
            allowances_charges.push(AllowanceCharge {
                charge: true,
                amount: r.dec(child(c, &["AppliedAmount"]), "BT-99"),
                category: text(tax.and_then(|t| child(t, &["CategoryCode"]))),
                rate: r.dec(tax.and_then(|t| child(t, RATE)), "BT-103"),
                reason: text(child(c, &["Description"])),
                ..AllowanceCharge::default()
            });
        }
    }
    let totals = settlement
        .and_then(|s| child(s, HEADER_SUMMATION))
        .map(|m| header_totals(&mut r, m, currency.as_deref()))
        .unwrap_or_default();
    let lines = transaction
        .map(|t| {
            children(t, &["IncludedSupplyChainTradeLineItem"])
                .map(|l| line(&mut r, l))
                .collect()
        })
        .unwrap_or_default();

    Invoice {
        syntax,
        ubl_credit_note: false,
        specification_id,
        profile,
        type_code: text(document.and_then(|d| child(d, &["TypeCode"]))),
        number: text(document.and_then(|d| child(d, &["ID"]))),
        issue_date: r.date(issue, "BT-2"),
        due_date: r.date(due, "BT-9"),
        currency,
        tax_currency: text(settlement.and_then(|s| child(s, &["TaxCurrencyCode"]))),
        buyer_reference: text(agreement.and_then(|a| child(a, &["BuyerReference"]))),
        buyer_accounting_ref: text(settlement.and_then(|s| {
            path(
                s,
                &[&["ReceivableSpecifiedTradeAccountingAccount"], &["ID"]],
            )
        })),
        preceding_invoice: text(
            settlement
                .and_then(|s| path(s, &[&["InvoiceReferencedDocument"], &["IssuerAssignedID"]])),
        ),
        seller: party(agreement.and_then(|a| child(a, &["SellerTradeParty"]))),
        seller_tax_representative_vat_id: agreement
            .and_then(|a| child(a, &["SellerTaxRepresentativeTradeParty"]))
            .and_then(|p| party(Some(p)).vat_id),
        // BR-IC-11 / BR-IC-12 read these anywhere (CEN CII Schematron: //ram:...).
        delivery_date_or_period: anywhere(
            root,
            &["ActualDeliverySupplyChainEvent"],
            &[&["OccurrenceDateTime"], &["DateTimeString"]],
        ) || anywhere(
            root,
            &["BillingSpecifiedPeriod"],
            &[&["StartDateTime"], &["DateTimeString"]],
        ) || anywhere(
            root,
            &["BillingSpecifiedPeriod"],
            &[&["EndDateTime"], &["DateTimeString"]],
        ),
        deliver_to_country: transaction
            .and_then(|t| {
                child(
                    t,
                    &[
                        "ApplicableHeaderTradeDelivery",
                        "ApplicableSupplyChainTradeDelivery",
                    ],
                )
            })
            .and_then(|d| {
                text(path(
                    d,
                    &[
                        &["ShipToTradeParty"],
                        &["PostalTradeAddress"],
                        &["CountryID"],
                    ],
                ))
            }),
        buyer: party(agreement.and_then(|a| child(a, &["BuyerTradeParty"]))),
        vat_breakdown,
        allowances_charges,
        totals,
        lines,
        malformed: r.malformed,
    }
}

fn party(node: Option<Node<'_, '_>>) -> TradeParty {
    let Some(p) = node else {
        return TradeParty::default();
    };
    let ids = children(p, &["ID", "GlobalID"])
        .filter_map(|id| {
            text(Some(id)).map(|value| Identifier {
                scheme: attr(Some(id), "schemeID"),
                value,
            })
        })
        .collect();
    let legal = child(p, &["SpecifiedLegalOrganization"]);
    let legal_ids = legal
        .and_then(|l| child(l, &["ID"]))
        .and_then(|id| {
            text(Some(id)).map(|value| Identifier {
                scheme: attr(Some(id), "schemeID"),
                value,
            })
        })
        .into_iter()
        .collect();
    let mut vat_id = None;
    let mut tax_registration = None;
    for reg in children(p, &["SpecifiedTaxRegistration"]) {
        let id = child(reg, &["ID"]);
        match attr(id, "schemeID").as_deref() {
            Some("VA") => vat_id = vat_id.or(text(id)),
            Some("FC") => tax_registration = tax_registration.or(text(id)),
            _ => {}
        }
    }
    let address = child(p, &["PostalTradeAddress"]);
    TradeParty {
        present: true,
        name: text(child(p, &["Name"])),
        trading_name: text(legal.and_then(|l| child(l, &["TradingBusinessName"]))),
        ids,
        legal_ids,
        vat_id,
        tax_registration,
        has_address: address.is_some(),
        country: text(address.and_then(|a| child(a, &["CountryID"]))),
    }
}

fn vat_row(r: &mut Reader, t: Node<'_, '_>) -> VatBreakdown {
    VatBreakdown {
        category: text(child(t, &["CategoryCode"])),
        rate: r.dec(child(t, RATE), "BT-119"),
        basis: r.dec(child(t, &["BasisAmount"]), "BT-116"),
        amount: r.dec(child(t, &["CalculatedAmount"]), "BT-117"),
        exemption_reason: text(child(t, &["ExemptionReason"])),
        exemption_code: text(child(t, &["ExemptionReasonCode"])),
    }
}

fn allowance_charge(r: &mut Reader, a: Node<'_, '_>) -> AllowanceCharge {
    let indicator = text(path(a, &[&["ChargeIndicator"], &["Indicator"]]));
    let charge = matches!(indicator.as_deref(), Some("true") | Some("1"));
    let (amount_term, rate_term) = if charge {
        ("BT-99", "BT-103")
    } else {
        ("BT-92", "BT-96")
    };
    let tax = child(a, &["CategoryTradeTax"]);
    AllowanceCharge {
        charge,
        amount: r.dec(child(a, &["ActualAmount"]), amount_term),
        base: r.dec(child(a, &["BasisAmount"]), "BT-93"),
        percent: r.dec(child(a, &["CalculationPercent"]), "BT-94"),
        category: text(tax.and_then(|t| child(t, &["CategoryCode"]))),
        rate: r.dec(tax.and_then(|t| child(t, RATE)), rate_term),
        reason: text(child(a, &["Reason"])),
        reason_code: text(child(a, &["ReasonCode"])),
    }
}

fn header_totals(r: &mut Reader, m: Node<'_, '_>, currency: Option<&str>) -> DocumentTotals {
    let mut totals = DocumentTotals {
        line_total: r.dec(child(m, &["LineTotalAmount"]), "BT-106"),
        allowance_total: r.dec(child(m, &["AllowanceTotalAmount"]), "BT-107"),
        charge_total: r.dec(child(m, &["ChargeTotalAmount"]), "BT-108"),
        tax_basis_total: r.dec(child(m, &["TaxBasisTotalAmount"]), "BT-109"),
        grand_total: r.dec(child(m, &["GrandTotalAmount"]), "BT-112"),
        prepaid: r.dec(child(m, &["TotalPrepaidAmount"]), "BT-113"),
        rounding: r.dec(child(m, &["RoundingAmount"]), "BT-114"),
        due_payable: r.dec(child(m, &["DuePayableAmount"]), "BT-115"),
        ..DocumentTotals::default()
    };
    // BT-110 is the TaxTotalAmount in the invoice currency; another currency's is BT-111.
    for tax in children(m, &["TaxTotalAmount"]) {
        let in_invoice_currency = match (attr(Some(tax), "currencyID"), currency) {
            (Some(c), Some(cur)) => c.eq_ignore_ascii_case(cur),
            _ => true,
        };
        if in_invoice_currency {
            totals.vat_total_count += 1;
            if totals.vat_total.is_none() {
                totals.vat_total = r.dec(Some(tax), "BT-110");
            }
        } else if totals.vat_total_accounting.is_none() {
            totals.vat_total_accounting = r.dec(Some(tax), "BT-111");
        }
    }
    totals
}

fn line(r: &mut Reader, l: Node<'_, '_>) -> InvoiceLine {
    let doc = child(l, &["AssociatedDocumentLineDocument"]);
    let settlement = child(l, LINE_SETTLEMENT);
    let tax = settlement.and_then(|s| child(s, &["ApplicableTradeTax"]));
    let parent_id = text(doc.and_then(|d| child(d, &["ParentLineID"])));
    let status = text(doc.and_then(|d| child(d, &["LineStatusReasonCode"])));
    let role = match status.as_deref().map(str::to_ascii_uppercase).as_deref() {
        Some("GROUP") => LineRole::Group,
        Some("DETAIL") => LineRole::Detail,
        Some("INFORMATION") => LineRole::Information,
        _ => LineRole::Normal,
    };
    InvoiceLine {
        id: text(doc.and_then(|d| child(d, &["LineID"]))),
        parent_id,
        role,
        name: text(path(l, &[&["SpecifiedTradeProduct"], &["Name"]])),
        quantity: r.dec(
            child(l, LINE_DELIVERY).and_then(|d| child(d, &["BilledQuantity"])),
            "BT-129",
        ),
        net_price: r.dec(
            child(l, LINE_AGREEMENT)
                .and_then(|a| path(a, &[&["NetPriceProductTradePrice"], &["ChargeAmount"]])),
            "BT-146",
        ),
        base_quantity: r.dec(
            child(l, LINE_AGREEMENT)
                .and_then(|a| path(a, &[&["NetPriceProductTradePrice"], &["BasisQuantity"]])),
            "BT-149",
        ),
        adjustments: line_adjustments(r, settlement),
        net_amount: r.dec(
            settlement
                .and_then(|s| child(s, LINE_SUMMATION))
                .and_then(|m| child(m, &["LineTotalAmount"])),
            "BT-131",
        ),
        category: text(tax.and_then(|t| child(t, &["CategoryCode"]))),
        rate: r.dec(tax.and_then(|t| child(t, RATE)), "BT-152"),
        accounting_ref: text(settlement.and_then(|s| {
            path(
                s,
                &[&["ReceivableSpecifiedTradeAccountingAccount"], &["ID"]],
            )
        })),
    }
}

/// Line charges minus line allowances (BG-27/BG-28 in `SpecifiedLineTradeSettlement`).
fn line_adjustments(r: &mut Reader, settlement: Option<Node<'_, '_>>) -> Decimal {
    let Some(settlement) = settlement else {
        return Decimal::ZERO;
    };
    let mut sum = Decimal::ZERO;
    for a in children(settlement, &["SpecifiedTradeAllowanceCharge"]) {
        let charge = text(path(a, &[&["ChargeIndicator"], &["Indicator"]]))
            .is_some_and(|t| t.trim() == "true");
        let amount = r
            .dec(
                child(a, &["ActualAmount"]),
                if charge { "BT-141" } else { "BT-136" },
            )
            .unwrap_or_default();
        sum = if charge { sum + amount } else { sum - amount };
    }
    sum
}
