//! Accounts of the web pages and the API (`users`) and the pages a publisher is a member of
//! (`user_pages`). E-mail addresses arrive here already trimmed and lower-cased; the rules
//! about who may do what live in [`crate::access`].

use std::collections::BTreeMap;

use sqlx::Row;

use super::audit::{AuditRecord, insert_audit};
use super::{Store, StoreError, dialect, dynamic_as};

/// A user as stored, without the password hash.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRecord {
    /// Its id.
    pub id: i64,
    /// The login, lower-cased.
    pub email: String,
    /// `operator` or `publisher`.
    pub role: String,
    /// The pages it is a member of, ordered by id.
    // From `user_pages`, read by a statement of its own.
    #[sqlx(skip)]
    pub pages: Vec<String>,
    /// When it was created (ms).
    pub created_at: i64,
}

/// What a login checks: the user's id, role and password hash.
#[derive(Clone, sqlx::FromRow)]
pub struct Credentials {
    /// The user's id.
    #[sqlx(rename = "id")]
    pub user_id: i64,
    /// The user's role.
    pub role: String,
    /// The argon2id PHC string.
    pub password_hash: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user_id", &self.user_id)
            .field("role", &self.role)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

impl Store {
    /// Creates a user that is a member of `pages`, and writes `audit` in the same
    /// transaction. `None` when the e-mail address is taken.
    pub async fn insert_user(
        &self,
        email: &str,
        password_hash: &str,
        role: &str,
        pages: &[String],
        audit: &AuditRecord<'_>,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (email, password_hash, role, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(email)
        .bind(password_hash)
        .bind(role)
        .bind(audit.at)
        .fetch_one(&mut *tx)
        .await;
        let id: i64 = match inserted {
            Ok(row) => row.try_get("id")?,
            // A concurrent add of the same address loses here.
            Err(e) if is_unique_violation(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        for page in pages {
            sqlx::query(
                "INSERT INTO user_pages (user_id, page_id) VALUES ($1, $2) \
                 ON CONFLICT (user_id, page_id) DO NOTHING",
            )
            .bind(id)
            .bind(page)
            .execute(&mut *tx)
            .await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// The user with this (lower-cased) e-mail address, with its pages.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        let user: Option<UserRecord> =
            sqlx::query_as("SELECT id, email, role, created_at FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
        let Some(mut user) = user else {
            return Ok(None);
        };
        user.pages = self.user_pages(user.id).await?;
        Ok(Some(user))
    }

    /// Every user, ordered by e-mail address, with their pages: two statements.
    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let mut users: Vec<UserRecord> =
            sqlx::query_as("SELECT id, email, role, created_at FROM users ORDER BY email")
                .fetch_all(&self.pool)
                .await?;
        let memberships: Vec<(i64, String)> =
            sqlx::query_as("SELECT user_id, page_id FROM user_pages ORDER BY user_id, page_id")
                .fetch_all(&self.pool)
                .await?;
        let mut pages: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (user_id, page_id) in memberships {
            pages.entry(user_id).or_default().push(page_id);
        }
        for user in &mut users {
            user.pages = pages.remove(&user.id).unwrap_or_default();
        }
        Ok(users)
    }

    /// The pages a user is a member of, ordered by id.
    pub async fn user_pages(&self, user_id: i64) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar(
                "SELECT page_id FROM user_pages WHERE user_id = $1 ORDER BY page_id",
            )
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// What a login with this (lower-cased) e-mail address checks.
    pub async fn credentials(&self, email: &str) -> Result<Option<Credentials>, StoreError> {
        Ok(
            sqlx::query_as("SELECT id, role, password_hash FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Sets a user's password hash and ends their sessions but `keep_session` (all of them
    /// when `None`), writing `audit` in the same transaction; `false` when there is no such
    /// user.
    pub async fn set_password_hash(
        &self,
        user_id: i64,
        password_hash: &str,
        keep_session: Option<&str>,
        audit: &AuditRecord<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(keep_session.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes a user (its memberships, tokens and sessions go with it) and writes `audit`
    /// in the same transaction; `Ok(None)` when there is no such user, `Ok(Some(false))`
    /// when it is the last operator (who is never removed).
    pub async fn delete_user(
        &self,
        user_id: i64,
        audit: &AuditRecord<'_>,
    ) -> Result<Option<bool>, StoreError> {
        // The operators' rows locked (or, on SQLite, the database from the first statement),
        // so two removals at once cannot each leave the other as the last one and both go
        // through: the count below stays true.
        let mut tx = self.begin_write().await?;
        let operators: Vec<(i64,)> = dynamic_as(format!(
            "SELECT id FROM users WHERE role = 'operator' ORDER BY id{}",
            dialect::for_update(self.backend)
        ))
        .fetch_all(&mut *tx)
        .await?;
        let is_operator = operators.contains(&(user_id,));
        if is_operator && operators.len() == 1 {
            return Ok(Some(false));
        }
        // SQLite enforces the cascades only with foreign_keys on, which the pool sets; the
        // explicit deletes keep a connection without it from leaving orphans behind.
        for sql in [
            "DELETE FROM sessions WHERE user_id = $1",
            "DELETE FROM api_tokens WHERE user_id = $1",
            "DELETE FROM user_pages WHERE user_id = $1",
        ] {
            sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
        }
        let deleted = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Ok(None);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(Some(true))
    }

    /// Makes a user a member of a page and writes `audit` in the same transaction; `false`
    /// when it already was (nothing written).
    pub async fn insert_user_page(
        &self,
        user_id: i64,
        page_id: &str,
        audit: &AuditRecord<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let added = sqlx::query(
            "INSERT INTO user_pages (user_id, page_id) VALUES ($1, $2) \
             ON CONFLICT (user_id, page_id) DO NOTHING",
        )
        .bind(user_id)
        .bind(page_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Ends a user's membership of a page and writes `audit` in the same transaction;
    /// `false` when it was not a member (nothing written).
    pub async fn delete_user_page(
        &self,
        user_id: i64,
        page_id: &str,
        audit: &AuditRecord<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let removed = sqlx::query("DELETE FROM user_pages WHERE user_id = $1 AND page_id = $2")
            .bind(user_id)
            .bind(page_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if removed == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}
