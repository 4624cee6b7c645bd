//! ApiVersions (key 18). The response header is always v0, even for v3+
//! requests (the client cannot know which header a broker uses before it
//! has this answer).

use std::sync::Arc;

use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};
use kafka_protocol::protocol::Encodable;

use crate::dispatch::{Reply, RequestContext};
use crate::versions::SUPPORTED;
use crate::{errors, Broker};

fn advertised() -> Vec<ApiVersion> {
    SUPPORTED
        .iter()
        .map(|(key, min, max)| {
            ApiVersion::default().with_api_key(*key as i16).with_min_version(*min).with_max_version(*max)
        })
        .collect()
}

pub async fn handle(_broker: &Arc<Broker>, _ctx: &RequestContext, _req: ApiVersionsRequest) -> ApiVersionsResponse {
    ApiVersionsResponse::default()
        .with_error_code(errors::NONE)
        .with_api_keys(advertised())
        .with_finalized_features_epoch(-1)
}

/// The answer to an ApiVersions request whose version we do not support:
/// error 35 in the v0 layout, listing the ApiVersions range so the client
/// can retry with a version we know (KIP-511).
pub fn unsupported_version(correlation_id: i32) -> Reply {
    let (min, max) = crate::versions::supported_range(ApiKey::ApiVersions).unwrap_or((0, 0));
    let response = ApiVersionsResponse::default().with_error_code(errors::UNSUPPORTED_VERSION).with_api_keys(vec![
        ApiVersion::default().with_api_key(ApiKey::ApiVersions as i16).with_min_version(min).with_max_version(max),
    ]);
    let mut body = bytes::BytesMut::new();
    match response.encode(&mut body, 0) {
        Ok(()) => Reply::Frame(oxbow_codec::frame::encode_response_frame(correlation_id, 0, &body)),
        Err(_) => Reply::Close,
    }
}
