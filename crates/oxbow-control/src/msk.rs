//! The Amazon MSK REST API (service `kafka`, rest-json). Requests are routed
//! and validated with the botocore model (`model`); documents are stored as
//! MSK shapes (lowerCamel JSON) with Oxbow's own fields under `_oxbow`,
//! which answers never include. Every update is an operation with an ARN
//! and a state, run in the background against the provisioner.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::model::{self, Op};
use crate::policy::Decision;
use crate::provision::{ClusterSpec, NodeEndpoint};
use crate::store::Resource;
use crate::util::{iso8601, now_ms, parse_query};
use crate::{Answer, Caller, ControlPlane};
use oxbow_broker::security::Protocol;

/// The Kafka versions a cluster may be created with: the protocol versions Oxbow's ApiVersions covers.
pub const KAFKA_VERSIONS: &[&str] = &["3.6.0", "3.7.x", "3.8.x", "3.9.x"];
const PAGE_MAX: usize = 100;
const HOST: &str = "127.0.0.1";
/// Most lines in a configuration's server.properties.
const CONFIG_LINES_MAX: usize = 1000;

pub fn error(status: u16, code: &str, message: &str, invalid_parameter: Option<&str>) -> Answer {
    let mut body = json!({"message": message});
    if let Some(p) = invalid_parameter {
        body["invalidParameter"] = json!(p);
    }
    Answer { status, headers: vec![("x-amzn-errortype", code.to_string())], body: Some(body) }
}

fn bad(message: &str) -> Answer {
    error(400, "BadRequestException", message, None)
}

fn bad_param(param: &str, message: &str) -> Answer {
    error(400, "BadRequestException", message, Some(param))
}

fn not_found(message: &str) -> Answer {
    error(404, "NotFoundException", message, None)
}

fn internal(e: impl std::fmt::Display) -> Answer {
    error(500, "InternalServerErrorException", &e.to_string(), None)
}

fn forbidden(caller: &Caller, action: &str, resource: &str) -> Answer {
    error(
        403,
        "ForbiddenException",
        &format!("User: {} is not authorized to perform: {action} on resource: {resource}", caller.principal.arn),
        None,
    )
}

fn new_version() -> String {
    crate::util::random_string(14, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
}

/// What one request needs besides its body.
struct Ctx<'a> {
    plane: &'a Arc<ControlPlane>,
    caller: &'a Caller,
    action: String,
    params: Vec<(&'static str, String)>,
    query: Vec<(String, String)>,
    body: Map<String, Value>,
}

impl Ctx<'_> {
    fn param(&self, name: &str) -> &str {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }
    fn q(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
    fn account(&self) -> &str {
        &self.caller.principal.account_id
    }
    /// Account-level actions (create, list): the caller's identity policy on `*`.
    fn allow_account_action(&self) -> Result<(), Answer> {
        match self.plane.authorize(self.caller, &self.action, "*", self.account(), None) {
            Decision::Allow => Ok(()),
            _ => Err(forbidden(self.caller, &self.action, "*")),
        }
    }
}

pub async fn handle(
    plane: &Arc<ControlPlane>,
    caller: &Caller,
    method: &str,
    raw_path: &str,
    raw_query: &str,
    body: &[u8],
) -> (Answer, String, String) {
    let Some((op, params)) = model::route(method, raw_path) else {
        let answer = if model::path_known(raw_path) {
            error(405, "MethodNotAllowedException", &format!("{method} is not allowed on {raw_path}."), None)
        } else {
            not_found(&format!("No MSK operation has the path {raw_path}."))
        };
        return (answer, "kafka:?".into(), raw_path.into());
    };
    let action = format!("kafka:{}", op.name);
    let resource = params.first().map(|(_, v)| v.clone()).unwrap_or_else(|| "*".into());
    let body = match parse_body(op, body) {
        Ok(b) => b,
        Err(a) => return (a, action, resource),
    };
    let ctx = Ctx { plane, caller, action: action.clone(), params, query: parse_query(raw_query), body };
    let answer = match dispatch(op, &ctx).await {
        Ok(a) | Err(a) => a,
    };
    (answer, action, resource)
}

fn parse_body(op: &Op, body: &[u8]) -> Result<Map<String, Value>, Answer> {
    if body.iter().all(u8::is_ascii_whitespace) {
        let empty = Value::Object(Map::new());
        return match model::validate_body(op, &empty) {
            Ok(()) => Ok(Map::new()),
            Err(e) => Err(bad_param(&e.parameter, &e.message)),
        };
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad(&format!("The request body is not valid JSON: {e}.")))?;
    model::validate_body(op, &value).map_err(|e| bad_param(&e.parameter, &e.message))?;
    match value {
        Value::Object(m) => Ok(m),
        _ => Err(bad("The request body must be a JSON object.")),
    }
}

async fn dispatch(op: &Op, c: &Ctx<'_>) -> Result<Answer, Answer> {
    match op.name {
        "CreateCluster" => create_cluster(c, &c.body, c.body.get("clusterName"), c.body.get("tags"), false).await,
        "CreateClusterV2" => {
            if c.body.contains_key("serverless") {
                return Err(bad_param(
                    "serverless",
                    "Serverless clusters are not supported by Oxbow; use provisioned.",
                ));
            }
            let Some(Value::Object(p)) = c.body.get("provisioned") else {
                return Err(bad_param("provisioned", "Missing required parameter: provisioned."));
            };
            create_cluster(c, p, c.body.get("clusterName"), c.body.get("tags"), true).await
        }
        "DescribeCluster" => {
            let cl = cluster(c).await?;
            Ok(Answer::ok(json!({"clusterInfo": public(&cl.doc)})))
        }
        "DescribeClusterV2" => {
            let cl = cluster(c).await?;
            Ok(Answer::ok(json!({"clusterInfo": v2(&cl.doc)})))
        }
        "ListClusters" | "ListClustersV2" => list_clusters(c, op.name == "ListClustersV2"),
        "DeleteCluster" => delete_cluster(c).await,
        "GetBootstrapBrokers" => bootstrap_brokers(c).await,
        "ListNodes" => list_nodes(c).await,
        "DescribeClusterOperation" | "DescribeClusterOperationV2" => {
            describe_operation(c, op.name.ends_with("V2")).await
        }
        "ListClusterOperations" | "ListClusterOperationsV2" => list_operations(c, op.name.ends_with("V2")).await,
        "CreateConfiguration" => create_configuration(c).await,
        "DescribeConfiguration" => {
            let cf = configuration(c, c.param("arn"))?;
            Ok(Answer::ok(configuration_public(&cf.doc)))
        }
        "DescribeConfigurationRevision" => describe_revision(c),
        "ListConfigurations" => list_configurations(c),
        "ListConfigurationRevisions" => list_revisions(c),
        "UpdateConfiguration" => update_configuration(c).await,
        "DeleteConfiguration" => delete_configuration(c).await,
        "UpdateClusterConfiguration" => update_cluster_configuration(c).await,
        "UpdateSecurity" => update_security(c).await,
        "UpdateConnectivity" => update_connectivity(c).await,
        "UpdateBrokerCount" => update_broker_count(c).await,
        "RebootBroker" => reboot_broker(c).await,
        "BatchAssociateScramSecret" => associate_scram(c, true).await,
        "BatchDisassociateScramSecret" => associate_scram(c, false).await,
        "ListScramSecrets" => list_scram(c).await,
        "PutClusterPolicy" => put_policy(c).await,
        "GetClusterPolicy" => get_policy(c).await,
        "DeleteClusterPolicy" => delete_policy(c).await,
        "TagResource" | "UntagResource" | "ListTagsForResource" => tags(c, op.name).await,
        "ListKafkaVersions" => {
            c.allow_account_action()?;
            let versions: Vec<Value> =
                KAFKA_VERSIONS.iter().map(|v| json!({"version": v, "status": "ACTIVE"})).collect();
            Ok(Answer::ok(json!({"kafkaVersions": versions})))
        }
        "CreateTopic" | "ListTopics" | "DescribeTopic" | "UpdateTopic" | "DeleteTopic" => {
            crate::topics::handle(c.plane, &cluster(c).await?, op.name, c.param("topicName"), &c.body, &c.query).await
        }
        other => Err(error(
            501,
            "NotImplementedException",
            &format!("{other} is not implemented by Oxbow's MSK-compatible API."),
            None,
        )),
    }
}

// ---- documents ----

fn oxbow(doc: &Value) -> &Value {
    doc.get("_oxbow").unwrap_or(&Value::Null)
}

/// The MSK shape of a stored document: Oxbow's own fields removed.
fn public(doc: &Value) -> Value {
    let mut d = doc.clone();
    if let Some(m) = d.as_object_mut() {
        m.remove("_oxbow");
        m.retain(|_, v| !v.is_null());
    }
    d
}

fn v2(doc: &Value) -> Value {
    let p = public(doc);
    let mut provisioned = Map::new();
    for k in [
        "brokerNodeGroupInfo",
        "currentBrokerSoftwareInfo",
        "clientAuthentication",
        "encryptionInfo",
        "enhancedMonitoring",
        "openMonitoring",
        "loggingInfo",
        "numberOfBrokerNodes",
        "zookeeperConnectString",
        "storageMode",
    ] {
        if let Some(v) = p.get(k) {
            provisioned.insert(k.into(), v.clone());
        }
    }
    let mut out = json!({"clusterType": "PROVISIONED", "provisioned": provisioned});
    for k in [
        "activeOperationArn",
        "clusterArn",
        "clusterName",
        "creationTime",
        "currentVersion",
        "state",
        "stateInfo",
        "tags",
    ] {
        if let Some(v) = p.get(k) {
            out[k] = v.clone();
        }
    }
    out
}

fn paginate(c: &Ctx, items: Vec<Value>) -> Result<(Vec<Value>, Option<String>), Answer> {
    let max = match c.q("maxResults") {
        Some(m) => match m.parse::<usize>() {
            Ok(n) if (1..=PAGE_MAX).contains(&n) => n,
            _ => return Err(bad_param("maxResults", &format!("maxResults must be from 1 to {PAGE_MAX}."))),
        },
        None => PAGE_MAX,
    };
    let start = match c.q("nextToken") {
        Some(t) => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("offset:").and_then(|n| n.parse::<usize>().ok()))
            .ok_or_else(|| bad_param("nextToken", "The nextToken is not valid."))?,
        None => 0,
    };
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(start).take(max).collect();
    let next = (start + max < total)
        .then(|| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("offset:{}", start + max)));
    Ok((page, next))
}

