//! What the pages show, read from what the app stores: documents' states (`DOC#`), runs
//! (`RUN`), the integration log (`LOG#`), mail outcomes (`MAIL#`). Nothing here writes.

use std::collections::HashMap;

use app::ports::{BlobStore, Clock, IntegrationLog, LogQuery, Queue, RecordStore, Severity};
use app::usecases::records::{
    DocState, DocumentRecord, RUN_PK, RunRecord, RunState, doc_pk, mail_pk,
};
use app::usecases::{Pipeline, PipelineError};
use chrono::{DateTime, NaiveDate, Utc};
use mail::FileType;
use serde::Serialize;
use serde_json::Value;

use crate::http::BASE;
use crate::site::{DossierInfo, Site};
use crate::users::User;

/// At most this many log lines on a page (the newest matching); older ones on the next pages.
pub(crate) const LOG_PAGE: usize = 200;
/// The log's default period when no date is given.
pub(crate) const LOG_DAYS: i64 = 30;
/// Mails shown.
const MAILS: usize = 20;
/// Runs shown.
const RUNS: usize = 10;

/// The states the dossiers page counts.
const STATES: [DocState; 5] = [
    DocState::Pushed,
    DocState::Held,
    DocState::Rejected,
    DocState::Failed,
    DocState::DeadLetter,
];

/// Every format the mail intake accepts (`mail::filetype::FileType`).
const FORMATS: [FileType; 10] = [
    FileType::Pdf,
    FileType::Png,
    FileType::Jpeg,
    FileType::Doc,
    FileType::Docx,
    FileType::Xls,
    FileType::Xlsx,
    FileType::Txt,
    FileType::Csv,
    FileType::Xml,
];

pub(crate) fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[derive(Serialize)]
pub(crate) struct DossierRow {
    id: String,
    name: String,
    ledger: String,
    last_at: Option<String>,
    last_outcome: String,
    pushed: u64,
    held: u64,
    rejected: u64,
    failed: u64,
    next_run: Option<String>,
    /// "red" (something failed or was rejected), "yellow" (held), "" (nothing to do).
    mark: &'static str,
}

#[derive(Serialize)]
pub(crate) struct RunView {
    pub id: String,
    pub trigger: String,
    pub state: &'static str,
    pub done: bool,
    pub window_from: NaiveDate,
    pub window_to: NaiveDate,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub pulled: u64,
    pub new: u64,
    pub changed: u64,
    pub error: Option<String>,
}

pub(crate) fn run_view(r: &RunRecord) -> RunView {
    let state = match r.state {
        RunState::Queued => "queued",
        RunState::Running => "running",
        RunState::Pulled => "pulled",
        RunState::Failed => "failed",
    };
    RunView {
        id: r.id.clone(),
        trigger: r.trigger.clone(),
        state,
        done: matches!(r.state, RunState::Pulled | RunState::Failed),
        window_from: r.window_from,
        window_to: r.window_to,
        started_at: when(r.started_at),
        finished_at: r.finished_at.map(when),
        pulled: r.pulled,
        new: r.new,
        changed: r.changed,
        error: r.error.clone(),
    }
}

/// Every run, oldest first.
async fn runs<S: RecordStore>(store: &S) -> Result<Vec<RunRecord>, PipelineError> {
    let mut runs: Vec<RunRecord> = store
        .query(RUN_PK, None, None, usize::MAX)
        .await?
        .iter()
        .filter_map(|r| RunRecord::from_record(r).ok())
        .collect();
    runs.sort_by_key(|r| r.started_at);
    Ok(runs)
}

/// A dossier's documents by state.
async fn documents<S: RecordStore>(
    store: &S,
    dossier: &str,
) -> Result<Vec<DocumentRecord>, PipelineError> {
    Ok(store
        .query(&doc_pk(dossier), None, None, usize::MAX)
        .await?
        .iter()
        .filter_map(|r| DocumentRecord::from_record(r).ok())
        .collect())
}

