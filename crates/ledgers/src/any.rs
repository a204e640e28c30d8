//! A dossier's ledger, whichever kind its configuration names: what the runtimes (the command
//! line over a files directory, the Lambda functions over S3) hold per dossier.

use app::ports::{BlobStore, Booked, Clock, DocumentToPush, EntryToPush, LedgerSink, SinkError};
use domain::config::DossierConfig;

use crate::{FecSink, InqomSink, PennylaneSink};

/// One of the three sinks; the FEC one writes through the runtime's blob store `B`.
pub enum AnySink<B, C> {
    Fec(FecSink<B, C>),
    Inqom(InqomSink),
    Pennylane(PennylaneSink),
}

/// Calls the same method on whichever sink it is.
macro_rules! each_sink {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            AnySink::Fec($s) => $call,
            AnySink::Inqom($s) => $call,
            AnySink::Pennylane($s) => $call,
        }
    };
}

impl<B: BlobStore, C: Clock> LedgerSink for AnySink<B, C> {
    fn name(&self) -> &str {
        each_sink!(self, s => s.name())
    }
    async fn push_entries(
        &self,
        d: &DossierConfig,
        e: &[EntryToPush],
    ) -> Vec<Result<Booked, SinkError>> {
        each_sink!(self, s => s.push_entries(d, e).await)
    }
    async fn find_entry(
        &self,
        d: &DossierConfig,
        e: &EntryToPush,
    ) -> Result<Option<Booked>, SinkError> {
        each_sink!(self, s => s.find_entry(d, e).await)
    }
    async fn push_document(
        &self,
        d: &DossierConfig,
        doc: &DocumentToPush,
    ) -> Result<Booked, SinkError> {
        each_sink!(self, s => s.push_document(d, doc).await)
    }
    async fn find_document(
        &self,
        d: &DossierConfig,
        doc: &DocumentToPush,
    ) -> Result<Option<Booked>, SinkError> {
        each_sink!(self, s => s.find_document(d, doc).await)
    }
    async fn test_connection(&self, d: &DossierConfig) -> Result<(), SinkError> {
        each_sink!(self, s => s.test_connection(d).await)
    }
}
