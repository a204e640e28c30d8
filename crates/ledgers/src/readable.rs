//! What the ledgers that attach no XML (Chift and Pennylane: PDFs and images; Inqom: PDFs,
//! images and office files) get for an XML e-invoice: an entry booked from a CII or UBL invoice
//! received without a PDF carries its XML, which they would refuse. They are sent instead the
//! invoice's readable PDF ([`einvoice::readable_pdf_of`]: the data laid out, the original XML
//! embedded unchanged), named after the XML. The FEC's files directory keeps the XML as it is.

use app::ports::Attachment;
use einvoice::{Container, Detection};
use sha2::Digest;

/// For a file that is not a PDF but an XML e-invoice (recognised by [`einvoice::detect`]):
/// its readable PDF, `<stem>.pdf`, `application/pdf`. `None` for anything else (a PDF, an
/// image, an XML that is no e-invoice), which the sink takes or holds by its own rules.
pub fn pdf_of_xml_einvoice(file: &Attachment) -> Option<Attachment> {
    if einvoice::pdf::looks_like_pdf(&file.bytes) {
        return None;
    }
    let Detection::EInvoice(found) = einvoice::detect(&file.bytes, &file.file_name) else {
        return None;
    };
    if found.container != Container::Xml {
        return None;
    }
    match einvoice::readable_pdf_of(&found.invoice, &found.xml, &file.file_name) {
        Ok(bytes) => Some(Attachment {
            file_name: pdf_name(&file.file_name),
            content_type: "application/pdf".into(),
            sha256: hex::encode(sha2::Sha256::digest(&bytes)),
            bytes,
        }),
        Err(e) => {
            tracing::warn!(file = %file.file_name, error = %e, "no readable PDF for the e-invoice");
            None
        }
    }
}

/// `facture.xml` → `facture.pdf` (folders dropped; a name without a stem is `facture.pdf`).
fn pdf_name(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or("");
    let stem = match base.rfind('.') {
        Some(dot) if base[dot..].eq_ignore_ascii_case(".xml") => &base[..dot],
        _ => base,
    };
    let stem = stem.trim();
    if stem.is_empty() {
        "facture.pdf".into()
    } else {
        format!("{stem}.pdf")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_the_stem() {
        assert_eq!(pdf_name("in/FA-2026-0042.xml"), "FA-2026-0042.pdf");
        assert_eq!(pdf_name("ubl.XML"), "ubl.pdf");
        assert_eq!(pdf_name("invoice"), "invoice.pdf");
        assert_eq!(pdf_name(".xml"), "facture.pdf");
    }
}
