//! The ingestion semantics of docs/ingestion.md, as a user of the `iarss` binary sees them: exit
//! codes, `ingest --format json`, `articles list`, `runs` and `warnings`.
//!
//! Every scenario is a function of a database URL and runs twice: on a fresh SQLite file
//! and on a fresh PostgreSQL database. The PostgreSQL server comes from
//! `IARSS_TEST_DATABASE_URL` (an admin URL); `scripts/with-postgres.sh` sets it, starting a
//! throwaway server when needed. Feeds are generated here, one file per run.

use crate::kit;
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Output;

use chrono::{DateTime, Utc};
use kit::PgDb;
use serde_json::Value;

// ----------------------------------------------------------------------------------------
// Backends
// ----------------------------------------------------------------------------------------

/// A fresh SQLite database in its own scratch directory (the file does not exist yet).
fn sqlite_db(test: &str) -> String {
    let dir = kit::scratch(&format!("store-sqlite-{test}"));
    format!("sqlite://{}", dir.join("iarss.db").display())
}

/// One test per backend for each scenario.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $scenario() {
                    let db = super::sqlite_db(stringify!($scenario));
                    super::$scenario(&db);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $scenario() {
                    let db = super::PgDb::create(stringify!($scenario));
                    super::$scenario(db.url());
                }
            )*
        }
    };
}

on_both_backends!(
    scenario_new_article_is_inserted,
    scenario_canonical_must_be_on_the_page_domain,
    scenario_update_needs_a_later_op_modified,
    scenario_update_more_than_24h_later_is_ignored,
    scenario_update_times_compare_as_instants,
    scenario_canonical_is_taken_exactly,
    scenario_development_feed_stores_drafts,
    scenario_articles_gone_from_the_feed_stay,
    scenario_duplicate_canonicals_in_one_feed,
    scenario_error_keeps_the_article_out,
    scenario_reingesting_the_same_feed_changes_nothing,
    scenario_recurring_warnings_follow_their_item,
    scenario_unparsable_feed_fails_the_run,
    scenario_missing_feed_file_is_a_fetch_error,
    scenario_pages_are_managed,
    scenario_nested_domains_belong_to_the_longest,
    scenario_an_article_stored_before_a_nested_page_stays_with_its_page,
    scenario_long_feed_is_decided_like_a_short_one,
    scenario_deleted_article_is_inserted_again,
    scenario_ingest_by_domain_creates_the_page,
    scenario_production_and_development_runs_at_once,
    scenario_uncommittable_run_is_recorded_as_store_error,
    scenario_many_pages_are_listed_in_batches,
    scenario_old_runs_and_warnings_are_pruned,
    scenario_only_feeds_due_beyond_the_cycle_are_fitted_into_it,
);

#[test]
fn unreachable_sqlite_database() {
    let dir = kit::scratch("store-unreachable-sqlite");
    let db = format!("sqlite://{}", dir.join("no-such-dir/iarss.db").display());
    scenario_unreachable_database(&db);
}

#[test]
fn unreachable_postgres_database() {
    scenario_unreachable_database("postgres://nobody@127.0.0.1:1/x");
}

// ----------------------------------------------------------------------------------------
// Feeds
// ----------------------------------------------------------------------------------------

const PUBLISHED: &str = "2024-03-10T08:00:00Z";

/// One `<item>`: a valid Instant Article unless told otherwise.
#[derive(Clone, Debug)]
struct Item {
    canonical: String,
    title: String,
    published: Option<String>,
    modified: Option<String>,
    body: String,
    cdata: bool,
}

/// A valid item for `canonical`, published at [`PUBLISHED`], without `op-modified`.
fn item(canonical: &str) -> Item {
    Item {
        canonical: canonical.to_string(),
        title: "Harbour reopens after storm".to_string(),
        published: Some(PUBLISHED.to_string()),
        modified: None,
        body: "The harbour reopened on Friday morning.".to_string(),
        cdata: true,
    }
}

impl Item {
    fn title(mut self, title: &str) -> Item {
        self.title = title.to_string();
        self
    }

    fn published(mut self, at: &str) -> Item {
        self.published = Some(at.to_string());
        self
    }

    fn without_published(mut self) -> Item {
        self.published = None;
        self
    }

    fn modified(mut self, at: &str) -> Item {
        self.modified = Some(at.to_string());
        self
    }

    fn body(mut self, text: &str) -> Item {
        self.body = text.to_string();
        self
    }

    /// `content:encoded` entity-escaped instead of in a CDATA section.
    fn escaped(mut self) -> Item {
        self.cdata = false;
        self
    }

    /// The article document. `title` and `body` are HTML as given.
    fn html(&self) -> String {
        let time = |class: &str, at: &Option<String>| {
            at.as_ref().map_or(String::new(), |at| {
                format!("<time class=\"{class}\" datetime=\"{at}\">{at}</time>\n")
            })
        };
        format!(
            "<!doctype html>\n\
             <html lang=\"en\" prefix=\"op: http://media.facebook.com/op#\">\n\
             <head>\n\
             <meta charset=\"utf-8\">\n\
             <link rel=\"canonical\" href=\"{canonical}\">\n\
             <meta property=\"op:markup_version\" content=\"v1.0\">\n\
             </head>\n\
             <body>\n\
             <article>\n\
             <header>\n\
             <h1>{title}</h1>\n\
             {published}{modified}</header>\n\
             <p>{body}</p>\n\
             </article>\n\
             </body>\n\
             </html>",
            canonical = self.canonical.replace('&', "&amp;").replace('"', "&quot;"),
            title = self.title,
            published = time("op-published", &self.published),
            modified = time("op-modified", &self.modified),
            body = self.body,
        )
    }

    fn xml(&self) -> String {
        let content = if self.cdata {
            format!("<![CDATA[{}]]>", self.html())
        } else {
            xml_escape(&self.html())
        };
        format!(
            "<item>\n\
             <title>{title}</title>\n\
             <link>{link}</link>\n\
             <guid isPermaLink=\"false\">{link}</guid>\n\
             <pubDate>{date}</pubDate>\n\
             <content:encoded>{content}</content:encoded>\n\
             </item>\n",
            title = xml_escape(&self.title),
            link = xml_escape(&self.canonical),
            date = self.published.as_deref().unwrap_or(PUBLISHED),
        )
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A valid RSS 2.0 feed with these items.
fn rss(items: &[Item]) -> String {
    let mut feed = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n\
         <channel>\n\
         <title>Example News</title>\n\
         <link>https://news.example.com/</link>\n\
         <description>Instant Articles from Example News</description>\n",
    );
    for item in items {
        feed.push_str(&item.xml());
    }
    feed.push_str("</channel>\n</rss>\n");
    feed
}

/// The 1-based line of each `<item>` start tag of a feed.
fn item_lines(feed: &str) -> Vec<u64> {
    feed.lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("<item>"))
        .map(|(i, _)| i as u64 + 1)
        .collect()
}

// ----------------------------------------------------------------------------------------
// Running the binary on one database
// ----------------------------------------------------------------------------------------

/// A database and a directory for the feeds of one scenario.
struct Ctx {
    db: String,
    dir: PathBuf,
    feeds: Cell<u32>,
}

impl Ctx {
    fn new(db: &str) -> Ctx {
        let key: String = db
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let key = &key[key.len().saturating_sub(80)..];
        Ctx {
            db: db.to_string(),
            dir: kit::scratch(&format!("store-feeds/{key}")),
            feeds: Cell::new(0),
        }
    }

    /// `iarss --db DB ARGS`.
    fn run(&self, args: &[&str]) -> Output {
        kit::iarss()
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .output()
            .expect("run iarss")
    }

