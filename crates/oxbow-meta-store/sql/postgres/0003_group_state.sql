-- Oxbow metadata store, PostgreSQL schema version 3: group membership state
-- (mirrors sql/sqlite/0003_group_state.sql). Never edit a released migration.

CREATE TABLE group_state (
    group_id          TEXT PRIMARY KEY NOT NULL,
    lease_owner       TEXT NOT NULL,
    lease_epoch       BIGINT NOT NULL,
    lease_expires_ms  BIGINT NOT NULL,
    state             BYTEA
);
