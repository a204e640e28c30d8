//! A line's account in Inqom: a general account mapped onto the folder's chart
//! (`domain::chart::ledger`), or the
//! third party's auxiliary account, matched (auxiliary code, then name) or created.

use app::ports::SinkError;
use domain::chart::ledger::{counterpart, missing_action};
use domain::config::DossierConfig;
use domain::{Auxiliary, EntryLine};
use serde_json::{Value, json};

use super::api::{AuxKey, InqomSink};
use super::wire::{Account, cut};
use crate::parties::{Candidate, MatchRule, Wanted, collective_root, find_match};

impl InqomSink {
    /// The Inqom account number of a line: the general account mapped onto the chart, or the
    /// third party's auxiliary account, matched (auxiliary code, then name) or created.
    pub async fn account_for(
        &self,
        dossier: &DossierConfig,
        line: &EntryLine,
    ) -> Result<(String, Option<MatchRule>), SinkError> {
        let root = collective_root(&line.account);
        let Some(aux) = &line.auxiliary else {
            return Ok((self.general_account(dossier, line).await?, None));
        };
        let key: AuxKey = (root.clone(), aux.code.clone());
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
            None => (self.create_auxiliary(&root, aux).await?, None),
        };
        self.resolved.lock().await.insert(key, found.clone());
        Ok(found)
    }

    /// The Inqom number of a general account: the dossier's number found in the folder's chart
    /// (the same, another padding, or `[dossier.accounts_map]`), else the entry is held with the
    /// action. Inqom refuses an entry on an account outside its chart.
    async fn general_account(
        &self,
        dossier: &DossierConfig,
        line: &EntryLine,
    ) -> Result<String, SinkError> {
        let target = dossier
            .accounts_map
            .get(&line.account)
            .unwrap_or(&line.account);
        let mut chart = Vec::new();
        for class in [&line.account, target] {
            let class: String = class.chars().take(1).collect();
            if !chart.iter().any(|(c, _): &(String, _)| *c == class) {
                let list = self.accounts_with_prefix(&class).await?;
                chart.push((class, list));
            }
        }
        let numbers: Vec<&str> = chart
            .iter()
            .flat_map(|(_, l)| l.iter())
            .map(|a| a.number.as_str())
            .collect();
        match counterpart(&line.account, &numbers, &dossier.accounts_map) {
            Some((number, _)) => Ok(number),
            None => Err(SinkError::permanent(
                format!(
                    "the account {} ({}) is not in the Inqom folder's chart of accounts",
                    line.account, line.account_label
                ),
                missing_action(&line.account),
            )),
        }
    }

    /// Creates the auxiliary account `root` + code and returns the number Inqom gave it.
    async fn create_auxiliary(&self, root: &str, aux: &Auxiliary) -> Result<String, SinkError> {
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
        if let Some(list) = self.accounts.lock().await.get_mut(root) {
            list.push(Account {
                number: created.clone(),
                name: aux.label.clone(),
                parent_account_number: Some(root.to_string()),
            });
        }
        Ok(created)
    }
}
