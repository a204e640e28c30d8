//! `[dossier.ledger] kind = "chift"`: the integrator's client credentials (the secret named,
//! never written), the dossier's consumer and folder, and the mappings Chift's own Sellsy
//! integration asks for: journals, and VAT codes per rate (sales, purchases, rounding).

use std::collections::BTreeMap;

use app::dossiers::{ConnectError, read_secret};
use app::ports::{BlobStore, Clock, SecretRef, SecretRefs, Secrets};
use domain::config::{ConfigIssue, DossierConfig};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::{ChiftConfig, ChiftSink, VatCodes};
use crate::section::{SinkContext, SinkSection};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChiftSection {
    /// The dossier's consumer id (Chift › Consumers), a UUID.
    pub consumer_id: Option<String>,
    /// The integrator's client id, its secret (`env:VAR`, `ssm:/…`, `secret:…`; or
    /// `client_secret_env = "VAR"`) and its account id (a UUID).
    pub client_id: Option<String>,
    pub client_secret: Option<SecretRef>,
    pub client_secret_env: Option<String>,
    pub account_id: Option<String>,
    /// The folder, when the accounting software holds several (`test-connection` lists them).
    pub folder_id: Option<String>,
    /// Override of the API base (a mock, a staging).
    pub base_url: Option<String>,
    /// Dossier journal code → Chift journal id, where the codes differ.
    #[serde(default)]
    pub journals: BTreeMap<String, String>,
    #[serde(default)]
    pub vat_codes: VatCodesSection,
}

/// `[dossier.ledger.vat_codes]`: `sales = { "20" = "<vat code id>" }`, the same for
/// `purchases`, and `rounding = "<vat code id>"`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VatCodesSection {
    #[serde(default)]
    pub sales: BTreeMap<String, String>,
    #[serde(default)]
    pub purchases: BTreeMap<String, String>,
    pub rounding: Option<String>,
}

