//! The conformance suite every [`MetaStore`] implementation must pass.
//!
//! Call [`run_all`] from the implementation's tests with a fresh, empty store
//! on a multi-threaded tokio runtime. The checks share the store: each uses
//! its own topic names and object keys, and all times are based on [`T0`]
//! except where a check needs times below it (the dead-object listing).

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::{
    AclBinding, AppendRejection, BatchOutcome, BatchToCommit, BrokerRegistration, CommittedOffset, DeadObject,
    IndexEntry, MetaError, MetaStore, NewObject, NewTopic, PartitionKey, PartitionOffsets, ProducerBatch,
    ScramCredential, TopicMeta,
};

/// Base of the clock the checks use (2023-11-14).
pub const T0: i64 = 1_700_000_000_000;

pub async fn run_all(store: &dyn MetaStore) {
    topic_crud_and_errors(store).await;
    dense_offsets_across_commits_and_partitions(store).await;
    outcomes_come_back_in_input_order(store).await;
    duplicates_return_their_original_offset(store).await;
    out_of_order_and_fenced_batches_take_no_offsets(store).await;
    producer_state_is_per_partition(store).await;
    all_rejected_commit_leaves_a_dead_object(store).await;
    failed_commit_records_nothing(store).await;
    read_index_limits(store).await;
    timestamp_lookups(store).await;
    advance_log_start_moves_forward_only(store).await;
    retention_by_time(store).await;
    retention_by_bytes(store).await;
    delete_topic_releases_objects(store).await;
    dead_objects_forget_and_known(store).await;
    producer_ids_are_unique(store).await;
    cluster_id_is_stable(store).await;
    broker_leases_expire(store).await;
    concurrent_commits_get_dense_unique_offsets(store).await;
    group_offsets_round_trip_and_replace(store).await;
    group_offsets_commit_is_all_or_nothing(store).await;
    group_offsets_are_per_group(store).await;
    group_offsets_fetch_and_delete(store).await;
    delete_topic_removes_its_group_offsets(store).await;
    scram_credentials_round_trip(store).await;
    acls_create_is_idempotent_and_delete_is_exact(store).await;
}

// ---------------------------------------------------------------------------
// Helpers

async fn create(store: &dyn MetaStore, name: &str, partitions: i32) -> TopicMeta {
    store
        .create_topic(NewTopic {
            name: name.to_string(),
            id: Uuid::new_v4(),
            partition_count: partitions,
            replication_factor: 3,
            configs: BTreeMap::new(),
            created_ms: T0,
        })
        .await
        .expect("create topic")
}

fn pk(topic: &TopicMeta, partition: i32) -> PartitionKey {
    PartitionKey { topic_id: topic.id, partition }
}

/// A plain batch; its position in the object is filled in by [`commit`].
fn batch(partition: PartitionKey, byte_length: u32, record_count: i32, max_timestamp_ms: i64) -> BatchToCommit {
    BatchToCommit { partition, byte_position: 0, byte_length, record_count, max_timestamp_ms, producer: None }
}

/// An idempotent batch of `last - first + 1` records.
fn idem(partition: PartitionKey, producer_id: i64, epoch: i16, first: i32, last: i32) -> BatchToCommit {
    BatchToCommit {
        partition,
        byte_position: 0,
        byte_length: 100,
        record_count: last - first + 1,
        max_timestamp_ms: T0,
        producer: Some(ProducerBatch { producer_id, producer_epoch: epoch, base_sequence: first, last_sequence: last }),
    }
}

/// Lays the batches out back to back in one object and commits it.
async fn commit_at(
    store: &dyn MetaStore,
    key: &str,
    created_ms: i64,
    mut batches: Vec<BatchToCommit>,
) -> Vec<BatchOutcome> {
    let mut position = 0u64;
    for b in &mut batches {
        b.byte_position = position;
        position += u64::from(b.byte_length);
    }
    let n = batches.len();
    let object = NewObject { key: key.to_string(), size_bytes: position, created_ms };
    let outcomes = store.commit_object(object, batches).await.expect("commit object");
    assert_eq!(outcomes.len(), n, "one outcome per batch");
    outcomes
}

async fn commit(store: &dyn MetaStore, key: &str, batches: Vec<BatchToCommit>) -> Vec<BatchOutcome> {
    commit_at(store, key, T0, batches).await
}

fn appended(outcome: &BatchOutcome) -> i64 {
    match outcome {
        BatchOutcome::Appended { base_offset, .. } => *base_offset,
        other => panic!("expected Appended, got {other:?}"),
    }
}

async fn offsets(store: &dyn MetaStore, p: PartitionKey) -> PartitionOffsets {
    store.partition_offsets(p).await.expect("partition offsets").expect("partition exists")
}

async fn all_entries(store: &dyn MetaStore, p: PartitionKey) -> Vec<IndexEntry> {
    store.read_index(p, 0, usize::MAX, u64::MAX).await.expect("read index").expect("partition exists").1
}

/// Rows are dense from the log start's row to the high watermark and their
/// bytes add up to the partition's size.
fn assert_dense(offsets: &PartitionOffsets, rows: &[IndexEntry]) {
    let mut next = None;
    for row in rows {
        assert!(row.last_offset >= row.base_offset, "{row:?}");
        if let Some(next) = next {
            assert_eq!(row.base_offset, next, "rows must be dense: {rows:?}");
        }
        next = Some(row.last_offset + 1);
    }
    match (rows.first(), rows.last()) {
        (Some(first), Some(last)) => {
            assert!(first.base_offset <= offsets.log_start_offset, "{offsets:?} {first:?}");
            assert!(first.last_offset >= offsets.log_start_offset, "{offsets:?} {first:?}");
            assert_eq!(last.last_offset + 1, offsets.high_watermark, "{offsets:?}");
        }
        _ => assert_eq!(offsets.log_start_offset, offsets.high_watermark, "no rows: {offsets:?}"),
    }
    let bytes: i64 = rows.iter().map(|r| i64::from(r.byte_length)).sum();
    assert_eq!(bytes, offsets.size_bytes, "size_bytes is the sum of the rows' bytes");
}

async fn dead_keys(store: &dyn MetaStore, before: i64, prefix: &str) -> Vec<String> {
    let dead = store.dead_objects(before, usize::MAX).await.expect("dead objects");
    dead.into_iter().filter(|d| d.key.starts_with(prefix)).map(|d| d.key).collect()
}

async fn is_dead(store: &dyn MetaStore, key: &str) -> bool {
    let dead = store.dead_objects(i64::MAX, usize::MAX).await.expect("dead objects");
    dead.iter().any(|d| d.key == key)
}

// ---------------------------------------------------------------------------
// Topics

