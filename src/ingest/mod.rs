//! One feed run end to end: fetch (or read) the feed, parse and validate it, decide what
//! each item does to the store (docs/ingestion.md: identity, updates, run counts), and commit
//! the run, its article writes and its warnings in one transaction.
//!
//! This is the only module that calls fetch, parse, validate and store in turn; both
//! `iarss ingest` and the daemon run feeds through [`run_feed`].

pub mod dry_run;
pub mod kept_items;
pub mod lookups;
pub mod manual;
pub mod update;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::{info, warn};

use crate::fetch::{self, Conditional, FetchConfig, FetchError};
use crate::model::{CanonicalUrl, Diagnostic};
use crate::parse::InputKind;
use crate::store::{
    FeedKind, FeedRun, LoggedDiagnostic, Page, PageSeq, Reschedule, RunOutcome, Store, StoreError,
    UnrecordedRun, Validators, now_ms,
};
use crate::validate::{CanonicalTap, CheckOptions, InputReport, RuleId, check_input};
pub use dry_run::{
    DryRun, DryRunError, DryRunItem, dry_run, dry_run_bytes, dry_run_source, dry_run_url,
};
use lookups::Lookups;
use update::Origin;

/// Where a run reads its feed from.
#[derive(Clone, Debug)]
pub enum FeedSource {
    /// An http(s) URL.
    Url(String),
    /// A local file, as a path or a `file://` URL (kept as written, for the run record).
    Path {
        /// What the page or the command line said.
        written: String,
        /// The file.
        path: PathBuf,
    },
}

impl FeedSource {
    /// `http(s)://…` is a URL; anything else (`file://…` included) a file.
    pub fn parse(s: &str) -> FeedSource {
        if s.starts_with("http://") || s.starts_with("https://") {
            FeedSource::Url(s.to_string())
        } else {
            FeedSource::Path {
                written: s.to_string(),
                path: PathBuf::from(s.strip_prefix("file://").unwrap_or(s)),
            }
        }
    }

    /// As recorded in the run (and matched against the page's feed URL).
    pub fn display(&self) -> String {
        match self {
            FeedSource::Url(u) => u.clone(),
            FeedSource::Path { written, .. } => written.clone(),
        }
    }
}

/// How to run a feed.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Download limits and user agent.
    pub fetch: FetchConfig,
    /// A client to reuse (the daemon's); built from `fetch` when absent.
    pub fetcher: Option<fetch::Fetcher>,
    /// Time allowed to load and parse once the body is received.
    pub parse_budget: Duration,
    /// Zone for offset-less datetimes.
    pub zone: chrono_tz::Tz,
    /// Send the stored ETag / Last-Modified.
    pub conditional: bool,
    /// How long runs (after they started) and warnings (after they were last seen) are
    /// kept: see [`Store::prune_logs`](crate::store::Store::prune_logs).
    pub retention: Option<Duration>,
    /// Threads for article checks.
    pub threads: usize,
    /// The feed's stored validators, when the caller read them already (the daemon's
    /// claim does): a conditional fetch then reads nothing from the store first.
    pub stored_validators: Option<Validators>,
    /// How the run's commit reschedules the feed (the daemon's claimed runs), so that the
    /// run and its reschedule are one write.
    pub reschedule: Option<NextDue>,
    /// Told once the download has ended (the daemon frees its slot on the feed's host).
    pub downloaded: Option<Downloaded>,
}

/// Called once a run's download has ended, with whether the server answered (a body or a
/// 304) rather than failed: the rest of the run (parse, checks, the store's writes) is
/// iarss' own work, which the publisher's server has no part in.
#[derive(Clone)]
pub struct Downloaded(pub Arc<DownloadedFn>);

/// The function of a [`Downloaded`].
pub type DownloadedFn = dyn Fn(bool) + Send + Sync;

impl std::fmt::Debug for Downloaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Downloaded")
    }
}

/// How a claimed feed's next due time follows from its run: given the run as it is about
/// to be committed (its outcome and finish time) and the wait its server asked for.
#[derive(Clone)]
pub struct NextDue(pub Arc<NextDueFn>);

/// The function of a [`NextDue`].
pub type NextDueFn = dyn Fn(&FeedRun, Option<Duration>) -> Reschedule + Send + Sync;

