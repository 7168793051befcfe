//! Fault soak: the daemon against a hostile publisher on 127.0.0.1 for `SOAK_SECONDS`
//! (default 120) with `SOAK_PAGES` pages (default 1000), on a fresh PostgreSQL database that
//! is restarted once half-way through.
//!
//! Page mix (by page number mod 50): 58 % valid feeds that gain an article every 30 s (304
//! to the conditional GET in between), 10 % pages whose production and development feeds
//! serve the same articles, and 4 % each of: endless chunked bodies, stalls (headers, then
//! silence), gzip bombs, 500s, 429 with `Retry-After: 30`, connections reset mid-body, feeds
//! over the 16 MiB cap, and feeds with bytes invalid in their declared encoding (UTF-8).
//!
//! Prints fetch attempts the publisher saw against runs recorded in the store, articles the
//! publisher served in valid feeds against those stored, panics in the daemon's log, the
//! daemon's resident memory (after warm-up, peak, final), `/readyz` transitions, runs by
//! outcome, and a verdict per criterion.
//!
//! `SOAK_SECONDS=1800 scripts/with-postgres.sh cargo bench --bench soak`; `SOAK_PG_DOWN` (default
//! 5) is how many seconds PostgreSQL stays down (fast stop, then start); 0 uses
//! `pg_ctl restart -m fast`, which on this machine is back within 0.2 s.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use iarss::model::Domain;
use iarss::store::{NewPage, Store};

#[path = "../tests/kit/postgres.rs"]
mod postgres;
use postgres::fresh_postgres;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WINDOW: u64 = 10;
const HUGE_BYTES: usize = 20 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Valid,
    ProdDev,
    Endless,
    Stall,
    GzipBomb,
    Error500,
    TooMany429,
    Reset,
    Huge,
    BadEncoding,
}

impl Kind {
    fn of(page: usize) -> Kind {
        match page % 50 {
            0..=28 => Kind::Valid,
            29..=33 => Kind::ProdDev,
            34 | 35 => Kind::Endless,
            36 | 37 => Kind::Stall,
            38 | 39 => Kind::GzipBomb,
            40 | 41 => Kind::Error500,
            42 | 43 => Kind::TooMany429,
            44 | 45 => Kind::Reset,
            46 | 47 => Kind::Huge,
            _ => Kind::BadEncoding,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Valid => "valid",
            Kind::ProdDev => "prod+dev",
            Kind::Endless => "endless",
            Kind::Stall => "stall",
            Kind::GzipBomb => "gzip-bomb",
            Kind::Error500 => "500",
            Kind::TooMany429 => "429",
            Kind::Reset => "reset",
            Kind::Huge => "huge",
            Kind::BadEncoding => "bad-encoding",
        }
    }
}

/// One request for a feed path, as the publisher saw it.
#[derive(Clone, Copy)]
struct Hit {
    page: usize,
    dev: bool,
    at_ms: i64,
}

struct Sim {
    start: Instant,
    stop: AtomicBool,
    hits: Mutex<Vec<Hit>>,
    /// Canonical URLs served in complete responses of valid feeds.
    served: Mutex<HashSet<String>>,
    bomb: Vec<u8>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The newest article of a valid page now: one more every `period` seconds.
fn version(sim: &Sim, page: usize, kind: Kind) -> u64 {
    let period = if kind == Kind::ProdDev { 45 } else { 30 };
    (sim.start.elapsed().as_secs() + (page as u64 * 7) % period) / period
}

fn canonical(page: usize, dir: &str, k: u64) -> String {
    format!("https://p{page}.example.com/{dir}/{k}")
}

fn item(page: usize, dir: &str, k: u64, body: &str) -> String {
    let url = canonical(page, dir, k);
    let at = format!("2026-11-01T{:02}:{:02}:00Z", (k / 60) % 24, k % 60);
    format!(
        "<item><title>Story {k}</title><link>{url}</link><guid>{url}</guid>\
         <pubDate>Sun, 01 Nov 2026 06:00:00 +0000</pubDate><content:encoded><![CDATA[<!doctype html>\n\
         <html lang=\"en\" prefix=\"op: http://media.facebook.com/op#\">\n<head>\n<meta charset=\"utf-8\">\n\
         <link rel=\"canonical\" href=\"{url}\">\n<meta property=\"op:markup_version\" content=\"v1.0\">\n\
         </head>\n<body>\n<article>\n<header>\n<h1>Story {k} of page {page}</h1>\n\
         <time class=\"op-published\" datetime=\"{at}\">{at}</time>\n</header>\n<p>{body}</p>\n</article>\n\
         </body>\n</html>]]></content:encoded></item>"
    )
}

fn rss_head(page: usize) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>P{page}</title>\
         <link>https://p{page}.example.com/</link><description>d</description>"
    )
}

