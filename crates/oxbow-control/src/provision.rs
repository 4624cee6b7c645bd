//! Provisioners run a cluster's brokers. [`InProcess`] (the default) opens
//! one engine, metadata store and group coordinator per cluster under the
//! cluster's data directory and serves one Kafka front-end per broker in
//! this process, each on its own 127.0.0.1 port. Other provisioners
//! (separate processes, Kubernetes pods) implement the same trait.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use oxbow_broker::security::tls::TlsServer;
use oxbow_broker::security::{Listener, Protocol};
use oxbow_broker::{Broker, BrokerConfig};
use oxbow_log::LogEngine;
use tokio::net::TcpListener;
use tokio::sync::Mutex;

/// What a cluster should look like.
#[derive(Clone, Debug)]
pub struct ClusterSpec {
    /// Stable identity of the cluster (the UUID part of its ARN).
    pub id: String,
    pub data_dir: PathBuf,
    pub broker_count: i32,
    /// Ports used before, by [`port_key`], so bootstrap strings survive restarts when the ports are still free.
    pub ports: BTreeMap<String, u16>,
    /// The listeners every broker serves; the first is the endpoint brokers register.
    pub listeners: Vec<Protocol>,
    /// Validated `server.properties` pairs applied to every broker.
    pub server_properties: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeEndpoint {
    pub broker_id: i32,
    /// The listener's protocol name (PLAINTEXT, SSL, SASL_SSL).
    pub listener: String,
    pub addr: SocketAddr,
}

/// `1` for broker 1's PLAINTEXT listener, `1/SASL_SSL` for its others.
pub fn port_key(broker_id: i32, listener: &str) -> String {
    if listener == "PLAINTEXT" {
        broker_id.to_string()
    } else {
        format!("{broker_id}/{listener}")
    }
}

/// A bound listener, its description and (for SSL and SASL_SSL) its TLS server.
pub type BoundListener = (TcpListener, Arc<Listener>, Option<Arc<TlsServer>>);

#[async_trait::async_trait]
pub trait Provisioner: Send + Sync {
    /// Starts the cluster, or brings a running one to `spec` (broker count, configuration).
    async fn apply(&self, spec: &ClusterSpec) -> anyhow::Result<Vec<NodeEndpoint>>;
    /// Restarts one broker on the same port.
    async fn reboot(&self, cluster_id: &str, broker_id: i32) -> anyhow::Result<()>;
    /// Stops every broker; with `delete_data` the cluster's data directory goes too.
    async fn stop(&self, cluster_id: &str, delete_data: bool) -> anyhow::Result<()>;
    /// Brokers that no longer answer on their port (and are not being restarted).
    async fn unhealthy(&self, cluster_id: &str) -> Vec<i32>;
    /// The brokers of a cluster served by this process (the Topics API writes through them so
    /// their topic caches stay current); empty for provisioners that run brokers elsewhere.
    async fn local_brokers(&self, cluster_id: &str) -> Vec<Arc<Broker>>;
}

struct Node {
    /// (listener name, address), the registered one first.
    addrs: Vec<(String, SocketAddr)>,
    broker: Arc<Broker>,
    shutdown: tokio::sync::watch::Sender<bool>,
    servers: Vec<tokio::task::JoinHandle<()>>,
    background: tokio::task::JoinHandle<()>,
}

struct Running {
    engine: Arc<LogEngine>,
    groups: Arc<oxbow_groups::GroupCoordinator>,
    /// The configuration every broker of the cluster starts from (for the default cluster, the
    /// adopted broker's own, so `oxbow up --set` flags hold for the brokers added later).
    base_config: BrokerConfig,
    spec: ClusterSpec,
    nodes: BTreeMap<i32, Node>,
}

/// Brokers served by this process.
#[derive(Default)]
pub struct InProcess {
    clusters: Mutex<BTreeMap<String, Running>>,
    /// The adopted default broker's configuration: every cluster's brokers start from it, so
    /// `oxbow up --set` flags (certificates, ACL defaults, limits) hold for them too.
    template: std::sync::Mutex<Option<BrokerConfig>>,
}

/// How long a health probe waits for a TCP connect.
const PROBE_TIMEOUT: Duration = Duration::from_millis(1000);
const BIND_RETRIES: usize = 25;
/// PBKDF2 iterations of SCRAM credentials made from secrets (Kafka's minimum and MSK's value).
const SCRAM_ITERATIONS: i32 = 4096;
const BIND_RETRY_PAUSE: Duration = Duration::from_millis(20);

/// Binds the broker's previous port when it can (a stopped broker's accept loop may hold it
/// for a moment after the abort, hence the short retries), else any free port.
async fn bind(preferred: Option<u16>) -> anyhow::Result<TcpListener> {
    if let Some(port) = preferred {
        for _ in 0..BIND_RETRIES {
            if let Ok(l) = TcpListener::bind(("127.0.0.1", port)).await {
                return Ok(l);
            }
            tokio::time::sleep(BIND_RETRY_PAUSE).await;
        }
        tracing::warn!(port, "previous broker port is taken; allocating another");
    }
    Ok(TcpListener::bind(("127.0.0.1", 0)).await?)
}

fn node_config(
    base: &BrokerConfig,
    spec: &ClusterSpec,
    broker_id: i32,
    addr: SocketAddr,
) -> anyhow::Result<BrokerConfig> {
    let mut config = base.clone();
    for (k, v) in &spec.server_properties {
        config.set(k, v).map_err(|e| anyhow::anyhow!(e))?;
    }
    if spec.listeners.iter().any(|p| p.is_sasl()) {
        // MSK's SASL listeners speak SCRAM-SHA-512 only.
        config.set("sasl.enabled.mechanisms", "SCRAM-SHA-512").map_err(|e| anyhow::anyhow!(e))?;
    }
    config.node_id = broker_id;
    config.listen = addr;
    config.advertised_host = addr.ip().to_string();
    config.advertised_port = addr.port() as i32;
    Ok(config)
}

/// Binds every listener of `spec` for one broker, on its previous ports when free.
async fn bind_node(running: &Running, broker_id: i32) -> anyhow::Result<Vec<BoundListener>> {
    let mut out = Vec::new();
    for protocol in &running.spec.listeners {
        let name = protocol.name().to_string();
        let listener = bind(running.spec.ports.get(&port_key(broker_id, &name)).copied()).await?;
        let addr = listener.local_addr()?;
        let tls = if protocol.is_tls() {
            let settings = running.base_config.security.tls_settings(*protocol).ok_or_else(|| {
                anyhow::anyhow!(
                    "{name} listeners need a certificate: start oxbow up with --set ssl.keystore.location=PEM"
                )
            })?;
            Some(Arc::new(TlsServer::load(settings).map_err(|e| anyhow::anyhow!(e))?))
        } else {
            None
        };
        let info = Listener {
            name: name.clone(),
            protocol: *protocol,
            bind: addr,
            advertised_host: addr.ip().to_string(),
            advertised_port: addr.port() as i32,
        };
        out.push((listener, Arc::new(info), tls));
    }
    Ok(out)
}

async fn start_node(
    running: &Running,
    broker_id: i32,
    listeners: Vec<BoundListener>,
    adopted: Option<Arc<Broker>>,
) -> anyhow::Result<Node> {
    let addr = listeners.first().map(|l| l.1.bind).ok_or_else(|| anyhow::anyhow!("a broker needs a listener"))?;
    let broker = match adopted {
        Some(b) => b,
        None => {
            let config = node_config(&running.base_config, &running.spec, broker_id, addr)?;
            Broker::new_with_groups(config, running.engine.clone(), running.groups.clone()).await?
        }
    };
    oxbow_broker::background::register(&broker).await?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let addrs = listeners.iter().map(|(_, info, _)| (info.name.clone(), info.bind)).collect();
    let servers = listeners
        .into_iter()
        .map(|(l, info, tls)| {
            tokio::spawn(oxbow_broker::server::serve_listener(l, info, tls, broker.clone(), rx.clone()))
        })
        .collect();
    let background = tokio::spawn(oxbow_broker::background::run(broker.clone(), rx));
    Ok(Node { addrs, broker, shutdown: tx, servers, background })
}

async fn stop_node(node: Node) {
    let _ = node.shutdown.send(true);
    node.background.abort();
    // End its lease now (awaited, so a restart's registration comes after it): Metadata and
    // partition leadership stop naming a broker that is gone.
    if let Err(e) = oxbow_broker::background::deregister(&node.broker).await {
        tracing::warn!(error = %e, broker = node.broker.config.node_id, "could not end the broker lease");
    }
    // The accept loops end on the shutdown signal; open connections end with their clients.
    for server in node.servers {
        server.abort();
    }
}

fn endpoints(running: &Running) -> Vec<NodeEndpoint> {
    let mut out = Vec::new();
    for (id, n) in &running.nodes {
        for (listener, addr) in &n.addrs {
            out.push(NodeEndpoint { broker_id: *id, listener: listener.clone(), addr: *addr });
        }
    }
    out
}

/// Tells every broker of the cluster where its peers listen, listener by listener.
fn publish_peers(running: &Running) {
    let mut peers: BTreeMap<String, Vec<(i32, String, i32)>> = BTreeMap::new();
    for e in endpoints(running) {
        peers.entry(e.listener).or_default().push((e.broker_id, e.addr.ip().to_string(), e.addr.port() as i32));
    }
    for n in running.nodes.values() {
        n.broker.set_listener_peers(peers.clone());
    }
}

impl InProcess {
    /// Registers a cluster whose first broker was built by the caller (the
    /// default cluster of `oxbow up`, which binds `--listen` itself and keeps
    /// the top-level data layout).
    pub async fn adopt(
        &self,
        spec: ClusterSpec,
        listeners: Vec<BoundListener>,
        broker: Arc<Broker>,
    ) -> anyhow::Result<Vec<NodeEndpoint>> {
        let broker_id = broker.config.node_id;
        *self.template.lock().unwrap_or_else(|p| p.into_inner()) = Some(broker.config.clone());
        let mut running = Running {
            engine: broker.engine.clone(),
            groups: broker.groups.clone(),
            base_config: broker.config.clone(),
            spec,
            nodes: BTreeMap::new(),
        };
        // The adopted broker serves the listeners `oxbow up` bound for it.
        running.spec.listeners = listeners.iter().map(|(_, info, _)| info.protocol).collect();
        let node = start_node(&running, broker_id, listeners, Some(broker)).await?;
        running.nodes.insert(broker_id, node);
        let out = endpoints(&running);
        publish_peers(&running);
        self.clusters.lock().await.insert(running.spec.id.clone(), running);
        Ok(out)
    }

