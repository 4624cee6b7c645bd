//! DescribeAcls (key 29): needs DESCRIBE on the cluster; answers the
//! bindings matching the filter (Kafka's filter semantics, `acl::AclFilter`),
//! grouped by resource pattern.

use std::collections::BTreeMap;
use std::sync::Arc;

use kafka_protocol::messages::describe_acls_response::{AclDescription, DescribeAclsResource};
use kafka_protocol::messages::{DescribeAclsRequest, DescribeAclsResponse};

use super::s;
use crate::dispatch::RequestContext;
use crate::security::acl::{self, AclFilter};
use crate::security::Op;
use crate::{errors, Broker};

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: DescribeAclsRequest) -> DescribeAclsResponse {
    if !broker.security.authorize_cluster(ctx, Op::Describe) {
        return DescribeAclsResponse::default()
            .with_error_code(errors::CLUSTER_AUTHORIZATION_FAILED)
            .with_error_message(Some(s("Cluster authorization failed.")));
    }
    let filter = AclFilter {
        resource_type: req.resource_type_filter,
        resource_name: req.resource_name_filter.map(|n| n.to_string()),
        pattern_type: if ctx.api_version == 0 { acl::pattern::LITERAL } else { req.pattern_type_filter },
        principal: req.principal_filter.map(|p| p.to_string()),
        host: req.host_filter.map(|h| h.to_string()),
        operation: req.operation,
        permission_type: req.permission_type,
    };
    let mut by_resource: BTreeMap<(i8, String, i8), Vec<AclDescription>> = BTreeMap::new();
    for b in broker.security.acls().iter().filter(|b| filter.matches(b)) {
        by_resource.entry((b.resource_type, b.resource_name.clone(), b.pattern_type)).or_default().push(
            AclDescription::default()
                .with_principal(s(&b.principal))
                .with_host(s(&b.host))
                .with_operation(b.operation)
                .with_permission_type(b.permission_type),
        );
    }
    let resources = by_resource
        .into_iter()
        .map(|((rt, name, pt), acls)| {
            DescribeAclsResource::default()
                .with_resource_type(rt)
                .with_resource_name(s(&name))
                .with_pattern_type(pt)
                .with_acls(acls)
        })
        .collect();
    DescribeAclsResponse::default().with_error_code(errors::NONE).with_resources(resources)
}
