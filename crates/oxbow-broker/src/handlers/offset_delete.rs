//! OffsetDelete (key 47): removes a group's committed offsets for some
//! partitions. GROUP_ID_NOT_FOUND for a group that does not exist.

use std::sync::Arc;

use kafka_protocol::messages::offset_delete_response::{OffsetDeleteResponsePartition, OffsetDeleteResponseTopic};
use kafka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse};
use oxbow_meta_store::PartitionKey;

use crate::dispatch::RequestContext;
use crate::security::Op;
use crate::{errors, Broker};

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: OffsetDeleteRequest) -> OffsetDeleteResponse {
    let group_id = req.group_id.0.as_str();
    if !broker.security.authorize_group(ctx, Op::Delete, group_id) {
        return OffsetDeleteResponse::default().with_error_code(errors::GROUP_AUTHORIZATION_FAILED);
    }
    let mut keys = Vec::new();
    let mut topics = Vec::with_capacity(req.topics.len());
    for t in &req.topics {
        let topic_allowed = broker.security.authorize_topic(ctx, Op::Read, &t.name.0);
        let topic = broker.topic(&t.name.0).await.ok().flatten();
        let partitions = t
            .partitions
            .iter()
            .map(|p| {
                let code = match &topic {
                    _ if !topic_allowed => errors::TOPIC_AUTHORIZATION_FAILED,
                    Some(tm) if p.partition_index >= 0 && p.partition_index < tm.partition_count => {
                        keys.push(PartitionKey { topic_id: tm.id, partition: p.partition_index });
                        errors::NONE
                    }
                    _ => errors::UNKNOWN_TOPIC_OR_PARTITION,
                };
                OffsetDeleteResponsePartition::default().with_partition_index(p.partition_index).with_error_code(code)
            })
            .collect();
        topics.push(OffsetDeleteResponseTopic::default().with_name(t.name.clone()).with_partitions(partitions));
    }
    match broker.groups.delete_offsets(group_id, keys).await {
        Ok(()) => OffsetDeleteResponse::default().with_topics(topics),
        Err(e) => OffsetDeleteResponse::default().with_error_code(e.code()),
    }
}
