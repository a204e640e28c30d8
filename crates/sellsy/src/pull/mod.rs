//! Pulling a dossier's documents for a date window, fetching one document, its PDF, and the
//! connection check.
//!
//! One answer never costs the night: a document, journal line or reference item that cannot be
//! read or used is recorded in `Pulled::problems` with its Sellsy id, the reason and the action
//! (held or skipped), and the pull goes on. Only what concerns every document ends the pull:
//! the source unavailable after retries, credentials refused, the plan exhausted, a listing of
//! documents that cannot be read at all (see `findings::ends_the_pull`).

mod connection;
mod findings;
mod journal;
mod paging;
mod pdf;
mod purchases;
mod reference;
mod routes;

use std::collections::HashSet;

use app::ports::{
    DocRef, DocRefKind, ProblemFate, ProblemSubject, PullMode, PullStats, PullWindow, Pulled,
};
use chrono::{Duration as Days, NaiveDate};
use domain::{SourceDocument, SourceRef};
use futures_util::{StreamExt, TryStreamExt};
use serde_json::json;

use findings::{Findings, action_for, ends_the_pull};
pub use pdf::{check_file, check_pdf};
use routes::{domain_kind, route};

use crate::client::{Call, SellsyClient};
use crate::convert::{self, Notes, Refs};
use crate::error::SellsyError;
use crate::wire;

/// Finalized statuses: drafts are never pulled (research §2.2, §2.3).
const INVOICE_STATUSES: &[&str] = &["due", "payinprogress", "paid", "late", "cancelled"];
const CREDIT_NOTE_STATUSES: &[&str] = &["stored", "partialspend", "spent", "cancelled"];
const CUSTOMER_EMBEDS: &[&str] = &["company", "individual"];
const SUPPORT: &str = "send this message to Sellsy support; passerelle asks again at every sync";

/// A document a search listed, to be read with `GET /{id}`.
#[derive(Debug, Clone)]
struct Listed {
    kind: DocRefKind,
    id: u64,
    number: Option<String>,
    date: Option<NaiveDate>,
}

/// What reading one document gave.
#[allow(clippy::large_enum_variant)] // one value per document, moved once
enum Fetched {
    Document(SourceDocument),
    /// A draft, or dated outside the window after all: not pulled.
    NotPulled,
    /// 404: the document is not (or no longer) there.
    Gone,
    Problem {
        reason: String,
        action: String,
        number: Option<String>,
        date: Option<NaiveDate>,
    },
}

impl SellsyClient {
    fn doc_subject(
        &self,
        kind: DocRefKind,
        id: &str,
        number: Option<String>,
        date: Option<NaiveDate>,
    ) -> ProblemSubject {
        ProblemSubject::Document {
            source: SourceRef {
                source: self.inner.cfg.source_name.clone(),
                kind: domain_kind(kind),
                source_id: id.to_string(),
            },
            number,
            date,
        }
    }

    fn one_call(kind: DocRefKind, id: u64) -> Call {
        let (base, scope) = route(kind);
        let mut c = Call::get(format!("{base}/{id}"), scope);
        for e in CUSTOMER_EMBEDS {
            c = c.q("embed[]", e);
        }
        c
    }

    /// The number of the invoice a credit note cancels (research §2.3: the credit note has no
    /// invoice reference; the link is its own route). Unreadable, it is unknown (a note).
    async fn linked_invoice_number(
        &self,
        credit_note: u64,
        notes: &mut Notes,
    ) -> Result<Option<String>, SellsyError> {
        let mut number = None;
        let call = Call::get(
            format!("/credit-notes/{credit_note}/invoices"),
            "invoices.read",
        );
        let listed = self
            .paginate(call, |d| {
                if number.is_none() {
                    number = wire::ListItem::of(&d).number;
                }
                true
            })
            .await;
        match listed {
            Ok(_) => Ok(number),
            Err(e) if ends_the_pull(&e) => Err(e),
            Err(e) => {
                notes.note(format!(
                    "the invoice it cancels could not be read ({e}); its entry names no invoice"
                ));
                Ok(None)
            }
        }
    }

