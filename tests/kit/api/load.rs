//! Many writers at once (publishing.md, "Many at once"): N API clients read, import and edit
//! articles of one page over HTTP while runs of that page's feed go back to back, through
//! the API's own store (as the daemon runs feeds beside its API) or a second one (as an
//! `iarss ingest` beside the daemon would), for a bounded time on 127.0.0.1. The report
//! says what a user would notice: 5xx answers, writes answered as done that are not stored,
//! writes answered as failed that are, runs that did not end `ok`, and the latency and
//! throughput of each kind of request.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use iarss::ingest::{FeedSource, RunOptions, run_feed};
use iarss::store::{FeedKind, Store};

use super::{Api, NEWS, NEWS_DOMAIN, q};

/// How hard to push.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// API clients at once.
    pub clients: usize,
    /// How long they go on.
    pub duration: Duration,
    /// Items of the feed each run reads.
    pub feed_items: usize,
    /// Where the runs' feed files go.
    pub scratch: std::path::PathBuf,
}

/// One kind of request: how many succeeded, failed, and how long each took.
#[derive(Clone, Debug, Default)]
pub struct OpStats {
    /// Answered 2xx.
    pub ok: u64,
    /// Answered otherwise (never a 5xx when all is well).
    pub failed: u64,
    /// Latency of every request.
    pub latencies: Vec<Duration>,
}

impl OpStats {
    /// The `p`-quantile latency (0.0–1.0), in ms.
    pub fn quantile_ms(&self, p: f64) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        if sorted.is_empty() {
            return 0.0;
        }
        let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[i].as_secs_f64() * 1000.0
    }
}

/// What the load did.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    /// By kind: `read`, `import`, `edit`.
    pub ops: BTreeMap<&'static str, OpStats>,
    /// Every 5xx answer: what, status, body.
    pub server_errors: Vec<String>,
    /// Writes answered as done but not stored as answered.
    pub lost: Vec<String>,
    /// Writes answered as failed but stored.
    pub phantom: Vec<String>,
    /// Feed runs, and the ones that did not end `ok` (with why).
    pub runs: u64,
    /// Runs not `ok`.
    pub runs_not_ok: Vec<String>,
    /// How long the load ran.
    pub elapsed: Duration,
}

impl LoadReport {
    /// Whether nothing a user would notice went wrong.
    pub fn is_clean(&self) -> bool {
        self.server_errors.is_empty()
            && self.lost.is_empty()
            && self.phantom.is_empty()
            && self.runs_not_ok.is_empty()
    }

    /// The first problems of each kind, for a failed assertion.
    pub fn problems(&self) -> String {
        let mut out = String::new();
        for (what, list) in [
            ("5xx", &self.server_errors),
            ("lost", &self.lost),
            ("stored though failed", &self.phantom),
            ("runs not ok", &self.runs_not_ok),
        ] {
            for p in list.iter().take(10) {
                out.push_str(&format!("{what}: {p}\n"));
            }
        }
        out
    }

    /// A one-line summary of each part.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let secs = self.elapsed.as_secs_f64().max(0.001);
        for (kind, s) in &self.ops {
            out.push_str(&format!(
                "{kind}: {} ok, {} failed, {:.0}/s, p50 {:.1} ms, p99 {:.1} ms; ",
                s.ok,
                s.failed,
                s.ok as f64 / secs,
                s.quantile_ms(0.5),
                s.quantile_ms(0.99)
            ));
        }
        out.push_str(&format!(
            "feed runs: {} ({} not ok); 5xx: {}; lost: {}; stored though failed: {}",
            self.runs,
            self.runs_not_ok.len(),
            self.server_errors.len(),
            self.lost.len(),
            self.phantom.len()
        ));
        out
    }
}

/// An article of the page at `url`, its body marked with `marker`, modified at second
/// `second` of 2024-03-10.
fn article_html(url: &str, marker: &str, second: u64) -> String {
    format!(
        "<!doctype html><html lang=\"en\" prefix=\"op: http://media.facebook.com/op#\"><head>\
         <meta charset=\"utf-8\"><link rel=\"canonical\" href=\"{url}\">\
         <meta property=\"op:markup_version\" content=\"v1.0\"></head><body><article><header>\
         <h1>Story {marker}</h1>\
         <time class=\"op-published\" datetime=\"2024-03-10T00:00:00Z\">10 March</time>\
         <time class=\"op-modified\" datetime=\"2024-03-10T{:02}:{:02}:{:02}Z\">10 March</time>\
         </header><p>Text of the story: {marker}.</p></article></body></html>",
        (second / 3600).min(23),
        second / 60 % 60,
        second % 60
    )
}