impl std::fmt::Debug for NextDue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NextDue")
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            fetch: FetchConfig::default(),
            fetcher: None,
            parse_budget: Duration::from_secs(10),
            zone: crate::model::DEFAULT_ZONE,
            conditional: false,
            retention: Some(Duration::from_secs(30 * 24 * 3600)),
            threads: 1,
            stored_validators: None,
            reschedule: None,
            downloaded: None,
        }
    }
}

/// A committed run and everything it logged.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The run, with its id.
    pub run: FeedRun,
    /// Its diagnostics, feed-level first.
    pub diagnostics: Vec<LoggedDiagnostic>,
    /// How long the server asked to wait before the next fetch (`429`/`503`).
    pub retry_after: Option<Duration>,
    /// Whether the commit rescheduled the feed ([`RunOptions::reschedule`]).
    pub rescheduled: bool,
}

impl RunResult {
    /// A run that logged nothing (not modified, or ended by the store or a defect).
    fn without_diagnostics(run: FeedRun) -> RunResult {
        RunResult {
            run,
            diagnostics: Vec::new(),
            retry_after: None,
            rescheduled: false,
        }
    }
}

fn outcome_for(rule: RuleId) -> RunOutcome {
    match rule {
        RuleId::FeedDownloadTimeout => RunOutcome::Timeout,
        RuleId::FeedTooLarge => RunOutcome::TooLarge,
        RuleId::FeedNotWellFormed | RuleId::FeedNotRss => RunOutcome::ParseError,
        RuleId::FeedParseBudgetExceeded => RunOutcome::ParseBudgetExceeded,
        _ => RunOutcome::FetchError,
    }
}

/// How often a run plans and commits again when a write conflicted (a unique key taken
/// by a page whose domain nests in this one's) before it gives up with `store_error`.
const COMMIT_ATTEMPTS: u32 = 3;

/// Runs one feed of `page` and commits the run.
///
/// Every run that got its page's writer lock (or needed none) ends recorded: a run whose
/// results cannot be committed is recorded with outcome `store_error` in a transaction of
/// its own. `Err(`[`StoreError::Busy`]`)` means the lock was not had within
/// `store.write_wait`: nothing was recorded, and the run is to be tried again later. Any
/// other `Err` means even the failure record failed; the run is then kept in
/// [`Store::health`] and logged.
pub async fn run_feed(
    store: &Store,
    page: &Page,
    source: &FeedSource,
    kind: FeedKind,
    options: &RunOptions,
) -> Result<RunResult, StoreError> {
    // The span follows the future across awaits, so concurrent runs never share one.
    let span = tracing::info_span!(
        "feed_run",
        page_id = %page.id,
        feed = %crate::store::mask_url(&source.display()),
        kind = kind.as_str()
    );
    let run = async {
        let mut run = FeedRun::start(&page.id, &source.display(), kind);
        match run_feed_inner(store, page, source, kind, options, &mut run).await {
            Ok(result) => Ok(result),
            Err(e @ StoreError::Busy { .. }) => {
                warn!(error = %e, "the page's writer lock was busy; the run is not recorded");
                Err(e)
            }
            Err(e) => record_store_error(store, run, e).await,
        }
    };
    tracing::Instrument::instrument(run, span).await
}

async fn run_feed_inner(
    store: &Store,
    page: &Page,
    source: &FeedSource,
    kind: FeedKind,
    options: &RunOptions,
    run: &mut FeedRun,
) -> Result<RunResult, StoreError> {
    let feed = Feed {
        store,
        page,
        kind,
        options,
    };
    let body = match acquire(&feed, source, run).await? {
        Step::Next(body) => body,
        Step::Done(result) => return Ok(*result),
    };
    run.bytes = body.bytes.len() as u64;
    let _deciding = store.decide_slot(&page.id).await?;
    // Read before any stored article is looked up: a writer of the page that commits after
    // this point makes this run look its articles up again under the lock (PageSeq).
    let seen = store.page_seq(&page.id).await?;
    let parsed = match parse_with_lookups(&feed, body.bytes, body.charset, run).await? {
        Step::Next(parsed) => parsed,
        Step::Done(result) => return Ok(*result),
    };
    commit(&feed, parsed, seen, body.validators, run).await
}

