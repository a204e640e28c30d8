//! The Chift sink and its calls: pages, the folder, journals, VAT codes, book years, the chart.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use app::ports::{Secret, SinkError};
use reqwest::Method;
use serde_json::Value;
use tokio::sync::{Mutex, OnceCell};

use super::config::{ChiftConfig, VatCodes};
use super::errors::refused;
use super::vat::Side;
use super::wire::{Account, BookYear, Folder, Journal, Page, VatCode};
use crate::client::{Auth, Core, Grant, Redirects, pacer};
use crate::http::{self, Answer};
use crate::parties::{Candidate, MatchRule, PartyBook};

const NAME: &str = "Chift";
/// The largest page the spec allows (`size` ≤ 100).
const PAGE: usize = 100;
/// A list longer than this (1,000,000 items) is an answer gone wrong, not a chart or a client
/// list: the read stops with an error rather than loop.
const MAX_PAGES: usize = 10_000;

/// (root, auxiliary code) → the partner id and how it was matched (`None`: created).
pub(super) type Resolved = (String, Option<MatchRule>);

/// The Chift sink of one consumer.
pub struct ChiftSink {
    core: Core,
    base: String,
    consumer: String,
    configured_folder: Option<String>,
    pub(super) journal_map: BTreeMap<String, String>,
    pub(super) vat_map: VatCodes,
    pub(super) parties: Arc<PartyBook>,
    /// The folder every `/accounting` request names (`None`: the consumer has one, the default).
    folder: OnceCell<Option<String>>,
    journals: OnceCell<Vec<Journal>>,
    vat_codes: OnceCell<Vec<VatCode>>,
    book_years: OnceCell<Vec<BookYear>>,
    chart: OnceCell<Vec<Account>>,
    /// Clients ("411") or suppliers ("401"), loaded once, with those this process created.
    pub(super) partners: Mutex<HashMap<String, Vec<Candidate>>>,
    pub(super) resolved: Mutex<HashMap<(String, String), Resolved>>,
}

impl ChiftSink {
    pub fn new(config: ChiftConfig, parties: Arc<PartyBook>) -> Result<ChiftSink, SinkError> {
        let base = config.base_url.trim_end_matches('/').to_string();
        let pacer = pacer(
            NAME,
            &base,
            &[&config.client_id, &config.account_id],
            config.rate,
        );
        let auth = Auth::grant(
            Grant {
                url: format!("{base}/token"),
                form: vec![
                    ("clientId", Secret::new(config.client_id)),
                    ("clientSecret", config.client_secret),
                    ("accountId", Secret::new(config.account_id)),
                ],
                json: true,
            },
            None,
            "check client_id, client_secret and account_id in [dossier.ledger] against Chift › Settings › API keys",
        );
        Ok(ChiftSink {
            core: Core::new(NAME, pacer, config.retry, auth, Redirects::Client)?,
            base,
            consumer: config.consumer_id,
            configured_folder: config.folder_id,
            journal_map: config.journals,
            vat_map: config.vat_codes,
            parties,
            folder: OnceCell::new(),
            journals: OnceCell::new(),
            vat_codes: OnceCell::new(),
            book_years: OnceCell::new(),
            chart: OnceCell::new(),
            partners: Mutex::new(HashMap::new()),
            resolved: Mutex::new(HashMap::new()),
        })
    }

    /// A request to `/consumers/{consumer}/accounting{path}`, naming the folder.
    pub(super) async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer, SinkError> {
        let folder = self.folder().await?;
        self.raw(method, path, query, folder.as_deref(), body).await
    }

