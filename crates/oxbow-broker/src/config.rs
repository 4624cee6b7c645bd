//! Static broker configuration. Kafka broker config names are accepted with
//! `--set NAME=VALUE`; Oxbow's own engine settings are prefixed `oxbow.`.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use oxbow_log::LogConfig;

#[derive(Debug, Clone)]
pub struct BrokerConfig {
    pub node_id: i32,
    pub listen: SocketAddr,
    /// Host and port clients are told to connect to (Metadata answers).
    pub advertised_host: String,
    pub advertised_port: i32,
    pub rack: Option<String>,
    pub auto_create_topics_enable: bool,
    pub num_partitions: i32,
    pub default_replication_factor: i16,
    pub message_max_bytes: i32,
    pub log_retention_ms: i64,
    pub log_retention_bytes: i64,
    pub log_message_timestamp_type: String,
    pub log_retention_check_interval_ms: u64,
    pub socket_request_max_bytes: u32,
    /// Requests read ahead on one connection while earlier ones are still answered.
    pub connection_in_flight_requests_max: usize,
    pub connections_max: usize,
    /// Kafka's `queued.max.request.bytes`: bytes of requests read but not yet
    /// handed to the log engine, across all connections. Readers wait when full.
    pub queued_max_request_bytes: usize,
    /// Kafka's `connections.max.idle.ms`: a connection that sends no request
    /// for this long is closed.
    pub connections_max_idle_ms: u64,
    /// Kafka's `fetch.max.bytes`: the cap on one Fetch response.
    pub fetch_max_bytes: i32,
    pub log: LogConfig,
    pub groups: oxbow_groups::GroupConfig,
    /// Listeners, TLS, SASL and authorization (`crate::security`).
    pub security: crate::security::SecurityConfig,
    /// Configs set explicitly (for DescribeConfigs' source column).
    pub explicitly_set: BTreeMap<String, String>,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            node_id: 1,
            listen: SocketAddr::from(([127, 0, 0, 1], 9092)),
            advertised_host: "127.0.0.1".into(),
            advertised_port: 9092,
            rack: None,
            auto_create_topics_enable: true,
            num_partitions: 1,
            default_replication_factor: 1,
            message_max_bytes: 1_048_588,
            log_retention_ms: 7 * 24 * 3600 * 1000,
            log_retention_bytes: -1,
            log_message_timestamp_type: "CreateTime".into(),
            log_retention_check_interval_ms: 30_000,
            socket_request_max_bytes: oxbow_codec::frame::REQUEST_FRAME_BYTES_MAX_DEFAULT,
            connection_in_flight_requests_max: 32,
            connections_max: 10_000,
            queued_max_request_bytes: 512 * 1024 * 1024,
            connections_max_idle_ms: 600_000,
            fetch_max_bytes: 57_671_680,
            log: LogConfig::default(),
            groups: oxbow_groups::GroupConfig::default(),
            security: Default::default(),
            explicitly_set: BTreeMap::new(),
        }
    }
}

fn parse<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
    value.parse::<T>().map_err(|_| format!("invalid value {value:?} for broker config {name}"))
}

fn parse_bool(name: &str, value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("invalid value {value:?} for broker config {name} (true or false)")),
    }
}

fn at_least<T: PartialOrd + std::fmt::Display + Copy>(name: &str, v: T, min: T) -> Result<T, String> {
    if v < min {
        Err(format!("broker config {name} must be at least {min}"))
    } else {
        Ok(v)
    }
}

