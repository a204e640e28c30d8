//! Inqom's accounting API (research notes §1): a password-grant token, journals, fiscal periods
//! and chart looked up once, missing auxiliary accounts created (keeping the number Inqom
//! returns: it may rewrite `401X` into `4011X`), entries posted in batches of at most 50 that
//! Inqom books all-or-nothing (a 400 splits the batch to isolate the bad entry), `ExternalId` =
//! our document key, the PDF attached through `/accounting-documents`, mailed documents to the
//! documents (OCR) API or `expense-bills`. Never posts into a locked period. 15 requests/s.

pub mod section;

use std::collections::HashMap;
use std::time::Duration;

use app::ports::{
    Attachment, Booked, DocumentToPush, EntryToPush, LedgerSink, Secret, SinkError, SinkErrorKind,
};
use chrono::NaiveDate;
use domain::config::DossierConfig;
use domain::{Category, EntryLine, LedgerEntry};
use reqwest::multipart::{Form, Part};
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::client::{Auth, Core, Grant};
use crate::http::{Answer, RateLimit, RetryPolicy, error, short};
use crate::parties::{Candidate, MatchRule, PartyBook, Wanted, collective_root, find_match};

/// The most entries Inqom accepts in one `POST /entries`.
pub const MAX_BATCH: usize = 50;

/// Configuration of one Inqom dossier.
#[derive(Debug, Clone)]
pub struct InqomConfig {
    /// `https://auth.inqom.com/identity/connect/token` (staging: `auth-staging.inqom.com`).
    pub token_url: String,
    /// Accounting API base, `https://api.inqom.com`.
    pub api_url: String,
    /// Documents API base, `https://api.inqom.com` (fronts the accounting-documents service).
    pub documents_url: String,
    /// The dossier (accounting folder) id.
    pub dossier_id: u64,
    /// The Inqom system user of the firm (a non-personal user: the token carries its rights).
    pub username: String,
    pub password: Secret,
    /// Issued by Inqom to the partner, one pair per environment.
    pub client_id: String,
    pub client_secret: Secret,
    /// 15 requests per second by default.
    pub rate: RateLimit,
    pub retry: RetryPolicy,
    /// Entries per `POST /entries`, at most [`MAX_BATCH`].
    pub batch_size: usize,
}

impl InqomConfig {
    pub const TOKEN_URL: &'static str = "https://auth.inqom.com/identity/connect/token";
    pub const API_URL: &'static str = "https://api.inqom.com";
    pub const RATE: RateLimit = RateLimit {
        requests: 15,
        per: Duration::from_secs(1),
    };

    /// Production URLs and limits.
    pub fn production(
        dossier_id: u64,
        username: impl Into<String>,
        password: Secret,
        client_id: impl Into<String>,
        client_secret: Secret,
    ) -> InqomConfig {
        InqomConfig {
            token_url: Self::TOKEN_URL.into(),
            api_url: Self::API_URL.into(),
            documents_url: Self::API_URL.into(),
            dossier_id,
            username: username.into(),
            password,
            client_id: client_id.into(),
            client_secret,
            rate: Self::RATE,
            retry: RetryPolicy::default(),
            batch_size: MAX_BATCH,
        }
    }
}

