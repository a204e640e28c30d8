//! Dossier (tenant) configuration, loaded from TOML and validated.
//!
//! Every setting the market's connectors offer (Inqom × Sellsy, Chift invoices sync, Pennylane
//! imports) has a place here. Validation collects every problem at once; each names the field and
//! the fix, so `passerelle check-config` can list them all.
//!
//! A configuration file holds one `[[dossier]]` table per dossier (see `infra/dossiers.example.toml`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::document::{DocumentKind, Nature};

/// Which documents a dossier books.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Sales,
    Purchases,
    Both,
}

impl Scope {
    pub fn includes(self, kind: DocumentKind) -> bool {
        match self {
            Scope::Both => true,
            Scope::Sales => kind.is_sales(),
            Scope::Purchases => !kind.is_sales(),
        }
    }
}

/// How entries are produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Copy the source's own sales-journal lines as they are.
    Journal,
    /// Map invoice and credit-note rows with this dossier's accounts.
    Documents,
}

/// The four label compositions customers choose from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelOption {
    /// (1) party name on the third-party line, row description on the others.
    PartyThenDescription = 1,
    /// (2) party name on every line.
    Party = 2,
    /// (3) party name + description on every line.
    PartyAndDescription = 3,
    /// (4) party name + document number on every line.
    PartyAndNumber = 4,
}

/// Where a cent gap left after rounding every line goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundingTarget {
    /// To the rounding accounts: 658 on the debit side, 758 on the credit side.
    Accounts,
    /// Onto the largest VAT line of the entry.
    Vat,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journals {
    pub sales: Journal,
    /// Credit notes may have their own journal; by default they go to the sales journal.
    pub credit_notes: Journal,
    pub purchases: Journal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accounts {
    pub sales_goods: String,
    pub sales_services: String,
    pub purchases: String,
    pub customers: String,
    pub suppliers: String,
    /// Account for customers that cannot get an auxiliary code of their own ("4111DIVERS").
    pub customer_fallback: String,
    pub supplier_fallback: String,
    pub rounding_debit: String,
    pub rounding_credit: String,
    pub discount_goods: String,
    pub discount_services: String,
}

impl Accounts {
    pub fn sales(&self, nature: Nature) -> &str {
        match nature {
            Nature::Goods => &self.sales_goods,
            Nature::Services => &self.sales_services,
        }
    }

    pub fn discount(&self, nature: Nature) -> &str {
        match nature {
            Nature::Goods => &self.discount_goods,
            Nature::Services => &self.discount_services,
        }
    }
}

/// VAT accounts per rate. Rates are kept normalized (`5.5`, `20`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatAccounts {
    pub sales: BTreeMap<Decimal, String>,
    pub purchases: BTreeMap<Decimal, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuxiliaryRules {
    /// Length of derived auxiliary codes (default 8).
    pub length: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rounding {
    /// Largest gap accepted per VAT rate present on the document (default 0.01).
    pub tolerance_per_rate: Decimal,
    pub target: RoundingTarget,
}

/// Who may send documents to this dossier's collection addresses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailPolicy {
    /// The `<slug>` of `achat.<slug>@<domain>`, lower-case.
    pub slug: String,
    /// Exact From addresses, lower-case ("no-reply@welyb.fr").
    pub allowed_senders: Vec<String>,
    /// Whole sender domains, lower-case ("welyb.fr").
    pub allowed_domains: Vec<String>,
    /// Accept authenticated mail from anyone (off by default).
    pub allow_everyone: bool,
}

/// A validated dossier configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct DossierConfig {
    pub id: String,
    pub name: String,
    /// SIREN of the company (names the FEC file).
    pub siren: String,
    pub start_date: NaiveDate,
    /// Month and day the fiscal year closes (default 12-31).
    pub fiscal_year_end: (u32, u32),
    pub scope: Scope,
    pub mode: Mode,
    pub journals: Journals,
    pub accounts: Accounts,
    pub vat: VatAccounts,
    pub auxiliary: AuxiliaryRules,
    pub labels: LabelOption,
    pub rounding: Rounding,
    pub draft_entries: bool,
    pub sync_without_pdf: bool,
    /// A document whose subject contains one of these words (any case) is skipped.
    pub exclusion_words: Vec<String>,
    pub mail: MailPolicy,
    /// `[dossier.sellsy]` and `[dossier.ledger]`: connection settings, read and validated by the
    /// runtime that connects (never secrets themselves, only where to find them).
    pub connections: Connections,
}

