//! Feed runs, their diagnostics, and the warnings log.

use std::str::FromStr;

use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{Timestamp, mask_url};
use crate::registry::{RuleId, Severity};
use crate::store::{FeedKind, FeedRun, LoggedDiagnostic, RunOutcome, StoredDiagnostic};

/// One run of one feed (docs/cli.md's run object).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RunView {
    /// Its id: increases in creation order.
    pub run_id: i64,
    /// The page.
    pub page_id: String,
    /// What was read: the feed's URL (a password masked) or the file given.
    pub feed_url: String,
    /// Which of the page's feeds.
    pub feed: FeedKind,
    /// How it ended.
    pub outcome: RunOutcome,
    /// The HTTP status, for a download.
    pub http_status: Option<u16>,
    /// When it started.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Timestamp,
    /// Bytes read.
    pub bytes: u64,
    /// Every `item` of the feed.
    pub items: u64,
    /// New canonical URLs stored.
    pub inserted: u64,
    /// Content applied or a draft made live.
    pub updated: u64,
    /// Identical to the stored version.
    pub unchanged: u64,
    /// Superseded, or refused by the update rules.
    pub ignored: u64,
    /// With an error-severity diagnostic (never stored).
    pub rejected: u64,
    /// Why it failed, for a failed run.
    pub error: Option<String>,
}

/// A run with what it reported: feed-level diagnostics first, then each article's.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RunDetail {
    /// The run.
    #[serde(flatten)]
    pub run: RunView,
    /// Its diagnostics.
    pub diagnostics: Vec<RunDiagnosticView>,
}

/// A diagnostic a run reported: the diagnostic object with its article.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RunDiagnosticView {
    /// The rule (an id `iarss rules` lists; an id of an older release as it was logged).
    pub rule: String,
    /// `error` or `warning`.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// 1-based line in the feed, or null.
    pub line: Option<i64>,
    /// 1-based column, or null.
    pub column: Option<i64>,
    /// Where to read more.
    pub help: String,
    /// The article's canonical URL; null for the feed's own diagnostics.
    pub canonical_url: Option<String>,
    /// Times the warnings log has counted it (runs that reported the same).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurrences: Option<i64>,
}

/// An entry of the warnings log (`iarss warnings`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WarningView {
    /// The latest run that reported it.
    pub run_id: i64,
    /// The page.
    pub page_id: String,
    /// The article; null for a feed's own.
    pub canonical_url: Option<String>,
    /// The rule.
    pub rule: String,
    /// `error` or `warning`.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// 1-based line, or null.
    pub line: Option<i64>,
    /// 1-based column, or null.
    pub column: Option<i64>,
    /// When it was first reported.
    pub created_at: Timestamp,
    /// The run that first reported it.
    pub first_run_id: i64,
    /// When it was last reported.
    pub last_seen_at: Timestamp,
    /// Runs that reported it.
    pub occurrences: i64,
}

impl From<&FeedRun> for RunView {
    fn from(r: &FeedRun) -> RunView {
        RunView {
            run_id: r.id.unwrap_or_default(),
            page_id: r.page_id.clone(),
            // Recorded runs hold it masked already; a run in hand still has credentials.
            feed_url: mask_url(&r.feed_url),
            feed: r.feed,
            outcome: r.outcome,
            http_status: r.http_status,
            started_at: Timestamp(r.started_at),
            finished_at: Timestamp(r.finished_at),
            bytes: r.bytes,
            items: r.counts.items,
            inserted: r.counts.inserted,
            updated: r.counts.updated,
            unchanged: r.counts.unchanged,
            ignored: r.counts.ignored,
            rejected: r.counts.rejected,
            error: r.error.clone(),
        }
    }
}

fn severity_of(rule: &str, logged: &str) -> Severity {
    RuleId::from_str(rule)
        .map(|r| r.severity())
        .unwrap_or(if logged == "error" {
            Severity::Error
        } else {
            Severity::Warning
        })
}

impl From<&StoredDiagnostic> for RunDiagnosticView {
    fn from(d: &StoredDiagnostic) -> RunDiagnosticView {
        RunDiagnosticView {
            rule: d.rule.clone(),
            severity: severity_of(&d.rule, &d.severity),
            message: d.message.clone(),
            line: d.line,
            column: d.column,
            help: format!("see `iarss explain {}`", d.rule),
            canonical_url: d.canonical_url.clone(),
            occurrences: Some(d.occurrences),
        }
    }
}

impl From<&LoggedDiagnostic> for RunDiagnosticView {
    fn from(d: &LoggedDiagnostic) -> RunDiagnosticView {
        RunDiagnosticView {
            rule: d.rule.as_str().to_string(),
            severity: d.rule.severity(),
            message: d.message.clone(),
            line: d.line.map(i64::from),
            column: d.column.map(i64::from),
            help: format!("see `iarss explain {}`", d.rule.as_str()),
            canonical_url: d.canonical_url.clone(),
            occurrences: None,
        }
    }
}

impl From<&StoredDiagnostic> for WarningView {
    fn from(w: &StoredDiagnostic) -> WarningView {
        WarningView {
            run_id: w.run_id,
            page_id: w.page_id.clone(),
            canonical_url: w.canonical_url.clone(),
            rule: w.rule.clone(),
            severity: severity_of(&w.rule, &w.severity),
            message: w.message.clone(),
            line: w.line,
            column: w.column,
            created_at: Timestamp(w.created_at),
            first_run_id: w.first_run_id,
            last_seen_at: Timestamp(w.last_seen_at),
            occurrences: w.occurrences,
        }
    }
}
