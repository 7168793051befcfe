//! Ignored updates: per article, the latest incoming version that an update rule refused
//! (`update-not-newer`, `update-outside-24h-window`, `update-missing-op-modified`), so a
//! publisher can see why it did not show, compare it with the stored version and apply it
//! by hand. Any applied version clears it.

use super::decode::decode_error;
use super::{Store, StoreError};
use crate::registry::RuleId;

/// A pending ignored update.
#[derive(Clone, Debug)]
pub struct IgnoredUpdate {
    /// The article.
    pub canonical_url: String,
    /// Its page.
    pub page_id: String,
    /// The rule that refused it.
    pub rule: RuleId,
    /// Why, with both times.
    pub message: String,
    /// The incoming version's `op-modified` (ms).
    pub op_modified: Option<i64>,
    /// The run that first saw this version refused.
    pub run_id: i64,
    /// When (ms).
    pub created_at: i64,
    /// The incoming version's HTML.
    pub html: String,
}

/// A row of `ignored_updates`, as stored.
#[derive(sqlx::FromRow)]
struct IgnoredRow {
    canonical_url: String,
    page_id: String,
    rule: String,
    message: String,
    op_modified: Option<i64>,
    run_id: i64,
    created_at: i64,
    html: String,
}

impl TryFrom<IgnoredRow> for IgnoredUpdate {
    type Error = StoreError;

    fn try_from(row: IgnoredRow) -> Result<IgnoredUpdate, StoreError> {
        Ok(IgnoredUpdate {
            canonical_url: row.canonical_url,
            page_id: row.page_id,
            rule: row.rule.parse().map_err(decode_error)?,
            message: row.message,
            op_modified: row.op_modified,
            run_id: row.run_id,
            created_at: row.created_at,
            html: row.html,
        })
    }
}

/// A refused version to keep.
#[derive(Clone, Debug)]
pub struct IgnoredWrite {
    /// The article.
    pub canonical_url: String,
    /// The rule.
    pub rule: RuleId,
    /// Its message.
    pub message: String,
    /// The version's `op-modified` (ms).
    pub op_modified: Option<i64>,
    /// Hash of its HTML: a run refused the same version again writes nothing.
    pub content_hash: String,
    /// Its HTML.
    pub html: String,
}

/// Keeps refused versions inside a run's transaction, replacing older ones.
pub(super) async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    page_id: &str,
    run_id: i64,
    now: i64,
    writes: &[IgnoredWrite],
) -> Result<(), StoreError> {
    for w in writes {
        sqlx::query(
            "INSERT INTO ignored_updates (canonical_url, page_id, rule, message, op_modified, run_id, \
             created_at, content_hash, html) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (canonical_url) DO UPDATE SET rule = excluded.rule, \
             message = excluded.message, op_modified = excluded.op_modified, \
             run_id = excluded.run_id, created_at = excluded.created_at, \
             content_hash = excluded.content_hash, html = excluded.html",
        )
        .bind(&w.canonical_url)
        .bind(page_id)
        .bind(w.rule.as_str())
        .bind(&w.message)
        .bind(w.op_modified)
        .bind(run_id)
        .bind(now)
        .bind(&w.content_hash)
        .bind(&w.html)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Clears an article's ignored update: a version was applied.
pub(super) async fn clear(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    canonical_url: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM ignored_updates WHERE canonical_url = $1")
        .bind(canonical_url)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// The article's pending ignored update, with its HTML.
    pub async fn ignored_update(
        &self,
        canonical_url: &str,
    ) -> Result<Option<IgnoredUpdate>, StoreError> {
        let row: Option<IgnoredRow> = sqlx::query_as(
            "SELECT canonical_url, page_id, rule, message, op_modified, run_id, created_at, html \
             FROM ignored_updates WHERE canonical_url = $1",
        )
        .bind(canonical_url)
        .fetch_optional(&self.pool)
        .await?;
        row.map(IgnoredUpdate::try_from).transpose()
    }
}
