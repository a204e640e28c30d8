//! Files attached to Pennylane entries, the way the spec recommends. In the vendored extract
//! (`crates/simulators/spec/pennylane-company-v2-extract.json`) `POST /ledger_attachments` is
//! **DEPRECATED** in favour of `POST /file_attachments` ("Upload a file to attach to any
//! resource that provides a `file_attachment_id`"), and `file_attachment_id` on
//! `postLedgerEntries` is the link; that field "will soon be deprecated" for
//! `/ledger_entries/{id}/dms_files`, which the extract announces but does not define (no such
//! operation in its 125 endpoints), so there is nothing else to call yet. The upload is
//! multipart: `file` (required) of one of the content types below, `filename` (optional);
//! answered 201 `{id, url, filename, created_at, updated_at}`; at most 100 MB
//! (https://pennylane.readme.io/reference/postfileattachments, as captured in
//! `StudioCatapulte/mcp-pennylane-company`, `documentation/.../postfileattachments.md`).

use app::ports::{Attachment, SinkError};

/// The content types `POST /file_attachments` accepts.
pub const ACCEPTED_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/tiff",
    "image/bmp",
    "image/gif",
    "application/pdf",
];

/// The largest file the endpoint takes.
pub const MAX_BYTES: usize = 100 * 1024 * 1024;

/// The content type a file's first bytes show, among the accepted ones.
fn sniffed(bytes: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"%PDF-") {
        Some("application/pdf")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        Some("image/tiff")
    } else if starts(b"BM") {
        Some("image/bmp")
    } else {
        None
    }
}

/// The content type to upload `file` with: the one it is labelled with when Pennylane accepts
/// it (parameters dropped, any case), else what its bytes show (mail attachments often come as
/// `application/octet-stream`); a file of another kind is held with the action, nothing sent.
pub fn upload_type(file: &Attachment) -> Result<&'static str, SinkError> {
    let label = file
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let found = ACCEPTED_TYPES
        .iter()
        .find(|t| **t == label)
        .copied()
        .or_else(|| sniffed(&file.bytes));
    if file.bytes.len() > MAX_BYTES {
        return Err(SinkError::permanent(
            format!(
                "{} is {} bytes: Pennylane takes attachments of at most 100 MB; nothing was sent",
                file.file_name,
                file.bytes.len()
            ),
            "send a smaller file (compress or split the PDF at the source), then push again",
        ));
    }
    found.ok_or_else(|| {
        SinkError::permanent(
            format!(
                "{} ({}) is not a file Pennylane attaches: it takes PDF and images (png, jpeg, tiff, bmp, gif); nothing was sent",
                file.file_name, file.content_type
            ),
            "attach the document as a PDF at the source, then push again",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, content_type: &str, bytes: &[u8]) -> Attachment {
        Attachment {
            file_name: name.into(),
            content_type: content_type.into(),
            bytes: bytes.to_vec(),
            sha256: String::new(),
        }
    }

    #[test]
    fn labelled_or_sniffed_types_pass_and_others_are_held() {
        let pdf = b"%PDF-1.4\n%%EOF\n";
        for (ct, bytes, want) in [
            ("application/pdf", &pdf[..], "application/pdf"),
            ("Application/PDF; name=x.pdf", &pdf[..], "application/pdf"),
            ("application/octet-stream", &pdf[..], "application/pdf"),
            ("", b"\x89PNG\r\n\x1a\n....", "image/png"),
            ("image/jpeg", b"not really", "image/jpeg"),
        ] {
            assert_eq!(upload_type(&file("f", ct, bytes)).unwrap(), want, "{ct}");
        }
        let e = upload_type(&file("facture.xml", "application/xml", b"<Invoice/>")).unwrap_err();
        assert_eq!(e.kind, app::ports::SinkErrorKind::Permanent);
        assert!(e.message.contains("facture.xml") && !e.action.is_empty());
    }
}
