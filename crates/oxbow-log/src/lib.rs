//! The diskless log engine (DESIGN.md "Log engine").
//!
//! Write path: validated batches from every connection go into one bounded
//! queue; a single flusher task groups them until `flush_bytes` or
//! `flush_interval_ms`, writes ONE object holding all of them, then commits
//! ONE metadata transaction that assigns offsets and inserts index rows.
//! Producers are answered only after both are durable.
//!
//! Read path: index rows from the metadata store (never a LIST of the object
//! store), object bytes through a bounded LRU cache (a flushed object enters
//! the cache as it is written, so tailing consumers never touch the disk),
//! CRC verified, base offset patched on the way out.
//!
//! The engine knows the stores only through their traits.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use oxbow_meta_store::{MetaError, MetaStore};
use oxbow_object_store::{ObjectStore, ObjectStoreError};
use tokio::sync::{mpsc, oneshot, watch};

mod cache;
mod read;
mod records;
mod write;

pub use cache::ReadCache;
pub use oxbow_meta_store::{BatchOutcome, PartitionKey, PartitionOffsets};
pub use read::ReadResult;

#[derive(Debug, Clone)]
pub struct LogConfig {
    /// Flush once this long has passed since the oldest queued batch arrived.
    /// Default 0 (measured, BENCHMARKS.md): on a local directory the flush
    /// itself is the batching window, since batches arriving while one flush
    /// runs all go into the next; any added wait only adds latency.
    pub flush_interval_ms: u64,
    /// Flush once this many bytes are queued (one object is at most about
    /// this big). 4 MiB bounds object size and flush memory; under full load
    /// a flush gathers ~1-3 MiB, so it rarely binds.
    pub flush_bytes: usize,
    /// Batches waiting for a flush; producers wait (backpressure) when full.
    pub append_queue_batches_max: usize,
    /// Bytes of batches waiting for a flush; producers wait when full.
    pub append_queue_bytes_max: usize,
    /// Bytes of object data kept in memory for reads. 64 MiB from
    /// BENCHMARKS.md: 256 MiB put peak RSS at ~500 MB under load for no
    /// measurable catch-up gain (a catch-up read of more than the cache
    /// misses anyway); tailing consumers need only the last few flushes
    /// (at most 4 MiB each), which 64 MiB holds with a wide margin.
    pub read_cache_bytes: usize,
    /// Index rows looked up per partition per read.
    pub read_index_entries_max: usize,
    /// How long a dead object (no index row references it) is kept before
    /// deletion, so that reads in flight never lose their bytes.
    pub object_gc_grace_ms: i64,
    /// Largest size a compressed batch may inflate to when the engine scans
    /// its records (timestamp lookups).
    pub decompressed_bytes_max: usize,
    /// Prefix for object keys (the broker's node id), so brokers sharing a store never collide.
    pub object_key_prefix: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            flush_interval_ms: 0,
            flush_bytes: 4 * 1024 * 1024,
            append_queue_batches_max: 16 * 1024,
            append_queue_bytes_max: 256 * 1024 * 1024,
            read_cache_bytes: 64 * 1024 * 1024,
            read_index_entries_max: 1024,
            object_gc_grace_ms: 5 * 60 * 1000,
            decompressed_bytes_max: 64 * 1024 * 1024,
            object_key_prefix: "n1".to_string(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(transparent)]
    Meta(#[from] MetaError),
    #[error(transparent)]
    Object(#[from] ObjectStoreError),
    #[error("stored batch failed verification: {0}")]
    Corrupt(String),
    #[error("log engine is shutting down")]
    ShuttingDown,
}

impl LogError {
    /// Whether a client retry can help (maps to a retriable Kafka error).
    pub fn is_retriable(&self) -> bool {
        match self {
            LogError::Meta(e) => e.is_retriable(),
            LogError::Object(e) => e.is_retriable(),
            LogError::Corrupt(_) => false,
            LogError::ShuttingDown => true,
        }
    }
}

/// An object the metadata store has never heard of is deleted only once it
/// is older than this, whatever `object_gc_grace_ms` says: it may belong to a
/// flush whose commit is still running (on this broker or another one).
pub const ORPHAN_GRACE_MS: i64 = 60_000;

/// A flush whose commit would start later than this after its object was
/// written is abandoned (producers get a retriable error), so that an orphan
/// sweep can never delete an object that is about to be committed.
pub const COMMIT_START_DEADLINE_MS: i64 = ORPHAN_GRACE_MS / 2;

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A batch accepted into the queue; resolves once the flush holding it committed.
pub struct AppendTicket {
    rx: oneshot::Receiver<Result<BatchOutcome, LogError>>,
}

impl AppendTicket {
    pub async fn wait(self) -> Result<BatchOutcome, LogError> {
        self.rx.await.unwrap_or(Err(LogError::ShuttingDown))
    }
}

pub(crate) struct AppendJob {
    partition: PartitionKey,
    batch: Bytes,
    record_count: i32,
    max_timestamp_ms: i64,
    producer: Option<oxbow_meta_store::ProducerBatch>,
    enqueued: tokio::time::Instant,
    reply: oneshot::Sender<Result<BatchOutcome, LogError>>,
    /// Holds the batch's share of `append_queue_bytes_max` until it is flushed.
    _queued_bytes: tokio::sync::OwnedSemaphorePermit,
}

pub struct LogEngine {
    meta: Arc<dyn MetaStore>,
    objects: Arc<dyn ObjectStore>,
    config: LogConfig,
    queue: mpsc::Sender<AppendJob>,
    queue_bytes: Arc<tokio::sync::Semaphore>,
    cache: Arc<ReadCache>,
    commits: watch::Receiver<u64>,
}

impl LogEngine {
    /// Starts the engine's flusher task on the current tokio runtime.
    pub fn start(meta: Arc<dyn MetaStore>, objects: Arc<dyn ObjectStore>, config: LogConfig) -> Arc<Self> {
        assert!(config.flush_bytes > 0 && config.append_queue_batches_max > 0 && config.append_queue_bytes_max > 0);
        let queue_bytes = Arc::new(tokio::sync::Semaphore::new(config.append_queue_bytes_max));
        let (queue, rx) = mpsc::channel(config.append_queue_batches_max);
        let cache = Arc::new(ReadCache::new(config.read_cache_bytes));
        let (commit_tx, commits) = watch::channel(0u64);
        let flusher = write::Flusher {
            meta: meta.clone(),
            objects: objects.clone(),
            cache: cache.clone(),
            flush_interval: Duration::from_millis(config.flush_interval_ms),
            flush_bytes: config.flush_bytes,
            key_prefix: config.object_key_prefix.clone(),
            commits: commit_tx,
            sequence: 0,
        };
        tokio::spawn(flusher.run(rx));
        Arc::new(LogEngine { meta, objects, config, queue, queue_bytes, cache, commits })
    }

    pub fn meta(&self) -> &Arc<dyn MetaStore> {
        &self.meta
    }

    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// Queues one validated batch for `partition`. Call in request order:
    /// batches of a partition are committed in the order they were queued.
    pub async fn enqueue(
        &self,
        partition: PartitionKey,
        batch: Bytes,
        info: &oxbow_codec::batch::BatchInfo,
    ) -> Result<AppendTicket, LogError> {
        // A batch larger than the whole budget takes the whole budget.
        let permits = batch.len().clamp(1, self.config.append_queue_bytes_max) as u32;
        let queued_bytes =
            self.queue_bytes.clone().acquire_many_owned(permits).await.map_err(|_| LogError::ShuttingDown)?;
        let (reply, rx) = oneshot::channel();
        let producer = info.is_idempotent().then(|| oxbow_meta_store::ProducerBatch {
            producer_id: info.producer_id,
            producer_epoch: info.producer_epoch,
            base_sequence: info.base_sequence,
            last_sequence: info.last_sequence(),
        });
        let job = AppendJob {
            partition,
            batch,
            record_count: info.last_offset_delta + 1,
            max_timestamp_ms: info.max_timestamp_ms,
            producer,
            enqueued: tokio::time::Instant::now(),
            reply,
            _queued_bytes: queued_bytes,
        };
        self.queue.send(job).await.map_err(|_| LogError::ShuttingDown)?;
        Ok(AppendTicket { rx })
    }

    /// A receiver that changes after every commit; long-poll fetches wait on it.
    pub fn commits(&self) -> watch::Receiver<u64> {
        self.commits.clone()
    }

    pub fn cache(&self) -> &ReadCache {
        &self.cache
    }

    /// Deletes dead objects older than the grace period, and orphans (objects
    /// the metadata store never heard of, left by a failed commit or a crash
    /// between put and commit). Returns how many objects were deleted.
    pub async fn collect_garbage(&self) -> Result<usize, LogError> {
        let now = now_ms();
        let dead_cutoff = now - self.config.object_gc_grace_ms;
        let orphan_cutoff = now - self.config.object_gc_grace_ms.max(ORPHAN_GRACE_MS);
        let mut deleted = 0;
        for dead in self.meta.dead_objects(dead_cutoff, 1000).await? {
            self.cache.remove(&dead.key);
            self.objects.delete(&dead.key).await?;
            self.meta.forget_object(&dead.key).await?;
            deleted += 1;
        }
        let old: Vec<String> =
            self.objects.list().await?.into_iter().filter(|o| o.modified_ms < orphan_cutoff).map(|o| o.key).collect();
        for chunk in old.chunks(500) {
            let known = self.meta.known_objects(chunk).await?;
            for key in chunk.iter().filter(|k| !known.contains(k)) {
                tracing::info!(object = %key, "deleting orphaned object");
                self.objects.delete(key).await?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests;