    /// `iarss --db DB ARGS`, which must exit 0.
    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "iarss {args:?}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn json(&self, args: &[&str]) -> Value {
        kit::json(&self.ok(args))
    }

    fn add_page(&self, id: &str, domain: &str) {
        let feed = format!("https://feeds.example.org/{id}.xml");
        self.ok(&[
            "pages", "add", "--id", id, "--domain", domain, "--feed", &feed,
        ]);
    }

    /// Writes a feed file for the next run.
    fn feed_file(&self, text: &str) -> PathBuf {
        let n = self.feeds.get() + 1;
        self.feeds.set(n);
        let path = self.dir.join(format!("feed-{n}.xml"));
        std::fs::write(&path, text).expect("write feed");
        path
    }

    fn feed(&self, items: &[Item]) -> PathBuf {
        self.feed_file(&rss(items))
    }

    /// `ingest --page PAGE --feed PATH --format json EXTRA`: exit code and run object.
    fn ingest_path(&self, page: &str, path: &Path, extra: &[&str]) -> (Option<i32>, Value) {
        let path = path.to_string_lossy();
        let mut args = vec![
            "ingest", "--page", page, "--feed", &path, "--format", "json",
        ];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        (out.status.code(), kit::json(&out))
    }

    /// A production run of these items, which must complete (exit 0).
    fn ingest(&self, page: &str, items: &[Item]) -> Value {
        self.completed(page, &self.feed(items), &[])
    }

    /// A development run of these items, which must complete (exit 0).
    fn ingest_dev(&self, page: &str, items: &[Item]) -> Value {
        self.completed(page, &self.feed(items), &["--development"])
    }

    fn completed(&self, page: &str, path: &Path, extra: &[&str]) -> Value {
        let (code, run) = self.ingest_path(page, path, extra);
        assert_eq!(code, Some(0), "ingest exits 0: {run:#}");
        assert_eq!(run["outcome"], "ok", "{run:#}");
        run
    }

    /// `articles list --format json`, as printed.
    fn articles_raw(&self) -> String {
        String::from_utf8(self.ok(&["articles", "list", "--format", "json"]).stdout).expect("UTF-8")
    }

    fn articles(&self) -> Vec<Value> {
        array(self.json(&["articles", "list", "--format", "json"]))
    }

    /// The listed canonical URLs, sorted.
    fn canonicals(&self) -> Vec<String> {
        let mut urls: Vec<String> = self
            .articles()
            .iter()
            .map(|a| {
                a["canonical_url"]
                    .as_str()
                    .expect("canonical_url")
                    .to_string()
            })
            .collect();
        urls.sort();
        urls
    }

    fn article(&self, url: &str) -> Value {
        self.articles()
            .into_iter()
            .find(|a| a["canonical_url"] == url)
            .unwrap_or_else(|| panic!("`{url}` is not listed"))
    }

    /// `articles show URL`: the stored article with its HTML.
    fn shown(&self, url: &str) -> String {
        String::from_utf8(self.ok(&["articles", "show", url]).stdout).expect("UTF-8")
    }

    fn runs(&self) -> Vec<Value> {
        array(self.json(&["runs", "--format", "json"]))
    }

    fn warnings(&self) -> Vec<Value> {
        array(self.json(&["warnings", "--format", "json"]))
    }

    fn pages(&self) -> Vec<Value> {
        array(self.json(&["pages", "list", "--format", "json"]))
    }
}

fn array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        other => panic!("expected a JSON array, got {other:#}"),
    }
}

/// The counts of a run object.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    items: u64,
    inserted: u64,
    updated: u64,
    unchanged: u64,
    ignored: u64,
    rejected: u64,
}

fn counts(run: &Value) -> Counts {
    let n = |k: &str| {
        run[k]
            .as_u64()
            .unwrap_or_else(|| panic!("`{k}` in {run:#}"))
    };
    Counts {
        items: n("items"),
        inserted: n("inserted"),
        updated: n("updated"),
        unchanged: n("unchanged"),
        ignored: n("ignored"),
        rejected: n("rejected"),
    }
}

/// `(rule, canonical_url)` of each diagnostic of an `ingest --format json` run.
fn diagnostics(run: &Value) -> Vec<(String, Option<String>)> {
    run["diagnostics"]
        .as_array()
        .unwrap_or_else(|| panic!("diagnostics in {run:#}"))
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().expect("rule").to_string(),
                d["canonical_url"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// The one diagnostic of `rule` in a run, checked to be about `canonical`.
fn diagnostic<'a>(run: &'a Value, rule: &str, canonical: Option<&str>) -> &'a Value {
    let found: Vec<&Value> = run["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["rule"] == rule && d["canonical_url"].as_str() == canonical)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one `{rule}` for {canonical:?} in {:?}",
        diagnostics(run)
    );
    found[0]
}

/// The update rules' diagnostics of a run.
fn update_rules(run: &Value) -> Vec<String> {
    diagnostics(run)
        .into_iter()
        .map(|(rule, _)| rule)
        .filter(|rule| rule.starts_with("update-"))
        .collect()
}

/// A JSON time: RFC 3339 in UTC with a `Z` suffix.
fn instant(v: &Value) -> DateTime<Utc> {
    let s = v.as_str().unwrap_or_else(|| panic!("a time, got {v}"));
    assert!(s.ends_with('Z'), "`{s}` is in UTC with a Z suffix");
    utc(s)
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("`{s}` is RFC 3339: {e}"))
        .with_timezone(&Utc)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// ----------------------------------------------------------------------------------------
// Scenarios
// ----------------------------------------------------------------------------------------

const A: &str = "https://news.example.com/2024/03/harbour-reopens";
const B: &str = "https://news.example.com/2024/03/new-bridge";
const C: &str = "https://news.example.com/2024/03/festival";

/// A new canonical URL that passes validation is inserted, live, with its header title
/// (whitespace collapsed) and its times in UTC.
fn scenario_new_article_is_inserted(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    let run = ctx.ingest(
        "news",
        &[
            item(A)
                .title("  Harbour\n   reopens&nbsp;after \t storm\u{a0}")
                .published("2024-03-10T10:00:00+02:00"),
            item(B)
                .title("Council approves new bridge")
                .modified("2024-03-10T09:30:00Z")
                .escaped(),
        ],
    );
    assert_eq!(
        counts(&run),
        Counts {
            items: 2,
            inserted: 2,
            ..Counts::default()
        }
    );
    assert_eq!(diagnostics(&run), [], "the generated articles are clean");
    assert_eq!(run["page_id"], "news");
    assert_eq!(run["feed"], "production");

    let a = ctx.article(A);
    assert_eq!(a["page_id"], "news");
    assert_eq!(a["title"], "Harbour reopens after storm");
    assert_eq!(a["status"], "live");
    assert_eq!(instant(&a["op_published"]), utc("2024-03-10T08:00:00Z"));
    assert_eq!(a["op_modified"], Value::Null);
    assert_eq!(instant(&a["first_ingested_at"]), instant(&a["updated_at"]));

    let b = ctx.article(B);
    assert_eq!(b["title"], "Council approves new bridge");
    assert_eq!(b["status"], "live");
    assert_eq!(instant(&b["op_published"]), utc(PUBLISHED));
    assert_eq!(instant(&b["op_modified"]), utc("2024-03-10T09:30:00Z"));
    assert!(
        ctx.shown(B)
            .contains("The harbour reopened on Friday morning.")
    );

    let runs = ctx.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["run_id"], run["run_id"]);
    assert_eq!(runs[0]["outcome"], "ok");
    assert_eq!(counts(&runs[0]), counts(&run));
}

