//! The `Authentication-Results` grammar (RFC 8601 §2.2): the examples of its appendix B, what
//! SES really writes, and the injections a sender can try through the values MTAs echo.

use mail::authres::{AuthResults, parse};
use proptest::prelude::*;

fn methods(ar: &AuthResults) -> Vec<(String, String)> {
    ar.results
        .iter()
        .map(|r| (r.method.clone(), r.result.clone()))
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn rfc8601_b2_no_authentication_done() {
    let ar = parse("example.org 1; none").unwrap();
    assert_eq!(ar.authserv_id, "example.org");
    assert_eq!(ar.version, Some(1));
    assert!(ar.results.is_empty());
}

#[test]
fn rfc8601_b3_and_b4_results_and_properties() {
    let ar = parse("example.com;\r\n          spf=pass smtp.mailfrom=example.net").unwrap();
    assert_eq!(methods(&ar), pairs(&[("spf", "pass")]));
    assert_eq!(
        ar.results[0].property("smtp", "mailfrom"),
        Some("example.net")
    );

    let ar = parse(
        "example.com;\r\n          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n          spf=pass smtp.mailfrom=example.net",
    )
    .unwrap();
    assert_eq!(methods(&ar), pairs(&[("auth", "pass"), ("spf", "pass")]));
    assert_eq!(
        ar.results[0].property("smtp", "auth"),
        Some("sender@example.net")
    );
}

#[test]
fn rfc8601_b5_reason_and_comments() {
    let ar = parse(
        "example.com;\r\n          dkim=pass reason=\"good signature\"\r\n            header.i=@mail-router.example.net;\r\n          dkim=fail reason=\"bad signature\"\r\n            header.i=@newyork.example.com",
    )
    .unwrap();
    assert_eq!(methods(&ar), pairs(&[("dkim", "pass"), ("dkim", "fail")]));
    assert_eq!(ar.results[0].reason.as_deref(), Some("good signature"));
    assert_eq!(
        ar.results[0].property("header", "i"),
        Some("@mail-router.example.net")
    );
    assert_eq!(
        ar.results[1].property("header", "i"),
        Some("@newyork.example.com")
    );
}

#[test]
fn rfc8601_b7_method_versions_and_comments_everywhere() {
    let ar = parse(
        "(top comment) \"mail.example.org\" 1 (v) ; dkim/1 (version) = (x) pass (good) header (c) . (c) d = example.org (end);",
    )
    .unwrap();
    assert_eq!(ar.authserv_id, "mail.example.org");
    assert_eq!(methods(&ar), pairs(&[("dkim", "pass")]));
    assert_eq!(ar.results[0].property("header", "d"), Some("example.org"));
}

#[test]
fn what_ses_writes_parses_into_its_three_results() {
    let ses = "amazonses.com; spf=pass (spfCheck: domain of example.com designates 203.0.113.0\r\n as permitted sender) client-ip=203.0.113.0; envelope-from=prvs=144d0cba42=\r\n sender@example.com; helo=smtp.example.com; dkim=pass header.i=@example.com;\r\n dmarc=none header.from=example.com;";
    let ar = parse(ses).unwrap();
    assert_eq!(ar.authserv_id, "amazonses.com");
    assert_eq!(
        methods(&ar),
        pairs(&[("spf", "pass"), ("dkim", "pass"), ("dmarc", "none")])
    );
    assert_eq!(ar.skipped, 2, "envelope-from and helo are not results");
    assert_eq!(ar.results[1].property("header", "i"), Some("@example.com"));
    assert_eq!(
        ar.results[2].property("header", "from"),
        Some("example.com")
    );
}

#[test]
fn a_semicolon_inside_a_quoted_mailfrom_never_starts_a_result() {
    // The attack: the sender's MAIL FROM local part, echoed verbatim by the MTA.
    let forged = "mx.passerelle.local; spf=pass smtp.mailfrom=\"x;dkim=pass header.d=welyb.fr;dmarc=pass header.from=welyb.fr\"@evil.example; dkim=none; dmarc=none";
    let ar = parse(forged).unwrap();
    assert_eq!(
        methods(&ar),
        pairs(&[("spf", "pass"), ("dkim", "none"), ("dmarc", "none")])
    );
    assert_eq!(
        ar.results[0].property("smtp", "mailfrom"),
        Some("x;dkim=pass header.d=welyb.fr;dmarc=pass header.from=welyb.fr@evil.example")
    );
}

#[test]
fn a_quoted_envelope_from_echoed_by_ses_is_skipped_whole() {
    let forged = "amazonses.com; spf=pass (spfCheck: ok) client-ip=192.0.2.1; envelope-from=\"a;dkim=pass header.i=@welyb.fr\"@evil.example; helo=mx.evil.example; dkim=pass header.i=@evil.example; dmarc=pass header.from=evil.example;";
    let ar = parse(forged).unwrap();
    assert_eq!(
        methods(&ar),
        pairs(&[("spf", "pass"), ("dkim", "pass"), ("dmarc", "pass")])
    );
    assert_eq!(ar.results[1].property("header", "i"), Some("@evil.example"));
}

#[test]
fn quoted_pairs_do_not_close_a_quoted_string() {
    let forged = "mx.passerelle.local; spf=pass smtp.mailfrom=\"a\\\";dkim=pass header.d=welyb.fr\"@evil.example; dkim=none";
    let ar = parse(forged).unwrap();
    assert_eq!(methods(&ar), pairs(&[("spf", "pass"), ("dkim", "none")]));
}

#[test]
fn semicolons_inside_comments_and_nested_comments_are_comment_text() {
    let forged = "mx.passerelle.local; dkim=none (no sig; dkim=pass header.d=welyb.fr (nested; \\) dmarc=pass) still comment; dkim=pass); dmarc=none";
    let ar = parse(forged).unwrap();
    assert_eq!(methods(&ar), pairs(&[("dkim", "none"), ("dmarc", "none")]));
}

#[test]
fn an_unterminated_quote_or_comment_swallows_the_rest_and_fails_closed() {
    let ar = parse("mx.passerelle.local; spf=pass smtp.mailfrom=\"x; dkim=pass header.d=welyb.fr; dmarc=pass header.from=welyb.fr").unwrap();
    assert_eq!(methods(&ar), pairs(&[("spf", "pass")]));
    let ar = parse("mx.passerelle.local; dkim=none (x; dkim=pass header.d=welyb.fr; dmarc=pass")
        .unwrap();
    assert_eq!(methods(&ar), pairs(&[("dkim", "none")]));
}

#[test]
fn a_broken_result_is_skipped_up_to_the_next_top_level_semicolon() {
    let ar = parse(
        "mx.passerelle.local; dkim=\"pass\" header.d=welyb.fr; =pass header.d=welyb.fr; dkim pass header.d=welyb.fr; dmarc=pass header.from=example.org",
    )
    .unwrap();
    assert_eq!(methods(&ar), pairs(&[("dmarc", "pass")]));
    assert_eq!(ar.skipped, 3);
}

#[test]
fn quoted_property_values_keep_their_semicolons() {
    let ar = parse("mx.example; dkim=pass header.d=welyb.fr header.b=\"ab;c/d+e=\"; dmarc=pass header.from=welyb.fr").unwrap();
    assert_eq!(methods(&ar), pairs(&[("dkim", "pass"), ("dmarc", "pass")]));
    assert_eq!(ar.results[0].property("header", "b"), Some("ab;c/d+e="));
}

#[test]
fn no_authserv_id_is_an_error() {
    assert!(parse("   ").is_err());
    assert!(parse("; dkim=pass header.d=welyb.fr").is_err());
}

proptest! {
    /// Whatever a sender puts in a quoted value (escaped as an MTA would), the results are the
    /// ones around it.
    #[test]
    fn nothing_inside_a_quoted_value_changes_the_results(inner in "[ -~]{0,80}") {
        let escaped = inner.replace('\\', "\\\\").replace('"', "\\\"");
        let field = format!("mx.example; spf=pass smtp.mailfrom=\"{escaped}\"@evil.example; dkim=none; dmarc=fail header.from=welyb.fr");
        let ar = parse(&field).unwrap();
        prop_assert_eq!(methods(&ar), pairs(&[("spf", "pass"), ("dkim", "none"), ("dmarc", "fail")]));
        let got = ar.results[0].property("smtp", "mailfrom").map(str::to_string);
        prop_assert_eq!(got, Some(format!("{inner}@evil.example")));
    }

    /// Same inside a comment (parentheses and backslashes escaped).
    #[test]
    fn nothing_inside_a_comment_changes_the_results(inner in "[ -~]{0,80}") {
        let escaped = inner.replace('\\', "\\\\").replace('(', "\\(").replace(')', "\\)");
        let field = format!("mx.example; dkim=none ({escaped}); dmarc=none header.from=welyb.fr");
        let ar = parse(&field).unwrap();
        prop_assert_eq!(methods(&ar), pairs(&[("dkim", "none"), ("dmarc", "none")]));
    }

    /// Arbitrary input never panics and never loops.
    #[test]
    fn arbitrary_text_parses_without_panic(s in ".{0,200}") {
        let _ = parse(&s);
    }
}
