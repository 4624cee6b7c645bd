//! Oxbow's control plane: the Amazon MSK REST API (`msk`), the subset of
//! AWS Secrets Manager the SCRAM journey needs (`secrets`), SigV4 request
//! verification (`sigv4`), IAM-style policies (`policy`), an audit log, and
//! the provisioner that runs each cluster's brokers (`provision`). State
//! lives in its own SQLite file (`store`), `<data-dir>/control.sqlite`.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{json, Value};
use tokio::net::TcpListener;

pub mod client;
pub mod crypto;
pub mod model;
pub mod msk;
pub mod policy;
pub mod provision;
pub mod secrets;
pub mod sigv4;
pub mod store;
pub mod topics;
pub mod util;

use oxbow_broker::security::Protocol;
use store::{AuditRow, Principal, Store};

/// Largest request body accepted (MSK's biggest inputs, configurations, are far smaller).
pub const BODY_MAX_BYTES: usize = 1024 * 1024;
/// An oversized body up to this size is read and discarded so the client sees the 400
/// rather than a reset while it is still sending; beyond it the connection just closes.
pub const DRAIN_MAX_BYTES: usize = 16 * 1024 * 1024;
/// Concurrent API connections; more wait in the kernel's accept queue.
pub const CONNECTIONS_MAX: usize = 1024;
/// How often brokers are probed; one that stops answering is restarted.
pub const HEALTH_INTERVAL_MS: u64 = 2000;

pub struct ControlConfig {
    pub data_dir: PathBuf,
    pub region: String,
}

/// Credentials created on first start for the default account.
pub struct DefaultIdentity {
    pub account_id: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// Where SCRAM credentials go when a secret is associated with a cluster: the
/// cluster's SCRAM credential store (salted SCRAM-SHA-512), which its SASL listeners use.
#[async_trait::async_trait]
pub trait ScramCredentialSink: Send + Sync {
    async fn upsert(&self, cluster_id: &str, username: &str, password: &str) -> anyhow::Result<()>;
    async fn remove(&self, cluster_id: &str, username: &str) -> anyhow::Result<()>;
}

pub struct ControlPlane {
    pub store: Store,
    pub region: String,
    pub data_dir: PathBuf,
    pub inprocess: Arc<provision::InProcess>,
    pub provisioner: Arc<dyn provision::Provisioner>,
    replay: sigv4::ReplayCache,
    secret_key: crypto::Key,
    /// Serialises read-modify-write of resource documents (clusters, configurations).
    pub(crate) mutate: tokio::sync::Mutex<()>,
    pub scram_sink: std::sync::RwLock<Option<Arc<dyn ScramCredentialSink>>>,
    /// Whether `oxbow up` was given a certificate (`ssl.keystore.location`), which TLS listeners need.
    pub tls_available: std::sync::atomic::AtomicBool,
}

/// An answer: status, extra headers, JSON body (None for an empty body).
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Value>,
}

impl Answer {
    pub fn ok(body: Value) -> Answer {
        Answer { status: 200, headers: Vec::new(), body: Some(body) }
    }
}

/// Who is calling, once the signature checked out.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
}

impl ControlPlane {
    pub fn open(config: ControlConfig) -> anyhow::Result<(Arc<ControlPlane>, Option<DefaultIdentity>)> {
        std::fs::create_dir_all(&config.data_dir)?;
        let store = Store::open(&config.data_dir.join("control.sqlite"))?;
        let secret_key = crypto::Key::load_or_create(&config.data_dir.join("control.key"))?;
        let mut created = None;
        if store.accounts()?.is_empty() {
            let account_id = util::random_string(12, b"0123456789");
            store.add_account(&account_id, "default")?;
            let p = new_principal(&account_id, "admin", admin_policy());
            created = Some(DefaultIdentity {
                account_id,
                access_key_id: p.access_key_id.clone(),
                secret_access_key: p.secret_access_key.clone(),
            });
            store.add_principal(&p)?;
        }
        let inprocess = Arc::new(provision::InProcess::default());
        let plane = ControlPlane {
            store,
            region: config.region,
            data_dir: config.data_dir,
            provisioner: inprocess.clone(),
            inprocess,
            replay: sigv4::ReplayCache::default(),
            secret_key,
            mutate: tokio::sync::Mutex::new(()),
            scram_sink: std::sync::RwLock::new(None),
            tls_available: std::sync::atomic::AtomicBool::new(false),
        };
        *plane.scram_sink.write().unwrap_or_else(|p| p.into_inner()) = Some(plane.inprocess.clone());
        Ok((Arc::new(plane), created))
    }

