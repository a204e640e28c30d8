//! Dossier (tenant) configuration, loaded from TOML and validated.
//!
//! Every setting the market's connectors offer (Inqom × Sellsy, Chift invoices sync, Pennylane
//! imports) has a place here. Validation collects every problem at once; each names the field and
//! the fix, so `passerelle check-config` can list them all.
//!
//! A configuration file holds one `[[dossier]]` table per dossier (see `infra/dossiers.example.toml`).
//! This crate validates the dossiers' mapping settings; the sections that belong to the
//! connectors (`[dossier.sellsy]`, `[dossier.ledger]`) and to the runtimes (`[service]`) are
//! handed over as TOML to the one loader that parses them (crate `wiring`), each exactly once.
//!
//! Layout: [`raw`] the file's shape, [`types`] the validated settings, [`rules`] what a value
//! must look like, [`validate`] one validator per section.

mod issues;
mod raw;
pub mod rules;
mod types;
mod validate;

use std::collections::{BTreeMap, BTreeSet};

pub use issues::{ConfigErrors, ConfigIssue};
pub use rules::{derive_journal_code, is_valid_siren, parse_rate};
pub use types::{
    AccountMap, Accounts, AuxiliaryRules, Connections, DossierConfig, EInvoiceSettings, Exercise,
    Journal, Journals, LabelOption, MailPolicy, Mode, Rounding, RoundingTarget, Scope,
    SelfAssessedAccounts, VatAccounts, supplier_id,
};

use raw::{RawDossier, RawFile, parse_toml};

/// A configuration file: one `[[dossier]]` table per dossier.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFile {
    pub dossiers: Vec<DossierConfig>,
    /// Each dossier's connector sections, by dossier id.
    pub connections: BTreeMap<String, Connections>,
    /// `[service]`: settings of the runtime (data directory, collection domains, listeners).
    pub service: toml::Table,
    /// `[console]`: the web console's users (read by the `web-console` crate; empty: no console).
    pub console: toml::Table,
}

impl DossierConfig {
    /// Parses and validates a single dossier written as top-level keys.
    pub fn from_toml(text: &str) -> Result<DossierConfig, ConfigErrors> {
        let (raw, mut errors): (RawDossier, _) = parse_toml(text)?;
        match validate::dossier(raw, "", &mut errors) {
            Some((config, _)) if errors.is_empty() => Ok(config),
            _ => Err(ConfigErrors(errors)),
        }
    }
}

impl ConfigFile {
    pub fn from_toml(text: &str) -> Result<ConfigFile, ConfigErrors> {
        let (raw, mut errors): (RawFile, _) = parse_toml(text)?;
        let mut dossiers = Vec::new();
        let mut connections = BTreeMap::new();
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
            let Some((config, sections)) = validate::dossier(dossier, &prefix, &mut errors) else {
                continue;
            };
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
            connections.insert(config.id.clone(), sections);
            dossiers.push(config);
        }
        if errors.is_empty() {
            Ok(ConfigFile {
                dossiers,
                connections,
                service: raw.service.unwrap_or_default(),
                console: raw.console.unwrap_or_default(),
            })
        } else {
            Err(ConfigErrors(errors))
        }
    }

    pub fn dossier(&self, id: &str) -> Option<&DossierConfig> {
        self.dossiers.iter().find(|d| d.id == id)
    }

    /// The connector sections of a dossier (empty when it has none).
    pub fn connections_of(&self, id: &str) -> Connections {
        self.connections.get(id).cloned().unwrap_or_default()
    }
}
