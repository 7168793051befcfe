//! Articles, their revisions, pending ignored updates, and the answers of manual writes.

use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{ArticleStatus, Diagnostic, Timestamp};
use crate::registry::RuleId;
use crate::store::{
    IgnoredUpdate, ImportOutcome, Revision, RevisionSource, StoredArticle, WriteAction,
};

/// A stored article as `iarss articles list --format json` writes it (docs/cli.md's
/// article object): nothing in it changes on a run that inserts or updates nothing.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ArticleRecord {
    /// Its canonical URL, exactly as written: the article's key.
    pub canonical_url: String,
    /// The page it belongs to.
    pub page_id: String,
    /// The header's title, whitespace collapsed.
    pub title: Option<String>,
    /// Shown to readers (`live`) or not (`draft`).
    pub status: ArticleStatus,
    /// Its `op-published` time.
    pub op_published: Option<Timestamp>,
    /// Its `op-modified` time.
    pub op_modified: Option<Timestamp>,
    /// When it was first stored.
    pub first_ingested_at: Timestamp,
    /// When a change was last applied (content or status).
    pub updated_at: Timestamp,
}

/// A stored article as lists show it: the article record, with its revision, the findings
/// of its last version seen and whether an ignored update is pending.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ArticleView {
    /// The record.
    #[serde(flatten)]
    pub record: ArticleRecord,
    /// The current revision's number.
    #[schema(minimum = 1)]
    pub revision: i64,
    /// Errors of the last version seen (a newer version that was rejected has some).
    pub errors: i64,
    /// Warnings of the last version seen.
    pub warnings: i64,
    /// Whether a refused newer version waits to be applied by hand.
    pub ignored_update: bool,
}

/// One article with everything about it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ArticleDetail {
    /// The list fields.
    #[serde(flatten)]
    pub article: ArticleView,
    /// The stored version's HTML.
    pub html: String,
    /// The stored version checked now as an item of its page (positions are the HTML's).
    pub diagnostics: Vec<Diagnostic>,
    /// Every revision, newest first.
    pub revisions: Vec<RevisionView>,
    /// The refused newer version waiting to be applied by hand, without its HTML
    /// (`GET /articles/ignored` has it).
    pub pending_ignored_update: Option<IgnoredUpdateView>,
}

/// The answer of an edit, a restore or an ignored update applied: the article as it is
/// now, and what the write did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EditAnswer {
    /// The article.
    #[serde(flatten)]
    pub article: ArticleDetail,
    /// `updated` (a new revision) or `unchanged` (identical to the stored version).
    pub action: WriteAction,
}

/// One applied version of an article.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RevisionView {
    /// Its number: 1 for the inserted version, one more per applied version.
    #[schema(minimum = 1)]
    pub number: i64,
    /// Where it came from.
    pub source: RevisionSource,
    /// The feed run that applied it (feed revisions).
    pub run_id: Option<i64>,
    /// Who wrote it (imports, edits, restores).
    pub author: Option<String>,
    /// The article's status when it was applied.
    pub status: ArticleStatus,
    /// Its `op-modified` time.
    pub op_modified: Option<Timestamp>,
    /// When it was applied.
    pub created_at: Timestamp,
    /// Its HTML (when one revision is asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

/// A newer version that an update rule refused, kept so it can be compared and applied by
/// hand.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IgnoredUpdateView {
    /// The article.
    pub canonical_url: String,
    /// Its page.
    pub page_id: String,
    /// The rule that refused it.
    pub rule: RuleId,
    /// Why, with both times.
    pub message: String,
    /// The refused version's `op-modified`.
    pub op_modified: Option<Timestamp>,
    /// The stored version's `op-modified` (or `op-published`), which it was compared with.
    pub stored_op_modified: Option<Timestamp>,
    /// The run that saw it.
    pub run_id: i64,
    /// When it was refused.
    pub created_at: Timestamp,
    /// Its HTML (`GET /articles/ignored` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

/// The answer of an import, with the status it is given with.
#[derive(Clone, Debug)]
pub struct ImportAnswer {
    /// `true` when a new article was inserted (201).
    pub created: bool,
    /// `true` when it failed (422).
    pub failed: bool,
    /// The import object.
    pub body: ImportOutcome,
}

impl From<&StoredArticle> for ArticleRecord {
    fn from(a: &StoredArticle) -> ArticleRecord {
        ArticleRecord {
            canonical_url: a.canonical_url.clone(),
            page_id: a.page_id.clone(),
            title: a.title.clone(),
            status: a.status,
            op_published: a.op_published.map(Timestamp),
            op_modified: a.op_modified.map(Timestamp),
            first_ingested_at: Timestamp(a.first_ingested_at),
            updated_at: Timestamp(a.updated_at),
        }
    }
}

impl From<&StoredArticle> for ArticleView {
    fn from(a: &StoredArticle) -> ArticleView {
        ArticleView {
            record: ArticleRecord::from(a),
            revision: a.revision,
            errors: a.errors,
            warnings: a.warnings,
            ignored_update: a.ignored_update,
        }
    }
}

impl From<&Revision> for RevisionView {
    fn from(r: &Revision) -> RevisionView {
        RevisionView {
            number: r.number,
            source: r.source,
            run_id: r.run_id,
            author: r.author.clone(),
            status: r.status,
            op_modified: r.op_modified.map(Timestamp),
            created_at: Timestamp(r.created_at),
            html: r.html.clone(),
        }
    }
}

impl IgnoredUpdateView {
    /// The view of a pending update compared with a stored version modified at
    /// `stored_op_modified`; with its HTML when `with_html`.
    pub fn of(i: &IgnoredUpdate, stored_op_modified: Option<i64>, with_html: bool) -> Self {
        IgnoredUpdateView {
            canonical_url: i.canonical_url.clone(),
            page_id: i.page_id.clone(),
            rule: i.rule,
            message: i.message.clone(),
            op_modified: i.op_modified.map(Timestamp),
            stored_op_modified: stored_op_modified.map(Timestamp),
            run_id: i.run_id,
            created_at: Timestamp(i.created_at),
            html: with_html.then(|| i.html.clone()),
        }
    }
}
