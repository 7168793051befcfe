//! The scheduler: due feeds are claimed from the store (never from per-feed timers), run
//! with bounded concurrency overall and per host, and rescheduled on a cadence anchored to
//! their due time; failing feeds back off exponentially but are never dropped.
//!
//! [`next_due`] is the cadence and backoff arithmetic; [`Scheduler`] the loop.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::ingest::{Downloaded, FeedSource, NextDue, RunOptions, record_refusal, run_feed};
use crate::model::now_ms;
use crate::store::{
    BACKOFF_AFTER_FAILURES, ClaimedFeed, Reschedule, RunOutcome, Store, StoreError, backs_off,
};
use hosts::{HostLimits, HostSlot};

mod hosts;

/// How often each daemon prunes the run log and the warnings log.
const PRUNE_PERIOD: Duration = Duration::from_secs(600);

/// Scheduler settings.
#[derive(Clone, Debug)]
pub struct ScheduleOptions {
    /// Fetch cadence of every feed.
    pub interval: Duration,
    /// Cap of the backoff.
    pub max_backoff: Duration,
    /// Runs in flight at once; 0: sized by [`sized_concurrency`], up to
    /// `max_concurrency`.
    pub concurrency: usize,
    /// The most runs in flight a sized concurrency reaches.
    pub max_concurrency: usize,
    /// Runs in flight at once per host, to start with.
    pub per_host: usize,
    /// The most runs in flight at once a busy host earns ([`HostLimits`]).
    pub per_host_max: usize,
    /// How long a claim holds a feed.
    pub lease: Duration,
    /// How often due feeds are looked for.
    pub tick: Duration,
    /// How long in-flight runs may finish at shutdown.
    pub shutdown_grace: Duration,
    /// Accept `file://` feed URLs.
    pub allow_file_urls: bool,
    /// The longest a run takes once started (download timeout + parse budget + commit):
    /// a claim that waited so long for a host slot that this no longer fits in its lease is
    /// handed back rather than run, so a lease never expires under a running fetch.
    pub run_bound: Duration,
}

impl ScheduleOptions {
    /// The most runs this daemon ever has in flight.
    pub fn cap(&self) -> usize {
        if self.concurrency > 0 {
            self.concurrency
        } else {
            self.max_concurrency.max(1)
        }
    }
}

/// The fewest runs in flight a sized concurrency allows.
pub const MIN_SIZED_CONCURRENCY: usize = 32;

/// Runs in flight a daemon needs (Little's law): feeds fall due at `feeds` / `interval`
/// a second and each holds its slot `mean_run` on average (its download, including the
/// ones that hang until the timeout, and its commit) and then up to a `tick` more, since a
/// freed slot is only taken again at the next claim; so on average `rate × (mean_run +
/// tick)` slots are taken. Twice that absorbs the spread of run times and of due times;
/// the feeds already overdue (`backlog`) get a slot each on top, up to as many again, so a
/// daemon catches up after an outage at up to twice its pace without a burst that swamps
/// the store. Bounded below by [`MIN_SIZED_CONCURRENCY`] and above by `cap`. Several
/// daemons on one store each size for their share (`feeds` is the store's feeds divided
/// by the daemons holding leases): sized for the whole store's rate, three daemons held
/// three times the runs they needed, and in a store-bound phase (every feed new) each run
/// waiting for the store holds its parsed feed in memory.
///
/// Without the tick, fast publishers were throttled by the floor: 32 slots claimed once a
/// 200 ms tick start at most 160 runs a second, where 50,000 pages every 3 minutes need 278.
pub fn sized_concurrency(
    feeds: u64,
    interval: Duration,
    mean_run: Duration,
    tick: Duration,
    backlog: u64,
    cap: usize,
) -> usize {
    let rate = feeds as f64 / interval.as_secs_f64().max(1.0);
    let needed = (2.0 * rate * (mean_run + tick).as_secs_f64()).ceil() as usize;
    let backlog = usize::try_from(backlog).unwrap_or(usize::MAX);
    let wanted = needed.saturating_add(backlog.min(needed.max(MIN_SIZED_CONCURRENCY)));
    wanted.max(MIN_SIZED_CONCURRENCY).min(cap.max(1))
}

