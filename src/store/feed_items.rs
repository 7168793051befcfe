//! Each feed's current items worth a publisher's look: the items its latest run that read
//! the feed rejected, and those it found with warnings, with their title, guid, link,
//! diagnostics and source excerpts, and (within bounds) the article's HTML so that a
//! rejected item can be opened and checked again. Rejected items are never stored as
//! articles: this is where a publisher finds them.
//!
//! A run that read its feed replaces its feed's set in the run's transaction; a run that
//! finds the same items again (the same fingerprint) only moves the set to itself. Runs
//! that did not read the feed (not modified, failed) leave the set as it was: it is still
//! what the feed last held.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::pages::{FeedKind, feed_kind};
use super::{Store, StoreError, dynamic};
use crate::model::ExcerptLine;

/// A diagnostic of a kept item (or of the feed itself), with the feed's lines around it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptDiagnostic {
    /// The rule id.
    pub rule: String,
    /// `error` or `warning`.
    pub severity: String,
    /// What is wrong.
    pub message: String,
    /// 1-based line in the feed.
    pub line: Option<i64>,
    /// 1-based column in the feed.
    pub column: Option<i64>,
    /// The feed's lines around the spot (none past the bounds, or without a position).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excerpt: Vec<ExcerptLine>,
}

/// Why an item is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemVerdict {
    /// Not stored: it has errors, or another page's article.
    Rejected,
    /// Stored or left alone, with warnings.
    Warned,
}

impl ItemVerdict {
    /// `rejected` or `warned`.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemVerdict::Rejected => "rejected",
            ItemVerdict::Warned => "warned",
        }
    }
}

/// One kept item of a feed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeptItem {
    /// 0-based index among the feed's items.
    pub index: i64,
    /// Rejected, or with warnings.
    pub verdict: ItemVerdict,
    /// What the run did with it (`reject`, `ignore`, `insert`, `update`, `make_live`,
    /// `unchanged`).
    pub action: String,
    /// Its canonical URL, when it has one.
    pub canonical_url: Option<String>,
    /// Its `guid`.
    pub guid: Option<String>,
    /// Its `link`.
    pub link: Option<String>,
    /// Its title: the article's header title, else the item's `<title>`.
    pub title: Option<String>,
    /// Its `op-modified` (ms).
    pub op_modified: Option<i64>,
    /// The line of its `<item>` in the feed.
    pub line: i64,
    /// Its diagnostics, in source order.
    pub diagnostics: Vec<KeptDiagnostic>,
    /// The article's HTML, when kept (read only for one item).
    pub html: Option<String>,
    /// Whether the HTML was kept (a list reads this rather than the text).
    pub has_html: bool,
}

/// A feed's kept items to write with a run that read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedItemsWrite {
    /// The feed.
    pub kind: FeedKind,
    /// A hash of everything below: a run finding the same writes only the set's row.
    pub fingerprint: String,
    /// Items rejected (all of them, kept or not).
    pub rejected: i64,
    /// Items with warnings and no error (all of them).
    pub warned: i64,
    /// The run's feed-level diagnostics.
    pub feed_diagnostics: Vec<KeptDiagnostic>,
    /// The items kept, within the bounds, in feed order.
    pub items: Vec<KeptItem>,
}

/// A feed's current set, as read.
#[derive(Clone, Debug)]
pub struct FeedItemSet {
    /// The feed.
    pub kind: FeedKind,
    /// The latest run that read the feed.
    pub run_id: i64,
    /// When (ms).
    pub checked_at: i64,
    /// Items rejected (all of them).
    pub rejected: i64,
    /// Items with warnings and no error (all of them).
    pub warned: i64,
    /// That run's feed-level diagnostics.
    pub feed_diagnostics: Vec<KeptDiagnostic>,
    /// The kept items, in feed order (without their HTML).
    pub items: Vec<KeptItem>,
}

/// A kept item of an article, with the feed and run that saw it.
#[derive(Clone, Debug)]
pub struct ArticleSighting {
    /// The page.
    pub page_id: String,
    /// The feed.
    pub kind: FeedKind,
    /// The run.
    pub run_id: i64,
    /// When (ms).
    pub checked_at: i64,
    /// The item, without its HTML.
    pub item: KeptItem,
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(Box::new(e)))
}

