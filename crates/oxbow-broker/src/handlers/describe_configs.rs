//! DescribeConfigs (key 32). Follows Kafka's `ConfigHelper.describeConfigs`:
//! a topic's configs with their effective values and sources; this broker's
//! static configs for BROKER resource `<node id>` and its (empty) dynamic
//! cluster defaults for BROKER resource `""`. `configuration_keys` null or
//! empty means every config; unknown keys are simply absent. Synonyms only
//! when asked for, documentation (v3+) only when asked for.

use std::collections::HashMap;
use std::sync::Arc;

use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};
use kafka_protocol::protocol::StrBytes;

use super::s;
use crate::config::BrokerConfig;
use crate::dispatch::RequestContext;
use crate::errors::{self, ApiError};
use crate::security::Op;
use crate::topic_config::{self, source, ConfigType};
use crate::Broker;

/// Kafka's `ConfigResource.Type` ids.
pub(crate) mod resource {
    pub const TOPIC: i8 = 2;
    pub const BROKER: i8 = 4;
    pub const BROKER_LOGGER: i8 = 8;

    /// The name Kafka's messages use for a resource type.
    pub fn type_name(id: i8) -> &'static str {
        match id {
            TOPIC => "TOPIC",
            BROKER => "BROKER",
            BROKER_LOGGER => "BROKER_LOGGER",
            16 => "CLIENT_METRICS",
            32 => "GROUP",
            _ => "UNKNOWN",
        }
    }
}

/// DescribeConfigs `config_type` for broker configs (Kafka's `ConfigDef.Type`).
fn broker_config_type(name: &str) -> i8 {
    let t = match name {
        "auto.create.topics.enable" => ConfigType::Boolean,
        "node.id"
        | "num.partitions"
        | "default.replication.factor"
        | "message.max.bytes"
        | "min.insync.replicas"
        | "socket.request.max.bytes"
        | "fetch.max.bytes"
        | "max.connections"
        | "oxbow.flush.bytes" => ConfigType::Int,
        "log.retention.ms"
        | "log.retention.bytes"
        | "log.retention.check.interval.ms"
        | "oxbow.flush.interval.ms"
        | "oxbow.read.cache.bytes"
        | "oxbow.object.gc.grace.ms"
        | "oxbow.batch.decompressed.bytes.max" => ConfigType::Long,
        "log.cleanup.policy" => ConfigType::List,
        _ => ConfigType::String,
    };
    t as i8
}

fn broker_config_doc(name: &str) -> &'static str {
    match name {
        "node.id" => "The id of this broker.",
        "broker.rack" => "The rack (availability zone) of this broker.",
        "auto.create.topics.enable" => "Create a topic when a client asks for metadata of a topic that does not exist.",
        "num.partitions" => "The default number of partitions of a new topic.",
        "default.replication.factor" => {
            "The default replication factor of a new topic (recorded; durability comes from the stores)."
        }
        "message.max.bytes" => "The largest record batch accepted, in bytes.",
        "log.retention.ms" => "How long batches are kept, -1 for ever.",
        "log.retention.bytes" => "Bytes kept per partition, -1 for no limit.",
        "log.message.timestamp.type" => "CreateTime or LogAppendTime.",
        "log.retention.check.interval.ms" => "How often retention runs.",
        "log.cleanup.policy" => "delete (compact is not supported yet).",
        "compression.type" => "producer: batches are stored as the producer compressed them.",
        "min.insync.replicas" => "Accepted; durability comes from the object and metadata stores.",
        "socket.request.max.bytes" => "The largest request frame accepted, in bytes.",
        "fetch.max.bytes" => "The largest Fetch response, in bytes.",
        "max.connections" => "The most client connections this broker accepts.",
        "oxbow.flush.interval.ms" => "Flush queued batches to one object once this long has passed.",
        "oxbow.flush.bytes" => "Flush queued batches to one object once this many bytes are queued.",
        "oxbow.read.cache.bytes" => "Bytes of object data kept in memory for reads.",
        "oxbow.object.gc.grace.ms" => "How long dead and orphaned objects are kept before deletion.",
        "oxbow.batch.decompressed.bytes.max" => "The largest size a compressed batch may inflate to when scanned.",
        _ => "",
    }
}

