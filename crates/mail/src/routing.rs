//! Collection addresses: `achat.|vente.|ndf.|admin.<slug>@<domain>`.

use crate::escape::for_terminal;
use crate::reason::{ReasonCode, Rejection};
use domain::Category;

/// A routed collection address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub address: String,
    pub category: Category,
    pub slug: String,
    pub domain: String,
}

/// Parse a recipient `prefix.slug@domain` (case-insensitive, optional angle brackets).
pub fn route(recipient: &str) -> Result<Route, Rejection> {
    let address = recipient
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_lowercase();
    let shown = for_terminal(&address).into_owned();
    let not_collection = || {
        Rejection::new(
            ReasonCode::NotACollectionAddress,
            format!(
                "{shown} is not a collection address (expected achat|vente|ndf|admin.<dossier>@<domain>)."
            ),
            "Check the receiving rule: only collection addresses should reach this service.",
        )
    };
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(not_collection());
    };
    let Some((prefix, slug)) = local.split_once('.') else {
        return Err(not_collection());
    };
    if slug.is_empty() || domain.is_empty() || prefix.is_empty() {
        return Err(not_collection());
    }
    let Some(category) = Category::from_prefix(prefix) else {
        return Err(Rejection::new(
            ReasonCode::UnknownMailbox,
            format!(
                "{shown}: “{}” is not a collection mailbox (achat, vente, ndf, admin).",
                for_terminal(prefix)
            ),
            "Tell the sender the right address (achat., vente., ndf. or admin.<dossier>@…).",
        ));
    };
    Ok(Route {
        category,
        slug: slug.to_string(),
        domain: domain.to_string(),
        address,
    })
}
