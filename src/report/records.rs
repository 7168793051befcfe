//! The JSON shapes of stored records (docs/cli.md, JSON outputs): runs, pages, articles and
//! the warnings log, beside lint's JSON. Each is a function of a typed row; the command line
//! and the HTTP API write the same shapes.

use serde_json::{Value, json};

use crate::model::{mask_url, rfc3339};
use crate::store::{FeedRun, FeedState, Page, PageOverview, StoredArticle, StoredDiagnostic};

/// A time as JSON: RFC 3339 UTC, or null.
pub fn time(ms: Option<i64>) -> Value {
    ms.map_or(Value::Null, |m| Value::String(rfc3339(m)))
}

/// A run, as `runs` and `ingest` write it.
pub fn run(r: &FeedRun) -> Value {
    json!({
        "run_id": r.id,
        "page_id": r.page_id,
        // Recorded runs hold it masked already; a run in hand still has the credentials.
        "feed_url": crate::model::mask_url(&r.feed_url),
        "feed": r.feed.as_str(),
        "outcome": r.outcome.as_str(),
        "http_status": r.http_status,
        "started_at": rfc3339(r.started_at),
        "finished_at": rfc3339(r.finished_at),
        "bytes": r.bytes,
        "items": r.counts.items,
        "inserted": r.counts.inserted,
        "updated": r.counts.updated,
        "unchanged": r.counts.unchanged,
        "ignored": r.counts.ignored,
        "rejected": r.counts.rejected,
        "error": r.error,
    })
}

/// A page with its production feed's state, as `pages list` and `pages show` see it.
#[derive(Debug)]
pub struct PageRow {
    /// The page.
    pub page: Page,
    /// Its production feed's scheduling state.
    pub state: FeedState,
    /// The outcome of its newest production run, from the run log.
    pub last_outcome: Option<String>,
}

impl From<PageOverview> for PageRow {
    fn from(o: PageOverview) -> PageRow {
        let state = o.production.unwrap_or_default();
        PageRow {
            last_outcome: o.last_run_outcome.or_else(|| state.last_outcome.clone()),
            page: o.page,
            state,
        }
    }
}

/// A page, as `pages list` writes it.
pub fn page(row: &PageRow) -> Value {
    let p = &row.page;
    json!({
        "page_id": p.id,
        "name": p.name,
        "domain": p.domain.as_str(),
        // Credentials in a feed URL are for fetching it, never for showing.
        "feed_url": p.feed_url.as_deref().map(mask_url),
        "dev_feed_url": p.dev_feed_url.as_deref().map(mask_url),
        "enabled": p.enabled,
        "next_due_at": time(row.state.next_due_at),
        "last_outcome": row.last_outcome,
        "consecutive_failures": row.state.consecutive_failures,
    })
}

/// A feed's state, as `pages show` writes the development feed's.
pub fn feed_state(s: &FeedState) -> Value {
    json!({
        "last_outcome": s.last_outcome,
        "consecutive_failures": s.consecutive_failures,
        "next_due_at": time(s.next_due_at),
    })
}

/// A stored article, as `articles list` writes it.
pub fn article(a: &StoredArticle) -> Value {
    json!({
        "canonical_url": a.canonical_url,
        "page_id": a.page_id,
        "title": a.title,
        "status": a.status.as_str(),
        "op_published": time(a.op_published),
        "op_modified": time(a.op_modified),
        "first_ingested_at": rfc3339(a.first_ingested_at),
        "updated_at": rfc3339(a.updated_at),
    })
}

/// An entry of the warnings log, as `warnings` writes it.
pub fn warning(w: &StoredDiagnostic) -> Value {
    json!({
        "run_id": w.run_id,
        "page_id": w.page_id,
        "canonical_url": w.canonical_url,
        "rule": w.rule,
        "severity": w.severity,
        "message": w.message,
        "line": w.line,
        "column": w.column,
        "created_at": rfc3339(w.created_at),
        "first_run_id": w.first_run_id,
        "last_seen_at": rfc3339(w.last_seen_at),
        "occurrences": w.occurrences,
    })
}
