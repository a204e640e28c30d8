//! Credentials from SSM Parameter Store (`ssm:<name>`) and Secrets Manager (`secret:<id>`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use app::ports::{Secret, SecretError, SecretRef, Secrets};

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
    fn resolves(&self, reference: &SecretRef) -> bool {
        matches!(reference, SecretRef::Ssm(_) | SecretRef::SecretsManager(_))
    }

    fn expects(&self) -> &'static str {
        "in the cloud, name an SSM SecureString (ssm:/passerelle/<stack>/…) or a Secrets Manager secret (secret:passerelle/<stack>/…)"
    }

    async fn get(&self, reference: &SecretRef) -> Result<Secret, SecretError> {
        let name = reference.to_string();
        if let Some(hit) = self.cached(&name) {
            return Ok(hit);
        }
        let value = match reference {
            SecretRef::Ssm(param) => self.read_ssm(&name, param).await?,
            SecretRef::SecretsManager(id) => self.read_secrets_manager(&name, id).await?,
            SecretRef::Env(var) => {
                return Err(SecretError::Missing {
                    name,
                    action: format!(
                        "the functions read no environment variable for secrets: store it in SSM (ssm:/passerelle/<stack>/…) instead of {var}"
                    ),
                });
            }
        };
        self.remember(&name, &value);
        Ok(value)
    }
}
