//! The one-machine runtime: dossiers from the configuration file, their Sellsy connections and
//! ledgers, over a data directory (SQLite file + files directory) and the in-process queue.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use app::ports::{Secret, SinkError, SystemClock};
use app::usecases::worker::Dossiers;
use domain::config::{ConfigErrors, ConfigFile, ConfigIssue, DossierConfig};
use ledgers::{
    FecConfig, FecSink, InqomConfig, InqomSink, PartyBook, PennylaneConfig, PennylaneSink,
};
use local::DirBlobs;
use sellsy::{SellsyClient, SellsyConfig};
use serde::Deserialize;

/// `[service]` of the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Where records and files are kept (default `passerelle-data`, next to the config file).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Domains of the collection addresses (`achat.<slug>@<domain>`).
    #[serde(default)]
    pub mail_domains: Vec<String>,
    /// The authserv-id of our own MTA's `Authentication-Results` header, the only one trusted.
    #[serde(default = "default_authserv")]
    pub authserv_id: String,
    /// `serve`: the HTTP listener (`/sync`, `/runs/{id}`, Sellsy webhooks).
    #[serde(default = "default_http")]
    pub http_listen: String,
    /// `serve`: the SMTP listener of the collection addresses.
    #[serde(default = "default_smtp")]
    pub smtp_listen: String,
    /// Name of the environment variable holding the `/sync` signing secret.
    #[serde(default = "default_sync_secret_env")]
    pub sync_secret_env: String,
    /// Local time of the nightly synchronisation, `HH:MM`.
    #[serde(default = "default_nightly")]
    pub nightly_at: String,
    /// IANA time zone of `nightly_at`.
    #[serde(default = "default_tz")]
    pub time_zone: String,
    /// Largest accepted mail (SMTP 552 above), 40 MB like SES.
    #[serde(default = "default_max_message")]
    pub max_message_bytes: usize,
}

impl Default for Service {
    fn default() -> Self {
        Service {
            data_dir: default_data_dir(),
            mail_domains: vec![],
            authserv_id: default_authserv(),
            http_listen: default_http(),
            smtp_listen: default_smtp(),
            sync_secret_env: default_sync_secret_env(),
            nightly_at: default_nightly(),
            time_zone: default_tz(),
            max_message_bytes: default_max_message(),
        }
    }
}

impl Service {
    /// The nightly time, validated by [`load`].
    pub fn nightly(&self) -> (chrono::NaiveTime, chrono_tz::Tz) {
        (
            chrono::NaiveTime::parse_from_str(&self.nightly_at, "%H:%M").unwrap_or_default(),
            self.time_zone.parse().unwrap_or(chrono_tz::Europe::Paris),
        )
    }

