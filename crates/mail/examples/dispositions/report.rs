//! One stable line per message and per MIME part: what the intake decided and why.
//!
//! Used by `examples/dispositions` (any directory of messages) and by `tests/dispositions.rs`
//! (the committed subset against its golden file). Only the crate's public API that the code
//! before issue 15 already had is used (`intake`, `Envelope`, `AuthSource`, `SenderPolicy`,
//! `Directory`, `MailOutcome`, `PartOutcome`), so `scripts/mail-corpora/diff` can copy this
//! folder onto the older tree and compare the two runs line by line.
//!
//! Line: `path<TAB>profile<TAB>part<TAB>disposition<TAB>kind<TAB>reason<TAB>declared type<TAB>name`.
//! The message line has part `-`; its disposition is `accepted` (at least one file collected)
//! or `rejected`, its reason `collected` or the reason code of the mail's (or the delivery's)
//! rejection. A part is `accepted` (collected; kind: the type read from its content; reason
//! `classified` or `extension_corrected`), `held` (its type was read but the mail was refused,
//! so nothing was collected; reason: the mail's), `rejected` (its reason code) or `skipped`
//! (why: message body, signature, inline image…).

use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::{DateTime, TimeZone, Utc};
use mail::{AuthSource, Directory, Envelope, MailOutcome, PartOutcome, SenderPolicy, SesVerdicts};

/// The one collection address every message is delivered to.
pub const RECIPIENT: &str = "achat.corpus@collect.example.fr";

/// authserv-id used by the `listed` profile when the message has no `Authentication-Results`.
pub const NO_AUTHSERV_ID: &str = "mx.corpus.invalid";

/// How the dossier and the sender's authentication are set up for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The dossier allows everyone (SES verdicts PASS): every message reaches the parts, so
    /// the run shows how each attachment is classified.
    Open,
    /// The local runtime: the sender's From domain is on the dossier's allow-list and the
    /// verdict comes from the `Authentication-Results` fields of one authserv-id (by default
    /// the one of the message's topmost field, as if our MTA had written it).
    Listed,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::Open, Profile::Listed];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Open => "open",
            Profile::Listed => "listed",
        }
    }

    pub fn parse(s: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == s)
    }
}

/// The run's settings.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `listed` profile: trust this authserv-id instead of the message's topmost one.
    pub authserv_id: Option<String>,
}

/// A fixed reception time: the lines do not depend on when the tool runs.
pub fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0)
        .single()
        .expect("valid date")
}

struct OneDossier {
    policy: SenderPolicy,
}

impl Directory for OneDossier {
    fn sender_policy(&self, domain: &str, slug: &str) -> Option<SenderPolicy> {
        (domain == "collect.example.fr" && slug == "corpus").then(|| self.policy.clone())
    }
}

