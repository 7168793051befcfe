//! The daemon under a publisher simulator: N pages served from 127.0.0.1 (most answer 304
//! to the conditional GET, a tenth serve a changed feed each time), one daemon on SQLite and
//! on PostgreSQL, then three daemons on PostgreSQL. Prints runs per cycle, the share of
//! fetches started within 10 s of their due time, schedule lag percentiles (from the
//! daemon's Prometheus histogram), CPU and peak memory, and double fetches (two requests
//! for one feed within half an interval, as the publisher saw them) and double runs (the same,
//! from the runs the daemons recorded). A second line gives the costs a capacity plan needs:
//! CPU per 304 fetch and per changed feed (the daemons', and PostgreSQL's server processes'),
//! store statements per fetch, and the store's growth (bytes, runs, warnings log) per cycle
//! and per day.
//!
//! `BENCH_NETWORK=internet` serves the pages from 5,000 hosts that answer like the
//! internet's (see `daemon/internet.rs`), with the daemon's default settings.
//! `BENCH_WEBHOOKS=1` gives every page a webhook and every changed feed a newly rejected
//! item, and reports the deliveries (see `daemon/webhooks.rs`).
//!
//! `scripts/with-postgres.sh cargo bench --bench daemon`; scale with `BENCH_PAGES`
//! (default 10000), `BENCH_INTERVAL` (default 3m) and `BENCH_CYCLES` (default 2);
//! `BENCH_SCENARIOS` picks some of `sqlite,postgres,postgres3` (default all), each with its
//! own number of pages if written `name:pages` (`sqlite:50000,postgres3:100000`).
//!
//! The first cycle ingests every page (every feed is new), so the measured cycles start once
//! every page has been fetched and nothing is overdue. After them, a quiet window (a third of
//! an interval) in which no feed changes gives the CPU of a 304 fetch alone; the changed
//! feed's cost is what the measured cycles cost beyond their 304s.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iarss::model::Domain;
use iarss::store::{NewPage, Store};

#[path = "daemon/internet.rs"]
mod internet;
#[path = "../tests/kit/postgres.rs"]
mod postgres;
#[path = "daemon/webhooks.rs"]
mod webhooks;
use postgres::fresh_postgres;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Request times per page, as the publisher saw them.
type Log = Arc<Mutex<HashMap<usize, Vec<Instant>>>>;

