//! Sender authentication (DMARC / aligned DKIM) and per-dossier authorization.
//!
//! Policy (research note §4.4): the From addr-spec must be on the dossier's allow-list **and**
//! the message must be authenticated: DMARC pass, or (DMARC not failed and) a DKIM pass whose
//! `d=` is aligned with the From domain. SPF and Return-Path never authorize. Unknown verdict
//! strings count as "not pass".

use serde::{Deserialize, Serialize};

use crate::reason::{ReasonCode, Rejection};

/// An authentication verdict as SES (or an `Authentication-Results` result) reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    /// SES `GRAY`, A-R `none`/`neutral`: no policy or no signature.
    Gray,
    ProcessingFailed,
    /// No information at all.
    Missing,
    /// Anything else, kept verbatim. Never treated as pass.
    Other(String),
}

impl Verdict {
    /// Parse an SES verdict status or an A-R result keyword, case-insensitively.
    pub fn parse(s: &str) -> Verdict {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "pass" => Verdict::Pass,
            "fail" | "hardfail" | "softfail" | "permerror" => Verdict::Fail,
            "gray" | "none" | "neutral" | "policy" => Verdict::Gray,
            "processing_failed" | "temperror" => Verdict::ProcessingFailed,
            "" => Verdict::Missing,
            _ => Verdict::Other(t.to_string()),
        }
    }

    pub fn is_pass(&self) -> bool {
        *self == Verdict::Pass
    }
}

/// The verdict strings of an SES receipt (`receipt.*Verdict.status`), verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SesVerdicts {
    pub spam: String,
    pub virus: String,
    pub spf: String,
    pub dkim: String,
    pub dmarc: String,
}

/// Where the authentication verdicts come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthSource {
    /// Cloud: the SES receipt verdicts. DKIM domains are read from the topmost
    /// `Authentication-Results` header whose authserv-id is `amazonses.com`.
    Ses(SesVerdicts),
    /// Local: trust the topmost `Authentication-Results` header whose authserv-id is this value
    /// (added by our own MTA, which must strip inbound headers claiming the same id).
    AuthenticationResults { authserv_id: String },
    /// No verdicts at all: nobody is authenticated (only "allow everyone" dossiers accept).
    None,
}

/// The SMTP envelope of one inbound message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// RCPT TO (SES `receipt.recipients`). They, not the `To` header, pick dossier and category.
    pub recipients: Vec<String>,
    pub auth: AuthSource,
}

/// The sender policy of one dossier, as the [`crate::Directory`] resolves it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderPolicy {
    pub dossier_id: String,
    /// Exact addresses (`no-reply@welyb.fr`), compared lower-cased.
    pub allowed_senders: Vec<String>,
    /// Whole domains (`welyb.fr`), compared lower-cased, exact domain only (no subdomains).
    pub allowed_domains: Vec<String>,
    /// Accept any sender, authenticated or not (off by default).
    pub allow_everyone: bool,
}

/// What the message's authentication says, computed once per mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthFacts {
    pub dmarc: Verdict,
    pub spf: Verdict,
    pub spam: Verdict,
    pub virus: Verdict,
    /// Domains (`d=`, or the domain of `i=`) of DKIM signatures reported as pass.
    pub dkim_pass_domains: Vec<String>,
    /// `header.from` of the trusted DMARC result, when given.
    pub dmarc_header_from: Option<String>,
}

impl AuthFacts {
    fn empty() -> Self {
        AuthFacts {
            dmarc: Verdict::Missing,
            spf: Verdict::Missing,
            spam: Verdict::Missing,
            virus: Verdict::Missing,
            dkim_pass_domains: Vec::new(),
            dmarc_header_from: None,
        }
    }
}

/// The authentication conclusion for a given From domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authentication {
    pub authenticated: bool,
    /// How: "dmarc=pass" or "dkim=pass d=<domain> (aligned)", or why not.
    pub detail: String,
    /// When not authenticated: which rejection applies.
    #[serde(skip)]
    pub failure: Option<ReasonCode>,
}

