//! From a detected e-invoice file to the EN 16931 model.

use roxmltree::Node;

use crate::error::ReadError;
use crate::model::{Invoice, Syntax};
use crate::xml::{self, Limits};
use crate::{cii, ubl};

/// Reads an invoice XML (CII, ZUGFeRD 1.0 or UBL).
pub fn read_xml(bytes: &[u8], limits: &Limits) -> Result<Invoice, ReadError> {
    let text = xml::decode(bytes)?;
    let doc = xml::parse(&text, limits)?;
    let root = doc.root_element();
    match identify(root) {
        Ok(format) => Ok(read_root(root, format)),
        Err(reason) => Err(ReadError::NotAnInvoice(reason)),
    }
}

/// Reads the invoice under an identified root element.
pub(crate) fn read_root(root: Node<'_, '_>, format: Format) -> Invoice {
    match format {
        Format::Cii => cii::read(root, Syntax::Cii),
        Format::Zugferd1 => cii::read(root, Syntax::Zugferd1),
        Format::UblInvoice | Format::UblCreditNote => ubl::read(root),
    }
}

pub const NS_CII: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
pub const NS_ZUGFERD1: &str = "urn:ferd:CrossIndustryDocument:invoice:1p0";
pub const NS_UBL_INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
pub const NS_UBL_CREDIT_NOTE: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";

/// The XML format of an e-invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `rsm:CrossIndustryInvoice` (CII D16B).
    Cii,
    /// `rsm:CrossIndustryDocument` (ZUGFeRD 1.0).
    Zugferd1,
    UblInvoice,
    UblCreditNote,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Cii => "CII",
            Format::Zugferd1 => "ZUGFeRD 1.0 CII",
            Format::UblInvoice => "UBL Invoice",
            Format::UblCreditNote => "UBL CreditNote",
        }
    }
}

/// The invoice format of a root element, or why it is not one.
pub fn identify(root: Node<'_, '_>) -> Result<Format, String> {
    let tag = root.tag_name();
    let ns = tag.namespace().unwrap_or("");
    match (ns, tag.name()) {
        (NS_CII, "CrossIndustryInvoice") => Ok(Format::Cii),
        (NS_ZUGFERD1, "CrossIndustryDocument") => Ok(Format::Zugferd1),
        (NS_UBL_INVOICE, "Invoice") => Ok(Format::UblInvoice),
        (NS_UBL_CREDIT_NOTE, "CreditNote") => Ok(Format::UblCreditNote),
        ("", name) => Err(format!(
            "root element <{name}> without namespace is not a CII or UBL invoice"
        )),
        (ns, name) => Err(format!(
            "root element <{name}> in namespace {ns} is not a CII or UBL invoice"
        )),
    }
}
