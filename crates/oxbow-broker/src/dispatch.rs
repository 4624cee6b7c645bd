//! The thin dispatcher: header checks, then one call into the handler module
//! for the API. Unknown API keys, unadvertised versions and undecodable
//! bodies close the connection, as Apache Kafka does; ApiVersions with an
//! unsupported version is answered with UNSUPPORTED_VERSION in the v0 layout.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable};

use crate::handlers;
use crate::security::sasl::{self, Session};
use crate::security::Listener;
use crate::versions;
use crate::Broker;

/// What the connection writer does for one request.
pub enum Reply {
    Frame(Vec<u8>),
    /// acks=0 produce: Kafka sends nothing back.
    None,
    Close,
}

pub type DeferredReply = Pin<Box<dyn Future<Output = Reply> + Send + 'static>>;

/// The outcome of a request's ordered part.
pub enum Started {
    Deferred(DeferredReply),
    Close,
}

impl Started {
    pub fn ready(reply: Reply) -> Self {
        Started::Deferred(Box::pin(async move { reply }))
    }
}

/// Request context handed to handlers.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub api_key: ApiKey,
    pub api_version: i16,
    pub correlation_id: i32,
    pub client_id: Option<String>,
    pub peer: SocketAddr,
    /// The authenticated principal ("User:alice", or "User:ANONYMOUS").
    pub principal: Arc<str>,
    /// The listener the request came in on (Metadata advertises its endpoint).
    pub listener: Arc<Listener>,
}

/// Encodes a response body with its header for the request's version.
pub fn encode_response<R: Encodable>(ctx: &RequestContext, response: &R) -> Reply {
    let mut body = BytesMut::new();
    if let Err(e) = response.encode(&mut body, ctx.api_version) {
        // A handler built a response its version cannot carry: a bug, not the client's fault.
        tracing::error!(api = ?ctx.api_key, version = ctx.api_version, error = %e, "response encoding failed");
        return Reply::Close;
    }
    let header_version = ctx.api_key.response_header_version(ctx.api_version);
    Reply::Frame(oxbow_codec::frame::encode_response_frame(ctx.correlation_id, header_version, &body))
}

fn decode<T: Decodable>(ctx: &RequestContext, body: &mut Bytes) -> Option<T> {
    match T::decode(body, ctx.api_version) {
        Ok(req) => Some(req),
        Err(e) => {
            tracing::info!(peer = %ctx.peer, api = ?ctx.api_key, version = ctx.api_version, error = %e, "undecodable request; closing connection");
            None
        }
    }
}

