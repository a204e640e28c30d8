//! Routing by envelope recipients, duplicates, limits and part walking.

mod common;

use mail::{Category, PartOutcome, ReasonCode, SkipReason, intake};

const PDF: &[u8] = b"%PDF-1.4\n%%EOF\n";

fn dir() -> common::MemDirectory {
    common::MemDirectory::default()
        .with("collect.example.fr", "acme", common::welyb_policy())
        .with(
            "collect.example.fr",
            "beta",
            mail::SenderPolicy {
                dossier_id: "beta".into(),
                allowed_senders: vec!["no-reply@welyb.fr".into()],
                ..Default::default()
            },
        )
}

#[test]
fn each_collection_address_gets_its_own_documents_and_unknowns_are_explained() {
    let env = common::envelope(
        &[
            "ACHAT.Acme@Collect.Example.FR",
            "ndf.beta@collect.example.fr",
            "<achat.acme@collect.example.fr>",
            "factures.acme@collect.example.fr",
            "vente.nobody@collect.example.fr",
            "postmaster@collect.example.fr",
        ],
        common::ses("PASS", "PASS"),
    );
    let raw =
        common::mail_with_attachment("no-reply@welyb.fr", "", "f.pdf", "application/pdf", PDF);
    let o = intake(&raw, &env, &dir(), &mail::NoDuplicates, common::received());
    let got: Vec<_> = o
        .deliveries
        .iter()
        .map(|d| {
            (
                d.recipient.as_str(),
                d.dossier_id.as_deref(),
                d.category,
                d.documents.len(),
                d.rejection.as_ref().map(|r| r.code),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "achat.acme@collect.example.fr",
                Some("acme"),
                Some(Category::Purchase),
                1,
                None
            ),
            (
                "ndf.beta@collect.example.fr",
                Some("beta"),
                Some(Category::ExpenseReport),
                1,
                None
            ),
            (
                "factures.acme@collect.example.fr",
                None,
                None,
                0,
                Some(ReasonCode::UnknownMailbox)
            ),
            (
                "vente.nobody@collect.example.fr",
                None,
                Some(Category::Sales),
                0,
                Some(ReasonCode::UnknownDossier)
            ),
            (
                "postmaster@collect.example.fr",
                None,
                None,
                0,
                Some(ReasonCode::NotACollectionAddress)
            ),
        ]
    );
}

#[test]
fn duplicates_are_kept_and_flagged() {
    let env = common::envelope(
        &["achat.acme@collect.example.fr"],
        common::ses("PASS", "PASS"),
    );
    let raw =
        common::mail_with_attachment("no-reply@welyb.fr", "", "f.pdf", "application/pdf", PDF);
    let first = intake(&raw, &env, &dir(), &mail::NoDuplicates, common::received());
    let doc = first.documents().next().expect("doc");
    assert!(!doc.duplicate);
    let mut seen = common::MemDups::default();
    seen.0
        .insert(("acme".into(), Category::Purchase, doc.sha256.clone()));
    let again = intake(&raw, &env, &dir(), &seen, common::received());
    let doc2 = again.documents().next().expect("kept");
    assert!(doc2.duplicate);
    // Another mailbox of the same dossier is not a duplicate.
    let env_ndf = common::envelope(
        &["ndf.acme@collect.example.fr"],
        common::ses("PASS", "PASS"),
    );
    let other = intake(&raw, &env_ndf, &dir(), &seen, common::received());
    assert!(!other.documents().next().expect("doc").duplicate);
}

#[test]
fn named_inline_text_is_kept_and_logos_signatures_invites_are_skipped() {
    let raw = b"From: no-reply@welyb.fr\r\nMessage-ID: <x@y>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=A\r\n\r\n\
--A\r\nContent-Type: multipart/related; boundary=B\r\n\r\n\
--B\r\nContent-Type: text/html\r\n\r\n<p>Bonjour <img src=\"cid:logo@x\"></p>\r\n\
--B\r\nContent-Type: image/png; name=logo.png\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline; filename=logo.png\r\n\r\n\x89PNG\r\n\x1a\n....\r\n\
--B--\r\n\
--A\r\nContent-Type: text/csv; name=\"export.csv\"\r\nContent-Disposition: inline\r\n\r\na;b\r\n1;2\r\n\
--A\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n\
--A\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n\r\nMIIB\r\n\
--A--\r\n";
    let env = common::envelope(
        &["achat.acme@collect.example.fr"],
        common::ses("PASS", "PASS"),
    );
    let raw = [common::ses_header("no-reply@welyb.fr").as_bytes(), &raw[..]].concat();
    let o = intake(&raw, &env, &dir(), &mail::NoDuplicates, common::received());
    let outcomes: Vec<_> = o
        .parts
        .iter()
        .map(|p| (p.file_name.clone(), p.outcome.clone()))
        .collect();
    assert!(outcomes.contains(&(
        None,
        PartOutcome::Skipped {
            reason: SkipReason::MessageBody
        }
    )));
    assert!(
        outcomes.contains(&(
            Some("logo.png".into()),
            PartOutcome::Skipped {
                reason: SkipReason::InlineImage
            }
        )),
        "{outcomes:?}"
    );
    assert!(outcomes.iter().any(|(_, o)| *o
        == PartOutcome::Skipped {
            reason: SkipReason::CalendarInvite
        }));
    assert!(outcomes.iter().any(|(_, o)| *o
        == PartOutcome::Skipped {
            reason: SkipReason::Signature
        }));
    let docs: Vec<_> = o.documents().map(|d| d.file_name.as_str()).collect();
    assert_eq!(docs, vec!["export.csv"]);
}

