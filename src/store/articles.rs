//! Articles, keyed by their exact canonical URL, and every accepted revision.

use sqlx::FromRow;

use super::decode::status_of;
use super::events::{Event, EventArticle, EventKind};
use super::findings::FindingsWrite;
use super::ignored::IgnoredWrite;
use super::imports::ImportOutcome;
use super::revisions::{Provenance, RevisionCap, RevisionSource, insert_revision};
use super::writer::PageWriter;
use super::{Store, StoreError, dialect, dynamic, dynamic_as};
use crate::model::ArticleStatus;

/// A stored article, as listed: the article object of docs/cli.md with its revision, the
/// findings of its last version seen and whether an ignored update is pending.
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
    /// Errors of its last version seen.
    pub errors: i64,
    /// Warnings of its last version seen.
    pub warnings: i64,
    /// An ignored update is pending.
    pub ignored_update: bool,
    /// The article HTML (only by [`Store::article`]).
    pub html: Option<String>,
}

/// An article of a page's list ([`Store::article_page`]).
pub type ArticleListItem = StoredArticle;

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

/// A change to the articles table.
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

/// Everything a feed run or a manual write changes besides its log: articles, the
/// findings of the versions it saw, and the versions the update rules refused.
#[derive(Clone, Debug, Default)]
pub struct Writes {
    /// Article inserts and updates.
    pub articles: Vec<ArticleWrite>,
    /// Findings that differ from the stored ones.
    pub findings: Vec<FindingsWrite>,
    /// Refused versions to keep (ignored updates).
    pub ignored: Vec<IgnoredWrite>,
    /// The feed's current rejected and warned items (runs that read their feed).
    pub feed_items: Option<super::feed_items::FeedItemsWrite>,
}

impl Writes {
    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.articles.is_empty() && self.findings.is_empty() && self.ignored.is_empty()
    }
}

/// The list columns of `articles a` with the findings `f` and the ignored update `i`
/// joined.
const LIST_COLUMNS: &str = "a.canonical_url, a.page_id, a.title, a.status, a.op_published, \
     a.op_modified, a.first_ingested_at, a.updated_at, a.revision, \
     CAST(COALESCE(f.errors, 0) AS BIGINT) AS errors, \
     CAST(COALESCE(f.warnings, 0) AS BIGINT) AS warnings, \
     CAST(CASE WHEN i.canonical_url IS NULL THEN 0 ELSE 1 END AS BIGINT) AS ignored_update";

const LIST_FROM: &str = "articles a \
     LEFT JOIN article_findings f ON f.canonical_url = a.canonical_url \
     LEFT JOIN ignored_updates i ON i.canonical_url = a.canonical_url";

/// A row of [`LIST_COLUMNS`], with `a.html` when selected.
#[derive(sqlx::FromRow)]
struct ArticleRow {
    canonical_url: String,
    page_id: String,
    title: Option<String>,
    status: String,
    op_published: Option<i64>,
    op_modified: Option<i64>,
    first_ingested_at: i64,
    updated_at: i64,
    revision: i64,
    errors: i64,
    warnings: i64,
    ignored_update: i64,
    // Only [`Store::article`] selects it.
    #[sqlx(default)]
    html: Option<String>,
}

impl TryFrom<ArticleRow> for StoredArticle {
    type Error = StoreError;

    fn try_from(row: ArticleRow) -> Result<StoredArticle, StoreError> {
        Ok(StoredArticle {
            canonical_url: row.canonical_url,
            page_id: row.page_id,
            title: row.title,
            status: status_of(&row.status)?,
            op_published: row.op_published,
            op_modified: row.op_modified,
            first_ingested_at: row.first_ingested_at,
            updated_at: row.updated_at,
            revision: row.revision,
            errors: row.errors,
            warnings: row.warnings,
            ignored_update: row.ignored_update != 0,
            html: row.html,
        })
    }
}

/// The keyset cursor of an article list: the last item's `updated_at` and canonical URL,
/// opaque to callers (the URL hex-encoded, so any text round-trips).
/// Which articles a list keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ArticleFilter {
    /// Every article.
    #[default]
    All,
    /// Those whose last version seen had errors: a newer version was rejected.
    WithErrors,
    /// Those whose last version seen had warnings.
    WithWarnings,
    /// Those with an ignored update pending.
    IgnoredUpdate,
}

