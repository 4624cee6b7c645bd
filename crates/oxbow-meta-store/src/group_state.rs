//! Durable group membership state, for several brokers sharing one store.
//!
//! Each group has a lease: an owner (the coordinating broker), an epoch and
//! an expiry. A broker takes the lease when it is free, expired or already
//! its own; taking it from another owner bumps the epoch. Writes name the
//! epoch they were made under and are refused once another broker took the
//! lease, so a coordinator that lost its group (paused, partitioned) cannot
//! overwrite the new coordinator's state. The state itself is opaque bytes
//! encoded by the group coordinator (`oxbow-groups`).

use async_trait::async_trait;

use crate::MetaResult;

/// Longest group state accepted, in bytes (bounds memory on load).
pub const GROUP_STATE_BYTES_MAX: usize = 16 * 1024 * 1024;

#[async_trait]
pub trait GroupStateStore: Send + Sync + 'static {
    /// Takes or renews the lease on `group_id` for `owner` until
    /// `now_ms + lease_ms`. Returns the lease epoch, or None when another
    /// owner holds an unexpired lease.
    async fn acquire_group_lease(
        &self,
        group_id: &str,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> MetaResult<Option<i64>>;

    /// Stores (or with None, clears) the group's state if `owner` still holds
    /// lease `epoch`. Returns false, storing nothing, when fenced.
    async fn save_group_state(
        &self,
        group_id: &str,
        owner: &str,
        epoch: i64,
        state: Option<Vec<u8>>,
    ) -> MetaResult<bool>;

    /// Every group with stored state: (group id, state).
    async fn load_group_states(&self) -> MetaResult<Vec<(String, Vec<u8>)>>;
}

/// The suite every [`GroupStateStore`] implementation must pass.
#[cfg(any(test, feature = "conformance"))]
pub mod conformance {
    use super::*;

    pub async fn run_all(store: &dyn GroupStateStore) {
        lease_is_exclusive_until_it_expires(store).await;
        a_new_owner_fences_the_old_one(store).await;
        state_round_trips_and_clears(store).await;
        oversized_state_is_refused(store).await;
    }

    async fn lease_is_exclusive_until_it_expires(store: &dyn GroupStateStore) {
        let e1 = store.acquire_group_lease("lease", "a", 1_000, 30_000).await.expect("acquire").expect("free");
        // Renewal by the owner keeps the epoch.
        assert_eq!(store.acquire_group_lease("lease", "a", 2_000, 30_000).await.expect("renew"), Some(e1));
        // Another owner cannot take a live lease.
        assert_eq!(store.acquire_group_lease("lease", "b", 31_000, 30_000).await.expect("try"), None);
        // Once expired it can, with a higher epoch.
        let e2 = store.acquire_group_lease("lease", "b", 32_001, 30_000).await.expect("take").expect("expired");
        assert!(e2 > e1, "taking the lease over must bump the epoch ({e1} -> {e2})");
    }

    async fn a_new_owner_fences_the_old_one(store: &dyn GroupStateStore) {
        let e1 = store.acquire_group_lease("fence", "a", 0, 10).await.expect("acquire").expect("free");
        assert!(store.save_group_state("fence", "a", e1, Some(b"one".to_vec())).await.expect("save"));
        let e2 = store.acquire_group_lease("fence", "b", 100, 10).await.expect("take").expect("expired");
        assert!(!store.save_group_state("fence", "a", e1, Some(b"stale".to_vec())).await.expect("fenced save"));
        assert!(!store.save_group_state("fence", "b", e1, Some(b"old epoch".to_vec())).await.expect("fenced save"));
        assert!(store.save_group_state("fence", "b", e2, Some(b"two".to_vec())).await.expect("save"));
        let all = store.load_group_states().await.expect("load");
        assert!(all.contains(&("fence".to_string(), b"two".to_vec())), "{all:?}");
        // A group never leased cannot be written.
        assert!(!store.save_group_state("never", "a", 1, Some(b"x".to_vec())).await.expect("save"));
    }

    async fn state_round_trips_and_clears(store: &dyn GroupStateStore) {
        let e = store.acquire_group_lease("rt", "a", 0, 1_000).await.expect("acquire").expect("free");
        let blob: Vec<u8> = (0..=255u8).collect();
        assert!(store.save_group_state("rt", "a", e, Some(blob.clone())).await.expect("save"));
        assert!(store.load_group_states().await.expect("load").contains(&("rt".to_string(), blob)));
        assert!(store.save_group_state("rt", "a", e, None).await.expect("clear"));
        assert!(!store.load_group_states().await.expect("load").iter().any(|(g, _)| g == "rt"));
    }

    async fn oversized_state_is_refused(store: &dyn GroupStateStore) {
        let e = store.acquire_group_lease("big", "a", 0, 1_000).await.expect("acquire").expect("free");
        let big = vec![0u8; GROUP_STATE_BYTES_MAX + 1];
        assert!(store.save_group_state("big", "a", e, Some(big)).await.is_err());
    }
}
