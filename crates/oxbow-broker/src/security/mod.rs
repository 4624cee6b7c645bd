//! Broker security: listeners per security protocol (PLAINTEXT, SSL,
//! SASL_PLAINTEXT, SASL_SSL), TLS and mTLS ([`tls`]), SASL PLAIN and
//! SCRAM-SHA-256/512 ([`scram`], [`sasl`]) against salted credentials in the
//! metadata store, and Kafka ACL authorization ([`acl`]) with `super.users`
//! and `allow.everyone.if.no.acl.found`.
//!
//! [`Security`] is one shared value on the [`crate::Broker`]; ACLs are cached
//! in memory and reloaded from the metadata store every
//! `oxbow.acl.refresh.ms` (and at once after local changes), so brokers
//! sharing a store converge. Credentials are read from the store at each
//! authentication.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use oxbow_meta_store::{AclBinding, MetaError, MetaStore};

pub mod acl;
pub mod sasl;
pub mod scram;
pub mod tls;

pub use acl::Op;

use crate::dispatch::RequestContext;

/// The principal of connections that have not authenticated (PLAINTEXT, SSL without a client certificate).
pub const ANONYMOUS: &str = "User:ANONYMOUS";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

impl Protocol {
    pub fn parse(s: &str) -> Option<Protocol> {
        Some(match s.to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Protocol::Plaintext,
            "SSL" => Protocol::Ssl,
            "SASL_PLAINTEXT" => Protocol::SaslPlaintext,
            "SASL_SSL" => Protocol::SaslSsl,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Plaintext => "PLAINTEXT",
            Protocol::Ssl => "SSL",
            Protocol::SaslPlaintext => "SASL_PLAINTEXT",
            Protocol::SaslSsl => "SASL_SSL",
        }
    }
    pub fn is_tls(self) -> bool {
        matches!(self, Protocol::Ssl | Protocol::SaslSsl)
    }
    pub fn is_sasl(self) -> bool {
        matches!(self, Protocol::SaslPlaintext | Protocol::SaslSsl)
    }
}

/// One listener: where it binds and what clients are told (Metadata answers
/// the endpoint of the listener the request came in on, as Kafka does).
#[derive(Debug, Clone)]
pub struct Listener {
    pub name: String,
    pub protocol: Protocol,
    pub bind: SocketAddr,
    pub advertised_host: String,
    pub advertised_port: i32,
}

/// The MSK-style preset: 9092 plaintext, 9094 TLS, 9096 SASL/SCRAM over TLS.
pub const MSK_PRESET_PORTS: [(&str, u16); 3] = [("PLAINTEXT", 9092), ("SSL", 9094), ("SASL_SSL", 9096)];

#[derive(Debug, Clone)]
pub struct SecurityConfig {
    /// `listeners`: NAME://HOST:PORT entries; empty means one PLAINTEXT listener on `--listen`.
    pub listeners: Vec<(String, String, u16)>,
    /// `advertised.listeners`, by listener name.
    pub advertised_listeners: BTreeMap<String, (String, u16)>,
    /// `listener.security.protocol.map`: listener name → protocol.
    pub protocol_map: BTreeMap<String, Protocol>,
    /// `sasl.enabled.mechanisms`.
    pub sasl_enabled_mechanisms: Vec<String>,
    /// `connections.max.reauth.ms` (KIP-368); 0 means sessions never expire.
    pub connections_max_reauth_ms: u64,
    /// `super.users`: principals allowed everything (`User:a;User:b`).
    pub super_users: Vec<String>,
    pub allow_everyone_if_no_acl_found: bool,
    pub ssl_keystore_location: Option<PathBuf>,
    pub ssl_truststore_location: Option<PathBuf>,
    pub ssl_client_auth: tls::ClientAuth,
    pub ssl_principal_mapping_rules: String,
    /// How often the ACL cache is reloaded from the metadata store.
    pub acl_refresh_ms: u64,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            listeners: Vec::new(),
            advertised_listeners: BTreeMap::new(),
            protocol_map: default_protocol_map(),
            sasl_enabled_mechanisms: vec!["PLAIN".into(), scram::SCRAM_SHA_256.into(), scram::SCRAM_SHA_512.into()],
            connections_max_reauth_ms: 0,
            super_users: Vec::new(),
            allow_everyone_if_no_acl_found: true,
            ssl_keystore_location: None,
            ssl_truststore_location: None,
            ssl_client_auth: tls::ClientAuth::None,
            ssl_principal_mapping_rules: "DEFAULT".into(),
            acl_refresh_ms: 1000,
        }
    }
}

