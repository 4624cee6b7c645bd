//! The Kafka-wire broker. [`server`] accepts connections; [`connection`]
//! reads frames, hands each to [`dispatch`] in order and writes responses in
//! order; `handlers/` holds one module per Kafka API. Handlers see the
//! broker through [`Broker`], which owns the log engine, the metadata store
//! and a topic cache; they never touch sockets.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use oxbow_log::LogEngine;
use oxbow_meta_store::{BrokerRegistration, MetaError, MetaStore, TopicMeta};
use uuid::Uuid;

pub mod background;
pub mod config;
pub mod connection;
pub mod dispatch;
pub mod errors;
pub mod handlers;
pub mod security;
pub mod server;
pub mod topic_config;
pub mod versions;

pub use config::BrokerConfig;

/// Listener name → the cluster's brokers on it: (node id, host, port).
pub type ListenerPeers = BTreeMap<String, Vec<(i32, String, i32)>>;

/// Everything a handler may use.
pub struct Broker {
    pub config: BrokerConfig,
    pub engine: Arc<LogEngine>,
    pub meta: Arc<dyn MetaStore>,
    pub cluster_id: String,
    /// Consumer groups: classic membership and committed offsets.
    pub groups: Arc<oxbow_groups::GroupCoordinator>,
    /// Budget of `queued.max.request.bytes` shared by all connections.
    pub request_bytes: Arc<tokio::sync::Semaphore>,
    /// Listeners' TLS/SASL settings, the ACL cache and the authorizer
    /// (built from `config.security`; one shared value so other constructors add one line).
    pub security: Arc<security::Security>,
    /// Endpoints of the other brokers of this broker's cluster by listener name (node id, host,
    /// port), set by the control plane's provisioner; Metadata answers a request with the peers
    /// of the listener it came in on. Empty: peers come from the registrations in the store.
    pub listener_peers: RwLock<ListenerPeers>,
    topics: TopicCache,
    /// Brokers with a live lease as last read from the metadata store
    /// (refreshed with every lease renewal), sorted by node id.
    live_brokers: RwLock<Vec<BrokerRegistration>>,
}

/// Topic metadata by name and id. Admin handlers on this broker update it
/// after each store write; misses fall through to the store.
#[derive(Default)]
struct TopicCache {
    inner: RwLock<TopicCacheInner>,
}

#[derive(Default)]
struct TopicCacheInner {
    by_name: HashMap<String, Arc<TopicMeta>>,
    by_id: HashMap<Uuid, Arc<TopicMeta>>,
}

impl Broker {
    pub async fn new(config: BrokerConfig, engine: Arc<LogEngine>) -> Result<Arc<Self>, MetaError> {
        let mut group_config = config.groups.clone();
        group_config.coordinator_owner = format!("node-{}", config.node_id);
        let groups = oxbow_groups::GroupCoordinator::new(engine.meta().clone(), group_config);
        // Groups come back before the first request, so members continue where they were.
        let restored = groups.load().await?;
        if restored > 0 {
            tracing::info!(groups = restored, "restored group membership from the metadata store");
        }
        groups.start();
        Self::new_with_groups(config, engine, groups).await
    }

    /// A broker that shares its engine and group coordinator with the other
    /// front-ends of one cluster (the control plane's multi-broker clusters):
    /// group membership is in memory, so every broker of a cluster must see
    /// the same coordinator whichever one a client asks.
    pub async fn new_with_groups(
        config: BrokerConfig,
        engine: Arc<LogEngine>,
        groups: Arc<oxbow_groups::GroupCoordinator>,
    ) -> Result<Arc<Self>, MetaError> {
        let meta = engine.meta().clone();
        let cluster_id = meta.cluster_id().await?;
        let request_bytes = Arc::new(tokio::sync::Semaphore::new(config.queued_max_request_bytes));
        let security = Arc::new(security::Security::new(config.security.clone(), meta.clone()));
        security.reload_acls().await?;
        security.spawn_refresh();
        let broker = Broker {
            config,
            engine,
            meta,
            cluster_id,
            groups,
            request_bytes,
            security,
            listener_peers: RwLock::default(),
            topics: TopicCache::default(),
            live_brokers: RwLock::default(),
        };
        for topic in broker.meta.topics().await? {
            broker.remember_topic(topic);
        }
        Ok(Arc::new(broker))
    }

    /// Replaces the peers Metadata lists (see `listener_peers`).
    pub fn set_listener_peers(&self, peers: ListenerPeers) {
        *self.listener_peers.write().unwrap_or_else(|p| p.into_inner()) = peers;
    }

    pub fn remember_topic(&self, topic: TopicMeta) -> Arc<TopicMeta> {
        let topic = Arc::new(topic);
        let mut inner = self.topics.inner.write().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = inner.by_name.insert(topic.name.clone(), topic.clone()) {
            if old.id != topic.id {
                inner.by_id.remove(&old.id);
            }
        }
        inner.by_id.insert(topic.id, topic.clone());
        topic
    }

    pub fn forget_topic(&self, name: &str) {
        let mut inner = self.topics.inner.write().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = inner.by_name.remove(name) {
            inner.by_id.remove(&old.id);
        }
    }

    pub async fn topic(&self, name: &str) -> Result<Option<Arc<TopicMeta>>, MetaError> {
        if let Some(t) = self.topics.inner.read().unwrap_or_else(|p| p.into_inner()).by_name.get(name) {
            return Ok(Some(t.clone()));
        }
        Ok(self.meta.topic(name).await?.map(|t| self.remember_topic(t)))
    }