    /// Stops one broker's listener without telling anyone, as a crash would (tests of the
    /// health check and replacement).
    #[doc(hidden)]
    pub async fn crash_broker_for_tests(&self, cluster_id: &str, broker_id: i32) {
        if let Some(node) = self.clusters.lock().await.get(cluster_id).and_then(|r| r.nodes.get(&broker_id)) {
            for server in &node.servers {
                server.abort();
            }
            node.background.abort();
        }
    }

    async fn open(&self, spec: &ClusterSpec) -> anyhow::Result<Running> {
        std::fs::create_dir_all(&spec.data_dir)?;
        let objects = oxbow_object_store::LocalDirStore::open(spec.data_dir.join("objects"))?;
        let meta = oxbow_meta_store::SqliteMetaStore::open(&spec.data_dir.join("metadata.sqlite"))?;
        let mut base_config = self.template.lock().unwrap_or_else(|p| p.into_inner()).clone().unwrap_or_default();
        for (k, v) in &spec.server_properties {
            base_config.set(k, v).map_err(|e| anyhow::anyhow!(e))?;
        }
        base_config.log.object_key_prefix = "c".into();
        let engine = LogEngine::start(Arc::new(meta), Arc::new(objects), base_config.log.clone());
        // One coordinator serves every broker of the cluster, so one lease owner for its groups.
        let mut group_config = base_config.groups.clone();
        group_config.coordinator_owner = "cluster".into();
        let groups = oxbow_groups::GroupCoordinator::new(engine.meta().clone(), group_config);
        groups.load().await?;
        groups.start();
        Ok(Running { engine, groups, base_config, spec: spec.clone(), nodes: BTreeMap::new() })
    }
}

#[async_trait::async_trait]
impl Provisioner for InProcess {
    async fn apply(&self, spec: &ClusterSpec) -> anyhow::Result<Vec<NodeEndpoint>> {
        // Refuse a bad configuration before any running broker is stopped for it.
        let mut probe = BrokerConfig::default();
        for (k, v) in &spec.server_properties {
            probe.set(k, v).map_err(|e| anyhow::anyhow!(e))?;
        }
        let mut clusters = self.clusters.lock().await;
        if !clusters.contains_key(&spec.id) {
            let running = self.open(spec).await?;
            clusters.insert(spec.id.clone(), running);
        }
        let running = clusters.get_mut(&spec.id).expect("inserted above");
        let config_changed =
            running.spec.server_properties != spec.server_properties || running.spec.listeners != spec.listeners;
        running.spec = spec.clone();
        // Brokers beyond the count stop; a configuration change restarts the others on their ports.
        let ids: Vec<i32> = running.nodes.keys().copied().collect();
        for id in ids {
            if id > spec.broker_count || config_changed {
                if let Some(node) = running.nodes.remove(&id) {
                    for (listener, addr) in &node.addrs {
                        if id <= spec.broker_count {
                            running.spec.ports.insert(port_key(id, listener), addr.port());
                        }
                    }
                    stop_node(node).await;
                }
            }
        }
        for id in 1..=spec.broker_count {
            if running.nodes.contains_key(&id) {
                continue;
            }
            let listeners = bind_node(running, id).await?;
            let node = start_node(running, id, listeners, None).await?;
            running.nodes.insert(id, node);
        }
        publish_peers(running);
        Ok(endpoints(running))
    }

