//! Produce (key 0). The ordered part validates every partition's batch and
//! queues it in the log engine (so batches of one connection keep request
//! order); the deferred part waits for the flush that commits them and
//! builds the response. acks=0 gets no response, and a connection whose
//! acks=0 produce failed is closed so the client notices, as Kafka does.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse, TopicName};
use oxbow_codec::batch::{self, BatchError, BatchLimits};
use oxbow_codec::compression::{Compression, DecompressError};
use oxbow_log::{AppendTicket, BatchOutcome, PartitionKey};
use oxbow_meta_store::AppendRejection;

use super::s;
use crate::dispatch::{encode_response, Reply, RequestContext, Started};
use crate::security::Op;
use crate::{errors, Broker};

/// Where one partition's answer will come from.
enum Pending {
    Error { code: i16, message: Option<String> },
    Queued { ticket: AppendTicket, log_append_time_ms: i64 },
}

struct PartitionPending {
    index: i32,
    pending: Pending,
}

struct TopicPending {
    name: TopicName,
    topic_id: uuid::Uuid,
    partitions: Vec<PartitionPending>,
}

fn error(code: i16, message: impl Into<Option<String>>) -> Pending {
    Pending::Error { code, message: message.into() }
}

fn batch_error_code(e: &BatchError, version: i16) -> i16 {
    match e {
        BatchError::TooLarge { .. } => errors::MESSAGE_TOO_LARGE,
        BatchError::CrcMismatch { .. } | BatchError::Truncated | BatchError::UnknownCompression(_) => {
            errors::CORRUPT_MESSAGE
        }
        BatchError::Decompress(DecompressError::Corrupt { .. }) => errors::CORRUPT_MESSAGE,
        BatchError::UnsupportedMagic(_)
        | BatchError::Invalid(_)
        | BatchError::Decompress(DecompressError::TooLarge { .. }) => errors::invalid_record_for_produce(version),
    }
}

/// Validates one partition's record set and queues its batch.
async fn queue_partition(
    broker: &Broker,
    version: i16,
    topic: &oxbow_meta_store::TopicMeta,
    partition: i32,
    records: Option<Bytes>,
) -> Pending {
    if partition < 0 || partition >= topic.partition_count {
        return error(errors::UNKNOWN_TOPIC_OR_PARTITION, None);
    }
    let Some(records) = records.filter(|r| !r.is_empty()) else {
        return error(errors::invalid_record_for_produce(version), Some("empty record set".into()));
    };
    let ranges = match batch::split_batches(&records) {
        Ok(r) => r,
        Err(e) => return error(batch_error_code(&e, version), Some(e.to_string())),
    };
    if ranges.len() != 1 {
        return error(
            errors::invalid_record_for_produce(version),
            Some(format!("Produce requests with version {version} must carry exactly one record batch per partition")),
        );
    }
    let max_message_bytes: usize = broker.topic_config(topic, "max.message.bytes").parse().unwrap_or(1_048_588);
    let limits = BatchLimits {
        batch_bytes_max: max_message_bytes,
        decompressed_bytes_max: broker.config.log.decompressed_bytes_max,
    };
    let info = match batch::validate(&records, &limits) {
        Ok(info) => info,
        Err(e) => {
            tracing::debug!(topic = %topic.name, partition, error = %e, "refusing batch");
            return error(batch_error_code(&e, version), Some(e.to_string()));
        }
    };
    if info.compression == Compression::Zstd && version < 7 {
        return error(errors::UNSUPPORTED_COMPRESSION_TYPE, None);
    }
    if info.transactional {
        // Transactions need the transaction coordinator, which Oxbow does not have yet.
        return error(errors::INVALID_TXN_STATE, Some("transactions are not supported yet".into()));
    }
    let mut log_append_time_ms = -1;
    let batch_bytes = if broker.topic_config(topic, "message.timestamp.type") == "LogAppendTime" {
        log_append_time_ms = oxbow_log::now_ms();
        let mut copy = BytesMut::from(&records[..]);
        batch::set_log_append_time(&mut copy, log_append_time_ms);
        copy.freeze()
    } else {
        records
    };
    let mut info = info;
    if log_append_time_ms >= 0 {
        info.max_timestamp_ms = log_append_time_ms;
    }
    let key = PartitionKey { topic_id: topic.id, partition };
    match broker.engine.enqueue(key, batch_bytes, &info).await {
        Ok(ticket) => Pending::Queued { ticket, log_append_time_ms },
        Err(e) => error(errors::for_log_error(&e), Some(e.to_string())),
    }
}

