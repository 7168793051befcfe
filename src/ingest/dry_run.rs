//! Dry runs: what a run of a feed would do now, writing nothing at all (no run, no warning,
//! no article, no feed state, no validators).
//!
//! A dry run goes through the same stages as a real run (the same fetcher and SSRF guard
//! for a URL, the same parse, check and budget, the same [`update::plan`]) and stops before
//! the commit; what each item would do is what the plan recorded for it.

use serde::Serialize;

use super::update::{self, Origin, Would};
use super::{Acquired, Body, Feed, FeedSource, ParseEnd, RunOptions, fetch_body, parse_feed};
use crate::fetch::Fetcher;
use crate::model::{CanonicalUrl, Diagnostic, Timestamp};
use crate::store::{Counts, FeedKind, Page, RunOutcome, Store, StoreError};
use crate::validate::{RuleId, Verdict};

/// Why a dry run has no answer (a feed that cannot be had or parsed is an answer).
#[derive(Debug, thiserror::Error)]
pub enum DryRunError {
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A defect of iarss stopped the check (a panic); the message says where.
    #[error("{0}")]
    Internal(String),
}

/// What a run of a feed would do now.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DryRun {
    /// The page.
    pub page_id: String,
    /// Which of its feeds the run would be.
    pub feed: FeedKind,
    /// The feed's URL (credentials masked), when one was fetched.
    pub feed_url: Option<String>,
    /// The run's outcome (`ok`, or why the feed failed as a whole).
    pub outcome: RunOutcome,
    /// The HTTP status, for a download.
    pub http_status: Option<u16>,
    /// Bytes downloaded or given.
    pub bytes: u64,
    /// The run's counts.
    pub counts: Counts,
    /// Feed-level diagnostics.
    pub diagnostics: Vec<Diagnostic>,
    /// What each item would do, in feed order.
    pub items: Vec<DryRunItem>,
}

/// What one item would do.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DryRunItem {
    /// 0-based index among the channel's items.
    pub index: usize,
    /// Its canonical URL, when it has a usable one.
    pub canonical_url: Option<String>,
    /// The verdict of its diagnostics.
    pub verdict: Verdict,
    /// What it would do.
    pub would: Would,
    /// The rule behind a rejection, a refusal or a superseded duplicate.
    pub reason: Option<RuleId>,
    /// The stored version's `op-modified`, when stored.
    pub stored_op_modified: Option<Timestamp>,
    /// The item's `op-modified`.
    pub incoming_op_modified: Option<Timestamp>,
    /// Its diagnostics, the update decision's included.
    pub diagnostics: Vec<Diagnostic>,
}

/// A dry run of a feed given as bytes (already fetched), with the default run options.
pub async fn dry_run(
    store: &Store,
    page: &Page,
    kind: FeedKind,
    body: &[u8],
) -> Result<DryRun, DryRunError> {
    dry_run_bytes(
        store,
        page,
        kind,
        body.to_vec(),
        None,
        &RunOptions::default(),
    )
    .await
}

/// A dry run of the feed at `url`, downloaded through `fetcher` (a daemon's: its limits and
/// SSRF guard).
pub async fn dry_run_url(
    store: &Store,
    page: &Page,
    kind: FeedKind,
    url: &str,
    fetcher: &Fetcher,
) -> Result<DryRun, DryRunError> {
    let options = RunOptions {
        fetcher: Some(fetcher.clone()),
        ..RunOptions::default()
    };
    dry_run_source(
        store,
        page,
        kind,
        &FeedSource::Url(url.to_string()),
        &options,
    )
    .await
}

/// A dry run of a feed URL or file, read as a run with `options` reads it (never
/// conditionally: a dry run wants the feed).
pub async fn dry_run_source(
    store: &Store,
    page: &Page,
    kind: FeedKind,
    source: &FeedSource,
    options: &RunOptions,
) -> Result<DryRun, DryRunError> {
    let feed = Feed {
        store,
        page,
        kind,
        options,
    };
    let shown = match source {
        FeedSource::Url(url) => Some(crate::store::mask_url(url)),
        FeedSource::Path { written, .. } => Some(written.clone()),
    };
    match fetch_body(&feed, source, false).await? {
        Acquired::Body(Body {
            bytes,
            charset,
            http_status,
            ..
        }) => {
            let mut dry = dry_run_body(&feed, bytes, charset).await?;
            dry.feed_url = shown;
            dry.http_status = http_status;
            Ok(dry)
        }
        // Not asked conditionally: only a server that answers 304 unasked gets here.
        Acquired::NotModified => Ok(DryRun {
            feed_url: shown,
            http_status: Some(304),
            ..DryRun::empty(page, kind, RunOutcome::NotModified)
        }),
        Acquired::Failed {
            diagnostic,
            http_status,
            ..
        } => Ok(DryRun {
            feed_url: shown,
            http_status,
            ..DryRun::failed(page, kind, diagnostic)
        }),
    }
}

