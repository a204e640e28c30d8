//! Purchases (scope `purchases` or `both`): supplier invoices and credit notes rebuilt from the
//! purchases journal (see `convert::purchase`), and the incoming documents Sellsy has not turned
//! into a purchase yet (`POST /ocr/pur-invoice/search`), listed in the log, never booked.

use std::collections::HashMap;

use app::ports::{ProblemFate, ProblemSubject, PullMode, PullWindow};
use chrono::Duration as Days;
use domain::{SourceDocument, SourceJournalLine, SourceRef};
use serde_json::json;

use super::findings::{Findings, action_for, ends_the_pull};
use super::journal::{Book, PURCHASE_LINE_ACTION, Read};
use crate::client::{Call, SellsyClient};
use crate::convert::{self, Notes, PurchaseHead, Refs};
use crate::error::SellsyError;
use crate::wire;

const OCR_SEARCH: &str = "/ocr/pur-invoice/search";
const FINISH_INTAKE: &str = "validate the purchase invoice in Sellsy once its intake is complete (Purchases > Incoming documents); passerelle books it from the purchases journal at the next sync";
const REDO_INTAKE: &str = "send the file to Sellsy again, or enter the purchase invoice by hand (Purchases > Invoices); passerelle books it at the next sync";

/// One purchase as its journal lines tell it.
struct Group {
    source: SourceRef,
    number: Option<String>,
    head: PurchaseHead,
    lines: Vec<SourceJournalLine>,
}

impl SellsyClient {
    /// Purchase documents dated in `w` (with their journal lines in mode `journal`); what
    /// cannot be used is in `f`.
    pub(super) async fn purchases(
        &self,
        w: PullWindow,
        mode: PullMode,
        refs: &Refs,
        f: &mut Findings,
    ) -> Result<(Vec<SourceDocument>, Vec<SourceJournalLine>), SellsyError> {
        let intakes = self.incoming(w, f).await?;
        let Read { lines, troubles } = self.read_journal(Book::Purchases, w, f).await?;
        let mut order: Vec<String> = Vec::new();
        let mut groups: HashMap<String, Group> = HashMap::new();
        for (line, raw) in lines {
            let key = line.document.key();
            let group = groups.entry(key.clone()).or_insert_with(|| {
                order.push(key.clone());
                Group {
                    source: line.document.clone(),
                    number: None,
                    head: PurchaseHead::default(),
                    lines: Vec::new(),
                }
            });
            if let Ok(decoded) = wire::decode::<wire::JournalLine>(raw.clone()) {
                group.head.read(&decoded, &raw);
            }
            if group.number.is_none() && !line.document_number.trim().is_empty() {
                group.number = Some(line.document_number.clone());
            }
            group.lines.push(line);
        }
        // A purchase with a line that cannot be used is held: its entry would be incomplete.
        for t in troubles {
            let key = t.document.key();
            let group = groups.remove(&key);
            if f.problems.iter().any(|p| p.subject.key() == key) {
                continue;
            }
            f.problem(
                ProblemSubject::Document {
                    source: t.document.clone(),
                    number: group.as_ref().and_then(|g| g.number.clone()),
                    date: group.as_ref().and_then(|g| g.lines.first()).map(|l| l.date),
                },
                ProblemFate::Held,
                format!(
                    "its purchases-journal line {} cannot be used: {}",
                    t.line, t.reason
                ),
                PURCHASE_LINE_ACTION,
            );
        }
        let strict = mode == PullMode::Documents;
        let mut documents = Vec::new();
        let mut journal = Vec::new();
        for key in order {
            let Some(g) = groups.remove(&key) else {
                continue;
            };
            let ocr = g
                .source
                .source_id
                .parse::<i64>()
                .ok()
                .and_then(|id| intakes.get(&id));
            let mut notes = Notes::default();
            let built = convert::purchase_document(
                g.source.clone(),
                g.number.clone(),
                &g.head,
                &g.lines,
                refs,
                strict,
                ocr,
                &mut notes,
            );
            let subject = ProblemSubject::Document {
                source: g.source.clone(),
                number: g.number.clone(),
                date: g.lines.first().map(|l| l.date),
            };
            f.notes(&subject.label(), notes);
            match built {
                Ok(d) => {
                    documents.push(d);
                    if mode == PullMode::Journal {
                        journal.extend(g.lines);
                    }
                }
                Err(u) => f.problem(subject, ProblemFate::Held, u.reason, u.action),
            }
        }
        tracing::info!(
            purchases = documents.len(),
            intakes = intakes.len(),
            "sellsy: purchases read"
        );
        Ok((documents, journal))
    }

