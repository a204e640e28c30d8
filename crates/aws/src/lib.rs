//! passerelle's AWS adapters: the application's ports over DynamoDB, S3, SQS, SES v2, SSM
//! Parameter Store and Secrets Manager. This is the only crate of the workspace that depends on
//! the AWS SDK; the use cases never see it.
//!
//! | port | adapter | AWS calls |
//! |---|---|---|
//! | [`RecordStore`](app::ports::RecordStore) | [`DynamoStore`] | GetItem, PutItem (conditional), Query |
//! | [`BlobStore`](app::ports::BlobStore) | [`S3Blobs`] | PutObject (SSE, `If-None-Match: *`), GetObject, ListObjectsV2 |
//! | [`Queue`](app::ports::Queue) | [`SqsQueue`] | SendMessageBatch, ReceiveMessage, DeleteMessage |
//! | [`Notifier`](app::ports::Notifier) | [`SesNotifier`] | SES v2 SendEmail |
//! | [`Secrets`](app::ports::Secrets) | [`AwsSecrets`] | SSM GetParameter (decrypted), Secrets Manager GetSecretValue |
//!
//! Build everything once per process (a Lambda's init phase) with [`AwsAdapters::from_env`]: one
//! `SdkConfig`, one client per service, shared by every invocation.
//!
//! # Environment
//!
//! | variable | required | meaning |
//! |---|---|---|
//! | `PASSERELLE_TABLE` | yes | DynamoDB table name (see the table design below) |
//! | `PASSERELLE_BUCKET` | yes | S3 bucket for PDFs, raw mail, collected files, FEC files |
//! | `PASSERELLE_MAP_QUEUE_URL` | yes | SQS queue URL of [`QueueName::Map`](app::ports::QueueName::Map) (sellsy-pull → mapper) |
//! | `PASSERELLE_PUSH_QUEUE_URL` | yes | SQS queue URL of [`QueueName::Push`](app::ports::QueueName::Push) (mapper, mail-inbound → ledger-sink) |
//! | `PASSERELLE_MAIL_FROM` | yes | verified SES identity notices are sent from, e.g. `passerelle@example.fr` |
//! | `PASSERELLE_SES_CONFIGURATION_SET` | no | SES configuration set attached to every notice (bounce / complaint tracking) |
//! | `AWS_ENDPOINT_URL` | no | endpoint of every service, e.g. `http://127.0.0.1:5055` for `moto_server`; S3 then uses path-style addressing |
//! | `AWS_REGION`, credentials | Lambda sets them | read by the SDK's default chain (env, profile, container / instance role) |
//!
//! Every missing or empty required variable is reported at once by [`ConfigError`].
//!
//! Timeouts (all services): connect 3 s, per attempt 20 s, whole operation (retries included) 60 s;
//! the SDK's standard retry mode (3 attempts, exponential backoff with jitter) handles throttling
//! and 5xx before an error reaches a port.
//!
//! # DynamoDB table design
//!
//! One table, `PAY_PER_REQUEST`, string keys `pk` (partition) and `sk` (sort), TTL enabled on
//! `expires_at`. Every item has the same four attributes:
//!
//! | attribute | type | meaning |
//! |---|---|---|
//! | `pk`, `sk` | S | the key, see below |
//! | `version` | N | optimistic concurrency: 1 on create, +1 on each update; every write is conditional on it |
//! | `data` | S | the record's JSON, as text |
//! | `expires_at` | N (optional) | Unix seconds; DynamoDB's TTL deletes the item some time after (log lines) |
//!
//! `data` is JSON text rather than a DynamoDB map on purpose: a `serde_json::Value` round-trips
//! exactly (DynamoDB numbers lose the integer / float distinction, `1.0` comes back as `1`), the
//! adapter stays a few lines, and nothing needs server-side access to fields: every change is a
//! read-modify-write of the whole item guarded by `version`, and no index is built on a field of
//! `data`. The 400 KB item limit applies to the text; documents stay far below it (PDFs live in
//! S3).
//!
//! Access patterns (the keys the use cases write; `<dossier>` is the tenant's slug):
//!
//! | what | `pk` | `sk` | access |
//! |---|---|---|---|
//! | source documents | `DOC#<dossier>` | `<doc key>` (`sellsy:<kind>:<id>`) | get / create / update by key; query a dossier's documents |
//! | piece numbers | `NUM#<dossier>#<journal>` | `<number>` (zero-padded) | create claims a number (conditional: never twice); query the last one |
//! | outbox | `OUTBOX#<dossier>` | `<doc key>` | create claims a push, update moves its state; query what is still pending |
//! | integration log | `LOG#<dossier>` | `<rfc3339 time>#<id>` | create; query a time range (ascending); `expires_at` set (TTL) |
//! | runs | `RUN#<id>` | `RUN` | create on start (a re-fired schedule or a double click conflicts), update on end |
//! | auxiliary codes | `AUX#<dossier>` | `<party key>` | create claims a code for a customer / supplier; get |
//! | collected files | `FILE#<dossier>#<category>` | `<sha256>` | create: the same file mailed twice conflicts; query a category |
//! | mail | `MAIL#<dossier>` | `<message id>` | create: a redelivered mail conflicts; get |
//!
//! Writes: `create` is `PutItem` with `attribute_not_exists(pk)`, `update` is `PutItem` with
//! `version = :expected`; a failed condition is [`StoreError::Conflict`](app::ports::StoreError).
//! Reads are strongly consistent (a read-modify-write must see the last write). `query` is `Query`
//! on one `pk` with `sk BETWEEN` / `>=` / `<=`, ascending, paginated until `limit`.
//!
//! # S3 layout
//!
//! Keys are checked with [`app::ports::valid_key`]. Every object is written with SSE-S3
//! (`AES256`); write-once objects (raw mail, PDFs, collected files) use `If-None-Match: *`, so a
//! second writer gets [`PutOnce::AlreadyExists`](app::ports::PutOnce) and the first object stays.
//!
//! # Secret names
//!
//! [`AwsSecrets::get`](app::ports::Secrets::get) takes a name with a scheme:
//!
//! - `ssm:<parameter name>`, e.g. `ssm:/passerelle/acme/sellsy`: an SSM parameter (SecureString
//!   decrypted with its KMS key; String works too);
//! - `secret:<secret id or ARN>`, e.g. `secret:passerelle/acme/inqom`: a Secrets Manager secret's
//!   `SecretString` (its current version).
//!
//! A name without one of these schemes is refused with the fix in the error. Values are cached in
//! memory for five minutes per process, never logged, and errors only carry the name.

mod config;
mod dynamo;
mod error;
mod s3;
mod secrets;
mod ses;
mod sqs;
/// Test support (feature `testing`): never enabled in a shipped build.
#[cfg(feature = "testing")]
pub mod testing;

pub use config::{AwsAdapters, AwsSettings, ConfigError, configure_loader, load_sdk_config};
pub use dynamo::DynamoStore;
pub use error::{ErrorClass, classify};
pub use s3::S3Blobs;
pub use secrets::AwsSecrets;
pub use ses::SesNotifier;
pub use sqs::SqsQueue;

/// The SDK crates, re-exported so entry points and tests build clients without depending on them.
pub mod sdk {
    pub use aws_config;
    pub use aws_sdk_dynamodb as dynamodb;
    pub use aws_sdk_s3 as s3;
    pub use aws_sdk_secretsmanager as secretsmanager;
    pub use aws_sdk_sesv2 as sesv2;
    pub use aws_sdk_sqs as sqs;
    pub use aws_sdk_ssm as ssm;
}
