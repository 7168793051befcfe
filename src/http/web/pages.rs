//! `/pages/{id}`: a page's Production and Development articles, its Feed (each feed's
//! current rejected items and items with warnings, the run history, "Fetch now") and its
//! Settings: the page's webhooks and their deliveries for every member, the page's own
//! settings for operators.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::dashboard::FeedCell;
use super::feed::{FeedPanel, RunRow};
use super::views::{Chrome, Time, crumb, here, q, segment};
use super::{TokenOnly, WebError, WebForm, WebQuery, WebSession, render, see_other};
use crate::http::AppState;
use crate::model::{ArticleStatus, mask_url};
use crate::service::ServiceError;
use crate::service::notifications::WebhookRequest;
use crate::service::pages::PagePatch;
use crate::service::views::{ArticleView, PageView};
use crate::store::{ArticleFilter, FilterCounts};

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

/// A member of the page.
pub struct Member {
    /// E-mail address.
    pub email: String,
}

/// A webhook as the Settings tab lists it.
pub struct WebhookRow {
    /// Its id.
    pub id: i64,
    /// Where events go, credentials masked.
    pub url: String,
    /// When it was added.
    pub added: Time,
    /// Who added it.
    pub by: String,
    /// Its deliveries.
    pub href: String,
}

/// A delivery as the Settings tab lists it.
pub struct DeliveryRow {
    /// Its id.
    pub id: i64,
    /// The event's kind.
    pub event: String,
    /// `pending`, `delivered`, `failed`, `skipped`.
    pub state: &'static str,
    /// Attempts made.
    pub attempts: i64,
    /// Queued.
    pub created: Time,
    /// Next attempt, while pending.
    pub next: Option<Time>,
    /// The latest answer's status.
    pub status: String,
    /// The start of its body, or why the attempt failed.
    pub answer: String,
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
    feed_badges: Vec<FeedCell>,
    /// Why "Fetch now" may not lead to a fetch soon, when it may not.
    fetch_note: Option<String>,
    // Production / Development
    search: String,
    articles: Vec<ArticleRow>,
    next: Option<String>,
    previous: Option<String>,
    /// The filters, each as (label, link, chosen).
    filters: Vec<(String, String, bool)>,
    /// The chosen filter's key (`""` for all).
    filter: &'static str,
    // Feed
    feeds: Vec<FeedPanel>,
    runs: Vec<RunRow>,
    runs_next: Option<String>,
    runs_prev: Option<String>,
    // Settings
    feed_url: String,
    dev_feed_url: String,
    members: Vec<Member>,
    webhooks: Vec<WebhookRow>,
    /// The webhook whose deliveries are shown, and they.
    deliveries: Option<(String, Vec<DeliveryRow>)>,
    /// A webhook's secret, shown once when it was added.
    new_secret: Option<String>,
}

/// `?tab=&q=&cursor=&done=`.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    tab: Option<String>,
    q: Option<String>,
    filter: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
    webhook: Option<i64>,
}

