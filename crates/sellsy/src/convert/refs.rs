//! Sellsy's reference data as the conversion uses it: account numbers by id, VAT accounts and
//! rates by tax.

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::wire;

/// Reference data that turns Sellsy ids into account numbers (research §2.5).
#[derive(Debug, Clone, Default)]
pub struct Refs {
    /// accounting code id -> number ("706000").
    pub codes: HashMap<i64, String>,
    /// Accounting codes listed by Sellsy but unusable, with the reason.
    pub bad_codes: HashMap<i64, String>,
    /// Why the chart of accounts could not be read at all (a missing scope, an unreadable
    /// answer): every row that names an account is then unresolved.
    pub codes_unavailable: Option<String>,
    /// tax id -> collected-VAT account number, for `vat_mode` debit and collection.
    pub vat_debit: HashMap<i64, String>,
    pub vat_collection: HashMap<i64, String>,
    /// tax id -> rate.
    pub tax_rates: HashMap<i64, Decimal>,
    /// deductible-VAT account number -> the rates of the taxes booked on it (purchases).
    pub deductible_rates: HashMap<String, Vec<Decimal>>,
    pub charts: Option<wire::AccountingCharts>,
}

impl Refs {
    /// Notes that tax `rate` books its deductible VAT on `account`.
    pub fn add_deductible(&mut self, account: &str, rate: Decimal) {
        let rates = self
            .deductible_rates
            .entry(account.trim().to_string())
            .or_default();
        if !rates.contains(&rate.normalize()) {
            rates.push(rate.normalize());
        }
    }

    /// The account number of a row's `accounting_code_id`: `Ok(None)` when the row names
    /// none (the dossier's defaults apply), `Err(reason)` when it names one that cannot be
    /// resolved (the row must not fall back on a default account silently).
    pub fn account(&self, id: Option<i64>) -> Result<Option<String>, String> {
        let Some(id) = id else { return Ok(None) };
        if let Some(code) = self.codes.get(&id) {
            return Ok(Some(code.clone()));
        }
        if let Some(why) = self.bad_codes.get(&id) {
            return Err(format!("accounting code id {id} is unusable: {why}"));
        }
        Err(match &self.codes_unavailable {
            Some(why) => format!(
                "accounting code id {id} is unknown: the chart of accounts could not be read ({why})"
            ),
            None => format!(
                "accounting code id {id} is not in Sellsy's chart of accounts (GET /accounting-codes)"
            ),
        })
    }
}
