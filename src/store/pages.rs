//! Pages (publishers, one domain each) and their feeds' state.

use sqlx::Row;

use super::{Backend, Store, StoreError, dialect, dynamic, dynamic_as, now_ms};
use crate::model::Domain;

/// Which of a page's feeds.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FeedKind {
    /// Articles are published live.
    Production,
    /// Articles are stored as drafts.
    Development,
}

impl std::fmt::Display for FeedKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FeedKind {
    /// `production` or `development`.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Production => "production",
            FeedKind::Development => "development",
        }
    }

    fn parse(s: &str) -> FeedKind {
        if s == "development" {
            FeedKind::Development
        } else {
            FeedKind::Production
        }
    }
}

/// A publisher page.
#[derive(Clone, Debug)]
pub struct Page {
    /// Its id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Its one domain.
    pub domain: Domain,
    /// Production feed URL.
    pub feed_url: Option<String>,
    /// Development feed URL.
    pub dev_feed_url: Option<String>,
    /// Scheduled by the daemon.
    pub enabled: bool,
}

impl Page {
    /// The URL of one of its feeds.
    pub fn feed(&self, kind: FeedKind) -> Option<&str> {
        match kind {
            FeedKind::Production => self.feed_url.as_deref(),
            FeedKind::Development => self.dev_feed_url.as_deref(),
        }
    }
}

/// A page to create.
#[derive(Clone, Debug)]
pub struct NewPage {
    /// Its id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Its domain.
    pub domain: Domain,
    /// Production feed URL.
    pub feed_url: Option<String>,
    /// Development feed URL.
    pub dev_feed_url: Option<String>,
    /// Scheduled by the daemon.
    pub enabled: bool,
}

/// A page with both feeds' state and its newest production run's outcome, as the lists of
/// pages show it: read for many pages in one statement.
#[derive(Clone, Debug)]
pub struct PageOverview {
    /// The page.
    pub page: Page,
    /// Its production feed's state.
    pub production: Option<FeedState>,
    /// Its development feed's state.
    pub development: Option<FeedState>,
    /// The outcome of its newest production run, from the run log.
    pub last_run_outcome: Option<String>,
    /// The outcome of its newest development run, from the run log.
    pub dev_last_run_outcome: Option<String>,
}

/// Pages read per statement when listing them.
pub const OVERVIEW_PAGE: i64 = 500;

/// A feed's validators and scheduling state.
#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub struct FeedState {
    /// `ETag` of the last `ok` run.
    pub etag: Option<String>,
    /// `Last-Modified` of the last `ok` run.
    pub last_modified: Option<String>,
    /// When it is due next (ms).
    pub next_due_at: Option<i64>,
    /// Failed runs in a row.
    pub consecutive_failures: i64,
    /// Outcome of the last run.
    pub last_outcome: Option<String>,
    /// The last feed-level error.
    pub last_error: Option<String>,
}

impl FeedState {
    /// Whether the feed waits longer than its cadence because it failed too often in a
    /// row: the scheduler's own threshold ([`dialect::backs_off`]).
    pub fn in_backoff(&self) -> bool {
        dialect::backs_off(self.consecutive_failures)
    }
}

/// A row of [`PAGE_COLUMNS`].
#[derive(sqlx::FromRow)]
pub(super) struct PageRow {
    id: String,
    name: String,
    domain: String,
    feed_url: Option<String>,
    dev_feed_url: Option<String>,
    enabled: i64,
}

impl From<PageRow> for Page {
    fn from(row: PageRow) -> Page {
        let domain =
            Domain::parse(&row.domain).unwrap_or_else(|_| Domain::from_normalised(row.domain));
        Page {
            id: row.id,
            name: row.name,
            domain,
            feed_url: row.feed_url,
            dev_feed_url: row.dev_feed_url,
            enabled: row.enabled != 0,
        }
    }
}