/// What every stage of a run works with.
struct Feed<'a> {
    store: &'a Store,
    page: &'a Page,
    kind: FeedKind,
    options: &'a RunOptions,
}

/// A stage's result: what the next stage takes, or the run, already recorded.
enum Step<T> {
    Next(T),
    Done(Box<RunResult>),
}

/// A feed's body as fetched or read.
struct Body {
    bytes: Vec<u8>,
    /// The `charset` of the HTTP `Content-Type`.
    charset: Option<String>,
    /// The HTTP validators to keep when the run succeeds.
    validators: Option<Validators>,
    /// The HTTP status (downloads only).
    http_status: Option<u16>,
}

/// A parsed feed, with what the store was asked about it meanwhile.
struct Parsed {
    report: InputReport,
    lookups: Lookups,
    parse_ms: u64,
    /// The feed's text by line, for the excerpts of the items the run keeps.
    lines: kept_items::FeedLines,
}

/// What reading or downloading a feed gave.
enum Acquired {
    /// The body.
    Body(Body),
    /// HTTP 304.
    NotModified,
    /// The feed could not be had.
    Failed {
        /// The feed-level diagnostic.
        diagnostic: Diagnostic,
        /// The HTTP status, when there was one.
        http_status: Option<u16>,
        /// How long the server asked to wait (`429`/`503`).
        retry_after: Option<Duration>,
    },
}

/// Reads the file or downloads the URL, conditionally when `conditional` (with the feed's
/// stored validators). Writes nothing.
async fn fetch_body(
    feed: &Feed<'_>,
    source: &FeedSource,
    conditional: bool,
) -> Result<Acquired, StoreError> {
    let Feed {
        store,
        page,
        kind,
        options,
    } = *feed;
    let url = match source {
        FeedSource::Path { path, .. } => {
            // Under the download's cap: a device or an endless pipe stops there.
            let (path, cap) = (path.clone(), options.fetch.max_body_bytes);
            let read = tokio::task::spawn_blocking(move || fetch::read_file_capped(&path, cap))
                .await
                .unwrap_or_else(|e| Err(FetchError::Failed(e.to_string())));
            return Ok(match read {
                Ok(bytes) => Acquired::Body(Body {
                    bytes,
                    charset: None,
                    validators: None,
                    http_status: None,
                }),
                Err(e) => Acquired::Failed {
                    diagnostic: Diagnostic::new(e.rule(), e.to_string(), None),
                    http_status: None,
                    retry_after: None,
                },
            });
        }
        FeedSource::Url(url) => url,
    };
    let conditional = match (&options.stored_validators, conditional) {
        (_, false) => None,
        (Some(v), true) => Some(Conditional {
            etag: v.etag.clone(),
            last_modified: v.last_modified.clone(),
        }),
        (None, true) => store
            .feed_state(&page.id, kind)
            .await?
            .map(|s| Conditional {
                etag: s.etag,
                last_modified: s.last_modified,
            }),
    };
    let fetched = match &options.fetcher {
        Some(fetcher) => fetcher.get(url, conditional.as_ref()).await,
        None => fetch::fetch_conditional(url, &options.fetch, conditional.as_ref()).await,
    };
    Ok(match fetched {
        Ok(f) if f.status == 304 => Acquired::NotModified,
        Ok(f) => Acquired::Body(Body {
            validators: Some(Validators {
                etag: f.etag,
                last_modified: f.last_modified,
            }),
            bytes: f.body,
            charset: f.charset,
            http_status: Some(f.status),
        }),
        Err(e) => Acquired::Failed {
            diagnostic: Diagnostic::new(e.rule(), describe_fetch_error(url, &e), None),
            http_status: e.status(),
            retry_after: e.retry_after(),
        },
    })
}

