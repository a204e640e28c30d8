//! Credentials from SSM Parameter Store (`ssm:<name>`) and Secrets Manager (`secret:<id>`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use app::ports::{Secret, SecretError, Secrets};

use crate::error::{ErrorClass, classify, code, describe};

/// How long a value read once is served from memory (a rotated secret is seen after this).
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(300);

/// [`Secrets`] over SSM Parameter Store and Secrets Manager; see the crate docs for the names.
#[derive(Debug)]
pub struct AwsSecrets {
    ssm: aws_sdk_ssm::Client,
    secrets_manager: aws_sdk_secretsmanager::Client,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Secret)>>,
}

/// Where a secret name points.
#[derive(Debug, PartialEq, Eq)]
enum Location<'a> {
    Ssm(&'a str),
    SecretsManager(&'a str),
}

fn locate(name: &str) -> Result<Location<'_>, SecretError> {
    let location = if let Some(param) = name.strip_prefix("ssm:") {
        Location::Ssm(param)
    } else if let Some(id) = name.strip_prefix("secret:") {
        Location::SecretsManager(id)
    } else {
        return Err(SecretError::Missing {
            name: name.to_string(),
            action: "name the secret 'ssm:/path/of/the/parameter' (SSM Parameter Store) or \
                     'secret:name-or-arn' (Secrets Manager) in the dossier config"
                .into(),
        });
    };
    match location {
        Location::Ssm(rest) | Location::SecretsManager(rest) if rest.trim().is_empty() => {
            Err(SecretError::Missing {
                name: name.to_string(),
                action: "the secret name is empty after its scheme: complete it in the dossier \
                         config"
                    .into(),
            })
        }
        _ => Ok(location),
    }
}

impl AwsSecrets {
    pub fn new(
        ssm: aws_sdk_ssm::Client,
        secrets_manager: aws_sdk_secretsmanager::Client,
    ) -> AwsSecrets {
        AwsSecrets {
            ssm,
            secrets_manager,
            ttl: DEFAULT_CACHE_TTL,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Changes how long values stay in memory; `Duration::ZERO` reads the store every time.
    pub fn with_cache_ttl(mut self, ttl: Duration) -> AwsSecrets {
        self.ttl = ttl;
        self
    }

    fn cached(&self, name: &str) -> Option<Secret> {
        let cache = self.cache.lock().ok()?;
        let (at, value) = cache.get(name)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }

    fn remember(&self, name: &str, value: &Secret) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(name.to_string(), (Instant::now(), value.clone()));
        }
    }

    async fn read_ssm(&self, name: &str, param: &str) -> Result<Secret, SecretError> {
        let out = self
            .ssm
            .get_parameter()
            .name(param)
            .with_decryption(true)
            .send()
            .await;
        let err = match out {
            Ok(out) => {
                return out
                    .parameter
                    .and_then(|p| p.value)
                    .map(Secret::new)
                    .ok_or_else(|| SecretError::Missing {
                        name: name.to_string(),
                        action: format!("the SSM parameter {param} has no value: set one"),
                    });
            }
            Err(err) => err,
        };
        if err
            .as_service_error()
            .is_some_and(|e| e.is_parameter_not_found())
        {
            return Err(SecretError::Missing {
                name: name.to_string(),
                action: format!(
                    "create the SecureString parameter: aws ssm put-parameter --type SecureString \
                     --name {param} --value '...'"
                ),
            });
        }
        Err(unavailable(
            name,
            describe("SSM GetParameter", &err),
            classify(&err),
            "ssm:GetParameter (and kms:Decrypt on its key)",
        ))
    }

    async fn read_secrets_manager(&self, name: &str, id: &str) -> Result<Secret, SecretError> {
        let out = self
            .secrets_manager
            .get_secret_value()
            .secret_id(id)
            .send()
            .await;
        let err = match out {
            Ok(out) => {
                return out
                    .secret_string
                    .map(Secret::new)
                    .ok_or_else(|| SecretError::Missing {
                        name: name.to_string(),
                        action: format!(
                            "the secret {id} holds binary data; store the credential as a \
                             SecretString"
                        ),
                    });
            }
            Err(err) => err,
        };
        let not_found = err
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception());
        if not_found {
            return Err(SecretError::Missing {
                name: name.to_string(),
                action: format!(
                    "create the secret: aws secretsmanager create-secret --name {id} \
                     --secret-string '...'"
                ),
            });
        }
        // A secret scheduled for deletion answers InvalidRequestException.
        if code(&err) == Some("InvalidRequestException") {
            return Err(SecretError::Missing {
                name: name.to_string(),
                action: format!(
                    "the secret {id} cannot be read (scheduled for deletion?): restore it with \
                     aws secretsmanager restore-secret --secret-id {id}, or create it again"
                ),
            });
        }
        Err(unavailable(
            name,
            describe("Secrets Manager GetSecretValue", &err),
            classify(&err),
            "secretsmanager:GetSecretValue (and kms:Decrypt on its key)",
        ))
    }
}

fn unavailable(name: &str, described: String, class: ErrorClass, permission: &str) -> SecretError {
    if class.is_transient() {
        SecretError::Unavailable(format!("{described} for '{name}'"))
    } else {
        SecretError::Unavailable(format!(
            "{described} for '{name}': check that the function's role may call {permission}"
        ))
    }
}

impl Secrets for AwsSecrets {
    async fn get(&self, name: &str) -> Result<Secret, SecretError> {
        let location = locate(name)?;
        if let Some(hit) = self.cached(name) {
            return Ok(hit);
        }
        let value = match location {
            Location::Ssm(param) => self.read_ssm(name, param).await?,
            Location::SecretsManager(id) => self.read_secrets_manager(name, id).await?,
        };
        self.remember(name, &value);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_their_store() {
        assert_eq!(
            locate("ssm:/passerelle/acme/sellsy").unwrap(),
            Location::Ssm("/passerelle/acme/sellsy")
        );
        assert_eq!(
            locate("secret:passerelle/acme/inqom").unwrap(),
            Location::SecretsManager("passerelle/acme/inqom")
        );
        for bad in ["/passerelle/acme/sellsy", "ssm:", "secret: ", "vault:x"] {
            match locate(bad) {
                Err(SecretError::Missing { action, .. }) => assert!(!action.is_empty()),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
