//! DeleteGroups (key 42): only Empty groups; their offsets go with them.

use std::sync::Arc;

use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse};

use crate::dispatch::RequestContext;
use crate::security::Op;
use crate::{errors, Broker};

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: DeleteGroupsRequest) -> DeleteGroupsResponse {
    let mut results = Vec::with_capacity(req.groups_names.len());
    for id in req.groups_names {
        if !broker.security.authorize_group(ctx, Op::Delete, id.0.as_str()) {
            results.push(
                DeletableGroupResult::default().with_group_id(id).with_error_code(errors::GROUP_AUTHORIZATION_FAILED),
            );
            continue;
        }
        let code = match broker.groups.delete_group(id.0.as_str()).await {
            Ok(()) => errors::NONE,
            Err(e) => e.code(),
        };
        results.push(DeletableGroupResult::default().with_group_id(id).with_error_code(code));
    }
    DeleteGroupsResponse::default().with_results(results)
}
