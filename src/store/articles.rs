//! Articles, keyed by their exact canonical URL, and every accepted revision.

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::revisions::{Provenance, insert_revision};
use super::{Store, StoreError, dynamic};
use crate::model::ArticleStatus;

pub(super) fn status_of(text: &str) -> Result<ArticleStatus, StoreError> {
    text.parse()
        .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))
}

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
}

impl ArticleHead {
    /// The reference time of the update rules: its `op-modified`, or its `op-published`.
    pub fn modified_reference(&self) -> Option<i64> {
        self.op_modified.or(self.op_published)
    }
}

/// A stored article, as listed.
#[derive(Clone, Debug)]
pub struct StoredArticle {
    /// Canonical URL, exactly as written.
    pub canonical_url: String,
    /// The page.
    pub page_id: String,
    /// Header title, whitespace collapsed.
    pub title: Option<String>,
    /// Shown to readers or not.
    pub status: ArticleStatus,
    /// `op-published` (ms).
    pub op_published: Option<i64>,
    /// `op-modified` (ms).
    pub op_modified: Option<i64>,
    /// When it was inserted (ms).
    pub first_ingested_at: i64,
    /// When a change was last applied (ms).
    pub updated_at: i64,
    /// Revision number.
    pub revision: i64,
    /// The article HTML (only by [`Store::article`]).
    pub html: Option<String>,
}

/// The content of a new version of an article.
#[derive(Clone, Debug)]
pub struct ArticleContent {
    /// Header title.
    pub title: Option<String>,
    /// `op-published` (ms).
    pub op_published: Option<i64>,
    /// `op-modified` (ms).
    pub op_modified: Option<i64>,
    /// `content:encoded` as received (XML-decoded).
    pub html: String,
    /// Its hash.
    pub content_hash: String,
    /// Item guid.
    pub guid: Option<String>,
    /// Item link.
    pub item_link: Option<String>,
}

/// A change a run applies to the articles table.
#[derive(Clone, Debug)]
pub enum ArticleWrite {
    /// A canonical URL seen for the first time.
    Insert {
        /// Canonical URL.
        canonical_url: String,
        /// Live from the production feed, draft from the development feed.
        status: ArticleStatus,
        /// The content.
        content: ArticleContent,
    },
    /// An existing article: new content, a draft going live, or both.
    Update {
        /// Canonical URL.
        canonical_url: String,
        /// New content, when the update rules allow it.
        content: Option<ArticleContent>,
        /// The draft becomes live.
        make_live: bool,
    },
}

const LIST_COLUMNS: &str = "canonical_url, page_id, title, status, op_published, op_modified, \
                            first_ingested_at, updated_at, revision";

fn article_from_row(row: &AnyRow, with_html: bool) -> Result<StoredArticle, StoreError> {
    Ok(StoredArticle {
        canonical_url: row.try_get("canonical_url")?,
        page_id: row.try_get("page_id")?,
        title: row.try_get("title")?,
        status: status_of(&row.try_get::<String, _>("status")?)?,
        op_published: row.try_get("op_published")?,
        op_modified: row.try_get("op_modified")?,
        first_ingested_at: row.try_get("first_ingested_at")?,
        updated_at: row.try_get("updated_at")?,
        revision: row.try_get("revision")?,
        html: if with_html {
            row.try_get("html")?
        } else {
            None
        },
    })
}

