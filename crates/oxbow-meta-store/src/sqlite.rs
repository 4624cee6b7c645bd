//! The embedded [`MetaStore`]: one SQLite database file in WAL mode.
//!
//! * One writer connection behind a mutex; every mutation is one
//!   `BEGIN IMMEDIATE` transaction, committed with `synchronous=FULL` so that a
//!   commit is on disk before the caller acknowledges anything.
//! * A small pool of read-only connections for the read methods, so index
//!   reads never queue behind the writer's fsync (WAL readers see the last
//!   committed snapshot).
//! * All SQLite work runs on tokio's blocking pool.
//! * The schema lives in `sql/sqlite/NNNN_*.sql`, applied in order at open and
//!   recorded in `schema_migrations`.
//!
//! Several [`SqliteMetaStore`]s (even in several processes) may open the same
//! file: SQLite's file locks serialize their writers, waiting up to
//! [`BUSY_TIMEOUT`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{ffi, params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};
use uuid::Uuid;

use crate::producer::{self, CachedBatch, CACHED_BATCHES_MAX};
use crate::{
    AclBinding, AppendRejection, BatchOutcome, BatchToCommit, BrokerRegistration, CommittedOffset, DeadObject,
    IndexEntry, MetaError, MetaResult, MetaStore, NewObject, NewTopic, PartitionKey, PartitionOffsets, ProducerEntry,
    ScramCredential, TopicMeta,
};

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Applied in order; never edit or reorder a released entry, only append.
const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "0001_initial", sql: include_str!("../sql/sqlite/0001_initial.sql") },
    Migration { version: 2, name: "0002_group_offsets", sql: include_str!("../sql/sqlite/0002_group_offsets.sql") },
    Migration { version: 3, name: "0003_group_state", sql: include_str!("../sql/sqlite/0003_group_state.sql") },
    Migration { version: 4, name: "0004_security", sql: include_str!("../sql/sqlite/0004_security.sql") },
];

/// Read-only connections kept for the read methods.
const READERS: usize = 4;
/// How long a connection waits for another connection's lock before giving up
/// with a (retriable) [`MetaError::Unavailable`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
const STATEMENT_CACHE: usize = 64;
/// Bytes of one cached producer batch in `producers.batches`.
const CACHED_BATCH_LEN: usize = 24;

/// The SQLite implementation of [`MetaStore`].
pub struct SqliteMetaStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    reader_returned: Condvar,
}

impl std::fmt::Debug for SqliteMetaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteMetaStore").field("path", &self.inner.path).finish()
    }
}

impl SqliteMetaStore {
    /// Opens (creating if needed) the database at `path` and brings its schema
    /// up to date. Blocking: call it at startup or from a blocking context.
    pub fn open(path: &Path) -> MetaResult<Self> {
        let writer = open_writer(path)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            readers.push(open_reader(path)?);
        }
        tracing::debug!(path = %path.display(), "opened SQLite metadata store");
        Ok(SqliteMetaStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(writer),
                readers: Mutex::new(readers),
                reader_returned: Condvar::new(),
            }),
        })
    }

    /// The database file this store was opened on.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction on the writer
    /// connection and commits it; on error nothing is committed.
    async fn write<T, F>(&self, f: F) -> MetaResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> MetaResult<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let mut conn = inner.lock_writer();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db_err)?;
            let value = f(&tx)?;
            tx.commit().map_err(db_err)?;
            Ok(value)
        })
        .await
    }

    /// Runs `f` inside one read transaction (one snapshot) on a pooled
    /// read-only connection.
    async fn read<T, F>(&self, f: F) -> MetaResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> MetaResult<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let mut reader = inner.take_reader();
            let tx = reader.conn().transaction_with_behavior(TransactionBehavior::Deferred).map_err(db_err)?;
            let value = f(&tx)?;
            // Ending a read transaction cannot lose anything; report failures anyway.
            tx.commit().map_err(db_err)?;
            Ok(value)
        })
        .await
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> MetaResult<T> + Send + 'static) -> MetaResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(MetaError::Unavailable(format!("metadata store task cancelled: {e}"))),
    }
}

impl Inner {
    fn lock_writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock unwinds through rusqlite's Transaction,
        // whose Drop rolls back, so the connection itself is still usable.
        let conn = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !conn.is_autocommit() {
            // Defensive: never start a transaction inside a leftover one.
            let _ = conn.execute_batch("ROLLBACK");
        }
        conn
    }

    fn take_reader(&self) -> PooledReader<'_> {
        let mut pool = self.readers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            if let Some(conn) = pool.pop() {
                return PooledReader { inner: self, conn: Some(conn) };
            }
            pool = self.reader_returned.wait(pool).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

struct PooledReader<'a> {
    inner: &'a Inner,
    conn: Option<Connection>,
}

impl PooledReader<'_> {
    fn conn(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("a pooled reader holds its connection until dropped")
    }
}

impl Drop for PooledReader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            let mut pool = self.inner.readers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            pool.push(conn);
            self.inner.reader_returned.notify_one();
        }
    }
}

// ---------------------------------------------------------------------------
// Opening and migrations

fn open_writer(path: &Path) -> MetaResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(|e| open_err(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db_err)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).map_err(db_err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(MetaError::Unavailable(format!(
            "{}: SQLite refused WAL journal mode (got {mode}); is the file on a local filesystem?",
            path.display()
        )));
    }
    // FULL: in WAL mode the WAL is fsynced at every commit, so a committed
    // produce survives power loss.
    conn.pragma_update(None, "synchronous", "FULL").map_err(db_err)?;
    conn.pragma_update(None, "foreign_keys", "ON").map_err(db_err)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    migrate(&mut conn)?;
    Ok(conn)
}

fn open_reader(path: &Path) -> MetaResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_err(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db_err)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

fn open_err(path: &Path, e: rusqlite::Error) -> MetaError {
    match db_err(e) {
        MetaError::Corrupt(m) => MetaError::Corrupt(format!("{}: {m}", path.display())),
        other => MetaError::Unavailable(format!("cannot open {}: {other}", path.display())),
    }
}

/// Applies the migrations the database has not seen yet, each in its own
/// transaction together with its `schema_migrations` row. Idempotent.
fn migrate(conn: &mut Connection) -> MetaResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db_err)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY NOT NULL,
             name       TEXT NOT NULL,
             applied_ms INTEGER NOT NULL
         )",
    )
    .map_err(db_err)?;
    let current: i64 =
        tx.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0)).map_err(db_err)?;
    let newest = MIGRATIONS.last().map(|m| m.version).unwrap_or(0);
    if current > newest {
        return Err(MetaError::Corrupt(format!(
            "database schema version {current} is newer than this build knows ({newest}); refusing to open it"
        )));
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.execute_batch(m.sql).map_err(|e| MetaError::Corrupt(format!("migration {} failed: {e}", m.name)))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?1, ?2, ?3)",
            params![m.version, m.name, now_ms()],
        )
        .map_err(db_err)?;
        tracing::info!(migration = m.name, "applied metadata schema migration");
    }
    tx.commit().map_err(db_err)
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------
// Errors and conversions

/// Maps a SQLite error: broken invariants and undecodable data are
/// [`MetaError::Corrupt`]; everything else (busy, I/O, full disk, ...) is
/// retriable [`MetaError::Unavailable`].
fn db_err(e: rusqlite::Error) -> MetaError {
    use rusqlite::Error as E;
    let corrupt = match &e {
        E::SqliteFailure(f, _) => matches!(
            f.code,
            ffi::ErrorCode::ConstraintViolation
                | ffi::ErrorCode::DatabaseCorrupt
                | ffi::ErrorCode::NotADatabase
                | ffi::ErrorCode::TypeMismatch
        ),
        E::FromSqlConversionFailure(..)
        | E::IntegralValueOutOfRange(..)
        | E::InvalidColumnType(..)
        | E::QueryReturnedNoRows
        | E::Utf8Error(..) => true,
        _ => false,
    };
    if corrupt {
        MetaError::Corrupt(e.to_string())
    } else {
        MetaError::Unavailable(e.to_string())
    }
}

pub(crate) fn corrupt(msg: impl Into<String>) -> MetaError {
    MetaError::Corrupt(msg.into())
}

