//! The FEC, "fichier des écritures comptables" (art. A47 A-1 of the Livre des procédures
//! fiscales; BOI-CF-IOR-60-40-20): the 18 columns in order with their exact names, one line per
//! entry line, tab or `|` separated, comma decimals, dates AAAAMMJJ, numbering continuous per
//! journal in the order of validation (booking), named `<SIREN>FEC<closing date AAAAMMJJ>.txt`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use chrono::NaiveDate;
use thiserror::Error;

mod description;
mod format;

pub use description::{describe, describe_summary, description_name};
pub use format::{COLUMNS, Charset, FecFile, FecOptions, FecSummary, Separator};

use crate::entry::LedgerEntry;
use crate::mapping::clean;
use crate::money::{format_comma, format_dot};

/// An entry as booked: its EcritureNum and ValidDate are fixed once, when it is booked, and
/// never change afterwards (art. A47 A-1 LPF: a validated entry is intangible).
#[derive(Debug, Clone, PartialEq)]
pub struct BookedEntry {
    pub entry: LedgerEntry,
    /// Sequence number within its journal and fiscal year, from 1, in booking order; written
    /// `<journal>-<number on 6 digits>` in EcritureNum.
    pub number: u64,
    /// The day it was booked (validated), in the dossier's time zone: the FEC's ValidDate.
    pub validated_on: NaiveDate,
}

/// The next EcritureNum of each journal, numbering entries in the order they are booked
/// (continuous per journal within the fiscal year).
#[derive(Debug, Clone, Default)]
pub struct Numbering {
    last: BTreeMap<String, u64>,
}

impl Numbering {
    /// Continues the numbering of entries already booked.
    pub fn after(booked: &[BookedEntry]) -> Numbering {
        let mut n = Numbering::default();
        for b in booked {
            let last = n.last.entry(b.entry.journal_code.clone()).or_insert(0);
            *last = (*last).max(b.number);
        }
        n
    }

    /// The number the next entry booked in `journal` takes.
    pub fn next(&mut self, journal: &str) -> u64 {
        let last = self.last.entry(journal.to_string()).or_insert(0);
        *last += 1;
        *last
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FecError {
    #[error("'{0}' is not a SIREN: the FEC file is named after the company's 9-digit SIREN")]
    BadSiren(String),
    #[error(
        "entry {piece} of {date} is outside the fiscal year {start} – {end}: each fiscal year has its own FEC"
    )]
    OutsideFiscalYear {
        piece: String,
        date: NaiveDate,
        start: NaiveDate,
        end: NaiveDate,
    },
    #[error("entry {piece} is unbalanced (debit {debit}, credit {credit}); the FEC is not written")]
    Unbalanced {
        piece: String,
        debit: String,
        credit: String,
    },
    #[error(
        "entry {0} is a draft: a FEC holds validated entries only (there is no brouillard in it)"
    )]
    Draft(String),
    #[error(
        "entry {piece} is number {number} of journal {journal}, {expected} was expected: EcritureNum must be continuous in booking order"
    )]
    Numbering {
        piece: String,
        journal: String,
        number: u64,
        expected: u64,
    },
    #[error(
        "entry {piece} was validated on {validated_on}, before its date {date} or before the entry booked ahead of it: the file is in validation order"
    )]
    ValidationOrder {
        piece: String,
        date: NaiveDate,
        validated_on: NaiveDate,
    },
    #[error("cannot write the FEC: {0}")]
    Io(String),
}

/// `<SIREN>FEC<AAAAMMJJ>.txt`, the closing date of the fiscal year.
pub fn file_name(siren: &str, closing: NaiveDate) -> String {
    format!("{siren}FEC{}.txt", closing.format("%Y%m%d"))
}

/// Writes the FEC of one fiscal year from its booked entries, in booking order (which is the
/// order of validation, and the order of the file).
pub fn write_fec(
    booked: &[BookedEntry],
    siren: &str,
    fiscal_year: (NaiveDate, NaiveDate),
    options: FecOptions,
) -> Result<FecFile, FecError> {
    let mut bytes = Vec::with_capacity(booked.len() * 6 * 160 + 256);
    let mut writer = FecWriter::new(&mut bytes, siren, fiscal_year, options)?;
    for b in booked {
        writer.push(b)?;
    }
    let summary = writer.finish()?;
    Ok(FecFile {
        name: file_name(siren, fiscal_year.1),
        bytes,
        summary,
    })
}

/// Streams a FEC to `out`, one entry at a time (a year never has to be held in memory); checks
/// as it goes that numbering is continuous per journal and that the file is in validation order.
pub struct FecWriter<W: Write> {
    out: W,
    options: FecOptions,
    fiscal_year: (NaiveDate, NaiveDate),
    expected: BTreeMap<String, u64>,
    last_validated: Option<NaiveDate>,
    summary: FecSummary,
    line: String,
    /// The label each account (CompteLib) and auxiliary account (CompAuxLib) got first in this
    /// file: one label per account, the first in validation order wins.
    names: BTreeMap<(bool, String), String>,
}

impl<W: Write> FecWriter<W> {
    /// Writes the header line.
    pub fn new(
        out: W,
        siren: &str,
        fiscal_year: (NaiveDate, NaiveDate),
        options: FecOptions,
    ) -> Result<FecWriter<W>, FecError> {
        if !crate::config::is_valid_siren(siren) {
            return Err(FecError::BadSiren(siren.to_string()));
        }
        let mut w = FecWriter {
            out,
            options,
            fiscal_year,
            expected: BTreeMap::new(),
            last_validated: None,
            summary: FecSummary::default(),
            line: String::with_capacity(512),
            names: BTreeMap::new(),
        };
        w.line = COLUMNS.join(&w.sep().to_string());
        w.line.push_str("\r\n");
        w.flush_line()?;
        Ok(w)
    }

