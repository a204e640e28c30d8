//! `test-connection`: the credentials, every scope the pipeline uses (one cheap call each; a
//! 403 means the scope is missing) with what its absence disables, and the account's quotas.

use app::ports::{ConnectionReport, MissingScope};
use serde_json::{Value, json};

use super::findings::ends_the_pull;
use super::journal::Book;
use crate::client::{Call, SellsyClient};
use crate::error::SellsyError;
use crate::wire;

/// Each scope the connector uses, what it disables when missing, and whether a pull fails
/// without it.
pub const SCOPES: &[(&str, &str, bool)] = &[
    (
        "accounts.read",
        "GET /quotas: the account's real quotas are not read; passerelle paces itself on its default quotas (5 requests/s, 150/min)",
        false,
    ),
    (
        "invoices.read",
        "invoices (and the invoice a credit note cancels) cannot be read: every pull fails",
        true,
    ),
    (
        "credit-notes.read",
        "credit notes cannot be read: every pull fails",
        true,
    ),
    (
        "companies.read",
        "customer companies are not embedded in documents: their auxiliary code, SIREN and VAT number are not read (passerelle derives an auxiliary code from the name)",
        false,
    ),
    (
        "individuals.read",
        "individual customers are not embedded in documents: their auxiliary code is not read (passerelle derives one from the name)",
        false,
    ),
    (
        "accounting-codes.read",
        "the chart of accounts cannot be read: documents whose rows name an accounting code are held",
        false,
    ),
    (
        "taxes.read",
        "VAT rates per tax are not read: rows that give no rate of their own count as 0 % when rounding gaps are checked",
        false,
    ),
    (
        "accounting-settings.read",
        "the accounting settings are not read (nothing is booked from them)",
        false,
    ),
    (
        "accounting-entry.read",
        "the sales journal cannot be read: every pull of a dossier in mode \"journal\" fails",
        true,
    ),
];

/// The scopes purchases need (scope `purchases` or `both`), checked instead of the sales ones
/// they do not use: the purchases journal is where purchases are read (research §2.6).
pub const PURCHASE_SCOPES: &[(&str, &str, bool)] = &[
    (
        "accounting-entry.read",
        "the purchases journal cannot be read: purchases (supplier invoices and credit notes) cannot be pulled, every pull fails",
        true,
    ),
    (
        "ocr.read",
        "Sellsy's incoming documents are not read: supplier files still pending or in error there are not listed in the log (purchases are booked all the same)",
        false,
    ),
];

/// The sales scopes purchases do not need (a dossier of scope `purchases` is not asked for them).
const SALES_ONLY: &[&str] = &[
    "invoices.read",
    "credit-notes.read",
    "companies.read",
    "individuals.read",
];

/// The scopes a client of this scope is checked for, each with what its absence disables.
pub fn scopes_for(sales: bool, purchases: bool) -> Vec<(&'static str, &'static str, bool)> {
    let mut out: Vec<(&str, &str, bool)> = SCOPES
        .iter()
        .copied()
        .filter(|(s, _, _)| sales || !SALES_ONLY.contains(s))
        .filter(|(s, _, _)| !(purchases && *s == "accounting-entry.read"))
        .collect();
    if purchases {
        out.extend(PURCHASE_SCOPES.iter().copied());
    }
    if sales && purchases {
        for s in out
            .iter_mut()
            .filter(|(s, _, _)| *s == "accounting-entry.read")
        {
            s.1 = "the sales and purchases journals cannot be read: purchases cannot be pulled, every pull fails";
        }
    }
    out
}

