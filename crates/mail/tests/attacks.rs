//! One test per forgery of issue 15, each tried as an attacker would: none may put a document
//! in a ledger, and each refusal says why.

mod common;

use std::io::{Read, Write};
use std::path::Path;

use mail::{
    AuthSource, FileType, MailOutcome, PartOutcome, ReasonCode, SenderPolicy, SesVerdicts,
    classify, intake,
};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .expect("fixture")
}

fn local() -> AuthSource {
    AuthSource::AuthenticationResults {
        authserv_id: "mx.passerelle.local".into(),
    }
}

fn ses(dmarc: &str, dkim: &str) -> AuthSource {
    AuthSource::Ses(SesVerdicts {
        spam: "PASS".into(),
        virus: "PASS".into(),
        spf: "PASS".into(),
        dkim: dkim.into(),
        dmarc: dmarc.into(),
    })
}

/// Allow-lists the whole welyb.fr domain, as a firm trusting a platform would.
fn welyb_domain() -> SenderPolicy {
    SenderPolicy {
        dossier_id: "acme".into(),
        allowed_senders: vec!["no-reply@welyb.fr".into()],
        allowed_domains: vec!["welyb.fr".into()],
        allow_everyone: false,
    }
}

fn run_raw(raw: &[u8], auth: AuthSource, policy: SenderPolicy) -> MailOutcome {
    let dir = common::MemDirectory::default().with("collect.example.fr", "acme", policy);
    let env = common::envelope(&["achat.acme@collect.example.fr"], auth);
    intake(raw, &env, &dir, &mail::NoDuplicates, common::received())
}

fn run(from: &str, headers: &str, auth: AuthSource, name: &str, data: &[u8]) -> MailOutcome {
    let raw = common::mail_with_attachment(from, headers, name, "application/pdf", data);
    run_raw(&raw, auth, welyb_domain())
}

/// The code that stopped the mail: the mail's, else the delivery's.
fn refused(o: &MailOutcome) -> Option<ReasonCode> {
    o.rejection
        .as_ref()
        .or(o.deliveries.first().and_then(|d| d.rejection.as_ref()))
        .map(|r| r.code)
}

fn part_code(o: &MailOutcome) -> Option<ReasonCode> {
    o.parts.iter().find_map(|p| match &p.outcome {
        PartOutcome::Rejected { rejection } => Some(rejection.code),
        _ => None,
    })
}

// ---- sender authentication ----

#[test]
fn a_dkim_pass_hidden_in_a_quoted_mailfrom_never_authenticates() {
    let ar = "Authentication-Results: mx.passerelle.local; spf=pass smtp.mailfrom=\"x;dkim=pass header.d=welyb.fr;dmarc=pass header.from=welyb.fr\"@evil.example; dkim=none; dmarc=none\r\n";
    let o = run(
        "Welyb <no-reply@welyb.fr>",
        ar,
        local(),
        "f.pdf",
        &fixture("facture.pdf"),
    );
    assert_eq!(o.documents().count(), 0);
    assert_eq!(refused(&o), Some(ReasonCode::NotAuthenticated));
}

#[test]
fn a_dkim_pass_hidden_in_a_comment_never_authenticates() {
    let ar = "Authentication-Results: mx.passerelle.local; dkim=none (no signature; dkim=pass header.d=welyb.fr); dmarc=none\r\n";
    let o = run(
        "no-reply@welyb.fr",
        ar,
        local(),
        "f.pdf",
        &fixture("facture.pdf"),
    );
    assert_eq!(refused(&o), Some(ReasonCode::NotAuthenticated));
}

#[test]
fn split_dkim_and_dmarc_fields_of_our_mta_are_read_together() {
    // OpenDKIM and OpenDMARC each write their own field with the same authserv-id.
    let ar = "Authentication-Results: mx.passerelle.local; dmarc=pass (p=none) header.from=welyb.fr\r\nAuthentication-Results: mx.passerelle.local;\r\n dkim=pass (2048-bit key) header.d=welyb.fr header.i=@welyb.fr header.b=\"Ab+/c;d=\"\r\n";
    let o = run(
        "no-reply@welyb.fr",
        ar,
        local(),
        "f.pdf",
        &fixture("facture.pdf"),
    );
    assert_eq!(
        refused(&o),
        None,
        "{:?}",
        o.rejections().collect::<Vec<_>>()
    );
    assert_eq!(o.documents().count(), 1);
    // And a DMARC result that disagrees with another of ours is distrusted.
    let ar = "Authentication-Results: mx.passerelle.local; dmarc=pass header.from=welyb.fr\r\nAuthentication-Results: mx.passerelle.local; dmarc=pass header.from=evil.example\r\n";
    let o = run(
        "no-reply@welyb.fr",
        ar,
        local(),
        "f.pdf",
        &fixture("facture.pdf"),
    );
    assert_eq!(refused(&o), Some(ReasonCode::NotAuthenticated));
}

