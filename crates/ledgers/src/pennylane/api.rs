//! The Pennylane sink and its calls: paginated lists, journals, ledger accounts, uploads.

use std::collections::HashMap;
use std::sync::Arc;

use app::ports::{Attachment, Secret, SinkError};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::config::{PennylaneAuth, PennylaneConfig};
use super::errors::refused;
use super::files::upload_type;
use super::wire::{AccountItem, IdOnly, JournalItem, Page};
use crate::client::{Auth, Core, Grant, Redirects, pacer};
use crate::http::{self, Answer};
use crate::parties::{Candidate, MatchRule, PartyBook};

const NAME: &str = "Pennylane";

/// The Pennylane sink.
pub struct PennylaneSink {
    core: Core,
    base: String,
    company_id: Option<u64>,
    pub(super) parties: Arc<PartyBook>,
    journals: Mutex<HashMap<String, i64>>,
    accounts: Mutex<HashMap<String, i64>>,
    /// The chart of accounts, read once (with the accounts this process created).
    chart: Mutex<Option<Vec<AccountItem>>>,
    pub(super) create_missing_accounts: bool,
    /// Customers (root 411) or suppliers (root 401), loaded once.
    pub(super) third_parties: Mutex<HashMap<String, Vec<Candidate>>>,
    /// (root, auxiliary code) → ledger account id, matched or created.
    pub(super) resolved: Mutex<HashMap<(String, String), (i64, MatchRule)>>,
    pub(super) documents: Mutex<HashMap<String, String>>,
}

impl PennylaneSink {
    /// `parties` supplies VAT number, SIREN and SIRET for third-party matching.
    pub fn new(
        config: PennylaneConfig,
        parties: Arc<PartyBook>,
    ) -> Result<PennylaneSink, SinkError> {
        let refused = "check the Pennylane token in the credentials store: it must be valid and carry the scopes ledger_entries:all, ledger_accounts:all, journals:all, file_attachments:all, customers:all and suppliers:all";
        // 25 requests per 5 s per token, whichever client sends them (research notes §2).
        let pacer = match &config.auth {
            PennylaneAuth::Token(t) => pacer(NAME, &config.base_url, &[t.expose()], config.rate),
            PennylaneAuth::OAuth {
                client_id,
                refresh_token,
                ..
            } => pacer(
                NAME,
                &config.base_url,
                &[client_id, refresh_token.expose()],
                config.rate,
            ),
        };
        let auth = match config.auth {
            PennylaneAuth::Token(t) => Auth::fixed(t, refused),
            PennylaneAuth::OAuth {
                token_url,
                client_id,
                client_secret,
                refresh_token,
                access_token,
            } => Auth::grant(
                Grant {
                    url: token_url,
                    form: vec![
                        ("grant_type", Secret::new("refresh_token")),
                        ("client_id", Secret::new(client_id)),
                        ("client_secret", client_secret),
                        ("refresh_token", refresh_token),
                    ],
                    json: false,
                },
                access_token,
                "reconnect passerelle to Pennylane (OAuth): the refresh token was refused",
            ),
        };
        Ok(PennylaneSink {
            core: Core::new(NAME, pacer, config.retry, auth, Redirects::Client)?,
            base: config.base_url.trim_end_matches('/').to_string(),
            company_id: config.company_id,
            parties,
            journals: Mutex::new(HashMap::new()),
            accounts: Mutex::new(HashMap::new()),
            chart: Mutex::new(None),
            create_missing_accounts: config.create_missing_accounts,
            third_parties: Mutex::new(HashMap::new()),
            resolved: Mutex::new(HashMap::new()),
            documents: Mutex::new(HashMap::new()),
        })
    }

    pub(super) async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer, SinkError> {
        let url = format!("{}{}", self.base, path);
        let build = |http: &reqwest::Client| {
            let mut r = http.request(method.clone(), &url).query(query);
            if let Some(id) = self.company_id {
                r = r.header("X-Company-Id", id.to_string());
            }
            if let Some(b) = body {
                r = r.json(b);
            }
            r
        };
        // A creation is not sent twice blindly: the v2 extract documents no idempotency key,
        // so a timeout or a 5xx after Pennylane acted goes back to the pipeline, which asks
        // `find_entry` (piece number, date, journal) before it sends again.
        self.core.send_as(&method, build).await
    }

