//! One input, end to end through parse and validate: a feed streamed item by item (on one
//! thread or several), or a single article file.

use std::collections::VecDeque;
use std::io::Read;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::rules::feed;
use super::thread_pool;
use super::{ArticleContext, RuleId, Severity, validate_article};
use crate::model::{CanonicalUrl, Diagnostic, Domain, Position};
use crate::parse::feed::ArticleSource;
use crate::parse::feed::{
    FeedItem, FeedRead, ItemFailure, Next, OwnedItemText, ReadItem, first_content_ns,
    read_feed_items,
};
use crate::parse::source::SourceMap;
use crate::parse::{FeedError, InputKind, ParsedArticle, RawItem, decode_html, detect_kind};

/// How to check an input.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// The page's domain, for `canonical-domain-mismatch`.
    pub domain: Option<Domain>,
    /// Zone for offset-less times.
    pub zone: Tz,
    /// Threads that read and check the items of a feed, the one reading the feed included
    /// (1: it alone).
    pub threads: usize,
    /// Time allowed to read and check the whole input.
    pub budget: Option<Duration>,
    /// The `charset` of an HTTP response, if the input came from one.
    pub http_charset: Option<String>,
    /// Keep each article's HTML in its report (for ingestion).
    pub keep_html: bool,
    /// Told each article's canonical URL as soon as the article is checked.
    pub on_canonical: Option<CanonicalTap>,
}

/// A callback told each article's canonical URL as soon as that article is checked, while
/// the rest of the input is still being read: ingestion starts its store lookups with it.
#[derive(Clone)]
pub struct CanonicalTap(Arc<dyn Fn(&CanonicalUrl) + Send + Sync>);

impl CanonicalTap {
    /// A tap calling `f`.
    pub fn new(f: impl Fn(&CanonicalUrl) + Send + Sync + 'static) -> Self {
        CanonicalTap(Arc::new(f))
    }
}

impl std::fmt::Debug for CanonicalTap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CanonicalTap")
    }
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            domain: None,
            zone: crate::model::DEFAULT_ZONE,
            threads: 1,
            budget: Some(Duration::from_secs(10)),
            http_charset: None,
            keep_html: false,
            on_canonical: None,
        }
    }
}

/// An article's verdict: `reject` if any error, else `warn` if any warning, else `pass`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// No diagnostic.
    Pass,
    /// Warnings only: ingested, warnings logged.
    Warn,
    /// At least one error: not ingested.
    Reject,
}

/// The result of checking one article (a feed item, or an article file).
#[derive(Clone, Debug)]
pub struct ArticleReport {
    /// 0-based index among the channel's items (0 for an article file).
    pub index: usize,
    /// The item's trimmed `guid`.
    pub guid: Option<String>,
    /// The resolved canonical URL (its exact string is the article's identity).
    pub canonical_url: Option<CanonicalUrl>,
    /// Line of the `<item>` start tag (1 for an article file).
    pub line: u32,
    /// Position of the `<item>` start tag (1:1 for an article file).
    pub position: Position,
    /// Diagnostics, in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// The parsed `op-modified` instant.
    pub op_modified: Option<DateTime<Utc>>,
    /// The parsed `op-published` instant.
    pub op_published: Option<DateTime<Utc>>,
    /// Text of the header title.
    pub title: Option<String>,
    /// The item link, trimmed.
    pub link: Option<String>,
    /// The item's `<title>`, whitespace collapsed (feed items only).
    pub item_title: Option<String>,
    /// The article HTML as received (only with [`CheckOptions::keep_html`]).
    pub html: Option<String>,
    /// Raw feed bytes of the item.
    pub bytes: u64,
}

impl ArticleReport {
    /// A report with no diagnostic and nothing read yet, at the start of the input.
    fn empty() -> Self {
        ArticleReport {
            index: 0,
            guid: None,
            canonical_url: None,
            line: 1,
            position: Position::START,
            diagnostics: Vec::new(),
            op_modified: None,
            op_published: None,
            title: None,
            link: None,
            item_title: None,
            html: None,
            bytes: 0,
        }
    }

    /// The verdict of its diagnostics.
    pub fn verdict(&self) -> Verdict {
        if self
            .diagnostics
            .iter()
            .any(|d| d.severity() == Severity::Error)
        {
            Verdict::Reject
        } else if self.diagnostics.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Warn
        }
    }

    /// `true` when no error-level diagnostic applies.
    pub fn is_error_free(&self) -> bool {
        !self.diagnostics.iter().any(|d| d.is_error())
    }
}

