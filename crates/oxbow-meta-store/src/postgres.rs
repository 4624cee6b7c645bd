//! The distributed [`MetaStore`]: PostgreSQL, shared by every broker of a cluster.
//!
//! * A bounded connection pool (`deadpool-postgres`, [`POOL_SIZE`]
//!   connections, callers wait at most [`POOL_WAIT`] for one); every
//!   connection caches its prepared statements.
//! * Mutations run in READ COMMITTED transactions that lock the rows they
//!   depend on first: a commit locks each partition row it appends to
//!   (`FOR NO KEY UPDATE`) in sorted [`PartitionKey`] order, then reads the
//!   high watermark and producer state, so two brokers committing to one
//!   partition queue on that row and offsets stay dense. Deleting a topic
//!   locks its partitions `FOR UPDATE` in the same order; offset commits take
//!   `FOR KEY SHARE` so a topic cannot vanish under them.
//! * Reads run in READ ONLY REPEATABLE READ transactions (one snapshot).
//! * Serialization failures and deadlocks are retried (up to [`TX_ATTEMPTS`]
//!   times); connection failures are [`MetaError::Unavailable`] (retriable).
//! * The schema lives in `sql/postgres/NNNN_*.sql`, applied at connect under an
//!   advisory lock (several brokers may start at once) and recorded in
//!   `schema_migrations`.
//! * TLS to the database is not built: URLs asking for `sslmode=require` are
//!   refused with a clear error; `prefer` (the default) connects without TLS.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Transaction};
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, NoTls, Row};
use uuid::Uuid;

use crate::producer;
use crate::sqlite::{
    corrupt, decode_cached_batches, encode_cached_batches, kafka_uuid_string, now_ms, to_i16, to_i32, to_i64, to_u32,
    to_u64, uuid_from_blob,
};
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
    Migration { version: 1, name: "0001_initial", sql: include_str!("../sql/postgres/0001_initial.sql") },
    Migration { version: 2, name: "0002_group_offsets", sql: include_str!("../sql/postgres/0002_group_offsets.sql") },
    Migration { version: 3, name: "0003_group_state", sql: include_str!("../sql/postgres/0003_group_state.sql") },
    Migration { version: 4, name: "0004_security", sql: include_str!("../sql/postgres/0004_security.sql") },
];

/// Connections per store (per broker process).
pub const POOL_SIZE: usize = 8;
/// How long a caller waits for a free pooled connection before a retriable error.
pub const POOL_WAIT: Duration = Duration::from_secs(10);
/// Bound on establishing one connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts of one transaction that fails with a serialization failure or deadlock.
const TX_ATTEMPTS: u32 = 5;
/// Key of the advisory lock that serializes concurrent migrators.
const MIGRATION_LOCK_KEY: i64 = 0x6f78_626f_7701;
/// Prefix of [`MetaError::Unavailable`] messages for conflicts worth retrying inside the store.
const CONFLICT: &str = "transaction conflict";

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// The PostgreSQL implementation of [`MetaStore`].
pub struct PostgresMetaStore {
    pool: Pool,
}

impl std::fmt::Debug for PostgresMetaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresMetaStore").field("pool", &self.pool.status()).finish()
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Write,
    Read,
}

/// Runs `$body` (an expression using the transaction `$tx`, yielding a
/// `MetaResult`) in one transaction, committing it on success and retrying
/// the whole transaction on serialization failures and deadlocks.
macro_rules! transact {
    ($store:expr, $mode:expr, |$tx:ident| $body:expr) => {{
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let result = async {
                let mut client = $store.client().await?;
                let $tx = begin(&mut client, $mode).await?;
                let value = $body?;
                $tx.commit().await.map_err(pg_err)?;
                Ok::<_, MetaError>(value)
            }
            .await;
            match result {
                Err(e) if is_conflict(&e) && attempt < TX_ATTEMPTS => {
                    tracing::debug!(attempt, error = %e, "retrying metadata transaction");
                    tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
                }
                other => break other,
            }
        }
    }};
}

impl PostgresMetaStore {
    /// Connects to the database at `url` (`postgres://user:pass@host:port/db`)
    /// and brings its schema up to date.
    pub async fn connect(url: &str) -> MetaResult<Self> {
        let config: tokio_postgres::Config =
            url.parse().map_err(|e| MetaError::Unavailable(format!("invalid PostgreSQL URL: {e}")))?;
        Self::connect_config(config).await
    }

    pub async fn connect_config(mut config: tokio_postgres::Config) -> MetaResult<Self> {
        if !matches!(config.get_ssl_mode(), SslMode::Disable | SslMode::Prefer) {
            return Err(MetaError::Unavailable(
                "TLS to PostgreSQL is not supported yet; use sslmode=disable (or prefer) on a trusted network".into(),
            ));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("oxbow");
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| MetaError::Unavailable(format!("cannot build PostgreSQL pool: {e}")))?;
        let store = PostgresMetaStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> MetaResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) => pg_err(e),
            other => MetaError::Unavailable(format!("no PostgreSQL connection: {other}")),
        })
    }

    /// Applies the migrations the database has not seen yet, in one
    /// transaction holding an advisory lock (brokers starting together wait).
    async fn migrate(&self) -> MetaResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK_KEY]).await.map_err(pg_err)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    BIGINT PRIMARY KEY NOT NULL,
                 name       TEXT NOT NULL,
                 applied_ms BIGINT NOT NULL
             )",
        )
        .await
        .map_err(pg_err)?;
        let current: i64 = tx
            .query_one("SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations", &[])
            .await
            .map_err(pg_err)?
            .try_get(0)
            .map_err(row_err)?;
        let newest = MIGRATIONS.last().map(|m| m.version).unwrap_or(0);
        if current > newest {
            return Err(MetaError::Corrupt(format!(
                "database schema version {current} is newer than this build knows ({newest}); refusing to open it"
            )));
        }
        for m in MIGRATIONS.iter().filter(|m| m.version > current) {
            tx.batch_execute(m.sql)
                .await
                .map_err(|e| MetaError::Corrupt(format!("migration {} failed: {}", m.name, pg_err(e))))?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)",
                &[&m.version, &m.name, &now_ms()],
            )
            .await
            .map_err(pg_err)?;
            tracing::info!(migration = m.name, "applied PostgreSQL metadata schema migration");
        }
        tx.commit().await.map_err(pg_err)
    }
}

async fn begin(client: &mut deadpool_postgres::Object, mode: Mode) -> MetaResult<Transaction<'_>> {
    let builder = client.build_transaction();
    let builder = match mode {
        Mode::Write => builder.isolation_level(IsolationLevel::ReadCommitted),
        Mode::Read => builder.isolation_level(IsolationLevel::RepeatableRead).read_only(true),
    };
    builder.start().await.map_err(pg_err)
}

// ---------------------------------------------------------------------------
// Errors and row access

