//! `/pages/{id}`: a page's Production and Development articles, its Feed (runs, the latest
//! run's rejected items, "Fetch now") and, for operators, its Settings.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::dashboard::FeedCell;
use super::views::{Chrome, DiagnosticView, Time, crumb, here, q, segment};
use super::{TokenOnly, WebError, WebForm, WebQuery, WebSession, render, see_other};
use crate::http::AppState;
use crate::model::{ArticleStatus, mask_url};
use crate::registry::{RuleId, Severity};
use crate::service::ServiceError;
use crate::service::pages::PagePatch;
use crate::service::views::{ArticleView, RunDiagnosticView, RunView};

/// An article as a list row shows it.
pub struct ArticleRow {
    /// Link to the article.
    pub href: String,
    /// Title (or the URL when it has none).
    pub title: String,
    /// Canonical URL.
    pub url: String,
    /// `live` or `draft`.
    pub status: String,
    /// When a change was last applied.
    pub updated: Option<Time>,
    /// Errors of its last version seen.
    pub errors: i64,
    /// Warnings.
    pub warnings: i64,
    /// An ignored update is pending.
    pub ignored: bool,
}

impl ArticleRow {
    fn of(view: &ArticleView) -> ArticleRow {
        let a = &view.record;
        let url = a.canonical_url.clone();
        ArticleRow {
            href: format!("/articles?url={}", q(&url)),
            title: a
                .title
                .clone()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| url.clone()),
            url,
            status: a.status.as_str().to_string(),
            updated: Some(Time::from(a.updated_at)),
            errors: view.errors,
            warnings: view.warnings,
            ignored: view.ignored_update,
        }
    }
}

/// A run as the Feed tab lists it.
pub struct RunRow {
    /// Run id.
    pub id: i64,
    /// `production` or `development`.
    pub feed: String,
    /// Outcome.
    pub outcome: String,
    /// When it finished.
    pub finished: Option<Time>,
    /// Counts: items, inserted, updated, unchanged, ignored, rejected.
    pub counts: [i64; 6],
    /// The feed-level error.
    pub error: Option<String>,
}

/// A rejected item of the latest run, with its errors.
pub struct RejectedItem {
    /// Its canonical URL, or what identifies it.
    pub label: String,
    /// Its errors.
    pub errors: Vec<DiagnosticView>,
}

/// A member of the page.
pub struct Member {
    /// E-mail address.
    pub email: String,
}

/// A page's tabs.
#[derive(Template)]
#[template(path = "page.html")]
pub struct PageTabs {
    chrome: Chrome,
    base: String,
    name: String,
    domain: String,
    enabled: bool,
    tab: &'static str,
    operator: bool,
    form_token: String,
    flash: Option<String>,
    problem: Option<String>,
    feeds: Vec<FeedCell>,
    // Production / Development
    search: String,
    articles: Vec<ArticleRow>,
    next: Option<String>,
    // Feed
    runs: Vec<RunRow>,
    feed_diagnostics: Vec<DiagnosticView>,
    rejected: Vec<RejectedItem>,
    latest_run: Option<i64>,
    // Settings
    feed_url: String,
    dev_feed_url: String,
    members: Vec<Member>,
}

/// `?tab=&q=&cursor=&done=`.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    tab: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

/// Articles per screen.
const SCREEN: i64 = 50;
/// Runs the Feed tab lists.
const RUNS: i64 = 20;

/// `GET /pages/{id}`.
pub async fn show(
    State(state): State<AppState>,
    session: WebSession,
    Path(id): Path<String>,
    WebQuery(query): WebQuery<PageQuery>,
) -> Result<Response, WebError> {
    page_view(&state, &session, &id, query, None)
        .await
        .map(|v| render(&v))
}

async fn page_view(
    state: &AppState,
    session: &WebSession,
    id: &str,
    query: PageQuery,
    problem: Option<String>,
) -> Result<PageTabs, WebError> {
    let caller = &session.caller;
    let service = &state.service;
    let page = service.page(caller, id).await?;
    let operator = caller.is_operator();
    let tab = match query.tab.as_deref() {
        None | Some("production") => "production",
        Some("development") => "development",
        Some("feed") => "feed",
        Some("settings") if operator => "settings",
        Some(_) => return Err(WebError::not_found()),
    };
    let base = format!("/pages/{}", segment(id));
    let name = page.name.clone();
    let mut view = PageTabs {
        chrome: session.chrome(vec![crumb("Pages", "/"), here(name.clone())]),
        base: base.clone(),
        name,
        domain: page.domain.clone(),
        enabled: page.enabled,
        tab,
        operator,
        form_token: session.form_token.clone(),
        flash: query.done.as_deref().map(done_message),
        problem,
        feeds: [
            FeedCell::of("Production", page.feeds.production.as_ref()),
            FeedCell::of("Development", page.feeds.development.as_ref()),
        ]
        .into_iter()
        .flatten()
        .collect(),
        search: query.q.clone().unwrap_or_default(),
        articles: Vec::new(),
        next: None,
        runs: Vec::new(),
        feed_diagnostics: Vec::new(),
        rejected: Vec::new(),
        latest_run: None,
        feed_url: String::new(),
        dev_feed_url: String::new(),
        members: Vec::new(),
    };
    match tab {
        "production" | "development" => {
            let status = if tab == "production" {
                ArticleStatus::Live
            } else {
                ArticleStatus::Draft
            };
            let list = service
                .articles(
                    caller,
                    id,
                    Some(status),
                    query.q.as_deref(),
                    query.cursor.as_deref(),
                    SCREEN,
                )
                .await?;
            view.articles = list.items.iter().map(ArticleRow::of).collect();
            view.next = list.next_cursor.map(|c| {
                format!(
                    "{base}?tab={tab}&q={}&cursor={}",
                    q(query.q.as_deref().unwrap_or_default()),
                    q(&c)
                )
            });
        }
        "feed" => {
            let runs = service.page_runs(caller, id, None, RUNS).await?;
            view.runs = runs.items.iter().map(run_row).collect();
            if let Some(latest) = runs.items.first().map(|r| r.run_id) {
                view.latest_run = Some(latest);
                let run = service.run(caller, latest).await?;
                let (feed, rejected) = split_diagnostics(&run.diagnostics);
                view.feed_diagnostics = feed;
                view.rejected = rejected;
            }
        }
        _ => {
            let (stored, members) = service.page_settings(caller, id).await?;
            view.feed_url = stored.feed_url.as_deref().map(mask_url).unwrap_or_default();
            view.dev_feed_url = stored
                .dev_feed_url
                .as_deref()
                .map(mask_url)
                .unwrap_or_default();
            view.members = members.into_iter().map(|email| Member { email }).collect();
        }
    }
    Ok(view)
}

