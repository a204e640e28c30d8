//! A line's ledger account in Pennylane: a general account found in the chart (created only when
//! configured to); a third
//! party's account matched (auxiliary code, VAT number, SIRET/SIREN, name) or created.

use app::ports::SinkError;
use domain::chart::ledger::{counterpart, missing_action};
use domain::config::DossierConfig;
use domain::{Auxiliary, EntryLine};
use reqwest::Method;
use serde_json::json;

use super::api::PennylaneSink;
use super::wire::ThirdPartyItem;
use crate::parties::{Candidate, MatchRule, PartyIds, Wanted, collective_root, find_match};

impl PennylaneSink {
    /// The Pennylane account of a general line: the dossier's number found in the chart (the
    /// same, another padding, or `[dossier.accounts_map]`); created only when the section says
    /// `create_missing_accounts = true`, else the entry is held with the action.
    pub(super) async fn general_account(
        &self,
        dossier: &DossierConfig,
        line: &EntryLine,
    ) -> Result<i64, SinkError> {
        let chart = self.ledger_chart().await?;
        let numbers: Vec<&str> = chart.iter().map(|a| a.number.as_str()).collect();
        if let Some((number, _)) = counterpart(&line.account, &numbers, &dossier.accounts_map)
            && let Some(a) = chart.iter().find(|a| a.number == number)
        {
            return Ok(a.id);
        }
        if !self.create_missing_accounts {
            return Err(SinkError::permanent(
                format!(
                    "the account {} ({}) is not in the Pennylane chart of accounts",
                    line.account, line.account_label
                ),
                format!(
                    "{}; or set create_missing_accounts = true in [dossier.ledger] to let passerelle create it",
                    missing_action(&line.account)
                ),
            ));
        }
        let number = dossier
            .accounts_map
            .get(&line.account)
            .unwrap_or(&line.account)
            .clone();
        let label = if line.account_label.trim().is_empty() {
            number.clone()
        } else {
            line.account_label.clone()
        };
        self.create_account(&number, &label).await
    }

    async fn candidates(&self, root: &str) -> Result<Vec<Candidate>, SinkError> {
        if let Some(c) = self.third_parties.lock().await.get(root) {
            return Ok(c.clone());
        }
        let path = if root == "401" {
            "/suppliers"
        } else {
            "/customers"
        };
        let items: Vec<ThirdPartyItem> = self.list_all(path, None, "third-party list").await?;
        let list: Vec<Candidate> = items
            .into_iter()
            .filter_map(|t| {
                let id = t.ledger_account?.id;
                Some(Candidate {
                    account_number: String::new(),
                    ledger_ref: id.to_string(),
                    name: t.name,
                    external_reference: t.external_reference,
                    vat_number: t.vat_number,
                    reg_no: t.reg_no,
                    siret: t.establishment_no,
                })
            })
            .collect();
        self.third_parties
            .lock()
            .await
            .insert(root.to_string(), list.clone());
        Ok(list)
    }

    /// The ledger account id of a third-party line: matched (auxiliary code, VAT number,
    /// SIRET/SIREN, name) or created.
    pub async fn third_party_account(
        &self,
        dossier: &DossierConfig,
        line: &EntryLine,
    ) -> Result<(i64, Option<MatchRule>), SinkError> {
        let Some(aux) = &line.auxiliary else {
            return Ok((self.general_account(dossier, line).await?, None));
        };
        let root = collective_root(&line.account);
        let key = (root.clone(), aux.code.clone());
        if let Some((id, rule)) = self.resolved.lock().await.get(&key) {
            return Ok((*id, Some(*rule)));
        }
        let number = format!("{root}{}", aux.code);
        let ids = self.parties.get(&dossier.id, &aux.code);
        let found = match self.find_account(&number).await? {
            Some(id) => Some((id, MatchRule::AuxiliaryCode)),
            None => {
                let cands = self.candidates(&root).await?;
                let wanted = Wanted {
                    code: &aux.code,
                    name: &aux.label,
                    numbers: vec![],
                    ids: ids.clone(),
                };
                find_match(&cands, &wanted)
                    .and_then(|(c, rule)| c.ledger_ref.parse().ok().map(|id| (id, rule)))
            }
        };
        let (id, rule) = match found {
            Some(found) => found,
            None => {
                let id = self.create_third_party(&root, &number, aux, &ids).await?;
                return self.remember(key, id, None).await;
            }
        };
        self.remember(key, id, Some(rule)).await
    }

    /// Creates the third party's account `number` under `root`: a supplier (with its
    /// identifiers) for 401, the bare 411 account for a customer.
    async fn create_third_party(
        &self,
        root: &str,
        number: &str,
        aux: &Auxiliary,
        ids: &PartyIds,
    ) -> Result<i64, SinkError> {
        let id = if root == "401" {
            let mut body = json!({
                "name": aux.label,
                "external_reference": aux.code,
                "ledger_account": {"number": number},
            });
            if let Some(v) = ids.vat_number.as_ref() {
                body["vat_number"] = json!(v);
            }
            if let Some(s) = ids
                .siren
                .as_ref()
                .filter(|s| s.len() == 9 && s.chars().all(|c| c.is_ascii_digit()))
            {
                body["reg_no"] = json!(s);
            }
            if let Some(s) = ids
                .siret
                .as_ref()
                .filter(|s| s.len() == 14 && s.chars().all(|c| c.is_ascii_digit()))
            {
                body["establishment_no"] = json!(s);
            }
            let a = self
                .call(Method::POST, "/suppliers", &[], Some(&body))
                .await?;
            let created: ThirdPartyItem =
                self.ok_json(a, &format!("creation of supplier {}", aux.label))?;
            match created.ledger_account {
                Some(la) => la.id,
                None => self.find_account(number).await?.ok_or_else(|| {
                    SinkError::retryable(format!(
                        "Pennylane created supplier {} without ledger account {number}",
                        aux.label
                    ))
                })?,
            }
        } else {
            // A company customer needs a billing address passerelle does not have;
            // creating the 411 account makes Pennylane create the customer itself.
            self.create_account(number, &aux.label).await?
        };
        let mut tp = self.third_parties.lock().await;
        if let Some(list) = tp.get_mut(root) {
            list.push(Candidate {
                account_number: number.to_string(),
                ledger_ref: id.to_string(),
                name: aux.label.clone(),
                external_reference: Some(aux.code.clone()),
                vat_number: ids.vat_number.clone(),
                reg_no: ids.siren.clone(),
                siret: ids.siret.clone(),
            });
        }
        tracing::info!(account = %number, "third party created in Pennylane");
        Ok(id)
    }

    async fn remember(
        &self,
        key: (String, String),
        id: i64,
        rule: Option<MatchRule>,
    ) -> Result<(i64, Option<MatchRule>), SinkError> {
        self.resolved
            .lock()
            .await
            .insert(key, (id, rule.unwrap_or(MatchRule::AuxiliaryCode)));
        Ok((id, rule))
    }
}
