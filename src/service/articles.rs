//! Articles: lists, one article with its diagnostics, revisions and pending ignored
//! update; manual edits, restores, publishing, deletion, imports and dry runs. Every write
//! goes through the ingest code's one update decision ([`crate::ingest::manual`]).

use super::views::{
    ArticleDetail, ArticleView, EditAnswer, IgnoredUpdateView, ImportAnswer, Listing,
    RejectedVersionView, RevisionView,
};
use super::{Service, ServiceError, no_article};
use crate::access::Caller;
use crate::ingest::manual;
use crate::model::{ArticleStatus, Diagnostic};
use crate::store::{
    ArticleFilter, FeedKind, FilterCounts, ImportKey, ImportOutcome, Page, RevisionSource,
    StoredArticle,
};
use crate::validate::{CheckOptions, check_input};

/// A client's key for an import it may send again (`Idempotency-Key`): 1 to 255 visible
/// ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The key, checked.
    pub fn parse(key: &str) -> Result<IdempotencyKey, ServiceError> {
        let key = key.trim();
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ServiceError::BadRequest(
                "an idempotency key is 1 to 255 visible ASCII characters".into(),
            ));
        }
        Ok(IdempotencyKey(key.to_string()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a dry run checks: a feed body, or a URL to fetch.
#[derive(Debug)]
pub enum DryRunInput {
    /// The feed itself.
    Body(Vec<u8>),
    /// A feed URL, fetched like a daemon's run (same limits, same SSRF guard).
    Url(String),
}

impl Service {
    /// The article with this canonical URL if the caller may see it; otherwise exactly the
    /// answer for an article that does not exist.
    pub async fn visible_article(
        &self,
        caller: &Caller,
        url: &str,
    ) -> Result<(StoredArticle, Page), ServiceError> {
        let missing = || ServiceError::NotFound(no_article(url));
        let article = self.store.article(url).await?.ok_or_else(missing)?;
        if !caller.scope.allows(&article.page_id) {
            return Err(missing());
        }
        let page = self
            .store
            .page(&article.page_id)
            .await?
            .ok_or_else(missing)?;
        Ok((article, page))
    }

    /// A page's articles, newest change first, of one status and matching `q` (title or
    /// URL) when given.
    pub async fn articles(
        &self,
        caller: &Caller,
        page_id: &str,
        status: Option<ArticleStatus>,
        q: Option<&str>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Listing<ArticleView>, ServiceError> {
        self.filtered_articles(
            caller,
            page_id,
            status,
            q,
            ArticleFilter::All,
            cursor,
            limit,
        )
        .await
    }

    /// How many of a page's articles of one status each list filter keeps.
    pub async fn filter_counts(
        &self,
        caller: &Caller,
        page_id: &str,
        status: ArticleStatus,
    ) -> Result<FilterCounts, ServiceError> {
        self.visible_page(caller, page_id).await?;
        Ok(self.store.filter_counts(page_id, status).await?)
    }

    /// [`Service::articles`], kept to the articles `filter` names.
    #[allow(clippy::too_many_arguments)]
    pub async fn filtered_articles(
        &self,
        caller: &Caller,
        page_id: &str,
        status: Option<ArticleStatus>,
        q: Option<&str>,
        filter: ArticleFilter,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Listing<ArticleView>, ServiceError> {
        self.visible_page(caller, page_id).await?;
        let q = q.map(str::trim).filter(|q| !q.is_empty());
        let (items, next_cursor) = self
            .store
            .article_list(page_id, status, q, filter, cursor, limit)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::BadCursor(c) => {
                    ServiceError::BadRequest(format!("`{c}` is not a cursor of this list"))
                }
                e => e.into(),
            })?;
        Ok(Listing {
            items: items.iter().map(ArticleView::from).collect(),
            next_cursor,
        })
    }

    /// The cursor of the screen of [`Service::filtered_articles`] before the one that starts
    /// at `first`: `None` when none comes before, `Some(None)` for the first screen.
    #[allow(clippy::too_many_arguments)]
    pub async fn articles_screen_before(
        &self,
        caller: &Caller,
        page_id: &str,
        status: Option<ArticleStatus>,
        q: Option<&str>,
        filter: ArticleFilter,
        first: &ArticleView,
        limit: i64,
    ) -> Result<Option<Option<String>>, ServiceError> {
        self.visible_page(caller, page_id).await?;
        let q = q.map(str::trim).filter(|q| !q.is_empty());
        let record = &first.record;
        Ok(self
            .store
            .article_screen_before(
                page_id,
                status,
                q,
                filter,
                (record.updated_at.0, &record.canonical_url),
                limit,
            )
            .await?)
    }

    /// One article: the list fields, its HTML, the diagnostics of its stored version, its
    /// revisions and its pending ignored update.
    pub async fn article(&self, caller: &Caller, url: &str) -> Result<ArticleDetail, ServiceError> {
        let (article, page) = self.visible_article(caller, url).await?;
        let html = article.html.clone().unwrap_or_default();
        let diagnostics = self.article_diagnostics(&page, &html).await;
        let revisions = self.store.revisions(url).await?;
        let ignored = self.store.ignored_update(url).await?;
        let stored_modified = article.op_modified.or(article.op_published);
        let mut rejected_versions: Vec<RejectedVersionView> = self
            .store
            .feed_item_sightings(url)
            .await?
            .iter()
            .filter(|s| s.page_id == page.id)
            .filter_map(RejectedVersionView::of)
            .collect();
        rejected_versions.sort_by_key(|v| v.feed != FeedKind::Production);
        Ok(ArticleDetail {
            article: ArticleView::from(&article),
            html,
            diagnostics,
            revisions: revisions.iter().map(RevisionView::from).collect(),
            // The HTML is one request away (`GET /articles/ignored`).
            pending_ignored_update: ignored
                .as_ref()
                .map(|i| IgnoredUpdateView::of(i, stored_modified, &revisions, false)),
            rejected_versions,
        })
    }

    /// The diagnostics of an article's HTML checked as an item of `page`'s feed.
    async fn article_diagnostics(&self, page: &Page, html: &str) -> Vec<Diagnostic> {
        let options = CheckOptions {
            domain: Some(page.domain.clone()),
            zone: self.zone(),
            ..CheckOptions::default()
        };
        let bytes = html.as_bytes().to_vec();
        let checked = tokio::task::spawn_blocking(move || {
            let report = check_input(bytes, std::io::empty(), &options);
            report.all_diagnostics().cloned().collect::<Vec<_>>()
        })
        .await;
        checked.unwrap_or_default()
    }

    /// One revision with its HTML.
    pub async fn revision(
        &self,
        caller: &Caller,
        url: &str,
        number: i64,
    ) -> Result<RevisionView, ServiceError> {
        self.visible_article(caller, url).await?;
        let revision = self.store.revision(url, number).await?.ok_or_else(|| {
            ServiceError::NotFound(format!("the article has no revision {number}"))
        })?;
        Ok(RevisionView::from(&revision))
    }

    /// A unified diff between two revisions' HTML.
    pub async fn diff(
        &self,
        caller: &Caller,
        url: &str,
        from: i64,
        to: i64,
    ) -> Result<String, ServiceError> {
        self.visible_article(caller, url).await?;
        let html = |n: i64| async move {
            self.store
                .revision(url, n)
                .await?
                .and_then(|r| r.html)
                .ok_or_else(|| ServiceError::NotFound(format!("the article has no revision {n}")))
        };
        let (old, new) = (html(from).await?, html(to).await?);
        Ok(similar::TextDiff::from_lines(&old, &new)
            .unified_diff()
            .context_radius(3)
            .header(&format!("revision {from}"), &format!("revision {to}"))
            .to_string())
    }

    /// A manual edit: a new revision with `html` (source `manual`), validated like a feed
    /// item of the article's page; the op-modified ordering and the 24 h window do not
    /// apply.
    pub async fn edit(
        &self,
        caller: &Caller,
        url: &str,
        html: &str,
    ) -> Result<EditAnswer, ServiceError> {
        let (_, page) = self.visible_article(caller, url).await?;
        let edit = manual::ManualEdit {
            canonical_url: url,
            html,
            author: caller.actor(),
            source: RevisionSource::Manual,
        };
        let outcome = manual::edit(&self.store, &page, &edit, self.zone()).await?;
        self.finish_edit(caller, &page, url, outcome, "article_edited", None)
            .await
    }

    /// A new revision with revision `number`'s HTML (source `restore`), checked like an
    /// edit.
    pub async fn restore(
        &self,
        caller: &Caller,
        url: &str,
        number: i64,
    ) -> Result<EditAnswer, ServiceError> {
        let (_, page) = self.visible_article(caller, url).await?;
        let outcome =
            manual::restore(&self.store, &page, url, number, caller.actor(), self.zone()).await?;
        let detail = format!("revision {number}");
        self.finish_edit(
            caller,
            &page,
            url,
            outcome,
            "article_restored",
            Some(&detail),
        )
        .await
    }

    /// Applies the pending ignored update: a manual edit with its HTML.
    pub async fn apply_ignored(
        &self,
        caller: &Caller,
        url: &str,
    ) -> Result<EditAnswer, ServiceError> {
        let (_, page) = self.visible_article(caller, url).await?;
        if self.store.ignored_update(url).await?.is_none() {
            return Err(ServiceError::NotFound(
                "the article has no pending ignored update".to_string(),
            ));
        }
        let outcome =
            manual::apply_ignored(&self.store, &page, url, caller.actor(), self.zone()).await?;
        self.finish_edit(caller, &page, url, outcome, "ignored_update_applied", None)
            .await
    }

    async fn finish_edit(
        &self,
        caller: &Caller,
        page: &Page,
        url: &str,
        outcome: manual::EditOutcome,
        action: &str,
        detail: Option<&str>,
    ) -> Result<EditAnswer, ServiceError> {
        if outcome.is_rejected() {
            return Err(ServiceError::Unprocessable {
                message: outcome.message(),
                diagnostics: outcome.diagnostics.clone(),
            });
        }
        self.audit(caller, action, Some(url), Some(&page.id), detail)
            .await?;
        Ok(EditAnswer {
            article: self.article(caller, url).await?,
            action: outcome.action,
        })
    }

    /// The pending ignored update, with its HTML.
    pub async fn ignored(
        &self,
        caller: &Caller,
        url: &str,
    ) -> Result<IgnoredUpdateView, ServiceError> {
        let (article, _) = self.visible_article(caller, url).await?;
        let ignored = self.store.ignored_update(url).await?.ok_or_else(|| {
            ServiceError::NotFound("the article has no pending ignored update".into())
        })?;
        let stored_modified = article.op_modified.or(article.op_published);
        let revisions = self.store.revisions(url).await?;
        Ok(IgnoredUpdateView::of(
            &ignored,
            stored_modified,
            &revisions,
            true,
        ))
    }

    /// A draft becomes live.
    pub async fn publish(&self, caller: &Caller, url: &str) -> Result<ArticleDetail, ServiceError> {
        let (_, page) = self.visible_article(caller, url).await?;
        let changed = self.store.publish(&page.id, url).await?;
        if changed {
            self.audit(caller, "article_published", Some(url), Some(&page.id), None)
                .await?;
        }
        self.article(caller, url).await
    }

    /// Deletes an article with its revisions, warnings and pending ignored update; a later
    /// feed run may insert it again as new.
    pub async fn delete(&self, caller: &Caller, url: &str) -> Result<(), ServiceError> {
        let (_, page) = self.visible_article(caller, url).await?;
        self.store.delete_article(&page.id, url).await?;
        self.audit(caller, "article_deleted", Some(url), Some(&page.id), None)
            .await
    }

    /// Imports an article into a page: validated exactly like an item of the page's feed.
    /// With a `key`, the same import sent again within a day answers what the first one did
    /// (nothing imported twice, nothing audited twice); the key with another request is a
    /// conflict.
    pub async fn import(
        &self,
        caller: &Caller,
        page_id: &str,
        html: &str,
        published: bool,
        key: Option<&IdempotencyKey>,
    ) -> Result<ImportAnswer, ServiceError> {
        let page = self.visible_page(caller, page_id).await?;
        let request_hash = key.map(|_| {
            format!(
                "{:032x}",
                xxhash_rust::xxh3::xxh3_128(format!("{published}\n{html}").as_bytes())
            )
        });
        let request = manual::ImportRequest {
            html,
            published,
            author: caller.actor(),
            key: key.zip(request_hash.as_deref()).map(|(k, hash)| ImportKey {
                key: k.as_str(),
                request_hash: hash,
            }),
        };
        let outcome = match manual::import(&self.store, &page, &request, self.zone()).await? {
            manual::Imported::New(outcome) => outcome,
            manual::Imported::Replayed(outcome) => {
                return Ok(ImportAnswer {
                    created: outcome.is_inserted(),
                    failed: outcome.is_failed(),
                    body: outcome,
                });
            }
            manual::Imported::KeyReused => {
                return Err(ServiceError::Conflict(
                    "this Idempotency-Key was used with another request within the last day; \
                     use a new key for a new import"
                        .into(),
                ));
            }
        };
        let failed = outcome.is_failed();
        let created = outcome.is_inserted();
        let detail = format!(
            "{}{}",
            outcome.action_str(),
            if published { "" } else { ", draft" }
        );
        self.audit(
            caller,
            "article_imported",
            outcome.canonical_url.as_deref(),
            Some(&page.id),
            Some(&detail),
        )
        .await?;
        Ok(ImportAnswer {
            created,
            failed,
            body: outcome,
        })
    }

    /// An import's answer, later.
    pub async fn import_status(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<ImportOutcome, ServiceError> {
        let missing = || ServiceError::NotFound("no such import".into());
        let (page_id, outcome) = self.store.import(id).await?.ok_or_else(missing)?;
        if !caller.scope.allows(&page_id) {
            return Err(missing());
        }
        Ok(outcome)
    }

    /// What a run of this feed would do now, writing nothing.
    pub async fn dry_run(
        &self,
        caller: &Caller,
        page_id: &str,
        kind: FeedKind,
        input: DryRunInput,
    ) -> Result<crate::ingest::DryRun, ServiceError> {
        let page = self.visible_page(caller, page_id).await?;
        let result = match input {
            DryRunInput::Body(body) => {
                crate::ingest::dry_run_bytes(&self.store, &page, kind, body, None, &self.run).await
            }
            DryRunInput::Url(url) => {
                // Only what a page's feed URL may be fetched from; files are the daemon's.
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(ServiceError::BadRequest(format!(
                        "feed_url `{}` is not an http(s) URL",
                        crate::model::mask_url(&url)
                    )));
                }
                let source = crate::ingest::FeedSource::Url(url);
                crate::ingest::dry_run_source(&self.store, &page, kind, &source, &self.run).await
            }
        };
        result.map_err(|e| match e {
            crate::ingest::DryRunError::Store(e) => e.into(),
            crate::ingest::DryRunError::Internal(m) => ServiceError::Internal(m),
        })
    }
}
