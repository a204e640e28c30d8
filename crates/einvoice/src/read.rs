//! From a detected e-invoice file to the EN 16931 model.

use chrono::NaiveDate;
use roxmltree::Node;
use rust_decimal::Decimal;

use crate::detect::{EInvoiceFile, Format, identify};
use crate::error::ReadError;
use crate::model::{Invoice, Syntax};
use crate::xml::{self, Limits, Value};
use crate::{cii, ubl};

/// The invoice of a detected file (read when it was detected, so this cannot fail today; the
/// `Result` keeps room for readers that do more).
pub fn read(file: &EInvoiceFile) -> Result<Invoice, ReadError> {
    Ok(file.invoice.clone())
}

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

/// Business terms that are percentages (VAT rates BT-96, BT-103, BT-119, BT-152; allowance
/// percentage BT-94).
const PERCENT_TERMS: &[&str] = &["BT-94", "BT-96", "BT-103", "BT-119", "BT-152"];

/// Collects the values that are present but unreadable, by business term.
#[derive(Debug, Default)]
pub(crate) struct Reader {
    pub malformed: Vec<(String, String)>,
}

impl Reader {
    pub fn dec(&mut self, node: Option<Node<'_, '_>>, term: &str) -> Option<Decimal> {
        let value = match xml::decimal(node) {
            // Percentages above 1000 are no VAT rate; bounded, amount × rate cannot overflow.
            Value::Present(v)
                if PERCENT_TERMS.contains(&term) && v.abs() > Decimal::ONE_THOUSAND =>
            {
                Value::Invalid(v.to_string())
            }
            other => other,
        };
        self.keep(value, term)
    }

    pub fn date(&mut self, node: Option<Node<'_, '_>>, term: &str) -> Option<NaiveDate> {
        self.keep(xml::date(node), term)
    }

    fn keep<T: Clone>(&mut self, value: Value<T>, term: &str) -> Option<T> {
        if let Value::Invalid(text) = &value {
            self.malformed.push((term.to_string(), text.clone()));
        }
        value.get()
    }
}
