//! Notifications: a page's webhooks (listed, added, removed, their deliveries read) by the
//! page's members, and each member's e-mail settings per page.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Service, ServiceError};
use crate::access::Caller;
use crate::model::Timestamp;
use crate::store::{DeliveryRecord, DeliveryState, EmailMode, EventKind, WebhookRecord, mask_url};

/// A webhook to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// Where each event of the page is POSTed: an http(s) URL that passes the same
    /// private-network guard as feeds.
    #[schema(
        max_length = 2000,
        pattern = r#"^https?://([A-Za-z0-9._~%!$&'()*+,;=:-]*@)?(((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])|([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?\.?)(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?([/?#][!-~]*)?$"#
    )]
    pub url: String,
    /// The secret that signs each body (`X-Iarss-Signature`): 16 to 200 printable ASCII
    /// characters. Left out, one is made and answered once.
    #[schema(pattern = r"^[!-~]{16,200}$")]
    pub secret: Option<String>,
}

/// A webhook of a page (its secret is never shown again after it was added).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WebhookView {
    /// Its id.
    pub id: i64,
    /// The page.
    pub page_id: String,
    /// Where events are POSTed, credentials masked.
    pub url: String,
    /// When it was added.
    pub created_at: Timestamp,
    /// Who added it.
    pub created_by: String,
}

impl From<&WebhookRecord> for WebhookView {
    fn from(w: &WebhookRecord) -> WebhookView {
        WebhookView {
            id: w.id,
            page_id: w.page_id.clone(),
            url: mask_url(&w.url),
            created_at: Timestamp(w.created_at),
            created_by: w.created_by.clone(),
        }
    }
}

/// A webhook just added, with its secret: the only answer that shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    /// The webhook.
    pub webhook: WebhookView,
    /// The secret that signs each body: keep it, it is not shown again.
    pub secret: String,
}

/// One delivery of an event to a webhook, with its latest answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Its id (`X-Iarss-Delivery`).
    pub id: i64,
    /// The event's id (the body's `id`).
    pub event_id: Option<i64>,
    /// The event's kind.
    pub event: Option<EventKind>,
    /// `pending` (to be tried at `next_attempt_at`), `delivered`, `failed` (given up
    /// after 24 h) or `skipped`.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: i64,
    /// When it was queued.
    pub created_at: Timestamp,
    /// When it is tried next, while pending.
    pub next_attempt_at: Option<Timestamp>,
    /// When it was last tried.
    pub last_attempt_at: Option<Timestamp>,
    /// The latest answer's HTTP status.
    pub status: Option<u16>,
    /// The start of the latest answer's body.
    pub answer: Option<String>,
    /// Why the latest attempt failed.
    pub error: Option<String>,
}

impl From<&DeliveryRecord> for DeliveryView {
    fn from(d: &DeliveryRecord) -> DeliveryView {
        DeliveryView {
            id: d.id,
            event_id: d.event_id,
            event: d.event,
            state: d.state,
            attempts: d.attempts,
            created_at: Timestamp(d.created_at),
            next_attempt_at: d.next_attempt_at.map(Timestamp),
            last_attempt_at: d.last_attempt_at.map(Timestamp),
            status: d.status,
            answer: d.answer.clone(),
            error: d.error.clone(),
        }
    }
}

/// A member's e-mail setting for one of their pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailSetting {
    /// The page.
    pub page_id: String,
    /// Its name.
    pub name: String,
    /// How (none: off).
    pub mode: Option<EmailMode>,
}

/// The answer for a webhook that does not exist or is not of this page.
fn no_webhook() -> ServiceError {
    ServiceError::NotFound("no such webhook".to_string())
}

