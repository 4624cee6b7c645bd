//! Fetch (key 1). Reads whole batches per partition within the partition and
//! response limits (the first batch of the response is returned even when
//! larger, so consumers always progress, KIP-74), and long-polls: when fewer
//! than `min_bytes` are ready it waits for a commit or `max_wait_ms`.
//!
//! Fetch sessions (KIP-227): Oxbow answers every fetch in full and returns
//! session id 0, which tells the client that no session was created, exactly
//! as Kafka does when its session cache is full. A request naming a session
//! id therefore gets FETCH_SESSION_ID_NOT_FOUND and the client starts over.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::{BrokerId, FetchRequest, FetchResponse, TopicName};
use oxbow_log::PartitionKey;

use super::s;
use crate::dispatch::RequestContext;
use crate::security::Op;
use crate::{errors, Broker};

/// A single fetch never waits longer than this, whatever the client asks.
const FETCH_WAIT_MS_MAX: i32 = 30_000;

struct Wanted {
    topic_name: TopicName,
    topic_id: uuid::Uuid,
    /// None when the topic is unknown.
    resolved_id: Option<uuid::Uuid>,
    unknown_code: i16,
    partitions: Vec<WantedPartition>,
}

struct WantedPartition {
    index: i32,
    exists: bool,
    fetch_offset: i64,
    partition_max_bytes: i32,
    current_leader_epoch: i32,
}

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: FetchRequest) -> FetchResponse {
    let version = ctx.api_version;
    if version >= 7 && (req.session_id != 0 || req.session_epoch > 0) {
        return FetchResponse::default().with_error_code(errors::FETCH_SESSION_ID_NOT_FOUND).with_session_id(0);
    }
    let mut wanted = Vec::with_capacity(req.topics.len());
    for t in &req.topics {
        let (lookup, unknown_code) = if version >= 13 {
            (broker.topic_by_id(t.topic_id).await, errors::UNKNOWN_TOPIC_ID)
        } else {
            (broker.topic(&t.topic.0).await, errors::UNKNOWN_TOPIC_OR_PARTITION)
        };
        let mut topic = lookup.ok().flatten();
        let mut unknown_code = unknown_code;
        // READ on the topic (a consumer fetch; replica fetches do not exist here).
        let name = topic.as_ref().map(|tm| tm.name.clone()).unwrap_or_else(|| t.topic.0.to_string());
        if (topic.is_some() || version < 13) && !broker.security.authorize_topic(ctx, Op::Read, &name) {
            topic = None;
            unknown_code = errors::TOPIC_AUTHORIZATION_FAILED;
        }
        let partitions = t
            .partitions
            .iter()
            .map(|p| WantedPartition {
                index: p.partition,
                exists: topic.as_ref().is_some_and(|tm| p.partition >= 0 && p.partition < tm.partition_count),
                fetch_offset: p.fetch_offset,
                partition_max_bytes: p.partition_max_bytes,
                current_leader_epoch: p.current_leader_epoch,
            })
            .collect();
        wanted.push(Wanted {
            topic_name: topic.as_ref().map(|tm| TopicName(s(&tm.name))).unwrap_or_else(|| t.topic.clone()),
            topic_id: t.topic_id,
            resolved_id: topic.map(|tm| tm.id),
            unknown_code,
            partitions,
        });
    }
    let response_max_bytes = if version >= 3 {
        req.max_bytes.max(0).min(broker.config.fetch_max_bytes)
    } else {
        broker.config.fetch_max_bytes
    } as u64;
    let min_bytes = req.min_bytes.max(0) as u64;
    let wait = Duration::from_millis(req.max_wait_ms.clamp(0, FETCH_WAIT_MS_MAX) as u64);
    let deadline = tokio::time::Instant::now() + wait;
    let mut commits = broker.engine.commits();
    loop {
        commits.borrow_and_update();
        let (responses, total_bytes, any_error) =
            read_all(broker, version, &wanted, req.isolation_level, response_max_bytes).await;
        let now = tokio::time::Instant::now();
        if total_bytes >= min_bytes || any_error || now >= deadline || total_bytes > 0 && min_bytes == 0 {
            return FetchResponse::default().with_error_code(errors::NONE).with_session_id(0).with_responses(responses);
        }
        tokio::select! {
            changed = commits.changed() => if changed.is_err() {
                return FetchResponse::default().with_error_code(errors::NONE).with_session_id(0).with_responses(responses);
            },
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
}

fn partition(index: i32, code: i16) -> PartitionData {
    PartitionData::default()
        .with_partition_index(index)
        .with_error_code(code)
        .with_high_watermark(-1)
        .with_last_stable_offset(-1)
        .with_log_start_offset(-1)
        .with_preferred_read_replica(BrokerId(-1))
        .with_records(Some(Bytes::new()))
}

async fn read_all(
    broker: &Broker,
    version: i16,
    wanted: &[Wanted],
    isolation_level: i8,
    response_max_bytes: u64,
) -> (Vec<FetchableTopicResponse>, u64, bool) {
    let mut total: u64 = 0;
    let mut any_error = false;
    let mut out = Vec::with_capacity(wanted.len());
    for w in wanted {
        let mut partitions = Vec::with_capacity(w.partitions.len());
        for wp in &w.partitions {
            let (p, fetch_offset, partition_max_bytes) = (wp.index, wp.fetch_offset, wp.partition_max_bytes);
            let Some(topic_id) = w.resolved_id else {
                any_error = true;
                partitions.push(partition(p, w.unknown_code));
                continue;
            };
            if !wp.exists {
                any_error = true;
                partitions.push(partition(p, errors::UNKNOWN_TOPIC_OR_PARTITION));
                continue;
            }
            if wp.current_leader_epoch > 0 {
                // Every partition's leader epoch is 0 here; a larger one comes from another cluster.
                any_error = true;
                partitions.push(partition(p, errors::UNKNOWN_LEADER_EPOCH));
                continue;
            }
            let key = PartitionKey { topic_id, partition: p };
            let room = response_max_bytes.saturating_sub(total).min(partition_max_bytes.max(0) as u64);
            let result = broker.engine.read(key, fetch_offset, room, total == 0).await;
            let mut data = partition(p, errors::NONE);
            match result {
                Ok(None) => {
                    any_error = true;
                    data.error_code = errors::UNKNOWN_TOPIC_OR_PARTITION;
                }
                Ok(Some(read)) => {
                    let o = read.offsets;
                    data.high_watermark = o.high_watermark;
                    data.last_stable_offset = o.high_watermark;
                    data.log_start_offset = o.log_start_offset;
                    if fetch_offset < o.log_start_offset || fetch_offset > o.high_watermark {
                        any_error = true;
                        data.error_code = errors::OFFSET_OUT_OF_RANGE;
                    } else {
                        total += read.records.len() as u64;
                        data.records = Some(read.records);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "fetch: read failed");
                    any_error = true;
                    data.error_code = match errors::for_log_error(&e) {
                        errors::KAFKA_STORAGE_ERROR => errors::storage_error_for_fetch(version),
                        code => code,
                    };
                }
            }
            if isolation_level == 1 {
                data.aborted_transactions = Some(Vec::new());
            }
            partitions.push(data);
        }
        out.push(
            FetchableTopicResponse::default()
                .with_topic(w.topic_name.clone())
                .with_topic_id(w.topic_id)
                .with_partitions(partitions),
        );
    }
    (out, total, any_error)
}
