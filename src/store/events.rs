//! Notification events: what a publisher is told about (docs/api.md, Notifications). Each
//! is decided where the run or the manual write that causes it is committed, and written in
//! the same transaction with one queued delivery per webhook of its page and per member who
//! wants it by e-mail at once; a daily digest reads them later.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::feed_items::{ItemVerdict, KeptItem};
use super::pages::FeedKind;
use super::{StoreError, json_param};

/// Failed runs in a row after which `feed.failing` is sent, unless configured
/// (`notify.after_failures`).
pub const DEFAULT_AFTER_FAILURES: i64 = 3;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum EventKind {
    /// A feed's runs failed `notify.after_failures` times in a row.
    #[serde(rename = "feed.failing")]
    FeedFailing,
    /// A failing feed's run succeeded again.
    #[serde(rename = "feed.recovered")]
    FeedRecovered,
    /// An item was rejected that the feed's previous run did not reject.
    #[serde(rename = "item.rejected")]
    ItemRejected,
    /// A newer version of an article was refused by the update rules.
    #[serde(rename = "update.ignored")]
    UpdateIgnored,
    /// An article was deleted by hand.
    #[serde(rename = "article.deleted")]
    ArticleDeleted,
}

impl EventKind {
    /// Every kind, in the documentation's order.
    pub const ALL: [EventKind; 5] = [
        EventKind::FeedFailing,
        EventKind::FeedRecovered,
        EventKind::ItemRejected,
        EventKind::UpdateIgnored,
        EventKind::ArticleDeleted,
    ];

    /// The kind as `X-Iarss-Event` and the JSON write it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::FeedFailing => "feed.failing",
            EventKind::FeedRecovered => "feed.recovered",
            EventKind::ItemRejected => "item.rejected",
            EventKind::UpdateIgnored => "update.ignored",
            EventKind::ArticleDeleted => "article.deleted",
        }
    }

    /// The kind a stored name is (`None` for one unknown).
    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The feed an event is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventFeed {
    /// `production` or `development`.
    pub kind: FeedKind,
    /// Its URL, credentials masked.
    pub url: String,
    /// Failed runs in a row, this one included.
    pub consecutive_failures: i64,
}

/// The run that caused an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventRun {
    /// The run's id (`/api/v1/runs/{id}`).
    pub id: i64,
    /// How it ended (`ok`, `fetch_error`, …).
    pub outcome: String,
    /// The feed-level error of a failed run.
    pub error: Option<String>,
}

/// The article or item an event is about.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventArticle {
    /// Its canonical URL, when it has one.
    pub canonical_url: Option<String>,
    /// The item's `guid`.
    pub guid: Option<String>,
    /// The item's `link`.
    pub link: Option<String>,
    /// Its title.
    pub title: Option<String>,
}

/// A diagnostic that caused an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventDiagnostic {
    /// The rule id (`/rules/{rule}`).
    pub rule: String,
    /// `error` or `warning`.
    pub severity: String,
    /// What is wrong.
    pub message: String,
    /// 1-based line in the feed.
    pub line: Option<i64>,
    /// 1-based column in the feed.
    pub column: Option<i64>,
}

/// One event, as every webhook delivery of it carries it (the JSON body) and e-mails
/// list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    /// Its id: the same in every delivery of it.
    #[serde(default)]
    pub id: i64,
    /// What happened.
    pub event: EventKind,
    /// When it was decided (RFC 3339, UTC).
    pub created_at: String,
    /// The page.
    pub page_id: String,
    /// The feed, for events of a run.
    pub feed: Option<EventFeed>,
    /// The run, for events of a run.
    pub run: Option<EventRun>,
    /// The article or item, for events about one.
    pub article: Option<EventArticle>,
    /// The diagnostics that caused it (rule ids, messages, positions).
    pub diagnostics: Vec<EventDiagnostic>,
}

impl Event {
    /// An event of `page_id` decided at `now` (ms), about nothing yet.
    pub fn new(event: EventKind, page_id: &str, now: i64) -> Event {
        Event {
            id: 0,
            event,
            created_at: super::rfc3339(now),
            page_id: page_id.to_string(),
            feed: None,
            run: None,
            article: None,
            diagnostics: Vec::new(),
        }
    }
}

/// The items of `write` that are rejected and that `previous` (the identifiers the feed's
/// set rejected before this run: canonical URLs and guids) did not: each is told once, not
/// again while it stays rejected.
pub(super) fn newly_rejected<'a>(
    items: &'a [KeptItem],
    previous: &HashSet<String>,
) -> Vec<&'a KeptItem> {
    items
        .iter()
        .filter(|i| i.verdict == ItemVerdict::Rejected)
        .filter(|i| {
            let known = |id: &Option<String>| id.as_ref().is_some_and(|v| previous.contains(v));
            !known(&i.canonical_url) && !known(&i.guid)
        })
        .collect()
}

/// The `item.rejected` event of a kept item.
pub(super) fn item_rejected(page_id: &str, now: i64, item: &KeptItem) -> Event {
    let mut e = Event::new(EventKind::ItemRejected, page_id, now);
    e.article = Some(EventArticle {
        canonical_url: item.canonical_url.clone(),
        guid: item.guid.clone(),
        link: item.link.clone(),
        title: item.title.clone(),
    });
    e.diagnostics = item
        .diagnostics
        .iter()
        .map(|d| EventDiagnostic {
            rule: d.rule.clone(),
            severity: d.severity.clone(),
            message: d.message.clone(),
            line: d.line,
            column: d.column,
        })
        .collect();
    e
}

/// Writes `events` inside the transaction that decided them, each with its deliveries:
/// one per webhook of its page, one per member of the page who wants its events by e-mail
/// at once.
pub(super) async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    now: i64,
    events: &[Event],
) -> Result<(), StoreError> {
    for event in events {
        let row = sqlx::query(
            "INSERT INTO notify_events (page_id, kind, created_at, payload) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&event.page_id)
        .bind(event.event.as_str())
        .bind(now)
        .bind(json_param(event)?)
        .fetch_one(&mut **tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        sqlx::query(
            "INSERT INTO deliveries (channel, page_id, event_id, webhook_id, state, created_at, \
             next_attempt_at) \
             SELECT 'webhook', page_id, $1, id, 'pending', $2, $2 FROM webhooks WHERE page_id = $3",
        )
        .bind(id)
        .bind(now)
        .bind(&event.page_id)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO deliveries (channel, page_id, event_id, user_id, state, created_at, \
             next_attempt_at) \
             SELECT 'email', e.page_id, $1, e.user_id, 'pending', $2, $2 FROM email_prefs e \
             WHERE e.page_id = $3 AND e.mode = 'immediate' AND EXISTS ( \
               SELECT 1 FROM users u WHERE u.id = e.user_id AND (u.role = 'operator' OR EXISTS ( \
                 SELECT 1 FROM user_pages m WHERE m.user_id = u.id AND m.page_id = e.page_id)))",
        )
        .bind(id)
        .bind(now)
        .bind(&event.page_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A stored event, its id set.
pub(super) fn decode(id: i64, payload: &str) -> Result<Event, StoreError> {
    let mut event: Event = serde_json::from_str(payload)
        .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?;
    event.id = id;
    Ok(event)
}