/// A new webhook secret: 192 random bits in hex.
fn new_secret() -> Result<String, ServiceError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|e| ServiceError::Internal(format!("no random bytes: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl Service {
    /// The page's webhooks, oldest first.
    pub async fn webhooks(
        &self,
        caller: &Caller,
        page_id: &str,
    ) -> Result<Vec<WebhookView>, ServiceError> {
        self.visible_page(caller, page_id).await?;
        let hooks = self.store.webhooks(page_id).await?;
        Ok(hooks.iter().map(WebhookView::from).collect())
    }

    /// Adds a webhook to the page (its members); the answer alone shows the secret.
    pub async fn add_webhook(
        &self,
        caller: &Caller,
        page_id: &str,
        request: WebhookRequest,
    ) -> Result<CreatedWebhook, ServiceError> {
        self.visible_page(caller, page_id).await?;
        let url = request.url.trim();
        if url.chars().count() > 2000 {
            return Err(ServiceError::BadRequest(
                "the webhook URL is longer than 2000 characters".into(),
            ));
        }
        if let Some(reason) = crate::fetch::target_refusal(url, self.fetch.allow_private_networks) {
            return Err(ServiceError::BadRequest(format!(
                "the webhook URL is refused: {reason}"
            )));
        }
        let secret = match request.secret {
            Some(s) => {
                let printable = s.chars().all(|c| c.is_ascii_graphic());
                if !(16..=200).contains(&s.len()) || !printable {
                    return Err(ServiceError::BadRequest(
                        "the secret must be 16 to 200 printable ASCII characters".into(),
                    ));
                }
                s
            }
            None => new_secret()?,
        };
        let Some(record) = self
            .store
            .add_webhook(page_id, url, &secret, caller.actor())
            .await?
        else {
            return Err(ServiceError::Conflict(format!(
                "the page has {} webhooks, the most it may have",
                crate::store::webhooks::MAX_WEBHOOKS_PER_PAGE
            )));
        };
        let view = WebhookView::from(&record);
        self.audit(
            caller,
            "webhook_added",
            Some(&view.url),
            Some(page_id),
            Some(&format!("webhook {}", record.id)),
        )
        .await?;
        Ok(CreatedWebhook {
            webhook: view,
            secret,
        })
    }

    /// Removes a webhook of the page with its deliveries.
    pub async fn remove_webhook(
        &self,
        caller: &Caller,
        page_id: &str,
        id: i64,
    ) -> Result<(), ServiceError> {
        self.visible_page(caller, page_id).await?;
        let Some(hook) = self.store.webhook(page_id, id).await? else {
            return Err(no_webhook());
        };
        if !self.store.delete_webhook(page_id, id).await? {
            return Err(no_webhook());
        }
        self.audit(
            caller,
            "webhook_removed",
            Some(&mask_url(&hook.url)),
            Some(page_id),
            Some(&format!("webhook {id}")),
        )
        .await
    }

    /// A webhook of the page and its newest deliveries (at most 100), newest first.
    pub async fn webhook_deliveries(
        &self,
        caller: &Caller,
        page_id: &str,
        id: i64,
    ) -> Result<(WebhookView, Vec<DeliveryView>), ServiceError> {
        self.visible_page(caller, page_id).await?;
        let Some(hook) = self.store.webhook(page_id, id).await? else {
            return Err(no_webhook());
        };
        let deliveries = self.store.webhook_deliveries(id).await?;
        Ok((
            WebhookView::from(&hook),
            deliveries.iter().map(DeliveryView::from).collect(),
        ))
    }

    /// The caller's e-mail settings for each page they may see (a screen of the first
    /// 500), by page id.
    pub async fn email_settings(&self, caller: &Caller) -> Result<Vec<EmailSetting>, ServiceError> {
        let Some(user_id) = caller.user_id else {
            return Ok(Vec::new());
        };
        let prefs = self.store.email_prefs(user_id).await?;
        let pages = self.pages(caller, None, super::MAX_LIMIT, false).await?;
        Ok(pages
            .items
            .iter()
            .map(|p| EmailSetting {
                page_id: p.page_id.clone(),
                name: p.name.clone(),
                mode: prefs
                    .iter()
                    .find(|e| e.page_id == p.page_id)
                    .map(|e| e.mode),
            })
            .collect())
    }

    /// Sets how the caller wants a page's events by e-mail (`None`: off).
    pub async fn set_email_setting(
        &self,
        caller: &Caller,
        page_id: &str,
        mode: Option<EmailMode>,
    ) -> Result<(), ServiceError> {
        self.visible_page(caller, page_id).await?;
        let Some(user_id) = caller.user_id else {
            return Err(ServiceError::BadRequest(
                "only a signed-in user has e-mail settings".into(),
            ));
        };
        self.store.set_email_pref(user_id, page_id, mode).await?;
        Ok(())
    }
}