/// One line per dossier the user may see.
pub(crate) async fn dossier_rows<S, B, Q, C>(
    site: &Site,
    pipeline: &Pipeline<S, B, Q, C>,
    user: &User,
    next_run: Option<DateTime<Utc>>,
) -> Result<Vec<DossierRow>, PipelineError>
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
{
    let runs = runs(&pipeline.store).await?;
    let mut rows = Vec::new();
    for d in site.dossiers.iter().filter(|d| user.sees(&d.config.id)) {
        let id = &d.config.id;
        // Counted by the store (SQLite: on an index), not by reading a dossier's thousands of
        // documents.
        let names = STATES.map(DocState::as_str);
        let counts = pipeline
            .store
            .count_by(&doc_pk(id), "state", &names)
            .await?;
        let count: HashMap<DocState, u64> = STATES.into_iter().zip(counts).collect();
        let n = |s: DocState| count.get(&s).copied().unwrap_or(0);
        let last = runs.iter().rev().find(|r| &r.dossier == id);
        let failed = n(DocState::Failed) + n(DocState::DeadLetter);
        let (rejected, held) = (n(DocState::Rejected), n(DocState::Held));
        let run_failed = last.is_some_and(|r| r.state == RunState::Failed);
        let mark = if failed > 0 || rejected > 0 || run_failed {
            "red"
        } else if held > 0 {
            "yellow"
        } else {
            ""
        };
        rows.push(DossierRow {
            id: id.clone(),
            name: d.config.name.clone(),
            ledger: d.ledger.clone(),
            last_at: last.map(|r| when(r.started_at)),
            last_outcome: last
                .map(|r| {
                    let v = run_view(r);
                    match &v.error {
                        Some(e) => format!("{}: {e}", v.state),
                        None => format!("{} ({} / {})", v.state, v.pulled, v.new),
                    }
                })
                .unwrap_or_default(),
            pushed: n(DocState::Pushed),
            held,
            rejected,
            failed,
            next_run: next_run.filter(|_| d.has_source).map(when),
            mark,
        });
    }
    Ok(rows)
}

/// The log filter of a dossier page.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LogFilter {
    pub severity: &'static str,
    pub from: String,
    pub to: String,
    pub q: String,
    /// Where the page starts (the cursor of the previous page's "next" link; empty: newest).
    pub before: String,
}

impl LogFilter {
    /// The filter's period: `from` 00:00 to the end of `to` (UTC), by default the last
    /// [`LOG_DAYS`] days.
    fn period(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let to = day(&self.to)
            .and_then(|d| d.succ_opt())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .unwrap_or(now + chrono::Duration::seconds(1));
        let from = day(&self.from)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .unwrap_or(to - chrono::Duration::days(LOG_DAYS));
        (from, to)
    }

    /// The dossier page with this filter, from `before` (`None`: the newest lines).
    pub fn href(&self, dossier: &str, before: Option<&str>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("severity", self.severity)
            .append_pair("from", &self.from)
            .append_pair("to", &self.to)
            .append_pair("q", &self.q);
        if let Some(b) = before {
            query.append_pair("before", b);
        }
        format!("{BASE}/dossiers/{dossier}?{}#h-log", query.finish())
    }

    fn min(&self) -> Severity {
        self.severity.parse().unwrap_or(Severity::Info)
    }
}

#[derive(Serialize)]
pub(crate) struct LogLine {
    at: String,
    severity: &'static str,
    object: String,
    object_id: String,
    message: String,
    action: String,
}

/// A page of the log lines matching the filter, newest first, at most [`LOG_PAGE`], and the
/// link to the next (older) page when there is one. The store filters and limits.
pub(crate) async fn log<S, B, Q, C>(
    pipeline: &Pipeline<S, B, Q, C>,
    dossier: &str,
    filter: &LogFilter,
) -> Result<(Vec<LogLine>, Option<String>), PipelineError>
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
{
    let (from, to) = filter.period(pipeline.now());
    let query = LogQuery {
        min: filter.min(),
        from,
        to,
        text: filter.q.clone(),
        before: Some(filter.before.clone()).filter(|b| !b.is_empty()),
        limit: LOG_PAGE,
    };
    let page = pipeline.log().page(dossier, &query).await?;
    let lines = page
        .events
        .iter()
        .map(|e| LogLine {
            at: e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            severity: e.severity.as_str(),
            object: serde_json::to_value(e.object)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            object_id: e.object_id.clone(),
            message: e.message.clone(),
            action: e.action.clone(),
        })
        .collect();
    let next = page.next.map(|cursor| filter.href(dossier, Some(&cursor)));
    Ok((lines, next))
}

