//! CreateTopics (key 19). Follows Kafka's KRaft controller
//! (`ControllerApis.createTopics` and `ReplicationControlManager.createTopics`):
//! duplicate names are refused once each, then every topic is checked in
//! Kafka's order (name, existence, configs, assignment / replication factor /
//! partition count), the whole request is bounded like one controller
//! operation, and only then are the valid topics created. `validate_only`
//! runs every check and creates nothing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::create_topics_response::{CreatableTopicConfigs, CreatableTopicResult};
use kafka_protocol::messages::{BrokerId, CreateTopicsRequest, CreateTopicsResponse, TopicName};
use oxbow_meta_store::{MetaError, NewTopic, TopicMeta};
use uuid::Uuid;

use super::s;
use crate::dispatch::RequestContext;
use crate::errors::{self, ApiError};
use crate::security::Op;
use crate::{topic_config, Broker};

/// Kafka's controller refuses one user operation that would write more than
/// this many metadata records (`QuorumController.MAX_RECORDS_PER_USER_OP`).
pub(crate) const RECORDS_PER_OPERATION_MAX: usize = 10_000;
/// The message Kafka gives the `PolicyViolationException` for that.
pub(crate) const EXCESSIVE_BATCH_MESSAGE: &str = "Unable to perform excessively large batch operation.";

/// A topic that passed every check.
struct Plan {
    id: Uuid,
    partition_count: i32,
    replication_factor: i16,
    configs: BTreeMap<String, String>,
}

impl Plan {
    /// Records Kafka's controller would write: the topic, its configs, its partitions.
    fn records(&self) -> usize {
        1 + self.configs.len() + usize::try_from(self.partition_count).unwrap_or(usize::MAX)
    }
}

/// Brokers a manual assignment may name: every live registration, and this
/// broker even before its registration is written.
pub(crate) async fn registered_brokers(broker: &Broker) -> Result<Vec<i32>, MetaError> {
    let mut ids: Vec<i32> =
        broker.meta.live_brokers(oxbow_log::now_ms()).await?.into_iter().map(|b| b.node_id).collect();
    if !ids.contains(&broker.config.node_id) {
        ids.push(broker.config.node_id);
    }
    Ok(ids)
}

/// Kafka's `ReplicationControlManager.validateManualPartitionAssignment`:
/// a non-empty list of distinct registered brokers, as long as the lists
/// before it (`replication_factor`, when known).
pub(crate) fn validate_manual_assignment(
    replicas: &[BrokerId],
    replication_factor: Option<usize>,
    registered: &[i32],
) -> Result<(), ApiError> {
    let refuse = |message: String| Err(ApiError::new(errors::INVALID_REPLICA_ASSIGNMENT, message));
    if replicas.is_empty() {
        return refuse("The manual partition assignment includes an empty replica list.".into());
    }
    let mut sorted: Vec<i32> = replicas.iter().map(|b| b.0).collect();
    sorted.sort_unstable();
    let mut previous = None;
    for &id in &sorted {
        if !registered.contains(&id) {
            return refuse(format!(
                "The manual partition assignment includes broker {id}, but no such broker is registered."
            ));
        }
        if previous == Some(id) {
            return refuse(format!("The manual partition assignment includes the broker {id} more than once."));
        }
        previous = Some(id);
    }
    match replication_factor {
        Some(rf) if rf != sorted.len() => refuse(format!(
            "The manual partition assignment includes a partition with {} replica(s), but this is not consistent with previous partitions, which have {rf} replica(s).",
            sorted.len()
        )),
        _ => Ok(()),
    }
}

/// Kafka's `Topic.unifyCollisionChars`: '.' and '_' may collide in metric names.
fn unify_collision_chars(name: &str) -> String {
    name.replace('.', "_")
}

/// Everything a request looks up at most once.
struct Lookups {
    all_topics: Option<Vec<Arc<TopicMeta>>>,
    registered: Option<Vec<i32>>,
}

