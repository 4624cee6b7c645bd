//! The control plane's state in its own SQLite file: accounts, principals,
//! resources (JSON documents) and the audit log. Migrations are numbered
//! files in `sql/control/`, applied in order and recorded in `user_version`.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

const MIGRATIONS: &[&str] = &[include_str!("../sql/control/0001_init.sql")];
/// Most audit rows one read returns.
pub const AUDIT_READ_MAX: usize = 10_000;

pub struct Store {
    conn: Mutex<Connection>,
}

#[derive(Clone, Debug)]
pub struct Principal {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account_id: String,
    pub name: String,
    pub arn: String,
    pub policy: Value,
}

#[derive(Clone, Debug)]
pub struct Resource {
    pub arn: String,
    pub kind: String,
    pub account_id: String,
    pub name: String,
    pub parent: Option<String>,
    pub doc: Value,
}

#[derive(Clone, Debug)]
pub struct AuditRow {
    pub at_ms: i64,
    pub principal: String,
    pub account_id: String,
    pub action: String,
    pub resource: String,
    pub result: String,
    pub status: u16,
}

type R<T> = anyhow::Result<T>;

impl Store {
    pub fn open(path: &Path) -> R<Store> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(Store { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn add_account(&self, account_id: &str, name: &str) -> R<()> {
        self.conn().execute(
            "INSERT INTO accounts(account_id, name, created_ms) VALUES (?1, ?2, ?3)",
            params![account_id, name, crate::util::now_ms()],
        )?;
        Ok(())
    }

    pub fn accounts(&self) -> R<Vec<(String, String)>> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT account_id, name FROM accounts ORDER BY created_ms, account_id")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn add_principal(&self, p: &Principal) -> R<()> {
        self.conn().execute(
            "INSERT INTO principals(access_key_id, secret_access_key, account_id, name, arn, policy) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![p.access_key_id, p.secret_access_key, p.account_id, p.name, p.arn, p.policy.to_string()],
        )?;
        Ok(())
    }

    pub fn set_principal_policy(&self, arn: &str, policy: &Value) -> R<bool> {
        Ok(self.conn().execute("UPDATE principals SET policy = ?2 WHERE arn = ?1", params![arn, policy.to_string()])?
            > 0)
    }

    fn principal_row(r: &rusqlite::Row) -> rusqlite::Result<Principal> {
        let policy: String = r.get(5)?;
        Ok(Principal {
            access_key_id: r.get(0)?,
            secret_access_key: r.get(1)?,
            account_id: r.get(2)?,
            name: r.get(3)?,
            arn: r.get(4)?,
            policy: serde_json::from_str(&policy).unwrap_or(Value::Null),
        })
    }

    pub fn principal(&self, access_key_id: &str) -> R<Option<Principal>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT access_key_id, secret_access_key, account_id, name, arn, policy FROM principals \
                 WHERE access_key_id = ?1",
                [access_key_id],
                Self::principal_row,
            )
            .optional()?)
    }

    pub fn principals(&self) -> R<Vec<Principal>> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT access_key_id, secret_access_key, account_id, name, arn, policy FROM principals ORDER BY rowid",
        )?;
        let rows = st.query_map([], Self::principal_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn put_resource(&self, r: &Resource) -> R<()> {
        let conn = self.conn();
        let seq: i64 = conn.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM resources", [], |r| r.get(0))?;
        conn.execute(
            "INSERT INTO resources(arn, kind, account_id, name, parent, doc, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT(arn) DO UPDATE SET doc = excluded.doc, name = excluded.name",
            params![r.arn, r.kind, r.account_id, r.name, r.parent, r.doc.to_string(), seq],
        )?;
        Ok(())
    }

    pub fn delete_resource(&self, arn: &str) -> R<bool> {
        Ok(self.conn().execute("DELETE FROM resources WHERE arn = ?1", [arn])? > 0)
    }

    fn resource_row(r: &rusqlite::Row) -> rusqlite::Result<Resource> {
        let doc: String = r.get(5)?;
        Ok(Resource {
            arn: r.get(0)?,
            kind: r.get(1)?,
            account_id: r.get(2)?,
            name: r.get(3)?,
            parent: r.get(4)?,
            doc: serde_json::from_str(&doc).unwrap_or(Value::Null),
        })
    }

    pub fn resource(&self, arn: &str) -> R<Option<Resource>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT arn, kind, account_id, name, parent, doc FROM resources WHERE arn = ?1",
                [arn],
                Self::resource_row,
            )
            .optional()?)
    }

    /// Resources of one kind in creation order, optionally of one account or one parent.
    pub fn resources(&self, kind: &str, account_id: Option<&str>, parent: Option<&str>) -> R<Vec<Resource>> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT arn, kind, account_id, name, parent, doc FROM resources WHERE kind = ?1 \
             AND (?2 IS NULL OR account_id = ?2) AND (?3 IS NULL OR parent = ?3) ORDER BY seq",
        )?;
        let rows = st.query_map(params![kind, account_id, parent], Self::resource_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn audit(&self, row: &AuditRow) -> R<()> {
        self.conn().execute(
            "INSERT INTO audit(at_ms, principal, account_id, action, resource, result, status) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![row.at_ms, row.principal, row.account_id, row.action, row.resource, row.result, row.status],
        )?;
        Ok(())
    }

    /// The newest `limit` audit rows (at most [`AUDIT_READ_MAX`]), oldest first.
    pub fn audit_rows(&self, limit: usize) -> R<Vec<AuditRow>> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT at_ms, principal, account_id, action, resource, result, status FROM \
             (SELECT * FROM audit ORDER BY id DESC LIMIT ?1) ORDER BY id",
        )?;
        let rows = st.query_map([limit.min(AUDIT_READ_MAX) as i64], |r| {
            Ok(AuditRow {
                at_ms: r.get(0)?,
                principal: r.get(1)?,
                account_id: r.get(2)?,
                action: r.get(3)?,
                resource: r.get(4)?,
                result: r.get(5)?,
                status: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
