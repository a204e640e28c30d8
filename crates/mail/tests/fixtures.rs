//! Real files of every accepted type (tests/fixtures/README.md says how each was made) and lying
//! files, classified by content; and the same files through the whole intake.

mod common;

use std::path::Path;

use mail::classify::{Sniffed, classify, sniff};
use mail::{FileType, PartOutcome, ReasonCode, TextEncoding, intake};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .expect("fixture")
}

#[test]
fn every_accepted_type_from_a_real_tool_is_accepted() {
    let cases = [
        ("facture.pdf", FileType::Pdf),
        ("ticket.png", FileType::Png),
        ("ticket.jpg", FileType::Jpeg),
        ("facture.doc", FileType::Doc),
        ("facture.docx", FileType::Docx),
        ("releve.xls", FileType::Xls),
        ("releve.xlsx", FileType::Xlsx),
        ("facture.txt", FileType::Txt),
        ("releve-utf8.csv", FileType::Csv),
        ("releve-cp1252.csv", FileType::Csv),
    ];
    for (file, expected) in cases {
        let c = classify(&fixture(file), Some(file)).unwrap_or_else(|r| panic!("{file}: {r}"));
        assert_eq!(c.file_type, expected, "{file}");
        assert!(!c.extension_corrected, "{file}");
    }
    // Upper-case extension and the .jpeg spelling.
    assert_eq!(
        classify(&fixture("ticket.jpg"), Some("TICKET.JPEG")).map(|c| c.file_type),
        Ok(FileType::Jpeg)
    );
    assert_eq!(
        classify(&fixture("facture.pdf"), Some("SCAN.PDF")).map(|c| c.file_type),
        Ok(FileType::Pdf)
    );
}

#[test]
fn legacy_office_is_recognised_by_its_compound_file_streams() {
    assert_eq!(sniff(&fixture("facture.doc")), Sniffed::Doc);
    assert_eq!(sniff(&fixture("releve.xls")), Sniffed::Xls);
    // The container decides, not the name: a .doc named .xls is a mismatch.
    let r = classify(&fixture("facture.doc"), Some("releve.xls")).expect_err("mismatch");
    assert_eq!(r.code, ReasonCode::ContentMismatch);
}

#[test]
fn windows_1252_csv_is_accepted_and_decodes() {
    let data = fixture("releve-cp1252.csv");
    assert!(
        std::str::from_utf8(&data).is_err(),
        "fixture must not be UTF-8"
    );
    let c = classify(&data, Some("releve-cp1252.csv")).expect("accepted");
    assert_eq!(c.text_encoding, Some(TextEncoding::Windows1252));
    let (text, _, bad) = encoding_rs::WINDOWS_1252.decode(&data);
    assert!(!bad && text.contains("Société Générale"));
    let utf8 = classify(&fixture("releve-utf8.csv"), Some("r.csv")).expect("accepted");
    assert_eq!(utf8.text_encoding, Some(TextEncoding::Utf8));
}

#[test]
fn lying_files_are_rejected_with_a_reason_and_an_action() {
    let cases = [
        ("releve-html-named.xls", ReasonCode::HtmlSpreadsheet),
        ("ticket-png-named.pdf", ReasonCode::ContentMismatch),
        ("not-a-document.docx", ReasonCode::DamagedOfficeDocument),
        ("facture-protected.docx", ReasonCode::EncryptedDocument),
        ("factures.zip", ReasonCode::Archive),
    ];
    for (file, code) in cases {
        let r = classify(&fixture(file), Some(file)).expect_err(file);
        assert_eq!(r.code, code, "{file}: {r}");
        assert!(r.message.contains(file), "{file}: {}", r.message);
        assert!(
            r.action.starts_with("Ask") || r.action.starts_with("Open"),
            "{file}: {}",
            r.action
        );
    }
    let r = classify(
        &fixture("ticket-png-named.pdf"),
        Some("ticket-png-named.pdf"),
    )
    .expect_err("png");
    assert!(r.message.contains("PNG"), "{}", r.message);
    assert!(r.action.contains(".png"), "{}", r.action);
    // A text file named .pdf (mikel/mail raw_email7 pattern).
    let r = classify(b"This is not a PDF\n", Some("test.pdf")).expect_err("text");
    assert_eq!(r.code, ReasonCode::ContentMismatch);
}