    /// Reads one document with its rows and customer. `window`: a document dated outside it
    /// is not pulled (`None`: any date, for a re-fetch).
    async fn read_document(
        &self,
        doc: &Listed,
        window: Option<PullWindow>,
        refs: &Refs,
    ) -> Result<(Fetched, Notes), SellsyError> {
        let mut notes = Notes::default();
        let problem = |reason: String, action: &str, number, date| Fetched::Problem {
            reason,
            action: action.to_string(),
            number,
            date,
        };
        let answer = match self.call(Self::one_call(doc.kind, doc.id)).await {
            Ok(v) => v,
            Err(e) if ends_the_pull(&e) => return Err(e),
            Err(SellsyError::Api { status: 404, .. }) => return Ok((Fetched::Gone, notes)),
            Err(e) => {
                let action = match &e {
                    SellsyError::Forbidden { .. } => "give the Sellsy user of the API client access to this document (or the scope named above); passerelle reads it again at every sync".to_string(),
                    _ => action_for(&e, "the document is held"),
                };
                let p = problem(
                    format!("Sellsy refused to send it: {e}"),
                    &action,
                    doc.number.clone(),
                    doc.date,
                );
                return Ok((p, notes));
            }
        };
        let d: wire::Document = match wire::decode(answer) {
            Ok(d) => d,
            Err(e) => {
                let reason = format!("Sellsy's answer could not be read: {e}");
                return Ok((
                    problem(reason, SUPPORT, doc.number.clone(), doc.date),
                    notes,
                ));
            }
        };
        let number = d.number.clone().or_else(|| doc.number.clone());
        let date = d.date.or(doc.date);
        if let Some(other) = d.id.filter(|i| *i != doc.id as i64) {
            let reason = format!(
                "Sellsy answered with document id {other} when asked for {}",
                doc.id
            );
            return Ok((problem(reason, SUPPORT, number, date), notes));
        }
        let out_of_window = window.is_some_and(|w| d.date.is_some_and(|x| !w.contains(x)));
        if d.status.as_deref() == Some("draft") || out_of_window {
            return Ok((Fetched::NotPulled, notes));
        }
        let linked = match doc.kind {
            DocRefKind::CreditNote => self.linked_invoice_number(doc.id, &mut notes).await?,
            _ => None,
        };
        let source = &self.inner.cfg.source_name;
        let fetched =
            match convert::document(doc.kind, doc.id, &d, refs, linked, source, &mut notes) {
                Ok(document) => Fetched::Document(document),
                Err(u) => problem(u.reason, &u.action, number, date),
            };
        Ok((fetched, notes))
    }

    /// A search result: the document to fetch, or why not (a problem, or nothing: a draft, a
    /// document outside the window).
    fn listed(
        &self,
        kind: DocRefKind,
        item: &wire::ListItem,
        window: Option<PullWindow>,
        f: &mut Findings,
    ) -> Option<Listed> {
        if item.status.as_deref() == Some("draft")
            || window.is_some_and(|w| item.date.is_some_and(|d| !w.contains(d)))
        {
            return None;
        }
        let unreadable = |id: String, why: String, f: &mut Findings| {
            let subject = self.doc_subject(kind, &id, item.number.clone(), item.date);
            f.problem(subject, ProblemFate::Held, why, SUPPORT);
        };
        match item.id {
            Some(id) if id > 0 => Some(Listed {
                kind,
                id: id as u64,
                number: item.number.clone(),
                date: item.date,
            }),
            Some(id) => {
                let why = format!(
                    "Sellsy listed it with id {id}, which cannot be read back (document ids are positive)"
                );
                unreadable(id.to_string(), why, f);
                None
            }
            None => {
                let id = format!("unknown-{}", item.number.as_deref().unwrap_or("?"));
                let why = "Sellsy's search listed it without an id: it cannot be read".to_string();
                unreadable(id, why, f);
                None
            }
        }
    }