    fn issues(&self) -> Vec<ConfigIssue> {
        let mut issues = Vec::new();
        for (field, value) in [
            ("service.http_listen", &self.http_listen),
            ("service.smtp_listen", &self.smtp_listen),
        ] {
            if value.parse::<std::net::SocketAddr>().is_err() {
                issues.push(ConfigIssue {
                    field: field.into(),
                    problem: format!("'{value}' is not an address:port"),
                    fix: "write it as \"127.0.0.1:8080\" (IP address and port)".into(),
                });
            }
        }
        if chrono::NaiveTime::parse_from_str(&self.nightly_at, "%H:%M").is_err() {
            issues.push(ConfigIssue {
                field: "service.nightly_at".into(),
                problem: format!("'{}' is not a time of day", self.nightly_at),
                fix: "write it as \"02:00\" (24-hour HH:MM, local time of time_zone)".into(),
            });
        }
        if self.time_zone.parse::<chrono_tz::Tz>().is_err() {
            issues.push(ConfigIssue {
                field: "service.time_zone".into(),
                problem: format!("'{}' is not an IANA time zone", self.time_zone),
                fix: "use a name such as \"Europe/Paris\"".into(),
            });
        }
        if self.sync_secret_env.trim().is_empty() {
            issues.push(ConfigIssue {
                field: "service.sync_secret_env".into(),
                problem: "is empty".into(),
                fix: "name the environment variable holding the /sync secret, e.g. \"PASSERELLE_SYNC_SECRET\"".into(),
            });
        }
        if self.max_message_bytes < 1024 {
            issues.push(ConfigIssue {
                field: "service.max_message_bytes".into(),
                problem: format!("{} bytes cannot hold a mail", self.max_message_bytes),
                fix: "leave it out (40 MB) or give a size in bytes of at least 1024".into(),
            });
        }
        issues
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("passerelle-data")
}

fn default_authserv() -> String {
    "passerelle.local".into()
}

fn default_http() -> String {
    "127.0.0.1:8080".into()
}

fn default_smtp() -> String {
    "127.0.0.1:2525".into()
}

fn default_sync_secret_env() -> String {
    "PASSERELLE_SYNC_SECRET".into()
}

fn default_nightly() -> String {
    "02:00".into()
}

fn default_tz() -> String {
    "Europe/Paris".into()
}

fn default_max_message() -> usize {
    40 * 1024 * 1024
}

/// `[dossier.sellsy]`: the Sellsy "Personal" API client; the secret comes from the environment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SellsySection {
    pub client_id: String,
    /// Name of the environment variable holding the client secret.
    pub client_secret_env: String,
    /// Name of the environment variable holding Sellsy's webhook sign key (`serve`).
    pub webhook_key_env: Option<String>,
    pub api_base: Option<String>,
    pub token_url: Option<String>,
}

/// `[dossier.ledger]`: where entries are booked. Credentials are named by environment variable.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerSection {
    /// "fec" (the embedded default), "inqom" or "pennylane".
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Inqom: the accounting folder id.
    pub dossier_id: Option<u64>,
    /// Inqom: the firm's system user.
    pub username: Option<String>,
    pub password_env: Option<String>,
    /// Inqom: the partner client pair.
    pub client_id: Option<String>,
    pub client_secret_env: Option<String>,
    /// Inqom: overrides of the production URLs (staging, a mock).
    pub token_url: Option<String>,
    pub api_url: Option<String>,
    pub documents_url: Option<String>,
    /// Pennylane: the company API token.
    pub token_env: Option<String>,
    /// Pennylane: `X-Company-Id` when a firm token acts on one of its companies.
    pub company_id: Option<u64>,
    /// Pennylane: override of the API base.
    pub base_url: Option<String>,
}

impl LedgerSection {
    fn fec() -> LedgerSection {
        LedgerSection {
            kind: default_kind(),
            ..LedgerSection::default()
        }
    }

    /// Missing fields of the chosen kind, each with its fix.
    fn issues(&self, at: &str) -> Vec<ConfigIssue> {
        let required: &[(&str, bool, &str)] = match self.kind.as_str() {
            "fec" => &[],
            "inqom" => &[
                (
                    "dossier_id",
                    self.dossier_id.is_some(),
                    "the Inqom accounting folder id (a number)",
                ),
                (
                    "username",
                    self.username.is_some(),
                    "the Inqom system user of the firm",
                ),
                (
                    "password_env",
                    self.password_env.is_some(),
                    "the name of the environment variable holding its password",
                ),
                (
                    "client_id",
                    self.client_id.is_some(),
                    "the partner client id issued by Inqom",
                ),
                (
                    "client_secret_env",
                    self.client_secret_env.is_some(),
                    "the name of the environment variable holding the partner client secret",
                ),
            ],
            "pennylane" => &[(
                "token_env",
                self.token_env.is_some(),
                "the name of the environment variable holding the Pennylane company API token",
            )],
            other => {
                return vec![ConfigIssue {
                    field: format!("{at}.kind"),
                    problem: format!("'{other}' is not a ledger"),
                    fix: "use \"fec\", \"inqom\" or \"pennylane\"".into(),
                }];
            }
        };
        required
            .iter()
            .filter(|(_, present, _)| !present)
            .map(|(field, _, what)| ConfigIssue {
                field: format!("{at}.{field}"),
                problem: format!("is required for kind = \"{}\"", self.kind),
                fix: format!("set {field}: {what}"),
            })
            .collect()
    }
}