/// Connection sections of a dossier, kept as TOML for the runtime to read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Connections {
    pub sellsy: Option<toml::Table>,
    pub ledger: Option<toml::Table>,
}

impl DossierConfig {
    /// The journal a document of this kind is booked in.
    pub fn journal_for(&self, kind: DocumentKind) -> &Journal {
        match kind {
            DocumentKind::SalesInvoice => &self.journals.sales,
            DocumentKind::SalesCreditNote => &self.journals.credit_notes,
            DocumentKind::PurchaseInvoice | DocumentKind::PurchaseCreditNote => {
                &self.journals.purchases
            }
        }
    }

    /// The fiscal year (first day, closing day) that contains `date`.
    pub fn fiscal_year_of(&self, date: NaiveDate) -> (NaiveDate, NaiveDate) {
        let (month, day) = self.fiscal_year_end;
        let closing_in = |year: i32| closing_date(year, month, day);
        let closing = if date <= closing_in(date.year()) {
            closing_in(date.year())
        } else {
            closing_in(date.year() + 1)
        };
        let previous = closing_in(closing.year() - 1);
        (previous.succ_opt().unwrap_or(previous), closing)
    }

    /// The subject word that excludes this document, if any.
    pub fn exclusion_word_in(&self, subject: &str) -> Option<&str> {
        let subject = subject.to_lowercase();
        self.exclusion_words
            .iter()
            .find(|w| subject.contains(&w.to_lowercase()))
            .map(String::as_str)
    }

    /// Parses and validates a single dossier written as top-level keys.
    pub fn from_toml(text: &str) -> Result<DossierConfig, ConfigErrors> {
        let (raw, mut errors): (RawDossier, _) = parse_toml(text)?;
        match validate_dossier(raw, "", &mut errors) {
            Some(config) if errors.is_empty() => Ok(config),
            _ => Err(ConfigErrors(errors)),
        }
    }
}

/// A configuration file: one `[[dossier]]` table per dossier.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFile {
    pub dossiers: Vec<DossierConfig>,
    /// `[service]`: settings of the runtime (data directory, collection domains, listeners),
    /// read and validated by the runtime.
    pub service: toml::Table,
}

impl ConfigFile {
    pub fn from_toml(text: &str) -> Result<ConfigFile, ConfigErrors> {
        let (raw, mut errors): (RawFile, _) = parse_toml(text)?;
        let mut dossiers = Vec::new();
        let mut ids = BTreeSet::new();
        let mut slugs = BTreeSet::new();
        if raw.dossier.is_empty() {
            errors.push(ConfigIssue::new(
                "dossier",
                "the file declares no dossier",
                "add a [[dossier]] table (see infra/dossiers.example.toml)",
            ));
        }
        for (index, dossier) in raw.dossier.into_iter().enumerate() {
            let prefix = format!("dossier[{index}].");
            if let Some(config) = validate_dossier(dossier, &prefix, &mut errors) {
                if !ids.insert(config.id.clone()) {
                    errors.push(ConfigIssue::new(
                        format!("{prefix}id"),
                        format!("id '{}' is used by another dossier", config.id),
                        "give each dossier its own id",
                    ));
                }
                if !slugs.insert(config.mail.slug.clone()) {
                    errors.push(ConfigIssue::new(
                        format!("{prefix}mail.slug"),
                        format!(
                            "mail slug '{}' is used by another dossier",
                            config.mail.slug
                        ),
                        "give each dossier its own collection address slug",
                    ));
                }
                dossiers.push(config);
            }
        }
        if errors.is_empty() {
            Ok(ConfigFile {
                dossiers,
                service: raw.service.unwrap_or_default(),
            })
        } else {
            Err(ConfigErrors(errors))
        }
    }

    pub fn dossier(&self, id: &str) -> Option<&DossierConfig> {
        self.dossiers.iter().find(|d| d.id == id)
    }
}

/// One problem in a configuration: the field, what is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub field: String,
    pub problem: String,
    pub fix: String,
}

impl ConfigIssue {
    fn new(field: impl Into<String>, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        ConfigIssue {
            field: field.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}. Fix: {}.", self.field, self.problem, self.fix)
    }
}

