-- Oxbow metadata store, SQLite schema version 3: group membership state.
-- Never edit a released migration: add a new file.

-- One row per group: who coordinates it (a lease with an owner and an epoch
-- that fences a previous owner, DESIGN.md "Multi-broker") and its state as
-- the group coordinator encodes it (opaque here; NULL = nothing to keep).
CREATE TABLE group_state (
    group_id          TEXT PRIMARY KEY NOT NULL,
    lease_owner       TEXT NOT NULL,
    lease_epoch       INTEGER NOT NULL,
    lease_expires_ms  INTEGER NOT NULL,
    state             BLOB
) WITHOUT ROWID;
