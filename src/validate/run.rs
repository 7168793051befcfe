//! One input, end to end through parse and validate: a feed streamed item by item (on one
//! thread or several), or a single article file.

use std::io::Read;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::rules::feed;
use super::{ArticleContext, RuleId, Severity, validate_article};
use crate::model::{CanonicalUrl, Diagnostic, Domain, Position};
use crate::parse::feed::ArticleSource;
use crate::parse::source::SourceMap;
use crate::parse::{
    ChannelInfo, FeedError, InputKind, ParsedArticle, RawItem, decode_html, detect_kind, read_feed,
};

/// How to check an input.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// The page's domain, for `canonical-domain-mismatch`.
    pub domain: Option<Domain>,
    /// Zone for offset-less times.
    pub zone: Tz,
    /// Worker threads for article checks (1 = on the reading thread).
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    let mut reports: Vec<ArticleReport> = Vec::new();
    let (result, bytes) = if options.threads <= 1 {
        read_items(head, rest, options, &mut budget, |item| {
            reports.push(check_item(item, options));
        })
    } else {
        let (tx, rx) = mpsc::sync_channel::<RawItem>(options.threads * 4);
        let rx = Arc::new(Mutex::new(rx));
        let (out_tx, out_rx) = mpsc::channel::<ArticleReport>();
        std::thread::scope(|scope| {
            for _ in 0..options.threads {
                let rx = Arc::clone(&rx);
                let out_tx = out_tx.clone();
                scope.spawn(move || {
                    loop {
                        let next = rx.lock().map(|r| r.recv());
                        let Ok(Ok(item)) = next else { break };
                        if out_tx.send(check_item(item, options)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(out_tx);
            let read = read_items(head, rest, options, &mut budget, |item| {
                let _ = tx.send(item);
            });
            drop(tx);
            reports.extend(out_rx.iter());
            read
        })
    };
    if budget.spent() {
        return InputReport {
            bytes,
            ..budget.exceeded()
        };
    }
    let channel = match result {
        Ok(channel) => channel,
        Err(e) => {
            let (rule, message, position) = feed_error_diagnostic(e);
            return InputReport {
                bytes,
                ..InputReport::failed(InputKind::Feed, rule, message, position)
            };
        }
    };
    reports.sort_by_key(|r| r.index);
    feed::mark_duplicates(&mut reports);
    for r in &mut reports {
        r.diagnostics.sort_by_key(|d| d.position);
    }
    InputReport {
        kind: InputKind::Feed,
        diagnostics: feed::check_channel(&channel),
        articles: reports,
        bytes,
    }
}

/// Reads the feed, handing each item to `on_item` until the budget is spent; returns the
/// channel (or why the feed could not be read) and the number of bytes read.
fn read_items<R: Read>(
    head: Vec<u8>,
    rest: R,
    options: &CheckOptions,
    budget: &mut Budget,
    mut on_item: impl FnMut(RawItem),
) -> (Result<ChannelInfo, FeedError>, u64) {
    let head_len = head.len() as u64;
    let mut reader = CountingReader {
        inner: rest,
        count: 0,
    };
    let result = read_feed(head, &mut reader, options.http_charset.as_deref(), |item| {
        if !budget.spent() {
            on_item(item);
        }
    });
    (result, head_len + reader.count)
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

struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}
