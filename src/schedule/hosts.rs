//! Fetches in flight per host. Each host starts at `schedule.per_host` (politeness: one
//! publisher's server is not asked for more at once), and a host that carries many feeds
//! earns more: while runs wait for it, each fetch from it that succeeds adds a slot, up to
//! `schedule.per_host_max`, and each one that fails takes a slot away again, down to
//! `per_host`. A shared host (a CMS vendor, a CDN, a feed service) then serves its feeds on
//! time, while a slow or failing one stays at the polite limit. The host sees the same
//! number of requests either way (each feed is fetched once per interval); only how many
//! overlap changes.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};

/// The limits of every host this daemon fetches from.
#[derive(Debug)]
pub(crate) struct HostLimits {
    base: usize,
    max: usize,
    hosts: Mutex<HashMap<String, Arc<HostGate>>>,
}

/// One host's slots.
#[derive(Debug)]
struct HostGate {
    slots: Arc<Semaphore>,
    /// Slots it has now (in use or free), between `base` and `max`.
    limit: AtomicUsize,
    /// Runs waiting for a slot.
    waiting: AtomicUsize,
}

/// A slot on a host, held for one fetch; say how it went with [`HostSlot::finished`].
#[derive(Debug)]
pub(crate) struct HostSlot {
    gate: Arc<HostGate>,
    permit: Option<OwnedSemaphorePermit>,
    base: usize,
    max: usize,
}

impl HostLimits {
    /// `base` slots per host to start with, up to `max` for busy hosts.
    pub(crate) fn new(base: usize, max: usize) -> HostLimits {
        let base = base.max(1);
        HostLimits {
            base,
            max: max.max(base),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot on `host`.
    pub(crate) async fn acquire(&self, host: &str) -> Option<HostSlot> {
        let gate = {
            let mut hosts = self.hosts.lock().await;
            hosts
                .entry(host.to_string())
                .or_insert_with(|| {
                    Arc::new(HostGate {
                        slots: Arc::new(Semaphore::new(self.base)),
                        limit: AtomicUsize::new(self.base),
                        waiting: AtomicUsize::new(0),
                    })
                })
                .clone()
        };
        gate.waiting.fetch_add(1, Ordering::Relaxed);
        let permit = gate.slots.clone().acquire_owned().await.ok();
        gate.waiting.fetch_sub(1, Ordering::Relaxed);
        Some(HostSlot {
            gate,
            permit: Some(permit?),
            base: self.base,
            max: self.max,
        })
    }

    /// Forgets the hosts nobody holds a slot of, waits for, or earned slots on: with a page
    /// per domain the map would otherwise keep every host ever fetched. A forgotten host
    /// starts again at `base`, where it was. Returns how many hosts are still known.
    pub(crate) async fn prune(&self) -> usize {
        let mut hosts = self.hosts.lock().await;
        // `acquire` clones a gate under this lock, so a gate held by nobody else now is not
        // about to be used.
        hosts.retain(|_, gate| {
            Arc::strong_count(gate) > 1 || gate.limit.load(Ordering::Relaxed) > self.base
        });
        hosts.len()
    }

    /// The slots `host` has now (for tests and metrics).
    #[cfg(test)]
    async fn limit(&self, host: &str) -> usize {
        self.hosts
            .lock()
            .await
            .get(host)
            .map_or(self.base, |g| g.limit.load(Ordering::Relaxed))
    }
}

impl HostSlot {
    /// Gives the slot back after a fetch that `succeeded` or not, growing or shrinking the
    /// host's limit.
    pub(crate) fn finished(mut self, succeeded: bool) {
        let gate = &self.gate;
        if succeeded {
            if gate.waiting.load(Ordering::Relaxed) > 0
                && gate
                    .limit
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| {
                        (l < self.max).then_some(l + 1)
                    })
                    .is_ok()
            {
                gate.slots.add_permits(1);
            }
        } else if gate
            .limit
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| {
                (l > self.base).then_some(l - 1)
            })
            .is_ok()
            && let Some(permit) = self.permit.take()
        {
            // This slot is not given back: the host has one fewer.
            permit.forget();
        }
        // Otherwise the permit goes back when `self` drops.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_busy_host_earns_slots_and_a_failing_one_loses_them() {
        let limits = HostLimits::new(2, 4);
        // Nobody waits: a success changes nothing.
        let a = limits.acquire("cdn").await.expect("slot");
        a.finished(true);
        assert_eq!(limits.limit("cdn").await, 2);

        // Two in flight and a third waiting: each success adds a slot, up to the maximum.
        let limits = Arc::new(limits);
        let (a, b) = (
            limits.acquire("cdn").await.expect("slot"),
            limits.acquire("cdn").await.expect("slot"),
        );
        let waiter = {
            let limits = Arc::clone(&limits);
            tokio::spawn(async move { limits.acquire("cdn").await })
        };
        tokio::task::yield_now().await;
        a.finished(true);
        let c = waiter.await.expect("task").expect("slot");
        assert_eq!(limits.limit("cdn").await, 3);
        let waiter = {
            let limits = Arc::clone(&limits);
            tokio::spawn(async move { limits.acquire("cdn").await })
        };
        let d = limits.acquire("cdn").await.expect("slot");
        tokio::task::yield_now().await;
        b.finished(true);
        assert_eq!(limits.limit("cdn").await, 4);
        let e = waiter.await.expect("task").expect("slot");

        // Failures give slots up, down to the base, and never below.
        for slot in [c, d, e] {
            slot.finished(false);
        }
        assert_eq!(limits.limit("cdn").await, 2);
        let x = limits.acquire("cdn").await.expect("slot");
        let y = limits.acquire("cdn").await.expect("slot");
        assert!(
            limits.hosts.lock().await["cdn"].slots.available_permits() == 0,
            "two slots, both taken"
        );
        x.finished(false);
        y.finished(false);
        assert_eq!(limits.limit("cdn").await, 2);
        assert_eq!(
            limits.hosts.lock().await["cdn"].slots.available_permits(),
            2
        );
        // Another host starts at the base.
        assert_eq!(limits.limit("other").await, 2);
    }