fn with_next(mut v: Value, next: Option<String>) -> Value {
    if let Some(n) = next {
        v["nextToken"] = json!(n);
    }
    v
}

// ---- clusters ----

fn cluster_policy(doc: &Value) -> Option<Value> {
    oxbow(doc).get("policy").and_then(Value::as_str).and_then(|p| serde_json::from_str(p).ok())
}

/// The cluster named by the `clusterArn` path parameter, if the caller may act on it.
async fn cluster(c: &Ctx<'_>) -> Result<Resource, Answer> {
    load_cluster(c, c.param("clusterArn"))
}

fn load_cluster(c: &Ctx<'_>, arn: &str) -> Result<Resource, Answer> {
    let r = c
        .plane
        .store
        .resource(arn)
        .map_err(internal)?
        .filter(|r| r.kind == "cluster")
        .ok_or_else(|| not_found(&format!("The cluster {arn} does not exist.")))?;
    let policy = cluster_policy(&r.doc);
    match c.plane.authorize(c.caller, &c.action, arn, &r.account_id, policy.as_ref()) {
        Decision::Allow => Ok(r),
        _ => Err(forbidden(c.caller, &c.action, arn)),
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn bool_at(v: &Value, path: &[&str]) -> Option<bool> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_bool()
}

/// Checks security settings against what this process can serve: TLS listeners need the
/// certificate `oxbow up` was given (`--set ssl.keystore.location=...`).
fn check_security(plane: &ControlPlane, encryption: Option<&Value>, auth: Option<&Value>) -> Result<(), Answer> {
    let tls = plane.tls_available.load(std::sync::atomic::Ordering::Relaxed);
    let no_tls = |param: &str, what: &str| {
        bad_param(
            param,
            &format!("{what} needs TLS listeners: start oxbow up with --set ssl.keystore.location=PEM (certificate and key)."),
        )
    };
    if let Some(e) = encryption {
        if let Some(cb @ ("TLS" | "TLS_PLAINTEXT")) = str_at(e, &["encryptionInTransit", "clientBroker"]) {
            if !tls {
                return Err(no_tls("encryptionInfo.encryptionInTransit.clientBroker", &format!("clientBroker {cb}")));
            }
        }
    }
    if let Some(a) = auth {
        if bool_at(a, &["sasl", "scram", "enabled"]) == Some(true) && !tls {
            return Err(no_tls("clientAuthentication.sasl.scram", "SASL/SCRAM"));
        }
    }
    if let Some(a) = auth {
        if bool_at(a, &["sasl", "iam", "enabled"]) == Some(true) {
            return Err(bad_param("clientAuthentication.sasl.iam", "IAM access control is not supported by Oxbow."));
        }
        if bool_at(a, &["tls", "enabled"]) == Some(true)
            || a.get("tls").and_then(|t| t.get("certificateAuthorityArnList")).is_some()
        {
            return Err(bad_param(
                "clientAuthentication.tls",
                "mutual TLS authentication is not supported by Oxbow yet.",
            ));
        }
    }
    Ok(())
}

/// Parses and validates `server.properties` text against the configs Oxbow supports.
pub fn parse_server_properties(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut probe = oxbow_broker::BrokerConfig::default();
    for (i, line) in text.lines().enumerate() {
        if i >= CONFIG_LINES_MAX {
            return Err(format!("server.properties has more than {CONFIG_LINES_MAX} lines"));
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .or_else(|| line.split_once(':'))
            .ok_or_else(|| format!("line {}: {line:?} is not NAME=VALUE", i + 1))?;
        let (k, v) = (k.trim(), v.trim());
        if matches!(k, "node.id" | "broker.id") {
            return Err(format!("line {}: {k} is assigned by the control plane", i + 1));
        }
        probe.set(k, v).map_err(|e| format!("line {}: {e}", i + 1))?;
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

fn configuration_revision(c: &Ctx, arn: &str, revision: i64) -> Result<(Resource, Value), Answer> {
    let cf = configuration(c, arn)?;
    let rev = cf
        .doc
        .get("revisions")
        .and_then(Value::as_array)
        .and_then(|rs| rs.iter().find(|r| r.get("revision").and_then(Value::as_i64) == Some(revision)))
        .cloned()
        .ok_or_else(|| not_found(&format!("Revision {revision} of configuration {arn} does not exist.")))?;
    Ok((cf, rev))
}

fn revision_properties(rev: &Value) -> Vec<(String, String)> {
    let text = rev
        .get("serverProperties")
        .and_then(Value::as_str)
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    parse_server_properties(&text).unwrap_or_default()
}

fn props_json(props: &[(String, String)]) -> Value {
    Value::Array(props.iter().map(|(k, v)| json!([k, v])).collect())
}

fn cluster_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

async fn create_cluster(
    c: &Ctx<'_>,
    p: &Map<String, Value>,
    name: Option<&Value>,
    tags: Option<&Value>,
    is_v2: bool,
) -> Result<Answer, Answer> {
    c.allow_account_action()?;
    let name = name.and_then(Value::as_str).unwrap_or("");
    if !cluster_name_ok(name) {
        return Err(bad_param(
            "clusterName",
            "clusterName must be 1-64 letters, digits and hyphens, starting with a letter or digit.",
        ));
    }
    let kafka_version = p.get("kafkaVersion").and_then(Value::as_str).unwrap_or("");
    if !KAFKA_VERSIONS.contains(&kafka_version) {
        return Err(bad_param(
            "kafkaVersion",
            &format!("Unsupported Kafka version {kafka_version}; supported: {}.", KAFKA_VERSIONS.join(", ")),
        ));
    }
    let brokers = p.get("numberOfBrokerNodes").and_then(Value::as_i64).unwrap_or(0);
    check_security(c.plane, p.get("encryptionInfo"), p.get("clientAuthentication"))?;
    let (config_info, props) = match p.get("configurationInfo") {
        Some(ci) => {
            let arn = ci.get("arn").and_then(Value::as_str).unwrap_or("");
            let revision = ci.get("revision").and_then(Value::as_i64).unwrap_or(0);
            let (_, rev) = configuration_revision(c, arn, revision)?;
            (Some((arn.to_string(), revision)), revision_properties(&rev))
        }
        None => (None, Vec::new()),
    };
    let plane = c.plane;
    let account = c.account().to_string();
    let _guard = plane.mutate.lock().await;
    let existing = plane.store.resources("cluster", Some(&account), None).map_err(internal)?;
    if existing.iter().any(|r| r.name == name) {
        return Err(error(409, "ConflictException", &format!("A cluster named {name} already exists."), None));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let arn = format!("arn:aws:kafka:{}:{account}:cluster/{name}/{id}-1", plane.region);
    let data_dir = plane.data_dir.join("clusters").join(&id);
    let mut encryption = p.get("encryptionInfo").cloned().unwrap_or(json!({}));
    if str_at(&encryption, &["encryptionInTransit", "clientBroker"]).is_none() {
        // Without TLS listeners the useful default is plaintext (MSK's own default is TLS).
        encryption["encryptionInTransit"] = json!({"clientBroker": "PLAINTEXT", "inCluster": true});
    }
    let mut software = json!({"kafkaVersion": kafka_version});
    if let Some((carn, rev)) = &config_info {
        software["configurationArn"] = json!(carn);
        software["configurationRevision"] = json!(rev);
    }
    let now = now_ms();
    let doc = json!({
        "clusterArn": arn,
        "clusterName": name,
        "creationTime": iso8601(now),
        "currentVersion": new_version(),
        "state": "CREATING",
        "brokerNodeGroupInfo": p.get("brokerNodeGroupInfo"),
        "clientAuthentication": p.get("clientAuthentication"),
        "currentBrokerSoftwareInfo": software,
        "encryptionInfo": encryption,
        "enhancedMonitoring": p.get("enhancedMonitoring").cloned().unwrap_or(json!("DEFAULT")),
        "openMonitoring": p.get("openMonitoring"),
        "loggingInfo": p.get("loggingInfo"),
        "numberOfBrokerNodes": brokers,
        "storageMode": p.get("storageMode").cloned().unwrap_or(json!("LOCAL")),
        "tags": tags.cloned().unwrap_or(json!({})),
        "_oxbow": {
            "id": id,
            "dataDir": data_dir.to_string_lossy(),
            "ports": {},
            "serverProperties": props_json(&props),
            "scramSecrets": [],
            "policy": null,
            "addedToClusterTime": {},
        },
    });
    let cluster = Resource {
        arn: arn.clone(),
        kind: "cluster".into(),
        account_id: account,
        name: name.into(),
        parent: None,
        doc,
    };
    let op_arn = start_operation(plane, cluster, "CREATE", None)?;
    drop(_guard);
    spawn_operation(plane.clone(), arn.clone(), op_arn, Change::Apply);
    let mut out = json!({"clusterArn": arn, "clusterName": name, "state": "CREATING"});
    if is_v2 {
        out["clusterType"] = json!("PROVISIONED");
    }
    Ok(Answer::ok(out))
}

fn mutable_info(doc: &Value) -> Value {
    let p = public(doc);
    let mut m = json!({
        "numberOfBrokerNodes": p.get("numberOfBrokerNodes"),
        "kafkaVersion": str_at(&p, &["currentBrokerSoftwareInfo", "kafkaVersion"]),
    });
    if let (Some(a), Some(r)) = (
        str_at(&p, &["currentBrokerSoftwareInfo", "configurationArn"]),
        p.get("currentBrokerSoftwareInfo").and_then(|s| s.get("configurationRevision")),
    ) {
        m["configurationInfo"] = json!({"arn": a, "revision": r});
    }
    for k in
        ["clientAuthentication", "encryptionInfo", "enhancedMonitoring", "openMonitoring", "loggingInfo", "storageMode"]
    {
        if let Some(v) = p.get(k) {
            m[k] = v.clone();
        }
    }
    if let Some(ci) = p.get("brokerNodeGroupInfo").and_then(|b| b.get("connectivityInfo")) {
        m["connectivityInfo"] = ci.clone();
    }
    if let Some(o) = m.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    m
}

/// Records an operation on `cluster` (already carrying its target state) and stores both.
/// The caller holds `plane.mutate`.
fn start_operation(
    plane: &ControlPlane,
    mut cluster: Resource,
    kind: &str,
    source: Option<Value>,
) -> Result<String, Answer> {
    let id = oxbow(&cluster.doc).get("id").and_then(Value::as_str).unwrap_or("").to_string();
    let op_arn = format!(
        "arn:aws:kafka:{}:{}:cluster-operation/{}/{id}/{}",
        plane.region,
        cluster.account_id,
        cluster.name,
        uuid::Uuid::new_v4()
    );
    let now = now_ms();
    let op = json!({
        "clusterArn": cluster.arn,
        "creationTime": iso8601(now),
        "operationArn": op_arn,
        "operationState": "PENDING",
        "operationType": kind,
        "operationSteps": [],
        "sourceClusterInfo": source,
        "targetClusterInfo": mutable_info(&cluster.doc),
    });
    cluster.doc["activeOperationArn"] = json!(op_arn);
    if kind != "CREATE" {
        cluster.doc["state"] = json!(if kind == "DELETE" { "DELETING" } else { "UPDATING" });
        cluster.doc["currentVersion"] = json!(new_version());
    }
    plane.store.put_resource(&cluster).map_err(internal)?;
    let op = Resource {
        arn: op_arn.clone(),
        kind: "operation".into(),
        account_id: cluster.account_id.clone(),
        name: kind.into(),
        parent: Some(cluster.arn.clone()),
        doc: op,
    };
    plane.store.put_resource(&op).map_err(internal)?;
    Ok(op_arn)
}

pub enum Change {
    Apply,
    Reboot(Vec<i32>),
    Delete,
}

pub fn spec_of(plane: &ControlPlane, doc: &Value) -> ClusterSpec {
    let o = oxbow(doc);
    let ports = o
        .get("ports")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), u16::try_from(v.as_u64()?).ok()?)))
                .collect::<BTreeMap<_, _>>()
        })
        .unwrap_or_default();
    let props = o
        .get("serverProperties")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter().filter_map(|p| Some((p.get(0)?.as_str()?.to_string(), p.get(1)?.as_str()?.to_string()))).collect()
        })
        .unwrap_or_default();
    ClusterSpec {
        id: o.get("id").and_then(Value::as_str).unwrap_or("").to_string(),
        data_dir: o
            .get("dataDir")
            .and_then(Value::as_str)
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| plane.data_dir.join("clusters").join("unknown")),
        broker_count: doc.get("numberOfBrokerNodes").and_then(Value::as_i64).unwrap_or(1) as i32,
        ports,
        server_properties: props,
        listeners: listeners_of(doc),
    }
}