/// The mean time a run holds its slot, as an exponentially weighted average of the runs so
/// far (each weighs a twentieth), in milliseconds; one second before the first run.
#[derive(Debug)]
struct MeanRunTime(AtomicU64);

impl MeanRunTime {
    fn new() -> MeanRunTime {
        MeanRunTime(AtomicU64::new(1000f64.to_bits()))
    }

    fn record(&self, ms: i64) {
        let old = f64::from_bits(self.0.load(Ordering::Relaxed));
        // Two runs finishing at once may lose one's weight: an average, not a count.
        let new = old + (ms.max(0) as f64 - old) / 20.0;
        self.0.store(new.to_bits(), Ordering::Relaxed);
    }

    fn get(&self) -> Duration {
        Duration::from_secs_f64(f64::from_bits(self.0.load(Ordering::Relaxed)) / 1000.0)
    }
}

/// When a feed is due next, after a run of a slot due at `due` that started at `started`
/// and ended at `now`.
///
/// Success (and the first two failures) keep the cadence anchored to the schedule: the next
/// slot after `now`, so a missed slot is skipped, not run in a burst. A run that started
/// more than a tenth of an interval late (the daemon was down, busy, or the page was added
/// while no daemon ran) re-phases from its own start instead: its next slot is one interval
/// after `started`, less up to a tenth of an interval by `jitter`, so a late run is
/// never followed seconds later by its old slot, and the feeds of an outage's catch-up do
/// not return in one burst. After `failures` ≥ [`BACKOFF_AFTER_FAILURES`] (3) failed runs
/// in a row the feed waits interval × 2^(failures−2), capped, with ±10 % jitter drawn from
/// `jitter` (0.0–1.0).
pub fn next_due(
    due: i64,
    started: i64,
    now: i64,
    failures: i64,
    interval: Duration,
    max_backoff: Duration,
    jitter: f64,
) -> i64 {
    let interval_ms = interval.as_millis().max(1) as i64;
    let jitter = jitter.clamp(0.0, 1.0);
    if backs_off(failures) {
        // The first failure that backs off doubles the interval: 2^(N−2) from N = 3.
        let factor = 1i64 << (failures - (BACKOFF_AFTER_FAILURES - 1)).min(30);
        let delay = interval_ms
            .saturating_mul(factor)
            .min(max_backoff.as_millis() as i64);
        let jittered = delay as f64 * (0.9 + 0.2 * jitter);
        return now + jittered as i64;
    }
    let anchor = if started - due > interval_ms / 10 {
        // Spread earlier, not later: a slot further out than one interval would be taken
        // for a page on the default cycle and moved (`Store::fit_due_times`).
        started - (jitter * (interval_ms / 10) as f64) as i64
    } else {
        due
    };
    let mut next = anchor + interval_ms;
    if next <= now {
        let missed = (now - next) / interval_ms + 1;
        next += missed * interval_ms;
    }
    next
}

/// `next`, or later when the server asked to be left alone for `retry_after` (`429`/`503`
/// with `Retry-After`), capped at `max_backoff` from `now`.
pub fn not_before_retry_after(
    next: i64,
    now: i64,
    retry_after: Option<Duration>,
    max_backoff: Duration,
) -> i64 {
    match retry_after {
        Some(wait) => {
            let wait = wait.min(max_backoff).as_millis() as i64;
            next.max(now.saturating_add(wait))
        }
        None => next,
    }
}

/// A cheap uniform-ish number in [0, 1) for jitter, from the clock and the feed.
fn jitter_for(feed: &ClaimedFeed) -> f64 {
    let seed = format!("{}{}{}", feed.page_id, feed.kind.as_str(), now_ms());
    (xxhash_rust::xxh3::xxh3_64(seed.as_bytes()) % 10_000) as f64 / 10_000.0
}

