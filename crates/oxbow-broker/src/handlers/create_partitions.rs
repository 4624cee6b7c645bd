//! CreatePartitions (key 37). Follows Kafka's KRaft controller
//! (`ControllerApis.createPartitions`, `ReplicationControlManager.createPartitions`):
//! duplicate names are refused once each, a topic may only grow, manual
//! assignments must cover exactly the added partitions, and the request is
//! bounded like one controller operation. `validate_only` runs every check.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse, TopicName};
use oxbow_meta_store::MetaError;

use super::create_topics::{
    registered_brokers, validate_manual_assignment, EXCESSIVE_BATCH_MESSAGE, RECORDS_PER_OPERATION_MAX,
};
use super::s;
use crate::dispatch::RequestContext;
use crate::errors::{self, ApiError};
use crate::security::Op;
use crate::Broker;

fn result(name: &str, error: ApiError) -> CreatePartitionsTopicResult {
    CreatePartitionsTopicResult::default()
        .with_name(TopicName(s(name)))
        .with_error_code(error.code)
        .with_error_message(error.message.map(|m| s(&m)))
}

/// Kafka's checks of a partition count change against the current count.
fn check_growth(name: &str, current: i32, count: i32) -> Result<i32, ApiError> {
    if count == current {
        return Err(ApiError::new(errors::INVALID_PARTITIONS, format!("Topic already has {current} partition(s).")));
    }
    if count < current {
        return Err(ApiError::new(
            errors::INVALID_PARTITIONS,
            format!("The topic {name} currently has {current} partition(s); {count} would not be an increase."),
        ));
    }
    Ok(count - current)
}

/// The number of partitions the topic gains, once every check passed.
async fn plan(
    broker: &Broker,
    topic: &CreatePartitionsTopic,
    registered: &mut Option<Vec<i32>>,
) -> Result<i32, ApiError> {
    let name = topic.name.as_str();
    let Some(current) = broker.topic(name).await.map_err(|e| ApiError::from_meta(&e))? else {
        return Err(ApiError::bare(errors::UNKNOWN_TOPIC_OR_PARTITION));
    };
    let additional = check_growth(name, current.partition_count, topic.count)?;
    if let Some(assignments) = &topic.assignments {
        if usize::try_from(additional).ok() != Some(assignments.len()) {
            return Err(ApiError::new(
                errors::INVALID_REPLICA_ASSIGNMENT,
                format!(
                    "Attempted to add {additional} additional partition(s), but only {} assignment(s) were specified.",
                    assignments.len()
                ),
            ));
        }
        if registered.is_none() {
            *registered = Some(registered_brokers(broker).await.map_err(|e| ApiError::from_meta(&e))?);
        }
        let registered = registered.as_deref().unwrap_or_default();
        let replication_factor = usize::try_from(current.replication_factor).ok();
        for assignment in assignments {
            validate_manual_assignment(&assignment.broker_ids, replication_factor, registered)?;
        }
    }
    Ok(additional)
}

pub async fn handle(
    broker: &Arc<Broker>,
    ctx: &RequestContext,
    req: CreatePartitionsRequest,
) -> CreatePartitionsResponse {
    let mut copies: HashMap<&str, usize> = HashMap::new();
    for topic in &req.topics {
        *copies.entry(topic.name.as_str()).or_default() += 1;
    }
    let mut results = Vec::with_capacity(req.topics.len());
    // Kafka answers each duplicated name once, before the others.
    let mut seen_duplicates: HashSet<&str> = HashSet::new();
    for topic in &req.topics {
        let name = topic.name.as_str();
        if copies.get(name).copied().unwrap_or(0) > 1 && seen_duplicates.insert(name) {
            results.push(result(name, ApiError::new(errors::INVALID_REQUEST, "Duplicate topic name.")));
        }
    }

    let mut registered = None;
    let mut outcomes: Vec<(&CreatePartitionsTopic, Result<i32, ApiError>)> = Vec::new();
    for topic in req.topics.iter().filter(|t| copies.get(t.name.as_str()).copied().unwrap_or(0) == 1) {
        if !broker.security.authorize_topic(ctx, Op::Alter, topic.name.as_str()) {
            outcomes.push((topic, Err(ApiError::new(errors::TOPIC_AUTHORIZATION_FAILED, "Authorization failed."))));
            continue;
        }
        outcomes.push((topic, plan(broker, topic, &mut registered).await));
    }

    // One metadata record per new partition, bounded as one controller operation.
    let records: usize =
        outcomes.iter().filter_map(|(_, o)| o.as_ref().ok()).map(|a| usize::try_from(*a).unwrap_or(usize::MAX)).sum();
    if records > RECORDS_PER_OPERATION_MAX {
        let results = req
            .topics
            .iter()
            .map(|t| result(t.name.as_str(), ApiError::new(errors::POLICY_VIOLATION, EXCESSIVE_BATCH_MESSAGE)))
            .collect();
        return CreatePartitionsResponse::default().with_results(results);
    }

    for (topic, outcome) in outcomes {
        let name = topic.name.as_str();
        if let Err(error) = outcome {
            results.push(result(name, error));
            continue;
        }
        if req.validate_only {
            results.push(result(name, ApiError::bare(errors::NONE)));
            continue;
        }
        match broker.meta.set_partition_count(name, topic.count).await {
            Ok(updated) => {
                tracing::info!(topic = name, partitions = updated.partition_count, "added partitions");
                broker.remember_topic(updated);
                results.push(result(name, ApiError::bare(errors::NONE)));
            }
            Err(MetaError::UnknownTopic(_) | MetaError::UnknownTopicOrPartition) => {
                broker.forget_topic(name);
                results.push(result(name, ApiError::bare(errors::UNKNOWN_TOPIC_OR_PARTITION)));
            }
            Err(MetaError::InvalidPartitions(_)) => {
                // Grown meanwhile by another broker: answer from the store's count.
                let error = match broker.meta.topic(name).await {
                    Ok(Some(current)) => {
                        let count = current.partition_count;
                        broker.remember_topic(current);
                        check_growth(name, count, topic.count).err()
                    }
                    _ => None,
                };
                results.push(result(name, error.unwrap_or_else(|| ApiError::bare(errors::INVALID_PARTITIONS))));
            }
            Err(e) => results.push(result(name, ApiError::from_meta(&e))),
        }
    }
    CreatePartitionsResponse::default().with_results(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_only_grow_with_kafkas_messages() {
        assert_eq!(check_growth("t", 2, 5), Ok(3));
        let same = check_growth("t", 2, 2).expect_err("same");
        assert_eq!(
            (same.code, same.message.as_deref()),
            (errors::INVALID_PARTITIONS, Some("Topic already has 2 partition(s)."))
        );
        let fewer = check_growth("t", 4, 3).expect_err("fewer");
        assert_eq!(
            fewer.message.as_deref(),
            Some("The topic t currently has 4 partition(s); 3 would not be an increase.")
        );
    }
}