    async fn raw(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        folder: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Answer, SinkError> {
        let url = format!("{}/consumers/{}/accounting{path}", self.base, self.consumer);
        let build = |http: &reqwest::Client| {
            let mut r = http.request(method.clone(), &url).query(query);
            if let Some(f) = folder {
                r = r.query(&[("folder_id", f)]);
            }
            if let Some(b) = body {
                r = r.json(b);
            }
            r
        };
        // A creation is not sent twice blindly: Chift documents no duplicate refusal for
        // entries, so a lost answer goes back to the pipeline, which looks before resending.
        self.core.send_as(&method, build).await
    }

    /// The JSON of a successful answer, else Chift's refusal of `what`.
    pub(super) fn ok_json<T: serde::de::DeserializeOwned>(
        &self,
        a: Answer,
        what: &str,
    ) -> Result<T, SinkError> {
        if a.status.is_success() {
            http::json(&a, NAME)
        } else {
            Err(refused(&a, what))
        }
    }

    /// Every item of a paged list (`page`, `size` ≤ 100).
    pub(super) async fn list_all<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        what: &str,
    ) -> Result<Vec<T>, SinkError> {
        let mut out = Vec::new();
        for page in 1..=MAX_PAGES + 1 {
            if page > MAX_PAGES {
                return Err(SinkError::retryable(format!(
                    "Chift's {what} did not end after {MAX_PAGES} pages"
                )));
            }
            let mut q = query.to_vec();
            q.push(("page", page.to_string()));
            q.push(("size", PAGE.to_string()));
            let a = self.call(Method::GET, path, &q, None).await?;
            let p: Page<T> = self.ok_json(a, what)?;
            let n = p.items.len();
            out.extend(p.items);
            // `total` is required by the spec: a connector that caps its pages below `size`
            // still says how many there are. Without it, a short page is the last.
            let more = match p.total {
                Some(t) => (out.len() as i64) < t,
                None => n == PAGE,
            };
            if n == 0 || !more {
                break;
            }
        }
        Ok(out)
    }

    /// The consumer's folders (no folder named: this call lists them).
    pub(super) async fn folders(&self) -> Result<Vec<Folder>, SinkError> {
        let a = self.raw(Method::GET, "/folders", &[], None, None).await?;
        self.ok_json(a, "folder list")
    }

