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

pub const DEFS: &[TopicConfigDef] = &[
    TopicConfigDef { name: "cleanup.policy", broker_synonym: Some("log.cleanup.policy"), config_type: ConfigType::List, honoured: true, doc: "delete (compact is not supported yet)" },
    TopicConfigDef { name: "compression.type", broker_synonym: Some("compression.type"), config_type: ConfigType::String, honoured: true, doc: "producer: batches are stored as the producer compressed them" },
    TopicConfigDef { name: "max.message.bytes", broker_synonym: Some("message.max.bytes"), config_type: ConfigType::Int, honoured: true, doc: "largest record batch accepted, in bytes as sent" },
    TopicConfigDef { name: "message.timestamp.type", broker_synonym: Some("log.message.timestamp.type"), config_type: ConfigType::String, honoured: true, doc: "CreateTime or LogAppendTime" },
    TopicConfigDef { name: "min.insync.replicas", broker_synonym: Some("min.insync.replicas"), config_type: ConfigType::Int, honoured: false, doc: "accepted; durability comes from the object and metadata stores" },
    TopicConfigDef { name: "retention.bytes", broker_synonym: Some("log.retention.bytes"), config_type: ConfigType::Long, honoured: true, doc: "bytes kept per partition, -1 for no limit" },
    TopicConfigDef { name: "retention.ms", broker_synonym: Some("log.retention.ms"), config_type: ConfigType::Long, honoured: true, doc: "how long batches are kept, -1 for ever" },
    TopicConfigDef { name: "segment.bytes", broker_synonym: Some("log.segment.bytes"), config_type: ConfigType::Int, honoured: false, doc: "accepted; Oxbow stores objects, not segments" },
    TopicConfigDef { name: "segment.ms", broker_synonym: Some("log.roll.ms"), config_type: ConfigType::Long, honoured: false, doc: "accepted; Oxbow stores objects, not segments" },
    TopicConfigDef { name: "unclean.leader.election.enable", broker_synonym: Some("unclean.leader.election.enable"), config_type: ConfigType::Boolean, honoured: false, doc: "accepted; there are no replicas to elect from" },
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
            ConfigType::String | ConfigType::List => Ok(()),
        },
    }
}

fn min_of(name: &str) -> i32 {
    match name {
        "retention.ms" | "retention.bytes" => -1,
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