/// The columns of a feed joined to its page in [`Store::page_overviews_in`], each named
/// after the join's alias (`fp_url`, `fd_url`, …): a struct per alias, since one row holds
/// both feeds.
macro_rules! joined_feed {
    ($(#[$doc:meta])* $name:ident {
        $url:tt, $etag:tt, $last_modified:tt, $next_due_at:tt, $failures:tt, $last_outcome:tt,
        $last_error:tt $(,)?
    }) => {
        $(#[$doc])*
        #[derive(sqlx::FromRow)]
        struct $name {
            #[sqlx(rename = $url)]
            url: Option<String>,
            #[sqlx(rename = $etag)]
            etag: Option<String>,
            #[sqlx(rename = $last_modified)]
            last_modified: Option<String>,
            #[sqlx(rename = $next_due_at)]
            next_due_at: Option<i64>,
            #[sqlx(rename = $failures)]
            failures: Option<i64>,
            #[sqlx(rename = $last_outcome)]
            last_outcome: Option<String>,
            #[sqlx(rename = $last_error)]
            last_error: Option<String>,
        }

        impl $name {
            /// The feed's state; none when the page has no such feed.
            fn state(self) -> Option<FeedState> {
                self.url.map(|_| FeedState {
                    etag: self.etag,
                    last_modified: self.last_modified,
                    next_due_at: self.next_due_at,
                    consecutive_failures: self.failures.unwrap_or_default(),
                    last_outcome: self.last_outcome,
                    last_error: self.last_error,
                })
            }
        }
    };
}

joined_feed!(
    /// The production feed's columns of an overview row (alias `fp`).
    ProductionColumns {
        "fp_url", "fp_etag", "fp_last_modified", "fp_next_due_at", "fp_failures",
        "fp_last_outcome", "fp_last_error",
    }
);

joined_feed!(
    /// The development feed's columns of an overview row (alias `fd`).
    DevelopmentColumns {
        "fd_url", "fd_etag", "fd_last_modified", "fd_next_due_at", "fd_failures",
        "fd_last_outcome", "fd_last_error",
    }
);

/// A row of [`Store::page_overviews_in`].
#[derive(sqlx::FromRow)]
struct OverviewRow {
    #[sqlx(flatten)]
    page: PageRow,
    #[sqlx(flatten)]
    production: ProductionColumns,
    #[sqlx(flatten)]
    development: DevelopmentColumns,
    last_run_outcome: Option<String>,
    dev_last_run_outcome: Option<String>,
}

impl From<OverviewRow> for PageOverview {
    fn from(row: OverviewRow) -> PageOverview {
        PageOverview {
            page: row.page.into(),
            production: row.production.state(),
            development: row.development.state(),
            last_run_outcome: row.last_run_outcome,
            dev_last_run_outcome: row.dev_last_run_outcome,
        }
    }
}

/// A page id is a slug: it names the page in URLs, commands and logs. It starts with a
/// letter or a digit, so that `.` and `..` (which a URL path would resolve away) and ids
/// that look like options are never ids.
pub fn check_page_id(id: &str) -> Result<(), StoreError> {
    let slug = id.len() <= 200
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if slug {
        Ok(())
    } else {
        Err(StoreError::InvalidPage(format!(
            "page id `{}` must be 1 to 200 letters, digits, `-`, `_` or `.`, starting with a \
             letter or a digit",
            id.escape_debug()
        )))
    }
}

/// A page's name is shown on every page: at most 200 characters, and no control
/// character.
pub fn check_page_name(name: &str) -> Result<(), StoreError> {
    if name.trim().is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(StoreError::InvalidPage(format!(
            "page name `{}` must be 1 to 200 characters, none of them a control character",
            name.escape_debug()
        )));
    }
    Ok(())
}

