//! Feed runs: one row per fetch-and-ingest of one feed, committed together with the
//! article writes and the warnings of that run.

use sqlx::Row;

use super::articles::{ArticleContent, ArticleWrite, Writes, apply_update, insert_new};
use super::diagnostics::{LoggedDiagnostic, record};
use super::events::{self, Event, EventArticle, EventDiagnostic, EventFeed, EventKind, EventRun};
use super::pages::{FeedKind, feed_kind};
use super::revisions::Provenance;
use super::revisions::RevisionCap;
use super::writer::PageWriter;
use super::{Backend, Store, StoreError, dialect, dynamic, now_ms};
use crate::model::ArticleStatus;

/// How a run ended (docs/cli.md, Run outcomes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// The feed parsed (article errors allowed).
    Ok,
    /// HTTP 304.
    NotModified,
    /// DNS, connect, TLS, HTTP status, redirects, unreadable file.
    FetchError,
    /// The download took longer than allowed.
    Timeout,
    /// The body was larger than allowed.
    TooLarge,
    /// Not well-formed, or not RSS.
    ParseError,
    /// Not parsed within the budget.
    ParseBudgetExceeded,
    /// The run's results could not be committed.
    StoreError,
    /// A defect in iarss stopped the run (a panic); the message says where.
    InternalError,
}

impl std::fmt::Display for RunOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl RunOutcome {
    /// The outcome as the JSON contract writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Ok => "ok",
            RunOutcome::NotModified => "not_modified",
            RunOutcome::FetchError => "fetch_error",
            RunOutcome::Timeout => "timeout",
            RunOutcome::TooLarge => "too_large",
            RunOutcome::ParseError => "parse_error",
            RunOutcome::ParseBudgetExceeded => "parse_budget_exceeded",
            RunOutcome::StoreError => "store_error",
            RunOutcome::InternalError => "internal_error",
        }
    }

    /// `ok` and `not_modified` are successes; everything else failed the run.
    pub fn is_success(self) -> bool {
        matches!(self, RunOutcome::Ok | RunOutcome::NotModified)
    }

    /// The outcome a run row holds (`ok` for anything unknown).
    pub fn parse(s: &str) -> RunOutcome {
        match s {
            "not_modified" => RunOutcome::NotModified,
            "fetch_error" => RunOutcome::FetchError,
            "timeout" => RunOutcome::Timeout,
            "too_large" => RunOutcome::TooLarge,
            "parse_error" => RunOutcome::ParseError,
            "parse_budget_exceeded" => RunOutcome::ParseBudgetExceeded,
            "store_error" => RunOutcome::StoreError,
            "internal_error" => RunOutcome::InternalError,
            _ => RunOutcome::Ok,
        }
    }
}

/// One run of one feed.
#[derive(Clone, Debug)]
pub struct FeedRun {
    /// Assigned when committed.
    pub id: Option<i64>,
    /// The page.
    pub page_id: String,
    /// The feed URL (or path) fetched.
    pub feed_url: String,
    /// Which feed.
    pub feed: FeedKind,
    /// How it ended.
    pub outcome: RunOutcome,
    /// HTTP status, for HTTP feeds.
    pub http_status: Option<u16>,
    /// Start (ms).
    pub started_at: i64,
    /// End (ms).
    pub finished_at: i64,
    /// Bytes downloaded or read.
    pub bytes: u64,
    /// What became of its items (all zero for a run that failed as a whole).
    pub counts: Counts,
    /// The feed-level error, for failed runs.
    pub error: Option<String>,
}

impl FeedRun {
    /// A run of `feed_url` starting now.
    pub fn start(page_id: &str, feed_url: &str, feed: FeedKind) -> FeedRun {
        FeedRun {
            id: None,
            page_id: page_id.to_string(),
            feed_url: feed_url.to_string(),
            feed,
            outcome: RunOutcome::Ok,
            http_status: None,
            started_at: now_ms(),
            finished_at: 0,
            bytes: 0,
            counts: Counts::default(),
            error: None,
        }
    }
}

