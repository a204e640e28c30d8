//! The rules a value must follow: accounts of the French chart, journal codes, rates, dates,
//! identifiers.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// What an account field must look like.
pub(super) struct AccountRule {
    /// Accepted leading digits (any of them).
    pub(super) prefixes: &'static [&'static str],
    pub(super) what: &'static str,
    pub(super) example: &'static str,
}

impl AccountRule {
    pub(super) const REVENUE_GOODS: AccountRule = AccountRule {
        prefixes: &["70"],
        what: "a revenue account (70x)",
        example: "707000",
    };
    pub(super) const REVENUE_SERVICES: AccountRule = AccountRule {
        prefixes: &["70"],
        what: "a revenue account (70x)",
        example: "706000",
    };
    pub(super) const PURCHASES: AccountRule = AccountRule {
        prefixes: &["60", "61", "62"],
        what: "a purchase or external charge account (60x–62x)",
        example: "607000",
    };
    pub(super) const CUSTOMERS: AccountRule = AccountRule {
        prefixes: &["411", "416", "418"],
        what: "a customers account (411)",
        example: "411000",
    };
    pub(super) const SUPPLIERS: AccountRule = AccountRule {
        prefixes: &["401", "404", "408"],
        what: "a suppliers account (401)",
        example: "401000",
    };
    pub(super) const ROUNDING_DEBIT: AccountRule = AccountRule {
        prefixes: &["658"],
        what: "a 658x account (other operating charges: cent gaps on the debit side)",
        example: "658000",
    };
    pub(super) const ROUNDING_CREDIT: AccountRule = AccountRule {
        prefixes: &["758"],
        what: "a 758x account (other operating income: cent gaps on the credit side)",
        example: "758000",
    };
    pub(super) const DISCOUNT: AccountRule = AccountRule {
        prefixes: &["709"],
        what: "a discounts-granted account (709x)",
        example: "709700",
    };
    pub(super) const VAT_COLLECTED: AccountRule = AccountRule {
        prefixes: &["4457"],
        what: "a collected VAT account (4457x)",
        example: "445711",
    };
    pub(super) const VAT_DEDUCTIBLE: AccountRule = AccountRule {
        prefixes: &["4456"],
        what: "a deductible VAT account (4456x)",
        example: "445660",
    };
    pub(super) const VAT_INTRA_COMMUNITY_DEDUCTIBLE: AccountRule = AccountRule {
        prefixes: &["4456"],
        what: "a deductible VAT account (4456x)",
        example: "445662",
    };
    pub(super) const VAT_INTRA_COMMUNITY_DUE: AccountRule = AccountRule {
        prefixes: &["4452", "4457"],
        what: "a VAT due account (4452 intra-community, or 4457x)",
        example: "4452",
    };
    pub(super) const VAT_SELF_ASSESSED_DUE: AccountRule = AccountRule {
        prefixes: &["4457", "4452"],
        what: "a VAT due account (4457x self-assessed, or 4452)",
        example: "4457",
    };
}

pub(super) fn account_problem(value: &str, rule: &AccountRule) -> Option<(String, String)> {
    let fix = format!("use {}, e.g. \"{}\"", rule.what, rule.example);
    if value.is_empty() {
        return Some(("is empty".into(), fix));
    }
    if value.len() > 32 || !value.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Some((
            format!("'{value}' must be at most 32 letters or digits"),
            fix,
        ));
    }
    let head: String = value.chars().take(3).collect();
    if head.len() < 3 || !head.chars().all(|c| c.is_ascii_digit()) {
        return Some((
            format!("'{value}' must start with 3 digits of the French chart of accounts"),
            fix,
        ));
    }
    if !matches!(value.as_bytes()[0], b'1'..=b'8') {
        return Some((
            format!(
                "'{value}' is in class {}, which is not a class of the French chart of accounts (1 to 8)",
                &value[..1]
            ),
            fix,
        ));
    }
    if !rule.prefixes.iter().any(|p| value.starts_with(p)) {
        return Some((format!("'{value}' is not {}", rule.what), fix));
    }
    None
}

/// What is wrong with a journal code, if anything.
pub(super) fn journal_code_problem(code: &str) -> Option<String> {
    if code.chars().count() > 4 {
        Some(format!(
            "journal code '{code}' is longer than 4 characters (Inqom takes 2 to 4)"
        ))
    } else if code.chars().count() < 2 {
        Some(format!(
            "journal code '{code}' is shorter than 2 characters"
        ))
    } else if !code
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        Some(format!(
            "journal code '{code}' must be upper-case letters and digits"
        ))
    } else {
        None
    }
}

/// The journal code of a longer source journal name: its first 4 letters or digits, upper-case
/// ("Ventes" → "VENT"). `None` when the name has no letter or digit.
pub fn derive_journal_code(name: &str) -> Option<String> {
    let code: String = deunicode::deunicode(name)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .take(4)
        .collect();
    (!code.is_empty()).then_some(code)
}

/// Parses a VAT rate key ("20", "5.5", "5,5", "20%").
pub fn parse_rate(text: &str) -> Option<Decimal> {
    let cleaned = text.trim().trim_end_matches('%').replace(',', ".");
    let rate = Decimal::from_str(cleaned.trim()).ok()?;
    (rate >= Decimal::ZERO && rate < Decimal::ONE_HUNDRED).then(|| rate.normalize())
}

pub(super) fn parse_month_day(text: &str) -> Option<(u32, u32)> {
    let (m, d) = text.split_once('-')?;
    let (m, d): (u32, u32) = (m.parse().ok()?, d.parse().ok()?);
    // Validate against a leap year so 02-29 is accepted (it closes on 02-28 in other years).
    NaiveDate::from_ymd_opt(2024, m, d).map(|_| (m, d))
}

pub(super) fn closing_date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day)
        .or_else(|| NaiveDate::from_ymd_opt(year, month, day - 1))
        .unwrap_or(NaiveDate::MIN)
}

pub(super) fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
}

pub(super) fn is_domain(d: &str) -> bool {
    d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

pub(super) fn is_address(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !local.contains(char::is_whitespace) && is_domain(domain)
        }
        None => false,
    }
}

/// SIREN: 9 digits with a Luhn check digit (INSEE).
pub fn is_valid_siren(s: &str) -> bool {
    s.len() == 9 && s.chars().all(|c| c.is_ascii_digit()) && luhn(s)
}

pub(super) fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap_or(0);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}