#[test]
fn an_ses_dmarc_pass_for_another_from_domain_does_not_authenticate_ours() {
    // SES judged evil.example (which passes DMARC); the From we read says welyb.fr.
    let ar = "Authentication-Results: amazonses.com; spf=pass (spfCheck: ok) client-ip=192.0.2.1; envelope-from=a@evil.example; helo=mx.evil.example; dkim=pass header.i=@evil.example; dmarc=pass header.from=evil.example;\r\n";
    let o = run(
        "no-reply@welyb.fr",
        ar,
        ses("PASS", "PASS"),
        "f.pdf",
        &fixture("facture.pdf"),
    );
    assert_eq!(o.documents().count(), 0);
    assert_eq!(refused(&o), Some(ReasonCode::NotAuthenticated));
    let why = o
        .auth
        .as_ref()
        .map(|a| a.detail.clone())
        .unwrap_or_default();
    assert!(why.contains("evil.example"), "{why}");
    // No SES header at all: the verdict cannot be bound to our From.
    let raw = b"From: no-reply@welyb.fr\r\nContent-Type: application/pdf; name=f.pdf\r\nContent-Disposition: attachment; filename=f.pdf\r\n\r\n%PDF-1.4\n%%EOF\n";
    let o = run_raw(raw, ses("PASS", "PASS"), welyb_domain());
    assert_eq!(refused(&o), Some(ReasonCode::NotAuthenticated));
}

#[test]
fn results_echoed_into_ses_header_through_helo_are_distrusted() {
    // SES copies the client's HELO into its own header; a HELO with a ';' adds a result.
    let ar = "Authentication-Results: amazonses.com; spf=pass (spfCheck: ok) client-ip=192.0.2.1; envelope-from=a@evil.example; helo=x; dkim=pass header.i=@welyb.fr; dkim=pass header.i=@evil.example; dmarc=none header.from=welyb.fr;\r\n";
    let o = run(
        "no-reply@welyb.fr",
        ar,
        ses("GRAY", "PASS"),
        "f.pdf",
        &fixture("facture.pdf"),
    );
    assert_eq!(o.documents().count(), 0);
    assert_eq!(refused(&o), Some(ReasonCode::NotAuthenticated));
    // A forged amazonses.com field below SES's own is never read.
    let ours = "Authentication-Results: amazonses.com; spf=pass smtp.mailfrom=evil.example; dkim=pass header.i=@evil.example; dmarc=none header.from=welyb.fr;\r\nAuthentication-Results: amazonses.com; dkim=pass header.i=@welyb.fr\r\n";
    let o = run(
        "no-reply@welyb.fr",
        ours,
        ses("GRAY", "PASS"),
        "f.pdf",
        &fixture("facture.pdf"),
    );
    assert_eq!(refused(&o), Some(ReasonCode::DkimNotAligned));
}

// ---- the From field ----