    /// Finalized invoices dated in the window (`POST /invoices/search`).
    async fn invoice_ids(
        &self,
        w: PullWindow,
        skipped: &mut u64,
        f: &mut Findings,
    ) -> Result<Vec<Listed>, SellsyError> {
        let body = json!({ "filters": {
            "date": { "start": w.from.to_string(), "end": w.to.to_string() },
            "status": INVOICE_STATUSES,
        }});
        let call = Call::post("/invoices/search", "invoices.read", body)
            .q("order", "date")
            .q("direction", "asc");
        let mut items = Vec::new();
        let listing = self
            .paginate(call, |v| {
                items.push(wire::ListItem::of(&v));
                true
            })
            .await?;
        self.listing_warning("POST /invoices/search", listing, f);
        Ok(self.take_listed(DocRefKind::Invoice, items, w, skipped, f))
    }

    /// Finalized credit notes dated in the window. research §2.3: no date filter, so list by
    /// creation date, newest first, and stop once past the window (with a grace for documents
    /// dated before they were created).
    async fn credit_note_ids(
        &self,
        w: PullWindow,
        skipped: &mut u64,
        f: &mut Findings,
    ) -> Result<Vec<Listed>, SellsyError> {
        let body = json!({ "filters": { "status": CREDIT_NOTE_STATUSES } });
        let call = Call::post("/credit-notes/search", "credit-notes.read", body)
            .q("order", "created")
            .q("direction", "desc");
        let stop_before = w.from - Days::days(self.inner.cfg.credit_note_grace_days.max(0));
        let mut items = Vec::new();
        let listing = self
            .paginate(call, |v| {
                let item = wire::ListItem::of(&v);
                // Keep listing while creation dates may still hold documents of the window.
                let go_on = item.created.is_none_or(|c| c.date_naive() >= stop_before);
                items.push(item);
                go_on
            })
            .await?;
        self.listing_warning("POST /credit-notes/search", listing, f);
        Ok(self.take_listed(DocRefKind::CreditNote, items, w, skipped, f))
    }

