//! The Inqom sink and its reads: journals, fiscal periods, the chart by prefix, the documents.

use std::collections::HashMap;
use std::sync::Arc;

use app::ports::{Secret, SinkError};
use tokio::sync::Mutex;

use super::config::{InqomConfig, MAX_BATCH};
use super::errors::refused;
use super::wire::{Account, DocumentItem, Journal, Period};
use crate::client::{Auth, Core, Grant, Redirects, pacer};
use crate::http::{self, Answer};
use crate::parties::{MatchRule, PartyBook};

pub(super) const NAME: &str = "Inqom";

/// (collective root, auxiliary code).
pub(super) type AuxKey = (String, String);

/// The Inqom sink, for one dossier.
pub struct InqomSink {
    pub(super) core: Core,
    api: String,
    pub(super) docs: String,
    pub(super) dossier_id: u64,
    pub(super) batch_size: usize,
    pub(super) parties: Arc<PartyBook>,
    journals: Mutex<Option<HashMap<String, i64>>>,
    /// Accounts by 3-character prefix.
    pub(super) accounts: Mutex<HashMap<String, Vec<Account>>>,
    /// (root, auxiliary code) → account number in Inqom.
    pub(super) resolved: Mutex<HashMap<AuxKey, (String, Option<MatchRule>)>>,
}

impl InqomSink {
    /// `parties` supplies the party identifiers; Inqom accounts carry only a number and a name, so
    /// matching there is by auxiliary code, then name.
    pub fn new(config: InqomConfig, parties: Arc<PartyBook>) -> Result<InqomSink, SinkError> {
        // Inqom counts 15 requests/s per client id and user (research notes §1.1).
        let pacer = pacer(
            NAME,
            &config.api_url,
            &[&config.client_id, &config.username],
            config.rate,
        );
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
            json: false,
        };
        let auth = Auth::grant(
            grant,
            None,
            "check the Inqom system user's name and password and the partner client id and secret in the credentials store",
        );
        Ok(InqomSink {
            core: Core::new(NAME, pacer, config.retry, auth, Redirects::Manual)?,
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

    pub(super) fn dossier_path(&self, rest: &str) -> String {
        format!("{}/v1/dossiers/{}{rest}", self.api, self.dossier_id)
    }

    pub(super) async fn get(
        &self,
        url: &str,
        query: &[(&str, String)],
    ) -> Result<Answer, SinkError> {
        self.core.send(|http| http.get(url).query(query)).await
    }

    /// The JSON of a successful answer, else Inqom's refusal of `what`.
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

    /// Journal ids by upper-case name, read once.
    pub(super) async fn journal_ids(&self) -> Result<HashMap<String, i64>, SinkError> {
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

    pub(super) async fn periods(&self) -> Result<Vec<Period>, SinkError> {
        let a = self
            .get(&self.dossier_path("/accounting-periods"), &[])
            .await?;
        self.ok_json(a, "fiscal periods")
    }

    pub(super) async fn accounts_with_prefix(
        &self,
        prefix: &str,
    ) -> Result<Vec<Account>, SinkError> {
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

    pub(super) async fn documents(&self) -> Result<Vec<DocumentItem>, SinkError> {
        let url = format!(
            "{}/api/accounting-documents/accounting-folders/{}/Documents",
            self.docs, self.dossier_id
        );
        let a = self.get(&url, &[]).await?;
        self.ok_json(a, "document list")
    }
}
