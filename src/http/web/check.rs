//! `/check`: check something new without storing it — an article's HTML pasted in (as an
//! item of one of the user's pages, or without a page), a feed's text pasted in or its file
//! uploaded, or a page's feed fetched now — with the same diagnostics view as everywhere, and for a feed
//! what each item would do (a dry run against the store: nothing is written). A rejected
//! item of the Feed tab opens here with its HTML (`?page=…&feed=…&item=…`).

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::views::{Chrome, DiagnosticView, count, crumb, here};
use super::{WebError, WebForm, WebQuery, WebSession, render};
use crate::http::AppState;
use crate::ingest::DryRun;
use crate::ingest::update::Would;
use crate::model::Diagnostic;
use crate::registry::Severity;
use crate::service::ServiceError;
use crate::service::articles::DryRunInput;
use crate::store::FeedKind;

/// A page the user can pick.
pub struct PageChoice {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Whether it is picked.
    pub selected: bool,
}

/// One item of a dry run.
pub struct ItemRow {
    /// 1-based position in the feed.
    pub number: usize,
    /// Its canonical URL, or what stands for it.
    pub label: String,
    /// What the run would do, in words.
    pub would: &'static str,
    /// `error`, `warning` or `ok`.
    pub class: &'static str,
    /// "1 error, 0 warnings".
    pub counts: String,
    /// Its diagnostics.
    pub diagnostics: Vec<DiagnosticView>,
}

/// What a check found.
pub struct Outcome {
    /// What was checked, in words.
    pub what: String,
    /// One sentence: the verdict.
    pub verdict: String,
    /// `error`, `warning` or `ok`.
    pub class: &'static str,
    /// Diagnostics (of the HTML, or of the feed as a whole).
    pub diagnostics: Vec<DiagnosticView>,
    /// A dry run's items.
    pub items: Vec<ItemRow>,
}

/// The check page.
#[derive(Template)]
#[template(path = "check.html")]
pub struct CheckPage {
    chrome: Chrome,
    form_token: String,
    pages: Vec<PageChoice>,
    /// When the user has too many pages to list: the page is typed by its id (this one
    /// filled in).
    typed_page: Option<String>,
    development: bool,
    html: String,
    feed_text: String,
    outcome: Option<Outcome>,
    problem: Option<String>,
}

/// `?page=&feed=&item=`: a kept item to open.
#[derive(Deserialize, Default)]
pub struct CheckQuery {
    page: Option<String>,
    feed: Option<String>,
    item: Option<i64>,
}

/// The check forms.
#[derive(Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    form_token: String,
    mode: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    feed: String,
    #[serde(default)]
    html: String,
    #[serde(default)]
    feed_text: String,
}

/// Up to this many pages, a page is picked from a list; past it, typed by its id.
const PICK_FROM_LIST_UP_TO: i64 = 100;

fn kind_of(s: &str) -> FeedKind {
    if s == "development" {
        FeedKind::Development
    } else {
        FeedKind::Production
    }
}

async fn check_page(
    state: &AppState,
    session: &WebSession,
    picked: Option<&str>,
) -> Result<CheckPage, WebError> {
    let pages = state
        .service
        .pages(&session.caller, None, PICK_FROM_LIST_UP_TO + 1, false)
        .await?;
    // A list of thousands of pages is no way to pick one (and costs the page its speed):
    // past a screenful the page is typed by its id.
    let typed = pages.items.len() as i64 > PICK_FROM_LIST_UP_TO;
    Ok(CheckPage {
        chrome: session.chrome(vec![crumb("Pages", "/"), here("Check")]),
        form_token: session.form_token.clone(),
        pages: if typed {
            Vec::new()
        } else {
            pages
                .items
                .iter()
                .map(|p| PageChoice {
                    selected: picked == Some(p.page_id.as_str()),
                    id: p.page_id.clone(),
                    name: p.name.clone(),
                })
                .collect()
        },
        typed_page: typed.then(|| picked.unwrap_or_default().to_string()),
        development: false,
        html: String::new(),
        feed_text: String::new(),
        outcome: None,
        problem: None,
    })
}

fn severity_counts(diagnostics: &[Diagnostic]) -> (i64, i64) {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count() as i64;
    (errors, diagnostics.len() as i64 - errors)
}

fn counts_text(errors: i64, warnings: i64) -> String {
    format!(
        "{}, {}",
        count(errors, "error", "errors"),
        count(warnings, "warning", "warnings")
    )
}