pub(crate) fn to_i64(v: u64, what: &str) -> MetaResult<i64> {
    i64::try_from(v).map_err(|_| corrupt(format!("{what} {v} does not fit in a signed 64-bit integer")))
}

pub(crate) fn to_u64(v: i64, what: &str) -> MetaResult<u64> {
    u64::try_from(v).map_err(|_| corrupt(format!("stored {what} {v} is negative")))
}

pub(crate) fn to_u32(v: i64, what: &str) -> MetaResult<u32> {
    u32::try_from(v).map_err(|_| corrupt(format!("stored {what} {v} is out of range")))
}

pub(crate) fn to_i32(v: i64, what: &str) -> MetaResult<i32> {
    i32::try_from(v).map_err(|_| corrupt(format!("stored {what} {v} is out of range")))
}

pub(crate) fn to_i16(v: i64, what: &str) -> MetaResult<i16> {
    i16::try_from(v).map_err(|_| corrupt(format!("stored {what} {v} is out of range")))
}

pub(crate) fn uuid_from_blob(blob: &[u8]) -> MetaResult<Uuid> {
    Uuid::from_slice(blob).map_err(|_| corrupt(format!("stored topic id has {} bytes, not 16", blob.len())))
}

/// Kafka's textual UUID: URL-safe base64 of the 16 bytes, without padding (22 characters).
pub(crate) fn kafka_uuid_string(id: Uuid) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = id.as_bytes();
    let mut out = String::with_capacity(22);
    for chunk in bytes.chunks(3) {
        let b0 = chunk[0] as u32;
        let b1 = chunk.get(1).copied().unwrap_or(0) as u32;
        let b2 = chunk.get(2).copied().unwrap_or(0) as u32;
        let n = (b0 << 16) | (b1 << 8) | b2;
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(ALPHABET[index as usize] as char);
        }
    }
    out
}

pub(crate) fn encode_cached_batches(batches: &[CachedBatch]) -> Vec<u8> {
    let mut out = Vec::with_capacity(batches.len() * CACHED_BATCH_LEN);
    for b in batches {
        out.extend_from_slice(&b.first_sequence.to_le_bytes());
        out.extend_from_slice(&b.last_sequence.to_le_bytes());
        out.extend_from_slice(&b.base_offset.to_le_bytes());
        out.extend_from_slice(&b.last_offset.to_le_bytes());
    }
    out
}

