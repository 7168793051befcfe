//! `iarss daemon` as a process (docs/configuration.md; docs/ingestion.md, Fetching):
//! health, readiness and metrics, the configuration contract, one daemon per SQLite
//! database, backoff and its reset, pages added while running, graceful shutdown, and
//! several daemons sharing a PostgreSQL database, one of them killed mid-run.
//!
//! Feeds are served by a std-only HTTP server on 127.0.0.1 that records every request with
//! its time. Every daemon runs under a guard that kills it when the test ends, passed or
//! failed. The PostgreSQL test needs `IARSS_TEST_DATABASE_URL` (an admin URL);
//! `scripts/with-postgres.sh` sets it, starting a throwaway server when needed.

use crate::kit;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use kit::PgDb;
use kit::http::Server;
use serde_json::Value;

const FEED: &[u8] = include_bytes!("../../testdata/feeds/example.xml");

// ----------------------------------------------------------------------------------------
// A feed server that records what it was asked
// ----------------------------------------------------------------------------------------

/// One request the feed server read.
type Hit = kit::http::Request;

fn respond(stream: &mut TcpStream, status: &str, body: &[u8]) {
    let rss = ("Content-Type", "application/rss+xml; charset=utf-8");
    kit::http::respond(stream, status, &[rss], body);
}

/// A valid feed with no items for `domain`.
fn empty_feed(domain: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\">\n<channel>\n\
         <title>{domain}</title>\n<link>https://{domain}/</link>\n\
         <description>No articles today</description>\n</channel>\n</rss>\n"
    )
    .into_bytes()
}

// ----------------------------------------------------------------------------------------
// Daemons
// ----------------------------------------------------------------------------------------

/// A free port on 127.0.0.1 (bound, then released for the daemon).
pub(crate) fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