/// Maps a PostgreSQL error: constraint violations and bad data are
/// [`MetaError::Corrupt`]; serialization failures and deadlocks are retried
/// by [`transact!`]; everything else (connection lost, timeouts, server
/// shutting down, ...) is retriable [`MetaError::Unavailable`].
fn pg_err(e: tokio_postgres::Error) -> MetaError {
    let Some(db) = e.as_db_error() else {
        return MetaError::Unavailable(format!("PostgreSQL: {e}"));
    };
    let code = db.code();
    let text = format!("PostgreSQL {}: {}", code.code(), db.message());
    if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED {
        MetaError::Unavailable(format!("{CONFLICT}: {text}"))
    } else if code.code().starts_with("22") || code.code().starts_with("23") || code.code().starts_with("XX") {
        MetaError::Corrupt(text)
    } else {
        MetaError::Unavailable(text)
    }
}

fn is_conflict(e: &MetaError) -> bool {
    matches!(e, MetaError::Unavailable(m) if m.starts_with(CONFLICT))
}

fn row_err(e: tokio_postgres::Error) -> MetaError {
    corrupt(format!("undecodable PostgreSQL row: {e}"))
}

fn col<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, idx: usize) -> MetaResult<T> {
    row.try_get(idx).map_err(row_err)
}

async fn query(tx: &Transaction<'_>, sql: &str, params: Params<'_>) -> MetaResult<Vec<Row>> {
    let stmt = tx.prepare_cached(sql).await.map_err(pg_err)?;
    tx.query(&stmt, params).await.map_err(pg_err)
}

async fn query_first(tx: &Transaction<'_>, sql: &str, params: Params<'_>) -> MetaResult<Option<Row>> {
    Ok(query(tx, sql, params).await?.into_iter().next())
}

async fn execute(tx: &Transaction<'_>, sql: &str, params: Params<'_>) -> MetaResult<u64> {
    let stmt = tx.prepare_cached(sql).await.map_err(pg_err)?;
    tx.execute(&stmt, params).await.map_err(pg_err)
}

// ---------------------------------------------------------------------------
// Row helpers

struct PartitionRow {
    id: i64,
    offsets: PartitionOffsets,
}

/// Row lock taken on a partition row while reading it.
#[derive(Clone, Copy)]
enum Lock {
    None,
    /// Appends and log-start moves: serialize with each other, not with offset commits.
    NoKeyUpdate,
    /// Offset commits: the partition must not be deleted meanwhile.
    KeyShare,
}

async fn load_partition(tx: &Transaction<'_>, key: PartitionKey, lock: Lock) -> MetaResult<Option<PartitionRow>> {
    const SELECT: &str = "SELECT id, log_start_offset, high_watermark, size_bytes FROM partitions
                          WHERE topic_id = $1 AND partition = $2";
    let sql = match lock {
        Lock::None => SELECT.to_string(),
        Lock::NoKeyUpdate => format!("{SELECT} FOR NO KEY UPDATE"),
        Lock::KeyShare => format!("{SELECT} FOR KEY SHARE"),
    };
    let id = key.topic_id.as_bytes().as_slice();
    let Some(row) = query_first(tx, &sql, &[&id, &i64::from(key.partition)]).await? else {
        return Ok(None);
    };
    Ok(Some(PartitionRow {
        id: col(&row, 0)?,
        offsets: PartitionOffsets {
            log_start_offset: col(&row, 1)?,
            high_watermark: col(&row, 2)?,
            size_bytes: col(&row, 3)?,
        },
    }))
}

async fn require_partition(tx: &Transaction<'_>, key: PartitionKey, lock: Lock) -> MetaResult<PartitionRow> {
    load_partition(tx, key, lock).await?.ok_or(MetaError::UnknownTopicOrPartition)
}

async fn store_partition_offsets(tx: &Transaction<'_>, id: i64, o: &PartitionOffsets) -> MetaResult<()> {
    let n = execute(
        tx,
        "UPDATE partitions SET log_start_offset = $2, high_watermark = $3, size_bytes = $4 WHERE id = $1",
        &[&id, &o.log_start_offset, &o.high_watermark, &o.size_bytes],
    )
    .await?;
    if n != 1 {
        return Err(corrupt(format!("partition row {id} vanished inside its transaction")));
    }
    Ok(())
}

const ENTRY_COLUMNS: &str =
    "b.base_offset, b.last_offset, b.max_timestamp_ms, o.key, b.byte_position, b.byte_length, b.object_id";

fn entry_from_row(row: &Row) -> MetaResult<IndexEntry> {
    let base_offset: i64 = col(row, 0)?;
    let object_id: i64 = col(row, 6)?;
    let object_key: Option<String> = col(row, 3)?;
    let object_key = object_key.ok_or_else(|| {
        corrupt(format!("index row at offset {base_offset} points to object {object_id}, which is not recorded"))
    })?;
    Ok(IndexEntry {
        base_offset,
        last_offset: col(row, 1)?,
        max_timestamp_ms: col(row, 2)?,
        object_key,
        byte_position: to_u64(col(row, 4)?, "byte position")?,
        byte_length: to_u32(col(row, 5)?, "byte length")?,
    })
}

async fn query_one_entry(tx: &Transaction<'_>, sql_tail: &str, params: Params<'_>) -> MetaResult<Option<IndexEntry>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM batches b LEFT JOIN objects o ON o.id = b.object_id {sql_tail}");
    query_first(tx, &sql, params).await?.as_ref().map(entry_from_row).transpose()
}

/// Takes `bytes` of live data away from an object; an object left with none
/// becomes dead as of `now_ms`.
async fn release_object_bytes(tx: &Transaction<'_>, object_id: i64, bytes: i64, now_ms: i64) -> MetaResult<()> {
    let n = execute(
        tx,
        "UPDATE objects SET live_bytes = live_bytes - $2,
             dead_since_ms = CASE WHEN live_bytes - $2 = 0 THEN $3::BIGINT ELSE NULL END
         WHERE id = $1",
        &[&object_id, &bytes, &now_ms],
    )
    .await?;
    if n != 1 {
        return Err(corrupt(format!("index rows point to object {object_id}, which is not recorded")));
    }
    Ok(())
}

/// Drops a partition's index rows that end before `bound` (a prefix),
/// releasing their bytes from their objects. Returns the bytes dropped.
async fn drop_rows_ending_before(tx: &Transaction<'_>, partition_id: i64, bound: i64, now_ms: i64) -> MetaResult<i64> {
    let rows = query(
        tx,
        "SELECT object_id, SUM(byte_length)::BIGINT FROM batches
         WHERE partition_id = $1 AND base_offset < $2 AND last_offset < $2
         GROUP BY object_id ORDER BY object_id",
        &[&partition_id, &bound],
    )
    .await?;
    let mut dropped = 0i64;
    for row in rows {
        let bytes: i64 = col(&row, 1)?;
        release_object_bytes(tx, col(&row, 0)?, bytes, now_ms).await?;
        dropped += bytes;
    }
    execute(
        tx,
        "DELETE FROM batches WHERE partition_id = $1 AND base_offset < $2 AND last_offset < $2",
        &[&partition_id, &bound],
    )
    .await?;
    Ok(dropped)
}

