#![allow(dead_code)]

//! Writes a [`Spec`] as CII D16B (in the order of the Factur-X profile schemas) or UBL 2.1
//! (in the order of the UBL Invoice / CreditNote schemas).

use rust_decimal::Decimal;

use super::forge::{Cat, Kind, Level, Party, Spec};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn amt(d: Decimal) -> String {
    format!("{:.2}", d)
}

fn compact(date: &str) -> String {
    date.replace('-', "")
}

/// Writes the spec in its syntax.
pub fn write(spec: &Spec) -> String {
    match spec.kind {
        Kind::Cii(level) => write_cii(spec, level),
        Kind::UblInvoice | Kind::UblCreditNote => write_ubl(spec),
    }
}

/// `<RateApplicablePercent>` (CII) or `<cbc:Percent>` (UBL), absent for O.
fn rate(cat: Cat, tag: &str) -> String {
    if cat.has_rate() {
        format!("<{tag}>{}</{tag}>", amt(cat.rate()))
    } else {
        String::new()
    }
}

fn cii_tax(out: &mut String, cat: Cat, tag: &str) {
    out.push_str(&format!(
        "<ram:{tag}><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>{}</ram:CategoryCode>{}</ram:{tag}>",
        cat.code(),
        rate(cat, "ram:RateApplicablePercent")
    ));
}

/// A breakdown row (BG-23) in CII order: amount, type, reason, basis, category, reason code,
/// rate.
fn cii_row(out: &mut String, r: &super::forge::VatRow) {
    let (code, text) = match r.cat.exemption() {
        Some((code, text)) => (code, Some(text)),
        None => (None, None),
    };
    out.push_str(&format!(
        "<ram:ApplicableTradeTax><ram:CalculatedAmount>{}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>",
        amt(r.vat)
    ));
    if let Some(text) = text {
        out.push_str(&format!(
            "<ram:ExemptionReason>{}</ram:ExemptionReason>",
            esc(text)
        ));
    }
    out.push_str(&format!(
        "<ram:BasisAmount>{}</ram:BasisAmount><ram:CategoryCode>{}</ram:CategoryCode>",
        amt(r.basis),
        r.cat.code()
    ));
    if let Some(code) = code {
        out.push_str(&format!(
            "<ram:ExemptionReasonCode>{code}</ram:ExemptionReasonCode>"
        ));
    }
    out.push_str(&rate(r.cat, "ram:RateApplicablePercent"));
    out.push_str("</ram:ApplicableTradeTax>");
}

/// BG-13 in CII: the deliver-to country (BT-80) and the actual delivery date (BT-72).
fn cii_delivery(out: &mut String, spec: &Spec, level: Level) {
    match (&spec.delivery, level) {
        (Some(d), level) if level != Level::Minimum => out.push_str(&format!(
            "<ram:ApplicableHeaderTradeDelivery><ram:ShipToTradeParty><ram:PostalTradeAddress><ram:CountryID>{}</ram:CountryID></ram:PostalTradeAddress></ram:ShipToTradeParty><ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime><udt:DateTimeString format=\"102\">{}</udt:DateTimeString></ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent></ram:ApplicableHeaderTradeDelivery>",
            d.country,
            compact(&d.date)
        )),
        _ => out.push_str("<ram:ApplicableHeaderTradeDelivery/>"),
    }
}

/// A party; `vat`: whether its VAT id is written (not on an invoice not subject to VAT).
fn cii_party(out: &mut String, tag: &str, p: &Party, level: Level, seller: bool, vat: bool) {
    out.push_str(&format!("<ram:{tag}><ram:Name>{}</ram:Name>", esc(&p.name)));
    out.push_str(&format!(
        "<ram:SpecifiedLegalOrganization><ram:ID schemeID=\"0002\">{}</ram:ID></ram:SpecifiedLegalOrganization>",
        p.siren
    ));
    if seller || level != Level::Minimum {
        out.push_str("<ram:PostalTradeAddress>");
        if level != Level::Minimum {
            out.push_str("<ram:PostcodeCode>75001</ram:PostcodeCode><ram:LineOne>1 rue de la Paix</ram:LineOne><ram:CityName>Paris</ram:CityName>");
        }
        out.push_str(&format!(
            "<ram:CountryID>{}</ram:CountryID></ram:PostalTradeAddress>",
            p.country
        ));
    }
    if vat && (seller || level != Level::Minimum) {
        out.push_str(&format!(
            "<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{}</ram:ID></ram:SpecifiedTaxRegistration>",
            p.vat
        ));
    }
    out.push_str(&format!("</ram:{tag}>"));
}

