//! Articles, their revisions, pending ignored updates, and the answers of manual writes.

use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{ArticleStatus, Diagnostic, ExcerptLine, Position, Timestamp};
use crate::registry::RuleId;
use crate::store::{
    ArticleSighting, FeedKind, IgnoredUpdate, ImportOutcome, ItemVerdict, Revision, RevisionSource,
    StoredArticle, WriteAction,
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
    /// The versions of this article that its page's feeds carry now and that their latest
    /// runs rejected (readers keep seeing the stored version): production first.
    pub rejected_versions: Vec<RejectedVersionView>,
}

/// A version of a stored article that a feed carries and its latest run rejected: never
/// stored, so readers see the stored version meanwhile.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RejectedVersionView {
    /// The feed that carries it.
    pub feed: FeedKind,
    /// The latest run that read that feed.
    pub run_id: i64,
    /// When that run read it.
    pub seen_at: Timestamp,
    /// Its `op-modified` time.
    pub op_modified: Option<Timestamp>,
    /// Why it was rejected (errors first); positions are the feed's lines and columns.
    pub diagnostics: Vec<Diagnostic>,
    /// The feed's lines around each diagnostic, in the same order (the web pages show
    /// them).
    #[serde(skip)]
    pub excerpts: Vec<Vec<ExcerptLine>>,
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
    /// Whether it is not newer than a version a person wrote (edit, import, restore): the
    /// feed still carries the text from before that version, and applying it would undo
    /// it. The fix belongs in the publisher's CMS.
    pub predates_manual_version: bool,
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
    /// `stored_op_modified` and the article's `revisions`; with its HTML when `with_html`.
    pub fn of(
        i: &IgnoredUpdate,
        stored_op_modified: Option<i64>,
        revisions: &[Revision],
        with_html: bool,
    ) -> Self {
        // The newest version a person wrote; the feed's offer predates it unless its
        // op-modified is newer than that version's.
        let manual = revisions
            .iter()
            .filter(|r| r.source != RevisionSource::Feed)
            .max_by_key(|r| r.number);
        let predates_manual_version =
            manual.is_some_and(
                |m| match (i.op_modified, m.op_modified.or(stored_op_modified)) {
                    (Some(offered), Some(written)) => offered <= written,
                    _ => true,
                },
            );
        IgnoredUpdateView {
            predates_manual_version,
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

impl RejectedVersionView {
    /// The rejected version a feed's kept items hold (none for an item with warnings only).
    pub fn of(s: &ArticleSighting) -> Option<RejectedVersionView> {
        if s.item.verdict != ItemVerdict::Rejected {
            return None;
        }
        let mut kept: Vec<_> = s
            .item
            .diagnostics
            .iter()
            .filter_map(|d| Some((d.rule.parse::<RuleId>().ok()?, d)))
            .collect();
        kept.sort_by_key(|(rule, _)| rule.severity() != crate::registry::Severity::Error);
        Some(RejectedVersionView {
            feed: s.kind,
            run_id: s.run_id,
            seen_at: Timestamp(s.checked_at),
            op_modified: s.item.op_modified.map(Timestamp),
            diagnostics: kept
                .iter()
                .map(|(rule, d)| {
                    let position = match (d.line, d.column) {
                        (Some(l), Some(c)) => Some(Position {
                            line: u32::try_from(l).unwrap_or(u32::MAX),
                            column: u32::try_from(c).unwrap_or(u32::MAX),
                        }),
                        _ => None,
                    };
                    Diagnostic::new(*rule, d.message.clone(), position)
                })
                .collect(),
            excerpts: kept.iter().map(|(_, d)| d.excerpt.clone()).collect(),
        })
    }
}