/// How many articles of one page and status each [`ArticleFilter`] keeps, for the list's
/// filter labels. The whole list is counted exactly (an index-only count); the problem
/// filters stop at [`FilterCounts::CAP`], so a page where every article has warnings costs
/// no more than a screenful of reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterCounts {
    /// Every article of the status.
    pub all: i64,
    /// With errors, at most [`FilterCounts::CAP`] + 1.
    pub with_errors: i64,
    /// With warnings, at most [`FilterCounts::CAP`] + 1.
    pub with_warnings: i64,
    /// With an ignored update pending, at most [`FilterCounts::CAP`] + 1.
    pub ignored_update: i64,
}

impl FilterCounts {
    /// Where a problem count stops: a count above it reads "1,000+".
    pub const CAP: i64 = 1000;

    /// The count of one filter.
    pub fn of(&self, filter: ArticleFilter) -> i64 {
        match filter {
            ArticleFilter::All => self.all,
            ArticleFilter::WithErrors => self.with_errors,
            ArticleFilter::WithWarnings => self.with_warnings,
            ArticleFilter::IgnoredUpdate => self.ignored_update,
        }
    }
}

/// A row of [`Store::filter_counts`].
#[derive(sqlx::FromRow)]
struct FilterCountRow {
    // SUM over no row is NULL.
    errors_n: Option<i64>,
    warnings_n: Option<i64>,
    ignored_n: Option<i64>,
}

/// The search pattern of `q` (`%…%`, its wildcards escaped), when there is one.
fn needle(q: Option<&str>) -> Option<String> {
    q.map(str::trim).filter(|q| !q.is_empty()).map(|q| {
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    })
}

/// The keyset position of a listed article.
#[derive(sqlx::FromRow)]
struct ListKey {
    updated_at: i64,
    canonical_url: String,
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, <sqlx::Any as sqlx::Database>::Arguments>;

/// Binds a list's condition parameters (see [`Store::list_conditions`]).
/// Binds what [`Store::list_conditions`] wrote, in its order (the list itself binds the
/// same three inline, as it reads whole rows).
fn bind_conditions<'q>(
    mut query: AnyQuery<'q>,
    page_id: &str,
    status: Option<ArticleStatus>,
    q: Option<&str>,
) -> AnyQuery<'q> {
    query = query.bind(page_id.to_string());
    if let Some(s) = status {
        query = query.bind(s.as_str());
    }
    if let Some(needle) = needle(q) {
        query = query.bind(needle);
    }
    query
}

