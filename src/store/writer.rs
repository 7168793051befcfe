//! The per-page writer lock: feed runs and manual writes (imports, edits, restores,
//! publish, delete, ignored updates applied) of one page take their turn, one at a time,
//! instead of racing and failing (docs/ingestion.md, "Runs and manual writes of one page").
//!
//! A [`PageWriter`] is a transaction that holds its page's lock from its first statement
//! to its commit. Writers wait for it up to `store.write_wait`:
//! - first in this process's queue for the page ([`PageTurns`]), so waiters hold no
//!   database connection and reads never wait for a connection behind them;
//! - then for the database's own lock: the page's row, locked by the transaction's first
//!   statement on PostgreSQL (`lock_timeout`), the database's single writer on SQLite
//!   (`BEGIN IMMEDIATE` under `busy_timeout`), which other processes (an `iarss ingest`
//!   beside the daemon, several daemons) respect too.
//!
//! Past the wait the write ends with [`StoreError::Busy`]: the API answers 503 `busy`, a
//! feed run is tried again at its next due time.
//!
//! The first statement also bumps the page's commit sequence number, so a run that looked
//! its articles up while it parsed (before it had the lock) knows whether another writer
//! committed meanwhile ([`PageWriter::changed_since`]) and reads them again under the lock
//! only then.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Row;
use tokio::sync::OwnedMutexGuard;

use super::heads::ArticleHead;
use super::revisions::RevisionCap;
use super::{Backend, CommitHealth, PageSeq, Store, StoreError, dialect};
use crate::model::Domain;

/// Writers waiting in this process, one queue per key (a page, or the whole database on
/// SQLite, which has one writer).
#[derive(Debug, Default)]
pub struct PageTurns {
    queues: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A writer's turn: its queue is free for the next one when this is dropped.
#[derive(Debug)]
pub struct Turn {
    guard: Option<OwnedMutexGuard<()>>,
    key: String,
    turns: Arc<PageTurns>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        drop(self.guard.take());
        // The queue goes when nobody else waits in it, so the map holds only live queues.
        if let Ok(mut queues) = self.turns.queues.lock()
            && queues
                .get(&self.key)
                .is_some_and(|q| Arc::strong_count(q) == 1)
        {
            queues.remove(&self.key);
        }
    }
}

impl PageTurns {
    /// Waits up to `wait` for the turn of `key`; `None` when it did not come.
    pub async fn take(self: &Arc<Self>, key: &str, wait: Duration) -> Option<Turn> {
        let queue = {
            let mut queues = self.queues.lock().ok()?;
            Arc::clone(queues.entry(key.to_string()).or_default())
        };
        let guard = tokio::time::timeout(wait, queue.lock_owned()).await.ok()?;
        Some(Turn {
            guard: Some(guard),
            key: key.to_string(),
            turns: Arc::clone(self),
        })
    }

    /// Queues in use (tests).
    pub fn len(&self) -> usize {
        self.queues.lock().map(|q| q.len()).unwrap_or_default()
    }

    /// No queue in use.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A write transaction of one page that holds the page's writer lock until it commits or
/// is dropped (which rolls it back).
pub struct PageWriter {
    pub(super) tx: sqlx::Transaction<'static, sqlx::Any>,
    pub(super) page_id: String,
    pub(super) backend: Backend,
    /// Which revisions an article keeps, trimmed as updates are written.
    pub(super) revisions: RevisionCap,
    /// Failed runs in a row that make a feed failing.
    pub(super) after_failures: i64,
    health: Arc<CommitHealth>,
    before: PageSeq,
    waited: Duration,
    _turn: Turn,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl std::fmt::Debug for PageWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageWriter")
            .field("page_id", &self.page_id)
            .field("before", &self.before)
            .finish_non_exhaustive()
    }
}

/// Whether a database error says that a lock was not had in time.
fn is_lock_timeout(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(e) = e else {
        return false;
    };
    dialect::is_lock_timeout(&e.code().unwrap_or_default())
}