fn producer_from_row(producer_id: i64, epoch: i64, last_timestamp_ms: i64, blob: &[u8]) -> MetaResult<ProducerEntry> {
    Ok(ProducerEntry {
        producer_id,
        producer_epoch: to_i16(epoch, "producer epoch")?,
        batches: decode_cached_batches(blob)?,
        last_timestamp_ms,
    })
}

async fn load_producer(tx: &Transaction<'_>, partition_id: i64, producer_id: i64) -> MetaResult<Option<ProducerEntry>> {
    let row = query_first(
        tx,
        "SELECT producer_epoch, last_timestamp_ms, batches FROM producers WHERE partition_id = $1 AND producer_id = $2",
        &[&partition_id, &producer_id],
    )
    .await?;
    row.map(|r| producer_from_row(producer_id, col(&r, 0)?, col(&r, 1)?, col::<&[u8]>(&r, 2)?)).transpose()
}

async fn store_producer(tx: &Transaction<'_>, partition_id: i64, entry: &ProducerEntry) -> MetaResult<()> {
    execute(
        tx,
        "INSERT INTO producers (partition_id, producer_id, producer_epoch, last_timestamp_ms, batches)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (partition_id, producer_id) DO UPDATE SET
             producer_epoch = excluded.producer_epoch,
             last_timestamp_ms = excluded.last_timestamp_ms,
             batches = excluded.batches",
        &[
            &partition_id,
            &entry.producer_id,
            &i64::from(entry.producer_epoch),
            &entry.last_timestamp_ms,
            &encode_cached_batches(&entry.batches),
        ],
    )
    .await?;
    Ok(())
}

async fn load_configs(tx: &Transaction<'_>, topic_id: Uuid) -> MetaResult<BTreeMap<String, String>> {
    let id = topic_id.as_bytes().as_slice();
    let rows = query(tx, "SELECT key, value FROM topic_configs WHERE topic_id = $1", &[&id]).await?;
    rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?))).collect()
}

const TOPIC_COLUMNS: &str = "id, name, partition_count, replication_factor, created_ms";

fn topic_from_row(row: &Row, configs: BTreeMap<String, String>) -> MetaResult<TopicMeta> {
    Ok(TopicMeta {
        id: uuid_from_blob(col(row, 0)?)?,
        name: col(row, 1)?,
        partition_count: to_i32(col(row, 2)?, "partition count")?,
        replication_factor: to_i16(col(row, 3)?, "replication factor")?,
        configs,
        created_ms: col(row, 4)?,
    })
}

/// The topic named `name`; with `lock`, its row is locked FOR UPDATE.
async fn load_topic(tx: &Transaction<'_>, name: &str, lock: bool) -> MetaResult<Option<TopicMeta>> {
    let suffix = if lock { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT {TOPIC_COLUMNS} FROM topics WHERE name = $1{suffix}");
    load_topic_row(tx, query_first(tx, &sql, &[&name]).await?).await
}

async fn load_topic_row(tx: &Transaction<'_>, row: Option<Row>) -> MetaResult<Option<TopicMeta>> {
    let Some(row) = row else { return Ok(None) };
    let id = uuid_from_blob(col(&row, 0)?)?;
    let configs = load_configs(tx, id).await?;
    topic_from_row(&row, configs).map(Some)
}

async fn require_topic(tx: &Transaction<'_>, name: &str) -> MetaResult<TopicMeta> {
    load_topic(tx, name, true).await?.ok_or_else(|| MetaError::UnknownTopic(name.to_string()))
}

async fn insert_partitions(tx: &Transaction<'_>, topic_id: Uuid, range: std::ops::Range<i32>) -> MetaResult<()> {
    let id = topic_id.as_bytes().as_slice();
    execute(
        tx,
        "INSERT INTO partitions (topic_id, partition, log_start_offset, high_watermark, size_bytes)
         SELECT $1, p, 0, 0, 0 FROM generate_series($2::BIGINT, $3::BIGINT - 1) AS p",
        &[&id, &i64::from(range.start), &i64::from(range.end)],
    )
    .await?;
    Ok(())
}

async fn insert_configs(tx: &Transaction<'_>, topic_id: Uuid, configs: &BTreeMap<String, String>) -> MetaResult<()> {
    let id = topic_id.as_bytes().as_slice();
    for (k, v) in configs {
        execute(tx, "INSERT INTO topic_configs (topic_id, key, value) VALUES ($1, $2, $3)", &[&id, k, v]).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The write path

async fn commit_object_tx(
    tx: &Transaction<'_>,
    object: &NewObject,
    batches: &[BatchToCommit],
) -> MetaResult<Vec<BatchOutcome>> {
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
    let inserted = query_first(
        tx,
        "INSERT INTO objects (key, size_bytes, live_bytes, created_ms, dead_since_ms)
         VALUES ($1, $2, 0, $3, $3) ON CONFLICT (key) DO NOTHING RETURNING id",
        &[&object.key, &object_size, &object.created_ms],
    )
    .await?;
    let Some(inserted) = inserted else {
        return Err(corrupt(format!("object {} is already committed", object.key)));
    };
    let object_id: i64 = col(&inserted, 0)?;

    // Sorted partition order: every broker locks partition rows in the same
    // order, so concurrent multi-partition commits cannot deadlock.
    let mut order: Vec<usize> = (0..batches.len()).collect();
    order.sort_by_key(|&i| (batches[i].partition, i));
    let mut outcomes: Vec<Option<BatchOutcome>> = vec![None; batches.len()];
    let mut live_bytes = 0i64;

    for group in order.chunk_by(|&a, &b| batches[a].partition == batches[b].partition) {
        let Some(PartitionRow { id: partition_id, offsets: mut p }) =
            load_partition(tx, batches[group[0]].partition, Lock::NoKeyUpdate).await?
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
                if let std::collections::hash_map::Entry::Vacant(slot) = producers.entry(pb.producer_id) {
                    slot.insert(load_producer(tx, partition_id, pb.producer_id).await?);
                }
                let entry = producers.get(&pb.producer_id).and_then(|e| e.as_ref());
                if let Some(outcome) = producer::outcome_of(producer::check(entry, pb), p.log_start_offset) {
                    outcomes[i] = Some(outcome);
                    continue;
                }
            }
            let base_offset = p.high_watermark;
            let last_offset = base_offset
                .checked_add(i64::from(b.record_count) - 1)
                .ok_or_else(|| corrupt("offset overflow: the partition's high watermark is near i64::MAX"))?;
            let length = i64::from(b.byte_length);
            execute(
                tx,
                "INSERT INTO batches (partition_id, base_offset, last_offset, max_timestamp_ms, object_id,
                                      byte_position, byte_length)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &partition_id,
                    &base_offset,
                    &last_offset,
                    &b.max_timestamp_ms,
                    &object_id,
                    &to_i64(b.byte_position, "byte position")?,
                    &length,
                ],
            )
            .await?;
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
        store_partition_offsets(tx, partition_id, &p).await?;
        for producer_id in changed_producers {
            if let Some(Some(entry)) = producers.get(&producer_id) {
                store_producer(tx, partition_id, entry).await?;
            }
        }
    }

    if live_bytes > 0 {
        execute(
            tx,
            "UPDATE objects SET live_bytes = $2, dead_since_ms = NULL WHERE id = $1",
            &[&object_id, &live_bytes],
        )
        .await?;
    }
    Ok(outcomes.into_iter().map(|o| o.expect("every batch index is in exactly one partition group")).collect())
}