/// A feed of `items` articles of the page, all modified at second `second` of the day.
fn feed(items: usize, second: u64) -> String {
    let mut rss = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\
         <channel><title>News</title><link>https://example.com/</link>\
         <description>News</description>",
    );
    for i in 0..items {
        let url = format!("https://{NEWS_DOMAIN}/feed/{i}");
        rss.push_str(&format!(
            "<item><title>Story {i}</title><link>{url}</link><guid>{url}</guid>\
             <pubDate>Sun, 10 Mar 2024 00:00:00 GMT</pubDate>\
             <content:encoded><![CDATA[{}]]></content:encoded></item>",
            article_html(&url, &format!("feed {i} second {second}"), second)
        ));
    }
    rss.push_str("</channel></rss>");
    rss
}

/// What one client did to one article, in order.
#[derive(Default)]
struct History {
    /// Whether its import succeeded (so it exists).
    imported: bool,
    /// Each edit's marker and whether it was answered as done.
    edits: Vec<(String, bool)>,
}

/// Runs the load against `api` (page `news`), with feed runs through `feed_store`, or the
/// API's own store when `None`.
pub async fn mixed_writers(
    api: &Api,
    feed_store: Option<Store>,
    options: &LoadOptions,
) -> LoadReport {
    let feed_store = feed_store.unwrap_or_else(|| api.store.clone());
    let api = Arc::new(ApiHandle {
        base: api.base.clone(),
        token: api.operator.clone(),
        client: reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(options.clients)
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client"),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    std::fs::create_dir_all(&options.scratch).expect("scratch");
    // Feed runs back to back, each with later versions of the feed's articles.
    let runs = {
        let stop = Arc::clone(&stop);
        let items = options.feed_items;
        let path = options.scratch.join("feed.xml");
        tokio::spawn(async move {
            let page = feed_store.page(NEWS).await.unwrap().expect("page");
            let source = FeedSource::parse(&path.display().to_string());
            let (mut runs, mut not_ok) = (0u64, Vec::new());
            // Each run brings a later version of every item: every run writes.
            let mut second = 1;
            while !stop.load(Ordering::Relaxed) {
                std::fs::write(&path, feed(items, second)).expect("feed file");
                second = (second + 1).min(86_399);
                match run_feed(
                    &feed_store,
                    &page,
                    &source,
                    FeedKind::Production,
                    &RunOptions::default(),
                )
                .await
                {
                    Ok(r) if r.run.outcome.as_str() == "ok" => {}
                    Ok(r) => not_ok.push(format!(
                        "run {:?}: {} {}",
                        r.run.id,
                        r.run.outcome.as_str(),
                        r.run.error.unwrap_or_default()
                    )),
                    Err(e) => not_ok.push(format!("run not recorded: {e}")),
                }
                runs += 1;
            }
            (runs, not_ok)
        })
    };
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..options.clients {
        let api = Arc::clone(&api);
        let stop = Arc::clone(&stop);
        clients.spawn(async move { one_client(&api, client, &stop).await });
    }
    tokio::time::sleep(options.duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut report = LoadReport::default();
    let mut histories = Vec::new();
    while let Some(done) = clients.join_next().await {
        let (ops, errors, history) = done.expect("client task");
        for (kind, s) in ops {
            let total = report.ops.entry(kind).or_default();
            total.ok += s.ok;
            total.failed += s.failed;
            total.latencies.extend(s.latencies);
        }
        report.server_errors.extend(errors);
        histories.extend(history);
    }
    let (run_count, not_ok) = runs.await.expect("runs task");
    report.runs = run_count;
    report.runs_not_ok = not_ok;
    report.elapsed = started.elapsed();
    // What the store holds must be what the answers said.
    for (url, h) in histories {
        let stored = api.get(&format!("/api/v1/articles?url={}", q(&url))).await;
        let exists = stored.0 == 200;
        if h.imported != exists {
            if h.imported {
                report.lost.push(format!("{url}: imported, not stored"));
            } else {
                report.phantom.push(format!("{url}: import failed, stored"));
            }
            continue;
        }
        if !exists {
            continue;
        }
        let html = serde_json::from_str::<serde_json::Value>(&stored.1)
            .ok()
            .and_then(|v| v["html"].as_str().map(str::to_string))
            .unwrap_or_default();
        let last_done = h.edits.iter().rposition(|(_, ok)| *ok);
        if let Some(i) = last_done
            && !html.contains(&format!("{}.", h.edits[i].0))
        {
            report.lost.push(format!(
                "{url}: edit `{}` answered done, not stored",
                h.edits[i].0
            ));
        }
        for (marker, _) in h.edits[last_done.map_or(0, |i| i + 1)..].iter() {
            if html.contains(&format!("{marker}.")) {
                report
                    .phantom
                    .push(format!("{url}: edit `{marker}` answered failed, stored"));
            }
        }
    }
    report
}

struct ApiHandle {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl ApiHandle {
    /// `(status, body)` of a GET.
    async fn get(&self, path: &str) -> (u16, String) {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, String) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            request = request
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&b).unwrap());
        }
        match request.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                (status, r.text().await.unwrap_or_default())
            }
            Err(e) => (0, format!("no answer: {e}")),
        }
    }
}