/// A feed URL is an absolute http(s) URL, or a `file://` URL (which only a daemon
/// configured with `fetch.allow_file_urls` fetches).
pub fn check_feed_url(url: &str) -> Result<(), StoreError> {
    if url.chars().any(char::is_control) {
        return Err(StoreError::InvalidPage(format!(
            "feed URL `{}` holds a control character",
            crate::store::mask_url(url).escape_debug()
        )));
    }
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        Ok(u) if u.scheme() == "file" => Ok(()),
        Ok(u) => Err(StoreError::InvalidPage(format!(
            "feed URL `{}`: the scheme `{}` is not http, https or file",
            crate::store::mask_url(url),
            u.scheme()
        ))),
        Err(e) => Err(StoreError::InvalidPage(format!(
            "feed URL `{}` is not an absolute URL: {e}",
            crate::store::mask_url(url)
        ))),
    }
}

pub(super) const PAGE_COLUMNS: &str = "id, name, domain, feed_url, dev_feed_url, enabled";

impl Store {
    /// Creates a page; its domain must not belong to another page.
    pub async fn add_page(&self, page: &NewPage) -> Result<Page, StoreError> {
        check_page_id(&page.id)?;
        check_page_name(&page.name)?;
        for url in [&page.feed_url, &page.dev_feed_url].into_iter().flatten() {
            check_feed_url(url)?;
        }
        if let Some(owner) = self.page_by_domain(&page.domain).await? {
            return Err(StoreError::DomainTaken {
                domain: page.domain.to_string(),
                page: owner.id,
            });
        }
        if self.page(&page.id).await?.is_some() {
            return Err(StoreError::PageExists(page.id.clone()));
        }
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO pages (id, name, domain, feed_url, dev_feed_url, enabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&page.id)
        .bind(&page.name)
        .bind(page.domain.as_str())
        .bind(&page.feed_url)
        .bind(&page.dev_feed_url)
        .bind(i64::from(page.enabled))
        .bind(now_ms())
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted {
            // A concurrent add of the same domain or id loses here.
            if let sqlx::Error::Database(db) = &e
                && db.is_unique_violation()
            {
                return Err(StoreError::DomainTaken {
                    domain: page.domain.to_string(),
                    page: page.id.clone(),
                });
            }
            return Err(e.into());
        }
        for (kind, url) in [
            (FeedKind::Production, &page.feed_url),
            (FeedKind::Development, &page.dev_feed_url),
        ] {
            if let Some(url) = url {
                upsert_feed(&mut tx, &page.id, kind, url).await?;
            }
        }
        tx.commit().await?;
        self.page(&page.id)
            .await?
            .ok_or_else(|| StoreError::NoSuchPage(page.id.clone()))
    }

    /// The page with this id.
    pub async fn page(&self, id: &str) -> Result<Option<Page>, StoreError> {
        let row: Option<PageRow> =
            dynamic_as(format!("SELECT {PAGE_COLUMNS} FROM pages WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(Page::from))
    }

    /// The page that owns exactly this domain.
    pub async fn page_by_domain(&self, domain: &Domain) -> Result<Option<Page>, StoreError> {
        let row: Option<PageRow> = dynamic_as(format!(
            "SELECT {PAGE_COLUMNS} FROM pages WHERE domain = $1"
        ))
        .bind(domain.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Page::from))
    }

    /// Every page, ordered by id.
    pub async fn pages(&self) -> Result<Vec<Page>, StoreError> {
        let rows: Vec<PageRow> =
            dynamic_as(format!("SELECT {PAGE_COLUMNS} FROM pages ORDER BY id"))
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(Page::from).collect())
    }

