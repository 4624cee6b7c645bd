//! Engine tests against the real embedded stores (SQLite + local directory).

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::records::{Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType};
use oxbow_meta_store::{MetaStore, NewTopic, SqliteMetaStore};
use oxbow_object_store::{LocalDirStore, ObjectStore};

use super::*;

struct Fixture {
    _dir: tempfile::TempDir,
    meta: Arc<dyn MetaStore>,
    objects: Arc<dyn ObjectStore>,
    topic_id: uuid::Uuid,
}

async fn fixture(partitions: i32) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let meta: Arc<dyn MetaStore> = Arc::new(SqliteMetaStore::open(&dir.path().join("meta.sqlite")).expect("sqlite"));
    let objects: Arc<dyn ObjectStore> = Arc::new(LocalDirStore::open(dir.path().join("objects")).expect("objects"));
    let topic_id = uuid::Uuid::new_v4();
    meta.create_topic(NewTopic {
        name: "t".into(),
        id: topic_id,
        partition_count: partitions,
        replication_factor: 1,
        configs: Default::default(),
        created_ms: now_ms(),
    })
    .await
    .expect("create topic");
    Fixture { _dir: dir, meta, objects, topic_id }
}

fn batch(values: &[&str], producer: Option<(i64, i16, i32)>, first_ts: i64) -> Bytes {
    let (pid, epoch, seq) = producer.unwrap_or((-1, -1, -1));
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Record {
            transactional: false,
            control: false,
            partition_leader_epoch: 0,
            producer_id: pid,
            producer_epoch: epoch,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // The encoder keeps records in one batch only while offset - sequence is constant.
            sequence: seq + i as i32,
            timestamp: first_ts + i as i64,
            key: None,
            value: Some(Bytes::from(v.to_string())),
            headers: Default::default(),
            delete_horizon: false,
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(&mut buf, &records, &RecordEncodeOptions { version: 2, compression: Compression::None })
        .expect("encode");
    buf.freeze()
}

fn info(b: &Bytes) -> oxbow_codec::batch::BatchInfo {
    oxbow_codec::batch::parse_header(b).expect("valid batch")
}

fn values_of(records: &Bytes) -> Vec<(i64, String)> {
    let mut buf = records.clone();
    let sets = kafka_protocol::records::RecordBatchDecoder::decode_all(&mut buf).expect("decode");
    sets.into_iter()
        .flat_map(|s| s.records)
        .map(|r| (r.offset, String::from_utf8(r.value.expect("value").to_vec()).expect("utf8")))
        .collect()
}

#[tokio::test]
async fn appends_get_dense_offsets_and_read_back_byte_for_byte() {
    let f = fixture(3).await;
    let engine = LogEngine::start(f.meta.clone(), f.objects.clone(), LogConfig::default());
    let mut tickets = Vec::new();
    for i in 0..30 {
        let p = PartitionKey { topic_id: f.topic_id, partition: i % 3 };
        let b = batch(&[&format!("a{i}"), &format!("b{i}")], None, 1000);
        tickets.push((p, engine.enqueue(p, b.clone(), &info(&b)).await.expect("enqueue")));
    }
    let mut next = [0i64; 3];
    for (p, t) in tickets {
        match t.wait().await.expect("commit") {
            BatchOutcome::Appended { base_offset, .. } => {
                assert_eq!(base_offset, next[p.partition as usize], "offsets are dense in queue order");
                next[p.partition as usize] += 2;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let p0 = PartitionKey { topic_id: f.topic_id, partition: 0 };
    let read = engine.read(p0, 0, 1 << 20, true).await.expect("read").expect("partition exists");
    assert_eq!(read.offsets.high_watermark, 20);
    let got = values_of(&read.records);
    assert_eq!(got.len(), 20);
    for (i, (offset, _)) in got.iter().enumerate() {
        assert_eq!(*offset, i as i64);
    }
    assert_eq!(got[0].1, "a0");
    assert_eq!(got[2].1, "a3");
    // Reading from the middle of a batch returns that whole batch.
    let mid = engine.read(p0, 3, 1 << 20, true).await.expect("read").expect("exists");
    assert_eq!(values_of(&mid.records)[0].0, 2);
}

#[tokio::test]
async fn idempotent_retry_gets_original_offset_and_gap_is_refused() {
    let f = fixture(1).await;
    let engine = LogEngine::start(f.meta.clone(), f.objects.clone(), LogConfig::default());
    let p = PartitionKey { topic_id: f.topic_id, partition: 0 };
    let first = batch(&["x", "y"], Some((5000, 0, 0)), 1);
    let o1 = engine.enqueue(p, first.clone(), &info(&first)).await.expect("q").wait().await.expect("commit");
    assert_eq!(o1, BatchOutcome::Appended { base_offset: 0, log_start_offset: 0 });
    let o2 = engine.enqueue(p, first.clone(), &info(&first)).await.expect("q").wait().await.expect("commit");
    assert_eq!(o2, BatchOutcome::Duplicate { base_offset: 0, log_start_offset: 0 });
    let gap = batch(&["z"], Some((5000, 0, 5)), 1);
    let o3 = engine.enqueue(p, gap.clone(), &info(&gap)).await.expect("q").wait().await.expect("commit");
    assert_eq!(o3, BatchOutcome::Rejected(oxbow_meta_store::AppendRejection::OutOfOrderSequence));
    let next = batch(&["z"], Some((5000, 0, 2)), 1);
    let o4 = engine.enqueue(p, next.clone(), &info(&next)).await.expect("q").wait().await.expect("commit");
    assert_eq!(o4, BatchOutcome::Appended { base_offset: 2, log_start_offset: 0 });
}

#[tokio::test]
async fn a_new_engine_on_the_same_stores_reads_everything_back() {
    let f = fixture(1).await;
    let p = PartitionKey { topic_id: f.topic_id, partition: 0 };
    {
        let engine = LogEngine::start(f.meta.clone(), f.objects.clone(), LogConfig::default());
        for i in 0..5 {
            let b = batch(&[&format!("v{i}")], None, 10);
            engine.enqueue(p, b.clone(), &info(&b)).await.expect("q").wait().await.expect("commit");
        }
    }
    // A cold cache: everything comes from the object store.
    let engine =
        LogEngine::start(f.meta.clone(), f.objects.clone(), LogConfig { read_cache_bytes: 0, ..Default::default() });
    let read = engine.read(p, 0, 1 << 20, true).await.expect("read").expect("exists");
    let got: Vec<String> = values_of(&read.records).into_iter().map(|(_, v)| v).collect();
    assert_eq!(got, vec!["v0", "v1", "v2", "v3", "v4"]);
}

#[tokio::test]
async fn response_limits_are_respected_but_first_batch_always_returned() {
    let f = fixture(1).await;
    let engine = LogEngine::start(f.meta.clone(), f.objects.clone(), LogConfig::default());
    let p = PartitionKey { topic_id: f.topic_id, partition: 0 };
    let b = batch(&["0123456789"; 10], None, 1);
    for _ in 0..3 {
        engine.enqueue(p, b.clone(), &info(&b)).await.expect("q").wait().await.expect("commit");
    }
    let one = engine.read(p, 0, 10, true).await.expect("read").expect("exists");
    assert_eq!(one.batch_count, 1, "the first batch is returned even above the limit");
    let none = engine.read(p, 0, 10, false).await.expect("read").expect("exists");
    assert_eq!(none.batch_count, 0);
    let two = engine.read(p, 0, 2 * b.len() as u64, true).await.expect("read").expect("exists");
    assert_eq!(two.batch_count, 2);
}

#[tokio::test]
async fn timestamps_find_the_first_record_at_or_after() {
    let f = fixture(1).await;
    let engine = LogEngine::start(f.meta.clone(), f.objects.clone(), LogConfig::default());
    let p = PartitionKey { topic_id: f.topic_id, partition: 0 };
    for first_ts in [100, 200] {
        let b = batch(&["a", "b", "c"], None, first_ts); // timestamps first_ts, +1, +2
        engine.enqueue(p, b.clone(), &info(&b)).await.expect("q").wait().await.expect("commit");
    }
    assert_eq!(engine.offset_for_timestamp(p, 0).await.expect("lookup"), Some((0, 100)));
    assert_eq!(engine.offset_for_timestamp(p, 101).await.expect("lookup"), Some((1, 101)));
    assert_eq!(engine.offset_for_timestamp(p, 150).await.expect("lookup"), Some((3, 200)));
    assert_eq!(engine.offset_for_timestamp(p, 203).await.expect("lookup"), None);
    assert_eq!(engine.max_timestamp_offset(p).await.expect("lookup"), Some((5, 202)));
}

#[tokio::test]
async fn garbage_collection_deletes_orphans_and_dead_objects_only() {
    let f = fixture(1).await;
    let engine =
        LogEngine::start(f.meta.clone(), f.objects.clone(), LogConfig { object_gc_grace_ms: 0, ..Default::default() });
    let p = PartitionKey { topic_id: f.topic_id, partition: 0 };
    f.objects.put("orphan-never-committed", Bytes::from_static(b"junk")).await.expect("put");
    let b = batch(&["keep"], None, 1);
    engine.enqueue(p, b.clone(), &info(&b)).await.expect("q").wait().await.expect("commit");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    // A fresh orphan may be an object whose commit is still running: kept.
    assert_eq!(engine.collect_garbage().await.expect("gc"), 0, "young orphans are kept");
    assert_eq!(f.objects.list().await.expect("list").len(), 2);
    assert!(engine.read(p, 0, 1 << 20, true).await.expect("read").expect("exists").batch_count == 1);
    // Retention drops the batch; its object becomes dead and is collected
    // (dead objects only wait for object_gc_grace_ms, here 0).
    f.meta.apply_retention(p, Some(i64::MAX), None, now_ms()).await.expect("retention");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(engine.collect_garbage().await.expect("gc"), 1);
    let keys: Vec<String> = f.objects.list().await.expect("list").into_iter().map(|o| o.key).collect();
    assert_eq!(keys, vec!["orphan-never-committed".to_string()]);
    // Once the orphan is older than ORPHAN_GRACE_MS it goes.
    let path = find_file(&f._dir.path().join("objects"), "orphan-never-committed").expect("orphan file");
    let old = std::time::SystemTime::now() - std::time::Duration::from_millis(ORPHAN_GRACE_MS as u64 + 1000);
    std::fs::File::options().write(true).open(&path).expect("open").set_modified(old).expect("set mtime");
    assert_eq!(engine.collect_garbage().await.expect("gc"), 1);
    assert!(f.objects.list().await.expect("list").is_empty());
}

fn find_file(dir: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, name) {
                return Some(found);
            }
        } else if entry.file_name() == name {
            return Some(path);
        }
    }
    None
}

/// An object store whose writes fail while `failing` is set (fault injection).
struct FlakyStore {
    inner: LocalDirStore,
    failing: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl ObjectStore for FlakyStore {
    async fn put(&self, key: &str, data: Bytes) -> Result<(), oxbow_object_store::ObjectStoreError> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(oxbow_object_store::ObjectStoreError::Io {
                key: key.to_string(),
                source: std::io::Error::other("injected fault"),
            });
        }
        self.inner.put(key, data).await
    }
    async fn get(&self, key: &str) -> Result<Bytes, oxbow_object_store::ObjectStoreError> {
        self.inner.get(key).await
    }
    async fn get_range(
        &self,
        key: &str,
        range: std::ops::Range<u64>,
    ) -> Result<Bytes, oxbow_object_store::ObjectStoreError> {
        self.inner.get_range(key, range).await
    }
    async fn delete(&self, key: &str) -> Result<(), oxbow_object_store::ObjectStoreError> {
        self.inner.delete(key).await
    }
    async fn list(&self) -> Result<Vec<oxbow_object_store::ObjectMeta>, oxbow_object_store::ObjectStoreError> {
        self.inner.list().await
    }
}