const RSS_TAIL: &str = "</channel></rss>";

fn valid_feed(page: usize, v: u64) -> (String, Vec<String>) {
    let mut body = rss_head(page);
    let mut urls = Vec::new();
    for k in (v.saturating_sub(WINDOW - 1)..=v).rev() {
        body.push_str(&item(
            page,
            "a",
            k,
            &"Lorem ipsum dolor sit amet. ".repeat(20),
        ));
        urls.push(canonical(page, "a", k));
    }
    body.push_str(RSS_TAIL);
    (body, urls)
}

fn write_head(stream: &mut TcpStream, status: &str, extra: &str) -> bool {
    stream
        .write_all(
            format!("HTTP/1.1 {status}\r\nContent-Type: application/rss+xml; charset=utf-8\r\n{extra}\r\n")
                .as_bytes(),
        )
        .is_ok()
}

/// Closes with a TCP reset (SO_LINGER 0) instead of a FIN.
fn reset(stream: TcpStream) {
    use std::os::fd::AsRawFd;
    #[repr(C)]
    struct Linger {
        onoff: i32,
        linger: i32,
    }
    unsafe extern "C" {
        fn setsockopt(fd: i32, level: i32, name: i32, val: *const Linger, len: u32) -> i32;
    }
    let l = Linger {
        onoff: 1,
        linger: 0,
    };
    // SOL_SOCKET = 1, SO_LINGER = 13 on Linux.
    // SAFETY: the descriptor is open (owned by `stream`, dropped below) and `l` outlives
    // the call, which reads exactly `size_of::<Linger>()` bytes from it.
    unsafe {
        setsockopt(stream.as_raw_fd(), 1, 13, &l, size_of::<Linger>() as u32);
    }
    drop(stream);
}

