//! DescribeCluster (key 60): cluster id, the live brokers and a "controller"
//! a client may talk to. Follows Kafka's `AuthHelper.computeDescribeClusterResponse`:
//! this is a broker endpoint, so a v1 request for controllers gets
//! MISMATCHED_ENDPOINT_TYPE and an unknown endpoint type
//! UNSUPPORTED_ENDPOINT_TYPE (INVALID_REQUEST at v0, which knows neither).
//! As on a KRaft broker, `controller_id` names a broker, here this one.

use std::sync::Arc;

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{BrokerId, DescribeClusterRequest, DescribeClusterResponse};

use super::{s, AUTHORIZED_OPERATIONS_OMITTED};
use crate::dispatch::RequestContext;
use crate::errors;
use crate::security::acl;
use crate::security::Op;
use crate::Broker;

/// Kafka's `EndpointType` ids.
const ENDPOINT_TYPE_BROKER: i8 = 1;
const ENDPOINT_TYPE_CONTROLLER: i8 = 2;

/// The refusal of an endpoint type other than BROKER, if any.
fn endpoint_type_error(version: i16, endpoint_type: i8) -> Option<(i16, String)> {
    let (code, message) = match endpoint_type {
        ENDPOINT_TYPE_BROKER => return None,
        ENDPOINT_TYPE_CONTROLLER => (
            errors::MISMATCHED_ENDPOINT_TYPE,
            "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER"
                .to_string(),
        ),
        other => (errors::UNSUPPORTED_ENDPOINT_TYPE, format!("Unsupported endpoint type {other}")),
    };
    Some((if version == 0 { errors::INVALID_REQUEST } else { code }, message))
}

fn this_broker(broker: &Broker, ctx: &RequestContext) -> DescribeClusterBroker {
    DescribeClusterBroker::default()
        .with_broker_id(BrokerId(broker.config.node_id))
        .with_host(s(&ctx.listener.advertised_host))
        .with_port(ctx.listener.advertised_port)
        .with_rack(broker.config.rack.as_deref().map(s))
}

pub async fn handle(
    broker: &Arc<Broker>,
    ctx: &RequestContext,
    req: DescribeClusterRequest,
) -> DescribeClusterResponse {
    if let Some((code, message)) = endpoint_type_error(ctx.api_version, req.endpoint_type) {
        return DescribeClusterResponse::default().with_error_code(code).with_error_message(Some(s(&message)));
    }
    if !broker.security.authorize_cluster(ctx, Op::Describe) {
        return DescribeClusterResponse::default().with_error_code(errors::CLUSTER_AUTHORIZATION_FAILED);
    }
    let node_id = broker.config.node_id;
    let mut brokers: Vec<DescribeClusterBroker> = match broker.meta.live_brokers(oxbow_log::now_ms()).await {
        Ok(live) => live
            .into_iter()
            .filter(|b| b.node_id != node_id)
            .map(|b| {
                DescribeClusterBroker::default()
                    .with_broker_id(BrokerId(b.node_id))
                    .with_host(s(&b.host))
                    .with_port(b.port)
                    .with_rack(b.rack.as_deref().map(s))
            })
            .collect(),
        Err(e) => {
            // This broker can still describe itself.
            tracing::warn!(error = %e, "cannot list live brokers; describing this broker only");
            Vec::new()
        }
    };
    // This broker is answering, so it is live, registered yet or not; it
    // describes itself from its own config.
    brokers.push(this_broker(broker, ctx));
    brokers.sort_by_key(|b| b.broker_id.0);
    DescribeClusterResponse::default()
        .with_error_code(errors::NONE)
        .with_error_message(None)
        .with_endpoint_type(ENDPOINT_TYPE_BROKER)
        .with_cluster_id(s(&broker.cluster_id))
        .with_controller_id(BrokerId(node_id))
        .with_brokers(brokers)
        .with_cluster_authorized_operations(if req.include_cluster_authorized_operations {
            broker.security.authorized_operations(ctx, acl::resource::CLUSTER, acl::CLUSTER_NAME, acl::CLUSTER_OPS)
        } else {
            AUTHORIZED_OPERATIONS_OMITTED
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_broker_endpoints_are_described() {
        assert_eq!(endpoint_type_error(1, ENDPOINT_TYPE_BROKER), None);
        assert_eq!(
            endpoint_type_error(1, ENDPOINT_TYPE_CONTROLLER).map(|e| e.0),
            Some(errors::MISMATCHED_ENDPOINT_TYPE)
        );
        assert_eq!(
            endpoint_type_error(1, 0),
            Some((errors::UNSUPPORTED_ENDPOINT_TYPE, "Unsupported endpoint type 0".to_string()))
        );
        assert_eq!(endpoint_type_error(0, 3).map(|e| e.0), Some(errors::INVALID_REQUEST));
    }
}
