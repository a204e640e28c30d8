//! The configuration file, read once: the dossiers (domain), each connector's section (its
//! connector), `[service]`. Every problem of every part is reported together.

use std::collections::BTreeMap;
use std::path::Path;

use domain::config::{ConfigErrors, ConfigFile, ConfigIssue, DossierConfig};
use ledgers::LedgerSection;
use sellsy::SellsySection;

use crate::service::ServiceConfig;

/// The whole configuration, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub file: ConfigFile,
    pub service: ServiceConfig,
    /// `[dossier.sellsy]` of the dossiers pulled from Sellsy, by dossier id.
    pub sellsy: BTreeMap<String, SellsySection>,
    /// `[dossier.ledger]` of every dossier (the FEC file when absent), by dossier id.
    pub ledgers: BTreeMap<String, LedgerSection>,
}

impl Config {
    /// Parses and validates a configuration text; every problem at once.
    pub fn from_toml(text: &str) -> Result<Config, ConfigErrors> {
        let parsed = ConfigFile::from_toml(text);
        let mut issues = match &parsed {
            Ok(_) => Vec::new(),
            Err(e) => e.0.clone(),
        };
        // The sections are read from the raw TOML too, so that they are checked even when a
        // dossier field is wrong (a syntax error is already reported by the domain).
        let raw: toml::Table = text.parse().unwrap_or_default();
        let (service, service_issues) =
            ServiceConfig::parse(raw.get("service").and_then(|v| v.as_table()));
        issues.extend(service_issues);
        let mut sellsy = BTreeMap::new();
        let mut ledgers = BTreeMap::new();
        let dossiers = raw
            .get("dossier")
            .and_then(|d| d.as_array())
            .cloned()
            .unwrap_or_default();
        for (i, d) in dossiers.iter().enumerate() {
            let id = d.get("id").and_then(|v| v.as_str()).unwrap_or_default();
            if let Some(t) = d.get("sellsy") {
                let at = format!("dossier[{i}].sellsy");
                match t.as_table().map(|t| SellsySection::parse(t, &at)) {
                    Some(Ok(s)) => {
                        sellsy.insert(id.to_string(), s);
                    }
                    Some(Err(e)) => issues.extend(e),
                    None => issues.push(not_a_table(&at)),
                }
            }
            let at = format!("dossier[{i}].ledger");
            let table = match d.get("ledger") {
                None => None,
                Some(toml::Value::Table(t)) => Some(t),
                Some(_) => {
                    issues.push(not_a_table(&at));
                    continue;
                }
            };
            // The dossier's settings as the ledger sees them (a FEC refuses drafts), when they
            // are valid on their own.
            let dossier = toml::to_string(d)
                .ok()
                .and_then(|t| DossierConfig::from_toml(&t).ok());
            match LedgerSection::parse(table, &at, dossier.as_ref()) {
                Ok(s) => {
                    ledgers.insert(id.to_string(), s);
                }
                Err(e) => issues.extend(e),
            }
        }
        match parsed {
            Ok(file) if issues.is_empty() => Ok(Config {
                file,
                service,
                sellsy,
                ledgers,
            }),
            _ => Err(ConfigErrors(issues)),
        }
    }

    /// Reads the file at `path`; a relative `data_dir` is taken from the file's directory.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigIssue::new(
                path.display().to_string(),
                format!("cannot be read: {e}"),
                "give the path of the dossiers file, e.g. --config dossiers.toml (see infra/dossiers.example.toml)",
            )])
        })?;
        let mut config = Config::from_toml(&text)?;
        if config.service.data_dir.is_relative() {
            let base = path.parent().unwrap_or(Path::new("."));
            config.service.data_dir = base.join(&config.service.data_dir);
        }
        Ok(config)
    }

    pub fn dossier(&self, id: &str) -> Option<&DossierConfig> {
        self.file.dossier(id)
    }
}

fn not_a_table(at: &str) -> ConfigIssue {
    ConfigIssue::new(
        at,
        "is not a table",
        format!(
            "write it as a [{}] table",
            at.rsplit('.')
                .next()
                .map(|s| format!("dossier.{s}"))
                .unwrap_or_default()
        ),
    )
}
