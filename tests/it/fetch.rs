//! Downloading feeds (docs/ingestion.md, Fetching; docs/cli.md, Run outcomes) against real
//! HTTP servers on 127.0.0.1: conditional GET, HTTP failures, redirects, the time and size
//! bounds, the SSRF guard, credentials in feed URLs and the parse budget, through `Fetcher`
//! and `run_feed` as the daemon and `iarss ingest` use them.
//!
//! Every server is a plain `std::net::TcpListener` on a thread that answers a bounded
//! number of connections (one request each, `Connection: close`) and stops by itself.

use crate::kit;
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use iarss::fetch::{FetchConfig, FetchError, Fetcher};
use iarss::ingest::{FeedSource, RunOptions, RunResult, run_feed};
use iarss::model::Domain;
use iarss::store::{FeedKind, NewPage, Page, RunOutcome, Store};
use iarss::validate::RuleId;
use kit::http::{Server, respond};

const FEED: &[u8] = include_bytes!("../../testdata/feeds/example.xml");
const DOMAIN: &str = "news.example.com";

// ----------------------------------------------------------------------------------------
// A tiny HTTP server
// ----------------------------------------------------------------------------------------

fn respond_feed(stream: &mut TcpStream, body: &[u8]) {
    respond(
        stream,
        "200 OK",
        &[("Content-Type", "application/rss+xml; charset=utf-8")],
        body,
    );
}

// ----------------------------------------------------------------------------------------
// Store and run helpers
// ----------------------------------------------------------------------------------------

/// A fresh SQLite store with one enabled page on `news.example.com` whose production feed
/// is `feed_url` (so the feed's state and validators follow runs of that URL).
async fn store_with_page(test: &str, feed_url: &str) -> (Store, Page) {
    let dir = kit::scratch(&format!("fetch-{test}"));
    let store = Store::open(&format!("sqlite://{}", dir.join("iarss.db").display()))
        .await
        .expect("open the SQLite store");
    let page = store
        .add_page(&NewPage {
            id: "news".into(),
            name: "Example News".into(),
            domain: Domain::parse(DOMAIN).expect("domain"),
            feed_url: Some(feed_url.to_string()),
            dev_feed_url: None,
            enabled: true,
        })
        .await
        .expect("add the page");
    (store, page)
}

fn options(fetch: FetchConfig) -> RunOptions {
    RunOptions {
        fetch,
        conditional: true,
        ..RunOptions::default()
    }
}

async fn run(store: &Store, page: &Page, url: &str, options: &RunOptions) -> RunResult {
    run_feed(
        store,
        page,
        &FeedSource::Url(url.to_string()),
        FeedKind::Production,
        options,
    )
    .await
    .expect("the run is recorded")
}

/// The feed-level rules a failed run logged.
fn rules(result: &RunResult) -> Vec<RuleId> {
    result.diagnostics.iter().map(|d| d.rule).collect()
}

fn assert_failed(result: &RunResult, outcome: RunOutcome, rule: RuleId) {
    assert_eq!(result.run.outcome, outcome, "{:?}", result.run);
    assert_eq!(rules(result), [rule], "{:?}", result.diagnostics);
    assert!(result.run.error.is_some(), "{:?}", result.run);
    assert_eq!(
        (
            result.run.counts.items,
            result.run.counts.inserted,
            result.run.counts.updated
        ),
        (0, 0, 0)
    );
}

fn fetcher(config: FetchConfig) -> Fetcher {
    Fetcher::new(config).expect("HTTP client")
}

// ----------------------------------------------------------------------------------------
// Conditional GET
// ----------------------------------------------------------------------------------------