pub(crate) fn decode_cached_batches(blob: &[u8]) -> MetaResult<Vec<CachedBatch>> {
    let chunks = blob.chunks_exact(CACHED_BATCH_LEN);
    if !chunks.remainder().is_empty() || chunks.len() > CACHED_BATCHES_MAX {
        return Err(corrupt(format!("stored producer batch cache has invalid length {}", blob.len())));
    }
    let mut out = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let mut i32s = [[0u8; 4]; 2];
        let mut i64s = [[0u8; 8]; 2];
        i32s[0].copy_from_slice(&chunk[0..4]);
        i32s[1].copy_from_slice(&chunk[4..8]);
        i64s[0].copy_from_slice(&chunk[8..16]);
        i64s[1].copy_from_slice(&chunk[16..24]);
        out.push(CachedBatch {
            first_sequence: i32::from_le_bytes(i32s[0]),
            last_sequence: i32::from_le_bytes(i32s[1]),
            base_offset: i64::from_le_bytes(i64s[0]),
            last_offset: i64::from_le_bytes(i64s[1]),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Row helpers shared by the methods (all take a connection inside a transaction)

struct PartitionRow {
    id: i64,
    offsets: PartitionOffsets,
}

fn load_partition(conn: &Connection, key: PartitionKey) -> MetaResult<Option<PartitionRow>> {
    let row = conn
        .prepare_cached(
            "SELECT id, log_start_offset, high_watermark, size_bytes FROM partitions
             WHERE topic_id = ?1 AND partition = ?2",
        )
        .map_err(db_err)?
        .query_row(params![key.topic_id.as_bytes(), key.partition], |r| {
            Ok(PartitionRow {
                id: r.get(0)?,
                offsets: PartitionOffsets {
                    log_start_offset: r.get(1)?,
                    high_watermark: r.get(2)?,
                    size_bytes: r.get(3)?,
                },
            })
        })
        .optional()
        .map_err(db_err)?;
    Ok(row)
}

fn require_partition(conn: &Connection, key: PartitionKey) -> MetaResult<PartitionRow> {
    load_partition(conn, key)?.ok_or(MetaError::UnknownTopicOrPartition)
}

fn store_partition_offsets(conn: &Connection, id: i64, o: &PartitionOffsets) -> MetaResult<()> {
    let n = conn
        .prepare_cached(
            "UPDATE partitions SET log_start_offset = ?2, high_watermark = ?3, size_bytes = ?4 WHERE id = ?1",
        )
        .map_err(db_err)?
        .execute(params![id, o.log_start_offset, o.high_watermark, o.size_bytes])
        .map_err(db_err)?;
    if n != 1 {
        return Err(corrupt(format!("partition row {id} vanished inside its transaction")));
    }
    Ok(())
}

const ENTRY_COLUMNS: &str =
    "b.base_offset, b.last_offset, b.max_timestamp_ms, o.key, b.byte_position, b.byte_length, b.object_id";

type RawEntry = (i64, i64, i64, Option<String>, i64, i64, i64);

fn raw_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawEntry> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
}

fn entry_from_raw(raw: RawEntry) -> MetaResult<IndexEntry> {
    let (base_offset, last_offset, max_timestamp_ms, key, position, length, object_id) = raw;
    let object_key = key.ok_or_else(|| {
        corrupt(format!("index row at offset {base_offset} points to object {object_id}, which is not recorded"))
    })?;
    Ok(IndexEntry {
        base_offset,
        last_offset,
        max_timestamp_ms,
        object_key,
        byte_position: to_u64(position, "byte position")?,
        byte_length: to_u32(length, "byte length")?,
    })
}

fn query_one_entry(conn: &Connection, sql_tail: &str, params: impl rusqlite::Params) -> MetaResult<Option<IndexEntry>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM batches b LEFT JOIN objects o ON o.id = b.object_id {sql_tail}");
    let raw = conn.prepare_cached(&sql).map_err(db_err)?.query_row(params, raw_entry).optional().map_err(db_err)?;
    raw.map(entry_from_raw).transpose()
}

/// Takes `bytes` of live data away from an object; an object left with none
/// becomes dead as of `now_ms`.
fn release_object_bytes(conn: &Connection, object_id: i64, bytes: i64, now_ms: i64) -> MetaResult<()> {
    let n = conn
        .prepare_cached(
            "UPDATE objects SET live_bytes = live_bytes - ?2,
                 dead_since_ms = CASE WHEN live_bytes - ?2 = 0 THEN ?3 ELSE NULL END
             WHERE id = ?1",
        )
        .map_err(db_err)?
        .execute(params![object_id, bytes, now_ms])
        .map_err(db_err)?;
    if n != 1 {
        return Err(corrupt(format!("index rows point to object {object_id}, which is not recorded")));
    }
    Ok(())
}

/// Drops a partition's index rows that end before `bound` (they are a prefix),
/// releasing their bytes from their objects. Returns the bytes dropped.
fn drop_rows_ending_before(conn: &Connection, partition_id: i64, bound: i64, now_ms: i64) -> MetaResult<i64> {
    let per_object: Vec<(i64, i64)> = conn
        .prepare_cached(
            "SELECT object_id, SUM(byte_length) FROM batches
             WHERE partition_id = ?1 AND base_offset < ?2 AND last_offset < ?2
             GROUP BY object_id",
        )
        .map_err(db_err)?
        .query_map(params![partition_id, bound], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db_err)?
        .collect::<Result<_, _>>()
        .map_err(db_err)?;
    let mut dropped = 0i64;
    for (object_id, bytes) in per_object {
        release_object_bytes(conn, object_id, bytes, now_ms)?;
        dropped += bytes;
    }
    conn.prepare_cached("DELETE FROM batches WHERE partition_id = ?1 AND base_offset < ?2 AND last_offset < ?2")
        .map_err(db_err)?
        .execute(params![partition_id, bound])
        .map_err(db_err)?;
    Ok(dropped)
}

fn load_producer(conn: &Connection, partition_id: i64, producer_id: i64) -> MetaResult<Option<ProducerEntry>> {
    let raw: Option<(i64, i64, Vec<u8>)> = conn
        .prepare_cached(
            "SELECT producer_epoch, last_timestamp_ms, batches FROM producers
             WHERE partition_id = ?1 AND producer_id = ?2",
        )
        .map_err(db_err)?
        .query_row(params![partition_id, producer_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()
        .map_err(db_err)?;
    raw.map(|(epoch, ts, blob)| {
        Ok(ProducerEntry {
            producer_id,
            producer_epoch: to_i16(epoch, "producer epoch")?,
            batches: decode_cached_batches(&blob)?,
            last_timestamp_ms: ts,
        })
    })
    .transpose()
}

fn store_producer(conn: &Connection, partition_id: i64, entry: &ProducerEntry) -> MetaResult<()> {
    conn.prepare_cached(
        "INSERT INTO producers (partition_id, producer_id, producer_epoch, last_timestamp_ms, batches)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (partition_id, producer_id) DO UPDATE SET
             producer_epoch = excluded.producer_epoch,
             last_timestamp_ms = excluded.last_timestamp_ms,
             batches = excluded.batches",
    )
    .map_err(db_err)?
    .execute(params![
        partition_id,
        entry.producer_id,
        entry.producer_epoch,
        entry.last_timestamp_ms,
        encode_cached_batches(&entry.batches)
    ])
    .map_err(db_err)?;
    Ok(())
}

fn load_configs(conn: &Connection, topic_id: Uuid) -> MetaResult<BTreeMap<String, String>> {
    conn.prepare_cached("SELECT key, value FROM topic_configs WHERE topic_id = ?1")
        .map_err(db_err)?
        .query_map([topic_id.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db_err)?
        .collect::<Result<_, _>>()
        .map_err(db_err)
}

const TOPIC_COLUMNS: &str = "id, name, partition_count, replication_factor, created_ms";

type RawTopic = (Vec<u8>, String, i64, i64, i64);

fn raw_topic(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawTopic> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn topic_from_raw(raw: RawTopic, configs: BTreeMap<String, String>) -> MetaResult<TopicMeta> {
    let (id, name, partition_count, replication_factor, created_ms) = raw;
    Ok(TopicMeta {
        id: uuid_from_blob(&id)?,
        name,
        partition_count: to_i32(partition_count, "partition count")?,
        replication_factor: to_i16(replication_factor, "replication factor")?,
        configs,
        created_ms,
    })
}

fn load_topic_where(conn: &Connection, condition: &str, param: &dyn rusqlite::ToSql) -> MetaResult<Option<TopicMeta>> {
    let sql = format!("SELECT {TOPIC_COLUMNS} FROM topics WHERE {condition}");
    let raw = conn.prepare_cached(&sql).map_err(db_err)?.query_row([param], raw_topic).optional().map_err(db_err)?;
    match raw {
        None => Ok(None),
        Some(raw) => {
            let id = uuid_from_blob(&raw.0)?;
            let configs = load_configs(conn, id)?;
            topic_from_raw(raw, configs).map(Some)
        }
    }
}

fn load_topic_by_name(conn: &Connection, name: &str) -> MetaResult<Option<TopicMeta>> {
    load_topic_where(conn, "name = ?1", &name)
}

fn require_topic(conn: &Connection, name: &str) -> MetaResult<TopicMeta> {
    load_topic_by_name(conn, name)?.ok_or_else(|| MetaError::UnknownTopic(name.to_string()))
}

fn insert_partitions(conn: &Connection, topic_id: Uuid, range: std::ops::Range<i32>) -> MetaResult<()> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO partitions (topic_id, partition, log_start_offset, high_watermark, size_bytes)
             VALUES (?1, ?2, 0, 0, 0)",
        )
        .map_err(db_err)?;
    for partition in range {
        stmt.execute(params![topic_id.as_bytes(), partition]).map_err(db_err)?;
    }
    Ok(())
}

fn insert_configs(conn: &Connection, topic_id: Uuid, configs: &BTreeMap<String, String>) -> MetaResult<()> {
    let mut stmt =
        conn.prepare_cached("INSERT INTO topic_configs (topic_id, key, value) VALUES (?1, ?2, ?3)").map_err(db_err)?;
    for (k, v) in configs {
        stmt.execute(params![topic_id.as_bytes(), k, v]).map_err(db_err)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The write path

fn commit_object_tx(conn: &Connection, object: &NewObject, batches: &[BatchToCommit]) -> MetaResult<Vec<BatchOutcome>> {
    // Caller bugs that would break the index's invariants: refuse the whole commit.
    for (i, b) in batches.iter().enumerate() {
        if b.record_count < 1 {
            return Err(corrupt(format!("batch {i} of object {} has record_count {}", object.key, b.record_count)));
        }
        let end = b.byte_position.checked_add(u64::from(b.byte_length));
        if end.is_none_or(|end| end > object.size_bytes) {
            return Err(corrupt(format!(
                "batch {i} ({} bytes at {}) lies outside object {} of {} bytes",
                b.byte_length, b.byte_position, object.key, object.size_bytes
            )));
        }
    }
    let object_size = to_i64(object.size_bytes, "object size")?;
    // Inserted dead; made live below if any batch is appended.
    let inserted = conn
        .prepare_cached(
            "INSERT INTO objects (key, size_bytes, live_bytes, created_ms, dead_since_ms)
             VALUES (?1, ?2, 0, ?3, ?3) ON CONFLICT (key) DO NOTHING",
        )
        .map_err(db_err)?
        .execute(params![object.key, object_size, object.created_ms])
        .map_err(db_err)?;
    if inserted != 1 {
        return Err(corrupt(format!("object {} is already committed", object.key)));
    }
    let object_id = conn.last_insert_rowid();

    let mut order: Vec<usize> = (0..batches.len()).collect();
    order.sort_by_key(|&i| (batches[i].partition, i));
    let mut outcomes: Vec<Option<BatchOutcome>> = vec![None; batches.len()];
    let mut live_bytes = 0i64;
    let mut insert_row = conn
        .prepare_cached(
            "INSERT INTO batches (partition_id, base_offset, last_offset, max_timestamp_ms, object_id,
                                  byte_position, byte_length)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(db_err)?;

    for group in order.chunk_by(|&a, &b| batches[a].partition == batches[b].partition) {
        let Some(PartitionRow { id: partition_id, offsets: mut p }) =
            load_partition(conn, batches[group[0]].partition)?
        else {
            for &i in group {
                outcomes[i] = Some(BatchOutcome::Rejected(AppendRejection::UnknownTopicOrPartition));
            }
            continue;
        };
        let mut producers: HashMap<i64, Option<ProducerEntry>> = HashMap::new();
        let mut changed_producers = BTreeSet::new();
        for &i in group {
            let b = &batches[i];
            if let Some(pb) = &b.producer {
                let entry = match producers.entry(pb.producer_id) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(load_producer(conn, partition_id, pb.producer_id)?)
                    }
                };
                if let Some(outcome) = producer::outcome_of(producer::check(entry.as_ref(), pb), p.log_start_offset) {
                    outcomes[i] = Some(outcome);
                    continue;
                }
            }
            let base_offset = p.high_watermark;
            let last_offset = base_offset
                .checked_add(i64::from(b.record_count) - 1)
                .ok_or_else(|| corrupt("offset overflow: the partition's high watermark is near i64::MAX"))?;
            let length = i64::from(b.byte_length);
            insert_row
                .execute(params![
                    partition_id,
                    base_offset,
                    last_offset,
                    b.max_timestamp_ms,
                    object_id,
                    to_i64(b.byte_position, "byte position")?,
                    length
                ])
                .map_err(db_err)?;
            p.high_watermark = last_offset + 1;
            p.size_bytes += length;
            live_bytes += length;
            if let Some(pb) = &b.producer {
                let slot = producers.entry(pb.producer_id).or_default();
                *slot = Some(producer::record(slot.take(), pb, base_offset, last_offset, b.max_timestamp_ms));
                changed_producers.insert(pb.producer_id);
            }
            outcomes[i] = Some(BatchOutcome::Appended { base_offset, log_start_offset: p.log_start_offset });
        }
        store_partition_offsets(conn, partition_id, &p)?;
        for producer_id in changed_producers {
            if let Some(Some(entry)) = producers.get(&producer_id) {
                store_producer(conn, partition_id, entry)?;
            }
        }
    }

    if live_bytes > 0 {
        conn.prepare_cached("UPDATE objects SET live_bytes = ?2, dead_since_ms = NULL WHERE id = ?1")
            .map_err(db_err)?
            .execute(params![object_id, live_bytes])
            .map_err(db_err)?;
    }
    Ok(outcomes.into_iter().map(|o| o.expect("every batch index is in exactly one partition group")).collect())
}

fn apply_retention_tx(
    conn: &Connection,
    key: PartitionKey,
    min_timestamp_ms: Option<i64>,
    max_bytes: Option<i64>,
    now_ms: i64,
) -> MetaResult<PartitionOffsets> {
    let PartitionRow { id, offsets: mut p } = require_partition(conn, key)?;
    if min_timestamp_ms.is_none() && max_bytes.is_none() {
        return Ok(p);
    }
    let mut stmt = conn
        .prepare_cached(
            "SELECT base_offset, max_timestamp_ms, byte_length FROM batches
             WHERE partition_id = ?1 ORDER BY base_offset",
        )
        .map_err(db_err)?;
    let mut rows = stmt.query([id]).map_err(db_err)?;
    let mut remaining = p.size_bytes;
    let mut dropped_any = false;
    let mut first_kept = None;
    while let Some(row) = rows.next().map_err(db_err)? {
        let base_offset: i64 = row.get(0).map_err(db_err)?;
        let max_timestamp_ms: i64 = row.get(1).map_err(db_err)?;
        let length: i64 = row.get(2).map_err(db_err)?;
        let too_old = min_timestamp_ms.is_some_and(|min| max_timestamp_ms < min);
        let too_big = max_bytes.is_some_and(|max| remaining - length >= max);
        if too_old || too_big {
            remaining -= length;
            dropped_any = true;
        } else {
            first_kept = Some(base_offset);
            break;
        }
    }
    drop(rows);
    if !dropped_any {
        return Ok(p);
    }
    let new_start = first_kept.unwrap_or(p.high_watermark);
    let dropped = drop_rows_ending_before(conn, id, new_start, now_ms)?;
    p.size_bytes -= dropped;
    p.log_start_offset = p.log_start_offset.max(new_start);
    store_partition_offsets(conn, id, &p)?;
    Ok(p)
}

fn delete_topic_tx(conn: &Connection, name: &str, now_ms: i64) -> MetaResult<TopicMeta> {
    let topic = require_topic(conn, name)?;
    let id = topic.id.as_bytes();
    let per_object: Vec<(i64, i64)> = conn
        .prepare_cached(
            "SELECT b.object_id, SUM(b.byte_length) FROM partitions p JOIN batches b ON b.partition_id = p.id
             WHERE p.topic_id = ?1 GROUP BY b.object_id",
        )
        .map_err(db_err)?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db_err)?
        .collect::<Result<_, _>>()
        .map_err(db_err)?;
    for (object_id, bytes) in per_object {
        release_object_bytes(conn, object_id, bytes, now_ms)?;
    }
    for sql in [
        "DELETE FROM batches WHERE partition_id IN (SELECT id FROM partitions WHERE topic_id = ?1)",
        "DELETE FROM producers WHERE partition_id IN (SELECT id FROM partitions WHERE topic_id = ?1)",
        "DELETE FROM group_offsets WHERE partition_id IN (SELECT id FROM partitions WHERE topic_id = ?1)",
        "DELETE FROM partitions WHERE topic_id = ?1",
        "DELETE FROM topic_configs WHERE topic_id = ?1",
        "DELETE FROM topics WHERE id = ?1",
    ] {
        conn.prepare_cached(sql).map_err(db_err)?.execute([id]).map_err(db_err)?;
    }
    Ok(topic)
}

// ---------------------------------------------------------------------------
// Consumer-group offsets

const GROUP_OFFSET_COLUMNS: &str =
    "p.topic_id, p.partition, g.committed_offset, g.leader_epoch, g.metadata, g.commit_timestamp_ms";

type RawGroupOffset = (Vec<u8>, i64, i64, i64, Option<String>, i64);

fn raw_group_offset(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawGroupOffset> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

fn group_offset_from_raw(raw: RawGroupOffset) -> MetaResult<CommittedOffset> {
    let (topic_id, partition, offset, leader_epoch, metadata, commit_timestamp_ms) = raw;
    Ok(CommittedOffset {
        partition: PartitionKey { topic_id: uuid_from_blob(&topic_id)?, partition: to_i32(partition, "partition")? },
        offset,
        leader_epoch: to_i32(leader_epoch, "leader epoch")?,
        metadata,
        commit_timestamp_ms,
    })
}

fn commit_group_offsets_tx(conn: &Connection, group_id: &str, offsets: &[CommittedOffset]) -> MetaResult<()> {
    let mut upsert = conn
        .prepare_cached(
            "INSERT INTO group_offsets
                 (group_id, partition_id, committed_offset, leader_epoch, metadata, commit_timestamp_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (group_id, partition_id) DO UPDATE SET
                 committed_offset = excluded.committed_offset,
                 leader_epoch = excluded.leader_epoch,
                 metadata = excluded.metadata,
                 commit_timestamp_ms = excluded.commit_timestamp_ms",
        )
        .map_err(db_err)?;
    // An unknown partition fails the whole transaction: nothing is stored.
    for o in offsets {
        let p = require_partition(conn, o.partition)?;
        upsert
            .execute(params![group_id, p.id, o.offset, o.leader_epoch, o.metadata, o.commit_timestamp_ms])
            .map_err(db_err)?;
    }
    Ok(())
}

fn group_offsets_tx(
    conn: &Connection,
    group_id: &str,
    partitions: Option<Vec<PartitionKey>>,
) -> MetaResult<Vec<CommittedOffset>> {
    let raw: Vec<RawGroupOffset> = match partitions {
        None => conn
            .prepare_cached(&format!(
                "SELECT {GROUP_OFFSET_COLUMNS} FROM group_offsets g JOIN partitions p ON p.id = g.partition_id
                 WHERE g.group_id = ?1"
            ))
            .map_err(db_err)?
            .query_map([group_id], raw_group_offset)
            .map_err(db_err)?
            .collect::<Result<_, _>>()
            .map_err(db_err)?,
        Some(keys) => {
            let keys: BTreeSet<PartitionKey> = keys.into_iter().collect();
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {GROUP_OFFSET_COLUMNS} FROM partitions p JOIN group_offsets g ON g.partition_id = p.id
                     WHERE p.topic_id = ?1 AND p.partition = ?2 AND g.group_id = ?3"
                ))
                .map_err(db_err)?;
            let mut raw = Vec::new();
            for key in keys {
                if let Some(row) = stmt
                    .query_row(params![key.topic_id.as_bytes(), key.partition, group_id], raw_group_offset)
                    .optional()
                    .map_err(db_err)?
                {
                    raw.push(row);
                }
            }
            raw
        }
    };
    let mut out = raw.into_iter().map(group_offset_from_raw).collect::<MetaResult<Vec<_>>>()?;
    out.sort_by_key(|o| o.partition);
    Ok(out)
}

fn delete_group_offsets_tx(conn: &Connection, group_id: &str, partitions: &[PartitionKey]) -> MetaResult<()> {
    let mut stmt = conn
        .prepare_cached(
            "DELETE FROM group_offsets WHERE group_id = ?1
                 AND partition_id = (SELECT id FROM partitions WHERE topic_id = ?2 AND partition = ?3)",
        )
        .map_err(db_err)?;
    for key in partitions {
        stmt.execute(params![group_id, key.topic_id.as_bytes(), key.partition]).map_err(db_err)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------

#[async_trait]
impl crate::GroupStateStore for SqliteMetaStore {
    async fn acquire_group_lease(
        &self,
        group_id: &str,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> MetaResult<Option<i64>> {
        let (group_id, owner) = (group_id.to_string(), owner.to_string());
        self.write(move |tx| {
            let current: Option<(String, i64, i64)> = tx
                .query_row(
                    "SELECT lease_owner, lease_epoch, lease_expires_ms FROM group_state WHERE group_id = ?1",
                    [&group_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(db_err)?;
            let epoch = match current {
                Some((o, _, expires)) if o != owner && expires > now_ms => return Ok(None),
                Some((o, epoch, _)) if o == owner => epoch,
                Some((_, epoch, _)) => epoch + 1,
                None => 1,
            };
            tx.execute(
                "INSERT INTO group_state (group_id, lease_owner, lease_epoch, lease_expires_ms, state)
                 VALUES (?1, ?2, ?3, ?4, NULL)
                 ON CONFLICT (group_id) DO UPDATE SET
                     lease_owner = excluded.lease_owner,
                     lease_epoch = excluded.lease_epoch,
                     lease_expires_ms = excluded.lease_expires_ms",
                params![group_id, owner, epoch, now_ms.saturating_add(lease_ms)],
            )
            .map_err(db_err)?;
            Ok(Some(epoch))
        })
        .await
    }

    async fn save_group_state(
        &self,
        group_id: &str,
        owner: &str,
        epoch: i64,
        state: Option<Vec<u8>>,
    ) -> MetaResult<bool> {
        if state.as_ref().is_some_and(|s| s.len() > crate::group_state::GROUP_STATE_BYTES_MAX) {
            return Err(MetaError::Unavailable(format!("group state of {group_id} exceeds the size limit")));
        }
        let (group_id, owner) = (group_id.to_string(), owner.to_string());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE group_state SET state = ?4 WHERE group_id = ?1 AND lease_owner = ?2 AND lease_epoch = ?3",
                    params![group_id, owner, epoch, state],
                )
                .map_err(db_err)?;
            Ok(n == 1)
        })
        .await
    }

    async fn load_group_states(&self) -> MetaResult<Vec<(String, Vec<u8>)>> {
        self.read(|tx| {
            tx.prepare_cached("SELECT group_id, state FROM group_state WHERE state IS NOT NULL ORDER BY group_id")
                .map_err(db_err)?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(db_err)?
                .collect::<Result<_, _>>()
                .map_err(db_err)
        })
        .await
    }
}

#[async_trait]
impl MetaStore for SqliteMetaStore {
    async fn cluster_id(&self) -> MetaResult<String> {
        const GET: &str = "SELECT value FROM meta WHERE key = 'cluster_id'";
        if let Some(id) = self.read(|tx| tx.query_row(GET, [], |r| r.get(0)).optional().map_err(db_err)).await? {
            return Ok(id);
        }
        self.write(|tx| {
            if let Some(id) = tx.query_row(GET, [], |r| r.get::<_, String>(0)).optional().map_err(db_err)? {
                return Ok(id);
            }
            // Like Kafka's Uuid.randomUuid(): never an id that starts with '-'
            // (it would read as a command-line flag).
            let id = loop {
                let s = kafka_uuid_string(Uuid::new_v4());
                if !s.starts_with('-') {
                    break s;
                }
            };
            tx.execute("INSERT INTO meta (key, value) VALUES ('cluster_id', ?1)", [&id]).map_err(db_err)?;
            Ok(id)
        })
        .await
    }

    async fn register_broker(&self, broker: BrokerRegistration) -> MetaResult<()> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO brokers (node_id, host, port, rack, lease_expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (node_id) DO UPDATE SET host = excluded.host, port = excluded.port,
                     rack = excluded.rack, lease_expires_ms = excluded.lease_expires_ms",
                params![broker.node_id, broker.host, broker.port, broker.rack, broker.lease_expires_ms],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn live_brokers(&self, now_ms: i64) -> MetaResult<Vec<BrokerRegistration>> {
        self.read(move |tx| {
            let raw: Vec<(i64, String, i64, Option<String>, i64)> = tx
                .prepare_cached(
                    "SELECT node_id, host, port, rack, lease_expires_ms FROM brokers
                     WHERE lease_expires_ms > ?1 ORDER BY node_id",
                )
                .map_err(db_err)?
                .query_map([now_ms], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                .map_err(db_err)?
                .collect::<Result<_, _>>()
                .map_err(db_err)?;
            raw.into_iter()
                .map(|(node_id, host, port, rack, lease_expires_ms)| {
                    Ok(BrokerRegistration {
                        node_id: to_i32(node_id, "broker node id")?,
                        host,
                        port: to_i32(port, "broker port")?,
                        rack,
                        lease_expires_ms,
                    })
                })
                .collect()
        })
        .await
    }

    async fn create_topic(&self, topic: NewTopic) -> MetaResult<TopicMeta> {
        if topic.partition_count < 1 {
            return Err(MetaError::InvalidPartitions(format!(
                "a topic needs at least one partition, got {}",
                topic.partition_count
            )));
        }
        self.write(move |tx| {
            if load_topic_by_name(tx, &topic.name)?.is_some() {
                return Err(MetaError::TopicExists(topic.name));
            }
            let inserted = tx
                .execute(
                    "INSERT INTO topics (id, name, partition_count, replication_factor, created_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                    params![
                        topic.id.as_bytes(),
                        topic.name,
                        topic.partition_count,
                        topic.replication_factor,
                        topic.created_ms
                    ],
                )
                .map_err(db_err)?;
            if inserted != 1 {
                return Err(corrupt(format!("topic id {} is already used by another topic", topic.id)));
            }
            insert_configs(tx, topic.id, &topic.configs)?;
            insert_partitions(tx, topic.id, 0..topic.partition_count)?;
            Ok(TopicMeta {
                name: topic.name,
                id: topic.id,
                partition_count: topic.partition_count,
                replication_factor: topic.replication_factor,
                configs: topic.configs,
                created_ms: topic.created_ms,
            })
        })
        .await
    }

    async fn delete_topic(&self, name: &str, now_ms: i64) -> MetaResult<TopicMeta> {
        let name = name.to_string();
        self.write(move |tx| delete_topic_tx(tx, &name, now_ms)).await
    }

    async fn topics(&self) -> MetaResult<Vec<TopicMeta>> {
        self.read(|tx| {
            let mut configs: HashMap<Vec<u8>, BTreeMap<String, String>> = HashMap::new();
            let all: Vec<(Vec<u8>, String, String)> = tx
                .prepare_cached("SELECT topic_id, key, value FROM topic_configs")
                .map_err(db_err)?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(db_err)?
                .collect::<Result<_, _>>()
                .map_err(db_err)?;
            for (id, k, v) in all {
                configs.entry(id).or_default().insert(k, v);
            }
            let raw: Vec<RawTopic> = tx
                .prepare_cached(&format!("SELECT {TOPIC_COLUMNS} FROM topics ORDER BY name"))
                .map_err(db_err)?
                .query_map([], raw_topic)
                .map_err(db_err)?
                .collect::<Result<_, _>>()
                .map_err(db_err)?;
            raw.into_iter()
                .map(|raw| {
                    let c = configs.remove(&raw.0).unwrap_or_default();
                    topic_from_raw(raw, c)
                })
                .collect()
        })
        .await
    }

    async fn topic(&self, name: &str) -> MetaResult<Option<TopicMeta>> {
        let name = name.to_string();
        self.read(move |tx| load_topic_by_name(tx, &name)).await
    }

    async fn topic_by_id(&self, id: Uuid) -> MetaResult<Option<TopicMeta>> {
        self.read(move |tx| load_topic_where(tx, "id = ?1", &id.as_bytes().as_slice())).await
    }

    async fn set_partition_count(&self, name: &str, partition_count: i32) -> MetaResult<TopicMeta> {
        let name = name.to_string();
        self.write(move |tx| {
            let mut topic = require_topic(tx, &name)?;
            if partition_count <= topic.partition_count {
                return Err(MetaError::InvalidPartitions(format!(
                    "topic {name} has {} partitions; the new count {partition_count} must be larger",
                    topic.partition_count
                )));
            }
            insert_partitions(tx, topic.id, topic.partition_count..partition_count)?;
            tx.execute(
                "UPDATE topics SET partition_count = ?2 WHERE id = ?1",
                params![topic.id.as_bytes(), partition_count],
            )
            .map_err(db_err)?;
            topic.partition_count = partition_count;
            Ok(topic)
        })
        .await
    }

    async fn set_topic_configs(&self, name: &str, configs: BTreeMap<String, String>) -> MetaResult<TopicMeta> {
        let name = name.to_string();
        self.write(move |tx| {
            let mut topic = require_topic(tx, &name)?;
            tx.execute("DELETE FROM topic_configs WHERE topic_id = ?1", [topic.id.as_bytes()]).map_err(db_err)?;
            insert_configs(tx, topic.id, &configs)?;
            topic.configs = configs;
            Ok(topic)
        })
        .await
    }

    async fn commit_object(&self, object: NewObject, batches: Vec<BatchToCommit>) -> MetaResult<Vec<BatchOutcome>> {
        self.write(move |tx| commit_object_tx(tx, &object, &batches)).await
    }

    async fn partition_offsets(&self, partition: PartitionKey) -> MetaResult<Option<PartitionOffsets>> {
        self.read(move |tx| Ok(load_partition(tx, partition)?.map(|p| p.offsets))).await
    }

    async fn read_index(
        &self,
        partition: PartitionKey,
        from_offset: i64,
        max_entries: usize,
        max_bytes: u64,
    ) -> MetaResult<Option<(PartitionOffsets, Vec<IndexEntry>)>> {
        self.read(move |tx| {
            let Some(p) = load_partition(tx, partition)? else {
                return Ok(None);
            };
            let mut entries = Vec::new();
            if max_entries == 0 {
                return Ok(Some((p.offsets, entries)));
            }
            // Rows are dense and ordered, so the first row with
            // last_offset >= from_offset is the one containing from_offset
            // (the last row starting at or before it) or a later one; starting
            // the range scan there keeps it on the primary key.
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} FROM batches b LEFT JOIN objects o ON o.id = b.object_id
                 WHERE b.partition_id = ?1
                   AND b.base_offset >= COALESCE(
                       (SELECT MAX(base_offset) FROM batches WHERE partition_id = ?1 AND base_offset <= ?2), ?2)
                   AND b.last_offset >= ?2
                 ORDER BY b.base_offset"
            );
            let mut stmt = tx.prepare_cached(&sql).map_err(db_err)?;
            let mut rows = stmt.query(params![p.id, from_offset]).map_err(db_err)?;
            let mut bytes = 0u64;
            while let Some(row) = rows.next().map_err(db_err)? {
                let entry = entry_from_raw(raw_entry(row).map_err(db_err)?)?;
                bytes = bytes.saturating_add(u64::from(entry.byte_length));
                entries.push(entry);
                if entries.len() >= max_entries || bytes >= max_bytes {
                    break;
                }
            }
            Ok(Some((p.offsets, entries)))
        })
        .await
    }

    async fn first_entry_at_or_after_timestamp(
        &self,
        partition: PartitionKey,
        timestamp_ms: i64,
    ) -> MetaResult<Option<IndexEntry>> {
        self.read(move |tx| {
            let p = require_partition(tx, partition)?;
            query_one_entry(
                tx,
                "WHERE b.partition_id = ?1 AND b.max_timestamp_ms >= ?2 ORDER BY b.base_offset LIMIT 1",
                params![p.id, timestamp_ms],
            )
        })
        .await
    }

    async fn max_timestamp_entry(&self, partition: PartitionKey) -> MetaResult<Option<IndexEntry>> {
        self.read(move |tx| {
            let p = require_partition(tx, partition)?;
            query_one_entry(
                tx,
                "WHERE b.partition_id = ?1 ORDER BY b.max_timestamp_ms DESC, b.base_offset ASC LIMIT 1",
                params![p.id],
            )
        })
        .await
    }

    async fn advance_log_start(
        &self,
        partition: PartitionKey,
        offset: i64,
        now_ms: i64,
    ) -> MetaResult<PartitionOffsets> {
        self.write(move |tx| {
            let PartitionRow { id, offsets: mut p } = require_partition(tx, partition)?;
            if offset > p.high_watermark {
                return Err(MetaError::OffsetOutOfRange {
                    requested: offset,
                    log_start_offset: p.log_start_offset,
                    high_watermark: p.high_watermark,
                });
            }
            if offset <= p.log_start_offset {
                return Ok(p);
            }
            p.size_bytes -= drop_rows_ending_before(tx, id, offset, now_ms)?;
            p.log_start_offset = offset;
            store_partition_offsets(tx, id, &p)?;
            Ok(p)
        })
        .await
    }

    async fn apply_retention(
        &self,
        partition: PartitionKey,
        min_timestamp_ms: Option<i64>,
        max_bytes: Option<i64>,
        now_ms: i64,
    ) -> MetaResult<PartitionOffsets> {
        self.write(move |tx| apply_retention_tx(tx, partition, min_timestamp_ms, max_bytes, now_ms)).await
    }

    async fn dead_objects(&self, dead_before_ms: i64, limit: usize) -> MetaResult<Vec<DeadObject>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |tx| {
            tx.prepare_cached(
                "SELECT key, dead_since_ms FROM objects
                 WHERE dead_since_ms IS NOT NULL AND dead_since_ms < ?1 AND live_bytes = 0
                 ORDER BY dead_since_ms, key LIMIT ?2",
            )
            .map_err(db_err)?
            .query_map(params![dead_before_ms, limit], |r| Ok(DeadObject { key: r.get(0)?, dead_since_ms: r.get(1)? }))
            .map_err(db_err)?
            .collect::<Result<_, _>>()
            .map_err(db_err)
        })
        .await
    }

    async fn forget_object(&self, key: &str) -> MetaResult<()> {
        let key = key.to_string();
        self.write(move |tx| {
            let live: Option<i64> = tx
                .query_row("SELECT live_bytes FROM objects WHERE key = ?1", [&key], |r| r.get(0))
                .optional()
                .map_err(db_err)?;
            match live {
                None => Ok(()),
                Some(0) => {
                    tx.execute("DELETE FROM objects WHERE key = ?1", [&key]).map_err(db_err)?;
                    Ok(())
                }
                Some(live) => Err(corrupt(format!(
                    "refusing to forget object {key}: index rows still reference {live} bytes of it"
                ))),
            }
        })
        .await
    }

    async fn known_objects(&self, keys: &[String]) -> MetaResult<Vec<String>> {
        let keys = keys.to_vec();
        self.read(move |tx| {
            let mut stmt = tx.prepare_cached("SELECT 1 FROM objects WHERE key = ?1").map_err(db_err)?;
            let mut known = Vec::new();
            for key in keys {
                if stmt.exists([&key]).map_err(db_err)? {
                    known.push(key);
                }
            }
            Ok(known)
        })
        .await
    }

    async fn allocate_producer_id(&self) -> MetaResult<i64> {
        self.write(|tx| {
            let raw: String = tx
                .query_row("SELECT value FROM meta WHERE key = 'next_producer_id'", [], |r| r.get(0))
                .map_err(db_err)?;
            let id: i64 =
                raw.parse().map_err(|_| corrupt(format!("stored next producer id {raw:?} is not a number")))?;
            let next = id.checked_add(1).ok_or_else(|| corrupt("producer ids exhausted"))?;
            tx.execute("UPDATE meta SET value = ?1 WHERE key = 'next_producer_id'", [next.to_string()])
                .map_err(db_err)?;
            Ok(id)
        })
        .await
    }

    async fn producer_entries(&self, partition: PartitionKey) -> MetaResult<Vec<ProducerEntry>> {
        self.read(move |tx| {
            let p = require_partition(tx, partition)?;
            let raw: Vec<(i64, i64, i64, Vec<u8>)> = tx
                .prepare_cached(
                    "SELECT producer_id, producer_epoch, last_timestamp_ms, batches FROM producers
                     WHERE partition_id = ?1 ORDER BY producer_id",
                )
                .map_err(db_err)?
                .query_map([p.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .map_err(db_err)?
                .collect::<Result<_, _>>()
                .map_err(db_err)?;
            raw.into_iter()
                .map(|(producer_id, epoch, last_timestamp_ms, blob)| {
                    Ok(ProducerEntry {
                        producer_id,
                        producer_epoch: to_i16(epoch, "producer epoch")?,
                        batches: decode_cached_batches(&blob)?,
                        last_timestamp_ms,
                    })
                })
                .collect()
        })
        .await
    }

    async fn commit_group_offsets(&self, group_id: &str, offsets: Vec<CommittedOffset>) -> MetaResult<()> {
        let group_id = group_id.to_string();
        self.write(move |tx| commit_group_offsets_tx(tx, &group_id, &offsets)).await
    }

    async fn group_offsets(
        &self,
        group_id: &str,
        partitions: Option<Vec<PartitionKey>>,
    ) -> MetaResult<Vec<CommittedOffset>> {
        let group_id = group_id.to_string();
        self.read(move |tx| group_offsets_tx(tx, &group_id, partitions)).await
    }

    async fn delete_group_offsets(&self, group_id: &str, partitions: Vec<PartitionKey>) -> MetaResult<()> {
        let group_id = group_id.to_string();
        self.write(move |tx| delete_group_offsets_tx(tx, &group_id, &partitions)).await
    }

    async fn delete_group_offsets_all(&self, group_id: &str) -> MetaResult<bool> {
        let group_id = group_id.to_string();
        self.write(move |tx| {
            let n = tx
                .prepare_cached("DELETE FROM group_offsets WHERE group_id = ?1")
                .map_err(db_err)?
                .execute([&group_id])
                .map_err(db_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn groups_with_offsets(&self) -> MetaResult<Vec<String>> {
        self.read(|tx| {
            tx.prepare_cached("SELECT DISTINCT group_id FROM group_offsets ORDER BY group_id")
                .map_err(db_err)?
                .query_map([], |r| r.get(0))
                .map_err(db_err)?
                .collect::<Result<_, _>>()
                .map_err(db_err)
        })
        .await
    }

    async fn scram_credentials(&self) -> MetaResult<Vec<ScramCredential>> {
        self.read(|tx| {
            tx.prepare_cached(
                "SELECT user_name, mechanism, salt, stored_key, server_key, iterations FROM scram_credentials
                 ORDER BY user_name, mechanism",
            )
            .map_err(db_err)?
            .query_map([], |r| {
                Ok(ScramCredential {
                    user: r.get(0)?,
                    mechanism: r.get(1)?,
                    salt: r.get(2)?,
                    stored_key: r.get(3)?,
                    server_key: r.get(4)?,
                    iterations: r.get(5)?,
                })
            })
            .map_err(db_err)?
            .collect::<Result<_, _>>()
            .map_err(db_err)
        })
        .await
    }

    async fn upsert_scram_credential(&self, c: ScramCredential) -> MetaResult<()> {
        self.write(move |tx| {
            tx.prepare_cached(
                "INSERT INTO scram_credentials (user_name, mechanism, salt, stored_key, server_key, iterations)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (user_name, mechanism) DO UPDATE SET salt = excluded.salt,
                   stored_key = excluded.stored_key, server_key = excluded.server_key, iterations = excluded.iterations",
            )
            .map_err(db_err)?
            .execute(rusqlite::params![c.user, c.mechanism, c.salt, c.stored_key, c.server_key, c.iterations])
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn delete_scram_credential(&self, user: &str, mechanism: &str) -> MetaResult<bool> {
        let (user, mechanism) = (user.to_string(), mechanism.to_string());
        self.write(move |tx| {
            let n = tx
                .prepare_cached("DELETE FROM scram_credentials WHERE user_name = ?1 AND mechanism = ?2")
                .map_err(db_err)?
                .execute([&user, &mechanism])
                .map_err(db_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn acls(&self) -> MetaResult<Vec<AclBinding>> {
        self.read(|tx| {
            tx.prepare_cached(
                "SELECT resource_type, resource_name, pattern_type, principal, host, operation, permission_type
                 FROM acls ORDER BY resource_type, resource_name, pattern_type, principal, host, operation, permission_type",
            )
            .map_err(db_err)?
            .query_map([], |r| {
                Ok(AclBinding {
                    resource_type: r.get(0)?,
                    resource_name: r.get(1)?,
                    pattern_type: r.get(2)?,
                    principal: r.get(3)?,
                    host: r.get(4)?,
                    operation: r.get(5)?,
                    permission_type: r.get(6)?,
                })
            })
            .map_err(db_err)?
            .collect::<Result<_, _>>()
            .map_err(db_err)
        })
        .await
    }

    async fn create_acls(&self, acls: Vec<AclBinding>) -> MetaResult<()> {
        self.write(move |tx| {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO acls
                     (resource_type, resource_name, pattern_type, principal, host, operation, permission_type)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(db_err)?;
            for a in &acls {
                stmt.execute(rusqlite::params![
                    a.resource_type,
                    a.resource_name,
                    a.pattern_type,
                    a.principal,
                    a.host,
                    a.operation,
                    a.permission_type
                ])
                .map_err(db_err)?;
            }
            Ok(())
        })
        .await
    }

    async fn delete_acls(&self, acls: Vec<AclBinding>) -> MetaResult<usize> {
        self.write(move |tx| {
            let mut stmt = tx
                .prepare_cached(
                    "DELETE FROM acls WHERE resource_type = ?1 AND resource_name = ?2 AND pattern_type = ?3
                     AND principal = ?4 AND host = ?5 AND operation = ?6 AND permission_type = ?7",
                )
                .map_err(db_err)?;
            let mut deleted = 0;
            for a in &acls {
                deleted += stmt
                    .execute(rusqlite::params![
                        a.resource_type,
                        a.resource_name,
                        a.pattern_type,
                        a.principal,
                        a.host,
                        a.operation,
                        a.permission_type
                    ])
                    .map_err(db_err)?;
            }
            Ok(deleted)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_in(dir: &tempfile::TempDir) -> SqliteMetaStore {
        SqliteMetaStore::open(&dir.path().join("meta.sqlite")).expect("open store")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conformance() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store_in(&dir);
        crate::conformance::run_all(&store).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn group_state_conformance() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store_in(&dir);
        crate::group_state::conformance::run_all(&store).await;
    }

    fn topic(name: &str, partitions: i32) -> NewTopic {
        let mut configs = BTreeMap::new();
        configs.insert("retention.ms".to_string(), "1000".to_string());
        NewTopic {
            name: name.to_string(),
            id: Uuid::new_v4(),
            partition_count: partitions,
            replication_factor: 1,
            configs,
            created_ms: 1,
        }
    }

    fn one_batch(partition: PartitionKey, producer: Option<crate::ProducerBatch>) -> Vec<BatchToCommit> {
        vec![BatchToCommit {
            partition,
            byte_position: 0,
            byte_length: 64,
            record_count: 4,
            max_timestamp_ms: 1_000,
            producer,
        }]
    }

    fn object(key: &str) -> NewObject {
        NewObject { key: key.to_string(), size_bytes: 64, created_ms: 1 }
    }

    fn group_offsets(topic_id: Uuid) -> Vec<CommittedOffset> {
        vec![
            CommittedOffset {
                partition: PartitionKey { topic_id, partition: 0 },
                offset: 3,
                leader_epoch: -1,
                metadata: None,
                commit_timestamp_ms: 10,
            },
            CommittedOffset {
                partition: PartitionKey { topic_id, partition: 1 },
                offset: 8,
                leader_epoch: 2,
                metadata: Some(String::new()),
                commit_timestamp_ms: 11,
            },
        ]
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reopening_keeps_everything() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (meta, cluster_id, pid, entries_before) = {
            let store = store_in(&dir);
            let meta = store.create_topic(topic("durable", 2)).await.expect("create");
            let p = PartitionKey { topic_id: meta.id, partition: 1 };
            let pid = store.allocate_producer_id().await.expect("pid");
            let producer =
                crate::ProducerBatch { producer_id: pid, producer_epoch: 0, base_sequence: 0, last_sequence: 3 };
            store.commit_object(object("o-1"), one_batch(p, Some(producer))).await.expect("commit");
            store.commit_object(object("o-2"), one_batch(p, None)).await.expect("commit");
            store.advance_log_start(p, 4, 2).await.expect("advance");
            store
                .register_broker(BrokerRegistration {
                    node_id: 1,
                    host: "h".into(),
                    port: 1,
                    rack: None,
                    lease_expires_ms: 100,
                })
                .await
                .expect("register");
            store.commit_group_offsets("g", group_offsets(meta.id)).await.expect("commit offsets");
            let cluster_id = store.cluster_id().await.expect("cluster id");
            let entries = store.producer_entries(p).await.expect("entries");
            (meta, cluster_id, pid, entries)
        };
        let store = store_in(&dir);
        let p = PartitionKey { topic_id: meta.id, partition: 1 };
        assert_eq!(store.topic("durable").await.expect("topic"), Some(meta.clone()));
        assert_eq!(store.cluster_id().await.expect("cluster id"), cluster_id);
        assert!(store.allocate_producer_id().await.expect("pid") > pid, "producer ids are never reused");
        assert_eq!(store.producer_entries(p).await.expect("entries"), entries_before);
        assert_eq!(
            store.partition_offsets(p).await.expect("offsets"),
            Some(PartitionOffsets { log_start_offset: 4, high_watermark: 8, size_bytes: 64 })
        );
        let (_, rows) = store.read_index(p, 0, 10, 1_000).await.expect("read").expect("exists");
        assert_eq!(rows.iter().map(|r| (r.base_offset, r.object_key.as_str())).collect::<Vec<_>>(), vec![(4, "o-2")]);
        assert_eq!(
            store.dead_objects(i64::MAX, 10).await.expect("dead"),
            vec![DeadObject { key: "o-1".into(), dead_since_ms: 2 }]
        );
        assert_eq!(store.live_brokers(0).await.expect("brokers").len(), 1);
        assert_eq!(store.group_offsets("g", None).await.expect("group offsets"), group_offsets(meta.id));
        assert_eq!(store.groups_with_offsets().await.expect("groups"), vec!["g".to_string()]);
        // The producer state survived: a retry is still a duplicate.
        let producer = crate::ProducerBatch { producer_id: pid, producer_epoch: 0, base_sequence: 0, last_sequence: 3 };
        let out = store.commit_object(object("o-3"), one_batch(p, Some(producer))).await.expect("commit");
        assert_eq!(out, vec![BatchOutcome::Duplicate { base_offset: 0, log_start_offset: 4 }]);
    }

    #[tokio::test]
    async fn migrations_are_recorded_once_and_pragmas_hold() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("meta.sqlite");
        for _ in 0..3 {
            drop(SqliteMetaStore::open(&path).expect("open"));
        }
        let store = SqliteMetaStore::open(&path).expect("open");
        let conn = store.inner.lock_writer();
        let versions: Vec<i64> = conn
            .prepare("SELECT version FROM schema_migrations ORDER BY version")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("versions");
        assert_eq!(versions, MIGRATIONS.iter().map(|m| m.version).collect::<Vec<_>>());
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("journal mode");
        assert_eq!(mode, "wal");
        let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).expect("synchronous");
        assert_eq!(sync, 2, "synchronous=FULL");
        let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).expect("foreign keys");
        assert_eq!(fk, 1);
        let counter: String =
            conn.query_row("SELECT value FROM meta WHERE key = 'next_producer_id'", [], |r| r.get(0)).expect("counter");
        assert_eq!(counter, "1000", "reopening does not re-run the initial migration");
    }

    #[tokio::test]
    async fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("meta.sqlite");
        drop(SqliteMetaStore::open(&path).expect("open"));
        let conn = Connection::open(&path).expect("raw open");
        conn.execute("INSERT INTO schema_migrations (version, name, applied_ms) VALUES (9999, 'future', 0)", [])
            .expect("insert");
        drop(conn);
        let err = SqliteMetaStore::open(&path).expect_err("newer schema");
        assert!(matches!(err, MetaError::Corrupt(_)), "{err:?}");
    }

    #[tokio::test]
    async fn undecodable_rows_are_corrupt_not_panics() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("meta.sqlite");
        let store = SqliteMetaStore::open(&path).expect("open");
        let meta = store.create_topic(topic("bad", 1)).await.expect("create");
        let p = PartitionKey { topic_id: meta.id, partition: 0 };
        let producer = crate::ProducerBatch { producer_id: 5, producer_epoch: 0, base_sequence: 0, last_sequence: 3 };
        store.commit_object(object("o"), one_batch(p, Some(producer))).await.expect("commit");
        {
            let conn = store.inner.lock_writer();
            conn.execute("UPDATE producers SET batches = x'0102'", []).expect("garble");
            conn.execute("UPDATE meta SET value = 'many' WHERE key = 'next_producer_id'", []).expect("garble");
            conn.execute("UPDATE batches SET byte_length = 5000000000", []).expect("garble");
        }
        let err = store.producer_entries(p).await.expect_err("bad blob");
        assert!(matches!(err, MetaError::Corrupt(_)), "{err:?}");
        let next = crate::ProducerBatch { base_sequence: 4, last_sequence: 7, ..producer };
        let err = store.commit_object(object("o2"), one_batch(p, Some(next))).await.expect_err("bad blob");
        assert!(matches!(err, MetaError::Corrupt(_)), "{err:?}");
        assert_eq!(store.known_objects(&["o2".to_string()]).await.expect("known"), Vec::<String>::new());
        let err = store.allocate_producer_id().await.expect_err("bad counter");
        assert!(matches!(err, MetaError::Corrupt(_)), "{err:?}");
        let err = store.read_index(p, 0, 10, 100).await.expect_err("bad length");
        assert!(matches!(err, MetaError::Corrupt(_)), "{err:?}");
    }

    /// Two stores on one file stand for two brokers sharing the database:
    /// SQLite's locks serialize their commits, offsets stay dense.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_stores_on_one_file_assign_dense_offsets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = Arc::new(store_in(&dir));
        let b = Arc::new(store_in(&dir));
        let meta = a.create_topic(topic("shared", 1)).await.expect("create");
        let p = PartitionKey { topic_id: meta.id, partition: 0 };
        assert_eq!(b.topic("shared").await.expect("topic"), Some(meta));
        let run = |store: Arc<SqliteMetaStore>, name: &'static str| {
            tokio::spawn(async move {
                let mut bases = Vec::new();
                for i in 0..100 {
                    let out =
                        store.commit_object(object(&format!("{name}-{i}")), one_batch(p, None)).await.expect("commit");
                    match out.as_slice() {
                        [BatchOutcome::Appended { base_offset, .. }] => bases.push(*base_offset),
                        other => panic!("{other:?}"),
                    }
                }
                bases
            })
        };
        let (x, y) = tokio::join!(run(Arc::clone(&a), "a"), run(Arc::clone(&b), "b"));
        let mut all: Vec<i64> = x.expect("task a").into_iter().chain(y.expect("task b")).collect();
        all.sort();
        assert_eq!(all, (0..200).map(|i| i * 4).collect::<Vec<_>>());
        assert_eq!(b.partition_offsets(p).await.expect("offsets").map(|o| o.high_watermark), Some(800));
        assert_eq!(a.cluster_id().await.expect("id"), b.cluster_id().await.expect("id"));
    }

    /// More concurrent reads than pooled connections wait for one instead of failing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_beyond_the_pool_size_queue() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(store_in(&dir));
        store.create_topic(topic("pool", 1)).await.expect("create");
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.topic("pool").await })
            })
            .collect();
        for t in tasks {
            assert!(t.await.expect("task").expect("read").is_some());
        }
    }

    #[test]
    fn kafka_uuid_strings_are_22_url_safe_chars() {
        assert_eq!(kafka_uuid_string(Uuid::nil()), "AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(kafka_uuid_string(Uuid::from_bytes([0xff; 16])), "_____________________w");
        // Standard base64 of bytes 00..0f is "AAECAwQFBgcICQoLDA0ODw==".
        let id = Uuid::from_bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        assert_eq!(kafka_uuid_string(id), "AAECAwQFBgcICQoLDA0ODw");
    }

    #[test]
    fn cached_batches_round_trip_and_bad_blobs_are_corrupt() {
        let batches = vec![
            CachedBatch { first_sequence: 0, last_sequence: 4, base_offset: 10, last_offset: 14 },
            CachedBatch { first_sequence: i32::MAX, last_sequence: -1, base_offset: i64::MAX, last_offset: -7 },
        ];
        assert_eq!(decode_cached_batches(&encode_cached_batches(&batches)).expect("decode"), batches);
        assert!(matches!(decode_cached_batches(&[0u8; 23]), Err(MetaError::Corrupt(_))));
        assert!(matches!(decode_cached_batches(&[0u8; 24 * 6]), Err(MetaError::Corrupt(_))));
    }
}
