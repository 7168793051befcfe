//! The API's latency with 100,000 stored articles on one page, on SQLite and (when
//! `IARSS_TEST_DATABASE_URL` names a server, as `scripts/with-postgres.sh` sets it)
//! PostgreSQL, the server on one core (a current-thread runtime on its own thread):
//!
//! - `GET /api/v1/articles?url=` of random articles, and a page's article list (50 items),
//!   first screens and screens deep behind a cursor: p50 / p99 (target p99 < 20 ms);
//! - imports of new articles: p50 / p99 (target p99 < 50 ms);
//! - a dry run of the 500-item medium feed against a plain lint of it (target ≤ 1.3×).
//!
//! - many writers at once: 1, 4 and 32 API clients reading, importing and editing articles
//!   of one page while the page's feed runs back to back in the same process, as a daemon
//!   runs feeds beside its API (`BENCH_API_WRITERS_SECS` each,
//!   default 20): throughput and latency of each kind of request, 5xx answers, lost writes,
//!   runs not `ok`.
//!
//! `cargo bench --bench api` (PostgreSQL too: `scripts/with-postgres.sh cargo bench --bench api`).
//! `BENCH_API=latency` or `BENCH_API=writers` runs one part only.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use feedgen::FeedSpec;
use iarss::access::{Access, AccessSettings, Caller, Role, SecureCookies};
use iarss::fetch::{FetchConfig, Fetcher};
use iarss::http::{AppState, router};
use iarss::model::Domain;
use iarss::schedule::Heartbeat;
use iarss::service::Service;
use iarss::store::{NewPage, Store};
use iarss::validate::{CheckOptions, check_input};

#[path = "../tests/kit/api/mod.rs"]
mod api_support;
#[path = "../tests/kit/feedgen.rs"]
mod feedgen;
#[path = "../tests/kit/postgres.rs"]
mod postgres;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ARTICLES: i64 = 100_000;
const DOMAIN: &str = "news.example.com";

fn data_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("create target/bench-data");
    dir
}

fn article_html(url: &str, n: i64) -> String {
    format!(
        "<!doctype html><html lang=\"en\" prefix=\"op: http://media.facebook.com/op#\"><head>\
         <meta charset=\"utf-8\"><link rel=\"canonical\" href=\"{url}\">\
         <meta property=\"op:markup_version\" content=\"v1.0\"></head><body><article><header>\
         <h1>Story number {n}</h1><time class=\"op-published\" datetime=\"2024-03-10T08:00:00Z\">\
         March 10</time></header><p>{}</p></article></body></html>",
        "Text of the story, long enough to look like one. ".repeat(40)
    )
}

/// Fills the page with `ARTICLES` articles, their first revisions and findings, in bulk.
async fn fill(store: &Store) {
    let template = article_html("{URL}", 0);
    let pool = store.pool();
    let sql = |table: &str, columns: &str, select: &str| {
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ARTICLES}) \
             INSERT INTO {table} ({columns}) SELECT {select} FROM n"
        )
    };
    let url = format!("'https://{DOMAIN}/story/' || CAST(i AS TEXT)");
    for statement in [
        sql(
            "articles",
            "canonical_url, page_id, status, title, op_published, op_modified, content_hash, \
             revision, first_ingested_at, updated_at, html",
            &format!(
                "{url}, 'news', 'live', 'Story number ' || CAST(i AS TEXT), 1710057600000, NULL, \
                 'h' || CAST(i AS TEXT), 1, 1710057600000 + i, 1710057600000 + i, \
                 replace($1, '{{URL}}', {url})"
            ),
        ),
        sql(
            "article_revisions",
            "canonical_url, revision, source, run_id, status, op_modified, created_at",
            &format!("{url}, 1, 'feed', 1, 'live', NULL, 1710057600000 + i"),
        ),
        sql(
            "article_findings",
            "canonical_url, page_id, errors, warnings, seen_at",
            &format!("{url}, 'news', 0, i % 3, 1710057600000 + i"),
        ),
    ] {
        let binds_template = statement.contains("$1");
        let q = sqlx::query(sqlx::AssertSqlSafe(statement));
        let q = if binds_template {
            q.bind(template.clone())
        } else {
            q
        };
        q.execute(pool).await.expect("fill");
    }
    // What autovacuum does to a table of this size soon after a bulk load: statistics and
    // the visibility map (index-only scans need it).
    if store.backend() == iarss::store::Backend::Postgres {
        for table in ["articles", "article_findings", "article_revisions"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM ANALYZE {table}")))
                .execute(pool)
                .await
                .expect("vacuum");
        }
    }
}