/// The listeners a cluster's settings ask for, as MSK maps them: PLAINTEXT when client-broker
/// traffic may be plaintext, SSL when it may be TLS, SASL_SSL (SCRAM) when SCRAM is enabled.
pub fn listeners_of(doc: &Value) -> Vec<Protocol> {
    let client_broker = str_at(doc, &["encryptionInfo", "encryptionInTransit", "clientBroker"]).unwrap_or("PLAINTEXT");
    let scram = bool_at(doc, &["clientAuthentication", "sasl", "scram", "enabled"]) == Some(true);
    let unauthenticated = bool_at(doc, &["clientAuthentication", "unauthenticated", "enabled"]) != Some(false);
    let mut out = Vec::new();
    if matches!(client_broker, "PLAINTEXT" | "TLS_PLAINTEXT") {
        out.push(Protocol::Plaintext);
    }
    if matches!(client_broker, "TLS" | "TLS_PLAINTEXT") && unauthenticated {
        out.push(Protocol::Ssl);
    }
    if scram {
        out.push(Protocol::SaslSsl);
    }
    if out.is_empty() {
        out.push(Protocol::Plaintext);
    }
    out
}

/// Stores where the brokers listen now.
pub fn record_endpoints(doc: &mut Value, endpoints: &[NodeEndpoint]) {
    let now = iso8601(now_ms());
    let mut ports = Map::new();
    let mut added = doc["_oxbow"].get("addedToClusterTime").and_then(Value::as_object).cloned().unwrap_or_default();
    for e in endpoints {
        ports.insert(crate::provision::port_key(e.broker_id, &e.listener), json!(e.addr.port()));
        added.entry(e.broker_id.to_string()).or_insert_with(|| json!(now));
    }
    let ids: Vec<String> = endpoints.iter().map(|e| e.broker_id.to_string()).collect();
    added.retain(|k, _| ids.contains(k));
    doc["_oxbow"]["ports"] = Value::Object(ports);
    doc["_oxbow"]["addedToClusterTime"] = Value::Object(added);
}

