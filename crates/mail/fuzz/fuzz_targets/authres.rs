//! The `Authentication-Results` parser (RFC 8601) over arbitrary text, and the property that
//! matters: whatever a sender gets into a quoted value or a comment, the results around it are
//! exactly the ones read. Also feeds arbitrary fields to the authentication decision.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail::auth::{AuthSource, SesVerdicts, authenticate, gather_facts};
use mail::authres::parse;

fn methods(field: &str) -> Vec<(String, String)> {
    parse(field)
        .map(|a| a.results.into_iter().map(|r| (r.method, r.result)).collect())
        .unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(ar) = parse(&text) {
        for r in &ar.results {
            assert!(!r.method.is_empty() && !r.result.is_empty());
            assert!(r.method.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        }
    }
    // Injection through a quoted MAIL FROM, escaped as an MTA must.
    let quoted = text.replace('\\', "\\\\").replace('"', "\\\"");
    let field = format!(
        "mx.example; spf=pass smtp.mailfrom=\"{quoted}\"@evil.example; dkim=none; dmarc=fail header.from=welyb.fr"
    );
    let want = [("spf", "pass"), ("dkim", "none"), ("dmarc", "fail")]
        .map(|(a, b)| (a.to_string(), b.to_string()));
    assert_eq!(methods(&field), want.to_vec(), "{field:?}");
    // Injection through a comment, parentheses escaped.
    let commented = text
        .replace('\\', "\\\\")
        .replace('(', "\\(")
        .replace(')', "\\)");
    let field = format!("mx.example; dkim=none ({commented}); dmarc=none");
    let want = [("dkim", "none"), ("dmarc", "none")].map(|(a, b)| (a.to_string(), b.to_string()));
    assert_eq!(methods(&field), want.to_vec(), "{field:?}");
    // The decision over arbitrary fields never panics, and never authenticates from a field
    // that is not ours.
    let fields: Vec<String> = text.split('\n').map(str::to_string).collect();
    let local = AuthSource::AuthenticationResults {
        authserv_id: "mx.passerelle.local".into(),
    };
    let facts = gather_facts(&local, &fields);
    let ours = fields
        .iter()
        .filter_map(|f| parse(f).ok())
        .any(|a| a.authserv_id.eq_ignore_ascii_case("mx.passerelle.local"));
    if !ours {
        assert!(!authenticate(&facts, "welyb.fr").authenticated);
    }
    let ses = AuthSource::Ses(SesVerdicts {
        dmarc: "PASS".into(),
        dkim: "PASS".into(),
        ..Default::default()
    });
    let _ = authenticate(&gather_facts(&ses, &fields), "welyb.fr");
});
