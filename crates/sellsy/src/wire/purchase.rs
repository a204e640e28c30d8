//! Incoming documents (purchases): spec schema `Ocr` (`GET /ocr/pur-invoice`,
//! `POST /ocr/pur-invoice/search`, scope `ocr.read`).
//!
//! Spec facts these types follow (v2.264.0): no property is required. `id` and `staff_id`
//! have a minimum of 1; `linked_type` is only `purInvoice`; `linked_id`, `completed_at`,
//! `error_code`, `supplier`, `total_excl_tax` and `currency` are nullable; `state` is
//! `pending|processing|completed|error`, `source` `ocr|einvoicing`, `error_code` 1 (too many
//! pages), 2 (technical error) or 3 (file error); `total_excl_tax` is a string. The schema has
//! no date of the document, no VAT, no total including tax, no rows and no link to the file
//! (only `file_name`): it cannot give an entry on its own.

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

use super::lenient::{self, Dec};

#[derive(Debug, Clone, Deserialize)]
pub struct Ocr {
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub file_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub linked_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub linked_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_time_or_unknown")]
    pub created_at: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "lenient::de_time_or_unknown")]
    pub completed_at: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub error_code: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub source: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub supplier: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub total_excl_tax: Option<Dec>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub currency: Option<String>,
}

impl Ocr {
    /// What Sellsy's `error_code` means (spec `Ocr.error_code`).
    pub fn error_text(&self) -> &'static str {
        match self.error_code {
            Some(1) => "the file has too many pages",
            Some(2) => "a technical error at Sellsy",
            Some(3) => "the file could not be read",
            _ => "no reason given",
        }
    }
}
