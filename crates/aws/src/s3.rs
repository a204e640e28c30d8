//! The blob store over one S3 bucket: SSE-S3 on every object, write-once with `If-None-Match`.

use std::time::Duration;

use app::ports::{BlobError, BlobStore, PutOnce, valid_key};
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;

use crate::error::{code, describe, status};

/// A conditional write racing another one on the same key gets `409 ConditionalRequestConflict`;
/// S3 asks to retry it. After this many attempts the error is reported.
const CONDITIONAL_CONFLICT_ATTEMPTS: u32 = 4;

/// [`BlobStore`] over an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Blobs {
    client: Client,
    bucket: String,
}

impl S3Blobs {
    /// `client` should use path-style addressing when the endpoint is not AWS (moto): see
    /// [`crate::AwsAdapters`].
    pub fn new(client: Client, bucket: impl Into<String>) -> S3Blobs {
        S3Blobs {
            client,
            bucket: bucket.into(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Writes an object with SSE-S3; `if_none_match` makes it write-once.
    async fn write(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
        once: bool,
    ) -> Result<PutOnce, BlobError> {
        if !valid_key(key) {
            return Err(BlobError::BadKey(key.to_string()));
        }
        let operation = if once {
            "S3 PutObject (write-once)"
        } else {
            "S3 PutObject"
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut put = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .content_type(content_type)
                .server_side_encryption(ServerSideEncryption::Aes256)
                .body(ByteStream::from(bytes.to_vec()));
            if once {
                put = put.if_none_match("*");
            }
            let err = match put.send().await {
                Ok(_) => return Ok(PutOnce::Created),
                Err(err) => err,
            };
            if once && (status(&err) == Some(412) || code(&err) == Some("PreconditionFailed")) {
                return Ok(PutOnce::AlreadyExists);
            }
            let racing =
                status(&err) == Some(409) || code(&err) == Some("ConditionalRequestConflict");
            if racing && attempt < CONDITIONAL_CONFLICT_ATTEMPTS {
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                continue;
            }
            return Err(BlobError::Unavailable(format!(
                "{} for {key}",
                describe(operation, &err)
            )));
        }
    }
}

impl BlobStore for S3Blobs {
    async fn put_once(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> Result<PutOnce, BlobError> {
        self.write(key, bytes, content_type, true).await
    }

    async fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> Result<(), BlobError> {
        self.write(key, bytes, content_type, false)
            .await
            .map(|_| ())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        if !valid_key(key) {
            return Err(BlobError::BadKey(key.to_string()));
        }
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            // A missing key is NoSuchKey (404) only when the caller may list the bucket; without
            // s3:ListBucket S3 answers 403 AccessDenied instead, which is a permission problem,
            // never "missing" (S3 API reference, GetObject, "Permissions").
            Err(err)
                if err.as_service_error().is_some_and(|e| e.is_no_such_key())
                    || status(&err) == Some(404) =>
            {
                return Ok(None);
            }
            Err(err) if status(&err) == Some(403) || code(&err) == Some("AccessDenied") => {
                return Err(BlobError::Denied(format!(
                    "{}: grant the function s3:GetObject on {}/{key} and s3:ListBucket on the bucket (without it a missing key reads as AccessDenied)",
                    describe("S3 GetObject", &err),
                    self.bucket
                )));
            }
            Err(err) => {
                return Err(BlobError::Unavailable(format!(
                    "{} for {key}",
                    describe("S3 GetObject", &err)
                )));
            }
        };
        let body = out.body.collect().await.map_err(|e| {
            BlobError::Unavailable(format!("S3 GetObject: reading the body of {key}: {e}"))
        })?;
        Ok(Some(body.into_bytes().to_vec()))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|err| {
                    BlobError::Unavailable(format!(
                        "{} under '{prefix}'",
                        describe("S3 ListObjectsV2", &err)
                    ))
                })?;
            keys.extend(
                out.contents()
                    .iter()
                    .filter_map(|o| o.key().map(String::from)),
            );
            match out.next_continuation_token {
                Some(next) if out.is_truncated == Some(true) => token = Some(next),
                _ => break,
            }
        }
        // S3 lists in UTF-8 byte order already; sorting makes the port's promise explicit.
        keys.sort();
        Ok(keys)
    }
}
