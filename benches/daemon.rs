//! The daemon under a publisher simulator: N pages served from 127.0.0.1 (most answer 304
//! to the conditional GET, a tenth serve a changed feed each time), one daemon on SQLite and
//! on PostgreSQL, then three daemons on PostgreSQL. Prints runs per cycle, the share of
//! fetches started within 10 s of their due time, schedule lag percentiles (from the
//! daemon's Prometheus histogram), CPU and peak memory, and double fetches (two requests
//! for one feed within half an interval, as the publisher saw them) and double runs (the same,
//! from the runs the daemons recorded).
//!
//! `scripts/with-postgres.sh cargo bench --bench daemon`; scale with `BENCH_PAGES`
//! (default 10000), `BENCH_INTERVAL` (default 3m) and `BENCH_CYCLES` (default 2);
//! `BENCH_SCENARIOS` picks some of `sqlite,postgres,postgres3` (default all).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iarss::model::Domain;
use iarss::store::{NewPage, Store};

#[path = "support/postgres.rs"]
mod postgres;
use postgres::fresh_postgres;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Request times per page, as the publisher saw them.
type Log = Arc<Mutex<HashMap<usize, Vec<Instant>>>>;

fn feed_body(page: usize, version: u64) -> String {
    let mut items = String::new();
    for i in 0..10 {
        items.push_str(&format!(
            "<item><title>Story {i}</title><link>https://p{page}.example.com/s/{i}</link><guid>p{page}-{i}</guid>\
             <pubDate>Sun, 01 Nov 2026 06:00:00 +0000</pubDate><content:encoded><![CDATA[<!doctype html><html><head>\
             <meta charset=\"utf-8\"><link rel=\"canonical\" href=\"https://p{page}.example.com/s/{i}\">\
             <meta property=\"op:markup_version\" content=\"v1.0\"></head><body><article><header><h1>Story {i}</h1>\
             <time class=\"op-published\" datetime=\"2026-11-01T06:00:00Z\">1 Nov</time>\
             <time class=\"op-modified\" datetime=\"2026-11-01T06:{:02}:00Z\">1 Nov</time></header>\
             <p>Version {version}. {}</p></article></body></html>]]></content:encoded></item>",
            version % 60,
            "Lorem ipsum dolor sit amet. ".repeat(40)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>P{page}</title>\
         <link>https://p{page}.example.com/</link><description>d</description>{items}</channel></rss>"
    )
}

/// The publisher: a thread pool answering `GET /feed/N` until `stop`.
fn publisher(log: Log, stop: Arc<AtomicBool>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    let listener = Arc::new(listener);
    // One thread per connection: enough threads that the daemons' kept-alive connections
    // (up to per_host of each daemon) never leave new requests waiting in the backlog.
    for _ in 0..64 {
        let (listener, log, stop) = (Arc::clone(&listener), Arc::clone(&log), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut versions: HashMap<usize, u64> = HashMap::new();
            while !stop.load(Ordering::Relaxed) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                };
                let _ = stream.set_nonblocking(false);
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
                        .unwrap_or(0);
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
                    let changing = page.is_multiple_of(10);
                    let version = versions.entry(page).or_insert(0);
                    if changing {
                        *version += 1;
                    }
                    let etag = format!("\"p{page}-v{version}\"");
                    if if_none_match.as_deref() == Some(etag.as_str()) {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nContent-Length: 0\r\n\r\n"
                        );
                        continue;
                    }
                    let body = feed_body(page, *version);
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: {etag}\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                }
            }
        });
    }
    port
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

async fn add_pages(url: &str, n: usize, port: u16) {
    let store = Store::open(url).await.expect("open store");
    for page in 0..n {
        store
            .add_page(&NewPage {
                id: format!("p{page}"),
                name: format!("Page {page}"),
                domain: Domain::parse(&format!("p{page}.example.com")).expect("domain"),
                feed_url: Some(format!("http://127.0.0.1:{port}/feed/{page}")),
                dev_feed_url: None,
                enabled: true,
            })
            .await
            .expect("add page");
    }
    store.close().await;
}