/// Per-run counts (docs/ingestion.md, Run counts).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Counts {
    /// Every `item`.
    pub items: u64,
    /// New canonical URLs stored.
    pub inserted: u64,
    /// Content applied or a draft made live.
    pub updated: u64,
    /// Identical to the stored version.
    pub unchanged: u64,
    /// Superseded, or refused by the update rules.
    pub ignored: u64,
    /// With an error-severity diagnostic.
    pub rejected: u64,
}

impl std::fmt::Display for Counts {
    /// The counts in words, as every listing of a run shows them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "inserted {}, updated {}, unchanged {}, ignored {}, rejected {}",
            self.inserted, self.updated, self.unchanged, self.ignored, self.rejected
        )
    }
}

/// Rows one prune statement deletes at most, so that a prune never holds a long
/// transaction (or SQLite's write lock) however far behind it is.
const PRUNE_BATCH: i64 = 5_000;

/// Statements one prune of one log runs at most; a larger backlog is worked off by the
/// next prunes.
const PRUNE_BATCHES: usize = 40;

/// What [`Store::prune_logs`] deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Runs older than the retention.
    pub runs: u64,
    /// Warnings-log rows not seen within the retention.
    pub warnings: u64,
    /// Whole days of the run log dropped (PostgreSQL's daily partitions).
    pub run_days: u64,
}

/// Where a run's commit also sets the feed's next due time and lets go of the claim's
/// lease, so that a run costs no statement of its own to reschedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reschedule {
    /// The lease's holder: nothing changes when another daemon took the feed over.
    pub owner: String,
    /// The next due time (ms).
    pub next_due_at: i64,
    /// Failed runs in a row before this one, as the claim read them: whether the run ends
    /// a failing streak (`feed.recovered`) needs no read of its own.
    pub failures_before: i64,
}

/// New HTTP validators to keep for the feed (from an `ok` run).
#[derive(Clone, Debug, Default)]
pub struct Validators {
    /// `ETag`.
    pub etag: Option<String>,
    /// `Last-Modified`.
    pub last_modified: Option<String>,
}

/// A row of `feed_runs`, as stored.
#[derive(sqlx::FromRow)]
pub(super) struct RunRow {
    id: i64,
    page_id: String,
    feed_url: String,
    feed: String,
    outcome: String,
    http_status: Option<i64>,
    started_at: i64,
    finished_at: i64,
    bytes: i64,
    items: i64,
    inserted: i64,
    updated: i64,
    unchanged: i64,
    ignored: i64,
    rejected: i64,
    error: Option<String>,
}

impl From<RunRow> for FeedRun {
    fn from(row: RunRow) -> FeedRun {
        // Counts are written from unsigned numbers; a negative one reads as none.
        let count = |n: i64| n.max(0) as u64;
        FeedRun {
            id: Some(row.id),
            page_id: row.page_id,
            feed_url: row.feed_url,
            feed: feed_kind(&row.feed),
            outcome: RunOutcome::parse(&row.outcome),
            http_status: row.http_status.map(|s| s as u16),
            started_at: row.started_at,
            finished_at: row.finished_at,
            bytes: count(row.bytes),
            counts: Counts {
                items: count(row.items),
                inserted: count(row.inserted),
                updated: count(row.updated),
                unchanged: count(row.unchanged),
                ignored: count(row.ignored),
                rejected: count(row.rejected),
            },
            error: row.error,
        }
    }
}

/// What a run read of its page before looking up its articles: the page's commit sequence
/// number, which every page writer bumps. A writer that finds another number under the
/// lock knows its look-ups are out of date ([`PageWriter::changed_since`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageSeq(pub(super) i64);

impl Store {
    /// The page's commit sequence number, read before a run looks up its articles.
    pub async fn page_seq(&self, page_id: &str) -> Result<PageSeq, StoreError> {
        let row = sqlx::query("SELECT commit_seq FROM pages WHERE id = $1")
            .bind(page_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NoSuchPage(page_id.to_string()))?;
        Ok(PageSeq(row.try_get("commit_seq")?))
    }