    /// The JSON of a successful answer, else Pennylane's refusal of `what`.
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

    /// Every item of a cursor-paginated list.
    pub(super) async fn list_all<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        filter: Option<Value>,
        what: &str,
    ) -> Result<Vec<T>, SinkError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut q = vec![("limit", "100".to_string())];
            if let Some(f) = &filter {
                q.push(("filter", f.to_string()));
            }
            if let Some(c) = &cursor {
                q.push(("cursor", c.clone()));
            }
            let a = self.call(Method::GET, path, &q, None).await?;
            let page: Page<T> = self.ok_json(a, what)?;
            out.extend(page.items);
            match page.next_cursor {
                Some(c) if page.has_more && !c.is_empty() => cursor = Some(c),
                _ => return Ok(out),
            }
        }
    }

    /// A journal's id from its code; the journal list is read once.
    pub(super) async fn journal_id(&self, code: &str) -> Result<i64, SinkError> {
        let mut journals = self.journals.lock().await;
        if journals.is_empty() {
            let items: Vec<JournalItem> = self.list_all("/journals", None, "journal list").await?;
            for j in items {
                journals.insert(j.code.to_ascii_uppercase(), j.id);
            }
        }
        journals.get(&code.to_ascii_uppercase()).copied().ok_or_else(|| {
            SinkError::permanent(
                format!("the journal {code} does not exist in Pennylane"),
                format!("create the journal {code} in Pennylane (Paramètres › Journaux) or change the dossier's journal code"),
            )
        })
    }

    pub(super) async fn find_account(&self, number: &str) -> Result<Option<i64>, SinkError> {
        if let Some(id) = self.accounts.lock().await.get(number) {
            return Ok(Some(*id));
        }
        let filter = json!([{"field": "number", "operator": "eq", "value": number}]);
        let items: Vec<IdOnly> = self
            .list_all("/ledger_accounts", Some(filter), "ledger account lookup")
            .await?;
        let id = items.first().map(|i| i.id);
        if let Some(id) = id {
            self.accounts.lock().await.insert(number.to_string(), id);
        }
        Ok(id)
    }

    /// The chart of accounts (every ledger account), read once.
    pub(super) async fn ledger_chart(&self) -> Result<Vec<AccountItem>, SinkError> {
        let mut chart = self.chart.lock().await;
        if let Some(c) = chart.as_ref() {
            return Ok(c.clone());
        }
        let items: Vec<AccountItem> = self
            .list_all("/ledger_accounts", None, "chart of accounts")
            .await?;
        *chart = Some(items.clone());
        Ok(items)
    }

    pub(super) async fn create_account(&self, number: &str, label: &str) -> Result<i64, SinkError> {
        let body = json!({"number": number, "label": label});
        let a = self
            .call(Method::POST, "/ledger_accounts", &[], Some(&body))
            .await?;
        let created: IdOnly = self.ok_json(a, &format!("creation of account {number}"))?;
        self.accounts
            .lock()
            .await
            .insert(number.to_string(), created.id);
        if let Some(chart) = self.chart.lock().await.as_mut() {
            chart.push(AccountItem {
                id: created.id,
                number: number.to_string(),
                label: label.to_string(),
            });
        }
        tracing::info!(account = number, "ledger account created in Pennylane");
        Ok(created.id)
    }

    /// Uploads a file to `/file_attachments` (multipart `file` with an accepted content type,
    /// `filename`; see `files`); returns its id, which an entry links as `file_attachment_id`.
    pub(super) async fn upload(&self, file: &Attachment) -> Result<i64, SinkError> {
        let content_type = upload_type(file)?;
        let url = format!("{}/file_attachments", self.base);
        let a = self
            .core
            .send(|http| {
                let part = reqwest::multipart::Part::bytes(file.bytes.clone())
                    .file_name(file.file_name.clone())
                    .mime_str(content_type)
                    .expect("the accepted content types parse");
                let form = reqwest::multipart::Form::new()
                    .part("file", part)
                    .text("filename", file.file_name.clone());
                let mut r = http.post(&url).multipart(form);
                if let Some(id) = self.company_id {
                    r = r.header("X-Company-Id", id.to_string());
                }
                r
            })
            .await?;
        let created: IdOnly = self.ok_json(a, &format!("upload of {}", file.file_name))?;
        Ok(created.id)
    }
}
