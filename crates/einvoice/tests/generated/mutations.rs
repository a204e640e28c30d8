//! Broken copies of the generated invoices without VAT (AE, K, O): each edit removes or changes
//! what a rule of EN 16931-1 requires of its category, and names the rules the independent
//! validator and our checks must both report.

use crate::support::forge::{Cat, Kind, Level, Party, Spec};
use crate::support::xmlout;

/// One broken invoice: its file name, the XML and the rules both must name.
pub struct Mutation {
    pub name: &'static str,
    pub ubl: bool,
    pub xml: String,
    pub rules: &'static [&'static str],
}

/// `spec` written, each (from, to) edit applied to the first occurrence.
fn edited(spec: &Spec, edits: &[(String, String)]) -> String {
    let mut text = xmlout::write(spec);
    for (from, to) in edits {
        assert!(text.contains(from.as_str()), "{from} not in\n{text}");
        text = text.replacen(from.as_str(), to, 1);
    }
    text
}

fn cii_vat(p: &Party) -> String {
    format!(
        "<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{}</ram:ID></ram:SpecifiedTaxRegistration>",
        p.vat
    )
}

fn ubl_vat(p: &Party) -> String {
    format!(
        "<cac:PartyTaxScheme><cbc:CompanyID>{}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>",
        p.vat
    )
}

fn drop(s: String) -> (String, String) {
    (s, String::new())
}

