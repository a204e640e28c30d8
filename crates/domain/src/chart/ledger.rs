//! The dossier's accounts against a ledger's own chart (Inqom, Pennylane, Chift): each account
//! passerelle books on is found in the ledger as it is, else written with another padding
//! (`706000` ≡ `706` ≡ `70600000`: trailing zeros only), else through the dossier's explicit
//! table `[dossier.accounts_map]`. An account found none of these ways is missing: the entries
//! that need it are held, with the action to take. Pure: the sinks read the chart, this decides.

use std::collections::BTreeMap;

use crate::config::DossierConfig;

/// How a dossier account was found in the ledger's chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The same number.
    Exact,
    /// The same account with another padding (`706000` → `706`).
    Padding,
    /// Through `[dossier.accounts_map]` (the target itself found exactly or by padding).
    Mapped,
}

impl Found {
    pub fn as_str(&self) -> &'static str {
        match self {
            Found::Exact => "exact",
            Found::Padding => "padding",
            Found::Mapped => "accounts_map",
        }
    }
}

/// One account of the dossier and its counterpart in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    /// The dossier's number (`706000`).
    pub account: String,
    /// What the dossier uses it for (`accounts.sales_services`, `vat.sales 20`, `a document row`).
    pub used_for: String,
    /// The ledger's number, `None` when missing.
    pub ledger: Option<String>,
    pub found: Option<Found>,
}

impl AccountRow {
    /// What to do about a missing account (empty when found).
    pub fn action(&self) -> String {
        if self.ledger.is_some() {
            String::new()
        } else {
            missing_action(&self.account)
        }
    }
}

/// The action for an account the ledger's chart lacks.
pub fn missing_action(account: &str) -> String {
    format!(
        "create {account} in the ledger, or map it in [dossier.accounts_map] (\"{account}\" = \"<the ledger's number>\")"
    )
}

/// The number without its trailing zeros, for digit-only numbers (`706000` → `706`); other
/// numbers (`4111DIVERS`) have no padding and compare as they are (ignoring case).
fn unpadded(number: &str) -> String {
    let n = number.trim();
    if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
        let t = n.trim_end_matches('0');
        if t.is_empty() {
            "0".into()
        } else {
            t.to_string()
        }
    } else {
        n.to_ascii_uppercase()
    }
}

/// Whether two numbers name the same account, padding aside (`706000` ≡ `706` ≡ `70600000`;
/// `7060001` is another account).
pub fn same_account(a: &str, b: &str) -> bool {
    unpadded(a) == unpadded(b)
}

/// `number` in the chart: exactly, else with another padding (the shortest such number when
/// several are, which should not happen in a chart kept clean).
pub fn find_in<'a>(number: &str, chart: &'a [&'a str]) -> Option<(&'a str, Found)> {
    if let Some(n) = chart.iter().find(|c| c.trim() == number.trim()) {
        return Some((n, Found::Exact));
    }
    chart
        .iter()
        .filter(|c| same_account(c, number))
        .min_by_key(|c| c.len())
        .map(|n| (*n, Found::Padding))
}

/// The ledger's number for one dossier account. The explicit table, when it names the account,
/// is the person's choice and wins over padding; its target must exist in the chart.
pub fn counterpart(
    number: &str,
    chart: &[&str],
    explicit: &BTreeMap<String, String>,
) -> Option<(String, Found)> {
    if let Some(target) = explicit.get(number.trim()) {
        return find_in(target, chart).map(|(n, _)| (n.to_string(), Found::Mapped));
    }
    find_in(number, chart).map(|(n, how)| (n.to_string(), how))
}

/// The accounts a dossier books on as general accounts, each with what it is for: the
/// configured sales, purchases, fallback, discount and rounding accounts, the VAT accounts per
/// rate and the accounts `[dossier.accounts.map.*]` books source codes on. The collective 411/401
/// accounts are left out: a line on them carries a third party's auxiliary account, matched on
/// its own.
pub fn dossier_accounts(d: &DossierConfig) -> Vec<(String, String)> {
    let a = &d.accounts;
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |n: &str, why: String| {
        if n.trim().is_empty() {
            return;
        }
        match out.iter_mut().find(|(x, _)| x == n) {
            Some((_, w)) => {
                w.push_str(", ");
                w.push_str(&why);
            }
            None => out.push((n.to_string(), why)),
        }
    };
    for (n, why) in [
        (&a.sales_goods, "accounts.sales_goods"),
        (&a.sales_services, "accounts.sales_services"),
        (&a.purchases, "accounts.purchases"),
        (&a.customer_fallback, "accounts.customer_fallback"),
        (&a.supplier_fallback, "accounts.supplier_fallback"),
        (&a.discount_goods, "accounts.discount_goods"),
        (&a.discount_services, "accounts.discount_services"),
        (&a.rounding_debit, "accounts.rounding_debit"),
        (&a.rounding_credit, "accounts.rounding_credit"),
    ] {
        add(n, why.to_string());
    }
    for (rate, n) in &d.vat.sales {
        add(n, format!("vat.sales {rate}%"));
    }
    for (rate, n) in &d.vat.purchases {
        add(n, format!("vat.purchases {rate}%"));
    }
    for (code, n) in &a.map.sales {
        add(n, format!("accounts.map.sales {code}"));
    }
    for (code, n) in &a.map.purchases {
        add(n, format!("accounts.map.purchases {code}"));
    }
    out
}

/// Every account in `wanted` (number, what for) against the chart: one row each, in order.
pub fn map_accounts(
    wanted: &[(String, String)],
    chart: &[&str],
    explicit: &BTreeMap<String, String>,
) -> Vec<AccountRow> {
    wanted
        .iter()
        .map(|(number, why)| {
            let c = counterpart(number, chart, explicit);
            AccountRow {
                account: number.clone(),
                used_for: why.clone(),
                ledger: c.as_ref().map(|(n, _)| n.clone()),
                found: c.map(|(_, how)| how),
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "ledger_tests.rs"]
mod tests;
