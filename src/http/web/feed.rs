//! The Feed tab's content and the run pages: for each feed of a page, its newest run and
//! the items its latest run that read it rejected or found with warnings (title, guid,
//! link, canonical URL, each diagnostic with the feed's lines around it), whatever the
//! other feed did since; the run history a screen at a time; `/pages/{id}/runs/{run}` with
//! everything one run found.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::views::{Chrome, DiagnosticView, Time, count, crumb, here, q, segment};
use super::{WebError, WebSession, render};
use crate::http::AppState;
use crate::registry::{RuleId, Severity};
use crate::service::feeds::FeedNow;
use crate::service::views::{RunDiagnosticView, RunView};
use crate::store::{FeedKind, ItemVerdict, KeptItem};

/// A run as a row of the history shows it.
pub struct RunRow {
    /// Run id.
    pub id: i64,
    /// Its page.
    pub href: String,
    /// `production` or `development`.
    pub feed: String,
    /// Outcome.
    pub outcome: String,
    /// `ok` or `failing`, for the badge.
    pub outcome_class: &'static str,
    /// When it finished.
    pub finished: Time,
    /// Counts: items, inserted, updated, unchanged, ignored, rejected.
    pub counts: [u64; 6],
    /// The feed-level error.
    pub error: Option<String>,
}

impl RunRow {
    /// A run of the page at `base` (`/pages/{id}`).
    pub fn of(base: &str, r: &RunView) -> RunRow {
        RunRow {
            id: r.run_id,
            href: format!("{base}/runs/{}", r.run_id),
            feed: r.feed.as_str().to_string(),
            outcome: r.outcome.as_str().to_string(),
            outcome_class: if r.outcome.is_success() {
                "ok"
            } else {
                "failing"
            },
            finished: Time::from(r.finished_at),
            counts: [
                r.items,
                r.inserted,
                r.updated,
                r.unchanged,
                r.ignored,
                r.rejected,
            ],
            error: r.error.clone(),
        }
    }
}

/// An item a run kept, as a card shows it.
pub struct ItemCard {
    /// Its title, or what stands for it.
    pub title: String,
    /// Whether it had a title.
    pub titled: bool,
    /// Its guid.
    pub guid: Option<String>,
    /// Its link.
    pub link: Option<String>,
    /// Its canonical URL.
    pub canonical_url: Option<String>,
    /// The line of its `<item>` in the feed.
    pub line: i64,
    /// What the run did with it, in words.
    pub outcome: String,
    /// Its errors, then its warnings.
    pub diagnostics: Vec<DiagnosticView>,
    /// `error` or `warning`: the worst.
    pub severity: &'static str,
    /// The checker with its HTML, when kept.
    pub check_href: Option<String>,
    /// The stored article, for an item that is one.
    pub article_href: Option<String>,
}

fn outcome_words(item: &KeptItem) -> String {
    let rule = item
        .diagnostics
        .iter()
        .find(|d| d.severity == "error")
        .or_else(|| item.diagnostics.first())
        .map(|d| d.rule.as_str())
        .unwrap_or_default();
    match item.action.as_str() {
        "reject" => "rejected: not stored".to_string(),
        "ignore" if rule == "feed-duplicate-canonical" => {
            "ignored: a later item of the feed has the same canonical URL".to_string()
        }
        "ignore" if rule.starts_with("update-") => {
            format!("ignored: the stored version stays ({rule})")
        }
        "ignore" => "ignored: the development feed never changes a live article".to_string(),
        "insert" => "stored as a new article, with warnings".to_string(),
        "update" => "stored as a new revision, with warnings".to_string(),
        "make_live" => "made live, with warnings".to_string(),
        _ => "unchanged, with warnings".to_string(),
    }
}

