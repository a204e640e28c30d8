//! Invoices and credit notes: spec schemas `Invoice`, `InvoiceOne` (`InvoiceOrProgressInvoiceOne`
//! for `GET /invoices/{id}`), `CreditNote`, `CreditNoteOne`, their `rows[]` (a `oneOf` on
//! `type`), and the embedded `company` and `individual`.
//!
//! Spec facts these types follow (v2.264.0):
//! - `Invoice`/`CreditNote`: no property is required. Nullable: `discount`, `fiscal_year_id`,
//!   `pdf_link`, `contact_id`, `parent`, `service_dates`, `shipping_date`, `vat_mention`,
//!   `payment_method_ids`, `analytic_code`, every `_embed` member.
//! - `taxes[]` items: `id`, `label`, `rate`, `amount` required on invoices, none on credit
//!   notes; `rate` and `amount` are strings.
//! - `related[]` items: `id` and `type` optional.
//! - rows: only `type` is required (and `unit_amount`/`quantity` on single, deposit and
//!   catalog rows, `related` on catalog, shipping and packaging rows); `description` and
//!   `discount` nullable; `amount_tax_exc` optional; `discount.value` a `oneOf` of one string.
//! - `company`: nothing required; `id` optional; `reference`, `auxiliary_code`,
//!   `accounting_code_id` and every `legal_france` member nullable.
//! - `individual`: nothing required; `first_name`, `reference`, `auxiliary_code`,
//!   `accounting_code_id` nullable.
//! - integers have no minimum (ids may be negative as far as the spec says).

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;

use super::lenient::{self, Dec, Presence};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Amounts {
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub total_raw_excl_tax: Option<Dec>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub total_after_discount_excl_tax: Option<Dec>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub total_excl_tax: Option<Dec>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub total_incl_tax: Option<Dec>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DocTax {
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub label: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub rate: Option<Dec>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub amount: Option<Dec>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DocDiscount {
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub percent: Option<Dec>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub amount: Option<Dec>,
    #[serde(default, rename = "type", deserialize_with = "lenient::de_text")]
    pub kind: Option<String>,
}

/// `related[]` item: `{id, type: company|individual|contact|opportunity}`, both optional.
#[derive(Debug, Clone, Deserialize)]
pub struct Related {
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub id: Option<i64>,
    #[serde(default, rename = "type", deserialize_with = "lenient::de_text")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RowDiscount {
    #[serde(default, rename = "type", deserialize_with = "lenient::de_text")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub value: Option<Dec>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub total: Option<Dec>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RowRelated {
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub id: Option<i64>,
    #[serde(default, rename = "type", deserialize_with = "lenient::de_text")]
    pub kind: Option<String>,
}

/// One row of `rows[]`: the `oneOf` branches in one flat struct, every field optional.
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub id: Option<i64>,
    #[serde(default, rename = "type", deserialize_with = "lenient::de_text")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub reference: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub text: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub quantity: Option<Dec>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub unit_amount: Option<Dec>,
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub tax_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub tax_rate: Option<Dec>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub tax_amount: Option<Dec>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub amount_tax_exc: Option<Dec>,
    #[serde(default)]
    pub discount: Option<RowDiscount>,
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub accounting_code_id: Option<i64>,
    #[serde(default)]
    pub related: Option<RowRelated>,
    #[serde(default, deserialize_with = "lenient::de_bool")]
    pub is_optional: Option<bool>,
}

/// Spec `legal_france`: every member nullable.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LegalFrance {
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub siret: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub siren: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub vat: Option<String>,
}

/// Spec `company` (the `company` embed).
#[derive(Debug, Clone, Deserialize)]
pub struct Company {
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub reference: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub auxiliary_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub accounting_code_id: Option<i64>,
    #[serde(default)]
    pub legal_france: Option<LegalFrance>,
}

/// Spec `individual` (the `individual` embed).
#[derive(Debug, Clone, Deserialize)]
pub struct Individual {
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub first_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub reference: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub auxiliary_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub accounting_code_id: Option<i64>,
}

/// `_embed`: each member is `null` when the scope it needs is missing (spec "Embed objects").
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
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub number: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_date")]
    pub date: Option<NaiveDate>,
    /// Not needed to book: a value that is not a date reads as unknown.
    #[serde(default, deserialize_with = "lenient::de_date_or_unknown")]
    pub due_date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "lenient::de_time_or_unknown")]
    pub created: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub subject: Option<String>,
    #[serde(default)]
    pub amounts: Option<Amounts>,
    #[serde(default, deserialize_with = "lenient::de_text")]
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
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub company_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub company_reference: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub sale_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub vat_mode: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_bool")]
    pub is_deposit: Option<bool>,
    #[serde(default)]
    pub rows: Option<Vec<Row>>,
    #[serde(default, rename = "_embed")]
    pub embed: Option<Embed>,
}

/// What the connector reads of a search result (`Invoice`/`CreditNote` list items) to decide
/// whether to fetch the document: a value it cannot read is unknown, never a failure (the
/// document itself is read with `GET /{id}`).
#[derive(Debug, Clone, Default)]
pub struct ListItem {
    pub id: Option<i64>,
    pub number: Option<String>,
    pub status: Option<String>,
    pub date: Option<NaiveDate>,
    pub created: Option<DateTime<FixedOffset>>,
}

impl ListItem {
    /// Reads each field on its own, so that one odd value spoils nothing else; an item that is
    /// not an object reads as one with nothing known.
    pub fn of(v: &serde_json::Value) -> ListItem {
        let null = serde_json::Value::Null;
        let f = |k: &str| v.get(k).unwrap_or(&null);
        ListItem {
            id: lenient::de_int(f("id")).ok().flatten(),
            number: lenient::text_of(f("number")).ok().flatten(),
            status: lenient::text_of(f("status")).ok().flatten(),
            date: lenient::de_date_or_unknown(f("date")).ok().flatten(),
            created: lenient::de_time_or_unknown(f("created")).ok().flatten(),
        }
    }
}