/// Chift's ids of consumers and accounts are UUIDs (the spec's `format: uuid`).
fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `https://…`, or plain http to this machine (a mock, a tunnel).
fn secure_url(u: &str) -> bool {
    let u = u.trim().to_ascii_lowercase();
    if u.starts_with("https://") {
        return true;
    }
    let Some(rest) = u.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

impl ChiftSection {
    fn client_secret(&self) -> SecretRefs {
        SecretRefs::of(
            self.client_secret.clone(),
            self.client_secret_env.as_deref(),
        )
    }

    /// The rates of one side, parsed; every key that is not a rate is an issue.
    fn rates(
        map: &BTreeMap<String, String>,
        at: &str,
        issues: &mut Vec<ConfigIssue>,
    ) -> BTreeMap<Decimal, String> {
        let mut out = BTreeMap::new();
        for (rate, id) in map {
            match rate.trim().replace(',', ".").parse::<Decimal>() {
                Ok(r) if r >= Decimal::ZERO && r < Decimal::from(100) && !id.trim().is_empty() => {
                    out.insert(r.normalize(), id.trim().to_string());
                }
                _ => issues.push(ConfigIssue::new(
                    format!("{at}.\"{rate}\""),
                    format!("'{rate}' = '{id}' is not a VAT rate and a VAT code id"),
                    "write the rate in percent and the id of the Chift VAT code, e.g. \"20\" = \"<id>\" (test-connection lists the folder's codes)",
                )),
            }
        }
        out
    }

    fn vat_codes(&self, at: &str, issues: &mut Vec<ConfigIssue>) -> VatCodes {
        VatCodes {
            sales: Self::rates(
                &self.vat_codes.sales,
                &format!("{at}.vat_codes.sales"),
                issues,
            ),
            purchases: Self::rates(
                &self.vat_codes.purchases,
                &format!("{at}.vat_codes.purchases"),
                issues,
            ),
            rounding: self.vat_codes.rounding.clone().filter(|r| !r.is_empty()),
        }
    }
}

impl SinkSection for ChiftSection {
    type Sink<B: BlobStore + 'static, C: Clock + Clone + 'static> = ChiftSink;

    fn validate(&self, at: &str, _dossier: Option<&DossierConfig>) -> Vec<ConfigIssue> {
        let mut issues = Vec::new();
        let uuid =
            |field: &str, v: &Option<String>, what: &str, issues: &mut Vec<ConfigIssue>| match v {
                None => issues.push(ConfigIssue::new(
                    format!("{at}.{field}"),
                    "is required for kind = \"chift\"",
                    format!("set {field}: {what}"),
                )),
                Some(s) if !is_uuid(s) => issues.push(ConfigIssue::new(
                    format!("{at}.{field}"),
                    format!("'{s}' is not a UUID"),
                    format!("copy {field} from Chift: {what}"),
                )),
                Some(_) => {}
            };
        uuid(
            "consumer_id",
            &self.consumer_id,
            "the dossier's consumer id (Chift › Consumers)",
            &mut issues,
        );
        uuid(
            "account_id",
            &self.account_id,
            "the integrator's account id (Chift › Settings › API keys)",
            &mut issues,
        );
        if self.client_id.as_deref().is_none_or(str::is_empty) {
            issues.push(ConfigIssue::new(
                format!("{at}.client_id"),
                "is required for kind = \"chift\"",
                "set client_id: the integrator's API client id (Chift › Settings › API keys)",
            ));
        }
        if self.client_secret().is_empty() {
            issues.push(ConfigIssue::new(
                format!("{at}.client_secret"),
                "is required for kind = \"chift\"",
                "set client_secret = \"env:VAR\" (or ssm:/… in the cloud), or client_secret_env = \"VAR\": where the Chift client secret is",
            ));
        }
        if let Some(u) = &self.base_url
            && !secure_url(u)
        {
            issues.push(ConfigIssue::new(
                format!("{at}.base_url"),
                format!("'{u}' would send the client secret in clear"),
                "use an https:// URL (plain http only to 127.0.0.1 or localhost, for a mock)",
            ));
        }
        self.vat_codes(at, &mut issues);
        issues
    }

    async fn connect<B: BlobStore + 'static, C: Clock + Clone + 'static, S: Secrets>(
        &self,
        at: &str,
        secrets: &S,
        context: &SinkContext<B, C>,
    ) -> Result<ChiftSink, ConnectError> {
        let secret = read_secret(
            secrets,
            &format!("{at}.client_secret"),
            &self.client_secret(),
        )
        .await?;
        let mut cfg = ChiftConfig::production(
            self.client_id.clone().unwrap_or_default(),
            secret,
            self.account_id.clone().unwrap_or_default(),
            self.consumer_id.clone().unwrap_or_default(),
        );
        cfg.folder_id = self.folder_id.clone().filter(|f| !f.is_empty());
        cfg.journals = self.journals.clone();
        let mut issues = Vec::new();
        cfg.vat_codes = self.vat_codes(at, &mut issues);
        if let Some(u) = &self.base_url {
            cfg.base_url = u.clone();
        }
        ChiftSink::new(cfg, context.parties.clone())
            .map_err(|e| ConnectError::new(e.message, e.action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(toml_text: &str) -> ChiftSection {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn requires_the_consumer_and_the_credentials_and_checks_uuids_and_rates() {
        let issues = section("consumer_id = \"abc\"\n[vat_codes]\nsales = { \"vingt\" = \"x\" }")
            .validate("dossier[0].ledger", None);
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "dossier[0].ledger.consumer_id",
                "dossier[0].ledger.account_id",
                "dossier[0].ledger.client_id",
                "dossier[0].ledger.client_secret",
                "dossier[0].ledger.vat_codes.sales.\"vingt\"",
            ]
        );
        assert!(issues[0].problem.contains("not a UUID"));
        let ok = section(
            "consumer_id = \"0b8c6f6e-2f5a-4c39-9d7e-1f2a3b4c5d6e\"\naccount_id = \"1b8c6f6e-2f5a-4c39-9d7e-1f2a3b4c5d6e\"\nclient_id = \"c\"\nclient_secret_env = \"CHIFT_SECRET\"\n[vat_codes]\nsales = { \"5,5\" = \"v55\", \"20\" = \"v20\" }",
        );
        assert!(ok.validate("l", None).is_empty());
        for (url, fine) in [
            ("https://api.chift.eu", true),
            ("http://127.0.0.1:8080", true),
            ("http://localhost", true),
            ("http://api.chift.eu", false),
            ("http://127.0.0.1.evil.example", false),
            ("ftp://x", false),
        ] {
            assert_eq!(secure_url(url), fine, "{url}");
        }
        let codes = ok.vat_codes("l", &mut Vec::new());
        assert_eq!(
            codes.sales.get(&Decimal::new(55, 1)).map(String::as_str),
            Some("v55")
        );
        assert_eq!(
            codes.sales.get(&Decimal::from(20)).map(String::as_str),
            Some("v20")
        );
    }
}
