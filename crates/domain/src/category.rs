//! The four collection mailboxes and what they carry.

use serde::{Deserialize, Serialize};

/// Category of a collected document, chosen by the collection address prefix
/// (`achat.`, `vente.`, `ndf.`, `admin.`), the "inqombox" convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// `achat.<slug>@…`: purchase invoices.
    Purchase,
    /// `vente.<slug>@…`: sales invoices.
    Sales,
    /// `ndf.<slug>@…`: expense reports (notes de frais).
    ExpenseReport,
    /// `admin.<slug>@…`: administrative documents (contracts, lease, Kbis…).
    Administrative,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Purchase,
        Category::Sales,
        Category::ExpenseReport,
        Category::Administrative,
    ];

    /// The address prefix of this category's collection mailbox.
    pub fn prefix(self) -> &'static str {
        match self {
            Category::Purchase => "achat",
            Category::Sales => "vente",
            Category::ExpenseReport => "ndf",
            Category::Administrative => "admin",
        }
    }

    /// The category of a collection address prefix, case-insensitively.
    pub fn from_prefix(prefix: &str) -> Option<Category> {
        Category::ALL
            .into_iter()
            .find(|c| c.prefix().eq_ignore_ascii_case(prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_round_trip_case_insensitively() {
        for c in Category::ALL {
            assert_eq!(Category::from_prefix(&c.prefix().to_uppercase()), Some(c));
        }
        assert_eq!(Category::from_prefix("factures"), None);
    }
}