impl ItemCard {
    /// The card of an item of `page`'s `kind` feed.
    pub fn of(page_id: &str, kind: FeedKind, item: &KeptItem) -> ItemCard {
        let mut diagnostics: Vec<DiagnosticView> = item
            .diagnostics
            .iter()
            .map(DiagnosticView::of_kept)
            .collect();
        diagnostics.sort_by_key(|d| d.severity != "error");
        let titled = item.title.is_some();
        let title = item.title.clone().unwrap_or_else(|| {
            format!(
                "Item {} (feed line {}), without a title",
                item.index + 1,
                item.line
            )
        });
        ItemCard {
            title,
            titled,
            guid: item.guid.clone(),
            link: item.link.clone(),
            canonical_url: item.canonical_url.clone(),
            line: item.line,
            outcome: outcome_words(item),
            severity: if item.verdict == ItemVerdict::Rejected {
                "error"
            } else {
                "warning"
            },
            diagnostics,
            check_href: item.has_html.then(|| {
                format!(
                    "/check?page={}&feed={}&item={}",
                    q(page_id),
                    kind.as_str(),
                    item.index
                )
            }),
            article_href: (item.verdict == ItemVerdict::Warned
                && matches!(
                    item.action.as_str(),
                    "insert" | "update" | "make_live" | "unchanged"
                ))
            .then_some(item.canonical_url.as_ref())
            .flatten()
            .map(|u| format!("/articles?url={}", q(u))),
        }
    }
}

/// One feed as the Feed tab shows it.
pub struct FeedPanel {
    /// "Production" or "Development".
    pub label: &'static str,
    /// `production` or `development` (ids and anchors).
    pub kind: &'static str,
    /// Its URL, masked; none when the page no longer has this feed.
    pub url: Option<String>,
    /// Its newest run.
    pub latest: Option<RunRow>,
    /// The run whose items are shown, and when it read the feed.
    pub checked: Option<(i64, String, Time)>,
    /// That run's feed-level diagnostics.
    pub feed_diagnostics: Vec<DiagnosticView>,
    /// "4 rejected items".
    pub rejected_count: String,
    /// Rejected items.
    pub rejected: Vec<ItemCard>,
    /// Rejected items not kept (past the bounds).
    pub rejected_more: i64,
    /// "2 items with warnings".
    pub warned_count: String,
    /// Items with warnings.
    pub warned: Vec<ItemCard>,
    /// Items with warnings not kept.
    pub warned_more: i64,
}

impl FeedPanel {
    /// The panel of one feed of the page at `base`.
    pub fn of(page_id: &str, base: &str, f: &FeedNow) -> FeedPanel {
        let (label, kind) = match f.kind {
            FeedKind::Production => ("Production", "production"),
            FeedKind::Development => ("Development", "development"),
        };
        let mut panel = FeedPanel {
            label,
            kind,
            url: f.url.clone(),
            latest: f.latest_run.as_ref().map(|r| RunRow::of(base, r)),
            checked: None,
            feed_diagnostics: Vec::new(),
            rejected_count: String::new(),
            rejected: Vec::new(),
            rejected_more: 0,
            warned_count: String::new(),
            warned: Vec::new(),
            warned_more: 0,
        };
        if let Some(set) = &f.items {
            panel.checked = Some((
                set.run_id,
                format!("{base}/runs/{}", set.run_id),
                Time::from(crate::model::Timestamp(set.checked_at)),
            ));
            panel.feed_diagnostics = set
                .feed_diagnostics
                .iter()
                .map(DiagnosticView::of_kept)
                .collect();
            for item in &set.items {
                let card = ItemCard::of(page_id, f.kind, item);
                match item.verdict {
                    ItemVerdict::Rejected => panel.rejected.push(card),
                    ItemVerdict::Warned => panel.warned.push(card),
                }
            }
            panel.rejected_more = set.rejected - panel.rejected.len() as i64;
            panel.warned_more = set.warned - panel.warned.len() as i64;
            panel.rejected_count = count(set.rejected, "rejected item", "rejected items");
            panel.warned_count = count(set.warned, "item with warnings", "items with warnings");
        }
        panel
    }
}

/// A run's page.
#[derive(Template)]
#[template(path = "run.html")]
pub struct RunPage {
    chrome: Chrome,
    run: RunRow,
    feed_url: String,
    http_status: Option<u16>,
    started: Time,
    bytes: u64,
    feed_diagnostics: Vec<DiagnosticView>,
    items: Vec<RunItem>,
    back: String,
    latest_of_feed: bool,
}

/// What a run found about one item.
pub struct RunItem {
    /// Its title (from the kept items) or its canonical URL, or what stands for it.
    pub label: String,
    /// Its canonical URL.
    pub canonical_url: Option<String>,
    /// Its guid, when known.
    pub guid: Option<String>,
    /// `error` when it was rejected.
    pub severity: &'static str,
    /// Its diagnostics.
    pub diagnostics: Vec<DiagnosticView>,
    /// Where to look further.
    pub check_href: Option<String>,
}

