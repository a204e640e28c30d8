//! Serde types of the Sellsy v2 payloads the connector reads (spec v2.264.0 schemas `Invoice`,
//! `InvoiceOne`, `CreditNote`, `CreditNoteOne`, `AccountingJournal`, `AccountingCode`,
//! `Quotas`, `Pagination`, ...). Unknown fields are ignored and every field is optional (the
//! spec's rules: tolerate new fields; a missing field is not `null`, see [`Presence`]).

use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A field that may be absent (not requested, or projected away), `null`, or set.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Presence<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Presence<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Presence::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Presence<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            Some(v) => Presence::Value(v),
            None => Presence::Null,
        })
    }
}

/// Money, quantities and rates arrive as strings with 0 to 9 decimals (research §3.1), and
/// `/taxes` sends rates as JSON numbers: accept both, never through f64.
pub fn de_decimal_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<Decimal>()
            .map(Some)
            .map_err(serde::de::Error::custom),
        // serde_json prints the shortest representation that round-trips ("5.5", "2.1").
        Some(Value::Number(n)) => {
            let s = n.to_string();
            s.parse::<Decimal>()
                .or_else(|_| Decimal::from_scientific(&s))
                .map(Some)
                .map_err(serde::de::Error::custom)
        }
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected a decimal, got {other}"
        ))),
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Pagination {
    #[serde(default)]
    pub limit: Option<u64>,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub total: Option<u64>,
    /// Opaque seek cursor (string) or a number in numeric mode.
    #[serde(default)]
    pub offset: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    pub pagination: Pagination,
    pub data: Vec<T>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Amounts {
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub total_raw_excl_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub total_after_discount_excl_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub total_packaging: Option<Decimal>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub total_shipping: Option<Decimal>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub total_excl_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub total_incl_tax: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DocTax {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub rate: Option<Decimal>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub amount: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DocDiscount {
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub percent: Option<Decimal>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub amount: Option<Decimal>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Related {
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RowDiscount {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub value: Option<Decimal>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub total: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RowRelated {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// One row of `rows[]` (a oneOf on `type`, research §3.3): one flat struct, fields optional.
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub quantity: Option<Decimal>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub unit_amount: Option<Decimal>,
    #[serde(default)]
    pub tax_id: Option<u64>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub tax_rate: Option<Decimal>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub tax_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub amount_tax_exc: Option<Decimal>,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub amount_tax_inc: Option<Decimal>,
    #[serde(default)]
    pub discount: Option<RowDiscount>,
    #[serde(default)]
    pub accounting_code_id: Option<u64>,
    #[serde(default)]
    pub related: Option<RowRelated>,
    #[serde(default)]
    pub is_optional: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct LegalFrance {
    #[serde(default)]
    pub siret: Option<String>,
    #[serde(default)]
    pub siren: Option<String>,
    #[serde(default)]
    pub vat: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Company {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub auxiliary_code: Option<String>,
    #[serde(default)]
    pub accounting_code_id: Option<u64>,
    #[serde(default)]
    pub legal_france: Option<LegalFrance>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Individual {
    pub id: u64,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub auxiliary_code: Option<String>,
    #[serde(default)]
    pub accounting_code_id: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Embed {
    #[serde(default)]
    pub company: Presence<Company>,
    #[serde(default)]
    pub individual: Presence<Individual>,
}

/// `Invoice`/`InvoiceOne` and `CreditNote`/`CreditNoteOne` (a credit note lacks the
/// invoice-only fields, research §3.4).
#[derive(Debug, Clone, Deserialize)]
pub struct Document {
    pub id: u64,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    #[serde(default)]
    pub created: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub amounts: Option<Amounts>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub taxes: Option<Vec<DocTax>>,
    #[serde(default)]
    pub discount: Option<DocDiscount>,
    #[serde(default)]
    pub related: Option<Vec<Related>>,
    /// research §2.4: regenerated after each edit; absent when projected away, null when none.
    #[serde(default)]
    pub pdf_link: Presence<String>,
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub company_reference: Option<String>,
    #[serde(default)]
    pub sale_type: Option<String>,
    #[serde(default)]
    pub vat_mode: Option<String>,
    #[serde(default)]
    pub is_deposit: Option<bool>,
    #[serde(default)]
    pub rows: Option<Vec<Row>>,
    #[serde(default, rename = "_embed")]
    pub embed: Option<Embed>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AccountingCode {
    pub id: u64,
    pub code: String,
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CodeRef {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VatPair {
    #[serde(default)]
    pub collected_vat: Option<CodeRef>,
}

/// `GET /taxes/accounting-codes` item.
#[derive(Debug, Clone, Deserialize)]
pub struct TaxCodes {
    pub id: u64,
    #[serde(default, deserialize_with = "de_decimal_opt")]
    pub rate: Option<Decimal>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub debit_vat: Option<VatPair>,
    #[serde(default)]
    pub collection_vat: Option<VatPair>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DefaultCodes {
    #[serde(default)]
    pub thirds: Option<u64>,
    #[serde(default)]
    pub products_sales: Option<u64>,
    #[serde(default)]
    pub services_sales: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DiscountSettings {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub sell_discount_code_id: Option<u64>,
}

/// `GET /settings/accounting-charts`.
#[derive(Debug, Clone, Deserialize)]
pub struct AccountingCharts {
    #[serde(default)]
    pub accounting_code_length: Option<u32>,
    #[serde(default)]
    pub deposit_accounting_code: Option<String>,
    #[serde(default)]
    pub discount: Option<DiscountSettings>,
    #[serde(default)]
    pub default_codes: Option<DefaultCodes>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Rate {
    #[serde(default)]
    pub limit: Option<u64>,
    #[serde(default)]
    pub used: Option<u64>,
}

/// `GET /quotas` (only the API rates are read).
#[derive(Debug, Clone, Deserialize)]
pub struct Quotas {
    #[serde(default)]
    pub api_rate_seconds: Option<Rate>,
    #[serde(default)]
    pub api_rate_minutes: Option<Rate>,
    #[serde(default)]
    pub api_rate_days: Option<Rate>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JournalAmount {
    pub direction: String,
    #[serde(deserialize_with = "de_decimal_req")]
    pub value: Decimal,
}

fn de_decimal_req<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    de_decimal_opt(d)?.ok_or_else(|| serde::de::Error::custom("amount missing"))
}

#[derive(Debug, Clone, Deserialize)]
pub struct JournalCode {
    pub value: String,
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JournalDocument {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: u64,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JournalThird {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub name: Option<String>,
}

/// `AccountingJournal` item (research §2.5).
#[derive(Debug, Clone, Deserialize)]
pub struct JournalLine {
    pub id: u64,
    pub date: NaiveDate,
    #[serde(default)]
    pub label: Option<String>,
    pub amount: JournalAmount,
    pub code: JournalCode,
    #[serde(default)]
    pub auxiliary_code: Option<String>,
    #[serde(default, rename = "type")]
    pub journal_type: Option<String>,
    #[serde(default)]
    pub recorded: Option<bool>,
    #[serde(default)]
    pub document: Option<JournalDocument>,
    #[serde(default)]
    pub companies: Option<Vec<JournalThird>>,
    #[serde(default)]
    pub individuals: Option<Vec<JournalThird>>,
}