#[tokio::test]
async fn failed_object_writes_give_retriable_errors_and_consume_no_offsets() {
    let f = fixture(1).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let flaky = Arc::new(FlakyStore {
        inner: LocalDirStore::open(dir.path()).expect("open"),
        failing: std::sync::atomic::AtomicBool::new(true),
    });
    let engine = LogEngine::start(f.meta.clone(), flaky.clone(), LogConfig::default());
    let p = PartitionKey { topic_id: f.topic_id, partition: 0 };
    let mut tickets = Vec::new();
    for i in 0..5 {
        let b = batch(&[&format!("lost{i}")], Some((42, 0, i)), 1);
        tickets.push(engine.enqueue(p, b.clone(), &info(&b)).await.expect("queued"));
    }
    for t in tickets {
        let err = t.wait().await.expect_err("the store is failing");
        assert!(err.is_retriable(), "{err}");
    }
    flaky.failing.store(false, std::sync::atomic::Ordering::SeqCst);
    // The producer retries from the first failed sequence: accepted at offset 0.
    let b = batch(&["kept"], Some((42, 0, 0)), 1);
    let outcome = engine.enqueue(p, b.clone(), &info(&b)).await.expect("queued").wait().await.expect("commit");
    assert_eq!(outcome, BatchOutcome::Appended { base_offset: 0, log_start_offset: 0 });
    let read = engine.read(p, 0, 1 << 20, true).await.expect("read").expect("exists");
    assert_eq!(values_of(&read.records), vec![(0, "kept".to_string())]);
}