#[test]
fn forwarded_messages_are_read_up_to_depth_three() {
    fn wrap(inner: &[u8], level: usize) -> Vec<u8> {
        let mut m = format!("{}From: no-reply@welyb.fr\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=L{level}\r\n\r\n--L{level}\r\nContent-Type: message/rfc822\r\n\r\n", common::ses_header("no-reply@welyb.fr")).into_bytes();
        m.extend_from_slice(inner);
        m.extend_from_slice(format!("\r\n--L{level}--\r\n").as_bytes());
        m
    }
    let leaf = common::mail_with_attachment("a@b.c", "", "deep.pdf", "application/pdf", PDF);
    let env = common::envelope(
        &["achat.acme@collect.example.fr"],
        common::ses("PASS", "PASS"),
    );
    let three = wrap(&wrap(&wrap(&leaf, 1), 2), 3);
    let o = intake(
        &three,
        &env,
        &dir(),
        &mail::NoDuplicates,
        common::received(),
    );
    assert_eq!(
        o.documents()
            .map(|d| d.file_name.as_str())
            .collect::<Vec<_>>(),
        vec!["deep.pdf"]
    );
    let four = wrap(&three, 4);
    let o = intake(&four, &env, &dir(), &mail::NoDuplicates, common::received());
    assert_eq!(o.documents().count(), 0);
    assert!(o.rejections().any(|r| r.code == ReasonCode::NestedTooDeep));
}

#[test]
fn limits_and_unparseable_input_are_explained() {
    let env = common::envelope(
        &["achat.acme@collect.example.fr"],
        common::ses("PASS", "PASS"),
    );
    let huge = vec![b'a'; mail::MAX_MESSAGE_BYTES + 1];
    let o = intake(&huge, &env, &dir(), &mail::NoDuplicates, common::received());
    assert_eq!(
        o.rejection.map(|r| r.code),
        Some(ReasonCode::MessageTooLarge)
    );
    let o = intake(b"", &env, &dir(), &mail::NoDuplicates, common::received());
    assert!(o.rejection.is_some());
    let none = common::envelope(&[], common::ses("PASS", "PASS"));
    let raw =
        common::mail_with_attachment("no-reply@welyb.fr", "", "f.pdf", "application/pdf", PDF);
    let o = intake(&raw, &none, &dir(), &mail::NoDuplicates, common::received());
    assert_eq!(o.rejection.map(|r| r.code), Some(ReasonCode::NoRecipient));

    // More than MAX_CANDIDATES files: the extra ones are rejected, the first ones kept.
    let mut m = common::ses_header("no-reply@welyb.fr");
    m.push_str(
        "From: no-reply@welyb.fr\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=Z\r\n\r\n",
    );
    for i in 0..mail::MAX_CANDIDATES + 2 {
        m.push_str(&format!(
            "--Z\r\nContent-Type: application/pdf; name=f{i}.pdf\r\n\r\n%PDF-1.4 {i}\n%%EOF\r\n"
        ));
    }
    m.push_str("--Z--\r\n");
    let o = intake(
        m.as_bytes(),
        &env,
        &dir(),
        &mail::NoDuplicates,
        common::received(),
    );
    assert_eq!(o.documents().count(), mail::MAX_CANDIDATES);
    assert_eq!(
        o.rejections()
            .filter(|r| r.code == ReasonCode::TooManyAttachments)
            .count(),
        2
    );
}

#[test]
fn path_traversal_names_are_sanitized() {
    let env = common::envelope(
        &["achat.acme@collect.example.fr"],
        common::ses("PASS", "PASS"),
    );
    let raw = common::mail_with_attachment(
        "no-reply@welyb.fr",
        "",
        "../../etc/facture.pdf",
        "application/pdf",
        PDF,
    );
    let o = intake(&raw, &env, &dir(), &mail::NoDuplicates, common::received());
    let d = o.documents().next().expect("doc");
    assert_eq!(d.file_name, "facture.pdf");
    assert_eq!(d.original_name.as_deref(), Some("../../etc/facture.pdf"));
}

#[test]
fn fuzz_found_input_does_not_panic_intake() {
    // Found by `cargo fuzz run intake` (debug assertions on): mail-parser 0.11.9 hits
    // `debug_assert!(false, "Invalid part ID, could not find multipart.")`. First byte = selector.
    let data = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/regressions/mail-parser-debug-assert-nested-digest.bin"
    ))
    .expect("regression input");
    let env = common::envelope(
        &["achat.acme@collect.example.fr"],
        common::ses("PASS", "PASS"),
    );
    let o = intake(
        &data[1..],
        &env,
        &dir(),
        &mail::NoDuplicates,
        common::received(),
    );
    // Either parsed (release: mail-parser recovers) or rejected as unparseable (debug): never lost.
    assert!(
        o.rejection
            .as_ref()
            .is_none_or(|r| r.code == ReasonCode::Unparseable),
        "{:?}",
        o.rejection
    );
    assert!(!o.deliveries.is_empty() || o.rejection.is_some());
}