async fn topic_crud_and_errors(store: &dyn MetaStore) {
    let mut configs = BTreeMap::new();
    configs.insert("retention.ms".to_string(), "60000".to_string());
    configs.insert("cleanup.policy".to_string(), "delete".to_string());
    let new = NewTopic {
        name: "crud-b".to_string(),
        id: Uuid::new_v4(),
        partition_count: 3,
        replication_factor: 2,
        configs: configs.clone(),
        created_ms: T0 + 5,
    };
    let meta = store.create_topic(new.clone()).await.expect("create");
    assert_eq!(meta.name, "crud-b");
    assert_eq!(meta.id, new.id);
    assert_eq!(meta.partition_count, 3);
    assert_eq!(meta.replication_factor, 2);
    assert_eq!(meta.configs, configs);
    assert_eq!(meta.created_ms, T0 + 5);
    assert_eq!(store.topic("crud-b").await.expect("topic"), Some(meta.clone()));
    assert_eq!(store.topic_by_id(new.id).await.expect("by id"), Some(meta.clone()));
    assert_eq!(store.topic("crud-none").await.expect("topic"), None);
    assert_eq!(store.topic_by_id(Uuid::new_v4()).await.expect("by id"), None);

    let again = NewTopic { id: Uuid::new_v4(), ..new.clone() };
    let err = store.create_topic(again).await.expect_err("duplicate name");
    assert!(matches!(&err, MetaError::TopicExists(n) if n == "crud-b"), "{err:?}");
    assert!(!err.is_retriable());
    let zero = NewTopic { name: "crud-zero".to_string(), id: Uuid::new_v4(), partition_count: 0, ..new.clone() };
    let err = store.create_topic(zero).await.expect_err("zero partitions");
    assert!(matches!(err, MetaError::InvalidPartitions(_)), "{err:?}");
    assert_eq!(store.topic("crud-zero").await.expect("topic"), None);

    let c = create(store, "crud-c", 1).await;
    let a = create(store, "crud-a", 1).await;
    let listed: Vec<TopicMeta> =
        store.topics().await.expect("topics").into_iter().filter(|t| t.name.starts_with("crud-")).collect();
    assert_eq!(listed, vec![a.clone(), meta.clone(), c.clone()], "sorted by name, with configs");
    let names: Vec<String> = store.topics().await.expect("topics").into_iter().map(|t| t.name).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);

    for p in 0..3 {
        assert_eq!(store.partition_offsets(pk(&meta, p)).await.expect("offsets"), Some(PartitionOffsets::default()));
    }
    assert_eq!(store.partition_offsets(pk(&meta, 3)).await.expect("offsets"), None);
    assert_eq!(store.partition_offsets(pk(&meta, -1)).await.expect("offsets"), None);

    // Configs: the whole set is replaced.
    let mut replaced = BTreeMap::new();
    replaced.insert("max.message.bytes".to_string(), "1048588".to_string());
    let updated = store.set_topic_configs("crud-b", replaced.clone()).await.expect("set configs");
    assert_eq!(updated.configs, replaced);
    assert_eq!(store.topic("crud-b").await.expect("topic").expect("exists").configs, replaced);
    let cleared = store.set_topic_configs("crud-b", BTreeMap::new()).await.expect("clear configs");
    assert!(cleared.configs.is_empty());
    assert!(store.topic_by_id(meta.id).await.expect("by id").expect("exists").configs.is_empty());
    let err = store.set_topic_configs("crud-none", BTreeMap::new()).await.expect_err("unknown");
    assert!(matches!(&err, MetaError::UnknownTopic(n) if n == "crud-none"), "{err:?}");

    // Partition count only grows; new partitions start empty.
    for count in [3, 2, 0] {
        let err = store.set_partition_count("crud-b", count).await.expect_err("not larger");
        assert!(matches!(err, MetaError::InvalidPartitions(_)), "{count}: {err:?}");
    }
    let grown = store.set_partition_count("crud-b", 5).await.expect("grow");
    assert_eq!(grown.partition_count, 5);
    assert_eq!(grown.id, meta.id);
    assert_eq!(store.topic("crud-b").await.expect("topic").expect("exists").partition_count, 5);
    assert_eq!(store.partition_offsets(pk(&meta, 4)).await.expect("offsets"), Some(PartitionOffsets::default()));
    let out = commit(store, "crud-obj-1", vec![batch(pk(&meta, 4), 10, 2, T0)]).await;
    assert_eq!(appended(&out[0]), 0);
    let err = store.set_partition_count("crud-none", 9).await.expect_err("unknown");
    assert!(matches!(err, MetaError::UnknownTopic(_)), "{err:?}");

    // Delete.
    let deleted = store.delete_topic("crud-b", T0).await.expect("delete");
    assert_eq!(deleted.id, meta.id);
    assert_eq!(deleted.partition_count, 5);
    assert_eq!(store.topic("crud-b").await.expect("topic"), None);
    assert_eq!(store.topic_by_id(meta.id).await.expect("by id"), None);
    assert_eq!(store.partition_offsets(pk(&meta, 0)).await.expect("offsets"), None);
    assert_eq!(store.read_index(pk(&meta, 4), 0, 10, 1000).await.expect("read"), None);
    let err = store.delete_topic("crud-b", T0).await.expect_err("deleted twice");
    assert!(matches!(&err, MetaError::UnknownTopic(n) if n == "crud-b"), "{err:?}");

    // The name can be reused; the new topic starts empty.
    let reborn = create(store, "crud-b", 1).await;
    assert_ne!(reborn.id, meta.id);
    assert_eq!(offsets(store, pk(&reborn, 0)).await, PartitionOffsets::default());
    assert!(all_entries(store, pk(&reborn, 0)).await.is_empty());
}

// ---------------------------------------------------------------------------
// The write path

async fn dense_offsets_across_commits_and_partitions(store: &dyn MetaStore) {
    let t = create(store, "dense", 3).await;
    let mut next = [0i64; 3];
    let mut size = [0i64; 3];
    for round in 0..12i32 {
        let mut batches = Vec::new();
        for i in 0..(round % 4 + 1) {
            let p = (round + i) % 3;
            let count = (round * 7 + i * 3) % 9 + 1;
            batches.push(batch(pk(&t, p), 40 + (round as u32 % 5), count, T0 + i64::from(round)));
        }
        let out = commit(store, &format!("dense-{round}"), batches.clone()).await;
        for (b, o) in batches.iter().zip(&out) {
            let p = b.partition.partition as usize;
            assert_eq!(
                o,
                &BatchOutcome::Appended { base_offset: next[p], log_start_offset: 0 },
                "round {round} partition {p}"
            );
            next[p] += i64::from(b.record_count);
            size[p] += i64::from(b.byte_length);
        }
    }
    for p in 0..3 {
        let o = offsets(store, pk(&t, p)).await;
        assert_eq!(
            o,
            PartitionOffsets { log_start_offset: 0, high_watermark: next[p as usize], size_bytes: size[p as usize] }
        );
        let rows = all_entries(store, pk(&t, p)).await;
        assert_eq!(rows.first().map(|r| r.base_offset), Some(0));
        assert_dense(&o, &rows);
    }
}

async fn outcomes_come_back_in_input_order(store: &dyn MetaStore) {
    let x = create(store, "order-x", 2).await;
    let y = create(store, "order-y", 1).await;
    let ghost = PartitionKey { topic_id: Uuid::new_v4(), partition: 0 };
    let batches = vec![
        batch(pk(&x, 1), 11, 2, T0),
        batch(pk(&y, 0), 12, 3, T0),
        batch(pk(&x, 0), 13, 4, T0),
        batch(pk(&x, 1), 14, 5, T0),
        batch(pk(&x, 9), 15, 1, T0),
        batch(ghost, 16, 1, T0),
        batch(pk(&x, 0), 17, 6, T0),
    ];
    let out = commit(store, "order-obj", batches).await;
    let unknown = BatchOutcome::Rejected(AppendRejection::UnknownTopicOrPartition);
    assert_eq!(
        out,
        vec![
            BatchOutcome::Appended { base_offset: 0, log_start_offset: 0 },
            BatchOutcome::Appended { base_offset: 0, log_start_offset: 0 },
            BatchOutcome::Appended { base_offset: 0, log_start_offset: 0 },
            BatchOutcome::Appended { base_offset: 2, log_start_offset: 0 },
            unknown.clone(),
            unknown,
            BatchOutcome::Appended { base_offset: 4, log_start_offset: 0 },
        ]
    );
    // Positions in the object are those given: 0, 11, 23, 36, 50, 65, 81.
    let x1 = all_entries(store, pk(&x, 1)).await;
    assert_eq!(
        x1,
        vec![
            IndexEntry {
                base_offset: 0,
                last_offset: 1,
                max_timestamp_ms: T0,
                object_key: "order-obj".into(),
                byte_position: 0,
                byte_length: 11
            },
            IndexEntry {
                base_offset: 2,
                last_offset: 6,
                max_timestamp_ms: T0,
                object_key: "order-obj".into(),
                byte_position: 36,
                byte_length: 14
            },
        ]
    );
    let x0 = all_entries(store, pk(&x, 0)).await;
    assert_eq!(x0.iter().map(|e| (e.base_offset, e.byte_position)).collect::<Vec<_>>(), vec![(0, 23), (4, 81)]);
    assert_eq!(offsets(store, pk(&x, 0)).await.high_watermark, 10);
    assert_eq!(offsets(store, pk(&y, 0)).await.high_watermark, 3);
    assert!(!is_dead(store, "order-obj").await);
}

