//! Who wants a page's events by e-mail, and how (at once, or in a daily digest), and the
//! hourly limit of immediate e-mails per member, page and event kind.

use super::{Store, StoreError};

/// How a member wants a page's events by e-mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailMode {
    /// One e-mail per event (at most one per page and event kind an hour).
    Immediate,
    /// One e-mail a day listing the day's events.
    Digest,
}

impl EmailMode {
    /// As stored and as forms write it.
    pub fn as_str(self) -> &'static str {
        match self {
            EmailMode::Immediate => "immediate",
            EmailMode::Digest => "digest",
        }
    }

    /// The mode a stored or submitted name is.
    pub fn parse(s: &str) -> Option<EmailMode> {
        match s {
            "immediate" => Some(EmailMode::Immediate),
            "digest" => Some(EmailMode::Digest),
            _ => None,
        }
    }
}

/// One page's e-mail setting of a member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailPref {
    /// The page.
    pub page_id: String,
    /// How.
    pub mode: EmailMode,
}

impl Store {
    /// The member's e-mail settings, by page.
    pub async fn email_prefs(&self, user_id: i64) -> Result<Vec<EmailPref>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT page_id, mode FROM email_prefs WHERE user_id = $1 ORDER BY page_id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(page_id, mode)| {
                EmailMode::parse(&mode).map(|mode| EmailPref { page_id, mode })
            })
            .collect())
    }

    /// Sets how the member wants `page_id`'s events by e-mail; `None` turns them off.
    pub async fn set_email_pref(
        &self,
        user_id: i64,
        page_id: &str,
        mode: Option<EmailMode>,
    ) -> Result<(), StoreError> {
        match mode {
            Some(mode) => {
                sqlx::query(
                    "INSERT INTO email_prefs (user_id, page_id, mode) VALUES ($1, $2, $3) \
                     ON CONFLICT (user_id, page_id) DO UPDATE SET mode = excluded.mode",
                )
                .bind(user_id)
                .bind(page_id)
                .bind(mode.as_str())
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM email_prefs WHERE user_id = $1 AND page_id = $2")
                    .bind(user_id)
                    .bind(page_id)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Takes the member's one immediate e-mail of `page_id`'s `kind` for the `window_ms`
    /// since the last: `false` when one was sent within it. One statement reads and
    /// writes the time, so daemons sending at once cannot both pass.
    pub async fn take_email_slot(
        &self,
        user_id: i64,
        page_id: &str,
        kind: &str,
        window_ms: i64,
    ) -> Result<bool, StoreError> {
        let now = super::now_ms();
        let row = sqlx::query(
            "INSERT INTO email_limits (user_id, page_id, kind, sent_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, page_id, kind) DO UPDATE SET sent_at = excluded.sent_at \
             WHERE email_limits.sent_at <= excluded.sent_at - $5 RETURNING sent_at",
        )
        .bind(user_id)
        .bind(page_id)
        .bind(kind)
        .bind(now)
        .bind(window_ms)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }
}
