//! Notifications (docs/api.md, Notifications): each event decided by a run or a manual
//! delete reaches a page's webhook once, signed, on both backends; a receiver that fails
//! is tried again and gets the event once; a hanging one times out without holding up the
//! feed runs; several daemons on one PostgreSQL database deliver each event once; a daemon
//! killed mid-delivery loses nothing; the webhooks API.
//!
//! Receivers are std-only HTTP servers on 127.0.0.1 that read each request whole, check
//! its signature and record it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use iarss::notify::{Notifier, NotifyOptions};
use iarss::store::{DeliveryState, FeedKind, NewPage, Store};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::daemon::{Daemon, wait_until};
use crate::kit;
use crate::kit::publishing::{article, ingest_live, rss, store_with_page, url};

/// The secret every test webhook signs with.
pub(crate) const SECRET: &str = "test-secret-0123456789";

// ----------------------------------------------------------------------------------------
// A webhook receiver
// ----------------------------------------------------------------------------------------

/// One POST a receiver read.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    event: String,
    delivery: String,
    agent: String,
    signed: bool,
    body: Value,
    at: Instant,
}

/// How a receiver answers its `n`th request (from 0): a status and how long it waits first.
type Answer = dyn Fn(&Received, usize) -> (u16, Duration) + Send + Sync;

pub(crate) struct Receiver {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub(crate) fn start(
        answer: impl Fn(&Received, usize) -> (u16, Duration) + Send + Sync + 'static,
    ) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let got = Arc::new(Mutex::new(Vec::new()));
        let answer: Arc<Answer> = Arc::new(answer);
        let count = Arc::new(AtomicUsize::new(0));
        {
            let (stop, got) = (stop.clone(), got.clone());
            thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(120);
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (got, answer, count) = (got.clone(), answer.clone(), count.clone());
                            thread::spawn(move || serve(stream, &got, &*answer, &count));
                        }
                        Err(_) => thread::sleep(Duration::from_millis(2)),
                    }
                }
            });
        }
        Receiver { addr, stop, got }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.got.lock().expect("received").clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(mut stream: TcpStream, got: &Mutex<Vec<Received>>, answer: &Answer, count: &AtomicUsize) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        match reader.read_line(&mut h) {
            Ok(n) if n > 2 => {
                if let Some((k, v)) = h.trim_end().split_once(':') {
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                }
            }
            _ => break,
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let length: usize = header("content-length").parse().unwrap_or(0);
    let mut body = vec![0u8; length.min(1 << 20)];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).expect("hmac");
    mac.update(&body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let received = Received {
        event: header("x-iarss-event"),
        delivery: header("x-iarss-delivery"),
        agent: header("user-agent"),
        signed: header("x-iarss-signature") == format!("sha256={expected}"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        at: Instant::now(),
    };
    got.lock().expect("received").push(received.clone());
    let n = count.fetch_add(1, Ordering::SeqCst);
    let (status, wait) = answer(&received, n);
    thread::sleep(wait);
    let reason = if status < 300 { "OK" } else { "Nope" };
    let text = format!("answer {n}");
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
}

/// Answers 200 at once.
pub(crate) fn ok(_: &Received, _: usize) -> (u16, Duration) {
    (200, Duration::ZERO)
}

/// Delivery settings for tests: a short timeout, a fast loop and fast retries.
fn fast_options() -> NotifyOptions {
    NotifyOptions {
        timeout: Duration::from_secs(2),
        retry_base: Duration::from_millis(200),
        retry_max: Duration::from_secs(1),
        retry_for: Duration::from_secs(3600),
        concurrency: 4,
        tick: Duration::from_millis(50),
        digest_every: Duration::from_secs(86_400),
        allow_private_networks: true,
        user_agent: "iarss-test".into(),
        base_url: String::new(),
        smtp: None,
    }
}

/// A delivery worker over `store` until the returned sender says stop.
pub(crate) fn start_worker(store: &Store) -> tokio::sync::watch::Sender<bool> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker =
        Notifier::new(store.clone(), "test-worker".into(), fast_options()).expect("worker");
    tokio::spawn(worker.run(stopped));
    stop
}

