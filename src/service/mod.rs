//! What the HTTP API, the web pages and the command line do to pages, runs, articles,
//! imports and dry runs, in one place: each operation takes the [`Caller`], checks what the
//! caller may see and do, calls the store and the ingest code, and writes the audit row.
//! Handlers only parse requests and render answers.
//!
//! Isolation: an object of a page the caller is not a member of is reported exactly as an
//! object that does not exist ([`ServiceError::NotFound`] with the same message), so an
//! answer never tells that it exists.

pub mod articles;
pub mod checks;
pub mod feeds;
pub mod notifications;
pub mod pages;
pub mod runs;
pub mod views;
pub mod web_views;

use std::time::Duration;

use crate::access::{Access, AccessError, Caller};
use crate::fetch::{FetchConfig, Fetcher};
use crate::ingest::RunOptions;
use crate::store::{Page, Store, StoreError};

/// How long a client is asked to wait before it writes again to a busy page.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// Items of a list when the request names no limit.
pub const DEFAULT_LIMIT: i64 = 50;
/// The most items one list answer holds.
pub const MAX_LIMIT: i64 = 500;

/// Why an operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No such object, or one the caller may not see.
    #[error("{0}")]
    NotFound(String),
    /// The caller may see the object but not do this (operators only).
    #[error("{0}")]
    Forbidden(String),
    /// The request itself is wrong.
    #[error("{0}")]
    BadRequest(String),
    /// The request conflicts with what is stored (a taken domain, a page with articles).
    #[error("{0}")]
    Conflict(String),
    /// The article has errors (or is not the article edited): nothing was stored.
    #[error("{message}")]
    Unprocessable {
        /// What is wrong.
        message: String,
        /// The diagnostics.
        diagnostics: Vec<crate::model::Diagnostic>,
    },
    /// Asked again too soon.
    #[error("{message}")]
    TooSoon {
        /// What to wait for.
        message: String,
        /// Seconds to wait.
        retry_after: u64,
    },
    /// Other writers of the page held its writer lock longer than `store.write_wait`:
    /// nothing was written; try again after `retry_after` seconds.
    #[error("{message}")]
    Busy {
        /// What happened.
        message: String,
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// A defect of iarss (a panic while checking); the message says where.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> ServiceError {
        match e {
            StoreError::NoSuchPage(id) => ServiceError::NotFound(no_page(&id)),
            StoreError::NoSuchArticle(url) => ServiceError::NotFound(no_article(&url)),
            StoreError::DomainTaken { .. }
            | StoreError::PageExists(_)
            | StoreError::PageHasArticles { .. } => ServiceError::Conflict(e.to_string()),
            StoreError::InvalidPage(m) => ServiceError::BadRequest(m),
            StoreError::NoSuchRevision { .. } | StoreError::NoIgnoredUpdate(_) => {
                ServiceError::NotFound(e.to_string())
            }
            StoreError::BadCursor(_) => ServiceError::BadRequest(e.to_string()),
            StoreError::Busy { .. } => ServiceError::Busy {
                message: "other writes of this page are in progress; nothing was written, \
                          try again"
                    .to_string(),
                retry_after: BUSY_RETRY_AFTER_SECS,
            },
            e => ServiceError::Store(e),
        }
    }
}

impl From<AccessError> for ServiceError {
    fn from(e: AccessError) -> ServiceError {
        match e {
            AccessError::Store(e) => e.into(),
            AccessError::NoSuchPage(id) => ServiceError::NotFound(no_page(&id)),
            AccessError::UserExists(_) => ServiceError::Conflict(e.to_string()),
            AccessError::NoSuchUser(_) | AccessError::NoSuchToken(_) => {
                ServiceError::NotFound(e.to_string())
            }
            AccessError::Invalid(m) => ServiceError::BadRequest(m),
        }
    }
}

/// The one answer for a page that does not exist or that the caller may not see. It does
/// not repeat the id: an answer that differs in nothing but the object asked for can be
/// compared byte for byte with the answer for an object that does not exist.
pub fn no_page(_id: &str) -> String {
    "no such page".to_string()
}

/// The one answer for an article that does not exist or that the caller may not see.
pub fn no_article(_url: &str) -> String {
    "no article with this canonical URL".to_string()
}

pub use views::Listing;

/// `limit` of a list request: the default when absent, at most [`MAX_LIMIT`].
pub fn list_limit(limit: Option<i64>) -> Result<i64, ServiceError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ServiceError::BadRequest(format!(
            "limit {n} is out of range: 1 to {MAX_LIMIT}"
        ))),
    }
}

