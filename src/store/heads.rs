//! What a writer decides on: the stored head of each article (its page, status, content
//! hash, times, revision, findings and pending ignored update), read in one statement for
//! many canonical URLs, on the pool or under a page's writer lock.

use std::collections::HashMap;

use sqlx::Row;

use super::decode::status_of;
use super::findings::Findings;
use super::{Backend, Store, StoreError, dialect, dynamic};
use crate::model::ArticleStatus;

/// What the update rules need to know of a stored article.
#[derive(Clone, Debug)]
pub struct ArticleHead {
    /// The page it belongs to.
    pub page_id: String,
    /// Shown to readers or not.
    pub status: ArticleStatus,
    /// Hash of its `content:encoded`.
    pub content_hash: String,
    /// Stored `op-published` (ms).
    pub op_published: Option<i64>,
    /// Stored `op-modified` (ms).
    pub op_modified: Option<i64>,
    /// Current revision number.
    pub revision: i64,
    /// The stored findings of its last version seen (none of either when absent).
    pub findings: Findings,
    /// Hash of its pending ignored update's HTML, if one is pending.
    pub ignored_hash: Option<String>,
}

impl ArticleHead {
    /// The reference time of the update rules: its `op-modified`, or its `op-published`.
    pub fn modified_reference(&self) -> Option<i64> {
        self.op_modified.or(self.op_published)
    }
}

/// The stored heads of these canonical URLs (those that exist), with their findings and
/// the hash of a pending ignored update, read on `conn` (the pool's, or a page writer's
/// under its lock).
///
/// The database aggregates the rows into one JSON value: a run checks hundreds of articles
/// at once, and one round trip beats streaming a row at a time.
pub(super) async fn article_heads_on(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    canonicals: &[&str],
) -> Result<HashMap<String, ArticleHead>, StoreError> {
    type HeadRow = (
        String,
        String,
        String,
        String,
        Option<i64>,
        Option<i64>,
        i64,
        Option<i64>,
        Option<i64>,
        Option<String>,
    );
    if canonicals.is_empty() {
        return Ok(HashMap::new());
    }
    let columns = "a.canonical_url, a.page_id, a.status, a.content_hash, a.op_published, \
                   a.op_modified, a.revision, f.errors, f.warnings, i.content_hash";
    let mut out = HashMap::with_capacity(canonicals.len());
    let sql = format!(
        "SELECT {} AS heads FROM articles a \
         LEFT JOIN article_findings f ON f.canonical_url = a.canonical_url \
         LEFT JOIN ignored_updates i ON i.canonical_url = a.canonical_url \
         WHERE a.canonical_url IN ({})",
        dialect::json_rows(backend, columns),
        dialect::json_list(backend)
    );
    let json: String = dynamic(sql)
        .bind(super::json_param(canonicals)?)
        .fetch_one(&mut *conn)
        .await?
        .try_get("heads")?;
    let rows: Vec<HeadRow> = serde_json::from_str(&json)
        .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?;
    for (url, page_id, status, content_hash, op_published, op_modified, revision, e, w, i) in rows {
        out.insert(
            url,
            ArticleHead {
                page_id,
                status: status_of(&status)?,
                content_hash,
                op_published,
                op_modified,
                revision,
                findings: Findings {
                    errors: e.unwrap_or(0),
                    warnings: w.unwrap_or(0),
                },
                ignored_hash: i,
            },
        );
    }
    Ok(out)
}

impl Store {
    /// The stored heads of these canonical URLs (those that exist), with their findings and
    /// the hash of a pending ignored update.
    pub async fn article_heads(
        &self,
        canonicals: &[&str],
    ) -> Result<HashMap<String, ArticleHead>, StoreError> {
        if canonicals.is_empty() {
            return Ok(HashMap::new());
        }
        let mut conn = self.pool.acquire().await?;
        article_heads_on(&mut conn, self.backend, canonicals).await
    }
}
