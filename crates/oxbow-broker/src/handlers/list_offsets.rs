//! ListOffsets (key 2): earliest (-2), latest (-1), max timestamp (-3, v7+),
//! earliest local (-4, v8+; the same as earliest, there is no tiering),
//! latest tiered (-5, v9+; none, so -1), and by timestamp (first record at
//! or after it).

use std::sync::Arc;

use kafka_protocol::messages::list_offsets_response::{ListOffsetsPartitionResponse, ListOffsetsTopicResponse};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};
use oxbow_log::PartitionKey;

use crate::dispatch::RequestContext;
use crate::security::Op;
use crate::{errors, Broker};

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;
const LATEST_TIERED: i64 = -5;

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: ListOffsetsRequest) -> ListOffsetsResponse {
    let version = ctx.api_version;
    let mut topics = Vec::with_capacity(req.topics.len());
    for t in req.topics {
        let topic_allowed = broker.security.authorize_topic(ctx, Op::Describe, &t.name.0);
        let topic = broker.topic(&t.name.0).await.ok().flatten();
        let mut partitions = Vec::with_capacity(t.partitions.len());
        for p in t.partitions {
            let mut r = ListOffsetsPartitionResponse::default()
                .with_partition_index(p.partition_index)
                .with_timestamp(-1)
                .with_offset(-1)
                .with_leader_epoch(0);
            if !topic_allowed {
                partitions.push(r.with_error_code(errors::TOPIC_AUTHORIZATION_FAILED).with_leader_epoch(-1));
                continue;
            }
            let Some(topic) =
                topic.as_ref().filter(|tm| p.partition_index >= 0 && p.partition_index < tm.partition_count)
            else {
                partitions.push(r.with_error_code(errors::UNKNOWN_TOPIC_OR_PARTITION).with_leader_epoch(-1));
                continue;
            };
            if p.current_leader_epoch > 0 {
                partitions.push(r.with_error_code(errors::UNKNOWN_LEADER_EPOCH));
                continue;
            }
            let key = PartitionKey { topic_id: topic.id, partition: p.partition_index };
            let result = async {
                let offsets = broker.meta.partition_offsets(key).await?.unwrap_or_default();
                Ok::<_, oxbow_log::LogError>(match p.timestamp {
                    LATEST => Some((-1, offsets.high_watermark)),
                    EARLIEST => Some((-1, offsets.log_start_offset)),
                    EARLIEST_LOCAL if version >= 8 => Some((-1, offsets.log_start_offset)),
                    LATEST_TIERED if version >= 9 => Some((-1, -1)),
                    MAX_TIMESTAMP if version >= 7 => {
                        Some(broker.engine.max_timestamp_offset(key).await?.map(|(o, ts)| (ts, o)).unwrap_or((-1, -1)))
                    }
                    ts if ts >= 0 => Some(
                        broker.engine.offset_for_timestamp(key, ts).await?.map(|(o, ts)| (ts, o)).unwrap_or((-1, -1)),
                    ),
                    _ => None,
                })
            }
            .await;
            r = match result {
                Ok(Some((timestamp, offset))) => {
                    r.with_error_code(errors::NONE).with_timestamp(timestamp).with_offset(offset)
                }
                Ok(None) => r.with_error_code(errors::INVALID_REQUEST),
                Err(e) => {
                    tracing::warn!(error = %e, "list offsets failed");
                    r.with_error_code(errors::for_log_error(&e))
                }
            };
            partitions.push(r);
        }
        topics.push(ListOffsetsTopicResponse::default().with_name(t.name).with_partitions(partitions));
    }
    ListOffsetsResponse::default().with_topics(topics)
}