const ETAG: &str = "\"v1-abc\"";
const LAST_MODIFIED: &str = "Fri, 20 Nov 2026 09:30:00 GMT";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_get_answered_304_is_not_modified() {
    let server = Server::start(4, |req, stream| {
        let fresh = req.header("If-None-Match") == Some(ETAG)
            && req.header("If-Modified-Since") == Some(LAST_MODIFIED);
        if fresh {
            respond(stream, "304 Not Modified", &[("ETag", ETAG)], b"");
        } else {
            respond(
                stream,
                "200 OK",
                &[
                    ("Content-Type", "application/rss+xml; charset=utf-8"),
                    ("ETag", ETAG),
                    ("Last-Modified", LAST_MODIFIED),
                ],
                FEED,
            );
        }
    });
    let url = server.url("/feed.xml");
    let (store, page) = store_with_page("conditional", &url).await;
    let opts = options(FetchConfig::default());

    let first = run(&store, &page, &url, &opts).await;
    assert_eq!(first.run.outcome, RunOutcome::Ok, "{:?}", first.run);
    assert_eq!(first.run.http_status, Some(200));
    assert_eq!(first.run.counts.items, 3);
    assert!(first.run.counts.inserted >= 1, "{:?}", first.run);
    let state = store
        .feed_state("news", FeedKind::Production)
        .await
        .expect("state")
        .expect("the feed row");
    assert_eq!(state.etag.as_deref(), Some(ETAG));
    assert_eq!(state.last_modified.as_deref(), Some(LAST_MODIFIED));
    let articles = store.articles(Some("news")).await.expect("articles").len();

    // Twice: a not_modified run keeps the validators of the last ok run.
    for _ in 0..2 {
        let second = run(&store, &page, &url, &opts).await;
        let r = &second.run;
        assert_eq!(r.outcome, RunOutcome::NotModified, "{r:?}");
        assert_eq!(r.http_status, Some(304));
        assert_eq!(
            (
                r.bytes,
                r.counts.items,
                r.counts.inserted,
                r.counts.updated,
                r.counts.unchanged,
                r.counts.ignored,
                r.counts.rejected
            ),
            (0, 0, 0, 0, 0, 0, 0),
            "{r:?}"
        );
        assert!(r.error.is_none() && second.diagnostics.is_empty());
    }
    assert_eq!(
        store.articles(Some("news")).await.expect("articles").len(),
        articles
    );
    let stored = store.runs(Some("news"), 10).await.expect("runs");
    assert_eq!(
        stored.iter().map(|r| r.outcome).collect::<Vec<_>>(),
        [
            RunOutcome::NotModified,
            RunOutcome::NotModified,
            RunOutcome::Ok
        ]
    );

    // One-shot runs without --conditional send no validators.
    let plain = RunOptions {
        conditional: false,
        ..opts.clone()
    };
    let third = run(&store, &page, &url, &plain).await;
    assert_eq!(third.run.outcome, RunOutcome::Ok);
    assert_eq!(third.run.counts.items, 3);

    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    for (i, req) in requests.iter().enumerate() {
        let conditional = i == 1 || i == 2;
        assert_eq!(
            req.header("If-None-Match"),
            conditional.then_some(ETAG),
            "request {i}"
        );
        assert_eq!(
            req.header("If-Modified-Since"),
            conditional.then_some(LAST_MODIFIED),
            "request {i}"
        );
        assert!(
            req.header("User-Agent")
                .is_some_and(|ua| ua.starts_with("iarss/")),
            "{req:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_agent_is_configurable() {
    let server = Server::start(1, |_, stream| respond_feed(stream, FEED));
    let fetched = fetcher(FetchConfig {
        user_agent: "facebookexternalhit/1.1".into(),
        ..FetchConfig::default()
    })
    .get(&server.url("/"), None)
    .await
    .expect("fetched");
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, FEED);
    assert_eq!(fetched.charset.as_deref(), Some("utf-8"));
    assert_eq!(
        server.requests()[0].header("User-Agent"),
        Some("facebookexternalhit/1.1")
    );
}

// ----------------------------------------------------------------------------------------
// HTTP failures and redirects
// ----------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_statuses_are_fetch_errors() {
    let server = Server::start(8, |req, stream| {
        let status = match req.path.as_str() {
            "/missing" => "404 Not Found",
            _ => "500 Internal Server Error",
        };
        respond(
            stream,
            status,
            &[("Content-Type", "text/html")],
            b"<p>no</p>",
        );
    });
    let f = fetcher(FetchConfig::default());
    for (path, code) in [("/missing", 404), ("/broken", 500)] {
        let err = f.get(&server.url(path), None).await.expect_err(path);
        assert!(matches!(err, FetchError::Status(c) if c == code), "{err:?}");
        assert_eq!(err.status(), Some(code));
        assert_eq!(err.rule(), RuleId::FeedFetchFailed);
    }

    let url = server.url("/broken");
    let (store, page) = store_with_page("statuses", &url).await;
    let opts = options(FetchConfig::default());
    for (path, code) in [("/missing", 404u16), ("/broken", 500)] {
        let result = run(&store, &page, &server.url(path), &opts).await;
        assert_failed(&result, RunOutcome::FetchError, RuleId::FeedFetchFailed);
        assert_eq!(result.run.http_status, Some(code));
        assert!(
            result
                .run
                .error
                .as_deref()
                .unwrap_or_default()
                .contains(&code.to_string()),
            "{:?}",
            result.run
        );
        assert_eq!(RuleId::FeedFetchFailed.as_str(), "feed-fetch-failed");
    }
    // The feed's state follows its configured URL: one failure, no validators.
    let state = store
        .feed_state("news", FeedKind::Production)
        .await
        .expect("state")
        .expect("row");
    assert_eq!(state.consecutive_failures, 1);
    assert_eq!(state.last_outcome.as_deref(), Some("fetch_error"));
    assert!(state.etag.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_at_most_five_times() {
    let server = Server::start(40, |req, stream| {
        let path = req.path.as_str();
        let location = if let Some(n) = path.strip_prefix("/chain/") {
            match n.parse::<u32>().unwrap_or(0) {
                0 => None,
                n => Some(format!("/chain/{}", n - 1)),
            }
        } else if path == "/loop/a" {
            Some("/loop/b".to_string())
        } else {
            Some("/loop/a".to_string())
        };
        match location {
            Some(to) => respond(stream, "302 Found", &[("Location", &to)], b""),
            None => respond_feed(stream, FEED),
        }
    });
    let f = fetcher(FetchConfig::default());
    let ok = f.get(&server.url("/chain/5"), None).await.expect("5 hops");
    assert_eq!((ok.status, ok.body.len()), (200, FEED.len()));

    let err = f
        .get(&server.url("/chain/6"), None)
        .await
        .expect_err("6 hops");
    assert!(matches!(err, FetchError::Redirects(5)), "{err:?}");
    let before = server.requests().len();
    let err = f.get(&server.url("/loop/a"), None).await.expect_err("loop");
    assert!(matches!(err, FetchError::Redirects(_)), "{err:?}");
    assert_eq!(err.rule(), RuleId::FeedFetchFailed);
    let looped = server.requests().len() - before;
    assert!(looped <= 6, "{looped} requests for a redirect loop");
    let reached_end = server
        .requests()
        .iter()
        .filter(|r| r.path == "/chain/0")
        .count();
    assert_eq!(reached_end, 1, "only the five-hop chain reaches its end");

    let url = server.url("/loop/a");
    let (store, page) = store_with_page("redirects", &url).await;
    let result = run(&store, &page, &url, &options(FetchConfig::default())).await;
    assert_failed(&result, RunOutcome::FetchError, RuleId::FeedFetchFailed);
    assert_eq!(result.run.http_status, None);
}

// ----------------------------------------------------------------------------------------
// Time and size bounds
// ----------------------------------------------------------------------------------------

/// Headers, then one body byte every `every`, at most `bytes` of them.
fn trickle(stream: &mut TcpStream, every: Duration, bytes: usize) {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {bytes}\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    let _ = stream.flush();
    for _ in 0..bytes {
        thread::sleep(every);
        if stream
            .write_all(b" ")
            .and_then(|()| stream.flush())
            .is_err()
        {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_times_out() {
    let server = Server::start(4, |_, stream| {
        trickle(stream, Duration::from_millis(300), 20);
    });
    let config = FetchConfig {
        timeout: Duration::from_secs(20),
        read_idle_timeout: Duration::from_millis(100),
        ..FetchConfig::default()
    };
    let started = Instant::now();
    let err = fetcher(config.clone())
        .get(&server.url("/slow"), None)
        .await
        .expect_err("stalled");
    assert!(matches!(err, FetchError::Timeout(_)), "{err:?}");
    assert_eq!(err.rule(), RuleId::FeedDownloadTimeout);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    let url = server.url("/slow");
    let (store, page) = store_with_page("stalled", &url).await;
    let started = Instant::now();
    let result = run(&store, &page, &url, &options(config)).await;
    assert_failed(&result, RunOutcome::Timeout, RuleId::FeedDownloadTimeout);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        RuleId::FeedDownloadTimeout.as_str(),
        "feed-download-timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_download_has_a_deadline() {
    // Bytes keep coming (never idle for long), and headers that never come.
    let server = Server::start(4, |req, stream| {
        if req.path == "/drip" {
            trickle(stream, Duration::from_millis(40), 200);
        } else {
            thread::sleep(Duration::from_secs(3));
        }
    });
    let config = FetchConfig {
        timeout: Duration::from_millis(800),
        read_idle_timeout: Duration::from_millis(500),
        ..FetchConfig::default()
    };
    let f = fetcher(config);
    for path in ["/drip", "/silent"] {
        let started = Instant::now();
        let err = f.get(&server.url(path), None).await.expect_err(path);
        assert!(matches!(err, FetchError::Timeout(_)), "{path}: {err:?}");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(700) && took < Duration::from_millis(2500),
            "{path}: {took:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_body_is_too_large() {
    let server = Server::start(4, |_, stream| {
        let head =
            "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n";
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        let chunk = [b'x'; 8192];
        // Bounded at 256 MiB; the client hangs up long before.
        for _ in 0..32 * 1024 {
            if stream.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let config = FetchConfig {
        max_body_bytes: 64 * 1024,
        ..FetchConfig::default()
    };
    let started = Instant::now();
    let err = fetcher(config.clone())
        .get(&server.url("/endless"), None)
        .await
        .expect_err("endless");
    assert!(matches!(err, FetchError::TooLarge(65536)), "{err:?}");
    assert_eq!(err.rule(), RuleId::FeedTooLarge);
    assert!(started.elapsed() < Duration::from_secs(5));

    let url = server.url("/endless");
    let (store, page) = store_with_page("endless", &url).await;
    let result = run(&store, &page, &url, &options(config)).await;
    assert_failed(&result, RunOutcome::TooLarge, RuleId::FeedTooLarge);
    assert_eq!(RuleId::FeedTooLarge.as_str(), "feed-too-large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_bomb_stops_at_the_decompressed_cap() {
    use flate2::Compression;
    use flate2::write::GzEncoder;

    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..50 {
        encoder.write_all(&zeros).expect("compress");
    }
    let bomb = Arc::new(encoder.finish().expect("gzip"));
    assert!(bomb.len() < 200 * 1024, "{} compressed bytes", bomb.len());
    let body = bomb.clone();
    let server = Server::start(4, move |_, stream| {
        respond(
            stream,
            "200 OK",
            &[
                ("Content-Type", "application/rss+xml"),
                ("Content-Encoding", "gzip"),
            ],
            &body,
        );
    });
    let config = FetchConfig {
        max_body_bytes: 1024 * 1024,
        ..FetchConfig::default()
    };
    let started = Instant::now();
    let err = fetcher(config.clone())
        .get(&server.url("/bomb"), None)
        .await
        .expect_err("bomb");
    assert!(matches!(err, FetchError::TooLarge(1048576)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let accept = server.requests()[0]
        .header("Accept-Encoding")
        .unwrap_or_default()
        .to_string();
    assert!(accept.contains("gzip"), "{accept}");

    let url = server.url("/bomb");
    let (store, page) = store_with_page("gzip-bomb", &url).await;
    let started = Instant::now();
    let result = run(&store, &page, &url, &options(config)).await;
    assert_failed(&result, RunOutcome::TooLarge, RuleId::FeedTooLarge);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_feed_within_the_cap_is_read() {
    use flate2::Compression;
    use flate2::write::GzEncoder;

    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(FEED).expect("compress");
    let gz = encoder.finish().expect("gzip");
    let server = Server::start(1, move |_, stream| {
        respond(
            stream,
            "200 OK",
            &[
                ("Content-Type", "application/rss+xml; charset=utf-8"),
                ("Content-Encoding", "gzip"),
            ],
            &gz,
        );
    });
    let fetched = fetcher(FetchConfig::default())
        .get(&server.url("/"), None)
        .await
        .expect("fetched");
    assert_eq!(fetched.body, FEED);
}

// ----------------------------------------------------------------------------------------
// Not a feed; the parse budget
// ----------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_page_is_not_rss() {
    let server = Server::start(1, |_, stream| {
        respond(
            stream,
            "200 OK",
            &[("Content-Type", "text/html; charset=utf-8")],
            b"<!doctype html>\n<html><head><title>Example News</title></head>\
              <body><h1>Welcome</h1><p>Our feed moved.</p></body></html>\n",
        );
    });
    let url = server.url("/");
    let (store, page) = store_with_page("html", &url).await;
    let result = run(&store, &page, &url, &options(FetchConfig::default())).await;
    assert_failed(&result, RunOutcome::ParseError, RuleId::FeedNotRss);
    assert_eq!(result.run.http_status, Some(200));
    assert_eq!(RuleId::FeedNotRss.as_str(), "feed-not-rss");
    assert!(store.articles(None).await.expect("articles").is_empty());
}

/// A valid feed of `n` items on news.example.com.
fn big_feed(n: usize) -> Vec<u8> {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n\
         <channel>\n<title>Example News</title>\n<link>https://news.example.com/</link>\n\
         <description>Generated</description>\n",
    );
    for i in 0..n {
        let url = format!("https://news.example.com/{i}/story");
        s.push_str(&format!(
            "<item>\n<title>Story {i}</title>\n<link>{url}</link>\n\
             <guid isPermaLink=\"false\">story-{i}</guid>\n\
             <pubDate>Fri, 20 Nov 2026 08:00:00 +0000</pubDate>\n\
             <content:encoded><![CDATA[<!doctype html>\n\
             <html lang=\"en\" prefix=\"op: http://media.facebook.com/op#\">\n\
             <head>\n<meta charset=\"utf-8\">\n<link rel=\"canonical\" href=\"{url}\">\n\
             <meta property=\"op:markup_version\" content=\"v1.0\">\n</head>\n\
             <body>\n<article>\n<header>\n<h1>Story {i}</h1>\n\
             <time class=\"op-published\" datetime=\"2026-11-20T08:00:00Z\">November 20, 2026</time>\n\
             </header>\n<p>Paragraph one of story {i}, long enough to be text.</p>\n\
             <p>Paragraph two of story {i}.</p>\n</article>\n</body>\n</html>]]></content:encoded>\n\
             </item>\n"
        ));
    }
    s.push_str("</channel>\n</rss>\n");
    s.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_not_parsed_within_the_budget_fails_the_run() {
    let big = Arc::new(big_feed(1500));
    let body = big.clone();
    let server = Server::start(3, move |req, stream| {
        if req.path == "/big" {
            respond_feed(stream, &body);
        } else {
            respond_feed(stream, FEED);
        }
    });
    let url = server.url("/big");
    let (store, page) = store_with_page("budget", &url).await;

    let zero = RunOptions {
        parse_budget: Duration::ZERO,
        ..options(FetchConfig::default())
    };
    let result = run(&store, &page, &server.url("/small"), &zero).await;
    assert_failed(
        &result,
        RunOutcome::ParseBudgetExceeded,
        RuleId::FeedParseBudgetExceeded,
    );
    assert_eq!(result.run.bytes, FEED.len() as u64);

    let tight = RunOptions {
        parse_budget: Duration::from_millis(1),
        ..options(FetchConfig::default())
    };
    let result = run(&store, &page, &url, &tight).await;
    assert_failed(
        &result,
        RunOutcome::ParseBudgetExceeded,
        RuleId::FeedParseBudgetExceeded,
    );
    assert_eq!(
        RuleId::FeedParseBudgetExceeded.as_str(),
        "feed-parse-budget-exceeded"
    );
    assert!(store.articles(None).await.expect("articles").is_empty());

    // The same feed within the default budget is a good feed.
    let result = run(&store, &page, &url, &options(FetchConfig::default())).await;
    assert_eq!(
        result.run.outcome,
        RunOutcome::Ok,
        "{:?}",
        result.diagnostics.first()
    );
    assert_eq!(
        (result.run.counts.items, result.run.counts.inserted),
        (1500, 1500)
    );
}

// ----------------------------------------------------------------------------------------
// The SSRF guard
// ----------------------------------------------------------------------------------------

/// Host names other than `localhost` that `/etc/hosts` maps to a loopback address here:
/// they reach the guard through the resolver, not as a literal.
fn loopback_names(port: u16) -> Vec<String> {
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    hosts
        .lines()
        .filter_map(|l| {
            let mut words = l.split('#').next()?.split_whitespace();
            let ip: IpAddr = words.next()?.parse().ok()?;
            ip.is_loopback()
                .then(|| words.map(str::to_string).collect::<Vec<_>>())
        })
        .flatten()
        .filter(|name| !name.eq_ignore_ascii_case("localhost") && name.parse::<IpAddr>().is_err())
        .filter(|name| {
            (name.as_str(), port)
                .to_socket_addrs()
                .is_ok_and(|mut a| a.all(|a| a.ip().is_loopback()))
        })
        .take(2)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_refuses_private_addresses_before_connecting() {
    let server = Server::start(4, |_, stream| respond_feed(stream, FEED));
    let port = server.port();
    let guarded = fetcher(FetchConfig {
        allow_private_networks: false,
        ..FetchConfig::default()
    });
    let mut urls: Vec<String> = [
        "127.0.0.1",
        "localhost",
        "LocalHost",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "2130706433",
        "0x7f.1",
        "0.0.0.0",
    ]
    .iter()
    .map(|h| format!("http://{h}:{port}/feed.xml"))
    .collect();
    urls.extend(
        loopback_names(port)
            .iter()
            .map(|h| format!("http://{h}:{port}/feed.xml")),
    );
    for url in &urls {
        let err = guarded.get(url, None).await.expect_err(url);
        assert!(matches!(err, FetchError::Refused(_)), "{url}: {err:?}");
        assert_eq!(err.rule(), RuleId::FeedFetchFailed);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.connections(), 0, "{:?}", server.requests());

    // run_feed records the refusal as a fetch error.
    let url = server.url("/feed.xml");
    let (store, page) = store_with_page("guard", &url).await;
    let guarded_run = options(FetchConfig {
        allow_private_networks: false,
        ..FetchConfig::default()
    });
    let result = run(&store, &page, &url, &guarded_run).await;
    assert_failed(&result, RunOutcome::FetchError, RuleId::FeedFetchFailed);
    assert_eq!(server.connections(), 0);

    // With the guard off the same URLs work.
    let open = fetcher(FetchConfig {
        allow_private_networks: true,
        ..FetchConfig::default()
    });
    let fetched = open.get(&url, None).await.expect("allowed");
    assert_eq!(fetched.body, FEED);
    let result = run(&store, &page, &url, &options(FetchConfig::default())).await;
    assert_eq!(result.run.outcome, RunOutcome::Ok);
    assert_eq!(server.requests().len(), 2);
}

// ----------------------------------------------------------------------------------------
// Credentials in the feed URL
// ----------------------------------------------------------------------------------------

const PASSWORD: &str = "Hunter2pass";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_credentials_are_sent_and_never_logged() {
    // base64("reader:Hunter2pass")
    let expected = "Basic cmVhZGVyOkh1bnRlcjJwYXNz";
    let server = Server::start(4, move |req, stream| {
        if req.header("Authorization") == Some(expected) {
            respond_feed(stream, FEED);
        } else {
            respond(
                stream,
                "401 Unauthorized",
                &[("WWW-Authenticate", "Basic realm=\"feeds\"")],
                b"who are you?",
            );
        }
    });
    let port = server.port();
    let good = format!("http://reader:{PASSWORD}@127.0.0.1:{port}/feed.xml");
    let bad = format!("http://reader:{PASSWORD}-old@127.0.0.1:{port}/feed.xml");
    let (store, page) = store_with_page("basic-auth", &good).await;
    let opts = options(FetchConfig::default());

    let ok = run(&store, &page, &good, &opts).await;
    assert_eq!(ok.run.outcome, RunOutcome::Ok, "{:?}", ok.run);

    let denied = run(&store, &page, &bad, &opts).await;
    assert_failed(&denied, RunOutcome::FetchError, RuleId::FeedFetchFailed);
    assert_eq!(denied.run.http_status, Some(401));

    // A connection failure too: nobody listens on this port any more.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let unreachable = format!("http://reader:{PASSWORD}@127.0.0.1:{closed}/feed.xml");
    let refused = run(&store, &page, &unreachable, &opts).await;
    assert_failed(&refused, RunOutcome::FetchError, RuleId::FeedFetchFailed);

    for result in [&denied, &refused] {
        let error = result.run.error.as_deref().unwrap_or_default();
        assert!(!error.contains(PASSWORD), "{error}");
        for d in &result.diagnostics {
            assert!(!d.message.contains(PASSWORD), "{}", d.message);
        }
    }
    for r in store.runs(Some("news"), 10).await.expect("runs") {
        assert!(
            !r.error.as_deref().unwrap_or_default().contains(PASSWORD),
            "{r:?}"
        );
    }
    for d in store.warnings(Some("news"), None).await.expect("warnings") {
        assert!(!d.message.contains(PASSWORD), "{}", d.message);
    }
    let state = store
        .feed_state("news", FeedKind::Production)
        .await
        .expect("state")
        .expect("row");
    assert!(
        !state
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains(PASSWORD),
        "{state:?}"
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("Authorization"), Some(expected));
    assert!(requests[1].header("Authorization").is_some());
    assert_ne!(requests[1].header("Authorization"), Some(expected));
}

// ----------------------------------------------------------------------------------------
// Servers that ask to wait, redirect elsewhere, or drop kept-alive connections
// ----------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_on_429_and_503_is_kept_for_the_scheduler() {
    let server = Server::start(8, |req, stream| {
        let (status, after) = match req.path.as_str() {
            "/busy" => ("429 Too Many Requests", "120"),
            "/down" => ("503 Service Unavailable", "Fri, 31 Dec 2100 23:59:59 GMT"),
            _ => ("503 Service Unavailable", "soon"),
        };
        respond(stream, status, &[("Retry-After", after)], b"later");
    });
    let f = fetcher(FetchConfig::default());
    let err = f.get(&server.url("/busy"), None).await.expect_err("429");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)), "{err:?}");
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.rule(), RuleId::FeedFetchFailed);
    let err = f.get(&server.url("/down"), None).await.expect_err("503");
    assert!(
        err.retry_after()
            .is_some_and(|d| d > Duration::from_secs(86_400)),
        "{err:?}"
    );
    // An unreadable Retry-After is an ordinary status error.
    let err = f.get(&server.url("/bad"), None).await.expect_err("503");
    assert!(matches!(err, FetchError::Status(503)), "{err:?}");

    let (store, page) = store_with_page("retry-after", &server.url("/busy")).await;
    let result = run(
        &store,
        &page,
        &server.url("/busy"),
        &options(FetchConfig::default()),
    )
    .await;
    assert_failed(&result, RunOutcome::FetchError, RuleId::FeedFetchFailed);
    assert_eq!(result.retry_after, Some(Duration::from_secs(120)));
    assert_eq!(result.run.http_status, Some(429));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_scheme_says_so() {
    let server = Server::start(4, |_, stream| {
        respond(
            stream,
            "302 Found",
            &[("Location", "ftp://news.example.com/feed.xml")],
            b"",
        );
    });
    let err = fetcher(FetchConfig::default())
        .get(&server.url("/feed.xml"), None)
        .await
        .expect_err("not followed");
    let text = err.to_string();
    assert!(
        text.contains("ftp://news.example.com/feed.xml") && text.contains("not an http(s) URL"),
        "{text}"
    );
}

/// A server that answers the first request of its first connection with keep-alive, then
/// reads the next request on it and closes without a word (its keep-alive timeout hit just
/// then); later connections are answered normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_closed_by_the_server_is_retried_once() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    thread::spawn(move || {
        // Reads one request head; false when the connection ended first.
        let read_head = |reader: &mut BufReader<TcpStream>| -> bool {
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => return false,
                    Ok(_) if line == "\r\n" || line == "\n" => return true,
                    Ok(_) => {}
                }
            }
        };
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            if !read_head(&mut reader) {
                continue;
            }
            let body = FEED;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n",
                body.len(),
                if n == 0 { "keep-alive" } else { "close" }
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body);
            let _ = stream.flush();
            if n == 0 {
                // The next request arrives on this connection; it is dropped unanswered.
                let _ = read_head(&mut reader);
            }
        }
    });
    let url = format!("http://{addr}/feed.xml");
    let f = fetcher(FetchConfig::default());
    assert_eq!(f.get(&url, None).await.expect("first").body, FEED);
    let second = f
        .get(&url, None)
        .await
        .expect("sent again on a fresh connection");
    assert_eq!(second.body, FEED);
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

/// `HTTP_PROXY` in the environment is not used: behind a proxy the guard could not see the
/// address a feed URL reaches.
#[test]
fn proxies_from_the_environment_are_ignored() {
    let feed = Server::start(2, |_, stream| respond_feed(stream, FEED));
    let proxy = Server::start(2, |_, stream| {
        respond(stream, "502 Bad Gateway", &[], b"proxied");
    });
    let out = kit::iarss()
        .args(["lint", &feed.url("/feed.xml"), "--format", "json"])
        .env("HTTP_PROXY", proxy.url(""))
        .env("http_proxy", proxy.url(""))
        .env("ALL_PROXY", proxy.url(""))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .expect("run iarss");
    let doc = kit::json(&out);
    assert_eq!(doc["inputs"][0]["kind"], "feed", "{doc:#}");
    assert!(proxy.requests().is_empty(), "the proxy was used");
    assert_eq!(feed.requests().len(), 1);
}