pub fn spawn_operation(plane: Arc<ControlPlane>, cluster_arn: String, op_arn: String, change: Change) {
    tokio::spawn(async move {
        if let Err(e) = run_operation(&plane, &cluster_arn, &op_arn, change).await {
            tracing::warn!(cluster = %cluster_arn, error = %e, "cluster operation failed");
        }
    });
}

async fn set_operation_state(
    plane: &ControlPlane,
    op_arn: &str,
    state: &str,
    error: Option<String>,
) -> anyhow::Result<()> {
    if let Some(mut op) = plane.store.resource(op_arn)? {
        op.doc["operationState"] = json!(state);
        if state != "UPDATE_IN_PROGRESS" {
            op.doc["endTime"] = json!(iso8601(now_ms()));
        }
        if let Some(e) = error {
            op.doc["errorInfo"] = json!({"errorCode": "OxbowProvisioningError", "errorString": e});
        }
        plane.store.put_resource(&op)?;
    }
    Ok(())
}

async fn run_operation(
    plane: &Arc<ControlPlane>,
    cluster_arn: &str,
    op_arn: &str,
    change: Change,
) -> anyhow::Result<()> {
    set_operation_state(plane, op_arn, "UPDATE_IN_PROGRESS", None).await?;
    let Some(cluster) = plane.store.resource(cluster_arn)? else {
        return Ok(());
    };
    let spec = spec_of(plane, &cluster.doc);
    let result = match &change {
        Change::Apply => plane.provisioner.apply(&spec).await.map(Some),
        Change::Reboot(ids) => {
            let mut r = Ok(None);
            for id in ids {
                if let Err(e) = plane.provisioner.reboot(&spec.id, *id).await {
                    r = Err(e);
                    break;
                }
            }
            r
        }
        Change::Delete => {
            let is_default = oxbow(&cluster.doc).get("default").and_then(Value::as_bool) == Some(true);
            plane.provisioner.stop(&spec.id, !is_default).await.map(|_| None)
        }
    };
    let _guard = plane.mutate.lock().await;
    if matches!(change, Change::Delete) {
        for op in plane.store.resources("operation", None, Some(cluster_arn))? {
            plane.store.delete_resource(&op.arn)?;
        }
        plane.store.delete_resource(cluster_arn)?;
        return result.map(|_| ());
    }
    let Some(mut cluster) = plane.store.resource(cluster_arn)? else {
        return Ok(());
    };
    let was_creating = cluster.doc["state"] == "CREATING";
    if let Some(obj) = cluster.doc.as_object_mut() {
        obj.remove("activeOperationArn");
    }
    let (state, error) = match &result {
        Ok(endpoints) => {
            if let Some(endpoints) = endpoints {
                record_endpoints(&mut cluster.doc, endpoints);
            }
            cluster.doc["stateInfo"] = Value::Null;
            ("UPDATE_COMPLETE", None)
        }
        Err(e) => {
            cluster.doc["stateInfo"] = json!({"code": "OxbowProvisioningError", "message": e.to_string()});
            ("UPDATE_FAILED", Some(e.to_string()))
        }
    };
    cluster.doc["state"] = json!(if was_creating && error.is_some() { "FAILED" } else { "ACTIVE" });
    plane.store.put_resource(&cluster)?;
    set_operation_state(plane, op_arn, state, error).await?;
    if let Change::Apply = change {
        push_scram_credentials(plane, &cluster).await;
    }
    Ok(())
}

fn list_clusters(c: &Ctx, v2_shape: bool) -> Result<Answer, Answer> {
    c.allow_account_action()?;
    let prefix = c.q("clusterNameFilter").unwrap_or("");
    if let Some(t) = c.q("clusterTypeFilter") {
        if t != "PROVISIONED" && t != "SERVERLESS" {
            return Err(bad_param("clusterTypeFilter", "clusterTypeFilter must be PROVISIONED or SERVERLESS."));
        }
        if t == "SERVERLESS" {
            return Ok(Answer::ok(json!({"clusterInfoList": []})));
        }
    }
    let all = c.plane.store.resources("cluster", Some(c.account()), None).map_err(internal)?;
    let items: Vec<Value> = all
        .iter()
        .filter(|r| r.name.starts_with(prefix))
        .map(|r| if v2_shape { v2(&r.doc) } else { public(&r.doc) })
        .collect();
    let (page, next) = paginate(c, items)?;
    Ok(Answer::ok(with_next(json!({"clusterInfoList": page}), next)))
}