async fn wait_for(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    check()
}

// ----------------------------------------------------------------------------------------
// Each event, once, on both backends
// ----------------------------------------------------------------------------------------

crate::on_both_backends!(
    scenario_each_event_reaches_the_webhook_once,
    scenario_a_failing_receiver_is_retried_and_gets_the_event_once,
    scenario_emails_at_once_within_the_hourly_limit_and_a_digest,
    scenario_a_hanging_webhook_holds_two_slots_not_all,
);

/// Every kind of event, caused as a publisher would, reaches the page's webhook once,
/// signed, with the page, the feed, the run, the article and the diagnostics.
async fn scenario_each_event_reaches_the_webhook_once(db: &str) {
    let receiver = Receiver::start(ok);
    let (store, news) = store_with_page(db).await;
    // A second page whose feed is a file that is missing for three runs.
    let dir = kit::scratch(&format!("notify-events-{}", db.len()));
    let feed = dir.join("sport.xml");
    let _ = std::fs::remove_file(&feed);
    let feed_url = format!("file://{}", feed.display());
    let sport = store
        .add_page(&NewPage {
            id: "sport".into(),
            name: "Sport".into(),
            domain: iarss::model::Domain::parse("sport.example.org").unwrap(),
            feed_url: Some(feed_url.clone()),
            dev_feed_url: None,
            enabled: false,
        })
        .await
        .unwrap();
    for page in ["news", "sport"] {
        store
            .add_webhook(page, &receiver.url(), SECRET, "test")
            .await
            .unwrap()
            .expect("added");
    }
    let stop = start_worker(&store);

    // item.rejected, once while it stays rejected.
    let b = url("b");
    ingest_live(&store, &news, &[article(&b).broken()]).await;
    ingest_live(&store, &news, &[article(&b).broken()]).await;
    let c = url("c");
    ingest_live(&store, &news, &[article(&b).broken(), article(&c)]).await;
    // update.ignored.
    let a = url("a");
    ingest_live(
        &store,
        &news,
        &[article(&a).modified("2024-03-10T09:00:00Z")],
    )
    .await;
    ingest_live(
        &store,
        &news,
        &[article(&a)
            .modified("2024-03-10T09:00:00Z")
            .body("Stale edit.")],
    )
    .await;
    // article.deleted.
    store.delete_article("news", &a).await.unwrap();
    // feed.failing after three failed runs (not again at the fourth), then feed.recovered.
    let source = iarss::ingest::FeedSource::parse(&feed_url);
    let options = iarss::ingest::RunOptions::default();
    for _ in 0..4 {
        let run = iarss::ingest::run_feed(&store, &sport, &source, FeedKind::Production, &options)
            .await
            .unwrap();
        assert!(!run.run.outcome.is_success(), "{:?}", run.run);
    }
    std::fs::write(&feed, rss(&[])).unwrap();
    let run = iarss::ingest::run_feed(&store, &sport, &source, FeedKind::Production, &options)
        .await
        .unwrap();
    assert!(run.run.outcome.is_success(), "{:?}", run.run);

    let kinds = [
        "item.rejected",
        "update.ignored",
        "article.deleted",
        "feed.failing",
        "feed.recovered",
    ];
    let all_in = wait_for(Duration::from_secs(20), || {
        let got = receiver.received();
        kinds.iter().all(|k| got.iter().any(|r| r.event == *k))
    })
    .await;
    // Anything sent twice would have arrived by now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.received();
    assert!(all_in, "not every event arrived: {got:#?}");
    assert_eq!(got.len(), kinds.len(), "{got:#?}");
    for r in &got {
        assert!(r.signed, "bad signature: {r:?}");
        assert_eq!(r.body["event"], r.event.as_str());
        assert!(r.body["id"].as_i64().unwrap() > 0);
        assert!(r.delivery.parse::<i64>().unwrap() > 0);
    }
    let event = |kind: &str| got.iter().find(|r| r.event == kind).unwrap().body.clone();
    let rejected = event("item.rejected");
    assert_eq!(rejected["page_id"], "news");
    assert_eq!(rejected["article"]["canonical_url"], b.as_str());
    assert_eq!(rejected["feed"]["kind"], "production");
    assert!(rejected["run"]["id"].as_i64().unwrap() > 0);
    let diagnostic = &rejected["diagnostics"][0];
    assert_eq!(diagnostic["severity"], "error", "{rejected}");
    assert!(diagnostic["line"].as_i64().unwrap() > 0, "{rejected}");
    assert!(diagnostic["column"].as_i64().unwrap() > 0, "{rejected}");
    let ignored = event("update.ignored");
    assert_eq!(ignored["article"]["canonical_url"], a.as_str());
    assert_eq!(ignored["diagnostics"][0]["rule"], "update-not-newer");
    assert_eq!(
        event("article.deleted")["article"]["canonical_url"],
        a.as_str()
    );
    let failing = event("feed.failing");
    assert_eq!(failing["page_id"], "sport");
    assert_eq!(failing["feed"]["consecutive_failures"], 3);
    assert_ne!(failing["run"]["outcome"], "ok");
    assert_eq!(event("feed.recovered")["feed"]["consecutive_failures"], 0);
    // Each delivery is recorded with its answer.
    for hook in store.webhooks("news").await.unwrap() {
        for d in store.webhook_deliveries(hook.id).await.unwrap() {
            assert_eq!(d.state, DeliveryState::Delivered, "{d:?}");
            assert_eq!(d.status, Some(200));
            assert_eq!(d.attempts, 1);
            assert!(
                d.answer.as_deref().unwrap_or("").starts_with("answer"),
                "{d:?}"
            );
        }
    }
    let _ = stop.send(true);
}

