//! The currencies Pennylane accepts on a ledger entry: the `currency` enum of `postLedgerEntries`
//! (and `putLedgerEntries`, the same list) in the Company API v2 spec. Copied from the vendored
//! extract `crates/simulators/spec/pennylane-company-v2-extract.json` (MIT, PyPI
//! `pennylane-client` 0.1.0, from `https://pennylane.readme.io/openapi/accounting.json`, sha256
//! b7ac15ef…98fa45), in its order; the sinks test `currencies_are_the_extracts_enum` fails if
//! the two lists drift apart. An entry in another currency is held with the action before
//! anything is sent, instead of a 400 `NotEnumInclude` at push time.

use app::ports::SinkError;

/// `postLedgerEntries.currency.enum`, 169 codes.
pub const CURRENCIES: &[&str] = &[
    "EUR", "USD", "GBP", "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN",
    "BAM", "BBD", "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP",
    "BYN", "BYR", "BZD", "CAD", "CDF", "CHE", "CHF", "CLF", "CLP", "CNY", "COP", "CRC", "CUC",
    "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "FJD", "FKP", "GEL",
    "GGP", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR",
    "ILS", "IMP", "INR", "IQD", "IRR", "ISK", "JEP", "JMD", "JOD", "JPY", "KES", "KGS", "KHR",
    "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LTL", "LVL",
    "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRO", "MRU", "MUR", "MVR", "MWK",
    "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK",
    "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG",
    "SEK", "SGD", "SHP", "SLL", "SLE", "SOS", "SRD", "STD", "SVC", "SYP", "SZL", "THB", "TJS",
    "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "UYU", "UZS", "VEF", "VES",
    "VND", "VUV", "WST", "XAF", "XCD", "XDR", "XOF", "XPF", "YER", "ZAR", "ZMK", "ZMW", "ZWL",
];

/// The currency code to send (upper case), or the entry held with the action.
pub fn checked_currency(currency: &str, piece: &str) -> Result<String, SinkError> {
    let code = currency.trim().to_ascii_uppercase();
    if CURRENCIES.contains(&code.as_str()) {
        return Ok(code);
    }
    Err(SinkError::permanent(
        format!(
            "the currency {currency:?} of entry {piece} is not one Pennylane accepts (ISO 4217 codes of its API such as EUR, USD, GBP, CHF); nothing was sent"
        ),
        "correct the document's currency at the source (an ISO 4217 code Pennylane knows), then push again",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_pass_in_any_case_and_others_are_held() {
        assert_eq!(checked_currency("eur", "F1").unwrap(), "EUR");
        assert_eq!(checked_currency(" CHF ", "F1").unwrap(), "CHF");
        for bad in ["", "XYZ", "EURO", "€"] {
            let e = checked_currency(bad, "F1").unwrap_err();
            assert_eq!(e.kind, app::ports::SinkErrorKind::Permanent, "{bad}");
            assert!(e.message.contains("F1") && !e.action.is_empty());
        }
        assert_eq!(CURRENCIES.len(), 169);
    }
}