/// `iarss` with no `IARSS_…` configuration inherited from the test's environment.
pub(crate) fn clean_iarss() -> std::process::Command {
    let mut cmd = kit::iarss();
    for (k, _) in std::env::vars() {
        if k.starts_with("IARSS_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// The configuration every test daemon starts from: local feeds allowed, a fast loop.
const FAST: &[(&str, &str)] = &[
    ("IARSS_FETCH_ALLOW_PRIVATE_NETWORKS", "true"),
    ("IARSS_SCHEDULE_INTERVAL", "2s"),
    ("IARSS_SCHEDULE_TICK", "100ms"),
    ("IARSS_FETCH_TIMEOUT", "5s"),
    ("IARSS_FETCH_PARSE_BUDGET", "5s"),
    ("IARSS_LOG", "info"),
];

/// A running `iarss daemon`, killed when dropped.
pub(crate) struct Daemon {
    name: String,
    child: Child,
    listen: SocketAddr,
    log: PathBuf,
    status: Option<ExitStatus>,
}

impl Daemon {
    /// Starts a daemon on `db` with `FAST`, then `env` on top.
    pub(crate) fn spawn(dir: &Path, name: &str, db: &str, env: &[(&str, &str)]) -> Daemon {
        let listen = free_addr();
        let log = dir.join(format!("{name}.log"));
        let out = File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let mut cmd = clean_iarss();
        cmd.args(["daemon", "--db", db, "--listen", &listen.to_string()])
            .envs(FAST.iter().copied())
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(out)
            .stderr(err);
        let child = cmd.spawn().expect("spawn iarss daemon");
        Daemon {
            name: name.to_string(),
            child,
            listen,
            log,
            status: None,
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn get(&self, path: &str) -> Option<(u16, String)> {
        http_get(self.listen, path)
    }

    /// Waits until `/readyz` answers 200.
    pub(crate) fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.try_status() {
                panic!(
                    "daemon {} exited early with {status}\n{}",
                    self.name,
                    self.log()
                );
            }
            if self.get("/readyz").is_some_and(|(code, _)| code == 200) {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!("daemon {} never became ready\n{}", self.name, self.log());
    }

    fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().expect("try_wait");
        }
        self.status
    }

    /// Waits at most `limit` for the process to end.
    pub(crate) fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(s) = self.try_status() {
                return Some(s);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {}", self.pid());
    }

    /// SIGTERM, then the exit code, which must come within `limit`.
    pub(crate) fn terminate(&mut self, limit: Duration) -> i32 {
        self.signal("TERM");
        let status = self.wait_exit(limit).unwrap_or_else(|| {
            panic!(
                "daemon {} still running {limit:?} after SIGTERM\n{}",
                self.name,
                self.log()
            )
        });
        status.code().unwrap_or(-1)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.try_status().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if thread::panicking() {
            eprintln!(
                "--- log of daemon {} ({}) ---",
                self.name,
                self.log.display()
            );
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// A bare HTTP/1.1 GET: the status and the body.
fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    http_get_with(addr, path, "")
}

/// [`http_get`] with more header lines (each ending in `\r\n`).
fn http_get_with(addr: SocketAddr, path: &str, headers: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n"
    )
    .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

/// `iarss --db DB ARGS` as a second process.
fn cli(db: &str, args: &[&str]) -> Output {
    clean_iarss()
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("run iarss")
}

fn cli_ok(db: &str, args: &[&str]) -> Output {
    let out = cli(db, args);
    assert!(
        out.status.success(),
        "iarss {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn cli_json(db: &str, args: &[&str]) -> Value {
    let out = cli_ok(db, args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "iarss {args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The page's entry in `pages list --format json`.
fn page_entry(db: &str, id: &str) -> Value {
    let pages = cli_json(db, &["pages", "list", "--format", "json"]);
    pages
        .as_array()
        .and_then(|a| a.iter().find(|p| p["page_id"] == id).cloned())
        .unwrap_or_else(|| panic!("no page {id} in {pages}"))
}

fn runs(db: &str, page: &str) -> Vec<Value> {
    match cli_json(
        db,
        &["runs", "--page", page, "--limit", "500", "--format", "json"],
    ) {
        Value::Array(a) => a,
        other => panic!("runs is not an array: {other}"),
    }
}

/// Polls `check` every 50 ms until it is true or `limit` passed.
pub(crate) fn wait_until(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn sqlite_db(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("iarss.db").display())
}

/// Registers the page `news` on `news.example.com` with this production feed.
fn add_news_page(db: &str, feed_url: &str) {
    cli_ok(
        db,
        &[
            "pages",
            "add",
            "--id",
            "news",
            "--domain",
            "news.example.com",
            "--feed",
            feed_url,
        ],
    );
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// ----------------------------------------------------------------------------------------
// Health, readiness, metrics
// ----------------------------------------------------------------------------------------

#[test]
fn health_readiness_and_metrics() {
    let dir = kit::scratch("daemon-health");
    let db = sqlite_db(&dir);
    let server = Server::start(usize::MAX, |_, s| respond(s, "200 OK", FEED));
    add_news_page(&db, &server.url("/feed.xml"));
    let mut daemon = Daemon::spawn(&dir, "health", &db, &[]);
    daemon.wait_ready();
    let (code, body) = daemon.get("/healthz").expect("/healthz answers");
    assert_eq!(code, 200, "{body}");
    let (code, body) = daemon.get("/readyz").expect("/readyz answers");
    assert_eq!(code, 200, "{body}");

    // The page is fetched within one interval of the daemon's start, and the run counted.
    assert!(
        wait_until(Duration::from_secs(5), || !runs(&db, "news").is_empty()),
        "no run within 5 s; server saw {:?}",
        server.requests()
    );
    let run = &runs(&db, "news")[0];
    assert_eq!(run["outcome"], "ok", "{run}");
    assert_eq!(run["items"], 3, "{run}");
    let mut metrics = String::new();
    assert!(
        wait_until(Duration::from_secs(3), || {
            metrics = daemon.get("/metrics").map(|(_, b)| b).unwrap_or_default();
            metrics.contains("iarss_runs_total{outcome=\"ok\"}")
        }),
        "{metrics}"
    );
    assert!(
        metrics.contains("# TYPE iarss_runs_total counter"),
        "{metrics}"
    );
    // The store's statements are counted: a run takes several.
    let statements: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("iarss_store_statements_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no statement count in {metrics}"));
    assert!(statements >= 3.0, "{statements} statements counted");
    let (code, _) = daemon.get("/login").expect("the login page answers");
    assert_eq!(code, 200);
    let (code, _) = daemon.get("/").expect("the dashboard answers");
    assert_eq!(
        code, 303,
        "the dashboard without a session sends to the login page"
    );

    assert_eq!(daemon.terminate(Duration::from_secs(10)), 0);
}

// ----------------------------------------------------------------------------------------
// Configuration
// ----------------------------------------------------------------------------------------

#[test]
fn print_config_masks_secrets_and_bad_configuration_exits_2() {
    let dir = kit::scratch("daemon-config");
    let file = dir.join("iarss.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:9999\"\n[fetch]\ntimeout = \"7s\"\nuser_agent = \"from-file\"\n\
         [schedule]\nconcurrency = 8\n",
    )
    .expect("write config");
    let file = file.to_str().expect("utf-8 path");

    let out = clean_iarss()
        .args([
            "daemon",
            "--print-config",
            "--config",
            file,
            "--listen",
            "127.0.0.1:7777",
            "--db",
            "postgres://iarss:S3cretPw@db.example.com:5432/iarss",
        ])
        .env("IARSS_FETCH_TIMEOUT", "9s")
        .env("IARSS_SCHEDULE_INTERVAL", "2s")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.contains("S3cretPw"), "{text}");
    let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("{e}: {text}"));
    let url = doc["database_url"].as_str().expect("database_url");
    assert!(
        url.contains("***") && url.contains("db.example.com"),
        "{url}"
    );
    // Flags beat the environment, which beats the file.
    assert_eq!(doc["listen"].as_str(), Some("127.0.0.1:7777"));
    assert_eq!(doc["fetch"]["timeout"].as_str(), Some("9s"));
    assert_eq!(doc["fetch"]["user_agent"].as_str(), Some("from-file"));
    assert_eq!(doc["schedule"]["interval"].as_str(), Some("2s"));
    assert_eq!(doc["schedule"]["concurrency"].as_integer(), Some(8));
    assert_eq!(
        doc["fetch"]["allow_private_networks"].as_bool(),
        Some(false)
    );
    for key in ["max_backoff", "lease", "tick"] {
        assert!(doc["schedule"].get(key).is_some(), "schedule.{key}: {text}");
    }
    for key in ["parse_budget", "max_body_bytes"] {
        assert!(doc["fetch"].get(key).is_some(), "fetch.{key}: {text}");
    }

    // An unknown variable in the daemon's namespace.
    let out = clean_iarss()
        .args(["daemon", "--print-config"])
        .env("IARSS_SCHEDULE_X", "1")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("IARSS_SCHEDULE_X"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());

    // An unknown key in the file, without --print-config too (nothing starts).
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[schedule]\nintervall = \"3m\"\n").expect("write");
    let db = sqlite_db(&dir);
    let out = clean_iarss()
        .args(["daemon", "--db", &db, "--listen", &free_addr().to_string()])
        .arg("--config")
        .arg(&bad)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("intervall"), "{}", stderr(&out));
    assert!(!dir.join("iarss.db").exists(), "no store was opened");

    // A value of the wrong type, and a lease too short for a run.
    for (name, value) in [
        ("IARSS_SCHEDULE_INTERVAL", "soon"),
        ("IARSS_FETCH_MAX_BODY_BYTES", "lots"),
        ("IARSS_SCHEDULE_LEASE", "20s"),
    ] {
        let out = clean_iarss()
            .args(["daemon", "--print-config"])
            .env(name, value)
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{name}={value}: {}",
            stderr(&out)
        );
        assert!(!stderr(&out).trim().is_empty());
    }
}

#[test]
fn a_second_daemon_on_one_sqlite_database_refuses_to_start() {
    let dir = kit::scratch("daemon-sqlite-lock");
    let db = sqlite_db(&dir);
    let mut first = Daemon::spawn(&dir, "first", &db, &[]);
    first.wait_ready();
    let mut second = Daemon::spawn(&dir, "second", &db, &[]);
    let status = second
        .wait_exit(Duration::from_secs(15))
        .expect("the second daemon exits by itself");
    assert_eq!(status.code(), Some(1), "{}", second.log());
    let log = second.log();
    assert!(
        log.contains("another iarss daemon") && log.contains("PostgreSQL"),
        "{log}"
    );
    assert!(
        log.lines().filter(|l| l.starts_with("error:")).count() == 1,
        "{log}"
    );
    // The first one is unaffected.
    assert_eq!(first.get("/readyz").map(|(c, _)| c), Some(200));
    assert_eq!(first.terminate(Duration::from_secs(10)), 0);
}

// ----------------------------------------------------------------------------------------
// Scheduling
// ----------------------------------------------------------------------------------------

#[test]
fn a_failing_feed_backs_off_and_a_success_resets_it() {
    let dir = kit::scratch("daemon-backoff");
    let db = sqlite_db(&dir);
    let healthy = Arc::new(AtomicBool::new(false));
    let server = {
        let healthy = healthy.clone();
        Server::start(usize::MAX, move |_, s| {
            if healthy.load(Ordering::SeqCst) {
                respond(s, "200 OK", FEED);
            } else {
                respond(s, "500 Internal Server Error", b"down");
            }
        })
    };
    add_news_page(&db, &server.url("/feed.xml"));
    let mut daemon = Daemon::spawn(
        &dir,
        "backoff",
        &db,
        &[
            ("IARSS_SCHEDULE_INTERVAL", "1s"),
            ("IARSS_SCHEDULE_MAX_BACKOFF", "2s"),
        ],
    );
    daemon.wait_ready();

    // Failures 1 and 2 keep the cadence; from the third on the feed waits 2 × interval
    // (capped at max_backoff = 2 s), with ±10 % jitter. It is never disabled.
    let mut entry = Value::Null;
    assert!(
        wait_until(Duration::from_secs(12), || {
            entry = page_entry(&db, "news");
            entry["consecutive_failures"].as_i64().unwrap_or(0) >= 5
        }),
        "{entry}; hits {:?}",
        server.requests().len()
    );
    assert_eq!(entry["enabled"], true, "{entry}");
    assert_eq!(entry["last_outcome"], "fetch_error", "{entry}");
    let failed = runs(&db, "news");
    assert!(failed.len() >= 5, "{failed:?}");
    for r in &failed {
        assert_eq!(r["outcome"], "fetch_error", "{r}");
        assert_eq!(r["http_status"], 500, "{r}");
    }
    let hits = server.requests_of("/feed.xml");
    let gaps: Vec<f64> = hits
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_secs_f64())
        .collect();
    // hits[i] is failure i+1; the gap after failure n is gaps[n-1].
    assert!(gaps.len() >= 4, "{gaps:?}");
    for (i, gap) in gaps.iter().enumerate() {
        let failures = i + 1;
        if failures < 3 {
            assert!(
                (0.7..1.6).contains(gap),
                "gap after failure {failures}: {gaps:?}"
            );
        } else {
            assert!(
                (1.7..2.6).contains(gap),
                "gap after failure {failures}: {gaps:?}"
            );
        }
    }

    healthy.store(true, Ordering::SeqCst);
    assert!(
        wait_until(Duration::from_secs(6), || {
            entry = page_entry(&db, "news");
            entry["consecutive_failures"] == 0
        }),
        "{entry}"
    );
    assert_eq!(entry["last_outcome"], "ok", "{entry}");
    assert_eq!(entry["enabled"], true);
    // Back on the one-second cadence after the success.
    let recovered = server.requests_of("/feed.xml").len();
    assert!(
        wait_until(Duration::from_secs(4), || server
            .requests_of("/feed.xml")
            .len()
            >= recovered + 2),
        "{:?}",
        server.requests_of("/feed.xml")
    );
    let after = runs(&db, "news");
    assert_eq!(after[0]["outcome"], "ok", "{:?}", after[0]);
    assert_eq!(daemon.terminate(Duration::from_secs(10)), 0);
}

/// A `429` with `Retry-After` delays the next fetch from the first such answer on, not only
/// once the feed is in backoff: the loop that brings far-off due times into the current
/// cycle leaves a feed that failed alone.
#[test]
fn retry_after_is_honoured_from_the_first_answer() {
    let dir = kit::scratch("daemon-retry-after");
    let db = sqlite_db(&dir);
    let server = Server::start(usize::MAX, move |_, s| {
        let headers = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 6\r\n\
                       Content-Length: 5\r\nConnection: close\r\n\r\nlater";
        let _ = s.write_all(headers.as_bytes());
    });
    add_news_page(&db, &server.url("/feed.xml"));
    let mut daemon = Daemon::spawn(
        &dir,
        "retry-after",
        &db,
        &[
            ("IARSS_SCHEDULE_INTERVAL", "1s"),
            ("IARSS_SCHEDULE_MAX_BACKOFF", "1m"),
        ],
    );
    daemon.wait_ready();
    assert!(
        wait_until(Duration::from_secs(5), || !server
            .requests_of("/feed.xml")
            .is_empty()),
        "never fetched"
    );
    thread::sleep(Duration::from_secs(8));
    let hits = server.requests_of("/feed.xml");
    let gaps: Vec<f64> = hits
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_secs_f64())
        .collect();
    assert!(
        hits.len() <= 3 && gaps.iter().all(|g| *g >= 5.5),
        "fetched {} times, gaps {gaps:?}: the server asked for 6 s",
        hits.len()
    );
    assert_eq!(daemon.terminate(Duration::from_secs(10)), 0);
}

#[test]
fn pages_added_while_running_are_fetched_within_one_cycle() {
    let dir = kit::scratch("daemon-added");
    let db = sqlite_db(&dir);
    let server = Server::start(usize::MAX, |hit, s| {
        let domain = hit.path.trim_start_matches("/feed/");
        respond(s, "200 OK", &empty_feed(domain));
    });
    cli_ok(&db, &["migrate"]);
    let mut daemon = Daemon::spawn(&dir, "added", &db, &[]);
    daemon.wait_ready();

    let mut added = Vec::new();
    for i in 0..5 {
        let domain = format!("late{i}.example.org");
        let path = format!("/feed/{domain}");
        cli_ok(
            &db,
            &[
                "pages",
                "add",
                "--id",
                &format!("late{i}"),
                "--domain",
                &domain,
                "--feed",
                &server.url(&path),
            ],
        );
        added.push((path, Instant::now()));
    }
    // interval 2 s, tick 100 ms: every page within one interval (plus a little slack).
    assert!(
        wait_until(Duration::from_secs(4), || added
            .iter()
            .all(|(p, _)| !server.requests_of(p).is_empty())),
        "fetched: {:?}",
        server
            .requests()
            .iter()
            .map(|h| &h.path)
            .collect::<Vec<_>>()
    );
    for (path, at) in &added {
        let first = server.requests_of(path)[0].at;
        let waited = first.duration_since(*at);
        assert!(waited < Duration::from_millis(2600), "{path}: {waited:?}");
    }
    // And then on the cadence: the next fetch one interval later.
    assert!(wait_until(Duration::from_secs(4), || added
        .iter()
        .all(|(p, _)| server.requests_of(p).len() >= 2)));
    for (path, _) in &added {
        let hits = server.requests_of(path);
        let gap = hits[1].at - hits[0].at;
        assert!(
            gap > Duration::from_millis(1500) && gap < Duration::from_millis(2600),
            "{path}: {gap:?}"
        );
    }
    for i in 0..5 {
        let entry = page_entry(&db, &format!("late{i}"));
        assert_eq!(entry["last_outcome"], "ok", "{entry}");
    }
    assert_eq!(daemon.terminate(Duration::from_secs(10)), 0);
}

/// After an outage (or for pages added while no daemon ran) a feed whose slot passed long
/// ago is fetched once when the daemon comes back, then a whole interval later: its run
/// re-phases from its own start rather than meeting its old slot a moment after.
#[test]
fn a_late_run_is_not_followed_by_its_old_slot() {
    let dir = kit::scratch("daemon-rephase");
    let db = sqlite_db(&dir);
    let server = Server::start(usize::MAX, |hit, s| {
        let domain = hit.path.trim_start_matches("/feed/");
        respond(s, "200 OK", &empty_feed(domain));
    });
    let mut paths = Vec::new();
    for i in 0..5 {
        let domain = format!("back{i}.example.org");
        let path = format!("/feed/{domain}");
        let id = format!("back{i}");
        cli_ok(
            &db,
            &[
                "pages",
                "add",
                "--id",
                &id,
                "--domain",
                &domain,
                "--feed",
                &server.url(&path),
            ],
        );
        // Due now, with no daemon running: by the time one starts the slot is 1.5 s old,
        // most of the 2 s interval.
        cli_ok(&db, &["pages", "fetch-now", &id]);
        paths.push(path);
    }
    thread::sleep(Duration::from_millis(1500));
    let mut daemon = Daemon::spawn(&dir, "rephase", &db, &[]);
    daemon.wait_ready();
    assert!(
        wait_until(Duration::from_secs(8), || paths
            .iter()
            .all(|p| server.requests_of(p).len() >= 2)),
        "not fetched twice: {:?}",
        server
            .requests()
            .iter()
            .map(|h| &h.path)
            .collect::<Vec<_>>()
    );
    for path in &paths {
        let hits = server.requests_of(path);
        let gap = hits[1].at - hits[0].at;
        // One interval (2 s) after the late run, less at most a tenth of it as spread; the
        // old slot would have come round about 0.5 s after the first fetch.
        assert!(
            gap >= Duration::from_millis(1700) && gap < Duration::from_millis(2600),
            "{path}: fetched again {gap:?} after a late run"
        );
    }
    assert_eq!(daemon.terminate(Duration::from_secs(10)), 0);
}

/// A run that waits for the store has its answer already: it does not keep its host's slot,
/// so with one slot per host the host's next feed is fetched while the store is locked.
#[test]
fn a_run_waiting_for_the_store_does_not_hold_its_hosts_slot() {
    let dir = kit::scratch("daemon-host-slot");
    let db = sqlite_db(&dir);
    // Another writer takes the database when the first feed is asked for, and keeps it 4 s.
    let (lock_tx, lock_rx) = std::sync::mpsc::channel::<()>();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel::<Instant>();
    let locker = {
        let db = db.clone();
        thread::spawn(move || {
            use sqlx::{Connection, Executor};
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(async {
                if lock_rx.recv_timeout(Duration::from_secs(30)).is_err() {
                    return None;
                }
                let mut conn = sqlx::sqlite::SqliteConnection::connect(&db)
                    .await
                    .expect("open the database");
                conn.execute("BEGIN IMMEDIATE")
                    .await
                    .expect("take the write lock");
                locked_tx.send(Instant::now()).expect("tell the server");
                tokio::time::sleep(Duration::from_secs(4)).await;
                let released = Instant::now();
                conn.execute("ROLLBACK")
                    .await
                    .expect("release the write lock");
                Some(released)
            })
        })
    };
    let first_at = Arc::new(Mutex::new(None::<Instant>));
    let server = {
        let first_at = Arc::clone(&first_at);
        let lock = Mutex::new(Some((lock_tx, locked_rx)));
        Server::start(usize::MAX, move |hit, s| {
            if let Some((tx, rx)) = lock.lock().expect("lock").take() {
                tx.send(()).expect("ask for the lock");
                let at = rx
                    .recv_timeout(Duration::from_secs(10))
                    .expect("the database locked");
                *first_at.lock().expect("lock") = Some(at);
            }
            let domain = hit.path.trim_start_matches("/feed/");
            respond(s, "200 OK", &empty_feed(domain));
        })
    };
    for id in ["one", "two"] {
        let domain = format!("{id}.example.org");
        cli_ok(
            &db,
            &[
                "pages",
                "add",
                "--id",
                id,
                "--domain",
                &domain,
                "--feed",
                &server.url(&format!("/feed/{domain}")),
            ],
        );
        // Both due when the daemon starts: claimed together, one waits for the host.
        cli_ok(&db, &["pages", "fetch-now", id]);
    }
    let mut daemon = Daemon::spawn(
        &dir,
        "host-slot",
        &db,
        &[
            ("IARSS_SCHEDULE_PER_HOST", "1"),
            ("IARSS_SCHEDULE_PER_HOST_MAX", "1"),
            ("IARSS_SCHEDULE_INTERVAL", "60s"),
        ],
    );
    daemon.wait_ready();
    assert!(
        wait_until(Duration::from_secs(15), || server.requests().len() >= 2),
        "the second feed was not fetched: {:?}\n{}",
        server
            .requests()
            .iter()
            .map(|h| &h.path)
            .collect::<Vec<_>>(),
        daemon.log()
    );
    let second = server.requests()[1].at;
    let released = locker.join().expect("locker thread").expect("locked");
    let locked = first_at.lock().expect("lock").expect("first request");
    assert!(
        second > locked && second < released,
        "the second feed was fetched {:?} after the store was locked, {:?} after it was \
         released: its host's only slot waited for the first run's commit",
        second.saturating_duration_since(locked),
        second.saturating_duration_since(released),
    );
    // Both runs are recorded once the store is free again.
    assert!(
        wait_until(Duration::from_secs(15), || !runs(&db, "one").is_empty()
            && !runs(&db, "two").is_empty()),
        "{}",
        daemon.log()
    );
    assert_eq!(daemon.terminate(Duration::from_secs(10)), 0);
}

#[test]
fn the_ssrf_guard_is_on_by_default() {
    let dir = kit::scratch("daemon-guard");
    let db = sqlite_db(&dir);
    let server = Server::start(usize::MAX, |_, s| respond(s, "200 OK", FEED));
    add_news_page(&db, &server.url("/feed.xml"));
    let mut daemon = Daemon::spawn(
        &dir,
        "guard",
        &db,
        &[("IARSS_FETCH_ALLOW_PRIVATE_NETWORKS", "false")],
    );
    daemon.wait_ready();
    assert!(wait_until(Duration::from_secs(5), || !runs(&db, "news").is_empty()));
    let run = &runs(&db, "news")[0];
    assert_eq!(run["outcome"], "fetch_error", "{run}");
    let warnings = cli_json(&db, &["warnings", "--page", "news", "--format", "json"]);
    assert_eq!(warnings[0]["rule"], "feed-fetch-failed", "{warnings}");
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    assert_eq!(daemon.terminate(Duration::from_secs(10)), 0);
}

// ----------------------------------------------------------------------------------------
// Shutdown
// ----------------------------------------------------------------------------------------

#[test]
fn sigterm_lets_the_in_flight_run_finish() {
    let dir = kit::scratch("daemon-sigterm");
    let db = sqlite_db(&dir);
    let answered = Arc::new(Mutex::new(None::<Instant>));
    let server = {
        let answered = answered.clone();
        Server::start(usize::MAX, move |_, s| {
            thread::sleep(Duration::from_millis(1000));
            respond(s, "200 OK", FEED);
            *answered.lock().expect("answered") = Some(Instant::now());
        })
    };
    add_news_page(&db, &server.url("/feed.xml"));
    let mut daemon = Daemon::spawn(&dir, "sigterm", &db, &[]);
    daemon.wait_ready();
    assert!(
        wait_until(Duration::from_secs(5), || !server.requests().is_empty()),
        "the feed was never requested"
    );
    // The request is in flight: the server answers only a second after it came.
    assert!(answered.lock().expect("answered").is_none());
    let metrics = daemon.get("/metrics").map(|(_, b)| b).unwrap_or_default();
    assert!(
        metrics.lines().any(|l| l == "iarss_runs_in_flight 1"),
        "the run under way is counted: {metrics}"
    );
    assert!(
        answered.lock().expect("answered").is_none(),
        "still in flight"
    );
    daemon.signal("TERM");
    let status = daemon
        .wait_exit(Duration::from_secs(6))
        .unwrap_or_else(|| panic!("still running 6 s after SIGTERM\n{}", daemon.log()));
    let exited = Instant::now();
    assert_eq!(status.code(), Some(0), "{}", daemon.log());
    let answered = answered
        .lock()
        .expect("answered")
        .expect("the server answered");
    assert!(answered <= exited);
    let recorded = runs(&db, "news");
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0]["outcome"], "ok", "{:?}", recorded[0]);
    assert_eq!(recorded[0]["items"], 3);
    assert_eq!(server.requests().len(), 1);
}

