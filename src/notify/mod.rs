//! Delivering notifications: the daemon's loop over the delivery queue in the store
//! ([`crate::store::deliveries`]). It runs beside the scheduler, in its own task, with its
//! own bounded concurrency and its own HTTP client and timeout, so a slow or hanging
//! webhook target costs the feed runs nothing. Deliveries are claimed with a lease, so
//! several daemons deliver each once and a daemon killed mid-delivery loses none; a failed
//! attempt is tried again with exponential backoff for `notify.retry_for` (24 h).
//!
//! Webhooks ([`webhook`]) receive each event as JSON signed with HMAC-SHA256; e-mails
//! ([`email`]) go over SMTP when `[notify.smtp]` is configured.

pub mod email;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::model::now_ms;
use crate::store::{ClaimedDelivery, DeliveryChannel, DeliveryEnd, DeliveryState, Store};

/// How long events (and so their deliveries) are kept: the retry window is long over.
const EVENT_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

/// How often each daemon prunes old events.
const PRUNE_PERIOD: Duration = Duration::from_secs(600);

/// How SMTP connections are secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// `STARTTLS` on a plain connection.
    Starttls,
    /// TLS from the first byte.
    Tls,
    /// None.
    None,
}

/// Where e-mails are sent from (`[notify.smtp]`).
#[derive(Clone)]
pub struct SmtpOptions {
    /// The server.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is secured.
    pub security: SmtpTls,
    /// Login (empty: none).
    pub user: String,
    /// Password.
    pub password: String,
    /// The `From` address.
    pub from: String,
}

impl std::fmt::Debug for SmtpOptions {
    // The password never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// The delivery worker's settings (`[notify]`).
#[derive(Clone, Debug)]
pub struct NotifyOptions {
    /// One attempt's time limit.
    pub timeout: Duration,
    /// The wait after the first failed attempt, doubled after each next one.
    pub retry_base: Duration,
    /// The longest wait between two attempts.
    pub retry_max: Duration,
    /// How long a failing delivery is tried.
    pub retry_for: Duration,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// How often the queue is looked at.
    pub tick: Duration,
    /// How often digests are sent.
    pub digest_every: Duration,
    /// Webhook targets on loopback and private networks allowed (`fetch.allow_private_networks`).
    pub allow_private_networks: bool,
    /// `User-Agent` of webhook requests.
    pub user_agent: String,
    /// Where the web pages are served, for links in e-mails (empty: no links).
    pub base_url: String,
    /// The SMTP server, when e-mail is on.
    pub smtp: Option<SmtpOptions>,
}

impl NotifyOptions {
    /// How long a claim holds a delivery: longer than an attempt can take, so a lease
    /// never expires under a running attempt, short enough that a dead daemon's claims
    /// are taken over soon.
    pub fn lease(&self) -> Duration {
        self.timeout * 2 + Duration::from_secs(5)
    }
}

/// The wait before attempt `attempt + 1` after attempt `attempt` (from 1) failed:
/// `base` × 2^(attempt − 1), at most `max`.
pub fn retry_delay(attempt: i64, base: Duration, max: Duration) -> Duration {
    let doublings = (attempt.max(1) - 1).min(30) as u32;
    base.saturating_mul(1u32 << doublings).min(max)
}

/// Attempts in flight at once to one webhook, per daemon: a receiver that hangs until the
/// timeout holds this many of the worker's slots, not all of them, so the other pages'
/// webhooks are not kept waiting behind it.
pub const PER_WEBHOOK: usize = 2;

/// The delivery worker of one daemon.
pub struct Notifier {
    store: Store,
    owner: String,
    options: NotifyOptions,
    client: reqwest::Client,
    mailer: Option<email::Mailer>,
}

impl Notifier {
    /// A worker claiming as `owner`.
    pub fn new(store: Store, owner: String, options: NotifyOptions) -> Result<Arc<Self>, String> {
        let client = crate::fetch::guarded_client(
            options.timeout,
            &options.user_agent,
            options.allow_private_networks,
        )
        .map_err(|e| e.to_string())?;
        let mailer = options
            .smtp
            .as_ref()
            .map(|smtp| email::Mailer::new(smtp, options.timeout, &options.base_url))
            .transpose()?;
        Ok(Arc::new(Notifier {
            store,
            owner,
            options,
            client,
            mailer,
        }))
    }