async fn advance_log_start_tx(
    tx: &Transaction<'_>,
    key: PartitionKey,
    offset: i64,
    now_ms: i64,
) -> MetaResult<PartitionOffsets> {
    let PartitionRow { id, offsets: mut p } = require_partition(tx, key, Lock::NoKeyUpdate).await?;
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
    p.size_bytes -= drop_rows_ending_before(tx, id, offset, now_ms).await?;
    p.log_start_offset = offset;
    store_partition_offsets(tx, id, &p).await?;
    Ok(p)
}

async fn apply_retention_tx(
    tx: &Transaction<'_>,
    key: PartitionKey,
    min_timestamp_ms: Option<i64>,
    max_bytes: Option<i64>,
    now_ms: i64,
) -> MetaResult<PartitionOffsets> {
    let PartitionRow { id, offsets: mut p } = require_partition(tx, key, Lock::NoKeyUpdate).await?;
    if min_timestamp_ms.is_none() && max_bytes.is_none() {
        return Ok(p);
    }
    // Bounded pages: the scan stops at the first kept row.
    const PAGE: i64 = 1024;
    let mut remaining = p.size_bytes;
    let mut dropped_any = false;
    let mut first_kept = None;
    let mut after = i64::MIN;
    'scan: loop {
        let rows = query(
            tx,
            "SELECT base_offset, max_timestamp_ms, byte_length FROM batches
             WHERE partition_id = $1 AND base_offset > $2 ORDER BY base_offset LIMIT $3",
            &[&id, &after, &PAGE],
        )
        .await?;
        let page_len = rows.len();
        for row in rows {
            let base_offset: i64 = col(&row, 0)?;
            let max_timestamp_ms: i64 = col(&row, 1)?;
            let length: i64 = col(&row, 2)?;
            let too_old = min_timestamp_ms.is_some_and(|min| max_timestamp_ms < min);
            let too_big = max_bytes.is_some_and(|max| remaining - length >= max);
            if too_old || too_big {
                remaining -= length;
                dropped_any = true;
                after = base_offset;
            } else {
                first_kept = Some(base_offset);
                break 'scan;
            }
        }
        if page_len < PAGE as usize {
            break;
        }
    }
    if !dropped_any {
        return Ok(p);
    }
    let new_start = first_kept.unwrap_or(p.high_watermark);
    let dropped = drop_rows_ending_before(tx, id, new_start, now_ms).await?;
    p.size_bytes -= dropped;
    p.log_start_offset = p.log_start_offset.max(new_start);
    store_partition_offsets(tx, id, &p).await?;
    Ok(p)
}

async fn delete_topic_tx(tx: &Transaction<'_>, name: &str, now_ms: i64) -> MetaResult<TopicMeta> {
    let topic = require_topic(tx, name).await?;
    let id = topic.id.as_bytes().as_slice();
    // Same order as commits lock them.
    query(tx, "SELECT id FROM partitions WHERE topic_id = $1 ORDER BY partition FOR UPDATE", &[&id]).await?;
    let per_object = query(
        tx,
        "SELECT b.object_id, SUM(b.byte_length)::BIGINT FROM partitions p JOIN batches b ON b.partition_id = p.id
         WHERE p.topic_id = $1 GROUP BY b.object_id ORDER BY b.object_id",
        &[&id],
    )
    .await?;
    for row in per_object {
        release_object_bytes(tx, col(&row, 0)?, col(&row, 1)?, now_ms).await?;
    }
    for sql in [
        "DELETE FROM batches WHERE partition_id IN (SELECT id FROM partitions WHERE topic_id = $1)",
        "DELETE FROM producers WHERE partition_id IN (SELECT id FROM partitions WHERE topic_id = $1)",
        "DELETE FROM group_offsets WHERE partition_id IN (SELECT id FROM partitions WHERE topic_id = $1)",
        "DELETE FROM partitions WHERE topic_id = $1",
        "DELETE FROM topic_configs WHERE topic_id = $1",
        "DELETE FROM topics WHERE id = $1",
    ] {
        execute(tx, sql, &[&id]).await?;
    }
    Ok(topic)
}

// ---------------------------------------------------------------------------
// Consumer-group offsets

const GROUP_OFFSET_COLUMNS: &str =
    "p.topic_id, p.partition, g.committed_offset, g.leader_epoch, g.metadata, g.commit_timestamp_ms";

fn group_offset_from_row(row: &Row) -> MetaResult<CommittedOffset> {
    Ok(CommittedOffset {
        partition: PartitionKey {
            topic_id: uuid_from_blob(col(row, 0)?)?,
            partition: to_i32(col(row, 1)?, "partition")?,
        },
        offset: col(row, 2)?,
        leader_epoch: to_i32(col(row, 3)?, "leader epoch")?,
        metadata: col(row, 4)?,
        commit_timestamp_ms: col(row, 5)?,
    })
}

async fn commit_group_offsets_tx(tx: &Transaction<'_>, group_id: &str, offsets: &[CommittedOffset]) -> MetaResult<()> {
    // Sorted (stable: a later commit of one partition still wins) so the
    // partition locks are taken in the same order as everywhere else.
    let mut sorted: Vec<&CommittedOffset> = offsets.iter().collect();
    sorted.sort_by_key(|o| o.partition);
    for o in sorted {
        // An unknown partition fails the whole transaction: nothing is stored.
        let p = require_partition(tx, o.partition, Lock::KeyShare).await?;
        execute(
            tx,
            "INSERT INTO group_offsets
                 (group_id, partition_id, committed_offset, leader_epoch, metadata, commit_timestamp_ms)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (group_id, partition_id) DO UPDATE SET
                 committed_offset = excluded.committed_offset,
                 leader_epoch = excluded.leader_epoch,
                 metadata = excluded.metadata,
                 commit_timestamp_ms = excluded.commit_timestamp_ms",
            &[&group_id, &p.id, &o.offset, &i64::from(o.leader_epoch), &o.metadata, &o.commit_timestamp_ms],
        )
        .await?;
    }
    Ok(())
}

async fn group_offsets_tx(
    tx: &Transaction<'_>,
    group_id: &str,
    partitions: Option<&[PartitionKey]>,
) -> MetaResult<Vec<CommittedOffset>> {
    let mut out = Vec::new();
    match partitions {
        None => {
            let sql = format!(
                "SELECT {GROUP_OFFSET_COLUMNS} FROM group_offsets g JOIN partitions p ON p.id = g.partition_id
                 WHERE g.group_id = $1"
            );
            for row in query(tx, &sql, &[&group_id]).await? {
                out.push(group_offset_from_row(&row)?);
            }
        }
        Some(keys) => {
            let keys: BTreeSet<PartitionKey> = keys.iter().copied().collect();
            let sql = format!(
                "SELECT {GROUP_OFFSET_COLUMNS} FROM partitions p JOIN group_offsets g ON g.partition_id = p.id
                 WHERE p.topic_id = $1 AND p.partition = $2 AND g.group_id = $3"
            );
            for key in keys {
                let id = key.topic_id.as_bytes().as_slice();
                if let Some(row) = query_first(tx, &sql, &[&id, &i64::from(key.partition), &group_id]).await? {
                    out.push(group_offset_from_row(&row)?);
                }
            }
        }
    }
    out.sort_by_key(|o| o.partition);
    Ok(out)
}