async fn check_name(broker: &Broker, name: &str, lookups: &mut Lookups) -> Result<(), ApiError> {
    topic_config::validate_topic_name(name).map_err(|m| ApiError::new(errors::INVALID_TOPIC_EXCEPTION, m))?;
    if broker.topic(name).await.map_err(|e| ApiError::from_meta(&e))?.is_some() {
        return Err(ApiError::new(errors::TOPIC_ALREADY_EXISTS, format!("Topic '{name}' already exists.")));
    }
    if name.contains(['.', '_']) {
        if lookups.all_topics.is_none() {
            lookups.all_topics = Some(broker.all_topics().await.map_err(|e| ApiError::from_meta(&e))?);
        }
        let unified = unify_collision_chars(name);
        let colliding = lookups
            .all_topics
            .iter()
            .flatten()
            .map(|t| t.name.as_str())
            .filter(|other| *other != name && unify_collision_chars(other) == unified)
            .min();
        if let Some(other) = colliding {
            return Err(ApiError::new(
                errors::INVALID_TOPIC_EXCEPTION,
                format!("Topic '{name}' collides with existing topic: {other}"),
            ));
        }
    }
    Ok(())
}

/// The configs a new topic is created with, checked as Kafka checks them.
pub(crate) fn check_creation_configs<'a>(
    configs: impl Iterator<Item = (&'a str, Option<&'a str>)> + Clone,
) -> Result<BTreeMap<String, String>, ApiError> {
    let nulls: Vec<&str> = configs.clone().filter(|(_, v)| v.is_none()).map(|(n, _)| n).collect();
    if !nulls.is_empty() {
        return Err(ApiError::new(
            errors::INVALID_CONFIG,
            format!("Null value not supported for topic configs: {}", nulls.join(",")),
        ));
    }
    let mut set = BTreeMap::new();
    for (name, value) in configs {
        let value = value.unwrap_or_default();
        topic_config::validate(name, value).map_err(|m| ApiError::new(errors::INVALID_CONFIG, m))?;
        // A name given twice: the last value wins, as in Kafka.
        set.insert(name.to_string(), value.to_string());
    }
    Ok(set)
}

/// Partition count and replication factor, as `ReplicationControlManager.createTopic` decides them.
async fn check_layout(broker: &Broker, topic: &CreatableTopic, lookups: &mut Lookups) -> Result<(i32, i16), ApiError> {
    if !topic.assignments.is_empty() {
        if topic.replication_factor != -1 {
            return Err(ApiError::new(
                errors::INVALID_REQUEST,
                "A manual partition assignment was specified, but replication factor was not set to -1.",
            ));
        }
        if topic.num_partitions != -1 {
            return Err(ApiError::new(
                errors::INVALID_REQUEST,
                "A manual partition assignment was specified, but numPartitions was not set to -1.",
            ));
        }
        if lookups.registered.is_none() {
            lookups.registered = Some(registered_brokers(broker).await.map_err(|e| ApiError::from_meta(&e))?);
        }
        let registered = lookups.registered.as_deref().unwrap_or_default();
        let mut seen = HashSet::new();
        let mut replication_factor = None;
        for assignment in &topic.assignments {
            if !seen.insert(assignment.partition_index) {
                return Err(ApiError::new(
                    errors::INVALID_REPLICA_ASSIGNMENT,
                    format!("Found multiple manual partition assignments for partition {}", assignment.partition_index),
                ));
            }
            validate_manual_assignment(&assignment.broker_ids, replication_factor, registered)?;
            replication_factor = Some(assignment.broker_ids.len());
        }
        let count = i32::try_from(seen.len()).unwrap_or(i32::MAX);
        if (0..count).any(|p| !seen.contains(&p)) {
            return Err(ApiError::new(
                errors::INVALID_REPLICA_ASSIGNMENT,
                "partitions should be a consecutive 0-based integer sequence",
            ));
        }
        // Replicas are distinct registered brokers, so the count fits.
        let rf = replication_factor.and_then(|rf| i16::try_from(rf).ok()).unwrap_or(i16::MAX);
        return Ok((count, rf));
    }
    if topic.replication_factor < -1 || topic.replication_factor == 0 {
        return Err(ApiError::new(
            errors::INVALID_REPLICATION_FACTOR,
            "Replication factor must be larger than 0, or -1 to use the default value.",
        ));
    }
    if topic.num_partitions < -1 || topic.num_partitions == 0 {
        return Err(ApiError::new(
            errors::INVALID_PARTITIONS,
            "Number of partitions was set to an invalid non-positive value.",
        ));
    }
    let count = if topic.num_partitions == -1 { broker.config.num_partitions } else { topic.num_partitions };
    let rf = if topic.replication_factor == -1 {
        broker.config.default_replication_factor
    } else {
        topic.replication_factor
    };
    // Durability comes from the object and metadata stores, not from copies
    // on brokers, so a replication factor above the broker count is accepted
    // and recorded (Kafka's replica placer would refuse it).
    Ok((count, rf))
}

