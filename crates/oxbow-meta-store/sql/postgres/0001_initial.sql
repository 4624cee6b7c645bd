-- Oxbow metadata store, PostgreSQL schema version 1 (mirrors sql/sqlite/0001_initial.sql).
-- Applied once by the migrator in src/postgres.rs, inside a transaction holding
-- an advisory lock, and recorded in schema_migrations. Never edit a released
-- migration: add a new file.

-- Small singletons: the cluster id and the producer-id counter.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

INSERT INTO meta (key, value) VALUES ('next_producer_id', '1000');

CREATE TABLE brokers (
    node_id          BIGINT PRIMARY KEY NOT NULL,
    host             TEXT NOT NULL,
    port             BIGINT NOT NULL,
    rack             TEXT,
    lease_expires_ms BIGINT NOT NULL
);

CREATE TABLE topics (
    id                 BYTEA PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    name               TEXT NOT NULL UNIQUE,
    partition_count    BIGINT NOT NULL CHECK (partition_count >= 1),
    replication_factor BIGINT NOT NULL,
    created_ms         BIGINT NOT NULL
);

-- Only configs set explicitly on the topic.
CREATE TABLE topic_configs (
    topic_id BYTEA NOT NULL REFERENCES topics (id),
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (topic_id, key)
);

-- `id` is an internal compact key used by batches and producers. A partition
-- row is also the lock that serializes commits to the partition across brokers
-- (SELECT ... FOR UPDATE, in sorted (topic_id, partition) order).
CREATE TABLE partitions (
    id               BIGSERIAL PRIMARY KEY,
    topic_id         BYTEA NOT NULL REFERENCES topics (id),
    partition        BIGINT NOT NULL CHECK (partition >= 0),
    log_start_offset BIGINT NOT NULL,
    high_watermark   BIGINT NOT NULL,
    size_bytes       BIGINT NOT NULL,
    UNIQUE (topic_id, partition),
    CHECK (log_start_offset >= 0 AND log_start_offset <= high_watermark AND size_bytes >= 0)
);

-- Every object ever committed and not yet forgotten; see the SQLite schema.
CREATE TABLE objects (
    id            BIGSERIAL PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,
    size_bytes    BIGINT NOT NULL CHECK (size_bytes >= 0),
    live_bytes    BIGINT NOT NULL CHECK (live_bytes >= 0 AND live_bytes <= size_bytes),
    created_ms    BIGINT NOT NULL,
    dead_since_ms BIGINT,
    CHECK ((live_bytes = 0) = (dead_since_ms IS NOT NULL))
);

CREATE INDEX objects_dead ON objects (dead_since_ms) WHERE dead_since_ms IS NOT NULL;

-- The offset index: one row per committed batch.
CREATE TABLE batches (
    partition_id     BIGINT NOT NULL REFERENCES partitions (id),
    base_offset      BIGINT NOT NULL,
    last_offset      BIGINT NOT NULL,
    max_timestamp_ms BIGINT NOT NULL,
    object_id        BIGINT NOT NULL,
    byte_position    BIGINT NOT NULL,
    byte_length      BIGINT NOT NULL,
    PRIMARY KEY (partition_id, base_offset),
    CHECK (last_offset >= base_offset AND byte_position >= 0 AND byte_length >= 0)
);

CREATE INDEX batches_object ON batches (object_id);

-- Idempotent-producer state per partition; `batches` as in the SQLite schema
-- (up to five 24-byte little-endian cached batches, oldest first).
CREATE TABLE producers (
    partition_id      BIGINT NOT NULL REFERENCES partitions (id),
    producer_id       BIGINT NOT NULL,
    producer_epoch    BIGINT NOT NULL,
    last_timestamp_ms BIGINT NOT NULL,
    batches           BYTEA NOT NULL,
    PRIMARY KEY (partition_id, producer_id)
);
