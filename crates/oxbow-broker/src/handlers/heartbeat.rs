//! Heartbeat (key 12).

use std::sync::Arc;

use kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse};

use crate::dispatch::RequestContext;
use crate::security::Op;
use crate::{errors, Broker};

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: HeartbeatRequest) -> HeartbeatResponse {
    if !broker.security.authorize_group(ctx, Op::Read, req.group_id.0.as_str()) {
        return HeartbeatResponse::default().with_error_code(errors::GROUP_AUTHORIZATION_FAILED);
    }
    let code = broker.groups.heartbeat(
        req.group_id.0.as_str(),
        req.generation_id,
        req.member_id.as_str(),
        req.group_instance_id.as_ref().map(|i| i.as_str()),
    );
    HeartbeatResponse::default().with_error_code(code)
}