// ---------------------------------------------------------------------------

#[async_trait]
impl crate::GroupStateStore for PostgresMetaStore {
    async fn acquire_group_lease(
        &self,
        group_id: &str,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> MetaResult<Option<i64>> {
        transact!(self, Mode::Write, |tx| async {
            // A placeholder row (no owner, epoch 0, expired) makes the row lock
            // below cover a group that nobody has held yet.
            execute(
                &tx,
                "INSERT INTO group_state (group_id, lease_owner, lease_epoch, lease_expires_ms, state)
                 VALUES ($1, '', 0, 0, NULL) ON CONFLICT (group_id) DO NOTHING",
                &[&group_id],
            )
            .await?;
            let row = query_first(
                &tx,
                "SELECT lease_owner, lease_epoch, lease_expires_ms FROM group_state WHERE group_id = $1 FOR UPDATE",
                &[&group_id],
            )
            .await?
            .ok_or_else(|| corrupt(format!("group_state row of {group_id} vanished")))?;
            let (current_owner, epoch, expires): (String, i64, i64) = (col(&row, 0)?, col(&row, 1)?, col(&row, 2)?);
            let epoch = if current_owner == owner {
                epoch
            } else if expires > now_ms {
                return Ok(None);
            } else {
                epoch + 1
            };
            execute(
                &tx,
                "UPDATE group_state SET lease_owner = $2, lease_epoch = $3, lease_expires_ms = $4 WHERE group_id = $1",
                &[&group_id, &owner, &epoch, &now_ms.saturating_add(lease_ms)],
            )
            .await?;
            Ok(Some(epoch))
        }
        .await)
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
        transact!(self, Mode::Write, |tx| execute(
            &tx,
            "UPDATE group_state SET state = $4 WHERE group_id = $1 AND lease_owner = $2 AND lease_epoch = $3",
            &[&group_id, &owner, &epoch, &state],
        )
        .await)
        .map(|n| n == 1)
    }

    async fn load_group_states(&self) -> MetaResult<Vec<(String, Vec<u8>)>> {
        transact!(self, Mode::Read, |tx| async {
            let rows =
                query(&tx, "SELECT group_id, state FROM group_state WHERE state IS NOT NULL ORDER BY group_id", &[])
                    .await?;
            rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?))).collect::<MetaResult<Vec<_>>>()
        }
        .await)
    }
}

#[async_trait]
impl MetaStore for PostgresMetaStore {
    async fn cluster_id(&self) -> MetaResult<String> {
        const GET: &str = "SELECT value FROM meta WHERE key = 'cluster_id'";
        transact!(self, Mode::Write, |tx| async {
            if let Some(row) = query_first(&tx, GET, &[]).await? {
                return col::<String>(&row, 0);
            }
            // Like Kafka's Uuid.randomUuid(): never an id that starts with '-'.
            let id = loop {
                let s = kafka_uuid_string(Uuid::new_v4());
                if !s.starts_with('-') {
                    break s;
                }
            };
            // A broker starting at the same time may win the insert; read back whichever did.
            execute(
                &tx,
                "INSERT INTO meta (key, value) VALUES ('cluster_id', $1) ON CONFLICT (key) DO NOTHING",
                &[&id],
            )
            .await?;
            let row = query_first(&tx, GET, &[]).await?.ok_or_else(|| corrupt("cluster id vanished"))?;
            col::<String>(&row, 0)
        }
        .await)
    }

    async fn register_broker(&self, broker: BrokerRegistration) -> MetaResult<()> {
        transact!(self, Mode::Write, |tx| execute(
            &tx,
            "INSERT INTO brokers (node_id, host, port, rack, lease_expires_ms) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (node_id) DO UPDATE SET host = excluded.host, port = excluded.port,
                 rack = excluded.rack, lease_expires_ms = excluded.lease_expires_ms",
            &[
                &i64::from(broker.node_id),
                &broker.host,
                &i64::from(broker.port),
                &broker.rack,
                &broker.lease_expires_ms
            ],
        )
        .await)?;
        Ok(())
    }