/// Only canonicals on the page's domain or a subdomain of it are stored; the others are
/// rejected with `canonical-domain-mismatch`, which is logged.
fn scenario_canonical_must_be_on_the_page_domain(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("example", "example.com");
    let own = "https://example.com/2024/03/own";
    let sub = "https://news.example.com/2024/03/sub";
    let bad = "https://badexample.com/2024/03/bad";
    let evil = "https://example.com.evil.net/2024/03/evil";
    let run = ctx.ingest("example", &[item(own), item(sub), item(bad), item(evil)]);
    assert_eq!(
        counts(&run),
        Counts {
            items: 4,
            inserted: 2,
            rejected: 2,
            ..Counts::default()
        }
    );
    for foreign in [bad, evil] {
        let d = diagnostic(&run, "canonical-domain-mismatch", Some(foreign));
        assert_eq!(d["severity"], "error");
    }
    assert_eq!(ctx.canonicals(), [own, sub]);

    let warnings = ctx.warnings();
    let mut logged: Vec<&str> = warnings
        .iter()
        .filter(|w| w["rule"] == "canonical-domain-mismatch")
        .map(|w| {
            assert_eq!(w["severity"], "error");
            assert_eq!(w["page_id"], "example");
            assert_eq!(w["run_id"], run["run_id"]);
            w["canonical_url"].as_str().expect("canonical_url")
        })
        .collect();
    logged.sort();
    assert_eq!(logged, [bad, evil]);
}

/// An update is applied only when its `op-modified` is later than the stored one; same or
/// earlier times and a missing `op-modified` leave the stored version alone, and say why.
fn scenario_update_needs_a_later_op_modified(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    let v1 = item(A)
        .modified("2024-03-10T10:00:00Z")
        .body("Version one.");
    ctx.ingest("news", &[v1]);

    // Later: applied.
    let run = ctx.ingest(
        "news",
        &[item(A)
            .modified("2024-03-10T11:00:00Z")
            .body("Version two.")],
    );
    assert_eq!(
        counts(&run),
        Counts {
            items: 1,
            updated: 1,
            ..Counts::default()
        }
    );
    assert_eq!(update_rules(&run), Vec::<String>::new());
    assert_eq!(
        instant(&ctx.article(A)["op_modified"]),
        utc("2024-03-10T11:00:00Z")
    );
    assert!(ctx.shown(A).contains("Version two."));
    let stored = ctx.articles_raw();

    // Same time, earlier time, no op-modified: refused, each with its rule.
    let refused = [
        (item(A).modified("2024-03-10T11:00:00Z"), "update-not-newer"),
        (item(A).modified("2024-03-10T10:30:00Z"), "update-not-newer"),
        (item(A), "update-missing-op-modified"),
    ];
    for (incoming, rule) in refused {
        let run = ctx.ingest("news", &[incoming.body("Version three.")]);
        assert_eq!(
            counts(&run),
            Counts {
                items: 1,
                ignored: 1,
                ..Counts::default()
            },
            "{rule}"
        );
        let d = diagnostic(&run, rule, Some(A));
        assert_eq!(d["severity"], "warning");
        assert_eq!(ctx.articles_raw(), stored, "{rule}: nothing stored changes");
        assert!(ctx.shown(A).contains("Version two."));
    }
}

/// An update more than 24 h after the stored version's modified time is ignored, and an
/// ignored update does not move the reference.
fn scenario_update_more_than_24h_later_is_ignored(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    ctx.ingest(
        "news",
        &[item(A)
            .modified("2024-03-10T10:00:00Z")
            .body("Version one.")],
    );
    let stored = ctx.articles_raw();

    // 24 h and one second after the stored 10:00, then 47 h after it (which would be
    // within 24 h of the first refused version, had it become the reference).
    for modified in ["2024-03-11T10:00:01Z", "2024-03-12T09:00:00Z"] {
        let run = ctx.ingest("news", &[item(A).modified(modified).body("Too late.")]);
        assert_eq!(
            counts(&run),
            Counts {
                items: 1,
                ignored: 1,
                ..Counts::default()
            },
            "{modified}"
        );
        diagnostic(&run, "update-outside-24h-window", Some(A));
        assert_eq!(ctx.articles_raw(), stored, "{modified}: nothing changes");
    }

    // Exactly 24 h later is not "more than 24 h": applied.
    let run = ctx.ingest(
        "news",
        &[item(A)
            .modified("2024-03-11T10:00:00Z")
            .body("Version two.")],
    );
    assert_eq!(
        counts(&run),
        Counts {
            items: 1,
            updated: 1,
            ..Counts::default()
        }
    );
    assert_eq!(update_rules(&run), Vec::<String>::new());
    assert!(ctx.shown(A).contains("Version two."));
    assert_eq!(
        instant(&ctx.article(A)["op_modified"]),
        utc("2024-03-11T10:00:00Z")
    );
}

/// Times are compared as instants, whatever their offsets; an article without
/// `op-modified` is compared by its `op-published`.
fn scenario_update_times_compare_as_instants(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    ctx.ingest(
        "news",
        &[item(A)
            .published("2024-03-10T10:00:00Z")
            .body("Version one.")],
    );
    let stored = ctx.articles_raw();

    // 11:30+02:00 is 09:30Z: earlier than the stored 10:00Z.
    let run = ctx.ingest(
        "news",
        &[item(A)
            .published("2024-03-10T10:00:00Z")
            .modified("2024-03-10T11:30:00+02:00")
            .body("Version two.")],
    );
    assert_eq!(
        counts(&run),
        Counts {
            items: 1,
            ignored: 1,
            ..Counts::default()
        }
    );
    diagnostic(&run, "update-not-newer", Some(A));
    assert_eq!(ctx.articles_raw(), stored);

    // 12:30+02:00 is 10:30Z: later.
    let run = ctx.ingest(
        "news",
        &[item(A)
            .published("2024-03-10T10:00:00Z")
            .modified("2024-03-10T12:30:00+02:00")
            .body("Version three.")],
    );
    assert_eq!(counts(&run).updated, 1, "{run:#}");
    assert_eq!(
        instant(&ctx.article(A)["op_modified"]),
        utc("2024-03-10T10:30:00Z")
    );

    // 05:45-05:00 is 10:45Z: later than 10:30Z although it reads earlier.
    let run = ctx.ingest(
        "news",
        &[item(A)
            .published("2024-03-10T10:00:00Z")
            .modified("2024-03-10T05:45:00-05:00")
            .body("Version four.")],
    );
    assert_eq!(counts(&run).updated, 1, "{run:#}");
    assert!(ctx.shown(A).contains("Version four."));
    assert_eq!(
        instant(&ctx.article(A)["op_modified"]),
        utc("2024-03-10T10:45:00Z")
    );
}

/// The canonical URL is the key exactly as written: an added query, a trailing slash or
/// another host case make another article.
fn scenario_canonical_is_taken_exactly(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    ctx.ingest("news", &[item(A)]);
    let with_query = format!("{A}?utm=x");
    let with_slash = format!("{A}/");
    let host_case = A.replace("news.example.com", "News.Example.com");
    let run = ctx.ingest(
        "news",
        &[
            item(A),
            item(&with_query),
            item(&with_slash),
            item(&host_case),
        ],
    );
    assert_eq!(
        counts(&run),
        Counts {
            items: 4,
            inserted: 3,
            unchanged: 1,
            ..Counts::default()
        }
    );
    let mut expected = vec![
        A.to_string(),
        with_query.clone(),
        with_slash,
        host_case.clone(),
    ];
    expected.sort();
    assert_eq!(ctx.canonicals(), expected);
    assert_eq!(ctx.article(&host_case)["page_id"], "news");
    assert_eq!(ctx.article(&with_query)["status"], "live");
}

