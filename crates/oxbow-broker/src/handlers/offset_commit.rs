//! OffsetCommit (key 8). Offsets of one request are stored in one store
//! transaction; partitions of unknown topics and oversized metadata are
//! refused individually, as Kafka does.

use std::sync::Arc;

use kafka_protocol::messages::offset_commit_response::{OffsetCommitResponsePartition, OffsetCommitResponseTopic};
use kafka_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse};
use oxbow_groups::OFFSET_METADATA_BYTES_MAX;
use oxbow_meta_store::{CommittedOffset, PartitionKey};

use crate::dispatch::RequestContext;
use crate::security::Op;
use crate::{errors, Broker};

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: OffsetCommitRequest) -> OffsetCommitResponse {
    let group_id = req.group_id.0.as_str();
    let now = oxbow_log::now_ms();
    // READ on the group first (every partition gets GROUP_AUTHORIZATION_FAILED), then READ per topic.
    let group_allowed = broker.security.authorize_group(ctx, Op::Read, group_id);
    let refused = if group_allowed {
        broker.groups.authorize_commit(group_id, req.generation_id_or_member_epoch, req.member_id.as_str()).await.err()
    } else {
        None
    };
    // Per partition: Some(code) decided now, None = to be committed.
    let mut decided: Vec<Vec<Option<i16>>> = Vec::with_capacity(req.topics.len());
    let mut to_commit = Vec::new();
    for t in &req.topics {
        let topic_allowed = broker.security.authorize_topic(ctx, Op::Read, &t.name.0);
        let topic = broker.topic(&t.name.0).await.ok().flatten();
        let mut codes = Vec::with_capacity(t.partitions.len());
        for p in &t.partitions {
            let code = if !group_allowed {
                Some(errors::GROUP_AUTHORIZATION_FAILED)
            } else if !topic_allowed {
                Some(errors::TOPIC_AUTHORIZATION_FAILED)
            } else if let Some(e) = &refused {
                Some(e.code())
            } else if !topic.as_ref().is_some_and(|tm| p.partition_index >= 0 && p.partition_index < tm.partition_count)
            {
                Some(errors::UNKNOWN_TOPIC_OR_PARTITION)
            } else if p.committed_metadata.as_ref().is_some_and(|m| m.len() > OFFSET_METADATA_BYTES_MAX) {
                Some(errors::OFFSET_METADATA_TOO_LARGE)
            } else {
                let topic_id = topic.as_ref().map(|tm| tm.id).unwrap_or_default();
                to_commit.push(CommittedOffset {
                    partition: PartitionKey { topic_id, partition: p.partition_index },
                    offset: p.committed_offset,
                    leader_epoch: p.committed_leader_epoch,
                    metadata: p.committed_metadata.as_ref().map(|m| m.to_string()),
                    commit_timestamp_ms: now,
                });
                None
            };
            codes.push(code);
        }
        decided.push(codes);
    }
    let commit_code = match broker.groups.commit_offsets(group_id, to_commit).await {
        Ok(()) => errors::NONE,
        Err(e) => {
            tracing::warn!(group = group_id, error = %e, "offset commit failed");
            e.code()
        }
    };
    let topics = req
        .topics
        .iter()
        .zip(decided)
        .map(|(t, codes)| {
            let partitions = t
                .partitions
                .iter()
                .zip(codes)
                .map(|(p, code)| {
                    OffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(code.unwrap_or(commit_code))
                })
                .collect();
            OffsetCommitResponseTopic::default().with_name(t.name.clone()).with_partitions(partitions)
        })
        .collect();
    OffsetCommitResponse::default().with_topics(topics)
}
