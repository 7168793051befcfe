//! `/`: the user's pages with each feed's state and the article counts.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::views::{Chrome, Time, here, q, segment};
use super::{WebError, WebQuery, WebSession, render};
use crate::http::AppState;
use crate::service::views::{FeedView, PageView};

/// One feed of a page, as a row shows it.
pub struct FeedCell {
    /// "Production" or "Development".
    pub kind: &'static str,
    /// Masked URL.
    pub url: String,
    /// Last outcome, if any run yet.
    pub outcome: Option<String>,
    /// Badge: `ok`, `failing`, `in backoff`, or `never run`.
    pub badge: &'static str,
    /// Last feed-level error.
    pub error: Option<String>,
    /// Failed runs in a row.
    pub failures: i64,
    /// When it is due next.
    pub next_due: Option<Time>,
}

impl FeedCell {
    /// A feed's cell (none when the page has no such feed).
    pub fn of(kind: &'static str, f: Option<&FeedView>) -> Option<FeedCell> {
        let f = f?;
        let failures = f.consecutive_failures;
        let outcome = f.last_outcome.map(|o| o.as_str().to_string());
        let badge = if f.in_backoff {
            "in backoff"
        } else if failures > 0 {
            "failing"
        } else if outcome.is_some() {
            "ok"
        } else {
            "never run"
        };
        Some(FeedCell {
            kind,
            url: f.url.clone(),
            outcome,
            badge,
            error: f.last_error.clone().filter(|e| !e.is_empty()),
            failures,
            next_due: Time::of(f.next_due_at),
        })
    }

    /// The badge's CSS class.
    pub fn badge_class(&self) -> &'static str {
        match self.badge {
            "ok" => "ok",
            "failing" => "failing",
            "in backoff" => "backoff",
            _ => "none",
        }
    }
}

/// A page as the dashboard lists it.
pub struct PageRow {
    /// Link to the page.
    pub href: String,
    /// Display name.
    pub name: String,
    /// Domain.
    pub domain: String,
    /// Its feeds.
    pub feeds: Vec<FeedCell>,
    /// Live articles.
    pub live: i64,
    /// Drafts.
    pub draft: i64,
    /// With errors in their last version seen.
    pub errors: i64,
    /// With warnings.
    pub warnings: i64,
    /// Items the latest reads of its feeds rejected.
    pub rejected: i64,
    /// Its Feed tab, where they are listed.
    pub feed_href: String,
}

impl PageRow {
    /// A page's row.
    pub fn of(p: &PageView) -> PageRow {
        let feeds = [
            FeedCell::of("Production", p.feeds.production.as_ref()),
            FeedCell::of("Development", p.feeds.development.as_ref()),
        ]
        .into_iter()
        .flatten()
        .collect();
        PageRow {
            href: format!("/pages/{}", segment(&p.page_id)),
            name: p.name.clone(),
            domain: p.domain.clone(),
            feeds,
            live: p.articles.live,
            draft: p.articles.draft,
            errors: p.articles.with_errors,
            warnings: p.articles.with_warnings,
            rejected: p.rejected_items(),
            feed_href: format!("/pages/{}?tab=feed", segment(&p.page_id)),
        }
    }
}

/// A run whose results and record this process could not commit (it exists nowhere else).
pub struct UnrecordedRow {
    /// The page.
    pub page_id: String,
    /// The feed URL, credentials masked.
    pub feed_url: String,
    /// When it finished.
    pub finished: Option<Time>,
    /// Why.
    pub error: String,
}

/// The dashboard.
#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct Dashboard {
    chrome: Chrome,
    rows: Vec<PageRow>,
    operator: bool,
    failing: bool,
    next: Option<String>,
    previous: Option<String>,
    /// For operators: the store's commits failing in a row, with the last error.
    store_alert: Option<String>,
    /// For operators: runs that could not be recorded.
    unrecorded: Vec<UnrecordedRow>,
}

/// `/?failing=1&cursor=…`.
#[derive(Deserialize)]
pub struct DashboardQuery {
    failing: Option<String>,
    cursor: Option<String>,
}

/// Pages per screen.
const SCREEN: i64 = 50;

/// `GET /`.
pub async fn index(
    State(state): State<AppState>,
    session: WebSession,
    WebQuery(query): WebQuery<DashboardQuery>,
) -> Result<Response, WebError> {
    let operator = session.caller.is_operator();
    let failing = operator
        && query
            .failing
            .as_deref()
            .is_some_and(|f| !f.is_empty() && f != "0");
    let list = state
        .service
        .pages(&session.caller, query.cursor.as_deref(), SCREEN, failing)
        .await?;
    let rows: Vec<PageRow> = list.items.iter().map(PageRow::of).collect();
    let next = list.next_cursor.map(|c| {
        format!(
            "/?{}cursor={}",
            if failing { "failing=1&" } else { "" },
            q(&c)
        )
    });
    let filter = if failing { "failing=1&" } else { "" };
    let previous = match (query.cursor.as_deref(), list.items.first()) {
        (Some(c), Some(first)) if !c.is_empty() => state
            .service
            .pages_screen_before(&session.caller, &first.page_id, SCREEN, failing)
            .await?
            .map(|c| match c {
                Some(c) => format!("/?{filter}cursor={}", q(&c)),
                None => format!("/?{}", filter.trim_end_matches('&')),
            }),
        _ => None,
    };
    // What only this process knows of the store's health: operators see it here.
    let health = state.store.health();
    let failed = health.failures_in_a_row();
    let store_alert = (operator && failed > 0).then(|| {
        format!(
            "The last {failed} commit(s) failed: {}",
            health.last_error().unwrap_or_default()
        )
    });
    let unrecorded = if operator {
        health
            .unrecorded_runs()
            .into_iter()
            .map(|r| UnrecordedRow {
                page_id: r.page_id,
                feed_url: r.feed_url,
                finished: Time::of_ms(Some(r.finished_at)),
                error: r.error,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(render(&Dashboard {
        chrome: session.chrome(vec![here("Pages")]),
        rows,
        operator,
        failing,
        next,
        previous,
        store_alert,
        unrecorded,
    }))
}