/// A receiver that answers 500 first is tried again after the backoff; the event is
/// delivered once, and the delivery shows both attempts and the last answer.
async fn scenario_a_failing_receiver_is_retried_and_gets_the_event_once(db: &str) {
    let receiver = Receiver::start(|_, n| (if n == 0 { 500 } else { 200 }, Duration::ZERO));
    let (store, news) = store_with_page(db).await;
    let hook = store
        .add_webhook("news", &receiver.url(), SECRET, "test")
        .await
        .unwrap()
        .unwrap();
    let a = url("a");
    ingest_live(&store, &news, &[article(&a)]).await;
    store.delete_article("news", &a).await.unwrap();
    let stop = start_worker(&store);
    let delivered = wait_for(Duration::from_secs(15), || receiver.received().len() >= 2).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let got = receiver.received();
    assert!(delivered, "{got:#?}");
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[0].delivery, got[1].delivery);
    assert_eq!(got[0].body, got[1].body, "the same body both times");
    assert!(got[1].at - got[0].at >= Duration::from_millis(150));
    let deliveries = store.webhook_deliveries(hook.id).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    assert_eq!(d.state, DeliveryState::Delivered, "{d:?}");
    assert_eq!((d.attempts, d.status), (2, Some(200)));
    assert_eq!(d.error, None);
    let _ = stop.send(true);
}