fn done_message(done: &str) -> String {
    match done {
        "fetch" => "Both feeds are due now; the daemon fetches them within moments.".into(),
        "saved" => "Settings saved.".into(),
        "deleted" => "The article was deleted.".into(),
        _ => "Done.".into(),
    }
}

fn run_row(r: &RunView) -> RunRow {
    RunRow {
        id: r.run_id,
        feed: r.feed.as_str().to_string(),
        outcome: r.outcome.as_str().to_string(),
        finished: Some(Time::from(r.finished_at)),
        counts: [
            r.items,
            r.inserted,
            r.updated,
            r.unchanged,
            r.ignored,
            r.rejected,
        ]
        .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
        error: r.error.clone(),
    }
}

/// A run's diagnostics split into the feed-level ones and the rejected items (errors of
/// items, grouped by item; an item without a canonical URL is named by its position).
fn split_diagnostics(
    diagnostics: &[RunDiagnosticView],
) -> (Vec<DiagnosticView>, Vec<RejectedItem>) {
    let mut feed = Vec::new();
    let mut rejected: Vec<RejectedItem> = Vec::new();
    for d in diagnostics {
        let rule_scope = d.rule.parse::<RuleId>().map(|r| r.group().scope());
        let url = d.canonical_url.clone();
        let is_error = d.severity == Severity::Error;
        let item_level = url.is_some() || matches!(rule_scope, Ok(s) if s != "feed");
        if !item_level {
            feed.push(DiagnosticView::of_run(d, None));
            continue;
        }
        if !is_error {
            continue;
        }
        let label = url.unwrap_or_else(|| match d.line {
            Some(l) => format!("an item without a canonical URL (feed line {l})"),
            None => "an item without a canonical URL".to_string(),
        });
        let view = DiagnosticView::of_run(d, None);
        match rejected.iter_mut().find(|r| r.label == label) {
            Some(r) => r.errors.push(view),
            None => rejected.push(RejectedItem {
                label,
                errors: vec![view],
            }),
        }
    }
    (feed, rejected)
}

/// `POST /pages/{id}/fetch-now`.
pub async fn fetch_now(
    State(state): State<AppState>,
    session: WebSession,
    Path(id): Path<String>,
    headers: HeaderMap,
    WebForm(f): WebForm<TokenOnly>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    match state.service.fetch_now(&session.caller, &id).await {
        Ok(_) => Ok(see_other(&format!(
            "/pages/{}?tab=feed&done=fetch",
            segment(&id)
        ))),
        Err(ServiceError::TooSoon { retry_after, .. }) => {
            let query = PageQuery {
                tab: Some("feed".into()),
                ..PageQuery::default()
            };
            let problem = format!("Fetched less than 10 s ago; try again in {retry_after} s.");
            let view = page_view(&state, &session, &id, query, Some(problem)).await?;
            let mut response = render(&view);
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

/// The Settings form.
#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    form_token: String,
    name: String,
    #[serde(default)]
    feed_url: String,
    #[serde(default)]
    dev_feed_url: String,
    enabled: Option<String>,
}

/// `POST /pages/{id}/settings` (operators).
pub async fn settings(
    State(state): State<AppState>,
    session: WebSession,
    Path(id): Path<String>,
    headers: HeaderMap,
    WebForm(f): WebForm<SettingsForm>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    // The form shows feed URLs masked; one sent back as shown is left as it is.
    let (stored, _) = state.service.page_settings(&session.caller, &id).await?;
    let url = |s: &str, current: Option<&str>| {
        let s = s.trim();
        if current.is_some_and(|c| mask_url(c) == s) {
            return None;
        }
        Some((!s.is_empty()).then(|| s.to_string()))
    };
    let patch = PagePatch {
        name: Some(f.name.trim().to_string()),
        feed_url: url(&f.feed_url, stored.feed_url.as_deref()),
        dev_feed_url: url(&f.dev_feed_url, stored.dev_feed_url.as_deref()),
        enabled: Some(f.enabled.is_some()),
        domain: None,
    };
    match state.service.change_page(&session.caller, &id, patch).await {
        Ok(_) => Ok(see_other(&format!(
            "/pages/{}?tab=settings&done=saved",
            segment(&id)
        ))),
        Err(ServiceError::BadRequest(m)) | Err(ServiceError::Conflict(m)) => {
            let query = PageQuery {
                tab: Some("settings".into()),
                ..PageQuery::default()
            };
            let view = page_view(&state, &session, &id, query, Some(m)).await?;
            let mut response = render(&view);
            *response.status_mut() = StatusCode::BAD_REQUEST;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}
