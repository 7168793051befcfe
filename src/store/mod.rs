//! The store: pages and their feeds, articles and their revisions, feed runs and the
//! warnings log, on SQLite (the embedded default) or PostgreSQL, chosen by URL.
//!
//! One implementation serves both backends through sqlx's `Any` driver: the SQL is written
//! once in the common dialect (`$1` parameters, `ON CONFLICT`, `RETURNING`), and whatever
//! the backends spell or do differently (the database's clock, JSON parameters, row locks,
//! how a write transaction begins, connection settings, error codes) comes from
//! [`dialect`]. Each backend has its own migrations (`migrations/sqlite`,
//! `migrations/postgres`, same numbers). Times are stored as milliseconds since the epoch,
//! UTC. One file per table group: [`pages`], [`articles`], [`runs`], [`diagnostics`].
//!
//! Rows are read through [`sqlx::FromRow`]: a record of plain columns derives it, and one
//! with typed values (statuses, rule ids, JSON) is read into a private row struct first and
//! parsed from it, a value that does not parse being a [`StoreError`].

pub mod articles;
pub mod audit;
mod decode;
pub mod deliveries;
pub mod diagnostics;
pub mod dialect;
pub mod email;
pub mod events;
pub mod feed_items;
pub mod findings;
pub mod heads;
pub mod health;
pub mod ignored;
pub mod imports;
pub mod page_changes;
pub mod pages;
pub mod revisions;
pub mod run_history;
pub mod run_partitions;
pub mod runs;
pub mod schedule;
pub mod screens;
pub mod ser;
pub mod sessions;
pub mod statements;
pub mod tokens;
pub mod users;
pub mod webhooks;
pub mod writer;

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

pub use articles::{
    ArticleContent, ArticleFilter, ArticleListItem, ArticleWrite, FilterCounts, ManualCommit,
    ManualCommitted, StoredArticle, Writes, cursor_key,
};
pub use audit::{AuditEntry, AuditRecord};
pub use deliveries::{
    ClaimedDelivery, DeliveryChannel, DeliveryEnd, DeliveryRecord, DeliveryState, QueueStats,
};
pub use diagnostics::{LoggedDiagnostic, StoredDiagnostic};
pub use dialect::{BACKOFF_AFTER_FAILURES, backs_off};
pub use email::{EmailMode, EmailPref};
pub use events::{
    DEFAULT_AFTER_FAILURES, Event, EventArticle, EventDiagnostic, EventFeed, EventKind, EventRun,
};
pub use feed_items::{
    ArticleSighting, FeedItemSet, FeedItemsWrite, ItemVerdict, KeptDiagnostic, KeptItem,
};
pub use findings::{ArticleCounts, Findings};
pub use heads::ArticleHead;
pub use health::{CommitHealth, UnrecordedRun};
// Where the store's callers have always found them.
pub use crate::model::{from_ms, mask_url, now_ms, rfc3339};
pub use ignored::IgnoredUpdate;
pub use imports::{ImportKey, ImportOutcome, KeyedImport, WriteAction, WriteStatus};
pub use page_changes::PageChange;
pub use pages::{FeedKind, FeedState, NewPage, OVERVIEW_PAGE, Page, PageOverview};
pub use revisions::{Provenance, Revision, RevisionCap, RevisionSource};
pub use runs::{Counts, FeedRun, PageSeq, Reschedule, RunOutcome, Validators};
pub use schedule::ClaimedFeed;
pub use sessions::{LimitCount, LoginAttempts, SessionMatch, SessionRecord};
pub use tokens::{TokenMatch, TokenRecord};
pub use users::{Credentials, UserRecord};
pub use webhooks::WebhookRecord;
pub use writer::PageWriter;

/// Connections of the pool that write transactions leave to others (the claim, readers).
const RESERVED_CONNECTIONS: usize = 2;

/// The default database: a SQLite file in the current directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://iarss.db";

