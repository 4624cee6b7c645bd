//! DescribeGroups (key 15). A group that does not exist is reported as
//! Dead with no error, as Kafka does.

use std::sync::Arc;

use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse};

use super::{s, AUTHORIZED_OPERATIONS_OMITTED};
use crate::dispatch::RequestContext;
use crate::security::{acl, Op};
use crate::{errors, Broker};

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: DescribeGroupsRequest) -> DescribeGroupsResponse {
    let mut out = Vec::with_capacity(req.groups.len());
    for id in req.groups {
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
        out.push(match broker.groups.describe_group(id.0.as_str()).await {
            Err(e) => described.with_error_code(e.code()),
            Ok(None) => described.with_group_state(s("Dead")),
            Ok(Some(d)) => described
                .with_group_state(s(d.state.name()))
                .with_protocol_type(s(&d.protocol_type))
                .with_protocol_data(s(&d.protocol_name))
                .with_members(
                    d.members
                        .into_iter()
                        .map(|m| {
                            DescribedGroupMember::default()
                                .with_member_id(s(&m.member_id))
                                .with_group_instance_id(m.group_instance_id.as_deref().map(s))
                                .with_client_id(s(&m.client_id))
                                .with_client_host(s(&m.client_host))
                                .with_member_metadata(m.metadata)
                                .with_member_assignment(m.assignment)
                        })
                        .collect(),
                ),
        });
    }
    DescribeGroupsResponse::default().with_groups(out)
}
