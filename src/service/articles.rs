//! Articles: lists, one article with its diagnostics, revisions and pending ignored
//! update; manual edits, restores, publishing, deletion, imports and dry runs. Every write
//! goes through the ingest code's one update decision ([`crate::ingest::manual`]).

use std::str::FromStr;

use serde_json::Value;

use super::{Listing, Service, ServiceError, no_article};
use crate::access::Caller;
use crate::ingest::manual;
use crate::model::ArticleStatus;
use crate::report::diagnostic_json;
use crate::store::{FeedKind, Page, RevisionSource, StoredArticle};
use crate::validate::{CheckOptions, check_input};

/// The answer of an import and the status it is given with.
#[derive(Debug)]
pub struct ImportAnswer {
    /// `true` when a new article was inserted (201).
    pub created: bool,
    /// `true` when it failed (422).
    pub failed: bool,
    /// The import object.
    pub body: Value,
}

/// What a dry run checks: a feed body, or a URL to fetch.
#[derive(Debug)]
pub enum DryRunInput {
    /// The feed itself.
    Body(Vec<u8>),
    /// A feed URL, fetched like a daemon's run (same limits, same SSRF guard).
    Url(String),
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
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
        status: Option<&str>,
        q: Option<&str>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Listing<Value>, ServiceError> {
        self.visible_page(caller, page_id).await?;
        let status = status
            .map(|s| {
                ArticleStatus::from_str(s)
                    .map_err(|_| ServiceError::BadRequest(format!("status `{s}`: live or draft")))
            })
            .transpose()?;
        let q = q.map(str::trim).filter(|q| !q.is_empty());
        let (items, next_cursor) = self
            .store
            .article_page(page_id, status, q, cursor, limit)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::BadCursor(c) => {
                    ServiceError::BadRequest(format!("`{c}` is not a cursor of this list"))
                }
                e => e.into(),
            })?;
        Ok(Listing {
            items: items.iter().map(to_value).collect(),
            next_cursor,
        })
    }

    /// One article: the list fields, its HTML, the diagnostics of its stored version, its
    /// revisions and its pending ignored update.
    pub async fn article(&self, caller: &Caller, url: &str) -> Result<Value, ServiceError> {
        let (article, page) = self.visible_article(caller, url).await?;
        let item = self
            .store
            .article_item(url)
            .await?
            .ok_or_else(|| ServiceError::NotFound(no_article(url)))?;
        let html = article.html.clone().unwrap_or_default();
        let diagnostics = self.article_diagnostics(&page, &html).await;
        let revisions = self.store.revisions(url).await?;
        let ignored = self.store.ignored_update(url).await?;
        let mut value = to_value(&item);
        value["html"] = Value::String(html);
        value["diagnostics"] = diagnostics;
        value["revisions"] = to_value(&revisions);
        value["pending_ignored_update"] = match &ignored {
            Some(i) => {
                let mut v = to_value(i);
                // The HTML is one request away (`GET /articles/ignored`).
                if let Some(o) = v.as_object_mut() {
                    o.remove("html");
                }
                v
            }
            None => Value::Null,
        };
        Ok(value)
    }

    /// The diagnostics of an article's HTML checked as an item of `page`'s feed.
    async fn article_diagnostics(&self, page: &Page, html: &str) -> Value {
        let options = CheckOptions {
            domain: Some(page.domain.clone()),
            zone: self.zone(),
            ..CheckOptions::default()
        };
        let bytes = html.as_bytes().to_vec();
        let checked = tokio::task::spawn_blocking(move || {
            let report = check_input(bytes, std::io::empty(), &options);
            report
                .all_diagnostics()
                .map(diagnostic_json)
                .collect::<Vec<_>>()
        })
        .await;
        Value::Array(checked.unwrap_or_default())
    }

    /// One revision with its HTML.
    pub async fn revision(
        &self,
        caller: &Caller,
        url: &str,
        number: i64,
    ) -> Result<Value, ServiceError> {
        self.visible_article(caller, url).await?;
        let revision = self.store.revision(url, number).await?.ok_or_else(|| {
            ServiceError::NotFound(format!("the article has no revision {number}"))
        })?;
        Ok(to_value(&revision))
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
    ) -> Result<Value, ServiceError> {
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
    ) -> Result<Value, ServiceError> {
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
    pub async fn apply_ignored(&self, caller: &Caller, url: &str) -> Result<Value, ServiceError> {
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
    ) -> Result<Value, ServiceError> {
        if outcome.is_rejected() {
            return Err(ServiceError::Unprocessable {
                message: outcome.message(),
                diagnostics: outcome.diagnostics.iter().map(diagnostic_json).collect(),
            });
        }
        self.audit(caller, action, Some(url), Some(&page.id), detail)
            .await?;
        let mut value = self.article(caller, url).await?;
        value["action"] = Value::String(outcome.action_str().into());
        Ok(value)
    }

    /// The pending ignored update, with its HTML.
    pub async fn ignored(&self, caller: &Caller, url: &str) -> Result<Value, ServiceError> {
        let (article, _) = self.visible_article(caller, url).await?;
        let ignored = self.store.ignored_update(url).await?.ok_or_else(|| {
            ServiceError::NotFound("the article has no pending ignored update".into())
        })?;
        let mut value = to_value(&ignored);
        value["stored_op_modified"] = crate::report::records::time(article.op_modified);
        Ok(value)
    }

    /// A draft becomes live.
    pub async fn publish(&self, caller: &Caller, url: &str) -> Result<Value, ServiceError> {
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
    pub async fn import(
        &self,
        caller: &Caller,
        page_id: &str,
        html: &str,
        published: bool,
    ) -> Result<ImportAnswer, ServiceError> {
        let page = self.visible_page(caller, page_id).await?;
        let outcome = manual::import(
            &self.store,
            &page,
            html,
            published,
            caller.actor(),
            self.zone(),
        )
        .await?;
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
            body: to_value(&outcome),
        })
    }

    /// An import's answer, later.
    pub async fn import_status(&self, caller: &Caller, id: i64) -> Result<Value, ServiceError> {
        let missing = || ServiceError::NotFound("no such import".into());
        let (page_id, outcome) = self.store.import(id).await?.ok_or_else(missing)?;
        if !caller.scope.allows(&page_id) {
            return Err(missing());
        }
        Ok(to_value(&outcome))
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