// ----------------------------------------------------------------------------------------
// Several daemons on one PostgreSQL database
// ----------------------------------------------------------------------------------------

const PAGES: usize = 200;
const DEAD: &str = "iarss-test-d0";

#[test]
fn three_daemons_share_a_postgres_database_and_survive_a_kill() {
    let pg = PgDb::create("shared");
    let dir = kit::scratch("daemon-shared");
    // Just before d0 is killed its requests stop being answered, so that it surely dies
    // with runs in flight and feeds leased.
    let stall_dead = Arc::new(AtomicBool::new(false));
    let server = {
        let stall_dead = stall_dead.clone();
        Server::start(usize::MAX, move |hit, s| {
            if hit.agent == DEAD && stall_dead.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_secs(3));
            }
            thread::sleep(Duration::from_millis(10));
            let domain = hit.path.trim_start_matches("/feed/");
            respond(s, "200 OK", &empty_feed(domain));
        })
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let store = iarss::store::Store::open(&pg.url)
            .await
            .expect("open store");
        for i in 0..PAGES {
            let domain = format!("p{i:03}.example.net");
            store
                .add_page(&iarss::store::NewPage {
                    id: format!("p{i:03}"),
                    name: domain.clone(),
                    domain: iarss::model::Domain::parse(&domain).expect("domain"),
                    feed_url: Some(server.url(&format!("/feed/{domain}"))),
                    dev_feed_url: None,
                    enabled: true,
                })
                .await
                .expect("add page");
        }
        store.close().await;
    });

    // interval 2 s, tick 100 ms; a short lease, which must exceed timeout + parse budget.
    // (A feed taken over from a dead daemon runs at its due time + lease, and the cadence
    // then keeps its next slot: with a 2.5 s lease that is 1.5 s later, so consecutive
    // fetches stay more than half an interval apart.)
    let env = |agent: &'static str| {
        vec![
            ("IARSS_SCHEDULE_INTERVAL", "2s"),
            ("IARSS_SCHEDULE_TICK", "100ms"),
            ("IARSS_SCHEDULE_LEASE", "2500ms"),
            ("IARSS_FETCH_TIMEOUT", "1s"),
            ("IARSS_FETCH_PARSE_BUDGET", "1s"),
            ("IARSS_FETCH_USER_AGENT", agent),
        ]
    };
    let mut daemons = vec![
        Daemon::spawn(&dir, "d0", &pg.url, &env(DEAD)),
        Daemon::spawn(&dir, "d1", &pg.url, &env("iarss-test-d1")),
        Daemon::spawn(&dir, "d2", &pg.url, &env("iarss-test-d2")),
    ];
    for d in &mut daemons {
        d.wait_ready();
    }
    let started = Instant::now();
    thread::sleep(Duration::from_millis(4000));
    stall_dead.store(true, Ordering::SeqCst);
    let stalled_from = Instant::now();
    // Killed once it has a stalled request (or after 3 s: the assertion below then says
    // that it had nothing in flight).
    let deadline = stalled_from + Duration::from_secs(3);
    while Instant::now() < deadline
        && !server
            .requests()
            .iter()
            .any(|h| h.agent == DEAD && h.at >= stalled_from)
    {
        thread::sleep(Duration::from_millis(20));
    }
    thread::sleep(Duration::from_millis(100));
    daemons[0].signal("KILL");
    let killed = Instant::now();
    let status = daemons[0]
        .wait_exit(Duration::from_secs(5))
        .expect("SIGKILL ends the daemon");
    assert_eq!(status.code(), None, "killed by a signal");
    // Long enough for the dead daemon's leases to expire and every page to come round.
    thread::sleep(Duration::from_millis(5000));
    for d in &mut daemons[1..] {
        assert_eq!(d.terminate(Duration::from_secs(10)), 0, "{}", d.log());
    }
    let hits = server.requests();
    let since = |h: &Hit| h.at.saturating_duration_since(started).as_secs_f64();

    let mut per_page: BTreeMap<String, Vec<&Hit>> = BTreeMap::new();
    for h in &hits {
        if h.at >= started {
            per_page.entry(h.path.clone()).or_default().push(h);
        }
    }
    assert_eq!(per_page.len(), PAGES, "pages fetched: {}", per_page.len());
    let half_interval = Duration::from_secs(1);
    let mut by_agent: HashMap<&str, usize> = HashMap::new();
    for (path, page_hits) in &per_page {
        let shown: Vec<(f64, &str)> = page_hits
            .iter()
            .map(|h| (since(h), h.agent.as_str()))
            .collect();
        assert!(page_hits.len() >= 2, "{path} fetched only {shown:?}");
        for w in page_hits.windows(2) {
            assert!(
                w[1].at - w[0].at >= half_interval,
                "{path} fetched twice within half an interval: {shown:?}"
            );
        }
        for h in page_hits {
            *by_agent.entry(h.agent.as_str()).or_default() += 1;
        }
        // Every page keeps being fetched by the survivors.
        assert!(
            page_hits
                .iter()
                .any(|h| h.at > killed + Duration::from_millis(2600) && h.agent != DEAD),
            "{path} not fetched after the kill: {shown:?}"
        );
    }
    // The runs d0 had in flight when it died are taken over once their lease expired.
    let in_flight: Vec<&Hit> = hits
        .iter()
        .filter(|h| h.agent == DEAD && h.at >= stalled_from)
        .collect();
    assert!(
        !in_flight.is_empty(),
        "d0 had nothing in flight when killed"
    );
    for dead in &in_flight {
        let next = per_page[&dead.path]
            .iter()
            .find(|h| h.at > dead.at)
            .unwrap_or_else(|| panic!("{} never fetched again", dead.path));
        assert_ne!(next.agent, DEAD);
        assert!(
            next.at - dead.at >= Duration::from_millis(2000),
            "{} taken over {:?} after d0 fetched it, before its lease expired",
            dead.path,
            next.at - dead.at
        );
    }
    // The work was shared, and the dead daemon fetched nothing after its death.
    for agent in [DEAD, "iarss-test-d1", "iarss-test-d2"] {
        assert!(
            by_agent.get(agent).copied().unwrap_or(0) > 0,
            "{by_agent:?}"
        );
    }
    assert!(
        hits.iter()
            .all(|h| h.agent != DEAD || h.at <= killed + Duration::from_millis(200)),
        "the killed daemon kept fetching"
    );

    // Every fetch the survivors made is recorded as an ok run (they stopped gracefully),
    // and d0's answered fetches too.
    let recorded = runtime.block_on(async {
        let store = iarss::store::Store::open(&pg.url)
            .await
            .expect("open store");
        let runs = store.runs(None, 100_000).await.expect("runs");
        store.close().await;
        runs
    });
    let answered = hits
        .iter()
        .filter(|h| h.agent != DEAD || h.at < stalled_from)
        .count();
    assert!(
        recorded.len() + 5 >= answered && recorded.len() <= hits.len(),
        "{} runs for {} fetches ({answered} answered)",
        recorded.len(),
        hits.len()
    );
    assert!(
        recorded
            .iter()
            .all(|r| r.outcome == iarss::store::RunOutcome::Ok),
        "{:?}",
        recorded
            .iter()
            .find(|r| r.outcome != iarss::store::RunOutcome::Ok)
    );
}

