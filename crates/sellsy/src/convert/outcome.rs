//! What a conversion says besides its result: why a document cannot be booked as sent
//! ([`Unusable`], with the action), and the values it changed on the way in ([`Notes`]).

use rust_decimal::Decimal;

use crate::wire::Dec;

/// Why a document cannot be booked as Sellsy sent it, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    pub reason: String,
    pub action: String,
}

/// The action for data missing or wrong in a document.
pub const FIX_IN_SELLSY: &str = "open the document in Sellsy and check it is complete (customer, rows, amounts, VAT); passerelle reads it again at every sync. If it looks right in Sellsy, send this message to Sellsy support";

/// The action for an account that cannot be resolved.
pub const FIX_ACCOUNT: &str = "check the row's accounting code in Sellsy (Settings > Accounting > chart of accounts) and that the API client has the accounting-codes.read scope (passerelle test-connection); passerelle reads the document again at every sync";

impl Unusable {
    pub fn new(reason: impl Into<String>) -> Unusable {
        Unusable {
            reason: reason.into(),
            action: FIX_IN_SELLSY.into(),
        }
    }
}

/// Values changed on the way in (rounded to what a `Decimal` holds), for the integration log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes(pub Vec<String>);

impl Notes {
    /// The value of an optional decimal, noting a rounding.
    pub fn dec(&mut self, what: &str, d: &Option<Dec>) -> Option<Decimal> {
        let d = d.as_ref()?;
        if let Some(raw) = &d.rounded_from {
            self.0.push(format!(
                "{what}: {raw} has more digits than an amount can hold; rounded to {}",
                d.value
            ));
        }
        Some(d.value)
    }

    pub fn note(&mut self, message: impl Into<String>) {
        self.0.push(message.into());
    }
}

pub(super) fn none_if_empty(s: Option<&String>) -> Option<String> {
    s.map(|x| x.trim().to_string()).filter(|x| !x.is_empty())
}