impl BrokerConfig {
    /// Applies one `NAME=VALUE` broker config, refusing unknown names and bad values.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "node.id" | "broker.id" => self.node_id = at_least(name, parse(name, value)?, 0)?,
            "broker.rack" => self.rack = Some(value.to_string()),
            "auto.create.topics.enable" => self.auto_create_topics_enable = parse_bool(name, value)?,
            "num.partitions" => self.num_partitions = at_least(name, parse(name, value)?, 1)?,
            "default.replication.factor" => self.default_replication_factor = at_least(name, parse(name, value)?, 1)?,
            "message.max.bytes" => self.message_max_bytes = at_least(name, parse(name, value)?, 0)?,
            "log.retention.ms" => self.log_retention_ms = at_least(name, parse(name, value)?, -1)?,
            "log.retention.hours" => self.log_retention_ms = at_least(name, parse::<i64>(name, value)?, 0)? * 3_600_000,
            "log.retention.bytes" => self.log_retention_bytes = at_least(name, parse(name, value)?, -1)?,
            "log.message.timestamp.type" => match value {
                "CreateTime" | "LogAppendTime" => self.log_message_timestamp_type = value.to_string(),
                _ => return Err(format!("invalid value {value:?} for {name} (CreateTime or LogAppendTime)")),
            },
            "log.retention.check.interval.ms" => {
                self.log_retention_check_interval_ms = at_least(name, parse(name, value)?, 100)?
            }
            "socket.request.max.bytes" => self.socket_request_max_bytes = at_least(name, parse(name, value)?, 1024)?,
            "fetch.max.bytes" => self.fetch_max_bytes = at_least(name, parse(name, value)?, 1024)?,
            "max.connections" => self.connections_max = at_least(name, parse(name, value)?, 1)?,
            "queued.max.request.bytes" => {
                self.queued_max_request_bytes = at_least(name, parse(name, value)?, 1024 * 1024)?
            }
            "connections.max.idle.ms" => self.connections_max_idle_ms = at_least(name, parse(name, value)?, 1000)?,
            "oxbow.append.queue.bytes.max" => {
                self.log.append_queue_bytes_max = at_least(name, parse(name, value)?, 1024 * 1024)?
            }
            "oxbow.connection.in.flight.requests.max" => {
                self.connection_in_flight_requests_max = at_least(name, parse(name, value)?, 1)?
            }
            "group.initial.rebalance.delay.ms" => {
                self.groups.group_initial_rebalance_delay_ms = at_least(name, parse(name, value)?, 0)?
            }
            "group.min.session.timeout.ms" => {
                self.groups.group_min_session_timeout_ms = at_least(name, parse(name, value)?, 1)?
            }
            "group.max.session.timeout.ms" => {
                self.groups.group_max_session_timeout_ms = at_least(name, parse(name, value)?, 1)?
            }
            "group.max.size" => self.groups.group_max_size = at_least(name, parse(name, value)?, 1)?,
            "group.consumer.session.timeout.ms" => {
                self.groups.consumer_session_timeout_ms = at_least(name, parse(name, value)?, 1)?
            }
            "group.consumer.heartbeat.interval.ms" => {
                self.groups.consumer_heartbeat_interval_ms = at_least(name, parse(name, value)?, 1)?
            }
            "group.consumer.max.size" => self.groups.consumer_max_size = at_least(name, parse(name, value)?, 1)?,
            "group.consumer.assignors" => {
                let names: Vec<String> = value.split(',').map(|a| a.trim().to_string()).collect();
                if let Some(bad) = names.iter().find(|a| !oxbow_groups::assignor::ASSIGNOR_NAMES.contains(&a.as_str()))
                {
                    return Err(format!(
                        "{name}: unknown assignor {bad:?} (known: {})",
                        oxbow_groups::assignor::ASSIGNOR_NAMES.join(", ")
                    ));
                }
                self.groups.consumer_assignors = names
            }
            "oxbow.flush.interval.ms" => self.log.flush_interval_ms = parse(name, value)?,
            "oxbow.flush.bytes" => self.log.flush_bytes = at_least(name, parse(name, value)?, 1024)?,
            "oxbow.append.queue.batches.max" => {
                self.log.append_queue_batches_max = at_least(name, parse(name, value)?, 1)?
            }
            "oxbow.read.cache.bytes" => self.log.read_cache_bytes = parse(name, value)?,
            "oxbow.object.gc.grace.ms" => self.log.object_gc_grace_ms = at_least(name, parse(name, value)?, 0)?,
            "oxbow.batch.decompressed.bytes.max" => {
                self.log.decompressed_bytes_max = at_least(name, parse(name, value)?, 1024)?
            }
            _ if crate::security::SecurityConfig::knows(name) => self.security.set(name, value)?,
            _ => return Err(format!("unknown broker config {name}")),
        }
        self.explicitly_set.insert(name.to_string(), value.to_string());
        Ok(())
    }

    /// Broker configs as DescribeConfigs reports them: (name, value, explicitly set).
    pub fn describe(&self) -> Vec<(&'static str, String, bool)> {
        let set = |n: &str| self.explicitly_set.contains_key(n);
        vec![
            ("node.id", self.node_id.to_string(), set("node.id") || set("broker.id")),
            ("broker.rack", self.rack.clone().unwrap_or_default(), set("broker.rack")),
            ("auto.create.topics.enable", self.auto_create_topics_enable.to_string(), set("auto.create.topics.enable")),
            ("num.partitions", self.num_partitions.to_string(), set("num.partitions")),
            (
                "default.replication.factor",
                self.default_replication_factor.to_string(),
                set("default.replication.factor"),
            ),
            ("message.max.bytes", self.message_max_bytes.to_string(), set("message.max.bytes")),
            (
                "log.retention.ms",
                self.log_retention_ms.to_string(),
                set("log.retention.ms") || set("log.retention.hours"),
            ),
            ("log.retention.bytes", self.log_retention_bytes.to_string(), set("log.retention.bytes")),
            ("log.message.timestamp.type", self.log_message_timestamp_type.clone(), set("log.message.timestamp.type")),
            (
                "log.retention.check.interval.ms",
                self.log_retention_check_interval_ms.to_string(),
                set("log.retention.check.interval.ms"),
            ),
            ("log.cleanup.policy", "delete".into(), false),
            (
                "group.initial.rebalance.delay.ms",
                self.groups.group_initial_rebalance_delay_ms.to_string(),
                set("group.initial.rebalance.delay.ms"),
            ),
            (
                "group.min.session.timeout.ms",
                self.groups.group_min_session_timeout_ms.to_string(),
                set("group.min.session.timeout.ms"),
            ),
            (
                "group.max.session.timeout.ms",
                self.groups.group_max_session_timeout_ms.to_string(),
                set("group.max.session.timeout.ms"),
            ),
            ("group.max.size", self.groups.group_max_size.to_string(), set("group.max.size")),
            (
                "group.consumer.session.timeout.ms",
                self.groups.consumer_session_timeout_ms.to_string(),
                set("group.consumer.session.timeout.ms"),
            ),
            (
                "group.consumer.heartbeat.interval.ms",
                self.groups.consumer_heartbeat_interval_ms.to_string(),
                set("group.consumer.heartbeat.interval.ms"),
            ),
            ("group.consumer.max.size", self.groups.consumer_max_size.to_string(), set("group.consumer.max.size")),
            ("group.consumer.assignors", self.groups.consumer_assignors.join(","), set("group.consumer.assignors")),
            ("compression.type", "producer".into(), false),
            ("min.insync.replicas", "1".into(), false),
            ("socket.request.max.bytes", self.socket_request_max_bytes.to_string(), set("socket.request.max.bytes")),
            ("fetch.max.bytes", self.fetch_max_bytes.to_string(), set("fetch.max.bytes")),
            ("max.connections", self.connections_max.to_string(), set("max.connections")),
            ("queued.max.request.bytes", self.queued_max_request_bytes.to_string(), set("queued.max.request.bytes")),
            ("connections.max.idle.ms", self.connections_max_idle_ms.to_string(), set("connections.max.idle.ms")),
            (
                "oxbow.append.queue.bytes.max",
                self.log.append_queue_bytes_max.to_string(),
                set("oxbow.append.queue.bytes.max"),
            ),
            ("oxbow.flush.interval.ms", self.log.flush_interval_ms.to_string(), set("oxbow.flush.interval.ms")),
            ("oxbow.flush.bytes", self.log.flush_bytes.to_string(), set("oxbow.flush.bytes")),
            ("oxbow.read.cache.bytes", self.log.read_cache_bytes.to_string(), set("oxbow.read.cache.bytes")),
            ("oxbow.object.gc.grace.ms", self.log.object_gc_grace_ms.to_string(), set("oxbow.object.gc.grace.ms")),
            (
                "oxbow.batch.decompressed.bytes.max",
                self.log.decompressed_bytes_max.to_string(),
                set("oxbow.batch.decompressed.bytes.max"),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_bad_values_are_refused() {
        let mut c = BrokerConfig::default();
        assert!(c.set("no.such.config", "1").is_err());
        assert!(c.set("num.partitions", "0").is_err());
        assert!(c.set("auto.create.topics.enable", "yes").is_err());
        c.set("num.partitions", "3").expect("valid");
        assert_eq!(c.num_partitions, 3);
    }
}
