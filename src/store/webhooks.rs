//! A page's webhooks: where its events are POSTed, and the secret that signs them. The
//! secret is read only by the delivery worker ([`super::deliveries`]); listings leave it out.

use super::{Store, StoreError, now_ms};

/// A webhook, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookRecord {
    /// Its id.
    pub id: i64,
    /// The page.
    pub page_id: String,
    /// Where events are POSTed.
    pub url: String,
    /// When it was added (ms).
    pub created_at: i64,
    /// Who added it.
    pub created_by: String,
}

/// The most webhooks one page has.
pub const MAX_WEBHOOKS_PER_PAGE: i64 = 20;

impl Store {
    /// Adds a webhook to `page_id`; `None` when the page has [`MAX_WEBHOOKS_PER_PAGE`].
    pub async fn add_webhook(
        &self,
        page_id: &str,
        url: &str,
        secret: &str,
        created_by: &str,
    ) -> Result<Option<WebhookRecord>, StoreError> {
        let mut tx = self.begin_write().await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE page_id = $1")
            .bind(page_id)
            .fetch_one(&mut *tx)
            .await?;
        if count >= MAX_WEBHOOKS_PER_PAGE {
            return Ok(None);
        }
        let record: WebhookRecord = sqlx::query_as(
            "INSERT INTO webhooks (page_id, url, secret, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id, page_id, url, created_at, created_by",
        )
        .bind(page_id)
        .bind(url)
        .bind(secret)
        .bind(now_ms())
        .bind(created_by)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(record))
    }

    /// The page's webhooks, oldest first.
    pub async fn webhooks(&self, page_id: &str) -> Result<Vec<WebhookRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, page_id, url, created_at, created_by FROM webhooks \
             WHERE page_id = $1 ORDER BY id",
        )
        .bind(page_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One webhook of the page.
    pub async fn webhook(
        &self,
        page_id: &str,
        id: i64,
    ) -> Result<Option<WebhookRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, page_id, url, created_at, created_by FROM webhooks \
             WHERE page_id = $1 AND id = $2",
        )
        .bind(page_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Removes a webhook of the page, its deliveries with it (the foreign key cascades);
    /// `false` when the page has no such webhook.
    pub async fn delete_webhook(&self, page_id: &str, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM webhooks WHERE id = $1 AND page_id = $2")
            .bind(id)
            .bind(page_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