async fn plan(broker: &Broker, topic: &CreatableTopic, lookups: &mut Lookups) -> Result<Plan, ApiError> {
    check_name(broker, topic.name.as_str(), lookups).await?;
    let configs = check_creation_configs(topic.configs.iter().map(|c| (c.name.as_str(), c.value.as_deref())))?;
    let (partition_count, replication_factor) = check_layout(broker, topic, lookups).await?;
    Ok(Plan { id: Uuid::new_v4(), partition_count, replication_factor, configs })
}

fn refused(name: &str, error: ApiError) -> CreatableTopicResult {
    CreatableTopicResult::default()
        .with_name(TopicName(s(name)))
        .with_error_code(error.code)
        .with_error_message(error.message.map(|m| s(&m)))
}

fn created(broker: &Broker, name: &str, plan: &Plan) -> CreatableTopicResult {
    let mut configs: Vec<CreatableTopicConfigs> = topic_config::effective(&plan.configs, &broker.config)
        .into_iter()
        .map(|c| {
            CreatableTopicConfigs::default()
                .with_name(s(c.name))
                .with_value(Some(s(&c.value)))
                .with_read_only(false)
                .with_config_source(c.source)
                .with_is_sensitive(false)
        })
        .collect();
    configs.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
    CreatableTopicResult::default()
        .with_name(TopicName(s(name)))
        .with_topic_id(plan.id)
        .with_error_code(errors::NONE)
        .with_error_message(None)
        .with_topic_config_error_code(errors::NONE)
        .with_num_partitions(plan.partition_count)
        .with_replication_factor(plan.replication_factor)
        .with_configs(Some(configs))
}

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: CreateTopicsRequest) -> CreateTopicsResponse {
    // CREATE on the cluster allows every topic; otherwise CREATE on each topic (as Kafka).
    let cluster_create = broker.security.authorize_cluster(ctx, Op::Create);
    let mut copies: HashMap<&str, usize> = HashMap::new();
    for topic in &req.topics {
        *copies.entry(topic.name.as_str()).or_default() += 1;
    }
    let mut duplicates: Vec<&str> = Vec::new();
    let mut seen_duplicates: HashSet<&str> = HashSet::new();
    let mut lookups = Lookups { all_topics: None, registered: None };
    let mut outcomes: Vec<(&str, Result<Plan, ApiError>)> = Vec::new();
    for topic in &req.topics {
        let name = topic.name.as_str();
        if copies.get(name).copied().unwrap_or(0) > 1 {
            if seen_duplicates.insert(name) {
                duplicates.push(name);
            }
            continue;
        }
        if !cluster_create && !broker.security.authorize_topic(ctx, Op::Create, name) {
            outcomes.push((name, Err(ApiError::new(errors::TOPIC_AUTHORIZATION_FAILED, "Authorization failed."))));
            continue;
        }
        outcomes.push((name, plan(broker, topic, &mut lookups).await));
    }

    let records: usize = outcomes.iter().filter_map(|(_, o)| o.as_ref().ok()).map(Plan::records).sum();
    if records > RECORDS_PER_OPERATION_MAX {
        // Kafka fails the whole controller operation; every topic of the request gets the error.
        let results = req
            .topics
            .iter()
            .map(|t| refused(t.name.as_str(), ApiError::new(errors::POLICY_VIOLATION, EXCESSIVE_BATCH_MESSAGE)))
            .collect();
        return CreateTopicsResponse::default().with_topics(results);
    }

    let mut results = Vec::with_capacity(req.topics.len());
    for (name, outcome) in outcomes {
        let plan = match outcome {
            Ok(plan) => plan,
            Err(error) => {
                results.push(refused(name, error));
                continue;
            }
        };
        if req.validate_only {
            results.push(created(broker, name, &plan));
            continue;
        }
        let new = NewTopic {
            name: name.to_string(),
            id: plan.id,
            partition_count: plan.partition_count,
            replication_factor: plan.replication_factor,
            configs: plan.configs.clone(),
            created_ms: oxbow_log::now_ms(),
        };
        match broker.meta.create_topic(new).await {
            Ok(topic) => {
                tracing::info!(topic = name, id = %topic.id, partitions = topic.partition_count, "created topic");
                let plan = Plan {
                    id: topic.id,
                    partition_count: topic.partition_count,
                    replication_factor: topic.replication_factor,
                    configs: topic.configs.clone(),
                };
                broker.remember_topic(topic);
                results.push(created(broker, name, &plan));
            }
            Err(MetaError::TopicExists(_)) => results.push(refused(
                name,
                ApiError::new(errors::TOPIC_ALREADY_EXISTS, format!("Topic '{name}' already exists.")),
            )),
            Err(e) => results.push(refused(name, ApiError::from_meta(&e))),
        }
    }
    // Kafka answers each duplicated name once, after the others.
    for name in duplicates {
        results.push(refused(name, ApiError::new(errors::INVALID_REQUEST, "Duplicate topic name.")));
    }
    CreateTopicsResponse::default().with_topics(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[i32]) -> Vec<BrokerId> {
        v.iter().map(|&i| BrokerId(i)).collect()
    }

    #[test]
    fn manual_assignments_are_checked_as_kafka_does() {
        let registered = [1, 2, 3];
        assert!(validate_manual_assignment(&ids(&[1, 2]), None, &registered).is_ok());
        assert!(validate_manual_assignment(&ids(&[2, 1]), Some(2), &registered).is_ok());
        let err = |v: &[i32], rf| validate_manual_assignment(&ids(v), rf, &registered).expect_err("refused");
        assert_eq!(
            err(&[], None).message.as_deref(),
            Some("The manual partition assignment includes an empty replica list.")
        );
        let unknown = err(&[1, 7], None);
        assert_eq!(unknown.code, errors::INVALID_REPLICA_ASSIGNMENT);
        assert_eq!(
            unknown.message.as_deref(),
            Some("The manual partition assignment includes broker 7, but no such broker is registered.")
        );
        assert_eq!(
            err(&[2, 2], None).message.as_deref(),
            Some("The manual partition assignment includes the broker 2 more than once.")
        );
        assert_eq!(
            err(&[1, 2], Some(1)).message.as_deref(),
            Some("The manual partition assignment includes a partition with 2 replica(s), but this is not consistent with previous partitions, which have 1 replica(s).")
        );
    }

    #[test]
    fn creation_configs_refuse_nulls_then_bad_values() {
        let nulls = check_creation_configs([("retention.ms", None), ("a", Some("1")), ("b", None)].into_iter())
            .expect_err("nulls");
        assert_eq!(
            (nulls.code, nulls.message.as_deref()),
            (errors::INVALID_CONFIG, Some("Null value not supported for topic configs: retention.ms,b"))
        );
        let unknown = check_creation_configs([("no.such", Some("1"))].into_iter()).expect_err("unknown");
        assert_eq!(unknown.message.as_deref(), Some("Unknown topic config name: no.such"));
        let ok = check_creation_configs([("retention.ms", Some("1")), ("retention.ms", Some("2"))].into_iter())
            .expect("valid");
        assert_eq!(ok.get("retention.ms").map(String::as_str), Some("2"));
    }

    #[test]
    fn collision_chars_unify_dots_and_underscores() {
        assert_eq!(unify_collision_chars("a.b_c"), unify_collision_chars("a_b.c"));
        assert_ne!(unify_collision_chars("a.b"), unify_collision_chars("ab"));
    }
}
