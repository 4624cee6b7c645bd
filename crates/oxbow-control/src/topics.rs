//! MSK's Topics operations (CreateTopic, ListTopics, DescribeTopic,
//! UpdateTopic, DeleteTopic) on a cluster's brokers: writes go to the
//! cluster's metadata store, then every local broker's topic cache is told.
//! `configs` is, as in MSK, base64 of a JSON object of topic configs.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use oxbow_broker::{topic_config, Broker};
use oxbow_meta_store::{MetaError, NewTopic, TopicMeta};
use serde_json::{json, Map, Value};

use crate::msk::error;
use crate::store::Resource;
use crate::{Answer, ControlPlane};

/// Most partitions one topic may have through this API.
const PARTITIONS_MAX: i64 = 10_000;

fn bad(m: &str) -> Answer {
    error(400, "BadRequestException", m, None)
}

fn topic_arn(cluster: &Resource, name: &str) -> String {
    let id = cluster.doc["_oxbow"]["id"].as_str().unwrap_or("");
    let (region, account) = {
        let parts: Vec<&str> = cluster.arn.split(':').collect();
        (parts.get(3).copied().unwrap_or(""), parts.get(4).copied().unwrap_or(""))
    };
    format!("arn:aws:kafka:{region}:{account}:topic/{}/{id}/{name}", cluster.name)
}

fn decode_configs(v: Option<&Value>) -> Result<BTreeMap<String, String>, Answer> {
    let Some(raw) = v.and_then(Value::as_str) else {
        return Ok(BTreeMap::new());
    };
    let bytes = base64::engine::general_purpose::STANDARD.decode(raw).map_err(|_| bad("configs must be base64."))?;
    let obj: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| bad("configs must be base64 of a JSON object of strings."))?;
    let mut out = BTreeMap::new();
    for (k, v) in obj {
        let v = match v {
            Value::String(s) => s,
            other => other.to_string(),
        };
        topic_config::validate(&k, &v).map_err(|e| bad(&format!("Invalid topic config {k}: {e}")))?;
        out.insert(k, v);
    }
    Ok(out)
}

fn encode_configs(configs: &BTreeMap<String, String>) -> String {
    base64::engine::general_purpose::STANDARD.encode(serde_json::to_string(configs).unwrap_or_default())
}

fn meta_error(e: MetaError) -> Answer {
    match e {
        MetaError::UnknownTopic(t) => error(404, "NotFoundException", &format!("Topic {t} does not exist."), None),
        MetaError::TopicExists(t) => error(409, "ConflictException", &format!("Topic {t} already exists."), None),
        other => error(500, "InternalServerErrorException", &other.to_string(), None),
    }
}

fn info(cluster: &Resource, t: &TopicMeta, broker_ids: &[i32]) -> Value {
    json!({
        "topicArn": topic_arn(cluster, &t.name),
        "topicName": t.name,
        "partitionCount": t.partition_count,
        "replicationFactor": t.replication_factor,
        "outOfSyncReplicaCount": 0,
        "replicaIds": broker_ids,
    })
}

pub async fn handle(
    plane: &Arc<ControlPlane>,
    cluster: &Resource,
    op: &str,
    topic: &str,
    body: &Map<String, Value>,
    query: &[(String, String)],
) -> Result<Answer, Answer> {
    let cluster_id = cluster.doc["_oxbow"]["id"].as_str().unwrap_or("");
    let brokers: Vec<Arc<Broker>> = plane.provisioner.local_brokers(cluster_id).await;
    let Some(first) = brokers.first().cloned() else {
        return Err(bad("The cluster has no running brokers; the Topics API needs an ACTIVE cluster."));
    };
    let ids: Vec<i32> = brokers.iter().map(|b| b.config.node_id).collect();
    let remember = |t: &TopicMeta| {
        for b in &brokers {
            b.remember_topic(t.clone());
        }
    };
    match op {
        "ListTopics" => {
            let filter = query.iter().find(|(k, _)| k == "topicNameFilter").map(|(_, v)| v.as_str()).unwrap_or("");
            let all = first.all_topics().await.map_err(meta_error)?;
            let items: Vec<Value> =
                all.iter().filter(|t| t.name.starts_with(filter)).map(|t| info(cluster, t, &ids)).collect();
            Ok(Answer::ok(json!({"topics": items})))
        }
        "DescribeTopic" => {
            let t = first
                .meta
                .topic(topic)
                .await
                .map_err(meta_error)?
                .ok_or_else(|| meta_error(MetaError::UnknownTopic(topic.into())))?;
            let mut out = info(cluster, &t, &ids);
            out["configs"] = json!(encode_configs(&t.configs));
            out["status"] = json!("ACTIVE");
            if let Some(o) = out.as_object_mut() {
                o.remove("outOfSyncReplicaCount");
            }
            Ok(Answer::ok(out))
        }
        "CreateTopic" => {
            let name = body.get("topicName").and_then(Value::as_str).unwrap_or("");
            topic_config::validate_topic_name(name).map_err(|e| bad(&e))?;
            let partitions = body.get("partitionCount").and_then(Value::as_i64).unwrap_or(0);
            if !(1..=PARTITIONS_MAX).contains(&partitions) {
                return Err(bad(&format!("partitionCount must be from 1 to {PARTITIONS_MAX}.")));
            }
            let rf = body.get("replicationFactor").and_then(Value::as_i64).unwrap_or(0);
            if !(1..=i64::from(i16::MAX)).contains(&rf) {
                return Err(bad("replicationFactor must be at least 1."));
            }
            let configs = decode_configs(body.get("configs"))?;
            let new = NewTopic {
                name: name.to_string(),
                id: uuid::Uuid::new_v4(),
                partition_count: partitions as i32,
                replication_factor: rf as i16,
                configs,
                created_ms: oxbow_log::now_ms(),
            };
            let t = first.meta.create_topic(new).await.map_err(meta_error)?;
            remember(&t);
            Ok(Answer::ok(json!({"topicArn": topic_arn(cluster, name), "topicName": name, "status": "CREATING"})))
        }
        "UpdateTopic" => {
            let mut t = first
                .meta
                .topic(topic)
                .await
                .map_err(meta_error)?
                .ok_or_else(|| meta_error(MetaError::UnknownTopic(topic.into())))?;
            if let Some(p) = body.get("partitionCount").and_then(Value::as_i64) {
                if p < i64::from(t.partition_count) || p > PARTITIONS_MAX {
                    return Err(bad("partitionCount can only grow (up to 10000)."));
                }
                if p > i64::from(t.partition_count) {
                    t = first.meta.set_partition_count(topic, p as i32).await.map_err(meta_error)?;
                }
            }
            if body.contains_key("configs") {
                let mut configs = t.configs.clone();
                configs.extend(decode_configs(body.get("configs"))?);
                t = first.meta.set_topic_configs(topic, configs).await.map_err(meta_error)?;
            }
            remember(&t);
            Ok(Answer::ok(json!({"topicArn": topic_arn(cluster, topic), "topicName": topic, "status": "UPDATING"})))
        }
        "DeleteTopic" => {
            first.meta.delete_topic(topic, oxbow_log::now_ms()).await.map_err(meta_error)?;
            for b in &brokers {
                b.forget_topic(topic);
            }
            Ok(Answer::ok(json!({"topicArn": topic_arn(cluster, topic), "topicName": topic, "status": "DELETING"})))
        }
        _ => Err(bad("unknown topic operation")),
    }
}
