//! LeaveGroup (key 13): one member (v0-2) or a batch (v3+).

use std::sync::Arc;

use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};

use crate::dispatch::RequestContext;
use crate::security::Op;
use crate::{errors, Broker};

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: LeaveGroupRequest) -> LeaveGroupResponse {
    let group_id = req.group_id.0.as_str();
    if !broker.security.authorize_group(ctx, Op::Read, group_id) {
        return LeaveGroupResponse::default().with_error_code(errors::GROUP_AUTHORIZATION_FAILED);
    }
    if ctx.api_version < 3 {
        let code = broker.groups.leave(group_id, &[(req.member_id.to_string(), None)]);
        return LeaveGroupResponse::default().with_error_code(code.first().copied().unwrap_or(errors::NONE));
    }
    let members: Vec<(String, Option<String>)> = req
        .members
        .iter()
        .map(|m| (m.member_id.to_string(), m.group_instance_id.as_ref().map(|i| i.to_string())))
        .collect();
    let codes = broker.groups.leave(group_id, &members);
    LeaveGroupResponse::default().with_members(
        req.members
            .iter()
            .zip(codes)
            .map(|(m, code)| {
                MemberResponse::default()
                    .with_member_id(m.member_id.clone())
                    .with_group_instance_id(m.group_instance_id.clone())
                    .with_error_code(code)
            })
            .collect(),
    )
}
