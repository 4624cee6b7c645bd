//! ConsumerGroupHeartbeat (key 68, KIP-848): joining, heartbeating,
//! reconciling and leaving a consumer group in one API. The state machine
//! lives in `oxbow_groups::consumer`.

use std::sync::Arc;

use kafka_protocol::messages::consumer_group_heartbeat_response::{Assignment, TopicPartitions};
use kafka_protocol::messages::{ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse};
use oxbow_groups::assignor;
use oxbow_groups::consumer::ConsumerHeartbeat;

use super::s;
use crate::dispatch::RequestContext;
use crate::security::Op;
use crate::{errors, Broker};

pub async fn handle(
    broker: &Arc<Broker>,
    ctx: &RequestContext,
    req: ConsumerGroupHeartbeatRequest,
) -> ConsumerGroupHeartbeatResponse {
    // As Kafka: READ on the group, then DESCRIBE on every subscribed topic.
    if !broker.security.authorize_group(ctx, Op::Read, req.group_id.0.as_str()) {
        return ConsumerGroupHeartbeatResponse::default()
            .with_error_code(errors::GROUP_AUTHORIZATION_FAILED)
            .with_member_epoch(-1)
            .with_heartbeat_interval_ms(0);
    }
    if let Some(names) = &req.subscribed_topic_names {
        let denied: Vec<&str> = names
            .iter()
            .map(|n| n.0.as_str())
            .filter(|n| !broker.security.authorize_topic(ctx, Op::Describe, n))
            .collect();
        if !denied.is_empty() {
            return ConsumerGroupHeartbeatResponse::default()
                .with_error_code(errors::TOPIC_AUTHORIZATION_FAILED)
                .with_error_message(Some(s(&format!("Topic authorization failed for topics {denied:?}"))))
                .with_member_epoch(-1)
                .with_heartbeat_interval_ms(0);
        }
    }
    let owned = req.topic_partitions.map(|tps| {
        let mut a = assignor::Assignment::new();
        for tp in tps {
            a.entry(tp.topic_id).or_default().extend(tp.partitions);
        }
        a
    });
    let hb = ConsumerHeartbeat {
        group_id: req.group_id.0.to_string(),
        member_id: req.member_id.to_string(),
        member_epoch: req.member_epoch,
        instance_id: req.instance_id.map(|i| i.to_string()),
        rack_id: req.rack_id.map(|r| r.to_string()),
        rebalance_timeout_ms: req.rebalance_timeout_ms,
        subscribed_topic_names: req.subscribed_topic_names.map(|ns| ns.into_iter().map(|n| n.0.to_string()).collect()),
        subscribed_topic_regex: req.subscribed_topic_regex.map(|r| r.to_string()),
        server_assignor: req.server_assignor.map(|a| a.to_string()),
        owned,
        client_id: ctx.client_id.clone().unwrap_or_default(),
        client_host: format!("/{}", ctx.peer.ip()),
    };
    let resp = broker.groups.consumer_heartbeat(hb).await;
    let assignment = resp.assignment.map(|a| {
        Assignment::default().with_topic_partitions(
            a.into_iter()
                .map(|(id, ps)| TopicPartitions::default().with_topic_id(id).with_partitions(ps.into_iter().collect()))
                .collect(),
        )
    });
    ConsumerGroupHeartbeatResponse::default()
        .with_error_code(resp.error_code)
        .with_error_message(resp.error_message.as_deref().map(s))
        .with_member_id((!resp.member_id.is_empty()).then(|| s(&resp.member_id)))
        .with_member_epoch(resp.member_epoch)
        .with_heartbeat_interval_ms(resp.heartbeat_interval_ms)
        .with_assignment(assignment)
}