fn write_cii(spec: &Spec, level: Level) -> String {
    let f = spec.figures();
    let mut o = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\" xmlns:qdt=\"urn:un:unece:uncefact:data:standard:QualifiedDataType:100\" xmlns:ram=\"urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100\" xmlns:udt=\"urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100\">",
    );
    o.push_str(&format!(
        "<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>{}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>",
        level.guideline()
    ));
    o.push_str(&format!(
        "<rsm:ExchangedDocument><ram:ID>{}</ram:ID><ram:TypeCode>{}</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format=\"102\">{}</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>",
        esc(&spec.number),
        if spec.credit_note { "381" } else { "380" },
        compact(&spec.date)
    ));
    o.push_str("<rsm:SupplyChainTradeTransaction>");
    if level.has_lines() {
        for (i, l) in spec.lines.iter().enumerate() {
            o.push_str(&format!(
                "<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument><ram:LineID>{}</ram:LineID></ram:AssociatedDocumentLineDocument><ram:SpecifiedTradeProduct><ram:Name>{}</ram:Name></ram:SpecifiedTradeProduct><ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{}</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement><ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode=\"C62\">{}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery><ram:SpecifiedLineTradeSettlement>",
                i + 1,
                esc(&l.name),
                l.price,
                l.quantity
            ));
            cii_tax(&mut o, l.cat, "ApplicableTradeTax");
            o.push_str(&format!(
                "<ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>",
                amt(l.net())
            ));
            if let (Some(a), Level::En16931 | Level::Extended) = (&l.account, level) {
                o.push_str(&format!(
                    "<ram:ReceivableSpecifiedTradeAccountingAccount><ram:ID>{a}</ram:ID></ram:ReceivableSpecifiedTradeAccountingAccount>"
                ));
            }
            o.push_str(
                "</ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>",
            );
        }
    }
    o.push_str("<ram:ApplicableHeaderTradeAgreement>");
    let vat = !spec.not_subject();
    cii_party(&mut o, "SellerTradeParty", &spec.seller, level, true, vat);
    cii_party(&mut o, "BuyerTradeParty", &spec.buyer, level, false, vat);
    o.push_str("</ram:ApplicableHeaderTradeAgreement>");
    cii_delivery(&mut o, spec, level);
    o.push_str("<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>");
    if level != Level::Minimum {
        for r in &f.rows {
            cii_row(&mut o, r);
        }
        for a in &spec.allowances_charges {
            o.push_str(&format!(
                "<ram:SpecifiedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator>{}</udt:Indicator></ram:ChargeIndicator><ram:ActualAmount>{}</ram:ActualAmount><ram:Reason>{}</ram:Reason>",
                a.charge,
                amt(a.amount),
                esc(&a.reason)
            ));
            cii_tax(&mut o, a.cat, "CategoryTradeTax");
            o.push_str("</ram:SpecifiedTradeAllowanceCharge>");
        }
        o.push_str(&format!(
            "<ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime><udt:DateTimeString format=\"102\">{}</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>",
            compact(&spec.due)
        ));
    }
    o.push_str("<ram:SpecifiedTradeSettlementHeaderMonetarySummation>");
    if level != Level::Minimum {
        o.push_str(&format!(
            "<ram:LineTotalAmount>{}</ram:LineTotalAmount>",
            amt(f.line_total)
        ));
        if f.charges > Decimal::ZERO || spec.allowances_charges.iter().any(|a| a.charge) {
            o.push_str(&format!(
                "<ram:ChargeTotalAmount>{}</ram:ChargeTotalAmount>",
                amt(f.charges)
            ));
        }
        if spec.allowances_charges.iter().any(|a| !a.charge) {
            o.push_str(&format!(
                "<ram:AllowanceTotalAmount>{}</ram:AllowanceTotalAmount>",
                amt(f.allowances)
            ));
        }
    }
    o.push_str(&format!(
        "<ram:TaxBasisTotalAmount>{}</ram:TaxBasisTotalAmount><ram:TaxTotalAmount currencyID=\"EUR\">{}</ram:TaxTotalAmount><ram:GrandTotalAmount>{}</ram:GrandTotalAmount>",
        amt(f.basis),
        amt(f.vat),
        amt(f.grand)
    ));
    if level != Level::Minimum && !spec.prepaid.is_zero() {
        o.push_str(&format!(
            "<ram:TotalPrepaidAmount>{}</ram:TotalPrepaidAmount>",
            amt(spec.prepaid)
        ));
    }
    let due = if level == Level::Minimum {
        f.grand
    } else {
        f.due
    };
    o.push_str(&format!(
        "<ram:DuePayableAmount>{}</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation>",
        amt(due)
    ));
    if let (Some(a), true) = (&spec.buyer_account, level != Level::Minimum) {
        o.push_str(&format!(
            "<ram:ReceivableSpecifiedTradeAccountingAccount><ram:ID>{a}</ram:ID></ram:ReceivableSpecifiedTradeAccountingAccount>"
        ));
    }
    o.push_str("</ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>\n");
    o
}

