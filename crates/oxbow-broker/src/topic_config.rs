//! The topic configs Oxbow knows: validation, defaults from broker configs
//! (Kafka's synonyms), and the effective value of each for a topic.

use std::collections::BTreeMap;

use crate::config::BrokerConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean = 1,
    String = 2,
    Int = 3,
    Long = 5,
    Double = 6,
    List = 7,
}

/// DescribeConfigs `config_source` values.
pub mod source {
    pub const DYNAMIC_TOPIC_CONFIG: i8 = 1;
    pub const STATIC_BROKER_CONFIG: i8 = 4;
    pub const DEFAULT_CONFIG: i8 = 5;
}

pub struct TopicConfigDef {
    pub name: &'static str,
    /// The broker config supplying the default, as Kafka's synonym.
    pub broker_synonym: Option<&'static str>,
    pub config_type: ConfigType,
    /// False for configs accepted for compatibility that change nothing here
    /// (they concern replicas and segments, which Oxbow does not have).
    pub honoured: bool,
    pub doc: &'static str,
}

const NO_REPLICAS: &str = "accepted; no effect: there are no replicas (durability comes from the stores)";
const NO_SEGMENTS: &str = "accepted; no effect: Oxbow stores objects, not segment files";
const NO_COMPACTION: &str = "accepted; no effect until compaction exists";
const ALWAYS_FLUSHED: &str = "accepted; no effect: every batch is durable before it is acknowledged";

macro_rules! def {
    ($name:expr, $syn:expr, $ty:ident, $honoured:expr, $doc:expr) => {
        TopicConfigDef {
            name: $name,
            broker_synonym: $syn,
            config_type: ConfigType::$ty,
            honoured: $honoured,
            doc: $doc,
        }
    };
}

/// Apache Kafka's topic configs (3.9), sorted by name. Those Oxbow does not
/// act on are accepted so that tools and scripts written for Kafka work, and
/// are documented as having no effect.
pub const DEFS: &[TopicConfigDef] = &[
    def!("cleanup.policy", Some("log.cleanup.policy"), List, true, "delete (compact is not supported yet)"),
    def!(
        "compression.gzip.level",
        Some("compression.gzip.level"),
        Int,
        false,
        "accepted; no effect: batches are stored as the producer compressed them"
    ),
    def!(
        "compression.lz4.level",
        Some("compression.lz4.level"),
        Int,
        false,
        "accepted; no effect: batches are stored as the producer compressed them"
    ),
    def!(
        "compression.type",
        Some("compression.type"),
        String,
        true,
        "producer: batches are stored as the producer compressed them"
    ),
    def!(
        "compression.zstd.level",
        Some("compression.zstd.level"),
        Int,
        false,
        "accepted; no effect: batches are stored as the producer compressed them"
    ),
    def!("delete.retention.ms", Some("log.cleaner.delete.retention.ms"), Long, false, NO_COMPACTION),
    def!("file.delete.delay.ms", Some("log.segment.delete.delay.ms"), Long, false, NO_SEGMENTS),
    def!("flush.messages", Some("log.flush.interval.messages"), Long, false, ALWAYS_FLUSHED),
    def!("flush.ms", Some("log.flush.interval.ms"), Long, false, ALWAYS_FLUSHED),
    def!(
        "follower.replication.throttled.replicas",
        Some("follower.replication.throttled.replicas"),
        List,
        false,
        NO_REPLICAS
    ),
    def!("index.interval.bytes", Some("log.index.interval.bytes"), Int, false, NO_SEGMENTS),
    def!(
        "leader.replication.throttled.replicas",
        Some("leader.replication.throttled.replicas"),
        List,
        false,
        NO_REPLICAS
    ),
    def!(
        "local.retention.bytes",
        Some("log.local.retention.bytes"),
        Long,
        false,
        "accepted; no effect: there is no tiered storage"
    ),
    def!(
        "local.retention.ms",
        Some("log.local.retention.ms"),
        Long,
        false,
        "accepted; no effect: there is no tiered storage"
    ),
    def!("max.compaction.lag.ms", Some("log.cleaner.max.compaction.lag.ms"), Long, false, NO_COMPACTION),
    def!("max.message.bytes", Some("message.max.bytes"), Int, true, "largest record batch accepted, in bytes as sent"),
    def!(
        "message.timestamp.after.max.ms",
        Some("log.message.timestamp.after.max.ms"),
        Long,
        false,
        "accepted; not enforced yet"
    ),
    def!(
        "message.timestamp.before.max.ms",
        Some("log.message.timestamp.before.max.ms"),
        Long,
        false,
        "accepted; not enforced yet"
    ),
    def!("message.timestamp.type", Some("log.message.timestamp.type"), String, true, "CreateTime or LogAppendTime"),
    def!("min.cleanable.dirty.ratio", Some("log.cleaner.min.cleanable.ratio"), Double, false, NO_COMPACTION),
    def!("min.compaction.lag.ms", Some("log.cleaner.min.compaction.lag.ms"), Long, false, NO_COMPACTION),
    def!("min.insync.replicas", Some("min.insync.replicas"), Int, false, NO_REPLICAS),
    def!("preallocate", Some("log.preallocate"), Boolean, false, NO_SEGMENTS),
    def!(
        "remote.storage.enable",
        Some("remote.log.storage.system.enable"),
        Boolean,
        false,
        "accepted; no effect: there is no tiered storage"
    ),
    def!("retention.bytes", Some("log.retention.bytes"), Long, true, "bytes kept per partition, -1 for no limit"),
    def!("retention.ms", Some("log.retention.ms"), Long, true, "how long batches are kept, -1 for ever"),
    def!("segment.bytes", Some("log.segment.bytes"), Int, false, NO_SEGMENTS),
    def!("segment.index.bytes", Some("log.index.size.max.bytes"), Int, false, NO_SEGMENTS),
    def!("segment.jitter.ms", Some("log.roll.jitter.ms"), Long, false, NO_SEGMENTS),
    def!("segment.ms", Some("log.roll.ms"), Long, false, NO_SEGMENTS),
    def!("unclean.leader.election.enable", Some("unclean.leader.election.enable"), Boolean, false, NO_REPLICAS),
];

