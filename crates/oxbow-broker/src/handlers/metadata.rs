//! Metadata (key 3): brokers, cluster id, controller, and topics with their
//! partitions; auto-creates requested topics when both the request (v4+)
//! and `auto.create.topics.enable` allow it.

use std::sync::Arc;

use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse, TopicName};
use oxbow_meta_store::{MetaError, NewTopic, TopicMeta};

use super::{s, AUTHORIZED_OPERATIONS_OMITTED};
use crate::dispatch::RequestContext;
use crate::security::{acl, Op};
use crate::{errors, topic_config, Broker};

fn describe_topic(broker: &Broker, ctx: &RequestContext, topic: &TopicMeta, with_ops: bool) -> MetadataResponseTopic {
    let partitions = (0..topic.partition_count)
        .map(|p| {
            // No copies live on brokers: the leader is the one replica reported.
            let leader = broker.leader_for(topic, p);
            let node = leader;
            MetadataResponsePartition::default()
                .with_error_code(errors::NONE)
                .with_partition_index(p)
                .with_leader_id(BrokerId(leader))
                .with_leader_epoch(0)
                .with_replica_nodes(vec![BrokerId(node)])
                .with_isr_nodes(vec![BrokerId(node)])
        })
        .collect();
    MetadataResponseTopic::default()
        .with_error_code(errors::NONE)
        .with_name(Some(TopicName(s(&topic.name))))
        .with_topic_id(topic.id)
        .with_is_internal(false)
        .with_partitions(partitions)
        .with_topic_authorized_operations(if with_ops {
            broker.security.authorized_operations(ctx, acl::resource::TOPIC, &topic.name, acl::TOPIC_OPS)
        } else {
            AUTHORIZED_OPERATIONS_OMITTED
        })
}

fn topic_error(name: Option<&str>, id: uuid::Uuid, code: i16) -> MetadataResponseTopic {
    MetadataResponseTopic::default()
        .with_error_code(code)
        .with_name(name.map(|n| TopicName(s(n))))
        .with_topic_id(id)
        .with_topic_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED)
}

/// Creates a topic with the broker's defaults, as auto-creation does.
async fn auto_create(broker: &Broker, name: &str) -> Result<Arc<TopicMeta>, MetaError> {
    let new = NewTopic {
        name: name.to_string(),
        id: uuid::Uuid::new_v4(),
        partition_count: broker.config.num_partitions,
        replication_factor: broker.config.default_replication_factor,
        configs: Default::default(),
        created_ms: oxbow_log::now_ms(),
    };
    match broker.meta.create_topic(new).await {
        Ok(t) => {
            tracing::info!(topic = name, partitions = t.partition_count, "auto-created topic");
            Ok(broker.remember_topic(t))
        }
        // Another request created it first: use that one.
        Err(MetaError::TopicExists(_)) => broker.topic(name).await?.ok_or(MetaError::UnknownTopic(name.into())),
        Err(e) => Err(e),
    }
}

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: MetadataRequest) -> MetadataResponse {
    let version = ctx.api_version;
    let with_topic_ops = version >= 8 && req.include_topic_authorized_operations;
    // v0: an empty list means all topics; v1+: null means all, empty means none.
    let requested = match req.topics {
        None => None,
        Some(t) if t.is_empty() && version == 0 => None,
        Some(t) => Some(t),
    };
    let mut topics = Vec::new();
    match requested {
        None => match broker.all_topics().await {
            // All topics: those the principal may not describe are left out, as Kafka does.
            Ok(all) => topics.extend(
                all.iter()
                    .filter(|t| broker.security.authorize_topic(ctx, Op::Describe, &t.name))
                    .map(|t| describe_topic(broker, ctx, t, with_topic_ops)),
            ),
            Err(e) => tracing::warn!(error = %e, "metadata: listing topics failed"),
        },
        Some(wanted) => {
            let allow_auto_create =
                (version < 4 || req.allow_auto_topic_creation) && broker.config.auto_create_topics_enable;
            for t in wanted {
                let name = t.name.as_ref().map(|n| n.0.to_string());
                if let Some(n) = &name {
                    if !broker.security.authorize_topic(ctx, Op::Describe, n) {
                        topics.push(topic_error(Some(n), uuid::Uuid::nil(), errors::TOPIC_AUTHORIZATION_FAILED));
                        continue;
                    }
                }
                let lookup = match &name {
                    Some(n) => broker.topic(n).await,
                    None => broker.topic_by_id(t.topic_id).await,
                };
                let topic = match (lookup, &name) {
                    (Ok(Some(topic)), None) if !broker.security.authorize_topic(ctx, Op::Describe, &topic.name) => {
                        // By id: an undescribable topic is indistinguishable from an unknown one.
                        topics.push(topic_error(None, t.topic_id, errors::TOPIC_AUTHORIZATION_FAILED));
                        continue;
                    }
                    (Ok(Some(topic)), _) => Ok(topic),
                    (Ok(None), None) => {
                        topics.push(topic_error(None, t.topic_id, errors::UNKNOWN_TOPIC_ID));
                        continue;
                    }
                    (Ok(None), Some(n)) => {
                        if topic_config::validate_topic_name(n).is_err() {
                            topics.push(topic_error(Some(n), uuid::Uuid::nil(), errors::INVALID_TOPIC_EXCEPTION));
                            continue;
                        }
                        if !allow_auto_create {
                            topics.push(topic_error(Some(n), uuid::Uuid::nil(), errors::UNKNOWN_TOPIC_OR_PARTITION));
                            continue;
                        }
                        if !broker.security.authorize_cluster(ctx, Op::Create)
                            && !broker.security.authorize_topic(ctx, Op::Create, n)
                        {
                            topics.push(topic_error(Some(n), uuid::Uuid::nil(), errors::TOPIC_AUTHORIZATION_FAILED));
                            continue;
                        }
                        auto_create(broker, n).await
                    }
                    (Err(e), _) => Err(e),
                };
                match topic {
                    Ok(topic) => topics.push(describe_topic(broker, ctx, &topic, with_topic_ops)),
                    Err(e) => {
                        tracing::warn!(error = %e, "metadata: topic lookup failed");
                        // Retriable: clients refresh metadata again.
                        topics.push(topic_error(name.as_deref(), t.topic_id, errors::LEADER_NOT_AVAILABLE));
                    }
                }
            }
        }
    }
    // Every broker with a live lease (this one always), each at its address on
    // the listener the client came in on (see `Broker::endpoint_on`).
    let brokers = broker
        .live_brokers()
        .into_iter()
        .filter_map(|b| {
            let (host, port) = broker.endpoint_on(&ctx.listener, &b)?;
            Some(
                MetadataResponseBroker::default()
                    .with_node_id(BrokerId(b.node_id))
                    .with_host(s(&host))
                    .with_port(port)
                    .with_rack(b.rack.as_deref().map(s)),
            )
        })
        .collect();
    MetadataResponse::default()
        .with_brokers(brokers)
        .with_cluster_id(Some(s(&broker.cluster_id)))
        .with_controller_id(BrokerId(broker.config.node_id))
        .with_topics(topics)
        .with_cluster_authorized_operations(
            if (8..=10).contains(&version) && req.include_cluster_authorized_operations {
                broker.security.authorized_operations(ctx, acl::resource::CLUSTER, acl::CLUSTER_NAME, acl::CLUSTER_OPS)
            } else {
                AUTHORIZED_OPERATIONS_OMITTED
            },
        )
}
