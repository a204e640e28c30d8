//! A readable PDF of an XML e-invoice, for ledgers that attach PDFs only: the invoice's data
//! (read by this crate's own reader) laid out on A4 pages, with the original XML embedded
//! unchanged as the PDF's attachment (`/Names /EmbeddedFiles` and the catalog's `/AF`, the
//! file specification `/AFRelationship /Source`, subtype `text/xml`). The footer of every page
//! says the PDF is a visualisation and the attached XML is the invoice.
//!
//! It is not a Factur-X / PDF/A-3 file and claims nothing of the kind (no XMP metadata), and
//! the attachment never bears one of the names [`crate::detect`] reads a PDF's invoice from
//! ([`crate::pdf::INVOICE_FILE_NAMES`]): taken in again, the PDF is no e-invoice, so nothing is
//! counted twice. Same input, same bytes (no date, no random id), so re-pushes are identical.

mod layout;
mod sections;

use lopdf::{Dictionary, Document, Object, Stream, StringFormat};
use thiserror::Error;

use crate::error::ReadError;
use crate::model::Invoice;
use crate::read::read_xml;
use crate::xml::Limits;

pub use layout::MAX_PAGES;
pub use sections::{LINE_PAGES, MAX_ROWS};

/// Why no PDF was written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RenderError {
    /// The XML is not an invoice this crate reads.
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("the PDF cannot be written: {0}")]
    Pdf(String),
}

/// The attachment's name when the original's would make the PDF look like a Factur-X,
/// ZUGFeRD or XRechnung one.
pub const RENAMED_ATTACHMENT: &str = "invoice-source.xml";

/// Reads the e-invoice `xml` (CII, ZUGFeRD 1.0, UBL Invoice or CreditNote) and writes its
/// readable PDF, embedding `xml` under `file_name`'s name.
pub fn readable_pdf(xml: &[u8], file_name: &str) -> Result<Vec<u8>, RenderError> {
    let invoice = read_xml(xml, &Limits::default())?;
    readable_pdf_of(&invoice, xml, file_name)
}

/// [`readable_pdf`] for an invoice already read from `xml` (a detected file's).
pub fn readable_pdf_of(
    invoice: &Invoice,
    xml: &[u8],
    file_name: &str,
) -> Result<Vec<u8>, RenderError> {
    let attachment = attachment_name(file_name);
    let mut pages = layout::Pages::new();
    sections::write(&mut pages, invoice, &attachment);
    let footer = [
        "Visualisation générée par passerelle à partir des données de la facture électronique. Elle n'est pas la facture :"
            .to_string(),
        format!(
            "la facture est le fichier XML original, joint sans modification à ce PDF ({attachment})."
        ),
    ];
    let contents = pages.finish(&footer);
    let title = match &invoice.number {
        Some(n) => format!("{} {n}", sections::title(invoice)),
        None => sections::title(invoice),
    };
    assemble(contents, xml, &attachment, &title)
}

/// The name the original XML is attached under: `file_name` without its folders, ending in
/// `.xml`, and [`RENAMED_ATTACHMENT`] instead of a name Factur-X, ZUGFeRD or XRechnung give
/// their embedded invoice.
pub fn attachment_name(file_name: &str) -> String {
    let base = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .take(120)
        .collect::<String>();
    let base = base.trim();
    if base.is_empty() || base.eq_ignore_ascii_case(".xml") {
        return RENAMED_ATTACHMENT.into();
    }
    let named = if base.to_ascii_lowercase().ends_with(".xml") {
        base.to_string()
    } else {
        format!("{base}.xml")
    };
    let reserved = crate::pdf::INVOICE_FILE_NAMES
        .iter()
        .any(|n| n.eq_ignore_ascii_case(named.trim()));
    if reserved {
        RENAMED_ATTACHMENT.into()
    } else {
        named
    }
}

fn name(n: &str) -> Object {
    Object::Name(n.as_bytes().to_vec())
}

