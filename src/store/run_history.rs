//! The run log read a screen at a time: a page's runs newest first with a keyset cursor,
//! one run by id, and the diagnostics a run reported.

use super::diagnostics::DIAGNOSTIC_COLUMNS;
use super::runs::RunRow;
use super::{FeedRun, Store, StoreError, StoredDiagnostic};

impl Store {
    /// Up to `limit` runs of a page with ids below `before` (from the newest when `None`),
    /// newest first, through the `(page_id, id)` index.
    pub async fn page_runs(
        &self,
        page_id: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<FeedRun>, StoreError> {
        let rows: Vec<RunRow> = sqlx::query_as(
            "SELECT * FROM feed_runs WHERE page_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(page_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(FeedRun::from).collect())
    }

    /// One run.
    pub async fn run(&self, id: i64) -> Result<Option<FeedRun>, StoreError> {
        let row: Option<RunRow> = sqlx::query_as("SELECT * FROM feed_runs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(FeedRun::from))
    }

    /// The diagnostics a run of `page_id` reported. The log counts a recurring diagnostic
    /// on one row (first and last run that reported it), so a run's diagnostics are the
    /// rows whose span covers it: exact for the page's latest run, and for earlier runs
    /// every diagnostic that recurred through them.
    pub async fn run_diagnostics(
        &self,
        page_id: &str,
        run_id: i64,
    ) -> Result<Vec<StoredDiagnostic>, StoreError> {
        Ok(super::dynamic_as(format!(
            "SELECT {DIAGNOSTIC_COLUMNS} FROM diagnostics \
             WHERE page_id = $1 AND run_id <= $2 AND last_run_id >= $2 ORDER BY id"
        ))
        .bind(page_id)
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?)
    }
}
