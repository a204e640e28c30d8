//! Configuration of one Chift consumer (a dossier's connection to its accounting software).

use std::collections::BTreeMap;
use std::time::Duration;

use app::ports::Secret;
use domain::LedgerEntry;
use domain::config::DossierConfig;
use rust_decimal::Decimal;

use crate::http::{RateLimit, RetryPolicy};

/// The VAT code ids (`/accounting/vat-codes`) chosen per rate, as Chift's own Sellsy
/// integration asks for them: sales, purchases, and the code of the rounding lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VatCodes {
    pub sales: BTreeMap<Decimal, String>,
    pub purchases: BTreeMap<Decimal, String>,
    pub rounding: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ChiftConfig {
    /// `https://api.chift.eu`.
    pub base_url: String,
    /// The integrator's client credentials and account (`POST /token`).
    pub client_id: String,
    pub client_secret: Secret,
    pub account_id: String,
    /// The dossier's consumer (its connection to the accounting software).
    pub consumer_id: String,
    /// The folder, when the consumer's software holds several (`/accounting/folders`).
    pub folder_id: Option<String>,
    /// Dossier journal code → Chift journal id; a code not listed is looked up by its code.
    pub journals: BTreeMap<String, String>,
    pub vat_codes: VatCodes,
    pub rate: RateLimit,
    pub retry: RetryPolicy,
}

impl ChiftConfig {
    pub const BASE_URL: &'static str = "https://api.chift.eu";
    /// Chift publishes no figure; 10 requests per second stays well under what the connectors
    /// behind it (ACD, MyUnisoft) accept.
    pub const RATE: RateLimit = RateLimit {
        requests: 10,
        per: Duration::from_secs(1),
    };

    pub fn production(
        client_id: impl Into<String>,
        client_secret: Secret,
        account_id: impl Into<String>,
        consumer_id: impl Into<String>,
    ) -> ChiftConfig {
        ChiftConfig {
            base_url: Self::BASE_URL.into(),
            client_id: client_id.into(),
            client_secret,
            account_id: account_id.into(),
            consumer_id: consumer_id.into(),
            folder_id: None,
            journals: BTreeMap::new(),
            vat_codes: VatCodes::default(),
            rate: Self::RATE,
            retry: RetryPolicy::default(),
        }
    }
}

/// Which side of the business an entry is on: the VAT codes and journal types it may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Sales,
    Purchases,
}

impl Side {
    pub fn of(dossier: &DossierConfig, entry: &LedgerEntry) -> Side {
        if entry.journal_code == dossier.journals.purchases.code {
            Side::Purchases
        } else {
            Side::Sales
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Side::Sales => "sales",
            Side::Purchases => "purchases",
        }
    }

    pub(super) fn accepts(self, kind: &str) -> bool {
        matches!(
            (self, kind),
            (_, "both") | (Side::Sales, "sale") | (Side::Purchases, "purchase")
        )
    }
}
