//! The flusher: one task that turns queued batches into one object and one
//! metadata commit per flush (group commit).

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use oxbow_meta_store::{BatchToCommit, MetaStore, NewObject};
use oxbow_object_store::ObjectStore;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::{now_ms, AppendJob, LogError, ReadCache};

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

impl Flusher {
    pub async fn run(mut self, mut rx: mpsc::Receiver<AppendJob>) {
        let mut carry: Option<AppendJob> = None;
        loop {
            let first = match carry.take() {
                Some(job) => job,
                None => match rx.recv().await {
                    Some(job) => job,
                    None => return,
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
            self.flush(jobs, size).await;
        }
    }

    fn next_key(&mut self) -> String {
        self.sequence += 1;
        // Time-ordered, unique per broker run: millis, a random run id, a counter.
        format!("{}-{:013}-{}-{:08}", self.key_prefix, now_ms(), run_id(), self.sequence)
    }

    async fn flush(&mut self, jobs: Vec<AppendJob>, size: usize) {
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
        let started = Instant::now();
        let result = self.write_and_commit(&key, object, batches).await;
        tracing::trace!(object = %key, batches = jobs.len(), bytes = size, elapsed_us = started.elapsed().as_micros() as u64, "flush");
        match result {
            Ok(outcomes) => {
                debug_assert_eq!(outcomes.len(), jobs.len());
                self.commits.send_modify(|n| *n += 1);
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::warn!(object = %key, error = %e, batches = jobs.len(), "flush failed; producers get a retriable error");
                self.cache.remove(&key);
                let retriable = e.is_retriable();
                for job in jobs {
                    let err = if retriable {
                        LogError::Meta(oxbow_meta_store::MetaError::Unavailable(e.to_string()))
                    } else {
                        LogError::Corrupt(e.to_string())
                    };
                    let _ = job.reply.send(Err(err));
                }
            }
        }
    }

    async fn write_and_commit(
        &self,
        key: &str,
        object: Bytes,
        batches: Vec<BatchToCommit>,
    ) -> Result<Vec<oxbow_meta_store::BatchOutcome>, LogError> {
        let size_bytes = object.len() as u64;
        self.objects.put(key, object.clone()).await?;
        // Invariant: an object is committed only while the orphan sweep is
        // certain to leave it alone (see COMMIT_START_DEADLINE_MS).
        let written_ms = now_ms();
        // Readers of the batches about to be committed find them in memory.
        self.cache.insert(key.to_string(), object);
        if now_ms() - written_ms > crate::COMMIT_START_DEADLINE_MS {
            return Err(LogError::Meta(oxbow_meta_store::MetaError::Unavailable(
                "commit could not start in time after the object was written".into(),
            )));
        }
        let outcomes = self
            .meta
            .commit_object(NewObject { key: key.to_string(), size_bytes, created_ms: now_ms() }, batches)
            .await?;
        Ok(outcomes)
    }
}

fn run_id() -> &'static str {
    static RUN_ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    RUN_ID.get_or_init(|| uuid::Uuid::new_v4().simple().to_string()[..8].to_string())
}