    /// The default account's first principal (what `oxbow up` prints).
    pub fn default_identity(&self) -> anyhow::Result<DefaultIdentity> {
        let accounts = self.store.accounts()?;
        let account_id = accounts.first().map(|a| a.0.clone()).ok_or_else(|| anyhow::anyhow!("no account"))?;
        let p = self
            .store
            .principals()?
            .into_iter()
            .find(|p| p.account_id == account_id)
            .ok_or_else(|| anyhow::anyhow!("no principal in the default account"))?;
        Ok(DefaultIdentity { account_id, access_key_id: p.access_key_id, secret_access_key: p.secret_access_key })
    }

    pub fn key(&self) -> &crypto::Key {
        &self.secret_key
    }

    /// Serves the API until `shutdown` flips.
    pub async fn serve(self: Arc<Self>, listener: TcpListener, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let slots = Arc::new(tokio::sync::Semaphore::new(CONNECTIONS_MAX));
        loop {
            let permit = match slots.clone().acquire_owned().await {
                Ok(p) => p,
                Err(_) => return,
            };
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = shutdown.changed() => return,
            };
            let (socket, _peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "api accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let plane = self.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let plane = plane.clone();
                    async move { Ok::<_, std::convert::Infallible>(plane.handle(req).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .max_buf_size(64 * 1024)
                    .serve_connection(hyper_util::rt::TokioIo::new(socket), service);
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, "api connection ended");
                }
                drop(permit);
            });
        }
    }

    async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let answer = Self::answer(&self, req).await;
        let mut builder = Response::builder().status(answer.status);
        for (k, v) in &answer.headers {
            builder = builder.header(*k, v);
        }
        let body = match answer.body {
            Some(v) => {
                builder = builder.header("content-type", "application/json");
                Bytes::from(v.to_string())
            }
            None => Bytes::new(),
        };
        builder
            .header("x-amzn-requestid", uuid::Uuid::new_v4().to_string())
            .body(Full::new(body))
            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
    }

    async fn answer(self: &Arc<Self>, req: Request<Incoming>) -> Answer {
        let (parts, body) = req.into_parts();
        let is_secrets = parts
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("secretsmanager."));
        let error = |status: u16, code: &str, message: String| {
            if is_secrets {
                secrets::error(status, code, &message)
            } else {
                msk::error(status, code, &message, None)
            }
        };
        let too_big = || {
            error(
                400,
                if is_secrets { "InvalidRequestException" } else { "BadRequestException" },
                format!("The request body exceeds {BODY_MAX_BYTES} bytes."),
            )
        };
        let declared =
            parts.headers.get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > DRAIN_MAX_BYTES as u64) {
            // Not worth reading: answer and let the connection close.
            return too_big();
        }
        let body = match read_body(body).await {
            Ok(Some(b)) => b,
            Ok(None) => return too_big(),
            Err(_) => return error(400, "BadRequestException", "The request body could not be read.".into()),
        };
        let method = parts.method.as_str().to_string();
        let raw_path = parts.uri.path().to_string();
        let raw_query = parts.uri.query().unwrap_or("").to_string();
        let mut headers: Vec<(String, String)> = Vec::with_capacity(parts.headers.len());
        for (name, value) in &parts.headers {
            headers.push((name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()));
        }
        let signed =
            sigv4::SignedRequest { method: &method, raw_path: &raw_path, raw_query: &raw_query, headers, body: &body };
        let service = if is_secrets { "secretsmanager" } else { "kafka" };
        let mut found = None;
        let target_op = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
        let mutating = if is_secrets {
            !["Get", "Describe", "List"].iter().any(|p| target_op.trim_start_matches("secretsmanager.").starts_with(p))
        } else {
            method != "GET" && method != "HEAD"
        };
        let replay = mutating.then_some(&self.replay);
        let verified = sigv4::verify(&signed, &self.region, service, util::now_ms(), replay, |key| {
            match self.store.principal(key) {
                Ok(Some(p)) => {
                    let secret = p.secret_access_key.clone();
                    found = Some(p);
                    Some(secret)
                }
                _ => None,
            }
        });
        let caller = match (verified, found) {
            (Ok(_), Some(principal)) => Caller { principal },
            (Err(e), _) => {
                let (status, code, message) = e.aws();
                self.audit("anonymous", "", &format!("{service}:?"), &raw_path, code, status);
                return error(status, code, message);
            }
            (Ok(_), None) => return error(500, "InternalServerErrorException", "principal vanished".into()),
        };
        let target = signed.headers.iter().find(|(n, _)| n == "x-amz-target").map(|(_, v)| v.clone());
        let (answer, action, resource) = if is_secrets {
            secrets::handle(self, &caller, target.as_deref().unwrap_or(""), &body).await
        } else {
            msk::handle(self, &caller, &method, &raw_path, &raw_query, &body).await
        };
        let result = match answer.status {
            200..=299 => "Allowed".to_string(),
            _ => answer
                .headers
                .iter()
                .find(|(k, _)| *k == "x-amzn-errortype")
                .map(|(_, v)| v.clone())
                .or_else(|| {
                    answer.body.as_ref().and_then(|b| b.get("__type")).and_then(Value::as_str).map(str::to_string)
                })
                .unwrap_or_else(|| "Error".into()),
        };
        self.audit(&caller.principal.arn, &caller.principal.account_id, &action, &resource, &result, answer.status);
        answer
    }

    fn audit(&self, principal: &str, account_id: &str, action: &str, resource: &str, result: &str, status: u16) {
        let row = AuditRow {
            at_ms: util::now_ms(),
            principal: principal.to_string(),
            account_id: account_id.to_string(),
            action: action.to_string(),
            resource: resource.to_string(),
            result: result.to_string(),
            status,
        };
        if let Err(e) = self.store.audit(&row) {
            tracing::warn!(error = %e, "audit write failed");
        }
    }

    /// Evaluates the caller's identity policy together with `resource_policy` (the cluster policy).
    pub fn authorize(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        resource_account: &str,
        resource_policy: Option<&Value>,
    ) -> policy::Decision {
        policy::evaluate(
            &caller.principal.policy,
            resource_policy,
            &policy::Request {
                principal_arn: &caller.principal.arn,
                principal_account: &caller.principal.account_id,
                action,
                resource,
                resource_account,
            },
        )
    }
}

