//! The Kafka-wire broker. [`server`] accepts connections; [`connection`]
//! reads frames, hands each to [`dispatch`] in order and writes responses in
//! order; `handlers/` holds one module per Kafka API. Handlers see the
//! broker through [`Broker`], which owns the log engine, the metadata store
//! and a topic cache; they never touch sockets.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use oxbow_log::LogEngine;
use oxbow_meta_store::{MetaError, MetaStore, TopicMeta};
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
    pub fn leader_for(&self, _topic: &TopicMeta, _partition: i32) -> i32 {
        self.config.node_id
    }
}