// ----------------------------------------------------------------------------------------
// Store failures
// ----------------------------------------------------------------------------------------

/// A restarted sole owner of a SQLite database does not wait for the leases of its dead
/// predecessor: holding the owner lock proves nobody else runs.
#[test]
fn a_restarted_sqlite_owner_takes_back_its_predecessors_leases() {
    let dir = kit::scratch("daemon-stale-leases");
    let db = sqlite_db(&dir);
    let server = Server::start(usize::MAX, |_, s| respond(s, "200 OK", FEED));
    add_news_page(&db, &server.url("/feed.xml"));
    // What a daemon killed in the middle of a run leaves: a claim held for an hour more.
    kit::execute_sql(
        &db,
        "UPDATE feeds SET next_due_at = 0, lease_owner = 'dead-daemon', \
         lease_expires_at = CAST(unixepoch('subsec') * 1000 AS BIGINT) + 3600000",
    );
    let mut daemon = Daemon::spawn(&dir, "restarted", &db, &[]);
    daemon.wait_ready();
    assert!(
        wait_until(Duration::from_secs(5), || !runs(&db, "news").is_empty()),
        "the feed waits for a dead daemon's lease\n{}",
        daemon.log()
    );
    assert_eq!(daemon.terminate(Duration::from_secs(10)), 0);
}

