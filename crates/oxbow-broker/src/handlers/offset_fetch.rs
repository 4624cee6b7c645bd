//! OffsetFetch (key 9): one group (v1-v7) or several (v8+). A partition with
//! no committed offset answers offset -1, empty metadata and no error,
//! including for a group that never existed, as Kafka does. `topics = null`
//! (v2+) means every partition the group committed.

use std::sync::Arc;

use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions, OffsetFetchResponseTopic,
    OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{OffsetFetchRequest, OffsetFetchResponse, TopicName};
use oxbow_meta_store::{CommittedOffset, PartitionKey};

use super::s;
use crate::dispatch::RequestContext;
use crate::security::Op;
use crate::{errors, Broker};

/// One partition's answer: (partition, offset, leader epoch, metadata, error code).
type Answer = (i32, i64, i32, String, i16);

/// Answers for one group: per topic, per partition. Err is a group-level error code.
async fn fetch_group(
    broker: &Broker,
    ctx: &RequestContext,
    group_id: &str,
    wanted: Option<Vec<(TopicName, Vec<i32>)>>,
) -> Result<Vec<(TopicName, Vec<Answer>)>, i16> {
    if !broker.security.authorize_group(ctx, Op::Describe, group_id) {
        return Err(errors::GROUP_AUTHORIZATION_FAILED);
    }
    let answer = |c: &CommittedOffset| {
        (c.partition.partition, c.offset, c.leader_epoch, c.metadata.clone().unwrap_or_default(), errors::NONE)
    };
    match wanted {
        None => {
            let committed = broker.groups.fetch_offsets(group_id, None).await.map_err(|e| e.code())?;
            let mut out: Vec<(TopicName, Vec<Answer>)> = Vec::new();
            for c in &committed {
                let Some(topic) = broker.topic_by_id(c.partition.topic_id).await.ok().flatten() else { continue };
                // "All topics" leaves out those the principal may not describe, as Kafka does.
                if !broker.security.authorize_topic(ctx, Op::Describe, &topic.name) {
                    continue;
                }
                match out.last_mut() {
                    Some((name, answers)) if name.0.as_str() == topic.name => answers.push(answer(c)),
                    _ => out.push((TopicName(s(&topic.name)), vec![answer(c)])),
                }
            }
            Ok(out)
        }
        Some(topics) => {
            let mut keys = Vec::new();
            let mut resolved = Vec::with_capacity(topics.len());
            for (name, partitions) in topics {
                if !broker.security.authorize_topic(ctx, Op::Describe, &name.0) {
                    resolved.push((name, None, partitions, errors::TOPIC_AUTHORIZATION_FAILED));
                    continue;
                }
                let topic = broker.topic(&name.0).await.ok().flatten();
                if let Some(tm) = &topic {
                    keys.extend(partitions.iter().map(|p| PartitionKey { topic_id: tm.id, partition: *p }));
                }
                resolved.push((name, topic.map(|tm| tm.id), partitions, errors::NONE));
            }
            let committed = broker.groups.fetch_offsets(group_id, Some(keys)).await.map_err(|e| e.code())?;
            Ok(resolved
                .into_iter()
                .map(|(name, topic_id, partitions, code)| {
                    let answers = partitions
                        .into_iter()
                        .map(|p| {
                            committed
                                .iter()
                                .find(|c| Some(c.partition.topic_id) == topic_id && c.partition.partition == p)
                                .map(answer)
                                .unwrap_or((p, -1, -1, String::new(), code))
                        })
                        .collect();
                    (name, answers)
                })
                .collect())
        }
    }
}

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: OffsetFetchRequest) -> OffsetFetchResponse {
    if ctx.api_version >= 8 {
        let mut groups = Vec::with_capacity(req.groups.len());
        for g in req.groups {
            let wanted = g.topics.map(|ts| ts.into_iter().map(|t| (t.name, t.partition_indexes)).collect());
            let group = OffsetFetchResponseGroup::default().with_group_id(g.group_id.clone());
            // v9: a consumer-protocol member fetching for its group must send its current epoch.
            let member = g.member_id.as_ref().map(|m| m.as_str());
            // Authorization first (fetch_group answers GROUP_AUTHORIZATION_FAILED), then the member epoch.
            let described = broker.security.authorize_group(ctx, Op::Describe, g.group_id.0.as_str());
            if let (true, Err(e)) =
                (described, broker.groups.authorize_fetch(g.group_id.0.as_str(), member, g.member_epoch))
            {
                groups.push(group.with_error_code(e.code()));
                continue;
            }
            groups.push(match fetch_group(broker, ctx, g.group_id.0.as_str(), wanted).await {
                Err(code) => group.with_error_code(code),
                Ok(topics) => group.with_topics(
                    topics
                        .into_iter()
                        .map(|(name, answers)| {
                            OffsetFetchResponseTopics::default().with_name(name).with_partitions(
                                answers
                                    .into_iter()
                                    .map(|(p, offset, epoch, metadata, code)| {
                                        OffsetFetchResponsePartitions::default()
                                            .with_partition_index(p)
                                            .with_error_code(code)
                                            .with_committed_offset(offset)
                                            .with_committed_leader_epoch(epoch)
                                            .with_metadata(Some(s(&metadata)))
                                    })
                                    .collect(),
                            )
                        })
                        .collect(),
                ),
            });
        }
        return OffsetFetchResponse::default().with_groups(groups);
    }
    // v1 has no "all topics" form: a null list only exists from v2.
    let wanted = req.topics.map(|ts| ts.into_iter().map(|t| (t.name, t.partition_indexes)).collect::<Vec<_>>());
    match fetch_group(broker, ctx, req.group_id.0.as_str(), wanted.clone()).await {
        Ok(topics) => OffsetFetchResponse::default().with_topics(
            topics
                .into_iter()
                .map(|(name, answers)| {
                    OffsetFetchResponseTopic::default().with_name(name).with_partitions(
                        answers
                            .into_iter()
                            .map(|(p, offset, epoch, metadata, code)| {
                                OffsetFetchResponsePartition::default()
                                    .with_partition_index(p)
                                    .with_error_code(code)
                                    .with_committed_offset(offset)
                                    .with_committed_leader_epoch(epoch)
                                    .with_metadata(Some(s(&metadata)))
                            })
                            .collect(),
                    )
                })
                .collect(),
        ),
        // v2+ carry a top-level error; v1 only per partition.
        Err(code) if ctx.api_version >= 2 => OffsetFetchResponse::default().with_error_code(code),
        Err(code) => OffsetFetchResponse::default().with_topics(
            wanted
                .unwrap_or_default()
                .into_iter()
                .map(|(name, partitions)| {
                    OffsetFetchResponseTopic::default().with_name(name).with_partitions(
                        partitions
                            .into_iter()
                            .map(|p| {
                                OffsetFetchResponsePartition::default()
                                    .with_partition_index(p)
                                    .with_committed_offset(-1)
                                    .with_error_code(code)
                            })
                            .collect(),
                    )
                })
                .collect(),
        ),
    }
}