pub async fn dispatch(broker: &Arc<Broker>, mut frame: Bytes, peer: SocketAddr, session: &mut Session) -> Started {
    if session.raw_tokens {
        return match sasl::raw_token(broker, session, peer, frame).await {
            Some(reply) => Started::ready(Reply::Frame(reply)),
            None => Started::Close,
        };
    }
    let prefix = match oxbow_codec::frame::peek_header_prefix(&frame) {
        Ok(p) => p,
        Err(_) => return Started::Close,
    };
    if prefix.api_key == ApiKey::ApiVersions as i16 && !versions::is_supported(ApiKey::ApiVersions, prefix.api_version)
    {
        return Started::ready(handlers::api_versions::unsupported_version(prefix.correlation_id));
    }
    let (api_key, header) = match oxbow_codec::frame::decode_request_header(&mut frame) {
        Ok(h) => h,
        Err(e) => {
            tracing::info!(%peer, error = %e, "bad request header; closing connection");
            return Started::Close;
        }
    };
    if !versions::is_supported(api_key, header.request_api_version) {
        tracing::info!(%peer, api = ?api_key, version = header.request_api_version, "unsupported api or version; closing connection");
        return Started::Close;
    }
    if let Err(why) = session.admits(api_key) {
        tracing::info!(%peer, api = ?api_key, reason = why, "closing connection");
        return Started::Close;
    }
    let ctx = RequestContext {
        api_key,
        api_version: header.request_api_version,
        correlation_id: header.correlation_id,
        client_id: header.client_id.as_ref().map(|s| s.to_string()),
        peer,
        principal: session.principal.clone(),
        listener: session.listener.clone(),
    };
    let body = &mut frame;
    macro_rules! simple {
        ($module:ident) => {{
            let Some(req) = decode(&ctx, body) else { return Started::Close };
            let resp = handlers::$module::handle(broker, &ctx, req).await;
            Started::ready(encode_response(&ctx, &resp))
        }};
    }
    macro_rules! deferred {
        ($module:ident) => {{
            let Some(req) = decode(&ctx, body) else { return Started::Close };
            let broker = broker.clone();
            Started::Deferred(Box::pin(async move {
                let resp = handlers::$module::handle(&broker, &ctx, req).await;
                encode_response(&ctx, &resp)
            }))
        }};
    }
    match api_key {
        ApiKey::ApiVersions => simple!(api_versions),
        ApiKey::Metadata => simple!(metadata),
        ApiKey::Produce => {
            let Some(req) = decode(&ctx, body) else { return Started::Close };
            handlers::produce::start(broker, ctx, req).await
        }
        ApiKey::Fetch => deferred!(fetch),
        ApiKey::ListOffsets => simple!(list_offsets),
        ApiKey::CreateTopics => simple!(create_topics),
        ApiKey::DeleteTopics => simple!(delete_topics),
        ApiKey::CreatePartitions => simple!(create_partitions),
        ApiKey::DeleteRecords => simple!(delete_records),
        ApiKey::DescribeConfigs => simple!(describe_configs),
        ApiKey::AlterConfigs => simple!(alter_configs),
        ApiKey::IncrementalAlterConfigs => simple!(incremental_alter_configs),
        ApiKey::DescribeCluster => simple!(describe_cluster),
        ApiKey::InitProducerId => simple!(init_producer_id),
        ApiKey::DescribeProducers => simple!(describe_producers),
        ApiKey::FindCoordinator => simple!(find_coordinator),
        ApiKey::OffsetCommit => simple!(offset_commit),
        ApiKey::OffsetFetch => simple!(offset_fetch),
        ApiKey::OffsetDelete => simple!(offset_delete),
        ApiKey::Heartbeat => simple!(heartbeat),
        ApiKey::LeaveGroup => simple!(leave_group),
        ApiKey::ListGroups => simple!(list_groups),
        ApiKey::DescribeGroups => simple!(describe_groups),
        ApiKey::DeleteGroups => simple!(delete_groups),
        ApiKey::ConsumerGroupHeartbeat => simple!(consumer_group_heartbeat),
        ApiKey::ConsumerGroupDescribe => simple!(consumer_group_describe),
        // Join and Sync wait for other members: run them in the deferred part.
        ApiKey::JoinGroup => deferred!(join_group),
        ApiKey::SyncGroup => deferred!(sync_group),
        // SASL runs in the ordered part: it changes the connection's session.
        ApiKey::SaslHandshake => {
            let Some(req) = decode(&ctx, body) else { return Started::Close };
            let resp = sasl::handshake(broker, session, ctx.api_version, req);
            Started::ready(encode_response(&ctx, &resp))
        }
        ApiKey::SaslAuthenticate => {
            let Some(req) = decode(&ctx, body) else { return Started::Close };
            let resp = sasl::authenticate(broker, session, peer, ctx.api_version, req).await;
            Started::ready(encode_response(&ctx, &resp))
        }
        ApiKey::CreateAcls => simple!(create_acls),
        ApiKey::DescribeAcls => simple!(describe_acls),
        ApiKey::DeleteAcls => simple!(delete_acls),
        ApiKey::DescribeUserScramCredentials => simple!(describe_user_scram_credentials),
        ApiKey::AlterUserScramCredentials => simple!(alter_user_scram_credentials),
        // Anything else is neither advertised nor reachable (versions::SUPPORTED gates it above).
        _ => Started::Close,
    }
}
