//! Reading values of business terms, keeping those present but unreadable (reported as `XSD`
//! violations rather than taken as absent).

use chrono::NaiveDate;
use roxmltree::Node;
use rust_decimal::Decimal;

use crate::xml::{self, Value};

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
