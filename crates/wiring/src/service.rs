//! `[service]`: the runtime's settings. One type for both runtimes; the cloud reads
//! `mail_domains` and `authserv_id` and ignores the listeners and the data directory.

use std::path::PathBuf;

use domain::config::ConfigIssue;

use crate::peers::PeerNet;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// Where records and files are kept (default `passerelle-data`, next to the config file).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Domains of the collection addresses (`achat.<slug>@<domain>`).
    #[serde(default)]
    pub mail_domains: Vec<String>,
    /// The authserv-id of our own MTA's `Authentication-Results` header, the only one trusted.
    #[serde(default = "default_authserv")]
    pub authserv_id: String,
    /// `serve`: the HTTP listener (`/sync`, `/runs/{id}`, Sellsy webhooks).
    #[serde(default = "default_http")]
    pub http_listen: String,
    /// `serve`: the SMTP listener of the collection addresses.
    #[serde(default = "default_smtp")]
    pub smtp_listen: String,
    /// `serve`: the MTAs allowed to connect to the SMTP listener, IP addresses or CIDR
    /// networks (default loopback); others get a 554. Read them with
    /// [`ServiceConfig::smtp_peers`].
    #[serde(default = "default_smtp_peers")]
    pub smtp_allowed_peers: Vec<String>,
    /// Name of the environment variable holding the `/sync` signing secret.
    #[serde(default = "default_sync_secret_env")]
    pub sync_secret_env: String,
    /// Local time of the nightly synchronisation, `HH:MM`.
    #[serde(default = "default_nightly")]
    pub nightly_at: String,
    /// IANA time zone of `nightly_at`.
    #[serde(default = "default_tz")]
    pub time_zone: String,
    /// Largest accepted mail (SMTP 552 above), 40 MB like SES.
    #[serde(default = "default_max_message")]
    pub max_message_bytes: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            data_dir: default_data_dir(),
            mail_domains: vec![],
            authserv_id: default_authserv(),
            http_listen: default_http(),
            smtp_listen: default_smtp(),
            smtp_allowed_peers: default_smtp_peers(),
            sync_secret_env: default_sync_secret_env(),
            nightly_at: default_nightly(),
            time_zone: default_tz(),
            max_message_bytes: default_max_message(),
        }
    }
}

/// The keys of `[service]`, for the message about an unknown one.
const KEYS: &str = "data_dir, mail_domains, authserv_id, http_listen, smtp_listen, smtp_allowed_peers, sync_secret_env, nightly_at, time_zone and max_message_bytes";

impl ServiceConfig {
    /// Reads `[service]` (absent: the defaults); every problem is returned.
    pub(crate) fn parse(table: Option<&toml::Table>) -> (ServiceConfig, Vec<ConfigIssue>) {
        let Some(table) = table else {
            return (ServiceConfig::default(), Vec::new());
        };
        match toml::Value::Table(table.clone()).try_into::<ServiceConfig>() {
            Ok(s) => {
                let issues = s.issues();
                (s, issues)
            }
            Err(e) => (
                ServiceConfig::default(),
                vec![ConfigIssue::new(
                    "service",
                    e.message().trim().to_string(),
                    format!("keep only {KEYS} in [service]"),
                )],
            ),
        }
    }

    /// The nightly time, validated by [`ServiceConfig::parse`].
    pub fn nightly(&self) -> (chrono::NaiveTime, chrono_tz::Tz) {
        (
            chrono::NaiveTime::parse_from_str(&self.nightly_at, "%H:%M").unwrap_or_default(),
            self.time_zone.parse().unwrap_or(chrono_tz::Europe::Paris),
        )
    }

    /// The SMTP listener's allowed MTAs, validated by [`ServiceConfig::parse`].
    pub fn smtp_peers(&self) -> Vec<PeerNet> {
        self.smtp_allowed_peers
            .iter()
            .filter_map(|p| p.parse().ok())
            .collect()
    }

    fn issues(&self) -> Vec<ConfigIssue> {
        let mut issues = self.peer_issues();
        for (field, value) in [
            ("service.http_listen", &self.http_listen),
            ("service.smtp_listen", &self.smtp_listen),
        ] {
            if value.parse::<std::net::SocketAddr>().is_err() {
                issues.push(ConfigIssue::new(
                    field,
                    format!("'{value}' is not an address:port"),
                    "write it as \"127.0.0.1:8080\" (IP address and port)",
                ));
            }
        }
        if chrono::NaiveTime::parse_from_str(&self.nightly_at, "%H:%M").is_err() {
            issues.push(ConfigIssue::new(
                "service.nightly_at",
                format!("'{}' is not a time of day", self.nightly_at),
                "write it as \"02:00\" (24-hour HH:MM, local time of time_zone)",
            ));
        }
        if self.time_zone.parse::<chrono_tz::Tz>().is_err() {
            issues.push(ConfigIssue::new(
                "service.time_zone",
                format!("'{}' is not an IANA time zone", self.time_zone),
                "use a name such as \"Europe/Paris\"",
            ));
        }
        if self.sync_secret_env.trim().is_empty() {
            issues.push(ConfigIssue::new(
                "service.sync_secret_env",
                "is empty",
                "name the environment variable holding the /sync secret, e.g. \"PASSERELLE_SYNC_SECRET\"",
            ));
        }
        if self.max_message_bytes < 1024 {
            issues.push(ConfigIssue::new(
                "service.max_message_bytes",
                format!("{} bytes cannot hold a mail", self.max_message_bytes),
                "leave it out (40 MB) or give a size in bytes of at least 1024",
            ));
        }
        issues
    }
}

impl ServiceConfig {
    fn peer_issues(&self) -> Vec<ConfigIssue> {
        if self.smtp_allowed_peers.is_empty() {
            return vec![ConfigIssue::new(
                "service.smtp_allowed_peers",
                "is empty: no MTA could deliver mail to the SMTP listener",
                "leave it out (loopback: 127.0.0.1 and ::1) or list the MTA's addresses, e.g. [\"192.0.2.25\", \"10.1.0.0/16\"]",
            )];
        }
        self.smtp_allowed_peers
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                p.parse::<PeerNet>().err().map(|e| {
                    ConfigIssue::new(
                        format!("service.smtp_allowed_peers[{i}]"),
                        e.to_string(),
                        "write the MTA's IP address (\"192.0.2.25\", \"::1\") or a network in CIDR notation (\"10.1.0.0/16\", \"2001:db8::/32\")",
                    )
                })
            })
            .collect()
    }
}

fn default_smtp_peers() -> Vec<String> {
    PeerNet::loopback().iter().map(PeerNet::to_string).collect()
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("passerelle-data")
}

fn default_authserv() -> String {
    "passerelle.local".into()
}

fn default_http() -> String {
    "127.0.0.1:8080".into()
}

fn default_smtp() -> String {
    "127.0.0.1:2525".into()
}

fn default_sync_secret_env() -> String {
    "PASSERELLE_SYNC_SECRET".into()
}

fn default_nightly() -> String {
    "02:00".into()
}

fn default_tz() -> String {
    "Europe/Paris".into()
}

fn default_max_message() -> usize {
    40 * 1024 * 1024
}
