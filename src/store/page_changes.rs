//! Changing a page after it was created: its name, feed URLs and whether it is scheduled.
//! A page's domain never changes (its articles' canonical URLs were checked against it);
//! a publisher moving domains gets a new page.

use super::pages::{check_feed_url, check_page_name, upsert_feed};
use super::{FeedKind, Page, Store, StoreError};

/// What to change of a page; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct PageChange {
    /// A new display name.
    pub name: Option<String>,
    /// A new production feed URL, or `Some(None)` to remove it.
    pub feed_url: Option<Option<String>>,
    /// A new development feed URL, or `Some(None)` to remove it.
    pub dev_feed_url: Option<Option<String>>,
    /// Scheduled or not.
    pub enabled: Option<bool>,
}

impl Store {
    /// Applies `change` to page `id` in one transaction and returns the page as it is now.
    pub async fn change_page(&self, id: &str, change: &PageChange) -> Result<Page, StoreError> {
        for url in [&change.feed_url, &change.dev_feed_url]
            .into_iter()
            .flatten()
            .flatten()
        {
            check_feed_url(url)?;
        }
        if let Some(name) = &change.name {
            check_page_name(name.trim())?;
        }
        let mut tx = self.pool.begin().await?;
        let exists = sqlx::query("SELECT id FROM pages WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NoSuchPage(id.to_string()));
        }
        if let Some(name) = &change.name {
            sqlx::query("UPDATE pages SET name = $1 WHERE id = $2")
                .bind(name.trim())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(enabled) = change.enabled {
            sqlx::query("UPDATE pages SET enabled = $1 WHERE id = $2")
                .bind(i64::from(enabled))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for (kind, column, url) in [
            (FeedKind::Production, "feed_url", &change.feed_url),
            (FeedKind::Development, "dev_feed_url", &change.dev_feed_url),
        ] {
            let Some(url) = url else { continue };
            super::dynamic(format!("UPDATE pages SET {column} = $1 WHERE id = $2"))
                .bind(url.as_deref())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            match url {
                Some(url) => upsert_feed(&mut tx, id, kind, url).await?,
                None => {
                    sqlx::query("DELETE FROM feeds WHERE page_id = $1 AND kind = $2")
                        .bind(id)
                        .bind(kind.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        self.page(id)
            .await?
            .ok_or_else(|| StoreError::NoSuchPage(id.to_string()))
    }
}