    /// Commits a run that writes no article (not modified, or failed as a whole) with its
    /// diagnostics and the feed's state, in a transaction of its own: it needs no writer
    /// lock, since it reads no article. Returns the run id.
    pub async fn commit_run(
        &self,
        run: &mut FeedRun,
        diagnostics: &[LoggedDiagnostic],
        validators: Option<&Validators>,
        reschedule: Option<&Reschedule>,
    ) -> Result<i64, StoreError> {
        let started = std::time::Instant::now();
        let _slot = self
            .write_slot(started + self.write_wait)
            .await
            .ok_or_else(|| StoreError::Busy {
                page: run.page_id.clone(),
                waited_ms: started.elapsed().as_millis() as u64,
            })?;
        let result: Result<i64, StoreError> = async {
            // A claimed run that logs nothing but itself (a 304) and ends no failing streak
            // (no event to record): one statement, no transaction.
            if let Some(r) = reschedule
                && diagnostics.is_empty()
                && validators.is_none()
                && run.outcome.is_success()
                && r.failures_before < self.after_failures
                && dialect::joins_returned_rows(self.backend)
            {
                return write_bare_run(&self.pool, run, reschedule).await;
            }
            let mut tx = self.pool.begin().await?;
            let id = write_run(
                &mut tx,
                self.backend,
                self.revisions,
                self.after_failures,
                run,
                &Writes::default(),
                diagnostics,
                validators,
                reschedule,
            )
            .await?;
            tx.commit().await?;
            Ok(id)
        }
        .await;
        match &result {
            Ok(_) => self.health.committed(),
            Err(e) => self.health.failed(&e.to_string()),
        }
        result
    }

    /// Records a run whose results could not be committed (outcome `store_error` or
    /// `internal_error`, no article write, no diagnostic), in a short transaction of its
    /// own. It counts for the feed's failures; it does not count as a successful commit.
    pub async fn record_failed_run(&self, run: &mut FeedRun) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = write_run(
            &mut tx,
            self.backend,
            self.revisions,
            self.after_failures,
            run,
            &Writes::default(),
            &[],
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}

impl PageWriter {
    /// Commits a finished run: the run row, its article writes (with the findings and the
    /// ignored updates it saw), its diagnostics and the feed's state, under the page's
    /// writer lock, and lets the next writer go. Returns the run id.
    pub async fn commit_run(
        mut self,
        run: &mut FeedRun,
        writes: &Writes,
        diagnostics: &[LoggedDiagnostic],
        validators: Option<&Validators>,
        reschedule: Option<&Reschedule>,
    ) -> Result<i64, StoreError> {
        let written = write_run(
            &mut self.tx,
            self.backend,
            self.revisions,
            self.after_failures,
            run,
            writes,
            diagnostics,
            validators,
            reschedule,
        )
        .await;
        let id = match written {
            Ok(id) => id,
            Err(e) => {
                self.failed(&e);
                return Err(e);
            }
        };
        self.commit().await?;
        run.id = Some(id);
        Ok(id)
    }
}

/// The run row's insert, its columns bound by [`bind_run`] as `$1` to `$15`.
const INSERT_RUN: &str = "INSERT INTO feed_runs (page_id, feed_url, feed, outcome, http_status, \
     started_at, finished_at, bytes, items, inserted, updated, unchanged, ignored, rejected, error) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id";

/// The feed's state after a run: its outcome, error and run (the run's id is `run_id`,
/// an expression), and with `reschedule` its next due time and the end of the claim's
/// lease. Parameters from `$first`: outcome, error, page, kind, URL, then the lease's owner
/// and the next due time. The state follows runs of the configured URL only; the reschedule
/// follows the lease, whatever URL the feed has by now.
fn update_feed_state(success: bool, run_id: &str, reschedule: bool, first: usize) -> String {
    let p = |i: usize| format!("${}", first + i);
    let (outcome, error, page, kind, url) = (p(0), p(1), p(2), p(3), p(4));
    let failures = if success {
        "0"
    } else {
        "consecutive_failures + 1"
    };
    if !reschedule {
        return format!(
            "UPDATE feeds SET last_outcome = {outcome}, last_error = {error}, \
             last_run_id = {run_id}, consecutive_failures = {failures} \
             WHERE page_id = {page} AND kind = {kind} AND url = {url}"
        );
    }
    let (owner, next) = (p(5), p(6));
    let ours = format!("url = {url}");
    let held = format!("lease_owner = {owner}");
    format!(
        "UPDATE feeds SET \
         last_outcome = CASE WHEN {ours} THEN {outcome} ELSE last_outcome END, \
         last_error = CASE WHEN {ours} THEN {error} ELSE last_error END, \
         last_run_id = CASE WHEN {ours} THEN {run_id} ELSE last_run_id END, \
         consecutive_failures = CASE WHEN {ours} THEN {failures} ELSE consecutive_failures END, \
         next_due_at = CASE WHEN {held} THEN {next} ELSE next_due_at END, \
         lease_expires_at = CASE WHEN {held} THEN NULL ELSE lease_expires_at END, \
         lease_owner = CASE WHEN {held} THEN NULL ELSE lease_owner END \
         WHERE page_id = {page} AND kind = {kind} AND ({ours} OR {held})"
    )
}

/// Binds [`update_feed_state`]'s parameters.
fn bind_feed_state<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, <sqlx::Any as sqlx::Database>::Arguments>,
    run: &FeedRun,
    reschedule: Option<&Reschedule>,
) -> sqlx::query::Query<'q, sqlx::Any, <sqlx::Any as sqlx::Database>::Arguments> {
    let query = query
        .bind(run.outcome.as_str())
        .bind(run.error.clone())
        .bind(run.page_id.clone())
        .bind(run.feed.as_str())
        .bind(run.feed_url.clone());
    match reschedule {
        Some(r) => query.bind(r.owner.clone()).bind(r.next_due_at),
        None => query,
    }
}

