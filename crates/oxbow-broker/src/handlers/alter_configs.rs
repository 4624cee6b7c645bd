//! AlterConfigs (key 33), the legacy API: a TOPIC resource's configs are
//! replaced by exactly the configs given (omitted ones go back to their
//! defaults). Checks follow Kafka: the broker's `ConfigAdminManager.preprocess`
//! (duplicate resources, duplicate keys, null values, resource type), then the
//! controller's validation (topic name, config names and values) and only
//! then the topic's existence. BROKER resources are refused: Oxbow has no
//! dynamic broker configs yet. The helpers here are shared with
//! IncrementalAlterConfigs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use kafka_protocol::messages::alter_configs_request::AlterConfigsResource;
use kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{AlterConfigsRequest, AlterConfigsResponse};
use oxbow_meta_store::{MetaError, TopicMeta};

use super::describe_configs::resource;
use super::s;
use crate::dispatch::RequestContext;
use crate::errors::{self, ApiError};
use crate::security::Op;
use crate::{topic_config, Broker};

/// Config changes are read-modify-write against the store; this keeps two
/// requests on this broker from losing each other's changes.
static CONFIG_WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Which resources of a request appear more than once (by type and name).
pub(crate) fn repeated_resources<'a>(resources: impl Iterator<Item = (i8, &'a str)> + Clone) -> Vec<bool> {
    let mut count: HashMap<(i8, &str), usize> = HashMap::new();
    for key in resources.clone() {
        *count.entry(key).or_default() += 1;
    }
    resources.map(|key| count.get(&key).copied().unwrap_or(0) > 1).collect()
}

pub(crate) fn repeated_resource_error() -> ApiError {
    ApiError::new(errors::INVALID_REQUEST, "Each resource must appear at most once.")
}

/// Kafka's duplicate-key and null-value checks, in its order. `needs_value`
/// says whether a config's operation needs a value (all but DELETE).
pub(crate) fn check_shape<'a>(
    configs: impl Iterator<Item = (&'a str, Option<&'a str>, bool)> + Clone,
) -> Result<(), ApiError> {
    let mut names = HashSet::new();
    if !configs.clone().all(|(name, _, _)| names.insert(name)) {
        return Err(ApiError::new(errors::INVALID_REQUEST, "Error due to duplicate config keys"));
    }
    let nulls: Vec<&str> =
        configs.filter(|(_, v, needs_value)| *needs_value && v.is_none()).map(|(n, _, _)| n).collect();
    if !nulls.is_empty() {
        return Err(ApiError::new(
            errors::INVALID_REQUEST,
            format!("Null value not supported for : {}", nulls.join(", ")),
        ));
    }
    Ok(())
}

/// Kafka's `validateResourceNameIsCurrentNodeId`.
pub(crate) fn check_node_id(broker: &Broker, name: &str) -> Result<(), ApiError> {
    let id = name.parse::<i32>().map_err(|_| {
        ApiError::new(errors::INVALID_REQUEST, format!("Node id must be an integer, but it is: {name}"))
    })?;
    let node_id = broker.config.node_id;
    if id != node_id {
        return Err(ApiError::new(
            errors::INVALID_REQUEST,
            format!("Unexpected broker id, expected {node_id}, but received {name}"),
        ));
    }
    Ok(())
}

/// A BROKER resource: the name must be empty (cluster default) or this
/// broker's id, and then the change is refused, honestly.
pub(crate) fn refuse_broker_resource(broker: &Broker, name: &str) -> ApiError {
    if !name.is_empty() {
        if let Err(e) = check_node_id(broker, name) {
            return e;
        }
    }
    ApiError::new(errors::INVALID_REQUEST, "Oxbow does not support dynamic broker configs yet")
}

pub(crate) fn unknown_resource_type(id: i8) -> ApiError {
    ApiError::new(errors::INVALID_REQUEST, format!("Unknown resource type {id}"))
}

/// The controller's checks of a topic resource's resulting configs
/// (`ControllerConfigurationValidator` and `LogConfig.validate`): names
/// first, then values; `changed` (in request order) before the rest.
pub(crate) fn validate_topic_configs(
    topic: &str,
    configs: &BTreeMap<String, String>,
    changed: &[&str],
) -> Result<(), ApiError> {
    if topic.is_empty() {
        return Err(ApiError::new(errors::INVALID_REQUEST, "Default topic resources are not allowed."));
    }
    topic_config::validate_topic_name(topic).map_err(|m| ApiError::new(errors::INVALID_TOPIC_EXCEPTION, m))?;
    let changed_set: HashSet<&str> = changed.iter().copied().collect();
    let ordered = changed
        .iter()
        .filter_map(|name| configs.get_key_value(*name))
        .chain(configs.iter().filter(|(name, _)| !changed_set.contains(name.as_str())));
    for (name, _) in ordered.clone() {
        if topic_config::def(name).is_none() {
            return Err(ApiError::new(errors::INVALID_CONFIG, format!("Unknown topic config name: {name}")));
        }
    }
    for (name, value) in ordered {
        topic_config::validate(name, value).map_err(|m| ApiError::new(errors::INVALID_CONFIG, m))?;
    }
    Ok(())
}

pub(crate) fn topic_does_not_exist(name: &str) -> ApiError {
    ApiError::new(errors::UNKNOWN_TOPIC_OR_PARTITION, format!("The topic '{name}' does not exist."))
}