struct Server {
    base: String,
    operator: String,
    store: Store,
}

/// Starts the API over `db` on a one-core runtime on its own thread.
fn start(db: &str) -> Server {
    let (tx, rx) = std::sync::mpsc::channel();
    let db = db.to_string();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let store = Store::open(&db).await.expect("open");
            store
                .add_page(&NewPage {
                    id: "news".into(),
                    name: "News".into(),
                    domain: Domain::parse(DOMAIN).unwrap(),
                    feed_url: Some(format!("https://{DOMAIN}/ia.rss")),
                    dev_feed_url: None,
                    enabled: false,
                })
                .await
                .expect("page");
            let t = Instant::now();
            fill(&store).await;
            eprintln!(
                "  filled {ARTICLES} articles in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            let access = Access::new(
                store.clone(),
                AccessSettings {
                    session_ttl: Duration::from_secs(3600),
                    login_max_failures: 5,
                    login_lockout: Duration::from_secs(900),
                    secure_cookies: SecureCookies::Auto,
                    ..AccessSettings::default()
                },
            );
            access
                .add_user(
                    &Caller::cli(),
                    "op@example.com",
                    "a long password",
                    Role::Operator,
                    &[],
                )
                .await
                .expect("user");
            let (_, operator) = access
                .create_token(&Caller::cli(), "op@example.com", None)
                .await
                .expect("token");
            let fetch = FetchConfig::default();
            let service = Service::new(
                store.clone(),
                access,
                fetch.clone(),
                Fetcher::new(fetch).expect("fetcher"),
            );
            let heartbeat = Arc::new(Heartbeat::default());
            let app = router(AppState {
                store: store.clone(),
                metrics: None,
                heartbeat,
                stale_after_ms: i64::MAX,
                service,
                web_enabled: true,
                trusted_proxies: Default::default(),
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let base = format!("http://{}", listener.local_addr().unwrap());
            tx.send(Server {
                base,
                operator,
                store,
            })
            .ok();
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .ok();
        });
    });
    rx.recv().expect("server started")
}

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

fn report(name: &str, samples: &mut [Duration], target_ms: f64) {
    let p50 = percentile(samples, 0.50);
    let p99 = percentile(samples, 0.99);
    println!(
        "  {name:<34} n={:<5} p50 {p50:>6.2} ms   p99 {p99:>6.2} ms   (target p99 < {target_ms} ms{})",
        samples.len(),
        if p99 < target_ms { ", met" } else { ", MISSED" }
    );
}

/// A tiny deterministic generator: benchmarks must not depend on a seed from the clock.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: i64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as i64 + 1
    }
}