    fn sep(&self) -> char {
        match self.options.separator {
            Separator::Tab => '\t',
            Separator::Pipe => '|',
        }
    }

    fn flush_line(&mut self) -> Result<(), FecError> {
        let written = match self.options.charset {
            Charset::Utf8 => self.out.write_all(self.line.as_bytes()),
            Charset::Iso8859_15 => self
                .out
                .write_all(&encoding_rs::ISO_8859_15.encode(&self.line).0),
        };
        self.line.clear();
        written.map_err(|e| FecError::Io(e.to_string()))
    }

    fn check(&mut self, b: &BookedEntry) -> Result<(), FecError> {
        let e = &b.entry;
        let (start, end) = self.fiscal_year;
        if e.draft {
            return Err(FecError::Draft(e.piece_ref.clone()));
        }
        if e.date < start || e.date > end {
            return Err(FecError::OutsideFiscalYear {
                piece: e.piece_ref.clone(),
                date: e.date,
                start,
                end,
            });
        }
        if !e.is_balanced() {
            return Err(FecError::Unbalanced {
                piece: e.piece_ref.clone(),
                debit: format_dot(e.total_debit()),
                credit: format_dot(e.total_credit()),
            });
        }
        let expected = self.expected.entry(e.journal_code.clone()).or_insert(1);
        if b.number != *expected {
            return Err(FecError::Numbering {
                piece: e.piece_ref.clone(),
                journal: e.journal_code.clone(),
                number: b.number,
                expected: *expected,
            });
        }
        *expected += 1;
        if b.validated_on < e.date || self.last_validated.is_some_and(|l| b.validated_on < l) {
            return Err(FecError::ValidationOrder {
                piece: e.piece_ref.clone(),
                date: e.date,
                validated_on: b.validated_on,
            });
        }
        self.last_validated = Some(b.validated_on);
        Ok(())
    }

    /// Appends one booked entry (the next in booking order).
    pub fn push(&mut self, b: &BookedEntry) -> Result<(), FecError> {
        self.check(b)?;
        let (charset, sep) = (self.options.charset, self.sep());
        let e = &b.entry;
        let journal = field(&e.journal_code, charset);
        let number = format!("{journal}-{:06}", b.number);
        let date = e.date.format("%Y%m%d").to_string();
        let piece_date = e.piece_date.format("%Y%m%d").to_string();
        let valid = b.validated_on.format("%Y%m%d").to_string();
        let (journal_label, piece) = (
            field(&e.journal_label, charset),
            field(&e.piece_ref, charset),
        );
        for l in e.lines() {
            let (aux_num, aux_lib) = match &l.auxiliary {
                Some(a) => {
                    let num = field(&a.code, charset);
                    let lib = self.name((true, num.clone()), &a.label);
                    (num, lib)
                }
                None => (String::new(), String::new()),
            };
            let account = field(&l.account, charset);
            let account_label = self.name((false, account.clone()), &l.account_label);
            let label = match field(&l.label, charset) {
                s if s.is_empty() => field(&e.label, charset),
                s => s,
            };
            let values: [&str; 18] = [
                &journal,
                &journal_label,
                &number,
                &date,
                &account,
                &account_label,
                &aux_num,
                &aux_lib,
                &piece,
                &piece_date,
                &label,
                &format_comma(l.debit),
                &format_comma(l.credit),
                "",
                "",
                &valid,
                "",
                "",
            ];
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    self.line.push(sep);
                }
                self.line.push_str(v);
            }
            self.line.push_str("\r\n");
            self.flush_line()?;
            self.summary.lines += 1;
            self.summary.total_debit += l.debit;
            self.summary.total_credit += l.credit;
        }
        self.summary.entries += 1;
        *self
            .summary
            .journals
            .entry(e.journal_code.clone())
            .or_insert(0) += 1;
        Ok(())
    }

    /// The label of an account (`true`: auxiliary) in this file: the first one it was given.
    fn name(&mut self, account: (bool, String), label: &str) -> String {
        let charset = self.options.charset;
        self.names
            .entry(account)
            .or_insert_with(|| field(label, charset))
            .clone()
    }

    /// Flushes the output; the counts and totals of what was written.
    pub fn finish(mut self) -> Result<FecSummary, FecError> {
        self.out.flush().map_err(|e| FecError::Io(e.to_string()))?;
        Ok(self.summary)
    }
}

/// Free text for one FEC field: no separator, newline or control character can shift columns;
/// in ISO-8859-15, characters the charset lacks are transliterated to ASCII ("—" → "--") rather
/// than turned into the HTML entities encoding_rs would write.
fn field(text: &str, charset: Charset) -> String {
    let cleaned = clean(text);
    if charset == Charset::Utf8 || cleaned.is_ascii() {
        return cleaned;
    }
    let encoding = encoding_rs::ISO_8859_15;
    if !encoding.encode(&cleaned).2 {
        return cleaned;
    }
    let mut safe = String::with_capacity(cleaned.len());
    let mut buf = [0u8; 4];
    for c in cleaned.chars() {
        if encoding.encode(c.encode_utf8(&mut buf)).2 {
            let _ = write!(safe, "{}", deunicode::deunicode_char(c).unwrap_or("?"));
        } else {
            safe.push(c);
        }
    }
    clean(&safe)
}
