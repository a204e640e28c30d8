//! Finds the invoice XML a Factur-X / ZUGFeRD PDF embeds: the file specifications of the
//! catalog's `/AF` array (PDF/A-3, ISO 19005-3 §6.8) and of its `/Names /EmbeddedFiles` name tree
//! (ISO 32000-1 §7.11.4, §7.9.6), whose name is one the Factur-X 1.0.07 / ZUGFeRD 2.3 standards
//! give (§ "Embedded file name"). Streams decompress within the XML size limit.

use lopdf::{Dictionary, Document, LoadOptions, Object};

use crate::xml::Limits;

/// File names of the embedded invoice, compared without case (ZUGFeRD 1.0 writes
/// `ZUGFeRD-invoice.xml`), in order of preference: factur-x.xml first when a PDF carries
/// several, as Factur-X makes it the one to read.
pub const INVOICE_FILE_NAMES: &[&str] = &["factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"];

/// Deepest name tree walked, and most file specifications looked at.
const MAX_TREE_DEPTH: usize = 16;
const MAX_FILE_SPECS: usize = 1_000;

/// What a PDF holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfContent {
    /// The embedded invoice XML: its file name as written, and its bytes.
    Invoice { name: String, xml: Vec<u8> },
    /// An embedded invoice file was found but cannot be extracted.
    Unreadable { name: String, reason: String },
    /// A PDF without an invoice attachment (or one that cannot be parsed as a PDF at all).
    NoInvoice { note: String },
}

/// Whether the bytes look like a PDF: `%PDF-` in the first 1024 bytes (ISO 32000-1 §7.5.2; the
/// header may follow some junk, as readers accept).
pub fn looks_like_pdf(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
}

/// Looks for the invoice XML in a PDF.
pub fn embedded_invoice(bytes: &[u8], limits: &Limits) -> PdfContent {
    let options = LoadOptions {
        max_decompressed_size: Some(limits.max_xml_bytes.max(4 * 1024 * 1024)),
        ..LoadOptions::default()
    };
    // lopdf parses hostile input; a panic inside it must not take the caller down with it.
    let loaded = std::panic::catch_unwind(|| Document::load_mem_with_options(bytes, options));
    let doc = match loaded {
        Ok(Ok(doc)) => doc,
        Ok(Err(e)) => {
            return PdfContent::NoInvoice {
                note: format!("the PDF cannot be parsed: {e}"),
            };
        }
        Err(_) => {
            return PdfContent::NoInvoice {
                note: "the PDF cannot be parsed (the PDF reader failed on it)".into(),
            };
        }
    };
    // The document is dropped right after, whatever state a panic left it in.
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| find(&doc, limits)));
    found.unwrap_or_else(|_| PdfContent::NoInvoice {
        note: "the PDF's attachments cannot be read (the PDF reader failed on them)".into(),
    })
}

fn find(doc: &Document, limits: &Limits) -> PdfContent {
    let Ok(catalog) = doc.catalog() else {
        return PdfContent::NoInvoice {
            note: "the PDF has no document catalog".into(),
        };
    };
    let mut specs: Vec<&Dictionary> = Vec::new();
    if let Ok(af) = deref(doc, catalog.get(b"AF")).and_then(Object::as_array) {
        for spec in af.iter().take(MAX_FILE_SPECS) {
            if let Ok(d) = deref(doc, Ok(spec)).and_then(Object::as_dict) {
                specs.push(d);
            }
        }
    }
    if let Ok(tree) = deref(doc, catalog.get(b"Names"))
        .and_then(Object::as_dict)
        .and_then(|names| deref(doc, names.get(b"EmbeddedFiles")))
        .and_then(Object::as_dict)
    {
        walk_name_tree(doc, tree, 0, &mut specs);
    }
    let named: Vec<(String, &Dictionary)> = specs
        .into_iter()
        .filter_map(|spec| spec_name(spec).map(|name| (name, spec)))
        .collect();
    for wanted in INVOICE_FILE_NAMES {
        let Some((name, spec)) = named.iter().find(|(n, _)| n.eq_ignore_ascii_case(wanted)) else {
            continue;
        };
        return match spec_content(doc, spec, limits.max_xml_bytes) {
            Ok(xml) => PdfContent::Invoice {
                name: name.clone(),
                xml,
            },
            Err(reason) => PdfContent::Unreadable {
                name: name.clone(),
                reason,
            },
        };
    }
    let note = if named.is_empty() {
        "the PDF embeds no file".to_string()
    } else {
        let names: Vec<&str> = named.iter().map(|(n, _)| n.as_str()).collect();
        format!(
            "the PDF embeds no invoice XML (attachments: {})",
            names.join(", ")
        )
    };
    PdfContent::NoInvoice { note }
}

fn deref<'a>(doc: &'a Document, object: lopdf::Result<&'a Object>) -> lopdf::Result<&'a Object> {
    doc.dereference(object?).map(|(_, o)| o)
}

/// Collects the file specifications of a name tree node: `/Names [key spec key spec ...]` and
/// the `/Kids` below it.
fn walk_name_tree<'a>(
    doc: &'a Document,
    node: &'a Dictionary,
    depth: usize,
    specs: &mut Vec<&'a Dictionary>,
) {
    if depth > MAX_TREE_DEPTH || specs.len() >= MAX_FILE_SPECS {
        return;
    }
    if let Ok(names) = deref(doc, node.get(b"Names")).and_then(Object::as_array) {
        for value in names.iter().skip(1).step_by(2) {
            if specs.len() >= MAX_FILE_SPECS {
                return;
            }
            if let Ok(d) = deref(doc, Ok(value)).and_then(Object::as_dict) {
                specs.push(d);
            }
        }
    }
    if let Ok(kids) = deref(doc, node.get(b"Kids")).and_then(Object::as_array) {
        for kid in kids {
            if let Ok(d) = deref(doc, Ok(kid)).and_then(Object::as_dict) {
                walk_name_tree(doc, d, depth + 1, specs);
            }
        }
    }
}

/// The file name of a file specification: `/UF` (Unicode) first, then `/F`.
fn spec_name(spec: &Dictionary) -> Option<String> {
    [b"UF".as_slice(), b"F".as_slice()]
        .iter()
        .filter_map(|key| spec.get(key).ok())
        .filter_map(|o| lopdf::decode_text_string(o).ok())
        .map(|name| name.trim().to_string())
        .find(|name| !name.is_empty())
}

/// The decompressed bytes of a file specification's embedded stream (`/EF /F` or `/EF /UF`).
fn spec_content(doc: &Document, spec: &Dictionary, limit: usize) -> Result<Vec<u8>, String> {
    let ef = deref(doc, spec.get(b"EF"))
        .and_then(Object::as_dict)
        .map_err(|_| "its file specification has no embedded file (/EF)".to_string())?;
    let stream = deref(doc, ef.get(b"F").or_else(|_| ef.get(b"UF")))
        .and_then(Object::as_stream)
        .map_err(|_| "its embedded file is not a stream".to_string())?;
    stream
        .decompressed_content_with_limit(limit)
        .map_err(|e| format!("its stream cannot be decoded within {limit} bytes: {e}"))
}