/// The result of checking one input.
#[derive(Clone, Debug)]
pub struct InputReport {
    /// `feed` or `article`.
    pub kind: InputKind,
    /// Feed-level diagnostics.
    pub diagnostics: Vec<Diagnostic>,
    /// Every item's (or the article's) report, in order; empty when the feed failed.
    pub articles: Vec<ArticleReport>,
    /// Bytes of the input read, up to where reading stopped.
    pub bytes: u64,
}

impl InputReport {
    /// A report for an input that failed as a whole with `rule`.
    pub fn failed(
        kind: InputKind,
        rule: RuleId,
        message: impl Into<String>,
        position: Option<Position>,
    ) -> Self {
        InputReport {
            kind,
            diagnostics: vec![Diagnostic::new(rule, message, position)],
            articles: Vec::new(),
            bytes: 0,
        }
    }

    /// `true` when a feed-level error failed the input.
    pub fn failed_as_a_whole(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }

    /// Every diagnostic of the input, feed-level first.
    pub fn all_diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .chain(self.articles.iter().flat_map(|a| a.diagnostics.iter()))
    }
}

/// Checks one input: `head` is its first bytes (already read, for content detection) and
/// `rest` the remainder.
pub fn check_input<R: Read>(head: Vec<u8>, rest: R, options: &CheckOptions) -> InputReport {
    match detect_kind(&head) {
        InputKind::Article => check_article_file(head, rest, options),
        InputKind::Feed => check_feed(head, rest, options),
    }
}

impl Verdict {
    /// The verdict of these diagnostics.
    pub fn of<'a>(diagnostics: impl IntoIterator<Item = &'a Diagnostic>) -> Verdict {
        let mut verdict = Verdict::Pass;
        for d in diagnostics {
            if d.is_error() {
                return Verdict::Reject;
            }
            verdict = Verdict::Warn;
        }
        verdict
    }
}

/// Checks one article given as text, the way a feed item's `content:encoded` is checked
/// (without the item rules, there being no item): what imports and manual edits store.
/// Positions are the text's own lines and columns.
pub fn check_article_text(html: &str, options: &CheckOptions) -> InputReport {
    let source = ArticleSource {
        html: html.to_string(),
        map: SourceMap::verbatim(Position::START),
    };
    let mut report = check_article(source, None, options);
    report.line = 1;
    report.bytes = html.len() as u64;
    if let (Some(tap), Some(canonical)) = (&options.on_canonical, &report.canonical_url) {
        (tap.0)(canonical);
    }
    InputReport {
        kind: InputKind::Article,
        diagnostics: Vec::new(),
        articles: vec![report],
        bytes: html.len() as u64,
    }
}

fn check_article_file<R: Read>(
    mut head: Vec<u8>,
    mut rest: R,
    options: &CheckOptions,
) -> InputReport {
    if let Err(e) = rest.read_to_end(&mut head) {
        return InputReport::failed(
            InputKind::Article,
            RuleId::FeedFetchFailed,
            format!("reading failed: {e}"),
            None,
        );
    }
    let bytes = head.len() as u64;
    let (html, _) = decode_html(&head);
    drop(head);
    let source = ArticleSource {
        html,
        map: SourceMap::verbatim(Position::START),
    };
    let mut report = check_article(source, None, options);
    report.line = 1;
    report.bytes = bytes;
    InputReport {
        kind: InputKind::Article,
        diagnostics: Vec::new(),
        articles: vec![report],
        bytes,
    }
}

/// Parses and validates one article, with its item's fields when it came from a feed.
fn check_article(
    source: ArticleSource,
    item: Option<&RawItem>,
    options: &CheckOptions,
) -> ArticleReport {
    let mut parsed = ParsedArticle::parse(source, options.zone);
    let cx = ArticleContext {
        item,
        domain: options.domain.as_ref(),
        zone: options.zone,
    };
    let (diagnostics, canonical) = validate_article(&parsed, cx);
    let header = &parsed.ia.header;
    let title = header.titles.first().map(|h| {
        parsed
            .dom
            .text(*h)
            .split(|c: char| c.is_whitespace() || c == '\u{a0}')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    });
    let op_modified = header.modified_time().map(|t| t.instant);
    let op_published = header.published_time().map(|t| t.instant);
    // The parse is done with the text: hand it over rather than copy it.
    let html = options
        .keep_html
        .then(|| std::mem::take(&mut parsed.source.html));
    ArticleReport {
        canonical_url: canonical,
        diagnostics,
        op_modified,
        op_published,
        title,
        html,
        ..ArticleReport::empty()
    }
}