async fn measure(label: &str, db: &str) {
    println!("{label}:");
    let server = start(db);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let get = |path: String| {
        let client = client.clone();
        let url = format!("{}{path}", server.base);
        let token = server.operator.clone();
        async move {
            let t = Instant::now();
            let r = client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("answer");
            assert!(r.status().is_success(), "{}", r.status());
            r.bytes().await.unwrap();
            t.elapsed()
        }
    };
    let mut rng = Lcg(42);
    // Warm-up, so that the first connection and prepared statements are not measured.
    for _ in 0..50 {
        get(format!(
            "/api/v1/articles?url=https%3A%2F%2F{DOMAIN}%2Fstory%2F{}",
            rng.next(ARTICLES)
        ))
        .await;
    }
    let mut one = Vec::new();
    for _ in 0..2000 {
        let n = rng.next(ARTICLES);
        one.push(
            get(format!(
                "/api/v1/articles?url=https%3A%2F%2F{DOMAIN}%2Fstory%2F{n}"
            ))
            .await,
        );
    }
    report("GET /articles?url=", &mut one, 20.0);
    let mut first = Vec::new();
    for _ in 0..1000 {
        first.push(get("/api/v1/pages/news/articles?limit=50".into()).await);
    }
    report("GET /pages/news/articles (first)", &mut first, 20.0);
    // Deep screens: follow cursors 200 screens in (10,000 articles).
    let mut deep = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..200 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/pages/news/articles?limit=50&cursor={c}"),
            None => "/api/v1/pages/news/articles?limit=50".into(),
        };
        let url = format!("{}{path}", server.base);
        let t = Instant::now();
        let bytes = client
            .get(url)
            .bearer_auth(&server.operator)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        deep.push(t.elapsed());
        cursor = body["next_cursor"].as_str().map(str::to_string);
    }
    report("GET /pages/news/articles (cursor)", &mut deep, 20.0);
    let mut imports = Vec::new();
    for i in 0..500 {
        let url = format!("https://{DOMAIN}/imported/{i}");
        let body = serde_json::json!({"html_source": article_html(&url, i), "published": true});
        let t = Instant::now();
        let r = client
            .post(format!("{}/api/v1/pages/news/articles", server.base))
            .bearer_auth(&server.operator)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            201,
            "{}",
            r.text().await.unwrap_or_default()
        );
        r.bytes().await.ok();
        imports.push(t.elapsed());
    }
    report("POST /pages/news/articles (import)", &mut imports, 50.0);
    // Dry run of the medium feed against a plain lint of it, best of 5 each.
    let feed = feedgen::cached(&data_dir(), "medium", &FeedSpec::medium());
    let bytes = std::fs::read(&feed).expect("medium feed");
    // Shared, so that no copy of the feed is timed as part of a request.
    let shared = axum::body::Bytes::from(bytes.clone());
    let mut best_dry = Duration::MAX;
    for _ in 0..7 {
        let t = Instant::now();
        let r = client
            .post(format!("{}/api/v1/pages/news/dry-run", server.base))
            .bearer_auth(&server.operator)
            .header("content-type", "application/rss+xml")
            .body(shared.clone())
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        r.bytes().await.ok();
        best_dry = best_dry.min(t.elapsed());
    }
    let mut best_lint = Duration::MAX;
    for _ in 0..7 {
        let t = Instant::now();
        let options = CheckOptions {
            domain: Some(Domain::parse(DOMAIN).unwrap()),
            ..CheckOptions::default()
        };
        let report = check_input(bytes.clone(), std::io::empty(), &options);
        std::hint::black_box(report.articles.len());
        best_lint = best_lint.min(t.elapsed());
    }
    // The same dry run without HTTP: what the checks, lookups and plan cost by themselves.
    let store = Store::open(db).await.expect("open");
    let page = store.page("news").await.unwrap().expect("page");
    let mut best_lib = Duration::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        let dry = iarss::ingest::dry_run(&store, &page, iarss::store::FeedKind::Production, &bytes)
            .await
            .expect("dry run");
        std::hint::black_box(dry.items.len());
        best_lib = best_lib.min(t.elapsed());
    }
    store.close().await;
    println!(
        "  dry run in-process (no HTTP)         {:.1} ms",
        best_lib.as_secs_f64() * 1000.0
    );
    web_pages(&server, &client, db).await;
    let ratio = best_dry.as_secs_f64() / best_lint.as_secs_f64();
    println!(
        "  dry run of the medium feed           {:.1} ms vs lint {:.1} ms: {ratio:.2}x (target <= 1.3x{})",
        best_dry.as_secs_f64() * 1000.0,
        best_lint.as_secs_f64() * 1000.0,
        if ratio <= 1.3 { ", met" } else { ", MISSED" }
    );
    server.store.close().await;
}