fn encode_cursor(updated_at: i64, canonical_url: &str) -> String {
    let mut out = format!("{updated_at}.");
    for b in canonical_url.bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The position a cursor names. Any time and any hex are a position in the list (the
/// screen after it), so only a cursor that is not of this shape is refused.
fn decode_cursor(cursor: &str) -> Result<(i64, String), StoreError> {
    let bad = || StoreError::BadCursor(cursor.to_string());
    let (at, hex) = cursor.split_once('.').ok_or_else(bad)?;
    let at: i64 = at.parse().map_err(|_| bad())?;
    if !hex.len().is_multiple_of(2) {
        return Err(bad());
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)?;
    Ok((at, cursor_key(&bytes)))
}

/// A cursor's key as text PostgreSQL can compare: NUL, which it cannot hold, becomes U+0001,
/// the same position among keys (no stored key holds a control character).
pub fn cursor_key(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace('\0', "\u{1}")
}

impl Store {
    /// Articles, newest change first, of one page or all.
    pub async fn articles(&self, page: Option<&str>) -> Result<Vec<StoredArticle>, StoreError> {
        let rows: Vec<ArticleRow> = match page {
            Some(p) => {
                dynamic_as(format!(
                    "SELECT {LIST_COLUMNS} FROM {LIST_FROM} WHERE a.page_id = $1 \
                     ORDER BY a.updated_at DESC, a.canonical_url"
                ))
                .bind(p)
                .fetch_all(&self.pool)
                .await?
            }
            None => dynamic_as(format!(
                "SELECT {LIST_COLUMNS} FROM {LIST_FROM} ORDER BY a.updated_at DESC, a.canonical_url"
            ))
            .fetch_all(&self.pool)
            .await?,
        };
        rows.into_iter().map(StoredArticle::try_from).collect()
    }

    /// One screen of a page's articles, newest change first (ties by canonical URL,
    /// descending), optionally of one status and with `q` in the title or the URL (case
    /// insensitive); with the cursor of the next screen when there is one.
    ///
    /// The cursor is a keyset (`updated_at`, canonical URL): each screen is an index range
    /// scan that stops after `limit` rows, however many articles the page has. A search
    /// reads on until it has found a screen's worth, in the index alone (it holds the title).
    pub async fn article_page(
        &self,
        page_id: &str,
        status: Option<ArticleStatus>,
        q: Option<&str>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<ArticleListItem>, Option<String>), StoreError> {
        self.article_list(page_id, status, q, ArticleFilter::All, cursor, limit)
            .await
    }

    /// [`Store::article_page`], kept to the articles `filter` names.
    pub async fn article_list(
        &self,
        page_id: &str,
        status: Option<ArticleStatus>,
        q: Option<&str>,
        filter: ArticleFilter,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<ArticleListItem>, Option<String>), StoreError> {
        let limit = limit.max(1);
        let after = cursor
            .filter(|c| !c.is_empty())
            .map(decode_cursor)
            .transpose()?;
        let (mut sql, mut n) = self.list_conditions(status, q, filter);
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if after.is_some() {
            // The first bound is the index range; the second settles ties.
            let (at, url) = (next(), next());
            sql.push_str(&format!(
                " AND a.updated_at <= {at} AND (a.updated_at < {at} OR a.canonical_url < {url})"
            ));
        }
        sql.push_str(&format!(
            " ORDER BY a.updated_at DESC, a.canonical_url DESC LIMIT {}",
            next()
        ));
        let mut query = dynamic_as::<ArticleRow>(sql).bind(page_id.to_string());
        if let Some(s) = status {
            query = query.bind(s.as_str());
        }
        if let Some(needle) = needle(q) {
            query = query.bind(needle);
        }
        if let Some((at, url)) = &after {
            query = query.bind(*at).bind(url.clone());
        }
        let rows = query.bind(limit + 1).fetch_all(&self.pool).await?;
        let mut items = rows
            .into_iter()
            .map(StoredArticle::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let more = items.len() as i64 > limit;
        items.truncate(limit as usize);
        let next_cursor = more
            .then(|| {
                items
                    .last()
                    .map(|a| encode_cursor(a.updated_at, &a.canonical_url))
            })
            .flatten();
        Ok((items, next_cursor))
    }

    /// The cursor of the screen of [`Store::article_list`] before the one that starts at
    /// the article `first` (its `updated_at` and canonical URL): `None` when none comes
    /// before, `Some(None)` for the first screen. Reads at most a screen and one row,
    /// backwards through the same index.
    #[allow(clippy::too_many_arguments)]
    pub async fn article_screen_before(
        &self,
        page_id: &str,
        status: Option<ArticleStatus>,
        q: Option<&str>,
        filter: ArticleFilter,
        first: (i64, &str),
        limit: i64,
    ) -> Result<Option<Option<String>>, StoreError> {
        let limit = limit.max(1);
        let (mut sql, mut n) = self.list_conditions(status, q, filter);
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        let (at, url) = (next(), next());
        sql.push_str(&format!(
            " AND a.updated_at >= {at} AND (a.updated_at > {at} OR a.canonical_url > {url}) \
             ORDER BY a.updated_at, a.canonical_url LIMIT {}",
            next()
        ));
        let keys: Vec<(i64, String)> = bind_conditions(dynamic(sql), page_id, status, q)
            .bind(first.0)
            .bind(first.1.to_string())
            .bind(limit + 1)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|row| ListKey::from_row(&row).map(|k| (k.updated_at, k.canonical_url)))
            .collect::<Result<_, _>>()?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(if keys.is_empty() {
            None
        } else if keys.len() <= limit {
            Some(None)
        } else {
            keys.get(limit)
                .map(|(at, url)| Some(encode_cursor(*at, url)))
        })
    }

    /// The list's statement up to its conditions, and how many parameters they take:
    /// `$1` the page, then the status and the search when given.
    fn list_conditions(
        &self,
        status: Option<ArticleStatus>,
        q: Option<&str>,
        filter: ArticleFilter,
    ) -> (String, usize) {
        let mut sql = format!("SELECT {LIST_COLUMNS} FROM {LIST_FROM} WHERE a.page_id = $1");
        let mut n = 1;
        if status.is_some() {
            n += 1;
            sql.push_str(&format!(" AND a.status = ${n}"));
        }
        if needle(q).is_some() {
            let like = dialect::ilike(self.backend);
            n += 1;
            sql.push_str(&format!(
                " AND (a.title {like} ${n} ESCAPE '\\' OR a.canonical_url {like} ${n} ESCAPE '\\')"
            ));
        }
        sql.push_str(match filter {
            ArticleFilter::All => "",
            // Few articles have errors or a pending update: their set is read first (by
            // its own index) rather than tested on every article of the page.
            ArticleFilter::WithErrors => {
                " AND a.canonical_url IN (SELECT canonical_url FROM article_findings \
                 WHERE page_id = $1 AND errors > 0)"
            }
            ArticleFilter::WithWarnings => " AND f.warnings > 0",
            ArticleFilter::IgnoredUpdate => {
                " AND a.canonical_url IN (SELECT canonical_url FROM ignored_updates \
                 WHERE page_id = $1)"
            }
        });
        (sql, n)
    }

    /// [`FilterCounts`] of a page's articles of one status. The status is counted first
    /// (an index-only count); a status with few articles then tests each of them for each
    /// problem (by primary key), and one with many reads each problem set from its own
    /// index (the partial ones of migrations 0010 and 0011 and the ignored updates' page
    /// index) up to the cap, so that neither a page of 100,000 warned live articles nor its
    /// empty drafts tab reads the other side whole.
    pub async fn filter_counts(
        &self,
        page_id: &str,
        status: ArticleStatus,
    ) -> Result<FilterCounts, StoreError> {
        let all: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM articles WHERE page_id = $1 AND status = $2",
        )
        .bind(page_id)
        .bind(status.as_str())
        .fetch_one(&self.pool)
        .await?;
        if all == 0 {
            return Ok(FilterCounts::default());
        }
        let sql = if all <= FilterCounts::CAP {
            let has = |set: &str| {
                format!(
                    "CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM {set} \
                     AND x.canonical_url = a.canonical_url) THEN 1 ELSE 0 END) AS BIGINT)"
                )
            };
            format!(
                "SELECT {} AS errors_n, {} AS warnings_n, {} AS ignored_n FROM articles a \
                 WHERE a.page_id = $1 AND a.status = $2",
                has("article_findings x WHERE x.errors > 0"),
                has("article_findings x WHERE x.warnings > 0"),
                has("ignored_updates x WHERE true"),
            )
        } else {
            let capped = |set: &str| {
                format!(
                    "(SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 AS one FROM {set} x \
                     JOIN articles a ON a.canonical_url = x.canonical_url \
                     WHERE a.status = $2 LIMIT {}) capped)",
                    FilterCounts::CAP + 1
                )
            };
            format!(
                "SELECT {} AS errors_n, {} AS warnings_n, {} AS ignored_n",
                capped(
                    "(SELECT canonical_url FROM article_findings WHERE page_id = $1 AND errors > 0)"
                ),
                capped(
                    "(SELECT canonical_url FROM article_findings WHERE page_id = $1 AND warnings > 0)"
                ),
                capped("(SELECT canonical_url FROM ignored_updates WHERE page_id = $1)"),
            )
        };
        let row: FilterCountRow = dynamic_as(sql)
            .bind(page_id)
            .bind(status.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(FilterCounts {
            all,
            with_errors: row.errors_n.unwrap_or_default(),
            with_warnings: row.warnings_n.unwrap_or_default(),
            ignored_update: row.ignored_n.unwrap_or_default(),
        })
    }

    /// One article's list fields (no HTML).
    pub async fn article_item(
        &self,
        canonical_url: &str,
    ) -> Result<Option<ArticleListItem>, StoreError> {
        let row: Option<ArticleRow> = dynamic_as(format!(
            "SELECT {LIST_COLUMNS} FROM {LIST_FROM} WHERE a.canonical_url = $1"
        ))
        .bind(canonical_url)
        .fetch_optional(&self.pool)
        .await?;
        row.map(StoredArticle::try_from).transpose()
    }

    /// One article with its HTML.
    pub async fn article(&self, canonical_url: &str) -> Result<Option<StoredArticle>, StoreError> {
        let row: Option<ArticleRow> = dynamic_as(format!(
            "SELECT {LIST_COLUMNS}, a.html FROM {LIST_FROM} WHERE a.canonical_url = $1"
        ))
        .bind(canonical_url)
        .fetch_optional(&self.pool)
        .await?;
        row.map(StoredArticle::try_from).transpose()
    }
}

impl Store {
    /// Deletes an article of `page_id` under the page's writer lock: see
    /// [`PageWriter::delete_article`].
    pub async fn delete_article(
        &self,
        page_id: &str,
        canonical_url: &str,
    ) -> Result<(), StoreError> {
        self.write_page(page_id)
            .await?
            .delete_article(canonical_url)
            .await
    }

    /// Makes a draft of `page_id` live under the page's writer lock: see
    /// [`PageWriter::publish`].
    pub async fn publish(&self, page_id: &str, canonical_url: &str) -> Result<bool, StoreError> {
        self.write_page(page_id).await?.publish(canonical_url).await
    }
}

impl PageWriter {
    /// Deletes an article of the writer's page with its revisions, warnings, findings and
    /// ignored update, and commits. A later run that still finds it in its feed inserts it
    /// again, as new. [`StoreError::NoSuchArticle`] when the page has no such article.
    pub async fn delete_article(mut self, canonical_url: &str) -> Result<(), StoreError> {
        let exists =
            sqlx::query("SELECT 1 AS one FROM articles WHERE canonical_url = $1 AND page_id = $2")
                .bind(canonical_url)
                .bind(&self.page_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        if exists.is_none() {
            self.release().await;
            return Err(StoreError::NoSuchArticle(canonical_url.to_string()));
        }
        for sql in [
            "DELETE FROM article_revisions WHERE canonical_url = $1",
            "DELETE FROM diagnostics WHERE canonical_url = $1",
            "DELETE FROM article_findings WHERE canonical_url = $1",
            "DELETE FROM ignored_updates WHERE canonical_url = $1",
            "DELETE FROM articles WHERE canonical_url = $1",
        ] {
            if let Err(e) = sqlx::query(sql)
                .bind(canonical_url)
                .execute(&mut *self.tx)
                .await
            {
                let e = StoreError::from(e);
                self.failed(&e);
                return Err(e);
            }
        }
        let now = super::now_ms();
        let mut event = Event::new(EventKind::ArticleDeleted, &self.page_id, now);
        event.article = Some(EventArticle {
            canonical_url: Some(canonical_url.to_string()),
            ..EventArticle::default()
        });
        if let Err(e) = super::events::record(&mut self.tx, now, &[event]).await {
            self.failed(&e);
            return Err(e);
        }
        self.commit().await
    }

    /// Makes a draft of the writer's page live, and commits; `false` when it was live
    /// already. [`StoreError::NoSuchArticle`] when the page has no such article.
    pub async fn publish(mut self, canonical_url: &str) -> Result<bool, StoreError> {
        let status: Option<String> = sqlx::query_scalar(
            "SELECT status FROM articles WHERE canonical_url = $1 AND page_id = $2",
        )
        .bind(canonical_url)
        .bind(&self.page_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(status) = status else {
            self.release().await;
            return Err(StoreError::NoSuchArticle(canonical_url.to_string()));
        };
        if status != "draft" {
            self.release().await;
            return Ok(false);
        }
        let updated = sqlx::query(
            "UPDATE articles SET status = 'live', updated_at = $1 WHERE canonical_url = $2",
        )
        .bind(super::now_ms())
        .bind(canonical_url)
        .execute(&mut *self.tx)
        .await;
        if let Err(e) = updated {
            let e = StoreError::from(e);
            self.failed(&e);
            return Err(e);
        }
        self.commit().await?;
        Ok(true)
    }
}

/// A manual write (an edit, a restore, an ignored update applied, an import) to commit.
#[derive(Clone, Copy, Debug)]
pub struct ManualCommit<'a> {
    /// What the plan writes (one article).
    pub writes: &'a Writes,
    /// Where the version comes from.
    pub source: RevisionSource,
    /// Who wrote it.
    pub author: &'a str,
    /// An import's answer, recorded with the write.
    pub import: Option<&'a ImportOutcome>,
    /// The import's key, when the client gave one.
    pub import_key: Option<super::imports::ImportKey<'a>>,
}

/// What a manual write stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ManualCommitted {
    /// The new revision's number, when content was stored.
    pub revision: Option<i64>,
    /// The import's id, when one was recorded.
    pub import_id: Option<i64>,
}

impl PageWriter {
    /// Commits a manual write of the writer's page, and lets the next writer go.
    pub async fn commit_manual(
        mut self,
        commit: &ManualCommit<'_>,
    ) -> Result<ManualCommitted, StoreError> {
        match self.write_manual(commit).await {
            Ok(committed) => {
                self.commit().await?;
                Ok(committed)
            }
            Err(e) => {
                self.failed(&e);
                Err(e)
            }
        }
    }

    async fn write_manual(
        &mut self,
        commit: &ManualCommit<'_>,
    ) -> Result<ManualCommitted, StoreError> {
        let now = super::now_ms();
        let provenance = Provenance {
            source: commit.source,
            run_id: None,
            author: Some(commit.author),
        };
        let page_id = self.page_id.clone();
        let revisions = self.revisions;
        let tx = &mut self.tx;
        let mut committed = ManualCommitted::default();
        for write in &commit.writes.articles {
            match write {
                ArticleWrite::Insert {
                    canonical_url,
                    status,
                    content,
                } => {
                    let new = [(canonical_url.as_str(), *status, content)];
                    insert_new(tx, &page_id, provenance, now, &new).await?;
                    committed.revision = Some(1);
                }
                ArticleWrite::Update {
                    canonical_url,
                    content,
                    make_live,
                } => {
                    let revision = apply_update(
                        tx,
                        revisions,
                        provenance,
                        now,
                        canonical_url,
                        content.as_ref(),
                        *make_live,
                    )
                    .await?;
                    committed.revision = committed.revision.or(revision);
                }
            }
        }
        super::findings::record(tx, self.backend, &page_id, now, &commit.writes.findings).await?;
        if let Some(outcome) = commit.import {
            let id = super::imports::insert(
                tx,
                &page_id,
                commit.author,
                now,
                outcome,
                commit.import_key,
            )
            .await?;
            committed.import_id = Some(id);
        }
        Ok(committed)
    }
}

/// Applies an update of an existing article inside a write's transaction (new articles go
/// through [`insert_new`], many rows per statement). Returns the new revision number when
/// content was applied.
pub(super) async fn apply_update(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    cap: RevisionCap,
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
    // A version applied: whatever was refused before is history.
    super::ignored::clear(tx, canonical_url).await?;
    // The superseded version's text moves into its revision row.
    sqlx::query(
        "UPDATE article_revisions SET html = (SELECT html FROM articles WHERE canonical_url = $1) \
         WHERE canonical_url = $1 AND revision = (SELECT revision FROM articles WHERE canonical_url = $1)",
    )
    .bind(canonical_url)
    .execute(&mut **tx)
    .await?;
    // A feed version brings its item's guid and link; a manual one has no item and keeps them.
    let sql = match provenance.source {
        RevisionSource::Feed => {
            "UPDATE articles SET title = $1, op_published = $2, op_modified = $3, html = $4, \
             content_hash = $5, guid = $6, item_link = $7, revision = revision + 1, updated_at = $8 \
             WHERE canonical_url = $9 RETURNING revision, status"
        }
        _ => {
            "UPDATE articles SET title = $1, op_published = $2, op_modified = $3, html = $4, \
             content_hash = $5, guid = COALESCE($6, guid), item_link = COALESCE($7, item_link), \
             revision = revision + 1, updated_at = $8 WHERE canonical_url = $9 RETURNING revision, status"
        }
    };
    let (revision, status): (i64, String) = sqlx::query_as(sql)
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
    super::revisions::trim_revisions(tx, cap, canonical_url, revision, now).await?;
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