/// Configs Kafka leaves null when unset (they have no default).
fn null_when_unset(name: &str) -> bool {
    name == "broker.rack"
}

struct Options<'a> {
    keys: Option<&'a [StrBytes]>,
    synonyms: bool,
    documentation: bool,
}

impl Options<'_> {
    fn wants(&self, name: &str) -> bool {
        match self.keys {
            None => true,
            Some([]) => true,
            Some(keys) => keys.iter().any(|k| k.as_str() == name),
        }
    }

    fn doc(&self, doc: &str) -> Option<StrBytes> {
        self.documentation.then(|| s(doc))
    }
}

fn synonym(name: &str, value: Option<&str>, source: i8) -> DescribeConfigsSynonym {
    DescribeConfigsSynonym::default().with_name(s(name)).with_value(value.map(s)).with_source(source)
}

fn topic_configs(
    broker: &Broker,
    set: &std::collections::BTreeMap<String, String>,
    opts: &Options<'_>,
) -> Vec<DescribeConfigsResourceResult> {
    topic_config::effective(set, &broker.config)
        .into_iter()
        .filter(|c| opts.wants(c.name))
        .map(|c| {
            let synonyms = if opts.synonyms {
                c.synonyms.iter().map(|syn| synonym(&syn.name, Some(&syn.value), syn.source)).collect()
            } else {
                Vec::new()
            };
            DescribeConfigsResourceResult::default()
                .with_name(s(c.name))
                .with_value(Some(s(&c.value)))
                .with_read_only(false)
                .with_config_source(c.source)
                .with_is_sensitive(false)
                .with_synonyms(synonyms)
                .with_config_type(c.config_type as i8)
                .with_documentation(opts.doc(c.doc))
        })
        .collect()
}

fn broker_configs(config: &BrokerConfig, opts: &Options<'_>) -> Vec<DescribeConfigsResourceResult> {
    let defaults: HashMap<&str, String> =
        BrokerConfig::default().describe().into_iter().map(|(name, value, _)| (name, value)).collect();
    config
        .describe()
        .into_iter()
        .filter(|(name, _, _)| opts.wants(name))
        .map(|(name, value, set)| {
            let value = (set || !null_when_unset(name)).then_some(value);
            let default = defaults.get(name).filter(|_| !null_when_unset(name));
            let mut synonyms = Vec::new();
            if opts.synonyms {
                if set {
                    synonyms.push(synonym(name, value.as_deref(), source::STATIC_BROKER_CONFIG));
                }
                if let Some(default) = default {
                    synonyms.push(synonym(name, Some(default), source::DEFAULT_CONFIG));
                }
            }
            DescribeConfigsResourceResult::default()
                .with_name(s(name))
                .with_value(value.as_deref().map(s))
                // No dynamic broker configs yet: every broker config is read-only.
                .with_read_only(true)
                .with_config_source(if set { source::STATIC_BROKER_CONFIG } else { source::DEFAULT_CONFIG })
                .with_is_sensitive(false)
                .with_synonyms(synonyms)
                .with_config_type(broker_config_type(name))
                .with_documentation(opts.doc(broker_config_doc(name)))
        })
        .collect()
}

/// Kafka's `resourceNameToBrokerId`.
fn broker_id(name: &str) -> Result<i32, ApiError> {
    name.parse::<i32>()
        .map_err(|_| ApiError::new(errors::INVALID_REQUEST, format!("Broker id must be an integer, but it is: {name}")))
}

enum Described {
    Configs(Vec<DescribeConfigsResourceResult>),
    /// An error code with Kafka's default (empty) message, as for an unknown topic.
    Code(i16),
}

