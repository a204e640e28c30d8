//! Ledger entries: what is booked. An entry can only be built balanced.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::document::SourceRef;
use crate::money::{format_dot, round_cents};

/// An auxiliary (third-party) account under a collective one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Auxiliary {
    /// The auxiliary code ("DUPONT").
    pub code: String,
    /// The third party's name ("Dupont SARL").
    pub label: String,
}

/// One line of an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryLine {
    /// General ledger account number ("411000", "706000", "445711").
    pub account: String,
    /// Label of that account (the FEC's CompteLib).
    pub account_label: String,
    pub auxiliary: Option<Auxiliary>,
    pub label: String,
    pub debit: Decimal,
    pub credit: Decimal,
}

/// A file attached to an entry (the invoice PDF).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRef {
    pub location: String,
    pub file_name: String,
    pub sha256: Option<String>,
}

/// A balanced ledger entry ("écriture").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub journal_code: String,
    pub journal_label: String,
    pub date: NaiveDate,
    /// Supporting document reference (the invoice number): FEC PieceRef.
    pub piece_ref: String,
    pub piece_date: NaiveDate,
    pub label: String,
    pub currency: String,
    lines: Vec<EntryLine>,
    /// Which source document produced it.
    pub source: SourceRef,
    pub draft: bool,
    pub attachments: Vec<AttachmentRef>,
}

/// Why an entry cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EntryError {
    #[error("entry {piece}: no line")]
    Empty { piece: String },
    #[error(
        "entry {piece}: line {index} on account {account} has an amount with more than 2 decimals or a negative amount (debit {debit}, credit {credit})"
    )]
    BadAmount {
        piece: String,
        index: usize,
        account: String,
        debit: String,
        credit: String,
    },
    #[error("entry {piece}: line {index} on account {account} has both a debit and a credit")]
    BothSides {
        piece: String,
        index: usize,
        account: String,
    },
    #[error("entry {piece}: line {index} on account {account} is zero on both sides")]
    ZeroLine {
        piece: String,
        index: usize,
        account: String,
    },
    #[error(
        "entry {piece} is unbalanced: debit {debit}, credit {credit} (difference {difference})"
    )]
    Unbalanced {
        piece: String,
        debit: String,
        credit: String,
        difference: String,
    },
}

/// Everything but the lines, to build an entry with [`LedgerEntry::new`].
#[derive(Debug, Clone)]
pub struct EntryHeader {
    pub journal_code: String,
    pub journal_label: String,
    pub date: NaiveDate,
    pub piece_ref: String,
    pub piece_date: NaiveDate,
    pub label: String,
    pub currency: String,
    pub source: SourceRef,
    pub draft: bool,
    pub attachments: Vec<AttachmentRef>,
}

impl LedgerEntry {
    /// Builds an entry, refusing anything a ledger would refuse: no line, an amount that is
    /// negative or not in cents, a line with both sides or none, debit ≠ credit.
    pub fn new(header: EntryHeader, lines: Vec<EntryLine>) -> Result<LedgerEntry, EntryError> {
        let piece = header.piece_ref.clone();
        if lines.is_empty() {
            return Err(EntryError::Empty { piece });
        }
        let (mut debit, mut credit) = (Decimal::ZERO, Decimal::ZERO);
        for (index, line) in lines.iter().enumerate() {
            let in_cents = |d: Decimal| d >= Decimal::ZERO && round_cents(d) == d;
            if !in_cents(line.debit) || !in_cents(line.credit) {
                return Err(EntryError::BadAmount {
                    piece,
                    index,
                    account: line.account.clone(),
                    debit: line.debit.to_string(),
                    credit: line.credit.to_string(),
                });
            }
            if !line.debit.is_zero() && !line.credit.is_zero() {
                return Err(EntryError::BothSides {
                    piece,
                    index,
                    account: line.account.clone(),
                });
            }
            if line.debit.is_zero() && line.credit.is_zero() {
                return Err(EntryError::ZeroLine {
                    piece,
                    index,
                    account: line.account.clone(),
                });
            }
            debit += line.debit;
            credit += line.credit;
        }
        if debit != credit {
            return Err(EntryError::Unbalanced {
                piece,
                debit: format_dot(debit),
                credit: format_dot(credit),
                difference: format_dot(debit - credit),
            });
        }
        Ok(LedgerEntry {
            journal_code: header.journal_code,
            journal_label: header.journal_label,
            date: header.date,
            piece_ref: header.piece_ref,
            piece_date: header.piece_date,
            label: header.label,
            currency: header.currency,
            lines,
            source: header.source,
            draft: header.draft,
            attachments: header.attachments,
        })
    }