fn check_version(c: &Ctx, cl: &Resource, current: Option<&str>) -> Result<(), Answer> {
    if let Some(v) = current {
        if cl.doc.get("currentVersion").and_then(Value::as_str) != Some(v) {
            return Err(bad_param(
                "currentVersion",
                &format!("The currentVersion {v} does not match the cluster's current version; describe the cluster and retry."),
            ));
        }
    }
    let _ = c;
    Ok(())
}

fn require_active(cl: &Resource) -> Result<(), Answer> {
    match cl.doc.get("state").and_then(Value::as_str) {
        Some("ACTIVE") => Ok(()),
        Some(s) => Err(bad(&format!("The cluster is {s}; this operation needs it ACTIVE."))),
        None => Err(bad("The cluster has no state.")),
    }
}

async fn delete_cluster(c: &Ctx<'_>) -> Result<Answer, Answer> {
    let _guard = c.plane.mutate.lock().await;
    let cl = cluster(c).await?;
    check_version(c, &cl, c.q("currentVersion"))?;
    if oxbow(&cl.doc).get("default").and_then(Value::as_bool) == Some(true) {
        return Err(bad("The default cluster of `oxbow up` cannot be deleted; it serves --listen."));
    }
    if cl.doc["state"] == "DELETING" {
        return Err(bad("The cluster is already being deleted."));
    }
    let arn = cl.arn.clone();
    let op_arn = start_operation(c.plane, cl, "DELETE", None)?;
    spawn_operation(c.plane.clone(), arn.clone(), op_arn, Change::Delete);
    Ok(Answer::ok(json!({"clusterArn": arn, "state": "DELETING"})))
}

fn endpoints_of(doc: &Value) -> Vec<(i32, u16)> {
    let mut v: Vec<(i32, u16)> = oxbow(doc)
        .get("ports")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, p)| Some((k.parse().ok()?, p.as_u64()? as u16))).collect())
        .unwrap_or_default();
    v.sort();
    v
}

async fn bootstrap_brokers(c: &Ctx<'_>) -> Result<Answer, Answer> {
    let cl = cluster(c).await?;
    match cl.doc.get("state").and_then(Value::as_str) {
        Some("ACTIVE" | "UPDATING" | "REBOOTING_BROKER" | "HEALING") => {}
        Some(s) => return Err(bad(&format!("The cluster is {s}; bootstrap brokers are available once it is ACTIVE."))),
        None => return Err(bad("The cluster has no state.")),
    }
    let mut out = json!({});
    let ports = oxbow(&cl.doc).get("ports").and_then(Value::as_object).cloned().unwrap_or_default();
    for (listener, field) in [
        ("PLAINTEXT", "bootstrapBrokerString"),
        ("SSL", "bootstrapBrokerStringTls"),
        ("SASL_SSL", "bootstrapBrokerStringSaslScram"),
    ] {
        let mut list: Vec<(i32, u64)> = ports
            .iter()
            .filter_map(|(k, v)| {
                let (id, l) = k.split_once('/').unwrap_or((k.as_str(), "PLAINTEXT"));
                (l == listener).then_some((id.parse().ok()?, v.as_u64()?))
            })
            .collect();
        list.sort();
        if !list.is_empty() {
            out[field] = json!(list.iter().map(|(_, p)| format!("{HOST}:{p}")).collect::<Vec<_>>().join(","));
        }
    }
    Ok(Answer::ok(out))
}

async fn list_nodes(c: &Ctx<'_>) -> Result<Answer, Answer> {
    let cl = cluster(c).await?;
    let p = public(&cl.doc);
    let id = oxbow(&cl.doc).get("id").and_then(Value::as_str).unwrap_or("");
    let added = oxbow(&cl.doc).get("addedToClusterTime").cloned().unwrap_or(json!({}));
    let instance = str_at(&p, &["brokerNodeGroupInfo", "instanceType"]).unwrap_or("kafka.m5.large");
    let subnet = p.get("brokerNodeGroupInfo").and_then(|b| b.get("clientSubnets")).and_then(|s| s.get(0)).cloned();
    let items: Vec<Value> = endpoints_of(&cl.doc)
        .iter()
        .map(|(broker, port)| {
            json!({
                "addedToClusterTime": added.get(broker.to_string()).cloned().unwrap_or(p["creationTime"].clone()),
                "instanceType": instance,
                "nodeARN": format!("arn:aws:kafka:{}:{}:broker/{}/{id}/{broker}", c.plane.region, cl.account_id, cl.name),
                "nodeType": "BROKER",
                "brokerNodeInfo": {
                    "brokerId": *broker as f64,
                    "clientVpcIpAddress": HOST,
                    "clientSubnet": subnet,
                    "attachedENIId": format!("oxbow-{HOST}:{port}"),
                    "currentBrokerSoftwareInfo": p.get("currentBrokerSoftwareInfo"),
                    "endpoints": [HOST],
                },
            })
        })
        .collect();
    let (page, next) = paginate(c, items)?;
    Ok(Answer::ok(with_next(json!({"nodeInfoList": page}), next)))
}

fn operation_v2(op: &Value) -> Value {
    let p = public(op);
    let mut out = json!({
        "clusterArn": p.get("clusterArn"),
        "clusterType": "PROVISIONED",
        "startTime": p.get("creationTime"),
        "operationArn": p.get("operationArn"),
        "operationState": p.get("operationState"),
        "operationType": p.get("operationType"),
    });
    for k in ["endTime", "errorInfo"] {
        if let Some(v) = p.get(k) {
            out[k] = v.clone();
        }
    }
    out
}

async fn describe_operation(c: &Ctx<'_>, v2_shape: bool) -> Result<Answer, Answer> {
    let arn = c.param("clusterOperationArn");
    let op = c
        .plane
        .store
        .resource(arn)
        .map_err(internal)?
        .filter(|r| r.kind == "operation")
        .ok_or_else(|| not_found(&format!("The operation {arn} does not exist.")))?;
    if op.account_id != c.account() {
        let cluster_arn = op.parent.clone().unwrap_or_default();
        load_cluster(c, &cluster_arn)?;
    } else if c.plane.authorize(c.caller, &c.action, arn, &op.account_id, None) != Decision::Allow {
        return Err(forbidden(c.caller, &c.action, arn));
    }
    if v2_shape {
        let mut out = operation_v2(&op.doc);
        let p = public(&op.doc);
        out["provisioned"] = json!({
            "operationSteps": p.get("operationSteps"),
            "sourceClusterInfo": p.get("sourceClusterInfo"),
            "targetClusterInfo": p.get("targetClusterInfo"),
        });
        if let Some(o) = out["provisioned"].as_object_mut() {
            o.retain(|_, v| !v.is_null());
        }
        Ok(Answer::ok(json!({"clusterOperationInfo": out})))
    } else {
        Ok(Answer::ok(json!({"clusterOperationInfo": public(&op.doc)})))
    }
}

async fn list_operations(c: &Ctx<'_>, v2_shape: bool) -> Result<Answer, Answer> {
    let cl = cluster(c).await?;
    let ops = c.plane.store.resources("operation", None, Some(&cl.arn)).map_err(internal)?;
    let items: Vec<Value> =
        ops.iter().rev().map(|o| if v2_shape { operation_v2(&o.doc) } else { public(&o.doc) }).collect();
    let (page, next) = paginate(c, items)?;
    Ok(Answer::ok(with_next(json!({"clusterOperationInfoList": page}), next)))
}