#[test]
fn from_must_be_exactly_one_valid_mailbox() {
    let pdf = fixture("facture.pdf");
    for (from, code) in [
        (
            "<a@evil.example> no-reply@welyb.fr",
            ReasonCode::InvalidFrom,
        ),
        (
            "=?utf-8?q?no-reply=40welyb.fr?= <x@evil.example>",
            ReasonCode::InvalidFrom,
        ),
        (
            "=?utf-8?b?bm8tcmVwbHlAd2VseWIuZnI=?=",
            ReasonCode::InvalidFrom,
        ),
        ("=?utf-8?q?no-reply?=@welyb.fr", ReasonCode::InvalidFrom),
        ("Welyb: no-reply@welyb.fr;", ReasonCode::InvalidFrom),
        (
            "no-reply@welyb.fr, a@evil.example",
            ReasonCode::MultipleFrom,
        ),
        ("no-reply@[192.0.2.1]", ReasonCode::InvalidFrom),
    ] {
        let o = run(from, "", ses("PASS", "PASS"), "f.pdf", &pdf);
        assert_eq!(o.documents().count(), 0, "{from}");
        assert_eq!(o.rejection.as_ref().map(|r| r.code), Some(code), "{from}");
        let r = o.rejection.as_ref().unwrap();
        assert!(!r.message.is_empty() && !r.action.is_empty());
    }
    // Two From fields, one of them spelled in another case.
    let o = run(
        "no-reply@welyb.fr",
        "FROM: a@evil.example\r\n",
        ses("PASS", "PASS"),
        "f.pdf",
        &pdf,
    );
    assert_eq!(o.rejection.map(|r| r.code), Some(ReasonCode::MultipleFrom));
    // No From at all.
    let raw = common::ses_header("no-reply@welyb.fr")
        + "To: achat.acme@collect.example.fr\r\nSubject: x\r\n\r\nbody\r\n";
    let o = run_raw(raw.as_bytes(), ses("PASS", "PASS"), welyb_domain());
    assert_eq!(o.rejection.map(|r| r.code), Some(ReasonCode::MissingFrom));
}

// ---- hostile structure ----

#[test]
fn header_and_part_bombs_are_refused_before_parsing() {
    let mut raw = common::ses_header("no-reply@welyb.fr").into_bytes();
    raw.extend_from_slice(b"From: no-reply@welyb.fr\r\n");
    for i in 0..20_000 {
        raw.extend_from_slice(format!("X-H{i}: y\r\n").as_bytes());
    }
    raw.extend_from_slice(b"\r\nbody\r\n");
    let o = run_raw(&raw, ses("PASS", "PASS"), welyb_domain());
    assert_eq!(
        o.rejection.map(|r| r.code),
        Some(ReasonCode::HeadersTooLarge)
    );

    let mut raw = common::ses_header("no-reply@welyb.fr").into_bytes();
    raw.extend_from_slice(
        b"From: no-reply@welyb.fr\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n",
    );
    for _ in 0..20_000 {
        raw.extend_from_slice(b"--b\r\n\r\nx\r\n");
    }
    let o = run_raw(&raw, ses("PASS", "PASS"), welyb_domain());
    assert_eq!(o.rejection.map(|r| r.code), Some(ReasonCode::TooManyParts));
    assert!(o.parts.is_empty(), "no part was decoded");
}

#[test]
fn a_forged_mail_has_no_body_decoded() {
    let o = run(
        "no-reply@welyb.fr",
        "",
        ses("FAIL", "FAIL"),
        "f.pdf",
        &fixture("facture.pdf"),
    );
    assert_eq!(refused(&o), Some(ReasonCode::DmarcFailed));
    assert!(o.parts.is_empty());
}

// ---- hostile content ----

#[test]
fn a_web_page_with_a_pdf_header_inside_is_not_a_pdf() {
    let page = b"<p>Votre facture</p>\n%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let o = run(
        "no-reply@welyb.fr",
        "",
        ses("PASS", "PASS"),
        "facture.pdf",
        page,
    );
    assert_eq!(o.documents().count(), 0);
    assert_eq!(part_code(&o), Some(ReasonCode::DamagedPdf));
}

#[test]
fn a_pdf_must_end_with_eof_and_be_nothing_else() {
    let pdf = fixture("facture.pdf");
    let cut = &pdf[..pdf.len() - 10];
    assert_eq!(
        classify::classify(cut, Some("f.pdf")).unwrap_err().code,
        ReasonCode::DamagedPdf
    );
    let mut trailing = pdf.clone();
    trailing.extend_from_slice(b"\r\n \n");
    assert!(classify::classify(&trailing, Some("f.pdf")).is_ok());
    // A PDF that is also a ZIP (an archive appended after %%EOF, still "ending" with it? no:
    // the archive goes in the middle, as polyglot tools do, and the PDF still ends right).
    let zip = fixture("factures.zip");
    let mut poly = b"%PDF-1.4\n".to_vec();
    poly.extend_from_slice(&zip);
    poly.extend_from_slice(b"\n%%EOF\n");
    assert_eq!(
        classify::classify(&poly, Some("f.pdf")).unwrap_err().code,
        ReasonCode::Polyglot
    );
    let html = b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n";
    assert_eq!(
        classify::classify(html, Some("f.pdf")).unwrap_err().code,
        ReasonCode::Polyglot
    );
    let mut png = fixture("ticket.png");
    png.extend_from_slice(b"<?php system($_GET['c']); ?>");
    assert_eq!(
        classify::classify(&png, Some("t.png")).unwrap_err().code,
        ReasonCode::Polyglot
    );
}