pub fn def(name: &str) -> Option<&'static TopicConfigDef> {
    DEFS.iter().find(|d| d.name == name)
}

/// Checks one topic config; the error text goes back to the client.
pub fn validate(name: &str, value: &str) -> Result<(), String> {
    let Some(d) = def(name) else {
        return Err(format!("Unknown topic config name: {name}"));
    };
    let bad = || format!("Invalid value {value} for configuration {name}");
    match name {
        "cleanup.policy" => {
            for part in value.split(',').map(str::trim) {
                match part {
                    "delete" => {}
                    "compact" => return Err("cleanup.policy=compact is not supported yet by Oxbow".into()),
                    _ => return Err(bad()),
                }
            }
            Ok(())
        }
        "compression.type" => match value {
            "producer" => Ok(()),
            "uncompressed" | "gzip" | "snappy" | "lz4" | "zstd" => {
                Err(format!("compression.type={value} is not supported yet by Oxbow (batches are stored as the producer sent them; use producer)"))
            }
            _ => Err(bad()),
        },
        "message.timestamp.type" => match value {
            "CreateTime" | "LogAppendTime" => Ok(()),
            _ => Err(bad()),
        },
        _ => match d.config_type {
            ConfigType::Int => value.parse::<i32>().ok().filter(|v| *v >= min_of(name)).map(|_| ()).ok_or_else(bad),
            ConfigType::Long => value.parse::<i64>().ok().filter(|v| *v >= min_of(name) as i64).map(|_| ()).ok_or_else(bad),
            ConfigType::Boolean => matches!(value, "true" | "false").then_some(()).ok_or_else(bad),
            ConfigType::Double => value.parse::<f64>().ok().filter(|v| (0.0..=1.0).contains(v)).map(|_| ()).ok_or_else(bad),
            ConfigType::String | ConfigType::List => Ok(()),
        },
    }
}

fn min_of(name: &str) -> i32 {
    match name {
        "retention.ms" | "retention.bytes" | "compression.gzip.level" => -1,
        "local.retention.ms" | "local.retention.bytes" => -2,
        "compression.zstd.level" => -131072,
        "min.insync.replicas" | "segment.ms" => 1,
        "segment.bytes" => 14,
        _ => 0,
    }
}