    pub async fn topic_by_id(&self, id: Uuid) -> Result<Option<Arc<TopicMeta>>, MetaError> {
        if let Some(t) = self.topics.inner.read().unwrap_or_else(|p| p.into_inner()).by_id.get(&id) {
            return Ok(Some(t.clone()));
        }
        Ok(self.meta.topic_by_id(id).await?.map(|t| self.remember_topic(t)))
    }

    /// All topics, from the store (and refreshing the cache).
    pub async fn all_topics(&self) -> Result<Vec<Arc<TopicMeta>>, MetaError> {
        Ok(self.meta.topics().await?.into_iter().map(|t| self.remember_topic(t)).collect())
    }

    /// The value in force for one config of a topic.
    pub fn topic_config(&self, topic: &TopicMeta, name: &str) -> String {
        topic_config::value_of(&topic.configs, &self.config, name)
    }

    /// The leader this broker advertises for a partition. A single broker
    /// leads everything; with several brokers this becomes a deterministic
    /// choice among live brokers (DESIGN.md "Multi-broker").
    /// The partition's advertised leader: a deterministic choice among the
    /// live brokers that every broker with the same view makes alike.
    /// Partitions of a topic go round-robin over a rack-alternating broker
    /// order (as Kafka's rack-aware assignment), starting at a position
    /// derived from the topic id, so consecutive partitions land on
    /// different racks. Any broker accepts any produce: this only spreads load.
    pub fn leader_for(&self, topic: &TopicMeta, partition: i32) -> i32 {
        let order = rack_alternating(self.live_brokers());
        let start = fnv1a(topic.id.as_bytes()) % order.len() as u64;
        let index = (start + u64::try_from(partition).unwrap_or(0)) % order.len() as u64;
        order[index as usize].node_id
    }

    /// The broker that coordinates `group_id`: one owner per group among the
    /// live brokers (by a stable hash), so that every member of a group,
    /// whichever broker it asks, meets the same coordinator.
    pub fn coordinator_for_group(&self, group_id: &str) -> BrokerRegistration {
        let live = self.live_brokers();
        let index = fnv1a(group_id.as_bytes()) % live.len() as u64;
        live[index as usize].clone()
    }

    /// Live brokers by node id; always includes this broker (even before
    /// its first registration or when the store is briefly unreachable).
    pub fn live_brokers(&self) -> Vec<BrokerRegistration> {
        let mut live = self.live_brokers.read().unwrap_or_else(|p| p.into_inner()).clone();
        live.retain(|b| b.node_id != self.config.node_id);
        live.push(self.registration(i64::MAX));
        live.sort_by_key(|b| b.node_id);
        live
    }

    pub fn set_live_brokers(&self, brokers: Vec<BrokerRegistration>) {
        *self.live_brokers.write().unwrap_or_else(|p| p.into_inner()) = brokers;
    }

    /// Where broker `b` is reached by a client that came in on `listener`: this
    /// broker on that very listener; in a control-plane cluster (peers published
    /// per listener) the peer's address on the same listener, or None when it has
    /// no such listener; otherwise (a broker of another process sharing the stores)
    /// the endpoint `b` registered, which is its first listener.
    pub fn endpoint_on(&self, listener: &security::Listener, b: &BrokerRegistration) -> Option<(String, i32)> {
        if b.node_id == self.config.node_id {
            return Some((listener.advertised_host.clone(), listener.advertised_port));
        }
        let peers = self.listener_peers.read().unwrap_or_else(|p| p.into_inner());
        if let Some((_, host, port)) =
            peers.get(&listener.name).into_iter().flatten().find(|(id, _, _)| *id == b.node_id)
        {
            return Some((host.clone(), *port));
        }
        let published_peer = peers.values().flatten().any(|(id, _, _)| *id == b.node_id);
        // A broker of another process on the same stores: only its registered endpoint is known.
        (!published_peer).then(|| (b.host.clone(), b.port))
    }

    /// This broker's registration with a lease ending at `lease_expires_ms`.
    pub fn registration(&self, lease_expires_ms: i64) -> BrokerRegistration {
        BrokerRegistration {
            node_id: self.config.node_id,
            host: self.config.advertised_host.clone(),
            port: self.config.advertised_port,
            rack: self.config.rack.clone(),
            lease_expires_ms,
        }
    }
}

/// Brokers (sorted by node id) reordered to alternate racks: the first of
/// each rack (racks in name order, no rack last), then the second of each, ...
fn rack_alternating(brokers: Vec<BrokerRegistration>) -> Vec<BrokerRegistration> {
    let mut racks: std::collections::BTreeMap<(bool, String), std::collections::VecDeque<BrokerRegistration>> =
        std::collections::BTreeMap::new();
    for b in brokers {
        racks.entry((b.rack.is_none(), b.rack.clone().unwrap_or_default())).or_default().push_back(b);
    }
    let mut out = Vec::new();
    while racks.values().any(|r| !r.is_empty()) {
        for r in racks.values_mut() {
            out.extend(r.pop_front());
        }
    }
    assert!(!out.is_empty(), "the live broker list always holds this broker");
    out
}

/// FNV-1a: a hash that is the same in every broker build (std's is not promised to be).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod placement_tests {
    use super::*;

    fn reg(node_id: i32, rack: Option<&str>) -> BrokerRegistration {
        BrokerRegistration { node_id, host: "h".into(), port: 1, rack: rack.map(String::from), lease_expires_ms: 0 }
    }

    #[test]
    fn rack_alternating_interleaves_racks_and_keeps_everyone() {
        let order = rack_alternating(vec![
            reg(1, Some("a")),
            reg(2, Some("a")),
            reg(3, Some("b")),
            reg(4, None),
            reg(5, Some("b")),
        ]);
        let ids: Vec<i32> = order.iter().map(|b| b.node_id).collect();
        assert_eq!(ids, vec![1, 3, 4, 2, 5]);
    }

    #[test]
    fn fnv1a_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