/// A run that logs nothing but its row (a 304), with the feed's state and its reschedule,
/// as one statement: the insert's id feeds the update in the same `WITH` (PostgreSQL).
async fn write_bare_run(
    pool: &sqlx::AnyPool,
    run: &mut FeedRun,
    reschedule: Option<&Reschedule>,
) -> Result<i64, StoreError> {
    let state = update_feed_state(
        run.outcome.is_success(),
        "(SELECT id FROM r)",
        reschedule.is_some(),
        16,
    );
    let query = bind_run(
        dynamic(format!(
            "WITH r AS ({INSERT_RUN}), s AS ({state}) SELECT id FROM r"
        )),
        run,
    );
    let row = bind_feed_state(query, run, reschedule)
        .fetch_one(pool)
        .await?;
    let run_id: i64 = row.try_get("id")?;
    run.id = Some(run_id);
    Ok(run_id)
}

/// Binds the run row's columns ([`INSERT_RUN`]).
fn bind_run<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, <sqlx::Any as sqlx::Database>::Arguments>,
    run: &FeedRun,
) -> sqlx::query::Query<'q, sqlx::Any, <sqlx::Any as sqlx::Database>::Arguments> {
    query
        .bind(run.page_id.clone())
        // Credentials in a feed URL are used for the fetch but never recorded.
        .bind(super::mask_url(&run.feed_url))
        .bind(run.feed.as_str())
        .bind(run.outcome.as_str())
        .bind(run.http_status.map(i64::from))
        .bind(run.started_at)
        .bind(run.finished_at)
        .bind(run.bytes as i64)
        .bind(run.counts.items as i64)
        .bind(run.counts.inserted as i64)
        .bind(run.counts.updated as i64)
        .bind(run.counts.unchanged as i64)
        .bind(run.counts.ignored as i64)
        .bind(run.counts.rejected as i64)
        .bind(run.error.clone())
}

