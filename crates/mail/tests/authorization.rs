//! Sender authorization: allow-list AND authentication (DMARC pass or aligned DKIM).

mod common;

use mail::{AuthSource, Category, MailOutcome, ReasonCode, SenderPolicy, intake};

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec()
}

fn run(from: &str, extra_headers: &str, auth: AuthSource, policy: SenderPolicy) -> MailOutcome {
    let dir = common::MemDirectory::default().with("collect.example.fr", "acme", policy);
    let env = common::envelope(&["achat.acme@collect.example.fr"], auth);
    let raw = common::mail_with_attachment(
        from,
        extra_headers,
        "facture.pdf",
        "application/pdf",
        &pdf(),
    );
    intake(&raw, &env, &dir, &mail::NoDuplicates, common::received())
}

fn delivery_code(o: &MailOutcome) -> Option<ReasonCode> {
    assert_eq!(o.deliveries.len(), 1);
    o.deliveries[0].rejection.as_ref().map(|r| r.code)
}

#[test]
fn allow_listed_with_dmarc_pass_is_accepted() {
    let o = run(
        "Welyb <no-reply@welyb.fr>",
        "",
        common::ses("PASS", "PASS"),
        common::welyb_policy(),
    );
    assert_eq!(delivery_code(&o), None);
    assert_eq!(o.documents().count(), 1);
    assert!(o.notice_allowed());
    let d = o.documents().next().expect("doc");
    assert_eq!(
        (d.dossier_id.as_str(), d.category),
        ("acme", Category::Purchase)
    );
}

#[test]
fn allow_listed_with_dmarc_fail_is_rejected_and_no_notice() {
    let o = run(
        "no-reply@welyb.fr",
        "",
        common::ses("FAIL", "PASS"),
        common::welyb_policy(),
    );
    assert_eq!(delivery_code(&o), Some(ReasonCode::DmarcFailed));
    assert_eq!(o.documents().count(), 0);
    assert!(!o.notice_allowed());
    // The bodies of a mail nobody accepts are not even decoded (the raw mail is kept by the
    // pipeline).
    assert!(o.parts.is_empty(), "{:?}", o.parts);
}

#[test]
fn dkim_pass_for_an_unaligned_domain_is_rejected() {
    let ar = "Authentication-Results: amazonses.com;\r\n spf=pass smtp.mailfrom=bounce.esp.example;\r\n dkim=pass header.i=@amazonses.com;\r\n dmarc=none header.from=welyb.fr\r\n";
    let o = run(
        "no-reply@welyb.fr",
        ar,
        common::ses("GRAY", "PASS"),
        common::welyb_policy(),
    );
    assert_eq!(delivery_code(&o), Some(ReasonCode::DkimNotAligned));
    assert!(!o.notice_allowed());
}

#[test]
fn dkim_pass_aligned_without_dmarc_record_is_accepted() {
    let ar = "Authentication-Results: amazonses.com; dkim=pass header.d=welyb.fr header.s=k1; dmarc=none\r\n";
    let o = run(
        "no-reply@welyb.fr",
        ar,
        common::ses("GRAY", "PASS"),
        common::welyb_policy(),
    );
    assert_eq!(delivery_code(&o), None);
}

#[test]
fn spf_pass_alone_never_authorizes() {
    let ar = "Authentication-Results: amazonses.com; spf=pass smtp.mailfrom=welyb.fr; dkim=none; dmarc=none\r\n";
    let o = run(
        "no-reply@welyb.fr",
        ar,
        common::ses("GRAY", "GRAY"),
        common::welyb_policy(),
    );
    assert_eq!(delivery_code(&o), Some(ReasonCode::NotAuthenticated));
}

#[test]
fn not_allow_listed_is_rejected_even_when_authenticated() {
    let o = run(
        "compta@other.fr",
        "",
        common::ses("PASS", "PASS"),
        common::welyb_policy(),
    );
    assert_eq!(delivery_code(&o), Some(ReasonCode::SenderNotAllowed));
    let r = o.deliveries[0].rejection.as_ref().expect("rejection");
    assert!(
        r.action.contains("compta@other.fr") && r.action.contains("acme"),
        "{}",
        r.action
    );
    assert!(!o.notice_allowed());
}

