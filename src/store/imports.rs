//! Imports: each answer of `POST /pages/{id}/articles`, kept so that it can be read again
//! later (`GET /imports/{id}`), failed ones included.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{Store, StoreError};
use crate::model::Diagnostic;
use crate::validate::Verdict;

/// Whether a manual write (an import or an edit) was stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WriteStatus {
    /// Stored (inserted, updated, or identical to the stored version).
    Success,
    /// Rejected: nothing stored.
    Failed,
}

/// What a manual write did to the article.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOutcome {
    /// Its id.
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

/// Records an import's answer (its `import_id` is the row's id) inside a transaction.
pub(super) async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    page_id: &str,
    actor: &str,
    now: i64,
    outcome: &ImportOutcome,
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
    Ok(row.try_get("id")?)
}

impl Store {
    /// Records the answer of an import that stored nothing; returns its id.
    pub async fn record_failed_import(
        &self,
        page_id: &str,
        actor: &str,
        outcome: &ImportOutcome,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = insert(&mut tx, page_id, actor, super::now_ms(), outcome).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// An import's answer, with the page it was made for (for access checks).
    pub async fn import(
        &self,
        import_id: i64,
    ) -> Result<Option<(String, ImportOutcome)>, StoreError> {
        let row = sqlx::query("SELECT page_id, result FROM imports WHERE id = $1")
            .bind(import_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let result: String = r.try_get("result")?;
        let mut outcome: ImportOutcome = serde_json::from_str(&result)
            .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?;
        outcome.import_id = import_id;
        Ok(Some((r.try_get("page_id")?, outcome)))
    }
}