async fn duplicates_return_their_original_offset(store: &dyn MetaStore) {
    let t = create(store, "dup", 1).await;
    let p = pk(&t, 0);
    let pid = store.allocate_producer_id().await.expect("producer id");
    let out = commit(store, "dup-1", vec![idem(p, pid, 0, 0, 4)]).await;
    assert_eq!(appended(&out[0]), 0);
    let out = commit(store, "dup-2", vec![batch(p, 10, 3, T0)]).await;
    assert_eq!(appended(&out[0]), 5);

    // A retry of the first batch gets its original offset and takes none.
    let out = commit(store, "dup-3", vec![idem(p, pid, 0, 0, 4)]).await;
    assert_eq!(out, vec![BatchOutcome::Duplicate { base_offset: 0, log_start_offset: 0 }]);
    assert_eq!(offsets(store, p).await.high_watermark, 8);
    assert!(is_dead(store, "dup-3").await, "an object holding only duplicates is dead");

    let out = commit(store, "dup-4", vec![idem(p, pid, 0, 5, 9)]).await;
    assert_eq!(appended(&out[0]), 8);
    // A duplicate inside the commit that appended it.
    let out = commit(store, "dup-5", vec![idem(p, pid, 0, 10, 14), idem(p, pid, 0, 10, 14)]).await;
    assert_eq!(
        out,
        vec![
            BatchOutcome::Appended { base_offset: 13, log_start_offset: 0 },
            BatchOutcome::Duplicate { base_offset: 13, log_start_offset: 0 },
        ]
    );
    // Duplicates report the current log start.
    store.advance_log_start(p, 9, T0).await.expect("advance");
    let out = commit(store, "dup-6", vec![idem(p, pid, 0, 5, 9)]).await;
    assert_eq!(out, vec![BatchOutcome::Duplicate { base_offset: 8, log_start_offset: 9 }]);

    // Only the last five batches are remembered.
    for i in 0..5 {
        let first = 15 + i * 2;
        let out = commit(store, &format!("dup-more-{i}"), vec![idem(p, pid, 0, first, first + 1)]).await;
        appended(&out[0]);
    }
    let entries = store.producer_entries(p).await.expect("producer entries");
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!((e.producer_id, e.producer_epoch), (pid, 0));
    assert_eq!(e.batches.len(), crate::producer::CACHED_BATCHES_MAX);
    assert_eq!(e.batches.first().map(|b| b.first_sequence), Some(15));
    assert_eq!(e.last_sequence(), 24);
    let last = e.batches.last().expect("batches");
    assert_eq!(last.last_offset - last.base_offset, 1);
    assert_eq!(last.last_offset + 1, offsets(store, p).await.high_watermark);
    assert_eq!(e.last_timestamp_ms, T0);
    let out = commit(store, "dup-old", vec![idem(p, pid, 0, 10, 14)]).await;
    assert_eq!(out, vec![BatchOutcome::Rejected(AppendRejection::OutOfOrderSequence)], "forgotten batch");
    assert_dense(&offsets(store, p).await, &all_entries(store, p).await);
}

async fn out_of_order_and_fenced_batches_take_no_offsets(store: &dyn MetaStore) {
    let t = create(store, "seq", 1).await;
    let p = pk(&t, 0);
    let pid = store.allocate_producer_id().await.expect("producer id");
    let out = commit(store, "seq-1", vec![idem(p, pid, 2, 0, 2)]).await;
    assert_eq!(appended(&out[0]), 0);

    let out = commit(store, "seq-2", vec![idem(p, pid, 2, 5, 6)]).await;
    assert_eq!(out, vec![BatchOutcome::Rejected(AppendRejection::OutOfOrderSequence)]);
    let out = commit(store, "seq-3", vec![idem(p, pid, 1, 3, 4)]).await;
    assert_eq!(out, vec![BatchOutcome::Rejected(AppendRejection::InvalidProducerEpoch)]);
    let out = commit(store, "seq-4", vec![idem(p, pid, 3, 7, 7)]).await;
    assert_eq!(out, vec![BatchOutcome::Rejected(AppendRejection::OutOfOrderSequence)], "new epoch must start at 0");
    assert_eq!(offsets(store, p).await.high_watermark, 3, "rejections take no offsets");

    let out = commit(
        store,
        "seq-5",
        vec![idem(p, pid, 3, 0, 0), idem(p, pid, 3, 1, 1), idem(p, pid, 3, 3, 3), idem(p, pid, 3, 2, 2)],
    )
    .await;
    assert_eq!(
        out,
        vec![
            BatchOutcome::Appended { base_offset: 3, log_start_offset: 0 },
            BatchOutcome::Appended { base_offset: 4, log_start_offset: 0 },
            BatchOutcome::Rejected(AppendRejection::OutOfOrderSequence),
            BatchOutcome::Appended { base_offset: 5, log_start_offset: 0 },
        ]
    );
    let out = commit(store, "seq-6", vec![idem(p, pid, 2, 3, 3)]).await;
    assert_eq!(out, vec![BatchOutcome::Rejected(AppendRejection::InvalidProducerEpoch)], "epoch 2 is fenced now");

    // A producer the partition has never seen may start at any sequence.
    let other = store.allocate_producer_id().await.expect("producer id");
    let out = commit(store, "seq-7", vec![idem(p, other, 0, 42, 43)]).await;
    assert_eq!(appended(&out[0]), 6);
    let entries = store.producer_entries(p).await.expect("entries");
    let ids: Vec<i64> = entries.iter().map(|e| e.producer_id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "entries come by producer id");
    let e = entries.iter().find(|e| e.producer_id == pid).expect("entry");
    assert_eq!(e.producer_epoch, 3);
    assert_eq!(e.last_sequence(), 2);
    assert_dense(&offsets(store, p).await, &all_entries(store, p).await);

    let err = store.producer_entries(PartitionKey { topic_id: t.id, partition: 5 }).await.expect_err("unknown");
    assert!(matches!(err, MetaError::UnknownTopicOrPartition), "{err:?}");
}