/// Commits that keep failing (here: the articles table refuses every write, as a full disk
/// would) are recorded as `store_error` runs, count for backoff, and make `/readyz` answer
/// 503 quickly; it answers 200 again once a commit succeeds.
#[test]
fn failing_commits_are_recorded_and_make_the_daemon_unready() {
    let dir = kit::scratch("daemon-store-errors");
    let db = sqlite_db(&dir);
    let server = Server::start(usize::MAX, |_, s| respond(s, "200 OK", FEED));
    add_news_page(&db, &server.url("/feed.xml"));
    kit::execute_sql(
        &db,
        "CREATE TRIGGER refuse BEFORE INSERT ON articles \
         BEGIN SELECT RAISE(ABORT, 'database or disk is full (simulated)'); END;",
    );
    let mut daemon = Daemon::spawn(
        &dir,
        "store-errors",
        &db,
        &[("IARSS_SCHEDULE_INTERVAL", "1s")],
    );
    daemon.wait_ready();
    let mut body = String::new();
    assert!(
        wait_until(Duration::from_secs(15), || {
            let started = Instant::now();
            let answer = daemon.get("/readyz");
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "/readyz took {:?}",
                started.elapsed()
            );
            let (code, text) = answer.unwrap_or_default();
            body = text;
            code == 503
        }),
        "/readyz stays ready while every commit fails: {body}\n{}",
        daemon.log()
    );
    assert!(
        body.contains("commits failed") && body.contains("simulated"),
        "{body}"
    );
    let all = runs(&db, "news");
    assert!(all.len() >= 3, "{all:#?}");
    assert!(
        all.iter().all(|r| r["outcome"] == "store_error"),
        "{all:#?}"
    );
    let page = page_entry(&db, "news");
    assert_eq!(page["last_outcome"], "store_error", "{page:#}");
    assert!(page["consecutive_failures"].as_i64() >= Some(3), "{page:#}");

    // The disk has room again: the next commit succeeds and the daemon is ready.
    kit::execute_sql(&db, "DROP TRIGGER refuse");
    assert!(
        wait_until(Duration::from_secs(20), || {
            daemon.get("/readyz").is_some_and(|(code, _)| code == 200)
        }),
        "{}",
        daemon.log()
    );
    assert!(wait_until(Duration::from_secs(5), || runs(&db, "news")[0]
        ["outcome"]
        == "ok"));
    assert_eq!(daemon.terminate(Duration::from_secs(10)), 0);
}

