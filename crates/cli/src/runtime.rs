//! The one-machine runtime: dossiers from the configuration file, their Sellsy connections and
//! ledgers, over a data directory (SQLite file + files directory) and the in-process queue.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use app::ports::{Booked, DocumentToPush, EntryToPush, LedgerSink, SinkError, SystemClock};
use app::usecases::worker::Dossiers;
use domain::config::{ConfigErrors, ConfigFile, ConfigIssue, DossierConfig};
use ledgers::fec::{FecConfig, FecSink};
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
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("passerelle-data")
}

fn default_authserv() -> String {
    "passerelle.local".into()
}

/// `[dossier.sellsy]`: the Sellsy "Personal" API client; the secret comes from the environment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SellsySection {
    pub client_id: String,
    /// Name of the environment variable holding the client secret.
    pub client_secret_env: String,
    pub api_base: Option<String>,
    pub token_url: Option<String>,
}

/// `[dossier.ledger]`: where entries are booked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerSection {
    /// "fec" (the embedded default).
    #[serde(default = "default_kind")]
    pub kind: String,
}

fn default_kind() -> String {
    "fec".into()
}

/// The whole configuration, validated: the domain part and the connection sections.
pub struct Loaded {
    pub file: ConfigFile,
    pub service: Service,
    pub sellsy: BTreeMap<String, SellsySection>,
}

/// Reads and validates the configuration; every problem is reported at once.
pub fn load(path: &Path) -> Result<Loaded, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigIssue {
            field: path.display().to_string(),
            problem: format!("cannot be read: {e}"),
            fix: "give the path of the dossiers file, e.g. --config dossiers.toml (see infra/dossiers.example.toml)".into(),
        }])
    })?;
    let file = ConfigFile::from_toml(&text)?;
    let mut issues = Vec::new();
    let service: Service = match file.service.clone().try_into() {
        Ok(s) => s,
        Err(e) => {
            issues.push(ConfigIssue {
                field: "service".into(),
                problem: e.message().to_string(),
                fix: "keep only data_dir, mail_domains and authserv_id in [service]".into(),
            });
            Service {
                data_dir: default_data_dir(),
                mail_domains: vec![],
                authserv_id: default_authserv(),
            }
        }
    };
    let mut sellsy = BTreeMap::new();
    for (i, d) in file.dossiers.iter().enumerate() {
        if let Some(t) = &d.connections.sellsy {
            match t.clone().try_into::<SellsySection>() {
                Ok(s) => {
                    sellsy.insert(d.id.clone(), s);
                }
                Err(e) => issues.push(ConfigIssue {
                    field: format!("dossier[{i}].sellsy"),
                    problem: e.message().to_string(),
                    fix: "set client_id and client_secret_env (the name of the environment variable holding the secret)".into(),
                }),
            }
        }
        let section: LedgerSection = match &d.connections.ledger {
            None => LedgerSection {
                kind: default_kind(),
            },
            Some(t) => match t.clone().try_into() {
                Ok(s) => s,
                Err(e) => {
                    issues.push(ConfigIssue {
                        field: format!("dossier[{i}].ledger"),
                        problem: e.message().to_string(),
                        fix: "use kind = \"fec\"".into(),
                    });
                    continue;
                }
            },
        };
        if section.kind != "fec" {
            issues.push(ConfigIssue {
                field: format!("dossier[{i}].ledger.kind"),
                problem: format!(
                    "'{}' is not available from the command line yet",
                    section.kind
                ),
                fix: "use kind = \"fec\"; Inqom and Pennylane are wired in the cloud functions"
                    .into(),
            });
        }
    }
    if !issues.is_empty() {
        return Err(ConfigErrors(issues));
    }
    let mut service = service;
    if service.data_dir.is_relative() {
        let base = path.parent().unwrap_or(Path::new("."));
        service.data_dir = base.join(&service.data_dir);
    }
    Ok(Loaded {
        file,
        service,
        sellsy,
    })
}

/// A ledger of any kind the command line can reach.
pub enum AnySink {
    Fec(FecSink<DirBlobs, SystemClock>),
}

impl LedgerSink for AnySink {
    fn name(&self) -> &str {
        match self {
            AnySink::Fec(s) => s.name(),
        }
    }
    async fn push_entries(
        &self,
        d: &DossierConfig,
        e: &[EntryToPush],
    ) -> Vec<Result<Booked, SinkError>> {
        match self {
            AnySink::Fec(s) => s.push_entries(d, e).await,
        }
    }
    async fn find_entry(
        &self,
        d: &DossierConfig,
        e: &EntryToPush,
    ) -> Result<Option<Booked>, SinkError> {
        match self {
            AnySink::Fec(s) => s.find_entry(d, e).await,
        }
    }
    async fn push_document(
        &self,
        d: &DossierConfig,
        doc: &DocumentToPush,
    ) -> Result<Booked, SinkError> {
        match self {
            AnySink::Fec(s) => s.push_document(d, doc).await,
        }
    }
    async fn find_document(
        &self,
        d: &DossierConfig,
        doc: &DocumentToPush,
    ) -> Result<Option<Booked>, SinkError> {
        match self {
            AnySink::Fec(s) => s.find_document(d, doc).await,
        }
    }
    async fn test_connection(&self, d: &DossierConfig) -> Result<(), SinkError> {
        match self {
            AnySink::Fec(s) => s.test_connection(d).await,
        }
    }
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

/// Connects every dossier: a Sellsy client where `[dossier.sellsy]` is set, the FEC ledger over
/// the data directory's files.
pub fn connect(loaded: &Loaded, files: Arc<DirBlobs>) -> Result<Connected> {
    let mut sources = BTreeMap::new();
    let mut sinks = BTreeMap::new();
    for d in &loaded.file.dossiers {
        if let Some(s) = loaded.sellsy.get(&d.id) {
            let secret = std::env::var(&s.client_secret_env).with_context(|| {
                format!(
                    "dossier {}: the environment variable {} (Sellsy client secret) is not set; export it before running passerelle",
                    d.id, s.client_secret_env
                )
            })?;
            let mut cfg = SellsyConfig::new(s.client_id.clone(), sellsy::Secret::new(secret));
            if let (Some(api), Some(token)) = (&s.api_base, &s.token_url) {
                cfg = cfg.with_base_urls(api.clone(), token.clone());
            }
            let client =
                SellsyClient::new(cfg).map_err(|e| anyhow::anyhow!("dossier {}: {e}", d.id))?;
            sources.insert(d.id.clone(), client);
        }
        sinks.insert(
            d.id.clone(),
            AnySink::Fec(FecSink::new(
                files.clone(),
                SystemClock,
                FecConfig::default(),
            )),
        );
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
