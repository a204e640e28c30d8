//! The ledger kinds: each is a folder that owns its configuration section (`[dossier.ledger]`
//! with `kind = "…"`), its validation and its `connect`; this is the one list that names them.
//! Adding a kind is its folder plus one line in [`ledger_kinds!`] below.

use app::dossiers::ConnectError;
use app::ports::{
    BlobStore, Booked, Clock, DocumentToPush, EntryToPush, LedgerSink, Secrets, SinkError,
};
use domain::config::{ConfigIssue, DossierConfig};

use crate::section::{SinkContext, SinkSection, read};

/// Generates, from the list of kinds, the section enum (parsed by `kind`), the sink enum and
/// the dispatch of every [`LedgerSink`] method.
macro_rules! ledger_kinds {
    ($($kind:literal => $variant:ident($section:ty),)+) => {
        /// The kinds of ledger, as `kind` names them.
        pub const KINDS: &[&str] = &[$($kind),+];

        /// `[dossier.ledger]` of any kind.
        #[derive(Debug, Clone)]
        pub enum LedgerSection {
            $($variant($section),)+
        }

        impl LedgerSection {
            /// Parses the section (absent: the FEC file, the embedded default) and checks it
            /// against its dossier's settings (`None`: they are invalid, reported elsewhere).
            pub fn parse(
                table: Option<&toml::Table>,
                at: &str,
                dossier: Option<&DossierConfig>,
            ) -> Result<LedgerSection, Vec<ConfigIssue>> {
                let empty = toml::Table::new();
                let table = table.unwrap_or(&empty);
                let kind = match table.get("kind") {
                    None => "fec",
                    Some(toml::Value::String(k)) => k.as_str(),
                    Some(other) => {
                        return Err(vec![ConfigIssue::new(
                            format!("{at}.kind"),
                            format!("{other} is not a ledger name"),
                            format!("write kind = \"{}\"", KINDS.join("\", \"")),
                        )]);
                    }
                };
                let section = match kind {
                    $($kind => LedgerSection::$variant(read::<$section>(table, at)?),)+
                    other => {
                        return Err(vec![ConfigIssue::new(
                            format!("{at}.kind"),
                            format!("'{other}' is not a ledger"),
                            format!("use \"{}\"", KINDS.join("\", \"")),
                        )]);
                    }
                };
                let issues = section.validate(at, dossier);
                if issues.is_empty() { Ok(section) } else { Err(issues) }
            }

            pub fn kind(&self) -> &'static str {
                match self { $(LedgerSection::$variant(_) => $kind,)+ }
            }

            pub fn validate(&self, at: &str, dossier: Option<&DossierConfig>) -> Vec<ConfigIssue> {
                match self { $(LedgerSection::$variant(s) => s.validate(at, dossier),)+ }
            }

            /// The dossier's sink.
            pub async fn connect<B: BlobStore + 'static, C: Clock + Clone + 'static, S: Secrets>(
                &self,
                at: &str,
                secrets: &S,
                context: &SinkContext<B, C>,
            ) -> Result<AnySink<B, C>, ConnectError> {
                Ok(match self {
                    $(LedgerSection::$variant(s) => AnySink::$variant(s.connect(at, secrets, context).await?),)+
                })
            }
        }

        /// A dossier's ledger, whichever kind its configuration names.
        // One sink per dossier, built once and never moved in a loop: the size gap between
        // kinds costs nothing worth a Box.
        #[allow(clippy::large_enum_variant)]
        pub enum AnySink<B: BlobStore + 'static, C: Clock + Clone + 'static> {
            $($variant(<$section as SinkSection>::Sink<B, C>),)+
        }

        impl<B: BlobStore + 'static, C: Clock + Clone + 'static> LedgerSink for AnySink<B, C> {
            fn name(&self) -> &str {
                match self { $(AnySink::$variant(s) => s.name(),)+ }
            }
            async fn push_entries(&self, d: &DossierConfig, e: &[EntryToPush]) -> Vec<Result<Booked, SinkError>> {
                match self { $(AnySink::$variant(s) => s.push_entries(d, e).await,)+ }
            }
            async fn find_entry(&self, d: &DossierConfig, e: &EntryToPush) -> Result<Option<Booked>, SinkError> {
                match self { $(AnySink::$variant(s) => s.find_entry(d, e).await,)+ }
            }
            async fn push_document(&self, d: &DossierConfig, doc: &DocumentToPush) -> Result<Booked, SinkError> {
                match self { $(AnySink::$variant(s) => s.push_document(d, doc).await,)+ }
            }
            async fn find_document(&self, d: &DossierConfig, doc: &DocumentToPush) -> Result<Option<Booked>, SinkError> {
                match self { $(AnySink::$variant(s) => s.find_document(d, doc).await,)+ }
            }
            async fn chart(&self, d: &DossierConfig) -> Result<Option<Vec<app::ports::ChartAccount>>, SinkError> {
                match self { $(AnySink::$variant(s) => s.chart(d).await,)+ }
            }
            async fn test_connection(&self, d: &DossierConfig) -> Result<(), SinkError> {
                match self { $(AnySink::$variant(s) => s.test_connection(d).await,)+ }
            }
            fn third_party_records(&self) -> bool {
                match self { $(AnySink::$variant(s) => s.third_party_records(),)+ }
            }
        }
    };
}

ledger_kinds! {
    "fec" => Fec(crate::fec::section::FecSection),
    "inqom" => Inqom(crate::inqom::section::InqomSection),
    "pennylane" => Pennylane(crate::pennylane::section::PennylaneSection),
    "chift" => Chift(crate::chift::section::ChiftSection),
}
