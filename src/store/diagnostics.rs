//! The warnings log: every diagnostic of every run, with the page, the article's
//! canonical URL, the rule and the position. A diagnostic that recurs (same page, article,
//! rule and message) is counted on its first row instead of stored again, and rows not
//! seen within the retention period are pruned, so the log stays bounded.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use sqlx::Row;

use super::articles::CHUNK;
use super::{Store, StoreError, dynamic};
use crate::validate::RuleId;

/// A diagnostic to log.
#[derive(Clone, Debug)]
pub struct LoggedDiagnostic {
    /// The article's canonical URL, when there is one.
    pub canonical_url: Option<String>,
    /// The rule.
    pub rule: RuleId,
    /// The message.
    pub message: String,
    /// Line in the feed.
    pub line: Option<u32>,
    /// Column in the feed.
    pub column: Option<u32>,
}

/// A logged diagnostic, as listed.
#[derive(Clone, Debug)]
pub struct StoredDiagnostic {
    /// The latest run that reported it.
    pub run_id: i64,
    /// The run that first reported it.
    pub first_run_id: i64,
    /// The page.
    pub page_id: String,
    /// The article.
    pub canonical_url: Option<String>,
    /// Rule id.
    pub rule: String,
    /// `error` or `warning`.
    pub severity: String,
    /// Message.
    pub message: String,
    /// Line.
    pub line: Option<i64>,
    /// Column.
    pub column: Option<i64>,
    /// First seen (ms).
    pub created_at: i64,
    /// Last seen (ms).
    pub last_seen_at: i64,
    /// Times reported.
    pub occurrences: i64,
}

fn dedup_key(page_id: &str, d: &LoggedDiagnostic) -> String {
    let mut h = Sha256::new();
    for part in [
        page_id,
        d.canonical_url.as_deref().unwrap_or(""),
        d.rule.as_str(),
        &d.message,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Logs a run's diagnostics inside its transaction.
pub(super) async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    page_id: &str,
    run_id: i64,
    now: i64,
    diagnostics: &[LoggedDiagnostic],
) -> Result<(), StoreError> {
    // Group this run's repeats first: key → (first diagnostic, count).
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, (&LoggedDiagnostic, i64)> = HashMap::new();
    for d in diagnostics {
        let key = dedup_key(page_id, d);
        match groups.get_mut(&key) {
            Some(g) => g.1 += 1,
            None => {
                order.push(key.clone());
                groups.insert(key, (d, 1));
            }
        }
    }
    let mut existing: HashMap<String, i64> = HashMap::new();
    for chunk in order.chunks(CHUNK) {
        let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, dedup_key FROM diagnostics WHERE dedup_key IN ({})",
            params.join(", ")
        );
        let mut q = dynamic(sql);
        for k in chunk {
            q = q.bind(k);
        }
        for row in q.fetch_all(&mut **tx).await? {
            existing.insert(row.try_get("dedup_key")?, row.try_get("id")?);
        }
    }
    // Recurring ones: one UPDATE per distinct repeat count (almost always just 1).
    let mut by_count: HashMap<i64, Vec<i64>> = HashMap::new();
    for key in &order {
        if let Some(id) = existing.get(key) {
            by_count.entry(groups[key].1).or_default().push(*id);
        }
    }
    for (count, ids) in by_count {
        for chunk in ids.chunks(CHUNK) {
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            dynamic(format!(
                "UPDATE diagnostics SET occurrences = occurrences + $1, last_run_id = $2, last_seen_at = $3 \
                 WHERE id IN ({})",
                list.join(", ")
            ))
            .bind(count)
            .bind(run_id)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
    }
    for key in order.iter().filter(|k| !existing.contains_key(*k)) {
        let (d, count) = groups[key];
        sqlx::query(
            "INSERT INTO diagnostics (run_id, last_run_id, page_id, canonical_url, rule, severity, message, \
             line, col, dedup_key, occurrences, created_at, last_seen_at) \
             VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        )
        .bind(run_id)
        .bind(page_id)
        .bind(&d.canonical_url)
        .bind(d.rule.as_str())
        .bind(d.rule.severity().as_str())
        .bind(&d.message)
        .bind(d.line.map(i64::from))
        .bind(d.column.map(i64::from))
        .bind(key)
        .bind(count)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// The warnings log, newest first (by the run that last reported each, then newest
    /// row first).
    pub async fn warnings(
        &self,
        page: Option<&str>,
        article: Option<&str>,
    ) -> Result<Vec<StoredDiagnostic>, StoreError> {
        let mut sql = String::from(
            "SELECT run_id, last_run_id, page_id, canonical_url, rule, severity, message, line, col, \
             occurrences, created_at, last_seen_at FROM diagnostics WHERE 1 = 1",
        );
        let mut binds = Vec::new();
        if let Some(p) = page {
            binds.push(p.to_string());
            sql.push_str(&format!(" AND page_id = ${}", binds.len()));
        }
        if let Some(a) = article {
            binds.push(a.to_string());
            sql.push_str(&format!(" AND canonical_url = ${}", binds.len()));
        }
        sql.push_str(" ORDER BY last_run_id DESC, id DESC");
        let mut q = dynamic(sql);
        for b in &binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(StoredDiagnostic {
                    run_id: r.try_get("last_run_id")?,
                    first_run_id: r.try_get("run_id")?,
                    page_id: r.try_get("page_id")?,
                    canonical_url: r.try_get("canonical_url")?,
                    rule: r.try_get("rule")?,
                    severity: r.try_get("severity")?,
                    message: r.try_get("message")?,
                    line: r.try_get("line")?,
                    column: r.try_get("col")?,
                    created_at: r.try_get("created_at")?,
                    last_seen_at: r.try_get("last_seen_at")?,
                    occurrences: r.try_get("occurrences")?,
                })
            })
            .collect()
    }
}
