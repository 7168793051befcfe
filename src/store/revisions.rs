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

/// Which revisions an article keeps: the newest `keep`, and besides them always the
/// current one (what readers see), the newest published (`live`) one, and those a person
/// wrote (imports, edits, restores) within `person_window_ms`. Older ones are removed as
/// new ones are written, so an article that changes every few minutes stays bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevisionCap {
    /// How many of the newest revisions are kept (`None`: all).
    pub keep: Option<i64>,
    /// How long a person's revision is kept whatever its age among the revisions (`None`:
    /// for ever).
    pub person_window_ms: Option<i64>,
}

impl Default for RevisionCap {
    /// 50 revisions; a person's for 30 days.
    fn default() -> Self {
        RevisionCap {
            keep: Some(50),
            person_window_ms: Some(30 * 24 * 3600 * 1000),
        }
    }
}

/// Removes the revisions of `canonical_url` that fall outside `cap` now that `revision` is
/// its newest: nothing to do (and no statement) while it has no more than `cap.keep`.
pub(super) async fn trim_revisions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    cap: RevisionCap,
    canonical_url: &str,
    revision: i64,
    now: i64,
) -> Result<u64, StoreError> {
    let Some(keep) = cap.keep else {
        return Ok(0);
    };
    if revision <= keep {
        return Ok(0);
    }
    // A person's revision is kept while younger than the window; with no window, always.
    let person_since = cap.person_window_ms.map_or(i64::MIN, |w| now - w);
    let done = sqlx::query(
        "DELETE FROM article_revisions WHERE canonical_url = $1 AND revision <= $2 \
         AND NOT (source <> 'feed' AND created_at >= $3) \
         AND revision <> COALESCE((SELECT MAX(r.revision) FROM article_revisions r \
             WHERE r.canonical_url = $1 AND r.status = 'live'), 0)",
    )
    .bind(canonical_url)
    .bind(revision - keep)
    .bind(person_since)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() > 0 {
        metrics::counter!("iarss_revisions_trimmed_total").increment(done.rows_affected());
    }
    Ok(done.rows_affected())
}
