//! The whole intake over arbitrary bytes: route, authenticate, parse, walk, classify.
//! The first byte picks the authentication source and the dossier policy; the rest is the raw
//! message. Also classifies the raw bytes as a file, to reach the ZIP/CFB readers directly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail::{AuthSource, Category, Directory, DuplicateIndex, Envelope, SenderPolicy, SesVerdicts};

struct Dir(bool);

impl Directory for Dir {
    fn sender_policy(&self, _domain: &str, slug: &str) -> Option<SenderPolicy> {
        (slug != "unknown").then(|| SenderPolicy {
            dossier_id: slug.to_string(),
            allowed_senders: vec!["no-reply@welyb.fr".into()],
            allowed_domains: vec!["example.com".into()],
            allow_everyone: self.0,
        })
    }
}

struct Dups;

impl DuplicateIndex for Dups {
    fn seen(&self, _: &str, _: Category, sha256: &str) -> bool {
        sha256.starts_with('0')
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, raw)) = data.split_first() else {
        return;
    };
    let auth = match selector % 3 {
        0 => AuthSource::Ses(SesVerdicts {
            dmarc: if selector & 4 == 0 { "PASS" } else { "GRAY" }.into(),
            virus: if selector & 8 == 0 { "PASS" } else { "FAIL" }.into(),
            ..Default::default()
        }),
        1 => AuthSource::AuthenticationResults {
            authserv_id: "mx.example".into(),
        },
        _ => AuthSource::None,
    };
    let envelope = Envelope {
        recipients: vec![
            "achat.acme@collect.example".into(),
            "NDF.beta@collect.example".into(),
            "vente.unknown@collect.example".into(),
            "bogus@collect.example".into(),
        ],
        auth,
    };
    let outcome = mail::intake(
        raw,
        &envelope,
        &Dir(selector & 16 != 0),
        &Dups,
        chrono::DateTime::UNIX_EPOCH,
    );
    for d in outcome.documents() {
        assert_eq!(d.size, d.content.len());
        assert!(!d.file_name.contains('/') && !d.file_name.contains('\\'));
        assert!(!d.file_name.ends_with('.') && !d.file_name.ends_with(' '));
        assert!(!d.file_name.chars().any(mail::escape::is_unsafe));
    }
    // A document is only ever collected for an authenticated sender, or on an
    // "allow everyone" dossier.
    if outcome.is_accepted() && selector & 16 == 0 {
        assert!(outcome.auth.as_ref().is_some_and(|a| a.authenticated));
    }
    if !outcome.auth.as_ref().is_some_and(|a| a.authenticated) {
        assert!(!outcome.notice_allowed());
    }
    for r in outcome.rejections() {
        assert!(!r.message.is_empty() && !r.action.is_empty());
    }
    let _ = mail::classify::classify(raw, Some("f.docx"));
});
