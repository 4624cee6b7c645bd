-- Oxbow metadata store, PostgreSQL schema version 2: consumer-group offsets
-- (mirrors sql/sqlite/0002_group_offsets.sql). Never edit a released migration.

CREATE TABLE group_offsets (
    group_id            TEXT NOT NULL,
    partition_id        BIGINT NOT NULL REFERENCES partitions (id),
    committed_offset    BIGINT NOT NULL,
    leader_epoch        BIGINT NOT NULL,
    metadata            TEXT,
    commit_timestamp_ms BIGINT NOT NULL,
    PRIMARY KEY (group_id, partition_id)
);

CREATE INDEX group_offsets_partition ON group_offsets (partition_id);
