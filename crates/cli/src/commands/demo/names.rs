//! The demo dossier and its collection domain.

pub const DOSSIER: &str = "demo";
pub const MAIL_DOMAIN: &str = "collecte.demo.passerelle.fr";
pub const AUTHSERV: &str = "passerelle.local";
