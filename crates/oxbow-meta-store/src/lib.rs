//! The metadata store: everything except record bytes. Topics and their
//! configs, the offset index (one row per committed batch pointing into an
//! object), partition offsets, idempotent-producer state, objects and their
//! live bytes, the cluster id and broker registrations.
//!
//! The trait is designed for several brokers sharing one store: every
//! mutation that matters for correctness (offset assignment, sequence checks)
//! happens inside one store transaction, so two brokers committing to the same
//! partition serialize in the store, not in a broker's memory.
//! Implementations: [`SqliteMetaStore`] (embedded default); PostgreSQL comes
//! later and must pass the same [`conformance`] suite.

use std::collections::BTreeMap;

use async_trait::async_trait;
use uuid::Uuid;

pub mod group_state;
pub mod producer;
mod sqlite;
pub use group_state::GroupStateStore;
pub use sqlite::SqliteMetaStore;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

pub use producer::{ProducerBatch, ProducerEntry, SequenceCheck};

#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    #[error("topic {0} already exists")]
    TopicExists(String),
    #[error("unknown topic {0}")]
    UnknownTopic(String),
    #[error("unknown topic or partition")]
    UnknownTopicOrPartition,
    #[error("invalid partition count: {0}")]
    InvalidPartitions(String),
    #[error("offset {requested} is outside the partition's range {log_start_offset}..={high_watermark}")]
    OffsetOutOfRange { requested: i64, log_start_offset: i64, high_watermark: i64 },
    /// The store could not be reached or the transaction failed; a retry may help.
    #[error("metadata store unavailable: {0}")]
    Unavailable(String),
    /// Stored data violates an invariant; a retry will not help.
    #[error("metadata store corrupt: {0}")]
    Corrupt(String),
}

impl MetaError {
    pub fn is_retriable(&self) -> bool {
        matches!(self, MetaError::Unavailable(_))
    }
}