fn default_kind() -> String {
    "fec".into()
}

/// Reads a secret from the environment variable the configuration names.
pub fn env_secret(dossier: &str, var: &str, what: &str) -> Result<String> {
    std::env::var(var).with_context(|| {
        format!(
            "dossier {dossier}: the environment variable {var} ({what}) is not set; export it before running passerelle"
        )
    })
}

/// The whole configuration, validated: the domain part and the connection sections.
pub struct Loaded {
    pub file: ConfigFile,
    pub service: Service,
    pub sellsy: BTreeMap<String, SellsySection>,
    pub ledgers: BTreeMap<String, LedgerSection>,
}

fn issue(field: String, e: toml::de::Error, fix: &str) -> ConfigIssue {
    ConfigIssue {
        field,
        problem: e.message().to_string(),
        fix: fix.into(),
    }
}

/// Reads and validates the configuration; every problem is reported at once (the dossiers'
/// fields and the runtime's sections together).
pub fn load(path: &Path) -> Result<Loaded, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigIssue {
            field: path.display().to_string(),
            problem: format!("cannot be read: {e}"),
            fix: "give the path of the dossiers file, e.g. --config dossiers.toml (see infra/dossiers.example.toml)".into(),
        }])
    })?;
    let parsed = ConfigFile::from_toml(&text);
    let mut issues = match &parsed {
        Ok(_) => Vec::new(),
        Err(e) => e.0.clone(),
    };
    // The runtime's sections, read from the raw TOML so that they are checked even when a
    // dossier field is wrong (a syntax error is already reported by the domain).
    let raw: toml::Table = text.parse().unwrap_or_default();
    let service = match raw.get("service").cloned() {
        None => Service::default(),
        Some(v) => match v.try_into::<Service>() {
            Ok(s) => s,
            Err(e) => {
                issues.push(issue(
                    "service".into(),
                    e,
                    "keep only data_dir, mail_domains, authserv_id, http_listen, smtp_listen, sync_secret_env, nightly_at, time_zone and max_message_bytes in [service]",
                ));
                Service::default()
            }
        },
    };
    issues.extend(service.issues());
    let mut sellsy = BTreeMap::new();
    let mut ledgers = BTreeMap::new();
    let raw_dossiers = raw
        .get("dossier")
        .and_then(|d| d.as_array())
        .cloned()
        .unwrap_or_default();
    for (i, d) in raw_dossiers.iter().enumerate() {
        let id = d.get("id").and_then(|v| v.as_str()).unwrap_or_default();
        if let Some(t) = d.get("sellsy") {
            match t.clone().try_into::<SellsySection>() {
                Ok(s) => {
                    sellsy.insert(id.to_string(), s);
                }
                Err(e) => issues.push(issue(
                    format!("dossier[{i}].sellsy"),
                    e,
                    "set client_id and client_secret_env (the name of the environment variable holding the secret)",
                )),
            }
        }
        let section = match d.get("ledger") {
            None => LedgerSection::fec(),
            Some(t) => match t.clone().try_into::<LedgerSection>() {
                Ok(s) => s,
                Err(e) => {
                    issues.push(issue(
                        format!("dossier[{i}].ledger"),
                        e,
                        "see the commented [dossier.ledger] examples in infra/dossiers.example.toml",
                    ));
                    continue;
                }
            },
        };
        issues.extend(section.issues(&format!("dossier[{i}].ledger")));
        ledgers.insert(id.to_string(), section);
    }
    let file = match parsed {
        Ok(file) if issues.is_empty() => file,
        _ => return Err(ConfigErrors(issues)),
    };
    let mut service = service;
    if service.data_dir.is_relative() {
        let base = path.parent().unwrap_or(Path::new("."));
        service.data_dir = base.join(&service.data_dir);
    }
    Ok(Loaded {
        file,
        service,
        sellsy,
        ledgers,
    })
}

/// A ledger of any kind the command line can reach (FEC files in the data directory).
pub type AnySink = ledgers::AnySink<DirBlobs, SystemClock>;