async fn producer_state_is_per_partition(store: &dyn MetaStore) {
    let t = create(store, "perpart", 2).await;
    let pid = store.allocate_producer_id().await.expect("producer id");
    let out = commit(store, "perpart-1", vec![idem(pk(&t, 0), pid, 0, 0, 9), idem(pk(&t, 1), pid, 0, 0, 4)]).await;
    assert_eq!((appended(&out[0]), appended(&out[1])), (0, 0));
    let out = commit(store, "perpart-2", vec![idem(pk(&t, 1), pid, 0, 5, 5), idem(pk(&t, 0), pid, 0, 10, 10)]).await;
    assert_eq!((appended(&out[0]), appended(&out[1])), (5, 10));
    let e0 = store.producer_entries(pk(&t, 0)).await.expect("entries");
    let e1 = store.producer_entries(pk(&t, 1)).await.expect("entries");
    assert_eq!(e0.len(), 1);
    assert_eq!(e1.len(), 1);
    assert_eq!(e0[0].last_sequence(), 10);
    assert_eq!(e1[0].last_sequence(), 5);
}

async fn all_rejected_commit_leaves_a_dead_object(store: &dyn MetaStore) {
    let t = create(store, "rejected", 1).await;
    let p = pk(&t, 0);
    let pid = store.allocate_producer_id().await.expect("producer id");
    commit(store, "rejected-0", vec![idem(p, pid, 5, 0, 0)]).await;
    let created = T0 + 777;
    let out = commit_at(
        store,
        "rejected-1",
        created,
        vec![
            batch(PartitionKey { topic_id: t.id, partition: 1 }, 10, 1, T0),
            idem(p, pid, 5, 7, 7),
            idem(p, pid, 4, 1, 1),
        ],
    )
    .await;
    assert_eq!(
        out,
        vec![
            BatchOutcome::Rejected(AppendRejection::UnknownTopicOrPartition),
            BatchOutcome::Rejected(AppendRejection::OutOfOrderSequence),
            BatchOutcome::Rejected(AppendRejection::InvalidProducerEpoch),
        ]
    );
    let dead = store.dead_objects(i64::MAX, usize::MAX).await.expect("dead");
    assert!(dead.contains(&DeadObject { key: "rejected-1".into(), dead_since_ms: created }), "{dead:?}");
    assert_eq!(store.known_objects(&["rejected-1".to_string()]).await.expect("known"), vec!["rejected-1".to_string()]);
    // An empty commit, too.
    let out = commit_at(store, "rejected-empty", created, vec![]).await;
    assert!(out.is_empty());
    assert!(is_dead(store, "rejected-empty").await);
    assert!(!is_dead(store, "rejected-0").await);
    assert_eq!(offsets(store, p).await.high_watermark, 1);
}

async fn failed_commit_records_nothing(store: &dyn MetaStore) {
    let t = create(store, "atomic", 2).await;
    let good = batch(pk(&t, 0), 10, 1, T0);
    commit(store, "atomic-0", vec![good.clone()]).await;
    let before = (offsets(store, pk(&t, 0)).await, offsets(store, pk(&t, 1)).await);

    // A bad batch after good ones: the whole commit fails.
    let mut bad = batch(pk(&t, 1), 10, 0, T0);
    bad.byte_position = 10;
    let object = NewObject { key: "atomic-1".into(), size_bytes: 20, created_ms: T0 };
    let err = store.commit_object(object, vec![good.clone(), bad]).await.expect_err("record_count 0");
    assert!(!err.is_retriable(), "{err:?}");
    // A batch outside its object.
    let mut outside = good.clone();
    outside.byte_position = 5;
    let object = NewObject { key: "atomic-2".into(), size_bytes: 10, created_ms: T0 };
    let err = store.commit_object(object, vec![outside]).await.expect_err("outside the object");
    assert!(!err.is_retriable(), "{err:?}");
    // The same object twice.
    let object = NewObject { key: "atomic-0".into(), size_bytes: 10, created_ms: T0 };
    let err = store.commit_object(object, vec![good]).await.expect_err("object committed twice");
    assert!(!err.is_retriable(), "{err:?}");

    assert_eq!((offsets(store, pk(&t, 0)).await, offsets(store, pk(&t, 1)).await), before);
    let keys = ["atomic-0".to_string(), "atomic-1".to_string(), "atomic-2".to_string()];
    assert_eq!(store.known_objects(&keys).await.expect("known"), vec!["atomic-0".to_string()]);
    assert_eq!(all_entries(store, pk(&t, 0)).await.len(), 1);
}

// ---------------------------------------------------------------------------
// The read path

async fn read_index_limits(store: &dyn MetaStore) {
    let t = create(store, "readidx", 1).await;
    let p = pk(&t, 0);
    // Five batches of ten offsets and 100 bytes: 0..=9, 10..=19, ..., 40..=49.
    for i in 0..5 {
        commit(store, &format!("readidx-{i}"), vec![batch(p, 100, 10, T0 + i)]).await;
    }
    let read = |from: i64, max_entries: usize, max_bytes: u64| async move {
        let (o, rows) = store.read_index(p, from, max_entries, max_bytes).await.expect("read").expect("exists");
        assert_eq!(
            o,
            PartitionOffsets { log_start_offset: o.log_start_offset, high_watermark: 50, size_bytes: o.size_bytes }
        );
        rows.iter().map(|r| r.base_offset).collect::<Vec<_>>()
    };
    assert_eq!(read(0, usize::MAX, u64::MAX).await, vec![0, 10, 20, 30, 40]);
    assert_eq!(read(0, 2, u64::MAX).await, vec![0, 10]);
    assert_eq!(read(0, 0, u64::MAX).await, Vec::<i64>::new());
    assert_eq!(read(0, 10, 250).await, vec![0, 10, 20], "the row crossing max_bytes is included");
    assert_eq!(read(0, 10, 200).await, vec![0, 10], "stops once max_bytes is reached");
    assert_eq!(read(0, 10, 1).await, vec![0]);
    assert_eq!(read(0, 10, 0).await, vec![0], "at least one row");
    assert_eq!(read(15, 10, u64::MAX).await, vec![10, 20, 30, 40], "from inside a batch returns that batch");
    assert_eq!(read(19, 2, u64::MAX).await, vec![10, 20]);
    assert_eq!(read(20, 1, u64::MAX).await, vec![20]);
    assert_eq!(read(49, 10, u64::MAX).await, vec![40]);
    assert_eq!(read(50, 10, u64::MAX).await, Vec::<i64>::new(), "at the high watermark");
    assert_eq!(read(1000, 10, u64::MAX).await, Vec::<i64>::new());
    assert_eq!(read(-5, 1, u64::MAX).await, vec![0]);

    store.advance_log_start(p, 25, T0).await.expect("advance");
    assert_eq!(read(0, 10, u64::MAX).await, vec![20, 30, 40], "rows before the log start are gone");
    let (o, _) = store.read_index(p, 0, 1, 1).await.expect("read").expect("exists");
    assert_eq!(o, PartitionOffsets { log_start_offset: 25, high_watermark: 50, size_bytes: 300 });

    let missing = PartitionKey { topic_id: t.id, partition: 1 };
    assert_eq!(store.read_index(missing, 0, 10, 100).await.expect("read"), None);
    let empty = create(store, "readidx-empty", 1).await;
    let (o, rows) = store.read_index(pk(&empty, 0), 0, 10, 100).await.expect("read").expect("exists");
    assert_eq!(o, PartitionOffsets::default());
    assert!(rows.is_empty());
}