fn ubl_category(out: &mut String, tag: &str, cat: Cat, reason: bool) {
    out.push_str(&format!(
        "<cac:{tag}><cbc:ID>{}</cbc:ID>{}",
        cat.code(),
        rate(cat, "cbc:Percent")
    ));
    if let (true, Some((code, text))) = (reason, cat.exemption()) {
        if let Some(code) = code {
            out.push_str(&format!(
                "<cbc:TaxExemptionReasonCode>{code}</cbc:TaxExemptionReasonCode>"
            ));
        }
        out.push_str(&format!(
            "<cbc:TaxExemptionReason>{}</cbc:TaxExemptionReason>",
            esc(text)
        ));
    }
    out.push_str(&format!(
        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:{tag}>"
    ));
}

/// A party; `vat`: whether its VAT id is written (not on an invoice not subject to VAT).
fn ubl_party(out: &mut String, tag: &str, p: &Party, vat: bool) {
    let tax = if vat {
        format!(
            "<cac:PartyTaxScheme><cbc:CompanyID>{}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>",
            p.vat
        )
    } else {
        String::new()
    };
    out.push_str(&format!(
        "<cac:{tag}><cac:Party><cbc:EndpointID schemeID=\"0009\">{siren}00011</cbc:EndpointID><cac:PartyName><cbc:Name>{name}</cbc:Name></cac:PartyName><cac:PostalAddress><cbc:StreetName>1 rue de la Paix</cbc:StreetName><cbc:CityName>Paris</cbc:CityName><cbc:PostalZone>75001</cbc:PostalZone><cac:Country><cbc:IdentificationCode>{country}</cbc:IdentificationCode></cac:Country></cac:PostalAddress>{tax}<cac:PartyLegalEntity><cbc:RegistrationName>{name}</cbc:RegistrationName><cbc:CompanyID schemeID=\"0002\">{siren}</cbc:CompanyID></cac:PartyLegalEntity></cac:Party></cac:{tag}>",
        siren = p.siren,
        name = esc(&p.name),
        country = p.country
    ));
}

