//! The mail crate's synchronous ports, implemented for one intake: the dossiers' collection
//! addresses, the hashes already collected, and a notifier that sends nothing.

use std::collections::HashSet;

use domain::Category;
use domain::config::DossierConfig;
use mail::{Directory, DuplicateIndex, SenderPolicy};

use crate::ports::{Notifier, NotifyError};

/// Resolves collection addresses from the dossiers' configuration.
pub(super) struct ConfigDirectory<'a> {
    pub(super) dossiers: &'a [DossierConfig],
    pub(super) domains: &'a [String],
}

impl Directory for ConfigDirectory<'_> {
    fn sender_policy(&self, domain: &str, slug: &str) -> Option<SenderPolicy> {
        if !self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
            return None;
        }
        self.dossiers
            .iter()
            .find(|d| d.mail.slug == slug)
            .map(|d| SenderPolicy {
                dossier_id: d.id.clone(),
                allowed_senders: d.mail.allowed_senders.clone(),
                allowed_domains: d.mail.allowed_domains.clone(),
                allow_everyone: d.mail.allow_everyone,
            })
    }
}

/// Hashes already collected, loaded before parsing (the mail crate asks synchronously).
pub(super) struct Known(pub(super) HashSet<(String, Category, String)>);

impl DuplicateIndex for Known {
    fn seen(&self, dossier_id: &str, category: Category, sha256: &str) -> bool {
        self.0
            .contains(&(dossier_id.to_string(), category, sha256.to_string()))
    }
}

/// The notifier of an intake that sends no notice.
pub(super) struct NoNotices;

impl Notifier for NoNotices {
    async fn send(&self, _: &str, _: &str, _: &str) -> Result<(), NotifyError> {
        Ok(())
    }
}
