//! Pages: listed with both feeds' state and article counts, created, changed and removed
//! by operators, fetched now by members.

use serde::Deserialize;

use super::views::{FetchNowAnswer, Listing, PageView};
use super::{Service, ServiceError, decode_cursor, encode_cursor, no_page};
use crate::access::Caller;
use crate::model::Domain;
use crate::store::{NewPage, PageChange, PageOverview, StoreError};

/// A page to create, as the API takes it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PageRequest {
    /// Its id: letters, digits, `-`, `_`, `.`, starting with a letter or a digit.
    #[schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")]
    pub id: String,
    /// Its one domain (a host name; no two pages share one).
    #[schema(
        max_length = 253,
        pattern = r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
    )]
    pub domain: String,
    /// Display name (default: the id): no control character, not only spaces.
    #[schema(
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x1F\x7F-\x9F\s][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub name: Option<String>,
    /// Production feed URL: http(s), or `file:` (which only a daemon configured to allow
    /// them fetches).
    #[schema(
        max_length = 2000,
        pattern = r#"^(https?://([A-Za-z0-9._~%!$&'()*+,;=:-]*@)?(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])|([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?\.?)(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?([/?#][!-~]*)?|file:///[!-~]*)$"#
    )]
    pub feed_url: Option<String>,
    /// Development feed URL, as `feed_url`.
    #[schema(
        max_length = 2000,
        pattern = r#"^(https?://([A-Za-z0-9._~%!$&'()*+,;=:-]*@)?(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])|([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?\.?)(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?([/?#][!-~]*)?|file:///[!-~]*)$"#
    )]
    pub dev_feed_url: Option<String>,
    /// Scheduled by the daemon (default true).
    pub enabled: Option<bool>,
}

/// What to change of a page; a field left out is left as it is, a feed URL set to null is
/// removed.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PagePatch {
    /// A new display name: no control character, not only spaces.
    #[schema(
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x1F\x7F-\x9F\s][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub name: Option<String>,
    /// A new production feed URL, or null.
    #[serde(default, deserialize_with = "some_or_null")]
    #[schema(value_type = Option<String>, max_length = 2000, pattern = r#"^(https?://([A-Za-z0-9._~%!$&'()*+,;=:-]*@)?(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])|([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?\.?)(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?([/?#][!-~]*)?|file:///[!-~]*)$"#)]
    pub feed_url: Option<Option<String>>,
    /// A new development feed URL, or null.
    #[serde(default, deserialize_with = "some_or_null")]
    #[schema(value_type = Option<String>, max_length = 2000, pattern = r#"^(https?://([A-Za-z0-9._~%!$&'()*+,;=:-]*@)?(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])|([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?\.?)(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?([/?#][!-~]*)?|file:///[!-~]*)$"#)]
    pub dev_feed_url: Option<Option<String>>,
    /// Scheduled or not.
    pub enabled: Option<bool>,
    /// Refused with a message that says why: a page's domain never changes. Not part of
    /// the document, which offers only what can change.
    #[schema(ignore)]
    pub domain: Option<serde::de::IgnoredAny>,
}

