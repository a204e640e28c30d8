//! The FEC, "fichier des écritures comptables" (art. A47 A-1 of the Livre des procédures
//! fiscales; BOI-CF-IOR-60-40-20): the 18 columns in order with their exact names, one line per
//! entry line, tab or `|` separated, comma decimals, dates AAAAMMJJ, numbering continuous per
//! journal in chronological order, named `<SIREN>FEC<closing date AAAAMMJJ>.txt`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use thiserror::Error;

use crate::entry::LedgerEntry;
use crate::mapping::clean;
use crate::money::{format_comma, format_dot};

/// The 18 column names, in order (BIC/IS regime).
pub const COLUMNS: [&str; 18] = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
];

/// The field separator: the text allows any single unambiguous one; tab and `|` are the usual.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    Tab,
    Pipe,
}

/// Character set of the file: the text names ASCII, ISO 8859-15 and EBCDIC; the DGFiP's test tool
/// also reads UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Iso8859_15,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FecOptions {
    pub separator: Separator,
    pub charset: Charset,
}

impl Default for FecOptions {
    fn default() -> Self {
        FecOptions {
            separator: Separator::Tab,
            charset: Charset::Utf8,
        }
    }
}

/// An entry as booked: the FEC's ValidDate is the day it was validated in the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct BookedEntry {
    pub entry: LedgerEntry,
    pub validated_on: NaiveDate,
}

/// A written FEC file.
#[derive(Debug, Clone, PartialEq)]
pub struct FecFile {
    pub name: String,
    pub bytes: Vec<u8>,
    pub entries: usize,
    pub lines: usize,
    /// Draft entries are not validated, so they are not part of the FEC.
    pub drafts_left_out: usize,
    pub total_debit: Decimal,
    pub total_credit: Decimal,
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
}

/// `<SIREN>FEC<AAAAMMJJ>.txt`, the closing date of the fiscal year.
pub fn file_name(siren: &str, closing: NaiveDate) -> String {
    format!("{siren}FEC{}.txt", closing.format("%Y%m%d"))
}

/// Writes the FEC of one fiscal year from booked entries (in any order).
pub fn write_fec(
    booked: &[BookedEntry],
    siren: &str,
    fiscal_year: (NaiveDate, NaiveDate),
    options: FecOptions,
) -> Result<FecFile, FecError> {
    if !crate::config::is_valid_siren(siren) {
        return Err(FecError::BadSiren(siren.to_string()));
    }
    let (start, end) = fiscal_year;
    let mut validated: Vec<&BookedEntry> = Vec::with_capacity(booked.len());
    let mut drafts_left_out = 0;
    for b in booked {
        let e = &b.entry;
        if e.draft {
            drafts_left_out += 1;
            continue;
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
        validated.push(b);
    }
    // Chronological order, then by piece and source so the numbering is reproducible.
    validated.sort_by(|a, b| {
        (
            a.entry.date,
            &a.entry.journal_code,
            &a.entry.piece_ref,
            a.entry.source.key(),
        )
            .cmp(&(
                b.entry.date,
                &b.entry.journal_code,
                &b.entry.piece_ref,
                b.entry.source.key(),
            ))
    });

    let sep = match options.separator {
        Separator::Tab => '\t',
        Separator::Pipe => '|',
    };
    let mut text = String::with_capacity(validated.len() * 6 * 160 + 256);
    text.push_str(&COLUMNS.join(&sep.to_string()));
    text.push_str("\r\n");
    let mut next_number: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut lines, mut total_debit, mut total_credit) = (0usize, Decimal::ZERO, Decimal::ZERO);
    for b in &validated {
        let e = &b.entry;
        let counter = next_number.entry(e.journal_code.as_str()).or_insert(0);
        *counter += 1;
        let number = format!("{}-{:06}", field(&e.journal_code, options.charset), counter);
        let date = e.date.format("%Y%m%d").to_string();
        let piece_date = e.piece_date.format("%Y%m%d").to_string();
        let valid = b.validated_on.max(e.date).format("%Y%m%d").to_string();
        for l in e.lines() {
            let (aux_num, aux_lib) = match &l.auxiliary {
                Some(a) => (
                    field(&a.code, options.charset),
                    field(&a.label, options.charset),
                ),
                None => (String::new(), String::new()),
            };
            let label = match field(&l.label, options.charset) {
                s if s.is_empty() => field(&e.label, options.charset),
                s => s,
            };
            let values: [&str; 18] = [
                &field(&e.journal_code, options.charset),
                &field(&e.journal_label, options.charset),
                &number,
                &date,
                &field(&l.account, options.charset),
                &field(&l.account_label, options.charset),
                &aux_num,
                &aux_lib,
                &field(&e.piece_ref, options.charset),
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
                    text.push(sep);
                }
                text.push_str(v);
            }
            text.push_str("\r\n");
            lines += 1;
            total_debit += l.debit;
            total_credit += l.credit;
        }
    }
    let bytes = match options.charset {
        Charset::Utf8 => text.into_bytes(),
        Charset::Iso8859_15 => encoding_rs::ISO_8859_15.encode(&text).0.into_owned(),
    };
    Ok(FecFile {
        name: file_name(siren, end),
        bytes,
        entries: validated.len(),
        lines,
        drafts_left_out,
        total_debit,
        total_credit,
    })
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