    async fn reboot(&self, cluster_id: &str, broker_id: i32) -> anyhow::Result<()> {
        let mut clusters = self.clusters.lock().await;
        let running =
            clusters.get_mut(cluster_id).ok_or_else(|| anyhow::anyhow!("cluster {cluster_id} is not running"))?;
        let node = running.nodes.remove(&broker_id).ok_or_else(|| anyhow::anyhow!("no broker {broker_id}"))?;
        for (listener, addr) in &node.addrs {
            running.spec.ports.insert(port_key(broker_id, listener), addr.port());
        }
        stop_node(node).await;
        let listeners = bind_node(running, broker_id).await?;
        let node = start_node(running, broker_id, listeners, None).await?;
        running.nodes.insert(broker_id, node);
        publish_peers(running);
        Ok(())
    }

    async fn stop(&self, cluster_id: &str, delete_data: bool) -> anyhow::Result<()> {
        let running = self.clusters.lock().await.remove(cluster_id);
        if let Some(running) = running {
            for (_, node) in running.nodes {
                stop_node(node).await;
            }
            if delete_data {
                let _ = std::fs::remove_dir_all(&running.spec.data_dir);
            }
        }
        Ok(())
    }

    async fn local_brokers(&self, cluster_id: &str) -> Vec<Arc<Broker>> {
        let clusters = self.clusters.lock().await;
        clusters.get(cluster_id).map(|r| r.nodes.values().map(|n| n.broker.clone()).collect()).unwrap_or_default()
    }

