//! Web sessions (`sessions`: the cookie carries an id and a secret, only the secret's
//! SHA-256 is kept) and failed logins (`login_failures`, by account and by address), which
//! the login throttle counts.

use sqlx::Row;

use super::audit::{AuditRecord, insert_audit};
use super::{Store, StoreError};

/// A session to store.
#[derive(Clone)]
pub struct SessionRecord {
    /// Its id: the public half of the cookie.
    pub id: String,
    /// SHA-256 (hex) of the secret half of the cookie.
    pub secret_hash: String,
    /// Its user.
    pub user_id: i64,
    /// The token every state-changing form of the session carries.
    pub form_token: String,
    /// When it was created (ms).
    pub created_at: i64,
    /// When it was last used (ms).
    pub last_seen_at: i64,
    /// The address it was created from.
    pub address: Option<String>,
}

/// A stored session with its user's e-mail address and role.
#[derive(Clone)]
pub struct SessionMatch {
    /// The session.
    pub session: SessionRecord,
    /// Its user's e-mail address.
    pub email: String,
    /// Its user's role.
    pub role: String,
}

impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("id", &"<redacted>")
            .field("secret_hash", &"<redacted>")
            .field("user_id", &self.user_id)
            .field("form_token", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("last_seen_at", &self.last_seen_at)
            .field("address", &self.address)
            .finish()
    }
}

impl std::fmt::Debug for SessionMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionMatch")
            .field("session", &self.session)
            .field("email", &self.email)
            .field("role", &self.role)
            .finish()
    }
}

impl Store {
    /// Stores a new session and writes `audit` (the login) in the same transaction.
    pub async fn insert_session(
        &self,
        session: &SessionRecord,
        audit: &AuditRecord<'_>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO sessions \
             (id, secret_hash, user_id, form_token, created_at, last_seen_at, address) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&session.id)
        .bind(&session.secret_hash)
        .bind(session.user_id)
        .bind(&session.form_token)
        .bind(session.created_at)
        .bind(session.last_seen_at)
        .bind(&session.address)
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The session with this id, with its user.
    pub async fn session_by_id(&self, id: &str) -> Result<Option<SessionMatch>, StoreError> {
        let row = sqlx::query(
            "SELECT s.id, s.secret_hash, s.user_id, s.form_token, s.created_at, \
             s.last_seen_at, s.address, u.email, u.role \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SessionMatch {
                session: SessionRecord {
                    id: r.try_get("id")?,
                    secret_hash: r.try_get("secret_hash")?,
                    user_id: r.try_get("user_id")?,
                    form_token: r.try_get("form_token")?,
                    created_at: r.try_get("created_at")?,
                    last_seen_at: r.try_get("last_seen_at")?,
                    address: r.try_get("address")?,
                },
                email: r.try_get("email")?,
                role: r.try_get("role")?,
            })
        })
        .transpose()
    }

    /// Records that a session was used at `at`.
    pub async fn touch_session(&self, id: &str, at: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes a session; `false` when there was none.
    pub async fn delete_session(&self, id: &str) -> Result<bool, StoreError> {
        let deleted = sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(deleted > 0)
    }

    /// Deletes every session last used before `before` (ms); returns how many.
    pub async fn delete_idle_sessions(&self, before: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Records a failed login for `account` (lower-cased, as typed) from `address`, and
    /// writes `audit` in the same transaction.
    pub async fn insert_login_failure(
        &self,
        account: &str,
        address: &str,
        audit: &AuditRecord<'_>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO login_failures (account, address, at) VALUES ($1, $2, $3)")
            .bind(account)
            .bind(address)
            .bind(audit.at)
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The times (ms) of the newest failed logins for `account` since `since`, newest first,
    /// at most `limit`.
    pub async fn login_failures_of_account(
        &self,
        account: &str,
        since: i64,
        limit: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT at FROM login_failures WHERE account = $1 AND at > $2 \
             ORDER BY at DESC LIMIT $3",
        )
        .bind(account)
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.try_get("at").map_err(StoreError::from))
            .collect()
    }

    /// The times (ms) of the newest failed logins from `address` since `since`, newest
    /// first, at most `limit`.
    pub async fn login_failures_from_address(
        &self,
        address: &str,
        since: i64,
        limit: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT at FROM login_failures WHERE address = $1 AND at > $2 \
             ORDER BY at DESC LIMIT $3",
        )
        .bind(address)
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.try_get("at").map_err(StoreError::from))
            .collect()
    }

    /// Forgets the failed logins of `account` (after it logged in).
    pub async fn clear_login_failures(&self, account: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE account = $1")
            .bind(account)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes failed logins older than `before` (ms), which no longer count.
    pub async fn delete_old_login_failures(&self, before: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
