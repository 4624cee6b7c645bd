//! IncrementalAlterConfigs (key 44): SET, DELETE, APPEND and SUBTRACT applied
//! to a topic's explicitly-set configs, as Kafka's
//! `ConfigurationControlManager.incrementalAlterConfigResource` does; the
//! resulting configs are validated as a whole before the topic's existence
//! is checked. APPEND and SUBTRACT work on list configs only, starting from
//! the default when the topic has no value of its own. BROKER resources are
//! refused (no dynamic broker configs yet), as are BROKER_LOGGER ones.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use kafka_protocol::messages::incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse};

use super::alter_configs::{
    alter_topic_configs, check_node_id, check_shape, refuse_broker_resource, repeated_resource_error,
    repeated_resources, response_message, unknown_resource_type,
};
use super::describe_configs::resource;
use crate::dispatch::RequestContext;
use crate::errors::{self, ApiError};
use crate::security::Op;
use crate::topic_config::{self, ConfigType};
use crate::Broker;

/// Kafka's `AlterConfigOp.OpType` ids.
const SET: i8 = 0;
const DELETE: i8 = 1;
const APPEND: i8 = 2;
const SUBTRACT: i8 = 3;

/// Java's `String.split(",")`: trailing empty strings are dropped, but an
/// empty string is one empty part.
fn java_split(value: &str) -> Vec<&str> {
    if value.is_empty() {
        return vec![""];
    }
    let mut parts: Vec<&str> = value.split(',').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    parts
}

/// The explicitly-set configs after applying `ops` (name, operation, value) to `current`.
fn apply_ops<'a>(
    current: &BTreeMap<String, String>,
    ops: impl Iterator<Item = (&'a str, i8, Option<&'a str>)>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let mut configs = current.clone();
    for (name, op, value) in ops {
        match op {
            SET => {
                configs.insert(name.to_string(), value.unwrap_or_default().to_string());
            }
            DELETE => {
                configs.remove(name);
            }
            APPEND | SUBTRACT => {
                let op_name = if op == APPEND { "APPEND" } else { "SUBTRACT" };
                if topic_config::def(name).map(|d| d.config_type) != Some(ConfigType::List) {
                    return Err(ApiError::new(
                        errors::INVALID_CONFIG,
                        format!("Can't {op_name} to key {name} because its type is not LIST."),
                    ));
                }
                // Kafka's `getParts`: the current value, else the config's default, without empty parts.
                let base = match configs.get(name) {
                    Some(v) => v.clone(),
                    None => topic_config::broker_default(name, &crate::config::BrokerConfig::default()).0,
                };
                let mut parts: Vec<String> = base.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect();
                let given = java_split(value.unwrap_or_default());
                if op == APPEND {
                    let mut present: HashSet<String> = parts.iter().cloned().collect();
                    for part in given {
                        if present.insert(part.to_string()) {
                            parts.push(part.to_string());
                        }
                    }
                } else {
                    // Each given value removes its first remaining occurrence (Java's `List.remove`).
                    let mut removals: HashMap<&str, usize> = HashMap::new();
                    for part in given {
                        *removals.entry(part).or_default() += 1;
                    }
                    parts.retain(|p| match removals.get_mut(p.as_str()) {
                        Some(n) if *n > 0 => {
                            *n -= 1;
                            false
                        }
                        _ => true,
                    });
                }
                configs.insert(name.to_string(), parts.join(","));
            }
            other => {
                return Err(ApiError::new(errors::INVALID_REQUEST, format!("Unknown operations type {other}")));
            }
        }
    }
    Ok(configs)
}

fn ops(configs: &[AlterableConfig]) -> impl Iterator<Item = (&str, i8, Option<&str>)> {
    configs.iter().map(|c| (c.name.as_str(), c.config_operation, c.value.as_deref()))
}

async fn alter(broker: &Broker, r: &AlterConfigsResource, repeated: bool, validate_only: bool) -> Result<(), ApiError> {
    if repeated {
        return Err(repeated_resource_error());
    }
    check_shape(r.configs.iter().map(|c| (c.name.as_str(), c.value.as_deref(), c.config_operation != DELETE)))?;
    let name = r.resource_name.as_str();
    match r.resource_type {
        resource::TOPIC => {}
        resource::BROKER => return Err(refuse_broker_resource(broker, name)),
        resource::BROKER_LOGGER => {
            check_node_id(broker, name)?;
            // Oxbow logs through `tracing`; levels are set with RUST_LOG at start.
            return Err(ApiError::new(errors::INVALID_REQUEST, "Oxbow does not support changing log levels yet"));
        }
        other => return Err(unknown_resource_type(other)),
    }
    alter_topic_configs(broker, name, validate_only, |current| {
        let configs = apply_ops(current, ops(&r.configs))?;
        Ok((configs, r.configs.iter().map(|c| c.name.as_str()).collect()))
    })
    .await
}

pub async fn handle(
    broker: &Arc<Broker>,
    ctx: &RequestContext,
    req: IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
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
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn set_and_delete_change_the_explicit_configs() {
        let current = map(&[("retention.ms", "1"), ("segment.ms", "5")]);
        let ops = [("retention.ms", SET, Some("2")), ("segment.ms", DELETE, None), ("no.such", DELETE, None)];
        let got = apply_ops(&current, ops.into_iter()).expect("applied");
        assert_eq!(got, map(&[("retention.ms", "2")]));
    }

    #[test]
    fn append_and_subtract_need_a_list_and_start_from_the_default() {
        let err = apply_ops(&BTreeMap::new(), [("retention.ms", APPEND, Some("1"))].into_iter()).expect_err("not list");
        assert_eq!(
            (err.code, err.message.as_deref()),
            (errors::INVALID_CONFIG, Some("Can't APPEND to key retention.ms because its type is not LIST."))
        );
        let appended =
            apply_ops(&BTreeMap::new(), [("cleanup.policy", APPEND, Some("compact,delete"))].into_iter()).expect("ok");
        assert_eq!(appended, map(&[("cleanup.policy", "delete,compact")]));
        let subtracted = apply_ops(&appended, [("cleanup.policy", SUBTRACT, Some("compact"))].into_iter()).expect("ok");
        assert_eq!(subtracted, map(&[("cleanup.policy", "delete")]));
        let unknown_op = apply_ops(&BTreeMap::new(), [("retention.ms", 9, Some("1"))].into_iter()).expect_err("op");
        assert_eq!(unknown_op.code, errors::INVALID_REQUEST);
    }

    #[test]
    fn java_split_drops_trailing_empties() {
        assert_eq!(java_split("a,,b,,"), vec!["a", "", "b"]);
        assert_eq!(java_split(""), vec![""]);
    }
}