fn write_ubl(spec: &Spec) -> String {
    let f = spec.figures();
    let credit = spec.kind == Kind::UblCreditNote;
    let (root, ns, type_tag, line_tag, qty_tag) = if credit {
        (
            "CreditNote",
            "CreditNote-2",
            "CreditNoteTypeCode",
            "CreditNoteLine",
            "CreditedQuantity",
        )
    } else {
        (
            "Invoice",
            "Invoice-2",
            "InvoiceTypeCode",
            "InvoiceLine",
            "InvoicedQuantity",
        )
    };
    let mut o = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:{ns}\" xmlns:cac=\"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2\" xmlns:cbc=\"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2\">"
    );
    o.push_str(&format!(
        "<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID><cbc:ID>{}</cbc:ID><cbc:IssueDate>{}</cbc:IssueDate>",
        esc(&spec.number),
        spec.date
    ));
    if !credit {
        o.push_str(&format!("<cbc:DueDate>{}</cbc:DueDate>", spec.due));
    }
    o.push_str(&format!(
        "<cbc:{type_tag}>{}</cbc:{type_tag}><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>",
        if spec.credit_note { "381" } else { "380" }
    ));
    if let Some(a) = &spec.buyer_account {
        o.push_str(&format!("<cbc:AccountingCost>{a}</cbc:AccountingCost>"));
    }
    o.push_str("<cbc:BuyerReference>SERVICE-ACHATS</cbc:BuyerReference>");
    let vat = !spec.not_subject();
    ubl_party(&mut o, "AccountingSupplierParty", &spec.seller, vat);
    ubl_party(&mut o, "AccountingCustomerParty", &spec.buyer, vat);
    if let Some(d) = &spec.delivery {
        o.push_str(&format!(
            "<cac:Delivery><cbc:ActualDeliveryDate>{}</cbc:ActualDeliveryDate><cac:DeliveryLocation><cac:Address><cac:Country><cbc:IdentificationCode>{}</cbc:IdentificationCode></cac:Country></cac:Address></cac:DeliveryLocation></cac:Delivery>",
            d.date, d.country
        ));
    }
    if credit {
        o.push_str(&format!(
            "<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode><cbc:PaymentDueDate>{}</cbc:PaymentDueDate><cac:PayeeFinancialAccount><cbc:ID>FR7630006000011234567890189</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>",
            spec.due
        ));
    }
    for a in &spec.allowances_charges {
        o.push_str(&format!(
            "<cac:AllowanceCharge><cbc:ChargeIndicator>{}</cbc:ChargeIndicator><cbc:AllowanceChargeReason>{}</cbc:AllowanceChargeReason><cbc:Amount currencyID=\"EUR\">{}</cbc:Amount>",
            a.charge,
            esc(&a.reason),
            amt(a.amount)
        ));
        ubl_category(&mut o, "TaxCategory", a.cat, false);
        o.push_str("</cac:AllowanceCharge>");
    }
    o.push_str(&format!(
        "<cac:TaxTotal><cbc:TaxAmount currencyID=\"EUR\">{}</cbc:TaxAmount>",
        amt(f.vat)
    ));
    for r in &f.rows {
        o.push_str(&format!(
            "<cac:TaxSubtotal><cbc:TaxableAmount currencyID=\"EUR\">{}</cbc:TaxableAmount><cbc:TaxAmount currencyID=\"EUR\">{}</cbc:TaxAmount>",
            amt(r.basis),
            amt(r.vat)
        ));
        ubl_category(&mut o, "TaxCategory", r.cat, true);
        o.push_str("</cac:TaxSubtotal>");
    }
    o.push_str("</cac:TaxTotal><cac:LegalMonetaryTotal>");
    o.push_str(&format!(
        "<cbc:LineExtensionAmount currencyID=\"EUR\">{}</cbc:LineExtensionAmount><cbc:TaxExclusiveAmount currencyID=\"EUR\">{}</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID=\"EUR\">{}</cbc:TaxInclusiveAmount>",
        amt(f.line_total),
        amt(f.basis),
        amt(f.grand)
    ));
    if spec.allowances_charges.iter().any(|a| !a.charge) {
        o.push_str(&format!(
            "<cbc:AllowanceTotalAmount currencyID=\"EUR\">{}</cbc:AllowanceTotalAmount>",
            amt(f.allowances)
        ));
    }
    if spec.allowances_charges.iter().any(|a| a.charge) {
        o.push_str(&format!(
            "<cbc:ChargeTotalAmount currencyID=\"EUR\">{}</cbc:ChargeTotalAmount>",
            amt(f.charges)
        ));
    }
    if !spec.prepaid.is_zero() {
        o.push_str(&format!(
            "<cbc:PrepaidAmount currencyID=\"EUR\">{}</cbc:PrepaidAmount>",
            amt(spec.prepaid)
        ));
    }
    o.push_str(&format!(
        "<cbc:PayableAmount currencyID=\"EUR\">{}</cbc:PayableAmount></cac:LegalMonetaryTotal>",
        amt(f.due)
    ));
    for (i, l) in spec.lines.iter().enumerate() {
        o.push_str(&format!(
            "<cac:{line_tag}><cbc:ID>{}</cbc:ID><cbc:{qty_tag} unitCode=\"C62\">{}</cbc:{qty_tag}><cbc:LineExtensionAmount currencyID=\"EUR\">{}</cbc:LineExtensionAmount>",
            i + 1,
            l.quantity,
            amt(l.net())
        ));
        if let Some(a) = &l.account {
            o.push_str(&format!("<cbc:AccountingCost>{a}</cbc:AccountingCost>"));
        }
        o.push_str(&format!("<cac:Item><cbc:Name>{}</cbc:Name>", esc(&l.name)));
        ubl_category(&mut o, "ClassifiedTaxCategory", l.cat, false);
        o.push_str(&format!(
            "</cac:Item><cac:Price><cbc:PriceAmount currencyID=\"EUR\">{}</cbc:PriceAmount></cac:Price></cac:{line_tag}>",
            l.price
        ));
    }
    o.push_str(&format!("</{root}>\n"));
    o
}
