//! Web sessions (`sessions`: the cookie carries an id and a secret, only the secret's
//! SHA-256 is kept) and failed logins (`login_failures`, by account and by address), which
//! the login throttle counts.

use super::audit::{AuditRecord, insert_audit};
use super::{Store, StoreError};

/// A session to store.
#[derive(Clone, sqlx::FromRow)]
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
#[derive(Clone, sqlx::FromRow)]
pub struct SessionMatch {
    /// The session.
    #[sqlx(flatten)]
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
        Ok(sqlx::query_as(
            "SELECT s.id, s.secret_hash, s.user_id, s.form_token, s.created_at, \
             s.last_seen_at, s.address, u.email, u.role \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
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

    /// A user's sessions, newest use first.
    pub async fn user_sessions(&self, user_id: i64) -> Result<Vec<SessionRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, secret_hash, user_id, form_token, created_at, last_seen_at, address \
             FROM sessions WHERE user_id = $1 ORDER BY last_seen_at DESC, id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Deletes a user's sessions but `keep` (none kept when `None`) and writes `audit` in
    /// the same transaction; returns how many ended.
    pub async fn delete_other_sessions(
        &self,
        user_id: i64,
        keep: Option<&str>,
        audit: &AuditRecord<'_>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Deletes every session last used before `idle_before`, or created before
    /// `created_before` (ms); returns how many.
    pub async fn delete_expired_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
                .bind(idle_before)
                .bind(created_before)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// Counts a login attempt for `account` from `address`, before its password is
    /// checked: each of its three counters (the pair, the address, the account) is bumped
    /// in the one statement that reads it, so concurrent attempts each see a different
    /// count and none can pass a limit unseen. A counter whose window started at or before
    /// `window_from` starts a new window at `now`.
    pub async fn count_login_attempt(
        &self,
        account: &str,
        address: &str,
        now: i64,
        window_from: i64,
    ) -> Result<LoginAttempts, StoreError> {
        let rows: Vec<CounterRow> = sqlx::query_as(
            "INSERT INTO login_limits (scope, account, address, window_start, attempts) VALUES \
             ('pair', $1, $2, $3, 1), ('address', '', $2, $3, 1), ('account', $1, '', $3, 1) \
             ON CONFLICT (scope, account, address) DO UPDATE SET \
               attempts = CASE WHEN login_limits.window_start <= $4 THEN 1 \
                          ELSE login_limits.attempts + 1 END, \
               window_start = CASE WHEN login_limits.window_start <= $4 THEN $3 \
                              ELSE login_limits.window_start END \
             RETURNING scope, attempts, window_start",
        )
        .bind(account)
        .bind(address)
        .bind(now)
        .bind(window_from)
        .fetch_all(&self.pool)
        .await?;
        let mut counted = LoginAttempts::default();
        for row in rows {
            match row.scope.as_str() {
                "pair" => counted.pair = row.count,
                "address" => counted.address = row.count,
                _ => counted.account = row.count,
            }
        }
        Ok(counted)
    }

    /// Records a failed login in the audit log (its attempt was counted already).
    pub async fn record_login_failure(&self, audit: &AuditRecord<'_>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// After a login succeeded: the account's earlier failures no longer count against it
    /// (from any address), and the attempt itself was no failure of its address.
    pub async fn forget_login_failures(
        &self,
        account: &str,
        address: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM login_limits WHERE account = $1 AND scope IN ('pair', 'account')")
            .bind(account)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE login_limits SET attempts = attempts - 1 \
             WHERE scope = 'address' AND account = '' AND address = $1 AND attempts > 0",
        )
        .bind(address)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes login counters whose window started before `before` (ms): they no longer
    /// count.
    pub async fn delete_old_login_limits(&self, before: i64) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM login_limits WHERE window_start < $1")
                .bind(before)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}

/// A login counter as its statement left it ([`Store::count_login_attempt`]).
#[derive(sqlx::FromRow)]
struct CounterRow {
    scope: String,
    #[sqlx(flatten)]
    count: LimitCount,
}

/// One login counter: the attempts since its window started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct LimitCount {
    /// Attempts counted in the window, this one included.
    pub attempts: i64,
    /// When the window started (ms).
    pub window_start: i64,
}

/// The three counters of a login attempt, as its statement left them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoginAttempts {
    /// This account from this address.
    pub pair: LimitCount,
    /// This address, whatever the account.
    pub address: LimitCount,
    /// This account, from any address.
    pub account: LimitCount,
}
