-- Oxbow metadata store, SQLite schema version 4: security.
-- Never edit a released migration: add a new file.

-- Salted SCRAM credentials (RFC 5802): only the salt, the iteration count and
-- the derived StoredKey/ServerKey are kept, never a password.
CREATE TABLE scram_credentials (
    user_name   TEXT NOT NULL,
    mechanism   TEXT NOT NULL,
    salt        BLOB NOT NULL,
    stored_key  BLOB NOT NULL,
    server_key  BLOB NOT NULL,
    iterations  INTEGER NOT NULL,
    PRIMARY KEY (user_name, mechanism)
) WITHOUT ROWID;

-- Kafka ACL bindings, with Kafka's numeric codes for resource type, pattern
-- type, operation and permission. A binding is its whole row.
CREATE TABLE acls (
    resource_type   INTEGER NOT NULL,
    resource_name   TEXT NOT NULL,
    pattern_type    INTEGER NOT NULL,
    principal       TEXT NOT NULL,
    host            TEXT NOT NULL,
    operation       INTEGER NOT NULL,
    permission_type INTEGER NOT NULL,
    PRIMARY KEY (resource_type, resource_name, pattern_type, principal, host, operation, permission_type)
) WITHOUT ROWID;