    async fn live_brokers(&self, now_ms: i64) -> MetaResult<Vec<BrokerRegistration>> {
        transact!(self, Mode::Read, |tx| async {
            let rows = query(
                &tx,
                "SELECT node_id, host, port, rack, lease_expires_ms FROM brokers
                 WHERE lease_expires_ms > $1 ORDER BY node_id",
                &[&now_ms],
            )
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(BrokerRegistration {
                        node_id: to_i32(col(r, 0)?, "broker node id")?,
                        host: col(r, 1)?,
                        port: to_i32(col(r, 2)?, "broker port")?,
                        rack: col(r, 3)?,
                        lease_expires_ms: col(r, 4)?,
                    })
                })
                .collect::<MetaResult<Vec<_>>>()
        }
        .await)
    }

    async fn create_topic(&self, topic: NewTopic) -> MetaResult<TopicMeta> {
        if topic.partition_count < 1 {
            return Err(MetaError::InvalidPartitions(format!(
                "a topic needs at least one partition, got {}",
                topic.partition_count
            )));
        }
        let topic = &topic;
        transact!(self, Mode::Write, |tx| async {
            if load_topic(&tx, &topic.name, false).await?.is_some() {
                return Err(MetaError::TopicExists(topic.name.clone()));
            }
            let id = topic.id.as_bytes().as_slice();
            let inserted = execute(
                &tx,
                "INSERT INTO topics (id, name, partition_count, replication_factor, created_ms)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[
                    &id,
                    &topic.name,
                    &i64::from(topic.partition_count),
                    &i64::from(topic.replication_factor),
                    &topic.created_ms,
                ],
            )
            .await?;
            if inserted != 1 {
                // Another broker created the same name meanwhile, or the id is taken.
                if load_topic(&tx, &topic.name, false).await?.is_some() {
                    return Err(MetaError::TopicExists(topic.name.clone()));
                }
                return Err(corrupt(format!("topic id {} is already used by another topic", topic.id)));
            }
            insert_configs(&tx, topic.id, &topic.configs).await?;
            insert_partitions(&tx, topic.id, 0..topic.partition_count).await?;
            Ok(TopicMeta {
                name: topic.name.clone(),
                id: topic.id,
                partition_count: topic.partition_count,
                replication_factor: topic.replication_factor,
                configs: topic.configs.clone(),
                created_ms: topic.created_ms,
            })
        }
        .await)
    }

    async fn delete_topic(&self, name: &str, now_ms: i64) -> MetaResult<TopicMeta> {
        transact!(self, Mode::Write, |tx| delete_topic_tx(&tx, name, now_ms).await)
    }

    async fn topics(&self) -> MetaResult<Vec<TopicMeta>> {
        transact!(self, Mode::Read, |tx| async {
            let mut configs: HashMap<Vec<u8>, BTreeMap<String, String>> = HashMap::new();
            for r in query(&tx, "SELECT topic_id, key, value FROM topic_configs", &[]).await? {
                configs.entry(col(&r, 0)?).or_default().insert(col(&r, 1)?, col(&r, 2)?);
            }
            let rows = query(&tx, &format!("SELECT {TOPIC_COLUMNS} FROM topics ORDER BY name"), &[]).await?;
            rows.iter()
                .map(|r| {
                    let id: Vec<u8> = col(r, 0)?;
                    topic_from_row(r, configs.remove(&id).unwrap_or_default())
                })
                .collect::<MetaResult<Vec<_>>>()
        }
        .await)
    }

    async fn topic(&self, name: &str) -> MetaResult<Option<TopicMeta>> {
        transact!(self, Mode::Read, |tx| load_topic(&tx, name, false).await)
    }

    async fn topic_by_id(&self, id: Uuid) -> MetaResult<Option<TopicMeta>> {
        let sql = format!("SELECT {TOPIC_COLUMNS} FROM topics WHERE id = $1");
        let id = id.as_bytes().as_slice();
        transact!(self, Mode::Read, |tx| async {
            let row = query_first(&tx, &sql, &[&id]).await?;
            load_topic_row(&tx, row).await
        }
        .await)
    }

    async fn set_partition_count(&self, name: &str, partition_count: i32) -> MetaResult<TopicMeta> {
        transact!(self, Mode::Write, |tx| async {
            let mut topic = require_topic(&tx, name).await?;
            if partition_count <= topic.partition_count {
                return Err(MetaError::InvalidPartitions(format!(
                    "topic {name} has {} partitions; the new count {partition_count} must be larger",
                    topic.partition_count
                )));
            }
            insert_partitions(&tx, topic.id, topic.partition_count..partition_count).await?;
            let id = topic.id.as_bytes().as_slice();
            execute(&tx, "UPDATE topics SET partition_count = $2 WHERE id = $1", &[&id, &i64::from(partition_count)])
                .await?;
            topic.partition_count = partition_count;
            Ok(topic)
        }
        .await)
    }

    async fn set_topic_configs(&self, name: &str, configs: BTreeMap<String, String>) -> MetaResult<TopicMeta> {
        let configs = &configs;
        transact!(self, Mode::Write, |tx| async {
            let mut topic = require_topic(&tx, name).await?;
            let id = topic.id.as_bytes().as_slice();
            execute(&tx, "DELETE FROM topic_configs WHERE topic_id = $1", &[&id]).await?;
            insert_configs(&tx, topic.id, configs).await?;
            topic.configs = configs.clone();
            Ok(topic)
        }
        .await)
    }

    async fn commit_object(&self, object: NewObject, batches: Vec<BatchToCommit>) -> MetaResult<Vec<BatchOutcome>> {
        transact!(self, Mode::Write, |tx| commit_object_tx(&tx, &object, &batches).await)
    }

    async fn partition_offsets(&self, partition: PartitionKey) -> MetaResult<Option<PartitionOffsets>> {
        transact!(self, Mode::Read, |tx| load_partition(&tx, partition, Lock::None).await).map(|p| p.map(|p| p.offsets))
    }

    async fn read_index(
        &self,
        partition: PartitionKey,
        from_offset: i64,
        max_entries: usize,
        max_bytes: u64,
    ) -> MetaResult<Option<(PartitionOffsets, Vec<IndexEntry>)>> {
        // Rows are dense and ordered, so the row containing from_offset is the
        // last one starting at or before it; the scan starts there on the key.
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM batches b LEFT JOIN objects o ON o.id = b.object_id
             WHERE b.partition_id = $1
               AND b.base_offset >= COALESCE(
                   (SELECT MAX(base_offset) FROM batches WHERE partition_id = $1 AND base_offset <= $2), $2)
               AND b.last_offset >= $2
             ORDER BY b.base_offset LIMIT $3"
        );
        let limit = i64::try_from(max_entries).unwrap_or(i64::MAX);
        transact!(self, Mode::Read, |tx| async {
            let Some(p) = load_partition(&tx, partition, Lock::None).await? else {
                return Ok(None);
            };
            let mut entries = Vec::new();
            if max_entries == 0 {
                return Ok(Some((p.offsets, entries)));
            }
            let mut bytes = 0u64;
            for row in query(&tx, &sql, &[&p.id, &from_offset, &limit]).await? {
                let entry = entry_from_row(&row)?;
                bytes = bytes.saturating_add(u64::from(entry.byte_length));
                entries.push(entry);
                if bytes >= max_bytes {
                    break;
                }
            }
            Ok(Some((p.offsets, entries)))
        }
        .await)
    }

    async fn first_entry_at_or_after_timestamp(
        &self,
        partition: PartitionKey,
        timestamp_ms: i64,
    ) -> MetaResult<Option<IndexEntry>> {
        transact!(self, Mode::Read, |tx| async {
            let p = require_partition(&tx, partition, Lock::None).await?;
            query_one_entry(
                &tx,
                "WHERE b.partition_id = $1 AND b.max_timestamp_ms >= $2 ORDER BY b.base_offset LIMIT 1",
                &[&p.id, &timestamp_ms],
            )
            .await
        }
        .await)
    }

    async fn max_timestamp_entry(&self, partition: PartitionKey) -> MetaResult<Option<IndexEntry>> {
        transact!(self, Mode::Read, |tx| async {
            let p = require_partition(&tx, partition, Lock::None).await?;
            query_one_entry(
                &tx,
                "WHERE b.partition_id = $1 ORDER BY b.max_timestamp_ms DESC, b.base_offset ASC LIMIT 1",
                &[&p.id],
            )
            .await
        }
        .await)
    }

    async fn advance_log_start(
        &self,
        partition: PartitionKey,
        offset: i64,
        now_ms: i64,
    ) -> MetaResult<PartitionOffsets> {
        transact!(self, Mode::Write, |tx| advance_log_start_tx(&tx, partition, offset, now_ms).await)
    }

    async fn apply_retention(
        &self,
        partition: PartitionKey,
        min_timestamp_ms: Option<i64>,
        max_bytes: Option<i64>,
        now_ms: i64,
    ) -> MetaResult<PartitionOffsets> {
        transact!(self, Mode::Write, |tx| apply_retention_tx(&tx, partition, min_timestamp_ms, max_bytes, now_ms).await)
    }

    async fn dead_objects(&self, dead_before_ms: i64, limit: usize) -> MetaResult<Vec<DeadObject>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        transact!(self, Mode::Read, |tx| async {
            let rows = query(
                &tx,
                "SELECT key, dead_since_ms FROM objects
                 WHERE dead_since_ms IS NOT NULL AND dead_since_ms < $1 AND live_bytes = 0
                 ORDER BY dead_since_ms, key LIMIT $2",
                &[&dead_before_ms, &limit],
            )
            .await?;
            rows.iter()
                .map(|r| Ok(DeadObject { key: col(r, 0)?, dead_since_ms: col(r, 1)? }))
                .collect::<MetaResult<Vec<_>>>()
        }
        .await)
    }

    async fn forget_object(&self, key: &str) -> MetaResult<()> {
        transact!(self, Mode::Write, |tx| async {
            // Locked: a concurrent forget or release waits for this decision.
            let live = query_first(&tx, "SELECT live_bytes FROM objects WHERE key = $1 FOR UPDATE", &[&key]).await?;
            let Some(live) = live else { return Ok(()) };
            match col::<i64>(&live, 0)? {
                0 => {
                    execute(&tx, "DELETE FROM objects WHERE key = $1", &[&key]).await?;
                    Ok(())
                }
                live => Err(corrupt(format!(
                    "refusing to forget object {key}: index rows still reference {live} bytes of it"
                ))),
            }
        }
        .await)
    }

    async fn known_objects(&self, keys: &[String]) -> MetaResult<Vec<String>> {
        let known: HashSet<String> = transact!(self, Mode::Read, |tx| async {
            let rows = query(&tx, "SELECT key FROM objects WHERE key = ANY($1)", &[&keys]).await?;
            rows.iter().map(|r| col::<String>(r, 0)).collect::<MetaResult<HashSet<_>>>()
        }
        .await)?;
        Ok(keys.iter().filter(|k| known.contains(*k)).cloned().collect())
    }

    async fn allocate_producer_id(&self) -> MetaResult<i64> {
        transact!(self, Mode::Write, |tx| async {
            // One atomic row update: concurrent brokers queue on the row.
            let row = query_first(
                &tx,
                "UPDATE meta SET value = (value::BIGINT + 1)::TEXT WHERE key = 'next_producer_id' RETURNING value",
                &[],
            )
            .await?
            .ok_or_else(|| corrupt("the producer id counter is missing"))?;
            let next: String = col(&row, 0)?;
            let next: i64 =
                next.parse().map_err(|_| corrupt(format!("stored next producer id {next:?} is not a number")))?;
            Ok(next - 1)
        }
        .await)
    }

    async fn producer_entries(&self, partition: PartitionKey) -> MetaResult<Vec<ProducerEntry>> {
        transact!(self, Mode::Read, |tx| async {
            let p = require_partition(&tx, partition, Lock::None).await?;
            let rows = query(
                &tx,
                "SELECT producer_id, producer_epoch, last_timestamp_ms, batches FROM producers
                 WHERE partition_id = $1 ORDER BY producer_id",
                &[&p.id],
            )
            .await?;
            rows.iter()
                .map(|r| producer_from_row(col(r, 0)?, col(r, 1)?, col(r, 2)?, col::<&[u8]>(r, 3)?))
                .collect::<MetaResult<Vec<_>>>()
        }
        .await)
    }

    async fn commit_group_offsets(&self, group_id: &str, offsets: Vec<CommittedOffset>) -> MetaResult<()> {
        transact!(self, Mode::Write, |tx| commit_group_offsets_tx(&tx, group_id, &offsets).await)
    }

    async fn group_offsets(
        &self,
        group_id: &str,
        partitions: Option<Vec<PartitionKey>>,
    ) -> MetaResult<Vec<CommittedOffset>> {
        transact!(self, Mode::Read, |tx| group_offsets_tx(&tx, group_id, partitions.as_deref()).await)
    }

    async fn delete_group_offsets(&self, group_id: &str, partitions: Vec<PartitionKey>) -> MetaResult<()> {
        transact!(self, Mode::Write, |tx| async {
            for key in &partitions {
                let id = key.topic_id.as_bytes().as_slice();
                execute(
                    &tx,
                    "DELETE FROM group_offsets WHERE group_id = $1
                         AND partition_id = (SELECT id FROM partitions WHERE topic_id = $2 AND partition = $3)",
                    &[&group_id, &id, &i64::from(key.partition)],
                )
                .await?;
            }
            Ok(())
        }
        .await)
    }

    async fn delete_group_offsets_all(&self, group_id: &str) -> MetaResult<bool> {
        transact!(self, Mode::Write, |tx| execute(&tx, "DELETE FROM group_offsets WHERE group_id = $1", &[&group_id])
            .await)
        .map(|n| n > 0)
    }

    async fn groups_with_offsets(&self) -> MetaResult<Vec<String>> {
        transact!(self, Mode::Read, |tx| async {
            let rows = query(&tx, "SELECT DISTINCT group_id FROM group_offsets ORDER BY group_id", &[]).await?;
            rows.iter().map(|r| col::<String>(r, 0)).collect::<MetaResult<Vec<_>>>()
        }
        .await)
    }

    async fn scram_credentials(&self) -> MetaResult<Vec<ScramCredential>> {
        transact!(self, Mode::Read, |tx| async {
            let rows = query(
                &tx,
                "SELECT user_name, mechanism, salt, stored_key, server_key, iterations FROM scram_credentials
                 ORDER BY user_name, mechanism",
                &[],
            )
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(ScramCredential {
                        user: col(r, 0)?,
                        mechanism: col(r, 1)?,
                        salt: col(r, 2)?,
                        stored_key: col(r, 3)?,
                        server_key: col(r, 4)?,
                        iterations: col(r, 5)?,
                    })
                })
                .collect::<MetaResult<Vec<_>>>()
        }
        .await)
    }

    async fn upsert_scram_credential(&self, c: ScramCredential) -> MetaResult<()> {
        transact!(self, Mode::Write, |tx| execute(
            &tx,
            "INSERT INTO scram_credentials (user_name, mechanism, salt, stored_key, server_key, iterations)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (user_name, mechanism) DO UPDATE SET salt = excluded.salt,
               stored_key = excluded.stored_key, server_key = excluded.server_key, iterations = excluded.iterations",
            &[&c.user, &c.mechanism, &c.salt, &c.stored_key, &c.server_key, &c.iterations],
        )
        .await)?;
        Ok(())
    }

    async fn delete_scram_credential(&self, user: &str, mechanism: &str) -> MetaResult<bool> {
        transact!(self, Mode::Write, |tx| execute(
            &tx,
            "DELETE FROM scram_credentials WHERE user_name = $1 AND mechanism = $2",
            &[&user, &mechanism],
        )
        .await)
        .map(|n| n > 0)
    }

    async fn acls(&self) -> MetaResult<Vec<AclBinding>> {
        let code = |v: i16| i8::try_from(v).map_err(|_| corrupt(format!("stored ACL code {v} is out of range")));
        transact!(self, Mode::Read, |tx| {
            async {
            let rows = query(
                &tx,
                "SELECT resource_type, resource_name, pattern_type, principal, host, operation, permission_type
                 FROM acls ORDER BY resource_type, resource_name, pattern_type, principal, host, operation, permission_type",
                &[],
            )
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(AclBinding {
                        resource_type: code(col(r, 0)?)?,
                        resource_name: col(r, 1)?,
                        pattern_type: code(col(r, 2)?)?,
                        principal: col(r, 3)?,
                        host: col(r, 4)?,
                        operation: code(col(r, 5)?)?,
                        permission_type: code(col(r, 6)?)?,
                    })
                })
                .collect::<MetaResult<Vec<_>>>()
        }
        .await
        })
    }

    async fn create_acls(&self, acls: Vec<AclBinding>) -> MetaResult<()> {
        transact!(self, Mode::Write, |tx| async {
            for a in &acls {
                execute(
                    &tx,
                    "INSERT INTO acls
                     (resource_type, resource_name, pattern_type, principal, host, operation, permission_type)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                    &[
                        &i16::from(a.resource_type),
                        &a.resource_name,
                        &i16::from(a.pattern_type),
                        &a.principal,
                        &a.host,
                        &i16::from(a.operation),
                        &i16::from(a.permission_type),
                    ],
                )
                .await?;
            }
            Ok(())
        }
        .await)
    }

    async fn delete_acls(&self, acls: Vec<AclBinding>) -> MetaResult<usize> {
        transact!(self, Mode::Write, |tx| async {
            let mut deleted = 0usize;
            for a in &acls {
                let n = execute(
                    &tx,
                    "DELETE FROM acls WHERE resource_type = $1 AND resource_name = $2 AND pattern_type = $3
                     AND principal = $4 AND host = $5 AND operation = $6 AND permission_type = $7",
                    &[
                        &i16::from(a.resource_type),
                        &a.resource_name,
                        &i16::from(a.pattern_type),
                        &a.principal,
                        &a.host,
                        &i16::from(a.operation),
                        &i16::from(a.permission_type),
                    ],
                )
                .await?;
                deleted += n as usize;
            }
            Ok(deleted)
        }
        .await)
    }
}

