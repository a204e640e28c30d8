//! `[dossier.accounts]` and `[dossier.vat]`: every account must be of the class and kind its
//! use needs in the French chart of accounts (PCG).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::report::Report;
use crate::chart::{RowSide, row_account_problem};
use crate::config::issues::ConfigIssue;
use crate::config::raw::{RawAccountMap, RawAccounts, RawEInvoice, RawSelfAssessed, RawVat};
use crate::config::rules::{AccountRule, account_problem, parse_rate};
use crate::config::types::{
    AccountMap, Accounts, EInvoiceSettings, SelfAssessedAccounts, VatAccounts, supplier_id,
};

/// Default VAT accounts: 4457x per rate for sales (subdivision used by django-accounting-fr's
/// chart; practice, not PCG-mandated), 44566 for purchases.
const DEFAULT_SALES_VAT: [(&str, &str); 4] = [
    ("20", "445711"),
    ("10", "445712"),
    ("5.5", "445713"),
    ("2.1", "445714"),
];
const DEFAULT_PURCHASE_VAT: [(&str, &str); 4] = [
    ("20", "445660"),
    ("10", "445660"),
    ("5.5", "445660"),
    ("2.1", "445660"),
];

/// One account: the given value or its default, checked against its rule.
fn account(
    report: &mut Report,
    key: &str,
    value: Option<String>,
    default: Option<&str>,
    rule: AccountRule,
) -> String {
    let field = format!("accounts.{key}");
    match value.or_else(|| default.map(str::to_string)) {
        None => {
            report.err(
                &field,
                "is missing",
                format!("add {key} = \"{}\"", rule.example),
            );
            String::new()
        }
        Some(v) => {
            if let Some((problem, fix)) = account_problem(&v, &rule) {
                report.err(&field, problem, fix);
            }
            v
        }
    }
}

pub(super) fn accounts(a: RawAccounts, report: &mut Report) -> Accounts {
    // Rounding accounts have no default: the accountant must choose them.
    let accounts = Accounts {
        sales_goods: account(
            report,
            "sales_goods",
            a.sales_goods,
            Some("707000"),
            AccountRule::REVENUE_GOODS,
        ),
        sales_services: account(
            report,
            "sales_services",
            a.sales_services,
            Some("706000"),
            AccountRule::REVENUE_SERVICES,
        ),
        purchases: account(
            report,
            "purchases",
            a.purchases,
            Some("607000"),
            AccountRule::PURCHASES,
        ),
        customers: account(
            report,
            "customers",
            a.customers,
            Some("411000"),
            AccountRule::CUSTOMERS,
        ),
        suppliers: account(
            report,
            "suppliers",
            a.suppliers,
            Some("401000"),
            AccountRule::SUPPLIERS,
        ),
        customer_fallback: account(
            report,
            "customer_fallback",
            a.customer_fallback,
            Some("4111DIVERS"),
            AccountRule::CUSTOMERS,
        ),
        supplier_fallback: account(
            report,
            "supplier_fallback",
            a.supplier_fallback,
            Some("4011DIVERS"),
            AccountRule::SUPPLIERS,
        ),
        rounding_debit: account(
            report,
            "rounding_debit",
            a.rounding_debit,
            None,
            AccountRule::ROUNDING_DEBIT,
        ),
        rounding_credit: account(
            report,
            "rounding_credit",
            a.rounding_credit,
            None,
            AccountRule::ROUNDING_CREDIT,
        ),
        discount_goods: account(
            report,
            "discount_goods",
            a.discount_goods,
            Some("709700"),
            AccountRule::DISCOUNT,
        ),
        discount_services: account(
            report,
            "discount_services",
            a.discount_services,
            Some("709600"),
            AccountRule::DISCOUNT,
        ),
        map: account_map(a.map, report),
    };
    // A bare 709 must be refined (7096 on services, 7097 on goods…): PCG lists 709 by nature.
    for (key, value) in [
        ("discount_goods", &accounts.discount_goods),
        ("discount_services", &accounts.discount_services),
    ] {
        if value.trim_end_matches('0') == "709" {
            report.err(
                &format!("accounts.{key}"),
                format!("'{value}' is the bare 709 account; discounts must be booked on a 709x sub-account"),
                "use 7097xx for discounts on goods and 7096xx on services, e.g. \"709700\" / \"709600\"",
            );
        }
    }
    accounts
}