pub type MetaResult<T> = Result<T, MetaError>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMeta {
    pub name: String,
    pub id: Uuid,
    pub partition_count: i32,
    /// As requested at creation; durability comes from the stores, not copies.
    pub replication_factor: i16,
    /// Only configs set on the topic (not defaults).
    pub configs: BTreeMap<String, String>,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    pub name: String,
    pub id: Uuid,
    pub partition_count: i32,
    pub replication_factor: i16,
    pub configs: BTreeMap<String, String>,
    pub created_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionKey {
    pub topic_id: Uuid,
    pub partition: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PartitionOffsets {
    pub log_start_offset: i64,
    /// Next offset to be assigned (Kafka's high watermark / log end offset).
    pub high_watermark: i64,
    /// Bytes of batches currently in the log (between log start and high watermark).
    pub size_bytes: i64,
}

/// One batch of a flushed object, to be committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchToCommit {
    pub partition: PartitionKey,
    /// Where the batch lies inside the object.
    pub byte_position: u64,
    pub byte_length: u32,
    /// Number of offsets the batch takes (lastOffsetDelta + 1).
    pub record_count: i32,
    pub max_timestamp_ms: i64,
    /// Present for idempotent batches (producer id >= 0).
    pub producer: Option<ProducerBatch>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewObject {
    pub key: String,
    pub size_bytes: u64,
    pub created_ms: i64,
}

/// The fate of one batch in a commit, in the order the batches were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutcome {
    Appended {
        base_offset: i64,
        log_start_offset: i64,
    },
    /// Already in the log: answered with the offset it was first given.
    Duplicate {
        base_offset: i64,
        log_start_offset: i64,
    },
    Rejected(AppendRejection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendRejection {
    /// The topic or partition no longer exists (deleted between request and commit).
    UnknownTopicOrPartition,
    OutOfOrderSequence,
    /// The batch's producer epoch is older than the partition's latest for that producer id.
    InvalidProducerEpoch,
}

/// An offset-index row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub base_offset: i64,
    pub last_offset: i64,
    pub max_timestamp_ms: i64,
    pub object_key: String,
    pub byte_position: u64,
    pub byte_length: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerRegistration {
    pub node_id: i32,
    pub host: String,
    pub port: i32,
    pub rack: Option<String>,
    /// Lease end, milliseconds since the Unix epoch; renewed by re-registering.
    pub lease_expires_ms: i64,
}

/// An object no index row references any more, or that was never committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadObject {
    pub key: String,
    pub dead_since_ms: i64,
}

/// A consumer group's committed offset for one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    pub partition: PartitionKey,
    pub offset: i64,
    /// The leader epoch the client saw (-1 if unknown).
    pub leader_epoch: i32,
    /// Opaque client metadata, kept as committed.
    pub metadata: Option<String>,
    pub commit_timestamp_ms: i64,
}

#[async_trait]
/// Group membership state ([`GroupStateStore`]) lives in the same store.
pub trait MetaStore: GroupStateStore + Send + Sync + 'static {
    // ---- cluster and brokers ----
    /// The cluster id, created on first call and stable afterwards.
    async fn cluster_id(&self) -> MetaResult<String>;
    /// Inserts or renews a broker's registration.
    async fn register_broker(&self, broker: BrokerRegistration) -> MetaResult<()>;
    /// Brokers whose lease ends after `now_ms`, by node id.
    async fn live_brokers(&self, now_ms: i64) -> MetaResult<Vec<BrokerRegistration>>;

    // ---- topics ----
    /// Creates a topic with partitions 0..partition_count, all empty at offset 0.
    async fn create_topic(&self, topic: NewTopic) -> MetaResult<TopicMeta>;
    /// Deletes a topic, its partitions, index rows, producer state and group
    /// offsets; the objects it referenced lose those bytes (and may become dead).
    async fn delete_topic(&self, name: &str, now_ms: i64) -> MetaResult<TopicMeta>;
    async fn topics(&self) -> MetaResult<Vec<TopicMeta>>;
    async fn topic(&self, name: &str) -> MetaResult<Option<TopicMeta>>;
    async fn topic_by_id(&self, id: Uuid) -> MetaResult<Option<TopicMeta>>;
    /// Grows a topic to `partition_count` partitions (InvalidPartitions if not larger).
    async fn set_partition_count(&self, name: &str, partition_count: i32) -> MetaResult<TopicMeta>;
    /// Replaces the topic's whole set of explicitly-set configs.
    async fn set_topic_configs(&self, name: &str, configs: BTreeMap<String, String>) -> MetaResult<TopicMeta>;

    // ---- write path ----
    /// Commits one flushed object in ONE transaction: records the object,
    /// then, partition by partition in sorted [`PartitionKey`] order, checks
    /// producer sequences, assigns dense offsets, inserts index rows and
    /// advances the high watermark. Returns one outcome per batch in input
    /// order. Batches of one partition are applied in input order.
    /// The whole commit fails (Corrupt, nothing recorded) if the object key
    /// was already committed, a batch has `record_count` < 1, or a batch lies
    /// outside the object's `size_bytes`.
    async fn commit_object(&self, object: NewObject, batches: Vec<BatchToCommit>) -> MetaResult<Vec<BatchOutcome>>;

    // ---- read path ----
    async fn partition_offsets(&self, partition: PartitionKey) -> MetaResult<Option<PartitionOffsets>>;
    /// Index rows with `last_offset >= from_offset` in offset order, stopping
    /// after `max_entries` rows or once the rows' bytes reach `max_bytes`
    /// (the row that crosses it is included). Also returns the partition's
    /// offsets, read in the same snapshot.
    async fn read_index(
        &self,
        partition: PartitionKey,
        from_offset: i64,
        max_entries: usize,
        max_bytes: u64,
    ) -> MetaResult<Option<(PartitionOffsets, Vec<IndexEntry>)>>;
    /// The first index row (by offset) whose max timestamp is >= `timestamp_ms`.
    /// UnknownTopicOrPartition if the partition does not exist (also below).
    async fn first_entry_at_or_after_timestamp(
        &self,
        partition: PartitionKey,
        timestamp_ms: i64,
    ) -> MetaResult<Option<IndexEntry>>;
    /// The index row with the largest max timestamp (earliest such row on ties).
    async fn max_timestamp_entry(&self, partition: PartitionKey) -> MetaResult<Option<IndexEntry>>;

    // ---- log start: DeleteRecords and retention ----
    /// Moves the log start offset forward to `offset` (<= high watermark;
    /// lower than the current start is a no-op) and drops index rows that end
    /// before it. OffsetOutOfRange if `offset` > high watermark.
    /// UnknownTopicOrPartition if the partition does not exist.
    async fn advance_log_start(
        &self,
        partition: PartitionKey,
        offset: i64,
        now_ms: i64,
    ) -> MetaResult<PartitionOffsets>;
    /// Retention in one transaction: drops the longest prefix of rows where
    /// each row's max timestamp is < `min_timestamp_ms` (if given) or the
    /// partition would still hold at least `max_bytes` without it (if
    /// given; Kafka's `retention.bytes` rule), and moves the log start to the
    /// first kept row (or the high watermark). Returns the new offsets.
    /// UnknownTopicOrPartition if the partition does not exist.
    async fn apply_retention(
        &self,
        partition: PartitionKey,
        min_timestamp_ms: Option<i64>,
        max_bytes: Option<i64>,
        now_ms: i64,
    ) -> MetaResult<PartitionOffsets>;

    // ---- objects ----
    /// Objects with no live bytes that have been dead since before `dead_before_ms`.
    async fn dead_objects(&self, dead_before_ms: i64, limit: usize) -> MetaResult<Vec<DeadObject>>;
    /// Forgets a dead object after the caller deleted it from the object store.
    /// Unknown keys are a no-op; an object that still has live bytes is refused (Corrupt).
    async fn forget_object(&self, key: &str) -> MetaResult<()>;
    /// Which of `keys` the store knows (live or dead); used to find orphans.
    async fn known_objects(&self, keys: &[String]) -> MetaResult<Vec<String>>;

    // ---- producers ----
    /// Allocates a new, never-used producer id.
    async fn allocate_producer_id(&self) -> MetaResult<i64>;
    /// Current idempotent-producer state of a partition, by producer id.
    /// UnknownTopicOrPartition if the partition does not exist.
    async fn producer_entries(&self, partition: PartitionKey) -> MetaResult<Vec<ProducerEntry>>;

    // ---- consumer-group offsets ----
    /// Stores all `offsets` for `group_id` in ONE transaction (insert or
    /// replace per partition). UnknownTopicOrPartition, with nothing stored,
    /// if any partition does not exist.
    async fn commit_group_offsets(&self, group_id: &str, offsets: Vec<CommittedOffset>) -> MetaResult<()>;
    /// The group's committed offsets for `partitions` (those with no commit
    /// are absent), or for every partition it committed when None. Sorted by
    /// partition key.
    async fn group_offsets(
        &self,
        group_id: &str,
        partitions: Option<Vec<PartitionKey>>,
    ) -> MetaResult<Vec<CommittedOffset>>;
    /// Removes the group's offsets for `partitions` (missing ones are fine).
    async fn delete_group_offsets(&self, group_id: &str, partitions: Vec<PartitionKey>) -> MetaResult<()>;
    /// Removes every offset of the group; false if it had none.
    async fn delete_group_offsets_all(&self, group_id: &str) -> MetaResult<bool>;
    /// Groups that have at least one committed offset, sorted.
    async fn groups_with_offsets(&self) -> MetaResult<Vec<String>>;

    // Security: salted SCRAM credentials and Kafka ACL bindings. Brokers
    // cache both and reload them (see oxbow-broker's `security`).

    /// Every stored credential, sorted by user then mechanism.
    async fn scram_credentials(&self) -> MetaResult<Vec<ScramCredential>>;
    /// Inserts or replaces the credential of (user, mechanism).
    async fn upsert_scram_credential(&self, credential: ScramCredential) -> MetaResult<()>;
    /// Whether a credential was deleted.
    async fn delete_scram_credential(&self, user: &str, mechanism: &str) -> MetaResult<bool>;
    /// Every ACL binding, sorted by all fields.
    async fn acls(&self) -> MetaResult<Vec<AclBinding>>;
    /// Adds bindings in one transaction; an existing identical binding is kept once.
    async fn create_acls(&self, acls: Vec<AclBinding>) -> MetaResult<()>;
    /// Deletes exactly these bindings in one transaction; returns how many existed.
    async fn delete_acls(&self, acls: Vec<AclBinding>) -> MetaResult<usize>;
}

/// A salted SCRAM credential (RFC 5802): no password, only what the server
/// needs to verify a client proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScramCredential {
    pub user: String,
    /// "SCRAM-SHA-256" or "SCRAM-SHA-512".
    pub mechanism: String,
    pub salt: Vec<u8>,
    pub stored_key: Vec<u8>,
    pub server_key: Vec<u8>,
    pub iterations: i32,
}

/// One Kafka ACL binding, with Kafka's numeric codes (resource type 2 topic,
/// 3 group, 4 cluster, 5 transactional id; pattern 3 literal, 4 prefixed;
/// permission 2 deny, 3 allow; operations as `AclOperation`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AclBinding {
    pub resource_type: i8,
    pub resource_name: String,
    pub pattern_type: i8,
    /// "User:alice", or "User:*" for everyone.
    pub principal: String,
    /// A client address, or "*".
    pub host: String,
    pub operation: i8,
    pub permission_type: i8,
}