/// Which database the store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is not one iarss can use.
    #[error("unsupported database URL `{0}` (use sqlite://PATH or postgres://…)")]
    BadUrl(String),
    /// The database cannot be reached or opened.
    #[error("cannot open the database {url}: {reason}")]
    Unreachable {
        /// The URL, password masked.
        url: String,
        /// Why.
        reason: String,
    },
    /// Applying migrations failed.
    #[error("migrating the database failed: {0}")]
    Migrate(String),
    /// A page with this id does not exist.
    #[error("no page `{0}`")]
    NoSuchPage(String),
    /// Another page owns the domain (pages and domains are 1:1).
    #[error("domain `{domain}` already belongs to page `{page}`")]
    DomainTaken {
        /// The domain.
        domain: String,
        /// The page that owns it.
        page: String,
    },
    /// A page's id or feed URL is not one iarss accepts.
    #[error("{0}")]
    InvalidPage(String),
    /// The page id is taken.
    #[error("page `{0}` already exists")]
    PageExists(String),
    /// The page still has articles.
    #[error("page `{page}` has {count} article(s); remove them with --with-articles")]
    PageHasArticles {
        /// The page.
        page: String,
        /// How many.
        count: i64,
    },
    /// No such article.
    #[error("no article with canonical URL `{0}`")]
    NoSuchArticle(String),
    /// No such revision of the article.
    #[error("article `{url}` has no revision {revision}")]
    NoSuchRevision {
        /// The article.
        url: String,
        /// The revision asked for.
        revision: i64,
    },
    /// The article has no pending ignored update.
    #[error("article `{0}` has no pending ignored update")]
    NoIgnoredUpdate(String),
    /// A list cursor that no list handed out.
    #[error("invalid cursor `{0}`")]
    BadCursor(String),
    /// The page's writer lock was not had within `store.write_wait`: other writes of the
    /// page took that long. Nothing was written; try again later.
    #[error("page `{page}` is busy: its writer lock was not free within {waited_ms} ms")]
    Busy {
        /// The page.
        page: String,
        /// How long the write waited.
        waited_ms: u64,
    },
    /// The store did not answer in time.
    #[error("the store did not answer within {0} ms")]
    TimedOut(u64),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// A write conflict that goes away when the write plans and commits again: a unique
    /// key taken meanwhile (a page whose domain nests in another's), a serialization
    /// failure or deadlock (PostgreSQL), a locked database (SQLite).
    pub fn is_conflict(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => {
                e.is_unique_violation() || e.code().is_some_and(|c| dialect::is_write_conflict(&c))
            }
            _ => false,
        }
    }
}

/// How the store is opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// How long a writer waits for its page's lock (`store.write_wait`), and any statement
    /// for a lock of the database.
    pub write_wait: Duration,
    /// Which revisions an article keeps (`store.keep_revisions`, `store.retention`).
    pub revisions: RevisionCap,
    /// Failed runs in a row that make a feed failing (`notify.after_failures`).
    pub after_failures: i64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            write_wait: Duration::from_secs(10),
            revisions: RevisionCap::default(),
            after_failures: DEFAULT_AFTER_FAILURES,
        }
    }
}

/// The store.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    health: std::sync::Arc<CommitHealth>,
    turns: std::sync::Arc<writer::PageTurns>,
    /// Write transactions at once: fewer than the pool's connections, so that writers
    /// queue here (up to `write_wait`) instead of timing out in the pool, and the claim and
    /// the readers always find a connection.
    write_slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// Runs past their download at once (parsing, deciding, committing): twice the write
    /// slots. The others wait with their bodies only, not their parsed articles, so that a
    /// phase in which the store is the bottleneck (every feed new) does not fill memory
    /// with runs waiting to commit.
    decide_slots: std::sync::Arc<tokio::sync::Semaphore>,
    write_wait: Duration,
    revisions: RevisionCap,
    after_failures: i64,
}

