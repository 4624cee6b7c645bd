//! CreateAcls (key 30): needs ALTER on the cluster. Each creation is
//! validated on its own (INVALID_REQUEST with the reason); valid ones are
//! written in one store transaction.

use std::sync::Arc;

use kafka_protocol::messages::create_acls_response::AclCreationResult;
use kafka_protocol::messages::{CreateAclsRequest, CreateAclsResponse};
use oxbow_meta_store::AclBinding;

use super::s;
use crate::dispatch::RequestContext;
use crate::security::{acl, Op};
use crate::{errors, Broker};

fn result(code: i16, message: Option<String>) -> AclCreationResult {
    AclCreationResult::default().with_error_code(code).with_error_message(message.as_deref().map(s))
}

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: CreateAclsRequest) -> CreateAclsResponse {
    if !broker.security.authorize_cluster(ctx, Op::Alter) {
        let results = req.creations.iter().map(|_| result(errors::CLUSTER_AUTHORIZATION_FAILED, None)).collect();
        return CreateAclsResponse::default().with_results(results);
    }
    let mut results = Vec::with_capacity(req.creations.len());
    let mut valid = Vec::new();
    for c in req.creations {
        let binding = AclBinding {
            resource_type: c.resource_type,
            resource_name: c.resource_name.to_string(),
            // v0 has no pattern type: LITERAL.
            pattern_type: if ctx.api_version == 0 { acl::pattern::LITERAL } else { c.resource_pattern_type },
            principal: c.principal.to_string(),
            host: c.host.to_string(),
            operation: c.operation,
            permission_type: c.permission_type,
        };
        match acl::validate_binding(&binding) {
            Ok(()) => {
                valid.push((results.len(), binding));
                results.push(result(errors::NONE, None));
            }
            Err(why) => results.push(result(errors::INVALID_REQUEST, Some(why))),
        }
    }
    if !valid.is_empty() {
        let bindings = valid.iter().map(|(_, b)| b.clone()).collect();
        let outcome = broker.security.meta().create_acls(bindings).await;
        if let Err(e) = outcome {
            tracing::warn!(error = %e, "CreateAcls: store write failed");
            for (i, _) in &valid {
                results[*i] = result(errors::UNKNOWN_SERVER_ERROR, Some("metadata store unavailable".into()));
            }
        } else {
            for (_, b) in &valid {
                tracing::info!(principal = %ctx.principal, acl = ?b, "created ACL");
            }
            if let Err(e) = broker.security.reload_acls().await {
                tracing::warn!(error = %e, "reloading ACLs failed");
            }
        }
    }
    CreateAclsResponse::default().with_results(results)
}