#[derive(Serialize)]
pub(crate) struct DocLine {
    key: String,
    label: String,
    state: &'static str,
    reason: String,
    action: String,
}

/// The held and rejected documents of a dossier.
pub(crate) async fn to_fix<S: RecordStore>(
    store: &S,
    dossier: &str,
) -> Result<Vec<DocLine>, PipelineError> {
    Ok(documents(store, dossier)
        .await?
        .iter()
        .filter(|d| matches!(d.state, DocState::Held | DocState::Rejected))
        .map(|d| DocLine {
            key: d.key.clone(),
            label: d.label(),
            state: d.state.as_str(),
            reason: d.reason.clone().unwrap_or_default(),
            action: d.action.clone().unwrap_or_default(),
        })
        .collect())
}

/// The dossier's last runs, newest first.
pub(crate) async fn dossier_runs<S: RecordStore>(
    store: &S,
    dossier: &str,
) -> Result<Vec<RunView>, PipelineError> {
    Ok(runs(store)
        .await?
        .iter()
        .rev()
        .filter(|r| r.dossier == dossier)
        .take(RUNS)
        .map(run_view)
        .collect())
}

#[derive(Serialize)]
pub(crate) struct MailSettings {
    addresses: Vec<String>,
    senders: Vec<String>,
    everyone: bool,
    formats: String,
}

pub(crate) fn mail_settings(d: &DossierInfo, domains: &[String]) -> MailSettings {
    let m = &d.config.mail;
    let addresses = domains
        .iter()
        .flat_map(|dom| ["achat", "vente", "ndf", "admin"].map(|c| format!("{c}.{}@{dom}", m.slug)))
        .collect();
    let mut senders = m.allowed_senders.clone();
    senders.extend(m.allowed_domains.iter().map(|d| format!("*@{d}")));
    let formats: Vec<&str> = FORMATS.iter().map(|f| f.extension()).collect();
    MailSettings {
        addresses,
        senders,
        everyone: m.allow_everyone,
        formats: formats.join(", "),
    }
}

#[derive(Serialize)]
pub(crate) struct MailLine {
    at: String,
    from: String,
    subject: String,
    rejected: bool,
    rejection: String,
    documents: usize,
}

/// The last mails received for a dossier, newest first, with what became of each.
pub(crate) async fn last_mails<S: RecordStore>(
    store: &S,
    dossier: &str,
) -> Result<Vec<MailLine>, PipelineError> {
    let mut mails: Vec<Value> = store
        .query(&mail_pk(dossier), None, None, usize::MAX)
        .await?
        .into_iter()
        .map(|r| r.data)
        .collect();
    let at = |v: &Value| v["received_at"].as_str().unwrap_or("").to_string();
    mails.sort_by_key(|v| std::cmp::Reverse(at(v)));
    Ok(mails
        .iter()
        .take(MAILS)
        .map(|v| {
            let delivery = v["deliveries"]
                .as_array()
                .and_then(|ds| ds.iter().find(|d| d["dossier_id"] == dossier));
            let rejection = [
                &v["rejection"],
                delivery.map_or(&Value::Null, |d| &d["rejection"]),
            ]
            .into_iter()
            .find(|r| !r.is_null())
            .map(|r| {
                r["message"]
                    .as_str()
                    .map_or_else(|| r.to_string(), str::to_string)
            });
            let documents = delivery.map_or(0, |d| match &d["documents"] {
                Value::Array(a) => a.len(),
                Value::Number(n) => n.as_u64().unwrap_or(0) as usize,
                _ => 0,
            });
            MailLine {
                at: at(v).get(..16).unwrap_or("").replace('T', " "),
                from: v["from"].as_str().unwrap_or("").to_string(),
                subject: v["subject"].as_str().unwrap_or("").to_string(),
                rejected: rejection.is_some(),
                rejection: rejection.unwrap_or_default(),
                documents,
            }
        })
        .collect())
}