/// A filter's count as its label shows it: grouped thousands; a problem filter's
/// "1,000+" past [`FilterCounts::CAP`] (the whole list is counted exactly).
fn count_label(n: i64, filter: ArticleFilter) -> String {
    let capped = filter != ArticleFilter::All && n > FilterCounts::CAP;
    let n = if capped { FilterCounts::CAP } else { n };
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if capped {
        out.push('+');
    }
    out
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
        Some("settings") => "settings",
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
        flash: None,
        problem,
        feed_badges: [
            FeedCell::of("Production", page.feeds.production.as_ref()),
            FeedCell::of("Development", page.feeds.development.as_ref()),
        ]
        .into_iter()
        .flatten()
        .collect(),
        fetch_note: fetch_note(state, &page),
        search: query.q.clone().unwrap_or_default(),
        articles: Vec::new(),
        next: None,
        previous: None,
        filters: Vec::new(),
        filter: "",
        feeds: Vec::new(),
        runs: Vec::new(),
        runs_next: None,
        runs_prev: None,
        feed_url: String::new(),
        dev_feed_url: String::new(),
        members: Vec::new(),
        webhooks: Vec::new(),
        deliveries: None,
        new_secret: None,
    };
    view.flash = query
        .done
        .as_deref()
        .map(|d| done_message(d, view.fetch_note.as_deref()));
    match tab {
        "production" | "development" => {
            let status = if tab == "production" {
                ArticleStatus::Live
            } else {
                ArticleStatus::Draft
            };
            let (filter_key, filter) = match query.filter.as_deref() {
                Some("errors") => ("errors", ArticleFilter::WithErrors),
                Some("warnings") => ("warnings", ArticleFilter::WithWarnings),
                Some("ignored") => ("ignored", ArticleFilter::IgnoredUpdate),
                _ => ("", ArticleFilter::All),
            };
            view.filter = filter_key;
            let search = query.q.as_deref().unwrap_or_default();
            let list_href = |key: &str| {
                let mut href = format!("{base}?tab={tab}");
                if !search.is_empty() {
                    href.push_str(&format!("&q={}", q(search)));
                }
                if !key.is_empty() {
                    href.push_str(&format!("&filter={key}"));
                }
                href
            };
            // Counts label the filters of the whole tab; under a search they would
            // mislead (they do not count the search), so a search shows none.
            let counts = if search.trim().is_empty() {
                Some(service.filter_counts(caller, id, status).await?)
            } else {
                None
            };
            view.filters = [
                ("All", "", ArticleFilter::All),
                (
                    "Newer version rejected",
                    "errors",
                    ArticleFilter::WithErrors,
                ),
                ("With warnings", "warnings", ArticleFilter::WithWarnings),
                (
                    "Ignored update pending",
                    "ignored",
                    ArticleFilter::IgnoredUpdate,
                ),
            ]
            .into_iter()
            .map(|(label, key, f)| {
                let label = match counts {
                    Some(c) => format!("{label} ({})", count_label(c.of(f), f)),
                    None => label.to_string(),
                };
                (label, list_href(key), key == filter_key)
            })
            .collect();
            let list = service
                .filtered_articles(
                    caller,
                    id,
                    Some(status),
                    query.q.as_deref(),
                    filter,
                    query.cursor.as_deref(),
                    SCREEN,
                )
                .await?;
            view.articles = list.items.iter().map(ArticleRow::of).collect();
            let here = list_href(filter_key);
            view.next = list.next_cursor.map(|c| format!("{here}&cursor={}", q(&c)));
            if query.cursor.as_deref().is_some_and(|c| !c.is_empty())
                && let Some(first) = list.items.first()
            {
                view.previous = service
                    .articles_screen_before(
                        caller,
                        id,
                        Some(status),
                        query.q.as_deref(),
                        filter,
                        first,
                        SCREEN,
                    )
                    .await?
                    .map(|c| match c {
                        Some(c) => format!("{here}&cursor={}", q(&c)),
                        None => here.clone(),
                    });
            }
        }
        "feed" => {
            view.feeds = service
                .feeds_now(caller, id)
                .await?
                .iter()
                .map(|f| FeedPanel::of(id, &base, f))
                .collect();
            let runs = service
                .page_runs(caller, id, query.cursor.as_deref(), RUNS)
                .await?;
            view.runs = runs.items.iter().map(|r| RunRow::of(&base, r)).collect();
            view.runs_next = runs
                .next_cursor
                .map(|c| format!("{base}?tab=feed&cursor={}#runs", q(&c)));
            if query.cursor.as_deref().is_some_and(|c| !c.is_empty())
                && let Some(first) = runs.items.first()
            {
                view.runs_prev = service
                    .runs_screen_before(caller, id, first.run_id, RUNS)
                    .await?
                    .map(|c| match c {
                        Some(c) => format!("{base}?tab=feed&cursor={}#runs", q(&c)),
                        None => format!("{base}?tab=feed#runs"),
                    });
            }
        }
        _ => {
            if operator {
                let (stored, members) = service.page_settings(caller, id).await?;
                view.feed_url = stored.feed_url.as_deref().map(mask_url).unwrap_or_default();
                view.dev_feed_url = stored
                    .dev_feed_url
                    .as_deref()
                    .map(mask_url)
                    .unwrap_or_default();
                view.members = members.into_iter().map(|email| Member { email }).collect();
            }
            view.webhooks = service
                .webhooks(caller, id)
                .await?
                .iter()
                .map(|w| WebhookRow {
                    id: w.id,
                    url: w.url.clone(),
                    added: Time::from(w.created_at),
                    by: w.created_by.clone(),
                    href: format!("{base}?tab=settings&webhook={}#deliveries", w.id),
                })
                .collect();
            if let Some(hook) = query.webhook {
                let (webhook, deliveries) = service.webhook_deliveries(caller, id, hook).await?;
                let rows = deliveries
                    .iter()
                    .map(|d| DeliveryRow {
                        id: d.id,
                        event: d.event.map(|e| e.as_str()).unwrap_or("").to_string(),
                        state: d.state.as_str(),
                        attempts: d.attempts,
                        created: Time::from(d.created_at),
                        next: d.next_attempt_at.map(Time::from),
                        status: d.status.map(|s| s.to_string()).unwrap_or_default(),
                        answer: d
                            .error
                            .clone()
                            .or_else(|| d.answer.clone())
                            .unwrap_or_default(),
                    })
                    .collect();
                view.deliveries = Some((webhook.url, rows));
            }
        }
    }
    Ok(view)
}

