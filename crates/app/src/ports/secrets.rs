//! Credentials: SSM Parameter Store / Secrets Manager in the cloud, environment or a file outside
//! the repository locally. A secret never shows in `Debug`, logs or errors.

use std::future::Future;

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
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret '{name}' is not set: {action}")]
    Missing { name: String, action: String },
    #[error("secret store unavailable: {0}")]
    Unavailable(String),
}

pub trait Secrets: Send + Sync {
    fn get(&self, name: &str) -> impl Future<Output = Result<Secret, SecretError>> + Send;
}