/// The outcome of checking one article's HTML.
fn html_outcome(what: String, html: &str, diagnostics: &[Diagnostic]) -> Outcome {
    let (errors, warnings) = severity_counts(diagnostics);
    let (class, verdict) = if errors > 0 {
        (
            "error",
            format!(
                "Rejected: {} — a feed run would not store this article.",
                counts_text(errors, warnings)
            ),
        )
    } else if warnings > 0 {
        (
            "warning",
            format!(
                "Accepted with {}: a feed run would store it and log them.",
                count(warnings, "warning", "warnings")
            ),
        )
    } else {
        ("ok", "Accepted: no error and no warning.".to_string())
    };
    let mut views: Vec<DiagnosticView> = diagnostics
        .iter()
        .map(|d| DiagnosticView::of(d, Some(html)))
        .collect();
    views.sort_by_key(|d| d.severity != "error");
    Outcome {
        what,
        verdict,
        class,
        diagnostics: views,
        items: Vec::new(),
    }
}

fn would_words(would: Would) -> &'static str {
    match would {
        Would::Insert => "would be inserted as a new article",
        Would::Update => "would update the stored article",
        Would::MakeLive => "would make the draft live",
        Would::Unchanged => "would change nothing",
        Would::Ignore => "would be ignored",
        Would::Reject => "would be rejected: not stored",
    }
}

/// The outcome of a dry run; excerpts come from `text` when the feed was pasted.
fn dry_run_outcome(what: String, run: &DryRun, text: Option<&str>) -> Outcome {
    let diagnostics: Vec<DiagnosticView> = run
        .diagnostics
        .iter()
        .map(|d| DiagnosticView::of(d, text))
        .collect();
    let items: Vec<ItemRow> =
        run.items
            .iter()
            .map(|i| {
                let (errors, warnings) = severity_counts(&i.diagnostics);
                let mut views: Vec<DiagnosticView> = i
                    .diagnostics
                    .iter()
                    .map(|d| DiagnosticView::of(d, text))
                    .collect();
                views.sort_by_key(|d| d.severity != "error");
                ItemRow {
                    number: i.index + 1,
                    label: i.canonical_url.clone().unwrap_or_else(|| {
                        format!("Item {} (no usable canonical URL)", i.index + 1)
                    }),
                    would: would_words(i.would),
                    class: if i.would == Would::Reject {
                        "error"
                    } else if warnings > 0 {
                        "warning"
                    } else {
                        "ok"
                    },
                    counts: counts_text(errors, warnings),
                    diagnostics: views,
                }
            })
            .collect();
    let rejected = items.iter().filter(|i| i.class == "error").count() as i64;
    let failed = !run.outcome.is_success();
    let (class, verdict) = if failed {
        (
            "error",
            format!(
                "The run would fail as a whole ({}): nothing would be stored.",
                run.outcome.as_str()
            ),
        )
    } else if rejected > 0 {
        (
            "error",
            format!(
                "{} of {}: {} inserted, {} updated, {} unchanged, {} ignored.",
                count(
                    rejected,
                    "item would be rejected",
                    "items would be rejected"
                ),
                items.len(),
                run.counts.inserted,
                run.counts.updated,
                run.counts.unchanged,
                run.counts.ignored
            ),
        )
    } else {
        (
            "ok",
            format!(
                "No item would be rejected: {} inserted, {} updated, {} unchanged, {} ignored.",
                run.counts.inserted, run.counts.updated, run.counts.unchanged, run.counts.ignored
            ),
        )
    };
    Outcome {
        what,
        verdict,
        class,
        diagnostics,
        items,
    }
}

/// `POST /check/feed-file` (multipart): an uploaded feed file, dry-run as one of a page's
/// feeds. The form token is checked before anything is run.
pub async fn check_file(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let unreadable =
        |e: axum::extract::multipart::MultipartError| ServiceError::BadRequest(e.body_text());
    let (mut form_token, mut page, mut feed) = (String::new(), String::new(), String::new());
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or_default() {
            "form_token" => form_token = field.text().await.map_err(unreadable)?,
            "page" => page = field.text().await.map_err(unreadable)?,
            "feed" => feed = field.text().await.map_err(unreadable)?,
            "feed_file" => {
                let name = field.file_name().unwrap_or("the file").to_string();
                file = Some((name, field.bytes().await.map_err(unreadable)?.to_vec()));
            }
            _ => {}
        }
    }
    session.check_form(&headers, &form_token)?;
    let page = page.trim();
    let mut view = check_page(&state, &session, Some(page)).await?;
    let kind = kind_of(&feed);
    view.development = kind == FeedKind::Development;
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        view.problem = Some("Choose a feed file first.".into());
        return Ok(render(&view));
    };
    if page.is_empty() {
        view.problem = Some("Pick the page whose store the dry run compares with.".into());
        return Ok(render(&view));
    }
    // The file's text, for the excerpts (a feed in another encoding shows none).
    let text = String::from_utf8(bytes.clone()).ok();
    let run = state
        .service
        .dry_run(&session.caller, page, kind, DryRunInput::Body(bytes))
        .await?;
    let what = format!(
        "{name}, as page {page}'s {} feed (nothing written)",
        kind.as_str()
    );
    view.outcome = Some(dry_run_outcome(what, &run, text.as_deref()));
    Ok(render(&view))
}

