//! [`S3Store`]: objects in any S3-compatible store, through the
//! `object_store` crate's S3 client (SigV4, path-style requests by default).
//!
//! `s3://bucket/prefix` names the location; every object is
//! `prefix/<key>`. Endpoint, region and credentials come from the standard
//! AWS environment variables (`AWS_ENDPOINT_URL`, `AWS_REGION`,
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) or
//! [`S3Options`]. An S3 PUT is durable when it returns, which is what
//! [`ObjectStore::put`] promises. Requests are retried by the client at most
//! [`S3_MAX_RETRIES`] times within [`S3_RETRY_TIMEOUT`], so a dead endpoint
//! turns into a retriable error instead of a stuck flush.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStoreExt, PutPayload, RetryConfig};

use crate::{validate_key, ObjectMeta, ObjectStore, ObjectStoreError};

/// Retries of one request after a transient failure (5xx, connection reset).
pub const S3_MAX_RETRIES: usize = 3;
/// Bound on one request including its retries.
pub const S3_RETRY_TIMEOUT: Duration = Duration::from_secs(15);

/// Where and how to reach the S3 endpoint; `None` fields use the AWS defaults.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// e.g. `http://127.0.0.1:9000`; plain HTTP is allowed when asked for.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl S3Options {
    /// From `AWS_ENDPOINT_URL`, `AWS_REGION` (or `AWS_DEFAULT_REGION`),
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        S3Options {
            endpoint: var("AWS_ENDPOINT_URL").or_else(|| var("AWS_ENDPOINT_URL_S3")),
            region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
            access_key_id: var("AWS_ACCESS_KEY_ID"),
            secret_access_key: var("AWS_SECRET_ACCESS_KEY"),
        }
    }
}

pub struct S3Store {
    inner: Arc<dyn object_store::ObjectStore>,
    bucket: String,
    /// Without leading or trailing '/'; may be empty.
    prefix: String,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store").field("bucket", &self.bucket).field("prefix", &self.prefix).finish()
    }
}

impl S3Store {
    /// Opens `s3://bucket[/prefix]`. Makes no request: a wrong endpoint or
    /// missing bucket shows on the first call (see [`S3Store::check`]).
    pub fn open(url: &str, options: &S3Options) -> Result<Self, String> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| format!("{url:?} is not an s3://bucket/prefix URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("{url:?} names no bucket"));
        }
        let prefix = prefix.trim_matches('/').to_string();
        if !prefix.split('/').all(|p| validate_key(p).is_ok()) && !prefix.is_empty() {
            return Err(format!("prefix {prefix:?} must be '/'-separated parts of [A-Za-z0-9._-]"));
        }
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(options.region.clone().unwrap_or_else(|| "us-east-1".to_string()))
            .with_retry(RetryConfig {
                max_retries: S3_MAX_RETRIES,
                retry_timeout: S3_RETRY_TIMEOUT,
                ..RetryConfig::default()
            });
        if let Some(endpoint) = &options.endpoint {
            builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(id) = &options.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &options.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let inner = builder.build().map_err(|e| format!("S3 configuration for {url:?}: {e}"))?;
        Ok(S3Store { inner: Arc::new(inner), bucket: bucket.to_string(), prefix })
    }

    /// One listing request: fails if the endpoint, credentials or bucket are wrong.
    pub async fn check(&self) -> Result<(), ObjectStoreError> {
        let prefix = self.prefix_path();
        let mut listing = self.inner.list(prefix.as_ref());
        match listing.next().await {
            Some(Err(e)) => Err(io_err("(bucket)", e)),
            _ => Ok(()),
        }
    }

    fn prefix_path(&self) -> Option<Path> {
        (!self.prefix.is_empty()).then(|| Path::from(self.prefix.as_str()))
    }

    fn path(&self, key: &str) -> Result<Path, ObjectStoreError> {
        validate_key(key)?;
        Ok(if self.prefix.is_empty() { Path::from(key) } else { Path::from(format!("{}/{key}", self.prefix)) })
    }

    async fn size(&self, key: &str, path: &Path) -> Result<u64, ObjectStoreError> {
        self.inner.head(path).await.map(|m| m.size).map_err(|e| map_err(key, e))
    }
}

fn io_err(key: &str, e: object_store::Error) -> ObjectStoreError {
    ObjectStoreError::Io { key: key.to_string(), source: std::io::Error::other(e) }
}

