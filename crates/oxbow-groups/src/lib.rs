//! The group coordinator. It owns what Kafka's group coordinator owns and
//! keeps it in the metadata store, so any broker sharing the store sees the
//! same groups. It knows nothing about sockets or the wire format: handlers
//! translate requests into these calls and errors into Kafka codes.
//!
//! What exists: committed offsets for groups whose consumers do not use
//! Kafka's membership (`assign()` plus commits, Kafka's "simple consumer"
//! path): OffsetCommit with generation -1, OffsetFetch, OffsetDelete. A
//! group "exists" while it has committed offsets. Membership (JoinGroup,
//! SyncGroup, Heartbeat, LeaveGroup, the KIP-848 heartbeat) is not built;
//! a commit that claims a generation is refused as Kafka refuses a commit
//! from an unknown member.

use std::sync::Arc;

use oxbow_meta_store::{CommittedOffset, MetaError, MetaStore, PartitionKey};

/// Kafka's `offset.metadata.max.bytes` default.
pub const OFFSET_METADATA_BYTES_MAX: usize = 4096;

/// Why a group operation was refused; each maps to one Kafka error code.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("invalid group id")]
    InvalidGroupId,
    #[error("the group has no generation {0}: it has no members")]
    IllegalGeneration(i32),
    #[error("unknown member id {0:?}")]
    UnknownMemberId(String),
    #[error("group {0} does not exist")]
    GroupIdNotFound(String),
    #[error(transparent)]
    Store(#[from] MetaError),
}

impl GroupError {
    /// The Kafka error code for this refusal.
    pub fn code(&self) -> i16 {
        match self {
            GroupError::InvalidGroupId => 24,
            GroupError::IllegalGeneration(_) => 22,
            GroupError::UnknownMemberId(_) => 25,
            GroupError::GroupIdNotFound(_) => 69,
            GroupError::Store(MetaError::UnknownTopicOrPartition) => 3,
            // The coordinator cannot reach its state: clients look it up again and retry.
            GroupError::Store(_) => 15,
        }
    }
}

pub struct GroupCoordinator {
    meta: Arc<dyn MetaStore>,
}

impl GroupCoordinator {
    pub fn new(meta: Arc<dyn MetaStore>) -> Self {
        GroupCoordinator { meta }
    }

    /// Whether the group currently exists (has committed offsets).
    pub async fn group_exists(&self, group_id: &str) -> Result<bool, GroupError> {
        Ok(!self.meta.group_offsets(group_id, None).await?.is_empty())
    }

    /// Checks who may commit, as Kafka's classic coordinator does for a
    /// group with no members: generation -1 with no member id is a simple
    /// commit; anything claiming membership is refused.
    /// An empty group id is valid here, as Kafka allows it for offset APIs.
    pub async fn authorize_commit(
        &self,
        group_id: &str,
        generation_id: i32,
        member_id: &str,
    ) -> Result<(), GroupError> {
        if generation_id < 0 && member_id.is_empty() {
            return Ok(());
        }
        if self.group_exists(group_id).await? {
            Err(GroupError::UnknownMemberId(member_id.to_string()))
        } else {
            Err(GroupError::IllegalGeneration(generation_id))
        }
    }

    /// Stores offsets already checked by [`authorize_commit`] and per-partition validation.
    pub async fn commit_offsets(&self, group_id: &str, offsets: Vec<CommittedOffset>) -> Result<(), GroupError> {
        debug_assert!(offsets.iter().all(|o| o.metadata.as_ref().is_none_or(|m| m.len() <= OFFSET_METADATA_BYTES_MAX)));
        if offsets.is_empty() {
            return Ok(());
        }
        Ok(self.meta.commit_group_offsets(group_id, offsets).await?)
    }

    /// Committed offsets of `partitions` (or all of the group's); a group
    /// that never committed simply has none (clients read -1), as in Kafka.
    pub async fn fetch_offsets(
        &self,
        group_id: &str,
        partitions: Option<Vec<PartitionKey>>,
    ) -> Result<Vec<CommittedOffset>, GroupError> {
        Ok(self.meta.group_offsets(group_id, partitions).await?)
    }

    /// OffsetDelete: GROUP_ID_NOT_FOUND for a group that does not exist.
    pub async fn delete_offsets(&self, group_id: &str, partitions: Vec<PartitionKey>) -> Result<(), GroupError> {
        if group_id.is_empty() {
            return Err(GroupError::InvalidGroupId);
        }
        if !self.group_exists(group_id).await? {
            return Err(GroupError::GroupIdNotFound(group_id.to_string()));
        }
        Ok(self.meta.delete_group_offsets(group_id, partitions).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxbow_meta_store::{NewTopic, SqliteMetaStore};

    async fn setup() -> (tempfile::TempDir, GroupCoordinator, PartitionKey) {
        let dir = tempfile::tempdir().expect("tempdir");
        let meta = Arc::new(SqliteMetaStore::open(&dir.path().join("m.sqlite")).expect("open"));
        let id = uuid::Uuid::new_v4();
        meta.create_topic(NewTopic {
            name: "t".into(),
            id,
            partition_count: 2,
            replication_factor: 1,
            configs: Default::default(),
            created_ms: 0,
        })
        .await
        .expect("topic");
        (dir, GroupCoordinator::new(meta), PartitionKey { topic_id: id, partition: 0 })
    }

    fn offset(p: PartitionKey, offset: i64) -> CommittedOffset {
        CommittedOffset { partition: p, offset, leader_epoch: -1, metadata: None, commit_timestamp_ms: 1 }
    }

    #[tokio::test]
    async fn simple_commits_are_accepted_and_membership_claims_refused() {
        let (_d, c, p) = setup().await;
        assert_eq!(c.authorize_commit("g", 3, "m").await.expect_err("no such generation").code(), 22);
        c.authorize_commit("g", -1, "").await.expect("simple commit");
        c.commit_offsets("g", vec![offset(p, 42)]).await.expect("commit");
        assert_eq!(c.authorize_commit("g", 3, "m").await.expect_err("not a member").code(), 25);
        assert_eq!(c.fetch_offsets("g", None).await.expect("fetch")[0].offset, 42);
        assert!(c.fetch_offsets("never", Some(vec![p])).await.expect("fetch").is_empty());
    }

    #[tokio::test]
    async fn delete_needs_an_existing_group() {
        let (_d, c, p) = setup().await;
        assert_eq!(c.delete_offsets("g", vec![p]).await.expect_err("no group").code(), 69);
        c.commit_offsets("g", vec![offset(p, 1)]).await.expect("commit");
        c.delete_offsets("g", vec![p]).await.expect("delete");
        assert!(!c.group_exists("g").await.expect("exists"));
    }
}
