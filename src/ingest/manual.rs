//! Manual writes: imports, edits, restores and ignored updates applied by hand, as the HTTP
//! API and the web pages make them (after their own access checks).
//!
//! Each is validated exactly as a feed item of its page is (the page's domain, the
//! configured zone for offset-less times; errors block and store nothing), then decided by
//! the same [`update::plan`] as a feed run, with its own [`Origin`], and committed, both
//! under the page's writer lock ([`Store::write_page`]): writers of one page take turns.

use serde::Serialize;

use super::lookups::Lookups;
use super::update::{self, Origin, Would};
use crate::model::{CanonicalUrl, Diagnostic, Position};
use crate::parse::source::SourceMap;
use crate::store::{
    ImportKey, ImportOutcome, KeyedImport, ManualCommit, Page, PageWriter, RevisionSource, Store,
    StoreError, WriteAction, WriteStatus,
};
use crate::validate::{CheckOptions, InputReport, RuleId, Verdict, check_article_text};

/// How often a manual write plans and commits again when a write conflicted (a unique key
/// taken by a page whose domain nests in this one's).
const ATTEMPTS: u32 = 3;

/// The answer of an edit, a restore or an ignored update applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EditOutcome {
    /// `success` or `failed`.
    pub status: WriteStatus,
    /// The article edited.
    pub canonical_url: String,
    /// `updated`, `unchanged` or `rejected`.
    pub action: WriteAction,
    /// The article's revision after the write (none when rejected).
    pub revision: Option<i64>,
    /// The verdict of the HTML.
    pub verdict: Verdict,
    /// Its diagnostics (cli.md's diagnostic objects).
    pub diagnostics: Vec<Diagnostic>,
}

impl EditOutcome {
    /// Nothing was stored.
    pub fn is_rejected(&self) -> bool {
        self.action == WriteAction::Rejected
    }

    /// `updated`, `unchanged` or `rejected`.
    pub fn action_str(&self) -> &'static str {
        self.action.as_str()
    }

    /// Why it was rejected (or what it did), in one sentence.
    pub fn message(&self) -> String {
        if !self.is_rejected() {
            return format!("article {}", self.action_str());
        }
        if let Some(d) = self
            .diagnostics
            .iter()
            .find(|d| d.rule == RuleId::UpdateCanonicalChanged)
        {
            return d.message.clone();
        }
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        format!("the article has {errors} error(s); nothing was stored")
    }

    fn rejected(canonical_url: &str, diagnostics: Vec<Diagnostic>) -> EditOutcome {
        EditOutcome {
            status: WriteStatus::Failed,
            canonical_url: canonical_url.to_string(),
            action: WriteAction::Rejected,
            revision: None,
            verdict: Verdict::of(&diagnostics),
            diagnostics,
        }
    }
}

/// Checks an article's HTML as an item of `page`'s feed is checked, off the runtime.
async fn check(page: &Page, html: &str, zone: chrono_tz::Tz) -> InputReport {
    let options = CheckOptions {
        domain: Some(page.domain.clone()),
        zone,
        keep_html: true,
        ..CheckOptions::default()
    };
    let html = html.to_string();
    match tokio::task::spawn_blocking(move || check_article_text(&html, &options)).await {
        Ok(report) => report,
        // A defect of the checker: let it surface where the caller's task runs.
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the article check was cancelled: {e}"),
        },
    }
}

/// The item's diagnostics as the plan logged them (the update decision's included).
fn item_diagnostics(plan: &update::Plan, item: &update::ItemOutcome) -> Vec<Diagnostic> {
    plan.diagnostics[item.diagnostics.clone()]
        .iter()
        .map(|d| d.to_diagnostic())
        .collect()
}