fn default_protocol_map() -> BTreeMap<String, Protocol> {
    ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
        .iter()
        .filter_map(|n| Protocol::parse(n).map(|p| (n.to_string(), p)))
        .collect()
}

fn parse_endpoint(entry: &str, config: &str) -> Result<(String, String, u16), String> {
    let (name, addr) =
        entry.trim().split_once("://").ok_or_else(|| format!("{config}: {entry:?} is not NAME://HOST:PORT"))?;
    let (host, port) = addr.rsplit_once(':').ok_or_else(|| format!("{config}: {entry:?} lacks a port"))?;
    let port: u16 = port.parse().map_err(|_| format!("{config}: bad port in {entry:?}"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok((name.to_ascii_uppercase(), host.to_string(), port))
}

impl SecurityConfig {
    /// Whether `name` is a security config handled here.
    pub fn knows(name: &str) -> bool {
        matches!(
            name,
            "listeners"
                | "advertised.listeners"
                | "listener.security.protocol.map"
                | "sasl.enabled.mechanisms"
                | "connections.max.reauth.ms"
                | "super.users"
                | "allow.everyone.if.no.acl.found"
                | "ssl.keystore.location"
                | "ssl.keystore.type"
                | "ssl.truststore.location"
                | "ssl.truststore.type"
                | "ssl.client.auth"
                | "ssl.principal.mapping.rules"
                | "oxbow.acl.refresh.ms"
                | "oxbow.listeners.preset"
        )
    }

    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "listeners" => {
                self.listeners = value
                    .split(',')
                    .filter(|e| !e.trim().is_empty())
                    .map(|e| parse_endpoint(e, name))
                    .collect::<Result<_, _>>()?
            }
            "advertised.listeners" => {
                self.advertised_listeners = value
                    .split(',')
                    .filter(|e| !e.trim().is_empty())
                    .map(|e| parse_endpoint(e, name).map(|(n, h, p)| (n, (h, p))))
                    .collect::<Result<_, _>>()?
            }
            "listener.security.protocol.map" => {
                let mut map = BTreeMap::new();
                for entry in value.split(',').filter(|e| !e.trim().is_empty()) {
                    let (n, p) =
                        entry.split_once(':').ok_or_else(|| format!("{name}: {entry:?} is not NAME:PROTOCOL"))?;
                    let p = Protocol::parse(p.trim()).ok_or_else(|| format!("{name}: unknown protocol {p:?}"))?;
                    map.insert(n.trim().to_ascii_uppercase(), p);
                }
                self.protocol_map = map;
            }
            "sasl.enabled.mechanisms" => {
                let mechs: Vec<String> =
                    value.split(',').map(|m| m.trim().to_string()).filter(|m| !m.is_empty()).collect();
                for m in &mechs {
                    if m != "PLAIN" && scram::Hash::for_mechanism(m).is_none() {
                        // OAUTHBEARER and AWS_MSK_IAM plug in at sasl::Mechanism; not built yet.
                        return Err(format!(
                            "{name}: mechanism {m} is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)"
                        ));
                    }
                }
                self.sasl_enabled_mechanisms = mechs;
            }
            "connections.max.reauth.ms" => {
                self.connections_max_reauth_ms =
                    value.parse().map_err(|_| format!("invalid value {value:?} for {name}"))?
            }
            "super.users" => {
                self.super_users = value.split(';').map(|u| u.trim().to_string()).filter(|u| !u.is_empty()).collect()
            }
            "allow.everyone.if.no.acl.found" => {
                self.allow_everyone_if_no_acl_found = match value.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(format!("invalid value {value:?} for {name} (true or false)")),
                }
            }
            "ssl.keystore.location" => self.ssl_keystore_location = Some(PathBuf::from(value)),
            "ssl.truststore.location" => self.ssl_truststore_location = Some(PathBuf::from(value)),
            "ssl.keystore.type" | "ssl.truststore.type" => {
                if !value.eq_ignore_ascii_case("PEM") {
                    return Err(format!("{name}: only PEM is supported"));
                }
            }
            "ssl.client.auth" => {
                self.ssl_client_auth = match value.to_ascii_lowercase().as_str() {
                    "none" => tls::ClientAuth::None,
                    "requested" => tls::ClientAuth::Requested,
                    "required" => tls::ClientAuth::Required,
                    _ => return Err(format!("invalid value {value:?} for {name} (none, requested, required)")),
                }
            }
            "ssl.principal.mapping.rules" => {
                tls::parse_mapping_rules(value)?;
                self.ssl_principal_mapping_rules = value.to_string();
            }
            "oxbow.acl.refresh.ms" => {
                self.acl_refresh_ms = value
                    .parse()
                    .ok()
                    .filter(|v| *v >= 10)
                    .ok_or_else(|| format!("invalid value {value:?} for {name} (>= 10)"))?
            }
            "oxbow.listeners.preset" => match value {
                "msk" => {
                    self.listeners = MSK_PRESET_PORTS.iter().map(|(n, p)| (n.to_string(), String::new(), *p)).collect();
                    self.sasl_enabled_mechanisms = vec![scram::SCRAM_SHA_512.into()];
                }
                _ => return Err(format!("{name}: unknown preset {value:?} (msk)")),
            },
            _ => return Err(format!("unknown broker config {name}")),
        }
        Ok(())
    }

    /// The listeners to bind: `listeners` (an empty host takes `default_bind`'s
    /// host), or one PLAINTEXT listener on `default_bind`.
    pub fn resolve_listeners(&self, default_bind: SocketAddr) -> Result<Vec<(String, Protocol, SocketAddr)>, String> {
        if self.listeners.is_empty() {
            return Ok(vec![("PLAINTEXT".into(), Protocol::Plaintext, default_bind)]);
        }
        let mut out = Vec::new();
        for (name, host, port) in &self.listeners {
            let protocol = *self
                .protocol_map
                .get(name)
                .ok_or_else(|| format!("listener {name} has no entry in listener.security.protocol.map"))?;
            let ip = if host.is_empty() {
                default_bind.ip()
            } else {
                use std::net::ToSocketAddrs;
                (host.as_str(), *port)
                    .to_socket_addrs()
                    .ok()
                    .and_then(|mut a| a.next())
                    .map(|a| a.ip())
                    .ok_or_else(|| format!("listener {name}: cannot resolve {host:?}"))?
            };
            if out.iter().any(|(n, _, _): &(String, Protocol, SocketAddr)| n == name) {
                return Err(format!("listener {name} is listed twice"));
            }
            if protocol.is_tls() && self.ssl_keystore_location.is_none() {
                return Err(format!("listener {name} ({}) needs ssl.keystore.location", protocol.name()));
            }
            out.push((name.clone(), protocol, SocketAddr::new(ip, *port)));
        }
        Ok(out)
    }

    /// The TLS settings for a listener of this protocol. `ssl.client.auth`
    /// applies to SSL listeners; SASL_SSL authenticates with SASL (Kafka
    /// ignores the unprefixed setting there too).
    pub fn tls_settings(&self, protocol: Protocol) -> Option<tls::TlsSettings> {
        let keystore = self.ssl_keystore_location.clone()?;
        Some(tls::TlsSettings {
            keystore,
            truststore: self.ssl_truststore_location.clone(),
            client_auth: if protocol == Protocol::Ssl { self.ssl_client_auth } else { tls::ClientAuth::None },
        })
    }
}

