//! Shared test helpers: an in-memory directory and envelopes.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeZone, Utc};
use mail::{AuthSource, Category, Directory, DuplicateIndex, Envelope, SenderPolicy, SesVerdicts};

/// Dossiers keyed by (domain, slug).
#[derive(Default)]
pub struct MemDirectory {
    pub dossiers: HashMap<(String, String), SenderPolicy>,
}

impl MemDirectory {
    pub fn with(mut self, domain: &str, slug: &str, policy: SenderPolicy) -> Self {
        self.dossiers.insert((domain.into(), slug.into()), policy);
        self
    }
}

impl Directory for MemDirectory {
    fn sender_policy(&self, domain: &str, slug: &str) -> Option<SenderPolicy> {
        self.dossiers
            .get(&(domain.to_string(), slug.to_string()))
            .cloned()
    }
}

/// Accepts every slug at every domain, allowing everyone (corpus runs).
pub struct OpenDirectory;

impl Directory for OpenDirectory {
    fn sender_policy(&self, _domain: &str, slug: &str) -> Option<SenderPolicy> {
        Some(SenderPolicy {
            dossier_id: slug.to_string(),
            allow_everyone: true,
            ..Default::default()
        })
    }
}

#[derive(Default)]
pub struct MemDups(pub HashSet<(String, Category, String)>);

impl DuplicateIndex for MemDups {
    fn seen(&self, dossier_id: &str, category: Category, sha256: &str) -> bool {
        self.0
            .contains(&(dossier_id.to_string(), category, sha256.to_string()))
    }
}

pub fn ses(dmarc: &str, dkim: &str) -> AuthSource {
    AuthSource::Ses(SesVerdicts {
        spam: "PASS".into(),
        virus: "PASS".into(),
        spf: "PASS".into(),
        dkim: dkim.into(),
        dmarc: dmarc.into(),
    })
}

pub fn envelope(recipients: &[&str], auth: AuthSource) -> Envelope {
    Envelope {
        recipients: recipients.iter().map(|s| s.to_string()).collect(),
        auth,
    }
}

pub fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0)
        .single()
        .expect("valid date")
}

pub fn welyb_policy() -> SenderPolicy {
    SenderPolicy {
        dossier_id: "acme".into(),
        allowed_senders: vec!["no-reply@welyb.fr".into()],
        allowed_domains: vec![],
        allow_everyone: false,
    }
}

/// The `Authentication-Results` SES prepends for a mail from `from` that passes (the tests'
/// SES verdicts decide; this header only names the domain SES judged).
pub fn ses_header(from: &str) -> String {
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim().to_lowercase())
        .unwrap_or_default();
    format!(
        "Authentication-Results: amazonses.com;\r\n spf=pass (spfCheck: domain of {domain} designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1; envelope-from=bounce@{domain}; helo=mail.{domain};\r\n dkim=pass header.i=@{domain}; dmarc=pass header.from={domain};\r\n"
    )
}

/// A minimal mail with one base64 attachment. Without an `Authentication-Results` field in
/// `extra_headers`, the one SES would prepend for `from` comes first.
pub fn mail_with_attachment(
    from: &str,
    extra_headers: &str,
    name: &str,
    ctype: &str,
    data: &[u8],
) -> Vec<u8> {
    let b64 = base64_encode(data);
    let ses = if extra_headers.contains("Authentication-Results") {
        String::new()
    } else {
        ses_header(from)
    };
    format!(
        "{ses}{extra_headers}From: {from}\r\nTo: achat.acme@collect.example.fr\r\nSubject: Facture\r\nMessage-ID: <m1@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, ci-joint la facture.\r\n--XX\r\nContent-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--XX--\r\n"
    )
    .into_bytes()
}

pub fn base64_encode(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() * 4 / 3 + data.len() / 57 * 2 + 4);
    for (i, chunk) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}