/// Collect the facts from the envelope's source and the message's header fields.
/// `auth_results` are the raw values of the `Authentication-Results` headers, topmost first.
pub fn gather_facts(source: &AuthSource, auth_results: &[String]) -> AuthFacts {
    let mut facts = AuthFacts::empty();
    let trusted_id = match source {
        AuthSource::Ses(v) => {
            facts.dmarc = Verdict::parse(&v.dmarc);
            facts.spf = Verdict::parse(&v.spf);
            facts.spam = Verdict::parse(&v.spam);
            facts.virus = Verdict::parse(&v.virus);
            "amazonses.com"
        }
        AuthSource::AuthenticationResults { authserv_id } => authserv_id.as_str(),
        AuthSource::None => return facts,
    };
    let Some(ar) = auth_results
        .iter()
        .map(|v| parse_authentication_results(v))
        .find(|ar| ar.authserv_id.eq_ignore_ascii_case(trusted_id))
    else {
        return facts;
    };
    for r in &ar.results {
        match r.method.as_str() {
            "dkim" if r.result.is_pass() => {
                let d = r.prop("header.d").map(str::to_string).or_else(|| {
                    r.prop("header.i")
                        .and_then(|i| i.rsplit_once('@').map(|(_, d)| d.to_string()))
                });
                if let Some(d) = d {
                    facts.dkim_pass_domains.push(normalize_domain(&d));
                }
            }
            "dmarc" if !matches!(source, AuthSource::Ses(_)) => {
                facts.dmarc = r.result.clone();
                facts.dmarc_header_from = r.prop("header.from").map(normalize_domain);
            }
            "spf" if !matches!(source, AuthSource::Ses(_)) => facts.spf = r.result.clone(),
            _ => {}
        }
    }
    facts
}

/// Lower-case, trim a trailing dot. (IDNA: non-ASCII domains are compared as given, lower-cased.)
pub fn normalize_domain(d: &str) -> String {
    d.trim()
        .trim_end_matches('.')
        .trim_matches(|c| c == '"' || c == '<' || c == '>')
        .to_lowercase()
}

/// Relaxed alignment without a public-suffix list: the signing domain equals the From domain,
/// is a subdomain of it, or is a parent of it with at least two labels. (A signature for a
/// public suffix such as `co.uk` cannot exist: nobody can publish keys there.)
pub fn aligned(dkim_domain: &str, from_domain: &str) -> bool {
    if dkim_domain.is_empty() || from_domain.is_empty() {
        return false;
    }
    dkim_domain == from_domain
        || dkim_domain.ends_with(&format!(".{from_domain}"))
        || (from_domain.ends_with(&format!(".{dkim_domain}")) && dkim_domain.contains('.'))
}

/// Is the From domain authenticated by these facts?
pub fn authenticate(facts: &AuthFacts, from_domain: &str) -> Authentication {
    let dmarc_for_from = facts
        .dmarc_header_from
        .as_deref()
        .is_none_or(|d| d == from_domain);
    if facts.dmarc == Verdict::Fail {
        return Authentication {
            authenticated: false,
            detail: "dmarc=fail".into(),
            failure: Some(ReasonCode::DmarcFailed),
        };
    }
    if facts.dmarc.is_pass() && dmarc_for_from {
        return Authentication {
            authenticated: true,
            detail: "dmarc=pass".into(),
            failure: None,
        };
    }
    if let Some(d) = facts
        .dkim_pass_domains
        .iter()
        .find(|d| aligned(d, from_domain))
    {
        return Authentication {
            authenticated: true,
            detail: format!("dkim=pass d={d} (aligned with {from_domain})"),
            failure: None,
        };
    }
    if !facts.dkim_pass_domains.is_empty() {
        return Authentication {
            authenticated: false,
            detail: format!(
                "dkim=pass only for {} (not aligned with {from_domain})",
                facts.dkim_pass_domains.join(", ")
            ),
            failure: Some(ReasonCode::DkimNotAligned),
        };
    }
    Authentication {
        authenticated: false,
        detail: format!("no DMARC pass and no DKIM signature for {from_domain}"),
        failure: Some(ReasonCode::NotAuthenticated),
    }
}

/// Outcome of the per-dossier authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub authorized: bool,
    /// A notice may be sent back to the sender: it is authenticated and authorized.
    pub notice_allowed: bool,
    pub rejection: Option<Rejection>,
}

