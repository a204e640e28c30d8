//! The VAT code (`tax_code`, an `/accounting/vat-codes` id) of each line: the VAT lines by their
//! rate, the sales or purchase lines when the entry has a single rate, the rounding lines the
//! configured rounding code. A rate comes from the dossier's VAT accounts (`[dossier.vat]`; an
//! account shared by several rates is told apart by the amounts, else the line goes without); its
//! code from `[dossier.ledger.vat_codes]`, else the folder's only active, non-reverse-charge code
//! of that rate and side (Chift's guidance: map each rate to a code, filtered on type and active).

use app::ports::SinkError;
use domain::chart::ledger::same_account;
use domain::config::DossierConfig;
use domain::{EntryLine, LedgerEntry};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::api::ChiftSink;
pub(super) use super::config::Side;

/// The rates whose VAT account, on that side, is `account` (several when one account takes
/// every deductible rate, as `445660` often does).
pub(super) fn vat_rates_of(dossier: &DossierConfig, side: Side, account: &str) -> Vec<Decimal> {
    let accounts = match side {
        Side::Sales => &dossier.vat.sales,
        Side::Purchases => &dossier.vat.purchases,
    };
    accounts
        .iter()
        .filter(|(_, n)| same_account(n, account))
        .map(|(r, _)| r.normalize())
        .collect()
}

fn amount(l: &EntryLine) -> Decimal {
    l.debit + l.credit
}

/// The rate of each line: its VAT account's, or, when the account takes several rates and the
/// entry has a single VAT line, the one its amount over the base lines (classes 6 and 7) gives.
fn line_rates(dossier: &DossierConfig, side: Side, entry: &LedgerEntry) -> Vec<Option<Decimal>> {
    let candidates: Vec<Vec<Decimal>> = entry
        .lines()
        .iter()
        .map(|l| vat_rates_of(dossier, side, &l.account))
        .collect();
    let vat_lines = candidates.iter().filter(|c| !c.is_empty()).count();
    // Net of discounts (709x / 609x lines sit on the other side).
    let base: Decimal = entry
        .lines()
        .iter()
        .filter(|l| is_base(l))
        .map(|l| l.credit - l.debit)
        .sum::<Decimal>()
        .abs();
    entry
        .lines()
        .iter()
        .zip(&candidates)
        .map(|(l, c)| match c.as_slice() {
            [] => None,
            [r] => Some(*r),
            many if vat_lines == 1 && !base.is_zero() => {
                let ratio = amount(l)
                    .checked_div(base)
                    .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))?;
                many.iter()
                    .copied()
                    .min_by_key(|r| (*r - ratio).abs())
                    .filter(|r| (*r - ratio).abs() < Decimal::new(5, 1))
            }
            _ => None,
        })
        .collect()
}

/// A sales or purchase line (classes 6 and 7, no third party).
fn is_base(l: &EntryLine) -> bool {
    l.auxiliary.is_none() && (l.account.starts_with('6') || l.account.starts_with('7'))
}

impl ChiftSink {
    /// The VAT code id of `rate` on `side`.
    pub(super) async fn vat_code(&self, side: Side, rate: Decimal) -> Result<String, SinkError> {
        let rate = rate.normalize();
        let codes = self.vat_codes().await?;
        let configured = match side {
            Side::Sales => &self.vat_map.sales,
            Side::Purchases => &self.vat_map.purchases,
        };
        if let Some(id) = configured.get(&rate) {
            return match codes.iter().find(|c| &c.id == id) {
                Some(_) => Ok(id.clone()),
                None => Err(SinkError::permanent(
                    format!(
                        "the VAT code {id} mapped to {rate}% ({}) is not in the Chift folder",
                        side.name()
                    ),
                    format!(
                        "correct [dossier.ledger.vat_codes] {} \"{rate}\" (test-connection lists the folder's codes)",
                        side.name()
                    ),
                )),
            };
        }
        let target = rate.to_f64().unwrap_or(-1.0);
        let fits: Vec<_> = codes
            .iter()
            .filter(|c| {
                c.active != Some(false)
                    && c.reversed != Some(true)
                    && side.accepts(&c.kind)
                    && (c.rate - target).abs() < 1e-6
            })
            .collect();
        let national: Vec<_> = fits
            .iter()
            .copied()
            .filter(|c| matches!(c.scope.as_deref(), None | Some("nat")))
            .collect();
        match (fits.as_slice(), national.as_slice()) {
            ([only], _) | (_, [only]) => Ok(only.id.clone()),
            ([], _) => Err(SinkError::permanent(
                format!(
                    "the Chift folder has no active {} VAT code at {rate}%",
                    side.name()
                ),
                format!(
                    "create one in the accounting software, or map the rate in [dossier.ledger.vat_codes] {} = {{ \"{rate}\" = \"<id>\" }}",
                    side.name()
                ),
            )),
            (many, _) => Err(SinkError::permanent(
                format!(
                    "the Chift folder has {} {} VAT codes at {rate}%: {}",
                    many.len(),
                    side.name(),
                    many.iter()
                        .map(|c| format!(
                            "{} ({}{})",
                            c.id,
                            c.label,
                            c.code
                                .as_deref()
                                .map(|k| format!(", {k}"))
                                .unwrap_or_default()
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                format!(
                    "choose one in [dossier.ledger.vat_codes] {} = {{ \"{rate}\" = \"<id>\" }}",
                    side.name()
                ),
            )),
        }
    }

    /// The tax code of every line of `entry`, in order.
    pub(super) async fn tax_codes(
        &self,
        dossier: &DossierConfig,
        entry: &LedgerEntry,
    ) -> Result<Vec<Option<String>>, SinkError> {
        let side = Side::of(dossier, entry);
        let rates = line_rates(dossier, side, entry);
        let mut distinct: Vec<Decimal> = rates.iter().flatten().copied().collect();
        distinct.sort();
        distinct.dedup();
        let single = match distinct.as_slice() {
            [r] => Some(*r),
            _ => None,
        };
        let rounding = |a: &str| {
            same_account(a, &dossier.accounts.rounding_debit)
                || same_account(a, &dossier.accounts.rounding_credit)
        };
        let mut out = Vec::with_capacity(rates.len());
        for (line, rate) in entry.lines().iter().zip(&rates) {
            let code = if let Some(r) = rate {
                Some(self.vat_code(side, *r).await?)
            } else if rounding(&line.account) {
                self.vat_map.rounding.clone()
            } else if is_base(line)
                && let Some(r) = single
            {
                Some(self.vat_code(side, r).await?)
            } else {
                None
            };
            out.push(code);
        }
        Ok(out)
    }
}
