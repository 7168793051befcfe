//! The delivery queue: one row per delivery of an event (to a webhook, by e-mail) or of a
//! daily digest. Daemons claim pending rows that are due with a lease, by the database's
//! clock; on PostgreSQL with row locks and `SKIP LOCKED` as feeds are claimed
//! ([`super::schedule`]), so several daemons never claim one delivery at once, and a lease
//! that expires (a daemon killed mid-delivery) lets another daemon take it over. Each
//! webhook keeps its newest [`KEEP_PER_WEBHOOK`] finished deliveries, with their answer.

use sqlx::Row;

use super::events::{Event, EventKind, decode};
use super::{Store, StoreError, dialect, dynamic, dynamic_as};

/// Finished deliveries each webhook keeps, with their answers.
pub const KEEP_PER_WEBHOOK: i64 = 100;

/// Where a delivery goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryChannel {
    /// An event POSTed to a webhook.
    Webhook,
    /// An event e-mailed at once.
    Email,
    /// A member's daily digest.
    Digest,
}

impl DeliveryChannel {
    fn parse(s: &str) -> DeliveryChannel {
        match s {
            "email" => DeliveryChannel::Email,
            "digest" => DeliveryChannel::Digest,
            _ => DeliveryChannel::Webhook,
        }
    }
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Not delivered yet: due at `next_attempt_at`.
    Pending,
    /// Answered with a 2xx status (or accepted by the mail server).
    Delivered,
    /// Given up: still failing after the retry window.
    Failed,
    /// Not sent on purpose (an e-mail within the hourly limit, an empty digest).
    Skipped,
}

impl DeliveryState {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
            DeliveryState::Skipped => "skipped",
        }
    }

    fn parse(s: &str) -> DeliveryState {
        match s {
            "delivered" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            "skipped" => DeliveryState::Skipped,
            _ => DeliveryState::Pending,
        }
    }
}

