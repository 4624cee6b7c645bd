//! ConsumerGroupDescribe (key 69, KIP-848): epochs, assignor, and each
//! member's subscription, current and target assignment. Classic and
//! missing groups answer GROUP_ID_NOT_FOUND, as Kafka does.

use std::sync::Arc;

use kafka_protocol::messages::consumer_group_describe_response::{Assignment, DescribedGroup, Member, TopicPartitions};
use kafka_protocol::messages::{ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, TopicName};
use oxbow_groups::assignor;

use super::{s, AUTHORIZED_OPERATIONS_OMITTED};
use crate::dispatch::RequestContext;
use crate::security::{acl, Op};
use crate::{errors, Broker};

/// Member type (v1): 1 = consumer protocol member.
const MEMBER_TYPE_CONSUMER: i8 = 1;

async fn wire_assignment(broker: &Broker, a: assignor::Assignment) -> Assignment {
    let mut tps = Vec::with_capacity(a.len());
    for (id, ps) in a {
        // A topic deleted since the assignment was made has no name to report.
        let name = broker.topic_by_id(id).await.ok().flatten().map(|t| t.name.clone()).unwrap_or_default();
        tps.push(
            TopicPartitions::default()
                .with_topic_id(id)
                .with_topic_name(TopicName(s(&name)))
                .with_partitions(ps.into_iter().collect()),
        );
    }
    Assignment::default().with_topic_partitions(tps)
}

pub async fn handle(
    broker: &Arc<Broker>,
    ctx: &RequestContext,
    req: ConsumerGroupDescribeRequest,
) -> ConsumerGroupDescribeResponse {
    let mut out = Vec::with_capacity(req.group_ids.len());
    for id in req.group_ids {
        // DESCRIBE on the group, as Kafka.
        if !broker.security.authorize_group(ctx, Op::Describe, id.0.as_str()) {
            out.push(
                DescribedGroup::default()
                    .with_group_id(id)
                    .with_error_code(errors::GROUP_AUTHORIZATION_FAILED)
                    .with_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED),
            );
            continue;
        }
        let ops = if req.include_authorized_operations {
            broker.security.authorized_operations(ctx, acl::resource::GROUP, id.0.as_str(), acl::GROUP_OPS)
        } else {
            AUTHORIZED_OPERATIONS_OMITTED
        };
        let described = DescribedGroup::default().with_group_id(id.clone()).with_authorized_operations(ops);
        let d = match broker.groups.describe_consumer_group(id.0.as_str()).await {
            Ok(d) => d,
            Err((code, message)) => {
                out.push(
                    described.with_error_code(code).with_error_message(Some(s(&message))).with_group_state(s("Dead")),
                );
                continue;
            }
        };
        let mut members = Vec::with_capacity(d.members.len());
        for m in d.members {
            members.push(
                Member::default()
                    .with_member_id(s(&m.member_id))
                    .with_instance_id(m.instance_id.as_deref().map(s))
                    .with_rack_id(m.rack_id.as_deref().map(s))
                    .with_member_epoch(m.member_epoch)
                    .with_client_id(s(&m.client_id))
                    .with_client_host(s(&m.client_host))
                    .with_subscribed_topic_names(m.subscribed_topic_names.iter().map(|n| TopicName(s(n))).collect())
                    .with_subscribed_topic_regex(m.subscribed_topic_regex.as_deref().map(s))
                    .with_assignment(wire_assignment(broker, m.assignment).await)
                    .with_target_assignment(wire_assignment(broker, m.target_assignment).await)
                    .with_member_type(MEMBER_TYPE_CONSUMER),
            );
        }
        out.push(
            described
                .with_group_state(s(d.state))
                .with_group_epoch(d.group_epoch)
                .with_assignment_epoch(d.assignment_epoch)
                .with_assignor_name(s(&d.assignor_name))
                .with_members(members),
        );
    }
    ConsumerGroupDescribeResponse::default().with_groups(out)
}