/// `GET /check`, or a kept item of a page's feed opened here.
pub async fn show(
    State(state): State<AppState>,
    session: WebSession,
    WebQuery(query): WebQuery<CheckQuery>,
) -> Result<Response, WebError> {
    let mut view = check_page(&state, &session, query.page.as_deref()).await?;
    if let (Some(page), Some(index)) = (query.page.as_deref(), query.item) {
        let kind = kind_of(query.feed.as_deref().unwrap_or_default());
        view.development = kind == FeedKind::Development;
        let item = state
            .service
            .feed_item(&session.caller, page, kind, index)
            .await?;
        let Some(html) = item.html else {
            return Err(ServiceError::NotFound(
                "the run kept no HTML for this item (it was too large)".into(),
            )
            .into());
        };
        let diagnostics = state
            .service
            .check_html(&session.caller, Some(page), html.clone())
            .await?;
        let name = item
            .title
            .clone()
            .or(item.canonical_url.clone())
            .unwrap_or_else(|| format!("item {}", index + 1));
        view.outcome = Some(html_outcome(
            format!("“{name}” as the {} feed carries it", kind.as_str()),
            &html,
            &diagnostics,
        ));
        view.html = html;
    }
    Ok(render(&view))
}

/// `POST /check`: `mode=html|feed|fetch`.
pub async fn check(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    WebForm(f): WebForm<CheckForm>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    let page = Some(f.page.trim()).filter(|p| !p.is_empty());
    let mut view = check_page(&state, &session, page).await?;
    let kind = kind_of(&f.feed);
    view.development = kind == FeedKind::Development;
    let caller = &session.caller;
    match f.mode.as_str() {
        "html" => {
            if f.html.trim().is_empty() {
                view.problem = Some("Paste an article's HTML first.".into());
            } else {
                let diagnostics = state
                    .service
                    .check_html(caller, page, f.html.clone())
                    .await?;
                let what = match page {
                    Some(p) => format!("The pasted HTML, as an item of page {p}"),
                    None => "The pasted HTML (canonical URL not checked against a page)".into(),
                };
                view.outcome = Some(html_outcome(what, &f.html, &diagnostics));
            }
            view.html = f.html;
        }
        "feed" | "fetch" => {
            let Some(page) = page else {
                view.problem = Some("Pick the page whose store the dry run compares with.".into());
                view.feed_text = f.feed_text;
                return Ok(render(&view));
            };
            let run = if f.mode == "feed" {
                if f.feed_text.trim().is_empty() {
                    view.problem = Some("Paste a feed's text first.".into());
                    return Ok(render(&view));
                }
                state
                    .service
                    .dry_run(
                        caller,
                        page,
                        kind,
                        DryRunInput::Body(f.feed_text.clone().into_bytes()),
                    )
                    .await?
            } else {
                let stored = state.service.visible_page(caller, page).await?;
                let Some(url) = stored.feed(kind).map(str::to_string) else {
                    view.problem = Some(format!("Page {page} has no {} feed URL.", kind.as_str()));
                    return Ok(render(&view));
                };
                state
                    .service
                    .dry_run(caller, page, kind, DryRunInput::Url(url))
                    .await?
            };
            let what = if f.mode == "feed" {
                format!(
                    "The pasted feed, as page {page}'s {} feed (nothing written)",
                    kind.as_str()
                )
            } else {
                format!(
                    "Page {page}'s {} feed, fetched now (nothing written)",
                    kind.as_str()
                )
            };
            let text = (f.mode == "feed").then_some(f.feed_text.as_str());
            view.outcome = Some(dry_run_outcome(what, &run, text));
            view.feed_text = f.feed_text;
        }
        other => {
            return Err(ServiceError::BadRequest(format!("`{other}`: html, feed or fetch")).into());
        }
    }
    Ok(render(&view))
}
