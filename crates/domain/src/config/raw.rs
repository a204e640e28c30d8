//! The raw TOML shapes: every field optional, so that validation, not serde, reports what is
//! missing; unknown keys are collected, not fatal.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::issues::{ConfigErrors, ConfigIssue};

#[derive(Deserialize, Default)]
pub(super) struct RawFile {
    #[serde(default)]
    pub(super) dossier: Vec<RawDossier>,
    pub(super) service: Option<toml::Table>,
    pub(super) console: Option<toml::Table>,
}

#[derive(Deserialize, Default)]
pub(super) struct RawDossier {
    pub(super) id: Option<String>,
    pub(super) name: Option<String>,
    pub(super) siren: Option<String>,
    pub(super) start_date: Option<DateInput>,
    pub(super) fiscal_year_end: Option<String>,
    #[serde(default)]
    pub(super) exercises: Vec<RawExercise>,
    #[serde(default)]
    pub(super) journal_codes: BTreeMap<String, String>,
    pub(super) scope: Option<String>,
    pub(super) mode: Option<String>,
    pub(super) draft_entries: Option<bool>,
    pub(super) sync_without_pdf: Option<bool>,
    #[serde(default)]
    pub(super) exclusion_words: Vec<String>,
    pub(super) labels: Option<i64>,
    #[serde(default)]
    pub(super) journals: RawJournals,
    #[serde(default)]
    pub(super) accounts: RawAccounts,
    /// `[dossier.accounts_map]`: a dossier account → the ledger's number for it.
    #[serde(default)]
    pub(super) accounts_map: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) vat: RawVat,
    #[serde(default)]
    pub(super) auxiliary: RawAuxiliary,
    #[serde(default)]
    pub(super) rounding: RawRounding,
    #[serde(default)]
    pub(super) mail: RawMail,
    #[serde(default)]
    pub(super) einvoice: RawEInvoice,
    pub(super) sellsy: Option<toml::Table>,
    pub(super) ledger: Option<toml::Table>,
}

/// `[[dossier.exercises]]`: one fiscal year as the company's statutes and decisions set it.
#[derive(Deserialize, Default)]
pub(super) struct RawExercise {
    pub(super) start: Option<DateInput>,
    pub(super) end: Option<DateInput>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum DateInput {
    Text(String),
    Toml(toml::value::Datetime),
}

#[derive(Deserialize, Default)]
pub(super) struct RawJournals {
    pub(super) sales: Option<String>,
    pub(super) sales_label: Option<String>,
    pub(super) credit_notes: Option<String>,
    pub(super) credit_notes_label: Option<String>,
    pub(super) purchases: Option<String>,
    pub(super) purchases_label: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct RawAccounts {
    pub(super) sales_goods: Option<String>,
    pub(super) sales_services: Option<String>,
    pub(super) purchases: Option<String>,
    pub(super) customers: Option<String>,
    pub(super) suppliers: Option<String>,
    pub(super) customer_fallback: Option<String>,
    pub(super) supplier_fallback: Option<String>,
    pub(super) rounding_debit: Option<String>,
    pub(super) rounding_credit: Option<String>,
    pub(super) discount_goods: Option<String>,
    pub(super) discount_services: Option<String>,
    #[serde(default)]
    pub(super) map: RawAccountMap,
}

/// `[dossier.accounts.map.sales]` / `.purchases`: a source's accounting code → the account.
#[derive(Deserialize, Default)]
pub(super) struct RawAccountMap {
    #[serde(default)]
    pub(super) sales: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) purchases: BTreeMap<String, String>,
}

/// `[dossier.einvoice]`: settings only e-invoices (Factur-X, CII, UBL) use.
#[derive(Deserialize, Default)]
pub(super) struct RawEInvoice {
    /// `[dossier.einvoice.suppliers."<SIREN or VAT id>"]`.
    #[serde(default)]
    pub(super) suppliers: BTreeMap<String, RawEInvoiceSupplier>,
}

#[derive(Deserialize, Default)]
pub(super) struct RawEInvoiceSupplier {
    pub(super) expense_account: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct RawVat {
    #[serde(default)]
    pub(super) sales: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) purchases: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) self_assessed: RawSelfAssessed,
}

/// `[dossier.vat.self_assessed]`: the rate and accounts of autoliquidated VAT (K, AE).
#[derive(Deserialize, Default)]
pub(super) struct RawSelfAssessed {
    pub(super) rate: Option<String>,
    pub(super) intra_community_deductible: Option<String>,
    pub(super) intra_community_due: Option<String>,
    pub(super) reverse_charge_deductible: Option<String>,
    pub(super) reverse_charge_due: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct RawAuxiliary {
    pub(super) length: Option<i64>,
}

#[derive(Deserialize, Default)]
pub(super) struct RawRounding {
    pub(super) tolerance_per_rate: Option<String>,
    pub(super) target: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct RawMail {
    pub(super) slug: Option<String>,
    #[serde(default)]
    pub(super) allowed_senders: Vec<String>,
    #[serde(default)]
    pub(super) allowed_domains: Vec<String>,
    pub(super) allow_everyone: Option<bool>,
}

/// Parses TOML, recording every unknown key instead of stopping at the first one.
pub(super) fn parse_toml<T: for<'de> Deserialize<'de>>(
    text: &str,
) -> Result<(T, Vec<ConfigIssue>), ConfigErrors> {
    let syntax = |e: toml::de::Error| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        ConfigErrors(vec![ConfigIssue::new(
            match line {
                Some(l) => format!("line {l}"),
                None => "file".to_string(),
            },
            e.message().trim().to_string(),
            "correct the value's type or the TOML syntax at that line",
        )])
    };
    let deserializer = toml::Deserializer::parse(text).map_err(syntax)?;
    let mut unknown = Vec::new();
    let value: T = serde_ignored::deserialize(deserializer, |path| {
        unknown.push(path.to_string());
    })
    .map_err(syntax)?;
    let issues = unknown
        .into_iter()
        .map(|path| {
            ConfigIssue::new(
                path.clone(),
                "unknown key",
                "remove it or check its spelling against infra/dossiers.example.toml",
            )
        })
        .collect();
    Ok((value, issues))
}