/// The lines of one message under one profile. `rel` is the message's path as printed.
pub fn lines(rel: &str, raw: &[u8], profile: Profile, settings: &Settings) -> Vec<String> {
    let (auth, policy) = match profile {
        Profile::Open => (
            AuthSource::Ses(SesVerdicts {
                spam: "PASS".into(),
                virus: "PASS".into(),
                spf: "PASS".into(),
                dkim: "PASS".into(),
                dmarc: "PASS".into(),
            }),
            SenderPolicy {
                dossier_id: "corpus".into(),
                allow_everyone: true,
                ..SenderPolicy::default()
            },
        ),
        Profile::Listed => {
            let authserv_id = settings
                .authserv_id
                .clone()
                .or_else(|| top_authserv_id(raw))
                .unwrap_or_else(|| NO_AUTHSERV_ID.into());
            let domain = from_domain(raw).unwrap_or_else(|| "unknown.invalid".into());
            (
                AuthSource::AuthenticationResults { authserv_id },
                SenderPolicy {
                    dossier_id: "corpus".into(),
                    allowed_domains: vec![domain],
                    ..SenderPolicy::default()
                },
            )
        }
    };
    let envelope = Envelope {
        recipients: vec![RECIPIENT.into()],
        auth,
    };
    let dir = OneDossier { policy };
    let run = catch_unwind(AssertUnwindSafe(|| {
        mail::intake(raw, &envelope, &dir, &mail::NoDuplicates, received())
    }));
    let head = |disposition: &str, reason: &str| {
        format!(
            "{rel}\t{}\t-\t{disposition}\t-\t{reason}\t-\t-",
            profile.name()
        )
    };
    let outcome = match run {
        Ok(o) => o,
        Err(_) => return vec![head("panic", "intake_panicked")],
    };
    let refusal = mail_reason(&outcome);
    let mut out = vec![match &refusal {
        None => head("accepted", "collected"),
        Some(code) => head("rejected", code),
    }];
    for p in &outcome.parts {
        let collected = outcome.documents().any(|d| d.part_path == p.path);
        let (disposition, kind, reason) = match &p.outcome {
            PartOutcome::Accepted {
                file_type,
                extension_corrected,
            } => (
                if collected { "accepted" } else { "held" },
                file_type.extension().to_string(),
                match (&refusal, collected, *extension_corrected) {
                    (Some(code), false, _) => code.clone(),
                    (_, _, true) => "extension_corrected".into(),
                    _ => "classified".into(),
                },
            ),
            PartOutcome::Rejected { rejection } => {
                ("rejected", "-".into(), code_of(&rejection.code))
            }
            PartOutcome::Skipped { reason } => ("skipped", "-".into(), code_of(reason)),
        };
        let name = p.original_name.as_deref().map_or("-".into(), escape);
        out.push(format!(
            "{rel}\t{}\t{}\t{disposition}\t{kind}\t{reason}\t{}\t{name}",
            profile.name(),
            escape(&p.path),
            escape(&p.content_type.to_ascii_lowercase()),
        ));
    }
    out
}

/// `None`: at least one file collected; otherwise the reason code of the refusal.
fn mail_reason(o: &MailOutcome) -> Option<String> {
    if let Some(r) = &o.rejection {
        return Some(code_of(&r.code));
    }
    if o.documents().next().is_some() {
        return None;
    }
    Some(
        o.deliveries
            .iter()
            .find_map(|d| d.rejection.as_ref())
            .map_or_else(|| "no_delivery".into(), |r| code_of(&r.code)),
    )
}

/// The snake_case name a code serializes to (`not_authenticated`, `message_body`…).
fn code_of<T: serde::Serialize>(code: &T) -> String {
    match serde_json::to_value(code) {
        Ok(serde_json::Value::String(s)) if !s.is_empty() => s,
        _ => "unnamed_reason".into(),
    }
}

/// Tabs, line breaks, other control and bidi characters shown as `\u{…}`.
pub fn escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The top header section's fields (name, unfolded value), stopping at the first empty line.
fn header_fields(raw: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(&raw[..raw.len().min(256 * 1024)]);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = fields.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((n, v)) = line.split_once(':') {
            fields.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    fields
}

/// The authserv-id of the topmost `Authentication-Results` field (before its first `;`).
fn top_authserv_id(raw: &[u8]) -> Option<String> {
    let (_, v) = header_fields(raw)
        .into_iter()
        .find(|(n, _)| n == "authentication-results")?;
    let id = v
        .split(|c: char| c == ';' || c.is_whitespace() || c == '(')
        .next()?
        .trim_matches('"');
    (!id.is_empty()).then(|| id.to_string())
}

/// The domain after the last `@` of the first `From` field, lower-cased (the allow-list entry
/// of the `listed` profile: a guess, the intake still reads From by its own rules).
fn from_domain(raw: &[u8]) -> Option<String> {
    let (_, v) = header_fields(raw).into_iter().find(|(n, _)| n == "from")?;
    let (_, after) = v.rsplit_once('@')?;
    let d: String = after
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    (!d.is_empty()).then(|| d.to_lowercase())
}

/// Directories of a corpus that hold licence texts, not messages.
pub fn is_message_dir(name: &str) -> bool {
    !matches!(name, "LICENSES" | "LICENCES")
}

/// Files of a corpus directory that are not messages (licences, notes, golden files).
pub fn is_message_file(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let notes = [
        "README", "LICENSE", "LICENCE", "COPYING", "NOTICE", "MANIFEST",
    ];
    !(notes.iter().any(|n| upper.starts_with(n))
        || name.starts_with('.')
        || [".md", ".golden", ".toml", ".tsv", ".sh"]
            .iter()
            .any(|e| name.ends_with(e)))
}