    #[tokio::test]
    async fn idle_hosts_are_forgotten_and_busy_ones_kept() {
        let limits = HostLimits::new(1, 3);
        for i in 0..100 {
            let slot = limits
                .acquire(&format!("host{i}.example"))
                .await
                .expect("slot");
            slot.finished(true);
        }
        let held = limits.acquire("held.example").await.expect("slot");
        // A busy host that earned a second slot: one in flight, one waiting, a success.
        let limits = Arc::new(limits);
        let first = limits.acquire("busy.example").await.expect("slot");
        let waiter = {
            let limits = limits.clone();
            tokio::spawn(async move { limits.acquire("busy.example").await })
        };
        while limits.hosts.lock().await["busy.example"]
            .waiting
            .load(Ordering::Relaxed)
            == 0
        {
            tokio::task::yield_now().await;
        }
        first.finished(true);
        waiter.await.expect("waiter").expect("slot").finished(true);
        assert_eq!(limits.limit("busy.example").await, 2);

        assert_eq!(
            limits.prune().await,
            2,
            "the held host and the busy one are kept"
        );
        let known: Vec<String> = limits.hosts.lock().await.keys().cloned().collect();
        assert!(known.contains(&"held.example".to_string()), "{known:?}");
        assert!(known.contains(&"busy.example".to_string()), "{known:?}");
        drop(held);
        assert_eq!(limits.prune().await, 1);
        // A forgotten host is served again from the start.
        limits
            .acquire("host7.example")
            .await
            .expect("slot")
            .finished(true);
        assert_eq!(limits.limit("host7.example").await, 1);
    }
}
