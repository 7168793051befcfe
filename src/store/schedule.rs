//! The scheduling state of feeds: claiming due feeds with a lease, by the database's
//! clock, and rescheduling them after a run. On PostgreSQL claims take row locks with
//! `SKIP LOCKED`, so several daemons on one database never claim the same feed; a lease
//! that expires (a killed daemon) lets another daemon take the feed over.

use sqlx::Row;

use std::collections::HashMap;

use super::pages::{FeedKind, PAGE_COLUMNS, Page, PageRow, feed_kind};
use super::runs::Validators;
use super::{Store, StoreError, dialect, dynamic, dynamic_as};

/// A feed claimed for one run, with what the run needs to know of it: its page and the
/// validators of its last full fetch, read by the claim itself so that a run that ends in a
/// 304 reads nothing more.
#[derive(Clone, Debug)]
pub struct ClaimedFeed {
    /// The page.
    pub page_id: String,
    /// Which feed.
    pub kind: FeedKind,
    /// Its URL.
    pub url: String,
    /// When it was due (ms).
    pub due_at: i64,
    /// Failed runs in a row before this one.
    pub consecutive_failures: i64,
    /// The database's clock at the claim (ms).
    pub claimed_at: i64,
    /// The page, as the claim read it.
    pub page: Page,
    /// The validators stored for the feed (both `None` when it has none).
    pub validators: Validators,
}

/// A row the claim returns.
#[derive(sqlx::FromRow)]
struct ClaimRow {
    page_id: String,
    kind: String,
    url: String,
    next_due_at: Option<i64>,
    consecutive_failures: i64,
    claimed_at: i64,
    etag: Option<String>,
    last_modified: Option<String>,
}

/// A claimed row with its page's columns ([`PAGE_COLUMNS`]).
#[derive(sqlx::FromRow)]
struct ClaimWithPage {
    #[sqlx(flatten)]
    claim: ClaimRow,
    #[sqlx(flatten)]
    page: PageRow,
}

impl ClaimRow {
    fn with_page(self, page: Page) -> ClaimedFeed {
        ClaimedFeed {
            page_id: self.page_id,
            kind: feed_kind(&self.kind),
            url: self.url,
            due_at: self.next_due_at.unwrap_or_default(),
            consecutive_failures: self.consecutive_failures,
            claimed_at: self.claimed_at,
            page,
            validators: Validators {
                etag: self.etag,
                last_modified: self.last_modified,
            },
        }
    }
}

impl Store {
    /// Claims up to `limit` due feeds of enabled pages for `owner`, for `lease_ms`.
    pub async fn claim_due(
        &self,
        owner: &str,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedFeed>, StoreError> {
        if limit <= 0 {
            return Ok(Vec::new());
        }
        let now = dialect::now_ms(self.backend);
        let update = format!(
            "UPDATE feeds SET lease_owner = $1, lease_expires_at = {now} + $2 \
             WHERE (page_id, kind) IN ( \
               SELECT f.page_id, f.kind FROM feeds f JOIN pages p ON p.id = f.page_id \
               WHERE {due} ORDER BY f.next_due_at LIMIT $3 {lock}) \
             RETURNING page_id, kind, url, next_due_at, consecutive_failures, etag, \
             last_modified, {now} AS claimed_at",
            due = dialect::due(self.backend),
            lock = dialect::skip_locked(self.backend, "f"),
        );
        let claimed = if dialect::joins_returned_rows(self.backend) {
            // One statement: the claim and the pages of what it claimed.
            let page_columns = PAGE_COLUMNS
                .split(", ")
                .map(|c| format!("p.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            dynamic_as::<ClaimWithPage>(format!(
                "WITH claimed AS ({update}) SELECT c.*, {page_columns} \
                 FROM claimed c JOIN pages p ON p.id = c.page_id"
            ))
            .bind(owner)
            .bind(lease_ms)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::from)
            .map(|rows| {
                rows.into_iter()
                    .map(|r| r.claim.with_page(Page::from(r.page)))
                    .collect::<Vec<_>>()
            })
        } else {
            self.claim_then_read_pages(&update, owner, lease_ms, limit)
                .await
        };
        // A claim is a write: one that fails (a full disk) counts for readiness like a
        // failed commit. Only a run's commit counts as the success that ends such a streak:
        // a claim needs far less room than a run's writes.
        match claimed {
            Ok(claimed) => Ok(claimed),
            Err(e) => {
                self.health
                    .failed(&format!("claiming due feeds failed: {e}"));
                Err(e)
            }
        }
    }