    /// The incoming documents created in the window (and the grace before it): completed ones
    /// by the purchase invoice they became; the others are listed in the log with the action.
    /// Unreadable (no `ocr.read`), purchases are booked from the journal all the same.
    async fn incoming(
        &self,
        w: PullWindow,
        f: &mut Findings,
    ) -> Result<HashMap<i64, wire::Ocr>, SellsyError> {
        let call = Call::post(OCR_SEARCH, "ocr.read", json!({ "filters": {} }))
            .q("order", "created_at")
            .q("direction", "desc");
        let stop_before = w.from - Days::days(self.inner.cfg.credit_note_grace_days.max(0));
        let mut items = Vec::new();
        let listed = self
            .paginate(call, |v| {
                let created = v
                    .get("created_at")
                    .and_then(|c| wire::lenient::de_time_or_unknown(c).ok().flatten());
                let go_on = created.is_none_or(|c| c.date_naive() >= stop_before);
                items.push(v);
                go_on
            })
            .await;
        match listed {
            Ok(listing) => {
                if let Some(why) = listing.incomplete {
                    f.warn(
                        format!("POST {OCR_SEARCH}"),
                        format!("{why}; incoming documents not listed are not reported this time"),
                        "no action needed; the next sync lists them",
                    );
                }
            }
            Err(e) if ends_the_pull(&e) => return Err(e),
            Err(e) => {
                f.warn(
                    format!("POST {OCR_SEARCH}"),
                    format!("Sellsy's incoming documents could not be read ({e}): files still pending or in error there are not listed"),
                    action_for(&e, "purchases are booked from the purchases journal all the same"),
                );
                return Ok(HashMap::new());
            }
        }
        let mut done = HashMap::new();
        for item in items {
            let o = match wire::decode::<wire::Ocr>(item) {
                Ok(o) => o,
                Err(e) => {
                    f.problem(
                        self.intake_subject(None),
                        ProblemFate::Skipped,
                        format!("Sellsy's answer could not be read: {e}"),
                        "no action needed: purchases are booked from the purchases journal",
                    );
                    continue;
                }
            };
            let created = o.created_at.map(|c| c.date_naive());
            if created.is_some_and(|c| c < stop_before || c > w.to) {
                continue;
            }
            self.intake(o, &mut done, f);
        }
        Ok(done)
    }

    fn intake_subject(&self, id: Option<i64>) -> ProblemSubject {
        ProblemSubject::Reference {
            source: self.inner.cfg.source_name.clone(),
            what: "incoming document".into(),
            id: id.map(|i| i.to_string()),
        }
    }

    /// One incoming document: completed, kept by the purchase it became; otherwise listed.
    fn intake(&self, o: wire::Ocr, done: &mut HashMap<i64, wire::Ocr>, f: &mut Findings) {
        let file = o
            .file_name
            .clone()
            .unwrap_or_else(|| "(no file name)".into());
        let via = match o.source.as_deref() {
            Some("einvoicing") => "received by e-invoicing",
            Some("ocr") => "read by Sellsy's OCR",
            _ => "received",
        };
        let supplier = o
            .supplier
            .as_deref()
            .map(|s| format!(" from {s}"))
            .unwrap_or_default();
        let subject = self.intake_subject(o.id);
        match (o.state.as_deref(), o.linked_id) {
            (Some("completed"), Some(linked)) => {
                done.insert(linked, o);
            }
            (Some("completed"), None) => f.problem(
                subject,
                ProblemFate::Skipped,
                format!("{file}{supplier} ({via}) is complete in Sellsy but no purchase invoice is linked to it yet: nothing is booked"),
                FINISH_INTAKE,
            ),
            (Some(state @ ("pending" | "processing")), _) => f.problem(
                subject,
                ProblemFate::Skipped,
                format!("{file}{supplier} ({via}) is still {state} in Sellsy: not booked"),
                FINISH_INTAKE,
            ),
            (Some("error"), _) => f.problem(
                subject,
                ProblemFate::Held,
                format!("Sellsy could not take in {file}{supplier} ({via}): {}; not booked", o.error_text()),
                REDO_INTAKE,
            ),
            (state, _) => f.problem(
                subject,
                ProblemFate::Skipped,
                format!("{file}{supplier} ({via}) is in state {:?}, which passerelle does not know: not booked", state.unwrap_or("(none)")),
                FINISH_INTAKE,
            ),
        }
    }
}
