//! The sales journal (mode `journal`): Sellsy's own lines, grouped later by document. A line
//! that cannot be used holds its document (its entry would be incomplete); a line that names no
//! document is held on its own.

use std::collections::HashMap;

use app::ports::{ProblemFate, ProblemSubject, PullWindow};
use domain::{SourceDocument, SourceJournalLine, SourceRef};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::findings::Findings;
use crate::client::{Call, SellsyClient};
use crate::convert::{self, Notes};
use crate::error::SellsyError;
use crate::wire;

const LINE_ACTION: &str = "check the line in Sellsy's sales journal (Accounting > Sales journal); passerelle reads it again at every sync";
pub(super) const PURCHASE_LINE_ACTION: &str = "check the line in Sellsy's purchases journal (Accounting > Purchases journal); passerelle reads it again at every sync";

/// Which of Sellsy's journals a line comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Book {
    Sales,
    Purchases,
}

impl Book {
    pub(super) fn path(self) -> &'static str {
        match self {
            Book::Sales => "/accounting-journal/sells/search",
            Book::Purchases => "/accounting-journal/purchases/search",
        }
    }
    fn name(self) -> &'static str {
        match self {
            Book::Sales => "sales-journal",
            Book::Purchases => "purchases-journal",
        }
    }
    pub(super) fn action(self) -> &'static str {
        match self {
            Book::Sales => LINE_ACTION,
            Book::Purchases => PURCHASE_LINE_ACTION,
        }
    }
}

/// A line of a document that cannot be used.
pub(super) struct Trouble {
    pub(super) document: SourceRef,
    pub(super) line: String,
    pub(super) reason: String,
}

/// What reading one of Sellsy's journals gave: the lines that can be used, with their raw
/// JSON, and the troubles of the documents whose lines cannot be.
pub(super) struct Read {
    pub(super) lines: Vec<(SourceJournalLine, Value)>,
    pub(super) troubles: Vec<Trouble>,
}

impl SellsyClient {
    /// Every line of one of Sellsy's journals dated in the window.
    pub(super) async fn read_journal(
        &self,
        book: Book,
        w: PullWindow,
        f: &mut Findings,
    ) -> Result<Read, SellsyError> {
        // research §2.5: the default of include_exported_entries is unconfirmed: always send it.
        let body = json!({ "filters": {
            "date": { "start": w.from.to_string(), "end": w.to.to_string() },
            "include_exported_entries": true,
        }});
        let call = Call::post(book.path(), "accounting-entry.read", body);
        let mut raw = Vec::new();
        let listing = self
            .paginate(call, |l| {
                raw.push(l);
                true
            })
            .await?;
        if let Some(why) = listing.incomplete {
            f.warn(
                format!("POST {}", book.path()),
                format!("{why}; documents whose lines were not read are rejected as unbalanced"),
                "run the sync again; if it persists, send this message to Sellsy support",
            );
        }
        let mut read = Read {
            lines: Vec::new(),
            troubles: Vec::new(),
        };
        let mut stand_ins: HashMap<String, u32> = HashMap::new();
        for item in raw {
            if let Some(line) = self.line(book, &item, w, &mut stand_ins, &mut read.troubles, f) {
                read.lines.push((line, item));
            }
        }
        Ok(read)
    }

    pub(super) async fn journal(
        &self,
        w: PullWindow,
        documents: &mut Vec<SourceDocument>,
        f: &mut Findings,
    ) -> Result<Vec<SourceJournalLine>, SellsyError> {
        let Read { lines, troubles } = self.read_journal(Book::Sales, w, f).await?;
        let mut lines: Vec<SourceJournalLine> = lines.into_iter().map(|(l, _)| l).collect();
        // A document with a line that cannot be used is held: its entry would be incomplete.
        for t in troubles {
            let key = t.document.key();
            let reason = format!(
                "its sales-journal line {} cannot be used: {}",
                t.line, t.reason
            );
            match documents.iter().position(|d| d.key() == key) {
                Some(i) => {
                    let d = documents.remove(i);
                    f.problem(
                        ProblemSubject::Document {
                            source: d.source.clone(),
                            number: Some(d.number.clone()),
                            date: Some(d.date),
                        },
                        ProblemFate::Held,
                        reason,
                        LINE_ACTION,
                    );
                }
                // Already held for this document, or a document the pull does not bring.
                None if f.problems.iter().any(|p| p.subject.key() == key) => {}
                None => f.problem(
                    ProblemSubject::JournalLine {
                        source: self.inner.cfg.source_name.clone(),
                        id: t.line,
                        date: None,
                    },
                    ProblemFate::Held,
                    format!(
                        "{} {}: {}",
                        t.document.kind.as_str(),
                        t.document.source_id,
                        reason
                    ),
                    LINE_ACTION,
                ),
            }
        }
        let held: Vec<String> = f.problems.iter().map(|p| p.subject.key()).collect();
        lines.retain(|l| !held.contains(&l.document.key()));
        Ok(lines)
    }

