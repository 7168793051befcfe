//! Dry runs (`iarss ingest --dry-run`, the API's dry run): what a run would do to each item,
//! writing nothing, and a real run right after doing exactly that; on SQLite and on
//! PostgreSQL (`scripts/with-postgres.sh`).

use crate::kit;
use std::collections::BTreeMap;

use iarss::fetch::{FetchConfig, Fetcher};
use iarss::ingest::update::Would;
use iarss::ingest::{DryRun, FeedSource, RunOptions, dry_run, dry_run_source, dry_run_url};
use iarss::model::ArticleStatus;
use iarss::store::{FeedKind, Store};
use iarss::validate::RuleId;
use kit::publishing::{
    Article, article, feed_file, ingest, ingest_live, rss, store_with_page, url,
};
use sqlx::Row;

crate::on_both_backends!(
    scenario_a_dry_run_writes_nothing_and_a_real_run_does_what_it_said,
    scenario_a_failed_feed_is_a_dry_run_answer,
    scenario_a_dry_run_fetches_like_a_run,
);

/// Every table's row count.
async fn row_counts(store: &Store) -> BTreeMap<String, i64> {
    let tables = match store.backend() {
        iarss::store::Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        iarss::store::Backend::Postgres => {
            "SELECT CAST(tablename AS TEXT) AS name FROM pg_tables WHERE schemaname = 'public'"
        }
    };
    let names: Vec<String> = sqlx::query(tables)
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("name"))
        .collect();
    assert!(names.len() > 10, "{names:?}");
    let mut out = BTreeMap::new();
    for name in names {
        let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM \"{name}\"");
        let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get("n");
        out.insert(name, n);
    }
    out
}

/// What a dry run leaves to compare: row counts, the page's commit sequence, the feeds'
/// state.
async fn snapshot(store: &Store, page_id: &str) -> String {
    let mut s = format!("{:?}", row_counts(store).await);
    s.push_str(&format!("{:?}", store.page_seq(page_id).await.unwrap()));
    for kind in [FeedKind::Production, FeedKind::Development] {
        s.push_str(&format!(
            "{:?}",
            store.feed_state(page_id, kind).await.unwrap()
        ));
    }
    s
}

fn would_of(dry: &DryRun, canonical: &str) -> (Would, Option<RuleId>) {
    let item = dry
        .items
        .iter()
        .find(|i| i.canonical_url.as_deref() == Some(canonical))
        .unwrap_or_else(|| panic!("no item {canonical}"));
    (item.would, item.reason)
}

const T1: &str = "2024-03-10T09:00:00Z";

