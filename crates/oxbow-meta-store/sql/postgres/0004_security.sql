-- Oxbow metadata store, PostgreSQL schema version 4: security (mirrors
-- sql/sqlite/0004_security.sql). Never edit a released migration.

-- Salted SCRAM credentials (RFC 5802): never a password.
CREATE TABLE scram_credentials (
    user_name   TEXT NOT NULL,
    mechanism   TEXT NOT NULL,
    salt        BYTEA NOT NULL,
    stored_key  BYTEA NOT NULL,
    server_key  BYTEA NOT NULL,
    iterations  INTEGER NOT NULL,
    PRIMARY KEY (user_name, mechanism)
);

-- Kafka ACL bindings with Kafka's numeric codes; a binding is its whole row.
CREATE TABLE acls (
    resource_type   SMALLINT NOT NULL,
    resource_name   TEXT NOT NULL,
    pattern_type    SMALLINT NOT NULL,
    principal       TEXT NOT NULL,
    host            TEXT NOT NULL,
    operation       SMALLINT NOT NULL,
    permission_type SMALLINT NOT NULL,
    PRIMARY KEY (resource_type, resource_name, pattern_type, principal, host, operation, permission_type)
);
