//! DeleteRecords (key 21): moves a partition's log start offset forward, as
//! Kafka's `Partition.deleteRecordsOnLeader` does. Offset -1 means the high
//! watermark; any other negative offset, or one past the high watermark, is
//! OFFSET_OUT_OF_RANGE. Errors carry low watermark -1.

use std::sync::Arc;

use kafka_protocol::messages::delete_records_request::DeleteRecordsPartition;
use kafka_protocol::messages::delete_records_response::{DeleteRecordsPartitionResult, DeleteRecordsTopicResult};
use kafka_protocol::messages::{DeleteRecordsRequest, DeleteRecordsResponse};
use oxbow_meta_store::{PartitionKey, TopicMeta};

use crate::dispatch::RequestContext;
use crate::errors::{self, ApiError};
use crate::security::Op;
use crate::Broker;

/// Kafka's `DeleteRecordsRequest.HIGH_WATERMARK`.
const HIGH_WATERMARK: i64 = -1;
/// Kafka's `DeleteRecordsResponse.INVALID_LOW_WATERMARK`.
const INVALID_LOW_WATERMARK: i64 = -1;

fn partition_result(index: i32, outcome: Result<i64, i16>) -> DeleteRecordsPartitionResult {
    let (low_watermark, code) = match outcome {
        Ok(low) => (low, errors::NONE),
        Err(code) => (INVALID_LOW_WATERMARK, code),
    };
    DeleteRecordsPartitionResult::default()
        .with_partition_index(index)
        .with_low_watermark(low_watermark)
        .with_error_code(code)
}

/// The new low watermark (log start offset), or the error code.
async fn delete_one(broker: &Broker, topic: &TopicMeta, p: &DeleteRecordsPartition) -> Result<i64, i16> {
    if p.partition_index < 0 || p.partition_index >= topic.partition_count {
        return Err(errors::UNKNOWN_TOPIC_OR_PARTITION);
    }
    let key = PartitionKey { topic_id: topic.id, partition: p.partition_index };
    let meta_code = |e: oxbow_meta_store::MetaError| ApiError::from_meta(&e).code;
    let offset = if p.offset == HIGH_WATERMARK {
        match broker.meta.partition_offsets(key).await.map_err(meta_code)? {
            Some(offsets) => offsets.high_watermark,
            None => return Err(errors::UNKNOWN_TOPIC_OR_PARTITION),
        }
    } else {
        p.offset
    };
    if offset < 0 {
        return Err(errors::OFFSET_OUT_OF_RANGE);
    }
    let offsets = broker.meta.advance_log_start(key, offset, oxbow_log::now_ms()).await.map_err(meta_code)?;
    tracing::info!(topic = %topic.name, partition = p.partition_index, log_start_offset = offsets.log_start_offset, "deleted records");
    Ok(offsets.log_start_offset)
}

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: DeleteRecordsRequest) -> DeleteRecordsResponse {
    let mut topics = Vec::with_capacity(req.topics.len());
    for topic in &req.topics {
        let meta = broker.topic(topic.name.as_str()).await;
        let allowed = broker.security.authorize_topic(ctx, Op::Delete, topic.name.as_str());
        let mut partitions = Vec::with_capacity(topic.partitions.len());
        for p in &topic.partitions {
            let outcome = match &meta {
                _ if !allowed => Err(errors::TOPIC_AUTHORIZATION_FAILED),
                Ok(Some(meta)) => delete_one(broker, meta, p).await,
                Ok(None) => Err(errors::UNKNOWN_TOPIC_OR_PARTITION),
                Err(e) => Err(ApiError::from_meta(e).code),
            };
            partitions.push(partition_result(p.partition_index, outcome));
        }
        topics.push(DeleteRecordsTopicResult::default().with_name(topic.name.clone()).with_partitions(partitions));
    }
    DeleteRecordsResponse::default().with_topics(topics)
}
