//! Sender authentication (DMARC / aligned DKIM) and per-dossier authorization.
//!
//! Policy (research note §4.4): the From addr-spec must be on the dossier's allow-list **and**
//! the message must be authenticated: DMARC pass, or (DMARC not failed and) a DKIM pass whose
//! `d=` is aligned with the From domain. SPF and Return-Path never authorize. Unknown verdict
//! strings count as "not pass".

use serde::{Deserialize, Serialize};

use crate::authres::{self, AuthResults, ResInfo};
use crate::escape::for_terminal;
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
    /// The From domain the verdicts were computed for: `header.from` of the trusted DMARC
    /// result. `None`: unknown, and then a DMARC verdict cannot be bound to our From.
    pub dmarc_header_from: Option<String>,
    /// The trusted results contradict themselves or carry what a sender injected (several
    /// DMARC results, several DKIM results in SES's header): nothing in them is trusted.
    pub tampered: Option<String>,
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
            tampered: None,
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

/// SES's authserv-id (the header SES prepends to every received mail).
pub const SES_AUTHSERV_ID: &str = "amazonses.com";

fn dkim_domain(r: &ResInfo) -> Option<String> {
    r.property("header", "d")
        .map(str::to_string)
        .or_else(|| {
            r.property("header", "i")
                .and_then(|i| i.rsplit_once('@').map(|(_, d)| d.to_string()))
        })
        .map(|d| normalize_domain(&d))
        .filter(|d| !d.is_empty())
}

/// Collect the facts from the envelope's source and the message's header fields.
/// `auth_results` are the raw values of the `Authentication-Results` headers, topmost first.
///
/// - SES: the verdicts come from the receipt (`receipt.*Verdict`), never from header text.
///   The header SES prepends (the **topmost** `Authentication-Results`, authserv-id
///   `amazonses.com`) only says which From domain SES judged (`dmarc … header.from=`) and
///   which domain the passing DKIM signature is for; SES writes one `spf`, one `dkim` and one
///   `dmarc` result, so a second one is something the sender got echoed into it (its HELO or
///   MAIL FROM) and the whole header is distrusted.
/// - Local: every field with our authserv-id is ours (our MTA removes inbound ones claiming
///   it, RFC 8601 §5), merged as MTAs that split DKIM and DMARC write them. DMARC results must
///   agree; any `dmarc=fail` wins.
pub fn gather_facts(source: &AuthSource, auth_results: &[String]) -> AuthFacts {
    let mut facts = AuthFacts::empty();
    match source {
        AuthSource::Ses(v) => {
            facts.dmarc = Verdict::parse(&v.dmarc);
            facts.spf = Verdict::parse(&v.spf);
            facts.spam = Verdict::parse(&v.spam);
            facts.virus = Verdict::parse(&v.virus);
            let top = auth_results.first().and_then(|v| authres::parse(v).ok());
            let Some(ar) = top.filter(|a| a.authserv_id.eq_ignore_ascii_case(SES_AUTHSERV_ID))
            else {
                return facts;
            };
            for method in ["spf", "dkim", "dmarc"] {
                let n = ar.method(method).count();
                if n > 1 {
                    facts.tampered = Some(format!(
                        "SES's Authentication-Results header carries {n} {method} results (SES writes one): a value the sender controls was echoed into it"
                    ));
                    return facts;
                }
            }
            if let Some(d) = ar.method("dmarc").next() {
                facts.dmarc_header_from = d.property("header", "from").map(normalize_domain);
                if facts.dmarc.is_pass() && Verdict::parse(&d.result) != Verdict::Pass {
                    facts.tampered = Some(format!(
                        "SES's verdict is DMARC PASS but its header says dmarc={}",
                        d.result
                    ));
                    return facts;
                }
            }
            if Verdict::parse(&v.dkim).is_pass() {
                facts.dkim_pass_domains = ar
                    .method("dkim")
                    .filter(|r| Verdict::parse(&r.result).is_pass())
                    .filter_map(dkim_domain)
                    .collect();
            }
        }
        AuthSource::AuthenticationResults { authserv_id } => {
            let ours: Vec<AuthResults> = auth_results
                .iter()
                .filter_map(|v| authres::parse(v).ok())
                .filter(|a| a.authserv_id.eq_ignore_ascii_case(authserv_id))
                .collect();
            merge_local(&mut facts, &ours);
        }
        AuthSource::None => {}
    }
    facts
}

fn merge_local(facts: &mut AuthFacts, ours: &[AuthResults]) {
    let results = || ours.iter().flat_map(|a| a.results.iter());
    let dmarc: Vec<&ResInfo> = results().filter(|r| r.method == "dmarc").collect();
    if dmarc
        .iter()
        .any(|r| Verdict::parse(&r.result) == Verdict::Fail)
    {
        facts.dmarc = Verdict::Fail;
    } else if let Some(first) = dmarc.first() {
        let from_of = |r: &ResInfo| r.property("header", "from").map(normalize_domain);
        let agree = dmarc
            .iter()
            .all(|r| r.result == first.result && from_of(r) == from_of(first));
        if !agree {
            facts.tampered =
                Some("our Authentication-Results fields carry DMARC results that disagree".into());
            return;
        }
        facts.dmarc = Verdict::parse(&first.result);
        facts.dmarc_header_from = from_of(first);
    }
    if let Some(spf) = results().find(|r| r.method == "spf") {
        facts.spf = Verdict::parse(&spf.result);
    }
    facts.dkim_pass_domains = results()
        .filter(|r| r.method == "dkim" && Verdict::parse(&r.result).is_pass())
        .filter_map(dkim_domain)
        .collect();
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
    if let Some(why) = &facts.tampered {
        return Authentication {
            authenticated: false,
            detail: why.clone(),
            failure: Some(ReasonCode::NotAuthenticated),
        };
    }
    // The verdict is about the From domain the verifier read: it must be ours.
    if let Some(judged) = facts.dmarc_header_from.as_deref()
        && judged != from_domain
    {
        return Authentication {
            authenticated: false,
            detail: format!(
                "the DMARC verdict is for {judged}, not for the From domain {from_domain}"
            ),
            failure: Some(ReasonCode::NotAuthenticated),
        };
    }
    if facts.dmarc == Verdict::Fail {
        return Authentication {
            authenticated: false,
            detail: "dmarc=fail".into(),
            failure: Some(ReasonCode::DmarcFailed),
        };
    }
    if facts.dmarc.is_pass() && facts.dmarc_header_from.is_some() {
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
    let listed = policy
        .allowed_senders
        .iter()
        .any(|a| a.trim().eq_ignore_ascii_case(from))
        || policy
            .allowed_domains
            .iter()
            .any(|d| normalize_domain(d) == from_domain);
    // Never a notice to a sender nobody listed, even on an "allow everyone" dossier.
    if policy.allow_everyone {
        return Authorization {
            authorized: true,
            notice_allowed: auth.authenticated && listed,
            rejection: None,
        };
    }
    let shown = for_terminal(from);
    let from_domain = for_terminal(from_domain);
    let from = shown.as_ref();
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

#[cfg(test)]
mod tests {
    use super::*;

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
