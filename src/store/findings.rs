//! How many errors and warnings the last version seen of each stored article has (a feed
//! item, rejected or not, an import or an edit), for article lists and page overviews.
//!
//! A row is written only when the counts change, so a run that sees every article again
//! unchanged writes none; an article without a row has none of either.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{Backend, Store, StoreError, dialect, dynamic};
use crate::model::Diagnostic;
use crate::registry::{RuleId, Severity};

/// Errors and warnings of one version of an article.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    /// Error-severity diagnostics.
    pub errors: i64,
    /// Warnings.
    pub warnings: i64,
}

impl Findings {
    /// The counts of these rules' diagnostics.
    pub fn of_rules(rules: impl IntoIterator<Item = RuleId>) -> Findings {
        let mut f = Findings::default();
        for rule in rules {
            match rule.severity() {
                Severity::Error => f.errors += 1,
                Severity::Warning => f.warnings += 1,
            }
        }
        f
    }

    /// The counts of these diagnostics.
    pub fn of<'a>(diagnostics: impl IntoIterator<Item = &'a Diagnostic>) -> Findings {
        Findings::of_rules(diagnostics.into_iter().map(|d| d.rule))
    }
}

/// New counts for one stored article.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingsWrite {
    /// The article.
    pub canonical_url: String,
    /// Its last version's counts.
    pub findings: Findings,
}

/// A page's articles by status and by what their last version seen had.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ArticleCounts {
    /// Live articles.
    pub live: i64,
    /// Drafts.
    pub draft: i64,
    /// Articles whose last version seen has errors.
    pub with_errors: i64,
    /// Articles whose last version seen has warnings.
    pub with_warnings: i64,
}

/// Upserts findings inside a write's transaction, in one statement: the rows go as one JSON
/// parameter.
pub(super) async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    page_id: &str,
    now: i64,
    writes: &[FindingsWrite],
) -> Result<(), StoreError> {
    if writes.is_empty() {
        return Ok(());
    }
    let rows: Vec<(&str, i64, i64)> = writes
        .iter()
        .map(|w| {
            (
                w.canonical_url.as_str(),
                w.findings.errors,
                w.findings.warnings,
            )
        })
        .collect();
    // `WHERE true` keeps SQLite from reading the upsert's ON as a join constraint.
    dynamic(format!(
        "INSERT INTO article_findings (canonical_url, page_id, errors, warnings, seen_at) \
         SELECT value ->> 0, $2, CAST(value ->> 1 AS BIGINT), CAST(value ->> 2 AS BIGINT), $3 \
         FROM {} WHERE true \
         ON CONFLICT (canonical_url) DO UPDATE SET errors = excluded.errors, \
         warnings = excluded.warnings, seen_at = excluded.seen_at",
        dialect::json_elements(backend)
    ))
    .bind(super::json_param(&rows)?)
    .bind(page_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// The findings of an article's last version seen (none of either when never counted).
    pub async fn findings(&self, canonical_url: &str) -> Result<Findings, StoreError> {
        let row =
            sqlx::query("SELECT errors, warnings FROM article_findings WHERE canonical_url = $1")
                .bind(canonical_url)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some(r) => Findings {
                errors: r.try_get("errors")?,
                warnings: r.try_get("warnings")?,
            },
            None => Findings::default(),
        })
    }

    /// Article counts of these pages (pages without articles are absent). Two index-backed
    /// statements, whatever the number of pages: statuses from the articles' page index,
    /// errors and warnings from the findings' one.
    pub async fn article_counts(
        &self,
        page_ids: &[String],
    ) -> Result<HashMap<String, ArticleCounts>, StoreError> {
        let mut out: HashMap<String, ArticleCounts> = HashMap::new();
        if page_ids.is_empty() {
            return Ok(out);
        }
        let ids = super::json_param(page_ids)?;
        let of_pages = dialect::in_json_list(self.backend, "page_id");
        let rows = dynamic(format!(
            "SELECT page_id, status, CAST(COUNT(*) AS BIGINT) AS n FROM articles \
             WHERE {of_pages} GROUP BY page_id, status"
        ))
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            let counts = out.entry(r.try_get("page_id")?).or_default();
            let n: i64 = r.try_get("n")?;
            match r.try_get::<String, _>("status")?.as_str() {
                "live" => counts.live += n,
                _ => counts.draft += n,
            }
        }
        let rows = dynamic(format!(
            "SELECT page_id, \
             CAST(SUM(CASE WHEN errors > 0 THEN 1 ELSE 0 END) AS BIGINT) AS with_errors, \
             CAST(SUM(CASE WHEN warnings > 0 THEN 1 ELSE 0 END) AS BIGINT) AS with_warnings \
             FROM article_findings WHERE {of_pages} GROUP BY page_id"
        ))
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            let counts = out.entry(r.try_get("page_id")?).or_default();
            counts.with_errors = r.try_get("with_errors")?;
            counts.with_warnings = r.try_get("with_warnings")?;
        }
        Ok(out)
    }
}