/// `GET /pages/{id}/runs/{run}`.
pub async fn run_page(
    State(state): State<AppState>,
    session: WebSession,
    Path((id, run_id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let caller = &session.caller;
    let page = state.service.page(caller, &id).await?;
    let detail = state.service.run(caller, run_id).await?;
    if detail.run.page_id != page.page_id {
        return Err(WebError::not_found());
    }
    let base = format!("/pages/{}", segment(&id));
    let run = &detail.run;
    // The kept items name the items of the feed's latest run that read it.
    let feeds = state.service.feeds_now(caller, &id).await?;
    let kept: Vec<&KeptItem> = feeds
        .iter()
        .filter(|f| f.kind == run.feed)
        .filter_map(|f| f.items.as_ref())
        .filter(|s| s.run_id == run.run_id)
        .flat_map(|s| s.items.iter())
        .collect();
    let latest_of_feed = feeds
        .iter()
        .any(|f| f.kind == run.feed && f.latest_run.as_ref().map(|r| r.run_id) == Some(run_id));
    let (feed_diagnostics, items) = group_by_item(&id, run.feed, &detail.diagnostics, &kept);
    let title = format!("Run {run_id}");
    Ok(render(&RunPage {
        chrome: session.chrome(vec![
            crumb("Pages", "/"),
            crumb(page.name.clone(), base.clone()),
            crumb("Feed", format!("{base}?tab=feed")),
            here(title),
        ]),
        run: RunRow::of(&base, run),
        feed_url: run.feed_url.clone(),
        http_status: run.http_status,
        started: Time::from(run.started_at),
        bytes: run.bytes,
        feed_diagnostics,
        items,
        back: format!("{base}?tab=feed"),
        latest_of_feed,
    }))
}

/// A run's diagnostics: the feed's own, and the rest grouped by item (rejected first).
fn group_by_item(
    page_id: &str,
    kind: FeedKind,
    diagnostics: &[RunDiagnosticView],
    kept: &[&KeptItem],
) -> (Vec<DiagnosticView>, Vec<RunItem>) {
    let mut feed = Vec::new();
    let mut items: Vec<RunItem> = Vec::new();
    for d in diagnostics {
        let scope = d.rule.parse::<RuleId>().map(|r| r.group().scope());
        let item_level = d.canonical_url.is_some() || matches!(scope, Ok(s) if s != "feed");
        if !item_level {
            feed.push(DiagnosticView::of_run(d, None));
            continue;
        }
        let known = kept.iter().find(|k| {
            k.canonical_url.is_some() && k.canonical_url == d.canonical_url
                || k.canonical_url.is_none()
                    && d.canonical_url.is_none()
                    && k.diagnostics.iter().any(|kd| kd.line == d.line)
        });
        let label = match (known.and_then(|k| k.title.clone()), &d.canonical_url) {
            (Some(t), _) => t,
            (None, Some(u)) => u.clone(),
            (None, None) => match d.line {
                Some(l) => format!("An item without a canonical URL (problem at feed line {l})"),
                None => "An item without a canonical URL".to_string(),
            },
        };
        let view = match known.and_then(|k| {
            k.diagnostics
                .iter()
                .find(|kd| kd.rule == d.rule && kd.line == d.line)
        }) {
            Some(kd) => DiagnosticView::of_kept(kd),
            None => DiagnosticView::of_run(d, None),
        };
        let error = d.severity == Severity::Error;
        match items.iter_mut().find(|i| i.label == label) {
            Some(i) => {
                if error {
                    i.severity = "error";
                }
                i.diagnostics.push(view);
            }
            None => items.push(RunItem {
                label,
                canonical_url: d.canonical_url.clone(),
                guid: known.and_then(|k| k.guid.clone()),
                severity: if error { "error" } else { "warning" },
                diagnostics: vec![view],
                check_href: known.filter(|k| k.has_html).map(|k| {
                    format!(
                        "/check?page={}&feed={}&item={}",
                        q(page_id),
                        kind.as_str(),
                        k.index
                    )
                }),
            }),
        }
    }
    for i in &mut items {
        i.diagnostics.sort_by_key(|d| d.severity != "error");
    }
    items.sort_by_key(|i| i.severity != "error");
    (feed, items)
}
