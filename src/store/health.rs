//! How the store's latest commits went, kept in memory: `/readyz` turns unready after
//! three failed commits in a row, and a run that could not even be recorded is kept here
//! (it exists nowhere else) for the operator pages.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

/// Runs kept that could not be recorded; older ones are dropped.
const KEEP_UNRECORDED: usize = 32;

/// A run whose results and whose failure record both failed to commit.
#[derive(Clone, Debug)]
pub struct UnrecordedRun {
    /// The page.
    pub page_id: String,
    /// The feed URL, credentials masked.
    pub feed_url: String,
    /// When it finished (ms).
    pub finished_at: i64,
    /// Why its results could not be committed, then why its record could not be.
    pub error: String,
}

/// Commit outcomes of one process.
#[derive(Debug, Default)]
pub struct CommitHealth {
    failures_in_a_row: AtomicU32,
    last_error: Mutex<Option<String>>,
    unrecorded: Mutex<VecDeque<UnrecordedRun>>,
}

impl CommitHealth {
    /// A run's commit went through.
    pub fn committed(&self) {
        self.failures_in_a_row.store(0, Ordering::Relaxed);
    }

    /// A run's commit failed with `error`.
    pub fn failed(&self, error: &str) {
        self.failures_in_a_row.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(error.to_string());
        }
    }

    /// Commits failed in a row, up to now.
    pub fn failures_in_a_row(&self) -> u32 {
        self.failures_in_a_row.load(Ordering::Relaxed)
    }

    /// The latest commit error.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }

    /// Keeps a run that could not be recorded.
    pub fn unrecorded(&self, run: UnrecordedRun) {
        if let Ok(mut runs) = self.unrecorded.lock() {
            if runs.len() == KEEP_UNRECORDED {
                runs.pop_front();
            }
            runs.push_back(run);
        }
    }

    /// The runs kept that could not be recorded, newest first.
    pub fn unrecorded_runs(&self) -> Vec<UnrecordedRun> {
        self.unrecorded
            .lock()
            .map(|runs| runs.iter().rev().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_resets_the_failures() {
        let h = CommitHealth::default();
        h.failed("disk full");
        h.failed("disk full");
        assert_eq!(h.failures_in_a_row(), 2);
        assert_eq!(h.last_error().as_deref(), Some("disk full"));
        h.committed();
        assert_eq!(h.failures_in_a_row(), 0);
    }

    #[test]
    fn unrecorded_runs_are_bounded_and_newest_first() {
        let h = CommitHealth::default();
        for i in 0..40 {
            h.unrecorded(UnrecordedRun {
                page_id: format!("p{i}"),
                feed_url: String::new(),
                finished_at: i,
                error: String::new(),
            });
        }
        let runs = h.unrecorded_runs();
        assert_eq!(runs.len(), KEEP_UNRECORDED);
        assert_eq!(runs[0].page_id, "p39");
    }
}