/// The development feed stores drafts; a draft that arrives through the production feed
/// becomes live (its content replaced only if the update rules allow); the development
/// feed never changes a live article.
fn scenario_development_feed_stores_drafts(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");

    let a1 = ctx.feed(&[item(A).modified("2024-03-10T10:00:00Z").body("Draft of A.")]);
    let run = ctx.completed("news", &a1, &["--development"]);
    assert_eq!(run["feed"], "development");
    assert_eq!(
        counts(&run),
        Counts {
            items: 1,
            inserted: 1,
            ..Counts::default()
        }
    );
    assert_eq!(ctx.article(A)["status"], "draft");

    // The same content through the production feed: live, counted updated.
    let run = ctx.completed("news", &a1, &[]);
    assert_eq!(
        counts(&run),
        Counts {
            items: 1,
            updated: 1,
            ..Counts::default()
        }
    );
    assert_eq!(ctx.article(A)["status"], "live");
    let stored = ctx.articles_raw();

    // A later version through the development feed changes nothing.
    let run = ctx.ingest_dev(
        "news",
        &[item(A)
            .modified("2024-03-10T11:00:00Z")
            .body("Newer draft of A.")],
    );
    assert_eq!(
        counts(&run),
        Counts {
            items: 1,
            ignored: 1,
            ..Counts::default()
        }
    );
    assert_eq!(ctx.articles_raw(), stored);
    let shown = ctx.shown(A);
    assert!(shown.contains("Draft of A.") && !shown.contains("Newer draft"));

    // The live version, identical, through the development feed: unchanged, and still live
    // (Run counts: `unchanged` is decided before `ignored`).
    let run = ctx.completed("news", &a1, &["--development"]);
    assert_eq!(
        counts(&run),
        Counts {
            items: 1,
            unchanged: 1,
            ..Counts::default()
        }
    );
    assert_eq!(ctx.articles_raw(), stored);

    // A draft whose production version is newer: live with the new content.
    ctx.ingest_dev(
        "news",
        &[item(B).modified("2024-03-10T10:00:00Z").body("Draft of B.")],
    );
    let run = ctx.ingest(
        "news",
        &[item(B).modified("2024-03-10T11:00:00Z").body("Final B.")],
    );
    assert_eq!(counts(&run).updated, 1, "{run:#}");
    assert_eq!(ctx.article(B)["status"], "live");
    assert!(ctx.shown(B).contains("Final B."));

    // A draft whose production version may not replace it: live, content kept.
    ctx.ingest_dev(
        "news",
        &[item(C).modified("2024-03-10T10:00:00Z").body("Draft of C.")],
    );
    let run = ctx.ingest("news", &[item(C).body("C without op-modified.")]);
    assert_eq!(
        counts(&run),
        Counts {
            items: 1,
            updated: 1,
            ..Counts::default()
        }
    );
    assert_eq!(ctx.article(C)["status"], "live");
    let shown = ctx.shown(C);
    assert!(shown.contains("Draft of C.") && !shown.contains("without op-modified"));
}

/// An article that disappears from the feed stays stored.
fn scenario_articles_gone_from_the_feed_stay(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    ctx.ingest("news", &[item(A), item(B)]);
    let stored = ctx.articles_raw();

    let run = ctx.ingest("news", &[item(B)]);
    assert_eq!(
        counts(&run),
        Counts {
            items: 1,
            unchanged: 1,
            ..Counts::default()
        }
    );
    let run = ctx.ingest("news", &[]);
    assert_eq!(counts(&run), Counts::default());
    assert_eq!(ctx.canonicals(), [A, B]);
    assert_eq!(ctx.articles_raw(), stored);
}

/// Duplicate canonicals in one feed: the latest `op-modified` wins (the first on a tie; one
/// without `op-modified` ranks below any with one); the others are `feed-duplicate-canonical`
/// and ignored.
fn scenario_duplicate_canonicals_in_one_feed(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    let feed = rss(&[
        item(A).modified("2024-03-10T10:00:00Z").body("A older."),
        item(A).modified("2024-03-10T11:00:00Z").body("A newer."),
        item(B).modified("2024-03-10T10:00:00Z").body("B first."),
        item(B).modified("2024-03-10T10:00:00Z").body("B second."),
        item(C).body("C without op-modified."),
        item(C)
            .modified("2024-03-10T09:00:00Z")
            .body("C with op-modified."),
    ]);
    let lines = item_lines(&feed);
    let run = ctx.completed("news", &ctx.feed_file(&feed), &[]);
    assert_eq!(
        counts(&run),
        Counts {
            items: 6,
            inserted: 3,
            ignored: 3,
            ..Counts::default()
        }
    );
    for (canonical, loser) in [(A, 0), (B, 3), (C, 4)] {
        let d = diagnostic(&run, "feed-duplicate-canonical", Some(canonical));
        assert_eq!(
            d["line"], lines[loser],
            "the superseded item of {canonical}"
        );
    }
    for (canonical, winner, loser) in [
        (A, "A newer.", "A older."),
        (B, "B first.", "B second."),
        (C, "C with op-modified.", "C without op-modified."),
    ] {
        let shown = ctx.shown(canonical);
        assert!(shown.contains(winner) && !shown.contains(loser), "{shown}");
    }
}

/// An error-severity diagnostic keeps the article out: not inserted, and not applied as an
/// update either.
fn scenario_error_keeps_the_article_out(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    let run = ctx.ingest(
        "news",
        &[
            item(A)
                .modified("2024-03-10T10:00:00Z")
                .body("Version one."),
            item(B).without_published(),
        ],
    );
    assert_eq!(
        counts(&run),
        Counts {
            items: 2,
            inserted: 1,
            rejected: 1,
            ..Counts::default()
        }
    );
    let d = diagnostic(&run, "missing-op-published", Some(B));
    assert_eq!(d["severity"], "error");
    assert_eq!(ctx.canonicals(), [A]);
    assert!(
        ctx.warnings()
            .iter()
            .any(|w| w["rule"] == "missing-op-published" && w["canonical_url"] == B)
    );
    let stored = ctx.articles_raw();

    let run = ctx.ingest(
        "news",
        &[item(A)
            .without_published()
            .modified("2024-03-10T11:00:00Z")
            .body("Version two.")],
    );
    assert_eq!(
        counts(&run),
        Counts {
            items: 1,
            rejected: 1,
            ..Counts::default()
        }
    );
    assert_eq!(ctx.articles_raw(), stored);
    assert!(ctx.shown(A).contains("Version one."));
}

/// Re-ingesting an identical feed changes nothing; recurring warnings are counted, not
/// stored again.
fn scenario_reingesting_the_same_feed_changes_nothing(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    let query = format!("{B}?utm=x");
    let feed = ctx.feed(&[
        item(A).modified("2024-03-10T10:00:00Z"),
        item(&query),
        item("https://other.example.org/2024/03/foreign"),
        item(C).modified("2024-03-10T09:00:00Z").body("C older."),
        item(C).modified("2024-03-10T10:00:00Z").body("C newer."),
        item("https://news.example.com/2024/03/undated").without_published(),
    ]);
    let first = ctx.completed("news", &feed, &[]);
    assert_eq!(
        counts(&first),
        Counts {
            items: 6,
            inserted: 3,
            ignored: 1,
            rejected: 2,
            ..Counts::default()
        }
    );
    let articles = ctx.articles_raw();
    let warnings = ctx.warnings();
    assert!(!warnings.is_empty());
    assert!(warnings.iter().all(|w| w["occurrences"] == 1));

    let second = ctx.completed("news", &feed, &[]);
    assert_eq!(
        counts(&second),
        Counts {
            items: 6,
            unchanged: 3,
            ignored: 1,
            rejected: 2,
            ..Counts::default()
        }
    );
    assert_eq!(diagnostics(&second), diagnostics(&first));
    assert_eq!(
        ctx.articles_raw(),
        articles,
        "articles list is byte-identical"
    );
    let again = ctx.warnings();
    assert_eq!(again.len(), warnings.len(), "no warning is stored twice");
    for w in &again {
        assert_eq!(w["occurrences"], 2, "{w}");
        assert_eq!(w["run_id"], second["run_id"], "{w}");
    }

    // A refused update, sent twice: counted the same, logged once.
    let refused = ctx.feed(&[item(A).modified("2024-03-10T09:00:00Z").body("Stale.")]);
    let third = ctx.completed("news", &refused, &[]);
    let fourth = ctx.completed("news", &refused, &[]);
    for run in [&third, &fourth] {
        assert_eq!(
            counts(run),
            Counts {
                items: 1,
                ignored: 1,
                ..Counts::default()
            }
        );
        diagnostic(run, "update-not-newer", Some(A));
    }
    let not_newer: Vec<Value> = ctx
        .warnings()
        .into_iter()
        .filter(|w| w["rule"] == "update-not-newer")
        .collect();
    assert_eq!(not_newer.len(), 1);
    assert_eq!(not_newer[0]["occurrences"], 2);
    assert_eq!(ctx.articles_raw(), articles);
    assert_eq!(ctx.runs().len(), 4);
}