/// Apply a dossier's sender policy to an (addr-spec, authentication) pair.
pub fn authorize(policy: &SenderPolicy, from: &str, auth: &Authentication) -> Authorization {
    let from_domain = from.rsplit_once('@').map_or("", |(_, d)| d);
    if policy.allow_everyone {
        return Authorization {
            authorized: true,
            notice_allowed: auth.authenticated,
            rejection: None,
        };
    }
    let listed = policy
        .allowed_senders
        .iter()
        .any(|a| a.trim().eq_ignore_ascii_case(from))
        || policy
            .allowed_domains
            .iter()
            .any(|d| normalize_domain(d) == from_domain);
    if !listed {
        return Authorization {
            authorized: false,
            notice_allowed: false,
            rejection: Some(Rejection::new(
                ReasonCode::SenderNotAllowed,
                format!(
                    "The sender {from} is not on the allow-list of dossier {}.",
                    policy.dossier_id
                ),
                format!(
                    "If you trust this sender, add {from} to the allow-list of dossier {}; otherwise no action needed. No notice is sent to the sender.",
                    policy.dossier_id
                ),
            )),
        };
    }
    if !auth.authenticated {
        let code = auth.failure.unwrap_or(ReasonCode::NotAuthenticated);
        let message = match code {
            ReasonCode::DmarcFailed => format!(
                "The message claims to come from {from} but fails DMARC for {from_domain}: it is probably forged."
            ),
            ReasonCode::DkimNotAligned => format!(
                "The message claims to come from {from} but is only signed for another domain ({}).",
                auth.detail
            ),
            _ => format!(
                "The message claims to come from {from} but nothing proves it ({}).",
                auth.detail
            ),
        };
        return Authorization {
            authorized: false,
            notice_allowed: false,
            rejection: Some(Rejection::new(
                code,
                message,
                format!(
                    "Check with {from} that they sent it; if so, their domain {from_domain} must sign its mail (DKIM) and publish DMARC. No notice is sent to the sender."
                ),
            )),
        };
    }
    Authorization {
        authorized: true,
        notice_allowed: true,
        rejection: None,
    }
}

/// One `method=result` entry of an `Authentication-Results` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResult {
    pub method: String,
    pub result: Verdict,
    pub props: Vec<(String, String)>,
}

impl AuthResult {
    fn prop(&self, name: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A parsed `Authentication-Results` header (RFC 8601), leniently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationResults {
    pub authserv_id: String,
    pub results: Vec<AuthResult>,
}

fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                in_quote = !in_quote;
                out.push(c);
            }
            '(' if !in_quote => depth += 1,
            ')' if !in_quote && depth > 0 => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Parse one `Authentication-Results` header value.
pub fn parse_authentication_results(value: &str) -> AuthenticationResults {
    let cleaned = strip_comments(value);
    let mut sections = cleaned.split(';');
    let authserv_id = sections
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let mut results = Vec::new();
    for section in sections {
        let mut tokens = section.split_whitespace();
        let Some(first) = tokens.next() else { continue };
        let Some((method, result)) = first.split_once('=') else {
            continue;
        };
        let props = tokens
            .filter_map(|t| t.split_once('='))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.trim_matches('"').to_string()))
            .collect();
        results.push(AuthResult {
            method: method.to_ascii_lowercase(),
            result: Verdict::parse(result),
            props,
        });
    }
    AuthenticationResults {
        authserv_id,
        results,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ses_style_header_with_comments() {
        let ar = parse_authentication_results(
            "amazonses.com;\r\n spf=pass (spfCheck: domain of x) smtp.mailfrom=bounce.esp.com;\r\n dkim=pass header.i=@welyb.fr; dmarc=pass header.from=welyb.fr;",
        );
        assert_eq!(ar.authserv_id, "amazonses.com");
        assert_eq!(ar.results.len(), 3);
        assert_eq!(ar.results[1].prop("header.i"), Some("@welyb.fr"));
        assert!(ar.results[2].result.is_pass());
    }

    #[test]
    fn alignment_is_relaxed_but_not_open() {
        assert!(aligned("welyb.fr", "welyb.fr"));
        assert!(aligned("welyb.fr", "mail.welyb.fr"));
        assert!(aligned("mail.welyb.fr", "welyb.fr"));
        assert!(!aligned("amazonses.com", "welyb.fr"));
        assert!(!aligned("fr", "welyb.fr"));
        assert!(!aligned("evilwelyb.fr", "welyb.fr"));
    }

    #[test]
    fn unknown_verdicts_are_not_pass() {
        for s in ["PASSED", "ok", "Pass ", "p"] {
            let v = Verdict::parse(s);
            assert_eq!(v.is_pass(), s.trim().eq_ignore_ascii_case("pass"), "{s}");
        }
    }
}