    /// The claim, then its pages in one more statement for the whole batch (SQLite).
    async fn claim_then_read_pages(
        &self,
        update: &str,
        owner: &str,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedFeed>, StoreError> {
        let rows = dynamic_as::<ClaimRow>(update.to_string())
            .bind(owner)
            .bind(lease_ms)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = rows.iter().map(|r| r.page_id.as_str()).collect();
        let pages: HashMap<String, Page> = dynamic_as::<PageRow>(format!(
            "SELECT {PAGE_COLUMNS} FROM pages WHERE {}",
            dialect::in_json_list(self.backend, "id")
        ))
        .bind(super::json_param(&ids)?)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| {
            let page = Page::from(r);
            (page.id.clone(), page)
        })
        .collect();
        // A page removed between the two statements took its feeds with it: its claim
        // has nothing left to run.
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let page = pages.get(&r.page_id)?.clone();
                Some(r.with_page(page))
            })
            .collect())
    }

    /// Feeds of enabled pages: what the scheduler runs once an interval.
    pub async fn scheduled_feeds(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM feeds f JOIN pages p ON p.id = f.page_id \
             WHERE p.enabled = 1",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Daemons holding a lease now (at least one): the schedulers sharing the store's
    /// feeds, as far as the store can tell.
    pub async fn active_schedulers(&self) -> Result<i64, StoreError> {
        let n: i64 = dynamic(format!(
            "SELECT CAST(COUNT(DISTINCT lease_owner) AS BIGINT) AS n FROM feeds \
             WHERE lease_owner IS NOT NULL AND lease_expires_at > {}",
            dialect::now_ms(self.backend)
        ))
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        Ok(n.max(1))
    }

    /// Sets the feed's next due time and releases `owner`'s lease.
    pub async fn reschedule(
        &self,
        feed: &ClaimedFeed,
        owner: &str,
        next_due_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE feeds SET next_due_at = $1, lease_owner = NULL, lease_expires_at = NULL \
             WHERE page_id = $2 AND kind = $3 AND lease_owner = $4",
        )
        .bind(next_due_at)
        .bind(&feed.page_id)
        .bind(feed.kind.as_str())
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Releases every lease `owner` holds (at shutdown), leaving due times alone.
    pub async fn release_leases(&self, owner: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE feeds SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1",
        )
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Releases every lease, whoever holds it: for the sole owner of a SQLite database at
    /// start, whose owner lock proves that the holders are dead.
    pub async fn release_all_leases(&self) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE feeds SET lease_owner = NULL, lease_expires_at = NULL \
             WHERE lease_owner IS NOT NULL",
        )
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Due feeds of enabled pages that nobody holds: the backlog.
    pub async fn due_backlog(&self) -> Result<i64, StoreError> {
        let row = dynamic(format!(
            "SELECT COUNT(*) AS n FROM feeds f JOIN pages p ON p.id = f.page_id WHERE {}",
            dialect::due(self.backend)
        ))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    /// Feeds of enabled pages in backoff ([`dialect::backs_off`]).
    pub async fn feeds_in_backoff(&self) -> Result<i64, StoreError> {
        let row = dynamic(format!(
            "SELECT COUNT(*) AS n FROM feeds f JOIN pages p ON p.id = f.page_id \
             WHERE p.enabled = 1 AND {}",
            dialect::in_backoff()
        ))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    /// Brings feeds due further out than one `interval_ms` (a page added with the default
    /// cycle under a shorter configured one) into the next cycle, keeping their phase.
    /// A feed whose last run failed is due later on purpose (backoff, or a server's
    /// `Retry-After`) and keeps its time; a feed being run is left to its run.
    ///
    /// "Now" is the database's clock when the statement runs, and rows another statement
    /// holds are skipped rather than waited for: a time taken before a wait (for a pooled
    /// connection, for a row lock) would find a feed that a run has just rescheduled one
    /// interval on "too far out", and move it back into the same interval, a second run.
    /// A tenth of an interval of margin covers the rest of the statement's own time.
    pub async fn fit_due_times(&self, interval_ms: i64) -> Result<u64, StoreError> {
        let interval_ms = interval_ms.max(1);
        let now = dialect::now_ms(self.backend);
        let done = dynamic(format!(
            "UPDATE feeds SET next_due_at = next_due_at - ((next_due_at - {now}) / $1) * $1 \
             WHERE (page_id, kind) IN ( \
               SELECT f.page_id, f.kind FROM feeds f \
               WHERE f.next_due_at > {now} + $1 + $2 AND f.consecutive_failures = 0 \
               AND (f.lease_expires_at IS NULL OR f.lease_expires_at < {now}) {lock})",
            lock = dialect::skip_locked(self.backend, "f"),
        ))
        .bind(interval_ms)
        .bind(interval_ms / 10)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// A cheap query that proves the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1 AS one").fetch_one(&self.pool).await?;
        Ok(())
    }

    /// Proves the database takes writes: an update that matches no row still needs write
    /// access (a read-only SQLite file or PostgreSQL standby refuses it), and is rolled back.
    pub async fn ping_writable(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE pages SET commit_seq = commit_seq WHERE 1 = 0")
            .execute(&mut *tx)
            .await?;
        tx.rollback().await?;
        Ok(())
    }
}
