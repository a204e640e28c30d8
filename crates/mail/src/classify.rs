//! File-type classification by content, not by name.
//!
//! The content is sniffed first (magic bytes, then the container: ZIP central directory for
//! OOXML, compound-file streams for legacy Office). The name's extension only tells which type
//! the sender *claims*; when the claim and the content disagree the file is rejected.

use serde::{Deserialize, Serialize};

pub use crate::filetype::{FileType, TextEncoding};
use crate::pdf;
use crate::reason::{ReasonCode, Rejection};
pub use crate::sniff::{Sniffed, sniff};

/// Result of classifying one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classified {
    pub file_type: FileType,
    /// For txt/csv: how the bytes decode.
    pub text_encoding: Option<TextEncoding>,
    /// The name had no accepted extension and the detected one was appended.
    pub extension_corrected: bool,
    /// Accepted, but worth a warning in the log (a PDF with JavaScript or a launch action).
    pub warnings: Vec<String>,
}

/// Lower-case extension of a file name, if the name has one (and a non-empty stem).
pub fn extension_of(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() || ext.is_empty() || ext.len() > 10 {
        return None;
    }
    Some(ext.to_ascii_lowercase())
}

/// Classify `data` sent under `name` (the sanitized name, if any).
pub fn classify(data: &[u8], name: Option<&str>) -> Result<Classified, Rejection> {
    let sniffed = sniff(data);
    let ext = name.and_then(extension_of);
    let claimed = ext.as_deref().and_then(FileType::from_extension);
    let shown = name.unwrap_or("(unnamed)");
    if let Some(result) = einvoice_xml(data, &sniffed, ext.as_deref(), shown) {
        return result;
    }
    let text_encoding = match &sniffed {
        Sniffed::Text(e) => Some(*e),
        _ => None,
    };

    if let Some(found) = sniffed.accepted() {
        let file_type = match (found, claimed) {
            (FileType::Txt, Some(c @ (FileType::Txt | FileType::Csv))) => c,
            (FileType::Txt, claimed) => {
                return Err(match (claimed, ext.as_deref()) {
                    (Some(c), _) => mismatch(shown, c, &sniffed),
                    (None, Some(e)) => Rejection::new(
                        ReasonCode::UnsupportedFormat,
                        format!("“{shown}” is a text file of type .{e}, which is not accepted."),
                        "Ask the sender to resend it as PDF, or as .txt/.csv if it is data.",
                    ),
                    (None, None) => Rejection::new(
                        ReasonCode::UnsupportedFormat,
                        format!("“{shown}” is plain text with no file name or type."),
                        "Ask the sender to attach the document as a named file (PDF preferred).",
                    ),
                });
            }
            (found, Some(c)) if c == found => found,
            (_, Some(c)) => return Err(mismatch(shown, c, &sniffed)),
            (found, None) => found,
        };
        return Ok(Classified {
            file_type,
            text_encoding,
            extension_corrected: claimed.is_none(),
            warnings: content_checks(file_type, data, shown)?,
        });
    }

    let what = sniffed.describe();
    let is_spreadsheet_name = matches!(claimed, Some(FileType::Xls | FileType::Xlsx));
    Err(match sniffed {
        Sniffed::Empty => Rejection::new(
            ReasonCode::EmptyFile,
            format!("“{shown}” is empty (0 bytes)."),
            "Ask the sender to resend the file; it was lost before sending.",
        ),
        Sniffed::Html | Sniffed::Xml(_) if is_spreadsheet_name => Rejection::new(
            ReasonCode::HtmlSpreadsheet,
            format!(
                "“{shown}” is named as an Excel workbook but is {what} (typically a bank or website export)."
            ),
            "Open it in Excel and save it as a real .xlsx (or export as PDF or CSV), then resend.",
        ),
        Sniffed::Tnef => tnef_rejection(shown),
        Sniffed::Archive(_) => Rejection::new(
            ReasonCode::Archive,
            format!("“{shown}” is {what}; archives are not accepted."),
            "Ask the sender to send the documents inside as separate PDF files.",
        ),
        Sniffed::EncryptedArchive | Sniffed::EncryptedOoxml => Rejection::new(
            ReasonCode::EncryptedDocument,
            format!("“{shown}” is {what}; it cannot be read without its password."),
            "Ask the sender to resend the file without a password (or as an unprotected PDF).",
        ),
        Sniffed::Executable(_) => Rejection::new(
            ReasonCode::Executable,
            format!("“{shown}” is {what}, not a document."),
            "Do not open it. No action needed unless the sender confirms it meant to send a document.",
        ),
        Sniffed::MacroOffice(_) => Rejection::new(
            ReasonCode::MacroDocument,
            format!("“{shown}” is {what}; documents with macros are not accepted."),
            "Ask the sender to resend it as PDF, or saved without macros (.docx/.xlsx).",
        ),
        Sniffed::MisplacedPdf(at) => Rejection::new(
            ReasonCode::DamagedPdf,
            format!(
                "“{shown}” does not start with the PDF header: {at} bytes of other data come first, which can make the file something else (a web page, a script)."
            ),
            "Ask the sender to resend the document as a plain PDF, straight from the program that made it.",
        ),
        Sniffed::IncompleteOoxml => Rejection::new(
            ReasonCode::DamagedOfficeDocument,
            format!(
                "“{shown}” is a ZIP archive with an Office marker but without the main document part ({}); it is damaged or not a Word/Excel file.",
                match claimed {
                    Some(FileType::Xlsx | FileType::Xls) => "xl/workbook.xml",
                    _ => "word/document.xml",
                }
            ),
            "Ask the sender to open the file in Word or Excel, save it again and resend it (or send a PDF).",
        ),
        _ => match claimed {
            Some(c) => mismatch(shown, c, &sniffed),
            None if matches!(sniffed, Sniffed::Unknown) => Rejection::new(
                ReasonCode::UnknownFormat,
                format!(
                    "“{shown}” is not a recognised document ({}).",
                    FileType::accepted_list()
                ),
                "Ask the sender to resend the document as PDF.",
            ),
            None => Rejection::new(
                ReasonCode::UnsupportedFormat,
                format!(
                    "“{shown}” is {what}, which is not an accepted format ({}).",
                    FileType::accepted_list()
                ),
                "Ask the sender to resend the document as PDF.",
            ),
        },
    })
}