async fn timestamp_lookups(store: &dyn MetaStore) {
    let t = create(store, "ts", 1).await;
    let p = pk(&t, 0);
    let stamps = [100, 300, 200, 300, 50];
    let batches = stamps.iter().map(|&ts| batch(p, 10, 2, ts)).collect();
    commit(store, "ts-1", batches).await;
    let first = |ts: i64| async move {
        store.first_entry_at_or_after_timestamp(p, ts).await.expect("lookup").map(|e| e.base_offset)
    };
    assert_eq!(first(0).await, Some(0));
    assert_eq!(first(100).await, Some(0));
    assert_eq!(first(101).await, Some(2));
    assert_eq!(first(250).await, Some(2));
    assert_eq!(first(300).await, Some(2));
    assert_eq!(first(301).await, None);
    let max = store.max_timestamp_entry(p).await.expect("max").expect("some");
    assert_eq!((max.base_offset, max.last_offset, max.max_timestamp_ms), (2, 3, 300), "earliest on ties");
    assert_eq!(max.object_key, "ts-1");
    assert_eq!((max.byte_position, max.byte_length), (10, 10));

    let empty = create(store, "ts-empty", 1).await;
    assert_eq!(store.max_timestamp_entry(pk(&empty, 0)).await.expect("max"), None);
    assert_eq!(store.first_entry_at_or_after_timestamp(pk(&empty, 0), 0).await.expect("first"), None);
    let missing = PartitionKey { topic_id: t.id, partition: 3 };
    let err = store.max_timestamp_entry(missing).await.expect_err("unknown");
    assert!(matches!(err, MetaError::UnknownTopicOrPartition), "{err:?}");
    let err = store.first_entry_at_or_after_timestamp(missing, 0).await.expect_err("unknown");
    assert!(matches!(err, MetaError::UnknownTopicOrPartition), "{err:?}");
}

// ---------------------------------------------------------------------------
// Log start and retention

async fn advance_log_start_moves_forward_only(store: &dyn MetaStore) {
    let t = create(store, "lso", 1).await;
    let p = pk(&t, 0);
    for i in 0..3 {
        commit(store, &format!("lso-{i}"), vec![batch(p, 100, 10, T0)]).await;
    }
    let err = store.advance_log_start(p, 31, T0).await.expect_err("past the high watermark");
    assert!(
        matches!(err, MetaError::OffsetOutOfRange { requested: 31, log_start_offset: 0, high_watermark: 30 }),
        "{err:?}"
    );
    let o = store.advance_log_start(p, 5, T0).await.expect("advance");
    assert_eq!(o, PartitionOffsets { log_start_offset: 5, high_watermark: 30, size_bytes: 300 });
    assert_eq!(offsets(store, p).await, o);
    assert!(!is_dead(store, "lso-0").await, "the row holding offset 5 stays");
    let o = store.advance_log_start(p, 3, T0).await.expect("backwards is a no-op");
    assert_eq!(o.log_start_offset, 5);
    let o = store.advance_log_start(p, 10, T0 + 10).await.expect("advance");
    assert_eq!(o, PartitionOffsets { log_start_offset: 10, high_watermark: 30, size_bytes: 200 });
    let dead = store.dead_objects(i64::MAX, usize::MAX).await.expect("dead");
    assert!(dead.contains(&DeadObject { key: "lso-0".into(), dead_since_ms: T0 + 10 }), "{dead:?}");
    assert!(!is_dead(store, "lso-1").await);
    let o = store.advance_log_start(p, 30, T0 + 20).await.expect("advance to the end");
    assert_eq!(o, PartitionOffsets { log_start_offset: 30, high_watermark: 30, size_bytes: 0 });
    assert!(all_entries(store, p).await.is_empty());
    assert!(is_dead(store, "lso-2").await);
    let out = commit(store, "lso-3", vec![batch(p, 100, 10, T0)]).await;
    assert_eq!(out, vec![BatchOutcome::Appended { base_offset: 30, log_start_offset: 30 }]);

    let err = store.advance_log_start(PartitionKey { topic_id: t.id, partition: 1 }, 0, T0).await.expect_err("unknown");
    assert!(matches!(err, MetaError::UnknownTopicOrPartition), "{err:?}");
}

async fn retention_by_time(store: &dyn MetaStore) {
    let t = create(store, "ret-time", 1).await;
    let p = pk(&t, 0);
    for (i, ts) in [100, 200, 300, 150].into_iter().enumerate() {
        commit(store, &format!("ret-time-{i}"), vec![batch(p, 100, 1, ts)]).await;
    }
    let o = store.apply_retention(p, None, None, T0).await.expect("no limits");
    assert_eq!(o, PartitionOffsets { log_start_offset: 0, high_watermark: 4, size_bytes: 400 });
    let o = store.apply_retention(p, Some(100), None, T0).await.expect("nothing old enough");
    assert_eq!(o.log_start_offset, 0);
    let o = store.apply_retention(p, Some(250), None, T0 + 1).await.expect("retention");
    assert_eq!(o, PartitionOffsets { log_start_offset: 2, high_watermark: 4, size_bytes: 200 }, "a prefix only");
    assert_eq!(offsets(store, p).await, o);
    assert_eq!(dead_keys(store, i64::MAX, "ret-time-").await, vec!["ret-time-0", "ret-time-1"]);
    let o = store.apply_retention(p, Some(1_000), None, T0 + 2).await.expect("retention");
    assert_eq!(o, PartitionOffsets { log_start_offset: 4, high_watermark: 4, size_bytes: 0 }, "everything");
    assert!(all_entries(store, p).await.is_empty());
    let err = store.apply_retention(PartitionKey { topic_id: t.id, partition: 2 }, Some(1), None, T0).await;
    assert!(matches!(err, Err(MetaError::UnknownTopicOrPartition)), "{err:?}");
}

async fn retention_by_bytes(store: &dyn MetaStore) {
    let t = create(store, "ret-bytes", 1).await;
    let p = pk(&t, 0);
    for i in 0..5 {
        commit(store, &format!("ret-bytes-{i}"), vec![batch(p, 100, 2, T0 + i)]).await;
    }
    // Kafka's rule: drop a row only if at least max_bytes remain without it.
    let o = store.apply_retention(p, None, Some(300), T0).await.expect("retention");
    assert_eq!(o, PartitionOffsets { log_start_offset: 4, high_watermark: 10, size_bytes: 300 });
    let o = store.apply_retention(p, None, Some(250), T0).await.expect("retention");
    assert_eq!(o, PartitionOffsets { log_start_offset: 4, high_watermark: 10, size_bytes: 300 }, "would go below");
    let o = store.apply_retention(p, None, Some(200), T0).await.expect("retention");
    assert_eq!(o, PartitionOffsets { log_start_offset: 6, high_watermark: 10, size_bytes: 200 });
    // Either limit drops a row.
    let o = store.apply_retention(p, Some(T0 + 4), Some(1_000), T0).await.expect("retention");
    assert_eq!(o, PartitionOffsets { log_start_offset: 8, high_watermark: 10, size_bytes: 100 });
    let o = store.apply_retention(p, Some(0), Some(0), T0).await.expect("retention");
    assert_eq!(o, PartitionOffsets { log_start_offset: 10, high_watermark: 10, size_bytes: 0 });
    assert_eq!(dead_keys(store, i64::MAX, "ret-bytes-").await.len(), 5);
    // Retention after a mid-batch log start keeps the later start.
    commit(store, "ret-bytes-5", vec![batch(p, 100, 10, T0)]).await;
    commit(store, "ret-bytes-6", vec![batch(p, 100, 10, T0)]).await;
    store.advance_log_start(p, 15, T0).await.expect("advance");
    let o = store.apply_retention(p, None, Some(1_000), T0).await.expect("retention");
    assert_eq!(o, PartitionOffsets { log_start_offset: 15, high_watermark: 30, size_bytes: 200 });
    let o = store.apply_retention(p, None, Some(100), T0).await.expect("retention");
    assert_eq!(o, PartitionOffsets { log_start_offset: 20, high_watermark: 30, size_bytes: 100 });
}