fn feed_body(page: usize, version: u64) -> String {
    let mut items = String::new();
    for i in 0..10 {
        // Three articles in ten carry a warning, as real feeds do (the same on every
        // fetch, at the same position, so the warnings log counts it again).
        let charset = if i == 5 {
            ""
        } else {
            "<meta charset=\"utf-8\">"
        };
        let style = if i % 5 == 3 {
            " style=\"color: red\""
        } else {
            ""
        };
        items.push_str(&format!(
            "<item><title>Story {i}</title><link>https://p{page}.example.com/s/{i}</link><guid>p{page}-{i}</guid>\
             <pubDate>Sun, 01 Nov 2026 06:00:00 +0000</pubDate><content:encoded><![CDATA[<!doctype html><html><head>\
             {charset}<link rel=\"canonical\" href=\"https://p{page}.example.com/s/{i}\">\
             <meta property=\"op:markup_version\" content=\"v1.0\"></head><body><article><header><h1>Story {i}</h1>\
             <time class=\"op-published\" datetime=\"2026-11-01T06:00:00Z\">1 Nov</time>\
             <time class=\"op-modified\" datetime=\"2026-11-01T06:{:02}:00Z\">1 Nov</time></header>\
             <p{style}>Version {version}. {}</p></article></body></html>]]></content:encoded></item>",
            version % 60,
            "Lorem ipsum dolor sit amet. ".repeat(40)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>P{page}</title>\
         <link>https://p{page}.example.com/</link><description>d</description>{items}{}</channel></rss>",
        webhooks::rejected_item(page, version)
    )
}

/// What the publisher shares with the benchmark.
struct Publisher {
    port: u16,
    /// Each page's feed URL.
    urls: Vec<String>,
    /// `BENCH_NETWORK=internet`: the hosts, and the runtime that serves them.
    internet: Option<(internet::Network, tokio::runtime::Runtime)>,
    /// While set, no feed changes: every conditional GET is answered 304.
    quiet: Arc<AtomicBool>,
    /// 304 answers and full feeds served.
    not_modified: Arc<AtomicU64>,
    changed: Arc<AtomicU64>,
}

impl Publisher {
    /// Stops the threads: each wakes from its accept on a connection of its own and sees
    /// `stop`.
    fn stop(&mut self, stop: &AtomicBool) {
        stop.store(true, Ordering::Relaxed);
        if let Some((_, runtime)) = self.internet.take() {
            runtime.shutdown_background();
            return;
        }
        for _ in 0..PUBLISHER_THREADS {
            let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
        }
    }
}

/// Connections the publisher serves at once (a thread each).
const PUBLISHER_THREADS: usize = 256;

/// The publisher: a thread pool answering `GET /feed/N` until `stop`.
fn publisher(pages: usize, log: Log, stop: Arc<AtomicBool>) -> Publisher {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // Threads wait in a blocking accept: the kernel wakes one per connection. (Polling a
    // non-blocking listener every 2 ms from 256 threads cost the simulator most of a core.)
    let listener = Arc::new(listener);
    // Each page's current version, whichever thread answers it.
    let versions: Arc<Vec<AtomicU64>> = Arc::new((0..pages).map(|_| AtomicU64::new(0)).collect());
    let quiet = Arc::new(AtomicBool::new(false));
    let not_modified = Arc::new(AtomicU64::new(0));
    let changed = Arc::new(AtomicU64::new(0));
    // One thread per connection: enough threads that the daemons' kept-alive connections
    // (up to `concurrency` of each of three daemons) never leave new requests waiting in
    // the backlog.
    for _ in 0..PUBLISHER_THREADS {
        let (listener, log, stop) = (Arc::clone(&listener), Arc::clone(&log), Arc::clone(&stop));
        let (versions, quiet) = (Arc::clone(&versions), Arc::clone(&quiet));
        let (not_modified, changed) = (Arc::clone(&not_modified), Arc::clone(&changed));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let Ok((stream, _)) = listener.accept() else {
                    continue;
                };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut stream = stream;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let page: usize = line
                        .split_whitespace()
                        .nth(1)
                        .and_then(|p| p.rsplit('/').next())
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0)
                        .min(pages - 1);
                    let mut if_none_match = None;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) <= 2 {
                            break;
                        }
                        if let Some(v) = h.to_ascii_lowercase().strip_prefix("if-none-match:") {
                            if_none_match = Some(v.trim().to_string());
                        }
                    }
                    log.lock()
                        .expect("log")
                        .entry(page)
                        .or_default()
                        .push(Instant::now());
                    // A tenth of the pages change on every fetch; the rest never change.
                    let changing = page.is_multiple_of(10) && !quiet.load(Ordering::Relaxed);
                    let version = if changing {
                        versions[page].fetch_add(1, Ordering::Relaxed) + 1
                    } else {
                        versions[page].load(Ordering::Relaxed)
                    };
                    let etag = format!("\"p{page}-v{version}\"");
                    if if_none_match.as_deref() == Some(etag.as_str()) {
                        not_modified.fetch_add(1, Ordering::Relaxed);
                        let _ = write!(
                            stream,
                            "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nContent-Length: 0\r\n\r\n"
                        );
                        continue;
                    }
                    changed.fetch_add(1, Ordering::Relaxed);
                    let body = feed_body(page, version);
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: {etag}\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                }
            }
        });
    }
    Publisher {
        port,
        urls: (0..pages)
            .map(|p| format!("http://127.0.0.1:{port}/feed/{p}"))
            .collect(),
        internet: None,
        quiet,
        not_modified,
        changed,
    }
}