    fn take_listed(
        &self,
        kind: DocRefKind,
        items: Vec<wire::ListItem>,
        w: PullWindow,
        skipped: &mut u64,
        f: &mut Findings,
    ) -> Vec<Listed> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for item in items {
            match self.listed(kind, &item, Some(w), f) {
                Some(l) if seen.insert(l.id) => out.push(l),
                Some(_) => {}
                None if item.id.is_some_and(|i| i > 0) => *skipped += 1,
                None => {}
            }
        }
        out
    }

    fn listing_warning(&self, what: &str, listing: paging::Listing, f: &mut Findings) {
        if let Some(why) = listing.incomplete {
            f.warn(
                what,
                format!("{why}; the documents not listed are not pulled this time"),
                "run the sync again; if it persists, send this message to Sellsy support",
            );
        }
    }

    async fn fetch_all(
        &self,
        listed: Vec<Listed>,
        window: PullWindow,
        refs: &Refs,
        skipped: &mut u64,
        f: &mut Findings,
    ) -> Result<Vec<SourceDocument>, SellsyError> {
        let conc = self.inner.cfg.concurrency.max(1);
        let fetched: Vec<(Listed, Fetched, Notes)> = futures_util::stream::iter(listed)
            .map(|doc| async move {
                let (fetched, notes) = self.read_document(&doc, Some(window), refs).await?;
                Ok::<_, SellsyError>((doc, fetched, notes))
            })
            .buffered(conc)
            .try_collect()
            .await?;
        let mut documents = Vec::new();
        for (doc, fetched, notes) in fetched {
            let id = doc.id.to_string();
            let label = self
                .doc_subject(doc.kind, &id, doc.number.clone(), doc.date)
                .label();
            f.notes(&label, notes);
            match fetched {
                Fetched::Document(d) => documents.push(d),
                Fetched::NotPulled => *skipped += 1,
                Fetched::Gone => f.problem(
                    self.doc_subject(doc.kind, &id, doc.number, doc.date),
                    ProblemFate::Held,
                    "Sellsy's search listed it, but reading it answered 404 (not found)",
                    "check in Sellsy whether the document still exists; passerelle reads it again at every sync",
                ),
                Fetched::Problem {
                    reason,
                    action,
                    number,
                    date,
                } => f.problem(
                    self.doc_subject(doc.kind, &id, number, date),
                    ProblemFate::Held,
                    reason,
                    action,
                ),
            }
        }
        Ok(documents)
    }

    /// Every finalized invoice and credit note dated in `window` (sales, purchases or both:
    /// the dossier's scope, `SellsyConfig::scope`), each once; what cannot be used is in
    /// `problems`.
    pub async fn pull_window(
        &self,
        window: PullWindow,
        mode: PullMode,
    ) -> Result<Pulled, SellsyError> {
        let span = tracing::info_span!("sellsy_pull", from = %window.from, to = %window.to, ?mode);
        tracing::Instrument::instrument(self.pull_inner(window, mode), span).await
    }

    async fn pull_inner(&self, window: PullWindow, mode: PullMode) -> Result<Pulled, SellsyError> {
        let before = self.stats();
        let mut f = Findings::default();
        self.read_quotas(&mut f).await?;
        let refs = self.reference_data_noting(&mut f).await?;
        let mut skipped = 0;
        let mut documents = Vec::new();
        let mut journal = Vec::new();
        if self.inner.cfg.pulls_sales() {
            let invoices = self.invoice_ids(window, &mut skipped, &mut f).await?;
            let credit_notes = self.credit_note_ids(window, &mut skipped, &mut f).await?;
            tracing::info!(
                invoices = invoices.len(),
                credit_notes = credit_notes.len(),
                "sellsy: documents to fetch"
            );
            let mut listed = invoices;
            listed.extend(credit_notes);
            documents = self
                .fetch_all(listed, window, &refs, &mut skipped, &mut f)
                .await?;
            if mode == PullMode::Journal {
                journal = self.journal(window, &mut documents, &mut f).await?;
            }
        }
        if self.inner.cfg.pulls_purchases() {
            let (purchases, lines) = self.purchases(window, mode, &refs, &mut f).await?;
            documents.extend(purchases);
            journal.extend(lines);
        }
        let after = self.stats();
        Ok(Pulled {
            documents,
            journal,
            problems: f.problems,
            warnings: f.warnings,
            stats: PullStats {
                requests: after.requests - before.requests,
                retries: after.retries - before.retries,
                throttled_429: after.throttled_429 - before.throttled_429,
                token_renewals: after.token_renewals - before.token_renewals,
                skipped,
            },
        })
    }

    /// One document, read again (e.g. after a webhook). `None` for a draft or an unknown id;
    /// a document that cannot be used is an error naming the reason.
    pub async fn fetch_document(&self, doc: DocRef) -> Result<Option<SourceDocument>, SellsyError> {
        if matches!(
            doc.kind,
            DocRefKind::PurchaseInvoice | DocRefKind::PurchaseCreditNote
        ) {
            return Err(SellsyError::Decode {
                what: format!("{} {}", route(doc.kind).0, doc.id),
                reason: "Sellsy API v2 has no route to read one purchase; the nightly pull reads purchases from the purchases journal".into(),
            });
        }
        let refs = self.reference_data().await?;
        let listed = Listed {
            kind: doc.kind,
            id: doc.id,
            number: None,
            date: None,
        };
        match self.read_document(&listed, None, &refs).await?.0 {
            Fetched::Document(d) => Ok(Some(d)),
            Fetched::NotPulled | Fetched::Gone => Ok(None),
            Fetched::Problem { reason, .. } => Err(SellsyError::Decode {
                what: format!("{} {}", route(doc.kind).0, doc.id),
                reason,
            }),
        }
    }
}
