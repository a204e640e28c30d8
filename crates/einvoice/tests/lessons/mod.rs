//! What third-party e-invoice corpora taught (ZUGFeRD corpus, CEN examples, XRechnung test
//! suite, Peppol): each case is built from the generator or written here from the norm.

use einvoice::{Detection, Side};

use crate::support::{self, forge::Kind, forge::Level, forge::Spec, xmlout};

/// The rules a file breaks, or none when it is read and passes.
fn rules_of(bytes: &[u8], name: &str) -> Vec<String> {
    match einvoice::detect(bytes, name) {
        Detection::EInvoice(file) => einvoice::check(&file.into_invoice())
            .into_iter()
            .map(|v| v.rule)
            .collect(),
        other => panic!("{name}: {other:?}"),
    }
}

/// Removes the first `<tag>...</tag>` after `after` (the seller's VAT registration).
fn cut_after(xml: &str, after: &str, open: &str, close: &str) -> String {
    let from = xml.find(after).expect("anchor") + after.len();
    let start = from + xml[from..].find(open).expect("open tag");
    let end = start + xml[start..].find(close).expect("close tag") + close.len();
    format!("{}{}", &xml[..start], &xml[end..])
}

#[test]
fn a_standard_rated_invoice_without_any_seller_vat_identifier_is_refused_br_s_02() {
    // EN 16931-1 BR-S-02: a line at S needs BT-31, BT-32 or BT-63 (BG-11).
    let xml = xmlout::write(&Spec::typical(Kind::Cii(Level::En16931)));
    assert_eq!(rules_of(xml.as_bytes(), "f.xml"), Vec::<String>::new());
    let no_vat = cut_after(
        &xml,
        "<ram:SellerTradeParty>",
        "<ram:SpecifiedTaxRegistration>",
        "</ram:SpecifiedTaxRegistration>",
    );
    assert!(rules_of(no_vat.as_bytes(), "f.xml").contains(&"BR-S-02".to_string()));
    let cfg = support::dossier();
    let refused = einvoice::assess(
        no_vat.as_bytes(),
        "f.xml",
        Side::Purchase,
        "552081317",
        &support::options(&cfg),
    );
    assert!(
        refused.message().contains("[BR-S-02]"),
        "{}",
        refused.message()
    );
    assert_eq!(refused.action(), "ask the supplier to re-issue the invoice");
    // A tax representative's VAT identifier (BT-63, CII SellerTaxRepresentativeTradeParty)
    // stands for it.
    let represented = no_vat.replacen(
        "</ram:BuyerTradeParty>",
        "</ram:BuyerTradeParty><ram:SellerTaxRepresentativeTradeParty><ram:Name>Rep</ram:Name><ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress><ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">FR44732829320</ram:ID></ram:SpecifiedTaxRegistration></ram:SellerTaxRepresentativeTradeParty>",
        1,
    );
    assert_eq!(
        rules_of(represented.as_bytes(), "f.xml"),
        Vec::<String>::new()
    );
}

#[test]
fn a_ubl_tax_representative_stands_for_the_seller_vat_identifier() {
    // UBL binding of BT-63: cac:TaxRepresentativeParty/cac:PartyTaxScheme/cbc:CompanyID.
    let xml = xmlout::write(&Spec::typical(Kind::UblInvoice));
    let no_vat = cut_after(
        &xml,
        "<cac:AccountingSupplierParty>",
        "<cac:PartyTaxScheme>",
        "</cac:PartyTaxScheme>",
    );
    assert!(rules_of(no_vat.as_bytes(), "f.xml").contains(&"BR-S-02".to_string()));
    let represented = no_vat.replacen(
        "</cac:AccountingCustomerParty>",
        "</cac:AccountingCustomerParty><cac:TaxRepresentativeParty><cac:PartyName><cbc:Name>Rep</cbc:Name></cac:PartyName><cac:PostalAddress><cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country></cac:PostalAddress><cac:PartyTaxScheme><cbc:CompanyID>FR44732829320</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme></cac:TaxRepresentativeParty>",
        1,
    );
    assert_eq!(
        rules_of(represented.as_bytes(), "f.xml"),
        Vec::<String>::new()
    );
}

#[test]
fn utf16_big_endian_without_bom_is_read() {
    // XML 1.0 Appendix F: 00 3C 00 3F opens a UTF-16BE document that has no BOM.
    let xml = xmlout::write(&Spec::typical(Kind::Cii(Level::En16931)));
    let body = xml.split_once("?>").expect("declaration").1;
    let text = format!("<?xml version=\"1.0\" encoding=\"UTF-16BE\"?>{body}");
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    assert_eq!(rules_of(&be, "invoice"), Vec::<String>::new());
}

#[test]
fn the_due_date_is_found_in_a_later_payment_terms_group() {
    // Factur-X EXTENDED: several SpecifiedTradePaymentTerms, the first one a text only.
    let spec = Spec::typical(Kind::Cii(Level::Extended));
    let xml = xmlout::write(&spec).replacen(
        "<ram:SpecifiedTradePaymentTerms>",
        "<ram:SpecifiedTradePaymentTerms><ram:Description>Acompte de 30 % à la commande</ram:Description></ram:SpecifiedTradePaymentTerms><ram:SpecifiedTradePaymentTerms>",
        1,
    );
    let Detection::EInvoice(file) = einvoice::detect(xml.as_bytes(), "f.xml") else {
        panic!("not read");
    };
    let due = file.into_invoice().due_date.map(|d| d.to_string());
    assert_eq!(due.as_deref(), Some(spec.due.as_str()));
}
