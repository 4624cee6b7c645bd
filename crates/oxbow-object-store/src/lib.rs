//! The object store holds record-batch objects written once by a flush and
//! read by byte range. The log engine knows it only through [`ObjectStore`].
//! Implementations: [`LocalDirStore`] (embedded default) and [`S3Store`]
//! (any S3-compatible store); both pass the same [`conformance`] suite.

use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;

mod local;
pub mod s3;
pub use local::LocalDirStore;
pub use s3::{S3Options, S3Store};

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

#[derive(Debug, thiserror::Error)]
pub enum ObjectStoreError {
    #[error("object {0} not found")]
    NotFound(String),
    #[error("invalid object key {0:?}")]
    InvalidKey(String),
    #[error("range {start}..{end} outside object {key} of {size} bytes")]
    BadRange { key: String, start: u64, end: u64, size: u64 },
    #[error("object store IO error on {key}: {source}")]
    Io { key: String, source: std::io::Error },
}

impl ObjectStoreError {
    /// Whether the same call may succeed later (the broker answers with a retriable Kafka error).
    pub fn is_retriable(&self) -> bool {
        matches!(self, ObjectStoreError::Io { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    pub size_bytes: u64,
    /// Last-modified time, milliseconds since the Unix epoch.
    pub modified_ms: i64,
}

/// Object storage as the log engine needs it. Keys are `[A-Za-z0-9._-]{1,200}`;
/// objects are immutable once put.
#[async_trait]
pub trait ObjectStore: Send + Sync + 'static {
    /// Stores `data` under `key`; returns only once the object is durable
    /// (a crash afterwards keeps it whole). Putting an existing key replaces it atomically.
    async fn put(&self, key: &str, data: Bytes) -> Result<(), ObjectStoreError>;
    /// The whole object.
    async fn get(&self, key: &str) -> Result<Bytes, ObjectStoreError>;
    /// Bytes `range` of the object; the range must lie inside it.
    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes, ObjectStoreError>;
    /// Removes the object; removing a missing object is not an error.
    async fn delete(&self, key: &str) -> Result<(), ObjectStoreError>;
    /// Every object. Only garbage collection lists; reads never do.
    async fn list(&self) -> Result<Vec<ObjectMeta>, ObjectStoreError>;
}

pub fn validate_key(key: &str) -> Result<(), ObjectStoreError> {
    let ok = !key.is_empty()
        && key.len() <= 200
        && !key.starts_with('.')
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ObjectStoreError::InvalidKey(key.to_string()))
    }
}