/// Claims that fail (a full disk refuses the lease's write) make `/readyz` answer 503
/// within seconds, though no run gets as far as a commit.
#[test]
fn failing_claims_make_the_daemon_unready() {
    let dir = kit::scratch("daemon-claims-fail");
    let db = sqlite_db(&dir);
    let server = Server::start(usize::MAX, |_, s| respond(s, "200 OK", FEED));
    add_news_page(&db, &server.url("/feed.xml"));
    // A run in flight when the disk fills keeps its lease until it expires.
    let mut daemon = Daemon::spawn(&dir, "claims-fail", &db, &[("IARSS_SCHEDULE_LEASE", "11s")]);
    daemon.wait_ready();
    kit::execute_sql(
        &db,
        "CREATE TRIGGER refuse BEFORE UPDATE OF lease_owner ON feeds \
         BEGIN SELECT RAISE(ABORT, 'database or disk is full (simulated)'); END;",
    );
    let started = Instant::now();
    let mut body = String::new();
    assert!(
        wait_until(Duration::from_secs(8), || {
            let (code, text) = daemon.get("/readyz").unwrap_or_default();
            body = text;
            code == 503
        }),
        "/readyz stays ready while every claim fails: {body}\n{}",
        daemon.log()
    );
    assert!(body.contains("simulated"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(8));
    kit::execute_sql(&db, "DROP TRIGGER refuse");
    assert!(
        wait_until(Duration::from_secs(20), || {
            daemon.get("/readyz").is_some_and(|(code, _)| code == 200)
        }),
        "{}",
        daemon.log()
    );
    assert_eq!(daemon.terminate(Duration::from_secs(10)), 0);
}

/// A read-only database makes the daemon unready at once, before any commit fails.
#[test]
fn a_read_only_database_is_not_ready() {
    let dir = kit::scratch("daemon-read-only");
    let db = sqlite_db(&dir);
    cli_ok(&db, &["pages", "list"]);
    // Opened read-only, as a file on a read-only mount would be (root writes a 0444 file).
    let ro = format!("{db}?mode=ro");
    let mut daemon = Daemon::spawn(&dir, "read-only", &ro, &[]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut answer = None;
    while Instant::now() < deadline {
        if let Some(a) = daemon.get("/readyz") {
            answer = Some(a);
            break;
        }
        thread::sleep(Duration::from_millis(50));
    }
    let (code, body) = answer.expect("/readyz answers");
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("does not take writes"), "{body}");
    let _ = daemon.terminate(Duration::from_secs(10));
}

/// A TCP relay between the daemon and PostgreSQL that can go silent: connections stay open
/// but nothing passes either way, as with a server that hangs or a network that drops.
struct SilentableRelay {
    addr: SocketAddr,
    silent: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl SilentableRelay {
    fn start(target: SocketAddr) -> SilentableRelay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind relay");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let silent = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (silent.clone(), stop.clone());
        thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !st.load(Ordering::SeqCst) && Instant::now() < deadline {
                let Ok((client, _)) = listener.accept() else {
                    thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                let _ = client.set_nonblocking(false);
                for (mut from, mut to) in [
                    (
                        client.try_clone().expect("clone"),
                        server.try_clone().expect("clone"),
                    ),
                    (server, client),
                ] {
                    let (s, st) = (s.clone(), st.clone());
                    thread::spawn(move || {
                        let _ = from.set_read_timeout(Some(Duration::from_millis(100)));
                        let mut buf = [0u8; 16 * 1024];
                        while !st.load(Ordering::SeqCst) {
                            if s.load(Ordering::SeqCst) {
                                thread::sleep(Duration::from_millis(20));
                                continue;
                            }
                            match from.read(&mut buf) {
                                Ok(0) => break,
                                Ok(n) => {
                                    if to.write_all(&buf[..n]).is_err() {
                                        break;
                                    }
                                }
                                Err(e)
                                    if matches!(
                                        e.kind(),
                                        std::io::ErrorKind::WouldBlock
                                            | std::io::ErrorKind::TimedOut
                                    ) => {}
                                Err(_) => break,
                            }
                        }
                    });
                }
            }
        });
        SilentableRelay { addr, silent, stop }
    }
}