// ---- configurations ----

fn configuration(c: &Ctx, arn: &str) -> Result<Resource, Answer> {
    let r = c
        .plane
        .store
        .resource(arn)
        .map_err(internal)?
        .filter(|r| r.kind == "configuration" && r.account_id == c.account())
        .ok_or_else(|| not_found(&format!("The configuration {arn} does not exist.")))?;
    match c.plane.authorize(c.caller, &c.action, arn, &r.account_id, None) {
        Decision::Allow => Ok(r),
        _ => Err(forbidden(c.caller, &c.action, arn)),
    }
}

fn configuration_public(doc: &Value) -> Value {
    let mut p = public(doc);
    if let Some(o) = p.as_object_mut() {
        o.remove("revisions");
    }
    p
}

fn decode_properties(b64: Option<&Value>) -> Result<(String, Vec<(String, String)>), Answer> {
    let raw =
        b64.and_then(Value::as_str).ok_or_else(|| bad_param("serverProperties", "serverProperties is required."))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(raw)
        .map_err(|_| bad_param("serverProperties", "serverProperties must be base64."))?;
    let text =
        String::from_utf8(bytes).map_err(|_| bad_param("serverProperties", "serverProperties must be UTF-8 text."))?;
    let props = parse_server_properties(&text)
        .map_err(|e| bad_param("serverProperties", &format!("Invalid server.properties: {e}.")))?;
    Ok((raw.to_string(), props))
}

fn revision_doc(n: i64, description: Option<&Value>, b64: &str) -> Value {
    let mut r = json!({"revision": n, "creationTime": iso8601(now_ms()), "serverProperties": b64});
    if let Some(d) = description.filter(|d| !d.is_null()) {
        r["description"] = d.clone();
    }
    r
}

fn latest(doc: &Value) -> Value {
    let mut r = doc.get("revisions").and_then(Value::as_array).and_then(|r| r.last()).cloned().unwrap_or(json!({}));
    r.as_object_mut().map(|o| o.remove("serverProperties"));
    r
}

async fn create_configuration(c: &Ctx<'_>) -> Result<Answer, Answer> {
    c.allow_account_action()?;
    let name = c.body.get("name").and_then(Value::as_str).unwrap_or("");
    if name.is_empty() || name.len() > 64 || !name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') {
        return Err(bad_param("name", "name must be 1-64 letters, digits and hyphens."));
    }
    let (b64, _) = decode_properties(c.body.get("serverProperties"))?;
    if let Some(vs) = c.body.get("kafkaVersions").and_then(Value::as_array) {
        if let Some(v) = vs.iter().filter_map(Value::as_str).find(|v| !KAFKA_VERSIONS.contains(v)) {
            return Err(bad_param("kafkaVersions", &format!("Unsupported Kafka version {v}.")));
        }
    }
    let _guard = c.plane.mutate.lock().await;
    let account = c.account().to_string();
    if c.plane.store.resources("configuration", Some(&account), None).map_err(internal)?.iter().any(|r| r.name == name)
    {
        return Err(error(409, "ConflictException", &format!("A configuration named {name} already exists."), None));
    }
    let arn = format!("arn:aws:kafka:{}:{account}:configuration/{name}/{}-1", c.plane.region, uuid::Uuid::new_v4());
    let now = iso8601(now_ms());
    let description = c.body.get("description").cloned().unwrap_or(json!(""));
    let rev = revision_doc(1, Some(&description), &b64);
    let doc = json!({
        "arn": arn,
        "name": name,
        "description": description,
        "kafkaVersions": c.body.get("kafkaVersions").cloned().unwrap_or(json!([])),
        "creationTime": now,
        "state": "ACTIVE",
        "revisions": [rev],
        "tags": {},
    });
    let mut doc = doc;
    doc["latestRevision"] = latest(&doc);
    let out = json!({"arn": arn, "name": name, "creationTime": now, "state": "ACTIVE", "latestRevision": doc["latestRevision"]});
    let r = Resource { arn, kind: "configuration".into(), account_id: account, name: name.into(), parent: None, doc };
    c.plane.store.put_resource(&r).map_err(internal)?;
    Ok(Answer::ok(out))
}

fn describe_revision(c: &Ctx) -> Result<Answer, Answer> {
    let arn = c.param("arn");
    let revision: i64 = c.param("revision").parse().map_err(|_| bad_param("revision", "revision must be a number."))?;
    let (_, rev) = configuration_revision(c, arn, revision)?;
    let mut out = rev.clone();
    out["arn"] = json!(arn);
    Ok(Answer::ok(out))
}

fn list_configurations(c: &Ctx) -> Result<Answer, Answer> {
    c.allow_account_action()?;
    let all = c.plane.store.resources("configuration", Some(c.account()), None).map_err(internal)?;
    let items = all.iter().map(|r| configuration_public(&r.doc)).collect();
    let (page, next) = paginate(c, items)?;
    Ok(Answer::ok(with_next(json!({"configurations": page}), next)))
}

fn list_revisions(c: &Ctx) -> Result<Answer, Answer> {
    let cf = configuration(c, c.param("arn"))?;
    let items: Vec<Value> = cf
        .doc
        .get("revisions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|mut r| {
            r.as_object_mut().map(|o| o.remove("serverProperties"));
            r
        })
        .collect();
    let (page, next) = paginate(c, items)?;
    Ok(Answer::ok(with_next(json!({"revisions": page}), next)))
}

async fn update_configuration(c: &Ctx<'_>) -> Result<Answer, Answer> {
    let _guard = c.plane.mutate.lock().await;
    let mut cf = configuration(c, c.param("arn"))?;
    let (b64, _) = decode_properties(c.body.get("serverProperties"))?;
    let mut revisions = cf.doc.get("revisions").and_then(Value::as_array).cloned().unwrap_or_default();
    let n = revisions.last().and_then(|r| r.get("revision")).and_then(Value::as_i64).unwrap_or(0) + 1;
    revisions.push(revision_doc(n, c.body.get("description"), &b64));
    cf.doc["revisions"] = Value::Array(revisions);
    cf.doc["latestRevision"] = latest(&cf.doc);
    c.plane.store.put_resource(&cf).map_err(internal)?;
    Ok(Answer::ok(json!({"arn": cf.arn, "latestRevision": cf.doc["latestRevision"]})))
}

async fn delete_configuration(c: &Ctx<'_>) -> Result<Answer, Answer> {
    let _guard = c.plane.mutate.lock().await;
    let cf = configuration(c, c.param("arn"))?;
    let clusters = c.plane.store.resources("cluster", Some(c.account()), None).map_err(internal)?;
    if let Some(user) =
        clusters.iter().find(|r| str_at(&r.doc, &["currentBrokerSoftwareInfo", "configurationArn"]) == Some(&cf.arn))
    {
        return Err(bad(&format!("The configuration is in use by cluster {}.", user.arn)));
    }
    c.plane.store.delete_resource(&cf.arn).map_err(internal)?;
    Ok(Answer::ok(json!({"arn": cf.arn, "state": "DELETING"})))
}

// ---- cluster updates ----

fn op_answer(arn: &str, op_arn: &str) -> Answer {
    Answer::ok(json!({"clusterArn": arn, "clusterOperationArn": op_arn}))
}