/// A recurring diagnostic keeps one row wherever its item moves: in one run, some recur at
/// the same place, some have moved (the row takes the new line) and some are new.
fn scenario_recurring_warnings_follow_their_item(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    let foreign = "https://other.example.org/2024/03/foreign";
    let elsewhere = "https://elsewhere.example.net/2024/03/also-foreign";
    let first = ctx.completed("news", &ctx.feed(&[item(A), item(foreign)]), &[]);
    let line_of = |run: &Value, url: &str| -> Value {
        let found: Vec<&Value> = run["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["canonical_url"] == url)
            .collect();
        assert_eq!(found.len(), 1, "{run:#}");
        found[0]["line"].clone()
    };
    let stored = |url: &str| -> Vec<Value> {
        ctx.warnings()
            .into_iter()
            .filter(|w| w["canonical_url"] == url)
            .collect()
    };
    let foreign_line = line_of(&first, foreign);

    // Same items, same places, and one new foreign item after them.
    let second = ctx.completed(
        "news",
        &ctx.feed(&[item(A), item(foreign), item(elsewhere)]),
        &[],
    );
    assert_eq!(line_of(&second, foreign), foreign_line);
    let [kept] = stored(foreign)
        .try_into()
        .expect("one row for the recurring diagnostic");
    assert_eq!(kept["occurrences"], 2, "{kept}");
    assert_eq!(kept["line"], foreign_line, "{kept}");
    assert_eq!(kept["run_id"], second["run_id"], "{kept}");
    assert_eq!(kept["first_run_id"], first["run_id"], "{kept}");
    let [new] = stored(elsewhere)
        .try_into()
        .expect("one row for the new diagnostic");
    assert_eq!(new["occurrences"], 1, "{new}");

    // A new item on top moves every other item down.
    let third = ctx.completed(
        "news",
        &ctx.feed(&[item(B), item(A), item(foreign), item(elsewhere)]),
        &[],
    );
    let moved_line = line_of(&third, foreign);
    assert_ne!(moved_line, foreign_line, "the item moved");
    let [moved] = stored(foreign).try_into().expect("still one row");
    assert_eq!(moved["occurrences"], 3, "{moved}");
    assert_eq!(
        moved["line"], moved_line,
        "the row follows its item: {moved}"
    );
    assert_eq!(moved["run_id"], third["run_id"], "{moved}");
    let [again] = stored(elsewhere).try_into().expect("still one row");
    assert_eq!(again["occurrences"], 2, "{again}");
    assert_eq!(again["line"], line_of(&third, elsewhere), "{again}");
}

/// A feed that does not parse fails the run, which is recorded; no article is touched,
/// not even the items read completely before the fault.
fn scenario_unparsable_feed_fails_the_run(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    ctx.ingest(
        "news",
        &[item(A)
            .modified("2024-03-10T10:00:00Z")
            .body("Version one.")],
    );
    let stored = ctx.articles_raw();

    let full = rss(&[
        item(A)
            .modified("2024-03-10T11:00:00Z")
            .body("Version two."),
        item(B),
        item(C).body("The last item, cut in the middle."),
    ]);
    let cut = full.find("cut in the middle").expect("marker");
    let (code, run) = ctx.ingest_path("news", &ctx.feed_file(&full[..cut]), &[]);
    assert_eq!(code, Some(1), "{run:#}");
    assert_eq!(run["outcome"], "parse_error");
    let d = diagnostic(&run, "feed-not-well-formed", None);
    assert_eq!(d["severity"], "error");
    assert_eq!(counts(&run).inserted + counts(&run).updated, 0);

    assert_eq!(ctx.articles_raw(), stored);
    assert!(ctx.shown(A).contains("Version one."));
    let runs = ctx.runs();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["run_id"], run["run_id"]);
    assert_eq!(runs[0]["outcome"], "parse_error");
    assert!(
        ctx.warnings()
            .iter()
            .any(|w| w["rule"] == "feed-not-well-formed" && w["run_id"] == run["run_id"])
    );
}

/// A `--feed PATH` that does not exist: the run is recorded as a `fetch_error`, exit 1.
fn scenario_missing_feed_file_is_a_fetch_error(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    let missing = ctx.dir.join("no-such-feed.xml");
    let (code, run) = ctx.ingest_path("news", &missing, &[]);
    assert_eq!(code, Some(1), "{run:#}");
    assert_eq!(run["outcome"], "fetch_error");
    assert_eq!(run["feed_url"], missing.to_string_lossy().as_ref());
    diagnostic(&run, "feed-fetch-failed", None);
    assert_eq!(counts(&run), Counts::default());

    let runs = ctx.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["run_id"], run["run_id"]);
    assert_eq!(runs[0]["outcome"], "fetch_error");
    assert!(
        ctx.warnings()
            .iter()
            .any(|w| w["rule"] == "feed-fetch-failed")
    );
    assert_eq!(ctx.articles(), Vec::<Value>::new());
}

/// A database that cannot be opened: exit 1 and one line on stderr naming it.
fn scenario_unreachable_database(db: &str) {
    let out = kit::iarss()
        .args(["--db", db, "pages", "list"])
        .output()
        .expect("run iarss");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(db), "names the database: {err}");
}

