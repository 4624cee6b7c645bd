-- Control-plane state (its own SQLite file, <data-dir>/control.sqlite).
CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY,      -- 12 digits
    name TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);

CREATE TABLE principals (
    access_key_id TEXT PRIMARY KEY,
    secret_access_key TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    name TEXT NOT NULL,
    arn TEXT NOT NULL UNIQUE,
    policy TEXT NOT NULL              -- IAM identity policy document (JSON)
);

-- Clusters, configurations, operations and secrets as JSON documents, in creation order.
CREATE TABLE resources (
    arn TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    parent TEXT,                      -- an operation's cluster ARN
    doc TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX resources_by_kind ON resources(kind, account_id, seq);

CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    principal TEXT NOT NULL,
    account_id TEXT NOT NULL,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    result TEXT NOT NULL,             -- Allowed / Denied / an error code
    status INTEGER NOT NULL
);
