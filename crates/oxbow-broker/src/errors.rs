//! Kafka error codes the broker answers with (Apache Kafka's `Errors` enum).

pub const NONE: i16 = 0;
pub const UNKNOWN_SERVER_ERROR: i16 = -1;
pub const OFFSET_OUT_OF_RANGE: i16 = 1;
pub const CORRUPT_MESSAGE: i16 = 2;
pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
pub const LEADER_NOT_AVAILABLE: i16 = 5;
pub const NOT_LEADER_OR_FOLLOWER: i16 = 6;
pub const MESSAGE_TOO_LARGE: i16 = 10;
pub const INVALID_TOPIC_EXCEPTION: i16 = 17;
pub const INVALID_REQUIRED_ACKS: i16 = 21;
pub const UNSUPPORTED_VERSION: i16 = 35;
pub const TOPIC_ALREADY_EXISTS: i16 = 36;
pub const INVALID_PARTITIONS: i16 = 37;
pub const INVALID_REPLICATION_FACTOR: i16 = 38;
pub const INVALID_CONFIG: i16 = 40;
pub const INVALID_REQUEST: i16 = 42;
pub const OUT_OF_ORDER_SEQUENCE_NUMBER: i16 = 45;
pub const INVALID_PRODUCER_EPOCH: i16 = 47;
pub const INVALID_TXN_STATE: i16 = 48;
pub const KAFKA_STORAGE_ERROR: i16 = 56;
pub const FETCH_SESSION_ID_NOT_FOUND: i16 = 70;
pub const UNKNOWN_LEADER_EPOCH: i16 = 75;
pub const UNSUPPORTED_COMPRESSION_TYPE: i16 = 76;
pub const INVALID_RECORD: i16 = 87;
pub const UNKNOWN_TOPIC_ID: i16 = 100;
pub const UNSUPPORTED_ENDPOINT_TYPE: i16 = 115;

/// Produce errors for a record that fails validation: INVALID_RECORD exists
/// only from Produce v8; older versions get CORRUPT_MESSAGE.
pub fn invalid_record_for_produce(version: i16) -> i16 {
    if version >= 8 {
        INVALID_RECORD
    } else {
        CORRUPT_MESSAGE
    }
}

/// Maps a log-engine failure to a Kafka code: store trouble is retriable
/// (KAFKA_STORAGE_ERROR makes clients refresh metadata and retry).
pub fn for_log_error(e: &oxbow_log::LogError) -> i16 {
    if e.is_retriable() {
        KAFKA_STORAGE_ERROR
    } else {
        UNKNOWN_SERVER_ERROR
    }
}

pub const OFFSET_METADATA_TOO_LARGE: i16 = 12;
pub const COORDINATOR_NOT_AVAILABLE: i16 = 15;
pub const INVALID_REPLICA_ASSIGNMENT: i16 = 39;
pub const POLICY_VIOLATION: i16 = 44;
pub const MISMATCHED_ENDPOINT_TYPE: i16 = 114;

/// A Kafka error code with the message that goes with it, as Kafka's `ApiError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: i16,
    pub message: Option<String>,
}

impl ApiError {
    pub fn new(code: i16, message: impl Into<String>) -> Self {
        ApiError { code, message: Some(message.into()) }
    }

    /// A code without a message (Kafka leaves it null).
    pub fn bare(code: i16) -> Self {
        ApiError { code, message: None }
    }

    /// A metadata-store failure met by an admin API; logged here, once.
    pub fn from_meta(e: &oxbow_meta_store::MetaError) -> Self {
        let code = for_meta_error(e);
        if code == UNKNOWN_SERVER_ERROR {
            // Kafka never sends a message with UNKNOWN_SERVER_ERROR.
            tracing::error!(error = %e, "metadata store failure");
            ApiError::bare(code)
        } else {
            if code == KAFKA_STORAGE_ERROR {
                tracing::warn!(error = %e, "metadata store unavailable");
            }
            ApiError::new(code, e.to_string())
        }
    }
}

/// Maps a metadata-store failure to a Kafka code: an unreachable store is
/// retriable (KAFKA_STORAGE_ERROR), a corrupt one is not.
pub fn for_meta_error(e: &oxbow_meta_store::MetaError) -> i16 {
    use oxbow_meta_store::MetaError;
    match e {
        MetaError::TopicExists(_) => TOPIC_ALREADY_EXISTS,
        MetaError::UnknownTopic(_) | MetaError::UnknownTopicOrPartition => UNKNOWN_TOPIC_OR_PARTITION,
        MetaError::InvalidPartitions(_) => INVALID_PARTITIONS,
        MetaError::OffsetOutOfRange { .. } => OFFSET_OUT_OF_RANGE,
        MetaError::Unavailable(_) => KAFKA_STORAGE_ERROR,
        MetaError::Corrupt(_) => UNKNOWN_SERVER_ERROR,
    }
}

/// KAFKA_STORAGE_ERROR exists in Fetch responses only from v6 (KIP-112);
/// older fetchers get NOT_LEADER_OR_FOLLOWER, which makes them refresh
/// metadata and retry, as Apache Kafka answers them.
pub fn storage_error_for_fetch(version: i16) -> i16 {
    if version >= 6 {
        KAFKA_STORAGE_ERROR
    } else {
        NOT_LEADER_OR_FOLLOWER
    }
}

// Security (authorization and SCRAM credential administration).
pub const TOPIC_AUTHORIZATION_FAILED: i16 = 29;
pub const GROUP_AUTHORIZATION_FAILED: i16 = 30;
pub const CLUSTER_AUTHORIZATION_FAILED: i16 = 31;
pub const UNSUPPORTED_SASL_MECHANISM: i16 = 33;
pub const TRANSACTIONAL_ID_AUTHORIZATION_FAILED: i16 = 53;
pub const RESOURCE_NOT_FOUND: i16 = 91;
pub const DUPLICATE_RESOURCE: i16 = 92;
pub const UNACCEPTABLE_CREDENTIAL: i16 = 93;