/// `pages add` / `list` / `remove`, and `ingest` of an unknown page.
fn scenario_pages_are_managed(db: &str) {
    let ctx = Ctx::new(db);
    ctx.ok(&[
        "pages",
        "add",
        "--id",
        "news",
        "--domain",
        "news.example.com",
        "--feed",
        "https://feeds.example.org/news.xml",
        "--dev-feed",
        "https://feeds.example.org/news-dev.xml",
        "--name",
        "Example News",
    ]);
    let pages = ctx.pages();
    assert_eq!(pages.len(), 1);
    let page = &pages[0];
    assert_eq!(page["page_id"], "news");
    assert_eq!(page["name"], "Example News");
    assert_eq!(page["domain"], "news.example.com");
    assert_eq!(page["feed_url"], "https://feeds.example.org/news.xml");
    assert_eq!(
        page["dev_feed_url"],
        "https://feeds.example.org/news-dev.xml"
    );
    assert_eq!(page["enabled"], true);

    // The same domain, written differently, belongs to `news` already.
    let out = ctx.run(&[
        "pages",
        "add",
        "--id",
        "other",
        "--domain",
        "News.Example.com.",
        "--feed",
        "https://feeds.example.org/other.xml",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("news.example.com") && err.contains("`news`"),
        "says which page owns the domain: {err}"
    );
    assert_eq!(ctx.pages().len(), 1);

    let feed = ctx.feed(&[item(A)]);
    let out = ctx.run(&[
        "ingest",
        "--page",
        "unknown",
        "--feed",
        &feed.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(&out));
    assert!(stderr(&out).contains("unknown"));
    assert_eq!(ctx.runs(), Vec::<Value>::new());

    ctx.ingest("news", &[item(A), item("https://elsewhere.example.org/x")]);
    let out = ctx.run(&["pages", "remove", "news"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains("--with-articles"), "{err}");
    assert_eq!(ctx.pages().len(), 1);
    assert_eq!(ctx.canonicals(), [A]);

    ctx.ok(&["pages", "remove", "news", "--with-articles"]);
    assert_eq!(ctx.pages(), Vec::<Value>::new());
    assert_eq!(ctx.articles(), Vec::<Value>::new());
    assert_eq!(
        array(ctx.json(&["warnings", "--page", "news", "--format", "json"])),
        Vec::<Value>::new()
    );
}

/// With pages for `example.com` and `news.example.com`, an article on `news.example.com`
/// belongs to the latter only; the `example.com` page treats it as foreign.
fn scenario_nested_domains_belong_to_the_longest(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("root", "example.com");
    ctx.add_page("news", "news.example.com");
    let www = "https://www.example.com/2024/03/www";
    let bare = "https://example.com/2024/03/bare";
    let feed = ctx.feed(&[item(A), item(www), item(bare)]);

    let run = ctx.completed("root", &feed, &[]);
    assert_eq!(
        counts(&run),
        Counts {
            items: 3,
            inserted: 2,
            rejected: 1,
            ..Counts::default()
        }
    );
    let d = diagnostic(&run, "canonical-domain-mismatch", Some(A));
    assert_eq!(d["severity"], "error");

    let run = ctx.completed("news", &feed, &[]);
    assert_eq!(
        counts(&run),
        Counts {
            items: 3,
            inserted: 1,
            rejected: 2,
            ..Counts::default()
        }
    );
    diagnostic(&run, "canonical-domain-mismatch", Some(www));
    diagnostic(&run, "canonical-domain-mismatch", Some(bare));

    assert_eq!(ctx.article(A)["page_id"], "news");
    assert_eq!(ctx.article(www)["page_id"], "root");
    assert_eq!(ctx.article(bare)["page_id"], "root");

    // Once more through `root`: still foreign, nothing changes.
    let stored = ctx.articles_raw();
    let run = ctx.completed("root", &feed, &[]);
    assert_eq!(counts(&run).rejected, 1, "{run:#}");
    assert_eq!(ctx.articles_raw(), stored);
}

/// An article stored under `example.com` before a page for `news.example.com` existed stays
/// with its page: that page's feed still updates it, the new page's feed is told it is
/// stored under another page, and no message names the other page (a publisher of one
/// page never learns another's id).
fn scenario_an_article_stored_before_a_nested_page_stays_with_its_page(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("root", "example.com");
    let first = ctx.feed(&[item(A).modified("2024-03-10T09:00:00Z")]);
    assert_eq!(counts(&ctx.completed("root", &first, &[])).inserted, 1);
    ctx.add_page("news", "news.example.com");

    let newer = ctx.feed(&[item(A)
        .modified("2024-03-10T10:00:00Z")
        .title("Harbour reopens, ferries too")]);
    let run = ctx.completed("root", &newer, &[]);
    assert_eq!(counts(&run).updated, 1, "{run:#}");
    assert_eq!(ctx.article(A)["page_id"], "root");
    assert_eq!(ctx.article(A)["title"], "Harbour reopens, ferries too");

    let run = ctx.completed("news", &newer, &[]);
    assert_eq!(counts(&run).rejected, 1, "{run:#}");
    let d = diagnostic(&run, "canonical-domain-mismatch", Some(A));
    let message = d["message"].as_str().unwrap_or_default();
    assert!(message.contains("another page"), "{message}");
    assert!(!message.contains("`root`"), "{message}");

    // A new article on the nested domain goes to the nested page; the parent page is told
    // without being given its id.
    let fresh = "https://news.example.com/2024/03/fresh";
    let run = ctx.completed("root", &ctx.feed(&[item(fresh)]), &[]);
    let d = diagnostic(&run, "canonical-domain-mismatch", Some(fresh));
    let message = d["message"].as_str().unwrap_or_default();
    assert!(!message.contains("`news`"), "{message}");
    assert_eq!(
        counts(&ctx.completed("news", &ctx.feed(&[item(fresh)]), &[])).inserted,
        1
    );
}

/// A feed long enough that the run looks its articles up in batches while it still parses
/// is decided exactly as a short one: ownership between nested page domains, updates,
/// unchanged articles.
fn scenario_long_feed_is_decided_like_a_short_one(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("root", "example.com");
    ctx.add_page("news", "news.example.com");
    let url = |i: usize| format!("https://example.com/2024/03/story-{i}");
    // Every 50th item is on the more specific domain of the other page.
    let nested = |i: usize| i % 50 == 49;
    let canonical = |i: usize| {
        if nested(i) {
            format!("https://news.example.com/2024/03/story-{i}")
        } else {
            url(i)
        }
    };
    let items: Vec<Item> = (0..300)
        .map(|i| item(&canonical(i)).modified("2024-03-10T10:00:00Z"))
        .collect();
    let run = ctx.completed("root", &ctx.feed(&items), &[]);
    assert_eq!(
        counts(&run),
        Counts {
            items: 300,
            inserted: 294,
            rejected: 6,
            ..Counts::default()
        }
    );
    for i in (0..300).filter(|i| nested(*i)) {
        diagnostic(&run, "canonical-domain-mismatch", Some(&canonical(i)));
    }

    // Two late items change within the window, one far outside it.
    let mut changed = items.clone();
    changed[250] = item(&url(250))
        .modified("2024-03-10T11:00:00Z")
        .body("Updated late in the feed.");
    changed[280] = item(&url(280))
        .modified("2024-03-10T12:00:00Z")
        .body("Updated last in the feed.");
    changed[290] = item(&url(290))
        .modified("2024-03-12T12:00:00Z")
        .body("Too late.");
    let run = ctx.completed("root", &ctx.feed(&changed), &[]);
    assert_eq!(
        counts(&run),
        Counts {
            items: 300,
            updated: 2,
            unchanged: 291,
            ignored: 1,
            rejected: 6,
            ..Counts::default()
        }
    );
    diagnostic(&run, "update-outside-24h-window", Some(&url(290)));
    assert!(ctx.shown(&url(250)).contains("Updated late in the feed."));
    assert!(ctx.shown(&url(280)).contains("Updated last in the feed."));
    assert!(!ctx.shown(&url(290)).contains("Too late."));
    assert_eq!(ctx.article(&url(10))["page_id"], "root");
    assert_eq!(ctx.articles().len(), 294);
}

/// A deleted article that is still in the feed is inserted again as new.
fn scenario_deleted_article_is_inserted_again(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    let feed = ctx.feed(&[item(A), item(B)]);
    ctx.completed("news", &feed, &[]);
    let first = instant(&ctx.article(A)["first_ingested_at"]);

    ctx.ok(&["articles", "delete", A]);
    assert_eq!(ctx.canonicals(), [B]);
    let out = ctx.run(&["articles", "delete", A]);
    assert_eq!(out.status.code(), Some(1), "deleting twice fails");

    let run = ctx.completed("news", &feed, &[]);
    assert_eq!(
        counts(&run),
        Counts {
            items: 2,
            inserted: 1,
            unchanged: 1,
            ..Counts::default()
        }
    );
    assert_eq!(ctx.canonicals(), [A, B]);
    assert!(instant(&ctx.article(A)["first_ingested_at"]) >= first);
}

/// `ingest --domain D` on a fresh database creates the store and a disabled page whose id
/// is the normalised domain; later runs use that page.
fn scenario_ingest_by_domain_creates_the_page(db: &str) {
    let ctx = Ctx::new(db);
    let file = db.strip_prefix("sqlite://").map(PathBuf::from);
    if let Some(file) = &file {
        assert!(!file.exists(), "{} is fresh", file.display());
    }
    let feed = ctx.feed(&[item(A)]);
    let ingest = |domain: &str| {
        let feed = feed.to_string_lossy();
        kit::json(&ctx.ok(&[
            "ingest", "--domain", domain, "--feed", &feed, "--format", "json",
        ]))
    };
    let run = ingest("News.Example.com.");
    assert_eq!(run["page_id"], "news.example.com");
    assert_eq!(counts(&run).inserted, 1, "{run:#}");
    if let Some(file) = &file {
        assert!(file.is_file(), "{} is created", file.display());
    }

    let pages = ctx.pages();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0]["page_id"], "news.example.com");
    assert_eq!(pages[0]["domain"], "news.example.com");
    assert_eq!(pages[0]["enabled"], false);
    assert_eq!(
        pages[0]["feed_url"],
        Value::Null,
        "a path is not a feed URL"
    );
    assert_eq!(ctx.article(A)["page_id"], "news.example.com");

    let run = ingest("news.example.com");
    assert_eq!(run["page_id"], "news.example.com");
    assert_eq!(counts(&run).unchanged, 1, "{run:#}");
    assert_eq!(ctx.pages().len(), 1);
}

/// A page's production and development feeds carry the same new articles and run at the
/// same moment (two `iarss ingest` processes): both runs are recorded and the articles end
/// as if the runs had committed one after the other — live, inserted by one run.
fn scenario_production_and_development_runs_at_once(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    for round in 0..6 {
        let items: Vec<Item> = (0..40)
            .map(|i| item(&format!("https://news.example.com/r{round}/a{i}")))
            .collect();
        let feed = ctx.feed(&items);
        let feed = feed.to_string_lossy().to_string();
        let spawn = |extra: &[&str]| {
            kit::iarss()
                .arg("--db")
                .arg(&ctx.db)
                .args([
                    "ingest", "--page", "news", "--feed", &feed, "--format", "json",
                ])
                .args(extra)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn iarss")
        };
        let production = spawn(&[]);
        let development = spawn(&["--development"]);
        let runs: Vec<Value> = [production, development]
            .into_iter()
            .map(|child| {
                let out = child.wait_with_output().expect("wait");
                assert_eq!(
                    out.status.code(),
                    Some(0),
                    "round {round}: {}",
                    stderr(&out)
                );
                kit::json(&out)
            })
            .collect();
        let (prod, dev) = (counts(&runs[0]), counts(&runs[1]));
        assert_eq!(prod.items + dev.items, 80, "round {round}");
        assert_eq!(
            prod.inserted + dev.inserted,
            40,
            "one run inserts: {prod:?} {dev:?}"
        );
        if prod.inserted == 40 {
            // Production first: the development run finds them live and identical.
            assert_eq!(dev.unchanged, 40, "{dev:?}");
        } else {
            // Development first: the production run makes the drafts live.
            assert_eq!((dev.inserted, prod.updated), (40, 40), "{prod:?} {dev:?}");
        }
        let live = ctx
            .articles()
            .iter()
            .filter(|a| {
                a["status"] == "live"
                    && a["canonical_url"]
                        .as_str()
                        .is_some_and(|u| u.contains(&format!("/r{round}/")))
            })
            .count();
        assert_eq!(live, 40, "round {round}: every article ends live");
    }
    let runs = ctx.runs();
    assert_eq!(runs.len(), 12, "every run is recorded");
    assert!(runs.iter().all(|r| r["outcome"] == "ok"), "{runs:#?}");
}

/// A run whose results cannot be committed changes no article, is recorded with outcome
/// `store_error` and counts for the feed's failures; `ingest` exits 1.
fn scenario_uncommittable_run_is_recorded_as_store_error(db: &str) {
    let ctx = Ctx::new(db);
    // The page's own feed (a file URL), so the run also moves the feed's state.
    let path = ctx.dir.join("own-feed.xml");
    let url = format!("file://{}", path.display());
    ctx.ok(&[
        "pages",
        "add",
        "--id",
        "news",
        "--domain",
        "news.example.com",
        "--feed",
        &url,
    ]);
    let ingest = |items: &[Item]| {
        std::fs::write(&path, rss(items)).expect("write feed");
        let out = ctx.run(&[
            "ingest", "--page", "news", "--feed", &url, "--format", "json",
        ]);
        (out.status.code(), kit::json(&out))
    };
    let (code, _) = ingest(&[item(A)]);
    assert_eq!(code, Some(0));
    let stored = ctx.articles_raw();
    // The articles table refuses writes from now on; runs and feeds still take them.
    break_article_writes(db);
    let (code, run) = ingest(&[
        item(A).modified("2024-03-10T09:00:00Z").body("New."),
        item(B),
    ]);
    assert_eq!(code, Some(1), "{run:#}");
    assert_eq!(run["outcome"], "store_error", "{run:#}");
    assert_eq!(counts(&run).inserted + counts(&run).updated, 0, "{run:#}");
    let runs = ctx.runs();
    assert_eq!(runs.len(), 2, "the failed run is recorded");
    assert_eq!(runs[0]["outcome"], "store_error");
    assert!(
        runs[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("simulated")),
        "with the error text: {:#}",
        runs[0]
    );
    assert_eq!(ctx.articles_raw(), stored, "no article changed");
    let pages = ctx.pages();
    assert_eq!(pages[0]["last_outcome"], "store_error", "{:#}", pages[0]);
    assert_eq!(pages[0]["consecutive_failures"], 1, "{:#}", pages[0]);
}

/// After a run, runs older than the retention (30 days) and warnings not seen for as long
/// are gone from `runs` and `warnings`; the rest of both logs stays.
fn scenario_old_runs_and_warnings_are_pruned(db: &str) {
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    let foreign = "https://other.example.org/2024/03/foreign";
    let elsewhere = "https://elsewhere.example.net/2024/03/also-foreign";
    ctx.completed("news", &ctx.feed(&[item(A), item(foreign)]), &[]);
    ctx.completed("news", &ctx.feed(&[item(A), item(elsewhere)]), &[]);
    assert_eq!(ctx.runs().len(), 2);
    let logged = |url: &str| ctx.warnings().iter().any(|w| w["canonical_url"] == url);
    assert!(logged(foreign) && logged(elsewhere));
    // The first run, and the foreign item's diagnostic, are made 40 days old.
    let forty_days = 40 * 86_400_000i64;
    kit::execute_sql(
        db,
        &format!(
            "UPDATE feed_runs SET started_at = started_at - {forty_days} \
             WHERE id = (SELECT MIN(id) FROM feed_runs);\n\
             UPDATE diagnostics SET last_seen_at = last_seen_at - {forty_days} \
             WHERE canonical_url = '{foreign}';"
        ),
    );
    ctx.completed("news", &ctx.feed(&[item(A)]), &[]);
    let runs = ctx.runs();
    assert_eq!(
        runs.len(),
        2,
        "the old run is pruned, the newer two stay: {runs:#?}"
    );
    assert!(!logged(foreign), "the stale diagnostic is pruned");
    assert!(logged(elsewhere), "the recent one stays");
}

/// Makes every insert or update of `articles` fail, as a full disk or a lost connection
/// would fail the run's commit, while the short transaction that records a run still works.
fn break_article_writes(db: &str) {
    let sql = if db.starts_with("sqlite:") {
        "CREATE TRIGGER refuse_insert BEFORE INSERT ON articles BEGIN SELECT RAISE(ABORT, 'disk I/O error (simulated)'); END;\n\
         CREATE TRIGGER refuse_update BEFORE UPDATE ON articles BEGIN SELECT RAISE(ABORT, 'disk I/O error (simulated)'); END;"
    } else {
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'could not extend file (simulated)'; END $$;\n\
         CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON articles FOR EACH ROW EXECUTE FUNCTION refuse();"
    };
    kit::execute_sql(db, sql);
}

/// Lists of pages read a constant number of statements per 500 pages: the overview pages
/// through them by id, and `pages list` shows every page once, in order.
fn scenario_many_pages_are_listed_in_batches(db: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let total = 1_050;
    runtime.block_on(async {
        let store = iarss::store::Store::open(db).await.expect("open");
        for i in 0..total {
            let page = iarss::store::NewPage {
                id: format!("p{i:05}"),
                name: format!("Page {i}"),
                domain: iarss::model::Domain::parse(&format!("p{i}.example.com")).expect("domain"),
                feed_url: Some(format!("https://p{i}.example.com/feed.xml")),
                dev_feed_url: (i % 2 == 0).then(|| format!("https://p{i}.example.com/dev.xml")),
                enabled: true,
            };
            store.add_page(&page).await.expect("add page");
        }
        let first = store.page_overviews(None, 500).await.expect("first");
        assert_eq!(first.len(), 500);
        assert_eq!(first[0].page.id, "p00000");
        assert!(first[0].production.is_some() && first[0].development.is_some());
        assert!(first[1].development.is_none());
        let last = first.last().map(|o| o.page.id.clone());
        let second = store
            .page_overviews(last.as_deref(), 500)
            .await
            .expect("second");
        assert_eq!(second[0].page.id, "p00500");
        store.close().await;
    });
    let listed = array(Ctx::new(db).json(&["pages", "list", "--format", "json"]));
    assert_eq!(listed.len(), total);
    let ids: Vec<&str> = listed
        .iter()
        .filter_map(|p| p["page_id"].as_str())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ordered, each once");
}

/// A feed due more than an interval out (added under a longer cycle) is brought into the
/// next interval, keeping its phase; one a run has just rescheduled one interval on, one in
/// backoff and one being run keep their times (moving those would run them twice).
fn scenario_only_feeds_due_beyond_the_cycle_are_fitted_into_it(db: &str) {
    use iarss::store::FeedKind;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let interval = 180_000i64;
    runtime.block_on(async {
        let store = iarss::store::Store::open(db).await.expect("open");
        for id in ["far", "next", "failing", "leased"] {
            store
                .add_page(&iarss::store::NewPage {
                    id: id.to_string(),
                    name: id.to_string(),
                    domain: iarss::model::Domain::parse(&format!("{id}.example.com"))
                        .expect("domain"),
                    feed_url: Some(format!("https://{id}.example.com/feed.xml")),
                    dev_feed_url: None,
                    enabled: true,
                })
                .await
                .expect("add page");
        }
        store.close().await;
    });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    // A day out; an interval and a second out (a run's reschedule seen by a late clock);
    // in backoff; being run by another daemon.
    let far = now + 86_400_000;
    let next = now + interval + 1_000;
    kit::execute_sql(
        db,
        &format!(
            "UPDATE feeds SET next_due_at = {far} WHERE page_id IN ('far', 'failing', 'leased');\n\
             UPDATE feeds SET next_due_at = {next} WHERE page_id = 'next';\n\
             UPDATE feeds SET consecutive_failures = 4 WHERE page_id = 'failing';\n\
             UPDATE feeds SET lease_owner = 'other', lease_expires_at = {far} WHERE page_id = 'leased';"
        ),
    );
    runtime.block_on(async {
        let store = iarss::store::Store::open(db).await.expect("open");
        let fitted = store.fit_due_times(interval).await.expect("fit");
        assert_eq!(fitted, 1, "only the feed due a day out is moved");
        let due = |id: &'static str| {
            let store = &store;
            async move {
                store
                    .feed_state(id, FeedKind::Production)
                    .await
                    .expect("state")
                    .and_then(|s| s.next_due_at)
                    .expect("due time")
            }
        };
        let moved = due("far").await;
        assert!(
            moved > now && moved <= now + interval + 5_000,
            "brought into the next interval: {} s from now",
            (moved - now) / 1000
        );
        assert_eq!(moved % interval, far % interval, "its phase is kept");
        assert_eq!(due("next").await, next);
        assert_eq!(due("failing").await, far);
        assert_eq!(due("leased").await, far);
        store.close().await;
    });
}

