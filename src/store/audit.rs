//! The audit log: one row per manual action (who, what, on which object, when, from where),
//! written in the transaction of the action where the store performs it.

use serde::Serialize;

use super::{Store, StoreError};

/// An audit row to write.
#[derive(Clone, Copy, Debug)]
pub struct AuditRecord<'a> {
    /// When (ms).
    pub at: i64,
    /// Who: a user's e-mail address, `cli`, or the address typed at a failed login.
    pub actor: &'a str,
    /// What, as a snake_case verb phrase (`user_created`, `login_failed`, …).
    pub action: &'a str,
    /// On which object (an e-mail address, a canonical URL, `token 3`, …).
    pub object: Option<&'a str>,
    /// The page concerned, if any.
    pub page_id: Option<&'a str>,
    /// The network address the action came from (none from the command line).
    pub address: Option<&'a str>,
    /// Anything else worth keeping, in words; never a secret.
    pub detail: Option<&'a str>,
}

/// An audit row as read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    /// Its id: increases in creation order.
    pub id: i64,
    /// When (ms; RFC 3339 in JSON).
    #[serde(serialize_with = "super::ser::time")]
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On which object.
    pub object: Option<String>,
    /// The page concerned.
    pub page_id: Option<String>,
    /// From which address.
    pub address: Option<String>,
    /// Anything else.
    pub detail: Option<String>,
}

/// Writes one audit row on `conn` (a transaction or a pooled connection).
pub(crate) async fn insert_audit(
    conn: &mut sqlx::AnyConnection,
    r: &AuditRecord<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, object, page_id, address, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(r.at)
    .bind(r.actor)
    .bind(r.action)
    .bind(r.object)
    .bind(r.page_id)
    .bind(r.address)
    .bind(r.detail)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Writes one audit row on its own.
    pub async fn insert_audit(&self, record: &AuditRecord<'_>) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert_audit(&mut conn, record).await
    }

    /// Up to `limit` audit rows with ids below `before_id` (from the newest when `None`),
    /// newest first.
    pub async fn audit_entries(
        &self,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, at, actor, action, object, page_id, address, detail FROM audit_log \
             WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await?)
    }
}