/// A keyset cursor of a list keyed by text (pages): the last key's bytes in hex. Any hex
/// is a position in the list (the screen after that key), so a cursor can be written by
/// hand or by a generator as well as passed back.
pub fn encode_cursor(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The key of a text cursor; none for an empty one.
pub fn decode_cursor(cursor: &str) -> Result<Option<String>, ServiceError> {
    if cursor.is_empty() {
        return Ok(None);
    }
    hex_bytes(cursor)
        .map(|b| Some(crate::store::cursor_key(&b)))
        .ok_or_else(|| ServiceError::BadRequest(format!("`{cursor}` is not a cursor of this list")))
}

/// The bytes of an even-length hex string.
pub fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

/// A keyset cursor of a list keyed by id (runs, the audit log): the last id in hex.
pub fn encode_id_cursor(id: i64) -> String {
    format!("{id:x}")
}

/// The id of an id cursor (the screen continues below it); none for an empty one.
pub fn decode_id_cursor(cursor: Option<&str>) -> Result<Option<i64>, ServiceError> {
    match cursor {
        None | Some("") => Ok(None),
        Some(c) => i64::from_str_radix(c, 16)
            .map(Some)
            .map_err(|_| ServiceError::BadRequest(format!("`{c}` is not a cursor of this list"))),
    }
}

/// The operations, over one store.
#[derive(Clone)]
pub struct Service {
    store: Store,
    access: Access,
    fetch: FetchConfig,
    run: RunOptions,
    fetch_now_every: Duration,
    email: bool,
}

impl Service {
    /// The operations over `store`; dry runs of a `feed_url` fetch with `fetch`'s limits and
    /// SSRF guard, as the daemon's runs do.
    pub fn new(store: Store, access: Access, fetch: FetchConfig, fetcher: Fetcher) -> Service {
        let run = RunOptions {
            fetch: fetch.clone(),
            fetcher: Some(fetcher),
            ..RunOptions::default()
        };
        Service {
            store,
            access,
            fetch,
            run,
            fetch_now_every: Duration::from_secs(10),
            email: false,
        }
    }

    /// Offers e-mail settings: `[notify.smtp]` is configured.
    pub fn with_email(mut self, on: bool) -> Service {
        self.email = on;
        self
    }

    /// Whether e-mail is on (its settings are hidden otherwise).
    pub fn email_enabled(&self) -> bool {
        self.email
    }

    /// Checks imports, edits and dry runs as the daemon's runs check feeds: its zone for
    /// offset-less times (`validate.default_timezone`) and its parse budget.
    pub fn with_run_options(mut self, run: &RunOptions) -> Service {
        self.run.zone = run.zone;
        self.run.parse_budget = run.parse_budget;
        self.run.threads = run.threads;
        self
    }

    /// The zone in which offset-less times of manual writes are read.
    pub fn zone(&self) -> chrono_tz::Tz {
        self.run.zone
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Accounts, tokens, sessions and the audit log.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// The request body cap (`fetch.max_body_bytes`).
    pub fn max_body_bytes(&self) -> u64 {
        self.fetch.max_body_bytes
    }

    /// The page `id` if the caller may see it; otherwise exactly the answer for a page
    /// that does not exist.
    pub async fn visible_page(&self, caller: &Caller, id: &str) -> Result<Page, ServiceError> {
        if !caller.scope.allows(id) {
            return Err(ServiceError::NotFound(no_page(id)));
        }
        self.store
            .page(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(no_page(id)))
    }

    /// Operators only.
    pub fn require_operator(&self, caller: &Caller, what: &str) -> Result<(), ServiceError> {
        if caller.is_operator() {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!(
                "only operators may {what}"
            )))
        }
    }

    /// Writes an audit row; a failure to record it fails the answer, since an action that
    /// cannot be audited should not look done. The action itself is already committed, so
    /// it is logged loudly.
    pub async fn audit(
        &self,
        caller: &Caller,
        action: &str,
        object: Option<&str>,
        page_id: Option<&str>,
        detail: Option<&str>,
    ) -> Result<(), ServiceError> {
        self.access
            .record(caller, action, object, page_id, detail)
            .await
            .map_err(|e| {
                tracing::error!(action, actor = caller.actor(), error = %e, "cannot write the audit row");
                ServiceError::Store(e)
            })
    }
}
