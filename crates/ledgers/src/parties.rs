//! Third parties: before creating an auxiliary account, match an existing one in the ledger, in
//! this order: auxiliary code, VAT number, SIRET then SIREN, name. An account is created only when
//! nothing matches, and every answer is remembered for the dossier.
//!
//! The entry lines carry the auxiliary code and label only; VAT number, SIREN and SIRET come from
//! a [`PartyBook`] the pipeline fills from the source documents (`remember`).

use std::collections::HashMap;
use std::sync::RwLock;

use domain::party::Party;

/// Identifiers of a party beyond its auxiliary code and name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartyIds {
    pub vat_number: Option<String>,
    pub siren: Option<String>,
    pub siret: Option<String>,
}

impl PartyIds {
    pub fn of(party: &Party) -> PartyIds {
        let clean = |s: &Option<String>| {
            s.as_deref()
                .map(|v| v.chars().filter(|c| !c.is_whitespace()).collect::<String>())
                .filter(|v| !v.is_empty())
        };
        let siret = clean(&party.siret);
        let siren = clean(&party.siren).or_else(|| {
            siret
                .as_deref()
                .filter(|s| s.len() == 14)
                .map(|s| s[..9].to_string())
        });
        PartyIds {
            vat_number: clean(&party.vat_number).map(|v| v.to_ascii_uppercase()),
            siren,
            siret,
        }
    }
}

/// Party identifiers by (dossier id, auxiliary code), shared between the pipeline and the sinks.
#[derive(Debug, Default)]
pub struct PartyBook {
    inner: RwLock<HashMap<(String, String), PartyIds>>,
}

impl PartyBook {
    pub fn new() -> PartyBook {
        PartyBook::default()
    }

    /// Records the identifiers of the party behind `aux_code` in `dossier_id`.
    pub fn remember(&self, dossier_id: &str, aux_code: &str, party: &Party) {
        self.inner
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert((dossier_id.into(), aux_code.into()), PartyIds::of(party));
    }

    pub fn get(&self, dossier_id: &str, aux_code: &str) -> PartyIds {
        self.inner
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(dossier_id.to_string(), aux_code.to_string()))
            .cloned()
            .unwrap_or_default()
    }
}

/// A third party as the ledger knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidate {
    /// Its account number in the ledger ("4111DUPONT", "4110DUPONT").
    pub account_number: String,
    /// The ledger's id to post on (Pennylane ledger account id; Inqom: the number).
    pub ledger_ref: String,
    pub name: String,
    /// Our code, when the ledger keeps one (Pennylane `external_reference`).
    pub external_reference: Option<String>,
    pub vat_number: Option<String>,
    /// SIREN (Pennylane `reg_no`).
    pub reg_no: Option<String>,
    /// SIRET (Pennylane `establishment_no`).
    pub siret: Option<String>,
}

/// The party looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted<'a> {
    pub code: &'a str,
    pub name: &'a str,
    /// Account numbers under which the ledger may keep this code ("411" + code; Inqom's
    /// rewritten "4111" + code).
    pub numbers: Vec<String>,
    pub ids: PartyIds,
}

/// Which rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchRule {
    AuxiliaryCode,
    VatNumber,
    Siret,
    Siren,
    Name,
}

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

fn same(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => !norm(a).is_empty() && norm(a) == norm(b),
        _ => false,
    }
}

/// The first candidate matching, rule by rule in the stated order.
pub fn find_match<'c>(
    candidates: &'c [Candidate],
    wanted: &Wanted<'_>,
) -> Option<(&'c Candidate, MatchRule)> {
    let code = norm(wanted.code);
    let by_code = |c: &&Candidate| {
        (!code.is_empty()
            && c.external_reference
                .as_deref()
                .is_some_and(|r| norm(r) == code))
            || wanted
                .numbers
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&c.account_number))
    };
    if let Some(c) = candidates.iter().find(by_code) {
        return Some((c, MatchRule::AuxiliaryCode));
    }
    if let Some(c) = candidates
        .iter()
        .find(|c| same(&c.vat_number, &wanted.ids.vat_number))
    {
        return Some((c, MatchRule::VatNumber));
    }
    if let Some(c) = candidates
        .iter()
        .find(|c| same(&c.siret, &wanted.ids.siret))
    {
        return Some((c, MatchRule::Siret));
    }
    if let Some(c) = candidates
        .iter()
        .find(|c| same(&c.reg_no, &wanted.ids.siren))
    {
        return Some((c, MatchRule::Siren));
    }
    let name = norm(wanted.name);
    if !name.is_empty()
        && let Some(c) = candidates.iter().find(|c| norm(&c.name) == name)
    {
        return Some((c, MatchRule::Name));
    }
    None
}

/// The collective root of a third-party account: "411" for "411000", "401" for "401000".
pub fn collective_root(account: &str) -> String {
    account.chars().take(3).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(number: &str, name: &str) -> Candidate {
        Candidate {
            account_number: number.into(),
            ledger_ref: number.into(),
            name: name.into(),
            ..Candidate::default()
        }
    }

    fn wanted(ids: PartyIds) -> Wanted<'static> {
        Wanted {
            code: "0DUPONT",
            name: "Dupont SARL",
            numbers: vec!["4110DUPONT".into(), "41110DUPONT".into()],
            ids,
        }
    }

    #[test]
    fn rules_apply_in_order() {
        let ids = PartyIds {
            vat_number: Some("FR44732829320".into()),
            siren: Some("732829320".into()),
            siret: Some("73282932000074".into()),
        };
        let mut by_name = cand("411NAME", "DUPONT S.A.R.L.");
        by_name.reg_no = None;
        let mut by_siren = cand("411SIREN", "Other");
        by_siren.reg_no = Some("732829320".into());
        let mut by_siret = cand("411SIRET", "Other");
        by_siret.siret = Some("73282932000074".into());
        let mut by_vat = cand("411VAT", "Other");
        by_vat.vat_number = Some("fr 44 732829320".into());
        let by_code = cand("41110DUPONT", "Other");
        let mut all = vec![
            by_name.clone(),
            by_siren.clone(),
            by_siret.clone(),
            by_vat.clone(),
            by_code.clone(),
        ];
        let expect = [
            ("41110DUPONT", MatchRule::AuxiliaryCode),
            ("411VAT", MatchRule::VatNumber),
            ("411SIRET", MatchRule::Siret),
            ("411SIREN", MatchRule::Siren),
            ("411NAME", MatchRule::Name),
        ];
        for (number, rule) in expect {
            let (c, r) = find_match(&all, &wanted(ids.clone())).unwrap();
            assert_eq!((c.account_number.as_str(), r), (number, rule));
            all.retain(|c| c.account_number != number);
        }
        assert!(find_match(&all, &wanted(ids)).is_none());
    }

    #[test]
    fn party_ids_derive_siren_from_siret() {
        let party = domain::testkit::sellsy_example_invoice().party;
        let mut p = party.clone();
        p.siren = None;
        assert_eq!(PartyIds::of(&p).siren.as_deref(), Some("732829320"));
        let book = PartyBook::new();
        book.remember("acme", "0DUPONT", &party);
        assert_eq!(
            book.get("acme", "0DUPONT").vat_number.as_deref(),
            Some("FR44732829320")
        );
        assert_eq!(book.get("other", "0DUPONT"), PartyIds::default());
    }
}
