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

/// The (deductible line, due line, intra-community) pairs of self-assessed VAT in a purchase:
/// a line on a due account (`[dossier.vat.self_assessed]`) and the first line of the same
/// amount on the other side that is not paired yet.
fn self_assessed_pairs(dossier: &DossierConfig, entry: &LedgerEntry) -> Vec<(usize, usize, bool)> {
    let sa = &dossier.vat.self_assessed;
    let lines = entry.lines();
    let mut pairs: Vec<(usize, usize, bool)> = Vec::new();
    for (due, l) in lines.iter().enumerate() {
        let eu = same_account(&l.account, &sa.intra_community_due);
        if !eu && !same_account(&l.account, &sa.reverse_charge_due) {
            continue;
        }
        let deductible = lines.iter().enumerate().position(|(i, d)| {
            i != due
                && d.account.starts_with("4456")
                && d.debit == l.credit
                && d.credit == l.debit
                && !pairs.iter().any(|&(x, _, _)| x == i)
        });
        if let Some(d) = deductible {
            pairs.push((d, due, eu));
        }
    }
    pairs
}

impl ChiftSink {
    /// The folder's reverse-charge purchase code (`reversed`), intra-community (`eu` scope) or
    /// domestic, at `rate` when several: `None` when the folder has none, the lines then go
    /// without (the accounts 445662 / 4452 / 4457 still carry the self-assessment).
    async fn reversed_code(&self, eu: bool, rate: Decimal) -> Result<Option<String>, SinkError> {
        let codes = self.vat_codes().await?;
        let target = rate.to_f64().unwrap_or(-1.0);
        let fits: Vec<_> = codes
            .iter()
            .filter(|c| {
                c.reversed == Some(true)
                    && c.active != Some(false)
                    && Side::Purchases.accepts(&c.kind)
                    && match c.scope.as_deref() {
                        Some("eu") => eu,
                        Some("nat") => !eu,
                        _ => true,
                    }
            })
            .collect();
        let at_rate: Vec<_> = fits
            .iter()
            .copied()
            .filter(|c| (c.rate - target).abs() < 1e-6)
            .collect();
        Ok(match (fits.as_slice(), at_rate.as_slice()) {
            ([only], _) | (_, [only]) => Some(only.id.clone()),
            _ => {
                tracing::warn!(eu, %rate, candidates = fits.len(), "no single reverse-charge VAT code in the Chift folder: self-assessed lines sent without one");
                None
            }
        })
    }

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
        let mut rates = line_rates(dossier, side, entry);
        // Self-assessed VAT (CGI art. 283-2, 256 bis: categories AE and K) takes the folder's
        // reverse-charge code, on its pair of lines and, alone, on the base lines.
        let pairs = self_assessed_pairs(dossier, entry);
        for &(deductible, due, _) in &pairs {
            rates[deductible] = None;
            rates[due] = None;
        }
        let reversed = match pairs.first() {
            Some(&(_, _, eu)) => {
                self.reversed_code(eu, dossier.vat.self_assessed.rate)
                    .await?
            }
            None => None,
        };
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
        let only_self_assessed = !pairs.is_empty() && distinct.is_empty();
        let mut out = Vec::with_capacity(rates.len());
        for (i, (line, rate)) in entry.lines().iter().zip(&rates).enumerate() {
            let code = if pairs.iter().any(|&(d, c, _)| d == i || c == i)
                || (only_self_assessed && is_base(line))
            {
                reversed.clone()
            } else if let Some(r) = rate {
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