/// Strings from the first column of `sql`'s rows, on PostgreSQL.
fn pg_strings(url: &str, sql: &str) -> Vec<String> {
    use sqlx::{Connection, Row};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut conn = sqlx::postgres::PgConnection::connect(url)
            .await
            .expect("connect");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.iter()
            .map(|r| {
                r.try_get::<Option<String>, _>(0)
                    .expect("text")
                    .unwrap_or_default()
            })
            .collect()
    })
}

/// On PostgreSQL the run log is kept by day: a run goes into its day's partition, made a
/// week ahead; the retention drops a day once all of it is too old, and deletes old runs
/// that sit in the default partition; runs that landed in the default partition for a day
/// that has since got its own move into it.
#[test]
fn postgres_run_log_is_kept_by_day() {
    let pg = PgDb::create("run_days");
    let db = pg.url();
    let ctx = Ctx::new(db);
    ctx.add_page("news", "news.example.com");
    ctx.completed("news", &ctx.feed(&[item(A)]), &[]);
    let day = 86_400_000i64;
    let now = Utc::now().timestamp_millis();
    let name = |ms: i64| {
        format!(
            "feed_runs_p{}",
            DateTime::<Utc>::from_timestamp_millis(ms)
                .expect("time")
                .format("%Y%m%d")
        )
    };
    let exists =
        |table: &str| pg_strings(db, &format!("SELECT to_regclass('{table}')::text"))[0] == table;
    assert!(
        exists(&name(now)) && exists(&name(now + 7 * day)),
        "today to a week ahead"
    );
    assert_eq!(
        pg_strings(db, "SELECT tableoid::regclass::text FROM feed_runs"),
        vec![name(now)],
        "today's run is in today's partition"
    );

    // Forty days ago had a partition; fifty days ago did not (its run is in the default
    // partition); and the partition three days ahead was lost, so that a run of that day
    // went to the default partition too.
    let forty = now - 40 * day;
    let forty_start = forty.div_euclid(day) * day;
    let ahead = now + 3 * day;
    kit::execute_sql(
        db,
        &format!(
            "CREATE TABLE {old} PARTITION OF feed_runs FOR VALUES FROM ({forty_start}) TO ({});\n\
             DROP TABLE {lost};\n\
             INSERT INTO feed_runs (page_id, feed_url, feed, outcome, started_at, finished_at, \
               bytes, items, inserted, updated, unchanged, ignored, rejected) \
             SELECT page_id, feed_url, feed, outcome, t, t, 0, 0, 0, 0, 0, 0, 0 \
             FROM feed_runs, (VALUES ({forty}), ({}), ({ahead})) AS v(t);",
            forty_start + day,
            now - 50 * day,
            old = name(forty),
            lost = name(ahead),
        ),
    );
    assert_eq!(ctx.runs().len(), 4);
    // The next run prunes (retention 30 days) and makes the missing partition.
    ctx.completed("news", &ctx.feed(&[item(A)]), &[]);
    assert!(
        !exists(&name(forty)),
        "the day older than the retention is dropped"
    );
    assert!(exists(&name(ahead)), "the lost day is made again");
    let mut places = pg_strings(
        db,
        "SELECT tableoid::regclass::text FROM feed_runs ORDER BY started_at",
    );
    places.dedup();
    assert_eq!(
        places,
        vec![name(now), name(ahead)],
        "the fifty-day-old run is deleted from the default partition, and the run three days \
         ahead moved into its day's"
    );
    assert_eq!(
        ctx.runs().len(),
        3,
        "today's two runs and the one ahead stay"
    );
}