/// Pages added for the dashboard's figure.
const DASHBOARD_PAGES: i64 = 100_000;

/// The web pages over the same store: a page's article list (100,000 articles) and the
/// dashboard with `DASHBOARD_PAGES` more pages (one in a hundred with a failing feed),
/// through a signed-in session (target: each renders in < 100 ms at the 99th percentile).
async fn web_pages(server: &Server, client: &reqwest::Client, db: &str) {
    // The pages, each with a production feed, in bulk.
    let store = Store::open(db).await.expect("open");
    for statement in [
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {DASHBOARD_PAGES}) \
             INSERT INTO pages (id, name, domain, feed_url, enabled, created_at) \
             SELECT 'p' || CAST(i AS TEXT), 'Page ' || CAST(i AS TEXT), 'site' || CAST(i AS TEXT) || '.example.net', \
             'https://site' || CAST(i AS TEXT) || '.example.net/ia.rss', 1, 0 FROM n"
        ),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {DASHBOARD_PAGES}) \
             INSERT INTO feeds (page_id, kind, url, next_due_at, consecutive_failures, last_error) \
             SELECT 'p' || CAST(i AS TEXT), 'production', 'https://site' || CAST(i AS TEXT) || '.example.net/ia.rss', i, \
             CASE WHEN i % 100 = 0 THEN 1 ELSE 0 END, CASE WHEN i % 100 = 0 THEN 'HTTP 500' END FROM n"
        ),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(store.pool())
            .await
            .expect("fill pages");
    }
    store.close().await;
    let form = "email=op%40example.com&password=a+long+password&next=%2F";
    // Signing in answers 303 with the cookie: not followed.
    let nofollow = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = nofollow
        .post(format!("{}/login", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", server.base.clone())
        .body(form)
        .send()
        .await
        .expect("login");
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_string();
    for (name, path) in [
        ("web: a page's articles (100,000)", "/pages/news"),
        (
            "web: a page's articles with errors",
            "/pages/news?filter=errors",
        ),
        (
            "web: a page's articles with an ignored update",
            "/pages/news?filter=ignored",
        ),
        (
            "web: a page's articles with warnings",
            "/pages/news?filter=warnings",
        ),
        (
            "web: a page's drafts (none, counted)",
            "/pages/news?tab=development",
        ),
        ("web: the Feed tab", "/pages/news?tab=feed"),
        (
            "web: an article",
            "/articles?url=https%3A%2F%2Fnews.example.com%2Fstory%2F50000",
        ),
        ("web: /account", "/account"),
        ("web: /check", "/check"),
        ("web: the dashboard (100,001 pages)", "/"),
        (
            "web: the dashboard, failing feeds only (1,000)",
            "/?failing=1",
        ),
        ("api: GET /pages, first 50 of 100,001", "/api/v1/pages"),
    ] {
        let mut samples = Vec::new();
        for i in 0..220 {
            let t = Instant::now();
            let r = client
                .get(format!("{}{path}", server.base))
                .header("cookie", cookie.clone())
                .send()
                .await
                .expect("answer");
            assert_eq!(r.status().as_u16(), 200, "{path}");
            r.bytes().await.ok();
            // The first answers warm the statement cache.
            if i >= 20 {
                samples.push(t.elapsed());
            }
        }
        report(name, &mut samples, 100.0);
    }
}

/// Many writers at once, on the store at `db` (made fresh by `fresh`): one row per
/// number of clients.
fn writers(label: &str, fresh: &dyn Fn(usize) -> String) {
    let secs: u64 = std::env::var("BENCH_API_WRITERS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    println!("{label}, many writers ({secs} s each, feed runs of 20 items back to back):");
    println!(
        "  {:>7} | {:>8} {:>8} {:>8} | {:>17} | {:>17} | {:>9} | {:>3} {:>4} {:>6}",
        "clients",
        "reads/s",
        "imports/s",
        "edits/s",
        "import p50/p99 ms",
        "edit p50/p99 ms",
        "runs/s",
        "5xx",
        "lost",
        "not ok"
    );
    for clients in [1, 4, 32] {
        let db = fresh(clients);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let report = rt.block_on(async {
            let api = api_support::Api::start(&db).await;
            let options = api_support::load::LoadOptions {
                clients,
                duration: Duration::from_secs(secs),
                feed_items: 20,
                scratch: data_dir().join(format!("writers-{clients}")),
            };
            // The feed runs share the API's store, as the daemon's runs share its API's.
            let report = api_support::load::mixed_writers(&api, None, &options).await;
            api.stop().await;
            report
        });
        let secs = report.elapsed.as_secs_f64();
        let rate = |kind: &str| report.ops.get(kind).map_or(0.0, |s| s.ok as f64 / secs);
        let lat = |kind: &str| {
            report.ops.get(kind).map_or("-".to_string(), |s| {
                format!("{:.1} / {:.1}", s.quantile_ms(0.5), s.quantile_ms(0.99))
            })
        };
        println!(
            "  {clients:>7} | {:>8.0} {:>8.0} {:>8.0} | {:>17} | {:>17} | {:>9.1} | {:>3} {:>4} {:>6}",
            rate("read"),
            rate("import"),
            rate("edit"),
            lat("import"),
            lat("edit"),
            report.runs as f64 / secs,
            report.server_errors.len(),
            report.lost.len() + report.phantom.len(),
            report.runs_not_ok.len()
        );
        if !report.is_clean() {
            print!("{}", report.problems());
        }
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let part = std::env::var("BENCH_API").unwrap_or_default();
    if part != "writers" {
        latency(&rt);
    }
    if part != "latency" {
        writers("SQLite", &|clients| {
            api_support::sqlite_db(&format!("bench-writers-{clients}"))
        });
        match std::env::var("IARSS_TEST_DATABASE_URL") {
            Ok(admin) => writers("PostgreSQL", &|clients| {
                rt.block_on(postgres::fresh_postgres(
                    &admin,
                    &format!("iarss_bench_writers_{clients}"),
                ))
            }),
            Err(_) => println!("PostgreSQL: skipped (IARSS_TEST_DATABASE_URL is not set)"),
        }
    }
}

/// A PostgreSQL store that has run for a month has the run log's partitions of the 30
/// days its retention keeps besides the week ahead: every lookup of a feed's newest run
/// (the dashboard's) goes through all of them.
async fn month_of_run_partitions(db: &str) {
    use sqlx::{Connection, Executor};
    Store::open(db).await.expect("open").close().await;
    let mut conn = sqlx::postgres::PgConnection::connect(db)
        .await
        .expect("connect");
    conn.execute(
        "DO $$ DECLARE d BIGINT; \
         today BIGINT := (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT / 86400000 * 86400000; \
         BEGIN FOR i IN 1..30 LOOP d := today - i::BIGINT * 86400000; \
         EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF feed_runs FOR VALUES FROM (%s) TO (%s)', \
         'feed_runs_p' || to_char(to_timestamp(d / 1000) AT TIME ZONE 'UTC', 'YYYYMMDD'), d, d + 86400000); \
         END LOOP; END $$",
    )
    .await
    .expect("a month of partitions");
}

/// The latency part: one store of 100,000 articles on each backend.
fn latency(rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let dir = data_dir().join("api-sqlite");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = format!("sqlite://{}", dir.join("iarss.db").display());
        measure("SQLite", &db).await;
        match std::env::var("IARSS_TEST_DATABASE_URL") {
            Ok(admin) => {
                let db = postgres::fresh_postgres(&admin, "iarss_bench_api").await;
                month_of_run_partitions(&db).await;
                measure("PostgreSQL", &db).await;
            }
            Err(_) => println!("PostgreSQL: skipped (IARSS_TEST_DATABASE_URL is not set)"),
        }
    });
}