async fn scenario_a_dry_run_writes_nothing_and_a_real_run_does_what_it_said(db: &str) {
    let (store, page) = store_with_page(db).await;
    let (a, b, c, d, e, f, g) = (
        url("new"),
        url("newer"),
        url("draft"),
        url("same"),
        url("far"),
        url("broken"),
        url("twice"),
    );
    ingest_live(
        &store,
        &page,
        &[
            article(&b).modified(T1),
            article(&d).modified(T1),
            article(&e).modified(T1),
        ],
    )
    .await;
    ingest(
        &store,
        &page,
        FeedKind::Development,
        &[article(&c).modified(T1)],
    )
    .await;

    let items: Vec<Article> = vec![
        article(&a),
        article(&b).modified("2024-03-10T10:00:00Z").body("Newer."),
        // Changed but not newer: the draft goes live, its content stays.
        article(&c).modified(T1).body("Not newer."),
        article(&d).modified(T1),
        article(&e)
            .modified("2024-03-11T15:00:00Z")
            .body("Far later."),
        article(&f).broken(),
        article(&g).modified("2024-03-10T10:00:00Z"),
        article(&g)
            .modified("2024-03-10T11:00:00Z")
            .body("Later duplicate."),
    ];
    let feed = rss(&items);
    let before = snapshot(&store, &page.id).await;
    let dry = dry_run(&store, &page, FeedKind::Production, feed.as_bytes())
        .await
        .expect("dry run");
    assert_eq!(
        before,
        snapshot(&store, &page.id).await,
        "the dry run wrote"
    );

    assert_eq!(dry.outcome.as_str(), "ok");
    assert_eq!(would_of(&dry, &a), (Would::Insert, None));
    assert_eq!(would_of(&dry, &b), (Would::Update, None));
    assert_eq!(
        would_of(&dry, &c),
        (Would::MakeLive, Some(RuleId::UpdateNotNewer))
    );
    assert_eq!(would_of(&dry, &d), (Would::Unchanged, None));
    assert_eq!(
        would_of(&dry, &e),
        (Would::Ignore, Some(RuleId::UpdateOutside24hWindow))
    );
    assert_eq!(
        would_of(&dry, &f),
        (Would::Reject, Some(RuleId::MissingOpPublished))
    );
    // The duplicates: the later one wins, the other is superseded.
    let twice: Vec<(Would, Option<RuleId>)> = dry
        .items
        .iter()
        .filter(|i| i.canonical_url.as_deref() == Some(g.as_str()))
        .map(|i| (i.would, i.reason))
        .collect();
    assert_eq!(
        twice,
        [
            (Would::Ignore, Some(RuleId::FeedDuplicateCanonical)),
            (Would::Insert, None)
        ]
    );
    let item_c = dry
        .items
        .iter()
        .find(|i| i.canonical_url.as_deref() == Some(c.as_str()))
        .unwrap();
    assert_eq!(
        item_c.stored_op_modified,
        Some(iarss::model::Timestamp(1_710_061_200_000))
    );
    assert_eq!(
        item_c.incoming_op_modified,
        Some(iarss::model::Timestamp(1_710_061_200_000))
    );
    assert!(
        item_c
            .diagnostics
            .iter()
            .any(|d| d.rule == RuleId::UpdateNotNewer)
    );
    let indexes: Vec<usize> = dry.items.iter().map(|i| i.index).collect();
    assert_eq!(indexes, (0..items.len()).collect::<Vec<_>>());

    let json = serde_json::to_value(&dry).unwrap();
    assert_eq!(json["counts"]["items"], 8);
    assert_eq!(json["items"][2]["would"], "make_live");
    assert_eq!(json["items"][2]["reason"], "update-not-newer");
    assert_eq!(
        json["items"][2]["stored_op_modified"],
        "2024-03-10T09:00:00.000Z"
    );
    assert_eq!(
        json["items"][0]["stored_op_modified"],
        serde_json::Value::Null
    );
    assert_eq!(json["items"][5]["verdict"], "reject");
    assert_eq!(json["items"][5]["diagnostics"][0]["severity"], "error");

    // The real run, right after, does exactly that.
    let real = ingest_live(&store, &page, &items).await;
    assert_eq!(real.run.counts, dry.counts);
    let count = |w: Would| dry.would(w).count() as u64;
    assert_eq!(real.run.counts.inserted, count(Would::Insert));
    assert_eq!(
        real.run.counts.updated,
        count(Would::Update) + count(Would::MakeLive)
    );
    assert_eq!(real.run.counts.unchanged, count(Would::Unchanged));
    assert_eq!(real.run.counts.ignored, count(Would::Ignore));
    assert_eq!(real.run.counts.rejected, count(Would::Reject));
    let stored = |u: String| {
        let store = store.clone();
        async move { store.article(&u).await.unwrap() }
    };
    assert_eq!(stored(a.clone()).await.unwrap().revision, 1);
    let newer = stored(b.clone()).await.unwrap();
    assert!(newer.revision == 2 && newer.html.unwrap().contains("Newer."));
    let live = stored(c.clone()).await.unwrap();
    assert_eq!((live.status, live.revision), (ArticleStatus::Live, 1));
    assert_eq!(stored(d.clone()).await.unwrap().revision, 1);
    assert_eq!(stored(e.clone()).await.unwrap().revision, 1);
    assert!(store.ignored_update(&e).await.unwrap().is_some());
    assert!(stored(f.clone()).await.is_none());
    assert!(
        stored(g.clone())
            .await
            .unwrap()
            .html
            .unwrap()
            .contains("Later duplicate.")
    );
    // The run logged what the dry run said about each item.
    let logged: Vec<(Option<String>, RuleId)> = real
        .diagnostics
        .iter()
        .map(|d| (d.canonical_url.clone(), d.rule))
        .collect();
    let said: Vec<(Option<String>, RuleId)> = dry
        .diagnostics
        .iter()
        .map(|d| (None, d.rule))
        .chain(dry.items.iter().flat_map(|i| {
            i.diagnostics
                .iter()
                .map(|d| (i.canonical_url.clone(), d.rule))
        }))
        .collect();
    assert_eq!(logged, said);

    // The command line says the same, and writes nothing either.
    let path = feed_file(&feed);
    let before = snapshot(&store, &page.id).await;
    let out = kit::iarss()
        .args([
            "--db",
            db,
            "ingest",
            "--page",
            &page.id,
            "--dry-run",
            "--format",
            "json",
        ])
        .arg("--feed")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: serde_json::Value = kit::json(&out);
    let again = dry_run_source(
        &store,
        &page,
        FeedKind::Production,
        &FeedSource::parse(&path.display().to_string()),
        &RunOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(cli, serde_json::to_value(&again).unwrap());
    assert_eq!(cli["feed_url"], path.display().to_string());
    // After the real run: what was applied is unchanged now.
    assert_eq!(would_of(&again, &a), (Would::Unchanged, None));
    let out = kit::iarss()
        .args(["--db", db, "ingest", "--page", &page.id, "--dry-run"])
        .arg("--feed")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("unchanged"), "{text}");
    assert!(
        text.contains(&format!("reject     {f} (missing-op-published)")),
        "{text}"
    );
    assert!(text.contains("nothing was written"), "{text}");
    // A page named by domain is not created.
    let out = kit::iarss()
        .args([
            "--db",
            db,
            "ingest",
            "--domain",
            "other.example.org",
            "--dry-run",
        ])
        .arg("--feed")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("reject"));
    assert_eq!(
        before,
        snapshot(&store, &page.id).await,
        "the command wrote"
    );
    assert!(store.page("other.example.org").await.unwrap().is_none());
}