/// What an accepted type must also satisfy: a PDF ends with `%%EOF` and is nothing else; an
/// image is nothing else either. Returns the warnings (active content in a PDF).
/// XML is accepted only as an e-invoice (CII or UBL, read by the `einvoice` crate, which refuses
/// DTDs and bounds size and depth); `None` for a file that is no XML at all.
fn einvoice_xml(
    data: &[u8],
    sniffed: &Sniffed,
    ext: Option<&str>,
    shown: &str,
) -> Option<Result<Classified, Rejection>> {
    let markup = match sniffed {
        Sniffed::Xml(false) => true,
        // An XML without declaration sniffs as text (a .txt or .csv stays text).
        Sniffed::Text(_) if !matches!(ext, Some("txt" | "csv")) => data
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(data)
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'<'),
        _ => false,
    };
    if !markup && ext != Some("xml") {
        return None;
    }
    Some(match einvoice::detect(data, shown) {
        einvoice::Detection::EInvoice(_) => Ok(Classified {
            file_type: FileType::Xml,
            text_encoding: None,
            extension_corrected: ext != Some("xml"),
            warnings: Vec::new(),
        }),
        einvoice::Detection::OtherXml { reason } => Err(Rejection::new(
            ReasonCode::NotAnEInvoice,
            format!("“{shown}” is XML but not an e-invoice: {reason}."),
            "Ask the sender for the invoice as PDF, Factur-X, or CII / UBL XML.",
        )),
        einvoice::Detection::Refused(r) => Err(Rejection::new(
            ReasonCode::NotAnEInvoice,
            format!("“{shown}” was refused: {r}."),
            r.action(),
        )),
        einvoice::Detection::NotEInvoice { .. } if !markup => return None,
        einvoice::Detection::NotEInvoice { note } => Err(Rejection::new(
            ReasonCode::NotAnEInvoice,
            format!(
                "“{shown}” is XML that cannot be read{}.",
                note.map(|n| format!(": {n}")).unwrap_or_default()
            ),
            "Ask the sender for the invoice as PDF, Factur-X, or CII / UBL XML.",
        )),
    })
}

fn content_checks(file_type: FileType, data: &[u8], shown: &str) -> Result<Vec<String>, Rejection> {
    if matches!(file_type, FileType::Pdf | FileType::Png | FileType::Jpeg)
        && let Some(other) = pdf::polyglot(data)
    {
        return Err(Rejection::new(
            ReasonCode::Polyglot,
            format!(
                "“{shown}” is {} but is also {other}: such a file does something else when opened by another program.",
                file_type.describe()
            ),
            "Do not open it outside passerelle. Ask the sender to export the document again as a plain PDF.",
        ));
    }
    if file_type != FileType::Pdf {
        return Ok(Vec::new());
    }
    if !pdf::ends_with_eof(data) {
        return Err(Rejection::new(
            ReasonCode::DamagedPdf,
            format!(
                "“{shown}” does not end with the PDF end marker (%%EOF): it is truncated, or something was appended to it."
            ),
            "Ask the sender to resend the PDF (the file was cut or altered on the way).",
        ));
    }
    Ok(pdf::active_content(data))
}