fn probe(scope: &str) -> Call {
    let filters = || json!({ "filters": {} });
    match scope {
        "invoices.read" => Call::post("/invoices/search", "invoices.read", filters()).q("limit", 1),
        "credit-notes.read" => {
            Call::post("/credit-notes/search", "credit-notes.read", filters()).q("limit", 1)
        }
        "companies.read" => Call::get("/companies", "companies.read").q("limit", 1),
        "individuals.read" => Call::get("/individuals", "individuals.read").q("limit", 1),
        "accounting-codes.read" => {
            Call::get("/accounting-codes", "accounting-codes.read").q("limit", 1)
        }
        "taxes.read" => Call::get("/taxes", "taxes.read").q("limit", 1),
        "accounting-settings.read" => {
            Call::get("/settings/accounting-charts", "accounting-settings.read")
        }
        "ocr.read" => Call::post("/ocr/pur-invoice/search", "ocr.read", filters()).q("limit", 1),
        _ => Call::get("/quotas", "accounts.read"),
    }
}

impl SellsyClient {
    /// Checks the credentials and each scope, and reads `GET /quotas`. A missing scope is
    /// listed with what it disables, never an error; an answer that is not a refusal (a 400,
    /// an unreadable body) says nothing about the scope and is only logged.
    pub async fn check_connection(&self) -> Result<ConnectionReport, SellsyError> {
        let mut report = ConnectionReport::default();
        let cfg = &self.inner.cfg;
        for (scope, disables, blocks_pull) in scopes_for(cfg.pulls_sales(), cfg.pulls_purchases()) {
            let outcome = if scope == "accounts.read" {
                self.call_json::<wire::Quotas>(probe(scope)).await.map(|q| {
                    report.limit_per_second = q.api_rate_seconds.as_ref().and_then(|r| r.limit);
                    report.limit_per_minute = q.api_rate_minutes.as_ref().and_then(|r| r.limit);
                    report.limit_per_day = q.api_rate_days.as_ref().and_then(|r| r.limit);
                    report.used_today = q.api_rate_days.as_ref().and_then(|r| r.used);
                    self.inner
                        .pacer
                        .set_limits(report.limit_per_second, report.limit_per_minute);
                })
            } else if scope == "accounting-entry.read" {
                self.journal_names(&mut report).await
            } else {
                self.call(probe(scope)).await.map(|_| ())
            };
            match outcome {
                Ok(()) => {}
                Err(SellsyError::Forbidden { .. }) => {
                    report.missing_scopes.push(scope.to_string());
                    report.disabled.push(MissingScope {
                        scope: scope.to_string(),
                        disables: disables.to_string(),
                        blocks_pull,
                    });
                }
                Err(e) if ends_the_pull(&e) => return Err(e),
                Err(e) => tracing::warn!(scope, error = %e, "sellsy: scope probe inconclusive"),
            }
        }
        tracing::info!(missing_scopes = ?report.missing_scopes, "sellsy: connection checked");
        Ok(report)
    }

    /// Probes `accounting-entry.read` on each journal the dossier reads (the sales journal for
    /// sales, the purchases journal for purchases) and notes the journal names of its most
    /// recent lines (one page), so that `test-connection` can tell two journals that would share
    /// one code before any is booked (issue 14, defect 9).
    async fn journal_names(&self, report: &mut ConnectionReport) -> Result<(), SellsyError> {
        let cfg = &self.inner.cfg;
        let books = [
            (Book::Sales, cfg.pulls_sales()),
            (Book::Purchases, cfg.pulls_purchases()),
        ];
        for (book, read) in books {
            if !read {
                continue;
            }
            let body = json!({ "filters": { "include_exported_entries": true } });
            let call = Call::post(book.path(), "accounting-entry.read", body)
                .q("limit", JOURNAL_PROBE_LINES)
                .q("direction", "desc");
            let page: wire::Page<Value> = self.call_json(call).await?;
            let names = match book {
                Book::Sales => &mut report.sales_journals,
                Book::Purchases => &mut report.purchase_journals,
            };
            for line in &page.data {
                let name = line
                    .get("type")
                    .and_then(|t| wire::lenient::text_of(t).ok().flatten());
                if let Some(name) = name.map(|n| n.trim().to_string())
                    && !name.is_empty()
                    && !names.contains(&name)
                {
                    names.push(name);
                }
            }
        }
        Ok(())
    }
}

/// How many of a journal's latest lines `test-connection` reads for their journal names.
const JOURNAL_PROBE_LINES: u32 = 100;
