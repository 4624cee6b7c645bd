//! SyncGroup (key 14). Followers wait for the leader's assignments, so the
//! dispatcher runs this in the deferred part of the request.

use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::{SyncGroupRequest, SyncGroupResponse};
use oxbow_groups::codes;

use super::s;
use crate::dispatch::RequestContext;
use crate::security::Op;
use crate::{errors, Broker};

/// A follower waits at most this long for the leader's SyncGroup.
const SYNC_WAIT_MS: u64 = 300_000;

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: SyncGroupRequest) -> SyncGroupResponse {
    if !broker.security.authorize_group(ctx, Op::Read, req.group_id.0.as_str()) {
        return SyncGroupResponse::default().with_error_code(errors::GROUP_AUTHORIZATION_FAILED);
    }
    let resp = broker
        .groups
        .sync(
            req.group_id.0.as_str(),
            req.generation_id,
            req.member_id.as_str(),
            req.group_instance_id.as_ref().map(|i| i.as_str()),
            req.assignments.iter().map(|a| (a.member_id.to_string(), a.assignment.clone())).collect(),
            Duration::from_millis(SYNC_WAIT_MS),
        )
        .await;
    // v5+: a client naming a protocol the group did not choose is inconsistent.
    let inconsistent = resp.error_code == codes::NONE
        && ((req.protocol_type.is_some()
            && req.protocol_type.as_ref().map(|p| p.as_str()) != resp.protocol_type.as_deref())
            || (req.protocol_name.is_some()
                && req.protocol_name.as_ref().map(|p| p.as_str()) != resp.protocol_name.as_deref()));
    if inconsistent {
        return SyncGroupResponse::default().with_error_code(codes::INCONSISTENT_GROUP_PROTOCOL);
    }
    SyncGroupResponse::default()
        .with_error_code(resp.error_code)
        .with_protocol_type(resp.protocol_type.as_deref().map(s))
        .with_protocol_name(resp.protocol_name.as_deref().map(s))
        .with_assignment(resp.assignment)
}