async fn scenario_a_failed_feed_is_a_dry_run_answer(db: &str) {
    let (store, page) = store_with_page(db).await;
    let before = snapshot(&store, &page.id).await;
    let dry = dry_run(&store, &page, FeedKind::Production, b"<rss><channel>")
        .await
        .expect("dry run");
    assert_eq!(dry.outcome.as_str(), "parse_error");
    assert_eq!(dry.diagnostics[0].rule, RuleId::FeedNotWellFormed);
    assert!(dry.items.is_empty());
    let missing = FeedSource::parse("/nonexistent/feed.xml");
    let dry = dry_run_source(
        &store,
        &page,
        FeedKind::Development,
        &missing,
        &RunOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        (dry.outcome.as_str(), dry.feed.as_str()),
        ("fetch_error", "development")
    );
    assert_eq!(dry.diagnostics[0].rule, RuleId::FeedFetchFailed);
    assert_eq!(before, snapshot(&store, &page.id).await);
}

async fn scenario_a_dry_run_fetches_like_a_run(db: &str) {
    let (store, page) = store_with_page(db).await;
    let feed = rss(&[article(&url("fetched"))]);
    let server = kit::http::Server::start(2, move |_, stream| {
        kit::http::respond(
            stream,
            "200 OK",
            &[("Content-Type", "application/rss+xml; charset=utf-8")],
            feed.as_bytes(),
        );
    });
    let before = snapshot(&store, &page.id).await;
    // The daemon's guard refuses loopback, for a dry run as for a run.
    let guarded = Fetcher::new(FetchConfig {
        allow_private_networks: false,
        ..FetchConfig::default()
    })
    .unwrap();
    let refused = dry_run_url(
        &store,
        &page,
        FeedKind::Production,
        &server.url("/feed.xml"),
        &guarded,
    )
    .await
    .unwrap();
    assert_eq!(refused.outcome.as_str(), "fetch_error");
    assert_eq!(refused.diagnostics[0].rule, RuleId::FeedFetchFailed);
    let open = Fetcher::new(FetchConfig {
        allow_private_networks: true,
        ..FetchConfig::default()
    })
    .unwrap();
    let fetched = dry_run_url(
        &store,
        &page,
        FeedKind::Production,
        &server.url("/feed.xml"),
        &open,
    )
    .await
    .unwrap();
    assert_eq!(
        (fetched.outcome.as_str(), fetched.http_status),
        ("ok", Some(200))
    );
    assert_eq!(would_of(&fetched, &url("fetched")), (Would::Insert, None));
    assert_eq!(before, snapshot(&store, &page.id).await);
}
