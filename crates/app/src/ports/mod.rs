//! Ports: what the use cases need from the outside world. Adapters implement them: `aws`
//! (DynamoDB, S3, SQS, SES, SSM / Secrets Manager), `local` (SQLite, a files directory, an
//! in-process queue), `sellsy` (the source), `ledgers` (Inqom, Pennylane, FEC).

pub mod blob;
pub mod clock;
mod forward;
pub mod log;
pub mod notifier;
pub mod queue;
pub mod secrets;
pub mod sink;
pub mod source;
pub mod store;

pub use blob::{BlobError, BlobStore, BlobVersion, PutOnce, Swap, valid_key};
pub use clock::{Clock, SystemClock};
pub use log::{IntegrationLog, LogEvent, LogPage, LogQuery, ObjectKind, Severity};
pub use notifier::{Notifier, NotifyError};
pub use queue::{Queue, QueueError, QueueName, Received};
pub use secrets::{Secret, SecretError, SecretRef, SecretRefs, Secrets};
pub use sink::{
    Attachment, Booked, ChartAccount, DocumentToPush, EntryToPush, LedgerSink, SinkError,
    SinkErrorKind,
};
pub use source::{
    ConnectionReport, DocRef, DocRefKind, MissingScope, PdfFile, ProblemFate, ProblemSubject,
    PullMode, PullProblem, PullStats, PullWarning, PullWindow, Pulled, SourceApi, SourceError,
};
pub use store::{Condition, Filter, Record, RecordStore, StoreError, contains_ignoring_case};
