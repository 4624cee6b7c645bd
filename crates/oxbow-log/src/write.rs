//! The write path: group commit in a two-stage pipeline.
//!
//! The flusher task gathers queued batches (until `flush_bytes`, or
//! `flush_interval_ms` after the oldest arrived) and writes them as ONE
//! object; the committer task then commits that object's index rows in ONE
//! metadata transaction and answers the producers. While flush N commits,
//! flush N+1 is already being gathered and written, so the object write and
//! the metadata commit (each an fsync on a local disk) overlap. Commits
//! happen strictly in flush order, which keeps each partition's batches in
//! queue order.
//!
//! Failure rule: if flush N fails (object write or commit), every flush
//! whose write had already started is failed too, with the same retriable
//! error, instead of being committed behind a gap it cannot know about.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use oxbow_meta_store::{BatchOutcome, BatchToCommit, MetaError, MetaStore, NewObject};
use oxbow_object_store::ObjectStore;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::{now_ms, AppendJob, LogError, ReadCache};

/// Flushes written but not yet committed. One means: commit N while writing N+1.
const FLUSHES_IN_PIPELINE_MAX: usize = 1;

pub(crate) struct Flusher {
    pub meta: Arc<dyn MetaStore>,
    pub objects: Arc<dyn ObjectStore>,
    pub cache: Arc<ReadCache>,
    pub flush_interval: Duration,
    pub flush_bytes: usize,
    pub key_prefix: String,
    pub commits: watch::Sender<u64>,
    pub sequence: u64,
}

/// A flush after stage one.
struct Written {
    flush_seq: u64,
    key: String,
    jobs: Vec<AppendJob>,
    batches: Vec<BatchToCommit>,
    size_bytes: u64,
    /// When the object write finished (ms since the epoch).
    written_ms: i64,
    put: Result<(), LogError>,
    started: Instant,
}

impl Flusher {
    pub async fn run(mut self, mut rx: mpsc::Receiver<AppendJob>) {
        let started_seq = Arc::new(AtomicU64::new(0));
        let (to_commit, committing) = mpsc::channel(FLUSHES_IN_PIPELINE_MAX);
        let committer = Committer {
            meta: self.meta.clone(),
            cache: self.cache.clone(),
            commits: self.commits.clone(),
            started_seq: started_seq.clone(),
            fail_through_seq: 0,
        };
        let committer = tokio::spawn(committer.run(committing));
        let mut carry: Option<AppendJob> = None;
        loop {
            let first = match carry.take() {
                Some(job) => job,
                None => match rx.recv().await {
                    Some(job) => job,
                    None => break,
                },
            };
            // The deadline counts from when the oldest batch arrived, so a
            // backlog built up during the previous flush goes out at once.
            let deadline = first.enqueued + self.flush_interval;
            let mut size = first.batch.len();
            let mut jobs = vec![first];
            while size < self.flush_bytes {
                let next = tokio::select! {
                    biased;
                    job = rx.recv() => job,
                    _ = tokio::time::sleep_until(deadline) => break,
                };
                match next {
                    Some(job) if size + job.batch.len() > self.flush_bytes => {
                        carry = Some(job);
                        break;
                    }
                    Some(job) => {
                        size += job.batch.len();
                        jobs.push(job);
                    }
                    None => break,
                }
            }
            let written = self.write(jobs, size, &started_seq).await;
            if to_commit.send(written).await.is_err() {
                break;
            }
        }
        drop(to_commit);
        let _ = committer.await;
    }

    fn next_key(&mut self) -> String {
        self.sequence += 1;
        // Time-ordered, unique per broker run: millis, a random run id, a counter.
        format!("{}-{:013}-{}-{:08}", self.key_prefix, now_ms(), run_id(), self.sequence)
    }

