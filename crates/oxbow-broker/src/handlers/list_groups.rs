//! ListGroups (key 16), with the v4 state filter and v5 type filter.

use std::sync::Arc;

use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{GroupId, ListGroupsRequest, ListGroupsResponse};

use super::s;
use crate::dispatch::RequestContext;
use crate::security::Op;
use crate::Broker;

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: ListGroupsRequest) -> ListGroupsResponse {
    let groups = match broker.groups.list_groups().await {
        Ok(g) => g,
        Err(e) => return ListGroupsResponse::default().with_error_code(e.code()),
    };
    let wanted_state = |state: &str| {
        req.states_filter.is_empty() || req.states_filter.iter().any(|f| f.as_str().eq_ignore_ascii_case(state))
    };
    // DESCRIBE on the cluster lists every group; otherwise those the principal may describe (as Kafka).
    let all = broker.security.authorize_cluster(ctx, Op::Describe);
    let visible = |g: &str| all || broker.security.authorize_group(ctx, Op::Describe, g);
    let wanted_type =
        |ty: &str| req.types_filter.is_empty() || req.types_filter.iter().any(|t| t.as_str().eq_ignore_ascii_case(ty));
    ListGroupsResponse::default().with_groups(
        groups
            .into_iter()
            .filter(|g| wanted_type(g.group_type) && wanted_state(g.state) && visible(&g.group_id))
            .map(|g| {
                ListedGroup::default()
                    .with_group_id(GroupId(s(&g.group_id)))
                    .with_protocol_type(s(&g.protocol_type))
                    .with_group_state(s(g.state))
                    .with_group_type(s(g.group_type))
            })
            .collect(),
    )
}
