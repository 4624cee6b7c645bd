//! DescribeProducers (key 61): the idempotent producers a partition
//! remembers, as Kafka's `KafkaApis.handleDescribeProducersRequest` and
//! `UnifiedLog.activeProducers` report them. Oxbow has no transactions, so
//! the coordinator epoch and transaction start offset are always -1.

use std::sync::Arc;

use kafka_protocol::messages::describe_producers_response::{PartitionResponse, ProducerState, TopicResponse};
use kafka_protocol::messages::{DescribeProducersRequest, DescribeProducersResponse, ProducerId};
use oxbow_meta_store::{PartitionKey, ProducerEntry, TopicMeta};

use super::s;
use crate::dispatch::RequestContext;
use crate::errors::{self, ApiError};
use crate::security::Op;
use crate::{topic_config, Broker};

/// Kafka's default message for UNKNOWN_TOPIC_OR_PARTITION, which it sends for an unknown topic here.
const UNKNOWN_TOPIC_MESSAGE: &str = "This server does not host this topic-partition.";

fn producer_state(entry: &ProducerEntry) -> ProducerState {
    ProducerState::default()
        .with_producer_id(ProducerId(entry.producer_id))
        .with_producer_epoch(i32::from(entry.producer_epoch))
        .with_last_sequence(entry.last_sequence())
        .with_last_timestamp(entry.last_timestamp_ms)
        .with_coordinator_epoch(-1)
        .with_current_txn_start_offset(-1)
}

fn partition_error(index: i32, error: &ApiError) -> PartitionResponse {
    PartitionResponse::default()
        .with_partition_index(index)
        .with_error_code(error.code)
        .with_error_message(error.message.as_deref().map(s))
}

async fn describe_partition(broker: &Broker, topic: &TopicMeta, index: i32) -> PartitionResponse {
    if index < 0 || index >= topic.partition_count {
        return partition_error(index, &ApiError::bare(errors::UNKNOWN_TOPIC_OR_PARTITION));
    }
    let key = PartitionKey { topic_id: topic.id, partition: index };
    match broker.meta.producer_entries(key).await {
        Ok(entries) => PartitionResponse::default()
            .with_partition_index(index)
            .with_error_code(errors::NONE)
            .with_active_producers(entries.iter().map(producer_state).collect()),
        Err(e) => partition_error(index, &ApiError::bare(ApiError::from_meta(&e).code)),
    }
}

pub async fn handle(
    broker: &Arc<Broker>,
    ctx: &RequestContext,
    req: DescribeProducersRequest,
) -> DescribeProducersResponse {
    let mut topics = Vec::with_capacity(req.topics.len());
    for t in &req.topics {
        let name = t.name.as_str();
        let topic = match topic_config::validate_topic_name(name) {
            // READ on the topic, as Kafka.
            _ if !broker.security.authorize_topic(ctx, Op::Read, name) => {
                Err(ApiError::bare(errors::TOPIC_AUTHORIZATION_FAILED))
            }
            Err(m) => Err(ApiError::new(errors::INVALID_TOPIC_EXCEPTION, m)),
            Ok(()) => match broker.topic(name).await {
                Ok(Some(topic)) => Ok(topic),
                Ok(None) => Err(ApiError::new(errors::UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_MESSAGE)),
                Err(e) => Err(ApiError::from_meta(&e)),
            },
        };
        let mut partitions = Vec::with_capacity(t.partition_indexes.len());
        for &index in &t.partition_indexes {
            partitions.push(match &topic {
                Ok(topic) => describe_partition(broker, topic, index).await,
                Err(error) => partition_error(index, error),
            });
        }
        topics.push(TopicResponse::default().with_name(t.name.clone()).with_partitions(partitions));
    }
    DescribeProducersResponse::default().with_topics(topics)
}
