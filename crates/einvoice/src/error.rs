//! Why a file is refused before its invoice is read, and why reading it failed.

use thiserror::Error;

/// A file refused as hostile or unreadable: nothing of it is booked.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    #[error("the {what} is {size} bytes, above the limit of {limit} bytes")]
    TooLarge {
        what: &'static str,
        size: usize,
        limit: usize,
    },
    #[error(
        "the XML carries a document type declaration (DTD); e-invoices never do, and DTDs are how external-entity (XXE) and entity-expansion attacks work"
    )]
    Dtd,
    #[error("the XML has more than {0} nodes")]
    TooManyNodes(u32),
    #[error("the XML nests elements more than {0} deep")]
    TooDeep(usize),
    #[error("the XML is not well-formed: {0}")]
    MalformedXml(String),
    #[error("the XML text is not valid {0}")]
    BadEncoding(String),
    #[error("the PDF embeds {name} but it cannot be read: {reason}")]
    EmbeddedUnreadable { name: String, reason: String },
}

impl Refusal {
    /// What a person should do about it.
    pub fn action(&self) -> &'static str {
        match self {
            Refusal::TooLarge { .. } => {
                "ask the supplier to send the invoice alone, or book it by hand"
            }
            Refusal::Dtd | Refusal::TooManyNodes(_) | Refusal::TooDeep(_) => {
                "do not open the file; ask the sender to re-issue the invoice from their invoicing software"
            }
            Refusal::MalformedXml(_)
            | Refusal::BadEncoding(_)
            | Refusal::EmbeddedUnreadable { .. } => "ask the supplier to re-issue the invoice",
        }
    }
}

/// A recognised e-invoice whose content cannot be read into the EN 16931 model.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReadError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("the XML's root element is not an invoice: {0}")]
    NotAnInvoice(String),
}

impl ReadError {
    pub fn action(&self) -> &'static str {
        match self {
            ReadError::Refused(r) => r.action(),
            ReadError::NotAnInvoice(_) => "ask the supplier to re-issue the invoice",
        }
    }
}