/// A delivery claimed for one attempt, with what it needs.
#[derive(Clone, Debug)]
pub struct ClaimedDelivery {
    /// Its id (`X-Iarss-Delivery`).
    pub id: i64,
    /// Where it goes.
    pub channel: DeliveryChannel,
    /// This attempt's number, from 1.
    pub attempt: i64,
    /// When it was queued (ms).
    pub created_at: i64,
    /// The event, for webhook and e-mail deliveries.
    pub event: Option<Event>,
    /// The webhook's id, URL and secret, for webhook deliveries.
    pub webhook: Option<(i64, String, String)>,
    /// The member's id and e-mail address, for e-mails and digests.
    pub user: Option<(i64, String)>,
    /// The digest's day number.
    pub slot: Option<i64>,
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryEnd {
    /// The state the delivery is in now.
    pub state: DeliveryState,
    /// When to try again (ms), for a pending one.
    pub retry_at: Option<i64>,
    /// The answer's HTTP status.
    pub status: Option<u16>,
    /// The start of the answer's body.
    pub answer: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A delivery as listed, with its latest answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// Its id.
    pub id: i64,
    /// The event delivered.
    pub event_id: Option<i64>,
    /// Its kind.
    pub event: Option<EventKind>,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: i64,
    /// Queued (ms).
    pub created_at: i64,
    /// Next attempt (ms), for a pending one.
    pub next_attempt_at: Option<i64>,
    /// Latest attempt (ms).
    pub last_attempt_at: Option<i64>,
    /// The latest answer's HTTP status.
    pub status: Option<u16>,
    /// The start of the latest answer's body.
    pub answer: Option<String>,
    /// Why the latest attempt failed.
    pub error: Option<String>,
}

/// The queue's state, for the metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Pending deliveries.
    pub pending: i64,
    /// When the oldest pending one was queued (ms).
    pub oldest_pending_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct WorkRow {
    id: i64,
    channel: String,
    attempts: i64,
    created_at: i64,
    slot: Option<i64>,
    event_id: Option<i64>,
    payload: Option<String>,
    webhook_id: Option<i64>,
    url: Option<String>,
    secret: Option<String>,
    user_id: Option<i64>,
    email: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: i64,
    event_id: Option<i64>,
    kind: Option<String>,
    state: String,
    attempts: i64,
    created_at: i64,
    next_attempt_at: i64,
    last_attempt_at: Option<i64>,
    status: Option<i64>,
    answer: Option<String>,
    error: Option<String>,
}

impl From<RecordRow> for DeliveryRecord {
    fn from(r: RecordRow) -> DeliveryRecord {
        let state = DeliveryState::parse(&r.state);
        DeliveryRecord {
            id: r.id,
            event_id: r.event_id,
            event: r.kind.as_deref().and_then(EventKind::parse),
            state,
            attempts: r.attempts,
            created_at: r.created_at,
            next_attempt_at: (state == DeliveryState::Pending).then_some(r.next_attempt_at),
            last_attempt_at: r.last_attempt_at,
            status: r.status.and_then(|s| u16::try_from(s).ok()),
            answer: r.answer,
            error: r.error,
        }
    }
}

impl Store {
    /// Claims up to `limit` due pending deliveries for `owner`, for `lease_ms`, counting
    /// the attempt; none for the webhooks in `skip_webhooks` (those the caller has enough
    /// attempts in flight for).
    pub async fn claim_deliveries(
        &self,
        owner: &str,
        lease_ms: i64,
        limit: i64,
        skip_webhooks: &[i64],
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        if limit <= 0 {
            return Ok(Vec::new());
        }
        // The ids are the caller's integers, written into the statement as numbers.
        let skip = if skip_webhooks.is_empty() {
            String::new()
        } else {
            let ids: Vec<String> = skip_webhooks.iter().map(i64::to_string).collect();
            format!(
                "AND (d.webhook_id IS NULL OR d.webhook_id NOT IN ({})) ",
                ids.join(", ")
            )
        };
        let now = dialect::now_ms(self.backend);
        // A read first: an idle queue costs no write (SQLite's one writer is the runs').
        let due = dynamic(format!(
            "SELECT 1 AS one FROM deliveries WHERE state = 'pending' \
             AND next_attempt_at <= {now} LIMIT 1"
        ))
        .fetch_optional(&self.pool)
        .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "UPDATE deliveries SET lease_owner = $1, lease_expires_at = {now} + $2, \
             attempts = attempts + 1 \
             WHERE id IN ( \
               SELECT d.id FROM deliveries d WHERE d.state = 'pending' \
               AND d.next_attempt_at <= {now} \
               AND (d.lease_expires_at IS NULL OR d.lease_expires_at < {now}) {skip}\
               ORDER BY d.next_attempt_at LIMIT $3 {lock}) \
             RETURNING id",
            lock = dialect::skip_locked(self.backend, "d"),
        );
        let ids: Vec<i64> = dynamic(sql)
            .bind(owner)
            .bind(lease_ms)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // What each attempt needs, in one statement for the whole claim (the ids are the
        // store's own integers, written into the statement as numbers).
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        let rows: Vec<WorkRow> = dynamic_as(format!(
            "SELECT d.id, d.channel, d.attempts, d.created_at, d.slot, d.event_id, \
             e.payload, d.webhook_id, w.url, w.secret, d.user_id, u.email \
             FROM deliveries d \
             LEFT JOIN notify_events e ON e.id = d.event_id \
             LEFT JOIN webhooks w ON w.id = d.webhook_id \
             LEFT JOIN users u ON u.id = d.user_id \
             WHERE d.id IN ({}) AND d.lease_owner = $1 \
             ORDER BY d.next_attempt_at, d.id",
            list.join(", ")
        ))
        .bind(owner)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for r in rows {
            let event = match (r.event_id, r.payload.as_deref()) {
                (Some(id), Some(payload)) => Some(decode(id, payload)?),
                _ => None,
            };
            claimed.push(ClaimedDelivery {
                id: r.id,
                channel: DeliveryChannel::parse(&r.channel),
                attempt: r.attempts,
                created_at: r.created_at,
                event,
                webhook: match (r.webhook_id, r.url, r.secret) {
                    (Some(id), Some(url), Some(secret)) => Some((id, url, secret)),
                    _ => None,
                },
                user: r.user_id.zip(r.email),
                slot: r.slot,
            });
        }
        Ok(claimed)
    }