/// Every problem found in a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigIssue>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "{n} problem{} in the configuration:",
            if n == 1 { "" } else { "s" }
        )?;
        for issue in &self.0 {
            writeln!(f, "  - {issue}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

// ---------------------------------------------------------------------------------------------
// Raw TOML shapes: every field optional so that validation, not serde, reports what is missing.

#[derive(Deserialize, Default)]
struct RawFile {
    #[serde(default)]
    dossier: Vec<RawDossier>,
    service: Option<toml::Table>,
}

#[derive(Deserialize, Default)]
struct RawDossier {
    id: Option<String>,
    name: Option<String>,
    siren: Option<String>,
    start_date: Option<DateInput>,
    fiscal_year_end: Option<String>,
    scope: Option<String>,
    mode: Option<String>,
    draft_entries: Option<bool>,
    sync_without_pdf: Option<bool>,
    #[serde(default)]
    exclusion_words: Vec<String>,
    labels: Option<i64>,
    #[serde(default)]
    journals: RawJournals,
    #[serde(default)]
    accounts: RawAccounts,
    #[serde(default)]
    vat: RawVat,
    #[serde(default)]
    auxiliary: RawAuxiliary,
    #[serde(default)]
    rounding: RawRounding,
    #[serde(default)]
    mail: RawMail,
    sellsy: Option<toml::Table>,
    ledger: Option<toml::Table>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DateInput {
    Text(String),
    Toml(toml::value::Datetime),
}

#[derive(Deserialize, Default)]
struct RawJournals {
    sales: Option<String>,
    sales_label: Option<String>,
    credit_notes: Option<String>,
    credit_notes_label: Option<String>,
    purchases: Option<String>,
    purchases_label: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawAccounts {
    sales_goods: Option<String>,
    sales_services: Option<String>,
    purchases: Option<String>,
    customers: Option<String>,
    suppliers: Option<String>,
    customer_fallback: Option<String>,
    supplier_fallback: Option<String>,
    rounding_debit: Option<String>,
    rounding_credit: Option<String>,
    discount_goods: Option<String>,
    discount_services: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawVat {
    #[serde(default)]
    sales: BTreeMap<String, String>,
    #[serde(default)]
    purchases: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
struct RawAuxiliary {
    length: Option<i64>,
}

#[derive(Deserialize, Default)]
struct RawRounding {
    tolerance_per_rate: Option<String>,
    target: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawMail {
    slug: Option<String>,
    #[serde(default)]
    allowed_senders: Vec<String>,
    #[serde(default)]
    allowed_domains: Vec<String>,
    allow_everyone: Option<bool>,
}

/// Parses TOML, recording every unknown key instead of stopping at the first one.
fn parse_toml<T: for<'de> Deserialize<'de>>(
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

/// Default VAT accounts: 4457x per rate for sales (subdivision used by django-accounting-fr's
/// chart; practice, not PCG-mandated), 44566 for purchases.
const DEFAULT_SALES_VAT: [(&str, &str); 4] = [
    ("20", "445711"),
    ("10", "445712"),
    ("5.5", "445713"),
    ("2.1", "445714"),
];
const DEFAULT_PURCHASE_VAT: [(&str, &str); 4] = [
    ("20", "445660"),
    ("10", "445660"),
    ("5.5", "445660"),
    ("2.1", "445660"),
];

fn validate_dossier(
    raw: RawDossier,
    prefix: &str,
    errors: &mut Vec<ConfigIssue>,
) -> Option<DossierConfig> {
    let before = errors.len();
    let field = |name: &str| format!("{prefix}{name}");
    let mut err = |name: &str, problem: String, fix: String| {
        errors.push(ConfigIssue::new(field(name), problem, fix));
    };

    let id = match raw.id {
        Some(id) if is_slug(&id) => id,
        Some(id) => {
            err(
                "id",
                format!("'{id}' is not a valid dossier id"),
                "use lower-case letters, digits and '-' only, e.g. \"acme\"".into(),
            );
            String::new()
        }
        None => {
            err(
                "id",
                "is missing".into(),
                "add id = \"acme\" (lower-case letters, digits, '-')".into(),
            );
            String::new()
        }
    };
    let name = raw.name.unwrap_or_else(|| id.clone());
    let siren = match raw.siren {
        Some(s) if is_valid_siren(&s) => s,
        Some(s) => {
            err(
                "siren",
                format!("'{s}' is not a valid SIREN (9 digits with a valid check digit)"),
                "copy the 9-digit SIREN from the company's Kbis".into(),
            );
            String::new()
        }
        None => {
            err(
                "siren",
                "is missing".into(),
                "add siren = \"123456782\" (it names the FEC file)".into(),
            );
            String::new()
        }
    };
    let start_date = match raw.start_date {
        None => {
            err(
                "start_date",
                "is missing".into(),
                "add start_date = \"2026-01-01\" (the first document date to synchronise)".into(),
            );
            None
        }
        Some(input) => {
            let text = match input {
                DateInput::Text(t) => t,
                DateInput::Toml(d) => d.to_string(),
            };
            match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    err(
                        "start_date",
                        format!("'{text}' is not a date"),
                        "write it as YYYY-MM-DD, e.g. \"2026-01-01\"".into(),
                    );
                    None
                }
            }
        }
    };
    let fiscal_year_end = match raw.fiscal_year_end.as_deref() {
        None => Some((12, 31)),
        Some(text) => match parse_month_day(text) {
            Some(md) => Some(md),
            None => {
                err(
                    "fiscal_year_end",
                    format!("'{text}' is not a month and day"),
                    "write it as MM-DD, e.g. \"12-31\" or \"06-30\"".into(),
                );
                None
            }
        },
    };
    let scope = match raw.scope.as_deref().unwrap_or("sales") {
        "sales" => Some(Scope::Sales),
        "purchases" => Some(Scope::Purchases),
        "both" => Some(Scope::Both),
        other => {
            err(
                "scope",
                format!("'{other}' is not a scope"),
                "use \"sales\", \"purchases\" or \"both\"".into(),
            );
            None
        }
    };
    let mode = match raw.mode.as_deref().unwrap_or("documents") {
        "documents" => Some(Mode::Documents),
        "journal" => Some(Mode::Journal),
        other => {
            err(
                "mode",
                format!("'{other}' is not a mode"),
                "use \"documents\" (map invoice rows) or \"journal\" (copy Sellsy's sales journal)"
                    .into(),
            );
            None
        }
    };
    let labels = match raw.labels.unwrap_or(1) {
        1 => Some(LabelOption::PartyThenDescription),
        2 => Some(LabelOption::Party),
        3 => Some(LabelOption::PartyAndDescription),
        4 => Some(LabelOption::PartyAndNumber),
        other => {
            err(
                "labels",
                format!("{other} is not a label option"),
                "use 1 (party name on the third-party line, description elsewhere), 2 (party name everywhere), 3 (party name + description) or 4 (party name + document number)".into(),
            );
            None
        }
    };

    // Journals.
    let mut journal = |key: &str,
                       code: Option<String>,
                       default: &str,
                       label: Option<String>,
                       default_label: &str| {
        let code = code.unwrap_or_else(|| default.to_string());
        if let Some(problem) = journal_code_problem(&code) {
            err(
                &format!("journals.{key}"),
                problem,
                format!(
                    "use 2 to 4 upper-case letters or digits, e.g. \"{}\"",
                    derive_journal_code(&code).unwrap_or_else(|| default.to_string())
                ),
            );
        }
        Journal {
            code,
            label: label.unwrap_or_else(|| default_label.to_string()),
        }
    };
    let sales_journal = journal(
        "sales",
        raw.journals.sales,
        "VT",
        raw.journals.sales_label,
        "Ventes",
    );
    let credit_notes_default = sales_journal.code.clone();
    let credit_label_default = sales_journal.label.clone();
    let credit_journal = journal(
        "credit_notes",
        raw.journals.credit_notes,
        &credit_notes_default,
        raw.journals.credit_notes_label,
        &credit_label_default,
    );
    let purchases_journal = journal(
        "purchases",
        raw.journals.purchases,
        "HA",
        raw.journals.purchases_label,
        "Achats",
    );

    // Accounts: rounding accounts have no default, the accountant must choose them.
    let a = raw.accounts;
    let mut account =
        |key: &str, value: Option<String>, default: Option<&str>, rule: AccountRule| {
            let field_name = format!("accounts.{key}");
            match value.or_else(|| default.map(str::to_string)) {
                None => {
                    err(
                        &field_name,
                        "is missing".into(),
                        format!("add {key} = \"{}\"", rule.example),
                    );
                    String::new()
                }
                Some(v) => {
                    if let Some((problem, fix)) = account_problem(&v, &rule) {
                        err(&field_name, problem, fix);
                    }
                    v
                }
            }
        };
    let accounts = Accounts {
        sales_goods: account(
            "sales_goods",
            a.sales_goods,
            Some("707000"),
            AccountRule::REVENUE_GOODS,
        ),
        sales_services: account(
            "sales_services",
            a.sales_services,
            Some("706000"),
            AccountRule::REVENUE_SERVICES,
        ),
        purchases: account(
            "purchases",
            a.purchases,
            Some("607000"),
            AccountRule::PURCHASES,
        ),
        customers: account(
            "customers",
            a.customers,
            Some("411000"),
            AccountRule::CUSTOMERS,
        ),
        suppliers: account(
            "suppliers",
            a.suppliers,
            Some("401000"),
            AccountRule::SUPPLIERS,
        ),
        customer_fallback: account(
            "customer_fallback",
            a.customer_fallback,
            Some("4111DIVERS"),
            AccountRule::CUSTOMERS,
        ),
        supplier_fallback: account(
            "supplier_fallback",
            a.supplier_fallback,
            Some("4011DIVERS"),
            AccountRule::SUPPLIERS,
        ),
        rounding_debit: account(
            "rounding_debit",
            a.rounding_debit,
            None,
            AccountRule::ROUNDING_DEBIT,
        ),
        rounding_credit: account(
            "rounding_credit",
            a.rounding_credit,
            None,
            AccountRule::ROUNDING_CREDIT,
        ),
        discount_goods: account(
            "discount_goods",
            a.discount_goods,
            Some("709700"),
            AccountRule::DISCOUNT,
        ),
        discount_services: account(
            "discount_services",
            a.discount_services,
            Some("709600"),
            AccountRule::DISCOUNT,
        ),
    };
    // A bare 709 must be refined (7096 on services, 7097 on goods…): PCG lists 709 by nature.
    for (key, value) in [
        ("discount_goods", &accounts.discount_goods),
        ("discount_services", &accounts.discount_services),
    ] {
        if value.trim_end_matches('0') == "709" {
            err(
                &format!("accounts.{key}"),
                format!("'{value}' is the bare 709 account; discounts must be booked on a 709x sub-account"),
                "use 7097xx for discounts on goods and 7096xx on services, e.g. \"709700\" / \"709600\"".into(),
            );
        }
    }

    let vat_map = |key: &str,
                   given: BTreeMap<String, String>,
                   defaults: &[(&str, &str)],
                   rule: AccountRule,
                   errors: &mut Vec<ConfigIssue>| {
        let mut map = BTreeMap::new();
        let source: Vec<(String, String)> = if given.is_empty() {
            defaults
                .iter()
                .map(|(r, a)| (r.to_string(), a.to_string()))
                .collect()
        } else {
            given.into_iter().collect()
        };
        for (rate_text, acct) in source {
            let f = format!("{prefix}vat.{key}.\"{rate_text}\"");
            match parse_rate(&rate_text) {
                Some(rate) => {
                    if let Some((problem, fix)) = account_problem(&acct, &rule) {
                        errors.push(ConfigIssue::new(f, problem, fix));
                    } else {
                        map.insert(rate, acct);
                    }
                }
                None => errors.push(ConfigIssue::new(
                    f,
                    format!("'{rate_text}' is not a VAT rate"),
                    "write the rate in percent as the key, e.g. \"20\" = \"445711\" or \"5.5\" = \"445713\"",
                )),
            }
        }
        map
    };
    let vat = VatAccounts {
        sales: vat_map(
            "sales",
            raw.vat.sales,
            &DEFAULT_SALES_VAT,
            AccountRule::VAT_COLLECTED,
            errors,
        ),
        purchases: vat_map(
            "purchases",
            raw.vat.purchases,
            &DEFAULT_PURCHASE_VAT,
            AccountRule::VAT_DEDUCTIBLE,
            errors,
        ),
    };
    let mut err = |name: &str, problem: String, fix: String| {
        errors.push(ConfigIssue::new(field(name), problem, fix));
    };

    let length = raw.auxiliary.length.unwrap_or(8);
    if !(3..=20).contains(&length) {
        err(
            "auxiliary.length",
            format!("{length} is out of range"),
            "use a length from 3 to 20 characters (8 is the usual one)".into(),
        );
    }
    let tolerance = match raw.rounding.tolerance_per_rate.as_deref() {
        None => Some(Decimal::new(1, 2)),
        Some(text) => match Decimal::from_str(text) {
            Ok(d) if d >= Decimal::ZERO && d <= Decimal::ONE => Some(d),
            _ => {
                err(
                    "rounding.tolerance_per_rate",
                    format!("'{text}' is not an amount between 0 and 1"),
                    "write it as a string such as \"0.01\"".into(),
                );
                None
            }
        },
    };
    let target = match raw.rounding.target.as_deref().unwrap_or("accounts") {
        "accounts" => Some(RoundingTarget::Accounts),
        "vat" => Some(RoundingTarget::Vat),
        other => {
            err(
                "rounding.target",
                format!("'{other}' is not a rounding target"),
                "use \"accounts\" (658/758) or \"vat\" (largest VAT line)".into(),
            );
            None
        }
    };

    let slug = raw.mail.slug.unwrap_or_else(|| id.clone()).to_lowercase();
    if !slug.is_empty() && !is_slug(&slug) {
        err(
            "mail.slug",
            format!("'{slug}' cannot be part of a mail address"),
            "use lower-case letters, digits and '-' only".into(),
        );
    }
    let mut senders = Vec::new();
    for sender in raw.mail.allowed_senders {
        let s = sender.trim().to_lowercase();
        if is_address(&s) {
            senders.push(s);
        } else {
            err(
                "mail.allowed_senders",
                format!("'{sender}' is not a mail address"),
                "list exact addresses such as \"no-reply@welyb.fr\"".into(),
            );
        }
    }
    let mut domains = Vec::new();
    for domain in raw.mail.allowed_domains {
        let d = domain.trim().trim_start_matches('@').to_lowercase();
        if is_domain(&d) {
            domains.push(d);
        } else {
            err(
                "mail.allowed_domains",
                format!("'{domain}' is not a domain"),
                "list whole domains such as \"welyb.fr\"".into(),
            );
        }
    }
    for word in &raw.exclusion_words {
        if word.trim().is_empty() {
            err(
                "exclusion_words",
                "contains an empty word, which would exclude every document".into(),
                "remove the empty string".into(),
            );
        }
    }

    if errors.len() != before {
        return None;
    }
    Some(DossierConfig {
        id,
        name,
        siren,
        start_date: start_date?,
        fiscal_year_end: fiscal_year_end?,
        scope: scope?,
        mode: mode?,
        journals: Journals {
            sales: sales_journal,
            credit_notes: credit_journal,
            purchases: purchases_journal,
        },
        accounts,
        vat,
        auxiliary: AuxiliaryRules {
            length: length as usize,
        },
        labels: labels?,
        rounding: Rounding {
            tolerance_per_rate: tolerance?,
            target: target?,
        },
        draft_entries: raw.draft_entries.unwrap_or(false),
        sync_without_pdf: raw.sync_without_pdf.unwrap_or(false),
        exclusion_words: raw
            .exclusion_words
            .into_iter()
            .map(|w| w.trim().to_string())
            .collect(),
        mail: MailPolicy {
            slug,
            allowed_senders: senders,
            allowed_domains: domains,
            allow_everyone: raw.mail.allow_everyone.unwrap_or(false),
        },
        connections: Connections {
            sellsy: raw.sellsy,
            ledger: raw.ledger,
        },
    })
}

/// What an account field must look like.
struct AccountRule {
    /// Accepted leading digits (any of them).
    prefixes: &'static [&'static str],
    what: &'static str,
    example: &'static str,
}

impl AccountRule {
    const REVENUE_GOODS: AccountRule = AccountRule {
        prefixes: &["70"],
        what: "a revenue account (70x)",
        example: "707000",
    };
    const REVENUE_SERVICES: AccountRule = AccountRule {
        prefixes: &["70"],
        what: "a revenue account (70x)",
        example: "706000",
    };
    const PURCHASES: AccountRule = AccountRule {
        prefixes: &["60", "61", "62"],
        what: "a purchase or external charge account (60x–62x)",
        example: "607000",
    };
    const CUSTOMERS: AccountRule = AccountRule {
        prefixes: &["411", "416", "418"],
        what: "a customers account (411)",
        example: "411000",
    };
    const SUPPLIERS: AccountRule = AccountRule {
        prefixes: &["401", "404", "408"],
        what: "a suppliers account (401)",
        example: "401000",
    };
    const ROUNDING_DEBIT: AccountRule = AccountRule {
        prefixes: &["658", "656", "6"],
        what: "a charge account (658 for cent gaps)",
        example: "658000",
    };
    const ROUNDING_CREDIT: AccountRule = AccountRule {
        prefixes: &["758", "7"],
        what: "a revenue account (758 for cent gaps)",
        example: "758000",
    };
    const DISCOUNT: AccountRule = AccountRule {
        prefixes: &["709"],
        what: "a discounts-granted account (709x)",
        example: "709700",
    };
    const VAT_COLLECTED: AccountRule = AccountRule {
        prefixes: &["4457"],
        what: "a collected VAT account (4457x)",
        example: "445711",
    };
    const VAT_DEDUCTIBLE: AccountRule = AccountRule {
        prefixes: &["4456"],
        what: "a deductible VAT account (4456x)",
        example: "445660",
    };
}

fn account_problem(value: &str, rule: &AccountRule) -> Option<(String, String)> {
    let fix = format!("use {}, e.g. \"{}\"", rule.what, rule.example);
    if value.is_empty() {
        return Some(("is empty".into(), fix));
    }
    if value.len() > 32 || !value.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Some((
            format!("'{value}' must be at most 32 letters or digits"),
            fix,
        ));
    }
    let head: String = value.chars().take(3).collect();
    if head.len() < 3 || !head.chars().all(|c| c.is_ascii_digit()) {
        return Some((
            format!("'{value}' must start with 3 digits of the French chart of accounts"),
            fix,
        ));
    }
    if !matches!(value.as_bytes()[0], b'1'..=b'8') {
        return Some((
            format!(
                "'{value}' is in class {}, which is not a class of the French chart of accounts (1 to 8)",
                &value[..1]
            ),
            fix,
        ));
    }
    if !rule.prefixes.iter().any(|p| value.starts_with(p)) {
        return Some((format!("'{value}' is not {}", rule.what), fix));
    }
    None
}

/// What is wrong with a journal code, if anything.
fn journal_code_problem(code: &str) -> Option<String> {
    if code.chars().count() > 4 {
        Some(format!(
            "journal code '{code}' is longer than 4 characters (Inqom takes 2 to 4)"
        ))
    } else if code.chars().count() < 2 {
        Some(format!(
            "journal code '{code}' is shorter than 2 characters"
        ))
    } else if !code
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        Some(format!(
            "journal code '{code}' must be upper-case letters and digits"
        ))
    } else {
        None
    }
}

/// The journal code of a longer source journal name: its first 4 letters or digits, upper-case
/// ("Ventes" → "VENT"). `None` when the name has no letter or digit.
pub fn derive_journal_code(name: &str) -> Option<String> {
    let code: String = deunicode::deunicode(name)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .take(4)
        .collect();
    (!code.is_empty()).then_some(code)
}

/// Parses a VAT rate key ("20", "5.5", "5,5", "20%").
pub fn parse_rate(text: &str) -> Option<Decimal> {
    let cleaned = text.trim().trim_end_matches('%').replace(',', ".");
    let rate = Decimal::from_str(cleaned.trim()).ok()?;
    (rate >= Decimal::ZERO && rate < Decimal::ONE_HUNDRED).then(|| rate.normalize())
}

fn parse_month_day(text: &str) -> Option<(u32, u32)> {
    let (m, d) = text.split_once('-')?;
    let (m, d): (u32, u32) = (m.parse().ok()?, d.parse().ok()?);
    // Validate against a leap year so 02-29 is accepted (it closes on 02-28 in other years).
    NaiveDate::from_ymd_opt(2024, m, d).map(|_| (m, d))
}

fn closing_date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day)
        .or_else(|| NaiveDate::from_ymd_opt(year, month, day - 1))
        .unwrap_or(NaiveDate::MIN)
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
}

fn is_domain(d: &str) -> bool {
    d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn is_address(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !local.contains(char::is_whitespace) && is_domain(domain)
        }
        None => false,
    }
}

/// SIREN: 9 digits with a Luhn check digit (INSEE).
pub fn is_valid_siren(s: &str) -> bool {
    s.len() == 9 && s.chars().all(|c| c.is_ascii_digit()) && luhn(s)
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap_or(0);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}