#[test]
fn synthetic_magic_for_formats_we_cannot_generate_here() {
    let tnef = [0x78, 0x9F, 0x3E, 0x22, 0x01, 0x02];
    assert_eq!(
        classify(&tnef, Some("winmail.dat")).map_err(|r| r.code),
        Err(ReasonCode::Tnef)
    );
    assert_eq!(
        classify(b"MZ\x90\x00\x03", Some("facture.pdf.exe")).map_err(|r| r.code),
        Err(ReasonCode::Executable)
    );
    assert_eq!(
        classify(b"Rar!\x1a\x07\x00", Some("f.rar")).map_err(|r| r.code),
        Err(ReasonCode::Archive)
    );
    assert_eq!(
        classify(b"GIF89a....", Some("logo.gif")).map_err(|r| r.code),
        Err(ReasonCode::UnsupportedFormat)
    );
    assert_eq!(
        classify(b"", Some("vide.pdf")).map_err(|r| r.code),
        Err(ReasonCode::EmptyFile)
    );
}

#[test]
fn fixtures_through_the_whole_intake() {
    let dir =
        common::MemDirectory::default().with("collect.example.fr", "acme", common::welyb_policy());
    let env = common::envelope(
        &["achat.acme@collect.example.fr"],
        common::ses("PASS", "PASS"),
    );
    for (file, ctype, accepted) in [
        (
            "facture.pdf",
            "application/octet-stream",
            Some(FileType::Pdf),
        ),
        (
            "releve-cp1252.csv",
            "text/csv; charset=windows-1252",
            Some(FileType::Csv),
        ),
        (
            "releve.xls",
            "application/vnd.ms-excel",
            Some(FileType::Xls),
        ),
        ("releve-html-named.xls", "application/vnd.ms-excel", None),
        (
            "facture-protected.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            None,
        ),
    ] {
        let data = fixture(file);
        let raw = common::mail_with_attachment("no-reply@welyb.fr", "", file, ctype, &data);
        let o = intake(&raw, &env, &dir, &mail::NoDuplicates, common::received());
        let part = o
            .parts
            .iter()
            .find(|p| p.original_name.as_deref() == Some(file))
            .expect(file);
        match accepted {
            Some(t) => {
                assert_eq!(
                    part.outcome,
                    PartOutcome::Accepted {
                        file_type: t,
                        extension_corrected: false
                    },
                    "{file}"
                );
                let doc = o.documents().next().expect(file);
                // Bytes as sent: the CP1252 CSV keeps its bytes (not converted to UTF-8).
                assert_eq!(&doc.content[..], &data[..], "{file}");
                assert_eq!(doc.sha256, hex_sha256(&data));
                assert_eq!(doc.message_id.as_deref(), Some("m1@example.test"));
                assert_eq!(doc.sender, "no-reply@welyb.fr");
                assert_eq!(doc.dossier_id, "acme");
                assert_eq!(doc.category, mail::Category::Purchase);
            }
            None => {
                assert!(
                    matches!(part.outcome, PartOutcome::Rejected { .. }),
                    "{file}"
                );
                let d = &o.deliveries[0];
                assert_eq!(
                    d.rejection.as_ref().map(|r| r.code),
                    Some(ReasonCode::NoAcceptedAttachment)
                );
                assert_eq!(
                    d.rejection
                        .as_ref()
                        .map(|r| r.message.starts_with("no attachment in an accepted format")),
                    Some(true)
                );
            }
        }
    }
}

fn hex_sha256(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}