fn mismatch(shown: &str, claimed: FileType, sniffed: &Sniffed) -> Rejection {
    let actual = sniffed.describe();
    let action = match sniffed.accepted() {
        Some(t) if t != FileType::Txt => format!(
            "Ask the sender to resend the file under its real type (.{}), or as a PDF.",
            t.extension()
        ),
        _ => format!(
            "Ask the sender to resend a real {} (or a PDF).",
            claimed
                .describe()
                .trim_start_matches("a ")
                .trim_start_matches("an ")
        ),
    };
    Rejection::new(
        ReasonCode::ContentMismatch,
        format!(
            "“{shown}” is named as {} but its content is {actual}.",
            claimed.describe()
        ),
        action,
    )
}

pub(crate) fn tnef_rejection(shown: &str) -> Rejection {
    Rejection::new(
        ReasonCode::Tnef,
        format!(
            "“{shown}” is an Outlook winmail.dat (TNEF) wrapper; the attachments inside cannot be read."
        ),
        "Ask the sender to switch Outlook to HTML or plain-text format for this address and resend.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_is_accepted_only_as_an_einvoice_and_hostile_xml_is_refused() {
        use einvoice::testkit::forge::{Kind, Level, Spec};
        use einvoice::testkit::xmlout;
        for kind in [Kind::Cii(Level::En16931), Kind::UblInvoice] {
            let xml = xmlout::write(&Spec::typical(kind));
            let c = classify(xml.as_bytes(), Some("facture.xml")).expect("an e-invoice");
            assert_eq!(c.file_type, FileType::Xml);
            assert!(!c.extension_corrected);
            // Without a declaration nor a name, still recognised by its content.
            let bare = xml.split_once("?>").map_or(xml.as_str(), |(_, rest)| rest);
            let c = classify(bare.as_bytes(), None).expect("an e-invoice");
            assert_eq!((c.file_type, c.extension_corrected), (FileType::Xml, true));
        }
        let other = b"<?xml version=\"1.0\"?><commande><ligne/></commande>";
        let r = classify(other, Some("commande.xml")).unwrap_err();
        assert_eq!(r.code, ReasonCode::NotAnEInvoice);
        assert!(r.message.contains("not an e-invoice"), "{}", r.message);
        let xxe = b"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
        let laughs = b"<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><l>&b;</l>";
        for hostile in [&xxe[..], &laughs[..]] {
            let r = classify(hostile, Some("facture.xml")).unwrap_err();
            assert_eq!(r.code, ReasonCode::NotAnEInvoice, "{}", r.message);
        }
        // Text stays text: a .csv starting with '<' is not read as XML.
        let c = classify(b"<ref>;montant\n1;2\n", Some("releve.csv")).unwrap();
        assert_eq!(c.file_type, FileType::Csv);
    }

    #[test]
    fn pdf_header_must_be_at_the_start() {
        let mut data = b"\xEF\xBB\xBF".to_vec();
        data.extend_from_slice(&[b' '; 1000]);
        data.extend_from_slice(b"%PDF-1.7\n%%EOF\n");
        assert_eq!(sniff(&data), Sniffed::Pdf);
        // The page: a few bytes of text, then a PDF header.
        let html = b"<p>Facture</p>\n%PDF-1.4\n%%EOF\n";
        assert_eq!(sniff(html), Sniffed::MisplacedPdf(15));
        let r = classify(html, Some("facture.pdf")).unwrap_err();
        assert_eq!(r.code, ReasonCode::DamagedPdf);
    }

    #[test]
    fn jpg_and_jpeg_extensions_both_accept_jpeg() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F'];
        for n in ["a.jpg", "a.JPEG", "scan.Jpg"] {
            assert_eq!(
                classify(&jpeg, Some(n)).map(|c| c.file_type),
                Ok(FileType::Jpeg)
            );
        }
    }

    #[test]
    fn accepted_content_with_unknown_extension_gets_extension_corrected() {
        let c = classify(b"%PDF-1.4\n%%EOF\n", Some("facture.bin")).expect("accepted");
        assert_eq!(c.file_type, FileType::Pdf);
        assert!(c.extension_corrected);
    }

    #[test]
    fn text_with_foreign_extension_is_not_accepted() {
        let r = classify(b"-----BEGIN PGP MESSAGE-----\n", Some("encrypted.asc")).unwrap_err();
        assert_eq!(r.code, ReasonCode::UnsupportedFormat);
    }

    #[test]
    fn windows_1252_text_is_detected() {
        let c = classify(b"Soci\xe9t\xe9;Montant\nCaf\xe9;12,50\n", Some("x.csv")).expect("csv");
        assert_eq!(c.file_type, FileType::Csv);
        assert_eq!(c.text_encoding, Some(TextEncoding::Windows1252));
    }

    #[test]
    fn zip_reader_survives_truncation_at_every_length() {
        let data = b"PK\x03\x04 some bytes PK\x01\x02 PK\x05\x06 trailing";
        for n in 0..data.len() {
            let _ = sniff(&data[..n]);
            let _ = crate::container::zip_entries(&data[..n]);
        }
        assert_eq!(extension_of(".bashrc"), None);
        assert_eq!(extension_of("a.B"), Some("b".into()));
    }
}