/// The broker-level value behind a topic config (its default).
pub fn broker_default(name: &str, broker: &BrokerConfig) -> (String, bool) {
    let set = |n: &str| broker.explicitly_set.contains_key(n);
    match name {
        "cleanup.policy" => ("delete".into(), false),
        "compression.type" => ("producer".into(), false),
        "max.message.bytes" => (broker.message_max_bytes.to_string(), set("message.max.bytes")),
        "message.timestamp.type" => (broker.log_message_timestamp_type.clone(), set("log.message.timestamp.type")),
        "min.insync.replicas" => ("1".into(), false),
        "retention.bytes" => (broker.log_retention_bytes.to_string(), set("log.retention.bytes")),
        "retention.ms" => (broker.log_retention_ms.to_string(), set("log.retention.ms") || set("log.retention.hours")),
        "segment.bytes" => ("1073741824".into(), false),
        "segment.ms" => ("604800000".into(), false),
        "unclean.leader.election.enable" => ("false".into(), false),
        "compression.gzip.level" => ("-1".into(), false),
        "compression.lz4.level" => ("9".into(), false),
        "compression.zstd.level" => ("3".into(), false),
        "delete.retention.ms" => ("86400000".into(), false),
        "file.delete.delay.ms" => ("60000".into(), false),
        "flush.messages" | "flush.ms" | "max.compaction.lag.ms" => (i64::MAX.to_string(), false),
        "message.timestamp.after.max.ms" | "message.timestamp.before.max.ms" => (i64::MAX.to_string(), false),
        "follower.replication.throttled.replicas" | "leader.replication.throttled.replicas" => (String::new(), false),
        "index.interval.bytes" => ("4096".into(), false),
        "local.retention.bytes" | "local.retention.ms" => ("-2".into(), false),
        "min.cleanable.dirty.ratio" => ("0.5".into(), false),
        "min.compaction.lag.ms" => ("0".into(), false),
        "preallocate" | "remote.storage.enable" => ("false".into(), false),
        "segment.index.bytes" => ("10485760".into(), false),
        "segment.jitter.ms" => ("0".into(), false),
        _ => (String::new(), false),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synonym {
    pub name: String,
    pub value: String,
    pub source: i8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveConfig {
    pub name: &'static str,
    pub value: String,
    pub source: i8,
    pub config_type: ConfigType,
    pub doc: &'static str,
    /// Most specific first, as Kafka lists them.
    pub synonyms: Vec<Synonym>,
}

/// Every known topic config with its effective value for a topic whose
/// explicitly-set configs are `set`.
pub fn effective(set: &BTreeMap<String, String>, broker: &BrokerConfig) -> Vec<EffectiveConfig> {
    DEFS.iter()
        .map(|d| {
            let (broker_value, broker_set) = broker_default(d.name, broker);
            let mut synonyms = Vec::new();
            if let Some(v) = set.get(d.name) {
                synonyms.push(Synonym { name: d.name.into(), value: v.clone(), source: source::DYNAMIC_TOPIC_CONFIG });
            }
            if let Some(syn) = d.broker_synonym {
                let source = if broker_set { source::STATIC_BROKER_CONFIG } else { source::DEFAULT_CONFIG };
                synonyms.push(Synonym { name: syn.into(), value: broker_value.clone(), source });
            }
            let (value, source) = match set.get(d.name) {
                Some(v) => (v.clone(), source::DYNAMIC_TOPIC_CONFIG),
                None if broker_set => (broker_value, source::STATIC_BROKER_CONFIG),
                None => (broker_value, source::DEFAULT_CONFIG),
            };
            EffectiveConfig { name: d.name, value, source, config_type: d.config_type, doc: d.doc, synonyms }
        })
        .collect()
}

/// The value in force for one config of a topic.
pub fn value_of(set: &BTreeMap<String, String>, broker: &BrokerConfig, name: &str) -> String {
    set.get(name).cloned().unwrap_or_else(|| broker_default(name, broker).0)
}

/// Topic name rules, as Kafka's `Topic.validate`.
pub fn validate_topic_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Topic name is illegal, it can't be empty".into());
    }
    if name == "." || name == ".." {
        return Err("Topic name cannot be \".\" or \"..\"".into());
    }
    if name.len() > 249 {
        return Err(format!("Topic name is illegal, it can't be longer than 249 characters, topic name: {name}"));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-') {
        return Err(format!(
            "Topic name {name} is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_is_refused_with_a_clear_message() {
        let err = validate("cleanup.policy", "compact").expect_err("not supported");
        assert!(err.contains("not supported yet"));
        assert!(validate("cleanup.policy", "delete").is_ok());
        assert!(validate("retention.ms", "-2").is_err());
        assert!(validate("no.such", "1").is_err());
    }

    #[test]
    fn effective_value_prefers_topic_then_broker_then_default() {
        let mut broker = BrokerConfig::default();
        broker.set("log.retention.ms", "1000").expect("valid");
        let mut set = BTreeMap::new();
        set.insert("retention.bytes".to_string(), "10".to_string());
        let eff = effective(&set, &broker);
        let ms = eff.iter().find(|c| c.name == "retention.ms").expect("listed");
        assert_eq!((ms.value.as_str(), ms.source), ("1000", source::STATIC_BROKER_CONFIG));
        let bytes = eff.iter().find(|c| c.name == "retention.bytes").expect("listed");
        assert_eq!((bytes.value.as_str(), bytes.source), ("10", source::DYNAMIC_TOPIC_CONFIG));
        assert_eq!(bytes.synonyms.len(), 2);
        let mmb = eff.iter().find(|c| c.name == "max.message.bytes").expect("listed");
        assert_eq!(mmb.source, source::DEFAULT_CONFIG);
    }

    #[test]
    fn topic_names_follow_kafka_rules() {
        assert!(validate_topic_name("ok.topic-1_x").is_ok());
        for bad in ["", ".", "..", "sp ace", "slash/x", &"x".repeat(250)] {
            assert!(validate_topic_name(bad).is_err(), "{bad}");
        }
    }
}