type ClientResult = (
    BTreeMap<&'static str, OpStats>,
    Vec<String>,
    Vec<(String, History)>,
);

/// One client: imports three articles of its own, then until `stop` reads (half its
/// requests), imports new articles and edits its own.
async fn one_client(api: &ApiHandle, client: usize, stop: &AtomicBool) -> ClientResult {
    let mut ops: BTreeMap<&'static str, OpStats> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut histories: BTreeMap<String, History> = BTreeMap::new();
    let mut step: u64 = 0;
    let mut record = |kind: &'static str, status: u16, body: &str, took: Duration| {
        let s = ops.entry(kind).or_default();
        if (200..300).contains(&status) {
            s.ok += 1;
        } else {
            s.failed += 1;
        }
        s.latencies.push(took);
        if status >= 500 || status == 0 {
            errors.push(format!("{kind}: {status} {body}"));
        }
        (200..300).contains(&status)
    };
    let import = |url: String, marker: String| async move {
        let body = serde_json::json!({
            "html_source": article_html(&url, &marker, 0),
            "published": true,
        });
        let t = Instant::now();
        let (status, text) = api
            .send(
                reqwest::Method::POST,
                &format!("/api/v1/pages/{NEWS}/articles"),
                Some(body),
            )
            .await;
        (status, text, t.elapsed())
    };
    let own: Vec<String> = (0..3)
        .map(|i| format!("https://{NEWS_DOMAIN}/client{client}/own{i}"))
        .collect();
    for url in &own {
        let (status, text, took) = import(url.clone(), format!("c{client} first")).await;
        let ok = record("import", status, &text, took);
        histories.entry(url.clone()).or_default().imported |= ok;
    }
    while !stop.load(Ordering::Relaxed) {
        step += 1;
        match step % 4 {
            0 | 2 => {
                let path = if step.is_multiple_of(8) {
                    format!("/api/v1/pages/{NEWS}/articles?limit=50")
                } else {
                    format!("/api/v1/articles?url={}", q(&own[(step % 3) as usize]))
                };
                let t = Instant::now();
                let (status, text) = api.get(&path).await;
                // An own article whose first import failed answers 404: not an error.
                let status = if status == 404 { 200 } else { status };
                record("read", status, &text, t.elapsed());
            }
            1 => {
                let url = format!("https://{NEWS_DOMAIN}/client{client}/new{step}");
                let (status, text, took) = import(url.clone(), format!("c{client} s{step}")).await;
                let ok = record("import", status, &text, took);
                histories.entry(url).or_default().imported = ok;
            }
            _ => {
                let url = own[(step / 4 % 3) as usize].clone();
                if !histories.get(&url).is_some_and(|h| h.imported) {
                    continue;
                }
                let marker = format!("edit c{client} s{step}");
                let body = serde_json::json!({
                    "html_source": article_html(&url, &marker, step % 86_400),
                });
                let t = Instant::now();
                let (status, text) = api
                    .send(
                        reqwest::Method::PUT,
                        &format!("/api/v1/articles?url={}", q(&url)),
                        Some(body),
                    )
                    .await;
                let ok = record("edit", status, &text, t.elapsed());
                histories.entry(url).or_default().edits.push((marker, ok));
            }
        }
    }
    (ops, errors, histories.into_iter().collect())
}