#[test]
fn a_pdf_with_javascript_or_launch_is_accepted_with_a_warning() {
    let pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n2 0 obj<</S/L#61unch/F(calc.exe)>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
    let o = run("no-reply@welyb.fr", "", ses("PASS", "PASS"), "f.pdf", pdf);
    let doc = o.documents().next().expect("accepted, flagged");
    assert_eq!(doc.warnings.len(), 2, "{:?}", doc.warnings);
    assert!(doc.warnings.iter().any(|w| w.contains("/Launch")));
}

fn docx_with_main_type(content_type: &str) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(fixture("facture.docx"))).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if f.name() == "[Content_Types].xml" {
            let text = String::from_utf8(data).unwrap().replace(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
                content_type,
            );
            data = text.into_bytes();
        }
        out.start_file(f.name(), opts).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn an_ooxml_main_content_type_must_match_its_extension() {
    let same = docx_with_main_type(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    );
    assert_eq!(
        classify::classify(&same, Some("f.docx")).unwrap().file_type,
        FileType::Docx
    );
    let macro_doc = docx_with_main_type("application/vnd.ms-word.document.macroEnabled.main+xml");
    assert_eq!(
        classify::classify(&macro_doc, Some("f.docx"))
            .unwrap_err()
            .code,
        ReasonCode::MacroDocument
    );
    let sheet = docx_with_main_type(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    );
    assert!(classify::classify(&sheet, Some("f.docx")).is_err());
    let template = docx_with_main_type(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    );
    assert!(classify::classify(&template, Some("f.docx")).is_err());
}

#[test]
fn a_base64_pdf_after_which_the_closing_boundary_is_missing_is_still_read() {
    let pdf = fixture("facture.pdf");
    let raw = common::mail_with_attachment(
        "no-reply@welyb.fr",
        "",
        "facture.pdf",
        "application/pdf",
        &pdf,
    );
    let text = String::from_utf8(raw).unwrap();
    let broken = text.strip_suffix("--XX--\r\n").expect("closing boundary");
    let o = run_raw(broken.as_bytes(), ses("PASS", "PASS"), welyb_domain());
    let docs: Vec<_> = o
        .documents()
        .map(|d| (d.file_name.clone(), d.file_type, d.size))
        .collect();
    assert_eq!(
        docs,
        vec![("facture.pdf".to_string(), FileType::Pdf, pdf.len())]
    );
    // Even with no line end after the last base64 line.
    let o = run_raw(
        broken.trim_end().as_bytes(),
        ses("PASS", "PASS"),
        welyb_domain(),
    );
    assert_eq!(o.documents().count(), 1, "{:?}", o.parts);
}

// ---- what reaches a terminal or a disk ----

#[test]
fn file_names_lose_bidi_overrides_and_trailing_dots() {
    let o = run(
        "no-reply@welyb.fr",
        "",
        ses("PASS", "PASS"),
        "facture\u{202E}fdp.exe.pdf",
        &fixture("facture.pdf"),
    );
    let doc = o.documents().next().expect("accepted");
    assert!(
        !doc.file_name.chars().any(mail::escape::is_unsafe),
        "{:?}",
        doc.file_name
    );
    assert_eq!(
        mail::for_terminal("Facture \u{202E}fdp.exe\x1b[2J"),
        "Facture \\u{202e}fdp.exe\\u{1b}[2J"
    );
}

#[test]
fn no_notice_goes_to_a_sender_nobody_listed() {
    let open = SenderPolicy {
        dossier_id: "acme".into(),
        allow_everyone: true,
        ..Default::default()
    };
    let raw = common::mail_with_attachment(
        "x@stranger.example",
        "",
        "f.pdf",
        "application/pdf",
        &fixture("facture.pdf"),
    );
    let o = run_raw(&raw, ses("PASS", "PASS"), open);
    assert_eq!(o.documents().count(), 1, "allow everyone still accepts");
    assert!(
        !o.notice_allowed(),
        "but never writes back to an unlisted sender"
    );
}
