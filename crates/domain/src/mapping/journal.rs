//! Mode `journal`: the source's journal lines grouped by document, accounts and auxiliary codes
//! kept, balance checked.

use std::collections::BTreeMap;

use super::labels::{account_name, aux_label, clean, document_title, sides, truncate};
use super::outcome::MappingError;
use crate::auxcode::AuxCodes;
use crate::config::DossierConfig;
use crate::document::SourceRef;
use crate::entry::{Auxiliary, EntryHeader, EntryLine, LedgerEntry};
use crate::journal::{Side, SourceJournalLine};
use crate::money::round_cents;
use crate::party::{Party, PartyKind};

/// Groups a source's journal lines by document into entries (mode `journal`). Documents are
/// returned in the order their first line appears; each is an entry or the reason it is not.
pub fn map_journal(
    lines: &[SourceJournalLine],
    cfg: &DossierConfig,
    aux: &mut AuxCodes,
) -> Vec<(SourceRef, Result<LedgerEntry, MappingError>)> {
    let mut order: Vec<SourceRef> = Vec::new();
    let mut groups: BTreeMap<SourceRef, Vec<&SourceJournalLine>> = BTreeMap::new();
    for line in lines {
        let group = groups.entry(line.document.clone()).or_default();
        if group.is_empty() {
            order.push(line.document.clone());
        }
        group.push(line);
    }
    let clashes = cfg.journal_code_clashes(lines.iter().map(|l| l.journal.as_str()));
    order
        .into_iter()
        .map(|source| {
            let group = &groups[&source];
            let first = group[0];
            let clash = cfg
                .journal_code_of(&first.journal)
                .and_then(|code| clashes.get(&code).map(|names| (code, names)));
            let entry = match clash {
                Some((code, names)) => Err(MappingError::JournalCodeClash {
                    document: first.document_number.clone(),
                    code,
                    journals: format!("\"{}\"", names.join("\", \"")),
                }),
                None => journal_entry(&source, group, cfg, aux),
            };
            (source.clone(), entry)
        })
        .collect()
}

fn journal_entry(
    source: &SourceRef,
    group: &[&SourceJournalLine],
    cfg: &DossierConfig,
    aux: &mut AuxCodes,
) -> Result<LedgerEntry, MappingError> {
    let first = group[0];
    let document = first.document_number.clone();
    if !first.currency.eq_ignore_ascii_case("EUR") {
        return Err(MappingError::ForeignCurrency {
            document,
            currency: first.currency.clone(),
        });
    }
    let journal_code =
        cfg.journal_code_of(&first.journal)
            .ok_or_else(|| MappingError::NoJournalCode {
                document: document.clone(),
                journal: first.journal.clone(),
            })?;
    let party_name = first.party_name.clone().unwrap_or_else(|| document.clone());
    let mut entry_lines = Vec::new();
    for line in group {
        let signed = match line.side {
            Side::Credit => round_cents(line.amount),
            Side::Debit => -round_cents(line.amount),
        };
        if signed.is_zero() {
            continue;
        }
        let third_party = line.account.starts_with("401") || line.account.starts_with("411");
        let given = line
            .auxiliary_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let auxiliary = if given.is_some() || third_party {
            // The source's code (written by the rule, one party per code), keyed by that code;
            // without one, derived from the party name, keyed by that name.
            let party = Party {
                kind: PartyKind::Company,
                source_id: match given {
                    Some(code) => format!("code:{code}"),
                    None => format!("name:{}", party_name.to_lowercase()),
                },
                name: match given {
                    Some(_) => line.party_name.clone().unwrap_or_default(),
                    None => party_name.clone(),
                },
                reference: None,
                auxiliary_code: given.map(str::to_string),
                siren: None,
                siret: None,
                vat_number: None,
            };
            aux.code_for(&party).map(|code| Auxiliary {
                label: aux_label(&party.name, &code),
                code,
            })
        } else {
            None
        };
        let (debit, credit) = sides(signed);
        entry_lines.push(EntryLine {
            account: line.account.trim().to_string(),
            account_label: line
                .account_label
                .as_deref()
                .map(clean)
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| account_name(cfg, &line.account)),
            auxiliary,
            label: truncate(&clean(&line.label)),
            debit,
            credit,
        });
    }
    let kind = source.kind;
    let header = EntryHeader {
        journal_code,
        journal_label: clean(&first.journal),
        date: first.date,
        piece_ref: clean(&document),
        piece_date: first.date,
        label: truncate(&format!(
            "{} - {}",
            document_title(kind, &document),
            clean(&party_name)
        )),
        currency: "EUR".into(),
        source: source.clone(),
        draft: cfg.draft_entries,
        attachments: Vec::new(),
    };
    Ok(LedgerEntry::new(header, entry_lines)?)
}