/// Test support: a fresh, empty database per store, on the server named by
/// `OXBOW_TEST_POSTGRES_URL` (scripts/pg-test-server.sh starts one).
#[cfg(any(test, feature = "conformance"))]
pub mod testing {
    use super::*;

    pub const URL_ENV: &str = "OXBOW_TEST_POSTGRES_URL";

    /// The server URL, or None (with a message) outside CI; in CI a missing
    /// server is a failure, never a silent skip.
    pub fn server_url() -> Option<String> {
        match std::env::var(URL_ENV) {
            Ok(url) if !url.is_empty() => Some(url),
            _ if std::env::var_os("CI").is_some() => {
                panic!("{URL_ENV} is not set in CI; scripts/test starts PostgreSQL and sets it")
            }
            _ => {
                eprintln!("SKIPPED: {URL_ENV} not set (run scripts/pg-test-server.sh start)");
                None
            }
        }
    }

    /// Creates a new database on the server and returns its connection config.
    pub async fn fresh_database(server_url: &str) -> tokio_postgres::Config {
        let mut config: tokio_postgres::Config = server_url.parse().expect("valid OXBOW_TEST_POSTGRES_URL");
        let (client, connection) = config.connect(NoTls).await.expect("connect to the test PostgreSQL server");
        let driver = tokio::spawn(connection);
        let name = format!("oxbow_test_{}", Uuid::new_v4().simple());
        client.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        drop(client);
        let _ = driver.await;
        config.dbname(&name);
        config
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{fresh_database, server_url};
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conformance() {
        let Some(url) = server_url() else { return };
        let store = PostgresMetaStore::connect_config(fresh_database(&url).await).await.expect("connect");
        crate::conformance::run_all(&store).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn group_state_conformance() {
        let Some(url) = server_url() else { return };
        let store = PostgresMetaStore::connect_config(fresh_database(&url).await).await.expect("connect");
        crate::group_state::conformance::run_all(&store).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn two_stores_on_one_database_assign_dense_offsets_and_migrate_once() {
        let Some(url) = server_url() else { return };
        let config = fresh_database(&url).await;
        let (a, b) = tokio::join!(
            PostgresMetaStore::connect_config(config.clone()),
            PostgresMetaStore::connect_config(config.clone())
        );
        let (a, b) = (std::sync::Arc::new(a.expect("a")), std::sync::Arc::new(b.expect("b")));
        assert_eq!(a.cluster_id().await.expect("id a"), b.cluster_id().await.expect("id b"));
        let topic = a
            .create_topic(NewTopic {
                name: "shared".into(),
                id: Uuid::new_v4(),
                partition_count: 2,
                replication_factor: 1,
                configs: BTreeMap::new(),
                created_ms: 1,
            })
            .await
            .expect("create");
        let mut tasks = Vec::new();
        for i in 0..40 {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            let topic_id = topic.id;
            tasks.push(tokio::spawn(async move {
                // Both partitions in one commit, in alternating input order.
                let parts = if i % 3 == 0 { [1, 0] } else { [0, 1] };
                let batches = parts
                    .iter()
                    .enumerate()
                    .map(|(n, &partition)| BatchToCommit {
                        partition: PartitionKey { topic_id, partition },
                        byte_position: 10 * n as u64,
                        byte_length: 10,
                        record_count: 3,
                        max_timestamp_ms: 1,
                        producer: None,
                    })
                    .collect();
                store
                    .commit_object(NewObject { key: format!("obj-{i}"), size_bytes: 20, created_ms: 1 }, batches)
                    .await
                    .expect("commit")
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        for partition in [0, 1] {
            let key = PartitionKey { topic_id: topic.id, partition };
            let (offsets, rows) = a.read_index(key, 0, 1000, u64::MAX).await.expect("read").expect("partition");
            assert_eq!(offsets.high_watermark, 120);
            let mut next = 0;
            for row in &rows {
                assert_eq!(row.base_offset, next, "dense offsets");
                next = row.last_offset + 1;
            }
            assert_eq!(next, 120);
        }
        let ids: BTreeSet<i64> = futures_ids(&a, &b).await;
        assert_eq!(ids.len(), 20, "producer ids are unique across stores");
    }

    async fn futures_ids(a: &PostgresMetaStore, b: &PostgresMetaStore) -> BTreeSet<i64> {
        let mut ids = BTreeSet::new();
        for _ in 0..10 {
            let (x, y) = tokio::join!(a.allocate_producer_id(), b.allocate_producer_id());
            ids.insert(x.expect("pid"));
            ids.insert(y.expect("pid"));
        }
        ids
    }

    #[tokio::test]
    async fn unreachable_server_is_a_retriable_error_and_tls_is_refused() {
        // Port 1 on loopback: nothing listens there.
        let err = PostgresMetaStore::connect("postgres://oxbow@127.0.0.1:1/oxbow?connect_timeout=2")
            .await
            .expect_err("nothing listens");
        assert!(err.is_retriable(), "{err}");
        let err = PostgresMetaStore::connect("postgres://oxbow@127.0.0.1:1/oxbow?sslmode=require")
            .await
            .expect_err("TLS not built");
        assert!(err.to_string().contains("TLS"), "{err}");
        let err = PostgresMetaStore::connect("not a url").await.expect_err("bad url");
        assert!(err.to_string().contains("invalid PostgreSQL URL"), "{err}");
    }
}
