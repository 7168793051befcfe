//! API tokens: only a SHA-256 of each token is stored, found by that hash.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::audit::{AuditRecord, insert_audit};
use super::{Store, StoreError};

/// A token as listed: never its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// Its id.
    pub id: i64,
    /// Its user's id.
    pub user_id: i64,
    /// Its user's e-mail address.
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
#[derive(Clone)]
pub struct TokenMatch {
    /// The token.
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

const TOKEN_COLUMNS: &str = "t.id, t.user_id, u.email, t.name, t.created_at, t.last_used_at, \
                             t.expires_at, t.revoked_at";

fn token_from_row(row: &AnyRow) -> Result<TokenRecord, StoreError> {
    Ok(TokenRecord {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        user_email: row.try_get("email")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

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
                super::dynamic(format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     WHERE u.email = $1 ORDER BY t.id"
                ))
                .bind(email)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                super::dynamic(format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     ORDER BY t.id"
                ))
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(token_from_row).collect()
    }

    /// One token by id.
    pub async fn token(&self, id: i64) -> Result<Option<TokenRecord>, StoreError> {
        let row = super::dynamic(format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// The token with this hash, revoked and expired ones included (the caller decides).
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenMatch>, StoreError> {
        let row = super::dynamic(format!(
            "SELECT {TOKEN_COLUMNS}, t.token_hash, u.role FROM api_tokens t \
             JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(TokenMatch {
                token: token_from_row(&r)?,
                token_hash: r.try_get("token_hash")?,
                role: r.try_get("role")?,
            })
        })
        .transpose()
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