// ---------------------------------------------------------------------------
// Objects

async fn delete_topic_releases_objects(store: &dyn MetaStore) {
    let a = create(store, "del-a", 2).await;
    let b = create(store, "del-b", 1).await;
    let pid = store.allocate_producer_id().await.expect("producer id");
    commit(store, "del-shared", vec![batch(pk(&a, 0), 100, 1, T0), idem(pk(&b, 0), pid, 0, 0, 0)]).await;
    commit(store, "del-only-a", vec![batch(pk(&a, 1), 100, 1, T0), batch(pk(&a, 0), 100, 1, T0)]).await;
    store.delete_topic("del-a", T0 + 50).await.expect("delete");
    let dead = store.dead_objects(i64::MAX, usize::MAX).await.expect("dead");
    assert!(dead.contains(&DeadObject { key: "del-only-a".into(), dead_since_ms: T0 + 50 }), "{dead:?}");
    assert!(!is_dead(store, "del-shared").await, "still holds del-b's batch");
    let out = commit(store, "del-late", vec![batch(pk(&a, 0), 10, 1, T0)]).await;
    assert_eq!(out, vec![BatchOutcome::Rejected(AppendRejection::UnknownTopicOrPartition)]);

    store.delete_topic("del-b", T0 + 60).await.expect("delete");
    let dead = store.dead_objects(i64::MAX, usize::MAX).await.expect("dead");
    assert!(dead.contains(&DeadObject { key: "del-shared".into(), dead_since_ms: T0 + 60 }), "{dead:?}");
    let err = store.producer_entries(pk(&b, 0)).await.expect_err("gone with the topic");
    assert!(matches!(err, MetaError::UnknownTopicOrPartition), "{err:?}");
}

async fn dead_objects_forget_and_known(store: &dyn MetaStore) {
    // Times below T0 so that no other check's dead objects are listed.
    let t = create(store, "gc", 1).await;
    let ghost = PartitionKey { topic_id: Uuid::new_v4(), partition: 0 };
    for (key, created) in [("gc-2", 20), ("gc-1", 10), ("gc-3", 30)] {
        commit_at(store, key, created, vec![batch(ghost, 10, 1, T0)]).await;
    }
    commit_at(store, "gc-live", 5, vec![batch(pk(&t, 0), 10, 1, T0)]).await;
    let dead = |key: &str, at: i64| DeadObject { key: key.into(), dead_since_ms: at };
    assert_eq!(
        store.dead_objects(100, 10).await.expect("dead"),
        vec![dead("gc-1", 10), dead("gc-2", 20), dead("gc-3", 30)],
        "oldest first"
    );
    assert_eq!(store.dead_objects(100, 2).await.expect("dead"), vec![dead("gc-1", 10), dead("gc-2", 20)]);
    assert_eq!(store.dead_objects(20, 10).await.expect("dead"), vec![dead("gc-1", 10)], "strictly before");
    assert_eq!(store.dead_objects(100, 0).await.expect("dead"), Vec::<DeadObject>::new());

    let keys: Vec<String> = ["gc-1", "gc-live", "gc-never", "gc-3"].iter().map(|s| s.to_string()).collect();
    assert_eq!(store.known_objects(&keys).await.expect("known"), vec!["gc-1", "gc-live", "gc-3"]);
    assert_eq!(store.known_objects(&[]).await.expect("known"), Vec::<String>::new());

    store.forget_object("gc-1").await.expect("forget");
    store.forget_object("gc-1").await.expect("forget twice");
    store.forget_object("gc-never").await.expect("forget unknown");
    assert_eq!(store.dead_objects(100, 10).await.expect("dead"), vec![dead("gc-2", 20), dead("gc-3", 30)]);
    assert_eq!(store.known_objects(&keys).await.expect("known"), vec!["gc-live", "gc-3"]);

    let err = store.forget_object("gc-live").await.expect_err("live objects are never forgotten");
    assert!(!err.is_retriable(), "{err:?}");
    assert_eq!(store.known_objects(&keys).await.expect("known"), vec!["gc-live", "gc-3"]);
    assert_eq!(all_entries(store, pk(&t, 0)).await[0].object_key, "gc-live");
}

// ---------------------------------------------------------------------------
// Producers, cluster, brokers

async fn producer_ids_are_unique(store: &dyn MetaStore) {
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(store.allocate_producer_id().await.expect("allocate"));
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "increasing: {ids:?}");
    assert!(ids[0] >= 0);
    let burst = |n: usize| async move {
        let mut v = Vec::new();
        for _ in 0..n {
            v.push(store.allocate_producer_id().await.expect("allocate"));
        }
        v
    };
    let (x, y) = tokio::join!(burst(25), burst(25));
    ids.extend(x);
    ids.extend(y);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "never the same id twice");
}

async fn cluster_id_is_stable(store: &dyn MetaStore) {
    let (a, b) = tokio::join!(store.cluster_id(), store.cluster_id());
    let id = a.expect("cluster id");
    assert_eq!(b.expect("cluster id"), id);
    assert_eq!(store.cluster_id().await.expect("cluster id"), id);
    assert_eq!(id.len(), 22, "{id}");
    assert!(id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'), "{id}");
}

async fn broker_leases_expire(store: &dyn MetaStore) {
    let reg = |node_id: i32, host: &str, rack: Option<&str>, lease: i64| BrokerRegistration {
        node_id,
        host: host.to_string(),
        port: 9092 + node_id,
        rack: rack.map(str::to_string),
        lease_expires_ms: lease,
    };
    store.register_broker(reg(2, "b2", None, T0 + 5_000)).await.expect("register");
    store.register_broker(reg(3, "b3", Some("az-3"), T0 + 20_000)).await.expect("register");
    store.register_broker(reg(1, "b1", Some("az-1"), T0 + 10_000)).await.expect("register");
    assert_eq!(
        store.live_brokers(T0).await.expect("live"),
        vec![
            reg(1, "b1", Some("az-1"), T0 + 10_000),
            reg(2, "b2", None, T0 + 5_000),
            reg(3, "b3", Some("az-3"), T0 + 20_000)
        ]
    );
    let live: Vec<i32> = store.live_brokers(T0 + 5_000).await.expect("live").iter().map(|b| b.node_id).collect();
    assert_eq!(live, vec![1, 3], "a lease ending at now has expired");
    // Renewal replaces the registration.
    store.register_broker(reg(2, "b2-new", Some("az-2"), T0 + 30_000)).await.expect("renew");
    assert_eq!(store.live_brokers(T0 + 25_000).await.expect("live"), vec![reg(2, "b2-new", Some("az-2"), T0 + 30_000)]);
    assert_eq!(store.live_brokers(T0 + 30_000).await.expect("live"), Vec::<BrokerRegistration>::new());
}

// ---------------------------------------------------------------------------
// Concurrency

async fn concurrent_commits_get_dense_unique_offsets(store: &dyn MetaStore) {
    const COMMITS: usize = 200;
    let t = create(store, "concurrent", 1).await;
    let p = pk(&t, 0);
    let writer = |name: &'static str, count: i32| async move {
        let pid = store.allocate_producer_id().await.expect("producer id");
        let mut bases = Vec::with_capacity(COMMITS);
        for i in 0..COMMITS {
            let first = i as i32 * count;
            let out =
                commit(store, &format!("concurrent-{name}-{i}"), vec![idem(p, pid, 0, first, first + count - 1)]).await;
            bases.push((appended(&out[0]), count));
        }
        bases
    };
    // A reader racing the writers must always see a consistent snapshot.
    let reader = || async move {
        let mut reads = 0;
        loop {
            let (o, rows) = store.read_index(p, 0, usize::MAX, u64::MAX).await.expect("read").expect("exists");
            assert_dense(&o, &rows);
            reads += 1;
            if o.high_watermark == (COMMITS as i64) * 5 {
                return reads;
            }
            tokio::task::yield_now().await;
        }
    };
    let (a, b, reads) = tokio::join!(writer("a", 2), writer("b", 3), reader());
    assert!(reads >= 1);
    let mut all: Vec<(i64, i32)> = a.into_iter().chain(b).collect();
    all.sort();
    let mut next = 0;
    for (base, count) in &all {
        assert_eq!(*base, next, "offsets must be dense and unique");
        next += i64::from(*count);
    }
    let o = offsets(store, p).await;
    assert_eq!(o.high_watermark, next);
    let rows = all_entries(store, p).await;
    assert_eq!(rows.len(), 2 * COMMITS);
    assert_dense(&o, &rows);
}