impl Store {
    /// The stored heads of these canonical URLs (those that exist).
    ///
    /// The database aggregates the rows into one JSON value: a run checks hundreds of
    /// articles at once, and one round trip beats streaming a row at a time.
    pub async fn article_heads(
        &self,
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
        );
        let aggregate = match self.backend {
            super::Backend::Sqlite => {
                "json_group_array(json_array(canonical_url, page_id, status, content_hash, \
                 op_published, op_modified, revision))"
            }
            super::Backend::Postgres => {
                "COALESCE(json_agg(json_build_array(canonical_url, page_id, status, content_hash, \
                 op_published, op_modified, revision)), '[]')::text"
            }
        };
        let mut out = HashMap::with_capacity(canonicals.len());
        let sql = format!(
            "SELECT {aggregate} AS heads FROM articles WHERE canonical_url IN ({})",
            super::json_list(self.backend)
        );
        let json: String = dynamic(sql)
            .bind(super::json_param(canonicals)?)
            .fetch_one(&self.pool)
            .await?
            .try_get("heads")?;
        let rows: Vec<HeadRow> = serde_json::from_str(&json)
            .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?;
        for (url, page_id, status, content_hash, op_published, op_modified, revision) in rows {
            out.insert(
                url,
                ArticleHead {
                    page_id,
                    status: status_of(&status)?,
                    content_hash,
                    op_published,
                    op_modified,
                    revision,
                },
            );
        }
        Ok(out)
    }

    /// Articles, newest change first, of one page or all.
    pub async fn articles(&self, page: Option<&str>) -> Result<Vec<StoredArticle>, StoreError> {
        let rows = match page {
            Some(p) => {
                dynamic(format!(
                    "SELECT {LIST_COLUMNS} FROM articles WHERE page_id = $1 ORDER BY updated_at DESC, canonical_url"
                ))
                .bind(p)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                dynamic(format!("SELECT {LIST_COLUMNS} FROM articles ORDER BY updated_at DESC, canonical_url"))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(|r| article_from_row(r, false)).collect()
    }

    /// One article with its HTML.
    pub async fn article(&self, canonical_url: &str) -> Result<Option<StoredArticle>, StoreError> {
        let row = dynamic(format!(
            "SELECT {LIST_COLUMNS}, html FROM articles WHERE canonical_url = $1"
        ))
        .bind(canonical_url)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| article_from_row(&r, true)).transpose()
    }

    /// Deletes an article with its revisions and warnings.
    pub async fn delete_article(&self, canonical_url: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM article_revisions WHERE canonical_url = $1")
            .bind(canonical_url)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM diagnostics WHERE canonical_url = $1")
            .bind(canonical_url)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM articles WHERE canonical_url = $1")
            .bind(canonical_url)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSuchArticle(canonical_url.to_string()));
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Applies an update of an existing article inside a write's transaction (new articles go
/// through [`insert_new`], many rows per statement). Returns the new revision number when
/// content was applied.
pub(super) async fn apply_update(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    provenance: Provenance<'_>,
    now: i64,
    canonical_url: &str,
    content: Option<&ArticleContent>,
    make_live: bool,
) -> Result<Option<i64>, StoreError> {
    if make_live {
        sqlx::query(
            "UPDATE articles SET status = 'live', updated_at = $1 WHERE canonical_url = $2",
        )
        .bind(now)
        .bind(canonical_url)
        .execute(&mut **tx)
        .await?;
    }
    let Some(content) = content else {
        return Ok(None);
    };
    // The superseded version's text moves into its revision row.
    sqlx::query(
        "UPDATE article_revisions SET html = (SELECT html FROM articles WHERE canonical_url = $1) \
         WHERE canonical_url = $1 AND revision = (SELECT revision FROM articles WHERE canonical_url = $1)",
    )
    .bind(canonical_url)
    .execute(&mut **tx)
    .await?;
    let row = sqlx::query(
        "UPDATE articles SET title = $1, op_published = $2, op_modified = $3, html = $4, \
         content_hash = $5, guid = $6, item_link = $7, revision = revision + 1, updated_at = $8 \
         WHERE canonical_url = $9 RETURNING revision, status",
    )
    .bind(&content.title)
    .bind(content.op_published)
    .bind(content.op_modified)
    .bind(&content.html)
    .bind(&content.content_hash)
    .bind(&content.guid)
    .bind(&content.item_link)
    .bind(now)
    .bind(canonical_url)
    .fetch_one(&mut **tx)
    .await?;
    let revision: i64 = row.try_get("revision")?;
    let status: String = row.try_get("status")?;
    insert_revision(
        tx,
        canonical_url,
        revision,
        provenance,
        &status,
        content.op_modified,
        now,
    )
    .await?;
    Ok(Some(revision))
}

/// Inserts new articles and their first revisions with multi-row statements, 50 at a time.
pub(super) async fn insert_new(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    page_id: &str,
    provenance: Provenance<'_>,
    now: i64,
    new: &[(&str, ArticleStatus, &ArticleContent)],
) -> Result<(), StoreError> {
    for chunk in new.chunks(50) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = 3 + i * 9;
                let p: Vec<String> = (b..b + 9).map(|n| format!("${n}")).collect();
                format!("({}, $1, {}, 1, $2, $2)", p[0], p[1..].join(", "))
            })
            .collect();
        let mut q = dynamic(format!(
            "INSERT INTO articles (canonical_url, page_id, status, title, op_published, op_modified, html, \
             content_hash, guid, item_link, revision, first_ingested_at, updated_at) VALUES {}",
            rows.join(", ")
        ))
        .bind(page_id)
        .bind(now);
        for (url, status, c) in chunk {
            q = q
                .bind(*url)
                .bind(status.as_str())
                .bind(c.title.as_deref())
                .bind(c.op_published)
                .bind(c.op_modified)
                .bind(c.html.as_str())
                .bind(c.content_hash.as_str())
                .bind(c.guid.as_deref())
                .bind(c.item_link.as_deref());
        }
        q.execute(&mut **tx).await?;
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = 5 + i * 3;
                format!("(${b}, 1, $1, $2, $3, ${}, ${}, $4)", b + 1, b + 2)
            })
            .collect();
        let mut q = dynamic(format!(
            "INSERT INTO article_revisions (canonical_url, revision, source, run_id, author, status, \
             op_modified, created_at) VALUES {}",
            rows.join(", ")
        ))
        .bind(provenance.source.as_str())
        .bind(provenance.run_id)
        .bind(provenance.author)
        .bind(now);
        for (url, status, c) in chunk {
            q = q.bind(*url).bind(status.as_str()).bind(c.op_modified);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