/// Why a fetch asked for may not happen soon: this process schedules no runs (`iarss
/// serve`) and the page's feeds are overdue (no daemon elsewhere fetches them either), or
/// the page is disabled.
fn fetch_note(state: &AppState, page: &PageView) -> Option<String> {
    if !page.enabled {
        return Some(
            "This page is disabled: no daemon fetches its feeds until an operator enables it \
             in Settings."
                .into(),
        );
    }
    if state.schedules_runs() {
        return None;
    }
    let now = crate::model::now_ms();
    let overdue = [&page.feeds.production, &page.feeds.development]
        .into_iter()
        .flatten()
        .filter_map(|f| f.next_due_at)
        .any(|due| now - due.0 > NOBODY_FETCHES_AFTER_MS);
    overdue.then(|| {
        "No daemon is fetching this page's feeds: they are overdue, and this server (`iarss \
         serve`) runs no feeds itself. Start `iarss daemon` on the same store to fetch them."
            .into()
    })
}

/// A feed this long past its due time has no daemon fetching it.
const NOBODY_FETCHES_AFTER_MS: i64 = 5 * 60 * 1000;

fn done_message(done: &str, note: Option<&str>) -> String {
    match done {
        "fetch" => match note {
            Some(_) => "Both feeds are due now.".into(),
            None => "Both feeds are due now; the daemon fetches them within moments.".into(),
        },
        "saved" => "Settings saved.".into(),
        "deleted" => "The article was deleted.".into(),
        "webhook_deleted" => "The webhook was deleted.".into(),
        _ => "Done.".into(),
    }
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
            let problem = format!(
                "A fetch of this page was asked for less than 10 s ago; ask again in {retry_after} s."
            );
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

/// The add-a-webhook form.
#[derive(Deserialize)]
pub struct WebhookForm {
    #[serde(default)]
    form_token: String,
    url: String,
    #[serde(default)]
    secret: String,
}

/// `POST /pages/{id}/webhooks` (members): the Settings tab with the new webhook's secret,
/// shown this once.
pub async fn add_webhook(
    State(state): State<AppState>,
    session: WebSession,
    Path(id): Path<String>,
    headers: HeaderMap,
    WebForm(f): WebForm<WebhookForm>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    let secret = f.secret.trim();
    let request = WebhookRequest {
        url: f.url.trim().to_string(),
        secret: (!secret.is_empty()).then(|| secret.to_string()),
    };
    let query = PageQuery {
        tab: Some("settings".into()),
        ..PageQuery::default()
    };
    match state
        .service
        .add_webhook(&session.caller, &id, request)
        .await
    {
        Ok(created) => {
            let mut view = page_view(&state, &session, &id, query, None).await?;
            view.flash = Some(format!("Webhook {} added.", created.webhook.url));
            view.new_secret = Some(created.secret);
            let mut response = render(&view);
            response.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            Ok(response)
        }
        Err(ServiceError::BadRequest(m)) | Err(ServiceError::Conflict(m)) => {
            let view = page_view(&state, &session, &id, query, Some(m)).await?;
            let mut response = render(&view);
            *response.status_mut() = StatusCode::BAD_REQUEST;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /pages/{id}/webhooks/{webhook}/delete` (members).
pub async fn delete_webhook(
    State(state): State<AppState>,
    session: WebSession,
    Path((id, webhook)): Path<(String, i64)>,
    headers: HeaderMap,
    WebForm(f): WebForm<TokenOnly>,
) -> Result<Response, WebError> {
    session.check_form(&headers, &f.form_token)?;
    state
        .service
        .remove_webhook(&session.caller, &id, webhook)
        .await?;
    Ok(see_other(&format!(
        "/pages/{}?tab=settings&done=webhook_deleted",
        segment(&id)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_thousands_and_problem_counts_stop_at_the_cap() {
        assert_eq!(count_label(0, ArticleFilter::All), "0");
        assert_eq!(count_label(999, ArticleFilter::WithErrors), "999");
        assert_eq!(count_label(1000, ArticleFilter::WithWarnings), "1,000");
        assert_eq!(count_label(1001, ArticleFilter::WithWarnings), "1,000+");
        assert_eq!(count_label(100_000, ArticleFilter::All), "100,000");
        assert_eq!(count_label(1_234_567, ArticleFilter::All), "1,234,567");
    }
}