/// Writes a run's row, its article writes, diagnostics and the feed's state inside `tx`,
/// with the notification events the run causes (`after_failures`: failed runs in a row
/// that make a feed failing); with a [`Reschedule`], the feed's next due time too.
#[allow(clippy::too_many_arguments)]
async fn write_run(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    cap: RevisionCap,
    after_failures: i64,
    run: &mut FeedRun,
    writes: &Writes,
    diagnostics: &[LoggedDiagnostic],
    validators: Option<&Validators>,
    reschedule: Option<&Reschedule>,
) -> Result<i64, StoreError> {
    let now = now_ms();
    let row = bind_run(sqlx::query(INSERT_RUN), run)
        .fetch_one(&mut **tx)
        .await?;
    let run_id: i64 = row.try_get("id")?;
    let new: Vec<(&str, ArticleStatus, &ArticleContent)> = writes
        .articles
        .iter()
        .filter_map(|w| match w {
            ArticleWrite::Insert {
                canonical_url,
                status,
                content,
            } => Some((canonical_url.as_str(), *status, content)),
            ArticleWrite::Update { .. } => None,
        })
        .collect();
    insert_new(tx, &run.page_id, Provenance::feed(run_id), now, &new).await?;
    for write in &writes.articles {
        if let ArticleWrite::Update {
            canonical_url,
            content,
            make_live,
        } = write
        {
            apply_update(
                tx,
                cap,
                Provenance::feed(run_id),
                now,
                canonical_url,
                content.as_ref(),
                *make_live,
            )
            .await?;
        }
    }
    super::ignored::record(tx, &run.page_id, run_id, now, &writes.ignored).await?;
    super::findings::record(tx, backend, &run.page_id, now, &writes.findings).await?;
    record(tx, backend, &run.page_id, run_id, now, diagnostics).await?;
    let mut events = Vec::new();
    if let Some(items) = &writes.feed_items
        && let Some(previous) =
            super::feed_items::record(tx, &run.page_id, run_id, now, items).await?
    {
        for item in events::newly_rejected(&items.items, &previous) {
            events.push(events::item_rejected(&run.page_id, now, item));
        }
    }
    for w in &writes.ignored {
        let mut e = Event::new(EventKind::UpdateIgnored, &run.page_id, now);
        e.article = Some(EventArticle {
            canonical_url: Some(w.canonical_url.clone()),
            ..EventArticle::default()
        });
        // The run logged the refusal with its position.
        let logged = diagnostics.iter().find(|d| {
            d.rule == w.rule && d.canonical_url.as_deref() == Some(w.canonical_url.as_str())
        });
        e.diagnostics.push(EventDiagnostic {
            rule: w.rule.as_str().to_string(),
            severity: w.rule.severity().as_str().to_string(),
            message: w.message.clone(),
            line: logged.and_then(|d| d.line).map(i64::from),
            column: logged.and_then(|d| d.column).map(i64::from),
        });
        events.push(e);
    }
    // The feed's state follows runs of its configured URL only. A claimed run knows the
    // failures before it from its claim; any other run reads them.
    let before: Option<i64> = match reschedule {
        Some(r) => Some(r.failures_before),
        None => sqlx::query_scalar(
            "SELECT consecutive_failures FROM feeds WHERE page_id = $1 AND kind = $2 AND url = $3",
        )
        .bind(&run.page_id)
        .bind(run.feed.as_str())
        .bind(&run.feed_url)
        .fetch_optional(&mut **tx)
        .await?,
    };
    let success = run.outcome.is_success();
    // Failed runs in a row, this one included (none for a run of another URL than the
    // feed's configured one, which does not count).
    let after = before.map(|b| if success { 0 } else { b + 1 });
    let feed = EventFeed {
        kind: run.feed,
        url: super::mask_url(&run.feed_url),
        consecutive_failures: after.unwrap_or_default(),
    };
    let state_change = match (before, after) {
        (Some(_), Some(a)) if !success && a == after_failures => Some(EventKind::FeedFailing),
        (Some(b), _) if success && b >= after_failures => Some(EventKind::FeedRecovered),
        _ => None,
    };
    if let Some(kind) = state_change {
        let mut e = Event::new(kind, &run.page_id, now);
        e.diagnostics = diagnostics
            .iter()
            .filter(|d| d.canonical_url.is_none())
            .map(|d| EventDiagnostic {
                rule: d.rule.as_str().to_string(),
                severity: d.rule.severity().as_str().to_string(),
                message: d.message.clone(),
                line: d.line.map(i64::from),
                column: d.column.map(i64::from),
            })
            .collect();
        events.push(e);
    }
    // Every event of the run carries it and its feed.
    let event_run = EventRun {
        id: run_id,
        outcome: run.outcome.as_str().to_string(),
        error: run.error.clone(),
    };
    for e in &mut events {
        e.run = Some(event_run.clone());
        e.feed = Some(feed.clone());
    }
    events::record(tx, now, &events).await?;
    // The run's id goes last: the state's own parameters keep their numbers.
    let id_param = if reschedule.is_some() { "$8" } else { "$6" };
    let state = update_feed_state(run.outcome.is_success(), id_param, reschedule.is_some(), 1);
    bind_feed_state(dynamic(state), run, reschedule)
        .bind(run_id)
        .execute(&mut **tx)
        .await?;
    if let Some(v) = validators {
        sqlx::query(
            "UPDATE feeds SET etag = $1, last_modified = $2 WHERE page_id = $3 AND kind = $4 AND url = $5",
        )
        .bind(&v.etag)
        .bind(&v.last_modified)
        .bind(&run.page_id)
        .bind(run.feed.as_str())
        .bind(&run.feed_url)
        .execute(&mut **tx)
        .await?;
    }
    run.id = Some(run_id);
    Ok(run_id)
}