// ---------------------------------------------------------------------------
// Consumer-group offsets (group ids start with "go-"; no other check uses groups)

fn committed(partition: PartitionKey, offset: i64, leader_epoch: i32, metadata: Option<&str>) -> CommittedOffset {
    CommittedOffset {
        partition,
        offset,
        leader_epoch,
        metadata: metadata.map(str::to_string),
        commit_timestamp_ms: T0.saturating_add(offset),
    }
}

fn sorted(mut offsets: Vec<CommittedOffset>) -> Vec<CommittedOffset> {
    offsets.sort_by_key(|o| o.partition);
    offsets
}

async fn go_groups(store: &dyn MetaStore) -> Vec<String> {
    let groups = store.groups_with_offsets().await.expect("groups");
    let mut sorted_groups = groups.clone();
    sorted_groups.sort();
    sorted_groups.dedup();
    assert_eq!(groups, sorted_groups, "groups_with_offsets is sorted and distinct");
    groups.into_iter().filter(|g| g.starts_with("go-")).collect()
}

async fn group_offsets_round_trip_and_replace(store: &dyn MetaStore) {
    let a = create(store, "go-rt-a", 3).await;
    let b = create(store, "go-rt-b", 2).await;
    assert_eq!(store.group_offsets("go-rt", None).await.expect("empty"), vec![]);
    // Input deliberately out of order; metadata None, empty and non-empty
    // must stay distinct; leader epochs -1 and real ones are kept.
    let first = vec![
        committed(pk(&b, 1), 7, 3, Some("x")),
        committed(pk(&a, 2), 0, -1, None),
        committed(pk(&a, 0), 42, 5, Some("")),
        committed(pk(&b, 0), i64::MAX, i32::MAX, Some("meta \u{e9}\n")),
    ];
    store.commit_group_offsets("go-rt", first.clone()).await.expect("commit");
    assert_eq!(store.group_offsets("go-rt", None).await.expect("fetch all"), sorted(first.clone()));

    // A second commit replaces per partition and leaves the others alone.
    let second = vec![committed(pk(&a, 0), 50, 6, None), committed(pk(&a, 1), 1, 0, Some("new"))];
    store.commit_group_offsets("go-rt", second.clone()).await.expect("commit again");
    let mut expected: Vec<CommittedOffset> =
        first.into_iter().filter(|o| o.partition != pk(&a, 0)).chain(second).collect();
    expected = sorted(expected);
    assert_eq!(store.group_offsets("go-rt", None).await.expect("fetch all"), expected);
    // Metadata can go from Some back to None and to Some("").
    store.commit_group_offsets("go-rt", vec![committed(pk(&b, 1), 8, 3, Some(""))]).await.expect("commit");
    let got = store.group_offsets("go-rt", Some(vec![pk(&b, 1)])).await.expect("fetch one");
    assert_eq!(got, vec![committed(pk(&b, 1), 8, 3, Some(""))]);
    // An empty commit is a no-op.
    store.commit_group_offsets("go-rt", vec![]).await.expect("empty commit");
    assert_eq!(store.group_offsets("go-rt", None).await.expect("fetch all").len(), 5);
}

async fn group_offsets_commit_is_all_or_nothing(store: &dyn MetaStore) {
    let t = create(store, "go-atomic", 2).await;
    store.commit_group_offsets("go-atomic", vec![committed(pk(&t, 0), 1, 0, None)]).await.expect("commit");
    let before = store.group_offsets("go-atomic", None).await.expect("fetch");
    for unknown in [pk(&t, 2), PartitionKey { topic_id: Uuid::new_v4(), partition: 0 }] {
        let err = store
            .commit_group_offsets(
                "go-atomic",
                vec![
                    committed(pk(&t, 0), 99, 1, Some("changed")),
                    committed(pk(&t, 1), 5, 0, None),
                    committed(unknown, 3, 0, None),
                ],
            )
            .await
            .expect_err("unknown partition");
        assert!(matches!(err, MetaError::UnknownTopicOrPartition), "{err:?}");
        assert_eq!(store.group_offsets("go-atomic", None).await.expect("fetch"), before, "nothing stored");
    }
    // A brand-new group whose only commit failed does not exist.
    let err = store
        .commit_group_offsets("go-atomic-new", vec![committed(pk(&t, 1), 5, 0, None), committed(pk(&t, 9), 3, 0, None)])
        .await
        .expect_err("unknown partition");
    assert!(matches!(err, MetaError::UnknownTopicOrPartition), "{err:?}");
    assert_eq!(store.group_offsets("go-atomic-new", None).await.expect("fetch"), vec![]);
    assert!(!go_groups(store).await.contains(&"go-atomic-new".to_string()));
}

async fn group_offsets_are_per_group(store: &dyn MetaStore) {
    let t = create(store, "go-iso", 1).await;
    let p = pk(&t, 0);
    store.commit_group_offsets("go-iso-1", vec![committed(p, 10, 1, Some("one"))]).await.expect("commit 1");
    store.commit_group_offsets("go-iso-2", vec![committed(p, 20, 2, None)]).await.expect("commit 2");
    assert_eq!(store.group_offsets("go-iso-1", None).await.expect("fetch"), vec![committed(p, 10, 1, Some("one"))]);
    assert_eq!(store.group_offsets("go-iso-2", None).await.expect("fetch"), vec![committed(p, 20, 2, None)]);
    store.delete_group_offsets("go-iso-1", vec![p]).await.expect("delete");
    assert_eq!(store.group_offsets("go-iso-1", None).await.expect("fetch"), vec![]);
    assert_eq!(store.group_offsets("go-iso-2", None).await.expect("fetch"), vec![committed(p, 20, 2, None)]);
    assert!(store.delete_group_offsets_all("go-iso-2").await.expect("delete all"));
    assert_eq!(store.group_offsets("go-iso-2", None).await.expect("fetch"), vec![]);
}

