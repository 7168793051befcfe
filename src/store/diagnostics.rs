//! The warnings log: every diagnostic of every run, with the page, the article's
//! canonical URL, the rule and the position. A diagnostic that recurs (same page, article,
//! rule and message) is counted on its first row instead of stored again, and rows not
//! seen within the retention period are pruned, so the log stays bounded.

use std::collections::{HashMap, HashSet};

use sqlx::Row;

use super::{Store, StoreError, dialect, dynamic};
use crate::registry::RuleId;

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

impl LoggedDiagnostic {
    /// `d` as logged for the article with `canonical_url` (none for feed-level ones).
    pub fn of(d: &crate::model::Diagnostic, canonical_url: Option<&str>) -> LoggedDiagnostic {
        LoggedDiagnostic {
            canonical_url: canonical_url.map(str::to_string),
            rule: d.rule,
            message: d.message.clone(),
            line: d.position.map(|p| p.line),
            column: d.position.map(|p| p.column),
        }
    }

    /// Back to a diagnostic (the canonical URL aside).
    pub fn to_diagnostic(&self) -> crate::model::Diagnostic {
        let position = match (self.line, self.column) {
            (Some(line), Some(column)) => Some(crate::model::Position { line, column }),
            _ => None,
        };
        crate::model::Diagnostic::new(self.rule, self.message.clone(), position)
    }
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
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for part in [
        page_id,
        d.canonical_url.as_deref().unwrap_or(""),
        d.rule.as_str(),
        &d.message,
    ] {
        h.update(part.as_bytes());
        h.update(&[0u8]);
    }
    format!("{:032x}", h.digest128())
}

/// Logs a run's diagnostics inside its transaction: one multi-row upsert per 200
/// distinct diagnostics, counting recurrences on the existing row.
pub(super) async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: super::Backend,
    page_id: &str,
    run_id: i64,
    now: i64,
    diagnostics: &[LoggedDiagnostic],
) -> Result<(), StoreError> {
    // Group this run's repeats first: key → (first diagnostic, count), in order.
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
    // Recurrences at the same position (the common case: an unchanged feed) are counted by
    // one statement; only keys it did not count are upserted.
    let counted = count_recurrences(tx, backend, run_id, now, &order, &groups).await?;
    let rest: Vec<String> = match counted {
        Counted::All => Vec::new(),
        Counted::Some(done) => order.into_iter().filter(|k| !done.contains(k)).collect(),
    };
    let order = rest;
    for chunk in order.chunks(INSERT_ROWS) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = 4 + i * 8;
                let p: Vec<String> = (b..b + 8).map(|n| format!("${n}")).collect();
                format!("($1, $1, $2, {}, $3, $3)", p.join(", "))
            })
            .collect();
        let mut q = dynamic(format!(
            "INSERT INTO diagnostics (run_id, last_run_id, page_id, canonical_url, rule, severity, message, \
             line, col, dedup_key, occurrences, created_at, last_seen_at) VALUES {} \
             ON CONFLICT (dedup_key) DO UPDATE SET occurrences = diagnostics.occurrences + excluded.occurrences, \
             last_run_id = excluded.last_run_id, last_seen_at = excluded.last_seen_at, \
             line = excluded.line, col = excluded.col",
            rows.join(", ")
        ))
        .bind(run_id)
        .bind(page_id)
        .bind(now);
        for key in chunk {
            let (d, count) = groups[key];
            q = q
                .bind(d.canonical_url.as_deref())
                .bind(d.rule.as_str())
                .bind(d.rule.severity().as_str())
                .bind(d.message.as_str())
                .bind(d.line.map(i64::from))
                .bind(d.column.map(i64::from))
                .bind(key.as_str())
                .bind(count);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Which keys [`count_recurrences`] counted.
enum Counted {
    All,
    Some(HashSet<String>),
}

/// Adds this run's count to every stored diagnostic among `keys` that recurs at the same
/// position. The keys go as one JSON parameter, so the statement text never changes and
/// stays prepared; the keys counted are read back only when not all of them were.
async fn count_recurrences(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: super::Backend,
    run_id: i64,
    now: i64,
    keys: &[String],
    groups: &HashMap<String, (&LoggedDiagnostic, i64)>,
) -> Result<Counted, StoreError> {
    if keys.is_empty() {
        return Ok(Counted::All);
    }
    let rows: Vec<(&str, Option<u32>, Option<u32>, i64)> = keys
        .iter()
        .map(|k| {
            let (d, count) = groups[k];
            (k.as_str(), d.line, d.column, count)
        })
        .collect();
    let json = super::json_param(&rows)?;
    let elements = dialect::json_elements(backend);
    let update = format!(
        "UPDATE diagnostics SET occurrences = occurrences + v.n, last_run_id = $2, \
         last_seen_at = $3 FROM (SELECT value ->> 0 AS k, CAST(value ->> 1 AS BIGINT) AS l, \
         CAST(value ->> 2 AS BIGINT) AS c, CAST(value ->> 3 AS BIGINT) AS n FROM {elements}) AS v \
         WHERE diagnostics.dedup_key = v.k AND diagnostics.line IS NOT DISTINCT FROM v.l \
         AND diagnostics.col IS NOT DISTINCT FROM v.c"
    );
    let counted = format!(
        "SELECT {} AS keys FROM diagnostics WHERE last_run_id = $2 \
         AND dedup_key IN (SELECT value ->> 0 FROM {elements})",
        dialect::json_agg(backend, "dedup_key")
    );
    let done = dynamic(update)
        .bind(&json)
        .bind(run_id)
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if done == keys.len() as u64 {
        return Ok(Counted::All);
    }
    let found: String = dynamic(counted)
        .bind(&json)
        .bind(run_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("keys")?;
    let found: HashSet<String> = serde_json::from_str(&found)
        .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?;
    Ok(Counted::Some(found))
}

/// Rows per multi-row insert (8 parameters each, well under both backends' limits).
const INSERT_ROWS: usize = 200;

impl Store {
    /// The warnings log, newest first (by the run that last reported each, then newest
    /// row first).
    pub async fn warnings(
        &self,
        page: Option<&str>,
        article: Option<&str>,
    ) -> Result<Vec<StoredDiagnostic>, StoreError> {
        let mut sql = format!("SELECT {DIAGNOSTIC_COLUMNS} FROM diagnostics WHERE 1 = 1");
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
        rows.iter().map(diagnostic_from_row).collect()
    }
}

/// The columns [`diagnostic_from_row`] reads.
pub(super) const DIAGNOSTIC_COLUMNS: &str = "run_id, last_run_id, page_id, canonical_url, rule, severity, \
     message, line, col, occurrences, created_at, last_seen_at";

/// A row of `diagnostics` with [`DIAGNOSTIC_COLUMNS`].
pub(super) fn diagnostic_from_row(r: &sqlx::any::AnyRow) -> Result<StoredDiagnostic, StoreError> {
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
}
