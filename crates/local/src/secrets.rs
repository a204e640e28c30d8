//! Secrets of the one-machine runtime: environment variables (`env:NAME`, and the
//! configuration's `*_env` keys). Cloud references (`ssm:`, `secret:`) are not read here.

use app::ports::{Secret, SecretError, SecretRef, Secrets};

/// [`Secrets`] over the process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnvSecrets;

impl Secrets for EnvSecrets {
    fn resolves(&self, reference: &SecretRef) -> bool {
        matches!(reference, SecretRef::Env(_))
    }

    fn expects(&self) -> &'static str {
        "on one machine, name an environment variable: env:NAME (or the key's *_env form)"
    }

    async fn get(&self, reference: &SecretRef) -> Result<Secret, SecretError> {
        let SecretRef::Env(var) = reference else {
            return Err(SecretError::Missing {
                name: reference.to_string(),
                action: format!(
                    "{reference} is a cloud secret; on one machine name an environment variable instead (env:NAME)"
                ),
            });
        };
        match std::env::var(var) {
            Ok(v) if !v.is_empty() => Ok(Secret::new(v)),
            Ok(_) => Err(SecretError::Missing {
                name: reference.to_string(),
                action: format!(
                    "the environment variable {var} is empty; export its value before running passerelle"
                ),
            }),
            Err(_) => Err(SecretError::Missing {
                name: reference.to_string(),
                action: format!("export the environment variable {var} before running passerelle"),
            }),
        }
    }
}