/// Shared security state of a broker.
pub struct Security {
    pub config: SecurityConfig,
    pub mapping_rules: Vec<tls::MappingRule>,
    meta: Arc<dyn MetaStore>,
    acls: RwLock<Arc<Vec<AclBinding>>>,
}

impl Security {
    pub fn new(config: SecurityConfig, meta: Arc<dyn MetaStore>) -> Security {
        // `SecurityConfig::set` validated the rules; should they still fail,
        // no rule matches and certificate authentication fails closed.
        let mapping_rules = tls::parse_mapping_rules(&config.ssl_principal_mapping_rules).unwrap_or_default();
        Security { config, mapping_rules, meta, acls: RwLock::new(Arc::new(Vec::new())) }
    }

    pub fn meta(&self) -> &Arc<dyn MetaStore> {
        &self.meta
    }

    /// Re-reads the ACLs from the metadata store.
    pub async fn reload_acls(&self) -> Result<(), MetaError> {
        let acls = self.meta.acls().await?;
        *self.acls.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(acls);
        Ok(())
    }

    /// Reloads the ACL cache every `oxbow.acl.refresh.ms` until the broker is dropped.
    pub fn spawn_refresh(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let every = std::time::Duration::from_millis(self.config.acl_refresh_ms);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(security) = weak.upgrade() else { return };
                if let Err(e) = security.reload_acls().await {
                    tracing::warn!(error = %e, "reloading ACLs failed; keeping the cached ones");
                }
            }
        });
    }

    pub fn acls(&self) -> Arc<Vec<AclBinding>> {
        self.acls.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn is_super_user(&self, principal: &str) -> bool {
        self.config.super_users.iter().any(|u| u == principal)
    }

    /// Kafka's `authorize` for one operation on one resource.
    pub fn authorize(&self, ctx: &RequestContext, op: Op, resource_type: i8, name: &str) -> bool {
        let principal = ctx.principal.as_ref();
        if self.is_super_user(principal) {
            return true;
        }
        let acls = self.acls();
        // The common case without any ACL: no per-request allocation.
        if acls.is_empty() {
            return self.config.allow_everyone_if_no_acl_found;
        }
        let host = ctx.peer.ip().to_string();
        let ok = acl::authorize(
            &acls,
            principal,
            &host,
            op,
            resource_type,
            name,
            self.config.allow_everyone_if_no_acl_found,
        );
        if !ok {
            tracing::debug!(principal, %host, ?op, resource_type, resource = name, "authorization denied");
        }
        ok
    }

    pub fn authorize_topic(&self, ctx: &RequestContext, op: Op, topic: &str) -> bool {
        self.authorize(ctx, op, acl::resource::TOPIC, topic)
    }

    pub fn authorize_group(&self, ctx: &RequestContext, op: Op, group: &str) -> bool {
        self.authorize(ctx, op, acl::resource::GROUP, group)
    }

    pub fn authorize_cluster(&self, ctx: &RequestContext, op: Op) -> bool {
        self.authorize(ctx, op, acl::resource::CLUSTER, acl::CLUSTER_NAME)
    }

    /// Whether the principal may do `op` on some resource of the type.
    pub fn authorize_any(&self, ctx: &RequestContext, op: Op, resource_type: i8) -> bool {
        let principal = ctx.principal.as_ref();
        self.is_super_user(principal)
            || acl::authorize_any(
                &self.acls(),
                principal,
                &ctx.peer.ip().to_string(),
                op,
                resource_type,
                self.config.allow_everyone_if_no_acl_found,
            )
    }

    /// Kafka's authorized-operations bit set for a resource.
    pub fn authorized_operations(&self, ctx: &RequestContext, resource_type: i8, name: &str, ops: &[Op]) -> i32 {
        ops.iter()
            .filter(|op| self.authorize(ctx, **op, resource_type, name))
            .fold(0, |acc, op| acc | (1 << (*op as i8)))
    }
}

impl Security {
    /// The error for a config resource (Describe/Alter/IncrementalAlterConfigs)
    /// the principal may not touch: topics need `op` on the topic, brokers
    /// and broker loggers `op` on the cluster. Other types are left to the handler.
    pub fn config_resource_error(&self, ctx: &RequestContext, resource_type: i8, name: &str, op: Op) -> Option<i16> {
        const TOPIC: i8 = 2;
        const BROKER: i8 = 4;
        const BROKER_LOGGER: i8 = 8;
        match resource_type {
            TOPIC if !self.authorize_topic(ctx, op, name) => Some(crate::errors::TOPIC_AUTHORIZATION_FAILED),
            BROKER | BROKER_LOGGER if !self.authorize_cluster(ctx, op) => {
                Some(crate::errors::CLUSTER_AUTHORIZATION_FAILED)
            }
            _ => None,
        }
    }
}