/// Changes a topic's explicitly-set configs to what `change` makes of the
/// current ones (read from the store under [`CONFIG_WRITES`]), after
/// validating the result, as Kafka's controller does.
pub(crate) async fn alter_topic_configs<'n>(
    broker: &Broker,
    name: &str,
    validate_only: bool,
    change: impl FnOnce(&BTreeMap<String, String>) -> Result<(BTreeMap<String, String>, Vec<&'n str>), ApiError>,
) -> Result<(), ApiError> {
    let _writes = CONFIG_WRITES.lock().await;
    // Read the store, not the cache: another broker may have changed the configs.
    let current: Option<TopicMeta> =
        if name.is_empty() { None } else { broker.meta.topic(name).await.map_err(|e| ApiError::from_meta(&e))? };
    let empty = BTreeMap::new();
    let (configs, changed) = change(current.as_ref().map_or(&empty, |t| &t.configs))?;
    validate_topic_configs(name, &configs, &changed)?;
    let Some(current) = current else {
        broker.forget_topic(name);
        return Err(topic_does_not_exist(name));
    };
    if validate_only || configs == current.configs {
        broker.remember_topic(current);
        return Ok(());
    }
    match broker.meta.set_topic_configs(name, configs).await {
        Ok(updated) => {
            tracing::info!(topic = name, configs = ?updated.configs, "altered topic configs");
            broker.remember_topic(updated);
            Ok(())
        }
        Err(MetaError::UnknownTopic(_) | MetaError::UnknownTopicOrPartition) => {
            broker.forget_topic(name);
            Err(topic_does_not_exist(name))
        }
        Err(e) => Err(ApiError::from_meta(&e)),
    }
}

async fn alter(broker: &Broker, r: &AlterConfigsResource, repeated: bool, validate_only: bool) -> Result<(), ApiError> {
    if repeated {
        return Err(repeated_resource_error());
    }
    check_shape(r.configs.iter().map(|c| (c.name.as_str(), c.value.as_deref(), true)))?;
    let name = r.resource_name.as_str();
    match r.resource_type {
        resource::TOPIC => {}
        resource::BROKER => return Err(refuse_broker_resource(broker, name)),
        // Legacy AlterConfigs never supported BROKER_LOGGER either.
        other => return Err(unknown_resource_type(other)),
    }
    alter_topic_configs(broker, name, validate_only, |_current| {
        let configs: BTreeMap<String, String> = r
            .configs
            .iter()
            .map(|c| (c.name.to_string(), c.value.as_deref().unwrap_or_default().to_string()))
            .collect();
        Ok((configs, r.configs.iter().map(|c| c.name.as_str()).collect()))
    })
    .await
}

pub(crate) fn response_message(error: Option<ApiError>) -> (i16, Option<kafka_protocol::protocol::StrBytes>) {
    match error {
        None => (errors::NONE, None),
        Some(e) => (e.code, e.message.map(|m| s(&m))),
    }
}

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: AlterConfigsRequest) -> AlterConfigsResponse {
    let repeated = repeated_resources(req.resources.iter().map(|r| (r.resource_type, r.resource_name.as_str())));
    let mut responses = Vec::with_capacity(req.resources.len());
    for (r, repeated) in req.resources.iter().zip(repeated) {
        let denied =
            broker.security.config_resource_error(ctx, r.resource_type, r.resource_name.as_str(), Op::AlterConfigs);
        let (code, message) = match denied {
            Some(code) => (code, None),
            None => response_message(alter(broker, r, repeated, req.validate_only).await.err()),
        };
        responses.push(
            AlterConfigsResourceResponse::default()
                .with_error_code(code)
                .with_error_message(message)
                .with_resource_type(r.resource_type)
                .with_resource_name(r.resource_name.clone()),
        );
    }
    AlterConfigsResponse::default().with_responses(responses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_checks_come_in_kafkas_order() {
        let dup = check_shape([("a", Some("1"), true), ("a", None, true)].into_iter()).expect_err("dup");
        assert_eq!(dup.message.as_deref(), Some("Error due to duplicate config keys"));
        let nulls =
            check_shape([("a", None, true), ("b", None, false), ("c", None, true)].into_iter()).expect_err("nulls");
        assert_eq!(
            (nulls.code, nulls.message.as_deref()),
            (errors::INVALID_REQUEST, Some("Null value not supported for : a, c"))
        );
        assert!(check_shape([("a", Some("1"), true), ("b", None, false)].into_iter()).is_ok());
    }

    #[test]
    fn repeated_resources_are_all_flagged() {
        let flags = repeated_resources([(2, "t"), (4, "t"), (2, "t"), (2, "u")].into_iter());
        assert_eq!(flags, vec![true, false, true, false]);
    }

    #[test]
    fn topic_configs_are_validated_names_first() {
        let mut configs = BTreeMap::new();
        configs.insert("retention.ms".to_string(), "abc".to_string());
        configs.insert("zzz".to_string(), "1".to_string());
        let err = validate_topic_configs("t", &configs, &["retention.ms", "zzz"]).expect_err("bad");
        assert_eq!(
            (err.code, err.message.as_deref()),
            (errors::INVALID_CONFIG, Some("Unknown topic config name: zzz"))
        );
        configs.remove("zzz");
        let err = validate_topic_configs("t", &configs, &[]).expect_err("bad value");
        assert_eq!(err.code, errors::INVALID_CONFIG);
        let err = validate_topic_configs("", &BTreeMap::new(), &[]).expect_err("default resource");
        assert_eq!(err.message.as_deref(), Some("Default topic resources are not allowed."));
    }
}
