//! Ingest throughput: the medium generated feed (500 items) into SQLite and PostgreSQL,
//! first run (every article inserted) and second run (every article unchanged), next to a
//! plain lint of the same feed, all on one core.
//!
//! `scripts/with-postgres.sh cargo bench --bench ingest` runs it with a throwaway
//! PostgreSQL; without `IARSS_TEST_DATABASE_URL` only SQLite is measured.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use iarss::ingest::{FeedSource, RunOptions, run_feed};
use iarss::model::Domain;
use iarss::store::{FeedKind, NewPage, Store};
use iarss::validate::{CheckOptions, check_input};

#[path = "../tests/kit/postgres.rs"]
mod postgres;
use postgres::fresh_postgres;

#[path = "../tests/kit/feedgen.rs"]
mod feedgen;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The medium reference feed (500 articles), generated unless a previous run left it in
/// `target/bench-data/`.
fn medium_feed() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench-data dir");
    feedgen::cached(&dir, "medium", &feedgen::FeedSpec::medium())
}

fn lint_once(path: &Path) -> Duration {
    let options = CheckOptions {
        domain: Some(Domain::parse("news.example.com").expect("domain")),
        budget: None,
        keep_html: true,
        ..CheckOptions::default()
    };
    let t = Instant::now();
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .expect("read feed");
    let split = bytes.len().min(64 * 1024);
    let report = check_input(bytes[..split].to_vec(), &bytes[split..], &options);
    assert_eq!(report.articles.len(), 500);
    t.elapsed()
}

/// The timings of one database.
struct Measured {
    /// The first run (every article inserted).
    first: Duration,
    /// The unchanged second runs.
    seconds: Vec<Duration>,
    /// A plain lint before each second run.
    lints: Vec<Duration>,
}

/// Stores the feed once into a fresh database (the first run), then runs it again
/// `repeats` times unchanged, each second run right after a plain lint so that both see
/// the machine in the same state.
async fn ingest_and_repeat(url: &str, feed: &Path, repeats: usize) -> Measured {
    let store = Store::open(url).await.expect("open store");
    let page = store
        .add_page(&NewPage {
            id: "news".into(),
            name: "Example News".into(),
            domain: Domain::parse("news.example.com").expect("domain"),
            feed_url: None,
            dev_feed_url: None,
            enabled: false,
        })
        .await
        .expect("add page");
    let source = FeedSource::parse(&feed.display().to_string());
    let options = RunOptions::default();
    let t = Instant::now();
    let first = run_feed(&store, &page, &source, FeedKind::Production, &options)
        .await
        .expect("first run");
    let first_time = t.elapsed();
    assert_eq!(first.run.counts.inserted, 500, "{:?}", first.run);
    let mut seconds = Vec::new();
    let mut lints = Vec::new();
    for _ in 0..repeats {
        // Plain lint on a blocking thread, as ingest parses.
        let f = feed.to_path_buf();
        lints.push(
            tokio::task::spawn_blocking(move || lint_once(&f))
                .await
                .expect("lint thread"),
        );
        let t = Instant::now();
        let second = run_feed(&store, &page, &source, FeedKind::Production, &options)
            .await
            .expect("second run");
        seconds.push(t.elapsed());
        assert_eq!(second.run.counts.unchanged, 500, "{:?}", second.run);
    }
    store.close().await;
    Measured {
        first: first_time,
        seconds,
        lints,
    }
}

fn main() {
    // As the `iarss` binary does (see src/main.rs): purge by reset, not decommit.
    // SAFETY: setting an allocator option is allowed at any time.
    unsafe { libmimalloc_sys::mi_option_set(5, 0) };
    let feed = medium_feed();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let rate = |d: Duration| 500.0 / d.as_secs_f64();
    println!("iarss ingest benchmark: medium feed, 500 articles, one core\n");
    println!(
        "{:<12} {:>14} {:>14} {:>14} {:>18}",
        "backend", "plain lint", "first run", "second run", "second / lint"
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let db = dir.join("ingest-bench.db");
    // This machine's timings are noisy: each figure is the best of several, the first runs
    // on three fresh databases, the second runs and the lints five of each per database.
    const DATABASES: usize = 3;
    const REPEATS: usize = 5;
    let mut rows: Vec<(&str, Vec<Measured>)> = Vec::new();
    let sqlite_runs = (0..DATABASES)
        .map(|_| {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
            }
            let url = format!("sqlite://{}", db.display());
            runtime.block_on(ingest_and_repeat(&url, &feed, REPEATS))
        })
        .collect();
    rows.push(("sqlite", sqlite_runs));
    match std::env::var("IARSS_TEST_DATABASE_URL") {
        Ok(admin) => {
            let pg_runs = (0..DATABASES)
                .map(|_| {
                    let url = runtime.block_on(fresh_postgres(
                        &admin,
                        &format!("iarss_bench_{}", std::process::id()),
                    ));
                    runtime.block_on(ingest_and_repeat(&url, &feed, REPEATS))
                })
                .collect();
            rows.push(("postgres", pg_runs));
        }
        Err(_) => println!("(PostgreSQL skipped: run through scripts/with-postgres.sh)"),
    }
    for (name, runs) in rows {
        let first = runs.iter().map(|r| r.first).min().expect("runs");
        let second = runs
            .iter()
            .flat_map(|r| r.seconds.iter().copied())
            .min()
            .expect("runs");
        let lint = runs
            .iter()
            .flat_map(|r| r.lints.iter().copied())
            .min()
            .expect("runs");
        println!(
            "{:<12} {:>8.0} art/s {:>8.0} art/s {:>8.0} art/s {:>17.2}x",
            name,
            rate(lint),
            rate(first),
            rate(second),
            second.as_secs_f64() / lint.as_secs_f64()
        );
    }
    println!("\ntargets: first run >= 3000 art/s on SQLite; second run <= 1.2x plain lint");
}