/// Writes a feed's set inside a run's transaction. Returns, when the set changed, the
/// identifiers (canonical URLs and guids) of the items the set it replaced rejected.
pub(super) async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    page_id: &str,
    run_id: i64,
    now: i64,
    write: &FeedItemsWrite,
) -> Result<Option<HashSet<String>>, StoreError> {
    let kind = write.kind.as_str();
    let stored: Option<String> =
        sqlx::query("SELECT fingerprint FROM feed_item_sets WHERE page_id = $1 AND kind = $2")
            .bind(page_id)
            .bind(kind)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.try_get("fingerprint"))
            .transpose()?;
    if stored.as_deref() == Some(write.fingerprint.as_str()) {
        sqlx::query(
            "UPDATE feed_item_sets SET run_id = $3, checked_at = $4 WHERE page_id = $1 AND kind = $2",
        )
        .bind(page_id)
        .bind(kind)
        .bind(run_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        return Ok(None);
    }
    let mut previous = HashSet::new();
    let rows = sqlx::query(
        "SELECT canonical_url, guid FROM feed_items \
         WHERE page_id = $1 AND kind = $2 AND verdict = 'rejected'",
    )
    .bind(page_id)
    .bind(kind)
    .fetch_all(&mut **tx)
    .await?;
    for r in rows {
        for column in ["canonical_url", "guid"] {
            if let Some(id) = r.try_get::<Option<String>, _>(column)? {
                previous.insert(id);
            }
        }
    }
    sqlx::query("DELETE FROM feed_items WHERE page_id = $1 AND kind = $2")
        .bind(page_id)
        .bind(kind)
        .execute(&mut **tx)
        .await?;
    for item in &write.items {
        sqlx::query(
            "INSERT INTO feed_items (page_id, kind, item_index, verdict, action, canonical_url, \
             guid, link, title, op_modified, line, diagnostics, html) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(page_id)
        .bind(kind)
        .bind(item.index)
        .bind(item.verdict.as_str())
        .bind(&item.action)
        .bind(&item.canonical_url)
        .bind(&item.guid)
        .bind(&item.link)
        .bind(&item.title)
        .bind(item.op_modified)
        .bind(item.line)
        .bind(serde_json::to_string(&item.diagnostics).map_err(json_err)?)
        .bind(&item.html)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO feed_item_sets (page_id, kind, run_id, checked_at, fingerprint, rejected, \
         warned, feed_diagnostics) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (page_id, kind) DO UPDATE SET run_id = excluded.run_id, \
         checked_at = excluded.checked_at, fingerprint = excluded.fingerprint, \
         rejected = excluded.rejected, warned = excluded.warned, \
         feed_diagnostics = excluded.feed_diagnostics",
    )
    .bind(page_id)
    .bind(kind)
    .bind(run_id)
    .bind(now)
    .bind(&write.fingerprint)
    .bind(write.rejected)
    .bind(write.warned)
    .bind(serde_json::to_string(&write.feed_diagnostics).map_err(json_err)?)
    .execute(&mut **tx)
    .await?;
    Ok(Some(previous))
}

/// The columns of a kept item of `feed_items` aliased `p` (`""` or `"i."`), without its
/// HTML.
fn item_columns(p: &str) -> String {
    format!(
        "{p}page_id, {p}kind, {p}item_index, {p}verdict, {p}action, {p}canonical_url, {p}guid, \
         {p}link, {p}title, {p}op_modified, {p}line, {p}diagnostics, \
         CAST(CASE WHEN {p}html IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_html"
    )
}

fn item_from_row(r: &AnyRow, with_html: bool) -> Result<KeptItem, StoreError> {
    let verdict = match r.try_get::<String, _>("verdict")?.as_str() {
        "rejected" => ItemVerdict::Rejected,
        _ => ItemVerdict::Warned,
    };
    let diagnostics: String = r.try_get("diagnostics")?;
    let html: Option<String> = if with_html { r.try_get("html")? } else { None };
    Ok(KeptItem {
        index: r.try_get("item_index")?,
        verdict,
        action: r.try_get("action")?,
        canonical_url: r.try_get("canonical_url")?,
        guid: r.try_get("guid")?,
        link: r.try_get("link")?,
        title: r.try_get("title")?,
        op_modified: r.try_get("op_modified")?,
        line: r.try_get("line")?,
        diagnostics: serde_json::from_str(&diagnostics).map_err(json_err)?,
        has_html: r.try_get::<i64, _>("has_html")? != 0,
        html,
    })
}

impl Store {
    /// Both feeds' current sets of a page (a feed that never read its feed has none), with
    /// their kept items in feed order, without the articles' HTML.
    pub async fn feed_item_sets(&self, page_id: &str) -> Result<Vec<FeedItemSet>, StoreError> {
        let sets = sqlx::query(
            "SELECT kind, run_id, checked_at, rejected, warned, feed_diagnostics \
             FROM feed_item_sets WHERE page_id = $1 ORDER BY kind DESC",
        )
        .bind(page_id)
        .fetch_all(&self.pool)
        .await?;
        let rows = dynamic(format!(
            "SELECT {} FROM feed_items WHERE page_id = $1 ORDER BY kind, item_index",
            item_columns("")
        ))
        .bind(page_id)
        .fetch_all(&self.pool)
        .await?;
        let mut items: HashMap<FeedKind, Vec<KeptItem>> = HashMap::new();
        for r in &rows {
            let kind = feed_kind(&r.try_get::<String, _>("kind")?);
            items
                .entry(kind)
                .or_default()
                .push(item_from_row(r, false)?);
        }
        sets.iter()
            .map(|r| {
                let kind = feed_kind(&r.try_get::<String, _>("kind")?);
                let diagnostics: String = r.try_get("feed_diagnostics")?;
                Ok(FeedItemSet {
                    kind,
                    run_id: r.try_get("run_id")?,
                    checked_at: r.try_get("checked_at")?,
                    rejected: r.try_get("rejected")?,
                    warned: r.try_get("warned")?,
                    feed_diagnostics: serde_json::from_str(&diagnostics).map_err(json_err)?,
                    items: items.remove(&kind).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// One kept item of a page's feed, with the article's HTML when it was kept.
    pub async fn feed_item(
        &self,
        page_id: &str,
        kind: FeedKind,
        index: i64,
    ) -> Result<Option<KeptItem>, StoreError> {
        let row = dynamic(format!(
            "SELECT {}, html FROM feed_items \
             WHERE page_id = $1 AND kind = $2 AND item_index = $3",
            item_columns("")
        ))
        .bind(page_id)
        .bind(kind.as_str())
        .bind(index)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| item_from_row(&r, true)).transpose()
    }

    /// The kept items with this canonical URL (of either feed), newest run first: where a
    /// stored article's refused version is found.
    pub async fn feed_item_sightings(
        &self,
        canonical_url: &str,
    ) -> Result<Vec<ArticleSighting>, StoreError> {
        let rows = dynamic(format!(
            "SELECT {}, s.run_id, s.checked_at FROM feed_items i \
             JOIN feed_item_sets s ON s.page_id = i.page_id AND s.kind = i.kind \
             WHERE i.canonical_url = $1 ORDER BY s.run_id DESC",
            item_columns("i.")
        ))
        .bind(canonical_url)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ArticleSighting {
                    page_id: r.try_get("page_id")?,
                    kind: feed_kind(&r.try_get::<String, _>("kind")?),
                    run_id: r.try_get("run_id")?,
                    checked_at: r.try_get("checked_at")?,
                    item: item_from_row(r, false)?,
                })
            })
            .collect()
    }

    /// Rejected and warned item counts of these pages' feeds: page → kind → (rejected,
    /// warned). Pages whose feeds never read their feed are absent.
    pub async fn feed_item_counts(
        &self,
        page_ids: &[String],
    ) -> Result<HashMap<String, HashMap<FeedKind, (i64, i64)>>, StoreError> {
        let mut out: HashMap<String, HashMap<FeedKind, (i64, i64)>> = HashMap::new();
        if page_ids.is_empty() {
            return Ok(out);
        }
        let of_pages = super::dialect::in_json_list(self.backend, "page_id");
        let rows = dynamic(format!(
            "SELECT page_id, kind, rejected, warned FROM feed_item_sets WHERE {of_pages}"
        ))
        .bind(super::json_param(page_ids)?)
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            out.entry(r.try_get("page_id")?).or_default().insert(
                feed_kind(&r.try_get::<String, _>("kind")?),
                (r.try_get("rejected")?, r.try_get("warned")?),
            );
        }
        Ok(out)
    }
}