/// The publishers of `BENCH_NETWORK=internet` ([`internet`]).
fn internet_publisher(pages: usize, log: Log) -> Publisher {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut network = internet::Network::plan(pages);
    let served = internet::start(&runtime, &mut network, pages, log);
    Publisher {
        port: 0,
        urls: (0..pages).map(|p| network.feed_url(p)).collect(),
        internet: Some((network, runtime)),
        quiet: served.quiet,
        not_modified: served.not_modified,
        changed: served.changed,
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

async fn add_pages(url: &str, feeds: Arc<Vec<String>>, hook: Option<String>) {
    let n = feeds.len();
    let store = Arc::new(Store::open(url).await.expect("open store"));
    // Eight writers at once: PostgreSQL takes them side by side, SQLite one after the other.
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (store, feeds, hook) = (Arc::clone(&store), Arc::clone(&feeds), hook.clone());
            tokio::spawn(async move {
                for page in (w..n).step_by(8) {
                    store
                        .add_page(&NewPage {
                            id: format!("p{page}"),
                            name: format!("Page {page}"),
                            domain: Domain::parse(&format!("p{page}.example.com")).expect("domain"),
                            feed_url: Some(feeds[page].clone()),
                            dev_feed_url: None,
                            enabled: true,
                        })
                        .await
                        .expect("add page");
                    if let Some(hook) = &hook {
                        store
                            .add_webhook(&format!("p{page}"), hook, "bench-secret", "bench")
                            .await
                            .expect("add webhook");
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.await.expect("writer");
    }
    if let Ok(store) = Arc::try_unwrap(store) {
        store.close().await;
    }
}

fn spawn_daemon(db: &str, interval: &str, internet: bool) -> (Child, u16) {
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_iarss"));
    command
        .args([
            "--db",
            db,
            "daemon",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("IARSS_SCHEDULE_INTERVAL", interval)
        .env("IARSS_FETCH_ALLOW_PRIVATE_NETWORKS", "true")
        .env("IARSS_LOG", "error");
    // BENCH_DAEMON_LOG=<level> keeps each daemon's log in target/bench-daemon-<port>.log.
    if let Ok(level) = std::env::var("BENCH_DAEMON_LOG") {
        let path = format!("{}/bench-daemon-{port}.log", env!("CARGO_TARGET_TMPDIR"));
        if let Ok(file) = std::fs::File::create(&path) {
            eprintln!("daemon on port {port} logs to {path}");
            command.env("IARSS_LOG", level).stderr(file);
        }
    }
    if !internet {
        // Every loopback page is on 127.0.0.1; real pages are spread over many hosts, so
        // the per-host limit (politeness, not capacity) is lifted to the overall one, and
        // the daemon looks for due feeds more often than its default tick.
        command
            .env("IARSS_SCHEDULE_TICK", "200ms")
            .env("IARSS_SCHEDULE_PER_HOST", "64");
    }
    let child = command.spawn().expect("spawn daemon");
    (child, port)
}

fn http_get(port: u16, path: &str) -> String {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// `(cpu seconds, rss MB)` of a process from /proc.
fn usage(pid: u32) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    (ticks / 100.0, rss_kb / 1024.0)
}

/// `(le, cumulative count)` buckets of a Prometheus histogram, summed over daemons.
fn lag_buckets(scrapes: &[String]) -> Vec<(f64, f64)> {
    let mut buckets: HashMap<String, f64> = HashMap::new();
    for text in scrapes {
        for line in text
            .lines()
            .filter(|l| l.starts_with("iarss_schedule_lag_seconds_bucket"))
        {
            let le = line
                .split("le=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or("+Inf");
            let count: f64 = line
                .rsplit(' ')
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0);
            *buckets.entry(le.to_string()).or_default() += count;
        }
    }
    let mut out: Vec<(f64, f64)> = buckets
        .into_iter()
        .map(|(le, c)| {
            (
                if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().unwrap_or(f64::INFINITY)
                },
                c,
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

fn quantile(buckets: &[(f64, f64)], q: f64) -> f64 {
    let total = buckets.last().map_or(0.0, |b| b.1);
    let target = total * q;
    let mut prev = (0.0, 0.0);
    for &(le, c) in buckets {
        if c >= target {
            if le.is_infinite() {
                return prev.0;
            }
            let span = (c - prev.1).max(1.0);
            return prev.0 + (le - prev.0) * ((target - prev.1) / span);
        }
        prev = (le, c);
    }
    prev.0
}

/// Runs of one feed started closer together than `half`, from the store's run log; the
/// first few pairs are printed, to see where they come from.
async fn double_runs(db: &str, half: Duration) -> usize {
    let store = Store::open(db).await.expect("open store");
    let runs = store.runs(None, i64::MAX).await.expect("runs");
    store.close().await;
    let mut by_feed: HashMap<(String, &'static str), Vec<&iarss::store::FeedRun>> = HashMap::new();
    for run in &runs {
        by_feed
            .entry((run.page_id.clone(), run.feed.as_str()))
            .or_default()
            .push(run);
    }
    let half = half.as_millis() as i64;
    let first = runs.iter().map(|r| r.started_at).min().unwrap_or(0);
    let mut doubles = 0;
    for ((page, feed), feed_runs) in &mut by_feed {
        feed_runs.sort_unstable_by_key(|r| r.started_at);
        for w in feed_runs.windows(2) {
            if w[1].started_at - w[0].started_at >= half {
                continue;
            }
            doubles += 1;
            if doubles <= 10 {
                let show = |r: &iarss::store::FeedRun| {
                    format!(
                        "run {} at {:.1}s for {} ms: {} {:?} {}",
                        r.id.unwrap_or_default(),
                        (r.started_at - first) as f64 / 1000.0,
                        r.finished_at - r.started_at,
                        r.outcome.as_str(),
                        r.http_status,
                        r.error.as_deref().unwrap_or("")
                    )
                };
                println!(
                    "  double run of {page} {feed}: {} | {}",
                    show(w[0]),
                    show(w[1])
                );
            }
        }
    }
    doubles
}

fn env_is(name: &str, value: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == value)
}

/// `BENCH_PG_STATEMENTS=1` (with a server that preloads pg_stat_statements): resets the
/// statement statistics (`None`), or prints where the quiet window's server time went, per
/// 304 fetch (`Some(fetches)`).
async fn pg_statements(db: &str, fetches: Option<f64>) {
    use sqlx::{Connection, Row};
    let Ok(mut conn) = sqlx::postgres::PgConnection::connect(db).await else {
        return;
    };
    let Some(fetches) = fetches else {
        let ready = sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            .execute(&mut conn)
            .await
            .and(
                sqlx::query("SELECT pg_stat_statements_reset()")
                    .execute(&mut conn)
                    .await,
            );
        if let Err(e) = ready {
            println!(
                "pg_stat_statements unavailable ({e}): start the server with WITH_POSTGRES_OPTIONS=\"-c shared_preload_libraries=pg_stat_statements\""
            );
        }
        return;
    };
    let Ok(rows) = sqlx::query(
        "SELECT calls, total_exec_time + total_plan_time AS ms, wal_bytes::float8 AS wal, \
         shared_blks_hit + shared_blks_read AS blocks, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS q \
         FROM pg_stat_statements ORDER BY 2 DESC LIMIT 12",
    )
    .fetch_all(&mut conn)
    .await
    else {
        return;
    };
    println!(
        "{:<22} PostgreSQL statements of the quiet window, per 304 fetch ({fetches:.0} fetches):",
        ""
    );
    for row in rows {
        let calls: i64 = row.try_get("calls").unwrap_or_default();
        let ms: f64 = row.try_get("ms").unwrap_or_default();
        let wal: f64 = row.try_get("wal").unwrap_or_default();
        let blocks: i64 = row.try_get("blocks").unwrap_or_default();
        let q: String = row.try_get("q").unwrap_or_default();
        println!(
            "{:<24} {:>6.3} ms  {:>5.2} calls  {:>6.0} B WAL  {:>5.1} blocks  {q}",
            "",
            ms / fetches.max(1.0),
            calls as f64 / fetches.max(1.0),
            wal / fetches.max(1.0),
            blocks as f64 / fetches.max(1.0),
        );
    }
}

/// CPU seconds of every PostgreSQL server process on this machine (the benchmark's cluster
/// is the only one): the postmaster, its workers and the daemons' backends.
fn postgres_cpu() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(|pid| usage(pid).0)
        .sum()
}

/// The sum over scrapes of an unlabelled counter or gauge.
fn metric(scrapes: &[String], name: &str) -> f64 {
    scrapes
        .iter()
        .flat_map(|text| text.lines())
        .filter_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .filter_map(|v| v.trim().parse::<f64>().ok())
        .sum()
}

/// The store's size: bytes on disk, and rows of the run log, the warnings log (and the
/// occurrences its rows count), articles and revisions.
#[derive(Clone, Copy, Default)]
struct StoreSize {
    bytes: f64,
    runs: f64,
    warnings: f64,
    occurrences: f64,
    articles: f64,
    revisions: f64,
}

async fn store_size(db: &str) -> StoreSize {
    let store = Store::open(db).await.expect("open store");
    let count = async |sql: &str| -> f64 {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(store.pool())
            .await
            .expect(sql);
        sqlx::Row::try_get::<i64, _>(&row, 0).unwrap_or(0) as f64
    };
    let bytes = match db.strip_prefix("sqlite://") {
        Some(path) => ["", "-wal"]
            .iter()
            .filter_map(|s| std::fs::metadata(format!("{path}{s}")).ok())
            .map(|m| m.len() as f64)
            .sum(),
        None => count("SELECT pg_database_size(current_database())").await,
    };
    let size = StoreSize {
        bytes,
        runs: count("SELECT COUNT(*) FROM feed_runs").await,
        warnings: count("SELECT COUNT(*) FROM diagnostics").await,
        occurrences: count("SELECT CAST(COALESCE(SUM(occurrences), 0) AS BIGINT) FROM diagnostics")
            .await,
        articles: count("SELECT COUNT(*) FROM articles").await,
        revisions: count("SELECT COUNT(*) FROM article_revisions").await,
    };
    store.close().await;
    size
}

/// The daemon processes, killed if the benchmark fails half-way (they would otherwise
/// outlive it, still fetching).
struct Daemons(Vec<(Child, u16)>);

impl std::ops::Deref for Daemons {
    type Target = Vec<(Child, u16)>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Daemons {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Daemons {
    fn drop(&mut self) {
        for (c, _) in &mut self.0 {
            if matches!(c.try_wait(), Ok(None)) {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// What the daemons and the publisher had done at one moment.
struct Mark {
    at: Instant,
    scrapes: Vec<String>,
    daemon_cpu: f64,
    postgres_cpu: f64,
    /// This process: the publisher simulator (and the benchmark's own sampling).
    simulator_cpu: f64,
    not_modified: u64,
    changed: u64,
}

fn mark(children: &[(Child, u16)], publisher: &Publisher) -> Mark {
    Mark {
        at: Instant::now(),
        scrapes: children
            .iter()
            .map(|(_, p)| http_get(*p, "/metrics"))
            .collect(),
        daemon_cpu: children.iter().map(|(c, _)| usage(c.id()).0).sum(),
        postgres_cpu: postgres_cpu(),
        simulator_cpu: usage(std::process::id()).0,
        not_modified: publisher.not_modified.load(Ordering::Relaxed),
        changed: publisher.changed.load(Ordering::Relaxed),
    }
}

fn scenario(name: &str, db: &str, daemons: usize, pages: usize, interval: Duration, cycles: u32) {
    let log: Log = Arc::new(Mutex::new(HashMap::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let internet = std::env::var("BENCH_NETWORK").is_ok_and(|n| n == "internet");
    let mut publisher = if internet {
        internet_publisher(pages, Arc::clone(&log))
    } else {
        publisher(pages, Arc::clone(&log), Arc::clone(&stop))
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let t = Instant::now();
    let receiver = webhooks::ENABLED
        .load(Ordering::Relaxed)
        .then(webhooks::Receiver::start);
    runtime.block_on(add_pages(
        db,
        Arc::new(publisher.urls.clone()),
        receiver.as_ref().map(|r| r.url.clone()),
    ));
    let setup = t.elapsed();
    let interval_text = format!("{}s", interval.as_secs());
    let mut children = Daemons(
        (0..daemons)
            .map(|_| spawn_daemon(db, &interval_text, internet))
            .collect(),
    );
    let started = Instant::now();
    // The largest daemon's resident memory: over the warm-up (every feed new), then over
    // the measured cycles and the quiet window.
    let peak_rss = std::cell::Cell::new(0.0f64);
    let sample_rss = |children: &[(Child, u16)]| {
        for (c, _) in children {
            peak_rss.set(peak_rss.get().max(usage(c.id()).1));
        }
    };
    // Warm-up: until every page has been fetched once and no feed is overdue (bounded).
    // On the internet's network a daemon that cannot keep up never gets there: it is
    // measured as it is after two intervals.
    let warmup_cap = interval * if internet { 2 } else { 8 };
    let mut warm = false;
    while started.elapsed() < warmup_cap {
        std::thread::sleep(Duration::from_secs(1));
        sample_rss(&children);
        let seen = log.lock().expect("log").len();
        if seen >= pages && started.elapsed() >= interval {
            let scrapes: Vec<String> = children
                .iter()
                .map(|(_, p)| http_get(*p, "/metrics"))
                .collect();
            // Due and not yet claimed: at most what falls due in a second (the daemons
            // claim every 200 ms; each reports the whole store's backlog).
            let backlog = metric(&scrapes, "iarss_due_backlog") / daemons as f64;
            if backlog <= pages as f64 / interval.as_secs_f64() {
                warm = true;
                break;
            }
        }
    }
    let warmup = started.elapsed();
    let warmup_rss = peak_rss.replace(0.0);
    if !warm {
        println!("{name}: warm-up not over after {warmup:?}: measuring anyway");
    }
    let size_start = runtime.block_on(store_size(db));
    let start = mark(&children, &publisher);
    let measured = interval * cycles;
    // Runs in flight, all daemons together, sampled each second.
    let mut in_flight: Vec<f64> = Vec::new();
    // Deliveries waiting (the whole store's, as each daemon reports it) and the oldest one's
    // age, sampled each second.
    let (mut queue_max, mut age_max): (f64, f64) = (0.0, 0.0);
    let received_start = receiver
        .as_ref()
        .map(|r| r.received.load(Ordering::Relaxed));
    while start.at.elapsed() < measured {
        std::thread::sleep(Duration::from_secs(1));
        sample_rss(&children);
        let scrapes: Vec<String> = children
            .iter()
            .map(|(_, p)| http_get(*p, "/metrics"))
            .collect();
        in_flight.push(metric(&scrapes, "iarss_runs_in_flight"));
        for scrape in &scrapes {
            let one = std::slice::from_ref(scrape);
            queue_max = queue_max.max(metric(one, "iarss_delivery_queue_depth"));
            age_max = age_max.max(metric(one, "iarss_delivery_oldest_pending_seconds"));
        }
    }
    let end = mark(&children, &publisher);
    let received_end = receiver
        .as_ref()
        .map(|r| r.received.load(Ordering::Relaxed));
    let size_end = runtime.block_on(store_size(db));
    // The quiet window: 304s only.
    publisher.quiet.store(true, Ordering::Relaxed);
    std::thread::sleep(Duration::from_secs(5));
    let breakdown = !db.starts_with("sqlite:") && env_is("BENCH_PG_STATEMENTS", "1");
    if breakdown {
        runtime.block_on(pg_statements(db, None));
    }
    let quiet_start = mark(&children, &publisher);
    while quiet_start.at.elapsed() < interval / 3 {
        std::thread::sleep(Duration::from_secs(1));
        sample_rss(&children);
    }
    let quiet_end = mark(&children, &publisher);
    if breakdown {
        let fetches = (quiet_end.not_modified - quiet_start.not_modified) as f64;
        runtime.block_on(pg_statements(db, Some(fetches)));
    }
    for (c, _) in children.iter_mut() {
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
    }
    for (c, _) in children.iter_mut() {
        let _ = c.wait();
    }

    let before = lag_buckets(&start.scrapes);
    let after = lag_buckets(&end.scrapes);
    let buckets: Vec<(f64, f64)> = after
        .iter()
        .map(|(le, c)| {
            (
                *le,
                c - before.iter().find(|b| b.0 == *le).map_or(0.0, |b| b.1),
            )
        })
        .collect();
    let cpu = end.daemon_cpu - start.daemon_cpu;
    let window = end.at - start.at;
    let fetches: usize = log
        .lock()
        .expect("log")
        .values()
        .map(|times| {
            times
                .iter()
                .filter(|t| **t >= start.at && **t < end.at)
                .count()
        })
        .sum();
    let total = buckets.last().map_or(0.0, |b| b.1);
    let within_10s = buckets.iter().find(|b| b.0 >= 10.0).map_or(0.0, |b| b.1);
    let half = interval / 2;
    let doubles: usize = log
        .lock()
        .expect("log")
        .values()
        .map(|times| times.windows(2).filter(|w| w[1] - w[0] < half).count())
        .sum();
    // The runs the daemons recorded, whatever the publisher saw: two runs of one feed closer
    // than half an interval mean it was claimed twice.
    let double_runs = runtime.block_on(double_runs(db, half));
    println!(
        "{name:<22} pages {pages:>6}  setup {:>5.1}s  warm-up {:>5.0}s  fetches {fetches:>7} ({:>7.0}/cycle)  within 10 s {:>7.3} %  \
         lag p50 {:>5.2}s p99 {:>5.2}s p99.9 {:>5.2}s  cpu {:>5.1}s ({:>3.0} % of one core)  peak rss {:>6.1} MB (warm-up {warmup_rss:.1} MB)  double fetches {doubles}  double runs {double_runs}",
        setup.as_secs_f64(),
        warmup.as_secs_f64(),
        fetches as f64 / (window.as_secs_f64() / interval.as_secs_f64()),
        if total > 0.0 {
            within_10s / total * 100.0
        } else {
            0.0
        },
        quantile(&buckets, 0.5),
        quantile(&buckets, 0.99),
        quantile(&buckets, 0.999),
        cpu,
        cpu / window.as_secs_f64() * 100.0,
        peak_rss.get(),
    );

    let mean_in_flight = in_flight.iter().sum::<f64>() / in_flight.len().max(1) as f64;
    let max_in_flight = in_flight.iter().copied().fold(0.0, f64::max);
    println!(
        "{:<22} runs in flight: mean {mean_in_flight:.0}, max {max_in_flight:.0}; due backlog at the end {:.0}",
        "",
        metric(&end.scrapes, "iarss_due_backlog") / daemons as f64,
    );
    if let (Some(a), Some(b)) = (received_start, received_end) {
        let delivered = |m: &Mark| {
            m.scrapes
                .iter()
                .flat_map(|t| t.lines())
                .filter(|l| {
                    l.starts_with("iarss_deliveries_total{") && l.contains("outcome=\"delivered\"")
                })
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum::<f64>()
        };
        let failed = |m: &Mark| {
            m.scrapes
                .iter()
                .flat_map(|t| t.lines())
                .filter(|l| {
                    l.starts_with("iarss_deliveries_total{") && !l.contains("outcome=\"delivered\"")
                })
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum::<f64>()
        };
        println!(
            "{:<22} webhooks: {} deliveries received in the window ({:.1}/s), {:.0} delivered and {:.0} not by the daemons' count; queue at most {queue_max:.0} waiting, oldest pending at most {age_max:.1} s",
            "",
            b - a,
            (b - a) as f64 / (end.at - start.at).as_secs_f64(),
            delivered(&end) - delivered(&start),
            failed(&end) - failed(&start),
        );
    }
    if let Some((network, _)) = &publisher.internet {
        println!(
            "{:<22} {} ({} pages on failing hosts)",
            "",
            internet::report(&log, network, start.at, end.at, interval),
            internet::failing_pages(network),
        );
    }

    // Costs. The quiet window's fetches are all 304s; the measured window's changed feeds
    // cost what the window cost beyond its 304s at that rate.
    let statements = |a: &Mark, b: &Mark| {
        metric(&b.scrapes, "iarss_store_statements_total")
            - metric(&a.scrapes, "iarss_store_statements_total")
    };
    let n304_quiet = (quiet_end.not_modified - quiet_start.not_modified) as f64;
    let n304 = (end.not_modified - start.not_modified) as f64;
    let nchanged = (end.changed - start.changed) as f64;
    let per = |x: f64, n: f64| if n > 0.0 { x / n } else { 0.0 };
    let d304 = per(quiet_end.daemon_cpu - quiet_start.daemon_cpu, n304_quiet);
    let p304 = per(
        quiet_end.postgres_cpu - quiet_start.postgres_cpu,
        n304_quiet,
    );
    let s304 = per(statements(&quiet_start, &quiet_end), n304_quiet);
    let dchanged = per(cpu - n304 * d304, nchanged);
    let pchanged = per(
        end.postgres_cpu - start.postgres_cpu - n304 * p304,
        nchanged,
    );
    let schanged = per(statements(&start, &end) - n304 * s304, nchanged);
    let day = 86_400.0 / window.as_secs_f64();
    let grew = |f: fn(&StoreSize) -> f64| f(&size_end) - f(&size_start);
    let share = |cpu: f64| cpu / window.as_secs_f64() * 100.0;
    println!(
        "{:<22} cpu of the window: daemons {:.0} %, PostgreSQL {:.0} %, simulator {:.0} % of one core",
        "",
        share(cpu),
        share(end.postgres_cpu - start.postgres_cpu),
        share(end.simulator_cpu - start.simulator_cpu),
    );
    let server = |x: f64| {
        if db.starts_with("sqlite:") {
            String::new()
        } else {
            format!(" + PostgreSQL {:.2} ms", x * 1e3)
        }
    };
    println!(
        "{:<22} per 304 fetch: cpu {:.2} ms{}, {s304:.1} statements; per changed feed: cpu {:.2} ms{}, {schanged:.1} statements",
        "",
        d304 * 1e3,
        server(p304),
        dchanged * 1e3,
        server(pchanged),
    );
    println!(
        "{:<22} store {:.0} MB (+{:.1} MB/cycle, +{:.1} GB/day): runs {:.0} (+{:.0}/day), warnings log {:.0} rows (+{:.0}/day) counting {:.0} occurrences, articles {:.0}, revisions {:.0} (+{:.0}/day)",
        "",
        size_end.bytes / 1e6,
        grew(|s| s.bytes) / 1e6 / cycles as f64,
        grew(|s| s.bytes) * day / 1e9,
        size_end.runs,
        grew(|s| s.runs) * day,
        size_end.warnings,
        grew(|s| s.warnings) * day,
        size_end.occurrences,
        size_end.articles,
        size_end.revisions,
        grew(|s| s.revisions) * day,
    );
    // What the caps bound the store to, once they hold: the revision cap per article, and
    // the run log's retention (on PostgreSQL by whole days, so one day more).
    let keep: f64 = std::env::var("IARSS_STORE_KEEP_REVISIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50.0);
    let retention_days = std::env::var("IARSS_STORE_RETENTION")
        .ok()
        .and_then(|v| humantime::parse_duration(&v).ok())
        .unwrap_or(Duration::from_secs(30 * 86_400))
        .as_secs_f64()
        / 86_400.0;
    let runs_per_day = grew(|s| s.runs) * day;
    let revisions_per_day = grew(|s| s.revisions) * day;
    let revision_bound = keep * size_end.articles;
    let run_bound = (retention_days + 1.0) * runs_per_day;
    println!(
        "{:<22} bounded by the caps: revisions at most {keep:.0} × {:.0} articles = {:.1} million (reached in {:.1} days at this rate), run log at most {:.0} days × {:.0}/day = {:.1} million rows",
        "",
        size_end.articles,
        revision_bound / 1e6,
        if revisions_per_day > 0.0 {
            (revision_bound - size_end.revisions).max(0.0) / revisions_per_day
        } else {
            0.0
        },
        retention_days + 1.0,
        runs_per_day,
        run_bound / 1e6,
    );
    publisher.stop(&stop);
}

fn main() {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    let pages: usize = env("BENCH_PAGES", "10000").parse().expect("BENCH_PAGES");
    let interval = humantime::parse_duration(&env("BENCH_INTERVAL", "3m")).expect("BENCH_INTERVAL");
    let cycles: u32 = env("BENCH_CYCLES", "2").parse().expect("BENCH_CYCLES");
    webhooks::ENABLED.store(env("BENCH_WEBHOOKS", "0") == "1", Ordering::Relaxed);
    println!("iarss daemon benchmark: interval {interval:?}, {cycles} cycles\n");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let db = dir.join("daemon-bench.db");
    for suffix in ["", "-wal", "-shm", ".daemon-lock"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let scenarios = env("BENCH_SCENARIOS", "sqlite,postgres,postgres3");
    // `name` or `name:pages`.
    let wanted = |s: &str| {
        scenarios.split(',').find_map(|w| {
            let (name, n) = w.trim().split_once(':').unwrap_or((w.trim(), ""));
            (name == s).then(|| n.parse().unwrap_or(pages))
        })
    };
    if let Some(pages) = wanted("sqlite") {
        scenario(
            "1 daemon, SQLite",
            &format!("sqlite://{}", db.display()),
            1,
            pages,
            interval,
            cycles,
        );
    }
    match std::env::var("IARSS_TEST_DATABASE_URL") {
        Ok(admin) => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            if let Some(pages) = wanted("postgres") {
                let one = runtime.block_on(fresh_postgres(&admin, "iarss_bench_daemon_1"));
                scenario("1 daemon, PostgreSQL", &one, 1, pages, interval, cycles);
            }
            if let Some(pages) = wanted("postgres3") {
                let three = runtime.block_on(fresh_postgres(&admin, "iarss_bench_daemon_3"));
                scenario("3 daemons, PostgreSQL", &three, 3, pages, interval, cycles);
            }
        }
        Err(_) => println!("(PostgreSQL skipped: run through scripts/with-postgres.sh)"),
    }
    println!(
        "\ntargets: >= 99.9 % of fetches within 10 s of due; resident memory < 300 MB; no double fetch or run"
    );
}