/// The ledger a dossier's `[dossier.ledger]` names, credentials read from the environment.
fn sink(
    dossier: &str,
    section: &LedgerSection,
    files: &Arc<DirBlobs>,
    parties: &Arc<PartyBook>,
) -> Result<AnySink> {
    let secret = |var: &Option<String>, what: &str| -> Result<Secret> {
        env_secret(dossier, var.as_deref().unwrap_or_default(), what).map(Secret::new)
    };
    let fail = |e: SinkError| anyhow::anyhow!("dossier {dossier}: {e}");
    Ok(match section.kind.as_str() {
        "inqom" => {
            let mut cfg = InqomConfig::production(
                section.dossier_id.unwrap_or_default(),
                section.username.clone().unwrap_or_default(),
                secret(&section.password_env, "Inqom password")?,
                section.client_id.clone().unwrap_or_default(),
                secret(&section.client_secret_env, "Inqom client secret")?,
            );
            if let Some(u) = &section.token_url {
                cfg.token_url = u.clone();
            }
            if let Some(u) = &section.api_url {
                cfg.api_url = u.clone();
                cfg.documents_url = u.clone();
            }
            if let Some(u) = &section.documents_url {
                cfg.documents_url = u.clone();
            }
            AnySink::Inqom(InqomSink::new(cfg, parties.clone()).map_err(fail)?)
        }
        "pennylane" => {
            let mut cfg =
                PennylaneConfig::with_token(secret(&section.token_env, "Pennylane API token")?);
            cfg.company_id = section.company_id;
            if let Some(u) = &section.base_url {
                cfg.base_url = u.clone();
            }
            AnySink::Pennylane(PennylaneSink::new(cfg, parties.clone()).map_err(fail)?)
        }
        _ => AnySink::Fec(FecSink::new(
            files.clone(),
            SystemClock,
            FecConfig::default(),
        )),
    })
}

/// Every dossier with its source and ledger.
pub struct Connected {
    pub configs: Vec<DossierConfig>,
    pub sources: BTreeMap<String, SellsyClient>,
    pub sinks: BTreeMap<String, AnySink>,
}

impl Dossiers for Connected {
    type Source = SellsyClient;
    type Sink = AnySink;
    fn config(&self, id: &str) -> Option<&DossierConfig> {
        self.configs.iter().find(|d| d.id == id)
    }
    fn source(&self, id: &str) -> Option<&SellsyClient> {
        self.sources.get(id)
    }
    fn sink(&self, id: &str) -> Option<&AnySink> {
        self.sinks.get(id)
    }
}

/// Connects every dossier: a Sellsy client where `[dossier.sellsy]` is set, the ledger its
/// `[dossier.ledger]` names (the FEC over the data directory's files by default).
pub fn connect(loaded: &Loaded, files: Arc<DirBlobs>) -> Result<Connected> {
    let mut sources = BTreeMap::new();
    let mut sinks = BTreeMap::new();
    let parties = Arc::new(PartyBook::new());
    for d in &loaded.file.dossiers {
        if let Some(s) = loaded.sellsy.get(&d.id) {
            let secret = env_secret(&d.id, &s.client_secret_env, "Sellsy client secret")?;
            let mut cfg = SellsyConfig::new(s.client_id.clone(), sellsy::Secret::new(secret));
            if let (Some(api), Some(token)) = (&s.api_base, &s.token_url) {
                cfg = cfg.with_base_urls(api.clone(), token.clone());
            }
            let client =
                SellsyClient::new(cfg).map_err(|e| anyhow::anyhow!("dossier {}: {e}", d.id))?;
            sources.insert(d.id.clone(), client);
        }
        let section = loaded
            .ledgers
            .get(&d.id)
            .cloned()
            .unwrap_or_else(LedgerSection::fec);
        sinks.insert(d.id.clone(), sink(&d.id, &section, &files, &parties)?);
    }
    if loaded.file.dossiers.is_empty() {
        bail!("no dossier in the configuration");
    }
    Ok(Connected {
        configs: loaded.file.dossiers.clone(),
        sources,
        sinks,
    })
}