    /// One raw journal line: the line, or nothing (outside the window, a problem recorded).
    fn line(
        &self,
        book: Book,
        item: &Value,
        w: PullWindow,
        stand_ins: &mut HashMap<String, u32>,
        troubles: &mut Vec<Trouble>,
        f: &mut Findings,
    ) -> Option<SourceJournalLine> {
        let source = &self.inner.cfg.source_name;
        let decoded = wire::decode::<wire::JournalLine>(item.clone());
        let date = decoded.as_ref().ok().and_then(|l| l.date);
        if date.is_some_and(|d| !w.contains(d)) {
            return None;
        }
        let id = match item
            .get("id")
            .and_then(|v| wire::lenient::de_int(v).ok().flatten())
        {
            Some(id) => id.to_string(),
            // No id (the spec requires none): a stand-in from the line's content, stable from
            // one run to the next; identical lines are kept apart by their rank.
            None => {
                let digest = hex::encode(Sha256::digest(item.to_string().as_bytes()));
                let n = stand_ins.entry(digest[..12].to_string()).or_default();
                *n += 1;
                format!("noid-{}-{n}", &digest[..12])
            }
        };
        let Some((kind, doc_id, number)) = wire::line_document(item) else {
            f.problem(
                ProblemSubject::JournalLine {
                    source: source.clone(),
                    id,
                    date,
                },
                ProblemFate::Held,
                "it names no document (document is null, and documents[] and related[] name no single invoice or credit note): it is not booked, and the entry of its document may be incomplete",
                book.action(),
            );
            return None;
        };
        let in_book = |k: domain::DocumentKind| k.is_sales() == (book == Book::Sales);
        let doc_kind = convert::document_kind(&kind);
        if book == Book::Purchases
            && let Some(k) = doc_kind.filter(|k| !in_book(*k))
        {
            f.problem(
                ProblemSubject::JournalLine {
                    source: source.clone(),
                    id,
                    date,
                },
                ProblemFate::Skipped,
                format!(
                    "it belongs to a {}, not a purchase",
                    k.as_str().replace('_', " ")
                ),
                "no action needed",
            );
            return None;
        }
        let Some(doc_kind) = doc_kind else {
            f.problem(
                ProblemSubject::JournalLine {
                    source: source.clone(),
                    id,
                    date,
                },
                ProblemFate::Skipped,
                format!("it belongs to a {kind:?}, not an invoice or a credit note"),
                "no action needed",
            );
            return None;
        };
        let document = SourceRef {
            source: source.clone(),
            kind: doc_kind,
            source_id: doc_id.to_string(),
        };
        let mut trouble = |reason: String| {
            troubles.push(Trouble {
                document: document.clone(),
                line: id.clone(),
                reason,
            })
        };
        let line = match decoded {
            Ok(l) => l,
            Err(e) => {
                trouble(format!("it could not be read: {e}"));
                return None;
            }
        };
        let mut notes = Notes::default();
        match convert::journal_line(&line, id.clone(), document.clone(), number, &mut notes) {
            Ok(mut l) => {
                if book == Book::Purchases && line.journal_type.is_none() {
                    l.journal = "PURCHASES".into();
                }
                f.notes(&format!("{} line {id}", book.name()), notes);
                Some(l)
            }
            Err(reason) => {
                trouble(reason);
                None
            }
        }
    }
}