fn map_err(key: &str, e: object_store::Error) -> ObjectStoreError {
    match e {
        object_store::Error::NotFound { .. } => ObjectStoreError::NotFound(key.to_string()),
        other => io_err(key, other),
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    async fn put(&self, key: &str, data: Bytes) -> Result<(), ObjectStoreError> {
        let path = self.path(key)?;
        // NotFound on a put means the bucket is missing: an IO error, not a missing object.
        self.inner.put(&path, PutPayload::from(data)).await.map_err(|e| io_err(key, e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Bytes, ObjectStoreError> {
        let path = self.path(key)?;
        let result = self.inner.get(&path).await.map_err(|e| map_err(key, e))?;
        result.bytes().await.map_err(|e| map_err(key, e))
    }

    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes, ObjectStoreError> {
        let path = self.path(key)?;
        let bad_range =
            |size| ObjectStoreError::BadRange { key: key.to_string(), start: range.start, end: range.end, size };
        if range.start >= range.end {
            // HTTP cannot ask for zero bytes; check the object and the bounds instead.
            let size = self.size(key, &path).await?;
            return if range.start > range.end || range.end > size { Err(bad_range(size)) } else { Ok(Bytes::new()) };
        }
        let options = GetOptions { range: Some(GetRange::Bounded(range.clone())), ..GetOptions::default() };
        match self.inner.get_opts(&path, options).await {
            Ok(result) => {
                // S3 clips a range that runs past the end; the trait refuses it.
                if result.range != range {
                    return Err(bad_range(result.meta.size));
                }
                let bytes = result.bytes().await.map_err(|e| map_err(key, e))?;
                if bytes.len() as u64 != range.end - range.start {
                    return Err(io_err(
                        key,
                        object_store::Error::Generic {
                            store: "S3",
                            source: format!("asked for {} bytes, got {}", range.end - range.start, bytes.len()).into(),
                        },
                    ));
                }
                Ok(bytes)
            }
            Err(object_store::Error::NotFound { .. }) => Err(ObjectStoreError::NotFound(key.to_string())),
            Err(e) => {
                // A range starting past the end is refused by S3 (416); tell it apart from real failures.
                match self.size(key, &path).await {
                    Ok(size) if range.end > size => Err(bad_range(size)),
                    _ => Err(io_err(key, e)),
                }
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<(), ObjectStoreError> {
        let path = self.path(key)?;
        match self.inner.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(io_err(key, e)),
        }
    }

    async fn list(&self) -> Result<Vec<ObjectMeta>, ObjectStoreError> {
        let prefix = self.prefix_path();
        let mut listing = self.inner.list(prefix.as_ref());
        let mut out = Vec::new();
        while let Some(item) = listing.next().await {
            let meta = item.map_err(|e| io_err("(listing)", e))?;
            // Only direct children that are valid keys are ours.
            let parent_ok = match &prefix {
                Some(p) => meta.location.prefix_match(p).is_some_and(|rest| rest.count() == 1),
                None => meta.location.parts().count() == 1,
            };
            let Some(name) = meta.location.filename() else { continue };
            if !parent_ok || validate_key(name).is_err() {
                continue;
            }
            out.push(ObjectMeta {
                key: name.to_string(),
                size_bytes: meta.size,
                modified_ms: meta.last_modified.timestamp_millis(),
            });
        }
        Ok(out)
    }
}

/// Test support: a store under a fresh prefix of the bucket served by the
/// S3-compatible server at `OXBOW_TEST_S3_ENDPOINT` (scripts/s3-test-server.sh).
#[cfg(any(test, feature = "conformance"))]
pub mod testing {
    use super::*;

    pub const ENDPOINT_ENV: &str = "OXBOW_TEST_S3_ENDPOINT";
    /// The bucket the test server script creates.
    pub const BUCKET: &str = "oxbow-test";

    pub fn endpoint() -> Option<String> {
        match std::env::var(ENDPOINT_ENV) {
            Ok(url) if !url.is_empty() => Some(url),
            _ if std::env::var_os("CI").is_some() => {
                panic!("{ENDPOINT_ENV} is not set in CI; scripts/test starts an S3 server and sets it")
            }
            _ => {
                eprintln!("SKIPPED: {ENDPOINT_ENV} not set (run scripts/s3-test-server.sh start)");
                None
            }
        }
    }

    pub fn options(endpoint: &str) -> S3Options {
        S3Options {
            endpoint: Some(endpoint.to_string()),
            region: Some("us-east-1".into()),
            access_key_id: Some("testing".into()),
            secret_access_key: Some("testing".into()),
        }
    }

    pub fn fresh_store(endpoint: &str) -> S3Store {
        let prefix = format!(
            "t{}",
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
        );
        S3Store::open(&format!("s3://{BUCKET}/{prefix}/objects"), &options(endpoint)).expect("open S3 store")
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{endpoint, fresh_store, options};
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conformance() {
        let Some(endpoint) = endpoint() else { return };
        let store = fresh_store(&endpoint);
        store.check().await.expect("bucket reachable");
        crate::conformance::run_all(&store).await;
    }

    #[tokio::test]
    async fn bad_urls_are_refused_and_a_missing_bucket_is_an_error() {
        let opts = S3Options::default();
        assert!(S3Store::open("file:///x", &opts).is_err());
        assert!(S3Store::open("s3:///prefix", &opts).is_err());
        assert!(S3Store::open("s3://bucket/a b", &opts).is_err());
        let Some(endpoint) = endpoint() else { return };
        let store = S3Store::open("s3://no-such-bucket-oxbow/p", &options(&endpoint)).expect("open");
        let err = store.put("k", Bytes::from_static(b"x")).await.expect_err("no bucket");
        assert!(err.is_retriable(), "{err:?}");
    }
}
