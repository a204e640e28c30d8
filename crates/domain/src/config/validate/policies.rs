//! The dossier's policies: auxiliary codes, rounding, who may send it documents by mail, and the
//! words that exclude a document.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::report::Report;
use crate::config::raw::{RawAuxiliary, RawMail, RawRounding};
use crate::config::rules::{is_address, is_domain, is_slug};
use crate::config::types::{AuxiliaryRules, MailPolicy, Rounding, RoundingTarget};

pub(super) struct Policies {
    pub auxiliary: AuxiliaryRules,
    pub rounding: Option<Rounding>,
    pub mail: MailPolicy,
}

pub(super) fn validate(
    auxiliary: RawAuxiliary,
    rounding: RawRounding,
    mail: RawMail,
    exclusion_words: &[String],
    id: &str,
    report: &mut Report,
) -> Policies {
    let length = auxiliary.length.unwrap_or(8);
    if !(3..=20).contains(&length) {
        report.err(
            "auxiliary.length",
            format!("{length} is out of range"),
            "use a length from 3 to 20 characters (8 is the usual one)",
        );
    }
    let rounding = self::rounding(rounding, report);
    let mail = self::mail(mail, id, report);
    for word in exclusion_words {
        if word.trim().is_empty() {
            report.err(
                "exclusion_words",
                "contains an empty word, which would exclude every document",
                "remove the empty string",
            );
        }
    }
    Policies {
        auxiliary: AuxiliaryRules {
            length: length.clamp(0, 20) as usize,
        },
        rounding,
        mail,
    }
}

fn rounding(raw: RawRounding, report: &mut Report) -> Option<Rounding> {
    let tolerance = match raw.tolerance_per_rate.as_deref() {
        None => Some(Decimal::new(1, 2)),
        Some(text) => match Decimal::from_str(text) {
            Ok(d) if d >= Decimal::ZERO && d <= Decimal::ONE => Some(d),
            _ => {
                report.err(
                    "rounding.tolerance_per_rate",
                    format!("'{text}' is not an amount between 0 and 1"),
                    "write it as a string such as \"0.01\"",
                );
                None
            }
        },
    };
    let target = match raw.target.as_deref().unwrap_or("accounts") {
        "accounts" => Some(RoundingTarget::Accounts),
        "vat" => {
            report.err(
                "rounding.target",
                "\"vat\" would move the rounding gap onto a VAT line, so the VAT booked would no longer be the invoice's VAT (what the VAT return declares)",
                "remove the line or write target = \"accounts\": gaps go to rounding_debit (658x) and rounding_credit (758x), the VAT stays the document's",
            );
            None
        }
        other => {
            report.err(
                "rounding.target",
                format!("'{other}' is not a rounding target"),
                "use \"accounts\" (gaps to rounding_debit 658x / rounding_credit 758x)",
            );
            None
        }
    };
    Some(Rounding {
        tolerance_per_rate: tolerance?,
        target: target?,
    })
}

fn mail(raw: RawMail, id: &str, report: &mut Report) -> MailPolicy {
    let slug = raw.slug.unwrap_or_else(|| id.to_string()).to_lowercase();
    if !slug.is_empty() && !is_slug(&slug) {
        report.err(
            "mail.slug",
            format!("'{slug}' cannot be part of a mail address"),
            "use lower-case letters, digits and '-' only",
        );
    }
    let mut senders = Vec::new();
    for sender in raw.allowed_senders {
        let s = sender.trim().to_lowercase();
        if is_address(&s) {
            senders.push(s);
        } else {
            report.err(
                "mail.allowed_senders",
                format!("'{sender}' is not a mail address"),
                "list exact addresses such as \"no-reply@welyb.fr\"",
            );
        }
    }
    let mut domains = Vec::new();
    for domain in raw.allowed_domains {
        let d = domain.trim().trim_start_matches('@').to_lowercase();
        if is_domain(&d) {
            domains.push(d);
        } else {
            report.err(
                "mail.allowed_domains",
                format!("'{domain}' is not a domain"),
                "list whole domains such as \"welyb.fr\"",
            );
        }
    }
    MailPolicy {
        slug,
        allowed_senders: senders,
        allowed_domains: domains,
        allow_everyone: raw.allow_everyone.unwrap_or(false),
    }
}
