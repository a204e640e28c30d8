//! The French chart of accounts (PCG 2025, règlement ANC 2014-03 as amended by 2022-06): the
//! name of an account for the FEC's CompteLib, and whether an account a source names is one of
//! the chart's, of the class its use needs.

pub mod ledger;
mod pcg2025;

use rust_decimal::Decimal;

use pcg2025::PCG_2025;

/// The PCG account an account number falls under: its longest prefix listed in the chart, of two
/// digits at least (a class alone is not an account), e.g. "706000" → ("706", "Prestations de
/// services"), "4111DIVERS" → ("4111", …). `None` when no listed account is a prefix of its
/// leading digits ("VENTES", "9000", "0706").
pub fn pcg_account(account: &str) -> Option<(&'static str, &'static str)> {
    let digits = account.bytes().take_while(u8::is_ascii_digit).count();
    let digits = &account[..digits];
    PCG_2025
        .iter()
        .filter(|(number, _)| number.len() >= 2 && digits.starts_with(number))
        .max_by_key(|(number, _)| number.len())
        .copied()
}

/// The name of an account: the name of its PCG account (see [`pcg_account`]), else the name of
/// its class, else "Compte <number>" (an account outside the chart, as a source may send one).
pub fn account_label(account: &str) -> String {
    if let Some((_, name)) = pcg_account(account) {
        return name.to_string();
    }
    let class = account
        .get(..1)
        .filter(|c| c.bytes().all(|b| (b'1'..=b'8').contains(&b)));
    PCG_2025
        .iter()
        .find(|(number, _)| Some(*number) == class)
        .map(|(_, name)| (*name).to_string())
        .unwrap_or_else(|| format!("Compte {account}"))
}

/// The name of a VAT account that one rate maps to: its PCG name and that rate
/// ("TVA collectée 10 %", "TVA sur autres biens et services 5,5 %").
pub fn vat_label(account: &str, rate: Decimal) -> String {
    let rate = rate.normalize().to_string().replace('.', ",");
    format!("{} {rate} %", account_label(account))
}

/// What an account a source names (a document row's accounting code) may be, by the PCG's
/// classes: art. 946-60 to 947-78 of the règlement — class 7 records products, class 6 charges,
/// class 2 fixed assets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowSide {
    /// A sales row: 70 (sales, except 709 discounts granted), 75 (other operating income), 76
    /// (financial income), 77 (exceptional income). 71, 72, 78 are internal (stock change,
    /// self-built assets, reversals) and 74 subsidies: never a customer's invoice row.
    Sales,
    /// A purchase row: class 6 except 603 (stock change), 609/619/629 (discounts obtained), 68
    /// (depreciation) and 69 (income tax); or a fixed asset bought: 20, 21, 23 (not 28/29).
    Purchases,
}

impl RowSide {
    const SALES: &[&str] = &["70", "75", "76", "77"];
    const SALES_NOT: &[&str] = &["709"];
    const PURCHASES: &[&str] = &[
        "60", "61", "62", "63", "64", "65", "66", "67", "20", "21", "23",
    ];
    const PURCHASES_NOT: &[&str] = &["603", "609", "619", "629"];

    /// What the account must be, for messages.
    pub fn what(self) -> &'static str {
        match self {
            RowSide::Sales => {
                "a class 7 revenue account of the PCG (70x except 709, 75x, 76x, 77x)"
            }
            RowSide::Purchases => {
                "a class 6 charge account of the PCG (60x–67x) or a fixed asset account (20x, 21x, 23x)"
            }
        }
    }

    /// Reductions of the side's own amounts (PCG): 709 "Rabais, remises et ristournes accordés
    /// par l'entreprise"; 609, 619, 629 "Rabais, remises et ristournes obtenus".
    const SALES_REDUCTIONS: &[&str] = &["709"];
    const PURCHASES_REDUCTIONS: &[&str] = &["609", "619", "629"];

    fn allows(self, number: &str) -> bool {
        let (yes, no) = match self {
            RowSide::Sales => (Self::SALES, Self::SALES_NOT),
            RowSide::Purchases => (Self::PURCHASES, Self::PURCHASES_NOT),
        };
        yes.iter().any(|p| number.starts_with(p)) && !no.iter().any(|p| number.starts_with(p))
    }

    fn allows_reduction(self, number: &str) -> bool {
        let reductions = match self {
            RowSide::Sales => Self::SALES_REDUCTIONS,
            RowSide::Purchases => Self::PURCHASES_REDUCTIONS,
        };
        reductions.iter().any(|p| number.starts_with(p))
    }
}