    /// Stage one: lay the batches out in one object and write it.
    async fn write(&mut self, jobs: Vec<AppendJob>, size: usize, started_seq: &AtomicU64) -> Written {
        let mut object = BytesMut::with_capacity(size);
        let mut batches = Vec::with_capacity(jobs.len());
        for job in &jobs {
            batches.push(BatchToCommit {
                partition: job.partition,
                byte_position: object.len() as u64,
                byte_length: job.batch.len() as u32,
                record_count: job.record_count,
                max_timestamp_ms: job.max_timestamp_ms,
                producer: job.producer,
            });
            object.extend_from_slice(&job.batch);
        }
        let object: Bytes = object.freeze();
        let key = self.next_key();
        let flush_seq = self.sequence;
        started_seq.store(flush_seq, Ordering::SeqCst);
        let started = Instant::now();
        let size_bytes = object.len() as u64;
        let put = self.objects.put(&key, object.clone()).await.map_err(LogError::from);
        if put.is_ok() {
            // Readers of the batches about to be committed find them in memory.
            self.cache.insert(key.clone(), object);
        }
        Written { flush_seq, key, jobs, batches, size_bytes, written_ms: now_ms(), put, started }
    }
}

/// Stage two: commits written flushes in order and answers producers.
struct Committer {
    meta: Arc<dyn MetaStore>,
    cache: Arc<ReadCache>,
    commits: watch::Sender<u64>,
    started_seq: Arc<AtomicU64>,
    /// Flushes up to this sequence number are failed (see the module's failure rule).
    fail_through_seq: u64,
}

impl Committer {
    async fn run(mut self, mut rx: mpsc::Receiver<Written>) {
        while let Some(w) = rx.recv().await {
            let batch_count = w.jobs.len();
            let result = self.commit(&w).await;
            tracing::trace!(object = %w.key, batches = batch_count, bytes = w.size_bytes, elapsed_us = w.started.elapsed().as_micros() as u64, "flush");
            match result {
                Ok(outcomes) => {
                    debug_assert_eq!(outcomes.len(), batch_count);
                    self.commits.send_modify(|n| *n += 1);
                    for (job, outcome) in w.jobs.into_iter().zip(outcomes) {
                        let _ = job.reply.send(Ok(outcome));
                    }
                }
                Err(e) => {
                    tracing::warn!(object = %w.key, error = %e, batches = batch_count, "flush failed; producers get a retriable error");
                    self.cache.remove(&w.key);
                    self.fail_through_seq = self.fail_through_seq.max(self.started_seq.load(Ordering::SeqCst));
                    let retriable = e.is_retriable();
                    for job in w.jobs {
                        let err = if retriable {
                            LogError::Meta(MetaError::Unavailable(e.to_string()))
                        } else {
                            LogError::Corrupt(e.to_string())
                        };
                        let _ = job.reply.send(Err(err));
                    }
                }
            }
        }
    }

    async fn commit(&self, w: &Written) -> Result<Vec<BatchOutcome>, LogError> {
        if let Err(e) = &w.put {
            return Err(LogError::Meta(MetaError::Unavailable(format!("object write failed: {e}"))));
        }
        if w.flush_seq <= self.fail_through_seq {
            return Err(LogError::Meta(MetaError::Unavailable(
                "an earlier flush failed while this one was being written".into(),
            )));
        }
        // Invariant: an object is committed only while the orphan sweep is
        // certain to leave it alone (see COMMIT_START_DEADLINE_MS).
        if now_ms() - w.written_ms > crate::COMMIT_START_DEADLINE_MS {
            return Err(LogError::Meta(MetaError::Unavailable(
                "commit could not start in time after the object was written".into(),
            )));
        }
        let object = NewObject { key: w.key.clone(), size_bytes: w.size_bytes, created_ms: now_ms() };
        Ok(self.meta.commit_object(object, w.batches.clone()).await?)
    }
}

fn run_id() -> &'static str {
    static RUN_ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    RUN_ID.get_or_init(|| uuid::Uuid::new_v4().simple().to_string()[..8].to_string())
}
