//! Recognises an e-invoice among collected files: a Factur-X / ZUGFeRD PDF, a CII XML (D16B or
//! ZUGFeRD 1.0), a UBL Invoice or CreditNote; tells other XML (refused with a reason) and
//! files that are not e-invoices at all (left to the ordinary document intake).

use crate::error::{ReadError, Refusal};
use crate::model::Invoice;
use crate::pdf::{self, PdfContent};
use crate::read::{Format, identify, read_root};
use crate::xml::{self, Limits};

/// Where the invoice XML was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Container {
    /// The file is the XML itself.
    Xml,
    /// A PDF (Factur-X / ZUGFeRD) embedding the XML under this file name.
    Pdf { attachment: String },
}

/// A recognised e-invoice file, already read (the XML is parsed once, when it is detected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EInvoiceFile {
    pub container: Container,
    pub format: Format,
    /// The invoice XML (for a PDF: the embedded file, decompressed).
    pub xml: Vec<u8>,
    /// Its EN 16931 model; [`crate::read`] hands out a copy, [`EInvoiceFile::into_invoice`]
    /// the value itself.
    pub invoice: Invoice,
}

impl EInvoiceFile {
    pub fn into_invoice(self) -> Invoice {
        self.invoice
    }

    /// "Factur-X PDF (CII)", "UBL Invoice".
    pub fn kind_label(&self) -> String {
        match &self.container {
            Container::Xml => self.format.label().to_string(),
            Container::Pdf { attachment } => {
                format!("PDF with {attachment} ({})", self.format.label())
            }
        }
    }
}

/// What a file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    /// An e-invoice: read it with [`crate::read`].
    EInvoice(Box<EInvoiceFile>),
    /// Well-formed XML that is not an invoice of a known syntax: refused with this reason.
    OtherXml { reason: String },
    /// Refused before being read (hostile or unreadable XML, an unreadable embedded invoice).
    Refused(Refusal),
    /// Not an e-invoice (a PDF without invoice XML, an image, a spreadsheet...): the ordinary
    /// document intake handles it. For a PDF, the note says what was found.
    NotEInvoice { note: Option<String> },
}

/// Tells what a file is, within the default limits.
pub fn detect(bytes: &[u8], file_name: &str) -> Detection {
    detect_with_limits(bytes, file_name, &Limits::default())
}

pub fn detect_with_limits(bytes: &[u8], file_name: &str, limits: &Limits) -> Detection {
    if bytes.len() > limits.max_file_bytes {
        return Detection::Refused(Refusal::TooLarge {
            what: "file",
            size: bytes.len(),
            limit: limits.max_file_bytes,
        });
    }
    if pdf::looks_like_pdf(bytes) {
        return match pdf::embedded_invoice(bytes, limits) {
            PdfContent::Invoice { name, xml } => {
                match classify_xml(&xml, limits) {
                    Ok((format, invoice)) => Detection::EInvoice(Box::new(EInvoiceFile {
                        container: Container::Pdf { attachment: name },
                        format,
                        xml,
                        invoice,
                    })),
                    Err(Classified::Refused(r)) => Detection::Refused(match r {
                        // An embedded file that does not parse names the attachment.
                        Refusal::MalformedXml(reason) | Refusal::BadEncoding(reason) => {
                            Refusal::EmbeddedUnreadable { name, reason }
                        }
                        other => other,
                    }),
                    Err(Classified::Other(reason)) => Detection::OtherXml {
                        reason: format!("the PDF's {name}: {reason}"),
                    },
                }
            }
            PdfContent::Unreadable { name, reason } => {
                Detection::Refused(Refusal::EmbeddedUnreadable { name, reason })
            }
            PdfContent::NoInvoice { note } => Detection::NotEInvoice { note: Some(note) },
        };
    }
    let named_xml = file_name.to_ascii_lowercase().ends_with(".xml");
    if !named_xml && !looks_like_xml(bytes) {
        return Detection::NotEInvoice { note: None };
    }
    match classify_xml(bytes, limits) {
        Ok((format, invoice)) => Detection::EInvoice(Box::new(EInvoiceFile {
            container: Container::Xml,
            format,
            xml: bytes.to_vec(),
            invoice,
        })),
        Err(Classified::Refused(r)) => Detection::Refused(r),
        Err(Classified::Other(reason)) => Detection::OtherXml { reason },
    }
}

/// Whether the content starts like XML: `<` after an optional BOM and white space (UTF-8), or
/// a UTF-16 BOM.
fn looks_like_xml(bytes: &[u8]) -> bool {
    // A UTF-16 BOM, or UTF-16BE without one (XML 1.0 Appendix F: 00 3C).
    if bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
        || bytes.starts_with(&[0, b'<'])
    {
        return true;
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    body.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'<')
}

enum Classified {
    Refused(Refusal),
    Other(String),
}

fn classify_xml(bytes: &[u8], limits: &Limits) -> Result<(Format, Invoice), Classified> {
    let text = xml::decode(bytes).map_err(Classified::Refused)?;
    let doc = xml::parse(&text, limits).map_err(Classified::Refused)?;
    let root = doc.root_element();
    let format = identify(root).map_err(Classified::Other)?;
    Ok((format, read_root(root, format)))
}

/// The invoice of a detected file (read when it was detected, so this cannot fail today; the
/// `Result` keeps room for readers that do more).
pub fn read(file: &EInvoiceFile) -> Result<Invoice, ReadError> {
    Ok(file.invoice.clone())
}
