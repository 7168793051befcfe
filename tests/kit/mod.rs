//! The test kit: what the integration tests share (and the benchmarks and fuzz targets
//! include where they need it): running the binary, generating feeds, loopback HTTP
//! servers, throwaway databases, the API under test, the browser, publishing fixtures, and
//! the fuzz targets' harness.

#![allow(dead_code)]

pub mod api;
pub mod browser;
pub mod feedgen;
pub mod http;
pub mod postgres;
pub mod publishing;

/// What each fuzz target runs (`fuzz/src/lib.rs`): its regressions replay through it.
#[path = "../../fuzz/src/lib.rs"]
pub mod fuzz;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `iarss` binary under test.
pub fn iarss() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_iarss"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.env_remove("IARSS_DATABASE_URL");
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Runs `iarss ARGS` and returns its output.
pub fn run(args: &[&str]) -> Output {
    iarss().args(args).output().expect("run iarss")
}

/// Runs `iarss ARGS` with `stdin` as standard input, written from a thread so that a large
/// input never blocks on a full pipe; iarss may stop reading early (at its size cap).
pub fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = iarss()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn iarss");
    let mut pipe = child.stdin.take().expect("stdin");
    let input = stdin.to_vec();
    // A broken pipe means iarss stopped reading; what it printed says whether that was right.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    out
}

/// `../shared` beside the project: where the optional real-input corpus lives. `IARSS_SHARED_DIR`
/// overrides where it is looked for (e.g. `IARSS_SHARED_DIR=/nonexistent` to run the suite as
/// a lone clone would).
pub fn shared() -> PathBuf {
    match std::env::var_os("IARSS_SHARED_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    }
}

/// `../shared/corpus`, or `None` when it is not there: the caller (`test`, its name) is then
/// skipped with one line on stderr. With `IARSS_REQUIRE_SHARED=1` (as CI sets it) a missing
/// corpus fails the test instead.
pub fn shared_corpus(test: &str) -> Option<PathBuf> {
    let corpus = shared().join("corpus");
    if corpus.is_dir() {
        return Some(corpus);
    }
    let why = format!(
        "{} is not beside the checkout (real-input corpus tests)",
        corpus.display()
    );
    if std::env::var("IARSS_REQUIRE_SHARED").is_ok_and(|v| v == "1") {
        panic!("{test}: {why}, and IARSS_REQUIRE_SHARED=1 requires it");
    }
    // Straight to the process's stderr, past the test harness's output capture.
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: {why}; set IARSS_REQUIRE_SHARED=1 to fail instead"
    );
    None
}

/// A scratch directory for one test, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Generates a feed into `dir/name` (see `feedgen`).
pub fn generate(dir: &Path, name: &str, spec: &feedgen::FeedSpec) -> PathBuf {
    feedgen::generate(dir, name, spec)
}

/// Parses `lint --format json` output.
pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Every diagnostic of a lint JSON document: `(rule, severity, line, column)`.
pub fn all_diagnostics(doc: &serde_json::Value) -> Vec<serde_json::Value> {
    doc["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(input_diagnostics)
        .collect()
}

/// Every diagnostic of one input of a lint JSON document: its own, then its articles'.
pub fn input_diagnostics(input: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut out: Vec<serde_json::Value> = input["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    for a in input["articles"].as_array().into_iter().flatten() {
        out.extend(a["diagnostics"].as_array().into_iter().flatten().cloned());
    }
    out
}

/// The rule ids of a lint JSON document.
pub fn rules_of(doc: &serde_json::Value) -> Vec<String> {
    rule_ids(&all_diagnostics(doc))
}

/// The rule ids of one input of a lint JSON document.
pub fn input_rules(input: &serde_json::Value) -> Vec<String> {
    rule_ids(&input_diagnostics(input))
}

fn rule_ids(diagnostics: &[serde_json::Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["rule"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A fresh PostgreSQL database on the server of `IARSS_TEST_DATABASE_URL` (an admin URL),
/// dropped again when the test passes and kept, with its URL printed, when it fails.
pub struct PgDb {
    admin: String,
    name: String,
    /// The database's URL.
    pub url: String,
}

impl PgDb {
    /// Creates `iarss_<test>_<pid>`; fails with a clear message when there is no server.
    pub fn create(test: &str) -> PgDb {
        let admin = std::env::var("IARSS_TEST_DATABASE_URL").unwrap_or_else(|_| {
            panic!(
                "IARSS_TEST_DATABASE_URL is not set: the PostgreSQL tests need a server. Run \
                 them through scripts/with-postgres.sh (e.g. `scripts/with-postgres.sh cargo \
                 test --release`), which starts a throwaway one, or set \
                 IARSS_TEST_DATABASE_URL to an admin URL such as \
                 postgres://postgres@127.0.0.1:5432/postgres"
            )
        });
        let test: String = test
            .trim_start_matches("scenario_")
            .chars()
            .take(40)
            .collect();
        let name = format!("iarss_{test}_{}", std::process::id()).to_lowercase();
        pg_admin(
            &admin,
            &[
                format!("DROP DATABASE IF EXISTS \"{name}\""),
                format!("CREATE DATABASE \"{name}\""),
            ],
        );
        let mut url = url::Url::parse(&admin).expect("IARSS_TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        PgDb {
            admin,
            name,
            url: url.to_string(),
        }
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept the database of the failed test: {}", self.url);
            return;
        }
        pg_admin(
            &self.admin,
            &[format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            )],
        );
    }
}

/// Runs statements on the admin connection.
fn pg_admin(admin: &str, statements: &[String]) {
    use sqlx::{Connection, Executor};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let mut conn = sqlx::postgres::PgConnection::connect(admin)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to IARSS_TEST_DATABASE_URL {admin}: {e}"));
        for sql in statements {
            conn.execute(sqlx::AssertSqlSafe(sql.clone()))
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let _ = conn.close().await;
    });
}

/// Runs `sql` (one or more statements) on the database at `url` (SQLite or PostgreSQL).
pub fn execute_sql(url: &str, sql: &str) {
    use sqlx::{Connection, Executor};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let result = if url.starts_with("sqlite:") {
            let mut conn = sqlx::sqlite::SqliteConnection::connect(url)
                .await
                .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
            conn.execute(sqlx::AssertSqlSafe(sql.to_string()))
                .await
                .map(|_| ())
        } else {
            let mut conn = sqlx::postgres::PgConnection::connect(url)
                .await
                .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
            conn.execute(sqlx::AssertSqlSafe(sql.to_string()))
                .await
                .map(|_| ())
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}"));
    });
}
