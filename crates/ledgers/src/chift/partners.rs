//! A line's account in Chift: a general account mapped onto the folder's chart (never created:
//! the entries that need a missing one are held with the action), or a client / supplier matched
//! in the seed's order (auxiliary account, VAT number, SIRET, SIREN, name) and created only when
//! nothing matches.

use app::ports::SinkError;
use domain::chart::ledger::{counterpart, missing_action};
use domain::config::DossierConfig;
use domain::{Auxiliary, EntryLine};
use reqwest::Method;
use serde_json::json;

use super::api::ChiftSink;
use super::errors::{chift_message, is_duplicate};
use super::wire::{Item, Partner};
use crate::parties::{Candidate, MatchRule, PartyIds, Wanted, collective_root, find_match};

/// Chift's `company_number` is the SIRET for France (spec), sometimes the SIREN.
fn candidate(p: Partner) -> Option<Candidate> {
    let id = p.id.filter(|i| !i.trim().is_empty())?;
    let digits: Option<String> = p
        .company_number
        .as_deref()
        .map(|n| n.chars().filter(char::is_ascii_digit).collect());
    let (siret, reg_no) = match digits {
        Some(d) if d.len() == 14 => (Some(d.clone()), Some(d[..9].to_string())),
        Some(d) if d.len() == 9 => (None, Some(d)),
        _ => (None, None),
    };
    Some(Candidate {
        // `account_number` is the partner's general account: its own in some software, the
        // collective 411000 in others, which must not match a "divers" line's 411000.
        account_number: p
            .third_party_account
            .or(p.account_number.filter(|n| !is_collective(n)))
            .unwrap_or_default(),
        ledger_ref: id,
        name: p.name.unwrap_or_default(),
        external_reference: p.external_reference,
        vat_number: p.vat,
        reg_no,
        siret,
    })
}

/// `411`, `401000`, `4110000`: a collective account, not a partner's own.
fn is_collective(n: &str) -> bool {
    let n = n.trim();
    (n.starts_with("411") || n.starts_with("401")) && n[3..].chars().all(|c| c == '0')
}

fn path_of(root: &str) -> &'static str {
    if root == "401" {
        "/suppliers"
    } else {
        "/clients"
    }
}

impl ChiftSink {
    /// The account of one line, without its tax code.
    pub(super) async fn item(
        &self,
        dossier: &DossierConfig,
        line: &EntryLine,
    ) -> Result<Item, SinkError> {
        let root = collective_root(&line.account);
        if root == "411" || root == "401" {
            // A sale or purchase entry needs its partner (ERROR_PARTNER_ACCOUNT_MISSING): a
            // line on a collective account without auxiliary (the dossier's fallback
            // `4111DIVERS`) books on the "divers" client or supplier of that account.
            let aux = line.auxiliary.clone().unwrap_or_else(|| Auxiliary {
                code: line.account.clone(),
                label: if root == "401" {
                    "Fournisseurs divers"
                } else {
                    "Clients divers"
                }
                .into(),
            });
            let (id, _) = self.partner(dossier, &root, &aux).await?;
            return Ok(Item {
                account_type: if root == "401" {
                    "supplier_account"
                } else {
                    "customer_account"
                },
                account: id,
                tax_code: None,
            });
        }
        Ok(Item {
            account_type: "general_account",
            account: self.general_account(dossier, line).await?,
            tax_code: None,
        })
    }

    /// The folder's number for a general account: the same, another padding, or
    /// `[dossier.accounts_map]`.
    pub(super) async fn general_account(
        &self,
        dossier: &DossierConfig,
        line: &EntryLine,
    ) -> Result<String, SinkError> {
        let chart = self.ledger_chart().await?;
        let numbers: Vec<&str> = chart.iter().map(|a| a.number.as_str()).collect();
        counterpart(&line.account, &numbers, &dossier.accounts_map)
            .map(|(n, _)| n)
            .ok_or_else(|| {
                SinkError::permanent(
                    format!(
                        "the account {} ({}) is not in the chart of accounts of the Chift folder",
                        line.account, line.account_label
                    ),
                    missing_action(&line.account),
                )
            })
    }

    async fn candidates(&self, root: &str, reload: bool) -> Result<Vec<Candidate>, SinkError> {
        if !reload && let Some(c) = self.partners.lock().await.get(root) {
            return Ok(c.clone());
        }
        let items: Vec<Partner> = self
            .list_all(path_of(root), &[], "client and supplier list")
            .await?;
        let list: Vec<Candidate> = items.into_iter().filter_map(candidate).collect();
        self.partners
            .lock()
            .await
            .insert(root.to_string(), list.clone());
        Ok(list)
    }

