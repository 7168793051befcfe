//! Every applied version of an article, with where it came from: a feed run, an import, a
//! manual edit or a restore of an earlier revision.
//!
//! The current version's text is in `articles.html` (its revision row holds none); when a
//! later version replaces it, the text moves into its revision row, so each version is
//! stored once.

use serde::{Deserialize, Serialize};

use super::decode::{decode_error, status_of};
use super::{Store, StoreError};
use crate::model::ArticleStatus;

/// Where a revision came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RevisionSource {
    /// A feed run (the revision has the run's id).
    Feed,
    /// An import (`POST /pages/{id}/articles`).
    Import,
    /// A manual edit, or an ignored update applied by hand.
    Manual,
    /// An earlier revision's text restored.
    Restore,
}

impl RevisionSource {
    /// As the store and the JSON write it.
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionSource::Feed => "feed",
            RevisionSource::Import => "import",
            RevisionSource::Manual => "manual",
            RevisionSource::Restore => "restore",
        }
    }

    fn parse(s: &str) -> Result<RevisionSource, StoreError> {
        match s {
            "feed" => Ok(RevisionSource::Feed),
            "import" => Ok(RevisionSource::Import),
            "manual" => Ok(RevisionSource::Manual),
            "restore" => Ok(RevisionSource::Restore),
            other => Err(decode_error(format!("unknown revision source `{other}`"))),
        }
    }
}

/// Who wrote a new version, for its revision row.
#[derive(Clone, Copy, Debug)]
pub struct Provenance<'a> {
    /// Where it came from.
    pub source: RevisionSource,
    /// The feed run (feed revisions only).
    pub run_id: Option<i64>,
    /// Who (manual, import and restore revisions).
    pub author: Option<&'a str>,
}

impl Provenance<'_> {
    /// A version applied by feed run `run_id`.
    pub fn feed(run_id: i64) -> Provenance<'static> {
        Provenance {
            source: RevisionSource::Feed,
            run_id: Some(run_id),
            author: None,
        }
    }
}

/// One revision of an article.
#[derive(Clone, Debug)]
pub struct Revision {
    /// Its number: 1 for the inserted version, then one more per applied version.
    pub number: i64,
    /// Where it came from.
    pub source: RevisionSource,
    /// The feed run that applied it (feed revisions only).
    pub run_id: Option<i64>,
    /// Who wrote it (import, manual and restore revisions).
    pub author: Option<String>,
    /// The article's status when it was applied.
    pub status: ArticleStatus,
    /// Its `op-modified` (ms).
    pub op_modified: Option<i64>,
    /// When it was applied (ms).
    pub created_at: i64,
    /// Its HTML (only by [`Store::revision`]).
    pub html: Option<String>,
}

const REVISION_COLUMNS: &str =
    "r.revision, r.source, r.run_id, r.author, r.status, r.op_modified, r.created_at";

/// A row of [`REVISION_COLUMNS`], with `html` when selected.
#[derive(sqlx::FromRow)]
struct RevisionRow {
    revision: i64,
    source: String,
    run_id: Option<i64>,
    author: Option<String>,
    status: String,
    op_modified: Option<i64>,
    created_at: i64,
    // Only [`Store::revision`] selects it.
    #[sqlx(default)]
    html: Option<String>,
}

impl TryFrom<RevisionRow> for Revision {
    type Error = StoreError;

    fn try_from(row: RevisionRow) -> Result<Revision, StoreError> {
        Ok(Revision {
            number: row.revision,
            source: RevisionSource::parse(&row.source)?,
            run_id: row.run_id,
            author: row.author,
            status: status_of(&row.status)?,
            op_modified: row.op_modified,
            created_at: row.created_at,
            html: row.html,
        })
    }
}

impl Store {
    /// The article's revisions, newest first, without their HTML (empty when the article
    /// does not exist).
    pub async fn revisions(&self, canonical_url: &str) -> Result<Vec<Revision>, StoreError> {
        let rows: Vec<RevisionRow> = super::dynamic_as(format!(
            "SELECT {REVISION_COLUMNS} FROM article_revisions r WHERE r.canonical_url = $1 \
             ORDER BY r.revision DESC"
        ))
        .bind(canonical_url)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Revision::try_from).collect()
    }

    /// One revision with its HTML (the current one's is the article's).
    pub async fn revision(
        &self,
        canonical_url: &str,
        number: i64,
    ) -> Result<Option<Revision>, StoreError> {
        let row: Option<RevisionRow> = super::dynamic_as(format!(
            "SELECT {REVISION_COLUMNS}, \
             CASE WHEN r.revision = a.revision THEN a.html ELSE r.html END AS html \
             FROM article_revisions r JOIN articles a ON a.canonical_url = r.canonical_url \
             WHERE r.canonical_url = $1 AND r.revision = $2"
        ))
        .bind(canonical_url)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Revision::try_from).transpose()
    }
}

/// Writes the revision row of a version just applied to an existing article.
pub(super) async fn insert_revision(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    canonical_url: &str,
    revision: i64,
    provenance: Provenance<'_>,
    status: &str,
    op_modified: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO article_revisions (canonical_url, revision, source, run_id, author, status, \
         op_modified, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(canonical_url)
    .bind(revision)
    .bind(provenance.source.as_str())
    .bind(provenance.run_id)
    .bind(provenance.author)
    .bind(status)
    .bind(op_modified)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