/// Checks one feed item: item rules, then the article; tells the tap its canonical URL.
fn check_item(mut item: RawItem, options: &CheckOptions) -> ArticleReport {
    let (mut item_diags, content_ok) = super::rules::item::check(&item, options.zone);
    let source = item.content.take();
    let mut report = match source {
        Some(source) if content_ok => check_article(source, Some(&item), options),
        _ => ArticleReport::empty(),
    };
    report.index = item.index;
    report.line = item.position.line;
    report.position = item.position;
    report.bytes = item.bytes;
    report.guid = item
        .guid
        .as_ref()
        .map(|g| g.text.trim().to_string())
        .filter(|g| !g.is_empty());
    report.link = item.link.as_ref().map(|l| l.text.trim().to_string());
    report.item_title = item
        .title
        .as_ref()
        .map(|t| t.text.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty());
    item_diags.append(&mut report.diagnostics);
    item_diags.sort_by_key(|d| d.position);
    report.diagnostics = item_diags;
    if let (Some(tap), Some(canonical)) = (&options.on_canonical, &report.canonical_url) {
        (tap.0)(canonical);
    }
    report
}

fn check_feed<R: Read>(head: Vec<u8>, rest: R, options: &CheckOptions) -> InputReport {
    let mut budget = Budget::start(options.budget);
    let (checked, read) = if options.threads <= 1 {
        let mut checked = Checked::default();
        let read = read_feed_items(head, rest, options.http_charset.as_deref(), |item| {
            if budget.spent() {
                return read_on_unchecked(item);
            }
            let job = match item {
                FeedItem::Read(item) => Job::Read(item),
                FeedItem::Text(text) => match text.read() {
                    Ok(read) => Job::Parsed(read),
                    Err(failure) => {
                        checked.fail(text.index(), failure);
                        return Next::Stop;
                    }
                },
            };
            checked.check(job, options, None);
            Next::Continue
        });
        (checked, read)
    } else {
        check_in_parallel(head, rest, options, &mut budget)
    };
    if budget.spent() {
        return InputReport {
            bytes: read.bytes,
            ..budget.exceeded()
        };
    }
    let Checked {
        mut reports,
        content_ns,
        failed,
    } = checked;
    // A feed error inside an item's text comes before anything the reader met after it.
    let (result, bytes) = match failed {
        Some((_, failure)) => (Err(failure.error), failure.bytes),
        None => (
            read.channel
                .expect("the reader stops only at a failed item"),
            read.bytes,
        ),
    };
    let mut channel = match result {
        Ok(channel) => channel,
        Err(e) => {
            let (rule, message, position) = feed_error_diagnostic(e);
            return InputReport {
                bytes,
                ..InputReport::failed(InputKind::Feed, rule, message, position)
            };
        }
    };
    first_content_ns(&mut channel.nonstandard_content_ns, content_ns);
    reports.sort_by_key(|r| r.index);
    feed::mark_duplicates(&mut reports);
    for r in &mut reports {
        r.diagnostics.sort_by_key(|d| d.position);
    }
    InputReport {
        kind: InputKind::Feed,
        diagnostics: feed::check_channel(&channel),
        articles: reports,
        bytes: read.bytes,
    }
}

/// Once the budget is spent nothing more is checked, but the feed is read on to its end (as
/// far as it is well-formed) as before: by the reader, which reads every further item itself.
fn read_on_unchecked(item: FeedItem<'_>) -> Next {
    match item {
        FeedItem::Read(_) => Next::ReadItself,
        FeedItem::Text(text) => match text.read() {
            Ok(_) => Next::ReadItself,
            Err(_) => Next::Stop,
        },
    }
}

