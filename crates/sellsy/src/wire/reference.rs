//! Reference data: spec schemas `AccountingCode` (`GET /accounting-codes`), the
//! "Accounting codes of taxes" items of `GET /taxes/accounting-codes`, the answer of
//! `GET /settings/accounting-charts`, and `Quotas` (`GET /quotas`).
//!
//! Spec facts these types follow (v2.264.0):
//! - `AccountingCode`: `code`, `label`, `views` required, `id` optional; `code` is a string
//!   but the spec's own example is the number `411000`, so both are read.
//! - taxes' accounting codes: `id`, `rate` (a JSON number, `format: float`), `label`,
//!   `debit_vat`, `collection_vat` optional; inside, `collected_vat`/`deductible_vat` required
//!   with nullable `id` and `code`.
//! - accounting charts: `deposit_accounting_code`, `discount`, `default_codes` required;
//!   every id an integer without a minimum (negative values are allowed by the spec);
//!   `default_codes.collection_vat` members nullable.
//! - `Quotas`: every member optional; `limit` nullable (≥ 1), `used` ≥ 0.

use serde::Deserialize;

use super::lenient::{self, Dec};

#[derive(Debug, Clone, Deserialize)]
pub struct AccountingCode {
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CodeRef {
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VatPair {
    #[serde(default)]
    pub collected_vat: Option<CodeRef>,
    #[serde(default)]
    pub deductible_vat: Option<CodeRef>,
}

/// `GET /taxes/accounting-codes` item.
#[derive(Debug, Clone, Deserialize)]
pub struct TaxCodes {
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub rate: Option<Dec>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub label: Option<String>,
    #[serde(default)]
    pub debit_vat: Option<VatPair>,
    #[serde(default)]
    pub collection_vat: Option<VatPair>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DefaultCodes {
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub thirds: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub products_sales: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub services_sales: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DiscountSettings {
    #[serde(default, deserialize_with = "lenient::de_bool")]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub sell_discount_code_id: Option<i64>,
}

/// `GET /settings/accounting-charts`.
#[derive(Debug, Clone, Deserialize)]
pub struct AccountingCharts {
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub accounting_code_length: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub deposit_accounting_code: Option<String>,
    #[serde(default)]
    pub discount: Option<DiscountSettings>,
    #[serde(default)]
    pub default_codes: Option<DefaultCodes>,
}

/// One quota: an unreadable or negative value reads as unknown (the pacer then keeps its
/// configured limit).
#[derive(Debug, Clone, Deserialize)]
pub struct Rate {
    #[serde(default, deserialize_with = "lenient::de_count")]
    pub limit: Option<u64>,
    #[serde(default, deserialize_with = "lenient::de_count")]
    pub used: Option<u64>,
}

/// `GET /quotas` (only the API rates are read). A member that is not an object reads as
/// absent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Quotas {
    #[serde(default, deserialize_with = "de_rate")]
    pub api_rate_seconds: Option<Rate>,
    #[serde(default, deserialize_with = "de_rate")]
    pub api_rate_minutes: Option<Rate>,
    #[serde(default, deserialize_with = "de_rate")]
    pub api_rate_days: Option<Rate>,
}

fn de_rate<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Rate>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}