    /// Runs until `shutdown` turns true: claims due deliveries and makes one attempt at
    /// each; then stops claiming, lets attempts in flight end (each is bounded by the
    /// timeout), and releases its leases.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(self.options.concurrency));
        let webhooks = Arc::new(WebhooksInFlight::default());
        let mut tasks = JoinSet::new();
        let lease_ms = self.options.lease().as_millis() as i64;
        let digest_ms = self.options.digest_every.as_millis().max(1) as i64;
        let mut last_gauges = 0i64;
        let mut last_prune = 0i64;
        let mut last_digest_slot = None;
        info!(owner = %self.owner, "delivery worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            while tasks.try_join_next().is_some() {}
            // Digests: the day that just began collects the day before.
            if self.mailer.is_some() {
                let slot = now_ms() / digest_ms;
                if last_digest_slot != Some(slot) {
                    match self.store.queue_digests(slot).await {
                        Ok(n) => {
                            last_digest_slot = Some(slot);
                            if n > 0 {
                                info!(slot, queued = n, "digests queued");
                            }
                        }
                        Err(e) => warn!(error = %e, "queueing digests failed"),
                    }
                }
            }
            let free = slots.available_permits() as i64;
            // A full batch means more may be waiting: claim again as soon as a slot frees
            // up instead of after a tick, so that a backlog drains at the pace of the
            // answers, not at `concurrency` a tick.
            let mut full = false;
            match self
                .store
                .claim_deliveries(&self.owner, lease_ms, free, &webhooks.full())
                .await
            {
                Ok(claims) => {
                    full = free > 0 && claims.len() as i64 == free;
                    for claim in claims {
                        let hook = claim.webhook.as_ref().map(|w| w.0);
                        let Some(counted) = WebhooksInFlight::start(&webhooks, hook) else {
                            // This webhook has enough attempts in flight (the claim took
                            // several of its deliveries at once): the rest wait for them.
                            if let Err(e) =
                                self.store.hand_back_delivery(claim.id, &self.owner).await
                            {
                                warn!(delivery = claim.id, error = %e, "handing a delivery back failed; its lease will expire");
                            }
                            continue;
                        };
                        let Ok(permit) = slots.clone().acquire_owned().await else {
                            break;
                        };
                        let me = Arc::clone(&self);
                        tasks.spawn(async move {
                            me.attempt(claim).await;
                            drop(counted);
                            drop(permit);
                        });
                    }
                }
                Err(e) => warn!(error = %e, "claiming deliveries failed"),
            }
            if now_ms() - last_gauges > 5_000 {
                last_gauges = now_ms();
                if let Ok(q) = self.store.delivery_queue().await {
                    metrics::gauge!("iarss_delivery_queue_depth").set(q.pending as f64);
                    let age = q
                        .oldest_pending_at
                        .map(|at| (now_ms() - at).max(0) as f64 / 1000.0)
                        .unwrap_or(0.0);
                    metrics::gauge!("iarss_delivery_oldest_pending_seconds").set(age);
                }
            }
            if now_ms() - last_prune > PRUNE_PERIOD.as_millis() as i64 {
                last_prune = now_ms();
                match self
                    .store
                    .prune_events(EVENT_RETENTION.as_millis() as i64)
                    .await
                {
                    Ok(n) if n > 0 => info!(events = n, "old events pruned"),
                    Ok(_) => {}
                    Err(e) => warn!(error = %e, "pruning events failed"),
                }
            }
            if full {
                tokio::select! {
                    _ = tasks.join_next() => {}
                    _ = tokio::time::sleep(self.options.tick) => {}
                    _ = shutdown.changed() => {}
                }
            } else {
                tokio::select! {
                    _ = tokio::time::sleep(self.options.tick) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        // Each attempt ends within its timeout; a little more for recording it.
        let grace = tokio::time::sleep(self.options.timeout + Duration::from_secs(2));
        tokio::pin!(grace);
        loop {
            tokio::select! {
                next = tasks.join_next() => if next.is_none() { break },
                _ = &mut grace => {
                    tasks.abort_all();
                    while tasks.join_next().await.is_some() {}
                    break;
                }
            }
        }
        match self.store.release_delivery_leases(&self.owner).await {
            Ok(n) => info!(released = n, "delivery leases released"),
            Err(e) => warn!(error = %e, "releasing delivery leases failed"),
        }
    }

    /// One attempt at a claimed delivery, recorded.
    async fn attempt(&self, d: ClaimedDelivery) {
        let end = match d.channel {
            DeliveryChannel::Webhook => webhook::deliver(&self.client, &self.options, &d).await,
            DeliveryChannel::Email | DeliveryChannel::Digest => match &self.mailer {
                Some(mailer) => mailer.deliver(&self.store, &self.options, &d).await,
                None => Attempt::Skipped("e-mail is off: no [notify.smtp] host".into()),
            },
        };
        let end = self.settle(&d, end);
        let outcome = end.state.as_str();
        let channel = match d.channel {
            DeliveryChannel::Webhook => "webhook",
            DeliveryChannel::Email => "email",
            DeliveryChannel::Digest => "digest",
        };
        let outcome = if end.state == DeliveryState::Pending {
            "retry"
        } else {
            outcome
        };
        metrics::counter!("iarss_deliveries_total", "channel" => channel, "outcome" => outcome)
            .increment(1);
        let page = d.event.as_ref().map(|e| e.page_id.as_str()).unwrap_or("");
        let event = d.event.as_ref().map(|e| e.event.as_str()).unwrap_or("");
        let feed = d
            .event
            .as_ref()
            .and_then(|e| e.feed.as_ref())
            .map(|f| f.kind.as_str());
        let run = d.event.as_ref().and_then(|e| e.run.as_ref()).map(|r| r.id);
        match &end.error {
            Some(error) => warn!(
                delivery = d.id, channel, page, feed, run, event, attempt = d.attempt,
                status = end.status, outcome, error = %error, "delivery attempt failed"
            ),
            None => info!(
                delivery = d.id,
                channel,
                page,
                feed,
                run,
                event,
                attempt = d.attempt,
                status = end.status,
                outcome,
                "delivery attempt done"
            ),
        }
        match self.store.finish_delivery(d.id, &self.owner, &end).await {
            Ok(true) => {}
            Ok(false) => warn!(delivery = d.id, "the delivery's lease was lost meanwhile"),
            Err(e) => {
                warn!(delivery = d.id, error = %e, "recording the attempt failed; the lease will expire");
            }
        }
    }

    /// The delivery's state after an attempt: a failure is tried again after the backoff
    /// while that is within `retry_for` of its queueing, and given up after.
    fn settle(&self, d: &ClaimedDelivery, attempt: Attempt) -> DeliveryEnd {
        match attempt {
            Attempt::Done { status, answer } => DeliveryEnd {
                state: DeliveryState::Delivered,
                retry_at: None,
                status,
                answer,
                error: None,
            },
            Attempt::Skipped(why) => DeliveryEnd {
                state: DeliveryState::Skipped,
                retry_at: None,
                status: None,
                answer: None,
                error: Some(why),
            },
            Attempt::Failed {
                status,
                answer,
                error,
                retry,
            } => {
                let o = &self.options;
                let next =
                    now_ms() + retry_delay(d.attempt, o.retry_base, o.retry_max).as_millis() as i64;
                let within = next - d.created_at <= o.retry_for.as_millis() as i64;
                DeliveryEnd {
                    state: if retry && within {
                        DeliveryState::Pending
                    } else {
                        DeliveryState::Failed
                    },
                    retry_at: (retry && within).then_some(next),
                    status,
                    answer,
                    error: Some(error),
                }
            }
        }
    }
}

/// How one attempt went, before the backoff is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Delivered.
    Done {
        /// The answer's HTTP status.
        status: Option<u16>,
        /// The start of its body.
        answer: Option<String>,
    },
    /// Not sent, on purpose.
    Skipped(String),
    /// Failed.
    Failed {
        /// The answer's HTTP status, if one came.
        status: Option<u16>,
        /// The start of its body.
        answer: Option<String>,
        /// Why.
        error: String,
        /// Whether trying again may help.
        retry: bool,
    },
}

/// The attempts in flight per webhook, this daemon's.
#[derive(Default)]
struct WebhooksInFlight(std::sync::Mutex<std::collections::HashMap<i64, usize>>);

/// One attempt counted for its webhook until dropped.
struct CountedAttempt {
    webhooks: Arc<WebhooksInFlight>,
    hook: i64,
}

impl WebhooksInFlight {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<i64, usize>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The webhooks with [`PER_WEBHOOK`] attempts in flight.
    fn full(&self) -> Vec<i64> {
        self.lock()
            .iter()
            .filter(|(_, n)| **n >= PER_WEBHOOK)
            .map(|(hook, _)| *hook)
            .collect()
    }

    /// Counts an attempt for `hook` (`Some` with no count for a delivery that is not a
    /// webhook's); `None` when the webhook has [`PER_WEBHOOK`] in flight already.
    fn start(webhooks: &Arc<Self>, hook: Option<i64>) -> Option<Option<CountedAttempt>> {
        let Some(hook) = hook else {
            return Some(None);
        };
        let mut counts = webhooks.lock();
        let n = counts.entry(hook).or_default();
        if *n >= PER_WEBHOOK {
            return None;
        }
        *n += 1;
        Some(Some(CountedAttempt {
            webhooks: webhooks.clone(),
            hook,
        }))
    }
}

impl Drop for CountedAttempt {
    fn drop(&mut self) {
        let mut counts = self.webhooks.lock();
        if let Some(n) = counts.get_mut(&self.hook) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.hook);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(30);
        let max = Duration::from_secs(3600);
        assert_eq!(retry_delay(1, base, max), Duration::from_secs(30));
        assert_eq!(retry_delay(2, base, max), Duration::from_secs(60));
        assert_eq!(retry_delay(4, base, max), Duration::from_secs(240));
        assert_eq!(retry_delay(40, base, max), max);
    }
}