/// Checks the feed's items on `options.threads` threads: this one reads the feed and cuts
/// each item's text out of it; every thread (this one too, whenever the queue is full, and
/// once the feed is read) takes items from the queue, reads them and checks them. The other
/// threads are borrowed from the process's pool ([`super::thread_pool`]).
fn check_in_parallel<R: Read>(
    head: Vec<u8>,
    rest: R,
    options: &CheckOptions,
    budget: &mut Budget,
) -> (Checked, FeedRead) {
    let queue = Arc::new(Queue::new(options.threads * 4));
    let shared = Arc::new(options.clone());
    let (done, results) = mpsc::channel();
    let mut helpers = 0;
    for _ in 1..options.threads {
        let (queue, options, done) = (queue.clone(), shared.clone(), done.clone());
        let started = thread_pool::run(Box::new(move || {
            // A panic is handed over (the jobs this thread leaves are checked by the reading
            // thread once the feed is read) and raised again there; the pooled thread lives on.
            let checked = std::panic::catch_unwind(AssertUnwindSafe(|| {
                let mut checked = Checked::default();
                while let Some(job) = queue.pop() {
                    checked.check(job, &options, Some(&queue));
                }
                checked
            }));
            let _ = done.send(checked);
        }));
        if !started {
            // No thread to be had: this one does the rest of the work.
            break;
        }
        helpers += 1;
    }
    // However this thread leaves (a panic included), the helpers are let go.
    let _closing = CloseOnDrop(&queue);
    let mut checked = Checked::default();
    let read = read_feed_items(head, rest, options.http_charset.as_deref(), |item| {
        if queue.failed_before(usize::MAX) {
            // The feed fails at an item already cut out: its error is the feed's.
            return Next::Stop;
        }
        if budget.spent() {
            return read_on_unchecked(item);
        }
        if queue.is_full() {
            // Every other thread has work waiting: take this item here, read in place (this
            // thread alone queues items, so the queue cannot fill up meanwhile).
            let job = match item {
                FeedItem::Read(item) => Job::Read(item),
                FeedItem::Text(text) => match text.read() {
                    Ok(read) => Job::Parsed(read),
                    Err(failure) => {
                        queue.fail(text.index());
                        checked.fail(text.index(), failure);
                        return Next::Stop;
                    }
                },
            };
            checked.check(job, options, Some(&queue));
            return Next::Continue;
        }
        let job = match item {
            FeedItem::Read(item) => Job::Read(item),
            FeedItem::Text(text) => Job::Text(text.to_owned_in(queue.buffer())),
        };
        if let Some(job) = queue.push(job) {
            checked.check(job, options, Some(&queue));
        }
        Next::Continue
    });
    queue.close();
    while let Some(job) = queue.pop() {
        checked.check(job, options, Some(&queue));
    }
    let mut panicked = None;
    for result in results.iter().take(helpers) {
        match result {
            Ok(other) => checked.merge(other),
            Err(panic) => panicked = Some(panic),
        }
    }
    if let Some(panic) = panicked {
        std::panic::resume_unwind(panic);
    }
    (checked, read)
}

/// Closes a queue when dropped.
struct CloseOnDrop<'a>(&'a Queue);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// An item to check.
enum Job {
    /// Read by the feed reader.
    Read(RawItem),
    /// Read from its text.
    Parsed(ReadItem),
    /// Its text, still to read.
    Text(OwnedItemText),
}

/// What one thread checked.
#[derive(Default)]
struct Checked {
    reports: Vec<ArticleReport>,
    /// The first near-miss content namespace used by an item read from its text.
    content_ns: Option<(String, Position)>,
    /// The first item whose text failed to read, and why.
    failed: Option<(usize, ItemFailure)>,
}

impl Checked {
    /// Reads (if need be) and checks one item.
    fn check(&mut self, job: Job, options: &CheckOptions, queue: Option<&Queue>) {
        let item = match job {
            Job::Read(item) => item,
            Job::Parsed(read) => {
                first_content_ns(&mut self.content_ns, read.content_ns);
                read.item
            }
            Job::Text(text) => {
                let index = text.index();
                if queue.is_some_and(|q| q.failed_before(index)) {
                    // Not needed: the feed fails at an earlier item.
                    return;
                }
                let read = text.read();
                if let Some(queue) = queue {
                    queue.recycle(text.into_buffer());
                }
                match read {
                    Ok(read) => {
                        first_content_ns(&mut self.content_ns, read.content_ns);
                        read.item
                    }
                    Err(failure) => {
                        if let Some(queue) = queue {
                            queue.fail(index);
                        }
                        self.fail(index, failure);
                        return;
                    }
                }
            }
        };
        self.reports.push(check_item(item, options));
    }