    /// The client (root 411) or supplier (401) id of an auxiliary account: matched, else created.
    pub async fn partner(
        &self,
        dossier: &DossierConfig,
        root: &str,
        aux: &Auxiliary,
    ) -> Result<(String, Option<MatchRule>), SinkError> {
        let key = (root.to_string(), aux.code.clone());
        if let Some(found) = self.resolved.lock().await.get(&key) {
            return Ok(found.clone());
        }
        let ids = self.parties.get(&dossier.id, &aux.code);
        let wanted = Wanted {
            code: &aux.code,
            name: &aux.label,
            numbers: vec![aux.code.clone(), format!("{root}{}", aux.code)],
            ids: ids.clone(),
        };
        let mut found = find_match(&self.candidates(root, false).await?, &wanted)
            .map(|(c, r)| (c.ledger_ref.clone(), Some(r)));
        if found.is_none() {
            found = match self.create_partner(root, aux, &ids, None).await {
                Ok(id) => Some((id, None)),
                // Created meanwhile (by another run, or by hand): the list is read again.
                Err(e) if e.message.contains("ALREADY_EXISTS") => {
                    match find_match(&self.candidates(root, true).await?, &wanted) {
                        Some((c, r)) => Some((c.ledger_ref.clone(), Some(r))),
                        None => self.merged(root, aux, &ids, &wanted).await?,
                    }
                }
                // The answer lost: it may exist now, the list is read again next time.
                Err(e) => {
                    self.partners.lock().await.remove(root);
                    return Err(e);
                }
            };
        }
        let found = found.ok_or_else(|| {
            SinkError::permanent(
                format!("Chift says {} already exists but lists no match for it", aux.label),
                "check the client or supplier in the accounting software (its code, VAT number, SIRET and name)",
            )
        })?;
        self.resolved.lock().await.insert(key, found.clone());
        Ok(found)
    }

    /// Software that keeps one record per company for both roles refuses a supplier that
    /// exists as a client (and back): the spec's `force_merge` names the other record.
    async fn merged(
        &self,
        root: &str,
        aux: &Auxiliary,
        ids: &PartyIds,
        wanted: &Wanted<'_>,
    ) -> Result<Option<(String, Option<MatchRule>)>, SinkError> {
        let other = if root == "401" { "411" } else { "401" };
        let Some((c, rule)) =
            find_match(&self.candidates(other, true).await?, wanted).map(|(c, r)| (c.clone(), r))
        else {
            return Ok(None);
        };
        let id = self
            .create_partner(root, aux, ids, Some(&c.ledger_ref))
            .await?;
        Ok(Some((id, Some(rule))))
    }

    async fn create_partner(
        &self,
        root: &str,
        aux: &Auxiliary,
        ids: &PartyIds,
        force_merge: Option<&str>,
    ) -> Result<String, SinkError> {
        let mut body = json!({
            "name": if aux.label.trim().is_empty() { &aux.code } else { &aux.label },
            "external_reference": aux.code,
            "is_company": true,
            "addresses": [],
        });
        if let Some(v) = &ids.vat_number {
            body["vat"] = json!(v);
        }
        if let Some(n) = ids.siret.as_ref().or(ids.siren.as_ref()) {
            body["company_number"] = json!(n);
        }
        let who = if root == "401" { "supplier" } else { "client" };
        let query: Vec<(&str, String)> = force_merge
            .map(|id| ("force_merge", id.to_string()))
            .into_iter()
            .collect();
        let a = self
            .call(Method::POST, path_of(root), &query, Some(&body))
            .await?;
        if !a.status.is_success() {
            let (_, code) = chift_message(&a.text());
            if is_duplicate(a.status.as_u16(), code.as_deref()) {
                return Err(SinkError::permanent("ALREADY_EXISTS", ""));
            }
        }
        let created: Partner = self.ok_json(a, &format!("creation of {who} {}", aux.label))?;
        let mut c = candidate(created.clone()).ok_or_else(|| {
            SinkError::retryable(format!(
                "Chift created the {who} {} without an id",
                aux.label
            ))
        })?;
        c.external_reference = Some(aux.code.clone());
        let id = c.ledger_ref.clone();
        if let Some(list) = self.partners.lock().await.get_mut(root) {
            list.push(c);
        }
        tracing::info!(code = %aux.code, "{who} created in Chift");
        Ok(id)
    }
}