    /// Up to `limit` pages with ids after `after` (all from the start when `None`), ordered
    /// by id, with their feeds' state and last run outcome: one statement, whatever the
    /// number of pages (the run log is read through its `(page_id, id)` index).
    pub async fn page_overviews(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PageOverview>, StoreError> {
        self.page_overviews_in(None, after, limit, false).await
    }

    /// [`Store::page_overviews`] of only the pages in `ids` when given (a publisher's
    /// pages): the scope is part of the statement, so no caller can forget it. With
    /// `failing_only`, only pages with a feed that failed last or is in backoff: filtered
    /// in the statement, so every screen is full.
    pub async fn page_overviews_in(
        &self,
        ids: Option<&[String]>,
        after: Option<&str>,
        limit: i64,
        failing_only: bool,
    ) -> Result<Vec<PageOverview>, StoreError> {
        let feed = |alias: &str| {
            format!(
                "{alias}.url AS {alias}_url, {alias}.etag AS {alias}_etag, \
                 {alias}.last_modified AS {alias}_last_modified, {alias}.next_due_at AS {alias}_next_due_at, \
                 {alias}.consecutive_failures AS {alias}_failures, {alias}.last_outcome AS {alias}_last_outcome, \
                 {alias}.last_error AS {alias}_last_error"
            )
        };
        let columns: String = PAGE_COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns}, {fp}, {fd}, \
             (SELECT r.outcome FROM feed_runs r WHERE r.page_id = p.id AND r.feed = 'production' \
              ORDER BY r.id DESC LIMIT 1) AS last_run_outcome, \
             (SELECT r.outcome FROM feed_runs r WHERE r.page_id = p.id AND r.feed = 'development' \
              ORDER BY r.id DESC LIMIT 1) AS dev_last_run_outcome \
             FROM pages p \
             LEFT JOIN feeds fp ON fp.page_id = p.id AND fp.kind = 'production' \
             LEFT JOIN feeds fd ON fd.page_id = p.id AND fd.kind = 'development' \
             WHERE p.id > $2 {scoped} {failing} ORDER BY p.id LIMIT $3",
            fp = feed("fp"),
            fd = feed("fd"),
            // Written as the partial index `feeds_failing` is defined, so that the failing
            // feeds are read from it rather than every page's feeds.
            failing = if failing_only {
                "AND p.id IN (SELECT f.page_id FROM feeds f \
                  WHERE f.consecutive_failures > 0 OR f.last_error IS NOT NULL)"
            } else {
                ""
            },
            scoped = match ids {
                Some(_) => format!("AND p.id IN ({})", dialect::json_list(self.backend)),
                None => "AND CAST($1 AS TEXT) IS NULL".to_string(),
            },
        );
        let rows: Vec<OverviewRow> = dynamic_as(sql)
            .bind(ids.map(super::json_param).transpose()?)
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(PageOverview::from).collect())
    }

    /// A feed's state.
    pub async fn feed_state(
        &self,
        page_id: &str,
        kind: FeedKind,
    ) -> Result<Option<FeedState>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT etag, last_modified, next_due_at, consecutive_failures, last_outcome, last_error \
             FROM feeds WHERE page_id = $1 AND kind = $2",
        )
        .bind(page_id)
        .bind(kind.as_str())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Enables or disables a page.
    pub async fn set_enabled(&self, id: &str, enabled: bool) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE pages SET enabled = $1 WHERE id = $2")
            .bind(i64::from(enabled))
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSuchPage(id.to_string()));
        }
        Ok(())
    }

    /// Makes the page's feeds due now.
    pub async fn fetch_now(&self, id: &str) -> Result<(), StoreError> {
        if self.page(id).await?.is_none() {
            return Err(StoreError::NoSuchPage(id.to_string()));
        }
        sqlx::query("UPDATE feeds SET next_due_at = $1 WHERE page_id = $2")
            .bind(now_ms())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Makes both of the page's feeds due now, unless the last such request was less than
    /// `min_interval_ms` ago: `false` then, and nothing changes. The interval is checked by
    /// the one UPDATE that records the request, on the database's clock, so it holds across
    /// several daemons and servers on one database.
    pub async fn request_fetch_now(
        &self,
        page_id: &str,
        min_interval_ms: i64,
    ) -> Result<bool, StoreError> {
        let now = dialect::now_ms(self.backend);
        let mut tx = self.pool.begin().await?;
        let row = dynamic(format!(
            "UPDATE pages SET fetch_requested_at = {now} WHERE id = $1 \
             AND (fetch_requested_at IS NULL OR fetch_requested_at <= {now} - $2) \
             RETURNING fetch_requested_at"
        ))
        .bind(page_id)
        .bind(min_interval_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            drop(tx);
            return match self.page(page_id).await? {
                Some(_) => Ok(false),
                None => Err(StoreError::NoSuchPage(page_id.to_string())),
            };
        };
        let at: i64 = row.try_get("fetch_requested_at")?;
        sqlx::query("UPDATE feeds SET next_due_at = $1 WHERE page_id = $2")
            .bind(at)
            .bind(page_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Removes a page; refused while it has articles unless `with_articles`, which deletes
    /// them and their warnings too.
    pub async fn remove_page(&self, id: &str, with_articles: bool) -> Result<(), StoreError> {
        if self.page(id).await?.is_none() {
            return Err(StoreError::NoSuchPage(id.to_string()));
        }
        let mut tx = self.pool.begin().await?;
        let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM articles WHERE page_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if count > 0 && !with_articles {
            return Err(StoreError::PageHasArticles {
                page: id.to_string(),
                count,
            });
        }
        for sql in [
            "DELETE FROM article_revisions WHERE canonical_url IN (SELECT canonical_url FROM articles WHERE page_id = $1)",
            "DELETE FROM articles WHERE page_id = $1",
            "DELETE FROM diagnostics WHERE page_id = $1",
            "DELETE FROM feeds WHERE page_id = $1",
            "DELETE FROM pages WHERE id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The `(id, domain)` of every page whose domain is one of these hosts or a parent
    /// domain of one, for deciding which page owns a canonical URL when domains nest.
    pub async fn domains_matching(
        &self,
        hosts: &[String],
    ) -> Result<Vec<(String, Domain)>, StoreError> {
        if hosts.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.acquire().await?;
        domains_matching_on(&mut conn, self.backend, hosts).await
    }
}

/// [`Store::domains_matching`] on `conn` (the pool's, or a page writer's under its lock).
pub(super) async fn domains_matching_on(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    hosts: &[String],
) -> Result<Vec<(String, Domain)>, StoreError> {
    let mut candidates: Vec<String> = Vec::new();
    for host in hosts {
        let mut rest = host.as_str();
        loop {
            if !candidates.iter().any(|c| c == rest) {
                candidates.push(rest.to_string());
            }
            match rest.split_once('.') {
                Some((_, parent)) if !parent.is_empty() => rest = parent,
                _ => break,
            }
        }
    }
    let sql = format!(
        "SELECT id, domain FROM pages WHERE domain IN ({})",
        dialect::json_list(backend)
    );
    let rows: Vec<(String, String)> = dynamic_as(sql)
        .bind(super::json_param(&candidates)?)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, domain)| (id, Domain::from_normalised(domain)))
        .collect())
}

/// Creates or repoints a page's feed row.
pub(super) async fn upsert_feed(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    page_id: &str,
    kind: FeedKind,
    url: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO feeds (page_id, kind, url, next_due_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (page_id, kind) DO UPDATE SET url = excluded.url",
    )
    .bind(page_id)
    .bind(kind.as_str())
    .bind(url)
    .bind(now_ms() + phase_ms(page_id, kind))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A stable offset within the default 3-minute cycle, so that pages added together (or a
/// daemon started over thousands of them) do not all fire in the same second.
pub fn phase_ms(page_id: &str, kind: FeedKind) -> i64 {
    let h = xxhash_rust::xxh3::xxh3_64(format!("{page_id}\0{}", kind.as_str()).as_bytes());
    (h % 180_000) as i64
}

pub(super) fn feed_kind(s: &str) -> FeedKind {
    FeedKind::parse(s)
}