fn m(name: &'static str, ubl: bool, xml: String, rules: &'static [&'static str]) -> Mutation {
    Mutation {
        name,
        ubl,
        xml,
        rules,
    }
}

pub fn mutations() -> Vec<Mutation> {
    let mut out = cii();
    out.extend(ubl());
    out
}

fn cii() -> Vec<Mutation> {
    let en = Kind::Cii(Level::En16931);
    let ae = Spec::reverse_charge(en);
    let k = Spec::intra_community(en);
    let o = Spec::not_subject_to_vat(en);
    let k_date = k.delivery.as_ref().unwrap().date.replace('-', "");
    let ae_rate = "<ram:CategoryCode>AE</ram:CategoryCode><ram:RateApplicablePercent>0.00";
    let o_line = "<ram:CategoryCode>O</ram:CategoryCode></ram:ApplicableTradeTax>";
    let (_, k_reason) = Cat::K.exemption().unwrap();
    vec![
        m(
            "cii-AE-no-buyer-id",
            false,
            edited(
                &ae,
                &[
                    drop(cii_vat(&ae.buyer)),
                    drop(format!(
                        "<ram:SpecifiedLegalOrganization><ram:ID schemeID=\"0002\">{}</ram:ID></ram:SpecifiedLegalOrganization>",
                        ae.buyer.siren
                    )),
                ],
            ),
            &["BR-AE-02", "BR-AE-03"],
        ),
        m(
            "cii-AE-line-at-20",
            false,
            edited(&ae, &[(ae_rate.into(), ae_rate.replace("0.00", "20.00"))]),
            &["BR-AE-05"],
        ),
        m(
            "cii-AE-allowance-at-20",
            false,
            edited(
                &ae,
                &[(
                    format!("<ram:CategoryTradeTax><ram:TypeCode>VAT</ram:TypeCode>{ae_rate}"),
                    format!(
                        "<ram:CategoryTradeTax><ram:TypeCode>VAT</ram:TypeCode>{}",
                        ae_rate.replace("0.00", "20.00")
                    ),
                )],
            ),
            &["BR-AE-06"],
        ),
        m(
            "cii-K-no-buyer-vat",
            false,
            edited(&k, &[drop(cii_vat(&k.buyer))]),
            &["BR-IC-02", "BR-IC-04"],
        ),
        m(
            "cii-K-no-delivery-date",
            false,
            edited(
                &k,
                &[drop(format!(
                    "<ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime><udt:DateTimeString format=\"102\">{k_date}</udt:DateTimeString></ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent>"
                ))],
            ),
            &["BR-IC-11"],
        ),
        m(
            "cii-K-no-deliver-to-country",
            false,
            edited(
                &k,
                &[drop(
                    "<ram:ShipToTradeParty><ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress></ram:ShipToTradeParty>".into(),
                )],
            ),
            &["BR-IC-12"],
        ),
        m(
            "cii-K-no-exemption-reason",
            false,
            edited(
                &k,
                &[
                    drop(format!("<ram:ExemptionReason>{k_reason}</ram:ExemptionReason>")),
                    drop("<ram:ExemptionReasonCode>VATEX-EU-IC</ram:ExemptionReasonCode>".into()),
                ],
            ),
            &["BR-IC-10"],
        ),
        m(
            "cii-O-seller-vat",
            false,
            edited(
                &o,
                &[(
                    "</ram:PostalTradeAddress></ram:SellerTradeParty>".into(),
                    format!(
                        "</ram:PostalTradeAddress>{}</ram:SellerTradeParty>",
                        cii_vat(&o.seller)
                    ),
                )],
            ),
            &["BR-O-02", "BR-O-03"],
        ),
        m(
            "cii-O-line-rate",
            false,
            edited(
                &o,
                &[(
                    o_line.into(),
                    o_line.replace(
                        "</ram:CategoryCode>",
                        "</ram:CategoryCode><ram:RateApplicablePercent>0.00</ram:RateApplicablePercent>",
                    ),
                )],
            ),
            &["BR-O-05"],
        ),
        m(
            "cii-O-with-an-S-line",
            false,
            edited(
                &o,
                &[(
                    o_line.into(),
                    "<ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20.00</ram:RateApplicablePercent></ram:ApplicableTradeTax>".into(),
                )],
            ),
            &["BR-O-12", "BR-S-01"],
        ),
    ]
}

fn ubl() -> Vec<Mutation> {
    let ae = Spec::reverse_charge(Kind::UblInvoice);
    let k = Spec::intra_community(Kind::UblInvoice);
    let o = Spec::not_subject_to_vat(Kind::UblInvoice);
    let d = k.delivery.as_ref().unwrap();
    let ae_rate = "<cac:ClassifiedTaxCategory><cbc:ID>AE</cbc:ID><cbc:Percent>0.00";
    vec![
        m(
            "ubl-AE-line-at-20",
            true,
            edited(&ae, &[(ae_rate.into(), ae_rate.replace("0.00", "20.00"))]),
            &["BR-AE-05"],
        ),
        m(
            "ubl-K-no-buyer-vat",
            true,
            edited(&k, &[drop(ubl_vat(&k.buyer))]),
            &["BR-IC-02", "BR-IC-04"],
        ),
        m(
            "ubl-K-no-delivery",
            true,
            edited(
                &k,
                &[drop(format!(
                    "<cac:Delivery><cbc:ActualDeliveryDate>{}</cbc:ActualDeliveryDate><cac:DeliveryLocation><cac:Address><cac:Country><cbc:IdentificationCode>{}</cbc:IdentificationCode></cac:Country></cac:Address></cac:DeliveryLocation></cac:Delivery>",
                    d.date, d.country
                ))],
            ),
            &["BR-IC-11", "BR-IC-12"],
        ),
        m(
            "ubl-O-buyer-vat",
            true,
            edited(
                &o,
                &[(
                    format!(
                        "</cac:PostalAddress><cac:PartyLegalEntity><cbc:RegistrationName>{}",
                        o.buyer.name
                    ),
                    format!(
                        "</cac:PostalAddress>{}<cac:PartyLegalEntity><cbc:RegistrationName>{}",
                        ubl_vat(&o.buyer),
                        o.buyer.name
                    ),
                )],
            ),
            &["BR-O-02", "BR-O-03"],
        ),
    ]
}