impl Store {
    /// Takes `page_id`'s writer lock, waiting up to `store.write_wait`, and opens the
    /// write transaction that holds it. [`StoreError::Busy`] when the wait is over,
    /// [`StoreError::NoSuchPage`] when the page does not exist.
    pub async fn write_page(&self, page_id: &str) -> Result<PageWriter, StoreError> {
        let started = Instant::now();
        let busy = || StoreError::Busy {
            page: page_id.to_string(),
            waited_ms: started.elapsed().as_millis() as u64,
        };
        let turn = self
            .turns
            .take(
                dialect::writer_queue(self.backend, page_id),
                self.write_wait,
            )
            .await
            .ok_or_else(busy)?;
        let slot = self
            .write_slot(started + self.write_wait)
            .await
            .ok_or_else(busy)?;
        let mut tx = match self.begin_write().await {
            Ok(tx) => tx,
            Err(e) if is_lock_timeout(&e) => return Err(busy()),
            Err(e) => return Err(e.into()),
        };
        // Locks the page's row (PostgreSQL) and bumps its commit sequence number; rolled
        // back with the transaction when nothing is committed.
        let row = sqlx::query(
            "UPDATE pages SET commit_seq = commit_seq + 1 WHERE id = $1 RETURNING commit_seq",
        )
        .bind(page_id)
        .fetch_optional(&mut *tx)
        .await;
        let row = match row {
            Ok(Some(row)) => row,
            Ok(None) => return Err(StoreError::NoSuchPage(page_id.to_string())),
            Err(e) if is_lock_timeout(&e) => return Err(busy()),
            Err(e) => return Err(e.into()),
        };
        let seq: i64 = row.try_get("commit_seq")?;
        let waited = started.elapsed();
        metrics::histogram!("iarss_store_write_wait_seconds").record(waited.as_secs_f64());
        Ok(PageWriter {
            tx,
            page_id: page_id.to_string(),
            backend: self.backend,
            revisions: self.revisions,
            after_failures: self.after_failures,
            health: Arc::clone(&self.health),
            before: PageSeq(seq - 1),
            waited,
            _turn: turn,
            _slot: slot,
        })
    }

    /// How long a writer waits for its page's lock (`store.write_wait`).
    pub fn write_wait(&self) -> Duration {
        self.write_wait
    }
}

impl PageWriter {
    /// The page.
    pub fn page_id(&self) -> &str {
        &self.page_id
    }

    /// Whether another writer of the page committed after `seen` was read: what was looked
    /// up before the lock was taken may be out of date.
    pub fn changed_since(&self, seen: PageSeq) -> bool {
        self.before != seen
    }

    /// How long the lock took to get.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// Stored heads of `canonicals`, read under the lock.
    pub async fn article_heads(
        &mut self,
        canonicals: &[&str],
    ) -> Result<HashMap<String, ArticleHead>, StoreError> {
        super::heads::article_heads_on(&mut self.tx, self.backend, canonicals).await
    }

    /// `(page id, domain)` of the pages whose domain is one of `hosts` or a parent of one,
    /// read under the lock.
    pub async fn domains_matching(
        &mut self,
        hosts: &[String],
    ) -> Result<Vec<(String, Domain)>, StoreError> {
        super::pages::domains_matching_on(&mut self.tx, self.backend, hosts).await
    }

    /// Commits what was written and lets the next writer of the page go.
    pub async fn commit(self) -> Result<(), StoreError> {
        let PageWriter { tx, health, .. } = self;
        match tx.commit().await {
            Ok(()) => {
                health.committed();
                Ok(())
            }
            Err(e) => {
                let e = StoreError::from(e);
                health.failed(&e.to_string());
                Err(e)
            }
        }
    }

    /// Records a write that failed inside the transaction, for `/readyz`.
    pub(super) fn failed(&self, e: &StoreError) {
        if !e.is_conflict() {
            self.health.failed(&e.to_string());
        }
    }

    /// Gives the lock back without writing anything.
    pub async fn release(self) {
        let PageWriter { tx, .. } = self;
        let _ = tx.rollback().await;
    }
}