fn spawn_daemon(db: &str, interval: &str) -> (Child, u16) {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_iarss"))
        .args([
            "--db",
            db,
            "daemon",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("IARSS_SCHEDULE_INTERVAL", interval)
        .env("IARSS_SCHEDULE_TICK", "200ms")
        .env("IARSS_FETCH_ALLOW_PRIVATE_NETWORKS", "true")
        .env("IARSS_LOG", "error")
        .spawn()
        .expect("spawn daemon");
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

/// Runs of one feed started closer together than `half`, from the store's run log.
async fn double_runs(db: &str, half: Duration) -> usize {
    let store = Store::open(db).await.expect("open store");
    let runs = store.runs(None, i64::MAX).await.expect("runs");
    store.close().await;
    let mut by_feed: HashMap<(String, &'static str), Vec<i64>> = HashMap::new();
    for run in &runs {
        by_feed
            .entry((run.page_id.clone(), run.feed.as_str()))
            .or_default()
            .push(run.started_at);
    }
    let half = half.as_millis() as i64;
    by_feed
        .values_mut()
        .map(|starts| {
            starts.sort_unstable();
            starts.windows(2).filter(|w| w[1] - w[0] < half).count()
        })
        .sum()
}

fn scenario(name: &str, db: &str, daemons: usize, pages: usize, interval: Duration, cycles: u32) {
    let log: Log = Arc::new(Mutex::new(HashMap::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let port = publisher(Arc::clone(&log), Arc::clone(&stop));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let t = Instant::now();
    runtime.block_on(add_pages(db, pages, port));
    let setup = t.elapsed();
    let interval_text = format!("{}s", interval.as_secs());
    let mut children: Vec<(Child, u16)> = (0..daemons)
        .map(|_| spawn_daemon(db, &interval_text))
        .collect();
    // The first cycle ingests every page once (every feed is new); the sustained state is
    // measured over the cycles after it, from the change in the daemons' lag histograms.
    let warmup = interval + Duration::from_secs(5);
    let measured = interval * cycles;
    let started = Instant::now();
    let mut peak_rss: f64 = 0.0;
    let mut baseline: Option<(Vec<String>, f64, Instant)> = None;
    while started.elapsed() < warmup + measured {
        std::thread::sleep(Duration::from_secs(1));
        for (c, _) in &children {
            peak_rss = peak_rss.max(usage(c.id()).1);
        }
        if baseline.is_none() && started.elapsed() >= warmup {
            let scrapes: Vec<String> = children
                .iter()
                .map(|(_, p)| http_get(*p, "/metrics"))
                .collect();
            let cpu: f64 = children.iter().map(|(c, _)| usage(c.id()).0).sum();
            baseline = Some((scrapes, cpu, Instant::now()));
        }
    }
    let scrapes: Vec<String> = children
        .iter()
        .map(|(_, p)| http_get(*p, "/metrics"))
        .collect();
    let cpu_end: f64 = children.iter().map(|(c, _)| usage(c.id()).0).sum();
    for (c, _) in &mut children {
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
    }
    for (c, _) in &mut children {
        let _ = c.wait();
    }
    stop.store(true, Ordering::Relaxed);
    let (base_scrapes, cpu_start, measure_start) = baseline.expect("warm-up finished");
    let before = lag_buckets(&base_scrapes);
    let after = lag_buckets(&scrapes);
    let buckets: Vec<(f64, f64)> = after
        .iter()
        .map(|(le, c)| {
            (
                *le,
                c - before.iter().find(|b| b.0 == *le).map_or(0.0, |b| b.1),
            )
        })
        .collect();
    let cpu = cpu_end - cpu_start;
    let window = measure_start.elapsed().min(measured);
    let fetches: usize = log
        .lock()
        .expect("log")
        .values()
        .map(|times| times.iter().filter(|t| **t >= measure_start).count())
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
        "{name:<22} pages {pages:>6}  setup {:>5.1}s  fetches {fetches:>7} ({:>7.0}/cycle)  within 10 s {:>7.3} %  \
         lag p50 {:>5.2}s p99 {:>5.2}s p99.9 {:>5.2}s  cpu {:>5.1}s ({:>3.0} % of one core)  peak rss {:>6.1} MB  double fetches {doubles}  double runs {double_runs}",
        setup.as_secs_f64(),
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
        peak_rss,
    );
}

fn main() {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    let pages: usize = env("BENCH_PAGES", "10000").parse().expect("BENCH_PAGES");
    let interval = humantime::parse_duration(&env("BENCH_INTERVAL", "3m")).expect("BENCH_INTERVAL");
    let cycles: u32 = env("BENCH_CYCLES", "2").parse().expect("BENCH_CYCLES");
    println!("iarss daemon benchmark: {pages} pages, interval {interval:?}, {cycles} cycles\n");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let db = dir.join("daemon-bench.db");
    for suffix in ["", "-wal", "-shm", ".daemon-lock"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let scenarios = env("BENCH_SCENARIOS", "sqlite,postgres,postgres3");
    let wanted = |s: &str| scenarios.split(',').any(|w| w.trim() == s);
    if wanted("sqlite") {
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
            if wanted("postgres") {
                let one = runtime.block_on(fresh_postgres(&admin, "iarss_bench_daemon_1"));
                scenario("1 daemon, PostgreSQL", &one, 1, pages, interval, cycles);
            }
            if wanted("postgres3") {
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
