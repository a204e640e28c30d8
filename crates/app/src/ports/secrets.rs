//! Credentials: SSM Parameter Store / Secrets Manager in the cloud, environment variables
//! locally. The configuration names where a secret is ([`SecretRef`]), never the value; a
//! [`Secret`] never shows in `Debug`, logs or errors.

use std::fmt;
use std::future::Future;

use serde::{Deserialize, Deserializer};

/// A secret value; `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that sends it (an Authorization header, a token request).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret::new(s)
    }
}

/// Where a secret is kept, as the configuration names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretRef {
    /// `env:NAME`: an environment variable (the local runtime).
    Env(String),
    /// `ssm:/path/of/the/parameter`: an SSM Parameter Store SecureString (the cloud).
    Ssm(String),
    /// `secret:name-or-arn`: a Secrets Manager secret (the cloud).
    SecretsManager(String),
}

impl SecretRef {
    /// Reads `env:NAME`, `ssm:/name` or `secret:name`; the error says what is wrong and how to
    /// write it.
    pub fn parse(text: &str) -> Result<SecretRef, String> {
        let text = text.trim();
        let (scheme, name) = text.split_once(':').ok_or_else(|| {
            format!(
                "'{text}' does not say where the secret is: write env:VARIABLE (an environment variable), ssm:/path (SSM Parameter Store) or secret:name (Secrets Manager)"
            )
        })?;
        let name = name.trim();
        if name.is_empty() {
            return Err(format!(
                "'{text}' names no secret after '{scheme}:': complete it"
            ));
        }
        match scheme {
            "env" if is_env_name(name) => Ok(SecretRef::Env(name.to_string())),
            "env" => Err(format!(
                "'{name}' is not an environment variable name: use letters, digits and '_', not starting with a digit"
            )),
            "ssm" => Ok(SecretRef::Ssm(name.to_string())),
            "secret" => Ok(SecretRef::SecretsManager(name.to_string())),
            other => Err(format!(
                "'{other}:' is not a place for secrets: use env:, ssm: or secret:"
            )),
        }
    }

    /// An environment variable (the `*_env` keys of the configuration).
    pub fn env(name: impl Into<String>) -> SecretRef {
        SecretRef::Env(name.into())
    }

    /// `env`, `ssm` or `secret`.
    pub fn scheme(&self) -> &'static str {
        match self {
            SecretRef::Env(_) => "env",
            SecretRef::Ssm(_) => "ssm",
            SecretRef::SecretsManager(_) => "secret",
        }
    }

    /// The variable, parameter or secret name, without the scheme.
    pub fn name(&self) -> &str {
        match self {
            SecretRef::Env(n) | SecretRef::Ssm(n) | SecretRef::SecretsManager(n) => n,
        }
    }
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.scheme(), self.name())
    }
}

impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SecretRef, D::Error> {
        let text = String::deserialize(d)?;
        SecretRef::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One credential of a connector: where each runtime finds it. A file may name an environment
/// variable for the command line and an SSM or Secrets Manager name for the cloud, so that one
/// file serves both; each store takes the first reference it resolves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretRefs(pub Vec<SecretRef>);

impl SecretRefs {
    /// The references of a `key = "ssm:…"` value and of a legacy `key_env = "VAR"` one.
    pub fn of(reference: Option<SecretRef>, env_var: Option<&str>) -> SecretRefs {
        SecretRefs(
            reference
                .into_iter()
                .chain(env_var.map(SecretRef::env))
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first reference `store` resolves.
    pub fn for_store<S: Secrets + ?Sized>(&self, store: &S) -> Option<&SecretRef> {
        self.0.iter().find(|r| store.resolves(r))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret '{name}' is not set: {action}")]
    Missing { name: String, action: String },
    /// The store refused access (a permission problem, not a missing secret).
    #[error("secret '{name}' cannot be read: {action}")]
    Denied { name: String, action: String },
    #[error("secret store unavailable: {0}")]
    Unavailable(String),
}

impl SecretError {
    /// What the person setting the dossier up must do.
    pub fn action(&self) -> &str {
        match self {
            SecretError::Missing { action, .. } | SecretError::Denied { action, .. } => action,
            SecretError::Unavailable(_) => {
                "no action needed if it is a passing outage; passerelle tries again at the next start"
            }
        }
    }
}

/// Resolves secret references. Locally: environment variables; in the cloud: SSM Parameter
/// Store and Secrets Manager.
pub trait Secrets: Send + Sync {
    /// Whether this store can read such a reference (by its scheme, and in the cloud by the
    /// names the function may read).
    fn resolves(&self, reference: &SecretRef) -> bool;

    /// Why `reference` is not for this store, and what to write instead (for configuration
    /// problems).
    fn expects(&self) -> &'static str;

    fn get(
        &self,
        reference: &SecretRef,
    ) -> impl Future<Output = Result<Secret, SecretError>> + Send;
}

impl<T: Secrets + ?Sized> Secrets for &T {
    fn resolves(&self, reference: &SecretRef) -> bool {
        (**self).resolves(reference)
    }
    fn expects(&self) -> &'static str {
        (**self).expects()
    }
    fn get(
        &self,
        reference: &SecretRef,
    ) -> impl Future<Output = Result<Secret, SecretError>> + Send {
        (**self).get(reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_with_their_scheme() {
        assert_eq!(
            SecretRef::parse("env:ACME_SELLSY").unwrap(),
            SecretRef::Env("ACME_SELLSY".into())
        );
        assert_eq!(
            SecretRef::parse("ssm:/passerelle/prod/source/acme/sellsy").unwrap(),
            SecretRef::Ssm("/passerelle/prod/source/acme/sellsy".into())
        );
        assert_eq!(
            SecretRef::parse(" secret:passerelle/x ")
                .unwrap()
                .to_string(),
            "secret:passerelle/x"
        );
        for bad in ["ACME", "env:", "env:1X", "vault:x", "ssm: "] {
            assert!(SecretRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_are_redacted() {
        let s = Secret::new("hunter2-very-secret");
        assert!(!format!("{s:?} {s}").contains("hunter2"));
    }
}