impl Drop for SilentableRelay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A database that stops answering makes `/readyz` answer 503 within a second (not after
/// the pool's 10 s acquire timeout), the operator pages answer too, and readiness comes back
/// when the database does.
#[test]
fn readiness_answers_within_a_second_when_postgres_hangs() {
    let pg = PgDb::create("hang");
    let url = url::Url::parse(pg.url()).expect("URL");
    let target: SocketAddr = format!(
        "{}:{}",
        url.host_str().expect("host"),
        url.port().unwrap_or(5432)
    )
    .parse()
    .expect("address");
    let relay = SilentableRelay::start(target);
    let mut via = url.clone();
    via.set_port(Some(relay.addr.port())).expect("port");
    let dir = kit::scratch("daemon-pg-hang");
    let mut daemon = Daemon::spawn(&dir, "pg-hang", via.as_str(), &[]);
    daemon.wait_ready();

    relay.silent.store(true, Ordering::SeqCst);
    // A web page looks its session up in the store: a well-formed (unknown) session cookie.
    let cookie = format!(
        "Cookie: iarss_session={}.{}\r\n",
        "A".repeat(22),
        "B".repeat(43)
    );
    for path in ["/readyz", "/readyz", "/"] {
        let started = Instant::now();
        let answer = http_get_with(daemon.listen, path, &cookie);
        let took = started.elapsed();
        let (code, body) = answer.expect("answers");
        assert_eq!(code, 503, "{path}: {body}");
        let limit = if path == "/readyz" { 1500 } else { 3000 };
        assert!(took < Duration::from_millis(limit), "{path} took {took:?}");
    }

    relay.silent.store(false, Ordering::SeqCst);
    assert!(
        wait_until(Duration::from_secs(20), || {
            daemon.get("/readyz").is_some_and(|(code, _)| code == 200)
        }),
        "ready again\n{}",
        daemon.log()
    );
    let _ = daemon.terminate(Duration::from_secs(15));
}
