//! Per-connection authentication state and the SASL exchange
//! (SaslHandshake v1 + SaslAuthenticate), including KIP-368
//! re-authentication. Mechanisms are an enum so OAUTHBEARER and AWS_MSK_IAM
//! can be added as further variants with their own exchange.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::messages::{
    ApiKey, SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
};

use super::scram::{self, Hash, ScramServer};
use super::{Listener, ANONYMOUS};
use crate::handlers::s;
use crate::Broker;

pub const ILLEGAL_SASL_STATE: i16 = 34;
pub const UNSUPPORTED_SASL_MECHANISM: i16 = 33;
pub const SASL_AUTHENTICATION_FAILED: i16 = 58;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    Scram(Hash),
    // The seam for OAUTHBEARER and AWS_MSK_IAM: a variant, its name below
    // and its exchange in `authenticate`.
}

impl Mechanism {
    pub fn parse(name: &str) -> Option<Mechanism> {
        if name == "PLAIN" {
            Some(Mechanism::Plain)
        } else {
            Hash::for_mechanism(name).map(Mechanism::Scram)
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Scram(h) => h.mechanism(),
        }
    }
}

enum Exchange {
    /// Waiting for SaslHandshake.
    Idle,
    /// Handshake done; waiting for the first SaslAuthenticate.
    Started(Mechanism),
    /// SCRAM server-first sent; waiting for client-final.
    ScramFinal(Box<ScramServer>),
}

/// What one connection knows about its peer.
pub struct Session {
    pub listener: Arc<Listener>,
    pub principal: Arc<str>,
    /// True once a SASL exchange succeeded, or from the start on listeners without SASL.
    pub authenticated: bool,
    /// KIP-368: past this instant only SASL requests are served.
    pub expires_at: Option<Instant>,
    /// The mechanism of the first successful authentication (re-authentication must use it).
    mechanism: Option<Mechanism>,
    exchange: Exchange,
    /// The connection closes once the current reply is written.
    pub close_after_reply: bool,
    /// After a v0 SaslHandshake the client sends raw SASL tokens, not Kafka requests.
    pub raw_tokens: bool,
}

impl Session {
    /// `tls_principal`: the mapped client certificate principal on SSL listeners.
    pub fn new(listener: Arc<Listener>, tls_principal: Option<String>) -> Session {
        let authenticated = !listener.protocol.is_sasl();
        let principal: Arc<str> = match tls_principal {
            Some(p) if !listener.protocol.is_sasl() => Arc::from(format!("User:{p}")),
            _ => Arc::from(ANONYMOUS),
        };
        Session {
            listener,
            principal,
            authenticated,
            expires_at: None,
            mechanism: None,
            exchange: Exchange::Idle,
            close_after_reply: false,
            raw_tokens: false,
        }
    }

    /// Whether a request of this API may be served now; if not, Kafka closes the connection.
    pub fn admits(&self, api: ApiKey) -> Result<(), &'static str> {
        let sasl_api = matches!(api, ApiKey::SaslHandshake | ApiKey::SaslAuthenticate);
        if !self.authenticated && !sasl_api && api != ApiKey::ApiVersions {
            return Err("request before SASL authentication");
        }
        if !matches!(self.exchange, Exchange::Idle) && !sasl_api && self.mechanism.is_none() {
            return Err("request during the SASL exchange");
        }
        if self.expires_at.is_some_and(|t| Instant::now() >= t) && !sasl_api {
            return Err("SASL session expired (connections.max.reauth.ms) without re-authentication");
        }
        Ok(())
    }
}

pub fn handshake(
    broker: &Broker,
    session: &mut Session,
    version: i16,
    req: SaslHandshakeRequest,
) -> SaslHandshakeResponse {
    let enabled = &broker.security.config.sasl_enabled_mechanisms;
    let mechanisms: Vec<_> = enabled.iter().map(|m| s(m)).collect();
    let resp = SaslHandshakeResponse::default().with_mechanisms(mechanisms);
    if !session.listener.protocol.is_sasl() || !matches!(session.exchange, Exchange::Idle) {
        // Kafka answers a handshake on a non-SASL listener, or twice, with ILLEGAL_SASL_STATE.
        session.close_after_reply = session.listener.protocol.is_sasl();
        return resp.with_error_code(ILLEGAL_SASL_STATE);
    }
    let name = req.mechanism.to_string();
    let mechanism = Mechanism::parse(&name).filter(|_| enabled.contains(&name));
    match mechanism {
        Some(m) if session.mechanism.is_none_or(|prev| prev == m) => {
            session.exchange = Exchange::Started(m);
            session.raw_tokens = version == 0;
            resp.with_error_code(crate::errors::NONE)
        }
        _ => {
            tracing::info!(peer = %session.listener.name, mechanism = %name.escape_debug(), "SASL handshake with an unsupported mechanism");
            session.close_after_reply = true;
            resp.with_error_code(UNSUPPORTED_SASL_MECHANISM)
        }
    }
}

fn failed(
    session: &mut Session,
    peer: std::net::SocketAddr,
    mechanism: Mechanism,
    why: &str,
) -> SaslAuthenticateResponse {
    // Logged with the client address; the client gets Kafka's generic message only.
    tracing::warn!(%peer, listener = %session.listener.name, mechanism = mechanism.name(), reason = why, "authentication failed");
    session.close_after_reply = true;
    session.exchange = Exchange::Idle;
    let message = match mechanism {
        Mechanism::Plain => "Authentication failed: Invalid username or password".to_string(),
        Mechanism::Scram(h) => format!(
            "Authentication failed during authentication due to invalid credentials with SASL mechanism {}",
            h.mechanism()
        ),
    };
    SaslAuthenticateResponse::default()
        .with_error_code(SASL_AUTHENTICATION_FAILED)
        .with_error_message(Some(s(&message)))
}