async fn update_cluster_configuration(c: &Ctx<'_>) -> Result<Answer, Answer> {
    let _guard = c.plane.mutate.lock().await;
    let mut cl = cluster(c).await?;
    require_active(&cl)?;
    check_version(c, &cl, c.body.get("currentVersion").and_then(Value::as_str))?;
    let ci = c.body.get("configurationInfo").cloned().unwrap_or(json!({}));
    let carn = ci.get("arn").and_then(Value::as_str).unwrap_or("");
    let revision = ci.get("revision").and_then(Value::as_i64).unwrap_or(0);
    let (_, rev) = configuration_revision(c, carn, revision)?;
    let source = mutable_info(&cl.doc);
    cl.doc["currentBrokerSoftwareInfo"]["configurationArn"] = json!(carn);
    cl.doc["currentBrokerSoftwareInfo"]["configurationRevision"] = json!(revision);
    cl.doc["_oxbow"]["serverProperties"] = props_json(&revision_properties(&rev));
    let arn = cl.arn.clone();
    let op_arn = start_operation(c.plane, cl, "UPDATE_CLUSTER_CONFIGURATION", Some(source))?;
    spawn_operation(c.plane.clone(), arn.clone(), op_arn.clone(), Change::Apply);
    Ok(op_answer(&arn, &op_arn))
}

async fn update_security(c: &Ctx<'_>) -> Result<Answer, Answer> {
    let _guard = c.plane.mutate.lock().await;
    let mut cl = cluster(c).await?;
    require_active(&cl)?;
    check_version(c, &cl, c.body.get("currentVersion").and_then(Value::as_str))?;
    if !c.body.contains_key("clientAuthentication") && !c.body.contains_key("encryptionInfo") {
        return Err(bad("Specify clientAuthentication or encryptionInfo."));
    }
    check_security(c.plane, c.body.get("encryptionInfo"), c.body.get("clientAuthentication"))?;
    let source = mutable_info(&cl.doc);
    for k in ["clientAuthentication", "encryptionInfo"] {
        if let Some(v) = c.body.get(k) {
            cl.doc[k] = v.clone();
        }
    }
    let arn = cl.arn.clone();
    let op_arn = start_operation(c.plane, cl, "UPDATE_SECURITY", Some(source))?;
    spawn_operation(c.plane.clone(), arn.clone(), op_arn.clone(), Change::Apply);
    Ok(op_answer(&arn, &op_arn))
}

async fn update_connectivity(c: &Ctx<'_>) -> Result<Answer, Answer> {
    let _guard = c.plane.mutate.lock().await;
    let mut cl = cluster(c).await?;
    require_active(&cl)?;
    check_version(c, &cl, c.body.get("currentVersion").and_then(Value::as_str))?;
    let Some(ci) = c.body.get("connectivityInfo") else {
        return Err(bad_param("connectivityInfo", "connectivityInfo is required."));
    };
    if let Some(t) = str_at(ci, &["publicAccess", "type"]) {
        if t != "DISABLED" {
            return Err(bad_param(
                "connectivityInfo.publicAccess.type",
                "Oxbow brokers listen on 127.0.0.1 only; public access can only be DISABLED.",
            ));
        }
    }
    let source = mutable_info(&cl.doc);
    if !cl.doc["brokerNodeGroupInfo"].is_object() {
        cl.doc["brokerNodeGroupInfo"] = json!({});
    }
    cl.doc["brokerNodeGroupInfo"]["connectivityInfo"] = ci.clone();
    let arn = cl.arn.clone();
    let op_arn = start_operation(c.plane, cl, "UPDATE_CONNECTIVITY", Some(source))?;
    spawn_operation(c.plane.clone(), arn.clone(), op_arn.clone(), Change::Apply);
    Ok(op_answer(&arn, &op_arn))
}

async fn update_broker_count(c: &Ctx<'_>) -> Result<Answer, Answer> {
    let _guard = c.plane.mutate.lock().await;
    let mut cl = cluster(c).await?;
    require_active(&cl)?;
    check_version(c, &cl, c.body.get("currentVersion").and_then(Value::as_str))?;
    let target = c.body.get("targetNumberOfBrokerNodes").and_then(Value::as_i64).unwrap_or(0);
    let current = cl.doc.get("numberOfBrokerNodes").and_then(Value::as_i64).unwrap_or(0);
    if target == current {
        return Err(bad_param("targetNumberOfBrokerNodes", "The cluster already has that many brokers."));
    }
    let source = mutable_info(&cl.doc);
    cl.doc["numberOfBrokerNodes"] = json!(target);
    let kind = if target > current { "INCREASE_BROKER_COUNT" } else { "DECREASE_BROKER_COUNT" };
    let arn = cl.arn.clone();
    let op_arn = start_operation(c.plane, cl, kind, Some(source))?;
    spawn_operation(c.plane.clone(), arn.clone(), op_arn.clone(), Change::Apply);
    Ok(op_answer(&arn, &op_arn))
}

async fn reboot_broker(c: &Ctx<'_>) -> Result<Answer, Answer> {
    let _guard = c.plane.mutate.lock().await;
    let cl = cluster(c).await?;
    require_active(&cl)?;
    let ids: Vec<i32> = c
        .body
        .get("brokerIds")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str()?.parse().ok()).collect())
        .unwrap_or_default();
    let known: Vec<i32> = endpoints_of(&cl.doc).iter().map(|(id, _)| *id).collect();
    if ids.len() != 1 || !known.contains(&ids[0]) {
        return Err(bad_param("brokerIds", &format!("brokerIds must name exactly one broker of {known:?}.")));
    }
    let arn = cl.arn.clone();
    let op_arn = start_operation(c.plane, cl, "REBOOT_NODE", None)?;
    spawn_operation(c.plane.clone(), arn.clone(), op_arn.clone(), Change::Reboot(ids));
    Ok(op_answer(&arn, &op_arn))
}

// ---- SCRAM secrets ----

/// MSK's rules for a SCRAM secret: name prefix `AmazonMSK_`, value JSON with username and password.
fn scram_credentials(plane: &ControlPlane, secret: &Resource) -> Result<(String, String), (&'static str, String)> {
    if !secret.name.starts_with("AmazonMSK_") {
        return Err(("InvalidSecretName", "The secret name must begin with AmazonMSK_.".into()));
    }
    let value = crate::secrets::current_value(plane, secret)
        .ok_or(("InvalidSecretValue", "The secret has no current value (deleted or unreadable).".to_string()))?;
    let v: Value = serde_json::from_str(&value).map_err(|_| {
        ("InvalidSecretValue", "The secret value must be JSON: {\"username\": ..., \"password\": ...}.".to_string())
    })?;
    match (v.get("username").and_then(Value::as_str), v.get("password").and_then(Value::as_str)) {
        (Some(u), Some(p)) if !u.is_empty() && !p.is_empty() => Ok((u.to_string(), p.to_string())),
        _ => Err(("InvalidSecretValue", "The secret value needs non-empty username and password strings.".into())),
    }
}

/// Hands every associated secret's credentials to the SCRAM sink, if one is installed.
pub async fn push_scram_credentials(plane: &ControlPlane, cluster: &Resource) {
    let Some(sink) = plane.scram_sink.read().unwrap_or_else(|p| p.into_inner()).clone() else {
        return;
    };
    let id = oxbow(&cluster.doc).get("id").and_then(Value::as_str).unwrap_or("").to_string();
    for arn in oxbow(&cluster.doc).get("scramSecrets").and_then(Value::as_array).into_iter().flatten() {
        let Some(secret) = arn.as_str().and_then(|a| plane.store.resource(a).ok().flatten()) else {
            continue;
        };
        if let Ok((user, password)) = scram_credentials(plane, &secret) {
            if let Err(e) = sink.upsert(&id, &user, &password).await {
                tracing::warn!(error = %e, "cannot install SCRAM credential");
            }
        }
    }
}

