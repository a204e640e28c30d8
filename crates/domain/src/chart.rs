//! Labels of the French chart of accounts (PCG 2025, règlement ANC 2022-06) for the accounts the
//! mapping uses. The FEC needs a label (CompteLib) on every line, and one label per account.

/// (prefix, label), longest prefixes first within each family. Curated: only what passerelle books.
const LABELS: &[(&str, &str)] = &[
    ("4011", "Fournisseurs"),
    ("401", "Fournisseurs"),
    ("4111", "Clients"),
    ("411", "Clients"),
    ("416", "Clients douteux ou litigieux"),
    ("418", "Clients - Produits non encore facturés"),
    ("44566", "TVA sur autres biens et services"),
    ("44562", "TVA sur immobilisations"),
    ("4456", "Taxes sur le chiffre d'affaires déductibles"),
    ("445711", "TVA collectée 20 %"),
    ("445712", "TVA collectée 10 %"),
    ("445713", "TVA collectée 5,5 %"),
    ("445714", "TVA collectée 2,1 %"),
    ("4457", "Taxes sur le chiffre d'affaires collectées"),
    ("445", "État - Taxes sur le chiffre d'affaires"),
    ("60", "Achats"),
    ("61", "Services extérieurs"),
    ("62", "Autres services extérieurs"),
    ("656", "Pertes sur créances irrécouvrables"),
    ("658", "Charges diverses de gestion courante"),
    ("701", "Ventes de produits finis"),
    ("706", "Prestations de services"),
    ("707", "Ventes de marchandises"),
    ("7085", "Ports et frais accessoires facturés"),
    ("708", "Produits des activités annexes"),
    ("7096", "RRR accordés - prestations de services"),
    ("7097", "RRR accordés - marchandises"),
    ("709", "Rabais, remises et ristournes accordés"),
    ("758", "Produits divers de gestion courante"),
];

/// The label of an account: its longest known prefix, else "Compte <number>".
pub fn account_label(account: &str) -> String {
    LABELS
        .iter()
        .filter(|(prefix, _)| account.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, label)| (*label).to_string())
        .unwrap_or_else(|| format!("Compte {account}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        assert_eq!(account_label("706000"), "Prestations de services");
        assert_eq!(account_label("445713"), "TVA collectée 5,5 %");
        assert_eq!(
            account_label("445720"),
            "Taxes sur le chiffre d'affaires collectées"
        );
        assert_eq!(account_label("4111DIVERS"), "Clients");
        assert_eq!(account_label("512000"), "Compte 512000");
    }
}