async fn group_offsets_fetch_and_delete(store: &dyn MetaStore) {
    let t = create(store, "go-fd", 4).await;
    let u = create(store, "go-fd-other", 1).await;
    let all: Vec<CommittedOffset> = (0..4).map(|i| committed(pk(&t, i), 100 + i64::from(i), i, None)).collect();
    store.commit_group_offsets("go-fd", all.clone()).await.expect("commit");
    store.commit_group_offsets("go-fd-keep", vec![committed(pk(&u, 0), 1, 0, None)]).await.expect("commit");

    // Subset: requested order and duplicates do not matter; partitions without
    // a commit (or unknown ones) are simply absent.
    let subset = store
        .group_offsets(
            "go-fd",
            Some(vec![
                pk(&t, 3),
                pk(&u, 0),
                pk(&t, 1),
                pk(&t, 3),
                PartitionKey { topic_id: Uuid::new_v4(), partition: 0 },
            ]),
        )
        .await
        .expect("subset");
    assert_eq!(subset, vec![all[1].clone(), all[3].clone()]);
    assert_eq!(store.group_offsets("go-fd", Some(vec![])).await.expect("none asked"), vec![]);
    assert_eq!(store.group_offsets("go-fd", None).await.expect("all"), all);
    assert_eq!(store.group_offsets("go-nobody", None).await.expect("unknown group"), vec![]);

    // Delete some, idempotently, ignoring partitions without a commit.
    let gone = vec![pk(&t, 0), pk(&t, 2), pk(&u, 0), PartitionKey { topic_id: Uuid::new_v4(), partition: 5 }];
    store.delete_group_offsets("go-fd", gone.clone()).await.expect("delete some");
    assert_eq!(store.group_offsets("go-fd", None).await.expect("all"), vec![all[1].clone(), all[3].clone()]);
    store.delete_group_offsets("go-fd", gone).await.expect("delete again");
    store.delete_group_offsets("go-nobody", vec![pk(&t, 1)]).await.expect("delete for unknown group");
    assert_eq!(store.group_offsets("go-fd", None).await.expect("all").len(), 2);
    assert_eq!(
        store.group_offsets("go-fd-keep", None).await.expect("other group"),
        vec![committed(pk(&u, 0), 1, 0, None)]
    );

    let groups = go_groups(store).await;
    assert!(groups.contains(&"go-fd".to_string()) && groups.contains(&"go-fd-keep".to_string()), "{groups:?}");

    // Delete all: true once, then false.
    assert!(store.delete_group_offsets_all("go-fd").await.expect("delete all"));
    assert!(!store.delete_group_offsets_all("go-fd").await.expect("delete all again"));
    assert!(!store.delete_group_offsets_all("go-nobody").await.expect("delete all of unknown"));
    assert_eq!(store.group_offsets("go-fd", None).await.expect("all"), vec![]);
    let groups = go_groups(store).await;
    assert!(!groups.contains(&"go-fd".to_string()), "{groups:?}");
    assert!(groups.contains(&"go-fd-keep".to_string()), "{groups:?}");

    // Exactly the groups with offsets left by the checks so far.
    assert_eq!(groups, vec!["go-atomic".to_string(), "go-fd-keep".to_string(), "go-rt".to_string()]);
}

async fn delete_topic_removes_its_group_offsets(store: &dyn MetaStore) {
    let doomed = create(store, "go-del-doomed", 2).await;
    let kept = create(store, "go-del-kept", 1).await;
    let both = vec![
        committed(pk(&doomed, 0), 1, 0, None),
        committed(pk(&doomed, 1), 2, 0, Some("m")),
        committed(pk(&kept, 0), 3, 0, None),
    ];
    store.commit_group_offsets("go-del-mixed", both.clone()).await.expect("commit");
    store.commit_group_offsets("go-del-only", vec![committed(pk(&doomed, 1), 9, 0, None)]).await.expect("commit");
    store.delete_topic("go-del-doomed", T0).await.expect("delete topic");
    assert_eq!(
        store.group_offsets("go-del-mixed", None).await.expect("fetch"),
        vec![committed(pk(&kept, 0), 3, 0, None)]
    );
    assert_eq!(store.group_offsets("go-del-mixed", Some(vec![pk(&doomed, 0)])).await.expect("fetch"), vec![]);
    assert_eq!(store.group_offsets("go-del-only", None).await.expect("fetch"), vec![]);
    let groups = go_groups(store).await;
    assert!(groups.contains(&"go-del-mixed".to_string()), "{groups:?}");
    assert!(!groups.contains(&"go-del-only".to_string()), "a group whose only topic was deleted has no offsets");
    // A re-created topic of the same name starts without offsets.
    let again = create(store, "go-del-doomed", 2).await;
    assert_eq!(
        store.group_offsets("go-del-mixed", Some(vec![pk(&again, 0), pk(&again, 1)])).await.expect("fetch"),
        vec![]
    );
    assert!(store.delete_group_offsets_all("go-del-only").await.is_ok_and(|deleted| !deleted));
}

fn credential(user: &str, mechanism: &str, iterations: i32) -> ScramCredential {
    ScramCredential {
        user: user.into(),
        mechanism: mechanism.into(),
        salt: vec![1, 2, 3],
        stored_key: vec![iterations as u8; 32],
        server_key: vec![9; 32],
        iterations,
    }
}

async fn scram_credentials_round_trip(store: &dyn MetaStore) {
    let mine = |all: Vec<ScramCredential>| all.into_iter().filter(|c| c.user.starts_with("sc-")).collect::<Vec<_>>();
    assert_eq!(mine(store.scram_credentials().await.expect("list")), vec![]);
    store.upsert_scram_credential(credential("sc-bob", "SCRAM-SHA-512", 4096)).await.expect("upsert");
    store.upsert_scram_credential(credential("sc-alice", "SCRAM-SHA-256", 8192)).await.expect("upsert");
    store.upsert_scram_credential(credential("sc-alice", "SCRAM-SHA-512", 4096)).await.expect("upsert");
    // Replacing keeps one row per (user, mechanism).
    store.upsert_scram_credential(credential("sc-bob", "SCRAM-SHA-512", 5000)).await.expect("replace");
    assert_eq!(
        mine(store.scram_credentials().await.expect("list")),
        vec![
            credential("sc-alice", "SCRAM-SHA-256", 8192),
            credential("sc-alice", "SCRAM-SHA-512", 4096),
            credential("sc-bob", "SCRAM-SHA-512", 5000)
        ]
    );
    assert!(store.delete_scram_credential("sc-alice", "SCRAM-SHA-256").await.expect("delete"));
    assert!(!store.delete_scram_credential("sc-alice", "SCRAM-SHA-256").await.expect("delete again"));
    assert!(!store.delete_scram_credential("sc-nobody", "SCRAM-SHA-512").await.expect("delete unknown"));
    assert_eq!(mine(store.scram_credentials().await.expect("list")).len(), 2);
}

fn acl(name: &str, principal: &str, operation: i8) -> AclBinding {
    AclBinding {
        resource_type: 2,
        resource_name: name.into(),
        pattern_type: 3,
        principal: principal.into(),
        host: "*".into(),
        operation,
        permission_type: 3,
    }
}

async fn acls_create_is_idempotent_and_delete_is_exact(store: &dyn MetaStore) {
    let mine =
        |all: Vec<AclBinding>| all.into_iter().filter(|a| a.resource_name.starts_with("acl-")).collect::<Vec<_>>();
    let a = acl("acl-t", "User:a", 3);
    let b = acl("acl-t", "User:b", 4);
    let c = AclBinding { permission_type: 2, ..a.clone() };
    store.create_acls(vec![b.clone(), a.clone()]).await.expect("create");
    store.create_acls(vec![a.clone(), c.clone()]).await.expect("create again");
    let mut expected = vec![a.clone(), b.clone(), c.clone()];
    expected.sort();
    assert_eq!(mine(store.acls().await.expect("list")), expected);
    let gone = AclBinding { host: "10.0.0.1".into(), ..a.clone() };
    assert_eq!(store.delete_acls(vec![a.clone(), gone]).await.expect("delete"), 1);
    let mut expected = vec![b, c];
    expected.sort();
    assert_eq!(mine(store.acls().await.expect("list")), expected);
}
