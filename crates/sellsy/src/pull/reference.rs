//! Reference data (accounting codes, VAT accounts per tax, accounting settings) and the
//! account's quotas. None of it is worth a failed night: an answer that is refused or cannot be
//! read degrades to "unknown", an item that cannot be read is skipped, and only the documents
//! that need what is unknown are held (see `convert::Refs::account`).

use app::ports::{ProblemFate, ProblemSubject};
use serde_json::Value;

use super::findings::{Findings, action_for, ends_the_pull};
use crate::client::{Call, SellsyClient};
use crate::convert::{Notes, Refs};
use crate::error::SellsyError;
use crate::wire;

fn item_id(item: &Value) -> Option<i64> {
    item.get("id")
        .and_then(|v| wire::lenient::de_int(v).ok().flatten())
}

impl SellsyClient {
    fn reference(&self, what: &str, id: Option<i64>) -> ProblemSubject {
        ProblemSubject::Reference {
            source: self.inner.cfg.source_name.clone(),
            what: what.into(),
            id: id.map(|i| i.to_string()),
        }
    }

    /// Reads `GET /quotas` once (`accounts.read`) and adopts the account's limits. Refused
    /// (the scope is missing) or unreadable, it is a warning and the configured pacing stays.
    pub(crate) async fn read_quotas(&self, f: &mut Findings) -> Result<(), SellsyError> {
        match self.ensure_limits().await {
            Ok(()) => Ok(()),
            Err(e) if ends_the_pull(&e) => Err(e),
            Err(e) => {
                // Asked once per client, like a successful read.
                self.inner
                    .limits_read
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                let (s, m) = self.pacing_limits();
                f.warn(
                    "GET /quotas",
                    format!("the account's quotas could not be read ({e}); the configured pacing is used: {s} requests/s, {m}/min"),
                    action_for(&e, "passerelle paces itself on its default quotas"),
                );
                Ok(())
            }
        }
    }

    /// Accounting codes, VAT accounts per tax and accounting settings (research §2.5).
    pub async fn reference_data(&self) -> Result<Refs, SellsyError> {
        self.reference_data_noting(&mut Findings::default()).await
    }

    pub(crate) async fn reference_data_noting(
        &self,
        f: &mut Findings,
    ) -> Result<Refs, SellsyError> {
        let mut refs = Refs::default();
        self.accounting_codes(&mut refs, f).await?;
        self.tax_codes(&mut refs, f).await?;
        let charts = Call::get("/settings/accounting-charts", "accounting-settings.read");
        match self.call(charts).await {
            Ok(v) => match wire::decode::<wire::AccountingCharts>(v) {
                Ok(c) => refs.charts = Some(c),
                Err(e) => f.problem(
                    self.reference("accounting settings", None),
                    ProblemFate::Skipped,
                    format!("Sellsy's accounting settings could not be read: {e}"),
                    "no action needed: nothing is booked from them",
                ),
            },
            Err(e) if ends_the_pull(&e) => return Err(e),
            Err(e) => f.warn(
                "GET /settings/accounting-charts",
                format!("the accounting settings could not be read: {e}"),
                action_for(&e, "nothing is booked from them"),
            ),
        }
        Ok(refs)
    }

