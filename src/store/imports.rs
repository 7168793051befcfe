//! Imports: each answer of `POST /pages/{id}/articles`, kept so that it can be read again
//! later (`GET /imports/{id}`), failed ones included.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::decode::json_of;
use super::writer::PageWriter;
use super::{Store, StoreError};
use crate::model::Diagnostic;
use crate::validate::Verdict;

/// Whether a manual write (an import or an edit) was stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WriteStatus {
    /// Stored (inserted, updated, or identical to the stored version).
    Success,
    /// Rejected: nothing stored.
    Failed,
}

/// What a manual write did to the article.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WriteAction {
    /// A new article.
    Inserted,
    /// New content, a draft made live, or both.
    Updated,
    /// Identical to the stored version.
    Unchanged,
    /// Not stored: errors, or not an article of the page.
    Rejected,
}

impl WriteAction {
    /// As the JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteAction::Inserted => "inserted",
            WriteAction::Updated => "updated",
            WriteAction::Unchanged => "unchanged",
            WriteAction::Rejected => "rejected",
        }
    }

    /// `success` unless rejected.
    pub fn status(self) -> WriteStatus {
        match self {
            WriteAction::Rejected => WriteStatus::Failed,
            _ => WriteStatus::Success,
        }
    }
}

/// The answer of an import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportOutcome {
    /// Its id (`GET /imports/{import_id}` reads it again).
    pub import_id: i64,
    /// `success` or `failed`.
    pub status: WriteStatus,
    /// The article's canonical URL, when it has a usable one.
    pub canonical_url: Option<String>,
    /// What it did.
    pub action: WriteAction,
    /// The article's verdict.
    pub verdict: Verdict,
    /// Its diagnostics (cli.md's diagnostic objects).
    pub diagnostics: Vec<Diagnostic>,
}

impl ImportOutcome {
    /// Nothing was stored.
    pub fn is_failed(&self) -> bool {
        self.status == WriteStatus::Failed
    }

    /// A new article was inserted.
    pub fn is_inserted(&self) -> bool {
        self.action == WriteAction::Inserted
    }

    /// `inserted`, `updated`, `unchanged` or `rejected`.
    pub fn action_str(&self) -> &'static str {
        self.action.as_str()
    }
}

/// A client's key for an import it may send again, with what the request was.
#[derive(Clone, Copy, Debug)]
pub struct ImportKey<'a> {
    /// The key (`Idempotency-Key`), in the namespace of the user who sent it.
    pub key: &'a str,
    /// A fingerprint of the request: the same key with another request is refused.
    pub request_hash: &'a str,
}

/// What an import key already answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyedImport {
    /// The same request: its answer.
    Same(ImportOutcome),
    /// Another request under the same key.
    Different,
}

/// How long an import key is kept.
pub const IMPORT_KEY_TTL_MS: i64 = 24 * 3600 * 1000;

/// Records an import's answer (its `import_id` is the row's id) inside a transaction,
/// with its key when it has one.
pub(super) async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    page_id: &str,
    actor: &str,
    now: i64,
    outcome: &ImportOutcome,
    key: Option<ImportKey<'_>>,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO imports (page_id, canonical_url, actor, created_at, result) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(page_id)
    .bind(&outcome.canonical_url)
    .bind(actor)
    .bind(now)
    .bind(super::json_param(outcome)?)
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    if let Some(k) = key {
        sqlx::query(
            "INSERT INTO import_keys (actor, idem_key, request_hash, import_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(actor)
        .bind(k.key)
        .bind(k.request_hash)
        .bind(id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// An import key's request and the answer it got ([`keyed`]).
#[derive(sqlx::FromRow)]
struct KeyedRow {
    request_hash: String,
    id: i64,
    result: String,
}

/// What `actor`'s import key answered within the last 24 h, read inside a transaction.
pub(super) async fn keyed(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &str,
    key: ImportKey<'_>,
) -> Result<Option<KeyedImport>, StoreError> {
    let row: Option<KeyedRow> = sqlx::query_as(
        "SELECT k.request_hash, i.id, i.result FROM import_keys k \
         JOIN imports i ON i.id = k.import_id \
         WHERE k.actor = $1 AND k.idem_key = $2 AND k.created_at > $3",
    )
    .bind(actor)
    .bind(key.key)
    .bind(super::now_ms() - IMPORT_KEY_TTL_MS)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    if row.request_hash != key.request_hash {
        return Ok(Some(KeyedImport::Different));
    }
    let mut outcome: ImportOutcome = json_of(&row.result)?;
    outcome.import_id = row.id;
    Ok(Some(KeyedImport::Same(outcome)))
}

impl PageWriter {
    /// What `actor`'s import key answered, read under the page's lock.
    pub async fn keyed_import(
        &mut self,
        actor: &str,
        key: ImportKey<'_>,
    ) -> Result<Option<KeyedImport>, StoreError> {
        keyed(&mut self.tx, actor, key).await
    }

    /// Records the answer of an import that stored nothing, with its key, and commits;
    /// returns its id.
    pub async fn record_failed_import(
        mut self,
        actor: &str,
        outcome: &ImportOutcome,
        key: Option<ImportKey<'_>>,
    ) -> Result<i64, StoreError> {
        let page_id = self.page_id.clone();
        let id = insert(&mut self.tx, &page_id, actor, super::now_ms(), outcome, key).await?;
        self.commit().await?;
        Ok(id)
    }
}

impl Store {
    /// Deletes import keys older than a day: an import sent again after that is a new one.
    pub async fn prune_import_keys(&self) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM import_keys WHERE created_at < $1")
            .bind(super::now_ms() - IMPORT_KEY_TTL_MS)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// An import's answer, with the page it was made for (for access checks).
    pub async fn import(
        &self,
        import_id: i64,
    ) -> Result<Option<(String, ImportOutcome)>, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT page_id, result FROM imports WHERE id = $1")
                .bind(import_id)
                .fetch_optional(&self.pool)
                .await?;
        let Some((page_id, result)) = row else {
            return Ok(None);
        };
        let mut outcome: ImportOutcome = json_of(&result)?;
        outcome.import_id = import_id;
        Ok(Some((page_id, outcome)))
    }
}