/// `[dossier.accounts.map.sales]` / `.purchases`: every target is a PCG account of its side.
fn account_map(raw: RawAccountMap, report: &mut Report) -> AccountMap {
    let mut side = |table: BTreeMap<String, String>, key: &str, side: RowSide, example: &str| {
        let mut map = BTreeMap::new();
        for (code, account) in table {
            let f = report.field(&format!("accounts.map.{key}.\"{code}\""));
            match row_account_problem(account.trim(), side) {
                _ if code.trim().is_empty() => report.push(ConfigIssue::new(
                    f,
                    "maps an empty accounting code",
                    "write the source's accounting code as the key, e.g. \"VENTES\" = \"706000\"",
                )),
                Some(problem) => report.push(ConfigIssue::new(
                    f,
                    problem,
                    format!("map it to {}, e.g. \"{example}\"", side.what()),
                )),
                None => {
                    map.insert(code.trim().to_string(), account.trim().to_string());
                }
            }
        }
        map
    };
    AccountMap {
        sales: side(raw.sales, "sales", RowSide::Sales, "706000"),
        purchases: side(raw.purchases, "purchases", RowSide::Purchases, "607000"),
    }
}

/// `[dossier.einvoice.suppliers."<SIREN or VAT id>"]`: each key a SIREN or a VAT id, each
/// `expense_account` a PCG account a purchase row may be booked on (class 6, or 2 for assets).
pub(super) fn einvoice(raw: RawEInvoice, report: &mut Report) -> EInvoiceSettings {
    let mut supplier_accounts = BTreeMap::new();
    for (key, supplier) in raw.suppliers {
        let f = format!("einvoice.suppliers.\"{key}\"");
        let Some(id) = supplier_id(&key) else {
            report.err(
                &f,
                format!("'{key}' is neither a SIREN (9 digits) nor a VAT id"),
                "key the supplier by its SIREN, e.g. \"552081317\", or its VAT id, e.g. \"FR40552081317\"",
            );
            continue;
        };
        let Some(account) = supplier.expense_account.map(|a| a.trim().to_string()) else {
            report.err(
                &format!("{f}.expense_account"),
                "is missing",
                "set expense_account = \"606100\" (the account this supplier's e-invoices are booked on), or remove the table",
            );
            continue;
        };
        if let Some(problem) = row_account_problem(&account, RowSide::Purchases) {
            report.err(
                &format!("{f}.expense_account"),
                problem,
                format!("set {}, e.g. \"606100\"", RowSide::Purchases.what()),
            );
            continue;
        }
        if supplier_accounts.insert(id.clone(), account).is_some() {
            report.err(
                &f,
                format!("supplier {id} is set twice"),
                "keep one table per supplier",
            );
        }
    }
    EInvoiceSettings { supplier_accounts }
}

pub(super) fn vat(raw: RawVat, report: &mut Report) -> VatAccounts {
    VatAccounts {
        sales: vat_map(
            report,
            "sales",
            raw.sales,
            &DEFAULT_SALES_VAT,
            AccountRule::VAT_COLLECTED,
        ),
        purchases: vat_map(
            report,
            "purchases",
            raw.purchases,
            &DEFAULT_PURCHASE_VAT,
            AccountRule::VAT_DEDUCTIBLE,
        ),
        self_assessed: self_assessed(raw.self_assessed, report),
    }
}