/// Reads a body of at most [`BODY_MAX_BYTES`]; `None` when it is larger (drained up to
/// [`DRAIN_MAX_BYTES`]).
async fn read_body(mut body: Incoming) -> Result<Option<Bytes>, hyper::Error> {
    let mut buf = bytes::BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        seen += data.len();
        if seen > DRAIN_MAX_BYTES {
            return Ok(None);
        }
        if seen <= BODY_MAX_BYTES {
            buf.extend_from_slice(&data);
        }
    }
    Ok((seen <= BODY_MAX_BYTES).then(|| buf.freeze()))
}

/// The policy the default account's first principal gets: everything.
pub fn admin_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
}

/// A new principal with fresh access keys (AWS formats: 20-character key id, 40-character secret).
pub fn new_principal(account_id: &str, name: &str, policy: Value) -> Principal {
    Principal {
        access_key_id: format!("AKIA{}", util::random_string(16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")),
        secret_access_key: util::random_string(40, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
        account_id: account_id.to_string(),
        name: name.to_string(),
        arn: format!("arn:aws:iam::{account_id}:user/{name}"),
        policy,
    }
}

/// Name of the cluster `oxbow up` serves on `--listen`.
pub const DEFAULT_CLUSTER_NAME: &str = "default";

impl ControlPlane {
    /// Brings the recorded clusters back: the default cluster adopts `broker`
    /// (already built on the top-level data directory, listening on
    /// `listener`), every other cluster is started by the provisioner.
    /// Returns the default cluster's ARN.
    pub async fn start(
        self: &Arc<Self>,
        listeners: Vec<provision::BoundListener>,
        broker: Arc<oxbow_broker::Broker>,
    ) -> anyhow::Result<String> {
        self.tls_available
            .store(broker.config.security.ssl_keystore_location.is_some(), std::sync::atomic::Ordering::Relaxed);
        let identity = self.default_identity()?;
        let clusters = self.store.resources("cluster", None, None)?;
        let default = clusters.iter().find(|c| c.doc["_oxbow"]["default"].as_bool() == Some(true)).cloned();
        let default = match default {
            Some(d) => d,
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                let arn = format!(
                    "arn:aws:kafka:{}:{}:cluster/{DEFAULT_CLUSTER_NAME}/{id}-1",
                    self.region, identity.account_id
                );
                let doc = json!({
                    "clusterArn": arn,
                    "clusterName": DEFAULT_CLUSTER_NAME,
                    "creationTime": util::iso8601(util::now_ms()),
                    "currentVersion": util::random_string(14, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
                    "state": "ACTIVE",
                    "brokerNodeGroupInfo": {"clientSubnets": ["oxbow-local"], "instanceType": "kafka.oxbow.local"},
                    "currentBrokerSoftwareInfo": {"kafkaVersion": msk::KAFKA_VERSIONS[1]},
                    "encryptionInfo": {"encryptionInTransit": {"clientBroker": "PLAINTEXT", "inCluster": true}},
                    "enhancedMonitoring": "DEFAULT",
                    "numberOfBrokerNodes": 1,
                    "storageMode": "LOCAL",
                    "tags": {},
                    "_oxbow": {
                        "id": id,
                        "default": true,
                        "dataDir": self.data_dir.to_string_lossy(),
                        "ports": {},
                        "serverProperties": [],
                        "scramSecrets": [],
                        "policy": null,
                        "addedToClusterTime": {},
                    },
                });
                let r = store::Resource {
                    arn,
                    kind: "cluster".into(),
                    account_id: identity.account_id.clone(),
                    name: DEFAULT_CLUSTER_NAME.into(),
                    parent: None,
                    doc,
                };
                self.store.put_resource(&r)?;
                r
            }
        };
        let default_arn = default.arn.clone();
        let mut spec = msk::spec_of(self, &default.doc);
        let wanted = spec.clone();
        spec.broker_count = 1;
        spec.server_properties = Vec::new();
        let mut endpoints = self.inprocess.adopt(spec, listeners, broker).await?;
        let mut wanted = wanted;
        // The default cluster keeps the listeners `oxbow up` was started with.
        wanted.listeners = endpoints.iter().filter_map(|e| Protocol::parse(&e.listener)).collect();
        wanted.listeners.dedup();
        if wanted.broker_count > 1 || !wanted.server_properties.is_empty() {
            endpoints = self.provisioner.apply(&wanted).await?;
        }
        self.settle(&default_arn, Ok(endpoints)).await?;
        for c in clusters.iter().filter(|c| c.arn != default_arn) {
            let spec = msk::spec_of(self, &c.doc);
            if c.doc["state"] == "DELETING" {
                self.provisioner.stop(&spec.id, true).await?;
                self.store.delete_resource(&c.arn)?;
                continue;
            }
            if c.doc["state"] == "FAILED" {
                continue;
            }
            let result = self.provisioner.apply(&spec).await;
            self.settle(&c.arn, result).await?;
        }
        // Operations that were running when the process stopped ran to their target above.
        for op in self.store.resources("operation", None, None)? {
            if matches!(op.doc["operationState"].as_str(), Some("PENDING" | "UPDATE_IN_PROGRESS")) {
                let mut op = op;
                op.doc["operationState"] = json!("UPDATE_COMPLETE");
                op.doc["endTime"] = json!(util::iso8601(util::now_ms()));
                self.store.put_resource(&op)?;
            }
        }
        Ok(default_arn)
    }

    /// Records a provisioning result on a cluster: endpoints and ACTIVE, or FAILED with the reason.
    async fn settle(&self, arn: &str, result: anyhow::Result<Vec<provision::NodeEndpoint>>) -> anyhow::Result<()> {
        let _guard = self.mutate.lock().await;
        let Some(mut c) = self.store.resource(arn)? else {
            return Ok(());
        };
        match result {
            Ok(endpoints) => {
                msk::record_endpoints(&mut c.doc, &endpoints);
                c.doc["state"] = json!("ACTIVE");
                if let Some(o) = c.doc.as_object_mut() {
                    o.remove("activeOperationArn");
                    o.remove("stateInfo");
                }
            }
            Err(e) => {
                tracing::warn!(cluster = arn, error = %e, "cluster failed to start");
                c.doc["state"] = json!("FAILED");
                c.doc["stateInfo"] = json!({"code": "OxbowProvisioningError", "message": e.to_string()});
            }
        }
        self.store.put_resource(&c)?;
        msk::push_scram_credentials(self, &c).await;
        Ok(())
    }

    /// Probes every ACTIVE cluster's brokers each [`HEALTH_INTERVAL_MS`] and
    /// restarts one that stopped answering (on its port when it is free).
    pub async fn run_health(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(HEALTH_INTERVAL_MS));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tick.tick() => {}
            }
            let Ok(clusters) = self.store.resources("cluster", None, None) else {
                continue;
            };
            for c in clusters.iter().filter(|c| c.doc["state"] == "ACTIVE") {
                let spec = msk::spec_of(&self, &c.doc);
                let dead = self.provisioner.unhealthy(&spec.id).await;
                if dead.is_empty() {
                    continue;
                }
                for id in &dead {
                    tracing::warn!(cluster = %c.arn, broker = id, "broker stopped answering; replacing it");
                    if let Err(e) = self.provisioner.reboot(&spec.id, *id).await {
                        tracing::warn!(cluster = %c.arn, broker = id, error = %e, "broker replacement failed");
                    }
                }
                let endpoints = self.provisioner.apply(&spec).await;
                if let Err(e) = self.settle(&c.arn, endpoints).await {
                    tracing::warn!(error = %e, "recording replaced brokers failed");
                }
            }
        }
    }

    /// Stops every cluster's brokers (data kept), for a clean exit.
    pub async fn shutdown(&self) {
        if let Ok(clusters) = self.store.resources("cluster", None, None) {
            for c in clusters {
                let spec = msk::spec_of(self, &c.doc);
                let _ = self.provisioner.stop(&spec.id, false).await;
            }
        }
    }

    /// The bootstrap string of a cluster's plaintext listeners, as GetBootstrapBrokers gives it.
    pub fn bootstrap_of(&self, arn: &str) -> anyhow::Result<String> {
        let c = self.store.resource(arn)?.ok_or_else(|| anyhow::anyhow!("no cluster {arn}"))?;
        let mut ports: Vec<(i32, u64)> = c.doc["_oxbow"]["ports"]
            .as_object()
            .map(|m| m.iter().filter_map(|(k, v)| Some((k.parse().ok()?, v.as_u64()?))).collect())
            .unwrap_or_default();
        ports.sort();
        Ok(ports.iter().map(|(_, p)| format!("127.0.0.1:{p}")).collect::<Vec<_>>().join(","))
    }
}
