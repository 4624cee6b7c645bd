-- Oxbow metadata store, SQLite schema version 1.
-- Applied once by the migrator in src/sqlite.rs, inside a transaction, and
-- recorded in schema_migrations. Never edit a released migration: add a new file.

-- Small singletons: the cluster id and the producer-id counter.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;

INSERT INTO meta (key, value) VALUES ('next_producer_id', '1000');

CREATE TABLE brokers (
    node_id          INTEGER PRIMARY KEY NOT NULL,
    host             TEXT NOT NULL,
    port             INTEGER NOT NULL,
    rack             TEXT,
    lease_expires_ms INTEGER NOT NULL
);

CREATE TABLE topics (
    id                 BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    name               TEXT NOT NULL UNIQUE,
    partition_count    INTEGER NOT NULL CHECK (partition_count >= 1),
    replication_factor INTEGER NOT NULL,
    created_ms         INTEGER NOT NULL
) WITHOUT ROWID;

-- Only configs set explicitly on the topic.
CREATE TABLE topic_configs (
    topic_id BLOB NOT NULL REFERENCES topics (id),
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (topic_id, key)
) WITHOUT ROWID;

-- `id` is an internal compact key used by batches and producers.
CREATE TABLE partitions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    topic_id         BLOB NOT NULL REFERENCES topics (id),
    partition        INTEGER NOT NULL CHECK (partition >= 0),
    log_start_offset INTEGER NOT NULL,
    high_watermark   INTEGER NOT NULL,
    size_bytes       INTEGER NOT NULL,
    UNIQUE (topic_id, partition),
    CHECK (log_start_offset >= 0 AND log_start_offset <= high_watermark AND size_bytes >= 0)
);

-- Every object ever committed and not yet forgotten. live_bytes is the sum of
-- byte_length of the index rows pointing into it; an object is dead exactly
-- when live_bytes = 0, and then dead_since_ms says since when.
CREATE TABLE objects (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    key           TEXT NOT NULL UNIQUE,
    size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
    live_bytes    INTEGER NOT NULL CHECK (live_bytes >= 0 AND live_bytes <= size_bytes),
    created_ms    INTEGER NOT NULL,
    dead_since_ms INTEGER,
    CHECK ((live_bytes = 0) = (dead_since_ms IS NOT NULL))
);

CREATE INDEX objects_dead ON objects (dead_since_ms) WHERE dead_since_ms IS NOT NULL;

-- The offset index: one row per committed batch. Rows of a partition cover
-- dense, non-overlapping offset ranges.
CREATE TABLE batches (
    partition_id     INTEGER NOT NULL REFERENCES partitions (id),
    base_offset      INTEGER NOT NULL,
    last_offset      INTEGER NOT NULL,
    max_timestamp_ms INTEGER NOT NULL,
    object_id        INTEGER NOT NULL,
    byte_position    INTEGER NOT NULL,
    byte_length      INTEGER NOT NULL,
    PRIMARY KEY (partition_id, base_offset),
    CHECK (last_offset >= base_offset AND byte_position >= 0 AND byte_length >= 0)
) WITHOUT ROWID;

-- Idempotent-producer state per partition. `batches` holds up to five cached
-- batches, oldest first, each 24 bytes little-endian:
-- first_sequence i32, last_sequence i32, base_offset i64, last_offset i64.
CREATE TABLE producers (
    partition_id      INTEGER NOT NULL REFERENCES partitions (id),
    producer_id       INTEGER NOT NULL,
    producer_epoch    INTEGER NOT NULL,
    last_timestamp_ms INTEGER NOT NULL,
    batches           BLOB NOT NULL,
    PRIMARY KEY (partition_id, producer_id)
) WITHOUT ROWID;