/// A tick drawn uniformly from half to one and a half times `tick`. Daemons sharing a
/// store with fixed ticks lock into phase, and the one whose tick falls just before the
/// others' claims nearly every due feed; drawn ticks share the work evenly on average.
fn jittered(tick: Duration) -> Duration {
    let draw = getrandom::u32().unwrap_or(u32::MAX / 2);
    tick.mul_f64(0.5 + f64::from(draw) / f64::from(u32::MAX))
}

/// How a claimed feed's run ended, for its next due time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RunEnd {
    /// Recorded with this outcome.
    Recorded(RunOutcome),
    /// Not run: the page's writer lock was not had within `store.write_wait`.
    Busy,
    /// Ended, but not recorded (the store failed): kept in memory and logged.
    Unrecorded,
}

/// Liveness of the loop, read by `/readyz`.
#[derive(Debug, Default)]
pub struct Heartbeat(AtomicI64);

impl Heartbeat {
    /// Marks the loop alive now.
    pub fn beat(&self) {
        self.0.store(now_ms(), Ordering::Relaxed);
    }

    /// Milliseconds since the last beat.
    pub fn age_ms(&self) -> i64 {
        now_ms() - self.0.load(Ordering::Relaxed)
    }
}

/// The scheduler of one daemon.
pub struct Scheduler {
    store: Store,
    owner: String,
    options: ScheduleOptions,
    run: RunOptions,
    heartbeat: Arc<Heartbeat>,
    hosts: HostLimits,
    mean_run: MeanRunTime,
}

impl Scheduler {
    /// A scheduler claiming as `owner`.
    pub fn new(
        store: Store,
        owner: String,
        options: ScheduleOptions,
        run: RunOptions,
        heartbeat: Arc<Heartbeat>,
    ) -> Arc<Self> {
        let hosts = HostLimits::new(options.per_host, options.per_host_max);
        Arc::new(Scheduler {
            store,
            owner,
            options,
            run,
            heartbeat,
            hosts,
            mean_run: MeanRunTime::new(),
        })
    }

    /// A slot on the URL's host ([`HostLimits`]); none for a URL without a host.
    async fn host_slot(&self, url: &str) -> Option<HostSlot> {
        let host = url::Url::parse(url).ok()?.host_str()?.to_string();
        self.hosts.acquire(&host).await
    }