/// Reads the file or downloads the URL (conditionally when asked); a 304 or a failure ends
/// the run here.
async fn acquire(
    feed: &Feed<'_>,
    source: &FeedSource,
    run: &mut FeedRun,
) -> Result<Step<Body>, StoreError> {
    let Feed { store, options, .. } = *feed;
    let acquired = fetch_body(feed, source, options.conditional).await?;
    if let Some(downloaded) = &options.downloaded {
        (downloaded.0)(!matches!(acquired, Acquired::Failed { .. }));
    }
    match acquired {
        Acquired::Body(body) => {
            run.http_status = body.http_status;
            Ok(Step::Next(body))
        }
        Acquired::NotModified => {
            run.outcome = RunOutcome::NotModified;
            run.http_status = Some(304);
            run.finished_at = now_ms();
            let reschedule = next_due(options, run, None);
            store
                .commit_run(run, &[], None, reschedule.as_ref())
                .await?;
            info!(run_id = run.id, "not modified");
            let mut result = RunResult::without_diagnostics(run.clone());
            result.rescheduled = reschedule.is_some();
            Ok(Step::Done(Box::new(result)))
        }
        Acquired::Failed {
            diagnostic,
            http_status,
            retry_after,
        } => {
            run.http_status = http_status;
            let mut result = fail(store, run, diagnostic, options, retry_after).await?;
            result.retry_after = retry_after;
            Ok(Step::Done(Box::new(result)))
        }
    }
}

/// How parsing a feed ended.
enum ParseEnd {
    /// Parsed: its items can be decided.
    Parsed(Box<Parsed>),
    /// A feed-level error (the whole feed fails).
    Failed(Diagnostic),
    /// A defect of iarss stopped the check (a panic); the message says where.
    Internal(String),
}

/// Parses and checks the feed within the budget on a blocking thread, looking up stored
/// heads and owning pages meanwhile; with `keep_lines`, also splits the feed into lines for
/// the excerpts a run keeps. Writes nothing.
async fn parse_feed(
    feed: &Feed<'_>,
    bytes: Vec<u8>,
    charset: Option<String>,
    keep_lines: bool,
) -> Result<ParseEnd, StoreError> {
    let Feed {
        store,
        page,
        options,
        ..
    } = *feed;
    // The budget runs from the moment the body is in; parsing never blocks the runtime.
    // The parser tells each article's canonical URL as soon as the article is checked, and
    // the store looks them up in batches meanwhile (lookups.rs).
    // Batches are gathered on the parser's side: waking the runtime once per article would
    // cost the parse more than the overlap saves.
    let (tap, mut checked) = tokio::sync::mpsc::unbounded_channel::<Vec<CanonicalUrl>>();
    let gathered = std::sync::Mutex::new(Vec::with_capacity(lookups::BATCH));
    let check = CheckOptions {
        domain: Some(page.domain.clone()),
        zone: options.zone,
        threads: options.threads,
        budget: Some(options.parse_budget),
        http_charset: charset,
        keep_html: true,
        on_canonical: Some(CanonicalTap::new(move |c| {
            let Ok(mut batch) = gathered.lock() else {
                return;
            };
            batch.push(c.clone());
            if batch.len() >= lookups::BATCH {
                // The run may have given up on the parse already; nothing is lost then.
                let _ = tap.send(std::mem::take(&mut *batch));
            }
        })),
    };
    let budget = options.parse_budget;
    let started = Instant::now();
    let lines_charset = check.http_charset.clone();
    let mut parse = tokio::task::spawn_blocking(move || {
        let split = bytes.len().min(64 * 1024);
        let report = check_input(bytes[..split].to_vec(), &bytes[split..], &check);
        // The items the run keeps are shown with the feed's lines around their problems;
        // read here, off the runtime, once the feed parsed.
        let lines = if report.articles.is_empty() || !keep_lines {
            kept_items::FeedLines::default()
        } else {
            kept_items::FeedLines::decode(bytes, lines_charset.as_deref())
        };
        (report, lines)
    });
    // The checker enforces the budget itself; this is the backstop should it not return.
    let deadline = tokio::time::sleep(budget + Duration::from_millis(500));
    tokio::pin!(deadline);
    let mut lookups = Lookups::default();
    let parsed = loop {
        tokio::select! {
            biased;
            joined = &mut parse => break Some(joined),
            () = &mut deadline => break None,
            Some(batch) = checked.recv() => lookups.load(&mut { store }, &batch).await?,
        }
    };
    let (report, lines): (InputReport, kept_items::FeedLines) = match parsed {
        Some(Ok(r)) => r,
        Some(Err(join)) => {
            // Not the feed's fault: a defect of iarss, recorded as such.
            let message = match join.try_into_panic() {
                Ok(panic) => format!(
                    "iarss failed while checking the feed (please report this): {}",
                    panic_message(panic.as_ref())
                ),
                Err(join) => format!("the check of the feed was cancelled: {join}"),
            };
            return Ok(ParseEnd::Internal(message));
        }
        None => {
            return Ok(ParseEnd::Failed(Diagnostic::new(
                RuleId::FeedParseBudgetExceeded,
                format!(
                    "the feed was not parsed within the {} s budget",
                    budget.as_secs_f64()
                ),
                None,
            )));
        }
    };
    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "parsed");
    let feed_error = if report.kind == InputKind::Article {
        Some(Diagnostic::new(
            RuleId::FeedNotRss,
            "the input is an article, not an RSS feed",
            Some(crate::model::Position::START),
        ))
    } else {
        report.diagnostics.iter().find(|d| d.is_error()).cloned()
    };
    if let Some(d) = feed_error {
        return Ok(ParseEnd::Failed(d));
    }
    Ok(ParseEnd::Parsed(Box::new(Parsed {
        report,
        lookups,
        parse_ms: started.elapsed().as_millis() as u64,
        lines,
    })))
}