/// Why `account` cannot take a row of this side, if it cannot: it must be written as digits
/// (then letters or digits, 32 characters at most), fall under an account of the PCG, and be of
/// the class the side needs.
pub fn row_account_problem(account: &str, side: RowSide) -> Option<String> {
    row_account_problem_of(account, side, false)
}

/// As [`row_account_problem`], for a row that reduces the document (a negative amount, such as
/// a Sellsy purchases-journal line on 609000): the side's discount accounts are right for it.
pub fn row_account_problem_of(account: &str, side: RowSide, reduction: bool) -> Option<String> {
    let digits = account.bytes().take_while(u8::is_ascii_digit).count();
    if account.len() > 32 || !account.chars().all(|c| c.is_ascii_alphanumeric()) || digits < 3 {
        return Some(format!(
            "'{account}' is not an account number (at least 3 digits of the French chart of accounts, then letters or digits)"
        ));
    }
    match pcg_account(account) {
        None => Some(format!(
            "'{account}' is not an account of the French chart of accounts (PCG)"
        )),
        Some((number, _)) if reduction && side.allows_reduction(number) => None,
        Some((number, name)) if !side.allows(number) => Some(format!(
            "'{account}' is account {number} \"{name}\" of the PCG, not {}",
            side.what()
        )),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reduction_row_may_use_its_sides_discount_accounts() {
        // Sellsy's purchases journal books a discount obtained on 609000: a credit, right there.
        assert_eq!(
            row_account_problem_of("609000", RowSide::Purchases, true),
            None
        );
        assert!(row_account_problem_of("609000", RowSide::Purchases, false).is_some());
        assert_eq!(row_account_problem_of("709700", RowSide::Sales, true), None);
        assert!(row_account_problem_of("709700", RowSide::Sales, false).is_some());
        // A reduction is still not a stock change nor the other side's discount.
        assert!(row_account_problem_of("603100", RowSide::Purchases, true).is_some());
        assert!(row_account_problem_of("709000", RowSide::Purchases, true).is_some());
        assert!(row_account_problem_of("609000", RowSide::Sales, true).is_some());
    }

    #[test]
    fn longest_prefix_of_the_pcg_names_an_account() {
        assert_eq!(account_label("706000"), "Prestations de services");
        assert_eq!(account_label("704000"), "Travaux");
        assert_eq!(account_label("445711"), "TVA collectée");
        assert_eq!(account_label("445660"), "TVA sur autres biens et services");
        assert_eq!(
            account_label("4111DIVERS"),
            "Clients - Ventes de biens ou de prestations de services"
        );
        assert_eq!(account_label("512000"), "Banques");
        assert_eq!(account_label("370000"), "Stocks de marchandises");
        assert_eq!(account_label("758000"), "Indemnités et autres produits");
        assert_eq!(account_label("900000"), "Compte 900000");
        assert_eq!(
            vat_label("445711", Decimal::new(100, 1)),
            "TVA collectée 10 %"
        );
        assert_eq!(
            vat_label("445713", Decimal::new(55, 1)),
            "TVA collectée 5,5 %"
        );
    }

    #[test]
    fn row_accounts_must_be_of_the_class_of_their_side() {
        for ok in ["706000", "7061", "707100", "758000", "764", "7085"] {
            assert_eq!(row_account_problem(ok, RowSide::Sales), None, "{ok}");
        }
        for bad in [
            "6226", "VENTES", "709600", "445711", "781", "70", "9000", "70 6000",
        ] {
            assert!(row_account_problem(bad, RowSide::Sales).is_some(), "{bad}");
        }
        for ok in ["6226", "607000", "218300", "205000", "658000"] {
            assert_eq!(row_account_problem(ok, RowSide::Purchases), None, "{ok}");
        }
        for bad in ["706000", "609000", "281300", "681100", "401000"] {
            assert!(
                row_account_problem(bad, RowSide::Purchases).is_some(),
                "{bad}"
            );
        }
        assert_eq!(
            row_account_problem("6226", RowSide::Sales).unwrap(),
            "'6226' is account 6226 \"Honoraires\" of the PCG, not a class 7 revenue account of the PCG (70x except 709, 75x, 76x, 77x)"
        );
    }
}
