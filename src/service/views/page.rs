//! A page as every answer shows it: the page, both feeds' state and its article counts.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{Timestamp, mask_url};
use crate::store::{ArticleCounts, FeedKind, PageOverview, RunOutcome};

/// A publisher page.
///
/// The flat `next_due_at`, `last_outcome` and `consecutive_failures` are the production
/// feed's, as `iarss pages list --format json` has always written them; `feeds` has both.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PageView {
    /// Its id.
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")]
    pub page_id: String,
    /// Display name.
    pub name: String,
    /// Its one domain (articles' canonical URLs must be on it or a subdomain).
    pub domain: String,
    /// Production feed URL, a password in it masked as `***`.
    pub feed_url: Option<String>,
    /// Development feed URL, masked the same way.
    pub dev_feed_url: Option<String>,
    /// Scheduled by the daemon.
    pub enabled: bool,
    /// When the production feed is fetched next.
    pub next_due_at: Option<Timestamp>,
    /// How the production feed's newest run ended.
    pub last_outcome: Option<RunOutcome>,
    /// Failed runs of the production feed in a row.
    pub consecutive_failures: i64,
    /// Both feeds' state.
    pub feeds: FeedsView,
    /// The page's articles.
    pub articles: ArticleCountsView,
}

/// A page's two feeds.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FeedsView {
    /// The production feed (live articles), when the page has one.
    pub production: Option<FeedView>,
    /// The development feed (drafts), when the page has one.
    pub development: Option<FeedView>,
}

/// One feed's state.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FeedView {
    /// Its URL, a password in it masked as `***`.
    pub url: String,
    /// How its newest run ended (none yet: null).
    pub last_outcome: Option<RunOutcome>,
    /// The error of its last failed run.
    pub last_error: Option<String>,
    /// Failed runs in a row.
    pub consecutive_failures: i64,
    /// When it is fetched next.
    pub next_due_at: Option<Timestamp>,
    /// Whether its next fetch waits longer than the cadence because of failures in a row
    /// (from the third one on).
    pub in_backoff: bool,
    /// Items the feed's latest run that read it rejected (never stored; the web page's Feed
    /// tab lists them).
    pub rejected_items: i64,
    /// Items that run found with warnings and no error.
    pub items_with_warnings: i64,
}

/// A page's articles by status and by what their last version seen had.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ArticleCountsView {
    /// Live articles.
    pub live: i64,
    /// Drafts.
    pub draft: i64,
    /// Articles whose last version seen has errors (a newer version was rejected).
    pub with_errors: i64,
    /// Articles whose last version seen has warnings.
    pub with_warnings: i64,
}

/// The answer of `fetch-now`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FetchNowAnswer {
    /// The page.
    pub page_id: String,
    /// Always `due now`: both feeds are due at once.
    #[schema(example = "due now")]
    pub fetch: &'static str,
}

impl FeedView {
    /// The view of `kind`'s feed of a page, or none when the page has no such feed.
    fn of(o: &PageOverview, kind: FeedKind) -> Option<FeedView> {
        let url = o.page.feed(kind)?;
        let state = match kind {
            FeedKind::Production => o.production.clone(),
            FeedKind::Development => o.development.clone(),
        }
        .unwrap_or_default();
        // What the run log says last, so that a page and its runs agree: the feed's state
        // follows runs of its configured URL only, and a run of another source (a file given
        // to `iarss ingest`) is still the feed's newest run.
        let last_outcome = match kind {
            FeedKind::Production => o.last_run_outcome.as_deref(),
            FeedKind::Development => o.dev_last_run_outcome.as_deref(),
        }
        .or(state.last_outcome.as_deref())
        .map(RunOutcome::parse);
        Some(FeedView {
            url: mask_url(url),
            last_outcome,
            last_error: state.last_error.clone(),
            consecutive_failures: state.consecutive_failures,
            next_due_at: state.next_due_at.map(Timestamp),
            in_backoff: state.in_backoff(),
            rejected_items: 0,
            items_with_warnings: 0,
        })
    }
}

impl From<ArticleCounts> for ArticleCountsView {
    fn from(c: ArticleCounts) -> ArticleCountsView {
        ArticleCountsView {
            live: c.live,
            draft: c.draft,
            with_errors: c.with_errors,
            with_warnings: c.with_warnings,
        }
    }
}

impl PageView {
    /// The view of a page with its article counts.
    pub fn of(o: &PageOverview, counts: Option<ArticleCounts>) -> PageView {
        let p = &o.page;
        let production = FeedView::of(o, FeedKind::Production);
        let state = o.production.clone().unwrap_or_default();
        PageView {
            page_id: p.id.clone(),
            name: p.name.clone(),
            domain: p.domain.as_str().to_string(),
            feed_url: p.feed_url.as_deref().map(mask_url),
            dev_feed_url: p.dev_feed_url.as_deref().map(mask_url),
            enabled: p.enabled,
            next_due_at: state.next_due_at.map(Timestamp),
            last_outcome: o
                .last_run_outcome
                .as_deref()
                .or(state.last_outcome.as_deref())
                .map(RunOutcome::parse),
            consecutive_failures: state.consecutive_failures,
            feeds: FeedsView {
                production,
                development: FeedView::of(o, FeedKind::Development),
            },
            articles: counts.map(ArticleCountsView::from).unwrap_or_default(),
        }
    }

    /// Sets each feed's current item counts (rejected, with warnings) from
    /// [`Store::feed_item_counts`](crate::store::Store::feed_item_counts).
    pub fn with_item_counts(mut self, counts: Option<&HashMap<FeedKind, (i64, i64)>>) -> Self {
        for (kind, feed) in [
            (FeedKind::Production, self.feeds.production.as_mut()),
            (FeedKind::Development, self.feeds.development.as_mut()),
        ] {
            if let (Some(feed), Some(&(rejected, warned))) =
                (feed, counts.and_then(|c| c.get(&kind)))
            {
                feed.rejected_items = rejected;
                feed.items_with_warnings = warned;
            }
        }
        self
    }

    /// Items rejected by the latest runs of both feeds.
    pub fn rejected_items(&self) -> i64 {
        [&self.feeds.production, &self.feeds.development]
            .into_iter()
            .flatten()
            .map(|f| f.rejected_items)
            .sum()
    }

    /// The feed of `kind`, when the page has one.
    pub fn feed(&self, kind: FeedKind) -> Option<&FeedView> {
        match kind {
            FeedKind::Production => self.feeds.production.as_ref(),
            FeedKind::Development => self.feeds.development.as_ref(),
        }
    }
}