/// A receiver that hangs until the timeout gets `PER_WEBHOOK` attempts at once, not all of
/// the worker's slots (four here): a webhook whose delivery was queued behind eight of its
/// deliveries is served at once, and the deliveries put back meanwhile count no attempt.
async fn scenario_a_hanging_webhook_holds_two_slots_not_all(db: &str) {
    assert_eq!(iarss::notify::PER_WEBHOOK, 2);
    let hanging = Receiver::start(|_, _| (200, Duration::from_secs(30)));
    let healthy = Receiver::start(ok);
    let (store, news) = store_with_page(db).await;
    let hook = store
        .add_webhook("news", &hanging.url(), SECRET, "test")
        .await
        .unwrap()
        .unwrap();
    let articles: Vec<_> = (0..9).map(|i| article(&url(&format!("a{i}")))).collect();
    ingest_live(&store, &news, &articles).await;
    for a in &articles[..8] {
        store.delete_article("news", &a.canonical).await.unwrap();
    }
    store
        .add_webhook("news", &healthy.url(), SECRET, "test")
        .await
        .unwrap()
        .unwrap();
    store
        .delete_article("news", &articles[8].canonical)
        .await
        .unwrap();
    let started = Instant::now();
    let stop = start_worker(&store);
    // The hanging receiver's attempts time out after 2 s: the other webhook is served
    // well before that.
    let served = wait_for(Duration::from_secs(10), || !healthy.received().is_empty()).await;
    assert!(served, "the healthy webhook got nothing");
    let after = healthy.received()[0].at - started;
    assert!(
        after < Duration::from_millis(1500),
        "the healthy webhook waited {after:?} behind the hanging one"
    );
    // Its two attempts came in meanwhile, and no third one while they hang.
    wait_for(Duration::from_secs(1), || hanging.received().len() >= 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let hanging_got = hanging.received();
    assert_eq!(
        hanging_got.len(),
        2,
        "two attempts at once: {hanging_got:#?}"
    );
    let attempts: i64 = store
        .webhook_deliveries(hook.id)
        .await
        .unwrap()
        .iter()
        .map(|d| d.attempts)
        .sum();
    assert_eq!(attempts, 2, "only the attempts made are counted");
    let _ = stop.send(true);
}

// ----------------------------------------------------------------------------------------
// Daemons
// ----------------------------------------------------------------------------------------

/// Settings of the test daemons: fast schedule and delivery loops, fast retries.
fn notify_env(timeout: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("IARSS_NOTIFY_TIMEOUT", timeout),
        ("IARSS_NOTIFY_RETRY_BASE", "200ms"),
        ("IARSS_NOTIFY_RETRY_MAX", "1s"),
        ("IARSS_NOTIFY_TICK", "100ms"),
    ]
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// `n` `article.deleted` events of page `news`, queued for a webhook to `receiver`, on a
/// page the scheduler leaves alone. Returns the webhook's id.
async fn queued_deletes(db: &str, receiver: &Receiver, n: usize) -> i64 {
    let (store, news) = store_with_page(db).await;
    let hook = store
        .add_webhook("news", &receiver.url(), SECRET, "test")
        .await
        .unwrap()
        .unwrap();
    let articles: Vec<_> = (0..n).map(|i| article(&url(&format!("a{i}")))).collect();
    ingest_live(&store, &news, &articles).await;
    for a in &articles {
        store.delete_article("news", &a.canonical).await.unwrap();
    }
    store.close().await;
    hook.id
}

/// A hanging receiver costs the feed runs nothing: its deliveries time out and are tried
/// again while the feed is fetched on time.
#[test]
fn a_hanging_receiver_times_out_and_feed_runs_go_on() {
    let dir = kit::scratch("notify-hanging");
    let db = crate::daemon::sqlite_db(&dir);
    let receiver = Receiver::start(|_, _| (200, Duration::from_secs(30)));
    let feed = rss(&[article(&url("b")).broken()]);
    let feeds = kit::http::Server::start(usize::MAX, move |_, s| {
        kit::http::respond(
            s,
            "200 OK",
            &[("Content-Type", "application/rss+xml")],
            feed.as_bytes(),
        );
    });
    let rt = runtime();
    let hook = rt.block_on(async {
        let store = Store::open(&db).await.unwrap();
        store
            .add_page(&NewPage {
                id: "news".into(),
                name: "News".into(),
                domain: iarss::model::Domain::parse(kit::publishing::DOMAIN).unwrap(),
                feed_url: Some(feeds.url("/feed.xml")),
                dev_feed_url: None,
                enabled: true,
            })
            .await
            .unwrap();
        let hook = store
            .add_webhook("news", &receiver.url(), SECRET, "test")
            .await
            .unwrap()
            .unwrap();
        store.close().await;
        hook.id
    });
    let mut daemon = Daemon::spawn(&dir, "d", &db, &notify_env("1s"));
    daemon.wait_ready();
    let started = Instant::now();
    thread::sleep(Duration::from_secs(7));
    let hits: Vec<Instant> = feeds
        .requests()
        .iter()
        .map(|r| r.at)
        .filter(|at| *at >= started)
        .collect();
    let got = receiver.received();
    assert_eq!(
        daemon.terminate(Duration::from_secs(10)),
        0,
        "{}",
        daemon.log()
    );
    // The feed keeps its 2 s cadence.
    assert!(hits.len() >= 3, "{} fetches in 7 s", hits.len());
    for w in hits.windows(2) {
        assert!(
            w[1] - w[0] < Duration::from_millis(3000),
            "a fetch came late"
        );
    }
    // The one event was tried again after each timeout.
    assert!(got.len() >= 2, "{got:#?}");
    assert!(
        got.iter()
            .all(|r| r.delivery == got[0].delivery && r.event == "item.rejected")
    );
    let deliveries = rt.block_on(async {
        let store = Store::open(&db).await.unwrap();
        let d = store.webhook_deliveries(hook).await.unwrap();
        store.close().await;
        d
    });
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    let d = &deliveries[0];
    assert_eq!(d.state, DeliveryState::Pending, "{d:?}");
    assert!(d.attempts >= 2, "{d:?}");
    assert!(
        d.error
            .as_deref()
            .unwrap_or("")
            .contains("no answer within"),
        "{d:?}"
    );
}

/// Three daemons on one PostgreSQL database deliver each of many events exactly once.
#[test]
fn three_daemons_deliver_each_event_once() {
    let pg = kit::PgDb::create("notify_three");
    let dir = kit::scratch("notify-three");
    let receiver = Receiver::start(|_, _| (200, Duration::from_millis(30)));
    const EVENTS: usize = 30;
    let rt = runtime();
    let hook = rt.block_on(queued_deletes(&pg.url, &receiver, EVENTS));
    let agents = ["iarss-test-n0", "iarss-test-n1", "iarss-test-n2"];
    let mut daemons: Vec<Daemon> = agents
        .iter()
        .enumerate()
        .map(|(i, agent)| {
            let mut env = notify_env("2s");
            env.push(("IARSS_FETCH_USER_AGENT", agent));
            Daemon::spawn(&dir, &format!("n{i}"), &pg.url, &env)
        })
        .collect();
    for d in &mut daemons {
        d.wait_ready();
    }
    assert!(
        wait_until(Duration::from_secs(30), || receiver.received().len()
            >= EVENTS),
        "{} of {EVENTS} delivered",
        receiver.received().len()
    );
    thread::sleep(Duration::from_secs(1));
    for d in &mut daemons {
        assert_eq!(d.terminate(Duration::from_secs(10)), 0, "{}", d.log());
    }
    let got = receiver.received();
    let mut ids: Vec<&str> = got.iter().map(|r| r.delivery.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), EVENTS, "distinct deliveries");
    assert_eq!(got.len(), EVENTS, "each delivered once");
    assert!(
        got.iter()
            .all(|r| r.signed && agents.contains(&r.agent.as_str()))
    );
    let deliveries = rt.block_on(async {
        let store = Store::open(&pg.url).await.unwrap();
        let d = store.webhook_deliveries(hook).await.unwrap();
        store.close().await;
        d
    });
    assert_eq!(deliveries.len(), EVENTS);
    assert!(
        deliveries
            .iter()
            .all(|d| d.state == DeliveryState::Delivered && d.attempts == 1)
    );
}