    /// The folder to name: the configured one, which must be selected and active, else the only
    /// selected one. Several and none configured: refused with the list.
    pub(super) async fn folder(&self) -> Result<Option<String>, SinkError> {
        self.folder
            .get_or_try_init(|| async {
                let all = self.folders().await?;
                let usable: Vec<&Folder> = all
                    .iter()
                    .filter(|f| f.selected != Some(false) && f.active != Some(false))
                    .collect();
                let list = || {
                    usable
                        .iter()
                        .map(|f| format!("{} ({})", f.id, f.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                match &self.configured_folder {
                    Some(id) if usable.iter().any(|f| &f.id == id) => Ok(Some(id.clone())),
                    Some(id) => Err(SinkError::permanent(
                        format!("the Chift folder {id} is not one the consumer can use (selected and active): {}", list()),
                        "set folder_id in [dossier.ledger] to one of these, or select the folder in the consumer's Chift connection",
                    )),
                    None if usable.len() > 1 => Err(SinkError::permanent(
                        format!("the consumer's accounting software holds {} folders: {}", usable.len(), list()),
                        "set folder_id in [dossier.ledger] to the dossier's folder",
                    )),
                    None => Ok(usable.first().map(|f| f.id.clone())),
                }
            })
            .await
            .cloned()
    }

    pub(super) async fn journals(&self) -> Result<&Vec<Journal>, SinkError> {
        self.journals
            .get_or_try_init(|| self.list_all("/journals", &[], "journal list"))
            .await
    }

    pub(super) async fn vat_codes(&self) -> Result<&Vec<VatCode>, SinkError> {
        self.vat_codes
            .get_or_try_init(|| self.list_all("/vat-codes", &[], "VAT code list"))
            .await
    }

    pub(super) async fn book_years(&self) -> Result<&Vec<BookYear>, SinkError> {
        self.book_years
            .get_or_try_init(|| self.list_all("/bookyears", &[], "book year list"))
            .await
    }

    /// The chart of accounts (active accounts), read once.
    pub(super) async fn ledger_chart(&self) -> Result<&Vec<Account>, SinkError> {
        self.chart
            .get_or_try_init(|| async {
                let all: Vec<Account> = self
                    .list_all("/chart-of-accounts", &[], "chart of accounts")
                    .await?;
                Ok(all
                    .into_iter()
                    .filter(|a| a.active != Some(false))
                    .collect())
            })
            .await
    }

    /// The journal id of a dossier journal: `[dossier.ledger.journals]`, else the folder's
    /// journal of that code. A blocked journal, or one that takes no sales or purchases, is
    /// refused with the action.
    pub(super) async fn journal(&self, code: &str, side: Side) -> Result<String, SinkError> {
        let journals = self.journals().await?;
        let found = match self.journal_map.get(code) {
            Some(id) => journals.iter().find(|j| &j.id == id),
            None => journals.iter().find(|j| {
                j.code
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(code))
            }),
        };
        let list = || {
            journals
                .iter()
                .map(|j| {
                    format!(
                        "{} = {} ({}, {})",
                        j.code.as_deref().unwrap_or("-"),
                        j.id,
                        j.name,
                        j.journal_type
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let Some(j) = found else {
            return Err(SinkError::permanent(
                format!(
                    "the journal {code} is not in the Chift folder (journals: {})",
                    list()
                ),
                format!(
                    "map it in [dossier.ledger.journals] as {code} = \"<journal id>\", or create the journal {code} in the accounting software"
                ),
            ));
        };
        if j.blocked == Some(true) {
            return Err(SinkError::permanent(
                format!(
                    "the journal {} ({}) is blocked in the accounting software",
                    code, j.name
                ),
                "unblock it there, or map the dossier's journal to another in [dossier.ledger.journals]",
            ));
        }
        // The generic entry books only in a sale or purchase journal (the spec's
        // ERROR_WRONG_ENTRY_TYPE), a sale in a customer one, a purchase in a supplier one;
        // `unknown` is a connector that does not tell.
        let t = j.journal_type.as_str();
        let (fits, wanted) = match side {
            Side::Sales => (
                matches!(t, "customer_invoice" | "customer_refund" | "unknown"),
                "sales (customer_invoice or customer_refund)",
            ),
            Side::Purchases => (
                matches!(t, "supplier_invoice" | "supplier_refund" | "unknown"),
                "purchases (supplier_invoice or supplier_refund)",
            ),
        };
        if !fits {
            return Err(SinkError::permanent(
                format!(
                    "the journal {code} ({}) is a {t} journal, not a {wanted} one",
                    j.name
                ),
                format!(
                    "map the dossier's journal {code} to a {wanted} journal in [dossier.ledger.journals]"
                ),
            ));
        }
        Ok(j.id.clone())
    }

    /// The entry's date must fall in an open book year (when the software lists them).
    pub(super) async fn check_book_year(
        &self,
        date: chrono::NaiveDate,
        piece: &str,
    ) -> Result<(), SinkError> {
        // A connector that cannot list its book years is not checked here (Chift's answer to
        // the entry then says whether the period is open).
        let years = match self.book_years().await {
            Ok(y) => y,
            Err(e) if e.kind == app::ports::SinkErrorKind::Permanent => {
                tracing::warn!(error = %e, "Chift book years unreadable: entry dates not checked");
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if years.is_empty() {
            return Ok(());
        }
        match years.iter().find(|y| y.start <= date && date <= y.end) {
            Some(y) if y.closed => Err(SinkError::permanent(
                format!(
                    "entry {piece} of {date}: the book year {} is closed in the accounting software",
                    y.name
                ),
                "ask the firm to reopen it, or book the document in an open period at the source",
            )),
            Some(_) => Ok(()),
            None => Err(SinkError::permanent(
                format!(
                    "entry {piece} of {date}: no book year of the accounting software covers that date"
                ),
                format!(
                    "create the book year of {date} in the accounting software, then push again"
                ),
            )),
        }
    }
}