/// `[dossier.vat.self_assessed]`: the rate (default 20) and the deductible / due accounts of
/// the VAT a buyer self-assesses, each defaulting to the PCG account for it.
fn self_assessed(raw: RawSelfAssessed, report: &mut Report) -> SelfAssessedAccounts {
    let mut account = |key: &str, value: Option<String>, default: &str, rule: AccountRule| {
        let value = value.map(|v| v.trim().to_string());
        let v = value.unwrap_or_else(|| default.to_string());
        if let Some((problem, fix)) = account_problem(&v, &rule) {
            report.err(&format!("vat.self_assessed.{key}"), problem, fix);
        }
        v
    };
    let intra_community_deductible = account(
        "intra_community_deductible",
        raw.intra_community_deductible,
        "445662",
        AccountRule::VAT_INTRA_COMMUNITY_DEDUCTIBLE,
    );
    let intra_community_due = account(
        "intra_community_due",
        raw.intra_community_due,
        "4452",
        AccountRule::VAT_INTRA_COMMUNITY_DUE,
    );
    let reverse_charge_deductible = raw.reverse_charge_deductible.map(|v| {
        account(
            "reverse_charge_deductible",
            Some(v),
            "",
            AccountRule::VAT_DEDUCTIBLE,
        )
    });
    let reverse_charge_due = account(
        "reverse_charge_due",
        raw.reverse_charge_due,
        "4457",
        AccountRule::VAT_SELF_ASSESSED_DUE,
    );
    let twenty = Decimal::from(20);
    let rate = match raw.rate.as_deref().map(|r| (r, parse_rate(r))) {
        None => twenty,
        Some((_, Some(rate))) if rate > Decimal::ZERO => rate,
        Some((text, _)) => {
            report.err(
                "vat.self_assessed.rate",
                format!("'{text}' is not a VAT rate above 0"),
                "write the rate in percent, e.g. rate = \"20\" (or \"10\" for renovation works)",
            );
            twenty
        }
    };
    SelfAssessedAccounts {
        rate,
        intra_community_deductible,
        intra_community_due,
        reverse_charge_deductible,
        reverse_charge_due,
    }
}

/// A VAT account per rate (the defaults when the dossier lists none).
fn vat_map(
    report: &mut Report,
    key: &str,
    given: BTreeMap<String, String>,
    defaults: &[(&str, &str)],
    rule: AccountRule,
) -> BTreeMap<Decimal, String> {
    let mut map = BTreeMap::new();
    let source: Vec<(String, String)> = if given.is_empty() {
        defaults
            .iter()
            .map(|(r, a)| (r.to_string(), a.to_string()))
            .collect()
    } else {
        given.into_iter().collect()
    };
    for (rate_text, acct) in source {
        let f = report.field(&format!("vat.{key}.\"{rate_text}\""));
        match parse_rate(&rate_text) {
            Some(rate) => {
                if let Some((problem, fix)) = account_problem(&acct, &rule) {
                    report.push(ConfigIssue::new(f, problem, fix));
                } else {
                    map.insert(rate, acct);
                }
            }
            None => report.push(ConfigIssue::new(
                f,
                format!("'{rate_text}' is not a VAT rate"),
                "write the rate in percent as the key, e.g. \"20\" = \"445711\" or \"5.5\" = \"445713\"",
            )),
        }
    }
    map
}

/// `[dossier.accounts_map]`: a dossier account (a PCG number) → the ledger's number for it
/// (letters and digits, as the ledger's chart writes it).
pub(super) fn ledger_map(
    raw: BTreeMap<String, String>,
    report: &mut Report,
) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for (ours, theirs) in raw {
        let f = report.field(&format!("accounts_map.\"{ours}\""));
        let (ours, theirs) = (ours.trim(), theirs.trim());
        let well_written = |s: &str| {
            !s.is_empty() && s.len() <= 30 && s.bytes().all(|b| b.is_ascii_alphanumeric())
        };
        let problem = if crate::chart::pcg_account(ours).is_none() || !well_written(ours) {
            Some(format!(
                "'{ours}' is not an account number of the French chart (PCG)"
            ))
        } else if !well_written(theirs) {
            Some(format!(
                "'{theirs}' is not an account number (letters and digits, 30 at most)"
            ))
        } else if ours == theirs {
            Some(format!("maps {ours} to itself"))
        } else {
            None
        };
        match problem {
            Some(p) => report.push(ConfigIssue::new(
                f,
                p,
                "write the dossier's account as the key and the ledger's number for it as the value, e.g. \"445711\" = \"44571\"",
            )),
            None => {
                map.insert(ours.to_string(), theirs.to_string());
            }
        }
    }
    map
}