/// A daemon killed with SIGKILL in the middle of a delivery loses nothing: its lease
/// expires and another daemon delivers the event.
#[test]
fn a_daemon_killed_mid_delivery_loses_nothing() {
    let pg = kit::PgDb::create("notify_kill");
    let dir = kit::scratch("notify-kill");
    // The first request hangs (its daemon is killed meanwhile); later ones are answered.
    let receiver = Receiver::start(|_, n| {
        if n == 0 {
            (200, Duration::from_secs(20))
        } else {
            (200, Duration::ZERO)
        }
    });
    let rt = runtime();
    let hook = rt.block_on(queued_deletes(&pg.url, &receiver, 1));
    let mut daemons: Vec<Daemon> = ["iarss-test-k0", "iarss-test-k1"]
        .iter()
        .enumerate()
        .map(|(i, agent)| {
            let mut env = notify_env("2s");
            env.push(("IARSS_FETCH_USER_AGENT", agent));
            Daemon::spawn(&dir, &format!("k{i}"), &pg.url, &env)
        })
        .collect();
    for d in &mut daemons {
        d.wait_ready();
    }
    assert!(wait_until(Duration::from_secs(10), || !receiver
        .received()
        .is_empty()));
    let first = receiver.received()[0].clone();
    let victim = usize::from(first.agent == "iarss-test-k1");
    daemons[victim].signal("KILL");
    let killed = Instant::now();
    assert!(daemons[victim].wait_exit(Duration::from_secs(5)).is_some());
    // The lease (2 × timeout + 5 s) expires, then the survivor delivers.
    assert!(
        wait_until(Duration::from_secs(20), || receiver.received().len() >= 2),
        "never delivered again\n{}",
        daemons[1 - victim].log()
    );
    let got = receiver.received();
    assert_eq!(got[1].delivery, first.delivery);
    assert_ne!(got[1].agent, first.agent);
    assert!(
        got[1].at - killed >= Duration::from_secs(3),
        "taken over before the lease expired"
    );
    thread::sleep(Duration::from_millis(500));
    assert_eq!(
        daemons[1 - victim].terminate(Duration::from_secs(10)),
        0,
        "{}",
        daemons[1 - victim].log()
    );
    let deliveries = rt.block_on(async {
        let store = Store::open(&pg.url).await.unwrap();
        let d = store.webhook_deliveries(hook).await.unwrap();
        store.close().await;
        d
    });
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        deliveries[0].state,
        DeliveryState::Delivered,
        "{:?}",
        deliveries[0]
    );
    assert_eq!(deliveries[0].attempts, 2);
    assert_eq!(receiver.received().len(), 2);
}