/// Sleeps up to `limit`, in steps, until `stop`.
fn nap(sim: &Sim, limit: Duration) {
    let t = Instant::now();
    while t.elapsed() < limit && !sim.stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Answers one request; `false` closes the connection.
fn answer(sim: &Sim, page: usize, inm: Option<&str>, mut stream: TcpStream) -> bool {
    let kind = Kind::of(page);
    match kind {
        Kind::Valid | Kind::ProdDev => {
            let v = version(sim, page, kind);
            let etag = format!("\"p{page}-v{v}\"");
            if inm == Some(etag.as_str()) {
                return write_head(
                    &mut stream,
                    "304 Not Modified",
                    &format!("ETag: {etag}\r\nContent-Length: 0\r\n"),
                );
            }
            let (body, urls) = valid_feed(page, v);
            let mut out = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\nETag: {etag}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            out.extend_from_slice(body.as_bytes());
            if stream.write_all(&out).and_then(|_| stream.flush()).is_ok() {
                sim.served.lock().expect("served").extend(urls);
                true
            } else {
                false
            }
        }
        Kind::Endless => {
            if !write_head(&mut stream, "200 OK", "Transfer-Encoding: chunked\r\n") {
                return false;
            }
            let chunk = |s: &str| format!("{:x}\r\n{s}\r\n", s.len());
            let _ = stream.write_all(chunk(&rss_head(page)).as_bytes());
            let filler = chunk(&"<item><title>more</title></item>".repeat(100));
            // 32 KB/s for at most a minute: never ends while the client listens.
            for _ in 0..600 {
                if sim.stop.load(Ordering::Relaxed) || stream.write_all(filler.as_bytes()).is_err()
                {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            false
        }
        Kind::Stall => {
            if write_head(&mut stream, "200 OK", "Content-Length: 5000\r\n") {
                nap(sim, Duration::from_secs(30));
            }
            false
        }
        Kind::GzipBomb => {
            let extra = format!(
                "Content-Encoding: gzip\r\nContent-Length: {}\r\nConnection: close\r\n",
                sim.bomb.len()
            );
            if write_head(&mut stream, "200 OK", &extra) {
                let _ = stream.write_all(&sim.bomb);
            }
            false
        }
        Kind::Error500 => {
            write_head(
                &mut stream,
                "500 Internal Server Error",
                "Content-Length: 5\r\n",
            ) && stream.write_all(b"oops\n").is_ok()
        }
        Kind::TooMany429 => write_head(
            &mut stream,
            "429 Too Many Requests",
            "Retry-After: 30\r\nContent-Length: 0\r\n",
        ),
        Kind::Reset => {
            let (body, _) = valid_feed(page, 50);
            if write_head(
                &mut stream,
                "200 OK",
                &format!("Content-Length: {}\r\n", body.len()),
            ) {
                let _ = stream.write_all(&body.as_bytes()[..body.len() / 3]);
                let _ = stream.flush();
                std::thread::sleep(Duration::from_millis(50));
            }
            reset(stream);
            false
        }
        Kind::Huge => {
            let head = rss_head(page);
            let block: String = (0..20)
                .map(|k| item(page, "huge", k, &"Big. ".repeat(500)))
                .collect();
            let n = HUGE_BYTES.div_ceil(block.len());
            let total = head.len() + n * block.len() + RSS_TAIL.len();
            if write_head(
                &mut stream,
                "200 OK",
                &format!("Content-Length: {total}\r\nConnection: close\r\n"),
            ) && stream.write_all(head.as_bytes()).is_ok()
            {
                for _ in 0..n {
                    if sim.stop.load(Ordering::Relaxed)
                        || stream.write_all(block.as_bytes()).is_err()
                    {
                        return false;
                    }
                }
                let _ = stream.write_all(RSS_TAIL.as_bytes());
            }
            false
        }
        Kind::BadEncoding => {
            let mut body = rss_head(page).into_bytes();
            for k in 0..3 {
                let it = item(page, "bad", k, "Caf\u{1}MARK and more text");
                let mut bytes = it.into_bytes();
                // Replace the marker with bytes that are not UTF-8.
                if let Some(i) = bytes.windows(5).position(|w| w == b"\x01MARK") {
                    bytes.splice(i..i + 5, [0xC3, 0x28, 0xFF, 0xFE, 0x80]);
                }
                body.extend_from_slice(&bytes);
            }
            body.extend_from_slice(RSS_TAIL.as_bytes());
            write_head(
                &mut stream,
                "200 OK",
                &format!("Content-Length: {}\r\n", body.len()),
            ) && stream.write_all(&body).is_ok()
        }
    }
}

fn connection(sim: Arc<Sim>, stream: TcpStream) {
    let _ = stream.set_nonblocking(false);
    // Longer than the client's pool idle timeout (90 s): the publisher never closes a
    // kept-alive connection under a request that is being sent.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(120)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    // At most 10,000 requests on one connection.
    for _ in 0..10_000 {
        if sim.stop.load(Ordering::Relaxed) {
            return;
        }
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut inm = None;
        for _ in 0..100 {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) <= 2 {
                break;
            }
            if let Some((k, v)) = h.trim_end().split_once(':')
                && k.trim().eq_ignore_ascii_case("if-none-match")
            {
                inm = Some(v.trim().to_string());
            }
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/");
        let (dev, rest) = if let Some(r) = path.strip_prefix("/feed/") {
            (false, r)
        } else if let Some(r) = path.strip_prefix("/dev/") {
            (true, r)
        } else {
            let Ok(mut s) = stream.try_clone() else {
                return;
            };
            let _ = s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            continue;
        };
        let Ok(page) = rest.parse::<usize>() else {
            return;
        };
        sim.hits.lock().expect("hits").push(Hit {
            page,
            dev,
            at_ms: now_ms(),
        });
        let Ok(s) = stream.try_clone() else {
            return;
        };
        if !answer(&sim, page, inm.as_deref(), s) {
            return;
        }
    }
}

/// The publisher: one thread per connection until `stop`.
fn publisher(sim: Arc<Sim>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        while !sim.stop.load(Ordering::Relaxed) {
            match listener.accept() {
                Ok((stream, _)) => {
                    let sim = Arc::clone(&sim);
                    std::thread::spawn(move || connection(sim, stream));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
    });
    port
}

fn gzip_bomb() -> Vec<u8> {
    use flate2::{Compression, write::GzEncoder};
    let zeros = vec![0u8; 1 << 20];
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    // 256 MiB of zeros, about 250 KB compressed.
    for _ in 0..256 {
        enc.write_all(&zeros).expect("gzip");
    }
    enc.finish().expect("gzip")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

async fn data_directory(admin: &str) -> PathBuf {
    use sqlx::{Connection, Row};
    let mut conn = sqlx::postgres::PgConnection::connect(admin)
        .await
        .expect("connect");
    let row = sqlx::query("SHOW data_directory")
        .fetch_one(&mut conn)
        .await
        .expect("data_directory");
    let dir: String = row.get(0);
    let _ = conn.close().await;
    PathBuf::from(dir)
}

async fn add_pages(url: &str, n: usize, port: u16) {
    let store = Store::open(url).await.expect("open store");
    for page in 0..n {
        let kind = Kind::of(page);
        store
            .add_page(&NewPage {
                id: format!("p{page}"),
                name: format!("Page {page}"),
                domain: Domain::parse(&format!("p{page}.example.com")).expect("domain"),
                feed_url: Some(format!("http://127.0.0.1:{port}/feed/{page}")),
                dev_feed_url: (kind == Kind::ProdDev)
                    .then(|| format!("http://127.0.0.1:{port}/dev/{page}")),
                enabled: true,
            })
            .await
            .expect("add page");
    }
    store.close().await;
}

fn pg_ctl() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| {
                    let version = e.file_name().to_str()?.parse().ok()?;
                    let bin = e.path().join("bin/pg_ctl");
                    bin.exists().then_some((version, bin))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
        .pop()
        .map_or_else(|| PathBuf::from("pg_ctl"), |(_, p)| p)
}

/// `pg_ctl ARGS` as the postgres user when running as root.
fn as_postgres(args: &[String]) -> bool {
    unsafe extern "C" {
        fn getuid() -> u32;
    }
    // SAFETY: getuid takes no arguments, cannot fail and touches no memory of ours.
    let mut cmd = if unsafe { getuid() } == 0 {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).args(args);
        c
    } else {
        let mut c = Command::new(&args[0]);
        c.args(&args[1..]);
        c
    };
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Restarts the server `scripts/with-postgres.sh` started (data directory from `SHOW
/// data_directory`): `pg_ctl restart -m fast`, or with `down` > 0 a fast stop, `down` of
/// outage, and a start with the options it ran with (from `postmaster.opts`).
/// `(seconds from stop to ready, ok)`.
fn restart_postgres(data: &Path, down: Duration) -> (f64, bool) {
    let pg_ctl = pg_ctl().to_string_lossy().into_owned();
    let d = data.to_string_lossy().into_owned();
    let log = data
        .parent()
        .unwrap_or(data)
        .join("log")
        .to_string_lossy()
        .into_owned();
    let s = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    let t = Instant::now();
    if down.is_zero() {
        let ok = as_postgres(&s(&[
            &pg_ctl, "-D", &d, "-l", &log, "-w", "-t", "60", "-m", "fast", "restart",
        ]));
        return (t.elapsed().as_secs_f64(), ok);
    }
    // postmaster.opts: `/usr/lib/postgresql/N/bin/postgres "-D" "dir" "-p" "port" ...`.
    let opts = std::fs::read_to_string(data.join("postmaster.opts")).unwrap_or_default();
    let words: Vec<&str> = opts
        .split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, w)| w)
        .collect();
    let mut kept: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if words[i] == "-D" {
            i += 2;
            continue;
        }
        kept.push(if words[i].starts_with('-') {
            words[i].to_string()
        } else {
            format!("'{}'", words[i])
        });
        i += 1;
    }
    let stopped = as_postgres(&s(&[
        &pg_ctl, "-D", &d, "-w", "-t", "60", "-m", "fast", "stop",
    ]));
    std::thread::sleep(down);
    let started = as_postgres(&s(&[
        &pg_ctl,
        "-D",
        &d,
        "-l",
        &log,
        "-w",
        "-t",
        "60",
        "-o",
        &kept.join(" "),
        "start",
    ]));
    (t.elapsed().as_secs_f64(), stopped && started)
}

fn readyz(port: u16) -> u16 {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return 0;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return 0;
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out)
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

fn spawn_daemon(db: &str, port: u16, log: &Path) -> Child {
    let file = std::fs::File::create(log).expect("log file");
    Command::new(env!("CARGO_BIN_EXE_iarss"))
        .args([
            "--db",
            db,
            "daemon",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("IARSS_SCHEDULE_INTERVAL", "20s")
        .env("IARSS_SCHEDULE_TICK", "200ms")
        .env("IARSS_SCHEDULE_LEASE", "30s")
        .env("IARSS_SCHEDULE_MAX_BACKOFF", "2m")
        .env("IARSS_SCHEDULE_CONCURRENCY", "64")
        .env("IARSS_SCHEDULE_PER_HOST", "32")
        .env("IARSS_FETCH_ALLOW_PRIVATE_NETWORKS", "true")
        .env("IARSS_FETCH_TIMEOUT", "5s")
        .env("IARSS_FETCH_READ_IDLE_TIMEOUT", "2s")
        .env("IARSS_FETCH_PARSE_BUDGET", "5s")
        .env("IARSS_LOG", "info")
        .stdout(file.try_clone().expect("log"))
        .stderr(file)
        .spawn()
        .expect("spawn daemon")
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "FAILED" }
}

fn main() {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    let seconds: u64 = env("SOAK_SECONDS", "120").parse().expect("SOAK_SECONDS");
    let pages: usize = env("SOAK_PAGES", "1000").parse().expect("SOAK_PAGES");
    let down = Duration::from_secs(env("SOAK_PG_DOWN", "5").parse().expect("SOAK_PG_DOWN"));
    let Ok(admin) = std::env::var("IARSS_TEST_DATABASE_URL") else {
        println!("soak: needs PostgreSQL; run through scripts/with-postgres.sh");
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let log_path = dir.join("soak-daemon.log");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    let sim = Arc::new(Sim {
        start: Instant::now(),
        stop: AtomicBool::new(false),
        hits: Mutex::new(Vec::new()),
        served: Mutex::new(HashSet::new()),
        bomb: gzip_bomb(),
    });
    let port = publisher(Arc::clone(&sim));
    let db = runtime.block_on(fresh_postgres(&admin, "iarss_soak"));
    let data = runtime.block_on(data_directory(&admin));
    runtime.block_on(add_pages(&db, pages, port));
    let feeds = pages + (0..pages).filter(|p| Kind::of(*p) == Kind::ProdDev).count();
    println!(
        "iarss fault soak: {pages} pages ({feeds} feeds), {seconds} s, interval 20s, timeout 5s, idle 2s, parse budget 5s, lease 30s, max backoff 2m, per host 32"
    );

    let http_port = free_port();
    // Reaped below: by try_wait in the loop, or by the wait after SIGTERM.
    #[allow(clippy::zombie_processes)]
    let mut daemon = spawn_daemon(&db, http_port, &log_path);
    let pid = daemon.id();
    let started = Instant::now();

    // Readiness: polled every 250 ms, transitions recorded once it was first ready.
    let ready_stop = Arc::new(AtomicBool::new(false));
    let ready_thread = {
        let stop = Arc::clone(&ready_stop);
        std::thread::spawn(move || {
            let mut transitions: Vec<(f64, u16, u16)> = Vec::new();
            let mut last: Option<u16> = None;
            let mut polls = 0u64;
            let limit = Duration::from_secs(seconds + 120);
            while !stop.load(Ordering::Relaxed) && started.elapsed() < limit {
                let code = readyz(http_port);
                polls += 1;
                let ready = code == 200;
                match last {
                    None if ready => last = Some(200),
                    Some(prev) if (prev == 200) != ready => {
                        transitions.push((started.elapsed().as_secs_f64(), prev, code));
                        last = Some(code);
                    }
                    _ => {}
                }
                std::thread::sleep(Duration::from_millis(250));
            }
            (transitions, polls, last)
        })
    };

    let total = Duration::from_secs(seconds);
    let warmup_at = total / 5;
    let restart_at = total / 2;
    let mut peak: f64 = 0.0;
    let mut warm: Option<f64> = None;
    let mut restart: Option<std::thread::JoinHandle<(f64, f64, bool)>> = None;
    let mut last_rss = 0.0;
    while started.elapsed() < total {
        std::thread::sleep(Duration::from_secs(1));
        if let Ok(Some(status)) = daemon.try_wait() {
            println!("the daemon exited early: {status}");
            break;
        }
        last_rss = rss_mb(pid);
        peak = peak.max(last_rss);
        if warm.is_none() && started.elapsed() >= warmup_at {
            warm = Some(last_rss);
        }
        if restart.is_none() && started.elapsed() >= restart_at {
            let data = data.clone();
            restart = Some(std::thread::spawn(move || {
                let at = started.elapsed().as_secs_f64();
                let (took, ok) = restart_postgres(&data, down);
                (at, took, ok)
            }));
        }
    }
    let final_rss = last_rss;
    ready_stop.store(true, Ordering::Relaxed);
    let (transitions, polls, last_ready) = ready_thread.join().expect("readiness thread");
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let t = Instant::now();
    let mut exit = None;
    while t.elapsed() < Duration::from_secs(60) {
        if let Ok(Some(s)) = daemon.try_wait() {
            exit = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if exit.is_none() {
        let _ = daemon.kill();
        let _ = daemon.wait();
    }
    let stop_took = t.elapsed().as_secs_f64();
    sim.stop.store(true, Ordering::Relaxed);
    let restart = restart.map(|h| h.join().expect("restart thread"));

    // The store after the daemon stopped.
    let (runs, stored) = runtime.block_on(async {
        let store = Store::open(&db).await.expect("open store");
        let runs = store.runs(None, i64::MAX).await.expect("runs");
        let articles = store.articles(None).await.expect("articles");
        store.close().await;
        (runs, articles)
    });
    let hits = sim.hits.lock().expect("hits").clone();
    let served = sim.served.lock().expect("served").clone();

    let mut by_kind: BTreeMap<Kind, (usize, usize)> = BTreeMap::new();
    let mut hit_times: HashMap<(usize, bool), Vec<i64>> = HashMap::new();
    for h in &hits {
        by_kind.entry(Kind::of(h.page)).or_default().0 += 1;
        hit_times.entry((h.page, h.dev)).or_default().push(h.at_ms);
    }
    let mut run_times: HashMap<(usize, bool), Vec<i64>> = HashMap::new();
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &runs {
        let page: usize = r
            .page_id
            .trim_start_matches('p')
            .parse()
            .unwrap_or(usize::MAX);
        by_kind.entry(Kind::of(page)).or_default().1 += 1;
        run_times
            .entry((page, r.feed.as_str() == "development"))
            .or_default()
            .push(r.started_at);
        *outcomes.entry(r.outcome.as_str()).or_default() += 1;
    }
    // Requests with no run started within 5 s before them, and runs with no request
    // within 5 s after their start (greedy, in time order, per feed).
    let mut unmatched_hits: Vec<(usize, bool, i64)> = Vec::new();
    let mut unmatched_runs: Vec<(usize, bool, i64)> = Vec::new();
    let keys: HashSet<(usize, bool)> = hit_times.keys().chain(run_times.keys()).copied().collect();
    for key in keys {
        let mut hs = hit_times.get(&key).cloned().unwrap_or_default();
        let mut rs = run_times.get(&key).cloned().unwrap_or_default();
        hs.sort_unstable();
        rs.sort_unstable();
        let mut used = vec![false; hs.len()];
        for r in rs {
            match (0..hs.len()).find(|&i| !used[i] && hs[i] >= r - 100 && hs[i] <= r + 5_000) {
                Some(i) => used[i] = true,
                None => unmatched_runs.push((key.0, key.1, r)),
            }
        }
        for (i, h) in hs.iter().enumerate() {
            if !used[i] {
                unmatched_hits.push((key.0, key.1, *h));
            }
        }
    }
    let t0 = now_ms() - started.elapsed().as_millis() as i64;
    let stored_urls: HashSet<&str> = stored.iter().map(|a| a.canonical_url.as_str()).collect();
    let lost: Vec<&String> = served
        .iter()
        .filter(|u| !stored_urls.contains(u.as_str()))
        .collect();
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    let panics = log.lines().filter(|l| l.contains("panicked")).count();

    println!(
        "requests by kind (publisher/runs): {}",
        by_kind
            .iter()
            .map(|(k, (h, r))| format!("{} {h}/{r}", k.name()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    match restart {
        Some((at, took, ok)) => println!(
            "postgres restart at t={at:.1}s: {}, back after {took:.1}s: {}",
            if down.is_zero() {
                "pg_ctl restart -m fast".to_string()
            } else {
                format!(
                    "pg_ctl stop -m fast, {}s down, pg_ctl start",
                    down.as_secs()
                )
            },
            if ok { "ok" } else { "FAILED" }
        ),
        None => println!("postgres restart: not reached"),
    }
    println!(
        "readiness (/readyz every 250 ms until SIGTERM): {polls} polls, {} transitions, last {}: {}",
        transitions.len(),
        last_ready.map_or("never ready".into(), |c| c.to_string()),
        transitions
            .iter()
            .map(|(t, a, b)| format!("t={t:.1}s {a}->{b}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "runs by outcome: {}",
        outcomes
            .iter()
            .map(|(o, n)| format!("{o} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "fetch attempts (publisher) {}  runs recorded (feed_runs) {}  requests without a run {}  runs without a request {}",
        hits.len(),
        runs.len(),
        unmatched_hits.len(),
        unmatched_runs.len()
    );
    unmatched_hits.sort_by_key(|u| u.2);
    unmatched_runs.sort_by_key(|u| u.2);
    for (what, list) in [
        ("request without run", &unmatched_hits),
        ("run without request", &unmatched_runs),
    ] {
        for (page, dev, at) in list.iter().take(3) {
            println!(
                "  {what}: p{page} {} ({}) at t={:.1}s",
                if *dev { "development" } else { "production" },
                Kind::of(*page).name(),
                (*at - t0) as f64 / 1000.0
            );
        }
    }
    println!(
        "articles expected {}  stored {} (of them expected {})  lost {}{}",
        served.len(),
        stored.len(),
        served.len() - lost.len(),
        lost.len(),
        lost.first().map_or(String::new(), |u| format!(" e.g. {u}"))
    );
    println!(
        "panics in the daemon log: {panics}  (log {})",
        log_path.display()
    );
    let warm = warm.unwrap_or(0.0);
    let growth = if warm > 0.0 {
        (final_rss - warm) / warm * 100.0
    } else {
        0.0
    };
    println!(
        "daemon rss: after warm-up {warm:.1} MB  peak {peak:.1} MB  final {final_rss:.1} MB  growth {growth:+.1} %"
    );
    println!(
        "shutdown: SIGTERM -> exit in {stop_took:.1}s ({})",
        exit.map_or("killed".to_string(), |s| s.to_string())
    );
    let recovered = last_ready == Some(200);
    println!(
        "verdict: fetch attempts == runs recorded: {}",
        verdict(hits.len() == runs.len())
    );
    println!(
        "verdict: 0 articles lost: {}",
        verdict(lost.is_empty() && !served.is_empty())
    );
    println!("verdict: 0 panics: {}", verdict(panics == 0));
    println!(
        "verdict: rss growth after warm-up <= 10 %: {}",
        verdict(growth <= 10.0)
    );
    println!(
        "verdict: ready again after the restart: {}",
        verdict(recovered && restart.is_some_and(|r| r.2))
    );
    println!(
        "verdict: clean exit on SIGTERM: {}",
        verdict(exit.is_some_and(|s| s.success()))
    );
}
