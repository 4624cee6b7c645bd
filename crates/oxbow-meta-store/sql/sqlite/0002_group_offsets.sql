-- Oxbow metadata store, SQLite schema version 2: consumer-group offsets.
-- Never edit a released migration: add a new file.

-- One committed offset per (group, partition). `partition_id` is the internal
-- key of `partitions`; delete_topic deletes a topic's rows explicitly in its
-- transaction (the foreign key makes a forgotten delete fail loudly).
-- The primary key serves "all offsets of a group" and "groups with offsets".
CREATE TABLE group_offsets (
    group_id            TEXT NOT NULL,
    partition_id        INTEGER NOT NULL REFERENCES partitions (id),
    committed_offset    INTEGER NOT NULL,
    leader_epoch        INTEGER NOT NULL,
    metadata            TEXT,
    commit_timestamp_ms INTEGER NOT NULL,
    PRIMARY KEY (group_id, partition_id)
) WITHOUT ROWID;

-- For delete_topic and the foreign-key check when partitions rows go away.
CREATE INDEX group_offsets_partition ON group_offsets (partition_id);
