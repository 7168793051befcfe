//! API tokens: only a SHA-256 of each token is stored, found by that hash.

use sqlx::Row;

use super::audit::{AuditRecord, insert_audit};
use super::{Store, StoreError};

/// A token as listed: never its hash. Read from [`TOKEN_COLUMNS`].
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenRecord {
    /// Its id.
    pub id: i64,
    /// Its user's id.
    pub user_id: i64,
    /// Its user's e-mail address.
    #[sqlx(rename = "email")]
    pub user_email: String,
    /// Its name (empty when none was given).
    pub name: String,
    /// When it was created (ms).
    pub created_at: i64,
    /// When it last authenticated a request (ms; updated at most about once a minute).
    pub last_used_at: Option<i64>,
    /// When it stops working on its own (ms).
    pub expires_at: Option<i64>,
    /// When it was revoked (ms).
    pub revoked_at: Option<i64>,
}

/// A token found by its hash, with what authenticating a request needs.
#[derive(Clone, sqlx::FromRow)]
pub struct TokenMatch {
    /// The token.
    #[sqlx(flatten)]
    pub token: TokenRecord,
    /// The stored SHA-256 (hex), compared again in constant time by the caller.
    pub token_hash: String,
    /// Its user's role.
    pub role: String,
}

impl std::fmt::Debug for TokenMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenMatch")
            .field("token", &self.token)
            .field("token_hash", &"<redacted>")
            .field("role", &self.role)
            .finish()
    }
}

/// The columns a [`TokenRecord`] is read from.
const TOKEN_COLUMNS: &str = "t.id, t.user_id, u.email, t.name, t.created_at, t.last_used_at, \
                             t.expires_at, t.revoked_at";

impl Store {
    /// Stores a new token's hash for a user and writes `audit` in the same transaction, its
    /// object set to `token ID`; returns the token's id.
    pub async fn insert_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        audit: &AuditRecord<'_>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(audit.at)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        let object = format!("token {id}");
        let audit = AuditRecord {
            object: Some(&object),
            ..*audit
        };
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Tokens, ordered by id: every user's, or only those of the user with this
    /// (lower-cased) e-mail address.
    pub async fn tokens(&self, email: Option<&str>) -> Result<Vec<TokenRecord>, StoreError> {
        let rows = match email {
            Some(email) => {
                super::dynamic_as(format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     WHERE u.email = $1 ORDER BY t.id"
                ))
                .bind(email)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                super::dynamic_as(format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     ORDER BY t.id"
                ))
                .fetch_all(&self.pool)
                .await?
            }
        };
        Ok(rows)
    }

    /// One token by id.
    pub async fn token(&self, id: i64) -> Result<Option<TokenRecord>, StoreError> {
        Ok(super::dynamic_as(format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The token with this hash, revoked and expired ones included (the caller decides).
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenMatch>, StoreError> {
        Ok(super::dynamic_as(format!(
            "SELECT {TOKEN_COLUMNS}, t.token_hash, u.role FROM api_tokens t \
             JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records that a token authenticated a request at `at`.
    pub async fn touch_token(&self, id: i64, at: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Revokes a token that is not revoked yet and writes `audit` in the same transaction;
    /// `false` when there is no such token or it was already revoked (nothing written).
    pub async fn revoke_token(&self, id: i64, audit: &AuditRecord<'_>) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let revoked = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(audit.at)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if revoked == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}