/// A present field, null included, as `Some`.
fn some_or_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl Service {
    /// The pages the caller may see, by id, a screen at a time.
    pub async fn pages(
        &self,
        caller: &Caller,
        cursor: Option<&str>,
        limit: i64,
        failing_only: bool,
    ) -> Result<Listing<PageView>, ServiceError> {
        let after = cursor.map(decode_cursor).transpose()?.flatten();
        let overviews = self
            .store
            .page_overviews_in(
                caller.scope.page_ids(),
                after.as_deref(),
                limit + 1,
                failing_only,
            )
            .await?;
        self.page_listing(overviews, limit).await
    }

    /// The cursor of the screen of pages before the one that starts at page `first`:
    /// `None` when none comes before, `Some(None)` for the first screen.
    pub async fn pages_screen_before(
        &self,
        caller: &Caller,
        first: &str,
        limit: i64,
        failing_only: bool,
    ) -> Result<Option<Option<String>>, ServiceError> {
        Ok(self
            .store
            .pages_screen_before(caller.scope.page_ids(), first, limit, failing_only)
            .await?
            .map(|c| c.map(|k| encode_cursor(&k))))
    }

    async fn page_listing(
        &self,
        mut overviews: Vec<PageOverview>,
        limit: i64,
    ) -> Result<Listing<PageView>, ServiceError> {
        let more = overviews.len() as i64 > limit;
        overviews.truncate(limit as usize);
        let ids: Vec<String> = overviews.iter().map(|o| o.page.id.clone()).collect();
        let counts = self.store.article_counts(&ids).await?;
        let items = self.store.feed_item_counts(&ids).await?;
        Ok(Listing {
            next_cursor: more
                .then(|| overviews.last().map(|o| encode_cursor(&o.page.id)))
                .flatten(),
            items: overviews
                .iter()
                .map(|o| {
                    PageView::of(o, counts.get(&o.page.id).cloned())
                        .with_item_counts(items.get(&o.page.id))
                })
                .collect(),
        })
    }

    /// One page, if the caller may see it.
    pub async fn page(&self, caller: &Caller, id: &str) -> Result<PageView, ServiceError> {
        self.visible_page(caller, id).await?;
        self.page_view(id).await
    }

    async fn page_view(&self, id: &str) -> Result<PageView, ServiceError> {
        let one = [id.to_string()];
        let overview = self
            .store
            .page_overviews_in(Some(&one), None, 1, false)
            .await?
            .pop()
            .ok_or_else(|| ServiceError::NotFound(no_page(id)))?;
        let counts = self.store.article_counts(&one).await?;
        let items = self.store.feed_item_counts(&one).await?;
        Ok(PageView::of(&overview, counts.get(id).cloned()).with_item_counts(items.get(id)))
    }

    /// Creates a page (operators).
    pub async fn create_page(
        &self,
        caller: &Caller,
        request: PageRequest,
    ) -> Result<PageView, ServiceError> {
        self.require_operator(caller, "create pages")?;
        let domain = Domain::parse(&request.domain)
            .map_err(|e| ServiceError::BadRequest(format!("domain: {e}")))?;
        let page = NewPage {
            name: request.name.unwrap_or_else(|| request.id.clone()),
            id: request.id,
            domain,
            feed_url: request.feed_url,
            dev_feed_url: request.dev_feed_url,
            enabled: request.enabled.unwrap_or(true),
        };
        let created = self.store.add_page(&page).await?;
        self.audit(
            caller,
            "page_created",
            Some(&created.id),
            Some(&created.id),
            None,
        )
        .await?;
        self.page_view(&created.id).await
    }

    /// Changes a page (operators; a publisher member is told so, anyone else gets 404).
    pub async fn change_page(
        &self,
        caller: &Caller,
        id: &str,
        patch: PagePatch,
    ) -> Result<PageView, ServiceError> {
        self.visible_page(caller, id).await?;
        self.require_operator(caller, "change pages")?;
        if patch.domain.is_some() {
            return Err(ServiceError::BadRequest(
                "a page's domain never changes (its articles were checked against it); create a new page"
                    .into(),
            ));
        }
        let change = PageChange {
            name: patch.name,
            feed_url: patch.feed_url,
            dev_feed_url: patch.dev_feed_url,
            enabled: patch.enabled,
        };
        self.store.change_page(id, &change).await?;
        let mut fields = Vec::new();
        if change.name.is_some() {
            fields.push("name");
        }
        if change.feed_url.is_some() {
            fields.push("feed_url");
        }
        if change.dev_feed_url.is_some() {
            fields.push("dev_feed_url");
        }
        if let Some(enabled) = change.enabled {
            fields.push(if enabled { "enabled" } else { "disabled" });
        }
        self.audit(
            caller,
            "page_changed",
            Some(id),
            Some(id),
            Some(&fields.join(", ")),
        )
        .await?;
        self.page_view(id).await
    }

    /// Removes a page (operators); refused while it has articles unless `with_articles`.
    pub async fn remove_page(
        &self,
        caller: &Caller,
        id: &str,
        with_articles: bool,
    ) -> Result<(), ServiceError> {
        self.visible_page(caller, id).await?;
        self.require_operator(caller, "remove pages")?;
        self.store.remove_page(id, with_articles).await?;
        let detail = with_articles.then_some("with its articles");
        self.audit(caller, "page_removed", Some(id), Some(id), detail)
            .await
    }

    /// Makes both feeds of a page due now, at most once per 10 s per page (whichever
    /// daemon or replica is asked).
    pub async fn fetch_now(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<FetchNowAnswer, ServiceError> {
        let page = self.visible_page(caller, id).await?;
        // No daemon fetches a disabled page: "due now" would be a promise nobody keeps.
        if !page.enabled {
            return Err(ServiceError::Conflict(format!(
                "page `{id}` is disabled: no feed of it is fetched until an operator enables it"
            )));
        }
        let every = self.fetch_now_every;
        match self
            .store
            .request_fetch_now(id, every.as_millis() as i64)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                return Err(ServiceError::TooSoon {
                    message: format!(
                        "page `{id}` was asked to fetch less than {} s ago",
                        every.as_secs()
                    ),
                    retry_after: every.as_secs(),
                });
            }
            Err(StoreError::NoSuchPage(_)) => return Err(ServiceError::NotFound(no_page(id))),
            Err(e) => return Err(e.into()),
        }
        self.audit(caller, "fetch_now", Some(id), Some(id), None)
            .await?;
        Ok(FetchNowAnswer {
            page_id: id.to_string(),
            fetch: "due now",
        })
    }
}
