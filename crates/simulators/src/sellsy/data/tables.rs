//! The simulated account's chart of accounts and VAT rates, and the name lists the generator
//! draws from (fixture data).

use rust_decimal::Decimal;

use super::{CODE_CLIENTS, CODE_DISCOUNT, CODE_GOODS, CODE_SERVICES, CODE_SHIPPING, Code, Tax};

pub(super) fn chart() -> Vec<Code> {
    vec![
        Code {
            id: CODE_CLIENTS,
            code: "411000",
            label: "Clients",
            views: &["third"],
        },
        Code {
            id: CODE_SERVICES,
            code: "706000",
            label: "Prestations de services",
            views: &["sell"],
        },
        Code {
            id: CODE_GOODS,
            code: "707000",
            label: "Ventes de marchandises",
            views: &["sell"],
        },
        Code {
            id: CODE_SHIPPING,
            code: "708500",
            label: "Ports et frais accessoires facturés",
            views: &["sell"],
        },
        Code {
            id: CODE_DISCOUNT,
            code: "709000",
            label: "Rabais, remises et ristournes accordés",
            views: &["sell"],
        },
        Code {
            id: 7010,
            code: "445710",
            label: "TVA collectée 20 %",
            views: &[],
        },
        Code {
            id: 7011,
            code: "445711",
            label: "TVA collectée 10 %",
            views: &[],
        },
        Code {
            id: 7012,
            code: "445712",
            label: "TVA collectée 5,5 %",
            views: &[],
        },
        Code {
            id: 7013,
            code: "445713",
            label: "TVA collectée 2,1 %",
            views: &[],
        },
        Code {
            id: 7014,
            code: "445719",
            label: "TVA collectée 0 %",
            views: &[],
        },
        Code {
            id: 7020,
            code: "401000",
            label: "Fournisseurs",
            views: &["third"],
        },
        Code {
            id: 7021,
            code: "512000",
            label: "Banque",
            views: &["bank", "reconciliation"],
        },
        Code {
            id: 7022,
            code: "419000",
            label: "Clients - avances et acomptes reçus",
            views: &["third"],
        },
        Code {
            id: 7023,
            code: "445660",
            label: "TVA déductible sur autres biens et services",
            views: &[],
        },
        Code {
            id: 7024,
            code: "607000",
            label: "Achats de marchandises",
            views: &["purchase"],
        },
        Code {
            id: 7025,
            code: "421000",
            label: "Personnel - rémunérations dues",
            views: &["third"],
        },
        Code {
            id: 7026,
            code: "622200",
            label: "Commissions et courtages",
            views: &["purchase"],
        },
        Code {
            id: 7027,
            code: "511200",
            label: "Chèques à encaisser",
            views: &["bank"],
        },
        Code {
            id: 7028,
            code: "604000",
            label: "Achats d'études et prestations de services",
            views: &["purchase"],
        },
    ]
}

pub(super) fn taxes() -> Vec<Tax> {
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    vec![
        Tax {
            id: 101,
            rate: d("20"),
            label: "TVA 20%",
            account_id: 7010,
        },
        Tax {
            id: 102,
            rate: d("10"),
            label: "TVA 10%",
            account_id: 7011,
        },
        Tax {
            id: 103,
            rate: d("5.5"),
            label: "TVA 5,5%",
            account_id: 7012,
        },
        Tax {
            id: 104,
            rate: d("2.1"),
            label: "TVA 2,1%",
            account_id: 7013,
        },
        Tax {
            id: 105,
            rate: d("0"),
            label: "Exonéré 0%",
            account_id: 7014,
        },
    ]
}

pub(super) const COMPANY_STEMS: &[&str] = &[
    "Dupont",
    "Boulangerie Lefèvre",
    "Menuiserie Garnier",
    "Atelier Chevalier",
    "Transports Moreau",
    "Pharmacie Fontaine",
    "Cabinet Rousseau",
    "Imprimerie Lambert",
    "Garage Bonnet",
    "Éditions Mercier",
    "Fromagerie Dubois",
    "Librairie Faure",
    "Brasserie du Port",
    "Hôtel des Célestins",
    "Vignobles Girard",
    "Plomberie Roux",
    "Électricité Fournier",
    "Studio Perrin",
    "Conseil Blanchard",
    "Traiteur Gauthier",
    "Ferme des Tilleuls",
    "Domaine de l'Étang",
    "Épicerie Benoît",
    "Maison Lemaire",
    "Agence Marchand",
];
pub(super) const LEGAL_FORMS: &[&str] = &["SARL", "SAS", "SA", "EURL", "SASU", "SCOP"];
pub(super) const CITIES: &[&str] = &[
    "Paris",
    "Lyon",
    "Marseille",
    "Nantes",
    "Bordeaux",
    "Lille",
    "Rennes",
    "Dijon",
    "Grenoble",
    "Toulouse",
];
pub(super) const APE: &[&str] = &[
    "7022Z", "1071C", "4941A", "4773Z", "6920Z", "1812Z", "4520A", "5610A",
];
pub(super) const FIRST_NAMES: &[&str] = &[
    "Jeanne",
    "Louis",
    "Camille",
    "Hélène",
    "François",
    "Élodie",
    "Mathieu",
    "Chloé",
    "Théo",
    "Maëlle",
    "Jérôme",
    "Sophie",
    "Gaël",
    "Noémie",
    "Benoît",
    "Inès",
    "Aurélien",
    "Léa",
    "Stéphane",
    "Océane",
];
pub(super) const LAST_NAMES: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèbvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
];
pub(super) const SERVICES: &[(&str, &str)] = &[
    ("CONSEIL-J", "Conseil (jour)"),
    ("FORM-J", "Formation (jour)"),
    ("MAINT-M", "Maintenance mensuelle"),
    ("AUDIT", "Audit de conformité"),
    ("DEV-H", "Développement (heure)"),
];
pub(super) const GOODS: &[(&str, &str)] = &[
    ("LIVRE-01", "Livre technique"),
    ("PAIN-01", "Pain de campagne"),
    ("MEDIC-01", "Médicament remboursable"),
    ("PRESSE-01", "Publication de presse"),
    ("VIN-01", "Vin rouge AOC (caisse de 6)"),
    ("CAFE-01", "Café en grains 1 kg"),
];
