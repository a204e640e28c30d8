//! `[dossier.ledger] kind = "fec"` (the default): the FEC file in the runtime's blob store.
//!
//! ```toml
//! [dossier.ledger]
//! kind = "fec"
//! separator = "tab"          # or "pipe"
//! charset = "utf-8"          # or "iso-8859-15"
//! time_zone = "Europe/Paris" # the day of booking (ValidDate) is the day there
//! ```

use app::dossiers::ConnectError;
use app::ports::{BlobStore, Clock, Secrets};
use chrono_tz::Tz;
use domain::config::{ConfigIssue, DossierConfig};
use domain::fec::{Charset, Separator};
use serde::Deserialize;

use super::{FecConfig, FecSink};
use crate::section::{SinkContext, SinkSection};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FecSection {
    /// `tab` (default) or `pipe`.
    #[serde(default)]
    pub separator: Option<String>,
    /// `utf-8` (default) or `iso-8859-15`.
    #[serde(default)]
    pub charset: Option<String>,
    /// An IANA time zone (default `Europe/Paris`).
    #[serde(default)]
    pub time_zone: Option<String>,
}

impl FecSection {
    /// The sink's settings, or the problems of the section.
    pub fn config(&self, at: &str) -> Result<FecConfig, Vec<ConfigIssue>> {
        let mut config = FecConfig::default();
        let mut issues = Vec::new();
        match self.separator.as_deref() {
            None | Some("tab") => config.options.separator = Separator::Tab,
            Some("pipe") => config.options.separator = Separator::Pipe,
            Some(other) => issues.push(ConfigIssue::new(
                format!("{at}.separator"),
                format!("'{other}' is not a FEC separator"),
                "write separator = \"tab\" or separator = \"pipe\"",
            )),
        }
        match self
            .charset
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("utf-8") => config.options.charset = Charset::Utf8,
            Some("iso-8859-15") => config.options.charset = Charset::Iso8859_15,
            Some(other) => issues.push(ConfigIssue::new(
                format!("{at}.charset"),
                format!("'{other}' is not a FEC character set passerelle writes"),
                "write charset = \"utf-8\" or charset = \"iso-8859-15\"",
            )),
        }
        if let Some(tz) = &self.time_zone {
            match tz.parse::<Tz>() {
                Ok(tz) => config.time_zone = tz,
                Err(_) => issues.push(ConfigIssue::new(
                    format!("{at}.time_zone"),
                    format!("'{tz}' is not an IANA time zone"),
                    "write the dossier's time zone, e.g. time_zone = \"Europe/Paris\"",
                )),
            }
        }
        if issues.is_empty() {
            Ok(config)
        } else {
            Err(issues)
        }
    }
}

impl SinkSection for FecSection {
    type Sink<B: BlobStore + 'static, C: Clock + Clone + 'static> = FecSink<B, C>;

    fn validate(&self, at: &str, dossier: Option<&DossierConfig>) -> Vec<ConfigIssue> {
        let mut issues = self.config(at).err().unwrap_or_default();
        if dossier.is_some_and(|d| d.draft_entries) {
            // The dossier's own key, beside this section: `dossier[0].ledger` → `dossier[0].`.
            let prefix = at.strip_suffix("ledger").unwrap_or("");
            issues.push(ConfigIssue::new(
                format!("{prefix}draft_entries"),
                "draft_entries = true with the FEC ledger: a FEC holds validated entries only (art. A47 A-1 LPF), it has no brouillard, so drafts would be recorded as booked yet absent from the file",
                "set draft_entries = false (entries booked into the FEC are validated), or book into Inqom or Pennylane ([dossier.ledger] kind = \"inqom\" or \"pennylane\"), where a person validates drafts",
            ));
        }
        issues
    }

    async fn connect<B: BlobStore + 'static, C: Clock + Clone + 'static, S: Secrets>(
        &self,
        at: &str,
        _secrets: &S,
        context: &SinkContext<B, C>,
    ) -> Result<FecSink<B, C>, ConnectError> {
        let config = self.config(at).map_err(|issues| {
            let first = &issues[0];
            ConnectError::new(
                format!("{}: {}", first.field, first.problem),
                first.fix.clone(),
            )
        })?;
        Ok(FecSink::new(
            context.blobs.clone(),
            context.clock.clone(),
            config,
        ))
    }
}