async fn describe(broker: &Broker, r: &DescribeConfigsResource, opts: &Options<'_>) -> Result<Described, ApiError> {
    let name = r.resource_name.as_str();
    let node_id = broker.config.node_id;
    match r.resource_type {
        resource::TOPIC => {
            topic_config::validate_topic_name(name).map_err(|m| ApiError::new(errors::INVALID_TOPIC_EXCEPTION, m))?;
            match broker.topic(name).await.map_err(|e| ApiError::from_meta(&e))? {
                Some(topic) => Ok(Described::Configs(topic_configs(broker, &topic.configs, opts))),
                None => Ok(Described::Code(errors::UNKNOWN_TOPIC_OR_PARTITION)),
            }
        }
        resource::BROKER => {
            if name.is_empty() {
                // The cluster-wide dynamic defaults: Oxbow has none yet.
                return Ok(Described::Configs(Vec::new()));
            }
            if broker_id(name)? != node_id {
                return Err(ApiError::new(
                    errors::INVALID_REQUEST,
                    format!("Unexpected broker id, expected {node_id} or empty string, but received {name}"),
                ));
            }
            Ok(Described::Configs(broker_configs(&broker.config, opts)))
        }
        resource::BROKER_LOGGER => {
            if name.is_empty() {
                return Err(ApiError::new(errors::INVALID_REQUEST, "Broker id must not be empty"));
            }
            if broker_id(name)? != node_id {
                return Err(ApiError::new(
                    errors::INVALID_REQUEST,
                    format!("Unexpected broker id, expected {node_id} but received {name}"),
                ));
            }
            // Oxbow logs through `tracing`, not log4j: there are no loggers to list.
            Err(ApiError::new(errors::INVALID_REQUEST, "Unsupported resource type: BROKER_LOGGER"))
        }
        other => Err(ApiError::new(
            errors::INVALID_REQUEST,
            format!("Unsupported resource type: {}", resource::type_name(other)),
        )),
    }
}

pub async fn handle(
    broker: &Arc<Broker>,
    ctx: &RequestContext,
    req: DescribeConfigsRequest,
) -> DescribeConfigsResponse {
    let mut results = Vec::with_capacity(req.resources.len());
    for r in &req.resources {
        let opts = Options {
            keys: r.configuration_keys.as_deref(),
            synonyms: req.include_synonyms,
            documentation: req.include_documentation,
        };
        let result = DescribeConfigsResult::default()
            .with_resource_type(r.resource_type)
            .with_resource_name(r.resource_name.clone());
        if let Some(code) =
            broker.security.config_resource_error(ctx, r.resource_type, r.resource_name.as_str(), Op::DescribeConfigs)
        {
            results.push(result.with_error_code(code));
            continue;
        }
        let result = match describe(broker, r, &opts).await {
            Ok(Described::Configs(configs)) => result.with_error_code(errors::NONE).with_configs(configs),
            Ok(Described::Code(code)) => result.with_error_code(code),
            Err(error) => result.with_error_code(error.code).with_error_message(error.message.map(|m| s(&m))),
        };
        results.push(result);
    }
    DescribeConfigsResponse::default().with_results(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_or_absent_keys_mean_every_config() {
        let keys = [s("retention.ms")];
        let all = Options { keys: None, synonyms: false, documentation: false };
        let none_listed = Options { keys: Some(&[]), synonyms: false, documentation: false };
        let one = Options { keys: Some(&keys), synonyms: false, documentation: false };
        assert!(all.wants("segment.ms") && none_listed.wants("segment.ms"));
        assert!(one.wants("retention.ms") && !one.wants("segment.ms"));
    }

    #[test]
    fn broker_configs_say_where_their_value_comes_from() {
        let mut config = BrokerConfig::default();
        config.set("num.partitions", "3").expect("valid");
        let opts = Options { keys: None, synonyms: true, documentation: false };
        let described = broker_configs(&config, &opts);
        let np = described.iter().find(|c| c.name.as_str() == "num.partitions").expect("listed");
        assert_eq!(np.value.as_deref(), Some("3"));
        assert_eq!(np.config_source, source::STATIC_BROKER_CONFIG);
        assert_eq!(np.synonyms.len(), 2);
        assert_eq!(np.documentation, None);
        let rack = described.iter().find(|c| c.name.as_str() == "broker.rack").expect("listed");
        assert_eq!((rack.value.clone(), rack.config_source), (None, source::DEFAULT_CONFIG));
        assert!(rack.synonyms.is_empty());
    }
}