    pub fn lines(&self) -> &[EntryLine] {
        &self.lines
    }

    pub fn total_debit(&self) -> Decimal {
        self.lines.iter().map(|l| l.debit).sum()
    }

    pub fn total_credit(&self) -> Decimal {
        self.lines.iter().map(|l| l.credit).sum()
    }

    /// Always true for an entry built by [`LedgerEntry::new`]; kept for checks on deserialized data.
    pub fn is_balanced(&self) -> bool {
        self.total_debit() == self.total_credit()
    }

    /// Re-checks the invariants (for entries read back from a store).
    pub fn revalidate(self) -> Result<LedgerEntry, EntryError> {
        let LedgerEntry {
            journal_code,
            journal_label,
            date,
            piece_ref,
            piece_date,
            label,
            currency,
            lines,
            source,
            draft,
            attachments,
        } = self;
        LedgerEntry::new(
            EntryHeader {
                journal_code,
                journal_label,
                date,
                piece_ref,
                piece_date,
                label,
                currency,
                source,
                draft,
                attachments,
            },
            lines,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocumentKind;
    use rust_decimal_macros::dec;

    fn header() -> EntryHeader {
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        EntryHeader {
            journal_code: "VT".into(),
            journal_label: "Ventes".into(),
            date: d,
            piece_ref: "F1".into(),
            piece_date: d,
            label: "x".into(),
            currency: "EUR".into(),
            source: SourceRef {
                source: "sellsy".into(),
                kind: DocumentKind::SalesInvoice,
                source_id: "1".into(),
            },
            draft: false,
            attachments: vec![],
        }
    }

    fn line(account: &str, debit: Decimal, credit: Decimal) -> EntryLine {
        EntryLine {
            account: account.into(),
            account_label: account.into(),
            auxiliary: None,
            label: "l".into(),
            debit,
            credit,
        }
    }

    #[test]
    fn refuses_unbalanced_and_malformed_entries() {
        let ok = LedgerEntry::new(
            header(),
            vec![
                line("411000", dec!(12), dec!(0)),
                line("706000", dec!(0), dec!(10)),
                line("445711", dec!(0), dec!(2)),
            ],
        )
        .unwrap();
        assert!(ok.is_balanced());
        let err = LedgerEntry::new(
            header(),
            vec![
                line("411000", dec!(12), dec!(0)),
                line("706000", dec!(0), dec!(10)),
            ],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "entry F1 is unbalanced: debit 12.00, credit 10.00 (difference 2.00)"
        );
        assert!(matches!(
            LedgerEntry::new(header(), vec![line("411000", dec!(1.001), dec!(0))]),
            Err(EntryError::BadAmount { .. })
        ));
        assert!(matches!(
            LedgerEntry::new(header(), vec![line("411000", dec!(1), dec!(1))]),
            Err(EntryError::BothSides { .. })
        ));
        assert!(matches!(
            LedgerEntry::new(header(), vec![line("411000", dec!(0), dec!(0))]),
            Err(EntryError::ZeroLine { .. })
        ));
        assert!(matches!(
            LedgerEntry::new(header(), vec![]),
            Err(EntryError::Empty { .. })
        ));
    }
}