    async fn unhealthy(&self, cluster_id: &str) -> Vec<i32> {
        let probes: Vec<(i32, SocketAddr, bool)> = {
            let clusters = self.clusters.lock().await;
            let Some(running) = clusters.get(cluster_id) else {
                return Vec::new();
            };
            running
                .nodes
                .iter()
                .filter_map(|(id, n)| Some((*id, n.addrs.first()?.1, n.servers.iter().any(|s| s.is_finished()))))
                .collect()
        };
        let mut dead = Vec::new();
        for (id, addr, finished) in probes {
            let answers = !finished
                && matches!(tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(addr)).await, Ok(Ok(_)));
            if !answers {
                dead.push(id);
            }
        }
        dead
    }
}

#[async_trait::async_trait]
impl crate::ScramCredentialSink for InProcess {
    async fn upsert(&self, cluster_id: &str, username: &str, password: &str) -> anyhow::Result<()> {
        use oxbow_broker::security::scram;
        let broker = self.local_brokers(cluster_id).await.into_iter().next();
        let broker = broker.ok_or_else(|| anyhow::anyhow!("cluster {cluster_id} has no running broker"))?;
        let credential = scram::credential_from_password(scram::Hash::Sha512, username, password, SCRAM_ITERATIONS);
        broker.meta.upsert_scram_credential(credential).await?;
        Ok(())
    }

    async fn remove(&self, cluster_id: &str, username: &str) -> anyhow::Result<()> {
        let broker = self.local_brokers(cluster_id).await.into_iter().next();
        let broker = broker.ok_or_else(|| anyhow::anyhow!("cluster {cluster_id} has no running broker"))?;
        broker.meta.delete_scram_credential(username, oxbow_broker::security::scram::SCRAM_SHA_512).await?;
        Ok(())
    }
}
