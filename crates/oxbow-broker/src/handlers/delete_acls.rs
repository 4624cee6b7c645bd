//! DeleteAcls (key 31): needs ALTER on the cluster. Each filter answers the
//! bindings it matched; the union is deleted in one store transaction.

use std::sync::Arc;

use kafka_protocol::messages::delete_acls_response::{DeleteAclsFilterResult, DeleteAclsMatchingAcl};
use kafka_protocol::messages::{DeleteAclsRequest, DeleteAclsResponse};

use super::s;
use crate::dispatch::RequestContext;
use crate::security::acl::{self, AclFilter};
use crate::security::Op;
use crate::{errors, Broker};

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: DeleteAclsRequest) -> DeleteAclsResponse {
    if !broker.security.authorize_cluster(ctx, Op::Alter) {
        let results = req
            .filters
            .iter()
            .map(|_| DeleteAclsFilterResult::default().with_error_code(errors::CLUSTER_AUTHORIZATION_FAILED))
            .collect();
        return DeleteAclsResponse::default().with_filter_results(results);
    }
    // Read fresh from the store so a binding created on another broker is deletable at once.
    if let Err(e) = broker.security.reload_acls().await {
        tracing::warn!(error = %e, "DeleteAcls: reading ACLs failed");
    }
    let current = broker.security.acls();
    let mut doomed = Vec::new();
    let mut results = Vec::with_capacity(req.filters.len());
    for f in req.filters {
        let filter = AclFilter {
            resource_type: f.resource_type_filter,
            resource_name: f.resource_name_filter.map(|n| n.to_string()),
            pattern_type: if ctx.api_version == 0 { acl::pattern::LITERAL } else { f.pattern_type_filter },
            principal: f.principal_filter.map(|p| p.to_string()),
            host: f.host_filter.map(|h| h.to_string()),
            operation: f.operation,
            permission_type: f.permission_type,
        };
        let matched: Vec<_> = current.iter().filter(|b| filter.matches(b)).cloned().collect();
        let matching = matched
            .iter()
            .map(|b| {
                DeleteAclsMatchingAcl::default()
                    .with_error_code(errors::NONE)
                    .with_resource_type(b.resource_type)
                    .with_resource_name(s(&b.resource_name))
                    .with_pattern_type(b.pattern_type)
                    .with_principal(s(&b.principal))
                    .with_host(s(&b.host))
                    .with_operation(b.operation)
                    .with_permission_type(b.permission_type)
            })
            .collect();
        doomed.extend(matched);
        results.push(DeleteAclsFilterResult::default().with_error_code(errors::NONE).with_matching_acls(matching));
    }
    doomed.sort();
    doomed.dedup();
    if !doomed.is_empty() {
        if let Err(e) = broker.security.meta().delete_acls(doomed).await {
            tracing::warn!(error = %e, "DeleteAcls: store write failed");
            let results = results
                .iter()
                .map(|_| {
                    DeleteAclsFilterResult::default()
                        .with_error_code(errors::UNKNOWN_SERVER_ERROR)
                        .with_error_message(Some(s("metadata store unavailable")))
                })
                .collect();
            return DeleteAclsResponse::default().with_filter_results(results);
        }
        if let Err(e) = broker.security.reload_acls().await {
            tracing::warn!(error = %e, "reloading ACLs failed");
        }
    }
    DeleteAclsResponse::default().with_filter_results(results)
}