    /// Item `index` failed to read.
    fn fail(&mut self, index: usize, failure: ItemFailure) {
        if self.failed.as_ref().is_none_or(|(i, _)| index < *i) {
            self.failed = Some((index, failure));
        }
    }

    fn merge(&mut self, other: Checked) {
        self.reports.extend(other.reports);
        first_content_ns(&mut self.content_ns, other.content_ns);
        if let Some((index, failure)) = other.failed {
            self.fail(index, failure);
        }
    }
}

/// The items waiting for a check thread, with spare text buffers.
struct Queue {
    state: Mutex<QueueState>,
    ready: Condvar,
    capacity: usize,
    /// The lowest index of an item whose text failed to read (`usize::MAX`: none).
    failed: AtomicUsize,
}

struct QueueState {
    jobs: VecDeque<Job>,
    /// Threads waiting for a job.
    waiting: usize,
    closed: bool,
    buffers: Vec<String>,
}

impl Queue {
    fn new(capacity: usize) -> Self {
        Queue {
            state: Mutex::new(QueueState {
                jobs: VecDeque::with_capacity(capacity),
                waiting: 0,
                closed: false,
                buffers: Vec::new(),
            }),
            ready: Condvar::new(),
            capacity,
            failed: AtomicUsize::new(usize::MAX),
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `true` when the queue holds as many jobs as it may.
    fn is_full(&self) -> bool {
        self.lock().jobs.len() >= self.capacity
    }

    /// Queues `job`, or hands it back when the queue is full.
    fn push(&self, job: Job) -> Option<Job> {
        let mut state = self.lock();
        if state.jobs.len() >= self.capacity {
            return Some(job);
        }
        state.jobs.push_back(job);
        if state.waiting > 0 {
            self.ready.notify_one();
        }
        None
    }

    /// The next job, waiting for one; `None` once the queue is closed and empty.
    fn pop(&self) -> Option<Job> {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.jobs.pop_front() {
                return Some(job);
            }
            if state.closed {
                return None;
            }
            state.waiting += 1;
            state = self.ready.wait(state).unwrap_or_else(|e| e.into_inner());
            state.waiting -= 1;
        }
    }

    /// No more jobs will come.
    fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    /// A spare buffer for an item's text.
    fn buffer(&self) -> String {
        self.lock().buffers.pop().unwrap_or_default()
    }

    /// Keeps a text buffer for a later item (as many as the queue can hold).
    fn recycle(&self, buffer: String) {
        let mut state = self.lock();
        if state.buffers.len() < self.capacity {
            state.buffers.push(buffer);
        }
    }

    /// Item `index` failed to read.
    fn fail(&self, index: usize) {
        self.failed.fetch_min(index, Ordering::Relaxed);
    }

    /// `true` when an item before `index` failed to read.
    fn failed_before(&self, index: usize) -> bool {
        self.failed.load(Ordering::Relaxed) < index
    }
}

/// The feed-level rule, message and position of a feed that could not be read.
fn feed_error_diagnostic(e: FeedError) -> (RuleId, String, Option<Position>) {
    match e {
        FeedError::NotWellFormed { message, position } => {
            (RuleId::FeedNotWellFormed, message, position)
        }
        FeedError::NotRss { message, position } => (RuleId::FeedNotRss, message, position),
        FeedError::Io(message) => (RuleId::FeedFetchFailed, message, None),
    }
}

/// The time allowed to read and check one input (`feed-parse-budget-exceeded`).
struct Budget {
    limit: Option<Duration>,
    started: Instant,
    spent: bool,
}

impl Budget {
    /// A budget of `limit` (none: unlimited), running from now.
    fn start(limit: Option<Duration>) -> Self {
        Budget {
            limit,
            started: Instant::now(),
            spent: false,
        }
    }

    /// `true` once the time is up; it stays up.
    fn spent(&mut self) -> bool {
        if !self.spent {
            self.spent = self.limit.is_some_and(|b| self.started.elapsed() > b);
        }
        self.spent
    }

    /// The report of an input that was not read and checked within the budget.
    fn exceeded(&self) -> InputReport {
        InputReport::failed(
            InputKind::Feed,
            RuleId::FeedParseBudgetExceeded,
            format!(
                "the feed was not read and checked within the {} s budget",
                self.limit.unwrap_or_default().as_secs_f64()
            ),
            None,
        )
    }
}