async fn credential(broker: &Broker, user: &str, mechanism: &str) -> Option<oxbow_meta_store::ScramCredential> {
    match broker.security.meta().scram_credentials().await {
        Ok(all) => all.into_iter().find(|c| c.user == user && c.mechanism == mechanism),
        Err(e) => {
            tracing::warn!(error = %e, "reading SCRAM credentials failed");
            None
        }
    }
}

fn succeed(
    broker: &Broker,
    session: &mut Session,
    user: &str,
    mechanism: Mechanism,
    version: i16,
) -> Result<i64, &'static str> {
    let principal = format!("User:{user}");
    if session.mechanism.is_some() && *session.principal != *principal {
        return Err("re-authentication with a different principal");
    }
    if session.mechanism.is_some() {
        tracing::info!(principal, "re-authenticated (KIP-368)");
    }
    session.principal = Arc::from(principal);
    session.authenticated = true;
    session.mechanism = Some(mechanism);
    session.exchange = Exchange::Idle;
    let reauth_ms = broker.security.config.connections_max_reauth_ms;
    // KIP-368: only v1+ clients learn the lifetime (and can re-authenticate).
    if reauth_ms > 0 && version >= 1 {
        session.expires_at = Some(Instant::now() + Duration::from_millis(reauth_ms));
        Ok(reauth_ms as i64)
    } else {
        Ok(0)
    }
}

pub async fn authenticate(
    broker: &Broker,
    session: &mut Session,
    peer: std::net::SocketAddr,
    version: i16,
    req: SaslAuthenticateRequest,
) -> SaslAuthenticateResponse {
    let token = req.auth_bytes;
    let exchange = std::mem::replace(&mut session.exchange, Exchange::Idle);
    let mechanism = match &exchange {
        Exchange::Idle => {
            session.close_after_reply = true;
            return SaslAuthenticateResponse::default()
                .with_error_code(ILLEGAL_SASL_STATE)
                .with_error_message(Some(s("SaslAuthenticate before SaslHandshake")));
        }
        Exchange::Started(m) => *m,
        Exchange::ScramFinal(server) => Mechanism::Scram(server_hash(server)),
    };
    if token.len() > scram::SASL_TOKEN_BYTES_MAX {
        return failed(session, peer, mechanism, "token too large");
    }
    let ok = |bytes: Vec<u8>, lifetime: i64| {
        SaslAuthenticateResponse::default()
            .with_error_code(crate::errors::NONE)
            .with_auth_bytes(Bytes::from(bytes))
            .with_session_lifetime_ms(lifetime)
    };
    match (exchange, mechanism) {
        (Exchange::Started(_), Mechanism::Plain) => {
            let (user, password) = match scram::parse_plain(&token) {
                Ok(v) => v,
                Err(why) => return failed(session, peer, mechanism, why),
            };
            // PLAIN is checked against the salted SCRAM credentials (SHA-512 first).
            let cred = match credential(broker, &user, scram::SCRAM_SHA_512).await {
                Some(c) => Some(c),
                None => credential(broker, &user, scram::SCRAM_SHA_256).await,
            };
            match cred {
                Some(c) if scram::verify_password(&c, &password) => {
                    match succeed(broker, session, &user, mechanism, version) {
                        Ok(lifetime) => ok(Vec::new(), lifetime),
                        Err(why) => failed(session, peer, mechanism, why),
                    }
                }
                Some(_) => failed(session, peer, mechanism, "wrong password"),
                None => failed(session, peer, mechanism, "unknown user"),
            }
        }
        (Exchange::Started(_), Mechanism::Scram(h)) => {
            let first = match scram::parse_client_first(&token) {
                Ok(f) => f,
                Err(why) => return failed(session, peer, mechanism, why),
            };
            let Some(cred) = credential(broker, &first.user, h.mechanism()).await else {
                return failed(session, peer, mechanism, "unknown user");
            };
            let (server, server_first) = ScramServer::start(h, first, cred);
            session.exchange = Exchange::ScramFinal(Box::new(server));
            // The session is not authenticated yet: no lifetime.
            ok(server_first, 0)
        }
        (Exchange::ScramFinal(server), Mechanism::Scram(_)) => {
            let user = server.user().to_string();
            match server.finish(&token) {
                Ok(server_final) => match succeed(broker, session, &user, mechanism, version) {
                    Ok(lifetime) => ok(server_final, lifetime),
                    Err(why) => failed(session, peer, mechanism, why),
                },
                Err(why) => failed(session, peer, mechanism, why),
            }
        }
        (_, m) => failed(session, peer, m, "unexpected SASL state"),
    }
}

fn server_hash(server: &ScramServer) -> Hash {
    server.hash()
}

/// One raw SASL token after a v0 handshake: the answer is a raw token too
/// (length prefix only); a failure closes the connection without an answer.
pub async fn raw_token(
    broker: &Broker,
    session: &mut Session,
    peer: std::net::SocketAddr,
    token: Bytes,
) -> Option<Vec<u8>> {
    let resp = authenticate(broker, session, peer, 0, SaslAuthenticateRequest::default().with_auth_bytes(token)).await;
    if resp.error_code != crate::errors::NONE {
        return None;
    }
    if !matches!(session.exchange, Exchange::ScramFinal(_)) {
        // Done: back to Kafka requests.
        session.raw_tokens = false;
    }
    let mut frame = Vec::with_capacity(4 + resp.auth_bytes.len());
    frame.extend_from_slice(&(resp.auth_bytes.len() as u32).to_be_bytes());
    frame.extend_from_slice(&resp.auth_bytes);
    Some(frame)
}