async fn associate_scram(c: &Ctx<'_>, associate: bool) -> Result<Answer, Answer> {
    let _guard = c.plane.mutate.lock().await;
    let mut cl = cluster(c).await?;
    if bool_at(&cl.doc, &["clientAuthentication", "sasl", "scram", "enabled"]) != Some(true) {
        return Err(bad("SASL/SCRAM authentication is not enabled on this cluster."));
    }
    let arns: Vec<String> = c
        .body
        .get("secretArnList")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    if arns.is_empty() || arns.len() > 10 {
        return Err(bad_param("secretArnList", "secretArnList must hold 1 to 10 secret ARNs."));
    }
    let id = oxbow(&cl.doc).get("id").and_then(Value::as_str).unwrap_or("").to_string();
    let mut current: Vec<String> = oxbow(&cl.doc)
        .get("scramSecrets")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let sink = c.plane.scram_sink.read().unwrap_or_else(|p| p.into_inner()).clone();
    let mut unprocessed = Vec::new();
    for arn in arns {
        let secret =
            c.plane.store.resource(&arn).ok().flatten().filter(|r| r.kind == "secret" && r.account_id == cl.account_id);
        let Some(secret) = secret else {
            unprocessed.push(json!({"secretArn": arn, "errorCode": "ResourceNotFoundException", "errorMessage": "The secret does not exist in the cluster's account."}));
            continue;
        };
        if associate {
            match scram_credentials(c.plane, &secret) {
                Ok((user, password)) => {
                    if let Some(sink) = &sink {
                        if let Err(e) = sink.upsert(&id, &user, &password).await {
                            unprocessed.push(json!({"secretArn": arn, "errorCode": "InternalServerError", "errorMessage": e.to_string()}));
                            continue;
                        }
                    }
                    if !current.contains(&arn) {
                        current.push(arn);
                    }
                }
                Err((code, message)) => {
                    unprocessed.push(json!({"secretArn": arn, "errorCode": code, "errorMessage": message}))
                }
            }
        } else if let Some(pos) = current.iter().position(|a| *a == arn) {
            current.remove(pos);
            if let (Some(sink), Ok((user, _))) = (&sink, scram_credentials(c.plane, &secret)) {
                if let Err(e) = sink.remove(&id, &user).await {
                    tracing::warn!(error = %e, "cannot remove SCRAM credential");
                }
            }
        } else {
            unprocessed.push(json!({"secretArn": arn, "errorCode": "ResourceNotFoundException", "errorMessage": "The secret is not associated with this cluster."}));
        }
    }
    cl.doc["_oxbow"]["scramSecrets"] = json!(current);
    c.plane.store.put_resource(&cl).map_err(internal)?;
    let mut out = json!({"clusterArn": cl.arn});
    if !unprocessed.is_empty() {
        out["unprocessedScramSecrets"] = Value::Array(unprocessed);
    }
    Ok(Answer::ok(out))
}

async fn list_scram(c: &Ctx<'_>) -> Result<Answer, Answer> {
    let cl = cluster(c).await?;
    let items: Vec<Value> = oxbow(&cl.doc).get("scramSecrets").and_then(Value::as_array).cloned().unwrap_or_default();
    let (page, next) = paginate(c, items)?;
    Ok(Answer::ok(with_next(json!({"secretArnList": page}), next)))
}

// ---- cluster policy ----

async fn put_policy(c: &Ctx<'_>) -> Result<Answer, Answer> {
    let _guard = c.plane.mutate.lock().await;
    let mut cl = cluster(c).await?;
    let text = c.body.get("policy").and_then(Value::as_str).unwrap_or("");
    let doc: Value =
        serde_json::from_str(text).map_err(|e| bad_param("policy", &format!("The policy is not valid JSON: {e}.")))?;
    crate::policy::validate(&doc).map_err(|e| bad_param("policy", &e))?;
    let existing = oxbow(&cl.doc).get("policyVersion").and_then(Value::as_str).map(str::to_string);
    if let Some(v) = c.body.get("currentVersion").and_then(Value::as_str) {
        if existing.as_deref() != Some(v) {
            return Err(bad_param("currentVersion", "The currentVersion does not match the policy's current version."));
        }
    }
    let version = new_version();
    cl.doc["_oxbow"]["policy"] = json!(text);
    cl.doc["_oxbow"]["policyVersion"] = json!(version);
    c.plane.store.put_resource(&cl).map_err(internal)?;
    Ok(Answer::ok(json!({"currentVersion": version})))
}

async fn get_policy(c: &Ctx<'_>) -> Result<Answer, Answer> {
    let cl = cluster(c).await?;
    match oxbow(&cl.doc).get("policy").and_then(Value::as_str) {
        Some(p) => Ok(Answer::ok(json!({"policy": p, "currentVersion": oxbow(&cl.doc).get("policyVersion")}))),
        None => Err(not_found("The cluster has no policy.")),
    }
}

async fn delete_policy(c: &Ctx<'_>) -> Result<Answer, Answer> {
    let _guard = c.plane.mutate.lock().await;
    let mut cl = cluster(c).await?;
    cl.doc["_oxbow"]["policy"] = Value::Null;
    cl.doc["_oxbow"]["policyVersion"] = Value::Null;
    c.plane.store.put_resource(&cl).map_err(internal)?;
    Ok(Answer::ok(json!({})))
}

// ---- tags ----

async fn tags(c: &Ctx<'_>, op: &str) -> Result<Answer, Answer> {
    let _guard = c.plane.mutate.lock().await;
    let arn = c.param("resourceArn");
    let mut r = c
        .plane
        .store
        .resource(arn)
        .map_err(internal)?
        .filter(|r| matches!(r.kind.as_str(), "cluster" | "configuration"))
        .ok_or_else(|| not_found(&format!("The resource {arn} does not exist.")))?;
    let policy = if r.kind == "cluster" { cluster_policy(&r.doc) } else { None };
    if c.plane.authorize(c.caller, &c.action, arn, &r.account_id, policy.as_ref()) != Decision::Allow {
        return Err(forbidden(c.caller, &c.action, arn));
    }
    let mut current = r.doc.get("tags").and_then(Value::as_object).cloned().unwrap_or_default();
    match op {
        "ListTagsForResource" => return Ok(Answer::ok(json!({"tags": current}))),
        "TagResource" => {
            for (k, v) in c.body.get("tags").and_then(Value::as_object).into_iter().flatten() {
                current.insert(k.clone(), v.clone());
            }
            if current.len() > 50 {
                return Err(bad_param("tags", "A resource can have at most 50 tags."));
            }
        }
        _ => {
            let keys: Vec<&str> = c.query.iter().filter(|(k, _)| k == "tagKeys").map(|(_, v)| v.as_str()).collect();
            if keys.is_empty() {
                return Err(bad_param("tagKeys", "Missing required parameter: tagKeys."));
            }
            for k in keys {
                current.remove(k);
            }
        }
    }
    r.doc["tags"] = Value::Object(current);
    c.plane.store.put_resource(&r).map_err(internal)?;
    Ok(Answer { status: 204, headers: Vec::new(), body: None })
}