    /// Runs until `shutdown` turns true: claims, runs and reschedules due feeds; then stops
    /// claiming, lets in-flight runs finish within the grace period, and releases leases.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let cap = self.options.cap();
        let slots = Arc::new(Semaphore::new(cap));
        let sized = self.options.concurrency == 0;
        let mut limit = if sized {
            MIN_SIZED_CONCURRENCY.min(cap)
        } else {
            cap
        };
        let mut feeds: Option<u64> = None;
        let mut schedulers = 1u64;
        let mut last_count = 0i64;
        let mut tasks = JoinSet::new();
        let mut last_gauges = 0i64;
        let mut last_prune = 0i64;
        info!(owner = %self.owner, cap, sized, "scheduler started");
        let interval_ms = self.options.interval.as_millis() as i64;
        loop {
            self.heartbeat.beat();
            if *shutdown.borrow() {
                break;
            }
            while tasks.try_join_next().is_some() {}
            if now_ms() - last_gauges > 5_000 {
                last_gauges = now_ms();
                let backlog = self.store.due_backlog().await.ok();
                if let Some(n) = backlog {
                    metrics::gauge!("iarss_due_backlog").set(n as f64);
                }
                if let Ok(n) = self.store.feeds_in_backoff().await {
                    metrics::gauge!("iarss_feeds_in_backoff").set(n as f64);
                }
                let hosts = self.hosts.prune().await;
                metrics::gauge!("iarss_hosts_tracked").set(hosts as f64);
                if sized {
                    // The number of feeds changes slowly: counted once a minute.
                    if feeds.is_none() || now_ms() - last_count > 60_000 {
                        last_count = now_ms();
                        match self.store.scheduled_feeds().await {
                            Ok(n) => feeds = Some(n.max(0) as u64),
                            Err(e) => warn!(error = %e, "counting the scheduled feeds failed"),
                        }
                        // Each of the daemons sharing the store takes its share of the rate
                        // (a daemon that falls behind gets room from the backlog term).
                        match self.store.active_schedulers().await {
                            Ok(n) => schedulers = n.max(1) as u64,
                            Err(e) => warn!(error = %e, "counting the schedulers failed"),
                        }
                    }
                    let sized_now = sized_concurrency(
                        feeds.unwrap_or_default() / schedulers,
                        self.options.interval,
                        self.mean_run.get(),
                        self.options.tick,
                        backlog.unwrap_or_default().max(0) as u64,
                        cap,
                    );
                    if sized_now != limit {
                        tracing::debug!(
                            from = limit,
                            to = sized_now,
                            mean_run_ms = self.mean_run.get().as_millis() as u64,
                            "concurrency sized"
                        );
                    }
                    limit = sized_now;
                }
                metrics::gauge!("iarss_schedule_concurrency").set(limit as f64);
            }
            // Pages added meanwhile (with the default cycle) join this daemon's cycle.
            if let Err(e) = self.store.fit_due_times(interval_ms).await {
                warn!(error = %e, "fitting due times failed");
            }
            let in_flight = cap - slots.available_permits();
            let free = limit.saturating_sub(in_flight) as i64;
            match self
                .store
                .claim_due(&self.owner, self.options.lease.as_millis() as i64, free)
                .await
            {
                Ok(claims) => {
                    for claim in claims {
                        let Ok(permit) = slots.clone().acquire_owned().await else {
                            break;
                        };
                        let me = Arc::clone(&self);
                        tasks.spawn(async move {
                            let _counted = InFlight::start();
                            me.run_claim(claim).await;
                            drop(permit);
                        });
                    }
                }
                Err(e) => warn!(error = %e, "claiming due feeds failed"),
            }
            // The logs are pruned every few minutes, beside the runs: a prune scans the
            // warnings log, too much work to ride on each run's commit at scale.
            if let Some(retention) = self.run.retention
                && now_ms() - last_prune > PRUNE_PERIOD.as_millis() as i64
            {
                last_prune = now_ms();
                let store = self.store.clone();
                tasks.spawn(async move {
                    match store.prune_logs(retention.as_millis() as i64).await {
                        Ok(p) if p.runs + p.warnings + p.run_days > 0 => {
                            info!(
                                runs = p.runs,
                                run_days = p.run_days,
                                warnings = p.warnings,
                                "logs pruned"
                            );
                        }
                        Ok(_) => {}
                        Err(e) => warn!(error = %e, "pruning the logs failed"),
                    }
                });
            }
            tokio::select! {
                _ = tokio::time::sleep(jittered(self.options.tick)) => {}
                _ = shutdown.changed() => {}
            }
        }
        info!(
            in_flight = tasks.len(),
            "scheduler stopping: no more claims"
        );
        let grace = tokio::time::sleep(self.options.shutdown_grace);
        tokio::pin!(grace);
        loop {
            tokio::select! {
                next = tasks.join_next() => if next.is_none() { break },
                _ = &mut grace => {
                    warn!(abandoned = tasks.len(), "shutdown grace over: abandoning in-flight runs");
                    tasks.abort_all();
                    while tasks.join_next().await.is_some() {}
                    break;
                }
            }
        }
        match self.store.release_leases(&self.owner).await {
            Ok(n) => info!(released = n, "leases released"),
            Err(e) => warn!(error = %e, "releasing leases failed"),
        }
    }

    /// One claimed feed: run it, record metrics, reschedule it.
    async fn run_claim(self: &Arc<Self>, claim: ClaimedFeed) {
        let started = now_ms();
        // The host's slot is held for the download only: the run frees it as soon as the
        // answer is in (`RunOptions::downloaded`), so that runs waiting for the store never
        // hold up the fetches of a busy host.
        let host = Arc::new(std::sync::Mutex::new(self.host_slot(&claim.url).await));
        // The lag is the publisher's: from the due time to the fetch, any wait for its
        // host included.
        let lag = (now_ms() - claim.due_at).max(0) as f64 / 1000.0;
        metrics::histogram!("iarss_schedule_lag_seconds").record(lag);
        let lease_ms = self.options.lease.as_millis() as i64;
        let bound_ms = self.options.run_bound.as_millis() as i64;
        if now_ms() + bound_ms > claim.claimed_at + lease_ms {
            warn!(page_id = %claim.page_id, "waited too long for a slot on its host; handing the claim back");
            if let Err(e) = self.store.reschedule(&claim, &self.owner, now_ms()).await {
                warn!(page_id = %claim.page_id, error = %e, "handing back failed; the lease will expire");
            }
            return;
        }
        // A late run re-phases from when its fetch began, after any wait for its host.
        let fetch_started = now_ms();
        let (end, retry_after, rescheduled) =
            self.run_one(&claim, fetch_started, Arc::clone(&host)).await;
        let finished = now_ms();
        // Not fetched (a refused URL, the store's failure before the download): nothing
        // learnt of the host.
        drop(host.lock().unwrap_or_else(|e| e.into_inner()).take());
        metrics::histogram!("iarss_run_duration_seconds")
            .record((finished - started) as f64 / 1000.0);
        self.mean_run.record(finished - started);
        if rescheduled {
            // The run's commit set the next due time and let the lease go.
            return;
        }
        let failures = match end {
            RunEnd::Recorded(o) if o.is_success() => 0,
            // Not run: its page's writers took longer than `store.write_wait`. It is tried
            // again at its next due time, and it is not a failure of the feed.
            RunEnd::Busy => claim.consecutive_failures,
            RunEnd::Recorded(_) | RunEnd::Unrecorded => claim.consecutive_failures + 1,
        };
        let next = self.next_due_after(&claim, fetch_started, finished, failures, retry_after);
        if let Err(e) = self.store.reschedule(&claim, &self.owner, next).await {
            warn!(page_id = %claim.page_id, error = %e, "rescheduling failed; the lease will expire");
        }
    }

    /// The claimed feed's next due time after a run that began fetching at
    /// `fetch_started`, ended at `finished` and left it `failures` failed runs in a row.
    fn next_due_after(
        &self,
        claim: &ClaimedFeed,
        fetch_started: i64,
        finished: i64,
        failures: i64,
        retry_after: Option<Duration>,
    ) -> i64 {
        let next = next_due(
            claim.due_at,
            fetch_started,
            finished,
            failures,
            self.options.interval,
            self.options.max_backoff,
            jitter_for(claim),
        );
        not_before_retry_after(next, finished, retry_after, self.options.max_backoff)
    }

    /// Runs the claimed feed: how it ended, how long its server asked to wait, and whether
    /// its commit rescheduled it.
    async fn run_one(
        self: &Arc<Self>,
        claim: &ClaimedFeed,
        fetch_started: i64,
        host: Arc<std::sync::Mutex<Option<HostSlot>>>,
    ) -> (RunEnd, Option<Duration>, bool) {
        // The claim read the page and the feed's validators: a 304 reads nothing more.
        let page = &claim.page;
        let source = FeedSource::parse(&claim.url);
        let mut run = self.run.clone();
        run.conditional = true;
        run.stored_validators = Some(claim.validators.clone());
        let (scheduler, claimed) = (Arc::clone(self), claim.clone());
        run.reschedule = Some(NextDue(Arc::new(move |run, retry_after| {
            let failures = if run.outcome.is_success() {
                0
            } else {
                claimed.consecutive_failures + 1
            };
            Reschedule {
                failures_before: claimed.consecutive_failures,
                owner: scheduler.owner.clone(),
                next_due_at: scheduler.next_due_after(
                    &claimed,
                    fetch_started,
                    run.finished_at,
                    failures,
                    retry_after,
                ),
            }
        })));
        // A server that answered earns its host a slot while runs wait for it; one that
        // failed costs one.
        run.downloaded = Some(Downloaded(Arc::new(move |answered| {
            if let Some(slot) = host.lock().unwrap_or_else(|e| e.into_inner()).take() {
                slot.finished(answered);
            }
        })));
        let result = if matches!(source, FeedSource::Path { .. }) && !self.options.allow_file_urls {
            let message = format!(
                "`{}` is not an http(s) URL (file URLs need [fetch] allow_file_urls = true)",
                claim.url
            );
            record_refusal(&self.store, page, &claim.url, claim.kind, &message).await
        } else {
            run_feed(&self.store, page, &source, claim.kind, &run).await
        };
        match result {
            Ok(result) => {
                let r = &result.run;
                metrics::counter!("iarss_runs_total", "outcome" => r.outcome.as_str()).increment(1);
                metrics::counter!("iarss_fetched_bytes_total").increment(r.bytes);
                for (action, n) in [
                    ("inserted", r.counts.inserted),
                    ("updated", r.counts.updated),
                    ("unchanged", r.counts.unchanged),
                    ("ignored", r.counts.ignored),
                    ("rejected", r.counts.rejected),
                ] {
                    metrics::counter!("iarss_articles_total", "action" => action).increment(n);
                }
                for d in &result.diagnostics {
                    metrics::counter!("iarss_diagnostics_total", "rule" => d.rule.as_str())
                        .increment(1);
                }
                (
                    RunEnd::Recorded(r.outcome),
                    result.retry_after,
                    result.rescheduled,
                )
            }
            Err(StoreError::Busy { .. }) => {
                metrics::counter!("iarss_runs_busy_total").increment(1);
                (RunEnd::Busy, None, false)
            }
            Err(e) => {
                warn!(page_id = %page.id, error = %e, "the run could not be recorded");
                (RunEnd::Unrecorded, None, false)
            }
        }
    }
}