impl Store {
    /// Opens the store at `url` (creating a SQLite file that does not exist) with the
    /// default options and applies pending migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(url, &StoreOptions::default()).await
    }

    /// Opens the store at `url` (creating a SQLite file that does not exist) and applies
    /// pending migrations.
    pub async fn open_with(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
        let write_wait = options.write_wait;
        install_default_drivers();
        let (backend, connect_url) = if let Some(path) = url.strip_prefix("sqlite://") {
            let file = path.split('?').next().unwrap_or(path);
            if file.is_empty() {
                return Err(StoreError::BadUrl(url.to_string()));
            }
            if let Some(dir) = Path::new(file).parent()
                && !dir.as_os_str().is_empty()
                && !dir.is_dir()
            {
                return Err(StoreError::Unreachable {
                    url: url.to_string(),
                    reason: format!("directory `{}` does not exist", dir.display()),
                });
            }
            let connect = if path.contains('?') {
                url.to_string()
            } else {
                format!("{url}?mode=rwc")
            };
            (Backend::Sqlite, connect)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::BadUrl(mask_url(url)));
        };
        // One direct connection first: a refused or misconfigured server fails at once with
        // its own reason, instead of after the pool's acquire timeout.
        {
            use sqlx::Connection;
            let probe = tokio::time::timeout(
                Duration::from_secs(10),
                sqlx::AnyConnection::connect(&connect_url),
            )
            .await;
            let reason = match probe {
                Ok(Ok(mut conn)) => {
                    let checked = match dialect::open_check(backend) {
                        Some(check) => conn.execute(check).await.map(|_| ()),
                        None => Ok(()),
                    };
                    let _ = conn.close().await;
                    match checked {
                        Ok(()) => None,
                        Err(sqlx::Error::Database(e))
                            if e.code().is_some_and(|c| dialect::is_not_a_database(&c)) =>
                        {
                            Some("the file is not a SQLite database".to_string())
                        }
                        Err(e) => Some(e.to_string()),
                    }
                }
                Ok(Err(e)) => Some(e.to_string()),
                Err(_) => Some("no answer within 10 s".to_string()),
            };
            if let Some(reason) = reason {
                return Err(StoreError::Unreachable {
                    url: mask_url(url),
                    reason,
                });
            }
        }
        // Every wait for a lock of the database ends after `write_wait`: a writer of a page
        // is then told the page is busy rather than waiting for ever.
        let wait_ms = write_wait.as_millis().clamp(1, i32::MAX as u128);
        let pool_options = AnyPoolOptions::new()
            .max_connections(dialect::pool_size(backend))
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    let setup = dialect::connection_setup(backend, wait_ms);
                    conn.execute(sqlx::AssertSqlSafe(setup)).await?;
                    Ok(())
                })
            });
        let pool =
            pool_options
                .connect(&connect_url)
                .await
                .map_err(|e| StoreError::Unreachable {
                    url: mask_url(url),
                    reason: e.to_string(),
                })?;
        let write_slots = (dialect::pool_size(backend) as usize)
            .saturating_sub(RESERVED_CONNECTIONS)
            .max(1);
        let store = Store {
            pool,
            backend,
            health: Default::default(),
            turns: Default::default(),
            write_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(write_slots)),
            decide_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(2 * write_slots)),
            write_wait,
            revisions: options.revisions,
            after_failures: options.after_failures,
        };
        store.migrate().await?;
        // A store that cannot make today's partition still records runs, in the default one.
        if let Err(e) = store.ensure_run_partitions().await {
            tracing::warn!(error = %e, "creating the run log's partitions failed");
        }
        Ok(store)
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        dialect::migrations(self.backend)
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))
    }

    /// The most connections this store opens to its database.
    pub fn max_connections(&self) -> usize {
        self.pool.options().get_max_connections() as usize
    }

    /// Which backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How the latest commits went, for `/readyz` and the operator pages.
    pub fn health(&self) -> &CommitHealth {
        &self.health
    }

    /// The connection pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a transaction that writes, as [`dialect::begin_write`] says for the backend.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match dialect::begin_write(self.backend) {
            Some(begin) => self.pool.begin_with(begin).await,
            None => self.pool.begin().await,
        }
    }

    /// A write slot ([`Store::write_slots`]), waiting at most until `deadline`; `None`
    /// when the wait is over.
    async fn write_slot(
        &self,
        deadline: std::time::Instant,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let wait = deadline.saturating_duration_since(std::time::Instant::now());
        tokio::time::timeout(wait, self.write_slots.clone().acquire_owned())
            .await
            .ok()?
            .ok()
    }

    /// A place among the runs past their download ([`Store::decide_slots`]), waiting at
    /// most `store.write_wait`; [`StoreError::Busy`] when the wait is over (the run is not
    /// recorded and comes again at its next due time).
    pub async fn decide_slot(
        &self,
        page_id: &str,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, StoreError> {
        let started = std::time::Instant::now();
        tokio::time::timeout(self.write_wait, self.decide_slots.clone().acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| StoreError::Busy {
                page: page_id.to_string(),
                waited_ms: started.elapsed().as_millis() as u64,
            })
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A query whose SQL is built from trusted fragments only (constants, `$N` placeholders,
/// integers read from the database); every value is bound.
pub(crate) fn dynamic<'q>(
    sql: String,
) -> sqlx::query::Query<'q, sqlx::Any, <sqlx::Any as sqlx::Database>::Arguments> {
    sqlx::query(sqlx::AssertSqlSafe(sql))
}

/// [`dynamic`] with its rows read as `O`, through [`sqlx::FromRow`].
pub(crate) fn dynamic_as<'q, O>(
    sql: String,
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, <sqlx::Any as sqlx::Database>::Arguments>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
}

/// `values` as the JSON parameter of a statement.
pub(crate) fn json_param<T: serde::Serialize + ?Sized>(values: &T) -> Result<String, StoreError> {
    serde_json::to_string(values)
        .map_err(|e| StoreError::Database(sqlx::Error::Encode(Box::new(e))))
}