/// A dry run of a feed's bytes, as a run with `options` checks them; `charset` is the HTTP
/// `Content-Type`'s, if any.
pub async fn dry_run_bytes(
    store: &Store,
    page: &Page,
    kind: FeedKind,
    bytes: Vec<u8>,
    charset: Option<String>,
    options: &RunOptions,
) -> Result<DryRun, DryRunError> {
    let feed = Feed {
        store,
        page,
        kind,
        options,
    };
    dry_run_body(&feed, bytes, charset).await
}

async fn dry_run_body(
    feed: &Feed<'_>,
    bytes: Vec<u8>,
    charset: Option<String>,
) -> Result<DryRun, DryRunError> {
    let Feed {
        store, page, kind, ..
    } = *feed;
    let size = bytes.len() as u64;
    let parsed = match parse_feed(feed, bytes, charset, false).await? {
        ParseEnd::Parsed(parsed) => *parsed,
        ParseEnd::Failed(d) => {
            return Ok(DryRun {
                bytes: size,
                ..DryRun::failed(page, kind, d)
            });
        }
        ParseEnd::Internal(message) => return Err(DryRunError::Internal(message)),
    };
    let report = &parsed.report;
    let mut lookups = parsed.lookups;
    // Read from the pool, without the page's lock: a dry run writes nothing.
    lookups.load_report(&mut { store }, report).await?;
    let plan = update::plan(page, Origin::Feed(kind), report, &lookups);
    let items = plan
        .items
        .iter()
        .map(|item| {
            let article = &report.articles[item.item];
            let diagnostics: Vec<Diagnostic> = plan.diagnostics[item.diagnostics.clone()]
                .iter()
                .map(|d| d.to_diagnostic())
                .collect();
            DryRunItem {
                index: article.index,
                canonical_url: article
                    .canonical_url
                    .as_ref()
                    .map(|c: &CanonicalUrl| c.as_str().to_string()),
                verdict: Verdict::of(&diagnostics),
                would: item.would,
                reason: item.reason,
                stored_op_modified: item.stored_op_modified.map(Timestamp),
                incoming_op_modified: article.op_modified.map(|t| Timestamp(t.timestamp_millis())),
                diagnostics,
            }
        })
        .collect();
    Ok(DryRun {
        bytes: size,
        counts: plan.counts.clone(),
        diagnostics: report.diagnostics.clone(),
        items,
        ..DryRun::empty(page, kind, RunOutcome::Ok)
    })
}

impl DryRun {
    fn empty(page: &Page, kind: FeedKind, outcome: RunOutcome) -> DryRun {
        DryRun {
            page_id: page.id.clone(),
            feed: kind,
            feed_url: None,
            outcome,
            http_status: None,
            bytes: 0,
            counts: Counts::default(),
            diagnostics: Vec::new(),
            items: Vec::new(),
        }
    }

    fn failed(page: &Page, kind: FeedKind, d: Diagnostic) -> DryRun {
        DryRun {
            diagnostics: vec![d.clone()],
            ..DryRun::empty(page, kind, super::outcome_for(d.rule))
        }
    }

    /// The dry run of a feed refused before fetching (a URL the guard does not allow), as
    /// a run records it (`fetch_error`, `feed-fetch-failed`).
    pub fn refused(page: &Page, kind: FeedKind, feed_url: &str, message: &str) -> DryRun {
        let d = Diagnostic::new(RuleId::FeedFetchFailed, message, None);
        DryRun {
            feed_url: Some(crate::store::mask_url(feed_url)),
            ..DryRun::failed(page, kind, d)
        }
    }

    /// The items that would do `would`.
    pub fn would(&self, would: Would) -> impl Iterator<Item = &DryRunItem> {
        self.items.iter().filter(move |i| i.would == would)
    }
}