/// Counts a run in the `iarss_runs_in_flight` gauge from its start to its end (an aborted
/// run included), so that a scrape reads the runs under way at that moment.
struct InFlight;

impl InFlight {
    fn start() -> Self {
        metrics::gauge!("iarss_runs_in_flight").increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!("iarss_runs_in_flight").decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn concurrency_is_sized_by_littles_law_within_bounds() {
        let i = Duration::from_secs(180);
        let ms = Duration::from_millis;
        let tick = Duration::from_secs(1);
        // 20,000 feeds every 3 minutes (111/s), 0.6 s a run and up to a 1 s tick before
        // its slot is claimed again: 178 slots taken, twice that.
        assert_eq!(sized_concurrency(20_000, i, ms(600), tick, 0, 1024), 356);
        // Overdue feeds get a slot each on top, up to as many again.
        assert_eq!(sized_concurrency(20_000, i, ms(600), tick, 50, 1024), 406);
        assert_eq!(sized_concurrency(20_000, i, ms(600), tick, 500, 1024), 712);
        // Fast publishers and a 200 ms tick: what falls due between two claims (278/s ×
        // 0.2 s) must find a slot, whatever the run time; the floor alone (32 a tick) would
        // start 160 runs a second.
        let fast = sized_concurrency(50_000, i, ms(5), ms(200), 0, 1024);
        assert_eq!(fast, 114);
        assert!(fast as f64 / 0.2 > 2.0 * 50_000.0 / 180.0);
        // Never fewer than the floor, never more than the cap.
        assert_eq!(
            sized_concurrency(10, i, ms(100), tick, 0, 1024),
            MIN_SIZED_CONCURRENCY
        );
        assert_eq!(
            sized_concurrency(1_000_000, i, ms(3000), tick, 0, 1024),
            1024
        );
        assert_eq!(sized_concurrency(10, i, ms(100), tick, 0, 8), 8);
    }

    #[test]
    fn the_mean_run_time_follows_the_runs() {
        let mean = MeanRunTime::new();
        assert_eq!(mean.get(), Duration::from_secs(1));
        for _ in 0..200 {
            mean.record(250);
        }
        assert!(
            (mean.get().as_secs_f64() - 0.25).abs() < 0.01,
            "{:?}",
            mean.get()
        );
        // Hung fetches (30 s each) weigh in as they come.
        for _ in 0..10 {
            mean.record(30_000);
        }
        assert!(mean.get() > Duration::from_secs(10), "{:?}", mean.get());
    }

    #[test]
    fn cadence_is_anchored_and_skips_missed_slots() {
        let i = Duration::from_secs(180);
        let cap = Duration::from_secs(3600);
        assert_eq!(next_due(0, 0, 10_000, 0, i, cap, 0.5), 3 * MIN);
        // A run that overran two slots lands on the next slot, not three at once.
        assert_eq!(next_due(0, 0, 7 * MIN, 0, i, cap, 0.5), 9 * MIN);
        assert_eq!(next_due(0, 0, 10_000, 2, i, cap, 0.5), 3 * MIN);
    }

    #[test]
    fn a_late_run_re_phases_from_its_start() {
        let i = Duration::from_secs(180);
        let cap = Duration::from_secs(3600);
        // Up to a tenth of an interval late (18 s): the slot keeps its phase.
        assert_eq!(next_due(0, 18_000, 20_000, 0, i, cap, 0.5), 3 * MIN);
        // Later than that, e.g. after a 2-minute outage: one interval after the start (here
        // with no spread), not the old slot a minute later.
        assert_eq!(
            next_due(0, 2 * MIN, 2 * MIN + 1_000, 0, i, cap, 0.0),
            5 * MIN
        );
        // The spread is at most a tenth of an interval earlier, never beyond one interval
        // from now.
        let spread = next_due(0, 2 * MIN, 2 * MIN + 1_000, 0, i, cap, 1.0);
        assert_eq!(spread, 5 * MIN - 18_000);
        // A page added while no daemon ran, whose first slot passed 175 s ago, is not
        // fetched again 5 s after its first run.
        let next = next_due(0, 175_000, 176_000, 0, i, cap, 0.5);
        assert!(next - 175_000 >= 3 * MIN - 18_000, "{next}");
        // Failures that do not back off yet re-phase alike; backoff ignores the phase.
        assert_eq!(next_due(0, 2 * MIN, 2 * MIN, 2, i, cap, 0.0), 5 * MIN);
        assert_eq!(
            next_due(0, 2 * MIN, 2 * MIN, 3, i, cap, 0.5),
            2 * MIN + 6 * MIN
        );
    }

    #[test]
    fn retry_after_delays_the_next_fetch_up_to_the_cap() {
        let cap = Duration::from_secs(3600);
        assert_eq!(not_before_retry_after(3 * MIN, 0, None, cap), 3 * MIN);
        let ten = Some(Duration::from_secs(600));
        assert_eq!(not_before_retry_after(3 * MIN, 0, ten, cap), 10 * MIN);
        // A shorter wait than the cadence changes nothing.
        let short = Some(Duration::from_secs(30));
        assert_eq!(not_before_retry_after(3 * MIN, 0, short, cap), 3 * MIN);
        let day = Some(Duration::from_secs(86_400));
        assert_eq!(not_before_retry_after(3 * MIN, 0, day, cap), 60 * MIN);
    }

    #[test]
    fn backoff_doubles_from_the_third_failure_and_is_capped() {
        let i = Duration::from_secs(180);
        let cap = Duration::from_secs(3600);
        assert_eq!(next_due(0, 0, 0, 3, i, cap, 0.5), 6 * MIN);
        assert_eq!(next_due(0, 0, 0, 4, i, cap, 0.5), 12 * MIN);
        assert_eq!(next_due(0, 0, 0, 40, i, cap, 0.5), 60 * MIN);
        let low = next_due(0, 0, 0, 3, i, cap, 0.0);
        let high = next_due(0, 0, 0, 3, i, cap, 1.0);
        assert!(low < 6 * MIN && high > 6 * MIN && high - low <= 2 * 36_000);
    }
}