    async fn accounting_codes(&self, refs: &mut Refs, f: &mut Findings) -> Result<(), SellsyError> {
        let mut items = Vec::new();
        let call = Call::get("/accounting-codes", "accounting-codes.read");
        match self
            .paginate(call, |i| {
                items.push(i);
                true
            })
            .await
        {
            Ok(listing) => {
                if let Some(why) = listing.incomplete {
                    f.warn(
                        "GET /accounting-codes",
                        why.clone(),
                        "documents naming an account that was not read are held; run the sync again",
                    );
                    refs.codes_unavailable = Some(why);
                }
            }
            Err(e) if ends_the_pull(&e) => return Err(e),
            Err(e) => {
                let consequence = "documents whose rows name an accounting code are held";
                f.warn(
                    "GET /accounting-codes",
                    format!("the chart of accounts could not be read: {e}"),
                    action_for(&e, consequence),
                );
                refs.codes_unavailable = Some(e.to_string());
                return Ok(());
            }
        }
        for item in items {
            let id = item_id(&item);
            let skip = "no action needed unless a document names it (that document is then held with this reason)";
            match wire::decode::<wire::AccountingCode>(item) {
                Ok(wire::AccountingCode {
                    id: Some(id),
                    code: Some(code),
                    ..
                }) if !code.trim().is_empty() => {
                    refs.codes.insert(id, code.trim().to_string());
                }
                Ok(wire::AccountingCode { id: None, .. }) => f.problem(
                    self.reference("accounting code", None),
                    ProblemFate::Skipped,
                    "Sellsy listed an accounting code without an id: no row can name it",
                    "no action needed",
                ),
                Ok(_) => {
                    let why = "Sellsy sent it without its account number (code)";
                    refs.bad_codes.extend(id.map(|i| (i, why.to_string())));
                    f.problem(
                        self.reference("accounting code", id),
                        ProblemFate::Skipped,
                        why,
                        skip,
                    );
                }
                Err(e) => {
                    let why = format!("it could not be read: {e}");
                    refs.bad_codes.extend(id.map(|i| (i, why.clone())));
                    f.problem(
                        self.reference("accounting code", id),
                        ProblemFate::Skipped,
                        why,
                        skip,
                    );
                }
            }
        }
        Ok(())
    }

    async fn tax_codes(&self, refs: &mut Refs, f: &mut Findings) -> Result<(), SellsyError> {
        let mut items = Vec::new();
        let call = Call::get("/taxes/accounting-codes", "taxes.read");
        match self
            .paginate(call, |i| {
                items.push(i);
                true
            })
            .await
        {
            Ok(listing) => {
                if let Some(why) = listing.incomplete {
                    f.warn("GET /taxes/accounting-codes", why, "no action needed");
                }
            }
            Err(e) if ends_the_pull(&e) => return Err(e),
            Err(e) => {
                f.warn(
                    "GET /taxes/accounting-codes",
                    format!("the taxes could not be read: {e}"),
                    action_for(
                        &e,
                        "rows that give no VAT rate of their own count as 0 % when rounding gaps are checked",
                    ),
                );
                return Ok(());
            }
        }
        for item in items {
            let id = item_id(&item);
            let t = match wire::decode::<wire::TaxCodes>(item) {
                Ok(t) => t,
                Err(e) => {
                    f.problem(
                        self.reference("tax", id),
                        ProblemFate::Skipped,
                        format!("it could not be read: {e}"),
                        "no action needed: documents carry their own VAT rates",
                    );
                    continue;
                }
            };
            let Some(id) = t.id else { continue };
            let mut notes = Notes::default();
            let rate = notes.dec("rate", &t.rate);
            if let Some(r) = rate {
                refs.tax_rates.insert(id, r);
            }
            let deductible =
                |p: &Option<wire::VatPair>| p.as_ref()?.deductible_vat.as_ref()?.code.clone();
            for account in [deductible(&t.debit_vat), deductible(&t.collection_vat)]
                .into_iter()
                .flatten()
                .filter(|a| !a.trim().is_empty())
            {
                if let Some(r) = rate {
                    refs.add_deductible(&account, r);
                }
            }
            f.notes(&format!("tax {id}"), notes);
            let code = |p: &Option<wire::VatPair>| p.as_ref()?.collected_vat.as_ref()?.code.clone();
            if let Some(c) = code(&t.debit_vat) {
                refs.vat_debit.insert(id, c);
            }
            if let Some(c) = code(&t.collection_vat) {
                refs.vat_collection.insert(id, c);
            }
        }
        Ok(())
    }
}
