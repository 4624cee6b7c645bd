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

/// Kafka's rule for v3+ client software name and version (KIP-511):
/// `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
fn valid_software_field(v: &str) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.')
}

pub async fn handle(_broker: &Arc<Broker>, ctx: &RequestContext, req: ApiVersionsRequest) -> ApiVersionsResponse {
    let invalid = ctx.api_version >= 3
        && !(valid_software_field(req.client_software_name.as_str())
            && valid_software_field(req.client_software_version.as_str()));
    let error_code = if invalid { errors::INVALID_REQUEST } else { errors::NONE };
    ApiVersionsResponse::default()
        .with_error_code(error_code)
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

#[cfg(test)]
mod tests {
    #[test]
    fn software_fields_follow_kip_511() {
        for ok in ["librdkafka", "2.12.1", "apache-kafka-java", "4.0.0-rc1", "a"] {
            assert!(super::valid_software_field(ok), "{ok}");
        }
        for bad in ["", "-x", "x-", "4.10.0+2.12.1", "sp ace", "x."] {
            assert!(!super::valid_software_field(bad), "{bad}");
        }
    }
}
