//! What a FEC file is made of and how it is written: its columns, separator, character set,
//! and the summary its description gives (a leaf: the writer and the description use it).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

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

/// A written FEC file.
#[derive(Debug, Clone, PartialEq)]
pub struct FecFile {
    pub name: String,
    pub bytes: Vec<u8>,
    pub summary: FecSummary,
}

/// What a FEC holds: counts and totals, for its description file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FecSummary {
    pub entries: usize,
    pub lines: usize,
    pub total_debit: Decimal,
    pub total_credit: Decimal,
    /// Entries per journal code.
    pub journals: BTreeMap<String, usize>,
}