pub async fn start(broker: &Arc<Broker>, ctx: RequestContext, req: ProduceRequest) -> Started {
    let version = ctx.api_version;
    let acks = req.acks;
    let txn_allowed = req.transactional_id.as_ref().is_none_or(|id| {
        broker.security.authorize(&ctx, Op::Write, crate::security::acl::resource::TRANSACTIONAL_ID, id.0.as_str())
    });
    let mut topics = Vec::with_capacity(req.topic_data.len());
    for t in req.topic_data {
        // v13 names topics by id; earlier versions by name.
        let lookup = if version >= 13 { broker.topic_by_id(t.topic_id).await } else { broker.topic(&t.name.0).await };
        let topic = match lookup {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "produce: topic lookup failed");
                None
            }
        };
        let unknown_code = if version >= 13 { errors::UNKNOWN_TOPIC_ID } else { errors::UNKNOWN_TOPIC_OR_PARTITION };
        // WRITE on the topic, checked before existence as Kafka does (an id that resolves to nothing stays unknown).
        let name = topic.as_ref().map(|tm| tm.name.clone()).unwrap_or_else(|| t.name.0.to_string());
        let topic_allowed =
            (topic.is_none() && version >= 13) || broker.security.authorize_topic(&ctx, Op::Write, &name);
        let mut partitions = Vec::with_capacity(t.partition_data.len());
        for p in t.partition_data {
            let pending = if !matches!(acks, -1..=1) {
                error(errors::INVALID_REQUIRED_ACKS, None)
            } else if !txn_allowed {
                error(errors::TRANSACTIONAL_ID_AUTHORIZATION_FAILED, None)
            } else if !topic_allowed {
                error(errors::TOPIC_AUTHORIZATION_FAILED, None)
            } else if req.transactional_id.is_some() {
                error(errors::INVALID_TXN_STATE, Some("transactions are not supported yet".into()))
            } else {
                match &topic {
                    None => error(unknown_code, None),
                    Some(topic) => queue_partition(broker, version, topic, p.index, p.records).await,
                }
            };
            partitions.push(PartitionPending { index: p.index, pending });
        }
        topics.push(TopicPending { name: t.name, topic_id: t.topic_id, partitions });
    }
    Started::Deferred(Box::pin(finish(ctx, acks, topics)))
}

async fn finish(ctx: RequestContext, acks: i16, topics: Vec<TopicPending>) -> Reply {
    let mut any_error = false;
    let mut responses = Vec::with_capacity(topics.len());
    for t in topics {
        let mut partition_responses = Vec::with_capacity(t.partitions.len());
        for p in t.partitions {
            let (code, message, base_offset, log_start_offset, log_append_time_ms) = match p.pending {
                Pending::Error { code, message } => (code, message, -1, -1, -1),
                Pending::Queued { ticket, log_append_time_ms } => match ticket.wait().await {
                    Ok(BatchOutcome::Appended { base_offset, log_start_offset })
                    | Ok(BatchOutcome::Duplicate { base_offset, log_start_offset }) => {
                        (errors::NONE, None, base_offset, log_start_offset, log_append_time_ms)
                    }
                    Ok(BatchOutcome::Rejected(r)) => {
                        let code = match r {
                            AppendRejection::UnknownTopicOrPartition => errors::UNKNOWN_TOPIC_OR_PARTITION,
                            AppendRejection::OutOfOrderSequence => errors::OUT_OF_ORDER_SEQUENCE_NUMBER,
                            AppendRejection::InvalidProducerEpoch => errors::INVALID_PRODUCER_EPOCH,
                        };
                        (code, None, -1, -1, -1)
                    }
                    Err(e) => (errors::for_log_error(&e), Some(e.to_string()), -1, -1, -1),
                },
            };
            any_error |= code != errors::NONE;
            partition_responses.push(
                PartitionProduceResponse::default()
                    .with_index(p.index)
                    .with_error_code(code)
                    .with_base_offset(base_offset)
                    .with_log_append_time_ms(log_append_time_ms)
                    .with_log_start_offset(log_start_offset)
                    .with_error_message(message.as_deref().map(s)),
            );
        }
        responses.push(
            TopicProduceResponse::default()
                .with_name(t.name)
                .with_topic_id(t.topic_id)
                .with_partition_responses(partition_responses),
        );
    }
    if acks == 0 {
        return if any_error { Reply::Close } else { Reply::None };
    }
    encode_response(&ctx, &ProduceResponse::default().with_responses(responses))
}