    /// Records how `owner`'s attempt at delivery `id` ended and releases the lease; `false`
    /// when the lease was lost meanwhile (another daemon took the delivery over). A
    /// webhook's finished deliveries beyond its newest [`KEEP_PER_WEBHOOK`] are dropped.
    pub async fn finish_delivery(
        &self,
        id: i64,
        owner: &str,
        end: &DeliveryEnd,
    ) -> Result<bool, StoreError> {
        let now = super::now_ms();
        let done = sqlx::query(
            "UPDATE deliveries SET state = $1, next_attempt_at = $2, lease_owner = NULL, \
             lease_expires_at = NULL, last_attempt_at = $3, status = $4, answer = $5, error = $6 \
             WHERE id = $7 AND lease_owner = $8",
        )
        .bind(end.state.as_str())
        .bind(end.retry_at.unwrap_or(now))
        .bind(now)
        .bind(end.status.map(i64::from))
        .bind(&end.answer)
        .bind(&end.error)
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        if end.state != DeliveryState::Pending {
            sqlx::query(
                "DELETE FROM deliveries WHERE webhook_id = (SELECT webhook_id FROM deliveries \
                 WHERE id = $1) AND state <> 'pending' AND id < ( \
                   SELECT d.id FROM deliveries d WHERE d.webhook_id = \
                   (SELECT webhook_id FROM deliveries WHERE id = $1) AND d.state <> 'pending' \
                   ORDER BY d.id DESC LIMIT 1 OFFSET $2)",
            )
            .bind(id)
            .bind(KEEP_PER_WEBHOOK - 1)
            .execute(&self.pool)
            .await?;
        }
        Ok(done.rows_affected() > 0)
    }

    /// The webhook's newest deliveries, newest first, at most [`KEEP_PER_WEBHOOK`].
    pub async fn webhook_deliveries(
        &self,
        webhook_id: i64,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let rows: Vec<RecordRow> = sqlx::query_as(
            "SELECT d.id, d.event_id, e.kind, d.state, d.attempts, d.created_at, \
             d.next_attempt_at, d.last_attempt_at, d.status, d.answer, d.error \
             FROM deliveries d LEFT JOIN notify_events e ON e.id = d.event_id \
             WHERE d.webhook_id = $1 ORDER BY d.id DESC LIMIT $2",
        )
        .bind(webhook_id)
        .bind(KEEP_PER_WEBHOOK)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(DeliveryRecord::from).collect())
    }

    /// Pending deliveries and the age of the oldest, for the metrics.
    pub async fn delivery_queue(&self) -> Result<QueueStats, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM deliveries \
             WHERE state = 'pending'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(QueueStats {
            pending: row.try_get("n")?,
            oldest_pending_at: row.try_get("oldest")?,
        })
    }

    /// Releases every delivery lease `owner` holds (at shutdown).
    pub async fn release_delivery_leases(&self, owner: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL \
             WHERE lease_owner = $1",
        )
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Hands a claimed delivery back untried (its webhook had enough attempts in flight):
    /// it is due again at once, its claim not counted as an attempt.
    pub async fn hand_back_delivery(&self, id: i64, owner: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL, \
             attempts = attempts - 1 WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Releases every delivery lease, whoever holds it: for the sole owner of a SQLite
    /// database at start, whose owner lock proves that the holders are dead.
    pub async fn release_all_delivery_leases(&self) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL \
             WHERE lease_owner IS NOT NULL",
        )
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Deletes events older than `retention_ms` with their deliveries, a batch at most:
    /// the retry window is long over by then.
    pub async fn prune_events(&self, retention_ms: i64) -> Result<u64, StoreError> {
        let cutoff = super::now_ms() - retention_ms;
        let done = sqlx::query(
            "DELETE FROM notify_events WHERE id IN \
             (SELECT id FROM notify_events WHERE created_at < $1 LIMIT 5000)",
        )
        .bind(cutoff)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// The events of the pages `user_id` wants in a digest and is still a member of
    /// (operators: every page), created in `[from, to)` (ms), oldest first, at most `limit`.
    pub async fn digest_events(
        &self,
        user_id: i64,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT e.id, e.payload FROM notify_events e JOIN email_prefs p \
             ON p.page_id = e.page_id AND p.user_id = $1 AND p.mode = 'digest' \
             WHERE e.created_at >= $2 AND e.created_at < $3 AND EXISTS ( \
               SELECT 1 FROM users u WHERE u.id = p.user_id AND (u.role = 'operator' OR \
               EXISTS (SELECT 1 FROM user_pages m \
                       WHERE m.user_id = u.id AND m.page_id = p.page_id))) \
             ORDER BY e.id LIMIT $4",
        )
        .bind(user_id)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|(id, p)| decode(*id, p)).collect()
    }

    /// Queues the digest of day `slot` for every member who wants one (once per member and
    /// day, however many daemons ask).
    pub async fn queue_digests(&self, slot: i64) -> Result<u64, StoreError> {
        let now = super::now_ms();
        let done = sqlx::query(
            "INSERT INTO deliveries (channel, user_id, slot, state, created_at, next_attempt_at) \
             SELECT DISTINCT 'digest', user_id, $1, 'pending', $2, $2 FROM email_prefs \
             WHERE mode = 'digest' ON CONFLICT DO NOTHING",
        )
        .bind(slot)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
