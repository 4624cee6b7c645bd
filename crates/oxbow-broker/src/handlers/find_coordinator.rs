//! FindCoordinator (key 10). A group's coordinator is one broker among the
//! live ones, chosen by a stable hash of the group id
//! ([`Broker::coordinator_for_group`]); alone, a broker answers with itself.
//! Transaction coordinators do not exist yet.

use std::sync::Arc;

use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;

use super::s;
use crate::dispatch::RequestContext;
use crate::security::{acl, Op};
use crate::{errors, Broker};

const KEY_TYPE_GROUP: i8 = 0;
const KEY_TYPE_TRANSACTION: i8 = 1;

/// (error code, message) for one key, or None when this broker coordinates it.
/// DESCRIBE on the group (or transactional id) is needed, as in Kafka.
fn refusal(broker: &Broker, ctx: &RequestContext, key_type: i8, key: &str) -> Option<(i16, &'static str)> {
    match key_type {
        KEY_TYPE_GROUP if !broker.security.authorize_group(ctx, Op::Describe, key) => {
            Some((errors::GROUP_AUTHORIZATION_FAILED, "Group authorization failed."))
        }
        KEY_TYPE_TRANSACTION if !broker.security.authorize(ctx, Op::Describe, acl::resource::TRANSACTIONAL_ID, key) => {
            Some((errors::TRANSACTIONAL_ID_AUTHORIZATION_FAILED, "Transactional Id authorization failed."))
        }
        KEY_TYPE_GROUP if key.is_empty() => Some((errors::INVALID_REQUEST, "group id must not be empty")),
        KEY_TYPE_GROUP => None,
        KEY_TYPE_TRANSACTION => Some((errors::COORDINATOR_NOT_AVAILABLE, "transactions are not supported yet")),
        _ => Some((errors::INVALID_REQUEST, "unsupported coordinator key type")),
    }
}

pub async fn handle(
    broker: &Arc<Broker>,
    ctx: &RequestContext,
    req: FindCoordinatorRequest,
) -> FindCoordinatorResponse {
    let owner = |key: &str| {
        let b = broker.coordinator_for_group(key);
        match broker.endpoint_on(&ctx.listener, &b) {
            Some((host, port)) => (BrokerId(b.node_id), s(&host), port),
            // A control-plane peer without this listener: every front-end of such a
            // cluster shares one coordinator, so this broker answers for it.
            None => (BrokerId(broker.config.node_id), s(&ctx.listener.advertised_host), ctx.listener.advertised_port),
        }
    };
    if ctx.api_version >= 4 {
        let coordinators = req
            .coordinator_keys
            .iter()
            .map(|key| {
                let c = Coordinator::default().with_key(key.clone());
                match refusal(broker, ctx, req.key_type, key.as_str()) {
                    None => {
                        let (node, host, port) = owner(key.as_str());
                        c.with_node_id(node).with_host(host).with_port(port)
                    }
                    Some((code, message)) => c
                        .with_node_id(BrokerId(-1))
                        .with_host(StrBytes::default())
                        .with_port(-1)
                        .with_error_code(code)
                        .with_error_message(Some(s(message))),
                }
            })
            .collect();
        return FindCoordinatorResponse::default().with_coordinators(coordinators);
    }
    match refusal(broker, ctx, req.key_type, req.key.as_str()) {
        None => {
            let (node, host, port) = owner(req.key.as_str());
            FindCoordinatorResponse::default().with_node_id(node).with_host(host).with_port(port)
        }
        Some((code, message)) => FindCoordinatorResponse::default()
            .with_error_code(code)
            .with_error_message(Some(s(message)))
            .with_node_id(BrokerId(-1))
            .with_port(-1),
    }
}