impl Store {
    /// Deletes runs that started more than `retention_ms` ago and warnings-log rows not
    /// seen for that long, in batches, outside any run's transaction. The daemon calls it
    /// every few minutes, `iarss ingest` after its run.
    ///
    /// On PostgreSQL the run log goes by whole days: a day's partition is dropped once all
    /// of it is older than the retention (so runs stay up to a day longer), and only runs
    /// in the default partition are deleted row by row.
    pub async fn prune_logs(&self, retention_ms: i64) -> Result<Pruned, StoreError> {
        let cutoff = now_ms() - retention_ms;
        let mut pruned = Pruned::default();
        self.ensure_run_partitions().await?;
        pruned.run_days = self.drop_run_partitions(cutoff).await?;
        let runs = match self.backend {
            Backend::Postgres => {
                "DELETE FROM feed_runs_default WHERE id IN \
                 (SELECT id FROM feed_runs_default WHERE started_at < $1 LIMIT $2)"
            }
            Backend::Sqlite => {
                "DELETE FROM feed_runs WHERE id IN \
                 (SELECT id FROM feed_runs WHERE started_at < $1 LIMIT $2)"
            }
        };
        for (sql, count) in [
            (runs, &mut pruned.runs),
            (
                "DELETE FROM diagnostics WHERE id IN \
                 (SELECT id FROM diagnostics WHERE last_seen_at < $1 LIMIT $2)",
                &mut pruned.warnings,
            ),
        ] {
            for _ in 0..PRUNE_BATCHES {
                let n = sqlx::query(sql)
                    .bind(cutoff)
                    .bind(PRUNE_BATCH)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                *count += n;
                if n < PRUNE_BATCH as u64 {
                    break;
                }
            }
        }
        // Import keys answer again for a day only: a prune is as good a time as any.
        self.prune_import_keys().await?;
        Ok(pruned)
    }

    /// The newest run of the page's `feed`, whatever URL it read (a one-shot `ingest` of a
    /// file counts too).
    pub async fn last_run(
        &self,
        page_id: &str,
        feed: FeedKind,
    ) -> Result<Option<FeedRun>, StoreError> {
        let row: Option<RunRow> = sqlx::query_as(
            "SELECT * FROM feed_runs WHERE page_id = $1 AND feed = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(page_id)
        .bind(feed.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(FeedRun::from))
    }

    /// Runs, newest first.
    pub async fn runs(&self, page: Option<&str>, limit: i64) -> Result<Vec<FeedRun>, StoreError> {
        let rows: Vec<RunRow> = match page {
            Some(p) => {
                sqlx::query_as(
                    "SELECT * FROM feed_runs WHERE page_id = $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(p)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query_as("SELECT * FROM feed_runs ORDER BY id DESC LIMIT $1")
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(rows.into_iter().map(FeedRun::from).collect())
    }
}