/// Imports an article into `page`: validated exactly like an item of the page's feed, a
/// new canonical URL is inserted (live when `published`, else a draft), a stored article
/// of the page is updated like a manual edit (`published` makes a draft live; an
/// unpublished import never demotes a live article). The answer is recorded, failed ones
/// included, for [`Store::import`]. The decision and the write happen under the page's
/// writer lock ([`StoreError::Busy`] when it was not had in time).
pub async fn import(
    store: &Store,
    page: &Page,
    request: &ImportRequest<'_>,
    zone: chrono_tz::Tz,
) -> Result<Imported, StoreError> {
    let ImportRequest {
        html,
        published,
        author,
        key,
    } = *request;
    let report = check(page, html, zone).await;
    let canonical_url = report.articles[0]
        .canonical_url
        .as_ref()
        .map(|c| c.as_str().to_string());
    let mut attempt = 1;
    loop {
        let mut writer = store.write_page(&page.id).await?;
        // The same key again: the first answer, without importing twice.
        if let Some(key) = key {
            match writer.keyed_import(author, key).await {
                Ok(None) => {}
                Ok(Some(KeyedImport::Same(outcome))) => {
                    writer.release().await;
                    return Ok(Imported::Replayed(outcome));
                }
                Ok(Some(KeyedImport::Different)) => {
                    writer.release().await;
                    return Ok(Imported::KeyReused);
                }
                Err(e) => {
                    writer.release().await;
                    return Err(e);
                }
            }
        }
        let mut lookups = Lookups::default();
        if let Err(e) = lookups.load_report(&mut writer, &report).await {
            writer.release().await;
            return Err(e);
        }
        let origin = Origin::Import { published };
        let plan = update::plan(page, origin, &report, &lookups);
        let item = &plan.items[0];
        let diagnostics = item_diagnostics(&plan, item);
        let action = match item.would {
            Would::Insert => WriteAction::Inserted,
            Would::Update | Would::MakeLive => WriteAction::Updated,
            Would::Unchanged => WriteAction::Unchanged,
            Would::Ignore | Would::Reject => WriteAction::Rejected,
        };
        let mut outcome = ImportOutcome {
            import_id: 0,
            status: action.status(),
            canonical_url: canonical_url.clone(),
            action,
            verdict: Verdict::of(&diagnostics),
            diagnostics,
        };
        if action == WriteAction::Rejected {
            outcome.import_id = writer.record_failed_import(author, &outcome, key).await?;
            return Ok(Imported::New(outcome));
        }
        let commit = ManualCommit {
            writes: &plan.writes,
            source: RevisionSource::Import,
            author,
            import: Some(&outcome),
            import_key: key,
        };
        match writer.commit_manual(&commit).await {
            Ok(committed) => {
                outcome.import_id = committed.import_id.unwrap_or_default();
                return Ok(Imported::New(outcome));
            }
            Err(e) if e.is_conflict() && attempt < ATTEMPTS => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

/// An import to make.
#[derive(Clone, Copy, Debug)]
pub struct ImportRequest<'a> {
    /// The article's HTML.
    pub html: &'a str,
    /// Live when `true`, else a draft (which never demotes a live article).
    pub published: bool,
    /// Who imports it.
    pub author: &'a str,
    /// The client's key for sending it again, when it gave one.
    pub key: Option<ImportKey<'a>>,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Imported {
    /// Decided now (stored or rejected): its answer.
    New(ImportOutcome),
    /// Sent again with its key: the first answer, nothing done again.
    Replayed(ImportOutcome),
    /// The key was used with another request: nothing done.
    KeyReused,
}

/// A manual edit of the stored article `canonical_url` of `page`: validated like an item of
/// the page's feed (errors reject it and store nothing), its canonical URL must be the
/// edited one exactly (`update-canonical-changed`); otherwise a new revision with `source`
/// (`Manual` or `Restore`) and `author`, the status kept, the `op-modified` ordering and the
/// 24 h window not applied. Identical content stores no revision (`unchanged`). Decided and
/// written under the page's writer lock.
///
/// [`StoreError::NoSuchArticle`] when the page has no such article.
pub async fn edit(
    store: &Store,
    page: &Page,
    edit: &ManualEdit<'_>,
    zone: chrono_tz::Tz,
) -> Result<EditOutcome, StoreError> {
    let ManualEdit {
        canonical_url,
        html,
        author,
        source,
    } = *edit;
    let report = check(page, html, zone).await;
    let article = &report.articles[0];
    let mut diagnostics = article.diagnostics.clone();
    if let Some(found) = &article.canonical_url
        && found.as_str() != canonical_url
    {
        diagnostics.push(Diagnostic::new(
            RuleId::UpdateCanonicalChanged,
            format!(
                "the canonical URL `{}` is not the URL of the article edited, `{canonical_url}`; \
                 an edit cannot change an article's canonical URL (import it as a new article \
                 instead)",
                found.as_str()
            ),
            canonical_position(html, found),
        ));
    }
    let mut attempt = 1;
    loop {
        let mut writer = store.write_page(&page.id).await?;
        let decided = decide_edit(&mut writer, page, canonical_url, &report, &diagnostics).await;
        let (plan, outcome) = match decided {
            Ok(Some(decided)) => decided,
            Ok(None) => {
                writer.release().await;
                return Ok(EditOutcome::rejected(canonical_url, diagnostics));
            }
            Err(e) => {
                writer.release().await;
                return Err(e);
            }
        };
        if plan.writes.is_empty() {
            writer.release().await;
            return Ok(outcome);
        }
        let commit = ManualCommit {
            writes: &plan.writes,
            source,
            author,
            import: None,
            import_key: None,
        };
        match writer.commit_manual(&commit).await {
            Ok(committed) => {
                let mut outcome = outcome;
                outcome.revision = committed.revision.or(outcome.revision);
                return Ok(outcome);
            }
            Err(e) if e.is_conflict() && attempt < ATTEMPTS => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

/// What a manual edit writes.
#[derive(Clone, Copy, Debug)]
pub struct ManualEdit<'a> {
    /// The article edited.
    pub canonical_url: &'a str,
    /// Its new HTML.
    pub html: &'a str,
    /// Who edits it.
    pub author: &'a str,
    /// `Manual` or `Restore`.
    pub source: RevisionSource,
}

/// Decides an edit under the page's lock: the plan and the answer, or `None` when the
/// edit's own diagnostics reject it. [`StoreError::NoSuchArticle`] when the page has no
/// such article.
async fn decide_edit(
    writer: &mut PageWriter,
    page: &Page,
    canonical_url: &str,
    report: &InputReport,
    own: &[Diagnostic],
) -> Result<Option<(update::Plan, EditOutcome)>, StoreError> {
    let heads = writer.article_heads(&[canonical_url]).await?;
    let Some(head) = heads.get(canonical_url).filter(|h| h.page_id == page.id) else {
        return Err(StoreError::NoSuchArticle(canonical_url.to_string()));
    };
    if Verdict::of(own) == Verdict::Reject {
        return Ok(None);
    }
    let mut lookups = Lookups::default();
    lookups.load_report(writer, report).await?;
    let plan = update::plan(page, Origin::Manual, report, &lookups);
    let item = &plan.items[0];
    let diagnostics = item_diagnostics(&plan, item);
    let action = match item.would {
        Would::Update | Would::MakeLive => WriteAction::Updated,
        Would::Unchanged => WriteAction::Unchanged,
        Would::Insert | Would::Ignore | Would::Reject => {
            if Verdict::of(&diagnostics) != Verdict::Reject {
                return Err(StoreError::NoSuchArticle(canonical_url.to_string()));
            }
            return Ok(None);
        }
    };
    let outcome = EditOutcome {
        status: WriteStatus::Success,
        canonical_url: canonical_url.to_string(),
        action,
        revision: Some(head.revision),
        verdict: Verdict::of(&diagnostics),
        diagnostics,
    };
    Ok(Some((plan, outcome)))
}

/// Restores revision `revision` of the article: an edit with that revision's HTML, source
/// `restore`.
pub async fn restore(
    store: &Store,
    page: &Page,
    canonical_url: &str,
    revision: i64,
    author: &str,
    zone: chrono_tz::Tz,
) -> Result<EditOutcome, StoreError> {
    let heads = store.article_heads(&[canonical_url]).await?;
    if heads
        .get(canonical_url)
        .is_none_or(|h| h.page_id != page.id)
    {
        return Err(StoreError::NoSuchArticle(canonical_url.to_string()));
    }
    let html = store
        .revision(canonical_url, revision)
        .await?
        .and_then(|r| r.html)
        .ok_or_else(|| StoreError::NoSuchRevision {
            url: canonical_url.to_string(),
            revision,
        })?;
    let restore = ManualEdit {
        canonical_url,
        html: &html,
        author,
        source: RevisionSource::Restore,
    };
    edit(store, page, &restore, zone).await
}

/// Applies the article's pending ignored update by hand: an edit with its HTML, source
/// `manual`. [`StoreError::NoIgnoredUpdate`] when none is pending.
pub async fn apply_ignored(
    store: &Store,
    page: &Page,
    canonical_url: &str,
    author: &str,
    zone: chrono_tz::Tz,
) -> Result<EditOutcome, StoreError> {
    let pending = store
        .ignored_update(canonical_url)
        .await?
        .filter(|i| i.page_id == page.id)
        .ok_or_else(|| StoreError::NoIgnoredUpdate(canonical_url.to_string()))?;
    let apply = ManualEdit {
        canonical_url,
        html: &pending.html,
        author,
        source: RevisionSource::Manual,
    };
    edit(store, page, &apply, zone).await
}

/// Where the canonical URL is written in the HTML, as far as it can be found.
fn canonical_position(html: &str, canonical: &CanonicalUrl) -> Option<Position> {
    let offset = html
        .find(canonical.as_str())
        .or_else(|| html.find("canonical"))?;
    Some(SourceMap::verbatim(Position::START).position(html, offset))
}