/// The attachment name in ASCII, for `/F` and the name tree (`/UF` keeps it whole).
fn ascii(text: &str) -> Object {
    let bytes = text
        .chars()
        .map(|c| if c.is_ascii() { c as u8 } else { b'_' })
        .collect();
    Object::String(bytes, StringFormat::Literal)
}

fn assemble(
    contents: Vec<Vec<u8>>,
    xml: &[u8],
    attachment: &str,
    title: &str,
) -> Result<Vec<u8>, RenderError> {
    let failed = |e: lopdf::Error| RenderError::Pdf(e.to_string());
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = |base: &str| {
        Dictionary::from_iter(vec![
            ("Type", name("Font")),
            ("Subtype", name("Type1")),
            ("BaseFont", name(base)),
            ("Encoding", name("WinAnsiEncoding")),
        ])
    };
    let regular = doc.add_object(font("Helvetica"));
    let bold = doc.add_object(font("Helvetica-Bold"));
    let resources = doc.add_object(Dictionary::from_iter(vec![(
        "Font",
        Object::Dictionary(Dictionary::from_iter(vec![
            ("F1", Object::Reference(regular)),
            ("F2", Object::Reference(bold)),
        ])),
    )]));
    let mut kids = Vec::with_capacity(contents.len());
    for content in contents {
        let mut stream = Stream::new(Dictionary::new(), content);
        stream.compress().map_err(failed)?;
        let content_id = doc.add_object(stream);
        kids.push(Object::Reference(doc.add_object(Dictionary::from_iter(
            vec![
                ("Type", name("Page")),
                ("Parent", Object::Reference(pages_id)),
                (
                    "MediaBox",
                    Object::Array(vec![
                        0.into(),
                        0.into(),
                        Object::Real(layout::PAGE_WIDTH),
                        Object::Real(layout::PAGE_HEIGHT),
                    ]),
                ),
                ("Resources", Object::Reference(resources)),
                ("Contents", Object::Reference(content_id)),
            ],
        ))));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(Dictionary::from_iter(vec![
            ("Type", name("Pages")),
            ("Kids", Object::Array(kids)),
            ("Count", Object::Integer(count)),
        ])),
    );
    let mut file = Stream::new(
        Dictionary::from_iter(vec![
            ("Type", name("EmbeddedFile")),
            ("Subtype", name("text/xml")),
            (
                "Params",
                Object::Dictionary(Dictionary::from_iter(vec![(
                    "Size",
                    Object::Integer(xml.len() as i64),
                )])),
            ),
        ]),
        xml.to_vec(),
    );
    file.compress().map_err(failed)?;
    let file_id = doc.add_object(file);
    let spec_id = doc.add_object(Dictionary::from_iter(vec![
        ("Type", name("Filespec")),
        ("F", ascii(attachment)),
        ("UF", lopdf::text_string(attachment)),
        (
            "Desc",
            lopdf::text_string("Facture électronique originale (XML)"),
        ),
        ("AFRelationship", name("Source")),
        (
            "EF",
            Object::Dictionary(Dictionary::from_iter(vec![
                ("F", Object::Reference(file_id)),
                ("UF", Object::Reference(file_id)),
            ])),
        ),
    ]));
    let names = Dictionary::from_iter(vec![(
        "EmbeddedFiles",
        Object::Dictionary(Dictionary::from_iter(vec![(
            "Names",
            Object::Array(vec![ascii(attachment), Object::Reference(spec_id)]),
        )])),
    )]);
    let catalog_id = doc.add_object(Dictionary::from_iter(vec![
        ("Type", name("Catalog")),
        ("Pages", Object::Reference(pages_id)),
        ("Names", Object::Dictionary(names)),
        ("AF", Object::Array(vec![Object::Reference(spec_id)])),
        ("PageMode", name("UseAttachments")),
    ]));
    let info_id = doc.add_object(Dictionary::from_iter(vec![
        ("Title", lopdf::text_string(title)),
        ("Producer", lopdf::text_string("passerelle")),
    ]));
    doc.trailer.set("Root", Object::Reference(catalog_id));
    doc.trailer.set("Info", Object::Reference(info_id));
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|e| RenderError::Pdf(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests;