const NAME: &str = "Inqom";

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Journal {
    id: i64,
    name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Period {
    begin_date: String,
    end_date: String,
    #[serde(default)]
    locked: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Account {
    number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent_account_number: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreatedEntry {
    id: i64,
    #[serde(default)]
    external_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LinesPage {
    #[serde(default)]
    entry_lines: Vec<LineItem>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LineItem {
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    entry: Option<EntryRef>,
    #[serde(default)]
    accounting_document: Option<DocRef>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EntryRef {
    id: i64,
    #[serde(default)]
    external_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DocRef {
    #[serde(default)]
    reference: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DocumentItem {
    id: i64,
    #[serde(default)]
    doc_ref: Option<String>,
    #[serde(default)]
    source_id: Option<String>,
}

/// (collective root, auxiliary code).
type AuxKey = (String, String);

/// The Inqom sink, for one dossier.
pub struct InqomSink {
    core: Core,
    api: String,
    docs: String,
    dossier_id: u64,
    batch_size: usize,
    parties: std::sync::Arc<PartyBook>,
    journals: Mutex<Option<HashMap<String, i64>>>,
    /// Accounts by 3-character prefix.
    accounts: Mutex<HashMap<String, Vec<Account>>>,
    /// (root, auxiliary code) → account number in Inqom.
    resolved: Mutex<HashMap<AuxKey, (String, Option<MatchRule>)>>,
}

/// The ledger's message from an error body: ProblemDetails (`title`, `detail`, `errors`),
/// `Message`/`message`, or the text itself.
pub fn inqom_message(body: &str) -> String {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return short(body);
    };
    let mut parts: Vec<String> = Vec::new();
    fn collect(v: &Value, parts: &mut Vec<String>) {
        match v {
            Value::String(s) if !s.trim().is_empty() => parts.push(s.trim().to_string()),
            Value::Array(a) => a.iter().for_each(|x| collect(x, parts)),
            Value::Object(m) => {
                for (k, x) in m {
                    match x {
                        Value::String(_) | Value::Array(_) => {
                            if matches!(
                                k.to_ascii_lowercase().as_str(),
                                "message"
                                    | "title"
                                    | "detail"
                                    | "error"
                                    | "error_description"
                                    | "reason"
                                    | "errors"
                            ) {
                                collect(x, parts)
                            } else if !k.eq_ignore_ascii_case("type")
                                && !k.eq_ignore_ascii_case("traceid")
                            {
                                let mut inner = Vec::new();
                                collect(x, &mut inner);
                                if !inner.is_empty() {
                                    parts.push(format!("{k}: {}", inner.join("; ")));
                                }
                            }
                        }
                        Value::Object(_) => collect(x, parts),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    collect(&v, &mut parts);
    if parts.is_empty() {
        short(body)
    } else {
        short(&parts.join(" — "))
    }
}

fn action_for(message: &str) -> String {
    let m = message.to_lowercase();
    if m.contains("locked") || m.contains("verrouill") || m.contains("clôtur") {
        LOCKED_ACTION.into()
    } else if m.contains("journal") {
        "check the journals in Inqom (Paramètres › Journaux) and the dossier's journal codes".into()
    } else if m.contains("account") || m.contains("compte") {
        "check the accounts in Inqom's chart and the dossier's account numbers".into()
    } else if m.contains("balance") || m.contains("équilibr") || m.contains("equilibr") {
        "the entry is unbalanced for Inqom: check the document's amounts at the source".into()
    } else if m.contains("forbidden") || m.contains("right") || m.contains("droit") {
        "give the Inqom system user the right to post entries in this dossier".into()
    } else {
        "correct the document at the source or the dossier configuration as Inqom's message says, then push again".into()
    }
}

const LOCKED_ACTION: &str =
    "the period is locked in Inqom: ask the firm to reopen it or change the entry date";

fn date_of(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
}

fn amount(d: rust_decimal::Decimal) -> Value {
    json!(d.round_dp(2).to_f64().unwrap_or(0.0))
}

fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// One entry of the `POST /v1/dossiers/{id}/entries` body, with each line's account number as
/// resolved in Inqom.
pub fn entry_json(e: &EntryToPush, journal_id: i64, accounts: &[String]) -> Value {
    let entry: &LedgerEntry = &e.entry;
    let lines: Vec<Value> = entry
        .lines()
        .iter()
        .zip(accounts)
        .enumerate()
        .map(|(i, (l, account))| {
            json!({
                "Label": cut(if l.label.trim().is_empty() { &entry.label } else { &l.label }, 256),
                "DebitAmount": amount(l.debit),
                "CreditAmount": amount(l.credit),
                "Currency": cut(&entry.currency.to_ascii_uppercase(), 5),
                "AccountNumber": account,
                "ExternalId": format!("{}#{}", e.external_id, i + 1),
            })
        })
        .collect();
    json!({
        "JournalId": journal_id,
        "Date": entry.date.format("%Y-%m-%d").to_string(),
        "Document": {
            "Reference": cut(&entry.piece_ref, 256),
            "Date": entry.piece_date.format("%Y-%m-%d").to_string(),
        },
        "ExternalId": e.external_id,
        "Lines": lines,
    })
}

/// The `TypeScan` of a collected document (expense reports go to `expense-bills` instead).
pub fn type_scan(category: Category) -> &'static str {
    match category {
        Category::Purchase => "Supplier",
        Category::Sales => "Client",
        Category::ExpenseReport | Category::Administrative => "Others",
    }
}

impl InqomSink {
    /// `parties` supplies the party identifiers; Inqom accounts carry only a number and a name, so
    /// matching there is by auxiliary code, then name.
    pub fn new(
        config: InqomConfig,
        parties: std::sync::Arc<PartyBook>,
    ) -> Result<InqomSink, SinkError> {
        let grant = Grant {
            url: config.token_url,
            form: vec![
                ("grant_type", Secret::new("password")),
                ("username", Secret::new(config.username)),
                ("password", config.password),
                ("scope", Secret::new("openid apidata")),
                ("client_id", Secret::new(config.client_id)),
                ("client_secret", config.client_secret),
            ],
        };
        let auth = Auth::grant(
            grant,
            None,
            "check the Inqom system user's name and password and the partner client id and secret in the credentials store",
        );
        Ok(InqomSink {
            core: Core::new(NAME, config.rate, config.retry, auth)?,
            api: config.api_url.trim_end_matches('/').to_string(),
            docs: config.documents_url.trim_end_matches('/').to_string(),
            dossier_id: config.dossier_id,
            batch_size: config.batch_size.clamp(1, MAX_BATCH),
            parties,
            journals: Mutex::new(None),
            accounts: Mutex::new(HashMap::new()),
            resolved: Mutex::new(HashMap::new()),
        })
    }

    fn dossier_path(&self, rest: &str) -> String {
        format!("{}/v1/dossiers/{}{rest}", self.api, self.dossier_id)
    }

    async fn get(&self, url: &str, query: &[(&str, String)]) -> Result<Answer, SinkError> {
        self.core.send(|http| http.get(url).query(query)).await
    }

    fn refused(&self, a: &Answer, what: &str) -> SinkError {
        let status = a.status.as_u16();
        let message = inqom_message(&a.body);
        match status {
            403 => error(
                SinkErrorKind::Auth,
                Some(403),
                format!("Inqom refused the {what}: {message}"),
                "give the Inqom system user access to this dossier, or check the dossier id in the sink configuration",
                None,
            ),
            404 => error(
                SinkErrorKind::Permanent,
                Some(404),
                format!("Inqom does not know the {what}: {message}"),
                "check the Inqom dossier id in the sink configuration",
                None,
            ),
            _ => error(
                SinkErrorKind::Permanent,
                Some(status),
                format!("Inqom refused the {what}: {message}"),
                action_for(&message),
                None,
            ),
        }
    }

    fn ok_json<T: serde::de::DeserializeOwned>(
        &self,
        a: Answer,
        what: &str,
    ) -> Result<T, SinkError> {
        if a.status.is_success() {
            a.json(NAME)
        } else {
            Err(self.refused(&a, what))
        }
    }

    async fn journal_ids(&self) -> Result<HashMap<String, i64>, SinkError> {
        let mut j = self.journals.lock().await;
        if let Some(map) = j.as_ref() {
            return Ok(map.clone());
        }
        let a = self.get(&self.dossier_path("/journals"), &[]).await?;
        let list: Vec<Journal> = self.ok_json(a, "journal list")?;
        let map: HashMap<String, i64> = list
            .into_iter()
            .map(|x| (x.name.to_ascii_uppercase(), x.id))
            .collect();
        *j = Some(map.clone());
        Ok(map)
    }

    async fn periods(&self) -> Result<Vec<Period>, SinkError> {
        let a = self
            .get(&self.dossier_path("/accounting-periods"), &[])
            .await?;
        self.ok_json(a, "fiscal periods")
    }

    async fn accounts_with_prefix(&self, prefix: &str) -> Result<Vec<Account>, SinkError> {
        if let Some(list) = self.accounts.lock().await.get(prefix) {
            return Ok(list.clone());
        }
        let a = self
            .get(
                &self.dossier_path("/accounts"),
                &[
                    ("accountNumberPrefix", prefix.to_string()),
                    ("accountType", "All".to_string()),
                ],
            )
            .await?;
        let list: Vec<Account> = self.ok_json(a, "chart of accounts")?;
        self.accounts
            .lock()
            .await
            .insert(prefix.to_string(), list.clone());
        Ok(list)
    }

    /// The Inqom account number of a line: the general account as is (it must exist), or the
    /// third party's auxiliary account, matched (auxiliary code, then name) or created.
    pub async fn account_for(
        &self,
        dossier: &DossierConfig,
        line: &EntryLine,
    ) -> Result<(String, Option<MatchRule>), SinkError> {
        let root = collective_root(&line.account);
        let Some(aux) = &line.auxiliary else {
            let chart = self.accounts_with_prefix(&root).await?;
            if chart
                .iter()
                .any(|a| a.number.eq_ignore_ascii_case(&line.account))
            {
                return Ok((line.account.clone(), None));
            }
            return Err(SinkError::permanent(
                format!("the account {} does not exist in Inqom", line.account),
                format!(
                    "create account {} ({}) in Inqom or change the dossier's account",
                    line.account, line.account_label
                ),
            ));
        };
        let key = (root.clone(), aux.code.clone());
        if let Some(found) = self.resolved.lock().await.get(&key) {
            return Ok(found.clone());
        }
        let chart = self.accounts_with_prefix(&root).await?;
        let candidates: Vec<Candidate> = chart
            .iter()
            .filter(|a| a.parent_account_number.is_some() || a.number.len() > 4)
            .map(|a| Candidate {
                account_number: a.number.clone(),
                ledger_ref: a.number.clone(),
                name: a.name.clone(),
                ..Candidate::default()
            })
            .collect();
        let wanted = Wanted {
            code: &aux.code,
            name: &aux.label,
            numbers: vec![
                format!("{root}{}", aux.code),
                format!("{root}1{}", aux.code),
            ],
            ids: self.parties.get(&dossier.id, &aux.code),
        };
        let found = match find_match(&candidates, &wanted) {
            Some((c, rule)) => (c.ledger_ref.clone(), Some(rule)),
            None => {
                let number = cut(&format!("{root}{}", aux.code), 22);
                let body = json!({
                    "AccountNumber": number,
                    "Name": cut(&aux.label, 100),
                    "Auxiliarize": true,
                });
                let url = self.dossier_path("/accounts");
                let a = self.core.send(|http| http.post(&url).json(&body)).await?;
                let v: Value = self.ok_json(a, &format!("creation of account {number}"))?;
                let created = match &v {
                    Value::String(s) => s.clone(),
                    Value::Object(m) => m
                        .get("Number")
                        .or_else(|| m.get("AccountNumber"))
                        .and_then(Value::as_str)
                        .unwrap_or(&number)
                        .to_string(),
                    _ => number.clone(),
                };
                tracing::info!(sent = %number, created = %created, "auxiliary account created in Inqom");
                if let Some(list) = self.accounts.lock().await.get_mut(&root) {
                    list.push(Account {
                        number: created.clone(),
                        name: aux.label.clone(),
                        parent_account_number: Some(root.clone()),
                    });
                }
                (created, None)
            }
        };
        self.resolved.lock().await.insert(key, found.clone());
        Ok(found)
    }

    /// Journal, period and accounts of one entry, then its JSON.
    async fn prepare(
        &self,
        dossier: &DossierConfig,
        journals: &HashMap<String, i64>,
        periods: &[Period],
        e: &EntryToPush,
    ) -> Result<Value, SinkError> {
        let entry = &e.entry;
        let journal_id = *journals
            .get(&entry.journal_code.to_ascii_uppercase())
            .ok_or_else(|| {
                SinkError::permanent(
                    format!("the journal {} does not exist in Inqom", entry.journal_code),
                    format!(
                        "create the journal {} ({}) in Inqom or change the dossier's journal code",
                        entry.journal_code, entry.journal_label
                    ),
                )
            })?;
        let period = periods.iter().find(|p| {
            matches!((date_of(&p.begin_date), date_of(&p.end_date)), (Some(b), Some(end)) if b <= entry.date && entry.date <= end)
        });
        match period {
            None => {
                return Err(SinkError::permanent(
                    format!("no fiscal year in Inqom covers {}", entry.date),
                    format!("create the fiscal year covering {} in Inqom", entry.date),
                ));
            }
            Some(p) if p.locked => {
                return Err(SinkError::permanent(
                    format!(
                        "the period {} – {} is locked in Inqom; entry {} of {} was not sent",
                        &p.begin_date[..10.min(p.begin_date.len())],
                        &p.end_date[..10.min(p.end_date.len())],
                        entry.piece_ref,
                        entry.date
                    ),
                    LOCKED_ACTION,
                ));
            }
            Some(_) => {}
        }
        let mut accounts = Vec::with_capacity(entry.lines().len());
        for line in entry.lines() {
            accounts.push(self.account_for(dossier, line).await?.0);
        }
        Ok(entry_json(e, journal_id, &accounts))
    }

    /// Posts a batch; on a 400 splits it in two until the bad entries are alone.
    async fn post_batch(&self, batch: Vec<(usize, Value)>) -> Vec<(usize, Result<i64, SinkError>)> {
        let mut out = Vec::new();
        let mut stack = vec![batch];
        let url = self.dossier_path("/entries");
        while let Some(batch) = stack.pop() {
            let body = Value::Array(batch.iter().map(|(_, v)| v.clone()).collect());
            let answer = self.core.send(|http| http.post(&url).json(&body)).await;
            let a = match answer {
                Ok(a) => a,
                Err(e) => {
                    out.extend(batch.into_iter().map(|(i, _)| (i, Err(e.clone()))));
                    continue;
                }
            };
            if a.status.is_success() {
                match a.json::<Vec<CreatedEntry>>(NAME) {
                    Ok(created) => {
                        for (pos, (i, v)) in batch.iter().enumerate() {
                            let ext = v["ExternalId"].as_str();
                            let found = created
                                .iter()
                                .find(|c| c.external_id.as_deref() == ext)
                                .or_else(|| created.get(pos));
                            out.push((
                                *i,
                                found.map(|c| c.id).ok_or_else(|| {
                                    SinkError::retryable("Inqom did not return the created entry")
                                }),
                            ));
                        }
                    }
                    Err(e) => out.extend(batch.into_iter().map(|(i, _)| (i, Err(e.clone())))),
                }
            } else if a.status.as_u16() == 400 && batch.len() > 1 {
                tracing::info!(
                    size = batch.len(),
                    "Inqom refused a batch; splitting it to find the bad entry"
                );
                let mut first = batch;
                let second = first.split_off(first.len() / 2);
                stack.push(second);
                stack.push(first);
            } else {
                let piece = batch
                    .first()
                    .and_then(|(_, v)| v["Document"]["Reference"].as_str())
                    .unwrap_or("")
                    .to_string();
                let err = self.refused(&a, &format!("entry {piece}"));
                out.extend(batch.into_iter().map(|(i, _)| (i, Err(err.clone()))));
            }
        }
        out
    }

    async fn attach(
        &self,
        entry_id: i64,
        e: &EntryToPush,
        pdf: &Attachment,
    ) -> Result<(), SinkError> {
        let url = self.dossier_path("/accounting-documents");
        let a = self
            .core
            .send(|http| {
                let form = Form::new()
                    .text("entryId", entry_id.to_string())
                    .text("date", e.entry.piece_date.format("%Y-%m-%d").to_string())
                    .text("reference", e.entry.piece_ref.clone())
                    .text("fileName", pdf.file_name.clone())
                    .part("file", file_part(pdf));
                http.post(&url).multipart(form)
            })
            .await?;
        let _: Value = self.ok_json(a, &format!("PDF of entry {}", e.entry.piece_ref))?;
        Ok(())
    }

    async fn documents(&self) -> Result<Vec<DocumentItem>, SinkError> {
        let url = format!(
            "{}/api/accounting-documents/accounting-folders/{}/Documents",
            self.docs, self.dossier_id
        );
        let a = self.get(&url, &[]).await?;
        self.ok_json(a, "document list")
    }
}

fn file_part(f: &Attachment) -> Part {
    let part = Part::bytes(f.bytes.clone()).file_name(f.file_name.clone());
    match Part::bytes(f.bytes.clone())
        .file_name(f.file_name.clone())
        .mime_str(&f.content_type)
    {
        Ok(p) => p,
        Err(_) => part,
    }
}

fn id_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::Object(m) => m.get("Id").or_else(|| m.get("id")).and_then(Value::as_i64),
        _ => None,
    }
}

impl LedgerSink for InqomSink {
    fn name(&self) -> &str {
        "inqom"
    }

    async fn push_entries(
        &self,
        dossier: &DossierConfig,
        entries: &[EntryToPush],
    ) -> Vec<Result<Booked, SinkError>> {
        let mut results: Vec<Option<Result<Booked, SinkError>>> = vec![None; entries.len()];
        let setup =
            async { Ok::<_, SinkError>((self.journal_ids().await?, self.periods().await?)) };
        let (journals, periods) = match setup.await {
            Ok(x) => x,
            Err(e) => return entries.iter().map(|_| Err(e.clone())).collect(),
        };
        let mut ready: Vec<(usize, Value)> = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            match self.prepare(dossier, &journals, &periods, e).await {
                Ok(v) => ready.push((i, v)),
                Err(err) => results[i] = Some(Err(err)),
            }
        }
        let mut posted = Vec::new();
        for chunk in ready.chunks(self.batch_size) {
            posted.extend(self.post_batch(chunk.to_vec()).await);
        }
        posted.sort_by_key(|(i, _)| *i);
        for (i, r) in posted {
            let e = &entries[i];
            results[i] = Some(match r {
                Ok(id) => {
                    if let Some(pdf) = &e.pdf
                        && let Err(err) = self.attach(id, e, pdf).await
                    {
                        // The entry is booked (Inqom has no draft state): reporting a failure
                        // would make the pipeline post it twice. The missing PDF is logged.
                        tracing::warn!(dossier = %dossier.id, entry = %e.external_id, inqom_entry = id, error = %err, "entry booked in Inqom but its PDF was not attached");
                    }
                    Ok(Booked {
                        ledger_id: id.to_string(),
                    })
                }
                Err(err) => {
                    tracing::warn!(dossier = %dossier.id, entry = %e.external_id, error = %err, "Inqom push failed");
                    Err(err)
                }
            });
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(SinkError::retryable("entry not sent"))))
            .collect()
    }

    /// Reads the entry lines of the entry's date and journal and looks for our `ExternalId` (on
    /// the entry or its lines), else our piece reference.
    async fn find_entry(
        &self,
        _dossier: &DossierConfig,
        entry: &EntryToPush,
    ) -> Result<Option<Booked>, SinkError> {
        let e = &entry.entry;
        let journals = self.journal_ids().await?;
        let date = e.date.format("%Y-%m-%d").to_string();
        let mut query = vec![("startDate", date.clone()), ("endDate", date)];
        if let Some(id) = journals.get(&e.journal_code.to_ascii_uppercase()) {
            query.push(("journalId", id.to_string()));
        }
        let url = self.dossier_path("/entry-lines");
        let prefix = format!("{}#", entry.external_id);
        for page in 1..=10_000u32 {
            let mut q = query.clone();
            q.push(("pageNumber", page.to_string()));
            let a = self.get(&url, &q).await?;
            let lines: LinesPage = self.ok_json(a, "entry lines")?;
            if lines.entry_lines.is_empty() {
                return Ok(None);
            }
            for l in &lines.entry_lines {
                let Some(en) = &l.entry else { continue };
                let ours = en.external_id.as_deref() == Some(entry.external_id.as_str())
                    || l.external_id
                        .as_deref()
                        .is_some_and(|x| x == entry.external_id || x.starts_with(&prefix))
                    || l.accounting_document
                        .as_ref()
                        .and_then(|d| d.reference.as_deref())
                        == Some(e.piece_ref.as_str());
                if ours {
                    return Ok(Some(Booked {
                        ledger_id: en.id.to_string(),
                    }));
                }
            }
        }
        Ok(None)
    }

    async fn push_document(
        &self,
        _dossier: &DossierConfig,
        document: &DocumentToPush,
    ) -> Result<Booked, SinkError> {
        let f = &document.file;
        let (url, what) = if document.category == Category::ExpenseReport {
            (
                format!(
                    "{}/api/v1/accounting-folders/{}/expense-bills",
                    self.docs, self.dossier_id
                ),
                "expense report",
            )
        } else {
            (
                format!(
                    "{}/api/accounting-documents/accounting-folders/{}/Documents/",
                    self.docs, self.dossier_id
                ),
                "document",
            )
        };
        let a = self
            .core
            .send(|http| {
                let form = if document.category == Category::ExpenseReport {
                    Form::new()
                        .part("File", file_part(f))
                        .text("BeneficiaryFullName", document.sender.clone())
                        .text("FileNameWithExtension", f.file_name.clone())
                        .text("DocumentReference", document.external_id.clone())
                } else {
                    Form::new()
                        .text("TypeScan", type_scan(document.category))
                        .text("FileSource", "Api")
                        .part("Document", file_part(f))
                        .text("DocRef", document.external_id.clone())
                        .text("SourceId", document.external_id.clone())
                        .text("WithoutWorkflow", "false")
                        .text("DocumentName", f.file_name.clone())
                };
                http.post(&url).multipart(form)
            })
            .await?;
        let v: Value = self.ok_json(a, &format!("{what} {}", f.file_name))?;
        let id = id_of(&v).ok_or_else(|| {
            SinkError::retryable(format!(
                "Inqom accepted the {what} without returning its id"
            ))
        })?;
        Ok(Booked {
            ledger_id: id.to_string(),
        })
    }

    async fn find_document(
        &self,
        _dossier: &DossierConfig,
        document: &DocumentToPush,
    ) -> Result<Option<Booked>, SinkError> {
        Ok(self
            .documents()
            .await?
            .into_iter()
            .find(|d| {
                d.doc_ref.as_deref() == Some(document.external_id.as_str())
                    || d.source_id.as_deref() == Some(document.external_id.as_str())
            })
            .map(|d| Booked {
                ledger_id: d.id.to_string(),
            }))
    }

    async fn test_connection(&self, dossier: &DossierConfig) -> Result<(), SinkError> {
        let journals = self.journal_ids().await?;
        let mut missing = Vec::new();
        for j in [
            &dossier.journals.sales,
            &dossier.journals.credit_notes,
            &dossier.journals.purchases,
        ] {
            if !journals.contains_key(&j.code.to_ascii_uppercase()) && !missing.contains(&j.code) {
                missing.push(j.code.clone());
            }
        }
        if !missing.is_empty() {
            return Err(SinkError::permanent(
                format!("journals missing in Inqom: {}", missing.join(", ")),
                format!(
                    "create the journal{} {} in Inqom or change the dossier's journal codes",
                    if missing.len() > 1 { "s" } else { "" },
                    missing.join(", ")
                ),
            ));
        }
        Ok(())
    }
}