/// Parses the feed ([`parse_feed`]); a feed-level error or a panic ends the run here.
async fn parse_with_lookups(
    feed: &Feed<'_>,
    bytes: Vec<u8>,
    charset: Option<String>,
    run: &mut FeedRun,
) -> Result<Step<Parsed>, StoreError> {
    let Feed { store, .. } = *feed;
    match parse_feed(feed, bytes, charset, true).await? {
        ParseEnd::Parsed(parsed) => Ok(Step::Next(*parsed)),
        ParseEnd::Failed(d) => Ok(Step::Done(Box::new(
            fail(store, run, d, feed.options, None).await?,
        ))),
        ParseEnd::Internal(message) => {
            tracing::error!(%message, "feed run failed internally");
            run.outcome = RunOutcome::InternalError;
            run.error = Some(message);
            run.finished_at = now_ms();
            store.record_failed_run(run).await?;
            Ok(Step::Done(Box::new(RunResult::without_diagnostics(
                run.clone(),
            ))))
        }
    }
}

/// Takes the page's writer lock, plans the run's writes from what is stored now and
/// commits them with the run. What the parse looked up is used as it is unless another
/// writer of the page committed since `seen` was read.
async fn commit(
    feed: &Feed<'_>,
    parsed: Parsed,
    seen: PageSeq,
    validators: Option<Validators>,
    run: &mut FeedRun,
) -> Result<RunResult, StoreError> {
    let Feed {
        store, page, kind, ..
    } = *feed;
    let Parsed {
        report,
        mut lookups,
        parse_ms,
        lines,
    } = parsed;
    let started = Instant::now();
    let mut attempt = 1;
    let (mut plan, waited, plan_ms) = loop {
        let mut writer = store.write_page(&page.id).await?;
        let waited = writer.waited();
        if attempt > 1 || writer.changed_since(seen) {
            lookups.forget_heads();
        }
        let planning = Instant::now();
        let planned = async {
            lookups.load_report(&mut writer, &report).await?;
            Ok::<_, StoreError>(update::plan(page, Origin::Feed(kind), &report, &lookups))
        }
        .await;
        let mut plan = match planned {
            Ok(plan) => plan,
            Err(e) => {
                writer.release().await;
                return Err(e);
            }
        };
        plan.writes.feed_items = Some(kept_items::kept_items(kind, &report, &plan, &lines));
        let plan_ms = planning.elapsed().as_millis() as u64;
        run.counts = plan.counts.clone();
        run.outcome = RunOutcome::Ok;
        run.finished_at = now_ms();
        let reschedule = next_due(feed.options, run, None);
        let committed = writer
            .commit_run(
                run,
                &plan.writes,
                &plan.diagnostics,
                validators.as_ref(),
                reschedule.as_ref(),
            )
            .await;
        match committed {
            Ok(_) => break (plan, waited, plan_ms),
            Err(e) if e.is_conflict() && attempt < COMMIT_ATTEMPTS => {
                // A unique key taken by a page whose domain nests in this one's, or a
                // serialization failure: decide again from what is stored now.
                tracing::debug!(attempt, error = %e, "planning the run again");
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    };
    info!(
        run_id = run.id,
        parse_ms,
        lock_wait_ms = waited.as_millis() as u64,
        plan_ms,
        commit_ms = started.elapsed().as_millis() as u64,
        attempts = attempt,
        items = run.counts.items,
        inserted = run.counts.inserted,
        updated = run.counts.updated,
        unchanged = run.counts.unchanged,
        ignored = run.counts.ignored,
        rejected = run.counts.rejected,
        "feed run committed"
    );
    Ok(RunResult {
        run: run.clone(),
        diagnostics: std::mem::take(&mut plan.diagnostics),
        retry_after: None,
        rescheduled: feed.options.reschedule.is_some(),
    })
}

/// The reschedule a claimed run's commit makes, when the run was claimed.
fn next_due(
    options: &RunOptions,
    run: &FeedRun,
    retry_after: Option<Duration>,
) -> Option<Reschedule> {
    options.reschedule.as_ref().map(|f| (f.0)(run, retry_after))
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

/// Records a run whose results could not be committed (docs/ingestion.md, `store_error`): no
/// article changed, outcome `store_error`, in a transaction of its own. When even that
/// fails, the run is logged and kept in memory for `/readyz` and the operator pages.
async fn record_store_error(
    store: &Store,
    mut run: FeedRun,
    e: StoreError,
) -> Result<RunResult, StoreError> {
    run.counts = crate::store::Counts::default();
    run.outcome = RunOutcome::StoreError;
    run.error = Some(format!("the run's results could not be committed: {e}"));
    run.finished_at = now_ms();
    tracing::error!(error = %e, "the run's results could not be committed");
    match store.record_failed_run(&mut run).await {
        Ok(run_id) => {
            warn!(run_id, outcome = "store_error", "feed run failed");
            Ok(RunResult::without_diagnostics(run))
        }
        Err(record) => {
            tracing::error!(error = %record, "the failed run could not be recorded either");
            store.health().unrecorded(UnrecordedRun {
                page_id: run.page_id.clone(),
                feed_url: crate::store::mask_url(&run.feed_url),
                finished_at: run.finished_at,
                error: format!("{e}; recording the run failed too: {record}"),
            });
            Err(record)
        }
    }
}

fn describe_fetch_error(url: &str, e: &FetchError) -> String {
    let shown = crate::store::mask_url(url);
    format!("{shown}: {e}")
}

/// Records a run of `feed_url` refused before fetching (a URL the guard or the
/// configuration does not allow), as a `fetch_error` with `feed-fetch-failed`.
pub async fn record_refusal(
    store: &Store,
    page: &Page,
    feed_url: &str,
    kind: FeedKind,
    message: &str,
) -> Result<RunResult, StoreError> {
    let mut run = FeedRun::start(&page.id, feed_url, kind);
    let d = Diagnostic::new(RuleId::FeedFetchFailed, message, None);
    match fail(store, &mut run, d, &RunOptions::default(), None).await {
        Ok(result) => Ok(result),
        Err(e) => record_store_error(store, run, e).await,
    }
}

/// Records a run that failed as a whole: no article is touched.
async fn fail(
    store: &Store,
    run: &mut FeedRun,
    d: Diagnostic,
    options: &RunOptions,
    retry_after: Option<Duration>,
) -> Result<RunResult, StoreError> {
    run.outcome = outcome_for(d.rule);
    run.error = Some(d.message.clone());
    run.finished_at = now_ms();
    let diagnostics = vec![LoggedDiagnostic::of(&d, None)];
    let reschedule = next_due(options, run, retry_after);
    store
        .commit_run(run, &diagnostics, None, reschedule.as_ref())
        .await?;
    warn!(
        run_id = run.id,
        rule = d.rule.as_str(),
        outcome = run.outcome.as_str(),
        "feed run failed: {}",
        d.message
    );
    Ok(RunResult {
        run: run.clone(),
        diagnostics,
        retry_after: None,
        rescheduled: reschedule.is_some(),
    })
}
