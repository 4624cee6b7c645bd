//! JoinGroup (key 11). The answer waits for the join phase to end (all
//! members rejoined, or the rebalance timeout), so the dispatcher runs this
//! in the deferred part of the request.

use std::sync::Arc;

use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{JoinGroupRequest, JoinGroupResponse};
use oxbow_groups::JoinRequest;

use super::s;
use crate::dispatch::RequestContext;
use crate::security::Op;
use crate::{errors, Broker};

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: JoinGroupRequest) -> JoinGroupResponse {
    let v = ctx.api_version;
    if !broker.security.authorize_group(ctx, Op::Read, req.group_id.0.as_str()) {
        return JoinGroupResponse::default().with_error_code(errors::GROUP_AUTHORIZATION_FAILED).with_generation_id(-1);
    }
    let resp = broker
        .groups
        .join(JoinRequest {
            group_id: req.group_id.0.to_string(),
            member_id: req.member_id.to_string(),
            group_instance_id: req.group_instance_id.as_ref().map(|i| i.to_string()),
            client_id: ctx.client_id.clone().unwrap_or_default(),
            client_host: format!("/{}", ctx.peer.ip()),
            session_timeout_ms: req.session_timeout_ms,
            // v0 has no rebalance timeout: Kafka uses the session timeout.
            rebalance_timeout_ms: if v >= 1 { req.rebalance_timeout_ms } else { req.session_timeout_ms },
            protocol_type: req.protocol_type.to_string(),
            protocols: req.protocols.iter().map(|p| (p.name.to_string(), p.metadata.clone())).collect(),
            require_known_member_id: v >= 4,
        })
        .await;
    JoinGroupResponse::default()
        .with_error_code(resp.error_code)
        .with_generation_id(resp.generation_id)
        .with_protocol_type(resp.protocol_type.as_deref().map(s))
        .with_protocol_name(resp.protocol_name.as_deref().map(s))
        .with_leader(s(&resp.leader))
        .with_member_id(s(&resp.member_id))
        .with_members(
            resp.members
                .into_iter()
                .map(|(id, instance, metadata)| {
                    JoinGroupResponseMember::default()
                        .with_member_id(s(&id))
                        .with_group_instance_id(instance.as_deref().map(s))
                        .with_metadata(metadata)
                })
                .collect(),
        )
}