#[test]
fn display_name_trick_does_not_pass_the_allow_list() {
    let o = run(
        "\"no-reply@welyb.fr\" <x@evil.example>",
        "",
        common::ses("PASS", "PASS"),
        common::welyb_policy(),
    );
    assert_eq!(delivery_code(&o), Some(ReasonCode::SenderNotAllowed));
}

#[test]
fn allow_everyone_accepts_an_unauthenticated_stranger_without_notice() {
    let policy = SenderPolicy {
        dossier_id: "acme".into(),
        allow_everyone: true,
        ..Default::default()
    };
    let o = run(
        "someone@anywhere.example",
        "",
        common::ses("FAIL", "FAIL"),
        policy,
    );
    assert_eq!(delivery_code(&o), None);
    assert_eq!(o.documents().count(), 1);
    assert!(
        !o.notice_allowed(),
        "never a notice to an unauthenticated sender"
    );
}

#[test]
fn allowed_domain_and_case_insensitive_from() {
    let policy = SenderPolicy {
        dossier_id: "acme".into(),
        allowed_domains: vec!["Welyb.FR".into()],
        ..Default::default()
    };
    let o = run("Factures@WELYB.fr", "", common::ses("PASS", "PASS"), policy);
    assert_eq!(delivery_code(&o), None);
    assert_eq!(
        o.documents().next().map(|d| d.sender.as_str()),
        Some("factures@welyb.fr")
    );
}

#[test]
fn unknown_verdict_strings_are_not_pass() {
    let o = run(
        "no-reply@welyb.fr",
        "",
        common::ses("PASSED", "OK"),
        common::welyb_policy(),
    );
    assert_eq!(delivery_code(&o), Some(ReasonCode::NotAuthenticated));
}

#[test]
fn local_mode_trusts_only_the_configured_authserv_id() {
    let auth = AuthSource::AuthenticationResults {
        authserv_id: "mx.passerelle.local".into(),
    };
    let ours = "Authentication-Results: mx.passerelle.local; dkim=pass header.d=welyb.fr; dmarc=pass header.from=welyb.fr\r\n";
    let forged = "Authentication-Results: evil.example; dmarc=pass header.from=welyb.fr\r\n";
    assert_eq!(
        delivery_code(&run(
            "no-reply@welyb.fr",
            ours,
            auth.clone(),
            common::welyb_policy()
        )),
        None
    );
    assert_eq!(
        delivery_code(&run(
            "no-reply@welyb.fr",
            forged,
            auth.clone(),
            common::welyb_policy()
        )),
        Some(ReasonCode::NotAuthenticated)
    );
    // The topmost header with our id wins over a lower forged one with the same id.
    let fail_on_top = format!(
        "Authentication-Results: mx.passerelle.local; dmarc=fail header.from=welyb.fr\r\n{ours}"
    );
    assert_eq!(
        delivery_code(&run(
            "no-reply@welyb.fr",
            &fail_on_top,
            auth,
            common::welyb_policy()
        )),
        Some(ReasonCode::DmarcFailed)
    );
}

#[test]
fn several_from_mailboxes_reject_the_whole_mail() {
    let o = run(
        "a@welyb.fr, no-reply@welyb.fr",
        "",
        common::ses("PASS", "PASS"),
        common::welyb_policy(),
    );
    assert_eq!(
        o.rejection.as_ref().map(|r| r.code),
        Some(ReasonCode::MultipleFrom)
    );
    let o = run(
        "no-reply@welyb.fr",
        "From: other@welyb.fr\r\n",
        common::ses("PASS", "PASS"),
        common::welyb_policy(),
    );
    assert_eq!(
        o.rejection.as_ref().map(|r| r.code),
        Some(ReasonCode::MultipleFrom)
    );
    assert!(!o.notice_allowed());
}

#[test]
fn virus_verdict_rejects_the_whole_mail() {
    let auth = AuthSource::Ses(mail::SesVerdicts {
        virus: "FAIL".into(),
        dmarc: "PASS".into(),
        ..Default::default()
    });
    let o = run("no-reply@welyb.fr", "", auth, common::welyb_policy());
    assert_eq!(
        o.rejection.as_ref().map(|r| r.code),
        Some(ReasonCode::VirusDetected)
    );
    assert_eq!(o.documents().count(), 0);
}