// ----------------------------------------------------------------------------------------
// The API
// ----------------------------------------------------------------------------------------

/// Members list, add and remove their page's webhooks and read their deliveries; the
/// secret is answered once; other pages' members see nothing; private targets are refused
/// when the guard is on.
#[test]
fn the_webhooks_api() {
    use kit::api::{Api, ApiOptions};
    let db = kit::api::sqlite_db("notify-api");
    kit::api::block_on(async {
        let api = Api::start_configured(
            &db,
            ApiOptions {
                fetch: iarss::fetch::FetchConfig {
                    allow_private_networks: false,
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await;
        let base = "/api/v1/pages/news/webhooks";
        let created = api
            .json(
                "POST",
                base,
                &api.publisher,
                &json!({"url": "https://hooks.example.net/x"}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text());
        let body = created.json();
        let secret = body["secret"].as_str().unwrap();
        assert_eq!(secret.len(), 48);
        let id = body["webhook"]["id"].as_i64().unwrap();
        let listed = api.get(base, &api.publisher).await;
        assert_eq!(listed.status, 200);
        assert_eq!(listed.json()["items"][0]["id"], id);
        assert!(
            !listed.text().contains(secret),
            "a listing never shows the secret"
        );
        let given = api
            .json(
                "POST",
                base,
                &api.operator,
                &json!({"url": "https://hooks.example.net/y", "secret": SECRET}),
            )
            .await;
        assert_eq!(given.status, 201);
        assert_eq!(given.json()["secret"], SECRET);
        for url in [
            "http://127.0.0.1:9/x",
            "http://localhost/x",
            "http://10.0.0.1/",
        ] {
            let refused = api
                .json("POST", base, &api.publisher, &json!({"url": url}))
                .await;
            assert_eq!(refused.status, 400, "{url}: {}", refused.text());
        }
        let short = api
            .json(
                "POST",
                base,
                &api.publisher,
                &json!({"url": "https://a.example/", "secret": "short"}),
            )
            .await;
        assert_eq!(short.status, 400);
        // Another page's member: as if nothing existed.
        assert_eq!(api.get(base, &api.outsider).await.status, 404);
        let deliveries = format!("{base}/{id}/deliveries");
        assert_eq!(api.get(&deliveries, &api.outsider).await.status, 404);
        let d = api.get(&deliveries, &api.publisher).await;
        assert_eq!(d.status, 200, "{}", d.text());
        assert_eq!(d.json()["items"], json!([]));
        let other = api
            .get("/api/v1/pages/sport/webhooks/1/deliveries", &api.operator)
            .await;
        assert_eq!(other.status, 404);
        let gone = api
            .send(
                "DELETE",
                &format!("{base}/{id}"),
                Some(&api.outsider),
                None,
                Vec::new(),
            )
            .await;
        assert_eq!(gone.status, 404);
        let removed = api
            .send(
                "DELETE",
                &format!("{base}/{id}"),
                Some(&api.publisher),
                None,
                Vec::new(),
            )
            .await;
        assert_eq!(removed.status, 204);
        assert_eq!(api.get(&deliveries, &api.publisher).await.status, 404);
        api.stop().await;
    });
}

// ----------------------------------------------------------------------------------------
// E-mail
// ----------------------------------------------------------------------------------------

/// One message an SMTP sink accepted.
#[derive(Clone, Debug)]
struct Mail {
    to: String,
    /// The message, quoted-printable soft breaks undone.
    data: String,
}

/// A small SMTP server on 127.0.0.1 that accepts every message (EHLO/HELO, MAIL, RCPT,
/// DATA, RSET, NOOP, QUIT) and records it.
struct SmtpSink {
    port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let recorded = mails.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let mails = recorded.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read);
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let mut to = String::new();
                    // Bounded: a session ends at QUIT, at EOF, or after this many lines.
                    for _ in 0..100_000 {
                        let mut line = String::new();
                        match lines.read_line(&mut line).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "HELO" | "MAIL" | "RSET" | "NOOP" => b"250 OK\r\n",
                            "RCPT" => {
                                to = line.trim_end().to_string();
                                b"250 OK\r\n"
                            }
                            "DATA" => {
                                let _ = write.write_all(b"354 go on\r\n").await;
                                let mut data = String::new();
                                loop {
                                    let mut l = String::new();
                                    match lines.read_line(&mut l).await {
                                        Ok(0) | Err(_) => return,
                                        Ok(_) => {}
                                    }
                                    if l == ".\r\n" || l == ".\n" {
                                        break;
                                    }
                                    data.push_str(&l);
                                    if data.len() > 1 << 20 {
                                        return;
                                    }
                                }
                                let data = data.replace("=\r\n", "").replace("=3D", "=");
                                mails.lock().unwrap().push(Mail {
                                    to: to.clone(),
                                    data,
                                });
                                b"250 queued\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"502 no\r\n",
                        };
                        if write.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        SmtpSink { port, mails, task }
    }

    fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A member who wants a page's events at once gets one e-mail per event kind an hour, with
/// a plain-text and an HTML part that list the diagnostics and link to the article and the
/// rule; a member who wants a digest gets the period's events in one e-mail.
async fn scenario_emails_at_once_within_the_hourly_limit_and_a_digest(db: &str) {
    use iarss::access::{Access, Caller, Role};
    use iarss::store::EmailMode;
    let sink = SmtpSink::start().await;
    let (store, news) = store_with_page(db).await;
    let access = Access::new(store.clone(), kit::api::settings());
    let password = "correct horse battery";
    let cli = Caller::cli();
    let member = access
        .add_user(
            &cli,
            "pub@example.com",
            password,
            Role::Publisher,
            &["news".into()],
        )
        .await
        .unwrap();
    let reader = access
        .add_user(
            &cli,
            "digest@example.com",
            password,
            Role::Publisher,
            &["news".into()],
        )
        .await
        .unwrap();
    let stranger = access
        .add_user(&cli, "other@example.com", password, Role::Publisher, &[])
        .await
        .unwrap();
    store
        .set_email_pref(member.id, "news", Some(EmailMode::Immediate))
        .await
        .unwrap();
    store
        .set_email_pref(reader.id, "news", Some(EmailMode::Digest))
        .await
        .unwrap();
    // Not a member of the page: told nothing, whatever the setting says.
    store
        .set_email_pref(stranger.id, "news", Some(EmailMode::Immediate))
        .await
        .unwrap();

    let (a, b, c) = (url("a"), url("b"), url("c"));
    ingest_live(&store, &news, &[article(&a), article(&b)]).await;
    store.delete_article("news", &a).await.unwrap();
    store.delete_article("news", &b).await.unwrap();
    ingest_live(&store, &news, &[article(&c).broken()]).await;

    let mut options = fast_options();
    options.digest_every = Duration::from_secs(2);
    options.base_url = "https://iarss.example".into();
    options.smtp = Some(iarss::notify::SmtpOptions {
        host: "127.0.0.1".into(),
        port: sink.port,
        security: iarss::notify::SmtpTls::None,
        user: String::new(),
        password: String::new(),
        from: "iarss@example.org".into(),
    });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = Notifier::new(store.clone(), "mailer".into(), options).unwrap();
    tokio::spawn(worker.run(stopped));

    // The events of a period may straddle two digests: count what they list.
    let digested = |mails: &[Mail]| -> usize {
        mails
            .iter()
            .filter(|m| m.to.contains("digest@"))
            .filter_map(|m| {
                let at = m.data.find("digest: ")? + "digest: ".len();
                let n: String = m.data[at..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                n.parse::<usize>().ok()
            })
            .sum()
    };
    let arrived = wait_for(Duration::from_secs(15), || {
        let mails = sink.mails();
        mails.iter().filter(|m| m.to.contains("pub@")).count() >= 2 && digested(&mails) >= 3
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails = sink.mails();
    assert!(arrived, "{mails:#?}");
    let immediate: Vec<&Mail> = mails.iter().filter(|m| m.to.contains("pub@")).collect();
    assert_eq!(
        immediate.len(),
        2,
        "one per event kind within the hour: {immediate:#?}"
    );
    let subject = |kind: &str| format!("Subject: [iarss] news: {kind}");
    let deleted = immediate
        .iter()
        .find(|m| m.data.contains(&subject("article.deleted")))
        .expect("the first article.deleted");
    assert!(deleted.data.contains("text/plain") && deleted.data.contains("text/html"));
    let rejected = immediate
        .iter()
        .find(|m| m.data.contains(&subject("item.rejected")))
        .expect("item.rejected");
    assert!(
        rejected.data.contains("missing-op-published"),
        "{}",
        rejected.data
    );
    assert!(
        rejected
            .data
            .contains("https://iarss.example/rules/missing-op-published"),
        "{}",
        rejected.data
    );
    assert!(
        mails.iter().all(|m| !m.to.contains("other@")),
        "a stranger was told"
    );
    assert_eq!(digested(&mails), 3, "{mails:#?}");
    assert!(
        mails
            .iter()
            .any(|m| m.to.contains("digest@") && m.data.contains("item.rejected"))
    );
    let _ = stop.send(true);
}
